/* SIGKILL persistd while it regenerates a model, many times: the generated files must always
 * be one complete set, the old one or the new one. A kill among the renames leaves a journal
 * (models/fileset.c); replaying it, as the next writer does, must give the new set, and the
 * restarted daemon must end with the set of the model on disk. */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "tests/helpers/proc.h"

#define MAX_FILES 16

/* A generated set: relative paths and contents. */
struct file_set {
	size_t n;
	char *path[MAX_FILES];
	char *data[MAX_FILES];
};

static char root[64];
static struct persistd_proc proc;
static struct file_set set_a, set_b;

static void set_release(struct file_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->path[i]);
		free(s->data[i]);
	}
	s->n = 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
	} else {
		data[n] = '\0';
	}
	fclose(f);
	return data;
}

static const char *set_find(const struct file_set *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->path[i], path) == 0)
			return s->data[i];
	return NULL;
}

static void set_put(struct file_set *s, const char *path, char *data)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->path[i], path) == 0) {
			free(s->data[i]);
			s->data[i] = data;
			return;
		}
	assert_true(s->n < MAX_FILES);
	s->path[s->n] = strdup(path);
	s->data[s->n++] = data;
}

/* The generated files (not temporaries) below rel into s. */
static void scan(const char *rel, struct file_set *s)
{
	char dir[512];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", root, rel);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char sub[512], full[1024];
		struct stat st;

		if (de->d_name[0] == '.')
			continue; /* ".", "..", temporaries */
		snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name);
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		if (stat(full, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			scan(sub, s);
		else
			set_put(s, sub, slurp(full));
	}
	closedir(d);
}

/* What the generated files are once every journal left behind is replayed. */
static void effective_set(struct file_set *s)
{
	struct dirent *de;
	DIR *d;

	scan("generated", s);
	d = opendir(root);
	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[512];
		char *text, *line;

		size_t len = strlen(de->d_name);

		/* journals as fileset_recover() takes them: a ".journal.tmp.*" is one that was
		 * never committed, so its renames never started */
		if (strncmp(de->d_name, ".persist-fileset.", 17) != 0 || len < 8 ||
		    strcmp(de->d_name + len - 8, ".journal") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
		text = slurp(path);
		assert_non_null(text);
		for (line = text; *line;) {
			char *nl = strchr(line, '\n'), *tab = strchr(line, '\t');
			char tmp[1024];
			char *data;
			if (nl)
				*nl = '\0';
			assert_non_null(tab);
			*tab = '\0';
			snprintf(tmp, sizeof(tmp), "%s/%s", root, line);
			data = slurp(tmp);
			if (data) /* not renamed yet */
				set_put(s, tab + 1, data);
			line = nl ? nl + 1 : line + strlen(line);
		}
		free(text);
	}
	closedir(d);
}

static bool set_equal(const struct file_set *a, const struct file_set *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const char *o = set_find(b, a->path[i]);
		if (!o || strcmp(o, a->data[i]) != 0)
			return false;
	}
	return true;
}

/* ---- the project ------------------------------------------------------------------------- */

/* Model version v: 24 entities, version 1 with one more field in each, so every generated
 * file differs between the two. */
static void write_model(int v)
{
	char path[256], tmp[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/persist/m.bal", root);
	snprintf(tmp, sizeof(tmp), "%s/persist/.m.bal.new", root);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs("import ballerina/persist as _;\n", f);
	for (int i = 0; i < 24; i++) {
		fprintf(f,
			"\npublic type Entity%d record {|\n    readonly int id;\n    string name;\n"
			"    int count;\n",
			i);
		if (v)
			fprintf(f, "    string extra%d;\n", i);
		fputs("|};\n", f);
	}
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

static void write_text(const char *rel, const char *text)
{
	assert_int_equal(test_write_file(root, rel, text), 0);
}

static void start_daemon(void)
{
	static const char *const args[] = { "--set", "models.debounce=0", "--set",
					    "log.level=warning", NULL };
	assert_int_equal(persistd_start(root, args, &proc), 0);
}

/* Wait (5 s at most) until the generated files are exactly want. */
static void wait_for_set(const struct file_set *want)
{
	for (int i = 0; i < 500; i++) {
		struct file_set now = { 0 };
		bool ok;
		scan("generated", &now);
		ok = set_equal(&now, want);
		set_release(&now);
		if (ok)
			return;
		usleep(10 * 1000);
	}
	fail_msg("the generated files never matched the model");
}

static void snapshot_when_stable(struct file_set *out)
{
	struct file_set prev = { 0 };

	/* the same content twice, 100 ms apart, and at least one file */
	for (int i = 0; i < 100; i++) {
		struct file_set now = { 0 };
		usleep(100 * 1000);
		scan("generated", &now);
		if (now.n > 0 && set_equal(&now, &prev)) {
			set_release(&prev);
			*out = now;
			return;
		}
		set_release(&prev);
		prev = now;
	}
	fail_msg("the generated files never settled");
}

static int group_setup(void **state)
{
	char dir[128];
	(void)state;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(root, sizeof(root), "/tmp/persistd-kill-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(dir, sizeof(dir), "%s/persist", root);
	if (mkdir(dir, 0755) < 0)
		return -1;
	write_text("Ballerina.toml", "[package]\norg = \"test\"\nname = \"app\"\n"
				     "version = \"0.1.0\"\n\n[[tool.persist]]\nid = \"m\"\n"
				     "targetModule = \"app.m\"\noptions.datastore = \"mysql\"\n"
				     "filePath = \"persist/m.bal\"\n");
	write_model(0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (proc.pid > 0)
		persistd_stop(&proc, SIGKILL, 5000);
	set_release(&set_a);
	set_release(&set_b);
	test_remove_tree(root);
	curl_global_cleanup();
	return 0;
}

static void test_kill_during_generation(void **state)
{
	const char *env = getenv("PERSISTD_KILL_ITERATIONS");
	int iterations = env ? (int)strtol(env, NULL, 10) : 200;
	int mixed_seen = 0, journals_seen = 0, current = 0;
	(void)state;

	/* the two complete sets */
	start_daemon();
	snapshot_when_stable(&set_a);
	write_model(1);
	snapshot_when_stable(&set_b);
	assert_false(set_equal(&set_a, &set_b));
	current = 1;
	srand((unsigned)time(NULL));

	for (int i = 0; i < iterations; i++) {
		struct file_set now = { 0 }, raw = { 0 };
		int next = !current;
		unsigned delay = (unsigned)(rand() % 25000);
		char cmd[256];

		write_model(next);
		usleep(delay);
		assert_int_equal(kill(proc.pid, SIGKILL), 0);
		(void)persistd_stop(&proc, 0, 5000); /* reap it */
		proc.pid = 0;

		scan("generated", &raw);
		if (!set_equal(&raw, &set_a) && !set_equal(&raw, &set_b))
			mixed_seen++; /* on disk mid-rename: the journal must make it whole */
		set_release(&raw);
		snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q '^\\.persist-fileset\\.'", root);
		if (system(cmd) == 0)
			journals_seen++;
		effective_set(&now);
		if (!set_equal(&now, &set_a) && !set_equal(&now, &set_b)) {
			char ls[512];
			for (size_t k = 0; k < now.n; k++) {
				const char *a = set_find(&set_a, now.path[k]);
				const char *b = set_find(&set_b, now.path[k]);
				print_error("  %s: %s\n", now.path[k],
					    a && !strcmp(a, now.data[k])   ? "old"
					    : b && !strcmp(b, now.data[k]) ? "new"
									   : "NEITHER");
			}
			snprintf(ls, sizeof(ls),
				 "ls -laR '%s' >&2; cat '%s'/.persist-fileset.* >&2", root, root);
			if (system(ls) != 0)
				print_error("(no journal)\n");
			fail_msg("iteration %d (kill after %u us): the generated files are neither "
				 "the old nor the new set",
				 i, delay);
		}
		set_release(&now);

		/* the restarted daemon finishes any journal and generates the model on disk */
		start_daemon();
		wait_for_set(next ? &set_b : &set_a);
		current = next;
	}
	print_message("%d kills: %d left a journal, %d left files mid-rename (all recovered)\n",
		      iterations, journals_seen, mixed_seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_during_generation),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
