import ballerina/persist as _;
import ballerina/time;

type User record {|
    readonly int id;
    json payload;
    map<string> tags;
    int|string code;
    byte flag;
    time:Seconds wait;
    record {| int a; |} inline;
    int? [][] grid;
|};
