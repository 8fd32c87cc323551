/* The HTTP server: event loops of our own (http.threads of them), each driving a
 * libmicrohttpd daemon in external epoll mode on a duplicate of a listening socket we own,
 * beside the store pipes of its requests (api/pipeline.c). */
#ifndef API_HTTP_H
#define API_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"
#include "base/time-util.h"

struct http_options {
	int listen_fd; /* bound, listening; the server takes ownership */
	unsigned threads; /* worker threads */
	size_t max_body_bytes; /* request bodies above this get 413 */
	unsigned max_connections; /* MHD refuses connections above this */
	size_t connection_memory_limit; /* per-connection MHD memory pool */
	unsigned connection_timeout_s; /* idle connections are closed after this */
	const char *api_token; /* NULL: no auth */
	const char *read_token; /* NULL: none; allows GET/HEAD only */
	struct registry *registry; /* the live models; each request takes a snapshot */
	const char *project_dir;
	size_t max_file_bytes; /* largest model file PUT .../source accepts */
	struct event_bus *events; /* GET /events */
	struct store_table *stores; /* the models' pools; NULL: no data routes */
	unsigned max_page_size; /* largest `limit` of a list; also the default */
};

struct http_server;
struct http_loop;
struct loop_pipes;
struct registry;
struct request;
struct MHD_Connection;

/* A file descriptor a loop watches; fn runs on the loop's thread with the epoll events (NULL
 * only for MHD's own epoll fd, which the pass's MHD_run() serves). */
struct http_watch {
	int fd;
	bool registered;
	void (*fn)(struct http_watch *w, uint32_t events);
};

_must_check_ int http_server_start(const struct http_options *opts, struct http_server **ret);
/* Stop accepting, wait up to drain for in-flight requests, then stop the workers and free. */
void http_server_stop(struct http_server *s, usec_t drain);
/* Add w (or change its events) / remove it; the loop's thread only. */
_must_check_ int http_loop_watch(struct http_loop *l, struct http_watch *w, uint32_t events);
void http_loop_unwatch(struct http_loop *l, struct http_watch *w);
/* The loop's store pipes (api/pipeline.c keeps them there). */
struct loop_pipes **http_loop_pipes(struct http_loop *l);
/* Any thread: resume a connection one of s's loops suspended, waking that loop. */
void http_server_resume(struct http_server *s, struct MHD_Connection *conn);
/* Requests currently being handled. */
unsigned http_server_active(const struct http_server *s);

#endif
