#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>

#if ENABLE_SYSTEMD
#	include <systemd/sd-daemon.h>
#endif

#include "daemon/notify.h"

#if ENABLE_SYSTEMD
void notify_ready(void)
{
	(void)sd_notify(0, "READY=1");
}

void notify_reloading(void)
{
	(void)sd_notify(0, "RELOADING=1");
}

void notify_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1");
}

void notify_watchdog(void)
{
	(void)sd_notify(0, "WATCHDOG=1");
}

void notify_status(const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	(void)sd_notifyf(0, "STATUS=%s", text);
}

uint64_t notify_watchdog_usec(void)
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}

int notify_listen_fd(void)
{
	int n = sd_listen_fds(1);

	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	if (n > 1)
		return -EINVAL;
	if (sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM, 1) <= 0)
		return -EINVAL;
	return SD_LISTEN_FDS_START;
}
#else
void notify_ready(void)
{
}

void notify_reloading(void)
{
}

void notify_stopping(void)
{
}

void notify_watchdog(void)
{
}

void notify_status(const char *fmt, ...)
{
	(void)fmt;
}

uint64_t notify_watchdog_usec(void)
{
	return 0;
}

int notify_listen_fd(void)
{
	return -ENOENT;
}
#endif
