/* kill -9 a store (PostgreSQL, MariaDB, Redis) under a write load, then start it again: every write
 * persistd acknowledged (201) is in the store afterwards, the failed ones got 503, the model's
 * routes come back by themselves, and another model kept serving throughout. The servers are
 * private to this test (tests/servers.sh in a temporary directory), so killing them disturbs no
 * other test. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
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

#define WRITERS	   6
#define MAX_WRITES 20000

static char root[64], servers[64];
static struct persistd_proc proc;
static char env_text[4096];
static bool have_pg, have_mysql, have_redis;

/* KEY=value from the servers' env file */
static const char *server_env(const char *key)
{
	static char value[256];
	size_t n = strlen(key);

	for (const char *line = env_text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len > n && strncmp(line, key, n) == 0 && line[n] == '=') {
			snprintf(value, sizeof(value), "%.*s", (int)(len - n - 1), line + n + 1);
			return value;
		}
		line += len + (nl ? 1 : 0);
	}
	return NULL;
}

static int run(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void servers_cmd(const char *what, const char *which)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "'%s/tests/servers.sh' %s '%s' %s >&2",
		 getenv("abs_top_srcdir") ? getenv("abs_top_srcdir") : ".", what, servers, which);
	assert_int_equal(run(cmd), 0);
}

/* The deptNo values stored in the model's table, one per line, into out. */
static void stored_keys(const char *kind, char *out, size_t size)
{
	char cmd[1024], pw[128], host[64], port[16], user[64];
	FILE *f;
	size_t n;
	bool pg = strcmp(kind, "pg") == 0;

	if (strcmp(kind, "redis") == 0) {
		/* the hashes' keys, "Department:<deptNo>", as deptNo lines */
		snprintf(cmd, sizeof(cmd),
			 "redis-cli -h 127.0.0.1 -p %s --scan --pattern 'Department:*' | "
			 "sed 's/^Department://'",
			 server_env("PERSISTD_TEST_REDIS_PORT"));
		f = popen(cmd, "r");
		assert_non_null(f);
		n = fread(out, 1, size - 1, f);
		out[n] = '\0';
		assert_int_equal(pclose(f), 0);
		return;
	}

	snprintf(pw, sizeof(pw), "%s",
		 server_env(pg ? "PERSISTD_TEST_PG_PASSWORD" : "PERSISTD_TEST_MYSQL_PASSWORD"));
	snprintf(host, sizeof(host), "%s",
		 server_env(pg ? "PERSISTD_TEST_PG_HOST" : "PERSISTD_TEST_MYSQL_HOST"));
	snprintf(port, sizeof(port), "%s",
		 server_env(pg ? "PERSISTD_TEST_PG_PORT" : "PERSISTD_TEST_MYSQL_PORT"));
	snprintf(user, sizeof(user), "%s",
		 server_env(pg ? "PERSISTD_TEST_PG_USER" : "PERSISTD_TEST_MYSQL_USER"));
	if (pg)
		snprintf(cmd, sizeof(cmd),
			 "PGPASSWORD='%s' psql -X -q -A -t -h %s -p %s -U %s -d persist "
			 "-c 'SELECT \"deptNo\" FROM \"Department\"'",
			 pw, host, port, user);
	else
		snprintf(cmd, sizeof(cmd),
			 "mariadb --no-defaults -h %s -P %s -u %s -p'%s' -N -B persist "
			 "-e 'SELECT deptNo FROM Department'",
			 host, port, user, pw);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	assert_int_equal(pclose(f), 0);
}

static void write_file(const char *rel, const char *text)
{
	assert_int_equal(test_write_file(root, rel, text), 0);
}

static const char model_text[] = "import ballerina/persist as _;\n\n"
				 "public type Department record {|\n"
				 "    readonly string deptNo;\n"
				 "    string deptName;\n"
				 "|};\n";

static int group_setup(void **state)
{
	static const char *const args[] = { "--set", "pool.min_size=1",
					    "--set", "pool.connect_timeout=1s",
					    "--set", "pool.acquire_timeout=1s",
					    "--set", "log.level=warning",
					    NULL };
	char cmd[512], toml[4096], config[2048], path[128];
	FILE *f;
	size_t n;
	(void)state;

	if (system("command -v psql >/dev/null && command -v mariadb >/dev/null") != 0)
		return 0; /* the tests skip */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(servers, sizeof(servers), "/tmp/persistd-crash-srv-XXXXXX");
	snprintf(root, sizeof(root), "/tmp/persistd-crash-XXXXXX");
	if (!mkdtemp(servers) || !mkdtemp(root))
		return -1;
	/* Redis appends and fsyncs every write before acknowledging it, as a store that must
	 * not lose one would be configured */
	setenv("PERSISTD_TEST_REDIS_AOF", "1", 1);
	snprintf(cmd, sizeof(cmd), "'%s/tests/servers.sh' start '%s' >&2",
		 getenv("abs_top_srcdir") ? getenv("abs_top_srcdir") : ".", servers);
	if (run(cmd) != 0) {
		/* a loaded machine can miss a server's start-up deadline: once more, afresh */
		char again[1024];
		snprintf(again, sizeof(again),
			 "'%s/tests/servers.sh' stop '%s' >&2; rm -rf '%s'/* && %s",
			 getenv("abs_top_srcdir") ? getenv("abs_top_srcdir") : ".", servers,
			 servers, cmd);
		if (run(again) != 0)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/env", servers);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(env_text, 1, sizeof(env_text) - 1, f);
	env_text[n] = '\0';
	fclose(f);
	have_pg = server_env("PERSISTD_TEST_PG_PORT") != NULL;
	have_mysql = server_env("PERSISTD_TEST_MYSQL_PORT") != NULL;
	have_redis = server_env("PERSISTD_TEST_REDIS_PORT") != NULL &&
		     system("command -v redis-cli >/dev/null") == 0;

	snprintf(path, sizeof(path), "%s/persist", root);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(toml, sizeof(toml),
		 "[package]\norg = \"test\"\nname = \"app\"\nversion = \"0.1.0\"\n\n"
		 "[[tool.persist]]\nid = \"pg\"\ntargetModule = \"app.pg\"\n"
		 "options.datastore = \"postgresql\"\nfilePath = \"persist/pg.bal\"\n\n"
		 "[[tool.persist]]\nid = \"my\"\ntargetModule = \"app.my\"\n"
		 "options.datastore = \"mysql\"\nfilePath = \"persist/my.bal\"\n\n"
		 "[[tool.persist]]\nid = \"rd\"\ntargetModule = \"app.rd\"\n"
		 "options.datastore = \"redis\"\nfilePath = \"persist/rd.bal\"\n");
	config[0] = '\0';
	if (have_pg) {
		char pg[512], port[16];
		/* server_env() answers in one static buffer: one call per statement */
		snprintf(port, sizeof(port), "%s", server_env("PERSISTD_TEST_PG_PORT"));
		snprintf(pg, sizeof(pg),
			 "[app.pg]\nhost = \"127.0.0.1\"\nport = %s\nuser = \"persist\"\n"
			 "password = \"%s\"\ndatabase = \"persist\"\n\n",
			 port, server_env("PERSISTD_TEST_PG_PASSWORD"));
		snprintf(config + strlen(config), sizeof(config) - strlen(config), "%s", pg);
	}
	if (have_mysql) {
		char my[512], port[16];
		snprintf(port, sizeof(port), "%s", server_env("PERSISTD_TEST_MYSQL_PORT"));
		snprintf(my, sizeof(my),
			 "[app.my]\nhost = \"127.0.0.1\"\nport = %s\nuser = \"persist\"\n"
			 "password = \"%s\"\ndatabase = \"persist\"\n",
			 port, server_env("PERSISTD_TEST_MYSQL_PASSWORD"));
		snprintf(config + strlen(config), sizeof(config) - strlen(config), "%s", my);
	}
	if (have_redis) {
		char rd[256];
		snprintf(rd, sizeof(rd),
			 "\n[app.rd]\nconnectionConfig = \"redis://127.0.0.1:%s/0\"\n",
			 server_env("PERSISTD_TEST_REDIS_PORT"));
		snprintf(config + strlen(config), sizeof(config) - strlen(config), "%s", rd);
	}
	write_file("Ballerina.toml", toml);
	write_file("Config.toml", config);
	write_file("persist/pg.bal", model_text);
	write_file("persist/my.bal", model_text);
	write_file("persist/mem.bal", model_text);
	write_file("persist/rd.bal", model_text);
	return persistd_start(root, args, &proc) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[512];
	(void)state;

	if (proc.pid > 0)
		persistd_stop(&proc, SIGTERM, 10000);
	if (servers[0]) {
		snprintf(cmd, sizeof(cmd), "'%s/tests/servers.sh' stop '%s' >&2; rm -rf '%s'",
			 getenv("abs_top_srcdir") ? getenv("abs_top_srcdir") : ".", servers,
			 servers);
		(void)run(cmd);
	}
	if (root[0])
		test_remove_tree(root);
	curl_global_cleanup();
	return 0;
}

static long post(const char *path, const char *body)
{
	static const char *const json[] = { "Content-Type: application/json", NULL };
	struct http_result h = { 0 };
	char url[256];
	long st = -1;

	snprintf(url, sizeof(url), "%s%s", proc.base_url, path);
	if (http_request("POST", url, body, body ? strlen(body) : 0, body ? json : NULL, &h) == 0)
		st = h.status;
	if (st != 201 && st != 503 && st != 200)
		print_message("POST %s: %ld %s\n", path, st, h.body ? h.body : "");
	if (strstr(path, "/push") && st != 200)
		print_message("POST %s: %ld %s\n", path, st, h.body ? h.body : "");
	http_result_release(&h);
	return st;
}

static long get(const char *path)
{
	struct http_result h = { 0 };
	char url[256];
	long st = -1;

	snprintf(url, sizeof(url), "%s%s", proc.base_url, path);
	if (http_request("GET", url, NULL, 0, NULL, &h) == 0)
		st = h.status;
	http_result_release(&h);
	return st;
}

struct load {
	const char *model;
	atomic_bool stop;
	atomic_int acked, unavailable, other, other_reads;
	atomic_int acked_after_restart;
	atomic_bool restarted;
	/* per writer: the keys it got 201 for */
	int n_acked[WRITERS];
	unsigned short acked_keys[WRITERS][MAX_WRITES];
};

struct writer_arg {
	struct load *l;
	int id;
};

static void *writer(void *p)
{
	struct writer_arg *a = p;
	struct load *l = a->l;
	char path[128], body[128];

	snprintf(path, sizeof(path), "/models/%s/data/departments", l->model);
	for (int i = 0; i < MAX_WRITES && !atomic_load(&l->stop); i++) {
		long st;
		snprintf(body, sizeof(body), "{\"deptNo\":\"w%d-%d\",\"deptName\":\"load\"}", a->id,
			 i);
		st = post(path, body);
		if (st == 201) {
			l->acked_keys[a->id][l->n_acked[a->id]++] = (unsigned short)i;
			atomic_fetch_add(&l->acked, 1);
			if (atomic_load(&l->restarted))
				atomic_fetch_add(&l->acked_after_restart, 1);
		} else if (st == 503) {
			atomic_fetch_add(&l->unavailable, 1);
			usleep(20 * 1000);
		} else {
			atomic_fetch_add(&l->other, 1);
			print_message("writer %d: POST %s -> %ld\n", a->id, body, st);
		}
	}
	return NULL;
}

/* The in-memory model never notices: its reads keep answering 200. */
static void *reader(void *p)
{
	struct load *l = p;

	while (!atomic_load(&l->stop)) {
		long st = get("/models/mem/data/departments?limit=5");
		if (st != 200)
			atomic_fetch_add(&l->other_reads, 1);
		usleep(5 * 1000);
	}
	return NULL;
}

static void crash_under_load(const char *model, const char *server)
{
	static struct load l; /* large: not on the stack */
	struct writer_arg args[WRITERS];
	pthread_t w[WRITERS], r;
	char push[128], *keys;
	size_t keys_size = 1 << 20;
	int missing = 0;

	memset(&l, 0, sizeof(l));
	l.model = model;
	if (strcmp(server, "redis") != 0) {
		snprintf(push, sizeof(push), "/models/%s/push", model);
		assert_int_equal(post(push, "{\"dropExisting\": true}"), 200);
	}

	assert_int_equal(pthread_create(&r, NULL, reader, &l), 0);
	for (int i = 0; i < WRITERS; i++) {
		args[i] = (struct writer_arg){ &l, i };
		assert_int_equal(pthread_create(&w[i], NULL, writer, &args[i]), 0);
	}
	usleep(800 * 1000);
	servers_cmd("kill", server);
	usleep(800 * 1000);
	servers_cmd("restart", server);
	atomic_store(&l.restarted, true);
	/* the pool finds the store again by itself (janitor and backoff) */
	for (int i = 0; i < 300 && atomic_load(&l.acked_after_restart) < 20; i++)
		usleep(100 * 1000);
	atomic_store(&l.stop, true);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(r, NULL);

	print_message("%s: %d acknowledged (%d after the restart), %d answered 503, "
		      "%d other\n",
		      model, atomic_load(&l.acked), atomic_load(&l.acked_after_restart),
		      atomic_load(&l.unavailable), atomic_load(&l.other));
	assert_int_equal(atomic_load(&l.other), 0);
	assert_int_equal(atomic_load(&l.other_reads), 0);
	assert_true(atomic_load(&l.unavailable) > 0); /* the crash was seen */
	assert_true(atomic_load(&l.acked_after_restart) >= 20);

	/* every acknowledged write is stored: look each key up as a whole line */
	keys = malloc(keys_size + 2);
	assert_non_null(keys);
	keys[0] = '\n';
	stored_keys(server, keys + 1, keys_size);
	{
		size_t len = strlen(keys);
		keys[len] = '\n';
		keys[len + 1] = '\0';
	}
	for (int id = 0; id < WRITERS; id++)
		for (int k = 0; k < l.n_acked[id]; k++) {
			char want[64];
			snprintf(want, sizeof(want), "\nw%d-%d\n", id, l.acked_keys[id][k]);
			if (!strstr(keys, want) && missing++ < 5)
				print_error("acknowledged but not stored: w%d-%d\n", id,
					    l.acked_keys[id][k]);
		}
	free(keys);
	assert_int_equal(missing, 0);
}

static void test_postgresql_crash(void **state)
{
	(void)state;
	if (!have_pg)
		skip();
	crash_under_load("pg", "pg");
}

static void test_mariadb_crash(void **state)
{
	(void)state;
	if (!have_mysql)
		skip();
	crash_under_load("my", "mysql");
}

static void test_redis_crash(void **state)
{
	(void)state;
	if (!have_redis)
		skip();
	crash_under_load("rd", "redis");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postgresql_crash),
		cmocka_unit_test(test_mariadb_crash),
		cmocka_unit_test(test_redis_crash),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
