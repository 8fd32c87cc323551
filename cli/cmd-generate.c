/* persist generate --datastore ds [--module m] [--test-datastore t] [--model m]
 * [--eager-loading] [--with-init-params] (reference/persist-cli.md §7), and the parts of it that
 * `persist build` shares (cli/generate.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/errno-util.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/options.h"
#include "models/ast.h"
#include "models/datastore.h"
#include "models/fileset.h"
#include "models/gen-project.h"
#include "models/gen.h"
#include "models/parser.h"
#include "models/project.h"
#include "models/toml.h"

#define YELLOW "\033[33m"
#define RESET  "\033[0m"

/* The usage steps printed after a test client was generated (persist-cli.md §7.4); prefix is
 * "<module>:" or "". */
static void print_test_steps(enum datastore test, const char *prefix)
{
	bool h2 = test == DATASTORE_H2;

	cli_msg("\nTo use the generated test client in your tests, please follow the steps below");
	cli_msg("\n1. Initialize the persist client in a function.");
	cli_msg(YELLOW "final %sClient dbClient = check initializeClient();\n\n"
		       "function initializeClient() returns %sClient|error {\n"
		       "    return new ();\n"
		       "}" RESET,
		prefix, prefix);
	cli_msg("\n2. Mock the client instance with the test client instance using Ballerina "
		"function mocking");
	if (h2)
		cli_msg(YELLOW "@test:Mock {functionName: \"initializeClient\"}\n"
			       "isolated function getMockClient() returns %sClient|error {\n"
			       "    return test:mock(%sClient, check new %sH2Client("
			       "\"jdbc:h2:./test\", \"sa\", \"\"));\n"
			       "}" RESET,
			prefix, prefix, prefix);
	else
		cli_msg(YELLOW "@test:Mock {functionName: \"initializeClient\"}\n"
			       "isolated function getMockClient() returns %sClient|error {\n"
			       "    return test:mock(%sClient, check new %sInMemoryClient());\n"
			       "}" RESET,
			prefix, prefix, prefix);
	if (h2) {
		cli_msg("\n3. Call the setup and cleanup DB scripts in tests before and after suites");
		cli_msg(YELLOW "@test:BeforeSuite\n"
			       "isolated function beforeSuite() returns error? {\n"
			       "    check %ssetupTestDB();\n"
			       "}\n\n"
			       "@test:AfterSuite\n"
			       "function afterSuite() returns error? {\n"
			       "    check %scleanupTestDB();\n"
			       "}" RESET,
			prefix, prefix);
	}
}

/* ---- persist generate ----------------------------------------------------------------------- */

/* Print what the generators reported, one line each, and forget it. */
static void print_warnings(struct buf *w)
{
	if (w->len > 0)
		fputs(w->buf, stderr);
	buf_reset(w);
}

static void help(void)
{
	fprintf(stderr,
		"Usage: persist generate --datastore <store type> [--module <module name>]\n"
		"                        [--test-datastore <store type>] [--model <model-name>]\n"
		"                        [--eager-loading] [--with-init-params]\n"
		"                        [--layout file|directory] [-h | --help]\n\n"
		"Generate the client, the entity types and the scripts of a model once, into the\n"
		"project root or modules/<module>/.\n");
}

static void strip_quotes(const char *s, char *buf, size_t size)
{
	size_t k = 0;

	for (; *s && k + 1 < size; s++)
		if (*s != '"')
			buf[k++] = *s;
	buf[k] = '\0';
}

/* The model file checks of persist-cli.md §1, printed without a prefix. */
static int check_model_file(const char *dir, const struct model_target *t, bool named)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf_checked(path, sizeof(path), "%s/persist", dir) < 0)
		return -ENAMETOOLONG;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		cli_msg("the persist directory inside the Ballerina project does not exist. run `bal "
			"persist init` to initiate the project before generation");
		return -ENOENT;
	}
	if (t->exists)
		return 0;
	if (!named) {
		cli_msg("the persist directory does not contain the default model definition file "
			"(%s). run `bal persist init` to initiate the project before generation.",
			t->entry.path + strlen("persist/"));
		return -ENOENT;
	}
	if (t->entry.layout == MODEL_LAYOUT_DIRECTORY) {
		if (snprintf_checked(path, sizeof(path), "%s/persist/%s", dir, t->entry.name) < 0)
			return -ENAMETOOLONG;
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			cli_msg("the model directory 'persist/%s' does not exist. run `bal persist "
				"init --model %s` to create the model.",
				t->entry.name, t->entry.name);
			return -ENOENT;
		}
	}
	cli_msg("the model file '%s' does not exist.", t->entry.path);
	return -ENOENT;
}

static int append_persist_toml(const char *dir, enum datastore d, const char *module_name,
			       const char *model)
{
	_cleanup_buf_ struct buf text = BUF_INIT(TOML_MAX_BYTES + 4096);
	char path[PATH_MAX];
	int r;

	r = snprintf_checked(path, sizeof(path), "%s/target", dir);
	if (r >= 0)
		r = mkdir_parents(path, 0755);
	if (r >= 0)
		r = snprintf_checked(path, sizeof(path), "%s/target/Persist.toml", dir);
	if (r >= 0) {
		r = read_file_capped(path, TOML_MAX_BYTES, &text);
		if (r == -ENOENT)
			r = 0;
	}
	if (r >= 0 && text.len > 0 && text.buf[text.len - 1] != '\n')
		r = buf_addc(&text, '\n');
	if (r >= 0)
		r = gen_persist_toml_entry(d, module_name, model, &text);
	if (r >= 0)
		r = write_file_atomic(path, text.buf, text.len, 0644, true);
	return r < 0 ? r : 0;
}

int cmd_generate(const struct cli_global *g, int argc, char **argv)
{
	const char *datastore = NULL, *module = NULL, *test_ds = NULL, *model = NULL,
		   *layout = NULL;
	bool eager = false, init_params = false, drop_eager = false, empty = false;
	bool test_failed = false;
	const struct cli_opt opts[] = {
		{ "datastore", CLI_OPT_VALUE, &datastore, NULL },
		{ "module", CLI_OPT_VALUE, &module, NULL },
		{ "test-datastore", CLI_OPT_VALUE, &test_ds, NULL },
		{ "model", CLI_OPT_VALUE, &model, NULL },
		{ "eager-loading", CLI_OPT_FLAG, NULL, &eager },
		{ "with-init-params", CLI_OPT_FLAG, NULL, &init_params },
		{ "layout", CLI_OPT_VALUE, &layout, NULL },
	};
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	_cleanup_(model_file_freep) struct model_file *mf = NULL;
	_cleanup_buf_ struct buf warnings = BUF_INIT(1 << 20);
	const char *dir = g->project_dir;
	char pkg[512], mod[512], module_name[1100], out_dir[PATH_MAX], label[MODEL_PATH_MAX + 8];
	char warning[512] = "", stem[MODEL_NAME_MAX + 8], path[PATH_MAX], err[256];
	const char *printed;
	enum datastore ds, tds;
	struct model_target t;
	struct pd_error e, te;
	struct cli_args a;
	struct stat st;
	unsigned flags;
	int r;

	if (cli_parse_options("generate", argc, argv, opts, ELEMENTSOF(opts), &a) < 0 ||
	    cli_layout_flags(layout, &flags) < 0)
		return CLI_EXIT_USAGE;
	if (a.help) {
		help();
		return CLI_EXIT_OK;
	}
	if (a.n_positional > 0) {
		fprintf(stderr, "persist: error: generate: unexpected argument '%s'\n",
			a.positional[0]);
		return CLI_EXIT_USAGE;
	}
	if (model && !*model)
		model = NULL;

	/* 1. datastores */
	{
		bool blank = true;
		for (const char *c = datastore; c && *c; c++)
			blank = blank && isspace((unsigned char)*c);
		if (!datastore || blank) {
			cli_error("datastore is required");
			return CLI_EXIT_FAILURE;
		}
	}
	if (datastore_validate(datastore, test_ds, eager, &ds, &tds, &drop_eager, warning,
			       sizeof(warning), &e) < 0) {
		cli_error("%s", e.text);
		return CLI_EXIT_FAILURE;
	}
	if (drop_eager) {
		cli_msg("%s", warning);
		eager = false;
	}

	/* 2. project and package name */
	if (cli_validate_project(dir, NULL) < 0)
		return CLI_EXIT_FAILURE;
	if (cli_package_name(dir, &doc, pkg, sizeof(pkg)) < 0)
		return CLI_EXIT_FAILURE;

	/* 3. output directory and module (§7.2) */
	if (module) {
		strip_quotes(module, mod, sizeof(mod));
		printed = mod;
		if (streq(mod, pkg)) {
			(void)snprintf(out_dir, sizeof(out_dir), "modules");
			(void)snprintf(module_name, sizeof(module_name), "%s", pkg);
		} else {
			/* Fits: mod is shorter than the buffer; step 5 rejects long names. */
			(void)snprintf(out_dir, sizeof(out_dir), "modules/%s", mod);
			(void)snprintf(module_name, sizeof(module_name), "%s.%s", pkg, mod);
		}
	} else {
		printed = pkg;
		out_dir[0] = '\0';
		(void)snprintf(module_name, sizeof(module_name), "%s", pkg);
	}

	/* 4. the legacy [persist] table */
	{
		const struct toml_value *v = toml_get(doc->root, "persist");
		if (v && v->type == TOML_TABLE && v->u.table->kind == TOML_TABLE_HEADER) {
			cli_msg("The behavior of the `bal persist generate` command has been updated "
				"starting from Ballerina update 09.\n"
				"You now have the following options for code generation:\n\n"
				"- `bal persist add --datastore <datastore> --module <module>`: This "
				"command adds an entry to \"Ballerina.toml\" to integrate code "
				"generation with the package build process.\n"
				"- `bal persist generate --datastore <datastore> --module <module>`: "
				"This command performs a one-time generation of the client.\n\n"
				"If you choose to proceed with the `bal persist generate` command, "
				"please follow these steps:\n\n"
				"1. Remove the [persist] configuration in the \"Ballerina.toml\" file.\n"
				"2. Delete any previously generated source files, if they exist.\n"
				"3. Re-execute the `bal persist generate --datastore <datastore> "
				"--module <module>` command.\n\n"
				"If you have any questions or need further assistance, refer to the "
				"updated documentation.");
			return CLI_EXIT_FAILURE;
		}
	}

	/* 5. module name */
	if (gen_project_check_module(module_name, &e) < 0) {
		cli_error("invalid module name : '%s' :\n%s", module ? mod : pkg, e.text);
		return CLI_EXIT_FAILURE;
	}

	/* 6. upstream's migrations guard looks at <project>/tool.persist/migrations, a path no
	 * project has; kept as upstream has it (persist-cli.md §7.1). */
	if (snprintf_checked(path, sizeof(path), "%s/tool.persist/migrations", dir) >= 0 &&
	    stat(path, &st) == 0 && S_ISDIR(st.st_mode) && ds != DATASTORE_MYSQL) {
		cli_error(
			"regenerating the client with a different datastore after executing the "
			"migrate command is not permitted. please remove the migrations directory "
			"within the persist directory and try executing the command again.");
		return CLI_EXIT_FAILURE;
	}

	/* 7. experimental notices */
	if (ds == DATASTORE_GOOGLESHEETS)
		cli_msg("\nWARNING The support for Google Sheets data store is currently an "
			"experimental feature, and its behavior may be subject to change in future "
			"releases.\n");
	if (ds == DATASTORE_REDIS)
		cli_msg("\nWARNING The support for Redis data store is currently an experimental "
			"feature, and its behavior may be subject to change in future releases.\n");

	/* 8. the model file */
	if (cli_resolve_model(dir, model, flags, &t) < 0)
		return CLI_EXIT_FAILURE;
	if (check_model_file(dir, &t, model != NULL) < 0)
		return CLI_EXIT_FAILURE;
	(void)snprintf(label, sizeof(label), "%s", t.entry.path + strlen("persist/"));
	gen_project_model_stem(t.entry.path, stem, sizeof(stem));

	/* 9. side effects that happen before the model is validated */
	r = append_persist_toml(dir, ds, module_name, model ? t.entry.name : NULL);
	if (r < 0) {
		cli_error("failed to update target/Persist.toml: %s",
			  errno_text(r, err, sizeof(err)));
		return CLI_EXIT_FAILURE;
	}
	r = gen_project_native_dependency(dir, ds, tds, false, &warnings, &e);
	print_warnings(&warnings);
	if (r < 0) {
		cli_error("%s", e.text);
		return CLI_EXIT_FAILURE;
	}

	/* 10. validate and extract the model */
	r = gen_project_load_model(dir, t.entry.path, label, ds, &mf, &warnings, &empty, &e);
	print_warnings(&warnings);
	if (r < 0) {
		if (empty)
			cli_error("%s", e.text);
		else
			cli_error(
				"Failed to generate types and client for the definition file(%s). "
				"%s",
				label, e.text);
		return CLI_EXIT_FAILURE;
	}

	/* 11.-13. generate and write */
	{
		struct gen_options o = {
			.datastore = ds,
			.test_datastore = tds,
			.eager_loading = eager,
			.with_init_params = init_params,
			.model_name = stem,
			.package_name = pkg,
			.module_name = module_name,
		};
		te.text[0] = '\0';
		r = gen_project_write(dir, mf, &o, out_dir, NULL, &test_failed, &te, &e);
		if (r < 0) {
			cli_msg("ERROR: failed to generate/update source file/s for the %s. %s\n",
				datastore_to_string(ds), e.text);
			return CLI_EXIT_FAILURE;
		}
	}
	cli_msg("Persist client and entity types generated successfully in the %s directory.",
		printed);
	if (tds != DATASTORE_INVALID) {
		char prefix[600];
		if (test_failed) {
			cli_error("the test data source creation failed. %s", te.text);
			return CLI_EXIT_FAILURE;
		}
		cli_msg("The test client for the %s datastore is successfully generated in the %s "
			"module.",
			datastore_to_string(tds), printed);
		if (streq(printed, pkg))
			prefix[0] = '\0';
		else
			(void)snprintf(prefix, sizeof(prefix), "%s:", printed);
		print_test_steps(tds, prefix);
	}
	return CLI_EXIT_OK;
}
