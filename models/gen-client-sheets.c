#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "models/gen-client.h"

/* The Google Sheets client (codegen.md §5.4) and script.gs (§8). */

/* upstream crashes past column Z; refuse instead (codegen.md §12 #16) */
#define SHEET_MAX_COLUMNS 26

static const char *data_type(struct gen_client *g, const struct field_type *t)
{
	if (t->kind == FIELD_TYPE_ENUM)
		return "ENUM";
	if (t->module)
		return gc_strf(g, "%s:%s", t->module, t->name);
	return t->name[0] == '\'' ? t->name + 1 : t->name;
}

static const char *sheet_metadata(struct gen_client *g, const struct client_entity *ce)
{
	struct gc_list m = { 0 }, types = { 0 }, fields = { 0 }, assoc = { 0 };
	const struct entity *e = ce->e;
	const struct gc_column *cols;
	size_t n = gc_columns(g, e, &cols);

	if (n > SHEET_MAX_COLUMNS) {
		gc_fail(g, -E2BIG);
		return "";
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = gc_name(g, cols[i].name);
		gc_list_addf(g, &types, "%s: \"%s\"", name, data_type(g, cols[i].type));
		gc_list_addf(g, &fields, "%s: {columnName: \"%s\", columnId: \"%c\"}", name,
			     cols[i].name[0] == '\'' ? cols[i].name + 1 : cols[i].name,
			     (char)('A' + i));
	}
	for (size_t i = 0; i < e->n_fields; i++)
		if (gc_is_association(e->fields[i]))
			gc_list_addf(g, &assoc, "\"%s\": self.%s", e->fields[i]->bare_name,
				     gc_association_name(g, e, e->fields[i]));

	gc_list_addf(g, &m, "entityName: \"%s\"", e->bare_name);
	gc_list_addf(g, &m, "tableName: \"%s\"", e->bare_name);
	gc_list_addf(g, &m, "%s", gc_key_fields(g, e));
	gc_list_addf(g, &m, "range: \"A:%c\"", n ? (char)('A' + n - 1) : 'A');
	gc_list_addf(g, &m, "query: self.query%s", ce->query_suffix);
	gc_list_addf(g, &m, "queryOne: self.queryOne%s", ce->query_suffix);
	gc_list_addf(g, &m, "%s", gc_block(g, 4, "dataTypes: ", &types, false, '{', '}'));
	gc_list_addf(g, &m, "%s", gc_block(g, 4, "fieldMetadata: ", &fields, false, '{', '}'));
	gc_list_addf(g, &m, "%s", gc_block(g, 4, "associationsMethods: ", &assoc, true, '{', '}'));
	return gc_block(g, 3, gc_strf(g, "[%s]: ", ce->const_name), &m, false, '{', '}');
}

static void auth(struct gen_client *g, const char *decl)
{
	gc_line(g, 2, "%s = {", decl);
	gc_line(g, 3, "auth: {");
	gc_line(g, 4, "clientId: clientId,");
	gc_line(g, 4, "clientSecret: clientSecret,");
	gc_line(g, 4, "refreshUrl: sheets:REFRESH_URL,");
	gc_line(g, 4, "refreshToken: refreshToken");
	gc_line(g, 3, "}");
	gc_line(g, 2, "};");
}

static const char *client_args(struct gen_client *g, const struct client_entity *ce)
{
	return gc_strf(
		g,
		"self.googleSheetClient, self.httpClient, metadata.get(%s).cloneReadOnly(), spreadsheetId.cloneReadOnly(), sheetIds.get(%s).cloneReadOnly()",
		ce->const_name, ce->const_name);
}

static void sheets_members(struct gen_client *g)
{
	struct gc_list l = { 0 };

	gc_line(g, 1, "private final sheets:Client googleSheetClient;");
	gc_blank(g);
	gc_line(g, 1, "private final http:Client httpClient;");
	gc_blank(g);
	gc_line(g, 1, "private final map<googlesheets:GoogleSheetsClient> persistClients;");
	gc_blank(g);
	gc_line(g, 1, "public isolated function init() returns persist:Error? {");
	for (size_t i = 0; i < g->n_ents; i++)
		if (!g->ents[i].skip)
			gc_list_addf(g, &l, "%s", sheet_metadata(g, &g->ents[i]));
	gc_line(g, 2, "%s;",
		gc_block(g, 2,
			 "final record {|googlesheets:SheetMetadata...;|} & readonly metadata = ",
			 &l, false, '{', '}'));
	auth(g, "sheets:ConnectionConfig sheetsClientConfig");
	auth(g, "http:ClientConfiguration httpClientConfiguration");
	gc_line(g, 2,
		"http:Client|error httpClient = new (string `https://sheets.googleapis.com/v4/spreadsheets/${spreadsheetId}/values`, httpClientConfiguration);");
	gc_line(g, 2, "if httpClient is error {");
	gc_line(g, 3, "return <persist:Error>error(httpClient.message());");
	gc_line(g, 2, "}");
	gc_line(g, 2, "sheets:Client|error googleSheetClient = new (sheetsClientConfig);");
	gc_line(g, 2, "if googleSheetClient is error {");
	gc_line(g, 3, "return <persist:Error>error(googleSheetClient.message());");
	gc_line(g, 2, "}");
	gc_line(g, 2, "self.googleSheetClient = googleSheetClient;");
	gc_line(g, 2, "self.httpClient = httpClient;");
	gc_line(g, 2,
		"map<int> sheetIds = check googlesheets:getSheetIds(self.googleSheetClient, metadata, spreadsheetId);");
	gc_persist_clients(g, client_args);
	gc_line(g, 1, "}");
}

#define SHEETS_CLIENT "googlesheets:GoogleSheetsClient", "googleSheetsClient"

static void sheets_post(struct gen_client *g, const struct client_entity *ce)
{
	gc_remote_post(g, ce, SHEETS_CLIENT, false);
}

static void sheets_put(struct gen_client *g, const struct client_entity *ce)
{
	gc_remote_put(g, ce, SHEETS_CLIENT);
}

static void sheets_delete(struct gen_client *g, const struct client_entity *ce)
{
	gc_remote_delete(g, ce, SHEETS_CLIENT);
}

static void stream_decl(struct gen_client *g, const struct entity *e)
{
	const struct client_entity *ce = gc_entity(g, e);

	gc_line(g, 2, "stream<%s, persist:Error?> %sStream = self.query%sStream();", e->name,
		ce->res, ce->query_suffix);
}

static void sheets_after_entity(struct gen_client *g, const struct client_entity *ce)
{
	const struct entity *e = ce->e;
	struct gc_list items = { 0 };

	gc_owner_items(g, e, &items);
	gc_line(g, 1,
		"private isolated function query%s(string[] fields) returns stream<record {}, persist:Error?>|persist:Error {",
		ce->query_suffix);
	stream_decl(g, e);
	gc_owner_targets(g, e, stream_decl);
	gc_line(g, 2, "record {}[] outputArray = check from record {} 'object in %sStream",
		ce->res);
	gc_join_lines(g, 3, e, "Stream");
	gc_filter_record(g, 3, &items);
	gc_line(g, 2, "return outputArray.toStream();");
	gc_line(g, 1, "}");
	gc_blank(g);

	gc_line(g, 1,
		"private isolated function queryOne%s(anydata key) returns record {}|persist:Error {",
		ce->query_suffix);
	stream_decl(g, e);
	gc_owner_targets(g, e, stream_decl);
	gc_line(g, 2, "error? unionResult = from record {} 'object in %sStream", ce->res);
	gc_line(g, 3, "where persist:getKey('object, %s) == key", gc_key_names(g, e));
	gc_join_lines(g, 3, e, "Stream");
	gc_query_one_record(g, 3, &items);
	gc_line(g, 2, "if unionResult is error {");
	gc_line(g, 3, "return error persist:Error(unionResult.message());");
	gc_line(g, 2, "}");
	gc_line(g, 2, "return persist:getNotFoundError(\"%s\", key);", e->bare_name);
	gc_line(g, 1, "}");
	gc_blank(g);

	gc_line(g, 1,
		"private isolated function query%sStream(%sTargetType targetType = <>) returns stream<targetType, persist:Error?> = @java:Method {",
		ce->query_suffix, e->name);
	gc_line(g, 2, "'class: \"%s\",", g->fl->processor);
	gc_line(g, 2, "name: \"queryStream\"");
	gc_line(g, 1, "} external;");
	gc_blank(g);
}

struct association {
	const struct entity *e;
	const struct field *f;
};

/* Upstream keeps the association functions in a java.util.HashMap keyed by their names, so
 * they come out in its iteration order (codegen.md §11). */
static void sheets_after_resources(struct gen_client *g)
{
	_cleanup_free_ struct association *v = NULL;
	_cleanup_free_ const char **names = NULL;
	_cleanup_free_ size_t *order = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < g->n_ents; i++) {
		const struct entity *e = g->ents[i].e;
		if (g->ents[i].skip)
			continue;
		for (size_t j = 0; j < e->n_fields; j++) {
			if (!gc_is_association(e->fields[j]))
				continue;
			if (GROW(v, cap, n + 1) < 0) {
				gc_fail(g, -ENOMEM);
				return;
			}
			v[n].e = e;
			v[n++].f = e->fields[j];
		}
	}
	if (n == 0)
		return;
	names = new0(const char *, n);
	order = new0(size_t, n);
	if (!names || !order) {
		gc_fail(g, -ENOMEM);
		return;
	}
	for (size_t i = 0; i < n; i++)
		names[i] = gc_association_name(g, v[i].e, v[i].f);
	gen_java_hashmap_order(names, n, order);

	for (size_t o = 0; o < n; o++) {
		const struct association *a = &v[order[o]];
		const struct client_entity *target = gc_entity(g, a->f->type.entity);
		gc_line(g, 1,
			"private isolated function %s(record {} value, string[] fields) returns record {}[]|persist:Error {",
			names[order[o]]);
		stream_decl(g, target->e);
		gc_line(g, 2, "return from record {} 'object in %sStream", target->res);
		gc_line(g, 3, "%s", gc_association_where(g, a->f));
		gc_filter_record(g, 3, &(struct gc_list){ 0 });
		gc_line(g, 1, "}");
		gc_blank(g);
	}
}

static void sheets_close(struct gen_client *g)
{
	gc_line(g, 2, "return ();");
}

const struct client_flavour client_flavour_googlesheets = {
	.store = "Google Sheets",
	.kind = "sheet",
	.processor = "io.ballerina.stdlib.persist.googlesheets.datastore.GoogleSheetsProcessor",
	.imports = (const char *const[]){ "ballerina/http", "ballerina/jballerina.java",
					  "ballerina/persist", "ballerinax/googleapis.sheets",
					  "ballerinax/persist.googlesheets", NULL },
	.members = sheets_members,
	.post_body = sheets_post,
	.put_body = sheets_put,
	.delete_body = sheets_delete,
	.after_entity = sheets_after_entity,
	.after_resources = sheets_after_resources,
	.close_body = sheets_close,
};

/* ---- script.gs --------------------------------------------------------------------------- */

int gen_sheets_script(const struct model_file *mf, const struct gen_options *o, struct buf *out)
{
	int r;

	(void)o;
	r = buf_adds(out,
		     "// AUTO-GENERATED FILE.\n\n"
		     "// This file is an auto-generated file by Ballerina persistence layer for ");
	if (r >= 0)
		r = buf_addf(
			out,
			"%s.\n// Please verify the generated scripts and execute them against the target DB server.\n\n"
			"function createSheets() {\n",
			o && o->model_name ? o->model_name : "model");
	/* unsupported entities are not skipped here (codegen.md §8) */
	for (size_t i = 0; r >= 0 && i < mf->n_entities; i++) {
		const struct entity *e = mf->entities[i];
		if (i == 0)
			r = buf_addf(
				out,
				"\tvar activeSpreadsheet = SpreadsheetApp.getActiveSpreadsheet();\n"
				"\tvar yourNewSheet = activeSpreadsheet.getSheetByName(\"%s\");\n",
				e->bare_name);
		else
			r = buf_addf(out,
				     "\tyourNewSheet = activeSpreadsheet.getSheetByName(\"%s\");\n",
				     e->bare_name);
		if (r >= 0)
			r = buf_addf(out,
				     "\tif (yourNewSheet != null) {\n"
				     "\t\tactiveSpreadsheet.deleteSheet(yourNewSheet);\n"
				     "\t}\n"
				     "\tyourNewSheet = activeSpreadsheet.insertSheet();\n"
				     "\tyourNewSheet.setName(\"%s\");\n"
				     "\tyourNewSheet.appendRow([",
				     e->bare_name);
		bool first = true;
		for (size_t j = 0; r >= 0 && j < e->n_fields; j++) {
			const struct field *f = e->fields[j];
			if (gc_is_moved_fk(f))
				continue;
			if (gc_is_relation(f) && !f->relation_owner)
				continue;
			if (!gc_is_relation(f) && f->type.kind == FIELD_TYPE_ENTITY)
				continue;
			r = buf_addf(out, "%s\"", first ? "" : ", ");
			first = false;
			if (!gc_is_relation(f)) {
				if (r >= 0)
					r = gen_add_field_name(out, f->name);
				if (r >= 0)
					r = buf_addc(out, '"');
				continue;
			}
			/* a composite foreign key becomes one column name, concatenated without
			 * a separator (codegen.md §12 #12) */
			for (size_t k = 0; r >= 0 && k < f->relation->n_keys; k++)
				r = buf_adds(out, f->relation->keys[k].fk_name);
			if (r >= 0)
				r = buf_addc(out, '"');
		}
		if (r >= 0)
			r = buf_adds(out, "]);\n\n");
	}
	if (r >= 0)
		r = buf_adds(out, "\tyourNewSheet = activeSpreadsheet.getSheetByName(\"Sheet1\");\n"
				  "\tif (yourNewSheet != null) {\n"
				  "\t\tactiveSpreadsheet.deleteSheet(yourNewSheet);\n"
				  "\t}\n"
				  "}\n");
	return r;
}
