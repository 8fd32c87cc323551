/* The main thread's epoll loop: file descriptors with callbacks, until loop_quit(). */
#ifndef DAEMON_LOOP_H
#define DAEMON_LOOP_H

#include <stdint.h>

#include "base/macro.h"

struct loop;

/* Called with the epoll events of fd; a negative return stops the loop with that code. */
typedef int loop_fd_fn(struct loop *l, int fd, uint32_t events, void *userdata);

_must_check_ int loop_new(struct loop **ret);
struct loop *loop_free(struct loop *l);
_must_check_ int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn *fn,
			     void *userdata);
int loop_remove_fd(struct loop *l, int fd);
/* Run until loop_quit or a callback fails; returns the quit code. */
int loop_run(struct loop *l);
void loop_quit(struct loop *l, int code);

#endif
