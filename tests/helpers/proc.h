/* Test helpers: start the real persistd on a free loopback port and talk HTTP to it. */
#ifndef TESTS_HELPERS_PROC_H
#define TESTS_HELPERS_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct persistd_proc {
	pid_t pid;
	unsigned port;
	char base_url[64];
};

struct http_result {
	long status;
	char *body; /* NUL-terminated, malloc'd */
	size_t len;
	char content_type[128];
	char allow[128];
	char etag[64];
	char request_id[80];
	char next_offset[32];
};

/* Copy examples/<name> (from $abs_top_srcdir) into a new temporary directory, so a test's
 * persistd can write generated files without touching the source tree. */
int test_copy_example(const char *name, char *ret_dir, size_t size);
/* rm -rf dir */
void test_remove_tree(const char *dir);
/* Write text to dir/rel (rel alone when dir is NULL), replacing it: 0 or a negative errno
 * (opening, writing and closing are all checked). */
int test_write_file(const char *dir, const char *rel, const char *text);
/* The whole of dir/rel, NUL-terminated and malloc'd; NULL when it does not exist. A file that
 * exists but cannot be read whole aborts the test program. */
char *test_read_file(const char *dir, const char *rel);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
unsigned test_free_port(void);
/* Path of a built program next to the tests ($abs_top_builddir or "."). */
const char *test_builddir(void);
/* Start persistd with project dir and extra args (NULL-terminated, may be NULL), waiting up
 * to 10 s for /healthz. Returns 0 or a negative errno. */
int persistd_start(const char *project, const char *const *extra_args, struct persistd_proc *ret);
/* Send sig and wait up to timeout_ms for exit; returns the wait status or -ETIMEDOUT (the
 * process is then killed). */
int persistd_stop(struct persistd_proc *p, int sig, int timeout_ms);
/* Whether the process is still running. */
int persistd_alive(struct persistd_proc *p);

/* One HTTP request with libcurl. headers is NULL-terminated ("Name: value") or NULL. */
int http_request(const char *method, const char *url, const char *body, size_t body_len,
		 const char *const *headers, struct http_result *ret);
void http_result_release(struct http_result *r);

#endif
