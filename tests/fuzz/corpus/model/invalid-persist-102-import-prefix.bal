import ballerina/persist as _;
import ballerina/time as t;

type User record {|
    readonly int id;
    t:Date born;
|};
