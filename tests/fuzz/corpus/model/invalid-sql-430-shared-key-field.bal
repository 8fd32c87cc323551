import ballerina/persist as _;
import ballerinax/persist.sql;

type Building record {|
    readonly string code;
    Room[] rooms;
    Room[] annexes;
|};

type Room record {|
    readonly int id;
    string bcode;
    @sql:Relation {keys: ["bcode"]}
    Building building;
    @sql:Relation {keys: ["bcode"]}
    Building annexOf;
|};
