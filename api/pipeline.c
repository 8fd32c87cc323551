/* Store pipes per event loop (api/pipeline.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "api/http.h"
#include "api/pipeline.h"
#include "base/alloc.h"
#include "base/log.h"
#include "base/time-util.h"
#include "connectors/connector.h"
#include "connectors/pool.h"

/* After a pipe breaks or cannot be opened, its pool's reads go through the pool this long. */
#define PIPE_RETRY_USEC (1 * USEC_PER_SEC)
/* How often idle pipes of pools the store table dropped, and stalled ones, are looked for. */
#define PIPE_SWEEP_USEC (1 * USEC_PER_SEC)

/* One request's read, from queueing to its result being collected. */
struct pipe_wait {
	struct request *req; /* NULL once the request is gone */
	bool done;
	int r;
	json_t *rec;
	char text[512];
};

struct pipe_slot {
	struct http_watch watch; /* the pipe's socket in the loop's epoll */
	struct loop_pipes *lp;
	struct pool *pool; /* a reference */
	struct conn_pipe *pipe; /* NULL while broken or not yet opened */
	usec_t retry_at; /* no new pipe before then */
	size_t in_flight;
	usec_t progress; /* when reads were first queued, or last answered */
	int closing; /* why it is being closed: what its reads in flight are answered */
	bool queued; /* reads queued since the last flush */
	bool want_out; /* the socket was full: EPOLLOUT is watched */
	struct pipe_slot *next;
};

struct loop_pipes {
	struct http_loop *loop;
	struct pipe_slot *slots;
	usec_t next_sweep;
	unsigned resumed; /* requests resumed since pipeline_loop_flush() last returned */
};

static void wait_free(struct pipe_wait *w)
{
	json_decref(w->rec);
	mem_free(w);
}

static void read_done(void *token, int r, json_t *rec, const char *text, void *userdata)
{
	struct pipe_wait *w = token;
	struct pipe_slot *slot = userdata;

	slot->in_flight--;
	/* a store that stalled: no retry through the pool, which would wait as long */
	if (slot->closing == -ETIMEDOUT)
		r = -ETIMEDOUT;
	w->rec = rec;
	if (!w->req) {
		wait_free(w);
		return;
	}
	w->done = true;
	w->r = r;
	(void)snprintf(w->text, sizeof(w->text), "%s", text ? text : "");
	slot->lp->resumed++;
	request_resume(w->req);
}

static void slot_break(struct pipe_slot *slot, int r)
{
	if (!slot->pipe)
		return;
	log_debug("pipe to a %s store closed: %s", pool_ops(slot->pool)->name, strerror(-r));
	http_loop_unwatch(slot->lp->loop, &slot->watch); /* a no-op when never watched */
	/* the reads in flight go back to their handlers, which retry them through the pool */
	slot->closing = r;
	conn_pipe_close(slot->pipe, read_done, slot);
	slot->closing = 0;
	pool_pipe_closed(slot->pool);
	slot->pipe = NULL;
	slot->queued = slot->want_out = false;
	slot->retry_at = now_usec(CLOCK_MONOTONIC) + PIPE_RETRY_USEC;
}

static void slot_flush(struct pipe_slot *slot)
{
	int r = conn_pipe_flush(slot->pipe, read_done, slot);
	bool want_out = r == 1;

	slot->queued = false;
	if (r < 0) {
		slot_break(slot, r);
		return;
	}
	if (slot->watch.fd < 0)
		return; /* answered already */
	if (want_out != slot->want_out) {
		slot->want_out = want_out;
		r = http_loop_watch(slot->lp->loop, &slot->watch,
				    EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0u));
		if (r < 0)
			slot_break(slot, r);
	}
}

static void slot_event(struct http_watch *w, uint32_t events)
{
	struct pipe_slot *slot = container_of(w, struct pipe_slot, watch);
	int r;

	if (!slot->pipe)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		slot->progress = now_usec(CLOCK_MONOTONIC);
		r = conn_pipe_input(slot->pipe, read_done, slot);
		if (r < 0) {
			slot_break(slot, r);
			return;
		}
	}
	if ((events & EPOLLOUT) && slot->pipe)
		slot_flush(slot);
}

static struct pipe_slot *slot_free(struct pipe_slot *slot)
{
	struct pipe_slot *next = slot->next;

	slot_break(slot, -ESHUTDOWN);
	(void)pool_unref(slot->pool);
	mem_free(slot);
	return next;
}

static int slot_get(struct loop_pipes *lp, struct pool *pool, struct pipe_slot **ret)
{
	struct pipe_slot *slot;
	int r;

	for (slot = lp->slots; slot; slot = slot->next)
		if (slot->pool == pool)
			break;
	if (!slot) {
		slot = new0(struct pipe_slot, 1);
		if (!slot)
			return -ENOMEM;
		slot->lp = lp;
		slot->pool = pool_ref(pool);
		slot->watch.fn = slot_event;
		slot->next = lp->slots;
		lp->slots = slot;
	}
	if (!slot->pipe) {
		if (now_usec(CLOCK_MONOTONIC) < slot->retry_at)
			return -EAGAIN;
		r = pool_pipe_open(pool, &slot->pipe);
		if (r < 0) {
			slot->retry_at = now_usec(CLOCK_MONOTONIC) + PIPE_RETRY_USEC;
			return r;
		}
		slot->watch.fd = conn_pipe_fd(slot->pipe);
		slot->want_out = false;
		r = slot->watch.fd < 0
			    ? 0
			    : http_loop_watch(lp->loop, &slot->watch, EPOLLIN | EPOLLRDHUP);
		if (r < 0) {
			slot_break(slot, r);
			return r;
		}
	}
	*ret = slot;
	return 0;
}

int pipeline_read(struct request *req, struct pool *pool, const struct entity *e, const json_t *key,
		  request_resume_fn *fn)
{
	struct http_loop *loop = req->loop;
	struct loop_pipes **lpp, *lp;
	struct pipe_slot *slot;
	struct pipe_wait *w;
	int r;

	if (!loop || req->wait || !connector_has_pipes(pool_ops(pool)))
		return -EOPNOTSUPP;
	lpp = http_loop_pipes(loop);
	if (!*lpp) {
		*lpp = new0(struct loop_pipes, 1);
		if (!*lpp)
			return -ENOMEM;
		(*lpp)->loop = loop;
	}
	lp = *lpp;
	r = slot_get(lp, pool, &slot);
	if (r < 0)
		return r;
	w = new0(struct pipe_wait, 1);
	if (!w)
		return -ENOMEM;
	r = conn_pipe_read(slot->pipe, e, key, w);
	if (r < 0) {
		mem_free(w);
		if (r == -ECONNRESET)
			slot_break(slot, r);
		return r;
	}
	w->req = req;
	req->wait = w;
	req->resume_fn = fn;
	if (slot->in_flight == 0)
		slot->progress = now_usec(CLOCK_MONOTONIC);
	slot->in_flight++;
	slot->queued = true;
	pool_count_pipe_read(pool);
	request_suspend(req);
	return 0;
}

int pipeline_result(struct request *req, json_t **ret_rec, char *text, size_t text_size)
{
	struct pipe_wait *w = req->wait;
	int r;

	if (!w || !w->done)
		return -EINVAL;
	req->wait = NULL;
	r = w->r;
	if (r >= 0) {
		*ret_rec = w->rec;
		w->rec = NULL;
	}
	(void)snprintf(text, text_size, "%s", w->text);
	wait_free(w);
	return r;
}

void pipeline_request_gone(struct request *req)
{
	struct pipe_wait *w = req->wait;

	if (!w)
		return;
	req->wait = NULL;
	if (w->done)
		wait_free(w);
	else
		w->req = NULL; /* freed by read_done */
}

bool pipeline_loop_flush(struct loop_pipes *lp)
{
	bool resumed;
	usec_t now;

	if (!lp)
		return false;
	lp->resumed = 0;
	for (struct pipe_slot *slot = lp->slots; slot; slot = slot->next)
		if (slot->queued && slot->pipe)
			slot_flush(slot);
	resumed = lp->resumed > 0;
	now = now_usec(CLOCK_MONOTONIC);
	if (now < lp->next_sweep)
		return resumed;
	lp->next_sweep = now + PIPE_SWEEP_USEC;
	for (struct pipe_slot *slot = lp->slots; slot; slot = slot->next)
		if (slot->pipe && slot->in_flight > 0 &&
		    now - slot->progress > pool_io_timeout(slot->pool)) {
			log_warning("a %s store left %zu pipelined reads unanswered for %llu ms",
				    pool_ops(slot->pool)->name, slot->in_flight,
				    (unsigned long long)((now - slot->progress) / USEC_PER_MSEC));
			slot_break(slot, -ETIMEDOUT);
		}
	for (struct pipe_slot **pp = &lp->slots; *pp;) {
		if ((*pp)->in_flight == 0 && pool_unshared((*pp)->pool))
			*pp = slot_free(*pp);
		else
			pp = &(*pp)->next;
	}
	return resumed;
}

void pipeline_loop_free(struct loop_pipes **lpp)
{
	struct loop_pipes *lp = *lpp;

	if (!lp)
		return;
	for (struct pipe_slot *slot = lp->slots; slot;)
		slot = slot_free(slot);
	mem_free(lp);
	*lpp = NULL;
}
