#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/error.h"
#include "models/gen.h"

static void test_db_config(void **state)
{
	struct gen_options o = { .datastore = DATASTORE_POSTGRESQL };
	struct buf b = BUF_INIT(1 << 16);

	(void)state;
	assert_int_equal(gen_db_config(NULL, &o, &b), 0);
	assert_string_equal(b.buf,
			    "// AUTO-GENERATED FILE. DO NOT MODIFY.\n\n"
			    "// This file is an auto-generated file by Ballerina persistence "
			    "layer.\n"
			    "// It should not be modified by hand.\n\n"
			    "import ballerinax/postgresql;\n\n"
			    "configurable int port = ?;\n"
			    "configurable string host = ?;\n"
			    "configurable string user = ?;\n"
			    "configurable string database = ?;\n"
			    "configurable string password = ?;\n"
			    "configurable postgresql:Options & readonly connectionOptions = {};\n"
			    "configurable string? defaultSchema = ();\n\n");
	buf_release(&b);
	o.datastore = DATASTORE_INMEMORY;
	assert_int_equal(gen_db_config(NULL, &o, &b), -EINVAL);
}

static void test_config_toml(void **state)
{
	const char *existing = "[pkg]\nhost = \"x\"";
	struct buf b = BUF_INIT(1 << 16);
	struct pd_error e;

	(void)state;
	/* Missing file: just the section. */
	assert_int_equal(gen_config_toml(NULL, 0, DATASTORE_H2, "pkg.db", &b, &e), 1);
	assert_string_equal(b.buf, "[pkg.db]\nurl = \"\"\nuser = \"\"\npassword = \"\"\n");
	buf_release(&b);

	/* Existing text kept byte for byte, the section appended after a line break. */
	assert_int_equal(
		gen_config_toml(existing, strlen(existing), DATASTORE_MYSQL, "pkg.db", &b, &e), 1);
	assert_string_equal(b.buf,
			    "[pkg]\nhost = \"x\"\n\n[pkg.db]\nhost = \"localhost\"\n"
			    "port = 3306\nuser = \"root\"\npassword = \"\"\ndatabase = \"\"\n");
	buf_release(&b);

	/* A table of that name exists: nothing changes. */
	assert_int_equal(
		gen_config_toml(existing, strlen(existing), DATASTORE_MYSQL, "pkg", &b, &e), 0);
	assert_int_equal(b.len, 0);

	/* Redis sections never match the module name, so they are appended every time. */
	existing = "[pkg.connectionConfig]\nconnection = \"redis://localhost:6379\"\n";
	assert_int_equal(
		gen_config_toml(existing, strlen(existing), DATASTORE_REDIS, "pkg", &b, &e), 1);
	assert_non_null(strstr(b.buf + strlen(existing), "[pkg.cacheConfig]\nmaxAge = -1\n"));
	buf_release(&b);

	/* inmemory writes nothing. */
	assert_int_equal(gen_config_toml(NULL, 0, DATASTORE_INMEMORY, "pkg", &b, &e), 0);
	assert_int_equal(gen_config_toml("[a\n", 3, DATASTORE_MYSQL, "pkg", &b, &e), -EBADMSG);
}

static void test_native_dependency(void **state)
{
	const char *toml = "[package]\nname = \"p\"\n";
	const char *with =
		"[package]\nname = \"p\"\n\n[[platform.java21.dependency]]\n"
		"groupId = \"io.ballerina.stdlib\"\nartifactId = \"persist.sql-native\"\n"
		"version = \"1.7.0\"\n";
	const char *old = "[package]\nname = \"p\"\n\n[[platform.java21.dependency]]\n"
			  "artifactId = \"persist.sql-native\"\nversion = \"1.2.1\"\n";
	struct buf b = BUF_INIT(1 << 16);
	char warning[512];
	struct pd_error e;

	(void)state;
	assert_int_equal(gen_native_dependency(toml, strlen(toml), DATASTORE_MYSQL, DATASTORE_H2,
					       false, &b, warning, sizeof(warning), &e),
			 1);
	assert_string_equal(b.buf, "[package]\nname = \"p\"\n\n[[platform.java21.dependency]]\n"
				   "groupId = \"io.ballerina.stdlib\"\n"
				   "artifactId = \"persist.sql-native\"\nversion = \"1.7.2\"\n");
	buf_release(&b);

	/* The build integration packs an older SQL library. */
	assert_int_equal(gen_native_dependency(toml, strlen(toml), DATASTORE_H2, DATASTORE_INVALID,
					       true, &b, warning, sizeof(warning), &e),
			 1);
	assert_non_null(strstr(b.buf, "version = \"1.6.0\"\n"));
	buf_release(&b);

	/* A test store with its own artifact adds a second table. */
	assert_int_equal(gen_native_dependency(toml, strlen(toml), DATASTORE_REDIS,
					       DATASTORE_INMEMORY, false, &b, warning,
					       sizeof(warning), &e),
			 1);
	assert_non_null(strstr(b.buf, "groupId = \"io.ballerina.lib\"\nartifactId = "
				      "\"persist.redis-native\"\nversion = \"0.4.0\"\n"));
	assert_non_null(strstr(b.buf, "artifactId = \"persist.inmemory-native\"\nversion = "
				      "\"1.6.0\"\n"));
	buf_release(&b);

	/* Present and compatible but older: unchanged, with a warning. */
	assert_int_equal(gen_native_dependency(with, strlen(with), DATASTORE_MYSQL,
					       DATASTORE_INVALID, false, &b, warning,
					       sizeof(warning), &e),
			 0);
	assert_int_equal(b.len, 0);
	assert_non_null(strstr(warning, "(existing version: 1.7.0, packed version: 1.7.2)."));

	/* Incompatible. */
	assert_int_equal(gen_native_dependency(old, strlen(old), DATASTORE_MYSQL, DATASTORE_INVALID,
					       false, &b, warning, sizeof(warning), &e),
			 -EINVAL);
	assert_non_null(strstr(e.text, "(existing version: 1.2.1, packed version: 1.7.2)"));

	/* An empty document is left alone. */
	assert_int_equal(gen_native_dependency("# c\n", 4, DATASTORE_MYSQL, DATASTORE_INVALID,
					       false, &b, warning, sizeof(warning), &e),
			 0);
}

static void test_persist_toml_entry(void **state)
{
	struct buf b = BUF_INIT(1024);

	(void)state;
	assert_int_equal(gen_persist_toml_entry(DATASTORE_MYSQL, "pkg.db", NULL, &b), 0);
	assert_int_equal(gen_persist_toml_entry(DATASTORE_H2, "pkg", "users", &b), 0);
	assert_string_equal(b.buf,
			    "[[tool.persist]]\noptions.datastore = \"mysql\"\n"
			    "module = \"pkg.db\"\n"
			    "[[tool.persist]]\noptions.datastore = \"h2\"\nmodule = \"pkg\"\n"
			    "model = \"users\"\n");
	buf_release(&b);
}

static void test_out_of_memory(void **state)
{
	const char *config = "[pkg]\nhost = \"x\"\n";
	const char *toml = "[package]\nname = \"p\"\n";
	char warning[512];

	(void)state;
	for (int which = 0; which < 2; which++) {
		for (long n = 0;; n++) {
			struct buf out = BUF_INIT(1 << 20);
			struct pd_error e;
			bool hit;
			int r;

			(void)alloc_fail_after(n);
			if (which == 0)
				r = gen_config_toml(config, strlen(config), DATASTORE_MYSQL,
						    "pkg.db", &out, &e);
			else
				r = gen_native_dependency(toml, strlen(toml), DATASTORE_REDIS,
							  DATASTORE_INMEMORY, false, &out, warning,
							  sizeof(warning), &e);
			hit = alloc_failed();
			(void)alloc_fail_after(-1);
			if (hit) {
				assert_int_equal(r, -ENOMEM);
				assert_int_equal(out.len, 0);
			}
			buf_release(&out);
			if (!hit)
				break;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db_config),	  cmocka_unit_test(test_config_toml),
		cmocka_unit_test(test_native_dependency), cmocka_unit_test(test_persist_toml_entry),
		cmocka_unit_test(test_out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
