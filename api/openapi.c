#include "config.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/openapi.h"
#include "api/registry.h"
#include "api/router.h"
#include "base/buf.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/model-set.h"
#include "models/naming.h"

/* The JSON schema of one stored field, in API.md's encodings. */
static json_t *field_schema(const struct field *f)
{
	const struct field_type *t = &f->type;
	json_t *s;

	switch (t->kind) {
	case FIELD_TYPE_INT:
		s = json_pack("{s:s, s:s}", "type", "integer", "format", "int64");
		break;
	case FIELD_TYPE_FLOAT:
		s = json_pack("{s:s, s:s}", "type", "number", "format", "double");
		break;
	case FIELD_TYPE_DECIMAL:
		/* Exact as a string; numbers are accepted on input. */
		s = json_pack("{s:[s,s], s:s}", "type", "string", "number", "description",
			      "decimal, exact as a string");
		break;
	case FIELD_TYPE_BOOLEAN:
		s = json_pack("{s:s}", "type", "boolean");
		break;
	case FIELD_TYPE_STRING:
		s = json_pack("{s:s}", "type", "string");
		if (s && f->varchar_length)
			json_object_set_new(s, "description",
					    json_sprintf("VARCHAR(%s)", f->varchar_length));
		break;
	case FIELD_TYPE_BYTE:
		s = json_pack("{s:s, s:s}", "type", "string", "contentEncoding", "base64");
		break;
	case FIELD_TYPE_ENUM: {
		json_t *vals = json_array();
		for (size_t i = 0; vals && t->enum_type && i < t->enum_type->n_members; i++)
			json_array_append_new(vals, json_string(t->enum_type->members[i].value));
		s = json_pack("{s:s, s:o*}", "type", "string", "enum", vals);
		break;
	}
	case FIELD_TYPE_TIME:
		if (streq(t->name, "Date"))
			s = json_pack("{s:s, s:s}", "type", "string", "format", "date");
		else if (streq(t->name, "Utc"))
			s = json_pack("{s:s, s:s}", "type", "string", "format", "date-time");
		else if (streq(t->name, "TimeOfDay"))
			s = json_pack("{s:s, s:s}", "type", "string", "pattern",
				      "^\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?$");
		else
			s = json_pack("{s:s, s:s}", "type", "string", "pattern",
				      "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?$");
		break;
	default:
		s = json_object();
		break;
	}
	if (s && t->nillable) {
		json_t *any = json_pack("{s:[o,{s:s}]}", "anyOf", s, "type", "null");
		return any;
	}
	return s;
}

/* "Record" (every stored field), "Insert" (what POST takes), "Update" (what PATCH takes). */
static json_t *record_schema(const struct entity *e, int kind)
{
	json_t *props = json_object(), *req = json_array();

	for (size_t i = 0; props && req && i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		if (f->type.kind == FIELD_TYPE_ENTITY)
			continue; /* relations come with include=, never in a body */
		if (kind == 1 && f->generated)
			continue;
		if (kind == 2 && f->readonly)
			continue;
		json_object_set_new(props, f->bare_name, field_schema(f));
		if (kind != 2 && !f->optional)
			json_array_append_new(req, json_string(f->bare_name));
	}
	return json_pack("{s:s, s:o*, s:o*, s:b}", "type", "object", "properties", props,
			 "required", req, "additionalProperties", 0);
}

static json_t *problem_ref(const char *description)
{
	return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", description, "content",
			 "application/problem+json", "schema", "$ref",
			 "#/components/schemas/Problem");
}

static int add_model_paths(json_t *paths, json_t *schemas, const struct model_state *m)
{
	const struct model_file *mf = m->mf;

	for (size_t i = 0; mf && i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		_cleanup_buf_ struct buf res = BUF_INIT(1024), key_path = BUF_INIT(4096);
		char base[512], name[512], ref[600], ins[600], upd[600];
		json_t *params = json_array(), *list_ops, *item_ops;

		if (e->unsupported || naming_resource_name(e->name, &res) < 0)
			continue;
		(void)snprintf(base, sizeof(base), "/models/%s/data/%s", m->entry.name,
			       bare_identifier(res.buf));
		(void)snprintf(name, sizeof(name), "%s.%s", m->entry.name, e->bare_name);
		(void)snprintf(ref, sizeof(ref), "#/components/schemas/%s", name);
		(void)snprintf(ins, sizeof(ins), "#/components/schemas/%s.Insert", name);
		(void)snprintf(upd, sizeof(upd), "#/components/schemas/%s.Update", name);
		json_object_set_new(schemas, name, record_schema(e, 0));
		{
			char n2[540];
			(void)snprintf(n2, sizeof(n2), "%s.Insert", name);
			json_object_set_new(schemas, n2, record_schema(e, 1));
			(void)snprintf(n2, sizeof(n2), "%s.Update", name);
			json_object_set_new(schemas, n2, record_schema(e, 2));
		}

		list_ops = json_pack(
			"{s:{s:s, s:s, s:{s:{s:s, s:{s:{s:{s:s, s:{s:s}}}}}}}, "
			"s:{s:s, s:s, s:{s:{s:{s:{s:[{s:s},{s:s, s:{s:s}}]}}}}, "
			"s:{s:{s:s}, s:o, s:o}}}",
			"get", "summary", "List records", "description",
			"fields=a,b,rel.c, include=rel, field=op.value filters (eq neq gt gte lt lte "
			"like in.(a,b) is.null), order=f.asc, limit, offset",
			"responses", "200", "description", "the records", "content",
			"application/json", "schema", "type", "array", "items", "$ref", ref, "post",
			"summary", "Insert one record or an array of records (all or nothing)",
			"x-persist", "insert", "requestBody", "content", "application/json",
			"schema", "oneOf", "$ref", ins, "type", "array", "items", "$ref", ins,
			"responses", "201", "description", "the keys", "409",
			problem_ref("already exists"), "422",
			problem_ref("constraint violation or a value of the wrong type"));
		json_object_set_new(paths, base, list_ops);

		for (size_t k = 0; k < e->n_keys; k++) {
			const struct field *kf = e->keys[k];
			if (buf_addf(&key_path, "/{%s}", kf->bare_name) < 0)
				break;
			json_array_append_new(params,
					      json_pack("{s:s, s:s, s:b, s:o}", "name",
							kf->bare_name, "in", "path", "required", 1,
							"schema", field_schema(kf)));
		}
		if (e->n_keys == 0) {
			json_decref(params);
			continue;
		}
		item_ops = json_pack(
			"{s:o, s:{s:s, s:{s:{s:s, s:{s:{s:{s:s}}}}, s:o}}, "
			"s:{s:s, s:{s:{s:{s:{s:s}}}}, s:{s:{s:s}, s:o}}, "
			"s:{s:s, s:{s:{s:s}, s:o}}}",
			"parameters", params, "get", "summary", "One record by key", "responses",
			"200", "description", "the record", "content", "application/json", "schema",
			"$ref", ref, "404", problem_ref("not found"), "patch", "summary",
			"Update some fields", "requestBody", "content", "application/json",
			"schema", "$ref", upd, "responses", "200", "description",
			"the updated record", "404", problem_ref("not found"), "delete", "summary",
			"Delete, returning the record", "responses", "200", "description",
			"the deleted record", "404", problem_ref("not found"));
		if (item_ops && json_object_get(item_ops, "patch"))
			json_object_set(item_ops, "put", json_object_get(item_ops, "patch"));
		{
			char item[4700];
			(void)snprintf(item, sizeof(item), "%s%s", base, key_path.buf);
			json_object_set_new(paths, item, item_ops);
		}
	}
	return 0;
}

/* The management routes, straight from the router's table. */
static void add_static_paths(json_t *paths)
{
	unsigned n;
	const struct route *r = router_routes(&n);

	for (unsigned i = 0; i < n; i++) {
		json_t *item = json_object_get(paths, r[i].pattern);
		char method[16];
		size_t k;

		/* the data routes are described per model, with their record schemas */
		if (strstr(r[i].pattern, "/data/"))
			continue;
		if (!item) {
			item = json_object();
			json_object_set_new(paths, r[i].pattern, item);
			if (item && strstr(r[i].pattern, "{m}"))
				json_object_set_new(
					item, "parameters",
					json_pack("[{s:s, s:s, s:b, s:{s:s, s:s}}]", "name", "m",
						  "in", "path", "required", 1, "schema", "type",
						  "string", "pattern", "^[A-Za-z][A-Za-z0-9_]*$"));
		}
		for (k = 0; r[i].method[k] && k + 1 < sizeof(method); k++)
			method[k] = (char)(r[i].method[k] | 0x20); /* lower case */
		method[k] = '\0';
		json_object_set_new(item, method,
				    json_pack("{s:{s:{s:s}, s:o}}", "responses", "200",
					      "description", "success", "default",
					      problem_ref("an error, as RFC 9457 problem+json")));
	}
}

json_t *openapi_document(const struct snapshot *snap)
{
	json_t *doc, *paths = json_object(), *schemas;

	schemas = json_pack(
		"{s:{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}}",
		"Problem", "type", "object", "properties", "type", "type", "string", "title",
		"type", "string", "status", "type", "integer", "detail", "type", "string",
		"instance", "type", "string", "code", "type", "string", "diagnostics", "type",
		"array");
	if (!paths || !schemas)
		goto oom;
	add_static_paths(paths);
	for (size_t i = 0; snap && i < snap->models->n; i++) {
		const struct model_state *m = snap->models->models[i];
		if (m->status == MODEL_VALID)
			add_model_paths(paths, schemas, m);
	}
	doc = json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:o}}", "openapi", "3.1.0", "info",
			"title", "persistd", "version", PACKAGE_VERSION, "description",
			"Models of a Ballerina persist project and their data", "paths", paths,
			"components", "schemas", schemas);
	return doc;
oom:
	json_decref(paths);
	json_decref(schemas);
	return NULL;
}
