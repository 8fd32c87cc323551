/* The one growable string type. buf is never NULL (BUF_INIT points it at a shared empty
 * string) and always NUL-terminated; every buffer has a size cap (max, in bytes of content).
 * An add that would pass max returns -EMSGSIZE, an allocation failure -ENOMEM; either way the
 * buffer is released, so a caller never works on with a half-built value. */
#ifndef BASE_BUF_H
#define BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "base/macro.h"

extern char buf_empty[];

struct buf {
	char *buf;
	size_t len, alloc, max;
};

#define BUF_MAX_DEFAULT ((size_t)64 << 20)
#define BUF_INIT(m)                                                \
	{                                                          \
		.buf = buf_empty, .len = 0, .alloc = 0, .max = (m) \
	}

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Empty the content, keep the memory. */
void buf_reset(struct buf *b);
_must_check_ int buf_grow(struct buf *b, size_t extra);
_must_check_ int buf_add(struct buf *b, const void *data, size_t len);
_must_check_ int buf_adds(struct buf *b, const char *s);
_must_check_ int buf_addc(struct buf *b, char c);
/* Append c n times. */
_must_check_ int buf_addch(struct buf *b, char c, size_t n);
_must_check_ _printf_(2, 3) int buf_addf(struct buf *b, const char *fmt, ...);
_must_check_ _printf_(2, 0) int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Shorten to len (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
/* Take the memory out: the caller frees it with mem_free(). Never NULL unless OOM; the
 * buffer is left empty and reusable. */
char *buf_detach(struct buf *b, size_t *ret_len);

static inline void buf_releasep(struct buf *b)
{
	buf_release(b);
}

#define _cleanup_buf_ _cleanup_(buf_releasep)

#endif
