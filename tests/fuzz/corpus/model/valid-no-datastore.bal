import ballerina/persist as _;

type Doc record {|
    readonly int id;
    json payload;
    string[] tags;
|};
