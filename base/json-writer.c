#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/json-writer.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when it is not valid. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int json_add_string_len(struct buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int r;

	r = buf_addc(b, '"');
	if (r < 0)
		return r;
	while (i < len) {
		unsigned char c = u[i];
		const char *esc = NULL;
		char hex[8];
		size_t n;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		if (c >= 0x80) {
			n = utf8_valid_len(u + i, len - i);
			if (n > 0) {
				i += n;
				run += n;
				continue;
			}
		}
		if (run > 0) {
			r = buf_add(b, s + i - run, run);
			if (r < 0)
				return r;
			run = 0;
		}
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		default:
			if (c < 0x20) {
				(void)snprintf(hex, sizeof(hex), "\\u%04x", c);
				esc = hex;
			} else {
				esc = "\\ufffd";
			}
			break;
		}
		r = buf_adds(b, esc);
		if (r < 0)
			return r;
		i++;
	}
	if (run > 0) {
		r = buf_add(b, s + len - run, run);
		if (r < 0)
			return r;
	}
	return buf_addc(b, '"');
}

int json_add_string(struct buf *b, const char *s)
{
	return json_add_string_len(b, s, strlen(s));
}
