/* The stores of the models: one connection pool per model that serves data.
 *
 * A model bound by a [[tool.persist]] entry uses its binding's datastore and the connection
 * settings of its Config.toml section; an unbound model uses the embedded in-memory store. The
 * main thread brings the table in line with each new registry snapshot: a model whose datastore
 * and settings did not change keeps its pool (so the in-memory store keeps its records across
 * saves of the model file), a changed one gets a new pool, and a removed model's pool is dropped
 * once the requests using it are done. Request threads look a pool up by model name. */
#ifndef API_STORES_H
#define API_STORES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"
#include "base/time-util.h"
#include "connectors/pool.h"
#include "models/project.h"

struct snapshot;
struct store_table;

struct store_options {
	struct pool_config pool;
	usec_t acquire_timeout; /* wait for a free connection; then 503 */
};

/* What /readyz and /metrics show of one model's store. */
struct store_info {
	char model[MODEL_NAME_MAX];
	char datastore[32];
	bool servable; /* a pool exists (a compiled-in connector, settings that parse) */
	bool down;
	char error[256]; /* why it is not servable, or the last connect error */
	struct pool_stats stats;
};

_must_check_ int store_table_new(const struct store_options *opts, struct store_table **ret);
struct store_table *store_table_free(struct store_table *t);

/* Options for the pools made from now on (a SIGHUP); pools in use keep theirs. */
void store_table_set_options(struct store_table *t, const struct store_options *opts);
usec_t store_table_acquire_timeout(struct store_table *t);

/* Main thread: one pool per model of snap that has a valid (or last good) state. A model whose
 * store cannot be set up (a datastore without a connector here, settings that do not parse)
 * gets an entry with the reason instead. */
_must_check_ int store_table_sync(struct store_table *t, const struct snapshot *snap);

/* The pool of model name (a new reference) and its datastore. -ENOENT when the model has no
 * entry; -EOPNOTSUPP (reason in err) when its store cannot be served. Any thread. */
_must_check_ int store_table_get(struct store_table *t, const char *model, struct pool **ret,
				 char *datastore, size_t ds_size, char *err, size_t err_size);

/* Called by store_table_janitor() when a store goes down or comes back. */
typedef void store_change_fn(const char *model, const char *datastore, bool up, const char *error,
			     void *userdata);

/* Main thread, on a timer: each pool's janitor, then a call to changed for each store whose
 * state flipped since the last call. */
void store_table_janitor(struct store_table *t, usec_t now, store_change_fn *changed,
			 void *userdata);

/* A copy of every entry, sorted by model name (mem_free *ret). Any thread. */
_must_check_ int store_table_list(struct store_table *t, struct store_info **ret, size_t *ret_n);

#endif
