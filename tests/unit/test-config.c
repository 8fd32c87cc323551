#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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
	assert_int_equal(cfg->connection_memory_limit, 64 * 1024);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sizes_and_durations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_are_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
		cmocka_unit_test(test_every_key_has_a_valid_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
