/* The real persistd binary on a free loopback port, driven over HTTP with libcurl. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "tests/helpers/proc.h"

static struct persistd_proc daemon_proc;
static char project[4096];

static void url_for(char *buf, size_t size, const struct persistd_proc *p, const char *path)
{
	snprintf(buf, size, "%s%s", p->base_url, path);
}

static int group_setup(void **state)
{
	static const char *const args[] = { "--set", "http.max_body_bytes=1024", NULL };
	(void)state;

	if (test_copy_example("shop", project, sizeof(project)) < 0)
		return -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return persistd_start(project, args, &daemon_proc) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (daemon_proc.pid > 0)
		persistd_stop(&daemon_proc, SIGKILL, 2000);
	curl_global_cleanup();
	test_remove_tree(project);
	return 0;
}

static json_t *get_json(const char *path, long want_status, const char *want_type)
{
	struct http_result h;
	char url[256];
	json_error_t err;
	json_t *j;

	url_for(url, sizeof(url), &daemon_proc, path);
	assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
	assert_int_equal(h.status, want_status);
	assert_string_equal(h.content_type, want_type);
	j = json_loads(h.body, 0, &err);
	assert_non_null(j);
	http_result_release(&h);
	return j;
}

static void assert_problem(json_t *j, long status, const char *code)
{
	assert_int_equal(json_integer_value(json_object_get(j, "status")), status);
	assert_string_equal(json_string_value(json_object_get(j, "code")), code);
	assert_non_null(json_string_value(json_object_get(j, "type")));
	assert_non_null(json_string_value(json_object_get(j, "title")));
}

static void test_healthz(void **state)
{
	json_t *j = get_json("/healthz", 200, "application/json");
	(void)state;

	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	json_decref(j);
}

/* The default http.connection_memory_limit leaves room for large headers (a 16 KiB cookie or
 * token), besides the request line and the read buffer. */
static void test_large_header(void **state)
{
	static char header[16 * 1024 + 32];
	const char *headers[] = { header, NULL };
	struct http_result h;
	char url[128];
	(void)state;

	snprintf(header, sizeof(header), "X-Large: ");
	memset(header + strlen(header), 'a', 16 * 1024);
	url_for(url, sizeof(url), &daemon_proc, "/healthz");
	assert_int_equal(http_request("GET", url, NULL, 0, headers, &h), 0);
	assert_int_equal(h.status, 200);
	http_result_release(&h);
}

/* A usable X-Request-Id is adopted and echoed; anything else gets a fresh id. */
static void test_request_id(void **state)
{
	static const char *const mine[] = { "X-Request-Id: trace-42.a:b_c", NULL };
	static const char *const bad[] = { "X-Request-Id: evil id\twith spaces", NULL };
	struct http_result h;
	char url[128];
	(void)state;

	url_for(url, sizeof(url), &daemon_proc, "/healthz");
	assert_int_equal(http_request("GET", url, NULL, 0, mine, &h), 0);
	assert_string_equal(h.request_id, "trace-42.a:b_c");
	http_result_release(&h);
	assert_int_equal(http_request("GET", url, NULL, 0, bad, &h), 0);
	assert_int_equal(strlen(h.request_id), 16);
	assert_int_equal(strspn(h.request_id, "0123456789abcdef"), 16);
	http_result_release(&h);
	assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
	assert_int_equal(strlen(h.request_id), 16);
	http_result_release(&h);
}

static void test_version(void **state)
{
	json_t *j = get_json("/version", 200, "application/json");
	(void)state;

	assert_string_equal(json_string_value(json_object_get(j, "name")), "persistd");
	assert_string_equal(json_string_value(json_object_get(j, "version")), PACKAGE_VERSION);
	json_decref(j);
}

static void test_unknown_route_is_404_problem(void **state)
{
	json_t *j = get_json("/no/such/thing", 404, "application/problem+json");
	(void)state;

	assert_problem(j, 404, "not_found");
	assert_string_equal(json_string_value(json_object_get(j, "instance")), "/no/such/thing");
	json_decref(j);
}

static void test_wrong_method_is_405_with_allow(void **state)
{
	struct http_result h;
	char url[256];
	json_t *j;
	(void)state;

	url_for(url, sizeof(url), &daemon_proc, "/healthz");
	assert_int_equal(http_request("DELETE", url, NULL, 0, NULL, &h), 0);
	assert_int_equal(h.status, 405);
	assert_string_equal(h.content_type, "application/problem+json");
	assert_non_null(strstr(h.allow, "GET"));
	j = json_loads(h.body, 0, NULL);
	assert_non_null(j);
	assert_problem(j, 405, "method_not_allowed");
	json_decref(j);
	http_result_release(&h);

	/* HEAD works wherever GET does, without a body. */
	assert_int_equal(http_request("HEAD", url, NULL, 0, NULL, &h), 0);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.len, 0);
	http_result_release(&h);
}

static void test_body_limit(void **state)
{
	static const char *const chunked[] = { "Transfer-Encoding: chunked", NULL };
	struct http_result h;
	char url[256], *body;
	json_t *j;
	(void)state;

	body = malloc(4096);
	assert_non_null(body);
	memset(body, 'a', 4096);
	url_for(url, sizeof(url), &daemon_proc, "/healthz");

	/* Announced with Content-Length. */
	assert_int_equal(http_request("POST", url, body, 4096, NULL, &h), 0);
	assert_int_equal(h.status, 413);
	j = json_loads(h.body, 0, NULL);
	assert_non_null(j);
	assert_problem(j, 413, "payload_too_large");
	json_decref(j);
	http_result_release(&h);

	/* Streamed in chunks: found while reading. */
	assert_int_equal(http_request("POST", url, body, 4096, chunked, &h), 0);
	assert_int_equal(h.status, 413);
	http_result_release(&h);

	/* Within the limit the route decides (405 here). */
	assert_int_equal(http_request("POST", url, body, 512, NULL, &h), 0);
	assert_int_equal(h.status, 405);
	http_result_release(&h);
	free(body);

	/* The daemon still serves. */
	json_decref(get_json("/healthz", 200, "application/json"));
}

static void test_metrics(void **state)
{
	struct http_result h;
	char url[256];
	(void)state;

	json_decref(get_json("/healthz", 200, "application/json"));
	url_for(url, sizeof(url), &daemon_proc, "/metrics");
	assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
	assert_int_equal(h.status, 200);
	assert_non_null(strstr(h.content_type, "text/plain"));
	assert_non_null(strstr(h.body, "# TYPE persistd_http_requests_total counter\n"));
	assert_non_null(strstr(h.body,
			       "persistd_http_requests_total{route=\"/healthz\",method=\"GET\","
			       "code=\"200\"}"));
	assert_non_null(strstr(h.body, "persistd_http_requests_total{route=\"unmatched\""));
	assert_non_null(strstr(h.body, "persistd_http_request_duration_seconds_bucket{route="
				       "\"/healthz\",le=\"+Inf\"}"));
	assert_non_null(strstr(h.body, "persistd_model_info{model=\"users\",status=\"valid\"} 1"));
	http_result_release(&h);
}

static void test_sighup_keeps_serving(void **state)
{
	(void)state;
	assert_int_equal(kill(daemon_proc.pid, SIGHUP), 0);
	usleep(100 * 1000);
	assert_true(persistd_alive(&daemon_proc));
	json_decref(get_json("/healthz", 200, "application/json"));
}

static void test_sigterm_exits_zero(void **state)
{
	int status;
	(void)state;

	status = persistd_stop(&daemon_proc, SIGTERM, 10000);
	assert_true(status >= 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_tokens(void **state)
{
	static const char *const bad[] = { "Authorization: Bearer wrong", NULL };
	static const char *const good[] = { "Authorization: Bearer s3cret-api", NULL };
	static const char *const ro[] = { "Authorization: Bearer s3cret-read", NULL };
	struct persistd_proc p;
	struct http_result h;
	char url[256];
	(void)state;

	setenv("PERSISTD_HTTP_API_TOKEN", "s3cret-api", 1);
	setenv("PERSISTD_HTTP_READ_TOKEN", "s3cret-read", 1);
	assert_int_equal(persistd_start(project, NULL, &p), 0);
	unsetenv("PERSISTD_HTTP_API_TOKEN");
	unsetenv("PERSISTD_HTTP_READ_TOKEN");

	url_for(url, sizeof(url), &p, "/version");
	assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
	assert_int_equal(h.status, 401);
	assert_string_equal(h.content_type, "application/problem+json");
	http_result_release(&h);
	assert_int_equal(http_request("GET", url, NULL, 0, bad, &h), 0);
	assert_int_equal(h.status, 401);
	http_result_release(&h);
	assert_int_equal(http_request("GET", url, NULL, 0, good, &h), 0);
	assert_int_equal(h.status, 200);
	http_result_release(&h);
	assert_int_equal(http_request("GET", url, NULL, 0, ro, &h), 0);
	assert_int_equal(h.status, 200);
	http_result_release(&h);
	/* The read token allows GET and HEAD only. */
	assert_int_equal(http_request("POST", url, "{}", 2, ro, &h), 0);
	assert_int_equal(h.status, 403);
	http_result_release(&h);
	/* /healthz needs no token. */
	url_for(url, sizeof(url), &p, "/healthz");
	assert_int_equal(http_request("GET", url, NULL, 0, NULL, &h), 0);
	assert_int_equal(h.status, 200);
	http_result_release(&h);

	assert_int_equal(persistd_stop(&p, SIGTERM, 10000), 0);
}

static int run_persistd(const char *const *args)
{
	char bin[4096];
	const char *argv[16];
	size_t n = 0;
	int status;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/persistd", test_builddir());
	argv[n++] = bin;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_startup_refusals(void **state)
{
	char listen[64];
	(void)state;

	snprintf(listen, sizeof(listen), "0.0.0.0:%u", test_free_port());
	{
		const char *const args[] = { "--project", project, "--listen", listen, NULL };
		assert_int_equal(run_persistd(args), 1);
	}
	{
		const char *const args[] = { "--project", "/nonexistent/project", NULL };
		assert_int_equal(run_persistd(args), 1);
	}
	{
		const char *const args[] = { "--no-such-flag", NULL };
		assert_int_equal(run_persistd(args), 2);
	}
	{
		const char *const args[] = { "--set", "http.threads=0", NULL };
		assert_int_equal(run_persistd(args), 2);
	}
	{
		const char *const args[] = { "--help", NULL };
		assert_int_equal(run_persistd(args), 0);
	}
}

static int tcp_open(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Whether the server closed fd within timeout_ms (a read returns 0 or an error). */
static bool closed_within(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096];

	for (int waited = 0; waited < timeout_ms; waited += 50) {
		if (poll(&pfd, 1, 50) > 0) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				return true;
		}
	}
	return false;
}

static long healthz_status(const struct persistd_proc *p)
{
	struct http_result h = { 0 };
	char url[128];
	long st = -1;

	url_for(url, sizeof(url), p, "/healthz");
	if (http_request("GET", url, NULL, 0, NULL, &h) == 0)
		st = h.status;
	http_result_release(&h);
	return st;
}

/* Too many connections and slow clients are bounded: connections past http.max_connections
 * are refused, idle ones are closed after http.connection_timeout, an endless header is cut
 * at the connection's memory limit, and the daemon keeps answering throughout. */
static void test_connection_limits(void **state)
{
	static const char *const args[] = { "--set", "http.max_connections=4",
					    "--set", "http.connection_timeout=1s",
					    "--set", "http.threads=1",
					    NULL };
	struct persistd_proc p;
	int idle[4], extra, flood;
	char chunk[4096];
	bool cut = false;
	(void)state;

	assert_int_equal(persistd_start(project, args, &p), 0);
	/* four silent clients take every slot */
	for (int i = 0; i < 4; i++)
		idle[i] = tcp_open(p.port);
	usleep(200 * 1000);
	/* a fifth connection is closed at once, without a reply */
	extra = tcp_open(p.port);
	assert_true(closed_within(extra, 2000));
	close(extra);
	/* the silent ones are dropped after the idle timeout, and service resumes */
	for (int i = 0; i < 4; i++) {
		assert_true(closed_within(idle[i], 5000));
		close(idle[i]);
	}
	assert_int_equal(healthz_status(&p), 200);

	/* a header that never ends: cut when it outgrows the connection's memory */
	flood = tcp_open(p.port);
	(void)signal(SIGPIPE, SIG_IGN);
	assert_true(write(flood, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ", 40) == 40);
	memset(chunk, 'a', sizeof(chunk));
	for (int i = 0; i < 256 && !cut; i++)
		cut = write(flood, chunk, sizeof(chunk)) < 0;
	assert_true(cut || closed_within(flood, 3000));
	close(flood);
	assert_int_equal(healthz_status(&p), 200);
	assert_true(persistd_stop(&p, SIGTERM, 10000) >= 0);
}

/* A datagram socket standing in for systemd's notification socket. */
static int notify_socket_open(char *path, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(path, size, "/tmp/persistd-notify.%d", (int)getpid());
	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Read notifications until one contains want; fail after the socket's timeout. */
static void expect_notification(int fd, const char *want)
{
	char msg[512];

	for (;;) {
		ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);
		assert_true(n > 0);
		msg[n] = '\0';
		if (strstr(msg, want))
			return;
	}
}

static void test_sd_notify_states(void **state)
{
	struct persistd_proc p;
	char path[108];
	int fd;
	(void)state;

	if (!ENABLE_SYSTEMD)
		skip();
	fd = notify_socket_open(path, sizeof(path));
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_USEC", "200000", 1);
	assert_int_equal(persistd_start(project, NULL, &p), 0);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	expect_notification(fd, "READY=1");
	expect_notification(fd, "WATCHDOG=1");
	assert_int_equal(kill(p.pid, SIGHUP), 0);
	expect_notification(fd, "RELOADING=1");
	expect_notification(fd, "READY=1");
	assert_int_equal(kill(p.pid, SIGTERM), 0);
	expect_notification(fd, "STOPPING=1");
	assert_int_equal(persistd_stop(&p, SIGTERM, 10000), 0);
	close(fd);
	unlink(path);
}

static void test_socket_activation(void **state)
{
	char bin[4096], listen_arg[64], url[128];
	unsigned port = test_free_port();
	struct persistd_proc p = { 0 };
	struct http_result h;
	int ok = 0;
	pid_t pid;
	(void)state;

	if (!ENABLE_SYSTEMD || access("/usr/bin/systemd-socket-activate", X_OK) != 0)
		skip();
	snprintf(bin, sizeof(bin), "%s/persistd", test_builddir());
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* --listen names a port nobody may bind: only the passed socket can serve. */
		execl("/usr/bin/systemd-socket-activate", "systemd-socket-activate", "-l",
		      listen_arg, bin, "--project", project, "--listen", "127.0.0.1:1", NULL);
		_exit(127);
	}
	p.pid = pid;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/healthz", port);
	for (int i = 0; i < 100 && !ok; i++) {
		if (http_request("GET", url, NULL, 0, NULL, &h) == 0) {
			ok = h.status == 200;
			http_result_release(&h);
		}
		if (!ok)
			usleep(100 * 1000);
	}
	assert_true(ok);
	assert_int_equal(persistd_stop(&p, SIGTERM, 10000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthz),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_request_id),
		cmocka_unit_test(test_large_header),
		cmocka_unit_test(test_unknown_route_is_404_problem),
		cmocka_unit_test(test_wrong_method_is_405_with_allow),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_sighup_keeps_serving),
		cmocka_unit_test(test_sigterm_exits_zero),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_startup_refusals),
		cmocka_unit_test(test_connection_limits),
		cmocka_unit_test(test_sd_notify_states),
		cmocka_unit_test(test_socket_activation),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
