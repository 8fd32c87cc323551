import ballerina/persist as _;
import ballerinax/persist.sql;

type Item record {|
    readonly int id;
    @sql:Decimal {precision: [10, 2]}
    float weight;
    @sql:Decimal {precision: [0, 0]}
    decimal zero;
    @sql:Decimal {precision: [4, 6]}
    decimal price;
|};
