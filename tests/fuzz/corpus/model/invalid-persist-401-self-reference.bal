import ballerina/persist as _;

type Person record {|
    readonly int id;
    Person? manager;
|};
