/* The set of files generate writes for one model and datastore (reference/codegen.md §1). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "base/buf.h"
#include "base/strutil.h"
#include "models/ast.h"
#include "models/gen.h"

typedef int gen_fn(const struct model_file *mf, const struct gen_options *o, struct buf *out);

static int add_generated(struct fileset *files, const char *out_dir, const char *name, gen_fn *fn,
			 const struct model_file *mf, const struct gen_options *o, unsigned flags)
{
	_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
	char path[PATH_MAX];
	int r;

	r = snprintf_checked(path, sizeof(path), "%s%s%s", out_dir, *out_dir ? "/" : "", name);
	if (r < 0)
		return r;
	r = fn(mf, o, &b);
	if (r < 0)
		return r;
	return fileset_add_buf(files, path, &b, flags);
}

static int sql_script(const struct model_file *mf, const struct gen_options *o, struct buf *out)
{
	return gen_sql_script(mf, o->datastore, o->model_name ? o->model_name : "model", out);
}

/* The first field whose type has no SQL column type (codegen.md §7.2), reported with upstream's
 * message before anything is generated. */
static int check_sql_types(const struct model_file *mf, enum datastore d, struct pd_error *reterr)
{
	for (size_t i = 0; i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		if (e->unsupported)
			continue;
		for (size_t k = 0; k < e->n_fields; k++) {
			const struct field *f = e->fields[k];
			_cleanup_buf_ struct buf b = BUF_INIT(4096);
			int r;

			if (f->type.kind == FIELD_TYPE_ENTITY || f->fk_of)
				continue;
			r = gen_sql_column_type(f, d, &b);
			if (r == -EINVAL) {
				pd_error_set(
					reterr, mf->file, f->type.pos.line, f->type.pos.column,
					f->type.pos.offset,
					"couldn't find equivalent SQL type for the field type: %s",
					f->type.text);
				return r;
			}
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int gen_model(const struct model_file *mf, const struct gen_options *o, const char *out_dir,
	      const char *config_toml, size_t config_toml_len, unsigned parts,
	      struct fileset *files, struct pd_error *reterr)
{
	enum datastore d = o->datastore;
	bool sql = datastore_is_sql(d);
	int r;

	if (parts & GEN_PART_MAIN) {
		if (sql) {
			r = check_sql_types(mf, d, reterr);
			if (r < 0)
				return r;
		}
		/* Order of codegen.md §1: configuration, Config.toml, types, client, script. The
		 * configuration file is never overwritten, and not written at all with init
		 * params (the client then takes the connection parameters itself). */
		if (!o->with_init_params &&
		    (sql || d == DATASTORE_REDIS || d == DATASTORE_GOOGLESHEETS)) {
			r = add_generated(files, out_dir,
					  d == DATASTORE_GOOGLESHEETS ? "persist_sheet_config.bal"
								      : "persist_db_config.bal",
					  gen_db_config, mf, o, FILESET_KEEP_EXISTING);
			if (r < 0)
				return r;
		}
		if (!o->with_init_params || d == DATASTORE_GOOGLESHEETS || d == DATASTORE_REDIS) {
			_cleanup_buf_ struct buf b = BUF_INIT(BUF_MAX_DEFAULT);
			r = gen_config_toml(config_toml, config_toml_len, d, o->module_name, &b,
					    reterr);
			if (r < 0)
				return r;
			if (r > 0) {
				r = fileset_add_buf(files, "Config.toml", &b, 0);
				if (r < 0)
					return r;
			}
		}
		r = add_generated(files, out_dir, "persist_types.bal", gen_types, mf, o, 0);
		if (r >= 0)
			r = add_generated(files, out_dir, "persist_client.bal", gen_client, mf, o,
					  0);
		if (r >= 0 && sql)
			r = add_generated(files, out_dir, "script.sql", sql_script, mf, o, 0);
		if (r >= 0 && d == DATASTORE_GOOGLESHEETS)
			r = add_generated(files, out_dir, "script.gs", gen_sheets_script, mf, o, 0);
		if (r < 0)
			return r;
	}

	if ((parts & GEN_PART_TEST) && o->test_datastore != DATASTORE_INVALID) {
		r = add_generated(files, out_dir, "persist_test_client.bal", gen_test_client, mf, o,
				  0);
		if (r >= 0 && o->test_datastore == DATASTORE_H2)
			r = add_generated(files, out_dir, "persist_test_init.bal", gen_test_init,
					  mf, o, 0);
		if (r < 0)
			return r;
	}
	return 0;
}
