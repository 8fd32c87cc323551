import ballerina/persist as _;
import ballerinax/persist.sql;

type 'Building record {|
    readonly string buildingCode;
    string city;
    Workspace[] workspaces;
|};

type Workspace record {|
    readonly string workspaceId;
    string workspaceType;
    'Building location;
    Employee? employee;
|};

type Employee record {|
    readonly string empNo;
    string firstName;
    string deptId;
    @sql:Relation {keys: ["deptId"]}
    Department department;
    Workspace workspace;
|};

type Department record {|
    readonly string deptNo;
    Employee[] employees;
|};
