/* persist push [--model <m>] [--drop-existing] [--layout file|directory]: apply a model's DDL
 * (the statements of its script.sql) to the SQL store its [[tool.persist]] binding names, with
 * the connection settings of that binding's Config.toml section, in one transaction (MySQL
 * commits each CREATE TABLE on its own). The same work as POST /models/{m}/push (API.md §3). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/errno-util.h"
#include "base/strutil.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/options.h"
#include "connectors/connector.h"
#include "models/ast.h"
#include "models/datastore.h"
#include "models/gen-project.h"
#include "models/project-config.h"
#include "models/project-ops.h"
#include "models/project.h"

/* How long connecting to the store may take. */
#define PUSH_CONNECT_TIMEOUT (10 * USEC_PER_SEC)

static void help(void)
{
	fprintf(stderr,
		"Usage: persist push [--model <model-name>] [--drop-existing]\n"
		"                    [--layout file|directory] [-h | --help]\n\n"
		"Create the tables of a model in the SQL store it is bound to: the statements\n"
		"of the model's script.sql, run in one transaction against the datastore of its\n"
		"[[tool.persist]] entry in Ballerina.toml (mysql or postgresql), with the\n"
		"connection settings of the entry's targetModule section in Config.toml (or the\n"
		"files in BAL_CONFIG_FILES).\n\n"
		"A table of the model that exists already stops the push (on PostgreSQL nothing\n"
		"is changed; MySQL commits each CREATE TABLE, so the tables created before it\n"
		"stay); --drop-existing drops the model's tables first, with every row in them.\n");
}

_printf_(1, 2) static void push_error(const char *fmt, ...)
{
	va_list ap;

	fputs("persist: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A store's error text on one line, without libpq's severity prefix: libpq ends lines with a
 * line break and indents the next. */
static void one_line(char *s)
{
	size_t k = 0, i = 0;

	if (startswith(s, "ERROR:  "))
		i = strlen("ERROR:  ");
	for (; s[i]; i++) {
		if (s[i] == '\n') {
			while (s[i + 1] == '\t' || s[i + 1] == ' ' || s[i + 1] == '\n')
				i++;
			if (s[i + 1])
				s[k++] = ' ';
			continue;
		}
		s[k++] = s[i];
	}
	s[k] = '\0';
}

/* The binding of model m, or NULL after saying why there is none usable. */
static const struct persist_binding *find_binding(const struct project_config *pc,
						  const struct model_target *t)
{
	const struct persist_binding *b = project_config_binding_for_path(pc, t->entry.path);

	if (!b) {
		push_error("the model '%s' is not bound to a store: Ballerina.toml has no "
			   "[[tool.persist]] entry with filePath = \"%s\" (add one with `persist "
			   "add --model %s --datastore postgresql|mysql`)",
			   t->entry.name, t->entry.path, t->entry.name);
		return NULL;
	}
	if (b->error) {
		push_error("the [[tool.persist]] entry of the model '%s' is not usable: %s",
			   t->entry.name, b->error);
		return NULL;
	}
	if (!b->datastore || !*b->datastore) {
		push_error("the [[tool.persist]] entry of the model '%s' names no datastore "
			   "(options.datastore)",
			   t->entry.name);
		return NULL;
	}
	return b;
}

/* The tables a push creates, in the model's order, as one line ("A, B"). */
static int table_list(const struct model_file *mf, struct buf *out)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < mf->n_entities; i++) {
		if (mf->entities[i]->unsupported)
			continue;
		r = buf_addf(out, "%s%s", out->len ? ", " : "", entity_table_name(mf->entities[i]));
	}
	return r;
}

static int push(const char *dir, const struct model_target *t, bool drop_existing)
{
	_cleanup_(project_config_freep) struct project_config *pc = NULL;
	_cleanup_(connection_settings_release) struct connection_settings cs = { 0 };
	_cleanup_(model_file_freep) struct model_file *mf = NULL;
	_cleanup_(conn_closep) struct conn *c = NULL;
	_cleanup_buf_ struct buf warnings = BUF_INIT(1 << 20);
	_cleanup_buf_ struct buf tables = BUF_INIT(1 << 20);
	const struct persist_binding *b;
	const struct connector_ops *ops;
	char label[MODEL_PATH_MAX + 8], where[512], err[1024];
	struct pd_error e = { 0 };
	void *cfg = NULL;
	bool empty = false;
	enum datastore d;
	int r;

	r = project_config_load(dir, getenv("BAL_CONFIG_FILES"), &pc, &e);
	if (r < 0) {
		if (r == -ENOENT)
			push_error("no Ballerina.toml in '%s'", dir);
		else {
			pd_error_format(&e, err, sizeof(err));
			push_error("cannot read the project configuration: %s", err);
		}
		return CLI_EXIT_FAILURE;
	}
	b = find_binding(pc, t);
	if (!b)
		return CLI_EXIT_FAILURE;
	d = datastore_from_string(b->datastore);
	if (d == DATASTORE_INVALID) {
		push_error("the model '%s' is bound to an unknown datastore '%s'", t->entry.name,
			   b->datastore);
		return CLI_EXIT_FAILURE;
	}
	ops = connector_find(b->datastore);
	if (!datastore_is_sql(d) || (ops && !connector_has(ops, CONN_CAP_SQL))) {
		push_error("the model '%s' is bound to the %s store, which is not an SQL store: "
			   "push creates tables in a mysql or postgresql store",
			   t->entry.name, b->datastore);
		return CLI_EXIT_FAILURE;
	}
	if (!ops) {
		push_error("the datastore '%s' of the model '%s' is not served by this build of "
			   "persist",
			   b->datastore, t->entry.name);
		return CLI_EXIT_FAILURE;
	}

	/* the model, validated with the rules of its datastore, as generate loads it */
	(void)snprintf(label, sizeof(label), "%s", t->entry.path + strlen("persist/"));
	r = gen_project_load_model(dir, t->entry.path, label, d, &mf, &warnings, &empty, &e);
	if (warnings.len > 0)
		fputs(warnings.buf, stderr);
	if (r < 0) {
		push_error("the model '%s' is not valid, nothing was pushed: %s", t->entry.name,
			   e.text);
		return CLI_EXIT_FAILURE;
	}

	/* the store */
	r = project_config_connection(pc, b->target_module, &cs, &e);
	if (r < 0) {
		pd_error_format(&e, err, sizeof(err));
		push_error("the connection settings of the model '%s' do not parse: %s",
			   t->entry.name, err);
		return CLI_EXIT_FAILURE;
	}
	if (cs.section)
		(void)snprintf(where, sizeof(where), "the %s store of [%s]", b->datastore,
			       cs.section);
	else
		(void)snprintf(where, sizeof(where),
			       "the %s store (no [%s] section in the configuration, so the "
			       "defaults)",
			       b->datastore, b->target_module ? b->target_module : "?");
	r = ops->config_parse(&cs, &cfg, &e);
	if (r < 0) {
		push_error("the connection settings of the model '%s' are not usable: %s",
			   t->entry.name, e.text[0] ? e.text : errno_text(r, err, sizeof(err)));
		return CLI_EXIT_FAILURE;
	}
	err[0] = '\0';
	r = conn_open(ops, cfg, PUSH_CONNECT_TIMEOUT, &c, err, sizeof(err));
	if (r < 0) {
		char text[128];
		one_line(err);
		push_error("cannot reach %s for the model '%s': %s", where, t->entry.name,
			   err[0] ? err : errno_text(r, text, sizeof(text)));
		ops->config_free(cfg);
		return CLI_EXIT_FAILURE;
	}

	r = conn_push(c, mf, drop_existing);
	if (r < 0) {
		/* PostgreSQL rolls the whole script back; MySQL commits each CREATE TABLE as it
		 * runs, so the tables before the failing statement stay. */
		const char *outcome = d == DATASTORE_MYSQL
					      ? "; MySQL commits each CREATE TABLE, so the tables "
						"created before it stay"
					      : "; nothing was changed";
		char text[128];
		(void)snprintf(err, sizeof(err), "%s", conn_last_error(c));
		one_line(err);
		if (r == -EEXIST)
			push_error("a table of the model '%s' exists in %s: %s%s; --drop-existing "
				   "replaces the model's tables (their rows are lost)",
				   t->entry.name, where, err[0] ? err : "CREATE TABLE found it",
				   outcome);
		else
			push_error("pushing the model '%s' to %s failed: %s%s", t->entry.name,
				   where, err[0] ? err : errno_text(r, text, sizeof(text)),
				   outcome);
		c = conn_close(c);
		ops->config_free(cfg);
		return CLI_EXIT_FAILURE;
	}
	c = conn_close(c);
	ops->config_free(cfg);

	r = table_list(mf, &tables);
	if (r < 0) {
		push_error("out of memory");
		return CLI_EXIT_FAILURE;
	}
	cli_msg("Created the tables of the model '%s' in %s%s: %s", t->entry.name, where,
		drop_existing ? ", replacing the existing ones" : "", tables.buf);
	return CLI_EXIT_OK;
}

int cmd_push(const struct cli_global *g, int argc, char **argv)
{
	const char *model = NULL, *layout = NULL;
	bool drop_existing = false;
	const struct cli_opt opts[] = {
		{ "model", CLI_OPT_VALUE, &model, NULL },
		{ "drop-existing", CLI_OPT_FLAG, NULL, &drop_existing },
		{ "layout", CLI_OPT_VALUE, &layout, NULL },
	};
	struct model_target t;
	struct pd_error e;
	struct cli_args a;
	unsigned flags;
	int r;

	if (cli_parse_options("push", argc, argv, opts, ELEMENTSOF(opts), &a) < 0 ||
	    cli_layout_flags(layout, &flags) < 0)
		return CLI_EXIT_USAGE;
	if (a.help) {
		help();
		return CLI_EXIT_OK;
	}
	if (a.n_positional > 0) {
		push_error("push: unexpected argument '%s'", a.positional[0]);
		return CLI_EXIT_USAGE;
	}
	if (model && !*model)
		model = NULL;

	if (project_resolve(g->project_dir, model, flags, &t, &e) < 0) {
		push_error("%s", e.text);
		return CLI_EXIT_FAILURE;
	}
	if (!t.exists) {
		push_error("the model file '%s' does not exist (create it with `persist init%s%s`)",
			   t.entry.path, model ? " --model " : "", model ? t.entry.name : "");
		return CLI_EXIT_FAILURE;
	}

	r = connector_global_init();
	if (r < 0) {
		char text[128];
		push_error("cannot initialise the store connectors: %s",
			   errno_text(r, text, sizeof(text)));
		return CLI_EXIT_FAILURE;
	}
	r = push(g->project_dir, &t, drop_existing);
	connector_global_cleanup();
	return r;
}
