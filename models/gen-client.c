#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/strutil.h"
#include "models/gen-client.h"
#include "models/naming.h"

/* ---- writing ----------------------------------------------------------------------------- */

void gc_fail(struct gen_client *g, int r)
{
	if (r < 0 && g->r >= 0)
		g->r = r;
}

void gc_printf(struct gen_client *g, const char *fmt, ...)
{
	va_list ap;

	if (g->r < 0)
		return;
	va_start(ap, fmt);
	gc_fail(g, buf_vaddf(g->out, fmt, ap));
	va_end(ap);
}

void gc_line(struct gen_client *g, unsigned indent, const char *fmt, ...)
{
	va_list ap;

	if (g->r < 0)
		return;
	gc_fail(g, buf_addch(g->out, ' ', 4 * (size_t)indent));
	if (g->r < 0)
		return;
	va_start(ap, fmt);
	gc_fail(g, buf_vaddf(g->out, fmt, ap));
	va_end(ap);
	if (g->r >= 0)
		gc_fail(g, buf_addc(g->out, '\n'));
}

void gc_blank(struct gen_client *g)
{
	if (g->r >= 0)
		gc_fail(g, buf_addc(g->out, '\n'));
}

static const char *gc_keep(struct gen_client *g, struct buf *b)
{
	char *s;

	if (g->r < 0)
		return "";
	s = arena_strndup(&g->arena, b->buf, b->len);
	if (!s) {
		gc_fail(g, -ENOMEM);
		return "";
	}
	return s;
}

static const char *gc_vstrf(struct gen_client *g, const char *fmt, va_list ap)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);

	if (g->r < 0)
		return "";
	gc_fail(g, buf_vaddf(&b, fmt, ap));
	return gc_keep(g, &b);
}

const char *gc_strf(struct gen_client *g, const char *fmt, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, fmt);
	s = gc_vstrf(g, fmt, ap);
	va_end(ap);
	return s;
}

void gc_list_addf(struct gen_client *g, struct gc_list *l, const char *fmt, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, fmt);
	s = gc_vstrf(g, fmt, ap);
	va_end(ap);
	if (g->r < 0)
		return;
	if (ARENA_GROW(&g->arena, l->v, l->n, l->cap) < 0) {
		gc_fail(g, -ENOMEM);
		return;
	}
	l->v[l->n++] = s;
}

const char *gc_block(struct gen_client *g, unsigned indent, const char *head,
		     const struct gc_list *l, bool inline_one, char open, char close)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	int r;

	if (g->r < 0)
		return "";
	if (l->n == 0 || (l->n == 1 && inline_one)) {
		r = buf_addf(&b, "%s%c%s%c", head, open, l->n ? l->v[0] : "", close);
		gc_fail(g, r);
		return gc_keep(g, &b);
	}
	r = buf_addf(&b, "%s%c\n", head, open);
	for (size_t i = 0; r >= 0 && i < l->n; i++) {
		r = buf_addch(&b, ' ', 4 * (size_t)(indent + 1));
		if (r >= 0)
			r = buf_addf(&b, "%s%s\n", l->v[i], i + 1 < l->n ? "," : "");
	}
	if (r >= 0)
		r = buf_addch(&b, ' ', 4 * (size_t)indent);
	if (r >= 0)
		r = buf_addc(&b, close);
	gc_fail(g, r);
	return gc_keep(g, &b);
}

/* ---- names ------------------------------------------------------------------------------- */

const char *gc_name(struct gen_client *g, const char *name)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);

	if (g->r < 0)
		return "";
	gc_fail(g, gen_add_field_name(&b, name));
	return gc_keep(g, &b);
}

const char *gc_field_name(struct gen_client *g, const struct field *f)
{
	return gc_name(g, f->name);
}

const char *gc_raw_column(const struct field *f)
{
	return f->column_name ? f->column_name : f->name;
}

const char *gc_raw_table(const struct entity *e)
{
	return e->table_name ? e->table_name : e->name;
}

const struct client_entity *gc_entity(const struct gen_client *g, const struct entity *e)
{
	for (size_t i = 0; i < g->n_ents; i++)
		if (g->ents[i].e == e)
			return &g->ents[i];
	return NULL;
}

bool gc_is_relation(const struct field *f)
{
	return f->type.kind == FIELD_TYPE_ENTITY && f->relation &&
	       f->relation->kind != RELATION_MANY_TO_MANY;
}

bool gc_is_moved_fk(const struct field *f)
{
	return f->fk_of != NULL;
}

const struct field *gc_other_side(const struct field *f)
{
	const struct relation *rel = f->relation;

	return rel->owner_field == f ? rel->ref_field : rel->owner_field;
}

size_t gc_columns(struct gen_client *g, const struct entity *e, const struct gc_column **ret)
{
	struct gc_column *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < e->n_fields && g->r >= 0; i++) {
		const struct field *f = e->fields[i];
		if (gc_is_moved_fk(f))
			continue;
		if (!gc_is_relation(f)) {
			if (f->type.kind == FIELD_TYPE_ENTITY)
				continue;
			if (ARENA_GROW(&g->arena, v, n, cap) < 0)
				gc_fail(g, -ENOMEM);
			else
				v[n++] = (struct gc_column){ .name = f->name,
							     .raw_column = gc_raw_column(f),
							     .type = &f->type,
							     .field = f };
			continue;
		}
		if (!f->relation_owner)
			continue;
		for (size_t j = 0; j < f->relation->n_keys && g->r >= 0; j++) {
			const struct relation_key *k = &f->relation->keys[j];
			if (ARENA_GROW(&g->arena, v, n, cap) < 0)
				gc_fail(g, -ENOMEM);
			else
				v[n++] = (struct gc_column){ .name = k->fk_name,
							     .raw_column = k->fk_column,
							     .type = &k->ref_key->type,
							     .fk = k };
		}
	}
	if (g->r < 0)
		return 0;
	*ret = v;
	return n;
}

bool gc_column_renamed(struct gen_client *g, const struct gc_column *c)
{
	return !streq(c->raw_column, c->field ? gc_field_name(g, c->field) : c->name);
}

const char *gc_key_arg(struct gen_client *g, const struct entity *e)
{
	struct gc_list l = { 0 };

	if (e->n_keys == 1)
		return gc_field_name(g, e->keys[0]);
	for (size_t i = 0; i < e->n_keys; i++) {
		const char *k = gc_field_name(g, e->keys[i]);
		gc_list_addf(g, &l, "\"%s\": %s", e->keys[i]->bare_name, k);
	}
	return gc_strf(g, "{%s}", gc_join(g, &l, ", "));
}

const char *gc_join(struct gen_client *g, const struct gc_list *l, const char *sep)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	int r = 0;

	if (g->r < 0)
		return "";
	for (size_t i = 0; r >= 0 && i < l->n; i++)
		r = buf_addf(&b, "%s%s", i ? sep : "", l->v[i]);
	gc_fail(g, r);
	return gc_keep(g, &b);
}

const char *gc_key_path(struct gen_client *g, const struct entity *e)
{
	struct gc_list l = { 0 };

	for (size_t i = 0; i < e->n_keys; i++)
		gc_list_addf(g, &l, "/[%s]", gc_field_name(g, e->keys[i]));
	return gc_join(g, &l, "");
}

const char *gc_key_type(struct gen_client *g, const struct entity *e)
{
	struct gc_list l = { 0 };

	if (e->n_keys == 1)
		return e->keys[0]->type.text;
	for (size_t i = 0; i < e->n_keys; i++)
		gc_list_addf(g, &l, "%s", e->keys[i]->type.text);
	return gc_strf(g, "[%s]", gc_join(g, &l, ", "));
}

const char *gc_key_tuple(struct gen_client *g, const struct entity *e, const char *prefix)
{
	struct gc_list l = { 0 };

	for (size_t i = 0; i < e->n_keys; i++)
		gc_list_addf(g, &l, "%s%s", prefix, gc_field_name(g, e->keys[i]));
	if (e->n_keys == 1)
		return l.n ? l.v[0] : "";
	return gc_strf(g, "[%s]", gc_join(g, &l, ", "));
}

const char *gc_key_names(struct gen_client *g, const struct entity *e)
{
	struct gc_list l = { 0 };

	for (size_t i = 0; i < e->n_keys; i++)
		gc_list_addf(g, &l, "\"%s\"", e->keys[i]->bare_name);
	return gc_strf(g, "[%s]", gc_join(g, &l, ", "));
}

const char *gc_key_fields(struct gen_client *g, const struct entity *e)
{
	return gc_strf(g, "keyFields: %s", gc_key_names(g, e));
}

/* ---- shared bodies ----------------------------------------------------------------------- */

void gc_client_lock(struct gen_client *g, const struct client_entity *ce, const char *type,
		    const char *var)
{
	gc_line(g, 2, "%s %s;", type, var);
	gc_line(g, 2, "lock {");
	gc_line(g, 3, "%s = self.persistClients.get(%s);", var, ce->const_name);
	gc_line(g, 2, "}");
}

void gc_remote_post(struct gen_client *g, const struct client_entity *ce, const char *type,
		    const char *var, bool generated_keys)
{
	gc_client_lock(g, ce, type, var);
	if (generated_keys) {
		const struct field *k = NULL;
		for (size_t i = 0; !k && i < ce->e->n_keys; i++)
			if (ce->e->keys[i]->generated)
				k = ce->e->keys[i];
		gc_line(g, 2, "sql:ExecutionResult[] result = check %s.runBatchInsertQuery(data);",
			var);
		gc_line(g, 2, "return from sql:ExecutionResult inserted in result");
		gc_line(g, 3, "where inserted.lastInsertId != ()");
		gc_line(g, 3, "select <%s>inserted.lastInsertId;", k ? k->type.text : "int");
		return;
	}
	gc_line(g, 2, "_ = check %s.runBatchInsertQuery(data);", var);
	gc_line(g, 2, "return from %sInsert inserted in data", ce->e->name);
	gc_line(g, 3, "select %s;", gc_key_tuple(g, ce->e, "inserted."));
}

void gc_remote_put(struct gen_client *g, const struct client_entity *ce, const char *type,
		   const char *var)
{
	gc_client_lock(g, ce, type, var);
	gc_line(g, 2, "_ = check %s.runUpdateQuery(%s, value);", var, gc_key_arg(g, ce->e));
	gc_line(g, 2, "return self->/%s%s.get();", ce->res, gc_key_path(g, ce->e));
}

void gc_remote_delete(struct gen_client *g, const struct client_entity *ce, const char *type,
		      const char *var)
{
	gc_line(g, 2, "%s result = check self->/%s%s.get();", ce->e->name, ce->res,
		gc_key_path(g, ce->e));
	gc_client_lock(g, ce, type, var);
	gc_line(g, 2, "_ = check %s.runDeleteQuery(%s);", var, gc_key_arg(g, ce->e));
	gc_line(g, 2, "return result;");
}

void gc_persist_clients(struct gen_client *g,
			const char *(*args)(struct gen_client *g, const struct client_entity *ce))
{
	struct gc_list l = { 0 };

	for (size_t i = 0; i < g->n_ents; i++) {
		const struct client_entity *ce = &g->ents[i];
		if (ce->skip)
			continue;
		gc_list_addf(g, &l, "[%s]: check new (%s)", ce->const_name, args(g, ce));
	}
	gc_line(g, 2, "%s;", gc_block(g, 2, "self.persistClients = ", &l, true, '{', '}'));
}

void gc_close_db_client(struct gen_client *g)
{
	gc_line(g, 2, "error? result = self.dbClient.close();");
	gc_line(g, 2, "if result is error {");
	gc_line(g, 3, "return <persist:Error>error(result.message());");
	gc_line(g, 2, "}");
	gc_line(g, 2, "return result;");
}

/* ---- query expressions of the in-memory and Google Sheets clients ------------------------ */

/* Array relation fields: the non-owner side of a one-to-many relation. */
bool gc_is_association(const struct field *f)
{
	return gc_is_relation(f) && f->type.array;
}

const char *gc_association_name(struct gen_client *g, const struct entity *e, const struct field *f)
{
	char first = f->bare_name[0];

	if (first >= 'a' && first <= 'z')
		first = (char)(first - 'a' + 'A');
	return gc_strf(g, "query%s%c%s", e->bare_name, first,
		       f->bare_name[0] ? f->bare_name + 1 : "");
}

void gc_join_lines(struct gen_client *g, unsigned indent, const struct entity *e,
		   const char *source_suffix)
{
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		struct gc_list fks = { 0 }, keys = { 0 };
		if (!gc_is_relation(f) || !f->relation_owner)
			continue;
		const char *name = gc_field_name(g, f);
		for (size_t j = 0; j < f->relation->n_keys; j++) {
			const struct relation_key *k = &f->relation->keys[j];
			gc_list_addf(g, &fks, "'object.%s", gc_name(g, k->fk_name));
			gc_list_addf(g, &keys, "%s?.%s", name, gc_field_name(g, k->ref_key));
		}
		gc_line(g, indent, "outer join var %s in %s%s on [%s] equals [%s]", name,
			gc_entity(g, f->type.entity)->res, source_suffix, gc_join(g, &fks, ", "),
			gc_join(g, &keys, ", "));
	}
}

void gc_owner_items(struct gen_client *g, const struct entity *e, struct gc_list *l)
{
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		if (gc_is_relation(f) && f->relation_owner)
			gc_list_addf(g, l, "\"%s\": %s", f->bare_name, gc_field_name(g, f));
	}
}

void gc_filter_record(struct gen_client *g, unsigned indent, const struct gc_list *items)
{
	/* the formatter aligns the record under the opening brace */
	int brace = (int)(4 * indent + strlen("select persist:filterRecord("));

	gc_line(g, indent, "select persist:filterRecord({");
	gc_printf(g, "%*s...'object%s\n", brace + 4, "", items->n ? "," : "");
	for (size_t i = 0; i < items->n; i++)
		gc_printf(g, "%*s%s%s\n", brace + 4, "", items->v[i], i + 1 < items->n ? "," : "");
	gc_printf(g, "%*s}, fields);\n", brace, "");
}

void gc_query_one_record(struct gen_client *g, unsigned indent, const struct gc_list *items)
{
	gc_line(g, indent, "do {");
	gc_line(g, indent + 1, "return {");
	gc_line(g, indent + 2, "...'object%s", items->n ? "," : "");
	for (size_t i = 0; i < items->n; i++)
		gc_line(g, indent + 2, "%s%s", items->v[i], i + 1 < items->n ? "," : "");
	gc_line(g, indent + 1, "};");
	gc_line(g, indent, "};");
}

const char *gc_association_where(struct gen_client *g, const struct field *f)
{
	struct gc_list l = { 0 };

	for (size_t j = 0; j < f->relation->n_keys; j++) {
		const struct relation_key *k = &f->relation->keys[j];
		gc_list_addf(g, &l, "'object.%s == value[\"%s\"]", gc_name(g, k->fk_name),
			     k->ref_key->bare_name);
	}
	return gc_strf(g, "where %s", gc_join(g, &l, " && "));
}

void gc_owner_targets(struct gen_client *g, const struct entity *e,
		      void (*fn)(struct gen_client *g, const struct entity *target))
{
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		bool seen = false;
		if (!gc_is_relation(f) || !f->relation_owner)
			continue;
		for (size_t j = 0; j < i && !seen; j++) {
			const struct field *p = e->fields[j];
			seen = gc_is_relation(p) && p->relation_owner &&
			       p->type.entity == f->type.entity;
		}
		if (!seen)
			fn(g, f->type.entity);
	}
}

/* ---- the skeleton (codegen.md §5.1) ------------------------------------------------------ */

static int cmp_import(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t nx = strcspn(x, " "), ny = strcspn(y, " ");
	int c = strncmp(x, y, MIN(nx, ny));

	/* by the org/module text alone, so "mysql" sorts before "mysql.driver as _" */
	if (c != 0)
		return c;
	return nx < ny ? -1 : nx > ny;
}

static void gc_header(struct gen_client *g)
{
	gc_line(g, 0, "// AUTO-GENERATED FILE. DO NOT MODIFY.");
	gc_blank(g);
	gc_line(g, 0,
		"// This file is an auto-generated file by Ballerina persistence layer for %s.",
		g->o->model_name ? g->o->model_name : "model");
	gc_line(g, 0, "// It should not be modified by hand.");
	gc_blank(g);
}

static void gc_imports(struct gen_client *g)
{
	const char *v[16];
	size_t n = 0;

	for (const char *const *p = g->fl->imports; *p && n < ELEMENTSOF(v); p++)
		v[n++] = *p;
	qsort(v, n, sizeof(v[0]), cmp_import);
	for (size_t i = 0; i < n; i++)
		gc_line(g, 0, "import %s;", v[i]);
	gc_blank(g);
}

static void gc_doc(struct gen_client *g, const char *summary)
{
	gc_line(g, 1, "# %s", summary);
	gc_line(g, 1, "#");
}

static void gc_doc_keys(struct gen_client *g, const struct entity *e)
{
	for (size_t i = 0; i < e->n_keys; i++) {
		const struct field *k = e->keys[i];
		const char *col = k->column_name ? k->column_name : gc_field_name(g, k);
		gc_line(g, 1, "# + %s - The value of the primary key field %s", gc_field_name(g, k),
			col);
	}
}

static const char *gc_key_params(struct gen_client *g, const struct entity *e)
{
	struct gc_list l = { 0 };

	for (size_t i = 0; i < e->n_keys; i++)
		gc_list_addf(g, &l, "/[%s %s]", e->keys[i]->type.text,
			     gc_field_name(g, e->keys[i]));
	return gc_join(g, &l, "");
}

static void gc_external(struct gen_client *g, const char *name)
{
	gc_line(g, 2, "'class: \"%s\",", g->fl->processor);
	gc_line(g, 2, "name: \"%s\"", name);
	gc_line(g, 1, "} external;");
}

static void gc_resources(struct gen_client *g, const struct client_entity *ce)
{
	const struct entity *e = ce->e;
	const char *table = e->table_name ? e->table_name : e->name;
	const char *kind = g->fl->kind;
	const char *params = gc_key_params(g, e);
	bool sql = datastore_is_sql(g->ds), eager = sql && g->o->eager_loading;

	gc_doc(g, gc_strf(g, "Get rows from %s %s.", table, kind));
	gc_line(g, 1, "# + targetType - Defines which fields to retrieve from the results");
	if (sql) {
		gc_line(g, 1,
			"# + whereClause - SQL WHERE clause to filter the results (e.g., `column_name = value`)");
		gc_line(g, 1,
			"# + orderByClause - SQL ORDER BY clause to sort the results (e.g., `column_name ASC`)");
		gc_line(g, 1,
			"# + limitClause - SQL LIMIT clause to limit the number of results (e.g., `10`)");
		if (!eager)
			gc_line(g, 1,
				"# + groupByClause - SQL GROUP BY clause to group the results (e.g., `column_name`)");
	}
	gc_line(g, 1, "# + return - A collection of matching records or an error");
	if (!sql)
		gc_line(g, 1,
			"isolated resource function get %s(%sTargetType targetType = <>) returns stream<targetType, persist:Error?> = @java:Method {",
			ce->res, e->name);
	else
		gc_line(g, 1,
			"isolated resource function get %s(%sTargetType targetType = <>, sql:ParameterizedQuery whereClause = ``, sql:ParameterizedQuery orderByClause = ``, sql:ParameterizedQuery limitClause = ``%s) returns %s = @java:Method {",
			ce->res, e->name,
			eager ? "" : ", sql:ParameterizedQuery groupByClause = ``",
			eager ? "targetType[]|persist:Error"
			      : "stream<targetType, persist:Error?>");
	gc_external(g, eager ? "queryAsList" : "query");
	gc_blank(g);

	gc_doc(g, gc_strf(g, "Get row from %s %s.", table, kind));
	gc_doc_keys(g, e);
	gc_line(g, 1, "# + targetType - Defines which fields to retrieve from the result");
	gc_line(g, 1, "# + return - The matching record or an error");
	gc_line(g, 1,
		"isolated resource function get %s%s(%sTargetType targetType = <>) returns targetType|persist:Error = @java:Method {",
		ce->res, params, e->name);
	gc_external(g, "queryOne");
	gc_blank(g);

	gc_doc(g, gc_strf(g, "Insert rows into %s %s.", table, kind));
	gc_line(g, 1, "# + data - A list of records to be inserted");
	gc_line(g, 1, "# + return - The primary key value(s) of the inserted rows or an error");
	gc_line(g, 1,
		"isolated resource function post %s(%sInsert[] data) returns %s[]|persist:Error {",
		ce->res, e->name, gc_key_type(g, e));
	g->fl->post_body(g, ce);
	gc_line(g, 1, "}");
	gc_blank(g);

	gc_doc(g, gc_strf(g, "Update row in %s %s.", table, kind));
	gc_doc_keys(g, e);
	gc_line(g, 1, "# + value - The record containing updated field values");
	gc_line(g, 1, "# + return - The updated record or an error");
	gc_line(g, 1,
		"isolated resource function put %s%s(%sUpdate value) returns %s|persist:Error {",
		ce->res, params, e->name, e->name);
	g->fl->put_body(g, ce);
	gc_line(g, 1, "}");
	gc_blank(g);

	gc_doc(g, gc_strf(g, "Delete row from %s %s.", table, kind));
	gc_doc_keys(g, e);
	gc_line(g, 1, "# + return - The deleted record or an error");
	gc_line(g, 1, "isolated resource function delete %s%s() returns %s|persist:Error {",
		ce->res, params, e->name);
	g->fl->delete_body(g, ce);
	gc_line(g, 1, "}");
	gc_blank(g);
}

static void gc_file(struct gen_client *g)
{
	gc_header(g);
	gc_imports(g);
	for (size_t i = 0; i < g->n_ents; i++)
		if (!g->ents[i].e->unsupported)
			gc_line(g, 0, "const %s = \"%s\";", g->ents[i].const_name,
				g->ents[i].res_value);
	if (g->fl->after_consts)
		g->fl->after_consts(g);
	gc_blank(g);

	gc_line(g, 0, "# %s persist client.", g->fl->store);
	gc_line(g, 0, "public isolated client class %s {", g->class_name);
	gc_line(g, 1, "*persist:AbstractPersistClient;");
	gc_blank(g);
	g->fl->members(g);
	gc_blank(g);
	for (size_t i = 0; i < g->n_ents; i++) {
		if (g->ents[i].skip)
			continue;
		gc_resources(g, &g->ents[i]);
		if (g->fl->after_entity)
			g->fl->after_entity(g, &g->ents[i]);
	}
	if (g->fl->after_resources)
		g->fl->after_resources(g);
	gc_doc(g, "Close the database client and release connections.");
	gc_line(g, 1, "# + return - An error if closing fails");
	gc_line(g, 1, "public isolated function close() returns persist:Error? {");
	g->fl->close_body(g);
	gc_line(g, 1, "}");
	gc_line(g, 0, "}");
	if (g->fl->after_class)
		g->fl->after_class(g);
	gc_blank(g);
}

/* ---- entry points ------------------------------------------------------------------------ */

static const struct client_flavour *flavour_of(enum datastore d)
{
	switch (d) {
	case DATASTORE_MYSQL:
		return &client_flavour_mysql;
	case DATASTORE_MSSQL:
		return &client_flavour_mssql;
	case DATASTORE_POSTGRESQL:
		return &client_flavour_postgresql;
	case DATASTORE_H2:
		return &client_flavour_h2;
	case DATASTORE_INMEMORY:
		return &client_flavour_inmemory;
	case DATASTORE_GOOGLESHEETS:
		return &client_flavour_googlesheets;
	case DATASTORE_REDIS:
		return &client_flavour_redis;
	default:
		return NULL;
	}
}

static void gc_release(struct gen_client *g)
{
	arena_release(&g->arena);
}

static void gc_entity_names(struct gen_client *g, struct client_entity *ce, const struct entity *e)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	int r;

	ce->e = e;
	/* only the SQL clients honour the unsupported flag (codegen.md §12 #14) */
	ce->skip = e->unsupported && datastore_is_sql(g->ds);
	r = naming_resource_name(e->name, &b);
	gc_fail(g, r);
	ce->res = gc_keep(g, &b);
	ce->res_value = ce->res[0] == '\'' ? ce->res + 1 : ce->res;
	buf_reset(&b);
	r = naming_const_name(e->name, &b);
	gc_fail(g, r);
	ce->const_name = gc_keep(g, &b);

	/* <Res>: first character upper-cased, the rest lower-cased, as upstream does it */
	buf_reset(&b);
	for (const char *p = ce->res; r >= 0 && *p; p++) {
		char c = *p;
		if (p == ce->res && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (p != ce->res && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		r = buf_addc(&b, c);
	}
	gc_fail(g, r);
	ce->query_suffix = gc_keep(g, &b);

	buf_reset(&b);
	for (const char *p = e->name; r >= 0 && *p; p++)
		r = buf_addc(&b, (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
	gc_fail(g, r);
	ce->var = gc_keep(g, &b);
}

static int generate(const struct model_file *mf, const struct gen_options *o, enum datastore d,
		    const char *class_name, bool test_client, struct buf *out)
{
	_cleanup_(gc_release) struct gen_client g = {
		.mf = mf,
		.o = o,
		.ds = d,
		.class_name = class_name,
		.test_client = test_client,
		.fl = flavour_of(d),
		.out = out,
		.arena = ARENA_INIT,
	};

	if (!g.fl)
		return -EINVAL;
	if (mf->n_entities) {
		g.ents = arena_alloc(&g.arena, mf->n_entities * sizeof(*g.ents));
		if (!g.ents)
			return -ENOMEM;
	}
	g.n_ents = mf->n_entities;
	for (size_t i = 0; i < mf->n_entities; i++)
		gc_entity_names(&g, &g.ents[i], mf->entities[i]);
	gc_file(&g);
	if (g.r < 0)
		buf_release(out);
	return g.r;
}

int gen_client(const struct model_file *mf, const struct gen_options *o, struct buf *out)
{
	return generate(mf, o, o->datastore, "Client", false, out);
}

int gen_test_client(const struct model_file *mf, const struct gen_options *o, struct buf *out)
{
	switch (o->test_datastore) {
	case DATASTORE_H2:
		return generate(mf, o, DATASTORE_H2, "H2Client", true, out);
	case DATASTORE_INMEMORY:
		return generate(mf, o, DATASTORE_INMEMORY, "InMemoryClient", true, out);
	default:
		return -EINVAL;
	}
}
