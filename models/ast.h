/* The tree of one model file, as upstream's extraction sees it (model-language.md §2-§6), plus
 * what the validator needs to report upstream's diagnostics. Everything is in source order and
 * carries its position; every pointer points into the same struct model_file, whose arena owns
 * all of it. A model_file is immutable once model_parse() has returned it.
 *
 * Names are kept as written, a leading ' included ('Building, 'type); bare_name is the same
 * without it. Relation inference (§6) has run: relation fields point at their struct relation,
 * and fields that an @sql:Relation lists as foreign keys point at it through fk_of. */
#ifndef MODELS_AST_H
#define MODELS_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"
#include "models/arena.h"

struct model_pos {
	unsigned line, column; /* 1-based, column in bytes */
	size_t offset;
};

/* ---- annotations ---------------------------------------------------------------------------- */

enum annotation_value_kind {
	ANNOTATION_VALUE_STRING,
	ANNOTATION_VALUE_INT, /* decimal or hex literal, optionally negated */
	ANNOTATION_VALUE_FLOAT,
	ANNOTATION_VALUE_BOOLEAN,
	ANNOTATION_VALUE_NIL, /* () or null */
	ANNOTATION_VALUE_LIST, /* [a, b] */
	ANNOTATION_VALUE_MAPPING, /* {k: v} */
	ANNOTATION_VALUE_REFERENCE, /* a name or prefix:name */
	ANNOTATION_VALUE_OTHER, /* any other expression */
};

struct annotation_value {
	enum annotation_value_kind kind;
	const char *key; /* field name in a mapping; NULL for list items */
	struct model_pos key_pos;
	const char *text; /* the expression's source text, verbatim */
	const char *string; /* STRING: the content, escapes resolved */
	struct annotation_value *items; /* LIST items, or MAPPING fields */
	size_t n_items;
	struct model_pos pos;
};

struct annotation {
	const char *module; /* "sql", "constraint"; NULL when written without a prefix */
	const char *name; /* "Name", "Index", ... */
	bool has_mapping; /* a {...} follows the reference */
	struct annotation_value *fields; /* mapping fields in source order */
	size_t n_fields;
	const char *mapping_text; /* source text of {...}, NULL without one */
	struct model_pos pos; /* of the @ */
};

/* The mapping field named key, NULL when absent (any position; upstream's own readers only look
 * at the first field, and the values below in struct entity/field follow that rule). */
const struct annotation_value *annotation_field(const struct annotation *a, const char *key);

/* ---- types ---------------------------------------------------------------------------------- */

enum field_type_kind {
	FIELD_TYPE_INT,
	FIELD_TYPE_BOOLEAN,
	FIELD_TYPE_DECIMAL,
	FIELD_TYPE_FLOAT,
	FIELD_TYPE_STRING,
	FIELD_TYPE_BYTE,
	FIELD_TYPE_TIME, /* time:<name>: module "time", name "Date", "TimeOfDay", "Utc", "Civil",
			    ... */
	FIELD_TYPE_ENUM, /* a name declared as an enum in the file; enum_type is set */
	FIELD_TYPE_ENTITY, /* a name declared as an entity in the file: a relation field */
	FIELD_TYPE_QUALIFIED, /* prefix:Name with a prefix other than time */
	FIELD_TYPE_NAME, /* any other simple name: a builtin such as json, or undefined */
	FIELD_TYPE_OTHER, /* a composite descriptor: union, map<...>, tuple, record {...}, ... */
};

struct entity;
struct enum_type;

struct field_type {
	enum field_type_kind kind;
	/* The element type as written: "int", "'string", "Building", "Civil" (for time:Civil),
	 * "json"; for FIELD_TYPE_OTHER the descriptor text. Never NULL. */
	const char *name;
	const char *module; /* "time" or the prefix of a FIELD_TYPE_QUALIFIED; else NULL */
	/* What diagnostics call the element type: "int", "time:Date", "json", "enum", "union",
	 * "map", "tuple", "in-line record", ... */
	const char *label;
	const char *text; /* the whole descriptor as written, e.g. "time:Civil[]?" */
	bool array; /* T[] */
	bool nillable; /* T? (on the whole type: T[]? is array and nillable) */
	struct entity *entity; /* FIELD_TYPE_ENTITY */
	struct enum_type *enum_type; /* FIELD_TYPE_ENUM */
	struct model_pos pos;
};

/* ---- fields --------------------------------------------------------------------------------- */

struct relation;

struct field {
	const char *name; /* as written */
	const char *bare_name; /* without a leading ' */
	struct model_pos pos; /* of the name */
	struct model_pos start; /* first token of the member (documentation excluded) */
	struct field_type type;
	bool readonly; /* a key field */
	bool optional; /* T f?; */
	bool has_default; /* T f = v; (invalid) */
	struct model_pos default_pos;
	struct entity *entity; /* the entity declaring it */
	size_t index; /* position in entity->fields */

	struct annotation *annotations;
	size_t n_annotations;

	/* @sql:* and @constraint:String, read the way upstream reads them (§4.3) */
	const char *column_name; /* @sql:Name value, NULL without one */
	const char *varchar_length; /* @sql:Varchar length text, NULL without one */
	const char *char_length; /* @sql:Char length text */
	const char *decimal_precision, *decimal_scale; /* @sql:Decimal, both or neither */
	bool generated; /* @sql:Generated */
	bool has_relation_annotation; /* @sql:Relation present */
	const char **relation_keys; /* its keys, as read */
	size_t n_relation_keys;
	bool indexed; /* @sql:Index present */
	const char **index_names; /* index names this field joins (default idx_<name>) */
	size_t n_index_names;
	bool unique_indexed; /* @sql:UniqueIndex present */
	const char **unique_index_names; /* default unique_idx_<name> */
	size_t n_unique_index_names;
	/* @constraint:String: VARCHAR length (last of maxLength/length, text verbatim), and the
	 * key/value that generated types copy (first of the two). NULL without one. */
	const char *constraint_length;
	const char *constraint_key, *constraint_value;

	/* Relation inference (§6). relation is set on both fields of a paired relation;
	 * relation_owner on the side that stores the foreign key. */
	struct relation *relation;
	bool relation_owner;
	/* Set on a field that @sql:Relation {keys} names as a foreign key: extraction removes it
	 * from the entity's field list and emits it at the relation field's position. */
	struct relation *fk_of;
};

/* ---- entities ------------------------------------------------------------------------------- */

struct entity {
	const char *name; /* as written */
	const char *bare_name;
	struct model_pos pos; /* of the name */
	struct model_pos start; /* first token of the definition (annotations included) */
	struct model_pos record_pos; /* of `record` */
	bool is_public;
	bool closed; /* {| ... |} */
	bool unsupported; /* the body contains //Unsupported[ (§3.3) */
	size_t index; /* position in model_file->entities */

	struct annotation *annotations;
	size_t n_annotations;
	const char *table_name; /* @sql:Name value, NULL without one */
	const char *resource_name; /* the generated client's resource ("employees"); NULL on OOM */
	const char *schema; /* @sql:Schema value, NULL without one */

	struct field **fields; /* every field, source order */
	size_t n_fields;
	struct field **keys; /* readonly fields, source order */
	size_t n_keys;
	struct relation **relations; /* relations it takes part in, by its own field order */
	size_t n_relations;

	/* Record members that are not fields (all invalid): T...; and *T; */
	struct model_pos *rest_fields;
	size_t n_rest_fields;
	struct model_pos *inclusions;
	size_t n_inclusions;

	/* private: hash index of fields by bare name for entity_find_field() */
	struct field **field_index;
	size_t field_index_cap;
};

/* ---- relations ------------------------------------------------------------------------------ */

enum relation_kind {
	RELATION_ONE_TO_ONE,
	RELATION_ONE_TO_MANY,
	RELATION_MANY_TO_MANY, /* rejected; owner/ref are just the two sides */
};

struct relation_key {
	struct field *ref_key; /* key field of the referenced entity */
	const char *fk_name; /* the foreign-key field in the owner */
	const char *fk_column; /* its column: @sql:Name of the listed field, or fk_name */
	struct field
		*fk_field; /* the owner's field named by @sql:Relation; NULL when synthesised */
};

struct relation {
	enum relation_kind kind;
	/* The owner stores the foreign key and its field is the ONE side; ref is the referenced
	 * entity. A field is the MANY side when its type is an array. */
	struct entity *owner;
	struct field *owner_field;
	struct entity *ref;
	struct field *ref_field;
	/* One per key of ref, in ref's key order (for @sql:Relation, as many as it lists, capped at
	 * ref's key count). */
	struct relation_key *keys;
	size_t n_keys;
	bool by_annotation; /* owner_field carries @sql:Relation */
	size_t index; /* position in model_file->relations */
};

/* ---- enums ---------------------------------------------------------------------------------- */

struct enum_member {
	const char *name;
	const char *value; /* stored value: the given one without one pair of " , else the name */
	const char *value_text; /* the expression as written, NULL when none was given */
	struct model_pos pos;
	struct model_pos value_pos;
	bool value_is_string; /* the expression is a single string literal */
	struct annotation *annotations;
	size_t n_annotations;
};

struct enum_type {
	const char *name;
	const char *bare_name;
	bool is_public;
	struct model_pos pos; /* of the name */
	struct model_pos start;
	struct enum_member *members;
	size_t n_members;
	struct annotation *annotations;
	size_t n_annotations;
	size_t index;
};

/* ---- the file ------------------------------------------------------------------------------- */

struct model_import {
	const char *org; /* "ballerina" */
	const char *module; /* "persist", "persist.sql", "time" */
	const char *prefix; /* as written after `as` ("_", "t"), NULL without `as` */
	const char *effective_prefix; /* prefix, else the last part of module ("sql") */
	struct model_pos pos; /* of `import` */
	struct model_pos prefix_pos; /* of the prefix, or of the module without one */
};

enum model_member_kind {
	MODEL_MEMBER_TYPE, /* a type definition that is not a record */
	MODEL_MEMBER_OTHER, /* function, const, variable, class, service, ... */
};

/* A module member that is neither an entity nor an enum (PERSIST_101). */
struct model_member {
	enum model_member_kind kind;
	const char *name; /* the declared name when there is an obvious one, else NULL */
	const char *keyword; /* its first token: "function", "const", "type", ... */
	struct model_pos pos;
};

struct model_file {
	const char *file; /* the path given to model_parse(), for positions */
	const char *source; /* the text (a private copy) */
	size_t source_len;

	struct model_import *imports;
	size_t n_imports;
	struct entity **entities; /* declaration order */
	size_t n_entities;
	struct enum_type **enums; /* declaration order */
	size_t n_enums;
	struct relation **relations; /* inference order (§6.1) */
	size_t n_relations;
	struct model_member *others; /* invalid module members */
	size_t n_others;

	bool has_persist_import; /* an import of org ballerina with a module part "persist" */
	bool uses_time; /* some field has a time: type */
	bool imports_constraint; /* ballerina/constraint is imported */

	/* private: hash indexes by bare name for model_find_entity() and model_find_enum() */
	struct entity **entity_index;
	size_t entity_index_cap;
	struct enum_type **enum_index;
	size_t enum_index_cap;

	struct arena arena;
};

struct model_file *model_file_free(struct model_file *mf);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct model_file *, model_file_free)

/* Lookups by name, quote or not; the first declaration wins when a name is declared twice. */
const struct entity *model_find_entity(const struct model_file *mf, const char *name);
const struct enum_type *model_find_enum(const struct model_file *mf, const char *name);
const struct field *entity_find_field(const struct entity *e, const char *name);
/* The table name: @sql:Name value or the bare entity name. */
const char *entity_table_name(const struct entity *e);
/* The column name: @sql:Name value or the bare field name. */
const char *field_column_name(const struct field *f);
/* An annotation of e/f by module and name, NULL when absent. */
const struct annotation *entity_annotation(const struct entity *e, const char *module,
					   const char *name);
const struct annotation *field_annotation(const struct field *f, const char *module,
					  const char *name);
/* FNV-1a of a name, for the indexes. */
uint32_t ast_name_hash(const char *s);
/* The name without a leading quote (pointer into the same string). */
const char *bare_identifier(const char *name);

#endif
