import ballerina/persist as _;

type User record {|
    readonly int id;
    string nickname?;
    Post[] posts;
|};

type Post record {|
    readonly int id;
    string title;
    User author;
|};
