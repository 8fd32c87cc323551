/* The live registry: the project's models and configuration as an immutable, reference-counted
 * snapshot. The main thread builds a new snapshot after each batch of file changes and
 * publishes it under a short lock; request threads take a reference for the life of a request
 * and never see a half-updated registry. */
#ifndef API_REGISTRY_H
#define API_REGISTRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"
#include "base/time-util.h"
#include "models/model-set.h"

struct fileset;
struct project_config;

/* Ballerina.toml and Config.toml as loaded once; shared by the snapshots until they change. */
struct project_state {
	atomic_uint ref;
	struct project_config *config; /* NULL when Ballerina.toml is missing or broken */
	char *error; /* why config is NULL, positioned; NULL otherwise */
};

struct snapshot {
	atomic_uint ref;
	struct model_set *models; /* never NULL */
	struct project_state *project; /* never NULL */
	uint64_t generation;
	usec_t published_at; /* CLOCK_REALTIME */
};

struct snapshot *snapshot_ref(struct snapshot *s);
struct snapshot *snapshot_unref(struct snapshot *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct snapshot *, snapshot_unref)

struct generation_record {
	char name[MODEL_NAME_MAX];
	usec_t at; /* CLOCK_REALTIME of the last successful generation */
	usec_t last_at; /* of the last attempt */
	bool last_ok;
	char last_error[512]; /* why the last attempt failed */
	char files[2048]; /* the paths of the last successful generation, '\n'-separated (cut
			     at a path boundary when they do not fit) */
};

struct registry {
	pthread_mutex_t lock;
	struct snapshot *current; /* under lock */
	struct generation_record *generations; /* under lock */
	size_t n_generations, alloc_generations;
	char *project_dir;
	struct model_set_limits limits;
	atomic_bool ready; /* the first load has been published */
};

_must_check_ int registry_new(const char *project_dir, const struct model_set_limits *limits,
			      struct registry **ret);
struct registry *registry_free(struct registry *reg);

/* A reference on the current snapshot (never NULL once registry_new returned). Any thread. */
struct snapshot *registry_snapshot(struct registry *reg);

/* Main thread only: re-read what changed and publish a new snapshot. changed names models
 * whose files changed; rescan re-reads every model; config re-reads Ballerina.toml and
 * Config.toml (and so every binding). ret_changes (mem_free) lists the model changes. */
_must_check_ int registry_reload(struct registry *reg, char *const *changed, size_t n_changed,
				 bool rescan, bool config, struct model_change **ret_changes,
				 size_t *ret_n_changes);

/* Remember a generation of model name at (CLOCK_REALTIME µs): successful when error is NULL,
 * with the files it wrote (files may be NULL). */
void registry_note_generation(struct registry *reg, const char *name, usec_t at, const char *error,
			      const struct fileset *files);
/* When model name was last generated successfully; 0 when it never was. */
usec_t registry_generated_at(struct registry *reg, const char *name);
/* A copy of the record of model name; false when it was never generated. */
bool registry_generation(struct registry *reg, const char *name, struct generation_record *ret);

void registry_set_limits(struct registry *reg, const struct model_set_limits *limits);

#endif
