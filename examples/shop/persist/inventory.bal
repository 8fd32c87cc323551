import ballerina/persist as _;
import ballerinax/persist.sql;

public enum Category {
    BOOK,
    GAME,
    TOOL
}

public type Product record {|
    readonly string sku;
    @sql:Varchar {length: 120}
    string title;
    Category category;
    @sql:Decimal {precision: [10, 2]}
    decimal price;
    int stock;
    Review[] reviews;
|};

public type Review record {|
    @sql:Generated
    readonly int id;
    int rating;
    string? comment;
    Product product;
|};
