/* The test servers of tests/servers.sh answer with the credentials they announce. Each part
 * skips when its server is not running (no PERSISTD_TEST_* variables). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <mysql.h>

static const char *env_or_skip(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		print_message("%s not set: server not running\n", name);
		skip();
	}
	return v;
}

static void test_postgresql(void **state)
{
	char conninfo[512];
	PGconn *c;
	PGresult *r;
	(void)state;

	snprintf(conninfo, sizeof(conninfo),
		 "host=%s port=%s user=%s password=%s dbname=persist connect_timeout=5",
		 env_or_skip("PERSISTD_TEST_PG_HOST"), env_or_skip("PERSISTD_TEST_PG_PORT"),
		 env_or_skip("PERSISTD_TEST_PG_USER"), env_or_skip("PERSISTD_TEST_PG_PASSWORD"));
	c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, "SELECT 40 + 2");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "42");
	PQclear(r);
	PQfinish(c);

	/* A wrong password is refused: the server really checks credentials. */
	snprintf(conninfo, sizeof(conninfo),
		 "host=%s port=%s user=%s password=wrong dbname=persist connect_timeout=5",
		 getenv("PERSISTD_TEST_PG_HOST"), getenv("PERSISTD_TEST_PG_PORT"),
		 getenv("PERSISTD_TEST_PG_USER"));
	c = PQconnectdb(conninfo);
	assert_int_not_equal(PQstatus(c), CONNECTION_OK);
	PQfinish(c);
}

static void test_mariadb(void **state)
{
	const char *host = env_or_skip("PERSISTD_TEST_MYSQL_HOST");
	unsigned port = (unsigned)strtoul(env_or_skip("PERSISTD_TEST_MYSQL_PORT"), NULL, 10);
	const char *user = env_or_skip("PERSISTD_TEST_MYSQL_USER");
	const char *pw = env_or_skip("PERSISTD_TEST_MYSQL_PASSWORD");
	unsigned timeout = 5;
	MYSQL *m = mysql_init(NULL);
	MYSQL_RES *res;
	MYSQL_ROW row;
	(void)state;

	assert_non_null(m);
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	assert_non_null(mysql_real_connect(m, host, user, pw, "persist", port, NULL, 0));
	assert_int_equal(mysql_query(m, "SELECT 40 + 2"), 0);
	res = mysql_store_result(m);
	assert_non_null(res);
	row = mysql_fetch_row(res);
	assert_non_null(row);
	assert_string_equal(row[0], "42");
	mysql_free_result(res);
	mysql_close(m);
}

static void test_redis(void **state)
{
	const char *host = env_or_skip("PERSISTD_TEST_REDIS_HOST");
	int port = (int)strtol(env_or_skip("PERSISTD_TEST_REDIS_PORT"), NULL, 10);
	struct timeval tv = { 5, 0 };
	redisContext *c = redisConnectWithTimeout(host, port, tv);
	redisReply *r;
	(void)state;

	assert_non_null(c);
	assert_int_equal(c->err, 0);
	r = redisCommand(c, "PING");
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STATUS);
	assert_string_equal(r->str, "PONG");
	freeReplyObject(r);
	redisFree(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postgresql),
		cmocka_unit_test(test_mariadb),
		cmocka_unit_test(test_redis),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
