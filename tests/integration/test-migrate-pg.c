/* PostgreSQL migrations against a real server: for each pair of model versions, a schema built
 * from the previous model's script.sql and then migrated must equal a schema built from the new
 * model's script.sql: the same tables, columns (type, length, precision, nullability, generated
 * or not), constraints (primary keys, foreign keys, unique and check constraints, compared by
 * definition since their names are the server's choice) and indexes.
 *
 * The pairs are the hand-written scenarios below and, when PERSIST_CONFORMANCE_DIR is set, every
 * previous/current model pair of the upstream migrate corpus. Exits 77 unless tests/servers.sh
 * started PostgreSQL (PERSISTD_TEST_PG_*). */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/fileio.h"
#include "models/ast.h"
#include "models/gen.h"
#include "models/migrate.h"
#include "models/parser.h"

static PGconn *conn;

static void exec_ok(const char *sql, const char *what)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		print_error("%s failed: %s\n--- script ---\n%s\n", what, PQerrorMessage(conn), sql);
		PQclear(r);
		fail();
	}
	PQclear(r);
}

static void use_schema(const char *schema)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s; SET search_path TO %s",
		 schema, schema, schema);
	exec_ok(sql, "schema reset");
}

/* One query's rows, tab-separated, one line each, appended to out. */
static void add_rows(struct buf *out, const char *schema, const char *sql)
{
	const char *params[1] = { schema };
	PGresult *r = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		print_error("describe failed: %s\n", PQerrorMessage(conn));
		PQclear(r);
		fail();
	}
	for (int i = 0; i < PQntuples(r); i++) {
		for (int k = 0; k < PQnfields(r); k++)
			assert_int_equal(buf_addf(out, "%s%s", k ? "\t" : "", PQgetvalue(r, i, k)),
					 0);
		assert_int_equal(buf_addc(out, '\n'), 0);
	}
	PQclear(r);
}

/* What makes two schemas equal, with the schema's own name left out. */
static void describe(const char *schema, struct buf *out)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SET search_path TO %s", schema);
	exec_ok(sql, "search_path");
	add_rows(out, schema,
		 "SELECT 'table', table_name FROM information_schema.tables "
		 "WHERE table_schema = $1 ORDER BY 2");
	add_rows(out, schema,
		 "SELECT 'column', table_name, column_name, data_type, "
		 "coalesce(character_maximum_length::text, ''), "
		 "coalesce(numeric_precision::text, ''), coalesce(numeric_scale::text, ''), "
		 "is_nullable, (coalesce(column_default, '') LIKE 'nextval(%' OR is_identity = "
		 "'YES')::text FROM information_schema.columns WHERE table_schema = $1 "
		 "ORDER BY 2, 3");
	add_rows(out, schema,
		 "SELECT 'constraint', t.relname, c.contype, pg_get_constraintdef(c.oid) "
		 "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
		 "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1 "
		 "AND c.contype IN ('p', 'f', 'u', 'c') ORDER BY 2, 3, 4");
	add_rows(out, schema,
		 "SELECT 'index', t.relname, i.relname, "
		 "replace(pg_get_indexdef(i.oid), n.nspname || '.', '') "
		 "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
		 "JOIN pg_class t ON t.oid = x.indrelid "
		 "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1 "
		 "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
		 "ORDER BY 2, 3");
}

static struct model_file *parse(const char *text, const char *what)
{
	struct model_file *mf = NULL;
	struct pd_error e;

	if (model_parse(text, strlen(text), what, 0, &mf, &e) < 0) {
		print_error("%s: %u:%u: %s\n", what, e.line, e.column, e.text);
		fail();
	}
	return mf;
}

static void apply_script(const struct model_file *mf, const char *schema, const char *what)
{
	struct buf b = BUF_INIT(BUF_MAX_DEFAULT);

	use_schema(schema);
	assert_int_equal(gen_sql_script(mf, DATASTORE_POSTGRESQL, "the migrate command", &b), 0);
	exec_ok(b.buf, what);
	buf_release(&b);
}

/* Build prev, migrate it to cur, and compare with cur built from scratch. */
static void check_pair(const char *prev_text, const char *cur_text, const char *what)
{
	struct model_file *prev = parse(prev_text, what), *cur = parse(cur_text, what);
	struct migrate_plan plan = { 0 };
	struct buf script = BUF_INIT(BUF_MAX_DEFAULT);
	struct buf migrated = BUF_INIT(BUF_MAX_DEFAULT), fresh = BUF_INIT(BUF_MAX_DEFAULT);
	struct pd_error e;

	apply_script(prev, "migrate_check_old", what);
	assert_int_equal(migrate_plan_build(prev, cur, DATASTORE_POSTGRESQL, &plan, &e), 0);
	assert_int_equal(migrate_plan_script(&plan, &script), 0);
	if (plan.n_statements > 0)
		exec_ok(script.buf, what);
	apply_script(cur, "migrate_check_new", what);
	describe("migrate_check_old", &migrated);
	describe("migrate_check_new", &fresh);
	/* Both sides describe something: an empty description would match anything. */
	assert_non_null(strstr(fresh.buf, "column\t"));
	assert_non_null(strstr(fresh.buf, "constraint\t"));
	if (strcmp(migrated.buf, fresh.buf) != 0) {
		print_error("%s: migrated schema differs\n--- migration ---\n%s--- migrated ---\n%s"
			    "--- expected ---\n%s",
			    what, script.buf, migrated.buf, fresh.buf);
		fail();
	}
	buf_release(&script);
	buf_release(&migrated);
	buf_release(&fresh);
	migrate_plan_release(&plan);
	model_file_free(prev);
	model_file_free(cur);
}

#define HEAD "import ballerina/persist as _;\nimport ballerinax/persist.sql;\n"

static void test_columns(void **state)
{
	(void)state;
	check_pair(HEAD "type A record {| readonly int id; string name; int age; float f; |};\n"
			"type B record {| readonly int id; |};\n",
		   HEAD
		   "type A record {| readonly int id; @sql:Name {value: \"full_name\"} string "
		   "name; string? age; @sql:Decimal {precision: [10, 2]} decimal f; "
		   "time:Date born; byte[]? photo; boolean ok; |};\n"
		   "type C record {| readonly string code; @sql:Varchar {length: 12} string x; "
		   "|};\n",
		   "columns");
}

static void test_keys(void **state)
{
	(void)state;
	check_pair(HEAD "type P record {| readonly int id; string nic; string name; |};\n"
			"type Q record {| readonly int id; readonly string code; |};\n"
			"type R record {| readonly int id; |};\n",
		   HEAD "type P record {| readonly int id; readonly string nic; string name; |};\n"
			"type Q record {| readonly int id; |};\n"
			"type R record {| @sql:Generated readonly int rid; |};\n",
		   "keys");
	check_pair(HEAD "type S record {| @sql:Generated readonly int id; string s; |};\n",
		   HEAD "type S record {| readonly int id; string s; |};\n", "generated off");
	check_pair(HEAD "type S record {| readonly int id; string s; |};\n",
		   HEAD "type S record {| @sql:Generated readonly int id; string s; |};\n",
		   "generated on");
	/* A referenced key changes type: the foreign key is rebuilt on the new type. */
	check_pair(HEAD "type P record {| readonly int id; C[] cs; |};\n"
			"type C record {| readonly int id; P p; |};\n",
		   HEAD "type P record {| readonly string id; C[] cs; |};\n"
			"type C record {| readonly int id; P p; |};\n",
		   "referenced key type");
}

static void test_relations(void **state)
{
	(void)state;
	/* 1-n added, 1-1 added (unique foreign key), composite key referenced */
	check_pair(HEAD "type Person record {| readonly int id; readonly string nic; |};\n"
			"type Car record {| readonly int id; |};\n"
			"type Licence record {| readonly int id; |};\n",
		   HEAD "type Person record {| readonly int id; readonly string nic; Car[] cars; "
			"Licence? licence; |};\n"
			"type Car record {| readonly int id; Person owner; |};\n"
			"type Licence record {| readonly int id; Person holder; |};\n",
		   "relations added");
	/* relation removed, renamed, keys changed by @sql:Relation */
	check_pair(HEAD "type Person record {| readonly int id; Car[] cars; Bike[] bikes; |};\n"
			"type Car record {| readonly int id; Person owner; |};\n"
			"type Bike record {| readonly int id; Person rider; |};\n",
		   HEAD "type Person record {| readonly int id; Car[] cars; |};\n"
			"type Car record {| readonly int id; int ref; @sql:Relation {keys: "
			"[\"ref\"]} Person driver; |};\n"
			"type Bike record {| readonly int id; |};\n",
		   "relations changed");
	/* a referenced table dropped, a table renamed */
	check_pair(HEAD "type Person record {| readonly int id; Car[] cars; |};\n"
			"type Car record {| readonly int id; Person owner; |};\n"
			"type Old record {| readonly int id; |};\n",
		   HEAD "@sql:Name {value: \"vehicles\"} type Car record {| readonly int id; |};\n"
			"type Old record {| readonly int id; |};\n",
		   "tables dropped and renamed");
	/* new tables referencing each other and a renamed table */
	check_pair(HEAD "type Person record {| readonly int id; |};\n",
		   HEAD "type Ticket record {| readonly int id; Event event; |};\n"
			"type Event record {| readonly int id; Ticket[] tickets; Person host; |};\n"
			"@sql:Name {value: \"people\"} type Person record {| readonly int id; "
			"Event[] events; |};\n",
		   "tables created in dependency order");
}

static void test_enums_and_indexes(void **state)
{
	(void)state;
	check_pair(HEAD "enum Colour { RED, GREEN }\n"
			"type T record {| readonly int id; string c; @sql:Index string a; "
			"@sql:UniqueIndex {name: \"u\"} string b; |};\n",
		   HEAD "enum Colour { RED, GREEN, BLUE = \"blue\" }\n"
			"type T record {| readonly int id; Colour c; Colour? d; @sql:Index {name: "
			"[\"idx_a\", \"ab\"]} string a; @sql:UniqueIndex {name: \"u\"} @sql:Index "
			"{name: \"ab\"} string b; |};\n",
		   "enums and indexes");
	check_pair(HEAD "enum Colour { RED, GREEN }\n"
			"type T record {| readonly int id; Colour c; |};\n",
		   HEAD "type T record {| readonly int id; string c; |};\n", "enum to string");
}

/* The command end to end: two migrations written into a project, their script.sql files run in
 * order on an empty schema, give the schema of the last model. */
static void write_model(const char *project, const char *text)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/persist/users.bal", project);
	assert_true(write_file_atomic(p, text, strlen(text), 0644, false) >= 0);
}

static void run_migration(const char *project, const char *label, time_t now)
{
	struct migrate_options o = {
		.label = label, .model = "users", .datastore = "postgresql", .now = now
	};
	struct migrate_result res = { 0 };
	struct buf script = BUF_INIT(BUF_MAX_DEFAULT);
	struct pd_error e;
	char p[PATH_MAX * 2];

	if (migrate_model(project, &o, &res, &e) < 0) {
		print_error("migrate %s: %s\n", label, e.text);
		fail();
	}
	snprintf(p, sizeof(p), "%s/%s/script.sql", project, res.directory);
	assert_true(read_file_capped(p, 1 << 20, &script) >= 0);
	exec_ok(script.buf, label);
	buf_release(&script);
	migrate_result_release(&res);
}

static void test_command(void **state)
{
	const char *v2 =
		HEAD "type User record {| readonly int id; string name; Post[] posts; |};\n"
		     "type Post record {| readonly int id; @sql:Varchar {length: 80} string "
		     "title; User author; |};\n";
	char project[] = "/tmp/test-migrate-pg.XXXXXX", p[PATH_MAX];
	struct buf migrated = BUF_INIT(BUF_MAX_DEFAULT), fresh = BUF_INIT(BUF_MAX_DEFAULT);
	struct model_file *mf;
	(void)state;

	assert_non_null(mkdtemp(project));
	snprintf(p, sizeof(p), "%s/persist", project);
	assert_int_equal(mkdir_parents(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/Ballerina.toml", project);
	assert_true(write_file_atomic(p, "[package]\nname = \"app\"\n", 23, 0644, false) >= 0);

	use_schema("migrate_check_old");
	write_model(project, HEAD "type User record {| readonly int id; string name; |};\n");
	run_migration(project, "first", 1770885416);
	write_model(project, v2);
	run_migration(project, "second", 1770885500);
	mf = parse(v2, "command");
	apply_script(mf, "migrate_check_new", "command");
	model_file_free(mf);
	describe("migrate_check_old", &migrated);
	describe("migrate_check_new", &fresh);
	assert_string_equal(migrated.buf, fresh.buf);
	buf_release(&migrated);
	buf_release(&fresh);
	snprintf(p, sizeof(p), "rm -rf '%s'", project);
	assert_int_equal(system(p), 0);
}

/* ---- the upstream corpus's model pairs ------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool read_text(const char *path, struct buf *b)
{
	return read_file_capped(path, 1 << 20, b) >= 0;
}

/* The model of the latest migration in mig (a sorted listing's last directory). */
static bool previous_model(const char *mig, struct buf *text)
{
	char *names[64], path[PATH_MAX * 2];
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(mig);
	bool ok = false;

	if (!d)
		return false;
	while ((de = readdir(d)) && n < 64)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	if (n > 0) {
		snprintf(path, sizeof(path), "%s/%s/model.bal", mig, names[n - 1]);
		ok = read_text(path, text);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return ok;
}

static void check_corpus_dir(const char *model_dir, const char *label, unsigned *count)
{
	char mig[PATH_MAX], model[PATH_MAX];
	struct buf prev = BUF_INIT(1 << 20), cur = BUF_INIT(1 << 20);
	struct stat st;

	snprintf(mig, sizeof(mig), "%s/migrations", model_dir);
	snprintf(model, sizeof(model), "%s/model.bal", model_dir);
	if (stat(mig, &st) == 0 && S_ISDIR(st.st_mode) && previous_model(mig, &prev) &&
	    read_text(model, &cur)) {
		check_pair(prev.buf, cur.buf, label);
		(*count)++;
	}
	buf_release(&prev);
	buf_release(&cur);
}

static void test_corpus(void **state)
{
	const char *corpus = getenv("PERSIST_CONFORMANCE_DIR");
	char root[PATH_MAX];
	struct dirent *de;
	unsigned count = 0;
	DIR *d;
	(void)state;

	if (!corpus || !*corpus)
		skip();
	snprintf(root, sizeof(root), "%s/persist-tools/migrate/mysql", corpus);
	d = opendir(root);
	if (!d)
		skip();
	while ((de = readdir(d))) {
		char persist[PATH_MAX + 300], sub[PATH_MAX * 2];
		struct dirent *me;
		DIR *pd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(persist, sizeof(persist), "%s/%s/input/persist", root, de->d_name);
		check_corpus_dir(persist, de->d_name, &count);
		pd = opendir(persist);
		while (pd && (me = readdir(pd))) {
			if (me->d_name[0] == '.' || strcmp(me->d_name, "migrations") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", persist, me->d_name);
			check_corpus_dir(sub, de->d_name, &count);
		}
		if (pd)
			closedir(pd);
	}
	closedir(d);
	print_message("%u corpus model pairs migrated\n", count);
	assert_true(count > 0);
}

static int setup(void **state)
{
	char conninfo[1024];
	(void)state;

	snprintf(conninfo, sizeof(conninfo),
		 "host=%s port=%s user=%s password=%s dbname=persist connect_timeout=5",
		 getenv("PERSISTD_TEST_PG_HOST"), getenv("PERSISTD_TEST_PG_PORT"),
		 getenv("PERSISTD_TEST_PG_USER"), getenv("PERSISTD_TEST_PG_PASSWORD"));
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		print_error("cannot connect: %s\n", PQerrorMessage(conn));
		return -1;
	}
	exec_ok("SET client_min_messages TO warning", "settings");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (PQstatus(conn) == CONNECTION_OK)
		exec_ok("DROP SCHEMA IF EXISTS migrate_check_old CASCADE; "
			"DROP SCHEMA IF EXISTS migrate_check_new CASCADE",
			"cleanup");
	PQfinish(conn);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),	  cmocka_unit_test(test_keys),
		cmocka_unit_test(test_relations), cmocka_unit_test(test_enums_and_indexes),
		cmocka_unit_test(test_command),	  cmocka_unit_test(test_corpus),
	};
	static const char *const vars[] = { "PERSISTD_TEST_PG_HOST", "PERSISTD_TEST_PG_PORT",
					    "PERSISTD_TEST_PG_USER", "PERSISTD_TEST_PG_PASSWORD" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (!getenv(vars[i]) || !*getenv(vars[i])) {
			printf("%s not set: PostgreSQL is not running (tests/servers.sh)\n",
			       vars[i]);
			return 77;
		}
	return cmocka_run_group_tests(tests, setup, teardown);
}
