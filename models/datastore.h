/* The datastores of upstream persist and the rules that tie them together
 * (reference/persist-cli.md §3-4). */
#ifndef MODELS_DATASTORE_H
#define MODELS_DATASTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

enum datastore {
	DATASTORE_MYSQL,
	DATASTORE_MSSQL,
	DATASTORE_INMEMORY,
	DATASTORE_GOOGLESHEETS,
	DATASTORE_POSTGRESQL,
	DATASTORE_REDIS,
	DATASTORE_H2,
	_DATASTORE_MAX,
	DATASTORE_INVALID = -1,
};

/* "mysql" → DATASTORE_MYSQL; DATASTORE_INVALID for anything else (case-sensitive). */
enum datastore datastore_from_string(const char *s);
const char *datastore_to_string(enum datastore d);
bool datastore_is_sql(enum datastore d);

/* The native dependency generate writes into Ballerina.toml for a datastore. */
struct native_dependency {
	const char *group_id;
	const char *artifact_id;
	const char *version;
};
const struct native_dependency *datastore_native_dependency(enum datastore d);

/* Validate a main and an optional test datastore as add, generate and the build integration do.
 * On failure returns -EINVAL with upstream's message (without the "ERROR: " prefix) in reterr.
 * ret_drop_eager is set when --eager-loading has to be dropped for a non-SQL store, with the
 * warning text in warning (may be NULL). */
int datastore_validate(const char *datastore, const char *test_datastore, bool eager_loading,
		       enum datastore *ret_main, enum datastore *ret_test, bool *ret_drop_eager,
		       char *warning, size_t warning_size, struct pd_error *reterr);

#endif
