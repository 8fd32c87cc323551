#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/error.h"
#include "models/ast.h"
#include "models/gen.h"
#include "models/parser.h"

static char *types(const char *model, enum datastore d, const char *model_name)
{
	struct model_file *mf = NULL;
	struct gen_options o = { .datastore = d, .model_name = model_name };
	struct buf b = BUF_INIT(1 << 20);
	struct pd_error e;
	char *s;

	assert_int_equal(model_parse(model, strlen(model), "model.bal", 0, &mf, &e), 0);
	assert_int_equal(gen_types(mf, &o, &b), 0);
	s = strdup(b.buf);
	buf_release(&b);
	model_file_free(mf);
	return s;
}

static void test_relations_and_constraints(void **state)
{
	char *s = types("import ballerina/persist as _;\n"
			"import ballerina/constraint;\n"
			"enum Kind { A, B = \"b\" }\n"
			"type Owner record {|\n"
			"    @constraint:String {\n"
			"        maxLength: 10\n"
			"    }\n"
			"    readonly string code;\n"
			"    Kind? kind;\n"
			"    string 'version;\n"
			"    Pet[] pets;\n"
			"|};\n"
			"type Pet record {|\n"
			"    readonly int id;\n"
			"    Owner owner;\n"
			"|};\n",
			DATASTORE_MYSQL, "users");

	(void)state;
	assert_string_equal(s, "// AUTO-GENERATED FILE. DO NOT MODIFY.\n\n"
			       "// This file is an auto-generated file by Ballerina persistence "
			       "layer for users.\n"
			       "// It should not be modified by hand.\n\n"
			       "import ballerina/constraint;\n\n"
			       "public enum Kind {\n"
			       "    A,\n"
			       "    B = \"b\"\n"
			       "}\n\n"
			       "public type Owner record {|\n"
			       "    @constraint:String {\n"
			       "        maxLength: 10\n"
			       "    }\n"
			       "    readonly string code;\n"
			       "    Kind? kind;\n"
			       "    string 'version;\n"
			       "|};\n\n"
			       "public type OwnerOptionalized record {|\n"
			       "    @constraint:String {\n"
			       "        maxLength: 10\n"
			       "    }\n"
			       "    string code?;\n"
			       "    Kind? kind?;\n"
			       "    string 'version?;\n"
			       "|};\n\n"
			       "public type OwnerWithRelations record {|\n"
			       "    *OwnerOptionalized;\n"
			       "    PetOptionalized[] pets?;\n"
			       "|};\n\n"
			       "public type OwnerTargetType typedesc<OwnerWithRelations>;\n\n"
			       "public type OwnerInsert Owner;\n\n"
			       "public type OwnerUpdate record {|\n"
			       "    Kind? kind?;\n"
			       "    string 'version?;\n"
			       "|};\n\n"
			       "public type Pet record {|\n"
			       "    readonly int id;\n"
			       "    @constraint:String {\n"
			       "        maxLength: 10\n"
			       "    }\n"
			       "    string ownerCode;\n"
			       "|};\n\n"
			       "public type PetOptionalized record {|\n"
			       "    int id?;\n"
			       "    @constraint:String {\n"
			       "        maxLength: 10\n"
			       "    }\n"
			       "    string ownerCode?;\n"
			       "|};\n\n"
			       "public type PetWithRelations record {|\n"
			       "    *PetOptionalized;\n"
			       "    OwnerOptionalized owner?;\n"
			       "|};\n\n"
			       "public type PetTargetType typedesc<PetWithRelations>;\n\n"
			       "public type PetInsert Pet;\n\n"
			       "public type PetUpdate record {|\n"
			       "    @constraint:String {\n"
			       "        maxLength: 10\n"
			       "    }\n"
			       "    string ownerCode?;\n"
			       "|};\n\n");
	free(s);
}

static void test_generated_key_insert(void **state)
{
	const char *model = "import ballerina/persist as _;\n"
			    "import ballerinax/persist.sql;\n"
			    "import ballerina/time;\n"
			    "type T record {|\n"
			    "    @sql:Generated\n"
			    "    readonly int id;\n"
			    "    time:Date? day;\n"
			    "|};\n";
	char *sql = types(model, DATASTORE_H2, "model");
	char *mem = types(model, DATASTORE_INMEMORY, "model");

	(void)state;
	assert_non_null(strstr(sql, "import ballerina/time;\n\npublic type T record {|\n"));
	assert_non_null(strstr(sql, "public type TInsert record {|\n    time:Date? day;\n|};\n"));
	/* Only SQL stores generate the key. */
	assert_non_null(strstr(mem, "public type TInsert T;\n"));
	free(sql);
	free(mem);
}

static void test_reserved_words(void **state)
{
	struct buf b = BUF_INIT(64);

	(void)state;
	assert_true(gen_is_reserved_word("version"));
	assert_true(gen_is_reserved_word("abort"));
	assert_true(gen_is_reserved_word("xmlns"));
	assert_false(gen_is_reserved_word("name"));
	assert_int_equal(gen_add_field_name(&b, "order"), 0);
	assert_int_equal(gen_add_field_name(&b, " "), 0);
	assert_int_equal(gen_add_field_name(&b, "'type"), 0);
	assert_int_equal(gen_add_field_name(&b, " city"), 0);
	assert_string_equal(b.buf, "'order 'type city");
	buf_release(&b);
}

static void test_out_of_memory(void **state)
{
	const char *model = "import ballerina/persist as _;\n"
			    "import ballerina/constraint;\n"
			    "enum Kind { A, B = \"b\" }\n"
			    "type Owner record {|\n"
			    "    @constraint:String {maxLength: 10}\n"
			    "    readonly string code;\n"
			    "    Kind kind;\n"
			    "    Pet[] pets;\n"
			    "|};\n"
			    "type Pet record {|\n"
			    "    readonly int id;\n"
			    "    Owner owner;\n"
			    "|};\n";
	struct gen_options o = { .datastore = DATASTORE_MYSQL, .model_name = "model" };
	struct model_file *mf = NULL;
	struct pd_error e;

	(void)state;
	assert_int_equal(model_parse(model, strlen(model), "model.bal", 0, &mf, &e), 0);
	for (long n = 0;; n++) {
		struct buf out = BUF_INIT(1 << 20);
		bool hit;
		int r;

		(void)alloc_fail_after(n);
		r = gen_types(mf, &o, &out);
		hit = alloc_failed();
		(void)alloc_fail_after(-1);
		if (hit) {
			assert_int_equal(r, -ENOMEM);
			assert_int_equal(out.len, 0);
		}
		buf_release(&out);
		if (!hit)
			break;
	}
	model_file_free(mf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relations_and_constraints),
		cmocka_unit_test(test_generated_key_insert),
		cmocka_unit_test(test_reserved_words),
		cmocka_unit_test(test_out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
