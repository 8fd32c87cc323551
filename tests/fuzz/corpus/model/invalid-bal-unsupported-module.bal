import ballerina/persist as _;
import ballerina/http;

type User record {|
    readonly int id;
|};
