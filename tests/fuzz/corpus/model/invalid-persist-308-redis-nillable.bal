import ballerina/persist as _;
import ballerina/time;

type User record {|
    readonly int id;
    int? age;
    time:Civil? seen;
|};
