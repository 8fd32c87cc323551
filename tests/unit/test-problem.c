#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/problem.h"

static void test_errno_table(void **state)
{
	static const struct {
		int error;
		unsigned status;
	} cases[] = {
		{ -EINVAL, 400 },     { -EACCES, 403 },	      { -EPERM, 403 },
		{ -ENOENT, 404 },     { -EEXIST, 409 },	      { -EMSGSIZE, 413 },
		{ -EBADMSG, 422 },    { -EOPNOTSUPP, 501 },   { -ECONNREFUSED, 503 },
		{ -ECONNRESET, 503 }, { -EHOSTUNREACH, 503 }, { -EBUSY, 503 },
		{ -ENOMEM, 503 },     { -EAGAIN, 503 },	      { -ETIMEDOUT, 503 },
		{ -ENOLINK, 422 },    { -EIO, 500 },	      { -ENOSPC, 507 },
		{ 0, 500 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(http_status_from_errno(cases[i].error), cases[i].status);
		/* Either sign maps the same way. */
		assert_int_equal(http_status_from_errno(-cases[i].error), cases[i].status);
	}
}

static void test_problem_shape(void **state)
{
	json_t *p = problem_from_errno(-ENOENT, "no model 'x'", "/models/x");
	(void)state;

	assert_non_null(p);
	assert_string_equal(json_string_value(json_object_get(p, "type")),
			    "urn:persistd:problem:not-found");
	assert_int_equal(json_integer_value(json_object_get(p, "status")), 404);
	assert_string_equal(json_string_value(json_object_get(p, "code")), "not_found");
	assert_string_equal(json_string_value(json_object_get(p, "detail")), "no model 'x'");
	assert_string_equal(json_string_value(json_object_get(p, "instance")), "/models/x");
	assert_non_null(json_object_get(p, "title"));
	json_decref(p);

	p = problem_new(405, "method_not_allowed", "method not allowed", NULL, NULL);
	assert_non_null(p);
	assert_null(json_object_get(p, "detail"));
	assert_null(json_object_get(p, "instance"));
	json_decref(p);
}

static void test_reason_phrases(void **state)
{
	(void)state;
	assert_string_equal(http_reason_phrase(404), "Not Found");
	assert_string_equal(http_reason_phrase(413), "Content Too Large");
	assert_string_equal(http_reason_phrase(599), "Unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_table),
		cmocka_unit_test(test_problem_shape),
		cmocka_unit_test(test_reason_phrases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
