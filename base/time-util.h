/* Microsecond time values, as systemd's usec_t. */
#ifndef BASE_TIME_UTIL_H
#define BASE_TIME_UTIL_H

#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;

#define USEC_INFINITY ((usec_t)UINT64_MAX)
#define USEC_PER_MSEC ((usec_t)1000ULL)
#define USEC_PER_SEC  ((usec_t)1000000ULL)
#define NSEC_PER_USEC ((uint64_t)1000ULL)

static inline usec_t timespec_to_usec(const struct timespec *ts)
{
	return (usec_t)ts->tv_sec * USEC_PER_SEC + (usec_t)ts->tv_nsec / NSEC_PER_USEC;
}

static inline usec_t now_usec(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return timespec_to_usec(&ts);
}

#endif
