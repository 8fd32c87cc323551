/* The in-memory connector and the shared value and query rules of connectors/connector.c. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/alloc.h"
#include "connectors/connector.h"
#include "tests/integration/connector-test-model.h"

struct fixture {
	struct model_file *mf;
	void *cfg;
	struct conn *c;
};

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (!v)
		fail_msg("bad test JSON '%s': %s", text, e.text);
	return v;
}

static const struct entity *E(struct fixture *f, const char *name)
{
	const struct entity *e = model_find_entity(f->mf, name);
	assert_non_null(e);
	return e;
}

/* Compare v with the JSON text, then drop v. */
static void assert_json(json_t *v, const char *text)
{
	json_t *want = J(text);
	if (!json_equal(v, want)) {
		char *got = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		print_error("got  %s\nwant %s\n", got, text);
		free(got);
		json_decref(v);
		json_decref(want);
		fail();
	}
	json_decref(v);
	json_decref(want);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->mf = connector_test_model_parse();
	assert_non_null(f->mf);
	assert_int_equal(inmemory_ops.config_parse(NULL, &f->cfg, NULL), 0);
	assert_int_equal(conn_open(&inmemory_ops, f->cfg, USEC_PER_SEC, &f->c, NULL, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	conn_close(f->c);
	inmemory_ops.config_free(f->cfg);
	model_file_free(f->mf);
	free(f);
	return 0;
}

static void create_ok(struct fixture *f, const char *entity, const char *rec, const char *key)
{
	json_t *r = J(rec), *k = NULL;
	int ret = conn_create(f->c, E(f, entity), r, &k);
	if (ret < 0)
		fail_msg("create %s: %d %s", rec, ret, conn_last_error(f->c));
	json_decref(r);
	assert_json(k, key);
}

static int create_err(struct fixture *f, const char *entity, const char *rec)
{
	json_t *r = J(rec), *k = NULL;
	int ret = conn_create(f->c, E(f, entity), r, &k);
	json_decref(r);
	assert_null(k);
	return ret;
}

static void test_crud(void **state)
{
	struct fixture *f = *state;
	const struct entity *d = E(f, "Department");
	json_t *key = J("{\"deptNo\":\"D1\"}"), *rec = NULL, *patch;

	assert_true(connector_find("inmemory") == &inmemory_ops);
	assert_null(connector_find("h2"));
	assert_true(connector_has(&inmemory_ops, CONN_CAP_TRANSACTIONS));
	assert_false(connector_has(&inmemory_ops, CONN_CAP_SQL));
	assert_int_equal(conn_apply_sql(f->c, "SELECT 1"), -EOPNOTSUPP);
	assert_int_equal(conn_push(f->c, f->mf, true), -EOPNOTSUPP);

	create_ok(f, "Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}",
		  "{\"deptNo\":\"D1\"}");
	assert_int_equal(create_err(f, "Department", "{\"deptNo\":\"D1\",\"deptName\":\"X\"}"),
			 -EEXIST);
	assert_string_equal(
		conn_last_error(f->c),
		"A record with the key 'D1' already exists for the entity 'Department'.");

	assert_int_equal(conn_read(f->c, d, key, &rec), 0);
	assert_json(rec, "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}");

	patch = J("{\"deptName\":\"Engineering\"}");
	assert_int_equal(conn_update(f->c, d, key, patch), 0);
	json_decref(patch);
	assert_int_equal(conn_read(f->c, d, key, &rec), 0);
	assert_json(rec, "{\"deptNo\":\"D1\",\"deptName\":\"Engineering\"}");

	/* keys never change; unknown fields are refused */
	patch = J("{\"deptNo\":\"D2\"}");
	assert_int_equal(conn_update(f->c, d, key, patch), -EINVAL);
	json_decref(patch);
	patch = J("{\"nope\":1}");
	assert_int_equal(conn_update(f->c, d, key, patch), -EINVAL);
	json_decref(patch);
	/* an empty update only checks the key */
	patch = J("{}");
	assert_int_equal(conn_update(f->c, d, key, patch), 0);
	json_decref(patch);

	assert_int_equal(conn_remove(f->c, d, key), 0);
	rec = NULL;
	assert_int_equal(conn_read(f->c, d, key, &rec), -ENOENT);
	assert_null(rec);
	assert_string_equal(
		conn_last_error(f->c),
		"A record with the key 'D1' does not exist for the entity 'Department'.");
	assert_int_equal(conn_remove(f->c, d, key), -ENOENT);
	patch = J("{}");
	assert_int_equal(conn_update(f->c, d, key, patch), -ENOENT);
	json_decref(patch);
	json_decref(key);
}

static void test_composite_key(void **state)
{
	struct fixture *f = *state;
	const struct entity *o = E(f, "OrderItem");
	json_t *key, *rec = NULL;

	create_ok(f, "OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2,\"price\":1.5}",
		  "{\"orderId\":\"o1\",\"itemId\":1}");
	create_ok(f, "OrderItem", "{\"orderId\":\"o1\",\"itemId\":2,\"quantity\":3}",
		  "{\"orderId\":\"o1\",\"itemId\":2}");
	assert_int_equal(
		create_err(f, "OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":9}"),
		-EEXIST);
	assert_string_equal(
		conn_last_error(f->c),
		"A record with the key '{\"orderId\":\"o1\",\"itemId\":1}' already exists for the entity 'OrderItem'.");

	key = J("{\"orderId\":\"o1\",\"itemId\":2}");
	assert_int_equal(conn_read(f->c, o, key, &rec), 0);
	/* an absent nillable field reads as null; decimals are strings */
	assert_json(rec, "{\"orderId\":\"o1\",\"itemId\":2,\"quantity\":3,\"price\":null}");
	json_decref(key);
	key = J("{\"orderId\":\"o1\",\"itemId\":1}");
	assert_int_equal(conn_read(f->c, o, key, &rec), 0);
	assert_json(rec, "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2,\"price\":\"1.5\"}");
	json_decref(key);

	key = J("{\"orderId\":\"o2\",\"itemId\":7}");
	assert_int_equal(conn_read(f->c, o, key, &rec), -ENOENT);
	assert_string_equal(
		conn_last_error(f->c),
		"A record with the key '{\"orderId\":\"o2\",\"itemId\":7}' does not exist for the entity 'OrderItem'.");
	json_decref(key);
	/* a partial key is not a key */
	key = J("{\"orderId\":\"o1\"}");
	assert_int_equal(conn_read(f->c, o, key, &rec), -EINVAL);
	json_decref(key);
}

static void test_types(void **state)
{
	struct fixture *f = *state;
	const struct entity *a = E(f, "AllTypes");
	json_t *key = J("{\"id\":1}"), *rec = NULL;

	create_ok(f, "AllTypes",
		  "{\"id\":1,\"b\":true,\"d\":\"0023.4400\",\"f\":2,\"s\":\"h\\u00e9\","
		  "\"bytes\":\"AAEC/w==\",\"date\":\"2024-02-29\",\"tod\":\"10:30\","
		  "\"utc\":\"2024-01-01T01:30:00.25+02:00\",\"civil\":\"2024-03-04T05:06:07.5\","
		  "\"gender\":\"F\",\"opt\":null}",
		  "{\"id\":1}");
	assert_int_equal(conn_read(f->c, a, key, &rec), 0);
	assert_json(rec, "{\"id\":1,\"b\":true,\"d\":\"23.44\",\"f\":2.0,\"s\":\"h\\u00e9\","
			 "\"bytes\":\"AAEC/w==\",\"date\":\"2024-02-29\",\"tod\":\"10:30:00\","
			 "\"utc\":\"2023-12-31T23:30:00.25Z\",\"civil\":\"2024-03-04T05:06:07.5\","
			 "\"gender\":\"F\",\"opt\":null}");
	json_decref(key);

	/* wrong values */
	static const char *const bad[] = {
		"{\"id\":2,\"b\":1,\"d\":\"1\",\"f\":1,\"s\":\"\",\"bytes\":\"\",\"date\":\"2024-01-01\",\"tod\":\"00:00:00\",\"utc\":\"2024-01-01T00:00:00Z\",\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"MALE\"}",
		"{\"id\":2,\"b\":true,\"d\":\"1x\",\"f\":1,\"s\":\"\",\"bytes\":\"\",\"date\":\"2024-01-01\",\"tod\":\"00:00:00\",\"utc\":\"2024-01-01T00:00:00Z\",\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"MALE\"}",
		"{\"id\":2,\"b\":true,\"d\":\"1\",\"f\":1,\"s\":\"\",\"bytes\":\"@@\",\"date\":\"2024-01-01\",\"tod\":\"00:00:00\",\"utc\":\"2024-01-01T00:00:00Z\",\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"MALE\"}",
		"{\"id\":2,\"b\":true,\"d\":\"1\",\"f\":1,\"s\":\"\",\"bytes\":\"\",\"date\":\"2023-02-29\",\"tod\":\"00:00:00\",\"utc\":\"2024-01-01T00:00:00Z\",\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"MALE\"}",
		"{\"id\":2,\"b\":true,\"d\":\"1\",\"f\":1,\"s\":\"\",\"bytes\":\"\",\"date\":\"2024-01-01\",\"tod\":\"25:00:00\",\"utc\":\"2024-01-01T00:00:00Z\",\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"MALE\"}",
		"{\"id\":2,\"b\":true,\"d\":\"1\",\"f\":1,\"s\":\"\",\"bytes\":\"\",\"date\":\"2024-01-01\",\"tod\":\"00:00:00\",\"utc\":\"2024-01-01T00:00:00\",\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"MALE\"}",
		"{\"id\":2,\"b\":true,\"d\":\"1\",\"f\":1,\"s\":\"\",\"bytes\":\"\",\"date\":\"2024-01-01\",\"tod\":\"00:00:00\",\"utc\":\"2024-01-01T00:00:00Z\",\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"FEMALE\"}",
		"{\"id\":2,\"b\":true,\"d\":\"1\",\"f\":1,\"s\":\"\",\"bytes\":\"\",\"date\":\"2024-01-01\",\"tod\":\"00:00:00\",\"utc\":\"2024-01-01T00:00:00Z\",\"civil\":\"2024-01-01T00:00:00\"}",
		"{\"id\":2.5,\"b\":true,\"d\":\"1\",\"f\":1,\"s\":\"\",\"bytes\":\"\",\"date\":\"2024-01-01\",\"tod\":\"00:00:00\",\"utc\":\"2024-01-01T00:00:00Z\",\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"MALE\"}",
		"{\"id\":2,\"b\":true,\"d\":\"1\",\"f\":1,\"s\":null,\"bytes\":\"\",\"date\":\"2024-01-01\",\"tod\":\"00:00:00\",\"utc\":\"2024-01-01T00:00:00Z\",\"civil\":\"2024-01-01T00:00:00\",\"gender\":\"MALE\"}",
		"[1]",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		int r = create_err(f, "AllTypes", bad[i]);
		if (r != -EINVAL)
			fail_msg("case %zu: %d", i, r);
		assert_true(strlen(conn_last_error(f->c)) > 0);
	}
}

static void test_key_helpers(void **state)
{
	struct fixture *f = *state;
	const char *segs[] = { "o1", "7" };
	json_t *key = NULL, *res = NULL;
	char err[128];

	assert_int_equal(conn_key_from_segments(E(f, "OrderItem"), segs, 2, &key, err, sizeof(err)),
			 0);
	assert_int_equal(conn_key_result(E(f, "OrderItem"), key, &res), 0);
	assert_json(key, "{\"orderId\":\"o1\",\"itemId\":7}");
	assert_json(res, "[\"o1\",7]");
	assert_int_equal(conn_key_from_segments(E(f, "OrderItem"), segs, 1, &key, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "entity 'OrderItem' has 2 key fields, not 1");
	segs[1] = "x";
	assert_int_equal(conn_key_from_segments(E(f, "OrderItem"), segs, 2, &key, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "field 'itemId': 'x' is not a valid int");
	assert_int_equal(
		conn_key_from_segments(E(f, "Ticket"), segs + 1, 1, &key, err, sizeof(err)),
		-EINVAL);
	segs[1] = "12";
	assert_int_equal(
		conn_key_from_segments(E(f, "Ticket"), segs + 1, 1, &key, err, sizeof(err)), 0);
	assert_int_equal(conn_key_result(E(f, "Ticket"), key, &res), 0);
	assert_json(key, "{\"id\":12}");
	assert_json(res, "12");
}

static void test_decimal_canonical(void **state)
{
	static const char *const cases[][2] = {
		{ "0023.4400", "23.44" },
		{ "-0.0", "0" },
		{ "1.5E3", "1500" },
		{ "1e-3", "0.001" },
		{ "100", "100" },
		{ ".5", "0.5" },
		{ "-12.340", "-12.34" },
		{ "0.000", "0" },
		{ "12345678901234567890.1", "12345678901234567890.1" },
	};
	char out[64];
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		assert_int_equal(conn_decimal_canonical(cases[i][0], out, sizeof(out)), 0);
		assert_string_equal(out, cases[i][1]);
	}
	assert_int_equal(conn_decimal_canonical("1.2.3", out, sizeof(out)), -EINVAL);
	assert_int_equal(conn_decimal_canonical("", out, sizeof(out)), -EINVAL);
	assert_int_equal(conn_decimal_canonical("abc", out, sizeof(out)), -EINVAL);
}

static void test_base64(void **state)
{
	unsigned char *p = NULL;
	size_t n = 0;
	char *s = NULL;
	(void)state;

	assert_int_equal(conn_base64_decode("aGVsbG8=", &p, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(p, "hello", 5);
	assert_int_equal(conn_base64_encode(p, n, &s), 0);
	assert_string_equal(s, "aGVsbG8=");
	mem_free(p);
	mem_free(s);
	assert_int_equal(conn_base64_decode("", &p, &n), 0);
	assert_int_equal(n, 0);
	mem_free(p);
	assert_int_equal(conn_base64_decode("aGVsbG8", &p, &n), -EINVAL);
	assert_int_equal(conn_base64_decode("a=VsbG8=", &p, &n), -EINVAL);
}

static void test_query_parsing(void **state)
{
	struct query q;
	(void)state;

	query_init(&q);
	assert_int_equal(query_parse_filter(&q, "a", "eq.x.y"), 0);
	assert_int_equal(query_parse_filter(&q, "b", "in.(1,\"2,3\",4)"), 0);
	assert_int_equal(query_parse_filter(&q, "c", "is.null"), 0);
	assert_int_equal(query_parse_filter(&q, "d", "is.not_null"), 0);
	assert_int_equal(query_parse_filter(&q, "e", "like.a%"), 0);
	assert_int_equal(query_parse_filter(&q, "e", "zz.1"), -EINVAL);
	assert_int_equal(query_parse_filter(&q, "e", "in.1,2"), -EINVAL);
	assert_int_equal(query_parse_filter(&q, "e", "eq"), -EINVAL);
	assert_int_equal(q.n_filters, 5);
	assert_string_equal(q.filters[0].values[0], "x.y");
	assert_int_equal(q.filters[1].op, QUERY_IN);
	assert_int_equal(q.filters[1].n_values, 3);
	assert_string_equal(q.filters[1].values[1], "2,3");
	assert_int_equal(q.filters[2].op, QUERY_IS_NULL);
	assert_int_equal(q.filters[3].op, QUERY_IS_NOT_NULL);
	assert_int_equal(query_parse_order(&q, "a.desc,b,c.asc"), 0);
	assert_int_equal(q.n_order, 3);
	assert_true(q.order[0].desc);
	assert_false(q.order[1].desc);
	assert_string_equal(q.order[2].field, "c");
	assert_int_equal(query_parse_order(&q, "a,,b"), -EINVAL);
	assert_int_equal(query_parse_fields(&q, "a,rel.b,rel[].c"), 0);
	assert_int_equal(q.n_fields, 3);
	assert_int_equal(query_parse_include(&q, "x,y"), 0);
	assert_int_equal(q.n_include, 2);
	query_release(&q);
	assert_int_equal(q.n_filters, 0);
	assert_true(q.limit == QUERY_NO_LIMIT);
}

static void seed_people(struct fixture *f)
{
	create_ok(f, "Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}",
		  "{\"deptNo\":\"D1\"}");
	create_ok(f, "Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}",
		  "{\"deptNo\":\"D2\"}");
	create_ok(f, "Department", "{\"deptNo\":\"D3\",\"deptName\":\"Empty\"}",
		  "{\"deptNo\":\"D3\"}");
	create_ok(f, "Employee",
		  "{\"empNo\":\"E1\",\"firstName\":\"Ann\",\"birthDate\":\"1990-01-02\","
		  "\"gender\":\"F\",\"departmentDeptNo\":\"D1\"}",
		  "{\"empNo\":\"E1\"}");
	create_ok(f, "Employee",
		  "{\"empNo\":\"E2\",\"firstName\":\"Bob\",\"birthDate\":\"1985-05-06\","
		  "\"gender\":\"MALE\",\"departmentDeptNo\":\"D1\"}",
		  "{\"empNo\":\"E2\"}");
	create_ok(f, "Employee",
		  "{\"empNo\":\"E3\",\"firstName\":\"Cid\",\"birthDate\":\"2000-12-31\","
		  "\"gender\":\"MALE\",\"departmentDeptNo\":\"D2\"}",
		  "{\"empNo\":\"E3\"}");
	create_ok(f, "Profile", "{\"id\":1,\"bio\":\"hi\",\"ownerEmpNo\":\"E1\"}", "{\"id\":1}");
}

static json_t *run_query(struct fixture *f, const char *entity, struct query *q)
{
	json_t *rows = NULL;
	int r = conn_query(f->c, E(f, entity), q, &rows);
	if (r < 0)
		fail_msg("query: %d %s", r, conn_last_error(f->c));
	return rows;
}

static void test_query(void **state)
{
	struct fixture *f = *state;
	struct query q;

	seed_people(f);
	query_init(&q);
	assert_json(
		run_query(f, "Department", NULL),
		"[{\"deptNo\":\"D1\",\"deptName\":\"Eng\"},{\"deptNo\":\"D2\",\"deptName\":\"Ops\"},"
		"{\"deptNo\":\"D3\",\"deptName\":\"Empty\"}]");

	assert_int_equal(query_parse_filter(&q, "gender", "eq.MALE"), 0);
	assert_int_equal(query_parse_order(&q, "birthDate.desc"), 0);
	assert_int_equal(query_parse_fields(&q, "firstName"), 0);
	assert_json(run_query(f, "Employee", &q),
		    "[{\"firstName\":\"Cid\"},{\"firstName\":\"Bob\"}]");
	query_release(&q);

	assert_int_equal(query_parse_filter(&q, "birthDate", "gte.1986-01-01"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_json(run_query(f, "Employee", &q), "[{\"empNo\":\"E1\"},{\"empNo\":\"E3\"}]");
	query_release(&q);

	assert_int_equal(query_parse_filter(&q, "firstName", "like.%o%"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_json(run_query(f, "Employee", &q), "[{\"empNo\":\"E2\"}]");
	query_release(&q);

	assert_int_equal(query_parse_filter(&q, "empNo", "in.(E3,E1,E9)"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_int_equal(query_parse_order(&q, "empNo.desc"), 0);
	assert_json(run_query(f, "Employee", &q), "[{\"empNo\":\"E3\"},{\"empNo\":\"E1\"}]");
	query_release(&q);

	assert_int_equal(query_parse_order(&q, "empNo"), 0);
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	q.limit = 1;
	q.offset = 1;
	assert_json(run_query(f, "Employee", &q), "[{\"empNo\":\"E2\"}]");
	query_release(&q);

	assert_int_equal(query_parse_filter(&q, "price", "is.null"), 0);
	assert_json(run_query(f, "OrderItem", &q), "[]");
	query_release(&q);

	/* unknown names and unparsable values */
	assert_int_equal(query_parse_filter(&q, "nope", "eq.1"), 0);
	{
		json_t *rows = NULL;
		assert_int_equal(conn_query(f->c, E(f, "Employee"), &q, &rows), -EINVAL);
		assert_string_equal(conn_last_error(f->c),
				    "'nope' is not a field of entity 'Employee'");
	}
	query_release(&q);
	assert_int_equal(query_parse_filter(&q, "birthDate", "eq.yesterday"), 0);
	{
		json_t *rows = NULL;
		assert_int_equal(conn_query(f->c, E(f, "Employee"), &q, &rows), -EINVAL);
	}
	query_release(&q);
}

static void test_relations(void **state)
{
	struct fixture *f = *state;
	struct query q;
	json_t *rec = NULL, *key;

	seed_people(f);
	query_init(&q);
	/* owner side: single; key fields are dropped when not asked for */
	assert_int_equal(query_parse_fields(&q, "firstName,department.deptName"), 0);
	assert_int_equal(query_parse_order(&q, "empNo"), 0);
	assert_json(run_query(f, "Employee", &q),
		    "[{\"firstName\":\"Ann\",\"department\":{\"deptName\":\"Eng\"}},"
		    "{\"firstName\":\"Bob\",\"department\":{\"deptName\":\"Eng\"}},"
		    "{\"firstName\":\"Cid\",\"department\":{\"deptName\":\"Ops\"}}]");
	query_release(&q);

	/* parent side of 1-n: an array, [] when none */
	assert_int_equal(query_parse_fields(&q, "deptNo,employees[].empNo"), 0);
	assert_json(run_query(f, "Department", &q),
		    "[{\"deptNo\":\"D1\",\"employees\":[{\"empNo\":\"E1\"},{\"empNo\":\"E2\"}]},"
		    "{\"deptNo\":\"D2\",\"employees\":[{\"empNo\":\"E3\"}]},"
		    "{\"deptNo\":\"D3\",\"employees\":[]}]");
	query_release(&q);

	/* non-owner side of 1-1: null when missing */
	assert_int_equal(query_parse_fields(&q, "empNo"), 0);
	assert_int_equal(query_parse_include(&q, "profile"), 0);
	assert_int_equal(query_parse_filter(&q, "empNo", "in.(E1,E2)"), 0);
	assert_json(
		run_query(f, "Employee", &q),
		"[{\"empNo\":\"E1\",\"profile\":{\"id\":1,\"bio\":\"hi\",\"ownerEmpNo\":\"E1\"}},"
		"{\"empNo\":\"E2\",\"profile\":null}]");
	query_release(&q);

	/* get by key with a projection */
	assert_int_equal(query_parse_fields(&q, "bio,owner.firstName"), 0);
	key = J("{\"id\":1}");
	assert_int_equal(conn_read_query(f->c, E(f, "Profile"), key, &q, &rec), 0);
	assert_json(rec, "{\"bio\":\"hi\",\"owner\":{\"firstName\":\"Ann\"}}");
	json_decref(key);
	key = J("{\"id\":2}");
	rec = NULL;
	assert_int_equal(conn_read_query(f->c, E(f, "Profile"), key, &q, &rec), -ENOENT);
	assert_null(rec);
	assert_string_equal(conn_last_error(f->c),
			    "A record with the key '2' does not exist for the entity 'Profile'.");
	json_decref(key);
	query_release(&q);

	assert_int_equal(query_parse_include(&q, "firstName"), 0);
	{
		json_t *rows = NULL;
		assert_int_equal(conn_query(f->c, E(f, "Employee"), &q, &rows), -EINVAL);
	}
	query_release(&q);
}

static void test_composite_relation(void **state)
{
	struct fixture *f = *state;
	struct query q;

	create_ok(f, "OrderItem", "{\"orderId\":\"o1\",\"itemId\":1,\"quantity\":2}",
		  "{\"orderId\":\"o1\",\"itemId\":1}");
	create_ok(f, "OrderItem", "{\"orderId\":\"o1\",\"itemId\":2,\"quantity\":3}",
		  "{\"orderId\":\"o1\",\"itemId\":2}");
	create_ok(f, "Shipment", "{\"id\":7,\"itemOrderId\":\"o1\",\"itemItemId\":2}",
		  "{\"id\":7}");
	create_ok(f, "Shipment", "{\"id\":8,\"itemOrderId\":\"o1\",\"itemItemId\":2}",
		  "{\"id\":8}");
	query_init(&q);
	assert_int_equal(query_parse_fields(&q, "itemId,shipments[].id"), 0);
	assert_json(run_query(f, "OrderItem", &q),
		    "[{\"itemId\":1,\"shipments\":[]},"
		    "{\"itemId\":2,\"shipments\":[{\"id\":7},{\"id\":8}]}]");
	query_release(&q);
	assert_int_equal(query_parse_fields(&q, "id,item.quantity"), 0);
	assert_json(run_query(f, "Shipment", &q),
		    "[{\"id\":7,\"item\":{\"quantity\":3}},{\"id\":8,\"item\":{\"quantity\":3}}]");
	query_release(&q);
}

static void test_generated_key(void **state)
{
	struct fixture *f = *state;

	create_ok(f, "Ticket", "{\"title\":\"a\"}", "{\"id\":1}");
	create_ok(f, "Ticket", "{\"title\":\"b\"}", "{\"id\":2}");
	create_ok(f, "Ticket", "{\"id\":10,\"title\":\"c\"}", "{\"id\":10}");
	create_ok(f, "Ticket", "{\"title\":\"d\"}", "{\"id\":11}");
}

static void test_transactions(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(conn_begin(f->c), 0);
	assert_int_equal(conn_begin(f->c), -EINVAL);
	create_ok(f, "Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}",
		  "{\"deptNo\":\"D1\"}");
	assert_int_equal(conn_rollback(f->c), 0);
	assert_json(run_query(f, "Department", NULL), "[]");

	create_ok(f, "Department", "{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}",
		  "{\"deptNo\":\"D1\"}");
	assert_int_equal(conn_begin(f->c), 0);
	{
		json_t *key = J("{\"deptNo\":\"D1\"}"), *patch = J("{\"deptName\":\"X\"}");
		assert_int_equal(conn_update(f->c, E(f, "Department"), key, patch), 0);
		assert_int_equal(conn_remove(f->c, E(f, "Department"), key), 0);
		json_decref(key);
		json_decref(patch);
	}
	create_ok(f, "Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}",
		  "{\"deptNo\":\"D2\"}");
	assert_int_equal(conn_rollback(f->c), 0);
	assert_json(run_query(f, "Department", NULL), "[{\"deptNo\":\"D1\",\"deptName\":\"Eng\"}]");

	assert_int_equal(conn_begin(f->c), 0);
	create_ok(f, "Department", "{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}",
		  "{\"deptNo\":\"D2\"}");
	assert_int_equal(conn_commit(f->c), 0);
	assert_int_equal(conn_commit(f->c), -EINVAL);
	/* a reset (back to the pool) rolls an open transaction back */
	assert_int_equal(conn_begin(f->c), 0);
	create_ok(f, "Department", "{\"deptNo\":\"D3\",\"deptName\":\"X\"}", "{\"deptNo\":\"D3\"}");
	assert_int_equal(conn_reset(f->c), 0);
	assert_json(
		run_query(f, "Department", NULL),
		"[{\"deptNo\":\"D1\",\"deptName\":\"Eng\"},{\"deptNo\":\"D2\",\"deptName\":\"Ops\"}]");
}

#define N_THREADS 4
#define N_ROWS	  100

struct writer {
	struct fixture *f;
	int id;
	int failures;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct conn *c = NULL;

	if (conn_open(&inmemory_ops, w->f->cfg, USEC_PER_SEC, &c, NULL, 0) < 0) {
		w->failures++;
		return NULL;
	}
	for (int i = 0; i < N_ROWS; i++) {
		json_t *rec = json_pack("{s:s,s:i,s:i}", "orderId", "o", "itemId", w->id * 1000 + i,
					"quantity", i);
		json_t *key = NULL;
		if (conn_create(c, model_find_entity(w->f->mf, "OrderItem"), rec, &key) < 0)
			w->failures++;
		json_decref(rec);
		json_decref(key);
		/* every thread also tries one shared key: exactly one wins */
		rec = json_pack("{s:s,s:i,s:i}", "orderId", "shared", "itemId", i, "quantity", 0);
		key = NULL;
		(void)conn_create(c, model_find_entity(w->f->mf, "OrderItem"), rec, &key);
		json_decref(rec);
		json_decref(key);
	}
	conn_close(c);
	return NULL;
}

static void test_concurrent_writers(void **state)
{
	struct fixture *f = *state;
	pthread_t t[N_THREADS];
	struct writer w[N_THREADS];
	json_t *rows;

	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (struct writer){ .f = f, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	rows = run_query(f, "OrderItem", NULL);
	assert_int_equal(json_array_size(rows), N_THREADS * N_ROWS + N_ROWS);
	json_decref(rows);
}

/* Every allocation failure comes back as -ENOMEM and leaves the store as it was. */
static void test_oom(void **state)
{
	struct fixture *f = *state;
	struct query q;
	long n;
	int r = -ENOMEM;

	seed_people(f);
	for (n = 0; r == -ENOMEM; n++) {
		json_t *rec =
			J("{\"id\":1,\"b\":true,\"d\":\"1.50\",\"f\":1,\"s\":\"x\","
			  "\"bytes\":\"AA==\",\"date\":\"2024-01-01\",\"tod\":\"01:02:03\","
			  "\"utc\":\"2024-01-01T00:00:00+01:00\",\"civil\":\"2024-01-01T00:00:00\","
			  "\"gender\":\"MALE\"}");
		json_t *key = NULL, *rows;
		alloc_fail_after(n);
		r = conn_create(f->c, E(f, "AllTypes"), rec, &key);
		alloc_fail_after(-1);
		json_decref(rec);
		if (r == 0) {
			json_decref(key);
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_null(key);
		rows = run_query(f, "AllTypes", NULL);
		assert_int_equal(json_array_size(rows), 0);
		json_decref(rows);
	}
	assert_true(n > 1);

	query_init(&q);
	assert_int_equal(query_parse_fields(&q, "deptNo,employees[].empNo"), 0);
	assert_int_equal(query_parse_filter(&q, "deptName", "in.(Eng,Ops)"), 0);
	assert_int_equal(query_parse_order(&q, "deptName.desc"), 0);
	r = -ENOMEM;
	for (n = 0; r == -ENOMEM; n++) {
		json_t *rows = NULL;
		alloc_fail_after(n);
		r = conn_query(f->c, E(f, "Department"), &q, &rows);
		alloc_fail_after(-1);
		if (r == 0) {
			assert_json(rows, "[{\"deptNo\":\"D2\",\"employees\":[{\"empNo\":\"E3\"}]},"
					  "{\"deptNo\":\"D1\",\"employees\":[{\"empNo\":\"E1\"},"
					  "{\"empNo\":\"E2\"}]}]");
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_null(rows);
	}
	query_release(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_composite_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_helpers, setup, teardown),
		cmocka_unit_test(test_decimal_canonical),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_query_parsing),
		cmocka_unit_test_setup_teardown(test_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_composite_relation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generated_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	};

	/* jansson allocates through the same hook, so the OOM test reaches it too */
	json_set_alloc_funcs(mem_alloc, mem_free);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
