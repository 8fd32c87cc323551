#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json-writer.h"
#include "models/ast.h"
#include "models/diagnostic.h"
#include "models/names.h"
#include "models/validate.h"

static const char shop[] = "import ballerina/persist as _;\n"
			   "import ballerinax/persist.sql;\n"
			   "type User record {|\n"
			   "    readonly int id;\n"
			   "    @sql:Name {value: \"user_name\"}\n"
			   "    string name;\n"
			   "    Order[] orders;\n"
			   "|};\n"
			   "type Order record {|\n"
			   "    readonly int id;\n"
			   "    User user;\n"
			   "    json note;\n"
			   "|};\n";

static void test_datastore_rules(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct model_file *mf = NULL;
	(void)state;

	assert_int_equal(model_check(shop, strlen(shop), "persist/shop.bal", "mysql", 0, &mf, &d),
			 0);
	assert_non_null(mf);
	assert_int_equal(d.n_errors, 1);
	assert_string_equal(d.items[0].code, "PERSIST_305");
	assert_int_equal(d.items[0].line, 12);
	assert_int_equal(d.items[0].column, 5);
	diag_list_release(&d);

	/* the same tree, other datastores */
	assert_int_equal(model_validate(mf, "inmemory", &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(model_validate(mf, NULL, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(model_validate(mf, "oracle", &d), -EINVAL);
	assert_int_equal(model_check(shop, strlen(shop), "x", "oracle", 0, NULL, &d), -EINVAL);
	assert_true(model_datastore_known("googlesheets"));
	assert_false(model_datastore_known("MySQL"));
	diag_list_release(&d);
	model_file_free(mf);
}

static void test_output_formats(void **state)
{
	static const char bad[] = "import ballerina/persist as _;\n"
				  "type A record {|\n"
				  "    readonly int id;\n"
				  "    Strin \"x\";\n";
	struct diag_list d = DIAG_LIST_INIT;
	struct buf out = BUF_INIT(1 << 16);
	struct model_file *mf = NULL;
	(void)state;

	assert_int_equal(model_check(bad, strlen(bad), "persist/a \"b\".bal", NULL, 0, &mf, &d),
			 -EBADMSG);
	assert_null(mf);
	assert_int_equal(d.n, 1);
	assert_int_equal(diag_list_format_text(&d, &out), 0);
	assert_string_equal(out.buf, "persist/a \"b\".bal:4:11: error BAL_SYNTAX: expected a field "
				     "name, found '\"x\"'\n");
	buf_reset(&out);
	assert_int_equal(diag_list_format_json(&d, &out), 0);
	assert_string_equal(out.buf, "[{\"code\":\"BAL_SYNTAX\",\"severity\":\"error\",\"message\":"
				     "\"expected a field name, found '\\\"x\\\"'\",\"file\":"
				     "\"persist/a \\\"b\\\".bal\",\"line\":4,\"column\":11}]");
	diag_list_release(&d);

	buf_reset(&out);
	assert_int_equal(diag_list_format_json(&d, &out), 0);
	assert_string_equal(out.buf, "[]");
	assert_int_equal(diag_add(&d, "PERSIST_601", DIAG_WARNING, (struct model_pos){ 0 }, "w"),
			 0);
	buf_reset(&out);
	assert_int_equal(diag_list_format_text(&d, &out), 0);
	assert_string_equal(out.buf, "warning PERSIST_601: w\n");
	assert_int_equal(d.n_warnings, 1);
	diag_list_release(&d);
	buf_release(&out);
}

static void test_cap(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct buf out = BUF_INIT(1 << 20);
	(void)state;

	for (unsigned i = 0; i < DIAG_LIST_MAX_ITEMS + 5; i++)
		assert_int_equal(diag_add(&d, "PERSIST_305", DIAG_ERROR,
					  (struct model_pos){ .line = i + 1, .column = 1 }, "e%u",
					  i),
				 0);
	assert_int_equal(d.n, DIAG_LIST_MAX_ITEMS);
	assert_int_equal(d.n_errors, DIAG_LIST_MAX_ITEMS + 5);
	assert_int_equal(diag_list_set_file(&d, "m.bal"), 0);
	assert_int_equal(diag_list_format_text(&d, &out), 0);
	assert_non_null(strstr(out.buf, "\nm.bal: note: 5 more diagnostics not shown\n"));
	diag_list_release(&d);
	buf_release(&out);
}

static void test_name_map(void **state)
{
	static char keys[200][8];
	struct name_map m;
	void *old = NULL;
	(void)state;

	assert_int_equal(name_map_init(&m, 4, true), 0);
	for (int i = 0; i < 200; i++) {
		(void)snprintf(keys[i], sizeof(keys[i]), "Key%d", i);
		assert_int_equal(name_map_add(&m, keys[i], (void *)(uintptr_t)(i + 1), NULL), 0);
	}
	assert_true(m.slots != NULL);
	assert_int_equal(m.n, 200);
	assert_int_equal(name_map_add(&m, "KEY7", NULL, &old), 1);
	assert_ptr_equal(old, (void *)(uintptr_t)8);
	assert_ptr_equal(name_map_get(&m, "key199"), (void *)(uintptr_t)200);
	assert_null(name_map_get(&m, "key200"));
	assert_int_equal(name_map_set(&m, "key0", (void *)(uintptr_t)7, &old), 0);
	assert_ptr_equal(old, (void *)(uintptr_t)1);
	assert_ptr_equal(name_map_get(&m, "KEY0"), (void *)(uintptr_t)7);
	name_map_release(&m);
}

/* past the size where the validator's name sets switch to hashing */
static void test_many_names(void **state)
{
	struct buf text = BUF_INIT(1 << 20);
	struct diag_list d = DIAG_LIST_INIT;
	(void)state;

	assert_int_equal(buf_adds(&text, "import ballerina/persist as _;\n"), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(
			buf_addf(&text, "type E%d record {|\n    readonly int id;\n|};\n", i), 0);
	assert_int_equal(buf_adds(&text, "type e7 record {|\n    readonly int id;\n"), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(buf_addf(&text, "    int f%d;\n", i), 0);
	assert_int_equal(buf_adds(&text, "    int F3;\n|};\n"), 0);
	assert_int_equal(model_check(text.buf, text.len, "m.bal", "mysql", 0, NULL, &d), 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.items[0].code, "PERSIST_202");
	assert_int_equal(d.items[0].line, 122);
	assert_string_equal(d.items[1].code, "PERSIST_307");
	assert_int_equal(d.items[1].line, 164);
	diag_list_release(&d);
	buf_release(&text);
}

static void test_json_escaping(void **state)
{
	struct buf out = BUF_INIT(256);
	(void)state;

	assert_int_equal(json_add_string_len(&out, "a\"\\\n\x01\xc3\xa9\xff\xe2\x82", 10), 0);
	assert_string_equal(out.buf, "\"a\\\"\\\\\\n\\u0001\xc3\xa9\\ufffd\\ufffd\\ufffd\"");
	buf_release(&out);
}

static void test_sorted_and_staged(void **state)
{
	/* a compile-level error hides the plugin rules, as upstream's compiler skips them */
	static const char text[] = "import ballerina/persist as _;\n"
				   "type A record {\n"
				   "    int id;\n"
				   "    Nope x;\n"
				   "};\n";
	struct diag_list d = DIAG_LIST_INIT;
	(void)state;

	assert_int_equal(model_check(text, strlen(text), "m.bal", "mysql", 0, NULL, &d), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].code, DIAG_UNDEFINED_TYPE);
	diag_list_release(&d);
}

static void test_oom(void **state)
{
	(void)state;

	for (long n = 0;; n++) {
		struct diag_list d = DIAG_LIST_INIT;
		int r;
		alloc_fail_after(n);
		r = model_check(shop, strlen(shop), "persist/shop.bal", "mysql", 0, NULL, &d);
		alloc_fail_after(-1);
		diag_list_release(&d);
		if (r == 0)
			break;
		assert_int_equal(r, -ENOMEM);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datastore_rules),
		cmocka_unit_test(test_output_formats),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_sorted_and_staged),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_name_map),
		cmocka_unit_test(test_many_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
