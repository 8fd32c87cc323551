/* The data routes: CRUD over a model's entities through its store's pool (API.md §3 "Data").
 *
 * Every handler resolves model, entity and pool first (400/404/422/501 before the store is
 * touched), checks what it can without the store (query syntax and fields: 400), then takes one
 * connection for the whole operation. Writes run in one transaction where the backend has them,
 * so an array insert is all-or-nothing and a delete returns exactly the record it removed. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "api/handlers.h"
#include "api/http.h"
#include "api/model-json.h"
#include "api/pipeline.h"
#include "api/problem.h"
#include "api/registry.h"
#include "api/request.h"
#include "api/stores.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/strutil.h"
#include "connectors/connector.h"
#include "connectors/pool.h"
#include "models/ast.h"
#include "models/model-set.h"
#include "models/naming.h"

/* The largest array one POST may insert. */
#define DATA_MAX_BATCH 10000

struct data_target {
	struct model_state *m; /* borrowed from req->snap */
	const struct model_state *serving; /* m, or its last good state */
	const struct entity *e; /* NULL for the model-level routes */
	struct pool *pool;
	char datastore[32];
};

static void data_target_release(struct data_target *t)
{
	t->pool = pool_unref(t->pool);
}

/* Which entity {r} names: its resource name (the generated client's), with or without the
 * leading ' of a quoted entity name. */
static const struct entity *find_resource(const struct model_file *mf, const char *resource)
{
	_cleanup_buf_ struct buf res = BUF_INIT(1024);

	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		const char *name = e->resource_name;

		if (!name) {
			buf_reset(&res);
			if (naming_resource_name(e->name, &res) < 0)
				continue;
			name = res.buf;
		}
		if (streq(name, resource) || (name[0] == '\'' && streq(name + 1, resource)))
			return e;
	}
	return NULL;
}

static int reply_resource_unknown(struct request *req, const struct model_file *mf)
{
	_cleanup_buf_ struct buf detail = BUF_INIT(4096);
	_cleanup_buf_ struct buf res = BUF_INIT(1024);

	if (buf_addf(&detail, "no resource '%.64s' in model '%s'; it has:", req->params[1],
		     req->params[0]) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < mf->n_entities; i++) {
		buf_reset(&res);
		if (naming_resource_name(mf->entities[i]->name, &res) >= 0 &&
		    buf_addf(&detail, "%s %s", i ? "," : "", res.buf) < 0)
			return -ENOMEM;
	}
	return request_reply_problem(req, 404, "resource_not_found", "no such resource",
				     detail.len ? detail.buf : NULL);
}

/* Model, entity (when with_entity) and pool of the request. 0 when all are there; otherwise a
 * reply has been queued and -ECANCELED is returned. */
static int data_target_get(struct request *req, bool with_entity, struct data_target *t)
{
	const struct http_options *o = request_options(req);
	char err[256] = "";
	int r;

	*t = (struct data_target){ 0 };
	for (unsigned i = 0; i < req->n_params; i++)
		if (!utf8_is_valid(req->params[i])) {
			(void)request_reply_problem(req, 400, "bad_request", "invalid path",
						    "the path is not valid UTF-8");
			return -ECANCELED;
		}
	r = lookup_model(req, &t->m);
	if (r < 0) {
		if (!req->replied)
			(void)request_reply_errno(req, r, NULL);
		return -ECANCELED;
	}
	t->serving = model_state_serving(t->m);
	if (!t->serving || !t->serving->mf) {
		json_t *p = problem_new(422, "model_invalid", "model file does not validate",
					t->m->status == MODEL_EMPTY ? "the model defines no entity"
								    : "the model has errors",
					req->url);
		if (p)
			json_object_set_new(p, "diagnostics", diagnostics_json(&t->m->diags));
		(void)request_reply_problem_json(req, p);
		return -ECANCELED;
	}
	if (with_entity) {
		t->e = find_resource(t->serving->mf, req->params[1]);
		if (!t->e) {
			(void)reply_resource_unknown(req, t->serving->mf);
			return -ECANCELED;
		}
	}
	if (!o->stores) {
		(void)request_reply_problem(req, 501, "not_supported", "no data routes",
					    "this server serves no data");
		return -ECANCELED;
	}
	r = store_table_get(o->stores, t->m->entry.name, &t->pool, t->datastore,
			    sizeof(t->datastore), err, sizeof(err));
	if (r == -EOPNOTSUPP) {
		(void)request_reply_problem(req, 501, "datastore_unsupported",
					    "the model's store cannot be served", err);
		return -ECANCELED;
	}
	if (r < 0) {
		/* a model published a moment ago whose store is being set up */
		(void)request_add_header(req, "Retry-After", "1");
		(void)request_reply_problem(req, 503, "store_unavailable", "store not ready",
					    "the model's store is being set up; try again");
		return -ECANCELED;
	}
	return 0;
}

static bool is_store_failure(int r)
{
	return r == -ECONNREFUSED || r == -ECONNRESET || r == -ETIMEDOUT || r == -EHOSTUNREACH ||
	       r == -EPIPE;
}

/* The reply for a failed store operation. body_error: -EINVAL means the body did not fit the
 * entity (422), otherwise a bad request (400). */
static int reply_store_error(struct request *req, const struct data_target *t, int r,
			     const char *text, bool body_error)
{
	char detail[768];

	if (r == -ENOENT)
		return request_reply_problem(req, 404, "record_not_found", "record not found",
					     text);
	if (r == -EEXIST)
		return request_reply_problem(req, 409, "already_exists", "record already exists",
					     text);
	if (r == -ECONSTRAINT)
		return request_reply_problem(req, 422, "constraint_violation",
					     "constraint violation", text);
	if (r == -EINVAL)
		return body_error
			       ? request_reply_problem(req, 422, "invalid_record",
						       "the record does not fit the entity", text)
			       : request_reply_problem(req, 400, "bad_request",
						       "request is not valid", text);
	if (r == -EBUSY) {
		(void)request_add_header(req, "Retry-After", "1");
		(void)snprintf(detail, sizeof(detail),
			       "every connection of model '%s' is in use; try again",
			       t->m->entry.name);
		return request_reply_problem(req, 503, "pool_exhausted", "store busy", detail);
	}
	if (is_store_failure(r)) {
		(void)request_add_header(req, "Retry-After", "1");
		(void)snprintf(detail, sizeof(detail),
			       "the %s store of model '%s' is unavailable%s%s", t->datastore,
			       t->m->entry.name, text && *text ? ": " : "", text ? text : "");
		return request_reply_problem(req, 503, "store_unavailable", "store unavailable",
					     detail);
	}
	if (r == -EOPNOTSUPP)
		return request_reply_problem(req, 501, "not_supported",
					     "not supported by this store", text);
	if (r == -ENOMEM)
		return request_reply_errno(req, r, NULL);
	log_warning("req=%s %s %s: store error: %s", req->id_str, req->method, req->url,
		    text && *text ? text : strerror(-r));
	return request_reply_problem(req, 502, "store_error", "the store reported an error",
				     text && *text ? text : strerror(-r));
}

/* A connection of t's pool. On failure the reply is queued and -ECANCELED returned. */
static int acquire(struct request *req, const struct data_target *t, struct conn **ret)
{
	char err[512];
	int r;

	r = pool_acquire(t->pool, store_table_acquire_timeout(request_options(req)->stores), ret);
	if (r < 0) {
		pool_last_error(t->pool, err, sizeof(err));
		(void)reply_store_error(req, t, r, err, false);
		return -ECANCELED;
	}
	return 0;
}

/* ---- query strings -------------------------------------------------------------------------- */

struct query_args {
	struct query *q;
	unsigned max_page;
	bool allow_filters; /* lists; a get-by-key takes only fields and include */
	char err[256];
};

static int parse_query_arg(const char *key, const char *value, void *userdata)
{
	struct query_args *a = userdata;
	int r;

	if (!utf8_is_valid(key) || !utf8_is_valid(value)) {
		(void)snprintf(a->err, sizeof(a->err), "the query string is not valid UTF-8");
		return -EINVAL;
	}

	if (streq(key, "fields")) {
		r = query_parse_fields(a->q, value);
	} else if (streq(key, "include")) {
		r = query_parse_include(a->q, value);
	} else if (a->allow_filters && streq(key, "order")) {
		r = query_parse_order(a->q, value);
	} else if (a->allow_filters && (streq(key, "limit") || streq(key, "offset"))) {
		uint64_t v;
		r = safe_atou64(value, &v);
		if (r < 0) {
			(void)snprintf(a->err, sizeof(a->err),
				       "'%s' must be a non-negative integer, not '%.64s'", key,
				       value);
			return -EINVAL;
		}
		if (streq(key, "limit")) {
			if (v > a->max_page) {
				(void)snprintf(a->err, sizeof(a->err),
					       "limit %llu is above the largest page, %u",
					       (unsigned long long)v, a->max_page);
				return -EINVAL;
			}
			a->q->limit = v;
		} else {
			a->q->offset = v;
		}
		return 0;
	} else if (a->allow_filters) {
		r = query_parse_filter(a->q, key, value);
		if (r == -EINVAL) {
			(void)snprintf(a->err, sizeof(a->err),
				       "filter '%.64s=%.64s' is not of the form op.value (eq, neq, "
				       "gt, gte, lt, lte, like, in.(a,b), is.null, is.not_null)",
				       key, value);
			return r;
		}
	} else {
		(void)snprintf(a->err, sizeof(a->err),
			       "a record by key takes only 'fields' and 'include', not '%.64s'",
			       key);
		return -EINVAL;
	}
	if (r == -EINVAL)
		(void)snprintf(a->err, sizeof(a->err), "malformed '%s': '%.128s'", key, value);
	return r;
}

/* The query of the request's arguments, checked against e. On failure a 400 is queued and
 * -ECANCELED returned. */
static int query_from_request(struct request *req, const struct entity *e, bool list,
			      struct query *q)
{
	struct query_args a = { .q = q, .allow_filters = list };
	struct query_plan plan;
	int r;

	a.max_page = request_options(req)->max_page_size;
	if (a.max_page == 0)
		a.max_page = 1000;
	query_init(q);
	r = request_query_each(req, parse_query_arg, &a);
	if (r == -ENOMEM)
		return r;
	if (r >= 0) {
		if (list && q->limit == QUERY_NO_LIMIT)
			q->limit = a.max_page;
		/* fields, relations and filter values checked before the store is touched; a
		 * query without any has nothing to check (the common get-by-key) */
		if (q->n_fields || q->n_include || q->n_filters || q->n_order) {
			r = query_plan_build(e, q, &plan, a.err, sizeof(a.err));
			if (r >= 0)
				query_plan_release(&plan);
			if (r == -ENOMEM)
				return r;
		}
	}
	if (r < 0) {
		(void)request_reply_problem(req, 400, "bad_query", "invalid query",
					    a.err[0] ? a.err : "the query is not valid");
		return -ECANCELED;
	}
	return 0;
}

/* The key of the path's segments after {m} and {r}. On failure a 400 is queued. */
static int key_from_request(struct request *req, const struct entity *e, json_t **ret)
{
	char err[256] = "";
	int r;

	r = conn_key_from_segments(e, (const char *const *)req->params + 2, req->n_params - 2, ret,
				   err, sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		(void)request_reply_problem(req, 400, "bad_key", "invalid key", err);
		return -ECANCELED;
	}
	return 0;
}

/* The body as any JSON value. An empty or malformed body, or one that is not JSON by its
 * Content-Type, gets its reply queued and -ECANCELED. */
static int body_json(struct request *req, json_t **ret)
{
	const char *ct = request_header(req, "Content-Type");
	json_error_t err;
	json_t *j;

	if (ct && strncasecmp(ct, "application/json", 16) != 0 && !strstr(ct, "+json")) {
		(void)request_reply_problem(req, 415, "unsupported_media_type",
					    "unsupported media type",
					    "the body must be application/json");
		return -ECANCELED;
	}
	if (req->body.len == 0) {
		(void)request_reply_problem(req, 400, "bad_request", "invalid request body",
					    "the body is empty; send a JSON record");
		return -ECANCELED;
	}
	j = json_loadb(req->body.buf, req->body.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
		       &err);
	if (!j) {
		char detail[300];
		(void)snprintf(detail, sizeof(detail), "not JSON: %s (at byte %d)", err.text,
			       err.position);
		(void)request_reply_problem(req, 400, "bad_request", "invalid request body",
					    detail);
		return -ECANCELED;
	}
	*ret = j;
	return 0;
}

/* Pass a failure through: -ECANCELED means the reply is already queued. */
static int finish(int r)
{
	return r == -ECANCELED ? 0 : r;
}

/* ---- routes --------------------------------------------------------------------------------- */

int handle_data_list(struct request *req)
{
	_cleanup_(data_target_release) struct data_target t = { 0 };
	_cleanup_(query_releasep) struct query q;
	json_t *rows = NULL;
	struct conn *c = NULL;
	int r;

	query_init(&q);
	r = data_target_get(req, true, &t);
	if (r < 0)
		return finish(r);
	r = query_from_request(req, t.e, true, &q);
	if (r < 0)
		return finish(r);
	/* A read is safe to repeat: a connection found dead (the store restarted since it was
	 * last used) is dropped and the query runs once more on a fresh one. */
	for (int attempt = 0; attempt < 2; attempt++) {
		r = acquire(req, &t, &c);
		if (r < 0)
			return finish(r);
		r = conn_query(c, t.e, &q, &rows);
		if (r >= 0 || !is_store_failure(r) || attempt == 1)
			break;
		pool_release(c);
		c = NULL;
	}
	if (r < 0) {
		r = reply_store_error(req, &t, r, conn_last_error(c), false);
		pool_release(c);
		return r;
	}
	pool_release(c);
	if (q.limit != QUERY_NO_LIMIT && json_array_size(rows) == q.limit) {
		/* a full page: there may be more */
		char next[32];
		(void)snprintf(next, sizeof(next), "%llu",
			       (unsigned long long)(q.offset + json_array_size(rows)));
		(void)request_add_header(req, "X-Next-Offset", next);
	}
	return request_reply_json_array_stream(req, 200, rows);
}

/* The second half of a get-by-key whose read went through the loop's pipe. A record or a
 * "not found" is the answer, a store that stalled past pool.io_timeout a 503; any other
 * failure (the pipe broke, the store answered with an
 * error) sends the read again through the pool, whose path gives every error its reply. */
static int data_get_resumed(struct request *req)
{
	json_t *rec = NULL;
	char text[512];
	int r = pipeline_result(req, &rec, text, sizeof(text));

	if (r >= 0)
		return request_reply_json(req, 200, rec);
	if (r == -ENOENT)
		return request_reply_problem(req, 404, "record_not_found", "record not found",
					     text);
	if (r == -ETIMEDOUT) {
		/* the store stalled: the pool's connections would wait as long */
		_cleanup_(data_target_release) struct data_target t = { 0 };
		int q = data_target_get(req, true, &t);
		return q < 0 ? finish(q)
			     : reply_store_error(req, &t, r, "no answer within pool.io_timeout",
						 false);
	}
	req->no_pipeline = true;
	return handle_data_get(req);
}

int handle_data_get(struct request *req)
{
	_cleanup_(data_target_release) struct data_target t = { 0 };
	_cleanup_(query_releasep) struct query q;
	_cleanup_(json_decrefp) json_t *key = NULL;
	json_t *rec = NULL;
	struct conn *c = NULL;
	int r;

	query_init(&q);
	r = data_target_get(req, true, &t);
	if (r >= 0)
		r = key_from_request(req, t.e, &key);
	if (r >= 0)
		r = query_from_request(req, t.e, false, &q);
	if (r < 0)
		return finish(r);
	/* The whole record: pipelined when the store has pipes. */
	if (q.n_fields == 0 && q.n_include == 0 && !req->no_pipeline &&
	    pipeline_read(req, t.pool, t.e, key, data_get_resumed) >= 0)
		return 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		r = acquire(req, &t, &c);
		if (r < 0)
			return finish(r);
		r = conn_read_query(c, t.e, key, &q, &rec);
		if (r >= 0 || !is_store_failure(r) || attempt == 1)
			break;
		pool_release(c);
		c = NULL;
	}
	if (r < 0) {
		r = reply_store_error(req, &t, r, conn_last_error(c), false);
		pool_release(c);
		return r;
	}
	pool_release(c);
	return request_reply_json(req, 200, rec);
}

/* Start a write: a transaction where the backend has them. A connection that turns out dead at
 * BEGIN has done nothing yet, so one fresh connection is tried. */
static int begin_write(struct request *req, const struct data_target *t, struct conn **ret,
		       bool *in_tx)
{
	struct conn *c = NULL;
	int r;

	*in_tx = false;
	for (int attempt = 0; attempt < 2; attempt++) {
		r = acquire(req, t, &c);
		if (r < 0)
			return r;
		if (!connector_has(c->ops, CONN_CAP_TRANSACTIONS)) {
			*ret = c;
			return 0;
		}
		r = conn_begin(c);
		if (r >= 0) {
			*in_tx = true;
			*ret = c;
			return 0;
		}
		if (!is_store_failure(r) || attempt == 1)
			break;
		pool_release(c);
		c = NULL;
	}
	r = reply_store_error(req, t, r, conn_last_error(c), false);
	pool_release(c);
	return r < 0 ? r : -ECANCELED;
}

/* Commit (when in a transaction); on failure roll back and queue the error reply. */
static int end_write(struct request *req, const struct data_target *t, struct conn *c, bool in_tx)
{
	int r;

	if (!in_tx)
		return 0;
	r = conn_commit(c);
	if (r >= 0)
		return 0;
	(void)conn_rollback(c);
	r = reply_store_error(req, t, r, conn_last_error(c), false);
	return r < 0 ? r : -ECANCELED;
}

int handle_data_post(struct request *req)
{
	_cleanup_(data_target_release) struct data_target t = { 0 };
	_cleanup_(json_decrefp) json_t *body = NULL;
	_cleanup_(json_decrefp) json_t *keys = NULL;
	_cleanup_(json_decrefp) json_t *created = NULL; /* key objects, for undo without tx */
	struct conn *c = NULL;
	bool in_tx = false;
	size_t n;
	int r;

	r = data_target_get(req, true, &t);
	if (r >= 0)
		r = body_json(req, &body);
	if (r < 0)
		return finish(r);
	if (json_is_object(body)) {
		json_t *a = json_array();
		if (!a || json_array_append(a, body) < 0) {
			json_decref(a);
			return -ENOMEM;
		}
		json_decref(body);
		body = a;
	} else if (!json_is_array(body)) {
		return request_reply_problem(req, 422, "invalid_record",
					     "the record does not fit the entity",
					     "the body must be a record (an object) or an array of "
					     "records");
	}
	n = json_array_size(body);
	if (n == 0)
		return request_reply_problem(req, 422, "invalid_record",
					     "the record does not fit the entity",
					     "the array holds no record");
	if (n > DATA_MAX_BATCH)
		return request_reply_problem(req, 413, "payload_too_large", "too many records",
					     "one request inserts at most 10000 records");
	for (size_t i = 0; i < n; i++)
		if (!json_is_object(json_array_get(body, i))) {
			char detail[96];
			(void)snprintf(detail, sizeof(detail), "element %zu is not an object", i);
			return request_reply_problem(req, 422, "invalid_record",
						     "the record does not fit the entity", detail);
		}
	keys = json_array();
	created = json_array();
	if (!keys || !created)
		return -ENOMEM;

	r = begin_write(req, &t, &c, &in_tx);
	if (r < 0)
		return finish(r);
	for (size_t i = 0; i < n; i++) {
		json_t *key = NULL, *result = NULL;

		r = conn_create(c, t.e, json_array_get(body, i), &key);
		if (r >= 0) {
			r = conn_key_result(t.e, key, &result);
			if (r >= 0 && (json_array_append_new(keys, result) < 0 ||
				       json_array_append_new(created, key) < 0))
				r = -ENOMEM;
			else if (r < 0)
				json_decref(key);
		}
		if (r < 0) {
			char text[768];
			if (n > 1)
				(void)snprintf(text, sizeof(text), "record %zu: %s", i,
					       conn_last_error(c));
			else
				(void)snprintf(text, sizeof(text), "%s", conn_last_error(c));
			if (in_tx) {
				(void)conn_rollback(c);
			} else {
				/* no transactions: take back what this request inserted */
				for (size_t k = json_array_size(created); k > 0; k--)
					(void)conn_remove(c, t.e, json_array_get(created, k - 1));
			}
			r = reply_store_error(req, &t, r, text, true);
			pool_release(c);
			return r;
		}
	}
	r = end_write(req, &t, c, in_tx);
	pool_release(c);
	if (r < 0)
		return finish(r);
	return request_reply_json(req, 201, json_incref(keys));
}

/* The store steps of a one-record write; *rec is what the reply carries. */
typedef int record_write_fn(struct conn *c, const struct entity *e, const json_t *key,
			    const json_t *body, json_t **rec);

/* A one-record write between begin_write() and end_write(), answered 200 with its record; a
 * failed step is rolled back and answered as reply_store_error() says (body_error: -EINVAL means
 * the body did not fit). */
static int run_record_write(struct request *req, const struct data_target *t, record_write_fn *op,
			    const json_t *key, const json_t *body, bool body_error)
{
	json_t *rec = NULL;
	struct conn *c = NULL;
	bool in_tx;
	int r;

	r = begin_write(req, t, &c, &in_tx);
	if (r < 0)
		return finish(r);
	r = op(c, t->e, key, body, &rec);
	if (r < 0) {
		char text[768];
		(void)snprintf(text, sizeof(text), "%s", conn_last_error(c));
		if (in_tx)
			(void)conn_rollback(c);
		json_decref(rec);
		r = reply_store_error(req, t, r, text, body_error);
		pool_release(c);
		return r;
	}
	r = end_write(req, t, c, in_tx);
	pool_release(c);
	if (r < 0) {
		json_decref(rec);
		return finish(r);
	}
	return request_reply_json(req, 200, rec);
}

/* Patch, then read the record back for the reply (upstream's update does the same). */
static int update_steps(struct conn *c, const struct entity *e, const json_t *key,
			const json_t *patch, json_t **rec)
{
	int r = conn_update(c, e, key, patch);

	return r < 0 ? r : conn_read(c, e, key, rec);
}

/* As the generated client's delete: read the record, then remove it. */
static int delete_steps(struct conn *c, const struct entity *e, const json_t *key,
			const json_t *body, json_t **rec)
{
	int r = conn_read(c, e, key, rec);

	(void)body;
	return r < 0 ? r : conn_remove(c, e, key);
}

int handle_data_update(struct request *req)
{
	_cleanup_(data_target_release) struct data_target t = { 0 };
	_cleanup_(json_decrefp) json_t *key = NULL;
	_cleanup_(json_decrefp) json_t *patch = NULL;
	int r;

	r = data_target_get(req, true, &t);
	if (r >= 0)
		r = key_from_request(req, t.e, &key);
	if (r >= 0)
		r = body_json(req, &patch);
	if (r < 0)
		return finish(r);
	if (!json_is_object(patch))
		return request_reply_problem(req, 422, "invalid_record",
					     "the record does not fit the entity",
					     "the body must be an object of the fields to change");
	return run_record_write(req, &t, update_steps, key, patch, true);
}

int handle_data_delete(struct request *req)
{
	_cleanup_(data_target_release) struct data_target t = { 0 };
	_cleanup_(json_decrefp) json_t *key = NULL;
	int r;

	r = data_target_get(req, true, &t);
	if (r >= 0)
		r = key_from_request(req, t.e, &key);
	if (r < 0)
		return finish(r);
	return run_record_write(req, &t, delete_steps, key, NULL, false);
}

int handle_model_push(struct request *req)
{
	_cleanup_(data_target_release) struct data_target t = { 0 };
	_cleanup_(json_decrefp) json_t *body = NULL;
	static const char *const no_keys[] = { NULL };
	static const char *const bool_keys[] = { "dropExisting", NULL };
	const char *unused[1];
	bool drop[1] = { false };
	json_t *tables;
	struct conn *c = NULL;
	int r;

	r = data_target_get(req, false, &t);
	if (r < 0)
		return finish(r);
	if (request_body_object(req, &body) < 0 ||
	    request_body_members(req, body, no_keys, unused, bool_keys, drop) < 0)
		return 0; /* answered */
	r = acquire(req, &t, &c);
	if (r < 0)
		return finish(r);
	if (!connector_has(c->ops, CONN_CAP_SQL)) {
		pool_release(c);
		return request_reply_problem(req, 409, "not_sql_store", "not an SQL store",
					     "push applies a model's DDL to its SQL store; this "
					     "model's store has no tables to create");
	}
	r = conn_push(c, t.serving->mf, drop[0]);
	if (r < 0) {
		char text[768];
		(void)snprintf(text, sizeof(text), "%s", conn_last_error(c));
		if (r == -EEXIST)
			r = request_reply_problem(
				req, 409, "table_exists", "a table exists",
				text[0] ? text
					: "a table of the model exists; send "
					  "{\"dropExisting\": true} to replace it");
		else
			r = reply_store_error(req, &t, r, text, false);
		pool_release(c);
		return r;
	}
	pool_release(c);
	log_info("req=%s model '%s': pushed the DDL to its %s store%s", req->id_str,
		 t.m->entry.name, t.datastore, drop[0] ? " (dropping existing tables)" : "");
	tables = json_array();
	for (size_t i = 0; tables && i < t.serving->mf->n_entities; i++)
		json_array_append_new(tables,
				      json_string(entity_table_name(t.serving->mf->entities[i])));
	return request_reply_json(req, 200,
				  json_pack("{s:s, s:s, s:b, s:o*}", "model", t.m->entry.name,
					    "datastore", t.datastore, "droppedExisting", drop[0],
					    "tables", tables));
}
