import ballerina/persist as _;
import ballerinax/persist.sql;

type User record {|
    readonly int id;
    @sql:Generated
    int counter;
|};
