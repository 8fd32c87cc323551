import ballerina/persist as _;
import ballerina/time;

type Event record {|
    readonly string id;
    time:Date? day;
    int count;
|};
