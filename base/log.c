#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"

static int max_level = LOG_INFO;
static int journal_prefix;
static const char *log_ident = "persistd";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* A thread's lines held back until log_batch_flush() (log_batch_start()). */
#define LOG_BATCH_MAX (64 * 1024)

static _Thread_local struct {
	char *buf; /* NULL: not batching */
	size_t len;
} batch;

static const char *const level_names[] = {
	"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
};

/* $JOURNAL_STREAM is "dev:inode" of the stream journald gave us; use the <N> prefix only when
 * stderr still is that stream (not when redirected by a child's caller). */
static int stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev, ino;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_open(const char *ident)
{
	if (ident)
		log_ident = ident;
	journal_prefix = stderr_is_journal();
}

void log_set_max_level(int level)
{
	if (level >= LOG_EMERG && level <= LOG_DEBUG)
		max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

int log_level_from_string(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "err") == 0)
		return LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return LOG_WARNING;
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	return -EINVAL;
}

const char *log_level_to_string(int level)
{
	if (level < 0 || (size_t)level >= ELEMENTSOF(level_names))
		return "unknown";
	return level_names[level];
}

/* What precedes a line's text: "<N>" for journald, else time, ident, pid and level. */
static int format_head(int level, char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32] = "";
	int n;

	if (journal_prefix)
		n = snprintf(out, size, "<%d>", level);
	else {
		clock_gettime(CLOCK_REALTIME, &ts);
		if (gmtime_r(&ts.tv_sec, &tm))
			strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(out, size, "%s.%03ldZ %s[%d] %s: ", stamp, ts.tv_nsec / 1000000L,
			     log_ident, (int)getpid(), log_level_to_string(level));
	}
	return n < 0 ? 0 : MIN(n, (int)size - 1);
}

int log_internalv(int level, int error, const char *fmt, va_list ap)
{
	int e = error < 0 ? -error : error;
	char line[4096];
	int n;

	errno = e;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return -e;

	if (batch.buf) {
		char head[96];
		int h = format_head(level, head, sizeof(head));
		size_t need = (size_t)h + (size_t)MIN(n, (int)sizeof(line) - 1) + 1;
		if (batch.len + need > LOG_BATCH_MAX)
			log_batch_flush();
		memcpy(batch.buf + batch.len, head, (size_t)h);
		memcpy(batch.buf + batch.len + h, line, need - (size_t)h - 1);
		batch.len += need;
		batch.buf[batch.len - 1] = '\n';
		return -e;
	}
	{
		char head[96];
		int h = format_head(level, head, sizeof(head));
		pthread_mutex_lock(&log_lock);
		fprintf(stderr, "%.*s%s\n", h, head, line);
		fflush(stderr);
		pthread_mutex_unlock(&log_lock);
	}
	return -e;
}

void log_batch_start(void)
{
	if (!batch.buf) {
		batch.buf = mem_alloc(LOG_BATCH_MAX); /* NULL: lines go out one by one */
		batch.len = 0;
	}
}

void log_batch_flush(void)
{
	if (!batch.buf || batch.len == 0)
		return;
	pthread_mutex_lock(&log_lock);
	fflush(stderr);
	(void)!fwrite(batch.buf, 1, batch.len, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	batch.len = 0;
}

void log_batch_stop(void)
{
	log_batch_flush();
	mem_free(batch.buf);
	batch.buf = NULL;
}

int log_internal(int level, int error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = log_internalv(level, error, fmt, ap);
	va_end(ap);
	return r;
}
