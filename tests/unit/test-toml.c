#include "config.h"

#include <errno.h>
#include <math.h>
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
#include "models/toml.h"

static struct toml_doc *parse_ok(const char *text)
{
	struct toml_doc *doc = NULL;
	struct pd_error err = { 0 };
	int r = toml_parse(text, strlen(text), "t.toml", &doc, &err);

	if (r < 0)
		print_error("unexpected failure: %u:%u: %s\n", err.line, err.column, err.text);
	assert_int_equal(r, 0);
	return doc;
}

/* Returns the error; asserts the parse fails with -EBADMSG. */
static struct pd_error parse_bad(const char *text)
{
	struct toml_doc *doc = NULL;
	struct pd_error err = { 0 };

	assert_int_equal(toml_parse(text, strlen(text), "t.toml", &doc, &err), -EBADMSG);
	assert_null(doc);
	assert_true(err.text[0] != '\0');
	return err;
}

static void test_scalars(void **state)
{
	struct toml_doc *doc = parse_ok("s = \"a\\tb\\u00e9\"\n"
					"lit = 'C:\\path'\n"
					"i = -1_000\n"
					"h = 0xff\n"
					"f = 6.25e-1\n"
					"inf = -inf\n"
					"b = true\n"
					"d = 1979-05-27\n"
					"t = 07:32:00.5\n"
					"dt = 1979-05-27 07:32:00-08:00\n"
					"ldt = 1979-05-27T07:32:00\n");
	const struct toml_value *v;
	int64_t i = 0;
	bool b = false;
	char text[64];

	(void)state;
	assert_string_equal(toml_get_string(doc->root, "s"), "a\tb\xc3\xa9");
	assert_string_equal(toml_get_string(doc->root, "lit"), "C:\\path");
	assert_int_equal(toml_get_int(doc->root, "i", &i), 1);
	assert_int_equal(i, -1000);
	assert_int_equal(toml_get_int(doc->root, "h", &i), 1);
	assert_int_equal(i, 255);
	assert_int_equal(toml_get_int(doc->root, "s", &i), -EINVAL);
	assert_int_equal(toml_get_int(doc->root, "missing", &i), 0);
	v = toml_get(doc->root, "f");
	assert_int_equal(v->type, TOML_FLOAT);
	assert_true(v->u.fp == 0.625);
	v = toml_get(doc->root, "inf");
	assert_true(isinf(v->u.fp) && v->u.fp < 0);
	assert_int_equal(toml_get_bool(doc->root, "b", &b), 1);
	assert_true(b);
	v = toml_get(doc->root, "d");
	assert_int_equal(v->type, TOML_DATE_LOCAL);
	assert_true(toml_datetime_format(v, text, sizeof(text)) > 0);
	assert_string_equal(text, "1979-05-27");
	v = toml_get(doc->root, "t");
	assert_int_equal(v->type, TOML_TIME_LOCAL);
	assert_int_equal(v->u.dt.nanosecond, 500000000);
	v = toml_get(doc->root, "dt");
	assert_int_equal(v->type, TOML_DATETIME);
	assert_int_equal(v->u.dt.offset_minutes, -480);
	assert_true(toml_datetime_format(v, text, sizeof(text)) > 0);
	assert_string_equal(text, "1979-05-27T07:32:00-08:00");
	assert_int_equal(toml_get(doc->root, "ldt")->type, TOML_DATETIME_LOCAL);
	toml_doc_free(doc);
}

static void test_tables_and_order(void **state)
{
	struct toml_doc *doc = parse_ok("[package]\n"
					"name = \"shop\"\n"
					"org = \"acme\"\n"
					"[[tool.persist]]\n"
					"id = \"a\"\n"
					"options.datastore = \"mysql\"\n"
					"[[tool.persist]]\n"
					"id = \"b\"\n"
					"options = { datastore = \"redis\", eagerLoading = true }\n"
					"[\"quoted.key\".x]\n"
					"y = 1\n");
	const struct toml_table *pkg = toml_get_table(doc->root, "package");
	const struct toml_array *tp = toml_get_array(doc->root, "tool.persist");

	(void)state;
	assert_non_null(pkg);
	assert_int_equal(pkg->kind, TOML_TABLE_HEADER);
	assert_int_equal(pkg->n_items, 2);
	assert_string_equal(pkg->items[0].key, "name");
	assert_string_equal(pkg->items[1].key, "org");
	assert_non_null(tp);
	assert_true(tp->of_tables);
	assert_int_equal(tp->n_items, 2);
	assert_string_equal(toml_get_string(tp->items[0].u.table, "options.datastore"), "mysql");
	assert_string_equal(toml_get_string(tp->items[1].u.table, "options.datastore"), "redis");
	/* A path through an array of tables takes its last entry, as a header would. */
	assert_string_equal(toml_get_string(doc->root, "tool.persist.id"), "b");
	assert_int_equal(toml_get_table(doc->root, "tool")->kind, TOML_TABLE_IMPLICIT);
	assert_int_equal(toml_get(doc->root, "\"quoted.key\".x.y")->u.integer, 1);
	assert_null(toml_get(doc->root, "quoted.key"));
	assert_false(toml_doc_is_empty(doc));
	toml_doc_free(doc);
}

static void test_spans(void **state)
{
	const char *text = "# comment\n"
			   "[a]\n"
			   "key = \"value\"   # trailing\n"
			   "arr = [\n  1,\n  2,\n]\n"
			   "[b]\r\n"
			   "x = 1\r\n";
	struct toml_doc *doc = parse_ok(text);
	const struct toml_keyval *kv = toml_table_find(toml_get_table(doc->root, "a"), "key", 3);
	const struct toml_value *arr = toml_get(doc->root, "a.arr");
	const struct toml_table *a = toml_get_table(doc->root, "a");
	const struct toml_table *b = toml_get_table(doc->root, "b");

	(void)state;
	assert_non_null(kv);
	assert_int_equal(kv->key_span.line, 3);
	assert_int_equal(kv->key_span.column, 1);
	assert_int_equal(kv->value.span.line, 3);
	assert_int_equal(kv->value.span.column, 7);
	assert_memory_equal(text + kv->value.span.offset, "\"value\"", kv->value.span.len);
	assert_int_equal(arr->span.line, 4);
	assert_memory_equal(text + arr->span.offset, "[\n  1,\n  2,\n]", arr->span.len);
	assert_int_equal(arr->u.array->items[1].span.line, 6);
	/* New keys of [a] go right after its last line. */
	assert_int_equal(a->section_end, strlen("# comment\n[a]\nkey = \"value\"   # trailing\n"
						"arr = [\n  1,\n  2,\n]\n"));
	assert_int_equal(a->header.line, 2);
	assert_int_equal(b->header.line, 8);
	assert_int_equal(b->section_end, strlen(text));
	toml_doc_free(doc);
}

static void test_redefinitions(void **state)
{
	struct toml_doc *doc;

	(void)state;
	parse_bad("a = 1\na = 2\n");
	parse_bad("[a]\n[a]\n");
	parse_bad("[a]\nb = 1\n[a.b]\n");
	parse_bad("a.b = 1\n[a.b]\n");
	parse_bad("[a.b.c]\nz = 1\n[a]\nb.c.t = 2\n");
	parse_bad("a = {b = 1}\n[a.c]\n");
	parse_bad("a = {b = 1}\na.c = 2\n");
	parse_bad("[[a]]\n[a]\n");
	parse_bad("[a]\n[[a]]\n");
	parse_bad("a = [{b = 1}]\n[[a]]\n");
	parse_bad("a = {b = 1, b = 2}\n");
	/* Allowed: a table defined after its sub-tables, and sub-tables of dotted tables. */
	doc = parse_ok("[a.b]\n[a]\nc = 1\n");
	toml_doc_free(doc);
	doc = parse_ok("[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true\n");
	assert_true(toml_get(doc->root, "fruit.apple.texture.smooth")->u.boolean);
	toml_doc_free(doc);
	doc = parse_ok("[[x]]\n[x.y]\nz = 1\n[[x]]\n[x.y]\nz = 2\n");
	assert_int_equal(toml_get_array(doc->root, "x")->n_items, 2);
	toml_doc_free(doc);
}

static void test_positioned_errors(void **state)
{
	struct pd_error e;
	char text[PD_ERROR_TEXT_MAX + PD_ERROR_FILE_MAX + 32];

	(void)state;
	e = parse_bad("a = 1\nb = \n");
	assert_int_equal(e.line, 2);
	assert_int_equal(e.column, 5);
	e = parse_bad("[x]\nk = 1\nk = 2\n");
	assert_int_equal(e.line, 3);
	assert_int_equal(e.column, 1);
	assert_non_null(strstr(e.text, "'k'"));
	pd_error_format(&e, text, sizeof(text));
	assert_string_equal(text, "t.toml:3:1: duplicate key 'k'");
	e = parse_bad("s = \"abc\n");
	assert_int_equal(e.line, 1);
	e = parse_bad("a = 1 b = 2\n");
	assert_int_equal(e.column, 7);
	e = parse_bad("x = 0\xff\n");
	assert_int_equal(e.column, 6);
	e = parse_bad("x = 1\ry = 2\n");
	assert_int_equal(e.line, 1);
}

static void test_invalid_values(void **state)
{
	static const char *const bad[] = {
		"a = 01\n",
		"a = 1__0\n",
		"a = _1\n",
		"a = 0x\n",
		"a = +0x10\n",
		"a = 9223372036854775808\n",
		"a = 1.\n",
		"a = .5\n",
		"a = 1e\n",
		"a = 1979-02-29\n",
		"a = 1979-13-01\n",
		"a = 07:32\n",
		"a = 1979-05-27T07:32:00+24:00\n",
		"a = \"\\x41\"\n",
		"a = \"\\uD800\"\n",
		"a = 'tab\x01'\n",
		"a = \"\"\"x\"\"\"\"\"\"\n",
		"a = [1 2]\n",
		"a = [1,,2]\n",
		"a = {b = 1,}\n",
		"a = {b = 1\n}\n",
		"a = tru\n",
		"a = True\n",
		"= 1\n",
		"a\n",
		"[a\n",
		"[[a]\n",
		"a = 1 # \x7f\n",
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct toml_doc *doc = NULL;
		struct pd_error err = { 0 };
		int r = toml_parse(bad[i], strlen(bad[i]), NULL, &doc, &err);
		if (r != -EBADMSG)
			print_error("accepted: %s", bad[i]);
		assert_int_equal(r, -EBADMSG);
	}
}

static void test_strings(void **state)
{
	struct toml_doc *doc = parse_ok("ml = \"\"\"\n"
					"one \\\n"
					"    two\"\"\"\"\n"
					"lit = '''\n"
					"raw \\n ''''\n"
					"nul = \"a\\u0000b\"\n"
					"big = \"\\U0001F600\"\n");
	const struct toml_value *v;

	(void)state;
	assert_string_equal(toml_get_string(doc->root, "ml"), "one two\"");
	assert_string_equal(toml_get_string(doc->root, "lit"), "raw \\n '");
	v = toml_get(doc->root, "nul");
	assert_int_equal(v->u.str.len, 3);
	assert_memory_equal(v->u.str.ptr, "a\0b", 3);
	assert_string_equal(toml_get_string(doc->root, "big"), "\xf0\x9f\x98\x80");
	toml_doc_free(doc);
}

static void test_depth_limit(void **state)
{
	struct buf b = BUF_INIT(1 << 20);
	struct pd_error e;
	struct toml_doc *doc;

	(void)state;
	/* 64 levels are fine, deeper is a positioned error, never a crash. */
	assert_int_equal(buf_adds(&b, "a = "), 0);
	for (int i = 0; i < 63; i++)
		assert_int_equal(buf_addc(&b, '['), 0);
	for (int i = 0; i < 63; i++)
		assert_int_equal(buf_addc(&b, ']'), 0);
	assert_int_equal(buf_addc(&b, '\n'), 0);
	doc = parse_ok(b.buf);
	toml_doc_free(doc);
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "a = "), 0);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(buf_addc(&b, '['), 0);
	e = parse_bad(b.buf);
	assert_int_equal(e.line, 1);
	assert_true(e.column > 60 && e.column < 80);
	buf_reset(&b);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(buf_adds(&b, "x = {"), 0);
	parse_bad(b.buf);
	buf_reset(&b);
	assert_int_equal(buf_addc(&b, '['), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_adds(&b, "k."), 0);
	assert_int_equal(buf_adds(&b, "k]\n"), 0);
	parse_bad(b.buf);
	buf_release(&b);
}

/* Lookups use an index past a few keys: a table with many keys parses in linear time, and
 * duplicates are still found. */
static void test_many_keys(void **state)
{
	struct buf b = BUF_INIT(16 << 20);
	struct toml_doc *doc;
	const struct toml_table *t;
	struct pd_error e;
	char key[32];

	(void)state;
	assert_int_equal(buf_adds(&b, "[t]\n"), 0);
	for (int i = 0; i < 200000; i++)
		assert_int_equal(buf_addf(&b, "k%d = %d\n", i, i), 0);
	doc = parse_ok(b.buf);
	t = toml_get_table(doc->root, "t");
	assert_int_equal(t->n_items, 200000);
	for (int i = 0; i < 200000; i += 997) {
		const struct toml_keyval *kv;
		(void)snprintf(key, sizeof(key), "k%d", i);
		kv = toml_table_find(t, key, strlen(key));
		assert_non_null(kv);
		assert_int_equal(kv->value.u.integer, i);
		assert_int_equal(kv - t->items, i);
	}
	assert_null(toml_table_find(t, "k200000", 7));
	toml_doc_free(doc);
	assert_int_equal(buf_adds(&b, "k123456 = 0\n"), 0);
	e = parse_bad(b.buf);
	assert_int_equal(e.line, 200002);
	buf_release(&b);
}

static void test_empty_and_bom(void **state)
{
	struct toml_doc *doc = parse_ok("");

	(void)state;
	assert_true(toml_doc_is_empty(doc));
	toml_doc_free(doc);
	doc = parse_ok("\xef\xbb\xbf# only a comment\r\n\n");
	assert_true(toml_doc_is_empty(doc));
	toml_doc_free(doc);
	doc = parse_ok("\xef\xbb\xbf"
		       "a = 1");
	assert_false(toml_doc_is_empty(doc));
	toml_doc_free(doc);
}

static void test_split_key(void **state)
{
	char **keys = NULL;
	size_t *lens = NULL;
	int n;

	(void)state;
	n = toml_split_key("a . \"b.c\" .'d'", strlen("a . \"b.c\" .'d'"), &keys, &lens);
	assert_int_equal(n, 3);
	assert_string_equal(keys[0], "a");
	assert_string_equal(keys[1], "b.c");
	assert_string_equal(keys[2], "d");
	toml_keys_free(keys, lens, (size_t)n);
	assert_int_equal(toml_split_key("a..b", 4, &keys, &lens), -EINVAL);
	assert_int_equal(toml_split_key("", 0, &keys, &lens), -EINVAL);
	assert_int_equal(toml_split_key("a b", 3, &keys, &lens), -EINVAL);
	assert_true(toml_key_is_bare("tool_persist-1", 14));
	assert_false(toml_key_is_bare("a.b", 3));
	assert_false(toml_key_is_bare("", 0));
}

static void test_file(void **state)
{
	char path[] = "/tmp/test-toml-XXXXXX";
	struct toml_doc *doc = NULL;
	struct pd_error err = { 0 };
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x = 'y'\n", 8), 8);
	(void)close(fd);
	assert_int_equal(toml_parse_file(path, 1024, &doc, &err), 0);
	assert_string_equal(toml_get_string(doc->root, "x"), "y");
	toml_doc_free(doc);
	doc = NULL;
	assert_int_equal(toml_parse_file(path, 4, &doc, &err), -EMSGSIZE);
	(void)unlink(path);
	assert_int_equal(toml_parse_file(path, 1024, &doc, &err), -ENOENT);
	assert_null(doc);
}

/* Every allocation failure ends in -ENOMEM and leaks nothing (ASan checks the leaks). */
static void test_out_of_memory(void **state)
{
	const char *text = "[package]\nname = \"x\"\n[[tool.persist]]\noptions.datastore = 'm'\n"
			   "a = [1, {b = \"c\"}, [2.5]]\n";
	int r = -ENOMEM;

	(void)state;
	for (long n = 0; r == -ENOMEM && n < 10000; n++) {
		struct toml_doc *doc = NULL;
		struct pd_error err = { 0 };

		alloc_fail_after(n);
		r = toml_parse(text, strlen(text), NULL, &doc, &err);
		alloc_fail_after(-1);
		if (r == -ENOMEM)
			assert_null(doc);
		toml_doc_free(doc);
	}
	assert_int_equal(r, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_tables_and_order),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_redefinitions),
		cmocka_unit_test(test_positioned_errors),
		cmocka_unit_test(test_invalid_values),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_empty_and_bom),
		cmocka_unit_test(test_split_key),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
