#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "api/events.h"
#include "api/http.h"
#include "api/metrics.h"
#include "api/registry.h"
#include "api/stores.h"
#include "base/alloc.h"
#include "base/error.h"
#include "base/log.h"
#include "base/socket-util.h"
#include "base/strutil.h"
#include "connectors/connector.h"
#include "daemon/daemon-config.h"
#include "daemon/loop.h"
#include "daemon/notify.h"
#include "daemon/regenerate.h"
#include "daemon/watch.h"

struct daemon {
	struct config cfg;
	struct loop *loop;
	struct http_server *http;
	struct registry *registry;
	struct watch *watch;
	struct event_bus *events;
	struct store_table *stores;
	int heartbeat_fd;
	int janitor_fd;
	int signal_fd;
	int watchdog_fd;
};

/* -c FILE; the whole command line is kept because SIGHUP rebuilds the configuration from the
 * same sources in the same order. */
static const char *arg_config;
static int saved_argc;
static char **saved_argv;

static void help(void)
{
	size_t n;
	const struct config_key *k = config_keys(&n);

	printf("Usage: persistd [OPTIONS]\n\n"
	       "Serve the models of a Ballerina persist project over HTTP.\n\n"
	       "  -c, --config FILE      read the configuration file FILE (TOML)\n"
	       "  -p, --project DIR      project directory (default .)\n"
	       "  -l, --listen ADDR      address:port to listen on (default 127.0.0.1:7070)\n"
	       "  -L, --log-level LEVEL  debug, info, notice, warning or error\n"
	       "  -o, --set KEY=VALUE    set any configuration key (see below)\n"
	       "  -h, --help             show this help\n"
	       "      --version          show the version\n\n"
	       "Configuration keys, set in the file as [section] key = value or section.key = value\n"
	       "(also read from PERSISTD_<KEY>, dots as underscores; flags win over the\n"
	       "environment, the environment over the file):\n");
	for (size_t i = 0; i < n; i++)
		printf("  %-30s %s (default %s)%s\n", k[i].name, k[i].help,
		       k[i].default_value ? k[i].default_value : "unset",
		       k[i].reload == CONFIG_RELOAD ? ", reloadable" : "");
}

static int parse_argv(struct config *cfg, int argc, char **argv)
{
	static const struct option options[] = { { "config", required_argument, NULL, 'c' },
						 { "project", required_argument, NULL, 'p' },
						 { "listen", required_argument, NULL, 'l' },
						 { "log-level", required_argument, NULL, 'L' },
						 { "set", required_argument, NULL, 'o' },
						 { "help", no_argument, NULL, 'h' },
						 { "version", no_argument, NULL, 'V' },
						 {} };
	int c, r;

	while ((c = getopt_long(argc, argv, "c:p:l:L:o:h", options, NULL)) >= 0) {
		const char *key = NULL, *value = optarg;
		char kv[256];

		switch (c) {
		case 'c':
			arg_config = optarg;
			continue;
		case 'p':
			key = "project";
			break;
		case 'l':
			key = "http.listen";
			break;
		case 'L':
			key = "log.level";
			break;
		case 'o': {
			char *eq = strchr(optarg, '=');
			size_t kl = eq ? (size_t)(eq - optarg) : 0;
			if (!eq || kl == 0 || kl >= sizeof(kv)) {
				fprintf(stderr, "persistd: --set expects KEY=VALUE, got '%s'\n",
					optarg);
				return -EINVAL;
			}
			memcpy(kv, optarg, kl);
			kv[kl] = '\0';
			key = kv;
			value = eq + 1;
			break;
		}
		case 'h':
			help();
			return 0;
		case 'V':
			printf("persistd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			return -EINVAL;
		}
		r = config_set(cfg, key, value);
		if (r == -ENOENT) {
			fprintf(stderr, "persistd: unknown configuration key '%s'\n", key);
			return r;
		}
		if (r < 0) {
			fprintf(stderr, "persistd: invalid value '%s' for '%s': %s\n", value, key,
				r == -ERANGE ? "out of range" : "malformed");
			return r;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "persistd: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 1;
}

/* Defaults, then the config file, then the environment, then the flags. Logs why it fails. */
static int load_config(struct config *ret)
{
	struct config cfg;
	struct pd_error err = { 0 };
	char msg[PD_ERROR_FILE_MAX + PD_ERROR_TEXT_MAX + 32];
	int r;

	r = config_init(&cfg);
	if (r < 0)
		return log_error_errno(r, "cannot initialise the configuration: %m");
	if (arg_config) {
		r = config_load_file(&cfg, arg_config, &err);
		if (r < 0) {
			pd_error_format(&err, msg, sizeof(msg));
			config_release(&cfg);
			return log_error_errno(r, "invalid configuration: %s", msg);
		}
	}
	r = config_apply_env(&cfg, msg, sizeof(msg));
	if (r < 0) {
		config_release(&cfg);
		return log_error_errno(r, "invalid configuration: %s", msg);
	}
	optind = 0; /* getopt starts over */
	r = parse_argv(&cfg, saved_argc, saved_argv);
	if (r <= 0) {
		config_release(&cfg);
		return r < 0 ? r : -EINVAL;
	}
	*ret = cfg;
	return 0;
}

/* SIGHUP: a new configuration from the same sources; the old one stays when that fails. */
static void store_options_from_config(const struct config *cfg, struct store_options *ret)
{
	pool_config_init(&ret->pool);
	ret->pool.min_size = MIN(cfg->pool_min_size, cfg->pool_max_size);
	ret->pool.max_size = cfg->pool_max_size;
	ret->pool.connect_timeout = cfg->pool_connect_timeout_ms * USEC_PER_MSEC;
	ret->pool.idle_timeout = cfg->pool_idle_timeout_ms * USEC_PER_MSEC;
	ret->pool.max_lifetime = cfg->pool_max_lifetime_ms * USEC_PER_MSEC;
	ret->pool.trace = cfg->pool_trace;
	ret->pool.io_timeout = cfg->pool_io_timeout_ms * USEC_PER_MSEC;
	ret->acquire_timeout = cfg->pool_acquire_timeout_ms * USEC_PER_MSEC;
}

static void reload_config(struct daemon *d)
{
	struct config next;
	int r;

	r = load_config(&next);
	if (r < 0) {
		log_error("keeping the current configuration");
		return;
	}
	r = config_apply_reload(&d->cfg, &next);
	config_release(&next);
	if (r < 0) {
		log_error_errno(r, "cannot apply the new configuration: %m");
		return;
	}
	/* The reloadable limits the registry and the watch hold copies of. */
	if (d->watch)
		watch_set_debounce(d->watch, d->cfg.debounce_ms * 1000);
	if (d->registry) {
		struct model_set_limits lim = { .max_models = PROJECT_MAX_MODELS_DEFAULT,
						.max_file_bytes = d->cfg.max_file_bytes };
		registry_set_limits(d->registry, &lim);
	}
	if (d->stores) {
		struct store_options so;
		store_options_from_config(&d->cfg, &so);
		store_table_set_options(d->stores, &so);
	}
}

static int open_listener(struct daemon *d)
{
	struct listen_addr addr;
	char name[96];
	int fd, r;

	fd = notify_listen_fd();
	if (fd >= 0) {
		log_info("using the socket passed by the service manager");
	} else if (fd != -ENOENT) {
		return log_error_errno(fd, "socket activation: expected exactly one stream socket");
	} else {
		r = listen_addr_parse(d->cfg.listen, &addr);
		if (r < 0)
			return log_error_errno(r, "invalid listen address '%s'", d->cfg.listen);
		fd = listen_addr_open(&addr, 128);
		if (fd < 0)
			return log_error_errno(fd, "cannot listen on %s: %m", d->cfg.listen);
	}
	r = socket_is_loopback(fd);
	if (r == 0 && !d->cfg.api_token) {
		(void)close(fd);
		log_error("refusing to listen on a non-loopback address without http.api_token");
		return -EACCES;
	}
	if (socket_local_name(fd, name, sizeof(name)) >= 0)
		log_info("listening on http://%s", name);
	return fd;
}

static const char *const change_names[] = {
	[MODEL_ADDED] = "added",
	[MODEL_CHANGED] = "changed",
	[MODEL_REMOVED] = "removed",
};

/* Re-read what changed, publish, and tell what happened. */
static void reload_models(struct daemon *d, char *const *changed, size_t n_changed, bool rescan,
			  bool config)
{
	struct model_change *c = NULL;
	size_t n = 0;
	int r;

	r = registry_reload(d->registry, changed, n_changed, rescan, config, &c, &n);
	if (r < 0) {
		log_error_errno(r, "cannot reload the models: %m; keeping the previous state");
		return;
	}
	metrics_registry_reload();
	if (d->stores) {
		struct snapshot *snap = registry_snapshot(d->registry);
		r = store_table_sync(d->stores, snap);
		snapshot_unref(snap);
		if (r < 0)
			log_error_errno(r, "cannot set up the models' stores: %m; keeping the "
					   "previous ones");
	}
	for (size_t i = 0; i < n; i++) {
		struct snapshot *snap;
		struct model_state *m;
		json_t *data;

		metrics_model_change(change_names[c[i].kind]);
		log_info("model '%s' %s (%s)", c[i].name, change_names[c[i].kind],
			 c[i].kind == MODEL_REMOVED ? "gone" : model_status_to_string(c[i].status));
		if (!d->events)
			continue;
		snap = registry_snapshot(d->registry);
		m = c[i].kind == MODEL_REMOVED ? NULL : model_set_find(snap->models, c[i].name);
		data = json_pack("{s:s, s:I}", "model", c[i].name, "generation",
				 (json_int_t)snap->generation);
		if (data && m) {
			json_object_set_new(data, "status",
					    json_string(model_status_to_string(m->status)));
			json_object_set_new(data, "file", json_string(m->entry.path));
			json_object_set_new(data, "errors",
					    json_integer((json_int_t)m->diags.n_errors));
			json_object_set_new(data, "warnings",
					    json_integer((json_int_t)m->diags.n_warnings));
		}
		{
			bool broken = c[i].kind != MODEL_REMOVED && c[i].status != MODEL_VALID &&
				      c[i].status != MODEL_EMPTY;
			const char *type = c[i].kind == MODEL_REMOVED ? "model.removed"
					   : c[i].kind == MODEL_ADDED ? "model.added"
					   : broken		      ? "model.invalid"
								      : "model.changed";
			(void)event_bus_publish(d->events, type, json_incref(data));
			/* A new model that is already broken is announced, then reported. */
			if (c[i].kind == MODEL_ADDED && broken)
				(void)event_bus_publish(d->events, "model.invalid",
							json_incref(data));
			json_decref(data);
		}
		if (m && c[i].kind != MODEL_REMOVED)
			(void)regenerate_model(d->registry, d->events, d->cfg.project, snap, m);
		snapshot_unref(snap);
	}
	mem_free(c);
}

static void on_files_changed(const struct watch_changes *c, void *userdata)
{
	struct daemon *d = userdata;

	reload_models(d, c->models, c->n_models, c->rescan, c->ballerina_toml || c->config_toml);
}

static int on_signal(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct daemon *d = userdata;
	struct signalfd_siginfo si;

	(void)events;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	switch (si.ssi_signo) {
	case SIGHUP:
		notify_reloading();
		log_info("SIGHUP: reloading");
		reload_config(d);
		log_set_max_level(d->cfg.log_level);
		reload_models(d, NULL, 0, true, true);
		notify_ready();
		notify_status("serving %s", d->cfg.project);
		log_info("reload complete");
		break;
	case SIGTERM:
	case SIGINT:
		log_info("%s: shutting down", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
		loop_quit(l, 0);
		break;
	default:
		break;
	}
	return 0;
}

static int on_watchdog(struct loop *l, int fd, uint32_t events, void *userdata)
{
	uint64_t ticks;

	(void)l;
	(void)events;
	(void)userdata;
	if (read(fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		notify_watchdog();
	return 0;
}

static int on_heartbeat(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct daemon *d = userdata;
	uint64_t ticks;

	(void)l;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		event_bus_heartbeat(d->events);
	return 0;
}

/* Every 15 s a comment line on each event stream, so idle proxies keep it open. */
static void on_store_change(const char *model, const char *datastore, bool up, const char *error,
			    void *userdata)
{
	struct daemon *d = userdata;

	if (up)
		log_info("model '%s': the %s store is reachable again", model, datastore);
	else
		log_warning("model '%s': the %s store is down: %s", model, datastore,
			    error ? error : "");
	if (d->events)
		(void)event_bus_publish(d->events, up ? "store.up" : "store.down",
					json_pack("{s:s, s:s, s:s?}", "model", model, "datastore",
						  datastore, "error", up ? NULL : error));
}

static int on_janitor(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct daemon *d = userdata;
	uint64_t ticks;

	(void)l;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) == sizeof(ticks) && d->stores)
		store_table_janitor(d->stores, now_usec(CLOCK_MONOTONIC), on_store_change, d);
	return 0;
}

/* The pools' housekeeping: idle connections closed, min_size kept open, a store that went
 * down or came back noticed (and announced) within about a second. */
static int setup_janitor(struct daemon *d)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };

	d->janitor_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->janitor_fd < 0)
		return -errno;
	if (timerfd_settime(d->janitor_fd, 0, &its, NULL) < 0)
		return -errno;
	return loop_add_fd(d->loop, d->janitor_fd, EPOLLIN, on_janitor, d);
}

static int setup_heartbeat(struct daemon *d)
{
	struct itimerspec its = { .it_interval = { 15, 0 }, .it_value = { 15, 0 } };

	d->heartbeat_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->heartbeat_fd < 0)
		return -errno;
	if (timerfd_settime(d->heartbeat_fd, 0, &its, NULL) < 0)
		return -errno;
	return loop_add_fd(d->loop, d->heartbeat_fd, EPOLLIN, on_heartbeat, d);
}

static int setup_watchdog(struct daemon *d)
{
	uint64_t usec = notify_watchdog_usec();
	struct itimerspec its = { 0 };
	int r;

	if (usec == 0)
		return 0;
	usec /= 2; /* ping at half the interval, as systemd recommends */
	its.it_interval.tv_sec = (time_t)(usec / 1000000);
	its.it_interval.tv_nsec = (long)(usec % 1000000) * 1000;
	its.it_value = its.it_interval;
	d->watchdog_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->watchdog_fd < 0)
		return -errno;
	if (timerfd_settime(d->watchdog_fd, 0, &its, NULL) < 0)
		return -errno;
	r = loop_add_fd(d->loop, d->watchdog_fd, EPOLLIN, on_watchdog, d);
	return r;
}

static int run(struct daemon *d)
{
	struct http_options ho;
	struct stat st;
	sigset_t mask;
	int fd, r;

	if (stat(d->cfg.project, &st) < 0 || !S_ISDIR(st.st_mode))
		return log_error_errno(-ENOTDIR, "project directory '%s' is not a directory",
				       d->cfg.project);

	/* Block the signals before any thread exists, so every thread inherits the mask and
	 * they arrive only through the signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
		return log_error_errno(-EINVAL, "cannot block signals");
	signal(SIGPIPE, SIG_IGN);
	d->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->signal_fd < 0)
		return log_error_errno(-errno, "signalfd: %m");

	r = loop_new(&d->loop);
	if (r < 0)
		return log_error_errno(r, "cannot create the event loop: %m");
	r = loop_add_fd(d->loop, d->signal_fd, EPOLLIN, on_signal, d);
	if (r < 0)
		return log_error_errno(r, "cannot watch signals: %m");
	r = setup_watchdog(d);
	if (r < 0)
		return log_error_errno(r, "cannot set up the watchdog timer: %m");

	{
		struct model_set_limits lim = { .max_models = PROJECT_MAX_MODELS_DEFAULT,
						.max_file_bytes = d->cfg.max_file_bytes };
		r = registry_new(d->cfg.project, &lim, &d->registry);
		if (r < 0)
			return log_error_errno(r, "cannot create the model registry: %m");
	}
	{
		struct event_bus_options eo = { .ring_events = 1024, .max_clients = 64 };
		r = event_bus_new(&eo, &d->events);
		if (r >= 0)
			r = setup_heartbeat(d);
		if (r < 0)
			return log_error_errno(r, "cannot set up the event stream: %m");
	}
	{
		struct store_options so;
		store_options_from_config(&d->cfg, &so);
		r = store_table_new(&so, &d->stores);
		if (r >= 0)
			r = setup_janitor(d);
		if (r < 0)
			return log_error_errno(r, "cannot set up the stores: %m");
	}
	r = watch_new(d->cfg.project, d->cfg.debounce_ms * 1000, on_files_changed, d, &d->watch);
	if (r >= 0)
		r = watch_attach(d->watch, d->loop);
	if (r < 0)
		return log_error_errno(r, "cannot watch '%s': %m", d->cfg.project);
	/* Watch first, then load: a save in between is seen by both, never by neither. */
	reload_models(d, NULL, 0, true, true);

	fd = open_listener(d);
	if (fd < 0)
		return fd;
	ho = (struct http_options){
		.listen_fd = fd,
		.threads = d->cfg.threads,
		.max_body_bytes = d->cfg.max_body_bytes,
		.max_connections = d->cfg.max_connections,
		.connection_memory_limit = d->cfg.connection_memory_limit,
		.connection_timeout_s = (unsigned)((d->cfg.connection_timeout_ms + 999) / 1000),
		.api_token = d->cfg.api_token,
		.read_token = d->cfg.read_token,
		.registry = d->registry,
		.project_dir = d->cfg.project,
		.max_file_bytes = d->cfg.max_file_bytes,
		.events = d->events,
		.stores = d->stores,
		.max_page_size = d->cfg.max_page_size,
	};
	r = http_server_start(&ho, &d->http);
	if (r < 0) {
		(void)close(fd);
		return log_error_errno(r, "cannot start the HTTP server");
	}

	log_info("persistd %s serving project '%s'", PACKAGE_VERSION, d->cfg.project);
	notify_ready();
	notify_status("serving %s", d->cfg.project);

	r = loop_run(d->loop);

	notify_stopping();
	event_bus_close(d->events);
	http_server_stop(d->http, d->cfg.shutdown_timeout_ms * 1000);
	d->http = NULL;
	if (r < 0)
		return log_error_errno(r, "event loop failed: %m");
	log_info("stopped");
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = {
		.signal_fd = -1, .watchdog_fd = -1, .heartbeat_fd = -1, .janitor_fd = -1
	};
	int r;

	log_open("persistd");
	r = config_init(&d.cfg);
	if (r < 0) {
		fprintf(stderr, "persistd: cannot initialise configuration\n");
		return EXIT_FAILURE;
	}
	/* A first pass finds -c and answers --help, --version and usage errors; the
	 * configuration itself is then built from the file, environment and flags in order. */
	r = parse_argv(&d.cfg, argc, argv);
	config_release(&d.cfg);
	if (r <= 0)
		return r < 0 ? 2 : EXIT_SUCCESS;
	saved_argc = argc;
	saved_argv = argv;
	r = load_config(&d.cfg);
	if (r < 0)
		return EXIT_FAILURE;
	log_set_max_level(d.cfg.log_level);
	/* The client libraries' process-wide set-up, before any thread exists. */
	r = connector_global_init();
	if (r < 0) {
		log_error_errno(r, "cannot initialise the store connectors: %m");
		config_release(&d.cfg);
		return EXIT_FAILURE;
	}

	r = run(&d);

	d.watch = watch_free(d.watch);
	d.registry = registry_free(d.registry);
	d.stores = store_table_free(d.stores);
	d.events = event_bus_free(d.events);
	if (d.janitor_fd >= 0)
		(void)close(d.janitor_fd);
	if (d.heartbeat_fd >= 0)
		(void)close(d.heartbeat_fd);
	d.loop = loop_free(d.loop);
	if (d.signal_fd >= 0)
		(void)close(d.signal_fd);
	if (d.watchdog_fd >= 0)
		(void)close(d.watchdog_fd);
	connector_global_cleanup();
	config_release(&d.cfg);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
