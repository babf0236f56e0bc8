/*
 * newsq.c — the newsd command-line client (API.md, "newsq command line").
 *
 * One HTTP request per command (httpc.c), JSON read with jansson, text rendered with render.c.
 * Exit status: 0 results or success, 1 no results (search, timeline, export, entities,
 * related) or some records rejected (ingest), 2 usage error (also an unreadable input file
 * or a failed write to stdout), 3 server unreachable or answering an error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <jansson.h>

#include "httpc.h"
#include "render.h"
#include "util.h"

#define NEWSQ_DEFAULT_SERVER "http://127.0.0.1:8088"

enum {
	NEWSQ_OK = 0,
	NEWSQ_NONE = 1,
	NEWSQ_USAGE = 2,
	NEWSQ_SERVER = 3
};

/* Options a command may take (bit flags). */
enum {
	O_FROM = 1u << 0,
	O_TO = 1u << 1,
	O_ENTITY = 1u << 2,
	O_SOURCE = 1u << 3,
	O_SORT = 1u << 4,
	O_LIMIT = 1u << 5,
	O_CURSOR = 1u << 6,
	O_INTERVAL = 1u << 7,
	O_FORMAT = 1u << 8,
	O_FIELDS = 1u << 9,
	O_TYPE = 1u << 10,
	O_JSON = 1u << 11,
	O_LANG = 1u << 12,
	O_ALL_COPIES = 1u << 13	/* the last: seen_name has a slot per bit */
};

#define O_FILTERS (O_FROM | O_TO | O_ENTITY | O_SOURCE)

struct opts {
	const char *server_url;
	int server_given;	/* -s on the command line: repeated in the "more:" hint */
	int json;
	int all_copies;		/* --all-copies: every wire copy as a hit of its own */
	int color;
	const char *from, *to, *sort, *limit, *cursor, *interval, *format, *fields, *type;
	const char **entity;
	size_t nentity;
	const char **source;
	size_t nsource;
	const char **lang;
	size_t nlang;
	const char **args;	/* positional arguments after the command */
	size_t nargs;
	unsigned seen;		/* O_* options given */
	const char *seen_name[14];	/* spelling of each given option (one per O_* bit) */
	struct render_server srv;
};

struct option_def {
	const char *name;
	unsigned flag;
	int takes_value;
};

static const struct option_def option_defs[] = {
	{"--from", O_FROM, 1}, {"--to", O_TO, 1}, {"--entity", O_ENTITY, 1},
	{"--source", O_SOURCE, 1}, {"--sort", O_SORT, 1}, {"--limit", O_LIMIT, 1},
	{"--cursor", O_CURSOR, 1}, {"--interval", O_INTERVAL, 1}, {"--format", O_FORMAT, 1},
	{"--fields", O_FIELDS, 1}, {"--type", O_TYPE, 1}, {"--json", O_JSON, 0},
	{"--lang", O_LANG, 1}, {"--all-copies", O_ALL_COPIES, 0},
};

struct command {
	const char *name;
	unsigned allowed;
	size_t min_args;
	size_t max_args;
	int (*run)(struct opts *o);
};

static const char usage_text[] =
	"usage: newsq [-s URL] COMMAND [ARGS] [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  search QUERY [--from D] [--to D] [--entity E]... [--source S]... [--lang L]...\n"
	"         [--sort relevance|newest|oldest] [--limit N] [--cursor C] [--all-copies]\n"
	"                       full-text search; QUERY may be several words; each story\n"
	"                       once (\"N more copies\"), --all-copies lists every copy\n"
	"  get ID               show one article\n"
	"  ingest FILE...       add or replace articles (.jsonl, .json, gzip'd or not; - is stdin)\n"
	"  entities [PREFIX] [--type person|org|place] [--limit N] [--from D] [--to D]\n"
	"                       most frequent people, organisations and places\n"
	"  related NAME [--type T] [--limit N] [--from D] [--to D]\n"
	"                       entities appearing in the same articles as NAME\n"
	"  similar ID [--limit N] [--from D] [--to D] [--source S]...\n"
	"                       articles about the same story as ID (wire copies marked)\n"
	"  timeline QUERY [--interval day|week|month] [--from D] [--to D] [--entity E]...\n"
	"         [--source S]...  matches over time, as a sparkline\n"
	"  export QUERY [--format jsonl|csv] [--fields F,...] [--from D] [--to D]\n"
	"         [--entity E]... [--source S]...  every match to stdout, oldest first\n"
	"  watch QUERY [--entity E]... [--source S]... [--from D] [--to D]\n"
	"                       print each new matching article as it is indexed (until ^C)\n"
	"  health               server status\n"
	"\n"
	"options:\n"
	"  -s, --server URL     server (default: $NEWSQ_SERVER or " NEWSQ_DEFAULT_SERVER ")\n"
	"  --json               print the server's JSON response unchanged\n"
	"  -h, --help           show this help\n"
	"  --                   end of options (for a QUERY starting with '-')\n"
	"\n"
	"environment: NEWSQ_SERVER, NEWSQ_TOKEN (write token for ingest), NO_COLOR\n"
	"exit status: 0 results or success, 1 no results (or records rejected by ingest),\n"
	"             2 usage error or unreadable file,\n"
	"             3 server unreachable or answering an error\n";

/* Print a usage error (printf-style) and the hint; returns NEWSQ_USAGE. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("newsq: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(newsq --help shows usage)\n", stderr);
	return NEWSQ_USAGE;
}

/* ---- request helpers ---- */

/* Append "?name=value" or "&name=value" (value URL-encoded) to the request target. */
static void add_param(struct buf *t, const char *name, const char *value)
{
	if (value == NULL)
		return;
	buf_putc(t, strchr(t->data ? t->data : "", '?') ? '&' : '?');
	buf_puts(t, name);
	buf_putc(t, '=');
	render_url_encode(t, value);
}

static void add_filters(struct buf *t, const struct opts *o)
{
	size_t i;

	add_param(t, "from", o->from);
	add_param(t, "to", o->to);
	for (i = 0; i < o->nentity; i++)
		add_param(t, "entity", o->entity[i]);
	for (i = 0; i < o->nsource; i++)
		add_param(t, "source", o->source[i]);
}

/* The positional arguments joined with spaces (caller frees): `newsq search storm OR flood`. */
static char *join_args(const struct opts *o)
{
	struct buf b = {0};
	size_t i;

	for (i = 0; i < o->nargs; i++) {
		if (i)
			buf_putc(&b, ' ');
		buf_puts(&b, o->args[i]);
	}
	return buf_detach(&b);
}

/*
 * Report a non-2xx answer on stderr as "newsq: CODE at POS: MESSAGE" from the API's error
 * object, or the status line when the body is not one. what (may be NULL) names the file or
 * item the request was about.
 */
static void print_server_error(const struct httpc_response *r, const char *what)
{
	json_t *root = NULL, *err;
	const char *code = NULL, *msg = NULL;
	json_int_t pos = -1;

	if (r->body.len > 0)
		root = json_loadb(r->body.data, r->body.len, 0, NULL);
	err = root ? json_object_get(root, "error") : NULL;
	if (json_is_object(err)) {
		code = json_string_value(json_object_get(err, "code"));
		msg = json_string_value(json_object_get(err, "message"));
		if (json_is_integer(json_object_get(err, "position")))
			pos = json_integer_value(json_object_get(err, "position"));
	}
	fputs("newsq: ", stderr);
	if (what != NULL)
		fprintf(stderr, "%s: ", what);
	if (code == NULL)
		fprintf(stderr, "server answered HTTP %d %s\n", r->status,
			r->reason ? r->reason : "");
	else if (pos >= 0)
		fprintf(stderr, "%s at %lld: %s\n", code, (long long)pos, msg ? msg : "");
	else
		fprintf(stderr, "%s: %s\n", code, msg ? msg : "");
	json_decref(root);
}

/*
 * GET target and parse the JSON answer into *root (caller decrefs). With --json the body is
 * also printed unchanged. Returns NEWSQ_OK or NEWSQ_SERVER (message already printed).
 */
static int get_json(const struct opts *o, const char *target, json_t **root)
{
	struct httpc_response r;
	char *err = NULL;
	json_error_t jerr;
	int rc = NEWSQ_SERVER;

	*root = NULL;
	if (httpc_request(&o->srv, EVHTTP_REQ_GET, target, NULL, 0, NULL, NULL, NULL, &r,
			  &err) != 0) {
		fprintf(stderr, "newsq: %s\n", err);
		goto out;
	}
	if (r.status < 200 || r.status > 299) {
		print_server_error(&r, NULL);
		goto out;
	}
	*root = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, &jerr);
	if (*root == NULL) {
		fprintf(stderr, "newsq: the server's answer is not JSON: %s\n", jerr.text);
		goto out;
	}
	if (o->json) {
		fwrite(r.body.data, 1, r.body.len, stdout);
		if (r.body.data[r.body.len - 1] != '\n')
			putchar('\n');
	}
	rc = NEWSQ_OK;
out:
	httpc_response_free(&r);
	free(err);
	return rc;
}

static const char *jstr(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static double jnum(json_t *obj, const char *key)
{
	return json_number_value(json_object_get(obj, key));
}

/* Write b to stdout and empty it. */
static void flush_buf(struct buf *b)
{
	if (b->len)
		fwrite(b->data, 1, b->len, stdout);
	buf_reset(b);
}

/* Append the strings of a JSON array joined by ", ". */
static void put_list(struct buf *b, json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			continue;
		if (i)
			buf_puts(b, ", ");
		render_plain(b, json_string_value(v), 0);
	}
}

/* ---- search ---- */

/* The command that fetches the next page: the same search plus --cursor. */
static void put_more_hint(struct buf *b, const struct opts *o, const char *q, const char *cursor)
{
	size_t i;

	buf_puts(b, "newsq");
	if (o->server_given) {
		buf_puts(b, " -s ");
		render_shell_quote(b, o->server_url);
	}
	buf_puts(b, " search");
	/* A query starting with a single '-' is taken as a word after the command; one starting
	 * with "--" must follow "--", which ends the options, so it goes last. */
	if (*q && strncmp(q, "--", 2) != 0) {
		buf_putc(b, ' ');
		render_shell_quote(b, q);
	}
	if (o->from) {
		buf_puts(b, " --from ");
		render_shell_quote(b, o->from);
	}
	if (o->to) {
		buf_puts(b, " --to ");
		render_shell_quote(b, o->to);
	}
	for (i = 0; i < o->nentity; i++) {
		buf_puts(b, " --entity ");
		render_shell_quote(b, o->entity[i]);
	}
	for (i = 0; i < o->nsource; i++) {
		buf_puts(b, " --source ");
		render_shell_quote(b, o->source[i]);
	}
	for (i = 0; i < o->nlang; i++) {
		buf_puts(b, " --lang ");
		render_shell_quote(b, o->lang[i]);
	}
	if (o->sort) {
		buf_puts(b, " --sort ");
		render_shell_quote(b, o->sort);
	}
	if (o->limit) {
		buf_puts(b, " --limit ");
		render_shell_quote(b, o->limit);
	}
	if (o->all_copies)
		buf_puts(b, " --all-copies");
	buf_puts(b, " --cursor ");
	render_shell_quote(b, cursor);
	if (strncmp(q, "--", 2) == 0) {
		buf_puts(b, " -- ");
		render_shell_quote(b, q);
	}
}

/* Print one hit: bold title (matches highlighted), day, source and id, then the snippets. */
static void print_hit(struct buf *b, const struct opts *o, json_t *hit)
{
	const char *title_html = jstr(hit, "title_html"), *title = jstr(hit, "title");
	const char *date = jstr(hit, "date"), *source = jstr(hit, "source"), *id = jstr(hit, "id");
	json_t *snips = json_object_get(hit, "snippets"), *s, *copies = json_object_get(hit, "copies");
	size_t i;

	if (o->color)
		buf_puts(b, "\033[1m");
	if (title_html != NULL)
		render_marks(b, title_html, o->color ? "\033[33m" : NULL,
			     o->color ? "\033[39m" : NULL);
	else
		render_plain(b, title ? title : "(untitled)", 0);
	buf_puts(b, o->color ? "\033[0m\n  \033[2m" : "\n  ");
	if (date != NULL)
		buf_printf(b, "%.10s", date);
	if (source != NULL && *source) {
		buf_puts(b, " \xC2\xB7 ");
		render_plain(b, source, 0);
	}
	if (id != NULL) {
		buf_puts(b, " \xC2\xB7 ");
		render_plain(b, id, 0);
	}
	buf_puts(b, o->color ? "\033[0m\n" : "\n");
	json_array_foreach(snips, i, s) {
		if (!json_is_string(s))
			continue;
		buf_puts(b, "    ");
		render_marks(b, json_string_value(s), o->color ? "\033[1;33m" : NULL,
			     o->color ? "\033[0m" : NULL);
		buf_putc(b, '\n');
	}
	/* collapsed: the story's wire copies, left out of the hits (--all-copies lists them) */
	if (json_is_integer(copies) && json_integer_value(copies) > 0)
		buf_printf(b, "    %s%lld more %s%s\n", o->color ? "\033[2m" : "",
			   (long long)json_integer_value(copies),
			   json_integer_value(copies) == 1 ? "copy" : "copies", o->color ? "\033[0m" : "");
	buf_putc(b, '\n');
}

/* search: GET /search; hits as text (or --json), then the count line with a "more:" hint. */
static int cmd_search(struct opts *o)
{
	struct buf t = {0}, out = {0};
	char *q = join_args(o);
	json_t *root = NULL, *hits, *hit;
	const char *cursor;
	size_t i, n;
	int rc;

	if (!*q && !o->from && !o->to && !o->nentity && !o->nsource) {
		rc = usage_error("search needs a QUERY or a filter (--from, --to, --entity, --source)");
		goto out;
	}
	buf_puts(&t, "/search");
	if (*q)
		add_param(&t, "q", q);
	add_filters(&t, o);
	for (i = 0; i < o->nlang; i++)
		add_param(&t, "lang", o->lang[i]);
	add_param(&t, "sort", o->sort);
	add_param(&t, "limit", o->limit);
	add_param(&t, "cursor", o->cursor);
	/* each story once, its copies counted under it (the API's default lists every copy) */
	if (!o->all_copies)
		add_param(&t, "collapse", "dups");
	rc = get_json(o, t.data, &root);
	if (rc != NEWSQ_OK)
		goto out;
	hits = json_object_get(root, "hits");
	n = json_array_size(hits);
	/* "Hits" means matches, so `--limit 0` (count only) with matches is still a success. */
	rc = n > 0 || jnum(root, "total") > 0 ? NEWSQ_OK : NEWSQ_NONE;
	if (o->json)
		goto out;
	json_array_foreach(hits, i, hit) {
		print_hit(&out, o, hit);
		flush_buf(&out);
	}
	{
		json_t *dym = json_object_get(root, "did_you_mean");

		/* the server's respelling, ready to run again */
		if (dym != NULL && jstr(dym, "q") != NULL)
			buf_printf(&out, "did you mean: %s (%.0f hits)?  newsq search '%s'\n",
				   jstr(dym, "q"), jnum(dym, "total"), jstr(dym, "q"));
	}
	buf_printf(&out, "%zu of %.0f hits (took %.1f ms)", n, jnum(root, "total"),
		   jnum(root, "took_ms"));
	cursor = jstr(root, "next_cursor");
	if (cursor != NULL && *cursor) {
		buf_puts(&out, "; more: ");
		put_more_hint(&out, o, q, cursor);
	}
	buf_putc(&out, '\n');
	flush_buf(&out);
out:
	json_decref(root);
	buf_free(&t);
	buf_free(&out);
	free(q);
	return rc;
}

/* ---- get ---- */

/* get ID: GET /articles/{id}; date, source, url, authors, entities, then the body. */
static int cmd_get(struct opts *o)
{
	struct buf t = {0}, out = {0};
	json_t *a = NULL, *ents, *authors;
	const char *s;
	static const char *const kinds[3][2] = {
		{"people", "People"}, {"orgs", "Orgs"}, {"places", "Places"},
	};
	size_t k;
	int rc;

	buf_puts(&t, "/articles/");
	render_url_encode(&t, o->args[0]);
	rc = get_json(o, t.data, &a);
	if (rc != NEWSQ_OK || o->json)
		goto out;
	buf_puts(&out, o->color ? "\033[1m" : "");
	render_plain(&out, (s = jstr(a, "title")) ? s : "(untitled)", 0);
	buf_puts(&out, o->color ? "\033[0m\n" : "\n");
	buf_printf(&out, "%s", (s = jstr(a, "date")) ? s : "");
	if ((s = jstr(a, "source")) != NULL && *s) {
		buf_puts(&out, " \xC2\xB7 ");
		render_plain(&out, s, 0);
	}
	buf_puts(&out, " \xC2\xB7 ");
	render_plain(&out, (s = jstr(a, "id")) ? s : o->args[0], 0);
	buf_putc(&out, '\n');
	if ((s = jstr(a, "url")) != NULL && *s) {
		render_plain(&out, s, 0);
		buf_putc(&out, '\n');
	}
	authors = json_object_get(a, "authors");
	if (json_array_size(authors) > 0) {
		buf_puts(&out, "By ");
		put_list(&out, authors);
		buf_putc(&out, '\n');
	}
	ents = json_object_get(a, "entities");
	for (k = 0; k < 3; k++) {
		json_t *list = json_object_get(ents, kinds[k][0]);

		if (json_array_size(list) == 0)
			continue;
		buf_printf(&out, "%s: ", kinds[k][1]);
		put_list(&out, list);
		buf_putc(&out, '\n');
	}
	if ((s = jstr(a, "dup_of")) != NULL && *s) {
		buf_puts(&out, "Duplicate of: ");
		render_plain(&out, s, 0);
		buf_putc(&out, '\n');
	}
	buf_putc(&out, '\n');
	render_plain(&out, (s = jstr(a, "body")) ? s : "", 1);
	buf_putc(&out, '\n');
	flush_buf(&out);
out:
	json_decref(a);
	buf_free(&t);
	buf_free(&out);
	return rc;
}

/* ---- ingest ---- */

/* Read a whole file ("-" is stdin) into b. Returns 0, or -1 with *errmsg set. */
static int read_file(const char *path, struct buf *b, char **errmsg)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int rc = -1;

	if (f == NULL) {
		set_error(errmsg, "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	if (ferror(f)) {
		set_error(errmsg, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f != NULL && f != stdin)
		fclose(f);
	return rc;
}

/* Print the server's ingest summary for one file; returns the number of rejected records. */
static size_t print_ingest(const char *path, json_t *root)
{
	json_t *rej = json_object_get(root, "rejected"), *r;
	struct buf out = {0};
	size_t i;

	buf_printf(&out, "%s: %.0f accepted, %.0f updated, %zu rejected", path,
		   jnum(root, "accepted"), jnum(root, "updated"), json_array_size(rej));
	if (json_is_number(json_object_get(root, "index_version")))
		buf_printf(&out, " (index version %.0f)", jnum(root, "index_version"));
	buf_putc(&out, '\n');
	json_array_foreach(rej, i, r) {
		const char *id = jstr(r, "id"), *err = jstr(r, "error");

		buf_printf(&out, "  line %.0f", jnum(r, "line"));
		if (id != NULL) {
			buf_puts(&out, " (id ");
			render_plain(&out, id, 0);
			buf_putc(&out, ')');
		}
		buf_puts(&out, ": ");
		render_plain(&out, err ? err : "rejected", 0);
		buf_putc(&out, '\n');
	}
	flush_buf(&out);
	buf_free(&out);
	return json_array_size(rej);
}

/*
 * POST one file to /articles. gzip'd content (by its magic bytes, whatever the name) is sent
 * as is with Content-Encoding: gzip so large files travel compressed. Returns an exit status
 * (NEWSQ_NONE when the server rejected some records; the others are committed); *fatal is
 * set when the server cannot be reached, so the remaining files are not tried.
 */
static int ingest_one(struct opts *o, const char *path, int *fatal)
{
	struct buf data = {0};
	struct httpc_response r;
	const char *hdrs[9];
	char *err = NULL, *auth = NULL;
	const char *token = getenv("NEWSQ_TOKEN");
	json_t *root = NULL;
	size_t nh = 0, plen = strlen(path);
	int gz, rc = NEWSQ_SERVER, json_name;

	memset(&r, 0, sizeof(r));
	if (read_file(path, &data, &err) != 0) {
		fprintf(stderr, "newsq: %s\n", err);
		rc = NEWSQ_USAGE;
		goto out;
	}
	gz = data.len >= 2 && (unsigned char)data.data[0] == 0x1f &&
	     (unsigned char)data.data[1] == 0x8b;
	json_name = (plen >= 5 && strcmp(path + plen - 5, ".json") == 0) ||
		    (plen >= 8 && strcmp(path + plen - 8, ".json.gz") == 0);
	hdrs[nh++] = "Content-Type";
	hdrs[nh++] = json_name ? "application/json" : "application/x-ndjson";
	if (gz) {
		hdrs[nh++] = "Content-Encoding";
		hdrs[nh++] = "gzip";
	}
	if (token != NULL && *token) {
		auth = xasprintf("Bearer %s", token);
		hdrs[nh++] = "Authorization";
		hdrs[nh++] = auth;
	}
	hdrs[nh] = NULL;
	if (httpc_request(&o->srv, EVHTTP_REQ_POST, "/articles", data.data ? data.data : "",
			  data.len, hdrs, NULL, NULL, &r, &err) != 0) {
		fprintf(stderr, "newsq: %s\n", err);
		*fatal = 1;
		goto out;
	}
	if (r.status < 200 || r.status > 299) {
		print_server_error(&r, path);
		goto out;
	}
	root = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
	if (root == NULL) {
		fprintf(stderr, "newsq: %s: the server's answer is not JSON\n", path);
		goto out;
	}
	if (o->json) {
		fwrite(r.body.data, 1, r.body.len, stdout);
		if (r.body.data[r.body.len - 1] != '\n')
			putchar('\n');
		rc = json_array_size(json_object_get(root, "rejected")) ? NEWSQ_NONE : NEWSQ_OK;
		goto out;
	}
	rc = print_ingest(path, root) ? NEWSQ_NONE : NEWSQ_OK;
out:
	json_decref(root);
	httpc_response_free(&r);
	buf_free(&data);
	free(err);
	free(auth);
	return rc;
}

/* Ingest each file in turn; the exit status is the worst of the files'. */
static int cmd_ingest(struct opts *o)
{
	size_t i;
	int rc = NEWSQ_OK, one, fatal = 0;

	for (i = 0; i < o->nargs && !fatal; i++) {
		one = ingest_one(o, o->args[i], &fatal);
		if (one > rc)
			rc = one;
	}
	return rc;
}

/* ---- entities, related ---- */

/*
 * GET the path in t with the entity filters (type, limit, from, to) added; *list is the array
 * `key` of the answer in *root. NEWSQ_OK when it has entries, NEWSQ_NONE when it is empty, or
 * get_json's error.
 */
static int get_entity_list(struct opts *o, struct buf *t, const char *key, json_t **root,
			   json_t **list)
{
	int rc;

	add_param(t, "type", o->type);
	add_param(t, "limit", o->limit);
	add_param(t, "from", o->from);
	add_param(t, "to", o->to);
	rc = get_json(o, t->data, root);
	if (rc != NEWSQ_OK)
		return rc;
	*list = json_object_get(*root, key);
	return json_array_size(*list) > 0 ? NEWSQ_OK : NEWSQ_NONE;
}

/* entities [PREFIX]: GET /entities; one line per entity: count, type, name, aliases. */
static int cmd_entities(struct opts *o)
{
	struct buf t = {0}, out = {0};
	json_t *root = NULL, *list, *e;
	size_t i;
	int rc;

	buf_puts(&t, "/entities");
	add_param(&t, "prefix", o->nargs ? o->args[0] : NULL);
	rc = get_entity_list(o, &t, "entities", &root, &list);
	if (rc != NEWSQ_OK && rc != NEWSQ_NONE)
		goto out;
	if (o->json)
		goto out;
	json_array_foreach(list, i, e) {
		json_t *aliases = json_object_get(e, "aliases");
		const char *type = jstr(e, "type");

		buf_printf(&out, "%7.0f  %-6s  ", jnum(e, "count"), type ? type : "");
		render_plain(&out, jstr(e, "name") ? jstr(e, "name") : "", 0);
		if (json_array_size(aliases) > 0) {
			buf_puts(&out, "  (also ");
			put_list(&out, aliases);
			buf_putc(&out, ')');
		}
		buf_putc(&out, '\n');
	}
	flush_buf(&out);
out:
	json_decref(root);
	buf_free(&t);
	buf_free(&out);
	return rc;
}

/* related NAME: GET /entities/{name}/related; shared articles, lift, type, name. */
static int cmd_related(struct opts *o)
{
	struct buf t = {0}, out = {0};
	char *name = join_args(o);
	json_t *root = NULL, *list, *e;
	size_t i;
	int rc;

	buf_puts(&t, "/entities/");
	render_url_encode(&t, name);
	buf_puts(&t, "/related");
	rc = get_entity_list(o, &t, "related", &root, &list);
	if (rc != NEWSQ_OK && rc != NEWSQ_NONE)
		goto out;
	if (o->json)
		goto out;
	if (json_array_size(list) > 0)
		buf_puts(&out, "  shared    lift  type    name\n");
	json_array_foreach(list, i, e) {
		const char *type = jstr(e, "type");

		buf_printf(&out, "%8.0f  %6.2f  %-6s  ", jnum(e, "count"), jnum(e, "score"),
			   type ? type : "");
		render_plain(&out, jstr(e, "name") ? jstr(e, "name") : "", 0);
		buf_putc(&out, '\n');
	}
	flush_buf(&out);
out:
	json_decref(root);
	buf_free(&t);
	buf_free(&out);
	free(name);
	return rc;
}

/* ---- timeline ---- */

/* Columns of the terminal (or $COLUMNS, or 80). */
static int terminal_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	int w;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env != NULL && (w = atoi(env)) > 0)
		return w;
	return 80;
}

/*
 * Draw the buckets as rows of sparkline, each row labelled with its first bucket's start,
 * under a header giving the interval, the bucket range, the matches in all and the peak.
 */
static void print_timeline(const struct opts *o, const char *q, json_t *root)
{
	json_t *buckets = json_object_get(root, "buckets");
	size_t n = json_array_size(buckets), i, row, width;
	double *v = xcalloc(n ? n : 1, sizeof(*v)), max = 0, sum = 0;
	const char *interval = jstr(root, "interval"), *peak = NULL;
	struct buf out = {0};

	for (i = 0; i < n; i++) {
		v[i] = jnum(json_array_get(buckets, i), "count");
		sum += v[i];
		if (v[i] > max) {
			max = v[i];
			peak = jstr(json_array_get(buckets, i), "start");
		}
	}
	if (*q) {
		render_plain(&out, q, 0);
		buf_puts(&out, " \xC2\xB7 ");
	}
	buf_printf(&out, "by %s", interval ? interval : "bucket");
	if (n > 0)
		buf_printf(&out, ", %s .. %s (%zu buckets)",
			   jstr(json_array_get(buckets, 0), "start"),
			   jstr(json_array_get(buckets, n - 1), "start"), n);
	buf_printf(&out, " \xC2\xB7 %.0f matches", sum);
	if (peak != NULL)
		buf_printf(&out, " \xC2\xB7 peak %.0f at %s", max, peak);
	buf_putc(&out, '\n');
	width = (size_t)terminal_width();
	width = width > 22 ? width - 12 : 10;
	for (row = 0; row < n; row += width) {
		size_t len = n - row < width ? n - row : width;
		const char *start = jstr(json_array_get(buckets, row), "start");

		buf_printf(&out, "%-10.10s ", start ? start : "");
		if (o->color)
			buf_puts(&out, "\033[36m");
		render_sparkline(&out, v + row, len, max);
		if (o->color)
			buf_puts(&out, "\033[0m");
		buf_putc(&out, '\n');
	}
	flush_buf(&out);
	buf_free(&out);
	free(v);
}

/* timeline QUERY: GET /timeline drawn as a sparkline; exit 1 when every bucket is empty. */
static int cmd_timeline(struct opts *o)
{
	struct buf t = {0};
	char *q = join_args(o);
	json_t *root = NULL, *b;
	size_t i;
	int rc;

	buf_puts(&t, "/timeline");
	if (*q)
		add_param(&t, "q", q);
	add_filters(&t, o);
	add_param(&t, "interval", o->interval);
	rc = get_json(o, t.data, &root);
	if (rc != NEWSQ_OK)
		goto out;
	rc = NEWSQ_NONE;
	json_array_foreach(json_object_get(root, "buckets"), i, b) {
		if (jnum(b, "count") > 0)
			rc = NEWSQ_OK;
	}
	if (!o->json)
		print_timeline(o, q, root);
out:
	json_decref(root);
	buf_free(&t);
	free(q);
	return rc;
}

/* ---- export ---- */

/* httpc sink for export: write each piece to stdout; -1 when stdout fails. */
static int stdout_sink(const void *data, size_t n, void *arg)
{
	(void)arg;
	return fwrite(data, 1, n, stdout) == n ? 0 : -1;
}

/*
 * export QUERY: GET /export streamed to stdout as it arrives (never held in memory whole);
 * exit 1 when the server reports X-Total: 0.
 */
static int cmd_export(struct opts *o)
{
	struct buf t = {0};
	struct httpc_response r;
	char *q = join_args(o), *err = NULL;
	int rc = NEWSQ_SERVER;

	memset(&r, 0, sizeof(r));
	buf_puts(&t, "/export");
	if (*q)
		add_param(&t, "q", q);
	add_filters(&t, o);
	add_param(&t, "format", o->format);
	add_param(&t, "fields", o->fields);
	if (httpc_request(&o->srv, EVHTTP_REQ_GET, t.data, NULL, 0, NULL, stdout_sink, NULL, &r,
			  &err) != 0) {
		fflush(stdout);
		fprintf(stderr, "newsq: %s\n", err);
		goto out;
	}
	if (r.status < 200 || r.status > 299) {
		print_server_error(&r, NULL);
		goto out;
	}
	if (fflush(stdout) != 0 || r.sink_failed) {
		fprintf(stderr, "newsq: writing the export failed: %s\n", strerror(errno));
		rc = NEWSQ_USAGE;
		goto out;
	}
	rc = r.x_total != NULL && strtoll(r.x_total, NULL, 10) == 0 ? NEWSQ_NONE : NEWSQ_OK;
out:
	httpc_response_free(&r);
	buf_free(&t);
	free(q);
	free(err);
	return rc;
}

/* ---- watch ---- */

struct watch_ctx {
	struct opts *o;
	struct buf in;			/* bytes of the stream not yet parsed */
	char last_id[64];		/* Last-Event-ID for a reconnect */
	int connected;			/* the stream started at least once */
};

/* One SSE event (its lines, NUL-terminated): print an article, a delete, a gap. */
static void watch_event(struct watch_ctx *c, char *ev)
{
	char *line, *save = NULL, *event = "message", *data = NULL;
	struct buf out = {0};
	json_t *o;

	for (line = strtok_r(ev, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ':');

		if (v == NULL || v == line)
			continue;	/* a comment (": ping") or a field without value */
		*v++ = '\0';
		if (*v == ' ')
			v++;
		if (strcmp(line, "event") == 0)
			event = v;
		else if (strcmp(line, "data") == 0)
			data = v;
		else if (strcmp(line, "id") == 0)
			snprintf(c->last_id, sizeof(c->last_id), "%s", v);
	}
	if (data == NULL)
		return;
	if (c->o->json && strcmp(event, "gap") != 0) {
		printf("%s\n", data);
		fflush(stdout);
		return;
	}
	o = json_loads(data, 0, NULL);
	if (o == NULL)
		return;
	if (strcmp(event, "article") == 0) {
		if (json_is_true(json_object_get(o, "updated")))
			buf_puts(&out, c->o->color ? "\033[36m[updated]\033[0m " : "[updated] ");
		print_hit(&out, c->o, o);
	} else if (strcmp(event, "deleted") == 0) {
		buf_puts(&out, c->o->color ? "\033[31m[deleted]\033[0m " : "[deleted] ");
		render_plain(&out, jstr(o, "id") ? jstr(o, "id") : "?", 0);
		buf_puts(&out, "\n\n");
	} else if (strcmp(event, "gap") == 0) {
		fprintf(stderr, "newsq: %.0f events were skipped while away (index versions "
			"%.0f to %.0f); search that range to see them\n", jnum(o, "skipped"),
			jnum(o, "from_version"), jnum(o, "to_version"));
	}
	flush_buf(&out);
	fflush(stdout);
	buf_free(&out);
	json_decref(o);
}

/* httpc sink for watch: split the stream into events (blank-line separated). */
static int watch_sink(const void *data, size_t n, void *arg)
{
	struct watch_ctx *c = arg;
	char *end;

	c->connected = 1;
	buf_append(&c->in, data, n);
	while (c->in.len && (end = strstr(c->in.data, "\n\n")) != NULL) {
		size_t used = (size_t)(end - c->in.data) + 2;

		*end = '\0';
		watch_event(c, c->in.data);
		memmove(c->in.data, c->in.data + used, c->in.len - used + 1);
		c->in.len -= used;
	}
	return ferror(stdout) ? -1 : 0;
}

/*
 * watch QUERY: GET /watch, printing each matching article as it is committed, until
 * interrupted. A dropped connection (server restart, too slow) is resumed after 2 s with
 * Last-Event-ID, so nothing is missed; an error answer ends it (exit 3).
 */
static int cmd_watch(struct opts *o)
{
	struct buf t = {0};
	struct watch_ctx c;
	struct httpc_response r;
	char *q = join_args(o), *err = NULL;
	int rc = NEWSQ_SERVER;

	memset(&c, 0, sizeof(c));
	c.o = o;
	if (!*q && !o->nentity && !o->nsource) {
		rc = usage_error("watch needs a QUERY or a filter (--entity, --source)");
		goto out;
	}
	buf_puts(&t, "/watch");
	if (*q)
		add_param(&t, "q", q);
	add_filters(&t, o);
	for (;;) {
		const char *hdrs[] = { "Accept", "text/event-stream", "Last-Event-ID", c.last_id,
				       NULL };

		if (c.last_id[0] == '\0')
			hdrs[2] = NULL;
		buf_reset(&c.in);
		if (httpc_request(&o->srv, EVHTTP_REQ_GET, t.data, NULL, 0, hdrs, watch_sink, &c,
				  &r, &err) != 0) {
			if (!c.connected) {
				fprintf(stderr, "newsq: %s\n", err);
				goto out;
			}
			free(err);
			err = NULL;
		} else if (r.status < 200 || r.status > 299) {
			print_server_error(&r, NULL);
			httpc_response_free(&r);
			goto out;
		} else if (r.sink_failed) {
			httpc_response_free(&r);
			rc = NEWSQ_USAGE;
			goto out;
		}
		httpc_response_free(&r);
		sleep(2);	/* the server went away: come back where we were */
	}
out:
	buf_free(&c.in);
	buf_free(&t);
	free(q);
	free(err);
	return rc;
}

/* ---- health ---- */

/* health: GET /health; one status line (or --json). */
static int cmd_health(struct opts *o)
{
	json_t *root = NULL;
	const char *status;
	int rc;

	rc = get_json(o, "/health", &root);
	if (rc != NEWSQ_OK || o->json)
		goto out;
	status = jstr(root, "status");
	printf("%s: %.0f articles, index version %.0f, server %s\n", status ? status : "?",
	       jnum(root, "articles"), jnum(root, "index_version"), o->server_url);
out:
	json_decref(root);
	return rc;
}

/* similar ID: GET /articles/{id}/similar; one line per article: score, date, id, title, and
 * "copy" for a wire copy of ID. */
static int cmd_similar(struct opts *o)
{
	struct buf t = {0}, out = {0};
	json_t *root = NULL, *list, *e;
	size_t i;
	int rc;

	buf_puts(&t, "/articles/");
	render_url_encode(&t, o->args[0]);
	buf_puts(&t, "/similar");
	add_param(&t, "limit", o->limit);
	add_filters(&t, o);
	rc = get_json(o, t.data, &root);
	if (rc != NEWSQ_OK)
		goto out;
	list = json_object_get(root, "similar");
	rc = json_array_size(list) > 0 ? NEWSQ_OK : NEWSQ_NONE;
	if (o->json)
		goto out;
	json_array_foreach(list, i, e) {
		const char *d = jstr(e, "date");

		buf_printf(&out, "%7.2f  %.10s  ", jnum(e, "score"), d ? d : "");
		render_plain(&out, jstr(e, "id") ? jstr(e, "id") : "", 0);
		buf_puts(&out, "  ");
		render_plain(&out, jstr(e, "title") ? jstr(e, "title") : "(untitled)", 0);
		if (json_is_true(json_object_get(e, "copy")))
			buf_puts(&out, o->color ? "  \033[2m[copy]\033[0m" : "  [copy]");
		buf_putc(&out, '\n');
	}
	flush_buf(&out);
out:
	json_decref(root);
	buf_free(&t);
	buf_free(&out);
	return rc;
}

/* ---- command line ---- */

static const struct command commands[] = {
	{"search", O_FILTERS | O_LANG | O_SORT | O_LIMIT | O_CURSOR | O_JSON | O_ALL_COPIES, 0,
	 SIZE_MAX, cmd_search},
	{"get", O_JSON, 1, 1, cmd_get},
	{"ingest", O_JSON, 1, SIZE_MAX, cmd_ingest},
	{"entities", O_TYPE | O_LIMIT | O_FROM | O_TO | O_JSON, 0, 1, cmd_entities},
	{"related", O_TYPE | O_LIMIT | O_FROM | O_TO | O_JSON, 1, SIZE_MAX, cmd_related},
	{"similar", O_LIMIT | O_FROM | O_TO | O_SOURCE | O_JSON, 1, 1, cmd_similar},
	{"timeline", O_FILTERS | O_INTERVAL | O_JSON, 0, SIZE_MAX, cmd_timeline},
	{"export", O_FILTERS | O_FORMAT | O_FIELDS, 0, SIZE_MAX, cmd_export},
	{"health", O_JSON, 0, 0, cmd_health},
	{"watch", O_FILTERS | O_JSON, 0, SIZE_MAX, cmd_watch},
};

static int one_of(const char *v, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(v, *allowed) == 0)
			return 1;
	return 0;
}

/* Check option values whose domain the API fixes, so a typo is a usage error (exit 2). */
static int check_values(const struct opts *o)
{
	static const char *const sorts[] = {"relevance", "newest", "oldest", NULL};
	static const char *const intervals[] = {"day", "week", "month", NULL};
	static const char *const formats[] = {"jsonl", "csv", NULL};
	static const char *const types[] = {"person", "org", "place", NULL};
	const char *p;

	if (o->sort && !one_of(o->sort, sorts))
		return usage_error("--sort must be relevance, newest or oldest, not '%s'", o->sort);
	if (o->interval && !one_of(o->interval, intervals))
		return usage_error("--interval must be day, week or month, not '%s'", o->interval);
	if (o->format && !one_of(o->format, formats))
		return usage_error("--format must be jsonl or csv, not '%s'", o->format);
	if (o->type && !one_of(o->type, types))
		return usage_error("--type must be person, org or place, not '%s'", o->type);
	if (o->limit) {
		for (p = o->limit; *p >= '0' && *p <= '9'; p++)
			;
		if (*p || p == o->limit || p - o->limit > 9)
			return usage_error("--limit must be a whole number, not '%s'",
					   o->limit);
	}
	return NEWSQ_OK;
}

/* Store the value of option def (given as spelled) in o. */
static void set_option(struct opts *o, const struct option_def *def, const char *spelled,
		       const char *value)
{
	size_t bit = 0;

	while ((1u << bit) != def->flag)
		bit++;
	o->seen |= def->flag;
	o->seen_name[bit] = spelled;
	switch (def->flag) {
	case O_FROM: o->from = value; break;
	case O_TO: o->to = value; break;
	case O_ENTITY: o->entity[o->nentity++] = value; break;
	case O_SOURCE: o->source[o->nsource++] = value; break;
	case O_LANG: o->lang[o->nlang++] = value; break;
	case O_SORT: o->sort = value; break;
	case O_LIMIT: o->limit = value; break;
	case O_CURSOR: o->cursor = value; break;
	case O_INTERVAL: o->interval = value; break;
	case O_FORMAT: o->format = value; break;
	case O_FIELDS: o->fields = value; break;
	case O_TYPE: o->type = value; break;
	case O_JSON: o->json = 1; break;
	case O_ALL_COPIES: o->all_copies = 1; break;
	default: break;
	}
}

/*
 * Parse argv into o and *cmd_name. Options may come before or after the command and its
 * arguments; "--opt=value" and "--opt value" both work; after "--" everything is positional.
 * A word starting with a single '-' after the command is a positional (the query language's
 * exclusion, `newsq search ice -protest`). Returns NEWSQ_OK, NEWSQ_USAGE (message printed),
 * or -1 when help was asked for.
 */
static int parse_args(int argc, char **argv, struct opts *o, const char **cmd_name)
{
	int i, dashdash = 0, help = 0;
	size_t k, nlen;
	const char *a, *eq, *value;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (dashdash || a[0] != '-' || strcmp(a, "-") == 0 ||
		    (a[1] != '-' && *cmd_name != NULL && strcmp(a, "-s") != 0 &&
		     strcmp(a, "-h") != 0)) {
			if (*cmd_name == NULL)
				*cmd_name = a;
			else
				o->args[o->nargs++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			help = 1;
			continue;
		}
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		if (strcmp(a, "-s") == 0 || (nlen == 8 && strncmp(a, "--server", 8) == 0)) {
			if (eq == NULL && i + 1 >= argc)
				return usage_error("%s needs a URL", a);
			o->server_url = eq ? eq + 1 : argv[++i];
			o->server_given = 1;
			continue;
		}
		for (k = 0; k < sizeof(option_defs) / sizeof(option_defs[0]); k++)
			if (strlen(option_defs[k].name) == nlen &&
			    strncmp(a, option_defs[k].name, nlen) == 0)
				break;
		if (k == sizeof(option_defs) / sizeof(option_defs[0]))
			return usage_error("unknown option '%.*s'", (int)nlen, a);
		if (!option_defs[k].takes_value) {
			if (eq != NULL)
				return usage_error("%s takes no value", option_defs[k].name);
			value = NULL;
		} else if (eq != NULL) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			return usage_error("%s needs a value", option_defs[k].name);
		}
		set_option(o, &option_defs[k], option_defs[k].name, value);
	}
	return help ? -1 : NEWSQ_OK;
}

/* Parse the command line, check it against the command table, run the command. */
int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd_name = NULL, *env, *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
	const struct command *cmd = NULL;
	char *err = NULL;
	size_t k, bit;
	int rc;

	memset(&o, 0, sizeof(o));
	o.entity = xcalloc((size_t)argc, sizeof(*o.entity));
	o.source = xcalloc((size_t)argc, sizeof(*o.source));
	o.lang = xcalloc((size_t)argc, sizeof(*o.lang));
	o.args = xcalloc((size_t)argc, sizeof(*o.args));
	env = getenv("NEWSQ_SERVER");
	o.server_url = env != NULL && *env ? env : NEWSQ_DEFAULT_SERVER;

	rc = parse_args(argc, argv, &o, &cmd_name);
	if (rc == -1) {
		fputs(usage_text, stdout);
		rc = NEWSQ_OK;
		goto out;
	}
	if (rc != NEWSQ_OK)
		goto out;
	if (cmd_name == NULL) {
		fputs(usage_text, stderr);
		rc = NEWSQ_USAGE;
		goto out;
	}
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(commands[k].name, cmd_name) == 0)
			cmd = &commands[k];
	if (cmd == NULL) {
		rc = usage_error("unknown command '%s'", cmd_name);
		goto out;
	}
	if (o.seen & ~cmd->allowed) {
		for (bit = 0; !((o.seen & ~cmd->allowed) & (1u << bit)); bit++)
			;
		rc = usage_error("%s does not apply to '%s'", o.seen_name[bit], cmd->name);
		goto out;
	}
	if (o.nargs < cmd->min_args || o.nargs > cmd->max_args) {
		rc = usage_error("'%s' takes %s", cmd->name,
				 cmd->max_args == 0 ? "no arguments" :
				 cmd->min_args == 0 ? "at most one argument" :
				 cmd->max_args == 1 ? "exactly one argument" :
				 "at least one argument");
		goto out;
	}
	rc = check_values(&o);
	if (rc != NEWSQ_OK)
		goto out;
	if (render_parse_server(o.server_url, &o.srv, &err) != 0) {
		rc = usage_error("%s", err);
		goto out;
	}
	o.color = isatty(STDOUT_FILENO) && (no_color == NULL || *no_color == '\0') &&
		  (term == NULL || strcmp(term, "dumb") != 0);
	rc = cmd->run(&o);
	if (fflush(stdout) != 0 && rc == NEWSQ_OK) {
		fprintf(stderr, "newsq: writing output failed: %s\n", strerror(errno));
		rc = NEWSQ_USAGE;
	}
out:
	render_server_free(&o.srv);
	free(o.entity);
	free(o.source);
	free(o.lang);
	free(o.args);
	free(err);
	return rc;
}
