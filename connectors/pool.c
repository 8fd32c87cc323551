/* The connection pool and its janitor (connectors/pool.h). Connects, pings, resets and
 * disconnects run outside the mutex, so a slow store never blocks the other threads' bookkeeping;
 * a connect in progress holds its place in size so max_size is never exceeded. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/list.h"
#include "base/log.h"
#include "connectors/connector.h"
#include "connectors/pool.h"

struct pool {
	atomic_uint n_ref;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const struct connector_ops *ops; /* the backend: parses and frees cfg */
	const struct connector_ops *conn_ops; /* what connections run: ops or its trace */
	void *cfg;
	struct pool_config config;

	/* under lock */
	struct list_head idle, busy; /* idle: most recently released first */
	unsigned size, n_idle, n_busy, waiting;
	uint64_t acquires, waits, timeouts, errors, opened, closed;
	bool down;
	usec_t backoff, next_attempt;
	int last_r;
	char last_error[512];

	/* pipes (pool_pipe_open): not under lock */
	atomic_uint pipes;
	atomic_uint_fast64_t pipe_reads;
};

void pool_config_init(struct pool_config *cfg)
{
	*cfg = (struct pool_config){
		.min_size = 0,
		.max_size = 10,
		.connect_timeout = 5 * USEC_PER_SEC,
		.idle_timeout = 600 * USEC_PER_SEC,
		.max_lifetime = 3600 * USEC_PER_SEC,
		.check_delay = 30 * USEC_PER_SEC,
		.backoff_min = 100 * USEC_PER_MSEC,
		.backoff_max = 5 * USEC_PER_SEC,
		.io_timeout = 30 * USEC_PER_SEC,
	};
}

static usec_t now(void)
{
	return now_usec(CLOCK_MONOTONIC);
}

/* t - since, 0 when since is later (a janitor tick computed before a release) */
static usec_t elapsed(usec_t t, usec_t since)
{
	return t > since ? t - since : 0;
}

int pool_new(const struct connector_ops *ops, const struct connection_settings *cs,
	     const struct pool_config *cfg, struct pool **ret, struct pd_error *reterr)
{
	struct pool *p;
	pthread_condattr_t ca;
	int r;

	if (cfg->max_size == 0 || cfg->min_size > cfg->max_size)
		return -EINVAL;
	p = new0(struct pool, 1);
	if (!p)
		return -ENOMEM;
	p->ops = p->conn_ops = ops;
	p->config = *cfg;
	if (ops->config_parse) {
		r = ops->config_parse(cs, &p->cfg, reterr);
		if (r < 0) {
			mem_free(p);
			return r;
		}
	}
	if (cfg->trace) {
		r = connector_trace_new(ops, &p->conn_ops);
		if (r < 0) {
			if (ops->config_free)
				ops->config_free(p->cfg);
			mem_free(p);
			return r;
		}
	}
	atomic_init(&p->n_ref, 1);
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	list_init(&p->idle);
	list_init(&p->busy);
	*ret = p;
	return 0;
}

struct pool *pool_ref(struct pool *p)
{
	if (p)
		atomic_fetch_add(&p->n_ref, 1);
	return p;
}

struct pool *pool_unref(struct pool *p)
{
	struct list_head *pos, *n;

	if (!p || atomic_fetch_sub(&p->n_ref, 1) != 1)
		return NULL;
	/* Busy connections hold references, so only idle ones are left. */
	assert(list_empty(&p->busy));
	list_for_each_safe(pos, n, &p->idle) {
		struct conn *c = list_entry(pos, struct conn, node);
		list_del(&c->node);
		(void)conn_close(c);
	}
	if (p->conn_ops != p->ops)
		connector_trace_free(p->conn_ops);
	if (p->ops->config_free)
		p->ops->config_free(p->cfg);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	mem_free(p);
	return NULL;
}

const struct connector_ops *pool_ops(const struct pool *p)
{
	return p->conn_ops;
}

/* Under lock: a failed connect or ping. */
static void note_failure(struct pool *p, int r, const char *text, bool connect, usec_t t)
{
	p->errors++;
	p->last_r = r;
	(void)snprintf(p->last_error, sizeof(p->last_error), "%s", text);
	if (!connect)
		return;
	p->backoff = p->down ? MIN(p->backoff * 2, p->config.backoff_max) : p->config.backoff_min;
	p->down = true;
	p->next_attempt = t + p->backoff;
	log_debug("pool %s: connect failed, next attempt in %llu ms: %s", p->ops->name,
		  (unsigned long long)(p->backoff / USEC_PER_MSEC), text);
}

/* Open one connection; size already counts it. */
static int open_one(struct pool *p, struct conn **ret)
{
	char err[512] = "";
	struct conn *c = NULL;
	int r;

	r = conn_open(p->conn_ops, p->cfg, p->config.connect_timeout, &c, err, sizeof(err));
	pthread_mutex_lock(&p->lock);
	if (r < 0) {
		p->size--;
		note_failure(p, r, err, true, now());
		/* a waiter may now connect or give up */
		pthread_cond_signal(&p->cond);
	} else {
		c->pool = p;
		p->down = false;
		p->backoff = 0;
		p->opened++;
	}
	pthread_mutex_unlock(&p->lock);
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}

static void destroy(struct pool *p, struct conn *c, const char *why)
{
	log_debug("pool %s: closing a connection: %s", p->ops->name, why);
	(void)conn_close(c);
}

int pool_acquire(struct pool *p, usec_t timeout, struct conn **ret)
{
	usec_t start = now();
	usec_t deadline = timeout == USEC_INFINITY ? USEC_INFINITY : start + timeout;
	bool waited = false;
	int r;

	pthread_mutex_lock(&p->lock);
	p->acquires++;
	for (;;) {
		usec_t t = now();

		if (!list_empty(&p->idle)) {
			struct conn *c = list_entry(p->idle.next, struct conn, node);
			bool expired = p->config.max_lifetime &&
				       elapsed(t, c->created) >= p->config.max_lifetime;
			bool check =
				c->suspect || elapsed(t, c->last_used) >= p->config.check_delay;

			list_del(&c->node);
			p->n_idle--;
			list_add(&c->node, &p->busy);
			p->n_busy++;
			pthread_mutex_unlock(&p->lock);
			if (!expired && check)
				r = conn_ping(c, p->config.connect_timeout);
			else
				r = 0;
			if (!expired && r >= 0) {
				c->last_used = t;
				c->suspect = false;
				pool_ref(p);
				*ret = c;
				return 0;
			}
			pthread_mutex_lock(&p->lock);
			list_del(&c->node);
			p->n_busy--;
			p->size--;
			p->closed++;
			if (r < 0)
				note_failure(p, r, conn_last_error(c), false, t);
			pthread_mutex_unlock(&p->lock);
			destroy(p, c, expired ? "past max_lifetime" : "health check failed");
			pthread_mutex_lock(&p->lock);
			continue;
		}
		if (p->size < p->config.max_size) {
			struct conn *c = NULL;
			if (p->down && t < p->next_attempt) {
				r = p->last_r < 0 ? p->last_r : -ECONNREFUSED;
				pthread_mutex_unlock(&p->lock);
				return r;
			}
			p->size++;
			pthread_mutex_unlock(&p->lock);
			r = open_one(p, &c);
			if (r < 0)
				return r;
			pthread_mutex_lock(&p->lock);
			list_add(&c->node, &p->busy);
			p->n_busy++;
			pthread_mutex_unlock(&p->lock);
			pool_ref(p);
			*ret = c;
			return 0;
		}
		if (!waited) {
			p->waits++;
			waited = true;
		}
		if (t >= deadline) {
			p->timeouts++;
			pthread_mutex_unlock(&p->lock);
			return -EBUSY;
		}
		p->waiting++;
		if (deadline == USEC_INFINITY) {
			pthread_cond_wait(&p->cond, &p->lock);
		} else {
			struct timespec ts = {
				.tv_sec = (time_t)(deadline / USEC_PER_SEC),
				.tv_nsec = (long)(deadline % USEC_PER_SEC * NSEC_PER_USEC),
			};
			(void)pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		}
		p->waiting--;
	}
}

void pool_release(struct conn *c)
{
	struct pool *p;
	const char *why = NULL;
	usec_t t = now();

	if (!c)
		return;
	p = c->pool;
	if (!p) {
		(void)conn_close(c);
		return;
	}
	if (c->broken)
		why = "broken";
	else if (conn_reset(c) < 0 || c->broken)
		why = "reset failed";
	else if (p->config.max_lifetime && elapsed(t, c->created) >= p->config.max_lifetime)
		why = "past max_lifetime";

	pthread_mutex_lock(&p->lock);
	list_del(&c->node);
	p->n_busy--;
	if (c->broken) {
		/* A lost session usually means the store restarted or the network dropped: the
		 * idle connections are likely dead too, so each is pinged before its next use
		 * instead of failing a request. */
		struct list_head *pos;
		list_for_each(pos, &p->idle)
			list_entry(pos, struct conn, node)->suspect = true;
	}
	if (why) {
		p->size--;
		p->closed++;
	} else {
		c->last_used = t;
		list_add(&c->node, &p->idle);
		p->n_idle++;
	}
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (why)
		destroy(p, c, why);
	(void)pool_unref(p);
}

int pool_janitor(struct pool *p, usec_t t)
{
	struct list_head doomed, *pos, *n;
	unsigned need = 0, count = 0;
	int r = 0;

	list_init(&doomed);
	pthread_mutex_lock(&p->lock);
	/* oldest first: the idle list's tail */
	for (pos = p->idle.prev, n = pos->prev; pos != &p->idle; pos = n, n = pos->prev) {
		struct conn *c = list_entry(pos, struct conn, node);
		bool old =
			p->config.max_lifetime && elapsed(t, c->created) >= p->config.max_lifetime;
		bool idle = p->size > p->config.min_size &&
			    elapsed(t, c->last_used) >= p->config.idle_timeout;
		if (!old && !idle)
			continue;
		list_del(&c->node);
		list_add(&c->node, &doomed);
		p->n_idle--;
		p->size--;
		p->closed++;
		count++;
	}
	if (p->size < p->config.min_size && (!p->down || t >= p->next_attempt)) {
		need = p->config.min_size - p->size;
		p->size += need;
	}
	pthread_mutex_unlock(&p->lock);

	list_for_each_safe(pos, n, &doomed) {
		struct conn *c = list_entry(pos, struct conn, node);
		list_del(&c->node);
		destroy(p, c, "idle or past max_lifetime");
	}
	for (unsigned i = 0; i < need; i++) {
		struct conn *c = NULL;
		if (r < 0) {
			/* an earlier connect failed: give the reserved places back */
			pthread_mutex_lock(&p->lock);
			p->size--;
			pthread_mutex_unlock(&p->lock);
			continue;
		}
		r = open_one(p, &c);
		if (r < 0)
			continue;
		pthread_mutex_lock(&p->lock);
		c->last_used = c->created;
		list_add_tail(&c->node, &p->idle);
		p->n_idle++;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		count++;
	}
	return r < 0 ? r : (int)count;
}

void pool_get_stats(struct pool *p, struct pool_stats *ret)
{
	pthread_mutex_lock(&p->lock);
	*ret = (struct pool_stats){
		.size = p->size,
		.idle = p->n_idle,
		.in_use = p->n_busy,
		.waiting = p->waiting,
		.acquires = p->acquires,
		.waits = p->waits,
		.timeouts = p->timeouts,
		.errors = p->errors,
		.opened = p->opened,
		.closed = p->closed,
		.store_down = p->down,
		.pipes = atomic_load(&p->pipes),
		.pipe_reads = atomic_load(&p->pipe_reads),
	};
	pthread_mutex_unlock(&p->lock);
}

void pool_last_error(struct pool *p, char *buf, size_t size)
{
	pthread_mutex_lock(&p->lock);
	(void)snprintf(buf, size, "%s", p->last_error);
	pthread_mutex_unlock(&p->lock);
}

int pool_pipe_open(struct pool *p, struct conn_pipe **ret)
{
	char err[512] = "";
	int r;

	if (!connector_has_pipes(p->conn_ops))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&p->lock);
	r = p->down && now() < p->next_attempt ? (p->last_r < 0 ? p->last_r : -ECONNREFUSED) : 0;
	pthread_mutex_unlock(&p->lock);
	if (r < 0)
		return r;
	r = p->conn_ops->pipe_open(p->cfg, p->config.connect_timeout, ret, err, sizeof(err));
	if (r < 0) {
		pthread_mutex_lock(&p->lock);
		p->errors++;
		pthread_mutex_unlock(&p->lock);
		log_debug("pool %s: cannot open a pipe: %s", p->ops->name, err);
		return r;
	}
	atomic_fetch_add(&p->pipes, 1);
	return 0;
}

void pool_pipe_closed(struct pool *p)
{
	atomic_fetch_sub(&p->pipes, 1);
}

void pool_count_pipe_read(struct pool *p)
{
	atomic_fetch_add(&p->pipe_reads, 1);
}

usec_t pool_io_timeout(const struct pool *p)
{
	return p->config.io_timeout ? p->config.io_timeout : 30 * USEC_PER_SEC;
}

bool pool_unshared(struct pool *p)
{
	return atomic_load(&p->n_ref) == 1;
}
