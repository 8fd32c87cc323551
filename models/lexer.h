/* Tokens of the model-file subset of Ballerina. The lexer turns the whole text into an array of
 * tokens up front; each token points back into the text by offset and carries its 1-based line
 * and column (in bytes). Comments and whitespace produce no token; `#` documentation lines do,
 * so the parser can tell where they are allowed. */
#ifndef MODELS_LEXER_H
#define MODELS_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"

struct pd_error;

enum token_kind {
	TOKEN_EOF,
	TOKEN_IDENT, /* plain or quoted ('type); keywords are identifiers too */
	TOKEN_INT,
	TOKEN_FLOAT,
	TOKEN_STRING, /* "..." including the quotes */
	TOKEN_TEMPLATE, /* `...` including the backticks */
	TOKEN_DOC, /* a # documentation line, up to the end of the line */
	TOKEN_LBRACE, /* { */
	TOKEN_RBRACE, /* } */
	TOKEN_LBRACE_BAR, /* {| */
	TOKEN_BAR_RBRACE, /* |} */
	TOKEN_LPAREN,
	TOKEN_RPAREN,
	TOKEN_LBRACKET,
	TOKEN_RBRACKET,
	TOKEN_SEMICOLON,
	TOKEN_COLON,
	TOKEN_COMMA,
	TOKEN_DOT,
	TOKEN_ELLIPSIS, /* ... */
	TOKEN_QUESTION,
	TOKEN_EQUAL, /* = */
	TOKEN_AT,
	TOKEN_STAR,
	TOKEN_SLASH,
	TOKEN_LT,
	TOKEN_GT,
	TOKEN_PIPE,
	TOKEN_AMP,
	TOKEN_MINUS,
	TOKEN_PLUS,
	TOKEN_OPERATOR, /* any other operator; only seen inside skipped declarations */
};

/* Kept small: a model has a token every five bytes or so. */
struct token {
	unsigned char kind; /* enum token_kind */
	bool quoted; /* identifier written with a leading ' */
	unsigned line, column;
	uint32_t offset, len;
};

struct token_list {
	struct token *tokens;
	size_t n, alloc;
};

/* Tokenise text[0..len). The list always ends with a TOKEN_EOF. A byte that starts no token,
 * an unterminated string and a NUL byte are positioned errors (-EBADMSG); text longer than
 * UINT32_MAX is -EMSGSIZE. */
_must_check_ int lexer_run(const char *text, size_t len, const char *file, struct token_list *ret,
			   struct pd_error *reterr);
void token_list_release(struct token_list *l);

const char *token_kind_name(enum token_kind k);

#endif
