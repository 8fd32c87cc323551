#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/fifo.h"

struct item {
	int id;
	char tag[12];
};

/* Elements come out in the order they went in, across the ring's wrap and its growth. */
static void test_order_across_wrap_and_growth(void **state)
{
	struct fifo f = FIFO_INIT(struct item);
	struct item it;
	int next_in = 0, next_out = 0;
	(void)state;

	assert_null(fifo_front(&f));
	assert_int_equal(fifo_pop(&f, &it), -ENOENT);
	/* push 10, pop 7, repeatedly: the head walks round the ring while it grows */
	for (int round = 0; round < 40; round++) {
		for (int i = 0; i < 10; i++) {
			it = (struct item){ .id = next_in++ };
			assert_int_equal(fifo_push(&f, &it), 0);
		}
		for (int i = 0; i < 7; i++) {
			assert_int_equal(((struct item *)fifo_front(&f))->id, next_out);
			assert_int_equal(fifo_pop(&f, &it), 0);
			assert_int_equal(it.id, next_out++);
		}
	}
	assert_int_equal(f.n, (size_t)(next_in - next_out));
	while (fifo_pop(&f, &it) == 0)
		assert_int_equal(it.id, next_out++);
	assert_int_equal(next_out, next_in);
	fifo_release(&f);
	assert_null(f.v);
}

/* After fifo_reserve(n), n pushes need no allocation: the ring does not move. */
static void test_reserve_keeps_pushes_in_place(void **state)
{
	struct fifo f = FIFO_INIT(struct item);
	struct item it = { .id = 1 };
	unsigned char *ring;
	(void)state;

	assert_int_equal(fifo_reserve(&f, 40), 0);
	ring = f.v;
	for (int i = 0; i < 40; i++)
		assert_int_equal(fifo_push(&f, &it), 0);
	assert_ptr_equal(f.v, ring);
	assert_int_equal(fifo_pop(&f, NULL), 0);
	assert_int_equal(f.n, 39);
	fifo_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_across_wrap_and_growth),
		cmocka_unit_test(test_reserve_keeps_pushes_in_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
