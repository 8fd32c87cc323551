#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fifo.h"

static unsigned char *slot(const struct fifo *f, size_t i)
{
	return f->v + ((f->head + i) % f->alloc) * f->size;
}

int fifo_reserve(struct fifo *f, size_t need)
{
	unsigned char *v;
	size_t alloc;

	if (f->alloc - f->n >= need)
		return 0;
	alloc = f->alloc ? f->alloc : 16;
	while (alloc - f->n < need) {
		if (alloc > SIZE_MAX / 2 / f->size)
			return -ENOMEM;
		alloc *= 2;
	}
	v = mem_alloc(alloc * f->size);
	if (!v)
		return -ENOMEM;
	/* unrolled into the new ring from its start */
	for (size_t i = 0; i < f->n; i++)
		memcpy(v + i * f->size, slot(f, i), f->size);
	mem_free(f->v);
	f->v = v;
	f->alloc = alloc;
	f->head = 0;
	return 0;
}

int fifo_push(struct fifo *f, const void *elem)
{
	int r = fifo_reserve(f, 1);

	if (r < 0)
		return r;
	memcpy(slot(f, f->n), elem, f->size);
	f->n++;
	return 0;
}

void *fifo_front(const struct fifo *f)
{
	return f->n ? slot(f, 0) : NULL;
}

int fifo_pop(struct fifo *f, void *out)
{
	if (f->n == 0)
		return -ENOENT;
	if (out)
		memcpy(out, slot(f, 0), f->size);
	f->head = (f->head + 1) % f->alloc;
	f->n--;
	return 0;
}

void fifo_release(struct fifo *f)
{
	mem_free(f->v);
	f->v = NULL;
	f->head = f->n = f->alloc = 0;
}
