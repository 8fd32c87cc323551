/* JSON views of models for the API (API.md §3 "Model management"). All functions return a
 * new reference, NULL on OOM. */
#ifndef API_MODEL_JSON_H
#define API_MODEL_JSON_H

#include <jansson.h>

struct model_state;
struct snapshot;
struct diag_list;

/* The /models list entry: name, file, layout, status, datastore, targetModule, entities,
 * errors, warnings, updatedAt, generatedAt. */
json_t *model_summary_json(const struct snapshot *snap, const struct model_state *m,
			   unsigned long long generated_at);
/* /models/{m}: the summary plus entities, enums, diagnostics, binding and connection
 * (without the password). */
json_t *model_detail_json(const struct snapshot *snap, const struct model_state *m,
			  unsigned long long generated_at);
/* [{"code","severity","message","file","line","column"}] */
json_t *diagnostics_json(const struct diag_list *d);
/* RFC 3339 UTC text of a CLOCK_REALTIME µs value. */
json_t *timestamp_json(unsigned long long usec);

#endif
