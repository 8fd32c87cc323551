/* The TOML decoder on arbitrary bytes; documents that parse also go through the lookups, the
 * date-time formatter and one editor operation, whose result must parse again. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/error.h"
#include "models/toml-edit.h"
#include "models/toml.h"
#include "tests/fuzz/fuzz.h"

static void walk(const struct toml_value *v)
{
	char text[96];

	switch (v->type) {
	case TOML_TABLE:
		for (size_t i = 0; i < v->u.table->n_items; i++) {
			const struct toml_keyval *kv = &v->u.table->items[i];
			if (toml_table_find(v->u.table, kv->key, kv->key_len) != kv)
				__builtin_trap(); /* keys are unique within a table */
			walk(&kv->value);
		}
		break;
	case TOML_ARRAY:
		for (size_t i = 0; i < v->u.array->n_items; i++)
			walk(&v->u.array->items[i]);
		break;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		if (toml_datetime_format(v, text, sizeof(text)) < 0)
			__builtin_trap();
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_doc *doc = NULL;
	struct toml_editor *ed = NULL;
	struct pd_error err;
	const struct toml_edit_kv kv = TOML_KV_STRING(NULL, "fuzz");
	struct toml_value root;

	if (size > 65536)
		return 0;
	if (toml_parse((const char *)data, size, NULL, &doc, &err) < 0)
		return 0;
	root = (struct toml_value){ .type = TOML_TABLE, .u.table = doc->root };
	walk(&root);
	(void)toml_get(doc->root, "tool.persist.options.datastore");
	if (toml_editor_new((const char *)data, size, NULL, &ed, &err) == 0) {
		int r = toml_editor_set(ed, NULL, "package.name", &kv, &err);
		/* An edit either applies (and still parses) or is refused: -EBADMSG would mean
		 * the editor produced invalid text. */
		if (r == -EBADMSG)
			__builtin_trap();
		r = toml_editor_set(ed, NULL, "tool.persist.options.x", &kv, &err);
		if (r == -EBADMSG)
			__builtin_trap();
		toml_editor_free(ed);
	}
	toml_doc_free(doc);
	return 0;
}
