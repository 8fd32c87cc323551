/* The one errno → HTTP status table, and RFC 9457 problem+json bodies. */
#ifndef API_PROBLEM_H
#define API_PROBLEM_H

#include <jansson.h>

#include "base/macro.h"

struct problem_kind {
	unsigned status;
	const char *code; /* stable machine string, e.g. "not_found" */
	const char *title; /* short human summary */
};

/* The status, code and title an errno (either sign) maps to; 500 for anything unknown. */
const struct problem_kind *problem_kind_from_errno(int error);
unsigned http_status_from_errno(int error);
/* Reason phrase for a status code ("Not Found"). */
const char *http_reason_phrase(unsigned status);

/* A new problem object: {type, title, status, code, detail?, instance?}. detail and instance
 * may be NULL. Returns a new reference, NULL on OOM. */
json_t *problem_new(unsigned status, const char *code, const char *title, const char *detail,
		    const char *instance);
/* The same, with status, code and title taken from the errno table. */
json_t *problem_from_errno(int error, const char *detail, const char *instance);

#endif
