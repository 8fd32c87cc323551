/* toml-test decoder interface: TOML on standard input, toml-test's JSON on standard output
 * (every scalar as {"type": ..., "value": "..."}). Exit 1 for invalid TOML (the reason goes
 * to standard error), 2 when something else fails. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/fileio.h"
#include "models/toml.h"

static json_t *convert(const struct toml_value *v);

static json_t *convert_table(const struct toml_table *t)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < t->n_items; i++) {
		json_t *m = convert(&t->items[i].value);
		if (!m || json_object_setn_new(o, t->items[i].key, t->items[i].key_len, m) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *scalar(const char *type, const char *value, size_t len)
{
	return json_pack("{s:s, s:s%}", "type", type, "value", value, len);
}

static json_t *convert(const struct toml_value *v)
{
	char text[128];

	switch (v->type) {
	case TOML_TABLE:
		return convert_table(v->u.table);
	case TOML_ARRAY: {
		json_t *a = json_array();
		if (!a)
			return NULL;
		for (size_t i = 0; i < v->u.array->n_items; i++)
			if (json_array_append_new(a, convert(&v->u.array->items[i])) < 0) {
				json_decref(a);
				return NULL;
			}
		return a;
	}
	case TOML_STRING:
		return scalar("string", v->u.str.ptr, v->u.str.len);
	case TOML_INTEGER:
		(void)snprintf(text, sizeof(text), "%" PRId64, v->u.integer);
		break;
	case TOML_FLOAT:
		if (isnan(v->u.fp))
			(void)snprintf(text, sizeof(text), "nan");
		else if (isinf(v->u.fp))
			(void)snprintf(text, sizeof(text), "%sinf", v->u.fp < 0 ? "-" : "");
		else
			(void)snprintf(text, sizeof(text), "%.17g", v->u.fp);
		break;
	case TOML_BOOL:
		(void)snprintf(text, sizeof(text), "%s", v->u.boolean ? "true" : "false");
		break;
	default:
		if (toml_datetime_format(v, text, sizeof(text)) < 0)
			return NULL;
		break;
	}
	return scalar(toml_type_name(v->type), text, strlen(text));
}

int main(void)
{
	_cleanup_buf_ struct buf in = BUF_INIT(TOML_MAX_BYTES);
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	struct pd_error err = { 0 };
	char msg[1024];
	json_t *out;
	int r;

	r = read_fd_capped(STDIN_FILENO, TOML_MAX_BYTES, &in);
	if (r < 0) {
		fprintf(stderr, "toml-decoder: cannot read standard input\n");
		return 2;
	}
	r = toml_parse(in.buf, in.len, "-", &doc, &err);
	if (r < 0) {
		pd_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return r == -EBADMSG ? 1 : 2;
	}
	out = convert_table(doc->root);
	if (!out || json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) < 0) {
		json_decref(out);
		return 2;
	}
	json_decref(out);
	putchar('\n');
	return 0;
}
