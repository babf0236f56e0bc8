/* render.c — pure text functions of the newsq client; see render.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

void render_url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char esc[3];

	buf_append(b, "", 0);
	for (; *p; p++) {
		if (is_unreserved(*p)) {
			buf_putc(b, (char)*p);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		buf_append(b, esc, 3);
	}
}

/* Append code point cp as UTF-8 (the caller has checked it is a scalar value). */
static void put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_append(b, u, n);
}

/*
 * Decode the character reference at s[0..n) (s[0] == '&'). Appends the character and returns
 * the number of bytes consumed, or returns 0 (nothing appended) when s does not start with a
 * reference we know, so the caller copies the '&' literally.
 */
static size_t decode_reference(struct buf *b, const char *s, size_t n)
{
	static const struct {
		const char *name;
		const char *text;
	} named[] = {
		{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
		{"&apos;", "'"}, {"&nbsp;", "\xC2\xA0"},
	};
	unsigned long cp = 0;
	size_t i, len, digits = 0;
	int hexa;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		len = strlen(named[i].name);
		if (len <= n && memcmp(s, named[i].name, len) == 0) {
			buf_puts(b, named[i].text);
			return len;
		}
	}
	if (n < 4 || s[1] != '#')
		return 0;
	hexa = s[2] == 'x' || s[2] == 'X';
	for (i = hexa ? 3 : 2; i < n && digits < 8; i++, digits++) {
		unsigned char c = (unsigned char)s[i];
		int v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (hexa && c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (hexa && c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			break;
		cp = cp * (hexa ? 16 : 10) + (unsigned long)v;
	}
	if (digits == 0 || i >= n || s[i] != ';')
		return 0;
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	put_utf8(b, cp);
	return i + 1;
}

void render_html_unescape(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, k;

	buf_append(b, "", 0);
	while (i < n) {
		if (s[i] == '&' && (k = decode_reference(b, s + i, n - i)) > 0) {
			i += k;
			continue;
		}
		buf_putc(b, s[i]);
		i++;
	}
}

/*
 * Append s[0..n) with C0 controls, DEL and C1 controls (U+0080..U+009F, whose 0x9B is a
 * CSI on some terminals) replaced by a space: text from the index must not be able to move
 * the cursor or change colours on the user's terminal. keep_newlines spares '\n' and '\t'.
 */
static void append_sanitized(struct buf *b, const char *s, size_t n, int keep_newlines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		if (keep_newlines && (p[i] == '\n' || p[i] == '\t')) {
			buf_putc(b, (char)p[i]);
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7F) {
			buf_putc(b, ' ');
			i++;
		} else if (p[i] == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F) {
			buf_putc(b, ' ');
			i += 2;
		} else {
			buf_putc(b, (char)p[i]);
			i++;
		}
	}
}

/* Append the text s[0..n) of a fragment: references decoded, then controls removed. */
static void append_text(struct buf *b, const char *s, size_t n)
{
	struct buf t = {0};

	render_html_unescape(&t, s, n);
	append_sanitized(b, t.data ? t.data : "", t.len, 0);
	buf_free(&t);
}

void render_plain(struct buf *b, const char *s, int keep_newlines)
{
	append_sanitized(b, s, strlen(s), keep_newlines);
}

void render_marks(struct buf *b, const char *html, const char *mark_on, const char *mark_off)
{
	const char *p = html, *lt, *gt;

	for (;;) {
		lt = strchr(p, '<');
		if (lt == NULL) {
			append_text(b, p, strlen(p));
			return;
		}
		append_text(b, p, (size_t)(lt - p));
		gt = strchr(lt, '>');
		if (gt == NULL) {
			/* A lone '<' is text (the server escapes it, but be lenient). */
			append_text(b, lt, strlen(lt));
			return;
		}
		if (gt - lt == 5 && strncmp(lt, "<mark>", 6) == 0) {
			if (mark_on)
				buf_puts(b, mark_on);
		} else if (gt - lt == 6 && strncmp(lt, "</mark>", 7) == 0) {
			if (mark_off)
				buf_puts(b, mark_off);
		}
		p = gt + 1;
	}
}

void render_shell_quote(struct buf *b, const char *s)
{
	const char *p;
	int plain = *s != '\0';

	for (p = s; *p && plain; p++)
		plain = strchr("_./:=,@%+-", *p) != NULL ||
			(*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9');
	if (plain) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *p);
	}
	buf_putc(b, '\'');
}

void render_sparkline(struct buf *b, const double *values, size_t n, double max)
{
	static const char *const bars[8] = {
		"\xE2\x96\x81", "\xE2\x96\x82", "\xE2\x96\x83", "\xE2\x96\x84",
		"\xE2\x96\x85", "\xE2\x96\x86", "\xE2\x96\x87", "\xE2\x96\x88",
	};
	size_t i;
	int level;

	for (i = 0; i < n; i++) {
		if (max <= 0 || !(values[i] > 0)) {
			buf_putc(b, ' ');
			continue;
		}
		/* Eight equal bands of (0, max], each closed above: max/8 is still ▁. */
		level = (int)ceil(values[i] / max * 8.0) - 1;
		if (level > 7)
			level = 7;
		if (level < 0)
			level = 0;
		buf_puts(b, bars[level]);
	}
}

int render_parse_server(const char *url, struct render_server *out, char **errmsg)
{
	const char *p = url, *host, *hend, *port = NULL, *path;
	char *end;
	long v = 80;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (strncmp(p, "https://", 8) == 0) {
		set_error(errmsg, "https is not supported (use http://, e.g. behind a local proxy): %s",
			  url);
		goto out;
	}
	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	else if (strstr(p, "://") != NULL) {
		set_error(errmsg, "unsupported URL scheme: %s", url);
		goto out;
	}
	path = p + strcspn(p, "/?#");
	if (*path == '?' || *path == '#' || strchr(path, '?') || strchr(path, '#')) {
		set_error(errmsg, "server URL must not have a query or fragment: %s", url);
		goto out;
	}
	if (memchr(p, '@', (size_t)(path - p)) != NULL) {
		set_error(errmsg, "server URL must not contain user information: %s", url);
		goto out;
	}
	if (*p == '[') {
		host = p + 1;
		hend = memchr(host, ']', (size_t)(path - host));
		if (hend == NULL) {
			set_error(errmsg, "unterminated IPv6 address in server URL: %s", url);
			goto out;
		}
		if (hend + 1 < path) {
			if (hend[1] != ':') {
				set_error(errmsg, "bad server URL: %s", url);
				goto out;
			}
			port = hend + 2;
		}
	} else {
		host = p;
		hend = memchr(p, ':', (size_t)(path - p));
		if (hend != NULL)
			port = hend + 1;
		else
			hend = path;
	}
	if (hend == host) {
		set_error(errmsg, "server URL has no host: %s", url);
		goto out;
	}
	if (port != NULL) {
		errno = 0;
		v = strtol(port, &end, 10);
		if (port == path || end != path || errno != 0 || v < 1 || v > 65535) {
			set_error(errmsg, "bad port in server URL: %s", url);
			goto out;
		}
	}
	out->host = xstrndup(host, (size_t)(hend - host));
	out->port = (int)v;
	out->prefix = xstrdup(path);
	while (out->prefix[0] && out->prefix[strlen(out->prefix) - 1] == '/')
		out->prefix[strlen(out->prefix) - 1] = '\0';
	rc = 0;
out:
	return rc;
}

void render_server_free(struct render_server *s)
{
	free(s->host);
	free(s->prefix);
	s->host = s->prefix = NULL;
}
