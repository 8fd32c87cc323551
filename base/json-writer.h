/* Writing JSON text into a struct buf, for layers that may not link a JSON library. Only the
 * escaping is subtle; the caller writes the punctuation. */
#ifndef BASE_JSON_WRITER_H
#define BASE_JSON_WRITER_H

#include <stddef.h>

#include "base/buf.h"
#include "base/macro.h"

/* Append s[0..len) as a JSON string literal, quotes included. Control characters, '"' and '\'
 * are escaped; bytes that are not valid UTF-8 become U+FFFD so the output always parses. */
_must_check_ int json_add_string_len(struct buf *b, const char *s, size_t len);
_must_check_ int json_add_string(struct buf *b, const char *s);

#endif
