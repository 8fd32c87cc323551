#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/errno-util.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "models/datastore.h"
#include "models/project-ops.h"
#include "models/toml.h"

static void abs_path(const char *dir, char *buf, size_t size)
{
	char real[PATH_MAX];
	if (snprintf_checked(buf, size, "%s", realpath(dir, real) ? real : dir) < 0)
		buf[0] = '\0';
}

int project_validate(const char *dir, struct toml_doc **ret, struct pd_error *reterr)
{
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	char abs[PATH_MAX], path[PATH_MAX], err[PD_ERROR_TEXT_MAX];
	struct pd_error e;
	struct stat st;
	int r;

	abs_path(dir, abs, sizeof(abs));
	if (snprintf_checked(path, sizeof(path), "%s/Ballerina.toml", dir) < 0)
		return -ENAMETOOLONG;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		pd_error_set(
			reterr, NULL, 0, 0, 0,
			"invalid Ballerina package directory: %s, cannot find 'Ballerina.toml' "
			"file.",
			abs);
		return -ENOENT;
	}
	r = toml_parse_file(path, TOML_MAX_BYTES, &doc, &e);
	if (r < 0) {
		if (r == -EBADMSG)
			pd_error_format(&e, err, sizeof(err));
		else
			(void)snprintf(err, sizeof(err), "%s", errno_text(r, path, sizeof(path)));
		pd_error_set(reterr, NULL, 0, 0, 0, "invalid Ballerina package directory: %s, %s.",
			     abs, err);
		return r;
	}
	if (toml_get_table(doc->root, "workspace")) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "invalid Ballerina package directory: %s, the persist tool does not "
			     "support Ballerina workspaces.",
			     abs);
		return -EINVAL;
	}
	if (ret)
		*ret = TAKE_PTR(doc);
	return 0;
}

int project_package_name(const char *dir, struct toml_doc **ret_doc, char *buf, size_t size,
			 struct pd_error *reterr)
{
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	char path[PATH_MAX], err[PD_ERROR_TEXT_MAX];
	struct pd_error e;
	const char *name;
	size_t k = 0;
	int r;

	if (snprintf_checked(path, sizeof(path), "%s/Ballerina.toml", dir) < 0)
		return -ENAMETOOLONG;
	r = toml_parse_file(path, TOML_MAX_BYTES, &doc, &e);
	if (r < 0) {
		if (r == -EBADMSG)
			pd_error_format(&e, err, sizeof(err));
		else
			(void)snprintf(err, sizeof(err), "%s", errno_text(r, path, sizeof(path)));
		pd_error_set(reterr, NULL, 0, 0, 0, "couldn't read the Ballerina.toml file. %s",
			     err);
		return r;
	}
	name = toml_get_string(doc->root, "package.name");
	if (!name || !*name) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "couldn't find the package name in Ballerina.toml file.");
		return -ENOENT;
	}
	for (const char *c = name; *c && k + 1 < size; c++)
		if (*c != '"')
			buf[k++] = *c;
	buf[k] = '\0';
	if (ret_doc)
		*ret_doc = TAKE_PTR(doc);
	return 0;
}

int project_resolve(const char *dir, const char *model_arg, unsigned resolve_flags,
		    struct model_target *ret, struct pd_error *reterr)
{
	struct model_list l = { 0 };
	int r;

	r = project_discover(dir, PROJECT_MAX_MODELS_DEFAULT, &l);
	if (r < 0 && r != -ENOTDIR) {
		char err[128];
		pd_error_set(reterr, NULL, 0, 0, 0, "cannot read the persist directory: %s",
			     errno_text(r, err, sizeof(err)));
		return r;
	}
	r = project_resolve_model(&l, model_arg, resolve_flags, ret, reterr);
	model_list_release(&l);
	return r;
}

static bool path_exists(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;
	return snprintf_checked(p, sizeof(p), "%s/%s", dir, rel) == 0 && lstat(p, &st) == 0;
}

/* Upstream without --model: any regular *.bal file in persist/ means the project is set up. */
static int persist_has_bal_file(const char *dir)
{
	char p[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int found = 0;

	if (snprintf_checked(p, sizeof(p), "%s/persist", dir) < 0)
		return -ENAMETOOLONG;
	d = opendir(p);
	if (!d)
		return -errno;
	while (!found && (de = readdir(d))) {
		char f[PATH_MAX];
		struct stat st;
		size_t n = strlen(de->d_name);

		if (n < 4 || strcasecmp(de->d_name + n - 4, ".bal") != 0)
			continue;
		if (snprintf_checked(f, sizeof(f), "%s/%s", p, de->d_name) < 0)
			continue;
		found = lstat(f, &st) == 0 && S_ISREG(st.st_mode);
	}
	closedir(d);
	return found;
}

static int write_model_file(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	int r;

	if (snprintf_checked(p, sizeof(p), "%s/%s", dir, rel) < 0)
		return -ENAMETOOLONG;
	r = write_file_atomic(p, MODEL_FILE_TEMPLATE, strlen(MODEL_FILE_TEMPLATE), 0644, false);
	return r < 0 ? r : 0;
}

/* Create persist/ (and persist/<name>/ for the directory layout) as needed; made_* tell what
 * was created, so a later failure can take it back. */
static int make_model_dirs(const char *dir, const struct model_entry *e, bool *made_persist,
			   bool *made_model_dir, struct pd_error *reterr)
{
	char p[PATH_MAX], err[128];

	*made_persist = *made_model_dir = false;
	if (snprintf_checked(p, sizeof(p), "%s/persist", dir) < 0)
		return -ENAMETOOLONG;
	if (mkdir(p, 0755) == 0)
		*made_persist = true;
	else if (errno != EEXIST) {
		int r = -errno;
		pd_error_set(reterr, NULL, 0, 0, 0, "failed to create the persist directory. %s",
			     errno_text(r, err, sizeof(err)));
		return r;
	}
	if (e->layout != MODEL_LAYOUT_DIRECTORY)
		return 0;
	if (snprintf_checked(p, sizeof(p), "%s/persist/%s", dir, e->name) < 0)
		return -ENAMETOOLONG;
	if (mkdir(p, 0755) == 0)
		*made_model_dir = true;
	else if (errno != EEXIST) {
		int r = -errno;
		pd_error_set(reterr, NULL, 0, 0, 0, "failed to create the model directory '%s'. %s",
			     e->name, errno_text(r, err, sizeof(err)));
		return r;
	}
	return 0;
}

static void undo_model_dirs(const char *dir, const struct model_entry *e, bool made_persist,
			    bool made_model_dir)
{
	char p[PATH_MAX];

	if (made_model_dir && snprintf_checked(p, sizeof(p), "%s/persist/%s", dir, e->name) == 0)
		(void)rmdir(p);
	if (made_persist && snprintf_checked(p, sizeof(p), "%s/persist", dir) == 0)
		(void)rmdir(p);
}

int project_init_model(const char *dir, const char *model_arg, unsigned resolve_flags,
		       struct model_target *ret, bool *ret_created, struct pd_error *reterr)
{
	struct model_target t = { 0 };
	bool made_persist, made_model_dir, create;
	char sub[MODEL_PATH_MAX + 16], err[128];
	int r;

	if (model_arg && !*model_arg)
		model_arg = NULL; /* a blank --model means the default model, as upstream */
	r = project_validate(dir, NULL, reterr);
	if (r < 0)
		return r;
	/* Resolve before creating anything: a bad name or an ambiguous project changes nothing. */
	r = project_resolve(dir, model_arg, resolve_flags, &t, reterr);
	if (r < 0)
		return r;

	if (model_arg) {
		/* Upstream refuses any persist/<m> entry. In the file layout persist/<m>/ may hold
		 * the model's migrations, so only a model of that name in either layout counts. */
		if (snprintf_checked(sub, sizeof(sub), "persist/%s", t.entry.name) < 0)
			return -ENAMETOOLONG;
		if (t.exists || path_exists(dir, t.entry.path) ||
		    (t.entry.layout == MODEL_LAYOUT_DIRECTORY && path_exists(dir, sub))) {
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "model '%s' already exists in the persist directory.",
				     t.entry.name);
			return -EEXIST;
		}
		create = true;
	} else if (resolve_flags & RESOLVE_DIRECTORY_LAYOUT) {
		r = path_exists(dir, "persist") ? persist_has_bal_file(dir) : 0;
		if (r < 0) {
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "failed to list model definition files in the persist "
				     "directory. %s",
				     errno_text(r, err, sizeof(err)));
			return r;
		}
		create = r == 0;
	} else {
		create = !t.exists;
	}

	r = make_model_dirs(dir, &t.entry, &made_persist, &made_model_dir, reterr);
	if (r < 0)
		return r;
	if (create) {
		r = write_model_file(dir, t.entry.path);
		if (r < 0) {
			undo_model_dirs(dir, &t.entry, made_persist, made_model_dir);
			if (model_arg)
				pd_error_set(reterr, NULL, 0, 0, 0,
					     "failed to create the model directory '%s'. %s",
					     t.entry.name, errno_text(r, err, sizeof(err)));
			else
				pd_error_set(
					reterr, NULL, 0, 0, 0,
					"failed to create the model definition file in persist "
					"directory. %s",
					errno_text(r, err, sizeof(err)));
			return r;
		}
		t.exists = true;
	}
	if (ret)
		*ret = t;
	if (ret_created)
		*ret_created = create;
	return 0;
}

/* Whether any [[tool.*]] entry (at any depth below tool) already has this id. */
static bool id_taken(const struct toml_table *t, const char *id)
{
	for (size_t i = 0; i < t->n_items; i++) {
		const struct toml_value *v = &t->items[i].value;
		if (v->type == TOML_TABLE && id_taken(v->u.table, id))
			return true;
		if (v->type != TOML_ARRAY || !v->u.array->of_tables)
			continue;
		for (size_t k = 0; k < v->u.array->n_items; k++) {
			const struct toml_value *e = &v->u.array->items[k];
			const char *eid;
			if (e->type != TOML_TABLE)
				continue;
			eid = toml_get_string(e->u.table, "id");
			if (eid) {
				char stripped[512];
				size_t n = 0;
				for (const char *c = eid; *c && n + 1 < sizeof(stripped); c++)
					if (*c != '"')
						stripped[n++] = *c;
				stripped[n] = '\0';
				if (streq(stripped, id))
					return true;
			}
			if (id_taken(e->u.table, id))
				return true;
		}
	}
	return false;
}

static int check_module_name(const char *m, struct pd_error *reterr)
{
	size_t n = strlen(m);

	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)m[i]) && m[i] != '_' && m[i] != '.') {
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "invalid module name : '%s' :\nmodule name can only contain "
				     "alphanumerics, underscores and periods",
				     m);
			return -EINVAL;
		}
	if (n > 256) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "invalid module name : '%s' :\nmaximum length of module name is 256 "
			     "characters",
			     m);
		return -EINVAL;
	}
	return 0;
}

/* Append s without any '"'. */
static int add_unquoted(struct buf *b, const char *s)
{
	int r = 0;
	for (; r >= 0 && *s; s++)
		if (*s != '"')
			r = buf_addc(b, *s);
	return r;
}

static int add_toml_string(struct buf *out, const char *s)
{
	int r = buf_addc(out, '"');
	for (; r >= 0 && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			r = buf_addf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			r = buf_addf(out, "\\u%04X", c);
		else
			r = buf_addc(out, (char)c);
	}
	return r < 0 ? r : buf_addc(out, '"');
}

int project_add_binding(const char *dir, const struct add_options *o, struct add_result *ret,
			struct pd_error *reterr)
{
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	_cleanup_buf_ struct buf text = BUF_INIT(TOML_MAX_BYTES + 4096);
	_cleanup_buf_ struct buf target = BUF_INIT(sizeof(ret->target_module));
	const char *datastore = o->datastore ? o->datastore : "inmemory";
	const char *model = o->model && *o->model ? o->model : NULL;
	struct add_result res = { 0 };
	enum datastore ds, tds;
	bool eager = o->eager_loading, drop = false, made_persist, made_model_dir,
	     made_model = false;
	char pkg[256], path[PATH_MAX];
	int r;

	/* 1. datastores */
	r = datastore_validate(datastore, o->test_datastore, eager, &ds, &tds, &drop, res.warning,
			       sizeof(res.warning), reterr);
	if (r < 0)
		return r;
	if (drop) {
		res.eager_loading_dropped = true;
		eager = false;
	}
	/* 2. package name */
	r = project_package_name(dir, &doc, pkg, sizeof(pkg), reterr);
	if (r < 0)
		return r;
	/* 3. module → targetModule */
	if (o->module) {
		r = check_module_name(o->module, reterr);
		if (r < 0)
			return r;
	}
	r = add_unquoted(&target, pkg);
	if (r >= 0 && o->module) {
		r = buf_addc(&target, '.');
		if (r >= 0)
			r = add_unquoted(&target, o->module);
	}
	if (r < 0)
		return r;
	memcpy(res.target_module, target.buf, target.len + 1);
	/* 4. the model and the id, checked before anything is written */
	r = project_resolve(dir, model, o->resolve_flags, &res.target, reterr);
	if (r < 0)
		return r;
	if (o->id) {
		r = snprintf_checked(res.id, sizeof(res.id), "%s", o->id);
	} else if (model) {
		char lower[MODEL_NAME_MAX];
		size_t k;
		for (k = 0; res.target.entry.name[k] && k + 1 < sizeof(lower); k++)
			lower[k] = (char)tolower((unsigned char)res.target.entry.name[k]);
		lower[k] = '\0';
		r = snprintf_checked(res.id, sizeof(res.id), "generate-%s-client", lower);
	} else {
		r = snprintf_checked(res.id, sizeof(res.id), "generate-db-client");
	}
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "the build option ID is too long");
		return -EINVAL;
	}
	/* 5. unique among every [[tool.*]] entry */
	{
		const struct toml_table *tool = toml_get_table(doc->root, "tool");
		if (tool && id_taken(tool, res.id)) {
			pd_error_set(
				reterr, NULL, 0, 0, 0,
				"a build option with the provided ID '%s' already exists in the "
				"Ballerina.toml. Please provide a unique ID using the --id "
				"option.",
				res.id);
			return -EEXIST;
		}
	}
	/* 6. the new [[tool.persist]] entry after the untouched original text */
	r = buf_add(&text, doc->text, doc->len);
	if (r >= 0 && !toml_doc_is_empty(doc)) {
		if (doc->len > 0 && doc->text[doc->len - 1] != '\n')
			r = buf_addc(&text, '\n');
		if (r >= 0)
			r = buf_addc(&text, '\n');
	}
	if (r >= 0)
		r = buf_adds(&text, "[[tool.persist]]\nid = ");
	if (r >= 0)
		r = add_toml_string(&text, res.id);
	if (r >= 0)
		r = buf_adds(&text, "\ntargetModule = ");
	if (r >= 0)
		r = add_toml_string(&text, res.target_module);
	if (r >= 0)
		r = buf_addf(&text, "\noptions.datastore = \"%s\"\n", datastore_to_string(ds));
	if (r >= 0 && o->test_datastore)
		r = buf_addf(&text, "options.testDatastore = \"%s\"\n", datastore_to_string(tds));
	if (r >= 0 && eager)
		r = buf_adds(&text, "options.eagerLoading = true\n");
	if (r >= 0 && o->with_init_params)
		r = buf_adds(&text, "options.withInitParams = true\n");
	if (r >= 0)
		r = buf_addf(&text, "filePath = \"%s\"\n\n", res.target.entry.path);
	if (r < 0)
		return r;

	/* 7.-8. persist/ and the model file first, then Ballerina.toml: a failure anywhere
	 * leaves the project as it was. */
	r = make_model_dirs(dir, &res.target.entry, &made_persist, &made_model_dir, reterr);
	if (r < 0)
		return r;
	if (!res.target.exists && !path_exists(dir, res.target.entry.path)) {
		r = write_model_file(dir, res.target.entry.path);
		made_model = r >= 0;
	}
	if (r >= 0)
		r = snprintf_checked(path, sizeof(path), "%s/Ballerina.toml", dir);
	if (r >= 0) {
		r = write_file_atomic(path, text.buf, text.len, 0644, false);
		if (r > 0)
			r = 0;
	}
	if (r < 0) {
		char err[128];
		if (made_model &&
		    snprintf_checked(path, sizeof(path), "%s/%s", dir, res.target.entry.path) == 0)
			(void)unlink(path);
		undo_model_dirs(dir, &res.target.entry, made_persist, made_model_dir);
		pd_error_set(reterr, NULL, 0, 0, 0, "failed to update the project: %s",
			     errno_text(r, err, sizeof(err)));
		return r;
	}
	res.target.exists = true;
	if (ret)
		*ret = res;
	return 0;
}
