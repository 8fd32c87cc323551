import ballerina/persist as _;
import ballerinax/persist.sql;

@sql:Varchar {length: 3}
type User record {|
    readonly int id;
    @sql:Table {value: "x"}
    string a;
    @sql:Schema {value: "s"}
    string b;
    @sql:Name {value: "c1"}
    @sql:Name {value: "c2"}
    string c;
    @foo
    string d;
|};
