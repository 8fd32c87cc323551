/* POST /models/{m}/generate and POST /generate (API.md §3). Without a body: the model's
 * [[tool.persist]] binding, build-tool output in generated/ or generated/<module>/. With a body
 * {datastore, module, testDatastore, eagerLoading, withInitParams}: as `persist generate`, output
 * in the project root or modules/<module>/. ?dryRun=true returns the files and writes nothing.
 * A generation writes all of its files or none. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "api/events.h"
#include "api/handlers.h"
#include "api/http.h"
#include "api/metrics.h"
#include "api/model-json.h"
#include "api/problem.h"
#include "api/registry.h"
#include "api/request.h"
#include "base/buf.h"
#include "base/fileio.h"
#include "base/sha256.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/fileset.h"
#include "models/gen-project.h"
#include "models/gen.h"
#include "models/model-set.h"
#include "models/project-config.h"
#include "models/project.h"

/* What one generation produces or would produce. */
struct generation {
	struct gen_options o;
	char out_dir[PATH_MAX];
	char module_name[512];
	char pkg[256];
	char stem[MODEL_NAME_MAX + 8];
	bool build_mode;
};

static void strip_quotes(const char *s, char *buf, size_t size)
{
	size_t k = 0;

	for (; *s && k + 1 < size; s++)
		if (*s != '"')
			buf[k++] = *s;
	buf[k] = '\0';
}

static int plan_from_binding(const struct project_config *pc, const struct persist_binding *b,
			     struct generation *g, struct pd_error *e)
{
	enum datastore ds, tds;
	bool drop = false;
	const char *sub = NULL;
	int r;

	if (b->error) {
		pd_error_set(e, NULL, 0, 0, 0, "%s", b->error);
		return -EINVAL;
	}
	if (!b->datastore) {
		pd_error_set(e, NULL, 0, 0, 0, "Datastore is required");
		return -EINVAL;
	}
	r = datastore_validate(b->datastore, b->test_datastore, b->eager_loading, &ds, &tds, &drop,
			       NULL, 0, e);
	if (r < 0)
		return r;
	g->build_mode = true;
	(void)snprintf(g->pkg, sizeof(g->pkg), "%s", pc->package_name);
	if (snprintf_checked(g->module_name, sizeof(g->module_name), "%s",
			     b->target_module ? b->target_module : pc->package_name) < 0)
		return -ENAMETOOLONG;
	if (!streq(g->module_name, g->pkg)) {
		sub = startswith(g->module_name, g->pkg);
		if (!sub || *sub != '.') {
			pd_error_set(e, NULL, 0, 0, 0,
				     "invalid module name : `%s`\nmodule name should follow the "
				     "template \"<package_name>.<module_name>\"",
				     g->module_name);
			return -EINVAL;
		}
		sub++;
	}
	r = snprintf_checked(g->out_dir, sizeof(g->out_dir), "generated%s%s", sub ? "/" : "",
			     sub ? sub : "");
	if (r < 0)
		return r;
	g->o = (struct gen_options){ .datastore = ds,
				     .test_datastore = tds,
				     .eager_loading = b->eager_loading && !drop,
				     .with_init_params = b->with_init_params };
	return 0;
}

static int plan_from_body(struct request *req, json_t *body, const char *pkg, struct generation *g,
			  struct pd_error *e)
{
	static const char *const keys[] = { "datastore", "module", "testDatastore", NULL };
	static const char *const bool_keys[] = { "eagerLoading", "withInitParams", NULL };
	const char *vals[3] = { NULL, NULL, NULL };
	bool bools[2] = { false, false }, drop = false;
	const char *datastore, *module, *test;
	enum datastore ds, tds;
	bool eager, init;
	int r;

	if (request_body_members(req, body, keys, vals, bool_keys, bools) < 0)
		return -ECANCELED; /* answered */
	datastore = vals[0];
	module = vals[1];
	test = vals[2];
	eager = bools[0];
	init = bools[1];
	if (!datastore || !*datastore) {
		pd_error_set(e, NULL, 0, 0, 0, "datastore is required");
		return -EINVAL;
	}
	r = datastore_validate(datastore, test, eager, &ds, &tds, &drop, NULL, 0, e);
	if (r < 0)
		return r;
	(void)snprintf(g->pkg, sizeof(g->pkg), "%s", pkg);
	if (module) {
		char mod[256];
		strip_quotes(module, mod, sizeof(mod));
		if (streq(mod, pkg)) {
			r = snprintf_checked(g->out_dir, sizeof(g->out_dir), "modules");
			if (r >= 0)
				r = snprintf_checked(g->module_name, sizeof(g->module_name), "%s",
						     pkg);
		} else {
			r = snprintf_checked(g->out_dir, sizeof(g->out_dir), "modules/%s", mod);
			if (r >= 0)
				r = snprintf_checked(g->module_name, sizeof(g->module_name),
						     "%s.%s", pkg, mod);
		}
	} else {
		g->out_dir[0] = '\0';
		r = snprintf_checked(g->module_name, sizeof(g->module_name), "%s", pkg);
	}
	if (r < 0 || gen_project_check_module(g->module_name, e) < 0) {
		if (r < 0)
			pd_error_set(e, NULL, 0, 0, 0, "the module name is too long");
		return -EINVAL;
	}
	g->o = (struct gen_options){ .datastore = ds,
				     .test_datastore = tds,
				     .eager_loading = eager && !drop,
				     .with_init_params = init };
	return 0;
}

/* Fill the changed flags of a planned set by comparing with what is on disk. */
static void mark_changes(const char *dir, struct fileset *files)
{
	for (size_t i = 0; i < files->n; i++) {
		struct fileset_entry *f = &files->items[i];
		char path[PATH_MAX];
		int same = snprintf_checked(path, sizeof(path), "%s/%s", dir, f->path) < 0
				   ? 0
				   : file_content_equals(path, f->data, f->len);
		struct stat st;
		f->kept = (f->flags & FILESET_KEEP_EXISTING) && stat(path, &st) == 0;
		f->changed = !f->kept && same <= 0;
	}
}

static json_t *files_json(const struct fileset *files)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < files->n; i++) {
		const struct fileset_entry *f = &files->items[i];
		char hex[2 * SHA256_DIGEST_SIZE + 1];

		sha256_hex(f->data, f->len, hex);
		json_array_append_new(a, json_pack("{s:s, s:I, s:s, s:b, s:b}", "path", f->path,
						   "bytes", (json_int_t)f->len, "sha256", hex,
						   "changed", f->changed, "kept", f->kept));
	}
	return a;
}

static pthread_mutex_t generate_lock = PTHREAD_MUTEX_INITIALIZER;

int handle_model_generate(struct request *req)
{
	const struct http_options *o = request_options(req);
	const char *dry = request_query(req, "dryRun");
	bool dry_run = dry && (streq(dry, "true") || streq(dry, "1"));
	_cleanup_(model_file_freep) struct model_file *mf = NULL;
	_cleanup_fileset_ struct fileset files = FILESET_INIT;
	_cleanup_buf_ struct buf warnings = BUF_INIT(1 << 16);
	_cleanup_buf_ struct buf config = BUF_INIT(1 << 20);
	const struct project_config *pc;
	struct model_state *m = NULL;
	struct generation g = { 0 };
	struct pd_error e = { 0 }, te = { 0 };
	bool empty = false, test_failed = false;
	json_t *body = NULL, *reply;
	char label[MODEL_PATH_MAX], path[PATH_MAX];
	usec_t t0 = now_usec(CLOCK_MONOTONIC);
	int r;

	if (!req->snap)
		return -EAGAIN;
	/* Which model: {m}, or the resolution rules for POST /generate. */
	if (req->n_params > 0) {
		if (model_name_check(req->params[0], &e) < 0)
			return request_reply_problem(req, 400, "invalid_model_name",
						     "invalid model name", e.text);
		m = model_set_find(req->snap->models, req->params[0]);
	} else {
		struct model_target t;
		struct model_list l = { .n = 0 };
		/* The snapshot's models, in the order discovery gives them. */
		r = project_discover(o->project_dir, PROJECT_MAX_MODELS_DEFAULT, &l);
		if (r >= 0 || r == -ENOTDIR)
			r = project_resolve_model(&l, NULL, 0, &t, &e);
		model_list_release(&l);
		if (r == -ENOTUNIQ)
			return request_reply_problem(req, 400, "model_ambiguous",
						     "several models: choose one", e.text);
		if (r < 0)
			return request_reply_problem(req, 400, "bad_request", "no model", e.text);
		m = model_set_find(req->snap->models, t.entry.name);
	}
	if (!m)
		return request_reply_problem(req, 404, "model_not_found", "model not found",
					     "no such model in this project");
	if (m->status != MODEL_VALID) {
		json_t *p = problem_new(422, "model_invalid", "model file does not validate",
					m->status == MODEL_EMPTY ? "the model defines no entity"
								 : "the model has errors",
					req->url);
		if (p)
			json_object_set_new(p, "diagnostics", diagnostics_json(&m->diags));
		return request_reply_problem_json(req, p);
	}
	pc = req->snap->project->config;
	if (!pc || !pc->package_name)
		return request_reply_problem(req, 409, "project_invalid",
					     "Ballerina.toml is invalid",
					     req->snap->project->error);

	if (req->body.len > 0) {
		if (request_body_object(req, &body) < 0)
			return 0; /* answered */
		r = plan_from_body(req, body, pc->package_name, &g, &e);
		json_decref(body);
	} else {
		const struct persist_binding *b =
			project_config_binding_for_path(pc, m->entry.path);
		if (!b)
			return request_reply_problem(
				req, 409, "no_binding", "the model has no binding",
				"add a [[tool.persist]] entry (POST .../add) or send a body with "
				"a datastore");
		r = plan_from_binding(pc, b, &g, &e);
	}
	if (r == -ECANCELED)
		return 0;
	if (r < 0)
		return request_reply_problem(req, 400, "bad_request", "cannot generate", e.text);

	gen_project_model_stem(m->entry.path, g.stem, sizeof(g.stem));
	g.o.model_name = g.stem;
	g.o.build_tool = g.build_mode; /* what `bal build` packs differs from `persist generate` */
	g.o.package_name = g.pkg;
	g.o.module_name = g.module_name;
	(void)snprintf(label, sizeof(label), "%s", m->entry.path + strlen("persist/"));

	if (!dry_run && o->events)
		(void)event_bus_publish(o->events, "generate.started",
					json_pack("{s:s, s:s}", "model", m->entry.name, "mode",
						  g.build_mode ? "build" : "generate"));
	pthread_mutex_lock(&generate_lock);
	r = gen_project_load_model(o->project_dir, m->entry.path, label, g.o.datastore, &mf,
				   &warnings, &empty, &e);
	if (r >= 0 && dry_run) {
		r = snprintf_checked(path, sizeof(path), "%s/Config.toml", o->project_dir);
		if (r >= 0) {
			r = read_file_capped(path, 1 << 20, &config);
			if (r == -ENOENT)
				r = 0;
		}
		if (r >= 0)
			r = gen_model(mf, &g.o, g.out_dir, config.len ? config.buf : NULL,
				      config.len, GEN_PART_MAIN | GEN_PART_TEST, &files, &e);
		if (r >= 0)
			mark_changes(o->project_dir, &files);
	} else if (r >= 0) {
		r = gen_project_native_dependency(o->project_dir, g.o.datastore, g.o.test_datastore,
						  g.build_mode, &warnings, &e);
		if (r >= 0)
			r = gen_project_write(o->project_dir, mf, &g.o, g.out_dir, &files,
					      &test_failed, &te, &e);
	}
	pthread_mutex_unlock(&generate_lock);
	if (!dry_run)
		metrics_generation(r >= 0, now_usec(CLOCK_MONOTONIC) - t0);

	if (r < 0 && !dry_run)
		registry_note_generation(o->registry, m->entry.name, now_usec(CLOCK_REALTIME),
					 e.text, NULL);
	if (r < 0) {
		if (!dry_run && o->events)
			(void)event_bus_publish(
				o->events, "generate.failed",
				json_pack("{s:s, s:s}", "model", m->entry.name, "error", e.text));
		if (r == -EBADMSG || empty) {
			json_t *p = problem_new(422, "model_invalid",
						"model file does not validate", e.text, req->url);
			if (p)
				json_object_set_new(p, "diagnostics", diagnostics_json(&m->diags));
			return request_reply_problem_json(req, p);
		}
		return request_reply_errno(req, r, e.text[0] ? e.text : NULL);
	}

	reply = json_pack("{s:s, s:b, s:s, s:o*, s:o*, s:I}", "model", m->entry.name, "dryRun",
			  dry_run, "outputDirectory", g.out_dir[0] ? g.out_dir : ".", "files",
			  files_json(&files), "diagnostics", diagnostics_json(&m->diags),
			  "durationMs", (json_int_t)((now_usec(CLOCK_MONOTONIC) - t0) / 1000));
	if (reply && warnings.len)
		json_object_set_new(reply, "warnings", json_string(warnings.buf));
	if (reply && test_failed)
		json_object_set_new(reply, "testError", json_string(te.text));
	if (!dry_run) {
		registry_note_generation(o->registry, m->entry.name, now_usec(CLOCK_REALTIME), NULL,
					 &files);
		if (o->events)
			(void)event_bus_publish(
				o->events, "generate.finished",
				json_pack("{s:s, s:o*, s:I}", "model", m->entry.name, "files",
					  files_json(&files), "durationMs",
					  (json_int_t)((now_usec(CLOCK_MONOTONIC) - t0) / 1000)));
	}
	return request_reply_json(req, 200, reply);
}
