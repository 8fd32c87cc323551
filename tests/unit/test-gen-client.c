/* Golden test of the client generators against the upstream persist-tools corpus: for every
 * generate and build case whose expected tree holds a persist_client.bal, persist_test_client.bal,
 * persist_test_init.bal or script.gs, parse the model the case selects, generate that file
 * with the case's options and compare it with the expected one after deleting line separators
 * (the corpus rule). Prints each failing file with the first differing line and ends with
 * `gen-client: N passed, N failed`. A few rules no corpus case covers are checked on small inline
 * models first. Exits 77 without the corpus. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/datastore.h"
#include "models/gen.h"
#include "models/parser.h"

#define FILE_MAX ((size_t)16 << 20)

struct invocation {
	enum datastore ds, test;
	bool eager, init_params;
	char model[256]; /* --model, "" without */
	char module[256]; /* --module, "" without */
	char out_dir[512]; /* relative to the project, "" or ending in '/' */
};

static unsigned passed, failed, disabled_passed, disabled_failed;
/* The case at hand was switched off upstream: run it, but keep it out of the score. */
static bool disabled;
static bool verbose;

/* Options and names are short; a truncated one simply fails its case. */
_printf_(3, 4) static void setf(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(dst, size, fmt, ap) < 0)
		dst[0] = '\0';
	va_end(ap);
}

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* A copy of s without '\n' and '\r'. */
static int strip_newlines(const char *s, size_t len, struct buf *out)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < len; i++)
		if (s[i] != '\n' && s[i] != '\r')
			r = buf_addc(out, s[i]);
	return r;
}

/* The first line of got that differs from want, for the report. */
static void first_difference(const char *got, const char *want, const char *label)
{
	unsigned line = 1;

	for (;;) {
		const char *ge = strchr(got, '\n'), *we = strchr(want, '\n');
		size_t gl = ge ? (size_t)(ge - got) : strlen(got);
		size_t wl = we ? (size_t)(we - want) : strlen(want);
		if (gl != wl || memcmp(got, want, gl) != 0) {
			printf("  %s:%u:\n    got:  %.*s\n    want: %.*s\n", label, line, (int)gl,
			       got, (int)wl, want);
			return;
		}
		if (!ge || !we) {
			printf("  %s: %s ends early at line %u\n", label,
			       ge ? "expected" : "output", line);
			return;
		}
		got = ge + 1;
		want = we + 1;
		line++;
	}
}

static void compare(const char *case_name, const char *rel, const char *expected_path, int r,
		    const struct buf *got)
{
	_cleanup_buf_ struct buf want = BUF_INIT(FILE_MAX);
	_cleanup_buf_ struct buf a = BUF_INIT(FILE_MAX), b = BUF_INIT(FILE_MAX);
	int q;

	if (r < 0) {
		printf("%s %s %s: generator failed: %s\n", disabled ? "DISABLED-FAIL" : "FAIL",
		       case_name, rel, strerror(-r));
		*(disabled ? &disabled_failed : &failed) += 1;
		return;
	}
	q = read_file_capped(expected_path, FILE_MAX, &want);
	if (q >= 0)
		q = strip_newlines(want.buf, want.len, &a);
	if (q >= 0)
		q = strip_newlines(got->buf, got->len, &b);
	if (q < 0) {
		printf("%s %s %s: %s\n", disabled ? "DISABLED-FAIL" : "FAIL", case_name, rel,
		       strerror(-q));
		*(disabled ? &disabled_failed : &failed) += 1;
		return;
	}
	if (a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0) {
		if (verbose)
			printf("ok   %s %s\n", case_name, rel);
		*(disabled ? &disabled_passed : &passed) += 1;
		return;
	}
	printf("%s %s %s\n", disabled ? "DISABLED-FAIL" : "FAIL", case_name, rel);
	first_difference(got->buf, want.buf, rel);
	*(disabled ? &disabled_failed : &failed) += 1;
}

static const char *toml_value(const char *text, const char *key, char *buf, size_t size)
{
	const char *p = text;
	size_t klen = strlen(key);

	while ((p = strstr(p, key))) {
		bool at_line_start = p == text || p[-1] == '\n';
		const char *q = p + klen;
		p = q;
		if (!at_line_start)
			continue;
		while (*q == ' ')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q == ' ')
			q++;
		if (*q != '"')
			continue;
		q++;
		const char *end = strchr(q, '"');
		if (!end || (size_t)(end - q) >= size)
			return NULL;
		memcpy(buf, q, (size_t)(end - q));
		buf[end - q] = '\0';
		return buf;
	}
	return NULL;
}

/* Fail the n-th allocation for n = 0, 1, ... until a run gets through: every failing run must
 * return -ENOMEM and leave the output empty (ASan reports leaks). */
static void oom_check(const char *case_name, const char *rel,
		      int (*gen)(const struct model_file *, const struct gen_options *,
				 struct buf *),
		      const struct model_file *mf, const struct gen_options *o)
{
	for (long n = 0;; n++) {
		struct buf out = BUF_INIT(FILE_MAX);
		int r;
		bool hit;

		(void)alloc_fail_after(n);
		r = gen(mf, o, &out);
		hit = alloc_failed();
		(void)alloc_fail_after(-1);
		if (hit && (r != -ENOMEM || out.len != 0)) {
			printf("FAIL %s %s: allocation %ld failing gave %d with %zu bytes of output\n",
			       case_name, rel, n, r, out.len);
			buf_release(&out);
			failed++;
			return;
		}
		buf_release(&out);
		if (!hit)
			break;
	}
	passed++;
}

static int run_files(const char *case_name, const char *case_dir, const char *pkg,
		     const struct invocation *inv)
{
	_cleanup_buf_ struct buf path = BUF_INIT(4096), text = BUF_INIT(FILE_MAX);
	_cleanup_(model_file_freep) struct model_file *mf = NULL;
	struct pd_error err = { 0 };
	char module_name[600];
	int r;

	r = buf_addf(&path, "%s/input/persist/%s%smodel.bal", case_dir, inv->model,
		     inv->model[0] ? "/" : "");
	if (r < 0)
		return r;
	r = read_file_capped(path.buf, FILE_MAX, &text);
	if (r < 0)
		return 0; /* a case about a missing model: nothing generated */
	r = model_parse(text.buf, text.len, path.buf, 0, &mf, &err);
	if (r < 0)
		return 0; /* an invalid model generates nothing; the expected tree agrees */

	r = snprintf_checked(module_name, sizeof(module_name), "%s%s%s", pkg,
			     inv->module[0] && !streq(inv->module, pkg) ? "." : "",
			     inv->module[0] && !streq(inv->module, pkg) ? inv->module : "");
	if (r < 0)
		return r;
	struct gen_options o = {
		.datastore = inv->ds,
		.test_datastore = inv->test,
		.eager_loading = inv->eager,
		.with_init_params = inv->init_params,
		.model_name = "model",
		.package_name = pkg,
		.module_name = module_name,
	};

	static const struct {
		const char *file;
		int (*gen)(const struct model_file *, const struct gen_options *, struct buf *);
		bool test;
	} files[] = {
		{ "persist_client.bal", gen_client, false },
		{ "persist_test_client.bal", gen_test_client, true },
		{ "persist_test_init.bal", gen_test_init, true },
		{ "script.gs", gen_sheets_script, false },
	};
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_buf_ struct buf out = BUF_INIT(FILE_MAX), expected = BUF_INIT(4096),
					 rel = BUF_INIT(4096);
		if (files[i].test && inv->test == DATASTORE_INVALID)
			continue;
		if (streq(files[i].file, "persist_test_init.bal") && inv->test != DATASTORE_H2)
			continue;
		if (streq(files[i].file, "script.gs") && inv->ds != DATASTORE_GOOGLESHEETS)
			continue;
		r = buf_addf(&rel, "%s%s", inv->out_dir, files[i].file);
		if (r >= 0)
			r = buf_addf(&expected, "%s/expected/%s", case_dir, rel.buf);
		if (r < 0)
			return r;
		if (!is_file(expected.buf))
			continue;
		r = files[i].gen(mf, &o, &out);
		compare(case_name, rel.buf, expected.buf, r, &out);
		/* once per generator and datastore is enough to cover every error path */
		static bool oom_done[ELEMENTSOF(files)][_DATASTORE_MAX];
		if (!disabled && !oom_done[i][inv->ds]) {
			oom_done[i][inv->ds] = true;
			oom_check(case_name, rel.buf, files[i].gen, mf, &o);
		}
	}
	return 0;
}

static void parse_argv(json_t *argv, struct invocation *inv)
{
	size_t i;
	json_t *v;

	json_array_foreach(argv, i, v) {
		const char *a = json_string_value(v);
		const char *next = json_string_value(json_array_get(argv, i + 1));
		if (!a)
			continue;
		if (streq(a, "--datastore") && next)
			inv->ds = datastore_from_string(next);
		else if (streq(a, "--test-datastore") && next)
			inv->test = datastore_from_string(next);
		else if (streq(a, "--module") && next)
			setf(inv->module, sizeof(inv->module), "%s", next);
		else if (streq(a, "--model") && next)
			setf(inv->model, sizeof(inv->model), "%s", next);
		else if (streq(a, "--eager-loading"))
			inv->eager = true;
		else if (streq(a, "--with-init-params"))
			inv->init_params = true;
	}
}

static int run_case(const char *case_dir, const char *case_name, bool build)
{
	_cleanup_buf_ struct buf path = BUF_INIT(4096), toml = BUF_INIT(FILE_MAX);
	json_error_t jerr;
	json_t *root, *invs, *v;
	char pkg[256] = "", tmp[256];
	size_t i;
	int r;

	r = buf_addf(&path, "%s/input/Ballerina.toml", case_dir);
	if (r < 0)
		return r;
	if (read_file_capped(path.buf, FILE_MAX, &toml) >= 0 &&
	    !toml_value(toml.buf, "name", pkg, sizeof(pkg)))
		pkg[0] = '\0';

	buf_reset(&path);
	r = buf_addf(&path, "%s/case.json", case_dir);
	if (r < 0)
		return r;
	root = json_load_file(path.buf, 0, &jerr);
	if (!root)
		return 0;
	invs = json_object_get(root, "invocations");
	disabled = false;
	json_array_foreach(invs, i, v)
		if (json_is_false(json_object_get(v, "enabled")))
			disabled = true;

	if (build) {
		/* the build integration: options from the first [[tool.persist]] table */
		json_decref(root);
		struct invocation inv = { .ds = DATASTORE_INVALID, .test = DATASTORE_INVALID };
		if (toml_value(toml.buf, "options.datastore", tmp, sizeof(tmp)))
			inv.ds = datastore_from_string(tmp);
		if (toml_value(toml.buf, "options.testDatastore", tmp, sizeof(tmp)))
			inv.test = datastore_from_string(tmp);
		if (toml_value(toml.buf, "targetModule", tmp, sizeof(tmp)) &&
		    startswith(tmp, pkg) && tmp[strlen(pkg)] == '.') {
			setf(inv.module, sizeof(inv.module), "%s", tmp + strlen(pkg) + 1);
			setf(inv.out_dir, sizeof(inv.out_dir), "generated/%s/", inv.module);
		} else {
			setf(inv.out_dir, sizeof(inv.out_dir), "generated/");
		}
		if (toml_value(toml.buf, "filePath", tmp, sizeof(tmp))) {
			const char *m = startswith(tmp, "persist/");
			const char *slash = m ? strchr(m, '/') : NULL;
			if (slash && streq(slash, "/model.bal"))
				setf(inv.model, sizeof(inv.model), "%.*s", (int)(slash - m), m);
		}
		if (inv.ds == DATASTORE_INVALID)
			return 0;
		return run_files(case_name, case_dir, pkg, &inv);
	}

	json_array_foreach(invs, i, v) {
		struct invocation inv = { .ds = DATASTORE_INVALID, .test = DATASTORE_INVALID };
		if (!streq_ptr(json_string_value(json_object_get(v, "cmd")), "generate"))
			continue;
		parse_argv(json_object_get(v, "argv"), &inv);
		if (inv.ds == DATASTORE_INVALID)
			continue;
		if (!inv.module[0])
			inv.out_dir[0] = '\0';
		else if (streq(inv.module, pkg))
			setf(inv.out_dir, sizeof(inv.out_dir), "modules/");
		else
			setf(inv.out_dir, sizeof(inv.out_dir), "modules/%s/", inv.module);
		/* a later invocation writing the same directory wins: compare only the last */
		bool overwritten = false;
		size_t j;
		json_t *w;
		json_array_foreach(invs, j, w) {
			struct invocation later = { .ds = DATASTORE_INVALID };
			if (j <= i)
				continue;
			parse_argv(json_object_get(w, "argv"), &later);
			if (streq(later.module, inv.module))
				overwritten = true;
		}
		if (overwritten)
			continue;
		r = run_files(json_string_value(json_object_get(root, "case")), case_dir, pkg,
			      &inv);
		if (r < 0)
			break;
	}
	json_decref(root);
	return r < 0 ? r : 0;
}

/* Rules of codegen.md that no corpus case exercises: each check generates one file for a small
 * model and looks for (or rules out) a piece of text. */
struct spec_check {
	const char *what;
	const char *model;
	enum datastore ds;
	const char *present[4];
	const char *absent[4];
};

static const struct spec_check spec_checks[] = {
	{ "schemas for postgresql",
	  "import ballerina/persist as _;\nimport ballerinax/persist.sql;\n"
	  "@sql:Schema {value: \"hr\"}\ntype Dept record {| readonly int id; Emp[] emps; |};\n"
	  "type Emp record {| readonly int id; Dept dept; |};\n",
	  DATASTORE_POSTGRESQL,
	  { "tableName: \"Dept\",\n            schemaName: \"hr\",\n",
	    "dept: {entity: Dept, fieldName: \"dept\", refSchema: \"hr\", refTable: \"Dept\"" },
	  { NULL } },
	{ "mysql ignores schemas",
	  "import ballerina/persist as _;\nimport ballerinax/persist.sql;\n"
	  "@sql:Schema {value: \"hr\"}\ntype Dept record {| readonly int id; |};\n",
	  DATASTORE_MYSQL,
	  { "tableName: \"Dept\",\n            fieldMetadata" },
	  { "schemaName", "refSchema" } },
	{ "refColumn for a renamed column",
	  "import ballerina/persist as _;\nimport ballerinax/persist.sql;\n"
	  "type Dept record {| @sql:Name {value: \"ID\"} readonly int id; string name; Emp[] emps; |};\n"
	  "type Emp record {| readonly int id; Dept dept; |};\n",
	  DATASTORE_MYSQL,
	  { "\"dept.id\": {relation: {entityName: \"dept\", refField: \"id\", refColumn: \"ID\"}}",
	    "\"dept.name\": {relation: {entityName: \"dept\", refField: \"name\"}}",
	    "refColumns: [\"ID\"], joinColumns: [\"deptId\"]" } },
	{ "generated key",
	  "import ballerina/persist as _;\nimport ballerinax/persist.sql;\n"
	  "type Item record {| @sql:Generated readonly int id; string name; |};\n",
	  DATASTORE_MSSQL,
	  { "sql:ExecutionResult[] result = check sqlClient.runBatchInsertQuery(data);",
	    "            select <int>inserted.lastInsertId;\n",
	    "id: {columnName: \"id\", dbGenerated: true}" } },
	{ "unsupported entities leave the SQL client",
	  "import ballerina/persist as _;\n"
	  "type Item record {| readonly int id; //Unsupported[JSON] doc;\n|};\n"
	  "type Tag record {| readonly int id; |};\n",
	  DATASTORE_H2,
	  { "const TAG = \"tags\";" },
	  { "const ITEM", "[ITEM]", "get items(" } },
	{ "the in-memory client keeps them",
	  "import ballerina/persist as _;\n"
	  "type Item record {| readonly int id; //Unsupported[JSON] doc;\n|};\n"
	  "type Tag record {| readonly int id; |};\n",
	  DATASTORE_INMEMORY,
	  { "get items(", "itemsTable = table [];" },
	  { "const ITEM" } },
};

static void run_spec_checks(void)
{
	for (size_t i = 0; i < ELEMENTSOF(spec_checks); i++) {
		const struct spec_check *c = &spec_checks[i];
		_cleanup_(model_file_freep) struct model_file *mf = NULL;
		_cleanup_buf_ struct buf out = BUF_INIT(FILE_MAX);
		struct pd_error err = { 0 };
		struct gen_options o = {
			.datastore = c->ds,
			.test_datastore = DATASTORE_INVALID,
			.model_name = "model",
			.package_name = "p",
			.module_name = "p",
		};
		const char *bad = NULL;
		int r;

		r = model_parse(c->model, strlen(c->model), "model.bal", 0, &mf, &err);
		if (r >= 0)
			r = gen_client(mf, &o, &out);
		if (r < 0) {
			printf("FAIL spec: %s: %s %s\n", c->what, strerror(-r), err.text);
			failed++;
			continue;
		}
		for (size_t j = 0; !bad && j < ELEMENTSOF(c->present) && c->present[j]; j++)
			if (!strstr(out.buf, c->present[j]))
				bad = c->present[j];
		for (size_t j = 0; !bad && j < ELEMENTSOF(c->absent) && c->absent[j]; j++)
			if (strstr(out.buf, c->absent[j]))
				bad = c->absent[j];
		if (bad) {
			printf("FAIL spec: %s: %s\n%s\n", c->what, bad, verbose ? out.buf : "");
			failed++;
			continue;
		}
		passed++;
	}
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_command(const char *corpus, const char *command, const char *only)
{
	_cleanup_buf_ struct buf dir = BUF_INIT(4096);
	DIR *d;
	struct dirent *de;
	int r;

	r = buf_addf(&dir, "%s/persist-tools/%s", corpus, command);
	if (r < 0)
		return r;
	d = opendir(dir.buf);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		_cleanup_buf_ struct buf store = BUF_INIT(4096);
		char *names[512];
		size_t n = 0;
		DIR *sd;
		struct dirent *ce;
		if (de->d_name[0] == '.')
			continue;
		r = buf_addf(&store, "%s/%s", dir.buf, de->d_name);
		if (r < 0)
			break;
		sd = opendir(store.buf);
		if (!sd)
			continue;
		while ((ce = readdir(sd)) && n < ELEMENTSOF(names))
			if (ce->d_name[0] != '.')
				names[n++] = strdup(ce->d_name);
		closedir(sd);
		qsort(names, n, sizeof(names[0]), cmp_names);
		for (size_t i = 0; i < n; i++) {
			_cleanup_buf_ struct buf c = BUF_INIT(4096);
			if (names[i] && (!only || streq(only, names[i])) &&
			    buf_addf(&c, "%s/%s", store.buf, names[i]) >= 0 && is_dir(c.buf))
				r = run_case(c.buf, names[i], streq(command, "build"));
			free(names[i]);
		}
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int main(int argc, char **argv)
{
	const char *corpus = getenv("PERSIST_CONFORMANCE_DIR");
	const char *only = argc > 1 ? argv[1] : NULL;
	_cleanup_buf_ struct buf p = BUF_INIT(4096);
	int r;

	verbose = getenv("VERBOSE") != NULL;
	if (!only)
		run_spec_checks();
	if (!corpus || buf_addf(&p, "%s/persist-tools/generate", corpus) < 0 || !is_dir(p.buf)) {
		printf("gen-client: corpus not found, skipping it (%u passed, %u failed)\n", passed,
		       failed);
		return failed ? 1 : 77;
	}
	r = run_command(corpus, "generate", only);
	if (r >= 0)
		r = run_command(corpus, "build", only);
	if (r < 0) {
		printf("gen-client: %s\n", strerror(-r));
		return 99;
	}
	if (disabled_passed || disabled_failed)
		printf("gen-client: cases disabled upstream (not counted): %u passed, %u failed\n",
		       disabled_passed, disabled_failed);
	printf("gen-client: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
