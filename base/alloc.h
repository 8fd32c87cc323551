/* Every allocation of the project goes through here, so tests can inject failures
 * (alloc_fail_after) and check that each caller returns -ENOMEM cleanly. */
#ifndef BASE_ALLOC_H
#define BASE_ALLOC_H

#include <stddef.h>
#include <string.h>

#include "base/macro.h"

void *mem_alloc(size_t size);
void *mem_alloc0(size_t size);
void *mem_realloc(void *p, size_t size);
/* Allocate n elements of size each, zeroed; NULL on overflow or OOM. */
void *mem_calloc(size_t n, size_t size);
/* realloc for arrays, NULL on overflow or OOM (p is then untouched). */
void *mem_reallocarray(void *p, size_t n, size_t size);
void mem_free(void *p);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
void *mem_memdup(const void *p, size_t n);

/* Fail the allocation after the next n successful ones (n < 0 disables the hook).
 * Returns the number of allocations made since the last call. */
long alloc_fail_after(long n);
/* Whether an injected failure has happened since the hook was armed. */
int alloc_failed(void);

#define new0(type, n) ((type *)mem_calloc((n), sizeof(type)))

static inline void *mem_freep_impl(void *p)
{
	mem_free(p);
	return NULL;
}

static inline void freep(void *p)
{
	mem_free(*(void **)p);
}

#define _cleanup_free_ _cleanup_(freep)

/* Grow *array (of *alloc elements of size elem) so that it holds at least need elements. */
int mem_grow(void **array, size_t *alloc, size_t need, size_t elem);

#define GROW(array, alloc, need) mem_grow((void **)&(array), &(alloc), (need), sizeof(*(array)))

#endif
