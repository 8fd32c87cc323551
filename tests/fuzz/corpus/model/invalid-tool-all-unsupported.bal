import ballerina/persist as _;

type Blob record {|
    readonly int id;
    //Unsupported[BLOB] data;
|};
