/* config.c — the settings table, parsing of values and of conf/newsd.conf; see config.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config.h"
#include "util.h"

static const char *const stemming_choices[] = { "porter", "none", NULL };
static const char *const log_level_choices[] = { "error", "warn", "info", "debug", NULL };

#define OFF(field) offsetof(struct config, field)

/*
 * Every key, in the order conf/newsd.conf lists them. The default is kept as text so that the
 * file, the table and config_defaults() go through one parser and cannot disagree. Bounds are
 * inclusive and only read for numeric types.
 */
const struct config_key config_keys[] = {
	{ "listen", CONFIG_STRING, OFF(listen), "127.0.0.1:8088", 0, 0, NULL,
	  "Address and port the HTTP server listens on (host:port)." },
	{ "db", CONFIG_STRING, OFF(db), "newsd.db", 0, 0, NULL,
	  "SQLite database file; created on first use." },
	{ "threads", CONFIG_INT, OFF(threads), "0", 0, 256, NULL,
	  "HTTP worker threads; 0 = one per CPU core." },
	{ "search_threads", CONFIG_INT, OFF(search_threads), "2", 1, 2, NULL,
	  "Threads one search over many articles may use (1 or 2)." },
	{ "spool_dir", CONFIG_STRING, OFF(spool_dir), "", 0, 0, NULL,
	  "Directory watched for files to ingest; empty = no spool." },
	{ "spool_interval_ms", CONFIG_INT, OFF(spool_interval_ms), "1000", 10, 3600000, NULL,
	  "How often the spool directory is scanned, in milliseconds." },
	{ "max_body_bytes", CONFIG_INT64, OFF(max_body_bytes), "67108864", 1024,
	  (double)(1LL << 34), NULL,
	  "Largest request body accepted (bulk ingest), in bytes." },
	{ "max_uri_bytes", CONFIG_INT, OFF(max_uri_bytes), "8192", 256, 1048576, NULL,
	  "Longest request line (URI) accepted, in bytes." },
	{ "max_header_bytes", CONFIG_INT, OFF(max_header_bytes), "16384", 1024, 1048576, NULL,
	  "Largest total size of the request headers, in bytes." },
	{ "max_connections", CONFIG_INT, OFF(max_connections), "1024", 1, 65536, NULL,
	  "Most simultaneous HTTP connections; more wait in the listen backlog." },
	{ "timeout_s", CONFIG_INT, OFF(timeout_s), "30", 1, 3600, NULL,
	  "Read/write timeout of one HTTP connection, in seconds." },
	{ "query_timeout_ms", CONFIG_INT, OFF(query_timeout_ms), "2000", 1, 600000, NULL,
	  "Longest time one search may run before it is cut off, in milliseconds." },
	{ "max_query_bytes", CONFIG_INT, OFF(max_query_bytes), "4096", 16, 1048576, NULL,
	  "Longest query string accepted, in bytes." },
	{ "max_query_terms", CONFIG_INT, OFF(max_query_terms), "256", 1, 4096, NULL,
	  "Most terms in one query." },
	{ "max_query_depth", CONFIG_INT, OFF(max_query_depth), "32", 1, 256, NULL,
	  "Deepest nesting of parentheses in one query." },
	{ "write_token", CONFIG_STRING, OFF(write_token), "", 0, 0, NULL,
	  "Bearer token required for writes; empty = writes from loopback clients only." },
	{ "stemming", CONFIG_STRING, OFF(stemming), "porter", 0, 0, stemming_choices,
	  "porter | none: porter stems words in each article's language (FTS5's porter for "
	  "English, libstemmer's Snowball for the others); none: no stemming (fixed when the "
	  "database is created)." },
	{ "title_weight", CONFIG_DOUBLE, OFF(title_weight), "4.0", 0, 100, NULL,
	  "BM25 weight of the title; the body has weight 1.0." },
	{ "batch_max_records", CONFIG_INT, OFF(batch_max_records), "40000", 1, 1000000, NULL,
	  "Most records written in one ingest transaction (newsd index sorts each by date; "
	  "three batches are in memory at once)." },
	{ "report_every", CONFIG_INT, OFF(report_every), "0", 0, 1000000000, NULL,
	  "newsd index: print a progress line every N records (0: none), and bytes written." },
	{ "cache_mb", CONFIG_INT, OFF(cache_mb), "64", 1, 16384, NULL,
	  "SQLite page cache of the writing connection in MiB; HTTP threads' read connections get half." },
	{ "shutdown_timeout_s", CONFIG_INT, OFF(shutdown_timeout_s), "10", 0, 3600, NULL,
	  "On SIGTERM, how long in-flight requests may finish before exit, in seconds; a write "
	  "still going then is given up whole (503)." },
	{ "log_file", CONFIG_STRING, OFF(log_file), "", 0, 0, NULL,
	  "Log file, reopened on SIGHUP; empty = standard error." },
	{ "log_level", CONFIG_STRING, OFF(log_level), "info", 0, 0, log_level_choices,
	  "error | warn | info | debug: the least severe level written to the log." },
	{ "extraction", CONFIG_BOOL, OFF(extraction), "yes", 0, 1, NULL,
	  "Extract people, organisations and places from articles at ingest." },
	{ "dedup", CONFIG_BOOL, OFF(dedup), "yes", 0, 1, NULL,
	  "Detect wire copies (near-duplicate articles) at ingest." },
	{ "max_watchers", CONFIG_INT, OFF(max_watchers), "256", 0, 65536, NULL,
	  "Most open watch streams (GET /watch, /watches/{id}/events); more are answered 503." },
	{ "watch_ping_s", CONFIG_INT, OFF(watch_ping_s), "15", 1, 3600, NULL,
	  "Seconds between the ': ping' comments that keep watch streams open behind proxies." },
	{ "watch_replay_max", CONFIG_INT, OFF(watch_replay_max), "1000", 0, 1000000, NULL,
	  "Most missed events replayed to a stream that reconnects with Last-Event-ID; the rest is one gap event." },
	{ "watch_buffer_bytes", CONFIG_INT, OFF(watch_buffer_bytes), "1048576", 4096, 1073741824, NULL,
	  "Unsent bytes a watch stream may hold; a slower reader is disconnected (it can resume with Last-Event-ID)." },
	{ "watch_keep_versions", CONFIG_INT, OFF(watch_keep_versions), "100000", 1, 2000000000, NULL,
	  "Index versions of changes kept for replay and webhook resumption (older ones are pruned)." },
	{ "webhook_allow", CONFIG_STRING, OFF(webhook_allow), "", 0, 0, NULL,
	  "Hosts saved watches may POST to: comma list of host or host:port; empty = no webhooks." },
	{ "webhook_secret", CONFIG_STRING, OFF(webhook_secret), "", 0, 0, NULL,
	  "HMAC-SHA256 key of X-Newsd-Signature on webhook bodies; webhooks need one (keep this file private)." },
	{ "webhook_retries", CONFIG_INT, OFF(webhook_retries), "5", 0, 100, NULL,
	  "Retries of a failed webhook delivery, with doubling delays, before it pauses for a minute." },
	{ "webhook_backoff_ms", CONFIG_INT, OFF(webhook_backoff_ms), "1000", 10, 3600000, NULL,
	  "Delay before the first retry of a failed webhook delivery, in milliseconds (doubled each time, at most 60 s)." },
	{ "webhook_timeout_s", CONFIG_INT, OFF(webhook_timeout_s), "10", 1, 600, NULL,
	  "How long a webhook target may take to answer, in seconds." },
	{ 0 }
};

static const struct config_key *find_key(const char *name)
{
	const struct config_key *k;

	for (k = config_keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* Copy of s without leading and trailing white space (caller frees). */
static char *trimmed(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Parse a whole decimal integer; 0 or -1 when v is empty, has trailing junk or overflows. */
static int parse_integer(const char *v, long long *out)
{
	char *end;

	if (*v == '\0')
		return -1;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return (errno != 0 || *end != '\0') ? -1 : 0;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* "porter, none" for error messages (caller frees). */
static char *choice_list(const char *const *choices)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; choices[i]; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", choices[i]);
	return buf_detach(&b);
}

/*
 * Check v (already trimmed) against k and store it in c. Integers and doubles must lie within
 * [k->min, k->max]; strings must be one of k->choices when the key has choices. An old string
 * value is freed only once the new one is accepted, so *c is unchanged on error.
 */
static int set_value(struct config *c, const struct config_key *k, const char *v, char **errmsg)
{
	char *field = (char *)c + k->offset;
	long long n;
	double d;
	char *end, *list;
	int b, i;

	switch (k->type) {
	case CONFIG_STRING:
		if (k->choices) {
			for (i = 0; k->choices[i]; i++)
				if (strcmp(v, k->choices[i]) == 0)
					break;
			if (k->choices[i] == NULL) {
				list = choice_list(k->choices);
				set_error(errmsg, "%s: '%s' is not one of %s", k->name, v, list);
				free(list);
				return -1;
			}
		}
		free(*(char **)field);
		*(char **)field = xstrdup(v);
		return 0;
	case CONFIG_INT:
	case CONFIG_INT64:
		if (parse_integer(v, &n) < 0)
			return set_error(errmsg, "%s: '%s' is not an integer", k->name, v);
		if ((double)n < k->min || (double)n > k->max)
			return set_error(errmsg, "%s: %s is out of range %.0f..%.0f", k->name, v,
					 k->min, k->max);
		if (k->type == CONFIG_INT)
			*(int *)field = (int)n;
		else
			*(int64_t *)field = n;
		return 0;
	case CONFIG_DOUBLE:
		errno = 0;
		d = strtod(v, &end);
		if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite(d))
			return set_error(errmsg, "%s: '%s' is not a number", k->name, v);
		if (d < k->min || d > k->max)
			return set_error(errmsg, "%s: %s is out of range %g..%g", k->name, v,
					 k->min, k->max);
		*(double *)field = d;
		return 0;
	case CONFIG_BOOL:
		if (parse_bool(v, &b) < 0)
			return set_error(errmsg, "%s: '%s' is not a boolean "
					 "(yes/no/on/off/true/false/1/0)", k->name, v);
		*(int *)field = b;
		return 0;
	}
	return set_error(errmsg, "%s: unknown type", k->name);
}

/*
 * Set one key from its text form (leading and trailing white space ignored). Returns 0, or -1
 * with *errmsg and *c unchanged.
 */
int config_set(struct config *c, const char *key, const char *value, char **errmsg)
{
	const struct config_key *k = find_key(key);
	char *v;
	int rc;

	if (k == NULL)
		return set_error(errmsg, "unknown key '%s'", key);
	v = trimmed(value);
	rc = set_value(c, k, v, errmsg);
	free(v);
	return rc;
}

/*
 * Fill *c with every default. *c is treated as uninitialised: call config_free first to reuse
 * a loaded config. The defaults are parsed by config_set, so a bad entry in the table is a
 * programming error and aborts.
 */
void config_defaults(struct config *c)
{
	const struct config_key *k;
	char *err = NULL;

	memset(c, 0, sizeof(*c));
	for (k = config_keys; k->name; k++) {
		if (set_value(c, k, k->def, &err) < 0) {
			fprintf(stderr, "newsd: bad default in config table: %s\n", err);
			abort();
		}
	}
}

void config_free(struct config *c)
{
	const struct config_key *k;

	for (k = config_keys; k->name; k++) {
		if (k->type == CONFIG_STRING) {
			char **s = (char **)((char *)c + k->offset);

			free(*s);
			*s = NULL;
		}
	}
}

/*
 * State of one config_load. The Debian build of inih does not pass line numbers to the
 * handler, so our reader counts the lines it hands to inih; inih asks for exactly one line per
 * call, so the count is the number of the line being parsed.
 */
struct load_state {
	struct config *c;
	FILE *f;
	int lineno;
	int max_line;		/* inih's line buffer, including newline and NUL */
	int too_long;		/* first line longer than inih's buffer, 0 = none */
	int err_line;		/* line of the first error we reported, 0 = none */
	char *err;
};

static char *read_line(char *str, int num, void *stream)
{
	struct load_state *st = stream;
	size_t n;

	if (fgets(str, num, st->f) == NULL)
		return NULL;
	st->lineno++;
	/* inih would silently split a long line in two; refuse it instead. */
	st->max_line = num;
	n = strlen(str);
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(st->f) && st->too_long == 0)
		st->too_long = st->lineno;
	return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *st = user;
	char *msg = NULL;
	int rc;

	if (*section != '\0' && strcmp(section, "newsd") != 0)
		rc = set_error(&msg, "unknown section [%s]", section);
	else
		rc = config_set(st->c, name, value, &msg);
	if (rc < 0 && st->err == NULL) {
		st->err = msg;
		st->err_line = st->lineno;
		msg = NULL;
	}
	free(msg);
	return rc == 0;
}

/*
 * Load the INI file at path over *c: keys at top level or under [newsd]; any other section,
 * unknown key, bad value or malformed line is an error "path:line: message". Keys before the
 * error may already be applied. A key given twice keeps its last value.
 */
int config_load(struct config *c, const char *path, char **errmsg)
{
	struct load_state st = { .c = c };
	int rc = -1, line;

	st.f = fopen(path, "r");
	if (st.f == NULL) {
		set_error(errmsg, "%s: %s", path, strerror(errno));
		goto out;
	}
	line = ini_parse_stream(read_line, &st, on_key, &st);
	if (line == -2) {
		set_error(errmsg, "%s: out of memory", path);
		goto out;
	}
	/* inih returns the first line with either a syntax error or a rejected key. */
	if (st.too_long && (line <= 0 || st.too_long <= line)) {
		set_error(errmsg, "%s:%d: line too long (at most %d bytes)", path, st.too_long,
			  st.max_line - 2);
		goto out;
	}
	if (line > 0 && st.err && st.err_line == line) {
		set_error(errmsg, "%s:%d: %s", path, line, st.err);
		goto out;
	}
	if (line > 0) {
		set_error(errmsg, "%s:%d: expected 'key = value' or '[newsd]'", path, line);
		goto out;
	}
	if (ferror(st.f)) {
		set_error(errmsg, "%s: read error", path);
		goto out;
	}
	rc = 0;
out:
	if (st.f)
		fclose(st.f);
	free(st.err);
	return rc;
}
