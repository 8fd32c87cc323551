/* PostgreSQL through libpq: the tables and columns of the model's generated script.sql
 * (models/gen.h), values bound as text parameters (never spliced into SQL), and the encodings
 * the generated Ballerina client reads and writes (runtime.md §4.5). Sessions run with
 * TimeZone=UTC and DateStyle=ISO, so time:Utc values stored in TIMESTAMP columns are UTC
 * instants as the Ballerina service sees them when it runs in UTC. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fifo.h"
#include "base/macro.h"
#include "base/strutil.h"
#include "connectors/connector.h"
#include "connectors/pool.h"
#include "models/ast.h"
#include "models/introspect.h"
#include "models/project-config.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(PGresult *, PQclear)

/* Statements past this many seconds are cancelled by the server (-ETIMEDOUT). */
#define PG_STATEMENT_TIMEOUT_MS 30000

struct pg_config {
	char *host, *port, *user, *password, *database, *schema;
};

struct pg_conn {
	struct conn base;
	const struct pg_config *cfg;
	PGconn *pg;
	char err[1024];
};

static struct pg_conn *pg_conn_cast(struct conn *c)
{
	assert(c->ops == &postgresql_ops);
	return (struct pg_conn *)c;
}

/* ---- config --------------------------------------------------------------------------------- */

static void pg_config_free(void *p)
{
	struct pg_config *cfg = p;

	if (!cfg)
		return;
	mem_free(cfg->host);
	mem_free(cfg->port);
	mem_free(cfg->user);
	if (cfg->password)
		explicit_bzero(cfg->password, strlen(cfg->password));
	mem_free(cfg->password);
	mem_free(cfg->database);
	mem_free(cfg->schema);
	mem_free(cfg);
}

static bool plain_identifier(const char *s)
{
	if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
		      (*s >= '0' && *s <= '9') || *s == '$'))
			return false;
	return true;
}

static int pg_config_parse(const struct connection_settings *cs, void **ret_cfg,
			   struct pd_error *reterr)
{
	struct pg_config *cfg = new0(struct pg_config, 1);
	char port[24];

	if (!cfg)
		return -ENOMEM;
	/* the generated Config.toml defaults (runtime.md §8) */
	(void)snprintf(port, sizeof(port), "%lld",
		       (long long)(cs && cs->port > 0 ? cs->port : 5432));
	cfg->host = mem_strdup(cs && cs->host ? cs->host : "localhost");
	cfg->port = mem_strdup(port);
	cfg->user = mem_strdup(cs && cs->user ? cs->user : "postgres");
	cfg->password = mem_strdup(cs && cs->password ? cs->password : "");
	cfg->database = mem_strdup(cs && cs->database ? cs->database : "");
	if (cs && cs->default_schema && *cs->default_schema) {
		/* spliced into SQL as the generated client does, so it must be a plain name */
		if (!plain_identifier(cs->default_schema)) {
			pd_error_set(reterr, NULL, 0, 0, 0, "invalid defaultSchema '%s'",
				     cs->default_schema);
			pg_config_free(cfg);
			return -EINVAL;
		}
		cfg->schema = mem_strdup(cs->default_schema);
		if (!cfg->schema) {
			pg_config_free(cfg);
			return -ENOMEM;
		}
	}
	if (!cfg->host || !cfg->port || !cfg->user || !cfg->password || !cfg->database) {
		pg_config_free(cfg);
		return -ENOMEM;
	}
	*ret_cfg = cfg;
	return 0;
}

/* ---- errors --------------------------------------------------------------------------------- */

_printf_(3, 4) static int set_error(struct pg_conn *pc, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(pc->err, sizeof(pc->err), fmt, ap);
	va_end(ap);
	/* libpq's messages end in a newline */
	for (size_t n = strlen(pc->err); n > 0 && pc->err[n - 1] == '\n'; n--)
		pc->err[n - 1] = '\0';
	return r;
}

/* The errno of a failed statement; the text goes to last_error. */
static int result_error(struct pg_conn *pc, const struct entity *e, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(pc->pg);

	if (!state || PQstatus(pc->pg) == CONNECTION_BAD) {
		pc->base.broken = true;
		return set_error(pc, -ECONNRESET, "%s", PQerrorMessage(pc->pg));
	}
	if (streq(state, "23505")) {
		/* upstream's K: the DETAIL "Key (id)=(1) already exists." without its markers */
		const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		const char *k = detail ? startswith(detail, "Key ") : NULL;
		char key[512];
		if (e && k && endswith(k, " already exists.")) {
			(void)snprintf(key, sizeof(key), "%.*s",
				       (int)(strlen(k) - strlen(" already exists.")), k);
			conn_exists_text(e, key, pc->err, sizeof(pc->err));
		} else {
			(void)set_error(pc, 0, "%s",
					"Unable to determine key from DuplicateKey error message.");
		}
		return -EEXIST;
	}
	/* push without dropExisting: a table of the script exists (HTTP 409) */
	if (streq(state, "42P07"))
		return set_error(pc, -EEXIST, "%s", msg);
	if (streq(state, "23503") || streq(state, "23514") || streq(state, "23502"))
		return set_error(pc, -ECONSTRAINT, "%s", msg);
	if (startswith(state, "22"))
		return set_error(pc, -EINVAL, "%s", msg);
	if (streq(state, "57014"))
		return set_error(pc, -ETIMEDOUT, "%s", msg);
	if (streq(state, "40001") || streq(state, "40P01"))
		return set_error(pc, -EAGAIN, "%s", msg);
	if (startswith(state, "08") || startswith(state, "57P")) {
		pc->base.broken = true;
		return set_error(pc, -ECONNRESET, "%s", msg);
	}
	return set_error(pc, -EIO, "%s", msg);
}

/* ---- connections ---------------------------------------------------------------------------- */

/* Server notices (DROP TABLE IF EXISTS ... skipping) would go to stderr; a library stays quiet. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int pg_connect(struct conn *c, const void *cfgp, usec_t timeout)
{
	struct pg_conn *pc = pg_conn_cast(c);
	const struct pg_config *cfg = cfgp;
	char seconds[24], options[256];
	const char *msg;
	int r;

	/* libpq counts whole seconds and treats 1 as 2 */
	(void)snprintf(seconds, sizeof(seconds), "%llu",
		       (unsigned long long)MAX(2, (timeout + USEC_PER_SEC - 1) / USEC_PER_SEC));
	/* with defaultSchema, unqualified names (push's script.sql) land in that schema too */
	if (snprintf_checked(options, sizeof(options),
			     "-c TimeZone=UTC -c DateStyle=ISO,YMD -c statement_timeout=%d%s%s",
			     PG_STATEMENT_TIMEOUT_MS, cfg->schema ? " -c search_path=" : "",
			     cfg->schema ? cfg->schema : "") < 0)
		return set_error(pc, -EINVAL, "%s", "defaultSchema too long");
	const char *const keys[] = {
		"host",
		"port",
		"user",
		"password",
		"dbname",
		"connect_timeout",
		"options",
		"application_name",
		"client_encoding",
		"keepalives",
		"keepalives_idle",
		NULL,
	};
	const char *const values[] = {
		cfg->host, cfg->port,  cfg->user, cfg->password, cfg->database, seconds,
		options,   "persistd", "UTF8",	  "1",		 "30",		NULL,
	};

	pc->cfg = cfg;
	pc->pg = PQconnectdbParams(keys, values, 0);
	if (!pc->pg)
		return set_error(pc, -ENOMEM, "%s", "out of memory");
	if (PQstatus(pc->pg) == CONNECTION_OK) {
		(void)PQsetNoticeProcessor(pc->pg, ignore_notice, NULL);
		return 0;
	}
	msg = PQerrorMessage(pc->pg);
	/* a refused login or a missing database is an unusable store too (503), not a
	 * client error; the text says which */
	r = strstr(msg, "timeout expired") ? -ETIMEDOUT : -ECONNREFUSED;
	(void)set_error(pc, r, "%s", msg);
	PQfinish(pc->pg);
	pc->pg = NULL;
	return r;
}

static void pg_disconnect(struct conn *c)
{
	struct pg_conn *pc = pg_conn_cast(c);

	PQfinish(pc->pg);
	pc->pg = NULL;
}

/* PQexec (params NULL, n -1) or PQexecParams with a deadline: a store that takes the bytes and
 * never answers fails with -ETIMEDOUT after the pool's io_timeout (30 s outside a pool) and the
 * connection is given up, instead of a thread blocked until TCP gives up. As PQexec, the result
 * is the first failed one or else the last; NULL with *ret_r set when there is none. */
static PGresult *exec_bounded(struct pg_conn *pc, const char *sql, int n, const char *const *params,
			      int *ret_r)
{
	usec_t timeout = pc->base.pool ? pool_io_timeout(pc->base.pool) : 30 * USEC_PER_SEC;
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + timeout;
	PGresult *keep = NULL, *res;
	int ok;

	*ret_r = 0;
	ok = n < 0 ? PQsendQuery(pc->pg, sql)
		   : PQsendQueryParams(pc->pg, sql, n, NULL, params, NULL, NULL, 0);
	if (!ok)
		return NULL;
	for (;;) {
		while (PQisBusy(pc->pg)) {
			struct pollfd pfd = { .fd = PQsocket(pc->pg), .events = POLLIN };
			usec_t now = now_usec(CLOCK_MONOTONIC);
			int pr;
			if (now >= deadline) {
				PQclear(keep);
				pc->base.broken = true; /* the statement is still in flight */
				*ret_r = set_error(pc, -ETIMEDOUT,
						   "no answer from the store within %llu ms",
						   (unsigned long long)(timeout / USEC_PER_MSEC));
				return NULL;
			}
			pr = poll(&pfd, 1,
				  (int)MIN((deadline - now + 999) / 1000, (usec_t)INT_MAX));
			if ((pr < 0 && errno != EINTR) || (pr > 0 && PQconsumeInput(pc->pg) != 1)) {
				PQclear(keep);
				return NULL;
			}
		}
		res = PQgetResult(pc->pg);
		if (!res)
			return keep;
		if (keep && (PQresultStatus(keep) == PGRES_FATAL_ERROR ||
			     PQresultStatus(keep) == PGRES_NONFATAL_ERROR)) {
			PQclear(res); /* the first failure is the answer */
			continue;
		}
		PQclear(keep);
		keep = res;
	}
}

static int exec_simple(struct pg_conn *pc, const char *sql)
{
	int r;
	_cleanup_(PQclearp) PGresult *res = exec_bounded(pc, sql, -1, NULL, &r);

	if (r < 0)
		return r;
	if (!res ||
	    (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK))
		return result_error(pc, NULL, res);
	return 0;
}

static int pg_ping(struct conn *c, usec_t timeout)
{
	(void)timeout;
	return exec_simple(pg_conn_cast(c), "SELECT 1");
}

static int pg_reset(struct conn *c)
{
	struct pg_conn *pc = pg_conn_cast(c);

	if (PQstatus(pc->pg) != CONNECTION_OK) {
		c->broken = true;
		return -ECONNRESET;
	}
	if (PQtransactionStatus(pc->pg) != PQTRANS_IDLE) {
		int r = exec_simple(pc, "ROLLBACK");
		if (r < 0)
			return r;
	}
	pc->err[0] = '\0';
	return 0;
}

static int pg_begin(struct conn *c)
{
	return exec_simple(pg_conn_cast(c), "BEGIN");
}

static int pg_commit(struct conn *c)
{
	return exec_simple(pg_conn_cast(c), "COMMIT");
}

static int pg_rollback(struct conn *c)
{
	return exec_simple(pg_conn_cast(c), "ROLLBACK");
}

static int pg_apply_sql(struct conn *c, const char *script)
{
	struct pg_conn *pc = pg_conn_cast(c);
	int r;

	r = exec_simple(pc, "BEGIN");
	if (r < 0)
		return r;
	r = exec_simple(pc, script);
	if (r < 0) {
		char saved[sizeof(pc->err)];
		memcpy(saved, pc->err, sizeof(saved));
		(void)exec_simple(pc, "ROLLBACK");
		memcpy(pc->err, saved, sizeof(saved));
		return r;
	}
	return exec_simple(pc, "COMMIT");
}

static const char *pg_last_error(const struct conn *c)
{
	assert(c->ops == &postgresql_ops);
	return ((const struct pg_conn *)c)->err;
}

/* ---- SQL text ------------------------------------------------------------------------------- */

/* NULLs first ascending as in MySQL, so both stores page alike */
static const struct sql_dialect pg_sql = {
	.quote = '"',
	.like = "::text LIKE ",
	.asc = " ASC NULLS FIRST",
	.desc = " DESC NULLS LAST",
};

static int add_ident(struct buf *b, const char *name)
{
	return sql_add_ident(b, &pg_sql, name);
}

static int add_table(struct buf *b, const struct pg_conn *pc, const struct entity *e)
{
	const char *schema = e->schema && *e->schema ? e->schema : pc->cfg->schema;
	int r = 0;

	/* unquoted, as in script.sql and the generated client */
	if (schema && plain_identifier(schema))
		r = buf_addf(b, "%s.", schema);
	return r < 0 ? r : add_ident(b, entity_table_name(e));
}

/* Text parameters, owned. */
struct params {
	char **v;
	size_t n, alloc;
};

static void params_release(struct params *p)
{
	for (size_t i = 0; i < p->n; i++)
		mem_free(p->v[i]);
	mem_free(p->v);
	*p = (struct params){ 0 };
}

/* Append the parameter and its placeholder $n. */
static int params_add(struct params *p, struct buf *sql, const struct conn_column *col,
		      const json_t *v)
{
	char num[64];
	char *text = NULL;

	if (GROW(p->v, p->alloc, p->n + 1) < 0)
		return -ENOMEM;
	if (!v || json_is_null(v)) {
		text = NULL;
	} else if (json_is_integer(v)) {
		(void)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		text = mem_strdup(num);
	} else if (json_is_real(v)) {
		(void)snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		text = mem_strdup(num);
	} else if (json_is_boolean(v)) {
		text = mem_strdup(json_is_true(v) ? "true" : "false");
	} else if (json_is_string(v) && col && col->type == CONN_TYPE_BYTES) {
		_cleanup_free_ unsigned char *bytes = NULL;
		size_t n = 0;
		int r = conn_base64_decode(json_string_value(v), &bytes, &n);
		if (r < 0)
			return r;
		text = mem_alloc(3 + n * 2);
		if (text) {
			text[0] = '\\';
			text[1] = 'x';
			for (size_t i = 0; i < n; i++)
				(void)snprintf(text + 2 + i * 2, 3, "%02x", bytes[i]);
			text[2 + n * 2] = '\0';
		}
	} else if (json_is_string(v) && col && col->type == CONN_TYPE_UTC) {
		/* TIMESTAMP without time zone: the UTC clock reading */
		text = mem_strndup(json_string_value(v), json_string_length(v) - 1);
	} else if (json_is_string(v)) {
		text = mem_strdup(json_string_value(v));
	} else {
		_cleanup_free_ char *dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		text = dump ? mem_strdup(dump) : NULL;
	}
	if (v && !json_is_null(v) && !text)
		return -ENOMEM;
	p->v[p->n++] = text;
	return buf_addf(sql, "$%zu", p->n);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One result cell as the canonical JSON value of its column. */
static int cell_value(const struct conn_column *col, const char *s, json_t **ret)
{
	json_t *v = NULL;
	char text[256];

	switch (col->type) {
	case CONN_TYPE_INT: {
		int64_t x;
		if (safe_atoi64(s, &x) < 0)
			return -EIO;
		v = json_integer(x);
		break;
	}
	case CONN_TYPE_FLOAT:
		v = json_real(strtod(s, NULL));
		break;
	case CONN_TYPE_DECIMAL:
		if (conn_decimal_canonical(s, text, sizeof(text)) < 0)
			return -EIO;
		v = json_string(text);
		break;
	case CONN_TYPE_BOOLEAN:
		v = json_boolean(s[0] == 't');
		break;
	case CONN_TYPE_BYTES: {
		size_t n = strlen(s);
		_cleanup_free_ unsigned char *bytes = NULL;
		_cleanup_free_ char *b64 = NULL;
		if (n < 2 || s[0] != '\\' || s[1] != 'x' || n % 2)
			return -EIO;
		bytes = mem_alloc(n / 2 + 1);
		if (!bytes)
			return -ENOMEM;
		for (size_t i = 2; i < n; i += 2) {
			int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
			if (hi < 0 || lo < 0)
				return -EIO;
			bytes[i / 2 - 1] = (unsigned char)(hi << 4 | lo);
		}
		if (conn_base64_encode(bytes, n / 2 - 1, &b64) < 0)
			return -ENOMEM;
		v = json_string(b64);
		break;
	}
	case CONN_TYPE_CIVIL:
	case CONN_TYPE_UTC: {
		size_t n = strlen(s);
		if (n + 2 > sizeof(text))
			return -EIO;
		memcpy(text, s, n + 1);
		if (n > 10 && text[10] == ' ')
			text[10] = 'T';
		if (col->type == CONN_TYPE_UTC) {
			text[n] = 'Z';
			text[n + 1] = '\0';
		}
		v = json_string(text);
		break;
	}
	case CONN_TYPE_OTHER: {
		json_error_t je;
		v = json_loads(s, JSON_DECODE_ANY, &je);
		if (!v)
			v = json_string(s);
		break;
	}
	default:
		v = json_string(s);
		break;
	}
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
}

static int exec_params(struct pg_conn *pc, const struct entity *e, const struct buf *sql,
		       const struct params *p, ExecStatusType want, PGresult **ret)
{
	int r0;
	PGresult *res = exec_bounded(pc, sql->buf, (int)p->n, (const char *const *)p->v, &r0);

	if (r0 < 0)
		return r0;
	if (!res || PQresultStatus(res) != want) {
		int r = result_error(pc, e, res);
		PQclear(res);
		return r;
	}
	*ret = res;
	return 0;
}

static int pg_param(void *params, struct buf *sql, const struct conn_column *col, const json_t *v)
{
	return params_add(params, sql, col, v);
}

/* " WHERE "k1" = $1 AND ..." for a key object */
static int add_key_where(struct buf *sql, struct params *p, const struct conn_columns *cols,
			 const struct entity *e, const json_t *key)
{
	return sql_add_key_where(sql, &pg_sql, cols, e, key, pg_param, p);
}

static int key_from_row(const struct conn_columns *cols, const struct entity *e,
			const PGresult *res, int row, json_t **ret)
{
	json_auto_t *key = json_object();

	if (!key)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_keys; i++) {
		const struct conn_column *c = conn_columns_find(cols, e->keys[i]->bare_name);
		json_t *v = NULL;
		int r;
		if (!c)
			return -EINVAL;
		r = cell_value(c, PQgetvalue(res, row, (int)i), &v);
		if (r < 0)
			return r;
		if (json_object_set_new(key, c->name, v) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(key);
	return 0;
}

/* ---- operations ----------------------------------------------------------------------------- */

static int pg_create(struct conn *c, const struct entity *e, const json_t *rec, json_t **ret_key)
{
	struct pg_conn *pc = pg_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_buf_ struct buf sql = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_buf_ struct buf values = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(params_release) struct params p = { 0 };
	_cleanup_(PQclearp) PGresult *res = NULL;
	json_auto_t *in = NULL;
	bool first = true;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_record_check(&cols, e, rec, &in, pc->err, sizeof(pc->err));
	if (r < 0)
		return r;
	r = buf_adds(&sql, "INSERT INTO ");
	if (r >= 0)
		r = add_table(&sql, pc, e);
	/* metadata order; a generated key left out takes the sequence's value */
	for (size_t i = 0; r >= 0 && i < cols.n; i++) {
		const json_t *v = json_object_get(in, cols.v[i].name);
		if (!v)
			continue;
		r = buf_adds(&sql, first ? " (" : ", ");
		if (r >= 0)
			r = add_ident(&sql, cols.v[i].column);
		if (r >= 0 && !first)
			r = buf_adds(&values, ", ");
		if (r >= 0)
			r = params_add(&p, &values, &cols.v[i], v);
		first = false;
	}
	if (r >= 0)
		r = first ? buf_adds(&sql, " DEFAULT VALUES")
			  : buf_addf(&sql, ") VALUES (%s)", values.buf);
	if (r >= 0)
		r = buf_adds(&sql, " RETURNING ");
	for (size_t i = 0; r >= 0 && i < e->n_keys; i++) {
		if (i)
			r = buf_adds(&sql, ", ");
		if (r >= 0)
			r = add_ident(&sql, field_column_name(e->keys[i]));
	}
	if (r < 0)
		return r;
	r = exec_params(pc, e, &sql, &p, PGRES_TUPLES_OK, &res);
	if (r < 0)
		return r;
	return key_from_row(&cols, e, res, 0, ret_key);
}

/* The SELECT of the plan's fetched columns into sql and p; key (may be NULL) narrows it to
 * one record. */
static int select_sql(struct pg_conn *pc, const struct query_plan *plan, const json_t *key,
		      struct buf *sql, struct params *p)
{
	const struct entity *e = plan->e;
	bool first = true;
	int r;

	r = buf_adds(sql, "SELECT ");
	for (size_t i = 0; r >= 0 && i < plan->cols.n; i++) {
		if (!plan->fetch[i])
			continue;
		if (!first)
			r = buf_adds(sql, ", ");
		if (r >= 0)
			r = add_ident(sql, plan->cols.v[i].column);
		first = false;
	}
	if (r >= 0)
		r = buf_adds(sql, " FROM ");
	if (r >= 0)
		r = add_table(sql, pc, e);
	return r < 0 ? r : sql_add_select_tail(sql, &pg_sql, plan, key, pg_param, p);
}

/* The rows of a SELECT made by select_sql() as records (*ret_rows new). */
static int rows_from_result(struct pg_conn *pc, const struct query_plan *plan, const PGresult *res,
			    json_t **ret_rows)
{
	json_auto_t *rows = json_array();
	int r;

	if (!rows)
		return -ENOMEM;
	for (int row = 0; row < PQntuples(res); row++) {
		json_t *obj = json_object();
		int col = 0;
		if (!obj || json_array_append_new(rows, obj) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < plan->cols.n; i++) {
			json_t *v = NULL;
			if (!plan->fetch[i])
				continue;
			if (PQgetisnull(res, row, col))
				v = json_null();
			else {
				r = cell_value(&plan->cols.v[i], PQgetvalue(res, row, col), &v);
				if (r < 0)
					return set_error(pc, r, "cannot read column '%s'",
							 plan->cols.v[i].column);
			}
			col++;
			if (json_object_set_new(obj, plan->cols.v[i].name, v) < 0)
				return -ENOMEM;
		}
	}
	*ret_rows = TAKE_PTR(rows);
	return 0;
}

/* SELECT the plan's fetched columns; key (may be NULL) narrows to one record. */
static int run_select(struct pg_conn *pc, const struct query_plan *plan, const json_t *key,
		      json_t **ret_rows)
{
	_cleanup_buf_ struct buf sql = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(params_release) struct params p = { 0 };
	_cleanup_(PQclearp) PGresult *res = NULL;
	int r;

	r = select_sql(pc, plan, key, &sql, &p);
	if (r >= 0)
		r = exec_params(pc, plan->e, &sql, &p, PGRES_TUPLES_OK, &res);
	if (r < 0)
		return r;
	return rows_from_result(pc, plan, res, ret_rows);
}

/* The plan of a whole-record read and its key, checked (*plan and *ret_key to release). */
static int read_plan(struct pg_conn *pc, const struct entity *e, const json_t *key,
		     struct query_plan *plan, json_t **ret_key)
{
	int r = query_plan_build(e, NULL, plan, pc->err, sizeof(pc->err));

	return r < 0 ? r : conn_key_check(&plan->cols, e, key, ret_key, pc->err, sizeof(pc->err));
}

static int pg_read(struct conn *c, const struct entity *e, const json_t *key, json_t **ret_rec)
{
	struct pg_conn *pc = pg_conn_cast(c);
	_cleanup_(query_plan_release) struct query_plan plan = { 0 };
	json_auto_t *k = NULL, *rows = NULL;
	int r;

	r = read_plan(pc, e, key, &plan, &k);
	if (r < 0)
		return r;
	r = run_select(pc, &plan, k, &rows);
	if (r < 0)
		return r;
	if (json_array_size(rows) == 0) {
		conn_not_found_text(e, k, pc->err, sizeof(pc->err));
		return -ENOENT;
	}
	*ret_rec = json_incref(json_array_get(rows, 0));
	return 0;
}

static int pg_update(struct conn *c, const struct entity *e, const json_t *key, const json_t *patch)
{
	struct pg_conn *pc = pg_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_buf_ struct buf sql = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(params_release) struct params p = { 0 };
	_cleanup_(PQclearp) PGresult *res = NULL;
	json_auto_t *k = NULL, *in = NULL;
	bool first = true;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, pc->err, sizeof(pc->err));
	if (r < 0)
		return r;
	r = conn_patch_check(&cols, e, patch, &in, pc->err, sizeof(pc->err));
	if (r < 0)
		return r;
	if (json_object_size(in) == 0) {
		r = buf_adds(&sql, "SELECT 1 FROM ");
	} else {
		r = buf_adds(&sql, "UPDATE ");
	}
	if (r >= 0)
		r = add_table(&sql, pc, e);
	for (size_t i = 0; r >= 0 && i < cols.n; i++) {
		const json_t *v = json_object_get(in, cols.v[i].name);
		if (!v)
			continue;
		r = buf_adds(&sql, first ? " SET " : ", ");
		if (r >= 0)
			r = add_ident(&sql, cols.v[i].column);
		if (r >= 0)
			r = buf_adds(&sql, " = ");
		if (r >= 0)
			r = params_add(&p, &sql, &cols.v[i], v);
		first = false;
	}
	if (r >= 0)
		r = add_key_where(&sql, &p, &cols, e, k);
	if (r < 0)
		return r;
	r = exec_params(pc, e, &sql, &p, first ? PGRES_TUPLES_OK : PGRES_COMMAND_OK, &res);
	if (r < 0)
		return r;
	if (first ? PQntuples(res) == 0 : streq(PQcmdTuples(res), "0")) {
		conn_not_found_text(e, k, pc->err, sizeof(pc->err));
		return -ENOENT;
	}
	return 0;
}

static int pg_remove(struct conn *c, const struct entity *e, const json_t *key)
{
	struct pg_conn *pc = pg_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_buf_ struct buf sql = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(params_release) struct params p = { 0 };
	_cleanup_(PQclearp) PGresult *res = NULL;
	json_auto_t *k = NULL;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, pc->err, sizeof(pc->err));
	if (r < 0)
		return r;
	r = buf_adds(&sql, "DELETE FROM ");
	if (r >= 0)
		r = add_table(&sql, pc, e);
	if (r >= 0)
		r = add_key_where(&sql, &p, &cols, e, k);
	if (r < 0)
		return r;
	r = exec_params(pc, e, &sql, &p, PGRES_COMMAND_OK, &res);
	if (r < 0)
		return r;
	if (streq(PQcmdTuples(res), "0")) {
		conn_not_found_text(e, k, pc->err, sizeof(pc->err));
		return -ENOENT;
	}
	return 0;
}

static int pg_query(struct conn *c, const struct entity *e, const struct query *q,
		    json_t **ret_rows)
{
	struct pg_conn *pc = pg_conn_cast(c);
	_cleanup_(query_plan_release) struct query_plan plan = { 0 };
	json_auto_t *rows = NULL;
	int r;

	r = query_plan_build(e, q, &plan, pc->err, sizeof(pc->err));
	if (r < 0)
		return r;
	r = run_select(pc, &plan, NULL, &rows);
	if (r < 0)
		return r;
	r = query_plan_finish_rows(c, &plan, rows);
	if (r < 0)
		return r;
	*ret_rows = TAKE_PTR(rows);
	return 0;
}

/* ---- introspection (persist pull) ------------------------------------------------------------ */

/* The five row sets of introspection.md §2.2, each read for the whole schema in one query
 * (the schema is the only parameter). */
static const char pg_tables_sql[] =
	"SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE c.relkind = 'r' AND n.nspname = $1 ORDER BY c.relname";

static const char pg_columns_sql[] =
	"SELECT c.table_name, c.column_name, upper(c.udt_name::text), "
	"upper(format_type(a.atttypid, a.atttypmod)), c.character_maximum_length, "
	"c.numeric_precision, c.numeric_scale, pg_get_expr(d.adbin, d.adrelid), c.is_nullable, "
	"EXISTS (SELECT 1 FROM pg_constraint pk WHERE pk.conrelid = cl.oid AND pk.contype = 'p' "
	"AND a.attnum = ANY (pk.conkey)), "
	"pg_get_constraintdef(ck.oid) "
	"FROM information_schema.columns c "
	"JOIN pg_namespace n ON n.nspname = c.table_schema "
	"JOIN pg_class cl ON cl.relnamespace = n.oid AND cl.relname = c.table_name "
	"AND cl.reltype > 0 "
	"JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attname = c.column_name "
	"LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	"LEFT JOIN pg_constraint ck ON ck.conrelid = cl.oid AND ck.contype = 'c' "
	"AND a.attnum = ANY (ck.conkey) "
	"WHERE c.table_schema = $1 ORDER BY c.table_name, c.ordinal_position, ck.oid";

static const char pg_fks_sql[] =
	"SELECT t.relname, con.conname, a.attname, rt.relname, ra.attname "
	"FROM pg_constraint con "
	"JOIN pg_class t ON t.oid = con.conrelid "
	"JOIN pg_namespace n ON n.oid = t.relnamespace "
	"JOIN pg_class rt ON rt.oid = con.confrelid "
	"CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(col, rcol, ord) "
	"JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.col "
	"JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.rcol "
	"WHERE con.contype = 'f' AND n.nspname = $1 ORDER BY t.relname, con.oid, k.ord";

static const char pg_indexes_sql[] =
	"SELECT t.relname, i.relname, a.attname, ix.indisunique "
	"FROM pg_index ix "
	"JOIN pg_class t ON t.oid = ix.indrelid "
	"JOIN pg_class i ON i.oid = ix.indexrelid "
	"JOIN pg_namespace n ON n.oid = t.relnamespace "
	"CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
	"LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
	"WHERE n.nspname = $1 AND NOT ix.indisprimary AND ix.indpred IS NULL "
	"AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = ix.indexrelid "
	"AND x.contype = 'x') "
	"ORDER BY t.relname, i.relname, k.ord";

static const char pg_enums_sql[] =
	"SELECT t.relname, a.attname, pg_get_constraintdef(con.oid) "
	"FROM pg_constraint con "
	"JOIN pg_class t ON t.oid = con.conrelid "
	"JOIN pg_namespace n ON n.oid = t.relnamespace "
	"CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(col, ord) "
	"JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.col "
	"WHERE con.contype = 'c' AND n.nspname = $1 ORDER BY con.oid, k.ord";

static const char *pg_cell(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int64_t pg_cell_int(const PGresult *res, int row, int col)
{
	int64_t v;

	if (PQgetisnull(res, row, col) || safe_atoi64(PQgetvalue(res, row, col), &v) < 0)
		return DB_NULL;
	return v;
}

/* Run one catalog query; a failure keeps upstream's prefix in the error text. */
static int pg_catalog_query(struct pg_conn *pc, const char *sql, const char *schema,
			    const char *what, PGresult **ret)
{
	const char *params[1] = { schema };
	int r;
	PGresult *res = exec_bounded(pc, sql, 1, params, &r);

	if (r < 0)
		return r;
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = result_error(pc, NULL, res);
		char msg[sizeof(pc->err)];
		memcpy(msg, pc->err, sizeof(msg));
		(void)set_error(pc, r, "%s%s", what, msg);
		PQclear(res);
		return r;
	}
	*ret = res;
	return 0;
}

static int pg_introspect(struct conn *c, struct db_catalog **ret)
{
	struct pg_conn *pc = pg_conn_cast(c);
	_cleanup_(db_catalog_freep) struct db_catalog *cat = NULL;
	const char *schema = pc->cfg->schema ? pc->cfg->schema : "public";
	PGresult *res = NULL;
	int r;

	r = db_catalog_new(DATASTORE_POSTGRESQL, &cat);
	if (r < 0)
		return r;

	r = pg_catalog_query(pc, pg_tables_sql, schema,
			     "Error while retrieving tables for database: ", &res);
	for (int i = 0; r >= 0 && i < PQntuples(res); i++)
		r = db_catalog_add_table(cat, pg_cell(res, i, 0));
	PQclear(TAKE_PTR(res));
	if (r < 0)
		return r;

	r = pg_catalog_query(pc, pg_enums_sql, schema,
			     "Error while retrieving enums for database: ", &res);
	for (int i = 0; r >= 0 && i < PQntuples(res); i++)
		r = db_catalog_add_enum(cat, pg_cell(res, i, 0), pg_cell(res, i, 1),
					pg_cell(res, i, 2));
	PQclear(TAKE_PTR(res));
	if (r < 0)
		return r;

	r = pg_catalog_query(pc, pg_columns_sql, schema,
			     "Error while retrieving columns for table: ", &res);
	for (int i = 0; r >= 0 && i < PQntuples(res); i++) {
		const char *def = pg_cell(res, i, 7);
		struct db_column col = {
			.name = pg_cell(res, i, 1),
			.data_type = pg_cell(res, i, 2),
			.full_data_type = pg_cell(res, i, 3),
			.char_max_length = pg_cell_int(res, i, 4),
			.numeric_precision = pg_cell_int(res, i, 5),
			.numeric_scale = pg_cell_int(res, i, 6),
			.column_default = def,
			.nullable = streq_ptr(pg_cell(res, i, 8), "YES"),
			.key = streq_ptr(pg_cell(res, i, 9), "t"),
			.generated = def && startswith(def, "nextval("),
			.check_constraint = pg_cell(res, i, 10),
		};
		r = db_catalog_add_column(cat, pg_cell(res, i, 0), &col);
	}
	PQclear(TAKE_PTR(res));
	if (r < 0)
		return r;

	r = pg_catalog_query(pc, pg_fks_sql, schema,
			     "Error while retrieving foreign keys for table: ", &res);
	for (int i = 0; r >= 0 && i < PQntuples(res); i++)
		r = db_catalog_add_fk(cat, pg_cell(res, i, 0), pg_cell(res, i, 1),
				      pg_cell(res, i, 2), pg_cell(res, i, 3), pg_cell(res, i, 4));
	PQclear(TAKE_PTR(res));
	if (r < 0)
		return r;

	r = pg_catalog_query(pc, pg_indexes_sql, schema,
			     "error while retrieving indexes for table: ", &res);
	for (int i = 0; r >= 0 && i < PQntuples(res); i++)
		r = db_catalog_add_index(cat, pg_cell(res, i, 0), pg_cell(res, i, 1),
					 pg_cell(res, i, 2), streq_ptr(pg_cell(res, i, 3), "t"));
	PQclear(TAKE_PTR(res));
	if (r < 0)
		return r;

	*ret = TAKE_PTR(cat);
	return 0;
}

/* ---- pipes ---------------------------------------------------------------------------------- */

/* A read in flight on a pipe: one SELECT by key and its Sync, in libpq's pipeline mode. */
struct pg_pipe_read {
	void *token;
	struct query_plan plan; /* every stored field; decodes the row */
	json_t *key;
	bool answered; /* its result came; its Sync is next */
	int r;
	json_t *rec;
	char text[sizeof(((struct pg_conn *)0)->err)];
};

struct pg_pipe {
	struct conn_pipe base;
	struct pg_conn conn; /* connected as a pooled one, then non-blocking, in pipeline mode */
	struct fifo q; /* struct pg_pipe_read, in the order of the results */
};

static struct pg_pipe *pg_pipe_cast(struct conn_pipe *p)
{
	assert(p->ops == &postgresql_ops);
	return container_of(p, struct pg_pipe, base);
}

static void pg_pipe_read_release(struct pg_pipe_read *rd)
{
	query_plan_release(&rd->plan);
	json_decref(rd->key);
	json_decref(rd->rec);
}

static int pg_pipe_open(const void *cfg, usec_t timeout, struct conn_pipe **ret, char *err,
			size_t err_size)
{
	struct pg_pipe *p = new0(struct pg_pipe, 1);
	int r;

	if (!p)
		return -ENOMEM;
	p->base.ops = &postgresql_ops;
	p->conn.base.ops = &postgresql_ops;
	p->q = (struct fifo)FIFO_INIT(struct pg_pipe_read);
	r = pg_connect(&p->conn.base, cfg, timeout);
	if (r < 0) {
		(void)snprintf(err, err_size, "%s", p->conn.err);
		mem_free(p);
		return r;
	}
	if (PQsetnonblocking(p->conn.pg, 1) != 0 || PQenterPipelineMode(p->conn.pg) != 1) {
		(void)snprintf(err, err_size, "%s", PQerrorMessage(p->conn.pg));
		pg_disconnect(&p->conn.base);
		mem_free(p);
		return -EIO;
	}
	*ret = &p->base;
	return 0;
}

static int pg_pipe_fd(const struct conn_pipe *pb)
{
	const struct pg_pipe *p = (const struct pg_pipe *)(const void *)pb; /* base first */

	return PQsocket(p->conn.pg);
}

static int pg_pipe_read(struct conn_pipe *pb, const struct entity *e, const json_t *key,
			void *token)
{
	struct pg_pipe *p = pg_pipe_cast(pb);
	struct pg_conn *pc = &p->conn;
	_cleanup_(query_plan_release) struct query_plan plan = { 0 };
	_cleanup_buf_ struct buf sql = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(params_release) struct params params = { 0 };
	struct pg_pipe_read rd;
	json_auto_t *k = NULL;
	int r;

	r = read_plan(pc, e, key, &plan, &k);
	if (r < 0)
		return r;
	r = select_sql(pc, &plan, k, &sql, &params);
	if (r < 0)
		return r;
	/* room first: once the query is sent, its entry must go in */
	if (fifo_reserve(&p->q, 1) < 0)
		return -ENOMEM;
	/* a Sync after each read: a failing one does not abort the reads behind it */
	if (PQsendQueryParams(pc->pg, sql.buf, (int)params.n, NULL, (const char *const *)params.v,
			      NULL, NULL, 0) != 1 ||
	    PQpipelineSync(pc->pg) != 1) {
		pc->base.broken = true;
		return set_error(pc, -ECONNRESET, "%s", PQerrorMessage(pc->pg));
	}
	rd = (struct pg_pipe_read){ .token = token, .plan = plan, .key = TAKE_PTR(k) };
	plan = (struct query_plan){ 0 };
	return fifo_push(&p->q, &rd);
}

static int pg_pipe_flush(struct conn_pipe *pb, conn_pipe_done_fn *done, void *userdata)
{
	struct pg_pipe *p = pg_pipe_cast(pb);
	int r = PQflush(p->conn.pg);

	(void)done; /* answers come through pipe_input */
	(void)userdata;
	if (r < 0) {
		p->conn.base.broken = true;
		return set_error(&p->conn, -ECONNRESET, "%s", PQerrorMessage(p->conn.pg));
	}
	return r;
}

/* The result of rd's SELECT (not its Sync) into rd. */
static void pg_pipe_answer(struct pg_pipe *p, struct pg_pipe_read *rd, const PGresult *res)
{
	struct pg_conn *pc = &p->conn;
	json_auto_t *rows = NULL;
	const struct entity *e = rd->plan.e;

	rd->answered = true;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rd->r = result_error(pc, e, res);
	} else {
		rd->r = rows_from_result(pc, &rd->plan, res, &rows);
		if (rd->r >= 0 && json_array_size(rows) == 0) {
			conn_not_found_text(e, rd->key, pc->err, sizeof(pc->err));
			rd->r = -ENOENT;
		} else if (rd->r >= 0) {
			rd->rec = json_incref(json_array_get(rows, 0));
		}
	}
	if (rd->r < 0)
		(void)snprintf(rd->text, sizeof(rd->text), "%s", pc->err);
}

static int pg_pipe_input(struct conn_pipe *pb, conn_pipe_done_fn *done, void *userdata)
{
	struct pg_pipe *p = pg_pipe_cast(pb);
	struct pg_conn *pc = &p->conn;
	bool ended = false; /* the last PQgetResult() ended a query's results */

	if (PQconsumeInput(pc->pg) != 1) {
		pc->base.broken = true;
		return set_error(pc, -ECONNRESET, "%s", PQerrorMessage(pc->pg));
	}
	while (p->q.n > 0 && !PQisBusy(pc->pg)) {
		_cleanup_(PQclearp) PGresult *res = PQgetResult(pc->pg);
		struct pg_pipe_read *rd = fifo_front(&p->q);

		if (!res) {
			if (ended)
				return 0; /* nothing more has arrived */
			ended = true;
			continue;
		}
		ended = false;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			struct pg_pipe_read done_rd;
			(void)fifo_pop(&p->q, &done_rd);
			if (!done_rd.answered)
				done_rd.r = set_error(pc, -EIO, "%s", "no result before the Sync");
			done(done_rd.token, done_rd.r < 0 ? done_rd.r : 0, TAKE_PTR(done_rd.rec),
			     done_rd.r < 0 ? (done_rd.answered ? done_rd.text : pc->err) : NULL,
			     userdata);
			pg_pipe_read_release(&done_rd);
			continue;
		}
		if (!rd->answered)
			pg_pipe_answer(p, rd, res);
		if (pc->base.broken)
			return -ECONNRESET;
	}
	return 0;
}

static void pg_pipe_close(struct conn_pipe *pb, conn_pipe_done_fn *done, void *userdata)
{
	struct pg_pipe *p = pg_pipe_cast(pb);
	struct pg_pipe_read rd;

	while (fifo_pop(&p->q, &rd) == 0) {
		done(rd.token, -ECONNRESET, NULL, "the connection was closed", userdata);
		pg_pipe_read_release(&rd);
	}
	pg_disconnect(&p->conn.base);
	fifo_release(&p->q);
	mem_free(p);
}

const struct connector_ops postgresql_ops = {
	.name = "postgresql",
	.caps = CONN_CAP_TRANSACTIONS | CONN_CAP_SQL | CONN_CAP_FILTER | CONN_CAP_INTROSPECT,
	.conn_size = sizeof(struct pg_conn),
	.config_parse = pg_config_parse,
	.config_free = pg_config_free,
	.connect = pg_connect,
	.disconnect = pg_disconnect,
	.ping = pg_ping,
	.reset = pg_reset,
	.create = pg_create,
	.read = pg_read,
	.update = pg_update,
	.remove = pg_remove,
	.query = pg_query,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.introspect = pg_introspect,
	.apply_sql = pg_apply_sql,
	.last_error = pg_last_error,
	.pipe_open = pg_pipe_open,
	.pipe_fd = pg_pipe_fd,
	.pipe_read = pg_pipe_read,
	.pipe_flush = pg_pipe_flush,
	.pipe_input = pg_pipe_input,
	.pipe_close = pg_pipe_close,
};
