/* persist models: every model of the project with its status, datastore and diagnostic
 * counts (API.md §2). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/errno-util.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/options.h"
#include "models/ast.h"
#include "models/model-set.h"
#include "models/parser.h"
#include "models/project-config.h"

static const char *binding_datastore(const char *model_path, void *userdata)
{
	const struct project_config *pc = userdata;
	const struct persist_binding *b =
		pc ? project_config_binding_for_path(pc, model_path) : NULL;

	return b && !b->error ? b->datastore : NULL;
}

int cli_load_models(const char *dir, struct project_config **ret_config, struct model_set **ret)
{
	_cleanup_(project_config_freep) struct project_config *pc = NULL;
	struct model_set_limits lim = { PROJECT_MAX_MODELS_DEFAULT, MODEL_MAX_FILE_BYTES_DEFAULT };
	struct pd_error e;
	char err[128];
	int r;

	/* Bindings only refine the type rules: a project whose Ballerina.toml cannot be read is
	 * still checked, with the rules of unbound models. */
	r = project_config_load(dir, getenv("BAL_CONFIG_FILES"), &pc, &e);
	if (r == -EBADMSG) {
		char where[PD_ERROR_FILE_MAX + PD_ERROR_TEXT_MAX + 8];
		pd_error_format(&e, where, sizeof(where));
		fprintf(stderr, "persist: warning: %s; models are checked without their bindings\n",
			where);
	}
	r = model_set_build(dir, NULL, NULL, 0, true, binding_datastore, pc, &lim, ret, NULL, NULL);
	if (r < 0) {
		fprintf(stderr, "persist: error: cannot load the models of '%s': %s\n", dir,
			errno_text(r, err, sizeof(err)));
		return r;
	}
	if (ret_config)
		*ret_config = TAKE_PTR(pc);
	return 0;
}

int cmd_models(const struct cli_global *g, int argc, char **argv)
{
	_cleanup_(project_config_freep) struct project_config *pc = NULL;
	_cleanup_(model_set_unrefp) struct model_set *s = NULL;
	struct cli_args a;

	if (cli_parse_options("models", argc, argv, NULL, 0, &a) < 0)
		return CLI_EXIT_USAGE;
	if (a.help) {
		fprintf(stderr, "Usage: persist models [-h | --help]\n\n"
				"List the models of the project with their status, datastore and\n"
				"the number of errors and warnings.\n");
		return CLI_EXIT_OK;
	}
	if (a.n_positional > 0) {
		fprintf(stderr, "persist: error: models: unexpected argument '%s'\n",
			a.positional[0]);
		return CLI_EXIT_USAGE;
	}
	if (cli_load_models(g->project_dir, &pc, &s) < 0)
		return CLI_EXIT_FAILURE;
	if (s->n == 0) {
		fprintf(stderr, "persist: no models in persist/ (run `persist init`)\n");
		return CLI_EXIT_OK;
	}
	printf("%-20s %-9s %-13s %8s %6s %8s  %s\n", "MODEL", "STATUS", "DATASTORE", "ENTITIES",
	       "ERRORS", "WARNINGS", "FILE");
	for (size_t i = 0; i < s->n; i++) {
		const struct model_state *m = s->models[i];
		printf("%-20s %-9s %-13s %8zu %6zu %8zu  %s\n", m->entry.name,
		       model_status_to_string(m->status), m->datastore ? m->datastore : "-",
		       m->mf ? m->mf->n_entities : (size_t)0, m->diags.n_errors,
		       m->diags.n_warnings, m->entry.path);
	}
	return CLI_EXIT_OK;
}
