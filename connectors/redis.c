/* Redis through hiredis, in the layout of upstream's persist.redis client (runtime.md §5), so a
 * Ballerina service using the generated client and persistd share one Redis:
 *
 *   <Entity>:<k1>[:<k2>...]                     HASH  one hash field per stored field that has a
 *                                                     value, named by the model field (§5.1)
 *   <Parent>:<pk1>[:...]:<parentRelationField>  SET   the key suffixes of the children pointing
 *                                                     at that parent (owner side maintains it)
 *
 * Key parts are the key values' Ballerina toString() joined with ':' (§5.1); hash values are
 * the texts of §5.2 (time:Date D-M-YYYY, time:TimeOfDay H:M:S, Java Double.toString for
 * floats, ...). Absent optional fields are not stored. @sql:Name is ignored (§1).
 *
 * Where upstream has a known flaw (§9) this backend does what runtime.md recommends: every
 * check (duplicate keys, also inside one batch; parent existence; a 1-1 parent already linked)
 * runs before anything is written; a composite foreign key changed in part is completed from
 * the stored record; a set member re-added in cache mode is the suffix; get-all uses SCAN with a
 * shape filter instead of KEYS; a missing single relation is null; key values containing ':'
 * are refused on insert, since they would make keys ambiguous (§9 #13).
 *
 * Atomicity. Redis has no transaction that can read its own writes, so begin/commit/rollback
 * are left out (no CONN_CAP_TRANSACTIONS). Instead every write is one optimistic step: WATCH
 * the keys its checks read, run the checks, then MULTI ... EXEC the writes; when another client
 * changed a watched key, EXEC does nothing and the step starts over. The checks also look at the
 * type of every key the writes touch, so no command inside EXEC can fail half way. An array
 * insert is all-or-nothing by passing the whole JSON array to create(): the records are checked
 * together and written by one EXEC, and *ret_key is then the array of their keys.
 *
 * Cache mode (cacheConfig.maxAge > 0, §5.7): every write and every read of a record hash or a
 * relation set sets EXPIRE maxAge on it (a sliding TTL); a read also adds the record back to
 * its parents' sets, so the sets outlive their members' reads as upstream intends.
 *
 * Error texts are upstream Redis ones (§3.2, §3.3): NotFound names the full Redis key
 * ('Employee:E1'), a duplicate insert gives the Redis AlreadyExists form with the number of keys
 * found, a missing or already linked parent the association ConstraintViolation text.
 *
 * Reads never write outside cache mode: a set member whose hash is gone is skipped, not removed
 * as upstream's reader does (§5.3), since with upstream's non-atomic insert that hash may be
 * about to appear. Needs Redis 6 or later (SCAN ... TYPE). */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fifo.h"
#include "base/macro.h"
#include "base/strutil.h"
#include "connectors/connector.h"
#include "models/ast.h"
#include "models/project-config.h"

static void reply_free(redisReply *r)
{
	if (r)
		freeReplyObject(r);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(redisReply *, reply_free)

/* Commands past this many seconds fail with -ETIMEDOUT. */
#define REDIS_COMMAND_TIMEOUT_SEC 30
/* Optimistic steps retried this often when other clients keep changing the watched keys. */
#define REDIS_MAX_ATTEMPTS 16
/* Keys per pipelined round trip when reading records. */
#define REDIS_FETCH_BATCH 500
/* At most this many keys or parent sets are looked up directly from filter values (eq/in on
 * every key field, or on every foreign key of a relation); beyond, a query scans. */
#define REDIS_MAX_DIRECT 1000

struct redis_config {
	char *host;
	int port;
	char *user; /* ACL user, NULL for the default one */
	char *password; /* NULL: no AUTH */
	long db;
	int64_t max_age; /* > 0: cache mode */
};

struct redis_conn {
	struct conn base;
	const struct redis_config *cfg;
	redisContext *rc;
	char err[1024];
};

static struct redis_conn *redis_conn_cast(struct conn *c)
{
	assert(c->ops == &redis_ops);
	return (struct redis_conn *)c;
}

_printf_(3, 4) static int set_error(struct redis_conn *rc, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(rc->err, sizeof(rc->err), fmt, ap);
	va_end(ap);
	return r;
}

/* ---- config --------------------------------------------------------------------------------- */

static void redis_config_free(void *p)
{
	struct redis_config *cfg = p;

	if (!cfg)
		return;
	mem_free(cfg->host);
	mem_free(cfg->user);
	if (cfg->password)
		explicit_bzero(cfg->password, strlen(cfg->password));
	mem_free(cfg->password);
	mem_free(cfg);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) with %XX escapes decoded, new; NULL on a bad escape or OOM (*oom tells). */
static char *percent_decode(const char *s, size_t n, bool *oom)
{
	char *out = mem_alloc(n + 1);
	size_t o = 0;

	*oom = !out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hex_digit(s[i + 1]) : -1;
			int lo = hi >= 0 ? hex_digit(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				mem_free(out);
				return NULL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* redis://[[user:]password@]host[:port][/db][?...] (Lettuce's syntax, runtime.md §5.8; a user
 * info without ':' is a password, as in Lettuce). */
static int parse_url(const char *url, struct redis_config *cfg, struct pd_error *reterr)
{
	const char *p = startswith(url, "redis://"), *end, *at, *host, *host_end, *port = NULL;
	bool oom = false;

	if (!p) {
		if (startswith(url, "rediss://"))
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "redis connection: TLS (rediss://) is not supported");
		else
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "redis connection: expected a redis:// URL");
		return -EINVAL;
	}
	end = p + strcspn(p, "/?#");
	at = NULL;
	for (const char *s = p; s < end; s++)
		if (*s == '@')
			at = s;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon) {
			if (colon > p) {
				cfg->user = percent_decode(p, (size_t)(colon - p), &oom);
				if (!cfg->user)
					goto bad_userinfo;
			}
			cfg->password = percent_decode(colon + 1, (size_t)(at - colon - 1), &oom);
		} else {
			cfg->password = percent_decode(p, (size_t)(at - p), &oom);
		}
		if (!cfg->password)
			goto bad_userinfo;
		host = at + 1;
	} else {
		host = p;
	}
	if (*host == '[') {
		host_end = memchr(host, ']', (size_t)(end - host));
		if (!host_end)
			goto bad_host;
		host++;
		if (host_end + 1 < end) {
			if (host_end[1] != ':')
				goto bad_host;
			port = host_end + 2;
		}
	} else {
		host_end = memchr(host, ':', (size_t)(end - host));
		if (host_end)
			port = host_end + 1;
		else
			host_end = end;
	}
	cfg->host = host_end > host ? mem_strndup(host, (size_t)(host_end - host))
				    : mem_strdup("localhost");
	if (!cfg->host)
		return -ENOMEM;
	cfg->port = 6379;
	if (port) {
		char text[8];
		unsigned v;
		if (end - port < 1 || end - port >= (long)sizeof(text))
			goto bad_port;
		memcpy(text, port, (size_t)(end - port));
		text[end - port] = '\0';
		if (safe_atou(text, &v) < 0 || v < 1 || v > 65535)
			goto bad_port;
		cfg->port = (int)v;
	}
	if (*end == '/' && end[1] && end[1] != '?' && end[1] != '#') {
		char text[16];
		size_t n = strcspn(end + 1, "?#");
		unsigned v;
		if (n >= sizeof(text))
			goto bad_db;
		memcpy(text, end + 1, n);
		text[n] = '\0';
		if (safe_atou(text, &v) < 0 || v > 1000000)
			goto bad_db;
		cfg->db = (long)v;
	}
	return 0;
bad_userinfo:
	if (oom)
		return -ENOMEM;
	pd_error_set(reterr, NULL, 0, 0, 0, "redis connection: bad %%-escape in the user info");
	return -EINVAL;
bad_host:
	pd_error_set(reterr, NULL, 0, 0, 0, "redis connection: bad host in '%s'", url);
	return -EINVAL;
bad_port:
	pd_error_set(reterr, NULL, 0, 0, 0, "redis connection: bad port in '%s'", url);
	return -EINVAL;
bad_db:
	pd_error_set(reterr, NULL, 0, 0, 0, "redis connection: bad database number in '%s'", url);
	return -EINVAL;
}

static int redis_config_parse(const struct connection_settings *cs, void **ret_cfg,
			      struct pd_error *reterr)
{
	struct redis_config *cfg = new0(struct redis_config, 1);
	int r = 0;

	if (!cfg)
		return -ENOMEM;
	if (cs && cs->connection) {
		r = parse_url(cs->connection, cfg, reterr);
	} else {
		/* the table form: {host, port, password} */
		cfg->host = mem_strdup(cs && cs->host ? cs->host : "localhost");
		cfg->port = cs && cs->port > 0 && cs->port <= 65535 ? (int)cs->port : 6379;
		if (cs && cs->password && *cs->password)
			cfg->password = mem_strdup(cs->password);
		if (!cfg->host || (cs && cs->password && *cs->password && !cfg->password))
			r = -ENOMEM;
	}
	if (r < 0) {
		redis_config_free(cfg);
		return r;
	}
	/* generated default -1: store mode */
	cfg->max_age = cs && cs->has_max_age && cs->max_age > 0 ? cs->max_age : 0;
	*ret_cfg = cfg;
	return 0;
}

/* ---- commands ------------------------------------------------------------------------------- */

/* One command's arguments, each owned, sent with redisAppendCommandArgv: values are never
 * spliced into command text. */
struct rcmd {
	char **argv;
	size_t *len;
	size_t n, alloc, alloc_len;
};

/* Commands sent in one round trip. Adding is sticky on failure: the first allocation error is
 * kept in r and reported by batch_run(), so building code need not check every argument. */
struct batch {
	struct rcmd *v;
	size_t n, alloc;
	int r;
};

static void batch_release(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		for (size_t k = 0; k < b->v[i].n; k++)
			mem_free(b->v[i].argv[k]);
		mem_free(b->v[i].argv);
		mem_free(b->v[i].len);
	}
	mem_free(b->v);
	*b = (struct batch){ 0 };
}

static void batch_arg(struct batch *b, const char *s, size_t len)
{
	struct rcmd *c;
	char *copy;

	if (b->r < 0 || b->n == 0)
		return;
	c = &b->v[b->n - 1];
	if (GROW(c->argv, c->alloc, c->n + 1) < 0 || GROW(c->len, c->alloc_len, c->n + 1) < 0) {
		b->r = -ENOMEM;
		return;
	}
	copy = mem_alloc(len + 1);
	if (!copy) {
		b->r = -ENOMEM;
		return;
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	c->argv[c->n] = copy;
	c->len[c->n++] = len;
}

static void batch_args(struct batch *b, const char *s)
{
	batch_arg(b, s, strlen(s));
}

_printf_(2, 3) static void batch_argf(struct batch *b, const char *fmt, ...)
{
	_cleanup_buf_ struct buf t = BUF_INIT(BUF_MAX_DEFAULT);
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(&t, fmt, ap);
	va_end(ap);
	if (r < 0 && b->r >= 0)
		b->r = r;
	batch_arg(b, t.buf, t.len);
}

static void batch_cmd(struct batch *b, const char *name)
{
	if (b->r < 0)
		return;
	if (GROW(b->v, b->alloc, b->n + 1) < 0) {
		b->r = -ENOMEM;
		return;
	}
	b->v[b->n++] = (struct rcmd){ 0 };
	batch_args(b, name);
}

struct replies {
	redisReply **v;
	size_t n;
};

static void replies_release(struct replies *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		reply_free(rs->v[i]);
	mem_free(rs->v);
	*rs = (struct replies){ 0 };
}

/* The context failed (read, write, timeout, EOF): hiredis cannot use it any more. */
static int io_error(struct redis_conn *rc)
{
	const char *msg = rc->rc->errstr[0] ? rc->rc->errstr : "connection lost";
	int r = -ECONNRESET;

	rc->base.broken = true;
	if (rc->rc->err == REDIS_ERR_IO &&
	    (strstr(msg, "temporarily unavailable") || strstr(msg, "timed out")))
		r = -ETIMEDOUT;
	else if (rc->rc->err == REDIS_ERR_OOM)
		r = -ENOMEM;
	return set_error(rc, r, "%s", msg);
}

/* Send every command of b, then read one reply per command into *ret (new). An error reply is
 * a reply, not a failure; the caller looks at it. */
static int batch_run(struct redis_conn *rc, const struct batch *b, struct replies *ret)
{
	_cleanup_(replies_release) struct replies rs = { 0 };

	if (b->r < 0)
		return b->r;
	if (rc->base.broken || !rc->rc)
		return set_error(rc, -ECONNRESET, "%s", "the connection was lost");
	rs.v = new0(redisReply *, b->n + 1);
	if (!rs.v)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++)
		if (redisAppendCommandArgv(rc->rc, (int)b->v[i].n, (const char **)b->v[i].argv,
					   b->v[i].len) != REDIS_OK) {
			/* the output buffer holds part of the batch: the session is unusable */
			rc->base.broken = true;
			return set_error(rc, -ENOMEM, "%s", "out of memory");
		}
	for (size_t i = 0; i < b->n; i++) {
		void *reply = NULL;
		if (redisGetReply(rc->rc, &reply) != REDIS_OK || !reply)
			return io_error(rc);
		rs.v[rs.n++] = reply;
	}
	*ret = rs;
	rs = (struct replies){ 0 };
	return 0;
}

/* An error reply as -EIO with the server's text; 0 otherwise. */
static int reply_check(struct redis_conn *rc, const redisReply *r)
{
	if (r->type != REDIS_REPLY_ERROR)
		return 0;
	if (startswith(r->str, "LOADING") || startswith(r->str, "BUSY"))
		return set_error(rc, -EAGAIN, "%s", r->str);
	return set_error(rc, -EIO, "%s", r->str);
}

static int replies_check(struct redis_conn *rc, const struct replies *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		int r = reply_check(rc, rs->v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One command of b, run alone, its reply checked. */
static int run_checked(struct redis_conn *rc, const struct batch *b)
{
	_cleanup_(replies_release) struct replies rs = { 0 };
	int r = batch_run(rc, b, &rs);

	return r < 0 ? r : replies_check(rc, &rs);
}

/* Drop the WATCHes of an optimistic step that stops before EXEC. */
static void unwatch(struct redis_conn *rc)
{
	_cleanup_(batch_release) struct batch b = { 0 };
	char saved[sizeof(rc->err)];

	memcpy(saved, rc->err, sizeof(saved));
	batch_cmd(&b, "UNWATCH");
	(void)run_checked(rc, &b);
	memcpy(rc->err, saved, sizeof(saved));
}

/* ---- connections ---------------------------------------------------------------------------- */

static struct timeval timeval_from_usec(usec_t t)
{
	return (struct timeval){ .tv_sec = (time_t)(t / USEC_PER_SEC),
				 .tv_usec = (suseconds_t)(t % USEC_PER_SEC) };
}

static int redis_connect(struct conn *c, const void *cfgp, usec_t timeout)
{
	struct redis_conn *rc = redis_conn_cast(c);
	const struct redis_config *cfg = cfgp;
	_cleanup_(batch_release) struct batch b = { 0 };
	_cleanup_(replies_release) struct replies rs = { 0 };
	int r;

	rc->cfg = cfg;
	if (timeout == 0 || timeout == USEC_INFINITY)
		rc->rc = redisConnect(cfg->host, cfg->port);
	else
		rc->rc = redisConnectWithTimeout(cfg->host, cfg->port, timeval_from_usec(timeout));
	if (!rc->rc)
		return set_error(rc, -ENOMEM, "%s", "out of memory");
	if (rc->rc->err) {
		r = strstr(rc->rc->errstr, "timed out") ? -ETIMEDOUT : -ECONNREFUSED;
		(void)set_error(rc, r, "%s:%d: %s", cfg->host, cfg->port, rc->rc->errstr);
		goto fail;
	}
	if (redisSetTimeout(rc->rc, timeval_from_usec(REDIS_COMMAND_TIMEOUT_SEC * USEC_PER_SEC)) !=
	    REDIS_OK) {
		r = set_error(rc, -ECONNREFUSED, "%s", rc->rc->errstr);
		goto fail;
	}
	if (cfg->password) {
		batch_cmd(&b, "AUTH");
		if (cfg->user)
			batch_args(&b, cfg->user);
		batch_args(&b, cfg->password);
	}
	if (cfg->db) {
		batch_cmd(&b, "SELECT");
		batch_argf(&b, "%ld", cfg->db);
	}
	batch_cmd(&b, "CLIENT");
	batch_args(&b, "SETNAME");
	batch_args(&b, "persistd");
	r = batch_run(rc, &b, &rs);
	if (r >= 0)
		r = replies_check(rc, &rs);
	if (r < 0) {
		/* a refused login or a bad database number make the store unusable (503); the
		 * text says which */
		r = r == -ETIMEDOUT ? r : -ECONNREFUSED;
		goto fail;
	}
	rc->base.broken = false;
	return 0;
fail:
	redisFree(rc->rc);
	rc->rc = NULL;
	return r;
}

static void redis_disconnect(struct conn *c)
{
	struct redis_conn *rc = redis_conn_cast(c);

	if (rc->rc)
		redisFree(rc->rc);
	rc->rc = NULL;
}

static int redis_ping(struct conn *c, usec_t timeout)
{
	struct redis_conn *rc = redis_conn_cast(c);
	_cleanup_(batch_release) struct batch b = { 0 };

	(void)timeout;
	batch_cmd(&b, "PING");
	return run_checked(rc, &b);
}

static int redis_reset(struct conn *c)
{
	struct redis_conn *rc = redis_conn_cast(c);

	if (c->broken || !rc->rc || rc->rc->err) {
		c->broken = true;
		return -ECONNRESET;
	}
	rc->err[0] = '\0';
	return 0;
}

static const char *redis_last_error(const struct conn *c)
{
	assert(c->ops == &redis_ops);
	return ((const struct redis_conn *)c)->err;
}

/* ---- value texts (runtime.md §5.2) ---------------------------------------------------------- */

/* Java's Double.toString (Ballerina's float toString): the shortest digits that read back,
 * plain between 10^-3 and 10^7 ("6.0", "0.001"), else "1.5E-7", "1.0E10". */
static int add_java_double(struct buf *b, double v)
{
	char e[48], digits[24];
	int nd = 0, exp;
	double a = fabs(v);
	const char *p;
	int r;

	if (isnan(v))
		return buf_adds(b, "NaN");
	if (isinf(v))
		return buf_adds(b, v < 0 ? "-Infinity" : "Infinity");
	if (v == 0)
		return buf_adds(b, signbit(v) ? "-0.0" : "0.0");
	for (int prec = 1; prec <= 17; prec++) {
		(void)snprintf(e, sizeof(e), "%.*e", prec - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	p = e + (*e == '-');
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *p;
	exp = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	r = v < 0 ? buf_addc(b, '-') : 0;
	if (r >= 0 && a >= 1e-3 && a < 1e7) {
		if (exp >= 0) {
			for (int i = 0; r >= 0 && i <= exp; i++)
				r = buf_addc(b, i < nd ? digits[i] : '0');
			if (r >= 0)
				r = buf_addc(b, '.');
			if (r >= 0)
				r = nd > exp + 1
					    ? buf_add(b, digits + exp + 1, (size_t)(nd - exp - 1))
					    : buf_addc(b, '0');
		} else {
			r = buf_adds(b, "0.");
			if (r >= 0)
				r = buf_addch(b, '0', (size_t)(-exp - 1));
			if (r >= 0)
				r = buf_add(b, digits, (size_t)nd);
		}
		return r;
	}
	if (r >= 0)
		r = buf_addc(b, digits[0]);
	if (r >= 0)
		r = buf_addc(b, '.');
	if (r >= 0)
		r = nd > 1 ? buf_add(b, digits + 1, (size_t)(nd - 1)) : buf_addc(b, '0');
	if (r >= 0)
		r = buf_addf(b, "E%d", exp);
	return r;
}

/* Parse up to max digits at *p into *ret; false without any. */
static bool take_number(const char **p, long *ret, int max)
{
	long v = 0;
	int n = 0;

	while (**p >= '0' && **p <= '9' && n < max) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*ret = v;
	return n > 0;
}

/* A fraction's digits without trailing zeros: ".25" of ".2500"; "" for ".000". */
static size_t fraction_len(const char *frac)
{
	size_t n = strspn(frac, "0123456789");

	while (n > 0 && frac[n - 1] == '0')
		n--;
	return n;
}

/* Seconds of a canonical "SS[.f]" as Ballerina's decimal text: unpadded, no trailing zeros. */
static int add_seconds(struct buf *b, const char *s, bool pad)
{
	long sec = (s[0] - '0') * 10 + (s[1] - '0');
	size_t fl = s[2] == '.' ? fraction_len(s + 3) : 0;
	int r = buf_addf(b, pad ? "%02ld" : "%ld", sec);

	if (r >= 0 && fl)
		r = buf_addf(b, ".%.*s", (int)fl, s + 3);
	return r;
}

/* A canonical JSON value as the hash field text upstream writes (and the key part text). */
static int add_value_text(struct buf *b, const struct conn_column *col, const json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;

	switch (col->type) {
	case CONN_TYPE_INT:
		return buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case CONN_TYPE_FLOAT:
		return add_java_double(b, json_number_value(v));
	case CONN_TYPE_BOOLEAN:
		return buf_adds(b, json_is_true(v) ? "true" : "false");
	case CONN_TYPE_DATE: {
		/* YYYY-MM-DD → D-M-YYYY, unpadded */
		long y, m, d;
		const char *p = s;
		if (!take_number(&p, &y, 4) || *p++ != '-' || !take_number(&p, &m, 2) ||
		    *p++ != '-' || !take_number(&p, &d, 2))
			return -EINVAL;
		return buf_addf(b, "%ld-%ld-%ld", d, m, y);
	}
	case CONN_TYPE_TIME_OF_DAY: {
		/* HH:MM:SS[.f] → H:M:S[.f] */
		long h, mi;
		const char *p = s;
		int r;
		if (!take_number(&p, &h, 2) || *p++ != ':' || !take_number(&p, &mi, 2) ||
		    *p++ != ':')
			return -EINVAL;
		r = buf_addf(b, "%ld:%ld:", h, mi);
		return r < 0 ? r : add_seconds(b, p, false);
	}
	case CONN_TYPE_CIVIL: {
		/* YYYY-MM-DDTHH:MM:SS[.f] → <year unpadded>-MM-DDTHH:MM:SS[.f], always with
		 * seconds (§5.2, §9 #15) */
		long y;
		const char *p = s;
		int r;
		if (!take_number(&p, &y, 4) || strlen(p) < 15)
			return -EINVAL;
		r = buf_addf(b, "%ld%.*s", y, 13, p);
		return r < 0 ? r : add_seconds(b, p + 13, true);
	}
	case CONN_TYPE_UTC: {
		/* the fraction only when it is not zero */
		const char *dot = strchr(s, '.');
		size_t fl;
		int r;
		if (!dot)
			return buf_adds(b, s);
		fl = fraction_len(dot + 1);
		r = buf_add(b, s, (size_t)(dot - s) + (fl ? fl + 1 : 0));
		return r < 0 ? r : buf_addc(b, 'Z');
	}
	case CONN_TYPE_OTHER: {
		_cleanup_free_ char *dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		return dump ? buf_adds(b, dump) : -ENOMEM;
	}
	default:
		/* decimal (canonical plain text), string, enum value, byte[] as base64 (upstream
		 * has no byte[] for Redis) */
		return s ? buf_add(b, s, json_string_length(v)) : -EINVAL;
	}
}

/* time:TimeOfDay text "H:M[:S[.f]]" (padded or not) as canonical "HH:MM:SS[.f]" in b. */
static int add_canonical_time(struct buf *b, const char **pp)
{
	const char *p = *pp, *frac = "";
	long h, mi, sec = 0;
	size_t fl = 0;
	int r;

	if (!take_number(&p, &h, 2) || *p++ != ':' || !take_number(&p, &mi, 2))
		return -EINVAL;
	if (*p == ':') {
		p++;
		if (!take_number(&p, &sec, 2))
			return -EINVAL;
		if (*p == '.') {
			frac = ++p;
			fl = strspn(p, "0123456789");
			p += fl;
		}
	}
	r = buf_addf(b, "%02ld:%02ld:%02ld", h, mi, sec);
	if (r >= 0 && fl)
		r = buf_addf(b, ".%.*s", (int)fl, frac);
	*pp = p;
	return r;
}

/* A stored text as the canonical JSON value of col (*ret new). -EIO when it does not parse as
 * that type (text in rc->err). */
static int value_from_text(struct redis_conn *rc, const struct conn_column *col, const char *s,
			   size_t len, json_t **ret)
{
	_cleanup_buf_ struct buf t = BUF_INIT(BUF_MAX_DEFAULT);
	json_auto_t *v = NULL;
	const char *p = s;
	int r = 0;

	switch (col->type) {
	case CONN_TYPE_INT: {
		int64_t x;
		if (safe_atoi64(s, &x) < 0)
			goto bad;
		v = json_integer(x);
		break;
	}
	case CONN_TYPE_FLOAT: {
		char *end;
		double d = strtod(s, &end);
		if (!*s || *end || !isfinite(d))
			goto bad;
		v = json_real(d);
		break;
	}
	case CONN_TYPE_BOOLEAN:
		if (strcasecmp(s, "true") == 0)
			v = json_true();
		else if (strcasecmp(s, "false") == 0)
			v = json_false();
		else
			goto bad;
		break;
	case CONN_TYPE_DATE: {
		/* D-M-YYYY as upstream writes it; YYYY-MM-DD accepted too */
		long a, m, c;
		if (!take_number(&p, &a, 9) || *p++ != '-' || !take_number(&p, &m, 2) ||
		    *p++ != '-' || !take_number(&p, &c, 9) || *p)
			goto bad;
		r = strcspn(s, "-") > 2 ? buf_addf(&t, "%04ld-%02ld-%02ld", a, m, c)
					: buf_addf(&t, "%04ld-%02ld-%02ld", c, m, a);
		break;
	}
	case CONN_TYPE_TIME_OF_DAY:
		r = add_canonical_time(&t, &p);
		if (r == -EINVAL || (r >= 0 && *p))
			goto bad;
		break;
	case CONN_TYPE_CIVIL: {
		/* <year>-<M>-<D>T<h>:<m>:<s>[(+|-)hh:mm:ss][(<zone>)]; the offset is dropped, as
		 * a Civil without offset is what the API carries (SQL stores drop it too) */
		long y, m, d;
		if (!take_number(&p, &y, 9) || *p++ != '-' || !take_number(&p, &m, 2) ||
		    *p++ != '-' || !take_number(&p, &d, 2) || (*p != 'T' && *p != 't'))
			goto bad;
		p++;
		r = buf_addf(&t, "%04ld-%02ld-%02ldT", y, m, d);
		if (r >= 0)
			r = add_canonical_time(&t, &p);
		if (r == -EINVAL ||
		    (r >= 0 && *p && *p != '+' && *p != '-' && *p != 'Z' && *p != 'z' && *p != '('))
			goto bad;
		break;
	}
	case CONN_TYPE_UTC:
		r = buf_add(&t, s, len);
		break;
	case CONN_TYPE_OTHER: {
		json_error_t je;
		v = json_loadb(s, len, JSON_DECODE_ANY, &je);
		if (!v)
			v = json_stringn(s, len);
		break;
	}
	default:
		/* decimal text, string, enum value, base64 */
		r = buf_add(&t, s, len);
		break;
	}
	if (r < 0)
		return r;
	if (!v) {
		/* jansson refuses text that is not UTF-8 */
		v = json_stringn(t.buf, t.len);
		if (!v)
			goto bad;
	}
	r = conn_value_normalize(col, v, ret, NULL, 0);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		goto bad;
	return 0;
bad:
	return set_error(rc, -EIO, "field '%s': cannot read the stored value '%.*s'", col->name,
			 (int)MIN(len, 200), s);
}

/* ---- keys ----------------------------------------------------------------------------------- */

/* The key values of rec (in e's key order) joined with ':' (§5.1). */
static int add_key_suffix(struct buf *b, const struct conn_columns *cols, const struct entity *e,
			  const json_t *rec)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < e->n_keys; i++) {
		const struct conn_column *c = conn_columns_find(cols, e->keys[i]->bare_name);
		const json_t *v = c ? json_object_get(rec, c->name) : NULL;
		if (!v || json_is_null(v))
			return -EINVAL;
		if (i)
			r = buf_addc(b, ':');
		if (r >= 0)
			r = add_value_text(b, c, v);
	}
	return r;
}

/* "<Entity>:<suffix>", new. */
static int record_key(const struct conn_columns *cols, const struct entity *e, const json_t *rec,
		      char **ret)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	int r = buf_addf(&b, "%s:", e->bare_name);

	if (r >= 0)
		r = add_key_suffix(&b, cols, e, rec);
	if (r < 0)
		return r;
	*ret = buf_detach(&b, NULL);
	return *ret ? 0 : -ENOMEM;
}

/* The column of cols that holds the foreign key rk. */
static const struct conn_column *fk_column(const struct conn_columns *cols,
					   const struct relation_key *rk)
{
	for (size_t i = 0; i < cols->n; i++)
		if (cols->v[i].fk == rk)
			return &cols->v[i];
	return NULL;
}

/* For an owner-side relation of e: the parent's key "<Ref>:<fk values>" into *ret_parent and
 * its set "<parent key>:<ref field>" into *ret_set (NULL when the parent has no field for it).
 * 0 when rec holds the whole foreign key, 1 when part of it is absent (no parent). */
static int relation_keys(const struct conn_columns *cols, const struct relation *rel,
			 const json_t *rec, char **ret_parent, char **ret_set)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	int r = buf_addf(&b, "%s:", rel->ref->bare_name);

	*ret_parent = *ret_set = NULL;
	for (size_t k = 0; r >= 0 && k < rel->n_keys; k++) {
		const struct conn_column *c = fk_column(cols, &rel->keys[k]);
		const json_t *v = c ? json_object_get(rec, c->name) : NULL;
		if (!v || json_is_null(v))
			return 1;
		if (k)
			r = buf_addc(&b, ':');
		if (r >= 0)
			r = add_value_text(&b, c, v);
	}
	if (r < 0)
		return r;
	*ret_parent = mem_strdup(b.buf);
	if (!*ret_parent)
		return -ENOMEM;
	if (rel->ref_field) {
		r = buf_addf(&b, ":%s", rel->ref_field->bare_name);
		if (r >= 0)
			*ret_set = buf_detach(&b, NULL);
		if (r < 0 || !*ret_set) {
			*ret_parent = mem_freep_impl(*ret_parent);
			return r < 0 ? r : -ENOMEM;
		}
	}
	return 0;
}

static bool is_owner_relation(const struct entity *e, const struct relation *rel)
{
	return rel->owner == e && rel->owner_field && rel->ref &&
	       rel->kind != RELATION_MANY_TO_MANY;
}

static int not_found(struct redis_conn *rc, const struct entity *e, const char *key)
{
	return set_error(rc, -ENOENT,
			 "A record with the key '%s' does not exist for the entity '%s'.", key,
			 e->bare_name);
}

static int association_failed(struct redis_conn *rc, const struct entity *e,
			      const struct relation *rel)
{
	return set_error(rc, -ECONSTRAINT,
			 "An association constraint failed between entities '%s' and '%s'",
			 e->bare_name, rel->ref->bare_name);
}

/* Keys in a JSON object used as an ordered set. */
static int key_set_add(json_t *set, const char *key)
{
	if (json_object_get(set, key))
		return 0;
	return json_object_set_new(set, key, json_true()) < 0 ? -ENOMEM : 1;
}

/* The record in an HMGET reply of every column of cols (*ret new; NULL when every value is
 * nil: no record). Absent values are left out, nillable ones read as null. */
static int record_from_reply(struct redis_conn *rc, const struct conn_columns *cols,
			     const redisReply *reply, const char *key, json_t **ret)
{
	json_auto_t *rec = NULL;
	bool any = false;

	*ret = NULL;
	if (reply->type == REDIS_REPLY_ERROR) {
		/* a key of another type: no record of this entity lives there */
		if (startswith(reply->str, "WRONGTYPE"))
			return 0;
		return reply_check(rc, reply);
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != cols->n)
		return set_error(rc, -EIO, "unexpected reply to HMGET %s", key);
	for (size_t i = 0; i < cols->n; i++)
		any = any || reply->element[i]->type == REDIS_REPLY_STRING;
	if (!any)
		return 0;
	rec = json_object();
	if (!rec)
		return -ENOMEM;
	for (size_t i = 0; i < cols->n; i++) {
		const redisReply *el = reply->element[i];
		const struct conn_column *c = &cols->v[i];
		json_t *v = NULL;
		int r;
		if (el->type != REDIS_REPLY_STRING) {
			if (c->field && c->field->type.nillable &&
			    json_object_set_new(rec, c->name, json_null()) < 0)
				return -ENOMEM;
			continue;
		}
		r = value_from_text(rc, c, el->str, el->len, &v);
		if (r == -EIO) {
			char saved[sizeof(rc->err)];
			memcpy(saved, rc->err, sizeof(saved));
			return set_error(rc, r, "%s: %s", key, saved);
		}
		if (r < 0)
			return r;
		if (json_object_set_new(rec, c->name, v) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(rec);
	return 0;
}

static void batch_hmget(struct batch *b, const struct conn_columns *cols, const char *key)
{
	batch_cmd(b, "HMGET");
	batch_args(b, key);
	for (size_t i = 0; i < cols->n; i++)
		batch_args(b, cols->v[i].name);
}

static void batch_expire(struct batch *b, const struct redis_config *cfg, const char *key)
{
	batch_cmd(b, "EXPIRE");
	batch_args(b, key);
	batch_argf(b, "%lld", (long long)cfg->max_age);
}

/* Cache mode after reading records: a fresh TTL on each hash, and each record added back to
 * its parents' sets (as its suffix) with a fresh TTL there too (§5.7). */
static int touch_records(struct redis_conn *rc, const struct entity *e,
			 const struct conn_columns *cols, json_t *const *recs,
			 const char *const *keys, size_t n)
{
	_cleanup_(batch_release) struct batch b = { 0 };
	_cleanup_(replies_release) struct replies rs = { 0 };
	int r;

	if (rc->cfg->max_age <= 0 || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const char *suffix = keys[i] + strlen(e->bare_name) + 1;
		batch_expire(&b, rc->cfg, keys[i]);
		for (size_t k = 0; k < e->n_relations; k++) {
			const struct relation *rel = e->relations[k];
			_cleanup_free_ char *parent = NULL, *set = NULL;
			if (!is_owner_relation(e, rel))
				continue;
			r = relation_keys(cols, rel, recs[i], &parent, &set);
			if (r < 0)
				return r;
			if (r > 0 || !set)
				continue;
			batch_cmd(&b, "SADD");
			batch_args(&b, set);
			batch_args(&b, suffix);
			batch_expire(&b, rc->cfg, set);
		}
	}
	r = batch_run(rc, &b, &rs);
	return r < 0 ? r : replies_check(rc, &rs);
}

/* ---- reads ---------------------------------------------------------------------------------- */

/* The columns of e and the hash key of the record with key, checked (*cols and *ret_key to
 * release). */
static int read_key(struct redis_conn *rc, const struct entity *e, const json_t *key,
		    struct conn_columns *cols, char **ret_key)
{
	json_auto_t *kobj = NULL;
	int r = conn_columns_get(e, cols);

	if (r >= 0)
		r = conn_key_check(cols, e, key, &kobj, rc->err, sizeof(rc->err));
	return r < 0 ? r : record_key(cols, e, kobj, ret_key);
}

static int redis_read(struct conn *c, const struct entity *e, const json_t *key, json_t **ret_rec)
{
	struct redis_conn *rc = redis_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_(batch_release) struct batch b = { 0 };
	_cleanup_(replies_release) struct replies rs = { 0 };
	_cleanup_free_ char *k = NULL;
	json_auto_t *rec = NULL;
	int r;

	r = read_key(rc, e, key, &cols, &k);
	if (r < 0)
		return r;
	batch_hmget(&b, &cols, k);
	r = batch_run(rc, &b, &rs);
	if (r < 0)
		return r;
	r = record_from_reply(rc, &cols, rs.v[0], k, &rec);
	if (r < 0)
		return r;
	if (!rec)
		return not_found(rc, e, k);
	r = touch_records(rc, e, &cols, &rec, (const char *const *)&k, 1);
	if (r < 0)
		return r;
	*ret_rec = TAKE_PTR(rec);
	return 0;
}

/* The canonical values a filter of p allows on column col when it is eq or in (borrowed array),
 * NULL when no such filter exists. */
static const json_t *filter_values(const struct query_plan *p, size_t col)
{
	for (size_t i = 0; i < p->n_filters; i++)
		if (p->filters[i].col == col &&
		    (p->filters[i].op == QUERY_EQ || p->filters[i].op == QUERY_IN))
			return p->filters[i].values;
	return NULL;
}

/* Every combination of the value lists of cols[0..n) as "<prefix><v1>:<v2>...<suffix>" into
 * out (an array of strings). -E2BIG past REDIS_MAX_DIRECT combinations. */
static int key_combinations(const struct conn_column *const *cols, const json_t *const *lists,
			    size_t n, const char *prefix, const char *suffix, json_t *out)
{
	size_t total = 1, idx[16] = { 0 };

	if (n > ELEMENTSOF(idx))
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		total *= MAX(json_array_size(lists[i]), (size_t)1);
		if (json_array_size(lists[i]) == 0)
			return 0;
		if (total > REDIS_MAX_DIRECT)
			return -E2BIG;
	}
	for (size_t t = 0; t < total; t++) {
		_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
		int r = buf_adds(&b, prefix);
		for (size_t i = 0; r >= 0 && i < n; i++) {
			if (i)
				r = buf_addc(&b, ':');
			if (r >= 0)
				r = add_value_text(&b, cols[i], json_array_get(lists[i], idx[i]));
		}
		if (r >= 0)
			r = buf_adds(&b, suffix);
		if (r < 0)
			return r;
		if (json_array_append_new(out, json_stringn(b.buf, b.len)) < 0)
			return -ENOMEM;
		for (size_t i = n; i-- > 0;) {
			if (++idx[i] < json_array_size(lists[i]))
				break;
			idx[i] = 0;
		}
	}
	return 0;
}

/* Candidate record keys for p without a scan: from eq/in filters on every key field, or on
 * every foreign key of a relation whose parent keeps a set (then the sets' members). Keys go to
 * the object keys (used as a set). 1 when found that way, 0 when the caller must scan. */
static int direct_keys(struct redis_conn *rc, const struct query_plan *p, json_t *keys)
{
	const struct entity *e = p->e;
	const struct conn_column *cols[16];
	const json_t *lists[16];
	_cleanup_free_ char *prefix = NULL;
	json_auto_t *found = json_array();
	size_t i, n = 0;
	json_t *v;
	int r;

	if (!found)
		return -ENOMEM;
	if (e->n_keys <= ELEMENTSOF(cols)) {
		for (n = 0; n < e->n_keys; n++) {
			const struct conn_column *c =
				conn_columns_find(&p->cols, e->keys[n]->bare_name);
			if (!c || !(lists[n] = filter_values(p, (size_t)(c - p->cols.v))))
				break;
			cols[n] = c;
		}
	}
	if (e->n_keys > 0 && n == e->n_keys) {
		prefix = mem_alloc(strlen(e->bare_name) + 2);
		if (!prefix)
			return -ENOMEM;
		(void)snprintf(prefix, strlen(e->bare_name) + 2, "%s:", e->bare_name);
		r = key_combinations(cols, lists, n, prefix, "", found);
		if (r == -E2BIG)
			return 0;
		if (r < 0)
			return r;
		json_array_foreach(found, i, v) {
			r = key_set_add(keys, json_string_value(v));
			if (r < 0)
				return r;
		}
		return 1;
	}
	for (size_t k = 0; k < e->n_relations; k++) {
		const struct relation *rel = e->relations[k];
		_cleanup_(batch_release) struct batch b = { 0 };
		_cleanup_(replies_release) struct replies rs = { 0 };
		_cleanup_free_ char *set_prefix = NULL, *set_suffix = NULL;

		if (!is_owner_relation(e, rel) || !rel->ref_field || rel->n_keys > ELEMENTSOF(cols))
			continue;
		for (n = 0; n < rel->n_keys; n++) {
			const struct conn_column *c = fk_column(&p->cols, &rel->keys[n]);
			if (!c || !(lists[n] = filter_values(p, (size_t)(c - p->cols.v))))
				break;
			cols[n] = c;
		}
		if (n != rel->n_keys || n == 0)
			continue;
		set_prefix = mem_alloc(strlen(rel->ref->bare_name) + 2);
		set_suffix = mem_alloc(strlen(rel->ref_field->bare_name) + 2);
		if (!set_prefix || !set_suffix)
			return -ENOMEM;
		(void)snprintf(set_prefix, strlen(rel->ref->bare_name) + 2,
			       "%s:", rel->ref->bare_name);
		(void)snprintf(set_suffix, strlen(rel->ref_field->bare_name) + 2, ":%s",
			       rel->ref_field->bare_name);
		r = key_combinations(cols, lists, n, set_prefix, set_suffix, found);
		if (r == -E2BIG) {
			json_array_clear(found);
			continue;
		}
		if (r < 0)
			return r;
		/* the parent side's view: only the set (§5.3) */
		json_array_foreach(found, i, v) {
			batch_cmd(&b, "SMEMBERS");
			batch_args(&b, json_string_value(v));
			if (rc->cfg->max_age > 0)
				batch_expire(&b, rc->cfg, json_string_value(v));
		}
		r = batch_run(rc, &b, &rs);
		if (r < 0)
			return r;
		for (size_t s = 0; s < rs.n; s++) {
			const redisReply *m = rs.v[s];
			if (m->type == REDIS_REPLY_ERROR && startswith(m->str, "WRONGTYPE"))
				continue;
			r = reply_check(rc, m);
			if (r < 0)
				return r;
			if (m->type != REDIS_REPLY_ARRAY)
				continue;
			for (size_t j = 0; j < m->elements; j++) {
				_cleanup_buf_ struct buf kb = BUF_INIT(BUF_MAX_DEFAULT);
				if (m->element[j]->type != REDIS_REPLY_STRING)
					continue;
				r = buf_addf(&kb, "%s:", e->bare_name);
				if (r >= 0)
					r = buf_add(&kb, m->element[j]->str, m->element[j]->len);
				if (r < 0)
					return r;
				r = key_set_add(keys, kb.buf);
				if (r < 0)
					return r;
			}
		}
		return 1;
	}
	return 0;
}

/* Pattern characters in a SCAN MATCH argument escaped. */
static int add_glob_escaped(struct buf *b, const char *s)
{
	int r = 0;

	for (; r >= 0 && *s; s++) {
		if (strchr("*?[]\\", *s))
			r = buf_addc(b, '\\');
		if (r >= 0)
			r = buf_addc(b, *s);
	}
	return r;
}

/* Every hash key "<Entity>:<suffix>" whose suffix has as many ':'-parts as e has key fields
 * (so relation sets and other hashes under the prefix stay out; §5.3, §9 #12). */
static int scan_keys(struct redis_conn *rc, const struct entity *e, json_t *keys)
{
	_cleanup_buf_ struct buf pattern = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_free_ char *cursor = mem_strdup("0");
	size_t prefix = strlen(e->bare_name) + 1;
	int r;

	if (!cursor)
		return -ENOMEM;
	r = add_glob_escaped(&pattern, e->bare_name);
	if (r >= 0)
		r = buf_adds(&pattern, ":*");
	if (r < 0)
		return r;
	do {
		_cleanup_(batch_release) struct batch b = { 0 };
		_cleanup_(replies_release) struct replies rs = { 0 };
		const redisReply *reply, *list;

		batch_cmd(&b, "SCAN");
		batch_args(&b, cursor);
		batch_args(&b, "MATCH");
		batch_args(&b, pattern.buf);
		batch_args(&b, "COUNT");
		batch_args(&b, "1000");
		batch_args(&b, "TYPE");
		batch_args(&b, "hash");
		r = batch_run(rc, &b, &rs);
		if (r >= 0)
			r = replies_check(rc, &rs);
		if (r < 0)
			return r;
		reply = rs.v[0];
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY)
			return set_error(rc, -EIO, "%s", "unexpected reply to SCAN");
		list = reply->element[1];
		for (size_t i = 0; i < list->elements; i++) {
			const redisReply *k = list->element[i];
			size_t colons = 0;
			if (k->type != REDIS_REPLY_STRING || k->len <= prefix ||
			    strlen(k->str) != k->len)
				continue;
			for (size_t j = prefix; j < k->len; j++)
				colons += k->str[j] == ':';
			if (colons + 1 != MAX(e->n_keys, (size_t)1))
				continue;
			r = key_set_add(keys, k->str);
			if (r < 0)
				return r;
		}
		mem_free(cursor);
		cursor = mem_strdup(reply->element[0]->str);
		if (!cursor)
			return -ENOMEM;
	} while (!streq(cursor, "0"));
	return 0;
}

/* The records at keys (an object used as a set) that exist, hold every key field and match
 * p's filters, into rows. */
static int fetch_records(struct redis_conn *rc, const struct query_plan *p, json_t *keys,
			 json_t *rows)
{
	const struct entity *e = p->e;
	size_t n = json_object_size(keys), done = 0;
	_cleanup_free_ const char **names = new0(const char *, n + 1);
	const char *name;
	json_t *v;

	if (!names)
		return -ENOMEM;
	json_object_foreach(keys, name, v)
		names[done++] = name;
	for (size_t start = 0; start < n; start += REDIS_FETCH_BATCH) {
		_cleanup_(batch_release) struct batch b = { 0 };
		_cleanup_(replies_release) struct replies rs = { 0 };
		_cleanup_free_ json_t **found = NULL;
		_cleanup_free_ const char **found_keys = NULL;
		size_t m = MIN((size_t)REDIS_FETCH_BATCH, n - start), nf = 0;
		int r;

		found = new0(json_t *, m + 1);
		found_keys = new0(const char *, m + 1);
		if (!found || !found_keys)
			return -ENOMEM;
		for (size_t i = 0; i < m; i++)
			batch_hmget(&b, &p->cols, names[start + i]);
		r = batch_run(rc, &b, &rs);
		if (r < 0)
			return r;
		for (size_t i = 0; i < m; i++) {
			json_auto_t *rec = NULL;
			bool whole = true;
			r = record_from_reply(rc, &p->cols, rs.v[i], names[start + i], &rec);
			if (r < 0)
				return r;
			if (!rec)
				continue;
			for (size_t k = 0; k < p->cols.n; k++)
				if (p->cols.v[k].key && !json_object_get(rec, p->cols.v[k].name))
					whole = false;
			if (!whole || !query_plan_match(p, rec))
				continue;
			found[nf] = rec;
			found_keys[nf++] = names[start + i];
			if (json_array_append(rows, rec) < 0)
				return -ENOMEM;
		}
		r = touch_records(rc, e, &p->cols, found, found_keys, nf);
		if (r < 0)
			return r;
	}
	return 0;
}

static int redis_query(struct conn *c, const struct entity *e, const struct query *q,
		       json_t **ret_rows)
{
	struct redis_conn *rc = redis_conn_cast(c);
	_cleanup_(query_plan_release) struct query_plan p = { 0 };
	json_auto_t *keys = json_object(), *all = json_array(), *rows = json_array();
	_cleanup_free_ json_t **v = NULL;
	size_t n;
	int r;

	if (!keys || !all || !rows)
		return -ENOMEM;
	r = query_plan_build(e, q, &p, rc->err, sizeof(rc->err));
	if (r < 0)
		return r;
	r = direct_keys(rc, &p, keys);
	if (r == 0)
		r = scan_keys(rc, e, keys);
	if (r < 0)
		return r;
	r = fetch_records(rc, &p, keys, all);
	if (r < 0)
		return r;
	/* the requested order, then the key: stable pages */
	n = json_array_size(all);
	v = new0(json_t *, n + 1);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(all, i);
	{
		query_plan_sort(&p, v, n);
	}
	for (size_t i = p.offset; i < n && i - p.offset < p.limit; i++)
		if (json_array_append(rows, v[i]) < 0)
			return -ENOMEM;
	r = query_plan_finish_rows(c, &p, rows);
	if (r < 0)
		return r;
	*ret_rows = TAKE_PTR(rows);
	return 0;
}

/* ---- writes --------------------------------------------------------------------------------- */

/* Queue "HSET key field text ..." for the non-null members of rec in metadata order. */
static int batch_hset(struct batch *b, const struct conn_columns *cols, const char *key,
		      const json_t *rec)
{
	_cleanup_buf_ struct buf t = BUF_INIT(BUF_MAX_DEFAULT);
	bool any = false;

	for (size_t i = 0; i < cols->n; i++) {
		const json_t *v = json_object_get(rec, cols->v[i].name);
		int r;
		if (!v || json_is_null(v))
			continue;
		if (!any)
			batch_cmd(b, "HSET");
		if (!any)
			batch_args(b, key);
		any = true;
		buf_reset(&t);
		r = add_value_text(&t, &cols->v[i], v);
		if (r < 0)
			return r;
		batch_args(b, cols->v[i].name);
		batch_arg(b, t.buf, t.len);
	}
	return 0;
}

/* The reply of EXEC at the end of rs: 1 when a watched key changed (nothing was written), 0
 * when every queued command ran. */
static int exec_result(struct redis_conn *rc, const struct replies *rs)
{
	const redisReply *exec = rs->v[rs->n - 1];
	int r;

	if (exec->type == REDIS_REPLY_NIL)
		return 1;
	for (size_t i = 0; i + 1 < rs->n; i++) {
		r = reply_check(rc, rs->v[i]);
		if (r < 0)
			return r;
	}
	r = reply_check(rc, exec);
	if (r < 0)
		return r;
	if (exec->type != REDIS_REPLY_ARRAY)
		return set_error(rc, -EIO, "%s", "unexpected reply to EXEC");
	for (size_t i = 0; i < exec->elements; i++) {
		r = reply_check(rc, exec->element[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The parent keys and sets the records of an insert link to. */
struct link {
	const struct relation *rel;
	size_t rec; /* index of the record */
	char *parent, *set;
};

struct links {
	struct link *v;
	size_t n, alloc;
};

static void links_release(struct links *l)
{
	for (size_t i = 0; i < l->n; i++) {
		mem_free(l->v[i].parent);
		mem_free(l->v[i].set);
	}
	mem_free(l->v);
	*l = (struct links){ 0 };
}

static int links_add(struct links *l, const struct conn_columns *cols, const struct entity *e,
		     const json_t *rec, size_t idx)
{
	for (size_t k = 0; k < e->n_relations; k++) {
		const struct relation *rel = e->relations[k];
		char *parent = NULL, *set = NULL;
		int r;
		if (!is_owner_relation(e, rel))
			continue;
		r = relation_keys(cols, rel, rec, &parent, &set);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (GROW(l->v, l->alloc, l->n + 1) < 0) {
			mem_free(parent);
			mem_free(set);
			return -ENOMEM;
		}
		l->v[l->n++] =
			(struct link){ .rel = rel, .rec = idx, .parent = parent, .set = set };
	}
	return 0;
}

/* One optimistic insert of recs (normalised, keys[i] their Redis keys): 1 to run again. */
static int create_step(struct redis_conn *rc, const struct entity *e,
		       const struct conn_columns *cols, json_t *const *recs, char *const *keys,
		       size_t n, const struct links *links)
{
	_cleanup_(batch_release) struct batch b = { 0 }, w = { 0 };
	_cleanup_(replies_release) struct replies rs = { 0 }, ws = { 0 };
	json_auto_t *batch_keys = json_object(), *linked = json_object();
	long long existing;
	size_t at;
	int r;

	if (!batch_keys || !linked)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (key_set_add(batch_keys, keys[i]) < 0)
			return -ENOMEM;
	/* check: the keys are free, every parent is a hash, the sets are sets, a 1-1 parent
	 * is not linked yet; WATCHed so that EXEC writes only if nothing changed since */
	batch_cmd(&b, "WATCH");
	for (size_t i = 0; i < n; i++)
		batch_args(&b, keys[i]);
	for (size_t i = 0; i < links->n; i++) {
		batch_args(&b, links->v[i].parent);
		if (links->v[i].set)
			batch_args(&b, links->v[i].set);
	}
	batch_cmd(&b, "EXISTS");
	for (size_t i = 0; i < n; i++)
		batch_args(&b, keys[i]);
	for (size_t i = 0; i < links->n; i++) {
		batch_cmd(&b, "TYPE");
		batch_args(&b, links->v[i].parent);
		if (!links->v[i].set)
			continue;
		batch_cmd(&b, "TYPE");
		batch_args(&b, links->v[i].set);
		batch_cmd(&b, "EXISTS");
		batch_args(&b, links->v[i].set);
	}
	r = batch_run(rc, &b, &rs);
	if (r >= 0)
		r = replies_check(rc, &rs);
	if (r < 0)
		goto out_unwatch;
	existing = rs.v[1]->type == REDIS_REPLY_INTEGER ? rs.v[1]->integer : 0;
	if (existing > 0) {
		r = set_error(rc, -EEXIST,
			      "Record(s) already exist with the same key for the entity '%s'. "
			      "Number of keys exists : %lld",
			      e->bare_name, existing);
		goto out_unwatch;
	}
	at = 2;
	for (size_t i = 0; i < links->n; i++) {
		const struct link *l = &links->v[i];
		const char *ptype = rs.v[at++]->str;
		bool in_batch = l->rel->ref == e && json_object_get(batch_keys, l->parent);
		if (!in_batch && (!ptype || !streq(ptype, "hash"))) {
			r = association_failed(rc, e, l->rel);
			goto out_unwatch;
		}
		if (!l->set)
			continue;
		if (!rs.v[at]->str ||
		    (!streq(rs.v[at]->str, "set") && !streq(rs.v[at]->str, "none"))) {
			r = set_error(rc, -EIO, "key '%s' holds a %s, not a set", l->set,
				      rs.v[at]->str ? rs.v[at]->str : "value");
			goto out_unwatch;
		}
		/* 1-1: the parent is linked already, or twice in this batch */
		if (l->rel->kind == RELATION_ONE_TO_ONE &&
		    (rs.v[at + 1]->integer > 0 || key_set_add(linked, l->set) == 0)) {
			r = association_failed(rc, e, l->rel);
			goto out_unwatch;
		}
		at += 2;
	}
	/* write */
	batch_cmd(&w, "MULTI");
	for (size_t i = 0; i < n; i++) {
		r = batch_hset(&w, cols, keys[i], recs[i]);
		if (r < 0)
			goto out_unwatch;
		if (rc->cfg->max_age > 0)
			batch_expire(&w, rc->cfg, keys[i]);
	}
	for (size_t i = 0; i < links->n; i++) {
		const struct link *l = &links->v[i];
		if (!l->set)
			continue;
		batch_cmd(&w, "SADD");
		batch_args(&w, l->set);
		batch_args(&w, keys[l->rec] + strlen(e->bare_name) + 1);
		if (rc->cfg->max_age > 0)
			batch_expire(&w, rc->cfg, l->set);
	}
	batch_cmd(&w, "EXEC");
	r = batch_run(rc, &w, &ws);
	if (r < 0)
		return r;
	return exec_result(rc, &ws);
out_unwatch:
	unwatch(rc);
	return r;
}

static int redis_create(struct conn *c, const struct entity *e, const json_t *rec, json_t **ret_key)
{
	struct redis_conn *rc = redis_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_(links_release) struct links links = { 0 };
	bool many = json_is_array(rec);
	size_t n = many ? json_array_size(rec) : 1;
	_cleanup_free_ json_t **recs = new0(json_t *, n + 1);
	_cleanup_free_ char **keys = new0(char *, n + 1);
	json_auto_t *seen = json_object(), *out = NULL;
	size_t dup = 0;
	int r;

	if (!recs || !keys || !seen)
		return -ENOMEM;
	r = conn_columns_get(e, &cols);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const json_t *in = many ? json_array_get(rec, i) : rec;
		r = conn_record_check(&cols, e, in, &recs[i], rc->err, sizeof(rc->err));
		if (r < 0) {
			if (many) {
				char saved[sizeof(rc->err)];
				memcpy(saved, rc->err, sizeof(saved));
				(void)set_error(rc, r, "record %zu: %s", i, saved);
			}
			goto out;
		}
		for (size_t k = 0; k < e->n_keys; k++) {
			const json_t *v = json_object_get(recs[i], e->keys[k]->bare_name);
			if (!v) {
				/* @sql:Generated is for SQL stores: Redis has nothing to generate
				 * the value with */
				r = set_error(
					rc, -EINVAL,
					"the record of entity '%s' lacks key field '%s' (Redis "
					"does not generate keys)",
					e->bare_name, e->keys[k]->bare_name);
				goto out;
			}
			if (json_is_string(v) && strchr(json_string_value(v), ':')) {
				r = set_error(
					rc, -EINVAL,
					"key field '%s': a Redis key value cannot contain ':'",
					e->keys[k]->bare_name);
				goto out;
			}
		}
		r = record_key(&cols, e, recs[i], &keys[i]);
		if (r < 0)
			goto out;
		r = key_set_add(seen, keys[i]);
		if (r < 0)
			goto out;
		dup += r == 0;
		r = links_add(&links, &cols, e, recs[i], i);
		if (r < 0)
			goto out;
	}
	if (dup > 0) {
		/* the same key twice in one batch */
		r = set_error(rc, -EEXIST,
			      "Record(s) already exist with the same key for the entity '%s'. "
			      "Number of keys exists : %zu",
			      e->bare_name, dup);
		goto out;
	}
	if (n > 0) {
		for (int attempt = 0;; attempt++) {
			r = create_step(rc, e, &cols, recs, keys, n, &links);
			if (r <= 0)
				break;
			if (attempt + 1 >= REDIS_MAX_ATTEMPTS) {
				r = set_error(rc, -EAGAIN, "%s",
					      "the keys kept changing under concurrent writes");
				break;
			}
		}
		if (r < 0)
			goto out;
	}
	out = many ? json_array() : NULL;
	if (many && !out) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_auto_t *k = json_object();
		if (!k) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t j = 0; j < e->n_keys; j++)
			if (json_object_set(k, e->keys[j]->bare_name,
					    json_object_get(recs[i], e->keys[j]->bare_name)) < 0) {
				r = -ENOMEM;
				goto out;
			}
		if (!many) {
			out = TAKE_PTR(k);
			break;
		}
		if (json_array_append(out, k) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	*ret_key = TAKE_PTR(out);
	r = 0;
out:
	for (size_t i = 0; i < n; i++) {
		json_decref(recs[i]);
		mem_free(keys[i]);
	}
	return r;
}

/* WATCH key and read the stored record (*ret new; NULL when there is none, watch dropped). */
static int watch_and_read(struct redis_conn *rc, const struct conn_columns *cols, const char *key,
			  json_t **ret)
{
	_cleanup_(batch_release) struct batch b = { 0 };
	_cleanup_(replies_release) struct replies rs = { 0 };
	int r;

	batch_cmd(&b, "WATCH");
	batch_args(&b, key);
	batch_hmget(&b, cols, key);
	r = batch_run(rc, &b, &rs);
	if (r >= 0)
		r = reply_check(rc, rs.v[0]);
	if (r >= 0)
		r = record_from_reply(rc, cols, rs.v[1], key, ret);
	if (r < 0 || !*ret)
		unwatch(rc);
	return r;
}

/* One optimistic update: 1 to run again. */
static int update_step(struct redis_conn *rc, const struct entity *e,
		       const struct conn_columns *cols, const char *key, const json_t *patch)
{
	_cleanup_(batch_release) struct batch b = { 0 }, w = { 0 };
	_cleanup_(replies_release) struct replies rs = { 0 }, ws = { 0 };
	_cleanup_(links_release) struct links old = { 0 }, new = { 0 };
	json_auto_t *stored = NULL, *merged = NULL;
	const char *suffix = key + strlen(e->bare_name) + 1;
	const char *name;
	json_t *v;
	size_t at = 0;
	bool any_null = false;
	int r;

	r = watch_and_read(rc, cols, key, &stored);
	if (r < 0)
		return r;
	if (!stored)
		return not_found(rc, e, key);
	if (json_object_size(patch) == 0) {
		unwatch(rc);
		return 0;
	}
	/* the record as it will be: a foreign key changed in part is completed from it */
	merged = json_copy(stored);
	if (!merged || json_object_update(merged, (json_t *)patch) < 0) {
		r = -ENOMEM;
		goto out_unwatch;
	}
	r = links_add(&old, cols, e, stored, 0);
	if (r >= 0)
		r = links_add(&new, cols, e, merged, 0);
	if (r < 0)
		goto out_unwatch;
	/* check the new parents: each a hash, its set a set, a 1-1 parent not linked yet */
	batch_cmd(&b, "WATCH");
	batch_args(&b, key);
	for (size_t i = 0; i < new.n; i++) {
		batch_args(&b, new.v[i].parent);
		if (new.v[i].set)
			batch_args(&b, new.v[i].set);
	}
	for (size_t i = 0; i < new.n; i++) {
		batch_cmd(&b, "TYPE");
		batch_args(&b, new.v[i].parent);
		if (!new.v[i].set)
			continue;
		batch_cmd(&b, "TYPE");
		batch_args(&b, new.v[i].set);
		batch_cmd(&b, "EXISTS");
		batch_args(&b, new.v[i].set);
	}
	r = batch_run(rc, &b, &rs);
	if (r >= 0)
		r = replies_check(rc, &rs);
	if (r < 0)
		goto out_unwatch;
	at = 1;
	for (size_t i = 0; i < new.n; i++) {
		const struct link *l = &new.v[i];
		const char *ptype = rs.v[at++]->str;
		const redisReply *stype = l->set ? rs.v[at] : NULL;
		const redisReply *exists = l->set ? rs.v[at + 1] : NULL;
		bool unchanged = false;

		at += l->set ? 2 : 0;
		for (size_t j = 0; j < old.n; j++)
			if (old.v[j].rel == l->rel && streq(old.v[j].parent, l->parent))
				unchanged = true;
		if (unchanged)
			continue;
		if (!ptype || !streq(ptype, "hash")) {
			r = association_failed(rc, e, l->rel);
			goto out_unwatch;
		}
		if (!stype)
			continue;
		if (!stype->str || (!streq(stype->str, "set") && !streq(stype->str, "none"))) {
			r = set_error(rc, -EIO, "key '%s' holds a %s, not a set", l->set,
				      stype->str ? stype->str : "value");
			goto out_unwatch;
		}
		/* 1-1: another record links to the new parent already */
		if (l->rel->kind == RELATION_ONE_TO_ONE && exists->integer > 0) {
			r = association_failed(rc, e, l->rel);
			goto out_unwatch;
		}
	}
	/* write: the fields, the removed optional ones, then the moved set members */
	batch_cmd(&w, "MULTI");
	r = batch_hset(&w, cols, key, patch);
	if (r < 0)
		goto out_unwatch;
	json_object_foreach((json_t *)patch, name, v)
		any_null = any_null || json_is_null(v);
	if (any_null) {
		batch_cmd(&w, "HDEL");
		batch_args(&w, key);
		json_object_foreach((json_t *)patch, name, v)
			if (json_is_null(v))
				batch_args(&w, name);
	}
	if (rc->cfg->max_age > 0)
		batch_expire(&w, rc->cfg, key);
	for (size_t i = 0; i < old.n; i++) {
		bool kept = false;
		for (size_t j = 0; j < new.n; j++)
			kept = kept || (new.v[j].rel ==
					old.v[i].rel &&streq(new.v[j].parent, old.v[i].parent));
		if (kept || !old.v[i].set)
			continue;
		batch_cmd(&w, "SREM");
		batch_args(&w, old.v[i].set);
		batch_args(&w, suffix);
	}
	for (size_t i = 0; i < new.n; i++) {
		bool kept = false;
		for (size_t j = 0; j < old.n; j++)
			kept = kept || (old.v[j].rel ==
					new.v[i].rel &&streq(old.v[j].parent, new.v[i].parent));
		if (kept || !new.v[i].set)
			continue;
		batch_cmd(&w, "SADD");
		batch_args(&w, new.v[i].set);
		batch_args(&w, suffix);
		if (rc->cfg->max_age > 0)
			batch_expire(&w, rc->cfg, new.v[i].set);
	}
	batch_cmd(&w, "EXEC");
	r = batch_run(rc, &w, &ws);
	if (r < 0)
		return r;
	return exec_result(rc, &ws);
out_unwatch:
	unwatch(rc);
	return r;
}

static int redis_update(struct conn *c, const struct entity *e, const json_t *key,
			const json_t *patch)
{
	struct redis_conn *rc = redis_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_free_ char *k = NULL;
	json_auto_t *kobj = NULL, *in = NULL;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &kobj, rc->err, sizeof(rc->err));
	if (r < 0)
		return r;
	r = conn_patch_check(&cols, e, patch, &in, rc->err, sizeof(rc->err));
	if (r < 0)
		return r;
	r = record_key(&cols, e, kobj, &k);
	if (r < 0)
		return r;
	for (int attempt = 0;; attempt++) {
		r = update_step(rc, e, &cols, k, in);
		if (r <= 0)
			return r;
		if (attempt + 1 >= REDIS_MAX_ATTEMPTS)
			return set_error(rc, -EAGAIN, "%s",
					 "the record kept changing under concurrent writes");
	}
}

/* One optimistic delete: 1 to run again. */
static int remove_step(struct redis_conn *rc, const struct entity *e,
		       const struct conn_columns *cols, const char *key)
{
	_cleanup_(batch_release) struct batch w = { 0 };
	_cleanup_(replies_release) struct replies ws = { 0 };
	_cleanup_(links_release) struct links old = { 0 };
	json_auto_t *stored = NULL;
	int r;

	r = watch_and_read(rc, cols, key, &stored);
	if (r < 0)
		return r;
	if (!stored)
		return not_found(rc, e, key);
	r = links_add(&old, cols, e, stored, 0);
	if (r < 0) {
		unwatch(rc);
		return r;
	}
	/* the record leaves its parents' sets; its own sets empty out with their children
	 * (Redis drops an empty set), children keep their foreign keys as upstream's do */
	batch_cmd(&w, "MULTI");
	for (size_t i = 0; i < old.n; i++) {
		if (!old.v[i].set)
			continue;
		batch_cmd(&w, "SREM");
		batch_args(&w, old.v[i].set);
		batch_args(&w, key + strlen(e->bare_name) + 1);
	}
	batch_cmd(&w, "DEL");
	batch_args(&w, key);
	batch_cmd(&w, "EXEC");
	r = batch_run(rc, &w, &ws);
	if (r < 0)
		return r;
	return exec_result(rc, &ws);
}

static int redis_remove(struct conn *c, const struct entity *e, const json_t *key)
{
	struct redis_conn *rc = redis_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_free_ char *k = NULL;
	json_auto_t *kobj = NULL;
	int r;

	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &kobj, rc->err, sizeof(rc->err));
	if (r < 0)
		return r;
	r = record_key(&cols, e, kobj, &k);
	if (r < 0)
		return r;
	for (int attempt = 0;; attempt++) {
		r = remove_step(rc, e, &cols, k);
		if (r <= 0)
			return r;
		if (attempt + 1 >= REDIS_MAX_ATTEMPTS)
			return set_error(rc, -EAGAIN, "%s",
					 "the record kept changing under concurrent writes");
	}
}

/* ---- pipes ---------------------------------------------------------------------------------- */

/* A read in flight on a pipe: what decoding its HMGET reply needs. */
struct pipe_read {
	void *token;
	const struct entity *e; /* alive while the request that queued it is */
	struct conn_columns cols;
	char *key;
};

struct redis_pipe {
	struct conn_pipe base;
	struct redis_conn conn; /* connected as a pooled one, then non-blocking; err: texts */
	struct fifo q; /* struct pipe_read, in the order their replies come */
};

static struct redis_pipe *redis_pipe_cast(struct conn_pipe *p)
{
	assert(p->ops == &redis_ops);
	return container_of(p, struct redis_pipe, base);
}

static void pipe_read_release(struct pipe_read *r)
{
	conn_columns_release(&r->cols);
	mem_free(r->key);
}

static int redis_pipe_open(const void *cfg, usec_t timeout, struct conn_pipe **ret, char *err,
			   size_t err_size)
{
	struct redis_pipe *p = new0(struct redis_pipe, 1);
	int fl, r;

	if (!p)
		return -ENOMEM;
	p->base.ops = &redis_ops;
	p->conn.base.ops = &redis_ops;
	p->q = (struct fifo)FIFO_INIT(struct pipe_read);
	r = redis_connect(&p->conn.base, cfg, timeout);
	if (r < 0) {
		(void)snprintf(err, err_size, "%s", p->conn.err);
		mem_free(p);
		return r;
	}
	fl = fcntl(p->conn.rc->fd, F_GETFL);
	if (fl < 0 || fcntl(p->conn.rc->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		r = -errno;
		(void)snprintf(err, err_size, "%s", strerror(-r));
		redis_disconnect(&p->conn.base);
		mem_free(p);
		return r;
	}
	/* hiredis then treats EAGAIN as "nothing more now" instead of an error */
	p->conn.rc->flags &= ~REDIS_BLOCK;
	*ret = &p->base;
	return 0;
}

static int redis_pipe_fd(const struct conn_pipe *pb)
{
	const struct redis_pipe *p = (const struct redis_pipe *)(const void *)pb; /* base first */

	return p->conn.rc->fd;
}

static int redis_pipe_read(struct conn_pipe *pb, const struct entity *e, const json_t *key,
			   void *token)
{
	struct redis_pipe *p = redis_pipe_cast(pb);
	struct redis_conn *rc = &p->conn;
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_free_ char *k = NULL;
	_cleanup_free_ const char **argv = NULL;
	_cleanup_free_ size_t *lens = NULL;
	struct pipe_read rd;
	int r;

	/* cache mode refreshes TTLs after each read: a second round trip the pooled path makes */
	if (rc->cfg->max_age > 0)
		return -EOPNOTSUPP;
	r = read_key(rc, e, key, &cols, &k);
	if (r < 0)
		return r;
	argv = new0(const char *, cols.n + 2);
	lens = new0(size_t, cols.n + 2);
	if (!argv || !lens)
		return -ENOMEM;
	argv[0] = "HMGET";
	lens[0] = 5;
	argv[1] = k;
	lens[1] = strlen(k);
	for (size_t i = 0; i < cols.n; i++) {
		argv[i + 2] = cols.v[i].name;
		lens[i + 2] = strlen(cols.v[i].name);
	}
	/* room first: once the command is appended, its entry must go in */
	if (fifo_reserve(&p->q, 1) < 0)
		return -ENOMEM;
	/* formatted whole before it is appended: a failure leaves the output as it was */
	if (redisAppendCommandArgv(rc->rc, (int)(cols.n + 2), argv, lens) != REDIS_OK)
		return -ENOMEM;
	rd = (struct pipe_read){ .token = token, .e = e, .cols = cols, .key = TAKE_PTR(k) };
	cols = (struct conn_columns){ 0 };
	return fifo_push(&p->q, &rd);
}

static int redis_pipe_flush(struct conn_pipe *pb, conn_pipe_done_fn *done, void *userdata)
{
	struct redis_pipe *p = redis_pipe_cast(pb);
	int written = 0;

	(void)done; /* answers come through pipe_input */
	(void)userdata;
	if (redisBufferWrite(p->conn.rc, &written) != REDIS_OK)
		return io_error(&p->conn);
	return written ? 0 : 1;
}

static int redis_pipe_input(struct conn_pipe *pb, conn_pipe_done_fn *done, void *userdata)
{
	struct redis_pipe *p = redis_pipe_cast(pb);
	struct redis_conn *rc = &p->conn;

	if (redisBufferRead(rc->rc) != REDIS_OK)
		return io_error(rc);
	for (;;) {
		_cleanup_(reply_freep) redisReply *reply = NULL;
		struct pipe_read rd;
		json_t *rec = NULL;
		void *v = NULL;
		int r;

		if (redisGetReplyFromReader(rc->rc, &v) != REDIS_OK)
			return io_error(rc);
		if (!v)
			return 0;
		reply = v;
		if (fifo_pop(&p->q, &rd) < 0)
			return set_error(rc, -EIO, "%s", "a reply to no command");
		r = record_from_reply(rc, &rd.cols, reply, rd.key, &rec);
		if (r >= 0 && !rec)
			r = not_found(rc, rd.e, rd.key);
		done(rd.token, r < 0 ? r : 0, rec, r < 0 ? rc->err : NULL, userdata);
		pipe_read_release(&rd);
	}
}

static void redis_pipe_close(struct conn_pipe *pb, conn_pipe_done_fn *done, void *userdata)
{
	struct redis_pipe *p = redis_pipe_cast(pb);
	struct pipe_read rd;

	while (fifo_pop(&p->q, &rd) == 0) {
		done(rd.token, -ECONNRESET, NULL, "the connection was closed", userdata);
		pipe_read_release(&rd);
	}
	redis_disconnect(&p->conn.base);
	fifo_release(&p->q);
	mem_free(p);
}

const struct connector_ops redis_ops = {
	.name = "redis",
	.caps = 0,
	.conn_size = sizeof(struct redis_conn),
	.config_parse = redis_config_parse,
	.config_free = redis_config_free,
	.connect = redis_connect,
	.disconnect = redis_disconnect,
	.ping = redis_ping,
	.reset = redis_reset,
	.create = redis_create,
	.read = redis_read,
	.update = redis_update,
	.remove = redis_remove,
	.query = redis_query,
	.last_error = redis_last_error,
	.pipe_open = redis_pipe_open,
	.pipe_fd = redis_pipe_fd,
	.pipe_read = redis_pipe_read,
	.pipe_flush = redis_pipe_flush,
	.pipe_input = redis_pipe_input,
	.pipe_close = redis_pipe_close,
};
