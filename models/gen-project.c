#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/errno-util.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/diagnostic.h"
#include "models/gen-project.h"
#include "models/parser.h"
#include "models/toml.h"
#include "models/validate.h"

static void set_errno_error(struct pd_error *reterr, int r, const char *what)
{
	char err[256];

	pd_error_set(reterr, NULL, 0, 0, 0, "%s%s%s", what ? what : "", what ? " " : "",
		     errno_text(r, err, sizeof(err)));
}

void gen_project_model_stem(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && streq(base + n - 4, ".bal"))
		n -= 4;
	(void)snprintf(buf, size, "%.*s", (int)n, base);
}

int gen_project_check_module(const char *module, struct pd_error *reterr)
{
	size_t n = strlen(module);

	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)module[i]) && module[i] != '_' && module[i] != '.') {
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "module name can only contain alphanumerics, underscores and "
				     "periods");
			return -EINVAL;
		}
	if (n > 256) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "maximum length of module name is 256 characters");
		return -EINVAL;
	}
	return 0;
}

int gen_project_load_model(const char *dir, const char *path, const char *label, enum datastore d,
			   struct model_file **ret, struct buf *warnings, bool *ret_empty,
			   struct pd_error *reterr)
{
	_cleanup_(model_file_freep) struct model_file *mf = NULL;
	_cleanup_(diag_list_releasep) struct diag_list diags = DIAG_LIST_INIT;
	_cleanup_buf_ struct buf text = BUF_INIT(MODEL_MAX_FILE_BYTES_DEFAULT + 1);
	_cleanup_buf_ struct buf msg = BUF_INIT(PD_ERROR_TEXT_MAX);
	char full[PATH_MAX];
	size_t supported = 0;
	int r;

	if (ret_empty)
		*ret_empty = false;
	r = snprintf_checked(full, sizeof(full), "%s/%s", dir, path);
	if (r >= 0)
		r = read_file_capped(full, MODEL_MAX_FILE_BYTES_DEFAULT, &text);
	if (r < 0) {
		char what[PATH_MAX + 32];
		(void)snprintf(what, sizeof(what), "cannot read '%s':", path);
		set_errno_error(reterr, r, what);
		return r;
	}
	/* Validation against the datastore of this run (model-language.md §7.1). */
	r = model_check(text.buf, text.len, path, datastore_to_string(d), 0, &mf, &diags);
	if (r < 0 && r != -EBADMSG && r != -EMSGSIZE) {
		set_errno_error(reterr, r, NULL);
		return r;
	}
	if (diags.n_errors > 0) {
		if (diag_list_has_code(&diags, DIAG_NO_ENTITY)) {
			if (ret_empty)
				*ret_empty = true;
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "the model definition file(%s) does not contain any entity "
				     "definition.",
				     label);
			return -EBADMSG;
		}
		/* Upstream folds every error into one message, one line per diagnostic. */
		r = buf_addf(&msg, "the model definition file(%s) has errors.", label);
		for (size_t i = 0; r >= 0 && i < diags.n; i++) {
			const struct diagnostic *dg = &diags.items[i];
			if (dg->severity != DIAG_ERROR)
				continue;
			r = buf_addf(&msg, "\nERROR [%s:(%u:%u,%u:%u)] %s", label, dg->line,
				     dg->column, dg->line, dg->column, dg->message);
		}
		pd_error_set(reterr, NULL, 0, 0, 0, "%s",
			     r < 0 ? "the model definition file has errors." : msg.buf);
		return -EBADMSG;
	}
	/* Extraction (model-language.md §3.3): one warning per entity flagged unsupported. */
	for (size_t i = 0; i < mf->n_entities; i++) {
		if (!mf->entities[i]->unsupported) {
			supported++;
			continue;
		}
		if (warnings) {
			r = buf_addf(
				warnings,
				"WARNING the entity '%s' contains unsupported data types. client "
				"api for this entity will not be generated.\n",
				mf->entities[i]->name);
			if (r < 0) {
				set_errno_error(reterr, r, NULL);
				return r;
			}
		}
	}
	if (supported == 0) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "all entities contain at least one unsupported data type.");
		if (ret_empty)
			*ret_empty = mf->n_entities == 0;
		return -EBADMSG;
	}
	*ret = TAKE_PTR(mf);
	return 0;
}

int gen_project_native_dependency(const char *dir, enum datastore d, enum datastore test,
				  bool build_tool, struct buf *warnings, struct pd_error *reterr)
{
	_cleanup_buf_ struct buf text = BUF_INIT(TOML_MAX_BYTES);
	_cleanup_buf_ struct buf out = BUF_INIT(TOML_MAX_BYTES + 4096);
	char path[PATH_MAX], warning[1024] = "";
	int r;

	r = snprintf_checked(path, sizeof(path), "%s/Ballerina.toml", dir);
	if (r >= 0)
		r = read_file_capped(path, TOML_MAX_BYTES, &text);
	if (r < 0) {
		set_errno_error(reterr, r, "couldn't read the Ballerina.toml file.");
		return r;
	}
	r = gen_native_dependency(text.buf, text.len, d, test, build_tool, &out, warning,
				  sizeof(warning), reterr);
	if (r < 0)
		return r;
	if (warning[0] && warnings) {
		int k = buf_addf(warnings, "%s\n", warning);
		if (k < 0) {
			set_errno_error(reterr, k, NULL);
			return k;
		}
	}
	if (r == 0)
		return 0;
	r = write_file_atomic(path, out.buf, out.len, 0644, true);
	if (r < 0) {
		set_errno_error(reterr, r, "couldn't update the Ballerina.toml file.");
		return r;
	}
	return 0;
}

int gen_project_write(const char *dir, const struct model_file *mf, const struct gen_options *o,
		      const char *out_dir, struct fileset *ret_files, bool *ret_test_failed,
		      struct pd_error *test_err, struct pd_error *reterr)
{
	_cleanup_fileset_ struct fileset files = FILESET_INIT;
	_cleanup_fileset_ struct fileset tests = FILESET_INIT;
	_cleanup_buf_ struct buf config = BUF_INIT(TOML_MAX_BYTES);
	struct pd_error ge = { 0 };
	char path[PATH_MAX];
	const char *failed = NULL;
	bool have_config, test_failed = false;
	int r;

	r = snprintf_checked(path, sizeof(path), "%s/Config.toml", dir);
	if (r >= 0)
		r = read_file_capped(path, TOML_MAX_BYTES, &config);
	if (r < 0 && r != -ENOENT) {
		set_errno_error(reterr, r, "couldn't read the Config.toml file.");
		return r;
	}
	have_config = r >= 0;
	r = gen_model(mf, o, out_dir, have_config ? config.buf : NULL, config.len, GEN_PART_MAIN,
		      &files, &ge);
	if (r < 0) {
		/* Generators explain what users can fix; the rest is an errno. */
		if (!ge.text[0]) {
			if (r == -E2BIG)
				pd_error_set(&ge, NULL, 0, 0, 0,
					     "the model is too large to generate");
			else
				set_errno_error(&ge, r, NULL);
		}
		*reterr = ge;
		return r;
	}
	if (o->test_datastore != DATASTORE_INVALID) {
		struct pd_error te = { 0 };
		r = gen_model(mf, o, out_dir, NULL, 0, GEN_PART_TEST, &tests, &te);
		if (r < 0) {
			if (!te.text[0])
				set_errno_error(&te, r, NULL);
			if (test_err)
				*test_err = te;
			test_failed = true;
		}
		/* One write for everything: the test files join the main set. */
		for (size_t i = 0; !test_failed && i < tests.n; i++) {
			r = fileset_add(&files, tests.items[i].path, tests.items[i].data,
					tests.items[i].len, tests.items[i].flags);
			if (r < 0) {
				set_errno_error(reterr, r, NULL);
				return r;
			}
		}
	}
	r = fileset_write(&files, dir, &failed);
	if (r < 0) {
		char what[PATH_MAX + 8];
		(void)snprintf(what, sizeof(what), "%s:", failed ? failed : dir);
		set_errno_error(reterr, r, what);
		return r;
	}
	if (ret_test_failed)
		*ret_test_failed = test_failed;
	if (ret_files) {
		*ret_files = files;
		files = (struct fileset)FILESET_INIT;
	}
	return 0;
}

/* ---- the build integration ------------------------------------------------------------------ */

/* A boolean option: a TOML boolean, or a string that is "true" in any case. */
static bool option_bool(const struct toml_table *options, const char *key)
{
	const struct toml_value *v = options ? toml_table_get(options, key) : NULL;

	if (!v)
		return false;
	if (v->type == TOML_BOOL)
		return v->u.boolean;
	return v->type == TOML_STRING && strcasecmp(v->u.str.ptr, "true") == 0;
}

static const char *skip_dot_slash(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	return p;
}

void gen_binding_read(const struct toml_table *entry, const char *package_name,
		      struct gen_binding *ret)
{
	const struct toml_table *options = toml_get_table(entry, "options");
	const char *fp = toml_get_string(entry, "filePath");
	struct gen_binding b = {
		.id = toml_get_string(entry, "id"),
		.target_module = toml_get_string(entry, "targetModule"),
		.file_path = skip_dot_slash(fp ? fp : "persist/model.bal"),
		.datastore = options ? toml_get_string(options, "datastore") : NULL,
		.test_datastore = options ? toml_get_string(options, "testDatastore") : NULL,
		.eager_loading = option_bool(options, "eagerLoading"),
		.with_init_params = option_bool(options, "withInitParams"),
	};

	if (!b.target_module)
		b.target_module = package_name;
	for (size_t i = 0; options && i < options->n_items; i++) {
		const char *k = options->items[i].key;
		if (!streq(k, "datastore") && !streq(k, "testDatastore") &&
		    !streq(k, "eagerLoading") && !streq(k, "withInitParams")) {
			b.unknown_option = k;
			break;
		}
	}
	*ret = b;
}

/* The model name upstream derives from filePath for the migrations guard: "" for the default
 * model. */
static void binding_model_name(const char *file_path, char *buf, size_t size)
{
	const char *s;
	size_t n;

	buf[0] = '\0';
	if (streq(file_path, "persist/model.bal") || endswith(file_path, "/persist/model.bal"))
		return;
	s = strstr(file_path, "persist/");
	if (!s)
		return;
	s += strlen("persist/");
	if (endswith(s, "/model.bal")) {
		n = strlen(s) - strlen("/model.bal");
		if (n > 0 && !memchr(s, '/', n))
			(void)snprintf(buf, size, "%.*s", (int)n, s);
	} else if (endswith(s, ".bal") && !strchr(s, '/')) {
		/* persistd's file layout: persist/<m>.bal is model <m> */
		n = strlen(s) - strlen(".bal");
		if (!(n == 5 && strncmp(s, "model", 5) == 0))
			(void)snprintf(buf, size, "%.*s", (int)n, s);
	}
}

#define CLIENT_02 "unexpected error occurred while generating the client\n"

int gen_project_build(const char *dir, const char *package_name, const struct gen_binding *b,
		      struct buf *warnings, struct fileset *ret_files, bool *ret_test_failed,
		      struct pd_error *test_err, enum gen_build_code *ret_code,
		      struct pd_error *reterr)
{
	_cleanup_(model_file_freep) struct model_file *mf = NULL;
	char out_dir[PATH_MAX], name[256], path[PATH_MAX], stem[256], warning[512] = "";
	const char *sub = NULL, *label;
	bool drop_eager = false, eager = b->eager_loading;
	enum datastore ds, tds;
	struct pd_error e;
	struct stat st;
	int r;

	*ret_code = GEN_BUILD_DIAGNOSTIC;
	if (b->unknown_option) {
		pd_error_set(reterr, NULL, 0, 0, 0, "unsupported option 'options.%s'",
			     b->unknown_option);
		return -EINVAL;
	}
	if (!b->datastore || !*b->datastore) {
		pd_error_set(reterr, NULL, 0, 0, 0, "Datastore is required");
		return -EINVAL;
	}
	r = datastore_validate(b->datastore, b->test_datastore, eager, &ds, &tds, &drop_eager,
			       warning, sizeof(warning), reterr);
	if (r < 0)
		return r;
	if (drop_eager) {
		eager = false;
		if (warnings && (r = buf_addf(warnings, "%s\n", warning)) < 0) {
			set_errno_error(reterr, r, NULL);
			return r;
		}
	}
	if (!streq(b->target_module, package_name)) {
		sub = startswith(b->target_module, package_name);
		if (!sub || *sub != '.') {
			*ret_code = GEN_BUILD_CLIENT_01;
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "invalid module name : `%s`\nmodule name should follow the "
				     "template \"<package_name>.<module_name>\"",
				     b->target_module);
			return -EINVAL;
		}
		sub++;
		if (gen_project_check_module(sub, &e) < 0) {
			*ret_code = GEN_BUILD_CLIENT_02;
			pd_error_set(reterr, NULL, 0, 0, 0,
				     CLIENT_02 "invalid module name : '%s' :\n%s", sub, e.text);
			return -EINVAL;
		}
	}
	*ret_code = GEN_BUILD_CLIENT_02;
	r = snprintf_checked(out_dir, sizeof(out_dir), "generated%s%s", sub ? "/" : "",
			     sub ? sub : "");
	if (r < 0) {
		set_errno_error(reterr, r, CLIENT_02);
		return r;
	}

	/* Migrations exist only for mysql; another datastore would leave them stale. */
	binding_model_name(b->file_path, name, sizeof(name));
	r = snprintf_checked(path, sizeof(path), "%s/persist/%s%smigrations", dir, name,
			     name[0] ? "/" : "");
	if (r >= 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode) && ds != DATASTORE_MYSQL) {
		char quoted[300] = "";
		if (name[0])
			(void)snprintf(quoted, sizeof(quoted), " for model '%s'", name);
		pd_error_set(reterr, NULL, 0, 0, 0,
			     CLIENT_02
			     "regenerating the client with a different datastore%s after "
			     "executing the migrate command is not permitted. please remove "
			     "the migrations directory within the persist directory and try "
			     "executing the command again.",
			     quoted);
		return -EINVAL;
	}

	if (ds == DATASTORE_GOOGLESHEETS && warnings &&
	    (r = buf_adds(warnings, "\nWARNING The support for Google Sheets data store is "
				    "currently an experimental feature, and its behavior may be "
				    "subject to change in future releases.\n")) < 0) {
		set_errno_error(reterr, r, NULL);
		return r;
	}

	label = strrchr(b->file_path, '/') ? strrchr(b->file_path, '/') + 1 : b->file_path;
	r = gen_project_load_model(dir, b->file_path, label, ds, &mf, warnings, NULL, &e);
	if (r >= 0)
		r = gen_project_native_dependency(dir, ds, tds, true, warnings, &e);
	if (r < 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, CLIENT_02 "%s", e.text);
		return r;
	}

	gen_project_model_stem(b->file_path, stem, sizeof(stem));
	{
		struct gen_options o = {
			.datastore = ds,
			.test_datastore = tds,
			.eager_loading = eager,
			.with_init_params = b->with_init_params,
			.build_tool = true,
			.model_name = stem,
			.package_name = package_name,
			.module_name = b->target_module,
		};
		r = gen_project_write(dir, mf, &o, out_dir, ret_files, ret_test_failed, test_err,
				      &e);
		if (r < 0) {
			pd_error_set(reterr, NULL, 0, 0, 0, CLIENT_02 "%s", e.text);
			return r;
		}
	}
	return 0;
}
