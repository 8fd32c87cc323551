import ballerina/persist as _;
import ballerina/time;
import ballerinax/persist.sql;
import ballerina/constraint;

# Kinds of things
public enum Kind {
    SMALL,
    LARGE = "large"
}

# Every type a SQL store accepts
@sql:Name {value: "things"}
@sql:Schema {value: "shop"}
public type Thing record {|
    @sql:Generated
    readonly int id;
    boolean active;
    @sql:Decimal {precision: [10, 2]}
    decimal price;
    float weight;
    @sql:Varchar {length: 64}
    @sql:Index {name: ["by_name", "by_name_kind"]}
    string name;
    @constraint:String {
        maxLength: 20
    }
    string? note;
    @sql:Char {length: 3}
    @sql:UniqueIndex
    string code;
    @sql:Index {name: "by_name_kind"}
    Kind kind;
    time:Date day;
    time:TimeOfDay at;
    time:Utc stamp;
    time:Civil? civil;
    byte[] photo;
    byte[]? thumb;
    @sql:Name {value: "display_name"}
    string 'displayName;
|};
