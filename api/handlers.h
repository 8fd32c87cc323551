/* Route handlers, one group per handlers-*.c file. */
#ifndef API_HANDLERS_H
#define API_HANDLERS_H

struct request;

/* handlers-admin.c */
int handle_healthz(struct request *req);
int handle_version(struct request *req);

#endif
