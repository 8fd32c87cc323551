#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/buf.h"

static void test_empty_buffer_is_valid_string(void **state)
{
	struct buf b = BUF_INIT(16);
	(void)state;

	assert_non_null(b.buf);
	assert_string_equal(b.buf, "");
	assert_int_equal(b.len, 0);
	buf_release(&b);
	assert_string_equal(b.buf, "");
}

static void test_add_and_format(void **state)
{
	_cleanup_buf_ struct buf b = BUF_INIT(1024);
	(void)state;

	assert_int_equal(buf_adds(&b, "hello"), 0);
	assert_int_equal(buf_addc(&b, ' '), 0);
	assert_int_equal(buf_addf(&b, "%s %d", "world", 42), 0);
	assert_string_equal(b.buf, "hello world 42");
	assert_int_equal(b.len, strlen("hello world 42"));
	buf_truncate(&b, 5);
	assert_string_equal(b.buf, "hello");
	assert_int_equal(buf_addch(&b, '!', 3), 0);
	assert_string_equal(b.buf, "hello!!!");
}

static void test_long_format_grows(void **state)
{
	_cleanup_buf_ struct buf b = BUF_INIT(100000);
	char big[5000];
	(void)state;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_addf(&b, "<%s>", big), 0);
	assert_int_equal(b.len, sizeof(big) + 1);
	assert_int_equal(b.buf[0], '<');
	assert_int_equal(b.buf[b.len - 1], '>');
}

static void test_cap_enforced_and_buffer_released(void **state)
{
	struct buf b = BUF_INIT(8);
	(void)state;

	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_int_equal(buf_addc(&b, '9'), -EMSGSIZE);
	/* A failing add leaves the buffer released, never half-built. */
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	assert_int_equal(buf_addf(&b, "%s", "way too long for this"), -EMSGSIZE);
	assert_int_equal(b.len, 0);
}

static void test_detach_transfers_memory(void **state)
{
	struct buf b = BUF_INIT(64);
	size_t len = 0;
	char *p;
	(void)state;

	p = buf_detach(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "");
	mem_free(p);

	assert_int_equal(buf_adds(&b, "abc"), 0);
	p = buf_detach(&b, &len);
	assert_string_equal(p, "abc");
	assert_int_equal(len, 3);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	mem_free(p);
	buf_release(&b);
}

static void test_oom_releases(void **state)
{
	struct buf b = BUF_INIT(1 << 20);
	(void)state;

	alloc_fail_after(0);
	assert_int_equal(buf_adds(&b, "x"), -ENOMEM);
	assert_true(alloc_failed());
	alloc_fail_after(-1);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_adds(&b, "x"), 0);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_buffer_is_valid_string),
		cmocka_unit_test(test_add_and_format),
		cmocka_unit_test(test_long_format_grows),
		cmocka_unit_test(test_cap_enforced_and_buffer_released),
		cmocka_unit_test(test_detach_transfers_memory),
		cmocka_unit_test(test_oom_releases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
