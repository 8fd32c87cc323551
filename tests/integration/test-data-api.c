/* The data routes of API.md §3 against a real persistd: one project whose models share entity
 * names and live on different stores (the embedded in-memory store, two PostgreSQL databases,
 * a MariaDB database, and a PostgreSQL database behind a relay the test can cut). Every CRUD
 * test runs once per store; stored rows are checked with psql and mariadb, not only through the
 * API. The SQL stores are used when tests/servers.sh started them; the in-memory runs always. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
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
#include "tests/integration/connector-test-model.h"
#include "base/time-util.h"
#include "tests/integration/tcp-relay.h"

enum store_kind {
	STORE_MEMORY,
	STORE_PG,
	STORE_MYSQL,
	STORE_REDIS,
	STORE_SHEETS,
};

struct store_case {
	const char *model; /* model name: persist/<model>.bal */
	enum store_kind kind;
	const char *database; /* SQL database of the model */
	bool available;
};

static struct store_case store_mem = { "mem", STORE_MEMORY, NULL, true };
static struct store_case store_pga = { "pga", STORE_PG, "persist_data_a", false };
static struct store_case store_pgb = { "pgb", STORE_PG, "persist_data_b", false };
static struct store_case store_mya = { "mya", STORE_MYSQL, "persist_data_a", false };
/* Redis database 9 of the test server (the connector's own test uses others) */
static struct store_case store_rds = { "rds", STORE_REDIS, "9", false };
/* Google Sheets: tests/fakes/fake-sheets.py, started by the group set-up */
static struct store_case store_shs = { "shs", STORE_SHEETS, "sheet-data-api", false };
static pid_t fake_pid;
static char fake_dir[64];
/* PostgreSQL through the relay, for the store-down test */
static struct store_case store_pgr = { "pgr", STORE_PG, "persist_data_r", false };

/* The store the running per-store test uses. */
static const struct store_case *current;

static struct persistd_proc proc;
static char root[64];
static struct tcp_relay relay;
static bool relay_ready;

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static bool have_pg(void)
{
	return env("PERSISTD_TEST_PG_HOST") && env("PERSISTD_TEST_PG_PORT");
}

static bool have_redis(void)
{
	return env("PERSISTD_TEST_REDIS_HOST") && env("PERSISTD_TEST_REDIS_PORT");
}

/* Redis and Google Sheets: models without byte[] and nillable fields, no generated keys. */
static bool nosql(const struct store_case *s)
{
	return s->kind == STORE_REDIS || s->kind == STORE_SHEETS;
}

/* Upstream's Redis client words its errors its own way (runtime.md §3.2): where a test checks
 * the SQL and in-memory text exactly, for Redis it checks the code only. */
static const char *text_for(const struct store_case *s, const char *text)
{
	return nosql(s) ? NULL : text;
}

/* Run a shell command; its output (trailing newlines dropped) into out when out is not NULL.
 * Returns the command's exit status. */
static int run_capture(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;
	int st;

	if (!f)
		return -1;
	if (out) {
		n = fread(out, 1, size - 1, f);
		out[n] = '\0';
		while (n > 0 && out[n - 1] == '\n')
			out[--n] = '\0';
	} else {
		char sink[512];
		while (fread(sink, 1, sizeof(sink), f) > 0)
			;
	}
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A redis-cli command against the model's database; its output into out. */
static int redis_run(const char *args, char *out, size_t size)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "redis-cli -h %s -p %s -n %s %s 2>&1",
		 env("PERSISTD_TEST_REDIS_HOST"), env("PERSISTD_TEST_REDIS_PORT"),
		 store_rds.database, args);
	return run_capture(cmd, out, size);
}

static void redis_expect(const char *args, const char *want)
{
	char out[4096];
	int r = redis_run(args, out, sizeof(out));
	if (r != 0)
		fail_msg("redis-cli %s failed (%d): %s", args, r, out);
	if (strcmp(out, want) != 0)
		fail_msg("redis-cli %s\n got: '%s'\nwant: '%s'", args, out, want);
}

/* The connector test model as Redis takes it (PERSIST_306/308: no byte[], no nillable fields):
 * without Profile (a nillable 1-1), byte[] bytes and string? opt, with a required price. */
static char *redis_model(void)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "    Profile? profile;\n", "" },
		{ "    decimal? price;\n", "    decimal price;\n" },
		{ "    byte[] bytes;\n", "" },
		{ "    string? opt;\n", "" },
	};
	char *text = strdup(connector_test_model), *p;
	const char *start, *end;

	assert_non_null(text);
	for (size_t i = 0; i < ELEMENTSOF(edits); i++) {
		p = strstr(text, edits[i].from);
		assert_non_null(p);
		memmove(p + strlen(edits[i].to), p + strlen(edits[i].from),
			strlen(p + strlen(edits[i].from)) + 1);
		memcpy(p, edits[i].to, strlen(edits[i].to));
	}
	start = strstr(text, "public type Profile record");
	assert_non_null(start);
	end = strstr(start, "|};\n");
	assert_non_null(end);
	memmove((char *)start, end + 5, strlen(end + 5) + 1);
	return text;
}

/* For Redis, a JSON text without the members its model lacks. New text (free). */
static char *fit_store(const char *text)
{
	static const char *const absent[] = { "bytes", "opt", "profile" };
	json_t *j;
	char *out;

	bool mentions = false;

	if (!text || !current || !nosql(current))
		return text ? strdup(text) : NULL;
	for (size_t i = 0; i < ELEMENTSOF(absent); i++)
		mentions = mentions || strstr(text, absent[i]);
	if (!mentions) /* as it is: a body with duplicate members stays one */
		return strdup(text);
	j = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!j)
		return strdup(text);
	for (size_t i = 0; i < ELEMENTSOF(absent); i++) {
		size_t k;
		json_t *el;
		json_object_del(j, absent[i]);
		json_array_foreach(j, k, el)
			json_object_del(el, absent[i]);
	}
	out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	return out;
}

static bool have_mysql(void)
{
	return env("PERSISTD_TEST_MYSQL_HOST") && env("PERSISTD_TEST_MYSQL_PORT");
}

/* ---- SQL through the command-line clients ------------------------------------------------- */

/* Run a query with psql or mariadb; the unaligned output (rows on lines, columns split by
 * '|' / tab) goes into out. Returns the client's exit status. */
static int sql_run(enum store_kind kind, const char *database, const char *query, char *out,
		   size_t size)
{
	char cmd[4096];

	if (kind == STORE_PG)
		snprintf(cmd, sizeof(cmd),
			 "PGPASSWORD='%s' psql -X -q -A -t -v ON_ERROR_STOP=1 -h %s -p %s -U %s "
			 "-d %s -c \"%s\" 2>&1",
			 env("PERSISTD_TEST_PG_PASSWORD"), env("PERSISTD_TEST_PG_HOST"),
			 env("PERSISTD_TEST_PG_PORT"), env("PERSISTD_TEST_PG_USER"),
			 database ? database : "persist", query);
	else
		snprintf(cmd, sizeof(cmd),
			 "mariadb --no-defaults -h %s -P %s -u %s -p'%s' -N -B %s -e \"%s\" 2>&1",
			 env("PERSISTD_TEST_MYSQL_HOST"), env("PERSISTD_TEST_MYSQL_PORT"),
			 env("PERSISTD_TEST_MYSQL_USER"), env("PERSISTD_TEST_MYSQL_PASSWORD"),
			 database ? database : "", query);
	return run_capture(cmd, out, size);
}

static void sql_expect(const struct store_case *s, const char *query, const char *want)
{
	char out[4096];
	int r = sql_run(s->kind, s->database, query, out, sizeof(out));
	if (r != 0)
		fail_msg("%s: query failed (%d): %s\n%s", s->model, r, query, out);
	if (strcmp(out, want) != 0)
		fail_msg("%s: %s\n got: '%s'\nwant: '%s'", s->model, query, out, want);
}

/* Quoted identifiers as each dialect writes them inside a double-quoted shell string. */
#define PGQ(x) "\\\"" x "\\\""
#define MYQ(x) "\\`" x "\\`"

static int create_database(enum store_kind kind, const char *name)
{
	char q[256], out[1024];
	int r;

	if (kind == STORE_PG) {
		snprintf(q, sizeof(q), "DROP DATABASE IF EXISTS %s", name);
		r = sql_run(kind, NULL, q, out, sizeof(out));
		snprintf(q, sizeof(q), "CREATE DATABASE %s", name);
	} else {
		snprintf(q, sizeof(q), "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s", name,
			 name);
	}
	r = sql_run(kind, NULL, q, out, sizeof(out));
	if (r != 0)
		fprintf(stderr, "cannot create database %s: %s\n", name, out);
	return r;
}

/* ---- the project ----------------------------------------------------------------------------- */

static void write_file(const char *rel, const char *text)
{
	assert_int_equal(test_write_file(root, rel, text), 0);
}

static int append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size - len ? -1 : 0;
}

static void bind_model(char *toml, char *config, const struct store_case *s, const char *host,
		       const char *port, const char *user, const char *password)
{
	const char *ds = s->kind == STORE_PG	  ? "postgresql"
			 : s->kind == STORE_REDIS ? "redis"
						  : "mysql";

	if (s->kind == STORE_SHEETS) {
		assert_int_equal(
			append(toml, 8192,
			       "\n[[tool.persist]]\nid = \"%s\"\ntargetModule = \"app.%s\"\n"
			       "options.datastore = \"googlesheets\"\nfilePath = \"persist/%s.bal\"\n",
			       s->model, s->model, s->model),
			0);
		assert_int_equal(append(config, 8192,
					"\n[app.%s]\nspreadsheetId = \"%s\"\nclientId = \"%s\"\n"
					"clientSecret = \"%s\"\nrefreshToken = \"%s\"\n",
					s->model, s->database, host, user, password),
				 0);
		(void)port;
		return;
	}
	if (s->kind == STORE_REDIS) {
		assert_int_equal(
			append(toml, 8192,
			       "\n[[tool.persist]]\nid = \"%s\"\ntargetModule = \"app.%s\"\n"
			       "options.datastore = \"%s\"\nfilePath = \"persist/%s.bal\"\n",
			       s->model, s->model, ds, s->model),
			0);
		assert_int_equal(append(config, 8192,
					"\n[app.%s]\nconnectionConfig = \"redis://%s:%s/%s\"\n",
					s->model, host, port, s->database),
				 0);
		(void)user;
		(void)password;
		return;
	}

	assert_int_equal(append(toml, 8192,
				"\n[[tool.persist]]\nid = \"%s\"\ntargetModule = \"app.%s\"\n"
				"options.datastore = \"%s\"\nfilePath = \"persist/%s.bal\"\n",
				s->model, s->model, ds, s->model),
			 0);
	assert_int_equal(append(config, 8192,
				"\n[app.%s]\nhost = \"%s\"\nport = %s\nuser = \"%s\"\n"
				"password = \"%s\"\ndatabase = \"%s\"\n",
				s->model, host, port, user, password, s->database),
			 0);
}

static json_t *request_json(const char *method, const char *path, const char *body_text, long want)
{
	static const char *const json_headers[] = { "Content-Type: application/json", NULL };
	struct http_result h;
	char url[512];
	char *body = fit_store(body_text);
	json_t *j;

	snprintf(url, sizeof(url), "%s%s", proc.base_url, path);
	assert_int_equal(http_request(method, url, body, body ? strlen(body) : 0,
				      body ? json_headers : NULL, &h),
			 0);
	if (want && h.status != want)
		fail_msg("%s %s: status %ld, want %ld: %s", method, path, h.status, want, h.body);
	j = h.len ? json_loads(h.body, 0, NULL) : NULL;
	http_result_release(&h);
	free(body);
	return j;
}

/* A request whose reply is compared as JSON text (compact, keys sorted). */
static void expect_json(const char *method, const char *path, const char *body, long status,
			const char *want)
{
	json_t *got = request_json(method, path, body, status);
	char *want_text = fit_store(want);
	json_t *w = json_loads(want_text, 0, NULL);

	free(want_text);
	char *gs, *ws;

	assert_non_null(w);
	gs = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	ws = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!gs || strcmp(gs, ws) != 0)
		fail_msg("%s %s:\n got: %s\nwant: %s", method, path, gs ? gs : "(none)", ws);
	free(gs);
	free(ws);
	json_decref(got);
	json_decref(w);
}

/* A problem reply: status, code, and (when not NULL) the exact detail. */
static void expect_problem(const char *method, const char *path, const char *body, long status,
			   const char *code, const char *detail)
{
	json_t *p = request_json(method, path, body, status);
	const char *c = json_string_value(json_object_get(p, "code"));
	const char *d = json_string_value(json_object_get(p, "detail"));

	if (!c || strcmp(c, code) != 0)
		fail_msg("%s %s: code '%s', want '%s' (%s)", method, path, c ? c : "", code,
			 d ? d : "");
	if (detail && (!d || strcmp(d, detail) != 0))
		fail_msg("%s %s: detail '%s', want '%s'", method, path, d ? d : "", detail);
	json_decref(p);
}

static void data_path(char *buf, size_t size, const struct store_case *s, const char *rest)
{
	snprintf(buf, size, "/models/%s/data/%s", s->model, rest);
}

/* Start tests/fakes/fake-sheets.py with a client and a spreadsheet for store_shs, and point
 * persistd's googlesheets connector at it (the daemon inherits the environment). */
static int fake_sheets_start(void)
{
	char script[1024], port_file[128], client[256], parent[32], url[96], token_url[128];

	if (system("command -v python3 >/dev/null") != 0)
		return -ENOENT;
	snprintf(script, sizeof(script), "%s/tests/fakes/fake-sheets.py",
		 env("abs_top_srcdir") ? env("abs_top_srcdir") : ".");
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/persistd-data-fake-XXXXXX");
	if (!mkdtemp(fake_dir))
		return -errno;
	snprintf(port_file, sizeof(port_file), "%s/port", fake_dir);
	snprintf(client, sizeof(client),
		 "data-api-client:data-api-secret-7Hq:data-api-refresh-3Kx");
	snprintf(parent, sizeof(parent), "%d", (int)getpid());
	fake_pid = fork();
	if (fake_pid < 0)
		return -errno;
	if (fake_pid == 0) {
		FILE *null = freopen("/dev/null", "w", stdout);
		(void)null;
		execlp("python3", "python3", script, "--port-file", port_file, "--idle-timeout",
		       "300", "--parent-pid", parent, "--client", client, "--spreadsheet",
		       store_shs.database, (char *)NULL);
		_exit(127);
	}
	/* python3 may be a slow shim on a loaded machine: up to 60 s */
	for (int i = 0; i < 1200; i++) {
		unsigned port = 0;
		FILE *f = fopen(port_file, "r");
		int status;
		if (f) {
			int n = fscanf(f, "%u", &port);
			fclose(f);
			if (n == 1 && port > 0) {
				snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
				snprintf(token_url, sizeof(token_url), "%s/token", url);
				setenv("PERSISTD_SHEETS_BASE_URL", url, 1);
				setenv("PERSISTD_OAUTH_TOKEN_URL", token_url, 1);
				return 0;
			}
		}
		if (waitpid(fake_pid, &status, WNOHANG) == fake_pid) {
			fake_pid = 0;
			return -ECHILD;
		}
		usleep(50 * 1000);
	}
	return -ETIMEDOUT;
}

static void fake_sheets_stop(void)
{
	if (fake_pid > 0) {
		int status;
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, &status, 0);
		fake_pid = 0;
	}
	if (fake_dir[0])
		test_remove_tree(fake_dir);
}

static int group_setup(void **state)
{
	static const char *const args[] = {
		"--set", "models.debounce=20ms",    "--set", "pool.min_size=1",
		"--set", "pool.connect_timeout=1s", "--set", "pool.acquire_timeout=2s",
		"--set", "pool.io_timeout=2s",	    NULL
	};
	char toml[8192] = "[package]\norg = \"test\"\nname = \"app\"\nversion = \"0.1.0\"\n";
	char config[8192] = "";
	char port[16], dir[128];
	(void)state;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(root, sizeof(root), "/tmp/persistd-data-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(dir, sizeof(dir), "%s/persist", root);
	if (mkdir(dir, 0755) < 0)
		return -1;

	if (have_pg()) {
		const char *h = env("PERSISTD_TEST_PG_HOST"), *u = env("PERSISTD_TEST_PG_USER"),
			   *pw = env("PERSISTD_TEST_PG_PASSWORD");
		store_pga.available = create_database(STORE_PG, store_pga.database) == 0;
		store_pgb.available = create_database(STORE_PG, store_pgb.database) == 0;
		store_pgr.available = create_database(STORE_PG, store_pgr.database) == 0;
		bind_model(toml, config, &store_pga, h, env("PERSISTD_TEST_PG_PORT"), u, pw);
		bind_model(toml, config, &store_pgb, h, env("PERSISTD_TEST_PG_PORT"), u, pw);
		relay_init(&relay, relay_free_port(),
			   (int)strtol(env("PERSISTD_TEST_PG_PORT"), NULL, 10));
		relay_ready = relay_up(&relay) == 0;
		store_pgr.available = store_pgr.available && relay_ready;
		snprintf(port, sizeof(port), "%d", relay.port);
		bind_model(toml, config, &store_pgr, "127.0.0.1", port, u, pw);
	}
	if (have_mysql()) {
		store_mya.available = create_database(STORE_MYSQL, store_mya.database) == 0;
		bind_model(toml, config, &store_mya, env("PERSISTD_TEST_MYSQL_HOST"),
			   env("PERSISTD_TEST_MYSQL_PORT"), env("PERSISTD_TEST_MYSQL_USER"),
			   env("PERSISTD_TEST_MYSQL_PASSWORD"));
	}
	if (have_redis()) {
		store_rds.available = redis_run("FLUSHDB", NULL, 0) == 0;
		bind_model(toml, config, &store_rds, env("PERSISTD_TEST_REDIS_HOST"),
			   env("PERSISTD_TEST_REDIS_PORT"), NULL, NULL);
	}
	if (fake_sheets_start() == 0) {
		store_shs.available = true;
		bind_model(toml, config, &store_shs, "data-api-client", NULL, "data-api-secret-7Hq",
			   "data-api-refresh-3Kx");
	}
	write_file("Ballerina.toml", toml);
	write_file("Config.toml", config);
	write_file("persist/mem.bal", connector_test_model);
	if (have_pg()) {
		write_file("persist/pga.bal", connector_test_model);
		write_file("persist/pgb.bal", connector_test_model);
		write_file("persist/pgr.bal", connector_test_model);
	}
	if (have_mysql())
		write_file("persist/mya.bal", connector_test_model);
	if (have_redis() || store_shs.available) {
		char *text = redis_model();
		if (have_redis())
			write_file("persist/rds.bal", text);
		if (store_shs.available)
			write_file("persist/shs.bal", text);
		free(text);
	}
	return persistd_start(root, args, &proc) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (proc.pid > 0)
		persistd_stop(&proc, SIGTERM, 10000);
	if (relay_ready)
		relay_down(&relay);
	fake_sheets_stop();
	if (getenv("PERSISTD_TEST_KEEP"))
		fprintf(stderr, "project kept in %s\n", root);
	else
		test_remove_tree(root);
	curl_global_cleanup();
	return 0;
}

/* Skip a store the servers do not provide. */
#define NEED(s)                                                                 \
	do {                                                                    \
		current = (s);                                                  \
		if (!(s)->available) {                                          \
			print_message("%s: store not available\n", (s)->model); \
			skip();                                                 \
		}                                                               \
	} while (0)

/* ---- push ------------------------------------------------------------------------------------ */

static void test_push(void **state)
{
	struct store_case *stores[] = { &store_pga, &store_pgb, &store_pgr, &store_mya };
	char path[128];
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(stores); i++) {
		struct store_case *s = stores[i];
		json_t *r;

		if (!s->available)
			continue;
		snprintf(path, sizeof(path), "/models/%s/push", s->model);
		r = request_json("POST", path, "{}", 200);
		assert_int_equal(json_array_size(json_object_get(r, "tables")), 7);
		json_decref(r);
		/* a second push finds the tables */
		expect_problem("POST", path, "{}", 409, "table_exists", NULL);
		r = request_json("POST", path, "{\"dropExisting\": true}", 200);
		assert_true(json_is_true(json_object_get(r, "droppedExisting")));
		json_decref(r);
		expect_problem("POST", path, "{\"dropExisting\": 1}", 400, "bad_request", NULL);
	}
	/* the in-memory store has no tables */
	expect_problem("POST", "/models/mem/push", NULL, 409, "not_sql_store", NULL);
	expect_problem("POST", "/models/nope/push", NULL, 404, "model_not_found", NULL);
}

/* ---- CRUD, once per store ---------------------------------------------------------------------
 */

static void test_crud(void **state)
{
	const struct store_case *s = *state;
	char p[256], q[256];

	NEED(s);
	data_path(p, sizeof(p), s, "departments");
	expect_json("POST", p, "{\"deptNo\":\"D1\",\"deptName\":\"Research\"}", 201, "[\"D1\"]");
	expect_json("POST", p,
		    "[{\"deptNo\":\"D2\",\"deptName\":\"Sales\"},"
		    "{\"deptNo\":\"D3\",\"deptName\":\"Ops\"}]",
		    201, "[\"D2\",\"D3\"]");
	/* <K> as upstream renders it: the value, or the server's text for SQL stores */
	expect_problem(
		"POST", p, "{\"deptNo\":\"D1\",\"deptName\":\"Again\"}", 409, "already_exists",
		text_for(s, s->kind == STORE_PG
				    ? "A record with the key '(\"deptNo\")=(D1)' already exists "
				      "for the entity 'Department'."
				    : "A record with the key 'D1' already exists for the entity "
				      "'Department'."));

	data_path(p, sizeof(p), s, "employees");
	expect_json("POST", p,
		    "[{\"empNo\":\"E1\",\"firstName\":\"Ann\",\"birthDate\":\"1990-01-02\","
		    "\"gender\":\"F\",\"departmentDeptNo\":\"D1\"},"
		    "{\"empNo\":\"E2\",\"firstName\":\"Bob\",\"birthDate\":\"1985-06-30\","
		    "\"gender\":\"MALE\",\"departmentDeptNo\":\"D1\"},"
		    "{\"empNo\":\"E3\",\"firstName\":\"Cy\",\"birthDate\":\"2000-12-31\","
		    "\"gender\":\"MALE\",\"departmentDeptNo\":\"D2\"}]",
		    201, "[\"E1\",\"E2\",\"E3\"]");

	data_path(p, sizeof(p), s, "employees/E2");
	expect_json("GET", p, NULL, 200,
		    "{\"empNo\":\"E2\",\"firstName\":\"Bob\",\"birthDate\":\"1985-06-30\","
		    "\"gender\":\"MALE\",\"departmentDeptNo\":\"D1\"}");
	data_path(p, sizeof(p), s, "employees/E9");
	expect_problem(
		"GET", p, NULL, 404, "record_not_found",
		text_for(s,
			 "A record with the key 'E9' does not exist for the entity 'Employee'."));

	/* filters, order, paging, projection */
	data_path(p, sizeof(p), s, "employees?gender=eq.MALE&order=birthDate.desc&fields=empNo");
	expect_json("GET", p, NULL, 200, "[{\"empNo\":\"E3\"},{\"empNo\":\"E2\"}]");
	data_path(p, sizeof(p), s, "employees?order=empNo.desc&limit=1&offset=1&fields=empNo");
	expect_json("GET", p, NULL, 200, "[{\"empNo\":\"E2\"}]");
	data_path(p, sizeof(p), s,
		  "employees?empNo=in.(E1,E3)&fields=firstName,department.deptName&order=empNo");
	expect_json("GET", p, NULL, 200,
		    "[{\"firstName\":\"Ann\",\"department\":{\"deptName\":\"Research\"}},"
		    "{\"firstName\":\"Cy\",\"department\":{\"deptName\":\"Sales\"}}]");
	data_path(p, sizeof(p), s, "employees?firstName=like.%25n%25&fields=empNo&order=empNo");
	expect_json("GET", p, NULL, 200, "[{\"empNo\":\"E1\"}]");
	data_path(p, sizeof(p), s, "departments?include=employees&deptNo=neq.D3&order=deptNo");
	{
		json_t *rows = request_json("GET", p, NULL, 200);
		assert_int_equal(json_array_size(rows), 2);
		assert_int_equal(
			json_array_size(json_object_get(json_array_get(rows, 0), "employees")), 2);
		assert_int_equal(
			json_array_size(json_object_get(json_array_get(rows, 1), "employees")), 1);
		json_decref(rows);
	}
	data_path(p, sizeof(p), s, "departments/D1?fields=deptName,employees.firstName");
	{
		json_t *d = request_json("GET", p, NULL, 200);
		assert_string_equal(json_string_value(json_object_get(d, "deptName")), "Research");
		assert_int_equal(json_array_size(json_object_get(d, "employees")), 2);
		assert_null(json_object_get(d, "deptNo"));
		json_decref(d);
	}

	/* partial update with PATCH and PUT */
	data_path(p, sizeof(p), s, "employees/E2");
	expect_json("PATCH", p, "{\"firstName\":\"Robert\"}", 200,
		    "{\"empNo\":\"E2\",\"firstName\":\"Robert\",\"birthDate\":\"1985-06-30\","
		    "\"gender\":\"MALE\",\"departmentDeptNo\":\"D1\"}");
	expect_json("PUT", p, "{\"departmentDeptNo\":\"D2\"}", 200,
		    "{\"empNo\":\"E2\",\"firstName\":\"Robert\",\"birthDate\":\"1985-06-30\","
		    "\"gender\":\"MALE\",\"departmentDeptNo\":\"D2\"}");
	expect_problem("PATCH", p, "{\"empNo\":\"E7\"}", 422, "invalid_record", NULL);
	data_path(q, sizeof(q), s, "employees/E9");
	expect_problem(
		"PATCH", q, "{\"firstName\":\"x\"}", 404, "record_not_found",
		text_for(s,
			 "A record with the key 'E9' does not exist for the entity 'Employee'."));

	/* delete returns the record */
	data_path(p, sizeof(p), s, "employees/E3");
	expect_json("DELETE", p, NULL, 200,
		    "{\"empNo\":\"E3\",\"firstName\":\"Cy\",\"birthDate\":\"2000-12-31\","
		    "\"gender\":\"MALE\",\"departmentDeptNo\":\"D2\"}");
	expect_problem(
		"DELETE", p, NULL, 404, "record_not_found",
		text_for(s,
			 "A record with the key 'E3' does not exist for the entity 'Employee'."));
	expect_problem("GET", p, NULL, 404, "record_not_found", NULL);

	/* 1-1 relation (nillable on one side: not in Redis's and Sheets' model) */
	if (nosql(s))
		return;
	data_path(p, sizeof(p), s, "profiles");
	expect_json("POST", p, "{\"id\":1,\"bio\":\"hi\",\"ownerEmpNo\":\"E1\"}", 201, "[1]");
	data_path(p, sizeof(p), s, "employees/E1?include=profile");
	{
		json_t *e = request_json("GET", p, NULL, 200);
		assert_string_equal(
			json_string_value(json_object_get(json_object_get(e, "profile"), "bio")),
			"hi");
		json_decref(e);
	}
}

static void test_composite_and_generated_keys(void **state)
{
	const struct store_case *s = *state;
	char p[256];
	json_t *a, *b;

	NEED(s);
	data_path(p, sizeof(p), s, "orderitems");
	expect_json("POST", p,
		    "[{\"orderId\":\"O1\",\"itemId\":1,\"quantity\":2,\"price\":\"9.50\"},"
		    "{\"orderId\":\"O1\",\"itemId\":2,\"quantity\":1,\"price\":\"3\"}]",
		    201, "[[\"O1\",1],[\"O1\",2]]");
	expect_problem(
		"POST", p, "{\"orderId\":\"O1\",\"itemId\":2,\"quantity\":5,\"price\":\"5\"}", 409,
		"already_exists",
		text_for(
			s,
			s->kind == STORE_PG
				? "A record with the key '(\"orderId\", \"itemId\")=(O1, 2)' "
				  "already exists for the entity 'OrderItem'."
			: s->kind == STORE_MYSQL
				? "A record with the key 'O1-2' already exists for the entity 'OrderItem'."
				: "A record with the key '{\"orderId\":\"O1\",\"itemId\":2}' already "
				  "exists for the entity 'OrderItem'."));
	data_path(p, sizeof(p), s, "orderitems/O1/1");
	expect_json("GET", p, NULL, 200,
		    "{\"orderId\":\"O1\",\"itemId\":1,\"quantity\":2,\"price\":\"9.5\"}");
	expect_json("PATCH", p, "{\"quantity\":7}", 200,
		    "{\"orderId\":\"O1\",\"itemId\":1,\"quantity\":7,\"price\":\"9.5\"}");
	data_path(p, sizeof(p), s, "shipments");
	expect_json("POST", p, "{\"id\":10,\"itemOrderId\":\"O1\",\"itemItemId\":1}", 201, "[10]");
	data_path(p, sizeof(p), s, "orderitems/O1/1?include=shipments");
	{
		json_t *o = request_json("GET", p, NULL, 200);
		assert_int_equal(json_array_size(json_object_get(o, "shipments")), 1);
		json_decref(o);
	}
	data_path(p, sizeof(p), s, "orderitems/O1/2");
	expect_json("DELETE", p, NULL, 200,
		    "{\"orderId\":\"O1\",\"itemId\":2,\"quantity\":1,\"price\":\"3\"}");
	/* wrong key shapes */
	data_path(p, sizeof(p), s, "orderitems/O1");
	expect_problem("GET", p, NULL, 400, "bad_key", NULL);
	data_path(p, sizeof(p), s, "orderitems/O1/x");
	expect_problem("GET", p, NULL, 400, "bad_key", NULL);
	data_path(p, sizeof(p), s, "orderitems/O1/1/3");
	expect_problem("GET", p, NULL, 400, "bad_key", NULL);

	if (s->kind == STORE_REDIS) {
		/* nothing generates key values in Redis: the key must be given */
		data_path(p, sizeof(p), s, "tickets");
		expect_problem("POST", p, "{\"title\":\"first\"}", 422, "invalid_record", NULL);
		return;
	}
	/* generated keys come back as the client's post returns them */
	data_path(p, sizeof(p), s, "tickets");
	a = request_json("POST", p, "{\"title\":\"first\"}", 201);
	b = request_json("POST", p, "[{\"title\":\"second\"},{\"title\":\"third\"}]", 201);
	assert_true(json_is_integer(json_array_get(a, 0)));
	assert_int_equal(json_array_size(b), 2);
	assert_true(json_integer_value(json_array_get(b, 0)) >
		    json_integer_value(json_array_get(a, 0)));
	assert_int_equal(json_integer_value(json_array_get(b, 1)),
			 json_integer_value(json_array_get(b, 0)) + 1);
	{
		char k[64];
		snprintf(k, sizeof(k), "tickets/%lld",
			 (long long)json_integer_value(json_array_get(b, 1)));
		data_path(p, sizeof(p), s, k);
		a = (json_decref(a), request_json("GET", p, NULL, 200));
		assert_string_equal(json_string_value(json_object_get(a, "title")), "third");
	}
	json_decref(a);
	json_decref(b);
}

/* Every field type with its JSON encoding, read back canonical. */
static void test_field_types(void **state)
{
	const struct store_case *s = *state;
	char p[256];

	NEED(s);
	data_path(p, sizeof(p), s, "alltypes");
	expect_json("POST", p,
		    "{\"id\":1,\"b\":true,\"d\":12.50,\"f\":1.5,\"s\":\"h\\u00e9llo \\\"q\\\"\","
		    "\"bytes\":\"AAEC/w==\",\"date\":\"2024-02-29\",\"tod\":\"23:59:58\","
		    "\"utc\":\"2024-01-02T03:04:05+02:00\",\"civil\":\"2024-01-02T03:04:05\","
		    "\"gender\":\"F\",\"opt\":null}",
		    201, "[1]");
	expect_json("POST", p,
		    "{\"id\":2,\"b\":false,\"d\":\"-0.001\",\"f\":-2,\"s\":\"\","
		    "\"bytes\":\"\",\"date\":\"1970-01-01\",\"tod\":\"00:00:00\","
		    "\"utc\":\"1999-12-31T23:59:59Z\",\"civil\":\"2000-01-01T00:00:00\","
		    "\"gender\":\"MALE\",\"opt\":\"x\"}",
		    201, "[2]");
	data_path(p, sizeof(p), s, "alltypes/1");
	expect_json("GET", p, NULL, 200,
		    "{\"id\":1,\"b\":true,\"d\":\"12.5\",\"f\":1.5,\"s\":\"h\\u00e9llo \\\"q\\\"\","
		    "\"bytes\":\"AAEC/w==\",\"date\":\"2024-02-29\",\"tod\":\"23:59:58\","
		    "\"utc\":\"2024-01-02T01:04:05Z\",\"civil\":\"2024-01-02T03:04:05\","
		    "\"gender\":\"F\",\"opt\":null}");
	data_path(p, sizeof(p), s, "alltypes/2");
	expect_json("GET", p, NULL, 200,
		    "{\"id\":2,\"b\":false,\"d\":\"-0.001\",\"f\":-2.0,\"s\":\"\","
		    "\"bytes\":\"\",\"date\":\"1970-01-01\",\"tod\":\"00:00:00\","
		    "\"utc\":\"1999-12-31T23:59:59Z\",\"civil\":\"2000-01-01T00:00:00\","
		    "\"gender\":\"MALE\",\"opt\":\"x\"}");
	/* filters on typed values */
	data_path(p, sizeof(p), s, "alltypes?d=gt.0&fields=id");
	expect_json("GET", p, NULL, 200, "[{\"id\":1}]");
	if (!nosql(s)) {
		data_path(p, sizeof(p), s, "alltypes?opt=is.null&fields=id");
		expect_json("GET", p, NULL, 200, "[{\"id\":1}]");
	}
	data_path(p, sizeof(p), s, "alltypes?date=lt.2000-01-01&b=eq.false&fields=id");
	expect_json("GET", p, NULL, 200, "[{\"id\":2}]");

	/* what a generated Ballerina client stores: the generated script's columns */
	if (s->kind == STORE_PG) {
		sql_expect(
			s,
			"SELECT " PGQ("id") "," PGQ("b") "," PGQ("d") "::text," PGQ("f") "," PGQ("s") ",encode(" PGQ("bytes") ",'hex')," PGQ(
				"date") "," PGQ("tod") "," PGQ("utc") "," PGQ("civil") "," PGQ("gender") ",coalesce(" PGQ("opt") ",'NULL') FROM " PGQ("AllTypes") " ORDER BY 1",
			"1|t|12.500000000000000000000000000000|1.5|h\xc3\xa9llo \"q\"|000102ff|"
			"2024-02-29|23:59:58|2024-01-02 01:04:05|2024-01-02 03:04:05|F|NULL\n"
			"2|f|-0.001000000000000000000000000000|-2|||1970-01-01|00:00:00|"
			"1999-12-31 23:59:59|2000-01-01 00:00:00|MALE|x");
	} else if (s->kind == STORE_MYSQL) {
		sql_expect(
			s,
			"SELECT " MYQ("id") "," MYQ("b") "," MYQ("d") "," MYQ("f") "," MYQ("s") ",hex(" MYQ("bytes") ")," MYQ("date") "," MYQ(
				"tod") "," MYQ("utc") "," MYQ("civil") "," MYQ("gender") ",coalesce(" MYQ("opt") ",'NULL') "
														 "FROM " MYQ(
															 "AllTypes") " ORDER BY 1",
			"1\t1\t12.500000000000000000000000000000\t1.5\th\xc3\xa9llo \"q\"\t000102FF"
			"\t2024-02-29\t23:59:58\t2024-01-02 01:04:05\t2024-01-02 03:04:05\tF\tNULL\n"
			"2\t0\t-0.001000000000000000000000000000\t-2\t\t\t1970-01-01\t00:00:00\t"
			"1999-12-31 23:59:59\t2000-01-01 00:00:00\tMALE\tx");
	} else if (s->kind == STORE_REDIS) {
		/* upstream's hash: one field per stored field, its value texts (runtime.md §5) */
		redis_expect("HGET AllTypes:1 date", "29-2-2024");
		redis_expect("HGET AllTypes:1 d", "12.5");
		redis_expect("HGET AllTypes:1 gender", "F");
		redis_expect("HGET AllTypes:2 f", "-2.0");
		redis_expect("HGET AllTypes:1 utc", "2024-01-02T01:04:05Z");
	}
}

static void test_errors(void **state)
{
	const struct store_case *s = *state;
	char p[256];

	NEED(s);
	data_path(p, sizeof(p), s, "departments");
	/* strict bodies: wrong type, unknown member, missing field, not an object */
	expect_problem("POST", p, "{\"deptNo\":5,\"deptName\":\"x\"}", 422, "invalid_record", NULL);
	expect_problem("POST", p, "{\"deptNo\":\"X1\",\"deptName\":\"x\",\"boss\":1}", 422,
		       "invalid_record", NULL);
	expect_problem("POST", p, "{\"deptNo\":\"X1\"}", 422, "invalid_record", NULL);
	expect_problem("POST", p, "[1]", 422, "invalid_record", NULL);
	expect_problem("POST", p, "[]", 422, "invalid_record", NULL);
	expect_problem("POST", p, "\"x\"", 422, "invalid_record", NULL);
	expect_problem("POST", p, "{\"deptNo\":", 400, "bad_request", NULL);
	expect_problem("POST", p, "{\"deptNo\":\"a\",\"deptNo\":\"b\",\"deptName\":\"x\"}", 400,
		       "bad_request", NULL);
	{
		static const char *const form[] = {
			"Content-Type: application/x-www-form-urlencoded", NULL
		};
		struct http_result h;
		char url[512];
		snprintf(url, sizeof(url), "%s%s", proc.base_url, p);
		assert_int_equal(http_request("POST", url, "a=b", 3, form, &h), 0);
		assert_int_equal(h.status, 415);
		http_result_release(&h);
	}
	/* an array is all-or-nothing */
	expect_problem(
		"POST", p,
		"[{\"deptNo\":\"X1\",\"deptName\":\"x\"},{\"deptNo\":\"X2\",\"deptName\":7}]", 422,
		"invalid_record", NULL);
	expect_problem(
		"POST", p,
		"[{\"deptNo\":\"X1\",\"deptName\":\"x\"},{\"deptNo\":\"X1\",\"deptName\":\"y\"}]",
		409, "already_exists", NULL);
	data_path(p, sizeof(p), s, "departments/X1");
	expect_problem("GET", p, NULL, 404, "record_not_found", NULL);

	/* queries */
	data_path(p, sizeof(p), s, "departments?limit=1001");
	expect_problem("GET", p, NULL, 400, "bad_query", NULL);
	data_path(p, sizeof(p), s, "departments?limit=-1");
	expect_problem("GET", p, NULL, 400, "bad_query", NULL);
	data_path(p, sizeof(p), s, "departments?boss=eq.1");
	expect_problem("GET", p, NULL, 400, "bad_query", NULL);
	data_path(p, sizeof(p), s, "departments?deptNo=about.1");
	expect_problem("GET", p, NULL, 400, "bad_query", NULL);
	data_path(p, sizeof(p), s, "departments?fields=nope");
	expect_problem("GET", p, NULL, 400, "bad_query", NULL);
	data_path(p, sizeof(p), s, "departments?include=nope");
	expect_problem("GET", p, NULL, 400, "bad_query", NULL);
	data_path(p, sizeof(p), s, "departments?order=deptName.sideways");
	expect_problem("GET", p, NULL, 400, "bad_query", NULL);
	data_path(p, sizeof(p), s, "alltypes?id=gt.abc");
	expect_problem("GET", p, NULL, 400, "bad_query", NULL);
	/* SQL metacharacters are values, never SQL */
	data_path(p, sizeof(p), s,
		  "departments?deptName=eq.x'%3B%20DROP%20TABLE%20Department%3B--");
	expect_json("GET", p, NULL, 200, "[]");
	data_path(p, sizeof(p), s, "departments");
	expect_json("POST", p, "{\"deptNo\":\"Q'1\",\"deptName\":\"a\\\"b'c;--\"}", 201,
		    "[\"Q'1\"]");
	data_path(p, sizeof(p), s, "departments/Q'1");
	expect_json("GET", p, NULL, 200, "{\"deptNo\":\"Q'1\",\"deptName\":\"a\\\"b'c;--\"}");
	expect_json("DELETE", p, NULL, 200, "{\"deptNo\":\"Q'1\",\"deptName\":\"a\\\"b'c;--\"}");

	/* a key holding '/' and '%' travels percent-encoded in one segment */
	data_path(p, sizeof(p), s, "departments");
	expect_json("POST", p, "{\"deptNo\":\"a/b%c\",\"deptName\":\"slash\"}", 201, "[\"a/b%c\"]");
	data_path(p, sizeof(p), s, "departments/a%2Fb%25c");
	expect_json("DELETE", p, NULL, 200, "{\"deptNo\":\"a/b%c\",\"deptName\":\"slash\"}");
	data_path(p, sizeof(p), s, "departments?deptNo=eq.a%2Fb");
	expect_json("GET", p, NULL, 200, "[]");

	/* unknown resources and models */
	data_path(p, sizeof(p), s, "managers");
	expect_problem("GET", p, NULL, 404, "resource_not_found", NULL);
	expect_problem("GET", "/models/nope/data/departments", NULL, 404, "model_not_found", NULL);
	expect_problem("GET", "/models/a..b/data/departments", NULL, 400, "invalid_model_name",
		       NULL);

	/* constraints of the SQL stores: a foreign key that points nowhere */
	/* (the in-memory and Sheets clients of upstream check no foreign keys either) */
	if (s->kind != STORE_MEMORY && s->kind != STORE_SHEETS) {
		data_path(p, sizeof(p), s, "employees");
		expect_problem("POST", p,
			       "{\"empNo\":\"E8\",\"firstName\":\"Z\",\"birthDate\":\"1990-01-01\","
			       "\"gender\":\"F\",\"departmentDeptNo\":\"NOPE\"}",
			       422, "constraint_violation", NULL);
	}
}

/* Rows written by another client of the same tables read back through the API. */
static void test_interop_rows(void **state)
{
	const struct store_case *s = *state;
	char out[512], p[256];

	NEED(s);
	if (s->kind == STORE_REDIS)
		assert_int_equal(
			redis_run("HSET Department:S1 deptNo S1 deptName Direct", out, sizeof(out)),
			0);
	else if (s->kind == STORE_PG)
		assert_int_equal(sql_run(s->kind, s->database,
					 "INSERT INTO " PGQ("Department") " VALUES ('S1','Direct')",
					 out, sizeof(out)),
				 0);
	else
		assert_int_equal(sql_run(s->kind, s->database,
					 "INSERT INTO " MYQ("Department") " VALUES ('S1','Direct')",
					 out, sizeof(out)),
				 0);
	data_path(p, sizeof(p), s, "departments/S1");
	expect_json("GET", p, NULL, 200, "{\"deptNo\":\"S1\",\"deptName\":\"Direct\"}");
	/* and an API write is the row a client would read */
	data_path(p, sizeof(p), s, "employees");
	expect_json("POST", p,
		    "{\"empNo\":\"S9\",\"firstName\":\"Sql\",\"birthDate\":\"1999-09-09\","
		    "\"gender\":\"F\",\"departmentDeptNo\":\"S1\"}",
		    201, "[\"S9\"]");
	if (s->kind == STORE_PG)
		sql_expect(
			s,
			"SELECT " PGQ("empNo") "," PGQ("first_name") "," PGQ("birthDate") "," PGQ("gender") "," PGQ(
				"departmentDeptNo") " FROM " PGQ("Employee") " WHERE " PGQ("empNo") "='S9'",
			"S9|Sql|1999-09-09|F|S1");
	else if (s->kind == STORE_REDIS)
		redis_expect("HMGET Employee:S9 empNo firstName birthDate gender departmentDeptNo",
			     "S9\nSql\n9-9-1999\nF\nS1");
	else
		sql_expect(
			s,
			"SELECT " MYQ("empNo") "," MYQ("first_name") "," MYQ("birthDate") "," MYQ("gender") "," MYQ(
				"departmentDeptNo") " FROM " MYQ("Employee") " WHERE " MYQ("empNo") "='S9'",
			"S9\tSql\t1999-09-09\tF\tS1");
}

/* Same entity names on four stores (two databases of one PostgreSQL server among them): each
 * model sees only its own records. */
static void test_isolation(void **state)
{
	struct store_case *stores[] = { &store_mem, &store_pga, &store_pgb,
					&store_mya, &store_rds, &store_shs };
	char p[256], body[256], want[256];
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(stores); i++) {
		if (!stores[i]->available)
			continue;
		data_path(p, sizeof(p), stores[i], "departments");
		snprintf(body, sizeof(body), "{\"deptNo\":\"ISO\",\"deptName\":\"%s\"}",
			 stores[i]->model);
		expect_json("POST", p, body, 201, "[\"ISO\"]");
	}
	for (size_t i = 0; i < ELEMENTSOF(stores); i++) {
		if (!stores[i]->available)
			continue;
		data_path(p, sizeof(p), stores[i], "departments/ISO");
		snprintf(want, sizeof(want), "{\"deptNo\":\"ISO\",\"deptName\":\"%s\"}",
			 stores[i]->model);
		expect_json("GET", p, NULL, 200, want);
		expect_json("DELETE", p, NULL, 200, want);
	}
	/* pgb never got the records of the CRUD tests that ran on pga */
	if (store_pgb.available && store_pga.available) {
		data_path(p, sizeof(p), &store_pgb, "employees/E1");
		expect_problem("GET", p, NULL, 404, "record_not_found", NULL);
		data_path(p, sizeof(p), &store_pga, "employees/E1");
		json_decref(request_json("GET", p, NULL, 200));
	}
}

struct writer {
	const struct store_case *s;
	int id;
	int ok;
};

static void *writer_main(void *arg)
{
	static const char *const json_headers[] = { "Content-Type: application/json", NULL };
	struct writer *w = arg;
	char url[512], body[128];

	for (int i = 0; i < 25; i++) {
		struct http_result h = { 0 };
		snprintf(url, sizeof(url), "%s/models/%s/data/departments", proc.base_url,
			 w->s->model);
		snprintf(body, sizeof(body), "{\"deptNo\":\"W%d-%d\",\"deptName\":\"w\"}", w->id,
			 i);
		if (http_request("POST", url, body, strlen(body), json_headers, &h) == 0 &&
		    h.status == 201)
			w->ok++;
		http_result_release(&h);
	}
	return NULL;
}

/* The model's persistd_pool_pipelined_reads_total. */
static uint64_t pipelined_reads(const struct store_case *s)
{
	struct http_result h;
	char url[256], series[256];
	const char *at;
	uint64_t v = 0;

	snprintf(url, sizeof(url), "%s/metrics", proc.base_url);
	assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
	assert_int_equal(h.status, 200);
	snprintf(series, sizeof(series), "persistd_pool_pipelined_reads_total{model=\"%s\",",
		 s->model);
	at = strstr(h.body, series);
	if (at && (at = strchr(at, '}')))
		v = strtoull(at + 1, NULL, 10);
	http_result_release(&h);
	return v;
}

struct reader {
	const struct store_case *s;
	int writer; /* whose records it reads */
	int ok, bad;
};

/* Each record asked for must come back as that record, however many reads share a pipe. */
static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	char url[512], want[128];

	for (int i = 0; i < 25; i++) {
		struct http_result h = { 0 };
		snprintf(url, sizeof(url), "%s/models/%s/data/departments/W%d-%d", proc.base_url,
			 rd->s->model, rd->writer, i);
		snprintf(want, sizeof(want), "\"deptNo\":\"W%d-%d\"", rd->writer, i);
		if (http_request("GET", url, NULL, 0, NULL, &h) == 0 && h.status == 200 &&
		    strstr(h.body, want))
			rd->ok++;
		else
			rd->bad++;
		http_result_release(&h);
		if (i % 5 != 0)
			continue;
		/* a miss between hits: its 404 must not shift the answers behind it */
		h = (struct http_result){ 0 };
		snprintf(url, sizeof(url), "%s/models/%s/data/departments/NONE-%d-%d",
			 proc.base_url, rd->s->model, rd->writer, i);
		if (http_request("GET", url, NULL, 0, NULL, &h) == 0 && h.status == 404 &&
		    strstr(h.body, "record_not_found"))
			rd->ok++;
		else
			rd->bad++;
		http_result_release(&h);
	}
	return NULL;
}

/* Concurrent writers through one pool: every acknowledged write is stored. Then concurrent
 * readers: each gets the record it asked for (on PostgreSQL, MariaDB and Redis through the
 * loops' pipes, many reads in flight on one connection or in one statement). */
static void test_concurrent_writers(void **state)
{
	const struct store_case *s = *state;
	struct writer w[8];
	pthread_t t[8];
	char p[256];
	json_t *rows;
	int ok = 0;

	NEED(s);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct writer){ .s = s, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
	}
	assert_int_equal(ok, 200);
	data_path(p, sizeof(p), s, "departments?deptNo=like.W%25&fields=deptNo&limit=1000");
	rows = request_json("GET", p, NULL, 200);
	assert_int_equal(json_array_size(rows), 200);
	json_decref(rows);
	if (s->kind == STORE_PG)
		sql_expect(s,
			   "SELECT count(*) FROM " PGQ("Department") " WHERE " PGQ(
				   "deptNo") " LIKE 'W%'",
			   "200");
	else if (s->kind == STORE_MYSQL)
		sql_expect(s,
			   "SELECT count(*) FROM " MYQ("Department") " WHERE " MYQ(
				   "deptNo") " LIKE 'W%'",
			   "200");

	{
		struct reader rd[16];
		pthread_t rt[16];
		uint64_t before = pipelined_reads(s);
		int good = 0, bad = 0;

		for (int i = 0; i < 16; i++) {
			rd[i] = (struct reader){ .s = s, .writer = i % 8 };
			assert_int_equal(pthread_create(&rt[i], NULL, reader_main, &rd[i]), 0);
		}
		for (int i = 0; i < 16; i++) {
			pthread_join(rt[i], NULL);
			good += rd[i].ok;
			bad += rd[i].bad;
		}
		assert_int_equal(bad, 0);
		assert_int_equal(good, 16 * 30);
		if (s->kind == STORE_PG || s->kind == STORE_MYSQL || s->kind == STORE_REDIS)
			/* most through the pipes; some may go through the pool while a pipe
			 * is being (re)opened on a slow machine */
			assert_true(pipelined_reads(s) > before);
		else
			assert_true(pipelined_reads(s) == before);
	}
}

/* GET path: status and body (NULL when none). */
static long get_reply(const char *path, json_t **ret_body)
{
	struct http_result h;
	char url[512];
	long status;

	snprintf(url, sizeof(url), "%s%s", proc.base_url, path);
	assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
	status = h.status;
	*ret_body = h.len ? json_loads(h.body, 0, NULL) : NULL;
	http_result_release(&h);
	return status;
}

/* A read of a whole record (through the loop's pipe where the store has one) answers exactly as
 * a read with a projection of every field, which always goes through the pool: for a record,
 * for its key in other letter cases (MariaDB's collation finds those; the others do not), and
 * for a missing key. */
static void test_pipe_answers_as_pool(void **state)
{
	const struct store_case *s = *state;
	static const char *const keys[] = { "Case1", "case1", "CASE1", "Nope1" };
	char p[256], rest[128];

	NEED(s);
	data_path(p, sizeof(p), s, "departments");
	json_decref(request_json("POST", p, "{\"deptNo\":\"Case1\",\"deptName\":\"c\"}", 201));
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		json_t *piped = NULL, *pooled = NULL;
		long a, b;
		snprintf(rest, sizeof(rest), "departments/%s", keys[i]);
		data_path(p, sizeof(p), s, rest);
		a = get_reply(p, &piped);
		snprintf(rest, sizeof(rest), "departments/%s?fields=deptNo,deptName", keys[i]);
		data_path(p, sizeof(p), s, rest);
		b = get_reply(p, &pooled);
		if (a != b || !json_equal(piped, pooled)) {
			char *x = json_dumps(piped, JSON_COMPACT | JSON_ENCODE_ANY);
			char *y = json_dumps(pooled, JSON_COMPACT | JSON_ENCODE_ANY);
			fail_msg("%s: whole record %ld %s, projection %ld %s", keys[i], a,
				 x ? x : "", b, y ? y : "");
		}
		if (i == 0)
			assert_int_equal(a, 200);
		if (i == ELEMENTSOF(keys) - 1)
			assert_int_equal(a, 404);
		json_decref(piped);
		json_decref(pooled);
	}
	data_path(p, sizeof(p), s, "departments/Case1");
	json_decref(request_json("DELETE", p, NULL, 200));
}

/* The in-memory store keeps its records when the model file is saved again. */
static void test_memory_survives_reload(void **state)
{
	char path[256];
	FILE *f;
	(void)state;

	expect_json("POST", "/models/mem/data/departments",
		    "{\"deptNo\":\"KEEP\",\"deptName\":\"k\"}", 201, "[\"KEEP\"]");
	snprintf(path, sizeof(path), "%s/persist/mem.bal", root);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("// saved again\n", f);
	fclose(f);
	usleep(300 * 1000);
	expect_json("GET", "/models/mem/data/departments/KEEP", NULL, 200,
		    "{\"deptNo\":\"KEEP\",\"deptName\":\"k\"}");
}

/* GET /readyz's store entry of model; false when missing. */
static bool store_reachable(const char *model)
{
	json_t *r = request_json("GET", "/readyz", NULL, 200), *m;
	bool up = false;
	size_t i;

	json_array_foreach(json_object_get(r, "models"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "name")), model) == 0)
			up = json_is_true(
				json_object_get(json_object_get(m, "store"), "reachable"));
	json_decref(r);
	return up;
}

/* A store that goes down fails only its own model's routes with 503 and comes back by
 * itself; nothing written before is lost. */
static void test_store_down_and_back(void **state)
{
	char p[256];
	int i;
	(void)state;

	NEED(&store_pgr);
	data_path(p, sizeof(p), &store_pgr, "departments");
	expect_json("POST", p, "{\"deptNo\":\"R1\",\"deptName\":\"before\"}", 201, "[\"R1\"]");
	assert_true(store_reachable("pgr"));

	relay_pause(&relay);
	data_path(p, sizeof(p), &store_pgr, "departments/R1");
	expect_problem("GET", p, NULL, 503, "store_unavailable", NULL);
	expect_problem("POST", "/models/pgr/data/departments",
		       "{\"deptNo\":\"R2\",\"deptName\":\"during\"}", 503, "store_unavailable",
		       NULL);
	/* the other models keep serving */
	expect_json("GET", "/models/mem/data/departments/KEEP", NULL, 200,
		    "{\"deptNo\":\"KEEP\",\"deptName\":\"k\"}");
	if (store_pga.available)
		json_decref(request_json("GET", "/models/pga/data/departments?limit=1", NULL, 200));
	/* /readyz notices within the janitor's period */
	for (i = 0; i < 50 && store_reachable("pgr"); i++)
		usleep(100 * 1000);
	assert_false(store_reachable("pgr"));

	relay_resume(&relay);
	/* back by itself: the janitor reconnects with backoff */
	for (i = 0; i < 100; i++) {
		struct http_result h;
		char url[512];
		snprintf(url, sizeof(url), "%s%s", proc.base_url, p);
		assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
		long st = h.status;
		http_result_release(&h);
		if (st == 200)
			break;
		assert_int_equal(st, 503);
		usleep(100 * 1000);
	}
	assert_true(i < 100);
	expect_json("GET", p, NULL, 200, "{\"deptNo\":\"R1\",\"deptName\":\"before\"}");
	for (i = 0; i < 50 && !store_reachable("pgr"); i++)
		usleep(100 * 1000);
	assert_true(store_reachable("pgr"));
}

/* Pool series per model in /metrics. */
static void test_metrics(void **state)
{
	struct http_result h;
	char url[256];
	(void)state;

	snprintf(url, sizeof(url), "%s/metrics", proc.base_url);
	assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
	assert_int_equal(h.status, 200);
	assert_non_null(
		strstr(h.body, "persistd_store_up{model=\"mem\",datastore=\"inmemory\"} 1"));
	assert_non_null(strstr(h.body, "persistd_pool_acquires_total{model=\"mem\""));
	if (store_pga.available)
		assert_non_null(strstr(
			h.body,
			"persistd_pool_connections{model=\"pga\",datastore=\"postgresql\"}"));
	http_result_release(&h);
}

struct keepalive_body {
	char text[4096];
	size_t len;
};

static size_t keepalive_collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct keepalive_body *b = userdata;
	size_t n = size * nmemb, room = sizeof(b->text) - 1 - b->len;

	memcpy(b->text + b->len, ptr, n < room ? n : room);
	b->len += n < room ? n : room;
	b->text[b->len] = '\0';
	return n;
}

/* GET path on c, whose connection curl keeps: every call lands on the same event loop. */
static long keepalive_get(CURL *c, const char *path, struct keepalive_body *b)
{
	char url[512];
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", proc.base_url, path);
	*b = (struct keepalive_body){ 0 };
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keepalive_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* A store that hangs (connections open, no answer): a pipelined read, and a write on a pooled
 * connection, get 503 once pool.io_timeout has passed, and reads work again when the store
 * answers again. One
 * keep-alive connection, so the read that waits goes through the pipe the first read opened
 * on that connection's loop. */
static void test_store_hangs(void **state)
{
	struct keepalive_body b;
	CURL *c = curl_easy_init();
	uint64_t reads;
	char p[256];
	usec_t t0, took;
	int i;
	(void)state;

	NEED(&store_pgr);
	assert_non_null(c);
	data_path(p, sizeof(p), &store_pgr, "departments");
	json_decref(request_json("POST", p, "{\"deptNo\":\"H1\",\"deptName\":\"h\"}", 201));
	data_path(p, sizeof(p), &store_pgr, "departments/H1");
	/* a pipe that broke in the store-down test is reopened a second later */
	for (i = 0; i < 50; i++) {
		reads = pipelined_reads(&store_pgr);
		assert_int_equal(keepalive_get(c, p, &b), 200);
		if (pipelined_reads(&store_pgr) > reads)
			break;
		usleep(100 * 1000);
	}
	assert_true(i < 50);

	relay_freeze(&relay);
	t0 = now_usec(CLOCK_MONOTONIC);
	assert_int_equal(keepalive_get(c, p, &b), 503);
	took = now_usec(CLOCK_MONOTONIC) - t0;
	assert_non_null(strstr(b.text, "store_unavailable"));
	assert_non_null(strstr(b.text, "pool.io_timeout"));
	/* pool.io_timeout is 2 s; the pipes are looked at once a second */
	assert_true(took >= 1500 * USEC_PER_MSEC);
	assert_true(took < 10 * USEC_PER_SEC);
	/* a write on a pooled connection is bounded by the same timeout (then a fresh
	 * connection is tried, which cannot finish its start-up either) */
	t0 = now_usec(CLOCK_MONOTONIC);
	data_path(p, sizeof(p), &store_pgr, "departments");
	expect_problem("POST", p, "{\"deptNo\":\"H2\",\"deptName\":\"h\"}", 503,
		       "store_unavailable", NULL);
	took = now_usec(CLOCK_MONOTONIC) - t0;
	assert_true(took >= 1500 * USEC_PER_MSEC);
	assert_true(took < 15 * USEC_PER_SEC);
	data_path(p, sizeof(p), &store_pgr, "departments/H1");
	/* the other models kept serving meanwhile */
	expect_json("GET", "/models/mem/data/departments/KEEP", NULL, 200,
		    "{\"deptNo\":\"KEEP\",\"deptName\":\"k\"}");
	relay_thaw(&relay);

	for (i = 0; i < 100 && keepalive_get(c, p, &b) != 200; i++)
		usleep(100 * 1000);
	assert_true(i < 100);
	curl_easy_cleanup(c);
	json_decref(request_json("DELETE", p, NULL, 200));
}

#define PER_STORE(fn)                                                                         \
	cmocka_unit_test_prestate(fn, &store_mem), cmocka_unit_test_prestate(fn, &store_pga), \
		cmocka_unit_test_prestate(fn, &store_mya),                                    \
		cmocka_unit_test_prestate(fn, &store_rds),                                    \
		cmocka_unit_test_prestate(fn, &store_shs)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push),
		PER_STORE(test_crud),
		PER_STORE(test_composite_and_generated_keys),
		PER_STORE(test_field_types),
		PER_STORE(test_errors),
		cmocka_unit_test_prestate(test_interop_rows, &store_pga),
		cmocka_unit_test_prestate(test_interop_rows, &store_mya),
		cmocka_unit_test_prestate(test_interop_rows, &store_rds),
		cmocka_unit_test(test_isolation),
		PER_STORE(test_concurrent_writers),
		PER_STORE(test_pipe_answers_as_pool),
		cmocka_unit_test(test_memory_survives_reload),
		cmocka_unit_test(test_store_down_and_back),
		cmocka_unit_test(test_store_hangs),
		cmocka_unit_test(test_metrics),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
