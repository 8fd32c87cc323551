import ballerina/persist as _;
import ballerinax/persist.sql;

type User record {|
    readonly int id;
    @sql:Varchar {length: 10}
    int age;
    @sql:Char {length: 2}
    boolean ok;
    @sql:Varchar {length: 10}
    @sql:Char {length: 10}
    string code;
    @sql:Varchar {length: 0}
    string empty;
    @sql:Char {length: 0}
    string none;
|};
