/* POST /models/{m}/migrate and POST /migrate (API.md §3): body {label, datastore}; reply
 * {directory, files, differences}. The same operation as `persist migrate`, all files or none. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/handlers.h"
#include "api/http.h"
#include "api/request.h"
#include "base/strutil.h"
#include "models/fileset.h"
#include "models/migrate.h"
#include "models/project.h"

static pthread_mutex_t migrate_lock = PTHREAD_MUTEX_INITIALIZER;

int handle_model_migrate(struct request *req)
{
	const struct http_options *o = request_options(req);
	_cleanup_(migrate_result_releasep) struct migrate_result res = { 0 };
	struct migrate_options mo = { 0 };
	struct pd_error e = { 0 };
	static const char *const keys[] = { "label", "datastore", NULL };
	const char *vals[2] = { NULL, NULL };
	json_t *body = NULL, *files, *diffs, *reply;
	int r;

	if (req->n_params > 0) {
		if (model_name_check(req->params[0], &e) < 0)
			return request_reply_problem(req, 400, "invalid_model_name",
						     "invalid model name", e.text);
		mo.model = req->params[0];
	}
	if (request_body_object(req, &body) < 0)
		return 0; /* answered */
	if (request_body_members(req, body, keys, vals, NULL, NULL) < 0) {
		json_decref(body);
		return 0;
	}
	mo.label = vals[0];
	mo.datastore = vals[1];
	if (!mo.label || !*mo.label) {
		json_decref(body);
		return request_reply_problem(req, 400, "bad_request", "a label is required",
					     "send {\"label\": \"...\"}");
	}

	pthread_mutex_lock(&migrate_lock);
	r = migrate_model(o->project_dir, &mo, &res, &e);
	pthread_mutex_unlock(&migrate_lock);
	json_decref(body); /* mo borrowed its strings */
	if (r == -ENOTUNIQ)
		return request_reply_problem(req, 400, "model_ambiguous",
					     "several models: choose one", e.text);
	if (r == -EEXIST)
		return request_reply_problem(req, 409, "conflict", "already exists", e.text);
	if (r == -EINVAL || r == -ENOENT)
		return request_reply_problem(req, r == -ENOENT ? 404 : 400,
					     r == -ENOENT ? "not_found" : "bad_request",
					     "cannot migrate", e.text);
	if (r == -EBADMSG)
		return request_reply_problem(req, 422, "model_invalid", "cannot migrate", e.text);
	if (r < 0)
		return request_reply_errno(req, r, e.text[0] ? e.text : NULL);

	files = json_array();
	for (size_t i = 0; files && i < res.files.n; i++)
		json_array_append_new(files,
				      json_pack("{s:s, s:I}", "path", res.files.items[i].path,
						"bytes", (json_int_t)res.files.items[i].len));
	diffs = json_array();
	for (size_t i = 0; diffs && i < res.n_differences; i++)
		json_array_append_new(diffs, json_string(res.differences[i]));
	reply = json_pack("{s:s?, s:s, s:b, s:o*, s:o*, s:s}", "directory",
			  res.directory[0] ? res.directory : NULL, "model", res.model_path, "first",
			  res.first, "files", files, "differences", diffs, "messages",
			  res.messages.buf);
	return request_reply_json(req, res.directory[0] ? 201 : 200, reply);
}
