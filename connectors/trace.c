/* The trace wrapper (git's debug ref backend): a copy of a backend's table whose connections
 * forward every slot to an inner connection of that backend, then log the slot, the duration
 * and the result at debug level. Slots the backend lacks stay NULL, so the wrappers still say
 * -EOPNOTSUPP. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "connectors/connector.h"
#include "models/ast.h"

struct trace_ops {
	struct connector_ops ops;
	const struct connector_ops *inner;
};

struct trace_conn {
	struct conn base;
	struct conn *inner;
};

static struct trace_conn *trace_conn_cast(struct conn *c)
{
	return (struct trace_conn *)c;
}

static const struct connector_ops *inner_ops(const struct conn *c)
{
	return container_of(c->ops, struct trace_ops, ops)->inner;
}

static usec_t now(void)
{
	return now_usec(CLOCK_MONOTONIC);
}

static int traced(const struct conn *c, const char *slot, const struct entity *e, usec_t start,
		  int r)
{
	log_debug("connector %s: %s%s%s -> %d (%llu us)", c->ops->name, slot, e ? " " : "",
		  e ? e->bare_name : "", r, (unsigned long long)(now() - start));
	return r;
}

static int trace_connect(struct conn *c, const void *cfg, usec_t timeout)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();

	return traced(c, "connect", NULL, start,
		      conn_open(inner_ops(c), cfg, timeout, &t->inner, NULL, 0));
}

static void trace_disconnect(struct conn *c)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();

	t->inner = conn_close(t->inner);
	(void)traced(c, "disconnect", NULL, start, 0);
}

static int trace_ping(struct conn *c, usec_t timeout)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_ping(t->inner, timeout);

	c->broken = t->inner->broken;
	return traced(c, "ping", NULL, start, r);
}

static int trace_reset(struct conn *c)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_reset(t->inner);

	c->broken = t->inner->broken;
	return traced(c, "reset", NULL, start, r);
}

static int trace_create(struct conn *c, const struct entity *e, const json_t *rec, json_t **ret)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_create(t->inner, e, rec, ret);

	c->broken = t->inner->broken;
	return traced(c, "create", e, start, r);
}

static int trace_read(struct conn *c, const struct entity *e, const json_t *key, json_t **ret)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_read(t->inner, e, key, ret);

	c->broken = t->inner->broken;
	return traced(c, "read", e, start, r);
}

static int trace_update(struct conn *c, const struct entity *e, const json_t *key,
			const json_t *patch)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_update(t->inner, e, key, patch);

	c->broken = t->inner->broken;
	return traced(c, "update", e, start, r);
}

static int trace_remove(struct conn *c, const struct entity *e, const json_t *key)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_remove(t->inner, e, key);

	c->broken = t->inner->broken;
	return traced(c, "remove", e, start, r);
}

static int trace_query(struct conn *c, const struct entity *e, const struct query *q, json_t **ret)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_query(t->inner, e, q, ret);

	c->broken = t->inner->broken;
	return traced(c, "query", e, start, r);
}

static int trace_begin(struct conn *c)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_begin(t->inner);

	c->broken = t->inner->broken;
	return traced(c, "begin", NULL, start, r);
}

static int trace_commit(struct conn *c)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_commit(t->inner);

	c->broken = t->inner->broken;
	return traced(c, "commit", NULL, start, r);
}

static int trace_rollback(struct conn *c)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_rollback(t->inner);

	c->broken = t->inner->broken;
	return traced(c, "rollback", NULL, start, r);
}

static int trace_introspect(struct conn *c, struct db_catalog **ret)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_introspect(t->inner, ret);

	c->broken = t->inner->broken;
	return traced(c, "introspect", NULL, start, r);
}

static int trace_apply_sql(struct conn *c, const char *script)
{
	struct trace_conn *t = trace_conn_cast(c);
	usec_t start = now();
	int r = conn_apply_sql(t->inner, script);

	c->broken = t->inner->broken;
	return traced(c, "apply_sql", NULL, start, r);
}

static const char *trace_last_error(const struct conn *c)
{
	const struct trace_conn *t = (const struct trace_conn *)c;
	return t->inner ? conn_last_error(t->inner) : "";
}

int connector_trace_new(const struct connector_ops *inner, const struct connector_ops **ret)
{
	struct trace_ops *t = new0(struct trace_ops, 1);

	if (!t)
		return -ENOMEM;
	t->inner = inner;
	t->ops = (struct connector_ops){
		.name = inner->name,
		.caps = inner->caps,
		.conn_size = sizeof(struct trace_conn),
		/* process-wide setup and the config stay with the backend itself */
		.connect = trace_connect,
		.disconnect = trace_disconnect,
		.ping = inner->ping ? trace_ping : NULL,
		.reset = inner->reset ? trace_reset : NULL,
		.create = inner->create ? trace_create : NULL,
		.read = inner->read ? trace_read : NULL,
		.update = inner->update ? trace_update : NULL,
		.remove = inner->remove ? trace_remove : NULL,
		.query = inner->query ? trace_query : NULL,
		.begin = inner->begin ? trace_begin : NULL,
		.commit = inner->commit ? trace_commit : NULL,
		.rollback = inner->rollback ? trace_rollback : NULL,
		.introspect = inner->introspect ? trace_introspect : NULL,
		.apply_sql = inner->apply_sql ? trace_apply_sql : NULL,
		.last_error = trace_last_error,
	};
	*ret = &t->ops;
	return 0;
}

void connector_trace_free(const struct connector_ops *ops)
{
	if (ops)
		mem_free(container_of(ops, struct trace_ops, ops));
}
