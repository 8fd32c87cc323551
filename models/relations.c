#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "models/ast.h"
#include "models/names.h"
#include "models/naming.h"
#include "models/relations.h"

/* Open-addressing indexes by bare name (see ast.c): first declaration wins. */
typedef const char *name_of_fn(const void *item);

static const char *entity_name_of(const void *item)
{
	return ((const struct entity *)item)->bare_name;
}

static const char *enum_name_of(const void *item)
{
	return ((const struct enum_type *)item)->bare_name;
}

static const char *field_name_of(const void *item)
{
	return ((const struct field *)item)->bare_name;
}

static int build_index(struct arena *ar, void *const *items, size_t n, name_of_fn *name_of,
		       void ***ret, size_t *ret_cap)
{
	size_t cap = 8;
	void **table;

	if (n == 0)
		return 0;
	while (cap < 2 * n)
		cap *= 2;
	table = arena_alloc(ar, cap * sizeof(*table));
	if (!table)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *name = name_of(items[i]);
		size_t k = ast_name_hash(name) & (cap - 1);
		bool dup = false;
		while (table[k] && !dup) {
			dup = strcmp(name_of(table[k]), name) == 0;
			k = (k + 1) & (cap - 1);
		}
		if (!dup)
			table[k] = items[i];
	}
	*ret = table;
	*ret_cap = cap;
	return 0;
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

/* One pass over the field's annotations; as field_annotation() would, the first annotation of
 * each kind is the one that counts. */
static int read_field_annotations(struct arena *ar, struct field *f)
{
	enum {
		SEEN_NAME = 1 << 0,
		SEEN_VARCHAR = 1 << 1,
		SEEN_CHAR = 1 << 2,
		SEEN_DECIMAL = 1 << 3,
		SEEN_RELATION = 1 << 4,
		SEEN_INDEX = 1 << 5,
		SEEN_UNIQUE = 1 << 6,
		SEEN_CONSTRAINT = 1 << 7,
	};
	unsigned seen = 0;
	int r = 0;

	for (size_t i = 0; i < f->n_annotations && r >= 0; i++) {
		const struct annotation *a = &f->annotations[i];
		const char *name = a->name;

		if (!a->module)
			continue;
		if (strcmp(a->module, "constraint") == 0) {
			if (strcmp(name, "String") != 0 || (seen & SEEN_CONSTRAINT))
				continue;
			seen |= SEEN_CONSTRAINT;
			for (size_t k = 0; k < a->n_fields; k++) {
				const struct annotation_value *v = &a->fields[k];
				if (!v->key || !v->text ||
				    (strcmp(v->key, "maxLength") != 0 &&
				     strcmp(v->key, "length") != 0))
					continue;
				f->constraint_length = v->text;
				if (!f->constraint_key) {
					f->constraint_key = v->key;
					f->constraint_value = v->text;
				}
			}
			continue;
		}
		if (strcmp(a->module, "sql") != 0)
			continue;
		if (strcmp(name, "Name") == 0 && !(seen & SEEN_NAME)) {
			seen |= SEEN_NAME;
			r = read_string(ar, a, "value", &f->column_name);
		} else if (strcmp(name, "Varchar") == 0 && !(seen & SEEN_VARCHAR)) {
			seen |= SEEN_VARCHAR;
			r = read_string(ar, a, "length", &f->varchar_length);
		} else if (strcmp(name, "Char") == 0 && !(seen & SEEN_CHAR)) {
			seen |= SEEN_CHAR;
			r = read_string(ar, a, "length", &f->char_length);
		} else if (strcmp(name, "Decimal") == 0 && !(seen & SEEN_DECIMAL)) {
			const char **list;
			size_t n = 0;
			seen |= SEEN_DECIMAL;
			r = read_array(ar, a, "precision", &list, &n);
			if (r > 0 && n == 2) {
				f->decimal_precision = list[0];
				f->decimal_scale = list[1];
			}
		} else if (strcmp(name, "Generated") == 0) {
			f->generated = true;
		} else if (strcmp(name, "Relation") == 0 && !(seen & SEEN_RELATION)) {
			seen |= SEEN_RELATION;
			f->has_relation_annotation = true;
			r = read_array(ar, a, "keys", &f->relation_keys, &f->n_relation_keys);
		} else if (strcmp(name, "Index") == 0 && !(seen & SEEN_INDEX)) {
			seen |= SEEN_INDEX;
			f->indexed = true;
			r = read_index(ar, f, a, "idx_", &f->index_names, &f->n_index_names);
		} else if (strcmp(name, "UniqueIndex") == 0 && !(seen & SEEN_UNIQUE)) {
			seen |= SEEN_UNIQUE;
			f->unique_indexed = true;
			r = read_index(ar, f, a, "unique_idx_", &f->unique_index_names,
				       &f->n_unique_index_names);
		}
	}
	return r < 0 ? r : 0;
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

/* For each entity, its relation fields chained by target: head[t] is the first field of the
 * entity typed with entity t (index + 1, 0 for none), next[k] the following one. */
struct target_chains {
	struct name_map *by_target; /* per entity: target bare name -> first field index + 1 */
	size_t **next; /* per entity: field index -> next field index + 1 with the same target */
};

static void target_chains_release(struct target_chains *c, size_t n)
{
	for (size_t i = 0; c->by_target && i < n; i++)
		name_map_release(&c->by_target[i]);
	for (size_t i = 0; c->next && i < n; i++)
		mem_free(c->next[i]);
	mem_free(c->by_target);
	mem_free(c->next);
}

static int target_chains_build(const struct model_file *mf, struct target_chains *c)
{
	int r;

	c->by_target = new0(struct name_map, mf->n_entities);
	c->next = new0(size_t *, mf->n_entities);
	if (!c->by_target || !c->next)
		return -ENOMEM;
	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		size_t n_rel = 0;
		for (size_t k = 0; k < e->n_fields; k++)
			n_rel += e->fields[k]->type.kind == FIELD_TYPE_ENTITY;
		if (n_rel == 0)
			continue;
		r = name_map_init(&c->by_target[i], n_rel, false);
		if (r < 0)
			return r;
		c->next[i] = new0(size_t, e->n_fields);
		if (!c->next[i])
			return -ENOMEM;
		/* walk backwards so each field is prepended: the chains come out in order */
		for (size_t k = e->n_fields; k-- > 0;) {
			const struct field *f = e->fields[k];
			void *head = NULL;
			if (f->type.kind != FIELD_TYPE_ENTITY)
				continue;
			r = name_map_set(&c->by_target[i], f->type.entity->bare_name,
					 (void *)(uintptr_t)(k + 1), &head);
			if (r < 0)
				return r;
			c->next[i][k] = (size_t)(uintptr_t)head;
		}
	}
	return 0;
}

static size_t chain_head(const struct target_chains *c, const struct entity *e,
			 const struct entity *target)
{
	return (size_t)(uintptr_t)name_map_get(&c->by_target[e->index], target->bare_name);
}

static int infer_relations(struct model_file *mf)
{
	struct target_chains chains = { 0 };
	size_t cap = 0;
	int r;

	r = target_chains_build(mf, &chains);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < mf->n_entities; i++) {
		struct entity *e = mf->entities[i];

		/* Groups by target in order of first appearance: each group is handled when its
		 * first field comes up. */
		for (size_t fi = 0; fi < e->n_fields; fi++) {
			struct field *f0 = e->fields[fi];
			struct entity *a = f0->type.entity;
			size_t ke, ka;

			if (f0->type.kind != FIELD_TYPE_ENTITY || a == e ||
			    chain_head(&chains, e, a) != fi + 1)
				continue;
			ke = fi + 1;
			ka = chain_head(&chains, a, e);
			while (ke && ka) {
				struct field *f = e->fields[ke - 1], *g = a->fields[ka - 1];
				if (f->relation) {
					ke = chains.next[e->index][ke - 1];
					continue;
				}
				if (g->type.entity != e)
					break; /* a's fields name an earlier entity called like e */
				if (g->relation) {
					ka = chains.next[a->index][ka - 1];
					continue;
				}
				r = add_relation(mf, &cap, e, f, a, g);
				if (r < 0)
					goto out;
			}
		}
	}
	r = 0;
out:
	target_chains_release(&chains, mf->n_entities);
	return r;
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

	r = build_index(ar, (void *const *)mf->entities, mf->n_entities, entity_name_of,
			(void ***)&mf->entity_index, &mf->entity_index_cap);
	if (r < 0)
		return r;
	r = build_index(ar, (void *const *)mf->enums, mf->n_enums, enum_name_of,
			(void ***)&mf->enum_index, &mf->enum_index_cap);
	if (r < 0)
		return r;

	for (size_t i = 0; i < mf->n_entities; i++) {
		struct entity *e = mf->entities[i];
		size_t nkeys = 0;

		r = read_string(ar, entity_annotation(e, "sql", "Name"), "value", &e->table_name);
		if (r < 0)
			return r;
		{
			/* once here, not on every data request that looks a resource up */
			_cleanup_buf_ struct buf res = BUF_INIT(1024);
			if (naming_resource_name(e->name, &res) >= 0)
				e->resource_name = arena_strdup(ar, res.buf);
		}
		r = read_string(ar, entity_annotation(e, "sql", "Schema"), "value", &e->schema);
		if (r < 0)
			return r;
		for (size_t k = 0; k < e->n_fields; k++) {
			struct field *f = e->fields[k];
			nkeys += f->readonly;
			if (f->type.kind == FIELD_TYPE_NAME) {
				const char *tn = bare_identifier(f->type.name);
				struct entity *te = (struct entity *)model_find_entity(mf, tn);
				struct enum_type *tu =
					te ? NULL : (struct enum_type *)model_find_enum(mf, tn);
				if (te) {
					f->type.kind = FIELD_TYPE_ENTITY;
					f->type.entity = te;
				} else if (tu) {
					f->type.kind = FIELD_TYPE_ENUM;
					f->type.enum_type = tu;
					f->type.label = "enum";
				}
			} else if (f->type.kind == FIELD_TYPE_TIME) {
				mf->uses_time = true;
			}
			r = read_field_annotations(ar, f);
			if (r < 0)
				return r;
		}
		r = build_index(ar, (void *const *)e->fields, e->n_fields, field_name_of,
				(void ***)&e->field_index, &e->field_index_cap);
		if (r < 0)
			return r;
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
