/* Bad input over HTTP: path traversal in every path parameter (plain and percent-encoded),
 * oversized and deeply nested JSON, invalid UTF-8, wrong content types, SQL metacharacters,
 * huge model files and model files with NUL bytes. Each gets its 4xx, the daemon keeps
 * serving, and nothing in the project directory changes. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
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
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "tests/helpers/proc.h"

static struct persistd_proc proc;
static char root[64];

static int group_setup(void **state)
{
	static const char *const args[] = { "--set", "models.debounce=20ms", "--set",
					    "http.max_body_bytes=64K", NULL };
	(void)state;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (test_copy_example("shop", root, sizeof(root)) < 0)
		return -1;
	return persistd_start(root, args, &proc) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (proc.pid > 0)
		persistd_stop(&proc, SIGTERM, 10000);
	test_remove_tree(root);
	curl_global_cleanup();
	return 0;
}

/* ---- a fingerprint of the project tree: every path with its size and content hash ---------- */

static uint64_t fnv(const unsigned char *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t tree_hash(const char *dir, uint64_t h)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		char path[1024];
		struct stat st;
		const char *name = names[i]->d_name;

		if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			h = fnv((const unsigned char *)path, strlen(path), h);
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
				h = tree_hash(path, h);
			} else {
				FILE *f = fopen(path, "rb");
				unsigned char buf[4096];
				size_t k;
				assert_non_null(f);
				while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
					h = fnv(buf, k, h);
				fclose(f);
			}
		}
		free(names[i]);
	}
	free(names);
	return h;
}

static uint64_t project_hash(void)
{
	return tree_hash(root, 0xcbf29ce484222325ULL);
}

/* ---- requests ------------------------------------------------------------------------------- */

/* Send a raw path (kept as it is) and return the status. */
static long send_raw(const char *method, const char *path, const char *body, size_t len,
		     const char *content_type, char *ret_code, size_t code_size)
{
	char url[8192], header[160];
	/* If-Match: * so a PUT of a model's source reaches its content checks */
	const char *headers[3] = { "If-Match: *", NULL, NULL };
	struct http_result h;
	long status;

	snprintf(url, sizeof(url), "%s%s", proc.base_url, path);
	if (content_type) {
		snprintf(header, sizeof(header), "Content-Type: %s", content_type);
		headers[1] = header;
	}
	assert_int_equal(http_request(method, url, body, len, headers, &h), 0);
	status = h.status;
	if (ret_code) {
		json_t *j = h.len ? json_loadb(h.body, h.len, 0, NULL) : NULL;
		const char *c = json_string_value(json_object_get(j, "code"));
		snprintf(ret_code, code_size, "%s", c ? c : "");
		json_decref(j);
	}
	http_result_release(&h);
	return status;
}

static void expect_4xx(const char *method, const char *path, const char *body, size_t len,
		       const char *content_type)
{
	char code[64];
	long st = send_raw(method, path, body, len, content_type, code, sizeof(code));

	if (st < 400 || st > 499)
		fail_msg("%s %s: status %ld, want a 4xx", method, path, st);
}

static void expect_status(long want, const char *method, const char *path, const char *body,
			  size_t len, const char *content_type, const char *want_code)
{
	char code[64];
	long st = send_raw(method, path, body, len, content_type, code, sizeof(code));

	if (st != want || (want_code && strcmp(code, want_code) != 0))
		fail_msg("%s %s: %ld %s, want %ld %s", method, path, st, code, want,
			 want_code ? want_code : "");
}

static void still_serving(void)
{
	expect_status(200, "GET", "/healthz", NULL, 0, NULL, NULL);
	expect_status(200, "GET", "/models/users", NULL, 0, NULL, NULL);
}

/* ---- path traversal ------------------------------------------------------------------------ */

static const char *const evil_segments[] = {
	"..",
	".",
	"%2e%2e",
	"%2E%2E",
	"..%2f..%2fetc%2fpasswd",
	"..%2F..%2F..%2Ftmp",
	"a%2fb",
	"%2fetc%2fpasswd",
	"..%5c..%5cwindows",
	"%00",
	"users%00.bal",
	".hidden",
	"users.bal",
	"%252e%252e",
	"..;",
	"~root",
	"a%20b",
	"%c0%ae%c0%ae", /* overlong "..", not UTF-8 */
	"%ff",
};

/* A model name in a path is checked before any file access: each of these is a 4xx. */
static void test_traversal_in_model_names(void **state)
{
	static const struct {
		const char *method, *rest; /* after /models/{m} */
	} routes[] = {
		{ "GET", "" },
		{ "GET", "/source" },
		{ "PUT", "/source" },
		{ "POST", "/init" },
		{ "POST", "/add" },
		{ "POST", "/generate" },
		{ "POST", "/migrate" },
		{ "POST", "/push" },
		{ "GET", "/data/users" },
		{ "POST", "/data/users" },
		{ "GET", "/data/users/1" },
		{ "PATCH", "/data/users/1" },
		{ "DELETE", "/data/users/1" },
	};
	uint64_t before = project_hash();
	char path[512];
	(void)state;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		for (size_t k = 0; k < sizeof(evil_segments) / sizeof(evil_segments[0]); k++) {
			const char *body = strcmp(routes[i].method, "GET") == 0 ||
							   strcmp(routes[i].method, "DELETE") == 0
						   ? NULL
						   : "{}";
			snprintf(path, sizeof(path), "/models/%s%s", evil_segments[k],
				 routes[i].rest);
			expect_4xx(routes[i].method, path, body, body ? strlen(body) : 0,
				   body ? "application/json" : NULL);
		}
	assert_true(project_hash() == before);
	still_serving();
}

/* Resource names and keys are looked up, never used as paths: unknown ones are 4xx. */
static void test_traversal_in_resources_and_keys(void **state)
{
	uint64_t before = project_hash();
	char path[512];
	(void)state;

	for (size_t k = 0; k < sizeof(evil_segments) / sizeof(evil_segments[0]); k++) {
		snprintf(path, sizeof(path), "/models/users/data/%s", evil_segments[k]);
		expect_4xx("GET", path, NULL, 0, NULL);
		snprintf(path, sizeof(path), "/models/users/data/%s/1", evil_segments[k]);
		expect_4xx("GET", path, NULL, 0, NULL);
		snprintf(path, sizeof(path), "/models/users/data/users/%s", evil_segments[k]);
		expect_4xx("GET", path, NULL, 0, NULL);
		expect_4xx("DELETE", path, NULL, 0, NULL);
	}
	assert_true(project_hash() == before);
	still_serving();
}

/* ---- bodies -------------------------------------------------------------------------------- */

static void test_oversized_and_nested_json(void **state)
{
	uint64_t before = project_hash();
	size_t big = 200 * 1024, deep = 50000;
	char *body = malloc(big + 1);
	(void)state;

	assert_non_null(body);
	/* over http.max_body_bytes (64K here) */
	memset(body, ' ', big);
	body[0] = '{';
	body[big - 1] = '}';
	expect_status(413, "POST", "/models/users/data/users", body, big, "application/json",
		      "payload_too_large");
	expect_status(413, "PUT", "/models/users/source", body, big, "text/plain", NULL);
	expect_status(413, "POST", "/models/users/generate", body, big, "application/json", NULL);
	/* deeply nested, under the size limit */
	for (size_t i = 0; i < deep; i++)
		body[i] = '[';
	expect_status(400, "POST", "/models/users/data/users", body, deep, "application/json",
		      "bad_request");
	expect_4xx("POST", "/models/users/add", body, deep, "application/json");
	expect_4xx("POST", "/models/users/generate", body, deep, "application/json");
	for (size_t i = 0; i < deep / 2; i++) {
		body[2 * i] = '{';
		body[2 * i + 1] = i % 2 ? '[' : '{';
	}
	expect_4xx("POST", "/models/users/data/users", body, deep, "application/json");
	/* records nested where a scalar belongs */
	expect_status(422, "POST", "/models/users/data/users",
		      "{\"id\":{\"a\":[[[[1]]]]},\"name\":\"n\",\"email\":\"e\","
		      "\"joinedOn\":\"2024-01-01\"}",
		      strlen("{\"id\":{\"a\":[[[[1]]]]},\"name\":\"n\",\"email\":\"e\","
			     "\"joinedOn\":\"2024-01-01\"}"),
		      "application/json", "invalid_record");
	free(body);
	assert_true(project_hash() == before);
	still_serving();
}

static void test_invalid_utf8(void **state)
{
	static const char bad_json[] = "{\"id\":1,\"name\":\"\xff\xfe\",\"email\":\"e\","
				       "\"joinedOn\":\"2024-01-01\"}";
	static const char overlong[] = "{\"id\":1,\"name\":\"\xc0\xaf\",\"email\":\"e\","
				       "\"joinedOn\":\"2024-01-01\"}";
	uint64_t before = project_hash();
	(void)state;

	expect_status(400, "POST", "/models/users/data/users", bad_json, sizeof(bad_json) - 1,
		      "application/json", "bad_request");
	expect_status(400, "POST", "/models/users/data/users", overlong, sizeof(overlong) - 1,
		      "application/json", "bad_request");
	expect_status(400, "GET", "/models/users/data/users?name=eq.%ff%fe", NULL, 0, NULL,
		      "bad_query");
	expect_status(400, "GET", "/models/users/data/users?fields=%c0%ae", NULL, 0, NULL,
		      "bad_query");
	expect_status(400, "GET", "/models/users/data/users/%ff", NULL, 0, NULL, "bad_request");
	expect_4xx("POST", "/models/users/add", "{\"datastore\":\"\xff\"}",
		   strlen("{\"datastore\":\"\xff\"}"), "application/json");
	expect_4xx("PUT", "/models/users/source", "type X record {| int \xff; |};",
		   strlen("type X record {| int \xff; |};"), "text/plain");
	assert_true(project_hash() == before);
	still_serving();
}

static void test_wrong_content_types(void **state)
{
	static const char rec[] = "{\"id\":1,\"name\":\"n\",\"email\":\"e\","
				  "\"joinedOn\":\"2024-01-01\"}";
	uint64_t before = project_hash();
	(void)state;

	expect_status(415, "POST", "/models/users/data/users", rec, sizeof(rec) - 1, "text/plain",
		      "unsupported_media_type");
	expect_status(415, "PATCH", "/models/users/data/users/1", "{}", 2,
		      "application/x-www-form-urlencoded", "unsupported_media_type");
	expect_status(415, "POST", "/models/users/data/users", rec, sizeof(rec) - 1,
		      "multipart/form-data; boundary=x", "unsupported_media_type");
	/* the record was never stored */
	expect_status(404, "GET", "/models/users/data/users/1", NULL, 0, NULL, "record_not_found");
	assert_true(project_hash() == before);
}

/* SQL metacharacters are data: stored and matched as text, never run. */
static void test_sql_metacharacters(void **state)
{
	static const char rec[] = "{\"id\":77,\"name\":\"x'); DROP TABLE User; --\","
				  "\"email\":\"\\\" OR 1=1 --\",\"joinedOn\":\"2024-01-01\"}";
	(void)state;

	expect_status(201, "POST", "/models/users/data/users", rec, sizeof(rec) - 1,
		      "application/json", NULL);
	expect_status(200, "GET",
		      "/models/users/data/users?name=eq.x'%29%3B%20DROP%20TABLE%20User%3B%20--",
		      NULL, 0, NULL, NULL);
	expect_status(400, "GET", "/models/users/data/users?id=eq.1%20OR%201%3D1", NULL, 0, NULL,
		      "bad_query");
	expect_status(400, "GET", "/models/users/data/users?order=name;DROP", NULL, 0, NULL,
		      "bad_query");
	expect_status(400, "GET", "/models/users/data/users?fields=name%2C(SELECT%201)", NULL, 0,
		      NULL, "bad_query");
	expect_status(200, "DELETE", "/models/users/data/users/77", NULL, 0, NULL, NULL);
}

/* ---- model files ---------------------------------------------------------------------------- */

static void write_bytes(const char *rel, const void *data, size_t len)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static const char *model_status(const char *name)
{
	static char status[32];
	char url[256];
	struct http_result h;
	json_t *j;

	snprintf(url, sizeof(url), "%s/models/%s", proc.base_url, name);
	assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
	j = json_loadb(h.body, h.len, 0, NULL);
	snprintf(status, sizeof(status), "%s",
		 json_string_value(json_object_get(j, "status")) ?: "(none)");
	json_decref(j);
	http_result_release(&h);
	return status;
}

static void wait_status(const char *name, const char *want)
{
	for (int i = 0; i < 100; i++) {
		if (strcmp(model_status(name), want) == 0)
			return;
		usleep(50 * 1000);
	}
	fail_msg("model %s never became %s (is %s)", name, want, model_status(name));
}

static void test_huge_and_nul_model_files(void **state)
{
	static const char nul_model[] = "import ballerina/persist as _;\n"
					"public type A record {|\n    readonly int id;\0\n|};\n";
	size_t huge = 2 * 1024 * 1024;
	char *text = malloc(huge);
	(void)state;

	assert_non_null(text);
	/* PUT refuses both without writing */
	expect_status(400, "PUT", "/models/users/source", nul_model, sizeof(nul_model) - 1,
		      "text/plain", NULL);
	assert_string_equal(model_status("users"), "valid");

	/* written on disk they make a model invalid, never the daemon fall over */
	memset(text, '/', huge);
	text[huge - 1] = '\n';
	write_bytes("persist/huge.bal", text, huge);
	write_bytes("persist/nul.bal", nul_model, sizeof(nul_model) - 1);
	wait_status("huge", "invalid");
	wait_status("nul", "invalid");
	expect_status(422, "GET", "/models/nul/data/as", NULL, 0, NULL, "model_invalid");
	still_serving();
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traversal_in_model_names),
		cmocka_unit_test(test_traversal_in_resources_and_keys),
		cmocka_unit_test(test_oversized_and_nested_json),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_wrong_content_types),
		cmocka_unit_test(test_sql_metacharacters),
		cmocka_unit_test(test_huge_and_nul_model_files),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
