/* Model management routes (API.md §3): /readyz, /models, /models/{m}, /models/{m}/source. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/handlers.h"
#include "api/http.h"
#include "api/model-json.h"
#include "api/registry.h"
#include "api/request.h"
#include "api/stores.h"
#include "base/buf.h"
#include "base/fileio.h"
#include "base/alloc.h"
#include "base/hash.h"
#include "base/strutil.h"
#include "models/model-set.h"
#include "models/project.h"

int handle_readyz(struct request *req)
{
	const struct http_options *o = request_options(req);
	struct store_info *stores = NULL;
	size_t n_stores = 0;
	json_t *models;

	if (!o->registry || !atomic_load(&o->registry->ready) || !req->snap) {
		(void)request_add_header(req, "Retry-After", "1");
		return request_reply_problem(req, 503, "not_ready", "not ready",
					     "the model registry is still loading");
	}
	if (o->stores && store_table_list(o->stores, &stores, &n_stores) < 0)
		return -ENOMEM;
	models = json_array();
	for (size_t i = 0; models && i < req->snap->models->n; i++) {
		const struct model_state *m = req->snap->models->models[i];
		const struct store_info *si = NULL;
		json_t *o_m = json_pack("{s:s, s:s}", "name", m->entry.name, "status",
					model_status_to_string(m->status));

		for (size_t k = 0; k < n_stores; k++)
			if (streq(stores[k].model, m->entry.name))
				si = &stores[k];
		if (o_m && si) {
			/* reachable: the pool's view (a failed connect marks it down until one
			 * succeeds); false also when no connector serves the datastore */
			json_t *st = json_pack("{s:s, s:b}", "datastore", si->datastore,
					       "reachable", si->servable && !si->down);
			if (st && si->error[0] && (!si->servable || si->down))
				json_object_set_new(st, "error", json_string(si->error));
			if (st && si->servable)
				json_object_set_new(st, "connections",
						    json_pack("{s:I, s:I}", "open",
							      (json_int_t)si->stats.size, "idle",
							      (json_int_t)si->stats.idle));
			json_object_set_new(o_m, "store", st);
		}
		json_array_append_new(models, o_m);
	}
	mem_free(stores);
	return request_reply_json(req, 200,
				  json_pack("{s:s, s:I, s:o*}", "status", "ready", "generation",
					    (json_int_t)req->snap->generation, "models", models));
}

int handle_models_list(struct request *req)
{
	json_t *a = json_array();

	if (!req->snap)
		return -EAGAIN;
	for (size_t i = 0; a && i < req->snap->models->n; i++) {
		const struct model_state *m = req->snap->models->models[i];
		usec_t gen = registry_generated_at(request_options(req)->registry, m->entry.name);

		if (json_array_append_new(a, model_summary_json(req->snap, m, gen)) < 0) {
			json_decref(a);
			return -ENOMEM;
		}
	}
	return request_reply_json(req, 200, a);
}

int lookup_model(struct request *req, struct model_state **ret)
{
	struct pd_error e;
	struct model_state *m;
	char detail[MODEL_NAME_MAX + 64];

	if (req->n_params < 1)
		return -EINVAL;
	if (model_name_check(req->params[0], &e) < 0) {
		(void)request_reply_problem(req, 400, "invalid_model_name", "invalid model name",
					    e.text);
		return -EINVAL;
	}
	if (!req->snap)
		return -EAGAIN;
	m = model_set_find(req->snap->models, req->params[0]);
	if (!m) {
		(void)snprintf(detail, sizeof(detail), "no model '%s' in this project",
			       req->params[0]);
		(void)request_reply_problem(req, 404, "model_not_found", "model not found", detail);
		return -ENOENT;
	}
	*ret = m;
	return 0;
}

int handle_model_get(struct request *req)
{
	struct model_state *m;
	int r = lookup_model(req, &m);

	if (r < 0)
		return req->replied ? 0 : r;
	{
		struct registry *reg = request_options(req)->registry;
		struct generation_record g;
		json_t *o =
			model_detail_json(req->snap, m, registry_generated_at(reg, m->entry.name));

		if (o && registry_generation(reg, m->entry.name, &g)) {
			json_t *lg =
				json_pack("{s:o, s:b, s:s?}", "at", timestamp_json(g.last_at), "ok",
					  g.last_ok, "error", g.last_ok ? NULL : g.last_error);
			/* the files of the last generation that succeeded */
			json_t *files = json_array();
			for (char *p = g.files; files && *p;) {
				char *nl = strchr(p, '\n');
				if (nl)
					*nl = '\0';
				json_array_append_new(files, json_string(p));
				p = nl ? nl + 1 : p + strlen(p);
			}
			if (lg && files)
				json_object_set_new(lg, "files", files);
			else
				json_decref(files);
			json_object_set_new(o, "lastGeneration", lg);
		}
		return request_reply_json(req, 200, o);
	}
}

static int read_source(struct request *req, const struct model_state *m, struct buf *out)
{
	const struct http_options *o = request_options(req);
	_cleanup_close_ int dfd = open(o->project_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	return read_file_at(dfd, m->entry.path, o->max_file_bytes, out);
}

static void source_etag(const char *text, size_t len, char *buf, size_t size)
{
	(void)snprintf(buf, size, "\"%016" PRIx64 "\"", fnv1a64(text, len));
}

int handle_model_source_get(struct request *req)
{
	_cleanup_buf_ struct buf text = BUF_INIT(request_options(req)->max_file_bytes);
	struct model_state *m;
	char etag[24];
	int r = lookup_model(req, &m);

	if (r < 0)
		return req->replied ? 0 : r;
	r = read_source(req, m, &text);
	if (r == -ENOENT)
		return request_reply_problem(req, 404, "model_not_found", "model not found",
					     "the model file is gone");
	if (r < 0)
		return r;
	source_etag(text.buf, text.len, etag, sizeof(etag));
	r = request_add_header(req, "ETag", etag);
	if (r < 0)
		return r;
	return request_reply_bytes(req, 200, "text/plain; charset=utf-8", text.buf, text.len);
}

int handle_model_source_put(struct request *req)
{
	const struct http_options *o = request_options(req);
	_cleanup_buf_ struct buf cur = BUF_INIT(o->max_file_bytes);
	const char *if_match = request_header(req, "If-Match");
	struct model_state *m;
	char etag[24], path[PATH_MAX];
	int r = lookup_model(req, &m);

	if (r < 0)
		return req->replied ? 0 : r;
	if (!if_match)
		return request_reply_problem(req, 428, "precondition_required", "If-Match required",
					     "send the ETag of GET .../source in If-Match");
	if (req->body.len > o->max_file_bytes)
		return request_reply_problem(req, 413, "payload_too_large", "model file too large",
					     "the model file exceeds models.max_file_bytes");
	if (memchr(req->body.buf, '\0', req->body.len))
		return request_reply_problem(req, 400, "bad_request", "invalid model text",
					     "a model file cannot contain NUL bytes");
	if (!utf8_is_valid(req->body.buf))
		return request_reply_problem(req, 400, "bad_request", "invalid model text",
					     "a model file must be UTF-8 text");
	r = read_source(req, m, &cur);
	if (r < 0 && r != -ENOENT)
		return r;
	source_etag(cur.buf, cur.len, etag, sizeof(etag));
	if (r == -ENOENT || !etag_matches(if_match, etag))
		return request_reply_problem(req, 412, "precondition_failed", "the file changed",
					     "the model file no longer matches If-Match");
	if (snprintf_checked(path, sizeof(path), "%s/%s", o->project_dir, m->entry.path) < 0)
		return -ENAMETOOLONG;
	r = write_file_atomic(path, req->body.buf, req->body.len, 0644, true);
	if (r < 0)
		return r;
	source_etag(req->body.buf, req->body.len, etag, sizeof(etag));
	r = request_add_header(req, "ETag", etag);
	if (r < 0)
		return r;
	return request_reply_json(req, 200,
				  json_pack("{s:s, s:s, s:I, s:b}", "model", m->entry.name, "etag",
					    etag, "bytes", (json_int_t)req->body.len, "changed",
					    r > 0));
}
