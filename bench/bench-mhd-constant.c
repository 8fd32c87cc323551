/* The ceiling of persistd's HTTP layer: libmicrohttpd started with the flags, thread pool and
 * connection limits of api/http.c's http_server_start(), answering every request, on any path,
 * with the same small JSON body ({"status":"ok"}, 200, application/json). Runs until SIGTERM or
 * SIGINT. Prints nothing but errors; asserts nothing.
 *   bench-mhd-constant [-t THREADS] [ADDRESS:]PORT   (defaults: 4 threads, 127.0.0.1) */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

/* persistd's defaults: http.max_connections, http.connection_memory_limit,
 * http.connection_timeout */
#define MAX_CONNECTIONS	   256
#define CONNECTION_MEMORY  (64 * 1024)
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
	{
		/* As http_server_start(): no pool for one thread, MHD's polling thread serves. */
		struct MHD_OptionItem pool[] = {
			{ threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
			  (intptr_t)threads, NULL },
			{ MHD_OPTION_END, 0, NULL },
		};
		mhd = MHD_start_daemon(
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
				MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
			0, NULL, NULL, answer, NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_ARRAY,
			pool, MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT,
			MHD_OPTION_END);
	}
	if (!mhd) {
		fprintf(stderr, "bench-mhd-constant: cannot start libmicrohttpd\n");
		return 1;
	}
	while (sigwait(&stop, &sig) != 0)
		;
	MHD_stop_daemon(mhd);
	close(fd);
	return 0;
}
