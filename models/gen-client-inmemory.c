#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "base/buf.h"
#include "models/gen-client.h"

/* The in-memory client (codegen.md §5.3): one module-level table per entity, resources that
 * work on the tables directly, and module-level query functions the InMemoryProcessor calls. */

static const char *table_keys(struct gen_client *g, const struct entity *e)
{
	struct gc_list l = { 0 };

	for (size_t i = 0; i < e->n_keys; i++)
		gc_list_addf(g, &l, "%s", gc_field_name(g, e->keys[i]));
	return gc_strf(g, "table<%s> key(%s)", e->name, gc_join(g, &l, ", "));
}

static void tables(struct gen_client *g)
{
	for (size_t i = 0; i < g->n_ents; i++) {
		const struct client_entity *ce = &g->ents[i];
		if (ce->skip)
			continue;
		gc_line(g, 0, "final isolated %s %sTable = table [];", table_keys(g, ce->e),
			ce->res);
	}
}

/* Array relation fields: the non-owner side of a one-to-many relation. */
bool gc_is_association(const struct field *f)
{
	return gc_is_relation(f) && f->type.array;
}

static const char *association_name(struct gen_client *g, const struct entity *e,
				    const struct field *f)
{
	char first = f->bare_name[0];

	if (first >= 'a' && first <= 'z')
		first = (char)(first - 'a' + 'A');
	return gc_strf(g, "query%s%c%s", e->bare_name, first,
		       f->bare_name[0] ? f->bare_name + 1 : "");
}

static void inmemory_members(struct gen_client *g)
{
	struct gc_list l = { 0 };

	gc_line(g, 1, "private final map<inmemory:InMemoryClient> persistClients;");
	gc_blank(g);
	gc_line(g, 1, "public isolated function init() returns persist:Error? {");
	for (size_t i = 0; i < g->n_ents; i++) {
		const struct client_entity *ce = &g->ents[i];
		struct gc_list m = { 0 }, assoc = { 0 };
		if (ce->skip)
			continue;
		gc_list_addf(g, &m, "%s", gc_key_fields(g, ce->e));
		gc_list_addf(g, &m, "query: query%s", ce->query_suffix);
		gc_list_addf(g, &m, "queryOne: queryOne%s", ce->query_suffix);
		for (size_t j = 0; j < ce->e->n_fields; j++) {
			const struct field *f = ce->e->fields[j];
			if (gc_is_association(f))
				gc_list_addf(g, &assoc, "\"%s\": %s", f->bare_name,
					     association_name(g, ce->e, f));
		}
		if (assoc.n)
			gc_list_addf(
				g, &m, "%s",
				gc_block(g, 4, "associationsMethods: ", &assoc, true, '{', '}'));
		gc_list_addf(
			g, &l, "%s",
			gc_block(g, 3, gc_strf(g, "[%s]: ", ce->const_name), &m, false, '{', '}'));
	}
	gc_line(g, 2, "%s;",
		gc_block(g, 2, "final map<inmemory:TableMetadata> metadata = ", &l, false, '{',
			 '}'));
	l = (struct gc_list){ 0 };
	for (size_t i = 0; i < g->n_ents; i++) {
		const struct client_entity *ce = &g->ents[i];
		if (ce->skip)
			continue;
		gc_list_addf(g, &l, "[%s]: check new (metadata.get(%s).cloneReadOnly())",
			     ce->const_name, ce->const_name);
	}
	gc_line(g, 2, "%s;", gc_block(g, 2, "self.persistClients = ", &l, true, '{', '}'));
	gc_line(g, 1, "}");
}

/* {a: value.a, b: value.b} for the error of a composite key, else the key itself */
static const char *error_key(struct gen_client *g, const struct entity *e, const char *prefix)
{
	struct gc_list l = { 0 };

	if (e->n_keys == 1)
		return gc_strf(g, "%s%s", prefix, gc_field_name(g, e->keys[0]));
	for (size_t i = 0; i < e->n_keys; i++) {
		const char *k = gc_field_name(g, e->keys[i]);
		gc_list_addf(g, &l, "%s: %s%s", k, prefix, k);
	}
	return gc_strf(g, "{%s}", gc_join(g, &l, ", "));
}

static void inmemory_post(struct gen_client *g, const struct client_entity *ce)
{
	const struct entity *e = ce->e;

	gc_line(g, 2, "%s[] keys = [];", gc_key_type(g, e));
	gc_line(g, 2, "foreach %sInsert value in data {", e->name);
	gc_line(g, 3, "lock {");
	gc_line(g, 4, "if %sTable.hasKey(%s) {", ce->res, gc_key_tuple(g, e, "value."));
	gc_line(g, 5, "return persist:getAlreadyExistsError(\"%s\", %s);", e->bare_name,
		error_key(g, e, "value."));
	gc_line(g, 4, "}");
	gc_line(g, 4, "%sTable.put(value.clone());", ce->res);
	gc_line(g, 3, "}");
	gc_line(g, 3, "keys.push(%s);", gc_key_tuple(g, e, "value."));
	gc_line(g, 2, "}");
	gc_line(g, 2, "return keys;");
}

static void not_found_check(struct gen_client *g, const struct client_entity *ce)
{
	gc_line(g, 3, "if !%sTable.hasKey(%s) {", ce->res, gc_key_tuple(g, ce->e, ""));
	gc_line(g, 4, "return persist:getNotFoundError(\"%s\", %s);", ce->e->bare_name,
		error_key(g, ce->e, ""));
	gc_line(g, 3, "}");
}

static void inmemory_put(struct gen_client *g, const struct client_entity *ce)
{
	gc_line(g, 2, "lock {");
	not_found_check(g, ce);
	gc_line(g, 3, "%s %s = %sTable.get(%s);", ce->e->name, ce->var, ce->res,
		gc_key_tuple(g, ce->e, ""));
	gc_line(g, 3, "foreach var [k, v] in value.clone().entries() {");
	gc_line(g, 4, "%s[k] = v;", ce->var);
	gc_line(g, 3, "}");
	gc_line(g, 3, "%sTable.put(%s);", ce->res, ce->var);
	gc_line(g, 3, "return %s.clone();", ce->var);
	gc_line(g, 2, "}");
}

static void inmemory_delete(struct gen_client *g, const struct client_entity *ce)
{
	gc_line(g, 2, "lock {");
	not_found_check(g, ce);
	gc_line(g, 3, "return %sTable.remove(%s).clone();", ce->res, gc_key_tuple(g, ce->e, ""));
	gc_line(g, 2, "}");
}

static void inmemory_close(struct gen_client *g)
{
	gc_line(g, 2, "return ();");
}

/* ---- module-level query functions -------------------------------------------------------- */

static void clone_table(struct gen_client *g, const struct entity *e)
{
	const struct client_entity *ce = gc_entity(g, e);

	gc_line(g, 1, "%s %sClonedTable;", table_keys(g, e), ce->res);
	gc_line(g, 1, "lock {");
	gc_line(g, 2, "%sClonedTable = %sTable.clone();", ce->res, ce->res);
	gc_line(g, 1, "}");
}

/* The entity's table, then each table its owner relations join, once each. */
static void clone_tables(struct gen_client *g, const struct entity *e)
{
	clone_table(g, e);
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		bool seen = false;
		if (!gc_is_relation(f) || !f->relation_owner)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct field *p = e->fields[j];
			if (gc_is_relation(p) && p->relation_owner &&
			    p->type.entity == f->type.entity)
				seen = true;
		}
		if (!seen)
			clone_table(g, f->type.entity);
	}
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

const char *gc_association_name(struct gen_client *g, const struct entity *e, const struct field *f)
{
	return association_name(g, e, f);
}

static void query_functions(struct gen_client *g, const struct client_entity *ce)
{
	const struct entity *e = ce->e;
	struct gc_list items = { 0 };

	gc_owner_items(g, e, &items);
	gc_blank(g);
	gc_line(g, 0,
		"isolated function query%s(string[] fields) returns stream<record {}, persist:Error?> {",
		ce->query_suffix);
	clone_tables(g, e);
	gc_line(g, 1, "return from record {} 'object in %sClonedTable", ce->res);
	gc_join_lines(g, 2, e, "ClonedTable");
	gc_filter_record(g, 2, &items);
	gc_line(g, 0, "}");
	gc_blank(g);

	gc_line(g, 0,
		"isolated function queryOne%s(anydata key) returns record {}|persist:NotFoundError {",
		ce->query_suffix);
	clone_tables(g, e);
	gc_line(g, 1, "from record {} 'object in %sClonedTable", ce->res);
	gc_line(g, 1, "where persist:getKey('object, %s) == key", gc_key_names(g, e));
	gc_join_lines(g, 1, e, "ClonedTable");
	gc_query_one_record(g, 1, &items);
	gc_line(g, 1, "return persist:getNotFoundError(\"%s\", key);", e->bare_name);
	gc_line(g, 0, "}");
}

static void association_function(struct gen_client *g, const struct entity *e,
				 const struct field *f)
{
	const struct entity *a = f->type.entity;

	gc_blank(g);
	gc_line(g, 0,
		"isolated function %s(record {} value, string[] fields) returns record {}[] {",
		association_name(g, e, f));
	clone_table(g, a);
	gc_line(g, 1, "return from record {} 'object in %sClonedTable", gc_entity(g, a)->res);
	gc_line(g, 2, "%s", gc_association_where(g, f));
	gc_filter_record(g, 2, &(struct gc_list){ 0 });
	gc_line(g, 0, "}");
}

static void inmemory_after_class(struct gen_client *g)
{
	for (size_t i = 0; i < g->n_ents; i++)
		if (!g->ents[i].skip)
			query_functions(g, &g->ents[i]);
	for (size_t i = 0; i < g->n_ents; i++) {
		const struct entity *e = g->ents[i].e;
		if (g->ents[i].skip)
			continue;
		for (size_t j = 0; j < e->n_fields; j++)
			if (gc_is_association(e->fields[j]))
				association_function(g, e, e->fields[j]);
	}
}

const struct client_flavour client_flavour_inmemory = {
	.store = "In-Memory",
	.kind = "table",
	.processor = "io.ballerina.stdlib.persist.inmemory.datastore.InMemoryProcessor",
	.imports = (const char *const[]){ "ballerina/jballerina.java", "ballerina/persist",
					  "ballerinax/persist.inmemory", NULL },
	.after_consts = tables,
	.members = inmemory_members,
	.post_body = inmemory_post,
	.put_body = inmemory_put,
	.delete_body = inmemory_delete,
	.close_body = inmemory_close,
	.after_class = inmemory_after_class,
};
