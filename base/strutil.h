/* Small string helpers and strict number parsing (atoi and friends are banned). */
#ifndef BASE_STRUTIL_H
#define BASE_STRUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/macro.h"

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Return a pointer past prefix in s, or NULL when s does not start with it. */
const char *startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/* snprintf that reports truncation: 0 when the whole text fit, -ENAMETOOLONG otherwise (buf
 * then holds the truncated text). For paths and names, where a cut-off value is wrong. */
_must_check_ _printf_(3, 4) int snprintf_checked(char *buf, size_t size, const char *fmt, ...);

/* Whole-string decimal parses: no sign for unsigned, no spaces, no trailing bytes.
 * -EINVAL for a malformed string, -ERANGE when out of range. */
/* Whether s (NUL-terminated) is well-formed UTF-8: no overlong forms, no surrogates, nothing
 * above U+10FFFF. */
bool utf8_is_valid(const char *s);
/* The offset of the first byte of s[0..len) that does not start a well-formed sequence (one cut
 * short included); len when all of it is UTF-8. */
size_t utf8_invalid_at(const char *s, size_t len);

_must_check_ int safe_atou64(const char *s, uint64_t *ret);
_must_check_ int safe_atoi64(const char *s, int64_t *ret);
_must_check_ int safe_atou(const char *s, unsigned *ret);

#endif
