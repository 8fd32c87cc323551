import ballerina/persist as _;

type Building record {|
    readonly string buildingCode;
    Room[] rooms;
|};

type Room record {|
    readonly int id;
    string buildingBuildingCode;
    Building building;
|};
