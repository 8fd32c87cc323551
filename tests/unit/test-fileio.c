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

#include "base/fileio.h"

static int setup(void **state)
{
	static char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/test-fileio.XXXXXX");
	if (!mkdtemp(dir))
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

static void test_atomic_write_and_read(void **state)
{
	char path[128];
	struct buf b = BUF_INIT(1024);

	snprintf(path, sizeof(path), "%s/a.txt", (char *)*state);
	assert_int_equal(write_file_atomic(path, "hello\n", 6, 0644, false), 1);
	assert_int_equal(read_file_capped(path, 1024, &b), 0);
	assert_string_equal(b.buf, "hello\n");
	buf_release(&b);

	/* Capped read: too big is an error and appends nothing. */
	assert_int_equal(read_file_capped(path, 3, &b), -EMSGSIZE);
	assert_int_equal(b.len, 0);
}

static void test_unchanged_content_is_not_rewritten(void **state)
{
	char path[128];
	struct stat a, b;

	snprintf(path, sizeof(path), "%s/same.txt", (char *)*state);
	assert_int_equal(write_file_atomic(path, "x", 1, 0644, true), 1);
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(write_file_atomic(path, "x", 1, 0644, true), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino); /* same file: no rename happened */
	assert_int_equal(write_file_atomic(path, "y", 1, 0644, true), 1);
	assert_int_equal(stat(path, &b), 0);
	assert_int_not_equal(a.st_ino, b.st_ino);
}

static void test_failed_write_leaves_old_file(void **state)
{
	char path[128];
	struct buf b = BUF_INIT(1024);

	snprintf(path, sizeof(path), "%s/missing-dir/x.txt", (char *)*state);
	assert_int_equal(write_file_atomic(path, "x", 1, 0644, false), -ENOENT);

	snprintf(path, sizeof(path), "%s/keep.txt", (char *)*state);
	assert_int_equal(write_file_atomic(path, "old", 3, 0644, false), 1);
	assert_int_equal(chmod((char *)*state, 0500), 0);
	if (geteuid() != 0) /* root ignores directory permissions */
		assert_true(write_file_atomic(path, "new", 3, 0644, false) < 0);
	assert_int_equal(chmod((char *)*state, 0700), 0);
	assert_int_equal(read_file_capped(path, 1024, &b), 0);
	assert_true(strcmp(b.buf, "old") == 0 || geteuid() == 0);
	buf_release(&b);
}

static void test_mkdir_parents(void **state)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/x/y/z", (char *)*state);
	assert_int_equal(mkdir_parents(path, 0755), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(mkdir_parents(path, 0755), 0);
}

static void test_read_refuses_directories_and_symlinks(void **state)
{
	char path[128], link[128];
	struct buf b = BUF_INIT(1024);

	assert_int_equal(read_file_capped((char *)*state, 1024, &b), -EISDIR);
	snprintf(path, sizeof(path), "%s/target", (char *)*state);
	snprintf(link, sizeof(link), "%s/link", (char *)*state);
	assert_int_equal(write_file_atomic(path, "t", 1, 0644, false), 1);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(read_file_capped(link, 1024, &b), -ELOOP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_atomic_write_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_content_is_not_rewritten, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_leaves_old_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_parents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_refuses_directories_and_symlinks, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
