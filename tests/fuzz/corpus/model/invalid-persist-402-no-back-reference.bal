import ballerina/persist as _;

type Car record {|
    readonly int id;
    Owner owner;
|};

type Owner record {|
    readonly int id;
    string name;
|};
