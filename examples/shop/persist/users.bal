import ballerina/persist as _;
import ballerina/time;

# A registered customer.
public type User record {|
    readonly int id;
    string name;
    string email;
    time:Date joinedOn;
    Address[] addresses;
|};

public type Address record {|
    readonly int id;
    string street;
    string city;
    string? postcode;
    User user;
|};
