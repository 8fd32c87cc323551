/* GET /healthz throughput and latency against a persistd on a free loopback port.
 * Usage: bench-http [threads] [requests per thread]. Prints its figures; asserts nothing. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "tests/helpers/proc.h"

struct worker {
	pthread_t thread;
	const char *url;
	unsigned requests;
	double *lat_us;
	unsigned ok;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	CURL *c = curl_easy_init();

	curl_easy_setopt(c, CURLOPT_URL, w->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	for (unsigned i = 0; i < w->requests; i++) {
		double t0 = now_s();
		long status = 0;
		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
		    status == 200)
			w->ok++;
		w->lat_us[i] = (now_s() - t0) * 1e6;
	}
	curl_easy_cleanup(c);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	unsigned threads = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 4;
	unsigned requests = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 5000;
	static const char *const quiet[] = { "--log-level", "warning", NULL };
	struct persistd_proc p;
	struct worker *w;
	double *all, t0, elapsed;
	char url[128], project[4096];
	const char *src = getenv("abs_top_srcdir");
	unsigned ok = 0;

	if (threads == 0 || threads > 256 || requests == 0 || requests > 1000000) {
		fprintf(stderr, "usage: bench-http [threads 1..256] [requests 1..1000000]\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	(void)src;
	if (test_copy_example("shop", project, sizeof(project)) < 0 ||
	    persistd_start(project, quiet, &p) < 0) {
		fprintf(stderr, "cannot start persistd (set abs_top_builddir/abs_top_srcdir)\n");
		return 1;
	}
	snprintf(url, sizeof(url), "%s/healthz", p.base_url);
	w = calloc(threads, sizeof(*w));
	all = calloc((size_t)threads * requests, sizeof(double));
	if (!w || !all)
		return 1;
	t0 = now_s();
	for (unsigned i = 0; i < threads; i++) {
		w[i].url = url;
		w[i].requests = requests;
		w[i].lat_us = all + (size_t)i * requests;
		pthread_create(&w[i].thread, NULL, work, &w[i]);
	}
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		ok += w[i].ok;
	}
	elapsed = now_s() - t0;
	persistd_stop(&p, SIGTERM, 10000);
	test_remove_tree(project);

	size_t n = (size_t)threads * requests;
	qsort(all, n, sizeof(double), cmp_double);
	printf("bench-http: GET /healthz, %u threads x %u requests, keep-alive\n", threads,
	       requests);
	printf("  ok %u/%zu  %.0f req/s  p50 %.0f us  p99 %.0f us  max %.0f us\n", ok, n,
	       (double)n / elapsed, all[n / 2], all[n * 99 / 100], all[n - 1]);
	free(all);
	free(w);
	curl_global_cleanup();
	return ok == n ? 0 : 1;
}
