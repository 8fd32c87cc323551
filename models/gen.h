/* Code generation: the files `persist generate` and the build integration write for one model
 * (reference/codegen.md). Every generator appends one whole, already formatted file to a
 * struct buf; nothing is written to disk here. gen_model() assembles the set of files for a
 * datastore; the caller writes the set atomically. */
#ifndef MODELS_GEN_H
#define MODELS_GEN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/macro.h"
#include "models/datastore.h"

struct model_file;

struct gen_options {
	enum datastore datastore;
	enum datastore test_datastore; /* DATASTORE_INVALID when none */
	bool eager_loading;
	bool with_init_params;
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

#endif
