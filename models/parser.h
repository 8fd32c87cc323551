/* Parse one model file into a struct model_file (models/ast.h): the lexer, the recursive-descent
 * parser for the accepted Ballerina subset, type resolution, relation inference and the
 * annotation readers. Only syntax and limits fail the parse; everything a model can get wrong
 * beyond that is the validator's job (models/validate.h). */
#ifndef MODELS_PARSER_H
#define MODELS_PARSER_H

#include <stddef.h>

#include "base/macro.h"
#include "models/ast.h"

struct pd_error;

#define MODEL_MAX_FILE_BYTES_DEFAULT ((size_t)1 << 20)
#define MODEL_MAX_DEPTH		     64

/* Parse text[0..len) (need not be NUL-terminated); file names it in positions and is copied.
 * max_bytes caps the input (0 = MODEL_MAX_FILE_BYTES_DEFAULT): larger is -EMSGSIZE. A syntax
 * error or nesting deeper than MODEL_MAX_DEPTH is -EBADMSG with reterr positioned; -ENOMEM on
 * OOM. */
_must_check_ int model_parse(const char *text, size_t len, const char *file, size_t max_bytes,
			     struct model_file **ret, struct pd_error *reterr);

#endif
