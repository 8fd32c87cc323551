/* Google Sheets through the Sheets API v4 with libcurl, in the layout of upstream's
 * persist.googlesheets (runtime.md §6): one tab per entity titled with the entity name, row 1
 * the stored field names in metadata order, one data row per record tagged with row-level
 * developer metadata (key = entity name, value = the key values joined with ':'). Records are
 * found through that tag for update and delete, and by reading the whole tab for reads, as
 * upstream does.
 *
 * Authentication is OAuth2's refresh-token grant. The access token lives in the config object,
 * so every connection made from one config (one pool) shares it; it is refreshed under the
 * config's mutex a little before it expires, and once more when the API answers 401. Calls
 * answered 429 or 5xx are retried with exponential backoff, honouring Retry-After, within a
 * bounded number of attempts and a bounded total time. The client secret, the refresh token
 * and access tokens never go into error texts.
 *
 * Differences from upstream, each for interoperability: text cells are written with a leading
 * apostrophe so that USER_ENTERED input never turns them into numbers, booleans, dates or
 * formulas (Sheets shows and returns them without it); missing tabs and header rows are
 * created on the first insert; an insert whose tag cannot be written removes its row again;
 * a delete of several tagged rows goes bottom-up in one batchUpdate. Transactions are
 * compensating: rollback undoes the connection's own writes in reverse order, without
 * isolation from other writers. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/macro.h"
#include "base/strutil.h"
#include "connectors/connector.h"
#include "models/ast.h"
#include "models/project-config.h"

#define SHEETS_DEFAULT_BASE_URL	 "https://sheets.googleapis.com"
#define SHEETS_DEFAULT_TOKEN_URL "https://oauth2.googleapis.com/token"

/* Columns A..Z: upstream's limit. */
#define SHEETS_MAX_COLUMNS 26
/* One HTTP exchange; the connect part comes from the pool's timeout. */
#define SHEETS_REQUEST_TIMEOUT (30 * USEC_PER_SEC)
#define SHEETS_CONNECT_TIMEOUT (5 * USEC_PER_SEC)
/* Retries of one call on 429/5xx: attempts, total time, backoff bounds. */
#define SHEETS_MAX_ATTEMPTS    5
#define SHEETS_RETRY_BUDGET    (30 * USEC_PER_SEC)
#define SHEETS_BACKOFF_MIN     (200 * USEC_PER_MSEC)
#define SHEETS_BACKOFF_MAX     (8 * USEC_PER_SEC)
#define SHEETS_RETRY_AFTER_MAX (20 * USEC_PER_SEC)
/* A token is refreshed this long before it expires (a quarter of its life when shorter). */
#define SHEETS_TOKEN_SKEW (60 * USEC_PER_SEC)
/* Largest response body read. */
#define SHEETS_MAX_RESPONSE ((size_t)64 << 20)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct curl_slist *, curl_slist_free_all)

static inline void curl_freep(char **p)
{
	if (*p)
		curl_free(*p);
}

struct sheets_tab {
	char *title; /* the entity name */
	long sheet_id;
	bool header_ok; /* row 1 checked (or written) in metadata order */
};

struct sheets_config {
	char *base_url, *token_url, *spreadsheet_id, *client_id;
	pthread_mutex_t lock; /* everything below */
	char *client_secret, *refresh_token; /* the refresh token may rotate */
	char *access_token; /* NULL until fetched */
	usec_t refresh_at; /* CLOCK_MONOTONIC: fetch a new token from then on */
	struct sheets_tab *tabs;
	size_t n_tabs, alloc_tabs;
};

enum undo_kind {
	UNDO_CREATE, /* remove the row again */
	UNDO_UPDATE, /* write the old record back */
	UNDO_REMOVE, /* append the old record again */
};

struct undo_entry {
	enum undo_kind kind;
	const struct entity *e;
	json_t *key;
	json_t *rec; /* the record before (update, remove) */
};

struct sheets_conn {
	struct conn base;
	struct sheets_config *cfg;
	CURL *curl;
	usec_t connect_timeout;
	uint64_t rand_state;
	bool in_tx, undoing;
	struct undo_entry *undo;
	size_t n_undo, alloc_undo;
	char curl_err[CURL_ERROR_SIZE];
	char err[1024];
};

static struct sheets_conn *sheets_conn_cast(struct conn *c)
{
	assert(c->ops == &googlesheets_ops);
	return (struct sheets_conn *)c;
}

static const struct sheets_conn *sheets_conn_cast_const(const struct conn *c)
{
	assert(c->ops == &googlesheets_ops);
	return (const struct sheets_conn *)c;
}

_printf_(3, 4) static int set_error(struct sheets_conn *sc, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(sc->err, sizeof(sc->err), fmt, ap);
	va_end(ap);
	return r;
}

static void free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	mem_free(s);
}

/* ---- config --------------------------------------------------------------------------------- */

static void sheets_config_free(void *p)
{
	struct sheets_config *cfg = p;

	if (!cfg)
		return;
	mem_free(cfg->base_url);
	mem_free(cfg->token_url);
	mem_free(cfg->spreadsheet_id);
	mem_free(cfg->client_id);
	free_secret(cfg->client_secret);
	free_secret(cfg->refresh_token);
	free_secret(cfg->access_token);
	for (size_t i = 0; i < cfg->n_tabs; i++)
		mem_free(cfg->tabs[i].title);
	mem_free(cfg->tabs);
	pthread_mutex_destroy(&cfg->lock);
	mem_free(cfg);
}

/* A base URL from the environment (no upstream Config.toml key exists), without a trailing
 * '/'. Only http and https are accepted. */
static int url_setting(const char *var, const char *def, char **ret, struct pd_error *reterr)
{
	const char *v = getenv(var); // NOLINT(concurrency-mt-unsafe)
	size_t n;

	if (!v || !*v)
		v = def;
	if (!startswith(v, "https://") && !startswith(v, "http://")) {
		pd_error_set(reterr, NULL, 0, 0, 0, "%s must be an http or https URL", var);
		return -EINVAL;
	}
	n = strlen(v);
	while (n > 0 && v[n - 1] == '/')
		n--;
	*ret = mem_strndup(v, n);
	return *ret ? 0 : -ENOMEM;
}

static int sheets_config_parse(const struct connection_settings *cs, void **ret_cfg,
			       struct pd_error *reterr)
{
	struct sheets_config *cfg = new0(struct sheets_config, 1);
	int r;

	if (!cfg)
		return -ENOMEM;
	pthread_mutex_init(&cfg->lock, NULL);
	r = url_setting("PERSISTD_SHEETS_BASE_URL", SHEETS_DEFAULT_BASE_URL, &cfg->base_url,
			reterr);
	if (r >= 0)
		r = url_setting("PERSISTD_OAUTH_TOKEN_URL", SHEETS_DEFAULT_TOKEN_URL,
				&cfg->token_url, reterr);
	if (r < 0) {
		sheets_config_free(cfg);
		return r;
	}
	/* the generated Config.toml has "" for each (runtime.md §8); connect reports them */
	cfg->spreadsheet_id = mem_strdup(cs && cs->spreadsheet_id ? cs->spreadsheet_id : "");
	cfg->client_id = mem_strdup(cs && cs->client_id ? cs->client_id : "");
	cfg->client_secret = mem_strdup(cs && cs->client_secret ? cs->client_secret : "");
	cfg->refresh_token = mem_strdup(cs && cs->refresh_token ? cs->refresh_token : "");
	if (!cfg->spreadsheet_id || !cfg->client_id || !cfg->client_secret || !cfg->refresh_token) {
		sheets_config_free(cfg);
		return -ENOMEM;
	}
	*ret_cfg = cfg;
	return 0;
}

/* ---- HTTP ----------------------------------------------------------------------------------- */

struct reply {
	long status;
	struct buf body;
	usec_t retry_after; /* 0 when the answer had none */
};

static void reply_release(struct reply *rp)
{
	if (rp->body.len)
		explicit_bzero(rp->body.buf, rp->body.len);
	buf_release(&rp->body);
	rp->status = 0;
	rp->retry_after = 0;
}

static size_t write_cb(char *p, size_t size, size_t n, void *userdata)
{
	struct reply *rp = userdata;

	if (buf_add(&rp->body, p, size * n) < 0)
		return 0;
	return size * n;
}

static size_t header_cb(char *p, size_t size, size_t n, void *userdata)
{
	struct reply *rp = userdata;
	size_t len = size * n;
	static const char name[] = "retry-after:";

	if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
		char text[32];
		size_t i = sizeof(name) - 1, k = 0;
		uint64_t secs;
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (i < len && k + 1 < sizeof(text) && p[i] >= '0' && p[i] <= '9')
			text[k++] = p[i++];
		text[k] = '\0';
		/* delta-seconds only; an HTTP date falls back to the backoff */
		if (k > 0 && safe_atou64(text, &secs) >= 0)
			rp->retry_after = secs > 3600 ? 3600 * USEC_PER_SEC : secs * USEC_PER_SEC;
	}
	return len;
}

static int curl_errno(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_WRITE_ERROR:
		return -EMSGSIZE;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	default:
		return -EIO;
	}
}

enum auth_kind {
	AUTH_BEARER, /* secret: the access token */
	AUTH_BASIC, /* the client id and secret */
};

/* One exchange. body may be NULL (GET). The answer goes to *rp (released by the caller). */
static int http_perform(struct sheets_conn *sc, const char *method, const char *url,
			const char *content_type, const char *body, enum auth_kind auth,
			const char *secret, struct reply *rp)
{
	_cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
	char ctype[64];
	CURLcode code;
	struct curl_slist *h;

	*rp = (struct reply){ .body = BUF_INIT(SHEETS_MAX_RESPONSE) };
	curl_easy_reset(sc->curl);
	sc->curl_err[0] = '\0';
	headers = curl_slist_append(NULL, "Accept: application/json");
	if (!headers)
		return -ENOMEM;
	/* no 100-continue round trip before each body */
	h = curl_slist_append(headers, "Expect:");
	if (h && content_type) {
		(void)snprintf(ctype, sizeof(ctype), "Content-Type: %s", content_type);
		h = curl_slist_append(headers, ctype);
	}
	if (!h)
		return -ENOMEM;
	(void)curl_easy_setopt(sc->curl, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	(void)curl_easy_setopt(sc->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	(void)curl_easy_setopt(sc->curl, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	(void)curl_easy_setopt(sc->curl, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(sc->curl, CURLOPT_ERRORBUFFER, sc->curl_err);
	(void)curl_easy_setopt(sc->curl, CURLOPT_HTTPHEADER, headers);
	(void)curl_easy_setopt(sc->curl, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		(void)curl_easy_setopt(sc->curl, CURLOPT_POSTFIELDS, body);
		(void)curl_easy_setopt(sc->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				       (curl_off_t)strlen(body));
	}
	(void)curl_easy_setopt(sc->curl, CURLOPT_CONNECTTIMEOUT_MS,
			       (long)(sc->connect_timeout / USEC_PER_MSEC));
	(void)curl_easy_setopt(sc->curl, CURLOPT_TIMEOUT_MS,
			       (long)(SHEETS_REQUEST_TIMEOUT / USEC_PER_MSEC));
	(void)curl_easy_setopt(sc->curl, CURLOPT_WRITEFUNCTION, write_cb);
	(void)curl_easy_setopt(sc->curl, CURLOPT_WRITEDATA, rp);
	(void)curl_easy_setopt(sc->curl, CURLOPT_HEADERFUNCTION, header_cb);
	(void)curl_easy_setopt(sc->curl, CURLOPT_HEADERDATA, rp);
	if (auth == AUTH_BEARER) {
		(void)curl_easy_setopt(sc->curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		(void)curl_easy_setopt(sc->curl, CURLOPT_XOAUTH2_BEARER, secret);
	} else {
		(void)curl_easy_setopt(sc->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		(void)curl_easy_setopt(sc->curl, CURLOPT_USERNAME, sc->cfg->client_id);
		(void)curl_easy_setopt(sc->curl, CURLOPT_PASSWORD, secret);
	}
	code = curl_easy_perform(sc->curl);
	if (code == CURLE_OK)
		(void)curl_easy_getinfo(sc->curl, CURLINFO_RESPONSE_CODE, &rp->status);
	/* drop the credentials from the handle at once */
	curl_easy_reset(sc->curl);
	if (code != CURLE_OK) {
		int r = curl_errno(code);
		reply_release(rp);
		if (r == -ENOMEM)
			return r;
		if (r == -EMSGSIZE)
			return set_error(sc, r, "the answer of '%s' is larger than %zu bytes", url,
					 SHEETS_MAX_RESPONSE);
		return set_error(sc, r, "%s",
				 sc->curl_err[0] ? sc->curl_err : curl_easy_strerror(code));
	}
	return 0;
}

static bool retryable(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static uint64_t next_random(struct sheets_conn *sc)
{
	uint64_t x = sc->rand_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	sc->rand_state = x;
	return x;
}

/* How long to wait before attempt n + 1; 0 when the call should give up. */
static usec_t retry_delay(struct sheets_conn *sc, const struct reply *rp, unsigned n,
			  usec_t deadline)
{
	usec_t now = now_usec(CLOCK_MONOTONIC), d;

	if (n >= SHEETS_MAX_ATTEMPTS || !retryable(rp->status))
		return 0;
	if (rp->retry_after) {
		/* longer than the caller should wait: the answer stands */
		if (rp->retry_after > SHEETS_RETRY_AFTER_MAX)
			return 0;
		d = rp->retry_after;
	} else {
		d = MIN(SHEETS_BACKOFF_MIN << (n - 1), SHEETS_BACKOFF_MAX);
		d += next_random(sc) % (d / 4 + 1);
	}
	if (now + d >= deadline)
		return 0;
	return d;
}

static void sleep_usec(usec_t d)
{
	struct timespec ts = { .tv_sec = (time_t)(d / USEC_PER_SEC),
			       .tv_nsec = (long)(d % USEC_PER_SEC * NSEC_PER_USEC) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- OAuth2 --------------------------------------------------------------------------------- */

/* The refresh-token grant; cfg->lock is held. */
static int token_fetch_locked(struct sheets_conn *sc)
{
	struct sheets_config *cfg = sc->cfg;
	_cleanup_buf_ struct buf form = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(curl_freep) char *enc = NULL;
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + SHEETS_RETRY_BUDGET, life;
	json_auto_t *j = NULL;
	json_t *at, *exp, *rt;
	struct reply rp = { .body = BUF_INIT(0) };
	int r = 0;

	if (!*cfg->client_id || !*cfg->client_secret)
		return set_error(sc, -EACCES, "%s", "Client-id or client-secret cannot be empty.");
	if (!*cfg->refresh_token)
		return set_error(sc, -EACCES, "%s", "the refreshToken setting is empty");
	enc = curl_easy_escape(sc->curl, cfg->refresh_token, 0);
	if (!enc)
		return -ENOMEM;
	r = buf_addf(&form, "grant_type=refresh_token&refresh_token=%s", enc);
	explicit_bzero(enc, strlen(enc));
	if (r < 0)
		return r;
	for (unsigned n = 1;; n++) {
		usec_t d;
		r = http_perform(sc, "POST", cfg->token_url, "application/x-www-form-urlencoded",
				 form.buf, AUTH_BASIC, cfg->client_secret, &rp);
		if (r < 0)
			goto out;
		if (rp.status == 200)
			break;
		d = retry_delay(sc, &rp, n, deadline);
		if (!d)
			break;
		reply_release(&rp);
		sleep_usec(d);
	}
	explicit_bzero(form.buf, form.len);
	j = json_loadb(rp.body.buf, rp.body.len, 0, NULL);
	if (rp.status != 200) {
		const char *e = json_string_value(json_object_get(j, "error"));
		const char *desc = json_string_value(json_object_get(j, "error_description"));
		r = rp.status == 400 || rp.status == 401 || rp.status == 403 ? -EACCES
		    : rp.status == 429 || rp.status == 503		     ? -EAGAIN
									     : -EIO;
		(void)set_error(sc, r,
				"Failed to call the token endpoint '%s': response code %ld%s%s%s%s",
				cfg->token_url, rp.status, e ? ", " : "", e ? e : "",
				desc ? ": " : "", desc ? desc : "");
		goto out;
	}
	at = json_object_get(j, "access_token");
	exp = json_object_get(j, "expires_in");
	rt = json_object_get(j, "refresh_token");
	if (!json_is_string(at) || json_string_length(at) == 0) {
		r = set_error(sc, -EIO, "the token endpoint '%s' returned no access_token",
			      cfg->token_url);
		goto out;
	}
	free_secret(cfg->access_token);
	cfg->access_token = mem_strdup(json_string_value(at));
	if (json_is_string(rt) && json_string_length(rt) > 0) {
		char *copy = mem_strdup(json_string_value(rt));
		if (copy) {
			free_secret(cfg->refresh_token);
			cfg->refresh_token = copy;
		}
	}
	if (!cfg->access_token) {
		r = -ENOMEM;
		goto out;
	}
	life = (json_is_integer(exp) && json_integer_value(exp) > 0
			? (usec_t)json_integer_value(exp)
			: 3600) *
	       USEC_PER_SEC;
	cfg->refresh_at = now_usec(CLOCK_MONOTONIC) + life - MIN(SHEETS_TOKEN_SKEW, life / 4);
	r = 0;
out:
	/* the answer held the tokens: wipe them */
	if (json_is_string(json_object_get(j, "access_token")))
		explicit_bzero((char *)json_string_value(json_object_get(j, "access_token")),
			       json_string_length(json_object_get(j, "access_token")));
	if (json_is_string(json_object_get(j, "refresh_token")))
		explicit_bzero((char *)json_string_value(json_object_get(j, "refresh_token")),
			       json_string_length(json_object_get(j, "refresh_token")));
	explicit_bzero(form.buf, form.len);
	reply_release(&rp);
	return r;
}

/* A copy of a valid access token (free_secret() it). A token equal to rejected is dropped
 * first: the API refused it. */
static int token_get(struct sheets_conn *sc, const char *rejected, char **ret)
{
	struct sheets_config *cfg = sc->cfg;
	int r = 0;

	pthread_mutex_lock(&cfg->lock);
	if (rejected && cfg->access_token && streq(rejected, cfg->access_token))
		cfg->access_token = (free_secret(cfg->access_token), NULL);
	if (!cfg->access_token || now_usec(CLOCK_MONOTONIC) >= cfg->refresh_at)
		r = token_fetch_locked(sc);
	if (r >= 0) {
		*ret = mem_strdup(cfg->access_token);
		if (!*ret)
			r = -ENOMEM;
	}
	pthread_mutex_unlock(&cfg->lock);
	return r;
}

/* ---- Sheets calls --------------------------------------------------------------------------- */

/* An error answer of the API as errno and text. */
static int api_error(struct sheets_conn *sc, const char *what, const struct reply *rp)
{
	json_auto_t *j = json_loadb(rp->body.buf, rp->body.len, 0, NULL);
	json_t *e = json_object_get(j, "error");
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *status = json_string_value(json_object_get(e, "status"));
	int r;

	switch (rp->status) {
	case 401:
	case 403:
		r = -EACCES;
		break;
	case 429:
	case 503:
		r = -EAGAIN;
		break;
	default:
		r = -EIO;
		break;
	}
	return set_error(sc, r, "Google Sheets API: %s: %ld%s%s%s%s", what, rp->status,
			 status ? " " : "", status ? status : "", msg ? ": " : "", msg ? msg : "");
}

/* A call to the Sheets API: path after /v4/spreadsheets/<id> (already escaped), body JSON text
 * or NULL. *ret (new, may be NULL) is the answer. On an error answer *ret_status holds its
 * status (when not NULL), and the text says what failed. */
static int sheets_call(struct sheets_conn *sc, const char *what, const char *method,
		       const char *path, const char *body, json_t **ret, long *ret_status)
{
	_cleanup_buf_ struct buf url = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(curl_freep) char *id = NULL;
	char *token = NULL, *rejected = NULL;
	usec_t deadline = now_usec(CLOCK_MONOTONIC) + SHEETS_RETRY_BUDGET;
	struct reply rp = { .body = BUF_INIT(0) };
	bool refreshed = false;
	json_t *j;
	int r;

	if (ret_status)
		*ret_status = 0;
	id = curl_easy_escape(sc->curl, sc->cfg->spreadsheet_id, 0);
	if (!id)
		return -ENOMEM;
	r = buf_addf(&url, "%s/v4/spreadsheets/%s%s", sc->cfg->base_url, id, path);
	if (r < 0)
		return r;
	for (unsigned n = 1;;) {
		usec_t d;
		r = token_get(sc, rejected, &token);
		free_secret(rejected);
		rejected = NULL;
		if (r < 0)
			return r;
		r = http_perform(sc, method, url.buf, body ? "application/json" : NULL, body,
				 AUTH_BEARER, token, &rp);
		if (r < 0) {
			free_secret(token);
			return r;
		}
		if (rp.status == 200)
			break;
		if (rp.status == 401 && !refreshed) {
			/* expired or revoked early: one fresh token, then the same call again */
			refreshed = true;
			rejected = TAKE_PTR(token);
			reply_release(&rp);
			continue;
		}
		d = retry_delay(sc, &rp, n, deadline);
		if (!d)
			break;
		n++;
		reply_release(&rp);
		free_secret(token);
		token = NULL;
		sleep_usec(d);
	}
	free_secret(token);
	if (rp.status != 200) {
		if (ret_status)
			*ret_status = rp.status;
		r = api_error(sc, what, &rp);
		reply_release(&rp);
		return r;
	}
	j = json_loadb(rp.body.buf, rp.body.len, 0, NULL);
	reply_release(&rp);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return set_error(sc, -EIO, "Google Sheets API: %s: the answer is not a JSON object",
				 what);
	}
	if (ret)
		*ret = j;
	else
		json_decref(j);
	return 0;
}

static int json_text(const json_t *v, char **ret)
{
	*ret = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return *ret ? 0 : -ENOMEM;
}

/* ---- layout --------------------------------------------------------------------------------- */

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A sheet name as it goes into an A1 range: bare when it is a plain identifier that cannot be
 * read as a cell, else quoted with quotes doubled. */
static int sheet_ref(const char *title, struct buf *b)
{
	size_t letters = 0;
	bool plain = is_alpha(*title) || *title == '_';
	bool cell_like;
	int r;

	for (const char *p = title; *p && plain; p++)
		plain = is_alpha(*p) || is_digit(*p) || *p == '_';
	while (is_alpha(title[letters]))
		letters++;
	cell_like = letters > 0 && letters <= 3;
	for (const char *p = title + letters; *p && cell_like; p++)
		cell_like = is_digit(*p);
	if (plain && !cell_like)
		return buf_adds(b, title);
	r = buf_addc(b, '\'');
	for (const char *p = title; r >= 0 && *p; p++)
		r = *p == '\'' ? buf_adds(b, "''") : buf_addc(b, *p);
	return r < 0 ? r : buf_addc(b, '\'');
}

/* "<Entity>!A:<last>" for n columns. */
static int entity_range(const struct entity *e, size_t n, struct buf *b)
{
	int r = sheet_ref(e->bare_name, b);
	return r < 0 ? r : buf_addf(b, "!A:%c", (char)('A' + n - 1));
}

/* The stored columns of e, refused when the layout cannot hold them. */
static int columns_get(struct sheets_conn *sc, const struct entity *e, struct conn_columns *cols)
{
	int r = conn_columns_get(e, cols);

	if (r < 0)
		return r;
	if (cols->n > SHEETS_MAX_COLUMNS)
		return set_error(sc, -EOPNOTSUPP,
				 "entity '%s' has %zu stored fields; a sheet holds at most %d",
				 e->bare_name, cols->n, SHEETS_MAX_COLUMNS);
	for (size_t i = 0; i < cols->n; i++)
		if (cols->v[i].type == CONN_TYPE_BYTES || cols->v[i].type == CONN_TYPE_OTHER)
			return set_error(sc, -EOPNOTSUPP,
					 "field '%s' of entity '%s': type not supported by "
					 "googlesheets",
					 cols->v[i].name, e->bare_name);
	return 0;
}

/* The shortest %g text that reads back as the same double. */
static void format_double(double v, char *out, size_t size)
{
	for (int prec = 1; prec <= 17; prec++) {
		(void)snprintf(out, size, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

/* Ballerina's toString() of a float (Java's Double.toString for ordinary values). */
static void java_double(double v, char *out, size_t size)
{
	if (v == floor(v) && fabs(v) < 1e7)
		(void)snprintf(out, size, "%.1f", v);
	else
		format_double(v, out, size);
}

/* A key value's toString(), as in the row tag. */
static int key_part_text(const json_t *v, struct buf *b)
{
	char num[64];

	if (json_is_integer(v))
		return buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_real(v)) {
		java_double(json_real_value(v), num, sizeof(num));
		return buf_adds(b, num);
	}
	if (json_is_boolean(v))
		return buf_adds(b, json_is_true(v) ? "true" : "false");
	if (json_is_string(v))
		return buf_add(b, json_string_value(v), json_string_length(v));
	return buf_adds(b, "()");
}

/* The row tag's metadataValue: the key values joined with ':' in key order. */
static int key_tag(const struct entity *e, const json_t *key, char **ret)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	int r = 0;

	for (size_t i = 0; r >= 0 && i < e->n_keys; i++) {
		if (i)
			r = buf_addc(&b, ':');
		if (r >= 0)
			r = key_part_text(json_object_get(key, e->keys[i]->bare_name), &b);
	}
	if (r < 0)
		return r;
	*ret = buf_detach(&b, NULL);
	return *ret ? 0 : -ENOMEM;
}

/* Upstream's duplicate K: the map form, for single keys too ({"empNo":"E1"}). */
static void exists_text(struct sheets_conn *sc, const struct entity *e, const json_t *key)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	const json_t *v;
	char k[512] = "";
	int r;

	if (e->n_keys > 1) {
		(void)conn_key_text(e, key, k, sizeof(k));
	} else {
		v = json_object_get(key, e->keys[0]->bare_name);
		r = buf_addf(&b, "{\"%s\":", e->keys[0]->bare_name);
		if (r >= 0 && json_is_string(v) && e->keys[0]->type.kind != FIELD_TYPE_DECIMAL) {
			_cleanup_free_ char *s = NULL;
			r = json_text(v, &s);
			if (r >= 0)
				r = buf_adds(&b, s);
		} else if (r >= 0) {
			r = key_part_text(v, &b);
		}
		if (r >= 0)
			r = buf_addc(&b, '}');
		if (r >= 0)
			(void)snprintf(k, sizeof(k), "%s", b.buf);
	}
	conn_exists_text(e, k, sc->err, sizeof(sc->err));
}

/* ---- cell encodings (runtime.md §6.2) ------------------------------------------------------- */

static bool json_number_text(const char *s)
{
	/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (is_digit(*s))
			s++;
	else
		return false;
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
	}
	return !*s;
}

/* Text written as a string cell: an apostrophe first, so that USER_ENTERED input keeps it as
 * text (Sheets shows and returns it without the apostrophe). */
static int add_text_cell(struct buf *b, const char *s)
{
	_cleanup_free_ char *quoted = NULL;
	json_auto_t *v = NULL;
	_cleanup_buf_ struct buf t = BUF_INIT(BUF_MAX_DEFAULT);
	int r;

	if (!*s)
		return buf_adds(b, "\"\"");
	r = buf_addc(&t, '\'');
	if (r >= 0)
		r = buf_adds(&t, s);
	if (r < 0)
		return r;
	v = json_stringn(t.buf, t.len);
	if (!v)
		return -ENOMEM;
	r = json_text(v, &quoted);
	return r < 0 ? r : buf_adds(b, quoted);
}

/* A canonical value as the JSON cell the generated client sends. */
static int cell_encode(const struct conn_column *col, const json_t *v, struct buf *b)
{
	char num[64], text[128];
	const char *s = json_string_value(v);

	if (!v || json_is_null(v))
		return buf_adds(b, "\"\"");
	switch (col->type) {
	case CONN_TYPE_INT:
		return buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case CONN_TYPE_FLOAT:
		format_double(json_number_value(v), num, sizeof(num));
		return json_number_text(num) ? buf_adds(b, num) : add_text_cell(b, num);
	case CONN_TYPE_DECIMAL:
		return s && json_number_text(s) ? buf_adds(b, s) : add_text_cell(b, s ? s : "");
	case CONN_TYPE_BOOLEAN:
		return buf_adds(b, json_is_true(v) ? "true" : "false");
	case CONN_TYPE_DATE: {
		/* D-M-YYYY, no padding */
		long y = strtol(s, NULL, 10);
		int m = (int)strtol(s + 5, NULL, 10), d = (int)strtol(s + 8, NULL, 10);
		(void)snprintf(text, sizeof(text), "%d-%d-%ld", d, m, y);
		return add_text_cell(b, text);
	}
	case CONN_TYPE_TIME_OF_DAY: {
		/* H-M-S with dashes, no padding; the fraction stays */
		int h = (int)strtol(s, NULL, 10), mi = (int)strtol(s + 3, NULL, 10);
		int sec = (int)strtol(s + 6, NULL, 10);
		(void)snprintf(text, sizeof(text), "%d-%d-%d%s", h, mi, sec, s + 8);
		return add_text_cell(b, text);
	}
	case CONN_TYPE_CIVIL: {
		/* year unpadded, the rest as canonical (always with seconds) */
		const char *p = s;
		while (*p == '0' && is_digit(p[1]))
			p++;
		return add_text_cell(b, p);
	}
	case CONN_TYPE_UTC:
	case CONN_TYPE_STRING:
	case CONN_TYPE_ENUM:
		return add_text_cell(b, s ? s : "");
	default:
		return -EOPNOTSUPP;
	}
}

/* A record's row: the cells in metadata order, as a JSON array text. */
static int row_encode(const struct conn_columns *cols, const json_t *rec, struct buf *b)
{
	int r = buf_addc(b, '[');

	for (size_t i = 0; r >= 0 && i < cols->n; i++) {
		if (i)
			r = buf_addc(b, ',');
		if (r >= 0)
			r = cell_encode(&cols->v[i], json_object_get(rec, cols->v[i].name), b);
	}
	return r < 0 ? r : buf_addc(b, ']');
}

/* Digits at *p: the value, and p moved past them; -1 when none. */
static long take_number(const char **p)
{
	long v = 0;
	int n = 0;

	while (is_digit(**p) && n < 9) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n ? v : -1;
}

/* "H<sep>M<sep>S[.f]" (sep '-' or ':') → "HH:MM:SS[.f]"; false when malformed. */
static bool clock_text(const char *s, char sep, char *out, size_t size, const char **rest)
{
	const char *p = s, *frac = "";
	size_t frac_len = 0;
	long h, mi, sec = 0;

	h = take_number(&p);
	if (h < 0 || *p++ != sep)
		return false;
	mi = take_number(&p);
	if (mi < 0)
		return false;
	if (*p == sep) {
		p++;
		sec = take_number(&p);
		if (sec < 0)
			return false;
		if (*p == '.') {
			frac = p;
			p++;
			while (is_digit(*p))
				p++;
			frac_len = (size_t)(p - frac);
		}
	}
	*rest = p;
	return snprintf_checked(out, size, "%02ld:%02ld:%02ld%.*s", h, mi, sec, (int)frac_len,
				frac) >= 0;
}

/* "Y-M-D" → "YYYY-MM-DD"; false when malformed. */
static bool date_text(const char *s, bool dmy, char *out, size_t size, const char **rest)
{
	const char *p = s;
	long a, b, c;

	a = take_number(&p);
	if (a < 0 || *p++ != '-')
		return false;
	b = take_number(&p);
	if (b < 0 || *p++ != '-')
		return false;
	c = take_number(&p);
	if (c < 0)
		return false;
	*rest = p;
	if (dmy)
		return snprintf_checked(out, size, "%04ld-%02ld-%02ld", c, b, a) >= 0;
	return snprintf_checked(out, size, "%04ld-%02ld-%02ld", a, b, c) >= 0;
}

/* A displayed cell as the canonical value of its column (*ret new). -EINVAL when it does not
 * read as the column's type. */
static int cell_decode(const struct conn_column *col, const char *s, json_t **ret)
{
	json_auto_t *v = NULL;
	char text[128];
	const char *rest = "";

	if (!*s && col->nullable) {
		*ret = json_null();
		return 0;
	}
	switch (col->type) {
	case CONN_TYPE_INT: {
		int64_t x;
		if (safe_atoi64(s, &x) < 0)
			return -EINVAL;
		v = json_integer(x);
		break;
	}
	case CONN_TYPE_FLOAT: {
		char *end;
		double d;
		errno = 0;
		d = strtod(s, &end);
		if (!*s || *end || errno)
			return -EINVAL;
		v = json_real(d);
		break;
	}
	case CONN_TYPE_DECIMAL: {
		char canon[128];
		if (conn_decimal_canonical(s, canon, sizeof(canon)) < 0) {
			/* exponent forms the display may use */
			char *end;
			double d = strtod(s, &end);
			if (!*s || *end)
				return -EINVAL;
			(void)snprintf(text, sizeof(text), "%.15f", d);
			if (conn_decimal_canonical(text, canon, sizeof(canon)) < 0)
				return -EINVAL;
		}
		v = json_string(canon);
		break;
	}
	case CONN_TYPE_BOOLEAN:
		/* upstream: true iff the cell shows TRUE */
		v = json_boolean(strcasecmp(s, "TRUE") == 0);
		break;
	case CONN_TYPE_DATE:
		/* upstream's D-M-YYYY; YYYY-MM-DD too */
		if (!date_text(s, strspn(s, "0123456789") < 3, text, sizeof(text), &rest) || *rest)
			return -EINVAL;
		v = json_string(text);
		break;
	case CONN_TYPE_TIME_OF_DAY:
		if ((!clock_text(s, '-', text, sizeof(text), &rest) &&
		     !clock_text(s, ':', text, sizeof(text), &rest)) ||
		    *rest)
			return -EINVAL;
		v = json_string(text);
		break;
	case CONN_TYPE_CIVIL: {
		/* Y-MM-DDThh:mm[:ss[.f]], then an offset and a (zone) that a Civil value here
		 * cannot carry */
		char date[32], clock[64];
		const char *t = strchr(s, 'T');
		if (!t || !date_text(s, false, date, sizeof(date), &rest) || rest != t ||
		    !clock_text(t + 1, ':', clock, sizeof(clock), &rest))
			return -EINVAL;
		if (*rest && *rest != '+' && *rest != '-' && *rest != 'Z' && *rest != '(')
			return -EINVAL;
		(void)snprintf(text, sizeof(text), "%sT%s", date, clock);
		v = json_string(text);
		break;
	}
	case CONN_TYPE_UTC:
	case CONN_TYPE_STRING:
	case CONN_TYPE_ENUM:
		v = json_string(s);
		break;
	default:
		return -EINVAL;
	}
	if (!v)
		return -ENOMEM;
	return conn_value_normalize(col, v, ret, NULL, 0);
}

/* ---- tabs ----------------------------------------------------------------------------------- */

static struct sheets_tab *tab_find_locked(struct sheets_config *cfg, const char *title)
{
	for (size_t i = 0; i < cfg->n_tabs; i++)
		if (streq(cfg->tabs[i].title, title))
			return &cfg->tabs[i];
	return NULL;
}

static void tab_forget(struct sheets_conn *sc, const struct entity *e)
{
	struct sheets_config *cfg = sc->cfg;
	struct sheets_tab *t;

	pthread_mutex_lock(&cfg->lock);
	t = tab_find_locked(cfg, e->bare_name);
	if (t)
		t->header_ok = false;
	pthread_mutex_unlock(&cfg->lock);
}

static int tab_remember(struct sheets_conn *sc, const struct entity *e, long sheet_id)
{
	struct sheets_config *cfg = sc->cfg;
	struct sheets_tab *t;
	int r = 0;

	pthread_mutex_lock(&cfg->lock);
	t = tab_find_locked(cfg, e->bare_name);
	if (!t) {
		char *title = mem_strdup(e->bare_name);
		if (!title || GROW(cfg->tabs, cfg->alloc_tabs, cfg->n_tabs + 1) < 0) {
			mem_free(title);
			r = -ENOMEM;
		} else {
			t = &cfg->tabs[cfg->n_tabs++];
			*t = (struct sheets_tab){ .title = title };
		}
	}
	if (t) {
		t->sheet_id = sheet_id;
		t->header_ok = true;
	}
	pthread_mutex_unlock(&cfg->lock);
	return r;
}

/* The sheetId of the tab titled like e (ASCII case-insensitive, as upstream); -ENOENT when
 * there is none. */
static int tab_lookup(struct sheets_conn *sc, const struct entity *e, long *ret)
{
	json_auto_t *j = NULL;
	size_t i;
	json_t *s;
	int r;

	r = sheets_call(sc, "get spreadsheet", "GET", "", NULL, &j, NULL);
	if (r < 0)
		return r;
	json_array_foreach(json_object_get(j, "sheets"), i, s) {
		json_t *p = json_object_get(s, "properties");
		const char *title = json_string_value(json_object_get(p, "title"));
		json_t *id = json_object_get(p, "sheetId");
		if (!json_is_object(json_object_get(p, "gridProperties")))
			return set_error(sc, -EIO, "sheet '%s' has no gridProperties",
					 title ? title : "?");
		if (title && json_is_integer(id) && strcasecmp(title, e->bare_name) == 0) {
			*ret = (long)json_integer_value(id);
			return 0;
		}
	}
	return -ENOENT;
}

static int tab_add(struct sheets_conn *sc, const struct entity *e, long *ret)
{
	_cleanup_free_ char *body = NULL;
	json_auto_t *req = NULL, *j = NULL;
	json_t *id;
	int r;

	req = json_pack("{s:[{s:{s:{s:s}}}]}", "requests", "addSheet", "properties", "title",
			e->bare_name);
	if (!req)
		return -ENOMEM;
	r = json_text(req, &body);
	if (r < 0)
		return r;
	r = sheets_call(sc, "add sheet", "POST", ":batchUpdate", body, &j, NULL);
	if (r < 0)
		return r;
	id = json_object_get(
		json_object_get(json_object_get(json_array_get(json_object_get(j, "replies"), 0),
						"addSheet"),
				"properties"),
		"sheetId");
	if (!json_is_integer(id))
		return set_error(sc, -EIO, "addSheet for '%s' returned no sheetId", e->bare_name);
	*ret = (long)json_integer_value(id);
	return 0;
}

/* Upstream's check of a tab's header row (runtime.md §6.6); NULL values: no row at all.
 * With positional set, the order must be the metadata order too (writes go by position). */
static int header_check(struct sheets_conn *sc, const struct entity *e,
			const struct conn_columns *cols, const json_t *header, bool positional,
			size_t *map)
{
	static const char prefix[] = "Error: the spreadsheet is not initialised correctly. ";
	size_t i;
	json_t *h;

	if (!json_is_array(header) || json_array_size(header) == 0)
		return set_error(sc, -EIO, "%sSpreadsheet is empty.", prefix);
	if (json_array_size(header) != cols->n)
		return set_error(
			sc, -EIO,
			"%sNumber of columns in the sheet does not match with the entity. ",
			prefix);
	json_array_foreach(header, i, h) {
		const char *name = json_string_value(h);
		const struct conn_column *c = name ? conn_columns_find(cols, name) : NULL;
		if (!c)
			return set_error(sc, -EIO, "%sColumn %s is not defined in the data types.",
					 prefix, name ? name : "?");
		if (positional && c != &cols->v[i])
			return set_error(sc, -EIO,
					 "%sColumn %s of sheet '%s' is not at the position of the "
					 "field order.",
					 prefix, name, e->bare_name);
		if (map)
			map[i] = (size_t)(c - cols->v);
	}
	return 0;
}

/* The tab of e for a write: its sheetId, with a header row in metadata order. With create, a
 * missing tab is added and an empty one gets its header; without, a missing tab is -ENOENT. */
static int tab_ensure(struct sheets_conn *sc, const struct entity *e,
		      const struct conn_columns *cols, bool create, long *ret)
{
	_cleanup_buf_ struct buf path = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_buf_ struct buf range = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(curl_freep) char *enc = NULL;
	json_auto_t *j = NULL;
	struct sheets_tab *t;
	json_t *rows;
	long id = 0;
	bool ok = false;
	int r;

	pthread_mutex_lock(&sc->cfg->lock);
	t = tab_find_locked(sc->cfg, e->bare_name);
	if (t && t->header_ok) {
		id = t->sheet_id;
		ok = true;
	}
	pthread_mutex_unlock(&sc->cfg->lock);
	if (ok) {
		*ret = id;
		return 0;
	}

	r = tab_lookup(sc, e, &id);
	if (r == -ENOENT && create)
		r = tab_add(sc, e, &id);
	if (r < 0)
		return r;
	/* row 1 */
	r = sheet_ref(e->bare_name, &range);
	if (r >= 0)
		r = buf_addf(&range, "!A1:%c1", (char)('A' + cols->n - 1));
	if (r < 0)
		return r;
	enc = curl_easy_escape(sc->curl, range.buf, 0);
	if (!enc)
		return -ENOMEM;
	r = buf_addf(&path, "/values/%s?majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE",
		     enc);
	if (r < 0)
		return r;
	r = sheets_call(sc, "read header", "GET", path.buf, NULL, &j, NULL);
	if (r < 0)
		return r;
	rows = json_object_get(j, "values");
	if (json_array_size(rows) == 0 || json_array_size(json_array_get(rows, 0)) == 0) {
		_cleanup_buf_ struct buf body = BUF_INIT(BUF_MAX_DEFAULT);
		_cleanup_free_ char *rt = NULL;
		json_auto_t *rj = NULL;
		json_auto_t *names = json_array();
		if (!create)
			return header_check(sc, e, cols, NULL, true, NULL);
		/* an empty tab: write the header, as the generated script.gs does */
		if (!names)
			return -ENOMEM;
		for (size_t i = 0; i < cols->n; i++)
			if (json_array_append_new(names, json_string(cols->v[i].name)) < 0)
				return -ENOMEM;
		rj = json_pack("{s:s,s:s,s:[O]}", "range", range.buf, "majorDimension", "ROWS",
			       "values", names);
		if (!rj)
			return -ENOMEM;
		r = json_text(rj, &rt);
		if (r < 0)
			return r;
		buf_reset(&path);
		r = buf_addf(&path, "/values/%s?valueInputOption=RAW", enc);
		if (r < 0)
			return r;
		r = sheets_call(sc, "write header", "PUT", path.buf, rt, NULL, NULL);
		if (r < 0)
			return r;
	} else {
		r = header_check(sc, e, cols, json_array_get(rows, 0), true, NULL);
		if (r < 0)
			return r;
	}
	r = tab_remember(sc, e, id);
	if (r < 0)
		return r;
	*ret = id;
	return 0;
}

/* Every record of e's tab, decoded by the header (*ret new). A missing tab reads as empty. */
static int tab_read(struct sheets_conn *sc, const struct entity *e, const struct conn_columns *cols,
		    json_t **ret)
{
	_cleanup_buf_ struct buf range = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_buf_ struct buf path = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(curl_freep) char *enc = NULL;
	_cleanup_free_ size_t *map = NULL;
	json_auto_t *j = NULL, *recs = json_array();
	json_t *values, *row;
	long status = 0;
	size_t i;
	int r;

	if (!recs)
		return -ENOMEM;
	r = entity_range(e, cols->n, &range);
	if (r < 0)
		return r;
	enc = curl_easy_escape(sc->curl, range.buf, 0);
	if (!enc)
		return -ENOMEM;
	r = buf_addf(&path,
		     "/values/%s?dateTimeRenderOption=FORMATTED_STRING&majorDimension=ROWS&"
		     "valueRenderOption=FORMATTED_VALUE",
		     enc);
	if (r < 0)
		return r;
	r = sheets_call(sc, "read sheet", "GET", path.buf, NULL, &j, &status);
	if (r < 0 && status == 400 && strstr(sc->err, "Unable to parse range")) {
		/* no such tab (yet): nothing stored */
		tab_forget(sc, e);
		*ret = TAKE_PTR(recs);
		return 0;
	}
	if (r < 0)
		return r;
	values = json_object_get(j, "values");
	map = new0(size_t, cols->n + 1);
	if (!map)
		return -ENOMEM;
	r = header_check(sc, e, cols, json_array_get(values, 0), false, map);
	if (r < 0)
		return r;
	json_array_foreach(values, i, row) {
		json_auto_t *rec = NULL;
		if (i == 0 || json_array_size(row) == 0)
			continue;
		rec = json_object();
		if (!rec)
			return -ENOMEM;
		for (size_t k = 0; k < cols->n; k++) {
			const struct conn_column *c = &cols->v[map[k]];
			const char *text = json_string_value(json_array_get(row, k));
			json_t *v = NULL;
			r = cell_decode(c, text ? text : "", &v);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				return set_error(
					sc, -EIO,
					"sheet '%s' row %zu: column '%s' holds '%s', not a "
					"valid value of its type",
					e->bare_name, i + 1, c->name, text ? text : "");
			if (json_object_set_new(rec, c->name, v) < 0)
				return -ENOMEM;
		}
		if (json_array_append(recs, rec) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(recs);
	return 0;
}

/* ---- tagged rows ---------------------------------------------------------------------------- */

static json_t *tag_filter(const struct entity *e, const char *tag)
{
	return json_pack("{s:{s:s,s:s,s:s}}", "developerMetadataLookup", "locationType", "ROW",
			 "metadataKey", e->bare_name, "metadataValue", tag);
}

struct tagged_row {
	long row; /* 1-based */
	json_t *values; /* borrowed from the answer; NULL for an empty row */
};

/* The rows tagged with key (document order). *ret_answer (new) owns the values. */
static int tag_lookup(struct sheets_conn *sc, const struct entity *e, const char *tag,
		      json_t **ret_answer, struct tagged_row **ret, size_t *ret_n)
{
	_cleanup_free_ char *body = NULL;
	_cleanup_free_ struct tagged_row *rows = NULL;
	json_auto_t *req = NULL, *j = NULL, *flt = tag_filter(e, tag);
	json_t *vrs, *vr;
	size_t i, n = 0;
	int r;

	if (!flt)
		return -ENOMEM;
	req = json_pack("{s:[O],s:s}", "dataFilters", flt, "majorDimension", "ROWS");
	if (!req)
		return -ENOMEM;
	r = json_text(req, &body);
	if (r < 0)
		return r;
	r = sheets_call(sc, "find row", "POST", "/values:batchGetByDataFilter", body, &j, NULL);
	if (r < 0)
		return r;
	vrs = json_object_get(j, "valueRanges");
	rows = new0(struct tagged_row, json_array_size(vrs) + 1);
	if (!rows)
		return -ENOMEM;
	json_array_foreach(vrs, i, vr) {
		json_t *v = json_object_get(vr, "valueRange");
		const char *range = json_string_value(json_object_get(v, "range"));
		const char *p = range ? strrchr(range, '!') : NULL;
		if (!p)
			return set_error(sc, -EIO, "find row: the answer has no range");
		p++;
		while (is_alpha(*p))
			p++;
		rows[n].row = take_number(&p);
		if (rows[n].row <= 0 || *p != ':')
			return set_error(sc, -EIO, "find row: unexpected range '%s'", range);
		rows[n].values = json_array_get(json_object_get(v, "values"), 0);
		n++;
	}
	*ret_answer = TAKE_PTR(j);
	*ret = TAKE_PTR(rows);
	*ret_n = n;
	return 0;
}

/* A looked-up row as a record, positional in metadata order (the header was checked). */
static int row_decode(struct sheets_conn *sc, const struct entity *e,
		      const struct conn_columns *cols, const json_t *values, json_t **ret)
{
	json_auto_t *rec = json_object();

	if (!rec)
		return -ENOMEM;
	for (size_t k = 0; k < cols->n; k++) {
		const char *text = json_string_value(json_array_get(values, k));
		json_t *v = NULL;
		int r = cell_decode(&cols->v[k], text ? text : "", &v);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return set_error(sc, -EIO, "sheet '%s': column '%s' holds '%s'",
					 e->bare_name, cols->v[k].name, text ? text : "");
		if (json_object_set_new(rec, cols->v[k].name, v) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(rec);
	return 0;
}

/* Append rec as a new row and tag it; the row goes again when the tag cannot be written. */
static int row_append(struct sheets_conn *sc, const struct entity *e,
		      const struct conn_columns *cols, long sheet_id, const json_t *rec,
		      const char *tag)
{
	_cleanup_buf_ struct buf range = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_buf_ struct buf path = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_buf_ struct buf body = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_(curl_freep) char *enc = NULL;
	_cleanup_free_ char *range_json = NULL, *tag_body = NULL;
	json_auto_t *j = NULL, *rs = NULL, *req = NULL;
	const char *updated, *p;
	long row;
	int r;

	r = entity_range(e, cols->n, &range);
	if (r < 0)
		return r;
	rs = json_string(range.buf);
	if (!rs)
		return -ENOMEM;
	r = json_text(rs, &range_json);
	if (r < 0)
		return r;
	enc = curl_easy_escape(sc->curl, range.buf, 0);
	if (!enc)
		return -ENOMEM;
	r = buf_addf(&path, "/values/%s:append?valueInputOption=USER_ENTERED", enc);
	if (r >= 0)
		r = buf_addf(&body, "{\"range\":%s,\"majorDimension\":\"ROWS\",\"values\":[",
			     range_json);
	if (r >= 0)
		r = row_encode(cols, rec, &body);
	if (r >= 0)
		r = buf_adds(&body, "]}");
	if (r < 0)
		return r;
	r = sheets_call(sc, "append row", "POST", path.buf, body.buf, &j, NULL);
	if (r < 0)
		return r;
	/* the row number: the digits after '!' of updates.updatedRange */
	updated = json_string_value(json_object_get(json_object_get(j, "updates"), "updatedRange"));
	p = updated ? strrchr(updated, '!') : NULL;
	if (!p)
		return set_error(sc, -EIO, "append row: the answer has no updatedRange");
	p++;
	while (is_alpha(*p))
		p++;
	row = take_number(&p);
	if (row <= 1)
		return set_error(sc, -EIO, "append row: unexpected updatedRange '%s'", updated);

	req = json_pack("{s:[{s:{s:{s:{s:{s:I,s:s,s:I,s:I}},s:s,s:s,s:s}}}]}", "requests",
			"createDeveloperMetadata", "developerMetadata", "location",
			"dimensionRange", "sheetId", (json_int_t)sheet_id, "dimension", "ROWS",
			"startIndex", (json_int_t)(row - 1), "endIndex", (json_int_t)row,
			"visibility", "DOCUMENT", "metadataKey", e->bare_name, "metadataValue",
			tag);
	if (!req)
		return -ENOMEM;
	r = json_text(req, &tag_body);
	if (r < 0)
		return r;
	r = sheets_call(sc, "tag row", "POST", ":batchUpdate", tag_body, NULL, NULL);
	if (r < 0) {
		/* an untagged row is invisible to updates and deletes: take it out again */
		_cleanup_free_ char *del = NULL;
		json_auto_t *dreq = NULL;
		char saved[sizeof(sc->err)];
		memcpy(saved, sc->err, sizeof(saved));
		dreq = json_pack("{s:[{s:{s:{s:I,s:s,s:I,s:I}}}]}", "requests", "deleteDimension",
				 "range", "sheetId", (json_int_t)sheet_id, "dimension", "ROWS",
				 "startIndex", (json_int_t)(row - 1), "endIndex", (json_int_t)row);
		if (dreq && json_text(dreq, &del) >= 0)
			(void)sheets_call(sc, "remove untagged row", "POST", ":batchUpdate", del,
					  NULL, NULL);
		memcpy(sc->err, saved, sizeof(saved));
		tab_forget(sc, e);
	}
	return r;
}

/* Rewrite every row tagged with tag with rec. */
static int row_rewrite(struct sheets_conn *sc, const struct entity *e,
		       const struct conn_columns *cols, const char *tag, const json_t *rec)
{
	_cleanup_buf_ struct buf body = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_free_ char *flt_text = NULL;
	json_auto_t *flt = tag_filter(e, tag);
	int r;

	if (!flt)
		return -ENOMEM;
	r = json_text(flt, &flt_text);
	if (r >= 0)
		r = buf_addf(&body,
			     "{\"valueInputOption\":\"USER_ENTERED\",\"data\":[{\"dataFilter\":%s,"
			     "\"majorDimension\":\"ROWS\",\"values\":[",
			     flt_text);
	if (r >= 0)
		r = row_encode(cols, rec, &body);
	if (r >= 0)
		r = buf_adds(&body, "]}],\"includeValuesInResponse\":false,"
				    "\"responseValueRenderOption\":\"FORMATTED_VALUE\","
				    "\"responseDateTimeRenderOption\":\"SERIAL_NUMBER\"}");
	if (r < 0)
		return r;
	return sheets_call(sc, "rewrite row", "POST", "/values:batchUpdateByDataFilter", body.buf,
			   NULL, NULL);
}

static int row_number_desc(const void *a, const void *b)
{
	const struct tagged_row *x = a, *y = b;
	return x->row < y->row ? 1 : x->row > y->row ? -1 : 0;
}

/* Delete the rows, bottom-up so that each index still points at its row, in one batchUpdate. */
static int rows_delete(struct sheets_conn *sc, long sheet_id, struct tagged_row *rows, size_t n)
{
	_cleanup_free_ char *body = NULL;
	json_auto_t *req = json_object(), *list = json_array();
	int r;

	if (!req || !list)
		return -ENOMEM;
	qsort(rows, n, sizeof(*rows), row_number_desc);
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_pack("{s:{s:{s:I,s:s,s:I,s:I}}}", "deleteDimension", "range",
				      "sheetId", (json_int_t)sheet_id, "dimension", "ROWS",
				      "startIndex", (json_int_t)(rows[i].row - 1), "endIndex",
				      (json_int_t)rows[i].row);
		if (!d || json_array_append_new(list, d) < 0)
			return -ENOMEM;
	}
	if (json_object_set(req, "requests", list) < 0)
		return -ENOMEM;
	r = json_text(req, &body);
	if (r < 0)
		return r;
	return sheets_call(sc, "delete row", "POST", ":batchUpdate", body, NULL, NULL);
}

/* ---- undo log ------------------------------------------------------------------------------- */

static void undo_clear(struct sheets_conn *sc)
{
	for (size_t i = 0; i < sc->n_undo; i++) {
		json_decref(sc->undo[i].key);
		json_decref(sc->undo[i].rec);
	}
	sc->n_undo = 0;
}

static int undo_push(struct sheets_conn *sc, enum undo_kind kind, const struct entity *e,
		     const json_t *key, const json_t *rec)
{
	if (!sc->in_tx || sc->undoing)
		return 0;
	if (GROW(sc->undo, sc->alloc_undo, sc->n_undo + 1) < 0)
		return -ENOMEM;
	sc->undo[sc->n_undo++] = (struct undo_entry){
		.kind = kind,
		.e = e,
		.key = json_deep_copy(key),
		.rec = rec ? json_deep_copy(rec) : NULL,
	};
	if (!sc->undo[sc->n_undo - 1].key || (rec && !sc->undo[sc->n_undo - 1].rec))
		return -ENOMEM;
	return 0;
}

/* ---- operations ----------------------------------------------------------------------------- */

/* The largest stored value of a generated int column plus one (as the in-memory store). */
static int next_generated(struct sheets_conn *sc, const struct entity *e,
			  const struct conn_columns *cols, const struct conn_column *col,
			  json_int_t *ret)
{
	json_auto_t *recs = NULL;
	json_int_t max = 0;
	size_t i;
	json_t *rec;
	int r;

	r = tab_read(sc, e, cols, &recs);
	if (r < 0)
		return r;
	json_array_foreach(recs, i, rec) {
		json_t *v = json_object_get(rec, col->name);
		if (json_is_integer(v) && json_integer_value(v) > max)
			max = json_integer_value(v);
	}
	*ret = max + 1;
	return 0;
}

static int sheets_create(struct conn *c, const struct entity *e, const json_t *rec,
			 json_t **ret_key)
{
	struct sheets_conn *sc = sheets_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_free_ struct tagged_row *rows = NULL;
	_cleanup_free_ char *tag = NULL;
	json_auto_t *r_rec = NULL, *key = NULL, *answer = NULL;
	long sheet_id;
	size_t n;
	int r;

	r = columns_get(sc, e, &cols);
	if (r < 0)
		return r;
	r = conn_record_check(&cols, e, rec, &r_rec, sc->err, sizeof(sc->err));
	if (r < 0)
		return r;
	r = tab_ensure(sc, e, &cols, true, &sheet_id);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cols.n; i++) {
		json_int_t next;
		if (!cols.v[i].generated || json_object_get(r_rec, cols.v[i].name))
			continue;
		r = next_generated(sc, e, &cols, &cols.v[i], &next);
		if (r < 0)
			return r;
		if (json_object_set_new(r_rec, cols.v[i].name, json_integer(next)) < 0)
			return -ENOMEM;
	}
	key = json_object();
	if (!key)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_keys; i++)
		if (json_object_set(key, e->keys[i]->bare_name,
				    json_object_get(r_rec, e->keys[i]->bare_name)) < 0)
			return -ENOMEM;
	r = key_tag(e, key, &tag);
	if (r < 0)
		return r;
	r = tag_lookup(sc, e, tag, &answer, &rows, &n);
	if (r < 0)
		return r;
	if (n > 0) {
		exists_text(sc, e, key);
		return -EEXIST;
	}
	r = row_append(sc, e, &cols, sheet_id, r_rec, tag);
	if (r < 0)
		return r;
	r = undo_push(sc, UNDO_CREATE, e, key, NULL);
	if (r < 0)
		return r;
	*ret_key = TAKE_PTR(key);
	return 0;
}

static int sheets_read(struct conn *c, const struct entity *e, const json_t *key, json_t **ret_rec)
{
	struct sheets_conn *sc = sheets_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	json_auto_t *k = NULL, *recs = NULL;
	size_t i;
	json_t *rec;
	int r;

	r = columns_get(sc, e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, sc->err, sizeof(sc->err));
	if (r < 0)
		return r;
	r = tab_read(sc, e, &cols, &recs);
	if (r < 0)
		return r;
	json_array_foreach(recs, i, rec) {
		bool match = true;
		for (size_t x = 0; x < e->n_keys && match; x++)
			match = json_equal(json_object_get(rec, e->keys[x]->bare_name),
					   json_object_get(k, e->keys[x]->bare_name));
		if (match) {
			*ret_rec = json_incref(rec);
			return 0;
		}
	}
	conn_not_found_text(e, k, sc->err, sizeof(sc->err));
	return -ENOENT;
}

static int sheets_update(struct conn *c, const struct entity *e, const json_t *key,
			 const json_t *patch)
{
	struct sheets_conn *sc = sheets_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_free_ struct tagged_row *rows = NULL;
	_cleanup_free_ char *tag = NULL;
	json_auto_t *k = NULL, *p = NULL, *answer = NULL, *old = NULL, *rec = NULL;
	long sheet_id;
	size_t n;
	int r;

	r = columns_get(sc, e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, sc->err, sizeof(sc->err));
	if (r < 0)
		return r;
	r = conn_patch_check(&cols, e, patch, &p, sc->err, sizeof(sc->err));
	if (r < 0)
		return r;
	r = key_tag(e, k, &tag);
	if (r < 0)
		return r;
	r = tag_lookup(sc, e, tag, &answer, &rows, &n);
	if (r < 0)
		return r;
	if (n == 0) {
		conn_not_found_text(e, k, sc->err, sizeof(sc->err));
		return -ENOENT;
	}
	if (n > 1)
		return set_error(sc, -EIO, "Multiple elements found for given key: %s", tag);
	if (json_object_size(p) == 0)
		return 0;
	/* the whole row is rewritten: positions must be the metadata order */
	r = tab_ensure(sc, e, &cols, false, &sheet_id);
	if (r == -ENOENT) {
		conn_not_found_text(e, k, sc->err, sizeof(sc->err));
		return r;
	}
	if (r < 0)
		return r;
	r = row_decode(sc, e, &cols, rows[0].values, &old);
	if (r < 0)
		return r;
	rec = json_deep_copy(old);
	if (!rec || json_object_update(rec, p) < 0 || json_object_update(rec, k) < 0)
		return -ENOMEM;
	r = row_rewrite(sc, e, &cols, tag, rec);
	if (r < 0)
		return r;
	return undo_push(sc, UNDO_UPDATE, e, k, old);
}

static int sheets_remove(struct conn *c, const struct entity *e, const json_t *key)
{
	struct sheets_conn *sc = sheets_conn_cast(c);
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_free_ struct tagged_row *rows = NULL;
	_cleanup_free_ char *tag = NULL;
	json_auto_t *k = NULL, *answer = NULL, *old = NULL;
	long sheet_id;
	size_t n;
	int r;

	r = columns_get(sc, e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, sc->err, sizeof(sc->err));
	if (r < 0)
		return r;
	r = key_tag(e, k, &tag);
	if (r < 0)
		return r;
	r = tag_lookup(sc, e, tag, &answer, &rows, &n);
	if (r < 0)
		return r;
	if (n > 0)
		r = tab_ensure(sc, e, &cols, false, &sheet_id);
	if (n == 0 || r == -ENOENT) {
		conn_not_found_text(e, k, sc->err, sizeof(sc->err));
		return -ENOENT;
	}
	if (r < 0)
		return r;
	if (sc->in_tx && !sc->undoing) {
		r = row_decode(sc, e, &cols, rows[0].values, &old);
		if (r < 0)
			return r;
	}
	r = rows_delete(sc, sheet_id, rows, n);
	if (r < 0) {
		tab_forget(sc, e);
		return r;
	}
	return undo_push(sc, UNDO_REMOVE, e, k, old);
}

static int sheets_query(struct conn *c, const struct entity *e, const struct query *q,
			json_t **ret_rows)
{
	struct sheets_conn *sc = sheets_conn_cast(c);
	_cleanup_(query_plan_release) struct query_plan p = { 0 };
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	_cleanup_free_ json_t **v = NULL;
	json_auto_t *recs = NULL, *rows = json_array();
	size_t n = 0, i;
	json_t *rec;
	int r;

	if (!rows)
		return -ENOMEM;
	r = columns_get(sc, e, &cols);
	if (r < 0)
		return r;
	r = query_plan_build(e, q, &p, sc->err, sizeof(sc->err));
	if (r < 0)
		return r;
	r = tab_read(sc, e, &cols, &recs);
	if (r < 0)
		return r;
	v = new0(json_t *, json_array_size(recs) + 1);
	if (!v)
		return -ENOMEM;
	json_array_foreach(recs, i, rec)
		if (query_plan_match(&p, rec))
			v[n++] = rec;
	if (p.n_order > 0) {
		query_plan_sort(&p, v, n);
	}
	for (i = 0; i < n; i++)
		if (i >= p.offset && i - p.offset < p.limit && json_array_append(rows, v[i]) < 0)
			return -ENOMEM;
	r = query_plan_finish_rows(c, &p, rows);
	if (r < 0)
		return r;
	*ret_rows = TAKE_PTR(rows);
	return 0;
}

/* ---- transactions (compensating) ------------------------------------------------------------ */

static int sheets_begin(struct conn *c)
{
	struct sheets_conn *sc = sheets_conn_cast(c);

	if (sc->in_tx)
		return set_error(sc, -EINVAL, "%s", "a transaction is already open");
	sc->in_tx = true;
	return 0;
}

static int sheets_commit(struct conn *c)
{
	struct sheets_conn *sc = sheets_conn_cast(c);

	if (!sc->in_tx)
		return set_error(sc, -EINVAL, "%s", "no transaction is open");
	undo_clear(sc);
	sc->in_tx = false;
	return 0;
}

/* Undo one write; the step's own errors go to the text. */
static int undo_one(struct sheets_conn *sc, const struct undo_entry *u)
{
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	json_auto_t *key = NULL;
	int r;

	switch (u->kind) {
	case UNDO_CREATE:
		r = sheets_remove(&sc->base, u->e, u->key);
		return r == -ENOENT ? 0 : r;
	case UNDO_UPDATE: {
		_cleanup_free_ char *tag = NULL;
		r = columns_get(sc, u->e, &cols);
		if (r >= 0)
			r = key_tag(u->e, u->key, &tag);
		if (r >= 0)
			r = row_rewrite(sc, u->e, &cols, tag, u->rec);
		return r;
	}
	case UNDO_REMOVE:
		r = sheets_create(&sc->base, u->e, u->rec, &key);
		return r == -EEXIST ? 0 : r;
	}
	return -EINVAL;
}

static int sheets_rollback(struct conn *c)
{
	struct sheets_conn *sc = sheets_conn_cast(c);
	char first[sizeof(sc->err)] = "";
	int r = 0;

	if (!sc->in_tx)
		return set_error(sc, -EINVAL, "%s", "no transaction is open");
	sc->undoing = true;
	for (size_t i = sc->n_undo; i > 0; i--) {
		int k = undo_one(sc, &sc->undo[i - 1]);
		if (k < 0 && r >= 0) {
			r = k;
			memcpy(first, sc->err, sizeof(first));
		}
	}
	sc->undoing = false;
	sc->in_tx = false;
	undo_clear(sc);
	if (r < 0)
		return set_error(sc, r, "rollback incomplete: %s", first);
	return 0;
}

/* ---- connections ---------------------------------------------------------------------------- */

static int sheets_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

static void sheets_global_cleanup(void)
{
	curl_global_cleanup();
}

static void sheets_disconnect(struct conn *c)
{
	struct sheets_conn *sc = sheets_conn_cast(c);

	undo_clear(sc);
	mem_free(sc->undo);
	sc->undo = NULL;
	sc->alloc_undo = 0;
	if (sc->curl)
		curl_easy_cleanup(sc->curl);
	sc->curl = NULL;
}

static int sheets_ping(struct conn *c, usec_t timeout)
{
	struct sheets_conn *sc = sheets_conn_cast(c);
	(void)timeout;

	return sheets_call(sc, "get spreadsheet", "GET", "?fields=spreadsheetId", NULL, NULL, NULL);
}

static int sheets_connect(struct conn *c, const void *cfgp, usec_t timeout)
{
	struct sheets_conn *sc = sheets_conn_cast(c);
	long status = 0;
	int r;

	if (!cfgp)
		return -EINVAL;
	sc->cfg = (struct sheets_config *)cfgp;
	sc->connect_timeout = timeout ? timeout : SHEETS_CONNECT_TIMEOUT;
	sc->rand_state = now_usec(CLOCK_MONOTONIC) ^ (uint64_t)(uintptr_t)sc;
	if (!sc->rand_state)
		sc->rand_state = 1;
	if (!*sc->cfg->spreadsheet_id)
		return set_error(sc, -EINVAL, "%s", "the spreadsheetId setting is empty");
	sc->curl = curl_easy_init();
	if (!sc->curl)
		return -ENOMEM;
	/* a token and the spreadsheet up front, as the generated client does at start-up */
	r = sheets_call(sc, "get spreadsheet", "GET", "?fields=spreadsheetId", NULL, NULL, &status);
	if (r < 0 && status == 404)
		r = set_error(sc, -EIO, "spreadsheet '%s' not found", sc->cfg->spreadsheet_id);
	if (r < 0) {
		curl_easy_cleanup(sc->curl);
		sc->curl = NULL;
	}
	return r;
}

static int sheets_reset(struct conn *c)
{
	struct sheets_conn *sc = sheets_conn_cast(c);
	int r = 0;

	if (sc->in_tx)
		r = sheets_rollback(c);
	if (r >= 0)
		sc->err[0] = '\0';
	return r;
}

static const char *sheets_last_error(const struct conn *c)
{
	return sheets_conn_cast_const(c)->err;
}

const struct connector_ops googlesheets_ops = {
	.name = "googlesheets",
	.caps = CONN_CAP_TRANSACTIONS,
	.conn_size = sizeof(struct sheets_conn),
	.global_init = sheets_global_init,
	.global_cleanup = sheets_global_cleanup,
	.config_parse = sheets_config_parse,
	.config_free = sheets_config_free,
	.connect = sheets_connect,
	.disconnect = sheets_disconnect,
	.ping = sheets_ping,
	.reset = sheets_reset,
	.create = sheets_create,
	.read = sheets_read,
	.update = sheets_update,
	.remove = sheets_remove,
	.query = sheets_query,
	.begin = sheets_begin,
	.commit = sheets_commit,
	.rollback = sheets_rollback,
	.last_error = sheets_last_error,
};
