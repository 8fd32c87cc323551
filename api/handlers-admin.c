#include "config.h"

#include <jansson.h>

#include "api/handlers.h"
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
