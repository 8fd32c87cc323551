#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "models/toml-edit.h"
#include "models/toml.h"

struct toml_editor {
	char *file;
	struct toml_doc *doc;
	bool changed;
};

/* One step from the root to a table: the key used and the table reached. */
struct step {
	const struct toml_table *table;
	const char *key;
	size_t key_len;
	bool last_entry; /* reached through an array of tables, at its last entry */
};

#define MAX_STEPS (2 * TOML_MAX_DEPTH + 2)

int toml_editor_new(const char *text, size_t len, const char *file, struct toml_editor **ret,
		    struct pd_error *reterr)
{
	_cleanup_(toml_editor_freep) struct toml_editor *ed = NULL;
	int r;

	ed = new0(struct toml_editor, 1);
	if (!ed)
		return -ENOMEM;
	if (file) {
		ed->file = mem_strdup(file);
		if (!ed->file)
			return -ENOMEM;
	}
	r = toml_parse(text, len, file, &ed->doc, reterr);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(ed);
	return 0;
}

int toml_editor_open(const char *path, size_t max, bool missing_ok, struct toml_editor **ret,
		     struct pd_error *reterr)
{
	_cleanup_buf_ struct buf b = BUF_INIT(max);
	int r;

	r = read_file_capped(path, max, &b);
	if (r == -ENOENT && missing_ok)
		buf_reset(&b);
	else if (r < 0) {
		pd_error_set(reterr, path, 0, 0, 0, "cannot read file: %s", strerror(-r));
		return r;
	}
	return toml_editor_new(b.buf, b.len, path, ret, reterr);
}

struct toml_editor *toml_editor_free(struct toml_editor *ed)
{
	if (!ed)
		return NULL;
	toml_doc_free(ed->doc);
	mem_free(ed->file);
	mem_free(ed);
	return NULL;
}

const struct toml_doc *toml_editor_doc(const struct toml_editor *ed)
{
	return ed->doc;
}

const struct toml_table *toml_editor_root(const struct toml_editor *ed)
{
	return ed->doc->root;
}

const char *toml_editor_text(const struct toml_editor *ed, size_t *ret_len)
{
	if (ret_len)
		*ret_len = ed->doc->len;
	return ed->doc->text;
}

bool toml_editor_changed(const struct toml_editor *ed)
{
	return ed->changed;
}

/* Replace del bytes at offset with ins, and adopt the result only if it still parses. */
static int splice(struct toml_editor *ed, size_t offset, size_t del, const char *ins,
		  size_t ins_len, struct pd_error *reterr)
{
	_cleanup_buf_ struct buf b = BUF_INIT(TOML_MAX_BYTES);
	struct toml_doc *doc;
	int r;

	r = buf_add(&b, ed->doc->text, offset);
	if (r >= 0)
		r = buf_add(&b, ins, ins_len);
	if (r >= 0)
		r = buf_add(&b, ed->doc->text + offset + del, ed->doc->len - offset - del);
	if (r < 0)
		return r;
	r = toml_parse(b.buf, b.len, ed->file, &doc, reterr);
	if (r < 0)
		return r;
	toml_doc_free(ed->doc);
	ed->doc = doc;
	ed->changed = true;
	return 0;
}

static bool ends_in_newline(const struct toml_editor *ed)
{
	return ed->doc->len == 0 || ed->doc->text[ed->doc->len - 1] == '\n';
}

int toml_editor_append(struct toml_editor *ed, const char *text, size_t len, unsigned flags,
		       struct pd_error *reterr)
{
	_cleanup_buf_ struct buf b = BUF_INIT(TOML_MAX_BYTES);
	int r = 0;

	if (ed->doc->len > 0 && ((flags & TOML_APPEND_SEPARATE) || !ends_in_newline(ed)))
		r = buf_addc(&b, '\n');
	if (r >= 0)
		r = buf_add(&b, text, len);
	if (r < 0)
		return r;
	return splice(ed, ed->doc->len, 0, b.buf, b.len, reterr);
}

int toml_format_string(struct buf *b, const char *s, size_t len)
{
	int r;

	r = buf_addc(b, '"');
	for (size_t i = 0; r >= 0 && i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			r = buf_adds(b, "\\\"");
			break;
		case '\\':
			r = buf_adds(b, "\\\\");
			break;
		case '\n':
			r = buf_adds(b, "\\n");
			break;
		case '\t':
			r = buf_adds(b, "\\t");
			break;
		case '\r':
			r = buf_adds(b, "\\r");
			break;
		case '\b':
			r = buf_adds(b, "\\b");
			break;
		case '\f':
			r = buf_adds(b, "\\f");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				r = buf_addf(b, "\\u%04X", c);
			else
				r = buf_addc(b, (char)c);
			break;
		}
	}
	if (r >= 0)
		r = buf_addc(b, '"');
	return r;
}

int toml_format_key(struct buf *b, const char *key, size_t len)
{
	if (toml_key_is_bare(key, len))
		return buf_add(b, key, len);
	return toml_format_string(b, key, len);
}

int toml_format_kv_value(struct buf *b, const struct toml_edit_kv *kv)
{
	if (kv->raw)
		return buf_adds(b, kv->raw);
	switch (kv->type) {
	case TOML_STRING:
		return toml_format_string(b, kv->str ? kv->str : "", kv->str ? strlen(kv->str) : 0);
	case TOML_INTEGER:
		return buf_addf(b, "%" PRId64, kv->integer);
	case TOML_BOOL:
		return buf_adds(b, kv->boolean ? "true" : "false");
	case TOML_FLOAT:
		if (isnan(kv->fp))
			return buf_adds(b, "nan");
		if (isinf(kv->fp))
			return buf_adds(b, kv->fp < 0 ? "-inf" : "inf");
		if (kv->fp == floor(kv->fp) && fabs(kv->fp) < 1e15)
			return buf_addf(b, "%.1f", kv->fp);
		return buf_addf(b, "%.17g", kv->fp);
	default:
		return -EINVAL;
	}
}

int toml_editor_append_table(struct toml_editor *ed, const char *name, bool array_of_tables,
			     const struct toml_edit_kv *kvs, size_t n_kvs, unsigned flags,
			     struct pd_error *reterr)
{
	_cleanup_buf_ struct buf b = BUF_INIT(TOML_MAX_BYTES);
	int r;

	r = buf_addf(&b, array_of_tables ? "[[%s]]\n" : "[%s]\n", name);
	for (size_t i = 0; r >= 0 && i < n_kvs; i++) {
		r = buf_addf(&b, "%s = ", kvs[i].key);
		if (r >= 0)
			r = toml_format_kv_value(&b, &kvs[i]);
		if (r >= 0)
			r = buf_addc(&b, '\n');
	}
	if (r < 0)
		return r;
	return toml_editor_append(ed, b.buf, b.len, flags, reterr);
}

/* The chain of tables from the root down to target. Tables inside plain arrays are inline
 * tables, which an edit anchors on, so the chain may pass through arrays too. */
static bool find_path(const struct toml_value *v, const struct toml_table *target, const char *key,
		      size_t key_len, bool last_entry, struct step *steps, size_t *n)
{
	if (*n >= MAX_STEPS)
		return false;
	if (v->type == TOML_TABLE) {
		const struct toml_table *t = v->u.table;
		steps[(*n)++] = (struct step){ t, key, key_len, last_entry };
		if (t == target)
			return true;
		for (size_t i = 0; i < t->n_items; i++) {
			const struct toml_keyval *kv = &t->items[i];
			if (find_path(&kv->value, target, kv->key, kv->key_len, false, steps, n))
				return true;
		}
		(*n)--;
	} else if (v->type == TOML_ARRAY) {
		for (size_t k = 0; k < v->u.array->n_items; k++)
			if (find_path(&v->u.array->items[k], target, key, key_len,
				      v->u.array->of_tables && k + 1 == v->u.array->n_items, steps,
				      n))
				return true;
	}
	return false;
}

static int add_keys(struct buf *b, char **keys, size_t *lens, size_t from, size_t to)
{
	int r = 0;

	for (size_t i = from; r >= 0 && i < to; i++) {
		if (i > from)
			r = buf_addc(b, '.');
		if (r >= 0)
			r = toml_format_key(b, keys[i], lens[i]);
	}
	return r;
}

static int set_missing(struct toml_editor *ed, struct step *steps, size_t n_steps, size_t first,
		       char **keys, size_t *lens, size_t n_keys, const struct toml_edit_kv *kv,
		       struct pd_error *reterr)
{
	_cleanup_buf_ struct buf b = BUF_INIT(TOML_MAX_BYTES);
	size_t anchor = 0;
	bool implicit = false;
	const struct toml_table *t;
	int r;

	/* steps[first..] were reached with keys[0..]; keys[n_steps - first ..] are missing.
	 * The new text goes into the deepest table that is not a dotted one (the root, a
	 * [table], an [[array]] entry, an inline table), as a dotted key through the dotted
	 * tables below it; an implicit table first needs a header of its own. */
	for (size_t i = 0; i < n_steps; i++) {
		enum toml_table_kind k = steps[i].table->kind;
		if (k != TOML_TABLE_DOTTED) {
			anchor = i;
			implicit = k == TOML_TABLE_IMPLICIT;
		}
	}
	t = steps[anchor].table;

	/* The key text relative to the anchor: keys of the steps below it, then the rest. */
	for (size_t i = anchor + 1; i < n_steps; i++) {
		if (b.len > 0)
			r = buf_addc(&b, '.');
		else
			r = 0;
		if (r >= 0)
			r = toml_format_key(&b, steps[i].key, steps[i].key_len);
		if (r < 0)
			return r;
	}
	if (b.len > 0) {
		r = buf_addc(&b, '.');
		if (r < 0)
			return r;
	}
	r = add_keys(&b, keys, lens, n_steps - first, n_keys);
	if (r >= 0)
		r = buf_adds(&b, " = ");
	if (r >= 0)
		r = toml_format_kv_value(&b, kv);
	if (r < 0)
		return r;

	if (t->kind == TOML_TABLE_INLINE) {
		_cleanup_buf_ struct buf ins = BUF_INIT(TOML_MAX_BYTES);
		size_t close = t->header.offset + t->header.len - 1, at = close;

		while (at > t->header.offset + 1 &&
		       (ed->doc->text[at - 1] == ' ' || ed->doc->text[at - 1] == '\t'))
			at--;
		if (t->n_items == 0) {
			/* "{}" becomes "{ k = v }", "{ }" too; wider spacing stays as it was. */
			bool spaced;

			at = t->header.offset + 1;
			spaced = ed->doc->text[at] == ' ' || ed->doc->text[at] == '\t';
			r = buf_addf(&ins, spaced ? "%s " : " %s ", b.buf);
			if (r < 0)
				return r;
			return splice(ed, at + spaced, 0, ins.buf, ins.len, reterr);
		}
		r = buf_addf(&ins, ", %s", b.buf);
		if (r < 0)
			return r;
		return splice(ed, at, 0, ins.buf, ins.len, reterr);
	}

	if (implicit) {
		/* The table exists only as part of longer headers: define it with a header of
		 * its own at the end, which TOML allows once. */
		_cleanup_buf_ struct buf hdr = BUF_INIT(TOML_MAX_BYTES);
		for (size_t i = 1; i <= anchor; i++) {
			if (i < n_steps && !steps[i].last_entry &&
			    steps[i].table->kind == TOML_TABLE_ARRAY_ENTRY)
				return -EOPNOTSUPP; /* a header cannot name an earlier entry */
			if (i > 1) {
				r = buf_addc(&hdr, '.');
				if (r < 0)
					return r;
			}
			r = toml_format_key(&hdr, steps[i].key, steps[i].key_len);
			if (r < 0)
				return r;
		}
		r = buf_addf(&hdr, "]\n%s\n", b.buf);
		if (r < 0)
			return r;
		{
			_cleanup_buf_ struct buf all = BUF_INIT(TOML_MAX_BYTES);
			r = buf_addc(&all, '[');
			if (r >= 0)
				r = buf_add(&all, hdr.buf, hdr.len);
			if (r < 0)
				return r;
			return toml_editor_append(ed, all.buf, all.len, TOML_APPEND_SEPARATE,
						  reterr);
		}
	}

	{
		_cleanup_buf_ struct buf line = BUF_INIT(TOML_MAX_BYTES);
		size_t at = t->section_end;

		if (at > ed->doc->len)
			at = ed->doc->len;
		if (at > 0 && ed->doc->text[at - 1] != '\n') {
			r = buf_addc(&line, '\n');
			if (r < 0)
				return r;
		}
		r = buf_addf(&line, "%s\n", b.buf);
		if (r < 0)
			return r;
		return splice(ed, at, 0, line.buf, line.len, reterr);
	}
}

int toml_editor_set(struct toml_editor *ed, const struct toml_table *t, const char *key,
		    const struct toml_edit_kv *kv, struct pd_error *reterr)
{
	struct step steps[MAX_STEPS];
	size_t n_steps = 1, first;
	char **keys = NULL;
	size_t *lens = NULL;
	const struct toml_table *cur;
	int n, r;

	if (!t)
		t = ed->doc->root;
	n = toml_split_key(key, strlen(key), &keys, &lens);
	if (n < 0) {
		pd_error_set(reterr, ed->file, 0, 0, 0, "invalid key '%s'", key);
		return n;
	}
	{
		struct toml_value root = { .type = TOML_TABLE, .u.table = ed->doc->root };
		n_steps = 0;
		if (!find_path(&root, t, NULL, 0, false, steps, &n_steps)) {
			pd_error_set(reterr, ed->file, 0, 0, 0, "table not in this document");
			r = -EINVAL;
			goto out;
		}
	}
	first = n_steps;
	cur = t;
	for (size_t i = 0; i < (size_t)n; i++) {
		const struct toml_keyval *f = toml_table_find(cur, keys[i], lens[i]);
		const struct toml_value *v;
		_cleanup_buf_ struct buf val = BUF_INIT(TOML_MAX_BYTES);

		if (!f) {
			r = set_missing(ed, steps, n_steps, first, keys, lens, (size_t)n, kv,
					reterr);
			goto out;
		}
		v = &f->value;
		if (i + 1 == (size_t)n) {
			if ((v->type == TOML_TABLE && v->u.table->kind != TOML_TABLE_INLINE) ||
			    (v->type == TOML_ARRAY && v->u.array->of_tables)) {
				pd_error_set(reterr, ed->file, f->key_span.line, f->key_span.column,
					     f->key_span.offset, "'%s' is a table", key);
				r = -EEXIST;
				goto out;
			}
			r = toml_format_kv_value(&val, kv);
			if (r >= 0)
				r = splice(ed, v->span.offset, v->span.len, val.buf, val.len,
					   reterr);
			goto out;
		}
		if (n_steps >= MAX_STEPS) {
			r = -E2BIG;
			goto out;
		}
		if (v->type == TOML_TABLE) {
			cur = v->u.table;
			steps[n_steps++] = (struct step){ cur, f->key, f->key_len, false };
		} else if (v->type == TOML_ARRAY && v->u.array->of_tables) {
			cur = v->u.array->items[v->u.array->n_items - 1].u.table;
			steps[n_steps++] = (struct step){ cur, f->key, f->key_len, true };
		} else {
			pd_error_set(reterr, ed->file, f->key_span.line, f->key_span.column,
				     f->key_span.offset, "'%s' is not a table", f->key);
			r = -ENOTDIR;
			goto out;
		}
	}
	r = -EINVAL;
out:
	toml_keys_free(keys, lens, n > 0 ? (size_t)n : 0);
	return r;
}

int toml_editor_save(struct toml_editor *ed, const char *path, mode_t mode)
{
	int r = write_file_atomic(path, ed->doc->text, ed->doc->len, mode, true);
	return r < 0 ? r : 0;
}
