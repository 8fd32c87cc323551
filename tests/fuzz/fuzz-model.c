/* Parse and validate arbitrary model text: every datastore's rules, both output formats, and
 * the relation data walked as a generator would walk it. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "models/ast.h"
#include "models/diagnostic.h"
#include "models/validate.h"
#include "tests/fuzz/fuzz.h"

static const char *const stores[] = { NULL, "mysql", "googlesheets", "redis" };

static void walk(const struct model_file *mf)
{
	volatile size_t sink = 0;

	for (size_t i = 0; i < mf->n_relations; i++) {
		const struct relation *rel = mf->relations[i];
		for (size_t k = 0; k < rel->n_keys; k++)
			sink += strlen(rel->keys[k].fk_name) + strlen(rel->keys[k].fk_column) +
				strlen(rel->keys[k].ref_key->name);
	}
	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		sink += strlen(entity_table_name(e));
		for (size_t k = 0; k < e->n_fields; k++) {
			const struct field *f = e->fields[k];
			sink += strlen(field_column_name(f)) + strlen(f->type.text) +
				strlen(f->type.label);
			for (size_t j = 0; j < f->n_index_names; j++)
				sink += strlen(f->index_names[j]);
			for (size_t j = 0; j < f->n_relation_keys; j++)
				sink += strlen(f->relation_keys[j]);
		}
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_file *mf = NULL;

	if (size > 65536)
		return 0;
	for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
		struct diag_list d = DIAG_LIST_INIT;
		struct buf out = BUF_INIT(1 << 22);
		int r;

		r = model_check((const char *)data, size, "fuzz.bal", stores[i], 0,
				i == 0 ? &mf : NULL, &d);
		if (r >= 0 || r == -EBADMSG || r == -EMSGSIZE) {
			if (diag_list_format_text(&d, &out) >= 0) {
				buf_reset(&out);
				(void)!diag_list_format_json(&d, &out);
			}
		}
		buf_release(&out);
		diag_list_release(&d);
		if (i == 0 && !mf)
			break; /* does not parse: the other stores would say the same */
	}
	if (mf)
		walk(mf);
	model_file_free(mf);
	return 0;
}
