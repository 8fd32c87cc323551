#include "config.h"

#include <errno.h>
#include <string.h>

#include "api/handlers.h"
#include "api/request.h"
#include "api/router.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/strutil.h"

static const struct route routes[] = {
	{ "GET", "/", handle_web_index },
	{ "GET", "/assets/{name}", handle_web_asset },
	{ "GET", "/healthz", handle_healthz },
	{ "GET", "/version", handle_version },
	{ "GET", "/readyz", handle_readyz },
	{ "GET", "/events", handle_events },
	{ "GET", "/metrics", handle_metrics },
	{ "GET", "/openapi.json", handle_openapi },
	{ "GET", "/models", handle_models_list },
	{ "GET", "/models/{m}", handle_model_get },
	{ "GET", "/models/{m}/source", handle_model_source_get },
	{ "PUT", "/models/{m}/source", handle_model_source_put },
	{ "POST", "/models/{m}/init", handle_model_init },
	{ "POST", "/models/{m}/add", handle_model_add },
	{ "POST", "/models/{m}/generate", handle_model_generate },
	{ "POST", "/init", handle_model_init },
	{ "POST", "/generate", handle_model_generate },
	{ "POST", "/models/{m}/migrate", handle_model_migrate },
	{ "POST", "/migrate", handle_model_migrate },
	{ "POST", "/add", handle_model_add },
	{ "POST", "/models/{m}/push", handle_model_push },
	{ "POST", "/models/{m}/pull", handle_model_pull },
	{ "POST", "/pull", handle_model_pull },
	{ "GET", "/models/{m}/data/{r}", handle_data_list },
	{ "POST", "/models/{m}/data/{r}", handle_data_post },
	{ "GET", "/models/{m}/data/{r}/{k...}", handle_data_get },
	{ "PUT", "/models/{m}/data/{r}/{k...}", handle_data_update },
	{ "PATCH", "/models/{m}/data/{r}/{k...}", handle_data_update },
	{ "DELETE", "/models/{m}/data/{r}/{k...}", handle_data_delete },
};

const struct route *router_routes(unsigned *ret_n)
{
	*ret_n = ELEMENTSOF(routes);
	return routes;
}

int route_match(const char *pattern, const char *path, char **params, unsigned *n_params)
{
	const char *p = pattern, *s = path;
	unsigned n = 0;

	while (*p && *s) {
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			const char *se = strchr(s, '/');
			size_t len = se ? (size_t)(se - s) : strlen(s);
			/* "{k...}" at the end takes every remaining segment, one parameter each. */
			bool rest = pe && pe - p > 4 && strncmp(pe - 3, "...", 3) == 0;

			if (!pe || len == 0)
				goto nomatch;
			/* a trailing '/' after the last segment never matches */
			if (rest && se && se[1] == '\0')
				goto nomatch;
			if (params) {
				if (n >= ROUTE_MAX_PARAMS)
					goto nomatch;
				params[n] = mem_strndup(s, len);
				if (!params[n]) {
					while (n > 0)
						mem_free(params[--n]);
					return -ENOMEM;
				}
				http_decode_kept_escapes(params[n]);
			}
			n++;
			if (rest && se) {
				s += len + 1;
				continue;
			}
			p = pe + 1;
			s += len;
			continue;
		}
		if (*p != *s)
			goto nomatch;
		p++;
		s++;
	}
	if (*p || *s)
		goto nomatch;
	if (n_params)
		*n_params = n;
	return 1;
nomatch:
	if (params)
		while (n > 0)
			mem_free(params[--n]);
	return 0;
}

static bool method_matches(const char *route_method, const char *method)
{
	if (streq(route_method, method))
		return true;
	return streq(route_method, "GET") && streq(method, "HEAD");
}

int router_dispatch(struct request *req)
{
	_cleanup_buf_ struct buf allow = BUF_INIT(256);
	int r;

	for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
		if (route_match(routes[i].pattern, req->url, NULL, NULL) <= 0)
			continue;
		if (!method_matches(routes[i].method, req->method)) {
			if (!strstr(allow.buf, routes[i].method)) {
				r = buf_addf(&allow, "%s%s", allow.len ? ", " : "",
					     routes[i].method);
				if (r < 0)
					return r;
				if (streq(routes[i].method, "GET")) {
					r = buf_adds(&allow, ", HEAD");
					if (r < 0)
						return r;
				}
			}
			continue;
		}
		r = route_match(routes[i].pattern, req->url, req->params, &req->n_params);
		if (r < 0)
			return r;
		req->route = routes[i].pattern;
		return routes[i].handler(req);
	}

	if (allow.len > 0) {
		r = request_add_header(req, "Allow", allow.buf);
		if (r < 0)
			return r;
		return request_reply_problem(req, 405, "method_not_allowed", "method not allowed",
					     "this resource does not support that method");
	}
	return request_reply_problem(req, 404, "not_found", "no such route",
				     "no resource lives at this path");
}
