/* The data routes' speed next to the stores' own: requests per second and p50/p99 latency of
 * get-by-key (GET /models/{m}/data/items/{id}) and single inserts (POST /models/{m}/data/items)
 * through persistd, and in the same run, on the same machine, with the same client count:
 *   - PostgreSQL: `pgbench -S -M prepared` (and a one-row INSERT script for inserts);
 *   - MariaDB: a loop of prepared primary-key SELECTs (and one-row INSERTs) through libmariadb,
 *     one connection per client;
 *   - Redis: `redis-benchmark -t get` on the same server, GETs of string keys holding the rows'
 *     JSON, in a database of its own;
 *   - the in-memory store: get-by-key against a persistd with http.threads=1 whose threads are
 *     pinned to CPU 0 (what `taskset -a -p -c 0` does), the load on the other CPUs, against the
 *     target of 50,000 requests per second on one core: the best of three rounds, judged as
 *     requests served per second of CPU time persistd used (utime + stime over the window),
 *     printed beside the raw rate and the share of CPU 0 it got.
 * The targets are get-by-key >= 60% of the store's ceiling with p99 < 5 ms for the SQL stores,
 * >= 50% of redis-benchmark's GET for Redis, and the in-memory figure above 50,000 req/s. Prints
 * its figures; asserts nothing.
 *
 * Servers: the PERSISTD_TEST_PG_* / PERSISTD_TEST_MYSQL_* / PERSISTD_TEST_REDIS_* environment of
 * tests/servers.sh, or, when none is set, servers of its own started with tests/servers.sh in a
 * temporary directory and stopped at the end. Needs abs_top_builddir (persistd) and abs_top_srcdir
 * (tests/servers.sh); see bench/README.md. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#if ENABLE_POSTGRESQL
#	include <libpq-fe.h>
#endif
#if ENABLE_MYSQL
#	include <mysql.h>
#endif

#include "base/macro.h"
#include "tests/helpers/proc.h"

#define TARGET_RATIO	0.60
#define TARGET_P99_MS	5.0
#define TARGET_INMEMORY 50000.0
/* In-memory get-by-key runs this many times; the best counts. */
#define INMEMORY_ROUNDS 3

static double mem_rounds[INMEMORY_ROUNDS];
#define TARGET_REDIS   0.50
#define REDIS_DB       9 /* the model's database; redis-benchmark's is REDIS_DB + 1 */
#define SEED_BATCH     500
#define MAX_CLIENTS    1024
#define WARMUP_SECONDS 1.0
#define RESPONSE_MAX   16384

static unsigned opt_clients = 32, opt_rows = 10000, opt_threads = 4, opt_load_threads;
static double opt_seconds = 10;
static bool opt_pg = true, opt_mysql = true, opt_redis = true, opt_inmemory = true;
static char workdir[64];
static char db_name[64];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

_printf_(1, 2) static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-data: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

_printf_(1, 2) static void note(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-data: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ull;
}

/* ---- results -------------------------------------------------------------------------------- */

/* Latencies in microseconds, one per completed request. */
struct samples {
	float *v;
	size_t n, alloc;
	uint64_t errors;
};

static void samples_add(struct samples *s, double us)
{
	if (s->n == s->alloc) {
		size_t a = s->alloc ? s->alloc * 2 : 65536;
		float *v = realloc(s->v, a * sizeof(*v));
		if (!v)
			die("out of memory");
		s->v = v;
		s->alloc = a;
	}
	s->v[s->n++] = (float)us;
}

static void samples_merge(struct samples *into, struct samples *from)
{
	for (size_t i = 0; i < from->n; i++)
		samples_add(into, from->v[i]);
	into->errors += from->errors;
	free(from->v);
	*from = (struct samples){ 0 };
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

struct figure {
	bool measured;
	double rps, p50_ms, p99_ms;
	uint64_t requests, errors;
	double cpu_s; /* CPU time of load.cpu_of in the window; 0: not measured */
	char note[96];
};

static void figure_from(struct figure *f, struct samples *s, double seconds)
{
	*f = (struct figure){ .measured = true };
	f->requests = s->n;
	f->errors = s->errors;
	f->rps = (double)s->n / seconds;
	if (s->n > 0) {
		qsort(s->v, s->n, sizeof(float), cmp_float);
		f->p50_ms = s->v[s->n / 2] / 1000.0;
		f->p99_ms = s->v[(s->n * 99) / 100] / 1000.0;
	}
	free(s->v);
	*s = (struct samples){ 0 };
}

/* ---- the HTTP load: keep-alive connections driven by epoll, a few per thread ---------------- */

enum op {
	OP_GET,
	OP_INSERT,
	OP_HEALTHZ, /* GET /healthz: what HTTP alone costs, the floor under every route */
};

struct load {
	unsigned port;
	const char *model;
	enum op op;
	unsigned clients, threads;
	uint64_t rows; /* keys 1..rows exist */
	uint64_t first_id; /* inserts: ids first_id, first_id + 1, ... */
	double start, end; /* measured window (CLOCK_MONOTONIC seconds) */
	const cpu_set_t *cpus; /* NULL: anywhere */
	pid_t cpu_of; /* > 0: the CPU time this process used in the window goes in the figure */
};

struct hconn {
	int fd;
	char req[512];
	size_t req_len, sent;
	char buf[RESPONSE_MAX];
	size_t got;
	double t0;
	uint64_t rng, next_id;
	bool done;
};

struct lthread {
	pthread_t thread;
	const struct load *l;
	struct hconn *c;
	size_t n;
	struct samples s;
};

static int tcp_connect(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void build_request(const struct load *l, struct hconn *c)
{
	int n;

	if (l->op == OP_HEALTHZ) {
		n = snprintf(c->req, sizeof(c->req),
			     "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	} else if (l->op == OP_GET) {
		uint64_t id = 1 + rng_next(&c->rng) % l->rows;
		n = snprintf(c->req, sizeof(c->req),
			     "GET /models/%s/data/items/%llu HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
			     l->model, (unsigned long long)id);
	} else {
		char body[128];
		int bl = snprintf(body, sizeof(body),
				  "{\"id\":%llu,\"name\":\"item %llu\",\"qty\":%u}",
				  (unsigned long long)c->next_id, (unsigned long long)c->next_id,
				  (unsigned)(rng_next(&c->rng) % 1000));
		n = snprintf(c->req, sizeof(c->req),
			     "POST /models/%s/data/items HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			     l->model, bl, body);
		c->next_id += l->clients;
	}
	c->req_len = (size_t)n;
	c->sent = 0;
	c->got = 0;
	c->t0 = now_s();
}

/* Send what is left of the request; false when the connection failed. */
static bool send_more(struct hconn *c)
{
	while (c->sent < c->req_len) {
		ssize_t k = send(c->fd, c->req + c->sent, c->req_len - c->sent, MSG_NOSIGNAL);
		if (k < 0)
			return errno == EAGAIN || errno == EINTR;
		c->sent += (size_t)k;
	}
	return true;
}

/* 1 when buf holds a whole response (status into *status), 0 when more is needed, -1 when it
 * cannot be read. */
static int parse_response(const struct hconn *c, int *status)
{
	const char *end = memmem(c->buf, c->got, "\r\n\r\n", 4);
	size_t head, body = 0;

	if (!end)
		return c->got >= sizeof(c->buf) ? -1 : 0;
	head = (size_t)(end - c->buf) + 4;
	for (const char *p = c->buf; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
		if (*p == '\n')
			p++;
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			body = strtoul(p + 15, NULL, 10);
	}
	if (c->got < head + body)
		return head + body > sizeof(c->buf) ? -1 : 0;
	*status = c->got > 12 ? (int)strtol(c->buf + 9, NULL, 10) : 0;
	return 1;
}

static void *load_thread(void *arg)
{
	struct lthread *t = arg;
	const struct load *l = t->l;
	struct epoll_event ev[64];
	size_t open = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (l->cpus)
		(void)pthread_setaffinity_np(pthread_self(), sizeof(*l->cpus), l->cpus);
	if (ep < 0)
		die("epoll_create1: %s", strerror(errno));
	for (size_t i = 0; i < t->n; i++) {
		struct hconn *c = &t->c[i];
		struct epoll_event e = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c };
		c->fd = tcp_connect(l->port);
		if (c->fd < 0)
			die("connect to persistd: %s", strerror(-c->fd));
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) < 0)
			die("epoll_ctl: %s", strerror(errno));
		build_request(l, c);
		if (!send_more(c))
			die("send: %s", strerror(errno));
		open++;
	}
	while (open > 0) {
		int n = epoll_wait(ep, ev, 64, 200);
		double now = now_s();

		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		if (now > l->end + 10)
			break; /* a request that never ends: give up on it */
		for (int i = 0; i < n; i++) {
			struct hconn *c = ev[i].data.ptr;
			int status = 0, r;

			if (c->done)
				continue;
			if (!send_more(c))
				goto broken;
			for (;;) {
				ssize_t k =
					recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, 0);
				if (k > 0) {
					c->got += (size_t)k;
					if (c->got < sizeof(c->buf))
						continue;
				} else if (k == 0) {
					goto broken;
				} else if (errno != EAGAIN && errno != EINTR) {
					goto broken;
				}
				break;
			}
			r = parse_response(c, &status);
			if (r < 0)
				goto broken;
			if (r == 0)
				continue;
			now = now_s();
			if (c->t0 >= l->start && now <= l->end) {
				if (status == (l->op == OP_INSERT ? 201 : 200))
					samples_add(&t->s, (now - c->t0) * 1e6);
				else
					t->s.errors++;
			}
			if (now >= l->end) {
				c->done = true;
				open--;
				continue;
			}
			build_request(l, c);
			if (send_more(c))
				continue;
broken:
			t->s.errors++;
			c->done = true;
			open--;
		}
	}
	for (size_t i = 0; i < t->n; i++)
		close(t->c[i].fd);
	close(ep);
	return NULL;
}

/* Run one HTTP measurement: WARMUP_SECONDS, then opt_seconds counted. */
/* utime + stime of pid, in seconds; -1 when unreadable. */
static double process_cpu_seconds(pid_t pid)
{
	char path[64], text[1024], *p;
	unsigned long long ut = 0, st = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	/* after the command name in parentheses: state, then fields 4..; utime and stime are 14
	 * and 15 */
	p = strrchr(text, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void sleep_until(double t)
{
	double d = t - now_s();

	if (d > 0) {
		struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

static void run_http(struct load *l, struct figure *f)
{
	double cpu0 = -1, cpu1 = -1;
	struct lthread *t = calloc(l->threads, sizeof(*t));
	struct hconn *c = calloc(l->clients, sizeof(*c));
	struct samples all = { 0 };
	size_t k = 0;

	if (!t || !c)
		die("out of memory");
	l->start = now_s() + WARMUP_SECONDS;
	l->end = l->start + opt_seconds;
	for (unsigned i = 0; i < l->clients; i++) {
		c[i].rng = 0x9e3779b97f4a7c15ull * (i + 1);
		c[i].next_id = l->first_id + i;
	}
	for (unsigned i = 0; i < l->threads; i++) {
		size_t n = l->clients / l->threads + (i < l->clients % l->threads);
		t[i].l = l;
		t[i].c = c + k;
		t[i].n = n;
		k += n;
		if (pthread_create(&t[i].thread, NULL, load_thread, &t[i]) != 0)
			die("pthread_create failed");
	}
	if (l->cpu_of > 0) {
		sleep_until(l->start);
		cpu0 = process_cpu_seconds(l->cpu_of);
		sleep_until(l->end);
		cpu1 = process_cpu_seconds(l->cpu_of);
	}
	for (unsigned i = 0; i < l->threads; i++) {
		pthread_join(t[i].thread, NULL);
		samples_merge(&all, &t[i].s);
	}
	figure_from(f, &all, opt_seconds);
	if (cpu0 >= 0 && cpu1 > cpu0)
		f->cpu_s = cpu1 - cpu0;
	free(t);
	free(c);
}

/* ---- servers, project, persistd ------------------------------------------------------------- */

static char servers_dir[128];

_unused_ static void run_cmd(const char *cmd)
{
	if (system(cmd) != 0)
		die("failed: %s", cmd);
}

/* KEY=VALUE lines of tests/servers.sh's env file into the environment. */
static void load_env_file(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		die("cannot read %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');
		line[strcspn(line, "\n")] = '\0';
		if (!eq)
			continue;
		*eq = '\0';
		setenv(line, eq + 1, 1);
	}
	fclose(f);
}

static void start_servers(void)
{
	const char *src = env("abs_top_srcdir");
	char cmd[1024];

	if (!src)
		die("set abs_top_srcdir (tests/servers.sh) or PERSISTD_TEST_PG_*/MYSQL_*/REDIS_*");
	snprintf(servers_dir, sizeof(servers_dir), "%s/servers", workdir);
	note("starting PostgreSQL, MariaDB and Redis with tests/servers.sh in %s", servers_dir);
	snprintf(cmd, sizeof(cmd), "'%s/tests/servers.sh' start '%s' >&2", src, servers_dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "'%s/tests/servers.sh' stop '%s' >&2", src, servers_dir);
		if (system(cmd) != 0)
			note("failed: %s", cmd);
		die("tests/servers.sh failed");
	}
	snprintf(cmd, sizeof(cmd), "%s/env", servers_dir);
	load_env_file(cmd);
}

static void stop_servers(void)
{
	char cmd[1024];

	if (!servers_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "'%s/tests/servers.sh' stop '%s' >&2", env("abs_top_srcdir"),
		 servers_dir);
	if (system(cmd) != 0)
		note("failed: %s", cmd);
	servers_dir[0] = '\0';
}

static void write_text(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/project/%s", workdir, rel);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		die("cannot write %s", path);
}

static const char model_text[] = "import ballerina/persist as _;\n\n"
				 "public type Item record {|\n"
				 "    readonly int id;\n"
				 "    string name;\n"
				 "    int qty;\n"
				 "|};\n";

/* One model per store, each bound to it: pg, my, rds and mem, each with the entity Item (no
 * byte[] and no nillable field, so Redis takes it as it is). */
static void write_project(void)
{
	char path[512], toml[4096], cfg[2048];
	size_t n = 0, m = 0;

	snprintf(path, sizeof(path), "%s/project", workdir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/project/persist", workdir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
	n += (size_t)snprintf(
		toml + n, sizeof(toml) - n,
		"[package]\norg = \"bench\"\nname = \"bench\"\nversion = \"0.1.0\"\n");
	if (opt_pg) {
		n += (size_t)snprintf(
			toml + n, sizeof(toml) - n,
			"\n[[tool.persist]]\nid = \"pg\"\ntargetModule = \"bench.pg\"\n"
			"options.datastore = \"postgresql\"\nfilePath = "
			"\"persist/pg.bal\"\n");
		m += (size_t)snprintf(
			cfg + m, sizeof(cfg) - m,
			"[bench.pg]\nhost = \"%s\"\nport = %s\nuser = \"%s\"\n"
			"password = \"%s\"\ndatabase = \"%s\"\n\n",
			env("PERSISTD_TEST_PG_HOST"), env("PERSISTD_TEST_PG_PORT"),
			env("PERSISTD_TEST_PG_USER"),
			env("PERSISTD_TEST_PG_PASSWORD") ? env("PERSISTD_TEST_PG_PASSWORD") : "",
			db_name);
		write_text("persist/pg.bal", model_text);
	}
	if (opt_mysql) {
		n += (size_t)snprintf(
			toml + n, sizeof(toml) - n,
			"\n[[tool.persist]]\nid = \"my\"\ntargetModule = \"bench.my\"\n"
			"options.datastore = \"mysql\"\nfilePath = \"persist/my.bal\"\n");
		m += (size_t)snprintf(
			cfg + m, sizeof(cfg) - m,
			"[bench.my]\nhost = \"%s\"\nport = %s\nuser = \"%s\"\npassword = \"%s\"\n"
			"database = \"%s\"\n\n",
			env("PERSISTD_TEST_MYSQL_HOST"), env("PERSISTD_TEST_MYSQL_PORT"),
			env("PERSISTD_TEST_MYSQL_USER"),
			env("PERSISTD_TEST_MYSQL_PASSWORD") ? env("PERSISTD_TEST_MYSQL_PASSWORD")
							    : "",
			db_name);
		write_text("persist/my.bal", model_text);
	}
	if (opt_redis) {
		n += (size_t)snprintf(
			toml + n, sizeof(toml) - n,
			"\n[[tool.persist]]\nid = \"rds\"\ntargetModule = \"bench.rds\"\n"
			"options.datastore = \"redis\"\nfilePath = \"persist/rds.bal\"\n");
		m += (size_t)snprintf(cfg + m, sizeof(cfg) - m,
				      "[bench.rds]\nconnectionConfig = \"redis://%s:%s/%d\"\n\n",
				      env("PERSISTD_TEST_REDIS_HOST"),
				      env("PERSISTD_TEST_REDIS_PORT"), REDIS_DB);
		write_text("persist/rds.bal", model_text);
	}
	n += (size_t)snprintf(toml + n, sizeof(toml) - n,
			      "\n[[tool.persist]]\nid = \"mem\"\ntargetModule = \"bench.mem\"\n"
			      "options.datastore = \"inmemory\"\nfilePath = \"persist/mem.bal\"\n");
	write_text("persist/mem.bal", model_text);
	write_text("Ballerina.toml", toml);
	cfg[m] = '\0';
	write_text("Config.toml", cfg);
}

static void start_persistd(unsigned threads, struct persistd_proc *p)
{
	char project[512], th[64], pool[64], pool_min[64];
	const char *args[16];
	size_t n = 0;

	snprintf(project, sizeof(project), "%s/project", workdir);
	snprintf(th, sizeof(th), "http.threads=%u", threads);
	/* as many store connections as clients, as pgbench has */
	snprintf(pool, sizeof(pool), "pool.max_size=%u", opt_clients);
	snprintf(pool_min, sizeof(pool_min), "pool.min_size=%u", 1u);
	args[n++] = "--log-level";
	args[n++] = "warning";
	args[n++] = "--set";
	args[n++] = th;
	args[n++] = "--set";
	args[n++] = pool;
	args[n++] = "--set";
	args[n++] = pool_min;
	args[n++] = "--set";
	args[n++] = "http.max_connections=4096";
	args[n] = NULL;
	if (persistd_start(project, args, p) < 0)
		die("cannot start persistd (abs_top_builddir=%s)", test_builddir());
}

/* Every thread of pid on cpus, as `taskset -a -p` does. */
static void pin_process(pid_t pid, const cpu_set_t *cpus)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	d = opendir(path);
	if (!d)
		die("cannot list %s", path);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' &&
		    sched_setaffinity((pid_t)strtol(de->d_name, NULL, 10), sizeof(*cpus), cpus) < 0)
			die("sched_setaffinity: %s", strerror(errno));
	closedir(d);
}

static long http(const struct persistd_proc *p, const char *method, const char *path,
		 const char *body, char *reply, size_t reply_size)
{
	static const char *const ct[] = { "Content-Type: application/json", NULL };
	struct http_result h;
	char url[256];
	long status;

	snprintf(url, sizeof(url), "%s%s", p->base_url, path);
	if (http_request(method, url, body, body ? strlen(body) : 0, body ? ct : NULL, &h) < 0)
		die("%s %s: no answer", method, path);
	status = h.status;
	if (reply)
		snprintf(reply, reply_size, "%s", h.body ? h.body : "");
	http_result_release(&h);
	return status;
}

static void wait_ready(const struct persistd_proc *p)
{
	for (int i = 0; i < 400; i++) {
		if (http(p, "GET", "/readyz", NULL, NULL, 0) == 200)
			return;
		sleep_s(0.05);
	}
	die("persistd did not get ready");
}

/* The model's tables, created afresh (the SQL stores), and rows 1..opt_rows. */
static void push_and_seed(const struct persistd_proc *p, const char *model)
{
	char path[128], reply[1024];
	char *body = malloc((size_t)SEED_BATCH * 64 + 16);
	long st;

	if (!body)
		die("out of memory");
	snprintf(path, sizeof(path), "/models/%s/push", model);
	if (strcmp(model, "mem") != 0 && strcmp(model, "rds") != 0) {
		st = http(p, "POST", path, "{\"dropExisting\": true}", reply, sizeof(reply));
		if (st != 200)
			die("POST %s: %ld %s", path, st, reply);
	}
	snprintf(path, sizeof(path), "/models/%s/data/items", model);
	for (unsigned first = 1; first <= opt_rows; first += SEED_BATCH) {
		size_t n = 0;
		body[n++] = '[';
		for (unsigned id = first; id < first + SEED_BATCH && id <= opt_rows; id++)
			n += (size_t)snprintf(body + n, SEED_BATCH * 64 + 16 - n,
					      "%s{\"id\":%u,\"name\":\"item %u\",\"qty\":%u}",
					      id == first ? "" : ",", id, id, id % 1000);
		body[n++] = ']';
		body[n] = '\0';
		st = http(p, "POST", path, body, reply, sizeof(reply));
		if (st != 201)
			die("seeding %s: %ld %s", model, st, reply);
	}
	free(body);
}

/* ---- PostgreSQL: the database and pgbench -----------------------------------------------------
 */

#if ENABLE_POSTGRESQL
static void pg_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void pg_exec(const char *db, const char *sql)
{
	char conninfo[512];
	PGconn *c;
	PGresult *r;

	snprintf(conninfo, sizeof(conninfo),
		 "host=%s port=%s user=%s password=%s dbname=%s connect_timeout=10",
		 env("PERSISTD_TEST_PG_HOST"), env("PERSISTD_TEST_PG_PORT"),
		 env("PERSISTD_TEST_PG_USER"),
		 env("PERSISTD_TEST_PG_PASSWORD") ? env("PERSISTD_TEST_PG_PASSWORD") : "", db);
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		die("cannot connect to PostgreSQL: %s", PQerrorMessage(c));
	(void)PQsetNoticeProcessor(c, pg_quiet, NULL);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static const char *pgbench_path(void)
{
	static char path[512];
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (env("PGBENCH"))
		return env("PGBENCH");
	d = opendir("/usr/lib/postgresql");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/usr/lib/postgresql/%s/bin/pgbench", de->d_name);
		if (stat(path, &st) == 0) {
			closedir(d);
			return path;
		}
	}
	if (d)
		closedir(d);
	return "pgbench";
}

/* pgbench's own connection settings, for the bench database. */
static void pgbench_env(void)
{
	setenv("PGHOST", env("PERSISTD_TEST_PG_HOST"), 1);
	setenv("PGPORT", env("PERSISTD_TEST_PG_PORT"), 1);
	setenv("PGUSER", env("PERSISTD_TEST_PG_USER"), 1);
	setenv("PGPASSWORD",
	       env("PERSISTD_TEST_PG_PASSWORD") ? env("PERSISTD_TEST_PG_PASSWORD") : "", 1);
	setenv("PGDATABASE", db_name, 1);
}

/* One pgbench run: select-only (-S) or the script file, -M prepared, opt_clients clients on
 * opt_load_threads threads, after a warm-up run. Latencies from its per-transaction log. */
static void pg_ceiling(const char *script, const char *tag, struct figure *f)
{
	char cmd[2048], what[600], out[512], line[512];
	struct samples s = { 0 };
	double tps = 0;
	struct dirent *de;
	FILE *o;
	DIR *d;

	if (script)
		snprintf(what, sizeof(what), "-f '%s'", script);
	else
		snprintf(what, sizeof(what), "-S");
	snprintf(cmd, sizeof(cmd), "'%s' -n %s -M prepared -c %u -j %u -T 1 >/dev/null 2>&1",
		 pgbench_path(), what, opt_clients, opt_load_threads);
	run_cmd(cmd);
	snprintf(out, sizeof(out), "%s/pgbench-%s.out", workdir, tag);
	snprintf(cmd, sizeof(cmd),
		 "'%s' -n %s -M prepared -c %u -j %u -T %.0f -l --log-prefix='%s/pgb-%s' "
		 ">'%s' 2>&1",
		 pgbench_path(), what, opt_clients, opt_load_threads, opt_seconds, workdir, tag,
		 out);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat '%s' >&2", out);
		if (system(cmd) != 0)
			note("failed: %s", cmd);
		die("pgbench failed");
	}
	o = fopen(out, "r");
	while (o && fgets(line, sizeof(line), o))
		if (strncmp(line, "tps = ", 6) == 0)
			tps = strtod(line + 6, NULL);
	if (o)
		fclose(o);

	/* client_id transaction_no time(us) script_no time_epoch time_us */
	d = opendir(workdir);
	snprintf(what, sizeof(what), "pgb-%s.", tag);
	while (d && (de = readdir(d))) {
		char path[600];
		FILE *l;
		if (strncmp(de->d_name, what, strlen(what)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", workdir, de->d_name);
		l = fopen(path, "r");
		while (l && fgets(line, sizeof(line), l)) {
			long client, tx;
			double us;
			if (sscanf(line, "%ld %ld %lf", &client, &tx, &us) == 3)
				samples_add(&s, us);
		}
		if (l)
			fclose(l);
		(void)unlink(path);
	}
	if (d)
		closedir(d);
	figure_from(f, &s, opt_seconds);
	if (tps > 0)
		f->rps = tps; /* pgbench's own figure, without connection time */
}

static void pg_bench(const struct persistd_proc *p, struct figure fig[4])
{
	struct load l = { .port = p->port,
			  .model = "pg",
			  .clients = opt_clients,
			  .threads = opt_load_threads,
			  .rows = opt_rows };
	char cmd[1024], script[512];
	FILE *f;

	note("postgresql: push and %u rows", opt_rows);
	push_and_seed(p, "pg");
	note("postgresql: get-by-key through persistd");
	l.op = OP_GET;
	run_http(&l, &fig[0]);
	note("postgresql: pgbench -S");
	pgbench_env();
	snprintf(cmd, sizeof(cmd), "'%s' -i -s 1 -q >/dev/null 2>&1", pgbench_path());
	run_cmd(cmd);
	pg_ceiling(NULL, "select", &fig[1]);
	note("postgresql: inserts through persistd");
	l.op = OP_INSERT;
	l.first_id = opt_rows + 1;
	run_http(&l, &fig[2]);
	note("postgresql: pgbench one-row INSERT script");
	pg_exec(db_name, "CREATE TABLE bench_ins (id SERIAL PRIMARY KEY, name VARCHAR(191) NOT "
			 "NULL, qty INT NOT NULL)");
	snprintf(script, sizeof(script), "%s/insert.sql", workdir);
	f = fopen(script, "w");
	if (!f)
		die("cannot write %s", script);
	fputs("\\set q random(0, 999)\nINSERT INTO bench_ins (name, qty) VALUES ('item', :q);\n",
	      f);
	fclose(f);
	pg_ceiling(script, "insert", &fig[3]);
}
#endif

/* ---- MariaDB: the database and a loop of prepared statements ----------------------------------
 */

#if ENABLE_MYSQL
static MYSQL *my_open(const char *db)
{
	MYSQL *m = mysql_init(NULL);

	if (!m ||
	    !mysql_real_connect(
		    m, env("PERSISTD_TEST_MYSQL_HOST"), env("PERSISTD_TEST_MYSQL_USER"),
		    env("PERSISTD_TEST_MYSQL_PASSWORD") ? env("PERSISTD_TEST_MYSQL_PASSWORD") : "",
		    db, (unsigned)strtoul(env("PERSISTD_TEST_MYSQL_PORT"), NULL, 10), NULL, 0))
		die("cannot connect to MariaDB: %s", m ? mysql_error(m) : "out of memory");
	return m;
}

static void my_exec(const char *db, const char *sql)
{
	MYSQL *m = my_open(db);

	if (mysql_query(m, sql) != 0)
		die("%s: %s", sql, mysql_error(m));
	mysql_close(m);
}

struct mythread {
	pthread_t thread;
	enum op op;
	double start, end;
	uint64_t rng;
	struct samples s;
};

static void *my_loop(void *arg)
{
	struct mythread *t = arg;
	MYSQL *m;
	MYSQL_STMT *st;
	MYSQL_BIND param[2], res[3];
	long long id = 0, qty = 0, rid = 0, rqty = 0;
	char name[] = "item", rname[256];
	unsigned long name_len = 4, rname_len = 0;
	const char *sql = t->op == OP_GET ? "SELECT id, name, qty FROM Item WHERE id = ?"
					  : "INSERT INTO bench_ins (name, qty) VALUES (?, ?)";

	mysql_thread_init();
	m = my_open(db_name);
	st = mysql_stmt_init(m);
	if (!st || mysql_stmt_prepare(st, sql, strlen(sql)) != 0)
		die("prepare %s: %s", sql, mysql_error(m));
	memset(param, 0, sizeof(param));
	memset(res, 0, sizeof(res));
	if (t->op == OP_GET) {
		param[0].buffer_type = MYSQL_TYPE_LONGLONG;
		param[0].buffer = &id;
		res[0].buffer_type = MYSQL_TYPE_LONGLONG;
		res[0].buffer = &rid;
		res[1].buffer_type = MYSQL_TYPE_STRING;
		res[1].buffer = rname;
		res[1].buffer_length = sizeof(rname);
		res[1].length = &rname_len;
		res[2].buffer_type = MYSQL_TYPE_LONGLONG;
		res[2].buffer = &rqty;
		if (mysql_stmt_bind_result(st, res) != 0)
			die("bind: %s", mysql_stmt_error(st));
	} else {
		param[0].buffer_type = MYSQL_TYPE_STRING;
		param[0].buffer = name;
		param[0].buffer_length = name_len;
		param[0].length = &name_len;
		param[1].buffer_type = MYSQL_TYPE_LONGLONG;
		param[1].buffer = &qty;
	}
	if (mysql_stmt_bind_param(st, param) != 0)
		die("bind: %s", mysql_stmt_error(st));
	for (;;) {
		double t0 = now_s();
		bool ok;
		if (t0 >= t->end)
			break;
		id = (long long)(1 + rng_next(&t->rng) % opt_rows);
		qty = (long long)(rng_next(&t->rng) % 1000);
		ok = mysql_stmt_execute(st) == 0;
		if (ok && t->op == OP_GET) {
			int r;
			ok = mysql_stmt_store_result(st) == 0;
			while (ok && (r = mysql_stmt_fetch(st)) != MYSQL_NO_DATA)
				ok = r == 0;
			(void)mysql_stmt_free_result(st);
		}
		if (t0 >= t->start) {
			if (ok)
				samples_add(&t->s, (now_s() - t0) * 1e6);
			else
				t->s.errors++;
		}
	}
	mysql_stmt_close(st);
	mysql_close(m);
	mysql_thread_end();
	return NULL;
}

static void my_ceiling(enum op op, struct figure *f)
{
	struct mythread *t = calloc(opt_clients, sizeof(*t));
	struct samples all = { 0 };
	double start = now_s() + WARMUP_SECONDS;

	if (!t)
		die("out of memory");
	for (unsigned i = 0; i < opt_clients; i++) {
		t[i].op = op;
		t[i].start = start;
		t[i].end = start + opt_seconds;
		t[i].rng = 0x2545f4914f6cdd1dull * (i + 1);
		if (pthread_create(&t[i].thread, NULL, my_loop, &t[i]) != 0)
			die("pthread_create failed");
	}
	for (unsigned i = 0; i < opt_clients; i++) {
		pthread_join(t[i].thread, NULL);
		samples_merge(&all, &t[i].s);
	}
	figure_from(f, &all, opt_seconds);
	free(t);
}

static void my_bench(const struct persistd_proc *p, struct figure fig[4])
{
	struct load l = { .port = p->port,
			  .model = "my",
			  .clients = opt_clients,
			  .threads = opt_load_threads,
			  .rows = opt_rows };

	note("mysql: push and %u rows", opt_rows);
	push_and_seed(p, "my");
	note("mysql: get-by-key through persistd");
	l.op = OP_GET;
	run_http(&l, &fig[0]);
	note("mysql: prepared primary-key SELECT loop");
	my_ceiling(OP_GET, &fig[1]);
	note("mysql: inserts through persistd");
	l.op = OP_INSERT;
	l.first_id = opt_rows + 1;
	run_http(&l, &fig[2]);
	note("mysql: prepared one-row INSERT loop");
	my_exec(db_name, "CREATE TABLE bench_ins (id INT AUTO_INCREMENT PRIMARY KEY, name "
			 "VARCHAR(191) NOT NULL, qty INT NOT NULL)");
	my_ceiling(OP_INSERT, &fig[3]);
}
#endif

/* ---- Redis: redis-benchmark on the same server ------------------------------------------------
 */

/* `redis-cli ... -n db args` through the shell; its first line of output into out. */
static void redis_cli(int db, const char *args, const char *input, char *out, size_t size)
{
	char cmd[1024], line[256] = "";
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "redis-cli -h '%s' -p '%s' -n %d %s%s%s 2>&1",
		 env("PERSISTD_TEST_REDIS_HOST"), env("PERSISTD_TEST_REDIS_PORT"), db, args,
		 input ? " <" : "", input ? input : "");
	f = popen(cmd, "r");
	if (!f)
		die("cannot run %s", cmd);
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (st != 0)
		die("failed: %s: %s", cmd, line);
	if (out)
		snprintf(out, size, "%s", line);
}

static void redis_flush(int db)
{
	char out[256];

	redis_cli(db, "FLUSHDB", NULL, out, sizeof(out));
	if (strcmp(out, "OK") != 0)
		die("redis-cli FLUSHDB: %s", out);
}

/* The keys redis-benchmark's GETs read (-r rows: key:000000000000 .. key:<rows - 1>, twelve
 * digits), each holding the JSON persistd answers for the row, written with redis-cli --pipe. */
static void redis_seed_strings(int db)
{
	char path[512], n[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/redis-seed.resp", workdir);
	f = fopen(path, "w");
	if (!f)
		die("cannot write %s", path);
	for (unsigned i = 0; i < opt_rows; i++) {
		char key[32], val[96];
		int kl = snprintf(key, sizeof(key), "key:%012u", i);
		int vl = snprintf(val, sizeof(val), "{\"id\":%u,\"name\":\"item %u\",\"qty\":%u}",
				  i + 1, i + 1, (i + 1) % 1000);
		fprintf(f, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", kl, key, vl, val);
	}
	if (fclose(f) != 0)
		die("cannot write %s", path);
	redis_cli(db, "--pipe", path, NULL, 0);
	(void)unlink(path);
	redis_cli(db, "DBSIZE", NULL, n, sizeof(n));
	if (strtoul(n, NULL, 10) != opt_rows)
		die("redis-cli --pipe: %s keys in database %d, not %u", n, db, opt_rows);
}

/* One redis-benchmark run: "cmd" is `-t get` or a command of its own; opt_clients clients on
 * opt_load_threads threads, -r opt_rows. Its CSV line: "TEST","rps","avg","min","p50","p95",
 * "p99","max". Returns false when there is no such line. */
static bool redis_benchmark_run(int db, const char *cmd, unsigned long requests, struct figure *f)
{
	char line[1024], threads[32] = "";
	char *sh;
	FILE *p;
	bool found = false;

	if (opt_load_threads > 1)
		snprintf(threads, sizeof(threads), "--threads %u", opt_load_threads);
	if (asprintf(&sh,
		     "redis-benchmark -h '%s' -p '%s' --dbnum %d -c %u -n %lu -r %u %s --csv %s "
		     "2>&1",
		     env("PERSISTD_TEST_REDIS_HOST"), env("PERSISTD_TEST_REDIS_PORT"), db,
		     opt_clients, requests, opt_rows, threads, cmd) < 0)
		die("out of memory");
	p = popen(sh, "r");
	if (!p)
		die("cannot run %s", sh);
	*f = (struct figure){ .measured = true };
	while (fgets(line, sizeof(line), p)) {
		double v[7];
		char *q = strchr(line, ',');
		if (line[0] != '"' || !q || strncmp(line, "\"test\"", 6) == 0)
			continue;
		if (sscanf(q, ",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\"", &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) == 7) {
			f->rps = v[0];
			f->p50_ms = v[3];
			f->p99_ms = v[5];
			f->requests = requests;
			found = true;
		}
	}
	if (pclose(p) != 0 || !found) {
		note("failed: %s", sh);
		found = false;
	}
	free(sh);
	return found;
}

/* A warm-up run of about WARMUP_SECONDS, then a run of about opt_seconds: redis-benchmark
 * counts requests, not time, so the second run's count is the first one's rate times
 * opt_seconds. */
static void redis_ceiling(int db, const char *cmd, struct figure *f)
{
	unsigned long n = 20000;
	struct figure w;

	for (;;) {
		double t0 = now_s(), took;
		if (!redis_benchmark_run(db, cmd, n, &w))
			die("redis-benchmark failed");
		took = now_s() - t0;
		if (took >= WARMUP_SECONDS / 2 || n >= 100000000ul)
			break;
		n *= 4;
	}
	n = (unsigned long)(w.rps * opt_seconds);
	if (n < opt_clients * 10ul)
		n = opt_clients * 10ul;
	if (!redis_benchmark_run(db, cmd, n, f))
		die("redis-benchmark failed");
}

static void redis_bench(const struct persistd_proc *p, struct figure fig[4])
{
	struct load l = { .port = p->port,
			  .model = "rds",
			  .clients = opt_clients,
			  .threads = opt_load_threads,
			  .rows = opt_rows };

	note("redis: %u rows in database %d", opt_rows, REDIS_DB);
	redis_flush(REDIS_DB);
	redis_flush(REDIS_DB + 1);
	push_and_seed(p, "rds");
	note("redis: get-by-key through persistd");
	l.op = OP_GET;
	run_http(&l, &fig[0]);
	note("redis: redis-benchmark -t get, %u keys in database %d", opt_rows, REDIS_DB + 1);
	redis_seed_strings(REDIS_DB + 1);
	redis_ceiling(REDIS_DB + 1, "-t get", &fig[1]);
	note("redis: inserts through persistd");
	l.op = OP_INSERT;
	l.first_id = opt_rows + 1;
	run_http(&l, &fig[2]);
	note("redis: redis-benchmark one-hash HSET");
	redis_ceiling(REDIS_DB + 1, "HSET Item:__rand_int__ id __rand_int__ name item qty 1",
		      &fig[3]);
}

/* ---- the in-memory store on one core ----------------------------------------------------------
 */

static void inmemory_bench(struct figure fig[3], char *how, size_t how_size)
{
	struct persistd_proc p;
	struct load l = { .model = "mem",
			  .clients = opt_clients,
			  .threads = opt_load_threads,
			  .rows = opt_rows };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t server, load;

	CPU_ZERO(&server);
	CPU_ZERO(&load);
	CPU_SET(0, &server);
	for (long i = 1; i < ncpu && i < CPU_SETSIZE; i++)
		CPU_SET((int)i, &load);
	start_persistd(1, &p);
	wait_ready(&p);
	note("inmemory: %u rows", opt_rows);
	push_and_seed(&p, "mem");
	pin_process(p.pid, &server);
	l.port = p.port;
	l.cpu_of = p.pid;
	if (ncpu > 1) {
		l.cpus = &load;
		l.threads =
			(unsigned)(ncpu - 1 < (long)opt_load_threads ? ncpu - 1 : opt_load_threads);
		snprintf(how, how_size, "persistd (1 thread, CPU 0)");
	} else {
		snprintf(how, how_size, "persistd (1 thread, shared CPU)");
	}
	/* This machine's speed swings with its neighbours' load (no steal time is reported to
	 * subtract), so the capacity figure is the best of a few rounds, as bench-parse's are. */
	l.op = OP_GET;
	for (int i = 0; i < INMEMORY_ROUNDS; i++) {
		struct figure f;
		note("inmemory: get-by-key through persistd on CPU 0, round %d of %d", i + 1,
		     INMEMORY_ROUNDS);
		run_http(&l, &f);
		mem_rounds[i] = f.rps;
		if (i == 0 || f.rps > fig[0].rps)
			fig[0] = f;
	}
	note("inmemory: inserts through persistd on CPU 0");
	l.op = OP_INSERT;
	l.first_id = opt_rows + 1;
	run_http(&l, &fig[1]);
	note("inmemory: GET /healthz on the same persistd");
	l.op = OP_HEALTHZ;
	run_http(&l, &fig[2]);
	persistd_stop(&p, SIGTERM, 10000);
}

/* ---- the report -------------------------------------------------------------------------------
 */

static void print_row(const char *store, const char *op, const char *path, const struct figure *f)
{
	if (!f->measured) {
		printf("%-11s %-11s %-34s %s\n", store, op, path, "not measured");
		return;
	}
	printf("%-11s %-11s %-34s %9.0f %8.2f %8.2f %8llu\n", store, op, path, f->rps, f->p50_ms,
	       f->p99_ms, (unsigned long long)f->errors);
}

/* For the one-core runs: how much of its core persistd got (a shared machine's other tenants
 * and the load generator take the rest), and its requests per second of CPU it used, which is
 * what "on one core" measures; the target is judged on that, with the raw rate beside it. */
static void print_core_share(const struct figure *f, bool target)
{
	double per_cpu_s;

	if (!f->measured || f->cpu_s <= 0) {
		printf("%-24s persistd's CPU time not measured\n", "");
		return;
	}
	per_cpu_s = (double)f->requests / f->cpu_s;
	printf("%-24s persistd used %.2f of its core: %.0f req per CPU-second", "",
	       f->cpu_s / opt_seconds, per_cpu_s);
	if (target)
		printf("; target > %.0f req/s on one core: %s", TARGET_INMEMORY,
		       per_cpu_s > TARGET_INMEMORY ? "met" : "NOT met");
	printf("\n");
}

/* The ratio persistd/ceiling, and whether it meets target (0: none), with p99 under
 * TARGET_P99_MS too when p99 is set. */
static void print_ratio(const struct figure *via, const struct figure *ceiling, double target,
			bool p99)
{
	double ratio;

	if (!via->measured || !ceiling->measured || ceiling->rps <= 0)
		return;
	ratio = via->rps / ceiling->rps;
	printf("%-24s persistd/ceiling %5.1f%%", "", ratio * 100);
	if (target > 0 && p99)
		printf("   target >= %.0f%% and p99 < %.0f ms: %s", target * 100, TARGET_P99_MS,
		       ratio >= target && via->p99_ms < TARGET_P99_MS ? "met" : "NOT met");
	else if (target > 0)
		printf("   target >= %.0f%%: %s", target * 100,
		       ratio >= target ? "met" : "NOT met");
	printf("\n");
}

static void cpu_model(char *buf, size_t size)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, size, "unknown CPU");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && c) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, "%s", c + 2);
			break;
		}
	}
	if (f)
		fclose(f);
}

/* The 1, 5 and 15 minute load averages: how busy the machine was besides this run. */
static void load_average(char *buf, size_t size)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double a = 0, b = 0, c = 0;

	if (!f || fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
		snprintf(buf, size, "unknown");
	else
		snprintf(buf, size, "%.2f %.2f %.2f", a, b, c);
	if (f)
		fclose(f);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-data [-c CLIENTS] [-d SECONDS] [-r ROWS] [-t HTTP_THREADS]\n"
		"                  [-j LOAD_THREADS] [-s pg,mysql,redis,inmemory]\n\n"
		"  -c, --clients N       concurrent clients (default 32)\n"
		"  -d, --duration S      seconds per measurement, after 1 s of warm-up (default 10)\n"
		"  -r, --rows N          rows seeded per store (default 10000)\n"
		"  -t, --threads N       persistd's http.threads but in-memory's (default 4)\n"
		"  -j, --load-threads N  load, pgbench and redis-benchmark threads (default: CPUs)\n"
		"  -s, --stores LIST     which stores to measure (default pg,mysql,redis,inmemory)\n");
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "clients", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "rows", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 't' },
		{ "load-threads", required_argument, NULL, 'j' },
		{ "stores", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int o;

	opt_load_threads = ncpu > 0 ? (unsigned)ncpu : 1;
	while ((o = getopt_long(argc, argv, "c:d:r:t:j:s:h", longopts, NULL)) != -1) {
		switch (o) {
		case 'c':
			opt_clients = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			opt_seconds = strtod(optarg, NULL);
			break;
		case 'r':
			opt_rows = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			opt_threads = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'j':
			opt_load_threads = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			opt_pg = strstr(optarg, "pg") != NULL;
			opt_mysql = strstr(optarg, "mysql") != NULL;
			opt_redis = strstr(optarg, "redis") != NULL;
			opt_inmemory = strstr(optarg, "inmemory") != NULL;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc || opt_clients == 0 || opt_clients > MAX_CLIENTS || opt_seconds < 1 ||
	    opt_seconds > 3600 || opt_rows == 0 || opt_rows > 10000000 || opt_threads == 0 ||
	    opt_threads > 256 || opt_load_threads == 0 || opt_load_threads > 256) {
		usage(stderr);
		exit(2);
	}
	if (opt_load_threads > opt_clients)
		opt_load_threads = opt_clients;
}

int main(int argc, char **argv)
{
	struct figure pg[4] = { 0 }, my[4] = { 0 }, rd[4] = { 0 }, mem[3] = { 0 };
	struct persistd_proc p = { 0 };
	char cpu[256], mem_how[64] = "persistd (1 thread)", cmd[256], load_before[64],
		       load_after[64];
	bool served;

	parse_args(argc, argv);
	(void)cmd; /* unused without the SQL stores */
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(workdir, sizeof(workdir), "/tmp/bench-data.XXXXXX");
	if (!mkdtemp(workdir))
		die("mkdtemp: %s", strerror(errno));
	(void)chmod(workdir, 0755);
	snprintf(db_name, sizeof(db_name), "bench_data_%ld", (long)getpid());

	opt_pg = opt_pg && ENABLE_POSTGRESQL;
	opt_mysql = opt_mysql && ENABLE_MYSQL;
	opt_redis = opt_redis && ENABLE_REDIS;
	if (opt_redis && system("command -v redis-benchmark >/dev/null && command -v redis-cli "
				">/dev/null") != 0) {
		note("no redis-benchmark or redis-cli (redis-tools): the Redis figures are left out");
		opt_redis = false;
	}
	if ((opt_pg || opt_mysql || opt_redis) && !env("PERSISTD_TEST_PG_HOST") &&
	    !env("PERSISTD_TEST_MYSQL_HOST") && !env("PERSISTD_TEST_REDIS_HOST"))
		start_servers();
	if (opt_pg && !env("PERSISTD_TEST_PG_HOST")) {
		note("no PostgreSQL server: its figures are left out");
		opt_pg = false;
	}
	if (opt_mysql && !env("PERSISTD_TEST_MYSQL_HOST")) {
		note("no MariaDB server: its figures are left out");
		opt_mysql = false;
	}
	if (opt_redis && (!env("PERSISTD_TEST_REDIS_HOST") || !env("PERSISTD_TEST_REDIS_PORT"))) {
		note("no Redis server: its figures are left out");
		opt_redis = false;
	}
	served = opt_pg || opt_mysql || opt_redis;
#if ENABLE_POSTGRESQL
	if (opt_pg) {
		snprintf(cmd, sizeof(cmd), "DROP DATABASE IF EXISTS %s", db_name);
		pg_exec("postgres", cmd);
		snprintf(cmd, sizeof(cmd), "CREATE DATABASE %s", db_name);
		pg_exec("postgres", cmd);
	}
#endif
#if ENABLE_MYSQL
	if (opt_mysql) {
		snprintf(cmd, sizeof(cmd), "DROP DATABASE IF EXISTS %s", db_name);
		my_exec(NULL, cmd);
		snprintf(cmd, sizeof(cmd), "CREATE DATABASE %s", db_name);
		my_exec(NULL, cmd);
	}
#endif
	write_project();
	load_average(load_before, sizeof(load_before));

	if (served) {
		start_persistd(opt_threads, &p);
		wait_ready(&p);
#if ENABLE_POSTGRESQL
		if (opt_pg)
			pg_bench(&p, pg);
#endif
#if ENABLE_MYSQL
		if (opt_mysql)
			my_bench(&p, my);
#endif
		if (opt_redis)
			redis_bench(&p, rd);
		persistd_stop(&p, SIGTERM, 10000);
	}
	if (opt_inmemory)
		inmemory_bench(mem, mem_how, sizeof(mem_how));
	load_average(load_after, sizeof(load_after));

	/* clean up */
#if ENABLE_POSTGRESQL
	if (opt_pg) {
		snprintf(cmd, sizeof(cmd), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name);
		pg_exec("postgres", cmd);
	}
#endif
#if ENABLE_MYSQL
	if (opt_mysql) {
		snprintf(cmd, sizeof(cmd), "DROP DATABASE IF EXISTS %s", db_name);
		my_exec(NULL, cmd);
	}
#endif
	if (opt_redis) {
		redis_flush(REDIS_DB);
		redis_flush(REDIS_DB + 1);
	}
	stop_servers();
	test_remove_tree(workdir);
	curl_global_cleanup();

	cpu_model(cpu, sizeof(cpu));
	printf("bench-data: %u clients, %.0f s per figure after %.0f s of warm-up, keep-alive "
	       "HTTP/1.1, %u rows per store\n",
	       opt_clients, opt_seconds, WARMUP_SECONDS, opt_rows);
	printf("machine: %ld CPUs, %s; persistd http.threads=%u, pool.max_size=%u; %u load "
	       "threads\n",
	       sysconf(_SC_NPROCESSORS_ONLN), cpu, opt_threads, opt_clients, opt_load_threads);
	printf("load average before the measurements %s, after %s\n\n", load_before, load_after);
	printf("%-11s %-11s %-34s %9s %8s %8s %8s\n", "store", "operation", "through", "req/s",
	       "p50 ms", "p99 ms", "errors");
	if (opt_pg) {
		print_row("postgresql", "get-by-key", "persistd", &pg[0]);
		print_row("postgresql", "get-by-key", "pgbench -S -M prepared", &pg[1]);
		print_ratio(&pg[0], &pg[1], TARGET_RATIO, true);
		print_row("postgresql", "insert", "persistd", &pg[2]);
		print_row("postgresql", "insert", "pgbench one-row INSERT, prepared", &pg[3]);
		print_ratio(&pg[2], &pg[3], 0, false);
	}
	if (opt_mysql) {
		print_row("mysql", "get-by-key", "persistd", &my[0]);
		print_row("mysql", "get-by-key", "libmariadb prepared PK SELECT", &my[1]);
		print_ratio(&my[0], &my[1], TARGET_RATIO, true);
		print_row("mysql", "insert", "persistd", &my[2]);
		print_row("mysql", "insert", "libmariadb prepared INSERT", &my[3]);
		print_ratio(&my[2], &my[3], 0, false);
	}
	if (opt_redis) {
		print_row("redis", "get-by-key", "persistd", &rd[0]);
		print_row("redis", "get-by-key", "redis-benchmark -t get", &rd[1]);
		print_ratio(&rd[0], &rd[1], TARGET_REDIS, false);
		print_row("redis", "insert", "persistd", &rd[2]);
		print_row("redis", "insert", "redis-benchmark one-hash HSET", &rd[3]);
		print_ratio(&rd[2], &rd[3], 0, false);
	}
	if (opt_inmemory) {
		print_row("inmemory", "get-by-key", mem_how, &mem[0]);
		printf("%-24s best of %d rounds:", "", INMEMORY_ROUNDS);
		for (int i = 0; i < INMEMORY_ROUNDS; i++)
			printf(" %.0f", mem_rounds[i]);
		printf(" req/s\n");
		print_core_share(&mem[0], true);
		print_row("inmemory", "insert", mem_how, &mem[1]);
		print_core_share(&mem[1], false);
		print_row("(none)", "/healthz", mem_how, &mem[2]);
		print_core_share(&mem[2], false);
	}
	return 0;
}
