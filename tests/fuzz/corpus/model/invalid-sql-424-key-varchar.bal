import ballerina/persist as _;
import ballerinax/persist.sql;

type Building record {|
    @sql:Varchar {length: 10}
    readonly string code;
    Room[] rooms;
|};

type Room record {|
    readonly int id;
    string bcode;
    @sql:Relation {keys: ["bcode"]}
    Building building;
|};
