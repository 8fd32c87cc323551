/* The registry's figures: save-to-generated latency, start-up with many models, and
 * GET /models/{m} throughput. Prints them; asserts nothing.
 * Usage: bench-registry [saves] [models]   (defaults 50 and 10000) */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tests/helpers/proc.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* ---- save → generate.finished, read from the event stream ---- */

struct stream {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned finished; /* generate.finished events seen */
	char tail[256];
	const char *url;
	volatile int stop;
};

static size_t on_events(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct stream *st = userdata;
	size_t n = size * nmemb;
	char buf[4096 + 256];
	size_t t = strlen(st->tail), k = n < 4096 ? n : 4096;

	memcpy(buf, st->tail, t);
	memcpy(buf + t, ptr, k);
	buf[t + k] = '\0';
	pthread_mutex_lock(&st->lock);
	for (char *p = buf; (p = strstr(p, "event: generate.finished")); p++)
		st->finished++;
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
	/* Keep the end, so an event split across two reads is still found. */
	k = strlen(buf);
	snprintf(st->tail, sizeof(st->tail), "%s", buf + (k > 64 ? k - 64 : 0));
	return st->stop ? 0 : n;
}

static void *read_events(void *arg)
{
	struct stream *st = arg;
	CURL *c = curl_easy_init();

	curl_easy_setopt(c, CURLOPT_URL, st->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_events);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, st);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 120000L);
	curl_easy_perform(c);
	curl_easy_cleanup(c);
	return NULL;
}

static void bench_save_latency(unsigned saves)
{
	static const char *const quiet[] = { "--log-level", "warning", NULL };
	struct persistd_proc p;
	struct stream st = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	char project[256], url[128], tmp[512], dst[512];
	double *lat = calloc(saves, sizeof(double));
	unsigned got = 0;
	pthread_t t;

	if (!lat || test_copy_example("shop", project, sizeof(project)) < 0 ||
	    persistd_start(project, quiet, &p) < 0) {
		fprintf(stderr, "bench-registry: cannot start persistd\n");
		exit(1);
	}
	snprintf(url, sizeof(url), "%s/events", p.base_url);
	st.url = url;
	pthread_create(&t, NULL, read_events, &st);
	usleep(300 * 1000);
	snprintf(tmp, sizeof(tmp), "%s/persist/.users.bal.new", project);
	snprintf(dst, sizeof(dst), "%s/persist/users.bal", project);
	for (unsigned i = 0; i < saves; i++) {
		FILE *f = fopen(tmp, "w");
		unsigned before;
		double t0;
		struct timespec dl;

		fprintf(f,
			"import ballerina/persist as _;\n\npublic type User record {|\n"
			"    readonly int id;\n    string name;\n    int v%u;\n|};\n",
			i);
		fclose(f);
		pthread_mutex_lock(&st.lock);
		before = st.finished;
		pthread_mutex_unlock(&st.lock);
		t0 = now_s();
		rename(tmp, dst);
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 5;
		pthread_mutex_lock(&st.lock);
		while (st.finished == before &&
		       pthread_cond_timedwait(&st.cond, &st.lock, &dl) == 0)
			;
		if (st.finished != before)
			lat[got++] = (now_s() - t0) * 1000;
		pthread_mutex_unlock(&st.lock);
	}
	st.stop = 1;
	persistd_stop(&p, SIGTERM, 10000);
	pthread_join(t, NULL);
	test_remove_tree(project);
	qsort(lat, got, sizeof(double), cmp_double);
	printf("save to generate.finished (rename into place, default 20 ms debounce):\n");
	if (got)
		printf("  %u/%u saves  p50 %.1f ms  p95 %.1f ms  max %.1f ms  (target p50 < 30 ms)\n",
		       got, saves, lat[got / 2], lat[got * 95 / 100], lat[got - 1]);
	else
		printf("  no generate.finished event seen\n");
	free(lat);
}

/* ---- start-up with many models ---- */

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void bench_startup(unsigned models)
{
	static const char *const quiet[] = { "--log-level", "warning", NULL };
	char project[64] = "/tmp/persistd-bench.XXXXXX", path[256];
	struct persistd_proc p;
	double t0, t1;

	if (!mkdtemp(project))
		exit(1);
	snprintf(path, sizeof(path), "%s/Ballerina.toml", project);
	FILE *f = fopen(path, "w");
	fprintf(f, "[package]\norg = \"bench\"\nname = \"many\"\nversion = \"0.1.0\"\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/persist", project);
	mkdir(path, 0755);
	for (unsigned i = 0; i < models; i++) {
		snprintf(path, sizeof(path), "%s/persist/m%05u.bal", project, i);
		f = fopen(path, "w");
		fprintf(f,
			"import ballerina/persist as _;\n\npublic type E%u record {|\n"
			"    readonly int id;\n    string name;\n    decimal price;\n|};\n",
			i);
		fclose(f);
	}
	t0 = now_s();
	if (persistd_start(project, quiet, &p) < 0) {
		fprintf(stderr, "bench-registry: persistd did not start with %u models\n", models);
		exit(1);
	}
	/* /healthz answers once the registry has been loaded: it is loaded before listening. */
	t1 = now_s();
	printf("start-up with %u models: %.2f s to serving, RSS %ld MiB  (target < 2 s, < 200 MB)\n",
	       models, t1 - t0, rss_kib(p.pid) / 1024);
	persistd_stop(&p, SIGTERM, 10000);
	test_remove_tree(project);
}

/* ---- GET /models/{m} ---- */

struct getter {
	const char *url;
	unsigned n, ok;
};

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

static void *get_loop(void *arg)
{
	struct getter *g = arg;
	CURL *c = curl_easy_init();
	long status;

	curl_easy_setopt(c, CURLOPT_URL, g->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	for (unsigned i = 0; i < g->n; i++)
		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
		    status == 200)
			g->ok++;
	curl_easy_cleanup(c);
	return NULL;
}

static void bench_model_get(void)
{
	static const char *const quiet[] = { "--log-level", "warning", NULL };
	enum { THREADS = 4, REQUESTS = 2000 };
	struct getter g[THREADS];
	pthread_t t[THREADS];
	struct persistd_proc p;
	char project[256], url[128];
	unsigned ok = 0;
	double t0, dt;

	if (test_copy_example("shop", project, sizeof(project)) < 0 ||
	    persistd_start(project, quiet, &p) < 0)
		exit(1);
	snprintf(url, sizeof(url), "%s/models/inventory", p.base_url);
	t0 = now_s();
	for (int i = 0; i < THREADS; i++) {
		g[i] = (struct getter){ .url = url, .n = REQUESTS };
		pthread_create(&t[i], NULL, get_loop, &g[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ok += g[i].ok;
	}
	dt = now_s() - t0;
	persistd_stop(&p, SIGTERM, 10000);
	test_remove_tree(project);
	printf("GET /models/inventory: %u threads x %u, %u ok, %.0f req/s\n", THREADS, REQUESTS, ok,
	       (double)(THREADS * REQUESTS) / dt);
}

int main(int argc, char **argv)
{
	unsigned saves = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 50;
	unsigned models = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10000;

	if (saves == 0 || saves > 10000 || models == 0 || models > 100000) {
		fprintf(stderr, "usage: bench-registry [saves 1..10000] [models 1..100000]\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	bench_save_latency(saves);
	bench_startup(models);
	bench_model_get();
	curl_global_cleanup();
	return 0;
}
