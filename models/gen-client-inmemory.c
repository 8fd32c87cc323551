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
					     gc_association_name(g, ce->e, f));
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

static void query_functions(struct gen_client *g, const struct client_entity *ce)
{
	const struct entity *e = ce->e;
	struct gc_list items = { 0 };

	gc_owner_items(g, e, &items);
	gc_blank(g);
	gc_line(g, 0,
		"isolated function query%s(string[] fields) returns stream<record {}, persist:Error?> {",
		ce->query_suffix);
	clone_table(g, e);
	gc_owner_targets(g, e, clone_table);
	gc_line(g, 1, "return from record {} 'object in %sClonedTable", ce->res);
	gc_join_lines(g, 2, e, "ClonedTable");
	gc_filter_record(g, 2, &items);
	gc_line(g, 0, "}");
	gc_blank(g);

	gc_line(g, 0,
		"isolated function queryOne%s(anydata key) returns record {}|persist:NotFoundError {",
		ce->query_suffix);
	clone_table(g, e);
	gc_owner_targets(g, e, clone_table);
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
		gc_association_name(g, e, f));
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
