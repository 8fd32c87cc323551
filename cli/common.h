/* What several subcommands share: project validation, the package name, --layout, model
 * resolution, and printing upstream's messages. */
#ifndef CLI_COMMON_H
#define CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "base/macro.h"
#include "models/project.h"

struct toml_doc;

/* Print a message to stderr as is, with a line break. */
_printf_(1, 2) void cli_msg(const char *fmt, ...);
/* Print "ERROR: <message>" to stderr. */
_printf_(1, 2) void cli_error(const char *fmt, ...);

/* Project validation (persist-cli.md §2.1): Ballerina.toml must exist, parse and not be a
 * workspace. Prints upstream's message and returns < 0 on failure; *ret (when not NULL)
 * receives the parsed document. */
int cli_validate_project(const char *dir, struct toml_doc **ret);

/* The package name: [package] name with every '"' removed. Prints upstream's message and
 * returns < 0 when Ballerina.toml cannot be read or has no name. */
int cli_package_name(const char *dir, struct toml_doc **ret_doc, char *buf, size_t size);

/* --layout value → RESOLVE_* flags; prints a usage error and returns -EINVAL otherwise. */
int cli_layout_flags(const char *layout, unsigned *ret);

/* Discover the models of dir and resolve --model (NULL when absent). Prints the reason and
 * returns < 0 on failure. A missing persist/ counts as a project without models. */
int cli_resolve_model(const char *dir, const char *model_arg, unsigned flags,
		      struct model_target *ret);

#endif
