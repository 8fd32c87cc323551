#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "models/ast.h"
#include "models/lexer.h"
#include "models/parser.h"
#include "models/relations.h"

/* Type descriptors are parsed into this small tree first; a field keeps only the summary in
 * struct field_type, which is all extraction and the validator look at. */
enum tnode_kind {
	TNODE_NAME,
	TNODE_QUALIFIED,
	TNODE_ARRAY,
	TNODE_OPTIONAL,
	TNODE_UNION,
	TNODE_INTERSECTION,
	TNODE_NIL,
	TNODE_PAREN,
	TNODE_TUPLE,
	TNODE_RECORD,
	TNODE_OBJECT,
	TNODE_FUNCTION,
	TNODE_MAP,
	TNODE_TABLE,
	TNODE_STREAM,
	TNODE_FUTURE,
	TNODE_TYPEDESC,
	TNODE_ERROR,
	TNODE_XML,
	TNODE_DISTINCT,
	TNODE_SINGLETON,
};

struct tnode {
	enum tnode_kind kind;
	size_t start, end; /* source offsets */
	struct model_pos pos;
	const struct token *prefix, *name; /* NAME / QUALIFIED */
	struct tnode *inner; /* ARRAY, OPTIONAL, PAREN, DISTINCT */
	struct entity *record; /* RECORD */
};

struct parser {
	const char *text;
	const char *file;
	const struct token *toks;
	size_t n, i;
	struct model_file *mf;
	struct arena *a;
	unsigned depth;
	struct pd_error *err;
};

static const struct token *peek(const struct parser *p, size_t k)
{
	size_t i = p->i + k;
	return &p->toks[i < p->n ? i : p->n - 1];
}

static const struct token *cur(const struct parser *p)
{
	return &p->toks[p->i];
}

static const struct token *advance(struct parser *p)
{
	const struct token *t = &p->toks[p->i];
	if (p->i + 1 < p->n)
		p->i++;
	return t;
}

static struct model_pos tok_pos(const struct token *t)
{
	return (struct model_pos){ .line = t->line, .column = t->column, .offset = t->offset };
}

static bool tok_text_is(const struct parser *p, const struct token *t, const char *s)
{
	size_t n;

	/* most comparisons fail on the first byte; skip strlen for those */
	if (t->len == 0 || p->text[t->offset] != s[0])
		return false;
	n = strlen(s);
	return t->len == n && memcmp(p->text + t->offset, s, n) == 0;
}

/* An unquoted identifier spelled kw. */
static bool is_kw(const struct parser *p, const struct token *t, const char *kw)
{
	return t->kind == TOKEN_IDENT && !t->quoted && tok_text_is(p, t, kw);
}

static int error_at(struct parser *p, const struct token *t, const char *msg)
{
	pd_error_set(p->err, p->file, t->line, t->column, t->offset, "%s", msg);
	return -EBADMSG;
}

/* "expected <what>, found '<token>'" (what already says what was found when found is NULL) */
static int expected_at(struct parser *p, const struct token *t, const char *what, const char *found)
{
	char msg[256];

	if (t->kind == TOKEN_EOF)
		(void)snprintf(msg, sizeof(msg), "unexpected end of file, expected %s", what);
	else
		(void)snprintf(msg, sizeof(msg), "expected %s, found %s'%.*s'", what,
			       found ? found : "", (int)MIN(t->len, (size_t)40),
			       p->text + t->offset);
	return error_at(p, t, msg);
}

static int expected(struct parser *p, const char *what)
{
	return expected_at(p, cur(p), what, NULL);
}

static int expect(struct parser *p, enum token_kind kind, const char *what)
{
	if (cur(p)->kind != kind)
		return expected(p, what);
	advance(p);
	return 0;
}

static int enter(struct parser *p)
{
	if (p->depth >= MODEL_MAX_DEPTH) {
		const struct token *t = cur(p);
		pd_error_set(p->err, p->file, t->line, t->column, t->offset,
			     "nesting deeper than %d levels", MODEL_MAX_DEPTH);
		return -EBADMSG;
	}
	p->depth++;
	return 0;
}

static void leave(struct parser *p)
{
	p->depth--;
}

static char *tok_dup(struct parser *p, const struct token *t)
{
	return arena_strndup(p->a, p->text + t->offset, t->len);
}

static char *span_dup(struct parser *p, size_t start, size_t end)
{
	return arena_strndup(p->a, p->text + start, end - start);
}

/* Offset just past the token before the current one. */
static size_t prev_end(const struct parser *p)
{
	const struct token *t = p->i > 0 ? &p->toks[p->i - 1] : &p->toks[0];
	return t->offset + t->len;
}

/* Words that cannot name a field, entity or enum member without a quote. Only the ones whose
 * misuse would otherwise parse into something surprising are listed. */
#define WORD(w)                  \
	{                        \
		w, sizeof(w) - 1 \
	}
static const struct {
	const char *word;
	size_t len;
} reserved_words[] = {
	WORD("any"),	  WORD("anydata"), WORD("boolean"), WORD("byte"),     WORD("decimal"),
	WORD("enum"),	  WORD("error"),   WORD("float"),   WORD("function"), WORD("future"),
	WORD("handle"),	  WORD("import"),  WORD("int"),	    WORD("json"),     WORD("map"),
	WORD("never"),	  WORD("object"),  WORD("public"),  WORD("private"),  WORD("readonly"),
	WORD("record"),	  WORD("stream"),  WORD("string"),  WORD("table"),    WORD("type"),
	WORD("typedesc"), WORD("xml"),	   WORD("const"),   WORD("final"),    WORD("var"),
	WORD("true"),	  WORD("false"),   WORD("null"),
};
#undef WORD

static bool is_reserved(const struct parser *p, const struct token *t)
{
	const char *text = p->text + t->offset;

	/* all of them are lowercase words of three to eight letters */
	if (t->kind != TOKEN_IDENT || t->quoted || t->len < 3 || t->len > 8 || text[0] < 'a' ||
	    text[0] > 'z')
		return false;
	for (size_t i = 0; i < ELEMENTSOF(reserved_words); i++)
		if (t->len == reserved_words[i].len && text[0] == reserved_words[i].word[0] &&
		    memcmp(text, reserved_words[i].word, t->len) == 0)
			return true;
	return false;
}

static int expect_name(struct parser *p, const char *what, const struct token **ret)
{
	const struct token *t = cur(p);

	if (t->kind != TOKEN_IDENT)
		return expected(p, what);
	if (is_reserved(p, t))
		return expected_at(p, t, what, "reserved word ");
	advance(p);
	*ret = t;
	return 0;
}

/* ---- expressions (annotation values, defaults, enum values) -------------------------------- */

static int parse_expr(struct parser *p, struct annotation_value *v);

static int parse_mapping(struct parser *p, struct annotation_value *v)
{
	size_t cap = 0;
	int r;

	r = expect(p, TOKEN_LBRACE, "'{'");
	if (r < 0)
		return r;
	v->kind = ANNOTATION_VALUE_MAPPING;
	while (cur(p)->kind != TOKEN_RBRACE) {
		struct annotation_value *f;
		const struct token *k = cur(p);

		if (ARENA_GROW(p->a, v->items, v->n_items, cap) < 0)
			return -ENOMEM;
		f = &v->items[v->n_items];
		memset(f, 0, sizeof(*f));
		if (k->kind == TOKEN_ELLIPSIS) {
			advance(p);
			r = parse_expr(p, f);
			if (r < 0)
				return r;
		} else if (k->kind == TOKEN_IDENT || k->kind == TOKEN_STRING) {
			advance(p);
			f->key_pos = tok_pos(k);
			if (k->kind == TOKEN_STRING)
				f->key = arena_strndup(p->a, p->text + k->offset + 1, k->len - 2);
			else
				f->key = tok_dup(p, k);
			if (!f->key)
				return -ENOMEM;
			if (cur(p)->kind == TOKEN_COLON) {
				advance(p);
				r = parse_expr(p, f);
				if (r < 0)
					return r;
			} else {
				/* {name} is shorthand for {name: name} */
				f->kind = ANNOTATION_VALUE_REFERENCE;
				f->text = f->key;
				f->pos = f->key_pos;
			}
		} else {
			return expected(p, "a field name or '}'");
		}
		v->n_items++;
		if (cur(p)->kind == TOKEN_COMMA) {
			advance(p);
			if (cur(p)->kind == TOKEN_RBRACE)
				return expected(p, "a field name");
		} else if (cur(p)->kind != TOKEN_RBRACE) {
			return expected(p, "',' or '}'");
		}
	}
	advance(p);
	return 0;
}

static int parse_list(struct parser *p, struct annotation_value *v)
{
	size_t cap = 0;
	int r;

	advance(p); /* [ */
	v->kind = ANNOTATION_VALUE_LIST;
	while (cur(p)->kind != TOKEN_RBRACKET) {
		if (ARENA_GROW(p->a, v->items, v->n_items, cap) < 0)
			return -ENOMEM;
		memset(&v->items[v->n_items], 0, sizeof(v->items[0]));
		if (cur(p)->kind == TOKEN_ELLIPSIS)
			advance(p);
		r = parse_expr(p, &v->items[v->n_items]);
		if (r < 0)
			return r;
		v->n_items++;
		if (cur(p)->kind == TOKEN_COMMA) {
			advance(p);
			if (cur(p)->kind == TOKEN_RBRACKET)
				return expected(p, "an expression");
		} else if (cur(p)->kind != TOKEN_RBRACKET) {
			return expected(p, "',' or ']'");
		}
	}
	advance(p);
	return 0;
}

static int parse_call_args(struct parser *p)
{
	struct annotation_value scratch;
	int r;

	advance(p); /* ( */
	while (cur(p)->kind != TOKEN_RPAREN) {
		memset(&scratch, 0, sizeof(scratch));
		/* named arguments: name = expr */
		if (cur(p)->kind == TOKEN_IDENT && peek(p, 1)->kind == TOKEN_EQUAL) {
			advance(p);
			advance(p);
		}
		r = parse_expr(p, &scratch);
		if (r < 0)
			return r;
		if (cur(p)->kind == TOKEN_COMMA)
			advance(p);
		else if (cur(p)->kind != TOKEN_RPAREN)
			return expected(p, "',' or ')'");
	}
	advance(p);
	return 0;
}

static int parse_primary(struct parser *p, struct annotation_value *v)
{
	const struct token *t = cur(p);
	int r;

	v->pos = tok_pos(t);
	switch (t->kind) {
	case TOKEN_STRING:
		advance(p);
		v->kind = ANNOTATION_VALUE_STRING;
		v->string = arena_strndup(p->a, p->text + t->offset + 1, t->len - 2);
		return v->string ? 0 : -ENOMEM;
	case TOKEN_INT:
		advance(p);
		v->kind = ANNOTATION_VALUE_INT;
		return 0;
	case TOKEN_FLOAT:
		advance(p);
		v->kind = ANNOTATION_VALUE_FLOAT;
		return 0;
	case TOKEN_TEMPLATE:
		advance(p);
		v->kind = ANNOTATION_VALUE_OTHER;
		return 0;
	case TOKEN_LBRACKET:
		return parse_list(p, v);
	case TOKEN_LBRACE:
		return parse_mapping(p, v);
	case TOKEN_LPAREN:
		advance(p);
		if (cur(p)->kind == TOKEN_RPAREN) {
			advance(p);
			v->kind = ANNOTATION_VALUE_NIL;
			return 0;
		}
		r = parse_expr(p, v);
		if (r < 0)
			return r;
		v->kind = ANNOTATION_VALUE_OTHER;
		return expect(p, TOKEN_RPAREN, "')'");
	case TOKEN_IDENT:
		advance(p);
		if (is_kw(p, t, "true") || is_kw(p, t, "false")) {
			v->kind = ANNOTATION_VALUE_BOOLEAN;
			return 0;
		}
		if (is_kw(p, t, "null")) {
			v->kind = ANNOTATION_VALUE_NIL;
			return 0;
		}
		if (is_kw(p, t, "new")) {
			v->kind = ANNOTATION_VALUE_OTHER;
			if (cur(p)->kind == TOKEN_IDENT) {
				advance(p);
				if (cur(p)->kind == TOKEN_COLON &&
				    peek(p, 1)->kind == TOKEN_IDENT) {
					advance(p);
					advance(p);
				}
			}
			if (cur(p)->kind == TOKEN_LPAREN)
				return parse_call_args(p);
			return 0;
		}
		v->kind = ANNOTATION_VALUE_REFERENCE;
		if (cur(p)->kind == TOKEN_COLON && peek(p, 1)->kind == TOKEN_IDENT) {
			advance(p);
			advance(p);
		}
		return 0;
	default:
		return expected(p, "an expression");
	}
}

static bool is_binary_operator(enum token_kind k)
{
	switch (k) {
	case TOKEN_PLUS:
	case TOKEN_MINUS:
	case TOKEN_STAR:
	case TOKEN_SLASH:
	case TOKEN_LT:
	case TOKEN_GT:
	case TOKEN_PIPE:
	case TOKEN_AMP:
	case TOKEN_OPERATOR:
		return true;
	default:
		return false;
	}
}

static int parse_unary(struct parser *p, struct annotation_value *v)
{
	const struct token *t = cur(p);
	int r;

	if (t->kind == TOKEN_MINUS || t->kind == TOKEN_PLUS ||
	    (t->kind == TOKEN_OPERATOR && (tok_text_is(p, t, "!") || tok_text_is(p, t, "~")))) {
		advance(p);
		r = enter(p);
		if (r < 0)
			return r;
		r = parse_unary(p, v);
		leave(p);
		if (r < 0)
			return r;
		v->pos = tok_pos(t);
		/* -5 is still an int literal as far as annotation types go */
		if (!((t->kind == TOKEN_MINUS || t->kind == TOKEN_PLUS) &&
		      (v->kind == ANNOTATION_VALUE_INT || v->kind == ANNOTATION_VALUE_FLOAT)))
			v->kind = ANNOTATION_VALUE_OTHER;
		return 0;
	}
	r = parse_primary(p, v);
	if (r < 0)
		return r;
	for (;;) {
		if (cur(p)->kind == TOKEN_LPAREN) {
			r = parse_call_args(p);
			if (r < 0)
				return r;
			v->kind = ANNOTATION_VALUE_OTHER;
		} else if (cur(p)->kind == TOKEN_DOT && peek(p, 1)->kind == TOKEN_IDENT) {
			advance(p);
			advance(p);
			v->kind = ANNOTATION_VALUE_OTHER;
		} else {
			return 0;
		}
	}
}

static int parse_expr(struct parser *p, struct annotation_value *v)
{
	size_t start = cur(p)->offset;
	int r;

	r = enter(p);
	if (r < 0)
		return r;
	r = parse_unary(p, v);
	while (r >= 0 && is_binary_operator(cur(p)->kind)) {
		struct annotation_value rhs = { 0 };
		advance(p);
		r = parse_unary(p, &rhs);
		v->kind = ANNOTATION_VALUE_OTHER;
	}
	leave(p);
	if (r < 0)
		return r;
	v->text = span_dup(p, start, prev_end(p));
	return v->text ? 0 : -ENOMEM;
}

/* ---- annotations ----------------------------------------------------------------------------- */

static int parse_annotations(struct parser *p, struct annotation **ret, size_t *ret_n)
{
	struct annotation *list = NULL;
	size_t n = 0, cap = 0;
	int r;

	while (cur(p)->kind == TOKEN_AT || cur(p)->kind == TOKEN_DOC) {
		const struct token *at = cur(p), *t1, *t2 = NULL;
		struct annotation *an;

		advance(p);
		if (at->kind == TOKEN_DOC)
			continue;
		if (cur(p)->kind != TOKEN_IDENT)
			return expected(p, "an annotation name");
		t1 = advance(p);
		if (cur(p)->kind == TOKEN_COLON) {
			advance(p);
			if (cur(p)->kind != TOKEN_IDENT)
				return expected(p, "an annotation name");
			t2 = advance(p);
		}
		if (ARENA_GROW(p->a, list, n, cap) < 0)
			return -ENOMEM;
		an = &list[n++];
		memset(an, 0, sizeof(*an));
		an->pos = tok_pos(at);
		an->module = t2 ? tok_dup(p, t1) : NULL;
		an->name = tok_dup(p, t2 ? t2 : t1);
		if (!an->name || (t2 && !an->module))
			return -ENOMEM;
		if (cur(p)->kind == TOKEN_LBRACE) {
			struct annotation_value v = { 0 };
			size_t start = cur(p)->offset;
			r = enter(p);
			if (r < 0)
				return r;
			r = parse_mapping(p, &v);
			leave(p);
			if (r < 0)
				return r;
			an->has_mapping = true;
			an->fields = v.items;
			an->n_fields = v.n_items;
			an->mapping_text = span_dup(p, start, prev_end(p));
			if (!an->mapping_text)
				return -ENOMEM;
		}
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

/* ---- type descriptors ------------------------------------------------------------------------ */

static int parse_type(struct parser *p, struct tnode **ret);
static int parse_record(struct parser *p, struct entity **ret);

static struct tnode *tnode_new(struct parser *p, enum tnode_kind kind, const struct token *start)
{
	struct tnode *n = arena_alloc(p->a, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->start = start->offset;
	n->pos = tok_pos(start);
	return n;
}

/* Skip a balanced group starting at the current opening token. */
static int skip_balanced(struct parser *p)
{
	enum token_kind open = cur(p)->kind, close;
	unsigned depth = 0;

	close = open == TOKEN_LPAREN	   ? TOKEN_RPAREN
		: open == TOKEN_LBRACKET   ? TOKEN_RBRACKET
		: open == TOKEN_LT	   ? TOKEN_GT
		: open == TOKEN_LBRACE_BAR ? TOKEN_BAR_RBRACE
					   : TOKEN_RBRACE;
	do {
		const struct token *t = cur(p);
		if (t->kind == TOKEN_EOF)
			return expected(p, "a closing bracket");
		if (t->kind == open) {
			if (++depth > MODEL_MAX_DEPTH) {
				pd_error_set(p->err, p->file, t->line, t->column, t->offset,
					     "nesting deeper than %d levels", MODEL_MAX_DEPTH);
				return -EBADMSG;
			}
		} else if (t->kind == close) {
			depth--;
		}
		advance(p);
	} while (depth > 0);
	return 0;
}

/* <T, U> after map, stream, table, typedesc, future, error, xml */
static int parse_type_params(struct parser *p)
{
	struct tnode *scratch;
	int r;

	if (cur(p)->kind != TOKEN_LT)
		return 0;
	advance(p);
	for (;;) {
		r = parse_type(p, &scratch);
		if (r < 0)
			return r;
		if (cur(p)->kind == TOKEN_COMMA) {
			advance(p);
			continue;
		}
		return expect(p, TOKEN_GT, "'>'");
	}
}

static int parse_primary_type(struct parser *p, struct tnode **ret)
{
	const struct token *t = cur(p);
	struct tnode *n;
	int r;

	switch (t->kind) {
	case TOKEN_LPAREN:
		advance(p);
		if (cur(p)->kind == TOKEN_RPAREN) {
			advance(p);
			n = tnode_new(p, TNODE_NIL, t);
			break;
		}
		n = tnode_new(p, TNODE_PAREN, t);
		if (!n)
			return -ENOMEM;
		r = parse_type(p, &n->inner);
		if (r < 0)
			return r;
		r = expect(p, TOKEN_RPAREN, "')'");
		if (r < 0)
			return r;
		break;
	case TOKEN_LBRACKET:
		advance(p);
		n = tnode_new(p, TNODE_TUPLE, t);
		if (!n)
			return -ENOMEM;
		while (cur(p)->kind != TOKEN_RBRACKET) {
			struct tnode *scratch;
			r = parse_type(p, &scratch);
			if (r < 0)
				return r;
			if (cur(p)->kind == TOKEN_ELLIPSIS)
				advance(p);
			if (cur(p)->kind == TOKEN_COMMA)
				advance(p);
			else if (cur(p)->kind != TOKEN_RBRACKET)
				return expected(p, "',' or ']'");
		}
		advance(p);
		break;
	case TOKEN_STRING:
	case TOKEN_INT:
	case TOKEN_FLOAT:
		advance(p);
		n = tnode_new(p, TNODE_SINGLETON, t);
		break;
	case TOKEN_MINUS:
		advance(p);
		if (cur(p)->kind != TOKEN_INT && cur(p)->kind != TOKEN_FLOAT)
			return expected(p, "a number");
		advance(p);
		n = tnode_new(p, TNODE_SINGLETON, t);
		break;
	case TOKEN_IDENT:
		/* type keywords are all lowercase; entity names usually are not */
		if (t->quoted || p->text[t->offset] < 'a' || p->text[t->offset] > 'z')
			goto name;
		if (is_kw(p, t, "record")) {
			n = tnode_new(p, TNODE_RECORD, t);
			if (!n)
				return -ENOMEM;
			r = parse_record(p, &n->record);
			if (r < 0)
				return r;
			break;
		}
		if (is_kw(p, t, "object") ||
		    (is_kw(p, t, "isolated") || is_kw(p, t, "client") || is_kw(p, t, "service"))) {
			while (cur(p)->kind == TOKEN_IDENT && !is_kw(p, cur(p), "object"))
				advance(p);
			if (!is_kw(p, cur(p), "object"))
				return expected(p, "'object'");
			advance(p);
			if (cur(p)->kind != TOKEN_LBRACE)
				return expected(p, "'{'");
			r = skip_balanced(p);
			if (r < 0)
				return r;
			n = tnode_new(p, TNODE_OBJECT, t);
			break;
		}
		if (is_kw(p, t, "function")) {
			advance(p);
			n = tnode_new(p, TNODE_FUNCTION, t);
			if (!n)
				return -ENOMEM;
			if (cur(p)->kind == TOKEN_LPAREN) {
				r = skip_balanced(p);
				if (r < 0)
					return r;
				if (is_kw(p, cur(p), "returns")) {
					struct tnode *scratch;
					advance(p);
					r = parse_type(p, &scratch);
					if (r < 0)
						return r;
				}
			}
			break;
		}
		if (is_kw(p, t, "distinct")) {
			advance(p);
			n = tnode_new(p, TNODE_DISTINCT, t);
			if (!n)
				return -ENOMEM;
			r = enter(p);
			if (r < 0)
				return r;
			r = parse_primary_type(p, &n->inner);
			leave(p);
			if (r < 0)
				return r;
			break;
		}
		{
			static const struct {
				const char *kw;
				enum tnode_kind kind;
			} param_types[] = {
				{ "map", TNODE_MAP },		{ "table", TNODE_TABLE },
				{ "stream", TNODE_STREAM },	{ "future", TNODE_FUTURE },
				{ "typedesc", TNODE_TYPEDESC }, { "error", TNODE_ERROR },
				{ "xml", TNODE_XML },
			};
			bool done = false;
			for (size_t k = 0; k < ELEMENTSOF(param_types); k++) {
				if (!is_kw(p, t, param_types[k].kw))
					continue;
				advance(p);
				r = parse_type_params(p);
				if (r < 0)
					return r;
				if (param_types[k].kind == TNODE_TABLE && is_kw(p, cur(p), "key")) {
					advance(p);
					if (cur(p)->kind == TOKEN_LPAREN)
						r = skip_balanced(p);
					else
						r = parse_type_params(p);
					if (r < 0)
						return r;
				}
				n = tnode_new(p, param_types[k].kind, t);
				done = true;
				break;
			}
			if (done)
				break;
		}
name:
		advance(p);
		if (cur(p)->kind == TOKEN_COLON) {
			advance(p);
			if (cur(p)->kind != TOKEN_IDENT)
				return expected(p, "a type name");
			n = tnode_new(p, TNODE_QUALIFIED, t);
			if (!n)
				return -ENOMEM;
			n->prefix = t;
			n->name = advance(p);
		} else {
			n = tnode_new(p, TNODE_NAME, t);
			if (!n)
				return -ENOMEM;
			n->name = t;
		}
		break;
	default:
		return expected(p, "a type");
	}
	if (!n)
		return -ENOMEM;
	n->end = prev_end(p);
	*ret = n;
	return 0;
}

static int parse_postfix_type(struct parser *p, struct tnode **ret)
{
	const struct token *start = cur(p);
	struct tnode *n;
	int r;

	r = parse_primary_type(p, &n);
	if (r < 0)
		return r;
	for (;;) {
		enum tnode_kind kind;
		struct tnode *w;

		if (cur(p)->kind == TOKEN_QUESTION) {
			kind = TNODE_OPTIONAL;
			advance(p);
		} else if (cur(p)->kind == TOKEN_LBRACKET) {
			kind = TNODE_ARRAY;
			advance(p);
			if (cur(p)->kind == TOKEN_INT || cur(p)->kind == TOKEN_STAR ||
			    cur(p)->kind == TOKEN_IDENT)
				advance(p);
			r = expect(p, TOKEN_RBRACKET, "']'");
			if (r < 0)
				return r;
		} else {
			break;
		}
		w = tnode_new(p, kind, start);
		if (!w)
			return -ENOMEM;
		w->inner = n;
		w->end = prev_end(p);
		n = w;
	}
	*ret = n;
	return 0;
}

static int parse_type(struct parser *p, struct tnode **ret)
{
	const struct token *start = cur(p);
	struct tnode *n;
	int r;

	r = enter(p);
	if (r < 0)
		return r;
	r = parse_postfix_type(p, &n);
	while (r >= 0 && (cur(p)->kind == TOKEN_PIPE || cur(p)->kind == TOKEN_AMP)) {
		enum tnode_kind kind =
			cur(p)->kind == TOKEN_PIPE ? TNODE_UNION : TNODE_INTERSECTION;
		struct tnode *rhs, *w;
		advance(p);
		r = parse_postfix_type(p, &rhs);
		if (r < 0)
			break;
		/* A union with an intersection inside is still a union. */
		if (n->kind == TNODE_UNION)
			kind = TNODE_UNION;
		w = tnode_new(p, kind, start);
		if (!w) {
			r = -ENOMEM;
			break;
		}
		w->inner = n;
		w->end = prev_end(p);
		n = w;
	}
	leave(p);
	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

static const char *tnode_label(const struct tnode *n)
{
	switch (n->kind) {
	case TNODE_UNION:
		return "union";
	case TNODE_INTERSECTION:
		return "intersection";
	case TNODE_NIL:
		return "()";
	case TNODE_TUPLE:
		return "tuple";
	case TNODE_RECORD:
		return "in-line record";
	case TNODE_OBJECT:
		return "object";
	case TNODE_FUNCTION:
		return "function";
	case TNODE_MAP:
		return "map";
	case TNODE_TABLE:
		return "table";
	case TNODE_STREAM:
		return "stream";
	case TNODE_FUTURE:
		return "future";
	case TNODE_TYPEDESC:
		return "typedesc";
	case TNODE_ERROR:
		return "error";
	case TNODE_XML:
		return "xml";
	case TNODE_DISTINCT:
		return "distinct";
	case TNODE_PAREN:
		return n->inner ? tnode_label(n->inner) : "()";
	default:
		return NULL;
	}
}

static const struct {
	const char *name;
	enum field_type_kind kind;
} builtin_types[] = {
	{ "int", FIELD_TYPE_INT },	   { "boolean", FIELD_TYPE_BOOLEAN },
	{ "decimal", FIELD_TYPE_DECIMAL }, { "float", FIELD_TYPE_FLOAT },
	{ "string", FIELD_TYPE_STRING },   { "byte", FIELD_TYPE_BYTE },
};

/* Summarise a field's type tree the way upstream's extraction and validator look at it:
 * T? and T[] around a name; anything else is a composite descriptor. */
static int field_type_from_tnode(struct parser *p, const struct tnode *root, struct field_type *ft)
{
	const struct tnode *n = root;

	ft->pos = root->pos;
	ft->text = span_dup(p, root->start, root->end);
	if (!ft->text)
		return -ENOMEM;
	if (n->kind == TNODE_OPTIONAL) {
		ft->nillable = true;
		n = n->inner;
	}
	if (n->kind == TNODE_ARRAY) {
		ft->array = true;
		n = n->inner;
	}
	if (n->kind == TNODE_NAME) {
		const char *bare;
		ft->name = tok_dup(p, n->name);
		if (!ft->name)
			return -ENOMEM;
		bare = bare_identifier(ft->name);
		ft->kind = FIELD_TYPE_NAME;
		for (size_t i = 0; i < ELEMENTSOF(builtin_types); i++)
			if (bare[0] == builtin_types[i].name[0] &&
			    strcmp(bare, builtin_types[i].name) == 0)
				ft->kind = builtin_types[i].kind;
		ft->label = bare;
		return 0;
	}
	if (n->kind == TNODE_QUALIFIED) {
		ft->module = tok_dup(p, n->prefix);
		ft->name = tok_dup(p, n->name);
		ft->label = span_dup(p, n->start, n->end);
		if (!ft->module || !ft->name || !ft->label)
			return -ENOMEM;
		ft->kind = strcmp(ft->module, "time") == 0 ? FIELD_TYPE_TIME : FIELD_TYPE_QUALIFIED;
		return 0;
	}
	ft->kind = FIELD_TYPE_OTHER;
	ft->name = span_dup(p, n->start, n->end);
	if (!ft->name)
		return -ENOMEM;
	ft->label = tnode_label(n);
	if (!ft->label)
		ft->label = ft->name; /* nested arrays, nillable elements, singletons */
	return 0;
}

/* ---- records --------------------------------------------------------------------------------- */

static int add_pos(struct parser *p, struct model_pos **list, size_t *n, size_t *cap,
		   struct model_pos pos)
{
	if (ARENA_GROW(p->a, *list, *n, *cap) < 0)
		return -ENOMEM;
	(*list)[(*n)++] = pos;
	return 0;
}

static int parse_record_member(struct parser *p, struct entity *e, size_t *fields_cap,
			       size_t *rest_cap, size_t *incl_cap)
{
	struct annotation *anns;
	size_t n_anns;
	const struct token *start, *name;
	struct tnode *type;
	struct field *f;
	bool readonly = false;
	int r;

	r = parse_annotations(p, &anns, &n_anns);
	if (r < 0)
		return r;
	start = cur(p);
	if (start->kind == TOKEN_BAR_RBRACE || start->kind == TOKEN_RBRACE) {
		if (n_anns > 0)
			return expected(p, "a field after the annotation");
		return 0; /* documentation before the end of the record */
	}
	if (start->kind == TOKEN_STAR) {
		advance(p);
		r = parse_type(p, &type);
		if (r < 0)
			return r;
		r = add_pos(p, &e->inclusions, &e->n_inclusions, incl_cap, tok_pos(start));
		if (r < 0)
			return r;
		return expect(p, TOKEN_SEMICOLON, "';'");
	}
	/* readonly is a qualifier unless it is the field's type itself (readonly x; readonly x?;)
	 */
	if (is_kw(p, start, "readonly")) {
		enum token_kind k2 = peek(p, 2)->kind, k3 = peek(p, 3)->kind;
		bool is_type =
			peek(p, 1)->kind == TOKEN_IDENT &&
			(k2 == TOKEN_SEMICOLON || k2 == TOKEN_EQUAL ||
			 (k2 == TOKEN_QUESTION && (k3 == TOKEN_SEMICOLON || k3 == TOKEN_EQUAL)));
		if (!is_type) {
			readonly = true;
			advance(p);
		}
	}
	r = parse_type(p, &type);
	if (r < 0)
		return r;
	if (cur(p)->kind == TOKEN_ELLIPSIS) {
		advance(p);
		r = add_pos(p, &e->rest_fields, &e->n_rest_fields, rest_cap, tok_pos(start));
		if (r < 0)
			return r;
		return expect(p, TOKEN_SEMICOLON, "';'");
	}
	r = expect_name(p, "a field name", &name);
	if (r < 0)
		return r;

	f = arena_alloc(p->a, sizeof(*f));
	if (!f || ARENA_GROW(p->a, e->fields, e->n_fields, *fields_cap) < 0)
		return -ENOMEM;
	f->name = tok_dup(p, name);
	if (!f->name)
		return -ENOMEM;
	f->bare_name = bare_identifier(f->name);
	f->pos = tok_pos(name);
	f->start = n_anns > 0 ? anns[0].pos : tok_pos(start);
	f->readonly = readonly;
	f->annotations = anns;
	f->n_annotations = n_anns;
	f->entity = e;
	f->index = e->n_fields;
	r = field_type_from_tnode(p, type, &f->type);
	if (r < 0)
		return r;
	if (cur(p)->kind == TOKEN_QUESTION) {
		f->optional = true;
		advance(p);
	}
	if (cur(p)->kind == TOKEN_EQUAL) {
		struct annotation_value scratch = { 0 };
		f->has_default = true;
		f->default_pos = tok_pos(cur(p));
		advance(p);
		r = parse_expr(p, &scratch);
		if (r < 0)
			return r;
	}
	e->fields[e->n_fields++] = f;
	return expect(p, TOKEN_SEMICOLON, "';'");
}

static int parse_record(struct parser *p, struct entity **ret)
{
	const struct token *kw = advance(p), *open = cur(p);
	size_t fields_cap = 0, rest_cap = 0, incl_cap = 0;
	enum token_kind close;
	struct entity *e;
	int r;

	if (open->kind != TOKEN_LBRACE_BAR && open->kind != TOKEN_LBRACE)
		return expected(p, "'{|' or '{'");
	close = open->kind == TOKEN_LBRACE_BAR ? TOKEN_BAR_RBRACE : TOKEN_RBRACE;
	advance(p);
	e = arena_alloc(p->a, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->record_pos = tok_pos(kw);
	e->closed = close == TOKEN_BAR_RBRACE;
	r = enter(p);
	if (r < 0)
		return r;
	while (cur(p)->kind != close) {
		if (cur(p)->kind == TOKEN_EOF) {
			leave(p);
			return expected(p, close == TOKEN_BAR_RBRACE ? "'|}'" : "'}'");
		}
		if (cur(p)->kind == TOKEN_BAR_RBRACE || cur(p)->kind == TOKEN_RBRACE) {
			leave(p);
			return expected(p, close == TOKEN_BAR_RBRACE ? "'|}'" : "'}'");
		}
		r = parse_record_member(p, e, &fields_cap, &rest_cap, &incl_cap);
		if (r < 0) {
			leave(p);
			return r;
		}
	}
	leave(p);
	{
		const struct token *end = advance(p);
		static const char marker[] = "//Unsupported[";
		e->unsupported =
			memmem(p->text + open->offset, end->offset + end->len - open->offset,
			       marker, sizeof(marker) - 1) != NULL;
	}
	*ret = e;
	return 0;
}

/* ---- module members -------------------------------------------------------------------------- */

static int parse_import(struct parser *p, size_t *cap)
{
	const struct token *kw = advance(p), *t;
	struct model_import *imp;
	size_t mod_start;
	int r;

	if (ARENA_GROW(p->a, p->mf->imports, p->mf->n_imports, *cap) < 0)
		return -ENOMEM;
	imp = &p->mf->imports[p->mf->n_imports];
	memset(imp, 0, sizeof(*imp));
	imp->pos = tok_pos(kw);
	if (cur(p)->kind != TOKEN_IDENT)
		return expected(p, "a module name");
	t = advance(p);
	if (cur(p)->kind == TOKEN_SLASH) {
		advance(p);
		imp->org = tok_dup(p, t);
		if (!imp->org)
			return -ENOMEM;
		if (cur(p)->kind != TOKEN_IDENT)
			return expected(p, "a module name");
		t = advance(p);
	}
	mod_start = t->offset;
	imp->prefix_pos = tok_pos(t);
	while (cur(p)->kind == TOKEN_DOT) {
		advance(p);
		if (cur(p)->kind != TOKEN_IDENT)
			return expected(p, "a module name");
		t = advance(p);
	}
	imp->module = span_dup(p, mod_start, t->offset + t->len);
	if (!imp->module)
		return -ENOMEM;
	imp->effective_prefix = tok_dup(p, t);
	if (!imp->effective_prefix)
		return -ENOMEM;
	if (is_kw(p, cur(p), "version")) {
		advance(p);
		while (cur(p)->kind == TOKEN_INT || cur(p)->kind == TOKEN_FLOAT ||
		       cur(p)->kind == TOKEN_DOT || cur(p)->kind == TOKEN_IDENT)
			if (is_kw(p, cur(p), "as"))
				break;
			else
				advance(p);
	}
	if (is_kw(p, cur(p), "as")) {
		advance(p);
		if (cur(p)->kind != TOKEN_IDENT)
			return expected(p, "an import prefix");
		t = advance(p);
		imp->prefix_pos = tok_pos(t);
		imp->prefix = tok_dup(p, t);
		if (!imp->prefix)
			return -ENOMEM;
		imp->effective_prefix = imp->prefix;
	}
	r = expect(p, TOKEN_SEMICOLON, "';'");
	if (r < 0)
		return r;
	p->mf->n_imports++;
	return 0;
}

static int add_other(struct parser *p, size_t *cap, enum model_member_kind kind,
		     const struct token *first, const struct token *keyword,
		     const struct token *name)
{
	struct model_member *m;

	if (ARENA_GROW(p->a, p->mf->others, p->mf->n_others, *cap) < 0)
		return -ENOMEM;
	m = &p->mf->others[p->mf->n_others++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->pos = tok_pos(first);
	m->keyword = tok_dup(p, keyword);
	if (!m->keyword)
		return -ENOMEM;
	if (name) {
		m->name = tok_dup(p, name);
		if (!m->name)
			return -ENOMEM;
	}
	return 0;
}

/* Any other module-level declaration: skipped as a whole, it is reported as PERSIST_101. It
 * ends at a ';' outside brackets, or at the '}' that closes its body. */
static int skip_declaration(struct parser *p)
{
	const struct token *first = cur(p);

	for (;;) {
		const struct token *t = cur(p);
		int r;

		switch (t->kind) {
		case TOKEN_EOF:
			return expected(p, "';'");
		case TOKEN_SEMICOLON:
			advance(p);
			return 0;
		case TOKEN_LBRACE:
			r = skip_balanced(p);
			if (r < 0)
				return r;
			if (cur(p)->kind == TOKEN_SEMICOLON)
				advance(p);
			else if (!(cur(p)->kind == TOKEN_IDENT && is_kw(p, first, "service")) &&
				 cur(p)->kind != TOKEN_DOT)
				return 0;
			break;
		case TOKEN_LPAREN:
		case TOKEN_LBRACKET:
		case TOKEN_LBRACE_BAR:
			r = skip_balanced(p);
			if (r < 0)
				return r;
			break;
		case TOKEN_RPAREN:
		case TOKEN_RBRACKET:
		case TOKEN_RBRACE:
		case TOKEN_BAR_RBRACE:
			return expected_at(p, t, "a declaration", "unbalanced ");
		default:
			advance(p);
			break;
		}
	}
}

static int parse_enum(struct parser *p, bool is_public, struct annotation *anns, size_t n_anns,
		      const struct token *start, size_t *cap)
{
	struct enum_type *en;
	const struct token *name;
	size_t mcap = 0;
	int r;

	advance(p); /* enum */
	r = expect_name(p, "an enum name", &name);
	if (r < 0)
		return r;
	en = arena_alloc(p->a, sizeof(*en));
	if (!en || ARENA_GROW(p->a, p->mf->enums, p->mf->n_enums, *cap) < 0)
		return -ENOMEM;
	en->name = tok_dup(p, name);
	if (!en->name)
		return -ENOMEM;
	en->bare_name = bare_identifier(en->name);
	en->is_public = is_public;
	en->pos = tok_pos(name);
	en->start = n_anns > 0 ? anns[0].pos : tok_pos(start);
	en->annotations = anns;
	en->n_annotations = n_anns;
	en->index = p->mf->n_enums;
	r = expect(p, TOKEN_LBRACE, "'{'");
	if (r < 0)
		return r;
	for (;;) {
		struct enum_member *m;
		struct annotation *manns;
		size_t n_manns;
		const struct token *mname;

		r = parse_annotations(p, &manns, &n_manns);
		if (r < 0)
			return r;
		r = expect_name(p, "an enum member", &mname);
		if (r < 0)
			return r;
		if (ARENA_GROW(p->a, en->members, en->n_members, mcap) < 0)
			return -ENOMEM;
		m = &en->members[en->n_members++];
		memset(m, 0, sizeof(*m));
		m->name = tok_dup(p, mname);
		if (!m->name)
			return -ENOMEM;
		m->pos = tok_pos(mname);
		m->annotations = manns;
		m->n_annotations = n_manns;
		m->value = m->name;
		if (cur(p)->kind == TOKEN_EQUAL) {
			struct annotation_value v = { 0 };
			size_t n;
			advance(p);
			m->value_pos = tok_pos(cur(p));
			r = parse_expr(p, &v);
			if (r < 0)
				return r;
			m->value_text = v.text;
			m->value_is_string = v.kind == ANNOTATION_VALUE_STRING;
			n = strlen(v.text);
			if (n >= 2 && v.text[0] == '"' && v.text[n - 1] == '"')
				m->value = arena_strndup(p->a, v.text + 1, n - 2);
			else
				m->value = v.text;
			if (!m->value)
				return -ENOMEM;
		}
		if (cur(p)->kind == TOKEN_COMMA) {
			advance(p);
			continue;
		}
		r = expect(p, TOKEN_RBRACE, "',' or '}'");
		if (r < 0)
			return r;
		break;
	}
	if (cur(p)->kind == TOKEN_SEMICOLON)
		advance(p);
	p->mf->enums[p->mf->n_enums++] = en;
	return 0;
}

static int parse_type_definition(struct parser *p, bool is_public, struct annotation *anns,
				 size_t n_anns, const struct token *start, size_t *ecap,
				 size_t *ocap)
{
	const struct token *kw = advance(p), *name;
	struct tnode *type;
	int r;

	r = expect_name(p, "a type name", &name);
	if (r < 0)
		return r;
	r = parse_type(p, &type);
	if (r < 0)
		return r;
	r = expect(p, TOKEN_SEMICOLON, "';'");
	if (r < 0)
		return r;
	if (type->kind == TNODE_RECORD) {
		struct entity *e = type->record;
		if (ARENA_GROW(p->a, p->mf->entities, p->mf->n_entities, *ecap) < 0)
			return -ENOMEM;
		e->name = tok_dup(p, name);
		if (!e->name)
			return -ENOMEM;
		e->bare_name = bare_identifier(e->name);
		e->pos = tok_pos(name);
		e->start = n_anns > 0 ? anns[0].pos : tok_pos(start);
		e->is_public = is_public;
		e->annotations = anns;
		e->n_annotations = n_anns;
		e->index = p->mf->n_entities;
		p->mf->entities[p->mf->n_entities++] = e;
		return 0;
	}
	(void)n_anns;
	return add_other(p, ocap, MODEL_MEMBER_TYPE, start, kw, name);
}

static int parse_module(struct parser *p)
{
	size_t icap = 0, ecap = 0, ncap = 0, ocap = 0;
	int r;

	for (;;) {
		while (cur(p)->kind == TOKEN_DOC)
			advance(p);
		if (!is_kw(p, cur(p), "import"))
			break;
		r = parse_import(p, &icap);
		if (r < 0)
			return r;
	}
	while (cur(p)->kind != TOKEN_EOF) {
		struct annotation *anns;
		size_t n_anns;
		const struct token *start;
		bool is_public = false;

		r = parse_annotations(p, &anns, &n_anns);
		if (r < 0)
			return r;
		start = cur(p);
		if (start->kind == TOKEN_EOF) {
			if (n_anns > 0)
				return expected(p, "a declaration after the annotation");
			break;
		}
		if (is_kw(p, start, "import"))
			return error_at(p, start, "imports must come before other declarations");
		if (is_kw(p, start, "public") || is_kw(p, start, "private")) {
			is_public = is_kw(p, start, "public");
			advance(p);
		}
		if (is_kw(p, cur(p), "type") && peek(p, 1)->kind == TOKEN_IDENT) {
			r = parse_type_definition(p, is_public, anns, n_anns, start, &ecap, &ocap);
		} else if (is_kw(p, cur(p), "enum")) {
			r = parse_enum(p, is_public, anns, n_anns, start, &ncap);
		} else {
			const struct token *name = NULL;
			if (cur(p)->kind == TOKEN_SEMICOLON || cur(p)->kind == TOKEN_RBRACE ||
			    cur(p)->kind == TOKEN_RPAREN || cur(p)->kind == TOKEN_RBRACKET ||
			    cur(p)->kind == TOKEN_BAR_RBRACE || cur(p)->kind == TOKEN_EQUAL)
				return expected(p, "a declaration");
			if (peek(p, 1)->kind == TOKEN_IDENT)
				name = peek(p, 1);
			r = add_other(p, &ocap, MODEL_MEMBER_OTHER, start, cur(p), name);
			if (r >= 0)
				r = skip_declaration(p);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int model_parse(const char *text, size_t len, const char *file, size_t max_bytes,
		struct model_file **ret, struct pd_error *reterr)
{
	_cleanup_(model_file_freep) struct model_file *mf = NULL;
	struct token_list toks = { 0 };
	struct parser p;
	char *src;
	int r;

	if (max_bytes == 0)
		max_bytes = MODEL_MAX_FILE_BYTES_DEFAULT;
	if (len > max_bytes) {
		pd_error_set(reterr, file, 0, 0, 0, "model file is larger than %zu bytes",
			     max_bytes);
		return -EMSGSIZE;
	}
	if (memchr(text, '\0', len)) {
		size_t off = (size_t)((const char *)memchr(text, '\0', len) - text);
		unsigned line = 1, col = 1;
		for (size_t i = 0; i < off; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		pd_error_set(reterr, file, line, col, off, "invalid byte 0x00");
		return -EBADMSG;
	}
	mf = new0(struct model_file, 1);
	if (!mf)
		return -ENOMEM;
	/* The tree takes about twenty times the text; capped, since comments take none. */
	arena_reserve_hint(&mf->arena, MIN(len * 20 + 4096, (size_t)1 << 20));
	src = arena_strndup(&mf->arena, text, len);
	mf->file = arena_strdup(&mf->arena, file ? file : "");
	if (!src || !mf->file)
		return -ENOMEM;
	mf->source = src;
	mf->source_len = len;

	r = lexer_run(src, len, mf->file, &toks, reterr);
	if (r < 0)
		return r;
	p = (struct parser){ .text = src,
			     .file = mf->file,
			     .toks = toks.tokens,
			     .n = toks.n,
			     .mf = mf,
			     .a = &mf->arena,
			     .err = reterr };
	r = parse_module(&p);
	token_list_release(&toks);
	if (r < 0)
		return r;
	r = model_resolve(mf);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(mf);
	return 0;
}
