import ballerina/persist as _;
import ballerinax/persist.sql;

type Building record {|
    readonly string code;
    @sql:Relation {keys: ["code"]}
    Room[] rooms;
|};

type Room record {|
    readonly int id;
    Building building;
|};
