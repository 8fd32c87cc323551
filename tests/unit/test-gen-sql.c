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
#include "models/ast.h"
#include "models/gen.h"
#include "models/parser.h"

static struct model_file *parse(const char *text)
{
	struct model_file *mf = NULL;
	struct pd_error e;

	assert_int_equal(model_parse(text, strlen(text), "model.bal", 0, &mf, &e), 0);
	return mf;
}

/* The script without its four header lines. */
static char *script(const char *model, enum datastore d)
{
	struct model_file *mf = parse(model);
	struct buf b = BUF_INIT(1 << 20);
	char *body;

	assert_int_equal(gen_sql_script(mf, d, "model", &b), 0);
	body = strstr(b.buf, "server.\n\n");
	assert_non_null(body);
	body = strdup(body + strlen("server.\n\n"));
	buf_release(&b);
	model_file_free(mf);
	return body;
}

static void test_java_hash_vectors(void **state)
{
	/* codegen.md §11 */
	static const struct {
		const char *key;
		uint32_t h;
	} v[] = {
		{ "Employee", 0x4afd4ace }, { "Workspace", 0xb98a0c75 },
		{ "Building", 0xae9476d4 }, { "Department", 0xa9601f72 },
		{ "User", 0x00285feb },	    { "Car", 0x000107b4 },
	};
	const char *keys[] = { "Employee", "Workspace", "Building", "Department" };
	size_t order[4];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(gen_java_string_hash(v[i].key), v[i].h);
	/* A character outside the BMP counts as two UTF-16 units. */
	assert_int_equal(gen_java_string_hash("\xf0\x9f\x98\x80"), 31u * 0xd83d + 0xde00);
	gen_java_hashmap_order(keys, 4, order);
	assert_string_equal(keys[order[0]], "Building");
	assert_string_equal(keys[order[1]], "Department");
	assert_string_equal(keys[order[2]], "Employee");
	assert_string_equal(keys[order[3]], "Workspace");
}

static const char *const relations_model = "import ballerina/persist as _;\n"
					   "type Building record {|\n"
					   "    readonly string buildingCode;\n"
					   "    Workspace[] workspaces;\n"
					   "|};\n"
					   "type Workspace record {|\n"
					   "    readonly string workspaceId;\n"
					   "    Building location;\n"
					   "    Employee? employee;\n"
					   "|};\n"
					   "type Employee record {|\n"
					   "    readonly string empNo;\n"
					   "    Workspace workspace;\n"
					   "    OrderItem orderItem;\n"
					   "|};\n"
					   "type OrderItem record {|\n"
					   "    readonly string orderId;\n"
					   "    readonly string itemId;\n"
					   "    Employee? employee;\n"
					   "|};\n";

static void test_relations_order_and_foreign_keys(void **state)
{
	char *s = script(relations_model, DATASTORE_MYSQL);

	(void)state;
	assert_string_equal(s, "DROP TABLE IF EXISTS `Employee`;\n"
			       "DROP TABLE IF EXISTS `Workspace`;\n"
			       "DROP TABLE IF EXISTS `OrderItem`;\n"
			       "DROP TABLE IF EXISTS `Building`;\n"
			       "\n"
			       "CREATE TABLE `Building` (\n"
			       "\t`buildingCode` VARCHAR(191) NOT NULL,\n"
			       "\tPRIMARY KEY(`buildingCode`)\n"
			       ");\n"
			       "\n"
			       "CREATE TABLE `OrderItem` (\n"
			       "\t`orderId` VARCHAR(191) NOT NULL,\n"
			       "\t`itemId` VARCHAR(191) NOT NULL,\n"
			       "\tPRIMARY KEY(`orderId`,`itemId`)\n"
			       ");\n"
			       "\n"
			       "CREATE TABLE `Workspace` (\n"
			       "\t`workspaceId` VARCHAR(191) NOT NULL,\n"
			       "\t`locationBuildingCode` VARCHAR(191) NOT NULL,\n"
			       "\tFOREIGN KEY(`locationBuildingCode`) REFERENCES "
			       "`Building`(`buildingCode`),\n"
			       "\tPRIMARY KEY(`workspaceId`)\n"
			       ");\n"
			       "\n"
			       "CREATE TABLE `Employee` (\n"
			       "\t`empNo` VARCHAR(191) NOT NULL,\n"
			       "\t`workspaceWorkspaceId` VARCHAR(191) UNIQUE NOT NULL,\n"
			       "\tFOREIGN KEY(`workspaceWorkspaceId`) REFERENCES "
			       "`Workspace`(`workspaceId`),\n"
			       "\t`orderitemOrderId` VARCHAR(191) NOT NULL,\n"
			       "\t`orderitemItemId` VARCHAR(191) NOT NULL,\n"
			       "\tUNIQUE (`orderitemOrderId`, `orderitemItemId`),\n"
			       "\tFOREIGN KEY(`orderitemOrderId`, `orderitemItemId`) REFERENCES "
			       "`OrderItem`(`orderId`, `itemId`),\n"
			       "\tPRIMARY KEY(`empNo`)\n"
			       ");\n"
			       "\n"
			       "\n");
	free(s);
}

static const char *const types_model = "import ballerina/persist as _;\n"
				       "import ballerina/time;\n"
				       "import ballerinax/persist.sql;\n"
				       "enum Kind { SMALL, LARGE = \"large-one\" }\n"
				       "@sql:Name {value: \"things\"}\n"
				       "@sql:Schema {value: \"inv\"}\n"
				       "type Thing record {|\n"
				       "    @sql:Generated\n"
				       "    readonly int id;\n"
				       "    boolean flag;\n"
				       "    decimal? price;\n"
				       "    float ratio;\n"
				       "    byte[] data;\n"
				       "    time:Utc at;\n"
				       "    time:Civil civil;\n"
				       "    Kind kind;\n"
				       "    @sql:Name {value: \"label_text\"}\n"
				       "    @sql:Varchar {length: 20}\n"
				       "    @sql:UniqueIndex {name: \"label_idx\"}\n"
				       "    string label;\n"
				       "    @sql:Index\n"
				       "    @sql:Decimal {precision: [10, 2]}\n"
				       "    decimal amount;\n"
				       "|};\n";

static void test_types_per_dialect(void **state)
{
	char *mysql = script(types_model, DATASTORE_MYSQL);
	char *mssql = script(types_model, DATASTORE_MSSQL);
	char *pg = script(types_model, DATASTORE_POSTGRESQL);
	char *h2 = script(types_model, DATASTORE_H2);

	(void)state;
	assert_string_equal(mysql, "DROP TABLE IF EXISTS `things`;\n"
				   "\n"
				   "CREATE TABLE `things` (\n"
				   "\t`id` INT AUTO_INCREMENT,\n"
				   "\t`flag` BOOLEAN NOT NULL,\n"
				   "\t`price` DECIMAL(65,30),\n"
				   "\t`ratio` DOUBLE NOT NULL,\n"
				   "\t`data` LONGBLOB NOT NULL,\n"
				   "\t`at` TIMESTAMP NOT NULL,\n"
				   "\t`civil` DATETIME NOT NULL,\n"
				   "\t`kind` ENUM('SMALL', 'large-one') NOT NULL,\n"
				   "\t`label_text` VARCHAR(20) NOT NULL,\n"
				   "\t`amount` DECIMAL(10,2) NOT NULL,\n"
				   "\tPRIMARY KEY(`id`)\n"
				   ");\n"
				   "\n"
				   "\n"
				   "CREATE INDEX `idx_amount` ON `things` (`amount`);\n"
				   "CREATE UNIQUE INDEX `label_idx` ON `things` (`label_text`);\n");
	assert_string_equal(mssql,
			    "DROP TABLE IF EXISTS inv.[things];\n"
			    "\n"
			    "CREATE TABLE inv.[things] (\n"
			    "\t[id] INT IDENTITY(1,1),\n"
			    "\t[flag] BIT NOT NULL,\n"
			    "\t[price] DECIMAL(38,30),\n"
			    "\t[ratio] FLOAT NOT NULL,\n"
			    "\t[data] VARBINARY(MAX) NOT NULL,\n"
			    "\t[at] DATETIME2 NOT NULL,\n"
			    "\t[civil] DATETIME2 NOT NULL,\n"
			    "\t[kind] VARCHAR(9) CHECK ([kind] IN ('SMALL', 'large-one')) NOT "
			    "NULL,\n"
			    "\t[label_text] VARCHAR(20) NOT NULL,\n"
			    "\t[amount] DECIMAL(10,2) NOT NULL,\n"
			    "\tPRIMARY KEY([id])\n"
			    ");\n"
			    "\n"
			    "\n"
			    "CREATE INDEX [idx_amount] ON inv.[things] ([amount]);\n"
			    "CREATE UNIQUE INDEX [label_idx] ON inv.[things] ([label_text]);\n");
	assert_non_null(strstr(pg, "\t\"id\"  SERIAL,\n"));
	assert_non_null(strstr(pg, "CREATE TABLE inv.\"things\" (\n"));
	assert_non_null(strstr(pg, "\t\"data\" BYTEA NOT NULL,\n"));
	assert_non_null(strstr(pg, "\t\"civil\" TIMESTAMP NOT NULL,\n"));
	/* h2 ignores schemas. */
	assert_non_null(strstr(h2, "CREATE TABLE \"things\" (\n"));
	assert_non_null(strstr(h2, "\t\"id\" INT AUTO_INCREMENT,\n"));
	assert_non_null(strstr(h2, "\t\"data\" LONGBLOB NOT NULL,\n"));
	free(mysql);
	free(mssql);
	free(pg);
	free(h2);
}

static void test_unknown_type_and_statements(void **state)
{
	struct model_file *mf = parse("import ballerina/persist as _;\n"
				      "type A record {|\n"
				      "    readonly int id;\n"
				      "    json payload;\n"
				      "|};\n");
	struct gen_sql_statements s = { 0 };
	struct buf b = BUF_INIT(1024);

	(void)state;
	assert_int_equal(gen_sql_column_type(mf->entities[0]->fields[1], DATASTORE_MYSQL, &b),
			 -EINVAL);
	assert_int_equal(gen_sql_column_type(mf->entities[0]->fields[0], DATASTORE_MYSQL, &b), 0);
	assert_string_equal(b.buf, "INT");
	buf_release(&b);
	assert_int_equal(gen_sql_statements(mf, DATASTORE_INMEMORY, &s), -EINVAL);
	model_file_free(mf);

	mf = parse("import ballerina/persist as _;\n"
		   "type A record {|\n"
		   "    readonly int id;\n"
		   "|};\n");
	assert_int_equal(gen_sql_statements(mf, DATASTORE_H2, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.items[0].kind, GEN_SQL_DROP);
	assert_string_equal(s.items[0].text, "DROP TABLE IF EXISTS \"A\";");
	assert_int_equal(s.items[1].kind, GEN_SQL_CREATE);
	assert_true(s.items[1].text[0] == '\n');
	gen_sql_statements_release(&s);
	model_file_free(mf);
}

/* Fail the n-th allocation for n = 0, 1, ... until a run gets through: every failing run
 * returns -ENOMEM and leaves no output (ASan reports leaks). */
static void test_out_of_memory(void **state)
{
	static const enum datastore stores[] = { DATASTORE_MYSQL, DATASTORE_MSSQL,
						 DATASTORE_POSTGRESQL, DATASTORE_H2 };
	const char *const models[] = { relations_model, types_model };

	(void)state;
	for (size_t m = 0; m < 2; m++) {
		struct model_file *mf = parse(models[m]);
		for (size_t d = 0; d < 4; d++) {
			for (long n = 0;; n++) {
				struct buf out = BUF_INIT(1 << 20);
				bool hit;
				int r;

				(void)alloc_fail_after(n);
				r = gen_sql_script(mf, stores[d], "model", &out);
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
		model_file_free(mf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_java_hash_vectors),
		cmocka_unit_test(test_relations_order_and_foreign_keys),
		cmocka_unit_test(test_types_per_dialect),
		cmocka_unit_test(test_unknown_type_and_statements),
		cmocka_unit_test(test_out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
