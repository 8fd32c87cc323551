/* Auto-regeneration: after a save that changed a bound model's content and validates, write its
 * build-tool output (generated/ or generated/<module>/) as `bal build` would. An invalid model
 * never gets here, so it never overwrites good output. */
#ifndef DAEMON_REGENERATE_H
#define DAEMON_REGENERATE_H

struct event_bus;
struct model_state;
struct registry;
struct snapshot;

/* Regenerate m when it is valid and bound; publishes generate.started and
 * generate.finished or generate.failed. Returns 1 when it generated, 0 when there was nothing
 * to do, < 0 on failure (already logged and published). */
int regenerate_model(struct registry *reg, struct event_bus *events, const char *project_dir,
		     const struct snapshot *snap, const struct model_state *m);

#endif
