#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/request.h"
#include "api/router.h"
#include "base/alloc.h"

static void free_params(char **p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		mem_free(p[i]);
}

static void test_literal_paths(void **state)
{
	(void)state;
	assert_int_equal(route_match("/healthz", "/healthz", NULL, NULL), 1);
	assert_int_equal(route_match("/healthz", "/healthz/", NULL, NULL), 0);
	assert_int_equal(route_match("/healthz", "/health", NULL, NULL), 0);
	assert_int_equal(route_match("/healthz", "/", NULL, NULL), 0);
}

static void test_parameters(void **state)
{
	char *p[ROUTE_MAX_PARAMS];
	unsigned n = 0;
	(void)state;

	assert_int_equal(route_match("/models/{m}/data/{r}", "/models/shop/data/users", p, &n), 1);
	assert_int_equal(n, 2);
	assert_string_equal(p[0], "shop");
	assert_string_equal(p[1], "users");
	free_params(p, n);

	/* Empty segments never match a parameter. */
	assert_int_equal(route_match("/models/{m}", "/models/", p, &n), 0);
	assert_int_equal(route_match("/models/{m}", "/models//x", p, &n), 0);
	/* A parameter is one segment. */
	assert_int_equal(route_match("/models/{m}", "/models/a/b", p, &n), 0);
}

static void test_rest_parameter(void **state)
{
	static const char pat[] = "/models/{m}/data/{r}/{k...}";
	char *p[ROUTE_MAX_PARAMS];
	unsigned n = 0;
	(void)state;

	assert_int_equal(route_match(pat, "/models/shop/data/users/7", p, &n), 1);
	assert_int_equal(n, 3);
	assert_string_equal(p[2], "7");
	free_params(p, n);

	assert_int_equal(route_match(pat, "/models/shop/data/items/a/2/x", p, &n), 1);
	assert_int_equal(n, 5);
	assert_string_equal(p[2], "a");
	assert_string_equal(p[3], "2");
	assert_string_equal(p[4], "x");
	free_params(p, n);

	/* the escapes the server leaves are decoded in the parameter, after the split */
	assert_int_equal(route_match(pat, "/models/shop/data/users/a%2Fb/c%2f%252F", p, &n), 1);
	assert_int_equal(n, 4);
	assert_string_equal(p[2], "a/b");
	assert_string_equal(p[3], "c/%2F");
	free_params(p, n);

	/* at least one segment, none empty, no trailing slash */
	assert_int_equal(route_match(pat, "/models/shop/data/users", p, &n), 0);
	assert_int_equal(route_match(pat, "/models/shop/data/users/", p, &n), 0);
	assert_int_equal(route_match(pat, "/models/shop/data/users/a//b", p, &n), 0);
	assert_int_equal(route_match(pat, "/models/shop/data/users/a/", p, &n), 0);
	/* more segments than parameters fit: no match rather than a cut key */
	assert_int_equal(
		route_match(pat, "/models/m/data/r/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15", p, &n), 0);
}

static void test_oom_in_params(void **state)
{
	char *p[ROUTE_MAX_PARAMS];
	unsigned n = 0;
	(void)state;

	alloc_fail_after(1);
	assert_int_equal(route_match("/models/{m}/data/{r}", "/models/shop/data/users", p, &n),
			 -ENOMEM);
	alloc_fail_after(-1);
}

static void test_table_is_well_formed(void **state)
{
	unsigned n;
	const struct route *r = router_routes(&n);
	(void)state;

	assert_true(n >= 2);
	for (unsigned i = 0; i < n; i++) {
		assert_non_null(r[i].handler);
		assert_int_equal(r[i].pattern[0], '/');
		/* No two routes share method and pattern. */
		for (unsigned j = i + 1; j < n; j++)
			assert_false(strcmp(r[i].method, r[j].method) == 0 &&
				     strcmp(r[i].pattern, r[j].pattern) == 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_paths),	     cmocka_unit_test(test_parameters),
		cmocka_unit_test(test_rest_parameter),	     cmocka_unit_test(test_oom_in_params),
		cmocka_unit_test(test_table_is_well_formed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
