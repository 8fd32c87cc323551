/* persist generate and persist build end to end on small projects: the file layout, rewriting
 * only what changed, and a failed run leaving the previous output alone. */
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

#include "base/buf.h"
#include "base/fileio.h"
#include "cli/cli.h"

static const char *const users_model = "import ballerina/persist as _;\n"
				       "\n"
				       "type User record {|\n"
				       "    readonly int id;\n"
				       "    string name;\n"
				       "|};\n";

static int setup(void **state)
{
	static char dir[64];
	char path[128];

	snprintf(dir, sizeof(dir), "/tmp/test-gen-cli.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/persist", dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/Ballerina.toml", dir);
	if (write_file_atomic(path, "[package]\nname = \"shop\"\n", 24, 0644, false) < 0)
		return -1;
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *dir, const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_true(write_file_atomic(path, text, strlen(text), 0644, false) >= 0);
}

static char *get(const char *dir, const char *rel)
{
	char path[256];
	struct buf b = BUF_INIT(1 << 20);

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (read_file_capped(path, 1 << 20, &b) < 0)
		return NULL;
	return buf_detach(&b, NULL);
}

static bool exists(const char *dir, const char *rel)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return access(path, F_OK) == 0;
}

static struct timespec mtime(const char *dir, const char *rel)
{
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mtim;
}

/* cli_main with "-C dir" and the arguments up to a NULL. */
static int run(const char *dir, ...)
{
	const char *argv[16] = { "persist", "-C", dir };
	int argc = 3;
	const char *a;
	va_list ap;

	va_start(ap, dir);
	while ((a = va_arg(ap, const char *)) && argc < 15)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return cli_main(argc, (char **)argv);
}

static void free_str(char *s)
{
	free(s);
}

static void test_file_layout_model(void **state)
{
	const char *dir = *state;
	char *types, *script, *config;

	put(dir, "persist/users.bal", users_model);
	assert_int_equal(run(dir, "generate", "--datastore", "mysql", "--model", "users", NULL),
			 CLI_EXIT_OK);
	/* Headers name the model file; the output goes to the project root. */
	types = get(dir, "persist_types.bal");
	assert_non_null(types);
	assert_non_null(strstr(types, "Ballerina persistence layer for users.\n"));
	script = get(dir, "script.sql");
	assert_non_null(script);
	assert_non_null(strstr(script, "Ballerina persistence layer for users.\n"));
	assert_non_null(strstr(script, "CREATE TABLE `User` (\n"));
	assert_true(exists(dir, "persist_client.bal"));
	assert_true(exists(dir, "persist_db_config.bal"));
	config = get(dir, "Config.toml");
	assert_non_null(config);
	assert_string_equal(config, "[shop]\nhost = \"localhost\"\nport = 3306\nuser = \"root\"\n"
				    "password = \"\"\ndatabase = \"\"\n");
	free_str(types);
	free_str(script);
	free_str(config);
	config = get(dir, "target/Persist.toml");
	assert_string_equal(config, "[[tool.persist]]\noptions.datastore = \"mysql\"\n"
				    "module = \"shop\"\nmodel = \"users\"\n");
	free_str(config);
}

static void test_unchanged_files_keep_mtime(void **state)
{
	const char *dir = *state;
	struct timespec t1, t2, b1, b2;
	char *script;

	put(dir, "persist/model.bal", users_model);
	assert_int_equal(run(dir, "generate", "--datastore", "postgresql", "--module", "db", NULL),
			 CLI_EXIT_OK);
	t1 = mtime(dir, "modules/db/persist_types.bal");
	b1 = mtime(dir, "Ballerina.toml");
	usleep(20000);
	assert_int_equal(run(dir, "generate", "--datastore", "postgresql", "--module", "db", NULL),
			 CLI_EXIT_OK);
	t2 = mtime(dir, "modules/db/persist_types.bal");
	b2 = mtime(dir, "Ballerina.toml");
	assert_true(t1.tv_sec == t2.tv_sec && t1.tv_nsec == t2.tv_nsec);
	assert_true(b1.tv_sec == b2.tv_sec && b1.tv_nsec == b2.tv_nsec);

	/* Another datastore: the script changes, the stale config file stays (upstream). */
	assert_int_equal(run(dir, "generate", "--datastore", "mssql", "--module", "db", NULL),
			 CLI_EXIT_OK);
	script = get(dir, "modules/db/script.sql");
	assert_non_null(strstr(script, "CREATE TABLE [User] (\n"));
	free_str(script);
	script = get(dir, "modules/db/persist_db_config.bal");
	assert_non_null(strstr(script, "import ballerinax/postgresql;\n"));
	free_str(script);
}

static void test_failure_leaves_previous_output(void **state)
{
	const char *dir = *state;
	char *before, *after;

	put(dir, "persist/model.bal", users_model);
	assert_int_equal(run(dir, "generate", "--datastore", "h2", NULL), CLI_EXIT_OK);
	before = get(dir, "persist_types.bal");

	/* persist_client.bal cannot be replaced: nothing else of this run lands either. */
	put(dir, "persist/model.bal",
	    "import ballerina/persist as _;\n\ntype User record {|\n    readonly int id;\n"
	    "    string name;\n    int age;\n|};\n");
	{
		char path[256];
		snprintf(path, sizeof(path), "%s/persist_client.bal", dir);
		assert_int_equal(unlink(path), 0);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	assert_int_equal(run(dir, "generate", "--datastore", "h2", NULL), CLI_EXIT_FAILURE);
	after = get(dir, "persist_types.bal");
	assert_string_equal(before, after);
	free_str(before);
	free_str(after);
}

static void test_invalid_model_writes_no_sources(void **state)
{
	const char *dir = *state;

	put(dir, "persist/model.bal",
	    "import ballerina/persist as _;\n\ntype User record {|\n"
	    "    string name;\n|};\n");
	assert_int_equal(run(dir, "generate", "--datastore", "mysql", NULL), CLI_EXIT_FAILURE);
	assert_false(exists(dir, "persist_types.bal"));
	/* Written before validation, as upstream does. */
	assert_true(exists(dir, "target/Persist.toml"));
	assert_int_equal(run(dir, "generate", NULL), CLI_EXIT_FAILURE);
	assert_int_equal(run(dir, "generate", "--datastore", "mysql", "--bogus", NULL),
			 CLI_EXIT_USAGE);
}

static void test_build_bindings(void **state)
{
	const char *dir = *state;
	char *toml;

	put(dir, "persist/users.bal", users_model);
	put(dir, "Ballerina.toml",
	    "[package]\nname = \"shop\"\n\n[[tool.persist]]\nid = \"a\"\n"
	    "targetModule = \"shop.users\"\noptions.datastore = \"h2\"\n"
	    "filePath = \"persist/users.bal\"\n");
	assert_int_equal(run(dir, "build", NULL), CLI_EXIT_OK);
	assert_true(exists(dir, "generated/users/persist_types.bal"));
	assert_true(exists(dir, "generated/users/script.sql"));
	assert_false(exists(dir, "target/Persist.toml"));
	toml = get(dir, "Ballerina.toml");
	assert_non_null(strstr(toml, "artifactId = \"persist.sql-native\"\nversion = \"1.6.0\"\n"));
	free_str(toml);
	toml = get(dir, "Config.toml");
	assert_non_null(strstr(toml, "[shop.users]\nurl = \"\"\n"));
	free_str(toml);

	/* A targetModule outside the package fails the build. */
	put(dir, "Ballerina.toml",
	    "[package]\nname = \"shop\"\n\n[[tool.persist]]\nid = \"a\"\n"
	    "targetModule = \"other.users\"\noptions.datastore = \"h2\"\n"
	    "filePath = \"persist/users.bal\"\n");
	assert_int_equal(run(dir, "build", NULL), CLI_EXIT_FAILURE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_layout_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_files_keep_mtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_leaves_previous_output, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_invalid_model_writes_no_sources, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_build_bindings, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
