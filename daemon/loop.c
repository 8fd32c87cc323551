#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "base/alloc.h"
#include "daemon/loop.h"

#define LOOP_MAX_SOURCES 64

struct loop_source {
	int fd;
	loop_fd_fn *fn;
	void *userdata;
};

struct loop {
	int epfd;
	bool quit;
	int code;
	struct loop_source sources[LOOP_MAX_SOURCES];
};

int loop_new(struct loop **ret)
{
	struct loop *l = new0(struct loop, 1);

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int r = -errno;
		mem_free(l);
		return r;
	}
	for (size_t i = 0; i < LOOP_MAX_SOURCES; i++)
		l->sources[i].fd = -1;
	*ret = l;
	return 0;
}

struct loop *loop_free(struct loop *l)
{
	if (!l)
		return NULL;
	(void)close(l->epfd);
	mem_free(l);
	return NULL;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn *fn, void *userdata)
{
	for (size_t i = 0; i < LOOP_MAX_SOURCES; i++) {
		if (l->sources[i].fd >= 0)
			continue;
		struct epoll_event ev = { .events = events, .data.ptr = &l->sources[i] };
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
		l->sources[i] = (struct loop_source){ fd, fn, userdata };
		return 0;
	}
	return -ENOSPC;
}

int loop_remove_fd(struct loop *l, int fd)
{
	for (size_t i = 0; i < LOOP_MAX_SOURCES; i++) {
		if (l->sources[i].fd != fd)
			continue;
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		l->sources[i].fd = -1;
		return 0;
	}
	return -ENOENT;
}

void loop_quit(struct loop *l, int code)
{
	l->quit = true;
	l->code = code;
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[16];

	l->quit = false; /* a loop can run again after it was quit */
	while (!l->quit) {
		int n = epoll_wait(l->epfd, evs, (int)ELEMENTSOF(evs), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->quit; i++) {
			struct loop_source *s = evs[i].data.ptr;
			if (s->fd < 0)
				continue;
			int r = s->fn(l, s->fd, evs[i].events, s->userdata);
			if (r < 0)
				loop_quit(l, r);
		}
	}
	return l->code;
}
