/* One connection pool per bound model (STYLE.md §2, after PgBouncer's janitor).
 *
 * Idle and busy connections sit on two lists under one mutex. pool_acquire() reuses the most
 * recently released idle connection (pinging it first when it sat idle longer than
 * check_delay), opens a new one while the pool is below max_size, or waits on a condition
 * variable; a wait that runs out is -EBUSY (HTTP 503). When connecting fails the store counts as
 * down: until the backoff delay has passed, every acquire that would connect fails at once with
 * the last connect error (-ECONNREFUSED, ...), and each failed attempt doubles the delay up to
 * backoff_max. The main loop calls pool_janitor() on a timer: it closes idle connections past
 * idle_timeout (above min_size) or max_lifetime and opens connections up to min_size.
 *
 * A pool is refcounted; each busy connection holds a reference, so a snapshot can drop its pool
 * while requests still use it. All functions are thread-safe. */
#ifndef CONNECTORS_POOL_H
#define CONNECTORS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"
#include "base/time-util.h"

struct conn;
struct connector_ops;
struct connection_settings;
struct pool;
struct pd_error;

struct pool_config {
	unsigned min_size; /* kept open by the janitor; default 0 */
	unsigned max_size; /* default 10 */
	usec_t connect_timeout; /* passed to the backend's connect; default 5 s */
	usec_t idle_timeout; /* idle connections above min_size close after this; default 10 min */
	usec_t max_lifetime; /* any connection closes at its next release/janitor after this;
				default 1 h; 0 = unlimited */
	usec_t check_delay; /* ping an idle connection before reuse after this; default 30 s */
	usec_t backoff_min, backoff_max; /* reconnect delays while the store is down; 100 ms, 5 s */
	bool trace; /* wrap the backend in the trace connector (debug log of every call) */
	usec_t io_timeout; /* a store that gives no answer this long fails the call with
			      -ETIMEDOUT: a pipe's reads, a PostgreSQL statement; 30 s */
};

/* The defaults above. */
void pool_config_init(struct pool_config *cfg);

struct pool_stats {
	unsigned size, idle, in_use, waiting;
	uint64_t acquires, waits, timeouts, errors; /* errors: failed connects and pings */
	uint64_t opened, closed;
	bool store_down;
	unsigned pipes; /* pipes open (pool_pipe_open), outside size */
	uint64_t pipe_reads; /* reads sent through them */
};

/* cs is parsed by ops->config_parse (reterr on failure); the pool keeps its own copy. */
_must_check_ int pool_new(const struct connector_ops *ops, const struct connection_settings *cs,
			  const struct pool_config *cfg, struct pool **ret,
			  struct pd_error *reterr);
struct pool *pool_ref(struct pool *p);
/* Drops a reference; the last one closes the idle connections and frees the pool. NULL ok. */
struct pool *pool_unref(struct pool *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pool *, pool_unref)

/* The connector the pool's connections use (the trace wrapper when tracing). */
const struct connector_ops *pool_ops(const struct pool *p);

/* A ready connection into *ret. timeout bounds the wait for a free slot (0: do not wait,
 * USEC_INFINITY: forever): -EBUSY when it runs out. Connect failures return the backend's
 * error; while the store is down and the backoff delay has not passed, that error again at
 * once. */
_must_check_ int pool_acquire(struct pool *p, usec_t timeout, struct conn **ret);
/* Give c back: reset and kept idle, or destroyed when broken, when reset fails, or past
 * max_lifetime. Takes NULL. */
void pool_release(struct conn *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct conn *, pool_release)

/* Housekeeping at now (CLOCK_MONOTONIC): close idle connections past idle_timeout or
 * max_lifetime, open up to min_size unless the store is down and the backoff has not passed.
 * Returns the number of connections closed and opened, or the connect error. */
int pool_janitor(struct pool *p, usec_t now);

void pool_get_stats(struct pool *p, struct pool_stats *ret);
/* A pipe (connectors/connector.h) to the pool's store, on a connection of its own outside the
 * pool's count: -EOPNOTSUPP when the backend has none (or the pool traces), the last connect
 * error at once while the store counts as down. */
struct conn_pipe;
_must_check_ int pool_pipe_open(struct pool *p, struct conn_pipe **ret);
/* Counters for pool_get_stats(): a pipe of p was closed; a read went through one. */
void pool_pipe_closed(struct pool *p);
void pool_count_pipe_read(struct pool *p);
/* The pool's io_timeout. */
usec_t pool_io_timeout(const struct pool *p);
/* Whether the caller holds the only reference: the store table has let go of the pool. */
bool pool_unshared(struct pool *p);
/* The last connect or ping failure's text ("" when none), copied into buf. */
void pool_last_error(struct pool *p, char *buf, size_t size);

#endif
