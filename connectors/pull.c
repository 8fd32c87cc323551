#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/errno-util.h"
#include "base/fileio.h"
#include "base/macro.h"
#include "base/strutil.h"
#include "connectors/connector.h"
#include "connectors/pull.h"
#include "models/introspect.h"
#include "models/project-config.h"

/* A driver's text on one line: libpq ends lines with a line break and indents the next. */
static void one_line(char *s)
{
	size_t k = 0;

	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\n') {
			while (s[i + 1] == '\t' || s[i + 1] == ' ' || s[i + 1] == '\n')
				i++;
			if (s[i + 1])
				s[k++] = ' ';
			continue;
		}
		s[k++] = s[i];
	}
	s[k] = '\0';
}

int pull_read_catalog(const char *datastore, const struct connection_settings *cs, usec_t timeout,
		      struct db_catalog **ret, char *err, size_t err_size)
{
	const struct connector_ops *ops = connector_find(datastore);
	_cleanup_(conn_closep) struct conn *c = NULL;
	struct pd_error e = { 0 };
	char text[1024] = "", etext[128];
	void *cfg = NULL;
	int r;

	if (!ops || !connector_has(ops, CONN_CAP_INTROSPECT) || !ops->config_parse) {
		(void)snprintf(err, err_size,
			       "failed to connect to the database: this build of persist has no "
			       "%s client to read the database with",
			       datastore);
		return -EOPNOTSUPP;
	}
	r = ops->config_parse(cs, &cfg, &e);
	if (r < 0) {
		(void)snprintf(err, err_size, "failed to connect to the database: %s",
			       e.text[0] ? e.text : errno_text(r, etext, sizeof(etext)));
		return r;
	}
	r = conn_open(ops, cfg, timeout, &c, text, sizeof(text));
	if (r < 0) {
		one_line(text);
		(void)snprintf(err, err_size, "failed to connect to the database: %s",
			       text[0] ? text : errno_text(r, etext, sizeof(etext)));
		ops->config_free(cfg);
		return r;
	}
	r = conn_introspect(c, ret);
	if (r < 0) {
		(void)snprintf(text, sizeof(text), "%s", conn_last_error(c));
		one_line(text);
		(void)snprintf(err, err_size, "failed to read database schema: %s",
			       text[0] ? text : errno_text(r, etext, sizeof(etext)));
		if (r != -ENOMEM)
			r = r == -ECONNRESET || r == -ETIMEDOUT ? r : -EIO;
	}
	c = conn_close(c);
	ops->config_free(cfg);
	return r;
}

int pull_write_model(const char *project_dir, const char *model_path, const char *text, size_t len)
{
	char path[4096], dir[4096];
	const char *slash;
	int r;

	if (snprintf_checked(path, sizeof(path), "%s/%s", project_dir, model_path) < 0)
		return -ENAMETOOLONG;
	slash = strrchr(path, '/');
	(void)snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	r = mkdir_parents(dir, 0755);
	if (r < 0)
		return r;
	r = write_file_atomic(path, text, len, 0644, false);
	return r < 0 ? r : 0;
}
