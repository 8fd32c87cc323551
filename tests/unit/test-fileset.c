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

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fileio.h"
#include "models/fileset.h"

static int setup(void **state)
{
	static char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/test-fileset.XXXXXX");
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

static void read_back(const char *root, const char *rel, const char *want)
{
	char path[256];
	struct buf b = BUF_INIT(1 << 20);

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(read_file_capped(path, 1 << 20, &b), 0);
	assert_string_equal(b.buf, want);
	buf_release(&b);
}

static void test_rejects_unsafe_paths(void **state)
{
	struct fileset s = FILESET_INIT;

	(void)state;
	assert_int_equal(fileset_add(&s, "/etc/passwd", "x", 1, 0), -EINVAL);
	assert_int_equal(fileset_add(&s, "a/../../b", "x", 1, 0), -EINVAL);
	assert_int_equal(fileset_add(&s, "", "x", 1, 0), -EINVAL);
	assert_int_equal(fileset_add(&s, "a//b", "x", 1, 0), -EINVAL);
	assert_int_equal(s.n, 0);
	fileset_release(&s);
}

static void test_later_entry_replaces_earlier(void **state)
{
	struct fileset s = FILESET_INIT;

	(void)state;
	assert_int_equal(fileset_add(&s, "a.bal", "one", 3, 0), 0);
	assert_int_equal(fileset_add(&s, "a.bal", "two", 3, 0), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(fileset_find(&s, "a.bal")->data, "two");
	assert_null(fileset_find(&s, "b.bal"));
	fileset_release(&s);
}

static void test_writes_creates_dirs_and_keeps_unchanged(void **state)
{
	const char *root = *state;
	struct fileset s = FILESET_INIT;
	struct buf b = BUF_INIT(64);
	char path[256];
	struct stat before, after;

	assert_int_equal(buf_adds(&b, "types\n"), 0);
	assert_int_equal(fileset_add_buf(&s, "modules/x/types.bal", &b, 0), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(fileset_add(&s, "modules/x/client.bal", "client\n", 7, 0), 0);
	assert_int_equal(fileset_write(&s, root, NULL), 2);
	assert_true(s.items[0].changed && s.items[1].changed);
	read_back(root, "modules/x/types.bal", "types\n");
	read_back(root, "modules/x/client.bal", "client\n");

	/* Same bytes again: nothing is rewritten, the mtime stays. */
	snprintf(path, sizeof(path), "%s/modules/x/types.bal", root);
	assert_int_equal(stat(path, &before), 0);
	usleep(20000);
	assert_int_equal(fileset_write(&s, root, NULL), 0);
	assert_false(s.items[0].changed);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	assert_int_equal(before.st_ino, after.st_ino);
	fileset_release(&s);
}

static void test_keep_existing(void **state)
{
	const char *root = *state;
	struct fileset s = FILESET_INIT;

	assert_int_equal(fileset_add(&s, "config.bal", "first\n", 6, FILESET_KEEP_EXISTING), 0);
	assert_int_equal(fileset_write(&s, root, NULL), 1);
	fileset_release(&s);

	assert_int_equal(fileset_add(&s, "config.bal", "second\n", 7, FILESET_KEEP_EXISTING), 0);
	assert_int_equal(fileset_write(&s, root, NULL), 0);
	assert_true(s.items[0].kept);
	read_back(root, "config.bal", "first\n");
	fileset_release(&s);
}

static void test_failure_leaves_old_files(void **state)
{
	const char *root = *state;
	struct fileset s = FILESET_INIT;
	const char *failed = NULL;
	char path[256];

	assert_int_equal(fileset_add(&s, "out/a.bal", "old a\n", 6, 0), 0);
	assert_int_equal(fileset_write(&s, root, NULL), 1);
	fileset_release(&s);

	/* The second file cannot be written (its target is a directory): the first keeps its old
	 * content and no temporary file is left behind. */
	snprintf(path, sizeof(path), "%s/out/b.bal", root);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(fileset_add(&s, "out/a.bal", "new a\n", 6, 0), 0);
	assert_int_equal(fileset_add(&s, "out/b.bal", "b\n", 2, 0), 0);
	assert_int_equal(fileset_write(&s, root, &failed), -EISDIR);
	assert_string_equal(failed, "out/b.bal");
	read_back(root, "out/a.bal", "old a\n");
	fileset_release(&s);

	{
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s/out' | grep tmp)\"", root);
		assert_int_equal(system(cmd), 0);
	}
}

static void write_text(const char *root, const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A writer killed among its renames leaves its journal and the temporaries it had not renamed
 * yet; the next writer (or fileset_recover) finishes that set first. */
static void test_interrupted_set_is_finished(void **state)
{
	const char *root = *state;
	struct fileset s = FILESET_INIT;
	char path[256], journal[300];
	struct stat st;

	assert_int_equal(fileset_add(&s, "out/a.bal", "old a\n", 6, 0), 0);
	assert_int_equal(fileset_add(&s, "out/b.bal", "old b\n", 6, 0), 0);
	assert_int_equal(fileset_write(&s, root, NULL), 2);
	fileset_release(&s);

	/* pid 1 is alive and not ours: its journal is left alone */
	snprintf(journal, sizeof(journal), "%s/.persist-fileset.1.journal", root);
	write_text(root, "out/.b.bal.tmp.x1", "new b\n");
	write_text(root, ".persist-fileset.1.journal", "out/.b.bal.tmp.x1\tout/b.bal\n");
	assert_int_equal(fileset_recover(root), 0);
	read_back(root, "out/b.bal", "old b\n");
	assert_int_equal(unlink(journal), 0);

	/* a dead writer (no such pid): a.bal was renamed, b.bal was not */
	write_text(root, "out/a.bal", "new a\n");
	write_text(root, ".persist-fileset.2147483000.journal",
		   "out/.a.bal.tmp.x0\tout/a.bal\nout/.b.bal.tmp.x1\tout/b.bal\n"
		   "../escape\tout/c.bal\n");
	assert_int_equal(fileset_recover(root), 1);
	read_back(root, "out/a.bal", "new a\n");
	read_back(root, "out/b.bal", "new b\n");
	snprintf(path, sizeof(path), "%s/.persist-fileset.2147483000.journal", root);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/out/.b.bal.tmp.x1", root);
	assert_int_equal(stat(path, &st), -1);

	/* a journal a dead writer never committed is removed, its renames never started */
	write_text(root, ".persist-fileset.2147483000.journal.tmp.Ab12Cd", "out/.x\tout/a.bal\n");
	assert_int_equal(fileset_recover(root), 0);
	snprintf(path, sizeof(path), "%s/.persist-fileset.2147483000.journal.tmp.Ab12Cd", root);
	assert_int_equal(stat(path, &st), -1);
	read_back(root, "out/a.bal", "new a\n");

	/* a normal write leaves no journal behind */
	assert_int_equal(fileset_add(&s, "out/a.bal", "3a\n", 3, 0), 0);
	assert_int_equal(fileset_add(&s, "out/b.bal", "3b\n", 3, 0), 0);
	assert_int_equal(fileset_write(&s, root, NULL), 2);
	fileset_release(&s);
	{
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s' | grep journal)\"", root);
		assert_int_equal(system(cmd), 0);
	}
}

static void test_symlink_is_replaced(void **state)
{
	const char *root = *state;
	struct fileset s = FILESET_INIT;
	char link[256], target[256];
	struct stat st;

	snprintf(target, sizeof(target), "%s/elsewhere.txt", root);
	snprintf(link, sizeof(link), "%s/a.bal", root);
	assert_true(write_file_atomic(target, "outside\n", 8, 0644, false) >= 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(fileset_add(&s, "a.bal", "generated\n", 10, 0), 0);
	assert_int_equal(fileset_write(&s, root, NULL), 1);
	fileset_release(&s);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	read_back(root, "a.bal", "generated\n");
	read_back(root, "elsewhere.txt", "outside\n");
}

static void test_out_of_memory(void **state)
{
	const char *root = *state;
	struct fileset s = FILESET_INIT;

	assert_int_equal(fileset_add(&s, "o/a.bal", "old a\n", 6, 0), 0);
	assert_int_equal(fileset_add(&s, "o/b.bal", "old b\n", 6, 0), 0);
	assert_int_equal(fileset_write(&s, root, NULL), 2);
	fileset_release(&s);

	/* Every failing run leaves both old files; the first complete run replaces both. */
	for (long n = 0;; n++) {
		bool hit;
		int r;

		assert_int_equal(fileset_add(&s, "o/a.bal", "new a\n", 6, 0), 0);
		assert_int_equal(fileset_add(&s, "o/b.bal", "new b\n", 6, 0), 0);
		(void)alloc_fail_after(n);
		r = fileset_write(&s, root, NULL);
		hit = alloc_failed();
		(void)alloc_fail_after(-1);
		fileset_release(&s);
		if (!hit) {
			assert_int_equal(r, 2);
			break;
		}
		assert_int_equal(r, -ENOMEM);
		read_back(root, "o/a.bal", "old a\n");
		read_back(root, "o/b.bal", "old b\n");
	}
	read_back(root, "o/a.bal", "new a\n");
	read_back(root, "o/b.bal", "new b\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejects_unsafe_paths),
		cmocka_unit_test(test_later_entry_replaces_earlier),
		cmocka_unit_test_setup_teardown(test_writes_creates_dirs_and_keeps_unchanged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_keep_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_leaves_old_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_is_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_set_is_finished, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
