#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/strutil.h"
#include "cli/options.h"

static const struct cli_opt *find(const struct cli_opt *opts, size_t n, const char *name,
				  size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

int cli_parse_options(const char *command, int argc, char **argv, const struct cli_opt *opts,
		      size_t n_opts, struct cli_args *ret)
{
	struct cli_args a = { 0 };

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const struct cli_opt *o;
		const char *name, *eq;
		size_t len;

		if (streq(arg, "-h") || streq(arg, "--help")) {
			a.help = true;
			continue;
		}
		if (!startswith(arg, "--") || streq(arg, "--")) {
			if (streq(arg, "--")) {
				for (i++; i < argc; i++) {
					if (a.n_positional >= ELEMENTSOF(a.positional))
						goto too_many;
					a.positional[a.n_positional++] = argv[i];
				}
				break;
			}
			if (arg[0] == '-' && arg[1]) {
				fprintf(stderr, "persist: error: %s: unknown option '%s'\n",
					command, arg);
				return -EINVAL;
			}
			if (a.n_positional >= ELEMENTSOF(a.positional))
				goto too_many;
			a.positional[a.n_positional++] = argv[i];
			continue;
		}
		name = arg + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		o = find(opts, n_opts, name, len);
		if (!o) {
			fprintf(stderr, "persist: error: %s: unknown option '--%.*s'\n", command,
				(int)len, name);
			return -EINVAL;
		}
		if (o->given)
			*o->given = true;
		switch (o->kind) {
		case CLI_OPT_FLAG:
			if (eq) {
				fprintf(stderr,
					"persist: error: %s: option '--%s' takes no value\n",
					command, o->name);
				return -EINVAL;
			}
			break;
		case CLI_OPT_VALUE:
			if (eq)
				*o->value = eq + 1;
			else if (i + 1 < argc)
				*o->value = argv[++i];
			else {
				fprintf(stderr, "persist: error: %s: option '--%s' needs a value\n",
					command, o->name);
				return -EINVAL;
			}
			break;
		case CLI_OPT_OPTIONAL_VALUE:
			if (eq)
				*o->value = eq + 1;
			else if (i + 1 < argc && argv[i + 1][0] != '-')
				*o->value = argv[++i];
			else
				*o->value = "";
			break;
		}
	}
	*ret = a;
	return 0;
too_many:
	fprintf(stderr, "persist: error: %s: too many arguments\n", command);
	return -EINVAL;
}
