import ballerina/persist as _;

type Blob record {|
    readonly int id;
    //Unsupported[BLOB] data;
|};

type User record {|
    readonly int id;
    string name;
|};
