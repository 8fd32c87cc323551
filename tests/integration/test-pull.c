/* pull end to end against the PostgreSQL and MariaDB test servers: `persist pull` with the
 * password from --password-stdin and from PERSIST_PASSWORD, its refusal to overwrite without
 * --yes when there is no terminal, and POST /models/{m}/pull with the connection from the body
 * or from the model's Config.toml section, 409 without "overwrite", and a password that never
 * reaches the log. Skips (77) without the servers. */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "tests/helpers/proc.h"

static char root[64];
static struct persistd_proc proc;

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int run(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *rel)
{
	return test_read_file(root, rel);
}

static void write_file(const char *rel, const char *text)
{
	assert_int_equal(test_write_file(root, rel, text), 0);
}

/* A fresh database with two tables and a foreign key between them. */
static void make_database(bool pg, const char *db)
{
	char cmd[2048];

	if (pg)
		snprintf(
			cmd, sizeof(cmd),
			"export PGPASSWORD='%s'; psql -X -q -h %s -p %s -U %s -d persist "
			"-c 'DROP DATABASE IF EXISTS %s' -c 'CREATE DATABASE %s' >/dev/null && "
			"psql -X -q -h %s -p %s -U %s -d %s -c 'CREATE TABLE author (id INT PRIMARY "
			"KEY, name VARCHAR(60) NOT NULL)' -c 'CREATE TABLE book (isbn VARCHAR(20) "
			"PRIMARY KEY, title VARCHAR(100) NOT NULL, author_id INT NOT NULL REFERENCES "
			"author(id))' >/dev/null",
			env("PERSISTD_TEST_PG_PASSWORD"), env("PERSISTD_TEST_PG_HOST"),
			env("PERSISTD_TEST_PG_PORT"), env("PERSISTD_TEST_PG_USER"), db, db,
			env("PERSISTD_TEST_PG_HOST"), env("PERSISTD_TEST_PG_PORT"),
			env("PERSISTD_TEST_PG_USER"), db);
	else
		snprintf(
			cmd, sizeof(cmd),
			"mariadb --no-defaults -h %s -P %s -u %s -p'%s' -e 'DROP DATABASE IF EXISTS "
			"%s; CREATE DATABASE %s; USE %s; CREATE TABLE author (id INT PRIMARY KEY, "
			"name VARCHAR(60) NOT NULL); CREATE TABLE book (isbn VARCHAR(20) PRIMARY KEY, "
			"title VARCHAR(100) NOT NULL, author_id INT NOT NULL, FOREIGN KEY (author_id) "
			"REFERENCES author(id))'",
			env("PERSISTD_TEST_MYSQL_HOST"), env("PERSISTD_TEST_MYSQL_PORT"),
			env("PERSISTD_TEST_MYSQL_USER"), env("PERSISTD_TEST_MYSQL_PASSWORD"), db,
			db, db);
	assert_int_equal(run(cmd), 0);
}

static int group_setup(void **state)
{
	static const char *const args[] = { "--set", "models.debounce=20ms", NULL };
	char dir[128], config[1024];
	(void)state;

	if (!env("PERSISTD_TEST_PG_PORT") || !env("PERSISTD_TEST_MYSQL_PORT"))
		return 0; /* the tests skip */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(root, sizeof(root), "/tmp/persistd-pull-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(dir, sizeof(dir), "%s/persist", root);
	if (mkdir(dir, 0755) < 0)
		return -1;
	write_file("Ballerina.toml",
		   "[package]\norg = \"test\"\nname = \"app\"\nversion = \"0.1.0\"\n\n"
		   "[[tool.persist]]\nid = \"lib\"\ntargetModule = \"app.lib\"\n"
		   "options.datastore = \"postgresql\"\nfilePath = \"persist/lib.bal\"\n");
	/* the connection of model lib, for the route's defaults */
	snprintf(config, sizeof(config),
		 "[app.lib]\nhost = \"%s\"\nport = %s\nuser = \"%s\"\npassword = \"%s\"\n"
		 "database = \"persist_pull_cfg\"\n",
		 env("PERSISTD_TEST_PG_HOST"), env("PERSISTD_TEST_PG_PORT"),
		 env("PERSISTD_TEST_PG_USER"), env("PERSISTD_TEST_PG_PASSWORD"));
	write_file("Config.toml", config);
	return persistd_start(root, args, &proc) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (proc.pid > 0)
		persistd_stop(&proc, SIGTERM, 10000);
	if (root[0])
		test_remove_tree(root);
	curl_global_cleanup();
	return 0;
}

#define NEED_SERVERS()                                      \
	do {                                                \
		if (!root[0]) {                             \
			print_message("no test servers\n"); \
			skip();                             \
		}                                           \
	} while (0)

static void test_cli(void **state)
{
	char cmd[2048];
	char *model;
	(void)state;

	NEED_SERVERS();
	make_database(true, "persist_pull_cli");
	/* password on standard input, no terminal */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf '%%s\\n' '%s' | '%s/persist' pull --datastore postgresql "
		 "--host %s --port %s --user %s --database persist_pull_cli --model shelf "
		 "--password-stdin >/dev/null",
		 root, env("PERSISTD_TEST_PG_PASSWORD"), test_builddir(),
		 env("PERSISTD_TEST_PG_HOST"), env("PERSISTD_TEST_PG_PORT"),
		 env("PERSISTD_TEST_PG_USER"));
	assert_int_equal(run(cmd), 0);
	model = slurp("persist/shelf.bal");
	assert_non_null(model);
	assert_non_null(strstr(model, "public type Author record {|"));
	assert_non_null(strstr(model, "public type Book record {|"));
	assert_non_null(strstr(model, "Author author;"));
	free(model);

	/* the file exists: without a terminal and without --yes, nothing is overwritten */
	write_file("persist/shelf.bal", "// mine\n");
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && PERSIST_PASSWORD='%s' '%s/persist' pull --datastore postgresql "
		 "--host %s --port %s --user %s --database persist_pull_cli --model shelf "
		 "</dev/null >/dev/null 2>&1",
		 root, env("PERSISTD_TEST_PG_PASSWORD"), test_builddir(),
		 env("PERSISTD_TEST_PG_HOST"), env("PERSISTD_TEST_PG_PORT"),
		 env("PERSISTD_TEST_PG_USER"));
	assert_int_not_equal(run(cmd), 0);
	model = slurp("persist/shelf.bal");
	assert_string_equal(model, "// mine\n");
	free(model);

	/* --yes, password from PERSIST_PASSWORD, and a MariaDB database */
	make_database(false, "persist_pull_cli");
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && PERSIST_PASSWORD='%s' '%s/persist' pull --datastore mysql "
		 "--host %s --port %s --user %s --database persist_pull_cli --model shelf --yes "
		 "</dev/null >/dev/null",
		 root, env("PERSISTD_TEST_MYSQL_PASSWORD"), test_builddir(),
		 env("PERSISTD_TEST_MYSQL_HOST"), env("PERSISTD_TEST_MYSQL_PORT"),
		 env("PERSISTD_TEST_MYSQL_USER"));
	assert_int_equal(run(cmd), 0);
	model = slurp("persist/shelf.bal");
	assert_non_null(strstr(model, "public type Book record {|"));
	free(model);

	/* a wrong password: an error, the file untouched */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && PERSIST_PASSWORD=wrong '%s/persist' pull --datastore mysql "
		 "--host %s --port %s --user %s --database persist_pull_cli --model shelf --yes "
		 "</dev/null >/dev/null 2>&1",
		 root, test_builddir(), env("PERSISTD_TEST_MYSQL_HOST"),
		 env("PERSISTD_TEST_MYSQL_PORT"), env("PERSISTD_TEST_MYSQL_USER"));
	model = slurp("persist/shelf.bal");
	assert_int_not_equal(run(cmd), 0);
	{
		char *after = slurp("persist/shelf.bal");
		assert_string_equal(after, model);
		free(after);
	}
	free(model);
}

static long post(const char *path, const char *body, char *code, size_t code_size)
{
	static const char *const json[] = { "Content-Type: application/json", NULL };
	struct http_result h = { 0 };
	char url[256];
	long st;

	snprintf(url, sizeof(url), "%s%s", proc.base_url, path);
	assert_int_equal(http_request("POST", url, body, strlen(body), json, &h), 0);
	st = h.status;
	if (code) {
		json_t *j = json_loadb(h.body, h.len, 0, NULL);
		snprintf(code, code_size, "%s",
			 json_string_value(json_object_get(j, "code")) ?: "");
		json_decref(j);
	}
	http_result_release(&h);
	return st;
}

static void test_route(void **state)
{
	char body[1024], code[64];
	char *model;
	(void)state;

	NEED_SERVERS();
	make_database(false, "persist_pull_http");
	make_database(true, "persist_pull_cfg");
	/* everything in the body */
	snprintf(body, sizeof(body),
		 "{\"datastore\":\"mysql\",\"host\":\"%s\",\"port\":%s,\"user\":\"%s\","
		 "\"password\":\"%s\",\"database\":\"persist_pull_http\"}",
		 env("PERSISTD_TEST_MYSQL_HOST"), env("PERSISTD_TEST_MYSQL_PORT"),
		 env("PERSISTD_TEST_MYSQL_USER"), env("PERSISTD_TEST_MYSQL_PASSWORD"));
	assert_int_equal(post("/models/books/pull", body, code, sizeof(code)), 201);
	model = slurp("persist/books.bal");
	assert_non_null(model);
	assert_non_null(strstr(model, "public type Author record {|"));
	free(model);
	/* it exists now: 409 unless overwrite */
	assert_int_equal(post("/models/books/pull", body, code, sizeof(code)), 409);
	body[strlen(body) - 1] = '\0';
	strncat(body, ",\"overwrite\":true}", sizeof(body) - strlen(body) - 1);
	/* 200: an existing file replaced */
	assert_int_equal(post("/models/books/pull", body, code, sizeof(code)), 200);

	/* the connection from model lib's Config.toml section: an empty body */
	assert_int_equal(post("/models/lib/pull", "{}", code, sizeof(code)), 201);
	model = slurp("persist/lib.bal");
	assert_non_null(strstr(model, "public type Book record {|"));
	free(model);
	/* bad input changes nothing */
	assert_int_equal(post("/models/lib/pull", "{\"port\":\"x\"}", code, sizeof(code)), 400);
	assert_int_equal(post("/models/..%2fx/pull", "{}", code, sizeof(code)), 400);
	assert_int_equal(post("/models/lib/pull",
			      "{\"overwrite\":true,\"password\":\"wrong-pw-9Zq\"}", code,
			      sizeof(code)) /
				 100,
			 5);
	model = slurp("persist/lib.bal");
	assert_non_null(strstr(model, "public type Book record {|"));
	free(model);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_route),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
