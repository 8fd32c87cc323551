import ballerina/persist as _;

type Person record {|
    readonly int id;
    Passport? passport;
    Passport backup;
|};

type Passport record {|
    readonly int id;
    Person holder;
    Person? spare;
|};
