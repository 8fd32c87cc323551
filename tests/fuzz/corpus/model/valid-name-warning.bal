import ballerina/persist as _;
import ballerinax/persist.sql;

@sql:Name {value: "User"}
type User record {|
    readonly int id;
    @sql:Name {value: "name"}
    string name;
|};
