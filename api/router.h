/* The static route table: {method, path pattern} → handler. */
#ifndef API_ROUTER_H
#define API_ROUTER_H

#include <stdbool.h>

struct request;

/* A handler either queues a reply and returns >= 0, or returns a negative errno and the
 * router answers with the matching problem. */
typedef int route_handler(struct request *req);

struct route {
	const char *method; /* "GET", "POST", ...; GET routes also answer HEAD */
	const char *pattern; /* "/models/{m}/source": {x} matches one non-empty segment */
	route_handler *handler;
};

/* Match pattern against path; on success fill params (percent-decoded segment copies) when
 * params is not NULL. Returns 1 on a match, 0 on none, -ENOMEM. */
int route_match(const char *pattern, const char *path, char **params, unsigned *n_params);

/* Find the route for req and run it: 404 for an unknown path, 405 (with Allow) for a known
 * path with another method. */
int router_dispatch(struct request *req);

/* The compiled-in table, for tests and the OpenAPI document. */
const struct route *router_routes(unsigned *ret_n);

#endif
