import ballerina/persist as _;
import ballerinax/persist.sql;

type User record {|
    readonly int id;
    @sql:Index {name: ["a", "a"]}
    string first;
    @sql:UniqueIndex {name: ["u", "u"]}
    string second;
    @sql:Index {name: ["", "b"]}
    string third;
    @sql:UniqueIndex {name: ["v", ""]}
    string fourth;
|};
