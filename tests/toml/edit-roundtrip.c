/* Editor round trips over every valid toml-test document: add a key to each table (header,
 * array entry, dotted, implicit, inline) and replace each scalar value, one edit at a time.
 * Each edit must change only the bytes it is about (a pure insertion or a replacement of the
 * value's span) and the edited text must decode to the original document plus that one change.
 * Skips (77) when the corpus is absent. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "models/toml-edit.h"
#include "models/toml.h"

#define NEW_KEY		   "zz-new key"
#define MAX_LEAVES_PER_DOC 200

struct tables {
	const struct toml_table **v;
	size_t n, alloc;
};

static unsigned checked, failed, skipped;

static int collect(const struct toml_value *v, struct tables *out)
{
	int r;

	if (v->type == TOML_TABLE) {
		r = GROW(out->v, out->alloc, out->n + 1);
		if (r < 0)
			return r;
		out->v[out->n++] = v->u.table;
		for (size_t i = 0; i < v->u.table->n_items; i++) {
			r = collect(&v->u.table->items[i].value, out);
			if (r < 0)
				return r;
		}
	} else if (v->type == TOML_ARRAY) {
		for (size_t i = 0; i < v->u.array->n_items; i++) {
			r = collect(&v->u.array->items[i], out);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int tables_of(const struct toml_doc *doc, struct tables *out)
{
	struct toml_value root = { .type = TOML_TABLE, .u.table = doc->root };

	*out = (struct tables){ 0 };
	return collect(&root, out);
}

static bool dt_equal(const struct toml_datetime *a, const struct toml_datetime *b)
{
	return a->year == b->year && a->month == b->month && a->day == b->day &&
	       a->hour == b->hour && a->minute == b->minute && a->second == b->second &&
	       a->nanosecond == b->nanosecond && a->offset_minutes == b->offset_minutes &&
	       a->offset_z == b->offset_z && streq(a->fraction, b->fraction);
}

/* Compare a (original) with b (edited). In table `target` of b, key NEW_KEY must be present
 * and is skipped; value `changed` of a must have become an integer `want`. */
static bool equal(const struct toml_value *a, const struct toml_value *b,
		  const struct toml_table *target, const struct toml_value *changed, int64_t want)
{
	if (a == changed)
		return b->type == TOML_INTEGER && b->u.integer == want;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case TOML_STRING:
		return a->u.str.len == b->u.str.len &&
		       memcmp(a->u.str.ptr, b->u.str.ptr, a->u.str.len) == 0;
	case TOML_INTEGER:
		return a->u.integer == b->u.integer;
	case TOML_FLOAT:
		return (isnan(a->u.fp) && isnan(b->u.fp)) || a->u.fp == b->u.fp;
	case TOML_BOOL:
		return a->u.boolean == b->u.boolean;
	case TOML_ARRAY:
		if (a->u.array->n_items != b->u.array->n_items)
			return false;
		for (size_t i = 0; i < a->u.array->n_items; i++)
			if (!equal(&a->u.array->items[i], &b->u.array->items[i], target, changed,
				   want))
				return false;
		return true;
	case TOML_TABLE: {
		const struct toml_table *ta = a->u.table, *tb = b->u.table;
		size_t j = 0;
		bool found = false;

		for (size_t i = 0; i < tb->n_items; i++) {
			const struct toml_keyval *kb = &tb->items[i];
			if (tb == target && streq(kb->key, NEW_KEY)) {
				if (kb->value.type != TOML_STRING ||
				    !streq(kb->value.u.str.ptr, "x"))
					return false;
				found = true;
				continue;
			}
			if (j >= ta->n_items || ta->items[j].key_len != kb->key_len ||
			    memcmp(ta->items[j].key, kb->key, kb->key_len) != 0)
				return false;
			if (!equal(&ta->items[j].value, &kb->value, target, changed, want))
				return false;
			j++;
		}
		return j == ta->n_items && (tb != target || found);
	}
	default:
		return dt_equal(&a->u.dt, &b->u.dt);
	}
}

static bool docs_equal(const struct toml_doc *a, const struct toml_doc *b,
		       const struct toml_table *target, const struct toml_value *changed,
		       int64_t want)
{
	struct toml_value ra = { .type = TOML_TABLE, .u.table = a->root };
	struct toml_value rb = { .type = TOML_TABLE, .u.table = b->root };

	return equal(&ra, &rb, target, changed, want);
}

/* Whether edited is orig with bytes inserted at one place. */
static bool pure_insertion(const char *orig, size_t olen, const char *ed, size_t elen)
{
	size_t pre = 0, suf = 0;

	if (elen <= olen)
		return false;
	while (pre < olen && orig[pre] == ed[pre])
		pre++;
	while (suf < olen - pre && orig[olen - 1 - suf] == ed[elen - 1 - suf])
		suf++;
	return pre + suf == olen;
}

_printf_(2, 3) static void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	failed++;
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void check_doc(const char *name, const char *text, size_t len)
{
	struct toml_doc *orig = NULL;
	struct tables ot;
	struct pd_error err;
	unsigned leaves = 0;

	if (toml_parse(text, len, name, &orig, &err) < 0) {
		fail(name, "does not decode: %u:%u: %s", err.line, err.column, err.text);
		return;
	}
	if (tables_of(orig, &ot) < 0) {
		fail(name, "out of memory");
		toml_doc_free(orig);
		return;
	}
	for (size_t k = 0; k < ot.n; k++) {
		const struct toml_table *t = ot.v[k];

		/* One insertion into table k. */
		{
			struct toml_editor *ed = NULL;
			const struct toml_edit_kv kv = TOML_KV_STRING(NULL, "x");
			struct tables et;
			size_t elen;
			const char *etext;
			int r;

			if (toml_table_find(t, NEW_KEY, strlen(NEW_KEY)) ||
			    toml_editor_new(text, len, name, &ed, &err) < 0 ||
			    tables_of(toml_editor_doc(ed), &et) < 0) {
				fail(name, "cannot start editing");
				toml_editor_free(ed);
				continue;
			}
			checked++;
			r = toml_editor_set(ed, et.v[k], "\"" NEW_KEY "\"", &kv, &err);
			mem_free(et.v);
			if (r == -EOPNOTSUPP) {
				/* An implicit table under an earlier [[array]] entry. */
				skipped++;
			} else if (r < 0) {
				fail(name, "adding a key to table %zu: %s (%s)", k, strerror(-r),
				     err.text);
			} else {
				etext = toml_editor_text(ed, &elen);
				if (tables_of(toml_editor_doc(ed), &et) < 0 || et.n != ot.n)
					fail(name, "table %zu: edit changed the tables", k);
				else if (!pure_insertion(text, len, etext, elen))
					fail(name, "table %zu: edit is not a pure insertion", k);
				else if (!docs_equal(orig, toml_editor_doc(ed), et.v[k], NULL, 0))
					fail(name, "table %zu: edited document differs", k);
				mem_free(et.v);
			}
			toml_editor_free(ed);
		}

		/* Each scalar of table k replaced by an integer. */
		for (size_t i = 0; i < t->n_items && leaves < MAX_LEAVES_PER_DOC; i++) {
			const struct toml_keyval *okv = &t->items[i];
			const struct toml_value *ov = &okv->value;
			_cleanup_buf_ struct buf key = BUF_INIT(1 << 20), want = BUF_INIT(8 << 20);
			struct toml_editor *ed = NULL;
			struct tables et;
			int64_t n = ov->type == TOML_INTEGER && ov->u.integer == 42 ? 43 : 42;
			const struct toml_edit_kv kv = TOML_KV_INT(NULL, n);
			size_t elen;
			const char *etext;
			int r;

			if (ov->type == TOML_TABLE || ov->type == TOML_ARRAY)
				continue;
			leaves++;
			checked++;
			if (toml_format_key(&key, okv->key, okv->key_len) < 0 ||
			    buf_add(&want, text, ov->span.offset) < 0 ||
			    buf_addf(&want, "%" PRId64, n) < 0 ||
			    buf_add(&want, text + ov->span.offset + ov->span.len,
				    len - ov->span.offset - ov->span.len) < 0 ||
			    toml_editor_new(text, len, name, &ed, &err) < 0 ||
			    tables_of(toml_editor_doc(ed), &et) < 0) {
				fail(name, "cannot start editing");
				toml_editor_free(ed);
				continue;
			}
			r = toml_editor_set(ed, et.v[k], key.buf, &kv, &err);
			mem_free(et.v);
			if (r < 0) {
				fail(name, "replacing '%s': %s (%s)", okv->key, strerror(-r),
				     err.text);
			} else {
				etext = toml_editor_text(ed, &elen);
				if (elen != want.len || memcmp(etext, want.buf, elen) != 0)
					fail(name, "replacing '%s' changed other bytes", okv->key);
				else if (!docs_equal(orig, toml_editor_doc(ed), NULL, ov, n))
					fail(name, "replacing '%s': edited document differs",
					     okv->key);
			}
			toml_editor_free(ed);
		}
	}
	mem_free(ot.v);
	toml_doc_free(orig);
}

int main(void)
{
	const char *conf = getenv("PERSIST_CONFORMANCE_DIR");
	char dir[4096], list[4200], line[4096];
	unsigned docs = 0;
	FILE *f;

	(void)snprintf(dir, sizeof(dir), "%s/toml-test", conf ? conf : "../shared/conformance");
	(void)snprintf(list, sizeof(list), "%s/files-toml-1.0.0", dir);
	f = fopen(list, "re");
	if (!f) {
		printf("toml-edit-roundtrip: corpus not found in %s, skipping\n", dir);
		return 77;
	}
	while (fgets(line, sizeof(line), f)) {
		_cleanup_buf_ struct buf text = BUF_INIT(TOML_MAX_BYTES);
		char path[8400];
		size_t n = strlen(line);

		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (!startswith(line, "valid/") || !endswith(line, ".toml"))
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, line);
		if (read_file_capped(path, TOML_MAX_BYTES, &text) < 0) {
			fail(line, "cannot read");
			continue;
		}
		docs++;
		check_doc(line, text.buf, text.len);
	}
	fclose(f);
	printf("toml-edit-roundtrip: %u documents, %u edits checked (%u not possible), %u failed\n",
	       docs, checked, skipped, failed);
	return failed == 0 && docs > 0 ? 0 : 1;
}
