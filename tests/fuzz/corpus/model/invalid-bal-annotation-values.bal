import ballerina/persist as _;
import ballerinax/persist.sql;

type User record {|
    readonly int id;
    @sql:Varchar {length: "ten"}
    string a;
    @sql:Relation {}
    string b;
    @sql:Decimal {precision: [10]}
    decimal c;
    @sql:Name {value: "x", other: 1}
    string d;
    @sql:Index {name: [1, 2]}
    string e;
    @sql:Name
    string f;
|};
