/* The seed document's test scenarios for the file layout (persist/<name>.bal), run through
 * the whole `persist` command in-process. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

#include "cli/cli.h"
#include "tests/helpers/proc.h"

static char root[64];
static char errfile[96];
static int saved_stderr = -1;

#define BALLERINA_TOML "[package]\norg = \"acme\"\nname = \"shop\"\nversion = \"0.1.0\"\n"

static void write_text(const char *rel, const char *text)
{
	assert_int_equal(test_write_file(root, rel, text), 0);
}

static char *read_text(const char *rel)
{
	return test_read_file(root, rel);
}

static bool exists(const char *rel)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return lstat(p, &st) == 0;
}

static void mkd(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

/* Run `persist -C <root> args...`, capturing stderr into errfile. */
static int persist(const char *first, ...)
{
	const char *argv[32] = { "persist", "-C", root };
	int argc = 3, fd, r;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	fflush(stderr);
	fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	r = cli_main(argc, (char **)argv);
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	return r;
}

static char *last_stderr(void)
{
	FILE *f = fopen(errfile, "r");
	char *buf = calloc(1, 65536);
	assert_non_null(f);
	assert_non_null(buf);
	if (fread(buf, 1, 65535, f) == 0)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static void assert_stderr_contains(const char *needle)
{
	char *s = last_stderr();
	if (!strstr(s, needle))
		fail_msg("stderr lacks '%s':\n%s", needle, s);
	free(s);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test-seed.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(errfile, sizeof(errfile), "%s.stderr", root);
	saved_stderr = dup(STDERR_FILENO);
	write_text("Ballerina.toml", BALLERINA_TOML);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, errfile);
	close(saved_stderr);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_init_several_models(void **state)
{
	char *t;
	(void)state;

	assert_int_equal(persist("init", "--model", "users", NULL), 0);
	assert_int_equal(persist("init", "--model", "inventory", NULL), 0);
	assert_int_equal(persist("init", "--model", "analytics", NULL), 0);
	t = read_text("persist/users.bal");
	assert_non_null(t);
	assert_string_equal(t, "import ballerina/persist as _;\n");
	free(t);
	assert_true(exists("persist/inventory.bal"));
	assert_true(exists("persist/analytics.bal"));
	assert_false(exists("persist/model.bal"));
	assert_false(exists("persist/users"));

	/* Again: the model exists, nothing changes. */
	assert_int_equal(persist("init", "--model", "users", NULL), 1);
	assert_stderr_contains("ERROR: model 'users' already exists in the persist directory.");

	/* Without --model in a multi-model project: ambiguous, names the models. */
	assert_int_equal(persist("init", NULL), 1);
	assert_stderr_contains("analytics, inventory, users");
	assert_stderr_contains("--model");
	assert_false(exists("persist/model.bal"));
}

static void test_init_default_and_single_model(void **state)
{
	(void)state;

	assert_int_equal(persist("init", NULL), 0);
	assert_true(exists("persist/model.bal"));
	assert_stderr_contains("Initialized the package for persistence.");
	/* The only model, whatever its name, is the default: init again changes nothing. */
	assert_int_equal(persist("init", NULL), 0);
	assert_int_equal(persist("init", "--model", "model", NULL), 1);
}

static void test_invalid_names_and_paths(void **state)
{
	(void)state;

	assert_int_equal(persist("init", "--model", "../x", NULL), 1);
	assert_int_equal(persist("init", "--model", "persist/sub/x.bal", NULL), 1);
	assert_int_equal(persist("init", "--model", "migrations", NULL), 1);
	assert_stderr_contains("model name 'migrations' is reserved and cannot be used.");
	assert_int_equal(persist("init", "--model", "my model", NULL), 1);
	assert_stderr_contains("model name cannot contain spaces.");
	assert_int_equal(persist("init", "--model", "9lives", NULL), 1);
	assert_stderr_contains("model name '9lives' is invalid.");
	assert_false(exists("persist/x.bal"));
	assert_false(exists("x.bal"));
	assert_false(exists("persist/sub"));
	assert_false(exists("persist/migrations.bal"));
	/* A path to a model file of this project works. */
	assert_int_equal(persist("init", "--model", "persist/orders.bal", NULL), 0);
	assert_true(exists("persist/orders.bal"));
}

static void test_add_with_and_without_model(void **state)
{
	char *t;
	(void)state;

	/* Single-model project: add without --model binds the only model. */
	assert_int_equal(persist("init", "--model", "users", NULL), 0);
	assert_int_equal(persist("add", "--datastore", "mysql", "--module", "users", NULL), 0);
	t = read_text("Ballerina.toml");
	assert_non_null(strstr(t, BALLERINA_TOML));
	assert_non_null(strstr(t, "[[tool.persist]]\nid = \"generate-db-client\"\n"
				  "targetModule = \"shop.users\"\noptions.datastore = \"mysql\"\n"
				  "filePath = \"persist/users.bal\"\n"));
	free(t);

	/* Two models: add without --model is ambiguous and writes nothing. */
	assert_int_equal(persist("init", "--model", "inventory", NULL), 0);
	t = read_text("Ballerina.toml");
	assert_int_equal(persist("add", "--datastore", "postgresql", NULL), 1);
	assert_stderr_contains("inventory, users");
	{
		char *after = read_text("Ballerina.toml");
		assert_string_equal(t, after);
		free(after);
	}
	free(t);

	/* With --model: its own entry and default id. */
	assert_int_equal(persist("add", "--datastore", "postgresql", "--model", "inventory",
				 "--module", "inventory", "--test-datastore", "h2",
				 "--eager-loading", NULL),
			 0);
	t = read_text("Ballerina.toml");
	assert_non_null(strstr(t, "id = \"generate-inventory-client\"\n"
				  "targetModule = \"shop.inventory\"\n"
				  "options.datastore = \"postgresql\"\n"
				  "options.testDatastore = \"h2\"\n"
				  "options.eagerLoading = true\n"
				  "filePath = \"persist/inventory.bal\"\n"));
	free(t);

	/* Same id again: refused, nothing written. */
	t = read_text("Ballerina.toml");
	assert_int_equal(persist("add", "--model", "inventory", NULL), 1);
	assert_stderr_contains("a build option with the provided ID 'generate-inventory-client' "
			       "already exists");
	{
		char *after = read_text("Ballerina.toml");
		assert_string_equal(t, after);
		free(after);
	}
	free(t);

	/* add creates a missing model file. */
	assert_int_equal(persist("add", "--model", "orders", "--datastore", "redis", NULL), 0);
	assert_true(exists("persist/orders.bal"));
}

static void test_add_errors_change_nothing(void **state)
{
	char *before, *after;
	(void)state;

	before = read_text("Ballerina.toml");
	assert_int_equal(persist("add", "--datastore", "sqlite", NULL), 1);
	assert_stderr_contains("the persist layer supports one of data stores:");
	assert_int_equal(
		persist("add", "--datastore", "mysql", "--test-datastore", "inmemory", NULL), 1);
	assert_int_equal(persist("add", "--module", "bad-name", NULL), 1);
	assert_stderr_contains("module name can only contain alphanumerics");
	assert_int_equal(persist("add", "--model", "../x", NULL), 1);
	assert_int_equal(persist("add", "--bogus", NULL), 2);
	after = read_text("Ballerina.toml");
	assert_string_equal(before, after);
	assert_false(exists("persist"));
	free(before);
	free(after);
}

static void test_backward_compatibility(void **state)
{
	(void)state;

	/* A project with only persist/model.bal. */
	mkd("persist");
	write_text("persist/model.bal", "import ballerina/persist as _;\n");
	assert_int_equal(persist("add", "--datastore", "mysql", NULL), 0);
	{
		char *t = read_text("Ballerina.toml");
		assert_non_null(strstr(t, "filePath = \"persist/model.bal\""));
		free(t);
	}
	assert_int_equal(persist("init", NULL), 0);
	assert_false(exists("persist/model.bal.tmp"));
}

static void test_pre_19_single_differently_named_model(void **state)
{
	(void)state;

	mkd("persist");
	write_text("persist/rainier.bal", "import ballerina/persist as _;\n");
	assert_int_equal(persist("add", "--datastore", "mysql", NULL), 0);
	{
		char *t = read_text("Ballerina.toml");
		assert_non_null(strstr(t, "filePath = \"persist/rainier.bal\""));
		free(t);
	}
	assert_int_equal(persist("init", NULL), 0);
	assert_false(exists("persist/model.bal"));
}

static void test_same_name_in_both_layouts_is_a_conflict(void **state)
{
	(void)state;

	mkd("persist");
	mkd("persist/users");
	write_text("persist/users.bal", "import ballerina/persist as _;\n");
	write_text("persist/users/model.bal", "import ballerina/persist as _;\n");
	assert_int_equal(persist("add", "--model", "users", NULL), 1);
	assert_stderr_contains("persist/users.bal");
	assert_stderr_contains("persist/users/model.bal");
}

static void test_not_a_project(void **state)
{
	char cmd[128];
	(void)state;

	snprintf(cmd, sizeof(cmd), "%s/Ballerina.toml", root);
	unlink(cmd);
	assert_int_equal(persist("init", NULL), 1);
	assert_stderr_contains("cannot find 'Ballerina.toml' file.");
	assert_false(exists("persist"));
	write_text("Ballerina.toml", "[workspace]\npackages = [\"a\"]\n");
	assert_int_equal(persist("init", NULL), 1);
	assert_stderr_contains("the persist tool does not support Ballerina workspaces.");
}

#define USER_ENTITY                          \
	"import ballerina/persist as _;\n\n" \
	"public type User record {|\n"       \
	"    readonly int id;\n"             \
	"    string name;\n"                 \
	"|};\n"

/* Seed scenario 5: the same entity name in two models; each validates and generates on its
 * own. Scenario 3/7: generate without --model in a multi-model project names the models. */
static void test_duplicate_entity_names_across_models(void **state)
{
	char *t;
	(void)state;

	mkd("persist");
	write_text("persist/users.bal", USER_ENTITY);
	write_text("persist/admins.bal", USER_ENTITY);
	assert_int_equal(persist("check", NULL), 0);

	assert_int_equal(persist("generate", "--datastore", "mysql", NULL), 1);
	assert_stderr_contains("admins, users");
	assert_stderr_contains("--model");
	assert_false(exists("persist_client.bal"));

	assert_int_equal(persist("generate", "--datastore", "mysql", "--model", "users", "--module",
				 "users", NULL),
			 0);
	assert_int_equal(persist("generate", "--datastore", "postgresql", "--model",
				 "persist/admins.bal", "--module", "admins", NULL),
			 0);
	t = read_text("modules/users/persist_types.bal");
	assert_non_null(t);
	assert_non_null(strstr(t, "persistence layer for users."));
	assert_non_null(strstr(t, "public type User record {|"));
	free(t);
	t = read_text("modules/admins/persist_types.bal");
	assert_non_null(t);
	assert_non_null(strstr(t, "persistence layer for admins."));
	free(t);
	t = read_text("modules/admins/script.sql");
	assert_non_null(t);
	assert_non_null(strstr(t, "CREATE TABLE \"User\""));
	free(t);
}

/* File-layout models generate for every non-SQL store too, headers naming the model. */
static void test_file_layout_generate_other_stores(void **state)
{
	static const char *const stores[][2] = {
		{ "inmemory", "persist_client.bal" },
		{ "googlesheets", "script.gs" },
		{ "redis", "persist_db_config.bal" },
	};
	char mod[32], path[96];
	(void)state;

	mkd("persist");
	write_text("persist/catalog.bal", USER_ENTITY);
	for (size_t i = 0; i < 3; i++) {
		char *t;
		snprintf(mod, sizeof(mod), "m%zu", i);
		assert_int_equal(
			persist("generate", "--datastore", stores[i][0], "--module", mod, NULL), 0);
		snprintf(path, sizeof(path), "modules/%s/%s", mod, stores[i][1]);
		assert_true(exists(path));
		snprintf(path, sizeof(path), "modules/%s/persist_client.bal", mod);
		t = read_text(path);
		assert_non_null(t);
		assert_non_null(strstr(t, "persistence layer for catalog."));
		free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_several_models, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_default_and_single_model, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_invalid_names_and_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_with_and_without_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_errors_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backward_compatibility, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pre_19_single_differently_named_model, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_same_name_in_both_layouts_is_a_conflict, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_a_project, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_entity_names_across_models, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_file_layout_generate_other_stores, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
