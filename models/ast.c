#include "config.h"

#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "models/ast.h"

struct model_file *model_file_free(struct model_file *mf)
{
	if (!mf)
		return NULL;
	arena_release(&mf->arena);
	mem_free(mf);
	return NULL;
}

const char *bare_identifier(const char *name)
{
	return name[0] == '\'' ? name + 1 : name;
}

uint32_t ast_name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The indexes are open-addressing tables of pointers, probed by the hash of the bare name; each
 * type has its own way to reach that name. */
#define INDEX_FIND(table, cap, name_of, bare)                                  \
	do {                                                                   \
		if (!(table))                                                  \
			break;                                                 \
		for (size_t _i = ast_name_hash(bare) & ((cap)-1); (table)[_i]; \
		     _i = (_i + 1) & ((cap)-1))                                \
			if (strcmp(name_of((table)[_i]), (bare)) == 0)         \
				return (table)[_i];                            \
		return NULL;                                                   \
	} while (0)

#define ENTITY_NAME(x) ((x)->bare_name)

const struct entity *model_find_entity(const struct model_file *mf, const char *name)
{
	const char *bare = bare_identifier(name);

	INDEX_FIND(mf->entity_index, mf->entity_index_cap, ENTITY_NAME, bare);
	for (size_t i = 0; i < mf->n_entities; i++)
		if (strcmp(mf->entities[i]->bare_name, bare) == 0)
			return mf->entities[i];
	return NULL;
}

const struct enum_type *model_find_enum(const struct model_file *mf, const char *name)
{
	const char *bare = bare_identifier(name);

	INDEX_FIND(mf->enum_index, mf->enum_index_cap, ENTITY_NAME, bare);
	for (size_t i = 0; i < mf->n_enums; i++)
		if (strcmp(mf->enums[i]->bare_name, bare) == 0)
			return mf->enums[i];
	return NULL;
}

const struct field *entity_find_field(const struct entity *e, const char *name)
{
	const char *bare = bare_identifier(name);

	INDEX_FIND(e->field_index, e->field_index_cap, ENTITY_NAME, bare);
	for (size_t i = 0; i < e->n_fields; i++)
		if (strcmp(e->fields[i]->bare_name, bare) == 0)
			return e->fields[i];
	return NULL;
}

const char *entity_table_name(const struct entity *e)
{
	return e->table_name ? e->table_name : e->bare_name;
}

const char *field_column_name(const struct field *f)
{
	return f->column_name ? f->column_name : f->bare_name;
}

static const struct annotation *find_annotation(const struct annotation *list, size_t n,
						const char *module, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].module && strcmp(list[i].module, module) == 0 &&
		    strcmp(list[i].name, name) == 0)
			return &list[i];
	return NULL;
}

const struct annotation *entity_annotation(const struct entity *e, const char *module,
					   const char *name)
{
	return find_annotation(e->annotations, e->n_annotations, module, name);
}

const struct annotation *field_annotation(const struct field *f, const char *module,
					  const char *name)
{
	return find_annotation(f->annotations, f->n_annotations, module, name);
}

const struct annotation_value *annotation_field(const struct annotation *a, const char *key)
{
	for (size_t i = 0; i < a->n_fields; i++)
		if (a->fields[i].key && strcmp(a->fields[i].key, key) == 0)
			return &a->fields[i];
	return NULL;
}
