import ballerina/persist as _;
import ballerinax/persist.sql;

@sql:Name {value: "people"}
type User record {|
    readonly int id;
    @sql:Name {value: "label"}
    string name;
    @sql:Name {value: "label"}
    string title;
|};

@sql:Name {value: "people"}
type Member record {|
    readonly int id;
|};
