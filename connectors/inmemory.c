/* The embedded store (runtime.md §7): one table per entity, keyed by the key fields, lost on
 * exit. The store is the config object, so every connection made from one config shares it.
 *
 * Upstream's in-memory client has no transactions; persistd's array inserts are
 * all-or-nothing, so a connection may begin one: it then holds the store's lock until commit or
 * rollback (writers serialise, which costs nothing here) and keeps an undo log. A @sql:Generated
 * key left out of an insert gets the largest stored value plus one, so a model bound to an SQL
 * store also runs here. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/alloc.h"
#include "base/macro.h"
#include "base/strutil.h"
#include "connectors/connector.h"
#include "models/ast.h"

struct mem_store {
	pthread_mutex_t lock;
	json_t *tables; /* entity name → { key text → record } (insertion order) */
};

struct mem_conn {
	struct conn base;
	struct mem_store *store;
	bool in_tx;
	json_t *undo; /* [[entity, key text, old record or null], ...] */
	char err[1024];
};

static struct mem_conn *mem_conn_cast(struct conn *c)
{
	assert(c->ops == &inmemory_ops);
	return (struct mem_conn *)c;
}

static const struct mem_conn *mem_conn_cast_const(const struct conn *c)
{
	assert(c->ops == &inmemory_ops);
	return (const struct mem_conn *)c;
}

static int mem_config_parse(const struct connection_settings *cs, void **ret_cfg,
			    struct pd_error *reterr)
{
	struct mem_store *s;
	(void)cs;
	(void)reterr;

	s = new0(struct mem_store, 1);
	if (!s)
		return -ENOMEM;
	s->tables = json_object();
	if (!s->tables) {
		mem_free(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	*ret_cfg = s;
	return 0;
}

static void mem_config_free(void *cfg)
{
	struct mem_store *s = cfg;

	if (!s)
		return;
	json_decref(s->tables);
	pthread_mutex_destroy(&s->lock);
	mem_free(s);
}

static int mem_connect(struct conn *c, const void *cfg, usec_t timeout)
{
	struct mem_conn *m = mem_conn_cast(c);
	(void)timeout;

	if (!cfg)
		return -EINVAL;
	m->store = (struct mem_store *)cfg;
	return 0;
}

static void lock(struct mem_conn *m)
{
	if (!m->in_tx)
		pthread_mutex_lock(&m->store->lock);
}

static void unlock(struct mem_conn *m)
{
	if (!m->in_tx)
		pthread_mutex_unlock(&m->store->lock);
}

static int set_error(struct mem_conn *m, int r, const char *text)
{
	(void)snprintf(m->err, sizeof(m->err), "%s", text);
	return r;
}

/* The table of e, created when create is set; NULL when missing (or OOM with create). */
static json_t *table(struct mem_conn *m, const struct entity *e, bool create)
{
	json_t *t = json_object_get(m->store->tables, e->bare_name);

	if (!t && create) {
		t = json_object();
		if (!t || json_object_set_new(m->store->tables, e->bare_name, t) < 0)
			return NULL;
	}
	return t;
}

/* The table's index: the canonical key values as a compact JSON array. */
static char *key_text(const struct entity *e, const json_t *rec)
{
	json_auto_t *a = NULL;

	/* the common single integer key without building an array: the same text */
	if (e->n_keys == 1) {
		const json_t *v = json_object_get(rec, e->keys[0]->bare_name);
		if (json_is_integer(v)) {
			char text[32];
			(void)snprintf(text, sizeof(text), "[%" JSON_INTEGER_FORMAT "]",
				       json_integer_value(v));
			return mem_strdup(text);
		}
	}
	a = json_array();
	if (!a)
		return NULL;
	for (size_t i = 0; i < e->n_keys; i++) {
		json_t *v = json_object_get(rec, e->keys[i]->bare_name);
		if (!v || json_array_append(a, v) < 0)
			return NULL;
	}
	return json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int undo_push(struct mem_conn *m, const struct entity *e, const char *k, json_t *old)
{
	json_t *entry;

	if (!m->in_tx)
		return 0;
	entry = json_pack("[s,s,O]", e->bare_name, k, old ? old : json_null());
	if (!entry || json_array_append_new(m->undo, entry) < 0)
		return -ENOMEM;
	return 0;
}

static int mem_create(struct conn *c, const struct entity *e, const json_t *rec, json_t **ret_key)
{
	struct mem_conn *m = mem_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	json_auto_t *r_rec = NULL, *key = NULL;
	_cleanup_free_ char *k = NULL;
	json_t *t;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_record_check(&cols, e, rec, &r_rec, m->err, sizeof(m->err));
	if (r < 0)
		return r;
	for (size_t i = 0; i < cols.n; i++)
		if (!json_object_get(r_rec, cols.v[i].name) && !cols.v[i].generated &&
		    json_object_set_new(r_rec, cols.v[i].name, json_null()) < 0)
			return -ENOMEM;

	lock(m);
	t = table(m, e, true);
	if (!t) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < cols.n; i++) {
		const char *name;
		json_t *row;
		json_int_t max = 0;
		if (!cols.v[i].generated || json_object_get(r_rec, cols.v[i].name))
			continue;
		json_object_foreach(t, name, row) {
			json_t *v = json_object_get(row, cols.v[i].name);
			if (json_is_integer(v) && json_integer_value(v) > max)
				max = json_integer_value(v);
		}
		if (json_object_set_new(r_rec, cols.v[i].name, json_integer(max + 1)) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	key = json_object();
	k = key_text(e, r_rec);
	if (!key || !k) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < e->n_keys; i++)
		if (json_object_set(key, e->keys[i]->bare_name,
				    json_object_get(r_rec, e->keys[i]->bare_name)) < 0) {
			r = -ENOMEM;
			goto out;
		}
	if (json_object_get(t, k)) {
		char kt[512] = "";
		(void)conn_key_text(e, key, kt, sizeof(kt));
		conn_exists_text(e, kt, m->err, sizeof(m->err));
		r = -EEXIST;
		goto out;
	}
	r = undo_push(m, e, k, NULL);
	if (r >= 0 && json_object_set(t, k, r_rec) < 0)
		r = -ENOMEM;
out:
	unlock(m);
	if (r < 0)
		return r;
	*ret_key = TAKE_PTR(key);
	return 0;
}

/* The stored record of key (borrowed), or -ENOENT with the NotFound text; under the lock. */
static int lookup(struct mem_conn *m, const struct entity *e, const json_t *key, char **ret_k,
		  json_t **ret)
{
	_cleanup_free_ char *k = key_text(e, key);
	json_t *t = table(m, e, false), *row;

	if (!k)
		return -ENOMEM;
	row = t ? json_object_get(t, k) : NULL;
	if (!row) {
		conn_not_found_text(e, key, m->err, sizeof(m->err));
		return -ENOENT;
	}
	if (ret_k)
		*ret_k = TAKE_PTR(k);
	*ret = row;
	return 0;
}

static int mem_read(struct conn *c, const struct entity *e, const json_t *key, json_t **ret_rec)
{
	struct mem_conn *m = mem_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	json_auto_t *k = NULL;
	json_t *row, *copy = NULL;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, m->err, sizeof(m->err));
	if (r < 0)
		return r;
	lock(m);
	r = lookup(m, e, k, NULL, &row);
	if (r >= 0) {
		/* a new object over the row's values: they are never changed in place (an update
		 * sets new ones), and their reference counts are atomic */
		copy = json_copy(row);
		if (!copy)
			r = -ENOMEM;
	}
	unlock(m);
	if (r < 0)
		return r;
	*ret_rec = copy;
	return 0;
}

static int mem_update(struct conn *c, const struct entity *e, const json_t *key,
		      const json_t *patch)
{
	struct mem_conn *m = mem_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	json_auto_t *k = NULL, *p = NULL;
	_cleanup_free_ char *kt = NULL;
	json_t *row;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, m->err, sizeof(m->err));
	if (r < 0)
		return r;
	r = conn_patch_check(&cols, e, patch, &p, m->err, sizeof(m->err));
	if (r < 0)
		return r;
	lock(m);
	r = lookup(m, e, k, &kt, &row);
	if (r >= 0 && json_object_size(p) > 0) {
		json_auto_t *old = json_deep_copy(row);
		r = old ? undo_push(m, e, kt, old) : -ENOMEM;
		if (r >= 0 && json_object_update(row, p) < 0)
			r = -ENOMEM;
	}
	unlock(m);
	return r;
}

static int mem_remove(struct conn *c, const struct entity *e, const json_t *key)
{
	struct mem_conn *m = mem_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	json_auto_t *k = NULL;
	_cleanup_free_ char *kt = NULL;
	json_t *row;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, m->err, sizeof(m->err));
	if (r < 0)
		return r;
	lock(m);
	r = lookup(m, e, k, &kt, &row);
	if (r >= 0)
		r = undo_push(m, e, kt, row);
	if (r >= 0)
		r = json_object_del(table(m, e, false), kt) < 0 ? -ENOMEM : 0;
	unlock(m);
	return r;
}

static int mem_query(struct conn *c, const struct entity *e, const struct query *q,
		     json_t **ret_rows)
{
	struct mem_conn *m = mem_conn_cast(c);
	_cleanup_(query_plan_release) struct query_plan p = { 0 };
	_cleanup_free_ json_t **v = NULL;
	json_auto_t *rows = json_array();
	size_t n = 0, cap = 0;
	const char *name;
	json_t *t, *row;
	int r = 0;

	if (!rows)
		return -ENOMEM;
	r = query_plan_build(e, q, &p, m->err, sizeof(m->err));
	if (r < 0)
		return r;
	lock(m);
	t = table(m, e, false);
	if (t)
		json_object_foreach(t, name, row) {
			json_t *copy;
			if (!query_plan_match(&p, row))
				continue;
			copy = json_copy(row); /* the values shared, as in mem_read() */
			if (!copy || GROW(v, cap, n + 1) < 0) {
				json_decref(copy);
				r = -ENOMEM;
				break;
			}
			v[n++] = copy;
		}
	unlock(m);
	if (r >= 0 && p.n_order > 0) {
		query_plan_sort(&p, v, n);
	}
	for (size_t i = 0; i < n; i++) {
		if (r >= 0 && i >= p.offset && i - p.offset < p.limit) {
			if (json_array_append_new(rows, v[i]) < 0)
				r = -ENOMEM;
		} else {
			json_decref(v[i]);
		}
	}
	if (r < 0)
		return r;
	r = query_plan_finish_rows(c, &p, rows);
	if (r < 0)
		return r;
	*ret_rows = TAKE_PTR(rows);
	return 0;
}

static int mem_begin(struct conn *c)
{
	struct mem_conn *m = mem_conn_cast(c);

	if (m->in_tx)
		return set_error(m, -EINVAL, "a transaction is already open");
	m->undo = json_array();
	if (!m->undo)
		return -ENOMEM;
	pthread_mutex_lock(&m->store->lock);
	m->in_tx = true;
	return 0;
}

static int mem_commit(struct conn *c)
{
	struct mem_conn *m = mem_conn_cast(c);

	if (!m->in_tx)
		return set_error(m, -EINVAL, "no transaction is open");
	m->in_tx = false;
	m->undo = (json_decref(m->undo), NULL);
	pthread_mutex_unlock(&m->store->lock);
	return 0;
}

static int mem_rollback(struct conn *c)
{
	struct mem_conn *m = mem_conn_cast(c);
	size_t i = 0;

	if (!m->in_tx)
		return set_error(m, -EINVAL, "no transaction is open");
	for (i = json_array_size(m->undo); i > 0; i--) {
		json_t *entry = json_array_get(m->undo, i - 1);
		json_t *t = json_object_get(m->store->tables,
					    json_string_value(json_array_get(entry, 0)));
		const char *k = json_string_value(json_array_get(entry, 1));
		json_t *old = json_array_get(entry, 2);
		if (!t)
			continue;
		/* Restoring never allocates more than the entry already holds, but a failing
		 * set would leave the newer value: nothing better can be done then. */
		if (json_is_null(old))
			(void)json_object_del(t, k);
		else
			(void)json_object_set(t, k, old);
	}
	m->in_tx = false;
	m->undo = (json_decref(m->undo), NULL);
	pthread_mutex_unlock(&m->store->lock);
	return 0;
}

static int mem_reset(struct conn *c)
{
	struct mem_conn *m = mem_conn_cast(c);

	if (m->in_tx)
		(void)mem_rollback(c);
	m->err[0] = '\0';
	return 0;
}

static void mem_disconnect(struct conn *c)
{
	(void)mem_reset(c);
}

static const char *mem_last_error(const struct conn *c)
{
	return mem_conn_cast_const(c)->err;
}

const struct connector_ops inmemory_ops = {
	.name = "inmemory",
	.caps = CONN_CAP_TRANSACTIONS,
	.conn_size = sizeof(struct mem_conn),
	.config_parse = mem_config_parse,
	.config_free = mem_config_free,
	.connect = mem_connect,
	.disconnect = mem_disconnect,
	.reset = mem_reset,
	.create = mem_create,
	.read = mem_read,
	.update = mem_update,
	.remove = mem_remove,
	.query = mem_query,
	.begin = mem_begin,
	.commit = mem_commit,
	.rollback = mem_rollback,
	.last_error = mem_last_error,
};
