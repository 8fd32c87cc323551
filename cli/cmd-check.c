/* persist check [--model <name>] [--datastore <store>]: validate every model of the project (or
 * one) and print its diagnostics as `file:line:column: error PERSIST_xxx: message`; exit 1
 * when any model has an error (API.md §2). Each model is checked against the datastore of its
 * [[tool.persist]] binding in Ballerina.toml, or --datastore, or with the rules of a model
 * without a binding. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "cli/cli.h"
#include "models/diagnostic.h"
#include "models/parser.h"
#include "models/project-config.h"
#include "models/project.h"
#include "models/validate.h"

static void help(FILE *f)
{
	fprintf(f,
		"Usage: persist check [--model <model name>] [--datastore <store type>]\n\n"
		"Validate every model in persist/ (or only --model) and print its diagnostics as\n"
		"file:line:column: error CODE: message. Exits 1 when any model has an error.\n"
		"Each model gets the type rules of the datastore its Ballerina.toml binding\n"
		"names; --datastore overrides that for every model.\n");
}

/* Validate one model; returns the number of errors it has, or < 0 when it cannot be read. */
static int check_one(const char *project_dir, const struct model_entry *m,
		     const struct project_config *pc, const char *datastore)
{
	struct buf path = BUF_INIT(8192), text = BUF_INIT(MODEL_MAX_FILE_BYTES_DEFAULT + 1);
	struct buf out = BUF_INIT(BUF_MAX_DEFAULT);
	struct diag_list diags = DIAG_LIST_INIT;
	int r;

	if (m->conflict || m->bad_name) {
		printf("%s: error: %s\n", m->path,
		       m->conflict ? "the model exists in both layouts; remove one of them"
				   : "the file name is not a valid model name");
		return 1;
	}
	if (!datastore && pc) {
		const struct persist_binding *b = project_config_binding_for_path(pc, m->path);
		datastore = b ? b->datastore : NULL;
		if (datastore && !model_datastore_known(datastore)) {
			printf("%s: error: its binding in Ballerina.toml names an unknown datastore "
			       "'%s'\n",
			       m->path, datastore);
			return 1;
		}
	}
	r = buf_addf(&path, "%s/%s", project_dir, m->path);
	if (r < 0)
		goto out;
	/* One byte over the limit, so the parser reports the size as a diagnostic. */
	r = read_file_capped(path.buf, MODEL_MAX_FILE_BYTES_DEFAULT + 1, &text);
	if (r < 0) {
		fprintf(stderr, "persist: error: cannot read '%s': %s\n", path.buf, strerror(-r));
		goto out;
	}
	r = model_check(text.buf, text.len, m->path, datastore, 0, NULL, &diags);
	if (r < 0 && r != -EBADMSG && r != -EMSGSIZE) {
		fprintf(stderr, "persist: error: cannot check '%s': %s\n", m->path, strerror(-r));
		goto out;
	}
	r = diag_list_format_text(&diags, &out);
	if (r < 0)
		goto out;
	fputs(out.buf, stdout);
	r = (int)MIN(diags.n_errors, (size_t)1 << 20);
out:
	diag_list_release(&diags);
	buf_release(&out);
	buf_release(&text);
	buf_release(&path);
	return r;
}

int cmd_check(const struct cli_global *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "datastore", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(project_config_freep) struct project_config *pc = NULL;
	struct model_list models = { 0 };
	struct pd_error err = { 0 };
	const char *model = NULL, *datastore = NULL;
	bool failed = false, io_error = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'm':
			model = optarg;
			break;
		case 'd':
			datastore = optarg;
			break;
		case 'h':
			help(stdout);
			return CLI_EXIT_OK;
		default:
			help(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "persist: error: unexpected argument '%s'\n", argv[optind]);
		help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (datastore && !model_datastore_known(datastore)) {
		fprintf(stderr,
			"persist: error: unknown datastore '%s' (mysql, mssql, postgresql, h2, "
			"inmemory, googlesheets, redis)\n",
			datastore);
		return CLI_EXIT_USAGE;
	}
	if (!datastore) {
		r = project_config_load(g->project_dir, NULL, &pc, &err);
		if (r < 0 && r != -ENOENT) {
			char msg[PD_ERROR_FILE_MAX + PD_ERROR_TEXT_MAX + 32];
			pd_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "persist: error: %s\n", msg[0] ? msg : strerror(-r));
			return CLI_EXIT_FAILURE;
		}
	}
	r = project_discover(g->project_dir, PROJECT_MAX_MODELS_DEFAULT, &models);
	if (r == -ENOTDIR) {
		fprintf(stderr, "persist: error: no persist/ directory in '%s'\n", g->project_dir);
		return CLI_EXIT_FAILURE;
	}
	if (r < 0) {
		fprintf(stderr, "persist: error: cannot list the models of '%s': %s\n",
			g->project_dir, strerror(-r));
		return CLI_EXIT_FAILURE;
	}
	if (model && !model_list_find(&models, model)) {
		fprintf(stderr, "persist: error: no model '%s' in '%s/persist'\n", model,
			g->project_dir);
		model_list_release(&models);
		return CLI_EXIT_FAILURE;
	}
	for (size_t i = 0; i < models.n; i++) {
		const struct model_entry *m = &models.items[i];
		if (model && !streq(m->name, model))
			continue;
		r = check_one(g->project_dir, m, pc, datastore);
		if (r < 0)
			io_error = true;
		else if (r > 0)
			failed = true;
	}
	model_list_release(&models);
	fflush(stdout);
	return failed || io_error ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
