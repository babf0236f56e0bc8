#ifndef NEWSQ_RENDER_H
#define NEWSQ_RENDER_H
/*
 * render — the pure text functions of the newsq client, kept apart from I/O so they can be
 * unit tested: URL encoding, server URL parsing, turning the server's highlighted HTML
 * fragments into terminal text, shell quoting for the "more:" hint, and sparklines.
 * Every function appends to a caller-owned struct buf (see util.h).
 */
#include <stddef.h>

#include "util.h"

/* Append s percent-encoded: every byte outside the RFC 3986 unreserved set
 * (A-Z a-z 0-9 - . _ ~) becomes %XX (upper-case hex), so a space is %20, never '+'. */
void render_url_encode(struct buf *b, const char *s);

/*
 * Append s[0..n) with HTML character references decoded: &amp; &lt; &gt; &quot; &#39; &apos;
 * &nbsp; and numeric &#NNN; / &#xHH; (written as UTF-8). Anything else, including a malformed
 * or unknown reference, is copied unchanged. Tags are not touched.
 */
void render_html_unescape(struct buf *b, const char *s, size_t n);

/*
 * Append the server's highlighted fragment html (text HTML-escaped, matches wrapped in
 * <mark>…</mark>) as terminal text: each <mark> becomes mark_on and each </mark> mark_off
 * (either may be NULL or "" to drop the tag, e.g. when colour is off), other tags are removed,
 * character references are decoded, and control characters (which could carry terminal escape
 * sequences from the indexed text) become spaces.
 */
void render_marks(struct buf *b, const char *html, const char *mark_on, const char *mark_off);

/*
 * Append plain text s (a title, a name, an article body) with control characters replaced by
 * spaces as in render_marks; with keep_newlines, '\n' and '\t' are kept (article bodies).
 */
void render_plain(struct buf *b, const char *s, int keep_newlines);

/*
 * Append s quoted for a POSIX shell when it needs it: left as is when every byte is in
 * [A-Za-z0-9_./:=,@%+-] and s is not empty, otherwise in single quotes with each ' written
 * as '\''.
 */
void render_shell_quote(struct buf *b, const char *s);

/*
 * Append one sparkline character (UTF-8 ▁▂▃▄▅▆▇█) per value, scaled so that max is █.
 * A value <= 0 (an empty bucket) is a space; any positive value is at least ▁. With max <= 0
 * every value is a space.
 */
void render_sparkline(struct buf *b, const double *values, size_t n, double max);

/* A parsed server URL: http://HOST[:PORT][/PREFIX]. */
struct render_server {
	char *host;		/* without brackets for IPv6 literals */
	int port;		/* 80 when absent */
	char *prefix;		/* path prefix without trailing '/', "" when none */
};

/*
 * Parse url (scheme http only; "http://" may be omitted) into *out (strings malloc'd, free
 * with render_server_free). Returns 0, or -1 with *errmsg set when the URL is unusable
 * (https, empty host, bad port, user info, query or fragment).
 */
int render_parse_server(const char *url, struct render_server *out, char **errmsg);
void render_server_free(struct render_server *s);

#endif
