#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "models/ast.h"
#include "models/relations.h"

/* Names of entities and enums, hashed: a 200-entity model resolves thousands of field types. */
struct name_table {
	const char **names;
	void **values;
	bool *is_entity;
	size_t cap;
};

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void name_table_put(struct name_table *t, const char *name, void *value, bool is_entity)
{
	size_t i = hash_name(name) & (t->cap - 1);

	while (t->names[i]) {
		if (strcmp(t->names[i], name) == 0)
			return; /* the first declaration wins; duplicates are the validator's
				   business */
		i = (i + 1) & (t->cap - 1);
	}
	t->names[i] = name;
	t->values[i] = value;
	t->is_entity[i] = is_entity;
}

static void *name_table_get(const struct name_table *t, const char *name, bool *is_entity)
{
	size_t i = hash_name(name) & (t->cap - 1);

	while (t->names[i]) {
		if (strcmp(t->names[i], name) == 0) {
			*is_entity = t->is_entity[i];
			return t->values[i];
		}
		i = (i + 1) & (t->cap - 1);
	}
	return NULL;
}

/* ---- upstream's annotation readers (§4.3) -----------------------------------------------------
 */

static const struct annotation_value *first_field(const struct annotation *a, const char *key)
{
	if (!a || a->n_fields == 0 || !a->fields[0].key || strcmp(a->fields[0].key, key) != 0)
		return NULL;
	return &a->fields[0];
}

/* Copy s[0..n) without any '"', trimmed of spaces. */
static char *strip_quotes_trim(struct arena *ar, const char *s, size_t n)
{
	char *out = arena_alloc(ar, n + 1);
	size_t k = 0, start = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '"')
			out[k++] = s[i];
	while (k > 0 && isspace((unsigned char)out[k - 1]))
		k--;
	out[k] = '\0';
	while (isspace((unsigned char)out[start]))
		start++;
	return out + start;
}

static int read_string(struct arena *ar, const struct annotation *a, const char *key,
		       const char **ret)
{
	const struct annotation_value *v = first_field(a, key);

	if (!v || !v->text)
		return 0;
	*ret = strip_quotes_trim(ar, v->text, strlen(v->text));
	return *ret ? 1 : -ENOMEM;
}

static bool text_is_string(const char *s)
{
	size_t n = strlen(s);
	return n >= 2 && s[0] == '"' && s[n - 1] == '"';
}

static bool text_is_array(const char *s)
{
	size_t n = strlen(s);
	return n >= 2 && s[0] == '[' && s[n - 1] == ']';
}

static int read_array(struct arena *ar, const struct annotation *a, const char *key,
		      const char ***ret, size_t *ret_n)
{
	const struct annotation_value *v = first_field(a, key);
	char *text, *item;
	const char **list;
	size_t k = 0, n = 0, count = 1;

	if (!v || !v->text)
		return 0;
	text = arena_strdup(ar, v->text);
	if (!text)
		return -ENOMEM;
	for (char *s = text; *s; s++)
		if (*s != '[' && *s != ']')
			text[k++] = *s;
	text[k] = '\0';
	text = strip_quotes_trim(ar, text, k);
	if (!text)
		return -ENOMEM;
	if (!*text)
		return 0;
	for (const char *s = text; *s; s++)
		count += *s == ',';
	list = arena_alloc(ar, count * sizeof(*list));
	if (!list)
		return -ENOMEM;
	item = text;
	for (;;) {
		char *comma = strchr(item, ',');
		size_t len = comma ? (size_t)(comma - item) : strlen(item);
		list[n] = strip_quotes_trim(ar, item, len);
		if (!list[n])
			return -ENOMEM;
		n++;
		if (!comma)
			break;
		item = comma + 1;
	}
	*ret = list;
	*ret_n = n;
	return 1;
}

static int read_index(struct arena *ar, const struct field *f, const struct annotation *a,
		      const char *default_prefix, const char ***ret, size_t *ret_n)
{
	const struct annotation_value *v = first_field(a, "name");
	const char **list;
	char *name;
	size_t plen, blen;

	if (v && v->text && text_is_string(v->text)) {
		list = arena_alloc(ar, sizeof(*list));
		if (!list)
			return -ENOMEM;
		list[0] = strip_quotes_trim(ar, v->text, strlen(v->text));
		if (!list[0])
			return -ENOMEM;
		*ret = list;
		*ret_n = 1;
		return 0;
	}
	if (v && v->text && text_is_array(v->text)) {
		*ret = NULL;
		*ret_n = 0;
		return read_array(ar, a, "name", ret, ret_n) < 0 ? -ENOMEM : 0;
	}
	plen = strlen(default_prefix);
	blen = strlen(f->bare_name);
	list = arena_alloc(ar, sizeof(*list));
	name = arena_alloc(ar, plen + blen + 1);
	if (!list || !name)
		return -ENOMEM;
	memcpy(name, default_prefix, plen);
	for (size_t i = 0; i < blen; i++)
		name[plen + i] = (char)tolower((unsigned char)f->bare_name[i]);
	list[0] = name;
	*ret = list;
	*ret_n = 1;
	return 0;
}

static int read_field_annotations(struct arena *ar, struct field *f)
{
	const struct annotation *a;
	int r;

	if (f->n_annotations == 0)
		return 0;
	r = read_string(ar, field_annotation(f, "sql", "Name"), "value", &f->column_name);
	if (r < 0)
		return r;
	r = read_string(ar, field_annotation(f, "sql", "Varchar"), "length", &f->varchar_length);
	if (r < 0)
		return r;
	r = read_string(ar, field_annotation(f, "sql", "Char"), "length", &f->char_length);
	if (r < 0)
		return r;
	a = field_annotation(f, "sql", "Decimal");
	if (a) {
		const char **list;
		size_t n = 0;
		r = read_array(ar, a, "precision", &list, &n);
		if (r < 0)
			return r;
		if (r > 0 && n == 2) {
			f->decimal_precision = list[0];
			f->decimal_scale = list[1];
		}
	}
	f->generated = field_annotation(f, "sql", "Generated") != NULL;
	a = field_annotation(f, "sql", "Relation");
	if (a) {
		f->has_relation_annotation = true;
		r = read_array(ar, a, "keys", &f->relation_keys, &f->n_relation_keys);
		if (r < 0)
			return r;
	}
	a = field_annotation(f, "sql", "Index");
	if (a) {
		f->indexed = true;
		r = read_index(ar, f, a, "idx_", &f->index_names, &f->n_index_names);
		if (r < 0)
			return r;
	}
	a = field_annotation(f, "sql", "UniqueIndex");
	if (a) {
		f->unique_indexed = true;
		r = read_index(ar, f, a, "unique_idx_", &f->unique_index_names,
			       &f->n_unique_index_names);
		if (r < 0)
			return r;
	}
	a = field_annotation(f, "constraint", "String");
	if (a) {
		for (size_t i = 0; i < a->n_fields; i++) {
			const struct annotation_value *v = &a->fields[i];
			if (!v->key || !v->text ||
			    (strcmp(v->key, "maxLength") != 0 && strcmp(v->key, "length") != 0))
				continue;
			f->constraint_length = v->text;
			if (!f->constraint_key) {
				f->constraint_key = v->key;
				f->constraint_value = v->text;
			}
		}
	}
	return 0;
}

/* ---- relation inference (§6) ------------------------------------------------------------------
 */

static char *fk_name(struct arena *ar, const char *relation_field, const char *key)
{
	const char *a = bare_identifier(relation_field), *b = bare_identifier(key);
	size_t na = strlen(a), nb = strlen(b);
	char *s = arena_alloc(ar, na + nb + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < na; i++)
		s[i] = (char)tolower((unsigned char)a[i]);
	memcpy(s + na, b, nb);
	if (nb > 0)
		s[na] = (char)toupper((unsigned char)s[na]);
	return s;
}

static int add_relation(struct model_file *mf, size_t *cap, struct entity *e, struct field *f,
			struct entity *a, struct field *g)
{
	struct arena *ar = &mf->arena;
	struct relation *rel = arena_alloc(ar, sizeof(*rel));

	if (!rel || ARENA_GROW(ar, mf->relations, mf->n_relations, *cap) < 0)
		return -ENOMEM;
	if (f->type.array && g->type.array) {
		rel->kind = RELATION_MANY_TO_MANY;
		rel->owner = e;
		rel->owner_field = f;
		rel->ref = a;
		rel->ref_field = g;
	} else {
		bool e_owns;
		if (f->type.array)
			e_owns = false;
		else if (g->type.array)
			e_owns = true;
		else if (f->type.nillable != g->type.nillable)
			e_owns = g->type.nillable;
		else
			e_owns = !f->type.nillable; /* both required: E; both nillable: A */
		rel->kind =
			f->type.array || g->type.array ? RELATION_ONE_TO_MANY : RELATION_ONE_TO_ONE;
		rel->owner = e_owns ? e : a;
		rel->owner_field = e_owns ? f : g;
		rel->ref = e_owns ? a : e;
		rel->ref_field = e_owns ? g : f;
		rel->owner_field->relation_owner = true;
	}
	f->relation = rel;
	g->relation = rel;
	rel->index = mf->n_relations;
	mf->relations[mf->n_relations++] = rel;

	if (rel->kind == RELATION_MANY_TO_MANY)
		return 0;
	{
		struct field *of = rel->owner_field;
		size_t n = rel->ref->n_keys;
		if (of->has_relation_annotation) {
			rel->by_annotation = true;
			n = MIN(n, of->n_relation_keys);
		}
		rel->keys = n ? arena_alloc(ar, n * sizeof(*rel->keys)) : NULL;
		if (n && !rel->keys)
			return -ENOMEM;
		rel->n_keys = n;
		for (size_t j = 0; j < n; j++) {
			struct relation_key *k = &rel->keys[j];
			k->ref_key = rel->ref->keys[j];
			if (rel->by_annotation) {
				k->fk_name = of->relation_keys[j];
				k->fk_field =
					(struct field *)entity_find_field(rel->owner, k->fk_name);
				if (k->fk_field) {
					k->fk_column = field_column_name(k->fk_field);
					if (!k->fk_field->fk_of && !k->fk_field->relation)
						k->fk_field->fk_of = rel;
				} else {
					k->fk_column = k->fk_name;
				}
			} else {
				k->fk_name = fk_name(ar, of->name, k->ref_key->name);
				if (!k->fk_name)
					return -ENOMEM;
				k->fk_column = k->fk_name;
			}
		}
	}
	return 0;
}

static int infer_relations(struct model_file *mf)
{
	size_t cap = 0;
	int r;

	for (size_t i = 0; i < mf->n_entities; i++) {
		struct entity *e = mf->entities[i];

		/* Groups by target in order of first appearance; each group is handled once, when
		 * its first field comes up. */
		for (size_t fi = 0; fi < e->n_fields; fi++) {
			struct field *f0 = e->fields[fi];
			struct entity *a = f0->type.entity;
			size_t ga = 0;

			if (f0->type.kind != FIELD_TYPE_ENTITY || f0->relation || a == e)
				continue;
			for (size_t k = fi; k < e->n_fields; k++) {
				struct field *f = e->fields[k];
				if (f->type.kind != FIELD_TYPE_ENTITY || f->type.entity != a ||
				    f->relation)
					continue;
				while (ga < a->n_fields &&
				       (a->fields[ga]->type.kind != FIELD_TYPE_ENTITY ||
					a->fields[ga]->type.entity != e || a->fields[ga]->relation))
					ga++;
				if (ga >= a->n_fields)
					break;
				r = add_relation(mf, &cap, e, f, a, a->fields[ga]);
				if (r < 0)
					return r;
				ga++;
			}
		}
	}
	return 0;
}

static int collect_entity_relations(struct model_file *mf, struct entity *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_fields; i++)
		n += e->fields[i]->relation != NULL;
	if (n == 0)
		return 0;
	e->relations = arena_alloc(&mf->arena, n * sizeof(*e->relations));
	if (!e->relations)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_fields; i++)
		if (e->fields[i]->relation)
			e->relations[e->n_relations++] = e->fields[i]->relation;
	return 0;
}

/* ---- entry point ------------------------------------------------------------------------------
 */

static bool module_has_part(const char *module, const char *part)
{
	size_t n = strlen(part);

	for (const char *s = module; s; s = strchr(s, '.')) {
		if (*s == '.')
			s++;
		if (strncmp(s, part, n) == 0 && (s[n] == '\0' || s[n] == '.'))
			return true;
	}
	return false;
}

int model_resolve(struct model_file *mf)
{
	struct arena *ar = &mf->arena;
	struct name_table names = { 0 };
	int r;

	for (size_t i = 0; i < mf->n_imports; i++) {
		const struct model_import *imp = &mf->imports[i];
		if (!imp->org || strcmp(imp->org, "ballerina") != 0)
			continue;
		if (module_has_part(imp->module, "persist"))
			mf->has_persist_import = true;
		if (strcmp(imp->module, "constraint") == 0)
			mf->imports_constraint = true;
	}

	names.cap = 16;
	while (names.cap < 2 * (mf->n_entities + mf->n_enums))
		names.cap *= 2;
	names.names = arena_alloc(ar, names.cap * sizeof(*names.names));
	names.values = arena_alloc(ar, names.cap * sizeof(*names.values));
	names.is_entity = arena_alloc(ar, names.cap * sizeof(*names.is_entity));
	if (!names.names || !names.values || !names.is_entity)
		return -ENOMEM;
	for (size_t i = 0; i < mf->n_entities; i++)
		name_table_put(&names, mf->entities[i]->bare_name, mf->entities[i], true);
	for (size_t i = 0; i < mf->n_enums; i++)
		name_table_put(&names, mf->enums[i]->bare_name, mf->enums[i], false);

	for (size_t i = 0; i < mf->n_entities; i++) {
		struct entity *e = mf->entities[i];
		size_t nkeys = 0;

		r = read_string(ar, entity_annotation(e, "sql", "Name"), "value", &e->table_name);
		if (r < 0)
			return r;
		r = read_string(ar, entity_annotation(e, "sql", "Schema"), "value", &e->schema);
		if (r < 0)
			return r;
		for (size_t k = 0; k < e->n_fields; k++) {
			struct field *f = e->fields[k];
			nkeys += f->readonly;
			if (f->type.kind == FIELD_TYPE_NAME) {
				bool is_entity = false;
				void *v = name_table_get(&names, bare_identifier(f->type.name),
							 &is_entity);
				if (v && is_entity) {
					f->type.kind = FIELD_TYPE_ENTITY;
					f->type.entity = v;
				} else if (v) {
					f->type.kind = FIELD_TYPE_ENUM;
					f->type.enum_type = v;
					f->type.label = "enum";
				}
			} else if (f->type.kind == FIELD_TYPE_TIME) {
				mf->uses_time = true;
			}
			r = read_field_annotations(ar, f);
			if (r < 0)
				return r;
		}
		if (nkeys > 0) {
			e->keys = arena_alloc(ar, nkeys * sizeof(*e->keys));
			if (!e->keys)
				return -ENOMEM;
			for (size_t k = 0; k < e->n_fields; k++)
				if (e->fields[k]->readonly)
					e->keys[e->n_keys++] = e->fields[k];
		}
	}
	r = infer_relations(mf);
	if (r < 0)
		return r;
	for (size_t i = 0; i < mf->n_entities; i++) {
		r = collect_entity_relations(mf, mf->entities[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
