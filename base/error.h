/* Positioned errors for parsers and loaders (shape of jansson's json_error_t), so the CLI and
 * the API can both point at file:line:column. Messages follow git's rules: lowercase, no final
 * full stop, the subject in single quotes. */
#ifndef BASE_ERROR_H
#define BASE_ERROR_H

#include <stddef.h>

#include "base/macro.h"

#define PD_ERROR_FILE_MAX 256
#define PD_ERROR_TEXT_MAX 512

struct pd_error {
	char file[PD_ERROR_FILE_MAX];
	unsigned line, column; /* 1-based; 0 when unknown */
	size_t offset; /* byte offset in the input */
	char text[PD_ERROR_TEXT_MAX];
};

/* Fill e (when not NULL); file may be NULL. Truncates silently. */
_printf_(6, 7) void pd_error_set(struct pd_error *e, const char *file, unsigned line,
				 unsigned column, size_t offset, const char *fmt, ...);
/* "file:line:column: text" (parts that are unknown are left out) into buf. */
void pd_error_format(const struct pd_error *e, char *buf, size_t size);

#endif
