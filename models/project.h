/* Model discovery and resolution in a project (API.md §1).
 *
 * A model is every regular file persist/<name>.bal ("file layout") and every
 * persist/<name>/model.bal ("directory layout", upstream 1.9). persist/migrations/ and
 * persist/<name>/migrations/ are never models. The same name in both layouts is a conflict:
 * both entries are kept, marked, and neither can be selected until it is resolved. */
#ifndef MODELS_PROJECT_H
#define MODELS_PROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/macro.h"

#define MODEL_NAME_MAX		   128
#define MODEL_PATH_MAX		   (MODEL_NAME_MAX + 32)
#define MODEL_DEFAULT_NAME	   "model"
#define PROJECT_MAX_MODELS_DEFAULT 100000

enum model_layout {
	MODEL_LAYOUT_FILE, /* persist/<name>.bal */
	MODEL_LAYOUT_DIRECTORY, /* persist/<name>/model.bal */
};

struct model_entry {
	char name[MODEL_NAME_MAX];
	char path[MODEL_PATH_MAX]; /* relative to the project directory */
	enum model_layout layout;
	bool conflict; /* the same name exists in the other layout */
	bool bad_name; /* the file stem is not a valid model name */
};

struct model_list {
	struct model_entry *items; /* sorted by name, then file layout first */
	size_t n, alloc;
};

/* Check a model name as upstream does, in its order. On failure returns -EINVAL and writes
 * upstream's message ("model name cannot be empty." ...) into reterr->text. */
int model_name_check(const char *name, struct pd_error *reterr);

/* List the models of project_dir/persist. A missing persist/ (or one that is not a directory;
 * symlinks are not followed) gives -ENOTDIR. More than max_models entries gives -E2BIG. */
_must_check_ int project_discover(const char *project_dir, size_t max_models,
				  struct model_list *ret);
void model_list_release(struct model_list *l);

/* The first entry named name (either layout), or NULL. */
const struct model_entry *model_list_find(const struct model_list *l, const char *name);

/* Which model a command acts on. exists says whether the file is there now; init creates it
 * when it is not, other commands fail. */
struct model_target {
	struct model_entry entry;
	bool exists;
};

enum resolve_flags {
	RESOLVE_DIRECTORY_LAYOUT = 1u << 0, /* --layout directory: upstream 1.9 behaviour */
};

/* Resolve a --model argument (NULL when absent) against the discovered models.
 * - a name: the existing model of that name, or the new one in the layout for new models;
 * - a path (contains '/' or ends in ".bal"): persist/<name>.bal or persist/<name>/model.bal,
 *   optionally with a leading "./"; anything else is -EINVAL;
 * - absent: the only model; with none, the default model.bal; with several, -ENOTUNIQ
 *   and reterr names them and asks for --model (directory layout: always persist/model.bal).
 * A name in both layouts (a conflict) is -EBADMSG. Nothing is touched on disk. */
_must_check_ int project_resolve_model(const struct model_list *l, const char *model_arg,
				       unsigned flags, struct model_target *ret,
				       struct pd_error *reterr);

/* The migrations directory of a model, relative to the project: persist/migrations for the
 * default model persist/model.bal, persist/<name>/migrations for every other model. */
void model_migrations_dir(const struct model_entry *m, char *buf, size_t size);

#endif
