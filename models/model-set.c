#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fileio.h"
#include "base/hash.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/model-set.h"
#include "models/validate.h"

const char *model_status_to_string(enum model_status s)
{
	switch (s) {
	case MODEL_VALID:
		return "valid";
	case MODEL_INVALID:
		return "invalid";
	case MODEL_EMPTY:
		return "empty";
	case MODEL_CONFLICT:
		return "conflict";
	}
	return "unknown";
}

struct model_state *model_state_ref(struct model_state *m)
{
	if (m)
		atomic_fetch_add(&m->ref, 1);
	return m;
}

struct model_state *model_state_unref(struct model_state *m)
{
	if (!m || atomic_fetch_sub(&m->ref, 1) != 1)
		return NULL;
	model_file_free(m->mf);
	diag_list_release(&m->diags);
	mem_free(m->datastore);
	model_state_unref(m->last_good);
	mem_free(m);
	return NULL;
}

const struct model_state *model_state_serving(const struct model_state *m)
{
	if (!m)
		return NULL;
	return m->status == MODEL_VALID ? m : m->last_good;
}

struct model_set *model_set_ref(struct model_set *s)
{
	if (s)
		atomic_fetch_add(&s->ref, 1);
	return s;
}

struct model_set *model_set_unref(struct model_set *s)
{
	if (!s || atomic_fetch_sub(&s->ref, 1) != 1)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		model_state_unref(s->models[i]);
	mem_free(s->models);
	mem_free(s);
	return NULL;
}

struct model_state *model_set_find(const struct model_set *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (streq(s->models[i]->entry.name, name))
			return s->models[i];
	return NULL;
}

static struct model_state *find_exact(const struct model_set *s, const struct model_entry *e)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->models[i]->entry.layout == e->layout &&
		    streq(s->models[i]->entry.name, e->name))
			return s->models[i];
	return NULL;
}

static bool name_listed(char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(names[i], name))
			return true;
	return false;
}

/* Only TOOL_NO_ENTITY among the errors: a model that was just created. */
static bool only_no_entity(const struct diag_list *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].severity == DIAG_ERROR && !streq(d->items[i].code, DIAG_NO_ENTITY))
			return false;
	return true;
}

static int state_load(const char *project_dir, const struct model_entry *e, const char *datastore,
		      const struct model_state *prev, const struct model_set_limits *lim,
		      struct model_state **ret)
{
	_cleanup_(model_state_unrefp) struct model_state *m = NULL;
	_cleanup_buf_ struct buf text = BUF_INIT(lim->max_file_bytes);
	_cleanup_close_ int dfd = -1;
	struct model_pos nopos = { 0 };
	int r;

	m = new0(struct model_state, 1);
	if (!m)
		return -ENOMEM;
	atomic_init(&m->ref, 1);
	m->entry = *e;
	m->updated_at = now_usec(CLOCK_REALTIME);
	diag_list_init(&m->diags);
	r = diag_list_set_file(&m->diags, e->path);
	if (r < 0)
		return r;
	if (datastore) {
		m->datastore = mem_strdup(datastore);
		if (!m->datastore)
			return -ENOMEM;
	}

	if (e->conflict) {
		m->status = MODEL_CONFLICT;
		r = diag_add(
			&m->diags, DIAG_REDECLARED, DIAG_ERROR, nopos,
			"model '%s' is defined twice, as persist/%s.bal and persist/%s/model.bal; "
			"neither is used until one of them is removed",
			e->name, e->name, e->name);
		if (r < 0)
			return r;
		goto done;
	}

	dfd = open(project_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = read_file_at(dfd, e->path, lim->max_file_bytes, &text);
	if (r == -EMSGSIZE) {
		m->status = MODEL_INVALID;
		r = diag_add(&m->diags, DIAG_SYNTAX, DIAG_ERROR, nopos,
			     "model file is larger than %zu bytes", lim->max_file_bytes);
		if (r < 0)
			return r;
		goto done;
	}
	if (r < 0)
		return r; /* vanished or unreadable: the caller leaves it out */

	m->hash = fnv1a64(text.buf, text.len);
	m->size = text.len;
	if (prev && prev->hash == m->hash && prev->size == m->size &&
	    prev->status != MODEL_CONFLICT && streq_ptr(prev->datastore, datastore)) {
		/* Same bytes, same binding: nothing to do. */
		*ret = model_state_ref((struct model_state *)prev);
		return 0;
	}

	if (datastore && !model_datastore_known(datastore)) {
		r = diag_add(&m->diags, DIAG_ANNOTATION_VALUE, DIAG_ERROR, nopos,
			     "the binding of model '%s' names an unknown datastore '%s'", e->name,
			     datastore);
		if (r < 0)
			return r;
		datastore = NULL;
	}
	r = model_check(text.buf, text.len, e->path, datastore, lim->max_file_bytes, &m->mf,
			&m->diags);
	if (r < 0 && r != -EBADMSG && r != -EMSGSIZE)
		return r;
	if (!m->mf || m->diags.n_errors > 0)
		m->status = m->mf && m->mf->n_entities == 0 && only_no_entity(&m->diags)
				    ? MODEL_EMPTY
				    : MODEL_INVALID;
	else
		m->status = m->mf->n_entities == 0 ? MODEL_EMPTY : MODEL_VALID;

done:
	if (m->status != MODEL_VALID && prev)
		m->last_good = model_state_ref(
			prev->status == MODEL_VALID ? (struct model_state *)prev : prev->last_good);
	*ret = TAKE_PTR(m);
	return 0;
}

static int changes_add(struct model_change **c, size_t *n, size_t *alloc, enum model_change_kind k,
		       const struct model_state *m)
{
	int r = GROW(*c, *alloc, *n + 1);
	if (r < 0)
		return r;
	(*c)[*n] = (struct model_change){ .kind = k, .status = m->status };
	memcpy((*c)[*n].name, m->entry.name, sizeof((*c)[*n].name));
	(*n)++;
	return 0;
}

int model_set_build(const char *project_dir, const struct model_set *prev, char *const *changed,
		    size_t n_changed, bool rescan, model_binding_fn *binding, void *userdata,
		    const struct model_set_limits *limits, struct model_set **ret,
		    struct model_change **ret_changes, size_t *ret_n_changes)
{
	_cleanup_(model_set_unrefp) struct model_set *s = NULL;
	struct model_list l = { 0 };
	struct model_change *ch = NULL;
	size_t n_ch = 0, alloc_ch = 0;
	int r;

	r = project_discover(project_dir, limits->max_models, &l);
	if (r == -ENOTDIR)
		r = 0; /* no persist/: no models */
	if (r < 0)
		return r;
	s = new0(struct model_set, 1);
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	atomic_init(&s->ref, 1);
	s->generation = prev ? prev->generation + 1 : 1;
	s->models = new0(struct model_state *, l.n ? l.n : 1);
	if (!s->models) {
		r = -ENOMEM;
		goto out;
	}

	for (size_t i = 0; i < l.n; i++) {
		const struct model_entry *e = &l.items[i];
		struct model_state *old = find_exact(prev, e);
		const char *ds = binding ? binding(e->path, userdata) : NULL;
		struct model_state *m = NULL;

		if (old && !rescan && !name_listed(changed, n_changed, e->name) &&
		    old->entry.conflict == e->conflict && streq_ptr(old->datastore, ds)) {
			s->models[s->n++] = model_state_ref(old);
			continue;
		}
		r = state_load(project_dir, e, ds, old, limits, &m);
		if (r == -ENOENT || r == -ELOOP || r == -EBADF || r == -EISDIR)
			continue; /* gone or replaced meanwhile; the next event brings it back */
		if (r < 0)
			goto out;
		s->models[s->n++] = m;
		if (!old)
			r = changes_add(&ch, &n_ch, &alloc_ch, MODEL_ADDED, m);
		else if (old != m)
			r = changes_add(&ch, &n_ch, &alloc_ch, MODEL_CHANGED, m);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; prev && i < prev->n; i++)
		if (!find_exact(s, &prev->models[i]->entry)) {
			r = changes_add(&ch, &n_ch, &alloc_ch, MODEL_REMOVED, prev->models[i]);
			if (r < 0)
				goto out;
		}

	*ret = TAKE_PTR(s);
	if (ret_changes) {
		*ret_changes = TAKE_PTR(ch);
		*ret_n_changes = n_ch;
	}
	r = 0;
out:
	mem_free(ch);
	model_list_release(&l);
	return r;
}
