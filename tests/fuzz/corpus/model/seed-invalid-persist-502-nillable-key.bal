import ballerina/persist as _;

type User record {|
    readonly int? id;
|};
