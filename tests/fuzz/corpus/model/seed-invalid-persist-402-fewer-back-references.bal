import ballerina/persist as _;

type Car record {|
    readonly int id;
    Owner owner;
    Owner driver;
|};

type Owner record {|
    readonly int id;
    Car[] cars;
|};
