type User record {|
    readonly int id;
|};
