import ballerina/persist as _;

type User record {|
    readonly int id;
    Profile profile;
|};

type Profile record {|
    readonly int id;
    User user;
|};
