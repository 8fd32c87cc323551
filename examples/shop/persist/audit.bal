import ballerina/persist as _;
import ballerina/time;

# Who did what, kept apart from the shop's own data.
public type AuditEntry record {|
    readonly int id;
    string actor;
    string action;
    time:Civil at;
    string? detail;
|};
