import ballerina/persist as _;
import ballerinax/persist.sql;

type Building record {|
    readonly string code;
    readonly string city;
    Room[] rooms;
|};

type Room record {|
    readonly int id;
    string bcode;
    @sql:Relation {keys: ["bcode"]}
    Building building;
|};
