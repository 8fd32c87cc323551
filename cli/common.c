#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/errno-util.h"
#include "base/fileio.h"
#include "base/strutil.h"
#include "cli/common.h"
#include "models/project-ops.h"
#include "models/toml.h"

void cli_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("ERROR: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_validate_project(const char *dir, struct toml_doc **ret)
{
	struct pd_error e;
	int r = project_validate(dir, ret, &e);

	if (r < 0)
		cli_error("%s", e.text);
	return r;
}

int cli_package_name(const char *dir, struct toml_doc **ret_doc, char *buf, size_t size)
{
	struct pd_error e;
	int r = project_package_name(dir, ret_doc, buf, size, &e);

	if (r < 0)
		cli_error("%s", e.text);
	return r;
}

int cli_layout_flags(const char *layout, unsigned *ret)
{
	if (!layout || streq(layout, "file")) {
		*ret = 0;
		return 0;
	}
	if (streq(layout, "directory")) {
		*ret = RESOLVE_DIRECTORY_LAYOUT;
		return 0;
	}
	fprintf(stderr, "persist: error: --layout must be 'file' or 'directory', not '%s'\n",
		layout);
	return -EINVAL;
}

int cli_resolve_model(const char *dir, const char *model_arg, unsigned flags,
		      struct model_target *ret)
{
	struct pd_error e;
	int r = project_resolve(dir, model_arg, flags, ret, &e);

	if (r < 0)
		cli_error("%s", e.text);
	return r;
}
