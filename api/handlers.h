/* Route handlers, one group per handlers-*.c file. */
#ifndef API_HANDLERS_H
#define API_HANDLERS_H

struct request;

/* handlers-admin.c */
int handle_healthz(struct request *req);
int handle_version(struct request *req);
int handle_events(struct request *req);
int handle_metrics(struct request *req);
int handle_openapi(struct request *req);

/* handlers-models.c */
int handle_readyz(struct request *req);
int handle_models_list(struct request *req);
int handle_model_get(struct request *req);
int handle_model_source_get(struct request *req);
int handle_model_source_put(struct request *req);

/* handlers-project.c */
int handle_model_init(struct request *req);
int handle_model_add(struct request *req);

/* handlers-migrate.c */
int handle_model_migrate(struct request *req);

/* handlers-generate.c */
int handle_model_generate(struct request *req);

#endif
