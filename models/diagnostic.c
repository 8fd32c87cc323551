#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/json-writer.h"
#include "models/diagnostic.h"

void diag_list_init(struct diag_list *l)
{
	*l = (struct diag_list)DIAG_LIST_INIT;
}

void diag_list_release(struct diag_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		mem_free(l->items[i].message);
	mem_free(l->items);
	mem_free(l->file);
	diag_list_init(l);
}

int diag_list_set_file(struct diag_list *l, const char *file)
{
	char *copy = NULL;

	if (file) {
		copy = mem_strdup(file);
		if (!copy)
			return -ENOMEM;
	}
	mem_free(l->file);
	l->file = copy;
	return 0;
}

static int diag_push(struct diag_list *l, const char *code, enum diag_severity severity,
		     unsigned line, unsigned column, size_t offset, char *message)
{
	struct diagnostic *d;

	if (l->n >= DIAG_LIST_MAX_ITEMS) {
		mem_free(message);
		l->n_dropped++;
		if (severity == DIAG_ERROR)
			l->n_errors++;
		else
			l->n_warnings++;
		return 0;
	}
	if (GROW(l->items, l->alloc, l->n + 1) < 0) {
		mem_free(message);
		return -ENOMEM;
	}
	d = &l->items[l->n++];
	d->code = code;
	d->severity = severity;
	d->message = message;
	d->line = line;
	d->column = column;
	d->offset = offset;
	d->seq = l->n - 1;
	if (severity == DIAG_ERROR)
		l->n_errors++;
	else
		l->n_warnings++;
	return 0;
}

int diag_add(struct diag_list *l, const char *code, enum diag_severity severity,
	     struct model_pos pos, const char *fmt, ...)
{
	struct buf b = BUF_INIT(4096);
	va_list ap;
	char *msg;
	int r;

	if (l->n >= DIAG_LIST_MAX_ITEMS)
		return diag_push(l, code, severity, pos.line, pos.column, pos.offset, NULL);
	va_start(ap, fmt);
	r = buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	msg = buf_detach(&b, NULL);
	if (!msg)
		return -ENOMEM;
	return diag_push(l, code, severity, pos.line, pos.column, pos.offset, msg);
}

int diag_add_parse_error(struct diag_list *l, const struct pd_error *e)
{
	char *msg = mem_strdup(e->text);

	if (!msg)
		return -ENOMEM;
	return diag_push(l, DIAG_SYNTAX, DIAG_ERROR, e->line, e->column, e->offset, msg);
}

static int diag_compare(const void *a, const void *b)
{
	const struct diagnostic *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void diag_list_sort(struct diag_list *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), diag_compare);
}

bool diag_list_has_code(const struct diag_list *l, const char *code)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].code, code) == 0)
			return true;
	return false;
}

const char *diag_severity_to_string(enum diag_severity s)
{
	return s == DIAG_WARNING ? "warning" : "error";
}

int diag_list_format_text(const struct diag_list *l, struct buf *out)
{
	int r = 0;

	for (size_t i = 0; i < l->n && r >= 0; i++) {
		const struct diagnostic *d = &l->items[i];
		const char *sev = diag_severity_to_string(d->severity);

		if (l->file && d->line)
			r = buf_addf(out, "%s:%u:%u: %s %s: %s\n", l->file, d->line, d->column, sev,
				     d->code, d->message);
		else if (d->line)
			r = buf_addf(out, "%u:%u: %s %s: %s\n", d->line, d->column, sev, d->code,
				     d->message);
		else if (l->file)
			r = buf_addf(out, "%s: %s %s: %s\n", l->file, sev, d->code, d->message);
		else
			r = buf_addf(out, "%s %s: %s\n", sev, d->code, d->message);
	}
	if (r >= 0 && l->n_dropped > 0)
		r = buf_addf(out, "%s%snote: %zu more diagnostics not shown\n",
			     l->file ? l->file : "", l->file ? ": " : "", l->n_dropped);
	return r < 0 ? r : 0;
}

int diag_list_format_json(const struct diag_list *l, struct buf *out)
{
	int r;

	r = buf_addc(out, '[');
	for (size_t i = 0; i < l->n && r >= 0; i++) {
		const struct diagnostic *d = &l->items[i];

		r = buf_adds(out, i ? ",{\"code\":" : "{\"code\":");
		if (r >= 0)
			r = json_add_string(out, d->code);
		if (r >= 0)
			r = buf_addf(out, ",\"severity\":\"%s\",\"message\":",
				     diag_severity_to_string(d->severity));
		if (r >= 0)
			r = json_add_string(out, d->message);
		if (r >= 0 && l->file) {
			r = buf_adds(out, ",\"file\":");
			if (r >= 0)
				r = json_add_string(out, l->file);
		}
		if (r >= 0)
			r = buf_addf(out, ",\"line\":%u,\"column\":%u}", d->line, d->column);
	}
	if (r >= 0)
		r = buf_addc(out, ']');
	return r < 0 ? r : 0;
}
