import ballerina/persist as _;

type Student record {|
    readonly int id;
    Course[] courses;
|};

type Course record {|
    readonly int id;
    Student[] students;
|};
