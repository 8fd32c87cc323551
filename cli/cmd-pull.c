/* persist pull --datastore mysql|postgresql|mssql --host h --port p --user u --database d
 *              [--tables[=a,b]] [--model m] [--password-stdin] [--yes] [--layout file|directory]
 *
 * Reads a database's tables, columns, keys, indexes and enums and writes the model file that
 * upstream `bal persist pull` writes for them (reference/introspection.md, persist-cli.md §11),
 * with upstream's messages on stderr. The password comes from the first line of standard input
 * (--password-stdin), from PERSIST_PASSWORD, or from a prompt on the terminal with echo off;
 * without a terminal persist never prompts for it. The overwrite question and the interactive
 * --tables selection read one line each from standard input (a terminal or not, as upstream);
 * end of input answers "no". --yes overwrites without asking. The file is written atomically,
 * and nothing is written or created when pull fails. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/errno-util.h"
#include "base/strutil.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/options.h"
#include "connectors/connector.h"
#include "connectors/pull.h"
#include "models/introspect.h"
#include "models/project-config.h"
#include "models/project.h"

#define PULL_CONNECT_TIMEOUT (10 * USEC_PER_SEC)
/* Past this many tables pull says what it is doing while it works. */
#define PULL_PROGRESS_TABLES 20
/* The interactive selection lists this many tables at most. */
#define PULL_LIST_MAX 50

static bool colors;

static void help(void)
{
	fprintf(stderr,
		"Usage: persist pull [--datastore mysql|postgresql|mssql] --host <host>\n"
		"                    --port <port> --user <user> --database <database>\n"
		"                    [--tables[=<table1,table2>]] [--model <model-name>]\n"
		"                    [--password-stdin] [--yes] [--layout file|directory]\n\n"
		"Introspect a database and write its tables as a model file (persist/model.bal,\n"
		"or the model --model names), as `bal persist pull` does.\n\n"
		"  --tables=a,b        only these tables, with the tables their foreign keys\n"
		"                      reference; --tables alone lists the tables and asks\n"
		"  --password-stdin    read the password from the first line of standard input\n"
		"                      (else PERSIST_PASSWORD, else a prompt on the terminal)\n"
		"  --yes               overwrite an existing model file without asking\n");
}

static const char *color(const char *code)
{
	return colors ? code : "";
}

/* One line of standard input without its line break; NULL at the end of input. */
static char *read_line(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);

	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static void free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* --password-stdin, PERSIST_PASSWORD, or a prompt without echo on the terminal. NULL after
 * saying why there is none. */
static char *read_password(bool from_stdin)
{
	const char *env = getenv("PERSIST_PASSWORD");
	struct termios old, quiet;
	char *pw;

	if (from_stdin) {
		pw = read_line();
		if (!pw)
			cli_error("--password-stdin: standard input ended before the password");
		return pw;
	}
	if (env)
		return strdup(env);
	if (!isatty(STDIN_FILENO)) {
		cli_error("no database password: pass it on standard input with --password-stdin "
			  "or in PERSIST_PASSWORD (there is no terminal to ask on)");
		return NULL;
	}
	fputs("Database Password: ", stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) < 0) {
		cli_error("cannot turn off the echo of the terminal");
		return NULL;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	pw = read_line();
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (!pw)
		cli_error("no password was entered");
	return pw;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool database_name_ok(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

struct pull_args {
	const char *datastore, *host, *port, *user, *database, *tables, *model, *layout;
	bool datastore_given, host_given, port_given, user_given, database_given, tables_given;
	bool password_stdin, yes;
};

/* One message of the option check, after a line break unless it is the first. */
_printf_(2, 3) static int add_msg(struct buf *msgs, const char *fmt, ...)
{
	va_list ap;
	int r = msgs->len ? buf_addc(msgs, '\n') : 0;

	if (r < 0)
		return r;
	va_start(ap, fmt);
	r = buf_vaddf(msgs, fmt, ap);
	va_end(ap);
	return r;
}

/* introspection.md §1.2: every problem, one message per option. */
static int validate_options(const struct pull_args *a, struct buf *msgs)
{
	uint64_t port;
	int r = 0;

	if (!a->datastore)
		r = add_msg(msgs, "The datastore type is not provided.");
	else if (!*a->datastore)
		r = add_msg(msgs, "The datastore type cannot be empty.");
	else if (!streq(a->datastore, "mysql") && !streq(a->datastore, "postgresql") &&
		 !streq(a->datastore, "mssql"))
		r = add_msg(msgs, "Unsupported data store: '%s'", a->datastore);
	if (r >= 0 && !a->host_given)
		r = add_msg(msgs, "The host is not provided.");
	else if (r >= 0 && !*a->host)
		r = add_msg(msgs, "The host cannot be empty.");
	if (r >= 0 && !a->port_given)
		r = add_msg(msgs, "The port is not provided.");
	else if (r >= 0 && !*a->port)
		r = add_msg(msgs, "The port cannot be empty.");
	else if (r >= 0 && !all_digits(a->port))
		r = add_msg(msgs, "The port is invalid. The port should be a number.");
	else if (r >= 0 && (safe_atou64(a->port, &port) < 0 || port > 65535))
		/* a number too long for 32 bits crashes upstream; it is out of range here */
		r = add_msg(msgs,
			    "The port is invalid. The port should be in the range of 0 to 65535.");
	if (r >= 0 && !a->user_given)
		r = add_msg(msgs, "The user is not provided.");
	else if (r >= 0 && !*a->user)
		r = add_msg(msgs, "The user cannot be empty.");
	if (r >= 0 && !a->database_given)
		r = add_msg(msgs, "The database is not provided.");
	else if (r >= 0 && !*a->database)
		r = add_msg(msgs, "The database cannot be empty.");
	else if (r >= 0 && !database_name_ok(a->database))
		r = add_msg(msgs, "The database name is invalid. The database name should start "
				  "with a letter or underscore (_) and must contain only "
				  "alphanumeric characters.");
	return r;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\f' || *s == '\v')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n' ||
			 e[-1] == '\f' || e[-1] == '\v'))
		*--e = '\0';
	return s;
}

enum selection_result {
	SELECT_OK,
	SELECT_ABORT,
	SELECT_FAIL,
};

/* The interactive --tables selection (introspection.md §5.2). On SELECT_OK, *ret_value is
 * NULL for every table or a --tables value (new). */
static enum selection_result select_interactively(const struct db_catalog *cat, char **ret_value)
{
	_cleanup_buf_ struct buf names = BUF_INIT(1 << 24);
	static const char rule[] = "──────────────────────────────────";
	char *line, *s;

	if (cat->n_tables == 0) {
		cli_error("No tables found in the database.");
		return SELECT_FAIL;
	}
	fprintf(stderr, "%s\nAvailable tables in the database:%s\n%s\n", color("\033[36m"),
		color("\033[0m"), rule);
	for (size_t i = 0; i < cat->n_tables && i < PULL_LIST_MAX; i++)
		fprintf(stderr, "  %zu. %s\n", i + 1, cat->tables[i].name);
	if (cat->n_tables > PULL_LIST_MAX)
		fprintf(stderr, "%s  ... and %zu more tables%s\n", color("\033[33m"),
			cat->n_tables - PULL_LIST_MAX, color("\033[0m"));
	fprintf(stderr, "%s\nTotal: %zu table%s\n\n", rule, cat->n_tables,
		cat->n_tables == 1 ? "" : "s");
	fputs("Select tables to introspect:\n"
	      "  • Enter table names separated by commas (e.g., users,orders,products)\n"
	      "  • Enter table numbers separated by commas (e.g., 1,3,5)\n"
	      "  • Enter 'all' to introspect all tables\n"
	      "  • Press Enter without input to introspect all tables\n"
	      "  • Enter 'q' or 'quit' to abort\n\n"
	      "Your selection: ",
	      stderr);
	fflush(stderr);

	line = read_line();
	if (!line) {
		fputc('\n', stderr);
		cli_msg("Introspection aborted.");
		return SELECT_ABORT;
	}
	s = trim(line);
	if (strcasecmp(s, "q") == 0 || strcasecmp(s, "quit") == 0) {
		free(line);
		cli_msg("Introspection aborted.");
		return SELECT_ABORT;
	}
	if (!*s || strcasecmp(s, "all") == 0) {
		free(line);
		*ret_value = NULL;
		return SELECT_OK;
	}
	if (strspn(s, "0123456789, \t\r\n\f\v") != strlen(s)) {
		*ret_value = strdup(s);
		free(line);
		return *ret_value ? SELECT_OK : SELECT_FAIL;
	}
	/* numbers: Java's split(","), trailing empty pieces dropped */
	size_t len = strlen(s);
	while (len > 0 && s[len - 1] == ',')
		s[--len] = '\0';
	for (char *p = s;;) {
		char *end = p + strcspn(p, ",");
		bool last = !*end;
		unsigned idx;
		*end = '\0';
		char *piece = trim(p);
		if (safe_atou(piece, &idx) < 0) {
			fprintf(stderr, "%sWARNING: Invalid index '%s'. Skipping.%s\n",
				color("\033[33m"), piece, color("\033[0m"));
		} else if (idx < 1 || idx > cat->n_tables) {
			fprintf(stderr, "%sWARNING: Index %u is out of range. Skipping.%s\n",
				color("\033[33m"), idx, color("\033[0m"));
		} else if (buf_addf(&names, "%s%s", names.len ? "," : "",
				    cat->tables[idx - 1].name) < 0) {
			free(line);
			cli_error("out of memory");
			return SELECT_FAIL;
		}
		if (last)
			break;
		p = end + 1;
	}
	free(line);
	if (names.len == 0) {
		cli_error("No valid tables selected. Please provide valid table names or indices.");
		return SELECT_FAIL;
	}
	*ret_value = buf_detach(&names, NULL);
	return *ret_value ? SELECT_OK : SELECT_FAIL;
}

/* The overwrite question (introspection.md §1.4); true to go on. */
static bool confirm_overwrite(const char *path)
{
	_cleanup_free_ char *line = NULL;

	fprintf(stderr,
		"%sWARNING A %s file already exists. Continuing would overwrite it. Do you wish to "
		"continue? (y/n) %s",
		color("\033[33m"), path, color("\033[0m"));
	fflush(stderr);
	line = read_line();
	if (line) {
		for (char *p = line; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	} else {
		fputc('\n', stderr);
	}
	if (line && (streq(line, "y") || streq(line, "yes"))) {
		cli_msg("Continuing...");
		return true;
	}
	cli_msg("Introspection aborted.");
	return false;
}

static int pull(const struct cli_global *g, const struct pull_args *a)
{
	_cleanup_(db_catalog_freep) struct db_catalog *cat = NULL;
	_cleanup_buf_ struct buf text = BUF_INIT(64 << 20);
	_cleanup_buf_ struct buf messages = BUF_INIT(64 << 20);
	_cleanup_free_ char *chosen = NULL;
	_cleanup_free_ char **names = NULL;
	struct introspect_selection sel = { .all = true };
	struct connection_settings cs = { 0 };
	struct model_target t;
	struct pd_error e = { 0 };
	char *password;
	char err[2048], etext[128];
	unsigned flags;
	uint64_t port;
	size_t n_names = 0, n_entities = 0;
	const char *tables = a->tables;
	int r;

	if (cli_layout_flags(a->layout, &flags) < 0)
		return CLI_EXIT_USAGE;

	password = read_password(a->password_stdin);
	if (!password)
		return CLI_EXIT_FAILURE;

	if (cli_validate_project(g->project_dir, NULL) < 0 ||
	    cli_resolve_model(g->project_dir, a->model && *a->model ? a->model : NULL, flags, &t) <
		    0) {
		free_secret(password);
		return CLI_EXIT_FAILURE;
	}
	if (t.exists && !a->yes && !confirm_overwrite(t.entry.path)) {
		free_secret(password);
		return CLI_EXIT_FAILURE;
	}

	if (safe_atou64(a->port, &port) < 0)
		port = 0; /* checked with the other options */
	cs.host = (char *)a->host;
	cs.port = (int64_t)port;
	cs.user = (char *)a->user;
	cs.password = password;
	cs.database = (char *)a->database;
	r = connector_global_init();
	if (r < 0) {
		free_secret(password);
		cli_error("cannot initialise the store connectors: %s",
			  errno_text(r, etext, sizeof(etext)));
		return CLI_EXIT_FAILURE;
	}
	r = pull_read_catalog(a->datastore, &cs, PULL_CONNECT_TIMEOUT, &cat, err, sizeof(err));
	connector_global_cleanup();
	free_secret(password);
	if (r < 0) {
		cli_error("failed to introspect database: %s", err);
		return CLI_EXIT_FAILURE;
	}

	if (tables && !*trim((char *)tables)) {
		switch (select_interactively(cat, &chosen)) {
		case SELECT_OK:
			tables = chosen;
			break;
		case SELECT_ABORT:
			return CLI_EXIT_FAILURE;
		default:
			return CLI_EXIT_FAILURE;
		}
	}
	if (tables) {
		r = introspect_split_tables(tables, &names, &n_names);
		if (r < 0) {
			cli_error("out of memory");
			return CLI_EXIT_FAILURE;
		}
		sel.all = false;
		sel.names = (const char *const *)names;
		sel.n_names = n_names;
	}

	if (cat->n_tables >= PULL_PROGRESS_TABLES)
		cli_msg("Mapping %zu tables of the database '%s' to entities...", cat->n_tables,
			a->database);
	r = introspect_model(cat, &sel, &text, &messages, &n_entities, &e);
	fputs(messages.buf, stderr);
	if (r < 0) {
		if (r == -EBADMSG)
			cli_error("%s", e.text);
		else
			cli_error("failed to generate model for introspected database: %s",
				  errno_text(r, etext, sizeof(etext)));
		return CLI_EXIT_FAILURE;
	}
	if (cat->n_tables >= PULL_PROGRESS_TABLES)
		cli_msg("Writing %zu entities to %s...", n_entities, t.entry.path);
	r = pull_write_model(g->project_dir, t.entry.path, text.buf, text.len);
	if (r < 0) {
		cli_error("failed to generate model for introspected database: could not write the "
			  "records for the `Introspect.db` data model to the model.bal file.%s",
			  errno_text(r, etext, sizeof(etext)));
		return CLI_EXIT_FAILURE;
	}
	cli_msg("Introspection complete! The %s file created successfully.", t.entry.path);
	return CLI_EXIT_OK;
}

int cmd_pull(const struct cli_global *g, int argc, char **argv)
{
	struct pull_args a = { .datastore = "mysql" };
	const struct cli_opt opts[] = {
		{ "datastore", CLI_OPT_VALUE, &a.datastore, &a.datastore_given },
		{ "host", CLI_OPT_VALUE, &a.host, &a.host_given },
		{ "port", CLI_OPT_VALUE, &a.port, &a.port_given },
		{ "user", CLI_OPT_VALUE, &a.user, &a.user_given },
		{ "database", CLI_OPT_VALUE, &a.database, &a.database_given },
		{ "tables", CLI_OPT_OPTIONAL_VALUE, &a.tables, &a.tables_given },
		{ "model", CLI_OPT_VALUE, &a.model, NULL },
		{ "layout", CLI_OPT_VALUE, &a.layout, NULL },
		{ "password-stdin", CLI_OPT_FLAG, NULL, &a.password_stdin },
		{ "yes", CLI_OPT_FLAG, NULL, &a.yes },
	};
	_cleanup_buf_ struct buf msgs = BUF_INIT(1 << 16);
	struct cli_args args;

	if (cli_parse_options("pull", argc, argv, opts, ELEMENTSOF(opts), &args) < 0)
		return CLI_EXIT_USAGE;
	if (args.help) {
		help();
		return CLI_EXIT_OK;
	}
	if (args.n_positional > 0) {
		fprintf(stderr, "persist: error: pull: unexpected argument '%s'\n",
			args.positional[0]);
		return CLI_EXIT_USAGE;
	}
	colors = isatty(STDERR_FILENO);
	if (validate_options(&a, &msgs) < 0) {
		cli_error("out of memory");
		return CLI_EXIT_FAILURE;
	}
	if (msgs.len > 0) {
		cli_error("invalid option(s): \n%s", msgs.buf);
		return CLI_EXIT_USAGE;
	}
	return pull(g, &a);
}
