/* persist add [--datastore ds] [--module m] [--test-datastore t] [--model m] [--id id]
 * [--eager-loading] [--with-init-params] (reference/persist-cli.md §6). */
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
		"Usage: persist add [--module <module name>] [--datastore <store type>]\n"
		"                   [--test-datastore <store type>] [--model <model-name>]\n"
		"                   [--id <id>] [--eager-loading] [--with-init-params]\n"
		"                   [--layout file|directory] [-h | --help]\n\n"
		"Add a [[tool.persist]] entry for the model to Ballerina.toml, so that `bal build`\n"
		"(and `persist build`) generates its client, and create the model file if missing.\n");
}

int cmd_add(const struct cli_global *g, int argc, char **argv)
{
	struct add_options o = { 0 };
	const char *layout = NULL;
	const struct cli_opt opts[] = {
		{ "datastore", CLI_OPT_VALUE, &o.datastore, NULL },
		{ "module", CLI_OPT_VALUE, &o.module, NULL },
		{ "test-datastore", CLI_OPT_VALUE, &o.test_datastore, NULL },
		{ "model", CLI_OPT_VALUE, &o.model, NULL },
		{ "id", CLI_OPT_VALUE, &o.id, NULL },
		{ "eager-loading", CLI_OPT_FLAG, NULL, &o.eager_loading },
		{ "with-init-params", CLI_OPT_FLAG, NULL, &o.with_init_params },
		{ "layout", CLI_OPT_VALUE, &layout, NULL },
	};
	struct add_result res;
	struct cli_args a;
	struct pd_error e;

	if (cli_parse_options("add", argc, argv, opts, ELEMENTSOF(opts), &a) < 0 ||
	    cli_layout_flags(layout, &o.resolve_flags) < 0)
		return CLI_EXIT_USAGE;
	if (a.help) {
		help();
		return CLI_EXIT_OK;
	}
	if (a.n_positional > 0) {
		fprintf(stderr, "persist: error: add: unexpected argument '%s'\n", a.positional[0]);
		return CLI_EXIT_USAGE;
	}
	if (project_add_binding(g->project_dir, &o, &res, &e) < 0) {
		cli_error("%s", e.text);
		return CLI_EXIT_FAILURE;
	}
	if (res.eager_loading_dropped)
		cli_msg("%s", res.warning);
	cli_msg("Integrated the generation of persist client and entity types into the package "
		"build process.");
	cli_msg("\nNext steps:");
	cli_msg("1. Define your data model in \"%s\".", res.target.entry.path);
	cli_msg("2. Execute `bal build` to generate the persist client during package build.");
	if (o.test_datastore)
		cli_msg("\nThe test client for the %s datastore will be generated in the %s module.",
			o.test_datastore, o.module ? o.module : "null");
	return CLI_EXIT_OK;
}
