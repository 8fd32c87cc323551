/* Routes that change the project: POST /models/{m}/init, /models/{m}/add and their model-less
 * forms /init and /add (API.md §3). They run the same code as `persist init` and `persist add`,
 * one at a time per project, and write nothing when they fail. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <jansson.h>

#include "api/handlers.h"
#include "api/http.h"
#include "api/registry.h"
#include "api/request.h"
#include "base/strutil.h"
#include "models/project-ops.h"
#include "models/project.h"

static int layout_flags(struct request *req, const char *layout, unsigned *ret)
{
	if (!layout || streq(layout, "file")) {
		*ret = 0;
		return 0;
	}
	if (streq(layout, "directory")) {
		*ret = RESOLVE_DIRECTORY_LAYOUT;
		return 0;
	}
	(void)request_reply_problem(req, 400, "bad_request", "invalid layout",
				    "layout must be \"file\" or \"directory\"");
	return -EINVAL;
}

/* A failed project operation as problem+json: the status from the errno, upstream's message
 * as the detail; the ambiguity error lists the models. */
static int reply_op_error(struct request *req, int r, const struct pd_error *e)
{
	if (r == -ENOTUNIQ) {
		json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "type",
				      "urn:persistd:problem:model-ambiguous", "title",
				      "several models: choose one", "status", 400, "code",
				      "model_ambiguous", "detail", e->text, "instance", req->url);
		json_t *names = json_array();
		struct snapshot *snap = req->snap;
		for (size_t i = 0; p && names && snap && i < snap->models->n; i++)
			json_array_append_new(names,
					      json_string(snap->models->models[i]->entry.name));
		if (p)
			json_object_set_new(p, "models", names);
		else
			json_decref(names);
		return request_reply_problem_json(req, p);
	}
	if (r == -EEXIST)
		return request_reply_problem(req, 409, "conflict", "already exists", e->text);
	if (r == -EINVAL || r == -ENOENT)
		return request_reply_problem(req, 400, "bad_request", "cannot do that", e->text);
	if (r == -EBADMSG)
		return request_reply_problem(req, 422, "model_invalid", "model conflict", e->text);
	return request_reply_errno(req, r, e->text[0] ? e->text : NULL);
}

/* {m} when the route has one: validated before anything touches the file system. */
static int model_param(struct request *req, const char **ret)
{
	struct pd_error e;

	if (req->n_params == 0) {
		*ret = NULL;
		return 0;
	}
	if (model_name_check(req->params[0], &e) < 0) {
		(void)request_reply_problem(req, 400, "invalid_model_name", "invalid model name",
					    e.text);
		return -EINVAL;
	}
	*ret = req->params[0];
	return 0;
}

static pthread_mutex_t project_write_lock = PTHREAD_MUTEX_INITIALIZER;

int handle_model_init(struct request *req)
{
	const struct http_options *o = request_options(req);
	static const char *const keys[] = { "layout", NULL };
	const char *vals[1] = { NULL }, *model;
	json_t *body = NULL;
	struct model_target t;
	struct pd_error e = { 0 };
	bool created;
	unsigned flags;
	int r;

	if (model_param(req, &model) < 0 || request_body_object(req, &body) < 0)
		return 0;
	r = request_body_members(req, body, keys, vals, NULL, NULL);
	if (r >= 0)
		r = layout_flags(req, vals[0], &flags);
	json_decref(body);
	if (r < 0)
		return 0;

	pthread_mutex_lock(&project_write_lock);
	r = project_init_model(o->project_dir, model, flags, &t, &created, &e);
	pthread_mutex_unlock(&project_write_lock);
	if (r < 0)
		return reply_op_error(req, r, &e);
	if (!created && model == NULL)
		return request_reply_json(req, 200,
					  json_pack("{s:s, s:s, s:b}", "model", t.entry.name,
						    "file", t.entry.path, "created", 0));
	return request_reply_json(
		req, 201,
		json_pack("{s:s, s:s, s:s, s:b}", "model", t.entry.name, "file", t.entry.path,
			  "layout", t.entry.layout == MODEL_LAYOUT_FILE ? "file" : "directory",
			  "created", created));
}

int handle_model_add(struct request *req)
{
	const struct http_options *o = request_options(req);
	static const char *const keys[] = { "datastore", "module", "testDatastore",
					    "id",	 "layout", NULL };
	static const char *const bool_keys[] = { "eagerLoading", "withInitParams", NULL };
	const char *vals[5] = { NULL };
	bool bools[2] = { false, false };
	struct add_options ao = { 0 };
	struct add_result res;
	struct pd_error e = { 0 };
	json_t *body = NULL, *reply;
	int r;

	if (model_param(req, &ao.model) < 0 || request_body_object(req, &body) < 0)
		return 0;
	r = request_body_members(req, body, keys, vals, bool_keys, bools);
	if (r >= 0)
		r = layout_flags(req, vals[4], &ao.resolve_flags);
	if (r < 0) {
		json_decref(body);
		return 0;
	}
	ao.datastore = vals[0];
	ao.module = vals[1];
	ao.test_datastore = vals[2];
	ao.id = vals[3];
	ao.eager_loading = bools[0];
	ao.with_init_params = bools[1];

	pthread_mutex_lock(&project_write_lock);
	r = project_add_binding(o->project_dir, &ao, &res, &e);
	pthread_mutex_unlock(&project_write_lock);
	json_decref(body); /* ao borrowed its strings */
	if (r < 0)
		return reply_op_error(req, r, &e);
	reply = json_pack("{s:s, s:s, s:s, s:s}", "model", res.target.entry.name, "id", res.id,
			  "targetModule", res.target_module, "filePath", res.target.entry.path);
	if (reply && res.eager_loading_dropped)
		json_object_set_new(reply, "warning", json_string(res.warning));
	return request_reply_json(req, 201, reply);
}
