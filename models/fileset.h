/* A set of generated files, written together: every file goes to a temporary name beside its
 * target first, and only when all of them have been written and synced are they renamed into
 * place. A failure before the renames leaves every previous file untouched. Files whose bytes
 * are already on disk are not rewritten, so their mtime stays and file watchers and build
 * tools are not woken for nothing. Used by `persist generate`, `persist build` and the daemon's
 * regeneration. */
#ifndef MODELS_FILESET_H
#define MODELS_FILESET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/macro.h"

enum fileset_flags {
	/* Written only when the file does not exist yet; an existing one is kept as it is
	 * (persist_db_config.bal, codegen.md §1). */
	FILESET_KEEP_EXISTING = 1u << 0,
};

struct fileset_entry {
	char *path; /* relative to the root given to fileset_write(); never absolute, no ".." */
	char *data;
	size_t len;
	unsigned flags; /* enum fileset_flags */
	/* Results of fileset_write(): */
	bool changed; /* the file was created or its content replaced */
	bool kept; /* FILESET_KEEP_EXISTING and the file existed */
};

struct fileset {
	struct fileset_entry *items; /* in the order added */
	size_t n, alloc;
};

#define FILESET_INIT       \
	{                  \
		NULL, 0, 0 \
	}

#define FILESET_MAX_FILES 1024

void fileset_release(struct fileset *s);
static inline void fileset_releasep(struct fileset *s)
{
	fileset_release(s);
}
#define _cleanup_fileset_ _cleanup_(fileset_releasep)

/* Add a copy of data under path. A second entry for the same path replaces the first.
 * -EINVAL for an absolute path, an empty one or one with a ".." segment; -E2BIG beyond
 * FILESET_MAX_FILES. */
_must_check_ int fileset_add(struct fileset *s, const char *path, const void *data, size_t len,
			     unsigned flags);
/* As fileset_add, taking the content of b (b is left empty, also on failure). */
_must_check_ int fileset_add_buf(struct fileset *s, const char *path, struct buf *b,
				 unsigned flags);
const struct fileset_entry *fileset_find(const struct fileset *s, const char *path);

/* Finish the renames of writers below root that were killed among them (their journals; see
 * fileset.c), so their sets are complete. fileset_write() calls it first. Returns the number
 * of files put in place. */
_must_check_ int fileset_recover(const char *root);

/* Write every entry below root (created with its parents as needed). Returns the number of
 * files changed, or a negative errno; on failure *ret_failed (may be NULL) points at the path
 * that failed and nothing was renamed. Directories created on the way may stay behind. */
_must_check_ int fileset_write(struct fileset *s, const char *root, const char **ret_failed);

#endif
