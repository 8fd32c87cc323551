/* errno helpers: thread-safe error text and symbolic names. */
#ifndef BASE_ERRNO_UTIL_H
#define BASE_ERRNO_UTIL_H

#include <stddef.h>

/* Text for error (either sign), always non-NULL; buf holds it when not static. */
const char *errno_text(int error, char *buf, size_t size);
/* "ENOENT" and so on, or NULL for an unknown value (either sign). */
const char *errno_name(int error);

#endif
