#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "base/buf.h"
#include "base/strutil.h"
#include "models/gen-client.h"

/* What the four SQL clients differ in (codegen.md §5.2). */
struct sql_store {
	enum datastore ds;
	const char *prefix; /* connector module prefix */
	const char *specifics; /* psql:<X>_SPECIFICS */
	/* mssql and postgresql: init may write default schemas into the metadata, so it is not
	 * readonly, each client gets a read-only clone, and schemas are written */
	bool schemas;
	const char *user_arg; /* the connector's name for the user parameter */
};

static const struct sql_store sql_stores[] = {
	{ DATASTORE_MYSQL, "mysql", "MYSQL", false, "user" },
	{ DATASTORE_MSSQL, "mssql", "MSSQL", true, "user" },
	{ DATASTORE_POSTGRESQL, "postgresql", "POSTGRESQL", true, "username" },
	{ DATASTORE_H2, "jdbc", "H2", false, "user" },
};

static const struct sql_store *sql_store_of(const struct gen_client *g)
{
	for (size_t i = 0; i < ELEMENTSOF(sql_stores); i++)
		if (sql_stores[i].ds == g->ds)
			return &sql_stores[i];
	return &sql_stores[0];
}

/* ---- metadata ---------------------------------------------------------------------------- */

static const char *bare(const char *s)
{
	return s[0] == '\'' ? s + 1 : s;
}

/* fieldMetadata: the entity's own columns, then the columns of every related entity under the
 * relation field's name ("r.a", "r[].a" for an array) */
static const char *field_metadata(struct gen_client *g, const struct entity *e)
{
	const struct gc_column *c;
	struct gc_list l = { 0 };
	size_t n = gc_columns(g, e, &c);

	for (size_t i = 0; i < n; i++)
		gc_list_addf(g, &l, "%s: {columnName: \"%s\"%s}", gc_name(g, c[i].name),
			     bare(c[i].raw_column),
			     c[i].field && c[i].field->generated ? ", dbGenerated: true" : "");
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *r = e->fields[i];
		if (!gc_is_relation(r))
			continue;
		const char *path = gc_strf(g, "%s%s", r->bare_name, r->type.array ? "[]" : "");
		n = gc_columns(g, r->type.entity, &c);
		for (size_t j = 0; j < n; j++) {
			const char *a = bare(c[j].name);
			gc_list_addf(
				g, &l,
				"\"%s.%s\": {relation: {entityName: \"%s\", refField: \"%s\"%s}}",
				path, a, r->bare_name, a,
				gc_column_renamed(g, &c[j])
					? gc_strf(g, ", refColumn: \"%s\"", bare(c[j].raw_column))
					: "");
		}
	}
	return gc_block(g, 3, "fieldMetadata: ", &l, false, '{', '}');
}

/* The 'type of a join, decided by every back-reference in the related entity; with several
 * relations between the same pair the last one wins (codegen.md §12 #3). */
static const char *join_type(const struct entity *e, const struct field *r)
{
	const struct entity *a = r->type.entity;
	const char *type = "ONE_TO_ONE";

	for (size_t i = 0; i < a->n_fields; i++) {
		const struct field *b = a->fields[i];
		if (b->type.kind != FIELD_TYPE_ENTITY || b->type.entity != e)
			continue;
		if (b->type.array && !r->type.array)
			type = "ONE_TO_MANY";
		else if (!b->type.array && r->type.array)
			type = "MANY_TO_ONE";
		else if (b->type.array && r->type.array)
			type = "MANY_TO_MANY";
	}
	return type;
}

static const char *join_metadata(struct gen_client *g, const struct sql_store *st,
				 const struct entity *e)
{
	struct gc_list l = { 0 };

	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *r = e->fields[i];
		if (!gc_is_relation(r))
			continue;
		const struct relation *rel = r->relation;
		const struct entity *a = r->type.entity;
		struct gc_list refs = { 0 }, joins = { 0 };
		for (size_t j = 0; j < rel->n_keys; j++) {
			const char *fk = gc_strf(g, "\"%s\"", bare(rel->keys[j].fk_column));
			const char *key =
				gc_strf(g, "\"%s\"", field_column_name(rel->keys[j].ref_key));
			gc_list_addf(g, &refs, "%s", r->relation_owner ? key : fk);
			gc_list_addf(g, &joins, "%s", r->relation_owner ? fk : key);
		}
		const char *schema = st->schemas && a->schema && a->schema[0]
					     ? gc_strf(g, "refSchema: \"%s\", ", a->schema)
					     : "";
		gc_list_addf(
			g, &l,
			"%s: {entity: %s, fieldName: \"%s\", %srefTable: \"%s\", refColumns: %s, joinColumns: %s, 'type: psql:%s}",
			gc_field_name(g, r), a->name, gc_field_name(g, r), schema, gc_raw_table(a),
			gc_strf(g, "[%s]", gc_join(g, &refs, ", ")),
			gc_strf(g, "[%s]", gc_join(g, &joins, ", ")), join_type(e, r));
	}
	if (l.n == 0)
		return NULL;
	return gc_block(g, 3, "joinMetadata: ", &l, true, '{', '}');
}

static void metadata(struct gen_client *g, const struct sql_store *st)
{
	struct gc_list l = { 0 };

	for (size_t i = 0; i < g->n_ents; i++) {
		const struct client_entity *ce = &g->ents[i];
		const struct entity *e = ce->e;
		struct gc_list m = { 0 };
		if (ce->skip)
			continue;
		gc_list_addf(g, &m, "entityName: \"%s\"", e->bare_name);
		gc_list_addf(g, &m, "tableName: \"%s\"", entity_table_name(e));
		if (st->schemas && e->schema && e->schema[0])
			gc_list_addf(g, &m, "schemaName: \"%s\"", e->schema);
		gc_list_addf(g, &m, "%s", field_metadata(g, e));
		gc_list_addf(g, &m, "%s", gc_key_fields(g, e));
		const char *joins = join_metadata(g, st, e);
		if (joins)
			gc_list_addf(g, &m, "%s", joins);
		gc_list_addf(
			g, &l, "%s",
			gc_block(g, 2, gc_strf(g, "[%s]: ", ce->const_name), &m, false, '{', '}'));
	}
	gc_line(g, 1, "%s;",
		gc_block(g, 1,
			 gc_strf(g, "private final record {|psql:SQLMetadata...;|} %smetadata = ",
				 st->schemas ? "" : "& readonly "),
			 &l, false, '{', '}'));
}

/* ---- init -------------------------------------------------------------------------------- */

static const char *client_args(struct gen_client *g, const struct client_entity *ce)
{
	const struct sql_store *st = sql_store_of(g);

	return gc_strf(g, "dbClient, self.metadata.get(%s)%s, psql:%s_SPECIFICS", ce->const_name,
		       st->schemas ? ".cloneReadOnly()" : "", st->specifics);
}

static void default_schema(struct gen_client *g)
{
	gc_line(g, 2, "if defaultSchema != () {");
	gc_line(g, 3, "lock {");
	gc_line(g, 4, "foreach string key in self.metadata.keys() {");
	gc_line(g, 5, "psql:SQLMetadata metadata = self.metadata.get(key);");
	gc_line(g, 5, "if metadata.schemaName == () {");
	gc_line(g, 6, "metadata.schemaName = defaultSchema;");
	gc_line(g, 5, "}");
	gc_line(g, 5, "map<psql:JoinMetadata>? joinMetadataMap = metadata.joinMetadata;");
	gc_line(g, 5, "if joinMetadataMap == () {");
	gc_line(g, 6, "continue;");
	gc_line(g, 5, "}");
	gc_line(g, 5,
		"foreach [string, psql:JoinMetadata] [_, joinMetadata] in joinMetadataMap.entries() {");
	gc_line(g, 6, "if joinMetadata.refSchema == () {");
	gc_line(g, 7, "joinMetadata.refSchema = defaultSchema;");
	gc_line(g, 6, "}");
	gc_line(g, 5, "}");
	gc_line(g, 4, "}");
	gc_line(g, 3, "}");
	gc_line(g, 2, "}");
}

static void init_signature(struct gen_client *g, const struct sql_store *st)
{
	if (g->test_client) {
		/* the test client always takes its connection from the caller */
		gc_line(g, 1,
			"public isolated function init(string url, string? user = (), string? password = (), jdbc:Options? connectionOptions = ()) returns persist:Error? {");
		return;
	}
	if (!g->o->with_init_params) {
		gc_line(g, 1, "public isolated function init() returns persist:Error? {");
		return;
	}
	gc_line(g, 1, "# Initialize the persist client with %s database connection parameters.",
		g->fl->store);
	gc_line(g, 1, "#");
	if (g->ds == DATASTORE_H2) {
		gc_line(g, 1, "# + url - JDBC URL for the H2 database");
		gc_line(g, 1, "# + user - Database username (optional)");
		gc_line(g, 1, "# + password - Database password (optional)");
		gc_line(g, 1, "# + connectionOptions - Additional H2 connection options");
		gc_line(g, 1, "# + return - An error if initialization fails");
		gc_line(g, 1,
			"public isolated function init(string url, string? user = (), string? password = (), jdbc:Options connectionOptions = {}) returns persist:Error? {");
		return;
	}
	gc_line(g, 1, "# + host - Database server host");
	gc_line(g, 1, "# + port - Database server port");
	gc_line(g, 1, "# + user - Database username");
	gc_line(g, 1, "# + password - Database password");
	gc_line(g, 1, "# + database - Database name");
	gc_line(g, 1, "# + connectionOptions - Additional %s connection options", g->fl->store);
	if (st->schemas)
		gc_line(g, 1, "# + defaultSchema - Default schema name for the database");
	gc_line(g, 1, "# + return - An error if initialization fails");
	gc_line(g, 1,
		"public isolated function init(string host, int port, string user, string password, string database, %s:Options connectionOptions = {}%s) returns persist:Error? {",
		st->prefix, st->schemas ? ", string? defaultSchema = ()" : "");
}

static void sql_members(struct gen_client *g)
{
	const struct sql_store *st = sql_store_of(g);

	gc_line(g, 1, "private final %s:Client dbClient;", st->prefix);
	gc_blank(g);
	gc_line(g, 1, "private final map<psql:SQLClient> persistClients;");
	gc_blank(g);
	metadata(g, st);
	gc_blank(g);
	init_signature(g, st);
	if (g->ds == DATASTORE_H2)
		gc_line(g, 2,
			"jdbc:Client|error dbClient = new (url = url, user = user, password = password, options = connectionOptions);");
	else
		gc_line(g, 2,
			"%s:Client|error dbClient = new (host = host, %s = user, password = password, database = database, port = port, options = connectionOptions);",
			st->prefix, st->user_arg);
	gc_line(g, 2, "if dbClient is error {");
	gc_line(g, 3, "return <persist:Error>error(dbClient.message());");
	gc_line(g, 2, "}");
	gc_line(g, 2, "self.dbClient = dbClient;");
	if (st->schemas)
		default_schema(g);
	gc_persist_clients(g, client_args);
	gc_line(g, 1, "}");
}

/* ---- resources --------------------------------------------------------------------------- */

static bool has_generated_key(const struct entity *e)
{
	for (size_t i = 0; i < e->n_keys; i++)
		if (e->keys[i]->generated)
			return true;
	return false;
}

static void sql_post(struct gen_client *g, const struct client_entity *ce)
{
	gc_remote_post(g, ce, "psql:SQLClient", "sqlClient", has_generated_key(ce->e));
}

static void sql_put(struct gen_client *g, const struct client_entity *ce)
{
	gc_remote_put(g, ce, "psql:SQLClient", "sqlClient");
}

static void sql_delete(struct gen_client *g, const struct client_entity *ce)
{
	gc_remote_delete(g, ce, "psql:SQLClient", "sqlClient");
}

static void native_sql(struct gen_client *g)
{
	gc_line(g, 1, "# Execute a custom SQL query and return results.");
	gc_line(g, 1, "#");
	gc_line(g, 1, "# + sqlQuery - The SQL query to execute");
	gc_line(g, 1, "# + rowType - Defines the structure of the result rows");
	gc_line(g, 1, "# + return - A collection of result rows or an error");
	gc_line(g, 1,
		"remote isolated function queryNativeSQL(sql:ParameterizedQuery sqlQuery, typedesc<record {}> rowType = <>) returns stream<rowType, persist:Error?> = @java:Method {");
	gc_line(g, 2, "'class: \"%s\"", g->fl->processor);
	gc_line(g, 1, "} external;");
	gc_blank(g);
	gc_line(g, 1, "# Execute a custom SQL command (INSERT, UPDATE, DELETE, etc.).");
	gc_line(g, 1, "#");
	gc_line(g, 1, "# + sqlQuery - The SQL command to execute");
	gc_line(g, 1, "# + return - The execution result or an error");
	gc_line(g, 1,
		"remote isolated function executeNativeSQL(sql:ParameterizedQuery sqlQuery) returns psql:ExecutionResult|persist:Error = @java:Method {");
	gc_line(g, 2, "'class: \"%s\"", g->fl->processor);
	gc_line(g, 1, "} external;");
	gc_blank(g);
}

#define SQL_FLAVOUR(store_, processor_, ...)                                          \
	{                                                                             \
		.store = store_, .kind = "table",                                     \
		.processor = "io.ballerina.stdlib.persist.sql.datastore." processor_, \
		.imports = (const char *const[]){ "ballerina/jballerina.java",        \
						  "ballerina/persist",                \
						  "ballerina/sql",                    \
						  "ballerinax/persist.sql as psql",   \
						  __VA_ARGS__,                        \
						  NULL },                             \
		.members = sql_members, .post_body = sql_post, .put_body = sql_put,   \
		.delete_body = sql_delete, .after_resources = native_sql,             \
		.close_body = gc_close_db_client,                                     \
	}

const struct client_flavour client_flavour_mysql =
	SQL_FLAVOUR("MySQL", "MySQLProcessor", "ballerinax/mysql", "ballerinax/mysql.driver as _");
const struct client_flavour client_flavour_mssql =
	SQL_FLAVOUR("MSSQL", "MSSQLProcessor", "ballerinax/mssql", "ballerinax/mssql.driver as _");
const struct client_flavour client_flavour_postgresql =
	SQL_FLAVOUR("PostgreSQL", "PostgreSQLProcessor", "ballerinax/postgresql",
		    "ballerinax/postgresql.driver as _");
const struct client_flavour client_flavour_h2 =
	SQL_FLAVOUR("H2", "H2Processor", "ballerinax/java.jdbc", "ballerinax/h2.driver as _");

/* ---- persist_test_init.bal --------------------------------------------------------------- */

static void gen_sql_statements_releasep(struct gen_sql_statements *s)
{
	gen_sql_statements_release(s);
}

int gen_test_init(const struct model_file *mf, const struct gen_options *o, struct buf *out)
{
	_cleanup_(gen_sql_statements_releasep) struct gen_sql_statements st = { 0 };
	int r;

	(void)o;
	r = gen_sql_statements(mf, DATASTORE_H2, &st);
	if (r < 0)
		return r;
	r = buf_adds(
		out,
		"// AUTO-GENERATED FILE. DO NOT MODIFY.\n\n"
		"// This file is an auto-generated file by Ballerina persistence layer.\n"
		"// It should not be modified by hand.\n\n"
		"import ballerina/persist;\n\n"
		"isolated final H2Client h2Client = check new (\"jdbc:h2:./test\", \"sa\", \"\");\n\n"
		"public isolated function setupTestDB() returns persist:Error? {\n");
	for (size_t i = 0; r >= 0 && i < st.n; i++)
		r = buf_addf(out, "    _ = check h2Client->executeNativeSQL(`%.*s`);\n",
			     (int)st.items[i].len, st.items[i].text);
	if (r >= 0)
		r = buf_adds(
			out,
			"}\n\npublic isolated function cleanupTestDB() returns persist:Error? {\n");
	for (size_t i = 0; r >= 0 && i < st.n; i++)
		if (st.items[i].kind == GEN_SQL_DROP)
			r = buf_addf(out, "    _ = check h2Client->executeNativeSQL(`%.*s`);\n",
				     (int)st.items[i].len, st.items[i].text);
	if (r >= 0)
		r = buf_adds(out, "}\n\n");
	return r;
}
