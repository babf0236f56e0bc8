#ifndef NEWSD_UTIL_H
#define NEWSD_UTIL_H
/*
 * util — allocation that aborts on out-of-memory (internal sizes only: sizes that come from a
 * client are checked against limits before they are allocated), a growable byte buffer, and
 * the error-message convention used by every module:
 *
 *   int mod_do(..., char **errmsg);   returns 0 on success, -1 on failure with *errmsg set to a
 *                                     malloc'd sentence a user can read (caller frees).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Set *errmsg (when errmsg is not NULL) to a formatted message; always returns -1. */
int set_error(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable, always NUL-terminated byte buffer. Zero-initialise, then append; free with buf_free. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};
void buf_grow(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
char *buf_detach(struct buf *b);	/* returns the string (caller frees), buffer emptied */
void buf_free(struct buf *b);

/* Append s[0..n) HTML-escaped (& < > " ') with runs of white space and control characters
 * folded to one space; invalid UTF-8 bytes become U+FFFD. Used by snippets and titles. */
void buf_html_escape(struct buf *b, const char *s, size_t n);

/* Decode the UTF-8 sequence at s[0..n) into *cp; returns its length, or 0 when it is not
 * valid (overlong, surrogate, beyond U+10FFFF, truncated). A NUL byte decodes (length 1). */
size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp);

/* 1 when s[0..n) is valid UTF-8 without NUL bytes. */
int utf8_valid(const char *s, size_t n);

/* 1 when a numeric peer address (as libevent gives it) is a loopback address:
 * 127.0.0.0/8, ::1, or IPv4-mapped ::ffff:127.x.y.z. */
int addr_is_loopback(const char *addr);

/* Monotonic clock in seconds. */
double now_monotonic(void);

/* 64-bit FNV-1a. */
uint64_t hash64(const void *p, size_t n, uint64_t seed);

#endif
