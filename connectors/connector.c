/* The backend table, query building, and the value rules every backend shares: the stored
 * columns of an entity in upstream's metadata order, the canonical JSON encodings, upstream's
 * error texts, and the resolution of a struct query against an entity. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/strutil.h"
#include "connectors/connector.h"
#include "models/ast.h"
#include "models/datastore.h"
#include "models/gen.h"

const struct connector_ops *const connector_table[] = {
	&inmemory_ops,
	&googlesheets_ops,
#if ENABLE_POSTGRESQL
	&postgresql_ops,
#endif
#if ENABLE_MYSQL
	&mysql_ops,
#endif
#if ENABLE_REDIS
	&redis_ops,
#endif
	NULL,
};

const struct connector_ops *connector_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; connector_table[i]; i++)
		if (streq(connector_table[i]->name, name))
			return connector_table[i];
	return NULL;
}

int connector_global_init(void)
{
	for (size_t i = 0; connector_table[i]; i++) {
		int r;
		if (!connector_table[i]->global_init)
			continue;
		r = connector_table[i]->global_init();
		if (r < 0) {
			while (i-- > 0)
				if (connector_table[i]->global_cleanup)
					connector_table[i]->global_cleanup();
			return r;
		}
	}
	return 0;
}

void connector_global_cleanup(void)
{
	size_t n = 0;

	while (connector_table[n])
		n++;
	while (n-- > 0)
		if (connector_table[n]->global_cleanup)
			connector_table[n]->global_cleanup();
}

int conn_open(const struct connector_ops *ops, const void *cfg, usec_t timeout, struct conn **ret,
	      char *err, size_t err_size)
{
	struct conn *c;
	int r;

	assert(ops->conn_size >= sizeof(struct conn));
	c = mem_alloc0(ops->conn_size);
	if (!c)
		return -ENOMEM;
	c->ops = ops;
	list_init(&c->node);
	r = ops->connect(c, cfg, timeout);
	if (r < 0) {
		if (err)
			(void)snprintf(err, err_size, "%s", conn_last_error(c));
		mem_free(c);
		return r;
	}
	c->created = c->last_used = now_usec(CLOCK_MONOTONIC);
	*ret = c;
	return 0;
}

struct conn *conn_close(struct conn *c)
{
	if (!c)
		return NULL;
	if (c->ops->disconnect)
		c->ops->disconnect(c);
	mem_free(c);
	return NULL;
}

/* ---- struct query --------------------------------------------------------------------------- */

static const char *const query_op_names[_QUERY_OP_MAX] = {
	[QUERY_EQ] = "eq",	[QUERY_NEQ] = "neq",
	[QUERY_GT] = "gt",	[QUERY_GTE] = "gte",
	[QUERY_LT] = "lt",	[QUERY_LTE] = "lte",
	[QUERY_LIKE] = "like",	[QUERY_IN] = "in",
	[QUERY_IS_NULL] = "is", [QUERY_IS_NOT_NULL] = "is.not",
};

int query_op_from_string(const char *s, enum query_op *ret)
{
	for (size_t i = 0; i < _QUERY_OP_MAX; i++)
		if (streq(s, query_op_names[i])) {
			*ret = (enum query_op)i;
			return 0;
		}
	return -EINVAL;
}

const char *query_op_to_string(enum query_op op)
{
	return op < _QUERY_OP_MAX ? query_op_names[op] : NULL;
}

void query_init(struct query *q)
{
	*q = (struct query){ .limit = QUERY_NO_LIMIT };
}

static void strv_free_n(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mem_free(v[i]);
	mem_free(v);
}

void query_release(struct query *q)
{
	for (size_t i = 0; i < q->n_filters; i++) {
		mem_free(q->filters[i].field);
		strv_free_n(q->filters[i].values, q->filters[i].n_values);
	}
	mem_free(q->filters);
	for (size_t i = 0; i < q->n_order; i++)
		mem_free(q->order[i].field);
	mem_free(q->order);
	strv_free_n(q->fields, q->n_fields);
	strv_free_n(q->include, q->n_include);
	query_init(q);
}

int query_add_filter(struct query *q, const char *field, enum query_op op,
		     const char *const *values, size_t n_values)
{
	struct query_filter f = { .op = op, .n_values = 0 };

	if (op >= _QUERY_OP_MAX)
		return -EINVAL;
	if ((op == QUERY_IS_NULL || op == QUERY_IS_NOT_NULL) ? n_values != 0
	    : op == QUERY_IN				     ? n_values == 0
							     : n_values != 1)
		return -EINVAL;
	if (GROW(q->filters, q->alloc_filters, q->n_filters + 1) < 0)
		return -ENOMEM;
	f.field = mem_strdup(field);
	f.values = new0(char *, n_values + 1);
	if (!f.field || !f.values)
		goto oom;
	for (; f.n_values < n_values; f.n_values++) {
		f.values[f.n_values] = mem_strdup(values[f.n_values]);
		if (!f.values[f.n_values])
			goto oom;
	}
	q->filters[q->n_filters++] = f;
	return 0;
oom:
	mem_free(f.field);
	strv_free_n(f.values, f.n_values);
	return -ENOMEM;
}

/* Split "(a,b,\"c,d\")" into its items; quotes group, backslash escapes inside quotes. */
static int parse_in_list(const char *s, char ***ret, size_t *ret_n)
{
	size_t len = strlen(s), n = 0, alloc = 0;
	char **v = NULL;
	const char *p;
	int r = 0;

	if (len < 2 || s[0] != '(' || s[len - 1] != ')')
		return -EINVAL;
	p = s + 1;
	for (;;) {
		_cleanup_buf_ struct buf item = BUF_INIT(len + 1);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				r = buf_addc(&item, *p);
				if (r < 0)
					goto fail;
			}
			if (*p != '"') {
				r = -EINVAL;
				goto fail;
			}
			p++;
			if (*p != ',' && *p != ')') {
				r = -EINVAL;
				goto fail;
			}
		} else {
			for (; *p && *p != ',' && p < s + len - 1; p++) {
				r = buf_addc(&item, *p);
				if (r < 0)
					goto fail;
			}
		}
		if (GROW(v, alloc, n + 2) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		v[n] = buf_detach(&item, NULL);
		if (!v[n]) {
			r = -ENOMEM;
			goto fail;
		}
		n++;
		if (p >= s + len - 1)
			break;
		p++; /* the comma */
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	strv_free_n(v, n);
	return r;
}

int query_parse_filter(struct query *q, const char *field, const char *text)
{
	const char *dot = strchr(text, '.'), *rest;
	char opname[8];
	enum query_op op;
	int r;

	if (streq(text, "is.null"))
		return query_add_filter(q, field, QUERY_IS_NULL, NULL, 0);
	if (streq(text, "is.not_null") || streq(text, "not.is.null"))
		return query_add_filter(q, field, QUERY_IS_NOT_NULL, NULL, 0);
	if (!dot || (size_t)(dot - text) >= sizeof(opname))
		return -EINVAL;
	memcpy(opname, text, (size_t)(dot - text));
	opname[dot - text] = '\0';
	rest = dot + 1;
	r = query_op_from_string(opname, &op);
	if (r < 0 || op == QUERY_IS_NULL || op == QUERY_IS_NOT_NULL)
		return -EINVAL;
	if (op == QUERY_IN) {
		char **v = NULL;
		size_t n = 0;
		r = parse_in_list(rest, &v, &n);
		if (r < 0)
			return r;
		r = query_add_filter(q, field, op, (const char *const *)v, n);
		strv_free_n(v, n);
		return r;
	}
	return query_add_filter(q, field, op, &rest, 1);
}

int query_add_order(struct query *q, const char *field, bool desc)
{
	char *f;

	if (!*field)
		return -EINVAL;
	if (GROW(q->order, q->alloc_order, q->n_order + 1) < 0)
		return -ENOMEM;
	f = mem_strdup(field);
	if (!f)
		return -ENOMEM;
	q->order[q->n_order++] = (struct query_order){ .field = f, .desc = desc };
	return 0;
}

/* Call fn for each comma-separated item of text; empty items are -EINVAL. */
static int split_list(struct query *q, const char *text, int (*fn)(struct query *, const char *))
{
	const char *p = text;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		_cleanup_free_ char *item = NULL;
		int r;

		if (n == 0)
			return -EINVAL;
		item = mem_strndup(p, n);
		if (!item)
			return -ENOMEM;
		r = fn(q, item);
		if (r < 0)
			return r;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int add_order_item(struct query *q, const char *item)
{
	const char *dot = strrchr(item, '.');
	_cleanup_free_ char *field = NULL;

	if (dot && (streq(dot, ".asc") || streq(dot, ".desc"))) {
		field = mem_strndup(item, (size_t)(dot - item));
		if (!field)
			return -ENOMEM;
		return query_add_order(q, field, streq(dot, ".desc"));
	}
	return query_add_order(q, item, false);
}

int query_parse_order(struct query *q, const char *text)
{
	return split_list(q, text, add_order_item);
}

static int add_str(char ***v, size_t *n, size_t *alloc, const char *s)
{
	char *d;

	if (!*s)
		return -EINVAL;
	if (GROW(*v, *alloc, *n + 1) < 0)
		return -ENOMEM;
	d = mem_strdup(s);
	if (!d)
		return -ENOMEM;
	(*v)[(*n)++] = d;
	return 0;
}

int query_add_field(struct query *q, const char *field)
{
	return add_str(&q->fields, &q->n_fields, &q->alloc_fields, field);
}

int query_parse_fields(struct query *q, const char *text)
{
	return split_list(q, text, query_add_field);
}

int query_add_include(struct query *q, const char *relation)
{
	return add_str(&q->include, &q->n_include, &q->alloc_include, relation);
}

int query_parse_include(struct query *q, const char *text)
{
	return split_list(q, text, query_add_include);
}

/* ---- columns -------------------------------------------------------------------------------- */

static enum conn_type type_of(const struct field_type *t)
{
	const char *name = bare_identifier(t->name);

	if (t->array)
		return t->kind == FIELD_TYPE_BYTE ? CONN_TYPE_BYTES : CONN_TYPE_OTHER;
	switch (t->kind) {
	case FIELD_TYPE_INT:
	case FIELD_TYPE_BYTE:
		return CONN_TYPE_INT;
	case FIELD_TYPE_BOOLEAN:
		return CONN_TYPE_BOOLEAN;
	case FIELD_TYPE_DECIMAL:
		return CONN_TYPE_DECIMAL;
	case FIELD_TYPE_FLOAT:
		return CONN_TYPE_FLOAT;
	case FIELD_TYPE_STRING:
		return CONN_TYPE_STRING;
	case FIELD_TYPE_ENUM:
		return t->enum_type ? CONN_TYPE_ENUM : CONN_TYPE_STRING;
	case FIELD_TYPE_TIME:
		if (streq(name, "Date"))
			return CONN_TYPE_DATE;
		if (streq(name, "TimeOfDay"))
			return CONN_TYPE_TIME_OF_DAY;
		if (streq(name, "Civil"))
			return CONN_TYPE_CIVIL;
		if (streq(name, "Utc"))
			return CONN_TYPE_UTC;
		return CONN_TYPE_OTHER;
	default:
		return CONN_TYPE_OTHER;
	}
}

static bool is_relation_field(const struct field *f)
{
	return f->type.kind == FIELD_TYPE_ENTITY;
}

int conn_columns_get(const struct entity *e, struct conn_columns *ret)
{
	struct conn_columns cols = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		if (f->fk_of)
			continue;
		if (!is_relation_field(f))
			n++;
		else if (f->relation && f->relation_owner && f->relation->owner_field == f)
			n += f->relation->n_keys;
	}
	cols.v = new0(struct conn_column, n + 1);
	if (!cols.v)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		if (f->fk_of)
			continue;
		if (!is_relation_field(f)) {
			cols.v[cols.n++] = (struct conn_column){
				.name = f->bare_name,
				.column = field_column_name(f),
				.type = type_of(&f->type),
				.ftype = &f->type,
				.field = f,
				.key = f->readonly,
				.nullable = f->type.nillable || f->optional,
				.generated = f->generated && f->readonly,
			};
			continue;
		}
		if (!f->relation || !f->relation_owner || f->relation->owner_field != f)
			continue;
		for (size_t k = 0; k < f->relation->n_keys; k++) {
			const struct relation_key *rk = &f->relation->keys[k];
			const struct field *fkf = rk->fk_field;
			cols.v[cols.n++] = (struct conn_column){
				.name = fkf ? fkf->bare_name : rk->fk_name,
				.column = rk->fk_column,
				.type = type_of(&rk->ref_key->type),
				.ftype = &rk->ref_key->type,
				.field = fkf,
				.fk = rk,
				.key = fkf && fkf->readonly,
				.nullable = fkf ? fkf->type.nillable : f->type.nillable,
			};
		}
	}
	*ret = cols;
	return 0;
}

void conn_columns_release(struct conn_columns *cols)
{
	mem_free(cols->v);
	*cols = (struct conn_columns){ 0 };
}

const struct conn_column *conn_columns_find(const struct conn_columns *cols, const char *name)
{
	name = bare_identifier(name);
	for (size_t i = 0; i < cols->n; i++)
		if (streq(cols->v[i].name, name))
			return &cols->v[i];
	return NULL;
}

static ssize_t column_index(const struct conn_columns *cols, const char *name)
{
	const struct conn_column *c = conn_columns_find(cols, name);
	return c ? c - cols->v : -1;
}

/* ---- values --------------------------------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int conn_decimal_canonical(const char *s, char *out, size_t size)
{
	/* Digits with the position of the decimal point, then an exponent shift. */
	char digits[160];
	size_t nd = 0;
	long point = -1, exp = 0;
	bool neg = false, any = false;
	const char *p = s;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	for (; *p; p++) {
		if (is_digit(*p)) {
			if (nd >= sizeof(digits))
				return -EINVAL;
			digits[nd++] = *p;
			any = true;
		} else if (*p == '.' && point < 0) {
			point = (long)nd;
		} else {
			break;
		}
	}
	if (!any)
		return -EINVAL;
	if (point < 0)
		point = (long)nd;
	if (*p == 'e' || *p == 'E') {
		int64_t x;
		if (safe_atoi64(p[1] == '+' ? p + 2 : p + 1, &x) < 0 || x > 100 || x < -100)
			return -EINVAL;
		exp = (long)x;
		p += strlen(p);
	}
	if (*p)
		return -EINVAL;
	point += exp;
	{
		/* no allocation: the result is at most sign, 100 shifted zeros, the digits and a
		 * point */
		char b[2 * sizeof(digits) + 210];
		size_t o = 0;
		long i = 0, last;

		if (neg)
			b[o++] = '-';
		/* integer part: digit positions [0, point), leading zeros dropped */
		while (i < point && i < (long)nd && digits[i] == '0')
			i++;
		if (i >= point)
			b[o++] = '0';
		for (; i < point; i++)
			b[o++] = i < (long)nd ? digits[i] : '0';
		/* fraction: positions [point, last), trailing zeros dropped */
		last = (long)nd;
		while (last > point && digits[last - 1] == '0')
			last--;
		if (last > point)
			b[o++] = '.';
		for (i = point; i < last; i++)
			b[o++] = i >= 0 ? digits[i] : '0';
		b[o] = '\0';
		/* negative zero is zero */
		if (streq(b, "-0")) {
			memmove(b, b + 1, 2);
			o = 1;
		}
		if (o + 1 > size)
			return -EINVAL;
		memcpy(out, b, o + 1);
	}
	return 0;
}

static bool parse_2(const char *p, int *ret)
{
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return false;
	*ret = (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}

static bool is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(long y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* YYYY-MM-DD; returns the length consumed, 0 when malformed. */
static size_t parse_date(const char *s, long *y, int *m, int *d)
{
	if (!is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) || !is_digit(s[3]) ||
	    s[4] != '-' || !parse_2(s + 5, m) || s[7] != '-' || !parse_2(s + 8, d))
		return 0;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
		return 0;
	return 10;
}

/* HH:MM[:SS[.fraction]]; returns the length consumed, 0 when malformed. */
static size_t parse_time(const char *s, int *h, int *mi, int *sec, size_t *frac_start,
			 size_t *frac_len)
{
	size_t n = 5;

	*sec = 0;
	*frac_start = *frac_len = 0;
	if (!parse_2(s, h) || s[2] != ':' || !parse_2(s + 3, mi) || *h > 23 || *mi > 59)
		return 0;
	if (s[5] == ':') {
		if (!parse_2(s + 6, sec) || *sec > 60)
			return 0;
		n = 8;
		if (s[8] == '.') {
			*frac_start = 9;
			while (is_digit(s[9 + *frac_len]))
				(*frac_len)++;
			if (*frac_len == 0)
				return 0;
			n = 9 + *frac_len;
		}
	}
	return n;
}

static int64_t days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, long *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = (long)(z - era * 146097);
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (long)(yoe + era * 400) + (*m <= 2);
}

/* Time values in their canonical text, written to out. -EINVAL when malformed. */
static int time_canonical(enum conn_type t, const char *s, char *out, size_t size)
{
	long y = 0;
	int m = 0, d = 0, h = 0, mi = 0, sec = 0;
	size_t fs = 0, fl = 0, n = 0, tn;
	const char *tp;

	if (t == CONN_TYPE_DATE) {
		if (parse_date(s, &y, &m, &d) != 10 || s[10])
			return -EINVAL;
		return snprintf_checked(out, size, "%04ld-%02d-%02d", y, m, d) < 0 ? -EINVAL : 0;
	}
	if (t == CONN_TYPE_TIME_OF_DAY) {
		tn = parse_time(s, &h, &mi, &sec, &fs, &fl);
		if (!tn || s[tn])
			return -EINVAL;
		return snprintf_checked(out, size, "%02d:%02d:%02d%s%.*s", h, mi, sec,
					fl ? "." : "", (int)fl, s + fs) < 0
			       ? -EINVAL
			       : 0;
	}
	n = parse_date(s, &y, &m, &d);
	if (!n || (s[n] != 'T' && s[n] != 't' && s[n] != ' '))
		return -EINVAL;
	tp = s + n + 1;
	tn = parse_time(tp, &h, &mi, &sec, &fs, &fl);
	if (!tn)
		return -EINVAL;
	if (t == CONN_TYPE_CIVIL) {
		if (tp[tn])
			return -EINVAL;
	} else {
		const char *z = tp + tn;
		long off = 0;
		if ((z[0] == 'Z' || z[0] == 'z') && !z[1]) {
			off = 0;
		} else if ((z[0] == '+' || z[0] == '-') && parse_2(z + 1, &h) == true) {
			/* h is reused below; re-read the clock part after this. */
			int oh = 0, om = 0;
			if (!parse_2(z + 1, &oh) || z[3] != ':' || !parse_2(z + 4, &om) || z[6] ||
			    oh > 23 || om > 59)
				return -EINVAL;
			off = (oh * 60L + om) * (z[0] == '-' ? -1 : 1);
			(void)parse_time(tp, &h, &mi, &sec, &fs, &fl);
		} else {
			return -EINVAL;
		}
		if (off) {
			int64_t mins = days_from_civil(y, m, d) * 1440 + h * 60 + mi - off;
			int64_t day = mins >= 0 ? mins / 1440 : -((-mins + 1439) / 1440);
			long rem = (long)(mins - day * 1440);
			civil_from_days(day, &y, &m, &d);
			h = (int)(rem / 60);
			mi = (int)(rem % 60);
		}
		if (y < 0 || y > 9999)
			return -EINVAL;
		return snprintf_checked(out, size, "%04ld-%02d-%02dT%02d:%02d:%02d%s%.*sZ", y, m, d,
					h, mi, sec, fl ? "." : "", (int)fl, tp + fs) < 0
			       ? -EINVAL
			       : 0;
	}
	return snprintf_checked(out, size, "%04ld-%02d-%02dT%02d:%02d:%02d%s%.*s", y, m, d, h, mi,
				sec, fl ? "." : "", (int)fl, tp + fs) < 0
		       ? -EINVAL
		       : 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

int conn_base64_decode(const char *s, unsigned char **ret, size_t *ret_len)
{
	size_t len = strlen(s), o = 0;
	unsigned char *out;

	if (len % 4)
		return -EINVAL;
	out = mem_alloc(len / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		bool last = i + 4 == len;
		for (int k = 0; k < 4; k++) {
			v[k] = b64_value(s[i + k]);
			if (v[k] < 0 &&
			    !(last && k >= 2 && s[i + k] == '=' && (k == 3 || s[i + 3] == '='))) {
				mem_free(out);
				return -EINVAL;
			}
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (v[2] >= 0)
			out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (v[3] >= 0) {
			if (v[2] < 0) {
				mem_free(out);
				return -EINVAL;
			}
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
		}
	}
	*ret = out;
	*ret_len = o;
	return 0;
}

int conn_base64_encode(const unsigned char *p, size_t len, char **ret)
{
	char *out = mem_alloc((len + 2) / 3 * 4 + 1);
	size_t o = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	*ret = out;
	return 0;
}

/* The shortest %g text that reads back as the same double. */
static void format_double(double v, char *out, size_t size)
{
	for (int prec = 1; prec <= 17; prec++) {
		(void)snprintf(out, size, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

static const char *type_label(enum conn_type t)
{
	static const char *const labels[] = {
		[CONN_TYPE_INT] = "int",
		[CONN_TYPE_FLOAT] = "float",
		[CONN_TYPE_DECIMAL] = "decimal",
		[CONN_TYPE_BOOLEAN] = "boolean",
		[CONN_TYPE_STRING] = "string",
		[CONN_TYPE_ENUM] = "enum",
		[CONN_TYPE_BYTES] = "byte[] (base64)",
		[CONN_TYPE_DATE] = "time:Date (YYYY-MM-DD)",
		[CONN_TYPE_TIME_OF_DAY] = "time:TimeOfDay (HH:MM:SS)",
		[CONN_TYPE_CIVIL] = "time:Civil (YYYY-MM-DDTHH:MM:SS)",
		[CONN_TYPE_UTC] = "time:Utc (RFC 3339)",
		[CONN_TYPE_OTHER] = "json",
	};
	return labels[t];
}

int conn_value_normalize(const struct conn_column *col, const json_t *v, json_t **ret, char *err,
			 size_t err_size)
{
	char text[256];
	json_t *out = NULL;

	if (json_is_null(v)) {
		if (!col->nullable && col->type != CONN_TYPE_OTHER)
			goto bad;
		out = json_null();
		goto done;
	}
	switch (col->type) {
	case CONN_TYPE_INT:
		if (json_is_integer(v))
			out = json_integer(json_integer_value(v));
		else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
			 fabs(json_real_value(v)) < 9.007199254740992e15)
			out = json_integer((json_int_t)json_real_value(v));
		else
			goto bad;
		break;
	case CONN_TYPE_FLOAT:
		if (!json_is_number(v))
			goto bad;
		out = json_real(json_number_value(v));
		break;
	case CONN_TYPE_DECIMAL:
		if (json_is_integer(v))
			(void)snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT,
				       json_integer_value(v));
		else if (json_is_real(v))
			format_double(json_real_value(v), text, sizeof(text));
		else if (json_is_string(v) && json_string_length(v) < sizeof(text))
			memcpy(text, json_string_value(v), json_string_length(v) + 1);
		else
			goto bad;
		{
			char canon[256];
			if (conn_decimal_canonical(text, canon, sizeof(canon)) < 0)
				goto bad;
			out = json_string(canon);
		}
		break;
	case CONN_TYPE_BOOLEAN:
		if (!json_is_boolean(v))
			goto bad;
		out = json_boolean(json_is_true(v));
		break;
	case CONN_TYPE_STRING:
		if (!json_is_string(v))
			goto bad;
		out = json_stringn(json_string_value(v), json_string_length(v));
		break;
	case CONN_TYPE_ENUM: {
		const struct enum_type *et = col->ftype->enum_type;
		bool found = false;
		if (!json_is_string(v))
			goto bad;
		for (size_t i = 0; i < et->n_members && !found; i++)
			found = streq(et->members[i].value, json_string_value(v));
		if (!found) {
			if (err)
				(void)snprintf(err, err_size, "'%s' is not a value of enum '%s'",
					       json_string_value(v), et->bare_name);
			return -EINVAL;
		}
		out = json_string(json_string_value(v));
		break;
	}
	case CONN_TYPE_BYTES: {
		_cleanup_free_ unsigned char *bytes = NULL;
		size_t n;
		int r;
		if (!json_is_string(v))
			goto bad;
		r = conn_base64_decode(json_string_value(v), &bytes, &n);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			goto bad;
		out = json_string(json_string_value(v));
		break;
	}
	case CONN_TYPE_DATE:
	case CONN_TYPE_TIME_OF_DAY:
	case CONN_TYPE_CIVIL:
	case CONN_TYPE_UTC:
		if (!json_is_string(v) ||
		    time_canonical(col->type, json_string_value(v), text, sizeof(text)) < 0)
			goto bad;
		out = json_string(text);
		break;
	case CONN_TYPE_OTHER:
		out = json_deep_copy(v);
		break;
	}
done:
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
bad:
	if (err)
		(void)snprintf(err, err_size, "field '%s': expected %s%s", col->name,
			       type_label(col->type), col->nullable ? " or null" : "");
	return -EINVAL;
}

int conn_value_from_text(const struct conn_column *col, const char *text, json_t **ret, char *err,
			 size_t err_size)
{
	json_auto_t *v = NULL;

	switch (col->type) {
	case CONN_TYPE_INT: {
		int64_t x;
		if (safe_atoi64(text, &x) < 0)
			goto bad;
		v = json_integer(x);
		break;
	}
	case CONN_TYPE_FLOAT: {
		char *end;
		double d;
		errno = 0;
		d = strtod(text, &end);
		if (!*text || *end || errno)
			goto bad;
		v = json_real(d);
		break;
	}
	case CONN_TYPE_BOOLEAN:
		if (streq(text, "true"))
			v = json_true();
		else if (streq(text, "false"))
			v = json_false();
		else
			goto bad;
		break;
	case CONN_TYPE_OTHER: {
		json_error_t je;
		v = json_loads(text, JSON_DECODE_ANY, &je);
		if (!v)
			v = json_string(text);
		break;
	}
	default:
		v = json_string(text);
		break;
	}
	if (!v)
		return -ENOMEM;
	return conn_value_normalize(col, v, ret, err, err_size);
bad:
	if (err)
		(void)snprintf(err, err_size, "field '%s': '%s' is not a valid %s", col->name, text,
			       type_label(col->type));
	return -EINVAL;
}

static int check_object(const struct conn_columns *cols, const struct entity *e, const json_t *in,
			int mode, json_t **ret, char *err, size_t err_size)
{
	/* mode 0: insert record, 1: key, 2: patch */
	static const char *const what[] = { "record", "key", "update" };
	json_auto_t *out = json_object();
	const char *name;
	json_t *v;

	if (!out)
		return -ENOMEM;
	if (!json_is_object(in)) {
		if (err)
			(void)snprintf(err, err_size, "the %s for entity '%s' is not an object",
				       what[mode], e->bare_name);
		return -EINVAL;
	}
	json_object_foreach((json_t *)in, name, v) {
		const struct conn_column *c = conn_columns_find(cols, name);
		json_t *n = NULL;
		int r;
		if (!c || (mode == 1 && !c->key) || (mode == 2 && c->key)) {
			if (err) {
				if (c && mode == 2)
					(void)snprintf(
						err, err_size,
						"key field '%s' of entity '%s' cannot be updated",
						name, e->bare_name);
				else
					(void)snprintf(err, err_size,
						       "'%s' is not a %sfield of entity '%s'", name,
						       mode == 1 ? "key " : "", e->bare_name);
			}
			return -EINVAL;
		}
		r = conn_value_normalize(c, v, &n, err, err_size);
		if (r < 0)
			return r;
		if (json_object_set_new(out, c->name, n) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; mode != 2 && i < cols->n; i++) {
		const struct conn_column *c = &cols->v[i];
		if (json_object_get(out, c->name))
			continue;
		if (mode == 1 ? c->key
			      : (!c->nullable && !c->generated && c->type != CONN_TYPE_OTHER)) {
			if (err)
				(void)snprintf(err, err_size, "%s of entity '%s' lacks field '%s'",
					       mode == 1 ? "the key" : "the record", e->bare_name,
					       c->name);
			return -EINVAL;
		}
	}
	*ret = TAKE_PTR(out);
	return 0;
}

int conn_record_check(const struct conn_columns *cols, const struct entity *e, const json_t *rec,
		      json_t **ret, char *err, size_t err_size)
{
	return check_object(cols, e, rec, 0, ret, err, err_size);
}

int conn_key_check(const struct conn_columns *cols, const struct entity *e, const json_t *key,
		   json_t **ret, char *err, size_t err_size)
{
	return check_object(cols, e, key, 1, ret, err, err_size);
}

int conn_patch_check(const struct conn_columns *cols, const struct entity *e, const json_t *patch,
		     json_t **ret, char *err, size_t err_size)
{
	return check_object(cols, e, patch, 2, ret, err, err_size);
}

/* Ballerina's toString() of a float: Java's Double.toString for ordinary values. */
static void java_double(double v, char *out, size_t size)
{
	if (v == floor(v) && fabs(v) < 1e7)
		(void)snprintf(out, size, "%.1f", v);
	else
		format_double(v, out, size);
}

static int key_value_text(const json_t *v, bool in_map, struct buf *b)
{
	char num[64];

	if (json_is_integer(v))
		return buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_real(v)) {
		java_double(json_real_value(v), num, sizeof(num));
		return buf_adds(b, num);
	}
	if (json_is_boolean(v))
		return buf_adds(b, json_is_true(v) ? "true" : "false");
	if (json_is_string(v)) {
		_cleanup_free_ char *s = NULL;
		if (!in_map)
			return buf_add(b, json_string_value(v), json_string_length(v));
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		if (!s)
			return -ENOMEM;
		return buf_adds(b, s);
	}
	return buf_adds(b, "()");
}

int conn_key_text(const struct entity *e, const json_t *key, char *out, size_t size)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	int r = 0;

	if (e->n_keys == 1) {
		r = key_value_text(json_object_get(key, e->keys[0]->bare_name), false, &b);
	} else {
		r = buf_addc(&b, '{');
		for (size_t i = 0; r >= 0 && i < e->n_keys; i++) {
			const json_t *v = json_object_get(key, e->keys[i]->bare_name);
			r = buf_addf(&b, "%s\"%s\":", i ? "," : "", e->keys[i]->bare_name);
			/* decimals are bare numbers in upstream's map form */
			if (r >= 0 && json_is_string(v) &&
			    e->keys[i]->type.kind == FIELD_TYPE_DECIMAL)
				r = buf_adds(&b, json_string_value(v));
			else if (r >= 0)
				r = key_value_text(v, true, &b);
		}
		if (r >= 0)
			r = buf_addc(&b, '}');
	}
	if (r < 0)
		return r;
	(void)snprintf(out, size, "%s", b.buf);
	return 0;
}

void conn_not_found_text(const struct entity *e, const json_t *key, char *out, size_t size)
{
	char k[512] = "";

	(void)conn_key_text(e, key, k, sizeof(k));
	(void)snprintf(out, size, "A record with the key '%s' does not exist for the entity '%s'.",
		       k, e->bare_name);
}

void conn_exists_text(const struct entity *e, const char *k, char *out, size_t size)
{
	(void)snprintf(out, size, "A record with the key '%s' already exists for the entity '%s'.",
		       k, e->bare_name);
}

/* ---- comparisons ---------------------------------------------------------------------------- */

static int decimal_compare(const char *a, const char *b)
{
	bool na = *a == '-', nb = *b == '-';
	const char *pa = a + na, *pb = b + nb, *da, *db;
	size_t ia, ib;
	int c;

	if (na != nb)
		return na ? -1 : 1;
	da = strchr(pa, '.');
	db = strchr(pb, '.');
	ia = da ? (size_t)(da - pa) : strlen(pa);
	ib = db ? (size_t)(db - pb) : strlen(pb);
	if (ia != ib) {
		c = ia < ib ? -1 : 1;
	} else {
		c = strncmp(pa, pb, ia);
		if (c == 0) {
			const char *fa = da ? da + 1 : "", *fb = db ? db + 1 : "";
			while (*fa || *fb) {
				char x = *fa ? *fa++ : '0', y = *fb ? *fb++ : '0';
				if (x != y) {
					c = x < y ? -1 : 1;
					break;
				}
			}
		}
	}
	c = c < 0 ? -1 : c > 0;
	return na ? -c : c;
}

int conn_value_compare(enum conn_type t, const json_t *a, const json_t *b)
{
	if (json_is_null(a) || !a)
		return json_is_null(b) || !b ? 0 : -1;
	if (json_is_null(b) || !b)
		return 1;
	switch (t) {
	case CONN_TYPE_INT:
	case CONN_TYPE_FLOAT:
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) < json_integer_value(b)   ? -1
			       : json_integer_value(a) > json_integer_value(b) ? 1
									       : 0;
		return json_number_value(a) < json_number_value(b)   ? -1
		       : json_number_value(a) > json_number_value(b) ? 1
								     : 0;
	case CONN_TYPE_DECIMAL:
		return decimal_compare(json_string_value(a), json_string_value(b));
	case CONN_TYPE_BOOLEAN:
		return (int)json_is_true(a) - (int)json_is_true(b);
	case CONN_TYPE_UTC: {
		/* the Z must not sort after a fraction */
		size_t la = json_string_length(a), lb = json_string_length(b);
		int c = strncmp(json_string_value(a), json_string_value(b),
				MIN(la, lb) > 0 ? MIN(la, lb) - 1 : 0);
		if (c)
			return c < 0 ? -1 : 1;
		return la < lb ? -1 : la > lb;
	}
	case CONN_TYPE_OTHER:
		if (json_is_string(a) && json_is_string(b))
			break;
		if (json_is_number(a) && json_is_number(b))
			return conn_value_compare(CONN_TYPE_FLOAT, a, b);
		return json_equal((json_t *)a, (json_t *)b) ? 0 : 1;
	default:
		break;
	}
	if (!json_is_string(a) || !json_is_string(b))
		return json_equal((json_t *)a, (json_t *)b) ? 0 : 1;
	{
		int c = strcmp(json_string_value(a), json_string_value(b));
		return c < 0 ? -1 : c > 0;
	}
}

/* SQL LIKE: % any run, _ one byte. */
static bool like_match(const char *s, const char *p)
{
	const char *star_p = NULL, *star_s = NULL;

	while (*s) {
		if (*p == '%') {
			star_p = ++p;
			star_s = s;
		} else if (*p == '_' || *p == *s) {
			p++;
			s++;
		} else if (star_p) {
			p = star_p;
			s = ++star_s;
		} else {
			return false;
		}
	}
	while (*p == '%')
		p++;
	return !*p;
}

bool query_plan_match(const struct query_plan *p, const json_t *rec)
{
	for (size_t i = 0; i < p->n_filters; i++) {
		const struct query_plan_filter *f = &p->filters[i];
		const struct conn_column *c = &p->cols.v[f->col];
		const json_t *v = json_object_get(rec, c->name);
		const json_t *x = json_array_get(f->values, 0);
		bool ok = false;
		int cmp;

		if (!v)
			v = json_null();
		switch (f->op) {
		case QUERY_IS_NULL:
			ok = json_is_null(v);
			break;
		case QUERY_IS_NOT_NULL:
			ok = !json_is_null(v);
			break;
		case QUERY_IN:
			for (size_t k = 0; !ok && k < json_array_size(f->values); k++)
				ok = !json_is_null(v) &&
				     conn_value_compare(c->type, v, json_array_get(f->values, k)) ==
					     0;
			break;
		case QUERY_LIKE:
			ok = json_is_string(v) && json_is_string(x) &&
			     like_match(json_string_value(v), json_string_value(x));
			break;
		default:
			if (json_is_null(v) || json_is_null(x))
				break; /* SQL: a comparison with NULL is never true */
			cmp = conn_value_compare(c->type, v, x);
			ok = f->op == QUERY_EQ	  ? cmp == 0
			     : f->op == QUERY_NEQ ? cmp != 0
			     : f->op == QUERY_GT  ? cmp > 0
			     : f->op == QUERY_GTE ? cmp >= 0
			     : f->op == QUERY_LT  ? cmp < 0
						  : cmp <= 0;
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* ---- query plans ---------------------------------------------------------------------------- */

void query_plan_release(struct query_plan *p)
{
	for (size_t i = 0; i < p->n_filters; i++)
		json_decref(p->filters[i].values);
	mem_free(p->filters);
	for (size_t i = 0; i < p->n_rels; i++) {
		conn_columns_release(&p->rels[i].cols);
		mem_free(p->rels[i].want);
		mem_free(p->rels[i].own_col);
		mem_free(p->rels[i].target_col);
	}
	mem_free(p->rels);
	mem_free(p->want);
	mem_free(p->fetch);
	mem_free(p->order_col);
	mem_free(p->order_desc);
	conn_columns_release(&p->cols);
	*p = (struct query_plan){ 0 };
}

static const struct field *relation_field(const struct entity *e, const char *name)
{
	const struct field *f = entity_find_field(e, name);
	return f && is_relation_field(f) && f->relation && f->type.entity ? f : NULL;
}

/* The plan's entry for relation field f, added when missing. */
static int plan_rel(struct query_plan *p, const struct field *f, struct query_plan_rel **ret)
{
	const struct relation *rel = f->relation;
	struct query_plan_rel *pr;
	bool owner = rel->owner_field == f;
	int r;

	for (size_t i = 0; i < p->n_rels; i++)
		if (p->rels[i].field == f) {
			*ret = &p->rels[i];
			return 0;
		}
	pr = &p->rels[p->n_rels];
	*pr = (struct query_plan_rel){
		.field = f,
		.name = f->bare_name,
		.target = f->type.entity,
		.array = f->type.array,
	};
	r = conn_columns_get(pr->target, &pr->cols);
	if (r < 0)
		return r;
	p->n_rels++;
	pr->want = new0(bool, pr->cols.n + 1);
	pr->own_col = new0(size_t, rel->n_keys + 1);
	pr->target_col = new0(size_t, rel->n_keys + 1);
	if (!pr->want || !pr->own_col || !pr->target_col)
		return -ENOMEM;
	for (size_t k = 0; k < rel->n_keys; k++) {
		const struct relation_key *rk = &rel->keys[k];
		const struct conn_columns *oc = owner ? &p->cols : &pr->cols;
		const struct conn_columns *kc = owner ? &pr->cols : &p->cols;
		ssize_t fk = -1, key = -1;
		for (size_t i = 0; i < oc->n; i++)
			if (oc->v[i].fk == rk)
				fk = (ssize_t)i;
		key = column_index(kc, rk->ref_key->bare_name);
		if (fk < 0 || key < 0)
			return -EINVAL;
		pr->own_col[k] = (size_t)(owner ? fk : key);
		pr->target_col[k] = (size_t)(owner ? key : fk);
		p->fetch[pr->own_col[k]] = true;
	}
	pr->n_join = rel->n_keys;
	*ret = pr;
	return 0;
}

int query_plan_build(const struct entity *e, const struct query *q, struct query_plan *ret,
		     char *err, size_t err_size)
{
	_cleanup_(query_plan_release) struct query_plan p = { .e = e };
	bool own_named = false;
	size_t max_rels;
	int r;

	r = conn_columns_get(e, &p.cols);
	if (r < 0)
		return r;
	p.limit = q ? q->limit : QUERY_NO_LIMIT;
	p.offset = q ? q->offset : 0;
	p.want = new0(bool, p.cols.n + 1);
	p.fetch = new0(bool, p.cols.n + 1);
	max_rels = q ? q->n_fields + q->n_include : 0;
	p.rels = new0(struct query_plan_rel, max_rels + 1);
	if (!p.want || !p.fetch || !p.rels)
		return -ENOMEM;

	for (size_t i = 0; q && i < q->n_fields; i++) {
		const char *name = q->fields[i], *dot = strchr(name, '.');
		_cleanup_free_ char *relname = NULL;
		const struct field *rf;
		struct query_plan_rel *pr;
		ssize_t k;

		if (!dot) {
			k = column_index(&p.cols, name);
			if (k < 0)
				goto unknown_field;
			p.want[k] = true;
			own_named = true;
			continue;
		}
		relname = mem_strndup(name, (size_t)(dot - name));
		if (!relname)
			return -ENOMEM;
		if (endswith(relname, "[]"))
			relname[strlen(relname) - 2] = '\0';
		rf = relation_field(e, relname);
		if (!rf)
			goto unknown_field;
		r = plan_rel(&p, rf, &pr);
		if (r < 0)
			return r;
		k = column_index(&pr->cols, dot + 1);
		if (k < 0)
			goto unknown_field;
		pr->want[k] = true;
		continue;
unknown_field:
		if (err)
			(void)snprintf(err, err_size, "'%s' is not a field of entity '%s'", name,
				       e->bare_name);
		return -EINVAL;
	}
	for (size_t i = 0; q && i < q->n_include; i++) {
		const struct field *rf = relation_field(e, q->include[i]);
		struct query_plan_rel *pr;
		if (!rf) {
			if (err)
				(void)snprintf(err, err_size,
					       "'%s' is not a relation of entity '%s'",
					       q->include[i], e->bare_name);
			return -EINVAL;
		}
		r = plan_rel(&p, rf, &pr);
		if (r < 0)
			return r;
		for (size_t k = 0; k < pr->cols.n; k++)
			pr->want[k] = true;
	}
	for (size_t i = 0; i < p.cols.n; i++) {
		if (!own_named)
			p.want[i] = true;
		if (p.want[i] || p.cols.v[i].key)
			p.fetch[i] = true;
	}

	if (q && q->n_filters) {
		p.filters = new0(struct query_plan_filter, q->n_filters);
		if (!p.filters)
			return -ENOMEM;
	}
	for (size_t i = 0; q && i < q->n_filters; i++) {
		const struct query_filter *f = &q->filters[i];
		ssize_t k = column_index(&p.cols, f->field);
		struct query_plan_filter *pf = &p.filters[p.n_filters];
		if (k < 0) {
			if (err)
				(void)snprintf(err, err_size, "'%s' is not a field of entity '%s'",
					       f->field, e->bare_name);
			return -EINVAL;
		}
		pf->col = (size_t)k;
		pf->op = f->op;
		pf->values = json_array();
		if (!pf->values)
			return -ENOMEM;
		p.n_filters++;
		for (size_t v = 0; v < f->n_values; v++) {
			json_t *x = NULL;
			if (f->op == QUERY_LIKE) {
				if (p.cols.v[k].type == CONN_TYPE_INT ||
				    p.cols.v[k].type == CONN_TYPE_FLOAT ||
				    p.cols.v[k].type == CONN_TYPE_BOOLEAN ||
				    p.cols.v[k].type == CONN_TYPE_BYTES) {
					if (err)
						(void)snprintf(
							err, err_size,
							"field '%s': like needs a text field",
							f->field);
					return -EINVAL;
				}
				x = json_string(f->values[v]);
				r = x ? 0 : -ENOMEM;
			} else {
				r = conn_value_from_text(&p.cols.v[k], f->values[v], &x, err,
							 err_size);
			}
			if (r < 0)
				return r;
			if (json_array_append_new(pf->values, x) < 0)
				return -ENOMEM;
		}
	}
	if (q && q->n_order) {
		p.order_col = new0(size_t, q->n_order);
		p.order_desc = new0(bool, q->n_order);
		if (!p.order_col || !p.order_desc)
			return -ENOMEM;
	}
	for (size_t i = 0; q && i < q->n_order; i++) {
		ssize_t k = column_index(&p.cols, q->order[i].field);
		if (k < 0) {
			if (err)
				(void)snprintf(err, err_size, "'%s' is not a field of entity '%s'",
					       q->order[i].field, e->bare_name);
			return -EINVAL;
		}
		p.order_col[p.n_order] = (size_t)k;
		p.order_desc[p.n_order++] = q->order[i].desc;
	}
	*ret = p;
	p = (struct query_plan){ 0 };
	return 0;
}

/* A canonical value as filter text, so it reads back to the same value. */
static int value_text(const json_t *v, char **ret)
{
	char num[64];
	const char *s;

	if (json_is_integer(v)) {
		(void)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = num;
	} else if (json_is_real(v)) {
		format_double(json_real_value(v), num, sizeof(num));
		s = num;
	} else if (json_is_boolean(v)) {
		s = json_is_true(v) ? "true" : "false";
	} else if (json_is_string(v)) {
		s = json_string_value(v);
	} else {
		return -EINVAL;
	}
	*ret = mem_strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int load_relation(struct conn *c, const struct query_plan *p,
			 const struct query_plan_rel *pr, json_t *row)
{
	_cleanup_(query_releasep) struct query sub;
	json_auto_t *rows = NULL;
	bool any = false;
	int r;

	query_init(&sub);
	for (size_t k = 0; k < pr->n_join; k++) {
		const json_t *v = json_object_get(row, p->cols.v[pr->own_col[k]].name);
		_cleanup_free_ char *text = NULL;
		if (!v || json_is_null(v))
			return json_object_set_new(row, pr->name,
						   pr->array ? json_array() : json_null()) < 0
				       ? -ENOMEM
				       : 0;
		r = value_text(v, &text);
		if (r < 0)
			return r;
		r = query_add_filter(&sub, pr->cols.v[pr->target_col[k]].name, QUERY_EQ,
				     (const char *const *)&text, 1);
		if (r < 0)
			return r;
	}
	for (size_t k = 0; k < pr->cols.n; k++) {
		if (!pr->want[k])
			continue;
		any = true;
		r = query_add_field(&sub, pr->cols.v[k].name);
		if (r < 0)
			return r;
	}
	if (!any)
		return 0;
	if (!pr->array)
		sub.limit = 1;
	r = c->ops->query(c, pr->target, &sub, &rows);
	if (r < 0)
		return r;
	if (pr->array)
		return json_object_set(row, pr->name, rows) < 0 ? -ENOMEM : 0;
	return json_object_set(row, pr->name,
			       json_array_size(rows) ? json_array_get(rows, 0) : json_null()) < 0
		       ? -ENOMEM
		       : 0;
}

/* Parent values per IN (...) query of a batched relation load. */
#define RELATION_BATCH 500

/* A relation joined on one column, for every row at once: one query per RELATION_BATCH distinct
 * values instead of one per row. */
static int load_relation_batched(struct conn *c, const struct query_plan *p,
				 const struct query_plan_rel *pr, json_t *rows)
{
	const struct conn_column *own = &p->cols.v[pr->own_col[0]];
	const struct conn_column *target = &pr->cols.v[pr->target_col[0]];
	json_auto_t *values = json_array(), *seen = json_object(), *found = json_object();
	size_t i;
	json_t *row;
	bool any = false;
	int r;

	if (!values || !seen || !found)
		return -ENOMEM;
	for (size_t k = 0; k < pr->cols.n; k++)
		any = any || pr->want[k];
	if (!any)
		return 0;
	/* the distinct parent values, as filter text */
	json_array_foreach(rows, i, row) {
		const json_t *v = json_object_get(row, own->name);
		_cleanup_free_ char *text = NULL;
		if (!v || json_is_null(v))
			continue;
		r = value_text(v, &text);
		if (r < 0)
			return r;
		if (json_object_get(seen, text))
			continue;
		if (json_object_set_new(seen, text, json_true()) < 0 ||
		    json_array_append_new(values, json_string(text)) < 0)
			return -ENOMEM;
	}
	for (size_t start = 0; start < json_array_size(values); start += RELATION_BATCH) {
		_cleanup_(query_releasep) struct query sub;
		_cleanup_free_ const char **texts = NULL;
		size_t n = MIN(RELATION_BATCH, json_array_size(values) - start);
		json_auto_t *got = NULL;
		json_t *child;

		query_init(&sub);
		texts = new0(const char *, n + 1);
		if (!texts)
			return -ENOMEM;
		for (size_t k = 0; k < n; k++)
			texts[k] = json_string_value(json_array_get(values, start + k));
		r = query_add_filter(&sub, target->name, QUERY_IN, texts, n);
		for (size_t k = 0; r >= 0 && k < pr->cols.n; k++)
			if (pr->want[k] || k == pr->target_col[0])
				r = query_add_field(&sub, pr->cols.v[k].name);
		if (r < 0)
			return r;
		r = c->ops->query(c, pr->target, &sub, &got);
		if (r < 0)
			return r;
		json_array_foreach(got, i, child) {
			_cleanup_free_ char *text = NULL;
			json_t *list;
			r = value_text(json_object_get(child, target->name), &text);
			if (r < 0)
				return r;
			list = json_object_get(found, text);
			if (!list) {
				list = json_array();
				if (!list || json_object_set_new(found, text, list) < 0)
					return -ENOMEM;
			}
			if (json_array_append(list, child) < 0)
				return -ENOMEM;
			if (!pr->want[pr->target_col[0]])
				(void)json_object_del(child, target->name);
		}
	}
	json_array_foreach(rows, i, row) {
		const json_t *v = json_object_get(row, own->name);
		_cleanup_free_ char *text = NULL;
		json_t *list = NULL;
		if (v && !json_is_null(v)) {
			r = value_text(v, &text);
			if (r < 0)
				return r;
			list = json_object_get(found, text);
		}
		if (pr->array)
			r = json_object_set_new(row, pr->name,
						list ? json_copy(list) : json_array());
		else
			r = json_object_set(row, pr->name,
					    json_array_size(list) ? json_array_get(list, 0)
								  : json_null());
		if (r < 0)
			return -ENOMEM;
	}
	return 0;
}

int query_plan_finish_rows(struct conn *c, const struct query_plan *p, json_t *rows)
{
	size_t i;
	json_t *row;
	int r;

	for (size_t k = 0; k < p->n_rels; k++) {
		if (p->rels[k].n_join != 1)
			continue;
		r = load_relation_batched(c, p, &p->rels[k], rows);
		if (r < 0)
			return r;
	}
	json_array_foreach(rows, i, row) {
		for (size_t k = 0; k < p->n_rels; k++) {
			if (p->rels[k].n_join == 1)
				continue;
			r = load_relation(c, p, &p->rels[k], row);
			if (r < 0)
				return r;
		}
		for (size_t k = 0; k < p->cols.n; k++)
			if (!p->want[k])
				(void)json_object_del(row, p->cols.v[k].name);
	}
	return 0;
}

int conn_read_query(struct conn *c, const struct entity *e, const json_t *key,
		    const struct query *q, json_t **ret_rec)
{
	_cleanup_(query_releasep) struct query sub;
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	json_auto_t *k = NULL, *rows = NULL;
	int r;

	query_init(&sub);
	/* Every stored field and no relation: the backend's read slot, a direct key lookup
	 * (a hash probe in memory, one primary-key SELECT in SQL), not a filtered query. The
	 * slot checks the key itself. */
	if (!q || (q->n_fields == 0 && q->n_include == 0))
		return conn_read(c, e, key, ret_rec);
	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	r = conn_key_check(&cols, e, key, &k, NULL, 0);
	if (r < 0)
		return r;
	for (size_t i = 0; i < e->n_keys; i++) {
		_cleanup_free_ char *text = NULL;
		r = value_text(json_object_get(k, e->keys[i]->bare_name), &text);
		if (r >= 0)
			r = query_add_filter(&sub, e->keys[i]->bare_name, QUERY_EQ,
					     (const char *const *)&text, 1);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; q && i < q->n_fields; i++) {
		r = query_add_field(&sub, q->fields[i]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; q && i < q->n_include; i++) {
		r = query_add_include(&sub, q->include[i]);
		if (r < 0)
			return r;
	}
	sub.limit = 1;
	r = conn_query(c, e, &sub, &rows);
	if (r < 0)
		return r;
	if (json_array_size(rows) == 0) {
		/* the backend's read slot produces the NotFound text */
		json_auto_t *rec = NULL;
		r = conn_read(c, e, k, &rec);
		return r < 0 ? r : -ENOENT;
	}
	*ret_rec = json_incref(json_array_get(rows, 0));
	return 0;
}

int conn_key_from_segments(const struct entity *e, const char *const *segs, size_t n, json_t **ret,
			   char *err, size_t err_size)
{
	_cleanup_(conn_columns_release) struct conn_columns cols = { 0 };
	json_auto_t *key = json_object();
	int r;

	if (!key)
		return -ENOMEM;
	if (n != e->n_keys) {
		if (err)
			(void)snprintf(err, err_size, "entity '%s' has %zu key field%s, not %zu",
				       e->bare_name, e->n_keys, e->n_keys == 1 ? "" : "s", n);
		return -EINVAL;
	}
	r = conn_columns_get(e, &cols);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct conn_column *c = conn_columns_find(&cols, e->keys[i]->bare_name);
		json_t *v = NULL;
		if (!c)
			return -EINVAL;
		r = conn_value_from_text(c, segs[i], &v, err, err_size);
		if (r < 0)
			return r;
		if (json_object_set_new(key, c->name, v) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(key);
	return 0;
}

int conn_key_result(const struct entity *e, const json_t *key, json_t **ret)
{
	json_t *out;

	if (e->n_keys == 1) {
		out = json_object_get(key, e->keys[0]->bare_name);
		if (!out)
			return -EINVAL;
		*ret = json_incref(out);
		return 0;
	}
	out = json_array();
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_keys; i++) {
		json_t *v = json_object_get(key, e->keys[i]->bare_name);
		if (!v || json_array_append(out, v) < 0) {
			json_decref(out);
			return v ? -ENOMEM : -EINVAL;
		}
	}
	*ret = out;
	return 0;
}

int conn_push(struct conn *c, const struct model_file *mf, bool drop_existing)
{
	_cleanup_(gen_sql_statements_release) struct gen_sql_statements st = { 0 };
	_cleanup_buf_ struct buf script = BUF_INIT(BUF_MAX_DEFAULT);
	enum datastore d = datastore_from_string(c->ops->name);
	int r;

	if (!connector_has(c->ops, CONN_CAP_SQL) || !c->ops->apply_sql || !datastore_is_sql(d))
		return -EOPNOTSUPP;
	r = gen_sql_statements(mf, d, &st);
	if (r < 0)
		return r;
	for (size_t i = 0; i < st.n; i++) {
		if (st.items[i].kind == GEN_SQL_DROP && !drop_existing)
			continue;
		r = buf_add(&script, st.items[i].text, st.items[i].len);
		if (r >= 0)
			r = buf_addc(&script, '\n');
		if (r < 0)
			return r;
	}
	return conn_apply_sql(c, script.buf);
}

struct sort_ctx {
	const struct query_plan *p;
};

static int row_compare(const void *a, const void *b, void *userdata)
{
	const struct sort_ctx *ctx = userdata;
	const struct query_plan *p = ctx->p;
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	for (size_t i = 0; i < p->n_order; i++) {
		const struct conn_column *c = &p->cols.v[p->order_col[i]];
		int cmp = conn_value_compare(c->type, json_object_get(x, c->name),
					     json_object_get(y, c->name));
		if (cmp)
			return p->order_desc[i] ? -cmp : cmp;
	}
	/* then the key, so pages are stable */
	for (size_t i = 0; i < p->e->n_keys; i++) {
		const struct conn_column *c = conn_columns_find(&p->cols, p->e->keys[i]->bare_name);
		int cmp = c ? conn_value_compare(c->type, json_object_get(x, c->name),
						 json_object_get(y, c->name))
			    : 0;
		if (cmp)
			return cmp;
	}
	return 0;
}

void query_plan_sort(const struct query_plan *p, json_t **v, size_t n)
{
	struct sort_ctx ctx = { .p = p };

	qsort_r(v, n, sizeof(*v), row_compare, &ctx);
}

/* ---- SQL text ------------------------------------------------------------------------------- */

int sql_add_ident(struct buf *sql, const struct sql_dialect *d, const char *name)
{
	int r = buf_addc(sql, d->quote);

	for (const char *p = bare_identifier(name); r >= 0 && *p; p++)
		r = *p == d->quote ? buf_addch(sql, d->quote, 2) : buf_addc(sql, *p);
	return r < 0 ? r : buf_addc(sql, d->quote);
}

int sql_add_key_where(struct buf *sql, const struct sql_dialect *d, const struct conn_columns *cols,
		      const struct entity *e, const json_t *key, sql_param_fn *param, void *params)
{
	int r = buf_adds(sql, " WHERE ");

	for (size_t i = 0; r >= 0 && i < e->n_keys; i++) {
		const struct conn_column *c = conn_columns_find(cols, e->keys[i]->bare_name);
		if (!c)
			return -EINVAL;
		if (i)
			r = buf_adds(sql, " AND ");
		if (r >= 0)
			r = sql_add_ident(sql, d, c->column);
		if (r >= 0)
			r = buf_adds(sql, " = ");
		if (r >= 0)
			r = param(params, sql, c, json_object_get(key, c->name));
	}
	return r;
}

static int sql_add_filter(struct buf *sql, const struct sql_dialect *d,
			  const struct query_plan *plan, const struct query_plan_filter *f,
			  sql_param_fn *param, void *params)
{
	static const char *const ops[] = {
		[QUERY_EQ] = " = ",   [QUERY_NEQ] = " <> ", [QUERY_GT] = " > ",
		[QUERY_GTE] = " >= ", [QUERY_LT] = " < ",   [QUERY_LTE] = " <= ",
	};
	const struct conn_column *col = &plan->cols.v[f->col];
	int r = sql_add_ident(sql, d, col->column);

	if (r < 0)
		return r;
	switch (f->op) {
	case QUERY_IS_NULL:
		return buf_adds(sql, " IS NULL");
	case QUERY_IS_NOT_NULL:
		return buf_adds(sql, " IS NOT NULL");
	case QUERY_LIKE:
		r = buf_adds(sql, d->like);
		return r < 0 ? r : param(params, sql, NULL, json_array_get(f->values, 0));
	case QUERY_IN:
		r = buf_adds(sql, " IN (");
		for (size_t k = 0; r >= 0 && k < json_array_size(f->values); k++) {
			if (k)
				r = buf_adds(sql, ", ");
			if (r >= 0)
				r = param(params, sql, col, json_array_get(f->values, k));
		}
		return r < 0 ? r : buf_addc(sql, ')');
	default:
		r = buf_adds(sql, ops[f->op]);
		return r < 0 ? r : param(params, sql, col, json_array_get(f->values, 0));
	}
}

int sql_add_select_tail(struct buf *sql, const struct sql_dialect *d, const struct query_plan *plan,
			const json_t *key, sql_param_fn *param, void *params)
{
	const struct entity *e = plan->e;
	int r = 0;

	if (key)
		r = sql_add_key_where(sql, d, &plan->cols, e, key, param, params);
	for (size_t i = 0; r >= 0 && i < plan->n_filters; i++) {
		r = buf_adds(sql, i || key ? " AND " : " WHERE ");
		if (r >= 0)
			r = sql_add_filter(sql, d, plan, &plan->filters[i], param, params);
	}
	/* the requested order, then the key: stable pages */
	for (size_t i = 0; r >= 0 && i < plan->n_order + e->n_keys; i++) {
		const struct conn_column *col;
		bool desc = false;
		if (i < plan->n_order) {
			col = &plan->cols.v[plan->order_col[i]];
			desc = plan->order_desc[i];
		} else {
			col = conn_columns_find(&plan->cols, e->keys[i - plan->n_order]->bare_name);
			if (!col)
				continue;
		}
		r = buf_adds(sql, i ? ", " : " ORDER BY ");
		if (r >= 0)
			r = sql_add_ident(sql, d, col->column);
		if (r >= 0)
			r = buf_adds(sql, desc ? d->desc : d->asc);
	}
	if (d->limit_with_offset) {
		if (r >= 0 && (plan->limit != QUERY_NO_LIMIT || plan->offset))
			r = buf_addf(sql, " LIMIT %llu OFFSET %llu",
				     (unsigned long long)(plan->limit == QUERY_NO_LIMIT
								  ? UINT64_MAX
								  : plan->limit),
				     (unsigned long long)plan->offset);
		return r;
	}
	if (r >= 0 && plan->limit != QUERY_NO_LIMIT)
		r = buf_addf(sql, " LIMIT %llu", (unsigned long long)plan->limit);
	if (r >= 0 && plan->offset)
		r = buf_addf(sql, " OFFSET %llu", (unsigned long long)plan->offset);
	return r;
}
