/* Listening sockets from "host:port" strings ("127.0.0.1:7070", "[::1]:7070", "localhost:0"). */
#ifndef BASE_SOCKET_UTIL_H
#define BASE_SOCKET_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "base/macro.h"

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Parse "host:port" with a numeric IPv4/IPv6 host (IPv6 in brackets) or "localhost";
 * -EINVAL when malformed. */
_must_check_ int listen_addr_parse(const char *s, struct listen_addr *ret);
/* Whether the address is in 127.0.0.0/8 or ::1. */
bool listen_addr_is_loopback(const struct listen_addr *a);
/* Create, bind and listen (close-on-exec, SO_REUSEADDR); returns the fd. */
_must_check_ int listen_addr_open(const struct listen_addr *a, int backlog);
/* Format the local address of a socket as "host:port" ("[::1]:port" for IPv6). */
int socket_local_name(int fd, char *buf, size_t size);
/* Whether a bound socket's local address is loopback; < 0 on error. */
int socket_is_loopback(int fd);

#endif
