/* Compare two toml-test JSON documents as toml-test does: same structure, same types, floats
 * compared by value (nan equals nan), date-times by the time they denote, everything else as
 * text. Exit 0 when equal, 1 with the first difference on standard output, 2 on errors. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/strutil.h"

static char where[4096];
static char why[8192];

_printf_(1, 2) static void differ(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

static bool is_scalar(json_t *o)
{
	return json_is_object(o) && json_object_size(o) == 2 &&
	       json_is_string(json_object_get(o, "type")) &&
	       json_is_string(json_object_get(o, "value"));
}

/* Date-times to comparable parts: local ones compare field by field, offset ones as instants. */
struct when {
	long long days_or_secs;
	long long nanos;
	char rest[64];
};

static int parse_num(const char *s, int n, long long *ret)
{
	long long v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

static long long days_from_civil(long long y, long long m, long long d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Seconds since the epoch (or since midnight for times) plus nanoseconds. */
static int parse_when(const char *s, long long *secs, long long *nanos)
{
	long long y = 1970, mo = 1, d = 1, h = 0, mi = 0, se = 0, off = 0;
	size_t i = 0, n = strlen(s);

	*nanos = 0;
	if (n >= 10 && s[4] == '-') {
		if (parse_num(s, 4, &y) || parse_num(s + 5, 2, &mo) || parse_num(s + 8, 2, &d))
			return -1;
		i = 10;
		if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' '))
			i++;
	}
	if (i < n) {
		if (n - i < 8 || parse_num(s + i, 2, &h) || parse_num(s + i + 3, 2, &mi) ||
		    parse_num(s + i + 6, 2, &se))
			return -1;
		i += 8;
		if (i < n && s[i] == '.') {
			int nd = 0;
			i++;
			while (i < n && s[i] >= '0' && s[i] <= '9') {
				if (nd < 9) {
					*nanos = *nanos * 10 + (s[i] - '0');
					nd++;
				}
				i++;
			}
			for (; nd < 9; nd++)
				*nanos *= 10;
		}
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			long long oh, om;
			if (n - i != 6 || parse_num(s + i + 1, 2, &oh) ||
			    parse_num(s + i + 4, 2, &om))
				return -1;
			off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
			i += 6;
		}
	}
	if (i != n)
		return -1;
	*secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	return 0;
}

static bool scalar_equal(json_t *want, json_t *have)
{
	const char *wt = json_string_value(json_object_get(want, "type"));
	const char *ht = json_string_value(json_object_get(have, "type"));
	const char *wv = json_string_value(json_object_get(want, "value"));
	const char *hv = json_string_value(json_object_get(have, "value"));

	if (!streq(wt, ht)) {
		differ("%s: type %s, want %s", where, ht, wt);
		return false;
	}
	if (streq(wt, "float")) {
		double a = strtod(wv, NULL), b = strtod(hv, NULL);
		if ((isnan(a) && isnan(b)) || a == b)
			return true;
	} else if (streq(wt, "datetime") || streq(wt, "datetime-local") ||
		   streq(wt, "date-local") || streq(wt, "time-local")) {
		long long s1, n1, s2, n2;
		if (parse_when(wv, &s1, &n1) == 0 && parse_when(hv, &s2, &n2) == 0 && s1 == s2 &&
		    n1 == n2)
			return true;
	} else if (json_string_length(json_object_get(want, "value")) ==
			   json_string_length(json_object_get(have, "value")) &&
		   memcmp(wv, hv, json_string_length(json_object_get(want, "value"))) == 0) {
		return true;
	}
	differ("%s: value '%s', want '%s'", where, hv, wv);
	return false;
}

static bool equal(json_t *want, json_t *have)
{
	size_t wl = strlen(where);

	if (is_scalar(want)) {
		if (!is_scalar(have)) {
			differ("%s: not a scalar value", where);
			return false;
		}
		return scalar_equal(want, have);
	}
	if (json_is_object(want)) {
		const char *k;
		json_t *v;

		if (!json_is_object(have) || is_scalar(have)) {
			differ("%s: not a table", where);
			return false;
		}
		if (json_object_size(want) != json_object_size(have)) {
			differ("%s: %zu keys, want %zu", where, json_object_size(have),
			       json_object_size(want));
			return false;
		}
		json_object_foreach(want, k, v) {
			json_t *h = json_object_get(have, k);
			(void)snprintf(where + wl, sizeof(where) - wl, ".%s", k);
			if (!h) {
				differ("%s: missing", where);
				return false;
			}
			if (!equal(v, h))
				return false;
			where[wl] = '\0';
		}
		return true;
	}
	if (json_is_array(want)) {
		size_t i;
		json_t *v;

		if (!json_is_array(have) || json_array_size(want) != json_array_size(have)) {
			differ("%s: not an array of %zu", where, json_array_size(want));
			return false;
		}
		json_array_foreach(want, i, v) {
			(void)snprintf(where + wl, sizeof(where) - wl, "[%zu]", i);
			if (!equal(v, json_array_get(have, i)))
				return false;
			where[wl] = '\0';
		}
		return true;
	}
	differ("%s: unexpected JSON in the expected document", where);
	return false;
}

/* jansson refuses NUL in object keys, and toml-test has such a key; map the escape to U+2400
 * (a visible NUL symbol) on both sides before loading. */
static json_t *load(const char *path, json_error_t *e)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, alloc = 0, n;
	json_t *j;

	if (!f) {
		(void)snprintf(e->text, sizeof(e->text), "cannot open");
		e->line = 0;
		return NULL;
	}
	for (;;) {
		if (alloc - len < 4096) {
			char *t = realloc(text, alloc + 65536);
			if (!t) {
				free(text);
				fclose(f);
				return NULL;
			}
			text = t;
			alloc += 65536;
		}
		n = fread(text + len, 1, alloc - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	for (size_t i = 0; i + 5 < len; i++) {
		if (text[i] != '\\')
			continue;
		if (memcmp(text + i + 1, "u0000", 5) == 0)
			memcpy(text + i + 1, "u2400", 5);
		i++;
	}
	j = json_loadb(text, len, 0, e);
	free(text);
	return j;
}

static int compare_files(const char *expected, const char *actual)
{
	json_error_t e;
	json_t *want, *have;
	bool eq;

	want = load(expected, &e);
	if (!want) {
		differ("%s:%d: %s", expected, e.line, e.text);
		return 2;
	}
	have = load(actual, &e);
	if (!have) {
		differ("%s:%d: %s", actual, e.line, e.text);
		json_decref(want);
		return 1;
	}
	(void)snprintf(where, sizeof(where), "$");
	eq = equal(want, have);
	json_decref(want);
	json_decref(have);
	return eq ? 0 : 1;
}

/* "json-compare EXPECTED ACTUAL", or "json-compare -" reading "EXPECTED ACTUAL" lines (paths
 * without spaces) and printing "FAIL ACTUAL: reason" for each pair that differs. */
int main(int argc, char **argv)
{
	char line[8192];
	int status = 0;

	if (argc == 3) {
		status = compare_files(argv[1], argv[2]);
		if (status)
			printf("%s\n", why);
		return status;
	}
	if (argc != 2 || !streq(argv[1], "-")) {
		fprintf(stderr, "usage: json-compare EXPECTED ACTUAL | json-compare -\n");
		return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char *sp = strchr(line, ' '), *nl = strchr(line, '\n');
		int r;

		if (nl)
			*nl = '\0';
		if (!sp)
			continue;
		*sp = '\0';
		r = compare_files(line, sp + 1);
		if (r)
			printf("FAIL %s: %s\n", sp + 1, why);
		if (r > status)
			status = r;
	}
	return status;
}
