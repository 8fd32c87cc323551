/* TOML 1.0 reader. The document model keeps every value's source span, so the editor
 * (models/toml-edit.h) can change one value and leave every other byte alone, and loaders can
 * point at line:column. Tables keep their keys in source order. */
#ifndef MODELS_TOML_H
#define MODELS_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/macro.h"

/* Default cap for toml_parse() input and nesting depth of tables and arrays. */
#define TOML_MAX_BYTES ((size_t)16 << 20)
#define TOML_MAX_DEPTH 64

enum toml_type {
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME, /* offset date-time */
	TOML_DATETIME_LOCAL,
	TOML_DATE_LOCAL,
	TOML_TIME_LOCAL,
	TOML_ARRAY,
	TOML_TABLE,
};

/* How a table came to exist; the redefinition rules depend on it. */
enum toml_table_kind {
	TOML_TABLE_ROOT,
	TOML_TABLE_HEADER, /* [a.b] */
	TOML_TABLE_IMPLICIT, /* a prefix of a header, not yet defined itself */
	TOML_TABLE_DOTTED, /* created by a dotted key: a.b = 1 */
	TOML_TABLE_INLINE, /* { ... }, closed for additions */
	TOML_TABLE_ARRAY_ENTRY, /* one [[a.b]] */
};

struct toml_span {
	size_t offset, len; /* bytes in the source text */
	unsigned line, column; /* 1-based; column counts bytes */
};

struct toml_datetime {
	int year, month, day; /* unset parts are 0 */
	int hour, minute, second;
	uint32_t nanosecond;
	int offset_minutes; /* east of UTC; only for TOML_DATETIME */
	bool offset_z; /* written as Z (rather than +00:00) */
	char fraction[16]; /* the fractional digits as written (at most 9 kept), "" when none */
};

struct toml_table;
struct toml_array;

struct toml_value {
	enum toml_type type;
	struct toml_span span; /* the value's text; for tables and arrays created by headers the
				* span of the (first) header */
	union {
		struct {
			char *ptr; /* NUL-terminated; may hold NUL bytes when written as \u0000 */
			size_t len;
		} str;
		int64_t integer;
		double fp;
		bool boolean;
		struct toml_datetime dt;
		struct toml_array *array;
		struct toml_table *table;
	} u;
};

struct toml_keyval {
	char *key; /* this table's key, decoded; NUL-terminated */
	size_t key_len;
	struct toml_span key_span; /* the key segment as written (first occurrence) */
	struct toml_value value;
};

struct toml_table {
	enum toml_table_kind kind;
	unsigned depth; /* root is 0 */
	struct toml_keyval *items; /* source order */
	size_t n_items, alloc_items;
	struct toml_span header; /* [a.b] / [[a.b]] line, { ... } of an inline table; empty else */
	/* For the root and header tables: the offset just past the last line of the table's own
	 * section (its header line, or its last key/value line, including the line break), where
	 * new keys go. */
	size_t section_end;
	/* Open-addressing index over items (slot = item index + 1) once a table grows past a
	 * few keys, so lookups stay constant-time on hostile input. */
	size_t *index;
	size_t index_cap;
};

struct toml_array {
	bool of_tables; /* made by [[...]] headers, so later headers may append */
	unsigned depth;
	struct toml_value *items;
	size_t n_items, alloc_items;
};

struct toml_doc {
	struct toml_table *root;
	char *text; /* a copy of the source, NUL-terminated; spans point into it */
	size_t len;
};

/* Parse len bytes of text (a UTF-8 BOM is skipped). file names the source in errors (may be
 * NULL). -EBADMSG with a positioned reterr for invalid TOML, -EMSGSIZE beyond TOML_MAX_BYTES,
 * -ENOMEM. */
_must_check_ int toml_parse(const char *text, size_t len, const char *file, struct toml_doc **ret,
			    struct pd_error *reterr);
/* Read path (at most max bytes, else -EMSGSIZE) and parse it. -ENOENT when it is missing. */
_must_check_ int toml_parse_file(const char *path, size_t max, struct toml_doc **ret,
				 struct pd_error *reterr);
struct toml_doc *toml_doc_free(struct toml_doc *doc);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct toml_doc *, toml_doc_free);

/* Whether the document defines nothing at all (comments and blank lines only). */
bool toml_doc_is_empty(const struct toml_doc *doc);

const char *toml_type_name(enum toml_type type);

/* Lookups; NULL when not found. Borrowed pointers, valid as long as the document. */
const struct toml_keyval *toml_table_find(const struct toml_table *t, const char *key,
					  size_t key_len);
const struct toml_value *toml_table_get(const struct toml_table *t, const char *key);
/* path is a dotted key in TOML syntax ("tool.persist", "a.\"b.c\".d"); an array of tables on
 * the way resolves to its last entry, as a header would. */
const struct toml_value *toml_get(const struct toml_table *t, const char *path);
const struct toml_table *toml_get_table(const struct toml_table *t, const char *path);
const struct toml_array *toml_get_array(const struct toml_table *t, const char *path);
/* The string at path, or NULL when missing or not a string. */
const char *toml_get_string(const struct toml_table *t, const char *path);
/* 1 and *ret set when path holds a value of that type, 0 when missing, -EINVAL wrong type. */
_must_check_ int toml_get_int(const struct toml_table *t, const char *path, int64_t *ret);
_must_check_ int toml_get_bool(const struct toml_table *t, const char *path, bool *ret);

static inline const struct toml_value *toml_array_at(const struct toml_array *a, size_t i)
{
	return i < a->n_items ? &a->items[i] : NULL;
}

/* Split a dotted key in TOML syntax into decoded segments. Returns the number of segments
 * (> 0), each a NUL-terminated string in ret_keys (free with toml_keys_free). */
_must_check_ int toml_split_key(const char *path, size_t len, char ***ret_keys, size_t **ret_lens);
void toml_keys_free(char **keys, size_t *lens, size_t n);

/* Canonical text of a date/time value: "1979-05-27T07:32:00.5-08:00", "07:32:00", ... */
int toml_datetime_format(const struct toml_value *v, char *buf, size_t size);

/* Whether a key can be written bare (A-Za-z0-9_-). */
bool toml_key_is_bare(const char *key, size_t len);

#endif
