#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/fileio.h"
#include "models/toml-edit.h"
#include "models/toml.h"

/* A Ballerina.toml as upstream's add tests start from it. */
static const char ballerina_toml[] = "[package]\n"
				     "org = \"foo\"\n"
				     "name = \"persist_add_1\"\n"
				     "version = \"0.1.0\"\n"
				     "distribution = \"2201.3.0\"\n"
				     "\n"
				     "[build-options]\n"
				     "observabilityIncluded = true\n"
				     "\n"
				     "[[arraytable]]\n"
				     "value = 1\n"
				     "[[arraytable]]\n"
				     "value = 2\n"
				     "\n"
				     "array = [ [1, 0], [0, 1] ]\n";

static struct toml_editor *editor(const char *text)
{
	struct toml_editor *ed = NULL;
	struct pd_error err = { 0 };

	assert_int_equal(toml_editor_new(text, strlen(text), "Ballerina.toml", &ed, &err), 0);
	return ed;
}

static void assert_text(const struct toml_editor *ed, const char *want)
{
	size_t len;
	const char *have = toml_editor_text(ed, &len);

	if (len != strlen(want) || memcmp(have, want, len) != 0)
		print_error("have:\n%s\nwant:\n%s\n", have, want);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(have, want, len);
}

/* persist add: the original text, one line break, the new [[tool.persist]] table. */
static void test_append_tool_entry(void **state)
{
	struct toml_editor *ed = editor(ballerina_toml);
	const struct toml_edit_kv kvs[] = {
		TOML_KV_STRING("id", "generate-db-client"),
		TOML_KV_STRING("targetModule", "persist_add_1"),
		TOML_KV_STRING("options.datastore", "mysql"),
		TOML_KV_BOOL("options.eagerLoading", true),
		TOML_KV_STRING("filePath", "persist/model.bal"),
	};
	struct pd_error err = { 0 };
	const struct toml_array *entries;

	(void)state;
	assert_false(toml_editor_changed(ed));
	assert_int_equal(toml_editor_append_table(ed, "tool.persist", true, kvs, ELEMENTSOF(kvs),
						  TOML_APPEND_SEPARATE, &err),
			 0);
	assert_text(ed, "[package]\n"
			"org = \"foo\"\n"
			"name = \"persist_add_1\"\n"
			"version = \"0.1.0\"\n"
			"distribution = \"2201.3.0\"\n"
			"\n"
			"[build-options]\n"
			"observabilityIncluded = true\n"
			"\n"
			"[[arraytable]]\n"
			"value = 1\n"
			"[[arraytable]]\n"
			"value = 2\n"
			"\n"
			"array = [ [1, 0], [0, 1] ]\n"
			"\n"
			"[[tool.persist]]\n"
			"id = \"generate-db-client\"\n"
			"targetModule = \"persist_add_1\"\n"
			"options.datastore = \"mysql\"\n"
			"options.eagerLoading = true\n"
			"filePath = \"persist/model.bal\"\n");
	assert_true(toml_editor_changed(ed));
	entries = toml_get_array(toml_editor_root(ed), "tool.persist");
	assert_non_null(entries);
	assert_string_equal(toml_get_string(entries->items[0].u.table, "options.datastore"),
			    "mysql");
	toml_editor_free(ed);
}

/* target/Persist.toml: entries appended with no blank line between them. */
static void test_append_without_separator(void **state)
{
	struct toml_editor *ed = editor("");
	const struct toml_edit_kv a[] = { TOML_KV_STRING("options.datastore", "mysql"),
					  TOML_KV_STRING("module", "p.entities") };
	const struct toml_edit_kv b[] = { TOML_KV_STRING("options.datastore", "h2"),
					  TOML_KV_STRING("module", "p.h2_entities") };
	struct pd_error err = { 0 };

	(void)state;
	assert_int_equal(toml_editor_append_table(ed, "tool.persist", true, a, 2, 0, &err), 0);
	assert_int_equal(toml_editor_append_table(ed, "tool.persist", true, b, 2, 0, &err), 0);
	assert_text(ed, "[[tool.persist]]\n"
			"options.datastore = \"mysql\"\n"
			"module = \"p.entities\"\n"
			"[[tool.persist]]\n"
			"options.datastore = \"h2\"\n"
			"module = \"p.h2_entities\"\n");
	toml_editor_free(ed);

	/* A file without a final line break gets one before the appended text. */
	ed = editor("a = 1");
	assert_int_equal(toml_editor_append(ed, "b = 2\n", 6, 0, &err), 0);
	assert_text(ed, "a = 1\nb = 2\n");
	/* A bare line break, as generate appends before the dependency table. */
	assert_int_equal(toml_editor_append(ed, "\n", 1, 0, &err), 0);
	assert_text(ed, "a = 1\nb = 2\n\n");
	toml_editor_free(ed);
}

static void test_append_rejects_invalid(void **state)
{
	struct toml_editor *ed = editor(ballerina_toml);
	struct pd_error err = { 0 };
	const struct toml_edit_kv kv = TOML_KV_INT("x", 1);

	(void)state;
	/* [package] again would redefine it: refused, text unchanged. */
	assert_int_equal(
		toml_editor_append_table(ed, "package", false, &kv, 1, TOML_APPEND_SEPARATE, &err),
		-EBADMSG);
	assert_true(err.line > 0);
	assert_int_equal(toml_editor_append(ed, "x = [", 5, 0, &err), -EBADMSG);
	assert_text(ed, ballerina_toml);
	assert_false(toml_editor_changed(ed));
	toml_editor_free(ed);
}

static void test_set_existing_value(void **state)
{
	struct toml_editor *ed = editor("# Config\n"
					"[db]\n"
					"host = \"localhost\"   # where\n"
					"port = 3306\n"
					"[other]\n"
					"port = 1\n");
	const struct toml_edit_kv port = TOML_KV_INT(NULL, 5432);
	const struct toml_edit_kv host = TOML_KV_STRING(NULL, "db \"one\"\n");
	struct pd_error err = { 0 };

	(void)state;
	assert_int_equal(toml_editor_set(ed, NULL, "db.port", &port, &err), 0);
	assert_int_equal(toml_editor_set(ed, NULL, "db.host", &host, &err), 0);
	assert_text(ed, "# Config\n"
			"[db]\n"
			"host = \"db \\\"one\\\"\\n\"   # where\n"
			"port = 5432\n"
			"[other]\n"
			"port = 1\n");
	assert_string_equal(toml_get_string(toml_editor_root(ed), "db.host"), "db \"one\"\n");
	toml_editor_free(ed);
}

static void test_set_new_key_in_section(void **state)
{
	struct toml_editor *ed = editor("top = 1\n"
					"\n"
					"[a]\n"
					"x = 1 # one\n"
					"\n"
					"# about b\n"
					"[b]\n"
					"y = 2");
	const struct toml_edit_kv v = TOML_KV_STRING(NULL, "new");
	struct pd_error err = { 0 };

	(void)state;
	assert_int_equal(toml_editor_set(ed, NULL, "a.z", &v, &err), 0);
	assert_int_equal(toml_editor_set(ed, NULL, "top2", &v, &err), 0);
	assert_int_equal(toml_editor_set(ed, NULL, "b.sub.key", &v, &err), 0);
	assert_text(ed, "top = 1\n"
			"top2 = \"new\"\n"
			"\n"
			"[a]\n"
			"x = 1 # one\n"
			"z = \"new\"\n"
			"\n"
			"# about b\n"
			"[b]\n"
			"y = 2\n"
			"sub.key = \"new\"\n");
	toml_editor_free(ed);
}

static void test_set_in_array_entry(void **state)
{
	struct toml_editor *ed = editor("[[tool.persist]]\n"
					"id = \"one\"\n"
					"options.datastore = \"mysql\"\n"
					"\n"
					"[[tool.persist]]\n"
					"id = \"two\"\n"
					"options = { datastore = \"redis\" }\n"
					"\n"
					"[[tool.persist]]\n"
					"id = \"three\"\n"
					"options = {}\n");
	const struct toml_array *entries = toml_get_array(toml_editor_root(ed), "tool.persist");
	const struct toml_edit_kv t = TOML_KV_BOOL(NULL, true);
	const struct toml_edit_kv h2 = TOML_KV_STRING(NULL, "h2");
	struct pd_error err = { 0 };

	(void)state;
	assert_int_equal(
		toml_editor_set(ed, entries->items[0].u.table, "options.testDatastore", &h2, &err),
		0);
	entries = toml_get_array(toml_editor_root(ed), "tool.persist");
	assert_int_equal(
		toml_editor_set(ed, entries->items[1].u.table, "options.eagerLoading", &t, &err),
		0);
	entries = toml_get_array(toml_editor_root(ed), "tool.persist");
	assert_int_equal(
		toml_editor_set(ed, entries->items[2].u.table, "options.withInitParams", &t, &err),
		0);
	assert_text(ed, "[[tool.persist]]\n"
			"id = \"one\"\n"
			"options.datastore = \"mysql\"\n"
			"options.testDatastore = \"h2\"\n"
			"\n"
			"[[tool.persist]]\n"
			"id = \"two\"\n"
			"options = { datastore = \"redis\", eagerLoading = true }\n"
			"\n"
			"[[tool.persist]]\n"
			"id = \"three\"\n"
			"options = { withInitParams = true }\n");
	toml_editor_free(ed);
}

/* Inline tables, also nested and inside plain arrays, take the new key between their braces. */
static void test_set_in_inline_tables(void **state)
{
	struct toml_editor *ed = editor("a = [{x = 1}, {}]\nb = { c = { d = 1 }, e.f = 2 }\n");
	const struct toml_edit_kv v = TOML_KV_INT(NULL, 9);
	const struct toml_array *a = toml_get_array(toml_editor_root(ed), "a");
	struct pd_error err = { 0 };

	(void)state;
	assert_int_equal(toml_editor_set(ed, a->items[0].u.table, "y", &v, &err), 0);
	a = toml_get_array(toml_editor_root(ed), "a");
	assert_int_equal(toml_editor_set(ed, a->items[1].u.table, "y", &v, &err), 0);
	assert_int_equal(toml_editor_set(ed, NULL, "b.c.g", &v, &err), 0);
	assert_int_equal(toml_editor_set(ed, NULL, "b.e.h", &v, &err), 0);
	assert_int_equal(toml_editor_set(ed, NULL, "b.c.d", &v, &err), 0);
	assert_text(ed, "a = [{x = 1, y = 9}, { y = 9 }]\n"
			"b = { c = { d = 9, g = 9 }, e.f = 2, e.h = 9 }\n");
	toml_editor_free(ed);
}

static void test_set_implicit_table(void **state)
{
	struct toml_editor *ed = editor("[a.b]\nx = 1\n");
	const struct toml_edit_kv v = TOML_KV_INT(NULL, 7);
	struct pd_error err = { 0 };

	(void)state;
	assert_int_equal(toml_editor_set(ed, NULL, "a.c", &v, &err), 0);
	assert_text(ed, "[a.b]\nx = 1\n\n[a]\nc = 7\n");
	/* Now [a] exists: the next key goes into its section. */
	assert_int_equal(toml_editor_set(ed, NULL, "a.d", &v, &err), 0);
	assert_text(ed, "[a.b]\nx = 1\n\n[a]\nc = 7\nd = 7\n");
	toml_editor_free(ed);
}

static void test_set_errors(void **state)
{
	const char *text = "a = 1\n[t]\nx = 1\n[[arr]]\n";
	struct toml_editor *ed = editor(text);
	const struct toml_edit_kv v = TOML_KV_INT(NULL, 2);
	struct pd_error err = { 0 };

	(void)state;
	assert_int_equal(toml_editor_set(ed, NULL, "a.b", &v, &err), -ENOTDIR);
	assert_int_equal(toml_editor_set(ed, NULL, "t", &v, &err), -EEXIST);
	assert_int_equal(toml_editor_set(ed, NULL, "arr", &v, &err), -EEXIST);
	assert_int_equal(toml_editor_set(ed, NULL, "bad key", &v, &err), -EINVAL);
	assert_text(ed, text);
	toml_editor_free(ed);
}

static void test_save_and_open(void **state)
{
	char dir[] = "/tmp/test-toml-edit-XXXXXX";
	char path[256];
	struct toml_editor *ed = NULL;
	struct pd_error err = { 0 };
	struct buf b = BUF_INIT(4096);
	const struct toml_edit_kv kv[] = { TOML_KV_STRING("host", "localhost"),
					   TOML_KV_INT("port", 3306) };

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/Config.toml", dir);
	assert_int_equal(toml_editor_open(path, 4096, false, &ed, &err), -ENOENT);
	assert_int_equal(toml_editor_open(path, 4096, true, &ed, &err), 0);
	assert_true(toml_doc_is_empty(toml_editor_doc(ed)));
	assert_int_equal(
		toml_editor_append_table(ed, "shop.db", false, kv, 2, TOML_APPEND_SEPARATE, &err),
		0);
	assert_int_equal(toml_editor_save(ed, path, 0644), 0);
	toml_editor_free(ed);
	assert_int_equal(read_file_capped(path, 4096, &b), 0);
	assert_string_equal(b.buf, "[shop.db]\nhost = \"localhost\"\nport = 3306\n");
	buf_release(&b);

	assert_int_equal(toml_editor_open(path, 4096, false, &ed, &err), 0);
	assert_int_equal(toml_get_table(toml_editor_root(ed), "shop.db")->kind, TOML_TABLE_HEADER);
	assert_int_equal(toml_editor_save(ed, path, 0644), 0); /* unchanged: skipped */
	toml_editor_free(ed);

	/* A file that is not TOML is refused with its position. */
	assert_int_equal(write_file_atomic(path, "x = \n", 5, 0644, false), 1);
	assert_int_equal(toml_editor_open(path, 4096, false, &ed, &err), -EBADMSG);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.file, path);
	(void)unlink(path);
	(void)rmdir(dir);
}

static void test_format_helpers(void **state)
{
	struct buf b = BUF_INIT(4096);
	const struct toml_edit_kv f = { .type = TOML_FLOAT, .fp = 2 };
	const struct toml_edit_kv raw = TOML_KV_RAW(NULL, "[1, 2]");

	(void)state;
	assert_int_equal(toml_format_key(&b, "bare_key-1", 10), 0);
	assert_int_equal(buf_addc(&b, ' '), 0);
	assert_int_equal(toml_format_key(&b, "a.b", 3), 0);
	assert_int_equal(buf_addc(&b, ' '), 0);
	assert_int_equal(toml_format_string(&b, "t\tq\"\x01\\", 6), 0);
	assert_int_equal(buf_addc(&b, ' '), 0);
	assert_int_equal(toml_format_kv_value(&b, &f), 0);
	assert_int_equal(buf_addc(&b, ' '), 0);
	assert_int_equal(toml_format_kv_value(&b, &raw), 0);
	assert_string_equal(b.buf, "bare_key-1 \"a.b\" \"t\\tq\\\"\\u0001\\\\\" 2.0 [1, 2]");
	buf_release(&b);
}

static void test_out_of_memory(void **state)
{
	const struct toml_edit_kv v = TOML_KV_STRING(NULL, "x");
	int r = -ENOMEM;

	(void)state;
	for (long n = 0; r == -ENOMEM && n < 10000; n++) {
		struct toml_editor *ed = editor(ballerina_toml);
		struct pd_error err = { 0 };

		alloc_fail_after(n);
		r = toml_editor_set(ed, NULL, "package.license", &v, &err);
		alloc_fail_after(-1);
		if (r == -ENOMEM)
			assert_text(ed, ballerina_toml);
		toml_editor_free(ed);
	}
	assert_int_equal(r, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_tool_entry),
		cmocka_unit_test(test_append_without_separator),
		cmocka_unit_test(test_append_rejects_invalid),
		cmocka_unit_test(test_set_existing_value),
		cmocka_unit_test(test_set_new_key_in_section),
		cmocka_unit_test(test_set_in_array_entry),
		cmocka_unit_test(test_set_in_inline_tables),
		cmocka_unit_test(test_set_implicit_table),
		cmocka_unit_test(test_set_errors),
		cmocka_unit_test(test_save_and_open),
		cmocka_unit_test(test_format_helpers),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
