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

#include "base/fileio.h"
#include "base/log.h"

static char path[64];
static int saved_stderr = -1;

/* Point stderr at a fresh file; return its contents after the test body logged. */
static int setup(void **state)
{
	int fd;
	(void)state;

	snprintf(path, sizeof(path), "/tmp/test-log.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	unlink(path);
	unsetenv("JOURNAL_STREAM");
	log_open("test");
	log_set_max_level(LOG_INFO);
	return 0;
}

static char *captured(void)
{
	struct buf b = BUF_INIT(1 << 20);
	fflush(stderr);
	assert_int_equal(read_file_capped(path, 1 << 20, &b), 0);
	return b.buf;
}

static void test_plain_lines_have_level_names(void **state)
{
	char *out;
	(void)state;

	unsetenv("JOURNAL_STREAM");
	log_open("test");
	log_set_max_level(LOG_INFO);
	log_info("hello %d", 42);
	log_debug("hidden");
	assert_int_equal(log_error_errno(-ENOENT, "open: %m"), -ENOENT);
	out = captured();
	assert_non_null(strstr(out, "info: hello 42\n"));
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "error: open: No such file or directory\n"));
	assert_null(strstr(out, "<6>"));
	free(out);
}

static void test_journal_prefix_when_stderr_is_the_journal(void **state)
{
	struct stat st;
	char env[64];
	char *out;
	(void)state;

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_open("test");
	log_warning("careful");
	log_error("broken");
	out = captured();
	assert_non_null(strstr(out, "<4>careful\n"));
	assert_non_null(strstr(out, "<3>broken\n"));
	free(out);
}

static void test_journal_stream_of_another_file_is_ignored(void **state)
{
	char *out;
	(void)state;

	setenv("JOURNAL_STREAM", "1:1", 1);
	log_open("test");
	log_info("plain");
	out = captured();
	assert_null(strstr(out, "<6>"));
	assert_non_null(strstr(out, "info: plain"));
	free(out);
}

/* A batching thread's lines reach stderr only at a flush, all of them, in order; stop flushes
 * what is left and lines go out one by one again. */
static void test_batch_holds_lines_until_flush(void **state)
{
	char *out;
	(void)state;

	log_open("test");
	log_batch_start();
	log_info("first %d", 1);
	log_warning("second");
	out = captured();
	assert_string_equal(out, "");
	free(out);
	log_batch_flush();
	out = captured();
	assert_non_null(strstr(out, "info: first 1\n"));
	assert_non_null(strstr(out, "warning: second\n"));
	assert_true(strstr(out, "first 1") < strstr(out, "second"));
	free(out);
	log_info("third");
	log_batch_stop();
	log_info("fourth");
	out = captured();
	assert_non_null(strstr(out, "info: third\n"));
	assert_non_null(strstr(out, "info: fourth\n"));
	free(out);
}

/* Past the batch's capacity, the held lines are written first: none is lost or cut. */
static void test_batch_full_writes_early(void **state)
{
	char *out;
	int lines = 0;
	(void)state;

	log_open("test");
	log_batch_start();
	for (int i = 0; i < 2000; i++)
		log_info("line %04d %0100d", i, 0);
	log_batch_stop();
	out = captured();
	for (char *p = out; (p = strstr(p, "info: line ")); p++)
		lines++;
	assert_int_equal(lines, 2000);
	assert_non_null(strstr(out, "line 1999 "));
	free(out);
}

static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(log_level_from_string("debug"), LOG_DEBUG);
	assert_int_equal(log_level_from_string("WARNING"), LOG_WARNING);
	assert_int_equal(log_level_from_string("err"), LOG_ERR);
	assert_int_equal(log_level_from_string("3"), 3);
	assert_int_equal(log_level_from_string("8"), -EINVAL);
	assert_int_equal(log_level_from_string("verbose"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_lines_have_level_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_prefix_when_stderr_is_the_journal,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_stream_of_another_file_is_ignored,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_holds_lines_until_flush, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_batch_full_writes_early, setup, teardown),
		cmocka_unit_test(test_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
