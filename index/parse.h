#ifndef NEWSD_PARSE_H
#define NEWSD_PARSE_H
/*
 * parse — input formats into struct article: JSON Lines, JSON (one object or an array),
 * the plain-text "date" format, any of them gzip'd (detected by magic bytes, not by name).
 *
 * Records are delivered one by one to a sink, so a 1 GB file never sits in memory as
 * articles. A bad record is reported to sink->reject with its 1-based line (JSON Lines: the
 * line number; JSON array: the element number; .txt: 1) and a readable reason; parsing goes on.
 */
#include <stddef.h>

#include "article.h"

struct parse_sink {
	/* Takes ownership of *a's members (the sink must article_clear it). Return 0 to go on,
	 * -1 to stop parsing (parse_* then returns -1 with the sink's reason in *errmsg if set). */
	int (*record)(void *ctx, struct article *a, long line);
	/* A record that could not be used. id may be NULL (unknown). Return 0 to go on, -1 to stop.
	 * May be NULL: rejections are then dropped. error is always valid UTF-8. */
	int (*reject)(void *ctx, long line, const char *id, const char *error);
	void *ctx;
	/* Optional: called now and then while JSON Lines are read, with the bytes read so far of
	 * the (decompressed) input and its size, for progress bars. */
	void (*progress)(void *ctx, size_t done, size_t total);
};

enum parse_format {
	PARSE_AUTO = 0,		/* JSON object / array / JSON Lines, decided from the content */
	PARSE_TXT = 1		/* the plain-text date format */
};

/*
 * Validate one JSON record and fill *out (zeroed first). Fields: id (string, or integer
 * taken as its decimal string; absent → "h" + 16 hex digits of a stable hash of
 * source+url+title+date), title, body (at least one non-empty), date (required, see date.h),
 * source, url, lang (strings or null), authors (list of strings), entities
 * {"people":[],"orgs":[],"places":[]} (lists of strings; other keys of "entities" are kept in
 * extra under "entities"), unknown fields kept in extra_json. Strings must be valid UTF-8
 * without NUL. Returns 0, or -1 with *errmsg (e.g. "missing date", "date: …",
 * "title and body are both empty", "field 'title' must be a string").
 * Details: title and body are trimmed and never NULL on success ("" when absent); empty
 * source/url/lang become NULL; an id must be 1..512 bytes without control characters; a title
 * over 64 KiB is rejected; "authors" may also be one string; "entities" also takes the
 * singular keys (person/org/place), skips empty names and drops case-insensitive duplicates
 * within a type. On failure *out is left zeroed.
 */
struct json_t;
int parse_record_json(struct json_t *obj, struct article *out, char **errmsg);

/*
 * Parse a whole buffer (a POST body or a file's contents). When buf starts with the gzip magic
 * it is inflated first, refusing to produce more than max_bytes (a gzip bomb is an error:
 * "decompressed body exceeds N bytes"). name is used for the .txt id and to choose the .txt
 * format when format is PARSE_AUTO and the name (minus .gz) ends in .txt (or, when a name is
 * given, the text starts with a "title:"/"source:"/"url:" header or "date "). max_bytes 0 means
 * no limit. A UTF-8 BOM is skipped.
 * Returns 0 when the input was read to the end (even with rejected records), -1 with *errmsg
 * when it could not be read at all (not JSON, a JSON array whose brackets do not close, bad
 * gzip) or the sink stopped.
 */
int parse_buffer(const char *buf, size_t len, const char *name, enum parse_format format,
		 size_t max_bytes, const struct parse_sink *sink, char **errmsg);

/* Read and parse one file (see parse_buffer; max_bytes caps the decompressed size). */
int parse_file(const char *path, size_t max_bytes, const struct parse_sink *sink, char **errmsg);
/* Files of at least n bytes that are JSON Lines (gzip'd or not) are read in chunks of whole
 * lines instead of whole (default 64 MiB): memory stays flat. For tests. */
void parse_set_stream_min_bytes(size_t n);

/* Inflate gzip data into a malloc'd buffer of at most cap bytes. Returns 0 or -1 with *errmsg. */
int parse_gunzip(const char *in, size_t inlen, size_t cap, char **out, size_t *outlen,
		 char **errmsg);

/* Call cb for every regular file under path (path itself when it is a file), directories
 * walked recursively in name order, hidden entries (".x") skipped. Returns 0, or -1 with
 * *errmsg when path cannot be read or cb returned -1. Symbolic links are followed to regular
 * files only. An unreadable entry below path does not stop the walk: the rest is walked, then
 * -1 is returned naming the first such path (and how many more). */
int parse_walk(const char *path, int (*cb)(void *ctx, const char *file), void *ctx,
	       char **errmsg);

#endif
