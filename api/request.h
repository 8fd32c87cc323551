/* One HTTP request as the handlers see it, and the ways to answer it. */
#ifndef API_REQUEST_H
#define API_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/time-util.h"

struct MHD_Connection;
struct http_loop;
struct pipe_wait;
struct request;

/* The second half of a handler that suspended its request (request_suspend). */
typedef int request_resume_fn(struct request *req);
struct http_options;
struct http_server;
struct snapshot;

#define ROUTE_MAX_PARAMS 16

struct request {
	struct MHD_Connection *conn;
	struct http_server *server;
	uint64_t id;
	char id_str[65]; /* the client's X-Request-Id when it sent a usable one, else ours */
	const char *method; /* borrowed from MHD, valid for the request's life */
	const char *url; /* path as MHD decoded it, without the query string */
	struct buf body; /* capped at the server's max_body_bytes */
	bool body_too_large;
	bool replied;
	unsigned status;
	usec_t started;
	/* Path parameters of the matched route, percent-decoded, in pattern order. */
	unsigned n_params;
	char *params[ROUTE_MAX_PARAMS];
	const char *route; /* the matched route pattern, NULL when none matched */
	/* The registry as it was when the request arrived (NULL without a registry). */
	struct snapshot *snap;
	/* The event loop serving the request, and what a suspended request waits for. */
	struct http_loop *loop;
	bool suspended;
	request_resume_fn *resume_fn; /* called instead of the route once resumed */
	struct pipe_wait *wait; /* a pipelined store read in flight (api/pipeline.c) */
	bool no_pipeline; /* a pipelined read failed: go through the pool */
};

/* In place: "%2F" → '/' and "%25" → '%', the escapes the server leaves in a path and its query
 * arguments for the router to split segments first. */
void http_decode_kept_escapes(char *s);

/* Park the request without a reply: the loop serves other connections meanwhile. Its
 * resume_fn runs once request_resume() (from the loop's thread) lets it go on. */
void request_suspend(struct request *req);
void request_resume(struct request *req);

/* The server's options: project directory, limits. */
const struct http_options *request_options(const struct request *req);

/* A request header's value (case-insensitive name) or a query argument; NULL when absent.
 * Borrowed from MHD. */
const char *request_header(struct request *req, const char *name);
const char *request_query(struct request *req, const char *name);

/* Call fn for each query argument in order (a bare "?flag" has value ""); stops at and
 * returns fn's first negative result. */
typedef int request_query_fn(const char *key, const char *value, void *userdata);
int request_query_each(struct request *req, request_query_fn *fn, void *userdata);

/* Queue a JSON array (stolen) sent element by element with chunked encoding. */
int request_reply_json_array_stream(struct request *req, unsigned status, json_t *array);
/* Queue a JSON response. Steals body (which may be NULL only on OOM: then 503). */
int request_reply_json(struct request *req, unsigned status, json_t *body);
/* Queue an application/problem+json response; detail may be NULL. */
int request_reply_problem(struct request *req, unsigned status, const char *code, const char *title,
			  const char *detail);
/* Queue the problem for error (a negative errno) through the errno table. */
int request_reply_errno(struct request *req, int error, const char *detail);
/* Queue a response from a prepared problem object (stolen); its status member is used. */
int request_reply_problem_json(struct request *req, json_t *problem);
/* Queue raw bytes with a content type; the bytes are copied. */
int request_reply_bytes(struct request *req, unsigned status, const char *content_type,
			const void *data, size_t len);
/* The body as a JSON object (duplicate keys rejected); an empty body is an empty object. On a
 * malformed body a 400 has been queued and -EINVAL is returned. *ret is a new reference. */
int request_body_object(struct request *req, json_t **ret);
/* Read the members of obj: strings named in keys (NULL-terminated) into vals, booleans named
 * in bool_keys (may be NULL) into bools. An unknown member or a wrong type queues a 400 and
 * returns -EINVAL. The strings are borrowed from obj. */
int request_body_members(struct request *req, json_t *obj, const char *const *keys,
			 const char **vals, const char *const *bool_keys, bool *bools);

/* Whether an If-Match / If-None-Match header value lists etag (or is "*"). */
bool etag_matches(const char *header, const char *etag);

/* Add a response header to the next reply (name and value are copied). */
int request_add_header(struct request *req, const char *name, const char *value);

#endif
