#include "config.h"

#include <errno.h>
#include <setjmp.h>
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

#include "base/alloc.h"
#include "models/model-set.h"

static char root[64];
static const struct model_set_limits limits = { 1000, 1 << 20 };

#define VALID_MODEL                          \
	"import ballerina/persist as _;\n\n" \
	"public type User record {|\n"       \
	"    readonly int id;\n"             \
	"    string name;\n"                 \
	"|};\n"

static void write_text(const char *rel, const char *text)
{
	char p[256];
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *bind_users_to_mysql(const char *path, void *userdata)
{
	(void)userdata;
	return strcmp(path, "persist/users.bal") == 0 ? "mysql" : NULL;
}

static int setup(void **state)
{
	char p[128];
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test-model-set.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(p, sizeof(p), "%s/persist", root);
	mkdir(p, 0755);
	write_text("persist/users.bal", VALID_MODEL);
	write_text("persist/empty.bal", "import ballerina/persist as _;\n");
	write_text("persist/bad.bal", "import ballerina/persist as _;\npublic type X record {|\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct model_change *find_change(const struct model_change *c, size_t n,
					      const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	return NULL;
}

static void test_build_and_statuses(void **state)
{
	struct model_set *s = NULL;
	struct model_change *c = NULL;
	size_t n = 0;
	struct model_state *m;
	(void)state;

	assert_int_equal(model_set_build(root, NULL, NULL, 0, true, bind_users_to_mysql, NULL,
					 &limits, &s, &c, &n),
			 0);
	assert_int_equal(s->n, 3);
	assert_int_equal(n, 3);
	assert_int_equal(find_change(c, n, "users")->kind, MODEL_ADDED);

	m = model_set_find(s, "users");
	assert_non_null(m);
	assert_int_equal(m->status, MODEL_VALID);
	assert_string_equal(m->datastore, "mysql");
	assert_non_null(m->mf);
	assert_ptr_equal(model_state_serving(m), m);

	m = model_set_find(s, "empty");
	assert_int_equal(m->status, MODEL_EMPTY);
	assert_null(m->datastore);

	m = model_set_find(s, "bad");
	assert_int_equal(m->status, MODEL_INVALID);
	assert_true(m->diags.n_errors > 0);
	assert_null(model_state_serving(m));

	mem_free(c);
	model_set_unref(s);
}

static void test_unchanged_content_is_shared(void **state)
{
	struct model_set *a = NULL, *b = NULL;
	struct model_change *c = NULL;
	size_t n = 0;
	char *changed[] = { (char *)"users" };
	(void)state;

	assert_int_equal(
		model_set_build(root, NULL, NULL, 0, true, NULL, NULL, &limits, &a, NULL, NULL), 0);
	/* The file is named as changed but its bytes are the same: same state, no change. */
	write_text("persist/users.bal", VALID_MODEL);
	assert_int_equal(
		model_set_build(root, a, changed, 1, false, NULL, NULL, &limits, &b, &c, &n), 0);
	assert_int_equal(n, 0);
	assert_ptr_equal(model_set_find(a, "users"), model_set_find(b, "users"));
	assert_ptr_equal(model_set_find(a, "bad"), model_set_find(b, "bad"));
	assert_true(b->generation > a->generation);
	mem_free(c);
	model_set_unref(a);
	model_set_unref(b);
}

static void test_broken_save_keeps_last_good(void **state)
{
	struct model_set *a = NULL, *b = NULL, *c2 = NULL;
	struct model_change *c = NULL;
	size_t n = 0;
	char *changed[] = { (char *)"users" };
	struct model_state *good, *broken;
	(void)state;

	assert_int_equal(
		model_set_build(root, NULL, NULL, 0, true, NULL, NULL, &limits, &a, NULL, NULL), 0);
	good = model_set_find(a, "users");
	write_text("persist/users.bal",
		   "import ballerina/persist as _;\npublic type User record {|\n");
	assert_int_equal(
		model_set_build(root, a, changed, 1, false, NULL, NULL, &limits, &b, &c, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].kind, MODEL_CHANGED);
	assert_int_equal(c[0].status, MODEL_INVALID);
	broken = model_set_find(b, "users");
	assert_int_equal(broken->status, MODEL_INVALID);
	assert_ptr_equal(model_state_serving(broken), good);
	mem_free(c);

	/* Dropping the old set keeps the last good state alive through the new one. */
	a = model_set_unref(a);
	assert_int_equal(model_state_serving(broken)->status, MODEL_VALID);

	/* Removed files are reported. */
	char p[128];
	snprintf(p, sizeof(p), "%s/persist/bad.bal", root);
	unlink(p);
	assert_int_equal(model_set_build(root, b, NULL, 0, true, NULL, NULL, &limits, &c2, &c, &n),
			 0);
	assert_non_null(find_change(c, n, "bad"));
	assert_int_equal(find_change(c, n, "bad")->kind, MODEL_REMOVED);
	assert_null(model_set_find(c2, "bad"));
	mem_free(c);
	model_set_unref(b);
	model_set_unref(c2);
}

static void test_conflict_and_size_limit(void **state)
{
	struct model_set *s = NULL;
	char p[128];
	struct model_set_limits small = { 1000, 64 };
	(void)state;

	snprintf(p, sizeof(p), "%s/persist/users", root);
	mkdir(p, 0755);
	write_text("persist/users/model.bal", VALID_MODEL);
	assert_int_equal(
		model_set_build(root, NULL, NULL, 0, true, NULL, NULL, &small, &s, NULL, NULL), 0);
	assert_int_equal(model_set_find(s, "users")->status, MODEL_CONFLICT);
	assert_int_equal(model_set_find(s, "empty")->status, MODEL_EMPTY);
	model_set_unref(s);

	write_text("persist/big.bal", VALID_MODEL VALID_MODEL);
	assert_int_equal(
		model_set_build(root, NULL, NULL, 0, true, NULL, NULL, &small, &s, NULL, NULL), 0);
	assert_int_equal(model_set_find(s, "big")->status, MODEL_INVALID);
	model_set_unref(s);
}

static void test_no_persist_dir(void **state)
{
	struct model_set *s = NULL;
	char cmd[128];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/persist'", root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(
		model_set_build(root, NULL, NULL, 0, true, NULL, NULL, &limits, &s, NULL, NULL), 0);
	assert_int_equal(s->n, 0);
	model_set_unref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_and_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_content_is_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_save_keeps_last_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict_and_size_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_persist_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
