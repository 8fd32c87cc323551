#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "models/arena.h"

#define ARENA_CHUNK_MIN ((size_t)16 << 10)
#define ARENA_ALIGN	_Alignof(max_align_t)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	max_align_t data[];
};

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head;

	while (c) {
		struct arena_chunk *next = c->next;
		mem_free(c);
		c = next;
	}
	a->head = NULL;
	a->used_total = 0;
}

void arena_reserve_hint(struct arena *a, size_t size)
{
	a->hint = size;
}

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	size_t need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	void *p;

	if (size > SIZE_MAX / 2)
		return NULL;
	if (!c || c->size - c->used < need) {
		size_t sz = MAX(ARENA_CHUNK_MIN, need);
		/* Grow the chunk size with the arena so a big model needs few chunks. */
		sz = MAX(sz, MIN(a->used_total, (size_t)1 << 20));
		sz = MAX(sz, a->hint);
		a->hint = 0;
		c = mem_alloc(sizeof(*c) + sz);
		if (!c)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	a->used_total += need;
	memset(p, 0, size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

int arena_grow(struct arena *a, void **array, size_t n, size_t *cap, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 1;
	if (ncap > SIZE_MAX / elem / 2)
		return -ENOMEM;
	p = arena_alloc(a, ncap * elem);
	if (!p)
		return -ENOMEM;
	if (n > 0)
		memcpy(p, *array, n * elem);
	*array = p;
	*cap = ncap;
	return 0;
}
