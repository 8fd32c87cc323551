/* Prometheus metrics (text exposition format 0.0.4) for GET /metrics: HTTP requests by route,
 * method and status with latency histograms, registry reloads and model changes, generations,
 * event streams. Recording is thread-safe and cheap; rendering happens per scrape. */
#ifndef API_METRICS_H
#define API_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/macro.h"
#include "base/time-util.h"

struct snapshot;

/* route: the matched pattern ("/models/{m}"), or NULL for an unmatched path. */
void metrics_http_request(const char *route, const char *method, unsigned status, usec_t duration);
void metrics_registry_reload(void);
void metrics_model_change(const char *kind); /* "added", "changed", "removed" */
void metrics_generation(bool ok, usec_t duration);
void metrics_event_published(void);

/* Render every family; snap (may be NULL) adds the per-model gauges, event_streams the
 * number of open /events streams. */
struct store_info;
/* The pool and store series, one per model with a store. */
_must_check_ int metrics_render_stores(struct buf *out, const struct store_info *v, size_t n);
_must_check_ int metrics_render(struct buf *out, const struct snapshot *snap,
				unsigned event_streams);

#endif
