/* Migration planning (models/migrate-diff.c) and the migrate command (models/migrate.c). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
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
#include "models/ast.h"
#include "models/gen.h"
#include "models/migrate.h"
#include "models/parser.h"
#include "models/project.h"

#define HEAD "import ballerina/persist as _;\nimport ballerinax/persist.sql;\n"

static struct model_file *parse(const char *text)
{
	struct model_file *mf = NULL;
	struct pd_error e;

	assert_int_equal(model_parse(text, strlen(text), "model.bal", 0, &mf, &e), 0);
	return mf;
}

/* The statements of a MySQL migration from prev to cur, joined. */
static char *plan_text(const char *prev, const char *cur, enum datastore d, size_t *ret_n)
{
	struct model_file *p = parse(prev), *c = parse(cur);
	struct migrate_plan plan = { 0 };
	struct buf b = BUF_INIT(1 << 20);
	struct pd_error e;
	char *s;

	assert_int_equal(migrate_plan_build(p, c, d, &plan, &e), 0);
	for (size_t i = 0; i < plan.n_statements; i++)
		assert_int_equal(buf_adds(&b, plan.statements[i]), 0);
	if (ret_n)
		*ret_n = plan.n_differences;
	s = strdup(b.buf);
	buf_release(&b);
	migrate_plan_release(&plan);
	model_file_free(p);
	model_file_free(c);
	return s;
}

static void test_no_difference(void **state)
{
	const char *m = HEAD "type A record {| readonly int id; B[] bs; |};\n"
			     "type B record {| readonly int id; A a; |};\n";
	size_t n = 1;
	char *s = plan_text(m, m, DATASTORE_MYSQL, &n);
	(void)state;

	assert_string_equal(s, "");
	assert_int_equal(n, 0);
	free(s);
}

static void test_primary_key_set_order(void **state)
{
	/* The primary-key set is a HashSet: Test8, Test6, Test3 whatever the model order. */
	char *s = plan_text(HEAD "type Test3 record {| readonly int id; string nic; |};\n"
				 "type Test6 record {| readonly int id; string nic; |};\n"
				 "type Test8 record {| readonly int id; readonly string nic; |};\n",
			    HEAD "type Test3 record {| readonly int id; readonly string nic; |};\n"
				 "type Test6 record {| readonly int id; readonly string nic; |};\n"
				 "type Test8 record {| readonly string nic; |};\n",
			    DATASTORE_MYSQL, NULL);
	(void)state;

	assert_string_equal(s, "ALTER TABLE Test8\nDROP PRIMARY KEY;\n"
			       "ALTER TABLE Test6\nDROP PRIMARY KEY;\n"
			       "ALTER TABLE Test3\nDROP PRIMARY KEY;\n"
			       "ALTER TABLE Test8\nDROP COLUMN id;\n"
			       "ALTER TABLE Test8\nADD PRIMARY KEY (nic);\n"
			       "ALTER TABLE Test6\nADD PRIMARY KEY (id, nic);\n"
			       "ALTER TABLE Test3\nADD PRIMARY KEY (id, nic);\n");
	free(s);
}

static void test_foreign_keys(void **state)
{
	/* Only the column of the key changed: a rename, no constraint work. */
	char *s =
		plan_text(HEAD "type P record {| readonly int id; C[] cs; |};\n"
			       "type C record {| readonly int id; int pid; @sql:Relation {keys: "
			       "[\"pid\"]} P p; |};\n",
			  HEAD "type P record {| readonly int id; C[] cs; |};\n"
			       "type C record {| readonly int id; @sql:Name {value: \"p_id\"} int "
			       "pid; @sql:Relation {keys: [\"pid\"]} P p; |};\n",
			  DATASTORE_MYSQL, NULL);
	(void)state;

	assert_string_equal(s, "ALTER TABLE C\nRENAME COLUMN pid TO p_id;\n");
	free(s);

	/* A new owner relation: its columns take the referenced key's type without its
	 * @constraint:String length. */
	s = plan_text(HEAD "import ballerina/constraint;\n"
			   "type P record {| @constraint:String {maxLength: 10} readonly string "
			   "code; |};\n"
			   "type C record {| readonly int id; |};\n",
		      HEAD "import ballerina/constraint;\n"
			   "type P record {| @constraint:String {maxLength: 10} readonly string "
			   "code; C[] cs; |};\n"
			   "type C record {| readonly int id; P owner; |};\n",
		      DATASTORE_MYSQL, NULL);
	assert_string_equal(s, "ALTER TABLE C\nADD COLUMN ownerCode VARCHAR(191) NOT NULL;\n"
			       "ALTER TABLE C\nADD CONSTRAINT FK_C_P FOREIGN KEY (ownerCode) "
			       "REFERENCES P(code);\n");
	free(s);

	/* PostgreSQL: the foreign key goes with its columns, and a 1-1 key is unique. */
	s = plan_text(HEAD "type P record {| readonly int id; C? c; |};\n"
			   "type C record {| readonly int id; P p; |};\n",
		      HEAD "type P record {| readonly int id; C? c; |};\n"
			   "type C record {| readonly int id; P holder; |};\n",
		      DATASTORE_POSTGRESQL, NULL);
	assert_string_equal(s, "ALTER TABLE \"C\"\nDROP COLUMN \"pId\";\n"
			       "ALTER TABLE \"C\"\nADD COLUMN \"holderId\" INT UNIQUE NOT NULL;\n"
			       "ALTER TABLE \"C\"\nADD FOREIGN KEY (\"holderId\") REFERENCES "
			       "\"P\"(\"id\");\n");
	free(s);
}

static void test_enum_column(void **state)
{
	/* Upstream cannot type an enum column here; persistd writes the enum type. */
	char *s = plan_text(HEAD "enum E { A, B = \"b\" }\ntype T record {| readonly int id; |};\n",
			    HEAD "enum E { A, B = \"b\" }\n"
				 "type T record {| readonly int id; E e; |};\n",
			    DATASTORE_MYSQL, NULL);
	(void)state;

	assert_string_equal(s, "ALTER TABLE T\nADD COLUMN e ENUM('A', 'b') NOT NULL;\n");
	free(s);
}

static void test_indexes(void **state)
{
	/* A renamed table drops its indexes under the old name and adds them under the new. */
	char *s = plan_text(HEAD "type T record {| readonly int id; @sql:Index string a; |};\n",
			    HEAD "@sql:Name {value: \"tt\"}\n"
				 "type T record {| readonly int id; @sql:Index string a; |};\n",
			    DATASTORE_MYSQL, NULL);
	(void)state;

	assert_string_equal(s, "RENAME TABLE T TO tt;\n"
			       "DROP INDEX idx_a ON T;\n"
			       "CREATE INDEX idx_a ON tt(a);\n");
	free(s);
}

static void test_extraction(void **state)
{
	struct model_file *mf = parse("type T record {| readonly int id; |};\n");
	struct pd_error e;
	(void)state;

	assert_int_equal(migrate_check_extractable(mf, &e), -EBADMSG);
	assert_string_equal(e.text, "no `import ballerina/persist as _;` statement found.");
	model_file_free(mf);
	mf = parse("import ballerina/persist as _;\n");
	assert_int_equal(migrate_check_extractable(mf, &e), -EBADMSG);
	assert_string_equal(e.text, "all entities contain at least one unsupported data type.");
	model_file_free(mf);
}

static void test_out_of_memory(void **state)
{
	struct model_file *p = parse(HEAD "type A record {| readonly int id; string a; @sql:Index "
					  "string b; B[] bs; |};\n"
					  "type B record {| readonly int id; A a; |};\n"
					  "type Gone record {| readonly int id; |};\n");
	struct model_file *c =
		parse(HEAD "@sql:Name {value: \"aa\"} type A record {| readonly "
			   "int id; readonly int k; @sql:Name {value: \"x\"} string "
			   "a; @sql:UniqueIndex string b; B[] bs; |};\n"
			   "type B record {| readonly int id; string? n; A owner; |};\n"
			   "type New record {| readonly int id; |};\n");
	(void)state;

	/* Every allocation failure ends in -ENOMEM with nothing leaked (ASan checks the rest),
	 * until there are enough allocations for the plan. */
	for (int d = 0; d < 2; d++) {
		enum datastore ds = d ? DATASTORE_POSTGRESQL : DATASTORE_MYSQL;
		for (long n = 0;; n++) {
			struct migrate_plan plan = { 0 };
			struct pd_error e;
			int r;

			alloc_fail_after(n);
			r = migrate_plan_build(p, c, ds, &plan, &e);
			alloc_fail_after(-1);
			if (r == 0) {
				assert_true(plan.n_statements > 10);
				migrate_plan_release(&plan);
				break;
			}
			assert_int_equal(r, -ENOMEM);
			assert_null(plan.statements);
		}
	}
	model_file_free(p);
	model_file_free(c);
}

/* ---- migrate_model against a project -------------------------------------------------------- */

static char project[PATH_MAX];

static void write_text(const char *rel, const char *text)
{
	char p[PATH_MAX * 2], dir[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", project, rel);
	snprintf(dir, sizeof(dir), "%s", p);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_parents(dir, 0755), 0);
	assert_true(write_file_atomic(p, text, strlen(text), 0644, false) >= 0);
}

static bool exists(const char *rel)
{
	char p[PATH_MAX * 2];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", project, rel);
	return stat(p, &st) == 0;
}

static int run(const char *model, const char *label, const char *ds, time_t now,
	       struct migrate_result *ret, struct pd_error *e)
{
	struct migrate_options o = {
		.label = label, .model = model, .datastore = ds, .now = now, .display_dir = ""
	};
	return migrate_model(project, &o, ret, e);
}

static int setup_project(void **state)
{
	(void)state;
	snprintf(project, sizeof(project), "/tmp/test-migrate.XXXXXX");
	if (!mkdtemp(project))
		return -1;
	write_text("Ballerina.toml", "[package]\nname = \"shop\"\n");
	return 0;
}

static int teardown_project(void **state)
{
	char cmd[PATH_MAX + 16];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", project);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_first_and_next(void **state)
{
	struct migrate_result r = { 0 };
	struct pd_error e;
	(void)state;

	write_text("persist/model.bal", HEAD "type A record {| readonly int id; |};\n");
	/* 2026-02-12 08:36:56 UTC */
	assert_int_equal(run(NULL, "first", NULL, 1770885416, &r, &e), 0);
	assert_true(r.first);
	assert_string_equal(r.directory, "persist/migrations/20260212083656_first");
	assert_int_equal(r.files.n, 2);
	assert_string_equal(r.files.items[0].path,
			    "persist/migrations/20260212083656_first/script.sql");
	assert_int_equal(r.n_differences, 1);
	assert_string_equal(r.differences[0], "Table A has been added");
	assert_non_null(strstr(r.messages.buf, "-- Table A has been added\n"));
	assert_true(exists("persist/migrations/20260212083656_first/model.bal"));
	migrate_result_release(&r);

	/* Unchanged: nothing is written. */
	assert_int_equal(run(NULL, "same", NULL, 1770885500, &r, &e), 0);
	assert_string_equal(r.directory, "");
	assert_int_equal(r.files.n, 0);
	assert_non_null(strstr(r.messages.buf, "-- No differences found\n"));
	assert_false(exists("persist/migrations/20260212083820_same"));
	migrate_result_release(&r);

	write_text("persist/model.bal", HEAD "type A record {| readonly int id; string s; |};\n");
	assert_int_equal(run(NULL, "second", "postgresql", 1770885600, &r, &e), 0);
	assert_false(r.first);
	assert_string_equal(r.differences[0], "Column s of type string has been added to table A");
	assert_true(exists("persist/migrations/20260212084000_second/script.sql"));
	migrate_result_release(&r);

	/* The same label in the same second is refused rather than overwritten. */
	assert_int_equal(run(NULL, "second", NULL, 1770885600, &r, &e), -EEXIST);
}

static void test_named_models(void **state)
{
	struct migrate_result r = { 0 };
	struct pd_error e;
	(void)state;

	/* A file-layout model keeps its migrations in persist/<name>/migrations. */
	write_text("persist/users.bal", HEAD "type U record {| readonly int id; |};\n");
	assert_int_equal(run("users", "init", NULL, 1770885416, &r, &e), 0);
	assert_string_equal(r.directory, "persist/users/migrations/20260212083656_init");
	assert_string_equal(r.model_path, "persist/users.bal");
	migrate_result_release(&r);
	assert_true(exists("persist/users/migrations/20260212083656_init/model.bal"));
	assert_int_equal(run("nobody", "x", NULL, 0, &r, &e), -ENOENT);
}

static void test_command_out_of_memory(void **state)
{
	(void)state;

	/* A first migration of a named model, then a second one: a failed run returns -ENOMEM
	 * and leaves no directory that the next run would take for a migration. */
	for (int step = 0; step < 2; step++) {
		const char *dir = step ? "persist/users/migrations/20260212084000_b"
				       : "persist/users/migrations/20260212083656_a";
		write_text("persist/users.bal",
			   step ? HEAD "type U record {| readonly int id; string s; |};\n"
				: HEAD "type U record {| readonly int id; |};\n");
		for (long n = 0;; n++) {
			struct migrate_result r = { 0 };
			struct pd_error e;
			int k;

			alloc_fail_after(n);
			k = run("users", step ? "b" : "a", NULL, step ? 1770885600 : 1770885416, &r,
				&e);
			alloc_fail_after(-1);
			if (k == 0) {
				migrate_result_release(&r);
				break;
			}
			assert_int_equal(k, -ENOMEM);
			assert_false(exists(dir));
			if (!step)
				assert_false(exists("persist/users"));
		}
		assert_true(exists(dir));
	}
}

static void test_errors(void **state)
{
	struct migrate_result r = { 0 };
	struct pd_error e;
	(void)state;

	write_text("persist/model.bal", HEAD "type A record {| readonly int id; |};\n");
	assert_int_equal(run(NULL, NULL, NULL, 0, &r, &e), -EINVAL);
	assert_non_null(strstr(e.text, "migration label is not provided"));
	assert_int_equal(run(NULL, "a/b", NULL, 0, &r, &e), -EINVAL);
	assert_int_equal(run(NULL, "..", NULL, 0, &r, &e), -EINVAL);
	assert_int_equal(run(NULL, "x", "redis", 0, &r, &e), -EINVAL);
	assert_string_equal(e.text,
			    "Error: invalid datastore: redis. currently only MySQL is supported.");

	/* A migrations directory without a previous model. */
	write_text("persist/migrations/20240101000000_a/notes.txt", "x");
	assert_int_equal(run(NULL, "x", NULL, 0, &r, &e), -ENOENT);
	assert_non_null(strstr(e.text, "no previous model file found"));

	/* Several directories, one not named by a timestamp: an error, nothing written. */
	write_text("persist/migrations/junk/model.bal", HEAD);
	assert_int_equal(run(NULL, "x", NULL, 1770885416, &r, &e), -EBADMSG);
	assert_non_null(strstr(e.text, "'junk'"));
	assert_false(exists("persist/migrations/20260212083656_x"));

	/* A model extraction rejects. */
	write_text("persist/other.bal", "type T record {| readonly int id; |};\n");
	assert_int_equal(run("other", "x", NULL, 0, &r, &e), -EBADMSG);
	assert_string_equal(e.text, "Error getting entities: no `import ballerina/persist as _;` "
				    "statement found.");
	assert_false(exists("persist/other/migrations"));
}

/* ---- the upstream corpus, byte for byte ----------------------------------------------------- */

static bool read_text(const char *path, struct buf *b)
{
	buf_reset(b);
	return read_file_capped(path, 1 << 20, b) >= 0;
}

/* The directory of mig whose name ends in "_<label>", into out. */
static bool find_label_dir(const char *mig, const char *label, char *out, size_t size)
{
	DIR *d = opendir(mig);
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		const char *us = strchr(de->d_name, '_');
		if (us && strcmp(us + 1, label) == 0) {
			snprintf(out, size, "%s/%s", mig, de->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* The newest directory of mig, into out ("" when there is none). */
static void newest_dir(const char *mig, char *out, size_t size)
{
	DIR *d = opendir(mig);
	struct dirent *de;
	char best[NAME_MAX + 1] = "";

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", de->d_name);
	if (d)
		closedir(d);
	if (best[0])
		snprintf(out, size, "%s/%s", mig, best);
	else
		out[0] = '\0';
}

/* One model of a case: input/<rel>/model.bal with input/<rel>/migrations, expected in
 * expected/<rel>/migrations/<ts>_<label>/script.sql. */
static unsigned check_case_model(const char *dir, const char *rel, const char *label)
{
	char path[PATH_MAX * 2], mig[PATH_MAX * 2], prev_dir[PATH_MAX * 3], exp_dir[PATH_MAX * 3];
	struct buf cur = BUF_INIT(1 << 20), prev = BUF_INIT(1 << 20), exp = BUF_INIT(1 << 20);
	struct buf out = BUF_INIT(1 << 20);
	unsigned checked = 0;

	snprintf(path, sizeof(path), "%s/input/%s/model.bal", dir, rel);
	snprintf(mig, sizeof(mig), "%s/expected/%s/migrations", dir, rel);
	if (!read_text(path, &cur) || !find_label_dir(mig, label, exp_dir, sizeof(exp_dir)))
		goto done;
	snprintf(path, sizeof(path), "%s/script.sql", exp_dir);
	assert_true(read_text(path, &exp));
	snprintf(mig, sizeof(mig), "%s/input/%s/migrations", dir, rel);
	newest_dir(mig, prev_dir, sizeof(prev_dir));
	if (!prev_dir[0]) {
		struct model_file *mf = parse(cur.buf);
		assert_int_equal(gen_sql_script(mf, DATASTORE_MYSQL, "the migrate command", &out),
				 0);
		model_file_free(mf);
	} else {
		struct model_file *p, *c = parse(cur.buf);
		struct migrate_plan plan = { 0 };
		struct pd_error e;

		snprintf(path, sizeof(path), "%s/model.bal", prev_dir);
		assert_true(read_text(path, &prev));
		p = parse(prev.buf);
		assert_int_equal(migrate_plan_build(p, c, DATASTORE_MYSQL, &plan, &e), 0);
		assert_int_equal(migrate_plan_script(&plan, &out), 0);
		migrate_plan_release(&plan);
		model_file_free(p);
		model_file_free(c);
	}
	if (strcmp(out.buf, exp.buf) != 0) {
		print_error("%s (%s): script.sql differs\n--- got ---\n%s--- expected ---\n%s", dir,
			    label, out.buf, exp.buf);
		fail();
	}
	checked = 1;
done:
	buf_release(&cur);
	buf_release(&prev);
	buf_release(&exp);
	buf_release(&out);
	return checked;
}

static void test_corpus_bytes(void **state)
{
	const char *corpus = getenv("PERSIST_CONFORMANCE_DIR");
	char root[PATH_MAX];
	struct dirent *de;
	unsigned checked = 0;
	DIR *d;
	(void)state;

	if (!corpus || !*corpus)
		skip();
	snprintf(root, sizeof(root), "%s/persist-tools/migrate/mysql", corpus);
	d = opendir(root);
	if (!d)
		skip();
	while ((de = readdir(d))) {
		char dir[PATH_MAX * 2], path[PATH_MAX * 3], label[256], model[256];
		struct buf json = BUF_INIT(1 << 20);
		const char *p;

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, de->d_name);
		snprintf(path, sizeof(path), "%s/case.json", dir);
		assert_true(read_text(path, &json));
		/* Each invocation's argv is [label] or ["--model", m, label]. */
		for (p = json.buf; (p = strstr(p, "\"argv\": [")); p++) {
			const char *q = p + strlen("\"argv\": [");
			char rel[300] = "persist";

			model[0] = '\0';
			if (sscanf(q, " \"--model\", \"%255[^\"]\", \"%255[^\"]\"", model, label) ==
			    2)
				snprintf(rel, sizeof(rel), "persist/%s", model);
			else if (sscanf(q, " \"%255[^\"]\"", label) != 1)
				continue;
			checked += check_case_model(dir, rel, label);
		}
		buf_release(&json);
	}
	closedir(d);
	print_message("%u migration scripts byte for byte\n", checked);
	assert_true(checked > 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_difference),
		cmocka_unit_test(test_primary_key_set_order),
		cmocka_unit_test(test_foreign_keys),
		cmocka_unit_test(test_enum_column),
		cmocka_unit_test(test_indexes),
		cmocka_unit_test(test_extraction),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test_setup_teardown(test_first_and_next, setup_project,
						teardown_project),
		cmocka_unit_test_setup_teardown(test_named_models, setup_project, teardown_project),
		cmocka_unit_test_setup_teardown(test_command_out_of_memory, setup_project,
						teardown_project),
		cmocka_unit_test_setup_teardown(test_errors, setup_project, teardown_project),
		cmocka_unit_test(test_corpus_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
