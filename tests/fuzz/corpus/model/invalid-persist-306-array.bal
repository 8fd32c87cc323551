import ballerina/persist as _;
import ballerina/time;

enum Color {
    RED,
    GREEN
}

type User record {|
    readonly int id;
    boolean[] flags;
    time:Date[] dates;
    Color[] colors;
    byte[] photo;
|};
