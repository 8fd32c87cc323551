#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "models/lexer.h"

struct lexer {
	const char *text;
	size_t len, pos;
	unsigned line;
	size_t line_start;
	const char *file;
};

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_char(unsigned char c)
{
	return is_ident_start(c) || is_digit(c);
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned lexer_column(const struct lexer *lx, size_t pos)
{
	return (unsigned)(pos - lx->line_start + 1);
}

static int lexer_error(const struct lexer *lx, size_t pos, const char *what,
		       struct pd_error *reterr)
{
	pd_error_set(reterr, lx->file, lx->line, lexer_column(lx, pos), pos, "%s", what);
	return -EBADMSG;
}

/* Consume identifier characters, including backslash escapes, from lx->pos. */
static size_t scan_ident_chars(struct lexer *lx)
{
	size_t start = lx->pos;

	while (lx->pos < lx->len) {
		unsigned char c = (unsigned char)lx->text[lx->pos];
		if (is_ident_char(c)) {
			lx->pos++;
		} else if (c == '\\' && lx->pos + 1 < lx->len &&
			   (unsigned char)lx->text[lx->pos + 1] > ' ') {
			lx->pos += 2;
		} else {
			break;
		}
	}
	return lx->pos - start;
}

static int scan_number(struct lexer *lx, enum token_kind *kind)
{
	const char *t = lx->text;
	bool is_float = false;

	if (t[lx->pos] == '0' && lx->pos + 1 < lx->len &&
	    (t[lx->pos + 1] == 'x' || t[lx->pos + 1] == 'X')) {
		lx->pos += 2;
		if (lx->pos >= lx->len || !is_hex((unsigned char)t[lx->pos]))
			return -EINVAL;
		while (lx->pos < lx->len && is_hex((unsigned char)t[lx->pos]))
			lx->pos++;
		*kind = TOKEN_INT;
		return 0;
	}
	while (lx->pos < lx->len && is_digit((unsigned char)t[lx->pos]))
		lx->pos++;
	if (lx->pos + 1 < lx->len && t[lx->pos] == '.' && is_digit((unsigned char)t[lx->pos + 1])) {
		is_float = true;
		lx->pos++;
		while (lx->pos < lx->len && is_digit((unsigned char)t[lx->pos]))
			lx->pos++;
	}
	if (lx->pos < lx->len && (t[lx->pos] == 'e' || t[lx->pos] == 'E')) {
		size_t p = lx->pos + 1;
		if (p < lx->len && (t[p] == '+' || t[p] == '-'))
			p++;
		if (p < lx->len && is_digit((unsigned char)t[p])) {
			is_float = true;
			lx->pos = p;
			while (lx->pos < lx->len && is_digit((unsigned char)t[lx->pos]))
				lx->pos++;
		}
	}
	if (lx->pos < lx->len && strchr("dDfF", t[lx->pos]) && t[lx->pos] != '\0') {
		is_float = true;
		lx->pos++;
	}
	if (lx->pos < lx->len && is_ident_char((unsigned char)t[lx->pos]))
		return -EINVAL;
	*kind = is_float ? TOKEN_FLOAT : TOKEN_INT;
	return 0;
}

/* The operator at s (n bytes available), longest match first; *ret_len = 0 when none. */
static enum token_kind scan_punct(const char *s, size_t n, size_t *ret_len)
{
	char c1 = n > 1 ? s[1] : '\0', c2 = n > 2 ? s[2] : '\0';

	*ret_len = 1;
	switch (s[0]) {
	case '{':
		if (c1 == '|') {
			*ret_len = 2;
			return TOKEN_LBRACE_BAR;
		}
		return TOKEN_LBRACE;
	case '|':
		if (c1 == '}') {
			*ret_len = 2;
			return TOKEN_BAR_RBRACE;
		}
		if (c1 == '|') {
			*ret_len = 2;
			return TOKEN_OPERATOR;
		}
		return TOKEN_PIPE;
	case '.':
		if (c1 == '.' && (c2 == '.' || c2 == '<')) {
			*ret_len = 3;
			return c2 == '.' ? TOKEN_ELLIPSIS : TOKEN_OPERATOR;
		}
		if (c1 == '@') {
			*ret_len = 2;
			return TOKEN_OPERATOR;
		}
		return TOKEN_DOT;
	case '=':
		if (c1 == '=' || c1 == '>') {
			*ret_len = c1 == '=' && c2 == '=' ? 3 : 2;
			return TOKEN_OPERATOR;
		}
		return TOKEN_EQUAL;
	case '!':
		if (c1 == '=')
			*ret_len = c2 == '=' ? 3 : 2;
		return TOKEN_OPERATOR;
	case '<':
		if (c1 == '=' || c1 == '-') {
			*ret_len = 2;
			return TOKEN_OPERATOR;
		}
		return TOKEN_LT;
	case '>':
		if (c1 == '=') {
			*ret_len = 2;
			return TOKEN_OPERATOR;
		}
		return TOKEN_GT;
	case '-':
		if (c1 == '=' || c1 == '>') {
			*ret_len = 2;
			return TOKEN_OPERATOR;
		}
		return TOKEN_MINUS;
	case '+':
	case '*':
	case '/':
		if (c1 == '=') {
			*ret_len = 2;
			return TOKEN_OPERATOR;
		}
		return s[0] == '+' ? TOKEN_PLUS : s[0] == '*' ? TOKEN_STAR : TOKEN_SLASH;
	case '&':
		if (c1 == '&') {
			*ret_len = 2;
			return TOKEN_OPERATOR;
		}
		return TOKEN_AMP;
	case '?':
		if (c1 == ':' || c1 == '.') {
			*ret_len = 2;
			return TOKEN_OPERATOR;
		}
		return TOKEN_QUESTION;
	case '}':
		return TOKEN_RBRACE;
	case '(':
		return TOKEN_LPAREN;
	case ')':
		return TOKEN_RPAREN;
	case '[':
		return TOKEN_LBRACKET;
	case ']':
		return TOKEN_RBRACKET;
	case ';':
		return TOKEN_SEMICOLON;
	case ':':
		return TOKEN_COLON;
	case ',':
		return TOKEN_COMMA;
	case '@':
		return TOKEN_AT;
	case '%':
	case '^':
	case '~':
		return TOKEN_OPERATOR;
	default:
		*ret_len = 0;
		return TOKEN_EOF;
	}
}

static int push(struct token_list *l, enum token_kind kind, const struct lexer *lx, size_t start)
{
	struct token *t;

	if (GROW(l->tokens, l->alloc, l->n + 1) < 0)
		return -ENOMEM;
	t = &l->tokens[l->n++];
	t->kind = kind;
	t->quoted = false;
	t->line = lx->line;
	t->column = lexer_column(lx, start);
	t->offset = (uint32_t)start;
	t->len = (uint32_t)(lx->pos - start);
	return 0;
}

static int scan_string(struct lexer *lx, struct pd_error *reterr)
{
	size_t start = lx->pos;

	lx->pos++;
	while (lx->pos < lx->len) {
		char c = lx->text[lx->pos];
		if (c == '"') {
			lx->pos++;
			return 0;
		}
		if (c == '\n' || c == '\r')
			break;
		if (c == '\\') {
			if (lx->pos + 1 >= lx->len || lx->text[lx->pos + 1] == '\n')
				break;
			lx->pos++;
		}
		lx->pos++;
	}
	return lexer_error(lx, start, "unterminated string literal", reterr);
}

static int scan_template(struct lexer *lx, struct pd_error *reterr)
{
	size_t start = lx->pos;
	unsigned start_line = lx->line;
	size_t start_line_start = lx->line_start;

	lx->pos++;
	while (lx->pos < lx->len) {
		char c = lx->text[lx->pos++];
		if (c == '`')
			return 0;
		if (c == '\n') {
			lx->line++;
			lx->line_start = lx->pos;
		}
	}
	lx->line = start_line;
	lx->line_start = start_line_start;
	return lexer_error(lx, start, "unterminated template literal", reterr);
}

int lexer_run(const char *text, size_t len, const char *file, struct token_list *ret,
	      struct pd_error *reterr)
{
	struct lexer lx = { .text = text, .len = len, .line = 1, .file = file };
	struct token_list l = { 0 };
	int r;

	if (len > UINT32_MAX) {
		pd_error_set(reterr, file, 0, 0, 0, "model text is too large");
		return -EMSGSIZE;
	}
	/* Tokens average four to five bytes in model files; reserving up front avoids regrowth. */
	l.alloc = len / 4 + 16;
	l.tokens = mem_reallocarray(NULL, l.alloc, sizeof(*l.tokens));
	if (!l.tokens)
		return -ENOMEM;
	/* A UTF-8 byte order mark is ignored, as Ballerina does. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		lx.pos = lx.line_start = 3;
	while (lx.pos < len) {
		unsigned char c = (unsigned char)text[lx.pos];
		size_t start = lx.pos;

		if (c == '\n') {
			lx.pos++;
			lx.line++;
			lx.line_start = lx.pos;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
			lx.pos++;
			continue;
		}
		if (c == '/' && lx.pos + 1 < len && text[lx.pos + 1] == '/') {
			const char *nl = memchr(text + lx.pos, '\n', len - lx.pos);
			lx.pos = nl ? (size_t)(nl - text) : len;
			continue;
		}
		if (c == '#') {
			const char *nl = memchr(text + lx.pos, '\n', len - lx.pos);
			lx.pos = nl ? (size_t)(nl - text) : len;
			r = push(&l, TOKEN_DOC, &lx, start);
		} else if (is_ident_start(c) || c == '\\') {
			if (c == '\\' &&
			    (lx.pos + 1 >= len || (unsigned char)text[lx.pos + 1] <= ' ')) {
				r = lexer_error(&lx, start, "invalid character '\\'", reterr);
				goto fail;
			}
			(void)scan_ident_chars(&lx);
			r = push(&l, TOKEN_IDENT, &lx, start);
		} else if (c == '\'') {
			lx.pos++;
			if (scan_ident_chars(&lx) == 0) {
				r = lexer_error(&lx, start, "invalid quoted identifier", reterr);
				goto fail;
			}
			r = push(&l, TOKEN_IDENT, &lx, start);
			if (r >= 0)
				l.tokens[l.n - 1].quoted = true;
		} else if (is_digit(c)) {
			enum token_kind kind;
			if (scan_number(&lx, &kind) < 0) {
				r = lexer_error(&lx, start, "invalid numeric literal", reterr);
				goto fail;
			}
			r = push(&l, kind, &lx, start);
		} else if (c == '"') {
			r = scan_string(&lx, reterr);
			if (r < 0)
				goto fail;
			r = push(&l, TOKEN_STRING, &lx, start);
		} else if (c == '`') {
			unsigned line = lx.line;
			size_t line_start = lx.line_start;
			r = scan_template(&lx, reterr);
			if (r < 0)
				goto fail;
			/* The token is positioned where it starts, not where the lexer now is. */
			if (GROW(l.tokens, l.alloc, l.n + 1) < 0) {
				r = -ENOMEM;
				goto fail;
			}
			l.tokens[l.n++] =
				(struct token){ .kind = TOKEN_TEMPLATE,
						.line = line,
						.column = (unsigned)(start - line_start + 1),
						.offset = start,
						.len = lx.pos - start };
			r = 0;
		} else {
			size_t n;
			enum token_kind kind = scan_punct(text + lx.pos, len - lx.pos, &n);
			if (n == 0) {
				if (c >= 0x20 && c < 0x7f)
					pd_error_set(reterr, file, lx.line,
						     lexer_column(&lx, start), start,
						     "invalid character '%c'", c);
				else
					pd_error_set(reterr, file, lx.line,
						     lexer_column(&lx, start), start,
						     "invalid byte 0x%02x", c);
				r = -EBADMSG;
				goto fail;
			}
			lx.pos += n;
			r = push(&l, kind, &lx, start);
		}
		if (r < 0)
			goto fail;
	}
	r = push(&l, TOKEN_EOF, &lx, lx.pos);
	if (r < 0)
		goto fail;
	*ret = l;
	return 0;
fail:
	token_list_release(&l);
	return r;
}

void token_list_release(struct token_list *l)
{
	mem_free(l->tokens);
	l->tokens = NULL;
	l->n = l->alloc = 0;
}

const char *token_kind_name(enum token_kind k)
{
	switch (k) {
	case TOKEN_EOF:
		return "end of file";
	case TOKEN_IDENT:
		return "identifier";
	case TOKEN_INT:
	case TOKEN_FLOAT:
		return "number";
	case TOKEN_STRING:
		return "string";
	case TOKEN_TEMPLATE:
		return "template";
	case TOKEN_DOC:
		return "documentation";
	default:
		return "punctuation";
	}
}
