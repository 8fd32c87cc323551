#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>

#include "api/handlers.h"
#include "api/request.h"
#include "base/hash.h"
#include "base/macro.h"
#include "base/strutil.h"

/* The dashboard's files (web/, compiled in by web/embed.sh): GET / is web/index.html, GET
 * /assets/{name} any other file. Each reply carries a strong ETag of its bytes and
 * "Cache-Control: no-cache", so a browser keeps its copy and revalidates it (304) on every
 * load, and a new persistd binary is never mixed with an old script. */

static const struct {
	const char *suffix;
	const char *type;
} content_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".json", "application/json" },
	{ ".png", "image/png" },
};

/* Scripts, styles and images come from persistd itself; the page talks only to persistd. */
static const char page_csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
			       "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
			       "form-action 'none'; frame-ancestors 'none'";

static const char *content_type_of(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < ELEMENTSOF(content_types); i++) {
		size_t k = strlen(content_types[i].suffix);
		if (n > k && streq(name + n - k, content_types[i].suffix))
			return content_types[i].type;
	}
	return "application/octet-stream";
}

static const struct web_asset *asset_find(const char *name)
{
	for (size_t i = 0; i < web_n_assets; i++)
		if (streq(web_assets[i].name, name))
			return &web_assets[i];
	return NULL;
}

static int serve_asset(struct request *req, const struct web_asset *a)
{
	const char *inm = request_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *type = content_type_of(a->name);
	struct MHD_Response *resp;
	unsigned status = 200;
	enum MHD_Result ok;
	char etag[24];

	(void)snprintf(etag, sizeof(etag), "\"%016" PRIx64 "\"", fnv1a64(a->data, a->len));
	if (inm && etag_matches(inm, etag))
		status = 304;
	/* The bytes live as long as the program: MHD sends them without a copy. */
	resp = MHD_create_response_from_buffer(status == 304 ? 0 : a->len, (void *)a->data,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return -ENOMEM;
	if (status == 200)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	(void)MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	(void)MHD_add_response_header(resp, "X-Request-Id", req->id_str);
	if (strncmp(type, "text/html", 9) == 0) {
		(void)MHD_add_response_header(resp, "Content-Security-Policy", page_csp);
		(void)MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
		(void)MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	}
	ok = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	if (ok != MHD_YES)
		return -EIO;
	req->replied = true;
	req->status = status;
	return 0;
}

int handle_web_index(struct request *req)
{
	const struct web_asset *a = asset_find("index.html");

	if (!a)
		return -ENOENT;
	return serve_asset(req, a);
}

int handle_web_asset(struct request *req)
{
	const struct web_asset *a = req->n_params == 1 ? asset_find(req->params[0]) : NULL;

	if (!a || streq(a->name, "index.html"))
		return request_reply_problem(req, 404, "not_found", "no such asset",
					     "the dashboard has no file of that name");
	return serve_asset(req, a);
}
