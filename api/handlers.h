/* Route handlers, one group per handlers-*.c file. */
#ifndef API_HANDLERS_H
#define API_HANDLERS_H

#include <stddef.h>

struct request;

/* handlers-admin.c */
int handle_healthz(struct request *req);
int handle_version(struct request *req);
int handle_events(struct request *req);
int handle_metrics(struct request *req);
int handle_openapi(struct request *req);

/* handlers-models.c */
struct model_state;
/* Validate the {m} path parameter (the first) before anything looks at the file system, and
 * find the model in the request's snapshot. On failure a reply may have been queued (400,
 * 404) and a negative errno is returned. */
int lookup_model(struct request *req, struct model_state **ret);
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

/* handlers-data.c */
int handle_data_list(struct request *req);
int handle_data_post(struct request *req);
int handle_data_get(struct request *req);
int handle_data_update(struct request *req);
int handle_data_delete(struct request *req);
int handle_model_push(struct request *req);

/* handlers-generate.c */
int handle_model_generate(struct request *req);

/* handlers-pull.c */
int handle_model_pull(struct request *req);

/* handlers-web.c: the dashboard, GET / and GET /assets/{name} */
int handle_web_index(struct request *req);
int handle_web_asset(struct request *req);
/* The files of web/, compiled in by web/embed.sh (the generated web/assets.c). */
struct web_asset {
	const char *name; /* "index.html", "app.js", ... */
	const unsigned char *data;
	size_t len;
};
extern const struct web_asset web_assets[];
extern const size_t web_n_assets;

#endif
