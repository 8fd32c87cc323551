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

int name_map_init(struct name_map *m, size_t expected, bool fold_case)
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
	m->n = 0;
	m->fold_case = fold_case;
	return 0;
}

void name_map_release(struct name_map *m)
{
	mem_free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

static struct name_slot *find_slot(const struct name_map *m, const char *key, uint32_t h)
{
	size_t i = h & (m->cap - 1);

	while (m->slots[i].key) {
		if (m->slots[i].hash == h && name_equal(m, m->slots[i].key, key))
			return &m->slots[i];
		i = (i + 1) & (m->cap - 1);
	}
	return &m->slots[i];
}

static int rehash(struct name_map *m)
{
	struct name_map bigger = { .fold_case = m->fold_case };
	int r;

	r = name_map_init(&bigger, m->cap, m->fold_case);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			*find_slot(&bigger, m->slots[i].key, m->slots[i].hash) = m->slots[i];
	bigger.n = m->n;
	name_map_release(m);
	*m = bigger;
	return 0;
}

int name_map_add(struct name_map *m, const char *key, void *value, void **ret_existing)
{
	uint32_t h = name_hash(key, m->fold_case);
	struct name_slot *s;
	int r;

	s = find_slot(m, key, h);
	if (s->key) {
		if (ret_existing)
			*ret_existing = s->value;
		return 1;
	}
	if ((m->n + 1) * 2 > m->cap) {
		r = rehash(m);
		if (r < 0)
			return r;
		s = find_slot(m, key, h);
	}
	s->key = key;
	s->value = value;
	s->hash = h;
	m->n++;
	return 0;
}

int name_map_set(struct name_map *m, const char *key, void *value, void **ret_old)
{
	struct name_slot *s;
	void *old = NULL;
	int r;

	r = name_map_add(m, key, value, &old);
	if (r < 0)
		return r;
	if (r > 0) {
		s = find_slot(m, key, name_hash(key, m->fold_case));
		s->value = value;
	}
	if (ret_old)
		*ret_old = r > 0 ? old : NULL;
	return 0;
}

void *name_map_get(const struct name_map *m, const char *key)
{
	struct name_slot *s;

	if (m->cap == 0)
		return NULL;
	s = find_slot(m, key, name_hash(key, m->fold_case));
	return s->key ? s->value : NULL;
}
