/* POST /models/{m}/pull and POST /pull (API.md §3): introspect a database into the model file,
 * as `persist pull` does (reference/introspection.md).
 *
 * Body {datastore, host, port, user, password, database, tables, overwrite, layout}, every
 * member optional: a connection field that is missing comes from the model's Config.toml
 * section (the [[tool.persist]] binding's targetModule, else the package's root module), a
 * missing datastore from the binding. tables is "a,b" or ["a", "b"]; absent or empty means
 * every table (there is no interactive selection here). An existing model file is replaced only
 * with "overwrite": true (409 otherwise). The file is written atomically; the registry picks it
 * up like any other save. The password is never logged and never part of a reply.
 *
 * Reply 201 (new file) or 200 (replaced): {model, file, entities, overwritten, messages}, where
 * messages are upstream's INFO and WARNING lines. 422 when the schema cannot be mapped (upstream's
 * text in detail), 502 when the database cannot be reached or read, 501 for mssql. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api/handlers.h"
#include "api/http.h"
#include "api/request.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/strutil.h"
#include "connectors/pull.h"
#include "models/introspect.h"
#include "models/project-config.h"
#include "models/project-ops.h"
#include "models/project.h"

#define PULL_CONNECT_TIMEOUT (10 * USEC_PER_SEC)

/* One pull writes at a time per process: the check for an existing file and the write. */
static pthread_mutex_t pull_lock = PTHREAD_MUTEX_INITIALIZER;

struct pull_body {
	const char *datastore, *host, *user, *password, *database, *layout;
	int64_t port; /* 0: absent */
	bool overwrite;
	const json_t *tables; /* string or array; NULL when absent */
};

static int bad_request(struct request *req, const char *detail)
{
	(void)request_reply_problem(req, 400, "bad_request", "invalid pull request", detail);
	return -EINVAL;
}

static int parse_body(struct request *req, json_t *body, struct pull_body *ret)
{
	static const char *const strings[] = { "datastore", "host",	"user",
					       "password",  "database", "layout" };
	const char **dest[] = { &ret->datastore, &ret->host,	 &ret->user,
				&ret->password,	 &ret->database, &ret->layout };
	const char *key;
	json_t *v;

	json_object_foreach(body, key, v) {
		bool known = false;
		for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
			if (!streq(key, strings[i]))
				continue;
			known = true;
			if (json_is_null(v))
				break;
			if (!json_is_string(v))
				return bad_request(req, "datastore, host, user, password, database "
							"and layout are strings");
			*dest[i] = json_string_value(v);
		}
		if (known)
			continue;
		if (streq(key, "port")) {
			int64_t p = -1;
			if (json_is_integer(v))
				p = json_integer_value(v);
			else if (json_is_string(v) && safe_atoi64(json_string_value(v), &p) < 0)
				p = -1;
			if (p < 1 || p > 65535)
				return bad_request(req, "port is a number from 1 to 65535");
			ret->port = p;
		} else if (streq(key, "overwrite")) {
			if (!json_is_boolean(v))
				return bad_request(req, "overwrite is a boolean");
			ret->overwrite = json_is_true(v);
		} else if (streq(key, "tables")) {
			size_t i;
			json_t *t;
			if (json_is_array(v)) {
				json_array_foreach(v, i, t)
					if (!json_is_string(t))
						return bad_request(
							req, "tables is a string \"a,b\" or an "
							     "array of table names");
			} else if (!json_is_string(v) && !json_is_null(v)) {
				return bad_request(req, "tables is a string \"a,b\" or an array of "
							"table names");
			}
			ret->tables = json_is_null(v) ? NULL : v;
		} else {
			char detail[256];
			(void)snprintf(detail, sizeof(detail), "unknown member '%s'", key);
			return bad_request(req, detail);
		}
	}
	return 0;
}

/* The selection from the tables member: *ret_names (new) holds the names. */
static int selection(const json_t *tables, char ***ret_names, struct introspect_selection *sel)
{
	_cleanup_buf_ struct buf joined = BUF_INIT(1 << 20);
	size_t n = 0, i;
	json_t *t;
	int r;

	*sel = (struct introspect_selection){ .all = true };
	*ret_names = NULL;
	if (!tables)
		return 0;
	if (json_is_string(tables)) {
		r = buf_adds(&joined, json_string_value(tables));
	} else {
		r = 0;
		json_array_foreach(tables, i, t) {
			if (r >= 0)
				r = buf_addf(&joined, "%s%s", i ? "," : "", json_string_value(t));
		}
	}
	if (r < 0)
		return r;
	r = introspect_split_tables(joined.buf, ret_names, &n);
	if (r < 0)
		return r;
	if (n > 0) {
		sel->all = false;
		sel->names = (const char *const *)*ret_names;
		sel->n_names = n;
	}
	return 0;
}

/* The connection: the model's Config.toml section under the body's fields. */
static int connection(struct request *req, const char *dir, const struct model_target *t,
		      const struct pull_body *b, struct connection_settings *cs,
		      char **ret_datastore)
{
	_cleanup_(project_config_freep) struct project_config *pc = NULL;
	const struct persist_binding *binding;
	const char *module, *datastore = b->datastore;
	struct pd_error e = { 0 };
	char text[512];
	int r;

	r = project_config_load(dir, getenv("BAL_CONFIG_FILES"), &pc, &e);
	if (r < 0) {
		pd_error_format(&e, text, sizeof(text));
		return request_reply_problem(req, r == -ENOENT ? 404 : 422,
					     r == -ENOENT ? "not_found" : "config_invalid",
					     "cannot read the project configuration", text);
	}
	binding = project_config_binding_for_path(pc, t->entry.path);
	module = binding && binding->target_module ? binding->target_module : pc->package_name;
	if (module) {
		r = project_config_connection(pc, module, cs, &e);
		if (r < 0) {
			pd_error_format(&e, text, sizeof(text));
			return request_reply_problem(req, 422, "config_invalid",
						     "the connection settings do not parse", text);
		}
	}
	if (!datastore && binding)
		datastore = binding->datastore;
	if (!datastore || !*datastore) {
		(void)request_reply_problem(
			req, 400, "bad_request", "no datastore",
			"send {\"datastore\": \"mysql\"|\"postgresql\"}, or bind "
			"the model with persist add");
		return -EINVAL;
	}
	if (!streq(datastore, "mysql") && !streq(datastore, "postgresql") &&
	    !streq(datastore, "mssql")) {
		(void)snprintf(text, sizeof(text), "Unsupported data store: '%s'", datastore);
		(void)request_reply_problem(req, 400, "bad_request", "invalid datastore", text);
		return -EINVAL;
	}
#define OVERRIDE(field)                                  \
	do {                                             \
		if (b->field) {                          \
			char *s_ = mem_strdup(b->field); \
			if (!s_)                         \
				return -ENOMEM;          \
			mem_free(cs->field);             \
			cs->field = s_;                  \
		}                                        \
	} while (0)
	OVERRIDE(host);
	OVERRIDE(user);
	OVERRIDE(password);
	OVERRIDE(database);
#undef OVERRIDE
	if (b->port)
		cs->port = b->port;
	if (!cs->database || !*cs->database) {
		(void)request_reply_problem(req, 400, "bad_request", "no database",
					    "send {\"database\": \"...\"} or set database in the "
					    "model's Config.toml section");
		return -EINVAL;
	}
	*ret_datastore = mem_strdup(datastore);
	return *ret_datastore ? 0 : -ENOMEM;
}

int handle_model_pull(struct request *req)
{
	const struct http_options *o = request_options(req);
	_cleanup_(connection_settings_release) struct connection_settings cs = { 0 };
	_cleanup_(db_catalog_freep) struct db_catalog *cat = NULL;
	_cleanup_buf_ struct buf text = BUF_INIT(64 << 20);
	_cleanup_buf_ struct buf messages = BUF_INIT(1 << 20);
	_cleanup_free_ char **names = NULL;
	_cleanup_free_ char *datastore = NULL;
	struct introspect_selection sel;
	struct pull_body b = { 0 };
	struct model_target t;
	struct pd_error e = { 0 };
	const char *model = NULL;
	char err[2048];
	json_t *body = NULL, *lines, *reply;
	size_t entities = 0;
	unsigned flags = 0;
	bool existed;
	int r;

	if (req->n_params > 0) {
		if (model_name_check(req->params[0], &e) < 0)
			return request_reply_problem(req, 400, "invalid_model_name",
						     "invalid model name", e.text);
		model = req->params[0];
	}
	if (request_body_object(req, &body) < 0)
		return 0; /* answered */
	r = parse_body(req, body, &b);
	if (r >= 0 && b.layout && !streq(b.layout, "file")) {
		if (streq(b.layout, "directory"))
			flags = RESOLVE_DIRECTORY_LAYOUT;
		else
			r = bad_request(req, "layout must be \"file\" or \"directory\"");
	}
	if (r < 0) {
		json_decref(body);
		return 0;
	}

	r = project_resolve(o->project_dir, model, flags, &t, &e);
	if (r < 0) {
		json_decref(body);
		if (r == -ENOTUNIQ)
			return request_reply_problem(req, 400, "model_ambiguous",
						     "several models: choose one", e.text);
		return request_reply_problem(req, r == -ENOENT ? 404 : 400, "bad_request",
					     "cannot pull into that model", e.text);
	}
	if (t.exists && !b.overwrite) {
		json_decref(body);
		(void)snprintf(err, sizeof(err),
			       "%s exists; send \"overwrite\": true to replace it with the pulled "
			       "model",
			       t.entry.path);
		return request_reply_problem(req, 409, "model_exists", "the model file exists",
					     err);
	}
	r = connection(req, o->project_dir, &t, &b, &cs, &datastore);
	if (r >= 0)
		r = selection(b.tables, &names, &sel);
	json_decref(body); /* b borrowed its strings */
	if (r < 0)
		return req->replied ? 0 : request_reply_errno(req, r, NULL);

	r = pull_read_catalog(datastore, &cs, PULL_CONNECT_TIMEOUT, &cat, err, sizeof(err));
	if (r < 0) {
		log_warning("req=%s pull into '%s' from the %s database '%s' on %s failed: %s",
			    req->id_str, t.entry.name, datastore, cs.database,
			    cs.host ? cs.host : "localhost", err);
		if (r == -EOPNOTSUPP)
			return request_reply_problem(req, 501, "not_supported",
						     "cannot introspect this datastore", err);
		if (r == -ENOMEM)
			return request_reply_errno(req, r, NULL);
		return request_reply_problem(req, r == -ETIMEDOUT ? 504 : 502, "store_unavailable",
					     "failed to introspect database", err);
	}
	r = introspect_model(cat, &sel, &text, &messages, &entities, &e);
	if (r == -EBADMSG)
		return request_reply_problem(req, 422, "introspection_failed",
					     "the database does not map to a model", e.text);
	if (r < 0)
		return request_reply_errno(req, r, NULL);

	pthread_mutex_lock(&pull_lock);
	(void)snprintf(err, sizeof(err), "%s/%s", o->project_dir, t.entry.path);
	existed = access(err, F_OK) == 0;
	if (existed && !b.overwrite)
		r = -EEXIST;
	else
		r = pull_write_model(o->project_dir, t.entry.path, text.buf, text.len);
	pthread_mutex_unlock(&pull_lock);
	if (r == -EEXIST)
		return request_reply_problem(req, 409, "model_exists", "the model file exists",
					     "the model file appeared while pulling; send "
					     "\"overwrite\": true to replace it");
	if (r < 0)
		return request_reply_errno(req, r, "could not write the model file");
	log_info("req=%s model '%s': pulled %zu entities from the %s database '%s' into %s",
		 req->id_str, t.entry.name, entities, datastore, cs.database, t.entry.path);

	lines = json_array();
	for (char *p = messages.buf; lines && *p;) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		json_array_append_new(lines, json_stringn(p, len));
		p += len + (nl ? 1 : 0);
	}
	reply = json_pack("{s:s, s:s, s:I, s:b, s:o*}", "model", t.entry.name, "file", t.entry.path,
			  "entities", (json_int_t)entities, "overwritten", existed, "messages",
			  lines);
	return request_reply_json(req, existed ? 200 : 201, reply);
}
