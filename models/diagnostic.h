/* Positioned diagnostics of one model file: upstream's PERSIST_xxx codes and persistd's own
 * codes for what the Ballerina compiler would have reported (model-language.md §7.2, §8).
 * Rendered as `file:line:column: error PERSIST_xxx: message` lines for the CLI, and as a JSON
 * array of {"code","severity","message","file","line","column"} for the API. */
#ifndef MODELS_DIAGNOSTIC_H
#define MODELS_DIAGNOSTIC_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/macro.h"
#include "models/ast.h"

struct pd_error;

/* Codes of persistd's own (compiler-level and extraction) diagnostics. */
#define DIAG_SYNTAX		  "BAL_SYNTAX" /* the text does not parse, or is over a limit */
#define DIAG_UNDEFINED_TYPE	  "BAL_UNDEFINED_TYPE"
#define DIAG_UNDEFINED_MODULE	  "BAL_UNDEFINED_MODULE" /* a prefix nothing imports */
#define DIAG_UNSUPPORTED_MODULE	  "BAL_UNSUPPORTED_MODULE" /* an import other than the four */
#define DIAG_UNUSED_IMPORT	  "BAL_UNUSED_IMPORT"
#define DIAG_REDECLARED		  "BAL_REDECLARED" /* the same name twice */
#define DIAG_UNDEFINED_ANNOTATION "BAL_UNDEFINED_ANNOTATION"
#define DIAG_ANNOTATION_PLACE	  "BAL_ANNOTATION_PLACE" /* not allowed there, or repeated */
#define DIAG_ANNOTATION_VALUE	  "BAL_ANNOTATION_VALUE" /* value of the wrong shape */
#define DIAG_ENUM_VALUE		  "BAL_ENUM_VALUE"
#define DIAG_NO_PERSIST_IMPORT	  "TOOL_NO_PERSIST_IMPORT"
#define DIAG_NO_ENTITY		  "TOOL_NO_ENTITY"
#define DIAG_UNSUPPORTED_TYPE	  "TOOL_UNSUPPORTED_TYPE"

enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
};

struct diagnostic {
	const char *code; /* static string */
	enum diag_severity severity;
	char *message;
	unsigned line, column; /* 1-based; 0 when the diagnostic has no position */
	size_t offset;
	size_t seq; /* order of addition, which the sort keeps among equal positions */
};

/* A hostile model can produce one diagnostic per few bytes; past this many only the counts
 * grow. */
#define DIAG_LIST_MAX_ITEMS 1000

struct diag_list {
	struct diagnostic *items;
	size_t n, alloc;
	char *file; /* the path printed in front of each diagnostic, NULL for none */
	size_t n_errors, n_warnings; /* all of them, including the ones not kept */
	size_t n_dropped; /* past DIAG_LIST_MAX_ITEMS */
};

#define DIAG_LIST_INIT \
	{              \
		0      \
	}

void diag_list_init(struct diag_list *l);
void diag_list_release(struct diag_list *l);
static inline void diag_list_releasep(struct diag_list *l)
{
	diag_list_release(l);
}
_must_check_ int diag_list_set_file(struct diag_list *l, const char *file);

_must_check_ _printf_(5, 6) int diag_add(struct diag_list *l, const char *code,
					 enum diag_severity severity, struct model_pos pos,
					 const char *fmt, ...);
/* A parse failure (reterr of model_parse) as a DIAG_SYNTAX error. */
_must_check_ int diag_add_parse_error(struct diag_list *l, const struct pd_error *e);
/* Stable sort by position; diagnostics without a position come first. */
void diag_list_sort(struct diag_list *l);
bool diag_list_has_code(const struct diag_list *l, const char *code);

const char *diag_severity_to_string(enum diag_severity s);
/* One `file:line:column: error CODE: message` line per diagnostic (position parts that are
 * unknown are left out), and a `file: note: N more diagnostics not shown` line when some were
 * dropped. */
_must_check_ int diag_list_format_text(const struct diag_list *l, struct buf *out);
/* A JSON array; "file" is omitted when the list has none. */
_must_check_ int diag_list_format_json(const struct diag_list *l, struct buf *out);

#endif
