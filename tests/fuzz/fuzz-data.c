/* The data routes' decoding without a server: input is "entity\nquery string\nkey segments
 * separated by '/'\nbody". The query goes through the URL parsers and the plan builder, the
 * key through conn_key_from_segments, the body through the record and patch checks, all
 * against the connector test model (every field type, composite keys, relations). Anything may
 * be rejected; nothing may crash, leak or read out of bounds. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/alloc.h"
#include "connectors/connector.h"
#include "models/ast.h"
#include "tests/fuzz/fuzz.h"
#include "tests/integration/connector-test-model.h"

static struct model_file *model;

/* The next '\n'-terminated part of *p (the rest when there is no '\n'). */
static char *next_part(char **p)
{
	char *s = *p, *nl;

	if (!s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = NULL;
	}
	return s;
}

/* "%41" → 'A'; a malformed escape stays as it is. */
static void percent_decode(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r == '%' && r[1] && r[2]) {
			char hex[3] = { r[1], r[2], 0 };
			char *end;
			unsigned long v = strtoul(hex, &end, 16);
			if (*end == '\0') {
				*w++ = (char)v;
				r += 2;
				continue;
			}
		}
		*w++ = *r == '+' ? ' ' : *r;
	}
	*w = '\0';
}

static void run_query(const struct entity *e, char *qs)
{
	struct query q;
	struct query_plan plan;
	char err[256];
	char *save = NULL;

	query_init(&q);
	for (char *arg = strtok_r(qs, "&", &save); arg; arg = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(arg, '=');
		const char *v = "";
		if (eq) {
			*eq = '\0';
			v = eq + 1;
		}
		percent_decode(arg);
		percent_decode((char *)v);
		int r; /* a rejected part is skipped, as the handler would answer 400 */
		if (strcmp(arg, "fields") == 0)
			r = query_parse_fields(&q, v);
		else if (strcmp(arg, "include") == 0)
			r = query_parse_include(&q, v);
		else if (strcmp(arg, "order") == 0)
			r = query_parse_order(&q, v);
		else
			r = query_parse_filter(&q, arg, v);
		if (r == -ENOMEM)
			break;
	}
	if (query_plan_build(e, &q, &plan, err, sizeof(err)) >= 0)
		query_plan_release(&plan);
	query_release(&q);
}

static void run_key(const struct entity *e, char *segs_text)
{
	const char *segs[16];
	size_t n = 0;
	char err[256];
	json_t *key = NULL, *result = NULL;
	char *save = NULL;

	for (char *s = strtok_r(segs_text, "/", &save); s && n < 16; s = strtok_r(NULL, "/", &save))
		segs[n++] = s;
	if (conn_key_from_segments(e, segs, n, &key, err, sizeof(err)) >= 0) {
		char text[512];
		(void)conn_key_text(e, key, text, sizeof(text));
		if (conn_key_result(e, key, &result) >= 0)
			json_decref(result);
		json_decref(key);
	}
}

static void run_body(const struct entity *e, const char *body, size_t len)
{
	struct conn_columns cols;
	json_error_t jerr;
	json_t *j, *out = NULL;
	char err[256];

	j = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!j)
		return;
	if (conn_columns_get(e, &cols) >= 0) {
		if (conn_record_check(&cols, e, j, &out, err, sizeof(err)) >= 0)
			json_decref(out);
		out = NULL;
		if (conn_patch_check(&cols, e, j, &out, err, sizeof(err)) >= 0)
			json_decref(out);
		out = NULL;
		if (conn_key_check(&cols, e, j, &out, err, sizeof(err)) >= 0)
			json_decref(out);
		conn_columns_release(&cols);
	}
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct entity *e = NULL;
	char *copy, *p, *name, *qs, *key;

	if (size > 16384)
		return 0;
	if (!model) {
		model = connector_test_model_parse();
		if (!model)
			return 0;
	}
	copy = mem_alloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	p = copy;
	name = next_part(&p);
	for (size_t i = 0; name && i < model->n_entities; i++)
		if (strcmp(model->entities[i]->bare_name, name) == 0)
			e = model->entities[i];
	if (!e)
		e = model->entities[size % model->n_entities];
	qs = next_part(&p);
	key = next_part(&p);
	if (qs)
		run_query(e, qs);
	if (key)
		run_key(e, key);
	if (p)
		run_body(e, p, size - (size_t)(p - copy));
	mem_free(copy);
	return 0;
}
