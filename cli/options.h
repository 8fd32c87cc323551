/* Subcommand options in picocli's syntax, as `bal persist` takes them: `--opt value`,
 * `--opt=value`, flags, `-h`/`--help`, positional arguments; an unknown option is a usage
 * error. */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum cli_opt_kind {
	CLI_OPT_VALUE, /* --name value | --name=value */
	CLI_OPT_FLAG, /* --name */
	CLI_OPT_OPTIONAL_VALUE, /* --name | --name=value | --name value (value not starting '-') */
};

struct cli_opt {
	const char *name; /* without the leading dashes */
	enum cli_opt_kind kind;
	const char **value; /* set for VALUE / OPTIONAL_VALUE ("" when given without one) */
	bool *given; /* set to true when the option appears (may be NULL) */
};

struct cli_args {
	bool help;
	size_t n_positional;
	char *positional[16];
};

/* Parse argv[1..argc) (argv[0] is the subcommand). Returns 0, or -EINVAL after printing
 * `persist: error: ...` for an unknown option, a missing value or too many arguments. */
int cli_parse_options(const char *command, int argc, char **argv, const struct cli_opt *opts,
		      size_t n_opts, struct cli_args *ret);

#endif
