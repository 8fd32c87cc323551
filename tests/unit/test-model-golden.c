/* Data-driven validator cases, one directory each:
 *   tests/golden/model/valid/<case>/input.bal    validates without errors (an `expected` file,
 *                                                 when present, pins the warnings)
 *   tests/golden/model/invalid/<case>/input.bal  gives exactly the diagnostics in `expected`
 * An optional `datastore` file names the datastore to validate against (none: no binding).
 * Every diagnostic code must appear in some invalid case. UPDATE_GOLDEN=1 rewrites the
 * expected files of invalid cases (review them before committing). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "models/diagnostic.h"
#include "models/validate.h"

static const char *const all_codes[] = {
	"PERSIST_101",		"PERSIST_102",	       "PERSIST_201",
	"PERSIST_202",		"PERSIST_301",	       "PERSIST_302",
	"PERSIST_303",		"PERSIST_304",	       "PERSIST_305",
	"PERSIST_306",		"PERSIST_307",	       "PERSIST_308",
	"PERSIST_309",		"PERSIST_401",	       "PERSIST_402",
	"PERSIST_403",		"PERSIST_404",	       "PERSIST_405",
	"PERSIST_406",		"PERSIST_420",	       "PERSIST_422",
	"PERSIST_423",		"PERSIST_424",	       "PERSIST_426",
	"PERSIST_427",		"PERSIST_428",	       "PERSIST_429",
	"PERSIST_430",		"PERSIST_501",	       "PERSIST_502",
	"PERSIST_503",		"PERSIST_600",	       "PERSIST_601",
	"PERSIST_602",		"PERSIST_604",	       "PERSIST_605",
	"PERSIST_606",		"PERSIST_607",	       "PERSIST_608",
	"PERSIST_609",		"PERSIST_610",	       "PERSIST_611",
	"PERSIST_612",		"PERSIST_613",	       "PERSIST_614",
	"PERSIST_615",		"PERSIST_616",	       "PERSIST_617",
	"PERSIST_618",		"PERSIST_619",	       "PERSIST_620",
	"PERSIST_621",		"PERSIST_622",	       "PERSIST_623",
	"PERSIST_624",		"PERSIST_625",	       DIAG_SYNTAX,
	DIAG_UNDEFINED_TYPE,	DIAG_UNDEFINED_MODULE, DIAG_UNSUPPORTED_MODULE,
	DIAG_UNUSED_IMPORT,	DIAG_REDECLARED,       DIAG_UNDEFINED_ANNOTATION,
	DIAG_ANNOTATION_PLACE,	DIAG_ANNOTATION_VALUE, DIAG_ENUM_VALUE,
	DIAG_NO_PERSIST_IMPORT, DIAG_NO_ENTITY,	       DIAG_UNSUPPORTED_TYPE,
};

static bool seen[sizeof(all_codes) / sizeof(all_codes[0])];
static unsigned n_passed, n_failed;

static int read_text(const char *dir, const char *name, struct buf *out)
{
	char path[PATH_MAX + 64];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return read_file_capped(path, 1 << 20, out);
}

static void run_case(const char *dir, const char *name, bool valid)
{
	struct buf input = BUF_INIT(1 << 20), ds = BUF_INIT(256), expected = BUF_INIT(1 << 20);
	struct buf got = BUF_INIT(1 << 20);
	struct diag_list diags = DIAG_LIST_INIT;
	bool has_expected, ok;
	int r;

	if (read_text(dir, "input.bal", &input) < 0) {
		printf("FAIL %s: no input.bal\n", name);
		n_failed++;
		return;
	}
	if (read_text(dir, "datastore", &ds) >= 0)
		while (ds.len > 0 && (ds.buf[ds.len - 1] == '\n' || ds.buf[ds.len - 1] == ' '))
			buf_truncate(&ds, ds.len - 1);
	has_expected = read_text(dir, "expected", &expected) >= 0;

	r = model_check(input.buf, input.len, "input.bal", ds.len ? ds.buf : NULL, 0, NULL, &diags);
	if (r < 0 && r != -EBADMSG && r != -EMSGSIZE) {
		printf("FAIL %s: %s\n", name, strerror(-r));
		n_failed++;
		goto out;
	}
	if (diag_list_format_text(&diags, &got) < 0) {
		printf("FAIL %s: cannot format\n", name);
		n_failed++;
		goto out;
	}
	for (size_t i = 0; i < diags.n; i++)
		for (size_t k = 0; k < sizeof(all_codes) / sizeof(all_codes[0]); k++)
			if (!valid && streq(diags.items[i].code, all_codes[k]))
				seen[k] = true;
	if (!valid && getenv("UPDATE_GOLDEN")) {
		char path[PATH_MAX + 64];
		if (snprintf(path, sizeof(path), "%s/expected", dir) >= (int)sizeof(path) ||
		    write_file_atomic(path, got.buf, got.len, 0644, true) < 0)
			printf("cannot write %s\n", path);
		buf_reset(&expected);
		if (buf_add(&expected, got.buf, got.len) < 0)
			goto out;
		has_expected = true;
	}
	if (valid)
		ok = diags.n_errors == 0 && (!has_expected || streq(expected.buf, got.buf));
	else
		ok = diags.n_errors > 0 && has_expected && streq(expected.buf, got.buf);
	if (ok) {
		n_passed++;
	} else {
		n_failed++;
		printf("FAIL %s/%s\n--- expected\n%s--- got\n%s", valid ? "valid" : "invalid", name,
		       has_expected ? expected.buf : "(no expected file)\n", got.buf);
	}
out:
	diag_list_release(&diags);
	buf_release(&input);
	buf_release(&ds);
	buf_release(&expected);
	buf_release(&got);
}

static int run_dir(const char *root, const char *kind)
{
	char dir[PATH_MAX];
	struct dirent **names;
	int n;

	(void)snprintf(dir, sizeof(dir), "%s/%s", root, kind);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		char sub[PATH_MAX + NAME_MAX + 2];
		if (names[i]->d_name[0] != '.') {
			if (snprintf(sub, sizeof(sub), "%s/%s", dir, names[i]->d_name) <
			    (int)sizeof(sub))
				run_case(sub, names[i]->d_name, streq(kind, "valid"));
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

int main(void)
{
	const char *top = getenv("top_srcdir");
	char root[PATH_MAX];
	unsigned missing = 0;

	(void)snprintf(root, sizeof(root), "%s/tests/golden/model", top ? top : ".");
	if (run_dir(root, "valid") < 0 || run_dir(root, "invalid") < 0) {
		printf("cannot read %s\n", root);
		return 99;
	}
	for (size_t k = 0; k < sizeof(all_codes) / sizeof(all_codes[0]); k++)
		if (!seen[k]) {
			printf("no invalid case produces %s\n", all_codes[k]);
			missing++;
		}
	printf("%u passed, %u failed\n", n_passed, n_failed);
	return n_failed || missing ? 1 : 0;
}
