/* GET /openapi.json: an OpenAPI 3.1 document of the whole API, the data routes of every valid
 * model included (its resources, key paths and record schemas), built from the snapshot a
 * request holds, so it always matches the registry. */
#ifndef API_OPENAPI_H
#define API_OPENAPI_H

#include <jansson.h>

struct snapshot;

/* A new reference, NULL on OOM. */
json_t *openapi_document(const struct snapshot *snap);

#endif
