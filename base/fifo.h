/* A FIFO of fixed-size elements in a ring that grows: queues whose order matters (the reads
 * in flight on a store pipe, answered in the order they were sent). */
#ifndef BASE_FIFO_H
#define BASE_FIFO_H

#include <stddef.h>

#include "base/macro.h"

struct fifo {
	unsigned char *v;
	size_t size; /* of one element */
	size_t head, n, alloc; /* in elements */
};

#define FIFO_INIT(type)              \
	{                            \
		.size = sizeof(type) \
	}

/* Room for need more elements, so that the pushes after it cannot fail: 0 or -ENOMEM. */
_must_check_ int fifo_reserve(struct fifo *f, size_t need);
/* Copy elem in at the back: 0 or -ENOMEM. */
_must_check_ int fifo_push(struct fifo *f, const void *elem);
/* The front element (NULL when empty), in place. */
void *fifo_front(const struct fifo *f);
/* Copy the front element out (when out is not NULL) and remove it: 0, or -ENOENT when empty. */
int fifo_pop(struct fifo *f, void *out);
/* Free the ring (not what the elements point to). */
void fifo_release(struct fifo *f);

#endif
