import ballerina/persist as _;

type User record {|
    readonly int id;
|};

function f() returns int {
    return 1;
}

type Id int;
const LIMIT = 10;
