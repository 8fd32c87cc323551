import ballerina/persist as _;

type Building record {|
    readonly int id;
|};

type building record {|
    readonly int id;
|};
