/* Names upstream derives from entity and field names (reference/codegen.md §9). */
#ifndef MODELS_NAMING_H
#define MODELS_NAMING_H

#include "base/buf.h"
#include "base/macro.h"

/* Pluralize(w) with upstream's uncountables, irregulars and rules, quirks included. */
/* Upstream's irregular {singular, plural} pairs. */
extern const char *const naming_irregulars[][2];
extern const size_t naming_n_irregulars;

_must_check_ int naming_pluralize(const char *word, struct buf *out);
/* Resource name: Pluralize(lower-case(entity name as written)); a leading ' survives. */
_must_check_ int naming_resource_name(const char *entity_name, struct buf *out);
/* Const name: MEDICAL_NEED for MedicalNeed, BUILDING for 'Building. */
_must_check_ int naming_const_name(const char *entity_name, struct buf *out);

#endif
