/* Every model file of the upstream persist-tools corpus
 * ($PERSIST_CONFORMANCE_DIR/persist-tools/<command>/<datastore>/<case>/input/persist/) must
 * parse. For generate cases the validator must also agree with upstream's outcome: a negative
 * case whose expected tree holds no generated client has errors, and a case whose expected tree
 * holds one validates without errors against the --datastore of its invocation. Skips (77)
 * when the corpus is missing. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/diagnostic.h"
#include "models/validate.h"

static unsigned n_passed, n_failed;

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether a file named name exists anywhere below dir. */
static bool tree_has_file(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char sub[PATH_MAX];
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (streq(de->d_name, name))
			found = true;
		else if (is_dir(sub))
			found = tree_has_file(sub, name);
	}
	closedir(d);
	return found;
}

/* The --datastore of the invocation that acts on model `name` ("model" = the default model),
 * NULL when none does. */
static const char *invocation_datastore(json_t *c, const char *name)
{
	json_t *invs = json_object_get(c, "invocations"), *inv;
	size_t i;

	json_array_foreach(invs, i, inv) {
		json_t *argv = json_object_get(inv, "argv");
		const char *ds = NULL, *model = "model";
		for (size_t k = 0; k + 1 < json_array_size(argv); k++) {
			const char *a = json_string_value(json_array_get(argv, k));
			const char *b = json_string_value(json_array_get(argv, k + 1));
			if (!a || !b)
				continue;
			if (streq(a, "--datastore"))
				ds = b;
			else if (streq(a, "--model"))
				model = b;
		}
		if (ds && streq(model, name))
			return ds;
	}
	return NULL;
}

enum expect {
	EXPECT_PARSE,
	EXPECT_VALID,
	EXPECT_ERRORS,
};

static void check_model(const char *path, const char *model_name, const char *command, json_t *c,
			bool generated)
{
	struct buf text = BUF_INIT(16 << 20);
	struct diag_list diags = DIAG_LIST_INIT;
	enum expect expect = EXPECT_PARSE;
	const char *ds = NULL;
	bool ok;
	int r;

	if (c && streq(command, "generate")) {
		bool negative = json_is_true(json_object_get(c, "negative"));
		ds = invocation_datastore(c, model_name);
		if (ds && !model_datastore_known(ds))
			ds = NULL;
		if (ds && generated)
			expect = EXPECT_VALID;
		else if (ds && negative)
			expect = EXPECT_ERRORS;
	}
	r = read_file_capped(path, 16 << 20, &text);
	if (r < 0) {
		printf("FAIL %s: cannot read: %s\n", path, strerror(-r));
		n_failed++;
		return;
	}
	r = model_check(text.buf, text.len, path, expect == EXPECT_PARSE ? NULL : ds, 0, NULL,
			&diags);
	buf_release(&text);
	if (r == -ENOMEM) {
		printf("FAIL %s: out of memory\n", path);
		n_failed++;
		diag_list_release(&diags);
		return;
	}
	switch (expect) {
	case EXPECT_PARSE:
		ok = r == 0;
		break;
	case EXPECT_VALID:
		ok = r == 0 && diags.n_errors == 0;
		break;
	default:
		ok = diags.n_errors > 0;
		break;
	}
	if (ok) {
		n_passed++;
	} else {
		struct buf out = BUF_INIT(1 << 20);
		n_failed++;
		printf("FAIL %s (%s%s%s)\n", path,
		       expect == EXPECT_PARSE	? "should parse"
		       : expect == EXPECT_VALID ? "should be valid with "
						: "should have errors with ",
		       expect == EXPECT_PARSE ? "" : ds, "");
		if (diag_list_format_text(&diags, &out) >= 0)
			fputs(out.buf, stdout);
		buf_release(&out);
	}
	diag_list_release(&diags);
}

/* persist/<name>.bal and persist/<name>/model.bal; other .bal files deeper down are parsed
 * too but not validated. */
static void walk_persist(const char *dir, const char *command, json_t *c, bool generated, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char sub[PATH_MAX], name[NAME_MAX + 1];
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (is_dir(sub)) {
			if (depth < 3)
				walk_persist(sub, command, c, generated, depth + 1);
			continue;
		}
		if (n < 5 || !endswith(de->d_name, ".bal"))
			continue;
		if (depth == 0) {
			(void)snprintf(name, sizeof(name), "%.*s", (int)(n - 4), de->d_name);
		} else if (depth == 1 && streq(de->d_name, "model.bal")) {
			const char *slash = strrchr(dir, '/');
			(void)snprintf(name, sizeof(name), "%s", slash ? slash + 1 : dir);
		} else {
			name[0] = '\0';
		}
		check_model(sub, name, command, name[0] ? c : NULL, generated);
	}
	closedir(d);
}

static void walk_cases(const char *dir, const char *command, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (!is_dir(sub))
			continue;
		if (depth == 0) {
			walk_cases(sub, de->d_name, 1); /* <command> */
		} else if (depth == 1) {
			walk_cases(sub, command, 2); /* <datastore> */
		} else {
			char path[PATH_MAX + 64];
			json_t *c;
			bool generated;
			(void)snprintf(path, sizeof(path), "%s/case.json", sub);
			c = json_load_file(path, 0, NULL);
			(void)snprintf(path, sizeof(path), "%s/expected", sub);
			generated = tree_has_file(path, "persist_client.bal");
			(void)snprintf(path, sizeof(path), "%s/input/persist", sub);
			walk_persist(path, command, c, generated, 0);
			json_decref(c);
		}
	}
	closedir(d);
}

int main(void)
{
	const char *base = getenv("PERSIST_CONFORMANCE_DIR");
	char root[PATH_MAX];

	if (!base || !*base) {
		printf("PERSIST_CONFORMANCE_DIR not set, skipping\n");
		return 77;
	}
	(void)snprintf(root, sizeof(root), "%s/persist-tools", base);
	if (!is_dir(root)) {
		printf("%s not found, skipping\n", root);
		return 77;
	}
	walk_cases(root, NULL, 0);
	printf("%u passed, %u failed\n", n_passed, n_failed);
	if (n_passed + n_failed == 0)
		return 77;
	return n_failed ? 1 : 0;
}
