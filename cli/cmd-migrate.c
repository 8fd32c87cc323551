/* persist migrate <label> [--model <m>] [--datastore mysql|postgresql] [--layout file|directory]
 * (reference/persist-cli.md §12, reference/migrate.md). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/strutil.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/options.h"
#include "models/datastore.h"
#include "models/migrate.h"
#include "models/project-ops.h"

static void help(void)
{
	fprintf(stderr,
		"Usage: persist migrate <migration label> [--model <model-name>]\n"
		"                       [--datastore mysql|postgresql] [--layout file|directory]\n"
		"                       [-h | --help]\n\n"
		"Write a migration script that brings a database created from the previous\n"
		"migration's model up to the current model, into\n"
		"<migrations dir>/<yyyyMMddHHmmss>_<label>/ with a copy of the model. The migrations\n"
		"directory is persist/migrations/ for persist/model.bal and\n"
		"persist/<model-name>/migrations/ for every other model. The first migration\n"
		"creates every table. The support for migrations is experimental.\n");
}

/* How messages spell the project directory: relative to the working directory, as given. */
static void display_dir(const char *project_dir, char *buf, size_t size)
{
	size_t n;

	if (streq(project_dir, ".") || streq(project_dir, "./")) {
		buf[0] = '\0';
		return;
	}
	(void)snprintf(buf, size, "%s", project_dir);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
}

int cmd_migrate(const struct cli_global *g, int argc, char **argv)
{
	const char *model = NULL, *datastore = NULL, *layout = NULL;
	const struct cli_opt opts[] = {
		{ "model", CLI_OPT_VALUE, &model, NULL },
		{ "datastore", CLI_OPT_VALUE, &datastore, NULL },
		{ "layout", CLI_OPT_VALUE, &layout, NULL },
	};
	_cleanup_(migrate_result_releasep) struct migrate_result res = { 0 };
	struct migrate_options o = { 0 };
	char shown[4096];
	struct cli_args a;
	struct pd_error e;
	unsigned flags;
	enum datastore d;
	int r;

	if (cli_parse_options("migrate", argc, argv, opts, ELEMENTSOF(opts), &a) < 0 ||
	    cli_layout_flags(layout, &flags) < 0)
		return CLI_EXIT_USAGE;
	if (a.help) {
		help();
		return CLI_EXIT_OK;
	}
	cli_msg("\n" MIGRATE_EXPERIMENTAL_NOTICE "\n");
	if (a.n_positional > 1) {
		/* Upstream checks the project and the datastore before the argument count. */
		if (cli_validate_project(g->project_dir, NULL) < 0)
			return CLI_EXIT_FAILURE;
		d = datastore_from_string(datastore ? datastore : "mysql");
		if (d != DATASTORE_MYSQL && d != DATASTORE_POSTGRESQL) {
			cli_msg("Error: invalid datastore: %s. currently only MySQL is supported.",
				datastore);
			return CLI_EXIT_FAILURE;
		}
		cli_msg("Error: Too many arguments provided. Only one argument is allowed to pass "
			"for migration label");
		return CLI_EXIT_USAGE;
	}
	display_dir(g->project_dir, shown, sizeof(shown));
	o.label = a.n_positional == 1 ? a.positional[0] : NULL;
	o.model = model && *model ? model : NULL;
	o.datastore = datastore;
	o.resolve_flags = flags;
	o.display_dir = shown;
	r = migrate_model(g->project_dir, &o, &res, &e);
	if (r < 0) {
		cli_msg("%s", e.text);
		return !o.label && r == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
	}
	fputs(res.messages.buf, stderr);
	return CLI_EXIT_OK;
}
