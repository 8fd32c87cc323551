/* What extraction derives from the parsed text (model-language.md §3-§6): type names resolved to
 * entities and enums, keys, the values of @sql:* and @constraint:String read the way upstream
 * reads them, and relation inference with foreign-key names. model_parse() calls it; it never
 * fails on an invalid model, only on OOM. */
#ifndef MODELS_RELATIONS_H
#define MODELS_RELATIONS_H

#include "base/macro.h"

struct model_file;

_must_check_ int model_resolve(struct model_file *mf);

#endif
