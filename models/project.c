#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/strutil.h"
#include "models/project.h"

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

int model_name_check(const char *name, struct pd_error *reterr)
{
	bool blank = true;

	for (const char *c = name ? name : ""; *c; c++)
		if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r')
			blank = false;
	if (!name || blank) {
		pd_error_set(reterr, NULL, 0, 0, 0, "model name cannot be empty.");
		return -EINVAL;
	}
	if (strchr(name, ' ')) {
		pd_error_set(reterr, NULL, 0, 0, 0, "model name cannot contain spaces.");
		return -EINVAL;
	}
	if (streq(name, "migrations")) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "model name 'migrations' is reserved and cannot be used.");
		return -EINVAL;
	}
	bool ok = (name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z');
	for (const char *c = name; ok && *c; c++)
		ok = is_word_char(*c);
	if (!ok || strlen(name) >= MODEL_NAME_MAX) {
		pd_error_set(
			reterr, NULL, 0, 0, 0,
			"model name '%s' is invalid. Model name should start with a letter and "
			"contain only letters, numbers, and underscores.",
			name);
		return -EINVAL;
	}
	return 0;
}

static int list_add(struct model_list *l, size_t max, const char *name, enum model_layout layout)
{
	struct model_entry *e;
	int r;

	if (l->n >= max)
		return -E2BIG;
	r = GROW(l->items, l->alloc, l->n + 1);
	if (r < 0)
		return r;
	e = &l->items[l->n];
	*e = (struct model_entry){ .layout = layout };
	(void)snprintf(e->name, sizeof(e->name), "%s", name);
	if (layout == MODEL_LAYOUT_FILE)
		(void)snprintf(e->path, sizeof(e->path), "persist/%s.bal", name);
	else
		(void)snprintf(e->path, sizeof(e->path), "persist/%s/model.bal", name);
	e->bad_name = model_name_check(name, NULL) < 0;
	l->n++;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct model_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (int)x->layout - (int)y->layout;
}

int project_discover(const char *project_dir, size_t max_models, struct model_list *ret)
{
	_cleanup_close_ int pfd = -1, dfd = -1;
	struct model_list l = { 0 };
	struct stat st;
	DIR *d;
	struct dirent *de;
	int r = 0;

	pfd = open(project_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstatat(pfd, "persist", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	dfd = openat(pfd, "persist", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d)
		return -errno;
	dfd = -1; /* owned by d now */

	while ((de = readdir(d))) {
		const char *n = de->d_name;
		size_t len = strlen(n);

		if (n[0] == '.')
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* vanished meanwhile */
		if (S_ISREG(st.st_mode) && len > 4 && endswith(n, ".bal")) {
			char stem[MODEL_NAME_MAX];
			if (len - 4 >= sizeof(stem))
				continue;
			memcpy(stem, n, len - 4);
			stem[len - 4] = '\0';
			r = list_add(&l, max_models, stem, MODEL_LAYOUT_FILE);
		} else if (S_ISDIR(st.st_mode) && !streq(n, "migrations") && len < MODEL_NAME_MAX) {
			char sub[MODEL_NAME_MAX + 16];
			struct stat mst;
			(void)snprintf(sub, sizeof(sub), "%s/model.bal", n);
			if (fstatat(dirfd(d), sub, &mst, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISREG(mst.st_mode))
				continue; /* e.g. a directory holding only migrations/ */
			r = list_add(&l, max_models, n, MODEL_LAYOUT_DIRECTORY);
		}
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0) {
		model_list_release(&l);
		return r;
	}

	if (l.n > 1)
		qsort(l.items, l.n, sizeof(l.items[0]), entry_cmp);
	for (size_t i = 0; i + 1 < l.n; i++)
		if (streq(l.items[i].name, l.items[i + 1].name))
			l.items[i].conflict = l.items[i + 1].conflict = true;
	*ret = l;
	return 0;
}

void model_list_release(struct model_list *l)
{
	mem_free(l->items);
	*l = (struct model_list){ 0 };
}

const struct model_entry *model_list_find(const struct model_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->items[i].name, name))
			return &l->items[i];
	return NULL;
}

static void target_new(struct model_target *t, const char *name, enum model_layout layout)
{
	struct model_list tmp = { .items = &t->entry, .n = 0, .alloc = 1 };

	(void)list_add(&tmp, 1, name, layout);
	t->exists = false;
}

static int target_from_list(const struct model_list *l, const char *name,
			    enum model_layout layout_if_new, struct model_target *ret,
			    struct pd_error *reterr)
{
	const struct model_entry *e = model_list_find(l, name);
	struct model_target t = { 0 };

	if (e && e->conflict) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "model '%s' is defined twice, as persist/%s.bal and "
			     "persist/%s/model.bal; remove one of them",
			     name, name, name);
		return -EBADMSG;
	}
	if (e) {
		t.entry = *e;
		t.exists = true;
	} else {
		target_new(&t, name, layout_if_new);
	}
	*ret = t;
	return 0;
}

/* "persist/<name>.bal" or "persist/<name>/model.bal" (after an optional "./"), else -EINVAL. */
static int parse_model_path(const char *arg, char *name, size_t size, enum model_layout *layout)
{
	const char *p = arg, *rest, *slash;
	size_t len;

	while (startswith(p, "./"))
		p += 2;
	rest = startswith(p, "persist/");
	if (!rest)
		return -EINVAL;
	slash = strchr(rest, '/');
	if (!slash) {
		len = strlen(rest);
		if (len <= 4 || !endswith(rest, ".bal"))
			return -EINVAL;
		len -= 4;
		*layout = MODEL_LAYOUT_FILE;
	} else {
		if (!streq(slash, "/model.bal"))
			return -EINVAL;
		len = (size_t)(slash - rest);
		*layout = MODEL_LAYOUT_DIRECTORY;
	}
	if (len == 0 || len >= size)
		return -EINVAL;
	memcpy(name, rest, len);
	name[len] = '\0';
	return 0;
}

int project_resolve_model(const struct model_list *l, const char *model_arg, unsigned flags,
			  struct model_target *ret, struct pd_error *reterr)
{
	enum model_layout new_layout =
		flags & RESOLVE_DIRECTORY_LAYOUT ? MODEL_LAYOUT_DIRECTORY : MODEL_LAYOUT_FILE;
	struct model_target t = { 0 };
	int r;

	if (model_arg && (strchr(model_arg, '/') || endswith(model_arg, ".bal"))) {
		char name[MODEL_NAME_MAX];
		enum model_layout layout;

		if (parse_model_path(model_arg, name, sizeof(name), &layout) < 0) {
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "'%s' is not a model file of this project: expected "
				     "persist/<name>.bal or persist/<name>/model.bal",
				     model_arg);
			return -EINVAL;
		}
		r = model_name_check(name, reterr);
		if (r < 0)
			return r;
		/* The path names the layout: the file there, whatever else has the name. */
		for (size_t i = 0; i < l->n; i++)
			if (streq(l->items[i].name, name) && l->items[i].layout == layout) {
				if (l->items[i].conflict)
					return target_from_list(l, name, layout, ret, reterr);
				t.entry = l->items[i];
				t.exists = true;
				*ret = t;
				return 0;
			}
		target_new(&t, name, layout);
		*ret = t;
		return 0;
	}

	if (model_arg) {
		r = model_name_check(model_arg, reterr);
		if (r < 0)
			return r;
		return target_from_list(l, model_arg, new_layout, ret, reterr);
	}

	if (flags & RESOLVE_DIRECTORY_LAYOUT || l->n == 0)
		return target_from_list(l, MODEL_DEFAULT_NAME, MODEL_LAYOUT_FILE, ret, reterr);

	if (l->n == 1 || (l->n == 2 && l->items[0].conflict)) {
		if (l->items[0].conflict)
			return target_from_list(l, l->items[0].name, MODEL_LAYOUT_FILE, ret,
						reterr);
		t.entry = l->items[0];
		t.exists = true;
		*ret = t;
		return 0;
	}

	{
		_cleanup_buf_ struct buf names = BUF_INIT(PD_ERROR_TEXT_MAX);
		for (size_t i = 0; i < l->n; i++) {
			if (i > 0 && streq(l->items[i].name, l->items[i - 1].name))
				continue;
			if (buf_addf(&names, "%s%s", names.len ? ", " : "", l->items[i].name) < 0)
				break;
		}
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "the project has several models (%s); choose one with --model <name>",
			     names.len ? names.buf : "...");
	}
	return -ENOTUNIQ;
}

void model_migrations_dir(const struct model_entry *m, char *buf, size_t size)
{
	if (m->layout == MODEL_LAYOUT_FILE && streq(m->name, MODEL_DEFAULT_NAME))
		(void)snprintf(buf, size, "persist/migrations");
	else
		(void)snprintf(buf, size, "persist/%s/migrations", m->name);
}
