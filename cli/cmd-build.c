/* persist build [--model m]: the build-tool generation `bal build` runs for each
 * [[tool.persist]] binding of Ballerina.toml (reference/persist-cli.md §8), output in
 * generated/ or generated/<module>/. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/strutil.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/options.h"
#include "models/gen-project.h"
#include "models/project.h"
#include "models/toml.h"

static void help(void)
{
	fprintf(stderr,
		"Usage: persist build [--model <model-name>] [--layout file|directory] [-h | --help]\n\n"
		"Generate the client of every model bound by a [[tool.persist]] entry in\n"
		"Ballerina.toml (or of one model) into generated/ or generated/<module>/, as\n"
		"`bal build` does.\n");
}

static int build_one(const char *dir, const char *pkg, const struct gen_binding *b)
{
	_cleanup_buf_ struct buf warnings = BUF_INIT(1 << 20);
	enum gen_build_code code;
	struct pd_error e, te;
	bool test_failed = false;
	int r;

	r = gen_project_build(dir, pkg, b, &warnings, NULL, &test_failed, &te, &code, &e);
	if (warnings.len > 0)
		fputs(warnings.buf, stderr);
	if (r < 0) {
		/* A build diagnostic; upstream's build fails after all bindings ran. */
		fprintf(stderr, "ERROR [Ballerina.toml] %s%s\n",
			code == GEN_BUILD_CLIENT_01   ? "PERSIST_CLIENT_01: "
			: code == GEN_BUILD_CLIENT_02 ? "PERSIST_CLIENT_02: "
						      : "",
			e.text);
		return r;
	}
	if (test_failed)
		cli_error("the test data source creation failed. %s", te.text);
	cli_msg("Persist client and entity types generated successfully in the %s directory.",
		b->target_module);
	return 0;
}

int cmd_build(const struct cli_global *g, int argc, char **argv)
{
	const char *model = NULL, *layout = NULL;
	const struct cli_opt opts[] = {
		{ "model", CLI_OPT_VALUE, &model, NULL },
		{ "layout", CLI_OPT_VALUE, &layout, NULL },
	};
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	const char *dir = g->project_dir;
	const struct toml_array *bindings;
	struct model_target t;
	struct cli_args a;
	unsigned flags;
	size_t ran = 0, failed = 0;
	char pkg[512];

	if (cli_parse_options("build", argc, argv, opts, ELEMENTSOF(opts), &a) < 0 ||
	    cli_layout_flags(layout, &flags) < 0)
		return CLI_EXIT_USAGE;
	if (a.help) {
		help();
		return CLI_EXIT_OK;
	}
	if (a.n_positional > 0) {
		fprintf(stderr, "persist: error: build: unexpected argument '%s'\n",
			a.positional[0]);
		return CLI_EXIT_USAGE;
	}
	if (model && !*model)
		model = NULL;

	if (cli_validate_project(dir, NULL) < 0)
		return CLI_EXIT_FAILURE;
	if (cli_package_name(dir, &doc, pkg, sizeof(pkg)) < 0)
		return CLI_EXIT_FAILURE;
	if (model && cli_resolve_model(dir, model, flags, &t) < 0)
		return CLI_EXIT_FAILURE;

	bindings = toml_get_array(doc->root, "tool.persist");
	for (size_t i = 0; bindings && bindings->of_tables && i < bindings->n_items; i++) {
		const struct toml_value *v = toml_array_at(bindings, i);
		struct gen_binding b;

		if (v->type != TOML_TABLE)
			continue;
		gen_binding_read(v->u.table, pkg, &b);
		if (model && !streq(b.file_path, t.entry.path))
			continue;
		ran++;
		if (build_one(dir, pkg, &b) < 0)
			failed++;
	}
	if (ran == 0) {
		if (!model) {
			cli_msg("no [[tool.persist]] entry in Ballerina.toml: nothing to generate");
			return CLI_EXIT_OK;
		}
		cli_error("no [[tool.persist]] entry in Ballerina.toml binds the model '%s'",
			  t.entry.name);
		return CLI_EXIT_FAILURE;
	}
	if (failed > 0) {
		fprintf(stderr, "error: build tool execution contains errors\n");
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}
