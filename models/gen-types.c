/* persist_types.bal (reference/codegen.md §4): the record types of every entity, written in the
 * shape the Ballerina formatter gives them. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/gen.h"

/* Ballerina's reserved words (model-language.md §4.2), sorted for bsearch. Upstream's extraction
 * quotes a field name that is one of them, so generated code writes 'version. */
static const char *const reserved_words[] = {
	"abort",
	"aborted",
	"abstract",
	"all",
	"annotation",
	"any",
	"anydata",
	"as",
	"ascending",
	"boolean",
	"break",
	"but",
	"by",
	"byte",
	"catch",
	"channel",
	"check",
	"checkpanic",
	"client",
	"committed",
	"const",
	"continue",
	"decimal",
	"default",
	"descending",
	"else",
	"enum",
	"error",
	"every",
	"external",
	"final",
	"finally",
	"float",
	"flush",
	"followed",
	"for",
	"foreach",
	"forever",
	"fork",
	"from",
	"full",
	"function",
	"future",
	"group",
	"handle",
	"having",
	"if",
	"import",
	"in",
	"init",
	"inner",
	"int",
	"is",
	"join",
	"json",
	"left",
	"limit",
	"listener",
	"lock",
	"map",
	"match",
	"new",
	"object",
	"on",
	"onretry",
	"order",
	"outer",
	"panic",
	"parameter",
	"primarykey",
	"private",
	"public",
	"record",
	"remote",
	"resource",
	"retries",
	"retry",
	"return",
	"returns",
	"right",
	"service",
	"snapshot",
	"some",
	"source",
	"start",
	"stream",
	"string",
	"table",
	"throw",
	"transaction",
	"transformer",
	"trap",
	"try",
	"type",
	"typedesc",
	"typeof",
	"unidirectional",
	"untaint",
	"var",
	"version",
	"wait",
	"where",
	"while",
	"window",
	"with",
	"within",
	"worker",
	"xml",
	"xmlns",
};

static int cmp_word(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

bool gen_is_reserved_word(const char *name)
{
	return bsearch(name, reserved_words, ELEMENTSOF(reserved_words), sizeof(reserved_words[0]),
		       cmp_word) != NULL;
}

int gen_add_field_name(struct buf *b, const char *name)
{
	if (name[0] != '\'' && gen_is_reserved_word(name))
		return buf_addf(b, "'%s", name);
	return buf_adds(b, name);
}

static bool is_relation(const struct field *f)
{
	return f->type.kind == FIELD_TYPE_ENTITY;
}

static bool is_owner(const struct field *f)
{
	return is_relation(f) && f->relation && f->relation_owner && f->relation->owner_field == f;
}

/* The element type as the model wrote it: time:X keeps its prefix, other prefixes are dropped
 * by extraction (codegen.md §12 #7). */
static int add_type(struct buf *b, const struct field_type *t, bool with_nil)
{
	int r;

	if (t->kind == FIELD_TYPE_OTHER)
		r = buf_adds(b, t->name);
	else if (t->module && streq(t->module, "time"))
		r = buf_addf(b, "time:%s", t->name);
	else
		r = buf_adds(b, t->name);
	if (r >= 0 && t->array)
		r = buf_adds(b, "[]");
	if (r >= 0 && with_nil && t->nillable)
		r = buf_addc(b, '?');
	return r;
}

static int add_constraint(struct buf *b, const struct field *f)
{
	if (!f->constraint_key || !f->constraint_value)
		return 0;
	return buf_addf(b, "    @constraint:String {\n        %s: %s\n    }\n", f->constraint_key,
			f->constraint_value);
}

enum member_style {
	STYLE_ENTITY, /* readonly keys, fields as declared */
	STYLE_OPTIONALIZED, /* every field optional, no readonly */
	STYLE_INSERT, /* non-key fields as declared, no constraints */
	STYLE_UPDATE, /* non-key fields, optional */
};

/* The foreign-key fields an owner relation contributes, at the relation field's position. */
static int add_foreign_keys(struct buf *b, const struct relation *rel, enum member_style style)
{
	int r = 0;

	for (size_t k = 0; r >= 0 && k < rel->n_keys; k++) {
		const struct field *ref = rel->keys[k].ref_key;

		if (style != STYLE_INSERT)
			r = add_constraint(b, ref);
		if (r >= 0)
			r = buf_adds(b, "    ");
		if (r >= 0)
			r = add_type(b, &ref->type, false);
		if (r >= 0)
			r = buf_addf(b, " %s%s;\n", rel->keys[k].fk_name,
				     style == STYLE_OPTIONALIZED || style == STYLE_UPDATE ? "?"
											  : "");
	}
	return r;
}

static int add_members(struct buf *b, const struct entity *e, enum member_style style)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		bool optional = style == STYLE_OPTIONALIZED || style == STYLE_UPDATE;

		/* Fields named by @sql:Relation appear at the relation field's position. */
		if (f->fk_of)
			continue;
		if (is_relation(f)) {
			if (is_owner(f))
				r = add_foreign_keys(b, f->relation, style);
			continue;
		}
		if (f->readonly && (style == STYLE_INSERT || style == STYLE_UPDATE))
			continue;
		if (style != STYLE_INSERT)
			r = add_constraint(b, f);
		if (r >= 0)
			r = buf_adds(b, f->readonly && style == STYLE_ENTITY ? "    readonly "
									     : "    ");
		/* Keys cannot be nillable, so a key never shows a nil marker. */
		if (r >= 0)
			r = add_type(b, &f->type, !(f->readonly && style == STYLE_ENTITY));
		if (r >= 0)
			r = buf_addc(b, ' ');
		if (r >= 0)
			r = gen_add_field_name(b, f->name);
		if (r >= 0)
			r = buf_adds(b, optional || f->optional ? "?;\n" : ";\n");
	}
	return r;
}

static bool has_relations(const struct entity *e)
{
	for (size_t i = 0; i < e->n_fields; i++)
		if (is_relation(e->fields[i]))
			return true;
	return false;
}

static bool has_generated(const struct entity *e)
{
	for (size_t i = 0; i < e->n_fields; i++)
		if (e->fields[i]->generated)
			return true;
	return false;
}

static int add_entity(struct buf *b, const struct entity *e, const struct gen_options *o)
{
	const char *n = e->name;
	bool relations = has_relations(e);
	int r;

	r = buf_addf(b, "public type %s record {|\n", n);
	if (r >= 0)
		r = add_members(b, e, STYLE_ENTITY);
	if (r >= 0)
		r = buf_addf(b, "|};\n\npublic type %sOptionalized record {|\n", n);
	if (r >= 0)
		r = add_members(b, e, STYLE_OPTIONALIZED);
	if (r >= 0)
		r = buf_adds(b, "|};\n\n");
	if (r >= 0 && relations) {
		r = buf_addf(b, "public type %sWithRelations record {|\n    *%sOptionalized;\n", n,
			     n);
		for (size_t i = 0; r >= 0 && i < e->n_fields; i++) {
			const struct field *f = e->fields[i];
			if (!is_relation(f))
				continue;
			r = buf_addf(b, "    %sOptionalized%s ", f->type.name,
				     f->type.array ? "[]" : "");
			if (r >= 0)
				r = gen_add_field_name(b, f->name);
			if (r >= 0)
				r = buf_adds(b, "?;\n");
		}
		if (r >= 0)
			r = buf_adds(b, "|};\n\n");
	}
	if (r >= 0)
		r = buf_addf(b, "public type %sTargetType typedesc<%s%s>;\n\n", n, n,
			     relations ? "WithRelations" : "Optionalized");
	if (r >= 0) {
		if (datastore_is_sql(o->datastore) && has_generated(e)) {
			r = buf_addf(b, "public type %sInsert record {|\n", n);
			if (r >= 0)
				r = add_members(b, e, STYLE_INSERT);
			if (r >= 0)
				r = buf_adds(b, "|};\n\n");
		} else {
			r = buf_addf(b, "public type %sInsert %s;\n\n", n, n);
		}
	}
	if (r >= 0)
		r = buf_addf(b, "public type %sUpdate record {|\n", n);
	if (r >= 0)
		r = add_members(b, e, STYLE_UPDATE);
	if (r >= 0)
		r = buf_adds(b, "|};\n");
	return r;
}

static int add_enum(struct buf *b, const struct enum_type *et)
{
	int r = buf_addf(b, "public enum %s {\n", et->name);

	for (size_t i = 0; r >= 0 && i < et->n_members; i++) {
		const struct enum_member *m = &et->members[i];
		r = buf_addf(b, "    %s", m->name);
		if (r >= 0 && m->value_text)
			r = buf_addf(b, " = \"%s\"", m->value);
		if (r >= 0)
			r = buf_adds(b, i + 1 < et->n_members ? ",\n" : "\n");
	}
	return r < 0 ? r : buf_adds(b, "}\n");
}

int gen_types(const struct model_file *mf, const struct gen_options *o, struct buf *out)
{
	bool first = true;
	int r;

	r = buf_addf(
		out,
		"// AUTO-GENERATED FILE. DO NOT MODIFY.\n\n"
		"// This file is an auto-generated file by Ballerina persistence layer for %s.\n"
		"// It should not be modified by hand.\n\n",
		o->model_name ? o->model_name : "model");
	/* Module prefixes recorded during extraction, sorted: constraint before time. */
	if (r >= 0 && mf->imports_constraint)
		r = buf_adds(out, "import ballerina/constraint;\n");
	if (r >= 0 && mf->uses_time)
		r = buf_adds(out, "import ballerina/time;\n");
	if (r >= 0 && (mf->imports_constraint || mf->uses_time))
		r = buf_addc(out, '\n');
	for (size_t i = 0; r >= 0 && i < mf->n_enums; i++) {
		if (!first)
			r = buf_addc(out, '\n');
		if (r >= 0)
			r = add_enum(out, mf->enums[i]);
		first = false;
	}
	for (size_t i = 0; r >= 0 && i < mf->n_entities; i++) {
		if (!first)
			r = buf_addc(out, '\n');
		if (r >= 0)
			r = add_entity(out, mf->entities[i], o);
		first = false;
	}
	return r < 0 ? r : buf_addc(out, '\n');
}
