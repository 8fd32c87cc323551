/* The validator: everything upstream reports for a model file (model-language.md §7-§9).
 *
 * Three stages, each run only when the one before found no error, as upstream's compiler
 * skips its plugins when the file has compile errors:
 *  1. what the Ballerina compiler would reject (BAL_* codes in models/diagnostic.h): undefined
 *     types, modules and annotations, unused imports, duplicate names, annotation values of the
 *     wrong shape, enum values that are not strings;
 *  2. without a persist import, extraction's TOOL_NO_PERSIST_IMPORT; otherwise the rules of the
 *     `ballerina/persist` plugin (PERSIST_1xx-5xx, type rules per datastore) and of the
 *     `ballerinax/persist.sql` plugin (PERSIST_4xx/6xx for @sql:*);
 *  3. extraction's own failures (TOOL_NO_ENTITY, TOOL_UNSUPPORTED_TYPE).
 * Checks are per model; nothing looks at other models. Diagnostics come out sorted by
 * position. */
#ifndef MODELS_VALIDATE_H
#define MODELS_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/macro.h"

struct model_file;
struct diag_list;

/* datastore: "mysql", "mssql", "postgresql", "h2", "googlesheets", "redis", "inmemory", or
 * NULL when the model has no binding; then every structural and @sql:* rule runs with the
 * inmemory type rules (model-language.md §7.1). Returns 0 (the diagnostics say whether the
 * model is valid), -EINVAL for an unknown datastore, -ENOMEM. */
_must_check_ int model_validate(const struct model_file *mf, const char *datastore,
				struct diag_list *diags);

bool model_datastore_known(const char *datastore);

/* Parse and validate in one step, for `persist check` and the daemon. diags->file is set to
 * file unless it is already set. Returns 0 when the text parsed (*ret_model, when ret_model is
 * not NULL, then owns the tree); -EBADMSG when it did not and -EMSGSIZE when it is larger than
 * max_bytes (0 = default), with that failure added to diags as a BAL_SYNTAX error;
 * -EINVAL for an unknown datastore; -ENOMEM. */
_must_check_ int model_check(const char *text, size_t len, const char *file, const char *datastore,
			     size_t max_bytes, struct model_file **ret_model,
			     struct diag_list *diags);

#endif
