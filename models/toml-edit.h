/* Format-preserving TOML editing: the editor holds the file's text and changes only the bytes
 * an operation is about (an appended table, one inserted key line, one replaced value), so
 * comments, blank lines, key order and quoting elsewhere survive. After each operation the
 * text is parsed again; an operation whose result would not be valid TOML is refused and
 * leaves the text as it was. Saving is atomic (temporary file + rename).
 *
 * This is how `add` and `generate` touch Ballerina.toml, Config.toml and target/Persist.toml
 * (reference/persist-cli.md §2.2, §4, §6, §9, §10): upstream re-emits the original text and
 * appends new tables after one line break. */
#ifndef MODELS_TOML_EDIT_H
#define MODELS_TOML_EDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/macro.h"
#include "models/toml.h"

struct toml_editor;

/* One key and value to write. key is a dotted key in TOML syntax, written as given
 * ("options.datastore"); the value is written from the member that type selects, or from raw
 * (TOML value text, written as is) when raw is set. */
struct toml_edit_kv {
	const char *key;
	enum toml_type type; /* TOML_STRING, TOML_INTEGER, TOML_BOOL or TOML_FLOAT */
	const char *str;
	int64_t integer;
	bool boolean;
	double fp;
	const char *raw;
};

#define TOML_KV_STRING(k, v) ((struct toml_edit_kv){ .key = (k), .type = TOML_STRING, .str = (v) })
#define TOML_KV_INT(k, v) \
	((struct toml_edit_kv){ .key = (k), .type = TOML_INTEGER, .integer = (v) })
#define TOML_KV_BOOL(k, v) ((struct toml_edit_kv){ .key = (k), .type = TOML_BOOL, .boolean = (v) })
#define TOML_KV_RAW(k, v)  ((struct toml_edit_kv){ .key = (k), .raw = (v) })

/* toml_editor_append flags */
enum {
	/* Put one line break between the existing text and the new text (unless the file is
	 * empty), as upstream does before each appended table. */
	TOML_APPEND_SEPARATE = 1u << 0,
};

/* Edit a copy of text; file names it in errors. Invalid TOML: -EBADMSG and reterr. */
_must_check_ int toml_editor_new(const char *text, size_t len, const char *file,
				 struct toml_editor **ret, struct pd_error *reterr);
/* Read path (at most max bytes). A missing file is -ENOENT, or an empty document when
 * missing_ok. */
_must_check_ int toml_editor_open(const char *path, size_t max, bool missing_ok,
				  struct toml_editor **ret, struct pd_error *reterr);
struct toml_editor *toml_editor_free(struct toml_editor *ed);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct toml_editor *, toml_editor_free);

/* The parsed current text. Pointers into it are borrowed and become invalid at the next
 * successful edit. */
const struct toml_doc *toml_editor_doc(const struct toml_editor *ed);
const struct toml_table *toml_editor_root(const struct toml_editor *ed);
const char *toml_editor_text(const struct toml_editor *ed, size_t *ret_len);
/* Whether any edit has been made since the editor was created. */
bool toml_editor_changed(const struct toml_editor *ed);

/* Append text (TOML; should end with a line break). Without a separator, a missing final
 * line break of the existing text is added first, so the two never run into one line. */
_must_check_ int toml_editor_append(struct toml_editor *ed, const char *text, size_t len,
				    unsigned flags, struct pd_error *reterr);
/* Append "[name]" or "[[name]]" (name: a dotted key in TOML syntax, written as given) and one
 * "key = value" line per kv, each ending in a line break. flags as for toml_editor_append. */
_must_check_ int toml_editor_append_table(struct toml_editor *ed, const char *name,
					  bool array_of_tables, const struct toml_edit_kv *kvs,
					  size_t n_kvs, unsigned flags, struct pd_error *reterr);
/* Set key (a dotted key in TOML syntax, relative to table t of this editor's current document;
 * NULL means the root; kv->key is ignored). An existing value has its text replaced; a missing
 * key becomes a new line at the end of its table's section, or an entry of its inline table,
 * or a new [table] at the end when its table exists only implicitly. -EEXIST when the key
 * names a table or array of tables, -ENOTDIR when a prefix is not a table. */
_must_check_ int toml_editor_set(struct toml_editor *ed, const struct toml_table *t,
				 const char *key, const struct toml_edit_kv *kv,
				 struct pd_error *reterr);
/* Write the text to path atomically (skipped when the file already holds it). */
_must_check_ int toml_editor_save(struct toml_editor *ed, const char *path, mode_t mode);

/* Text helpers: a basic string with quotes and escapes, a key (bare when possible), a value. */
_must_check_ int toml_format_string(struct buf *b, const char *s, size_t len);
_must_check_ int toml_format_key(struct buf *b, const char *key, size_t len);
_must_check_ int toml_format_kv_value(struct buf *b, const struct toml_edit_kv *kv);

#endif
