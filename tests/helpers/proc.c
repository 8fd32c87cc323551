#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tests/helpers/proc.h"

int test_copy_example(const char *name, char *ret_dir, size_t size)
{
	const char *src = getenv("abs_top_srcdir");
	char cmd[8192];

	snprintf(ret_dir, size, "/tmp/persistd-test.XXXXXX");
	if (!mkdtemp(ret_dir))
		return -errno;
	snprintf(cmd, sizeof(cmd), "cp -R '%s/examples/%s/.' '%s/' && chmod -R u+w '%s'",
		 src && *src ? src : ".", name, ret_dir, ret_dir);
	return system(cmd) == 0 ? 0 : -EIO;
}

void test_remove_tree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void join_path(char *out, size_t size, const char *dir, const char *rel)
{
	if (dir)
		snprintf(out, size, "%s/%s", dir, rel);
	else
		snprintf(out, size, "%s", rel);
}

int test_write_file(const char *dir, const char *rel, const char *text)
{
	char path[1024];
	FILE *f;
	int r = 0;

	join_path(path, sizeof(path), dir, rel);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

char *test_read_file(const char *dir, const char *rel)
{
	char path[1024];
	FILE *f;
	char *data;
	long n;

	join_path(path, sizeof(path), dir, rel);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "test_read_file: %s: cannot size it\n", path);
		abort();
	}
	data = calloc(1, (size_t)n + 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "test_read_file: %s: cannot read it whole\n", path);
		abort();
	}
	fclose(f);
	return data;
}

unsigned test_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	unsigned port = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

const char *test_builddir(void)
{
	const char *d = getenv("abs_top_builddir");
	return d && *d ? d : ".";
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int persistd_start(const char *project, const char *const *extra_args, struct persistd_proc *ret)
{
	char bin[4096], listen[64], wrapper[512];
	const char *argv[80];
	size_t n = 0;
	unsigned port = test_free_port();
	/* PERSISTD_TEST_WRAPPER="valgrind --error-exitcode=99 ...": the daemon runs under it, and
	 * gets longer to come up */
	const char *wrap = getenv("PERSISTD_TEST_WRAPPER");
	int tries = wrap && *wrap ? 1200 : 200;
	pid_t pid;

	if (port == 0)
		return -EADDRNOTAVAIL;
	snprintf(bin, sizeof(bin), "%s/persistd", test_builddir());
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	if (wrap && *wrap) {
		char *save = NULL;
		snprintf(wrapper, sizeof(wrapper), "%s", wrap);
		for (char *w = strtok_r(wrapper, " ", &save); w && n < 16;
		     w = strtok_r(NULL, " ", &save))
			argv[n++] = w;
	}
	argv[n++] = bin;
	argv[n++] = "--project";
	argv[n++] = project;
	argv[n++] = "--listen";
	argv[n++] = listen;
	for (size_t i = 0; extra_args && extra_args[i] && n < 78; i++)
		argv[n++] = extra_args[i];
	argv[n] = NULL;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	ret->pid = pid;
	ret->port = port;
	snprintf(ret->base_url, sizeof(ret->base_url), "http://127.0.0.1:%u", port);

	for (int i = 0; i < tries; i++) {
		struct http_result h;
		char url[128];
		int status;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			ret->pid = 0;
			return -ECHILD;
		}
		snprintf(url, sizeof(url), "%s/healthz", ret->base_url);
		if (http_request("GET", url, NULL, 0, NULL, &h) == 0) {
			long st = h.status;
			http_result_release(&h);
			if (st == 200)
				return 0;
		}
		sleep_ms(50);
	}
	persistd_stop(ret, SIGKILL, 2000);
	return -ETIMEDOUT;
}

int persistd_alive(struct persistd_proc *p)
{
	int status;
	if (p->pid <= 0)
		return 0;
	return waitpid(p->pid, &status, WNOHANG) == 0;
}

int persistd_stop(struct persistd_proc *p, int sig, int timeout_ms)
{
	int status;

	if (p->pid <= 0)
		return -ESRCH;
	kill(p->pid, sig);
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid) {
			p->pid = 0;
			return status;
		}
		sleep_ms(10);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
	p->pid = 0;
	return -ETIMEDOUT;
}

struct grow {
	char *data;
	size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct grow *g = userdata;
	size_t n = size * nmemb;
	char *p = realloc(g->data, g->len + n + 1);
	if (!p)
		return 0;
	memcpy(p + g->len, ptr, n);
	g->data = p;
	g->len += n;
	g->data[g->len] = '\0';
	return n;
}

/* The value of line when it is the header name (given with ": "), cut to fit out. */
static void copy_header(const char *line, const char *name, char *out, size_t size)
{
	size_t len = strlen(name), k;

	if (strncasecmp(line, name, len) != 0)
		return;
	k = strlen(line + len);
	if (k >= size)
		k = size - 1;
	memcpy(out, line + len, k);
	out[k] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_result *r = userdata;
	size_t n = size * nmemb;
	char line[256];
	size_t l = n < sizeof(line) - 1 ? n : sizeof(line) - 1;

	memcpy(line, ptr, l);
	line[l] = '\0';
	while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == '\n'))
		line[--l] = '\0';
	copy_header(line, "ETag: ", r->etag, sizeof(r->etag));
	copy_header(line, "Allow: ", r->allow, sizeof(r->allow));
	copy_header(line, "X-Request-Id: ", r->request_id, sizeof(r->request_id));
	copy_header(line, "X-Next-Offset: ", r->next_offset, sizeof(r->next_offset));
	return n;
}

int http_request(const char *method, const char *url, const char *body, size_t body_len,
		 const char *const *headers, struct http_result *ret)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct grow g = { NULL, 0 };
	struct http_result r = { 0 };
	char *ct = NULL;
	CURLcode cc;

	if (!c)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	/* Send paths as written: the tests probe "..", "%2e%2e" and friends. */
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	hl = curl_slist_append(hl, "Expect:");
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
			snprintf(r.content_type, sizeof(r.content_type), "%s", ct);
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		free(g.data);
		return -ECONNREFUSED;
	}
	r.body = g.data ? g.data : strdup("");
	r.len = g.len;
	*ret = r;
	return 0;
}

void http_result_release(struct http_result *r)
{
	free(r->body);
	r->body = NULL;
}
