/* The `persist` command: global options, the subcommand table, exit codes. */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stddef.h>

/* Exit statuses (API.md §2). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_USAGE = 2,
};

struct cli_global {
	const char *project_dir; /* -C, default "." */
};

/* argv[0] is the subcommand name; returns an exit status. */
typedef int cli_command_fn(const struct cli_global *g, int argc, char **argv);

struct cli_command {
	const char *name;
	cli_command_fn *run;
	const char *summary;
};

const struct cli_command *cli_commands(size_t *ret_n);

/* Subcommands, one cmd-<name>.c each. */
int cmd_init(const struct cli_global *g, int argc, char **argv);
int cmd_add(const struct cli_global *g, int argc, char **argv);
int cmd_models(const struct cli_global *g, int argc, char **argv);

struct project_config;
struct model_set;
/* Load every model of dir with its binding's datastore rules (cmd-models.c). Prints why it
 * fails. */
int cli_load_models(const char *dir, struct project_config **ret_config, struct model_set **ret);
int cmd_generate(const struct cli_global *g, int argc, char **argv);
int cmd_build(const struct cli_global *g, int argc, char **argv);
int cmd_check(const struct cli_global *g, int argc, char **argv);
int cmd_migrate(const struct cli_global *g, int argc, char **argv);
int cmd_push(const struct cli_global *g, int argc, char **argv);
int cmd_pull(const struct cli_global *g, int argc, char **argv);

/* The whole `persist` program, callable from tests. */
int cli_main(int argc, char **argv);

#endif
