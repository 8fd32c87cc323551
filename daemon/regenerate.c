#include "config.h"

#include <errno.h>
#include <time.h>

#include <jansson.h>

#include "api/events.h"
#include "api/metrics.h"
#include "api/registry.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/time-util.h"
#include "daemon/regenerate.h"
#include "models/fileset.h"
#include "models/gen-project.h"
#include "models/model-set.h"
#include "models/project-config.h"

static json_t *files_json(const struct fileset *files)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < files->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:b}", "path", files->items[i].path,
						   "bytes", (json_int_t)files->items[i].len,
						   "changed", files->items[i].changed));
	return a;
}

int regenerate_model(struct registry *reg, struct event_bus *events, const char *project_dir,
		     const struct snapshot *snap, const struct model_state *m)
{
	const struct project_config *pc = snap->project->config;
	const struct persist_binding *b;
	_cleanup_fileset_ struct fileset files = FILESET_INIT;
	_cleanup_buf_ struct buf warnings = BUF_INIT(1 << 16);
	struct gen_binding gb;
	struct pd_error e = { 0 }, te = { 0 };
	enum gen_build_code code;
	bool test_failed = false;
	usec_t t0;
	int r;

	if (!pc || !pc->package_name || m->status != MODEL_VALID)
		return 0;
	b = project_config_binding_for_path(pc, m->entry.path);
	if (!b)
		return 0;

	(void)event_bus_publish(events, "generate.started",
				json_pack("{s:s, s:s}", "model", m->entry.name, "mode", "build"));
	t0 = now_usec(CLOCK_MONOTONIC);
	if (b->error) {
		pd_error_set(&e, NULL, 0, 0, 0, "%s", b->error);
		r = -EINVAL;
	} else {
		gb = (struct gen_binding){
			.id = b->id,
			.target_module = b->target_module ? b->target_module : pc->package_name,
			.file_path = b->model_path,
			.datastore = b->datastore,
			.test_datastore = b->test_datastore,
			.eager_loading = b->eager_loading,
			.with_init_params = b->with_init_params,
		};
		r = gen_project_build(project_dir, pc->package_name, &gb, &warnings, &files,
				      &test_failed, &te, &code, &e);
	}
	metrics_generation(r >= 0, now_usec(CLOCK_MONOTONIC) - t0);
	if (r < 0) {
		registry_note_generation(reg, m->entry.name, now_usec(CLOCK_REALTIME), e.text,
					 NULL);
		log_warning("model '%s': generation failed: %s", m->entry.name, e.text);
		(void)event_bus_publish(
			events, "generate.failed",
			json_pack("{s:s, s:s}", "model", m->entry.name, "error", e.text));
		return r;
	}
	{
		usec_t ms = (now_usec(CLOCK_MONOTONIC) - t0) / 1000;
		json_t *data = json_pack("{s:s, s:o*, s:I}", "model", m->entry.name, "files",
					 files_json(&files), "durationMs", (json_int_t)ms);
		size_t changed = 0;

		for (size_t i = 0; i < files.n; i++)
			changed += files.items[i].changed;
		if (data && warnings.len)
			json_object_set_new(data, "warnings", json_string(warnings.buf));
		if (data && test_failed)
			json_object_set_new(data, "testError", json_string(te.text));
		registry_note_generation(reg, m->entry.name, now_usec(CLOCK_REALTIME), NULL,
					 &files);
		log_info("model '%s': generated %zu files (%zu changed) in %llu ms", m->entry.name,
			 files.n, changed, (unsigned long long)ms);
		(void)event_bus_publish(events, "generate.finished", data);
	}
	return 1;
}
