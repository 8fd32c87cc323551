import ballerina/persist as _;
import ballerina/time;

enum Kind {
    A,
    B
}

type Event record {|
    readonly time:Civil at;
    readonly Kind kind;
    readonly byte[] hash;
|};
