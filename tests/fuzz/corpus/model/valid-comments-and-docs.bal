// A model with comments everywhere
import ballerina/persist as _; // required

# A user.
# + id - the key
public type User record {| // body
    # The key
    readonly int id; // trailing
    // a comment line
    string name;
|}; // end
