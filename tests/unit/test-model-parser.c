#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/error.h"
#include "models/ast.h"
#include "models/lexer.h"
#include "models/parser.h"

static struct model_file *parse_ok(const char *text)
{
	struct model_file *mf = NULL;
	struct pd_error e = { 0 };
	int r = model_parse(text, strlen(text), "t.bal", 0, &mf, &e);

	if (r < 0)
		fail_msg("parse failed: %u:%u: %s", e.line, e.column, e.text);
	assert_non_null(mf);
	return mf;
}

static void parse_fails(const char *text, unsigned line, unsigned column, const char *needle)
{
	struct model_file *mf = NULL;
	struct pd_error e = { 0 };
	int r = model_parse(text, strlen(text), "t.bal", 0, &mf, &e);

	assert_int_equal(r, -EBADMSG);
	assert_null(mf);
	if (e.line != line || e.column != column || !strstr(e.text, needle))
		fail_msg("got %u:%u: %s, wanted %u:%u: ...%s...", e.line, e.column, e.text, line,
			 column, needle);
	assert_string_equal(e.file, "t.bal");
}

static void test_lexer_positions(void **state)
{
	static const char text[] = "import a/b;\n  'x \"s\\\"\" 12 3.5 {| |} ... # doc\n@";
	struct token_list l = { 0 };
	(void)state;

	assert_int_equal(lexer_run(text, strlen(text), "f", &l, NULL), 0);
	assert_int_equal(l.n, 15);
	assert_int_equal(l.tokens[0].kind, TOKEN_IDENT);
	assert_int_equal(l.tokens[5].kind, TOKEN_IDENT);
	assert_true(l.tokens[5].quoted);
	assert_int_equal(l.tokens[5].line, 2);
	assert_int_equal(l.tokens[5].column, 3);
	assert_int_equal(l.tokens[6].kind, TOKEN_STRING);
	assert_int_equal(l.tokens[6].len, 5);
	assert_int_equal(l.tokens[7].kind, TOKEN_INT);
	assert_int_equal(l.tokens[8].kind, TOKEN_FLOAT);
	assert_int_equal(l.tokens[9].kind, TOKEN_LBRACE_BAR);
	assert_int_equal(l.tokens[10].kind, TOKEN_BAR_RBRACE);
	assert_int_equal(l.tokens[11].kind, TOKEN_ELLIPSIS);
	assert_int_equal(l.tokens[12].kind, TOKEN_DOC);
	assert_int_equal(l.tokens[13].kind, TOKEN_AT);
	token_list_release(&l);
}

static void test_lexer_errors(void **state)
{
	struct pd_error e = { 0 };
	struct token_list l = { 0 };
	(void)state;

	assert_int_equal(lexer_run("a\n  \"open", 9, "f", &l, &e), -EBADMSG);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.column, 3);
	assert_int_equal(lexer_run("a $", 3, "f", &l, &e), -EBADMSG);
	assert_string_equal(e.text, "invalid character '$'");
	assert_int_equal(lexer_run("a\x01", 2, "f", &l, &e), -EBADMSG);
	assert_int_equal(lexer_run("1abc", 4, "f", &l, &e), -EBADMSG);
}

static void test_full_model(void **state)
{
	static const char text[] = "import ballerina/persist as _;\n"
				   "import ballerina/time;\n"
				   "import ballerinax/persist.sql;\n"
				   "\n"
				   "# A building\n"
				   "@sql:Name {value: \"buildings\"}\n"
				   "public type 'Building record {|\n"
				   "    readonly string 'code;\n"
				   "    @sql:Varchar {length: 20}\n"
				   "    string? city;\n"
				   "    time:Civil[] times;\n"
				   "    @sql:Index {name: [\"a\", \"b\"]}\n"
				   "    int floors;\n"
				   "    @sql:Decimal {precision: [10, 2]}\n"
				   "    decimal price;\n"
				   "    Room[] rooms;\n"
				   "    Kind kind;\n"
				   "|};\n"
				   "\n"
				   "type Room record {|\n"
				   "    readonly int id;\n"
				   "    readonly int n;\n"
				   "    @sql:Relation {keys: [\"bcode\"]}\n"
				   "    'Building building;\n"
				   "    string bcode;\n"
				   "    //Unsupported[json] payload;\n"
				   "|};\n"
				   "\n"
				   "enum Kind { A, B = \"bee\", C }\n";
	struct model_file *mf = parse_ok(text);
	struct entity *b, *room;
	struct relation *rel;
	(void)state;

	assert_int_equal(mf->n_imports, 3);
	assert_string_equal(mf->imports[0].prefix, "_");
	assert_string_equal(mf->imports[2].module, "persist.sql");
	assert_string_equal(mf->imports[2].effective_prefix, "sql");
	assert_true(mf->has_persist_import);
	assert_true(mf->uses_time);
	assert_int_equal(mf->n_entities, 2);
	b = mf->entities[0];
	room = mf->entities[1];
	assert_string_equal(b->name, "'Building");
	assert_string_equal(b->bare_name, "Building");
	assert_true(b->is_public);
	assert_true(b->closed);
	assert_false(b->unsupported);
	assert_true(room->unsupported);
	assert_false(room->is_public);
	assert_int_equal(b->pos.line, 7);
	assert_int_equal(b->pos.column, 13);
	assert_int_equal(b->start.line, 6);
	assert_string_equal(b->table_name, "buildings");
	assert_string_equal(entity_table_name(room), "Room");
	assert_int_equal(b->n_fields, 7);
	assert_int_equal(b->n_keys, 1);
	assert_string_equal(b->keys[0]->name, "'code");
	assert_int_equal(b->fields[1]->type.kind, FIELD_TYPE_STRING);
	assert_true(b->fields[1]->type.nillable);
	assert_string_equal(b->fields[1]->varchar_length, "20");
	assert_int_equal(b->fields[2]->type.kind, FIELD_TYPE_TIME);
	assert_string_equal(b->fields[2]->type.name, "Civil");
	assert_string_equal(b->fields[2]->type.text, "time:Civil[]");
	assert_true(b->fields[2]->type.array);
	assert_int_equal(b->fields[3]->n_index_names, 2);
	assert_string_equal(b->fields[3]->index_names[1], "b");
	assert_string_equal(b->fields[4]->decimal_precision, "10");
	assert_string_equal(b->fields[4]->decimal_scale, "2");
	assert_int_equal(b->fields[5]->type.kind, FIELD_TYPE_ENTITY);
	assert_ptr_equal(b->fields[5]->type.entity, room);
	assert_int_equal(b->fields[6]->type.kind, FIELD_TYPE_ENUM);
	assert_string_equal(b->fields[6]->type.label, "enum");

	assert_int_equal(mf->n_enums, 1);
	assert_int_equal(mf->enums[0]->n_members, 3);
	assert_string_equal(mf->enums[0]->members[1].value, "bee");
	assert_string_equal(mf->enums[0]->members[2].value, "C");
	assert_null(mf->enums[0]->members[2].value_text);

	assert_int_equal(mf->n_relations, 1);
	rel = mf->relations[0];
	assert_int_equal(rel->kind, RELATION_ONE_TO_MANY);
	assert_ptr_equal(rel->owner, room);
	assert_ptr_equal(rel->ref, b);
	assert_true(rel->by_annotation);
	assert_int_equal(rel->n_keys, 1);
	assert_string_equal(rel->keys[0].fk_name, "bcode");
	assert_ptr_equal(rel->keys[0].fk_field, room->fields[3]);
	assert_ptr_equal(room->fields[3]->fk_of, rel);
	assert_true(room->fields[2]->relation_owner);
	assert_int_equal(b->n_relations, 1);
	model_file_free(mf);
}

static void test_relation_names(void **state)
{
	static const char text[] =
		"import ballerina/persist as _;\n"
		"type Dept record {| readonly string deptNo; readonly int x;\n"
		"  Emp[] emps; |};\n"
		"type Emp record {| readonly int id; Dept multipleAssociations; |};\n"
		"type P record {| readonly int id; Q? q; |};\n"
		"type Q record {| readonly int id; P p; |};\n";
	struct model_file *mf = parse_ok(text);
	struct relation *rel;
	(void)state;

	assert_int_equal(mf->n_relations, 2);
	rel = mf->relations[0];
	assert_ptr_equal(rel->owner, mf->entities[1]);
	assert_int_equal(rel->n_keys, 2);
	assert_string_equal(rel->keys[0].fk_name, "multipleassociationsDeptNo");
	assert_string_equal(rel->keys[1].fk_name, "multipleassociationsX");
	rel = mf->relations[1];
	assert_int_equal(rel->kind, RELATION_ONE_TO_ONE);
	assert_ptr_equal(rel->owner, mf->entities[3]);
	assert_string_equal(rel->keys[0].fk_name, "pId");
	model_file_free(mf);
}

static void test_other_members(void **state)
{
	static const char text[] =
		"import ballerina/persist as _;\n"
		"type Id int;\n"
		"const X = 1;\n"
		"function f() returns int { return 1; }\n"
		"public isolated function g() {}\n"
		"int v = 5;\n"
		"type R record { int a; string...; *Base; int d = 4; };\n"
		"type U record {| json j; map<string> m; int|string u; [int, int] t;\n"
		"  record {| int a; |} r; int? [] n; () nil; |};\n";
	struct model_file *mf = parse_ok(text);
	struct entity *u;
	(void)state;

	assert_int_equal(mf->n_others, 5);
	assert_int_equal(mf->others[0].kind, MODEL_MEMBER_TYPE);
	assert_string_equal(mf->others[0].name, "Id");
	assert_string_equal(mf->others[2].keyword, "function");
	assert_string_equal(mf->others[3].keyword, "isolated");
	assert_int_equal(mf->others[4].pos.line, 6);
	assert_int_equal(mf->n_entities, 2);
	assert_false(mf->entities[0]->closed);
	assert_int_equal(mf->entities[0]->n_rest_fields, 1);
	assert_int_equal(mf->entities[0]->n_inclusions, 1);
	assert_true(mf->entities[0]->fields[1]->has_default);
	u = mf->entities[1];
	assert_int_equal(u->fields[0]->type.kind, FIELD_TYPE_NAME);
	assert_string_equal(u->fields[0]->type.label, "json");
	assert_string_equal(u->fields[1]->type.label, "map");
	assert_string_equal(u->fields[2]->type.label, "union");
	assert_string_equal(u->fields[3]->type.label, "tuple");
	assert_string_equal(u->fields[4]->type.label, "in-line record");
	assert_true(u->fields[5]->type.array);
	assert_string_equal(u->fields[6]->type.label, "()");
	model_file_free(mf);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	parse_fails("type A record {| int a |};", 1, 24, "expected ';'");
	parse_fails("type A record {| int a; };", 1, 25, "expected '|}'");
	parse_fails("type A record {|\n  int type;\n|};", 2, 7, "reserved word");
	parse_fails("type A record {| int a; |}", 1, 27, "end of file");
	parse_fails("enum E { A, }", 1, 13, "expected an enum member");
	parse_fails("@sql:Name {value: }\ntype A record {||};", 1, 19, "expected an expression");
	parse_fails("type A record {| int a; |};\nimport x/y;", 2, 1, "imports must come");
	parse_fails("}", 1, 1, "expected a declaration");
	parse_fails("type A record {| @sql:Name |};", 1, 28, "expected a field");
	parse_fails("type A record {| int[ a; |};", 1, 24, "expected ']'");
}

static void test_depth_limit(void **state)
{
	char text[4096];
	size_t n = 0;
	struct model_file *mf = NULL;
	struct pd_error e = { 0 };
	(void)state;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "type A record {| ");
	for (int i = 0; i < 100; i++)
		text[n++] = '(';
	text[n++] = 'i';
	text[n++] = 'n';
	text[n++] = 't';
	for (int i = 0; i < 100; i++)
		text[n++] = ')';
	n += (size_t)snprintf(text + n, sizeof(text) - n, " a; |};");
	assert_int_equal(model_parse(text, n, "t.bal", 0, &mf, &e), -EBADMSG);
	assert_non_null(strstr(e.text, "nesting deeper"));

	n = 0;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "@a:b {x: ");
	for (int i = 0; i < 200; i++)
		text[n++] = '[';
	assert_int_equal(model_parse(text, n, "t.bal", 0, &mf, &e), -EBADMSG);
	assert_int_equal(model_parse(text, n, "t.bal", 10, &mf, &e), -EMSGSIZE);
}

static void test_oom(void **state)
{
	static const char text[] = "import ballerina/persist as _;\n"
				   "type A record {| readonly int id; @sql:Index B[] bs; |};\n"
				   "type B record {| readonly int id; A a; |};\n"
				   "enum E { X = \"x\" }\n";
	(void)state;

	for (long n = 0;; n++) {
		struct model_file *mf = NULL;
		int r;
		alloc_fail_after(n);
		r = model_parse(text, strlen(text), "t.bal", 0, &mf, NULL);
		alloc_fail_after(-1);
		if (r == 0) {
			model_file_free(mf);
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_null(mf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lexer_positions), cmocka_unit_test(test_lexer_errors),
		cmocka_unit_test(test_full_model),	cmocka_unit_test(test_relation_names),
		cmocka_unit_test(test_other_members),	cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_depth_limit),	cmocka_unit_test(test_oom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
