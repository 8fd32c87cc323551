/* Shared machinery of the client generators (gen-client*.c): a writer with a sticky error, the
 * names every datastore derives from an entity, and the datastore flavours that fill in the
 * common skeleton of persist_client.bal (codegen.md §5.1). Private to models/. */
#ifndef MODELS_GEN_CLIENT_H
#define MODELS_GEN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/macro.h"
#include "models/arena.h"
#include "models/ast.h"
#include "models/datastore.h"
#include "models/gen.h"

/* The names upstream derives from one entity (codegen.md §9). */
struct client_entity {
	const struct entity *e;
	const char *res; /* resource name as written in paths: 'buildings */
	const char *res_value; /* the const value: the resource name without a leading quote */
	const char *const_name; /* BUILDING */
	const char *query_suffix; /* <Res> of query<Res>/queryOne<Res>: Buildings */
	const char *var; /* in-memory record variable: lower-cased entity name */
	bool skip; /* flagged unsupported and this client honours the flag */
};

struct client_flavour;

struct gen_client {
	const struct model_file *mf;
	const struct gen_options *o;
	enum datastore ds; /* the datastore this file is for */
	const char *class_name; /* Client, H2Client, InMemoryClient */
	bool test_client;
	const struct client_flavour *fl;
	struct buf *out;
	int r; /* first failure; once negative, every write is skipped */
	struct arena arena; /* strings built while generating */
	struct client_entity *ents; /* model order */
	size_t n_ents;
};

/* What differs between datastores around the common skeleton. */
struct client_flavour {
	const char *store; /* "MySQL": the class doc comment and init parameter docs */
	const char *kind; /* "table", "sheet", "key space" */
	const char *processor; /* Java class of the external resource functions */
	const char *const *imports; /* "org/module[ as prefix]", NULL-terminated */
	/* optional: module-level lines right after the consts (in-memory tables) */
	void (*after_consts)(struct gen_client *g);
	/* private members, metadata and init */
	void (*members)(struct gen_client *g);
	/* the bodies of post, put and delete */
	void (*post_body)(struct gen_client *g, const struct client_entity *ce);
	void (*put_body)(struct gen_client *g, const struct client_entity *ce);
	void (*delete_body)(struct gen_client *g, const struct client_entity *ce);
	/* optional: members after one entity's resources (Google Sheets query functions) */
	void (*after_entity)(struct gen_client *g, const struct client_entity *ce);
	/* optional: members after all resources, before close() */
	void (*after_resources)(struct gen_client *g);
	/* the body of close() */
	void (*close_body)(struct gen_client *g);
	/* optional: module-level definitions after the class (in-memory query functions) */
	void (*after_class)(struct gen_client *g);
};

extern const struct client_flavour client_flavour_mysql, client_flavour_mssql,
	client_flavour_postgresql, client_flavour_h2, client_flavour_inmemory,
	client_flavour_googlesheets, client_flavour_redis;

/* ---- writing (sticky error: a failed call records g->r and later calls do nothing) ---- */

/* Record r when it is the first failure. */
void gc_fail(struct gen_client *g, int r);
/* Append text as is. */
_printf_(2, 3) void gc_printf(struct gen_client *g, const char *fmt, ...);
/* One line: indent levels of four spaces, the text, a newline. */
_printf_(3, 4) void gc_line(struct gen_client *g, unsigned indent, const char *fmt, ...);
void gc_blank(struct gen_client *g);
/* A string kept until the generator finishes; "" after a failure. */
_printf_(2, 3) const char *gc_strf(struct gen_client *g, const char *fmt, ...);

/* A list of comma-separated entries, rendered by gc_block(). */
struct gc_list {
	const char **v;
	size_t n, cap;
};
_printf_(3, 4) void gc_list_addf(struct gen_client *g, struct gc_list *l, const char *fmt, ...);
/* "<head>{a, b}"-style text for an entry list at nesting level indent: one entry per line
 * (entries at indent + 1, the closing brace at indent) unless there is exactly one entry and
 * inline_one is set, or none ("{}"). The first line carries no indentation; the caller places
 * it. open/close are the brackets. */
const char *gc_block(struct gen_client *g, unsigned indent, const char *head,
		     const struct gc_list *l, bool inline_one, char open, char close);

/* The entries joined with sep. */
const char *gc_join(struct gen_client *g, const struct gc_list *l, const char *sep);

/* ---- names ---- */

/* A name as generated code writes it: quoted when it is a reserved word written without a
 * quote (gen_add_field_name). */
const char *gc_name(struct gen_client *g, const char *name);

/* gc_name() of a field's name. */
const char *gc_field_name(struct gen_client *g, const struct field *f);
/* The column as upstream stores it: @sql:Name value, else the field name as written. */
const char *gc_raw_column(const struct field *f);
/* The table as upstream stores it: @sql:Name value, else the entity name as written. */
const char *gc_raw_table(const struct entity *e);
const struct client_entity *gc_entity(const struct gen_client *g, const struct entity *e);
/* Whether a field is a relation field with a resolved relation. */
bool gc_is_relation(const struct field *f);
/* Whether the field is a foreign key moved to its relation's position (@sql:Relation). */
bool gc_is_moved_fk(const struct field *f);
/* The relation's field on the other side, seen from field f. */
const struct field *gc_other_side(const struct field *f);
/* One stored field of an entity, in upstream's extraction order: a non-relation field in its
 * place, or a foreign key of an owner relation at the relation field's position (fields an
 * @sql:Relation names move there too). */
struct gc_column {
	const char *name; /* as written */
	const char *raw_column; /* as upstream stores it: @sql:Name, else the name as written */
	const struct field_type *type; /* the field's, or the referenced key's for a foreign key */
	const struct field *field; /* the non-relation field; NULL for a foreign key */
	const struct relation_key *fk; /* the foreign key; NULL for a field */
};
/* The columns of e, kept in g's arena; returns their number (0 after a failure). */
size_t gc_columns(struct gen_client *g, const struct entity *e, const struct gc_column **ret);
/* Whether a related entity's column gets a refColumn in relation metadata: upstream compares
 * the stored column with the generated name, so an unquoted reserved word ('version) does. */
bool gc_column_renamed(struct gen_client *g, const struct gc_column *c);

/* Key arguments: "id" or {"a": a, "b": b}; a path "/[a]/[b]"; a tuple type or the key type. */
const char *gc_key_arg(struct gen_client *g, const struct entity *e);
const char *gc_key_path(struct gen_client *g, const struct entity *e);
const char *gc_key_type(struct gen_client *g, const struct entity *e);
/* "[value.a, value.b]" / "value.a" style: prefix before each key name, tuple when composite */
const char *gc_key_tuple(struct gen_client *g, const struct entity *e, const char *prefix);
/* ["a", "b"], and keyFields: ["a", "b"] */
const char *gc_key_names(struct gen_client *g, const struct entity *e);
const char *gc_key_fields(struct gen_client *g, const struct entity *e);

/* ---- shared pieces of the SQL-like flavours ---- */

/* The post/put/delete bodies around a persist client fetched from self.persistClients:
 * `<type> <var>;` `lock { <var> = self.persistClients.get(<CONST>); }` */
void gc_client_lock(struct gen_client *g, const struct client_entity *ce, const char *type,
		    const char *var);
void gc_remote_post(struct gen_client *g, const struct client_entity *ce, const char *type,
		    const char *var, bool generated_keys);
void gc_remote_put(struct gen_client *g, const struct client_entity *ce, const char *type,
		   const char *var);
void gc_remote_delete(struct gen_client *g, const struct client_entity *ce, const char *type,
		      const char *var);
/* `self.persistClients = {[X]: check new (<args>), ...};` at nesting level 2, args built per
 * entity. */
void gc_persist_clients(struct gen_client *g,
			const char *(*args)(struct gen_client *g, const struct client_entity *ce));
/* The close() body that closes self.dbClient. */
void gc_close_db_client(struct gen_client *g);

/* ---- query expressions shared by the in-memory and Google Sheets clients ---- */

/* `"<rel>": <rel>` for every owner relation field of e */
void gc_owner_items(struct gen_client *g, const struct entity *e, struct gc_list *l);
/* `outer join var <rel> in <res><source_suffix> on [...] equals [...]` per owner relation */
void gc_join_lines(struct gen_client *g, unsigned indent, const struct entity *e,
		   const char *source_suffix);
/* `select persist:filterRecord({ ...'object, items }, fields);`, aligned as the formatter does */
void gc_filter_record(struct gen_client *g, unsigned indent, const struct gc_list *items);
/* `do { return { ...'object, items }; };` */
void gc_query_one_record(struct gen_client *g, unsigned indent, const struct gc_list *items);
/* `where 'object.<fk> == value["<key>"] && ...` of an association function */
const char *gc_association_where(struct gen_client *g, const struct field *f);
/* query<E'><Rel> */
const char *gc_association_name(struct gen_client *g, const struct entity *e,
				const struct field *f);
/* Array relation fields, whose records an association function fetches. */
bool gc_is_association(const struct field *f);
/* fn for each entity the owner relations of e point at, once each, in field order. */
void gc_owner_targets(struct gen_client *g, const struct entity *e,
		      void (*fn)(struct gen_client *g, const struct entity *target));

#endif
