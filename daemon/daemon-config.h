/* persistd's configuration: one table of known keys drives defaults, parsing, range checks
 * and reload. Values come from the config file (TOML), then the environment, then
 * command-line flags, later sources winning. */
#ifndef DAEMON_DAEMON_CONFIG_H
#define DAEMON_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/macro.h"

enum config_type {
	CONFIG_STRING,
	CONFIG_UINT, /* unsigned, decimal */
	CONFIG_SIZE, /* bytes; accepts K, M, G suffixes (powers of 1024) */
	CONFIG_MSEC, /* milliseconds; accepts ms, s, min suffixes */
	CONFIG_BOOL, /* true/false */
	CONFIG_LEVEL, /* log level name */
};

enum config_reload {
	CONFIG_RESTART, /* a change waits for a restart */
	CONFIG_RELOAD, /* SIGHUP applies a change */
};

struct config {
	char *project;
	char *listen;
	char *layout;
	int log_level;
	unsigned threads;
	size_t max_body_bytes;
	unsigned max_connections;
	size_t connection_memory_limit;
	uint64_t connection_timeout_ms;
	uint64_t shutdown_timeout_ms;
	uint64_t debounce_ms;
	size_t max_file_bytes;
	char *api_token;
	char *read_token;
	unsigned pool_min_size;
	unsigned pool_max_size;
	uint64_t pool_acquire_timeout_ms;
	uint64_t pool_connect_timeout_ms;
	uint64_t pool_idle_timeout_ms;
	uint64_t pool_max_lifetime_ms;
	uint64_t pool_io_timeout_ms;
	bool pool_trace;
	unsigned max_page_size;
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *default_value;
	enum config_reload reload;
	uint64_t min, max; /* range for numeric types (inclusive) */
	bool secret; /* never printed */
	const char *help;
};

const struct config_key *config_keys(size_t *ret_n);
const struct config_key *config_key_find(const char *name);

/* Fill cfg with every default. */
_must_check_ int config_init(struct config *cfg);
void config_release(struct config *cfg);
/* Parse value for key name and store it; -ENOENT unknown key, -EINVAL malformed,
 * -ERANGE out of range. */
_must_check_ int config_set(struct config *cfg, const char *name, const char *value);
/* Apply PERSISTD_<KEY> environment variables (dots become underscores, upper case). */
_must_check_ int config_apply_env(struct config *cfg, char *errbuf, size_t errsize);

/* Largest config file read. */
#define CONFIG_FILE_MAX_BYTES ((size_t)1 << 20)

/* Read a TOML config file into cfg, over the values it holds. Key names are the table's
 * dotted names: [http] listen = "..." or http.listen = "...". Numbers may be TOML integers or
 * strings with a unit suffix ("1M", "20ms"). An unknown key or a value of the wrong type is
 * -EINVAL, a value out of range -ERANGE, invalid TOML -EBADMSG, each with reterr naming the
 * key and its line. On failure cfg may hold part of the file: load into a fresh config. */
_must_check_ int config_load_file(struct config *cfg, const char *path, struct pd_error *reterr);
_must_check_ int config_load_toml(struct config *cfg, const char *text, size_t len,
				  const char *file, struct pd_error *reterr);

/* Whether key k has the same value in a and b. */
bool config_key_equal(const struct config *a, const struct config *b, const struct config_key *k);
/* After a reload built next: copy every changed CONFIG_RELOAD key into cur and log it; log
 * that each changed CONFIG_RESTART key waits for a restart (cur keeps its value). Returns the
 * number of keys applied. */
_must_check_ int config_apply_reload(struct config *cur, const struct config *next);

#endif
