/* The loaded models of a project as one immutable, reference-counted value. A new set is built
 * from the previous one and the names of the models whose files changed: unchanged models are
 * shared (same struct model_state, one more reference), and a file whose bytes did not change
 * is not parsed again. Readers on other threads hold a reference and never see a set change. */
#ifndef MODELS_MODEL_SET_H
#define MODELS_MODEL_SET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"
#include "base/time-util.h"
#include "models/diagnostic.h"
#include "models/project.h"

struct model_file;

enum model_status {
	MODEL_VALID, /* parses, validates, has entities */
	MODEL_INVALID, /* an error diagnostic (syntax or validation) */
	MODEL_EMPTY, /* parses, but defines no entity yet */
	MODEL_CONFLICT, /* the same name in both layouts */
};

const char *model_status_to_string(enum model_status s);

struct model_state {
	atomic_uint ref;
	struct model_entry entry; /* name, path, layout */
	enum model_status status;
	char *datastore; /* from the model's binding, NULL without one */
	uint64_t hash; /* of the file's bytes (FNV-1a 64) */
	size_t size;
	struct model_file *mf; /* NULL when the text did not parse */
	struct diag_list diags;
	usec_t updated_at; /* CLOCK_REALTIME when this content was loaded */
	/* The newest earlier state of this model that was valid, for readers that keep serving
	 * it while the file is broken; NULL when there is none (or this one is valid). */
	struct model_state *last_good;
};

struct model_state *model_state_ref(struct model_state *m);
struct model_state *model_state_unref(struct model_state *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct model_state *, model_state_unref)

/* The state readers that serve data should use: this one when valid, else last_good (NULL
 * when there is neither). */
const struct model_state *model_state_serving(const struct model_state *m);

struct model_set {
	atomic_uint ref;
	struct model_state **models; /* sorted by name, then layout */
	size_t n;
	uint64_t generation; /* increases with each set built */
};

struct model_set *model_set_ref(struct model_set *s);
struct model_set *model_set_unref(struct model_set *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct model_set *, model_set_unref)

/* The model of that name (the file-layout one first when there is a conflict), or NULL. */
struct model_state *model_set_find(const struct model_set *s, const char *name);

/* Which datastore a model is bound to (by its path), NULL when unbound. */
typedef const char *model_binding_fn(const char *model_path, void *userdata);

enum model_change_kind {
	MODEL_ADDED,
	MODEL_CHANGED,
	MODEL_REMOVED,
};

struct model_change {
	enum model_change_kind kind;
	char name[MODEL_NAME_MAX];
	enum model_status status; /* of the new state (ADDED/CHANGED) */
};

struct model_set_limits {
	size_t max_models;
	size_t max_file_bytes;
};

/* Build the set of the models in project_dir. With prev, only the models named in changed
 * (and all of them when rescan is true) are read again; the others are shared. A model whose
 * bytes and binding are unchanged keeps its state. ret_changes lists what differs from prev
 * (mem_free it). A missing persist/ is a project without models. */
_must_check_ int model_set_build(const char *project_dir, const struct model_set *prev,
				 char *const *changed, size_t n_changed, bool rescan,
				 model_binding_fn *binding, void *userdata,
				 const struct model_set_limits *limits, struct model_set **ret,
				 struct model_change **ret_changes, size_t *ret_n_changes);

#endif
