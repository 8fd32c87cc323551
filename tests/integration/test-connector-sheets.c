/* The googlesheets connector against tests/fakes/fake-sheets.py, a local stand-in for the
 * Sheets API v4 and Google's token endpoint: every operation and error, the stored layout read
 * straight from the fake's state (tabs, header rows, cells, row tags), the OAuth2 token cache
 * and its refresh, and the retries on 401, 429 and 5xx. Skips (77) without python3. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/error.h"
#include "connectors/connector.h"
#include "connectors/pool.h"
#include "models/ast.h"
#include "models/parser.h"
#include "models/project-config.h"
#include "tests/helpers/proc.h"

#define SHEET_ID      "sheet-1"
#define CLIENT_ID     "client-1.apps.example"
#define CLIENT_SECRET "csecret-S3CRET"
#define REFRESH_TOKEN "1//refresh-S3CRET"

static const char model_text[] = "import ballerina/persist as _;\n"
				 "import ballerina/time;\n"
				 "\n"
				 "public enum Gender {\n"
				 "    MALE,\n"
				 "    FEMALE = \"F\"\n"
				 "}\n"
				 "\n"
				 "public type Department record {|\n"
				 "    readonly string deptNo;\n"
				 "    string deptName;\n"
				 "    Employee[] employees;\n"
				 "|};\n"
				 "\n"
				 "public type Employee record {|\n"
				 "    readonly string empNo;\n"
				 "    string firstName;\n"
				 "    time:Date birthDate;\n"
				 "    Gender gender;\n"
				 "    Department department;\n"
				 "    Profile? profile;\n"
				 "|};\n"
				 "\n"
				 "public type Profile record {|\n"
				 "    readonly int id;\n"
				 "    string bio;\n"
				 "    Employee owner;\n"
				 "|};\n"
				 "\n"
				 "public type OrderItem record {|\n"
				 "    readonly string orderId;\n"
				 "    readonly int itemId;\n"
				 "    int quantity;\n"
				 "    decimal price;\n"
				 "    Shipment[] shipments;\n"
				 "|};\n"
				 "\n"
				 "public type Shipment record {|\n"
				 "    readonly int id;\n"
				 "    OrderItem item;\n"
				 "|};\n"
				 "\n"
				 "public type AllTypes record {|\n"
				 "    readonly int id;\n"
				 "    boolean b;\n"
				 "    decimal d;\n"
				 "    float f;\n"
				 "    string s;\n"
				 "    time:Date date;\n"
				 "    time:TimeOfDay tod;\n"
				 "    time:Utc utc;\n"
				 "    time:Civil civil;\n"
				 "    Gender gender;\n"
				 "    time:Date? maybe;\n"
				 "|};\n"
				 "\n"
				 "public type Flags record {|\n"
				 "    readonly boolean on;\n"
				 "    readonly float weight;\n"
				 "    string note;\n"
				 "|};\n"
				 "\n"
				 "public type Blob record {|\n"
				 "    readonly int id;\n"
				 "    byte[] data;\n"
				 "|};\n";

static struct model_file *mf;
static struct model_file *wide_mf;
static pid_t fake_pid;
static char fake_url[64];
static char tmpdir[64];
static struct connection_settings settings;
static void *cfg;
static struct conn *c;

/* ---- helpers -------------------------------------------------------------------------------- */

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (!v)
		fail_msg("bad test JSON '%s': %s", text, e.text);
	return v;
}

static const struct entity *E(const char *name)
{
	const struct entity *e = model_find_entity(mf, name);
	assert_non_null(e);
	return e;
}

static void assert_json(json_t *v, const char *text)
{
	json_t *want = J(text);
	if (!json_equal(v, want)) {
		char *got = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		print_error("got  %s\nwant %s\n", got, text);
		free(got);
		fail();
	}
	json_decref(v);
	json_decref(want);
}

static void assert_no_secret(const char *text)
{
	if (strstr(text, "S3CRET") || strstr(text, "fake-at-"))
		fail_msg("a secret in '%s'", text);
}

static usec_t now(void)
{
	return now_usec(CLOCK_MONOTONIC);
}

/* A control call to the fake; the answer (new), NULL for none. */
static json_t *fake(const char *method, const char *path, const char *body)
{
	static const char *const headers[] = { "Content-Type: application/json", NULL };
	struct http_result res;
	char url[256];
	json_t *v;

	(void)snprintf(url, sizeof(url), "%s/__fake/%s", fake_url, path);
	if (http_request(method, url, body, body ? strlen(body) : 0, headers, &res) < 0)
		fail_msg("fake %s %s: no answer", method, path);
	if (res.status != 200)
		fail_msg("fake %s %s: %ld %s", method, path, res.status, res.body);
	v = J(res.body);
	http_result_release(&res);
	return v;
}

static void fake_post(const char *path, const char *body)
{
	json_decref(fake("POST", path, body));
}

/* The stored rows of a tab (new): typed cells, null for an empty one. */
static json_t *sheet_rows(const char *title)
{
	json_t *book = fake("GET", "spreadsheets/" SHEET_ID, NULL), *s, *rows = NULL;
	size_t i;

	json_array_foreach(json_object_get(book, "sheets"), i, s)
		if (strcmp(json_string_value(json_object_get(s, "title")), title) == 0)
			rows = json_incref(json_object_get(s, "rows"));
	json_decref(book);
	if (!rows)
		fail_msg("no sheet '%s'", title);
	return rows;
}

/* The row tags as [[key, value, startIndex, endIndex], ...] (new). */
static json_t *sheet_tags(void)
{
	json_t *book = fake("GET", "spreadsheets/" SHEET_ID, NULL), *m;
	json_t *out = json_array();
	size_t i;

	json_array_foreach(json_object_get(book, "developerMetadata"), i, m) {
		json_t *dr = json_object_get(json_object_get(m, "location"), "dimensionRange");
		assert_string_equal(json_string_value(json_object_get(m, "visibility")),
				    "DOCUMENT");
		assert_string_equal(json_string_value(json_object_get(dr, "dimension")), "ROWS");
		json_array_append_new(out, json_pack("[O,O,O,O]", json_object_get(m, "metadataKey"),
						     json_object_get(m, "metadataValue"),
						     json_object_get(dr, "startIndex"),
						     json_object_get(dr, "endIndex")));
	}
	json_decref(book);
	return out;
}

static json_int_t count(const char *name)
{
	json_t *st = fake("GET", "state", NULL);
	json_int_t n = json_integer_value(json_object_get(json_object_get(st, "counts"), name));
	json_decref(st);
	return n;
}

static void open_conn(void)
{
	assert_int_equal(googlesheets_ops.config_parse(&settings, &cfg, NULL), 0);
	if (conn_open(&googlesheets_ops, cfg, 5 * USEC_PER_SEC, &c, NULL, 0) < 0)
		fail_msg("connect failed");
}

static void close_conn(void)
{
	c = conn_close(c);
	googlesheets_ops.config_free(cfg);
	cfg = NULL;
}

static void create_ok(const char *entity, const char *rec, const char *key)
{
	json_t *r = J(rec), *k = NULL;
	int ret = conn_create(c, E(entity), r, &k);
	if (ret < 0)
		fail_msg("create %s: %d %s", rec, ret, conn_last_error(c));
	json_decref(r);
	assert_json(k, key);
}

static int create_err(const char *entity, const char *rec)
{
	json_t *r = J(rec), *k = NULL;
	int ret = conn_create(c, E(entity), r, &k);
	json_decref(r);
	assert_null(k);
	assert_no_secret(conn_last_error(c));
	return ret;
}

static json_t *run_query(const char *entity, struct query *q)
{
	json_t *rows = NULL;
	int r = conn_query(c, E(entity), q, &rows);
	if (r < 0)
		fail_msg("query: %d %s", r, conn_last_error(c));
	return rows;
}

/* ---- the fake ------------------------------------------------------------------------------- */

static bool have_python(void)
{
	const char *path = getenv("PATH");
	char buf[4096], *save = NULL;

	if (!path)
		return false;
	(void)snprintf(buf, sizeof(buf), "%s", path);
	for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char exe[4200];
		(void)snprintf(exe, sizeof(exe), "%s/python3", d);
		if (access(exe, X_OK) == 0)
			return true;
	}
	return false;
}

static int fake_start(void)
{
	const char *src = getenv("abs_top_srcdir");
	char script[4096], port_file[128], client[256], parent[32];
	FILE *f;

	(void)snprintf(script, sizeof(script), "%s/tests/fakes/fake-sheets.py",
		       src && *src ? src : ".");
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/persistd-sheets.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -errno;
	(void)snprintf(port_file, sizeof(port_file), "%s/port", tmpdir);
	(void)snprintf(client, sizeof(client), "%s:%s:%s", CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN);
	(void)snprintf(parent, sizeof(parent), "%d", (int)getpid());
	fake_pid = fork();
	if (fake_pid < 0)
		return -errno;
	if (fake_pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			(void)dup2(null, STDOUT_FILENO);
		execlp("python3", "python3", script, "--port-file", port_file, "--idle-timeout",
		       "120", "--parent-pid", parent, "--client", client, "--spreadsheet", SHEET_ID,
		       (char *)NULL);
		_exit(127);
	}
	/* python3 may be a slow shim (pyenv) on a loaded machine: up to 60 s */
	for (int i = 0; i < 1200; i++) {
		unsigned port = 0;
		int status;
		f = fopen(port_file, "r");
		if (f) {
			int n = fscanf(f, "%u", &port);
			(void)fclose(f);
			if (n == 1 && port > 0) {
				(void)snprintf(fake_url, sizeof(fake_url), "http://127.0.0.1:%u",
					       port);
				return 0;
			}
		}
		if (waitpid(fake_pid, &status, WNOHANG) == fake_pid) {
			fake_pid = 0;
			print_error("fake-sheets.py exited with status %d\n",
				    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			return -ECHILD;
		}
		usleep(50 * 1000);
	}
	return -ETIMEDOUT;
}

static void fake_stop(void)
{
	int status;

	if (fake_pid <= 0)
		return;
	(void)kill(fake_pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(fake_pid, &status, WNOHANG) == fake_pid) {
			fake_pid = 0;
			break;
		}
		usleep(20 * 1000);
	}
	if (fake_pid > 0) {
		(void)kill(fake_pid, SIGKILL);
		(void)waitpid(fake_pid, &status, 0);
		fake_pid = 0;
	}
	test_remove_tree(tmpdir);
}

static char *wide_model(void)
{
	struct buf b = BUF_INIT(BUF_MAX_DEFAULT);

	assert_int_equal(buf_adds(&b, "public type Wide record {|\n    readonly int a0;\n"), 0);
	for (int i = 1; i < 27; i++)
		assert_int_equal(buf_addf(&b, "    int a%d;\n", i), 0);
	assert_int_equal(buf_adds(&b, "|};\n"), 0);
	return buf_detach(&b, NULL);
}

static int group_setup(void **state)
{
	struct pd_error err;
	char token_url[128];
	char *wide;
	int r;
	(void)state;

	assert_int_equal(
		model_parse(model_text, strlen(model_text), "persist/sheets.bal", 0, &mf, &err), 0);
	wide = wide_model();
	assert_int_equal(model_parse(wide, strlen(wide), "persist/wide.bal", 0, &wide_mf, &err), 0);
	mem_free(wide);
	assert_int_equal(connector_global_init(), 0);
	r = fake_start();
	if (r < 0)
		fail_msg("fake-sheets.py did not start: %s", strerror(-r));
	(void)snprintf(token_url, sizeof(token_url), "%s/token", fake_url);
	assert_int_equal(setenv("PERSISTD_SHEETS_BASE_URL", fake_url, 1), 0);
	assert_int_equal(setenv("PERSISTD_OAUTH_TOKEN_URL", token_url, 1), 0);
	settings.spreadsheet_id = (char *)SHEET_ID;
	settings.client_id = (char *)CLIENT_ID;
	settings.client_secret = (char *)CLIENT_SECRET;
	settings.refresh_token = (char *)REFRESH_TOKEN;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fake_stop();
	model_file_free(mf);
	model_file_free(wide_mf);
	connector_global_cleanup();
	return 0;
}

/* A fresh spreadsheet (only Sheet1), client registry as at start, and a fresh config. */
static int reset_data(void **state)
{
	(void)state;
	fake_post("reset", "{}");
	fake_post("oauth/clients",
		  "{\"client_id\":\"" CLIENT_ID "\",\"client_secret\":\"" CLIENT_SECRET
		  "\",\"refresh_tokens\":[\"" REFRESH_TOKEN "\"],\"token_ttl\":3599}");
	fake_post("spreadsheets", "{\"id\":\"" SHEET_ID "\"}");
	open_conn();
	return 0;
}

static int close_data(void **state)
{
	(void)state;
	close_conn();
	return 0;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_registry(void **state)
{
	(void)state;
	assert_true(connector_find("googlesheets") == &googlesheets_ops);
	assert_true(connector_has(&googlesheets_ops, CONN_CAP_TRANSACTIONS));
	assert_false(connector_has(&googlesheets_ops, CONN_CAP_SQL));
	/* connect fetched one token and read the spreadsheet */
	assert_int_equal(count("token"), 1);
	assert_int_equal(conn_ping(c, USEC_PER_SEC), 0);
	assert_int_equal(conn_push(c, mf, false), -EOPNOTSUPP);
}

static void test_crud(void **state)
{
	const struct entity *d = E("Department");
	json_t *key = J("{\"deptNo\":\"D1\"}"), *rec = NULL, *patch;
	(void)state;

	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	/* the tab, its header in metadata order, the row and its tag */
	assert_json(sheet_rows("Department"), "[[\"deptNo\",\"deptName\"],[\"D1\",\"Eng\"]]");
	assert_json(sheet_tags(), "[[\"Department\",\"D1\",1,2]]");
	/* the duplicate text has upstream's map form even for a single key */
	assert_int_equal(create_err("Department", "{\"deptNo\":\"D1\",\"deptName\":\"X\"}"),
			 -EEXIST);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key '{\"deptNo\":\"D1\"}' already exists for the entity 'Department'.");
	create_ok("Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}", "{\"deptNo\":\"D2\"}");

	assert_int_equal(conn_read(c, d, key, &rec), 0);
	assert_json(rec, "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}");
	patch = J("{\"deptName\":\"Engineering\"}");
	assert_int_equal(conn_update(c, d, key, patch), 0);
	json_decref(patch);
	assert_json(sheet_rows("Department"),
		    "[[\"deptNo\",\"deptName\"],[\"D1\",\"Engineering\"],[\"D2\",\"Ops\"]]");
	patch = J("{}");
	assert_int_equal(conn_update(c, d, key, patch), 0);
	json_decref(patch);

	/* the row goes, the rows below move up with their tags */
	assert_int_equal(conn_remove(c, d, key), 0);
	assert_json(sheet_rows("Department"), "[[\"deptNo\",\"deptName\"],[\"D2\",\"Ops\"]]");
	assert_json(sheet_tags(), "[[\"Department\",\"D2\",1,2]]");
	rec = NULL;
	assert_int_equal(conn_read(c, d, key, &rec), -ENOENT);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key 'D1' does not exist for the entity 'Department'.");
	assert_int_equal(conn_remove(c, d, key), -ENOENT);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key 'D1' does not exist for the entity 'Department'.");
	patch = J("{\"deptName\":\"X\"}");
	assert_int_equal(conn_update(c, d, key, patch), -ENOENT);
	json_decref(patch);
	patch = J("{}");
	assert_int_equal(conn_update(c, d, key, patch), -ENOENT);
	json_decref(patch);
	/* the generated client's insert sequence (runtime.md §6.3) */
	json_decref(fake("DELETE", "log", NULL));
	create_ok("Department", "{\"deptNo\":\"D3\",\"deptName\":\"QA\"}", "{\"deptNo\":\"D3\"}");
	{
		json_t *log = fake("GET", "log", NULL), *req;
		size_t i;
		const char *want[] = { "POST /v4/spreadsheets/sheet-1/values:batchGetByDataFilter",
				       "POST /v4/spreadsheets/sheet-1/values/Department!A:B:append",
				       "POST /v4/spreadsheets/sheet-1:batchUpdate" };
		assert_int_equal(json_array_size(json_object_get(log, "requests")), 3);
		json_array_foreach(json_object_get(log, "requests"), i, req) {
			char line[512];
			(void)snprintf(line, sizeof(line), "%s %s",
				       json_string_value(json_object_get(req, "method")),
				       json_string_value(json_object_get(req, "path")));
			/* the fake logs the path as sent: decode the range for the comparison */
			if (strstr(line, "%21")) {
				char *p = strstr(line, "%21");
				p[0] = '!';
				memmove(p + 1, p + 3, strlen(p + 3) + 1);
			}
			if (strstr(line, "%3A")) {
				char *p = strstr(line, "%3A");
				p[0] = ':';
				memmove(p + 1, p + 3, strlen(p + 3) + 1);
			}
			assert_string_equal(line, want[i]);
			assert_string_equal(
				json_string_value(json_object_get(json_object_get(req, "headers"),
								  "Authorization")),
				"<redacted>");
		}
		json_decref(log);
	}
	json_decref(key);
}

static void test_composite(void **state)
{
	json_t *key, *rec = NULL, *patch;
	(void)state;

	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2,\"price\":1.5}",
		  "{\"orderId\":\"o1\",\"itemId\":1}");
	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2,\"quantity\":3,\"price\":\"10\"}",
		  "{\"orderId\":\"o1\",\"itemId\":2}");
	assert_int_equal(create_err("OrderItem",
				    "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":9,\"price\":1}"),
			 -EEXIST);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key '{\"orderId\":\"o1\",\"itemId\":1}' already exists for the entity 'OrderItem'.");
	/* tags join the key values with ':'; numbers are numbers */
	assert_json(sheet_tags(), "[[\"OrderItem\",\"o1:1\",1,2],[\"OrderItem\",\"o1:2\",2,3]]");
	assert_json(sheet_rows("OrderItem"), "[[\"orderId\",\"itemId\",\"quantity\",\"price\"],"
					     "[\"o1\",1,2,1.5],[\"o1\",2,3,10]]");
	key = J("{\"orderId\":\"o1\",\"itemId\":1}");
	assert_int_equal(conn_read(c, E("OrderItem"), key, &rec), 0);
	assert_json(rec, "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2,\"price\":\"1.5\"}");
	patch = J("{\"quantity\":7}");
	assert_int_equal(conn_update(c, E("OrderItem"), key, patch), 0);
	json_decref(patch);
	assert_json(sheet_rows("OrderItem"), "[[\"orderId\",\"itemId\",\"quantity\",\"price\"],"
					     "[\"o1\",1,7,1.5],[\"o1\",2,3,10]]");
	json_decref(key);
	key = J("{\"orderId\":\"o1\",\"itemId\":9}");
	assert_int_equal(conn_read(c, E("OrderItem"), key, &rec), -ENOENT);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key '{\"orderId\":\"o1\",\"itemId\":9}' does not exist for the entity 'OrderItem'.");
	json_decref(key);
	/* a key missing a part */
	key = J("{\"orderId\":\"o1\"}");
	assert_int_equal(conn_read(c, E("OrderItem"), key, &rec), -EINVAL);
	json_decref(key);

	/* boolean and float keys: toString() parts */
	create_ok("Flags", "{\"on\":true,\"weight\":2,\"note\":\"x\"}",
		  "{\"on\":true,\"weight\":2.0}");
	create_ok("Flags", "{\"on\":false,\"weight\":0.25,\"note\":\"y\"}",
		  "{\"on\":false,\"weight\":0.25}");
	key = J("{\"on\":false,\"weight\":0.25}");
	patch = J("{\"note\":\"z\"}");
	assert_int_equal(conn_update(c, E("Flags"), key, patch), 0);
	json_decref(patch);
	assert_int_equal(conn_read(c, E("Flags"), key, &rec), 0);
	assert_json(rec, "{\"on\":false,\"weight\":0.25,\"note\":\"z\"}");
	json_decref(key);
	assert_json(sheet_rows("Flags"), "[[\"on\",\"weight\",\"note\"],[true,2,\"x\"],"
					 "[false,0.25,\"z\"]]");
	{
		json_t *tags = sheet_tags();
		assert_string_equal(json_string_value(json_array_get(json_array_get(tags, 2), 1)),
				    "true:2.0");
		assert_string_equal(json_string_value(json_array_get(json_array_get(tags, 3), 1)),
				    "false:0.25");
		json_decref(tags);
	}
}

static void test_types(void **state)
{
	json_t *key = J("{\"id\":1}"), *rec = NULL;
	(void)state;

	/* date-like text typed into a sheet would become a date: persistd's cells stay text */
	fake_post("options", "{\"valueInputMode\":\"dates\"}");
	create_ok("AllTypes",
		  "{\"id\":1,\"b\":true,\"d\":\"0023.4400\",\"f\":2.5,\"s\":\"h\\u00e9 'q\\\"\","
		  "\"date\":\"2024-02-29\",\"tod\":\"10:30:05.25\","
		  "\"utc\":\"2024-01-01T01:30:00.25+02:00\",\"civil\":\"2024-03-04T05:06:07.5\","
		  "\"gender\":\"F\",\"maybe\":null}",
		  "{\"id\":1}");
	create_ok(
		"AllTypes",
		"{\"id\":2,\"b\":false,\"d\":-0.5,\"f\":1e20,\"s\":\"001\",\"date\":\"0999-01-05\","
		"\"tod\":\"00:00:00\",\"utc\":\"2000-01-01T00:00:00Z\","
		"\"civil\":\"0999-12-31T23:59:59\",\"gender\":\"MALE\",\"maybe\":\"2020-06-01\"}",
		"{\"id\":2}");
	create_ok("AllTypes",
		  "{\"id\":3,\"b\":true,\"d\":0,\"f\":-3,\"s\":\"TRUE\",\"date\":\"2024-01-01\","
		  "\"tod\":\"23:59:59\",\"utc\":\"2024-01-01T00:00:00Z\","
		  "\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"F\",\"maybe\":null}",
		  "{\"id\":3}");
	/* the stored cells: runtime.md §6.2's encodings, text cells as text */
	assert_json(
		sheet_rows("AllTypes"),
		"[[\"id\",\"b\",\"d\",\"f\",\"s\",\"date\",\"tod\",\"utc\",\"civil\",\"gender\","
		"\"maybe\"],"
		"[1,true,23.44,2.5,\"h\\u00e9 'q\\\"\",\"29-2-2024\",\"10-30-5.25\","
		"\"2023-12-31T23:30:00.25Z\",\"2024-03-04T05:06:07.5\",\"F\"],"
		"[2,false,-0.5,1e20,\"001\",\"5-1-999\",\"0-0-0\",\"2000-01-01T00:00:00Z\","
		"\"999-12-31T23:59:59\",\"MALE\",\"1-6-2020\"],"
		"[3,true,0,-3,\"TRUE\",\"1-1-2024\",\"23-59-59\",\"2024-01-01T00:00:00Z\","
		"\"2024-01-01T00:00:00\",\"F\"]]");
	assert_int_equal(conn_read(c, E("AllTypes"), key, &rec), 0);
	assert_json(rec, "{\"id\":1,\"b\":true,\"d\":\"23.44\",\"f\":2.5,\"s\":\"h\\u00e9 'q\\\"\","
			 "\"date\":\"2024-02-29\",\"tod\":\"10:30:05.25\","
			 "\"utc\":\"2023-12-31T23:30:00.25Z\",\"civil\":\"2024-03-04T05:06:07.5\","
			 "\"gender\":\"F\",\"maybe\":null}");
	json_decref(key);
	key = J("{\"id\":2}");
	assert_int_equal(conn_read(c, E("AllTypes"), key, &rec), 0);
	assert_json(rec, "{\"id\":2,\"b\":false,\"d\":\"-0.5\",\"f\":1e20,\"s\":\"001\","
			 "\"date\":\"0999-01-05\",\"tod\":\"00:00:00\","
			 "\"utc\":\"2000-01-01T00:00:00Z\",\"civil\":\"0999-12-31T23:59:59\","
			 "\"gender\":\"MALE\",\"maybe\":\"2020-06-01\"}");
	json_decref(key);
}

static void test_type_errors(void **state)
{
	(void)state;
	assert_int_equal(create_err("Department", "{\"deptNo\":1,\"deptName\":\"x\"}"), -EINVAL);
	assert_string_equal(conn_last_error(c), "field 'deptNo': expected string");
	assert_int_equal(create_err("Department", "{\"deptNo\":\"D1\"}"), -EINVAL);
	assert_string_equal(conn_last_error(c),
			    "the record of entity 'Department' lacks field 'deptName'");
	assert_int_equal(
		create_err("Department", "{\"deptNo\":\"D1\",\"deptName\":\"x\",\"nope\":1}"),
		-EINVAL);
	assert_int_equal(create_err("AllTypes",
				    "{\"id\":1,\"b\":true,\"d\":1,\"f\":1,\"s\":\"\","
				    "\"date\":\"2023-02-29\",\"tod\":\"00:00:00\","
				    "\"utc\":\"2024-01-01T00:00:00Z\","
				    "\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"F\"}"),
			 -EINVAL);
	assert_string_equal(conn_last_error(c), "field 'date': expected time:Date (YYYY-MM-DD)");
	assert_int_equal(create_err("AllTypes",
				    "{\"id\":1,\"b\":true,\"d\":1,\"f\":1,\"s\":\"\","
				    "\"date\":\"2023-02-28\",\"tod\":\"00:00:00\","
				    "\"utc\":\"2024-01-01T00:00:00Z\","
				    "\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"X\"}"),
			 -EINVAL);
	assert_string_equal(conn_last_error(c), "'X' is not a value of enum 'Gender'");
	/* nothing was written for any of them */
	{
		json_t *book = fake("GET", "spreadsheets/" SHEET_ID, NULL);
		json_t *sheets = json_object_get(book, "sheets");
		size_t i;
		json_t *s;
		json_array_foreach(sheets, i, s)
			assert_true(json_array_size(json_object_get(s, "rows")) <= 1);
		json_decref(book);
	}
	/* types and widths a sheet cannot hold */
	assert_int_equal(create_err("Blob", "{\"id\":1,\"data\":\"AAE=\"}"), -EOPNOTSUPP);
	{
		const struct entity *w = model_find_entity(wide_mf, "Wide");
		json_t *rows = NULL;
		assert_non_null(w);
		assert_int_equal(conn_query(c, w, NULL, &rows), -EOPNOTSUPP);
		assert_non_null(strstr(conn_last_error(c), "at most 26"));
	}
}

static void test_foreign_rows(void **state)
{
	json_t *key, *rec = NULL, *patch, *rows = NULL;
	(void)state;

	/* rows as the generated Ballerina client writes them: unquoted text, USER_ENTERED */
	fake_post(
		"spreadsheets",
		"{\"id\":\"" SHEET_ID "\",\"sheets\":[{\"title\":\"AllTypes\",\"header\":[\"id\","
		"\"b\",\"d\",\"f\",\"s\",\"date\",\"tod\",\"utc\",\"civil\",\"gender\",\"maybe\"],"
		"\"rows\":[[7,false,0.1,10000000000,\"plain\",\"3-11-1993\",\"12-32-34.5\","
		"\"2023-05-19T10:54:45.998012Z\",\"2024-02-27T10:30:21+05:30:00(Asia/Colombo)\","
		"\"MALE\",\"\"]],\"tags\":[{\"row\":2,\"key\":\"AllTypes\",\"value\":\"7\"}]},"
		"{\"title\":\"department\",\"header\":[\"deptName\",\"deptNo\"],"
		"\"rows\":[[\"Eng\",\"D1\"],[],[\"Ops\",\"D2\"]]}]}");
	key = J("{\"id\":7}");
	assert_int_equal(conn_read(c, E("AllTypes"), key, &rec), 0);
	assert_json(rec,
		    "{\"id\":7,\"b\":false,\"d\":\"0.1\",\"f\":10000000000.0,\"s\":\"plain\","
		    "\"date\":\"1993-11-03\",\"tod\":\"12:32:34.5\","
		    "\"utc\":\"2023-05-19T10:54:45.998012Z\",\"civil\":\"2024-02-27T10:30:21\","
		    "\"gender\":\"MALE\",\"maybe\":null}");
	patch = J("{\"s\":\"changed\"}");
	assert_int_equal(conn_update(c, E("AllTypes"), key, patch), 0);
	json_decref(patch);
	assert_int_equal(conn_read(c, E("AllTypes"), key, &rec), 0);
	assert_json(rec,
		    "{\"id\":7,\"b\":false,\"d\":\"0.1\",\"f\":10000000000.0,\"s\":\"changed\","
		    "\"date\":\"1993-11-03\",\"tod\":\"12:32:34.5\","
		    "\"utc\":\"2023-05-19T10:54:45.998012Z\",\"civil\":\"2024-02-27T10:30:21\","
		    "\"gender\":\"MALE\",\"maybe\":null}");
	json_decref(key);

	/* reads map columns by the header (any order, title case-insensitive), skip empty rows */
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), 0);
	assert_json(rows, "[{\"deptNo\":\"D1\",\"deptName\":\"Eng\"},"
			  "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}]");
	/* untagged rows are invisible to writes; a write needs the field order */
	key = J("{\"deptNo\":\"D1\"}");
	patch = J("{\"deptName\":\"X\"}");
	assert_int_equal(conn_update(c, E("Department"), key, patch), -ENOENT);
	json_decref(patch);
	json_decref(key);
	assert_int_equal(create_err("Department", "{\"deptNo\":\"D9\",\"deptName\":\"Nine\"}"),
			 -EIO);
	assert_string_equal(
		conn_last_error(c),
		"Error: the spreadsheet is not initialised correctly. Column deptName of sheet "
		"'Department' is not at the position of the field order.");
}

static void test_layout_errors(void **state)
{
	json_t *rows = NULL, *key, *patch;
	(void)state;

	/* a missing tab holds nothing */
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), 0);
	assert_json(rows, "[]");
	key = J("{\"deptNo\":\"D1\"}");
	assert_int_equal(conn_read(c, E("Department"), key, &rows), -ENOENT);
	json_decref(key);

	fake_post(
		"spreadsheets",
		"{\"id\":\"" SHEET_ID "\",\"sheets\":[{\"title\":\"Department\"},"
		"{\"title\":\"Employee\",\"header\":[\"empNo\",\"name\"]},"
		"{\"title\":\"Profile\",\"header\":[\"id\",\"wrong\",\"ownerEmpNo\"]},"
		"{\"title\":\"OrderItem\",\"header\":[\"orderId\",\"itemId\",\"quantity\",\"price\"],"
		"\"rows\":[[\"o1\",1,\"many\",1]]},"
		"{\"title\":\"Shipment\",\"header\":[\"id\",\"itemOrderId\",\"itemItemId\"],"
		"\"rows\":[[1,\"o1\",1],[2,\"o1\",1]],\"tags\":[{\"row\":2,\"key\":\"Shipment\","
		"\"value\":\"1\"},{\"row\":3,\"key\":\"Shipment\",\"value\":\"1\"}]}]}");
	rows = NULL;
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), -EIO);
	assert_string_equal(conn_last_error(c),
			    "Error: the spreadsheet is not initialised correctly. Spreadsheet is "
			    "empty.");
	assert_int_equal(conn_query(c, E("Employee"), NULL, &rows), -EIO);
	assert_string_equal(
		conn_last_error(c),
		"Error: the spreadsheet is not initialised correctly. Number of columns "
		"in the sheet does not match with the entity. ");
	assert_int_equal(conn_query(c, E("Profile"), NULL, &rows), -EIO);
	assert_string_equal(conn_last_error(c),
			    "Error: the spreadsheet is not initialised correctly. Column wrong is "
			    "not defined in the data types.");
	assert_int_equal(conn_query(c, E("OrderItem"), NULL, &rows), -EIO);
	assert_non_null(strstr(conn_last_error(c), "'quantity' holds 'many'"));
	/* two rows carry one tag: update refuses, delete removes both (bottom-up) */
	key = J("{\"id\":1}");
	patch = J("{\"itemItemId\":2}");
	assert_int_equal(conn_update(c, E("Shipment"), key, patch), -EIO);
	assert_string_equal(conn_last_error(c), "Multiple elements found for given key: 1");
	json_decref(patch);
	assert_int_equal(conn_remove(c, E("Shipment"), key), 0);
	json_decref(key);
	assert_json(sheet_rows("Shipment"), "[[\"id\",\"itemOrderId\",\"itemItemId\"]]");
	assert_json(sheet_tags(), "[]");
	/* an empty existing tab gets its header on the first insert */
	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	assert_json(sheet_rows("Department"), "[[\"deptNo\",\"deptName\"],[\"D1\",\"Eng\"]]");
}

static void seed_people(void)
{
	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	create_ok("Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}", "{\"deptNo\":\"D2\"}");
	create_ok("Department", "{\"deptNo\":\"D3\",\"deptName\":\"Empty\"}",
		  "{\"deptNo\":\"D3\"}");
	create_ok("Employee",
		  "{\"empNo\":\"E1\",\"firstName\":\"Ann\",\"birthDate\":\"1990-01-02\","
		  "\"gender\":\"F\",\"departmentDeptNo\":\"D1\"}",
		  "{\"empNo\":\"E1\"}");
	create_ok("Employee",
		  "{\"empNo\":\"E2\",\"firstName\":\"Bob\",\"birthDate\":\"1985-05-06\","
		  "\"gender\":\"MALE\",\"departmentDeptNo\":\"D1\"}",
		  "{\"empNo\":\"E2\"}");
	create_ok("Employee",
		  "{\"empNo\":\"E3\",\"firstName\":\"Cid\",\"birthDate\":\"2000-12-31\","
		  "\"gender\":\"MALE\",\"departmentDeptNo\":\"D2\"}",
		  "{\"empNo\":\"E3\"}");
	create_ok("Profile", "{\"id\":1,\"bio\":\"hi\",\"ownerEmpNo\":\"E1\"}", "{\"id\":1}");
}

static void test_query_and_relations(void **state)
{
	struct query q;
	json_t *rec = NULL, *key;
	(void)state;

	seed_people();
	/* the foreign key column sits at the relation field's place */
	assert_json(sheet_rows("Employee"),
		    "[[\"empNo\",\"firstName\",\"birthDate\",\"gender\",\"departmentDeptNo\"],"
		    "[\"E1\",\"Ann\",\"2-1-1990\",\"F\",\"D1\"],"
		    "[\"E2\",\"Bob\",\"6-5-1985\",\"MALE\",\"D1\"],"
		    "[\"E3\",\"Cid\",\"31-12-2000\",\"MALE\",\"D2\"]]");
	query_init(&q);
	assert_int_equal(query_parse_filter(&q, "gender", "eq.MALE"), 0);
	assert_int_equal(query_parse_order(&q, "birthDate.desc"), 0);
	assert_int_equal(query_parse_fields(&q, "firstName"), 0);
	assert_json(run_query("Employee", &q), "[{\"firstName\":\"Cid\"},{\"firstName\":\"Bob\"}]");
	query_release(&q);

	assert_int_equal(query_parse_filter(&q, "birthDate", "gte.1986-01-01"), 0);
	assert_int_equal(query_parse_filter(&q, "firstName", "like.%n%"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_json(run_query("Employee", &q), "[{\"empNo\":\"E1\"}]");
	query_release(&q);

	assert_int_equal(query_parse_filter(&q, "empNo", "in.(E3,E1,E9)"), 0);
	assert_int_equal(query_parse_filter(&q, "gender", "neq.F"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_json(run_query("Employee", &q), "[{\"empNo\":\"E3\"}]");
	query_release(&q);

	assert_int_equal(query_parse_order(&q, "empNo.desc"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	q.limit = 2;
	q.offset = 1;
	assert_json(run_query("Employee", &q), "[{\"empNo\":\"E2\"},{\"empNo\":\"E1\"}]");
	query_release(&q);

	assert_int_equal(query_parse_fields(&q, "firstName,department.deptName"), 0);
	assert_json(run_query("Employee", &q),
		    "[{\"firstName\":\"Ann\",\"department\":{\"deptName\":\"Eng\"}},"
		    "{\"firstName\":\"Bob\",\"department\":{\"deptName\":\"Eng\"}},"
		    "{\"firstName\":\"Cid\",\"department\":{\"deptName\":\"Ops\"}}]");
	query_release(&q);

	assert_int_equal(query_parse_fields(&q, "deptNo,employees[].empNo"), 0);
	assert_json(run_query("Department", &q),
		    "[{\"deptNo\":\"D1\",\"employees\":[{\"empNo\":\"E1\"},{\"empNo\":\"E2\"}]},"
		    "{\"deptNo\":\"D2\",\"employees\":[{\"empNo\":\"E3\"}]},"
		    "{\"deptNo\":\"D3\",\"employees\":[]}]");
	query_release(&q);

	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_int_equal(query_parse_include(&q, "profile"), 0);
	assert_int_equal(query_parse_filter(&q, "empNo", "lt.E3"), 0);
	assert_json(
		run_query("Employee", &q),
		"[{\"empNo\":\"E1\",\"profile\":{\"id\":1,\"bio\":\"hi\",\"ownerEmpNo\":\"E1\"}},"
		"{\"empNo\":\"E2\",\"profile\":null}]");
	query_release(&q);

	assert_int_equal(query_parse_fields(&q, "bio,owner.firstName"), 0);
	key = J("{\"id\":1}");
	assert_int_equal(conn_read_query(c, E("Profile"), key, &q, &rec), 0);
	assert_json(rec, "{\"bio\":\"hi\",\"owner\":{\"firstName\":\"Ann\"}}");
	json_decref(key);
	key = J("{\"id\":2}");
	assert_int_equal(conn_read_query(c, E("Profile"), key, &q, &rec), -ENOENT);
	json_decref(key);
	query_release(&q);

	assert_int_equal(query_parse_fields(&q, "nope"), 0);
	assert_int_equal(conn_query(c, E("Employee"), &q, &rec), -EINVAL);
	assert_string_equal(conn_last_error(c), "'nope' is not a field of entity 'Employee'");
	query_release(&q);
	/* no referential checks, as upstream: a dangling parent reads as null */
	create_ok("Employee",
		  "{\"empNo\":\"E4\",\"firstName\":\"Dee\",\"birthDate\":\"2001-01-01\","
		  "\"gender\":\"F\",\"departmentDeptNo\":\"D9\"}",
		  "{\"empNo\":\"E4\"}");
	assert_int_equal(query_parse_fields(&q, "empNo,department.deptName"), 0);
	assert_int_equal(query_parse_filter(&q, "empNo", "eq.E4"), 0);
	assert_json(run_query("Employee", &q), "[{\"empNo\":\"E4\",\"department\":null}]");
	query_release(&q);
}

static void test_composite_relation(void **state)
{
	struct query q;
	(void)state;

	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2,\"price\":1}",
		  "{\"orderId\":\"o1\",\"itemId\":1}");
	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2,\"quantity\":3,\"price\":1}",
		  "{\"orderId\":\"o1\",\"itemId\":2}");
	create_ok("Shipment", "{\"id\":7,\"itemOrderId\":\"o1\",\"itemItemId\":2}", "{\"id\":7}");
	create_ok("Shipment", "{\"id\":8,\"itemOrderId\":\"o1\",\"itemItemId\":2}", "{\"id\":8}");
	query_init(&q);
	assert_int_equal(query_parse_fields(&q, "itemId,shipments[].id"), 0);
	assert_json(run_query("OrderItem", &q),
		    "[{\"itemId\":1,\"shipments\":[]},"
		    "{\"itemId\":2,\"shipments\":[{\"id\":7},{\"id\":8}]}]");
	query_release(&q);
	assert_int_equal(query_parse_fields(&q, "id,item.quantity"), 0);
	assert_json(run_query("Shipment", &q),
		    "[{\"id\":7,\"item\":{\"quantity\":3}},{\"id\":8,\"item\":{\"quantity\":3}}]");
	query_release(&q);
}

static void test_transactions(void **state)
{
	json_t *key, *patch;
	(void)state;

	assert_int_equal(conn_begin(c), 0);
	assert_int_equal(conn_begin(c), -EINVAL);
	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	create_ok("Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}", "{\"deptNo\":\"D2\"}");
	assert_int_equal(conn_rollback(c), 0);
	assert_json(sheet_rows("Department"), "[[\"deptNo\",\"deptName\"]]");
	assert_json(sheet_tags(), "[]");

	/* an array insert that fails half way leaves nothing */
	assert_int_equal(conn_begin(c), 0);
	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	assert_int_equal(create_err("Department", "{\"deptNo\":\"D1\",\"deptName\":\"X\"}"),
			 -EEXIST);
	assert_int_equal(conn_rollback(c), 0);
	assert_json(sheet_rows("Department"), "[[\"deptNo\",\"deptName\"]]");

	assert_int_equal(conn_begin(c), 0);
	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	create_ok("Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}", "{\"deptNo\":\"D2\"}");
	assert_int_equal(conn_commit(c), 0);
	assert_int_equal(conn_commit(c), -EINVAL);

	/* update and delete come back too */
	assert_int_equal(conn_begin(c), 0);
	key = J("{\"deptNo\":\"D1\"}");
	patch = J("{\"deptName\":\"Changed\"}");
	assert_int_equal(conn_update(c, E("Department"), key, patch), 0);
	json_decref(patch);
	json_decref(key);
	key = J("{\"deptNo\":\"D2\"}");
	assert_int_equal(conn_remove(c, E("Department"), key), 0);
	json_decref(key);
	assert_json(sheet_rows("Department"), "[[\"deptNo\",\"deptName\"],[\"D1\",\"Changed\"]]");
	assert_int_equal(conn_rollback(c), 0);
	assert_json(sheet_rows("Department"),
		    "[[\"deptNo\",\"deptName\"],[\"D1\",\"Eng\"],[\"D2\",\"Ops\"]]");
	assert_json(sheet_tags(), "[[\"Department\",\"D1\",1,2],[\"Department\",\"D2\",2,3]]");

	/* reset rolls back what a request left open */
	assert_int_equal(conn_begin(c), 0);
	create_ok("Department", "{\"deptNo\":\"D3\",\"deptName\":\"QA\"}", "{\"deptNo\":\"D3\"}");
	assert_int_equal(conn_reset(c), 0);
	assert_json(sheet_rows("Department"),
		    "[[\"deptNo\",\"deptName\"],[\"D1\",\"Eng\"],[\"D2\",\"Ops\"]]");
}

static void test_tag_failure(void **state)
{
	(void)state;

	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	/* the tag cannot be written: the appended row goes again */
	fake_post("faults", "{\"status\":400,\"count\":1,\"match\":{\"method\":\"POST\","
			    "\"pathRegex\":\":batchUpdate$\"}}");
	assert_int_equal(create_err("Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}"),
			 -EIO);
	assert_non_null(strstr(conn_last_error(c), "tag row: 400 INVALID_ARGUMENT"));
	assert_json(sheet_rows("Department"), "[[\"deptNo\",\"deptName\"],[\"D1\",\"Eng\"]]");
	assert_json(sheet_tags(), "[[\"Department\",\"D1\",1,2]]");
	create_ok("Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}", "{\"deptNo\":\"D2\"}");
}

static void test_token_refresh(void **state)
{
	json_t *rows = NULL;
	json_int_t base;
	usec_t t0;
	(void)state;

	/* tokens that live 3 s: refreshed before they run out, no 401 on the way */
	close_conn();
	fake_post("options", "{\"tokenTtl\":3}");
	open_conn();
	base = count("token");
	t0 = now();
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), 0);
	json_decref(rows);
	if (now() - t0 < USEC_PER_SEC)
		assert_int_equal(count("token"), base);
	usleep(2400 * 1000);
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), 0);
	json_decref(rows);
	assert_int_equal(count("token"), base + 1);
	assert_int_equal(count("unauthorized"), 0);
}

static void test_token_rejected(void **state)
{
	json_t *rows = NULL;
	struct conn *c2 = NULL;
	(void)state;

	/* a second connection of the same config shares the cached token */
	assert_int_equal(conn_open(&googlesheets_ops, cfg, 5 * USEC_PER_SEC, &c2, NULL, 0), 0);
	assert_int_equal(count("token"), 1);
	/* the token dies early: 401, one refresh, the same call again */
	fake_post("oauth/expire-all", "{}");
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), 0);
	json_decref(rows);
	assert_int_equal(count("unauthorized"), 1);
	assert_int_equal(count("token"), 2);
	/* the other connection uses the new token without a 401 of its own */
	assert_int_equal(conn_query(c2, E("Department"), NULL, &rows), 0);
	json_decref(rows);
	assert_int_equal(count("unauthorized"), 1);
	c2 = conn_close(c2);

	/* the refresh token is revoked: the grant fails, nothing secret in the text */
	fake_post("oauth/revoke", "{\"refresh_token\":\"" REFRESH_TOKEN "\"}");
	fake_post("oauth/expire-all", "{}");
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), -EACCES);
	assert_non_null(strstr(conn_last_error(c), "invalid_grant"));
	assert_non_null(strstr(conn_last_error(c), "Token has been expired or revoked."));
	assert_no_secret(conn_last_error(c));
	/* the API keeps refusing a token: 401 once more after the refresh is final */
	fake_post("oauth/clients",
		  "{\"client_id\":\"" CLIENT_ID "\",\"client_secret\":\"" CLIENT_SECRET
		  "\",\"refresh_tokens\":[\"" REFRESH_TOKEN "\"]}");
	fake_post("faults", "{\"status\":401,\"count\":2}");
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), -EACCES);
	assert_non_null(strstr(conn_last_error(c), "401 UNAUTHENTICATED"));
	assert_no_secret(conn_last_error(c));
}

static void test_credentials(void **state)
{
	struct connection_settings bad = settings;
	void *bcfg = NULL;
	struct conn *bc = NULL;
	char err[512] = "";
	(void)state;

	bad.client_secret = (char *)"wrong-S3CRET";
	assert_int_equal(googlesheets_ops.config_parse(&bad, &bcfg, NULL), 0);
	assert_int_equal(
		conn_open(&googlesheets_ops, bcfg, 5 * USEC_PER_SEC, &bc, err, sizeof(err)),
		-EACCES);
	assert_non_null(strstr(err, "invalid_client"));
	assert_no_secret(err);
	googlesheets_ops.config_free(bcfg);

	bad = settings;
	bad.client_id = (char *)"";
	assert_int_equal(googlesheets_ops.config_parse(&bad, &bcfg, NULL), 0);
	assert_int_equal(
		conn_open(&googlesheets_ops, bcfg, 5 * USEC_PER_SEC, &bc, err, sizeof(err)),
		-EACCES);
	assert_string_equal(err, "Client-id or client-secret cannot be empty.");
	googlesheets_ops.config_free(bcfg);

	bad = settings;
	bad.spreadsheet_id = (char *)"no-such-sheet";
	assert_int_equal(googlesheets_ops.config_parse(&bad, &bcfg, NULL), 0);
	assert_int_equal(
		conn_open(&googlesheets_ops, bcfg, 5 * USEC_PER_SEC, &bc, err, sizeof(err)), -EIO);
	assert_string_equal(err, "spreadsheet 'no-such-sheet' not found");
	googlesheets_ops.config_free(bcfg);

	/* base URLs come from the environment and must be http(s) */
	assert_int_equal(setenv("PERSISTD_SHEETS_BASE_URL", "file:///etc", 1), 0);
	assert_int_equal(googlesheets_ops.config_parse(&settings, &bcfg, NULL), -EINVAL);
	assert_int_equal(setenv("PERSISTD_SHEETS_BASE_URL", fake_url, 1), 0);
}

static void test_rate_limit(void **state)
{
	json_t *rows = NULL;
	usec_t t0;
	(void)state;

	/* 429 with Retry-After: 1, twice: waits as told, then succeeds */
	fake_post("faults", "{\"status\":429,\"count\":2,\"retryAfter\":1}");
	t0 = now();
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), 0);
	json_decref(rows);
	assert_true(now() - t0 >= 2 * USEC_PER_SEC);
	assert_true(now() - t0 < 5 * USEC_PER_SEC);
	assert_int_equal(count("faults"), 2);

	/* 500 and 503 without Retry-After: exponential backoff from 200 ms */
	fake_post("faults", "{\"status\":500,\"count\":1}");
	fake_post("faults", "{\"status\":503,\"count\":1}");
	t0 = now();
	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	assert_true(now() - t0 >= 600 * USEC_PER_MSEC);
	assert_int_equal(count("faults"), 4);
	assert_json(sheet_rows("Department"), "[[\"deptNo\",\"deptName\"],[\"D1\",\"Eng\"]]");

	/* the token endpoint is retried the same way */
	fake_post("oauth/expire-all", "{}");
	fake_post("faults", "{\"status\":503,\"count\":1,\"target\":\"token\"}");
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), 0);
	json_decref(rows);
	assert_int_equal(count("faults"), 5);
}

static void test_give_up(void **state)
{
	json_t *rows = NULL;
	usec_t t0;
	(void)state;

	/* five attempts, then the last answer is the error */
	fake_post("faults", "{\"status\":500,\"count\":100}");
	t0 = now();
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), -EIO);
	assert_int_equal(count("faults"), 5);
	assert_true(now() - t0 < 10 * USEC_PER_SEC);
	assert_string_equal(
		conn_last_error(c),
		"Google Sheets API: read sheet: 500 INTERNAL: Internal error encountered.");
	json_decref(fake("DELETE", "faults", NULL));
	/* a Retry-After beyond the bound is not waited for */
	fake_post("faults", "{\"status\":429,\"count\":100,\"retryAfter\":3600}");
	t0 = now();
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), -EAGAIN);
	assert_true(now() - t0 < 2 * USEC_PER_SEC);
	assert_non_null(strstr(conn_last_error(c), "429 RESOURCE_EXHAUSTED"));
	json_decref(fake("DELETE", "faults", NULL));
	/* client errors are not retried */
	fake_post("faults", "{\"status\":400,\"count\":100}");
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), -EIO);
	assert_int_equal(count("faults"), 5 + 1 + 1);
	json_decref(fake("DELETE", "faults", NULL));
}

static void test_store_down(void **state)
{
	void *dcfg = NULL;
	struct conn *dc = NULL;
	char err[512] = "";
	unsigned port = test_free_port();
	char url[128];
	usec_t t0;
	(void)state;

	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	assert_int_equal(setenv("PERSISTD_SHEETS_BASE_URL", url, 1), 0);
	assert_int_equal(setenv("PERSISTD_OAUTH_TOKEN_URL", url, 1), 0);
	assert_int_equal(googlesheets_ops.config_parse(&settings, &dcfg, NULL), 0);
	t0 = now();
	assert_int_equal(
		conn_open(&googlesheets_ops, dcfg, 5 * USEC_PER_SEC, &dc, err, sizeof(err)),
		-ECONNREFUSED);
	assert_true(now() - t0 < USEC_PER_SEC);
	assert_no_secret(err);
	googlesheets_ops.config_free(dcfg);
	assert_int_equal(setenv("PERSISTD_SHEETS_BASE_URL", fake_url, 1), 0);
	(void)snprintf(url, sizeof(url), "%s/token", fake_url);
	assert_int_equal(setenv("PERSISTD_OAUTH_TOKEN_URL", url, 1), 0);
}

#define N_THREADS 4
#define N_ROWS	  5

static struct pool *shared_pool;

static void *writer_main(void *arg)
{
	intptr_t id = (intptr_t)arg;

	for (int i = 0; i < N_ROWS; i++) {
		struct conn *pc = NULL;
		json_t *rec, *key = NULL;
		int r;
		if (pool_acquire(shared_pool, 10 * USEC_PER_SEC, &pc) < 0)
			return (void *)1;
		rec = json_pack("{s:s,s:i,s:i,s:i}", "orderId", "o", "itemId", (int)(id * 100 + i),
				"quantity", i, "price", 1);
		r = conn_create(pc, model_find_entity(mf, "OrderItem"), rec, &key);
		json_decref(rec);
		json_decref(key);
		pool_release(pc);
		if (r < 0)
			return (void *)2;
	}
	return NULL;
}

static void test_pool_threads(void **state)
{
	struct pool_config pcfg;
	pthread_t t[N_THREADS];
	json_t *rows;
	(void)state;

	/* the tab exists before the writers race */
	create_ok("OrderItem", "{\"orderId\":\"x\",\"itemId\":0,\"quantity\":0,\"price\":0}",
		  "{\"orderId\":\"x\",\"itemId\":0}");
	pool_config_init(&pcfg);
	pcfg.max_size = 3;
	assert_int_equal(pool_new(&googlesheets_ops, &settings, &pcfg, &shared_pool, NULL), 0);
	for (intptr_t i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer_main, (void *)i), 0);
	for (int i = 0; i < N_THREADS; i++) {
		void *res = NULL;
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
	shared_pool = pool_unref(shared_pool);
	rows = sheet_rows("OrderItem");
	assert_int_equal(json_array_size(rows), 2 + N_THREADS * N_ROWS);
	json_decref(rows);
	rows = sheet_tags();
	assert_int_equal(json_array_size(rows), 1 + N_THREADS * N_ROWS);
	json_decref(rows);
	/* one pool, one config: one token for all its connections (plus this test's own) */
	assert_int_equal(count("token"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registry, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_crud, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_composite, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_types, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_type_errors, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_foreign_rows, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_layout_errors, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_query_and_relations, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_composite_relation, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_transactions, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_tag_failure, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_token_refresh, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_token_rejected, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_credentials, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_rate_limit, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_give_up, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_store_down, reset_data, close_data),
		cmocka_unit_test_setup_teardown(test_pool_threads, reset_data, close_data),
	};

	if (!have_python()) {
		printf("python3 not found: the fake Sheets server cannot run, skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
