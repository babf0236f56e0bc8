#ifndef NEWSD_LOG_H
#define NEWSD_LOG_H
/*
 * log — one line per event, "2026-11-25T16:00:00Z info message" (UTC), to standard error or to
 * a file that is reopened on SIGHUP so that logrotate can move it away. Thread-safe: each line
 * goes out in a single write(2) under one mutex. Control characters in messages (which may
 * quote client input) are written as spaces, so one event is always one line.
 */

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Log to path, appending ("" or NULL = standard error). Returns 0, or -1 with errno set and the
 * previous destination kept. */
int log_open(const char *path);
/* Reopen the current log file (call from the event loop on SIGHUP, not from a signal handler).
 * Returns 0, or -1 with errno set, after logging the failure to the old file. */
int log_reopen(void);
/* Close the log file and go back to standard error. */
void log_close(void);
/* Set the least severe level written: "error", "warn", "info" (the default) or "debug".
 * Returns 0, or -1 when the name is unknown. */
int log_set_level(const char *name);
/* 1 when a message at this level would be written (to skip costly formatting). */
int log_enabled(int level);
/* Write one line at this level. */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
