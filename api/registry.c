#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/registry.h"
#include "base/alloc.h"
#include "base/log.h"
#include "base/strutil.h"
#include "models/fileset.h"
#include "models/project-config.h"

static struct project_state *project_state_unref(struct project_state *p)
{
	if (!p || atomic_fetch_sub(&p->ref, 1) != 1)
		return NULL;
	project_config_free(p->config);
	mem_free(p->error);
	mem_free(p);
	return NULL;
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	if (s)
		atomic_fetch_add(&s->ref, 1);
	return s;
}

struct snapshot *snapshot_unref(struct snapshot *s)
{
	if (!s || atomic_fetch_sub(&s->ref, 1) != 1)
		return NULL;
	model_set_unref(s->models);
	project_state_unref(s->project);
	mem_free(s);
	return NULL;
}

/* The datastore of the binding whose filePath names the model, for the validator's type
 * rules. */
static const char *binding_datastore(const char *model_path, void *userdata)
{
	const struct project_config *pc = userdata;
	const struct persist_binding *b;

	if (!pc)
		return NULL;
	b = project_config_binding_for_path(pc, model_path);
	return b && !b->error ? b->datastore : NULL;
}

static int project_state_load(const char *dir, struct project_state **ret)
{
	struct project_state *p = new0(struct project_state, 1);
	struct pd_error e = { 0 };
	char text[PD_ERROR_FILE_MAX + PD_ERROR_TEXT_MAX + 32];
	/* Ballerina reads BAL_CONFIG_FILES at start; only the main thread reads it here. */
	const char *files = getenv("BAL_CONFIG_FILES"); // NOLINT(concurrency-mt-unsafe)
	int r;

	if (!p)
		return -ENOMEM;
	atomic_init(&p->ref, 1);
	r = project_config_load(dir, files, &p->config, &e);
	if (r == -ENOMEM) {
		mem_free(p);
		return r;
	}
	if (r < 0) {
		if (r == -ENOENT)
			pd_error_set(&e, "Ballerina.toml", 0, 0, 0, "file not found");
		else if (r != -EBADMSG)
			pd_error_set(&e, "Ballerina.toml", 0, 0, 0, "cannot be read (%s)",
				     strerror(-r));
		pd_error_format(&e, text, sizeof(text));
		p->error = mem_strdup(text);
		if (!p->error) {
			mem_free(p);
			return -ENOMEM;
		}
	}
	*ret = p;
	return 0;
}

static void publish(struct registry *reg, struct snapshot *s)
{
	struct snapshot *old;

	pthread_mutex_lock(&reg->lock);
	old = reg->current;
	reg->current = s;
	pthread_mutex_unlock(&reg->lock);
	snapshot_unref(old);
}

int registry_reload(struct registry *reg, char *const *changed, size_t n_changed, bool rescan,
		    bool config, struct model_change **ret_changes, size_t *ret_n_changes)
{
	_cleanup_(snapshot_unrefp) struct snapshot *prev = registry_snapshot(reg);
	_cleanup_(snapshot_unrefp) struct snapshot *s = NULL;
	int r;

	s = new0(struct snapshot, 1);
	if (!s)
		return -ENOMEM;
	atomic_init(&s->ref, 1);
	if (config || !prev) {
		r = project_state_load(reg->project_dir, &s->project);
		if (r < 0)
			return r;
		/* New bindings can change any model's datastore rules: look at every model. The
		 * content hash still spares those whose bytes and binding did not change. */
		rescan = true;
	} else {
		atomic_fetch_add(&prev->project->ref, 1);
		s->project = prev->project;
	}
	r = model_set_build(reg->project_dir, prev ? prev->models : NULL, changed, n_changed,
			    rescan, binding_datastore, s->project->config, &reg->limits, &s->models,
			    ret_changes, ret_n_changes);
	if (r < 0)
		return r;
	s->generation = s->models->generation;
	s->published_at = now_usec(CLOCK_REALTIME);
	publish(reg, TAKE_PTR(s));
	atomic_store(&reg->ready, true);
	return 0;
}

int registry_new(const char *project_dir, const struct model_set_limits *limits,
		 struct registry **ret)
{
	struct registry *reg = new0(struct registry, 1);

	if (!reg)
		return -ENOMEM;
	pthread_mutex_init(&reg->lock, NULL);
	reg->limits = *limits;
	reg->project_dir = mem_strdup(project_dir);
	if (!reg->project_dir) {
		registry_free(reg);
		return -ENOMEM;
	}
	*ret = reg;
	return 0;
}

struct registry *registry_free(struct registry *reg)
{
	if (!reg)
		return NULL;
	snapshot_unref(reg->current);
	mem_free(reg->generations);
	pthread_mutex_destroy(&reg->lock);
	mem_free(reg->project_dir);
	mem_free(reg);
	return NULL;
}

struct snapshot *registry_snapshot(struct registry *reg)
{
	struct snapshot *s;

	pthread_mutex_lock(&reg->lock);
	s = snapshot_ref(reg->current);
	pthread_mutex_unlock(&reg->lock);
	return s;
}

void registry_set_limits(struct registry *reg, const struct model_set_limits *limits)
{
	reg->limits = *limits;
}

static struct generation_record *find_generation(struct registry *reg, const char *name)
{
	for (size_t i = 0; i < reg->n_generations; i++)
		if (streq(reg->generations[i].name, name))
			return &reg->generations[i];
	return NULL;
}

void registry_note_generation(struct registry *reg, const char *name, usec_t at, const char *error,
			      const struct fileset *files)
{
	struct generation_record *g;

	pthread_mutex_lock(&reg->lock);
	g = find_generation(reg, name);
	/* Out of memory only loses the record. */
	if (!g && GROW(reg->generations, reg->alloc_generations, reg->n_generations + 1) >= 0) {
		g = &reg->generations[reg->n_generations];
		*g = (struct generation_record){ 0 };
		if (snprintf_checked(g->name, sizeof(g->name), "%s", name) < 0)
			g = NULL;
		else
			reg->n_generations++;
	}
	if (g) {
		g->last_at = at;
		g->last_ok = !error;
		if (error) {
			if (snprintf_checked(g->last_error, sizeof(g->last_error), "%s", error) < 0)
				g->last_error[sizeof(g->last_error) - 1] = '\0';
		} else {
			size_t len = 0;
			g->at = at;
			g->last_error[0] = '\0';
			g->files[0] = '\0';
			for (size_t i = 0; files && i < files->n; i++) {
				size_t k = strlen(files->items[i].path);
				if (len + k + 2 > sizeof(g->files))
					break;
				if (len)
					g->files[len++] = '\n';
				memcpy(g->files + len, files->items[i].path, k + 1);
				len += k;
			}
		}
	}
	pthread_mutex_unlock(&reg->lock);
}

usec_t registry_generated_at(struct registry *reg, const char *name)
{
	struct generation_record *g;
	usec_t at;

	pthread_mutex_lock(&reg->lock);
	g = find_generation(reg, name);
	at = g ? g->at : 0;
	pthread_mutex_unlock(&reg->lock);
	return at;
}

bool registry_generation(struct registry *reg, const char *name, struct generation_record *ret)
{
	struct generation_record *g;

	pthread_mutex_lock(&reg->lock);
	g = find_generation(reg, name);
	if (g)
		*ret = *g;
	pthread_mutex_unlock(&reg->lock);
	return g != NULL;
}
