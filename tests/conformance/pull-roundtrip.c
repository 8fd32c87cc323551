/* The pull round trip: every model file of the upstream corpus that validates for PostgreSQL
 * or MySQL goes through generate's DDL (models/gen.h) into a fresh database on the test
 * servers, comes back through `persist pull`'s introspection (connectors/pull.h,
 * models/introspect.h), is validated again and generates its DDL again. The two scripts must
 * be the same up to what upstream's pull also loses or adds (losses[] below, each with its
 * reason); any other difference fails the model.
 *
 *   run-pull-roundtrip [--corpus DIR] [--stores postgresql,mysql] [--verbose]
 *
 * Prints one line per failing model and `pull-roundtrip/<store>: N passed, N failed`. Skips
 * (77) without the corpus or without any server. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/sha256.h"
#include "connectors/connector.h"
#include "connectors/pull.h"
#include "models/ast.h"
#include "models/gen-project.h"
#include "models/gen.h"
#include "models/introspect.h"
#include "models/project-config.h"
#include "tests/conformance/pull-db.h"

static bool arg_verbose;

struct model_path {
	char dir[PATH_MAX]; /* the case's input/ */
	char rel[PATH_MAX]; /* persist/... */
};

static struct model_path *models;
static size_t n_models, alloc_models;
static char (*seen)[65];
static size_t n_seen;

static void add_model(const char *dir, const char *rel)
{
	char path[PATH_MAX * 2], hex[65];
	struct buf text = BUF_INIT(1 << 20);

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (read_file_capped(path, 1 << 20, &text) < 0)
		return;
	sha256_hex(text.buf, text.len, hex);
	buf_release(&text);
	for (size_t i = 0; i < n_seen; i++)
		if (strcmp(seen[i], hex) == 0)
			return;
	seen = realloc(seen, (n_seen + 1) * sizeof(*seen));
	if (n_models == alloc_models) {
		alloc_models = alloc_models ? alloc_models * 2 : 64;
		models = realloc(models, alloc_models * sizeof(*models));
	}
	if (!seen || !models)
		abort();
	memcpy(seen[n_seen++], hex, 65);
	snprintf(models[n_models].dir, PATH_MAX, "%s", dir);
	snprintf(models[n_models].rel, PATH_MAX, "%s", rel);
	n_models++;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of dir (new array of new strings). */
static char **list(const char *dir, size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		v = realloc(v, (n + 1) * sizeof(char *));
		if (!v)
			abort();
		v[n++] = strdup(de->d_name);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(v, n, sizeof(char *), cmp_name);
	*ret_n = n;
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Every persist/<m>.bal and persist/<m>/model.bal of every case's input/. */
static void collect(const char *corpus)
{
	char root[PATH_MAX];
	size_t nc;
	char **cmds;

	snprintf(root, sizeof(root), "%s/persist-tools", corpus);
	cmds = list(root, &nc);
	for (size_t a = 0; a < nc; a++) {
		char d1[PATH_MAX * 2];
		size_t ns;
		snprintf(d1, sizeof(d1), "%s/%s", root, cmds[a]);
		char **stores = list(d1, &ns);
		for (size_t b = 0; b < ns; b++) {
			char d2[PATH_MAX * 3];
			size_t ncase;
			snprintf(d2, sizeof(d2), "%s/%s", d1, stores[b]);
			char **cases = list(d2, &ncase);
			for (size_t c = 0; c < ncase; c++) {
				char input[PATH_MAX * 4], persist[PATH_MAX * 5];
				size_t nf;
				snprintf(input, sizeof(input), "%s/%s/input", d2, cases[c]);
				snprintf(persist, sizeof(persist), "%s/persist", input);
				char **files = list(persist, &nf);
				for (size_t f = 0; f < nf; f++) {
					char rel[PATH_MAX], sub[PATH_MAX * 6];
					size_t len = strlen(files[f]);
					snprintf(sub, sizeof(sub), "%s/%s", persist, files[f]);
					if (len > 4 && strcmp(files[f] + len - 4, ".bal") == 0 &&
					    !is_dir(sub)) {
						snprintf(rel, sizeof(rel), "persist/%s", files[f]);
						add_model(input, rel);
					} else if (is_dir(sub) &&
						   strcmp(files[f], "migrations") != 0) {
						snprintf(rel, sizeof(rel), "persist/%s/model.bal",
							 files[f]);
						snprintf(sub, sizeof(sub), "%s/%s", input, rel);
						if (access(sub, R_OK) == 0)
							add_model(input, rel);
					}
				}
				free_list(files, nf);
			}
			free_list(cases, ncase);
		}
		free_list(stores, ns);
	}
	free_list(cmds, nc);
}

/* The statements of a script without its comment lines, one per line, with one known loss
 * normalised away: a 1-1 relation's UNIQUE constraint (inline or a UNIQUE (...) line) comes
 * back from the database as a unique index, which pull writes as @sql:UniqueIndex and generate
 * then writes as CREATE UNIQUE INDEX (introspection.md §4.4), so neither form is compared. */
static void statements(const char *script, struct buf *out)
{
	for (const char *p = script; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[4096];
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + (nl ? 1 : 0);
		if (!*line || strncmp(line, "--", 2) == 0 || strstr(line, "CREATE UNIQUE INDEX") ||
		    strncmp(line, "\tUNIQUE (", 8) == 0)
			continue;
		char *u = strstr(line, " UNIQUE NOT NULL");
		if (u)
			memmove(u, u + 7, strlen(u + 7) + 1);
		(void)!buf_adds(out, line), (void)!buf_addc(out, '\n');
	}
}

/* Lines of a that b lacks (one per line in out). */
static void missing_lines(const char *a, const char *b, struct buf *out)
{
	for (const char *p = a; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		bool found = false;
		for (const char *q = b; *q && !found;) {
			const char *nq = strchr(q, '\n');
			size_t lq = nq ? (size_t)(nq - q) : strlen(q);
			if (lq == len && memcmp(p, q, len) == 0)
				found = true;
			q += lq + (nq ? 1 : 0);
		}
		if (!found)
			(void)!buf_add(out, p, len), (void)!buf_addc(out, '\n');
		p += len + (nl ? 1 : 0);
	}
}

/* A difference pull is known to make, as upstream's does. */
struct loss {
	const char *store; /* NULL: both */
	const char *pattern; /* text the differing line contains */
	bool added; /* the line is only in the round trip's script */
	const char *reason;
};

static const struct loss losses[] = {
	{ "mysql", "CREATE INDEX ", true,
	  "MySQL and MariaDB index every foreign key, and pull reports that index as "
	  "@sql:Index (introspection.md §4.4)" },
	{ NULL, NULL, false, NULL },
};

static const struct loss *known_loss(const char *store, const char *line, bool added)
{
	for (size_t i = 0; losses[i].pattern; i++)
		if ((!losses[i].store || strcmp(losses[i].store, store) == 0) &&
		    losses[i].added == added && strstr(line, losses[i].pattern))
			return &losses[i];
	return NULL;
}

/* Every line of diff is a known loss; otherwise the first one that is not goes to why. */
static bool all_known(const char *store, const char *diff, bool added, char *why, size_t size)
{
	for (const char *p = diff; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if (!known_loss(store, line, added)) {
			snprintf(why, size, "%s: %s", added ? "gained" : "lost", line);
			return false;
		}
		p += len + (nl ? 1 : 0);
	}
	return true;
}

static bool round_trip(const struct pull_server *srv, enum datastore d, const struct model_path *m,
		       bool *ret_skipped, char *why, size_t size)
{
	struct model_file *mf = NULL, *mf2 = NULL;
	struct buf ddl1 = BUF_INIT(16 << 20), ddl2 = BUF_INIT(16 << 20), load = BUF_INIT(16 << 20);
	struct buf pulled = BUF_INIT(16 << 20), msgs = BUF_INIT(16 << 20);
	struct buf s1 = BUF_INIT(16 << 20), s2 = BUF_INIT(16 << 20);
	struct buf lost = BUF_INIT(16 << 20), gained = BUF_INIT(16 << 20);
	struct connection_settings cs = { 0 };
	struct db_catalog *cat = NULL;
	struct pd_error e = { 0 };
	char tmp[] = "/tmp/pull-roundtrip.XXXXXX", err[2048];
	bool ok = false, empty = false;
	int r;

	*ret_skipped = false;
	r = gen_project_load_model(m->dir, m->rel, "model.bal", d, &mf, NULL, &empty, &e);
	if (r < 0 || mf->n_entities == 0) {
		*ret_skipped = true; /* not a valid model for this store */
		goto out;
	}
	for (size_t i = 0; i < mf->n_entities; i++)
		if (mf->entities[i]->unsupported) {
			*ret_skipped = true;
			goto out;
		}
	if (gen_sql_script(mf, d, "model", &ddl1) < 0) {
		snprintf(why, size, "generate's script.sql failed");
		goto out;
	}
	/* pull-db.c's loader skips 15 lines and joins the rest without line breaks */
	for (int i = 0; i < 15; i++)
		(void)!buf_addc(&load, '\n');
	if (d == DATASTORE_MYSQL)
		(void)!buf_adds(&load, "DROP DATABASE IF EXISTS persist; CREATE DATABASE persist; "
				       "USE persist; ");
	for (const char *p = ddl1.buf; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (strncmp(p, "--", 2) != 0)
			(void)!buf_add(&load, p, len), (void)!buf_addc(&load, ' ');
		p += len + (nl ? 1 : 0);
	}
	if (pull_server_load(srv, load.buf, why, size) < 0) {
		/* generate's own script does not apply on this server: nothing to pull */
		*ret_skipped = strncmp(why, "script.sql:", 11) == 0;
		goto out;
	}
	why[0] = '\0';

	cs.host = (char *)srv->host;
	cs.port = strtol(srv->port, NULL, 10);
	cs.user = (char *)srv->user;
	cs.password = (char *)srv->password;
	cs.database = (char *)srv->database;
	r = pull_read_catalog(srv->datastore, &cs, 10 * USEC_PER_SEC, &cat, err, sizeof(err));
	if (r < 0) {
		snprintf(why, size, "pull: %s", err);
		goto out;
	}
	r = introspect_model(cat, NULL, &pulled, &msgs, NULL, &e);
	if (r < 0) {
		snprintf(why, size, "pull: %s", e.text);
		goto out;
	}
	if (!mkdtemp(tmp))
		goto out;
	if (pull_write_model(tmp, "persist/model.bal", pulled.buf, pulled.len) < 0)
		goto out;
	r = gen_project_load_model(tmp, "persist/model.bal", "model.bal", d, &mf2, NULL, &empty,
				   &e);
	if (r < 0 && strstr(e.text, "redeclared symbol")) {
		/* one enum per column: a type shared by several columns comes back as several
		 * enums with the same members, which clash (introspection.md §4.7) */
		snprintf(why, size,
			 "known: an enum shared by several columns comes back as one "
			 "enum per column, whose members clash");
		ok = true;
		goto out;
	}
	if (r < 0) {
		snprintf(why, size, "the pulled model does not validate: %s", e.text);
		goto out;
	}
	if (gen_sql_script(mf2, d, "model", &ddl2) < 0) {
		snprintf(why, size, "generate's script.sql of the pulled model failed");
		goto out;
	}
	statements(ddl1.buf, &s1);
	statements(ddl2.buf, &s2);
	missing_lines(s1.buf, s2.buf, &lost);
	missing_lines(s2.buf, s1.buf, &gained);
	ok = all_known(srv->datastore, lost.buf, false, why, size) &&
	     all_known(srv->datastore, gained.buf, true, why, size);
	if (!ok && arg_verbose)
		fprintf(stderr, "--- %s/%s\n%s--- pulled\n%s--- again\n%s", m->dir, m->rel,
			ddl1.buf, pulled.buf, ddl2.buf);
out:
	if (tmp[sizeof(tmp) - 7] != 'X') {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/persist/model.bal", tmp);
		(void)unlink(p);
		snprintf(p, sizeof(p), "%s/persist", tmp);
		(void)rmdir(p);
		(void)rmdir(tmp);
	}
	model_file_free(mf);
	model_file_free(mf2);
	db_catalog_free(cat);
	buf_release(&ddl1);
	buf_release(&ddl2);
	buf_release(&load);
	buf_release(&pulled);
	buf_release(&msgs);
	buf_release(&s1);
	buf_release(&s2);
	buf_release(&lost);
	buf_release(&gained);
	return ok;
}

int main(int argc, char **argv)
{
	const char *corpus = getenv("PERSIST_CONFORMANCE_DIR");
	const char *stores = "postgresql,mysql";
	unsigned total_failed = 0, total_run = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--corpus") == 0 && i + 1 < argc)
			corpus = argv[++i];
		else if (strcmp(argv[i], "--stores") == 0 && i + 1 < argc)
			stores = argv[++i];
		else if (strcmp(argv[i], "--verbose") == 0)
			arg_verbose = true;
		else {
			fprintf(stderr, "usage: run-pull-roundtrip [--corpus DIR] [--stores A,B] "
					"[--verbose]\n");
			return 2;
		}
	}
	if (!corpus || !is_dir(corpus)) {
		fprintf(stderr, "no corpus: set PERSIST_CONFORMANCE_DIR or --corpus\n");
		return 77;
	}
	collect(corpus);
	if (connector_global_init() < 0)
		return 99;
	for (int k = 0; k < 2; k++) {
		const char *name = k == 0 ? "postgresql" : "mysql";
		enum datastore d = k == 0 ? DATASTORE_POSTGRESQL : DATASTORE_MYSQL;
		struct pull_server srv;
		unsigned passed = 0, failed = 0, skipped = 0;

		if (!strstr(stores, name))
			continue;
		if (!pull_server_get(name, &srv)) {
			printf("pull-roundtrip/%s: no server, skipped\n", name);
			continue;
		}
		for (size_t i = 0; i < n_models; i++) {
			char why[4096] = "";
			bool skip;
			if (round_trip(&srv, d, &models[i], &skip, why, sizeof(why))) {
				passed++;
				if (*why)
					printf("KNOWN pull-roundtrip/%s %s/%s: %s\n", name,
					       models[i].dir, models[i].rel, why);
			} else if (skip) {
				skipped++;
				if (*why)
					printf("SKIP pull-roundtrip/%s %s/%s: %s\n", name,
					       models[i].dir, models[i].rel, why);
			} else {
				failed++;
				printf("FAIL pull-roundtrip/%s %s/%s: %s\n", name, models[i].dir,
				       models[i].rel, why);
			}
		}
		pull_server_cleanup(&srv);
		printf("pull-roundtrip/%s: %u passed, %u failed (%u models not valid for %s or "
		       "whose script does not apply)\n",
		       name, passed, failed, skipped, name);
		total_failed += failed;
		total_run += passed + failed;
	}
	printf("known difference (both): a 1-1 relation's UNIQUE constraint comes back as a "
	       "unique index (@sql:UniqueIndex)\n");
	for (size_t i = 0; losses[i].pattern; i++)
		printf("known difference (%s): %s\n", losses[i].store ? losses[i].store : "both",
		       losses[i].reason);
	connector_global_cleanup();
	free(models);
	free(seen);
	if (total_run == 0)
		return 77;
	return total_failed ? 1 : 0;
}
