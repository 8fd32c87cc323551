#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strutil.h"
#include "daemon/loop.h"
#include "daemon/watch.h"

#define DIR_MASK                                                                            \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY | \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define WATCH_NAME_MAX 256

enum watch_kind {
	WATCH_PROJECT, /* the project directory: Ballerina.toml, Config.toml, persist */
	WATCH_PERSIST, /* persist/: <name>.bal and <name>/ */
	WATCH_MODEL_DIR, /* persist/<name>/: model.bal */
};

struct watch_dir {
	int wd;
	enum watch_kind kind;
	char name[WATCH_NAME_MAX]; /* model name for WATCH_MODEL_DIR */
};

struct watch {
	char *project;
	int ifd, tfd;
	usec_t debounce;
	watch_fn *fn;
	void *userdata;

	struct watch_dir *dirs;
	size_t n_dirs, alloc_dirs;

	bool armed;
	struct watch_changes pending;
	size_t alloc_models;
};

static struct watch_dir *dir_by_wd(struct watch *w, int wd)
{
	for (size_t i = 0; i < w->n_dirs; i++)
		if (w->dirs[i].wd == wd)
			return &w->dirs[i];
	return NULL;
}

static void dir_forget(struct watch *w, int wd)
{
	for (size_t i = 0; i < w->n_dirs; i++)
		if (w->dirs[i].wd == wd) {
			w->dirs[i] = w->dirs[--w->n_dirs];
			return;
		}
}

static int dir_add(struct watch *w, const char *path, enum watch_kind kind, const char *name)
{
	struct watch_dir *d;
	int wd, r;

	wd = inotify_add_watch(w->ifd, path, DIR_MASK | IN_DONT_FOLLOW);

	if (wd < 0)
		return -errno;
	d = dir_by_wd(w, wd);
	if (!d) {
		r = GROW(w->dirs, w->alloc_dirs, w->n_dirs + 1);
		if (r < 0) {
			(void)inotify_rm_watch(w->ifd, wd);
			return r;
		}
		d = &w->dirs[w->n_dirs++];
	}
	d->wd = wd;
	d->kind = kind;
	if (snprintf_checked(d->name, sizeof(d->name), "%s", name ? name : "") < 0)
		d->name[0] = '\0'; /* longer than any file name: cannot happen */
	return 0;
}

static void pending_model(struct watch *w, const char *name, size_t len)
{
	char *copy;

	for (size_t i = 0; i < w->pending.n_models; i++)
		if (strlen(w->pending.models[i]) == len &&
		    memcmp(w->pending.models[i], name, len) == 0)
			return;
	if (GROW(w->pending.models, w->alloc_models, w->pending.n_models + 1) < 0 ||
	    !(copy = mem_strndup(name, len))) {
		/* Cannot remember which model: have everything re-read instead. */
		w->pending.rescan = true;
		return;
	}
	w->pending.models[w->pending.n_models++] = copy;
}

static void arm(struct watch *w)
{
	struct itimerspec its = { 0 };
	usec_t d = w->debounce ? w->debounce : 1;

	its.it_value.tv_sec = (time_t)(d / USEC_PER_SEC);
	its.it_value.tv_nsec = (long)(d % USEC_PER_SEC) * 1000;
	if (timerfd_settime(w->tfd, 0, &its, NULL) == 0)
		w->armed = true;
}

/* Watch persist/ and every persist/<name>/ that exists now. */
static void watch_persist_tree(struct watch *w)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *de;

	if (snprintf_checked(path, sizeof(path), "%s/persist", w->project) < 0)
		return;
	if (dir_add(w, path, WATCH_PERSIST, NULL) < 0)
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.' || streq(de->d_name, "migrations"))
			continue;
		if (snprintf_checked(sub, sizeof(sub), "%s/%s", path, de->d_name) < 0)
			continue;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			(void)dir_add(w, sub, WATCH_MODEL_DIR, de->d_name);
	}
	closedir(d);
}

/* Drop every watch but the project's and set them up again from what is on disk. */
static void resync(struct watch *w)
{
	for (size_t i = 0; i < w->n_dirs;) {
		if (w->dirs[i].kind == WATCH_PROJECT) {
			i++;
			continue;
		}
		(void)inotify_rm_watch(w->ifd, w->dirs[i].wd);
		w->dirs[i] = w->dirs[--w->n_dirs];
	}
	watch_persist_tree(w);
	w->pending.rescan = true;
}

static void handle_event(struct watch *w, const struct inotify_event *ev)
{
	struct watch_dir *d;
	const char *name = ev->len ? ev->name : "";
	size_t nlen = strlen(name);
	bool dir_appeared = (ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO));
	bool dir_gone = (ev->mask & IN_ISDIR) && (ev->mask & (IN_DELETE | IN_MOVED_FROM));

	if (ev->mask & IN_Q_OVERFLOW) {
		log_warning("inotify queue overflowed, rescanning the project");
		resync(w);
		return;
	}
	d = dir_by_wd(w, ev->wd);

	if (!d)
		return;
	if (ev->mask & IN_IGNORED) {
		bool persist = d->kind == WATCH_PERSIST;
		dir_forget(w, ev->wd);
		if (persist)
			w->pending.rescan = true;
		return;
	}
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* A moved directory keeps its watch; it no longer names the model. */
		if (ev->mask & IN_MOVE_SELF)
			(void)inotify_rm_watch(w->ifd, ev->wd);
		if (d->kind == WATCH_MODEL_DIR)
			pending_model(w, d->name, strlen(d->name));
		else
			w->pending.rescan = true;
		return;
	}

	switch (d->kind) {
	case WATCH_PROJECT:
		if (streq(name, "Ballerina.toml"))
			w->pending.ballerina_toml = true;
		else if (streq(name, "Config.toml"))
			w->pending.config_toml = true;
		else if (streq(name, "persist") && (dir_appeared || dir_gone))
			resync(w);
		break;
	case WATCH_PERSIST:
		if (name[0] == '.')
			break; /* editor swap and lock files */
		if (nlen > 4 && endswith(name, ".bal") && !(ev->mask & IN_ISDIR)) {
			pending_model(w, name, nlen - 4);
		} else if ((dir_appeared || dir_gone) && !streq(name, "migrations")) {
			if (dir_appeared) {
				char sub[PATH_MAX];
				if (snprintf_checked(sub, sizeof(sub), "%s/persist/%s", w->project,
						     name) == 0 &&
				    dir_add(w, sub, WATCH_MODEL_DIR, name) < 0)
					w->pending.rescan = true;
			}
			pending_model(w, name, nlen);
		}
		break;
	case WATCH_MODEL_DIR:
		if (streq(name, "model.bal"))
			pending_model(w, d->name, strlen(d->name));
		break;
	}
}

static int on_inotify(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct watch *w = userdata;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

	(void)l;
	(void)events;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break; /* EAGAIN: drained */
		}
		if (n == 0)
			break;
		for (size_t off = 0; off + sizeof(struct inotify_event) <= (size_t)n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
			size_t size = sizeof(struct inotify_event) + ev->len;
			if (off + size > (size_t)n)
				break; /* the kernel never splits events; be safe anyway */
			handle_event(w, ev);
			off += size;
		}
	}
	if (w->pending.rescan || w->pending.ballerina_toml || w->pending.config_toml ||
	    w->pending.n_models > 0)
		arm(w);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int on_timer(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct watch *w = userdata;
	uint64_t ticks;
	struct watch_changes c;

	(void)l;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return 0;
	w->armed = false;
	c = w->pending;
	w->pending = (struct watch_changes){ 0 };
	w->alloc_models = 0;
	if (c.n_models > 1)
		qsort(c.models, c.n_models, sizeof(char *), cmp_names);
	w->fn(&c, w->userdata);
	for (size_t i = 0; i < c.n_models; i++)
		mem_free(c.models[i]);
	mem_free(c.models);
	return 0;
}

int watch_new(const char *project_dir, usec_t debounce, watch_fn *fn, void *userdata,
	      struct watch **ret)
{
	struct watch *w = new0(struct watch, 1);
	int r;

	if (!w)
		return -ENOMEM;
	w->ifd = w->tfd = -1;
	w->debounce = debounce;
	w->fn = fn;
	w->userdata = userdata;
	w->project = mem_strdup(project_dir);
	if (!w->project) {
		r = -ENOMEM;
		goto fail;
	}
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->ifd < 0 || w->tfd < 0) {
		r = -errno;
		goto fail;
	}
	r = dir_add(w, project_dir, WATCH_PROJECT, NULL);
	if (r < 0)
		goto fail;
	watch_persist_tree(w);
	*ret = w;
	return 0;
fail:
	watch_free(w);
	return r;
}

struct watch *watch_free(struct watch *w)
{
	if (!w)
		return NULL;
	if (w->ifd >= 0)
		(void)close(w->ifd);
	if (w->tfd >= 0)
		(void)close(w->tfd);
	for (size_t i = 0; i < w->pending.n_models; i++)
		mem_free(w->pending.models[i]);
	mem_free(w->pending.models);
	mem_free(w->dirs);
	mem_free(w->project);
	mem_free(w);
	return NULL;
}

int watch_attach(struct watch *w, struct loop *l)
{
	int r = loop_add_fd(l, w->ifd, EPOLLIN, on_inotify, w);
	if (r < 0)
		return r;
	return loop_add_fd(l, w->tfd, EPOLLIN, on_timer, w);
}

void watch_set_debounce(struct watch *w, usec_t debounce)
{
	w->debounce = debounce;
}

size_t watch_count(const struct watch *w)
{
	return w->n_dirs;
}
