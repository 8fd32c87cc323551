/* The MySQL connector against the MariaDB server of tests/servers.sh: the schema comes from
 * the model's generated script.sql, and stored rows are checked with libmariadb directly, in the
 * layout the generated Ballerina client reads. Skips (77) without PERSISTD_TEST_MYSQL_*. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
/* see connectors/mysql.c */
#define list_add mariadb_list_add
#include <mysql.h>
#undef list_add
#undef FIELD_TYPE_DECIMAL
#undef FIELD_TYPE_FLOAT
#undef FIELD_TYPE_INT
#undef FIELD_TYPE_TIME
#undef FIELD_TYPE_ENUM
#undef FIELD_TYPE_STRING

#include "base/alloc.h"
#include "base/buf.h"
#include "connectors/connector.h"
#include "connectors/pool.h"
#include "models/gen.h"
#include "models/project-config.h"
#include "tests/integration/connector-test-model.h"
#include "tests/integration/tcp-relay.h"

static struct model_file *mf;
static struct connection_settings settings;
static void *cfg;
static struct conn *c;
static MYSQL *direct;

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (!v)
		fail_msg("bad test JSON '%s': %s", text, e.text);
	return v;
}

static const struct entity *E(const char *name)
{
	const struct entity *e = model_find_entity(mf, name);
	assert_non_null(e);
	return e;
}

static void assert_json(json_t *v, const char *text)
{
	json_t *want = J(text);
	if (!json_equal(v, want)) {
		char *got = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		print_error("got  %s\nwant %s\n", got, text);
		free(got);
		fail();
	}
	json_decref(v);
	json_decref(want);
}

/* One value through the text protocol ("NULL" for null). */
static char *sql_value(const char *sql)
{
	static char out[1024];
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (mysql_query(direct, sql) != 0)
		fail_msg("%s: %s", sql, mysql_error(direct));
	res = mysql_store_result(direct);
	row = res ? mysql_fetch_row(res) : NULL;
	if (!row)
		fail_msg("%s: no row", sql);
	(void)snprintf(out, sizeof(out), "%s", row[0] ? row[0] : "NULL");
	mysql_free_result(res);
	return out;
}

static void sql_exec(const char *sql)
{
	if (mysql_query(direct, sql) != 0)
		fail_msg("%s: %s", sql, mysql_error(direct));
}

/* The model's script.sql statements, joined; without the DROP statements unless drop. */
static char *ddl_statements(bool drop)
{
	struct gen_sql_statements s = { 0 };
	struct buf b = BUF_INIT(BUF_MAX_DEFAULT);

	assert_int_equal(gen_sql_statements(mf, DATASTORE_MYSQL, &s), 0);
	for (size_t i = 0; i < s.n; i++) {
		if (!drop && s.items[i].kind == GEN_SQL_DROP)
			continue;
		assert_int_equal(buf_add(&b, s.items[i].text, s.items[i].len), 0);
		assert_int_equal(buf_addc(&b, '\n'), 0);
	}
	gen_sql_statements_release(&s);
	return buf_detach(&b, NULL);
}

static int group_setup(void **state)
{
	unsigned timeout = 5;
	char *script;
	(void)state;

	mf = connector_test_model_parse();
	assert_non_null(mf);
	settings.host = getenv("PERSISTD_TEST_MYSQL_HOST");
	settings.port = strtol(getenv("PERSISTD_TEST_MYSQL_PORT"), NULL, 10);
	settings.user = getenv("PERSISTD_TEST_MYSQL_USER");
	settings.password = getenv("PERSISTD_TEST_MYSQL_PASSWORD");
	settings.database = (char *)"persist";
	assert_int_equal(mysql_ops.config_parse(&settings, &cfg, NULL), 0);
	assert_int_equal(conn_open(&mysql_ops, cfg, 5 * USEC_PER_SEC, &c, NULL, 0), 0);

	assert_int_equal(connector_global_init(), 0);
	direct = mysql_init(NULL);
	assert_non_null(direct);
	mysql_options(direct, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	assert_non_null(mysql_real_connect(direct, settings.host, settings.user, settings.password,
					   "persist", (unsigned)settings.port, NULL, 0));
	/* "quoted" identifiers in the checks below, as for PostgreSQL */
	sql_exec("SET time_zone = '+00:00', sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')");

	/* push: the generated DDL in one transaction */
	script = ddl_statements(true);
	if (conn_apply_sql(c, script) < 0)
		fail_msg("apply_sql: %s", conn_last_error(c));
	mem_free(script);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	conn_close(c);
	mysql_ops.config_free(cfg);
	mysql_close(direct);
	connector_global_cleanup();
	model_file_free(mf);
	return 0;
}

static int reset_data(void **state)
{
	static const char *const tables[] = { "Profile", "Employee", "Department", "OrderItem",
					      "Ticket",	 "AllTypes", "Shipment" };
	char sql[128];
	(void)state;

	sql_exec("SET FOREIGN_KEY_CHECKS = 0");
	for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
		(void)snprintf(sql, sizeof(sql), "TRUNCATE TABLE `%s`", tables[i]);
		sql_exec(sql);
	}
	sql_exec("SET FOREIGN_KEY_CHECKS = 1");
	return 0;
}

static void create_ok(const char *entity, const char *rec, const char *key)
{
	json_t *r = J(rec), *k = NULL;
	int ret = conn_create(c, E(entity), r, &k);
	if (ret < 0)
		fail_msg("create %s: %d %s", rec, ret, conn_last_error(c));
	json_decref(r);
	assert_json(k, key);
}

static int create_err(const char *entity, const char *rec)
{
	json_t *r = J(rec), *k = NULL;
	int ret = conn_create(c, E(entity), r, &k);
	json_decref(r);
	assert_null(k);
	return ret;
}

static void test_push(void **state)
{
	char *script = ddl_statements(true);
	(void)state;

	assert_true(connector_has(&mysql_ops, CONN_CAP_SQL | CONN_CAP_TRANSACTIONS));
	assert_true(connector_find("mysql") == &mysql_ops);
	/* the script drops and recreates: it runs twice */
	assert_int_equal(conn_apply_sql(c, script), 0);
	mem_free(script);
	/* without its DROP statements, the script meets the existing tables */
	script = ddl_statements(false);
	assert_int_equal(conn_apply_sql(c, script), -EEXIST);
	assert_non_null(strstr(conn_last_error(c), "already exists"));
	mem_free(script);
	assert_int_equal(conn_push(c, mf, false), -EEXIST);
	assert_int_equal(conn_push(c, mf, true), 0);
	assert_string_equal(
		sql_value(
			"SELECT count(*) FROM information_schema.tables WHERE "
			"table_schema = DATABASE() AND table_name IN ('Employee', 'AllTypes', 'OrderItem')"),
		"3");
	/* the first failing statement stops the script (DDL commits itself in MySQL, so what
	 * ran before it stays) */
	assert_int_equal(conn_apply_sql(c, "CREATE TABLE push_probe (a int); SELEC 1; "
					   "CREATE TABLE push_probe2 (a int);"),
			 -EIO);
	assert_non_null(strstr(conn_last_error(c), "SQL syntax"));
	assert_string_equal(sql_value("SELECT count(*) FROM information_schema.tables WHERE "
				      "table_schema = DATABASE() AND table_name = 'push_probe2'"),
			    "0");
	sql_exec("DROP TABLE IF EXISTS push_probe");
}

static void test_crud(void **state)
{
	const struct entity *d = E("Department");
	json_t *key = J("{\"deptNo\":\"D1\"}"), *rec = NULL, *patch;
	(void)state;

	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	assert_string_equal(
		sql_value("SELECT \"deptName\" FROM \"Department\" WHERE \"deptNo\" = 'D1'"),
		"Eng");
	assert_int_equal(create_err("Department", "{\"deptNo\":\"D1\",\"deptName\":\"X\"}"),
			 -EEXIST);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key 'D1' already exists for the entity 'Department'.");

	assert_int_equal(conn_read(c, d, key, &rec), 0);
	assert_json(rec, "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}");
	patch = J("{\"deptName\":\"Engineering\"}");
	assert_int_equal(conn_update(c, d, key, patch), 0);
	json_decref(patch);
	assert_string_equal(sql_value("SELECT \"deptName\" FROM \"Department\""), "Engineering");
	patch = J("{}");
	assert_int_equal(conn_update(c, d, key, patch), 0);
	json_decref(patch);

	assert_int_equal(conn_remove(c, d, key), 0);
	assert_string_equal(sql_value("SELECT count(*) FROM \"Department\""), "0");
	rec = NULL;
	assert_int_equal(conn_read(c, d, key, &rec), -ENOENT);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key 'D1' does not exist for the entity 'Department'.");
	assert_int_equal(conn_remove(c, d, key), -ENOENT);
	patch = J("{\"deptName\":\"X\"}");
	assert_int_equal(conn_update(c, d, key, patch), -ENOENT);
	json_decref(patch);
	patch = J("{}");
	assert_int_equal(conn_update(c, d, key, patch), -ENOENT);
	json_decref(patch);
	json_decref(key);
}

static void test_composite_and_generated(void **state)
{
	json_t *key, *rec = NULL;
	(void)state;

	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2,\"price\":1.5}",
		  "{\"orderId\":\"o1\",\"itemId\":1}");
	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2,\"quantity\":3}",
		  "{\"orderId\":\"o1\",\"itemId\":2}");
	assert_int_equal(
		create_err("OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":9}"),
		-EEXIST);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key 'o1-1' already exists for the entity 'OrderItem'.");
	key = J("{\"orderId\":\"o1\",\"itemId\":1}");
	assert_int_equal(conn_read(c, E("OrderItem"), key, &rec), 0);
	assert_json(rec, "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2,\"price\":\"1.5\"}");
	json_decref(key);
	key = J("{\"orderId\":\"o1\",\"itemId\":9}");
	assert_int_equal(conn_read(c, E("OrderItem"), key, &rec), -ENOENT);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key '{\"orderId\":\"o1\",\"itemId\":9}' does not exist for the entity 'OrderItem'.");
	json_decref(key);
	assert_string_equal(sql_value("SELECT price FROM \"OrderItem\" WHERE \"itemId\" = 1"),
			    "1.500000000000000000000000000000");
	assert_string_equal(sql_value("SELECT price FROM \"OrderItem\" WHERE \"itemId\" = 2"),
			    "NULL");

	/* AUTO_INCREMENT: the database's value comes back */
	create_ok("Ticket", "{\"title\":\"a\"}", "{\"id\":1}");
	create_ok("Ticket", "{\"title\":\"b\"}", "{\"id\":2}");
	assert_string_equal(
		sql_value("SELECT group_concat(concat(id, ':', title) ORDER BY id) FROM "
			  "\"Ticket\""),
		"1:a,2:b");
}

static void test_types(void **state)
{
	json_t *key = J("{\"id\":1}"), *rec = NULL;
	(void)state;

	/* TIME, DATETIME and TIMESTAMP columns have no fractional digits in script.sql: the
	 * server drops fractions, as it does for the Ballerina client */
	create_ok("AllTypes",
		  "{\"id\":1,\"b\":true,\"d\":\"0023.4400\",\"f\":2.5,\"s\":\"h\\u00e9 'q\\\"\","
		  "\"bytes\":\"AAEC/w==\",\"date\":\"2024-02-29\",\"tod\":\"10:30:05\","
		  "\"utc\":\"2024-01-01T01:30:00+02:00\",\"civil\":\"2024-03-04T05:06:07\","
		  "\"gender\":\"F\",\"opt\":null}",
		  "{\"id\":1}");
	/* the stored layout the Ballerina client reads */
	assert_string_equal(
		sql_value("SELECT concat_ws('|', b, d, f, s, hex(bytes), date, tod, utc, "
			  "civil, gender, coalesce(opt, 'NULL')) FROM \"AllTypes\""),
		"1|23.440000000000000000000000000000|2.5|h\xc3\xa9 'q\"|000102FF|2024-02-29|10:30:05|"
		"2023-12-31 23:30:00|2024-03-04 05:06:07|F|NULL");
	assert_int_equal(conn_read(c, E("AllTypes"), key, &rec), 0);
	assert_json(rec, "{\"id\":1,\"b\":true,\"d\":\"23.44\",\"f\":2.5,\"s\":\"h\\u00e9 'q\\\"\","
			 "\"bytes\":\"AAEC/w==\",\"date\":\"2024-02-29\",\"tod\":\"10:30:05\","
			 "\"utc\":\"2023-12-31T23:30:00Z\",\"civil\":\"2024-03-04T05:06:07\","
			 "\"gender\":\"F\",\"opt\":null}");
	json_decref(key);

	/* a row written the way the Ballerina client writes it reads back */
	sql_exec("INSERT INTO \"AllTypes\" VALUES (2, false, 0.1, 1e10, '', '', '1999-12-31', "
		 "'23:59:59', '2000-01-01 00:00:00', '2000-01-01 12:00:00', 'MALE', 'x')");
	key = J("{\"id\":2}");
	assert_int_equal(conn_read(c, E("AllTypes"), key, &rec), 0);
	assert_json(rec, "{\"id\":2,\"b\":false,\"d\":\"0.1\",\"f\":10000000000.0,\"s\":\"\","
			 "\"bytes\":\"\",\"date\":\"1999-12-31\",\"tod\":\"23:59:59\","
			 "\"utc\":\"2000-01-01T00:00:00Z\",\"civil\":\"2000-01-01T12:00:00\","
			 "\"gender\":\"MALE\",\"opt\":\"x\"}");
	json_decref(key);

	/* the INT range */
	assert_int_equal(
		create_err(
			"AllTypes",
			"{\"id\":3000000000,\"b\":true,\"d\":1,\"f\":1,\"s\":\"\",\"bytes\":\"\","
			"\"date\":\"2024-01-01\",\"tod\":\"00:00:00\",\"utc\":\"2024-01-01T00:00:00Z\","
			"\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"MALE\"}"),
		-EINVAL);
	assert_non_null(strstr(conn_last_error(c), "Out of range"));
}

static void seed_people(void)
{
	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	create_ok("Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}", "{\"deptNo\":\"D2\"}");
	create_ok("Department", "{\"deptNo\":\"D3\",\"deptName\":\"Empty\"}",
		  "{\"deptNo\":\"D3\"}");
	create_ok("Employee",
		  "{\"empNo\":\"E1\",\"firstName\":\"Ann\",\"birthDate\":\"1990-01-02\","
		  "\"gender\":\"F\",\"departmentDeptNo\":\"D1\"}",
		  "{\"empNo\":\"E1\"}");
	create_ok("Employee",
		  "{\"empNo\":\"E2\",\"firstName\":\"Bob\",\"birthDate\":\"1985-05-06\","
		  "\"gender\":\"MALE\",\"departmentDeptNo\":\"D1\"}",
		  "{\"empNo\":\"E2\"}");
	create_ok("Employee",
		  "{\"empNo\":\"E3\",\"firstName\":\"Cid\",\"birthDate\":\"2000-12-31\","
		  "\"gender\":\"MALE\",\"departmentDeptNo\":\"D2\"}",
		  "{\"empNo\":\"E3\"}");
	create_ok("Profile", "{\"id\":1,\"bio\":\"hi\",\"ownerEmpNo\":\"E1\"}", "{\"id\":1}");
}

static json_t *run_query(const char *entity, struct query *q)
{
	json_t *rows = NULL;
	int r = conn_query(c, E(entity), q, &rows);
	if (r < 0)
		fail_msg("query: %d %s", r, conn_last_error(c));
	return rows;
}

static void test_query_and_relations(void **state)
{
	struct query q;
	json_t *rec = NULL, *key;
	(void)state;

	seed_people();
	/* the @sql:Name column holds the value */
	assert_string_equal(sql_value("SELECT first_name FROM \"Employee\" WHERE \"empNo\" = 'E1'"),
			    "Ann");
	assert_string_equal(
		sql_value("SELECT \"departmentDeptNo\" FROM \"Employee\" WHERE \"empNo\" "
			  "= 'E3'"),
		"D2");
	query_init(&q);
	assert_int_equal(query_parse_filter(&q, "gender", "eq.MALE"), 0);
	assert_int_equal(query_parse_order(&q, "birthDate.desc"), 0);
	assert_int_equal(query_parse_fields(&q, "firstName"), 0);
	assert_json(run_query("Employee", &q), "[{\"firstName\":\"Cid\"},{\"firstName\":\"Bob\"}]");
	query_release(&q);

	assert_int_equal(query_parse_filter(&q, "birthDate", "gte.1986-01-01"), 0);
	assert_int_equal(query_parse_filter(&q, "firstName", "like.%n%"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_json(run_query("Employee", &q), "[{\"empNo\":\"E1\"}]");
	query_release(&q);

	assert_int_equal(query_parse_filter(&q, "empNo", "in.(E3,E1,E9)"), 0);
	assert_int_equal(query_parse_filter(&q, "gender", "neq.F"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_json(run_query("Employee", &q), "[{\"empNo\":\"E3\"}]");
	query_release(&q);

	assert_int_equal(query_parse_order(&q, "empNo.desc"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	q.limit = 2;
	q.offset = 1;
	assert_json(run_query("Employee", &q), "[{\"empNo\":\"E2\"},{\"empNo\":\"E1\"}]");
	query_release(&q);

	assert_int_equal(query_parse_fields(&q, "firstName,department.deptName"), 0);
	assert_json(run_query("Employee", &q),
		    "[{\"firstName\":\"Ann\",\"department\":{\"deptName\":\"Eng\"}},"
		    "{\"firstName\":\"Bob\",\"department\":{\"deptName\":\"Eng\"}},"
		    "{\"firstName\":\"Cid\",\"department\":{\"deptName\":\"Ops\"}}]");
	query_release(&q);

	assert_int_equal(query_parse_fields(&q, "deptNo,employees[].empNo"), 0);
	assert_json(run_query("Department", &q),
		    "[{\"deptNo\":\"D1\",\"employees\":[{\"empNo\":\"E1\"},{\"empNo\":\"E2\"}]},"
		    "{\"deptNo\":\"D2\",\"employees\":[{\"empNo\":\"E3\"}]},"
		    "{\"deptNo\":\"D3\",\"employees\":[]}]");
	query_release(&q);

	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_int_equal(query_parse_include(&q, "profile"), 0);
	assert_int_equal(query_parse_filter(&q, "empNo", "lt.E3"), 0);
	assert_json(
		run_query("Employee", &q),
		"[{\"empNo\":\"E1\",\"profile\":{\"id\":1,\"bio\":\"hi\",\"ownerEmpNo\":\"E1\"}},"
		"{\"empNo\":\"E2\",\"profile\":null}]");
	query_release(&q);

	assert_int_equal(query_parse_fields(&q, "bio,owner.firstName"), 0);
	key = J("{\"id\":1}");
	assert_int_equal(conn_read_query(c, E("Profile"), key, &q, &rec), 0);
	assert_json(rec, "{\"bio\":\"hi\",\"owner\":{\"firstName\":\"Ann\"}}");
	json_decref(key);
	query_release(&q);
}

static void test_composite_relation(void **state)
{
	(void)state;
	struct query q;

	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2}",
		  "{\"orderId\":\"o1\",\"itemId\":1}");
	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2,\"quantity\":3}",
		  "{\"orderId\":\"o1\",\"itemId\":2}");
	create_ok("Shipment", "{\"id\":7,\"itemOrderId\":\"o1\",\"itemItemId\":2}", "{\"id\":7}");
	create_ok("Shipment", "{\"id\":8,\"itemOrderId\":\"o1\",\"itemItemId\":2}", "{\"id\":8}");
	query_init(&q);
	assert_int_equal(query_parse_fields(&q, "itemId,shipments[].id"), 0);
	assert_json(run_query("OrderItem", &q),
		    "[{\"itemId\":1,\"shipments\":[]},"
		    "{\"itemId\":2,\"shipments\":[{\"id\":7},{\"id\":8}]}]");
	query_release(&q);
	assert_int_equal(query_parse_fields(&q, "id,item.quantity"), 0);
	assert_json(run_query("Shipment", &q),
		    "[{\"id\":7,\"item\":{\"quantity\":3}},{\"id\":8,\"item\":{\"quantity\":3}}]");
	query_release(&q);
}

static void test_errors(void **state)
{
	json_t *key, *patch;
	(void)state;

	seed_people();
	/* unknown parent: a foreign-key violation */
	assert_int_equal(create_err("Employee", "{\"empNo\":\"E9\",\"firstName\":\"X\","
						"\"birthDate\":\"1990-01-02\",\"gender\":\"F\","
						"\"departmentDeptNo\":\"D9\"}"),
			 -ECONSTRAINT);
	assert_non_null(strstr(conn_last_error(c), "a foreign key constraint fails"));
	key = J("{\"empNo\":\"E1\"}");
	patch = J("{\"departmentDeptNo\":\"D9\"}");
	assert_int_equal(conn_update(c, E("Employee"), key, patch), -ECONSTRAINT);
	json_decref(key);
	json_decref(patch);
	/* a referenced parent cannot go */
	key = J("{\"deptNo\":\"D1\"}");
	assert_int_equal(conn_remove(c, E("Department"), key), -ECONSTRAINT);
	json_decref(key);
	/* 1-1: the owner's foreign key is UNIQUE */
	assert_int_equal(create_err("Profile", "{\"id\":2,\"bio\":\"x\",\"ownerEmpNo\":\"E1\"}"),
			 -EEXIST);
	assert_string_equal(conn_last_error(c),
			    "A record with the key 'E1' already exists for the entity 'Profile'.");
	/* values checked before the server sees them */
	assert_int_equal(create_err("Department", "{\"deptNo\":1,\"deptName\":\"x\"}"), -EINVAL);
	assert_string_equal(conn_last_error(c), "field 'deptNo': expected string");
}

static void test_transactions(void **state)
{
	(void)state;

	assert_int_equal(conn_begin(c), 0);
	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	create_ok("Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}", "{\"deptNo\":\"D2\"}");
	assert_int_equal(conn_rollback(c), 0);
	assert_string_equal(sql_value("SELECT count(*) FROM \"Department\""), "0");

	/* an array insert that fails half way leaves nothing */
	assert_int_equal(conn_begin(c), 0);
	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	assert_int_equal(create_err("Department", "{\"deptNo\":\"D1\",\"deptName\":\"X\"}"),
			 -EEXIST);
	assert_int_equal(conn_rollback(c), 0);
	assert_string_equal(sql_value("SELECT count(*) FROM \"Department\""), "0");

	assert_int_equal(conn_begin(c), 0);
	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	assert_int_equal(conn_commit(c), 0);
	assert_string_equal(sql_value("SELECT count(*) FROM \"Department\""), "1");

	/* reset rolls back what a request left open */
	assert_int_equal(conn_begin(c), 0);
	create_ok("Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}", "{\"deptNo\":\"D2\"}");
	assert_int_equal(conn_reset(c), 0);
	assert_string_equal(sql_value("SELECT count(*) FROM \"Department\""), "1");
}

#define N_THREADS 4
#define N_ROWS	  25

static struct pool *shared_pool;

static void *writer_main(void *arg)
{
	intptr_t id = (intptr_t)arg;

	for (int i = 0; i < N_ROWS; i++) {
		struct conn *pc = NULL;
		json_t *rec, *key = NULL;
		int r;
		if (pool_acquire(shared_pool, 10 * USEC_PER_SEC, &pc) < 0)
			return (void *)1;
		rec = json_pack("{s:s,s:i,s:i}", "orderId", "o", "itemId", (int)(id * 1000 + i),
				"quantity", i);
		r = conn_create(pc, model_find_entity(mf, "OrderItem"), rec, &key);
		json_decref(rec);
		json_decref(key);
		/* everyone races for one shared key: one wins, the rest see -EEXIST */
		rec = json_pack("{s:s,s:i,s:i}", "orderId", "shared", "itemId", i, "quantity", 0);
		key = NULL;
		if (r >= 0) {
			r = conn_create(pc, model_find_entity(mf, "OrderItem"), rec, &key);
			r = r == -EEXIST ? 0 : r;
		}
		json_decref(rec);
		json_decref(key);
		pool_release(pc);
		if (r < 0)
			return (void *)2;
	}
	return NULL;
}

static void test_concurrent_writers(void **state)
{
	struct pool_config pcfg;
	struct pool_stats st;
	pthread_t t[N_THREADS];
	(void)state;

	pool_config_init(&pcfg);
	pcfg.max_size = 3;
	assert_int_equal(pool_new(&mysql_ops, &settings, &pcfg, &shared_pool, NULL), 0);
	for (intptr_t i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer_main, (void *)i), 0);
	for (int i = 0; i < N_THREADS; i++) {
		void *res = NULL;
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
	pool_get_stats(shared_pool, &st);
	assert_true(st.size <= 3);
	assert_int_equal(st.in_use, 0);
	shared_pool = pool_unref(shared_pool);
	assert_string_equal(sql_value("SELECT count(*) FROM \"OrderItem\""), "125");
}

static void test_store_down(void **state)
{
	struct connection_settings dead = settings;
	struct pool_config pcfg;
	struct pool *p = NULL;
	struct tcp_relay relay;
	struct conn *pc = NULL;
	void *dcfg = NULL;
	json_t *rows = NULL;
	usec_t t0;
	int port = relay_free_port();
	(void)state;

	assert_true(port > 0);
	dead.host = (char *)"127.0.0.1";
	dead.port = port;
	/* nothing listens: refused at once */
	assert_int_equal(mysql_ops.config_parse(&dead, &dcfg, NULL), 0);
	t0 = now_usec(CLOCK_MONOTONIC);
	assert_int_equal(conn_open(&mysql_ops, dcfg, 5 * USEC_PER_SEC, &pc, NULL, 0),
			 -ECONNREFUSED);
	assert_true(now_usec(CLOCK_MONOTONIC) - t0 < USEC_PER_SEC);
	mysql_ops.config_free(dcfg);

	pool_config_init(&pcfg);
	pcfg.check_delay = 0;
	pcfg.backoff_min = 20 * USEC_PER_MSEC;
	pcfg.backoff_max = 50 * USEC_PER_MSEC;
	assert_int_equal(pool_new(&mysql_ops, &dead, &pcfg, &p, NULL), 0);
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &pc), -ECONNREFUSED);
	/* the server answers again: the pool recovers after its backoff */
	relay_init(&relay, port, (int)settings.port);
	assert_int_equal(relay_up(&relay), 0);
	usleep(100 * 1000);
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &pc), 0);
	assert_int_equal(conn_query(pc, E("Department"), NULL, &rows), 0);
	json_decref(rows);
	pool_release(pc);
	/* the server goes away under an idle connection: the health check drops it */
	relay_down(&relay);
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &pc), -ECONNREFUSED);
	/* a connection lost in the middle of a request is broken and not reused */
	assert_int_equal(relay_up(&relay), 0);
	usleep(100 * 1000);
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &pc), 0);
	relay_down(&relay);
	rows = NULL;
	assert_int_equal(conn_query(pc, E("Department"), NULL, &rows), -ECONNRESET);
	assert_true(pc->broken);
	pool_release(pc);
	assert_int_equal(relay_up(&relay), 0);
	usleep(100 * 1000);
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &pc), 0);
	pool_release(pc);
	relay_down(&relay);
	pool_unref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_push, reset_data),
		cmocka_unit_test_setup(test_crud, reset_data),
		cmocka_unit_test_setup(test_composite_and_generated, reset_data),
		cmocka_unit_test_setup(test_types, reset_data),
		cmocka_unit_test_setup(test_query_and_relations, reset_data),
		cmocka_unit_test_setup(test_composite_relation, reset_data),
		cmocka_unit_test_setup(test_errors, reset_data),
		cmocka_unit_test_setup(test_transactions, reset_data),
		cmocka_unit_test_setup(test_concurrent_writers, reset_data),
		cmocka_unit_test_setup(test_store_down, reset_data),
	};
	const char *host = getenv("PERSISTD_TEST_MYSQL_HOST");

	if (!host || !*host || !getenv("PERSISTD_TEST_MYSQL_PORT")) {
		printf("PERSISTD_TEST_MYSQL_HOST not set: MariaDB not running, skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
