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
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/loop.h"
#include "daemon/watch.h"

static char root[64];
static struct loop *loop;
static struct watch *watch;
static int quit_fd = -1;

/* What the watch delivered since the last reset. */
static unsigned deliveries;
static bool saw_rescan, saw_ballerina, saw_config;
static char models[16][64];
static unsigned n_models;

static void on_changes(const struct watch_changes *c, void *userdata)
{
	(void)userdata;
	deliveries++;
	saw_rescan |= c->rescan;
	saw_ballerina |= c->ballerina_toml;
	saw_config |= c->config_toml;
	for (size_t i = 0; i < c->n_models && n_models < 16; i++)
		snprintf(models[n_models++], sizeof(models[0]), "%s", c->models[i]);
}

static void reset(void)
{
	deliveries = 0;
	saw_rescan = saw_ballerina = saw_config = false;
	n_models = 0;
}

static int on_quit(struct loop *l, int fd, uint32_t events, void *userdata)
{
	uint64_t t;
	(void)events;
	(void)userdata;
	if (read(fd, &t, sizeof(t)) < 0)
		return 0;
	loop_quit(l, 0);
	return 0;
}

/* Run the loop for ms milliseconds: long enough for the 20 ms debounce to fire, and to show
 * that no second delivery follows. */
static void run_for(long ms)
{
	struct itimerspec its = { .it_value = { ms / 1000, (ms % 1000) * 1000000L } };
	assert_int_equal(timerfd_settime(quit_fd, 0, &its, NULL), 0);
	assert_int_equal(loop_run(loop), 0);
}

static void path_of(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", root, rel);
}

static void write_file(const char *rel, const char *text)
{
	char p[256];
	FILE *f;
	path_of(p, sizeof(p), rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void do_rename(const char *from, const char *to)
{
	char a[256], b[256];
	path_of(a, sizeof(a), from);
	path_of(b, sizeof(b), to);
	assert_int_equal(rename(a, b), 0);
}

static void do_unlink(const char *rel)
{
	char p[256];
	path_of(p, sizeof(p), rel);
	assert_int_equal(unlink(p), 0);
}

static void do_mkdir(const char *rel)
{
	char p[256];
	path_of(p, sizeof(p), rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void assert_models(const char *first, ...)
{
	va_list ap;
	unsigned n = 0;

	va_start(ap, first);
	for (const char *m = first; m; m = va_arg(ap, const char *), n++) {
		assert_true(n < n_models);
		assert_string_equal(models[n], m);
	}
	va_end(ap);
	assert_int_equal(n, n_models);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test-watch.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	do_mkdir("persist");
	write_file("Ballerina.toml", "[package]\nname = \"x\"\n");
	write_file("persist/users.bal", "import ballerina/persist as _;\n");
	quit_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (quit_fd < 0 || loop_new(&loop) < 0 ||
	    watch_new(root, 20 * 1000, on_changes, NULL, &watch) < 0 ||
	    watch_attach(watch, loop) < 0 || loop_add_fd(loop, quit_fd, EPOLLIN, on_quit, NULL) < 0)
		return -1;
	reset();
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	watch = watch_free(watch);
	loop = loop_free(loop);
	close(quit_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_write_in_place(void **state)
{
	(void)state;
	write_file("persist/users.bal", "// changed\n");
	run_for(200);
	assert_int_equal(deliveries, 1);
	assert_models("users", NULL);
	assert_false(saw_rescan);
}

static void test_write_temp_and_rename(void **state)
{
	(void)state;
	write_file("persist/.users.bal.tmp123", "// new\n");
	do_rename("persist/.users.bal.tmp123", "persist/users.bal");
	run_for(200);
	assert_int_equal(deliveries, 1);
	assert_models("users", NULL);
}

static void test_vim_save(void **state)
{
	(void)state;
	/* vim: swap file, the 4913 probe, a ~ backup by rename, a new file, backup removed. */
	write_file("persist/.users.bal.swp", "swap");
	write_file("persist/4913", "");
	do_unlink("persist/4913");
	do_rename("persist/users.bal", "persist/users.bal~");
	write_file("persist/users.bal", "// vim\n");
	do_unlink("persist/users.bal~");
	do_unlink("persist/.users.bal.swp");
	run_for(200);
	assert_int_equal(deliveries, 1);
	assert_models("users", NULL);
}

static void test_delete_and_recreate(void **state)
{
	(void)state;
	do_unlink("persist/users.bal");
	write_file("persist/users.bal", "// again\n");
	run_for(200);
	assert_int_equal(deliveries, 1);
	assert_models("users", NULL);
}

static void test_storm_is_one_delivery(void **state)
{
	char name[64];
	(void)state;
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "persist/m%d.bal", i % 3);
		write_file(name, "// storm\n");
	}
	run_for(300);
	assert_int_equal(deliveries, 1);
	assert_models("m0", "m1", "m2", NULL);
}

static void test_directory_layout(void **state)
{
	(void)state;
	do_mkdir("persist/orders");
	write_file("persist/orders/model.bal", "// orders\n");
	run_for(200);
	assert_true(deliveries >= 1);
	assert_models("orders", NULL);

	reset();
	write_file("persist/orders/model.bal", "// orders 2\n");
	write_file("persist/orders/notes.txt", "not a model\n");
	run_for(200);
	assert_int_equal(deliveries, 1);
	assert_models("orders", NULL);

	reset();
	do_mkdir("persist/migrations");
	write_file("persist/migrations/x.bal", "");
	run_for(200);
	assert_int_equal(deliveries, 0);
}

static void test_project_files(void **state)
{
	(void)state;
	write_file("Ballerina.toml", "[package]\nname = \"y\"\n");
	write_file("Config.toml", "[y]\nhost = \"localhost\"\n");
	write_file("main.bal", "public function main() {}\n");
	run_for(200);
	assert_int_equal(deliveries, 1);
	assert_true(saw_ballerina);
	assert_true(saw_config);
	assert_int_equal(n_models, 0);
}

static void test_persist_removed_and_recreated(void **state)
{
	char cmd[128];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/persist'", root);
	assert_int_equal(system(cmd), 0);
	run_for(200);
	assert_true(saw_rescan);

	reset();
	do_mkdir("persist");
	run_for(200);
	assert_true(saw_rescan);

	/* The new directory is watched again. */
	reset();
	write_file("persist/shop.bal", "// shop\n");
	run_for(200);
	assert_int_equal(deliveries, 1);
	assert_models("shop", NULL);
}

/* More events than the kernel queues (fs.inotify.max_queued_events) while the loop is not
 * reading: the watch sees IN_Q_OVERFLOW and asks for a full rescan. */
static void test_queue_overflow_means_rescan(void **state)
{
	unsigned long max = 16384;
	char p[256];
	FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	int fd;
	(void)state;

	if (f) {
		if (fscanf(f, "%lu", &max) != 1)
			max = 16384;
		fclose(f);
	}
	if (max > 200000)
		skip(); /* too many writes for a unit test */
	path_of(p, sizeof(p), "persist/users.bal");
	fd = open(p, O_WRONLY);
	assert_true(fd >= 0);
	/* Each write is one IN_MODIFY that the kernel does not merge with a different one in
	 * between: alternate two files. */
	for (unsigned long i = 0; i <= max; i++) {
		assert_int_equal(write(fd, "x", 1), 1);
		if (i % 2)
			write_file("Config.toml", "");
	}
	close(fd);
	run_for(300);
	assert_true(saw_rescan);
	assert_true(deliveries >= 1);

	/* Watching goes on after the overflow. */
	reset();
	write_file("persist/users.bal", "// after\n");
	run_for(200);
	assert_int_equal(deliveries, 1);
	assert_models("users", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_temp_and_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vim_save, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_and_recreate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storm_is_one_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_project_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persist_removed_and_recreated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_queue_overflow_means_rescan, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
