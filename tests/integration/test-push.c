/* `persist push` and POST /models/{m}/push against the real PostgreSQL and MariaDB servers of
 * tests/servers.sh: on a copy of examples/shop whose Config.toml points inventory (postgresql)
 * and audit (mysql) at a database made fresh for each test, the tables exist afterwards
 * (information_schema), a second push fails and changes nothing, and --drop-existing
 * (dropExisting) replaces the tables. Also the refusals that need no server: an in-memory model,
 * an unbound one, an invalid one, an unreachable store. Exits 77 unless tests/servers.sh started
 * at least one of the servers (PERSISTD_TEST_PG_*, PERSISTD_TEST_MYSQL_*). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#if ENABLE_POSTGRESQL
#	include <libpq-fe.h>
#endif
#if ENABLE_MYSQL
#	include <mysql.h>
#endif

#include "tests/helpers/proc.h"

static bool have_pg, have_mysql;
static char root[64]; /* the project copy of the running test */
static char pg_db[64], my_db[64]; /* its databases ("" when not made) */
static unsigned db_serial;

/* ---- the project ---------------------------------------------------------------------------- */

static void write_file(const char *rel, const char *text)
{
	assert_int_equal(test_write_file(root, rel, text), 0);
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

/* Config.toml with [shop.inventory] on the PostgreSQL server and [shop.audit] on MariaDB, each
 * in this test's database; an unreachable port when pg_port / my_port is given. */
static void write_config(const char *pg_port, const char *my_port)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[shop.inventory]\nhost = \"%s\"\nport = %s\nuser = \"%s\"\npassword = \"%s\"\n"
		 "database = \"%s\"\n\n"
		 "[shop.audit]\nhost = \"%s\"\nport = %s\nuser = \"%s\"\npassword = \"%s\"\n"
		 "database = \"%s\"\n",
		 env_or("PERSISTD_TEST_PG_HOST", "127.0.0.1"),
		 pg_port ? pg_port : env_or("PERSISTD_TEST_PG_PORT", "5432"),
		 env_or("PERSISTD_TEST_PG_USER", "postgres"),
		 env_or("PERSISTD_TEST_PG_PASSWORD", ""), pg_db[0] ? pg_db : "persist",
		 env_or("PERSISTD_TEST_MYSQL_HOST", "127.0.0.1"),
		 my_port ? my_port : env_or("PERSISTD_TEST_MYSQL_PORT", "3306"),
		 env_or("PERSISTD_TEST_MYSQL_USER", "root"),
		 env_or("PERSISTD_TEST_MYSQL_PASSWORD", ""), my_db[0] ? my_db : "persist");
	write_file("Config.toml", text);
}

/* ---- the servers ---------------------------------------------------------------------------- */

#if ENABLE_POSTGRESQL
static void pg_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *pg_connect(const char *db)
{
	char conninfo[512];
	PGconn *c;

	snprintf(conninfo, sizeof(conninfo),
		 "host=%s port=%s user=%s password=%s dbname=%s connect_timeout=10",
		 getenv("PERSISTD_TEST_PG_HOST"), getenv("PERSISTD_TEST_PG_PORT"),
		 getenv("PERSISTD_TEST_PG_USER"), env_or("PERSISTD_TEST_PG_PASSWORD", ""), db);
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to PostgreSQL: %s", PQerrorMessage(c));
	(void)PQsetNoticeProcessor(c, pg_quiet, NULL);
	return c;
}

static void pg_exec(const char *db, const char *sql)
{
	PGconn *c = pg_connect(db);
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* The first column of the one-row result of sql in this test's database. */
static long pg_number(const char *sql)
{
	PGconn *c = pg_connect(pg_db);
	PGresult *r = PQexec(c, sql);
	long v;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return v;
}

static long pg_tables(void)
{
	return pg_number("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
			 "'public' AND table_name IN ('Product', 'Review')");
}
#endif

#if ENABLE_MYSQL
static MYSQL *my_connect(const char *db)
{
	MYSQL *m = mysql_init(NULL);

	assert_non_null(m);
	if (!mysql_real_connect(
		    m, getenv("PERSISTD_TEST_MYSQL_HOST"), getenv("PERSISTD_TEST_MYSQL_USER"),
		    env_or("PERSISTD_TEST_MYSQL_PASSWORD", ""), db,
		    (unsigned)strtoul(getenv("PERSISTD_TEST_MYSQL_PORT"), NULL, 10), NULL, 0))
		fail_msg("cannot connect to MariaDB: %s", mysql_error(m));
	return m;
}

static void my_exec(const char *db, const char *sql)
{
	MYSQL *m = my_connect(db);

	if (mysql_query(m, sql) != 0)
		fail_msg("%s: %s", sql, mysql_error(m));
	mysql_close(m);
}

static long my_number(const char *sql)
{
	MYSQL *m = my_connect(my_db);
	MYSQL_RES *res;
	MYSQL_ROW row;
	long v;

	if (mysql_query(m, sql) != 0)
		fail_msg("%s: %s", sql, mysql_error(m));
	res = mysql_store_result(m);
	assert_non_null(res);
	row = mysql_fetch_row(res);
	assert_non_null(row);
	v = strtol(row[0], NULL, 10);
	mysql_free_result(res);
	mysql_close(m);
	return v;
}

static long my_tables(void)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM information_schema.tables WHERE table_schema = '%s' AND "
		 "table_name = 'AuditEntry'",
		 my_db);
	return my_number(sql);
}
#endif

/* ---- running persist ------------------------------------------------------------------------ */

/* Run `persist -C root push args...`; its stderr into err. Returns the exit status. */
static int run_push(char *err, size_t err_size, ...)
{
	char bin[4096], errpath[128];
	const char *argv[16];
	size_t n = 0, len;
	va_list ap;
	int status, fd;
	pid_t pid;
	FILE *f;

	snprintf(bin, sizeof(bin), "%s/persist", test_builddir());
	argv[n++] = bin;
	argv[n++] = "-C";
	argv[n++] = root;
	argv[n++] = "push";
	va_start(ap, err_size);
	for (const char *a; (a = va_arg(ap, const char *)) && n < 15;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;

	snprintf(errpath, sizeof(errpath), "%s/push.stderr", root);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	f = fopen(errpath, "r");
	assert_non_null(f);
	len = fread(err, 1, err_size - 1, f);
	err[len] = '\0';
	fclose(f);
	fprintf(stderr, "persist push: %s", err); /* in the test's log */
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' not in: %s", part, text);
}

/* ---- fixtures ------------------------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	pg_db[0] = my_db[0] = '\0';
	if (test_copy_example("shop", root, sizeof(root)) < 0)
		return -1;
	db_serial++;
#if ENABLE_POSTGRESQL
	if (have_pg) {
		char sql[128];
		snprintf(pg_db, sizeof(pg_db), "push_%ld_%u", (long)getpid(), db_serial);
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", pg_db);
		pg_exec("postgres", sql);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", pg_db);
		pg_exec("postgres", sql);
	}
#endif
#if ENABLE_MYSQL
	if (have_mysql) {
		char sql[128];
		snprintf(my_db, sizeof(my_db), "push_%ld_%u", (long)getpid(), db_serial);
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", my_db);
		my_exec(NULL, sql);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", my_db);
		my_exec(NULL, sql);
	}
#endif
	write_config(NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	char sql[128];
	(void)state;
	(void)sql;

#if ENABLE_POSTGRESQL
	if (pg_db[0]) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_db);
		pg_exec("postgres", sql);
	}
#endif
#if ENABLE_MYSQL
	if (my_db[0]) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", my_db);
		my_exec(NULL, sql);
	}
#endif
	test_remove_tree(root);
	return 0;
}

/* ---- persist push --------------------------------------------------------------------------- */

static void test_push_postgresql(void **state)
{
	char err[4096];
	(void)state;
	(void)err; /* unused without the server's connector */

#if ENABLE_POSTGRESQL
	if (!have_pg)
		skip();
	assert_int_equal(pg_tables(), 0);
	assert_int_equal(run_push(err, sizeof(err), "--model", "inventory", NULL), 0);
	assert_contains(err, "Product, Review");
	assert_int_equal(pg_tables(), 2);
	/* the columns the generated script declares */
	assert_int_equal(pg_number("SELECT count(*) FROM information_schema.columns WHERE "
				   "table_schema = 'public' AND table_name = 'Review'"),
			 4);
	pg_exec(pg_db, "INSERT INTO \"Product\" VALUES ('b-1', 'A book', 'BOOK', 9.50, 3)");

	/* a second push: the tables exist, nothing changes */
	assert_int_equal(run_push(err, sizeof(err), "--model", "inventory", NULL), 1);
	assert_contains(err, "persist: error: ");
	assert_contains(err, "exists");
	assert_contains(err, "--drop-existing");
	assert_int_equal(pg_number("SELECT count(*) FROM \"Product\""), 1);

	/* --drop-existing: new, empty tables */
	assert_int_equal(run_push(err, sizeof(err), "--model", "persist/inventory.bal",
				  "--drop-existing", NULL),
			 0);
	assert_contains(err, "Product, Review");
	assert_int_equal(pg_tables(), 2);
	assert_int_equal(pg_number("SELECT count(*) FROM \"Product\""), 0);
#else
	skip();
#endif
}

static void test_push_mysql(void **state)
{
	char err[4096];
	(void)state;
	(void)err; /* unused without the server's connector */

#if ENABLE_MYSQL
	if (!have_mysql)
		skip();
	assert_int_equal(my_tables(), 0);
	assert_int_equal(run_push(err, sizeof(err), "--model", "audit", NULL), 0);
	assert_contains(err, "AuditEntry");
	assert_int_equal(my_tables(), 1);
	my_exec(my_db, "INSERT INTO AuditEntry VALUES (1, 'ann', 'login', '2024-01-02 03:04:05', "
		       "NULL)");

	assert_int_equal(run_push(err, sizeof(err), "--model", "audit", NULL), 1);
	assert_contains(err, "persist: error: ");
	assert_contains(err, "exists");
	assert_contains(err, "--drop-existing");
	assert_int_equal(my_number("SELECT count(*) FROM AuditEntry"), 1);

	assert_int_equal(run_push(err, sizeof(err), "--drop-existing", "--model", "audit", NULL),
			 0);
	assert_int_equal(my_tables(), 1);
	assert_int_equal(my_number("SELECT count(*) FROM AuditEntry"), 0);
#else
	skip();
#endif
}

/* A push that fails validation creates nothing; refusals name the reason. */
static void test_push_refusals(void **state)
{
	char err[4096], port[16];
	(void)state;

	/* several models and no --model */
	assert_int_equal(run_push(err, sizeof(err), NULL), 1);
	assert_contains(err, "--model");

	/* bound to the in-memory store */
	assert_int_equal(run_push(err, sizeof(err), "--model", "users", NULL), 1);
	assert_contains(err, "not an SQL store");

	/* no binding */
	write_file("persist/loose.bal", "import ballerina/persist as _;\n\n"
					"public type Note record {|\n    readonly int id;\n|};\n");
	assert_int_equal(run_push(err, sizeof(err), "--model", "loose", NULL), 1);
	assert_contains(err, "not bound");

	/* no such model */
	assert_int_equal(run_push(err, sizeof(err), "--model", "nosuch", NULL), 1);
	assert_contains(err, "does not exist");

	/* usage errors */
	assert_int_equal(run_push(err, sizeof(err), "--model", "inventory", "--frobnicate", NULL),
			 2);
	assert_int_equal(run_push(err, sizeof(err), "--help", NULL), 0);
	assert_contains(err, "--drop-existing");

	/* an invalid model: nothing reaches the store */
	write_file("persist/inventory.bal", "import ballerina/persist as _;\n\n"
					    "public type Product record {|\n"
					    "    readonly string sku\n"
					    "    int stock;\n|};\n");
	assert_int_equal(run_push(err, sizeof(err), "--model", "inventory", NULL), 1);
	assert_contains(err, "not valid");
#if ENABLE_POSTGRESQL
	if (have_pg)
		assert_int_equal(pg_number("SELECT count(*) FROM information_schema.tables WHERE "
					   "table_schema = 'public'"),
				 0);
#endif

	/* an unreachable store */
	snprintf(port, sizeof(port), "%u", test_free_port());
	write_config(port, port);
	assert_int_equal(run_push(err, sizeof(err), "--model", "audit", NULL), 1);
	assert_contains(err, "cannot reach");
}

/* ---- POST /models/{m}/push ------------------------------------------------------------------ */

static json_t *post_push(const struct persistd_proc *p, const char *model, const char *body,
			 long want)
{
	static const char *const json_ct[] = { "Content-Type: application/json", NULL };
	struct http_result h;
	char url[256];
	json_t *j;

	snprintf(url, sizeof(url), "%s/models/%s/push", p->base_url, model);
	assert_int_equal(
		http_request("POST", url, body, body ? strlen(body) : 0, body ? json_ct : NULL, &h),
		0);
	if (h.status != want)
		fail_msg("POST /models/%s/push: status %ld, want %ld: %s", model, h.status, want,
			 h.body);
	j = json_loads(h.body, 0, NULL);
	assert_non_null(j);
	http_result_release(&h);
	return j;
}

static const char *member(const json_t *j, const char *name)
{
	const char *s = json_string_value(json_object_get(j, name));
	assert_non_null(s);
	return s;
}

/* Wait until persistd has loaded the models (GET /readyz answers 200). */
static void wait_ready(const struct persistd_proc *p)
{
	char url[128];

	snprintf(url, sizeof(url), "%s/readyz", p->base_url);
	for (int i = 0; i < 200; i++) {
		struct http_result h;
		long st = 0;
		if (http_request("GET", url, NULL, 0, NULL, &h) == 0) {
			st = h.status;
			http_result_release(&h);
		}
		if (st == 200)
			return;
		usleep(50 * 1000);
	}
	fail_msg("persistd did not get ready");
}

static void test_daemon_push(void **state)
{
	static const char *const args[] = { "--log-level", "warning", NULL };
	struct persistd_proc p = { 0 };
	json_t *j;
	(void)state;

	if (!have_pg && !have_mysql)
		skip();
	assert_int_equal(persistd_start(root, args, &p), 0);
	wait_ready(&p);

#if ENABLE_POSTGRESQL
	if (have_pg) {
		j = post_push(&p, "inventory", NULL, 200);
		assert_string_equal(member(j, "datastore"), "postgresql");
		assert_int_equal(json_array_size(json_object_get(j, "tables")), 2);
		json_decref(j);
		assert_int_equal(pg_tables(), 2);
		j = post_push(&p, "inventory", "{}", 409);
		assert_string_equal(member(j, "code"), "table_exists");
		json_decref(j);
		j = post_push(&p, "inventory", "{\"dropExisting\": true}", 200);
		assert_true(json_is_true(json_object_get(j, "droppedExisting")));
		json_decref(j);
		assert_int_equal(pg_tables(), 2);
	}
#endif
#if ENABLE_MYSQL
	if (have_mysql) {
		j = post_push(&p, "audit", NULL, 200);
		assert_string_equal(member(j, "datastore"), "mysql");
		json_decref(j);
		assert_int_equal(my_tables(), 1);
		j = post_push(&p, "audit", NULL, 409);
		assert_string_equal(member(j, "code"), "table_exists");
		json_decref(j);
		j = post_push(&p, "audit", "{\"dropExisting\": true}", 200);
		json_decref(j);
	}
#endif
	/* the in-memory model has no tables */
	j = post_push(&p, "users", NULL, 409);
	assert_string_equal(member(j, "code"), "not_sql_store");
	json_decref(j);

	assert_true(persistd_stop(&p, SIGTERM, 10000) >= 0);
}

int main(void)
{
	const char *pg = getenv("PERSISTD_TEST_PG_HOST"), *my = getenv("PERSISTD_TEST_MYSQL_HOST");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_push_postgresql, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_mysql, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daemon_push, setup, teardown),
	};
	int r;

	have_pg = ENABLE_POSTGRESQL && pg && *pg && getenv("PERSISTD_TEST_PG_PORT");
	have_mysql = ENABLE_MYSQL && my && *my && getenv("PERSISTD_TEST_MYSQL_PORT");
	if (!have_pg && !have_mysql) {
		printf("PERSISTD_TEST_PG_HOST and PERSISTD_TEST_MYSQL_HOST not set: no server "
		       "running, skipping\n");
		return 77;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
