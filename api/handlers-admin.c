#include "config.h"

#include <string.h>

#include <jansson.h>

#include "api/events.h"
#include "api/handlers.h"
#include "api/http.h"
#include "api/metrics.h"
#include "api/openapi.h"
#include "api/stores.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "api/request.h"

int handle_healthz(struct request *req)
{
	return request_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

int handle_version(struct request *req)
{
	return request_reply_json(req, 200,
				  json_pack("{s:s, s:s, s:s}", "name", PACKAGE_NAME, "version",
					    PACKAGE_VERSION, "upstreamCompatibility",
					    "bal persist 1.9.1"));
}

int handle_events(struct request *req)
{
	return event_bus_serve(request_options(req)->events, req);
}

int handle_metrics(struct request *req)
{
	const struct http_options *o = request_options(req);
	_cleanup_buf_ struct buf out = BUF_INIT(16 << 20);
	int r;

	r = metrics_render(&out, req->snap, o->events ? event_bus_clients(o->events) : 0);
	if (r >= 0 && o->stores) {
		struct store_info *v = NULL;
		size_t n = 0;
		r = store_table_list(o->stores, &v, &n);
		if (r >= 0)
			r = metrics_render_stores(&out, v, n);
		mem_free(v);
	}
	if (r < 0)
		return r;
	return request_reply_bytes(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.buf,
				   out.len);
}

int handle_openapi(struct request *req)
{
	return request_reply_json(req, 200, openapi_document(req->snap));
}
