#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "models/project.h"

static char root[64];

static void touch(const char *rel)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("import ballerina/persist as _;\n", f);
	fclose(f);
}

static void mkd(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test-project.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_name_rules(void **state)
{
	struct pd_error e;
	(void)state;

	assert_int_equal(model_name_check("users", &e), 0);
	assert_int_equal(model_name_check("Users_2", &e), 0);
	assert_int_equal(model_name_check("", &e), -EINVAL);
	assert_string_equal(e.text, "model name cannot be empty.");
	assert_int_equal(model_name_check("  ", &e), -EINVAL);
	assert_string_equal(e.text, "model name cannot be empty.");
	assert_int_equal(model_name_check("my model", &e), -EINVAL);
	assert_string_equal(e.text, "model name cannot contain spaces.");
	assert_int_equal(model_name_check("migrations", &e), -EINVAL);
	assert_string_equal(e.text, "model name 'migrations' is reserved and cannot be used.");
	assert_int_equal(model_name_check("1users", &e), -EINVAL);
	assert_string_equal(e.text, "model name '1users' is invalid. Model name should start with "
				    "a letter and contain only letters, numbers, and underscores.");
	assert_int_equal(model_name_check("../x", &e), -EINVAL);
	assert_int_equal(model_name_check("a-b", &e), -EINVAL);
}

static void test_no_persist_dir(void **state)
{
	struct model_list l;
	(void)state;

	assert_int_equal(project_discover(root, 100, &l), -ENOTDIR);
}

static void test_discovery_both_layouts(void **state)
{
	struct model_list l;
	(void)state;

	mkd("persist");
	touch("persist/users.bal");
	touch("persist/inventory.bal");
	touch("persist/notes.txt");
	mkd("persist/orders");
	touch("persist/orders/model.bal");
	mkd("persist/migrations");
	touch("persist/migrations/x.bal");
	mkd("persist/archive"); /* only migrations: not a model */
	mkd("persist/archive/migrations");
	mkd("persist/sub");
	touch("persist/sub/x.bal"); /* subdirectories are not scanned for <name>.bal */
	touch("persist/.hidden.bal");

	assert_int_equal(project_discover(root, 100, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0].name, "inventory");
	assert_string_equal(l.items[0].path, "persist/inventory.bal");
	assert_int_equal(l.items[0].layout, MODEL_LAYOUT_FILE);
	assert_string_equal(l.items[1].name, "orders");
	assert_string_equal(l.items[1].path, "persist/orders/model.bal");
	assert_int_equal(l.items[1].layout, MODEL_LAYOUT_DIRECTORY);
	assert_string_equal(l.items[2].name, "users");
	for (size_t i = 0; i < l.n; i++)
		assert_false(l.items[i].conflict);
	model_list_release(&l);

	assert_int_equal(project_discover(root, 2, &l), -E2BIG);
}

static void test_conflict(void **state)
{
	struct model_list l;
	struct model_target t;
	struct pd_error e;
	(void)state;

	mkd("persist");
	touch("persist/users.bal");
	mkd("persist/users");
	touch("persist/users/model.bal");
	assert_int_equal(project_discover(root, 100, &l), 0);
	assert_int_equal(l.n, 2);
	assert_true(l.items[0].conflict && l.items[1].conflict);
	assert_int_equal(project_resolve_model(&l, "users", 0, &t, &e), -EBADMSG);
	assert_non_null(strstr(e.text, "persist/users.bal"));
	assert_int_equal(project_resolve_model(&l, NULL, 0, &t, &e), -EBADMSG);
	assert_int_equal(project_resolve_model(&l, "persist/users.bal", 0, &t, &e), -EBADMSG);
	model_list_release(&l);
}

static void test_resolution(void **state)
{
	struct model_list l;
	struct model_target t;
	struct pd_error e;
	(void)state;

	/* No models: the default model.bal, not there yet. */
	mkd("persist");
	assert_int_equal(project_discover(root, 100, &l), 0);
	assert_int_equal(project_resolve_model(&l, NULL, 0, &t, &e), 0);
	assert_string_equal(t.entry.path, "persist/model.bal");
	assert_false(t.exists);
	model_list_release(&l);

	/* One model with any name is the default (older single-model projects). */
	touch("persist/shop.bal");
	assert_int_equal(project_discover(root, 100, &l), 0);
	assert_int_equal(project_resolve_model(&l, NULL, 0, &t, &e), 0);
	assert_string_equal(t.entry.name, "shop");
	assert_true(t.exists);
	/* --layout directory acts on persist/model.bal whatever exists. */
	assert_int_equal(project_resolve_model(&l, NULL, RESOLVE_DIRECTORY_LAYOUT, &t, &e), 0);
	assert_string_equal(t.entry.path, "persist/model.bal");
	assert_false(t.exists);
	model_list_release(&l);

	/* Several: ambiguous without --model, the error names them. */
	touch("persist/users.bal");
	assert_int_equal(project_discover(root, 100, &l), 0);
	assert_int_equal(project_resolve_model(&l, NULL, 0, &t, &e), -ENOTUNIQ);
	assert_non_null(strstr(e.text, "shop, users"));
	assert_non_null(strstr(e.text, "--model"));

	/* By name and by path. */
	assert_int_equal(project_resolve_model(&l, "users", 0, &t, &e), 0);
	assert_string_equal(t.entry.path, "persist/users.bal");
	assert_true(t.exists);
	assert_int_equal(project_resolve_model(&l, "./persist/users.bal", 0, &t, &e), 0);
	assert_string_equal(t.entry.name, "users");
	assert_true(t.exists);
	assert_int_equal(project_resolve_model(&l, "persist/users/model.bal", 0, &t, &e), 0);
	assert_int_equal(t.entry.layout, MODEL_LAYOUT_DIRECTORY);
	assert_false(t.exists);

	/* New names take the layout for new models. */
	assert_int_equal(project_resolve_model(&l, "orders", 0, &t, &e), 0);
	assert_string_equal(t.entry.path, "persist/orders.bal");
	assert_false(t.exists);
	assert_int_equal(project_resolve_model(&l, "orders", RESOLVE_DIRECTORY_LAYOUT, &t, &e), 0);
	assert_string_equal(t.entry.path, "persist/orders/model.bal");

	/* Invalid names and paths are refused. */
	assert_int_equal(project_resolve_model(&l, "../x", 0, &t, &e), -EINVAL);
	assert_int_equal(project_resolve_model(&l, "persist/sub/x.bal", 0, &t, &e), -EINVAL);
	assert_int_equal(project_resolve_model(&l, "migrations", 0, &t, &e), -EINVAL);
	assert_int_equal(project_resolve_model(&l, "persist/migrations.bal", 0, &t, &e), -EINVAL);
	assert_int_equal(project_resolve_model(&l, "/etc/passwd", 0, &t, &e), -EINVAL);
	assert_int_equal(project_resolve_model(&l, "persist/../x.bal", 0, &t, &e), -EINVAL);
	assert_int_equal(project_resolve_model(&l, "x.bal", 0, &t, &e), -EINVAL);
	assert_int_equal(project_resolve_model(&l, "", 0, &t, &e), -EINVAL);
	model_list_release(&l);
}

static void test_migrations_dirs(void **state)
{
	struct model_entry m = { .name = "model", .layout = MODEL_LAYOUT_FILE };
	char buf[128];
	(void)state;

	model_migrations_dir(&m, buf, sizeof(buf));
	assert_string_equal(buf, "persist/migrations");
	snprintf(m.name, sizeof(m.name), "users");
	model_migrations_dir(&m, buf, sizeof(buf));
	assert_string_equal(buf, "persist/users/migrations");
	m.layout = MODEL_LAYOUT_DIRECTORY;
	model_migrations_dir(&m, buf, sizeof(buf));
	assert_string_equal(buf, "persist/users/migrations");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test_setup_teardown(test_no_persist_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovery_both_layouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolution, setup, teardown),
		cmocka_unit_test(test_migrations_dirs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
