#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/strutil.h"
#include "models/datastore.h"

static const char *const names[_DATASTORE_MAX] = {
	[DATASTORE_MYSQL] = "mysql",
	[DATASTORE_MSSQL] = "mssql",
	[DATASTORE_INMEMORY] = "inmemory",
	[DATASTORE_GOOGLESHEETS] = "googlesheets",
	[DATASTORE_POSTGRESQL] = "postgresql",
	[DATASTORE_REDIS] = "redis",
	[DATASTORE_H2] = "h2",
};

/* Upstream prints Java sets in random order; these fixed orders are the documented choice. */
#define ALL_STORES  "[mysql, mssql, inmemory, googlesheets, postgresql, redis, h2]"
#define TEST_STORES "[inmemory, h2]"
#define NON_SQL	    "[inmemory, googlesheets, redis]"
#define SQL_STORES  "[mysql, mssql, postgresql, h2]"

enum datastore datastore_from_string(const char *s)
{
	if (!s)
		return DATASTORE_INVALID;
	for (int i = 0; i < _DATASTORE_MAX; i++)
		if (streq(s, names[i]))
			return (enum datastore)i;
	return DATASTORE_INVALID;
}

const char *datastore_to_string(enum datastore d)
{
	if (d < 0 || d >= _DATASTORE_MAX)
		return NULL;
	return names[d];
}

bool datastore_is_sql(enum datastore d)
{
	return d == DATASTORE_MYSQL || d == DATASTORE_MSSQL || d == DATASTORE_POSTGRESQL ||
	       d == DATASTORE_H2;
}

const struct native_dependency *datastore_native_dependency(enum datastore d)
{
	static const struct native_dependency sql = { "io.ballerina.stdlib", "persist.sql-native",
						      "1.7.2" };
	static const struct native_dependency inmemory = { "io.ballerina.stdlib",
							   "persist.inmemory-native", "1.6.0" };
	static const struct native_dependency sheets = { "io.ballerina.stdlib",
							 "persist.googlesheets-native", "1.6.0" };
	static const struct native_dependency redis = { "io.ballerina.lib", "persist.redis-native",
							"0.4.0" };

	if (datastore_is_sql(d))
		return &sql;
	switch (d) {
	case DATASTORE_INMEMORY:
		return &inmemory;
	case DATASTORE_GOOGLESHEETS:
		return &sheets;
	case DATASTORE_REDIS:
		return &redis;
	default:
		return NULL;
	}
}

int datastore_validate(const char *datastore, const char *test_datastore, bool eager_loading,
		       enum datastore *ret_main, enum datastore *ret_test, bool *ret_drop_eager,
		       char *warning, size_t warning_size, struct pd_error *reterr)
{
	enum datastore m = datastore_from_string(datastore), t = DATASTORE_INVALID;
	bool drop = false;

	if (m == DATASTORE_INVALID) {
		pd_error_set(reterr, NULL, 0, 0, 0,
			     "the persist layer supports one of data stores: " ALL_STORES
			     ". but found '%s' datasource.",
			     datastore ? datastore : "null");
		return -EINVAL;
	}
	if (test_datastore) {
		t = datastore_from_string(test_datastore);
		if (t != DATASTORE_INMEMORY && t != DATASTORE_H2) {
			pd_error_set(
				reterr, NULL, 0, 0, 0,
				"the persist layer supports one of test data stores: " TEST_STORES
				". but found '%s' datastore.",
				test_datastore);
			return -EINVAL;
		}
		if (t == DATASTORE_INMEMORY && datastore_is_sql(m)) {
			pd_error_set(
				reterr, NULL, 0, 0, 0,
				"the in-memory datastore is supported as the test data store for "
				"data stores: " NON_SQL ". but found '%s' datasource.",
				datastore);
			return -EINVAL;
		}
		if (t == DATASTORE_H2 && !datastore_is_sql(m)) {
			pd_error_set(
				reterr, NULL, 0, 0, 0,
				"the H2 datastore is supported as the test data store for data "
				"stores: " SQL_STORES ". but found '%s' datastore.",
				datastore);
			return -EINVAL;
		}
	}
	if (eager_loading && !datastore_is_sql(m)) {
		drop = true;
		if (warning)
			(void)snprintf(
				warning, warning_size,
				"WARNING: The --eager-loading flag is only supported for SQL "
				"datastores (mysql, mssql, postgresql, h2). This flag will be "
				"ignored for the '%s' datastore.",
				datastore);
	}
	*ret_main = m;
	if (ret_test)
		*ret_test = t;
	if (ret_drop_eager)
		*ret_drop_eager = drop;
	return 0;
}
