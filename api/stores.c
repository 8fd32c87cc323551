#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/registry.h"
#include "api/stores.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"
#include "base/strutil.h"
#include "connectors/connector.h"
#include "models/model-set.h"
#include "models/project-config.h"

/* The embedded store a model without a binding uses. */
#define DEFAULT_DATASTORE "inmemory"

struct store_entry {
	char model[MODEL_NAME_MAX];
	char datastore[32];
	char *identity; /* datastore and settings as one text: equal text, same store */
	struct pool *pool; /* NULL when the store cannot be served */
	char error[256]; /* why pool is NULL */
	bool reported_down; /* the state store_table_janitor() last announced */
};

struct store_table {
	pthread_mutex_t lock;
	struct store_options opts; /* under lock */
	struct store_entry *v; /* sorted by model; under lock */
	size_t n, alloc;
};

int store_table_new(const struct store_options *opts, struct store_table **ret)
{
	struct store_table *t = new0(struct store_table, 1);

	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	t->opts = *opts;
	*ret = t;
	return 0;
}

static void entry_release(struct store_entry *e)
{
	mem_free(e->identity);
	(void)pool_unref(e->pool);
}

struct store_table *store_table_free(struct store_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		entry_release(&t->v[i]);
	mem_free(t->v);
	pthread_mutex_destroy(&t->lock);
	mem_free(t);
	return NULL;
}

void store_table_set_options(struct store_table *t, const struct store_options *opts)
{
	pthread_mutex_lock(&t->lock);
	t->opts = *opts;
	pthread_mutex_unlock(&t->lock);
}

usec_t store_table_acquire_timeout(struct store_table *t)
{
	usec_t v;

	pthread_mutex_lock(&t->lock);
	v = t->opts.acquire_timeout;
	pthread_mutex_unlock(&t->lock);
	return v;
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* The text that identifies a store: two models (or two snapshots of one) with equal text
 * reach the same store the same way. Fields are separated by a byte no TOML string holds. */
static int store_identity(const char *datastore, const struct connection_settings *cs, char **ret)
{
	_cleanup_buf_ struct buf b = BUF_INIT(1 << 16);
	int r;

	r = buf_addf(&b, "%s\x1f%s\x1f%s\x1f%" PRId64 "\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f",
		     datastore, str_or_empty(cs->section), str_or_empty(cs->host), cs->port,
		     str_or_empty(cs->user), str_or_empty(cs->password), str_or_empty(cs->database),
		     str_or_empty(cs->default_schema), str_or_empty(cs->url),
		     str_or_empty(cs->connection));
	if (r >= 0)
		r = buf_addf(&b, "%d\x1f%" PRId64 "\x1f%s\x1f%s\x1f%s\x1f%s", cs->has_max_age,
			     cs->max_age, str_or_empty(cs->spreadsheet_id),
			     str_or_empty(cs->client_id), str_or_empty(cs->client_secret),
			     str_or_empty(cs->refresh_token));
	if (r < 0)
		return r;
	*ret = buf_detach(&b, NULL);
	return *ret ? 0 : -ENOMEM;
}

static struct store_entry *find_entry(struct store_entry *v, size_t n, const char *model)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i].model, model))
			return &v[i];
	return NULL;
}

/* The entry model m should have: datastore, identity, and a pool (reused from old when the
 * identity is unchanged). */
static int entry_build(const struct store_options *opts, const struct project_config *pc,
		       const struct model_state *m, const struct store_entry *old,
		       struct store_entry *ret)
{
	_cleanup_(connection_settings_release) struct connection_settings cs = { 0 };
	const struct persist_binding *b =
		pc ? project_config_binding_for_path(pc, m->entry.path) : NULL;
	const char *datastore = m->datastore ? m->datastore : DEFAULT_DATASTORE;
	const struct connector_ops *ops;
	struct pd_error err = { 0 };
	int r;

	*ret = (struct store_entry){ 0 };
	if (snprintf_checked(ret->model, sizeof(ret->model), "%s", m->entry.name) < 0 ||
	    snprintf_checked(ret->datastore, sizeof(ret->datastore), "%s", datastore) < 0)
		return -ENAMETOOLONG;
	if (b && b->target_module && !streq(datastore, DEFAULT_DATASTORE)) {
		r = project_config_connection(pc, b->target_module, &cs, &err);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			(void)snprintf(ret->error, sizeof(ret->error),
				       "the connection settings do not parse: %.200s", err.text);
			return 0;
		}
	}
	r = store_identity(datastore, &cs, &ret->identity);
	if (r < 0)
		return r;
	if (old && old->identity && streq(old->identity, ret->identity) && old->pool) {
		/* the same store: keep the pool and its connections (and in-memory records) */
		ret->pool = pool_ref(old->pool);
		ret->reported_down = old->reported_down;
		return 0;
	}
	ops = connector_find(datastore);
	if (!ops) {
		(void)snprintf(ret->error, sizeof(ret->error),
			       "the datastore '%s' is not served by this build of persistd",
			       datastore);
		return 0;
	}
	r = pool_new(ops, &cs, &opts->pool, &ret->pool, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		(void)snprintf(ret->error, sizeof(ret->error), "%.250s",
			       err.text[0] ? err.text : "the connection settings are not usable");
		ret->pool = NULL;
		return 0;
	}
	log_debug("store of model '%s': new %s pool", ret->model, datastore);
	return 0;
}

int store_table_sync(struct store_table *t, const struct snapshot *snap)
{
	const struct project_config *pc = snap->project->config;
	struct store_entry *old_v, *v = NULL;
	size_t old_n, n = 0, alloc = 0;
	struct store_options opts;
	int r = 0;

	/* Without a readable Ballerina.toml no binding is known: keep every store as it is
	 * rather than moving bound models to the in-memory default. */
	if (!pc)
		return 0;
	pthread_mutex_lock(&t->lock);
	opts = t->opts;
	old_v = t->v;
	old_n = t->n;
	pthread_mutex_unlock(&t->lock);

	/* Only the main thread changes the table, so old_v is stable while the new one is
	 * built; a kept pool gets one more reference, old_v itself is never written. */
	for (size_t i = 0; i < snap->models->n; i++) {
		const struct model_state *m = snap->models->models[i];
		const struct model_state *serving = model_state_serving(m);

		if (!serving || find_entry(v, n, m->entry.name))
			continue;
		r = GROW(v, alloc, n + 1);
		if (r < 0)
			break;
		r = entry_build(&opts, pc, m, find_entry(old_v, old_n, m->entry.name), &v[n]);
		if (r < 0)
			break;
		n++;
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			entry_release(&v[i]);
		mem_free(v);
		return r;
	}

	pthread_mutex_lock(&t->lock);
	t->v = v;
	t->n = n;
	t->alloc = alloc;
	pthread_mutex_unlock(&t->lock);
	for (size_t i = 0; i < old_n; i++)
		entry_release(&old_v[i]);
	mem_free(old_v);
	return 0;
}

int store_table_get(struct store_table *t, const char *model, struct pool **ret, char *datastore,
		    size_t ds_size, char *err, size_t err_size)
{
	struct store_entry *e;
	int r = 0;

	pthread_mutex_lock(&t->lock);
	e = find_entry(t->v, t->n, model);
	if (!e) {
		r = -ENOENT;
	} else {
		if (datastore)
			(void)snprintf(datastore, ds_size, "%s", e->datastore);
		if (e->pool) {
			*ret = pool_ref(e->pool);
		} else {
			(void)snprintf(err, err_size, "%s", e->error);
			r = -EOPNOTSUPP;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

void store_table_janitor(struct store_table *t, usec_t now, store_change_fn *changed,
			 void *userdata)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->n;
	pthread_mutex_unlock(&t->lock);
	/* Only the main thread replaces t->v, and this runs on it: no entry moves under us. The
	 * janitor connects outside the table's lock, so lookups never wait for a slow store. */
	for (size_t i = 0; i < n; i++) {
		struct store_entry *e = &t->v[i];
		struct pool_stats st;
		char err[256];

		if (!e->pool)
			continue;
		(void)pool_janitor(e->pool, now);
		pool_get_stats(e->pool, &st);
		if (st.store_down == e->reported_down)
			continue;
		pthread_mutex_lock(&t->lock);
		e->reported_down = st.store_down;
		pthread_mutex_unlock(&t->lock);
		pool_last_error(e->pool, err, sizeof(err));
		if (changed)
			changed(e->model, e->datastore, !st.store_down, st.store_down ? err : NULL,
				userdata);
	}
}

static int info_compare(const void *a, const void *b)
{
	return strcmp(((const struct store_info *)a)->model, ((const struct store_info *)b)->model);
}

int store_table_list(struct store_table *t, struct store_info **ret, size_t *ret_n)
{
	struct store_info *v;
	struct pool **pools;
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->n;
	v = new0(struct store_info, n ? n : 1);
	pools = new0(struct pool *, n ? n : 1);
	if (!v || !pools) {
		pthread_mutex_unlock(&t->lock);
		mem_free(v);
		mem_free(pools);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(v[i].model, t->v[i].model, sizeof(v[i].model));
		memcpy(v[i].datastore, t->v[i].datastore, sizeof(v[i].datastore));
		pools[i] = pool_ref(t->v[i].pool);
		if (!pools[i])
			(void)snprintf(v[i].error, sizeof(v[i].error), "%s", t->v[i].error);
	}
	pthread_mutex_unlock(&t->lock);
	/* pool counters are read outside the table's lock */
	for (size_t i = 0; i < n; i++) {
		if (!pools[i])
			continue;
		v[i].servable = true;
		pool_get_stats(pools[i], &v[i].stats);
		v[i].down = v[i].stats.store_down;
		if (v[i].down)
			pool_last_error(pools[i], v[i].error, sizeof(v[i].error));
		(void)pool_unref(pools[i]);
	}
	mem_free(pools);
	qsort(v, n, sizeof(*v), info_compare);
	*ret = v;
	*ret_n = n;
	return 0;
}
