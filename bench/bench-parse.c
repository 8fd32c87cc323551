/* Parse + validate speed: a generated 10-entity and 200-entity model, and every model file of
 * the upstream corpus ($PERSIST_CONFORMANCE_DIR/persist-tools, or the files and directories
 * given as arguments). Prints microseconds of CPU time per model (the process clock, so a
 * busy machine skews it less, best of five rounds); never part of `make check`.
 *   bench-parse [-n iterations] [path...] */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/diagnostic.h"
#include "models/validate.h"

struct text {
	char *data;
	size_t len;
};

static struct text *texts;
static size_t n_texts, alloc_texts;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* A model shaped like real ones: keys, plain fields of every type, annotations, an enum, and
 * a 1-n relation from each entity to the next. */
static int make_model(unsigned n, struct buf *out)
{
	int r = buf_adds(out,
			 "import ballerina/persist as _;\n"
			 "import ballerina/time;\n"
			 "import ballerinax/persist.sql;\n\n"
			 "public enum Status {\n    ACTIVE,\n    INACTIVE = \"inactive\"\n}\n\n");

	for (unsigned i = 0; i < n && r >= 0; i++) {
		r = buf_addf(out,
			     "# Entity number %u\n"
			     "@sql:Name {value: \"table_%u\"}\n"
			     "public type Entity%u record {|\n"
			     "    @sql:Generated\n"
			     "    readonly int id;\n"
			     "    @sql:Varchar {length: 64}\n"
			     "    @sql:Index {name: [\"by_name_%u\"]}\n"
			     "    string name;\n"
			     "    string? description;\n"
			     "    @sql:Decimal {precision: [10, 2]}\n"
			     "    decimal price;\n"
			     "    float weight;\n"
			     "    boolean active;\n"
			     "    time:Civil createdAt;\n"
			     "    Status status;\n"
			     "    byte[] photo;\n",
			     i, i, i, i);
		if (r >= 0 && i + 1 < n)
			r = buf_addf(out, "    Entity%u[] children;\n", i + 1);
		if (r >= 0 && i > 0)
			r = buf_addf(out, "    Entity%u parent;\n", i - 1);
		if (r >= 0)
			r = buf_adds(out, "|};\n\n");
	}
	return r;
}

/* Best of five rounds: on a shared machine the fastest round is the one least disturbed. */
static double bench(const char *label, const struct text *t, size_t count, unsigned iterations,
		    const char *datastore)
{
	double best = 0;
	size_t errors = 0;

	for (unsigned round = 0; round < 5; round++) {
		double start = now_us(), elapsed;
		for (unsigned it = 0; it < iterations; it++)
			for (size_t i = 0; i < count; i++) {
				struct diag_list d = DIAG_LIST_INIT;
				int r = model_check(t[i].data, t[i].len, "bench.bal", datastore, 0,
						    NULL, &d);
				if (r < 0 && r != -EBADMSG)
					errors++;
				diag_list_release(&d);
			}
		elapsed = (now_us() - start) / ((double)iterations * (double)count);
		if (round == 0 || elapsed < best)
			best = elapsed;
	}
	printf("%-34s %6zu model(s) %9.2f us/model (best of 5)%s\n", label, count, best,
	       errors ? "  (failures!)" : "");
	return best;
}

static void add_text(char *data, size_t len)
{
	if (n_texts == alloc_texts) {
		size_t na = alloc_texts ? alloc_texts * 2 : 64;
		struct text *nt = realloc(texts, na * sizeof(*nt));
		if (!nt) {
			free(data);
			return;
		}
		texts = nt;
		alloc_texts = na;
	}
	texts[n_texts++] = (struct text){ data, len };
}

static void collect(const char *path, int depth)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (depth > 12 || stat(path, &st) < 0)
		return;
	if (S_ISREG(st.st_mode)) {
		struct buf b = BUF_INIT(1 << 20);
		/* only the models: files under an input/persist/ directory, or given directly */
		if (!endswith(path, ".bal") || (depth > 0 && !strstr(path, "/input/persist/")))
			return;
		if (read_file_capped(path, 1 << 20, &b) >= 0) {
			size_t len = b.len;
			char *data = buf_detach(&b, NULL);
			if (data)
				add_text(data, len);
		}
		buf_release(&b);
		return;
	}
	if (!S_ISDIR(st.st_mode) || !(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) < (int)sizeof(sub))
			collect(sub, depth + 1);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	struct buf small = BUF_INIT(1 << 24), large = BUF_INIT(1 << 24);
	unsigned iterations = 2000;
	int first = 1;
	struct text t;

	if (argc > 2 && streq(argv[1], "-n")) {
		if (safe_atou(argv[2], &iterations) < 0 || iterations == 0) {
			fprintf(stderr, "bench-parse: bad -n\n");
			return 2;
		}
		first = 3;
	}
	if (make_model(10, &small) < 0 || make_model(200, &large) < 0) {
		fprintf(stderr, "bench-parse: out of memory\n");
		return 1;
	}
	t = (struct text){ small.buf, small.len };
	bench("10 entities, mysql", &t, 1, iterations, "mysql");
	bench("10 entities, no datastore", &t, 1, iterations, NULL);
	t = (struct text){ large.buf, large.len };
	bench("200 entities, mysql", &t, 1, iterations / 20 + 1, "mysql");

	if (argc > first) {
		for (int i = first; i < argc; i++)
			collect(argv[i], 0);
	} else if (getenv("PERSIST_CONFORMANCE_DIR")) {
		char root[PATH_MAX];
		if (snprintf(root, sizeof(root), "%s/persist-tools",
			     getenv("PERSIST_CONFORMANCE_DIR")) < (int)sizeof(root))
			collect(root, 1);
	}
	if (n_texts > 0)
		bench("corpus models, no datastore", texts, n_texts, iterations / 20 + 1, NULL);
	else
		printf("corpus models: none (set PERSIST_CONFORMANCE_DIR or pass paths)\n");
	for (size_t i = 0; i < n_texts; i++)
		free(texts[i].data);
	free(texts);
	buf_release(&small);
	buf_release(&large);
	return 0;
}
