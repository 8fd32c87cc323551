import ballerina/persist as _;
import ballerinax/persist.sql;

@sql:Name {value: "Order"}
type User record {|
    readonly int id;
|};

type Order record {|
    readonly int id;
|};
