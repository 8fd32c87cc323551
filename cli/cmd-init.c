/* persist init [--model <name>] [--layout file|directory] (reference/persist-cli.md §5). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/strutil.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/options.h"
#include "models/project-ops.h"

static void help(void)
{
	fprintf(stderr,
		"Usage: persist init [--model <model-name>] [--layout file|directory] [-h | --help]\n\n"
		"Initialize the project for persistence: create persist/ and an empty model file,\n"
		"persist/<model-name>.bal (persist/model.bal without --model; with --layout\n"
		"directory, persist/<model-name>/model.bal as bal persist 1.9 does).\n");
}

static void print_next_steps(const char *model, const char *path)
{
	if (model)
		cli_msg("Initialized the model '%s' for persistence.", model);
	else
		cli_msg("Initialized the package for persistence.");
	cli_msg("\nNext steps:");
	cli_msg("1. Define your data model in \"%s\".", path);
	cli_msg("2. Execute `bal persist add --datastore <datastore> --module <module>%s%s` to add "
		"an entry to \"Ballerina.toml\" for integrating code generation with the package "
		"build process.",
		model ? " --model " : "", model ? model : "");
	cli_msg("OR");
	cli_msg("Execute `bal persist generate --datastore <datastore> --module <module>%s%s` for a "
		"one-time generation of the client.",
		model ? " --model " : "", model ? model : "");
}

static void print_legacy_notice(void)
{
	cli_msg("The behavior of the `bal persist init` command has been updated starting from "
		"Ballerina update 09.");
	cli_msg("Now, you no longer need to provide any parameters. The command will exclusively "
		"create the `persist` directory in the project's root directory. This directory "
		"contains the data model definition file (`model.bal`) for the project.\n");
	cli_msg("If you have any questions or need further assistance, refer to the updated "
		"documentation.");
}

int cmd_init(const struct cli_global *g, int argc, char **argv)
{
	const char *model = NULL, *datastore = NULL, *module = NULL, *layout = NULL;
	bool legacy_ds = false, legacy_mod = false, created;
	const struct cli_opt opts[] = {
		{ "model", CLI_OPT_VALUE, &model, NULL },
		{ "layout", CLI_OPT_VALUE, &layout, NULL },
		{ "datastore", CLI_OPT_VALUE, &datastore, &legacy_ds },
		{ "module", CLI_OPT_VALUE, &module, &legacy_mod },
	};
	struct model_target t;
	struct cli_args a;
	struct pd_error e;
	unsigned flags;

	if (cli_parse_options("init", argc, argv, opts, ELEMENTSOF(opts), &a) < 0 ||
	    cli_layout_flags(layout, &flags) < 0)
		return CLI_EXIT_USAGE;
	if (a.help) {
		help();
		return CLI_EXIT_OK;
	}
	if (a.n_positional > 0) {
		fprintf(stderr, "persist: error: init: unexpected argument '%s'\n",
			a.positional[0]);
		return CLI_EXIT_USAGE;
	}
	if (model && !*model)
		model = NULL;
	if (project_init_model(g->project_dir, model, flags, &t, &created, &e) < 0) {
		cli_error("%s", e.text);
		return CLI_EXIT_FAILURE;
	}
	if (legacy_ds || legacy_mod)
		print_legacy_notice();
	else
		print_next_steps(model ? t.entry.name : NULL, t.entry.path);
	return CLI_EXIT_OK;
}
