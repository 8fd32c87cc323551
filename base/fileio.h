/* File reading with a size cap, and atomic writes (temporary file + fsync + rename). */
#ifndef BASE_FILEIO_H
#define BASE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"

/* Read all of fd (or the file at path) into out, appending. More than max bytes → -EMSGSIZE
 * (nothing appended). */
_must_check_ int read_fd_capped(int fd, size_t max, struct buf *out);
_must_check_ int read_file_capped(const char *path, size_t max, struct buf *out);
/* As read_file_capped, relative to directory fd dirfd (AT_FDCWD allowed), never following a
 * symlink in the last component. */
_must_check_ int read_file_at(int dirfd, const char *path, size_t max, struct buf *out);

/* Write data to path atomically: a temporary file in the same directory, fsync, rename, fsync
 * of the directory. When skip_unchanged is true and path already holds exactly data, nothing is
 * written and 0 is returned; 1 is returned when the file was (re)written. */
_must_check_ int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
				   bool skip_unchanged);

/* Whether path holds exactly data (0 = differs or missing, 1 = same, < 0 = error). */
_must_check_ int file_content_equals(const char *path, const void *data, size_t len);

/* mkdir -p; existing directories are fine. */
_must_check_ int mkdir_parents(const char *path, mode_t mode);

/* Write all of data to fd, retrying on EINTR and short writes. */
_must_check_ int write_all(int fd, const void *data, size_t len);

#endif
