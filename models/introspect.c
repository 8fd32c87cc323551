/* A database catalog and its mapping to model text (reference/introspection.md §3-§5). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/macro.h"
#include "base/strutil.h"
#include "models/arena.h"
#include "models/gen.h"
#include "models/introspect.h"
#include "models/naming.h"

/* ---- the catalog ---------------------------------------------------------------------------- */

int db_catalog_new(enum datastore dialect, struct db_catalog **ret)
{
	struct db_catalog *cat = new0(struct db_catalog, 1);

	if (!cat)
		return -ENOMEM;
	cat->arena = (struct arena)ARENA_INIT;
	cat->dialect = dialect;
	*ret = cat;
	return 0;
}

struct db_catalog *db_catalog_free(struct db_catalog *cat)
{
	if (!cat)
		return NULL;
	arena_release(&cat->arena);
	mem_free(cat);
	return NULL;
}

const struct db_table *db_catalog_table(const struct db_catalog *cat, const char *name)
{
	for (size_t i = 0; i < cat->n_tables; i++)
		if (streq(cat->tables[i].name, name))
			return &cat->tables[i];
	return NULL;
}

static struct db_table *table_mut(struct db_catalog *cat, const char *name)
{
	return (struct db_table *)db_catalog_table(cat, name);
}

/* A copy in the arena; NULL stays NULL. Returns false on OOM. */
static bool dup_opt(struct db_catalog *cat, const char *s, const char **ret)
{
	if (!s) {
		*ret = NULL;
		return true;
	}
	*ret = arena_strdup(&cat->arena, s);
	return *ret != NULL;
}

int db_catalog_add_table(struct db_catalog *cat, const char *name)
{
	struct db_table *t;

	if (!name || db_catalog_table(cat, name))
		return 0;
	if (ARENA_GROW(&cat->arena, cat->tables, cat->n_tables, cat->alloc_tables) < 0)
		return -ENOMEM;
	t = &cat->tables[cat->n_tables];
	*t = (struct db_table){ 0 };
	t->name = arena_strdup(&cat->arena, name);
	if (!t->name)
		return -ENOMEM;
	cat->n_tables++;
	return 0;
}

int db_catalog_add_column(struct db_catalog *cat, const char *table, const struct db_column *col)
{
	struct db_table *t = table ? table_mut(cat, table) : NULL;
	struct db_column *c;

	if (!t || !col->name)
		return 0;
	if (ARENA_GROW(&cat->arena, t->columns, t->n_columns, t->alloc_columns) < 0)
		return -ENOMEM;
	c = &t->columns[t->n_columns];
	*c = *col;
	if (!dup_opt(cat, col->name, &c->name) ||
	    !dup_opt(cat, col->data_type ? col->data_type : "", &c->data_type) ||
	    !dup_opt(cat, col->full_data_type ? col->full_data_type : "", &c->full_data_type) ||
	    !dup_opt(cat, col->column_default, &c->column_default) ||
	    !dup_opt(cat, col->check_constraint, &c->check_constraint))
		return -ENOMEM;
	t->n_columns++;
	return 0;
}

int db_catalog_add_fk(struct db_catalog *cat, const char *table, const char *constraint,
		      const char *column, const char *referenced_table,
		      const char *referenced_column)
{
	struct db_table *t = table ? table_mut(cat, table) : NULL;
	struct db_foreign_key *fk = NULL;
	struct db_fk_column *fc;

	if (!t || !constraint || !column || !referenced_table || !referenced_column)
		return 0;
	for (size_t i = 0; i < t->n_fks; i++)
		if (streq(t->fks[i].name, constraint))
			fk = &t->fks[i];
	if (!fk) {
		if (ARENA_GROW(&cat->arena, t->fks, t->n_fks, t->alloc_fks) < 0)
			return -ENOMEM;
		fk = &t->fks[t->n_fks];
		*fk = (struct db_foreign_key){ 0 };
		if (!dup_opt(cat, constraint, &fk->name) ||
		    !dup_opt(cat, referenced_table, &fk->referenced_table))
			return -ENOMEM;
		t->n_fks++;
	}
	if (ARENA_GROW(&cat->arena, fk->columns, fk->n_columns, fk->alloc_columns) < 0)
		return -ENOMEM;
	fc = &fk->columns[fk->n_columns];
	if (!dup_opt(cat, column, &fc->column) ||
	    !dup_opt(cat, referenced_column, &fc->referenced_column))
		return -ENOMEM;
	fk->n_columns++;
	return 0;
}

int db_catalog_add_index(struct db_catalog *cat, const char *table, const char *index,
			 const char *column, bool unique)
{
	struct db_table *t = table ? table_mut(cat, table) : NULL;
	struct db_index *ix = NULL;

	if (!t || !index)
		return 0;
	for (size_t i = 0; i < t->n_indexes; i++)
		if (streq(t->indexes[i].name, index))
			ix = &t->indexes[i];
	if (!ix) {
		if (ARENA_GROW(&cat->arena, t->indexes, t->n_indexes, t->alloc_indexes) < 0)
			return -ENOMEM;
		ix = &t->indexes[t->n_indexes];
		*ix = (struct db_index){ .unique = unique };
		if (!dup_opt(cat, index, &ix->name))
			return -ENOMEM;
		t->n_indexes++;
	}
	if (!column) /* an expression: no field carries it */
		return 0;
	if (ARENA_GROW(&cat->arena, ix->columns, ix->n_columns, ix->alloc_columns) < 0)
		return -ENOMEM;
	if (!dup_opt(cat, column, &ix->columns[ix->n_columns]))
		return -ENOMEM;
	ix->n_columns++;
	return 0;
}

int db_catalog_add_enum(struct db_catalog *cat, const char *table, const char *column,
			const char *full_enum_type)
{
	struct db_enum_row *e;

	if (!table || !column || !full_enum_type)
		return 0;
	if (ARENA_GROW(&cat->arena, cat->enums, cat->n_enums, cat->alloc_enums) < 0)
		return -ENOMEM;
	e = &cat->enums[cat->n_enums];
	if (!dup_opt(cat, table, &e->table) || !dup_opt(cat, column, &e->column) ||
	    !dup_opt(cat, full_enum_type, &e->full_enum_type))
		return -ENOMEM;
	cat->n_enums++;
	return 0;
}

int introspect_split_tables(const char *value, char ***ret, size_t *ret_n)
{
	size_t pieces = 1, len = strlen(value), n = 0;
	char **v, *text;

	for (const char *p = value; *p; p++)
		pieces += *p == ',';
	v = mem_alloc((pieces + 1) * sizeof(char *) + len + 1);
	if (!v)
		return -ENOMEM;
	text = (char *)(v + pieces + 1);
	memcpy(text, value, len + 1);
	for (char *p = text;;) {
		char *end = p + strcspn(p, ",");
		bool last = !*end;
		char *s = p, *e = end;
		while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
			e--;
		*e = '\0';
		if (*s)
			v[n++] = s;
		if (last)
			break;
		p = end + 1;
	}
	v[n] = NULL;
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- the model being built ------------------------------------------------------------------ */

struct ifield {
	const char *name; /* with a leading ' for a reserved word */
	const char *column; /* NULL for a relation field */
	const char *type; /* "int", "time:Date", an enum or an entity name */
	bool array, optional, key, generated;
	bool unsupported; /* written as //Unsupported[full] column; */
	const char *full_type;
	const char *type_annotation; /* "@sql:Varchar {length: 12}", NULL when none */
	const char *relation_keys; /* the inside of [...] of @sql:Relation */
	const char **index_names, **unique_names;
	size_t n_index, alloc_index, n_unique, alloc_unique;
};

struct ientity {
	const char *name;
	const struct db_table *table;
	struct ifield *fields;
	size_t n_fields, alloc_fields;
};

struct ienum {
	const char *name;
	const char **members; /* value strings */
	size_t n_members, alloc_members;
};

struct name_count {
	const struct ientity *entity;
	const char *base;
	unsigned count;
};

struct builder {
	struct arena a;
	const struct db_catalog *cat;
	struct buf *messages;
	struct ienum *enums;
	size_t n_enums, alloc_enums;
	struct ientity **entities; /* in first-insertion order of their names */
	size_t n_entities, alloc_entities;
	struct name_count *counts;
	size_t n_counts, alloc_counts;
};

static void builder_release(struct builder *b)
{
	arena_release(&b->a);
}

static const char *const reserved_words[] = {
	"import",   "as",	  "public",	"private",     "external",
	"final",    "service",	  "resource",	"function",    "object",
	"record",   "annotation", "parameter",	"transformer", "worker",
	"listener", "remote",	  "xmlns",	"returns",     "version",
	"channel",  "abstract",	  "client",	"const",       "typeof",
	"source",   "from",	  "on",		"group",       "by",
	"having",   "order",	  "where",	"followed",    "for",
	"window",   "every",	  "within",	"snapshot",    "inner",
	"outer",    "right",	  "left",	"full",	       "unidirectional",
	"forever",  "limit",	  "ascending",	"descending",  "int",
	"byte",	    "float",	  "decimal",	"boolean",     "string",
	"error",    "map",	  "json",	"xml",	       "table",
	"stream",   "any",	  "typedesc",	"type",	       "future",
	"anydata",  "handle",	  "var",	"new",	       "init",
	"if",	    "match",	  "else",	"foreach",     "while",
	"continue", "break",	  "fork",	"join",	       "some",
	"all",	    "try",	  "catch",	"finally",     "throw",
	"panic",    "trap",	  "return",	"transaction", "abort",
	"retry",    "onretry",	  "retries",	"committed",   "aborted",
	"with",	    "in",	  "lock",	"untaint",     "start",
	"but",	    "check",	  "checkpanic", "primarykey",  "is",
	"flush",    "wait",	  "default",	"enum",
};

static bool is_reserved(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(reserved_words); i++)
		if (streq(s, reserved_words[i]))
			return true;
	return false;
}

static char *adup(struct builder *b, const char *s)
{
	return arena_strdup(&b->a, s);
}

/* A name computed into a buf, copied into the arena; NULL on OOM. */
static const char *name_of(struct builder *b, int (*fn)(const char *, struct buf *), const char *s)
{
	_cleanup_buf_ struct buf out = BUF_INIT(4096);

	if (fn(s, &out) < 0)
		return NULL;
	return adup(b, out.buf);
}

static int pascal_singular(const char *s, struct buf *out)
{
	return introspect_pascal_case(s, true, out);
}

static const char *entity_name_of(struct builder *b, const char *table)
{
	return name_of(b, pascal_singular, table);
}

static const char *field_name_of(struct builder *b, const char *column)
{
	_cleanup_buf_ struct buf out = BUF_INIT(4096);

	if (introspect_camel_case(column, &out) < 0)
		return NULL;
	if (is_reserved(out.buf)) {
		_cleanup_buf_ struct buf q = BUF_INIT(4096);
		if (buf_addf(&q, "'%s", out.buf) < 0)
			return NULL;
		return adup(b, q.buf);
	}
	return adup(b, out.buf);
}

/* SingularPascal(table) + SingularPascal(column) */
static const char *enum_name_of(struct builder *b, const char *table, const char *column)
{
	_cleanup_buf_ struct buf out = BUF_INIT(4096);

	if (introspect_pascal_case(table, true, &out) < 0 ||
	    introspect_pascal_case(column, true, &out) < 0)
		return NULL;
	return adup(b, out.buf);
}

static void upper_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

static bool ieq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* ---- enums ---------------------------------------------------------------------------------- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Java's trim(), then every ' removed, then trim() again; appended to a new arena string. */
static const char *clean_value(struct builder *b, const char *s, size_t len)
{
	_cleanup_buf_ struct buf v = BUF_INIT(1 << 16);
	size_t i = 0, j = len;

	while (i < j && (unsigned char)s[i] <= ' ')
		i++;
	while (j > i && (unsigned char)s[j - 1] <= ' ')
		j--;
	for (size_t k = i; k < j; k++)
		if (s[k] != '\'' && buf_addc(&v, s[k]) < 0)
			return NULL;
	i = 0;
	j = v.len;
	while (i < j && (unsigned char)v.buf[i] <= ' ')
		i++;
	while (j > i && (unsigned char)v.buf[j - 1] <= ' ')
		j--;
	return arena_strndup(&b->a, v.buf + i, j - i);
}

/* Java's String.split(sep) on a literal separator: pieces in order, trailing empty pieces
 * dropped. Calls fn for each. */
typedef int piece_fn(struct builder *b, const char *s, size_t len, struct ienum *e);

static int split_each(struct builder *b, const char *s, size_t len, const char *sep, piece_fn *fn,
		      struct ienum *e)
{
	size_t seplen = strlen(sep), n = 0, keep;
	struct {
		const char *s;
		size_t len;
	} pieces[512];
	const char *p = s, *end = s + len;

	for (;;) {
		const char *hit = NULL;
		for (const char *q = p; q + seplen <= end; q++)
			if (memcmp(q, sep, seplen) == 0) {
				hit = q;
				break;
			}
		if (n == ELEMENTSOF(pieces))
			break;
		pieces[n].s = p;
		pieces[n].len = (size_t)((hit ? hit : end) - p);
		n++;
		if (!hit)
			break;
		p = hit + seplen;
	}
	keep = n;
	while (keep > 0 && pieces[keep - 1].len == 0)
		keep--;
	for (size_t i = 0; i < keep; i++) {
		int r = fn(b, pieces[i].s, pieces[i].len, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_member(struct builder *b, struct ienum *e, const char *v)
{
	if (!v)
		return -ENOMEM;
	if (ARENA_GROW(&b->a, e->members, e->n_members, e->alloc_members) < 0)
		return -ENOMEM;
	e->members[e->n_members++] = v;
	return 0;
}

static int mysql_piece(struct builder *b, const char *s, size_t len, struct ienum *e)
{
	return add_member(b, e, clean_value(b, s, len));
}

static int pg_piece(struct builder *b, const char *s, size_t len, struct ienum *e)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (s[i] == ':' && s[i + 1] == ':') {
			len = i;
			break;
		}
	return add_member(b, e, clean_value(b, s, len));
}

static int mssql_piece(struct builder *b, const char *s, size_t len, struct ienum *e)
{
	const char *eq = memchr(s, '=', len);

	if (!eq) /* upstream fails on such a piece; nothing to take from it */
		return 0;
	return add_member(b, e, clean_value(b, eq + 1, len - (size_t)(eq + 1 - s)));
}

/* The values of one enum row, in order (introspection.md §4.7). */
static int parse_enum_values(struct builder *b, const char *text, struct ienum *e)
{
	const char *open, *close;

	switch (b->cat->dialect) {
	case DATASTORE_POSTGRESQL: {
		if (strlen(text) < 5)
			return 0;
		open = strstr(text + 5, "ARRAY[");
		if (!open)
			return 0;
		open += strlen("ARRAY[");
		close = strchr(open, ']');
		if (!close)
			return 0;
		return split_each(b, open, (size_t)(close - open), ",", pg_piece, e);
	}
	case DATASTORE_MSSQL:
		open = strchr(text, '(');
		close = open ? strchr(open + 1, ')') : NULL;
		if (!close)
			return 0;
		return split_each(b, open + 1, (size_t)(close - open - 1), "OR", mssql_piece, e);
	default:
		open = strchr(text, '(');
		close = open ? strchr(open + 1, ')') : NULL;
		if (!close)
			return 0;
		return split_each(b, open + 1, (size_t)(close - open - 1), ",", mysql_piece, e);
	}
}

static struct ienum *find_enum(struct builder *b, const char *name)
{
	for (size_t i = 0; i < b->n_enums; i++)
		if (streq(b->enums[i].name, name))
			return &b->enums[i];
	return NULL;
}

static int build_enums(struct builder *b)
{
	int r;

	for (size_t i = 0; i < b->cat->n_enums; i++) {
		const struct db_enum_row *row = &b->cat->enums[i];
		struct ienum parsed = { 0 }, *e;
		const char *name = enum_name_of(b, row->table, row->column);

		if (!name)
			return -ENOMEM;
		r = parse_enum_values(b, row->full_enum_type, &parsed);
		if (r < 0)
			return r;
		/* a value without letters or digits has no member name (upstream fails) */
		size_t k = 0;
		for (size_t m = 0; m < parsed.n_members; m++) {
			_cleanup_buf_ struct buf ident = BUF_INIT(4096);
			r = introspect_upper_snake_case(parsed.members[m], &ident);
			if (r < 0)
				return r;
			if (ident.len == 0) {
				r = buf_addf(
					b->messages,
					"WARNING: The value '%s' of the enum column '%s' of "
					"table '%s' has no letters or digits and is left out.\n",
					parsed.members[m], row->column, row->table);
				if (r < 0)
					return r;
				continue;
			}
			parsed.members[k++] = parsed.members[m];
		}
		parsed.n_members = k;
		if (parsed.n_members == 0)
			continue;
		e = find_enum(b, name);
		if (e) {
			e->members = parsed.members;
			e->n_members = parsed.n_members;
			e->alloc_members = parsed.alloc_members;
			continue;
		}
		if (ARENA_GROW(&b->a, b->enums, b->n_enums, b->alloc_enums) < 0)
			return -ENOMEM;
		parsed.name = name;
		b->enums[b->n_enums++] = parsed;
	}
	return 0;
}

/* ---- which columns are enums ---------------------------------------------------------------- */

static bool is_w(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* 1-4 \w+ tokens separated by whitespace, greedy; advances *p. */
static bool match_words(const char **p)
{
	const char *s = *p;
	unsigned tokens = 0;

	for (;;) {
		const char *t = s;
		while (is_w(*t))
			t++;
		if (t == s)
			return false;
		tokens++;
		s = t;
		if (tokens == 4 || !is_space(*s))
			break;
		t = s;
		while (is_space(*t))
			t++;
		if (!is_w(*t))
			break;
		s = t;
	}
	*p = s;
	return true;
}

static bool match_lit(const char **p, const char *lit)
{
	const char *s = startswith(*p, lit);

	if (!s)
		return false;
	*p = s;
	return true;
}

/* CHECK (((<col>)::text = ANY ((ARRAY['<v>'::character varying, ...])::text[]))) */
static bool pg_enum_check(const char *s)
{
	bool quoted;

	if (!match_lit(&s, "CHECK ((("))
		return false;
	quoted = match_lit(&s, "\"");
	if (!match_words(&s))
		return false;
	if (quoted && !match_lit(&s, "\""))
		return false;
	if (!match_lit(&s, ")::text = ANY ((ARRAY["))
		return false;
	for (bool first = true;; first = false) {
		if (!first && !match_lit(&s, ", "))
			break;
		if (!match_lit(&s, "'") || !match_words(&s) ||
		    !match_lit(&s, "'::character varying"))
			return false;
	}
	return streq(s, "])::text[])))");
}

/* ([<col>]='<v>' OR [<col>]='<v>' ...) */
static bool mssql_enum_check(const char *s)
{
	if (!match_lit(&s, "("))
		return false;
	for (bool first = true;; first = false) {
		if (!first && !match_lit(&s, " OR "))
			break;
		if (!match_lit(&s, "[") || !match_words(&s) || !match_lit(&s, "]='") ||
		    !match_words(&s) || !match_lit(&s, "'"))
			return false;
	}
	return streq(s, ")");
}

static bool column_is_enum(const struct db_catalog *cat, const struct db_column *c)
{
	switch (cat->dialect) {
	case DATASTORE_POSTGRESQL:
		return c->check_constraint && pg_enum_check(c->check_constraint);
	case DATASTORE_MSSQL:
		return c->check_constraint && mssql_enum_check(c->check_constraint);
	default:
		return ieq(c->data_type, "enum");
	}
}

/* ---- types ---------------------------------------------------------------------------------- */

#define ALTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct type_row {
	const char *const *names;
	const char *type;
};

static const struct type_row type_table[] = {
	{ ALTS("INT", "INTEGER", "TINYINT", "SMALLINT", "MEDIUMINT", "BIGINT", "SERIAL",
	       "BIGSERIAL", "INT2", "INT4", "INT8"),
	  "int" },
	{ ALTS("BOOLEAN", "BOOL"), "boolean" },
	{ ALTS("DECIMAL", "NUMERIC"), "decimal" },
	{ ALTS("DOUBLE", "FLOAT", "FLOAT4", "FLOAT8"), "float" },
	{ ALTS("DATE"), "time:Date" },
	{ ALTS("TIME", "TIMETZ"), "time:TimeOfDay" },
	{ ALTS("TIMESTAMP", "TIMESTAMPTZ"), "time:Utc" },
	{ ALTS("DATETIME", "DATETIME2"), "time:Civil" },
	{ ALTS("VARCHAR", "CHAR", "CHARACTER", "BPCHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT",
	       "LONGTEXT"),
	  "string" },
	{ ALTS("BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "BINARY", "VARBINARY", "BYTEA"),
	  "byte" },
};

static const char *map_type(const struct db_catalog *cat, const struct db_column *c,
			    const char *type_name)
{
	if (cat->dialect == DATASTORE_MYSQL && streq(c->full_data_type, "tinyint(1)"))
		return "boolean";
	if (cat->dialect == DATASTORE_MSSQL && streq(type_name, "BIT"))
		return "boolean";
	for (size_t i = 0; i < ELEMENTSOF(type_table); i++)
		for (const char *const *n = type_table[i].names; *n; n++)
			if (streq(type_name, *n))
				return type_table[i].type;
	return NULL;
}

/* @sql:Char / @sql:Varchar / @sql:Decimal, NULL when none (introspection.md §3). */
static int type_annotation(struct builder *b, const struct db_column *c, const char *type_name,
			   const char **ret)
{
	int64_t len =
		c->char_max_length == DB_NULL || c->char_max_length <= 0 ? 191 : c->char_max_length;
	int64_t p = c->numeric_precision == DB_NULL || c->numeric_precision <= 0
			    ? 65
			    : c->numeric_precision;
	int64_t s = c->numeric_scale == DB_NULL || c->numeric_scale == 0 ? 30 : c->numeric_scale;
	int64_t default_p = b->cat->dialect == DATASTORE_MSSQL ? 38 : 65;
	char text[128];

	*ret = NULL;
	if (streq(type_name, "CHAR") || streq(type_name, "BPCHAR") || streq(type_name, "CHARACTER"))
		(void)snprintf(text, sizeof(text), "@sql:Char {length: %lld}", (long long)len);
	else if (streq(type_name, "VARCHAR") && len != 191)
		(void)snprintf(text, sizeof(text), "@sql:Varchar {length: %lld}", (long long)len);
	else if ((streq(type_name, "DECIMAL") || streq(type_name, "NUMERIC")) &&
		 !(p == default_p && s == 30))
		(void)snprintf(text, sizeof(text), "@sql:Decimal {precision: [%lld, %lld]}",
			       (long long)p, (long long)s);
	else
		return 0;
	*ret = adup(b, text);
	return *ret ? 0 : -ENOMEM;
}

/* ---- entities ------------------------------------------------------------------------------- */

static struct ientity *find_entity(struct builder *b, const char *name)
{
	for (size_t i = 0; i < b->n_entities; i++)
		if (streq(b->entities[i]->name, name))
			return b->entities[i];
	return NULL;
}

static struct ifield *add_field(struct builder *b, struct ientity *e)
{
	if (ARENA_GROW(&b->a, e->fields, e->n_fields, e->alloc_fields) < 0)
		return NULL;
	e->fields[e->n_fields] = (struct ifield){ 0 };
	return &e->fields[e->n_fields++];
}

static struct ifield *field_by_column(const struct ientity *e, const char *column)
{
	for (size_t i = 0; i < e->n_fields; i++)
		if (e->fields[i].column && !e->fields[i].unsupported &&
		    streq(e->fields[i].column, column))
			return &e->fields[i];
	return NULL;
}

/* The fields of one table; *ret_keyed says whether any column is a key. */
static int build_entity(struct builder *b, const struct db_table *t, struct ientity **ret,
			bool *ret_keyed)
{
	struct ientity *e = arena_alloc(&b->a, sizeof(*e));
	bool keyed = false;
	int r;

	if (!e)
		return -ENOMEM;
	e->table = t;
	e->name = entity_name_of(b, t->name);
	if (!e->name)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_columns; i++) {
		const struct db_column *c = &t->columns[i];
		struct ifield *f = add_field(b, e);
		char *type_name = adup(b, c->data_type);

		if (!f || !type_name)
			return -ENOMEM;
		upper_ascii(type_name);
		f->column = c->name;
		f->name = field_name_of(b, c->name);
		if (!f->name)
			return -ENOMEM;
		f->key = c->key;
		f->optional = c->nullable;
		f->generated = c->generated;
		keyed |= c->key;
		if (column_is_enum(b->cat, c)) {
			f->type = enum_name_of(b, t->name, c->name);
			if (!f->type)
				return -ENOMEM;
			continue;
		}
		f->type = map_type(b->cat, c, type_name);
		if (!f->type) {
			f->unsupported = true;
			f->full_type = c->full_data_type;
			r = buf_addf(b->messages, "WARNING Unsupported SQL type found: %s\n",
				     c->full_data_type);
			if (r < 0)
				return r;
			continue;
		}
		if (streq(f->type, "byte"))
			f->array = true;
		r = type_annotation(b, c, type_name, &f->type_annotation);
		if (r < 0)
			return r;
	}

	/* indexes: each field gets the names of the indexes over its column */
	for (size_t i = 0; i < t->n_indexes; i++) {
		const struct db_index *ix = &t->indexes[i];
		for (size_t k = 0; k < ix->n_columns; k++) {
			struct ifield *f = field_by_column(e, ix->columns[k]);
			if (!f)
				continue;
			if (ix->unique) {
				if (ARENA_GROW(&b->a, f->unique_names, f->n_unique,
					       f->alloc_unique) < 0)
					return -ENOMEM;
				f->unique_names[f->n_unique++] = ix->name;
			} else {
				if (ARENA_GROW(&b->a, f->index_names, f->n_index, f->alloc_index) <
				    0)
					return -ENOMEM;
				f->index_names[f->n_index++] = ix->name;
			}
		}
	}
	*ret = e;
	*ret_keyed = keyed;
	return 0;
}

static int put_entity(struct builder *b, struct ientity *e)
{
	for (size_t i = 0; i < b->n_entities; i++)
		if (streq(b->entities[i]->name, e->name)) {
			/* a HashMap put: the later value, the first position */
			b->entities[i] = e;
			return 0;
		}
	if (ARENA_GROW(&b->a, b->entities, b->n_entities, b->alloc_entities) < 0)
		return -ENOMEM;
	b->entities[b->n_entities++] = e;
	return 0;
}

/* ---- relations ------------------------------------------------------------------------------ */

/* base, base1, base2, ... per (receiving entity, base); a reserved word gets its quote. */
static const char *relation_name(struct builder *b, const struct ientity *e, const char *base)
{
	struct name_count *nc = NULL;
	char text[512];

	for (size_t i = 0; i < b->n_counts; i++)
		if (b->counts[i].entity == e && streq(b->counts[i].base, base))
			nc = &b->counts[i];
	if (!nc) {
		if (ARENA_GROW(&b->a, b->counts, b->n_counts, b->alloc_counts) < 0)
			return NULL;
		nc = &b->counts[b->n_counts++];
		*nc = (struct name_count){ .entity = e, .base = base };
	}
	if (nc->count == 0)
		(void)snprintf(text, sizeof(text), "%s", base);
	else
		(void)snprintf(text, sizeof(text), "%s%u", base, nc->count);
	nc->count++;
	if (is_reserved(text)) {
		char q[sizeof(text) + 1];
		(void)snprintf(q, sizeof(q), "'%s", text);
		return adup(b, q);
	}
	return adup(b, text);
}

static const char *lower_name(struct builder *b, const char *name)
{
	char *s = adup(b, name);

	if (s)
		for (char *p = s; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	return s;
}

/* Whether the owner field list equals fields (same order). */
static bool same_fields(const struct ifield *const *a, size_t na, const struct ifield *const *b,
			size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static int skip_fk(struct builder *b, const struct db_table *t, const struct db_foreign_key *fk,
		   const char *why)
{
	return buf_addf(b->messages, "WARNING: Foreign key '%s' of table '%s' is skipped: %s.\n",
			fk->name, t->name, why);
}

static int add_relation(struct builder *b, const struct db_table *t,
			const struct db_foreign_key *fk, struct pd_error *reterr)
{
	_cleanup_free_ const struct ifield **own_fields = NULL, **keys = NULL;
	_cleanup_buf_ struct buf keytext = BUF_INIT(1 << 16);
	_cleanup_buf_ struct buf plural = BUF_INIT(4096);
	const struct db_table *rt = db_catalog_table(b->cat, fk->referenced_table);
	struct ientity *own, *ref;
	const char *own_name, *ref_name, *lower_own, *lower_ref, *name;
	size_t n_keys = 0;
	bool one_to_one;
	struct ifield *f;
	int r;

	own_name = entity_name_of(b, t->name);
	ref_name = entity_name_of(b, fk->referenced_table);
	if (!own_name || !ref_name)
		return -ENOMEM;
	own = find_entity(b, own_name);
	ref = rt ? find_entity(b, ref_name) : NULL;
	if (!own)
		return skip_fk(b, t, fk, "the table has no primary key");
	if (!ref)
		return skip_fk(b, t, fk, "the referenced table is not an entity of the model");

	/* 1. the referenced columns cover the referenced entity's key */
	for (size_t i = 0; i < ref->n_fields; i++) {
		const struct ifield *k = &ref->fields[i];
		bool covered = false;
		if (!k->key || !k->column)
			continue;
		for (size_t c = 0; c < fk->n_columns; c++)
			if (streq(fk->columns[c].referenced_column, k->column))
				covered = true;
		if (!covered) {
			pd_error_set(reterr, NULL, 0, 0, 0, "%s",
				     "failed to introspect database: bal persist does not support "
				     "foreign key references to unique keys.");
			return -EBADMSG;
		}
	}

	/* 2. cardinality */
	own_fields = new0(const struct ifield *, fk->n_columns + 1);
	keys = new0(const struct ifield *, own->n_fields + 1);
	if (!own_fields || !keys)
		return -ENOMEM;
	for (size_t c = 0; c < fk->n_columns; c++) {
		own_fields[c] = field_by_column(own, fk->columns[c].column);
		if (!own_fields[c])
			return skip_fk(b, t, fk,
				       "a column of the key is not a field of the entity");
	}
	for (size_t i = 0; i < own->n_fields; i++)
		if (own->fields[i].key && own->fields[i].column && !own->fields[i].unsupported)
			keys[n_keys++] = &own->fields[i];
	one_to_one = same_fields(own_fields, fk->n_columns, keys, n_keys);
	for (size_t i = 0; !one_to_one && i < own->table->n_indexes; i++) {
		const struct db_index *ix = &own->table->indexes[i];
		bool same = ix->unique && ix->n_columns == fk->n_columns;
		for (size_t k = 0; same && k < ix->n_columns; k++)
			same = field_by_column(own, ix->columns[k]) == own_fields[k];
		one_to_one = same;
	}

	/* 3. the field on the referenced entity */
	lower_own = lower_name(b, own->name);
	lower_ref = lower_name(b, ref->name);
	if (!lower_own || !lower_ref)
		return -ENOMEM;
	if (one_to_one) {
		name = relation_name(b, ref, lower_own);
	} else {
		r = naming_pluralize(lower_own, &plural);
		if (r < 0)
			return r;
		const char *base = adup(b, plural.buf);
		if (!base)
			return -ENOMEM;
		name = relation_name(b, ref, base);
	}
	f = add_field(b, ref);
	if (!name || !f)
		return -ENOMEM;
	f->name = name;
	f->type = own->name;
	f->array = !one_to_one;
	f->optional = one_to_one;

	/* 4. the field on the owner */
	for (size_t c = 0; c < fk->n_columns; c++) {
		r = buf_addf(&keytext, "%s\"%s\"", c ? ", " : "", own_fields[c]->name);
		if (r < 0)
			return r;
	}
	name = relation_name(b, own, lower_ref);
	/* own and ref may be one entity: add_field may move its fields */
	f = add_field(b, own);
	if (!name || !f)
		return -ENOMEM;
	f->name = name;
	f->type = ref->name;
	f->relation_keys = adup(b, keytext.buf);
	return f->relation_keys ? 0 : -ENOMEM;
}

/* ---- output --------------------------------------------------------------------------------- */

static int add_names_annotation(struct buf *out, const char *annotation, const char **names,
				size_t n)
{
	int r;

	if (n == 0)
		return 0;
	if (n == 1)
		return buf_addf(out, "    %s {name: \"%s\"}\n", annotation, names[0]);
	r = buf_addf(out, "    %s {name: [", annotation);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = buf_addf(out, "%s\"%s\"", i ? ", " : "", names[i]);
	if (r < 0)
		return r;
	return buf_adds(out, "]}\n");
}

static const char *bare(const char *name)
{
	return name[0] == '\'' ? name + 1 : name;
}

static int write_field(struct buf *out, const struct ifield *f)
{
	int r = 0;

	if (f->unsupported)
		return buf_addf(out, "    //Unsupported[%s] %s;\n", f->full_type, f->column);
	if (f->column && !streq(f->column, bare(f->name)))
		r = buf_addf(out, "    @sql:Name {value: \"%s\"}\n", f->column);
	if (r >= 0 && f->type_annotation)
		r = buf_addf(out, "    %s\n", f->type_annotation);
	if (r >= 0 && f->relation_keys)
		r = buf_addf(out, "    @sql:Relation {keys: [%s]}\n", f->relation_keys);
	if (r >= 0)
		r = add_names_annotation(out, "@sql:Index", f->index_names, f->n_index);
	if (r >= 0)
		r = add_names_annotation(out, "@sql:UniqueIndex", f->unique_names, f->n_unique);
	if (r >= 0 && f->generated)
		r = buf_adds(out, "    @sql:Generated\n");
	if (r < 0)
		return r;
	return buf_addf(out, "    %s%s%s%s %s;\n", f->key && f->column ? "readonly " : "", f->type,
			f->array ? "[]" : "", f->optional && !(f->key && f->column) ? "?" : "",
			f->name);
}

static bool needs_sql_import(const struct builder *b)
{
	for (size_t i = 0; i < b->n_entities; i++) {
		const struct ientity *e = b->entities[i];
		if (!streq(e->name, e->table->name))
			return true;
		for (size_t k = 0; k < e->n_fields; k++) {
			const struct ifield *f = &e->fields[k];
			if ((f->column && !streq(f->column, bare(f->name))) || f->generated ||
			    f->type_annotation || f->relation_keys || f->n_index || f->n_unique)
				return true;
		}
	}
	return false;
}

static bool needs_time_import(const struct builder *b)
{
	for (size_t i = 0; i < b->n_entities; i++)
		for (size_t k = 0; k < b->entities[i]->n_fields; k++) {
			const struct ifield *f = &b->entities[i]->fields[k];
			if (!f->unsupported && f->type && startswith(f->type, "time"))
				return true;
		}
	return false;
}

static int write_model(struct builder *b, struct buf *out)
{
	_cleanup_free_ const char **keys = new0(const char *, b->n_entities + 1);
	_cleanup_free_ size_t *order = new0(size_t, b->n_entities + 1);
	int r;

	if (!keys || !order)
		return -ENOMEM;
	r = buf_adds(out, "import ballerina/persist as _;\n");
	if (r >= 0 && needs_time_import(b))
		r = buf_adds(out, "import ballerina/time;\n");
	if (r >= 0 && needs_sql_import(b))
		r = buf_adds(out, "import ballerinax/persist.sql;\n");
	for (size_t i = 0; r >= 0 && i < b->n_enums; i++) {
		const struct ienum *e = &b->enums[i];
		r = buf_addf(out, "\npublic enum %s {\n", e->name);
		for (size_t m = 0; r >= 0 && m < e->n_members; m++) {
			_cleanup_buf_ struct buf ident = BUF_INIT(4096);
			r = introspect_upper_snake_case(e->members[m], &ident);
			if (r >= 0)
				r = buf_addf(out, "    %s = \"%s\"%s\n", ident.buf, e->members[m],
					     m + 1 < e->n_members ? "," : "");
		}
		if (r >= 0)
			r = buf_adds(out, "}\n");
	}
	if (r < 0)
		return r;

	for (size_t i = 0; i < b->n_entities; i++)
		keys[i] = b->entities[i]->name;
	gen_java_hashmap_order(keys, b->n_entities, order);
	for (size_t i = 0; r >= 0 && i < b->n_entities; i++) {
		const struct ientity *e = b->entities[order[i]];
		r = buf_adds(out, "\n");
		if (r >= 0 && !streq(e->name, e->table->name))
			r = buf_addf(out, "@sql:Name {value: \"%s\"}\n", e->table->name);
		if (r >= 0)
			r = buf_addf(out, "public type %s record {|\n", e->name);
		for (size_t k = 0; r >= 0 && k < e->n_fields; k++)
			r = write_field(out, &e->fields[k]);
		if (r >= 0)
			r = buf_adds(out, "|};\n");
	}
	if (r < 0)
		return r;
	/* upstream prints the formatted text with println */
	return buf_adds(out, "\n");
}

/* ---- selection ------------------------------------------------------------------------------ */

static bool in_list(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

/* kept[i] for every catalog table: the selection with its foreign-key closure (§5.1). */
static int select_tables(struct builder *b, const struct introspect_selection *sel, bool *kept)
{
	const struct db_catalog *cat = b->cat;
	_cleanup_free_ const char **list = NULL;
	size_t n = 0, cap, missing = 0;
	int r;

	if (!sel || sel->all) {
		for (size_t i = 0; i < cat->n_tables; i++)
			kept[i] = true;
		return 0;
	}
	cap = sel->n_names + cat->n_tables + 1;
	list = new0(const char *, cap);
	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < sel->n_names; i++)
		if (!in_list(list, n, sel->names[i]))
			list[n++] = sel->names[i];
	for (size_t i = 0; i < n; i++) {
		const struct db_table *t = db_catalog_table(cat, list[i]);
		if (!t)
			continue;
		for (size_t k = 0; k < t->n_fks; k++) {
			const char *ref = t->fks[k].referenced_table;
			if (!db_catalog_table(cat, ref) || in_list(list, n, ref))
				continue;
			list[n++] = ref;
			r = buf_addf(b->messages,
				     "INFO: Automatically including table '%s' due to foreign key "
				     "relationship from '%s'\n",
				     ref, t->name);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < sel->n_names; i++) {
		if (db_catalog_table(cat, sel->names[i]))
			continue;
		r = buf_addf(b->messages, "%s%s",
			     missing++
				     ? ", "
				     : "WARNING: The following specified tables were not found in "
				       "the database: ",
			     sel->names[i]);
		if (r < 0)
			return r;
	}
	if (missing && (r = buf_adds(b->messages, "\n")) < 0)
		return r;
	for (size_t i = 0; i < cat->n_tables; i++)
		kept[i] = in_list(list, n, cat->tables[i].name);
	return 0;
}

int introspect_model(const struct db_catalog *cat, const struct introspect_selection *sel,
		     struct buf *out, struct buf *messages, size_t *ret_entities,
		     struct pd_error *reterr)
{
	_cleanup_(builder_release) struct builder b = { .a = ARENA_INIT, .cat = cat };
	_cleanup_buf_ struct buf text = BUF_INIT(out->max);
	_cleanup_free_ bool *kept = new0(bool, cat->n_tables + 1);
	int r;

	b.messages = messages;
	if (!kept)
		return -ENOMEM;
	r = select_tables(&b, sel, kept);
	if (r < 0)
		return r;
	r = build_enums(&b);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cat->n_tables; i++) {
		struct ientity *e;
		bool keyed;
		if (!kept[i])
			continue;
		r = build_entity(&b, &cat->tables[i], &e, &keyed);
		if (r < 0)
			return r;
		if (!keyed) {
			r = buf_addf(messages,
				     "WARNING: Table '%s' does not have a primary key and will be "
				     "excluded from entity generation.\n",
				     cat->tables[i].name);
			if (r < 0)
				return r;
			continue;
		}
		r = put_entity(&b, e);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < cat->n_tables; i++) {
		const struct db_table *t = &cat->tables[i];
		if (!kept[i])
			continue;
		for (size_t k = 0; k < t->n_fks; k++) {
			r = add_relation(&b, t, &t->fks[k], reterr);
			if (r < 0)
				return r;
		}
	}
	if (b.n_entities == 0) {
		pd_error_set(reterr, NULL, 0, 0, 0, "%s",
			     "failed to generate model for introspected database: No entities "
			     "found in the database. The database may be empty or contain no "
			     "accessible tables.");
		return -EBADMSG;
	}
	r = write_model(&b, &text);
	if (r < 0)
		return r;
	r = buf_add(out, text.buf, text.len);
	if (r < 0)
		return r;
	if (ret_entities)
		*ret_entities = b.n_entities;
	return 0;
}
