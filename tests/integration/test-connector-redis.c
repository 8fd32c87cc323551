/* The Redis connector against the server of tests/servers.sh, in a database of its own: records
 * are checked with hiredis directly in the layout of upstream's persist.redis client (hashes
 * <Entity>:<key>, relation sets, value texts, TTLs in cache mode), and hashes written the way
 * the Ballerina client writes them are read back. Skips (77) without PERSISTD_TEST_REDIS_*. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <jansson.h>

#include "base/alloc.h"
#include "base/error.h"
#include "connectors/connector.h"
#include "connectors/pool.h"
#include "models/ast.h"
#include "models/diagnostic.h"
#include "models/parser.h"
#include "models/project-config.h"
#include "models/validate.h"
#include "tests/integration/tcp-relay.h"

/* The database the tests use, so a developer's db 0 is left alone. */
#define TEST_DB "3"

/* A model valid for redis (no byte[], no nillable simple types; optional fields allowed), with
 * a composite key, every key type, 1-n and 1-1 relations, and one on a composite key. */
static const char redis_model[] = "import ballerina/persist as _;\n"
				  "import ballerina/time;\n"
				  "import ballerinax/persist.sql;\n"
				  "\n"
				  "public enum Gender {\n"
				  "    MALE,\n"
				  "    FEMALE = \"F\"\n"
				  "}\n"
				  "\n"
				  "public type Department record {|\n"
				  "    readonly string deptNo;\n"
				  "    string deptName;\n"
				  "    Employee[] employees;\n"
				  "|};\n"
				  "\n"
				  "public type Employee record {|\n"
				  "    readonly string empNo;\n"
				  "    @sql:Name {value: \"first_name\"}\n"
				  "    string firstName;\n"
				  "    time:Date birthDate;\n"
				  "    Gender gender;\n"
				  "    Department department;\n"
				  "    Profile? profile;\n"
				  "|};\n"
				  "\n"
				  "public type Profile record {|\n"
				  "    readonly int id;\n"
				  "    string bio;\n"
				  "    Employee owner;\n"
				  "|};\n"
				  "\n"
				  "public type OrderItem record {|\n"
				  "    readonly string orderId;\n"
				  "    readonly int itemId;\n"
				  "    int quantity;\n"
				  "    decimal price?;\n"
				  "    Shipment[] shipments;\n"
				  "|};\n"
				  "\n"
				  "public type Shipment record {|\n"
				  "    readonly int id;\n"
				  "    OrderItem item;\n"
				  "|};\n"
				  "\n"
				  "public type Ticket record {|\n"
				  "    @sql:Generated\n"
				  "    readonly int id;\n"
				  "    string title;\n"
				  "|};\n"
				  "\n"
				  "public type Measure record {|\n"
				  "    readonly float f;\n"
				  "    readonly boolean ok;\n"
				  "    readonly decimal d;\n"
				  "    string note;\n"
				  "|};\n"
				  "\n"
				  "public type AllTypes record {|\n"
				  "    readonly int id;\n"
				  "    boolean b;\n"
				  "    decimal d;\n"
				  "    float f;\n"
				  "    string s;\n"
				  "    time:Date date;\n"
				  "    time:TimeOfDay tod;\n"
				  "    time:Utc utc;\n"
				  "    time:Civil civil;\n"
				  "    Gender gender;\n"
				  "    string opt?;\n"
				  "|};\n";

static struct model_file *mf;
static struct connection_settings settings;
static char url[256];
static int port;
static const char *host;
static void *cfg;
static struct conn *c;
static redisContext *direct;

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

/* ---- the store, seen directly ---- */

static redisReply *cmdv(int argc, const char **argv)
{
	redisReply *r = redisCommandArgv(direct, argc, argv, NULL);
	if (!r)
		fail_msg("redis: %s", direct->errstr);
	return r;
}

#define CMD(...)                                                      \
	({                                                            \
		const char *argv_[] = { __VA_ARGS__ };                \
		cmdv((int)(sizeof(argv_) / sizeof(argv_[0])), argv_); \
	})

static void run(int argc, const char **argv)
{
	redisReply *r = cmdv(argc, argv);
	if (r->type == REDIS_REPLY_ERROR)
		fail_msg("%s: %s", argv[0], r->str);
	freeReplyObject(r);
}

#define RUN(...)                                                     \
	do {                                                         \
		const char *argv_[] = { __VA_ARGS__ };               \
		run((int)(sizeof(argv_) / sizeof(argv_[0])), argv_); \
	} while (0)

static long long integer_of(redisReply *r)
{
	long long v;
	if (r->type != REDIS_REPLY_INTEGER)
		fail_msg("expected an integer reply, got type %d", r->type);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

#define INT(...) integer_of(CMD(__VA_ARGS__))

/* A string, status or nil ("(nil)") reply as text. */
static const char *text_of(redisReply *r)
{
	static char out[1024];
	if (r->type == REDIS_REPLY_NIL)
		(void)snprintf(out, sizeof(out), "(nil)");
	else if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
		(void)snprintf(out, sizeof(out), "%s", r->str);
	else
		fail_msg("expected a string reply, got type %d", r->type);
	freeReplyObject(r);
	return out;
}

#define TEXT(...) text_of(CMD(__VA_ARGS__))

/* HGETALL key as a JSON object of strings. */
static json_t *hash(const char *key)
{
	redisReply *r = CMD("HGETALL", key);
	json_t *o = json_object();
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		json_object_set_new(o, r->element[i]->str, json_string(r->element[i + 1]->str));
	freeReplyObject(r);
	return o;
}

static int strcmp_p(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* SMEMBERS key (or KEYS pattern with "KEYS") as a sorted JSON array. */
static json_t *members(const char *cmd, const char *key)
{
	redisReply *r = CMD(cmd, key);
	json_t *a = json_array();
	const char **v;
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	v = calloc(r->elements + 1, sizeof(*v));
	for (size_t i = 0; i < r->elements; i++)
		v[i] = r->element[i]->str;
	qsort(v, r->elements, sizeof(*v), strcmp_p);
	for (size_t i = 0; i < r->elements; i++)
		json_array_append_new(a, json_string(v[i]));
	free(v);
	freeReplyObject(r);
	return a;
}

/* ---- setup ---- */

static int group_setup(void **state)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct pd_error err;
	redisReply *r;
	(void)state;

	assert_int_equal(
		model_parse(redis_model, strlen(redis_model), "persist/test.bal", 0, &mf, &err), 0);
	/* the model is one a Ballerina project could bind to redis */
	assert_int_equal(model_validate(mf, "redis", &diags), 0);
	assert_int_equal(diags.n_errors, 0);
	diag_list_release(&diags);

	host = getenv("PERSISTD_TEST_REDIS_HOST");
	port = (int)strtol(getenv("PERSISTD_TEST_REDIS_PORT"), NULL, 10);
	(void)snprintf(url, sizeof(url), "redis://%s:%d/" TEST_DB, host, port);
	settings.connection = url;
	assert_int_equal(redis_ops.config_parse(&settings, &cfg, NULL), 0);
	assert_int_equal(conn_open(&redis_ops, cfg, 5 * USEC_PER_SEC, &c, NULL, 0), 0);

	direct = redisConnect(host, port);
	assert_non_null(direct);
	assert_int_equal(direct->err, 0);
	r = CMD("SELECT", TEST_DB);
	assert_int_equal(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	conn_close(c);
	redis_ops.config_free(cfg);
	redisFree(direct);
	model_file_free(mf);
	return 0;
}

static int reset_data(void **state)
{
	(void)state;
	RUN("FLUSHDB");
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

static int update(const char *entity, const char *key, const char *patch)
{
	json_t *k = J(key), *p = J(patch);
	int r = conn_update(c, E(entity), k, p);
	json_decref(k);
	json_decref(p);
	return r;
}

static int remove_key(const char *entity, const char *key)
{
	json_t *k = J(key);
	int r = conn_remove(c, E(entity), k);
	json_decref(k);
	return r;
}

static json_t *read_ok(const char *entity, const char *key)
{
	json_t *k = J(key), *rec = NULL;
	int r = conn_read(c, E(entity), k, &rec);
	if (r < 0)
		fail_msg("read %s: %d %s", key, r, conn_last_error(c));
	json_decref(k);
	return rec;
}

static int read_err(const char *entity, const char *key)
{
	json_t *k = J(key), *rec = NULL;
	int r = conn_read(c, E(entity), k, &rec);
	json_decref(k);
	assert_null(rec);
	return r;
}

static json_t *run_query(const char *entity, struct query *q)
{
	json_t *rows = NULL;
	int r = conn_query(c, E(entity), q, &rows);
	if (r < 0)
		fail_msg("query: %d %s", r, conn_last_error(c));
	return rows;
}

/* ---- tests ---- */

static void test_config(void **state)
{
	struct connection_settings s = { 0 };
	struct conn *pc = NULL;
	void *pcfg = NULL;
	char u[256];
	(void)state;

	assert_true(connector_find("redis") == &redis_ops);
	assert_false(connector_has(&redis_ops, CONN_CAP_TRANSACTIONS));
	assert_false(connector_has(&redis_ops, CONN_CAP_SQL));

	/* URLs that cannot be used */
	const char *bad[] = {
		"rediss://localhost:6379", "http://localhost",	     "redis://localhost:0",
		"redis://localhost:65536", "redis://localhost:x",    "redis://localhost/x",
		"redis://[::1:6379",	   "redis://:p%4@localhost", "redis://:p%zz@localhost",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_error err = { 0 };
		s.connection = (char *)bad[i];
		pcfg = NULL;
		if (redis_ops.config_parse(&s, &pcfg, &err) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_null(pcfg);
		assert_true(err.text[0] != '\0');
	}

	/* the database number: records land in that database only */
	(void)snprintf(u, sizeof(u), "redis://%s:%d/5", host, port);
	s.connection = u;
	assert_int_equal(redis_ops.config_parse(&s, &pcfg, NULL), 0);
	assert_int_equal(conn_open(&redis_ops, pcfg, 5 * USEC_PER_SEC, &pc, NULL, 0), 0);
	{
		json_t *rec = J("{\"deptNo\":\"DB5\",\"deptName\":\"five\"}"), *key = NULL;
		assert_int_equal(conn_create(pc, E("Department"), rec, &key), 0);
		json_decref(rec);
		json_decref(key);
	}
	conn_close(pc);
	redis_ops.config_free(pcfg);
	assert_int_equal(INT("EXISTS", "Department:DB5"), 0);
	RUN("SELECT", "5");
	assert_int_equal(INT("EXISTS", "Department:DB5"), 1);
	/* connections carry a name an operator can find in CLIENT LIST */
	assert_non_null(strstr(TEXT("CLIENT", "LIST"), "name=persistd "));
	RUN("FLUSHDB");
	RUN("SELECT", TEST_DB);
	/* an out-of-range database cannot be selected: the store is unusable */
	(void)snprintf(u, sizeof(u), "redis://%s:%d/100000", host, port);
	assert_int_equal(redis_ops.config_parse(&s, &pcfg, NULL), 0);
	assert_int_equal(conn_open(&redis_ops, pcfg, 5 * USEC_PER_SEC, &pc, u, sizeof(u)),
			 -ECONNREFUSED);
	assert_non_null(strstr(u, "DB index is out of range"));
	redis_ops.config_free(pcfg);

	/* passwords: an ACL user with user:password, the default user with :password; the
	 * user info is %-decoded */
	RUN("ACL", "SETUSER", "persistd-test", "on", ">p@ss:w/rd", "~*", "&*", "+@all");
	(void)snprintf(u, sizeof(u), "redis://persistd-test:p%%40ss%%3Aw%%2Frd@%s:%d/" TEST_DB,
		       host, port);
	assert_int_equal(redis_ops.config_parse(&s, &pcfg, NULL), 0);
	assert_int_equal(conn_open(&redis_ops, pcfg, 5 * USEC_PER_SEC, &pc, NULL, 0), 0);
	assert_int_equal(conn_ping(pc, USEC_PER_SEC), 0);
	conn_close(pc);
	redis_ops.config_free(pcfg);
	(void)snprintf(u, sizeof(u), "redis://persistd-test:wrong@%s:%d", host, port);
	assert_int_equal(redis_ops.config_parse(&s, &pcfg, NULL), 0);
	assert_int_equal(conn_open(&redis_ops, pcfg, 5 * USEC_PER_SEC, &pc, u, sizeof(u)),
			 -ECONNREFUSED);
	assert_non_null(strstr(u, "WRONGPASS"));
	redis_ops.config_free(pcfg);
	RUN("ACL", "DELUSER", "persistd-test");

	/* the default user's password (":password", or Lettuce's form without ':', or the
	 * table form) goes to a one-argument AUTH; the test server has none configured, which
	 * it says (requirepass is not changed here: other tests share the server) */
	for (int i = 0; i < 3; i++) {
		if (i == 0) {
			(void)snprintf(u, sizeof(u), "redis://:sesame@%s:%d/" TEST_DB, host, port);
		} else if (i == 1) {
			(void)snprintf(u, sizeof(u), "redis://sesame@%s:%d", host, port);
		} else {
			s.connection = NULL;
			s.host = (char *)host;
			s.port = port;
			s.password = (char *)"sesame";
		}
		assert_int_equal(redis_ops.config_parse(&s, &pcfg, NULL), 0);
		assert_int_equal(conn_open(&redis_ops, pcfg, 5 * USEC_PER_SEC, &pc, u, sizeof(u)),
				 -ECONNREFUSED);
		assert_non_null(strstr(u, "without any password configured"));
		redis_ops.config_free(pcfg);
	}
	/* the table form without a password */
	s.password = NULL;
	assert_int_equal(redis_ops.config_parse(&s, &pcfg, NULL), 0);
	assert_int_equal(conn_open(&redis_ops, pcfg, 5 * USEC_PER_SEC, &pc, NULL, 0), 0);
	assert_int_equal(conn_ping(pc, USEC_PER_SEC), 0);
	conn_close(pc);
	redis_ops.config_free(pcfg);
}

static void test_crud(void **state)
{
	(void)state;

	create_ok("Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}", "{\"deptNo\":\"D1\"}");
	assert_json(hash("Department:D1"), "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}");
	assert_string_equal(TEXT("TYPE", "Department:D1"), "hash");
	/* store mode: no TTL */
	assert_int_equal(INT("TTL", "Department:D1"), -1);
	assert_int_equal(create_err("Department", "{\"deptNo\":\"D1\",\"deptName\":\"X\"}"),
			 -EEXIST);
	assert_string_equal(conn_last_error(c),
			    "Record(s) already exist with the same key for the entity "
			    "'Department'. Number of keys exists : 1");
	assert_json(hash("Department:D1"), "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}");

	assert_json(read_ok("Department", "{\"deptNo\":\"D1\"}"),
		    "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}");
	assert_int_equal(
		update("Department", "{\"deptNo\":\"D1\"}", "{\"deptName\":\"Engineering\"}"), 0);
	assert_string_equal(TEXT("HGET", "Department:D1", "deptName"), "Engineering");
	assert_int_equal(update("Department", "{\"deptNo\":\"D1\"}", "{}"), 0);
	/* keys never change */
	assert_int_equal(update("Department", "{\"deptNo\":\"D1\"}", "{\"deptNo\":\"D2\"}"),
			 -EINVAL);
	assert_string_equal(conn_last_error(c),
			    "key field 'deptNo' of entity 'Department' cannot be updated");

	assert_int_equal(remove_key("Department", "{\"deptNo\":\"D1\"}"), 0);
	assert_int_equal(INT("EXISTS", "Department:D1"), 0);
	assert_int_equal(read_err("Department", "{\"deptNo\":\"D1\"}"), -ENOENT);
	/* upstream's Redis NotFound names the whole Redis key */
	assert_string_equal(
		conn_last_error(c),
		"A record with the key 'Department:D1' does not exist for the entity 'Department'.");
	assert_int_equal(remove_key("Department", "{\"deptNo\":\"D1\"}"), -ENOENT);
	assert_int_equal(update("Department", "{\"deptNo\":\"D1\"}", "{\"deptName\":\"X\"}"),
			 -ENOENT);
	assert_int_equal(update("Department", "{\"deptNo\":\"D1\"}", "{}"), -ENOENT);
	assert_int_equal(INT("DBSIZE"), 0);

	/* records, keys and patches that do not fit the entity */
	assert_int_equal(create_err("Department", "{\"deptNo\":1,\"deptName\":\"x\"}"), -EINVAL);
	assert_string_equal(conn_last_error(c), "field 'deptNo': expected string");
	assert_int_equal(create_err("Department", "{\"deptNo\":\"D1\"}"), -EINVAL);
	assert_int_equal(create_err("Department", "{\"deptNo\":\"D1\",\"deptName\":\"x\",\"y\":1}"),
			 -EINVAL);
	assert_int_equal(read_err("Department", "{\"deptName\":\"x\"}"), -EINVAL);
	assert_int_equal(update("Department", "{\"deptNo\":\"D1\"}", "{\"deptName\":1}"), -EINVAL);
	/* a ':' in a key value would make keys ambiguous (runtime.md §9 #13) */
	assert_int_equal(create_err("Department", "{\"deptNo\":\"D:1\",\"deptName\":\"x\"}"),
			 -EINVAL);
	assert_non_null(strstr(conn_last_error(c), "cannot contain ':'"));
	assert_int_equal(INT("DBSIZE"), 0);
}

static void test_composite_and_optional(void **state)
{
	(void)state;

	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2,\"price\":1.50}",
		  "{\"orderId\":\"o1\",\"itemId\":1}");
	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2,\"quantity\":3}",
		  "{\"orderId\":\"o1\",\"itemId\":2}");
	/* key parts joined with ':'; an absent optional field is not stored */
	assert_json(hash("OrderItem:o1:1"),
		    "{\"orderId\":\"o1\",\"itemId\":\"1\",\"quantity\":\"2\",\"price\":\"1.5\"}");
	assert_json(hash("OrderItem:o1:2"),
		    "{\"orderId\":\"o1\",\"itemId\":\"2\",\"quantity\":\"3\"}");
	assert_json(read_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2}"),
		    "{\"orderId\":\"o1\",\"itemId\":2,\"quantity\":3}");
	assert_int_equal(
		create_err("OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":9}"),
		-EEXIST);
	assert_int_equal(read_err("OrderItem", "{\"orderId\":\"o1\",\"itemId\":9}"), -ENOENT);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key 'OrderItem:o1:9' does not exist for the entity 'OrderItem'.");
	/* an optional field set, then removed with null */
	assert_int_equal(update("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2}",
				"{\"price\":\"0023.400\",\"quantity\":4}"),
			 0);
	assert_json(hash("OrderItem:o1:2"), "{\"orderId\":\"o1\",\"itemId\":\"2\","
					    "\"quantity\":\"4\",\"price\":\"23.4\"}");
	assert_int_equal(
		update("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2}", "{\"price\":null}"), 0);
	assert_json(hash("OrderItem:o1:2"),
		    "{\"orderId\":\"o1\",\"itemId\":\"2\",\"quantity\":\"4\"}");
	/* a required field cannot be removed */
	assert_int_equal(
		update("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2}", "{\"quantity\":null}"),
		-EINVAL);

	/* @sql:Generated is for SQL stores: a Redis record needs its key */
	assert_int_equal(create_err("Ticket", "{\"title\":\"a\"}"), -EINVAL);
	assert_non_null(strstr(conn_last_error(c), "lacks key field 'id'"));
	create_ok("Ticket", "{\"id\":7,\"title\":\"a\"}", "{\"id\":7}");
	assert_json(hash("Ticket:7"), "{\"id\":\"7\",\"title\":\"a\"}");

	/* float, boolean and decimal keys: their toString() texts */
	create_ok("Measure", "{\"f\":6,\"ok\":true,\"d\":\"1.50\",\"note\":\"a\"}",
		  "{\"f\":6.0,\"ok\":true,\"d\":\"1.5\"}");
	create_ok("Measure", "{\"f\":1e10,\"ok\":false,\"d\":-2,\"note\":\"b\"}",
		  "{\"f\":1e10,\"ok\":false,\"d\":\"-2\"}");
	create_ok("Measure", "{\"f\":1.5e-7,\"ok\":false,\"d\":0.001,\"note\":\"c\"}",
		  "{\"f\":1.5e-7,\"ok\":false,\"d\":\"0.001\"}");
	assert_json(members("KEYS", "Measure:*"),
		    "[\"Measure:1.0E10:false:-2\",\"Measure:1.5E-7:false:0.001\","
		    "\"Measure:6.0:true:1.5\"]");
	assert_json(read_ok("Measure", "{\"f\":1e10,\"ok\":false,\"d\":\"-2\"}"),
		    "{\"f\":1e10,\"ok\":false,\"d\":\"-2\",\"note\":\"b\"}");
	assert_int_equal(read_err("Measure", "{\"f\":2,\"ok\":true,\"d\":\"1\"}"), -ENOENT);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key 'Measure:2.0:true:1' does not exist for the entity 'Measure'.");
}

static void test_types(void **state)
{
	json_t *rec;
	(void)state;

	create_ok("AllTypes",
		  "{\"id\":1,\"b\":true,\"d\":\"0023.4400\",\"f\":2.5,\"s\":\"h\\u00e9 'q\\\"\","
		  "\"date\":\"2024-02-09\",\"tod\":\"10:03:05.250\","
		  "\"utc\":\"2024-01-01T01:30:00.250+02:00\",\"civil\":\"2024-03-04T05:06:07.5\","
		  "\"gender\":\"F\"}",
		  "{\"id\":1}");
	/* runtime.md §5.2: the texts the Ballerina client writes and reads */
	assert_json(hash("AllTypes:1"),
		    "{\"id\":\"1\",\"b\":\"true\",\"d\":\"23.44\",\"f\":\"2.5\","
		    "\"s\":\"h\\u00e9 'q\\\"\",\"date\":\"9-2-2024\",\"tod\":\"10:3:5.25\","
		    "\"utc\":\"2023-12-31T23:30:00.25Z\",\"civil\":\"2024-03-04T05:06:07.5\","
		    "\"gender\":\"F\"}");
	assert_json(read_ok("AllTypes", "{\"id\":1}"),
		    "{\"id\":1,\"b\":true,\"d\":\"23.44\",\"f\":2.5,\"s\":\"h\\u00e9 'q\\\"\","
		    "\"date\":\"2024-02-09\",\"tod\":\"10:03:05.25\","
		    "\"utc\":\"2023-12-31T23:30:00.25Z\",\"civil\":\"2024-03-04T05:06:07.5\","
		    "\"gender\":\"F\"}");

	create_ok("AllTypes",
		  "{\"id\":2,\"b\":false,\"d\":1,\"f\":1e10,\"s\":\"\",\"date\":\"0999-12-31\","
		  "\"tod\":\"00:00:00\",\"utc\":\"2000-01-01T00:00:00.000Z\","
		  "\"civil\":\"0999-01-02T03:04:09.900\",\"gender\":\"MALE\",\"opt\":\"x\"}",
		  "{\"id\":2}");
	assert_json(hash("AllTypes:2"),
		    "{\"id\":\"2\",\"b\":\"false\",\"d\":\"1\",\"f\":\"1.0E10\",\"s\":\"\","
		    "\"date\":\"31-12-999\",\"tod\":\"0:0:0\",\"utc\":\"2000-01-01T00:00:00Z\","
		    "\"civil\":\"999-01-02T03:04:09.9\",\"gender\":\"MALE\",\"opt\":\"x\"}");
	assert_json(read_ok("AllTypes", "{\"id\":2}"),
		    "{\"id\":2,\"b\":false,\"d\":\"1\",\"f\":1e10,\"s\":\"\","
		    "\"date\":\"0999-12-31\",\"tod\":\"00:00:00\",\"utc\":\"2000-01-01T00:00:00Z\","
		    "\"civil\":\"0999-01-02T03:04:09.9\",\"gender\":\"MALE\",\"opt\":\"x\"}");
	/* Java's Double.toString for floats */
	const char *floats[][2] = {
		{ "0.1", "0.1" },
		{ "100", "100.0" },
		{ "-3", "-3.0" },
		{ "0.001", "0.001" },
		{ "0.0001", "1.0E-4" },
		{ "1234567.5", "1234567.5" },
		{ "12345678", "1.2345678E7" },
		{ "1.5e-7", "1.5E-7" },
		{ "1e300", "1.0E300" },
	};
	for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
		char patch[64];
		(void)snprintf(patch, sizeof(patch), "{\"f\":%s}", floats[i][0]);
		assert_int_equal(update("AllTypes", "{\"id\":2}", patch), 0);
		assert_string_equal(TEXT("HGET", "AllTypes:2", "f"), floats[i][1]);
		rec = read_ok("AllTypes", "{\"id\":2}");
		assert_true(json_real_value(json_object_get(rec, "f")) ==
			    strtod(floats[i][0], NULL));
		json_decref(rec);
	}

	/* a hash written the way the Ballerina client writes it reads back: unpadded date and
	 * time parts, a Civil with offset and zone (the offset is not part of the API's
	 * Civil), unpadded Civil seconds (upstream's 9.5), Java float texts */
	RUN("HSET", "AllTypes:3", "id", "3", "b", "true", "d", "1E+2", "f", "1.0E10", "s", "x",
	    "date", "3-11-1993", "tod", "9:5:7", "utc", "2023-05-19T10:54:45.998012Z", "civil",
	    "2024-02-27T10:30:9.5+05:30:00(Asia/Colombo)", "gender", "MALE");
	assert_json(read_ok("AllTypes", "{\"id\":3}"),
		    "{\"id\":3,\"b\":true,\"d\":\"100\",\"f\":1e10,\"s\":\"x\","
		    "\"date\":\"1993-11-03\",\"tod\":\"09:05:07\","
		    "\"utc\":\"2023-05-19T10:54:45.998012Z\",\"civil\":\"2024-02-27T10:30:09.5\","
		    "\"gender\":\"MALE\"}");
	RUN("HSET", "AllTypes:3", "civil", "2024-02-27T10:30:21-08:00:00", "tod", "12:32:34.5");
	rec = read_ok("AllTypes", "{\"id\":3}");
	assert_string_equal(json_string_value(json_object_get(rec, "civil")),
			    "2024-02-27T10:30:21");
	assert_string_equal(json_string_value(json_object_get(rec, "tod")), "12:32:34.5");
	json_decref(rec);
	/* a stored value that is not of the field's type */
	RUN("HSET", "AllTypes:3", "id", "three");
	assert_int_equal(read_err("AllTypes", "{\"id\":3}"), -EIO);
	assert_string_equal(conn_last_error(c),
			    "AllTypes:3: field 'id': cannot read the stored value 'three'");
	RUN("HSET", "AllTypes:3", "id", "3", "gender", "OTHER");
	assert_int_equal(read_err("AllTypes", "{\"id\":3}"), -EIO);
	RUN("HSET", "AllTypes:3", "gender", "F", "date", "31-2-2024");
	assert_int_equal(read_err("AllTypes", "{\"id\":3}"), -EIO);

	/* values checked before anything is sent */
	assert_int_equal(create_err("AllTypes",
				    "{\"id\":4,\"b\":true,\"d\":1,\"f\":1,\"s\":\"\","
				    "\"date\":\"2024-02-30\",\"tod\":\"00:00:00\","
				    "\"utc\":\"2024-01-01T00:00:00Z\","
				    "\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"MALE\"}"),
			 -EINVAL);
	assert_int_equal(create_err("AllTypes",
				    "{\"id\":4,\"b\":true,\"d\":1,\"f\":1,\"s\":\"\","
				    "\"date\":\"2024-02-03\",\"tod\":\"00:00:00\","
				    "\"utc\":\"2024-01-01T00:00:00Z\","
				    "\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"OTHER\"}"),
			 -EINVAL);
	assert_string_equal(conn_last_error(c), "'OTHER' is not a value of enum 'Gender'");
	assert_int_equal(INT("EXISTS", "AllTypes:4"), 0);
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

static void test_relation_layout(void **state)
{
	(void)state;

	seed_people();
	/* @sql:Name is ignored; the foreign key is stored under its field name */
	assert_json(hash("Employee:E1"),
		    "{\"empNo\":\"E1\",\"firstName\":\"Ann\",\"birthDate\":\"2-1-1990\","
		    "\"gender\":\"F\",\"departmentDeptNo\":\"D1\"}");
	/* sets named by the parent's relation field, members the children's key suffixes */
	assert_json(members("SMEMBERS", "Department:D1:employees"), "[\"E1\",\"E2\"]");
	assert_json(members("SMEMBERS", "Department:D2:employees"), "[\"E3\"]");
	assert_int_equal(INT("EXISTS", "Department:D3:employees"), 0);
	assert_json(members("SMEMBERS", "Employee:E1:profile"), "[\"1\"]");
	assert_string_equal(TEXT("TYPE", "Employee:E1:profile"), "set");

	/* an unknown parent: nothing written, no dangling member (§9 #7) */
	assert_int_equal(create_err("Employee", "{\"empNo\":\"E9\",\"firstName\":\"X\","
						"\"birthDate\":\"1990-01-02\",\"gender\":\"F\","
						"\"departmentDeptNo\":\"D9\"}"),
			 -ECONSTRAINT);
	assert_string_equal(conn_last_error(c),
			    "An association constraint failed between entities 'Employee' and "
			    "'Department'");
	assert_int_equal(INT("EXISTS", "Employee:E9"), 0);
	assert_int_equal(INT("EXISTS", "Department:D9:employees"), 0);
	/* 1-1: a parent linked already */
	assert_int_equal(create_err("Profile", "{\"id\":2,\"bio\":\"x\",\"ownerEmpNo\":\"E1\"}"),
			 -ECONSTRAINT);
	assert_string_equal(conn_last_error(c),
			    "An association constraint failed between entities 'Profile' and "
			    "'Employee'");
	assert_int_equal(INT("EXISTS", "Profile:2"), 0);

	/* moving a child moves its set member */
	assert_int_equal(update("Employee", "{\"empNo\":\"E2\"}", "{\"departmentDeptNo\":\"D3\"}"),
			 0);
	assert_json(members("SMEMBERS", "Department:D1:employees"), "[\"E1\"]");
	assert_json(members("SMEMBERS", "Department:D3:employees"), "[\"E2\"]");
	assert_string_equal(TEXT("HGET", "Employee:E2", "departmentDeptNo"), "D3");
	assert_int_equal(update("Employee", "{\"empNo\":\"E2\"}", "{\"departmentDeptNo\":\"D9\"}"),
			 -ECONSTRAINT);
	assert_string_equal(TEXT("HGET", "Employee:E2", "departmentDeptNo"), "D3");
	/* an update that keeps the parent */
	assert_int_equal(update("Employee", "{\"empNo\":\"E2\"}",
				"{\"departmentDeptNo\":\"D3\",\"firstName\":\"Bo\"}"),
			 0);
	assert_json(members("SMEMBERS", "Department:D3:employees"), "[\"E2\"]");
	/* 1-1 moves only to a free parent */
	assert_int_equal(update("Profile", "{\"id\":1}", "{\"ownerEmpNo\":\"E2\"}"), 0);
	assert_int_equal(INT("EXISTS", "Employee:E1:profile"), 0);
	assert_json(members("SMEMBERS", "Employee:E2:profile"), "[\"1\"]");
	create_ok("Profile", "{\"id\":2,\"bio\":\"x\",\"ownerEmpNo\":\"E1\"}", "{\"id\":2}");
	assert_int_equal(update("Profile", "{\"id\":2}", "{\"ownerEmpNo\":\"E2\"}"), -ECONSTRAINT);
	assert_int_equal(update("Profile", "{\"id\":2}", "{\"ownerEmpNo\":\"E1\"}"), 0);

	/* a delete takes the record out of its parents' sets; an emptied set is gone */
	assert_int_equal(remove_key("Employee", "{\"empNo\":\"E3\"}"), 0);
	assert_int_equal(INT("EXISTS", "Employee:E3"), 0);
	assert_int_equal(INT("EXISTS", "Department:D2:employees"), 0);
	/* a parent may go while children point at it (as upstream) */
	assert_int_equal(remove_key("Department", "{\"deptNo\":\"D1\"}"), 0);
	assert_json(members("SMEMBERS", "Department:D1:employees"), "[\"E1\"]");

	/* composite parent key: OrderItem:o1:2:shipments */
	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2}",
		  "{\"orderId\":\"o1\",\"itemId\":1}");
	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2,\"quantity\":3}",
		  "{\"orderId\":\"o1\",\"itemId\":2}");
	create_ok("Shipment", "{\"id\":7,\"itemOrderId\":\"o1\",\"itemItemId\":2}", "{\"id\":7}");
	assert_json(hash("Shipment:7"),
		    "{\"id\":\"7\",\"itemOrderId\":\"o1\",\"itemItemId\":\"2\"}");
	assert_json(members("SMEMBERS", "OrderItem:o1:2:shipments"), "[\"7\"]");
	/* a composite foreign key changed in part is completed from the record (§9 #9) */
	assert_int_equal(update("Shipment", "{\"id\":7}", "{\"itemItemId\":1}"), 0);
	assert_int_equal(INT("EXISTS", "OrderItem:o1:2:shipments"), 0);
	assert_json(members("SMEMBERS", "OrderItem:o1:1:shipments"), "[\"7\"]");
	assert_int_equal(update("Shipment", "{\"id\":7}", "{\"itemOrderId\":\"o2\"}"),
			 -ECONSTRAINT);
	assert_json(members("SMEMBERS", "OrderItem:o1:1:shipments"), "[\"7\"]");
}

static void test_query_and_relations(void **state)
{
	struct query q;
	json_t *rec = NULL, *key;
	(void)state;

	seed_people();
	query_init(&q);
	assert_json(run_query("Department", &q),
		    "[{\"deptNo\":\"D1\",\"deptName\":\"Eng\"},{\"deptNo\":\"D2\",\"deptName\":"
		    "\"Ops\"},{\"deptNo\":\"D3\",\"deptName\":\"Empty\"}]");
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

	/* eq/in on the key: read directly */
	assert_int_equal(query_parse_filter(&q, "empNo", "in.(E3,E1,E9)"), 0);
	assert_int_equal(query_parse_filter(&q, "gender", "neq.F"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_json(run_query("Employee", &q), "[{\"empNo\":\"E3\"}]");
	query_release(&q);
	/* eq on a foreign key: the parent's set */
	assert_int_equal(query_parse_filter(&q, "departmentDeptNo", "eq.D1"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_json(run_query("Employee", &q), "[{\"empNo\":\"E1\"},{\"empNo\":\"E2\"}]");
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

	/* the parent side reads only the set, as upstream's client does (§5.3) */
	RUN("SREM", "Department:D1:employees", "E2");
	assert_int_equal(query_parse_fields(&q, "deptNo,employees[].empNo"), 0);
	assert_int_equal(query_parse_filter(&q, "deptNo", "eq.D1"), 0);
	assert_json(run_query("Department", &q),
		    "[{\"deptNo\":\"D1\",\"employees\":[{\"empNo\":\"E1\"}]}]");
	query_release(&q);
	RUN("SADD", "Department:D1:employees", "E2");

	/* 1-1 from the non-owner side; a missing one is null, not upstream's {} */
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
	key = J("{\"id\":9}");
	rec = NULL;
	assert_int_equal(conn_read_query(c, E("Profile"), key, &q, &rec), -ENOENT);
	assert_string_equal(
		conn_last_error(c),
		"A record with the key 'Profile:9' does not exist for the entity 'Profile'.");
	json_decref(key);
	query_release(&q);

	/* get-all keeps relation sets and foreign hashes under the prefix out (§9 #12) */
	RUN("HSET", "Employee:E1:meta", "empNo", "E1", "note", "not a record");
	RUN("SET", "Employee:E7", "a string");
	RUN("HSET", "Employee:E8", "note", "no key field");
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_json(run_query("Employee", &q),
		    "[{\"empNo\":\"E1\"},{\"empNo\":\"E2\"},{\"empNo\":\"E3\"}]");
	query_release(&q);
	assert_int_equal(read_err("Employee", "{\"empNo\":\"E7\"}"), -ENOENT);
	assert_int_equal(create_err("Employee", "{\"empNo\":\"E7\",\"firstName\":\"X\","
						"\"birthDate\":\"1990-01-02\",\"gender\":\"F\","
						"\"departmentDeptNo\":\"D1\"}"),
			 -EEXIST);

	/* a record and its set member written the way the Ballerina client writes them */
	RUN("HSET", "Employee:E5", "empNo", "E5", "firstName", "Eve", "birthDate", "3-11-1993",
	    "gender", "F", "departmentDeptNo", "D3");
	RUN("SADD", "Department:D3:employees", "E5");
	assert_int_equal(query_parse_fields(&q, "deptNo,employees[].firstName"), 0);
	assert_int_equal(query_parse_filter(&q, "deptNo", "eq.D3"), 0);
	assert_json(run_query("Department", &q),
		    "[{\"deptNo\":\"D3\",\"employees\":[{\"firstName\":\"Eve\"}]}]");
	query_release(&q);

	/* filters on unknown fields, values that do not parse */
	assert_int_equal(query_parse_filter(&q, "nope", "eq.1"), 0);
	assert_int_equal(conn_query(c, E("Employee"), &q, &rec), -EINVAL);
	query_release(&q);
	assert_int_equal(query_parse_filter(&q, "birthDate", "eq.yesterday"), 0);
	assert_int_equal(conn_query(c, E("Employee"), &q, &rec), -EINVAL);
	query_release(&q);
}

static void test_composite_relation(void **state)
{
	struct query q;
	(void)state;

	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2}",
		  "{\"orderId\":\"o1\",\"itemId\":1}");
	create_ok("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2,\"quantity\":3}",
		  "{\"orderId\":\"o1\",\"itemId\":2}");
	create_ok("Shipment", "{\"id\":7,\"itemOrderId\":\"o1\",\"itemItemId\":2}", "{\"id\":7}");
	create_ok("Shipment", "{\"id\":8,\"itemOrderId\":\"o1\",\"itemItemId\":2}", "{\"id\":8}");
	assert_json(members("SMEMBERS", "OrderItem:o1:2:shipments"), "[\"7\",\"8\"]");
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
	/* a parent that is gone: null */
	assert_int_equal(remove_key("OrderItem", "{\"orderId\":\"o1\",\"itemId\":2}"), 0);
	assert_int_equal(query_parse_fields(&q, "id,item.quantity"), 0);
	assert_json(run_query("Shipment", &q),
		    "[{\"id\":7,\"item\":null},{\"id\":8,\"item\":null}]");
	query_release(&q);
}

static void test_batch_all_or_nothing(void **state)
{
	json_t *recs, *keys = NULL;
	(void)state;

	seed_people();
	/* an array is checked whole and written by one EXEC */
	recs = J("[{\"deptNo\":\"D4\",\"deptName\":\"a\"},{\"deptNo\":\"D5\",\"deptName\":\"b\"}]");
	assert_int_equal(conn_create(c, E("Department"), recs, &keys), 0);
	assert_json(keys, "[{\"deptNo\":\"D4\"},{\"deptNo\":\"D5\"}]");
	json_decref(recs);
	keys = NULL;
	recs = J("[]");
	assert_int_equal(conn_create(c, E("Department"), recs, &keys), 0);
	assert_json(keys, "[]");
	json_decref(recs);
	assert_int_equal(INT("DBSIZE"), 12);

	/* one existing key: nothing of the batch is written */
	assert_int_equal(create_err("Department", "[{\"deptNo\":\"D6\",\"deptName\":\"a\"},"
						  "{\"deptNo\":\"D1\",\"deptName\":\"b\"},"
						  "{\"deptNo\":\"D2\",\"deptName\":\"b\"}]"),
			 -EEXIST);
	assert_string_equal(conn_last_error(c),
			    "Record(s) already exist with the same key for the entity "
			    "'Department'. Number of keys exists : 2");
	/* the same key twice in the batch (§9 #8) */
	assert_int_equal(create_err("Department", "[{\"deptNo\":\"D6\",\"deptName\":\"a\"},"
						  "{\"deptNo\":\"D6\",\"deptName\":\"b\"}]"),
			 -EEXIST);
	/* a bad record anywhere */
	assert_int_equal(create_err("Department", "[{\"deptNo\":\"D6\",\"deptName\":\"a\"},"
						  "{\"deptNo\":\"D7\"}]"),
			 -EINVAL);
	assert_string_equal(conn_last_error(c),
			    "record 1: the record of entity 'Department' lacks field 'deptName'");
	/* an unknown parent anywhere */
	assert_int_equal(
		create_err("Employee",
			   "[{\"empNo\":\"E6\",\"firstName\":\"X\",\"birthDate\":\"1990-01-"
			   "02\",\"gender\":\"F\",\"departmentDeptNo\":\"D1\"},"
			   "{\"empNo\":\"E7\",\"firstName\":\"X\",\"birthDate\":\"1990-01-"
			   "02\",\"gender\":\"F\",\"departmentDeptNo\":\"D9\"}]"),
		-ECONSTRAINT);
	/* two 1-1 children of one parent in the batch */
	assert_int_equal(create_err("Profile", "[{\"id\":5,\"bio\":\"x\",\"ownerEmpNo\":\"E2\"},"
					       "{\"id\":6,\"bio\":\"y\",\"ownerEmpNo\":\"E2\"}]"),
			 -ECONSTRAINT);
	assert_int_equal(INT("DBSIZE"), 12);
	assert_json(members("SMEMBERS", "Department:D1:employees"), "[\"E1\",\"E2\"]");
	assert_int_equal(INT("EXISTS", "Employee:E2:profile"), 0);

	/* children in a batch share their parent's set */
	recs = J("[{\"empNo\":\"E6\",\"firstName\":\"X\",\"birthDate\":\"1990-01-02\",\"gender\":"
		 "\"F\",\"departmentDeptNo\":\"D4\"},{\"empNo\":\"E7\",\"firstName\":\"Y\","
		 "\"birthDate\":\"1990-01-02\",\"gender\":\"F\",\"departmentDeptNo\":\"D4\"}]");
	keys = NULL;
	assert_int_equal(conn_create(c, E("Employee"), recs, &keys), 0);
	assert_json(keys, "[{\"empNo\":\"E6\"},{\"empNo\":\"E7\"}]");
	json_decref(recs);
	assert_json(members("SMEMBERS", "Department:D4:employees"), "[\"E6\",\"E7\"]");
}

static void test_cache_mode(void **state)
{
	struct connection_settings cs = { 0 };
	struct conn *cc = NULL;
	struct query q;
	void *ccfg = NULL;
	json_t *rec, *key = NULL, *rows = NULL;
	(void)state;

	cs.connection = url;
	cs.max_age = 100;
	cs.has_max_age = true;
	assert_int_equal(redis_ops.config_parse(&cs, &ccfg, NULL), 0);
	assert_int_equal(conn_open(&redis_ops, ccfg, 5 * USEC_PER_SEC, &cc, NULL, 0), 0);

	rec = J("{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}");
	assert_int_equal(conn_create(cc, E("Department"), rec, &key), 0);
	json_decref(rec);
	json_decref(key);
	rec = J("{\"empNo\":\"E1\",\"firstName\":\"Ann\",\"birthDate\":\"1990-01-02\","
		"\"gender\":\"F\",\"departmentDeptNo\":\"D1\"}");
	key = NULL;
	assert_int_equal(conn_create(cc, E("Employee"), rec, &key), 0);
	json_decref(rec);
	/* every write sets the TTL on the hash and the set it touches */
	assert_in_range(INT("TTL", "Department:D1"), 90, 100);
	assert_in_range(INT("TTL", "Employee:E1"), 90, 100);
	assert_in_range(INT("TTL", "Department:D1:employees"), 90, 100);

	/* a read renews the hash's TTL and adds the record back to its parent's set, as its
	 * suffix (not upstream's full key, §9 #10) */
	RUN("PERSIST", "Employee:E1");
	RUN("DEL", "Department:D1:employees");
	rec = NULL;
	assert_int_equal(conn_read(cc, E("Employee"), key, &rec), 0);
	json_decref(rec);
	assert_in_range(INT("TTL", "Employee:E1"), 90, 100);
	assert_json(members("SMEMBERS", "Department:D1:employees"), "[\"E1\"]");
	assert_in_range(INT("TTL", "Department:D1:employees"), 90, 100);
	/* so does a query, and a read of the set */
	RUN("PERSIST", "Employee:E1");
	RUN("PERSIST", "Department:D1");
	RUN("PERSIST", "Department:D1:employees");
	query_init(&q);
	assert_int_equal(query_parse_fields(&q, "deptNo,employees[].empNo"), 0);
	assert_int_equal(conn_query(cc, E("Department"), &q, &rows), 0);
	assert_json(rows, "[{\"deptNo\":\"D1\",\"employees\":[{\"empNo\":\"E1\"}]}]");
	query_release(&q);
	assert_in_range(INT("TTL", "Department:D1"), 90, 100);
	assert_in_range(INT("TTL", "Employee:E1"), 90, 100);
	assert_in_range(INT("TTL", "Department:D1:employees"), 90, 100);
	/* an update too */
	RUN("PERSIST", "Employee:E1");
	rec = J("{\"firstName\":\"Anne\"}");
	assert_int_equal(conn_update(cc, E("Employee"), key, rec), 0);
	json_decref(rec);
	assert_in_range(INT("TTL", "Employee:E1"), 90, 100);
	/* an expired record is gone */
	RUN("PEXPIRE", "Employee:E1", "1");
	usleep(20 * 1000);
	rec = NULL;
	assert_int_equal(conn_read(cc, E("Employee"), key, &rec), -ENOENT);
	json_decref(key);

	conn_close(cc);
	redis_ops.config_free(ccfg);
	/* maxAge -1 (the generated default) and 0 are store mode */
	cs.max_age = -1;
	assert_int_equal(redis_ops.config_parse(&cs, &ccfg, NULL), 0);
	assert_int_equal(conn_open(&redis_ops, ccfg, 5 * USEC_PER_SEC, &cc, NULL, 0), 0);
	rec = J("{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}");
	key = NULL;
	assert_int_equal(conn_create(cc, E("Department"), rec, &key), 0);
	json_decref(rec);
	json_decref(key);
	assert_int_equal(INT("TTL", "Department:D2"), -1);
	conn_close(cc);
	redis_ops.config_free(ccfg);
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
		/* and for one parent's set */
		rec = json_pack("{s:i,s:s,s:i}", "id", (int)(id * 1000 + i), "itemOrderId", "p",
				"itemItemId", 0);
		key = NULL;
		if (r >= 0)
			r = conn_create(pc, model_find_entity(mf, "Shipment"), rec, &key);
		json_decref(rec);
		json_decref(key);
		if (r < 0)
			print_error("writer %d: %d %s\n", (int)id, r, conn_last_error(pc));
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

	create_ok("OrderItem", "{\"orderId\":\"p\",\"itemId\":0,\"quantity\":0}",
		  "{\"orderId\":\"p\",\"itemId\":0}");
	pool_config_init(&pcfg);
	pcfg.max_size = 3;
	assert_int_equal(pool_new(&redis_ops, &settings, &pcfg, &shared_pool, NULL), 0);
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
	/* 1 + 100 own records, 25 shared ones, 100 shipments and their one set */
	assert_int_equal(INT("DBSIZE"), 1 + 100 + 25 + 100 + 1);
	assert_int_equal(INT("SCARD", "OrderItem:p:0:shipments"), 100);
}

/* Kill the connector's connections to the test database (by name and database, so the other
 * tests sharing the server keep theirs); the number killed. */
static int kill_clients(void)
{
	redisReply *r = CMD("CLIENT", "LIST");
	char *list, *line, *save = NULL;
	int killed = 0;

	assert_int_equal(r->type, REDIS_REPLY_STRING);
	list = strdup(r->str);
	freeReplyObject(r);
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[32];
		if (!strstr(line, " name=persistd ") || !strstr(line, " db=" TEST_DB " ") ||
		    sscanf(line, "id=%31s", id) != 1)
			continue;
		r = CMD("CLIENT", "KILL", "ID", id);
		killed += (int)(r->type == REDIS_REPLY_INTEGER && r->integer == 1);
		freeReplyObject(r);
	}
	free(list);
	return killed;
}

static void test_reconnect(void **state)
{
	struct pool_config pcfg;
	struct pool *p = NULL;
	struct conn *pc = NULL;
	json_t *rows = NULL;
	(void)state;

	/* a connection killed by the server: -ECONNRESET, broken */
	assert_true(kill_clients() >= 1);
	assert_int_equal(conn_query(c, E("Department"), NULL, &rows), -ECONNRESET);
	assert_null(rows);
	assert_true(c->broken);
	assert_int_equal(conn_reset(c), -ECONNRESET);
	conn_close(c);
	assert_int_equal(conn_open(&redis_ops, cfg, 5 * USEC_PER_SEC, &c, NULL, 0), 0);

	/* in a pool: the broken connection is dropped and the next acquire reconnects */
	pool_config_init(&pcfg);
	pcfg.check_delay = 0;
	assert_int_equal(pool_new(&redis_ops, &settings, &pcfg, &p, NULL), 0);
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &pc), 0);
	assert_true(kill_clients() >= 1);
	rows = NULL;
	assert_int_equal(conn_query(pc, E("Department"), NULL, &rows), -ECONNRESET);
	assert_true(pc->broken);
	pool_release(pc);
	pc = NULL;
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &pc), 0);
	assert_int_equal(conn_query(pc, E("Department"), NULL, &rows), 0);
	assert_json(rows, "[]");
	pool_release(pc);
	/* killed while idle in the pool: the health check replaces it */
	assert_true(kill_clients() >= 1);
	pc = NULL;
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &pc), 0);
	rows = NULL;
	assert_int_equal(conn_query(pc, E("Department"), NULL, &rows), 0);
	json_decref(rows);
	pool_release(pc);
	pool_unref(p);
	/* the kills took the test's connection too: a ping finds out */
	assert_int_equal(conn_ping(c, USEC_PER_SEC), -ECONNRESET);
	assert_true(c->broken);
	conn_close(c);
	assert_int_equal(conn_open(&redis_ops, cfg, 5 * USEC_PER_SEC, &c, NULL, 0), 0);
	assert_int_equal(conn_ping(c, USEC_PER_SEC), 0);
}

static void test_store_down(void **state)
{
	struct connection_settings dead = { 0 };
	struct pool_config pcfg;
	struct pool *p = NULL;
	struct tcp_relay relay;
	struct conn *pc = NULL;
	void *dcfg = NULL;
	json_t *rows = NULL;
	char u[128];
	usec_t t0;
	int rport = relay_free_port();
	(void)state;

	assert_true(rport > 0);
	(void)snprintf(u, sizeof(u), "redis://127.0.0.1:%d/" TEST_DB, rport);
	dead.connection = u;
	/* nothing listens: refused at once */
	assert_int_equal(redis_ops.config_parse(&dead, &dcfg, NULL), 0);
	t0 = now_usec(CLOCK_MONOTONIC);
	assert_int_equal(conn_open(&redis_ops, dcfg, 5 * USEC_PER_SEC, &pc, NULL, 0),
			 -ECONNREFUSED);
	assert_true(now_usec(CLOCK_MONOTONIC) - t0 < USEC_PER_SEC);
	redis_ops.config_free(dcfg);

	pool_config_init(&pcfg);
	pcfg.check_delay = 0;
	pcfg.backoff_min = 20 * USEC_PER_MSEC;
	pcfg.backoff_max = 50 * USEC_PER_MSEC;
	assert_int_equal(pool_new(&redis_ops, &dead, &pcfg, &p, NULL), 0);
	assert_int_equal(pool_acquire(p, USEC_PER_SEC, &pc), -ECONNREFUSED);
	/* the server answers again: the pool recovers after its backoff */
	relay_init(&relay, rport, port);
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
		cmocka_unit_test_setup(test_config, reset_data),
		cmocka_unit_test_setup(test_crud, reset_data),
		cmocka_unit_test_setup(test_composite_and_optional, reset_data),
		cmocka_unit_test_setup(test_types, reset_data),
		cmocka_unit_test_setup(test_relation_layout, reset_data),
		cmocka_unit_test_setup(test_query_and_relations, reset_data),
		cmocka_unit_test_setup(test_composite_relation, reset_data),
		cmocka_unit_test_setup(test_batch_all_or_nothing, reset_data),
		cmocka_unit_test_setup(test_cache_mode, reset_data),
		cmocka_unit_test_setup(test_concurrent_writers, reset_data),
		cmocka_unit_test_setup(test_reconnect, reset_data),
		cmocka_unit_test_setup(test_store_down, reset_data),
	};
	const char *h = getenv("PERSISTD_TEST_REDIS_HOST");

	if (!h || !*h || !getenv("PERSISTD_TEST_REDIS_PORT")) {
		printf("PERSISTD_TEST_REDIS_HOST not set: Redis not running, skipping\n");
		return 77;
	}
	/* a write to a connection the server closed must fail, not kill the process (persistd
	 * ignores SIGPIPE too) */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
