/* The ceiling of persistd's HTTP layer: libmicrohttpd run as api/http.c's http_server_start()
 * runs it (one thread per loop, each driving a daemon of its own in external epoll mode on a
 * duplicate of the listening socket, with the same flags and connection limits), answering
 * every request, on any path, with the same small JSON body ({"status":"ok"}, 200,
 * application/json). Runs until SIGTERM or SIGINT. Prints nothing but errors; asserts
 * nothing.
 *   bench-mhd-constant [-t THREADS] [ADDRESS:]PORT   (defaults: 4 threads, 127.0.0.1) */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

/* persistd's defaults: http.max_connections, http.connection_memory_limit,
 * http.connection_timeout */
#define MAX_CONNECTIONS	   256
#define CONNECTION_MEMORY  (32 * 1024)
#define CONNECTION_TIMEOUT 60

static const char body[] = "{\"status\":\"ok\"}";

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;
	static int first_call;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	/* First call: headers only. Then swallow any body, and answer once it has all come. */
	if (!*req_cls) {
		*req_cls = &first_call;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	/* A response of its own per request, as persistd makes (a shared one is locked by every
	 * thread that sends it), over the constant bytes. */
	resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ok = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ok;
}

static int listen_on(const char *addr, unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd, one = 1;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "bench-mhd-constant: not an IPv4 address: %s\n", addr);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0) {
		fprintf(stderr, "bench-mhd-constant: %s:%u: %s\n", addr, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* api/http.c's loop_main() without the store pipes: wait on MHD's epoll fd, run MHD. */
static void *loop_main(void *arg)
{
	struct MHD_Daemon *mhd = arg;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD);
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (!di || epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, di->epoll_fd, &ev) < 0) {
		fprintf(stderr, "bench-mhd-constant: cannot set up a loop\n");
		exit(1);
	}
	for (;;) {
		MHD_UNSIGNED_LONG_LONG ms;
		int timeout = 1000;
		if (MHD_get_timeout(mhd, &ms) == MHD_YES && ms < 1000)
			timeout = (int)ms;
		(void)epoll_wait(epfd, evs, 64, timeout);
		(void)MHD_run(mhd);
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-mhd-constant [-t THREADS 1..256] [ADDRESS:]PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long threads = 4, port;
	char addr[64] = "127.0.0.1", *colon, *end;
	struct MHD_Daemon *mhd;
	sigset_t stop;
	int fd, sig, opt;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			usage();
		threads = strtoul(optarg, &end, 10);
		if (*end || threads == 0 || threads > 256)
			usage();
	}
	if (optind != argc - 1)
		usage();
	colon = strrchr(argv[optind], ':');
	if (colon) {
		if ((size_t)(colon - argv[optind]) >= sizeof(addr))
			usage();
		memcpy(addr, argv[optind], (size_t)(colon - argv[optind]));
		addr[colon - argv[optind]] = '\0';
	}
	port = strtoul(colon ? colon + 1 : argv[optind], &end, 10);
	if (*end || port > 65535)
		usage();

	/* Wait for the signals in sigwait(); every thread MHD starts inherits the mask. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	fd = listen_on(addr, (unsigned)port);
	if (fd < 0)
		return 1;
	for (unsigned long i = 0; i < threads; i++) {
		int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		pthread_t t;
		mhd = dup_fd < 0 ? NULL
				 : MHD_start_daemon(
					   MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
						   MHD_USE_ERROR_LOG,
					   0, NULL, NULL, answer, NULL, MHD_OPTION_LISTEN_SOCKET,
					   dup_fd, MHD_OPTION_CONNECTION_LIMIT,
					   (unsigned)MAX_CONNECTIONS + 1,
					   MHD_OPTION_CONNECTION_MEMORY_LIMIT,
					   (size_t)CONNECTION_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT,
					   (unsigned)CONNECTION_TIMEOUT, MHD_OPTION_END);
		if (!mhd || pthread_create(&t, NULL, loop_main, mhd) != 0) {
			fprintf(stderr, "bench-mhd-constant: cannot start libmicrohttpd\n");
			return 1;
		}
	}
	while (sigwait(&stop, &sig) != 0)
		;
	MHD_stop_daemon(mhd);
	close(fd);
	return 0;
}
