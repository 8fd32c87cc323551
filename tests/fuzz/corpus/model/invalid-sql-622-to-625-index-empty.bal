import ballerina/persist as _;
import ballerinax/persist.sql;

type User record {|
    readonly int id;
    @sql:Index {name: ""}
    string a;
    @sql:UniqueIndex {name: ""}
    string b;
    @sql:Index {name: []}
    string c;
    @sql:UniqueIndex {name: []}
    string d;
|};
