#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/strutil.h"
#include "daemon/daemon-config.h"
#include "models/toml.h"

#define KEY(n, t, field, def, rel, lo, hi, sec, h)                             \
	{                                                                      \
		n, t, offsetof(struct config, field), def, rel, lo, hi, sec, h \
	}

static const struct config_key keys[] = {
	KEY("project", CONFIG_STRING, project, ".", CONFIG_RESTART, 0, 0, false,
	    "Ballerina project directory"),
	KEY("layout", CONFIG_STRING, layout, "file", CONFIG_RELOAD, 0, 0, false,
	    "model layout for new models: file or directory"),
	KEY("http.listen", CONFIG_STRING, listen, "127.0.0.1:7070", CONFIG_RESTART, 0, 0, false,
	    "address:port to listen on"),
	KEY("http.threads", CONFIG_UINT, threads, "4", CONFIG_RESTART, 1, 256, false,
	    "HTTP event loops, one thread each"),
	KEY("http.max_body_bytes", CONFIG_SIZE, max_body_bytes, "1M", CONFIG_RESTART, 1,
	    (uint64_t)1 << 30, false, "largest accepted request body"),
	KEY("http.max_connections", CONFIG_UINT, max_connections, "256", CONFIG_RESTART, 1, 65536,
	    false, "concurrent connections"),
	KEY("http.connection_memory_limit", CONFIG_SIZE, connection_memory_limit, "32K",
	    CONFIG_RESTART, 8192, (uint64_t)16 << 20, false, "memory per connection"),
	KEY("http.connection_timeout", CONFIG_MSEC, connection_timeout_ms, "60s", CONFIG_RESTART,
	    1000, 3600000, false, "idle connections are closed after this"),
	KEY("http.shutdown_timeout", CONFIG_MSEC, shutdown_timeout_ms, "10s", CONFIG_RELOAD, 0,
	    600000, false, "how long SIGTERM waits for in-flight requests"),
	KEY("http.api_token", CONFIG_STRING, api_token, NULL, CONFIG_RESTART, 0, 0, true,
	    "bearer token required on every route but /healthz"),
	KEY("http.read_token", CONFIG_STRING, read_token, NULL, CONFIG_RESTART, 0, 0, true,
	    "bearer token for GET and HEAD only"),
	KEY("log.level", CONFIG_LEVEL, log_level, "info", CONFIG_RELOAD, 0, 7, false,
	    "debug, info, notice, warning or error"),
	KEY("models.debounce", CONFIG_MSEC, debounce_ms, "20ms", CONFIG_RELOAD, 0, 10000, false,
	    "quiet time after a file event before reloading"),
	KEY("models.max_file_bytes", CONFIG_SIZE, max_file_bytes, "1M", CONFIG_RELOAD, 1024,
	    (uint64_t)64 << 20, false, "largest model file read"),
	KEY("pool.min_size", CONFIG_UINT, pool_min_size, "1", CONFIG_RELOAD, 0, 1000, false,
	    "connections each model's pool keeps open (and uses to notice a store coming back)"),
	KEY("pool.max_size", CONFIG_UINT, pool_max_size, "10", CONFIG_RELOAD, 1, 1000, false,
	    "most connections of one model's pool"),
	KEY("pool.acquire_timeout", CONFIG_MSEC, pool_acquire_timeout_ms, "5s", CONFIG_RELOAD, 0,
	    600000, false, "wait for a free connection before answering 503"),
	KEY("pool.connect_timeout", CONFIG_MSEC, pool_connect_timeout_ms, "5s", CONFIG_RELOAD, 100,
	    600000, false, "time a store has to accept a connection"),
	KEY("pool.idle_timeout", CONFIG_MSEC, pool_idle_timeout_ms, "10min", CONFIG_RELOAD, 1000,
	    86400000, false, "idle connections above min_size close after this"),
	KEY("pool.max_lifetime", CONFIG_MSEC, pool_max_lifetime_ms, "60min", CONFIG_RELOAD, 0,
	    604800000, false, "connections are replaced after this (0: never)"),
	KEY("pool.io_timeout", CONFIG_MSEC, pool_io_timeout_ms, "30s", CONFIG_RELOAD, 100, 600000,
	    false,
	    "a store that gives no answer this long (a pipelined read, a PostgreSQL statement) fails the request with 503"),
	KEY("pool.trace", CONFIG_BOOL, pool_trace, "false", CONFIG_RELOAD, 0, 0, false,
	    "log every store call at debug level"),
	KEY("records.max_page_size", CONFIG_UINT, max_page_size, "1000", CONFIG_RESTART, 1, 1000000,
	    false, "largest page of a data list (the query's limit; also the default)"),
};

const struct config_key *config_keys(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(keys);
	return keys;
}

const struct config_key *config_key_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (streq(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* Split "123M" into number and suffix; the suffix must be one of units (factor per unit). */
static int parse_scaled(const char *s, const char *const *units, const uint64_t *factors,
			size_t n_units, uint64_t *ret)
{
	char num[32];
	size_t i = 0;
	uint64_t v, f = 0;
	int r;

	while (s[i] >= '0' && s[i] <= '9' && i < sizeof(num) - 1) {
		num[i] = s[i];
		i++;
	}
	num[i] = '\0';
	if (i == 0)
		return -EINVAL;
	r = safe_atou64(num, &v);
	if (r < 0)
		return r;
	for (size_t u = 0; u < n_units; u++)
		if (strcasecmp(s + i, units[u]) == 0) {
			f = factors[u];
			break;
		}
	if (f == 0)
		return -EINVAL;
	if (v > UINT64_MAX / f)
		return -ERANGE;
	*ret = v * f;
	return 0;
}

static int parse_size(const char *s, uint64_t *ret)
{
	static const char *const units[] = { "", "B", "K", "KiB", "M", "MiB", "G", "GiB" };
	static const uint64_t f[] = { 1, 1, 1024, 1024, 1 << 20, 1 << 20, 1 << 30, 1 << 30 };
	return parse_scaled(s, units, f, ELEMENTSOF(units), ret);
}

static int parse_msec(const char *s, uint64_t *ret)
{
	static const char *const units[] = { "", "ms", "s", "min" };
	static const uint64_t f[] = { 1, 1, 1000, 60000 };
	return parse_scaled(s, units, f, ELEMENTSOF(units), ret);
}

static int key_set(struct config *cfg, const struct config_key *k, const char *value)
{
	char *base = (char *)cfg + k->offset;
	uint64_t v = 0;
	int r;

	switch (k->type) {
	case CONFIG_STRING: {
		char *copy = NULL;
		if (value) {
			copy = mem_strdup(value);
			if (!copy)
				return -ENOMEM;
		}
		mem_free(*(char **)base);
		*(char **)base = copy;
		return 0;
	}
	case CONFIG_BOOL:
		if (streq(value, "true"))
			*(bool *)base = true;
		else if (streq(value, "false"))
			*(bool *)base = false;
		else
			return -EINVAL;
		return 0;
	case CONFIG_LEVEL:
		r = log_level_from_string(value);
		if (r < 0)
			return r;
		*(int *)base = r;
		return 0;
	case CONFIG_UINT:
		r = safe_atou64(value, &v);
		break;
	case CONFIG_SIZE:
		r = parse_size(value, &v);
		break;
	case CONFIG_MSEC:
		r = parse_msec(value, &v);
		break;
	default:
		return -EINVAL;
	}
	if (r < 0)
		return r;
	if (v < k->min || v > k->max)
		return -ERANGE;
	if (k->type == CONFIG_UINT)
		*(unsigned *)base = (unsigned)v;
	else if (k->type == CONFIG_SIZE)
		*(size_t *)base = (size_t)v;
	else
		*(uint64_t *)base = v;
	return 0;
}

int config_set(struct config *cfg, const char *name, const char *value)
{
	const struct config_key *k = config_key_find(name);

	if (!k)
		return -ENOENT;
	if (!value && k->type != CONFIG_STRING)
		return -EINVAL;
	return key_set(cfg, k, value);
}

int config_init(struct config *cfg)
{
	int r;

	*cfg = (struct config){ 0 };
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		r = key_set(cfg, &keys[i], keys[i].default_value);
		if (r < 0) {
			config_release(cfg);
			return r;
		}
	}
	return 0;
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (keys[i].type == CONFIG_STRING) {
			char **p = (char **)((char *)cfg + keys[i].offset);
			mem_free(*p);
			*p = NULL;
		}
}

int config_apply_env(struct config *cfg, char *errbuf, size_t errsize)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		char var[96] = "PERSISTD_";
		size_t n = strlen(var);
		const char *v;
		int r;

		for (const char *c = keys[i].name; *c && n < sizeof(var) - 1; c++)
			var[n++] = *c == '.' ? '_' : (char)toupper((unsigned char)*c);
		var[n] = '\0';
		v = getenv(var);
		if (!v)
			continue;
		r = key_set(cfg, &keys[i], v);
		if (r < 0) {
			(void)snprintf(errbuf, errsize, "invalid value in $%s for '%s'", var,
				       keys[i].name);
			return r;
		}
	}
	return 0;
}

/* Bring a TOML value to the text form key_set() parses; NULL when the type does not fit. */
static const char *value_text(const struct config_key *k, const struct toml_value *v, char *buf,
			      size_t size)
{
	switch (k->type) {
	case CONFIG_STRING:
		if (v->type != TOML_STRING || strlen(v->u.str.ptr) != v->u.str.len)
			return NULL;
		return v->u.str.ptr;
	case CONFIG_BOOL:
		if (v->type != TOML_BOOL)
			return NULL;
		return v->u.boolean ? "true" : "false";
	case CONFIG_UINT:
	case CONFIG_SIZE:
	case CONFIG_MSEC:
	case CONFIG_LEVEL:
		if (v->type == TOML_STRING)
			return v->u.str.ptr;
		if (v->type != TOML_INTEGER)
			return NULL;
		(void)snprintf(buf, size, "%" PRId64, v->u.integer);
		return buf;
	}
	return NULL;
}

static const char *type_description(enum config_type type)
{
	switch (type) {
	case CONFIG_STRING:
		return "a string";
	case CONFIG_BOOL:
		return "true or false";
	case CONFIG_UINT:
		return "an integer";
	case CONFIG_SIZE:
		return "a size (an integer, or a string such as \"1M\")";
	case CONFIG_MSEC:
		return "a duration (milliseconds, or a string such as \"20ms\" or \"5s\")";
	case CONFIG_LEVEL:
		return "a log level";
	}
	return "a value";
}

static bool is_prefix_of_key(const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (strncmp(keys[i].name, prefix, n) == 0 && keys[i].name[n] == '.')
			return true;
	return false;
}

static int load_table(struct config *cfg, const struct toml_table *t, const char *prefix,
		      const char *file, struct pd_error *reterr)
{
	int r;

	for (size_t i = 0; i < t->n_items; i++) {
		const struct toml_keyval *kv = &t->items[i];
		const struct toml_span *at = &kv->key_span;
		const struct config_key *k;
		char name[256], num[32];
		const char *text;

		if ((size_t)snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "",
				     kv->key) >= sizeof(name) ||
		    strlen(kv->key) != kv->key_len) {
			pd_error_set(reterr, file, at->line, at->column, at->offset,
				     "unknown configuration key '%s'", kv->key);
			return -EINVAL;
		}
		k = config_key_find(name);
		if (!k && kv->value.type == TOML_TABLE) {
			if (!is_prefix_of_key(name)) {
				pd_error_set(reterr, file, at->line, at->column, at->offset,
					     "unknown configuration section '%s'", name);
				return -EINVAL;
			}
			r = load_table(cfg, kv->value.u.table, name, file, reterr);
			if (r < 0)
				return r;
			continue;
		}
		if (!k) {
			pd_error_set(reterr, file, at->line, at->column, at->offset,
				     "unknown configuration key '%s'", name);
			return -EINVAL;
		}
		at = &kv->value.span;
		text = value_text(k, &kv->value, num, sizeof(num));
		if (!text) {
			pd_error_set(reterr, file, at->line, at->column, at->offset,
				     "'%s' must be %s, not %s", name, type_description(k->type),
				     toml_type_name(kv->value.type));
			return -EINVAL;
		}
		r = key_set(cfg, k, text);
		if (r == -ERANGE) {
			pd_error_set(reterr, file, at->line, at->column, at->offset,
				     "'%s' is out of range (%" PRIu64 "..%" PRIu64 ")", name,
				     k->min, k->max);
			return r;
		}
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			pd_error_set(reterr, file, at->line, at->column, at->offset,
				     "invalid value '%s' for '%s', expected %s", text, name,
				     type_description(k->type));
			return -EINVAL;
		}
	}
	return 0;
}

int config_load_toml(struct config *cfg, const char *text, size_t len, const char *file,
		     struct pd_error *reterr)
{
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	int r;

	r = toml_parse(text, len, file, &doc, reterr);
	if (r < 0)
		return r;
	return load_table(cfg, doc->root, "", file, reterr);
}

int config_load_file(struct config *cfg, const char *path, struct pd_error *reterr)
{
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	int r;

	r = toml_parse_file(path, CONFIG_FILE_MAX_BYTES, &doc, reterr);
	if (r < 0)
		return r;
	return load_table(cfg, doc->root, "", path, reterr);
}

bool config_key_equal(const struct config *a, const struct config *b, const struct config_key *k)
{
	const char *pa = (const char *)a + k->offset, *pb = (const char *)b + k->offset;

	switch (k->type) {
	case CONFIG_STRING:
		return streq_ptr(*(char *const *)pa, *(char *const *)pb);
	case CONFIG_UINT:
		return *(const unsigned *)pa == *(const unsigned *)pb;
	case CONFIG_SIZE:
		return *(const size_t *)pa == *(const size_t *)pb;
	case CONFIG_MSEC:
		return *(const uint64_t *)pa == *(const uint64_t *)pb;
	case CONFIG_BOOL:
		return *(const bool *)pa == *(const bool *)pb;
	case CONFIG_LEVEL:
		return *(const int *)pa == *(const int *)pb;
	}
	return false;
}

static int copy_key(struct config *dst, const struct config *src, const struct config_key *k)
{
	char *pd = (char *)dst + k->offset;
	const char *ps = (const char *)src + k->offset;

	switch (k->type) {
	case CONFIG_STRING: {
		const char *s = *(char *const *)ps;
		char *copy = NULL;
		if (s) {
			copy = mem_strdup(s);
			if (!copy)
				return -ENOMEM;
		}
		mem_free(*(char **)pd);
		*(char **)pd = copy;
		return 0;
	}
	case CONFIG_UINT:
		*(unsigned *)pd = *(const unsigned *)ps;
		return 0;
	case CONFIG_SIZE:
		*(size_t *)pd = *(const size_t *)ps;
		return 0;
	case CONFIG_MSEC:
		*(uint64_t *)pd = *(const uint64_t *)ps;
		return 0;
	case CONFIG_BOOL:
		*(bool *)pd = *(const bool *)ps;
		return 0;
	case CONFIG_LEVEL:
		*(int *)pd = *(const int *)ps;
		return 0;
	}
	return -EINVAL;
}

int config_apply_reload(struct config *cur, const struct config *next)
{
	int applied = 0, r;

	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		const struct config_key *k = &keys[i];

		if (config_key_equal(cur, next, k))
			continue;
		if (k->reload == CONFIG_RESTART) {
			log_warning(
				"configuration key '%s' changed; the change waits for a restart",
				k->name);
			continue;
		}
		r = copy_key(cur, next, k);
		if (r < 0)
			return r;
		log_info("configuration key '%s' changed", k->name);
		applied++;
	}
	return applied;
}
