#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/diagnostic.h"
#include "models/names.h"
#include "models/parser.h"
#include "models/validate.h"

enum store_rules {
	RULES_SQL,
	RULES_GOOGLESHEETS,
	RULES_REDIS,
	RULES_INMEMORY,
};

static const struct {
	const char *name;
	enum store_rules rules;
} datastores[] = {
	{ "mysql", RULES_SQL },
	{ "mssql", RULES_SQL },
	{ "postgresql", RULES_SQL },
	{ "h2", RULES_SQL },
	{ "googlesheets", RULES_GOOGLESHEETS },
	{ "redis", RULES_REDIS },
	{ "inmemory", RULES_INMEMORY },
};

bool model_datastore_known(const char *datastore)
{
	for (size_t i = 0; i < ELEMENTSOF(datastores); i++)
		if (streq(datastore, datastores[i].name))
			return true;
	return false;
}

enum import_kind {
	IMPORT_PERSIST,
	IMPORT_SQL,
	IMPORT_TIME,
	IMPORT_CONSTRAINT,
	IMPORT_UNKNOWN,
};

struct validator {
	const struct model_file *mf;
	struct diag_list *d;
	enum store_rules rules;
	enum import_kind *import_kinds;
	bool *import_used;
	struct name_map prefixes; /* effective prefix -> import index + 1 ("_" left out) */
	struct name_map other_types; /* names of type definitions that are not records */
};

#define ERR(v, code, pos, ...)                                                     \
	do {                                                                       \
		int _r = diag_add((v)->d, (code), DIAG_ERROR, (pos), __VA_ARGS__); \
		if (_r < 0)                                                        \
			return _r;                                                 \
	} while (0)

static const struct model_pos no_pos = { 0, 0, 0 };

/* ---- stage 1: what the compiler rejects ------------------------------------------------------ */

static enum import_kind import_kind_of(const struct model_import *imp)
{
	if (!imp->org)
		return IMPORT_UNKNOWN;
	if (streq(imp->org, "ballerina") && streq(imp->module, "persist"))
		return IMPORT_PERSIST;
	if (streq(imp->org, "ballerinax") && streq(imp->module, "persist.sql"))
		return IMPORT_SQL;
	if (streq(imp->org, "ballerina") && streq(imp->module, "time"))
		return IMPORT_TIME;
	if (streq(imp->org, "ballerina") && streq(imp->module, "constraint"))
		return IMPORT_CONSTRAINT;
	return IMPORT_UNKNOWN;
}

/* The import a module prefix refers to (marking it used), or -1. */
static ssize_t lookup_prefix(struct validator *v, const char *prefix)
{
	size_t i = (size_t)(uintptr_t)name_map_get(&v->prefixes, prefix);

	if (i == 0)
		return -1;
	v->import_used[i - 1] = true;
	return (ssize_t)(i - 1);
}

static int check_imports(struct validator *v)
{
	const struct model_file *mf = v->mf;
	int r;

	for (size_t i = 0; i < mf->n_imports; i++) {
		const struct model_import *imp = &mf->imports[i];
		v->import_kinds[i] = import_kind_of(imp);
		if (v->import_kinds[i] == IMPORT_UNKNOWN)
			ERR(v, DIAG_UNSUPPORTED_MODULE, imp->pos,
			    "module '%s%s%s' is not supported in a model; use ballerina/persist, "
			    "ballerinax/persist.sql, ballerina/time or ballerina/constraint",
			    imp->org ? imp->org : "", imp->org ? "/" : "", imp->module);
		if (streq(imp->effective_prefix, "_"))
			continue;
		r = name_map_add(&v->prefixes, imp->effective_prefix, (void *)(uintptr_t)(i + 1),
				 NULL);
		if (r < 0)
			return r;
		if (r > 0)
			ERR(v, DIAG_REDECLARED, imp->prefix_pos, "redeclared import prefix '%s'",
			    imp->effective_prefix);
	}
	return 0;
}

static int check_unused_imports(struct validator *v)
{
	for (size_t i = 0; i < v->mf->n_imports; i++) {
		const struct model_import *imp = &v->mf->imports[i];
		if (v->import_used[i] || streq(imp->effective_prefix, "_") ||
		    v->import_kinds[i] == IMPORT_UNKNOWN)
			continue;
		ERR(v, DIAG_UNUSED_IMPORT, imp->pos, "unused module prefix '%s'",
		    imp->effective_prefix);
	}
	return 0;
}

static bool is_other_type_name(const struct validator *v, const char *name)
{
	return name_map_get(&v->other_types, name) != NULL;
}

static bool is_builtin_name(const char *name)
{
	static const char *const builtins[] = { "json",	  "anydata", "any",
						"handle", "never",   "readonly" };

	for (size_t i = 0; i < ELEMENTSOF(builtins); i++)
		if (streq(name, builtins[i]))
			return true;
	return false;
}

static int check_field_type(struct validator *v, const struct field *f)
{
	const struct field_type *t = &f->type;
	ssize_t imp;

	switch (t->kind) {
	case FIELD_TYPE_NAME:
		if (is_builtin_name(bare_identifier(t->name)) ||
		    is_other_type_name(v, bare_identifier(t->name)))
			return 0;
		ERR(v, DIAG_UNDEFINED_TYPE, t->pos, "unknown type '%s'", t->name);
		return 0;
	case FIELD_TYPE_TIME:
	case FIELD_TYPE_QUALIFIED:
		imp = lookup_prefix(v, t->module);
		if (imp < 0)
			ERR(v, DIAG_UNDEFINED_MODULE, t->pos, "undefined module '%s'", t->module);
		else if (v->import_kinds[imp] != IMPORT_TIME)
			ERR(v, DIAG_UNDEFINED_TYPE, t->pos, "unknown type '%s:%s'", t->module,
			    t->name);
		return 0;
	default:
		return 0;
	}
}

enum attach_point {
	ATTACH_TYPE,
	ATTACH_FIELD,
	ATTACH_ENUM,
};

enum value_shape {
	SHAPE_STRING,
	SHAPE_INT,
	SHAPE_STRING_ARRAY,
	SHAPE_INDEX_NAME, /* string|string[]? */
	SHAPE_INT_PAIR, /* [int, int] */
};

struct sql_annotation {
	const char *name;
	bool on_type, on_field;
	const char *key; /* the one field its record type has; NULL for none */
	enum value_shape shape;
	bool required;
};

static const struct sql_annotation sql_annotations[] = {
	{ "Name", true, true, "value", SHAPE_STRING, true },
	{ "Schema", true, false, "value", SHAPE_STRING, true },
	{ "Index", false, true, "name", SHAPE_INDEX_NAME, false },
	{ "UniqueIndex", false, true, "name", SHAPE_INDEX_NAME, false },
	{ "Varchar", false, true, "length", SHAPE_INT, false },
	{ "Char", false, true, "length", SHAPE_INT, false },
	{ "Decimal", false, true, "precision", SHAPE_INT_PAIR, false },
	{ "Relation", false, true, "keys", SHAPE_STRING_ARRAY, true },
	{ "Generated", false, true, NULL, SHAPE_STRING, false },
};

static const char *const constraint_annotations[] = { "String", "Int",	"Float",
						      "Number", "Date", "Array" };

static bool list_of(const struct annotation_value *val, enum annotation_value_kind kind)
{
	if (val->kind != ANNOTATION_VALUE_LIST)
		return false;
	for (size_t i = 0; i < val->n_items; i++)
		if (val->items[i].kind != kind)
			return false;
	return true;
}

static bool shape_matches(const struct annotation_value *val, enum value_shape shape)
{
	switch (shape) {
	case SHAPE_STRING:
		return val->kind == ANNOTATION_VALUE_STRING;
	case SHAPE_INT:
		return val->kind == ANNOTATION_VALUE_INT;
	case SHAPE_STRING_ARRAY:
		return list_of(val, ANNOTATION_VALUE_STRING);
	case SHAPE_INDEX_NAME:
		return val->kind == ANNOTATION_VALUE_STRING || val->kind == ANNOTATION_VALUE_NIL ||
		       list_of(val, ANNOTATION_VALUE_STRING);
	case SHAPE_INT_PAIR:
		return list_of(val, ANNOTATION_VALUE_INT) && val->n_items == 2;
	}
	return false;
}

static const char *shape_name(enum value_shape shape)
{
	switch (shape) {
	case SHAPE_STRING:
		return "a string";
	case SHAPE_INT:
		return "an int";
	case SHAPE_STRING_ARRAY:
		return "a string array";
	case SHAPE_INDEX_NAME:
		return "a string or a string array";
	case SHAPE_INT_PAIR:
		return "two ints [precision, scale]";
	}
	return "";
}

static int check_sql_annotation_value(struct validator *v, const struct annotation *a,
				      const struct sql_annotation *def)
{
	bool seen_key = false;

	for (size_t i = 0; i < a->n_fields; i++) {
		const struct annotation_value *f = &a->fields[i];
		if (!f->key) {
			ERR(v, DIAG_ANNOTATION_VALUE, f->pos,
			    "a spread field is not allowed in annotation 'sql:%s'", a->name);
			continue;
		}
		if (!def->key || !streq(f->key, def->key)) {
			ERR(v, DIAG_ANNOTATION_VALUE, f->key_pos,
			    "undefined field '%s' in annotation 'sql:%s'", f->key, a->name);
			continue;
		}
		if (seen_key) {
			ERR(v, DIAG_ANNOTATION_VALUE, f->key_pos,
			    "duplicate field '%s' in annotation 'sql:%s'", f->key, a->name);
			continue;
		}
		seen_key = true;
		if (!shape_matches(f, def->shape))
			ERR(v, DIAG_ANNOTATION_VALUE, f->pos,
			    "the '%s' of annotation 'sql:%s' must be %s, found '%s'", f->key,
			    a->name, shape_name(def->shape), f->text ? f->text : "");
	}
	if (def->required && !seen_key)
		ERR(v, DIAG_ANNOTATION_VALUE, a->pos,
		    "missing required field '%s' in annotation 'sql:%s'", def->key, a->name);
	return 0;
}

static const char *attach_name(enum attach_point at)
{
	return at == ATTACH_TYPE    ? "a type definition"
	       : at == ATTACH_FIELD ? "a record field"
				    : "an enum";
}

static bool same_annotation(const struct annotation *a, const struct annotation *b)
{
	return streq_ptr(a->module, b->module) && streq(a->name, b->name);
}

/* Whether list[i] repeats an earlier annotation. Long lists go through names (name -> first
 * index + 1), so a hostile model cannot make this quadratic. */
static int annotation_repeated(const struct annotation *list, size_t i, struct name_map *names)
{
	void *first = NULL;
	int r;

	r = name_map_add(names, list[i].name, (void *)(uintptr_t)(i + 1), &first);
	if (r <= 0)
		return r;
	if (same_annotation(&list[(size_t)(uintptr_t)first - 1], &list[i]))
		return 1;
	/* the same name in another module: rare, look at every earlier one */
	for (size_t k = 0; k < i; k++)
		if (same_annotation(&list[k], &list[i]))
			return 1;
	return 0;
}

static int check_annotations(struct validator *v, const struct annotation *list, size_t n,
			     enum attach_point at)
{
	_cleanup_(name_map_releasep) struct name_map names = { 0 };
	int r;

	r = name_map_init(&names, n, false);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct annotation *a = &list[i];
		ssize_t imp;

		r = annotation_repeated(list, i, &names);
		if (r < 0)
			return r;
		if (r > 0)
			ERR(v, DIAG_ANNOTATION_PLACE, a->pos,
			    "annotation '%s%s%s' is attached more than once",
			    a->module ? a->module : "", a->module ? ":" : "", a->name);
		if (!a->module) {
			if (!streq(a->name, "display") && !streq(a->name, "deprecated"))
				ERR(v, DIAG_UNDEFINED_ANNOTATION, a->pos,
				    "undefined annotation '%s'", a->name);
			continue;
		}
		imp = lookup_prefix(v, a->module);
		if (imp < 0) {
			ERR(v, DIAG_UNDEFINED_MODULE, a->pos, "undefined module '%s'", a->module);
			continue;
		}
		if (v->import_kinds[imp] == IMPORT_SQL) {
			const struct sql_annotation *def = NULL;
			for (size_t k = 0; k < ELEMENTSOF(sql_annotations); k++)
				if (streq(a->name, sql_annotations[k].name))
					def = &sql_annotations[k];
			if (!def) {
				ERR(v, DIAG_UNDEFINED_ANNOTATION, a->pos,
				    "undefined annotation '%s:%s'", a->module, a->name);
				continue;
			}
			if ((at == ATTACH_TYPE && !def->on_type) ||
			    (at == ATTACH_FIELD && !def->on_field) || at == ATTACH_ENUM) {
				ERR(v, DIAG_ANNOTATION_PLACE, a->pos,
				    "annotation '%s:%s' is not allowed on %s", a->module, a->name,
				    attach_name(at));
				continue;
			}
			r = check_sql_annotation_value(v, a, def);
			if (r < 0)
				return r;
			continue;
		}
		if (v->import_kinds[imp] == IMPORT_CONSTRAINT) {
			bool known = false;
			for (size_t k = 0; k < ELEMENTSOF(constraint_annotations); k++)
				known |= streq(a->name, constraint_annotations[k]);
			if (!known)
				ERR(v, DIAG_UNDEFINED_ANNOTATION, a->pos,
				    "undefined annotation '%s:%s'", a->module, a->name);
			else if (at == ATTACH_ENUM)
				ERR(v, DIAG_ANNOTATION_PLACE, a->pos,
				    "annotation '%s:%s' is not allowed on %s", a->module, a->name,
				    attach_name(at));
			continue;
		}
		ERR(v, DIAG_UNDEFINED_ANNOTATION, a->pos, "undefined annotation '%s:%s'", a->module,
		    a->name);
	}
	return 0;
}

/* Add name to a set; 1 when it was there already. */
static int seen_before(struct name_map *m, const char *name)
{
	return name_map_add(m, name, (void *)1, NULL);
}

/* Module-level names (entities, enums, other type definitions) share one namespace, compared
 * without the quote; enum members are constants in another one. Also fills v->other_types. */
static int check_names(struct validator *v)
{
	const struct model_file *mf = v->mf;
	_cleanup_(name_map_releasep) struct name_map top = { 0 }, members = { 0 };
	size_t n_members = 0;
	int r;

	for (size_t i = 0; i < mf->n_enums; i++)
		n_members += mf->enums[i]->n_members;
	r = name_map_init(&top, mf->n_entities + mf->n_enums + mf->n_others, false);
	if (r >= 0)
		r = name_map_init(&members, n_members, false);
	if (r < 0)
		return r;
	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		_cleanup_(name_map_releasep) struct name_map fields = { 0 };

		r = seen_before(&top, e->bare_name);
		if (r < 0)
			return r;
		if (r > 0)
			ERR(v, DIAG_REDECLARED, e->pos, "redeclared symbol '%s'", e->bare_name);
		r = name_map_init(&fields, e->n_fields, false);
		if (r < 0)
			return r;
		for (size_t k = 0; k < e->n_fields; k++) {
			r = seen_before(&fields, e->fields[k]->bare_name);
			if (r < 0)
				return r;
			if (r > 0)
				ERR(v, DIAG_REDECLARED, e->fields[k]->pos, "redeclared field '%s'",
				    e->fields[k]->bare_name);
		}
	}
	for (size_t i = 0; i < mf->n_enums; i++) {
		const struct enum_type *en = mf->enums[i];
		r = seen_before(&top, en->bare_name);
		if (r < 0)
			return r;
		if (r > 0)
			ERR(v, DIAG_REDECLARED, en->pos, "redeclared symbol '%s'", en->bare_name);
		for (size_t m = 0; m < en->n_members; m++) {
			const struct enum_member *mem = &en->members[m];
			r = seen_before(&members, bare_identifier(mem->name));
			if (r < 0)
				return r;
			if (r > 0)
				ERR(v, DIAG_REDECLARED, mem->pos, "redeclared symbol '%s'",
				    bare_identifier(mem->name));
			if (mem->value_text && !mem->value_is_string)
				ERR(v, DIAG_ENUM_VALUE, mem->value_pos,
				    "the value of enum member '%s' must be a string constant, found '%s'",
				    mem->name, mem->value_text);
		}
	}
	for (size_t i = 0; i < mf->n_others; i++) {
		const struct model_member *o = &mf->others[i];
		if (o->kind != MODEL_MEMBER_TYPE || !o->name)
			continue;
		r = seen_before(&top, bare_identifier(o->name));
		if (r >= 0)
			r = name_map_add(&v->other_types, bare_identifier(o->name), (void *)1,
					 NULL);
		if (r < 0)
			return r;
		if (r > 0)
			ERR(v, DIAG_REDECLARED, o->pos, "redeclared symbol '%s'",
			    bare_identifier(o->name));
	}
	return 0;
}

static int stage_compile(struct validator *v)
{
	const struct model_file *mf = v->mf;
	int r;

	r = check_imports(v);
	if (r < 0)
		return r;
	r = check_names(v);
	if (r < 0)
		return r;
	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		r = check_annotations(v, e->annotations, e->n_annotations, ATTACH_TYPE);
		if (r < 0)
			return r;
		for (size_t k = 0; k < e->n_fields; k++) {
			r = check_field_type(v, e->fields[k]);
			if (r < 0)
				return r;
			r = check_annotations(v, e->fields[k]->annotations,
					      e->fields[k]->n_annotations, ATTACH_FIELD);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < mf->n_enums; i++) {
		const struct enum_type *en = mf->enums[i];
		r = check_annotations(v, en->annotations, en->n_annotations, ATTACH_ENUM);
		if (r < 0)
			return r;
		for (size_t m = 0; m < en->n_members; m++) {
			r = check_annotations(v, en->members[m].annotations,
					      en->members[m].n_annotations, ATTACH_ENUM);
			if (r < 0)
				return r;
		}
	}
	return check_unused_imports(v);
}

/* ---- stage 2a: the persist plugin ------------------------------------------------------------ */

static bool is_time_type_supported(const struct field_type *t)
{
	return t->kind == FIELD_TYPE_TIME &&
	       (streq(t->name, "Date") || streq(t->name, "TimeOfDay") || streq(t->name, "Utc") ||
		streq(t->name, "Civil"));
}

static bool is_simple(const struct field_type *t)
{
	switch (t->kind) {
	case FIELD_TYPE_INT:
	case FIELD_TYPE_BOOLEAN:
	case FIELD_TYPE_DECIMAL:
	case FIELD_TYPE_FLOAT:
	case FIELD_TYPE_STRING:
	case FIELD_TYPE_ENUM:
		return true;
	default:
		return false;
	}
}

static int check_field_rules(struct validator *v, const struct field *f)
{
	const struct field_type *t = &f->type;

	if (f->optional) {
		if (v->rules != RULES_REDIS)
			ERR(v, "PERSIST_304", f->pos, "an entity does not support optional field");
		else if (f->readonly)
			ERR(v, "PERSIST_309", f->pos,
			    "an entity does not support optional readonly field");
	}
	if (t->kind == FIELD_TYPE_ENTITY || v->rules == RULES_INMEMORY)
		return 0;
	if (t->array) {
		if (!(v->rules == RULES_SQL && t->kind == FIELD_TYPE_BYTE))
			ERR(v, "PERSIST_306", t->pos,
			    "an entity does not support %s array field type", t->label);
		return 0;
	}
	if (!is_simple(t) && !is_time_type_supported(t)) {
		ERR(v, "PERSIST_305", t->pos, "an entity does not support %s-typed field",
		    t->label);
		return 0;
	}
	if (t->nillable &&
	    ((v->rules == RULES_GOOGLESHEETS && is_simple(t)) || v->rules == RULES_REDIS))
		ERR(v, "PERSIST_308", t->pos, "an entity does not support nillable field");
	return 0;
}

static bool is_key_type(const struct field_type *t)
{
	switch (t->kind) {
	case FIELD_TYPE_INT:
	case FIELD_TYPE_BOOLEAN:
	case FIELD_TYPE_DECIMAL:
	case FIELD_TYPE_FLOAT:
	case FIELD_TYPE_STRING:
		return !t->array;
	default:
		return false;
	}
}

static int check_keys(struct validator *v, const struct entity *e)
{
	if (e->n_keys == 0)
		ERR(v, "PERSIST_501", e->pos,
		    "'%s' entity must have at least one identity readonly field", e->bare_name);
	for (size_t i = 0; i < e->n_keys; i++) {
		const struct field_type *t = &e->keys[i]->type;
		if (t->nillable)
			ERR(v, "PERSIST_502", t->pos, "an identity field cannot be nillable");
		if (!is_key_type(t)) {
			size_t n = strlen(t->text);
			if (t->nillable && n > 0 && t->text[n - 1] == '?')
				n--;
			ERR(v, "PERSIST_503", t->pos,
			    "only 'int', 'string', 'float', 'boolean', 'decimal' types are supported as "
			    "identity fields, found '%.*s'",
			    (int)n, t->text);
		}
	}
	return 0;
}

static int check_entity(struct validator *v, const struct entity *e, struct name_map *entity_names)
{
	_cleanup_(name_map_releasep) struct name_map fields = { 0 };
	int r;

	r = seen_before(entity_names, e->bare_name);
	if (r < 0)
		return r;
	if (r > 0)
		ERR(v, "PERSIST_202", e->pos, "redeclared entity '%s'", e->bare_name);
	r = name_map_init(&fields, e->n_fields, true);
	if (r < 0)
		return r;
	if (!e->closed)
		ERR(v, "PERSIST_201", e->record_pos, "an entity should be a closed record");
	for (size_t i = 0; i < e->n_rest_fields; i++)
		ERR(v, "PERSIST_301", e->rest_fields[i],
		    "an entity does not support rest descriptor field");
	for (size_t i = 0; i < e->n_inclusions; i++)
		ERR(v, "PERSIST_303", e->inclusions[i],
		    "an entity does not support inherited field");
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		if (f->has_default)
			ERR(v, "PERSIST_302", f->pos,
			    "an entity does not support defaultable field");
		r = seen_before(&fields, f->bare_name);
		if (r < 0)
			return r;
		if (r > 0)
			ERR(v, "PERSIST_307", f->pos, "redeclared field '%s'", f->bare_name);
		r = check_field_rules(v, f);
		if (r < 0)
			return r;
	}
	return check_keys(v, e);
}

static size_t pair_low(const struct relation *r)
{
	return MIN(r->owner->index, r->ref->index);
}

static size_t pair_high(const struct relation *r)
{
	return MAX(r->owner->index, r->ref->index);
}

static int compare_pairs(const void *x, const void *y)
{
	const struct relation *a = *(const struct relation *const *)x;
	const struct relation *b = *(const struct relation *const *)y;

	if (pair_low(a) != pair_low(b))
		return pair_low(a) < pair_low(b) ? -1 : 1;
	if (pair_high(a) != pair_high(b))
		return pair_high(a) < pair_high(b) ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Every relation between the same two entities needs the owner of the first one. Sorting by
 * entity pair keeps this linear-logarithmic however many relations there are. */
static int check_owners(struct validator *v)
{
	const struct model_file *mf = v->mf;
	_cleanup_free_ const struct relation **sorted = NULL;
	size_t n = 0;

	if (mf->n_relations < 2)
		return 0;
	sorted = new0(const struct relation *, mf->n_relations);
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < mf->n_relations; i++)
		if (mf->relations[i]->kind != RELATION_MANY_TO_MANY)
			sorted[n++] = mf->relations[i];
	qsort(sorted, n, sizeof(*sorted), compare_pairs);
	for (size_t i = 1, start = 0; i < n; i++) {
		const struct relation *first = sorted[start], *rel = sorted[i];
		if (pair_low(first) != pair_low(rel) || pair_high(first) != pair_high(rel)) {
			start = i;
			continue;
		}
		if (first->owner != rel->owner) {
			const struct field *later = rel->owner->index > rel->ref->index
							    ? rel->owner_field
							    : rel->ref_field;
			ERR(v, "PERSIST_403", later->type.pos,
			    "All relation between two entities should have a single owner");
		}
	}
	return 0;
}

static int check_relations(struct validator *v)
{
	const struct model_file *mf = v->mf;

	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		for (size_t k = 0; k < e->n_fields; k++) {
			const struct field *f = e->fields[k];
			if (f->type.kind != FIELD_TYPE_ENTITY || f->relation)
				continue;
			if (f->type.entity == e)
				ERR(v, "PERSIST_401", f->type.pos,
				    "an entity cannot reference itself in a relation field");
			else
				ERR(v, "PERSIST_402", f->type.pos,
				    "the related entity '%s' does not have the corresponding relation field",
				    f->type.entity->bare_name);
		}
	}
	for (size_t i = 0; i < mf->n_relations; i++) {
		const struct relation *rel = mf->relations[i];
		const struct field *a = rel->owner_field, *b = rel->ref_field;

		switch (rel->kind) {
		case RELATION_MANY_TO_MANY:
			ERR(v, "PERSIST_420", a->type.pos,
			    "many-to-many relation is not supported yet");
			ERR(v, "PERSIST_420", b->type.pos,
			    "many-to-many relation is not supported yet");
			continue;
		case RELATION_ONE_TO_MANY:
			if (a->type.nillable)
				ERR(v, "PERSIST_406", a->type.pos,
				    "1-n relationship does not support nillable relation field");
			if (b->type.nillable)
				ERR(v, "PERSIST_406", b->type.pos,
				    "1-n relationship does not support nillable relation field");
			break;
		case RELATION_ONE_TO_ONE:
			if (!a->type.nillable && !b->type.nillable) {
				ERR(v, "PERSIST_404", a->type.pos,
				    "1-1 relationship should have at least one relation field nillable to "
				    "indicate non-owner of the relationship");
				ERR(v, "PERSIST_404", b->type.pos,
				    "1-1 relationship should have at least one relation field nillable to "
				    "indicate non-owner of the relationship");
			} else if (a->type.nillable && b->type.nillable) {
				ERR(v, "PERSIST_405", a->type.pos,
				    "1-1 relationship should have only one nillable relation field");
				ERR(v, "PERSIST_405", b->type.pos,
				    "1-1 relationship should have only one nillable relation field");
			}
			break;
		}
		if (!rel->by_annotation) {
			for (size_t k = 0; k < rel->n_keys; k++) {
				const struct field *clash =
					entity_find_field(rel->owner, rel->keys[k].fk_name);
				if (clash && clash->type.kind != FIELD_TYPE_ENTITY && !clash->fk_of)
					ERR(v, "PERSIST_422", clash->pos,
					    "the entity should not contain foreign key field '%s' for relation "
					    "'%s'",
					    rel->keys[k].fk_name, rel->ref->bare_name);
			}
		}
	}
	return 0;
}

static int stage_persist(struct validator *v)
{
	const struct model_file *mf = v->mf;
	_cleanup_(name_map_releasep) struct name_map entity_names = { 0 };
	int r;

	r = name_map_init(&entity_names, mf->n_entities, true);
	if (r < 0)
		return r;
	for (size_t i = 0; i < mf->n_imports; i++)
		if (mf->imports[i].prefix && !streq(mf->imports[i].prefix, "_"))
			ERR(v, "PERSIST_102", mf->imports[i].prefix_pos,
			    "persist model definition does not support import prefix");
	for (size_t i = 0; i < mf->n_others; i++)
		ERR(v, "PERSIST_101", mf->others[i].pos,
		    "persist model definition only supports record and enum definitions");
	for (size_t i = 0; i < mf->n_entities; i++) {
		r = check_entity(v, mf->entities[i], &entity_names);
		if (r < 0)
			return r;
	}
	r = check_relations(v);
	if (r < 0)
		return r;
	return check_owners(v);
}

/* ---- stage 2b: the persist.sql plugin -------------------------------------------------------- */

static const char *string_value(const struct annotation *a, const char *key)
{
	const struct annotation_value *val;

	if (!a)
		return NULL;
	val = annotation_field(a, key);
	return val && val->kind == ANNOTATION_VALUE_STRING ? val->string : NULL;
}

static int check_table_names(struct validator *v)
{
	const struct model_file *mf = v->mf;
	_cleanup_(name_map_releasep) struct name_map mappings = { 0 };
	int r;

	r = name_map_init(&mappings, 16, false);
	if (r < 0)
		return r;
	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		const struct annotation *a = entity_annotation(e, "sql", "Name");
		const char *name = string_value(a, "value");
		const struct entity *other;
		bool mapped_before;

		if (!name)
			continue;
		r = seen_before(&mappings, name);
		if (r < 0)
			return r;
		mapped_before = r > 0;
		if (!*name) {
			ERR(v, "PERSIST_600", a->pos,
			    "invalid use of the `Name` annotation. mapping value cannot be empty.");
			continue;
		}
		if (streq(name, e->bare_name)) {
			r = diag_add(
				v->d, "PERSIST_601", DIAG_WARNING, a->pos,
				"redundant use of the `Name` annotation. mapping value is same as "
				"model definition.");
			if (r < 0)
				return r;
			continue;
		}
		other = model_find_entity(mf, name);
		if (other && other != e) {
			ERR(v, "PERSIST_620", a->pos,
			    "invalid use of the `Name` annotation. a mapping value should not conflict "
			    "with an Entity name.");
			continue;
		}
		if (mapped_before)
			ERR(v, "PERSIST_610", a->pos,
			    "invalid use of the `Name` annotation. duplicate mapping value found.");
	}
	return 0;
}

/* columns: the mapping values of the entity's fields seen so far */
static int check_column_name(struct validator *v, const struct entity *e, const struct field *f,
			     struct name_map *columns)
{
	const struct annotation *a = field_annotation(f, "sql", "Name");
	const char *name = string_value(a, "value");
	const struct field *other;
	bool mapped_before;
	int r;

	if (!a)
		return 0;
	if (f->type.kind == FIELD_TYPE_ENTITY) {
		ERR(v, "PERSIST_602", a->pos,
		    "invalid use of the `Name` annotation. the `Name` annotation cannot be used for "
		    "relation fields.");
		return 0;
	}
	if (!name)
		return 0;
	r = seen_before(columns, name);
	if (r < 0)
		return r;
	mapped_before = r > 0;
	if (!*name) {
		ERR(v, "PERSIST_600", a->pos,
		    "invalid use of the `Name` annotation. mapping value cannot be empty.");
		return 0;
	}
	if (streq(name, f->bare_name)) {
		r = diag_add(v->d, "PERSIST_601", DIAG_WARNING, a->pos,
			     "redundant use of the `Name` annotation. mapping value is same as "
			     "model definition.");
		return r < 0 ? r : 0;
	}
	other = entity_find_field(e, name);
	if (other && other != f) {
		ERR(v, "PERSIST_621", a->pos,
		    "invalid use of the `Name` annotation. a mapping value should not conflict with a "
		    "field name.");
		return 0;
	}
	if (mapped_before)
		ERR(v, "PERSIST_610", a->pos,
		    "invalid use of the `Name` annotation. duplicate mapping value found.");
	return 0;
}

static int check_index(struct validator *v, const struct field *f, bool unique)
{
	const char *ann = unique ? "UniqueIndex" : "Index";
	const struct annotation *a = field_annotation(f, "sql", ann);
	const struct annotation_value *val;
	_cleanup_(name_map_releasep) struct name_map seen = { 0 };

	if (!a)
		return 0;
	if (f->type.kind == FIELD_TYPE_ENTITY) {
		ERR(v, unique ? "PERSIST_612" : "PERSIST_611", a->pos,
		    "invalid use of the `%s` annotation. the `%s` annotation cannot be used for "
		    "relation fields.",
		    ann, ann);
		return 0;
	}
	val = annotation_field(a, "name");
	if (!val)
		return 0;
	if (val->kind == ANNOTATION_VALUE_STRING) {
		if (!*val->string)
			ERR(v, unique ? "PERSIST_623" : "PERSIST_622", val->pos,
			    unique ? "invalid use of the `UniqueIndex` annotation. unique index name "
				     "cannot be empty."
				   : "invalid use of the `Index` annotation. index name cannot be empty.");
		return 0;
	}
	if (val->kind != ANNOTATION_VALUE_LIST)
		return 0;
	if (val->n_items == 0) {
		ERR(v, unique ? "PERSIST_625" : "PERSIST_624", val->pos,
		    "invalid use of the `%s` annotation. name array should have at least one index "
		    "name.",
		    ann);
		return 0;
	}
	if (name_map_init(&seen, val->n_items, false) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < val->n_items; i++) {
		const struct annotation_value *item = &val->items[i];
		int r;
		if (item->kind != ANNOTATION_VALUE_STRING)
			continue;
		r = seen_before(&seen, item->string);
		if (r < 0)
			return r;
		if (!*item->string) {
			ERR(v, unique ? "PERSIST_616" : "PERSIST_615", item->pos,
			    "invalid use of the `%s` annotation. there cannot be empty index names.",
			    ann);
			continue;
		}
		if (r > 0)
			ERR(v, unique ? "PERSIST_614" : "PERSIST_613", item->pos,
			    "invalid use of the `%s` annotation. duplicate index names.", ann);
	}
	return 0;
}

/* An int literal's value; false when it is not one that fits. */
static bool int_value(const struct annotation_value *val, int64_t *ret)
{
	const char *s;
	bool neg = false;
	uint64_t u;

	if (!val || val->kind != ANNOTATION_VALUE_INT || !val->text)
		return false;
	s = val->text;
	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		char *end;
		errno = 0;
		u = strtoull(s + 2, &end, 16);
		if (errno || *end)
			return false;
	} else if (safe_atou64(s, &u) < 0) {
		return false;
	}
	if (u > INT64_MAX)
		return false;
	*ret = neg ? -(int64_t)u : (int64_t)u;
	return true;
}

static int check_lengths(struct validator *v, const struct field *f)
{
	static const char *const names[] = { "Varchar", "Char" };
	const struct annotation *anns[2];
	int64_t n;

	for (size_t i = 0; i < 2; i++) {
		const struct annotation *a = field_annotation(f, "sql", names[i]);
		anns[i] = a;
		if (!a)
			continue;
		if (f->type.kind != FIELD_TYPE_STRING || f->type.array) {
			ERR(v, "PERSIST_604", a->pos,
			    "invalid use of the `'%s'` annotation. the `'%s'` annotation can only be used "
			    "for 'string' type.",
			    names[i], names[i]);
			continue;
		}
		if (int_value(annotation_field(a, "length"), &n) && n == 0)
			ERR(v, "PERSIST_607", a->pos,
			    "invalid use of the `'%s'` annotation. length cannot be 0.", names[i]);
	}
	if (anns[0] && anns[1])
		ERR(v, "PERSIST_605", anns[1]->pos,
		    "invalid use of `Varchar` and `Char` annotations. only one of either `Varchar` or "
		    "`Char` annotations can be used at a time.");
	return 0;
}

static int check_decimal(struct validator *v, const struct field *f)
{
	const struct annotation *a = field_annotation(f, "sql", "Decimal");
	const struct annotation_value *val;
	int64_t precision, scale;

	if (!a)
		return 0;
	if (f->type.kind != FIELD_TYPE_DECIMAL || f->type.array) {
		ERR(v, "PERSIST_606", a->pos,
		    "invalid use of the `Decimal` annotation. the `Decimal` annotation can only be used "
		    "for 'decimal' type.");
		return 0;
	}
	val = annotation_field(a, "precision");
	if (!val || val->kind != ANNOTATION_VALUE_LIST || val->n_items != 2 ||
	    !int_value(&val->items[0], &precision) || !int_value(&val->items[1], &scale))
		return 0;
	if (precision == 0)
		ERR(v, "PERSIST_608", val->pos,
		    "invalid use of the `Decimal` annotation. precision cannot be 0.");
	else if (precision < scale)
		ERR(v, "PERSIST_609", val->pos,
		    "invalid use of the `Decimal` annotation. precision cannot be less than scale.");
	return 0;
}

static int check_generated(struct validator *v, const struct entity *e, const struct field *f)
{
	const struct annotation *a = field_annotation(f, "sql", "Generated");

	if (!a)
		return 0;
	if (!f->readonly || f->type.kind == FIELD_TYPE_ENTITY)
		ERR(v, "PERSIST_617", a->pos,
		    "invalid use of the `Generated` annotation. the `Generated` annotation can only be "
		    "used for 'readonly' fields.");
	else if (e->n_keys > 1)
		ERR(v, "PERSIST_618", a->pos,
		    "invalid use of the `Generated` annotation. partial key fields cannot be "
		    "auto-generated.");
	else if (f->type.kind != FIELD_TYPE_INT || f->type.array)
		ERR(v, "PERSIST_619", a->pos,
		    "invalid use of the `Generated` annotation. a generated field can only be an 'int' "
		    "type.");
	return 0;
}

static bool same_annotation_value(const struct field *a, const struct field *b, const char *name,
				  const char *key)
{
	const struct annotation *x = field_annotation(a, "sql", name);
	const struct annotation *y = field_annotation(b, "sql", name);
	const struct annotation_value *vx, *vy;

	if (!x || !y)
		return !x && !y;
	vx = annotation_field(x, key);
	vy = annotation_field(y, key);
	if (!vx || !vy)
		return !vx && !vy;
	return streq_ptr(vx->text, vy->text);
}

static bool same_key_type(const struct field *fk, const struct field *key)
{
	const struct field_type *a = &fk->type, *b = &key->type;

	if (a->kind != b->kind || a->array != b->array || a->nillable != b->nillable)
		return false;
	if (!streq(bare_identifier(a->name), bare_identifier(b->name)) ||
	    !streq_ptr(a->module, b->module))
		return false;
	return same_annotation_value(fk, key, "Varchar", "length") &&
	       same_annotation_value(fk, key, "Char", "length") &&
	       same_annotation_value(fk, key, "Decimal", "precision");
}

/* fk_used: the keys named by the @sql:Relation of earlier fields of e */
static int check_relation_annotation(struct validator *v, const struct entity *e,
				     const struct field *f, const struct name_map *fk_used)
{
	_cleanup_(name_map_releasep) struct name_map seen = { 0 };
	int r;

	const struct annotation *a = field_annotation(f, "sql", "Relation");
	const struct annotation_value *keys;
	const struct relation *rel = f->relation;
	const struct field *other;
	const struct entity *ref;

	if (!a || !rel || rel->kind == RELATION_MANY_TO_MANY)
		return 0;
	other = rel->owner_field == f ? rel->ref_field : rel->owner_field;
	ref = other->entity;
	if (rel->kind == RELATION_ONE_TO_MANY && f->type.array) {
		ERR(v, "PERSIST_426", a->pos,
		    "invalid use of the `Relation` annotation. the field '%s' is an array type in a 1-n "
		    "relationship. therefore, it cannot have foreign keys.",
		    f->bare_name);
		return 0;
	}
	if (rel->kind == RELATION_ONE_TO_ONE && f->type.nillable && !other->type.nillable) {
		ERR(v, "PERSIST_427", a->pos,
		    "invalid use of the `Relation` annotation. the field '%s' is an optional type in a "
		    "1-1 relationship. therefore, it cannot have foreign keys.",
		    f->bare_name);
		return 0;
	}
	keys = annotation_field(a, "keys");
	if (!keys || keys->kind != ANNOTATION_VALUE_LIST)
		return 0;
	r = name_map_init(&seen, keys->n_items, false);
	if (r < 0)
		return r;
	for (size_t i = 0; i < keys->n_items; i++) {
		if (keys->items[i].kind != ANNOTATION_VALUE_STRING)
			continue;
		r = seen_before(&seen, keys->items[i].string);
		if (r < 0)
			return r;
		if (r > 0) {
			ERR(v, "PERSIST_429", keys->pos,
			    "invalid use of the `Relation` annotation. keys cannot contain "
			    "duplicates.");
			return 0;
		}
	}
	if (keys->n_items != ref->n_keys) {
		ERR(v, "PERSIST_423", keys->pos,
		    "invalid use of the `Relation` annotation. mismatched number of reference keys for "
		    "relation '%s' in entity '%s'. expected %zu but found %zu.",
		    ref->bare_name, e->bare_name, ref->n_keys, keys->n_items);
		return 0;
	}
	{
		bool mismatch = false;
		for (size_t i = 0; i < keys->n_items; i++) {
			const struct annotation_value *item = &keys->items[i];
			const struct field *fk = entity_find_field(e, item->string);
			if (!fk) {
				ERR(v, "PERSIST_428", item->pos,
				    "invalid use of the `Relation` annotation. the field '%s' is not found "
				    "in the entity '%s'.",
				    item->string, e->bare_name);
				continue;
			}
			if (!mismatch && !same_key_type(fk, ref->keys[i])) {
				mismatch = true;
				ERR(v, "PERSIST_424", item->pos,
				    "invalid use of the `Relation` annotation. mismatched key types for the "
				    "related entity '%s'.",
				    ref->bare_name);
			}
		}
	}
	/* A foreign-key field serves one relation only. */
	for (size_t i = 0; i < keys->n_items; i++)
		if (name_map_get(fk_used, keys->items[i].string)) {
			ERR(v, "PERSIST_430", keys->items[i].pos,
			    "invalid use of the `Relation` annotation. duplicated key field.");
			return 0;
		}
	return 0;
}

/* Remember the keys an @sql:Relation of f names, for PERSIST_430 on later fields. */
static int note_relation_keys(const struct field *f, struct name_map *fk_used)
{
	const struct annotation *a = field_annotation(f, "sql", "Relation");
	const struct annotation_value *keys = a ? annotation_field(a, "keys") : NULL;

	if (!keys || keys->kind != ANNOTATION_VALUE_LIST)
		return 0;
	for (size_t i = 0; i < keys->n_items; i++)
		if (seen_before(fk_used, keys->items[i].string) < 0)
			return -ENOMEM;
	return 0;
}

static int stage_sql(struct validator *v)
{
	const struct model_file *mf = v->mf;
	int r;

	r = check_table_names(v);
	if (r < 0)
		return r;
	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		_cleanup_(name_map_releasep) struct name_map columns = { 0 }, fk_used = { 0 };

		r = name_map_init(&columns, 8, false);
		if (r >= 0)
			r = name_map_init(&fk_used, 8, false);
		if (r < 0)
			return r;
		for (size_t k = 0; k < e->n_fields; k++) {
			const struct field *f = e->fields[k];
			if (f->n_annotations == 0)
				continue;
			r = check_column_name(v, e, f, &columns);
			if (r >= 0)
				r = check_index(v, f, false);
			if (r >= 0)
				r = check_index(v, f, true);
			if (r >= 0)
				r = check_lengths(v, f);
			if (r >= 0)
				r = check_decimal(v, f);
			if (r >= 0)
				r = check_generated(v, e, f);
			if (r >= 0)
				r = check_relation_annotation(v, e, f, &fk_used);
			if (r >= 0)
				r = note_relation_keys(f, &fk_used);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- stage 3: extraction --------------------------------------------------------------------- */

static int stage_extract(struct validator *v)
{
	const struct model_file *mf = v->mf;
	bool any_supported = false;

	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		any_supported |= !e->unsupported;
		for (size_t k = 0; k < e->n_fields; k++)
			if (e->fields[k]->type.kind == FIELD_TYPE_OTHER)
				ERR(v, DIAG_UNSUPPORTED_TYPE, e->fields[k]->type.pos,
				    "unsupported data type found for the field `%s`",
				    e->fields[k]->name);
	}
	if (!any_supported)
		ERR(v, DIAG_NO_ENTITY, no_pos,
		    "all entities contain at least one unsupported data type.");
	return 0;
}

int model_validate(const struct model_file *mf, const char *datastore, struct diag_list *diags)
{
	_cleanup_free_ enum import_kind *kinds = NULL;
	_cleanup_free_ bool *used = NULL;
	struct validator v = { .mf = mf, .d = diags, .rules = RULES_INMEMORY };
	size_t errors = diags->n_errors;
	int r;

	if (datastore) {
		bool found = false;
		for (size_t i = 0; i < ELEMENTSOF(datastores) && !found; i++)
			if (streq(datastore, datastores[i].name)) {
				v.rules = datastores[i].rules;
				found = true;
			}
		if (!found)
			return -EINVAL;
	}
	kinds = new0(enum import_kind, mf->n_imports + 1);
	used = new0(bool, mf->n_imports + 1);
	if (!kinds || !used)
		return -ENOMEM;
	v.import_kinds = kinds;
	v.import_used = used;
	r = name_map_init(&v.prefixes, mf->n_imports, false);
	if (r >= 0)
		r = name_map_init(&v.other_types, mf->n_others, false);
	if (r < 0)
		goto done;

	r = stage_compile(&v);
	if (r < 0 || diags->n_errors > errors)
		goto done;
	if (!mf->has_persist_import) {
		r = diag_add(diags, DIAG_NO_PERSIST_IMPORT, DIAG_ERROR, no_pos,
			     "no `import ballerina/persist as _;` statement found.");
		goto done;
	}
	r = stage_persist(&v);
	if (r < 0)
		goto done;
	r = stage_sql(&v);
	if (r < 0 || diags->n_errors > errors)
		goto done;
	r = stage_extract(&v);
done:
	name_map_release(&v.prefixes);
	name_map_release(&v.other_types);
	if (r < 0)
		return r;
	diag_list_sort(diags);
	return 0;
}

int model_check(const char *text, size_t len, const char *file, const char *datastore,
		size_t max_bytes, struct model_file **ret_model, struct diag_list *diags)
{
	_cleanup_(model_file_freep) struct model_file *mf = NULL;
	struct pd_error err = { 0 };
	int r;

	if (datastore && !model_datastore_known(datastore))
		return -EINVAL;
	if (!diags->file) {
		r = diag_list_set_file(diags, file);
		if (r < 0)
			return r;
	}
	r = model_parse(text, len, file, max_bytes, &mf, &err);
	if (r == -EBADMSG || r == -EMSGSIZE) {
		int k = diag_add_parse_error(diags, &err);
		return k < 0 ? k : r;
	}
	if (r < 0)
		return r;
	r = model_validate(mf, datastore, diags);
	if (r < 0)
		return r;
	if (ret_model)
		*ret_model = TAKE_PTR(mf);
	return 0;
}
