/* script.sql for mysql, mssql, postgresql and h2 (reference/codegen.md §7), with the table order
 * of upstream's Java HashMap iteration (§11). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/gen.h"

/* ---- Java HashMap iteration order (codegen.md §11) ------------------------------------------ */

/* String.hashCode over the UTF-16 code units of a UTF-8 string. Invalid bytes count as one unit
 * each, which no real table name has. */
uint32_t gen_java_string_hash(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t h = 0;

	while (*p) {
		uint32_t cp = *p, need = 0;
		if (cp >= 0xf0 && cp < 0xf8) {
			cp &= 0x07;
			need = 3;
		} else if (cp >= 0xe0) {
			cp &= 0x0f;
			need = 2;
		} else if (cp >= 0xc0) {
			cp &= 0x1f;
			need = 1;
		}
		p++;
		for (uint32_t k = 0; k < need && (*p & 0xc0) == 0x80; k++, p++)
			cp = (cp << 6) | (*p & 0x3f);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			h = 31 * h + (0xd800 + (cp >> 10));
			h = 31 * h + (0xdc00 + (cp & 0x3ff));
		} else {
			h = 31 * h + cp;
		}
	}
	return h;
}

static size_t bucket_of(const char *key, size_t cap)
{
	uint32_t h = gen_java_string_hash(key);
	return (h ^ (h >> 16)) & (cap - 1);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

void gen_java_hashmap_order(const char *const *keys, size_t n, size_t *order)
{
	size_t cap = 16;

	/* Resizing keeps the relative order inside a bucket, so the final capacity alone decides:
	 * buckets ascending, insertion order inside each. */
	while (n * 4 > cap * 3)
		cap *= 2;
#if SIZE_MAX >= UINT64_MAX
	/* Sort (bucket, index) pairs packed into one word: ties in the bucket fall back to the
	 * index, which is the insertion order, and every hash is computed once. */
	if (n <= UINT32_MAX) {
		for (size_t i = 0; i < n; i++)
			order[i] = (bucket_of(keys[i], cap) << 32) | i;
		qsort(order, n, sizeof(*order), cmp_size);
		for (size_t i = 0; i < n; i++)
			order[i] &= UINT32_MAX;
		return;
	}
#endif
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 1; i < n; i++) {
		size_t cur = order[i], j = i, b = bucket_of(keys[cur], cap);
		while (j > 0 && bucket_of(keys[order[j - 1]], cap) > b) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = cur;
	}
}

/* ---- identifiers and types ------------------------------------------------------------------ */

static int add_ident(struct buf *b, enum datastore d, const char *name)
{
	name = bare_identifier(name);
	switch (d) {
	case DATASTORE_MYSQL:
		return buf_addf(b, "`%s`", name);
	case DATASTORE_MSSQL:
		return buf_addf(b, "[%s]", name);
	default:
		return buf_addf(b, "\"%s\"", name);
	}
}

static bool has_schema(const struct entity *e, enum datastore d)
{
	return (d == DATASTORE_MSSQL || d == DATASTORE_POSTGRESQL) && e->schema && *e->schema;
}

static int add_table(struct buf *b, enum datastore d, const struct entity *e)
{
	int r = 0;

	if (has_schema(e, d))
		r = buf_addf(b, "%s.", e->schema);
	return r < 0 ? r : add_ident(b, d, entity_table_name(e));
}

/* Java String.length() of a UTF-8 string. */
static size_t utf16_length(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		n += *p >= 0xf0 ? 2 : 1;
	}
	return n;
}

static int add_enum_type(struct buf *b, enum datastore d, const struct enum_type *et,
			 const char *column)
{
	size_t longest = 0;
	int r;

	if (d == DATASTORE_MYSQL) {
		r = buf_adds(b, "ENUM(");
	} else {
		for (size_t i = 0; i < et->n_members; i++)
			longest = MAX(longest, utf16_length(et->members[i].value));
		r = buf_addf(b, "VARCHAR(%zu) CHECK (", longest);
		if (r >= 0)
			r = add_ident(b, d, column);
		if (r >= 0)
			r = buf_adds(b, " IN (");
	}
	for (size_t i = 0; r >= 0 && i < et->n_members; i++)
		r = buf_addf(b, "%s'%s'", i ? ", " : "", et->members[i].value);
	if (r >= 0)
		r = buf_adds(b, d == DATASTORE_MYSQL ? ")" : "))");
	return r;
}

int gen_sql_column_type(const struct field *f, enum datastore d, struct buf *out)
{
	const char *t = bare_identifier(f->type.name);
	const char *base = NULL;

	/* The @sql:* type annotations win over the mapping of the Ballerina type. */
	if (f->char_length)
		return buf_addf(out, "CHAR(%s)", f->char_length);
	if (f->varchar_length)
		return buf_addf(out, "VARCHAR(%s)", f->varchar_length);
	if (f->decimal_precision && f->decimal_scale)
		return buf_addf(out, "DECIMAL(%s,%s)", f->decimal_precision, f->decimal_scale);

	if (f->type.kind == FIELD_TYPE_ENUM && f->type.enum_type && !f->type.array)
		return add_enum_type(out, d, f->type.enum_type, field_column_name(f));
	if (f->type.kind == FIELD_TYPE_TIME && !f->type.array) {
		if (streq(t, "Date"))
			base = "DATE";
		else if (streq(t, "TimeOfDay"))
			base = "TIME";
		else if (streq(t, "Utc"))
			base = d == DATASTORE_MSSQL ? "DATETIME2" : "TIMESTAMP";
		else if (streq(t, "Civil"))
			base = d == DATASTORE_MSSQL	   ? "DATETIME2"
			       : d == DATASTORE_POSTGRESQL ? "TIMESTAMP"
							   : "DATETIME";
	} else if (f->type.kind != FIELD_TYPE_TIME && f->type.kind != FIELD_TYPE_ENTITY &&
		   f->type.kind != FIELD_TYPE_ENUM && f->type.kind != FIELD_TYPE_OTHER &&
		   f->type.kind != FIELD_TYPE_QUALIFIED) {
		if (f->type.array) {
			if (streq(t, "byte"))
				base = d == DATASTORE_MSSQL	   ? "VARBINARY(MAX)"
				       : d == DATASTORE_POSTGRESQL ? "BYTEA"
								   : "LONGBLOB";
		} else if (streq(t, "int")) {
			base = "INT";
		} else if (streq(t, "boolean")) {
			base = d == DATASTORE_MSSQL ? "BIT" : "BOOLEAN";
		} else if (streq(t, "decimal")) {
			base = d == DATASTORE_MSSQL ? "DECIMAL(38,30)" : "DECIMAL(65,30)";
		} else if (streq(t, "float")) {
			base = d == DATASTORE_MYSQL ? "DOUBLE" : "FLOAT";
		} else if (streq(t, "string")) {
			if (f->constraint_length)
				return buf_addf(out, "VARCHAR(%s)", f->constraint_length);
			base = "VARCHAR(191)";
		}
	}
	if (!base)
		return -EINVAL;
	return buf_adds(out, base);
}

/* ---- CREATE TABLE --------------------------------------------------------------------------- */

/* Bounds of the fixed arrays below; gen_sql_statements() rejects larger models with -E2BIG
 * instead of cutting them short. */
#define MAX_KEYS    64 /* key fields of an entity */
#define MAX_INDEXED 64 /* index memberships of an entity's fields, unique and not */

struct index_group {
	const char *name;
	const struct field *cols[MAX_INDEXED];
	size_t n_cols;
};

/* The index groups of e (unique or not) in first-seen order, columns in field order. */
static size_t index_groups(const struct entity *e, bool unique, struct index_group *groups,
			   size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		const char **names = unique ? f->unique_index_names : f->index_names;
		size_t n_names = unique ? f->n_unique_index_names : f->n_index_names;

		for (size_t k = 0; k < n_names; k++) {
			size_t g;
			for (g = 0; g < n; g++)
				if (streq(groups[g].name, names[k]))
					break;
			if (g == n) {
				if (n == max)
					continue;
				groups[n++] = (struct index_group){ .name = names[k] };
			}
			if (groups[g].n_cols < ELEMENTSOF(groups[g].cols))
				groups[g].cols[groups[g].n_cols++] = f;
		}
	}
	return n;
}

/* Whether e has a unique index over exactly the foreign-key columns of rel. */
static bool fk_has_unique_index(const struct entity *e, const struct relation *rel)
{
	struct index_group groups[MAX_INDEXED];
	size_t n = index_groups(e, true, groups, ELEMENTSOF(groups));

	for (size_t g = 0; g < n; g++) {
		bool same = groups[g].n_cols == rel->n_keys;
		for (size_t k = 0; same && k < rel->n_keys; k++)
			same = streq(field_column_name(groups[g].cols[k]), rel->keys[k].fk_column);
		if (same)
			return true;
	}
	return false;
}

static bool is_relation_field(const struct field *f)
{
	return f->type.kind == FIELD_TYPE_ENTITY;
}

static int add_column_list(struct buf *b, enum datastore d, const char **cols, size_t n,
			   const char *sep)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (i)
			r = buf_adds(b, sep);
		if (r >= 0)
			r = add_ident(b, d, cols[i]);
	}
	return r;
}

static int add_foreign_key(struct buf *b, enum datastore d, const struct entity *e,
			   const struct relation *rel)
{
	const char *fk[MAX_KEYS], *ref[MAX_KEYS];
	size_t n = MIN(rel->n_keys, ELEMENTSOF(fk));
	bool one_to_one = rel->kind == RELATION_ONE_TO_ONE;
	bool unique = one_to_one && !fk_has_unique_index(e, rel);
	int r = 0;

	for (size_t k = 0; r >= 0 && k < n; k++) {
		fk[k] = rel->keys[k].fk_column;
		ref[k] = field_column_name(rel->keys[k].ref_key);
		r = buf_addc(b, '\t');
		if (r >= 0)
			r = add_ident(b, d, fk[k]);
		if (r >= 0)
			r = buf_addc(b, ' ');
		if (r >= 0)
			r = gen_sql_column_type(rel->keys[k].ref_key, d, b);
		if (r >= 0)
			r = buf_adds(b, unique && n == 1 ? " UNIQUE NOT NULL,\n" : " NOT NULL,\n");
	}
	if (r >= 0 && unique && n > 1) {
		r = buf_adds(b, "\tUNIQUE (");
		if (r >= 0)
			r = add_column_list(b, d, fk, n, ", ");
		if (r >= 0)
			r = buf_adds(b, "),\n");
	}
	if (r >= 0)
		r = buf_adds(b, "\tFOREIGN KEY(");
	if (r >= 0)
		r = add_column_list(b, d, fk, n, ", ");
	if (r >= 0)
		r = buf_adds(b, ") REFERENCES ");
	if (r >= 0)
		r = add_table(b, d, rel->ref);
	if (r >= 0)
		r = buf_addc(b, '(');
	if (r >= 0)
		r = add_column_list(b, d, ref, n, ", ");
	if (r >= 0)
		r = buf_adds(b, "),\n");
	return r;
}

static int add_create_table(struct buf *b, enum datastore d, const struct entity *e)
{
	const char *keys[MAX_KEYS];
	size_t n_keys = MIN(e->n_keys, ELEMENTSOF(keys));
	int r;

	r = buf_adds(b, "\nCREATE TABLE ");
	if (r >= 0)
		r = add_table(b, d, e);
	if (r >= 0)
		r = buf_adds(b, " (\n");
	for (size_t i = 0; r >= 0 && i < e->n_fields; i++) {
		const struct field *f = e->fields[i];

		if (is_relation_field(f) || f->fk_of)
			continue;
		r = buf_addc(b, '\t');
		if (r >= 0)
			r = add_ident(b, d, field_column_name(f));
		if (r >= 0 && f->generated && !f->type.nillable && d == DATASTORE_POSTGRESQL) {
			r = buf_adds(b, "  SERIAL,\n");
			continue;
		}
		if (r >= 0)
			r = buf_addc(b, ' ');
		if (r >= 0)
			r = gen_sql_column_type(f, d, b);
		if (r < 0)
			break;
		if (f->type.nillable)
			r = buf_adds(b, ",\n");
		else if (f->generated)
			r = buf_adds(b, d == DATASTORE_MSSQL ? " IDENTITY(1,1),\n"
							     : " AUTO_INCREMENT,\n");
		else
			r = buf_adds(b, " NOT NULL,\n");
	}
	for (size_t i = 0; r >= 0 && i < e->n_fields; i++) {
		const struct field *f = e->fields[i];

		if (!is_relation_field(f) || !f->relation || !f->relation_owner ||
		    f->relation->owner_field != f || f->relation->ref->unsupported)
			continue;
		r = add_foreign_key(b, d, e, f->relation);
	}
	for (size_t k = 0; k < n_keys; k++)
		keys[k] = field_column_name(e->keys[k]);
	if (r >= 0)
		r = buf_adds(b, "\tPRIMARY KEY(");
	if (r >= 0)
		r = add_column_list(b, d, keys, n_keys, ",");
	if (r >= 0)
		r = buf_adds(b, ")\n);");
	return r;
}

/* ---- statement list ------------------------------------------------------------------------- */

void gen_sql_statements_release(struct gen_sql_statements *s)
{
	for (size_t i = 0; i < s->n; i++)
		mem_free(s->items[i].text);
	mem_free(s->items);
	*s = (struct gen_sql_statements){ 0 };
}

static int push_statement(struct gen_sql_statements *s, enum gen_sql_kind kind, struct buf *b)
{
	size_t len = 0;
	char *text;

	if (GROW(s->items, s->alloc, s->n + 1) < 0) {
		buf_release(b);
		return -ENOMEM;
	}
	text = buf_detach(b, &len);
	if (!text)
		return -ENOMEM;
	s->items[s->n++] = (struct gen_sql_statement){ .kind = kind, .text = text, .len = len };
	return 0;
}

/* The CREATE order of codegen.md §7.5: Kahn's algorithm seeded and queued in the HashMap
 * order of the table names, edges recorded in the order upstream builds the statements. */
static bool records_edge(const struct field *f)
{
	return is_relation_field(f) && f->relation && f->relation_owner &&
	       f->relation->owner_field == f && !f->relation->ref->unsupported;
}

/* tables[] holds distinct entities of a model with n_entities entities; pos[] maps an entity
 * index to its position in tables[] (n when it is not there). */
static int table_order(const struct entity **tables, size_t n, size_t n_entities, size_t *out)
{
	_cleanup_free_ const char **names = new0(const char *, n + 1);
	_cleanup_free_ size_t *order = new0(size_t, n + 1);
	_cleanup_free_ size_t *indeg = new0(size_t, n + 1);
	_cleanup_free_ size_t *pos = new0(size_t, n_entities + 1);
	/* Per owner table, the tables it references (one per owner relation, duplicates kept,
	 * in recording order), and per table its successors: both as offset lists over the
	 * edges. */
	_cleanup_free_ size_t *ref_start = new0(size_t, n + 1), *succ_start = new0(size_t, n + 1);
	_cleanup_free_ size_t *n_succ = new0(size_t, n + 1);
	_cleanup_free_ size_t *owners = new0(size_t, n + 1), *owner_order = new0(size_t, n + 1);
	_cleanup_free_ const char **owner_names = new0(const char *, n + 1);
	_cleanup_free_ size_t *queue = new0(size_t, n + 1);
	_cleanup_free_ size_t *refs = NULL, *succ = NULL;
	size_t n_edges = 0, n_owners = 0, head = 0, tail = 0, emitted = 0;

	if (!names || !order || !indeg || !pos || !ref_start || !succ_start || !n_succ || !owners ||
	    !owner_order || !owner_names || !queue)
		return -ENOMEM;
	for (size_t i = 0; i < n_entities; i++)
		pos[i] = n;
	for (size_t i = 0; i < n; i++) {
		names[i] = entity_table_name(tables[i]);
		pos[tables[i]->index] = i;
	}
	for (size_t i = 0; i < n; i++) {
		ref_start[i] = n_edges;
		for (size_t f = 0; f < tables[i]->n_fields; f++) {
			const struct field *fl = tables[i]->fields[f];
			if (records_edge(fl) && pos[fl->relation->ref->index] < n)
				n_edges++;
		}
	}
	ref_start[n] = n_edges;
	refs = new0(size_t, n_edges + 1);
	succ = new0(size_t, n_edges + 1);
	if (!refs || !succ)
		return -ENOMEM;

	for (size_t i = 0, e = 0; i < n; i++) {
		for (size_t f = 0; f < tables[i]->n_fields; f++) {
			const struct field *fl = tables[i]->fields[f];
			size_t k;
			if (!records_edge(fl))
				continue;
			k = pos[fl->relation->ref->index];
			if (k == n)
				continue;
			refs[e++] = k;
			n_succ[k]++;
		}
		if (ref_start[i + 1] > ref_start[i]) {
			owners[n_owners] = i;
			owner_names[n_owners++] = names[i];
		}
	}
	for (size_t k = 0, acc = 0; k < n; k++) {
		succ_start[k] = acc;
		acc += n_succ[k];
		n_succ[k] = 0;
	}

	gen_java_hashmap_order(names, n, order);
	gen_java_hashmap_order(owner_names, n_owners, owner_order);
	for (size_t o = 0; o < n_owners; o++) {
		size_t i = owners[owner_order[o]];
		for (size_t q = ref_start[i]; q < ref_start[i + 1]; q++) {
			size_t k = refs[q];
			succ[succ_start[k] + n_succ[k]++] = i;
			indeg[i]++;
		}
	}
	for (size_t o = 0; o < n; o++)
		if (indeg[order[o]] == 0)
			queue[tail++] = order[o];
	while (head < tail) {
		size_t k = queue[head++];
		out[emitted++] = k;
		for (size_t q = 0; q < n_succ[k]; q++) {
			size_t i = succ[succ_start[k] + q];
			if (--indeg[i] == 0)
				queue[tail++] = i;
		}
	}
	/* A foreign-key cycle would leave tables out; validation makes it impossible, but keep
	 * every table in the script anyway, in model order. */
	for (size_t i = 0; i < n && emitted < n; i++)
		if (indeg[i] > 0)
			out[emitted++] = i;
	return 0;
}

static int add_index_statements(struct gen_sql_statements *s, enum datastore d,
				const struct entity *e)
{
	struct index_group groups[MAX_INDEXED];
	int r = 0;

	for (int unique = 0; r >= 0 && unique < 2; unique++) {
		size_t n = index_groups(e, unique, groups, ELEMENTSOF(groups));
		for (size_t g = 0; r >= 0 && g < n; g++) {
			_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
			const char *cols[MAX_INDEXED];

			for (size_t c = 0; c < groups[g].n_cols; c++)
				cols[c] = field_column_name(groups[g].cols[c]);
			r = buf_adds(&b, unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
			if (r >= 0)
				r = add_ident(&b, d, groups[g].name);
			if (r >= 0)
				r = buf_adds(&b, " ON ");
			if (r >= 0)
				r = add_table(&b, d, e);
			if (r >= 0)
				r = buf_adds(&b, " (");
			if (r >= 0)
				r = add_column_list(&b, d, cols, groups[g].n_cols, ", ");
			if (r >= 0)
				r = buf_adds(&b, ");");
			if (r >= 0)
				r = push_statement(s, GEN_SQL_INDEX, &b);
		}
	}
	return r;
}

/* By table name, then by model order. */
static int cmp_table_name(const void *a, const void *b)
{
	const struct entity *x = *(const struct entity *const *)a;
	const struct entity *y = *(const struct entity *const *)b;
	int c = strcmp(entity_table_name(x), entity_table_name(y));

	return c ? c : x->index < y->index ? -1 : x->index > y->index;
}

static int check_limits(const struct entity *e)
{
	size_t indexed = 0, unique = 0;

	if (e->n_keys > MAX_KEYS)
		return -E2BIG;
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		indexed += f->n_index_names;
		unique += f->n_unique_index_names;
		if (f->relation && f->relation->n_keys > MAX_KEYS)
			return -E2BIG;
	}
	return indexed > MAX_INDEXED || unique > MAX_INDEXED ? -E2BIG : 0;
}

int gen_sql_statements(const struct model_file *mf, enum datastore d,
		       struct gen_sql_statements *ret)
{
	_cleanup_free_ const struct entity **tables =
		new0(const struct entity *, mf->n_entities + 1);
	_cleanup_free_ size_t *order = new0(size_t, mf->n_entities + 1);
	struct gen_sql_statements s = { 0 };
	size_t n = 0;
	int r;

	if (!datastore_is_sql(d))
		return -EINVAL;
	if (!tables || !order)
		return -ENOMEM;
	for (size_t i = 0; i < mf->n_entities; i++) {
		r = check_limits(mf->entities[i]);
		if (r < 0)
			return r;
	}
	/* A map keeps one entry per name: a later entity with a table name already seen is
	 * dropped (validation rejects that anyway, but migrate runs on unvalidated models). */
	{
		_cleanup_free_ const struct entity **sorted =
			new0(const struct entity *, mf->n_entities + 1);
		_cleanup_free_ bool *drop = new0(bool, mf->n_entities + 1);
		size_t m = 0;

		if (!sorted || !drop)
			return -ENOMEM;
		for (size_t i = 0; i < mf->n_entities; i++)
			if (!mf->entities[i]->unsupported)
				sorted[m++] = mf->entities[i];
		qsort(sorted, m, sizeof(*sorted), cmp_table_name);
		for (size_t i = 1; i < m; i++)
			if (streq(entity_table_name(sorted[i]), entity_table_name(sorted[i - 1])))
				drop[sorted[i]->index] = true;
		for (size_t i = 0; i < mf->n_entities; i++)
			if (!mf->entities[i]->unsupported && !drop[i])
				tables[n++] = mf->entities[i];
	}
	r = table_order(tables, n, mf->n_entities, order);
	if (r < 0)
		return r;

	for (size_t i = n; r >= 0 && i > 0; i--) {
		_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
		r = buf_adds(&b, "DROP TABLE IF EXISTS ");
		if (r >= 0)
			r = add_table(&b, d, tables[order[i - 1]]);
		if (r >= 0)
			r = buf_addc(&b, ';');
		if (r >= 0)
			r = push_statement(&s, GEN_SQL_DROP, &b);
	}
	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
		r = add_create_table(&b, d, tables[order[i]]);
		if (r >= 0)
			r = push_statement(&s, GEN_SQL_CREATE, &b);
	}
	for (size_t i = 0; r >= 0 && i < mf->n_entities; i++)
		r = add_index_statements(&s, d, mf->entities[i]);
	if (r < 0) {
		gen_sql_statements_release(&s);
		return r;
	}
	*ret = s;
	return 0;
}

int gen_sql_script(const struct model_file *mf, enum datastore d, const char *reason,
		   struct buf *out)
{
	_cleanup_(gen_sql_statements_release) struct gen_sql_statements s = { 0 };
	bool lone_separator = false;
	int r;

	r = gen_sql_statements(mf, d, &s);
	if (r < 0)
		return r;
	r = buf_addf(
		out,
		"-- AUTO-GENERATED FILE.\n\n"
		"-- This file is an auto-generated file by Ballerina persistence layer for %s.\n"
		"-- Please verify the generated scripts and execute them against the target DB "
		"server.\n\n",
		reason);
	for (size_t i = 0; r >= 0 && i < s.n; i++) {
		/* Upstream's element list has a lone line separator between the tables and the
		 * index statements; like every element it is followed by one more. */
		if (s.items[i].kind == GEN_SQL_INDEX && !lone_separator) {
			r = buf_adds(out, "\n\n");
			lone_separator = true;
		}
		if (r >= 0)
			r = buf_add(out, s.items[i].text, s.items[i].len);
		if (r >= 0)
			r = buf_addc(out, '\n');
	}
	if (r >= 0 && !lone_separator)
		r = buf_adds(out, "\n\n");
	return r;
}
