import ballerina/persist as _;

enum Kind {
    A = 1,
    B = "b"
}

type User record {|
    readonly int id;
    Kind kind;
|};
