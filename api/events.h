/* Server-Sent Events (API.md §3, GET /events): a bounded ring of recent events with monotonic
 * ids, so a client that reconnects with Last-Event-ID gets what it missed, a cap on concurrent
 * streams, heartbeats, and slow subscribers dropped rather than buffered without bound.
 * Events are published on the main thread; each stream's reader runs on an HTTP worker and
 * suspends its connection while there is nothing to send. */
#ifndef API_EVENTS_H
#define API_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/macro.h"

struct event_bus;
struct request;

struct event_bus_options {
	size_t ring_events; /* events kept for Last-Event-ID resume */
	unsigned max_clients;
};

_must_check_ int event_bus_new(const struct event_bus_options *o, struct event_bus **ret);
/* Ends every stream (resuming suspended ones so they finish); call before the HTTP server
 * stops. */
void event_bus_close(struct event_bus *bus);
struct event_bus *event_bus_free(struct event_bus *bus);

/* Publish an event of type with data (stolen; an object). Returns its id, or a negative errno. */
int64_t event_bus_publish(struct event_bus *bus, const char *type, json_t *data);
/* Send a comment line to every stream (keeps proxies from closing idle connections). */
void event_bus_heartbeat(struct event_bus *bus);
unsigned event_bus_clients(struct event_bus *bus);
uint64_t event_bus_last_id(struct event_bus *bus);

/* GET /events */
int event_bus_serve(struct event_bus *bus, struct request *req);

#endif
