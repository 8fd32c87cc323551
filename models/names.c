#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "models/names.h"

static uint32_t name_hash(const char *s, bool fold_case)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (fold_case && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static bool name_equal(const struct name_map *m, const char *a, const char *b)
{
	return m->fold_case ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static int alloc_table(struct name_map *m, size_t expected)
{
	size_t cap = 8;

	while (cap < expected * 2) {
		if (cap > SIZE_MAX / 4)
			return -ENOMEM;
		cap *= 2;
	}
	m->slots = new0(struct name_slot, cap);
	if (!m->slots)
		return -ENOMEM;
	m->cap = cap;
	return 0;
}

int name_map_init(struct name_map *m, size_t expected, bool fold_case)
{
	m->slots = NULL;
	m->cap = m->n = 0;
	m->fold_case = fold_case;
	if (expected <= NAME_MAP_SMALL)
		return 0;
	return alloc_table(m, expected);
}

void name_map_release(struct name_map *m)
{
	mem_free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

/* The slot holding key, or the empty slot where it would go (hashed mode only). */
static struct name_slot *probe(const struct name_map *m, const char *key, uint32_t h)
{
	size_t i = h & (m->cap - 1);

	while (m->slots[i].key) {
		if (m->slots[i].hash == h && name_equal(m, m->slots[i].key, key))
			return &m->slots[i];
		i = (i + 1) & (m->cap - 1);
	}
	return &m->slots[i];
}

/* The slot holding key, NULL when absent (either mode). */
static struct name_slot *lookup(const struct name_map *m, const char *key, uint32_t h)
{
	struct name_slot *s;

	if (!m->slots) {
		for (size_t i = 0; i < m->n; i++)
			if (m->small[i].hash == h && name_equal(m, m->small[i].key, key))
				return (struct name_slot *)&m->small[i];
		return NULL;
	}
	s = probe(m, key, h);
	return s->key ? s : NULL;
}

static int grow(struct name_map *m)
{
	struct name_slot *old = m->slots ? m->slots : m->small;
	size_t old_cap = m->slots ? m->cap : m->n;
	struct name_map bigger = { .fold_case = m->fold_case };
	int r;

	r = alloc_table(&bigger, MAX(m->n * 2, (size_t)NAME_MAP_SMALL * 2));
	if (r < 0)
		return r;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			*probe(&bigger, old[i].key, old[i].hash) = old[i];
	mem_free(m->slots);
	m->slots = bigger.slots;
	m->cap = bigger.cap;
	return 0;
}

int name_map_add(struct name_map *m, const char *key, void *value, void **ret_existing)
{
	uint32_t h = name_hash(key, m->fold_case);
	struct name_slot *s = lookup(m, key, h);
	int r;

	if (s) {
		if (ret_existing)
			*ret_existing = s->value;
		return 1;
	}
	if (!m->slots && m->n < NAME_MAP_SMALL) {
		m->small[m->n++] = (struct name_slot){ .key = key, .value = value, .hash = h };
		return 0;
	}
	if (!m->slots || (m->n + 1) * 2 > m->cap) {
		r = grow(m);
		if (r < 0)
			return r;
	}
	*probe(m, key, h) = (struct name_slot){ .key = key, .value = value, .hash = h };
	m->n++;
	return 0;
}

int name_map_set(struct name_map *m, const char *key, void *value, void **ret_old)
{
	struct name_slot *s = lookup(m, key, name_hash(key, m->fold_case));
	int r;

	if (s) {
		if (ret_old)
			*ret_old = s->value;
		s->value = value;
		return 0;
	}
	r = name_map_add(m, key, value, NULL);
	if (r < 0)
		return r;
	if (ret_old)
		*ret_old = NULL;
	return 0;
}

void *name_map_get(const struct name_map *m, const char *key)
{
	struct name_slot *s = lookup(m, key, name_hash(key, m->fold_case));

	return s ? s->value : NULL;
}
