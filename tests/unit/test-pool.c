/* The connection pool against a small fake backend whose connects, pings and resets the tests
 * steer, plus the in-memory backend through the trace wrapper. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/alloc.h"
#include "connectors/connector.h"
#include "connectors/pool.h"
#include "tests/integration/connector-test-model.h"

/* ---- a fake backend ---- */

static atomic_int fake_down; /* connects fail with -ECONNREFUSED */
static atomic_int fake_ping_fails;
static atomic_int fake_reset_fails;
static atomic_int fake_connects, fake_disconnects, fake_pings;
static atomic_int fake_live, fake_live_max;

struct fake_conn {
	struct conn base;
	int id;
	char err[64];
};

static int fake_connect(struct conn *c, const void *cfg, usec_t timeout)
{
	struct fake_conn *f = (struct fake_conn *)c;
	int live;
	(void)cfg;
	(void)timeout;

	atomic_fetch_add(&fake_connects, 1);
	if (atomic_load(&fake_down)) {
		(void)snprintf(f->err, sizeof(f->err), "connection refused");
		return -ECONNREFUSED;
	}
	live = atomic_fetch_add(&fake_live, 1) + 1;
	for (int m = atomic_load(&fake_live_max); live > m; m = atomic_load(&fake_live_max))
		if (atomic_compare_exchange_weak(&fake_live_max, &m, live))
			break;
	f->id = atomic_load(&fake_connects);
	return 0;
}

static void fake_disconnect(struct conn *c)
{
	(void)c;
	atomic_fetch_add(&fake_disconnects, 1);
	atomic_fetch_sub(&fake_live, 1);
}

static int fake_ping(struct conn *c, usec_t timeout)
{
	struct fake_conn *f = (struct fake_conn *)c;
	(void)timeout;

	atomic_fetch_add(&fake_pings, 1);
	if (atomic_load(&fake_ping_fails)) {
		(void)snprintf(f->err, sizeof(f->err), "server closed the connection");
		c->broken = true;
		return -ECONNRESET;
	}
	return 0;
}

static int fake_reset(struct conn *c)
{
	(void)c;
	return atomic_load(&fake_reset_fails) ? -EIO : 0;
}

static const char *fake_last_error(const struct conn *c)
{
	return ((const struct fake_conn *)c)->err;
}

static const struct connector_ops fake_ops = {
	.name = "fake",
	.conn_size = sizeof(struct fake_conn),
	.connect = fake_connect,
	.disconnect = fake_disconnect,
	.ping = fake_ping,
	.reset = fake_reset,
	.last_error = fake_last_error,
};

static int reset_fake(void **state)
{
	(void)state;
	atomic_store(&fake_down, 0);
	atomic_store(&fake_ping_fails, 0);
	atomic_store(&fake_reset_fails, 0);
	atomic_store(&fake_connects, 0);
	atomic_store(&fake_disconnects, 0);
	atomic_store(&fake_pings, 0);
	atomic_store(&fake_live, 0);
	atomic_store(&fake_live_max, 0);
	return 0;
}

static struct pool *new_pool(unsigned min, unsigned max)
{
	struct pool_config cfg;
	struct pool *p = NULL;

	pool_config_init(&cfg);
	cfg.min_size = min;
	cfg.max_size = max;
	cfg.backoff_min = 50 * USEC_PER_MSEC;
	cfg.backoff_max = 200 * USEC_PER_MSEC;
	assert_int_equal(pool_new(&fake_ops, NULL, &cfg, &p, NULL), 0);
	return p;
}

static usec_t mono(void)
{
	return now_usec(CLOCK_MONOTONIC);
}

static void test_reuse(void **state)
{
	struct pool *p = new_pool(0, 2);
	struct conn *a = NULL, *b = NULL;
	struct pool_stats st;
	(void)state;

	assert_int_equal(pool_acquire(p, 0, &a), 0);
	assert_ptr_equal(a->pool, p);
	pool_release(a);
	assert_int_equal(pool_acquire(p, 0, &b), 0);
	assert_ptr_equal(a, b); /* the idle connection came back */
	pool_get_stats(p, &st);
	assert_int_equal(st.size, 1);
	assert_int_equal(st.in_use, 1);
	assert_int_equal(st.idle, 0);
	assert_int_equal(st.opened, 1);
	assert_int_equal(st.acquires, 2);
	pool_release(b);
	pool_get_stats(p, &st);
	assert_int_equal(st.idle, 1);
	assert_int_equal(st.in_use, 0);
	pool_unref(p);
	assert_int_equal(atomic_load(&fake_live), 0);
	assert_int_equal(atomic_load(&fake_disconnects), 1);
}

static void test_busy(void **state)
{
	struct pool *p = new_pool(0, 2);
	struct conn *a = NULL, *b = NULL, *c = NULL;
	struct pool_stats st;
	usec_t t0;
	(void)state;

	assert_int_equal(pool_acquire(p, 0, &a), 0);
	assert_int_equal(pool_acquire(p, 0, &b), 0);
	assert_int_equal(pool_acquire(p, 0, &c), -EBUSY);
	assert_null(c);
	t0 = mono();
	assert_int_equal(pool_acquire(p, 50 * USEC_PER_MSEC, &c), -EBUSY);
	assert_true(mono() - t0 >= 45 * USEC_PER_MSEC);
	pool_get_stats(p, &st);
	assert_int_equal(st.timeouts, 2);
	assert_int_equal(st.waits, 2);
	assert_int_equal(st.size, 2);
	pool_release(a);
	pool_release(b);
	/* the pool outlives its last reference while a connection is out */
	assert_int_equal(pool_acquire(p, 0, &c), 0);
	pool_unref(p);
	pool_release(c);
	assert_int_equal(atomic_load(&fake_live), 0);
}

struct waiter {
	struct pool *p;
	int r;
	usec_t waited;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct conn *c = NULL;
	usec_t t0 = mono();

	w->r = pool_acquire(w->p, 5 * USEC_PER_SEC, &c);
	w->waited = mono() - t0;
	pool_release(c);
	return NULL;
}

static void test_waiter_wakes(void **state)
{
	struct pool *p = new_pool(0, 1);
	struct conn *a = NULL;
	struct waiter w = { .p = p };
	struct pool_stats st;
	pthread_t t;
	(void)state;

	assert_int_equal(pool_acquire(p, 0, &a), 0);
	assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
	for (int i = 0; i < 200; i++) {
		pool_get_stats(p, &st);
		if (st.waiting)
			break;
		usleep(1000);
	}
	assert_int_equal(st.waiting, 1);
	pool_release(a);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.r, 0);
	assert_true(w.waited < 5 * USEC_PER_SEC);
	pool_unref(p);
}

static void test_broken_destroyed(void **state)
{
	struct pool *p = new_pool(0, 2);
	struct conn *a = NULL, *b = NULL;
	struct pool_stats st;
	(void)state;

	assert_int_equal(pool_acquire(p, 0, &a), 0);
	a->broken = true;
	pool_release(a);
	pool_get_stats(p, &st);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.closed, 1);
	/* a failing reset destroys it too */
	assert_int_equal(pool_acquire(p, 0, &b), 0);
	atomic_store(&fake_reset_fails, 1);
	pool_release(b);
	pool_get_stats(p, &st);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.closed, 2);
	assert_int_equal(atomic_load(&fake_live), 0);
	pool_unref(p);
}

/* One connection found broken makes the idle ones suspect: each is pinged before its next use,
 * even inside check_delay, so a store restart costs one failed request, not one per
 * connection. */
static void test_broken_makes_idle_suspect(void **state)
{
	struct pool *p = new_pool(0, 3);
	struct conn *a = NULL, *b = NULL, *c = NULL;
	(void)state;

	assert_int_equal(pool_acquire(p, 0, &a), 0);
	assert_int_equal(pool_acquire(p, 0, &b), 0);
	assert_int_equal(pool_acquire(p, 0, &c), 0);
	pool_release(b);
	pool_release(c);
	assert_int_equal(atomic_load(&fake_pings), 0);
	a->broken = true;
	pool_release(a);
	/* the dead idle ones are found by their ping and replaced by a fresh connection */
	atomic_store(&fake_ping_fails, 1);
	assert_int_equal(pool_acquire(p, 0, &a), 0);
	assert_int_equal(atomic_load(&fake_pings), 2);
	assert_int_equal(((struct fake_conn *)a)->id, 4);
	atomic_store(&fake_ping_fails, 0);
	pool_release(a);
	/* a healthy reused connection is not pinged again */
	assert_int_equal(pool_acquire(p, 0, &a), 0);
	assert_int_equal(atomic_load(&fake_pings), 2);
	pool_release(a);
	pool_unref(p);
	assert_int_equal(atomic_load(&fake_live), 0);
}

static void test_store_down_backoff(void **state)
{
	struct pool *p = new_pool(0, 2);
	struct conn *a = NULL;
	struct pool_stats st;
	char err[128];
	usec_t t0;
	(void)state;

	atomic_store(&fake_down, 1);
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &a), -ECONNREFUSED);
	assert_int_equal(atomic_load(&fake_connects), 1);
	pool_last_error(p, err, sizeof(err));
	assert_string_equal(err, "connection refused");
	/* inside the backoff window: fail fast without connecting */
	t0 = mono();
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &a), -ECONNREFUSED);
	assert_true(mono() - t0 < 20 * USEC_PER_MSEC);
	assert_int_equal(atomic_load(&fake_connects), 1);
	pool_get_stats(p, &st);
	assert_true(st.store_down);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.size, 0);

	/* after the window: one more attempt, the delay doubles */
	usleep(60 * 1000);
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &a), -ECONNREFUSED);
	assert_int_equal(atomic_load(&fake_connects), 2);
	usleep(60 * 1000);
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &a), -ECONNREFUSED);
	assert_int_equal(atomic_load(&fake_connects), 2);

	/* the store comes back: the pool recovers after the delay */
	atomic_store(&fake_down, 0);
	usleep(60 * 1000);
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &a), 0);
	pool_get_stats(p, &st);
	assert_false(st.store_down);
	pool_release(a);
	pool_unref(p);
}

static void test_health_check(void **state)
{
	struct pool_config cfg;
	struct pool *p = NULL;
	struct conn *a = NULL, *b = NULL;
	struct pool_stats st;
	(void)state;

	pool_config_init(&cfg);
	cfg.check_delay = 0; /* ping on every reuse */
	assert_int_equal(pool_new(&fake_ops, NULL, &cfg, &p, NULL), 0);
	assert_int_equal(pool_acquire(p, 0, &a), 0);
	assert_int_equal(atomic_load(&fake_pings), 0); /* a new connection is not pinged */
	pool_release(a);
	atomic_store(&fake_ping_fails, 1);
	assert_int_equal(pool_acquire(p, 0, &b), 0);
	assert_int_not_equal(((struct fake_conn *)b)->id, 1);
	assert_int_equal(atomic_load(&fake_pings), 1);
	assert_int_equal(atomic_load(&fake_connects), 2);
	pool_get_stats(p, &st);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.closed, 1);
	assert_int_equal(st.size, 1);
	pool_release(b);
	pool_unref(p);
	assert_int_equal(atomic_load(&fake_live), 0);
}

static void test_janitor(void **state)
{
	struct pool *p = new_pool(2, 4);
	struct conn *c[4];
	struct pool_stats st;
	usec_t t;
	(void)state;

	/* fills up to min_size */
	assert_int_equal(pool_janitor(p, mono()), 2);
	pool_get_stats(p, &st);
	assert_int_equal(st.size, 2);
	assert_int_equal(st.idle, 2);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pool_acquire(p, 0, &c[i]), 0);
	for (int i = 0; i < 4; i++)
		pool_release(c[i]);
	/* idle past idle_timeout: back down to min_size */
	t = mono();
	assert_int_equal(pool_janitor(p, t + 601 * USEC_PER_SEC), 2);
	pool_get_stats(p, &st);
	assert_int_equal(st.size, 2);
	/* past max_lifetime: even the minimum is replaced */
	assert_int_equal(pool_janitor(p, t + 3601 * USEC_PER_SEC), 4);
	pool_get_stats(p, &st);
	assert_int_equal(st.size, 2);
	assert_int_equal(atomic_load(&fake_live), 2);

	/* a down store: the janitor reports it and keeps nothing reserved */
	pool_unref(p);
	p = new_pool(2, 4);
	atomic_store(&fake_down, 1);
	assert_int_equal(pool_janitor(p, mono()), -ECONNREFUSED);
	pool_get_stats(p, &st);
	assert_int_equal(st.size, 0);
	assert_true(st.store_down);
	/* within the backoff it does not even try */
	assert_int_equal(pool_janitor(p, mono()), 0);
	atomic_store(&fake_down, 0);
	assert_int_equal(pool_janitor(p, mono() + USEC_PER_SEC), 2);
	pool_unref(p);
}

#define N_THREADS 6
#define N_ROUNDS  300

static void *hammer_main(void *arg)
{
	struct pool *p = arg;

	for (int i = 0; i < N_ROUNDS; i++) {
		struct conn *c = NULL;
		if (pool_acquire(p, 5 * USEC_PER_SEC, &c) < 0)
			return (void *)1;
		if (i % 50 == 7)
			c->broken = true;
		pool_release(c);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct pool *p = new_pool(0, 3);
	pthread_t t[N_THREADS];
	struct pool_stats st;
	(void)state;

	for (int i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer_main, p), 0);
	for (int i = 0; i < N_THREADS; i++) {
		void *res = NULL;
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
	assert_true(atomic_load(&fake_live_max) <= 3);
	pool_get_stats(p, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.acquires, N_THREADS * N_ROUNDS);
	assert_true(st.size <= 3);
	pool_unref(p);
	assert_int_equal(atomic_load(&fake_live), 0);
}

static void test_trace_inmemory(void **state)
{
	_cleanup_(model_file_freep) struct model_file *mf = connector_test_model_parse();
	struct pool_config cfg;
	struct pool *p = NULL;
	struct conn *c = NULL;
	json_t *rec, *key = NULL, *got = NULL;
	(void)state;

	assert_non_null(mf);
	pool_config_init(&cfg);
	cfg.trace = true;
	assert_int_equal(pool_new(&inmemory_ops, NULL, &cfg, &p, NULL), 0);
	assert_string_equal(pool_ops(p)->name, "inmemory");
	assert_true(pool_ops(p) != &inmemory_ops);
	assert_true(connector_has(pool_ops(p), CONN_CAP_TRANSACTIONS));
	assert_int_equal(pool_acquire(p, 0, &c), 0);
	rec = json_pack("{s:s,s:s}", "deptNo", "D1", "deptName", "Eng");
	assert_int_equal(conn_create(c, model_find_entity(mf, "Department"), rec, &key), 0);
	assert_int_equal(conn_create(c, model_find_entity(mf, "Department"), rec, &got), -EEXIST);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key 'D1' already exists for the entity 'Department'.");
	assert_int_equal(conn_apply_sql(c, "x"), -EOPNOTSUPP);
	pool_release(c);
	/* another connection of the pool sees the same store */
	assert_int_equal(pool_acquire(p, 0, &c), 0);
	assert_int_equal(conn_read(c, model_find_entity(mf, "Department"), key, &got), 0);
	assert_true(json_equal(got, rec));
	pool_release(c);
	json_decref(rec);
	json_decref(key);
	json_decref(got);
	pool_unref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reuse, reset_fake),
		cmocka_unit_test_setup(test_busy, reset_fake),
		cmocka_unit_test_setup(test_waiter_wakes, reset_fake),
		cmocka_unit_test_setup(test_broken_destroyed, reset_fake),
		cmocka_unit_test_setup(test_broken_makes_idle_suspect, reset_fake),
		cmocka_unit_test_setup(test_store_down_backoff, reset_fake),
		cmocka_unit_test_setup(test_health_check, reset_fake),
		cmocka_unit_test_setup(test_janitor, reset_fake),
		cmocka_unit_test_setup(test_concurrent, reset_fake),
		cmocka_unit_test_setup(test_trace_inmemory, reset_fake),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
