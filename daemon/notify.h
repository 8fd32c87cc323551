/* systemd integration: sd_notify states and socket activation. Without systemd support these
 * do nothing and no sockets are passed. */
#ifndef DAEMON_NOTIFY_H
#define DAEMON_NOTIFY_H

#include <stdint.h>

#include "base/macro.h"

void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
void notify_watchdog(void);
_printf_(1, 2) void notify_status(const char *fmt, ...);
/* Watchdog interval requested by the service manager in µs, 0 when none. */
uint64_t notify_watchdog_usec(void);
/* The one listening socket passed by socket activation, -ENOENT when none, -EINVAL when
 * several or a socket of the wrong kind. */
int notify_listen_fd(void);

#endif
