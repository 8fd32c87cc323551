/* Store pipes per event loop: pipelined reads for the data routes (connectors/connector.h,
 * struct conn_pipe). Each loop keeps at most one pipe per pool, opened on first use. A handler
 * queues its read and suspends; after each pass over its connections the loop writes every
 * read queued on a pipe at once, and each answer resumes its request. */
#ifndef API_PIPELINE_H
#define API_PIPELINE_H

#include <stdbool.h>

#include <jansson.h>

#include "api/request.h"

struct entity;
struct loop_pipes;
struct pool;

/* Queue a read of key's record on the pipe of req's loop to pool's store and suspend req; fn
 * runs as the handler's second half once the answer is in (pipeline_result). 0: suspended.
 * Negative: nothing was sent (no pipe for this store, a key the store rejects, the store
 * down, ...): the caller reads through the pool instead, which gives every error its reply. */
int pipeline_read(struct request *req, struct pool *pool, const struct entity *e, const json_t *key,
		  request_resume_fn *fn);
/* In the second half: the read's result, as conn_read's (*ret_rec new on success; text gets
 * the store's text on failure). */
int pipeline_result(struct request *req, json_t **ret_rec, char *text, size_t text_size);
/* The request is being freed: forget its read (still in flight or not collected). */
void pipeline_request_gone(struct request *req);
/* After a pass of the loop: write what was queued; once a second, close the pipes of pools the
 * store table has let go of. True when reads were answered (and their requests resumed) on the
 * way, so the loop runs MHD again before it waits. NULL ok. */
bool pipeline_loop_flush(struct loop_pipes *lp);
/* The loop stops: every pipe closed, its reads in flight completed with -ECONNRESET. */
void pipeline_loop_free(struct loop_pipes **lp);

#endif
