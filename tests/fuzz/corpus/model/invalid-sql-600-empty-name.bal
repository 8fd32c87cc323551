import ballerina/persist as _;
import ballerinax/persist.sql;

@sql:Name {value: ""}
type User record {|
    readonly int id;
    @sql:Name {value: ""}
    string name;
|};
