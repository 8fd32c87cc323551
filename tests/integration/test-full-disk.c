/* A full disk: the project on a small tmpfs, filled up. A regeneration, an explicit generate,
 * a save through PUT .../source and a pull each fail with a clear error (507) and leave every
 * earlier file as it was; once there is room again, generation works. Needs root (mount);
 * skips otherwise. */
#include "config.h"

#include <dirent.h>
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "tests/helpers/proc.h"

static char root[64];
static bool mounted;
static struct persistd_proc proc;

static void write_file(const char *rel, const char *text)
{
	assert_int_equal(test_write_file(root, rel, text), 0);
}

/* Model version v: 30 entities; version 1 has one more field in each. */
static char *model_text(int v)
{
	size_t size = 64 * 1024, len = 0;
	char *t = malloc(size);

	assert_non_null(t);
	len += (size_t)snprintf(t + len, size - len, "import ballerina/persist as _;\n");
	for (int i = 0; i < 30; i++) {
		len += (size_t)snprintf(t + len, size - len,
					"\npublic type Item%d record {|\n    readonly int id;\n"
					"    string name;\n%s|};\n",
					i, v ? "    string note;\n" : "");
	}
	return t;
}

/* Every file below generated/ as "path\ncontent\n..." (temporaries and journals included,
 * so a leftover shows up as a difference). */
static void tree_text(const char *rel, FILE *out)
{
	char dir[512];
	struct dirent **names;
	int n;

	snprintf(dir, sizeof(dir), "%s/%s", root, rel);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		char sub[512], full[1024];
		struct stat st;

		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			snprintf(sub, sizeof(sub), "%s/%s", rel, names[i]->d_name);
			snprintf(full, sizeof(full), "%s/%s", root, sub);
			if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
				tree_text(sub, out);
			} else {
				FILE *f = fopen(full, "rb");
				char buf[4096];
				size_t k;
				fprintf(out, "== %s\n", sub);
				while (f && (k = fread(buf, 1, sizeof(buf), f)) > 0)
					fwrite(buf, 1, k, out);
				if (f)
					fclose(f);
			}
		}
		free(names[i]);
	}
	free(names);
}

static void same_tree(const char *a, const char *b)
{
	if (strcmp(a, b) != 0) {
		FILE *f = fopen("full-disk-before.txt", "w");
		fputs(a, f);
		fclose(f);
		f = fopen("full-disk-after.txt", "w");
		fputs(b, f);
		fclose(f);
		fail_msg("the files changed (full-disk-before.txt, full-disk-after.txt)");
	}
}

static char *snapshot(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	tree_text("generated", f);
	{
		/* and any journal or temporary file left in the project root */
		struct dirent *de;
		DIR *d = opendir(root);
		assert_non_null(d);
		while ((de = readdir(d)))
			if (strstr(de->d_name, ".persist-fileset.") || strstr(de->d_name, ".tmp."))
				fprintf(f, "== ./%s\n", de->d_name);
		closedir(d);
	}
	fclose(f);
	return text;
}

static json_t *get_json(const char *path, long want)
{
	struct http_result h = { 0 };
	char url[256];
	json_t *j;

	snprintf(url, sizeof(url), "%s%s", proc.base_url, path);
	assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
	assert_int_equal(h.status, want);
	j = json_loadb(h.body, h.len, 0, NULL);
	http_result_release(&h);
	return j;
}

static long send_req(const char *method, const char *path, const char *body,
		     const char *const *headers, char *code, size_t code_size)
{
	struct http_result h = { 0 };
	char url[256];
	long st;

	snprintf(url, sizeof(url), "%s%s", proc.base_url, path);
	assert_int_equal(http_request(method, url, body, body ? strlen(body) : 0, headers, &h), 0);
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

/* Fill the disk, then free `room` bytes: small writes fit, a generation does not. */
static void fill_disk(size_t room)
{
	char path[128], buf[4096];
	int fd;

	memset(buf, 'x', sizeof(buf));
	snprintf(path, sizeof(path), "%s/filler", root);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	while (write(fd, buf, sizeof(buf)) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	{
		struct stat st;
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(
			ftruncate(fd, st.st_size > (off_t)room ? st.st_size - (off_t)room : 0), 0);
	}
	close(fd);
}

static void free_disk(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/filler", root);
	(void)unlink(path);
}

/* lastGeneration of model m once it has one newer than `after` (5 s at most). */
static bool wait_generation(const char *m, bool want_ok, char *error, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), "/models/%s", m);
	for (int i = 0; i < 100; i++) {
		json_t *o = get_json(path, 200);
		json_t *g = json_object_get(o, "lastGeneration");
		bool done = g && json_is_true(json_object_get(g, "ok")) == want_ok;
		if (done && error)
			snprintf(error, size, "%s",
				 json_string_value(json_object_get(g, "error")) ?: "");
		json_decref(o);
		if (done)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

static int group_setup(void **state)
{
	static const char *const args[] = { "--set", "models.debounce=20ms", NULL };
	char dir[128];
	char *text;
	(void)state;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(root, sizeof(root), "/tmp/persistd-full-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	if (mount("tmpfs", root, "tmpfs", 0, "size=1m,mode=0755") < 0) {
		print_message("cannot mount a tmpfs (%s): skipping\n", strerror(errno));
		return 0;
	}
	mounted = true;
	snprintf(dir, sizeof(dir), "%s/persist", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_file("Ballerina.toml",
		   "[package]\norg = \"test\"\nname = \"app\"\nversion = \"0.1.0\"\n\n"
		   "[[tool.persist]]\nid = \"m\"\ntargetModule = \"app.m\"\n"
		   "options.datastore = \"mysql\"\nfilePath = \"persist/m.bal\"\n");
	text = model_text(0);
	write_file("persist/m.bal", text);
	free(text);
	return persistd_start(root, args, &proc) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (proc.pid > 0)
		persistd_stop(&proc, SIGTERM, 10000);
	if (mounted)
		(void)umount2(root, MNT_DETACH);
	(void)rmdir(root);
	curl_global_cleanup();
	return 0;
}

static void test_full_disk(void **state)
{
	static const char *const put_headers[] = { "If-Match: *", "Content-Type: text/plain",
						   NULL };
	char code[64], error[512], path[256];
	char *before, *after, *v1;
	struct stat st;
	(void)state;

	if (!mounted)
		skip();
	assert_true(wait_generation("m", true, NULL, 0));
	before = snapshot();

	/* a save that fits, whose generation does not */
	fill_disk(16 * 1024);
	v1 = model_text(1);
	write_file("persist/m.bal", v1);
	assert_true(wait_generation("m", false, error, sizeof(error)));
	print_message("regeneration on a full disk: %s\n", error);
	assert_non_null(strstr(error, "No space left"));
	after = snapshot();
	same_tree(before, after); /* not one file touched, nothing left behind */
	free(after);

	/* the routes that write say so, and write nothing */
	assert_int_equal(send_req("POST", "/models/m/generate", NULL, NULL, code, sizeof(code)),
			 507);
	assert_string_equal(code, "insufficient_storage");
	{
		char *big = model_text(1);
		size_t n = strlen(big);
		big = realloc(big, n * 8 + 1);
		for (int i = 1; i < 8; i++)
			memcpy(big + n * (size_t)i, big, n);
		big[n * 8] = '\0';
		assert_int_equal(
			send_req("PUT", "/models/m/source", big, put_headers, code, sizeof(code)),
			507);
		free(big);
	}
	snprintf(path, sizeof(path), "%s/persist/m.bal", root);
	{
		FILE *f = fopen(path, "r");
		char buf[64 * 1024];
		size_t k = fread(buf, 1, sizeof(buf) - 1, f);
		buf[k] = '\0';
		fclose(f);
		assert_string_equal(buf, v1);
	}
	after = snapshot();
	same_tree(before, after);
	free(after);
	/* a pull on a disk without a byte left: a clean error, no model file */
	if (getenv("PERSISTD_TEST_PG_PORT") && system("command -v psql >/dev/null") == 0) {
		char cmd[1024], body[512];
		const char *pw = getenv("PERSISTD_TEST_PG_PASSWORD");
		snprintf(
			cmd, sizeof(cmd),
			"PGPASSWORD='%s' psql -X -q -h %s -p %s -U %s -d persist -c "
			"'DROP DATABASE IF EXISTS persist_full' -c 'CREATE DATABASE persist_full' "
			">/dev/null && PGPASSWORD='%s' psql -X -q -h %s -p %s -U %s -d persist_full "
			"-c 'CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)' "
			">/dev/null",
			pw, getenv("PERSISTD_TEST_PG_HOST"), getenv("PERSISTD_TEST_PG_PORT"),
			getenv("PERSISTD_TEST_PG_USER"), pw, getenv("PERSISTD_TEST_PG_HOST"),
			getenv("PERSISTD_TEST_PG_PORT"), getenv("PERSISTD_TEST_PG_USER"));
		assert_int_equal(system(cmd), 0);
		free_disk();
		fill_disk(0);
		snprintf(body, sizeof(body),
			 "{\"datastore\":\"postgresql\",\"host\":\"%s\",\"port\":%s,"
			 "\"user\":\"%s\",\"password\":\"%s\",\"database\":\"persist_full\"}",
			 getenv("PERSISTD_TEST_PG_HOST"), getenv("PERSISTD_TEST_PG_PORT"),
			 getenv("PERSISTD_TEST_PG_USER"), pw);
		assert_int_equal(
			send_req("POST", "/models/pulled/pull", body,
				 (const char *const[]){ "Content-Type: application/json", NULL },
				 code, sizeof(code)),
			507);
		snprintf(path, sizeof(path), "%s/persist/pulled.bal", root);
		assert_int_equal(stat(path, &st), -1);
		after = snapshot();
		same_tree(before, after);
		free(after);
	}

	/* room again: the next generation writes the new set */
	free_disk();
	assert_int_equal(send_req("POST", "/models/m/generate", NULL, NULL, code, sizeof(code)),
			 200);
	after = snapshot();
	assert_string_not_equal(after, before);
	assert_null(strstr(after, ".tmp."));
	free(after);
	free(before);
	free(v1);
	/* and the daemon kept serving throughout */
	json_decref(get_json("/healthz", 200));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_disk),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
