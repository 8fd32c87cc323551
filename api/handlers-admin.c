#include "config.h"

#include <jansson.h>

#include "api/events.h"
#include "api/handlers.h"
#include "api/http.h"
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
