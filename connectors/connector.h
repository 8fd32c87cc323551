/* The store connector interface (STYLE.md §2, contract in connectors/README.md).
 *
 * A backend fills one const struct connector_ops with designated initialisers. Its
 * per-connection struct embeds struct conn as its first member; the pool allocates
 * ops->conn_size bytes, so nothing outside the backend knows that struct. Callers use the
 * inline conn_* wrappers, never ops directly: a missing optional slot becomes -EOPNOTSUPP.
 *
 * Records and keys are jansson objects in API.md's JSON encodings, named by the model's field
 * names (bare, no leading quote): int → integer, float → number, decimal → string, boolean,
 * string, enum → its value, time:Date "YYYY-MM-DD", time:TimeOfDay "HH:MM:SS[.f]", time:Civil
 * "YYYY-MM-DDTHH:MM:SS[.f]", time:Utc RFC 3339 with Z, byte[] base64, nil → null. A record
 * holds the entity's stored fields (foreign-key fields included, relation fields never); a key
 * holds exactly the key fields.
 *
 * Errors are negative errno values; the text behind them comes from conn_last_error():
 *   -ENOENT        no record with that key (upstream's NotFound text)
 *   -EEXIST        a record with that key, or a unique value, exists (AlreadyExists text)
 *   -ECONSTRAINT   a foreign-key or check constraint rejected the write (ConstraintViolation)
 *   -EINVAL        a record, key, patch or query that does not fit the entity
 *   -ECONNREFUSED  the store cannot be reached; -ECONNRESET the connection was lost
 *   -ETIMEDOUT     the store did not answer in time
 *   -EOPNOTSUPP    the backend lacks the slot or the type
 *   -EIO           anything else the store reports
 * After -ECONNRESET (and any failure that leaves the session unusable) the backend sets
 * c->broken, and the pool destroys the connection on release. */
#ifndef CONNECTORS_CONNECTOR_H
#define CONNECTORS_CONNECTOR_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/list.h"
#include "base/macro.h"
#include "base/time-util.h"

struct buf;
struct connection_settings;
struct entity;
struct model_file;
struct field;
struct field_type;
struct relation_key;
struct pd_error;
struct pool;
struct db_catalog;

/* A foreign-key or check constraint failed (upstream's ConstraintViolationError; HTTP 422).
 * An errno value of its own so the HTTP table can tell it from a malformed body. */
#define ECONSTRAINT ENOLINK

enum conn_cap {
	CONN_CAP_TRANSACTIONS = 1u << 0,
	CONN_CAP_SQL = 1u << 1, /* runs generated DDL/DML: push, migrations */
	CONN_CAP_INTROSPECT = 1u << 2, /* can serve `persist pull` */
	CONN_CAP_FILTER = 1u << 3, /* server-side WHERE for queries */
};

/* The generic part of every connection; the backend's struct embeds it first. */
struct conn {
	const struct connector_ops *ops;
	struct pool *pool; /* borrowed; NULL outside a pool */
	usec_t created, last_used; /* CLOCK_MONOTONIC */
	bool broken; /* set by the backend: the pool destroys it instead of reusing it */
	bool suspect; /* set by the pool: another connection broke, ping this one before reuse */
	struct list_head node; /* the pool's idle or busy list */
};

/* A pipe: one non-blocking connection that an event loop owns, with many key reads in flight
 * at once (optional slots pipe_*). Reads are queued with conn_pipe_read(), written with
 * conn_pipe_flush() (several in one write), and conn_pipe_input() hands each result back, in
 * order, to a conn_pipe_done_fn with the token it was queued with. A pipe is not thread-safe:
 * one thread uses it. */
struct conn_pipe {
	const struct connector_ops *ops;
};

/* One read's result: 0 and *rec (a new reference the callee takes), or a negative errno as
 * for the read slot with its text (borrowed, for the call only). */
typedef void conn_pipe_done_fn(void *token, int r, json_t *rec, const char *text, void *userdata);

/* ---- queries -------------------------------------------------------------------------------- */

enum query_op {
	QUERY_EQ,
	QUERY_NEQ,
	QUERY_GT,
	QUERY_GTE,
	QUERY_LT,
	QUERY_LTE,
	QUERY_LIKE, /* SQL LIKE: % any run, _ one character; case-sensitive */
	QUERY_IN, /* one of values[] */
	QUERY_IS_NULL,
	QUERY_IS_NOT_NULL,
	_QUERY_OP_MAX,
};

/* field op value. Values are text, as they come in a URL; the backend converts them by the
 * field's type (-EINVAL when one does not parse). n_values is 1 for the comparisons, >= 1 for
 * QUERY_IN and 0 for the null tests. */
struct query_filter {
	char *field; /* a stored field of the entity, foreign keys included */
	enum query_op op;
	char **values;
	size_t n_values;
};

struct query_order {
	char *field;
	bool desc;
};

#define QUERY_NO_LIMIT UINT64_MAX

/* A list request: GET .../{resource}?fields=&include=&<field>=<op>.<value>&order=&limit=&offset=
 * Everything is owned by the struct and freed by query_release(). The projection is
 * fields[] plus include[]; both empty means every stored field and no relation.
 *   fields[]: "f" a stored field, "rel.f" a field of a single-valued relation, "rel[].f" a
 *             field of an array relation (rel.f is accepted for arrays too);
 *   include[]: "rel": every stored field of the relation.
 * A requested relation comes back as an object (null when the related record is missing) or
 * an array ([] when there is none). Key fields are always read and dropped from the result
 * when not requested. Filters are ANDed. Rows come in order[] (then the key, so paging is
 * stable), after offset, at most limit. */
struct query {
	struct query_filter *filters;
	size_t n_filters, alloc_filters;
	struct query_order *order;
	size_t n_order, alloc_order;
	char **fields;
	size_t n_fields, alloc_fields;
	char **include;
	size_t n_include, alloc_include;
	uint64_t limit; /* QUERY_NO_LIMIT for none */
	uint64_t offset;
};

void query_init(struct query *q);
void query_release(struct query *q);
static inline void query_releasep(struct query *q)
{
	query_release(q);
}

/* "eq" → QUERY_EQ, ..., "is" → QUERY_IS_NULL; -EINVAL for anything else. */
int query_op_from_string(const char *s, enum query_op *ret);
const char *query_op_to_string(enum query_op op);

_must_check_ int query_add_filter(struct query *q, const char *field, enum query_op op,
				  const char *const *values, size_t n_values);
/* A URL filter value: "gt.5", "eq.a.b" (value "a.b"), "in.(a,b,\"c,d\")", "is.null",
 * "is.not_null" (also "not.is.null"). -EINVAL for a malformed one. */
_must_check_ int query_parse_filter(struct query *q, const char *field, const char *text);
_must_check_ int query_add_order(struct query *q, const char *field, bool desc);
/* "f.asc,g.desc,h" (asc is the default). */
_must_check_ int query_parse_order(struct query *q, const char *text);
_must_check_ int query_add_field(struct query *q, const char *field);
/* "a,b,rel.c,rel[].d" */
_must_check_ int query_parse_fields(struct query *q, const char *text);
_must_check_ int query_add_include(struct query *q, const char *relation);
/* "rel,other" */
_must_check_ int query_parse_include(struct query *q, const char *text);

/* ---- the vtable ----------------------------------------------------------------------------- */

struct connector_ops {
	const char *name; /* upstream datastore name: "postgresql", "inmemory", ... */
	unsigned caps; /* enum conn_cap bits */
	size_t conn_size; /* size of the backend struct that embeds struct conn first */
	int (*global_init)(void); /* optional; called before any thread exists */
	void (*global_cleanup)(void);
	/* The model's Config.toml settings into the backend's own config (new, freed with
	 * config_free). For inmemory the config is the store itself: every connection made from
	 * one config sees the same data. */
	int (*config_parse)(const struct connection_settings *cs, void **ret_cfg,
			    struct pd_error *reterr);
	void (*config_free)(void *cfg);
	/* c is zeroed conn_size bytes with c->ops set; on failure nothing needs disconnecting. */
	int (*connect)(struct conn *c, const void *cfg, usec_t timeout);
	void (*disconnect)(struct conn *c); /* frees what connect set up, not c itself */
	int (*ping)(struct conn *c, usec_t timeout);
	int (*reset)(struct conn *c); /* before going back to the pool; < 0 destroys it */
	/* rec: an Insert record. *ret_key (new): the key, generated values included. */
	int (*create)(struct conn *c, const struct entity *e, const json_t *rec, json_t **ret_key);
	/* *ret_rec (new): every stored field, no relations. */
	int (*read)(struct conn *c, const struct entity *e, const json_t *key, json_t **ret_rec);
	/* patch: any subset of the non-key stored fields; an empty patch only checks the key. */
	int (*update)(struct conn *c, const struct entity *e, const json_t *key,
		      const json_t *patch);
	int (*remove)(struct conn *c, const struct entity *e, const json_t *key);
	/* *ret_rows (new): an array of records shaped by q (NULL q: every stored field). */
	int (*query)(struct conn *c, const struct entity *e, const struct query *q,
		     json_t **ret_rows);
	int (*begin)(struct conn *c); /* begin/commit/rollback: NULL unless CONN_CAP_TRANSACTIONS */
	int (*commit)(struct conn *c);
	int (*rollback)(struct conn *c);
	int (*introspect)(struct conn *c, struct db_catalog **ret);
	/* Run a script of ;-separated statements (push: the model's DDL) in one transaction. */
	int (*apply_sql)(struct conn *c, const char *script);
	const char *(*last_error)(const struct conn *c); /* text only; the code is the return */
	/* Pipes (optional, all or none; see struct conn_pipe). pipe_open: as connect, on its own
	 * connection; err gets the text of a failure. pipe_read queues a read of the record with
	 * key (checked like the read slot's): -EOPNOTSUPP when this store or config cannot serve
	 * it from a pipe (the caller reads through a pooled connection instead). pipe_flush: 0
	 * when everything queued is written, 1 when the socket is full (wait for EPOLLOUT); a
	 * backend without a non-blocking protocol (pipe_fd -1) runs the queued reads there
	 * instead, batched, and completes them before it returns. pipe_input: read what the
	 * socket holds and complete the reads it answers. A negative return from flush or input
	 * means the pipe is broken: close it. pipe_close completes every read still in flight
	 * with -ECONNRESET, then frees the pipe. A result of -EAGAIN asks the caller to read that
	 * record through a pooled connection. */
	int (*pipe_open)(const void *cfg, usec_t timeout, struct conn_pipe **ret, char *err,
			 size_t err_size);
	int (*pipe_fd)(const struct conn_pipe *p);
	int (*pipe_read)(struct conn_pipe *p, const struct entity *e, const json_t *key,
			 void *token);
	int (*pipe_flush)(struct conn_pipe *p, conn_pipe_done_fn *done, void *userdata);
	int (*pipe_input)(struct conn_pipe *p, conn_pipe_done_fn *done, void *userdata);
	void (*pipe_close)(struct conn_pipe *p, conn_pipe_done_fn *done, void *userdata);
};

extern const struct connector_ops inmemory_ops;
extern const struct connector_ops googlesheets_ops;
#if ENABLE_POSTGRESQL
extern const struct connector_ops postgresql_ops;
#endif
#if ENABLE_MYSQL
extern const struct connector_ops mysql_ops;
#endif
#if ENABLE_REDIS
extern const struct connector_ops redis_ops;
#endif

/* The compiled-in backends, NULL-terminated. */
extern const struct connector_ops *const connector_table[];

/* The backend named name (an upstream datastore name), NULL when not compiled in. */
const struct connector_ops *connector_find(const char *name);

static inline bool connector_has(const struct connector_ops *ops, unsigned cap)
{
	return (ops->caps & cap) == cap;
}

/* Every backend's global_init, then global_cleanup in reverse. */
_must_check_ int connector_global_init(void);
void connector_global_cleanup(void);

/* A connection outside a pool (tools, tests, the pool itself): allocated, connected, ready.
 * On failure the backend's text goes to err (may be NULL). */
_must_check_ int conn_open(const struct connector_ops *ops, const void *cfg, usec_t timeout,
			   struct conn **ret, char *err, size_t err_size);
/* Disconnect and free; takes NULL, returns NULL. */
struct conn *conn_close(struct conn *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct conn *, conn_close)

/* The trace wrapper (connectors/trace.c): a copy of inner's table with the same name and caps
 * whose connections forward every slot to an inner connection and log the slot, its duration
 * and its result at debug level. Free it with connector_trace_free() once no connection made
 * from it is left. */
_must_check_ int connector_trace_new(const struct connector_ops *inner,
				     const struct connector_ops **ret);
void connector_trace_free(const struct connector_ops *ops);

/* ---- wrappers ------------------------------------------------------------------------------- */

static inline bool connector_has_pipes(const struct connector_ops *ops)
{
	return ops->pipe_open != NULL;
}

static inline int conn_pipe_fd(const struct conn_pipe *p)
{
	return p->ops->pipe_fd(p);
}

static inline int conn_pipe_read(struct conn_pipe *p, const struct entity *e, const json_t *key,
				 void *token)
{
	return p->ops->pipe_read(p, e, key, token);
}

static inline int conn_pipe_flush(struct conn_pipe *p, conn_pipe_done_fn *done, void *userdata)
{
	return p->ops->pipe_flush(p, done, userdata);
}

static inline int conn_pipe_input(struct conn_pipe *p, conn_pipe_done_fn *done, void *userdata)
{
	return p->ops->pipe_input(p, done, userdata);
}

/* Completes what is in flight with -ECONNRESET and frees; takes NULL. */
static inline void conn_pipe_close(struct conn_pipe *p, conn_pipe_done_fn *done, void *userdata)
{
	if (p)
		p->ops->pipe_close(p, done, userdata);
}

static inline int conn_ping(struct conn *c, usec_t timeout)
{
	if (!c->ops->ping)
		return 0;
	return c->ops->ping(c, timeout);
}

static inline int conn_reset(struct conn *c)
{
	if (!c->ops->reset)
		return 0;
	return c->ops->reset(c);
}

static inline int conn_create(struct conn *c, const struct entity *e, const json_t *rec,
			      json_t **ret_key)
{
	if (!c->ops->create)
		return -EOPNOTSUPP;
	return c->ops->create(c, e, rec, ret_key);
}

static inline int conn_read(struct conn *c, const struct entity *e, const json_t *key,
			    json_t **ret_rec)
{
	if (!c->ops->read)
		return -EOPNOTSUPP;
	return c->ops->read(c, e, key, ret_rec);
}

static inline int conn_update(struct conn *c, const struct entity *e, const json_t *key,
			      const json_t *patch)
{
	if (!c->ops->update)
		return -EOPNOTSUPP;
	return c->ops->update(c, e, key, patch);
}

static inline int conn_remove(struct conn *c, const struct entity *e, const json_t *key)
{
	if (!c->ops->remove)
		return -EOPNOTSUPP;
	return c->ops->remove(c, e, key);
}

static inline int conn_query(struct conn *c, const struct entity *e, const struct query *q,
			     json_t **ret_rows)
{
	if (!c->ops->query)
		return -EOPNOTSUPP;
	return c->ops->query(c, e, q, ret_rows);
}

static inline int conn_begin(struct conn *c)
{
	if (!c->ops->begin)
		return -EOPNOTSUPP;
	return c->ops->begin(c);
}

static inline int conn_commit(struct conn *c)
{
	if (!c->ops->commit)
		return -EOPNOTSUPP;
	return c->ops->commit(c);
}

static inline int conn_rollback(struct conn *c)
{
	if (!c->ops->rollback)
		return -EOPNOTSUPP;
	return c->ops->rollback(c);
}

static inline int conn_introspect(struct conn *c, struct db_catalog **ret)
{
	if (!c->ops->introspect)
		return -EOPNOTSUPP;
	return c->ops->introspect(c, ret);
}

static inline int conn_apply_sql(struct conn *c, const char *script)
{
	if (!c->ops->apply_sql)
		return -EOPNOTSUPP;
	return c->ops->apply_sql(c, script);
}

/* Never NULL: "" when the backend has nothing to say. */
static inline const char *conn_last_error(const struct conn *c)
{
	const char *s = c->ops->last_error ? c->ops->last_error(c) : NULL;
	return s ? s : "";
}

/* The key object of e from URL path segments, in key order (GET .../{k1}/{k2}): each text is
 * converted by its key field's type. -EINVAL (text in err) for a wrong count or a value that
 * does not parse. *ret is new. */
_must_check_ int conn_key_from_segments(const struct entity *e, const char *const *segs, size_t n,
					json_t **ret, char *err, size_t err_size);
/* What the generated client's post returns for one record: the key value for a single key, an
 * array in key order for a composite one. *ret is new. */
_must_check_ int conn_key_result(const struct entity *e, const json_t *key, json_t **ret);

/* push: the model's script.sql statements for c's dialect (models/gen.h) through apply_sql, in
 * one transaction; the DROP statements only with drop_existing, so an existing table is -EEXIST.
 * -EOPNOTSUPP for a backend without CONN_CAP_SQL. */
_must_check_ int conn_push(struct conn *c, const struct model_file *mf, bool drop_existing);

/* Get by key with a projection: q (may be NULL) shapes the record as for conn_query().
 * -ENOENT with upstream's NotFound text when there is none. *ret_rec is new. */
_must_check_ int conn_read_query(struct conn *c, const struct entity *e, const json_t *key,
				 const struct query *q, json_t **ret_rec);

/* ---- helpers for backends (connectors/connector.c) ------------------------------------------ */

/* How a stored field's values are encoded. */
enum conn_type {
	CONN_TYPE_INT,
	CONN_TYPE_FLOAT,
	CONN_TYPE_DECIMAL,
	CONN_TYPE_BOOLEAN,
	CONN_TYPE_STRING,
	CONN_TYPE_ENUM,
	CONN_TYPE_BYTES,
	CONN_TYPE_DATE,
	CONN_TYPE_TIME_OF_DAY,
	CONN_TYPE_CIVIL,
	CONN_TYPE_UTC,
	CONN_TYPE_OTHER, /* any JSON (in-memory only: json, unions, arrays, ...) */
};

/* One stored field in upstream's metadata order (runtime.md §1): a non-relation field at its
 * place, the foreign keys of an owner relation at the relation field's position. */
struct conn_column {
	const char *name; /* JSON member name: the bare field name, or the foreign key's name */
	const char *column; /* SQL column: @sql:Name, else the bare name (fk_column for keys) */
	enum conn_type type;
	const struct field_type *ftype; /* the field's, or the referenced key's */
	const struct field *field; /* NULL for a synthesised foreign key */
	const struct relation_key *fk; /* set for a foreign key */
	bool key; /* a key field */
	bool nullable; /* T? (or an optional field) */
	bool generated; /* @sql:Generated */
};

struct conn_columns {
	struct conn_column *v;
	size_t n;
};

_must_check_ int conn_columns_get(const struct entity *e, struct conn_columns *ret);
void conn_columns_release(struct conn_columns *cols);
/* The column named name (JSON name), NULL when none. */
const struct conn_column *conn_columns_find(const struct conn_columns *cols, const char *name);

/* Check v against the column and return it in the canonical encoding (*ret new): decimals as
 * plain strings without trailing zeros, floats as reals, time values validated, Utc moved to Z,
 * base64 validated. -EINVAL (text in err) for a value of the wrong type or shape. */
_must_check_ int conn_value_normalize(const struct conn_column *col, const json_t *v, json_t **ret,
				      char *err, size_t err_size);
/* A filter value (URL text) as a canonical JSON value of the column's type. */
_must_check_ int conn_value_from_text(const struct conn_column *col, const char *text, json_t **ret,
				      char *err, size_t err_size);
/* Canonical decimal text: "0023.4400" → "23.44", "-0.0" → "0"; -EINVAL when not a decimal. */
_must_check_ int conn_decimal_canonical(const char *s, char *out, size_t size);

/* Check an Insert record: every member a stored field, every non-nullable non-generated
 * field present, values normalised. *ret (new) is the normalised record. */
_must_check_ int conn_record_check(const struct conn_columns *cols, const struct entity *e,
				   const json_t *rec, json_t **ret, char *err, size_t err_size);
/* Check a key object: exactly the key fields, normalised. */
_must_check_ int conn_key_check(const struct conn_columns *cols, const struct entity *e,
				const json_t *key, json_t **ret, char *err, size_t err_size);
/* Check a patch: only non-key stored fields, normalised. */
_must_check_ int conn_patch_check(const struct conn_columns *cols, const struct entity *e,
				  const json_t *patch, json_t **ret, char *err, size_t err_size);

/* Upstream's <K> of an error message (runtime.md §3.2): a single key's toString(), a composite
 * key's {"a":"x","b":1} form. */
int conn_key_text(const struct entity *e, const json_t *key, char *out, size_t size);
/* "A record with the key '<K>' does not exist for the entity '<E>'." */
void conn_not_found_text(const struct entity *e, const json_t *key, char *out, size_t size);
/* "A record with the key '<K>' already exists for the entity '<E>'." (k is the K text) */
void conn_exists_text(const struct entity *e, const char *k, char *out, size_t size);

/* base64 (RFC 4648, padded). decode: *ret new (mem_free), -EINVAL on bad input. */
_must_check_ int conn_base64_decode(const char *s, unsigned char **ret, size_t *ret_len);
_must_check_ int conn_base64_encode(const unsigned char *p, size_t len, char **ret);

/* A resolved query (q checked against e): what to fetch, filter, order and attach. */
struct query_plan_rel {
	const struct field *field; /* the relation field of e */
	const char *name; /* its bare name: the member of the result */
	const struct entity *target;
	bool array; /* parent side of a 1-n */
	struct conn_columns cols; /* target's columns */
	bool *want; /* per target column: in the result */
	/* pairs of (column of e, column of target) that join them */
	size_t n_join;
	size_t *own_col, *target_col;
};

struct query_plan_filter {
	size_t col;
	enum query_op op;
	json_t *values; /* array of canonical values */
};

struct query_plan {
	const struct entity *e;
	struct conn_columns cols;
	bool *want; /* per column: in the result */
	bool *fetch; /* per column: read (want, keys and the join columns) */
	struct query_plan_filter *filters;
	size_t n_filters;
	size_t *order_col; /* order: column index and direction */
	bool *order_desc;
	size_t n_order;
	struct query_plan_rel *rels;
	size_t n_rels;
	uint64_t limit, offset;
};

/* q may be NULL: every stored field, no relations. -EINVAL (err) for an unknown field,
 * relation or a filter value that does not parse. */
_must_check_ int query_plan_build(const struct entity *e, const struct query *q,
				  struct query_plan *ret, char *err, size_t err_size);
void query_plan_release(struct query_plan *p);

/* Whether a canonical record matches every filter of p (in-memory evaluation). */
bool query_plan_match(const struct query_plan *p, const json_t *rec);
/* Sort records (fetched with p->fetch columns) in p's order, then by key, for backends that
 * order in process. */
void query_plan_sort(const struct query_plan *p, json_t **v, size_t n);

/* ---- SQL text ------------------------------------------------------------------------------- */

/* How a SQL dialect spells the parts of a statement the SQL backends build alike. */
struct sql_dialect {
	char quote; /* identifiers: '"' or '`', doubled inside */
	const char *like; /* " LIKE ", or with a cast: "::text LIKE " */
	const char *asc, *desc; /* after an ORDER BY column, with the NULL placement */
	bool limit_with_offset; /* any OFFSET needs a LIMIT (MySQL): "LIMIT <max> OFFSET n" */
};

/* Bind v as the next parameter (col: its column, NULL for a LIKE pattern) and append its
 * placeholder to sql. The backend's own parameter list is params. */
typedef int sql_param_fn(void *params, struct buf *sql, const struct conn_column *col,
			 const json_t *v);

/* name (its bare form) quoted as an identifier. */
_must_check_ int sql_add_ident(struct buf *sql, const struct sql_dialect *d, const char *name);
/* " WHERE k1 = ? AND k2 = ?" for a key object of e (columns cols). */
_must_check_ int sql_add_key_where(struct buf *sql, const struct sql_dialect *d,
				   const struct conn_columns *cols, const struct entity *e,
				   const json_t *key, sql_param_fn *param, void *params);
/* What follows "SELECT ... FROM table" for plan: the key (NULL: none) and the filters as a
 * WHERE, the requested order then the key's as ORDER BY (stable pages), LIMIT and OFFSET. */
_must_check_ int sql_add_select_tail(struct buf *sql, const struct sql_dialect *d,
				     const struct query_plan *plan, const json_t *key,
				     sql_param_fn *param, void *params);
/* Compare two canonical values of one column type, for ordering and filters (null first). */
int conn_value_compare(enum conn_type t, const json_t *a, const json_t *b);
/* Load p's relations into each row of rows (fetched with p->fetch columns) through c's own
 * query slot, then drop the members that p does not want. */
_must_check_ int query_plan_finish_rows(struct conn *c, const struct query_plan *p, json_t *rows);

#endif
