#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/strutil.h"
#include "cli/cli.h"

/* Subcommands, in the order `persist --help` lists them. Each lives in cli/cmd-<name>.c. */
static const struct cli_command commands[] = {
	{ "init", cmd_init, "create persist/ and a model file" },
	{ "add", cmd_add, "bind a model to a datastore in Ballerina.toml for `bal build`" },
	{ "models", cmd_models, "list the models with status, datastore and diagnostic counts" },
	{ "generate", cmd_generate, "generate the client, types and scripts of a model once" },
	{ "build", cmd_build, "generate the clients of the models bound in Ballerina.toml" },
	{ "check", cmd_check, "validate every model and print its diagnostics" },
	{ "migrate", cmd_migrate, "write a schema migration from the previous model version" },
	{ "push", cmd_push, "create a model's tables in the SQL store it is bound to" },
	{ "pull", cmd_pull, "write a model file from the tables of a database" },
	{ NULL, NULL, NULL },
};

const struct cli_command *cli_commands(size_t *ret_n)
{
	size_t n = 0;
	while (commands[n].name)
		n++;
	*ret_n = n;
	return commands;
}

static void usage(FILE *f)
{
	size_t n;
	const struct cli_command *c = cli_commands(&n);

	fprintf(f, "Usage: persist [-C <project dir>] <command> [options]\n\n"
		   "Manage the persist models of a Ballerina project (one model per\n"
		   "persist/<name>.bal), argv-compatible with `bal persist` 1.9.1.\n\n"
		   "Options:\n"
		   "  -C <dir>      run as if started in <dir>\n"
		   "  -h, --help    show this help\n"
		   "  --version     show the version\n");
	if (n > 0) {
		fprintf(f, "\nCommands:\n");
		for (size_t i = 0; i < n; i++)
			fprintf(f, "  %-10s %s\n", c[i].name, c[i].summary);
	}
}

int cli_main(int argc, char **argv)
{
	struct cli_global g = { .project_dir = "." };
	size_t n;
	const struct cli_command *c = cli_commands(&n);
	int i = 1;

	/* Global options come before the subcommand; everything after it is the subcommand's. */
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];
		if (streq(a, "-h") || streq(a, "--help")) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		if (streq(a, "--version")) {
			printf("persist %s (compatible with bal persist 1.9.1)\n", PACKAGE_VERSION);
			return CLI_EXIT_OK;
		}
		if (streq(a, "-C")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "persist: error: option '-C' needs a directory\n");
				return CLI_EXIT_USAGE;
			}
			g.project_dir = argv[i + 1];
			i += 2;
			continue;
		}
		if (startswith(a, "-C") && a[2]) {
			g.project_dir = a + 2;
			i++;
			continue;
		}
		fprintf(stderr, "persist: error: unknown option '%s'\n", a);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (i >= argc) {
		fprintf(stderr, "persist: error: no command given\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	for (size_t k = 0; k < n; k++)
		if (streq(c[k].name, argv[i])) {
			optind = 1; /* the subcommand parses its own argv with getopt */
			return c[k].run(&g, argc - i, argv + i);
		}
	fprintf(stderr, "persist: error: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
