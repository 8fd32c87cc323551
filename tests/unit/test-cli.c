#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"

static int run(int argc, const char **argv)
{
	return cli_main(argc, (char **)argv);
}

static void test_help_and_version(void **state)
{
	const char *help[] = { "persist", "--help" };
	const char *h[] = { "persist", "-h" };
	const char *version[] = { "persist", "--version" };
	(void)state;

	assert_int_equal(run(2, help), CLI_EXIT_OK);
	assert_int_equal(run(2, h), CLI_EXIT_OK);
	assert_int_equal(run(2, version), CLI_EXIT_OK);
}

static void test_usage_errors_exit_2(void **state)
{
	const char *none[] = { "persist" };
	const char *unknown[] = { "persist", "frobnicate" };
	const char *badopt[] = { "persist", "--frobnicate" };
	const char *missing_dir[] = { "persist", "-C" };
	(void)state;

	assert_int_equal(run(1, none), CLI_EXIT_USAGE);
	assert_int_equal(run(2, unknown), CLI_EXIT_USAGE);
	assert_int_equal(run(2, badopt), CLI_EXIT_USAGE);
	assert_int_equal(run(2, missing_dir), CLI_EXIT_USAGE);
}

static void test_push_argv(void **state)
{
	const char *help[] = { "persist", "push", "--help" };
	const char *badopt[] = { "persist", "push", "--drop" };
	const char *extra[] = { "persist", "push", "--model", "users", "users" };
	const char *novalue[] = { "persist", "push", "--model" };
	const char *nodir[] = { "persist", "-C", "/nonexistent/persist-test", "push" };
	(void)state;

	assert_int_equal(run(3, help), CLI_EXIT_OK);
	assert_int_equal(run(3, badopt), CLI_EXIT_USAGE);
	assert_int_equal(run(5, extra), CLI_EXIT_USAGE);
	assert_int_equal(run(3, novalue), CLI_EXIT_USAGE);
	/* no project: nothing to push */
	assert_int_equal(run(4, nodir), CLI_EXIT_FAILURE);
}

static void test_command_table(void **state)
{
	size_t n;
	const struct cli_command *c = cli_commands(&n);
	bool push = false;
	(void)state;

	for (size_t i = 0; i < n; i++) {
		assert_non_null(c[i].run);
		assert_non_null(c[i].summary);
		for (size_t j = i + 1; j < n; j++)
			assert_true(strcmp(c[i].name, c[j].name) != 0);
		push = push || strcmp(c[i].name, "push") == 0;
	}
	assert_true(push);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_usage_errors_exit_2),
		cmocka_unit_test(test_push_argv),
		cmocka_unit_test(test_command_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
