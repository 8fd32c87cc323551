/* The model registry over HTTP: a real persistd on a copy of examples/shop, files edited on
 * disk the ways editors save them, and the model routes of API.md §3. */
#include "config.h"

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
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "tests/helpers/proc.h"

static struct persistd_proc proc;
static char root[64];

static void path_of(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", root, rel);
}

static void write_file(const char *rel, const char *text)
{
	char p[256];
	FILE *f;
	path_of(p, sizeof(p), rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int group_setup(void **state)
{
	static const char *const args[] = { "--set", "models.debounce=20ms", NULL };
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

static json_t *request_json(const char *method, const char *path, const char *body,
			    const char *const *headers, long want, struct http_result *keep)
{
	struct http_result h;
	char url[256];
	json_t *j;

	snprintf(url, sizeof(url), "%s%s", proc.base_url, path);
	assert_int_equal(http_request(method, url, body, body ? strlen(body) : 0, headers, &h), 0);
	if (h.status != want)
		fail_msg("%s %s: status %ld, want %ld: %s", method, path, h.status, want, h.body);
	j = h.len ? json_loads(h.body, 0, NULL) : NULL;
	if (keep)
		*keep = h;
	else
		http_result_release(&h);
	return j;
}

static json_t *find_model(json_t *list, const char *name)
{
	size_t i;
	json_t *m;
	json_array_foreach(list, i, m)
		if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
			return m;
	return NULL;
}

/* Poll GET /models until model name has status (or is absent, for status NULL); 5 s at most. */
static void wait_for_status(const char *name, const char *status)
{
	for (int i = 0; i < 100; i++) {
		json_t *list = request_json("GET", "/models", NULL, NULL, 200, NULL);
		json_t *m = find_model(list, name);
		bool done = status ? m && strcmp(json_string_value(json_object_get(m, "status")),
						 status) == 0
				   : m == NULL;
		json_decref(list);
		if (done)
			return;
		usleep(50 * 1000);
	}
	fail_msg("model '%s' never reached status %s", name, status ? status : "(removed)");
}

static void test_list_and_ready(void **state)
{
	json_t *list, *m, *ready;
	(void)state;

	ready = request_json("GET", "/readyz", NULL, NULL, 200, NULL);
	assert_string_equal(json_string_value(json_object_get(ready, "status")), "ready");
	json_decref(ready);

	list = request_json("GET", "/models", NULL, NULL, 200, NULL);
	assert_int_equal(json_array_size(list), 3);
	m = find_model(list, "users");
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "file")), "persist/users.bal");
	assert_string_equal(json_string_value(json_object_get(m, "layout")), "file");
	assert_string_equal(json_string_value(json_object_get(m, "status")), "valid");
	assert_int_equal(json_integer_value(json_object_get(m, "entities")), 2);
	assert_int_equal(json_integer_value(json_object_get(m, "errors")), 0);
	json_decref(list);
}

static void test_model_detail_and_etag(void **state)
{
	struct http_result h;
	json_t *m, *e, *f;
	char inm[96];
	const char *headers[] = { inm, NULL };
	(void)state;

	m = request_json("GET", "/models/users", NULL, NULL, 200, &h);
	e = json_array_get(json_object_get(m, "entities"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "name")), "User");
	assert_string_equal(json_string_value(json_object_get(e, "resource")), "users");
	f = json_array_get(json_object_get(e, "keys"), 0);
	assert_string_equal(json_string_value(f), "id");
	assert_true(json_array_size(json_object_get(e, "relations")) == 1);
	assert_true(h.etag[0] == '"');
	json_decref(m);

	/* The same body again: 304 with If-None-Match. */
	snprintf(inm, sizeof(inm), "If-None-Match: %s", h.etag);
	http_result_release(&h);
	json_decref(request_json("GET", "/models/users", NULL, headers, 304, NULL));
}

static void test_bad_names_and_missing_models(void **state)
{
	json_t *p;
	(void)state;

	p = request_json("GET", "/models/nope", NULL, NULL, 404, NULL);
	assert_string_equal(json_string_value(json_object_get(p, "code")), "model_not_found");
	json_decref(p);
	p = request_json("GET", "/models/9lives", NULL, NULL, 400, NULL);
	assert_string_equal(json_string_value(json_object_get(p, "code")), "invalid_model_name");
	json_decref(p);
	json_decref(request_json("GET", "/models/migrations", NULL, NULL, 400, NULL));
	json_decref(request_json("GET", "/models/..", NULL, NULL, 400, NULL));
	json_decref(request_json("GET", "/models/%2e%2e/source", NULL, NULL, 400, NULL));
	/* an encoded '/' stays inside its segment: a name, and an invalid one */
	json_decref(request_json("GET", "/models/..%2f..%2fetc/source", NULL, NULL, 400, NULL));
}

static void test_broken_save_shows_diagnostics(void **state)
{
	json_t *m, *d;
	(void)state;

	write_file("persist/users.bal", "import ballerina/persist as _;\n\n"
					"public type User record {|\n"
					"    readonly int id;\n"
					"    Strin name;\n"
					"|};\n");
	wait_for_status("users", "invalid");
	m = request_json("GET", "/models/users", NULL, NULL, 200, NULL);
	d = json_array_get(json_object_get(m, "diagnostics"), 0);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "severity")), "error");
	assert_int_equal(json_integer_value(json_object_get(d, "line")), 5);
	assert_string_equal(json_string_value(json_object_get(d, "file")), "persist/users.bal");
	json_decref(m);
}

static void test_put_source_with_if_match(void **state)
{
	static const char fixed[] = "import ballerina/persist as _;\n\n"
				    "public type User record {|\n"
				    "    readonly int id;\n"
				    "    string name;\n"
				    "|};\n";
	struct http_result h;
	char im[96], url[256];
	const char *headers[] = { im, NULL };
	(void)state;

	snprintf(url, sizeof(url), "%s/models/users/source", proc.base_url);
	assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
	assert_int_equal(h.status, 200);
	assert_non_null(strstr(h.content_type, "text/plain"));
	assert_non_null(strstr(h.body, "Strin name;"));
	snprintf(im, sizeof(im), "If-Match: %s", h.etag);
	http_result_release(&h);

	/* Without If-Match: 428. With a stale one: 412. NUL bytes: 400. Nothing changes. */
	json_decref(request_json("PUT", "/models/users/source", fixed, NULL, 428, NULL));
	{
		const char *stale[] = { "If-Match: \"0000000000000000\"", NULL };
		json_decref(request_json("PUT", "/models/users/source", fixed, stale, 412, NULL));
	}
	assert_int_equal(http_request("PUT", url, "a\0b", 3, headers, &h), 0);
	assert_int_equal(h.status, 400);
	http_result_release(&h);

	json_decref(request_json("PUT", "/models/users/source", fixed, headers, 200, NULL));
	wait_for_status("users", "valid");
	/* The old ETag no longer matches. */
	json_decref(request_json("PUT", "/models/users/source", fixed, headers, 412, NULL));
}

static void test_new_renamed_and_deleted_files(void **state)
{
	char a[256], b[256];
	(void)state;

	write_file("persist/.orders.bal.tmp", "import ballerina/persist as _;\n\n"
					      "public type Order record {|\n"
					      "    readonly int id;\n"
					      "|};\n");
	path_of(a, sizeof(a), "persist/.orders.bal.tmp");
	path_of(b, sizeof(b), "persist/orders.bal");
	assert_int_equal(rename(a, b), 0);
	wait_for_status("orders", "valid");

	assert_int_equal(unlink(b), 0);
	wait_for_status("orders", NULL);

	/* A model that only imports persist is "empty". */
	write_file("persist/draft.bal", "import ballerina/persist as _;\n");
	wait_for_status("draft", "empty");
}

static void test_directory_layout_and_conflict(void **state)
{
	char d[256];
	(void)state;

	path_of(d, sizeof(d), "persist/users");
	assert_int_equal(mkdir(d, 0755), 0);
	write_file("persist/users/model.bal", "import ballerina/persist as _;\n");
	wait_for_status("users", "conflict");
	path_of(d, sizeof(d), "persist/users/model.bal");
	assert_int_equal(unlink(d), 0);
	wait_for_status("users", "valid");
}

struct stream {
	const char *last_event_id; /* NULL: none */
	const char *until; /* stop once the received text contains this */
	char text[16384];
	size_t len;
	bool found;
};

static size_t on_stream(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct stream *st = userdata;
	size_t n = size * nmemb;
	size_t k = n < sizeof(st->text) - 1 - st->len ? n : sizeof(st->text) - 1 - st->len;

	memcpy(st->text + st->len, ptr, k);
	st->len += k;
	st->text[st->len] = '\0';
	if (strstr(st->text, st->until)) {
		st->found = true;
		return 0; /* enough: abort the transfer */
	}
	return n;
}

static void *read_stream(void *arg)
{
	struct stream *st = arg;
	struct curl_slist *h = NULL;
	char url[256], hdr[64];
	CURL *c = curl_easy_init();

	snprintf(url, sizeof(url), "%s/events", proc.base_url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, st);
	if (st->last_event_id) {
		snprintf(hdr, sizeof(hdr), "Last-Event-ID: %s", st->last_event_id);
		h = curl_slist_append(h, hdr);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	curl_easy_perform(c);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

static void test_event_stream(void **state)
{
	struct stream live = { .until = "event: model.invalid" };
	struct stream resumed = { .last_event_id = "0", .until = "event: model.removed" };
	pthread_t t;
	(void)state;

	/* A live stream sees the next change. */
	assert_int_equal(pthread_create(&t, NULL, read_stream, &live), 0);
	usleep(300 * 1000);
	write_file("persist/inventory.bal",
		   "import ballerina/persist as _;\npublic type X record {|\n");
	pthread_join(t, NULL);
	assert_true(live.found);
	assert_non_null(strstr(live.text, "\"model\":\"inventory\""));
	assert_non_null(strstr(live.text, "id: "));

	/* Last-Event-ID 0 replays what happened so far, oldest first. */
	read_stream(&resumed);
	assert_true(resumed.found);
	assert_true(strncmp(resumed.text, "id: 1\n", 6) == 0);
}

static void test_init_and_add_routes(void **state)
{
	json_t *j, *list, *m;
	char path[256];
	struct stat st;
	bool bound = false;
	(void)state;

	j = request_json("POST", "/models/billing/init", NULL, NULL, 201, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "file")), "persist/billing.bal");
	json_decref(j);
	path_of(path, sizeof(path), "persist/billing.bal");
	assert_int_equal(stat(path, &st), 0);
	json_decref(request_json("POST", "/models/billing/init", NULL, NULL, 409, NULL));

	j = request_json("POST", "/models/billing/add",
			 "{\"datastore\":\"mysql\",\"module\":\"billing\"}", NULL, 201, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "generate-billing-client");
	assert_string_equal(json_string_value(json_object_get(j, "targetModule")), "shop.billing");
	json_decref(j);
	json_decref(request_json("POST", "/models/billing/add", "{\"datastore\":\"mysql\"}", NULL,
				 409, NULL));
	json_decref(request_json("POST", "/models/billing/add", "{\"datastore\":\"nosuch\"}", NULL,
				 400, NULL));
	json_decref(request_json("POST", "/models/billing/add", "{\"bogus\":1}", NULL, 400, NULL));
	json_decref(request_json("POST", "/models/billing/add", "[1,2]", NULL, 400, NULL));
	json_decref(request_json("POST", "/models/billing/add", "{\"id\":\"a\",\"id\":\"b\"}", NULL,
				 400, NULL));
	json_decref(request_json("POST", "/models/migrations/init", NULL, NULL, 400, NULL));

	/* Several models and none named: 400 listing them. */
	j = request_json("POST", "/init", NULL, NULL, 400, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "code")), "model_ambiguous");
	assert_true(json_array_size(json_object_get(j, "models")) >= 2);
	json_decref(j);

	/* The new binding reaches the registry. */
	for (int i = 0; i < 100 && !bound; i++) {
		list = request_json("GET", "/models", NULL, NULL, 200, NULL);
		m = find_model(list, "billing");
		bound = m && json_is_string(json_object_get(m, "datastore")) &&
			strcmp(json_string_value(json_object_get(m, "datastore")), "mysql") == 0;
		json_decref(list);
		if (!bound)
			usleep(50 * 1000);
	}
	assert_true(bound);
}

static bool file_exists(const char *rel)
{
	char p[256];
	struct stat st;
	path_of(p, sizeof(p), rel);
	return stat(p, &st) == 0;
}

static void test_auto_regeneration(void **state)
{
	static const char model[] = "import ballerina/persist as _;\n\n"
				    "public type Invoice record {|\n"
				    "    readonly int id;\n"
				    "    decimal amount;\n"
				    "|};\n";
	char path[256];
	struct stat before, after;
	json_t *list, *m;
	int i;
	(void)state;

	/* billing was bound to mysql, module billing, by the previous test. */
	write_file("persist/billing.bal", model);
	/* generatedAt is set once every file is in place. */
	for (i = 0; i < 100; i++) {
		bool done;
		list = request_json("GET", "/models", NULL, NULL, 200, NULL);
		m = find_model(list, "billing");
		done = m && json_is_string(json_object_get(m, "generatedAt"));
		json_decref(list);
		if (done)
			break;
		usleep(50 * 1000);
	}
	assert_true(i < 100);
	assert_true(file_exists("generated/billing/persist_client.bal"));
	assert_true(file_exists("generated/billing/script.sql"));

	/* A broken save never overwrites good output. */
	path_of(path, sizeof(path), "generated/billing/persist_client.bal");
	assert_int_equal(stat(path, &before), 0);
	write_file("persist/billing.bal",
		   "import ballerina/persist as _;\npublic type Invoice record {|\n");
	wait_for_status("billing", "invalid");
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	assert_int_equal(before.st_ino, after.st_ino);
}

static void test_generate_routes(void **state)
{
	static const char model[] = "import ballerina/persist as _;\n\n"
				    "public type Invoice record {|\n"
				    "    readonly int id;\n"
				    "    decimal amount;\n"
				    "|};\n";
	json_t *j, *f;
	size_t i;
	bool any_changed = false;
	(void)state;

	/* billing is broken after the previous test: 422 with its diagnostics. */
	j = request_json("POST", "/models/billing/generate", NULL, NULL, 422, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "code")), "model_invalid");
	assert_true(json_array_size(json_object_get(j, "diagnostics")) > 0);
	json_decref(j);

	{
		json_t *before = request_json("GET", "/models/billing", NULL, NULL, 200, NULL);
		char was[64];
		bool regenerated = false;

		snprintf(was, sizeof(was), "%s",
			 json_string_value(json_object_get(before, "generatedAt")));
		json_decref(before);
		write_file("persist/billing.bal", model);
		/* Wait for the automatic regeneration, so the dry run below has nothing to do. */
		for (int k = 0; k < 100 && !regenerated; k++) {
			json_t *now = request_json("GET", "/models/billing", NULL, NULL, 200, NULL);
			const char *at = json_string_value(json_object_get(now, "generatedAt"));
			regenerated = at && strcmp(at, was) != 0;
			json_decref(now);
			if (!regenerated)
				usleep(50 * 1000);
		}
		assert_true(regenerated);
	}

	/* A dry run of the binding's generation: every file, digests, nothing to change. */
	j = request_json("POST", "/models/billing/generate?dryRun=true", NULL, NULL, 200, NULL);
	assert_true(json_is_true(json_object_get(j, "dryRun")));
	assert_string_equal(json_string_value(json_object_get(j, "outputDirectory")),
			    "generated/billing");
	assert_true(json_array_size(json_object_get(j, "files")) >= 4);
	json_array_foreach(json_object_get(j, "files"), i, f) {
		assert_int_equal(strlen(json_string_value(json_object_get(f, "sha256"))), 64);
		any_changed |= json_is_true(json_object_get(f, "changed"));
	}
	assert_false(any_changed);
	json_decref(j);

	/* As `persist generate`: a body with the datastore and module. */
	assert_false(file_exists("modules/memusers/persist_client.bal"));
	j = request_json("POST", "/models/users/generate?dryRun=true",
			 "{\"datastore\":\"inmemory\",\"module\":\"memusers\"}", NULL, 200, NULL);
	assert_false(file_exists("modules/memusers/persist_client.bal"));
	json_decref(j);
	j = request_json("POST", "/models/users/generate",
			 "{\"datastore\":\"inmemory\",\"module\":\"memusers\"}", NULL, 200, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "outputDirectory")),
			    "modules/memusers");
	json_decref(j);
	assert_true(file_exists("modules/memusers/persist_client.bal"));
	assert_true(file_exists("modules/memusers/persist_types.bal"));

	/* Errors: no binding, bad body, unknown datastore, ambiguous model-less form. */
	write_file("persist/loose.bal", "import ballerina/persist as _;\n\n"
					"public type Note record {|\n"
					"    readonly int id;\n"
					"|};\n");
	wait_for_status("loose", "valid");
	json_decref(request_json("POST", "/models/loose/generate", NULL, NULL, 409, NULL));
	json_decref(request_json("POST", "/models/users/generate", "{\"datastore\":1}", NULL, 400,
				 NULL));
	json_decref(request_json("POST", "/models/users/generate", "{\"datastore\":\"sqlite\"}",
				 NULL, 400, NULL));
	json_decref(
		request_json("POST", "/generate", "{\"datastore\":\"mysql\"}", NULL, 400, NULL));
	json_decref(request_json("POST", "/models/nope/generate", NULL, NULL, 404, NULL));
}

static void test_generation_failure_is_reported(void **state)
{
	char p[256];
	FILE *f;
	json_t *m, *g = NULL;
	(void)state;

	/* A binding whose targetModule is outside the package cannot be generated. */
	path_of(p, sizeof(p), "Ballerina.toml");
	f = fopen(p, "a");
	assert_non_null(f);
	fputs("\n[[tool.persist]]\nid = \"stray\"\ntargetModule = \"elsewhere.stray\"\n"
	      "options.datastore = \"mysql\"\nfilePath = \"persist/stray.bal\"\n",
	      f);
	fclose(f);
	write_file("persist/stray.bal", "import ballerina/persist as _;\n\n"
					"public type Item record {|\n"
					"    readonly int id;\n"
					"|};\n");
	wait_for_status("stray", "valid");
	for (int i = 0; i < 100; i++) {
		m = request_json("GET", "/models/stray", NULL, NULL, 200, NULL);
		g = json_object_get(m, "lastGeneration");
		if (g && json_is_false(json_object_get(g, "ok"))) {
			assert_non_null(strstr(json_string_value(json_object_get(g, "error")),
					       "elsewhere.stray"));
			json_decref(m);
			return;
		}
		json_decref(m);
		usleep(50 * 1000);
	}
	fail_msg("the failed generation never showed in /models/stray");
}

/* A bound model's last generation lists the files it wrote. */
static void test_last_generation_files(void **state)
{
	(void)state;
	for (int i = 0; i < 100; i++) {
		json_t *m = request_json("GET", "/models/users", NULL, NULL, 200, NULL);
		json_t *g = json_object_get(m, "lastGeneration"), *f;
		bool found = false;
		size_t k;

		json_array_foreach(json_object_get(g, "files"), k, f)
			found = found || strstr(json_string_value(f), "persist_client.bal");
		json_decref(m);
		if (found)
			return;
		usleep(50 * 1000);
	}
	fail_msg("GET /models/users never listed its generated files");
}

/* 1000 saves across 50 models, in place and by rename, some broken on the way: the registry
 * ends with every model's last content. */
static void test_burst_of_saves(void **state)
{
	char rel[64], tmp[64], text[256];
	int ok = 0;
	(void)state;

	for (int round = 0; round < 20; round++)
		for (int i = 0; i < 50; i++) {
			bool last = round == 19;
			snprintf(rel, sizeof(rel), "persist/burst%02d.bal", i);
			snprintf(text, sizeof(text),
				 "import ballerina/persist as _;\n\npublic type %s record {|\n"
				 "    readonly int id;\n%s",
				 last ? "Final" : "Draft", round % 3 == 1 && !last ? "" : "|};\n");
			if (round % 2) {
				char a[256], b[256];
				snprintf(tmp, sizeof(tmp), "persist/.burst%02d.tmp", i);
				write_file(tmp, text);
				path_of(a, sizeof(a), tmp);
				path_of(b, sizeof(b), rel);
				assert_int_equal(rename(a, b), 0);
			} else {
				write_file(rel, text);
			}
		}
	for (int k = 0; k < 200 && ok < 50; k++) {
		json_t *list = request_json("GET", "/models", NULL, NULL, 200, NULL);
		ok = 0;
		for (int i = 0; i < 50; i++) {
			json_t *m;
			snprintf(rel, sizeof(rel), "burst%02d", i);
			m = find_model(list, rel);
			if (m &&
			    strcmp(json_string_value(json_object_get(m, "status")), "valid") == 0)
				ok++;
		}
		json_decref(list);
		if (ok < 50)
			usleep(50 * 1000);
	}
	assert_int_equal(ok, 50);
	for (int i = 0; i < 50; i += 7) {
		char path[64];
		json_t *m, *e;
		snprintf(path, sizeof(path), "/models/burst%02d", i);
		m = request_json("GET", path, NULL, NULL, 200, NULL);
		e = json_array_get(json_object_get(m, "entities"), 0);
		assert_string_equal(json_string_value(json_object_get(e, "name")), "Final");
		json_decref(m);
	}
}

static void test_openapi_document(void **state)
{
	json_t *d = request_json("GET", "/openapi.json", NULL, NULL, 200, NULL);
	json_t *paths = json_object_get(d, "paths");
	(void)state;

	assert_string_equal(json_string_value(json_object_get(d, "openapi")), "3.1.0");
	assert_non_null(json_object_get(paths, "/models/{m}/source"));
	assert_non_null(json_object_get(paths, "/models/users/data/users"));
	assert_non_null(json_object_get(paths, "/models/users/data/users/{id}"));
	assert_non_null(json_object_get(
		json_object_get(json_object_get(d, "components"), "schemas"), "users.User.Insert"));
	/* Invalid models have no data routes. */
	assert_null(json_object_get(paths, "/models/draft/data"));
	json_decref(d);
}

static void test_migrate_route(void **state)
{
	json_t *j;
	const char *dir;
	(void)state;

	j = request_json("POST", "/models/audit/migrate", "{\"label\":\"first\"}", NULL, 201, NULL);
	dir = json_string_value(json_object_get(j, "directory"));
	assert_non_null(dir);
	assert_true(strncmp(dir, "persist/audit/migrations/", 25) == 0);
	assert_true(strstr(dir, "_first") != NULL);
	assert_true(json_is_true(json_object_get(j, "first")));
	assert_true(json_array_size(json_object_get(j, "files")) >= 1);
	json_decref(j);

	/* Nothing changed since: no new migration. */
	j = request_json("POST", "/models/audit/migrate", "{\"label\":\"again\"}", NULL, 200, NULL);
	assert_true(json_is_null(json_object_get(j, "directory")) ||
		    !json_object_get(j, "directory"));
	json_decref(j);

	json_decref(request_json("POST", "/models/audit/migrate", "{}", NULL, 400, NULL));
	json_decref(request_json("POST", "/models/audit/migrate", "{\"label\":\"a/b\"}", NULL, 400,
				 NULL));
	json_decref(request_json("POST", "/models/audit/migrate", "not json", NULL, 400, NULL));
	json_decref(request_json("POST", "/migrate", "{\"label\":\"x\"}", NULL, 400, NULL));
}

static void test_sigterm_ends_open_streams(void **state)
{
	struct stream open_stream = { .until = "never sent" };
	pthread_t t;
	int status;
	(void)state;

	assert_int_equal(pthread_create(&t, NULL, read_stream, &open_stream), 0);
	usleep(300 * 1000);
	status = persistd_stop(&proc, SIGTERM, 3000);
	pthread_join(t, NULL);
	assert_true(status >= 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_and_ready),
		cmocka_unit_test(test_model_detail_and_etag),
		cmocka_unit_test(test_bad_names_and_missing_models),
		cmocka_unit_test(test_broken_save_shows_diagnostics),
		cmocka_unit_test(test_put_source_with_if_match),
		cmocka_unit_test(test_new_renamed_and_deleted_files),
		cmocka_unit_test(test_directory_layout_and_conflict),
		cmocka_unit_test(test_event_stream),
		cmocka_unit_test(test_init_and_add_routes),
		cmocka_unit_test(test_auto_regeneration),
		cmocka_unit_test(test_generate_routes),
		cmocka_unit_test(test_generation_failure_is_reported),
		cmocka_unit_test(test_last_generation_files),
		cmocka_unit_test(test_burst_of_saves),
		cmocka_unit_test(test_openapi_document),
		cmocka_unit_test(test_migrate_route),
		cmocka_unit_test(test_sigterm_ends_open_streams),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
