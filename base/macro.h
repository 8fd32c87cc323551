/* Compiler attributes, cleanup helpers and small macros used everywhere. */
#ifndef BASE_MACRO_H
#define BASE_MACRO_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _must_check_   __attribute__((warn_unused_result))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_       __attribute__((unused))
#define _noreturn_     __attribute__((noreturn))
#define _likely_(x)    __builtin_expect(!!(x), 1)
#define _unlikely_(x)  __builtin_expect(!!(x), 0)
#define _fallthrough_  __attribute__((fallthrough))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)     ((a) < (b) ? (a) : (b))
#define MAX(a, b)     ((a) > (b) ? (a) : (b))

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Hand the value of a cleanup-scoped pointer to someone else and leave NULL behind. */
#define TAKE_PTR(p)                                 \
	({                                          \
		__typeof__(p) _take_ptr_tmp_ = (p); \
		(p) = NULL;                         \
		_take_ptr_tmp_;                     \
	})

#define TAKE_FD(fd)                       \
	({                                \
		int _take_fd_tmp_ = (fd); \
		(fd) = -1;                \
		_take_fd_tmp_;            \
	})

/* Wrap a syscall returning -1/errno into the negative-errno convention. */
#define RET_NERRNO(expr)                         \
	({                                       \
		__typeof__(expr) _ret_ = (expr); \
		_ret_ < 0 ? -errno : _ret_;      \
	})

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
	static inline void func##p(type *p)     \
	{                                       \
		if (*p)                         \
			(void)func(*p);         \
	}

static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd);
		errno = saved;
	}
}

#define _cleanup_close_ _cleanup_(closep)

/* Every project header includes this one, after the system headers its .c file needs, so the
 * banned functions become compile errors in project code only. */
#include "base/banned.h"

#endif
