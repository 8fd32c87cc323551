#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/model-json.h"
#include "api/registry.h"
#include "base/buf.h"
#include "models/ast.h"
#include "models/diagnostic.h"
#include "models/model-set.h"
#include "models/naming.h"
#include "models/project-config.h"

json_t *timestamp_json(unsigned long long usec)
{
	time_t t = (time_t)(usec / 1000000ULL);
	struct tm tm;
	char buf[64];

	if (!gmtime_r(&t, &tm))
		return json_null();
	(void)snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		       (unsigned)((usec / 1000ULL) % 1000ULL));
	return json_string(buf);
}

json_t *diagnostics_json(const struct diag_list *d)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < d->n; i++) {
		const struct diagnostic *x = &d->items[i];
		json_t *o = json_pack("{s:s, s:s, s:s?}", "code", x->code, "severity",
				      diag_severity_to_string(x->severity), "message", x->message);
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
		if (d->file)
			json_object_set_new(o, "file", json_string(d->file));
		if (x->line) {
			json_object_set_new(o, "line", json_integer(x->line));
			json_object_set_new(o, "column", json_integer(x->column));
		}
	}
	return a;
}

static const struct persist_binding *binding_of(const struct snapshot *snap,
						const struct model_state *m)
{
	if (!snap->project->config)
		return NULL;
	return project_config_binding_for_path(snap->project->config, m->entry.path);
}

json_t *model_summary_json(const struct snapshot *snap, const struct model_state *m,
			   unsigned long long generated_at)
{
	const struct persist_binding *b = binding_of(snap, m);
	const struct model_state *serving = model_state_serving(m);
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:I, s:I, s:o, s:o}", "name",
		      m->entry.name, "file", m->entry.path, "layout",
		      m->entry.layout == MODEL_LAYOUT_FILE ? "file" : "directory", "status",
		      model_status_to_string(m->status), "datastore", b ? b->datastore : NULL,
		      "targetModule", b ? b->target_module : NULL, "entities",
		      (json_int_t)(m->mf ? m->mf->n_entities : 0), "errors",
		      (json_int_t)m->diags.n_errors, "warnings", (json_int_t)m->diags.n_warnings,
		      "updatedAt", timestamp_json(m->updated_at), "generatedAt",
		      generated_at ? timestamp_json(generated_at) : json_null());
	if (o && serving && serving != m)
		json_object_set_new(o, "serving", json_string("last valid version"));
	return o;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *field_json(const struct field *f)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:b, s:b}", "name", f->bare_name, "type",
			      f->type.text, "readonly", f->readonly, "nillable", f->type.nillable,
			      "optional", f->optional, "array", f->type.array);

	if (!o)
		return NULL;
	if (f->type.kind == FIELD_TYPE_ENTITY) {
		json_object_set_new(o, "relation", json_string(f->type.name));
	} else {
		json_object_set_new(o, "column", json_string(field_column_name(f)));
		if (f->generated)
			json_object_set_new(o, "generated", json_true());
	}
	return o;
}

static json_t *relation_json(const struct relation *r)
{
	static const char *const kinds[] = { "one-to-one", "one-to-many", "many-to-many" };
	json_t *keys = json_array();
	json_t *o;

	for (size_t i = 0; keys && i < r->n_keys; i++)
		json_array_append_new(keys,
				      json_pack("{s:s, s:s, s:s}", "field", r->keys[i].fk_name,
						"column", r->keys[i].fk_column, "references",
						r->keys[i].ref_key->bare_name));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o*}", "kind", kinds[r->kind], "owner",
		      r->owner->bare_name, "ownerField",
		      r->owner_field ? r->owner_field->bare_name : "", "references",
		      r->ref->bare_name, "referenceField",
		      r->ref_field ? r->ref_field->bare_name : "", "keys", keys);
	return o;
}

static json_t *entity_json(const struct entity *e)
{
	_cleanup_buf_ struct buf res = BUF_INIT(1024);
	json_t *fields = json_array(), *keys = json_array(), *rels = json_array();
	json_t *o;

	if (naming_resource_name(e->name, &res) < 0)
		res.len = 0;
	for (size_t i = 0; fields && i < e->n_fields; i++)
		json_array_append_new(fields, field_json(e->fields[i]));
	for (size_t i = 0; keys && i < e->n_keys; i++)
		json_array_append_new(keys, json_string(e->keys[i]->bare_name));
	for (size_t i = 0; rels && i < e->n_relations; i++)
		json_array_append_new(rels, relation_json(e->relations[i]));
	o = json_pack("{s:s, s:s, s:o, s:o*, s:o*, s:o*}", "name", e->bare_name, "table",
		      entity_table_name(e), "resource",
		      res.len ? json_string(res.buf) : json_null(), "fields", fields, "keys", keys,
		      "relations", rels);
	if (o && e->schema)
		json_object_set_new(o, "schema", json_string(e->schema));
	return o;
}

static json_t *enum_json(const struct enum_type *t)
{
	json_t *members = json_array();

	for (size_t i = 0; members && i < t->n_members; i++)
		json_array_append_new(members, json_pack("{s:s, s:s}", "name", t->members[i].name,
							 "value", t->members[i].value));
	return json_pack("{s:s, s:o*}", "name", t->bare_name, "members", members);
}

static json_t *binding_json(const struct persist_binding *b)
{
	json_t *o;

	if (!b)
		return json_null();
	o = json_pack("{s:o, s:o, s:o, s:o, s:b, s:b, s:s}", "id", str_or_null(b->id),
		      "targetModule", str_or_null(b->target_module), "datastore",
		      str_or_null(b->datastore), "testDatastore", str_or_null(b->test_datastore),
		      "eagerLoading", b->eager_loading, "withInitParams", b->with_init_params,
		      "filePath", b->file_path ? b->file_path : "");
	if (o && b->error)
		json_object_set_new(o, "error", json_string(b->error));
	return o;
}

/* Connection settings as the model's generated client reads them; secrets are never shown. */
static json_t *connection_json(const struct snapshot *snap, const struct persist_binding *b)
{
	struct connection_settings cs = { 0 };
	struct pd_error e;
	json_t *o;

	if (!b || !snap->project->config)
		return json_null();
	if (project_config_connection(snap->project->config, b->target_module, &cs, &e) < 0)
		return json_pack("{s:s}", "error", e.text);
	o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "section", str_or_null(cs.section),
		      "host", str_or_null(cs.host), "port",
		      cs.port ? json_integer(cs.port) : json_null(), "user", str_or_null(cs.user),
		      "database", str_or_null(cs.database), "defaultSchema",
		      str_or_null(cs.default_schema), "passwordSet", cs.password != NULL);
	if (o && cs.connection)
		/* A redis URL may carry a password: say only that there is one. */
		json_object_set_new(o, "connectionSet", json_true());
	if (o && cs.spreadsheet_id)
		json_object_set_new(o, "spreadsheetId", json_string(cs.spreadsheet_id));
	if (o && cs.has_max_age)
		json_object_set_new(o, "maxAge", json_integer(cs.max_age));
	connection_settings_release(&cs);
	return o;
}

json_t *model_detail_json(const struct snapshot *snap, const struct model_state *m,
			  unsigned long long generated_at)
{
	const struct persist_binding *b = binding_of(snap, m);
	const struct model_file *mf = m->mf;
	json_t *o = model_summary_json(snap, m, generated_at);
	json_t *entities = json_array(), *enums = json_array();

	if (!o || !entities || !enums)
		goto oom;
	for (size_t i = 0; mf && i < mf->n_entities; i++)
		if (json_array_append_new(entities, entity_json(mf->entities[i])) < 0)
			goto oom;
	for (size_t i = 0; mf && i < mf->n_enums; i++)
		if (json_array_append_new(enums, enum_json(mf->enums[i])) < 0)
			goto oom;
	json_object_set_new(o, "entities", entities);
	json_object_set_new(o, "entityCount", json_integer((json_int_t)(mf ? mf->n_entities : 0)));
	json_object_set_new(o, "enums", enums);
	json_object_set_new(o, "diagnostics", diagnostics_json(&m->diags));
	json_object_set_new(o, "binding", binding_json(b));
	json_object_set_new(o, "connection", connection_json(snap, b));
	return o;
oom:
	json_decref(o);
	json_decref(entities);
	json_decref(enums);
	return NULL;
}
