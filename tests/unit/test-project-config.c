#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/fileio.h"
#include "models/project-config.h"

static const char ballerina_toml[] = "[package]\n"
				     "org = \"acme\"\n"
				     "name = \"shop\"\n"
				     "version = \"0.1.0\"\n"
				     "\n"
				     "[[tool.persist]]\n"
				     "id = \"generate-db-client\"\n"
				     "targetModule = \"shop\"\n"
				     "options.datastore = \"mysql\"\n"
				     "filePath = \"persist/model.bal\"\n"
				     "\n"
				     "[[tool.persist]]\n"
				     "id = \"users\"\n"
				     "targetModule = \"shop.users\"\n"
				     "options.datastore = \"postgresql\"\n"
				     "options.testDatastore = \"h2\"\n"
				     "options.eagerLoading = \"TRUE\"\n"
				     "filePath = \"./persist/users.bal\"\n"
				     "\n"
				     "[[tool.persist]]\n"
				     "id = \"orders\"\n"
				     "targetModule = \"shop.orders\"\n"
				     "options = { datastore = \"redis\", withInitParams = true }\n"
				     "filePath = \"persist/orders/model.bal\"\n"
				     "\n"
				     "[[tool.persist]]\n"
				     "id = \"sheets\"\n"
				     "options.datastore = \"googlesheets\"\n"
				     "options.model = \"x\"\n"
				     "filePath = \"persist/sheets.bal\"\n"
				     "\n"
				     "[[tool.other]]\n"
				     "id = \"unrelated\"\n";

struct project {
	char dir[64];
};

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_true(write_file_atomic(path, text, strlen(text), 0644, false) >= 0);
}

static void remove_file(const char *dir, const char *name)
{
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	(void)unlink(path);
}

static int setup(void **state)
{
	struct project *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	(void)snprintf(p->dir, sizeof(p->dir), "/tmp/test-project-config-XXXXXX");
	if (!mkdtemp(p->dir))
		return -1;
	write_file(p->dir, "Ballerina.toml", ballerina_toml);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct project *p = *state;
	static const char *const files[] = { "Ballerina.toml", "Config.toml", "a.toml", "b.toml" };

	for (size_t i = 0; i < ELEMENTSOF(files); i++)
		remove_file(p->dir, files[i]);
	(void)rmdir(p->dir);
	free(p);
	return 0;
}

static void test_package_and_bindings(void **state)
{
	struct project *p = *state;
	struct project_config *pc = NULL;
	struct pd_error err = { 0 };
	const struct persist_binding *b;

	assert_int_equal(project_config_load(p->dir, NULL, &pc, &err), 0);
	assert_string_equal(pc->package_name, "shop");
	assert_string_equal(pc->package_org, "acme");
	assert_false(pc->workspace);
	assert_false(pc->legacy_persist);
	assert_int_equal(pc->n_bindings, 4);
	assert_int_equal(pc->n_configs, 0);

	b = &pc->bindings[0];
	assert_string_equal(b->id, "generate-db-client");
	assert_string_equal(b->target_module, "shop");
	assert_string_equal(b->datastore, "mysql");
	assert_null(b->test_datastore);
	assert_false(b->eager_loading);
	assert_string_equal(b->model_name, "model");
	assert_int_equal(b->span.line, 6);
	assert_null(b->error);

	b = &pc->bindings[1];
	assert_string_equal(b->test_datastore, "h2");
	assert_true(b->eager_loading);
	assert_string_equal(b->file_path, "./persist/users.bal");
	assert_string_equal(b->model_path, "persist/users.bal");
	assert_string_equal(b->model_name, "users");

	b = &pc->bindings[2];
	assert_string_equal(b->datastore, "redis");
	assert_true(b->with_init_params);
	assert_string_equal(b->model_name, "orders");

	/* Defaults, and an option upstream's schema does not know. */
	b = &pc->bindings[3];
	assert_string_equal(b->target_module, "shop");
	assert_non_null(b->error);
	assert_non_null(strstr(b->error, "'options.model'"));
	assert_non_null(strstr(b->error, "29:"));

	/* Both layouts select by filePath. */
	assert_ptr_equal(project_config_binding_for_path(pc, "persist/users.bal"),
			 &pc->bindings[1]);
	assert_ptr_equal(project_config_binding_for_path(pc, "./persist//orders/model.bal"),
			 &pc->bindings[2]);
	assert_null(project_config_binding_for_path(pc, "persist/users/model.bal"));
	assert_ptr_equal(project_config_binding_for_model(pc, "users"), &pc->bindings[1]);
	assert_ptr_equal(project_config_binding_for_model(pc, "orders"), &pc->bindings[2]);
	assert_ptr_equal(project_config_binding_for_model(pc, "model"), &pc->bindings[0]);
	assert_null(project_config_binding_for_model(pc, "nothing"));
	project_config_free(pc);
}

static void test_connection_from_config_toml(void **state)
{
	struct project *p = *state;
	struct project_config *pc = NULL;
	struct pd_error err = { 0 };
	struct connection_settings cs = { 0 };

	write_file(p->dir, "Config.toml",
		   "[shop]\n"
		   "host = \"db.local\"\n"
		   "port = 3307\n"
		   "user = \"root\"\n"
		   "password = \"Test123#\"\n"
		   "database = \"persist\"\n"
		   "\n"
		   "[shop.users]\n"
		   "host = \"pg\"\n"
		   "port = 5432\n"
		   "defaultSchema = \"app\"\n"
		   "\n"
		   "[shop.orders.connectionConfig]\n"
		   "connection = \"redis://localhost:6379\"\n"
		   "\n"
		   "[shop.orders.cacheConfig]\n"
		   "maxAge = -1\n"
		   "\n"
		   "[acme.shop.sheets]\n"
		   "spreadsheetId = \"sid\"\n"
		   "clientId = \"cid\"\n"
		   "clientSecret = \"secret\"\n"
		   "refreshToken = \"token\"\n");
	assert_int_equal(project_config_load(p->dir, NULL, &pc, &err), 0);
	assert_int_equal(pc->n_configs, 1);

	assert_int_equal(project_config_connection(pc, "shop", &cs, &err), 0);
	assert_string_equal(cs.section, "shop");
	assert_string_equal(cs.host, "db.local");
	assert_int_equal(cs.port, 3307);
	assert_string_equal(cs.password, "Test123#");
	assert_string_equal(cs.database, "persist");
	connection_settings_release(&cs);

	assert_int_equal(project_config_connection(pc, "shop.users", &cs, &err), 0);
	assert_string_equal(cs.host, "pg");
	assert_string_equal(cs.default_schema, "app");
	assert_null(cs.user);
	connection_settings_release(&cs);

	assert_int_equal(project_config_connection(pc, "shop.orders", &cs, &err), 0);
	assert_string_equal(cs.connection, "redis://localhost:6379");
	assert_true(cs.has_max_age);
	assert_int_equal(cs.max_age, -1);
	connection_settings_release(&cs);

	/* The org-qualified section name works too. */
	assert_int_equal(project_config_connection(pc, "shop.sheets", &cs, &err), 0);
	assert_string_equal(cs.section, "acme.shop.sheets");
	assert_string_equal(cs.spreadsheet_id, "sid");
	assert_string_equal(cs.refresh_token, "token");
	connection_settings_release(&cs);

	assert_int_equal(project_config_connection(pc, "shop.none", &cs, &err), 0);
	assert_null(cs.section);
	assert_null(cs.host);
	project_config_free(pc);
}

static void test_bal_config_files(void **state)
{
	struct project *p = *state;
	struct project_config *pc = NULL;
	struct pd_error err = { 0 };
	struct connection_settings cs = { 0 };
	char list[256];

	write_file(p->dir, "Config.toml", "[shop]\nhost = \"ignored\"\n");
	write_file(p->dir, "a.toml", "[shop]\nhost = \"a\"\nport = 1\nuser = \"ua\"\n");
	write_file(p->dir, "b.toml", "[shop]\nhost = \"b\"\nport = 2\n");
	/* Later files win; missing files and empty entries are skipped; absolute paths work. */
	(void)snprintf(list, sizeof(list), "a.toml::missing.toml:%s/b.toml", p->dir);
	assert_int_equal(project_config_load(p->dir, list, &pc, &err), 0);
	assert_int_equal(pc->n_configs, 2);
	assert_int_equal(project_config_connection(pc, "shop", &cs, &err), 0);
	assert_string_equal(cs.host, "b");
	assert_int_equal(cs.port, 2);
	assert_string_equal(cs.user, "ua");
	connection_settings_release(&cs);
	project_config_free(pc);
}

static void test_wrong_types(void **state)
{
	struct project *p = *state;
	struct project_config *pc = NULL;
	struct pd_error err = { 0 };
	struct connection_settings cs = { 0 };

	write_file(p->dir, "Config.toml", "[shop]\nhost = \"h\"\nport = \"3306\"\n");
	assert_int_equal(project_config_load(p->dir, NULL, &pc, &err), 0);
	assert_int_equal(project_config_connection(pc, "shop", &cs, &err), -EBADMSG);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 8);
	assert_non_null(strstr(err.text, "'shop.port'"));
	assert_null(cs.host);
	project_config_free(pc);
	pc = NULL;

	write_file(p->dir, "Config.toml", "[shop\n");
	assert_int_equal(project_config_load(p->dir, NULL, &pc, &err), -EBADMSG);
	assert_null(pc);
	assert_non_null(strstr(err.file, "Config.toml"));
	remove_file(p->dir, "Config.toml");

	remove_file(p->dir, "Ballerina.toml");
	assert_int_equal(project_config_load(p->dir, NULL, &pc, &err), -ENOENT);
}

static void test_parse_text(void **state)
{
	const char *text = "[package]\nname = \"\\\"quoted\\\"\"\n[workspace]\n[persist]\nx = 1\n";
	struct project_config *pc = NULL;
	struct pd_error err = { 0 };

	(void)state;
	assert_int_equal(project_config_parse(text, strlen(text), "Ballerina.toml", &pc, &err), 0);
	assert_string_equal(pc->package_name, "quoted");
	assert_true(pc->workspace);
	assert_true(pc->legacy_persist);
	assert_int_equal(pc->n_bindings, 0);
	project_config_free(pc);

	assert_int_equal(project_config_parse("[package\n", 9, "Ballerina.toml", &pc, &err),
			 -EBADMSG);
	assert_int_equal(err.line, 1);
}

static void test_normalize(void **state)
{
	static const char *const cases[][2] = {
		{ "persist/a.bal", "persist/a.bal" },
		{ "./persist/a.bal", "persist/a.bal" },
		{ "persist//x/./model.bal", "persist/x/model.bal" },
		{ "/abs/persist/a.bal", "/abs/persist/a.bal" },
		{ "persist/", "persist" },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *n = project_model_path_normalize(cases[i][0]);
		assert_string_equal(n, cases[i][1]);
		mem_free(n);
	}
}

static void test_out_of_memory(void **state)
{
	struct project *p = *state;
	int r = -ENOMEM;

	write_file(p->dir, "Config.toml", "[shop.users]\nhost = \"pg\"\nport = 5432\n");
	for (long n = 0; r == -ENOMEM && n < 100000; n++) {
		struct project_config *pc = NULL;
		struct connection_settings cs = { 0 };
		struct pd_error err = { 0 };

		alloc_fail_after(n);
		r = project_config_load(p->dir, NULL, &pc, &err);
		if (r >= 0) {
			r = project_config_connection(pc, "shop.users", &cs, &err);
			if (r >= 0)
				connection_settings_release(&cs);
		}
		alloc_fail_after(-1);
		project_config_free(pc);
	}
	assert_int_equal(r, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_package_and_bindings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_from_config_toml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bal_config_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_types, setup, teardown),
		cmocka_unit_test(test_parse_text),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
