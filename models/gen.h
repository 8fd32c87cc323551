/* Code generation: the files `persist generate` and the build integration write for one model
 * (reference/codegen.md). Every generator appends one whole, already formatted file to a
 * struct buf; nothing is written to disk here. gen_model() assembles the set of files for a
 * datastore; the caller writes the set atomically. */
#ifndef MODELS_GEN_H
#define MODELS_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/macro.h"
#include "models/datastore.h"
#include "models/fileset.h"

struct model_file;
struct field;

struct gen_options {
	enum datastore datastore;
	enum datastore test_datastore; /* DATASTORE_INVALID when none */
	bool eager_loading;
	bool with_init_params;
	/* The build integration (`bal build`, `persist build`, the daemon) runs the generator
	 * packed with the build tool, an older one: its clients carry no `#` doc comments
	 * (tool_test_build_1, _8) and its Ballerina.toml dependency is persist.sql-native 1.6.0. */
	bool build_tool;
	const char *model_name; /* header comments: "model", or "users" for persist/users.bal */
	const char *package_name; /* [package] name of Ballerina.toml */
	const char *module_name; /* Ballerina module of the generated code: "<pkg>" or
				  * "<pkg>.<module>" (Config.toml sections, imports) */
};

/* persist_types.bal (codegen.md §4) */
_must_check_ int gen_types(const struct model_file *mf, const struct gen_options *o,
			   struct buf *out);
/* persist_client.bal for o->datastore (codegen.md §5) */
_must_check_ int gen_client(const struct model_file *mf, const struct gen_options *o,
			    struct buf *out);
/* persist_test_client.bal for o->test_datastore (codegen.md §5.6) */
_must_check_ int gen_test_client(const struct model_file *mf, const struct gen_options *o,
				 struct buf *out);
/* persist_test_init.bal (test datastore h2) */
_must_check_ int gen_test_init(const struct model_file *mf, const struct gen_options *o,
			       struct buf *out);
/* persist_db_config.bal / persist_sheet_config.bal (codegen.md §6) */
_must_check_ int gen_db_config(const struct model_file *mf, const struct gen_options *o,
			       struct buf *out);
/* script.sql for a SQL datastore; reason goes into the header ("<model>" for generate,
 * "the migrate command" for a first migration) (codegen.md §7) */
_must_check_ int gen_sql_script(const struct model_file *mf, enum datastore d, const char *reason,
				struct buf *out);
/* script.gs for googlesheets (codegen.md §8) */
_must_check_ int gen_sheets_script(const struct model_file *mf, const struct gen_options *o,
				   struct buf *out);

/* ---- names (models/gen-types.c) ---- */

/* Whether name is a Ballerina reserved word (model-language.md §4.2). */
bool gen_is_reserved_word(const char *name);
/* A field name as generated code writes it: quoted when it is a reserved word written without a
 * quote ('version), else as written. */
_must_check_ int gen_add_field_name(struct buf *b, const char *name);

/* ---- SQL building blocks (models/gen-sql.c) ---- */

/* The column type of a non-relation field for a SQL datastore (codegen.md §7.2), appended to
 * out; -EINVAL when the type has no SQL equivalent. */
_must_check_ int gen_sql_column_type(const struct field *f, enum datastore d, struct buf *out);

/* The elements of script.sql (codegen.md §7.6): DROP statements, CREATE statements (whose text
 * starts with a line break) and index statements, in script order. persist_test_init.bal runs
 * them one by one. */
enum gen_sql_kind {
	GEN_SQL_DROP,
	GEN_SQL_CREATE,
	GEN_SQL_INDEX,
};
struct gen_sql_statement {
	enum gen_sql_kind kind;
	char *text; /* without a trailing line break */
	size_t len;
};
struct gen_sql_statements {
	struct gen_sql_statement *items;
	size_t n, alloc;
};
_must_check_ int gen_sql_statements(const struct model_file *mf, enum datastore d,
				    struct gen_sql_statements *ret);
void gen_sql_statements_release(struct gen_sql_statements *s);

/* Java String.hashCode() of a UTF-8 string (over its UTF-16 code units), and the iteration
 * order of a java.util.HashMap holding the n distinct keys inserted in array order
 * (codegen.md §11): order[] receives the indices of keys. */
uint32_t gen_java_string_hash(const char *s);
void gen_java_hashmap_order(const char *const *keys, size_t n, size_t *order);

/* ---- project files outside the output directory (models/gen-config.c) ---- */

/* The Config.toml section text for a datastore (persist-cli.md §9); nothing for inmemory. */
_must_check_ int gen_config_toml_section(enum datastore d, const char *module_name,
					 struct buf *out);
/* Config.toml after generation: existing (NULL when the file is missing) with the section
 * appended unless a plain table named module_name exists. Returns 1 when out differs from
 * existing, 0 when the file stays as it is. -EBADMSG (reterr set) for an unparsable file. */
_must_check_ int gen_config_toml(const char *existing, size_t len, enum datastore d,
				 const char *module_name, struct buf *out, struct pd_error *reterr);
/* Ballerina.toml with the native dependency of d and of test (DATASTORE_INVALID for none)
 * (persist-cli.md §4); build_tool selects the versions the build integration packs. Returns 1 when
 * out differs from the text, 0 when nothing is added. An incompatible existing version is -EINVAL
 * with upstream's message in reterr; an older compatible one writes upstream's warning into
 * warning[warning_size] (may be NULL; "" when there is none). */
_must_check_ int gen_native_dependency(const char *text, size_t len, enum datastore d,
				       enum datastore test, bool build_tool, struct buf *out,
				       char *warning, size_t warning_size, struct pd_error *reterr);
/* The entry appended to target/Persist.toml by generate (persist-cli.md §10); model is NULL
 * without --model. */
_must_check_ int gen_persist_toml_entry(enum datastore d, const char *module_name,
					const char *model, struct buf *out);

/* ---- the file set of one model (models/gen.c) ---- */

enum gen_parts {
	GEN_PART_MAIN = 1u << 0, /* types, client, config, script, Config.toml */
	GEN_PART_TEST = 1u << 1, /* persist_test_client.bal, persist_test_init.bal */
};

/* Generate the files of one model into files (codegen.md §1): paths are out_dir/<file> (out_dir
 * relative to the project, "" for the project root), plus "Config.toml" at the project root,
 * computed from config_toml (its current text, NULL when missing; see gen_config_toml). The
 * configuration file is flagged FILESET_KEEP_EXISTING, and left out with init params.
 * Nothing is written. Failures carry upstream's message in reterr (without a prefix). */
_must_check_ int gen_model(const struct model_file *mf, const struct gen_options *o,
			   const char *out_dir, const char *config_toml, size_t config_toml_len,
			   unsigned parts, struct fileset *files, struct pd_error *reterr);

#endif
