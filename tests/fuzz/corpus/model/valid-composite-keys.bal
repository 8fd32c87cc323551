import ballerina/persist as _;

type Order record {|
    readonly string orderId;
    readonly int line;
    int quantity;
    Shipment? shipment;
|};

type Shipment record {|
    readonly int id;
    Order 'order;
|};
