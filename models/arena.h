/* A bump allocator for one parsed model: every node and string of a struct model_file lives in
 * it, so building the tree costs a few large allocations and freeing it is one walk over the
 * chunks. Chunks come from base/alloc.h, so failure injection reaches the parser too. */
#ifndef MODELS_ARENA_H
#define MODELS_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include "base/macro.h"

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t used_total;
	size_t hint; /* size of the next chunk, see arena_reserve_hint() */
};

#define ARENA_INIT         \
	{                  \
		NULL, 0, 0 \
	}

void arena_release(struct arena *a);
/* Make the next chunk at least size bytes, when the caller knows roughly how much it needs;
 * one chunk instead of a chain of growing ones. */
void arena_reserve_hint(struct arena *a, size_t size);
/* Zeroed memory, aligned for any object; NULL on OOM. */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* Make room for one more element in *array (n used of *cap); the old block is abandoned. */
_must_check_ int arena_grow(struct arena *a, void **array, size_t n, size_t *cap, size_t elem);

#define ARENA_GROW(a, array, n, cap) \
	arena_grow((a), (void **)&(array), (n), &(cap), sizeof(*(array)))

#endif
