/* `persist migrate` against a project directory (reference/migrate.md §1-§4, §6): the model and
 * its migrations directory, the previous migration's model, and the new migration directory,
 * written as one set of files. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/errno-util.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/gen.h"
#include "models/migrate.h"
#include "models/parser.h"
#include "models/project-ops.h"
#include "models/project.h"

#define TIMESTAMP_LEN 14 /* yyyyMMddHHmmss */

void migrate_result_release(struct migrate_result *r)
{
	fileset_release(&r->files);
	for (size_t i = 0; i < r->n_differences; i++)
		mem_free(r->differences[i]);
	mem_free(r->differences);
	buf_release(&r->messages);
	r->differences = NULL;
	r->n_differences = 0;
	r->directory[0] = '\0';
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The model file checks of persist-cli.md §1 for a model that is not there. */
static int check_model_file(const char *dir, const struct model_target *t, bool named,
			    struct pd_error *reterr)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf_checked(path, sizeof(path), "%s/persist", dir) < 0)
		return -ENAMETOOLONG;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		pd_error_set(
			reterr, NULL, 0, 0, 0,
			"Error: the persist directory inside the Ballerina project does not "
			"exist. run `bal persist init` to initiate the project before generation");
		return -ENOENT;
	}
	if (t->exists)
		return 0;
	if (!named) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "Error: the persist directory does not contain the default model "
			     "definition file (%s). run `bal persist init` to initiate the project "
			     "before generation.",
			     t->entry.path + strlen("persist/"));
		return -ENOENT;
	}
	if (t->entry.layout == MODEL_LAYOUT_DIRECTORY) {
		if (snprintf_checked(path, sizeof(path), "%s/persist/%s", dir, t->entry.name) < 0)
			return -ENAMETOOLONG;
		if (!is_dir(path)) {
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "Error: the model directory 'persist/%s' does not exist. run "
				     "`bal persist init --model %s` to create the model.",
				     t->entry.name, t->entry.name);
			return -ENOENT;
		}
	}
	pd_error_set(reterr, NULL, 0, 0, 0, "Error: the model file '%s' does not exist.",
		     t->entry.path);
	return -ENOENT;
}

/* Read and parse a model file, then run extraction's checks. text receives the bytes. */
static int load_model(const char *path, struct buf *text, struct model_file **ret,
		      struct pd_error *reterr)
{
	_cleanup_(model_file_freep) struct model_file *mf = NULL;
	struct pd_error e = { 0 };
	char msg[PD_ERROR_TEXT_MAX];
	int r;

	r = read_file_capped(path, MODEL_MAX_FILE_BYTES_DEFAULT, text);
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "Error getting entities: %s",
			     errno_text(r, msg, sizeof(msg)));
		return r;
	}
	r = model_parse(text->buf, text->len, path, 0, &mf, &e);
	if (r == -EBADMSG) {
		if (e.line > 0)
			pd_error_set(reterr, NULL, 0, 0, 0, "Error getting entities: %u:%u: %s",
				     e.line, e.column, e.text);
		else
			pd_error_set(reterr, NULL, 0, 0, 0, "Error getting entities: %s", e.text);
		return r;
	}
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "Error getting entities: %s",
			     r == -EMSGSIZE ? "the model file is too large"
					    : errno_text(r, msg, sizeof(msg)));
		return r;
	}
	r = migrate_check_extractable(mf, &e);
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "Error getting entities: %s", e.text);
		return r;
	}
	*ret = TAKE_PTR(mf);
	return 0;
}

/* "yyyyMMddHHmmss" before the first '_', as a plausible UTC date and time. */
static bool parse_timestamp(const char *name, char out[TIMESTAMP_LEN + 1])
{
	const char *us = strchr(name, '_');
	unsigned v[6];
	static const unsigned width[6] = { 4, 2, 2, 2, 2, 2 };
	static const unsigned lo[6] = { 0, 1, 1, 0, 0, 0 }, hi[6] = { 9999, 12, 31, 23, 59, 59 };
	const char *c = name;

	if (!us || us - name != TIMESTAMP_LEN)
		return false;
	for (size_t i = 0; i < 6; i++) {
		v[i] = 0;
		for (unsigned k = 0; k < width[i]; k++, c++) {
			if (*c < '0' || *c > '9')
				return false;
			v[i] = v[i] * 10 + (unsigned)(*c - '0');
		}
		if (v[i] < lo[i] || v[i] > hi[i])
			return false;
	}
	memcpy(out, name, TIMESTAMP_LEN);
	out[TIMESTAMP_LEN] = '\0';
	return true;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir that are directories (want_dirs) or regular files ending in ".bal",
 * sorted by name so that the choice never depends on the file system's listing order. */
static int list_entries(const char *dir, bool want_dirs, char ***ret, size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int r = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (snprintf_checked(p, sizeof(p), "%s/%s", dir, de->d_name) < 0 ||
		    lstat(p, &st) < 0)
			continue;
		if (want_dirs ? !S_ISDIR(st.st_mode)
			      : !S_ISREG(st.st_mode) || !endswith(de->d_name, ".bal"))
			continue;
		if (GROW(names, alloc, n + 1) < 0 || !(names[n] = mem_strdup(de->d_name))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			mem_free(names[i]);
		mem_free(names);
		return r;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	*ret = names;
	*ret_n = n;
	return 0;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mem_free(names[i]);
	mem_free(names);
}

/* The previous migration's model file (migrate.md §3), as a path below mig_dir. */
static int find_previous_model(const char *mig_dir, char *buf, size_t size, struct pd_error *reterr)
{
	char **dirs = NULL, **files = NULL, best_ts[TIMESTAMP_LEN + 1] = "";
	size_t n_dirs = 0, n_files = 0, best = 0;
	char sub[PATH_MAX], err[128];
	int r;

	r = list_entries(mig_dir, true, &dirs, &n_dirs);
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "Error: An error occurred while retrieving the directory paths: %s",
			     errno_text(r, err, sizeof(err)));
		return r;
	}
	if (n_dirs == 0) {
		free_names(dirs, n_dirs);
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "Error: no previous model file found in migrations directory. Please "
			     "ensure migration subdirectories contain a valid .bal file.");
		return -ENOENT;
	}
	for (size_t i = 0; n_dirs > 1 && i < n_dirs; i++) {
		char ts[TIMESTAMP_LEN + 1];
		if (!parse_timestamp(dirs[i], ts)) {
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "Error: the migration directory '%s' is not named "
				     "<yyyyMMddHHmmss>_<label>",
				     dirs[i]);
			free_names(dirs, n_dirs);
			return -EBADMSG;
		}
		if (strcmp(ts, best_ts) > 0) {
			memcpy(best_ts, ts, sizeof(ts));
			best = i;
		}
	}
	r = snprintf_checked(sub, sizeof(sub), "%s/%s", mig_dir, dirs[best]);
	free_names(dirs, n_dirs);
	if (r >= 0)
		r = list_entries(sub, false, &files, &n_files);
	if (r >= 0 && n_files == 0)
		r = -ENOENT;
	if (r >= 0)
		r = snprintf_checked(buf, size, "%s/%s", sub, files[0]);
	free_names(files, n_files);
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "Error: no previous model file found in migrations directory. Please "
			     "ensure migration subdirectories contain a valid .bal file.");
		return r;
	}
	return 0;
}

static int take_differences(struct migrate_result *res, struct migrate_plan *plan)
{
	res->differences = plan->differences;
	res->n_differences = plan->n_differences;
	plan->differences = NULL;
	plan->n_differences = plan->alloc_differences = 0;
	return 0;
}

/* A first migration adds every table: one difference naming the entities as written. */
static int add_first_difference(struct migrate_plan *plan, const struct model_file *mf)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	char *s;
	int r = buf_adds(&b, "Table ");

	for (size_t i = 0; r >= 0 && i < mf->n_entities; i++)
		r = buf_addf(&b, "%s%s", i ? ", " : "", mf->entities[i]->name);
	if (r >= 0)
		r = buf_adds(&b, " has been added");
	if (r < 0)
		return r;
	if (GROW(plan->differences, plan->alloc_differences, plan->n_differences + 1) < 0)
		return -ENOMEM;
	s = buf_detach(&b, NULL);
	if (!s)
		return -ENOMEM;
	plan->differences[plan->n_differences++] = s;
	return 0;
}

static int add_difference_messages(struct buf *m, char *const *diffs, size_t n)
{
	int r = buf_adds(m, "\nDetailed list of differences: \n");

	if (r >= 0 && n == 0)
		return buf_adds(m, "-- No differences found\n");
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = buf_addf(m, "-- %s\n", diffs[i]);
	if (r >= 0)
		r = buf_addc(m, '\n');
	return r;
}

static int add_success_messages(struct buf *m, const char *display_dir, const char *dir)
{
	const char *sep = display_dir && *display_dir ? "/" : "";
	const char *pre = display_dir ? display_dir : "";

	return buf_addf(m,
			"Generated migration script to %s%s%s directory.\n\n"
			"Next steps:\n"
			"Execute the \"script.sql\" file located at %s%s%s directory in your "
			"database to migrate the schema with the latest changes.\n",
			pre, sep, dir, pre, sep, dir);
}

int migrate_model(const char *project_dir, const struct migrate_options *o,
		  struct migrate_result *ret, struct pd_error *reterr)
{
	_cleanup_(model_file_freep) struct model_file *cur = NULL, *prev = NULL;
	_cleanup_(migrate_plan_releasep) struct migrate_plan plan = { 0 };
	_cleanup_(migrate_result_releasep) struct migrate_result res = { 0 };
	_cleanup_buf_ struct buf text = BUF_INIT(MODEL_MAX_FILE_BYTES_DEFAULT + 1);
	_cleanup_buf_ struct buf prev_text = BUF_INIT(MODEL_MAX_FILE_BYTES_DEFAULT + 1);
	_cleanup_buf_ struct buf script = BUF_INIT(BUF_MAX_DEFAULT);
	const char *ds = o->datastore ? o->datastore : "mysql", *failed = NULL;
	char mig_rel[MODEL_PATH_MAX + 32], mig_abs[PATH_MAX], path[PATH_MAX], err[128];
	char ts[32], file[PATH_MAX + 32];
	struct model_target t;
	struct pd_error e = { 0 };
	bool parent_existed;
	enum datastore d;
	struct tm tm;
	time_t now;
	int r;

	res.messages = (struct buf)BUF_INIT(BUF_MAX_DEFAULT);
	res.files = (struct fileset)FILESET_INIT;

	r = project_validate(project_dir, NULL, &e);
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "ERROR: %s", e.text);
		return r;
	}
	d = datastore_from_string(ds);
	if (d != DATASTORE_MYSQL && d != DATASTORE_POSTGRESQL) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "Error: invalid datastore: %s. currently only MySQL is supported.",
			     ds);
		return -EINVAL;
	}
	if (!o->label || !*o->label) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "Error: migration label is not provided. Provide the migration label "
			     "along with the command like `bal persist migrate <migration-label>`");
		return -EINVAL;
	}
	/* A label names one directory: a '/' would nest it, and "." or ".." would escape. */
	if (strchr(o->label, '/') || streq(o->label, ".") || streq(o->label, "..") ||
	    strlen(o->label) > NAME_MAX - TIMESTAMP_LEN - 1) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "Error: invalid migration label '%s'. the label must be a single path "
			     "component",
			     o->label);
		return -EINVAL;
	}
	r = project_resolve(project_dir, o->model, o->resolve_flags, &t, &e);
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "Error: %s", e.text);
		return r;
	}
	r = check_model_file(project_dir, &t, o->model != NULL, reterr);
	if (r < 0)
		return r;
	model_migrations_dir(&t.entry, mig_rel, sizeof(mig_rel));
	r = snprintf_checked(mig_abs, sizeof(mig_abs), "%s/%s", project_dir, mig_rel);
	if (r >= 0)
		r = snprintf_checked(path, sizeof(path), "%s/%s", project_dir, t.entry.path);
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "Error: the project path is too long");
		return r;
	}
	res.first = !is_dir(mig_abs);
	(void)snprintf(res.model_path, sizeof(res.model_path), "%s", t.entry.path);

	now = o->now ? o->now : time(NULL);
	if (!gmtime_r(&now, &tm) || strftime(ts, sizeof(ts), "%Y%m%d%H%M%S", &tm) == 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "Error: cannot format the current time");
		return -EINVAL;
	}
	r = snprintf_checked(res.directory, sizeof(res.directory), "%s/%s_%s", mig_rel, ts,
			     o->label);
	if (r >= 0)
		r = snprintf_checked(file, sizeof(file), "%s/%s", project_dir, res.directory);
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "Error: the migration path is too long");
		return r;
	}
	if (access(file, F_OK) == 0) {
		char abs[PATH_MAX];
		pd_error_set(reterr, NULL, 0, 0, 0, "Error: Failed to create directory: %s",
			     realpath(file, abs) ? abs : file);
		return -EEXIST;
	}

	if (res.first) {
		r = load_model(path, &text, &cur, reterr);
		if (r < 0)
			return r;
		r = gen_sql_script(cur, d, "the migrate command", &script);
		if (r < 0) {
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "ERROR: failed to generate SQL script %s",
				     r == -EINVAL ? "couldn't find equivalent SQL type for a field "
						    "type"
						  : errno_text(r, err, sizeof(err)));
			return r;
		}
		r = add_first_difference(&plan, cur);
	} else {
		r = find_previous_model(mig_abs, file, sizeof(file), reterr);
		if (r < 0)
			return r;
		r = load_model(file, &prev_text, &prev, reterr);
		if (r >= 0)
			r = load_model(path, &text, &cur, reterr);
		if (r < 0)
			return r;
		r = migrate_plan_build(prev, cur, d, &plan, &e);
		if (r < 0) {
			pd_error_set(reterr, NULL, 0, 0, 0, "ERROR: %s", e.text);
			return r;
		}
		if (r >= 0)
			r = migrate_plan_script(&plan, &script);
	}
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "Error: %s", errno_text(r, err, sizeof(err)));
		return r;
	}

	r = add_difference_messages(&res.messages, plan.differences, plan.n_differences);
	if (r >= 0 && !res.first && plan.n_statements == 0) {
		/* Nothing to migrate: no directory, no files (migrate.md §5). */
		res.directory[0] = '\0';
		take_differences(&res, &plan);
		*ret = res;
		res = (struct migrate_result){ 0 };
		return 0;
	}
	if (r >= 0)
		r = add_success_messages(&res.messages, o->display_dir, res.directory);
	if (r >= 0)
		r = snprintf_checked(file, sizeof(file), "%s/script.sql", res.directory);
	if (r >= 0)
		r = fileset_add_buf(&res.files, file, &script, 0);
	if (r >= 0)
		r = snprintf_checked(file, sizeof(file), "%s/model.bal", res.directory);
	if (r >= 0)
		r = fileset_add(&res.files, file, text.buf, text.len, 0);
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "Error: %s", errno_text(r, err, sizeof(err)));
		return r;
	}
	r = snprintf_checked(path, sizeof(path), "%s", mig_abs);
	if (r >= 0 && strrchr(path, '/'))
		*strrchr(path, '/') = '\0';
	parent_existed = is_dir(path);
	r = fileset_write(&res.files, project_dir, &failed);
	if (r < 0) {
		/* An empty directory left behind would be taken for the latest migration next
		 * time; rmdir() removes only what is empty. */
		if (snprintf_checked(file, sizeof(file), "%s/%s", project_dir, res.directory) >= 0)
			(void)rmdir(file);
		if (res.first) {
			(void)rmdir(mig_abs);
			if (!parent_existed)
				(void)rmdir(path);
		}
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "Error: An error occurred while writing to file: %s%s%s",
			     failed ? failed : "", failed ? ": " : "",
			     errno_text(r, err, sizeof(err)));
		return r;
	}
	take_differences(&res, &plan);
	*ret = res;
	res = (struct migrate_result){ 0 };
	return 0;
}
