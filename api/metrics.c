#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/metrics.h"
#include "api/stores.h"
#include "api/registry.h"
#include "base/alloc.h"
#include "base/strutil.h"
#include "models/model-set.h"

/* Upper bounds in seconds; +Inf is implied. */
static const double buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				  0.05,	  0.1,	 0.25,	 0.5,	1,    2.5 };
#define N_BUCKETS ELEMENTSOF(buckets)

struct histogram {
	uint64_t counts[N_BUCKETS + 1];
	uint64_t count;
	double sum;
};

static void histogram_add(struct histogram *h, usec_t d)
{
	double s = (double)d / 1e6;
	size_t i = 0;

	while (i < N_BUCKETS && s > buckets[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum += s;
}

struct http_series {
	const char *route; /* static: a route table pattern or "unmatched" */
	char method[8];
	unsigned status;
	uint64_t count;
};

struct route_latency {
	const char *route;
	struct histogram h;
};

#define MAX_HTTP_SERIES 512
#define MAX_ROUTES	64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_series http[MAX_HTTP_SERIES];
static size_t n_http;
static uint64_t http_dropped; /* series beyond the cap, still counted */
static struct route_latency latency[MAX_ROUTES];
static size_t n_latency;
static struct histogram generation_h;
static uint64_t generations_ok, generations_failed;
static atomic_uint_fast64_t registry_reloads, events_published;
static atomic_uint_fast64_t changes_added, changes_changed, changes_removed;
static usec_t started_at;

static const char *method_label(const char *m)
{
	static const char *const known[] = { "GET",   "HEAD",	"POST",	  "PUT",
					     "PATCH", "DELETE", "OPTIONS" };
	for (size_t i = 0; i < ELEMENTSOF(known); i++)
		if (streq(m, known[i]))
			return known[i];
	return "OTHER"; /* arbitrary methods must not grow the label space */
}

void metrics_http_request(const char *route, const char *method, unsigned status, usec_t duration)
{
	const char *r = route ? route : "unmatched";
	const char *m = method_label(method);
	size_t i;

	pthread_mutex_lock(&lock);
	if (!started_at)
		started_at = now_usec(CLOCK_REALTIME);
	for (i = 0; i < n_http; i++)
		if (http[i].route == r && http[i].status == status && streq(http[i].method, m))
			break;
	if (i == n_http && n_http < MAX_HTTP_SERIES) {
		http[n_http].route = r;
		http[n_http].status = status;
		memcpy(http[n_http].method, m, strlen(m) + 1);
		n_http++;
	}
	if (i < n_http)
		http[i].count++;
	else
		http_dropped++;
	for (i = 0; i < n_latency; i++)
		if (latency[i].route == r)
			break;
	if (i == n_latency && n_latency < MAX_ROUTES)
		latency[n_latency++].route = r;
	if (i < n_latency)
		histogram_add(&latency[i].h, duration);
	pthread_mutex_unlock(&lock);
}

void metrics_registry_reload(void)
{
	atomic_fetch_add(&registry_reloads, 1);
}

void metrics_model_change(const char *kind)
{
	if (streq(kind, "added"))
		atomic_fetch_add(&changes_added, 1);
	else if (streq(kind, "removed"))
		atomic_fetch_add(&changes_removed, 1);
	else
		atomic_fetch_add(&changes_changed, 1);
}

void metrics_generation(bool ok, usec_t duration)
{
	pthread_mutex_lock(&lock);
	if (ok)
		generations_ok++;
	else
		generations_failed++;
	histogram_add(&generation_h, duration);
	pthread_mutex_unlock(&lock);
}

void metrics_event_published(void)
{
	atomic_fetch_add(&events_published, 1);
}

/* A label value with \, " and line breaks escaped, as the exposition format wants. */
static int add_label(struct buf *out, const char *v)
{
	int r = 0;
	for (; r >= 0 && *v; v++) {
		if (*v == '\\' || *v == '"')
			r = buf_addf(out, "\\%c", *v);
		else if (*v == '\n')
			r = buf_adds(out, "\\n");
		else
			r = buf_addc(out, *v);
	}
	return r;
}

static int render_histogram(struct buf *out, const char *name, const char *labels,
			    const struct histogram *h)
{
	uint64_t cum = 0;
	int r = 0;

	for (size_t i = 0; r >= 0 && i <= N_BUCKETS; i++) {
		cum += h->counts[i];
		if (i < N_BUCKETS)
			r = buf_addf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels,
				     *labels ? "," : "", buckets[i], (unsigned long long)cum);
		else
			r = buf_addf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels,
				     *labels ? "," : "", (unsigned long long)cum);
	}
	if (r >= 0)
		r = buf_addf(out, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, labels, h->sum,
			     name, labels, (unsigned long long)h->count);
	return r;
}

int metrics_render(struct buf *out, const struct snapshot *snap, unsigned event_streams)
{
	char labels[160];
	int r;

	pthread_mutex_lock(&lock);
	r = buf_addf(out,
		     "# HELP persistd_build_info persistd version.\n"
		     "# TYPE persistd_build_info gauge\n"
		     "persistd_build_info{version=\"%s\"} 1\n"
		     "# HELP persistd_http_requests_total HTTP requests by route, method and "
		     "status.\n"
		     "# TYPE persistd_http_requests_total counter\n",
		     PACKAGE_VERSION);
	for (size_t i = 0; r >= 0 && i < n_http; i++)
		r = buf_addf(out,
			     "persistd_http_requests_total{route=\"%s\",method=\"%s\",code=\"%u\"} "
			     "%llu\n",
			     http[i].route, http[i].method, http[i].status,
			     (unsigned long long)http[i].count);
	if (r >= 0)
		r = buf_addf(
			out,
			"# HELP persistd_http_request_series_dropped_total Requests not counted "
			"by label because the series cap was reached.\n"
			"# TYPE persistd_http_request_series_dropped_total counter\n"
			"persistd_http_request_series_dropped_total %llu\n"
			"# HELP persistd_http_request_duration_seconds Time to answer a request.\n"
			"# TYPE persistd_http_request_duration_seconds histogram\n",
			(unsigned long long)http_dropped);
	for (size_t i = 0; r >= 0 && i < n_latency; i++) {
		(void)snprintf(labels, sizeof(labels), "route=\"%s\"", latency[i].route);
		r = render_histogram(out, "persistd_http_request_duration_seconds", labels,
				     &latency[i].h);
	}
	if (r >= 0)
		r = buf_addf(
			out,
			"# HELP persistd_generations_total Code generation runs by result.\n"
			"# TYPE persistd_generations_total counter\n"
			"persistd_generations_total{result=\"ok\"} %llu\n"
			"persistd_generations_total{result=\"failed\"} %llu\n"
			"# HELP persistd_generation_duration_seconds Time one generation took.\n"
			"# TYPE persistd_generation_duration_seconds histogram\n",
			(unsigned long long)generations_ok, (unsigned long long)generations_failed);
	if (r >= 0)
		r = render_histogram(out, "persistd_generation_duration_seconds", "",
				     &generation_h);
	pthread_mutex_unlock(&lock);
	if (r < 0)
		return r;

	r = buf_addf(out,
		     "# HELP persistd_registry_reloads_total Registry snapshots published.\n"
		     "# TYPE persistd_registry_reloads_total counter\n"
		     "persistd_registry_reloads_total %llu\n"
		     "# HELP persistd_model_changes_total Model files added, changed or removed.\n"
		     "# TYPE persistd_model_changes_total counter\n"
		     "persistd_model_changes_total{kind=\"added\"} %llu\n"
		     "persistd_model_changes_total{kind=\"changed\"} %llu\n"
		     "persistd_model_changes_total{kind=\"removed\"} %llu\n"
		     "# HELP persistd_events_published_total Events sent to /events streams.\n"
		     "# TYPE persistd_events_published_total counter\n"
		     "persistd_events_published_total %llu\n"
		     "# HELP persistd_event_streams Open /events streams.\n"
		     "# TYPE persistd_event_streams gauge\n"
		     "persistd_event_streams %u\n",
		     (unsigned long long)atomic_load(&registry_reloads),
		     (unsigned long long)atomic_load(&changes_added),
		     (unsigned long long)atomic_load(&changes_changed),
		     (unsigned long long)atomic_load(&changes_removed),
		     (unsigned long long)atomic_load(&events_published), event_streams);
	if (r >= 0 && started_at)
		r = buf_addf(
			out,
			"# HELP persistd_start_time_seconds When the first request was served.\n"
			"# TYPE persistd_start_time_seconds gauge\n"
			"persistd_start_time_seconds %llu\n",
			(unsigned long long)(started_at / USEC_PER_SEC));
	if (r >= 0 && snap) {
		r = buf_adds(out,
			     "# HELP persistd_model_info One series per model with its status.\n"
			     "# TYPE persistd_model_info gauge\n");
		for (size_t i = 0; r >= 0 && i < snap->models->n; i++) {
			const struct model_state *m = snap->models->models[i];
			r = buf_adds(out, "persistd_model_info{model=\"");
			if (r >= 0)
				r = add_label(out, m->entry.name);
			if (r >= 0)
				r = buf_addf(out, "\",status=\"%s\"} 1\n",
					     model_status_to_string(m->status));
		}
		if (r >= 0)
			r = buf_adds(out, "# HELP persistd_model_diagnostics Diagnostics per model "
					  "and severity.\n"
					  "# TYPE persistd_model_diagnostics gauge\n");
		for (size_t i = 0; r >= 0 && i < snap->models->n; i++) {
			const struct model_state *m = snap->models->models[i];
			r = buf_addf(
				out,
				"persistd_model_diagnostics{model=\"%s\",severity=\"error\"} %zu\n"
				"persistd_model_diagnostics{model=\"%s\",severity=\"warning\"} "
				"%zu\n",
				m->entry.name, m->diags.n_errors, m->entry.name,
				m->diags.n_warnings);
		}
	}
	return r;
}

/* One gauge or counter family over the stores: name, help, type and a value per store. */
static int render_store_family(struct buf *out, const struct store_info *v, size_t n,
			       const char *name, const char *type, const char *help,
			       uint64_t (*value)(const struct store_info *si))
{
	int r = buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);

	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (!v[i].servable)
			continue;
		r = buf_addf(out, "%s{model=\"", name);
		if (r >= 0)
			r = add_label(out, v[i].model);
		if (r >= 0)
			r = buf_addf(out, "\",datastore=\"%s\"} %llu\n", v[i].datastore,
				     (unsigned long long)value(&v[i]));
	}
	return r;
}

static uint64_t store_up(const struct store_info *si)
{
	return !si->down;
}
static uint64_t pool_open(const struct store_info *si)
{
	return si->stats.size;
}
static uint64_t pool_idle(const struct store_info *si)
{
	return si->stats.idle;
}
static uint64_t pool_in_use(const struct store_info *si)
{
	return si->stats.in_use;
}
static uint64_t pool_waiting(const struct store_info *si)
{
	return si->stats.waiting;
}
static uint64_t pool_acquires(const struct store_info *si)
{
	return si->stats.acquires;
}
static uint64_t pool_waits(const struct store_info *si)
{
	return si->stats.waits;
}
static uint64_t pool_timeouts(const struct store_info *si)
{
	return si->stats.timeouts;
}
static uint64_t store_errors(const struct store_info *si)
{
	return si->stats.errors;
}
static uint64_t pool_opened(const struct store_info *si)
{
	return si->stats.opened;
}
static uint64_t pool_closed(const struct store_info *si)
{
	return si->stats.closed;
}

static uint64_t pool_pipes(const struct store_info *si)
{
	return si->stats.pipes;
}
static uint64_t pool_pipe_reads(const struct store_info *si)
{
	return si->stats.pipe_reads;
}

int metrics_render_stores(struct buf *out, const struct store_info *v, size_t n)
{
	static const struct {
		const char *name, *type, *help;
		uint64_t (*value)(const struct store_info *si);
	} families[] = {
		{ "persistd_store_up", "gauge", "Whether the model's store answered the last try.",
		  store_up },
		{ "persistd_pool_connections", "gauge", "Open connections of the model's pool.",
		  pool_open },
		{ "persistd_pool_idle_connections", "gauge", "Idle connections of the pool.",
		  pool_idle },
		{ "persistd_pool_in_use_connections", "gauge", "Connections serving a request now.",
		  pool_in_use },
		{ "persistd_pool_waiting_requests", "gauge",
		  "Requests waiting for a free connection now.", pool_waiting },
		{ "persistd_pool_acquires_total", "counter", "Connections handed to requests.",
		  pool_acquires },
		{ "persistd_pool_waits_total", "counter",
		  "Acquires that had to wait for a free connection.", pool_waits },
		{ "persistd_pool_timeouts_total", "counter",
		  "Acquires that gave up waiting (answered 503).", pool_timeouts },
		{ "persistd_store_errors_total", "counter",
		  "Failed connects and health checks of the store.", store_errors },
		{ "persistd_pool_connections_opened_total", "counter", "Connections opened.",
		  pool_opened },
		{ "persistd_pool_connections_closed_total", "counter", "Connections closed.",
		  pool_closed },
		{ "persistd_pool_pipes", "gauge",
		  "Pipelined connections the event loops hold, beside the pool's.", pool_pipes },
		{ "persistd_pool_pipelined_reads_total", "counter",
		  "Reads by key sent through a pipe instead of a pooled connection.",
		  pool_pipe_reads },
	};
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(families); i++)
		r = render_store_family(out, v, n, families[i].name, families[i].type,
					families[i].help, families[i].value);
	return r;
}
