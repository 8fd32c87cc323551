#include "config.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "models/fileset.h"

void fileset_release(struct fileset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		mem_free(s->items[i].path);
		mem_free(s->items[i].data);
	}
	mem_free(s->items);
	s->items = NULL;
	s->n = s->alloc = 0;
}

static bool path_is_safe(const char *path)
{
	const char *p = path;

	if (!*path || *path == '/')
		return false;
	for (;;) {
		size_t seg = strcspn(p, "/");
		if (seg == 0 || (seg == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!p[seg])
			return true;
		p += seg + 1;
	}
}

const struct fileset_entry *fileset_find(const struct fileset *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (streq(s->items[i].path, path))
			return &s->items[i];
	return NULL;
}

/* Takes data (allocated with mem_alloc) also on failure. */
static int fileset_add_consume(struct fileset *s, const char *path, char *data, size_t len,
			       unsigned flags)
{
	struct fileset_entry *e = (struct fileset_entry *)fileset_find(s, path);
	char *p;

	if (!path_is_safe(path)) {
		mem_free(data);
		return -EINVAL;
	}
	if (e) {
		mem_free(e->data);
		e->data = data;
		e->len = len;
		e->flags = flags;
		return 0;
	}
	if (s->n >= FILESET_MAX_FILES) {
		mem_free(data);
		return -E2BIG;
	}
	p = mem_strdup(path);
	if (!p || GROW(s->items, s->alloc, s->n + 1) < 0) {
		mem_free(p);
		mem_free(data);
		return -ENOMEM;
	}
	s->items[s->n++] = (struct fileset_entry){
		.path = p,
		.data = data,
		.len = len,
		.flags = flags,
	};
	return 0;
}

int fileset_add(struct fileset *s, const char *path, const void *data, size_t len, unsigned flags)
{
	char *copy = mem_alloc(len + 1);

	if (!copy)
		return -ENOMEM;
	if (len > 0)
		memcpy(copy, data, len);
	copy[len] = '\0';
	return fileset_add_consume(s, path, copy, len, flags);
}

int fileset_add_buf(struct fileset *s, const char *path, struct buf *b, unsigned flags)
{
	size_t len = 0;
	char *data = buf_detach(b, &len);

	if (!data)
		return -ENOMEM;
	return fileset_add_consume(s, path, data, len, flags);
}

/* Write data to a fresh temporary file beside path; its name goes to tmp. */
static int write_temp(const char *path, const char *data, size_t len, char *tmp, size_t size)
{
	const char *slash = strrchr(path, '/');
	int fd, r;

	/* A hidden name in the same directory, so the rename stays on one file system and
	 * globs for *.bal never see a half-written file. */
	r = snprintf_checked(tmp, size, "%.*s.%s.tmp.XXXXXX", (int)(slash ? slash - path + 1 : 0),
			     path, slash ? slash + 1 : path);
	if (r < 0)
		return r;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (r >= 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r >= 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

static void fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd;

	if (!slash || snprintf_checked(dir, sizeof(dir), "%.*s", (int)(slash - path), path) < 0)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)fsync(fd);
	(void)close(fd);
}

/* ---- the rename journal ----------------------------------------------------------------------
 *
 * Renaming n files is n steps; a process killed between two of them would leave a mix of old
 * and new files. So before the first rename, the list of (temporary name, target) pairs goes to
 * a journal beside the set, written atomically: ".persist-fileset.<pid>.journal" in root, one
 * "<temp>\t<target>\n" line per file, both relative to root. The journal is removed after the
 * last rename. Whoever writes a set below root next (or calls fileset_recover()) finds the
 * journals of processes that are gone and finishes their renames, so the set on disk is always
 * all old or, once recovered, all new. */

#define JOURNAL_PREFIX ".persist-fileset."
#define JOURNAL_SUFFIX ".journal"

static bool journal_owner_alive(const char *name)
{
	const char *p = name + strlen(JOURNAL_PREFIX);
	char *end;
	long pid = strtol(p, &end, 10);

	/* "<pid>.journal", or "<pid>.journal.tmp.XXXXXX" while it was being written */
	if (end == p || !startswith(end, JOURNAL_SUFFIX) || pid <= 0)
		return false;
	if (pid == (long)getpid())
		return true; /* ours: another thread's set in progress (a failed one unlinks its
				own) */
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Finish the renames of one journal and remove it. */
static int journal_replay(const char *root, const char *journal_path)
{
	_cleanup_buf_ struct buf text = BUF_INIT(FILESET_MAX_FILES * 2 * PATH_MAX);
	int r, done = 0;

	r = read_file_capped(journal_path, text.max, &text);
	if (r < 0)
		return r;
	for (char *line = text.buf; line && *line;) {
		char *nl = strchr(line, '\n'), *tab;
		char from[PATH_MAX], to[PATH_MAX];

		if (nl)
			*nl = '\0';
		tab = strchr(line, '\t');
		if (tab) {
			*tab = '\0';
			/* a journal is ours, but never follow one out of root */
			if (path_is_safe(line) && path_is_safe(tab + 1) &&
			    snprintf_checked(from, sizeof(from), "%s/%s", root, line) >= 0 &&
			    snprintf_checked(to, sizeof(to), "%s/%s", root, tab + 1) >= 0 &&
			    rename(from, to) == 0) {
				fsync_dir_of(to);
				done++;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	if (unlink(journal_path) < 0 && errno != ENOENT)
		return -errno;
	return done;
}

static void closedirp(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

int fileset_recover(const char *root)
{
	_cleanup_(closedirp) DIR *d = opendir(root);
	struct dirent *de;
	int total = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		int r;

		if (!startswith(de->d_name, JOURNAL_PREFIX))
			continue;
		if (journal_owner_alive(de->d_name))
			continue;
		if (snprintf_checked(path, sizeof(path), "%s/%s", root, de->d_name) < 0)
			continue;
		if (!endswith(de->d_name, JOURNAL_SUFFIX)) {
			/* a journal its writer never finished: no rename had started */
			if (strstr(de->d_name, JOURNAL_SUFFIX ".tmp."))
				(void)unlink(path);
			continue;
		}
		r = journal_replay(root, path);
		if (r < 0)
			return r;
		total += r;
	}
	return total;
}

/* Write the journal of the pending renames (temps[i] → items[i].path) into path. */
static int journal_write(const struct fileset *s, const char *root, const char *temps,
			 const char *path)
{
	_cleanup_buf_ struct buf b = BUF_INIT(FILESET_MAX_FILES * 2 * PATH_MAX);
	size_t root_len = strlen(root);
	int r = 0;

	for (size_t i = 0; r >= 0 && i < s->n; i++) {
		const char *tmp = temps + i * PATH_MAX;
		if (!tmp[0])
			continue;
		/* temps are root + "/" + relative name */
		r = buf_addf(&b, "%s\t%s\n", tmp + root_len + 1, s->items[i].path);
	}
	if (r < 0)
		return r;
	return write_file_atomic(path, b.buf, b.len, 0644, true);
}

int fileset_write(struct fileset *s, const char *root, const char **ret_failed)
{
	char journal[PATH_MAX] = "";
	size_t pending = 0;
	_cleanup_free_ char *temps = NULL; /* s->n slots of PATH_MAX; "" = nothing to rename */
	const char *failed = NULL;
	char full[PATH_MAX];
	size_t done = 0;
	int r = 0, changed = 0;

	if (s->n == 0)
		return 0;
	/* an earlier writer killed among its renames: complete its set before starting ours */
	r = fileset_recover(root);
	if (r < 0)
		return r;
	r = 0;
	temps = mem_calloc(s->n, PATH_MAX);
	if (!temps)
		return -ENOMEM;

	for (size_t i = 0; i < s->n; i++) {
		struct fileset_entry *e = &s->items[i];
		char *tmp = temps + i * PATH_MAX;
		bool is_link = false;
		struct stat st;

		e->changed = e->kept = false;
		failed = e->path;
		r = snprintf_checked(full, sizeof(full), "%s/%s", root, e->path);
		if (r < 0)
			goto fail;
		{
			char dir[PATH_MAX];
			const char *slash = strrchr(full, '/');
			r = snprintf_checked(dir, sizeof(dir), "%.*s", (int)(slash - full), full);
			if (r < 0)
				goto fail;
			r = mkdir_parents(dir, 0755);
			if (r < 0)
				goto fail;
		}
		if (lstat(full, &st) == 0) {
			is_link = S_ISLNK(st.st_mode);
			if (S_ISDIR(st.st_mode)) {
				r = -EISDIR;
				goto fail;
			}
			if (e->flags & FILESET_KEEP_EXISTING) {
				e->kept = true;
				continue;
			}
		} else if (errno != ENOENT) {
			r = -errno;
			goto fail;
		}
		/* A symlink in place of a generated file is replaced, not followed. */
		if (is_link)
			r = 0;
		else
			r = file_content_equals(full, e->data, e->len);
		if (r < 0)
			goto fail;
		if (r > 0)
			continue;
		r = write_temp(full, e->data, e->len, tmp, PATH_MAX);
		if (r < 0) {
			tmp[0] = '\0';
			goto fail;
		}
		pending++;
	}

	/* Everything is on disk under temporary names. More than one rename to do: journal them
	 * first, so an interruption can be finished instead of leaving a mix. */
	if (pending > 1) {
		failed = NULL;
		r = snprintf_checked(journal, sizeof(journal),
				     "%s/" JOURNAL_PREFIX "%ld" JOURNAL_SUFFIX, root,
				     (long)getpid());
		if (r >= 0)
			r = journal_write(s, root, temps, journal);
		if (r < 0) {
			journal[0] = '\0';
			goto fail;
		}
	}
	for (; done < s->n; done++) {
		struct fileset_entry *e = &s->items[done];
		char *tmp = temps + done * PATH_MAX;

		if (!tmp[0])
			continue;
		failed = e->path;
		r = snprintf_checked(full, sizeof(full), "%s/%s", root, e->path);
		if (r >= 0 && rename(tmp, full) < 0)
			r = -errno;
		if (r < 0)
			goto fail;
		tmp[0] = '\0';
		e->changed = true;
		changed++;
		fsync_dir_of(full);
	}
	if (journal[0]) {
		(void)unlink(journal);
		fsync_dir_of(journal);
	}
	return changed;

fail:
	if (journal[0])
		(void)unlink(journal);
	for (size_t i = 0; i < s->n; i++) {
		char *tmp = temps + i * PATH_MAX;
		if (tmp[0])
			(void)unlink(tmp);
	}
	if (ret_failed)
		*ret_failed = failed;
	return r;
}
