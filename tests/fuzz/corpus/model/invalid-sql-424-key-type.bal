import ballerina/persist as _;
import ballerinax/persist.sql;

type Building record {|
    readonly string code;
    Room[] rooms;
|};

type Room record {|
    readonly int id;
    int bcode;
    @sql:Relation {keys: ["bcode"]}
    Building building;
|};
