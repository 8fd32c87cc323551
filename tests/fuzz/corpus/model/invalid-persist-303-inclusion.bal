import ballerina/persist as _;

type Base record {|
    readonly int id;
|};

type User record {|
    *Base;
    readonly int uid;
|};
