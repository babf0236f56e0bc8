/*
 * parse.c — input formats into struct article; see parse.h.
 *
 * The input is one buffer (a POST body or a file read whole), inflated first when it starts
 * with the gzip magic. What it holds is decided from its content:
 *   - '['  a JSON array: elements are split by a string-aware bracket scan and parsed one at a
 *          time, so one bad element is rejected with its number and the others still count,
 *          and jansson never holds more than one element's tree;
 *   - '{'  the whole buffer is tried as one JSON value; when jansson stops at a second value
 *          it is JSON Lines, parsed line by line in place (no copy of the buffer);
 *   - a name ending in .txt (or .txt.gz), PARSE_TXT, or a named file whose text starts with a
 *          header line or the "date" token: the plain-text format.
 * Records go to the sink one by one; rejected ones go to sink->reject with a reason.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "date.h"
#include "parse.h"
#include "util.h"

#define MAX_ID_BYTES 512
#define MAX_TITLE_BYTES 65536
#define MAX_ENTITY_BYTES 1024
#define MAX_ENTITY_ITEMS 1000	/* per list: duplicates are found by a linear scan */
#define LEAD_TITLE_BYTES 200

/* State shared by the format readers of one parse_buffer call. */
struct pctx {
	const struct parse_sink *sink;
	char **errmsg;
	int stopped;		/* the sink asked to stop */
};

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Narrow s[0..*n) to exclude leading and trailing ASCII white space. */
static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_ws((unsigned char)(*s)[0])) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_ws((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

/* 1 when s[0..n) has a byte below 0x20 or DEL: such ids break logs, paths and terminals. */
static int has_control(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/*
 * Read an optional string field: absent or null leaves *s NULL; a string must be valid UTF-8
 * without NUL (jansson checks what it loads, but a caller may build the object by hand).
 */
static int get_string(json_t *v, const char *field, const char **s, size_t *n, char **errmsg)
{
	*s = NULL;
	*n = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return set_error(errmsg, "field '%s' must be a string, not %s", field, json_kind(v));
	*s = json_string_value(v);
	*n = json_string_length(v);
	if (!utf8_valid(*s, *n))
		return set_error(errmsg, "field '%s' is not valid UTF-8 or contains a NUL byte",
				 field);
	return 0;
}

/* A malloc'd copy of s[0..n) without surrounding white space, or NULL when that is empty. */
static char *dup_trimmed_or_null(const char *s, size_t n)
{
	if (s == NULL)
		return NULL;
	trim(&s, &n);
	return n ? xstrndup(s, n) : NULL;
}

/* The stable id of a record without one: "h" + 16 hex digits of FNV-1a over source, url,
 * title and the date text joined with 0x1f (a byte that cannot be in the parts' meaning). */
static char *hash_id(const char *source, const char *url, const char *title, size_t title_len,
		     const char *date, size_t date_len)
{
	struct buf b = { 0 };
	uint64_t h;

	if (source)
		buf_puts(&b, source);
	buf_putc(&b, '\x1f');
	if (url)
		buf_puts(&b, url);
	buf_putc(&b, '\x1f');
	if (title)
		buf_append(&b, title, title_len);
	buf_putc(&b, '\x1f');
	if (date)
		buf_append(&b, date, date_len);
	h = hash64(b.data, b.len, 0);
	buf_free(&b);
	return xasprintf("h%016llx", (unsigned long long)h);
}

/* Check an id (given, or from a file name) against the limits; returns 0 or -1 with *errmsg. */
static int check_id(const char *s, size_t n, char **errmsg)
{
	if (n == 0)
		return set_error(errmsg, "field 'id' must not be empty");
	if (n > MAX_ID_BYTES)
		return set_error(errmsg, "id is longer than %d bytes", MAX_ID_BYTES);
	if (!utf8_valid(s, n))
		return set_error(errmsg, "field 'id' is not valid UTF-8 or contains a NUL byte");
	if (has_control(s, n))
		return set_error(errmsg, "field 'id' must not contain control characters");
	return 0;
}

/* 1 when the record already has a given entity of this type named s[0..n), ignoring ASCII case. */
static int has_entity(const struct article *a, enum entity_type t, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < a->nents; i++)
		if (a->ents[i].type == t && strlen(a->ents[i].name) == n &&
		    strncasecmp(a->ents[i].name, s, n) == 0)
			return 1;
	return 0;
}

/*
 * The "entities" field: lists of strings under people/orgs/places (the singular type names
 * are accepted too) become given mentions, empty names skipped and duplicates within a type
 * dropped; any other key is copied into *ents_extra for the record's extra_json.
 */
static int parse_entities(json_t *v, struct article *a, json_t **ents_extra, char **errmsg)
{
	const char *key;
	json_t *list, *item;
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return set_error(errmsg, "field 'entities' must be an object, not %s", json_kind(v));
	json_object_foreach(v, key, list) {
		int t = entity_type_parse(key);

		if (t < 0) {
			if (*ents_extra == NULL)
				*ents_extra = json_object();
			json_object_set(*ents_extra, key, list);
			continue;
		}
		if (json_is_null(list))
			continue;
		if (!json_is_array(list))
			return set_error(errmsg, "field 'entities.%s' must be a list of strings, "
					 "not %s", key, json_kind(list));
		if (json_array_size(list) > MAX_ENTITY_ITEMS)
			return set_error(errmsg, "field 'entities.%s' has more than %d items", key,
					 MAX_ENTITY_ITEMS);
		json_array_foreach(list, i, item) {
			const char *s;
			size_t n;

			if (!json_is_string(item))
				return set_error(errmsg, "field 'entities.%s' must be a list of "
						 "strings (item %zu is %s)", key, i + 1,
						 json_kind(item));
			s = json_string_value(item);
			n = json_string_length(item);
			if (!utf8_valid(s, n))
				return set_error(errmsg, "field 'entities.%s' item %zu is not valid "
						 "UTF-8 or contains a NUL byte", key, i + 1);
			trim(&s, &n);
			if (n == 0 || has_entity(a, (enum entity_type)t, s, n))
				continue;
			if (n > MAX_ENTITY_BYTES)
				return set_error(errmsg, "field 'entities.%s' item %zu is longer "
						 "than %d bytes", key, i + 1, MAX_ENTITY_BYTES);
			if (s[n] == '\0') {
				article_add_entity(a, (enum entity_type)t, s, 1);
			} else {
				char *tmp = xstrndup(s, n);

				article_add_entity(a, (enum entity_type)t, tmp, 1);
				free(tmp);
			}
		}
	}
	return 0;
}

/* "authors": a list of strings (a single string is taken as a list of one) → compact JSON. */
static int parse_authors(json_t *v, struct article *a, char **errmsg)
{
	json_t *list = NULL, *item;
	size_t i;
	int rc = -1;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		list = json_array();
		json_array_append(list, v);
	} else if (json_is_array(v)) {
		list = json_incref(v);
	} else {
		return set_error(errmsg, "field 'authors' must be a list of strings, not %s",
				 json_kind(v));
	}
	json_array_foreach(list, i, item) {
		if (!json_is_string(item)) {
			set_error(errmsg, "field 'authors' must be a list of strings (item %zu is %s)",
				  i + 1, json_kind(item));
			goto out;
		}
		if (!utf8_valid(json_string_value(item), json_string_length(item))) {
			set_error(errmsg, "field 'authors' item %zu is not valid UTF-8 or contains "
				  "a NUL byte", i + 1);
			goto out;
		}
	}
	if (json_array_size(list) > 0)
		a->authors_json = json_dumps(list, JSON_COMPACT);
	rc = 0;
out:
	json_decref(list);
	return rc;
}

enum field {
	F_ID, F_TITLE, F_BODY, F_DATE, F_SOURCE, F_URL, F_LANG, F_AUTHORS, F_ENTITIES, F_N
};
static const char *const field_names[F_N] = {
	"id", "title", "body", "date", "source", "url", "lang", "authors", "entities"
};

/*
 * Validate one JSON record into *out (see parse.h). Fields are checked in a fixed order (id,
 * title, body, date, the optional ones) so a record with several faults always gets the same
 * message. title and body are never NULL in a parsed article ("" when absent). On failure
 * *out is left cleared.
 */
int parse_record_json(struct json_t *obj, struct article *out, char **errmsg)
{
	json_t *f[F_N] = { 0 };
	json_t *extra = NULL, *ents_extra = NULL, *v;
	const char *key, *title, *body, *date, *source, *url, *lang, *s;
	size_t title_len, body_len, date_len, source_len, url_len, lang_len, n;
	int i, rc = -1;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj)) {
		set_error(errmsg, "record must be a JSON object, not %s",
			  obj ? json_kind(obj) : "nothing");
		goto out;
	}
	json_object_foreach(obj, key, v) {
		for (i = 0; i < F_N; i++)
			if (strcmp(key, field_names[i]) == 0)
				break;
		if (i < F_N) {
			f[i] = v;
		} else {
			if (extra == NULL)
				extra = json_object();
			json_object_set(extra, key, v);
		}
	}

	if (f[F_ID] != NULL && !json_is_null(f[F_ID])) {
		if (json_is_integer(f[F_ID])) {
			out->id = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(f[F_ID]));
		} else if (json_is_string(f[F_ID])) {
			s = json_string_value(f[F_ID]);
			n = json_string_length(f[F_ID]);
			if (check_id(s, n, errmsg) < 0)
				goto out;
			out->id = xstrndup(s, n);
		} else {
			set_error(errmsg, "field 'id' must be a string or an integer, not %s",
				  json_kind(f[F_ID]));
			goto out;
		}
	}
	if (get_string(f[F_TITLE], "title", &title, &title_len, errmsg) < 0 ||
	    get_string(f[F_BODY], "body", &body, &body_len, errmsg) < 0)
		goto out;
	if (f[F_DATE] == NULL || json_is_null(f[F_DATE])) {
		set_error(errmsg, "missing date");
		goto out;
	}
	if (get_string(f[F_DATE], "date", &date, &date_len, errmsg) < 0 ||
	    get_string(f[F_SOURCE], "source", &source, &source_len, errmsg) < 0 ||
	    get_string(f[F_URL], "url", &url, &url_len, errmsg) < 0 ||
	    get_string(f[F_LANG], "lang", &lang, &lang_len, errmsg) < 0)
		goto out;
	{
		char *derr = NULL;

		if (date_parse(date, date_len, &out->date, NULL, &derr) < 0) {
			set_error(errmsg, "date: %s", derr);
			free(derr);
			goto out;
		}
	}
	if (out->id == NULL)
		out->id = hash_id(source, url, title, title_len, date, date_len);

	s = title ? title : "";
	n = title_len;
	trim(&s, &n);
	if (n > MAX_TITLE_BYTES) {
		set_error(errmsg, "title is longer than %d bytes", MAX_TITLE_BYTES);
		goto out;
	}
	out->title = xstrndup(s, n);
	s = body ? body : "";
	n = body_len;
	trim(&s, &n);
	out->body = xstrndup(s, n);
	if (out->title[0] == '\0' && out->body[0] == '\0') {
		set_error(errmsg, "title and body are both empty");
		goto out;
	}
	out->source = dup_trimmed_or_null(source, source_len);
	out->url = dup_trimmed_or_null(url, url_len);
	out->lang = dup_trimmed_or_null(lang, lang_len);

	if (parse_authors(f[F_AUTHORS], out, errmsg) < 0 ||
	    parse_entities(f[F_ENTITIES], out, &ents_extra, errmsg) < 0)
		goto out;
	if (ents_extra != NULL) {
		if (extra == NULL)
			extra = json_object();
		json_object_set(extra, "entities", ents_extra);
	}
	if (extra != NULL && json_object_size(extra) > 0)
		out->extra_json = json_dumps(extra, JSON_COMPACT);
	rc = 0;
out:
	json_decref(extra);
	json_decref(ents_extra);
	if (rc < 0)
		article_clear(out);
	return rc;
}

/* The id to name in a rejection: the record's own id when it is usable, else NULL. */
static const char *reject_id(json_t *obj, char tmp[32])
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, "id") : NULL;

	if (json_is_integer(v)) {
		snprintf(tmp, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return tmp;
	}
	if (json_is_string(v) && check_id(json_string_value(v), json_string_length(v), NULL) == 0)
		return json_string_value(v);
	return NULL;
}

/* Note that the sink stopped us; its own message (set through its ctx) wins. */
static int stop(struct pctx *c, long line)
{
	c->stopped = 1;
	if (c->errmsg != NULL && *c->errmsg == NULL)
		set_error(c->errmsg, "parsing stopped by the receiver at line %ld", line);
	return -1;
}

/*
 * Hand a rejection to the sink. The reason goes into JSON responses and .err files, so it must
 * be valid UTF-8 even if a message ever quotes raw input: bad bytes become '?'.
 */
static int emit_reject(struct pctx *c, long line, const char *id, const char *error)
{
	char *clean = NULL;
	size_t i, n = strlen(error);
	int rc = 0;

	if (c->sink->reject == NULL)
		return 0;
	if (!utf8_valid(error, n)) {
		clean = xstrndup(error, n);
		for (i = 0; i < n; i++)
			if ((unsigned char)clean[i] >= 0x80)
				clean[i] = '?';
		error = clean;
	}
	if (c->sink->reject(c->sink->ctx, line, id, error) < 0)
		rc = stop(c, line);
	free(clean);
	return rc;
}

static int emit_record(struct pctx *c, struct article *a, long line)
{
	if (c->sink->record(c->sink->ctx, a, line) < 0)
		return stop(c, line);
	return 0;
}

/* Turn one loaded JSON value into a record or a rejection. Returns -1 only when stopped. */
static int deliver_json(struct pctx *c, json_t *v, long line)
{
	struct article a;
	char *err = NULL, tmp[32];
	int rc;

	if (parse_record_json(v, &a, &err) < 0) {
		rc = emit_reject(c, line, reject_id(v, tmp), err);
		free(err);
		return rc;
	}
	return emit_record(c, &a, line);
}

/*
 * Parse s[0..n) as one JSON value and deliver it; invalid JSON is a rejection, with jansson's
 * column when s is a whole line (in an array element a column would mislead).
 */
static int deliver_text(struct pctx *c, const char *s, size_t n, long line, int with_column)
{
	json_error_t jerr;
	json_t *v;
	char *msg;
	int rc;

	v = json_loadb(s, n, JSON_DECODE_ANY, &jerr);
	if (v == NULL) {
		if (with_column)
			msg = xasprintf("invalid JSON: %s (column %d)", jerr.text, jerr.column);
		else
			msg = xasprintf("invalid JSON: %s", jerr.text);
		rc = emit_reject(c, line, NULL, msg);
		free(msg);
		return rc;
	}
	rc = deliver_json(c, v, line);
	json_decref(v);
	return rc;
}

/*
 * JSON Lines: every line that is not blank is one record, numbered from 1 by its line in the
 * input. Lines are parsed where they lie (json_loadb takes a length), so a large body is never
 * copied, and lines may be any length. A "\r" before "\n" is white space to jansson.
 */
static int parse_jsonl_from(struct pctx *c, const char *p, size_t n, long *lineno, int progress)
{
	const char *end = p + n, *line = p, *nl, *s;
	size_t len;

	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		s = line;
		len = (size_t)((nl ? nl : end) - line);
		(*lineno)++;
		trim(&s, &len);
		/* From the line's start, so jansson's column is the line's column. */
		if (progress && c->sink->progress && (*lineno & 255) == 0)
			c->sink->progress(c->sink->ctx, (size_t)(line - p), n);
		if (len > 0 && deliver_text(c, line, (size_t)(s + len - line), *lineno, 1) < 0)
			return -1;
		line = nl ? nl + 1 : end;
	}
	return 0;
}

static int parse_jsonl(struct pctx *c, const char *p, size_t n)
{
	long lineno = 0;

	return parse_jsonl_from(c, p, n, &lineno, 1);
}

/* 1 when the line s[0..n) alone is a JSON object. */
static int line_is_object(const char *s, size_t n)
{
	json_error_t jerr;
	json_t *v = json_loadb(s, n, 0, &jerr);
	int ok = json_is_object(v);

	json_decref(v);
	return ok;
}

/* Find the first non-blank line at or after p; returns its start (and length) or NULL. */
static const char *next_nonblank_line(const char *p, const char *end, size_t *len, long *lineno)
{
	const char *nl, *s;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		s = p;
		n = (size_t)((nl ? nl : end) - p);
		(*lineno)++;
		trim(&s, &n);
		if (n > 0) {
			*len = n;
			return s;
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

/*
 * Input starting with '{': one JSON document, or JSON Lines. jansson reading the whole buffer
 * either succeeds (one record) or stops with "end of file expected" after the first value
 * (JSON Lines). Any other failure means the first value is broken: when the first two
 * non-blank lines are not objects on their own, the input is one pretty-printed document and
 * gets a single rejection at its first line with jansson's line and column; otherwise it is
 * JSON Lines with a bad first line, and the good lines after it still count.
 */
static int parse_object_or_lines(struct pctx *c, const char *p, size_t n)
{
	const char *end = p + n, *l1, *l2, *nl;
	json_error_t jerr;
	json_t *v;
	size_t n1 = 0, n2 = 0;
	long line1 = 0, line2;
	char *msg;
	int rc;

	l1 = next_nonblank_line(p, end, &n1, &line1);
	v = json_loadb(p, n, 0, &jerr);
	if (v != NULL) {
		rc = deliver_json(c, v, line1);
		json_decref(v);
		return rc;
	}
	if (json_error_code(&jerr) == json_error_end_of_input_expected)
		return parse_jsonl(c, p, n);
	if (l1 == NULL || line_is_object(l1, n1))
		return parse_jsonl(c, p, n);
	nl = memchr(l1, '\n', (size_t)(end - l1));
	line2 = line1;
	l2 = nl ? next_nonblank_line(nl + 1, end, &n2, &line2) : NULL;
	if (l2 == NULL || line_is_object(l2, n2))
		return parse_jsonl(c, p, n);
	msg = xasprintf("invalid JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
	rc = emit_reject(c, line1, NULL, msg);
	free(msg);
	return rc;
}

struct span {
	size_t start, len;
};

/*
 * Find the position of the '"' that closes the string whose opening quote is at p[i], or n
 * when it is not closed. memchr finds candidate quotes quickly; a quote preceded by an odd
 * number of backslashes is escaped.
 */
static size_t string_end(const char *p, size_t n, size_t i)
{
	const char *q;
	size_t j, qi, bs;

	for (j = i + 1; j < n; j = qi + 1) {
		q = memchr(p + j, '"', n - j);
		if (q == NULL)
			return n;
		qi = (size_t)(q - p);
		for (bs = 0; qi - bs - 1 > i && p[qi - bs - 1] == '\\'; bs++)
			;
		if (bs % 2 == 0)
			return qi;
	}
	return n;
}

/*
 * Split a JSON array p[0..n) (p[0] == '[') into the spans of its elements: the commas and the
 * closing bracket at depth 0, outside strings, separate them. Only the bracket structure is
 * checked here; each element is validated by jansson later. Returns 0 with a malloc'd *spans,
 * or -1 with *errmsg when the array itself is broken (then nothing was delivered).
 */
static int split_array(const char *p, size_t n, struct span **spans, size_t *nspans,
		       char **errmsg)
{
	struct span *sp = NULL;
	size_t cap = 0, cnt = 0, i, start = 1, depth = 0;
	int closed = 0, rc = -1;

	for (i = 1; i < n && !closed; i++) {
		char ch = p[i];

		if (ch == '"') {
			i = string_end(p, n, i);
			if (i >= n) {
				set_error(errmsg, "invalid JSON array: unterminated string");
				goto out;
			}
		} else if (ch == '[' || ch == '{') {
			depth++;
		} else if ((ch == ']' || ch == '}') && depth > 0) {
			depth--;
		} else if (ch == '}') {
			set_error(errmsg, "invalid JSON array: unexpected '}' at byte %zu", i);
			goto out;
		} else if (depth == 0 && (ch == ',' || ch == ']')) {
			if (cnt == cap) {
				cap = cap ? cap * 2 : 256;
				sp = xrealloc(sp, cap * sizeof(*sp));
			}
			sp[cnt].start = start;
			sp[cnt].len = i - start;
			cnt++;
			start = i + 1;
			closed = ch == ']';
		}
	}
	if (!closed) {
		set_error(errmsg, "invalid JSON array: missing ']' at the end");
		goto out;
	}
	for (; i < n; i++)
		if (!is_ws((unsigned char)p[i])) {
			set_error(errmsg, "invalid JSON array: unexpected text after the closing ']'");
			goto out;
		}
	/* "[]" and "[ ]" are one blank span: no elements. */
	if (cnt == 1) {
		const char *s = p + sp[0].start;
		size_t len = sp[0].len;

		trim(&s, &len);
		if (len == 0)
			cnt = 0;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(sp);
		sp = NULL;
		cnt = 0;
	}
	*spans = sp;
	*nspans = cnt;
	return rc;
}

/* A JSON array: element k (1-based) is record k; a bad element is rejected by its number. */
static int parse_array(struct pctx *c, const char *p, size_t n)
{
	struct span *sp = NULL;
	size_t nsp = 0, k;
	int rc = -1;

	if (split_array(p, n, &sp, &nsp, c->errmsg) < 0)
		goto out;
	for (k = 0; k < nsp; k++) {
		const char *s = p + sp[k].start;
		size_t len = sp[k].len;

		trim(&s, &len);
		if (len == 0) {
			if (emit_reject(c, (long)k + 1, NULL, "invalid JSON: empty array element") < 0)
				goto out;
			continue;
		}
		if (deliver_text(c, s, len, (long)k + 1, 0) < 0)
			goto out;
	}
	rc = 0;
out:
	free(sp);
	return rc;
}

/*
 * Abbreviations after which a '.' does not end the lead sentence: titles, months, corporate
 * suffixes and the AP state abbreviations that appear in datelines.
 */
static const char *const abbrevs[] = {
	"Mr", "Mrs", "Ms", "Dr", "St", "Sr", "Jr", "Gov", "Sen", "Rep", "Gen", "Col", "Lt",
	"Sgt", "Capt", "Cmdr", "Adm", "Maj", "Prof", "Rev", "Hon", "Pres", "Supt", "Det", "Atty",
	"Ave", "Blvd", "Rd", "Mt", "Ft", "No", "Nos", "Inc", "Corp", "Co", "Ltd", "Bros", "vs",
	"Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
	"Ala", "Ariz", "Ark", "Calif", "Colo", "Conn", "Del", "Fla", "Ga", "Ill", "Ind", "Kan",
	"Ky", "La", "Md", "Mass", "Mich", "Minn", "Miss", "Mo", "Mont", "Neb", "Nev", "Okla",
	"Ore", "Pa", "Tenn", "Tex", "Va", "Vt", "Wash", "Wis", "Wyo", NULL
};

/* 1 when the '.' at b[i] ends an abbreviation, an initial ("J.") or a dotted acronym ("U.S."). */
static int is_abbrev(const char *b, size_t i)
{
	size_t w = i, len, k;

	while (w > 0 && !is_ws((unsigned char)b[w - 1]) && b[w - 1] != '(' && b[w - 1] != '"')
		w--;
	len = i - w;
	if (len == 0)
		return 0;
	if (len == 1 && b[w] >= 'A' && b[w] <= 'Z')
		return 1;
	if (memchr(b + w, '.', len) != NULL)
		return 1;
	for (k = 0; abbrevs[k] != NULL; k++)
		if (strlen(abbrevs[k]) == len && memcmp(abbrevs[k], b + w, len) == 0)
			return 1;
	return 0;
}

/* Length of the closing quote or bracket at s (ASCII or ” ’ »), 0 when there is none. */
static size_t closer_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (n >= 1 && (u[0] == '"' || u[0] == '\'' || u[0] == ')'))
		return 1;
	if (n >= 3 && u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x9D || u[2] == 0x99))
		return 3;
	if (n >= 2 && u[0] == 0xC2 && u[1] == 0xBB)
		return 2;
	return 0;
}

/*
 * The title of a .txt article without a title header: the body's lead sentence (up to the
 * first '.', '!' or '?' followed by white space, closing quotes allowed in between, not after
 * an abbreviation or initial), never past the first paragraph, white space folded to single
 * spaces, cut to at most LEAD_TITLE_BYTES on a word boundary. Returns a malloc'd string.
 */
static char *lead_sentence(const char *b, size_t n)
{
	struct buf t = { 0 };
	size_t i, j, k, end = n;
	int space = 0;

	for (i = 0; i < n; i++) {
		char ch = b[i];

		if (ch == '\n') {
			for (j = i + 1; j < n && b[j] != '\n' && is_ws((unsigned char)b[j]); j++)
				;
			if (j < n && b[j] == '\n') {
				end = i;
				break;
			}
		}
		if (ch != '.' && ch != '!' && ch != '?')
			continue;
		j = i + 1;
		while (j < n && (b[j] == '.' || b[j] == '!' || b[j] == '?'))
			j++;
		while ((k = closer_len(b + j, n - j)) > 0)
			j += k;
		if (j < n && !is_ws((unsigned char)b[j]))
			continue;
		if (ch == '.' && j == i + 1 && is_abbrev(b, i))
			continue;
		end = j;
		break;
	}
	for (i = 0; i < end; i++) {
		if (is_ws((unsigned char)b[i])) {
			space = t.len > 0;
			continue;
		}
		if (space)
			buf_putc(&t, ' ');
		space = 0;
		buf_putc(&t, b[i]);
		/* One byte past the cap is enough to find the word boundary below. */
		if (t.len > LEAD_TITLE_BYTES)
			break;
	}
	if (t.len > LEAD_TITLE_BYTES) {
		size_t cut = LEAD_TITLE_BYTES;

		while (cut > 0 && t.data[cut] != ' ')
			cut--;
		if (cut == 0) {
			/* One enormous word: cut on a UTF-8 character boundary instead. */
			cut = LEAD_TITLE_BYTES;
			while (cut > 0 && ((unsigned char)t.data[cut] & 0xC0) == 0x80)
				cut--;
		}
		t.len = cut;
		t.data[cut] = '\0';
	}
	return buf_detach(&t);
}

/* The .txt id: the file's base name without every extension ("a/b.txt.gz" → "b"), or NULL. */
static char *id_from_name(const char *name)
{
	const char *base, *dot;
	size_t n;

	if (name == NULL)
		return NULL;
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	dot = base[0] ? strchr(base + 1, '.') : NULL;
	n = dot ? (size_t)(dot - base) : strlen(base);
	if (check_id(base, n, NULL) < 0)
		return NULL;
	return xstrndup(base, n);
}

/* Match a header line "key: value" at s[0..n) for key title/source/url; returns its index. */
static int txt_header(const char *s, size_t n, const char **val, size_t *vlen)
{
	static const char *const keys[] = { "title", "source", "url" };
	size_t k, kl, i;

	for (k = 0; k < 3; k++) {
		kl = strlen(keys[k]);
		if (n < kl || strncasecmp(s, keys[k], kl) != 0)
			continue;
		for (i = kl; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
			;
		if (i >= n || s[i] != ':')
			continue;
		*val = s + i + 1;
		*vlen = n - i - 1;
		trim(val, vlen);
		return (int)k;
	}
	return -1;
}

/* A malloc'd copy of s[0..n) with every "\r\n" turned into "\n". */
static char *dup_lf(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++)
		if (!(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n'))
			d[o++] = s[i];
	d[o] = '\0';
	return d;
}

/*
 * The plain-text format: optional "title:", "source:", "url:" header lines (any order, any
 * case, blank lines allowed), then the token pair "date YYYY-MM-DD" ("date:" and a full ISO
 * date-time are accepted too), then the body, which may start on the same line. The whole
 * input is one record, reported as line 1.
 */
static int parse_txt(struct pctx *c, const char *p, size_t n, const char *name)
{
	struct article a;
	const char *end = p + n, *hv[3] = { NULL, NULL, NULL }, *s, *nl, *val, *tok;
	size_t hl[3] = { 0, 0, 0 }, len, vlen, toklen;
	char *id = id_from_name(name), *err = NULL, *derr = NULL;
	int k, rc = 0;

	memset(&a, 0, sizeof(a));
	if (!utf8_valid(p, n)) {
		err = xstrdup("text is not valid UTF-8 or contains a NUL byte");
		goto out;
	}
	for (;;) {
		while (p < end && is_ws((unsigned char)*p))
			p++;
		nl = memchr(p, '\n', (size_t)(end - p));
		s = p;
		len = (size_t)((nl ? nl : end) - p);
		k = txt_header(s, len, &val, &vlen);
		if (k < 0)
			break;
		hv[k] = val;
		hl[k] = vlen;
		p = nl ? nl + 1 : end;
	}
	if ((size_t)(end - p) < 5 || strncasecmp(p, "date", 4) != 0 ||
	    (p[4] != ' ' && p[4] != '\t' && p[4] != ':')) {
		err = xstrdup("missing 'date YYYY-MM-DD' line");
		goto out;
	}
	p += 5;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	tok = p;
	while (p < end && !is_ws((unsigned char)*p))
		p++;
	toklen = (size_t)(p - tok);
	if (toklen == 0) {
		err = xstrdup("missing 'date YYYY-MM-DD' line");
		goto out;
	}
	if (date_parse(tok, toklen, &a.date, NULL, &derr) < 0) {
		err = xasprintf("date: %s", derr);
		goto out;
	}

	s = p;
	len = (size_t)(end - p);
	trim(&s, &len);
	a.body = dup_lf(s, len);
	if (hl[0] > MAX_TITLE_BYTES) {
		err = xasprintf("title is longer than %d bytes", MAX_TITLE_BYTES);
		goto out;
	}
	a.title = hl[0] ? xstrndup(hv[0], hl[0]) : lead_sentence(a.body, strlen(a.body));
	if (a.title[0] == '\0' && a.body[0] == '\0') {
		err = xstrdup("title and body are both empty");
		goto out;
	}
	a.source = hl[1] ? xstrndup(hv[1], hl[1]) : NULL;
	a.url = hl[2] ? xstrndup(hv[2], hl[2]) : NULL;
	a.id = id ? id : hash_id(a.source, a.url, a.title, strlen(a.title), tok, toklen);
	id = NULL;
	rc = emit_record(c, &a, 1);
out:
	if (err != NULL) {
		article_clear(&a);
		rc = emit_reject(c, 1, id, err);
	}
	free(id);
	free(err);
	free(derr);
	return rc;
}

/* 1 when name (minus a ".gz") ends in ".txt", in any case. */
static int name_is_txt(const char *name)
{
	size_t n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	if (n >= 3 && strcasecmp(name + n - 3, ".gz") == 0)
		n -= 3;
	return n >= 4 && strncasecmp(name + n - 4, ".txt", 4) == 0;
}

/* 1 when text (after white space) opens like the plain-text format: a header or "date ". */
static int looks_like_txt(const char *p, size_t n)
{
	const char *val;
	size_t vlen;
	const char *nl = memchr(p, '\n', n);
	size_t len = nl ? (size_t)(nl - p) : n;

	if (txt_header(p, len, &val, &vlen) >= 0)
		return 1;
	return n > 5 && strncasecmp(p, "date", 4) == 0 && (p[4] == ' ' || p[4] == '\t' ||
							   p[4] == ':');
}

/* parse_buffer, telling the caller whether a failure was the sink stopping. */
static int parse_buffer_impl(const char *buf, size_t len, const char *name,
			     enum parse_format format, size_t max_bytes,
			     const struct parse_sink *sink, char **errmsg, int *stopped)
{
	struct pctx c = { sink, errmsg, 0 };
	char *inflated = NULL;
	size_t limit = max_bytes ? max_bytes : SIZE_MAX, i;
	int rc = -1;

	if (len >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) {
		if (parse_gunzip(buf, len, limit, &inflated, &len, errmsg) < 0)
			goto out;
		buf = inflated;
	} else if (len > limit) {
		set_error(errmsg, "input exceeds %zu bytes", limit);
		goto out;
	}
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	if (format == PARSE_TXT || (format == PARSE_AUTO && name_is_txt(name))) {
		rc = parse_txt(&c, buf, len, name);
		goto out;
	}
	for (i = 0; i < len && is_ws((unsigned char)buf[i]); i++)
		;
	if (i == len) {
		rc = 0;
	} else if (buf[i] == '[') {
		rc = parse_array(&c, buf + i, len - i);
	} else if (buf[i] == '{') {
		/* From the buffer's start, so jansson's line numbers are the input's. */
		rc = parse_object_or_lines(&c, buf, len);
	} else if (name != NULL && looks_like_txt(buf + i, len - i)) {
		rc = parse_txt(&c, buf, len, name);
	} else if (buf[i] > 0x20 && buf[i] < 0x7f) {
		set_error(errmsg, "input is not JSON: expected '{' or '[' but it starts with '%c'",
			  buf[i]);
	} else {
		set_error(errmsg, "input is not JSON: expected '{' or '[' but it starts with byte "
			  "0x%02x", (unsigned char)buf[i]);
	}
out:
	*stopped = c.stopped;
	free(inflated);
	return rc;
}

int parse_buffer(const char *buf, size_t len, const char *name, enum parse_format format,
		 size_t max_bytes, const struct parse_sink *sink, char **errmsg)
{
	int stopped;

	return parse_buffer_impl(buf, len, name, format, max_bytes, sink, errmsg, &stopped);
}

/*
 * Files at least this large (on disk) that turn out to be JSON Lines are read in chunks, so
 * memory stays flat whatever their size (a 1M-article archive is 1.2 GB of text); smaller
 * files, and every other format, are read whole. parse_set_stream_min_bytes lowers it for tests.
 */
static size_t stream_min_bytes = (size_t)64 << 20;

#define STREAM_CHUNK ((size_t)4 << 20)

void parse_set_stream_min_bytes(size_t n)
{
	stream_min_bytes = n;
}

/*
 * Append up to *cap - *len more inflated bytes of gz to buf; *eof at the end. The running
 * total is checked against limit. 0, or -1 with *errmsg.
 */
static int gz_fill(gzFile gz, char *buf, size_t *len, size_t cap,
		   size_t *total, size_t limit, int *eof, char **errmsg)
{
	while (!*eof && *len < cap) {
		size_t want = cap - *len > (size_t)INT_MAX ? (size_t)INT_MAX : cap - *len;
		int r = gzread(gz, buf + *len, (unsigned)want), zerr;

		if (r < 0) {
			const char *m = gzerror(gz, &zerr);

			return set_error(errmsg, "cannot read: %s",
					 zerr == Z_ERRNO ? strerror(errno) : m);
		}
		if (r == 0) {
			*eof = 1;
			break;
		}
		*len += (size_t)r;
		*total += (size_t)r;
		if (*total > limit)
			return set_error(errmsg, "input exceeds %zu bytes", limit);
	}
	return 0;
}

/* 1 when buf[0..n) opens with a blank-line-free first line that is a whole JSON object. */
static int opens_jsonl(const char *buf, size_t n, int eof)
{
	const char *end = buf + n, *l1, *nl;
	size_t n1 = 0;
	long line1 = 0;

	l1 = next_nonblank_line(buf, end, &n1, &line1);
	if (l1 == NULL || *l1 != '{')
		return 0;
	nl = memchr(l1, '\n', (size_t)(end - l1));
	if (nl == NULL && !eof)
		return 0;	/* the first line is longer than a chunk: read the file whole */
	return line_is_object(l1, n1);
}

/*
 * parse_file for a large file: gzip or not (zlib reads both), JSON Lines in chunks of complete
 * lines, anything else read whole into memory and parsed as before.
 */
static int parse_file_stream(int fd, const struct stat *st, const char *path, size_t limit,
			     const struct parse_sink *sink, char **errmsg, int *stopped)
{
	struct pctx c = { sink, errmsg, 0 };
	size_t cap = STREAM_CHUNK, len = 0, total = 0, upto, skip = 0;
	char *buf = NULL, *nl;
	long lineno = 0;
	int dfd, eof = 0, rc = -1, direct;
	gzFile gz;

	dfd = dup(fd);
	gz = dfd >= 0 ? gzdopen(dfd, "rb") : NULL;
	if (gz == NULL) {
		if (dfd >= 0)
			close(dfd);
		set_error(errmsg, "cannot read: %s", strerror(errno));
		return -1;
	}
	gzbuffer(gz, 1 << 18);
	buf = xmalloc(cap + 1);
	if (gz_fill(gz, buf, &len, cap, &total, limit, &eof, errmsg) < 0)
		goto out;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		skip = 3;
	if (name_is_txt(path) || !opens_jsonl(buf + skip, len - skip, eof)) {
		/* not JSON Lines: the whole file, as parse_buffer reads it */
		while (!eof) {
			if (cap > limit) {
				set_error(errmsg, "input exceeds %zu bytes", limit);
				goto out;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
			if (gz_fill(gz, buf, &len, cap, &total, limit, &eof, errmsg) < 0)
				goto out;
		}
		buf[len] = '\0';
		rc = parse_buffer_impl(buf, len, path, PARSE_AUTO, limit, sink, errmsg, stopped);
		goto out;
	}
	for (;;) {
		nl = len > skip ? memrchr(buf + skip, '\n', len - skip) : NULL;
		upto = eof ? len : nl ? (size_t)(nl - buf) + 1 : 0;
		if (upto == 0 && !eof) {
			/* one line longer than the buffer: grow it */
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		} else {
			if (parse_jsonl_from(&c, buf + skip, upto - skip, &lineno, 0) < 0)
				goto out;
			if (sink->progress)
				sink->progress(sink->ctx, (size_t)gzoffset(gz), (size_t)st->st_size);
			memmove(buf, buf + upto, len - upto);
			len -= upto;
			skip = 0;
			if (eof)
				break;
		}
		if (gz_fill(gz, buf, &len, cap, &total, limit, &eof, errmsg) < 0)
			goto out;
	}
	direct = gzdirect(gz);
	if (direct && (uintmax_t)total < (uintmax_t)st->st_size) {
		set_error(errmsg, "the file was truncated while being read");
		goto out;
	}
	rc = 0;
out:
	*stopped = c.stopped;
	gzclose(gz);
	free(buf);
	return rc;
}

/*
 * Read a whole file (read(), not mmap: a file truncated under us must be an error, not a
 * SIGBUS in the daemon) and parse it with its path as the name. Errors that are not the sink's
 * name the file. max_bytes (0 = no limit) caps the file's size and the inflated size. Large
 * JSON Lines files (gzip'd or not) are read in chunks instead (parse_file_stream).
 */
int parse_file(const char *path, size_t max_bytes, const struct parse_sink *sink, char **errmsg)
{
	struct stat st;
	char *data = NULL, *err = NULL;
	size_t limit = max_bytes ? max_bytes : SIZE_MAX, got = 0, size;
	ssize_t r;
	int fd, rc = -1, stopped = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_error(errmsg, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		set_error(errmsg, "cannot stat '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		set_error(errmsg, "'%s' is not a regular file", path);
		goto out;
	}
	if ((uintmax_t)st.st_size > (uintmax_t)limit) {
		set_error(errmsg, "'%s' is larger than %zu bytes", path, limit);
		goto out;
	}
	if ((uintmax_t)st.st_size >= (uintmax_t)stream_min_bytes) {
		rc = parse_file_stream(fd, &st, path, limit, sink, &err, &stopped);
		goto parsed;
	}
	size = (size_t)st.st_size;
	data = xmalloc(size + 1);
	while (got < size) {
		r = read(fd, data + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			set_error(errmsg, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (r == 0) {
			set_error(errmsg, "'%s' was truncated while being read", path);
			goto out;
		}
		got += (size_t)r;
	}
	rc = parse_buffer_impl(data, size, path, PARSE_AUTO, max_bytes, sink, &err, &stopped);
parsed:
	if (rc < 0 && err != NULL) {
		if (stopped)
			set_error(errmsg, "%s", err);
		else
			set_error(errmsg, "%s: %s", path, err);
	}
out:
	if (fd >= 0)
		close(fd);
	free(data);
	free(err);
	return rc;
}

/*
 * Inflate gzip data (one member or several concatenated, as `cat a.gz b.gz` makes) into a
 * buffer that grows by doubling but never beyond cap + 1 bytes: the extra byte is how we learn
 * there is more than cap, so a gzip bomb costs at most cap of memory. The result is
 * NUL-terminated (not counted in *outlen). Zero bytes after the last member (tape padding) are
 * ignored; anything else there is an error.
 */
int parse_gunzip(const char *in, size_t inlen, size_t cap, char **out, size_t *outlen,
		 char **errmsg)
{
	z_stream z;
	char *o = NULL;
	size_t limit = cap > SIZE_MAX - 2 ? SIZE_MAX - 2 : cap, ocap, olen = 0, pos = 0, i;
	int zr, rc = -1, inited = 0;

	*out = NULL;
	*outlen = 0;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		set_error(errmsg, "cannot start gzip decompression");
		goto out;
	}
	inited = 1;
	ocap = inlen < (SIZE_MAX / 4) ? inlen * 4 : SIZE_MAX;
	if (ocap < 65536)
		ocap = 65536;
	if (ocap > limit + 1)
		ocap = limit + 1;
	o = xmalloc(ocap);
	for (;;) {
		if (z.avail_in == 0 && pos < inlen) {
			size_t chunk = inlen - pos > UINT_MAX ? UINT_MAX : inlen - pos;

			z.next_in = (unsigned char *)(uintptr_t)(in + pos);
			z.avail_in = (unsigned)chunk;
			pos += chunk;
		}
		if (olen == ocap) {
			if (ocap > limit) {
				set_error(errmsg, "decompressed body exceeds %zu bytes", cap);
				goto out;
			}
			ocap = ocap > (limit + 1) / 2 ? limit + 1 : ocap * 2;
			o = xrealloc(o, ocap);
		}
		z.next_out = (unsigned char *)o + olen;
		z.avail_out = ocap - olen > UINT_MAX ? UINT_MAX : (unsigned)(ocap - olen);
		zr = inflate(&z, Z_NO_FLUSH);
		olen = (size_t)((char *)z.next_out - o);
		if (olen > limit) {
			set_error(errmsg, "decompressed body exceeds %zu bytes", cap);
			goto out;
		}
		if (zr == Z_STREAM_END) {
			/* Where the member ended; the next one (if any) starts there. */
			pos = (size_t)((const char *)z.next_in - in);
			z.avail_in = 0;
			for (i = pos; i < inlen && in[i] == 0; i++)
				;
			if (i == inlen)
				break;
			if (inlen - pos < 2 || (unsigned char)in[pos] != 0x1f ||
			    (unsigned char)in[pos + 1] != 0x8b) {
				set_error(errmsg, "unexpected data after the end of the gzip data");
				goto out;
			}
			inflateReset(&z);
			continue;
		}
		if (zr == Z_OK)
			continue;
		if (zr == Z_BUF_ERROR && z.avail_out == 0)
			continue;
		if (zr == Z_BUF_ERROR && z.avail_in == 0 && pos >= inlen) {
			set_error(errmsg, "gzip data is truncated");
			goto out;
		}
		if (zr == Z_MEM_ERROR) {
			set_error(errmsg, "out of memory while decompressing gzip data");
			goto out;
		}
		set_error(errmsg, "corrupt gzip data: %s", z.msg ? z.msg : "unknown error");
		goto out;
	}
	if (olen == ocap)
		o = xrealloc(o, olen + 1);
	o[olen] = '\0';
	*out = o;
	*outlen = olen;
	o = NULL;
	rc = 0;
out:
	if (inited)
		inflateEnd(&z);
	free(o);
	return rc;
}

/* State of one parse_walk. */
struct walk {
	int (*cb)(void *ctx, const char *file);
	void *ctx;
	char **errmsg;
	char *first_error;	/* the first unreadable path, reported at the end */
	long nerrors;
	int stopped;
};

static void walk_note(struct walk *w, const char *path, int err)
{
	if (w->nerrors++ == 0)
		w->first_error = xasprintf("cannot read '%s': %s", path, strerror(err));
}

static int walk_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Byte order, not the locale's collation: the same tree is walked the same way everywhere. */
static int walk_compare(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void walk_file(struct walk *w, const char *path)
{
	if (w->cb(w->ctx, path) < 0) {
		w->stopped = 1;
		if (w->errmsg != NULL && *w->errmsg == NULL)
			set_error(w->errmsg, "stopped at '%s'", path);
	}
}

/*
 * Walk one directory in name order. Symbolic links are followed to regular files only (a link
 * to a directory could make a loop); unreadable entries are noted and the walk goes on.
 */
static void walk_dir(struct walk *w, const char *dir)
{
	struct dirent **list = NULL;
	struct stat st;
	size_t dl = strlen(dir);
	int n, i;

	n = scandir(dir, &list, walk_filter, walk_compare);
	if (n < 0) {
		walk_note(w, dir, errno);
		return;
	}
	for (i = 0; i < n; i++) {
		char *p;

		if (w->stopped) {
			free(list[i]);
			continue;
		}
		p = xasprintf("%s%s%s", dir, dl > 0 && dir[dl - 1] == '/' ? "" : "/",
			      list[i]->d_name);
		if (lstat(p, &st) < 0) {
			walk_note(w, p, errno);
		} else if (S_ISLNK(st.st_mode)) {
			if (stat(p, &st) < 0)
				walk_note(w, p, errno);
			else if (S_ISREG(st.st_mode))
				walk_file(w, p);
		} else if (S_ISREG(st.st_mode)) {
			walk_file(w, p);
		} else if (S_ISDIR(st.st_mode)) {
			walk_dir(w, p);
		}
		free(p);
		free(list[i]);
	}
	free(list);
}

int parse_walk(const char *path, int (*cb)(void *ctx, const char *file), void *ctx,
	       char **errmsg)
{
	struct walk w = { cb, ctx, errmsg, NULL, 0, 0 };
	struct stat st;
	int rc = -1;

	if (stat(path, &st) < 0) {
		set_error(errmsg, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (S_ISREG(st.st_mode))
		walk_file(&w, path);
	else if (S_ISDIR(st.st_mode))
		walk_dir(&w, path);
	else {
		set_error(errmsg, "'%s' is neither a file nor a directory", path);
		goto out;
	}
	if (w.stopped)
		goto out;
	if (w.nerrors > 1)
		set_error(errmsg, "%s (and %ld more unreadable paths)", w.first_error,
			  w.nerrors - 1);
	else if (w.nerrors == 1)
		set_error(errmsg, "%s", w.first_error);
	else
		rc = 0;
out:
	free(w.first_error);
	return rc;
}
