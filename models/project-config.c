#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/strutil.h"
#include "models/project-config.h"
#include "models/toml.h"

#define PATH_MAX_BYTES 4096

static void binding_release(struct persist_binding *b)
{
	mem_free(b->id);
	mem_free(b->target_module);
	mem_free(b->datastore);
	mem_free(b->test_datastore);
	mem_free(b->file_path);
	mem_free(b->model_path);
	mem_free(b->model_name);
	mem_free(b->error);
}

struct project_config *project_config_free(struct project_config *pc)
{
	if (!pc)
		return NULL;
	for (size_t i = 0; i < pc->n_bindings; i++)
		binding_release(&pc->bindings[i]);
	mem_free(pc->bindings);
	for (size_t i = 0; i < pc->n_configs; i++) {
		toml_doc_free(pc->config_docs[i]);
		mem_free(pc->config_paths[i]);
	}
	mem_free(pc->config_docs);
	mem_free(pc->config_paths);
	mem_free(pc->package_name);
	mem_free(pc->package_org);
	mem_free(pc->dir);
	mem_free(pc);
	return NULL;
}

char *project_model_path_normalize(const char *path)
{
	size_t n = strlen(path), o = 0;
	char *out = mem_alloc(n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		/* Drop "./" components and repeated slashes. */
		if ((i == 0 || path[i - 1] == '/') && path[i] == '.' &&
		    (path[i + 1] == '/' || path[i + 1] == '\0')) {
			i += path[i + 1] ? 2 : 1;
			continue;
		}
		if (path[i] == '/' && o > 0 && out[o - 1] == '/') {
			i++;
			continue;
		}
		out[o++] = path[i++];
	}
	while (o > 0 && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	return out;
}

/* persist/model.bal → "model"; persist/<m>.bal and persist/<m>/model.bal → <m>. */
static int model_name_from_path(const char *path, char **ret)
{
	const char *rest = startswith(path, "persist/");
	const char *slash;
	size_t n;

	*ret = NULL;
	if (!rest || !endswith(rest, ".bal"))
		return 0;
	slash = strchr(rest, '/');
	if (!slash) {
		n = strlen(rest) - 4;
	} else if (streq(slash, "/model.bal")) {
		n = (size_t)(slash - rest);
	} else {
		return 0;
	}
	if (n == 0)
		return 0;
	*ret = mem_strndup(rest, n);
	return *ret ? 0 : -ENOMEM;
}

_printf_(2, 3) static int binding_fail(struct persist_binding *b, const char *fmt, ...)
{
	char text[PD_ERROR_TEXT_MAX];
	va_list ap;

	if (b->error)
		return 0; /* the first problem is the one reported */
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	b->error = mem_strdup(text);
	return b->error ? 0 : -ENOMEM;
}

static int dup_string(const struct toml_value *v, char **ret)
{
	char *s = mem_strdup(v->u.str.ptr);
	if (!s)
		return -ENOMEM;
	mem_free(*ret);
	*ret = s;
	return 0;
}

/* Upstream reads these with Boolean.parseBoolean on the value's text. */
static bool option_bool(const struct toml_value *v)
{
	if (v->type == TOML_BOOL)
		return v->u.boolean;
	return v->type == TOML_STRING && strcasecmp(v->u.str.ptr, "true") == 0;
}

static int parse_options(struct persist_binding *b, const struct toml_table *opts)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < opts->n_items; i++) {
		const struct toml_keyval *kv = &opts->items[i];
		const struct toml_value *v = &kv->value;

		if (streq(kv->key, "datastore") || streq(kv->key, "testDatastore")) {
			if (v->type != TOML_STRING) {
				r = binding_fail(b, "%u:%u: 'options.%s' must be a string",
						 v->span.line, v->span.column, kv->key);
				continue;
			}
			r = dup_string(v, streq(kv->key, "datastore") ? &b->datastore
								      : &b->test_datastore);
		} else if (streq(kv->key, "eagerLoading")) {
			b->eager_loading = option_bool(v);
		} else if (streq(kv->key, "withInitParams")) {
			b->with_init_params = option_bool(v);
		} else {
			r = binding_fail(b, "%u:%u: unknown option 'options.%s'", kv->key_span.line,
					 kv->key_span.column, kv->key);
		}
	}
	return r;
}

static int parse_binding(struct project_config *pc, const struct toml_table *e,
			 struct persist_binding *b)
{
	const struct toml_value *v;
	int r;

	b->span = e->header;
	v = toml_table_get(e, "id");
	if (v && v->type == TOML_STRING) {
		r = dup_string(v, &b->id);
		if (r < 0)
			return r;
	} else if (v) {
		r = binding_fail(b, "%u:%u: 'id' must be a string", v->span.line, v->span.column);
		if (r < 0)
			return r;
	}
	v = toml_table_get(e, "targetModule");
	if (v && v->type == TOML_STRING)
		r = dup_string(v, &b->target_module);
	else if (v)
		r = binding_fail(b, "%u:%u: 'targetModule' must be a string", v->span.line,
				 v->span.column);
	else if (pc->package_name) {
		b->target_module = mem_strdup(pc->package_name);
		r = b->target_module ? 0 : -ENOMEM;
	} else
		r = 0;
	if (r < 0)
		return r;
	v = toml_table_get(e, "filePath");
	if (v && v->type == TOML_STRING)
		r = dup_string(v, &b->file_path);
	else {
		if (v)
			r = binding_fail(b, "%u:%u: 'filePath' must be a string", v->span.line,
					 v->span.column);
		else
			r = 0;
		if (r >= 0) {
			b->file_path = mem_strdup("persist/model.bal");
			r = b->file_path ? 0 : -ENOMEM;
		}
	}
	if (r < 0)
		return r;
	b->model_path = project_model_path_normalize(b->file_path);
	if (!b->model_path)
		return -ENOMEM;
	r = model_name_from_path(b->model_path, &b->model_name);
	if (r < 0)
		return r;
	v = toml_table_get(e, "options");
	if (v && v->type == TOML_TABLE)
		return parse_options(b, v->u.table);
	if (v)
		return binding_fail(b, "%u:%u: 'options' must be a table", v->span.line,
				    v->span.column);
	return 0;
}

/* Upstream removes every '"' from the package name. */
static char *strip_quotes(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = mem_alloc(n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '"')
			out[o++] = s[i];
	out[o] = '\0';
	return out;
}

static int parse_ballerina_toml(struct project_config *pc, const struct toml_doc *doc)
{
	const struct toml_table *root = doc->root;
	const struct toml_value *v;
	const struct toml_array *entries;
	int r;

	v = toml_get(root, "package.name");
	if (v && v->type == TOML_STRING) {
		pc->package_name = strip_quotes(v->u.str.ptr);
		if (!pc->package_name)
			return -ENOMEM;
	}
	v = toml_get(root, "package.org");
	if (v && v->type == TOML_STRING) {
		pc->package_org = strip_quotes(v->u.str.ptr);
		if (!pc->package_org)
			return -ENOMEM;
	}
	v = toml_table_get(root, "workspace");
	pc->workspace = v && v->type == TOML_TABLE;
	v = toml_table_get(root, "persist");
	pc->legacy_persist = v && v->type == TOML_TABLE && v->u.table->kind == TOML_TABLE_HEADER;

	entries = toml_get_array(root, "tool.persist");
	if (!entries || !entries->of_tables || entries->n_items == 0)
		return 0;
	pc->bindings = new0(struct persist_binding, entries->n_items);
	if (!pc->bindings)
		return -ENOMEM;
	for (size_t i = 0; i < entries->n_items; i++) {
		pc->n_bindings++;
		r = parse_binding(pc, entries->items[i].u.table, &pc->bindings[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int project_config_parse(const char *text, size_t len, const char *file,
			 struct project_config **ret, struct pd_error *reterr)
{
	_cleanup_(project_config_freep) struct project_config *pc = NULL;
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	int r;

	r = toml_parse(text, len, file, &doc, reterr);
	if (r < 0)
		return r;
	pc = new0(struct project_config, 1);
	if (!pc)
		return -ENOMEM;
	r = parse_ballerina_toml(pc, doc);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(pc);
	return 0;
}

static int add_config_file(struct project_config *pc, const char *path, struct pd_error *reterr)
{
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	_cleanup_free_ char *copy = NULL;
	size_t alloc;
	int r;

	r = toml_parse_file(path, PROJECT_CONFIG_MAX_BYTES, &doc, reterr);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	copy = mem_strdup(path);
	if (!copy)
		return -ENOMEM;
	alloc = pc->n_configs;
	r = GROW(pc->config_docs, alloc, pc->n_configs + 1);
	if (r < 0)
		return r;
	alloc = pc->n_configs;
	r = GROW(pc->config_paths, alloc, pc->n_configs + 1);
	if (r < 0)
		return r;
	pc->config_docs[pc->n_configs] = TAKE_PTR(doc);
	pc->config_paths[pc->n_configs] = TAKE_PTR(copy);
	pc->n_configs++;
	return 0;
}

static int join_path(const char *dir, const char *name, size_t name_len, char **ret)
{
	_cleanup_buf_ struct buf b = BUF_INIT(PATH_MAX_BYTES);
	int r;

	if (name_len > 0 && name[0] == '/')
		r = buf_add(&b, name, name_len);
	else
		r = buf_addf(&b, "%s/%.*s", dir, (int)name_len, name);
	if (r < 0)
		return r;
	*ret = buf_detach(&b, NULL);
	return *ret ? 0 : -ENOMEM;
}

int project_config_load(const char *dir, const char *bal_config_files, struct project_config **ret,
			struct pd_error *reterr)
{
	_cleanup_(project_config_freep) struct project_config *pc = NULL;
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	r = join_path(dir, "Ballerina.toml", strlen("Ballerina.toml"), &path);
	if (r < 0)
		return r;
	r = toml_parse_file(path, PROJECT_CONFIG_MAX_BYTES, &doc, reterr);
	if (r < 0)
		return r;
	pc = new0(struct project_config, 1);
	if (!pc)
		return -ENOMEM;
	pc->dir = mem_strdup(dir);
	if (!pc->dir)
		return -ENOMEM;
	r = parse_ballerina_toml(pc, doc);
	if (r < 0)
		return r;

	if (bal_config_files) {
		for (const char *p = bal_config_files; *p;) {
			const char *end = strchrnul(p, ':');
			_cleanup_free_ char *file = NULL;

			if (end > p) {
				r = join_path(dir, p, (size_t)(end - p), &file);
				if (r < 0)
					return r;
				r = add_config_file(pc, file, reterr);
				if (r < 0)
					return r;
			}
			p = *end ? end + 1 : end;
		}
	} else {
		_cleanup_free_ char *file = NULL;
		r = join_path(dir, "Config.toml", strlen("Config.toml"), &file);
		if (r < 0)
			return r;
		r = add_config_file(pc, file, reterr);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(pc);
	return 0;
}

const struct persist_binding *project_config_binding_for_path(const struct project_config *pc,
							      const char *model_path)
{
	_cleanup_free_ char *norm = project_model_path_normalize(model_path);

	if (!norm)
		return NULL;
	for (size_t i = 0; i < pc->n_bindings; i++)
		if (streq(pc->bindings[i].model_path, norm))
			return &pc->bindings[i];
	return NULL;
}

const struct persist_binding *project_config_binding_for_model(const struct project_config *pc,
							       const char *name)
{
	for (size_t i = 0; i < pc->n_bindings; i++)
		if (streq_ptr(pc->bindings[i].model_name, name))
			return &pc->bindings[i];
	return NULL;
}

void connection_settings_release(struct connection_settings *cs)
{
	mem_free(cs->section);
	mem_free(cs->host);
	mem_free(cs->user);
	mem_free(cs->password);
	mem_free(cs->database);
	mem_free(cs->default_schema);
	mem_free(cs->url);
	mem_free(cs->connection);
	mem_free(cs->spreadsheet_id);
	mem_free(cs->client_id);
	mem_free(cs->client_secret);
	mem_free(cs->refresh_token);
	*cs = (struct connection_settings){ 0 };
}

static int wrong_type(const char *file, const struct toml_value *v, const char *section,
		      const char *key, const char *want, struct pd_error *reterr)
{
	pd_error_set(reterr, file, v->span.line, v->span.column, v->span.offset,
		     "'%s.%s' must be %s, not %s", section, key, want, toml_type_name(v->type));
	return -EBADMSG;
}

static int take_string(const struct toml_table *t, const char *key, const char *file,
		       const char *section, char **dst, struct pd_error *reterr)
{
	const struct toml_value *v = t ? toml_table_get(t, key) : NULL;

	if (!v)
		return 0;
	if (v->type != TOML_STRING)
		return wrong_type(file, v, section, key, "a string", reterr);
	return dup_string(v, dst);
}

static int take_int(const struct toml_table *t, const char *key, const char *file,
		    const char *section, int64_t *dst, bool *has, struct pd_error *reterr)
{
	const struct toml_value *v = t ? toml_table_get(t, key) : NULL;

	if (!v)
		return 0;
	if (v->type != TOML_INTEGER)
		return wrong_type(file, v, section, key, "an integer", reterr);
	*dst = v->u.integer;
	if (has)
		*has = true;
	return 0;
}

static const struct toml_table *find_section(const struct project_config *pc,
					     const struct toml_table *root, const char *module,
					     char *name, size_t size)
{
	const struct toml_table *t;

	(void)snprintf(name, size, "%s", module);
	t = toml_get_table(root, module);
	if (t)
		return t;
	if (pc->package_org) {
		(void)snprintf(name, size, "%s.%s", pc->package_org, module);
		t = toml_get_table(root, name);
		if (t)
			return t;
	}
	/* Ballerina lets the root module's values sit at the top level. */
	if (pc->package_name && streq(module, pc->package_name)) {
		(void)snprintf(name, size, "%s", module);
		return root;
	}
	return NULL;
}

static int merge_section(const struct toml_table *t, const char *file, const char *sec,
			 struct connection_settings *cs, struct pd_error *reterr)
{
	const struct toml_value *cc = toml_table_get(t, "connectionConfig");
	const struct toml_table *cache = toml_get_table(t, "cacheConfig");
	bool has_port = false;
	int r = 0;

	r = take_string(t, "host", file, sec, &cs->host, reterr);
	if (r >= 0)
		r = take_int(t, "port", file, sec, &cs->port, &has_port, reterr);
	if (r >= 0)
		r = take_string(t, "user", file, sec, &cs->user, reterr);
	if (r >= 0)
		r = take_string(t, "password", file, sec, &cs->password, reterr);
	if (r >= 0)
		r = take_string(t, "database", file, sec, &cs->database, reterr);
	if (r >= 0)
		r = take_string(t, "defaultSchema", file, sec, &cs->default_schema, reterr);
	if (r >= 0)
		r = take_string(t, "url", file, sec, &cs->url, reterr);
	if (r >= 0)
		r = take_string(t, "spreadsheetId", file, sec, &cs->spreadsheet_id, reterr);
	if (r >= 0)
		r = take_string(t, "clientId", file, sec, &cs->client_id, reterr);
	if (r >= 0)
		r = take_string(t, "clientSecret", file, sec, &cs->client_secret, reterr);
	if (r >= 0)
		r = take_string(t, "refreshToken", file, sec, &cs->refresh_token, reterr);
	if (r >= 0 && cc && cc->type == TOML_STRING)
		r = dup_string(cc, &cs->connection);
	else if (r >= 0 && cc && cc->type == TOML_TABLE) {
		/* The redis client also takes a record: {host, port, password, ...}. */
		r = take_string(cc->u.table, "connection", file, sec, &cs->connection, reterr);
		if (r >= 0)
			r = take_string(cc->u.table, "host", file, sec, &cs->host, reterr);
		if (r >= 0)
			r = take_int(cc->u.table, "port", file, sec, &cs->port, NULL, reterr);
		if (r >= 0)
			r = take_string(cc->u.table, "password", file, sec, &cs->password, reterr);
	} else if (r >= 0 && cc)
		r = wrong_type(file, cc, sec, "connectionConfig", "a string or a table", reterr);
	if (r >= 0)
		r = take_int(cache, "maxAge", file, sec, &cs->max_age, &cs->has_max_age, reterr);
	return r;
}

int project_config_connection(const struct project_config *pc, const char *target_module,
			      struct connection_settings *ret, struct pd_error *reterr)
{
	struct connection_settings cs = { 0 };
	char name[512];
	int r;

	for (size_t i = 0; i < pc->n_configs; i++) {
		const struct toml_table *t = find_section(pc, pc->config_docs[i]->root,
							  target_module, name, sizeof(name));
		if (!t)
			continue;
		r = merge_section(t, pc->config_paths[i], name, &cs, reterr);
		if (r < 0) {
			connection_settings_release(&cs);
			return r;
		}
		if (!cs.section || !streq(cs.section, name)) {
			char *s = mem_strdup(name);
			if (!s) {
				connection_settings_release(&cs);
				return -ENOMEM;
			}
			mem_free(cs.section);
			cs.section = s;
		}
	}
	*ret = cs;
	return 0;
}
