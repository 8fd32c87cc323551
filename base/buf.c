#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"

char buf_empty[1];

void buf_init(struct buf *b, size_t max)
{
	*b = (struct buf)BUF_INIT(max);
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		mem_free(b->buf);
	b->buf = buf_empty;
	b->len = b->alloc = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->buf[0] = '\0';
}

int buf_grow(struct buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra) {
		buf_release(b);
		return -EMSGSIZE;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	size_t n = b->alloc ? b->alloc : 64;
	while (n < need)
		n = n > ((size_t)-1) / 2 ? need : n * 2;
	char *p = mem_realloc(b->alloc ? b->buf : NULL, n);
	if (!p) {
		buf_release(b);
		return -ENOMEM;
	}
	if (!b->alloc)
		p[0] = '\0';
	b->buf = p;
	b->alloc = n;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	int r = buf_grow(b, len);
	if (r < 0)
		return r;
	if (len)
		memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_addch(struct buf *b, char c, size_t n)
{
	int r = buf_grow(b, n);
	if (r < 0)
		return r;
	memset(b->buf + b->len, c, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return 0;
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	char small[256];

	va_copy(aq, ap);
	int n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0) {
		buf_release(b);
		return -EINVAL;
	}
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);

	int r = buf_grow(b, (size_t)n);
	if (r < 0)
		return r;
	va_copy(aq, ap);
	(void)vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, aq);
	va_end(aq);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->buf[len] = '\0';
}

char *buf_detach(struct buf *b, size_t *ret_len)
{
	char *p;

	if (b->alloc)
		p = b->buf;
	else
		p = mem_strdup("");
	if (!p)
		return NULL;
	if (ret_len)
		*ret_len = b->len;
	b->buf = buf_empty;
	b->len = b->alloc = 0;
	return p;
}
