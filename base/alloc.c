#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

/* < 0: hook disabled; otherwise the number of allocations that may still succeed. */
static atomic_long fail_countdown = -1;
static atomic_long alloc_count;
static atomic_int alloc_fail_hit;

static int should_fail(void)
{
	atomic_fetch_add(&alloc_count, 1);
	long c = atomic_load(&fail_countdown);
	while (c >= 0) {
		if (c == 0) {
			atomic_store(&alloc_fail_hit, 1);
			return 1;
		}
		if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1))
			return 0;
	}
	return 0;
}

long alloc_fail_after(long n)
{
	long made = atomic_exchange(&alloc_count, 0);
	atomic_store(&alloc_fail_hit, 0);
	atomic_store(&fail_countdown, n < 0 ? -1 : n);
	return made;
}

int alloc_failed(void)
{
	return atomic_load(&alloc_fail_hit);
}

void *mem_alloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *mem_alloc0(size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(1, size ? size : 1);
}

void *mem_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return mem_alloc0(n * size);
}

void *mem_realloc(void *p, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(p, size ? size : 1);
}

void *mem_reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return mem_realloc(p, n * size);
}

void mem_free(void *p)
{
	free(p);
}

void *mem_memdup(const void *p, size_t n)
{
	void *q = mem_alloc(n);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

char *mem_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *q = mem_alloc(len + 1);
	if (!q)
		return NULL;
	memcpy(q, s, len);
	q[len] = '\0';
	return q;
}

char *mem_strdup(const char *s)
{
	return mem_memdup(s, strlen(s) + 1);
}

int mem_grow(void **array, size_t *alloc, size_t need, size_t elem)
{
	if (need <= *alloc)
		return 0;
	size_t n = *alloc ? *alloc : 4;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	void *p = mem_reallocarray(*array, n, elem);
	if (!p)
		return -ENOMEM;
	*array = p;
	*alloc = n;
	return 0;
}
