/* Logging to stderr with syslog priorities. When $JOURNAL_STREAM names our stderr, each line
 * starts with a "<N>" priority prefix that journald understands; otherwise with a UTC timestamp
 * and the level name. Library layers log at debug only; daemon/ and api/ log and return. */
#ifndef BASE_LOG_H
#define BASE_LOG_H

#include <stdarg.h>
#include <syslog.h>

#include "base/macro.h"

void log_open(const char *ident);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Parse "debug", "info", ... or a number 0..7; -EINVAL otherwise. */
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);

/* Write one line at priority level. error, when non-zero, is a (negative or positive) errno
 * that %m prints. Returns -abs(error) so callers can log and return in one step. */
_printf_(3, 4) int log_internal(int level, int error, const char *fmt, ...);
/* Batching, per thread: after log_batch_start() the thread's lines collect in a buffer (64 KiB,
 * written when full) and reach stderr in one write at log_batch_flush(); log_batch_stop()
 * flushes and ends it. An event loop flushes after each pass: one write for a pass's request
 * lines instead of one each, and no lock taken per line. */
void log_batch_start(void);
void log_batch_flush(void);
void log_batch_stop(void);
_printf_(3, 0) int log_internalv(int level, int error, const char *fmt, va_list ap);

#define log_full_errno(level, error, ...)                                                \
	({                                                                               \
		int _level_ = (level), _e_ = (error);                                    \
		log_get_max_level() >= _level_ ? log_internal(_level_, _e_, __VA_ARGS__) \
					       : -(_e_ < 0 ? -_e_ : _e_);                \
	})

#define log_full(level, ...) ((void)log_full_errno((level), 0, __VA_ARGS__))

#define log_debug(...)	 log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)	 log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)	 log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)	 log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...)	  log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...)	  log_full_errno(LOG_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...)	  log_full_errno(LOG_ERR, (e), __VA_ARGS__)

#endif
