/* Generation against a project directory: what `persist generate`, `persist build` and the
 * daemon's regeneration share. Loading and validating a model the way generate does, the
 * native dependency in Ballerina.toml, writing a model's generated files (Config.toml
 * included) in one atomic step, and the build integration for one [[tool.persist]] binding
 * (reference/persist-cli.md §4, §7-§9). Nothing here prints: warnings are appended to a
 * caller's buffer, one per line, and failures carry upstream's message (without a prefix) in
 * reterr. */
#ifndef MODELS_GEN_PROJECT_H
#define MODELS_GEN_PROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/macro.h"
#include "models/datastore.h"
#include "models/fileset.h"
#include "models/gen.h"

struct model_file;
struct toml_table;

/* Read dir/path, parse it and validate it for datastore d (model-language.md §7.1), then run
 * extraction's checks (§3.3): label is the file name for messages ("model.bal",
 * "users/model.bal"). An entity flagged unsupported adds upstream's warning to warnings (may
 * be NULL). *ret_empty (may be NULL) tells a failure is the "no entity" case. -EBADMSG for an
 * invalid model. */
_must_check_ int gen_project_load_model(const char *dir, const char *path, const char *label,
					enum datastore d, struct model_file **ret,
					struct buf *warnings, bool *ret_empty,
					struct pd_error *reterr);

/* Add the native dependency of d and test (DATASTORE_INVALID for none) to dir/Ballerina.toml
 * unless present (persist-cli.md §4); build_tool as for gen_native_dependency(). An older
 * compatible version adds upstream's warning. */
_must_check_ int gen_project_native_dependency(const char *dir, enum datastore d,
					       enum datastore test, bool build_tool,
					       struct buf *warnings, struct pd_error *reterr);

/* Generate the files of mf for o into out_dir (relative to dir, "" for the root) and write them,
 * Config.toml included, in one atomic step; ret_files (may be NULL) receives the set with each
 * entry's changed/kept result. When only the test files fail, the rest is written and
 * *ret_test_failed (may be NULL) is set with the reason in test_err. On failure nothing is
 * written. */
_must_check_ int gen_project_write(const char *dir, const struct model_file *mf,
				   const struct gen_options *o, const char *out_dir,
				   struct fileset *ret_files, bool *ret_test_failed,
				   struct pd_error *test_err, struct pd_error *reterr);

/* The header name of a model file: "model" for persist/model.bal and persist/<m>/model.bal,
 * "users" for persist/users.bal. */
void gen_project_model_stem(const char *path, char *buf, size_t size);

/* A module name check (^[a-zA-Z0-9_.]*$, at most 256 characters); reterr gets upstream's
 * reason, the text after "invalid module name : '<m>' :\n". */
_must_check_ int gen_project_check_module(const char *module, struct pd_error *reterr);

/* One [[tool.persist]] entry of Ballerina.toml (persist-cli.md §8), defaults applied. Strings
 * point into the TOML document. */
struct gen_binding {
	const char *id;
	const char *target_module; /* default: the package name */
	const char *file_path; /* default persist/model.bal, without a leading "./" */
	const char *datastore, *test_datastore; /* as written, NULL when absent */
	bool eager_loading, with_init_params;
	const char *unknown_option; /* the first options.* key upstream's schema forbids */
};
void gen_binding_read(const struct toml_table *entry, const char *package_name,
		      struct gen_binding *ret);

/* What a failed build binding reports (persist-cli.md §8). */
enum gen_build_code {
	GEN_BUILD_DIAGNOSTIC, /* plain message: datastore missing or invalid, unknown option */
	GEN_BUILD_CLIENT_01, /* PERSIST_CLIENT_01: targetModule outside the package */
	GEN_BUILD_CLIENT_02, /* PERSIST_CLIENT_02: anything during generation */
};

/* The build integration for one binding: output in generated/ or generated/<module>/, the
 * Config.toml section named after targetModule, no target/Persist.toml. Returns 0 also when
 * only the test files failed (*ret_test_failed, test_err). On failure *ret_code says how to
 * report reterr. */
_must_check_ int gen_project_build(const char *dir, const char *package_name,
				   const struct gen_binding *b, struct buf *warnings,
				   struct fileset *ret_files, bool *ret_test_failed,
				   struct pd_error *test_err, enum gen_build_code *ret_code,
				   struct pd_error *reterr);

#endif
