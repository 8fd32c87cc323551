/* The steps of `persist pull` that the CLI (cli/cmd-pull.c) and the HTTP route
 * (api/handlers-pull.c) share: reading a database's catalog through a connector, and writing
 * the pulled model file (reference/introspection.md). */
#ifndef CONNECTORS_PULL_H
#define CONNECTORS_PULL_H

#include <stddef.h>

#include "base/macro.h"
#include "base/time-util.h"

struct connection_settings;
struct db_catalog;

/* Connect to the database cs names with the backend of datastore and read its catalog.
 * Failures put upstream's text after "failed to introspect database: " into err:
 *   -EOPNOTSUPP  no backend of this build introspects datastore (mssql)
 *   -ECONNREFUSED, -ETIMEDOUT, ...  "failed to connect to the database: <driver message>"
 *   other        "failed to read database schema: <query prefix><driver message>"
 * The password in cs is never part of the text. *ret is new. */
_must_check_ int pull_read_catalog(const char *datastore, const struct connection_settings *cs,
				   usec_t timeout, struct db_catalog **ret, char *err,
				   size_t err_size);

/* Write text to project_dir/model_path atomically, creating its directories. */
_must_check_ int pull_write_model(const char *project_dir, const char *model_path, const char *text,
				  size_t len);

#endif
