/* Runs cases of the upstream persist-tools corpus against the `persist` binary.
 *
 *   run-persist-tools [--corpus DIR] [--persist PATH] [--keep] [--stores A,B] COMMAND [CASE...]
 *
 * --stores limits the run to the named datastore directories of the command (mysql, multi, ...).
 * Each case directory holds input/ (the project before), expected/ (the whole tree after) and
 * case.json (the invocations and how to compare). The input is copied to a temporary
 * directory, every invocation runs as `persist -C <tmp> <cmd> --layout directory <argv...>`,
 * and the tree is compared as case.json says. One line per failing case names the first
 * differing file and line; the run ends with `<command>: N passed, N failed`. Cases with an
 * invocation upstream disabled are run and reported on a line of their own, not counted.
 *
 * pull cases need a database: each case's script.sql is loaded into a fresh database on the
 * servers tests/servers.sh started (PERSISTD_TEST_PG_*, PERSISTD_TEST_MYSQL_*; tests/conformance/
 * pull-db.c), and every invocation that reads a password gets that server's --host, --port,
 * --user, --database and --password-stdin, with the password in place of the literal PASSWORD
 * of its standard input. pull cases of a server that is not running are skipped, and so are the
 * mssql ones (no SQL Server here). Each pull store directory gets its own count line. MySQL
 * cases whose expected model depends on MySQL 8 behaviour that MariaDB does not share are
 * listed in mariadb_differences[] with the reason; their failures are reported but not
 * counted. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/conformance/pull-db.h"

struct pathset {
	char **paths;
	size_t n, alloc;
};

struct tally {
	unsigned passed, failed, disabled_passed, disabled_failed, skipped, known, no_server;
};

/* MySQL pull cases whose expected model says what MySQL 8 reports and MariaDB 10.11 does not
 * (introspection.md §7). A failure of one of these is printed with the reason, not counted. */
static const struct {
	const char *name;
	const char *reason;
} mariadb_differences[] = {
	{ NULL, NULL },
};

static const char *mariadb_difference(const char *case_name)
{
	for (size_t i = 0; mariadb_differences[i].name; i++)
		if (strcmp(mariadb_differences[i].name, case_name) == 0)
			return mariadb_differences[i].reason;
	return NULL;
}

static const char *arg_persist;
static bool arg_keep;
static const char *arg_stores; /* comma-separated datastore directories, NULL for all */

static bool store_wanted(const char *store)
{
	size_t n = strlen(store);

	if (!arg_stores)
		return true;
	for (const char *p = arg_stores; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && strncmp(p, store, n) == 0)
			return true;
		p += k;
		if (*p == ',')
			p++;
	}
	return false;
}

static void pathset_add(struct pathset *s, const char *p)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 64;
		s->paths = realloc(s->paths, s->alloc * sizeof(char *));
		if (!s->paths)
			abort();
	}
	s->paths[s->n++] = strdup(p);
}

static void pathset_free(struct pathset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->paths[i]);
	free(s->paths);
	*s = (struct pathset){ 0 };
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file under root, as paths relative to root, sorted. */
static void walk(const char *root, const char *rel, struct pathset *out)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char sub[PATH_MAX], full[PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		if (lstat(full, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			walk(root, sub, out);
		else
			pathset_add(out, sub);
	}
	closedir(d);
	if (!*rel)
		qsort(out->paths, out->n, sizeof(char *), cmp_str);
}

static int copy_tree(const char *from, const char *to)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execlp("cp", "cp", "-R", "--no-preserve=ownership", "-T", from, to, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	/* The corpus is read-only; the copy must be writable like a real project. */
	pid = fork();
	if (pid == 0) {
		execlp("chmod", "chmod", "-R", "u+w", to, (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &status, 0) >= 0 ? 0 : -1;
}

static void remove_tree(const char *dir)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		size_t k = fread(buf + n, 1, 4096, f);
		n += k;
		if (k < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Content without any line separator, as upstream's comparator sees it. */
static char *squeeze(const char *s, size_t len, size_t *out)
{
	char *r = malloc(len + 1);
	size_t k = 0;

	if (!r)
		abort();
	for (size_t i = 0; i < len; i++)
		if (s[i] != '\n' && s[i] != '\r')
			r[k++] = s[i];
	r[k] = '\0';
	*out = k;
	return r;
}

/* Line number (1-based, in the actual file) of the first non-blank line that differs. */
static unsigned first_diff_line(const char *exp, const char *act)
{
	const char *e = exp, *a = act;
	unsigned line = 1;

	for (;;) {
		while (*e == '\n' || *e == '\r')
			e++;
		while (*a == '\n' || *a == '\r') {
			if (*a == '\n')
				line++;
			a++;
		}
		const char *ee = e + strcspn(e, "\r\n"), *ae = a + strcspn(a, "\r\n");
		if ((size_t)(ee - e) != (size_t)(ae - a) || memcmp(e, a, (size_t)(ee - e)) != 0)
			return line;
		if (!*ee && !*ae)
			return line;
		e = ee;
		a = ae;
	}
}

/* "<timestamp>_<label>" → "<label>" for a path under a migrations directory. */
static void normalize_migration_path(const char *p, char *out, size_t size)
{
	const char *m = strstr(p, "migrations/");
	if (!m) {
		snprintf(out, size, "%s", p);
		return;
	}
	const char *d = m + strlen("migrations/");
	const char *us = strchr(d, '_'), *slash = strchr(d, '/');
	if (!us || (slash && us > slash)) {
		snprintf(out, size, "%s", p);
		return;
	}
	snprintf(out, size, "%.*s%s", (int)(d - p), p, us + 1);
}

enum compare_mode {
	COMPARE_ALL,
	COMPARE_ALL_SKIP_SOME, /* model.bal and persist_db_scripts.sql contents not compared */
	COMPARE_NEGATIVE, /* path set only, plus absent */
	COMPARE_MIGRATIONS, /* migrations/ subtrees, directories matched by label */
	COMPARE_NONE, /* no expected tree: the command must fail */
};

static enum compare_mode compare_mode_of(const json_t *c)
{
	const char *s = json_string_value(json_object_get(c, "compare"));
	if (!s)
		return COMPARE_ALL;
	if (strstr(s, "no expected tree"))
		return COMPARE_NONE;
	if (strstr(s, "migrations/ only"))
		return COMPARE_MIGRATIONS;
	if (strstr(s, "NEGATIVE"))
		return COMPARE_NEGATIVE;
	if (strstr(s, "NOT compared"))
		return COMPARE_ALL_SKIP_SOME;
	return COMPARE_ALL;
}

static bool is_under_migrations(const char *p)
{
	return strncmp(p, "migrations/", 11) == 0 || strstr(p, "/migrations/") != NULL;
}

/* Compare trees; on a difference write one line into why and return false. */
static bool compare_trees(const char *exp_root, const char *act_root, enum compare_mode mode,
			  char *why, size_t size)
{
	struct pathset e = { 0 }, a = { 0 };
	bool ok = true;

	walk(exp_root, "", &e);
	walk(act_root, "", &a);
	if (mode == COMPARE_MIGRATIONS) {
		/* Keep only migration files, with timestamps replaced by labels. */
		struct pathset *sets[2] = { &e, &a };
		for (int k = 0; k < 2; k++) {
			struct pathset f = { 0 };
			for (size_t i = 0; i < sets[k]->n; i++) {
				char norm[PATH_MAX];
				if (!is_under_migrations(sets[k]->paths[i]))
					continue;
				normalize_migration_path(sets[k]->paths[i], norm, sizeof(norm));
				pathset_add(&f, norm);
			}
			qsort(f.paths, f.n, sizeof(char *), cmp_str);
			pathset_free(sets[k]);
			*sets[k] = f;
		}
	}

	size_t i = 0, j = 0;
	while (ok && (i < e.n || j < a.n)) {
		int c = i >= e.n ? 1 : j >= a.n ? -1 : strcmp(e.paths[i], a.paths[j]);
		if (c < 0) {
			snprintf(why, size, "%s: missing", e.paths[i]);
			ok = false;
		} else if (c > 0) {
			snprintf(why, size, "%s: not expected", a.paths[j]);
			ok = false;
		} else {
			i++;
			j++;
		}
	}
	if (ok && mode != COMPARE_NEGATIVE) {
		for (size_t k = 0; ok && k < e.n; k++) {
			const char *p = e.paths[k];
			const char *base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
			char ep[PATH_MAX], ap[PATH_MAX];
			size_t el, al, sl1, sl2;

			if (mode == COMPARE_ALL_SKIP_SOME &&
			    (strcmp(base, "model.bal") == 0 ||
			     strcmp(base, "persist_db_scripts.sql") == 0))
				continue;
			if (mode == COMPARE_MIGRATIONS) {
				/* Map label paths back to the real directories. */
				struct pathset raw_e = { 0 }, raw_a = { 0 };
				walk(exp_root, "", &raw_e);
				walk(act_root, "", &raw_a);
				ep[0] = ap[0] = '\0';
				for (size_t q = 0; q < raw_e.n; q++) {
					char n[PATH_MAX];
					normalize_migration_path(raw_e.paths[q], n, sizeof(n));
					if (strcmp(n, p) == 0)
						snprintf(ep, sizeof(ep), "%s/%s", exp_root,
							 raw_e.paths[q]);
				}
				for (size_t q = 0; q < raw_a.n; q++) {
					char n[PATH_MAX];
					normalize_migration_path(raw_a.paths[q], n, sizeof(n));
					if (strcmp(n, p) == 0)
						snprintf(ap, sizeof(ap), "%s/%s", act_root,
							 raw_a.paths[q]);
				}
				pathset_free(&raw_e);
				pathset_free(&raw_a);
			} else {
				snprintf(ep, sizeof(ep), "%s/%s", exp_root, p);
				snprintf(ap, sizeof(ap), "%s/%s", act_root, p);
			}
			char *ec = slurp(ep, &el), *ac = slurp(ap, &al);
			if (!ec || !ac) {
				snprintf(why, size, "%s: unreadable", p);
				ok = false;
			} else {
				char *es = squeeze(ec, el, &sl1), *as = squeeze(ac, al, &sl2);
				if (sl1 != sl2 || memcmp(es, as, sl1) != 0) {
					snprintf(why, size, "%s:%u: content differs", p,
						 first_diff_line(ec, ac));
					ok = false;
				}
				free(es);
				free(as);
			}
			free(ec);
			free(ac);
		}
	}
	pathset_free(&e);
	pathset_free(&a);
	return ok;
}

/* Run one invocation; returns the exit status (or 128+signal). */
static int run_invocation(const char *project, const char *cmd, const json_t *argv_json,
			  const char *const *extra, const char *stdin_text, const char *log_path)
{
	const char *argv[128];
	size_t n = 0, idx;
	json_t *v;
	int status, in_pipe[2] = { -1, -1 };
	pid_t pid;

	argv[n++] = arg_persist;
	argv[n++] = "-C";
	argv[n++] = project;
	argv[n++] = cmd;
	argv[n++] = "--layout";
	argv[n++] = "directory";
	json_array_foreach(argv_json, idx, v) {
		const char *s = json_string_value(v);
		/* build cases record `bal build`; the command itself is enough here. */
		if (strcmp(cmd, "build") == 0 && (strcmp(s, "bal") == 0 || strcmp(s, "build") == 0))
			continue;
		if (n < 110)
			argv[n++] = s;
	}
	for (size_t k = 0; extra && extra[k] && n < 126; k++)
		argv[n++] = extra[k];
	argv[n] = NULL;

	if (stdin_text && pipe(in_pipe) < 0)
		return 99;
	pid = fork();
	if (pid < 0)
		return 99;
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		if (stdin_text) {
			dup2(in_pipe[0], STDIN_FILENO);
			close(in_pipe[0]);
			close(in_pipe[1]);
		} else {
			int nul = open("/dev/null", O_RDONLY);
			dup2(nul, STDIN_FILENO);
			close(nul);
		}
		execv(arg_persist, (char *const *)argv);
		_exit(127);
	}
	if (stdin_text) {
		close(in_pipe[0]);
		if (write(in_pipe[1], stdin_text, strlen(stdin_text)) < 0) {
			/* the command may not read its input at all */
		}
		close(in_pipe[1]);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 99;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The --datastore of a pull argv (upstream's default: mysql). */
static const char *pull_datastore(const json_t *argv_json)
{
	size_t idx;
	json_t *v;
	const char *prev = NULL;

	json_array_foreach(argv_json, idx, v) {
		const char *s = json_string_value(v);
		if (prev && strcmp(prev, "--datastore") == 0)
			return s;
		if (strncmp(s, "--datastore=", 12) == 0)
			return s + 12;
		prev = s;
	}
	return "mysql";
}

/* stdin with its first "PASSWORD" replaced by password (new). */
static char *with_password(const char *stdin_text, const char *password)
{
	const char *p = strstr(stdin_text, "PASSWORD");
	size_t n = strlen(stdin_text) + strlen(password) + 1;
	char *out = malloc(n);

	if (!out)
		abort();
	if (!p)
		snprintf(out, n, "%s", stdin_text);
	else
		snprintf(out, n, "%.*s%s%s", (int)(p - stdin_text), stdin_text, password, p + 8);
	return out;
}

static void run_case(const char *dir, const char *store, const char *name, const char *label,
		     struct tally *t)
{
	char path[PATH_MAX], tmp[] = "/tmp/persist-conformance.XXXXXX", project[PATH_MAX];
	char exp_dir[PATH_MAX], log_path[PATH_MAX], why[PATH_MAX + 128] = "";
	json_error_t err;
	json_t *c, *invs, *inv, *absent, *a;
	bool enabled = true, ok = true, expect_failure;
	enum compare_mode mode;
	size_t idx;
	int last = 0;
	struct pull_server srv;
	bool needs_server = false, loaded = false;

	snprintf(path, sizeof(path), "%s/case.json", dir);
	c = json_load_file(path, 0, &err);
	if (!c) {
		printf("FAIL %s: case.json: %s\n", label, err.text);
		t->failed++;
		return;
	}
	mode = compare_mode_of(c);
	invs = json_object_get(c, "invocations");
	if (json_array_size(invs) == 0) {
		/* A fixture upstream's tests never reference: nothing says how to run it. */
		t->skipped++;
		json_decref(c);
		return;
	}
	json_array_foreach(invs, idx, inv)
		if (!json_is_true(json_object_get(inv, "enabled")))
			enabled = false;

	/* pull invocations that read a password talk to a database */
	json_array_foreach(invs, idx, inv) {
		const char *ds;
		if (strcmp(json_string_value(json_object_get(inv, "cmd")), "pull") != 0 ||
		    !json_string_value(json_object_get(inv, "stdin")) || needs_server)
			continue;
		needs_server = true;
		ds = pull_datastore(json_object_get(inv, "argv"));
		if (!pull_server_get(ds, &srv)) {
			printf("SKIP %s: no %s server (tests/servers.sh)\n", label, ds);
			t->no_server++;
			json_decref(c);
			return;
		}
	}

	if (!mkdtemp(tmp)) {
		printf("FAIL %s: mkdtemp: %s\n", label, strerror(errno));
		t->failed++;
		json_decref(c);
		return;
	}
	snprintf(project, sizeof(project), "%s/project", tmp);
	snprintf(log_path, sizeof(log_path), "%s/output.log", tmp);
	snprintf(path, sizeof(path), "%s/input", dir);
	if (copy_tree(path, project) < 0) {
		snprintf(why, sizeof(why), "cannot copy input/");
		ok = false;
	}
	json_array_foreach(invs, idx, inv) {
		if (!ok)
			break;
		const char *stdin_text = json_string_value(json_object_get(inv, "stdin"));
		const char *extra[12] = { NULL };
		char *input = NULL;
		if (needs_server && stdin_text &&
		    strcmp(json_string_value(json_object_get(inv, "cmd")), "pull") == 0) {
			if (!loaded) {
				char script_path[PATH_MAX];
				size_t len;
				char *script;
				snprintf(script_path, sizeof(script_path), "%s/input/script.sql",
					 dir);
				script = slurp(script_path, &len);
				if (!script ||
				    pull_server_load(&srv, script, why, sizeof(why)) < 0) {
					if (!script)
						snprintf(why, sizeof(why), "no input/script.sql");
					ok = false;
					free(script);
					break;
				}
				free(script);
				loaded = true;
			}
			const char *conn[] = { "--host",     srv.host,	   "--port",
					       srv.port,     "--user",	   srv.user,
					       "--database", srv.database, "--password-stdin",
					       NULL };
			memcpy(extra, conn, sizeof(conn));
			input = with_password(stdin_text, srv.password);
		}
		last = run_invocation(project, json_string_value(json_object_get(inv, "cmd")),
				      json_object_get(inv, "argv"), extra,
				      input ? input : stdin_text, log_path);
		free(input);
		if (last >= 126) {
			snprintf(why, sizeof(why), "persist exited with status %d", last);
			ok = false;
		}
	}

	snprintf(exp_dir, sizeof(exp_dir), "%s/expected", dir);
	expect_failure = mode == COMPARE_NONE;
	if (ok && expect_failure) {
		if (last == 0) {
			snprintf(why, sizeof(why), "expected the command to fail, it succeeded");
			ok = false;
		}
	} else if (ok) {
		struct stat st;
		if (stat(exp_dir, &st) < 0) {
			snprintf(why, sizeof(why), "case has no expected/ tree");
			ok = false;
		} else {
			ok = compare_trees(exp_dir, project, mode, why, sizeof(why));
		}
	}
	absent = json_object_get(c, "absent");
	json_array_foreach(absent, idx, a) {
		char p[PATH_MAX];
		struct stat st;
		if (!ok)
			break;
		snprintf(p, sizeof(p), "%s/%s", project, json_string_value(a));
		if (lstat(p, &st) == 0) {
			snprintf(why, sizeof(why), "%s: should not exist", json_string_value(a));
			ok = false;
		}
	}

	if (loaded)
		pull_server_cleanup(&srv);
	if (!ok && strcmp(store, "mysql") == 0 && mariadb_difference(name)) {
		printf("KNOWN %s: %s (MariaDB: %s)\n", label, why, mariadb_difference(name));
		t->known++;
		if (!arg_keep)
			remove_tree(tmp);
		json_decref(c);
		return;
	}
	if (!ok)
		printf("FAIL %s%s: %s (output: %s)\n", label, enabled ? "" : " [disabled upstream]",
		       why, arg_keep ? log_path : "removed; rerun with --keep");
	if (enabled)
		ok ? t->passed++ : t->failed++;
	else
		ok ? t->disabled_passed++ : t->disabled_failed++;
	if (!arg_keep || ok)
		remove_tree(tmp);
	json_decref(c);
}

static int cmp_dirent_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dirs(const char *dir, struct pathset *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			pathset_add(out, de->d_name);
	closedir(d);
	qsort(out->paths, out->n, sizeof(char *), cmp_dirent_names);
}

int main(int argc, char **argv)
{
	const char *corpus = getenv("PERSIST_CONFORMANCE_DIR");
	const char *builddir = getenv("abs_top_builddir");
	char corpus_buf[PATH_MAX], persist_buf[PATH_MAX], cmd_dir[PATH_MAX];
	struct tally t = { 0 };
	struct pathset stores = { 0 };
	const char *command = NULL;
	int i, first_case = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--corpus") == 0 && i + 1 < argc)
			corpus = argv[++i];
		else if (strcmp(argv[i], "--persist") == 0 && i + 1 < argc)
			arg_persist = argv[++i];
		else if (strcmp(argv[i], "--keep") == 0)
			arg_keep = true;
		else if (strcmp(argv[i], "--stores") == 0 && i + 1 < argc)
			arg_stores = argv[++i];
		else if (!command)
			command = argv[i];
		else {
			first_case = i;
			break;
		}
	}
	if (!command) {
		fprintf(stderr, "usage: run-persist-tools [--corpus DIR] [--persist PATH] [--keep] "
				"[--stores A,B] COMMAND [CASE...]\n");
		return 2;
	}
	if (!arg_persist) {
		snprintf(persist_buf, sizeof(persist_buf), "%s/persist", builddir ? builddir : ".");
		arg_persist = persist_buf;
	}
	if (!corpus) {
		fprintf(stderr, "no corpus: set PERSIST_CONFORMANCE_DIR or --corpus\n");
		return 77;
	}
	snprintf(corpus_buf, sizeof(corpus_buf), "%s/persist-tools", corpus);
	snprintf(cmd_dir, sizeof(cmd_dir), "%s/%s", corpus_buf, command);
	if (access(cmd_dir, R_OK) != 0) {
		fprintf(stderr, "corpus %s not found, skipping\n", cmd_dir);
		return 77;
	}

	list_dirs(cmd_dir, &stores);
	for (size_t s = 0; s < stores.n; s++) {
		char store_dir[PATH_MAX];
		struct pathset cases = { 0 };

		if (!store_wanted(stores.paths[s]))
			continue;
		struct tally before = t;
		snprintf(store_dir, sizeof(store_dir), "%s/%s", cmd_dir, stores.paths[s]);
		list_dirs(store_dir, &cases);
		for (size_t k = 0; k < cases.n; k++) {
			char case_dir[PATH_MAX], label[PATH_MAX];
			bool wanted = first_case == 0;

			for (int q = first_case; q > 0 && q < argc; q++)
				if (strcmp(argv[q], cases.paths[k]) == 0)
					wanted = true;
			if (!wanted)
				continue;
			snprintf(case_dir, sizeof(case_dir), "%s/%s", store_dir, cases.paths[k]);
			snprintf(label, sizeof(label), "%s/%s/%s", command, stores.paths[s],
				 cases.paths[k]);
			run_case(case_dir, stores.paths[s], cases.paths[k], label, &t);
		}
		pathset_free(&cases);
		if (strcmp(command, "pull") == 0)
			printf("%s/%s: %u passed, %u failed%s%.0u%s%s%.0u%s\n", command,
			       stores.paths[s], t.passed - before.passed, t.failed - before.failed,
			       t.known > before.known ? ", " : "", t.known - before.known,
			       t.known > before.known ? " known MariaDB differences" : "",
			       t.no_server > before.no_server ? ", " : "",
			       t.no_server - before.no_server,
			       t.no_server > before.no_server ? " skipped (no server)" : "");
	}
	pathset_free(&stores);

	if (t.disabled_passed + t.disabled_failed > 0)
		printf("%s (disabled upstream, not counted): %u passed, %u failed\n", command,
		       t.disabled_passed, t.disabled_failed);
	if (t.skipped)
		printf("%s: %u unreferenced fixtures without invocations skipped\n", command,
		       t.skipped);
	if (t.known)
		printf("%s: %u MySQL cases differ on MariaDB for the reasons listed, not counted\n",
		       command, t.known);
	if (t.no_server)
		printf("%s: %u cases skipped without their database server\n", command,
		       t.no_server);
	printf("%s: %u passed, %u failed\n", command, t.passed, t.failed);
	return t.failed ? 1 : 0;
}
