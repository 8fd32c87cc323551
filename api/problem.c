#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/problem.h"
#include "base/alloc.h"
#include "base/macro.h"
#include "connectors/connector.h"

static const struct {
	int error;
	struct problem_kind kind;
} errno_table[] = {
	{ EINVAL, { 400, "bad_request", "request is not valid" } },
	{ EACCES, { 403, "forbidden", "access denied" } },
	{ EPERM, { 403, "forbidden", "operation not permitted" } },
	{ ENOENT, { 404, "not_found", "resource not found" } },
	{ EEXIST, { 409, "conflict", "resource already exists" } },
	{ EMSGSIZE, { 413, "payload_too_large", "request exceeds a size limit" } },
	{ EBADMSG, { 422, "model_invalid", "model file does not validate" } },
	{ ECONSTRAINT, { 422, "constraint_violation", "a constraint of the store rejected it" } },
	{ EOPNOTSUPP, { 501, "not_supported", "operation not supported by this store" } },
	/* API.md: a store that cannot be reached answers 503 store_unavailable */
	{ ECONNREFUSED, { 503, "store_unavailable", "the store refused the connection" } },
	{ ECONNRESET, { 503, "store_unavailable", "the connection to the store was lost" } },
	{ EHOSTUNREACH, { 503, "store_unavailable", "the store's host is unreachable" } },
	{ ETIMEDOUT, { 503, "store_unavailable", "the store did not answer in time" } },
	{ ENOSPC, { 507, "insufficient_storage", "no space left on the project's disk" } },
	{ EDQUOT, { 507, "insufficient_storage", "disk quota exceeded" } },
	{ EBUSY, { 503, "unavailable", "service is busy" } },
	{ ENOMEM, { 503, "unavailable", "out of memory" } },
	{ EAGAIN, { 503, "unavailable", "try again later" } },
};

static const struct problem_kind internal_error = { 500, "internal_error", "internal error" };

const struct problem_kind *problem_kind_from_errno(int error)
{
	int e = error < 0 ? -error : error;

	for (size_t i = 0; i < ELEMENTSOF(errno_table); i++)
		if (errno_table[i].error == e)
			return &errno_table[i].kind;
	return &internal_error;
}

unsigned http_status_from_errno(int error)
{
	return problem_kind_from_errno(error)->status;
}

const char *http_reason_phrase(unsigned status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 409:
		return "Conflict";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 428:
		return "Precondition Required";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 507:
		return "Insufficient Storage";
	case 504:
		return "Gateway Timeout";
	default:
		return "Unknown";
	}
}

/* text as a JSON string; bytes that are not UTF-8 (a URL's %ff, a store's message in another
 * encoding) are percent-encoded, so the problem is never lost to one bad byte. */
static json_t *json_text(const char *text)
{
	json_t *j = json_string(text);
	char *out, *w;

	if (j || !text)
		return j;
	out = mem_alloc(strlen(text) * 3 + 1);
	if (!out)
		return NULL;
	w = out;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p < 0x80) {
			*w++ = (char)*p;
		} else {
			/* every non-ASCII byte, so a valid sequence is never cut in half */
			static const char hex[] = "0123456789ABCDEF";
			*w++ = '%';
			*w++ = hex[*p >> 4];
			*w++ = hex[*p & 0xf];
		}
	*w = '\0';
	j = json_string(out);
	mem_free(out);
	return j;
}

json_t *problem_new(unsigned status, const char *code, const char *title, const char *detail,
		    const char *instance)
{
	char type[128];
	json_t *p;

	(void)snprintf(type, sizeof(type), "urn:persistd:problem:%s", code);
	for (char *c = type; *c; c++)
		if (*c == '_')
			*c = '-';
	p = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title, "status", (int)status,
		      "code", code);
	if (!p)
		return NULL;
	if (detail && json_object_set_new(p, "detail", json_text(detail)) < 0)
		goto fail;
	if (instance && json_object_set_new(p, "instance", json_text(instance)) < 0)
		goto fail;
	return p;
fail:
	json_decref(p);
	return NULL;
}

json_t *problem_from_errno(int error, const char *detail, const char *instance)
{
	const struct problem_kind *k = problem_kind_from_errno(error);
	return problem_new(k->status, k->code, k->title, detail, instance);
}
