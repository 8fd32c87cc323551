#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

struct project {
	char dir[64];
};

static void write_text(const char *dir, const char *rel, const char *text)
{
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644, false), 1);
}

static int setup(void **state)
{
	struct project *p = calloc(1, sizeof(*p));
	char path[128];

	if (!p)
		return -1;
	(void)snprintf(p->dir, sizeof(p->dir), "/tmp/persist-check-XXXXXX");
	if (!mkdtemp(p->dir))
		return -1;
	(void)snprintf(path, sizeof(path), "%s/persist", p->dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct project *p = *state;
	char cmd[256];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
	if (system(cmd) != 0)
		return -1;
	free(p);
	return 0;
}

/* Run `persist -C dir check args...` with stdout captured into out. */
static int run_check(const char *dir, const char *arg1, const char *arg2, struct buf *out)
{
	char tmpl[] = "/tmp/persist-check-out-XXXXXX";
	char a0[] = "persist", a1[] = "-C", a3[] = "check";
	char *argv[] = { a0, a1, (char *)dir, a3, (char *)arg1, (char *)arg2, NULL };
	int argc = arg2 ? 6 : arg1 ? 5 : 4;
	int fd = mkstemp(tmpl), saved, status;

	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	status = cli_main(argc, argv);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	close(fd);
	buf_reset(out);
	assert_int_equal(read_file_capped(tmpl, 1 << 20, out), 0);
	unlink(tmpl);
	return status;
}

static void test_valid_and_invalid(void **state)
{
	struct project *p = *state;
	struct buf out = BUF_INIT(1 << 20);

	write_text(p->dir, "persist/shop.bal",
		   "import ballerina/persist as _;\n"
		   "type Item record {|\n"
		   "    readonly int id;\n"
		   "    string name;\n"
		   "|};\n");
	assert_int_equal(run_check(p->dir, NULL, NULL, &out), 0);
	assert_string_equal(out.buf, "");

	{
		char sub[128];
		(void)snprintf(sub, sizeof(sub), "%s/persist/users", p->dir);
		assert_int_equal(mkdir(sub, 0755), 0);
	}
	write_text(p->dir, "persist/users/model.bal",
		   "import ballerina/persist as _;\n"
		   "\n"
		   "type User record {|\n"
		   "    int id;\n"
		   "    json data;\n"
		   "|};\n");
	assert_int_equal(run_check(p->dir, NULL, NULL, &out), 1);
	assert_string_equal(out.buf,
			    "persist/users/model.bal:3:6: error PERSIST_501: 'User' entity "
			    "must have at least one identity readonly field\n");
	assert_int_equal(run_check(p->dir, "--datastore", "mysql", &out), 1);
	assert_non_null(strstr(out.buf, "persist/users/model.bal:5:5: error PERSIST_305: an entity "
					"does not support json-typed field\n"));
	/* the binding's datastore applies without --datastore */
	write_text(p->dir, "Ballerina.toml",
		   "[package]\n"
		   "org = \"demo\"\n"
		   "name = \"shop\"\n"
		   "version = \"0.1.0\"\n"
		   "\n"
		   "[[tool.persist]]\n"
		   "id = \"users\"\n"
		   "targetModule = \"shop.users\"\n"
		   "options.datastore = \"mysql\"\n"
		   "filePath = \"persist/users/model.bal\"\n");
	assert_int_equal(run_check(p->dir, "--model", "users", &out), 1);
	assert_non_null(strstr(out.buf, "error PERSIST_305"));
	assert_int_equal(run_check(p->dir, "--model", "shop", &out), 0);
	assert_string_equal(out.buf, "");
	assert_int_equal(run_check(p->dir, "--model", "nope", &out), 1);
	assert_int_equal(run_check(p->dir, "--datastore", "oracle", &out), 2);
	assert_int_equal(run_check(p->dir, "extra", NULL, &out), 2);

	write_text(p->dir, "persist/shop.bal", "type A record {|\n    int a\n|};\n");
	assert_int_equal(run_check(p->dir, "--model", "shop", &out), 1);
	assert_string_equal(out.buf, "persist/shop.bal:3:1: error BAL_SYNTAX: expected ';', found "
				     "'|}'\n");
	buf_release(&out);
}

static void test_no_persist_dir(void **state)
{
	struct buf out = BUF_INIT(1 << 20);
	(void)state;

	assert_int_equal(run_check("/nonexistent-project-dir", NULL, NULL, &out), 1);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid_and_invalid, setup, teardown),
		cmocka_unit_test(test_no_persist_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
