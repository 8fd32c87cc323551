/* A loopback TCP relay for the connector tests: a port that forwards to a real server while
 * "up" and refuses connections (and cuts the open ones) while "down", so a test can take a store
 * away and bring it back without restarting the server. */
#ifndef TESTS_TCP_RELAY_H
#define TESTS_TCP_RELAY_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RELAY_MAX_PIPES 64

struct tcp_relay {
	int port, target_port;
	int listen_fd;
	atomic_bool running;
	atomic_bool paused; /* accepted connections are closed at once: a store that is down */
	atomic_bool frozen; /* nothing is forwarded, nothing closed: a store that hangs */
	pthread_t thread;
	pthread_mutex_t lock;
	int fds[RELAY_MAX_PIPES * 2]; /* open pipe ends, -1 when free */
};

struct relay_pipe {
	struct tcp_relay *r;
	int a, b;
};

static inline void relay_track(struct tcp_relay *r, int fd, bool add)
{
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < RELAY_MAX_PIPES * 2; i++) {
		if (add && r->fds[i] < 0) {
			r->fds[i] = fd;
			break;
		}
		if (!add && r->fds[i] == fd) {
			r->fds[i] = -1;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
}

static inline void *relay_pipe_main(void *arg)
{
	struct relay_pipe *p = arg;
	char buf[16384];

	for (;;) {
		struct pollfd pfd[2] = { { p->a, POLLIN, 0 }, { p->b, POLLIN, 0 } };
		int n = poll(pfd, 2, 200);
		bool done = false;
		if (!atomic_load(&p->r->running))
			break;
		if (n <= 0 || atomic_load(&p->r->frozen)) {
			if (n > 0)
				usleep(10 * 1000); /* hold the bytes back */
			continue;
		}
		for (int i = 0; i < 2 && !done; i++) {
			ssize_t got;
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(pfd[i].fd, buf, sizeof(buf));
			if (got <= 0) {
				done = true;
				break;
			}
			for (ssize_t off = 0; off < got;) {
				ssize_t w = write(pfd[1 - i].fd, buf + off, (size_t)(got - off));
				if (w <= 0) {
					done = true;
					break;
				}
				off += w;
			}
		}
		if (done)
			break;
	}
	relay_track(p->r, p->a, false);
	relay_track(p->r, p->b, false);
	close(p->a);
	close(p->b);
	free(p);
	return NULL;
}

static inline void *relay_main(void *arg)
{
	struct tcp_relay *r = arg;

	while (atomic_load(&r->running)) {
		struct pollfd pfd = { r->listen_fd, POLLIN, 0 };
		struct sockaddr_in to = { .sin_family = AF_INET };
		struct relay_pipe *p;
		pthread_t t;
		int a, b;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		a = accept(r->listen_fd, NULL, NULL);
		if (a < 0)
			continue;
		if (atomic_load(&r->paused)) {
			close(a);
			continue;
		}
		b = socket(AF_INET, SOCK_STREAM, 0);
		to.sin_port = htons((uint16_t)r->target_port);
		to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (b < 0 || connect(b, (struct sockaddr *)&to, sizeof(to)) < 0) {
			close(a);
			if (b >= 0)
				close(b);
			continue;
		}
		p = calloc(1, sizeof(*p));
		if (!p) {
			close(a);
			close(b);
			continue;
		}
		*p = (struct relay_pipe){ r, a, b };
		relay_track(r, a, true);
		relay_track(r, b, true);
		if (pthread_create(&t, NULL, relay_pipe_main, p) == 0)
			pthread_detach(t);
	}
	return NULL;
}

/* A free loopback port: bound, then released. */
static inline int relay_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static inline void relay_init(struct tcp_relay *r, int port, int target_port)
{
	memset(r, 0, sizeof(*r));
	r->port = port;
	r->target_port = target_port;
	r->listen_fd = -1;
	pthread_mutex_init(&r->lock, NULL);
	for (int i = 0; i < RELAY_MAX_PIPES * 2; i++)
		r->fds[i] = -1;
}

static inline int relay_up(struct tcp_relay *r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1;

	r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (r->listen_fd < 0)
		return -errno;
	(void)setsockopt(r->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((uint16_t)r->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(r->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(r->listen_fd, 16) < 0) {
		close(r->listen_fd);
		r->listen_fd = -1;
		return -errno;
	}
	atomic_store(&r->running, true);
	if (pthread_create(&r->thread, NULL, relay_main, r) != 0) {
		close(r->listen_fd);
		r->listen_fd = -1;
		return -EIO;
	}
	return 0;
}

/* Keep the port but act like a store that went down: cut every relayed connection and close
 * new ones at once (unlike relay_down(), the port is never released, so relay_resume() cannot
 * race another socket for it). */
static inline void relay_pause(struct tcp_relay *r)
{
	atomic_store(&r->paused, true);
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < RELAY_MAX_PIPES * 2; i++)
		if (r->fds[i] >= 0)
			(void)shutdown(r->fds[i], SHUT_RDWR);
	pthread_mutex_unlock(&r->lock);
}

static inline void relay_resume(struct tcp_relay *r)
{
	atomic_store(&r->paused, false);
}

/* A store that hangs: connections stay open, nothing passes either way until relay_thaw(). */
static inline void relay_freeze(struct tcp_relay *r)
{
	atomic_store(&r->frozen, true);
}

static inline void relay_thaw(struct tcp_relay *r)
{
	atomic_store(&r->frozen, false);
}

/* Stop listening and cut every relayed connection. */
static inline void relay_down(struct tcp_relay *r)
{
	if (r->listen_fd < 0)
		return;
	atomic_store(&r->running, false);
	pthread_join(r->thread, NULL);
	close(r->listen_fd);
	r->listen_fd = -1;
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < RELAY_MAX_PIPES * 2; i++)
		if (r->fds[i] >= 0)
			(void)shutdown(r->fds[i], SHUT_RDWR);
	pthread_mutex_unlock(&r->lock);
	/* the pipe threads see running == false within one poll period and close */
	usleep(300 * 1000);
}

#endif
