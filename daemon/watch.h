/* inotify on a project: persist/, its model subdirectories, Ballerina.toml and Config.toml.
 * Events are collected into a pending change set and delivered once the files have been quiet
 * for the debounce interval, so an editor's save (write-temp-and-rename, delete-and-recreate,
 * vim's 4913 probe and swap files, ~ backups) ends in one delivery naming the final state. */
#ifndef DAEMON_WATCH_H
#define DAEMON_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/macro.h"
#include "base/time-util.h"

struct loop;
struct watch;

struct watch_changes {
	bool rescan; /* the queue overflowed or a watched directory came or went */
	bool ballerina_toml; /* Ballerina.toml changed */
	bool config_toml; /* Config.toml changed */
	char **models; /* names of models whose files changed (sorted, unique) */
	size_t n_models;
};

/* Called on the loop's thread with the changes of one quiet period. */
typedef void watch_fn(const struct watch_changes *changes, void *userdata);

_must_check_ int watch_new(const char *project_dir, usec_t debounce, watch_fn *fn, void *userdata,
			   struct watch **ret);
struct watch *watch_free(struct watch *w);
/* Register the inotify and debounce timer descriptors with the loop. */
_must_check_ int watch_attach(struct watch *w, struct loop *l);
void watch_set_debounce(struct watch *w, usec_t debounce);
/* Number of directories currently watched (for tests and metrics). */
size_t watch_count(const struct watch *w);

#endif
