/* The model the connector tests share: every field type, a composite key, a generated key, an
 * @sql:Name column, and 1-n and 1-1 relations, one of them on a composite key. */
#ifndef TESTS_CONNECTOR_TEST_MODEL_H
#define TESTS_CONNECTOR_TEST_MODEL_H

#include <string.h>

#include "base/error.h"
#include "models/ast.h"
#include "models/parser.h"

static const char connector_test_model[] = "import ballerina/persist as _;\n"
					   "import ballerina/time;\n"
					   "import ballerinax/persist.sql;\n"
					   "\n"
					   "public enum Gender {\n"
					   "    MALE,\n"
					   "    FEMALE = \"F\"\n"
					   "}\n"
					   "\n"
					   "public type Department record {|\n"
					   "    readonly string deptNo;\n"
					   "    string deptName;\n"
					   "    Employee[] employees;\n"
					   "|};\n"
					   "\n"
					   "public type Employee record {|\n"
					   "    readonly string empNo;\n"
					   "    @sql:Name {value: \"first_name\"}\n"
					   "    string firstName;\n"
					   "    time:Date birthDate;\n"
					   "    Gender gender;\n"
					   "    Department department;\n"
					   "    Profile? profile;\n"
					   "|};\n"
					   "\n"
					   "public type Profile record {|\n"
					   "    readonly int id;\n"
					   "    string bio;\n"
					   "    Employee owner;\n"
					   "|};\n"
					   "\n"
					   "public type OrderItem record {|\n"
					   "    readonly string orderId;\n"
					   "    readonly int itemId;\n"
					   "    int quantity;\n"
					   "    decimal? price;\n"
					   "    Shipment[] shipments;\n"
					   "|};\n"
					   "\n"
					   "public type Shipment record {|\n"
					   "    readonly int id;\n"
					   "    OrderItem item;\n"
					   "|};\n"
					   "\n"
					   "public type Ticket record {|\n"
					   "    @sql:Generated\n"
					   "    readonly int id;\n"
					   "    string title;\n"
					   "|};\n"
					   "\n"
					   "public type AllTypes record {|\n"
					   "    readonly int id;\n"
					   "    boolean b;\n"
					   "    decimal d;\n"
					   "    float f;\n"
					   "    string s;\n"
					   "    byte[] bytes;\n"
					   "    time:Date date;\n"
					   "    time:TimeOfDay tod;\n"
					   "    time:Utc utc;\n"
					   "    time:Civil civil;\n"
					   "    Gender gender;\n"
					   "    string? opt;\n"
					   "|};\n";

/* The parsed model (the caller frees it), NULL when it does not parse. */
static inline struct model_file *connector_test_model_parse(void)
{
	struct model_file *mf = NULL;
	struct pd_error err;

	if (model_parse(connector_test_model, strlen(connector_test_model), "persist/test.bal", 0,
			&mf, &err) < 0)
		return NULL;
	return mf;
}

#endif
