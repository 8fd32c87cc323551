/* Database introspection into model text, as upstream `bal persist pull` writes it
 * (reference/introspection.md).
 *
 * A connector reads the catalog of one database into a struct db_catalog, row by row, with the
 * db_catalog_add_* functions: the five row sets of introspection.md §2 (tables, columns,
 * foreign keys, indexes, enums) under upstream's normalised names. Nothing here knows a client
 * library, so the mapping is tested on recorded rows (MSSQL included, which has no connector).
 * introspect_model() then selects tables (--tables and the foreign-key closure, §5), maps them
 * to entities, fields, enums and relations (§3, §4) and writes the formatted model file.
 * Everything a user should see (INFO and WARNING lines) is collected in a message buffer; this
 * layer prints nothing. */
#ifndef MODELS_INTROSPECT_H
#define MODELS_INTROSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/macro.h"
#include "models/arena.h"
#include "models/datastore.h"

/* A number column that was SQL NULL. */
#define DB_NULL INT64_MIN

struct db_column {
	const char *name;
	const char *data_type; /* as the catalog reports it; upper-cased by the mapper */
	const char *full_data_type;
	int64_t char_max_length; /* DB_NULL when NULL */
	int64_t numeric_precision; /* DB_NULL when NULL */
	int64_t numeric_scale; /* DB_NULL when NULL */
	const char *column_default; /* NULL when NULL */
	bool nullable; /* is_nullable = "YES" */
	bool key; /* column_key = "PRI" */
	bool generated; /* dbgenerated */
	const char *check_constraint; /* NULL when none */
};

struct db_fk_column {
	const char *column;
	const char *referenced_column;
};

/* One foreign-key constraint: its rows grouped by name in first-appearance order. */
struct db_foreign_key {
	const char *name;
	const char *referenced_table;
	struct db_fk_column *columns;
	size_t n_columns, alloc_columns;
};

/* One non-primary index: its rows grouped by name in first-appearance order. */
struct db_index {
	const char *name;
	bool unique;
	const char **columns;
	size_t n_columns, alloc_columns;
};

struct db_table {
	const char *name;
	struct db_column *columns;
	size_t n_columns, alloc_columns;
	struct db_foreign_key *fks;
	size_t n_fks, alloc_fks;
	struct db_index *indexes;
	size_t n_indexes, alloc_indexes;
};

struct db_enum_row {
	const char *table;
	const char *column;
	const char *full_enum_type;
};

/* What a connector's introspect slot returns (connectors/connector.h). */
struct db_catalog {
	struct arena arena; /* every string and array below */
	enum datastore dialect; /* DATASTORE_MYSQL, DATASTORE_POSTGRESQL or DATASTORE_MSSQL */
	struct db_table *tables; /* in the tables query's order */
	size_t n_tables, alloc_tables;
	struct db_enum_row *enums; /* whole database, in the enum query's order */
	size_t n_enums, alloc_enums;
};

_must_check_ int db_catalog_new(enum datastore dialect, struct db_catalog **ret);
struct db_catalog *db_catalog_free(struct db_catalog *cat);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct db_catalog *, db_catalog_free);

/* The table named name (exact, case-sensitive), NULL when there is none. */
const struct db_table *db_catalog_table(const struct db_catalog *cat, const char *name);

/* One row of the tables query; a name seen before is ignored. */
_must_check_ int db_catalog_add_table(struct db_catalog *cat, const char *name);
/* One row of the columns query, appended to its table in row order (rows of tables not in the
 * catalog are dropped). Strings are copied. */
_must_check_ int db_catalog_add_column(struct db_catalog *cat, const char *table,
				       const struct db_column *col);
/* One row of the foreign-key query. */
_must_check_ int db_catalog_add_fk(struct db_catalog *cat, const char *table,
				   const char *constraint, const char *column,
				   const char *referenced_table, const char *referenced_column);
/* One row of the index query. */
_must_check_ int db_catalog_add_index(struct db_catalog *cat, const char *table, const char *index,
				      const char *column, bool unique);
/* One row of the enum query. */
_must_check_ int db_catalog_add_enum(struct db_catalog *cat, const char *table, const char *column,
				     const char *full_enum_type);

/* Names (introspection.md §6); each appends to out. */
_must_check_ int introspect_singularize(const char *word, struct buf *out);
_must_check_ int introspect_pascal_case(const char *name, bool singular, struct buf *out);
_must_check_ int introspect_camel_case(const char *name, struct buf *out);
_must_check_ int introspect_upper_snake_case(const char *name, struct buf *out);

/* Table selection (--tables=a,b; introspection.md §5.1). */
struct introspect_selection {
	bool all; /* every table: no --tables */
	const char *const *names; /* otherwise: the names, already split and trimmed */
	size_t n_names;
};

/* Split a --tables value on ',' with each name trimmed and empty ones dropped. *ret and its
 * strings are one allocation (mem_free); -ENOMEM. */
_must_check_ int introspect_split_tables(const char *value, char ***ret, size_t *ret_n);

/* Map the catalog to the model file text (appended to out), upstream's INFO and WARNING lines
 * (each ending in '\n') appended to messages, and the number of entities to *ret_entities (may
 * be NULL). Failures are -EBADMSG with the full text upstream prints after "ERROR: " in reterr:
 * "failed to introspect database: bal persist does not support foreign key references to
 * unique keys." or "failed to generate model for introspected database: No entities found in
 * the database. ..."; -ENOMEM. */
_must_check_ int introspect_model(const struct db_catalog *cat,
				  const struct introspect_selection *sel, struct buf *out,
				  struct buf *messages, size_t *ret_entities,
				  struct pd_error *reterr);

#endif
