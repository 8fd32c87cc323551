/* Project changes shared by the `persist` command and persistd's routes: project validation,
 * creating a model (init) and binding one to a datastore (add). Each checks everything it can
 * before it writes, and writes nothing when it fails. Messages are upstream's texts
 * (reference/persist-cli.md §2.1, §5, §6), without the "ERROR: " prefix. */
#ifndef MODELS_PROJECT_OPS_H
#define MODELS_PROJECT_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/macro.h"
#include "models/project.h"

struct toml_doc;

/* Ballerina.toml must exist, parse and not be a workspace. *ret (when not NULL) receives the
 * parsed document. */
_must_check_ int project_validate(const char *dir, struct toml_doc **ret, struct pd_error *reterr);

/* [package] name with every '"' removed. Messages: "couldn't read the Ballerina.toml file. ..."
 * and "couldn't find the package name in Ballerina.toml file.". */
_must_check_ int project_package_name(const char *dir, struct toml_doc **ret_doc, char *buf,
				      size_t size, struct pd_error *reterr);

/* Discover the models of dir and resolve a --model argument (NULL when absent). A missing
 * persist/ counts as a project without models. */
_must_check_ int project_resolve(const char *dir, const char *model_arg, unsigned resolve_flags,
				 struct model_target *ret, struct pd_error *reterr);

#define MODEL_FILE_TEMPLATE "import ballerina/persist as _;\n"

/* init: validate the project, resolve the model and create persist/ and its file.
 * -EEXIST when a named model already exists. ret_created tells whether a file was written
 * (false for init without --model in a project that has its model already). */
_must_check_ int project_init_model(const char *dir, const char *model_arg, unsigned resolve_flags,
				    struct model_target *ret, bool *ret_created,
				    struct pd_error *reterr);

struct add_options {
	const char *datastore; /* NULL: inmemory */
	const char *module; /* NULL: the root module */
	const char *test_datastore;
	const char *model; /* NULL: resolution rules */
	const char *id; /* NULL: generate-db-client / generate-<model>-client */
	bool eager_loading;
	bool with_init_params;
	unsigned resolve_flags;
};

struct add_result {
	struct model_target target;
	char id[256];
	char target_module[512];
	bool eager_loading_dropped; /* warning holds upstream's text */
	char warning[512];
};

/* add: append a [[tool.persist]] entry for the model to Ballerina.toml and create the model
 * file when missing. -EEXIST for a duplicate id, -EINVAL for bad options. */
_must_check_ int project_add_binding(const char *dir, const struct add_options *o,
				     struct add_result *ret, struct pd_error *reterr);

#endif
