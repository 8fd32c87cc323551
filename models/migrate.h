/* Schema migrations between model versions (reference/migrate.md): `persist migrate <label>` and
 * POST /models/{m}/migrate. A migration directory <migrations dir>/<yyyyMMddHHmmss>_<label>/
 * holds script.sql and a copy of the model it brings the database up to.
 *
 * Two layers: migrate_plan_build() compares two parsed models and produces the differences and
 * the statements (pure, no files), and migrate_model() does the whole command against a project
 * directory. MySQL output is upstream's byte for byte; PostgreSQL (persistd only) detects the
 * same differences and writes statements that PostgreSQL accepts. Nothing here prints: upstream's
 * messages come back in the result or in reterr.
 *
 * Where persistd deliberately differs from upstream 1.9.1 (migrate.md §7):
 *  - an enum column that is added or modified gets its enum type instead of upstream's
 *    "data type conversion failed" and a missing statement;
 *  - several migration directories, one not named <yyyyMMddHHmmss>_<label>: an error naming it
 *    (upstream crashes); the listing is taken in name order, not the file system's;
 *  - the label must be one path component, and an existing directory is not overwritten;
 *  - a failure writes nothing (upstream leaves an empty migrations or label directory);
 *  - the model copy is always model.bal;
 *  - a field that turns from a column into a relation (or back) is a removal and an addition,
 *    and a relation whose referenced table changes is rebuilt like one whose keys change.
 * PostgreSQL: identifiers are quoted as in its CREATE TABLE; a foreign key is dropped with its
 * columns and a primary key by looking its name up, since the server names both; a 1-1 foreign
 * key is added unique, as CREATE TABLE makes it; and the statement order differs where
 * upstream's would fail on the server (renamed tables before new ones, new tables in
 * dependency order, column changes before keys are added). */
#ifndef MODELS_MIGRATE_H
#define MODELS_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/macro.h"
#include "models/datastore.h"
#include "models/fileset.h"

struct model_file;

/* ---- difference detection (models/migrate-diff.c) ------------------------------------------- */

struct migrate_plan {
	/* Upstream's difference texts ("Table Car has been removed"), in recording order. */
	char **differences;
	size_t n_differences, alloc_differences;
	/* Statements in script order, each ending in one line separator (migrate.md §5.2). */
	char **statements;
	size_t n_statements, alloc_statements;
};

/* Compare prev with cur (both as model_parse() returned them; neither needs to validate) and
 * plan the statements for d (DATASTORE_MYSQL or DATASTORE_POSTGRESQL; anything else is
 * -EINVAL). A column whose type has no SQL equivalent is -EINVAL with upstream's
 * "data type conversion failed: ..." text in reterr. */
_must_check_ int migrate_plan_build(const struct model_file *prev, const struct model_file *cur,
				    enum datastore d, struct migrate_plan *ret,
				    struct pd_error *reterr);
void migrate_plan_release(struct migrate_plan *p);
static inline void migrate_plan_releasep(struct migrate_plan *p)
{
	migrate_plan_release(p);
}

/* script.sql of a subsequent migration: the header of migrate.md §5.4, then every statement
 * followed by one more line separator. */
_must_check_ int migrate_plan_script(const struct migrate_plan *p, struct buf *out);

/* Extraction as migrate runs it (no validation, model-language.md §1): the failures upstream's
 * entity reader reports, with its message in reterr (without the "Error getting entities: "
 * prefix). -EBADMSG. */
_must_check_ int migrate_check_extractable(const struct model_file *mf, struct pd_error *reterr);

/* ---- the command (models/migrate.c) --------------------------------------------------------- */

struct migrate_options {
	const char *label; /* the migration label; must be one path component */
	const char *model; /* --model (name or path), NULL when absent */
	const char *datastore; /* NULL: "mysql"; "postgresql" is persistd's own extension */
	unsigned resolve_flags; /* RESOLVE_* of models/project.h */
	/* How messages spell the project directory: the path from the caller's working directory
	 * to the project ("" or NULL when they are the same), as upstream prints the migration
	 * directory relative to the working directory. */
	const char *display_dir;
	time_t now; /* the directory's timestamp (UTC); 0: the current time */
};

struct migrate_result {
	/* The migration directory created, relative to the project ("persist/migrations/
	 * 20260212083656_first"); "" when there was no difference and nothing was written. */
	char directory[4096];
	bool first; /* the migrations directory did not exist: a first migration */
	char model_path[256]; /* the model file migrated, relative to the project */
	/* The files written (paths relative to the project), script.sql first. */
	struct fileset files;
	/* The differences found (for a first migration: the added tables, entity names). */
	char **differences;
	size_t n_differences;
	/* Upstream's output after its experimental notice, one message per line: the
	 * difference list and the "Generated migration script ..." / "Next steps" texts. */
	struct buf messages;
};

void migrate_result_release(struct migrate_result *r);
static inline void migrate_result_releasep(struct migrate_result *r)
{
	migrate_result_release(r);
}

/* The notice upstream prints before anything else (migrate.md §1), without line breaks. */
#define MIGRATE_EXPERIMENTAL_NOTICE                                                         \
	"WARNING The support for migrations is currently an experimental feature, and its " \
	"behavior may be subject to change in future releases."

/* The whole command: validate the project, resolve the model, find the previous migration,
 * compare, and write <migrations dir>/<ts>_<label>/{script.sql,model.bal} (all files or
 * none). *ret is written on success, including the no-difference case (directory ""). On
 * failure reterr->text holds the complete line upstream prints ("Error: ...", "ERROR: ...",
 * "Error getting entities: ..."), and nothing was written. Errors: the project's own
 * (project_validate, project_resolve), -EINVAL for a bad datastore or label, -ENOENT for a
 * missing model file or previous model, -EBADMSG when a model cannot be extracted or a
 * migration directory name does not parse, -EEXIST when the new directory exists, -ENOMEM,
 * I/O errors. */
_must_check_ int migrate_model(const char *project_dir, const struct migrate_options *o,
			       struct migrate_result *ret, struct pd_error *reterr);

#endif
