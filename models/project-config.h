/* The project's configuration as upstream `bal persist` reads it (API.md §1,
 * reference/persist-cli.md §8, §9): the package name from Ballerina.toml, one binding per
 * [[tool.persist]] entry (matched to a model by filePath, in either layout), and each bound
 * module's connection settings from the Config.toml section its generated client reads
 * ([<targetModule>]), or from the files in BAL_CONFIG_FILES, later files winning. */
#ifndef MODELS_PROJECT_CONFIG_H
#define MODELS_PROJECT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/macro.h"
#include "models/toml.h"

/* Largest Ballerina.toml / Config.toml read. */
#define PROJECT_CONFIG_MAX_BYTES ((size_t)1 << 20)

struct persist_binding {
	char *id; /* NULL when missing */
	char *target_module; /* default: the package name */
	char *datastore; /* options.datastore; NULL when missing */
	char *test_datastore; /* options.testDatastore; NULL when not set */
	bool eager_loading; /* options.eagerLoading: a boolean, or "true" in any case */
	bool with_init_params; /* options.withInitParams, likewise */
	char *file_path; /* as written; default "persist/model.bal" */
	char *model_path; /* file_path normalised: no "./", no doubled '/' */
	/* The model this binding selects, from model_path: "persist/<m>.bal" and
	 * "persist/<m>/model.bal" give <m>, "persist/model.bal" gives "model"; NULL for any
	 * other path. */
	char *model_name;
	struct toml_span span; /* the [[tool.persist]] header */
	/* Set when the entry is unusable (unknown option, wrong type); the other bindings still
	 * load. */
	char *error;
};

struct project_config {
	char *dir;
	char *package_name; /* [package] name, every '"' removed; NULL when missing */
	char *package_org;
	bool workspace; /* Ballerina.toml has a [workspace] table */
	bool legacy_persist; /* Ballerina.toml has a plain [persist] table */
	struct persist_binding *bindings; /* source order */
	size_t n_bindings;
	/* Config.toml, or the BAL_CONFIG_FILES list in order; files that do not exist are
	 * skipped. */
	struct toml_doc **config_docs;
	char **config_paths;
	size_t n_configs;
};

struct connection_settings {
	char *section; /* the section the values came from ("shop.db"); NULL when none found */
	char *host;
	int64_t port; /* 0 when not set */
	char *user;
	char *password;
	char *database;
	char *default_schema;
	char *url; /* h2 */
	/* redis: [<mod>.connectionConfig] connection, [<mod>.cacheConfig] maxAge */
	char *connection;
	int64_t max_age;
	bool has_max_age;
	/* googlesheets */
	char *spreadsheet_id;
	char *client_id;
	char *client_secret;
	char *refresh_token;
};

/* Read dir/Ballerina.toml and the connection configuration: the files named in
 * bal_config_files (':'-separated, relative names taken relative to dir) when it is not NULL,
 * else dir/Config.toml when it exists. Pass getenv("BAL_CONFIG_FILES") to follow Ballerina.
 * -ENOENT without Ballerina.toml; -EBADMSG (positioned reterr) when a file is not valid TOML
 * or [package] is malformed. */
_must_check_ int project_config_load(const char *dir, const char *bal_config_files,
				     struct project_config **ret, struct pd_error *reterr);
/* The same from Ballerina.toml text, without connection configuration (tests, dry runs). */
_must_check_ int project_config_parse(const char *text, size_t len, const char *file,
				      struct project_config **ret, struct pd_error *reterr);
struct project_config *project_config_free(struct project_config *pc);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct project_config *, project_config_free);

/* Normalise a model path relative to the project root: "./persist//a.bal" → "persist/a.bal".
 * Returns a new string (NULL on OOM). */
char *project_model_path_normalize(const char *path);

/* The first binding whose filePath names model_path (relative to the project root, either
 * layout); NULL when none. */
const struct persist_binding *project_config_binding_for_path(const struct project_config *pc,
							      const char *model_path);
/* The first binding for model name (either layout); NULL when none. */
const struct persist_binding *project_config_binding_for_model(const struct project_config *pc,
							       const char *name);

/* Connection settings of target_module, merged over the configuration files (later files
 * win). Looks for [<target_module>], then [<org>.<target_module>], and for the root module
 * (target_module equal to the package name) also the top-level keys. A value of the wrong
 * type is -EBADMSG with a positioned reterr. Settings without any section found are returned
 * empty (section NULL). */
_must_check_ int project_config_connection(const struct project_config *pc,
					   const char *target_module,
					   struct connection_settings *ret,
					   struct pd_error *reterr);
void connection_settings_release(struct connection_settings *cs);

#endif
