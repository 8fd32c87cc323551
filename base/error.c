#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"

void pd_error_set(struct pd_error *e, const char *file, unsigned line, unsigned column,
		  size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	(void)snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
	e->column = column;
	e->offset = offset;
	va_start(ap, fmt);
	(void)vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

void pd_error_format(const struct pd_error *e, char *buf, size_t size)
{
	if (e->file[0] && e->line)
		(void)snprintf(buf, size, "%s:%u:%u: %s", e->file, e->line, e->column, e->text);
	else if (e->line)
		(void)snprintf(buf, size, "%u:%u: %s", e->line, e->column, e->text);
	else if (e->file[0])
		(void)snprintf(buf, size, "%s: %s", e->file, e->text);
	else
		(void)snprintf(buf, size, "%s", e->text);
}
