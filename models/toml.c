#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fileio.h"
#include "base/hash.h"
#include "base/strutil.h"
#include "models/toml.h"

/* A dotted key as parsed: decoded segments and where each was written. */
struct key {
	size_t n;
	char *seg[TOML_MAX_DEPTH];
	size_t seg_len[TOML_MAX_DEPTH];
	struct toml_span span[TOML_MAX_DEPTH];
};

struct parser {
	const char *s;
	size_t len, pos;
	const char *file;
	struct toml_table *root;
	struct toml_table *cur; /* the table the current section's keys go into */
	struct pd_error *err;
	size_t *line_starts; /* offset of each line's first byte, for spans and errors */
	size_t n_lines;
};

static void key_release(struct key *k)
{
	for (size_t i = 0; i < k->n; i++)
		mem_free(k->seg[i]);
	k->n = 0;
}

static void position(const struct parser *p, size_t at, unsigned *ret_line, unsigned *ret_col)
{
	size_t lo = 0, hi;

	if (!p->line_starts) {
		*ret_line = 1;
		*ret_col = (unsigned)at + 1;
		return;
	}
	/* The last line start at or before at. */
	hi = p->n_lines;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->line_starts[mid] <= at)
			lo = mid;
		else
			hi = mid;
	}
	*ret_line = (unsigned)lo + 1;
	*ret_col = (unsigned)(at - p->line_starts[lo]) + 1;
}

static int index_lines(struct parser *p)
{
	size_t n = 1, i = 0;

	for (const char *c = p->s; (c = memchr(c, '\n', (size_t)(p->s + p->len - c))); c++)
		n++;
	p->line_starts = new0(size_t, n);
	if (!p->line_starts)
		return -ENOMEM;
	p->line_starts[i++] = 0;
	for (const char *c = p->s; (c = memchr(c, '\n', (size_t)(p->s + p->len - c))); c++)
		p->line_starts[i++] = (size_t)(c - p->s) + 1;
	p->n_lines = n;
	return 0;
}

_printf_(3, 4) static int fail(struct parser *p, size_t at, const char *fmt, ...)
{
	char text[PD_ERROR_TEXT_MAX];
	unsigned line, col;
	va_list ap;

	if (at > p->len)
		at = p->len;
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	position(p, at, &line, &col);
	pd_error_set(p->err, p->file, line, col, at, "%s", text);
	return -EBADMSG;
}

static void span_set(struct parser *p, struct toml_span *sp, size_t start, size_t end)
{
	sp->offset = start;
	sp->len = end - start;
	position(p, start, &sp->line, &sp->column);
}

static bool at_eof(const struct parser *p)
{
	return p->pos >= p->len;
}

static int peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int peek_at(const struct parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char)p->s[p->pos + off] : -1;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_bare(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
	       c == '-';
}

bool toml_key_is_bare(const char *key, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_bare((unsigned char)key[i]))
			return false;
	return true;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

/* A newline is LF or CR LF; a lone CR is never valid. */
static int eat_newline(struct parser *p)
{
	if (peek(p) == '\n') {
		p->pos++;
		return 1;
	}
	if (peek(p) == '\r') {
		if (peek_at(p, 1) != '\n')
			return fail(p, p->pos, "carriage return not followed by a line feed");
		p->pos += 2;
		return 1;
	}
	return 0;
}

static bool is_newline_at(const struct parser *p)
{
	return peek(p) == '\n' || (peek(p) == '\r' && peek_at(p, 1) == '\n');
}

static int skip_comment(struct parser *p)
{
	if (peek(p) != '#')
		return 0;
	p->pos++;
	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '\n' || (c == '\r' && peek_at(p, 1) == '\n'))
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(p, p->pos, "control character 0x%02x in comment", c);
		p->pos++;
	}
	return 0;
}

/* After a key/value pair or a header: spaces, an optional comment, then a newline or the
 * end of the input. */
static int expect_line_end(struct parser *p)
{
	int r;

	skip_ws(p);
	r = skip_comment(p);
	if (r < 0)
		return r;
	if (at_eof(p))
		return 0;
	r = eat_newline(p);
	if (r < 0)
		return r;
	if (r == 0)
		return fail(p, p->pos, "expected a newline, found '%c'", p->s[p->pos]);
	return 0;
}

/* Whitespace, comments and newlines, as allowed between array elements. */
static int skip_ws_nl(struct parser *p)
{
	int r;

	for (;;) {
		skip_ws(p);
		r = skip_comment(p);
		if (r < 0)
			return r;
		r = eat_newline(p);
		if (r < 0)
			return r;
		if (r == 0)
			return 0;
	}
}

/* Checked once up front, so everything after may treat bytes >= 0x80 as text. */
static int check_utf8(struct parser *p)
{
	size_t at = utf8_invalid_at(p->s, p->len);

	if (at < p->len)
		return fail(p, at, "invalid UTF-8 sequence (byte 0x%02x)", (unsigned char)p->s[at]);
	return 0;
}

static int add_utf8(struct buf *b, uint32_t cp)
{
	char out[4];
	size_t n;

	if (cp < 0x80) {
		out[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_add(b, out, n);
}

static int parse_escape(struct parser *p, struct buf *b)
{
	size_t start = p->pos;
	int c, r;

	p->pos++; /* backslash */
	c = peek(p);
	switch (c) {
	case 'b':
		r = buf_addc(b, '\b');
		break;
	case 't':
		r = buf_addc(b, '\t');
		break;
	case 'n':
		r = buf_addc(b, '\n');
		break;
	case 'f':
		r = buf_addc(b, '\f');
		break;
	case 'r':
		r = buf_addc(b, '\r');
		break;
	case '"':
		r = buf_addc(b, '"');
		break;
	case '\\':
		r = buf_addc(b, '\\');
		break;
	case 'u':
	case 'U': {
		size_t n = c == 'u' ? 4 : 8;
		uint32_t cp = 0;

		for (size_t i = 1; i <= n; i++) {
			int h = peek_at(p, i);
			if (!is_hex(h))
				return fail(p, start, "invalid unicode escape");
			cp = cp * 16 + (uint32_t)(is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
			if (cp > 0x10ffff)
				return fail(p, start, "unicode escape beyond U+10FFFF");
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			return fail(p, start, "unicode escape of a surrogate");
		p->pos += n + 1;
		return add_utf8(b, cp);
	}
	default:
		return fail(p, start, "invalid escape sequence");
	}
	if (r < 0)
		return r;
	p->pos++;
	return 0;
}

static int check_string_char(struct parser *p, unsigned char c)
{
	if ((c < 0x20 && c != '\t') || c == 0x7f)
		return fail(p, p->pos, "control character 0x%02x in string", c);
	return 0;
}

/* One-line strings, basic ("...") or literal ('...'); also used for quoted keys. */
static int parse_string_line(struct parser *p, struct buf *b)
{
	char q = p->s[p->pos];
	size_t start = p->pos;
	int r;

	p->pos++;
	for (;;) {
		int c = peek(p);
		if (c < 0 || c == '\n' || (c == '\r' && peek_at(p, 1) == '\n'))
			return fail(p, start, "unterminated string");
		if (c == q) {
			p->pos++;
			return 0;
		}
		if (c == '\\' && q == '"') {
			r = parse_escape(p, b);
			if (r < 0)
				return r;
			continue;
		}
		r = check_string_char(p, (unsigned char)c);
		if (r < 0)
			return r;
		r = buf_addc(b, (char)c);
		if (r < 0)
			return r;
		p->pos++;
	}
}

static bool starts_with3(const struct parser *p, char q)
{
	return peek(p) == q && peek_at(p, 1) == q && peek_at(p, 2) == q;
}

static int parse_string_multi(struct parser *p, struct buf *b)
{
	char q = p->s[p->pos];
	size_t start = p->pos;
	int r;

	p->pos += 3;
	/* A newline right after the opening delimiter is not part of the string. */
	r = eat_newline(p);
	if (r < 0)
		return r;
	for (;;) {
		int c = peek(p);

		if (c < 0)
			return fail(p, start, "unterminated multi-line string");
		if (c == q && starts_with3(p, q)) {
			size_t n = 3;
			while (peek_at(p, n) == q)
				n++;
			if (n > 5)
				return fail(p, p->pos, "too many quotes at the end of a string");
			r = buf_addch(b, q, n - 3);
			if (r < 0)
				return r;
			p->pos += n;
			return 0;
		}
		if (c == '\\' && q == '"') {
			/* A backslash ending a line trims the line break and all whitespace after.
			 */
			size_t i = 1;
			while (peek_at(p, i) == ' ' || peek_at(p, i) == '\t')
				i++;
			if (peek_at(p, i) == '\n' ||
			    (peek_at(p, i) == '\r' && peek_at(p, i + 1) == '\n')) {
				p->pos += i;
				for (;;) {
					skip_ws(p);
					r = eat_newline(p);
					if (r < 0)
						return r;
					if (r == 0)
						break;
				}
				continue;
			}
			r = parse_escape(p, b);
			if (r < 0)
				return r;
			continue;
		}
		if (c == '\r') {
			r = eat_newline(p);
			if (r < 0)
				return r;
			r = buf_addc(b, '\n');
			if (r < 0)
				return r;
			continue;
		}
		if (c != '\n') {
			r = check_string_char(p, (unsigned char)c);
			if (r < 0)
				return r;
		}
		r = buf_addc(b, (char)c);
		if (r < 0)
			return r;
		p->pos++;
	}
}

static int parse_key(struct parser *p, struct key *k)
{
	int r;

	k->n = 0;
	for (;;) {
		_cleanup_buf_ struct buf b = BUF_INIT(TOML_MAX_BYTES);
		size_t start = p->pos;
		int c = peek(p);

		if (k->n >= TOML_MAX_DEPTH)
			return fail(p, p->pos, "key has more than %d parts", TOML_MAX_DEPTH);
		if (c == '"' || c == '\'') {
			if (starts_with3(p, (char)c))
				return fail(p, p->pos, "multi-line string used as a key");
			r = parse_string_line(p, &b);
			if (r < 0)
				return r;
		} else if (c >= 0 && is_bare(c)) {
			while (peek(p) >= 0 && is_bare(peek(p)))
				p->pos++;
			r = buf_add(&b, p->s + start, p->pos - start);
			if (r < 0)
				return r;
		} else if (c < 0) {
			return fail(p, p->pos, "expected a key, found the end of the input");
		} else if (c == '\n' || c == '\r') {
			return fail(p, p->pos, "expected a key, found a newline");
		} else {
			return fail(p, p->pos, "expected a key, found '%c'", c);
		}
		k->seg_len[k->n] = b.len;
		k->seg[k->n] = buf_detach(&b, NULL);
		if (!k->seg[k->n])
			return -ENOMEM;
		span_set(p, &k->span[k->n], start, p->pos);
		k->n++;
		skip_ws(p);
		if (peek(p) != '.')
			return 0;
		p->pos++;
		skip_ws(p);
	}
}

static void value_release(struct toml_value *v);

static struct toml_table *table_free(struct toml_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_items; i++) {
		mem_free(t->items[i].key);
		value_release(&t->items[i].value);
	}
	mem_free(t->items);
	mem_free(t->index);
	mem_free(t);
	return NULL;
}

static struct toml_array *array_free(struct toml_array *a)
{
	if (!a)
		return NULL;
	for (size_t i = 0; i < a->n_items; i++)
		value_release(&a->items[i]);
	mem_free(a->items);
	mem_free(a);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct toml_table *, table_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct toml_array *, array_free);

static void value_release(struct toml_value *v)
{
	switch (v->type) {
	case TOML_STRING:
		mem_free(v->u.str.ptr);
		break;
	case TOML_ARRAY:
		array_free(v->u.array);
		break;
	case TOML_TABLE:
		table_free(v->u.table);
		break;
	default:
		break;
	}
	v->type = TOML_BOOL;
}

#define INDEX_MIN_ITEMS 16

static size_t index_slot(const struct toml_table *t, const char *key, size_t len)
{
	return (size_t)fnv1a64(key, len) & (t->index_cap - 1);
}

static void index_insert(struct toml_table *t, size_t item)
{
	size_t i = index_slot(t, t->items[item].key, t->items[item].key_len);

	while (t->index[i])
		i = (i + 1) & (t->index_cap - 1);
	t->index[i] = item + 1;
}

/* Make room in the index for one more item, rebuilding it at twice the size when it would
 * pass half full. */
static int index_reserve(struct toml_table *t)
{
	size_t need = t->n_items + 1, cap;
	size_t *idx;

	if (need < INDEX_MIN_ITEMS || (t->index && need * 2 <= t->index_cap))
		return 0;
	cap = 64;
	while (cap < need * 4)
		cap *= 2;
	idx = new0(size_t, cap);
	if (!idx)
		return -ENOMEM;
	mem_free(t->index);
	t->index = idx;
	t->index_cap = cap;
	for (size_t i = 0; i < t->n_items; i++)
		index_insert(t, i);
	return 0;
}

const struct toml_keyval *toml_table_find(const struct toml_table *t, const char *key,
					  size_t key_len)
{
	if (!t)
		return NULL;
	if (t->index) {
		for (size_t i = index_slot(t, key, key_len); t->index[i];
		     i = (i + 1) & (t->index_cap - 1)) {
			const struct toml_keyval *kv = &t->items[t->index[i] - 1];
			if (kv->key_len == key_len && memcmp(kv->key, key, key_len) == 0)
				return kv;
		}
		return NULL;
	}
	for (size_t i = 0; i < t->n_items; i++)
		if (t->items[i].key_len == key_len && memcmp(t->items[i].key, key, key_len) == 0)
			return &t->items[i];
	return NULL;
}

static struct toml_keyval *find_mut(struct toml_table *t, const char *key, size_t len)
{
	return (struct toml_keyval *)toml_table_find(t, key, len);
}

/* Append key to t; the key string is taken over on success. */
static int table_append(struct toml_table *t, char **key, size_t key_len,
			const struct toml_span *key_span, struct toml_value *value,
			struct toml_keyval **ret)
{
	struct toml_keyval *kv;
	int r;

	r = GROW(t->items, t->alloc_items, t->n_items + 1);
	if (r < 0)
		return r;
	r = index_reserve(t);
	if (r < 0)
		return r;
	kv = &t->items[t->n_items++];
	*kv = (struct toml_keyval){
		.key = TAKE_PTR(*key),
		.key_len = key_len,
		.key_span = *key_span,
		.value = *value,
	};
	*value = (struct toml_value){ .type = TOML_BOOL };
	if (t->index)
		index_insert(t, t->n_items - 1);
	if (ret)
		*ret = kv;
	return 0;
}

static int table_new(struct parser *p, enum toml_table_kind kind, unsigned depth, size_t at,
		     struct toml_table **ret)
{
	struct toml_table *t;

	if (depth > TOML_MAX_DEPTH)
		return fail(p, at, "tables and arrays nested deeper than %d", TOML_MAX_DEPTH);
	t = new0(struct toml_table, 1);
	if (!t)
		return -ENOMEM;
	t->kind = kind;
	t->depth = depth;
	*ret = t;
	return 0;
}

/* Create the sub-table seg of t (which must not have it yet). */
static int add_subtable(struct parser *p, struct toml_table *t, struct key *k, size_t i,
			enum toml_table_kind kind, struct toml_table **ret)
{
	_cleanup_(table_freep) struct toml_table *sub = NULL;
	struct toml_value v = { .type = TOML_TABLE };
	struct toml_table *borrowed;
	int r;

	r = table_new(p, kind, t->depth + 1, k->span[i].offset, &sub);
	if (r < 0)
		return r;
	v.span = k->span[i];
	v.u.table = sub;
	borrowed = sub;
	r = table_append(t, &k->seg[i], k->seg_len[i], &k->span[i], &v, NULL);
	if (r < 0)
		return r;
	TAKE_PTR(sub);
	*ret = borrowed;
	return 0;
}

static char *key_text(const struct key *k, size_t upto, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i <= upto && i < k->n; i++) {
		int w = snprintf(buf + n, size - n, "%s%s", i ? "." : "",
				 k->seg[i] ? k->seg[i] : "");
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

/* For a key/value line: walk (and create) the dotted prefix of k below base. */
static int walk_dotted(struct parser *p, struct toml_table *base, struct key *k,
		       struct toml_table **ret)
{
	struct toml_table *t = base;
	char name[256];
	int r;

	for (size_t i = 0; i + 1 < k->n; i++) {
		struct toml_keyval *kv = find_mut(t, k->seg[i], k->seg_len[i]);

		if (!kv) {
			r = add_subtable(p, t, k, i, TOML_TABLE_DOTTED, &t);
			if (r < 0)
				return r;
			continue;
		}
		if (kv->value.type == TOML_TABLE && kv->value.u.table->kind == TOML_TABLE_DOTTED) {
			t = kv->value.u.table;
			continue;
		}
		return fail(p, k->span[i].offset, "cannot add keys to '%s' with a dotted key",
			    key_text(k, i, name, sizeof(name)));
	}
	*ret = t;
	return 0;
}

static int parse_value(struct parser *p, struct toml_value *v, unsigned depth);

/* key = value, into table base; the keys of inline tables come through here too. */
static int parse_keyval(struct parser *p, struct toml_table *base)
{
	struct key k = { 0 };
	struct toml_value v = { .type = TOML_BOOL };
	struct toml_table *t = NULL;
	char name[256];
	size_t last;
	int r;

	r = parse_key(p, &k);
	if (r < 0)
		goto out;
	if (peek(p) != '=') {
		if (peek(p) < 0 || is_newline_at(p))
			r = fail(p, p->pos, "expected '=' after key '%s'",
				 key_text(&k, k.n, name, sizeof(name)));
		else
			r = fail(p, p->pos, "expected '=' after key, found '%c'", p->s[p->pos]);
		goto out;
	}
	p->pos++;
	skip_ws(p);
	r = walk_dotted(p, base, &k, &t);
	if (r < 0)
		goto out;
	last = k.n - 1;
	if (find_mut(t, k.seg[last], k.seg_len[last])) {
		r = fail(p, k.span[last].offset, "duplicate key '%s'",
			 key_text(&k, k.n, name, sizeof(name)));
		goto out;
	}
	r = parse_value(p, &v, t->depth + 1);
	if (r < 0)
		goto out;
	r = table_append(t, &k.seg[last], k.seg_len[last], &k.span[last], &v, NULL);
out:
	value_release(&v);
	key_release(&k);
	return r;
}

static int parse_array(struct parser *p, struct toml_value *v, unsigned depth)
{
	_cleanup_(array_freep) struct toml_array *a = NULL;
	size_t start = p->pos;
	int r;

	if (depth > TOML_MAX_DEPTH)
		return fail(p, start, "tables and arrays nested deeper than %d", TOML_MAX_DEPTH);
	a = new0(struct toml_array, 1);
	if (!a)
		return -ENOMEM;
	a->depth = depth;
	p->pos++;
	for (;;) {
		r = skip_ws_nl(p);
		if (r < 0)
			return r;
		if (peek(p) == ']')
			break;
		r = GROW(a->items, a->alloc_items, a->n_items + 1);
		if (r < 0)
			return r;
		a->items[a->n_items] = (struct toml_value){ .type = TOML_BOOL };
		r = parse_value(p, &a->items[a->n_items], depth + 1);
		if (r < 0) {
			value_release(&a->items[a->n_items]);
			return r;
		}
		a->n_items++;
		r = skip_ws_nl(p);
		if (r < 0)
			return r;
		if (peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p) == ']')
			break;
		if (peek(p) < 0)
			return fail(p, start, "unterminated array");
		return fail(p, p->pos, "expected ',' or ']' in array, found '%c'", p->s[p->pos]);
	}
	p->pos++;
	v->type = TOML_ARRAY;
	v->u.array = TAKE_PTR(a);
	return 0;
}

static int parse_inline_table(struct parser *p, struct toml_value *v, unsigned depth)
{
	_cleanup_(table_freep) struct toml_table *t = NULL;
	size_t start = p->pos;
	int r;

	r = table_new(p, TOML_TABLE_INLINE, depth, start, &t);
	if (r < 0)
		return r;
	p->pos++;
	skip_ws(p);
	if (peek(p) != '}') {
		for (;;) {
			skip_ws(p);
			if (peek(p) == '}')
				return fail(p, p->pos, "trailing comma in inline table");
			r = parse_keyval(p, t);
			if (r < 0)
				return r;
			skip_ws(p);
			if (peek(p) == ',') {
				p->pos++;
				continue;
			}
			if (peek(p) == '}')
				break;
			if (peek(p) < 0)
				return fail(p, start, "unterminated inline table");
			if (is_newline_at(p) || peek(p) == '\r')
				return fail(p, p->pos, "newline in inline table");
			return fail(p, p->pos, "expected ',' or '}' in inline table, found '%c'",
				    p->s[p->pos]);
		}
	}
	p->pos++;
	span_set(p, &t->header, start, p->pos);
	v->type = TOML_TABLE;
	v->u.table = TAKE_PTR(t);
	return 0;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int digits(const char *s, size_t n, int *ret)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

static int parse_date(const char *s, size_t n, struct toml_datetime *dt)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int dmax;

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	if (digits(s, 4, &dt->year) < 0 || digits(s + 5, 2, &dt->month) < 0 ||
	    digits(s + 8, 2, &dt->day) < 0)
		return -EINVAL;
	if (dt->month < 1 || dt->month > 12 || dt->day < 1)
		return -EINVAL;
	dmax = mdays[dt->month - 1] + (dt->month == 2 && is_leap(dt->year));
	if (dt->day > dmax)
		return -EINVAL;
	return 0;
}

/* HH:MM:SS[.frac][offset]; offset only when allow_offset. Returns 1 when an offset was
 * present. */
static int parse_time(const char *s, size_t n, bool allow_offset, struct toml_datetime *dt)
{
	size_t i = 8;

	if (n < 8 || s[2] != ':' || s[5] != ':')
		return -EINVAL;
	if (digits(s, 2, &dt->hour) < 0 || digits(s + 3, 2, &dt->minute) < 0 ||
	    digits(s + 6, 2, &dt->second) < 0)
		return -EINVAL;
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
		return -EINVAL;
	if (i < n && s[i] == '.') {
		size_t fstart = ++i, nd = 0;
		uint32_t ns = 0;

		while (i < n && is_digit((unsigned char)s[i])) {
			if (nd < 9) {
				ns = ns * 10 + (uint32_t)(s[i] - '0');
				if (nd < sizeof(dt->fraction) - 1)
					dt->fraction[nd] = s[i];
				nd++;
			}
			i++;
		}
		if (i == fstart)
			return -EINVAL;
		dt->fraction[nd < sizeof(dt->fraction) ? nd : sizeof(dt->fraction) - 1] = '\0';
		for (size_t k = nd; k < 9; k++)
			ns *= 10;
		dt->nanosecond = ns;
	}
	if (i == n)
		return 0;
	if (!allow_offset)
		return -EINVAL;
	if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
		dt->offset_z = true;
		return 1;
	}
	if ((s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':') {
		int oh, om;
		if (digits(s + i + 1, 2, &oh) < 0 || digits(s + i + 4, 2, &om) < 0)
			return -EINVAL;
		if (oh > 23 || om > 59)
			return -EINVAL;
		dt->offset_minutes = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
		return 1;
	}
	return -EINVAL;
}

static bool is_token_char(int c)
{
	return c >= 0 && (is_bare(c) || c == '+' || c == '.' || c == ':');
}

static int parse_datetime(struct parser *p, struct toml_value *v, size_t start, size_t end)
{
	const char *s = p->s + start;
	size_t n = end - start;
	struct toml_datetime dt = { 0 };
	int r;

	if (n >= 3 && s[2] == ':') {
		if (parse_time(s, n, false, &dt) < 0)
			return fail(p, start, "invalid local time");
		v->type = TOML_TIME_LOCAL;
		v->u.dt = dt;
		return 0;
	}
	if (n < 10 || parse_date(s, 10, &dt) < 0)
		return fail(p, start, "invalid date");
	if (n == 10) {
		/* "1979-05-27 07:32:00": a space may separate date and time. */
		if (peek(p) == ' ' && is_digit(peek_at(p, 1)) && is_digit(peek_at(p, 2)) &&
		    peek_at(p, 3) == ':') {
			size_t tstart = ++p->pos;
			while (is_token_char(peek(p)))
				p->pos++;
			s = p->s + tstart;
			n = p->pos - tstart;
		} else {
			v->type = TOML_DATE_LOCAL;
			v->u.dt = dt;
			return 0;
		}
	} else if (s[10] == 'T' || s[10] == 't') {
		s += 11;
		n -= 11;
	} else {
		return fail(p, start, "invalid date-time");
	}
	r = parse_time(s, n, true, &dt);
	if (r < 0)
		return fail(p, start, "invalid date-time");
	v->type = r > 0 ? TOML_DATETIME : TOML_DATETIME_LOCAL;
	v->u.dt = dt;
	return 0;
}

/* Digits of the given base, each '_' between two digits. */
static bool valid_digits(const char *s, size_t n, int base)
{
	if (n == 0 || s[0] == '_' || s[n - 1] == '_')
		return false;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		bool ok;
		if (c == '_') {
			if (s[i + 1] == '_')
				return false;
			continue;
		}
		switch (base) {
		case 2:
			ok = c == '0' || c == '1';
			break;
		case 8:
			ok = c >= '0' && c <= '7';
			break;
		case 16:
			ok = is_hex(c);
			break;
		default:
			ok = is_digit(c);
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

static int parse_number(struct parser *p, struct toml_value *v, size_t start, size_t end)
{
	const char *s = p->s + start;
	size_t n = end - start, i = 0;
	bool neg = false, is_float = false;
	_cleanup_free_ char *clean = NULL;
	size_t cn = 0;

	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (n - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0)) {
		v->type = TOML_FLOAT;
		if (s[i] == 'i')
			v->u.fp = neg ? -HUGE_VAL : HUGE_VAL;
		else
			v->u.fp = neg ? -NAN : NAN;
		return 0;
	}
	if (i == 0 && n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		uint64_t val = 0;

		if (!valid_digits(s + 2, n - 2, base))
			return fail(p, start, "invalid integer");
		for (size_t k = 2; k < n; k++) {
			int c = (unsigned char)s[k], d;
			if (c == '_')
				continue;
			d = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
			if (val > ((uint64_t)INT64_MAX - (uint64_t)d) / (uint64_t)base)
				return fail(p, start, "integer out of range");
			val = val * (uint64_t)base + (uint64_t)d;
		}
		v->type = TOML_INTEGER;
		v->u.integer = (int64_t)val;
		return 0;
	}

	/* Decimal: integer part, then an optional fraction and exponent. */
	{
		size_t ip = i, fp = 0, fl = 0, ep = 0, el = 0, il;

		while (i < n && (is_digit((unsigned char)s[i]) || s[i] == '_'))
			i++;
		il = i - ip;
		if (!valid_digits(s + ip, il, 10))
			return fail(p, start, "invalid number");
		if (il > 1 && s[ip] == '0')
			return fail(p, start, "leading zero in number");
		if (i < n && s[i] == '.') {
			is_float = true;
			fp = ++i;
			while (i < n && (is_digit((unsigned char)s[i]) || s[i] == '_'))
				i++;
			fl = i - fp;
			if (!valid_digits(s + fp, fl, 10))
				return fail(p, start, "invalid fraction in float");
		}
		if (i < n && (s[i] == 'e' || s[i] == 'E')) {
			is_float = true;
			i++;
			if (i < n && (s[i] == '+' || s[i] == '-'))
				i++;
			ep = i;
			while (i < n && (is_digit((unsigned char)s[i]) || s[i] == '_'))
				i++;
			el = i - ep;
			if (!valid_digits(s + ep, el, 10))
				return fail(p, start, "invalid exponent in float");
		}
		if (i != n)
			return fail(p, start, "invalid number");
	}
	/* strtod and strtoll want the digits without separators. */
	clean = mem_alloc(n + 1);
	if (!clean)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++)
		if (s[k] != '_')
			clean[cn++] = s[k];
	clean[cn] = '\0';
	if (is_float) {
		char *e;
		errno = 0;
		v->u.fp = strtod(clean, &e);
		if (*e)
			return fail(p, start, "invalid float");
		v->type = TOML_FLOAT;
		return 0;
	}
	{
		char *e;
		errno = 0;
		long long ll = strtoll(clean, &e, 10);
		if (*e)
			return fail(p, start, "invalid integer");
		if (errno == ERANGE)
			return fail(p, start, "integer out of range");
		v->type = TOML_INTEGER;
		v->u.integer = (int64_t)ll;
	}
	return 0;
}

static int parse_scalar_token(struct parser *p, struct toml_value *v)
{
	size_t start = p->pos;
	const char *s;
	size_t n;

	while (is_token_char(peek(p)))
		p->pos++;
	if (p->pos == start) {
		if (at_eof(p) || is_newline_at(p))
			return fail(p, start, "expected a value");
		return fail(p, start, "expected a value, found '%c'", p->s[start]);
	}
	s = p->s + start;
	n = p->pos - start;
	if (n == 4 && memcmp(s, "true", 4) == 0) {
		v->type = TOML_BOOL;
		v->u.boolean = true;
		return 0;
	}
	if (n == 5 && memcmp(s, "false", 5) == 0) {
		v->type = TOML_BOOL;
		v->u.boolean = false;
		return 0;
	}
	if ((n >= 5 && is_digit((unsigned char)s[0]) && is_digit((unsigned char)s[1]) &&
	     s[2] == ':') ||
	    (n >= 10 && is_digit((unsigned char)s[0]) && s[4] == '-' &&
	     is_digit((unsigned char)s[1]) && is_digit((unsigned char)s[2]) &&
	     is_digit((unsigned char)s[3])))
		return parse_datetime(p, v, start, p->pos);
	if (is_digit((unsigned char)s[0]) || s[0] == '+' || s[0] == '-' || s[0] == 'i' ||
	    s[0] == 'n')
		return parse_number(p, v, start, p->pos);
	return fail(p, start, "invalid value");
}

static int parse_value(struct parser *p, struct toml_value *v, unsigned depth)
{
	size_t start = p->pos;
	int c = peek(p), r;

	if (c == '"' || c == '\'') {
		_cleanup_buf_ struct buf b = BUF_INIT(TOML_MAX_BYTES);
		if (starts_with3(p, (char)c))
			r = parse_string_multi(p, &b);
		else
			r = parse_string_line(p, &b);
		if (r < 0)
			return r;
		v->u.str.len = b.len;
		v->u.str.ptr = buf_detach(&b, NULL);
		if (!v->u.str.ptr)
			return -ENOMEM;
		v->type = TOML_STRING;
	} else if (c == '[') {
		r = parse_array(p, v, depth);
	} else if (c == '{') {
		r = parse_inline_table(p, v, depth);
	} else {
		r = parse_scalar_token(p, v);
	}
	if (r < 0)
		return r;
	span_set(p, &v->span, start, p->pos);
	return 0;
}

static int parse_header(struct parser *p)
{
	struct key k = { 0 };
	size_t start = p->pos, last;
	bool aot = peek_at(p, 1) == '[';
	struct toml_table *t = p->root;
	struct toml_keyval *kv;
	char name[256];
	int r;

	p->pos += aot ? 2 : 1;
	skip_ws(p);
	r = parse_key(p, &k);
	if (r < 0)
		goto out;
	if (peek(p) != ']' || (aot && peek_at(p, 1) != ']')) {
		r = fail(p, p->pos,
			 aot ? "expected ']]' after table name" : "expected ']' after table name");
		goto out;
	}
	p->pos += aot ? 2 : 1;

	for (size_t i = 0; i + 1 < k.n; i++) {
		kv = find_mut(t, k.seg[i], k.seg_len[i]);
		if (!kv) {
			r = add_subtable(p, t, &k, i, TOML_TABLE_IMPLICIT, &t);
			if (r < 0)
				goto out;
		} else if (kv->value.type == TOML_TABLE &&
			   kv->value.u.table->kind != TOML_TABLE_INLINE) {
			t = kv->value.u.table;
		} else if (kv->value.type == TOML_ARRAY && kv->value.u.array->of_tables) {
			struct toml_array *a = kv->value.u.array;
			t = a->items[a->n_items - 1].u.table;
		} else {
			r = fail(p, k.span[i].offset, "'%s' is not a table that can be extended",
				 key_text(&k, i, name, sizeof(name)));
			goto out;
		}
	}
	last = k.n - 1;
	kv = find_mut(t, k.seg[last], k.seg_len[last]);
	if (aot) {
		_cleanup_(table_freep) struct toml_table *entry = NULL;
		struct toml_table *borrowed;
		struct toml_array *a;

		if (!kv) {
			_cleanup_(array_freep) struct toml_array *na = new0(struct toml_array, 1);
			struct toml_value v = { .type = TOML_ARRAY };

			if (!na) {
				r = -ENOMEM;
				goto out;
			}
			na->of_tables = true;
			na->depth = t->depth + 1;
			v.u.array = na;
			span_set(p, &v.span, start, p->pos);
			r = table_append(t, &k.seg[last], k.seg_len[last], &k.span[last], &v, &kv);
			if (r < 0)
				goto out;
			TAKE_PTR(na);
		} else if (kv->value.type != TOML_ARRAY || !kv->value.u.array->of_tables) {
			r = fail(p, k.span[last].offset,
				 "'%s' is already defined and is not an array of tables",
				 key_text(&k, k.n, name, sizeof(name)));
			goto out;
		}
		a = kv->value.u.array;
		r = table_new(p, TOML_TABLE_ARRAY_ENTRY, t->depth + 2, start, &entry);
		if (r < 0)
			goto out;
		r = GROW(a->items, a->alloc_items, a->n_items + 1);
		if (r < 0)
			goto out;
		span_set(p, &entry->header, start, p->pos);
		borrowed = entry;
		a->items[a->n_items++] = (struct toml_value){
			.type = TOML_TABLE,
			.span = entry->header,
			.u.table = TAKE_PTR(entry),
		};
		t = borrowed;
	} else {
		if (!kv) {
			r = add_subtable(p, t, &k, last, TOML_TABLE_HEADER, &t);
			if (r < 0)
				goto out;
		} else if (kv->value.type == TOML_TABLE &&
			   kv->value.u.table->kind == TOML_TABLE_IMPLICIT) {
			t = kv->value.u.table;
			t->kind = TOML_TABLE_HEADER;
		} else {
			r = fail(p, k.span[last].offset, "'%s' is defined more than once",
				 key_text(&k, k.n, name, sizeof(name)));
			goto out;
		}
		span_set(p, &t->header, start, p->pos);
	}
	r = expect_line_end(p);
	if (r < 0)
		goto out;
	t->section_end = p->pos;
	p->cur = t;
out:
	key_release(&k);
	return r;
}

static int parse_document(struct parser *p)
{
	int r;

	r = check_utf8(p);
	if (r < 0)
		return r;
	if (p->len >= 3 && memcmp(p->s, "\xef\xbb\xbf", 3) == 0)
		p->pos = 3;
	/* Keys added to a root without keys go first, but after the byte order mark. */
	p->root->section_end = p->pos;
	while (!at_eof(p)) {
		skip_ws(p);
		if (at_eof(p))
			break;
		if (peek(p) == '#') {
			r = expect_line_end(p);
		} else if (is_newline_at(p) || peek(p) == '\r') {
			r = eat_newline(p);
		} else if (peek(p) == '[') {
			r = parse_header(p);
		} else {
			r = parse_keyval(p, p->cur);
			if (r >= 0)
				r = expect_line_end(p);
			if (r >= 0)
				p->cur->section_end = p->pos;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int toml_parse(const char *text, size_t len, const char *file, struct toml_doc **ret,
	       struct pd_error *reterr)
{
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	struct parser p = { 0 };
	int r;

	if (len > TOML_MAX_BYTES) {
		pd_error_set(reterr, file, 0, 0, 0, "document larger than %zu bytes",
			     TOML_MAX_BYTES);
		return -EMSGSIZE;
	}
	doc = new0(struct toml_doc, 1);
	if (!doc)
		return -ENOMEM;
	doc->text = mem_alloc(len + 1);
	if (!doc->text)
		return -ENOMEM;
	if (len)
		memcpy(doc->text, text, len);
	doc->text[len] = '\0';
	doc->len = len;
	r = table_new(&p, TOML_TABLE_ROOT, 0, 0, &doc->root);
	if (r < 0)
		return r;

	p = (struct parser){
		.s = doc->text,
		.len = len,
		.file = file,
		.root = doc->root,
		.cur = doc->root,
		.err = reterr,
	};
	r = index_lines(&p);
	if (r < 0)
		return r;
	r = parse_document(&p);
	mem_free(p.line_starts);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(doc);
	return 0;
}

int toml_parse_file(const char *path, size_t max, struct toml_doc **ret, struct pd_error *reterr)
{
	_cleanup_buf_ struct buf b = BUF_INIT(max);
	int r;

	r = read_file_capped(path, max, &b);
	if (r < 0) {
		pd_error_set(reterr, path, 0, 0, 0, "cannot read file: %s", strerror(-r));
		return r;
	}
	return toml_parse(b.buf, b.len, path, ret, reterr);
}

struct toml_doc *toml_doc_free(struct toml_doc *doc)
{
	if (!doc)
		return NULL;
	table_free(doc->root);
	mem_free(doc->text);
	mem_free(doc);
	return NULL;
}

bool toml_doc_is_empty(const struct toml_doc *doc)
{
	return !doc || !doc->root || doc->root->n_items == 0;
}

const char *toml_type_name(enum toml_type type)
{
	static const char *const names[] = {
		[TOML_STRING] = "string",	  [TOML_INTEGER] = "integer",
		[TOML_FLOAT] = "float",		  [TOML_BOOL] = "bool",
		[TOML_DATETIME] = "datetime",	  [TOML_DATETIME_LOCAL] = "datetime-local",
		[TOML_DATE_LOCAL] = "date-local", [TOML_TIME_LOCAL] = "time-local",
		[TOML_ARRAY] = "array",		  [TOML_TABLE] = "table",
	};
	return (size_t)type < ELEMENTSOF(names) ? names[type] : "unknown";
}

void toml_keys_free(char **keys, size_t *lens, size_t n)
{
	if (keys)
		for (size_t i = 0; i < n; i++)
			mem_free(keys[i]);
	mem_free(keys);
	mem_free(lens);
}

int toml_split_key(const char *path, size_t len, char ***ret_keys, size_t **ret_lens)
{
	struct parser p = { .s = path, .len = len };
	struct key k = { 0 };
	char **keys;
	size_t *lens;
	int r;

	skip_ws(&p);
	r = parse_key(&p, &k);
	if (r >= 0 && !at_eof(&p))
		r = -EINVAL;
	if (r < 0) {
		key_release(&k);
		return r == -ENOMEM ? r : -EINVAL;
	}
	keys = new0(char *, k.n);
	lens = new0(size_t, k.n);
	if (!keys || !lens) {
		mem_free(keys);
		mem_free(lens);
		key_release(&k);
		return -ENOMEM;
	}
	for (size_t i = 0; i < k.n; i++) {
		keys[i] = TAKE_PTR(k.seg[i]);
		lens[i] = k.seg_len[i];
	}
	*ret_keys = keys;
	*ret_lens = lens;
	return (int)k.n;
}

const struct toml_value *toml_table_get(const struct toml_table *t, const char *key)
{
	const struct toml_keyval *kv = toml_table_find(t, key, strlen(key));
	return kv ? &kv->value : NULL;
}

const struct toml_value *toml_get(const struct toml_table *t, const char *path)
{
	char **keys = NULL;
	size_t *lens = NULL;
	const struct toml_value *v = NULL;
	int n;

	n = toml_split_key(path, strlen(path), &keys, &lens);
	if (n <= 0)
		return NULL;
	for (int i = 0; i < n && t; i++) {
		const struct toml_keyval *kv = toml_table_find(t, keys[i], lens[i]);
		v = kv ? &kv->value : NULL;
		t = NULL;
		if (!v)
			break;
		if (i + 1 == n)
			break;
		if (v->type == TOML_TABLE)
			t = v->u.table;
		else if (v->type == TOML_ARRAY && v->u.array->of_tables && v->u.array->n_items > 0)
			t = v->u.array->items[v->u.array->n_items - 1].u.table;
		else
			v = NULL;
	}
	toml_keys_free(keys, lens, (size_t)n);
	return v;
}

const struct toml_table *toml_get_table(const struct toml_table *t, const char *path)
{
	const struct toml_value *v = toml_get(t, path);
	return v && v->type == TOML_TABLE ? v->u.table : NULL;
}

const struct toml_array *toml_get_array(const struct toml_table *t, const char *path)
{
	const struct toml_value *v = toml_get(t, path);
	return v && v->type == TOML_ARRAY ? v->u.array : NULL;
}

const char *toml_get_string(const struct toml_table *t, const char *path)
{
	const struct toml_value *v = toml_get(t, path);
	return v && v->type == TOML_STRING ? v->u.str.ptr : NULL;
}

int toml_get_int(const struct toml_table *t, const char *path, int64_t *ret)
{
	const struct toml_value *v = toml_get(t, path);
	if (!v)
		return 0;
	if (v->type != TOML_INTEGER)
		return -EINVAL;
	*ret = v->u.integer;
	return 1;
}

int toml_get_bool(const struct toml_table *t, const char *path, bool *ret)
{
	const struct toml_value *v = toml_get(t, path);
	if (!v)
		return 0;
	if (v->type != TOML_BOOL)
		return -EINVAL;
	*ret = v->u.boolean;
	return 1;
}

int toml_datetime_format(const struct toml_value *v, char *buf, size_t size)
{
	const struct toml_datetime *dt = &v->u.dt;
	char date[16] = "", time[48] = "", off[8] = "";
	int w;

	if (v->type == TOML_DATETIME || v->type == TOML_DATETIME_LOCAL ||
	    v->type == TOML_DATE_LOCAL)
		(void)snprintf(date, sizeof(date), "%04d-%02d-%02d", dt->year, dt->month, dt->day);
	if (v->type != TOML_DATE_LOCAL)
		(void)snprintf(time, sizeof(time), "%02d:%02d:%02d%s%s", dt->hour, dt->minute,
			       dt->second, dt->fraction[0] ? "." : "", dt->fraction);
	if (v->type == TOML_DATETIME) {
		int m = dt->offset_minutes < 0 ? -dt->offset_minutes : dt->offset_minutes;
		if (dt->offset_z)
			(void)snprintf(off, sizeof(off), "Z");
		else
			(void)snprintf(off, sizeof(off), "%c%02d:%02d",
				       dt->offset_minutes < 0 ? '-' : '+', (m / 60) % 100, m % 60);
	}
	switch (v->type) {
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
		w = snprintf(buf, size, "%sT%s%s", date, time, off);
		break;
	case TOML_DATE_LOCAL:
		w = snprintf(buf, size, "%s", date);
		break;
	case TOML_TIME_LOCAL:
		w = snprintf(buf, size, "%s", time);
		break;
	default:
		return -EINVAL;
	}
	if (w < 0 || (size_t)w >= size)
		return -ENOBUFS;
	return w;
}
