/* The HTTP server: libmicrohttpd in thread-pool mode on a listening socket we own. */
#ifndef API_HTTP_H
#define API_HTTP_H

#include <stddef.h>

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
struct registry;

_must_check_ int http_server_start(const struct http_options *opts, struct http_server **ret);
/* Stop accepting, wait up to drain for in-flight requests, then stop the workers and free. */
void http_server_stop(struct http_server *s, usec_t drain);
/* Requests currently being handled. */
unsigned http_server_active(const struct http_server *s);

#endif
