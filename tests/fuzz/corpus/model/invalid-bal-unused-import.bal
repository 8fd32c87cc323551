import ballerina/persist as _;
import ballerina/time;
import ballerinax/persist.sql;

type User record {|
    readonly int id;
|};
