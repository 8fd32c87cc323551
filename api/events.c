#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api/events.h"
#include "api/http.h"
#include "api/metrics.h"
#include "api/request.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/list.h"
#include "base/log.h"
#include "base/strutil.h"

struct ring_event {
	uint64_t id;
	char *text; /* "id: N\nevent: T\ndata: {...}\n\n" */
	size_t len;
};

struct subscriber {
	struct event_bus *bus;
	struct MHD_Connection *conn;
	struct http_server *server; /* resumes go through it: they must wake the conn's loop */
	struct list_head node;
	uint64_t last_id; /* last event id sent (or resumed from) */
	uint64_t heartbeats; /* bus->heartbeats when this stream last sent one */
	bool suspended;
	bool live; /* past the initial catch-up: a gap now means it fell behind */
	struct buf out; /* text being sent */
	size_t out_off;
};

struct event_bus {
	pthread_mutex_t lock;
	struct ring_event *ring;
	size_t cap, head, count; /* head: index of the oldest */
	uint64_t next_id;
	uint64_t heartbeats;
	unsigned max_clients, clients;
	bool closing;
	struct list_head subscribers;
};

int event_bus_new(const struct event_bus_options *o, struct event_bus **ret)
{
	struct event_bus *bus = new0(struct event_bus, 1);

	if (!bus)
		return -ENOMEM;
	bus->cap = o->ring_events ? o->ring_events : 1;
	bus->ring = new0(struct ring_event, bus->cap);
	if (!bus->ring) {
		mem_free(bus);
		return -ENOMEM;
	}
	bus->max_clients = o->max_clients;
	bus->next_id = 1;
	pthread_mutex_init(&bus->lock, NULL);
	list_init(&bus->subscribers);
	*ret = bus;
	return 0;
}

/* Wake every suspended stream; the caller holds the lock. */
static void wake_all(struct event_bus *bus)
{
	struct list_head *p;

	list_for_each(p, &bus->subscribers) {
		struct subscriber *s = list_entry(p, struct subscriber, node);
		if (s->suspended) {
			s->suspended = false;
			http_server_resume(s->server, s->conn);
		}
	}
}

void event_bus_close(struct event_bus *bus)
{
	if (!bus)
		return;
	pthread_mutex_lock(&bus->lock);
	bus->closing = true;
	wake_all(bus);
	pthread_mutex_unlock(&bus->lock);
}

struct event_bus *event_bus_free(struct event_bus *bus)
{
	if (!bus)
		return NULL;
	for (size_t i = 0; i < bus->cap; i++)
		mem_free(bus->ring[i].text);
	mem_free(bus->ring);
	pthread_mutex_destroy(&bus->lock);
	mem_free(bus);
	return NULL;
}

int64_t event_bus_publish(struct event_bus *bus, const char *type, json_t *data)
{
	_cleanup_buf_ struct buf b = BUF_INIT(1 << 20);
	char *json;
	int64_t id;
	int r;

	if (!data)
		return -ENOMEM;
	json = json_dumps(data, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(data);
	if (!json)
		return -ENOMEM;

	pthread_mutex_lock(&bus->lock);
	id = (int64_t)bus->next_id;
	r = buf_addf(&b, "id: %" PRId64 "\nevent: %s\ndata: %s\n\n", id, type, json);
	free(json); /* jansson's allocator */
	if (r < 0) {
		pthread_mutex_unlock(&bus->lock);
		return r;
	}
	bus->next_id++;
	{
		size_t slot = (bus->head + bus->count) % bus->cap;
		if (bus->count == bus->cap) {
			/* Full: the oldest event makes room. */
			slot = bus->head;
			bus->head = (bus->head + 1) % bus->cap;
		} else {
			bus->count++;
		}
		mem_free(bus->ring[slot].text);
		bus->ring[slot].id = (uint64_t)id;
		bus->ring[slot].len = b.len;
		bus->ring[slot].text = buf_detach(&b, NULL);
	}
	wake_all(bus);
	pthread_mutex_unlock(&bus->lock);
	metrics_event_published();
	return id;
}

void event_bus_heartbeat(struct event_bus *bus)
{
	pthread_mutex_lock(&bus->lock);
	bus->heartbeats++;
	wake_all(bus);
	pthread_mutex_unlock(&bus->lock);
}

unsigned event_bus_clients(struct event_bus *bus)
{
	unsigned n;
	pthread_mutex_lock(&bus->lock);
	n = bus->clients;
	pthread_mutex_unlock(&bus->lock);
	return n;
}

uint64_t event_bus_last_id(struct event_bus *bus)
{
	uint64_t id;
	pthread_mutex_lock(&bus->lock);
	id = bus->next_id - 1;
	pthread_mutex_unlock(&bus->lock);
	return id;
}

/* The next text for s, into s->out; 0 when there is nothing to send, 1 when there is, -1 when
 * the stream must end. The caller holds the lock. */
static int next_chunk(struct event_bus *bus, struct subscriber *s)
{
	const struct ring_event *oldest = bus->count ? &bus->ring[bus->head] : NULL;
	uint64_t want = s->last_id + 1;

	if (bus->closing)
		return -1;
	if (oldest && want < oldest->id) {
		if (s->live) {
			/* Fell behind by more than the ring holds: drop it, the client reconnects
			 * with Last-Event-ID and learns of the gap. */
			log_info("events: dropping a slow subscriber (%" PRIu64 " events behind)",
				 oldest->id - want);
			return -1;
		}
		if (buf_addf(&s->out, ": %" PRIu64 " events were lost before id %" PRIu64 "\n\n",
			     oldest->id - want, oldest->id) < 0)
			return -1;
		s->last_id = oldest->id - 1;
		return 1;
	}
	if (oldest && want < bus->next_id) {
		const struct ring_event *e =
			&bus->ring[(bus->head + (want - oldest->id)) % bus->cap];
		if (buf_add(&s->out, e->text, e->len) < 0)
			return -1;
		s->last_id = e->id;
		return 1;
	}
	s->live = true;
	if (s->heartbeats != bus->heartbeats) {
		s->heartbeats = bus->heartbeats;
		if (buf_adds(&s->out, ": heartbeat\n\n") < 0)
			return -1;
		return 1;
	}
	return 0;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct subscriber *s = cls;
	struct event_bus *bus = s->bus;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&bus->lock);
	if (s->out_off >= s->out.len) {
		int r;
		buf_reset(&s->out);
		s->out_off = 0;
		r = next_chunk(bus, s);
		if (r < 0) {
			pthread_mutex_unlock(&bus->lock);
			return bus->closing ? MHD_CONTENT_READER_END_OF_STREAM
					    : MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (r == 0) {
			/* Nothing to send: sleep until publish, heartbeat or close wakes us. */
			s->suspended = true;
			MHD_suspend_connection(s->conn);
			pthread_mutex_unlock(&bus->lock);
			return 0;
		}
	}
	n = (ssize_t)MIN(max, s->out.len - s->out_off);
	memcpy(out, s->out.buf + s->out_off, (size_t)n);
	s->out_off += (size_t)n;
	pthread_mutex_unlock(&bus->lock);
	return n;
}

static void stream_free(void *cls)
{
	struct subscriber *s = cls;
	struct event_bus *bus = s->bus;

	pthread_mutex_lock(&bus->lock);
	list_del(&s->node);
	bus->clients--;
	pthread_mutex_unlock(&bus->lock);
	buf_release(&s->out);
	mem_free(s);
}

int event_bus_serve(struct event_bus *bus, struct request *req)
{
	const char *last = request_header(req, "Last-Event-ID");
	struct MHD_Response *resp;
	struct subscriber *s;
	uint64_t from;
	enum MHD_Result ok;

	if (!bus)
		return -EOPNOTSUPP;
	s = new0(struct subscriber, 1);
	if (!s)
		return -ENOMEM;
	s->bus = bus;
	s->conn = req->conn;
	s->server = req->server;
	buf_init(&s->out, 1 << 20);

	pthread_mutex_lock(&bus->lock);
	if (bus->closing || bus->clients >= bus->max_clients) {
		pthread_mutex_unlock(&bus->lock);
		mem_free(s);
		(void)request_add_header(req, "Retry-After", "5");
		return request_reply_problem(req, 503, "too_many_streams", "too many event streams",
					     "the number of concurrent /events streams is capped");
	}
	/* Without Last-Event-ID a stream starts with what happens next. */
	if (!last || safe_atou64(last, &from) < 0 || from >= bus->next_id)
		from = bus->next_id - 1;
	s->last_id = from;
	s->heartbeats = bus->heartbeats;
	bus->clients++;
	list_add_tail(&s->node, &bus->subscribers);
	pthread_mutex_unlock(&bus->lock);

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_reader, s,
						 stream_free);
	if (!resp) {
		stream_free(s);
		return -ENOMEM;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	(void)MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	(void)MHD_add_response_header(resp, "X-Request-Id", req->id_str);
	ok = MHD_queue_response(req->conn, 200, resp);
	MHD_destroy_response(resp);
	if (ok != MHD_YES)
		return -EIO;
	req->replied = true;
	req->status = 200;
	return 0;
}
