/* Request bodies: a JSON object with known members only. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/request.h"
#include "base/strutil.h"

/* The request body as a JSON object; an empty body is an empty object. Replies 400 itself. */
int request_body_object(struct request *req, json_t **ret)
{
	json_error_t err;
	json_t *j;

	if (req->body.len == 0) {
		*ret = json_object();
		return *ret ? 0 : -ENOMEM;
	}
	j = json_loadb(req->body.buf, req->body.len, JSON_REJECT_DUPLICATES, &err);
	if (!j || !json_is_object(j)) {
		char detail[256];
		(void)snprintf(detail, sizeof(detail), "%s",
			       j ? "the body must be a JSON object" : err.text);
		json_decref(j);
		(void)request_reply_problem(req, 400, "bad_request", "invalid request body",
					    detail);
		return -EINVAL;
	}
	*ret = j;
	return 0;
}

static int bad_member(struct request *req, const char *key, const char *what)
{
	char detail[160];

	(void)snprintf(detail, sizeof(detail), "member '%.64s' %s", key, what);
	(void)request_reply_problem(req, 400, "bad_request", "invalid request body", detail);
	return -EINVAL;
}

/* Read the string members named in keys and the booleans named in bool_keys (both
 * NULL-terminated); any other member or a value of the wrong type is a 400. The strings are
 * borrowed from obj. */
int request_body_members(struct request *req, json_t *obj, const char *const *keys,
			 const char **vals, const char *const *bool_keys, bool *bools)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		bool known = false;
		for (size_t i = 0; keys[i]; i++)
			if (streq(k, keys[i])) {
				if (!json_is_string(v) && !json_is_null(v))
					return bad_member(req, k, "must be a string");
				vals[i] = json_string_value(v);
				known = true;
			}
		for (size_t i = 0; bool_keys && bool_keys[i]; i++)
			if (streq(k, bool_keys[i])) {
				if (!json_is_boolean(v))
					return bad_member(req, k, "must be true or false");
				bools[i] = json_is_true(v);
				known = true;
			}
		if (!known)
			return bad_member(req, k, "is not known");
	}
	return 0;
}
