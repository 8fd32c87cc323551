#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/socket-util.h"
#include "base/strutil.h"

static void test_numbers(void **state)
{
	uint64_t u;
	int64_t i;
	unsigned v;
	(void)state;

	assert_int_equal(safe_atou64("0", &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(safe_atou64("18446744073709551615", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(safe_atou64("18446744073709551616", &u), -ERANGE);
	assert_int_equal(safe_atou64("", &u), -EINVAL);
	assert_int_equal(safe_atou64("-1", &u), -EINVAL);
	assert_int_equal(safe_atou64("+1", &u), -EINVAL);
	assert_int_equal(safe_atou64("1x", &u), -EINVAL);
	assert_int_equal(safe_atoi64("-9223372036854775808", &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(safe_atoi64("-", &i), -EINVAL);
	assert_int_equal(safe_atou("4294967296", &v), -ERANGE);
}

static void test_prefix_suffix(void **state)
{
	(void)state;
	assert_string_equal(startswith("persist/users.bal", "persist/"), "users.bal");
	assert_null(startswith("persist", "persist/"));
	assert_true(endswith("users.bal", ".bal"));
	assert_false(endswith("bal", ".bal"));
	assert_true(streq_ptr(NULL, NULL));
	assert_false(streq_ptr("a", NULL));
}

static void test_listen_addresses(void **state)
{
	struct listen_addr a;
	(void)state;

	assert_int_equal(listen_addr_parse("127.0.0.1:7070", &a), 0);
	assert_true(listen_addr_is_loopback(&a));
	assert_int_equal(listen_addr_parse("[::1]:80", &a), 0);
	assert_true(listen_addr_is_loopback(&a));
	assert_int_equal(listen_addr_parse("localhost:0", &a), 0);
	assert_true(listen_addr_is_loopback(&a));
	assert_int_equal(listen_addr_parse("0.0.0.0:7070", &a), 0);
	assert_false(listen_addr_is_loopback(&a));
	assert_int_equal(listen_addr_parse("10.1.2.3:1", &a), 0);
	assert_false(listen_addr_is_loopback(&a));
	assert_int_equal(listen_addr_parse("127.0.0.1", &a), -EINVAL);
	assert_int_equal(listen_addr_parse("127.0.0.1:65536", &a), -EINVAL);
	assert_int_equal(listen_addr_parse("::1:80", &a), -EINVAL);
	assert_int_equal(listen_addr_parse("[::1]80", &a), -EINVAL);
	assert_int_equal(listen_addr_parse("example.com:80", &a), -EINVAL);
	assert_int_equal(listen_addr_parse(":80", &a), -EINVAL);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(utf8_is_valid(""));
	assert_true(utf8_is_valid("plain ascii"));
	assert_true(utf8_is_valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
	assert_true(utf8_is_valid("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
	assert_false(utf8_is_valid("\xff"));
	assert_false(utf8_is_valid("\x80"));
	assert_false(utf8_is_valid("\xc3")); /* cut short */
	assert_false(utf8_is_valid("\xc0\xaf")); /* overlong '/' */
	assert_false(utf8_is_valid("\xe0\x80\xaf")); /* overlong '/' */
	assert_false(utf8_is_valid("\xed\xa0\x80")); /* surrogate U+D800 */
	assert_false(utf8_is_valid("\xf4\x90\x80\x80")); /* above U+10FFFF */
	assert_false(utf8_is_valid("ok\xe2\x82"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_prefix_suffix),
		cmocka_unit_test(test_listen_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
