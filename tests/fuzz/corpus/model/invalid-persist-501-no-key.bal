import ballerina/persist as _;

type User record {|
    int id;
    string name;
|};
