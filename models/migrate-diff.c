/* Difference detection and migration statements (reference/migrate.md §5-§6): entities matched
 * by name, fields by name, statements collected per group and emitted group by group, each
 * group in upstream's order (model order, or the Java HashMap order of its own table-name
 * keys, codegen.md §11). MySQL text is upstream's; PostgreSQL gets quoted identifiers and
 * statements that hold on PostgreSQL, where constraint names are the server's own. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/errno-util.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/gen.h"
#include "models/migrate.h"

enum group_id {
	G_DROP_TABLE,
	G_DROP_FK,
	G_DROP_PK, /* holds no statements: the primary-key set (keys only) */
	G_DROP_COLUMN,
	G_CREATE_TABLE,
	G_RENAME_TABLE,
	G_RENAME_COLUMN,
	G_ADD_COLUMN,
	G_ADD_PK, /* emitted from the G_DROP_PK set */
	G_ADD_FK,
	G_MODIFY_COLUMN,
	G_DROP_INDEX,
	G_CREATE_INDEX,
	_G_MAX,
};

/* Groups whose statements are ordered by table in HashMap order; the others keep the order in
 * which statements were recorded. */
static const bool group_keyed[_G_MAX] = {
	[G_DROP_FK] = true,	  [G_DROP_PK] = true,	 [G_DROP_COLUMN] = true,
	[G_RENAME_COLUMN] = true, [G_ADD_COLUMN] = true, [G_ADD_FK] = true,
	[G_MODIFY_COLUMN] = true, [G_DROP_INDEX] = true, [G_CREATE_INDEX] = true,
};

struct stmt {
	size_t key; /* index into group keys */
	char *text;
};

struct group {
	const char **keys; /* table names, in first-recorded order (borrowed from the models) */
	size_t n_keys, alloc_keys;
	struct stmt *items;
	size_t n, alloc;
};

struct planner {
	enum datastore d;
	const struct model_file *prev, *cur;
	struct group g[_G_MAX];
	/* Tables dropped, created, and the new names of renamed tables. */
	const char **dropped, **created, **renamed_to;
	size_t n_dropped, n_created, n_renamed_to;
	size_t alloc_dropped, alloc_created, alloc_renamed_to;
	struct migrate_plan *plan;
	struct pd_error *reterr;
};

#define MAX_INDEX_COLUMNS 64

struct index_def {
	const char *name;
	const struct field *fields[MAX_INDEX_COLUMNS];
	size_t n_fields;
};

/* ---- model helpers -------------------------------------------------------------------------- */

/* The table name as migrate compares and writes it: @sql:Name or the entity name as written
 * (a leading ' is kept, migrate.md §5.1). */
static const char *mig_table(const struct entity *e)
{
	return e->table_name ? e->table_name : e->name;
}

static bool is_relation(const struct field *f)
{
	return f->type.kind == FIELD_TYPE_ENTITY;
}

static bool is_owner(const struct field *f)
{
	return is_relation(f) && f->relation && f->relation_owner && f->relation->owner_field == f;
}

/* Extraction removes the fields an @sql:Relation lists; they belong to the relation. */
static bool is_extracted(const struct field *f)
{
	return !f->fk_of;
}

static const struct entity *find_entity(const struct model_file *mf, const char *name)
{
	for (size_t i = 0; i < mf->n_entities; i++)
		if (streq(mf->entities[i]->name, name))
			return mf->entities[i];
	return NULL;
}

static const struct entity *find_entity_by_table(const struct model_file *mf, const char *table)
{
	for (size_t i = 0; i < mf->n_entities; i++)
		if (streq(mig_table(mf->entities[i]), table))
			return mf->entities[i];
	return NULL;
}

static const struct field *find_field(const struct entity *e, const char *name)
{
	for (size_t i = 0; i < e->n_fields; i++)
		if (is_extracted(e->fields[i]) && streq(e->fields[i]->name, name))
			return e->fields[i];
	return NULL;
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(list[i], s))
			return true;
	return false;
}

static int list_add(const char ***list, size_t *n, size_t *alloc, const char *s)
{
	if (GROW(*list, *alloc, *n + 1) < 0)
		return -ENOMEM;
	(*list)[(*n)++] = s;
	return 0;
}

/* The Ballerina type as messages name it: "int", "time:Date", "Car". */
static int add_type_text(struct buf *b, const struct field *f)
{
	if (f->type.module && f->type.kind == FIELD_TYPE_TIME)
		return buf_addf(b, "%s:%s", f->type.module, f->type.name);
	return buf_adds(b, f->type.name);
}

static const char *sql_type_kind(const struct field *f)
{
	if (f->char_length)
		return "CHAR";
	if (f->varchar_length)
		return "VARCHAR";
	if (f->decimal_precision && f->decimal_scale)
		return "DECIMAL";
	return NULL;
}

/* ---- recording ------------------------------------------------------------------------------ */

_printf_(2, 3) static int diff_add(struct planner *p, const char *fmt, ...)
{
	struct migrate_plan *plan = p->plan;
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	if (GROW(plan->differences, plan->alloc_differences, plan->n_differences + 1) < 0)
		return -ENOMEM;
	s = buf_detach(&b, NULL);
	if (!s)
		return -ENOMEM;
	plan->differences[plan->n_differences++] = s;
	return 0;
}

static int group_key(struct group *g, const char *table, size_t *ret)
{
	for (size_t i = 0; i < g->n_keys; i++)
		if (streq(g->keys[i], table)) {
			*ret = i;
			return 0;
		}
	if (GROW(g->keys, g->alloc_keys, g->n_keys + 1) < 0)
		return -ENOMEM;
	g->keys[g->n_keys] = table;
	*ret = g->n_keys++;
	return 0;
}

/* Record the statement in b (taken, b is left empty) under table in group id. */
static int stmt_add(struct planner *p, enum group_id id, const char *table, struct buf *b)
{
	struct group *g = &p->g[id];
	size_t key;
	char *text;
	int r;

	r = group_key(g, table, &key);
	if (r < 0)
		return r;
	if (GROW(g->items, g->alloc, g->n + 1) < 0)
		return -ENOMEM;
	text = buf_detach(b, NULL);
	if (!text)
		return -ENOMEM;
	g->items[g->n++] = (struct stmt){ .key = key, .text = text };
	return 0;
}

static void group_release(struct group *g)
{
	for (size_t i = 0; i < g->n; i++)
		mem_free(g->items[i].text);
	mem_free(g->items);
	mem_free(g->keys);
	*g = (struct group){ 0 };
}

/* ---- SQL pieces ----------------------------------------------------------------------------- */

static bool pg(const struct planner *p)
{
	return p->d == DATASTORE_POSTGRESQL;
}

/* An identifier: MySQL statements use names as they are (upstream's quirk); PostgreSQL quotes
 * them as its CREATE TABLE does, since unquoted names would fold to lower case. */
static int add_name(struct buf *b, const struct planner *p, const char *name)
{
	if (!pg(p))
		return buf_adds(b, name);
	return buf_addf(b, "\"%s\"", bare_identifier(name));
}

/* A table of entity e (NULL: a table name without an entity): PostgreSQL adds @sql:Schema. */
static int add_table(struct buf *b, const struct planner *p, const struct entity *e,
		     const char *table)
{
	int r = 0;

	if (pg(p) && e && e->schema && *e->schema)
		r = buf_addf(b, "%s.", e->schema);
	return r < 0 ? r : add_name(b, p, table);
}

/* A table name inside a PostgreSQL string literal ('"Person"'::regclass). */
static int add_table_literal(struct buf *b, const struct planner *p, const struct entity *e,
			     const char *table)
{
	_cleanup_buf_ struct buf t = BUF_INIT(BUF_MAX_DEFAULT);
	int r = add_table(&t, p, e, table);

	for (size_t i = 0; r >= 0 && i < t.len; i++)
		r = t.buf[i] == '\'' ? buf_adds(b, "''") : buf_addc(b, t.buf[i]);
	return r;
}

static int add_names(struct buf *b, const struct planner *p, const char *const *names, size_t n)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (i)
			r = buf_adds(b, ", ");
		if (r >= 0)
			r = add_name(b, p, names[i]);
	}
	return r;
}

static int alter_table(struct buf *b, const struct planner *p, const struct entity *e,
		       const char *table)
{
	int r = buf_adds(b, "ALTER TABLE ");
	if (r >= 0)
		r = add_table(b, p, e, table);
	if (r >= 0)
		r = buf_addc(b, '\n');
	return r;
}

static int column_type(struct planner *p, const struct field *f, struct buf *out)
{
	int r = gen_sql_column_type(f, p->d, out);

	if (r == -EINVAL) {
		_cleanup_buf_ struct buf t = BUF_INIT(BUF_MAX_DEFAULT);
		if (add_type_text(&t, f) < 0)
			return -ENOMEM;
		pd_error_set(p->reterr, NULL, 0, 0, 0,
			     "data type conversion failed: couldn't find equivalent SQL type for "
			     "the field type: %s",
			     t.buf);
	}
	return r;
}

/* A PostgreSQL enum column comes back as "VARCHAR(n) CHECK (...)": ALTER COLUMN ... TYPE takes
 * only the type, the check is added on its own. Returns the length of the type part. */
static size_t pg_type_len(const struct buf *type)
{
	const char *check = strstr(type->buf, " CHECK ");
	return check ? (size_t)(check - type->buf) : type->len;
}

/* ---- statements ----------------------------------------------------------------------------- */

static int record_drop_column(struct planner *p, const struct entity *e, const char *table,
			      const char *column)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	int r = alter_table(&b, p, e, table);

	if (r >= 0)
		r = buf_adds(&b, "DROP COLUMN ");
	if (r >= 0)
		r = add_name(&b, p, column);
	if (r >= 0)
		r = buf_adds(&b, ";\n");
	if (r >= 0)
		r = stmt_add(p, G_DROP_COLUMN, table, &b);
	return r;
}

/* The owner relation f of e loses its foreign key: the constraint and its columns. */
static int record_drop_fk(struct planner *p, const struct entity *e, const char *table,
			  const struct field *f)
{
	const struct relation *rel = f->relation;
	int r = 0;

	/* PostgreSQL drops a foreign key with its columns; its name is the server's own choice,
	 * so there is nothing to guess. */
	if (!pg(p)) {
		_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
		r = buf_adds(&b,
			     "-- Please verify the foreign key constraint name before executing "
			     "the query\n");
		if (r >= 0)
			r = alter_table(&b, p, e, table);
		if (r >= 0)
			r = buf_addf(&b, "DROP FOREIGN KEY FK_%s_%s;\n", table,
				     mig_table(rel->ref));
		if (r >= 0)
			r = stmt_add(p, G_DROP_FK, table, &b);
	}
	for (size_t k = 0; r >= 0 && k < rel->n_keys; k++) {
		_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
		r = alter_table(&b, p, e, table);
		if (r >= 0)
			r = buf_adds(&b, "DROP COLUMN ");
		if (r >= 0)
			r = add_name(&b, p, rel->keys[k].fk_column);
		if (r >= 0)
			r = buf_adds(&b, ";\n");
		if (r >= 0)
			r = stmt_add(p, G_DROP_FK, table, &b);
	}
	return r;
}

/* ADD COLUMN / MODIFY COLUMN text for MySQL: "<c> <TYPE>[ NOT NULL][ AUTO_INCREMENT]". */
static int mysql_column_def(struct planner *p, struct buf *b, const struct field *f,
			    const char *column)
{
	int r = buf_addf(b, "%s ", column);
	if (r >= 0)
		r = column_type(p, f, b);
	if (r >= 0 && !f->type.nillable)
		r = buf_adds(b, " NOT NULL");
	if (r >= 0 && f->generated)
		r = buf_adds(b, " AUTO_INCREMENT");
	return r;
}

/* Add column `column` of type f (a field of the current model, or a referenced key standing in
 * for a foreign-key column) to table; unique marks the single column of a 1-1 foreign key,
 * which PostgreSQL gets as CREATE TABLE would write it. */
static int record_add_column(struct planner *p, const struct entity *e, const char *table,
			     const struct field *f, const char *column, bool unique)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	int r = alter_table(&b, p, e, table);

	if (r >= 0)
		r = buf_adds(&b, "ADD COLUMN ");
	if (r >= 0 && !pg(p)) {
		r = mysql_column_def(p, &b, f, column);
	} else if (r >= 0) {
		r = add_name(&b, p, column);
		if (r >= 0 && f->generated && !f->type.nillable) {
			r = buf_adds(&b, " SERIAL");
		} else {
			if (r >= 0)
				r = buf_addc(&b, ' ');
			if (r >= 0)
				r = column_type(p, f, &b);
			if (r >= 0 && unique)
				r = buf_adds(&b, " UNIQUE");
			if (r >= 0 && !f->type.nillable)
				r = buf_adds(&b, " NOT NULL");
		}
	}
	if (r >= 0)
		r = buf_adds(&b, ";\n");
	if (r >= 0)
		r = stmt_add(p, G_ADD_COLUMN, table, &b);
	return r;
}

static int record_pk_change(struct planner *p, const char *table)
{
	struct group *g = &p->g[G_DROP_PK];
	size_t key;
	int r;

	for (size_t i = 0; i < g->n_keys; i++)
		if (streq(g->keys[i], table))
			return 0;
	r = group_key(g, table, &key);
	if (r >= 0)
		r = diff_add(p, "Primary key of table %s has changed", table);
	return r;
}

/* Whether e has a unique index over exactly the foreign-key columns of rel (codegen.md §7.3). */
static bool fk_has_unique_index(const struct entity *e, const struct relation *rel)
{
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *f = e->fields[i];
		for (size_t n = 0; n < f->n_unique_index_names; n++) {
			const char *name = f->unique_index_names[n];
			size_t k = 0;
			bool same = true;
			for (size_t j = 0; same && j < e->n_fields; j++) {
				const struct field *g = e->fields[j];
				if (!in_list(g->unique_index_names, g->n_unique_index_names, name))
					continue;
				same = k < rel->n_keys &&
				       streq(field_column_name(g), rel->keys[k].fk_column);
				k++;
			}
			if (same && k == rel->n_keys)
				return true;
		}
	}
	return false;
}

/* The owner relation f of e gains its foreign key: its columns become added columns typed like
 * the referenced keys, and the constraint is recorded (migrate.md §5.1 step 5). */
static int record_add_fk(struct planner *p, const struct entity *e, const char *table,
			 const struct field *f)
{
	const struct relation *rel = f->relation;
	_cleanup_free_ const char **cols = new0(const char *, rel->n_keys + 1);
	_cleanup_free_ const char **refs = new0(const char *, rel->n_keys + 1);
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_buf_ struct buf t = BUF_INIT(BUF_MAX_DEFAULT);
	bool unique = pg(p) && rel->kind == RELATION_ONE_TO_ONE && !fk_has_unique_index(e, rel);
	int r = 0;

	if (!cols || !refs)
		return -ENOMEM;
	for (size_t k = 0; r >= 0 && k < rel->n_keys; k++) {
		struct field key = *rel->keys[k].ref_key;

		/* The column takes the referenced key's type and @sql:* type only. */
		key.type.nillable = false;
		key.generated = false;
		key.constraint_length = NULL;
		cols[k] = rel->keys[k].fk_column;
		refs[k] = field_column_name(rel->keys[k].ref_key);
		r = record_add_column(p, e, table, &key, cols[k], unique && rel->n_keys == 1);
		buf_reset(&t);
		if (r >= 0)
			r = add_type_text(&t, &key);
		if (r >= 0)
			r = diff_add(
				p,
				"Column %s of type %s has been added to table %s as a foreign key",
				cols[k], t.buf, table);
	}
	if (r >= 0 && unique && rel->n_keys > 1) {
		r = alter_table(&b, p, e, table);
		if (r >= 0)
			r = buf_adds(&b, "ADD UNIQUE (");
		if (r >= 0)
			r = add_names(&b, p, cols, rel->n_keys);
		if (r >= 0)
			r = buf_adds(&b, ");\n");
		if (r >= 0)
			r = stmt_add(p, G_ADD_FK, table, &b);
	}
	if (r >= 0)
		r = alter_table(&b, p, e, table);
	if (r >= 0)
		r = pg(p) ? buf_adds(&b, "ADD FOREIGN KEY (")
			  : buf_addf(&b, "ADD CONSTRAINT FK_%s_%s FOREIGN KEY (", table,
				     mig_table(rel->ref));
	if (r >= 0)
		r = add_names(&b, p, cols, rel->n_keys);
	if (r >= 0)
		r = buf_adds(&b, ") REFERENCES ");
	if (r >= 0)
		r = add_table(&b, p, rel->ref, mig_table(rel->ref));
	if (r >= 0)
		r = buf_addc(&b, '(');
	if (r >= 0)
		r = add_names(&b, p, refs, rel->n_keys);
	if (r >= 0)
		r = buf_adds(&b, ");\n");
	if (r >= 0)
		r = stmt_add(p, G_ADD_FK, table, &b);
	if (r >= 0)
		r = diff_add(p, "Relation %s of type %s has been added to table %s", f->name,
			     f->type.name, table);
	return r;
}

static int record_rename_column(struct planner *p, const struct entity *e, const char *table,
				const char *from, const char *to)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	int r = alter_table(&b, p, e, table);

	if (r >= 0)
		r = buf_adds(&b, "RENAME COLUMN ");
	if (r >= 0)
		r = add_name(&b, p, from);
	if (r >= 0)
		r = buf_adds(&b, " TO ");
	if (r >= 0)
		r = add_name(&b, p, to);
	if (r >= 0)
		r = buf_adds(&b, ";\n");
	if (r >= 0)
		r = stmt_add(p, G_RENAME_COLUMN, table, &b);
	if (r >= 0)
		r = diff_add(p, "Column %s in table %s has been renamed to %s", from, table, to);
	return r;
}

/* PostgreSQL: drop the CHECK constraints on one column (an enum's value list), whatever the
 * server named them. */
static int pg_drop_column_checks(struct planner *p, struct buf *b, const struct entity *e,
				 const char *table, const char *column)
{
	int r = buf_adds(b, "DO $$\nDECLARE c text;\nBEGIN\n\tFOR c IN SELECT conname FROM "
			    "pg_constraint WHERE conrelid = '");
	if (r >= 0)
		r = add_table_literal(b, p, e, table);
	if (r >= 0)
		r = buf_adds(b, "'::regclass AND contype = 'c' AND conkey = ARRAY[(SELECT attnum "
				"FROM pg_attribute WHERE attrelid = '");
	if (r >= 0)
		r = add_table_literal(b, p, e, table);
	if (r >= 0)
		r = buf_addf(b,
			     "'::regclass AND attname = '%s')] LOOP\n\t\tEXECUTE format('ALTER "
			     "TABLE ",
			     bare_identifier(column));
	if (r >= 0)
		r = add_table_literal(b, p, e, table);
	if (r >= 0)
		r = buf_adds(b, " DROP CONSTRAINT %I', c);\n\tEND LOOP;\nEND $$;\n");
	return r;
}

static int record_modify_column(struct planner *p, const struct entity *e, const char *table,
				const struct field *pf, const struct field *cf)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_buf_ struct buf t = BUF_INIT(BUF_MAX_DEFAULT);
	const char *col = field_column_name(cf), *kind = sql_type_kind(cf);
	int r;

	if (!pg(p)) {
		r = alter_table(&b, p, e, table);
		if (r >= 0)
			r = buf_adds(&b, "MODIFY COLUMN ");
		if (r >= 0)
			r = mysql_column_def(p, &b, cf, col);
		if (r >= 0)
			r = buf_adds(&b, ";\n");
	} else {
		size_t len;

		r = column_type(p, cf, &t);
		if (r < 0)
			return r;
		len = pg_type_len(&t);
		if (pf->type.kind == FIELD_TYPE_ENUM)
			r = pg_drop_column_checks(p, &b, e, table, col);
		if (r >= 0)
			r = alter_table(&b, p, e, table);
		if (r >= 0)
			r = buf_adds(&b, "ALTER COLUMN ");
		if (r >= 0)
			r = add_name(&b, p, col);
		if (r >= 0)
			r = buf_addf(&b, " TYPE %.*s USING ", (int)len, t.buf);
		if (r >= 0)
			r = add_name(&b, p, col);
		if (r >= 0)
			r = buf_addf(&b, "::%.*s,\nALTER COLUMN ", (int)len, t.buf);
		if (r >= 0)
			r = add_name(&b, p, col);
		if (r >= 0)
			r = buf_adds(&b, cf->type.nillable ? " DROP NOT NULL" : " SET NOT NULL");
		if (r >= 0 && pf->generated && !cf->generated) {
			r = buf_adds(&b, ",\nALTER COLUMN ");
			if (r >= 0)
				r = add_name(&b, p, col);
			if (r >= 0)
				r = buf_adds(&b, " DROP DEFAULT,\nALTER COLUMN ");
			if (r >= 0)
				r = add_name(&b, p, col);
			if (r >= 0)
				r = buf_adds(&b, " DROP IDENTITY IF EXISTS");
		} else if (r >= 0 && !pf->generated && cf->generated) {
			r = buf_adds(&b, ",\nALTER COLUMN ");
			if (r >= 0)
				r = add_name(&b, p, col);
			if (r >= 0)
				r = buf_adds(&b, " ADD GENERATED BY DEFAULT AS IDENTITY");
		}
		if (r >= 0 && len < t.len) {
			r = buf_adds(&b, ",\nADD");
			if (r >= 0)
				r = buf_add(&b, t.buf + len, t.len - len);
		}
		if (r >= 0)
			r = buf_adds(&b, ";\n");
	}
	if (r >= 0)
		r = stmt_add(p, G_MODIFY_COLUMN, table, &b);
	buf_reset(&t);
	if (r >= 0)
		r = add_type_text(&t, cf);
	if (r >= 0)
		r = diff_add(p, "Data type of column %s in table %s has changed to %s %s%s%s%s",
			     field_column_name(pf), table,
			     cf->type.nillable ? "optional" : "required", t.buf,
			     kind ? " with SQL type " : "", kind ? kind : "",
			     cf->generated ? " and will be generated by the database" : "");
	return r;
}

/* ---- difference detection ------------------------------------------------------------------- */

static bool relation_keys_differ(const struct relation *a, const struct relation *b,
				 bool *ret_only_columns)
{
	bool differ = a->n_keys != b->n_keys || !streq(mig_table(a->ref), mig_table(b->ref));
	bool only_columns = a->n_keys == b->n_keys && streq(mig_table(a->ref), mig_table(b->ref));

	for (size_t k = 0; k < MIN(a->n_keys, b->n_keys); k++) {
		const struct relation_key *x = &a->keys[k], *y = &b->keys[k];
		bool same_other =
			streq(x->fk_name, y->fk_name) &&
			streq(x->ref_key->name, y->ref_key->name) &&
			streq(field_column_name(x->ref_key), field_column_name(y->ref_key)) &&
			streq(x->ref_key->type.name, y->ref_key->type.name);
		bool same_column = streq(x->fk_column, y->fk_column);

		if (!same_other || !same_column)
			differ = true;
		/* A rename needs every key to differ in its column and in nothing else. */
		if (!same_other || same_column)
			only_columns = false;
	}
	*ret_only_columns = differ && only_columns;
	return differ;
}

static bool column_differs(const struct field *pf, const struct field *cf)
{
	return !streq(bare_identifier(pf->type.name), bare_identifier(cf->type.name)) ||
	       !streq_ptr(pf->type.module, cf->type.module) ||
	       !streq_ptr(pf->char_length, cf->char_length) ||
	       !streq_ptr(pf->varchar_length, cf->varchar_length) ||
	       !streq_ptr(pf->decimal_precision, cf->decimal_precision) ||
	       !streq_ptr(pf->decimal_scale, cf->decimal_scale) ||
	       pf->type.nillable != cf->type.nillable || pf->generated != cf->generated;
}

static int compare_field(struct planner *p, const struct entity *pe, const struct entity *ce,
			 const struct field *pf)
{
	const char *ptable = mig_table(pe), *ctable = mig_table(ce);
	const struct field *cf = find_field(ce, pf->name);
	int r = 0;

	/* A field that turned from a column into a relation or back is a removal and an
	 * addition; upstream never meets it in a valid model pair. */
	if (cf && is_relation(pf) != is_relation(cf))
		cf = NULL;
	if (!cf) {
		if (!is_relation(pf)) {
			r = record_drop_column(p, pe, ptable, field_column_name(pf));
			if (r >= 0)
				r = diff_add(p, "Column %s has been removed from table %s",
					     field_column_name(pf), ptable);
		} else if (is_owner(pf)) {
			r = record_drop_fk(p, pe, ptable, pf);
			if (r >= 0)
				r = diff_add(p, "Relation %s has been removed from table %s",
					     pf->name, ptable);
		}
		return r;
	}

	if (is_relation(pf)) {
		bool only_columns = false;

		if (!is_owner(cf)) {
			/* The foreign key moved to the other side or went away. */
			if (is_owner(pf)) {
				r = record_drop_fk(p, ce, ctable, pf);
				if (r >= 0)
					r = diff_add(p,
						     "Relation %s has been removed from table %s",
						     pf->name, ctable);
			}
			return r;
		}
		if (!is_owner(pf))
			return record_add_fk(p, ce, ctable, cf);
		if (!relation_keys_differ(pf->relation, cf->relation, &only_columns))
			return 0;
		if (only_columns) {
			for (size_t k = 0; r >= 0 && k < cf->relation->n_keys; k++)
				r = record_rename_column(p, ce, ctable,
							 pf->relation->keys[k].fk_column,
							 cf->relation->keys[k].fk_column);
			return r;
		}
		r = diff_add(p, "Relation %s in table %s has changed", pf->name, ctable);
		if (r >= 0)
			r = record_drop_fk(p, ce, ctable, pf);
		if (r >= 0)
			r = diff_add(p, "Relation %s has been removed from table %s", pf->name,
				     ctable);
		if (r >= 0)
			r = record_add_fk(p, ce, ctable, cf);
		return r;
	}

	if (!streq(field_column_name(pf), field_column_name(cf)))
		r = record_rename_column(p, ce, ctable, field_column_name(pf),
					 field_column_name(cf));
	if (r >= 0 && column_differs(pf, cf))
		r = record_modify_column(p, ce, ctable, pf, cf);
	if (r >= 0 && !pf->readonly && cf->readonly)
		r = record_pk_change(p, ctable);
	return r;
}

static int add_field(struct planner *p, const struct entity *ce, const struct field *cf)
{
	const char *table = mig_table(ce);
	_cleanup_buf_ struct buf t = BUF_INIT(BUF_MAX_DEFAULT);
	int r;

	if (is_relation(cf))
		return is_owner(cf) ? record_add_fk(p, ce, table, cf) : 0;
	r = record_add_column(p, ce, table, cf, field_column_name(cf), false);
	if (r >= 0)
		r = add_type_text(&t, cf);
	if (r >= 0)
		r = diff_add(p, "Column %s of type %s has been added to table %s%s",
			     field_column_name(cf), t.buf, table,
			     cf->readonly ? " as a primary key" : "");
	if (r >= 0 && cf->readonly)
		r = record_pk_change(p, table);
	return r;
}

static int compare_entity(struct planner *p, const struct entity *pe)
{
	const struct entity *ce = find_entity(p->cur, pe->name);
	const char *ptable = mig_table(pe);
	int r = 0;

	if (!ce) {
		_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
		r = buf_adds(&b, "DROP TABLE ");
		if (r >= 0)
			r = add_table(&b, p, pe, ptable);
		/* Tables that still reference it lose their constraints here; their relation
		 * fields are gone from the model too, and their columns go further down. */
		if (r >= 0)
			r = buf_adds(&b, pg(p) ? " CASCADE;\n" : ";\n");
		if (r >= 0)
			r = stmt_add(p, G_DROP_TABLE, ptable, &b);
		if (r >= 0)
			r = list_add(&p->dropped, &p->n_dropped, &p->alloc_dropped, ptable);
		if (r >= 0)
			r = diff_add(p, "Table %s has been removed", ptable);
		return r;
	}
	if (!streq(ptable, mig_table(ce))) {
		_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
		if (pg(p)) {
			r = buf_adds(&b, "ALTER TABLE ");
			if (r >= 0)
				r = add_table(&b, p, pe, ptable);
			if (r >= 0)
				r = buf_adds(&b, " RENAME TO ");
			if (r >= 0)
				r = add_name(&b, p, mig_table(ce));
			if (r >= 0)
				r = buf_adds(&b, ";\n");
		} else {
			r = buf_addf(&b, "RENAME TABLE %s TO %s;\n", ptable, mig_table(ce));
		}
		if (r >= 0)
			r = stmt_add(p, G_RENAME_TABLE, ptable, &b);
		if (r >= 0)
			r = list_add(&p->renamed_to, &p->n_renamed_to, &p->alloc_renamed_to,
				     mig_table(ce));
		if (r >= 0)
			r = diff_add(p, "Table %s has been renamed to %s", ptable, mig_table(ce));
	}
	if (r >= 0 && pe->n_keys > ce->n_keys)
		r = record_pk_change(p, mig_table(ce));
	for (size_t i = 0; r >= 0 && i < pe->n_fields; i++)
		if (is_extracted(pe->fields[i]))
			r = compare_field(p, pe, ce, pe->fields[i]);
	for (size_t i = 0; r >= 0 && i < ce->n_fields; i++) {
		const struct field *cf = ce->fields[i];
		if (is_extracted(cf) && !find_field(pe, cf->name))
			r = add_field(p, ce, cf);
	}
	return r;
}

/* The CREATE TABLE statement generate writes for table e of the current model. */
static int record_create_table(struct planner *p, const struct gen_sql_statements *creates,
			       const struct entity *e)
{
	_cleanup_buf_ struct buf prefix = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	const char *bare = bare_identifier(mig_table(e));
	int r;

	if (pg(p) && e->schema && *e->schema)
		r = buf_addf(&prefix, "\nCREATE TABLE %s.\"%s\" (\n", e->schema, bare);
	else
		r = buf_addf(&prefix,
			     pg(p) ? "\nCREATE TABLE \"%s\" (\n" : "\nCREATE TABLE `%s` (\n", bare);
	if (r < 0)
		return r;
	for (size_t i = 0; i < creates->n; i++) {
		const struct gen_sql_statement *s = &creates->items[i];
		if (s->kind != GEN_SQL_CREATE || s->len < prefix.len ||
		    memcmp(s->text, prefix.buf, prefix.len) != 0)
			continue;
		r = buf_add(&b, s->text, s->len);
		if (r >= 0)
			r = buf_addc(&b, '\n');
		if (r >= 0)
			r = stmt_add(p, G_CREATE_TABLE, mig_table(e), &b);
		if (r >= 0)
			r = list_add(&p->created, &p->n_created, &p->alloc_created, mig_table(e));
		if (r >= 0)
			r = diff_add(p, "Table %s has been added", mig_table(e));
		return r;
	}
	pd_error_set(p->reterr, NULL, 0, 0, 0,
		     "failed to generate create table query: no table '%s' in the model",
		     mig_table(e));
	return -EINVAL;
}

/* ---- indexes -------------------------------------------------------------------------------- */

struct table_indexes {
	const struct entity *e;
	struct index_def *items;
	size_t n;
};

/* Per model, table → its index list in first-seen order (codegen.md §7.4), for entities that
 * have any. */
static int collect_indexes(const struct model_file *mf, bool unique, struct table_indexes **ret,
			   size_t *ret_n)
{
	struct table_indexes *t = new0(struct table_indexes, mf->n_entities + 1);
	size_t n = 0;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		struct index_def *defs = NULL;
		size_t n_defs = 0, alloc = 0;
		bool dup = false;

		for (size_t k = 0; k < n; k++)
			dup = dup || streq(mig_table(t[k].e), mig_table(e));
		if (dup)
			continue;
		for (size_t f = 0; f < e->n_fields; f++) {
			const struct field *fl = e->fields[f];
			const char **names = unique ? fl->unique_index_names : fl->index_names;
			size_t n_names = unique ? fl->n_unique_index_names : fl->n_index_names;

			for (size_t k = 0; k < n_names; k++) {
				size_t g;
				for (g = 0; g < n_defs; g++)
					if (streq(defs[g].name, names[k]))
						break;
				if (g == n_defs) {
					if (GROW(defs, alloc, n_defs + 1) < 0) {
						mem_free(defs);
						for (size_t q = 0; q < n; q++)
							mem_free(t[q].items);
						mem_free(t);
						return -ENOMEM;
					}
					defs[n_defs++] = (struct index_def){ .name = names[k] };
				}
				if (defs[g].n_fields < MAX_INDEX_COLUMNS)
					defs[g].fields[defs[g].n_fields++] = fl;
			}
		}
		if (n_defs > 0)
			t[n++] = (struct table_indexes){ .e = e, .items = defs, .n = n_defs };
	}
	*ret = t;
	*ret_n = n;
	return 0;
}

static void free_indexes(struct table_indexes *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mem_free(t[i].items);
	mem_free(t);
}

static const struct table_indexes *find_indexes(const struct table_indexes *t, size_t n,
						const char *table)
{
	for (size_t i = 0; i < n; i++)
		if (streq(mig_table(t[i].e), table))
			return &t[i];
	return NULL;
}

static const struct index_def *find_index(const struct table_indexes *t, const char *name)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (streq(t->items[i].name, name))
			return &t->items[i];
	return NULL;
}

static int record_drop_index(struct planner *p, const struct entity *e, const char *table,
			     const struct index_def *x)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	int r = buf_adds(&b, "DROP INDEX ");

	if (r >= 0 && pg(p) && e->schema && *e->schema)
		r = buf_addf(&b, "%s.", e->schema);
	if (r >= 0)
		r = add_name(&b, p, x->name);
	if (r >= 0 && !pg(p))
		r = buf_addf(&b, " ON %s", table);
	if (r >= 0)
		r = buf_adds(&b, ";\n");
	if (r >= 0)
		r = stmt_add(p, G_DROP_INDEX, table, &b);
	if (r >= 0)
		r = diff_add(p, "Index %s has been removed from table %s", x->name, table);
	return r;
}

static int record_create_index(struct planner *p, const struct entity *e, const char *table,
			       const struct index_def *x, bool unique)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	_cleanup_buf_ struct buf cols = BUF_INIT(BUF_MAX_DEFAULT);
	const char *names[MAX_INDEX_COLUMNS];
	int r;

	for (size_t i = 0; i < x->n_fields; i++)
		names[i] = field_column_name(x->fields[i]);
	r = buf_adds(&b, unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
	if (r >= 0)
		r = add_name(&b, p, x->name);
	if (r >= 0)
		r = buf_adds(&b, " ON ");
	if (r >= 0)
		r = add_table(&b, p, e, table);
	if (r >= 0)
		r = buf_adds(&b, pg(p) ? " (" : "(");
	if (r >= 0)
		r = add_names(&b, p, names, x->n_fields);
	if (r >= 0)
		r = buf_adds(&b, ");\n");
	if (r >= 0)
		r = stmt_add(p, G_CREATE_INDEX, table, &b);
	for (size_t i = 0; r >= 0 && i < x->n_fields; i++)
		r = buf_addf(&cols, "%s%s", i ? ", " : "", names[i]);
	if (r >= 0)
		r = diff_add(p, "Index %s on column(s) %s has been added to table %s", x->name,
			     cols.buf, table);
	return r;
}

static bool index_changed(const struct index_def *a, const struct index_def *b)
{
	if (a->n_fields != b->n_fields)
		return true;
	for (size_t i = 0; i < a->n_fields; i++)
		if (!streq(a->fields[i]->name, b->fields[i]->name))
			return true;
	return false;
}

static int compare_indexes(struct planner *p, bool unique)
{
	struct table_indexes *pi = NULL, *ci = NULL;
	size_t n_pi = 0, n_ci = 0;
	int r;

	r = collect_indexes(p->prev, unique, &pi, &n_pi);
	if (r >= 0)
		r = collect_indexes(p->cur, unique, &ci, &n_ci);
	for (size_t i = 0; r >= 0 && i < n_pi; i++) {
		const char *table = mig_table(pi[i].e);
		const struct table_indexes *cur = find_indexes(ci, n_ci, table);

		if (in_list(p->dropped, p->n_dropped, table))
			continue;
		for (size_t k = 0; r >= 0 && k < pi[i].n; k++) {
			const struct index_def *now = find_index(cur, pi[i].items[k].name);
			if (now && !index_changed(&pi[i].items[k], now))
				continue;
			r = record_drop_index(p, pi[i].e, table, &pi[i].items[k]);
			if (r >= 0 && now)
				r = record_create_index(p, cur->e, table, now, unique);
		}
	}
	for (size_t i = 0; r >= 0 && i < n_ci; i++) {
		const char *table = mig_table(ci[i].e);
		const struct table_indexes *prev = find_indexes(pi, n_pi, table);

		for (size_t k = 0; r >= 0 && k < ci[i].n; k++)
			if (!find_index(prev, ci[i].items[k].name))
				r = record_create_index(p, ci[i].e, table, &ci[i].items[k], unique);
	}
	free_indexes(pi, n_pi);
	free_indexes(ci, n_ci);
	return r;
}

/* ---- emission ------------------------------------------------------------------------------- */

static int plan_push(struct migrate_plan *plan, struct buf *b)
{
	char *s;

	if (GROW(plan->statements, plan->alloc_statements, plan->n_statements + 1) < 0)
		return -ENOMEM;
	s = buf_detach(b, NULL);
	if (!s)
		return -ENOMEM;
	plan->statements[plan->n_statements++] = s;
	return 0;
}

static int emit_group(struct planner *p, struct group *g, bool keyed)
{
	_cleanup_free_ size_t *order = NULL;
	int r = 0;

	if (!keyed) {
		for (size_t i = 0; r >= 0 && i < g->n; i++) {
			_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
			r = buf_adds(&b, g->items[i].text);
			if (r >= 0)
				r = plan_push(p->plan, &b);
		}
		return r;
	}
	order = new0(size_t, g->n_keys + 1);
	if (!order)
		return -ENOMEM;
	gen_java_hashmap_order(g->keys, g->n_keys, order);
	for (size_t k = 0; r >= 0 && k < g->n_keys; k++)
		for (size_t i = 0; r >= 0 && i < g->n; i++) {
			_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
			if (g->items[i].key != order[k])
				continue;
			r = buf_adds(&b, g->items[i].text);
			if (r >= 0)
				r = plan_push(p->plan, &b);
		}
	return r;
}

static int pg_drop_pk(struct planner *p, struct buf *b, const struct entity *e, const char *table)
{
	int r = buf_adds(b, "DO $$\nDECLARE pk text;\nBEGIN\n\tSELECT conname INTO pk FROM "
			    "pg_constraint WHERE conrelid = '");
	if (r >= 0)
		r = add_table_literal(b, p, e, table);
	if (r >= 0)
		r = buf_adds(b, "'::regclass AND contype = 'p';\n\tIF pk IS NOT NULL THEN\n\t\t"
				"EXECUTE format('ALTER TABLE ");
	if (r >= 0)
		r = add_table_literal(b, p, e, table);
	if (r >= 0)
		r = buf_adds(b, " DROP CONSTRAINT %I', pk);\n\tEND IF;\nEND $$;\n");
	return r;
}

/* The primary-key set: drop (group 3) or add (group 9), in HashSet order, skipping the
 * tables created here; adding also skips tables the current model does not have. */
static int emit_pk(struct planner *p, bool add)
{
	struct group *g = &p->g[G_DROP_PK];
	_cleanup_free_ size_t *order = new0(size_t, g->n_keys + 1);
	int r = 0;

	if (!order)
		return -ENOMEM;
	gen_java_hashmap_order(g->keys, g->n_keys, order);
	for (size_t k = 0; r >= 0 && k < g->n_keys; k++) {
		const char *table = g->keys[order[k]];
		const struct entity *e = find_entity_by_table(p->cur, table);
		_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);

		if (in_list(p->created, p->n_created, table))
			continue;
		if (!add) {
			r = pg(p) ? pg_drop_pk(p, &b, e, table) : 0;
			if (r >= 0 && !pg(p))
				r = buf_addf(&b, "ALTER TABLE %s\nDROP PRIMARY KEY;\n", table);
		} else {
			const char *keys[64];
			size_t n;

			if (!e)
				continue;
			if (e->n_keys > ELEMENTSOF(keys))
				return -E2BIG;
			n = e->n_keys;
			for (size_t i = 0; i < n; i++)
				keys[i] = field_column_name(e->keys[i]);
			r = alter_table(&b, p, e, table);
			if (r >= 0)
				r = buf_adds(&b, "ADD PRIMARY KEY (");
			if (r >= 0)
				r = add_names(&b, p, keys, n);
			if (r >= 0)
				r = buf_adds(&b, ");\n");
		}
		if (r >= 0)
			r = plan_push(p->plan, &b);
	}
	return r;
}

/* PostgreSQL runs the statements as written, so where upstream's order would fail there it
 * differs: a renamed table has its new name before a new table references it, new tables come
 * in generate's order (referenced tables first), and a referenced key changes its type
 * before a foreign key is added on it (the server checks the types). */
static const enum group_id pg_order[_G_MAX] = {
	G_DROP_TABLE,	G_DROP_FK,	 G_DROP_PK,	 G_DROP_COLUMN,	  G_RENAME_TABLE,
	G_CREATE_TABLE, G_RENAME_COLUMN, G_ADD_COLUMN,	 G_MODIFY_COLUMN, G_ADD_PK,
	G_ADD_FK,	G_DROP_INDEX,	 G_CREATE_INDEX,
};

/* The position of a recorded CREATE TABLE in generate's statement list. */
static size_t create_rank(const struct stmt *st, const struct gen_sql_statements *creates)
{
	size_t len = strlen(st->text);

	for (size_t i = 0; i < creates->n; i++)
		if (creates->items[i].len + 1 == len &&
		    memcmp(creates->items[i].text, st->text, creates->items[i].len) == 0)
			return i;
	return SIZE_MAX;
}

static void sort_creates(struct group *g, const struct gen_sql_statements *creates)
{
	for (size_t i = 1; i < g->n; i++) {
		struct stmt cur = g->items[i];
		size_t rank = create_rank(&cur, creates), j = i;

		while (j > 0 && create_rank(&g->items[j - 1], creates) > rank) {
			g->items[j] = g->items[j - 1];
			j--;
		}
		g->items[j] = cur;
	}
}

void migrate_plan_release(struct migrate_plan *p)
{
	for (size_t i = 0; i < p->n_differences; i++)
		mem_free(p->differences[i]);
	for (size_t i = 0; i < p->n_statements; i++)
		mem_free(p->statements[i]);
	mem_free(p->differences);
	mem_free(p->statements);
	*p = (struct migrate_plan){ 0 };
}

static void planner_release(struct planner *p)
{
	for (size_t i = 0; i < _G_MAX; i++)
		group_release(&p->g[i]);
	mem_free(p->dropped);
	mem_free(p->created);
	mem_free(p->renamed_to);
}

int migrate_plan_build(const struct model_file *prev, const struct model_file *cur,
		       enum datastore d, struct migrate_plan *ret, struct pd_error *reterr)
{
	_cleanup_(gen_sql_statements_release) struct gen_sql_statements creates = { 0 };
	_cleanup_(migrate_plan_releasep) struct migrate_plan plan = { 0 };
	struct pd_error err = { 0 };
	char etext[128];
	struct planner p = { .d = d, .prev = prev, .cur = cur, .plan = &plan, .reterr = &err };
	int r;

	if (d != DATASTORE_MYSQL && d != DATASTORE_POSTGRESQL)
		return -EINVAL;

	for (size_t i = 0; i < prev->n_entities; i++) {
		r = compare_entity(&p, prev->entities[i]);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; i < cur->n_entities; i++) {
		const struct entity *e = cur->entities[i];
		/* An entity flagged unsupported has no table in script.sql either. */
		if (e->unsupported || find_entity(prev, e->name) ||
		    in_list(p.renamed_to, p.n_renamed_to, mig_table(e)))
			continue;
		if (creates.n == 0) {
			r = gen_sql_statements(cur, d, &creates);
			if (r < 0) {
				pd_error_set(&err, NULL, 0, 0, 0,
					     "failed to generate create table query: %s",
					     r == -EINVAL ? "unsupported column type"
							  : errno_text(r, etext, sizeof(etext)));
				goto fail;
			}
		}
		r = record_create_table(&p, &creates, e);
		if (r < 0)
			goto fail;
	}
	r = compare_indexes(&p, false);
	if (r >= 0)
		r = compare_indexes(&p, true);

	if (r >= 0 && pg(&p))
		sort_creates(&p.g[G_CREATE_TABLE], &creates);
	for (size_t i = 0; r >= 0 && i < _G_MAX; i++) {
		enum group_id g = pg(&p) ? pg_order[i] : (enum group_id)i;
		if (g == G_DROP_PK || g == G_ADD_PK)
			r = emit_pk(&p, g == G_ADD_PK);
		else
			r = emit_group(&p, &p.g[g], group_keyed[g]);
	}
	if (r < 0)
		goto fail;
	planner_release(&p);
	*ret = plan;
	plan = (struct migrate_plan){ 0 };
	return 0;
fail:
	planner_release(&p);
	if (reterr) {
		if (err.text[0])
			*reterr = err;
		else
			pd_error_set(reterr, NULL, 0, 0, 0, "%s",
				     errno_text(r, etext, sizeof(etext)));
	}
	return r;
}

int migrate_plan_script(const struct migrate_plan *p, struct buf *out)
{
	int r = buf_adds(out,
			 "-- AUTO-GENERATED FILE.\n"
			 "-- This file is an auto-generated file by Ballerina persistence layer "
			 "for the migrate command.\n"
			 "-- Please verify the generated scripts and execute them against the "
			 "target DB server.\n\n");

	for (size_t i = 0; r >= 0 && i < p->n_statements; i++) {
		r = buf_adds(out, p->statements[i]);
		if (r >= 0)
			r = buf_addc(out, '\n');
	}
	return r;
}

/* ---- extraction ----------------------------------------------------------------------------- */

int migrate_check_extractable(const struct model_file *mf, struct pd_error *reterr)
{
	bool any_supported = false;

	/* Upstream reads enums first, and that pass is the one that misses the import. */
	if (!mf->has_persist_import) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "no `import ballerina/persist as _;` statement found.");
		return -EBADMSG;
	}
	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		any_supported |= !e->unsupported;
		for (size_t k = 0; k < e->n_fields; k++)
			if (e->fields[k]->type.kind == FIELD_TYPE_OTHER) {
				pd_error_set(reterr, NULL, 0, 0, 0,
					     "unsupported data type found for the field `%s`",
					     e->fields[k]->name);
				return -EBADMSG;
			}
	}
	for (size_t i = 0; i < mf->n_relations; i++) {
		const struct relation *rel = mf->relations[i];
		if (rel->kind == RELATION_MANY_TO_MANY) {
			pd_error_set(reterr, NULL, 0, 0, 0,
				     "unsupported many to many relation between %s and %s",
				     rel->owner->name, rel->ref->name);
			return -EBADMSG;
		}
	}
	if (!any_supported) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "all entities contain at least one unsupported data type.");
		return -EBADMSG;
	}
	return 0;
}
