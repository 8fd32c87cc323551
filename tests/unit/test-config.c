#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/fileio.h"
#include "daemon/daemon-config.h"

static int setup(void **state)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg || config_init(cfg) < 0)
		return -1;
	*state = cfg;
	return 0;
}

static int teardown(void **state)
{
	config_release(*state);
	free(*state);
	return 0;
}

static void test_defaults(void **state)
{
	struct config *cfg = *state;

	assert_string_equal(cfg->listen, "127.0.0.1:7070");
	assert_string_equal(cfg->project, ".");
	assert_int_equal(cfg->max_body_bytes, 1 << 20);
	assert_int_equal(cfg->max_connections, 256);
	assert_int_equal(cfg->connection_memory_limit, 32 * 1024);
	assert_int_equal(cfg->debounce_ms, 20);
	assert_int_equal(cfg->max_file_bytes, 1 << 20);
	assert_null(cfg->api_token);
}

static void test_sizes_and_durations(void **state)
{
	struct config *cfg = *state;

	assert_int_equal(config_set(cfg, "http.max_body_bytes", "2M"), 0);
	assert_int_equal(cfg->max_body_bytes, 2 << 20);
	assert_int_equal(config_set(cfg, "http.max_body_bytes", "4096"), 0);
	assert_int_equal(cfg->max_body_bytes, 4096);
	assert_int_equal(config_set(cfg, "http.max_body_bytes", "16KiB"), 0);
	assert_int_equal(cfg->max_body_bytes, 16384);
	assert_int_equal(config_set(cfg, "models.debounce", "1s"), 0);
	assert_int_equal(cfg->debounce_ms, 1000);
	assert_int_equal(config_set(cfg, "models.debounce", "75ms"), 0);
	assert_int_equal(cfg->debounce_ms, 75);
}

static void test_limits_are_enforced(void **state)
{
	struct config *cfg = *state;

	/* Out of range keeps the old value. */
	assert_int_equal(config_set(cfg, "http.max_body_bytes", "0"), -ERANGE);
	assert_int_equal(cfg->max_body_bytes, 1 << 20);
	assert_int_equal(config_set(cfg, "http.max_body_bytes", "2G"), -ERANGE);
	assert_int_equal(config_set(cfg, "http.threads", "0"), -ERANGE);
	assert_int_equal(config_set(cfg, "http.threads", "100000"), -ERANGE);
	assert_int_equal(config_set(cfg, "http.connection_memory_limit", "1K"), -ERANGE);
	assert_int_equal(config_set(cfg, "http.threads", "99999999999999999999999"), -ERANGE);
}

static void test_malformed_and_unknown(void **state)
{
	struct config *cfg = *state;

	assert_int_equal(config_set(cfg, "http.threads", "four"), -EINVAL);
	assert_int_equal(config_set(cfg, "http.threads", "-1"), -EINVAL);
	assert_int_equal(config_set(cfg, "http.threads", " 4"), -EINVAL);
	assert_int_equal(config_set(cfg, "http.max_body_bytes", "12X"), -EINVAL);
	assert_int_equal(config_set(cfg, "log.level", "loud"), -EINVAL);
	assert_int_equal(config_set(cfg, "no.such.key", "1"), -ENOENT);
	assert_int_equal(config_set(cfg, "log.level", "debug"), 0);
	assert_int_equal(cfg->log_level, 7);
}

static void test_environment(void **state)
{
	struct config *cfg = *state;
	char err[128];

	setenv("PERSISTD_HTTP_THREADS", "7", 1);
	assert_int_equal(config_apply_env(cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->threads, 7);
	setenv("PERSISTD_HTTP_THREADS", "zero", 1);
	assert_int_equal(config_apply_env(cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "PERSISTD_HTTP_THREADS"));
	unsetenv("PERSISTD_HTTP_THREADS");
}

static void test_every_key_has_a_valid_default(void **state)
{
	size_t n;
	const struct config_key *k = config_keys(&n);
	struct config c;
	(void)state;

	assert_true(n > 0);
	assert_int_equal(config_init(&c), 0);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(k[i].help);
		assert_ptr_equal(config_key_find(k[i].name), &k[i]);
		if (k[i].default_value)
			assert_int_equal(config_set(&c, k[i].name, k[i].default_value), 0);
	}
	config_release(&c);
}

static int load(struct config *cfg, const char *text, struct pd_error *err)
{
	*err = (struct pd_error){ 0 };
	return config_load_toml(cfg, text, strlen(text), "persistd.conf", err);
}

static void test_file_values(void **state)
{
	struct config *cfg = *state;
	struct pd_error err;

	assert_int_equal(load(cfg,
			      "# persistd\n"
			      "project = \"/srv/shop\"\n"
			      "[http]\n"
			      "listen = \"0.0.0.0:8080\"\n"
			      "max_body_bytes = \"2M\"\n"
			      "threads = 8\n"
			      "shutdown_timeout = \"5s\"\n"
			      "[log]\n"
			      "level = \"debug\"\n"
			      "[models]\n"
			      "max_file_bytes = 65536\n"
			      "debounce = 50\n",
			      &err),
			 0);
	assert_string_equal(cfg->project, "/srv/shop");
	assert_string_equal(cfg->listen, "0.0.0.0:8080");
	assert_int_equal(cfg->max_body_bytes, 2 << 20);
	assert_int_equal(cfg->threads, 8);
	assert_int_equal(cfg->shutdown_timeout_ms, 5000);
	assert_int_equal(cfg->log_level, 7);
	assert_int_equal(cfg->max_file_bytes, 65536);
	assert_int_equal(cfg->debounce_ms, 50);
	/* Dotted keys and inline tables name the same keys. */
	assert_int_equal(load(cfg, "http.threads = 2\nmodels = { debounce = \"1s\" }\n", &err), 0);
	assert_int_equal(cfg->threads, 2);
	assert_int_equal(cfg->debounce_ms, 1000);
}

static void test_file_errors(void **state)
{
	struct config *cfg = *state;
	struct pd_error err;
	char text[1024];

	assert_int_equal(load(cfg, "[http]\nlisten = \"x:1\"\nlsten = \"y\"\n", &err), -EINVAL);
	assert_int_equal(err.line, 3);
	pd_error_format(&err, text, sizeof(text));
	assert_string_equal(text, "persistd.conf:3:1: unknown configuration key 'http.lsten'");

	assert_int_equal(load(cfg, "\n[htp]\nlisten = 1\n", &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.text, "'htp'"));

	assert_int_equal(load(cfg, "[http]\nthreads = \"many\"\n", &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.text, "'http.threads'"));

	assert_int_equal(load(cfg, "[http]\nlisten = 8080\n", &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 10);
	assert_non_null(strstr(err.text, "must be a string"));

	assert_int_equal(load(cfg, "http.threads = 0\n", &err), -ERANGE);
	assert_non_null(strstr(err.text, "out of range"));
	assert_int_equal(load(cfg, "http.threads = -4\n", &err), -EINVAL);
	assert_int_equal(load(cfg, "http.threads = 1.5\n", &err), -EINVAL);
	assert_int_equal(load(cfg, "http = 1\n", &err), -EINVAL);
	assert_int_equal(load(cfg, "http.listen = [\"a\"]\n", &err), -EINVAL);

	/* Not TOML at all. */
	assert_int_equal(load(cfg, "[http\n", &err), -EBADMSG);
	assert_int_equal(err.line, 1);
	/* Failed loads left the earlier values alone here, but callers use a fresh config. */
	assert_string_equal(cfg->listen, "x:1");
}

static void test_file_on_disk(void **state)
{
	struct config *cfg = *state;
	char path[] = "/tmp/test-config-XXXXXX";
	struct pd_error err = { 0 };
	int fd = mkstemp(path);
	const char text[] = "[http]\nlisten = \"127.0.0.1:9000\"\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	(void)close(fd);
	assert_int_equal(config_load_file(cfg, path, &err), 0);
	assert_string_equal(cfg->listen, "127.0.0.1:9000");
	(void)unlink(path);
	assert_int_equal(config_load_file(cfg, path, &err), -ENOENT);
	assert_string_equal(err.file, path);
}

static void test_reload(void **state)
{
	struct config *cfg = *state;
	struct config next;
	struct pd_error err;
	size_t n;
	const struct config_key *k = config_keys(&n);

	assert_int_equal(config_init(&next), 0);
	for (size_t i = 0; i < n; i++)
		assert_true(config_key_equal(cfg, &next, &k[i]));
	assert_int_equal(load(&next,
			      "layout = \"directory\"\n"
			      "[http]\nlisten = \"127.0.0.1:1\"\napi_token = \"t\"\n"
			      "[log]\nlevel = \"warning\"\n",
			      &err),
			 0);
	assert_false(config_key_equal(cfg, &next, config_key_find("http.listen")));
	/* Reloadable keys are applied, the others wait for a restart. */
	assert_int_equal(config_apply_reload(cfg, &next), 2);
	assert_string_equal(cfg->layout, "directory");
	assert_int_equal(cfg->log_level, 4);
	assert_string_equal(cfg->listen, "127.0.0.1:7070");
	assert_null(cfg->api_token);
	assert_int_equal(config_apply_reload(cfg, &next), 0);
	config_release(&next);
}

/* systemd/persistd.conf.example lists every key with its default: with the '#' removed it
 * loads, names every key of the table, and changes nothing but the two tokens. */
static void test_example_file(void **state)
{
	const char *top = getenv("top_srcdir");
	struct buf in = BUF_INIT(1 << 20), out = BUF_INIT(1 << 20);
	struct config cfg, def;
	struct pd_error err = { 0 };
	char path[1024];
	size_t n;
	const struct config_key *k = config_keys(&n);

	(void)state;
	(void)snprintf(path, sizeof(path), "%s/systemd/persistd.conf.example", top ? top : ".");
	assert_int_equal(read_file_capped(path, 1 << 20, &in), 0);
	for (const char *line = in.buf; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strstr(line, " = "))
			assert_int_equal(buf_add(&out, line + 1, len - 1), 0);
		else
			assert_int_equal(buf_add(&out, line, len), 0);
		line += len;
	}
	assert_int_equal(config_init(&cfg), 0);
	assert_int_equal(config_init(&def), 0);
	assert_int_equal(config_load_toml(&cfg, out.buf, out.len, path, &err), 0);
	for (size_t i = 0; i < n; i++) {
		const char *dot = strrchr(k[i].name, '.');
		char want[128];

		(void)snprintf(want, sizeof(want), "\n#%s = ", dot ? dot + 1 : k[i].name);
		if (!strstr(in.buf, want))
			print_error("'%s' is missing from the example\n", k[i].name);
		assert_non_null(strstr(in.buf, want));
		if (k[i].default_value)
			assert_true(config_key_equal(&cfg, &def, &k[i]));
	}
	config_release(&cfg);
	config_release(&def);
	buf_release(&in);
	buf_release(&out);
}

/* persistd(8) describes every key of the table. */
static void test_man_page_lists_every_key(void **state)
{
	const char *top = getenv("top_srcdir");
	struct buf page = BUF_INIT(1 << 20);
	char path[1024], want[160];
	size_t n;
	const struct config_key *k = config_keys(&n);

	(void)state;
	(void)snprintf(path, sizeof(path), "%s/man/persistd.8", top ? top : ".");
	assert_int_equal(read_file_capped(path, 1 << 20, &page), 0);
	for (size_t i = 0; i < n; i++) {
		(void)snprintf(want, sizeof(want), "\n.B %s\n", k[i].name);
		if (!strstr(page.buf, want))
			print_error("'%s' is missing from man/persistd.8\n", k[i].name);
		assert_non_null(strstr(page.buf, want));
	}
	buf_release(&page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sizes_and_durations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_are_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
		cmocka_unit_test(test_every_key_has_a_valid_default),
		cmocka_unit_test(test_man_page_lists_every_key),
		cmocka_unit_test_setup_teardown(test_file_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_on_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test(test_example_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
