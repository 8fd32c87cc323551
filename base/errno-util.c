#include "config.h"

#include <errno.h>
#include <string.h>

#include "base/errno-util.h"
#include "base/macro.h"

const char *errno_text(int error, char *buf, size_t size)
{
	int e = error < 0 ? -error : error;
	/* GNU strerror_r: returns a pointer that may or may not be buf. */
	return strerror_r(e, buf, size);
}

const char *errno_name(int error)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },
		{ ENOENT, "ENOENT" },
		{ EIO, "EIO" },
		{ E2BIG, "E2BIG" },
		{ EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" },
		{ EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" },
		{ ENOTDIR, "ENOTDIR" },
		{ EISDIR, "EISDIR" },
		{ EINVAL, "EINVAL" },
		{ ENOSPC, "ENOSPC" },
		{ ERANGE, "ERANGE" },
		{ ENAMETOOLONG, "ENAMETOOLONG" },
		{ ENOSYS, "ENOSYS" },
		{ EBADMSG, "EBADMSG" },
		{ EMSGSIZE, "EMSGSIZE" },
		{ EOPNOTSUPP, "EOPNOTSUPP" },
		{ ECONNRESET, "ECONNRESET" },
		{ ETIMEDOUT, "ETIMEDOUT" },
		{ ECONNREFUSED, "ECONNREFUSED" },
		{ EHOSTUNREACH, "EHOSTUNREACH" },
		{ ENOTSUP, "ENOTSUP" },
		{ EPROTO, "EPROTO" },
		{ ENOTEMPTY, "ENOTEMPTY" },
	};
	int e = error < 0 ? -error : error;

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (names[i].e == e)
			return names[i].name;
	return NULL;
}
