/* log.c — the daemon's line logger; see log.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO;	/* guarded by log_lock */
static char *log_path;			/* NULL = standard error; guarded by log_lock */
static atomic_int log_threshold = LOG_LEVEL_INFO;

static int open_file(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

/*
 * Write "<time> <level> <msg>\n" to fd in one write(2), so that lines from other processes
 * appending to the same file (newsd index next to newsd serve) do not interleave. Caller holds
 * log_lock.
 */
static void emit(int fd, int level, const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	struct buf b = { 0 };
	const char *p;
	ssize_t n;
	size_t off = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(&b, "%s %s ", stamp, level_names[level]);
	for (p = msg; *p; p++)
		buf_putc(&b, (unsigned char)*p < 0x20 || *p == 0x7F ? ' ' : *p);
	buf_putc(&b, '\n');
	while (off < b.len) {
		n = write(fd, b.data + off, b.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf_free(&b);
}

int log_open(const char *path)
{
	int fd = STDERR_FILENO;
	char *copy = NULL;

	if (path && *path) {
		fd = open_file(path);
		if (fd < 0)
			return -1;
		copy = xstrdup(path);
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	free(log_path);
	log_path = copy;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

/*
 * Open the file again under its name: after logrotate renamed it we write to a new file. If
 * that fails, keep the old descriptor (the renamed file) so that no message is lost.
 */
int log_reopen(void)
{
	int fd, rc = 0, saved;
	char *msg;

	pthread_mutex_lock(&log_lock);
	if (log_path) {
		fd = open_file(log_path);
		if (fd < 0) {
			saved = errno;
			msg = xasprintf("cannot reopen log file %s: %s", log_path, strerror(saved));
			emit(log_fd, LOG_LEVEL_ERROR, msg);
			free(msg);
			errno = saved;
			rc = -1;
		} else {
			close(log_fd);
			log_fd = fd;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void log_close(void)
{
	log_open(NULL);
}

int log_set_level(const char *name)
{
	int i;

	for (i = LOG_LEVEL_ERROR; i <= LOG_LEVEL_DEBUG; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			atomic_store(&log_threshold, i);
			return 0;
		}
	}
	return -1;
}

int log_enabled(int level)
{
	return level <= atomic_load(&log_threshold);
}

void log_msg(int level, const char *fmt, ...)
{
	char small[512], *msg = small;
	va_list ap;
	int n;

	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_DEBUG || !log_enabled(level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		msg = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_lock(&log_lock);
	emit(log_fd, level, msg);
	pthread_mutex_unlock(&log_lock);
	if (msg != small)
		free(msg);
}
