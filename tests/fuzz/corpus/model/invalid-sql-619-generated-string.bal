import ballerina/persist as _;
import ballerinax/persist.sql;

type User record {|
    @sql:Generated
    readonly string id;
|};
