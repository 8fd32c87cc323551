import ballerina/persist as _;
import ballerina/time;

type User record {|
    readonly int id;
    string? name;
    time:Date? born;
|};
