import ballerina/persist as _;

type Dept record {|
    readonly int id;
    Employee[]? staff;
|};

type Employee record {|
    readonly int id;
    Dept? dept;
|};
