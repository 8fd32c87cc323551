/* MySQL and MariaDB through libmariadb: the tables and columns of the model's generated
 * script.sql (models/gen.h), prepared statements with bound parameters only, and the encodings
 * the generated Ballerina client reads and writes (runtime.md §4.5). Sessions run with
 * time_zone '+00:00' so time:Utc values in TIMESTAMP columns are UTC instants. Deletes name no
 * alias (MariaDB 10.x rejects DELETE ... AS, runtime.md §4.2). Connections use CLIENT_FOUND_ROWS,
 * so an update that changes nothing still counts its row. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
/* mysql.h declares its own list_add() and FIELD_TYPE_* aliases, which collide with base/list.h
 * and the model's field kinds: rename the one and drop the others. */
#define list_add mariadb_list_add
#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#undef list_add
#undef FIELD_TYPE_DECIMAL
#undef FIELD_TYPE_FLOAT
#undef FIELD_TYPE_INT
#undef FIELD_TYPE_TIME
#undef FIELD_TYPE_ENUM
#undef FIELD_TYPE_STRING

#include "base/alloc.h"
#include "base/hash.h"
#include "base/buf.h"
#include "base/macro.h"
#include "base/strutil.h"
#include "connectors/connector.h"
#include "models/ast.h"
#include "models/introspect.h"
#include "models/project-config.h"

/* Reads and writes that take longer fail with -ETIMEDOUT. */
#define MY_IO_TIMEOUT_SEC 30

struct my_config {
	char *host, *user, *password, *database;
	unsigned port;
};

/* Prepared statements kept per connection, by SQL text: the statements of a model repeat
 * (get-by-key, insert, update of each entity), and preparing costs a round trip each time. */
#define MY_STMT_CACHE 32

struct my_cached_stmt {
	char *sql; /* NULL: a free slot */
	uint64_t hash;
	MYSQL_STMT *st;
	uint64_t used; /* last use, for eviction */
};

struct my_conn {
	struct conn base;
	MYSQL *my;
	const char *database; /* borrowed from the config */
	bool in_tx;
	struct my_cached_stmt cache[MY_STMT_CACHE];
	uint64_t uses;
	char err[1024];
};

static struct my_conn *my_conn_cast(struct conn *c)
{
	assert(c->ops == &mysql_ops);
	return (struct my_conn *)c;
}

static int my_global_init(void)
{
	return mysql_library_init(0, NULL, NULL) ? -EIO : 0;
}

static void my_global_cleanup(void)
{
	mysql_library_end();
}

static void my_config_free(void *p)
{
	struct my_config *cfg = p;

	if (!cfg)
		return;
	mem_free(cfg->host);
	mem_free(cfg->user);
	if (cfg->password)
		explicit_bzero(cfg->password, strlen(cfg->password));
	mem_free(cfg->password);
	mem_free(cfg->database);
	mem_free(cfg);
}

static int my_config_parse(const struct connection_settings *cs, void **ret_cfg,
			   struct pd_error *reterr)
{
	struct my_config *cfg = new0(struct my_config, 1);

	if (!cfg)
		return -ENOMEM;
	if (cs && (cs->port < 0 || cs->port > 65535)) {
		pd_error_set(reterr, NULL, 0, 0, 0, "invalid port %lld", (long long)cs->port);
		my_config_free(cfg);
		return -EINVAL;
	}
	/* the generated Config.toml defaults (runtime.md §8) */
	cfg->port = cs && cs->port > 0 ? (unsigned)cs->port : 3306;
	cfg->host = mem_strdup(cs && cs->host ? cs->host : "localhost");
	cfg->user = mem_strdup(cs && cs->user ? cs->user : "root");
	cfg->password = mem_strdup(cs && cs->password ? cs->password : "");
	cfg->database = mem_strdup(cs && cs->database ? cs->database : "");
	if (!cfg->host || !cfg->user || !cfg->password || !cfg->database) {
		my_config_free(cfg);
		return -ENOMEM;
	}
	*ret_cfg = cfg;
	return 0;
}

/* ---- errors --------------------------------------------------------------------------------- */

_printf_(3, 4) static int set_error(struct my_conn *mc, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(mc->err, sizeof(mc->err), fmt, ap);
	va_end(ap);
	return r;
}

static int map_error(struct my_conn *mc, const struct entity *e, unsigned no, const char *msg)
{
	switch (no) {
	case ER_DUP_ENTRY: {
		/* upstream's K: between "Duplicate entry '" and "' for key" */
		const char *k = strstr(msg, "Duplicate entry '");
		const char *end = k ? strstr(k, "' for key") : NULL;
		char key[512];
		if (e && k && end) {
			k += strlen("Duplicate entry '");
			(void)snprintf(key, sizeof(key), "%.*s", (int)(end - k), k);
			conn_exists_text(e, key, mc->err, sizeof(mc->err));
		} else {
			(void)set_error(mc, 0, "%s",
					"Unable to determine key from DuplicateKey error message.");
		}
		return -EEXIST;
	}
	case ER_TABLE_EXISTS_ERROR:
		/* push without dropExisting: a table of the script exists (HTTP 409) */
		return set_error(mc, -EEXIST, "%s", msg);
	case ER_ROW_IS_REFERENCED_2:
	case ER_NO_REFERENCED_ROW_2:
	case ER_ROW_IS_REFERENCED:
	case ER_NO_REFERENCED_ROW:
	case ER_BAD_NULL_ERROR:
	case 4025: /* MariaDB: CONSTRAINT ... failed */
	case 3819: /* MySQL 8: Check constraint ... is violated */
		return set_error(mc, -ECONSTRAINT, "%s", msg);
	case ER_WARN_DATA_OUT_OF_RANGE:
	case ER_TRUNCATED_WRONG_VALUE:
	case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
	case WARN_DATA_TRUNCATED:
	case ER_DATA_TOO_LONG:
		return set_error(mc, -EINVAL, "%s", msg);
	case ER_LOCK_WAIT_TIMEOUT:
		return set_error(mc, -ETIMEDOUT, "%s", msg);
	case ER_LOCK_DEADLOCK:
		return set_error(mc, -EAGAIN, "%s", msg);
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
		mc->base.broken = true;
		return set_error(mc,
				 strstr(msg, "timeout") || strstr(msg, "Timeout") ? -ETIMEDOUT
										  : -ECONNRESET,
				 "%s", msg);
	default:
		if (no >= 2000 && no < 3000) {
			/* client-side failures leave the session in an unknown state */
			mc->base.broken = true;
			return set_error(mc, -ECONNRESET, "%s", msg);
		}
		return set_error(mc, -EIO, "%s", msg);
	}
}

static int conn_error(struct my_conn *mc)
{
	return map_error(mc, NULL, mysql_errno(mc->my), mysql_error(mc->my));
}

/* ---- connections ---------------------------------------------------------------------------- */

static int my_connect(struct conn *c, const void *cfgp, usec_t timeout)
{
	struct my_conn *mc = my_conn_cast(c);
	const struct my_config *cfg = cfgp;
	unsigned seconds = (unsigned)MAX(1, (timeout + USEC_PER_SEC - 1) / USEC_PER_SEC);
	unsigned io = MY_IO_TIMEOUT_SEC;
	my_bool off = 0;
	unsigned no;
	int r;

	mc->my = mysql_init(NULL);
	if (!mc->my)
		return set_error(mc, -ENOMEM, "%s", "out of memory");
	(void)mysql_options(mc->my, MYSQL_OPT_CONNECT_TIMEOUT, &seconds);
	(void)mysql_options(mc->my, MYSQL_OPT_READ_TIMEOUT, &io);
	(void)mysql_options(mc->my, MYSQL_OPT_WRITE_TIMEOUT, &io);
	(void)mysql_options(mc->my, MYSQL_OPT_RECONNECT, &off);
	(void)mysql_options(mc->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	(void)mysql_options(mc->my, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	if (mysql_real_connect(mc->my, cfg->host, cfg->user, cfg->password, cfg->database,
			       cfg->port, NULL, CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS)) {
		mc->database = cfg->database;
		return 0;
	}
	no = mysql_errno(mc->my);
	/* a refused login or a missing database leaves the store unusable too (503) */
	r = strstr(mysql_error(mc->my), "imeout") ? -ETIMEDOUT : -ECONNREFUSED;
	(void)set_error(mc, r, "%s (%u)", mysql_error(mc->my), no);
	mysql_close(mc->my);
	mc->my = NULL;
	return r;
}

static void cache_drop(struct my_cached_stmt *cs)
{
	if (cs->st)
		mysql_stmt_close(cs->st);
	mem_free(cs->sql);
	*cs = (struct my_cached_stmt){ 0 };
}

static void my_disconnect(struct conn *c)
{
	struct my_conn *mc = my_conn_cast(c);

	for (size_t i = 0; i < MY_STMT_CACHE; i++)
		cache_drop(&mc->cache[i]);
	mysql_close(mc->my);
	mc->my = NULL;
}

static int my_ping(struct conn *c, usec_t timeout)
{
	struct my_conn *mc = my_conn_cast(c);
	(void)timeout;

	if (mysql_ping(mc->my) != 0) {
		c->broken = true;
		return set_error(mc, -ECONNRESET, "%s", mysql_error(mc->my));
	}
	return 0;
}

static int simple(struct my_conn *mc, const char *sql)
{
	if (mysql_query(mc->my, sql) != 0)
		return conn_error(mc);
	return 0;
}

static int my_begin(struct conn *c)
{
	struct my_conn *mc = my_conn_cast(c);
	int r = simple(mc, "START TRANSACTION");

	if (r >= 0)
		mc->in_tx = true;
	return r;
}

static int my_commit(struct conn *c)
{
	struct my_conn *mc = my_conn_cast(c);

	mc->in_tx = false;
	return mysql_commit(mc->my) ? conn_error(mc) : 0;
}

static int my_rollback(struct conn *c)
{
	struct my_conn *mc = my_conn_cast(c);

	mc->in_tx = false;
	return mysql_rollback(mc->my) ? conn_error(mc) : 0;
}

static int my_reset(struct conn *c)
{
	struct my_conn *mc = my_conn_cast(c);

	if (mc->in_tx) {
		int r = my_rollback(c);
		if (r < 0)
			return r;
	}
	mc->err[0] = '\0';
	return 0;
}

/* MySQL commits DDL implicitly, so a script cannot be one transaction there: its statements
 * run in order inside one, and the first failure stops the rest. */
static int my_apply_sql(struct conn *c, const char *script)
{
	struct my_conn *mc = my_conn_cast(c);
	int r = 0, status;

	r = my_begin(c);
	if (r < 0)
		return r;
	if (mysql_real_query(mc->my, script, strlen(script)) != 0) {
		r = conn_error(mc);
		(void)my_rollback(c);
		return r;
	}
	do {
		MYSQL_RES *res = mysql_store_result(mc->my);
		if (res)
			mysql_free_result(res);
		status = mysql_next_result(mc->my);
		if (status > 0) {
			r = conn_error(mc);
			break;
		}
	} while (status == 0);
	if (r < 0) {
		char saved[sizeof(mc->err)];
		memcpy(saved, mc->err, sizeof(saved));
		(void)my_rollback(c);
		memcpy(mc->err, saved, sizeof(saved));
		return r;
	}
	return my_commit(c);
}

static const char *my_last_error(const struct conn *c)
{
	assert(c->ops == &mysql_ops);
	return ((const struct my_conn *)c)->err;
}

/* ---- statements ----------------------------------------------------------------------------- */

/* NULLs sort first ascending; an OFFSET needs a LIMIT */
static const struct sql_dialect my_sql = {
	.quote = '`',
	.like = " LIKE ",
	.asc = " ASC",
	.desc = " DESC",
	.limit_with_offset = true,
};

static int add_ident(struct buf *b, const char *name)
{
	return sql_add_ident(b, &my_sql, name);
}

static int add_table(struct buf *b, const struct entity *e)
{
	/* MySQL ignores @sql:Schema (runtime.md §1) */
	return add_ident(b, entity_table_name(e));
}

struct param {
	enum enum_field_types type;
	void *data; /* owned */
	unsigned long len;
	bool is_unsigned;
};

struct params {
	struct param *v;
	size_t n, alloc;
};

static void params_release(struct params *p)
{
	for (size_t i = 0; i < p->n; i++)
		mem_free(p->v[i].data);
	mem_free(p->v);
	*p = (struct params){ 0 };
}

/* A string value with 'T' in the date-time as a space; Utc loses its Z. */
static char *datetime_text(const json_t *v, bool utc)
{
	char *s = mem_strndup(json_string_value(v), json_string_length(v) - (utc ? 1 : 0));

	if (s && strlen(s) > 10 && s[10] == 'T')
		s[10] = ' ';
	return s;
}

/* Append a parameter and its placeholder. */
static int params_add(struct params *p, struct buf *sql, const struct conn_column *col,
		      const json_t *v)
{
	struct param x = { .type = MYSQL_TYPE_NULL };

	if (GROW(p->v, p->alloc, p->n + 1) < 0)
		return -ENOMEM;
	if (!v || json_is_null(v)) {
		x.type = MYSQL_TYPE_NULL;
	} else if (json_is_integer(v)) {
		long long n = json_integer_value(v);
		x.type = MYSQL_TYPE_LONGLONG;
		x.data = mem_memdup(&n, sizeof(n));
		x.len = sizeof(n);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		x.type = MYSQL_TYPE_DOUBLE;
		x.data = mem_memdup(&d, sizeof(d));
		x.len = sizeof(d);
	} else if (json_is_boolean(v)) {
		signed char b = json_is_true(v) ? 1 : 0;
		x.type = MYSQL_TYPE_TINY;
		x.data = mem_memdup(&b, sizeof(b));
		x.len = sizeof(b);
	} else if (json_is_string(v) && col && col->type == CONN_TYPE_BYTES) {
		unsigned char *bytes = NULL;
		size_t n = 0;
		int r = conn_base64_decode(json_string_value(v), &bytes, &n);
		if (r < 0)
			return r;
		x.type = MYSQL_TYPE_BLOB;
		x.data = bytes;
		x.len = (unsigned long)n;
	} else if (json_is_string(v) && col &&
		   (col->type == CONN_TYPE_UTC || col->type == CONN_TYPE_CIVIL)) {
		x.type = MYSQL_TYPE_STRING;
		x.data = datetime_text(v, col->type == CONN_TYPE_UTC);
		x.len = x.data ? (unsigned long)strlen(x.data) : 0;
	} else if (json_is_string(v)) {
		x.type = MYSQL_TYPE_STRING;
		x.data = mem_memdup(json_string_value(v), json_string_length(v) + 1);
		x.len = (unsigned long)json_string_length(v);
	} else {
		char *dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		x.type = MYSQL_TYPE_STRING;
		x.data = dump ? mem_strdup(dump) : NULL;
		x.len = x.data ? (unsigned long)strlen(x.data) : 0;
		free(dump);
	}
	if (x.type != MYSQL_TYPE_NULL && !x.data)
		return -ENOMEM;
	p->v[p->n++] = x;
	return buf_addc(sql, '?');
}

static int stmt_error(struct my_conn *mc, const struct entity *e, MYSQL_STMT *st)
{
	return map_error(mc, e, mysql_stmt_errno(st), mysql_stmt_error(st));
}

/* The cached statement for sql, prepared on first use; NULL with the error set on failure. */
static MYSQL_STMT *cached_prepare(struct my_conn *mc, const struct entity *e, const struct buf *sql,
				  int *ret_error)
{
	uint64_t h = fnv1a64(sql->buf, sql->len);
	struct my_cached_stmt *slot = NULL;
	MYSQL_STMT *st;

	mc->uses++;
	for (size_t i = 0; i < MY_STMT_CACHE; i++) {
		struct my_cached_stmt *cs = &mc->cache[i];
		if (cs->sql && cs->hash == h && streq(cs->sql, sql->buf)) {
			cs->used = mc->uses;
			return cs->st;
		}
		/* a free slot, else the least recently used */
		if (!slot || (slot->sql && (!cs->sql || cs->used < slot->used)))
			slot = cs;
	}
	st = mysql_stmt_init(mc->my);
	if (!st) {
		*ret_error = conn_error(mc);
		return NULL;
	}
	if (mysql_stmt_prepare(st, sql->buf, sql->len) != 0) {
		*ret_error = stmt_error(mc, e, st);
		mysql_stmt_close(st);
		return NULL;
	}
	cache_drop(slot);
	slot->sql = mem_strdup(sql->buf);
	if (!slot->sql) {
		mysql_stmt_close(st);
		*ret_error = -ENOMEM;
		return NULL;
	}
	slot->hash = h;
	slot->st = st;
	slot->used = mc->uses;
	return st;
}

/* Give back a statement run() returned: its results are freed, the statement stays cached. */
static void release_stmt(struct my_conn *mc, MYSQL_STMT *st)
{
	(void)mc;
	if (st)
		(void)mysql_stmt_free_result(st);
}

/* A statement that failed is dropped from the cache: it may no longer fit the server's
 * tables, and the connection may be gone. */
static void forget_stmt(struct my_conn *mc, MYSQL_STMT *st)
{
	for (size_t i = 0; i < MY_STMT_CACHE; i++)
		if (mc->cache[i].st == st) {
			cache_drop(&mc->cache[i]);
			return;
		}
}

/* Prepare (once per connection), bind and execute; *ret is the statement, its results stored
 * client-side; give it back with release_stmt(). */
static int run(struct my_conn *mc, const struct entity *e, const struct buf *sql,
	       const struct params *p, MYSQL_STMT **ret)
{
	_cleanup_free_ MYSQL_BIND *b = new0(MYSQL_BIND, p->n + 1);
	MYSQL_STMT *st;
	int r = 0;

	if (!b)
		return -ENOMEM;
	st = cached_prepare(mc, e, sql, &r);
	if (!st)
		return r;
	for (size_t i = 0; i < p->n; i++) {
		b[i].buffer_type = p->v[i].type;
		b[i].buffer = p->v[i].data;
		b[i].buffer_length = p->v[i].len;
		b[i].length = (unsigned long *)&p->v[i].len;
		b[i].is_unsigned = p->v[i].is_unsigned;
	}
	if (p->n && mysql_stmt_bind_param(st, b) != 0)
		goto fail;
	if (mysql_stmt_execute(st) != 0 || mysql_stmt_store_result(st) != 0)
		goto fail;
	*ret = st;
	return 0;
fail:
	r = stmt_error(mc, e, st);
	forget_stmt(mc, st);
	return r;
}

/* One fetched cell (text or bytes) as the canonical JSON value of its column. */
static int cell_value(const struct conn_column *col, const char *s, unsigned long len, json_t **ret)
{
	json_t *v = NULL;
	char text[256];

	switch (col->type) {
	case CONN_TYPE_DECIMAL:
		if (conn_decimal_canonical(s, text, sizeof(text)) < 0)
			return -EIO;
		v = json_string(text);
		break;
	case CONN_TYPE_BYTES: {
		_cleanup_free_ char *b64 = NULL;
		if (conn_base64_encode((const unsigned char *)s, len, &b64) < 0)
			return -ENOMEM;
		v = json_string(b64);
		break;
	}
	case CONN_TYPE_CIVIL:
	case CONN_TYPE_UTC:
		if (len + 2 > sizeof(text))
			return -EIO;
		memcpy(text, s, len);
		text[len] = '\0';
		if (len > 10 && text[10] == ' ')
			text[10] = 'T';
		if (col->type == CONN_TYPE_UTC) {
			text[len] = 'Z';
			text[len + 1] = '\0';
		}
		v = json_string(text);
		break;
	case CONN_TYPE_OTHER: {
		json_error_t je;
		v = json_loadb(s, len, JSON_DECODE_ANY, &je);
		if (!v)
			v = json_stringn(s, len);
		break;
	}
	default:
		v = json_stringn(s, len);
		break;
	}
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
}

/* Fetch every row of st into objects of the plan's fetched columns (in select order). */
static int fetch_rows(struct my_conn *mc, MYSQL_STMT *st, const struct conn_column *const *cols,
		      size_t n, json_t *rows)
{
	_cleanup_free_ MYSQL_BIND *b = new0(MYSQL_BIND, n + 1);
	_cleanup_free_ unsigned long *len = new0(unsigned long, n + 1);
	_cleanup_free_ my_bool *null = new0(my_bool, n + 1);
	_cleanup_free_ long long *ints = new0(long long, n + 1);
	_cleanup_free_ double *reals = new0(double, n + 1);
	int r;

	if (!b || !len || !null || !ints || !reals)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		b[i].length = &len[i];
		b[i].is_null = &null[i];
		if (cols[i]->type == CONN_TYPE_INT || cols[i]->type == CONN_TYPE_BOOLEAN) {
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = &ints[i];
		} else if (cols[i]->type == CONN_TYPE_FLOAT) {
			b[i].buffer_type = MYSQL_TYPE_DOUBLE;
			b[i].buffer = &reals[i];
		} else {
			/* variable length: learn the length, then fetch the column */
			b[i].buffer_type = cols[i]->type == CONN_TYPE_BYTES ? MYSQL_TYPE_BLOB
									    : MYSQL_TYPE_STRING;
		}
	}
	if (n && mysql_stmt_bind_result(st, b) != 0)
		return stmt_error(mc, NULL, st);
	for (;;) {
		json_t *obj;
		int f = mysql_stmt_fetch(st);
		if (f == MYSQL_NO_DATA)
			break;
		if (f == 1)
			return stmt_error(mc, NULL, st);
		obj = json_object();
		if (!obj || json_array_append_new(rows, obj) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			json_t *v = NULL;
			if (null[i]) {
				v = json_null();
			} else if (cols[i]->type == CONN_TYPE_INT) {
				v = json_integer(ints[i]);
			} else if (cols[i]->type == CONN_TYPE_BOOLEAN) {
				v = json_boolean(ints[i] != 0);
			} else if (cols[i]->type == CONN_TYPE_FLOAT) {
				v = json_real(reals[i]);
			} else {
				_cleanup_free_ char *data = mem_alloc(len[i] + 1);
				MYSQL_BIND one = { 0 };
				unsigned long got = 0;
				if (!data)
					return -ENOMEM;
				one.buffer_type = b[i].buffer_type;
				one.buffer = data;
				one.buffer_length = len[i] + 1;
				one.length = &got;
				if (len[i] > 0 &&
				    mysql_stmt_fetch_column(st, &one, (unsigned)i, 0) != 0)
					return stmt_error(mc, NULL, st);
				data[MIN(got, len[i])] = '\0';
				r = cell_value(cols[i], data, len[i], &v);
				if (r < 0)
					return set_error(mc, r, "cannot read column '%s'",
							 cols[i]->column);
			}
			if (!v || json_object_set_new(obj, cols[i]->name, v) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static int my_param(void *params, struct buf *sql, const struct conn_column *col, const json_t *v)
{
	return params_add(params, sql, col, v);
}

/* " WHERE `k1` = ? AND ..." */
static int add_key_where(struct buf *sql, struct params *p, const struct conn_columns *cols,
			 const struct entity *e, const json_t *key)
{
	return sql_add_key_where(sql, &my_sql, cols, e, key, my_param, p);
}

/* ---- operations ----------------------------------------------------------------------------- */

static int my_create(struct conn *c, const struct entity *e, const json_t *rec, json_t **ret_key)
{
	struct my_conn *mc = my_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_buf_ struct buf sql = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_buf_ struct buf values = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(params_release) struct params p = { 0 };
	json_auto_t *in = NULL, *key = NULL;
	MYSQL_STMT *st = NULL;
	bool first = true;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_record_check(&cols, e, rec, &in, mc->err, sizeof(mc->err));
	if (r < 0)
		return r;
	r = buf_adds(&sql, "INSERT INTO ");
	if (r >= 0)
		r = add_table(&sql, e);
	if (r >= 0)
		r = buf_adds(&sql, " (");
	for (size_t i = 0; r >= 0 && i < cols.n; i++) {
		const json_t *v = json_object_get(in, cols.v[i].name);
		if (!v)
			continue;
		if (!first)
			r = buf_adds(&sql, ", ");
		if (r >= 0)
			r = add_ident(&sql, cols.v[i].column);
		if (r >= 0 && !first)
			r = buf_adds(&values, ", ");
		if (r >= 0)
			r = params_add(&p, &values, &cols.v[i], v);
		first = false;
	}
	if (r >= 0)
		r = buf_addf(&sql, ") VALUES (%s)", values.buf);
	if (r < 0)
		return r;
	r = run(mc, e, &sql, &p, &st);
	if (r < 0)
		return r;
	key = json_object();
	for (size_t i = 0; key && r >= 0 && i < e->n_keys; i++) {
		const struct conn_column *col = conn_columns_find(&cols, e->keys[i]->bare_name);
		json_t *v = col ? json_object_get(in, col->name) : NULL;
		if (!col)
			r = -EINVAL;
		else if (v)
			r = json_object_set(key, col->name, v) < 0 ? -ENOMEM : 0;
		else
			r = json_object_set_new(
				    key, col->name,
				    json_integer((json_int_t)mysql_stmt_insert_id(st))) < 0
				    ? -ENOMEM
				    : 0;
	}
	release_stmt(mc, st);
	if (!key)
		return -ENOMEM;
	if (r < 0)
		return r;
	*ret_key = TAKE_PTR(key);
	return 0;
}

/* "SELECT <the plan's fetched columns> FROM <table>"; fetched (room for every column) gets
 * those columns in select order, *n their count. */
static int add_select_from(struct buf *sql, const struct query_plan *plan,
			   const struct conn_column **fetched, size_t *n)
{
	int r = buf_adds(sql, "SELECT ");

	*n = 0;
	for (size_t i = 0; r >= 0 && i < plan->cols.n; i++) {
		if (!plan->fetch[i])
			continue;
		if (*n)
			r = buf_adds(sql, ", ");
		if (r >= 0)
			r = add_ident(sql, plan->cols.v[i].column);
		fetched[(*n)++] = &plan->cols.v[i];
	}
	if (r >= 0)
		r = buf_adds(sql, " FROM ");
	return r < 0 ? r : add_table(sql, plan->e);
}

static int run_select(struct my_conn *mc, const struct query_plan *plan, const json_t *key,
		      json_t **ret_rows)
{
	const struct entity *e = plan->e;
	_cleanup_buf_ struct buf sql = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(params_release) struct params p = { 0 };
	_cleanup_free_ const struct conn_column **fetched =
		new0(const struct conn_column *, plan->cols.n + 1);
	json_auto_t *rows = json_array();
	MYSQL_STMT *st = NULL;
	size_t n = 0;
	int r;

	if (!rows || !fetched)
		return -ENOMEM;
	r = add_select_from(&sql, plan, fetched, &n);
	if (r >= 0)
		r = sql_add_select_tail(&sql, &my_sql, plan, key, my_param, &p);
	if (r < 0)
		return r;
	r = run(mc, e, &sql, &p, &st);
	if (r < 0)
		return r;
	r = fetch_rows(mc, st, fetched, n, rows);
	release_stmt(mc, st);
	if (r < 0)
		return r;
	*ret_rows = TAKE_PTR(rows);
	return 0;
}

static int my_read(struct conn *c, const struct entity *e, const json_t *key, json_t **ret_rec)
{
	struct my_conn *mc = my_conn_cast(c);
	_cleanup_(query_plan_release) struct query_plan plan = { 0 };
	json_auto_t *k = NULL, *rows = NULL;
	int r;

	r = query_plan_build(e, NULL, &plan, mc->err, sizeof(mc->err));
	if (r < 0)
		return r;
	r = conn_key_check(&plan.cols, e, key, &k, mc->err, sizeof(mc->err));
	if (r < 0)
		return r;
	r = run_select(mc, &plan, k, &rows);
	if (r < 0)
		return r;
	if (json_array_size(rows) == 0) {
		conn_not_found_text(e, k, mc->err, sizeof(mc->err));
		return -ENOENT;
	}
	*ret_rec = json_incref(json_array_get(rows, 0));
	return 0;
}

static int my_update(struct conn *c, const struct entity *e, const json_t *key, const json_t *patch)
{
	struct my_conn *mc = my_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_buf_ struct buf sql = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(params_release) struct params p = { 0 };
	json_auto_t *k = NULL, *in = NULL;
	MYSQL_STMT *st = NULL;
	bool first = true;
	my_ulonglong n;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, mc->err, sizeof(mc->err));
	if (r < 0)
		return r;
	r = conn_patch_check(&cols, e, patch, &in, mc->err, sizeof(mc->err));
	if (r < 0)
		return r;
	r = buf_adds(&sql, json_object_size(in) ? "UPDATE " : "SELECT 1 FROM ");
	if (r >= 0)
		r = add_table(&sql, e);
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
	r = run(mc, e, &sql, &p, &st);
	if (r < 0)
		return r;
	n = first ? mysql_stmt_num_rows(st) : mysql_stmt_affected_rows(st);
	release_stmt(mc, st);
	if (n == 0) {
		conn_not_found_text(e, k, mc->err, sizeof(mc->err));
		return -ENOENT;
	}
	return 0;
}

static int my_remove(struct conn *c, const struct entity *e, const json_t *key)
{
	struct my_conn *mc = my_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_buf_ struct buf sql = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(params_release) struct params p = { 0 };
	json_auto_t *k = NULL;
	MYSQL_STMT *st = NULL;
	my_ulonglong n;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, mc->err, sizeof(mc->err));
	if (r < 0)
		return r;
	r = buf_adds(&sql, "DELETE FROM ");
	if (r >= 0)
		r = add_table(&sql, e);
	if (r >= 0)
		r = add_key_where(&sql, &p, &cols, e, k);
	if (r < 0)
		return r;
	r = run(mc, e, &sql, &p, &st);
	if (r < 0)
		return r;
	n = mysql_stmt_affected_rows(st);
	release_stmt(mc, st);
	if (n == 0) {
		conn_not_found_text(e, k, mc->err, sizeof(mc->err));
		return -ENOENT;
	}
	return 0;
}

static int my_query(struct conn *c, const struct entity *e, const struct query *q,
		    json_t **ret_rows)
{
	struct my_conn *mc = my_conn_cast(c);
	_cleanup_(query_plan_release) struct query_plan plan = { 0 };
	json_auto_t *rows = NULL;
	int r;

	r = query_plan_build(e, q, &plan, mc->err, sizeof(mc->err));
	if (r < 0)
		return r;
	r = run_select(mc, &plan, NULL, &rows);
	if (r < 0)
		return r;
	r = query_plan_finish_rows(c, &plan, rows);
	if (r < 0)
		return r;
	*ret_rows = TAKE_PTR(rows);
	return 0;
}

/* ---- introspection (persist pull) ------------------------------------------------------------ */

/* The five row sets of introspection.md §2.1 from information_schema, each for the whole
 * schema in one statement; the schema name is the only parameter. Names are compared and
 * ordered as binary strings, so the order does not depend on the server's collation (MySQL 8's
 * order; MariaDB would sort case-insensitively). */
/* Upstream joins COLUMNS to keep tables that have columns, which every table has; the join
 * in a prepared statement crashed MariaDB 10.11 once under load, so it is left out. */
static const char my_tables_sql[] = "SELECT TABLE_NAME FROM information_schema.TABLES "
				    "WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' "
				    "ORDER BY BINARY TABLE_NAME";

static const char my_columns_sql[] =
	"SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_MAXIMUM_LENGTH, "
	"NUMERIC_PRECISION, NUMERIC_SCALE, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_KEY, EXTRA "
	"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? "
	"ORDER BY BINARY TABLE_NAME, ORDINAL_POSITION";

static const char my_fks_sql[] =
	"SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, "
	"k.REFERENCED_COLUMN_NAME "
	"FROM information_schema.KEY_COLUMN_USAGE k "
	"JOIN information_schema.REFERENTIAL_CONSTRAINTS rc "
	"ON BINARY rc.CONSTRAINT_NAME = BINARY k.CONSTRAINT_NAME "
	"AND rc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND rc.TABLE_NAME = k.TABLE_NAME "
	"WHERE k.TABLE_SCHEMA = ? AND k.CONSTRAINT_SCHEMA = k.TABLE_SCHEMA "
	"AND k.REFERENCED_COLUMN_NAME IS NOT NULL "
	"ORDER BY BINARY k.TABLE_NAME, BINARY k.CONSTRAINT_NAME, k.ORDINAL_POSITION";

static const char my_indexes_sql[] =
	"SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME, NON_UNIQUE "
	"FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_NAME <> 'PRIMARY' "
	"ORDER BY BINARY TABLE_NAME, BINARY INDEX_NAME, SEQ_IN_INDEX";

/* Ties (the same ordinal position in two tables) come in the server's order upstream; here
 * by table name. */
static const char my_enums_sql[] =
	"SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
	"WHERE TABLE_SCHEMA = ? AND DATA_TYPE = 'enum' "
	"ORDER BY ORDINAL_POSITION, BINARY TABLE_NAME";

#define MY_CATALOG_MAX_COLS 12

typedef int my_row_fn(struct db_catalog *cat, const char *const *cells);

static int my_catalog_query(struct my_conn *mc, const char *sql, const char *schema,
			    const char *what, unsigned ncols, struct db_catalog *cat, my_row_fn *fn)
{
	MYSQL_STMT *st = mysql_stmt_init(mc->my);
	MYSQL_BIND param = { 0 }, b[MY_CATALOG_MAX_COLS];
	unsigned long schema_len = strlen(schema), len[MY_CATALOG_MAX_COLS];
	my_bool null[MY_CATALOG_MAX_COLS];
	char *cells[MY_CATALOG_MAX_COLS] = { 0 };
	int r = 0, f;

	assert(ncols <= MY_CATALOG_MAX_COLS);
	if (!st)
		return set_error(mc, conn_error(mc), "%s%s", what, mysql_error(mc->my));
	param.buffer_type = MYSQL_TYPE_STRING;
	param.buffer = (void *)schema;
	param.buffer_length = schema_len;
	param.length = &schema_len;
	memset(b, 0, sizeof(b));
	for (unsigned i = 0; i < ncols; i++) {
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].length = &len[i];
		b[i].is_null = &null[i];
	}
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 ||
	    mysql_stmt_bind_param(st, &param) != 0 || mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_store_result(st) != 0 || mysql_stmt_bind_result(st, b) != 0) {
		r = stmt_error(mc, NULL, st);
		(void)set_error(mc, r, "%s%s", what, mysql_stmt_error(st));
		goto out_close_stmt;
	}
	while ((f = mysql_stmt_fetch(st)) != MYSQL_NO_DATA) {
		if (f == 1) {
			r = stmt_error(mc, NULL, st);
			(void)set_error(mc, r, "%s%s", what, mysql_stmt_error(st));
			goto out_free_cells;
		}
		for (unsigned i = 0; i < ncols; i++) {
			MYSQL_BIND one = { 0 };
			unsigned long got = 0;
			mem_free(cells[i]);
			cells[i] = NULL;
			if (null[i])
				continue;
			cells[i] = mem_alloc(len[i] + 1);
			if (!cells[i]) {
				r = -ENOMEM;
				goto out_free_cells;
			}
			one.buffer_type = MYSQL_TYPE_STRING;
			one.buffer = cells[i];
			one.buffer_length = len[i] + 1;
			one.length = &got;
			if (len[i] > 0 && mysql_stmt_fetch_column(st, &one, i, 0) != 0) {
				r = stmt_error(mc, NULL, st);
				goto out_free_cells;
			}
			cells[i][MIN(got, len[i])] = '\0';
		}
		r = fn(cat, (const char *const *)cells);
		if (r < 0)
			goto out_free_cells;
	}
out_free_cells:
	for (unsigned i = 0; i < ncols; i++)
		mem_free(cells[i]);
out_close_stmt:
	mysql_stmt_close(st);
	return r;
}

static int64_t my_cell_int(const char *s)
{
	int64_t v;

	if (!s || safe_atoi64(s, &v) < 0)
		return DB_NULL;
	return v;
}

static int my_table_row(struct db_catalog *cat, const char *const *cells)
{
	return db_catalog_add_table(cat, cells[0]);
}

static int my_column_row(struct db_catalog *cat, const char *const *cells)
{
	struct db_column col = {
		.name = cells[1],
		.data_type = cells[2],
		.full_data_type = cells[3],
		.char_max_length = my_cell_int(cells[4]),
		.numeric_precision = my_cell_int(cells[5]),
		.numeric_scale = my_cell_int(cells[6]),
		.column_default = cells[7],
		.nullable = streq_ptr(cells[8], "YES"),
		.key = streq_ptr(cells[9], "PRI"),
		.generated = streq_ptr(cells[10], "auto_increment"),
	};

	return db_catalog_add_column(cat, cells[0], &col);
}

static int my_fk_row(struct db_catalog *cat, const char *const *cells)
{
	return db_catalog_add_fk(cat, cells[0], cells[1], cells[2], cells[3], cells[4]);
}

static int my_index_row(struct db_catalog *cat, const char *const *cells)
{
	return db_catalog_add_index(cat, cells[0], cells[1], cells[2], streq_ptr(cells[3], "0"));
}

static int my_enum_row(struct db_catalog *cat, const char *const *cells)
{
	return db_catalog_add_enum(cat, cells[0], cells[1], cells[2]);
}

static int my_introspect(struct conn *c, struct db_catalog **ret)
{
	struct my_conn *mc = my_conn_cast(c);
	_cleanup_(db_catalog_freep) struct db_catalog *cat = NULL;
	const char *schema = mc->database ? mc->database : "";
	int r;

	r = db_catalog_new(DATASTORE_MYSQL, &cat);
	if (r < 0)
		return r;
	r = my_catalog_query(mc, my_tables_sql, schema,
			     "Error while retrieving tables for database: ", 1, cat, my_table_row);
	if (r >= 0)
		r = my_catalog_query(mc, my_enums_sql, schema,
				     "Error while retrieving enums for database: ", 3, cat,
				     my_enum_row);
	if (r >= 0)
		r = my_catalog_query(mc, my_columns_sql, schema,
				     "Error while retrieving columns for table: ", 11, cat,
				     my_column_row);
	if (r >= 0)
		r = my_catalog_query(mc, my_fks_sql, schema,
				     "Error while retrieving foreign keys for table: ", 5, cat,
				     my_fk_row);
	if (r >= 0)
		r = my_catalog_query(mc, my_indexes_sql, schema,
				     "error while retrieving indexes for table: ", 4, cat,
				     my_index_row);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cat);
	return 0;
}

/* ---- pipes ---------------------------------------------------------------------------------- */

/* libmariadb has no pipelining: a MariaDB pipe queues reads and, at flush, runs each entity's
 * reads as one prepared SELECT ... WHERE key IN (...) on the pipe's own connection, then
 * hands every read its row. One round trip and one statement for a loop's pass instead of one
 * per request. */
#define MY_PIPE_BATCH 64

struct my_pipe_read {
	void *token;
	const struct entity *e;
	json_t *key; /* canonical */
};

struct my_pipe {
	struct conn_pipe base;
	struct my_conn conn;
	struct my_pipe_read *q;
	size_t n, alloc;
};

static struct my_pipe *my_pipe_cast(struct conn_pipe *p)
{
	assert(p->ops == &mysql_ops);
	return container_of(p, struct my_pipe, base);
}

static int my_pipe_open(const void *cfg, usec_t timeout, struct conn_pipe **ret, char *err,
			size_t err_size)
{
	struct my_pipe *p = new0(struct my_pipe, 1);
	int r;

	if (!p)
		return -ENOMEM;
	p->base.ops = &mysql_ops;
	p->conn.base.ops = &mysql_ops;
	r = my_connect(&p->conn.base, cfg, timeout);
	if (r < 0) {
		(void)snprintf(err, err_size, "%s", p->conn.err);
		mem_free(p);
		return r;
	}
	*ret = &p->base;
	return 0;
}

static int my_pipe_fd(const struct conn_pipe *p)
{
	(void)p;
	return -1; /* answered at flush */
}

static int my_pipe_read(struct conn_pipe *pb, const struct entity *e, const json_t *key,
			void *token)
{
	struct my_pipe *p = my_pipe_cast(pb);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	json_auto_t *k = NULL;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, p->conn.err, sizeof(p->conn.err));
	if (r < 0)
		return r;
	if (GROW(p->q, p->alloc, p->n + 1) < 0)
		return -ENOMEM;
	p->q[p->n++] = (struct my_pipe_read){ .token = token, .e = e, .key = TAKE_PTR(k) };
	return 0;
}

/* Whether row holds key's values. */
static bool row_has_key(const struct entity *e, const json_t *row, const json_t *key)
{
	for (size_t i = 0; i < e->n_keys; i++) {
		const char *name = e->keys[i]->bare_name;
		if (!json_equal(json_object_get(row, name), json_object_get(key, name)))
			return false;
	}
	return true;
}

/* Run reads v[0..n) (all of one entity) as one SELECT and complete each. The IN list is padded
 * to a power of two with the last key, so an entity needs a handful of prepared statements. */
static int my_pipe_batch(struct my_pipe *p, struct my_pipe_read *v, size_t n,
			 conn_pipe_done_fn *done, void *userdata)
{
	struct my_conn *mc = &p->conn;
	const struct entity *e = v[0].e;
	_cleanup_(query_plan_release) struct query_plan plan = { 0 };
	_cleanup_buf_ struct buf sql = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(params_release) struct params params = { 0 };
	_cleanup_free_ const struct conn_column **fetched = NULL;
	_cleanup_free_ bool *row_claimed = NULL;
	json_auto_t *rows = json_array();
	MYSQL_STMT *st = NULL;
	size_t n_fetched = 0, slots = 1;
	bool all_claimed = true;
	int r;

	while (slots < n)
		slots *= 2;
	r = query_plan_build(e, NULL, &plan, mc->err, sizeof(mc->err));
	if (r >= 0 && !rows)
		r = -ENOMEM;
	if (r >= 0 && !(fetched = new0(const struct conn_column *, plan.cols.n + 1)))
		r = -ENOMEM;
	if (r >= 0)
		r = add_select_from(&sql, &plan, fetched, &n_fetched);
	if (r >= 0)
		r = buf_adds(&sql, e->n_keys > 1 ? " WHERE (" : " WHERE ");
	for (size_t i = 0; r >= 0 && i < e->n_keys; i++) {
		if (i)
			r = buf_adds(&sql, ", ");
		if (r >= 0)
			r = add_ident(&sql, field_column_name(e->keys[i]));
	}
	if (r >= 0)
		r = buf_adds(&sql, e->n_keys > 1 ? ") IN (" : " IN (");
	for (size_t s = 0; r >= 0 && s < slots; s++) {
		const json_t *key = v[MIN(s, n - 1)].key;
		r = buf_adds(&sql, s ? (e->n_keys > 1 ? ", (" : ", ") : (e->n_keys > 1 ? "(" : ""));
		for (size_t i = 0; r >= 0 && i < e->n_keys; i++) {
			const struct conn_column *c =
				conn_columns_find(&plan.cols, e->keys[i]->bare_name);
			if (!c)
				r = -EINVAL;
			else if (i)
				r = buf_adds(&sql, ", ");
			if (r >= 0)
				r = params_add(&params, &sql, c, json_object_get(key, c->name));
		}
		if (r >= 0 && e->n_keys > 1)
			r = buf_addc(&sql, ')');
	}
	if (r >= 0)
		r = buf_addc(&sql, ')');
	if (r >= 0)
		r = run(mc, e, &sql, &params, &st);
	if (r >= 0) {
		r = fetch_rows(mc, st, fetched, n_fetched, rows);
		release_stmt(mc, st);
	}
	if (r < 0) {
		/* each read goes through the pool instead, which gives the error its reply */
		for (size_t i = 0; i < n; i++)
			done(v[i].token, -EAGAIN, NULL, mc->err, userdata);
		return mc->base.broken ? -ECONNRESET : 0;
	}
	/* The server compares keys with the column's collation (case-insensitive by default), a
	 * row may answer a read whose key is not byte-equal to it; such reads go through the pool,
	 * where the same comparison decides alone. A read that no row answers is not found only
	 * when every row returned was claimed by an exact match. */
	row_claimed = new0(bool, json_array_size(rows) + 1);
	if (!row_claimed) {
		for (size_t i = 0; i < n; i++)
			done(v[i].token, -EAGAIN, NULL, "out of memory", userdata);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < json_array_size(rows); k++)
			if (row_has_key(e, json_array_get(rows, k), v[i].key))
				row_claimed[k] = true;
	for (size_t k = 0; k < json_array_size(rows); k++)
		all_claimed = all_claimed && row_claimed[k];
	for (size_t i = 0; i < n; i++) {
		json_t *rec = NULL;
		for (size_t k = 0; !rec && k < json_array_size(rows); k++)
			if (row_has_key(e, json_array_get(rows, k), v[i].key))
				rec = json_array_get(rows, k);
		if (rec) {
			done(v[i].token, 0, json_incref(rec), NULL, userdata);
		} else if (all_claimed) {
			char text[sizeof(mc->err)];
			conn_not_found_text(e, v[i].key, text, sizeof(text));
			done(v[i].token, -ENOENT, NULL, text, userdata);
		} else {
			done(v[i].token, -EAGAIN, NULL, "", userdata);
		}
	}
	return 0;
}

static int my_pipe_flush(struct conn_pipe *pb, conn_pipe_done_fn *done, void *userdata)
{
	struct my_pipe *p = my_pipe_cast(pb);
	int r = 0;

	while (p->n > 0) {
		/* the first read's entity, and every read of it behind, up to a batch */
		struct my_pipe_read batch[MY_PIPE_BATCH];
		const struct entity *e = p->q[0].e;
		size_t m = 0, w = 0;

		for (size_t i = 0; i < p->n; i++) {
			if (p->q[i].e == e && m < MY_PIPE_BATCH)
				batch[m++] = p->q[i];
			else
				p->q[w++] = p->q[i];
		}
		p->n = w;
		if (r >= 0)
			r = my_pipe_batch(p, batch, m, done, userdata);
		else
			for (size_t i = 0; i < m; i++)
				done(batch[i].token, -ECONNRESET, NULL, "the connection was lost",
				     userdata);
		for (size_t i = 0; i < m; i++)
			json_decref(batch[i].key);
	}
	return r;
}

static int my_pipe_input(struct conn_pipe *pb, conn_pipe_done_fn *done, void *userdata)
{
	(void)pb;
	(void)done;
	(void)userdata;
	return 0; /* no socket is watched: flush answers */
}

static void my_pipe_close(struct conn_pipe *pb, conn_pipe_done_fn *done, void *userdata)
{
	struct my_pipe *p = my_pipe_cast(pb);

	for (size_t i = 0; i < p->n; i++) {
		done(p->q[i].token, -ECONNRESET, NULL, "the connection was closed", userdata);
		json_decref(p->q[i].key);
	}
	my_disconnect(&p->conn.base);
	mem_free(p->q);
	mem_free(p);
}

const struct connector_ops mysql_ops = {
	.name = "mysql",
	.caps = CONN_CAP_TRANSACTIONS | CONN_CAP_SQL | CONN_CAP_FILTER | CONN_CAP_INTROSPECT,
	.conn_size = sizeof(struct my_conn),
	.global_init = my_global_init,
	.global_cleanup = my_global_cleanup,
	.config_parse = my_config_parse,
	.config_free = my_config_free,
	.connect = my_connect,
	.disconnect = my_disconnect,
	.ping = my_ping,
	.reset = my_reset,
	.create = my_create,
	.read = my_read,
	.update = my_update,
	.remove = my_remove,
	.query = my_query,
	.begin = my_begin,
	.commit = my_commit,
	.rollback = my_rollback,
	.introspect = my_introspect,
	.apply_sql = my_apply_sql,
	.last_error = my_last_error,
	.pipe_open = my_pipe_open,
	.pipe_fd = my_pipe_fd,
	.pipe_read = my_pipe_read,
	.pipe_flush = my_pipe_flush,
	.pipe_input = my_pipe_input,
	.pipe_close = my_pipe_close,
};
