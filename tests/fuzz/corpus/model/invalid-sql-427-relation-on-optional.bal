import ballerina/persist as _;
import ballerinax/persist.sql;

type User record {|
    readonly int id;
    @sql:Relation {keys: ["id"]}
    Profile? profile;
|};

type Profile record {|
    readonly int id;
    User user;
|};
