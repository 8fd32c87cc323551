#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api/http.h"
#include "api/metrics.h"
#include "api/pipeline.h"
#include "api/problem.h"
#include "api/registry.h"
#include "api/request.h"
#include "api/router.h"
#include "base/alloc.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/strutil.h"

#define REQUEST_MAX_HEADERS 8

/* One event loop: a thread driving its own libmicrohttpd daemon (external epoll mode) on a
 * duplicate of the listening socket, beside the store pipes its requests wait on. A handler
 * that sends a pipelined read suspends its connection and returns; the loop goes on serving
 * other connections, writes every read queued in one pass to the store at once, and resumes
 * each connection when its answer arrives. No request blocks the thread while a store works,
 * and a store sees batches instead of one round trip per request. */
struct http_loop {
	struct http_server *s;
	struct MHD_Daemon *mhd;
	pthread_t thread;
	bool started;
	int epfd; /* MHD's epoll fd, the wake eventfd, the pipes' sockets */
	int wakefd;
	struct http_watch mhd_watch, wake_watch;
	atomic_bool quiesce, stop;
	bool quiesced;
	struct loop_pipes *pipes;
};

struct http_server {
	struct http_options opts;
	char *api_token;
	char *read_token;
	atomic_uint active;
	atomic_uint connections; /* open, over every loop */
	atomic_uint_fast64_t next_id;
	uint64_t id_base;
	unsigned n_loops;
	struct http_loop *loops;
};

static _Thread_local struct http_loop *current_loop;

struct request_private {
	struct request req;
	unsigned n_headers;
	char *headers[REQUEST_MAX_HEADERS][2];
	uint64_t discarded; /* bytes of an oversized body read and dropped */
};

/* How much of an oversized body is read and dropped before the connection is closed. */
static uint64_t body_drain_limit(const struct http_server *s)
{
	uint64_t lim = (uint64_t)s->opts.max_body_bytes * 4;
	return lim > ((uint64_t)16 << 20) ? lim : ((uint64_t)16 << 20);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[1024];
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("http: %s", line);
}

const char *request_header(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *request_query(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* In place: "%2F" → '/', "%25" → '%', the two escapes the server's first pass leaves (see
 * unescape_keep_separators). */
void http_decode_kept_escapes(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '%' && r[1] == '2' && (r[2] == 'F' || r[2] == 'f')) {
			*w++ = '/';
			r += 2;
		} else if (r[0] == '%' && r[1] == '2' && r[2] == '5') {
			*w++ = '%';
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
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

/* The server's unescaping of the path and the query arguments. Three escapes stay as they are:
 * %00, so a NUL never cuts a name short ("users%00.bal" is not "users"); %2F, so an encoded
 * '/' inside one path segment (a key value) does not split it; and %25, so the second pass
 * that decodes %2F cannot be fooled by "%252F". Route parameters and query arguments get that
 * second pass (http_decode_kept_escapes). */
static size_t unescape_keep_separators(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;

	(void)cls;
	(void)c;
	for (char *r = s; *r; r++) {
		int hi, lo;
		if (r[0] == '%' && (hi = hex_value(r[1])) >= 0 && (lo = hex_value(r[2])) >= 0) {
			int v = hi * 16 + lo;
			if (v != 0 && v != '/' && v != '%') {
				*w++ = (char)v;
				r += 2;
				continue;
			}
		}
		*w++ = *r;
	}
	*w = '\0';
	return (size_t)(w - s);
}

struct query_each_ctx {
	request_query_fn *fn;
	void *userdata;
	int r;
};

static enum MHD_Result query_each_one(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct query_each_ctx *ctx = cls;
	char *k = mem_strdup(key), *v = mem_strdup(value ? value : "");

	(void)kind;
	if (!k || !v) {
		ctx->r = -ENOMEM;
	} else {
		http_decode_kept_escapes(k);
		http_decode_kept_escapes(v);
		ctx->r = ctx->fn(k, v, ctx->userdata);
	}
	mem_free(k);
	mem_free(v);
	return ctx->r < 0 ? MHD_NO : MHD_YES;
}

int request_query_each(struct request *req, request_query_fn *fn, void *userdata)
{
	struct query_each_ctx ctx = { .fn = fn, .userdata = userdata, .r = 0 };

	(void)MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_each_one, &ctx);
	return ctx.r < 0 ? ctx.r : 0;
}

int request_add_header(struct request *req, const char *name, const char *value)
{
	struct request_private *p = container_of(req, struct request_private, req);
	char *n, *v;

	if (p->n_headers >= REQUEST_MAX_HEADERS)
		return -E2BIG;
	n = mem_strdup(name);
	v = mem_strdup(value);
	if (!n || !v) {
		mem_free(n);
		mem_free(v);
		return -ENOMEM;
	}
	p->headers[p->n_headers][0] = n;
	p->headers[p->n_headers][1] = v;
	p->n_headers++;
	return 0;
}

/* If-None-Match / If-Match lists: "*" or comma-separated entity tags (weak ones compared by
 * their opaque part, as RFC 9110's weak comparison does for If-None-Match). */
bool etag_matches(const char *header, const char *etag)
{
	const char *p = header;

	while (*p) {
		size_t n;
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == strlen(etag) && strncmp(p, etag, n) == 0)
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

/* The reply of request_reply_bytes(); with owned, data is malloc'd memory that MHD takes (and
 * frees with free()) instead of copying it; it is freed here on every failure. */
static int reply_bytes(struct request *req, unsigned status, const char *content_type, void *data,
		       size_t len, bool owned)
{
	struct request_private *p = container_of(req, struct request_private, req);
	struct MHD_Response *resp;
	enum MHD_Result ok;
	char etag[24] = "";
	bool have_etag = false;

	if (req->replied) {
		if (owned)
			free(data);
		return -EALREADY;
	}
	if (status == 200 && (streq(req->method, "GET") || streq(req->method, "HEAD"))) {
		const char *inm = request_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH);

		for (unsigned i = 0; i < p->n_headers; i++)
			if (strcasecmp(p->headers[i][0], "ETag") == 0) {
				if (snprintf_checked(etag, sizeof(etag), "%s", p->headers[i][1]) <
				    0)
					etag[0] = '\0'; /* not ours: do not compare */
				have_etag = true;
			}
		if (!have_etag)
			(void)snprintf(etag, sizeof(etag), "\"%016" PRIx64 "\"",
				       fnv1a64(data, len));
		if (etag[0] && inm && etag_matches(inm, etag)) {
			status = 304;
			len = 0;
		}
	}
	resp = MHD_create_response_from_buffer(
		len, data, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
	if (!resp) {
		if (owned)
			free(data);
		return -ENOMEM;
	}
	if (content_type)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	(void)MHD_add_response_header(resp, "X-Request-Id", req->id_str);
	(void)MHD_add_response_header(resp, "Cache-Control", "no-store");
	/* a computed ETag goes straight onto the response: no copy among the request's headers */
	if (etag[0] && !have_etag)
		(void)MHD_add_response_header(resp, "ETag", etag);
	for (unsigned i = 0; i < p->n_headers; i++)
		(void)MHD_add_response_header(resp, p->headers[i][0], p->headers[i][1]);
	ok = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	if (ok != MHD_YES)
		return -EIO;
	req->replied = true;
	req->status = status;
	return 0;
}

int request_reply_bytes(struct request *req, unsigned status, const char *content_type,
			const void *data, size_t len)
{
	/* MHD takes a non-const pointer; MUST_COPY only reads it */
	return reply_bytes(req, status, content_type, (void *)(uintptr_t)data, len, false);
}

/* A JSON array sent element by element, so a page of records never exists twice in memory
 * (once as values, once as one serialised text). */
struct array_stream {
	json_t *array;
	size_t next; /* the element to serialise next */
	char *pending; /* serialised text not yet handed to MHD */
	size_t pending_len, pending_off;
	bool closed; /* "]" emitted */
};

static void array_stream_free(void *cls)
{
	struct array_stream *st = cls;

	json_decref(st->array);
	mem_free(st->pending);
	mem_free(st);
}

static ssize_t array_stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct array_stream *st = cls;
	size_t n = 0;

	(void)pos;
	while (n < max) {
		if (st->pending && st->pending_off < st->pending_len) {
			size_t k = MIN(max - n, st->pending_len - st->pending_off);
			memcpy(out + n, st->pending + st->pending_off, k);
			st->pending_off += k;
			n += k;
			continue;
		}
		mem_free(st->pending);
		st->pending = NULL;
		if (st->next >= json_array_size(st->array)) {
			if (st->closed)
				break;
			/* "]" (and "[" for an empty array) */
			st->pending = mem_strdup(st->next == 0 ? "[]" : "]");
			st->closed = true;
		} else {
			char *el = json_dumps(json_array_get(st->array, st->next),
					      JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
			if (el) {
				size_t len = strlen(el);
				st->pending = mem_alloc(len + 2);
				if (st->pending) {
					st->pending[0] = st->next == 0 ? '[' : ',';
					memcpy(st->pending + 1, el, len + 1);
				}
				free(el); /* jansson's allocator */
			}
			st->next++;
		}
		if (!st->pending)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		st->pending_len = strlen(st->pending);
		st->pending_off = 0;
	}
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)n;
}

int request_reply_json_array_stream(struct request *req, unsigned status, json_t *array)
{
	struct request_private *p = container_of(req, struct request_private, req);
	struct array_stream *st;
	struct MHD_Response *resp;
	enum MHD_Result ok;

	if (req->replied) {
		json_decref(array);
		return -EALREADY;
	}
	if (!json_is_array(array)) {
		json_decref(array);
		return request_reply_json(req, status, NULL);
	}
	st = new0(struct array_stream, 1);
	if (!st) {
		json_decref(array);
		return request_reply_json(req, status, NULL);
	}
	st->array = array;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, array_stream_read, st,
						 array_stream_free);
	if (!resp) {
		array_stream_free(st);
		return -ENOMEM;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	(void)MHD_add_response_header(resp, "X-Request-Id", req->id_str);
	(void)MHD_add_response_header(resp, "Cache-Control", "no-store");
	for (unsigned i = 0; i < p->n_headers; i++)
		(void)MHD_add_response_header(resp, p->headers[i][0], p->headers[i][1]);
	ok = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	if (ok != MHD_YES)
		return -EIO;
	req->replied = true;
	req->status = status;
	return 0;
}

/* Preformatted, so it can be sent when nothing more can be allocated. */
static const char oom_problem[] = "{\"type\":\"urn:persistd:problem:unavailable\","
				  "\"title\":\"out of memory\",\"status\":503,"
				  "\"code\":\"unavailable\"}";

static int reply_json_with_type(struct request *req, unsigned status, json_t *body,
				const char *type)
{
	char *text;

	if (!body)
		return request_reply_bytes(req, 503, "application/problem+json", oom_problem,
					   sizeof(oom_problem) - 1);
	text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(body);
	if (!text)
		return reply_json_with_type(req, status, NULL, type);
	/* jansson's text is malloc'd (no custom allocator here): MHD takes it as it is */
	return reply_bytes(req, status, type, text, strlen(text), true);
}

int request_reply_json(struct request *req, unsigned status, json_t *body)
{
	return reply_json_with_type(req, status, body, "application/json");
}

int request_reply_problem_json(struct request *req, json_t *problem)
{
	unsigned status = 500;
	json_t *s = problem ? json_object_get(problem, "status") : NULL;

	if (json_is_integer(s))
		status = (unsigned)json_integer_value(s);
	return reply_json_with_type(req, status, problem, "application/problem+json");
}

int request_reply_problem(struct request *req, unsigned status, const char *code, const char *title,
			  const char *detail)
{
	return request_reply_problem_json(req, problem_new(status, code, title, detail, req->url));
}

int request_reply_errno(struct request *req, int error, const char *detail)
{
	return request_reply_problem_json(req, problem_from_errno(error, detail, req->url));
}

static void request_free(struct request_private *p)
{
	if (!p)
		return;
	pipeline_request_gone(&p->req);
	for (unsigned i = 0; i < p->n_headers; i++) {
		mem_free(p->headers[i][0]);
		mem_free(p->headers[i][1]);
	}
	for (unsigned i = 0; i < p->req.n_params; i++)
		mem_free(p->req.params[i]);
	buf_release(&p->req.body);
	snapshot_unref(p->req.snap);
	mem_free(p);
}

static int reply_too_large(struct request *req)
{
	(void)request_add_header(req, "Connection", "close");
	return request_reply_problem(req, 413, "payload_too_large", "request body too large",
				     "the request body exceeds max_body_bytes");
}

/* Constant-time comparison, so the token cannot be guessed byte by byte from timings. */
static bool token_equal(const char *given, const char *want)
{
	size_t a = strlen(given), b = strlen(want);
	unsigned char diff = (unsigned char)(a != b);

	for (size_t i = 0; i < b; i++)
		diff |= (unsigned char)(given[i < a ? i : 0] ^ want[i]);
	return diff == 0;
}

/* Bearer-token check: 0 allowed, otherwise a reply has been queued. */
static int check_auth(struct http_server *s, struct request *req)
{
	const char *h, *tok;
	bool readonly = streq(req->method, "GET") || streq(req->method, "HEAD");

	if (!s->api_token && !s->read_token)
		return 0;
	if (streq(req->url, "/healthz"))
		return 0;
	/* The dashboard's own files hold no data; the page asks for the token itself. */
	if (readonly && (streq(req->url, "/") || strncmp(req->url, "/assets/", 8) == 0))
		return 0;
	h = request_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	tok = h && strncasecmp(h, "Bearer ", 7) == 0 ? h + 7 : NULL;
	/* A browser's EventSource cannot send headers: GET /events may carry ?access_token=. */
	if (!tok && readonly && streq(req->url, "/events"))
		tok = request_query(req, "access_token");
	if (tok && s->api_token && token_equal(tok, s->api_token))
		return 0;
	if (tok && readonly && s->read_token && token_equal(tok, s->read_token))
		return 0;
	if (tok && s->read_token && token_equal(tok, s->read_token)) {
		(void)request_reply_problem(req, 403, "forbidden", "read-only token",
					    "the read token allows GET and HEAD only");
		return -EACCES;
	}
	(void)request_add_header(req, "WWW-Authenticate", "Bearer realm=\"persistd\"");
	(void)request_reply_problem(req, 401, "unauthorized", "authentication required",
				    "send 'Authorization: Bearer <token>'");
	return -EACCES;
}

/* A caller's X-Request-Id of 1..64 characters from [A-Za-z0-9._:-] becomes the request's id,
 * so one id follows a request through a proxy, persistd's log and the reply; anything else
 * (it would land in the log) is ignored and a fresh id is used. */
static void request_id_init(struct request *req)
{
	const char *given = request_header(req, "X-Request-Id");
	size_t n = given ? strlen(given) : 0;

	if (n > 0 && n < sizeof(req->id_str) &&
	    strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") ==
		    n) {
		memcpy(req->id_str, given, n + 1);
		return;
	}
	(void)snprintf(req->id_str, sizeof(req->id_str), "%016" PRIx64, req->id);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **req_cls)
{
	struct http_loop *l = cls;
	struct http_server *s = l->s;
	struct request_private *p = *req_cls;
	int r;

	(void)version;
	if (!p) {
		const char *cl;
		uint64_t clen;

		p = new0(struct request_private, 1);
		if (!p)
			return MHD_NO;
		p->req.conn = conn;
		p->req.server = s;
		p->req.loop = l;
		p->req.method = method;
		p->req.url = url;
		p->req.started = now_usec(CLOCK_MONOTONIC);
		p->req.id = s->id_base + atomic_fetch_add(&s->next_id, 1);
		request_id_init(&p->req);
		buf_init(&p->req.body, s->opts.max_body_bytes);
		if (s->opts.registry)
			p->req.snap = registry_snapshot(s->opts.registry);
		atomic_fetch_add(&s->active, 1);
		*req_cls = p;

		/* An announced body past the drain limit is refused before reading any of it; the
		 * client may see the connection reset. Smaller oversized bodies are read and
		 * dropped, so the client gets to read its 413. */
		cl = request_header(&p->req, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && safe_atou64(cl, &clen) >= 0 && clen > s->opts.max_body_bytes) {
			p->req.body_too_large = true;
			if (clen > body_drain_limit(s))
				return reply_too_large(&p->req) < 0 ? MHD_NO : MHD_YES;
		}
		return MHD_YES;
	}

	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (p->req.replied)
			return MHD_YES; /* discard what follows an early answer */
		if (!p->req.body_too_large && buf_add(&p->req.body, upload_data, n) < 0)
			p->req.body_too_large = true;
		if (p->req.body_too_large) {
			p->discarded += n;
			if (p->discarded > body_drain_limit(s))
				return reply_too_large(&p->req) < 0 ? MHD_NO : MHD_YES;
		}
		return MHD_YES;
	}

	if (p->req.body_too_large)
		return reply_too_large(&p->req) < 0 ? MHD_NO : MHD_YES;
	if (p->req.replied)
		return MHD_YES;

	if (check_auth(s, &p->req) < 0)
		return p->req.replied ? MHD_YES : MHD_NO;

	if (p->req.resume_fn) {
		/* back from a suspension: the handler's second half */
		request_resume_fn *fn = p->req.resume_fn;
		p->req.resume_fn = NULL;
		r = fn(&p->req);
	} else {
		r = router_dispatch(&p->req);
	}
	if (r >= 0 && p->req.suspended)
		return MHD_YES; /* answered when the store is */
	if (r < 0 && !p->req.replied)
		r = request_reply_errno(&p->req, r, NULL);
	if (!p->req.replied) {
		log_error("req=%s %s %s: handler returned without a reply", p->req.id_str, method,
			  url);
		r = request_reply_errno(&p->req, -EIO, NULL);
	}
	return r < 0 && !p->req.replied ? MHD_NO : MHD_YES;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct request_private *p = *req_cls;

	(void)conn;
	if (!p)
		return;
	usec_t dur = now_usec(CLOCK_MONOTONIC) - p->req.started;
	log_info("req=%s %s %s %u %" PRIu64 ".%03" PRIu64 "ms%s", p->req.id_str, p->req.method,
		 p->req.url, p->req.status, dur / 1000, dur % 1000,
		 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	metrics_http_request(p->req.route, p->req.method, p->req.status, dur);
	request_free(p);
	*req_cls = NULL;
	atomic_fetch_sub(&s->active, 1);
}

/* ---- event loops ---------------------------------------------------------------------------- */

int http_loop_watch(struct http_loop *l, struct http_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(l->epfd, w->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -errno;
	w->registered = true;
	return 0;
}

void http_loop_unwatch(struct http_loop *l, struct http_watch *w)
{
	if (w->registered)
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->registered = false;
}

struct loop_pipes **http_loop_pipes(struct http_loop *l)
{
	return &l->pipes;
}

static void loop_wake(struct http_loop *l)
{
	uint64_t one = 1;

	(void)!write(l->wakefd, &one, sizeof(one));
}

void request_suspend(struct request *req)
{
	req->suspended = true;
	MHD_suspend_connection(req->conn);
}

void request_resume(struct request *req)
{
	req->suspended = false;
	MHD_resume_connection(req->conn);
	/* Without MHD's inter-thread channel (its eventfd write per resume is what pipelining
	 * saves) a resume from another thread has to wake the loop itself. */
	if (current_loop != req->loop)
		loop_wake(req->loop);
}

/* Any thread: resume a connection suspended by one of s's loops and wake that loop. */
void http_server_resume(struct http_server *s, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);

	MHD_resume_connection(conn);
	for (unsigned i = 0; ci && i < s->n_loops; i++)
		if (s->loops[i].mhd == ci->daemon) {
			if (current_loop != &s->loops[i])
				loop_wake(&s->loops[i]);
			return;
		}
}

/* http.max_connections holds over all loops together: a connection past it is closed as soon
 * as it is accepted. (Each daemon's own limit is one more, so MHD never stops watching the
 * listening socket before the policy has refused someone.) Loops accepting at the same instant may
 * pass it by one each. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_server *s = cls;

	(void)addr;
	(void)addrlen;
	return atomic_load(&s->connections) < s->opts.max_connections ? MHD_YES : MHD_NO;
}

static void connection_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;

	(void)conn;
	(void)socket_context;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&s->connections, 1);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
		atomic_fetch_sub(&s->connections, 1);
}

static void wake_drain(struct http_watch *w, uint32_t events)
{
	uint64_t v;

	(void)events;
	(void)!read(w->fd, &v, sizeof(v));
}

static void *loop_main(void *arg)
{
	struct http_loop *l = arg;
	struct epoll_event evs[64];
	bool again = false; /* requests were resumed after MHD last ran */

	current_loop = l;
	log_batch_start();
	while (!atomic_load(&l->stop)) {
		MHD_UNSIGNED_LONG_LONG mhd_ms;
		int timeout = 1000, n;

		if (again)
			timeout = 0;
		else if (MHD_get_timeout(l->mhd, &mhd_ms) == MHD_YES && mhd_ms < 1000)
			timeout = (int)mhd_ms;
		n = epoll_wait(l->epfd, evs, (int)ELEMENTSOF(evs), timeout);
		if (n < 0 && errno != EINTR) {
			log_error("http: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct http_watch *w = evs[i].data.ptr;
			if (w->fn) /* MHD's own fd has none: MHD_run() below serves it */
				w->fn(w, evs[i].events);
		}
		if (atomic_load(&l->quiesce) && !l->quiesced) {
			MHD_socket fd = MHD_quiesce_daemon(l->mhd);
			if (fd != MHD_INVALID_SOCKET)
				(void)close(fd);
			l->quiesced = true;
		}
		/* every pass, not only when MHD's fd is ready: its timeouts, and the connections
		 * resumed since the last pass, are handled there */
		(void)MHD_run(l->mhd);
		again = pipeline_loop_flush(l->pipes);
		log_batch_flush(); /* the pass's request lines, in one write */
	}
	/* what still waits on a store is answered with a failure, so MHD can close it */
	pipeline_loop_free(&l->pipes);
	(void)MHD_run(l->mhd);
	log_batch_stop();
	current_loop = NULL;
	return NULL;
}

static void loop_release(struct http_loop *l)
{
	if (l->started) {
		atomic_store(&l->stop, true);
		loop_wake(l);
		(void)pthread_join(l->thread, NULL);
	}
	if (l->mhd)
		MHD_stop_daemon(l->mhd);
	if (l->wakefd >= 0)
		(void)close(l->wakefd);
	if (l->epfd >= 0)
		(void)close(l->epfd);
	*l = (struct http_loop){ .epfd = -1, .wakefd = -1 };
}

static int loop_init(struct http_server *s, struct http_loop *l)
{
	const union MHD_DaemonInfo *di;
	int fd, r;

	l->s = s;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->wakefd < 0)
		return -errno;
	/* each daemon owns a duplicate of the listening socket and closes it when it stops */
	fd = fcntl(s->opts.listen_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	l->mhd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, accept_policy, s,
		access_handler, l, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
		s->opts.max_connections + 1, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		s->opts.connection_memory_limit, MHD_OPTION_NOTIFY_CONNECTION, connection_notify, s,
		MHD_OPTION_CONNECTION_TIMEOUT, s->opts.connection_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, request_completed, s, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, NULL, MHD_OPTION_UNESCAPE_CALLBACK, unescape_keep_separators, NULL,
		MHD_OPTION_END);
	if (!l->mhd) {
		(void)close(fd);
		return -EIO;
	}
	di = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di)
		return -EIO;
	l->mhd_watch.fd = di->epoll_fd;
	l->wake_watch.fd = l->wakefd;
	l->wake_watch.fn = wake_drain;
	r = http_loop_watch(l, &l->mhd_watch, EPOLLIN);
	if (r >= 0)
		r = http_loop_watch(l, &l->wake_watch, EPOLLIN);
	if (r < 0)
		return r;
	r = -pthread_create(&l->thread, NULL, loop_main, l);
	if (r < 0)
		return r;
	l->started = true;
	return 0;
}

int http_server_start(const struct http_options *opts, struct http_server **ret)
{
	struct http_server *s;
	unsigned n;
	int r = -ENOMEM;

	s = new0(struct http_server, 1);
	if (!s)
		return -ENOMEM;
	s->opts = *opts;
	s->api_token = opts->api_token ? mem_strdup(opts->api_token) : NULL;
	s->read_token = opts->read_token ? mem_strdup(opts->read_token) : NULL;
	if ((opts->api_token && !s->api_token) || (opts->read_token && !s->read_token))
		goto fail;
	s->opts.api_token = s->opts.read_token = NULL;
	if (getrandom(&s->id_base, sizeof(s->id_base), GRND_NONBLOCK) != sizeof(s->id_base))
		s->id_base = (uint64_t)now_usec(CLOCK_REALTIME) << 16;
	s->id_base &= ~(uint64_t)0xffffffff;

	n = opts->threads ? opts->threads : 1;
	s->loops = new0(struct http_loop, n);
	if (!s->loops)
		goto fail;
	for (unsigned i = 0; i < n; i++)
		s->loops[i] = (struct http_loop){ .epfd = -1, .wakefd = -1 };
	for (unsigned i = 0; i < n; i++) {
		s->n_loops = i + 1;
		r = loop_init(s, &s->loops[i]);
		if (r < 0)
			goto fail;
	}
	/* the loops hold their duplicates; the original is ours to close */
	(void)close(opts->listen_fd);
	s->opts.listen_fd = -1;
	*ret = s;
	return 0;
fail:
	for (unsigned i = 0; i < s->n_loops; i++)
		loop_release(&s->loops[i]);
	mem_free(s->loops);
	mem_free(s->api_token);
	mem_free(s->read_token);
	mem_free(s);
	return r;
}

const struct http_options *request_options(const struct request *req)
{
	return &req->server->opts;
}

unsigned http_server_active(const struct http_server *s)
{
	return atomic_load(&s->active);
}

void http_server_stop(struct http_server *s, usec_t drain)
{
	usec_t deadline;

	if (!s)
		return;
	for (unsigned i = 0; i < s->n_loops; i++) {
		atomic_store(&s->loops[i].quiesce, true);
		loop_wake(&s->loops[i]);
	}
	deadline = now_usec(CLOCK_MONOTONIC) + drain;
	while (atomic_load(&s->active) > 0 && now_usec(CLOCK_MONOTONIC) < deadline) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (atomic_load(&s->active) > 0)
		log_warning("http: %u requests still in flight at shutdown",
			    atomic_load(&s->active));
	for (unsigned i = 0; i < s->n_loops; i++)
		loop_release(&s->loops[i]);
	mem_free(s->loops);
	mem_free(s->api_token);
	mem_free(s->read_token);
	mem_free(s);
}
