/* test_parse.c — input formats (index/parse.c): JSON Lines, JSON, .txt, gzip, files, walks. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "date.h"
#include "parse.h"
#include "util.h"

#define SHARED "../shared"
#define SEED SHARED "/seeds/000_17734199b23d2403.txt"
#define SAMPLE SHARED "/corpus/sample-100.jsonl"
#define REUTERS SHARED "/corpus/reuters21578.jsonl.gz"
#define MiB (1024 * 1024)

/* A sink that keeps everything it is given (or only counts, for the large corpus). */
struct rej {
	long line;
	char *id;
	char *error;
};
struct coll {
	struct article *arts;
	long *lines;
	size_t n, cap;
	struct rej *rejs;
	size_t nrej, caprej;
	int count_only;
	size_t stop_after;	/* record returns -1 after this many (0: never) */
	char **errmsg;		/* where a stopping sink writes its reason, or NULL */
};

static int coll_record(void *ctx, struct article *a, long line)
{
	struct coll *c = ctx;

	if (c->count_only) {
		article_clear(a);
		c->n++;
	} else {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 16;
			c->arts = xrealloc(c->arts, c->cap * sizeof(*c->arts));
			c->lines = xrealloc(c->lines, c->cap * sizeof(*c->lines));
		}
		c->arts[c->n] = *a;
		c->lines[c->n] = line;
		c->n++;
	}
	if (c->stop_after && c->n >= c->stop_after) {
		if (c->errmsg)
			set_error(c->errmsg, "sink full");
		return -1;
	}
	return 0;
}

static int coll_reject(void *ctx, long line, const char *id, const char *error)
{
	struct coll *c = ctx;

	if (c->nrej == c->caprej) {
		c->caprej = c->caprej ? c->caprej * 2 : 16;
		c->rejs = xrealloc(c->rejs, c->caprej * sizeof(*c->rejs));
	}
	c->rejs[c->nrej].line = line;
	c->rejs[c->nrej].id = id ? xstrdup(id) : NULL;
	c->rejs[c->nrej].error = xstrdup(error);
	c->nrej++;
	return 0;
}

static void coll_free(struct coll *c)
{
	size_t i;

	for (i = 0; i < c->n && !c->count_only; i++)
		article_clear(&c->arts[i]);
	for (i = 0; i < c->nrej; i++) {
		free(c->rejs[i].id);
		free(c->rejs[i].error);
	}
	free(c->arts);
	free(c->lines);
	free(c->rejs);
	memset(c, 0, sizeof(*c));
}

static void dump(const struct coll *c)
{
	size_t i;

	for (i = 0; i < c->nrej; i++)
		fprintf(stderr, "  rejected line %ld id %s: %s\n", c->rejs[i].line,
			c->rejs[i].id ? c->rejs[i].id : "(none)", c->rejs[i].error);
}

/* Parse a NUL-terminated text with a fresh collector; returns parse_buffer's result. */
static int run_named(const char *text, size_t len, const char *name, enum parse_format f,
		     struct coll *c, char **err)
{
	struct parse_sink sink = { .record = coll_record, .reject = coll_reject, .ctx = c };

	return parse_buffer(text, len, name, f, 64 * MiB, &sink, err);
}

static int run(const char *text, struct coll *c)
{
	char *err = NULL;
	int rc = run_named(text, strlen(text), NULL, PARSE_AUTO, c, &err);

	if (rc < 0)
		fprintf(stderr, "parse failed: %s\n", err);
	free(err);
	return rc;
}

/* gzip data of in[0..n) made in memory with zlib (gzip wrapper: windowBits 16 + 15). */
static char *gz(const char *in, size_t n, size_t *outlen)
{
	z_stream z;
	size_t cap;
	char *out;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	cap = deflateBound(&z, n) + 64;
	out = xmalloc(cap);
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (unsigned)n;
	z.next_out = (unsigned char *)out;
	z.avail_out = (unsigned)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

static int64_t iso(const char *s)
{
	int64_t t = 0;

	ck_assert_int_eq(date_parse(s, strlen(s), &t, NULL, NULL), 0);
	return t;
}

static const struct rej *find_rej(const struct coll *c, long line)
{
	size_t i;

	for (i = 0; i < c->nrej; i++)
		if (c->rejs[i].line == line)
			return &c->rejs[i];
	return NULL;
}

static void check_rej(const struct coll *c, long line, const char *id, const char *says)
{
	const struct rej *r = find_rej(c, line);

	ck_assert_msg(r != NULL, "line %ld was not rejected", line);
	ck_assert_msg(strstr(r->error, says) != NULL, "line %ld: '%s' lacks '%s'", line,
		      r->error, says);
	if (id == NULL)
		ck_assert_msg(r->id == NULL, "line %ld: id %s", line, r->id);
	else
		ck_assert_msg(r->id && strcmp(r->id, id) == 0, "line %ld: id %s, want %s", line,
			      r->id ? r->id : "(null)", id);
}

static int have(const char *path)
{
	if (access(path, R_OK) == 0)
		return 1;
	fprintf(stderr, "skipped: %s is absent\n", path);
	return 0;
}

/* ---- JSON Lines, JSON object, JSON array ---- */

START_TEST(test_jsonl_basic)
{
	const char *in =
		"{\"id\":\"a\",\"title\":\" First \",\"body\":\"Body one.\",\"date\":\"2026-01-07\","
		"\"source\":\"wire\",\"url\":\"http://x/1\",\"lang\":\"en\"}\r\n"
		"\r\n"
		"   \n"
		"{\"id\":\"b\",\"title\":\"Second\",\"date\":\"2026-01-07T10:00:00+01:00\"}\r\n"
		"{\"id\":7,\"body\":\"only body\",\"date\":\"2026-01-08\",\"source\":\"\","
		"\"url\":null}";
	struct coll c = { 0 };

	ck_assert_int_eq(run(in, &c), 0);
	dump(&c);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_uint_eq(c.nrej, 0);
	ck_assert_int_eq(c.lines[0], 1);
	ck_assert_int_eq(c.lines[1], 4);
	ck_assert_int_eq(c.lines[2], 5);
	ck_assert_str_eq(c.arts[0].id, "a");
	ck_assert_str_eq(c.arts[0].title, "First");
	ck_assert_str_eq(c.arts[0].body, "Body one.");
	ck_assert_int_eq(c.arts[0].date, iso("2026-01-07"));
	ck_assert_str_eq(c.arts[0].source, "wire");
	ck_assert_str_eq(c.arts[0].url, "http://x/1");
	ck_assert_str_eq(c.arts[0].lang, "en");
	ck_assert_ptr_null(c.arts[0].authors_json);
	ck_assert_ptr_null(c.arts[0].extra_json);
	ck_assert_str_eq(c.arts[1].body, "");
	ck_assert_int_eq(c.arts[1].date, iso("2026-01-07T09:00:00Z"));
	ck_assert_ptr_null(c.arts[1].source);
	ck_assert_str_eq(c.arts[2].id, "7");
	ck_assert_str_eq(c.arts[2].title, "");
	ck_assert_ptr_null(c.arts[2].source);
	ck_assert_ptr_null(c.arts[2].url);
	coll_free(&c);
}
END_TEST

START_TEST(test_json_object)
{
	const char *in =
		"\n  {\n"
		"    \"id\": \"one\",\n"
		"    \"title\": \"Pretty\",\n"
		"    \"body\": \"Printed\\nover lines\",\n"
		"    \"date\": \"2026-01-07T15:04:05Z\"\n"
		"  }\n\n";
	struct coll c = { 0 };

	ck_assert_int_eq(run(in, &c), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_uint_eq(c.nrej, 0);
	ck_assert_int_eq(c.lines[0], 2);
	ck_assert_str_eq(c.arts[0].id, "one");
	ck_assert_str_eq(c.arts[0].body, "Printed\nover lines");
	coll_free(&c);
}
END_TEST

/* A broken pretty-printed object is one rejection with jansson's position, not one per line. */
START_TEST(test_json_object_invalid)
{
	const char *in =
		"{\n"
		"  \"id\": \"one\",\n"
		"  \"title\": \"Pretty\"\n"
		"  \"date\": \"2026-01-07\"\n"
		"}\n";
	struct coll c = { 0 };

	ck_assert_int_eq(run(in, &c), 0);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_uint_eq(c.nrej, 1);
	check_rej(&c, 1, NULL, "invalid JSON: ");
	check_rej(&c, 1, NULL, "(line 4,");
	coll_free(&c);
}
END_TEST

/* JSON Lines whose first line is broken: that line is rejected, the rest still count. */
START_TEST(test_jsonl_bad_first_line)
{
	const char *in =
		"{\"id\":\"a\",\"title\":\"x\",\n"
		"{\"id\":\"b\",\"title\":\"B\",\"date\":\"2026-01-07\"}\n"
		"{\"id\":\"c\",\"title\":\"C\",\"date\":\"2026-01-07\"}\n";
	struct coll c = { 0 };

	ck_assert_int_eq(run(in, &c), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(c.nrej, 1);
	check_rej(&c, 1, NULL, "invalid JSON: ");
	ck_assert_int_eq(c.lines[0], 2);
	ck_assert_str_eq(c.arts[1].id, "c");
	coll_free(&c);
}
END_TEST

START_TEST(test_json_array)
{
	const char *in =
		"[\n"
		"  {\"id\": \"a\", \"title\": \"A [not a bracket]\", \"date\": \"2026-01-07\"},\n"
		"  42,\n"
		"  {\"id\": \"c\", \"title\": \"C \\\"quoted\\\\\\\" }\", \"date\": \"2026-01-07\","
		"   \"entities\": {\"people\": [\"X\"]}},\n"
		"  {\"id\": \"d\", \"title\": },\n"
		"  {\"id\": \"e\", \"date\": \"2026-01-07\"},\n"
		"  {\"id\": \"f\", \"title\": \"F\", \"date\": \"2026-01-07\"}\n"
		"]\n";
	struct coll c = { 0 };

	ck_assert_int_eq(run(in, &c), 0);
	dump(&c);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_uint_eq(c.nrej, 3);
	ck_assert_str_eq(c.arts[0].id, "a");
	ck_assert_str_eq(c.arts[0].title, "A [not a bracket]");
	ck_assert_int_eq(c.lines[0], 1);
	ck_assert_str_eq(c.arts[1].id, "c");
	ck_assert_str_eq(c.arts[1].title, "C \"quoted\\\" }");
	ck_assert_int_eq(c.lines[1], 3);
	ck_assert_str_eq(c.arts[2].id, "f");
	ck_assert_int_eq(c.lines[2], 6);
	check_rej(&c, 2, NULL, "record must be a JSON object, not an integer");
	check_rej(&c, 4, NULL, "invalid JSON");
	check_rej(&c, 5, "e", "title and body are both empty");
	coll_free(&c);
}
END_TEST

START_TEST(test_json_array_broken)
{
	static const struct {
		const char *in, *says;
	} cases[] = {
		{ "[{\"id\":\"a\",\"title\":\"A\",\"date\":\"2026-01-07\"}", "missing ']'" },
		{ "[{\"title\":\"A\"}] trailing", "after the closing ']'" },
		{ "[{\"title\":\"A}]", "unterminated string" },
		{ "[}]", "unexpected '}'" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct coll c = { 0 };
		char *err = NULL;

		ck_assert_int_eq(run_named(cases[i].in, strlen(cases[i].in), NULL, PARSE_AUTO, &c,
					   &err), -1);
		ck_assert_msg(err && strstr(err, cases[i].says), "%s: '%s'", cases[i].in, err);
		ck_assert_uint_eq(c.n, 0);
		free(err);
		coll_free(&c);
	}
}
END_TEST

START_TEST(test_empty_inputs)
{
	static const char *const ins[] = { "", "   \n\n", "\xEF\xBB\xBF", "[]", "[ \n ]" };
	size_t i;

	for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		struct coll c = { 0 };

		ck_assert_int_eq(run(ins[i], &c), 0);
		ck_assert_uint_eq(c.n, 0);
		ck_assert_uint_eq(c.nrej, 0);
		coll_free(&c);
	}
	{
		struct coll c = { 0 };

		ck_assert_int_eq(run("[,]", &c), 0);
		ck_assert_uint_eq(c.nrej, 2);
		check_rej(&c, 1, NULL, "empty array element");
		coll_free(&c);
	}
}
END_TEST

START_TEST(test_not_json)
{
	struct coll c = { 0 };
	char *err = NULL;

	ck_assert_int_eq(run_named("hello", 5, NULL, PARSE_AUTO, &c, &err), -1);
	ck_assert_str_eq(err, "input is not JSON: expected '{' or '[' but it starts with 'h'");
	free(err);
	err = NULL;
	ck_assert_int_eq(run_named("\x01{}", 3, NULL, PARSE_AUTO, &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "byte 0x01"));
	free(err);
	coll_free(&c);
}
END_TEST

START_TEST(test_bom_and_crlf)
{
	const char *in = "\xEF\xBB\xBF{\"id\":\"a\",\"title\":\"A\",\"date\":\"2026-01-07\"}\r\n"
			 "{\"id\":\"b\",\"title\":\"B\",\"date\":\"2026-01-07\"}\r\n";
	struct coll c = { 0 };

	ck_assert_int_eq(run(in, &c), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_int_eq(c.lines[1], 2);
	coll_free(&c);

	ck_assert_int_eq(run("\xEF\xBB\xBF  [{\"id\":\"a\",\"title\":\"A\",\"date\":\"2026-01-07\"}]",
			     &c), 0);
	ck_assert_uint_eq(c.n, 1);
	coll_free(&c);
}
END_TEST

/* Good and bad lines mixed: every bad one rejected with its line and reason. */
START_TEST(test_bad_lines)
{
	struct buf b = { 0 };
	struct coll c = { 0 };
	char *long_title = xmalloc(70000);

	memset(long_title, 'x', 69999);
	long_title[69999] = '\0';
	buf_puts(&b, "{\"id\":\"ok1\",\"title\":\"T\",\"date\":\"2026-01-07\"}\n");		/* 1 */
	buf_puts(&b, "{\"id\":\"nodate\",\"title\":\"T\"}\n");				/* 2 */
	buf_puts(&b, "{\"id\":\"baddate\",\"title\":\"T\",\"date\":\"2026-13-01\"}\n");	/* 3 */
	buf_puts(&b, "{\"id\":\"empty\",\"title\":\" \",\"body\":\"\",\"date\":\"2026-01-07\"}\n"); /* 4 */
	buf_puts(&b, "{\"id\":\"typ\",\"title\":5,\"date\":\"2026-01-07\"}\n");		/* 5 */
	buf_puts(&b, "{\"id\":\"json\",\"title\":\"T\",\"date\":\"2026-01-07\"\n");		/* 6 */
	buf_puts(&b, "[1,2]\n");							/* 7 */
	buf_puts(&b, "{\"id\":\"ok2\",\"body\":\"B\",\"date\":\"2026-01-07\"}\n");		/* 8 */
	buf_puts(&b, "{\"id\":true,\"title\":\"T\",\"date\":\"2026-01-07\"}\n");		/* 9 */
	buf_puts(&b, "{\"id\":\"nul\",\"title\":\"a\\u0000b\",\"date\":\"2026-01-07\"}\n");	/* 10 */
	buf_puts(&b, "{\"id\":\"dt\",\"title\":\"T\",\"date\":20260107}\n");		/* 11 */
	buf_puts(&b, "{\"id\":\"au\",\"title\":\"T\",\"date\":\"2026-01-07\",\"authors\":[1]}\n"); /* 12 */
	buf_puts(&b, "{\"id\":\"en\",\"title\":\"T\",\"date\":\"2026-01-07\",\"entities\":[]}\n"); /* 13 */
	buf_puts(&b, "{\"id\":\"en2\",\"title\":\"T\",\"date\":\"2026-01-07\","
		 "\"entities\":{\"people\":\"X\"}}\n");					/* 14 */
	buf_printf(&b, "{\"id\":\"long\",\"title\":\"%s\",\"date\":\"2026-01-07\"}\n", long_title); /* 15 */
	buf_puts(&b, "{\"id\":\"");							/* 16 */
	memset(long_title, 'i', 513);
	buf_append(&b, long_title, 513);
	buf_puts(&b, "\",\"title\":\"T\",\"date\":\"2026-01-07\"}\n");
	buf_puts(&b, "{\"id\":\"\",\"title\":\"T\",\"date\":\"2026-01-07\"}\n");		/* 17 */
	buf_puts(&b, "{\"id\":\"a\\u0001b\",\"title\":\"T\",\"date\":\"2026-01-07\"}\n");	/* 18 */
	buf_puts(&b, "{\"id\":\"src\",\"title\":\"T\",\"date\":\"2026-01-07\",\"source\":[]}\n"); /* 19 */
	buf_puts(&b, "{\"id\":\"ok3\",\"title\":\"T\",\"date\":\"2026-01-07\"}");		/* 20 */

	ck_assert_int_eq(run(b.data, &c), 0);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_uint_eq(c.nrej, 17);
	ck_assert_int_eq(c.lines[0], 1);
	ck_assert_int_eq(c.lines[1], 8);
	ck_assert_int_eq(c.lines[2], 20);
	check_rej(&c, 2, "nodate", "missing date");
	check_rej(&c, 3, "baddate", "date: month 13 is out of range in '2026-13-01'");
	check_rej(&c, 4, "empty", "title and body are both empty");
	check_rej(&c, 5, "typ", "field 'title' must be a string, not an integer");
	check_rej(&c, 6, NULL, "invalid JSON: ");
	check_rej(&c, 7, NULL, "record must be a JSON object, not a list");
	check_rej(&c, 9, NULL, "field 'id' must be a string or an integer, not a boolean");
	check_rej(&c, 10, NULL, "invalid JSON: ");
	check_rej(&c, 11, "dt", "field 'date' must be a string, not an integer");
	check_rej(&c, 12, "au", "field 'authors' must be a list of strings (item 1 is an integer)");
	check_rej(&c, 13, "en", "field 'entities' must be an object, not a list");
	check_rej(&c, 14, "en2", "field 'entities.people' must be a list of strings");
	check_rej(&c, 15, "long", "title is longer than 65536 bytes");
	check_rej(&c, 16, NULL, "id is longer than 512 bytes");
	check_rej(&c, 17, NULL, "field 'id' must not be empty");
	check_rej(&c, 18, NULL, "control characters");
	check_rej(&c, 19, "src", "field 'source' must be a string, not a list");
	free(long_title);
	buf_free(&b);
	coll_free(&c);
}
END_TEST

/* jansson's column counts from the start of the line, leading white space included; in an
 * array element no column is given. */
START_TEST(test_invalid_json_position)
{
	struct coll c = { 0 };

	ck_assert_int_eq(run("{\"id\":\"a\",\"title\":\"A\",\"date\":\"2026-01-07\"}\n"
			     "    {\"a\": x}\n", &c), 0);
	ck_assert_uint_eq(c.nrej, 1);
	check_rej(&c, 2, NULL, "(column 11)");
	coll_free(&c);
	ck_assert_int_eq(run("[{\"a\": x}]", &c), 0);
	ck_assert_uint_eq(c.nrej, 1);
	ck_assert_ptr_null(strstr(c.rejs[0].error, "column"));
	coll_free(&c);
}
END_TEST

/* Lines of any length: a 3 MB body on one line. */
START_TEST(test_long_line)
{
	struct buf b = { 0 };
	struct coll c = { 0 };
	size_t i;

	buf_puts(&b, "{\"id\":\"short\",\"title\":\"S\",\"date\":\"2026-01-07\"}\n");
	buf_puts(&b, "{\"id\":\"big\",\"date\":\"2026-01-07\",\"body\":\"");
	for (i = 0; i < 300000; i++)
		buf_puts(&b, "word word ");
	buf_puts(&b, "end\"}\n");
	ck_assert_int_eq(run(b.data, &c), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(strlen(c.arts[1].body), 3000003);
	buf_free(&b);
	coll_free(&c);
}
END_TEST

/* ---- record fields ---- */

START_TEST(test_hash_id)
{
	const char *in =
		"{\"title\":\"T\",\"date\":\"2026-01-07\",\"source\":\"S\",\"url\":\"U\"}\n"
		"{\"title\":\"T\",\"date\":\"2026-01-07\",\"source\":\"S\",\"url\":\"U\",\"body\":\"B\"}\n"
		"{\"title\":\"T2\",\"date\":\"2026-01-07\",\"source\":\"S\",\"url\":\"U\"}\n"
		"{\"id\":null,\"title\":\"T\",\"date\":\"2026-01-07\"}\n";
	const char joined[] = "S\x1fU\x1fT\x1f" "2026-01-07";
	struct coll c = { 0 };
	char want[18];
	size_t i;

	ck_assert_int_eq(run(in, &c), 0);
	ck_assert_uint_eq(c.n, 4);
	snprintf(want, sizeof(want), "h%016llx",
		 (unsigned long long)hash64(joined, sizeof(joined) - 1, 0));
	ck_assert_str_eq(c.arts[0].id, want);
	ck_assert_uint_eq(strlen(c.arts[0].id), 17);
	for (i = 1; i < 17; i++)
		ck_assert(strchr("0123456789abcdef", c.arts[0].id[i]) != NULL);
	/* The body is not part of the hash; the title is. */
	ck_assert_str_eq(c.arts[1].id, c.arts[0].id);
	ck_assert_str_ne(c.arts[2].id, c.arts[0].id);
	ck_assert_str_ne(c.arts[3].id, c.arts[0].id);
	ck_assert_int_eq(c.arts[3].id[0], 'h');
	coll_free(&c);

	/* Stable across runs. */
	ck_assert_int_eq(run(in, &c), 0);
	ck_assert_str_eq(c.arts[0].id, want);
	coll_free(&c);
}
END_TEST

START_TEST(test_extra_and_authors)
{
	const char *in =
		"{\"id\":\"a\",\"title\":\"T\",\"date\":\"2026-01-07\",\"dateline\":\"CLEVELAND, Feb 26\","
		"\"topics\":[\"cocoa\",\"earn\"],\"n\":1.5,\"nested\":{\"k\":[null,true]},"
		"\"authors\":[\"Ann Lee\",\"Bo Ek\"],"
		"\"entities\":{\"places\":[\"usa\"],\"exchanges\":[\"nyse\"],\"companies\":[]}}\n"
		"{\"id\":\"b\",\"title\":\"T\",\"date\":\"2026-01-07\",\"authors\":\"Solo Writer\","
		"\"entities\":{\"people\":[]}}\n"
		"{\"id\":\"c\",\"title\":\"T\",\"date\":\"2026-01-07\",\"authors\":[],"
		"\"caf\\u00e9\":\"cr\\u00e8me\"}\n";
	struct coll c = { 0 };

	ck_assert_int_eq(run(in, &c), 0);
	dump(&c);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_str_eq(c.arts[0].extra_json,
			 "{\"dateline\":\"CLEVELAND, Feb 26\",\"topics\":[\"cocoa\",\"earn\"],"
			 "\"n\":1.5,\"nested\":{\"k\":[null,true]},"
			 "\"entities\":{\"exchanges\":[\"nyse\"],\"companies\":[]}}");
	ck_assert_str_eq(c.arts[0].authors_json, "[\"Ann Lee\",\"Bo Ek\"]");
	ck_assert_uint_eq(c.arts[0].nents, 1);
	ck_assert_str_eq(c.arts[1].authors_json, "[\"Solo Writer\"]");
	ck_assert_ptr_null(c.arts[1].extra_json);
	ck_assert_ptr_null(c.arts[2].authors_json);
	ck_assert_str_eq(c.arts[2].extra_json, "{\"caf\xC3\xA9\":\"cr\xC3\xA8me\"}");
	coll_free(&c);
}
END_TEST

START_TEST(test_entities)
{
	const char *in =
		"{\"id\":\"a\",\"title\":\"T\",\"date\":\"2026-01-07\",\"entities\":{"
		"\"people\":[\"Renee Good\",\"renee good\",\"\",\"  \",\" Jonathan Ross \",null],"
		"\"orgs\":[\"ICE\",\"Ice\",\"DHS\"],"
		"\"places\":[\"Minneapolis\",\"Ice\"],"
		"\"person\":[\"RENEE GOOD\",\"Tim Walz\"]}}\n";
	struct coll c = { 0 };
	struct article *a;

	/* A null inside a list is a type error, not skipped. */
	ck_assert_int_eq(run(in, &c), 0);
	ck_assert_uint_eq(c.n, 0);
	check_rej(&c, 1, "a", "field 'entities.people' must be a list of strings (item 6 is null)");
	coll_free(&c);

	in = "{\"id\":\"a\",\"title\":\"T\",\"date\":\"2026-01-07\",\"entities\":{"
	     "\"people\":[\"Renee Good\",\"renee good\",\"\",\"  \",\" Jonathan Ross \"],"
	     "\"orgs\":[\"ICE\",\"Ice\",\"DHS\"],"
	     "\"places\":[\"Minneapolis\",\"Ice\"],"
	     "\"person\":[\"RENEE GOOD\",\"Tim Walz\"], \"orgs\": null}}\n";
	ck_assert_int_eq(run(in, &c), 0);
	dump(&c);
	ck_assert_uint_eq(c.n, 1);
	a = &c.arts[0];
	/* Duplicate key "orgs": the last value (null) wins, as in jansson. */
	ck_assert_uint_eq(a->nents, 5);
	ck_assert_int_eq(a->ents[0].type, ENTITY_PERSON);
	ck_assert_str_eq(a->ents[0].name, "Renee Good");
	ck_assert_int_eq(a->ents[0].given, 1);
	ck_assert_int_eq(a->ents[0].count, 1);
	ck_assert_str_eq(a->ents[1].name, "Jonathan Ross");
	ck_assert_int_eq(a->ents[2].type, ENTITY_PLACE);
	ck_assert_str_eq(a->ents[2].name, "Minneapolis");
	ck_assert_int_eq(a->ents[3].type, ENTITY_PLACE);
	ck_assert_str_eq(a->ents[3].name, "Ice");
	ck_assert_int_eq(a->ents[4].type, ENTITY_PERSON);
	ck_assert_str_eq(a->ents[4].name, "Tim Walz");
	ck_assert_ptr_null(a->extra_json);
	coll_free(&c);

	{
		struct buf b = { 0 };
		int k;

		buf_puts(&b, "{\"id\":\"many\",\"title\":\"T\",\"date\":\"2026-01-07\","
			 "\"entities\":{\"places\":[\"x\"");
		for (k = 0; k < 1000; k++)
			buf_puts(&b, ",\"x\"");
		buf_puts(&b, "]}}");
		ck_assert_int_eq(run(b.data, &c), 0);
		check_rej(&c, 1, "many", "field 'entities.places' has more than 1000 items");
		coll_free(&c);
		buf_free(&b);
	}

	in = "{\"id\":\"a\",\"title\":\"T\",\"date\":\"2026-01-07\",\"entities\":{"
	     "\"orgs\":[\"ICE\",\"Ice\",\"DHS\"]}}";
	ck_assert_int_eq(run(in, &c), 0);
	ck_assert_uint_eq(c.arts[0].nents, 2);
	ck_assert_int_eq(c.arts[0].ents[1].type, ENTITY_ORG);
	ck_assert_str_eq(c.arts[0].ents[1].name, "DHS");
	coll_free(&c);
}
END_TEST

/* parse_record_json on objects built by hand: the UTF-8 and NUL checks are its own. */
START_TEST(test_record_json_direct)
{
	struct article a;
	char *err = NULL;
	json_t *o = json_object();

	json_object_set_new(o, "title", json_stringn_nocheck("bad \xff utf8", 10));
	json_object_set_new(o, "date", json_string("2026-01-07"));
	ck_assert_int_eq(parse_record_json(o, &a, &err), -1);
	ck_assert_str_eq(err, "field 'title' is not valid UTF-8 or contains a NUL byte");
	ck_assert_ptr_null(a.id);
	json_object_set_new(o, "title", json_stringn("a\0b", 3));
	ck_assert_int_eq(parse_record_json(o, &a, &err), -1);
	ck_assert_str_eq(err, "field 'title' is not valid UTF-8 or contains a NUL byte");
	json_object_set_new(o, "title", json_string("ok"));
	json_object_set_new(o, "id", json_integer(-12));
	ck_assert_int_eq(parse_record_json(o, &a, &err), 0);
	ck_assert_str_eq(a.id, "-12");
	ck_assert_str_eq(a.title, "ok");
	ck_assert_str_eq(a.body, "");
	article_clear(&a);
	ck_assert_int_eq(parse_record_json(NULL, &a, &err), -1);
	json_decref(o);
	o = json_array();
	ck_assert_int_eq(parse_record_json(o, &a, &err), -1);
	ck_assert_str_eq(err, "record must be a JSON object, not a list");
	free(err);
	json_decref(o);
}
END_TEST

/* ---- the plain-text format ---- */

START_TEST(test_txt_headers)
{
	const char *in =
		"Title:  Agents raid plant \r\n"
		"URL: https://example.org/a\r\n"
		"source : Example Wire\r\n"
		"date 2026-01-07\r\n"
		"\r\n"
		"First paragraph. Still first.\r\n"
		"\r\n"
		"Second paragraph.\r\n\r\n";
	struct coll c = { 0 };
	char *err = NULL;

	ck_assert_int_eq(run_named(in, strlen(in), "in/dir/raid-2026.v2.txt", PARSE_AUTO, &c,
				   &err), 0);
	dump(&c);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_int_eq(c.lines[0], 1);
	ck_assert_str_eq(c.arts[0].id, "raid-2026");
	ck_assert_str_eq(c.arts[0].title, "Agents raid plant");
	ck_assert_str_eq(c.arts[0].url, "https://example.org/a");
	ck_assert_str_eq(c.arts[0].source, "Example Wire");
	ck_assert_int_eq(c.arts[0].date, iso("2026-01-07"));
	ck_assert_str_eq(c.arts[0].body, "First paragraph. Still first.\n\nSecond paragraph.");
	coll_free(&c);
}
END_TEST

START_TEST(test_txt_lead_sentence)
{
	static const struct {
		const char *in, *title;
	} cases[] = {
		{ " date 2026-01-07 Gov. J. Smith met Dr. Jones in the U.S. capital on Jan. 5. "
		  "Then more.", "Gov. J. Smith met Dr. Jones in the U.S. capital on Jan. 5." },
		{ "date 2026-01-07\n\nHe said \"no.\" Then left.", "He said \"no.\"" },
		{ "date 2026-01-07\nWhat now? Nobody knows.", "What now?" },
		{ "date 2026-01-07\nSPRINGFIELD, Ill. (AP) \xE2\x80\x94 A wire\nstory ends here! More.",
		  "SPRINGFIELD, Ill. (AP) \xE2\x80\x94 A wire story ends here!" },
		{ "date 2026-01-07\nNo terminator in the lead\nparagraph\n \nSecond paragraph.",
		  "No terminator in the lead paragraph" },
		{ "date 2026-01-07\nShe said \xE2\x80\x9Cyes.\xE2\x80\x9D Then.",
		  "She said \xE2\x80\x9Cyes.\xE2\x80\x9D" },
		{ "date 2026-01-07\nPrice rose 3.5 pct to 1.2 mln. Next.", "Price rose 3.5 pct to 1.2 mln." },
		{ "date 2026-01-07\nEnds at the end.", "Ends at the end." },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct coll c = { 0 };
		char *err = NULL;

		ck_assert_int_eq(run_named(cases[i].in, strlen(cases[i].in), "x.txt", PARSE_AUTO,
					   &c, &err), 0);
		ck_assert_uint_eq(c.n, 1);
		ck_assert_str_eq(c.arts[0].title, cases[i].title);
		coll_free(&c);
	}
}
END_TEST

/* A long lead is cut to at most 200 bytes on a word boundary. */
START_TEST(test_txt_long_lead)
{
	struct buf b = { 0 };
	struct coll c = { 0 };
	char *err = NULL;
	size_t i, n;

	buf_puts(&b, "date 2026-01-07\n");
	for (i = 0; i < 60; i++)
		buf_puts(&b, "lengthy ");
	buf_puts(&b, "end.");
	ck_assert_int_eq(run_named(b.data, b.len, "x.txt", PARSE_AUTO, &c, &err), 0);
	n = strlen(c.arts[0].title);
	ck_assert(n <= 200 && n > 180);
	ck_assert_int_eq(c.arts[0].title[n - 1], 'y');
	coll_free(&c);
	buf_reset(&b);
	buf_puts(&b, "date 2026-01-07\n");
	for (i = 0; i < 150; i++)
		buf_puts(&b, "\xC3\xA9");		/* one 300-byte word of two-byte characters */
	ck_assert_int_eq(run_named(b.data, b.len, "x.txt", PARSE_AUTO, &c, &err), 0);
	ck_assert_uint_eq(strlen(c.arts[0].title), 200);
	ck_assert(utf8_valid(c.arts[0].title, 200));
	coll_free(&c);
	buf_free(&b);
}
END_TEST

START_TEST(test_txt_rejects)
{
	static const struct {
		const char *in, *says;
	} cases[] = {
		{ "Just a body with no date.\n", "missing 'date YYYY-MM-DD' line" },
		{ "", "missing 'date YYYY-MM-DD' line" },
		{ "title: T\nauthor: X\ndate 2026-01-07\nBody.", "missing 'date YYYY-MM-DD' line" },
		{ "date\n2026-01-07 Body", "missing 'date YYYY-MM-DD' line" },
		{ "date 2026-02-30 Body.", "date: day 30 is out of range for 2026-02" },
		{ "date 2026-01-07\n  \n", "title and body are both empty" },
		{ "date 2026-01-07 \xff\xfe", "not valid UTF-8" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct coll c = { 0 };
		char *err = NULL;

		ck_assert_int_eq(run_named(cases[i].in, strlen(cases[i].in), "d/art-9.txt",
					   PARSE_AUTO, &c, &err), 0);
		ck_assert_uint_eq(c.n, 0);
		ck_assert_uint_eq(c.nrej, 1);
		check_rej(&c, 1, "art-9", cases[i].says);
		coll_free(&c);
	}
}
END_TEST

START_TEST(test_txt_variants)
{
	struct coll c = { 0 };
	char *err = NULL;
	const char *in = "\xEF\xBB\xBF" "Date: 2026-01-07T10:00:00-05:00\nBody only.";

	/* PARSE_TXT without a name: the id is the hash. */
	ck_assert_int_eq(run_named(in, strlen(in), NULL, PARSE_TXT, &c, &err), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_int_eq(c.arts[0].id[0], 'h');
	ck_assert_uint_eq(strlen(c.arts[0].id), 17);
	ck_assert_int_eq(c.arts[0].date, iso("2026-01-07T15:00:00Z"));
	ck_assert_str_eq(c.arts[0].title, "Body only.");
	coll_free(&c);
	/* A title header alone with an empty body is enough. */
	in = "title: Only a title\ndate 2026-01-07\n";
	ck_assert_int_eq(run_named(in, strlen(in), "t.TXT", PARSE_AUTO, &c, &err), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.arts[0].title, "Only a title");
	ck_assert_str_eq(c.arts[0].body, "");
	ck_assert_str_eq(c.arts[0].id, "t");
	coll_free(&c);
	/* A named file without the .txt extension is recognised by its content. */
	in = "date 2026-01-07 Sniffed.";
	ck_assert_int_eq(run_named(in, strlen(in), "spool/notes", PARSE_AUTO, &c, &err), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.arts[0].id, "notes");
	coll_free(&c);
	/* A hidden-style name keeps its leading dot part; an unusable name falls back to the hash. */
	ck_assert_int_eq(run_named(in, strlen(in), ".x.txt", PARSE_AUTO, &c, &err), 0);
	ck_assert_str_eq(c.arts[0].id, ".x");
	coll_free(&c);
	ck_assert_int_eq(run_named(in, strlen(in), "dir/.txt", PARSE_TXT, &c, &err), 0);
	ck_assert_str_eq(c.arts[0].id, ".txt");
	coll_free(&c);
	ck_assert_int_eq(run_named(in, strlen(in), "dir/", PARSE_TXT, &c, &err), 0);
	ck_assert_int_eq(c.arts[0].id[0], 'h');
	coll_free(&c);
}
END_TEST

/* ---- gzip ---- */

static const char *const jsonl3 =
	"{\"id\":\"a\",\"title\":\"A\",\"date\":\"2026-01-07\"}\n"
	"{\"id\":\"b\",\"title\":\"B\",\"date\":\"2026-01-07\"}\n"
	"{\"id\":\"c\",\"title\":\"C\",\"date\":\"2026-01-07\"}\n";

START_TEST(test_gzip_formats)
{
	static const struct {
		const char *in, *name;
		size_t n;
		const char *first_id;
	} cases[] = {
		{ "{\"id\":\"a\",\"title\":\"A\",\"date\":\"2026-01-07\"}\n"
		  "{\"id\":\"b\",\"title\":\"B\",\"date\":\"2026-01-07\"}\n", "x.jsonl.gz", 2, "a" },
		{ "{\n \"id\": \"o\",\n \"title\": \"O\",\n \"date\": \"2026-01-07\"\n}\n", NULL, 1, "o" },
		{ "[{\"id\":\"a\",\"title\":\"A\",\"date\":\"2026-01-07\"},"
		  "{\"id\":\"b\",\"title\":\"B\",\"date\":\"2026-01-07\"}]", "y.json.gz", 2, "a" },
		{ "title: T\ndate 2026-01-07\nBody.", "dir/story.txt.gz", 1, "story" },
		{ "\xEF\xBB\xBF{\"id\":\"bom\",\"title\":\"A\",\"date\":\"2026-01-07\"}", NULL, 1, "bom" },
	};
	size_t i, zn;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct coll c = { 0 };
		char *err = NULL, *z = gz(cases[i].in, strlen(cases[i].in), &zn);

		ck_assert_int_eq(run_named(z, zn, cases[i].name, PARSE_AUTO, &c, &err), 0);
		ck_assert_uint_eq(c.n, cases[i].n);
		ck_assert_uint_eq(c.nrej, 0);
		ck_assert_str_eq(c.arts[0].id, cases[i].first_id);
		free(z);
		coll_free(&c);
	}
}
END_TEST

START_TEST(test_gzip_concatenated)
{
	struct buf b = { 0 };
	struct coll c = { 0 };
	char *err = NULL, *z;
	size_t zn;
	const char *two = "{\"id\":\"d\",\"title\":\"D\",\"date\":\"2026-01-07\"}\n";

	z = gz(jsonl3, strlen(jsonl3), &zn);
	buf_append(&b, z, zn);
	free(z);
	z = gz(two, strlen(two), &zn);
	buf_append(&b, z, zn);
	free(z);
	buf_append(&b, "\0\0\0\0", 4);		/* zero padding after the last member */
	ck_assert_int_eq(run_named(b.data, b.len, NULL, PARSE_AUTO, &c, &err), 0);
	ck_assert_uint_eq(c.n, 4);
	ck_assert_str_eq(c.arts[3].id, "d");
	ck_assert_int_eq(c.lines[3], 4);
	coll_free(&c);

	buf_append(&b, "junk", 4);
	ck_assert_int_eq(run_named(b.data, b.len, NULL, PARSE_AUTO, &c, &err), -1);
	ck_assert_str_eq(err, "unexpected data after the end of the gzip data");
	free(err);
	coll_free(&c);
	buf_free(&b);
}
END_TEST

START_TEST(test_gzip_truncated_corrupt)
{
	struct coll c = { 0 };
	char *err = NULL, *z, *out = NULL;
	size_t zn, outlen, cut;
	struct buf big = { 0 };
	size_t i;

	for (i = 0; i < 2000; i++)
		buf_printf(&big, "{\"id\":\"r%zu\",\"title\":\"Title %zu\",\"date\":\"2026-01-07\"}\n",
			   i, i * 7919);
	z = gz(big.data, big.len, &zn);
	for (cut = 1; cut < zn; cut += zn / 7 + 1) {
		ck_assert_int_eq(run_named(z, zn - cut, NULL, PARSE_AUTO, &c, &err), -1);
		ck_assert_msg(strstr(err, "truncated") != NULL, "cut %zu: %s", cut, err);
		ck_assert_uint_eq(c.n, 0);
		coll_free(&c);
	}
	ck_assert_int_eq(parse_gunzip(z, 2, 100, &out, &outlen, &err), -1);
	ck_assert_ptr_null(out);
	z[zn / 2] ^= 0x55;
	z[zn / 2 + 1] ^= 0x55;
	ck_assert_int_eq(run_named(z, zn, NULL, PARSE_AUTO, &c, &err), -1);
	ck_assert_msg(strstr(err, "corrupt gzip data") != NULL || strstr(err, "truncated"), "%s",
		      err);
	coll_free(&c);
	free(err);
	free(z);
	buf_free(&big);
}
END_TEST

START_TEST(test_gunzip_cap)
{
	char *z, *out = NULL, *err = NULL;
	size_t zn, outlen = 0, n = strlen(jsonl3);

	z = gz(jsonl3, n, &zn);
	ck_assert_int_eq(parse_gunzip(z, zn, n, &out, &outlen, &err), 0);
	ck_assert_uint_eq(outlen, n);
	ck_assert_str_eq(out, jsonl3);
	free(out);
	ck_assert_int_eq(parse_gunzip(z, zn, n - 1, &out, &outlen, &err), -1);
	ck_assert_ptr_nonnull(err);
	{
		char want[64];

		snprintf(want, sizeof(want), "decompressed body exceeds %zu bytes", n - 1);
		ck_assert_str_eq(err, want);
	}
	free(err);
	free(z);
}
END_TEST

/* Peak resident memory of this process in MiB. */
static long max_rss_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

/*
 * A gzip bomb: 200 MB of zeros (about 200 KB compressed) with a 1 MB cap must fail quickly and
 * without the memory. Measured in a child process so the peak RSS is this call's alone.
 */
START_TEST(test_gzip_bomb)
{
	z_stream z;
	char *zeros = xcalloc(1, MiB), *comp;
	size_t cap = 2 * MiB, i;
	pid_t pid;
	int status;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY),
			 Z_OK);
	comp = xmalloc(cap);
	z.next_out = (unsigned char *)comp;
	z.avail_out = (unsigned)cap;
	for (i = 0; i < 200; i++) {
		z.next_in = (unsigned char *)zeros;
		z.avail_in = MiB;
		ck_assert_int_eq(deflate(&z, i == 199 ? Z_FINISH : Z_NO_FLUSH),
				 i == 199 ? Z_STREAM_END : Z_OK);
	}
	ck_assert_uint_lt(z.total_out, cap);
	free(zeros);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct coll c = { 0 };
		struct parse_sink sink = { .record = coll_record, .reject = coll_reject, .ctx = &c };
		char *err = NULL;
		long before = max_rss_mib();
		double t0 = now_monotonic();
		int rc = parse_buffer(comp, z.total_out, NULL, PARSE_AUTO, MiB, &sink, &err);
		double secs = now_monotonic() - t0;
		long grew = max_rss_mib() - before;
		int code = 0;

		if (rc != -1 || err == NULL || strcmp(err, "decompressed body exceeds 1048576 bytes"))
			code = 10;
		else if (grew > 32)
			code = 11;
		else if (secs > 2.0)
			code = 12;
		/* Free what the child inherited too, so valgrind's leak check passes in it. */
		free(err);
		coll_free(&c);
		deflateEnd(&z);
		free(comp);
		_exit(code);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "bomb child failed with %d (10: wrong result, "
		      "11: memory grew, 12: too slow)", WEXITSTATUS(status));
	deflateEnd(&z);
	free(comp);
}
END_TEST

START_TEST(test_max_bytes_plain)
{
	struct coll c = { 0 };
	struct parse_sink sink = { .record = coll_record, .reject = coll_reject, .ctx = &c };
	char *err = NULL;

	ck_assert_int_eq(parse_buffer(jsonl3, strlen(jsonl3), NULL, PARSE_AUTO, 10, &sink, &err), -1);
	ck_assert_str_eq(err, "input exceeds 10 bytes");
	free(err);
	/* 0 = no limit. */
	ck_assert_int_eq(parse_buffer(jsonl3, strlen(jsonl3), NULL, PARSE_AUTO, 0, &sink, NULL), 0);
	ck_assert_uint_eq(c.n, 3);
	coll_free(&c);
}
END_TEST

/* ---- the sink ---- */

START_TEST(test_sink_stops)
{
	struct coll c = { 0 };
	struct parse_sink sink = { .record = coll_record, .reject = coll_reject, .ctx = &c };
	char *err = NULL;

	c.stop_after = 2;
	ck_assert_int_eq(parse_buffer(jsonl3, strlen(jsonl3), NULL, PARSE_AUTO, 0, &sink, &err), -1);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(err, "parsing stopped by the receiver at line 2");
	free(err);
	err = NULL;
	coll_free(&c);
	c.stop_after = 1;
	c.errmsg = &err;
	ck_assert_int_eq(parse_buffer(jsonl3, strlen(jsonl3), NULL, PARSE_AUTO, 0, &sink, &err), -1);
	ck_assert_str_eq(err, "sink full");
	free(err);
	coll_free(&c);
	/* No reject callback: rejections are dropped. */
	sink.reject = NULL;
	ck_assert_int_eq(parse_buffer("{\"x\":1}", 7, NULL, PARSE_AUTO, 0, &sink, NULL), 0);
	coll_free(&c);
}
END_TEST

/* ---- files and walks ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	strcpy(tmpdir, "/tmp/newsd-test-parse-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tree(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s; rm -rf %s", tmpdir, tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *write_file(const char *rel, const void *data, size_t n)
{
	char *p = xasprintf("%s/%s", tmpdir, rel);
	FILE *f = fopen(p, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

START_TEST(test_parse_file)
{
	struct coll c = { 0 };
	struct parse_sink sink = { .record = coll_record, .reject = coll_reject, .ctx = &c };
	char *err = NULL, *p, *z;
	size_t zn;

	make_tmpdir();
	p = write_file("a.jsonl", jsonl3, strlen(jsonl3));
	ck_assert_int_eq(parse_file(p, MiB, &sink, &err), 0);
	ck_assert_uint_eq(c.n, 3);
	coll_free(&c);
	ck_assert_int_eq(parse_file(p, 100, &sink, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "is larger than 100 bytes"));
	ck_assert_ptr_nonnull(strstr(err, p));
	free(p);

	z = gz(jsonl3, strlen(jsonl3), &zn);
	p = write_file("b.jsonl.gz", z, zn);
	ck_assert_int_eq(parse_file(p, MiB, &sink, &err), 0);
	ck_assert_uint_eq(c.n, 3);
	coll_free(&c);
	/* The compressed file fits, the inflated text does not. */
	ck_assert_int_eq(parse_file(p, zn + 1, &sink, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "decompressed body exceeds"));
	ck_assert_ptr_nonnull(strstr(err, "b.jsonl.gz: "));
	free(p);
	free(z);

	p = write_file("c.txt", "date 2026-01-07 Body.", 21);
	ck_assert_int_eq(parse_file(p, MiB, &sink, &err), 0);
	ck_assert_str_eq(c.arts[0].id, "c");
	coll_free(&c);
	free(p);

	p = write_file("empty.json", "", 0);
	ck_assert_int_eq(parse_file(p, MiB, &sink, &err), 0);
	ck_assert_uint_eq(c.n, 0);
	free(p);

	p = xasprintf("%s/missing.jsonl", tmpdir);
	ck_assert_int_eq(parse_file(p, MiB, &sink, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot open"));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	free(p);
	ck_assert_int_eq(parse_file(tmpdir, MiB, &sink, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	free(err);
	remove_tree();
}
END_TEST

/*
 * Large JSON Lines files are read in chunks of whole lines (the threshold lowered to 1 byte
 * here): records, rejects and line numbers must be those of the whole-file path, across chunk
 * boundaries, a line longer than a chunk, a BOM and gzip; other formats still parse whole.
 */
START_TEST(test_parse_file_streamed)
{
	struct coll c = { 0 };
	struct parse_sink sink = { .record = coll_record, .reject = coll_reject, .ctx = &c };
	struct buf text = { 0 };
	char *err = NULL, *p, *z, *big;
	size_t zn, i, nlines = 60000, whole_n = 0, whole_rej = 0;
	int pass;

	make_tmpdir();
	big = xmalloc(5 * MiB + 1);
	memset(big, 'x', 5 * MiB);
	big[5 * MiB] = '\0';
	buf_puts(&text, "\xEF\xBB\xBF");
	for (i = 1; i <= nlines; i++) {
		if (i == 30001)
			buf_puts(&text, "{bad\n");
		else if (i == 40000)
			buf_printf(&text, "{\"id\":\"s%zu\",\"title\":\"long\",\"body\":\"%s\","
				   "\"date\":\"2024-01-01\"}\n", i, big);
		else
			buf_printf(&text, "{\"id\":\"s%zu\",\"title\":\"title %zu\",\"body\":\"a body "
				   "of a few words for line %zu\",\"date\":\"2024-01-01\"}\n", i, i, i);
	}
	parse_set_stream_min_bytes(1);
	z = gz(text.data, text.len, &zn);
	for (pass = 0; pass < 2; pass++) {
		p = pass == 0 ? write_file("big.jsonl", text.data, text.len) :
				write_file("big.jsonl.gz", z, zn);
		ck_assert_msg(parse_file(p, 64 * MiB, &sink, &err) == 0, "%s", err);
		ck_assert_uint_eq(c.n, nlines - 1);
		ck_assert_uint_eq(c.nrej, 1);
		ck_assert_int_eq(c.rejs[0].line, 30001);
		ck_assert_str_eq(c.arts[0].id, "s1");
		ck_assert_int_eq(c.lines[0], 1);
		ck_assert_str_eq(c.arts[29999].id, "s30000");
		ck_assert_int_eq(c.lines[30000], 30002);
		ck_assert_str_eq(c.arts[30000].id, "s30002");
		ck_assert_int_eq(c.lines[39998], 40000);
		ck_assert_uint_eq(strlen(c.arts[39998].body), 5 * MiB);
		ck_assert_str_eq(c.arts[nlines - 2].id, "s60000");
		ck_assert_int_eq(c.lines[nlines - 2], (long)nlines);
		coll_free(&c);
		/* the inflated size still counts against max_bytes */
		ck_assert_int_eq(parse_file(p, 6 * MiB, &sink, &err), -1);
		ck_assert_msg(strstr(err, "exceeds") || strstr(err, "larger than"), "%s", err);
		ck_assert_ptr_nonnull(strstr(err, p));
		coll_free(&c);
		free(p);
	}
	free(z);
	/* not JSON Lines: read whole, as before */
	{
		static const char arr[] = "[{\"id\":\"a\",\"title\":\"A\",\"date\":\"2026-01-07\"},"
			"{\"id\":\"b\",\"title\":\"B\",\"date\":\"2026-01-07\"}]";

		p = write_file("array.json", arr, sizeof(arr) - 1);
	}
	ck_assert_msg(parse_file(p, MiB, &sink, &err) == 0, "%s", err);
	ck_assert_uint_eq(c.n, 2);
	coll_free(&c);
	free(p);
	p = write_file("c.txt", "date 2026-01-07 Body.", 21);
	ck_assert_msg(parse_file(p, MiB, &sink, &err) == 0, "%s", err);
	ck_assert_str_eq(c.arts[0].id, "c");
	coll_free(&c);
	free(p);
	/* the real corpus: the same counts in chunks as whole */
	if (have(REUTERS)) {
		c.count_only = 1;
		parse_set_stream_min_bytes((size_t)-1);
		ck_assert_int_eq(parse_file(REUTERS, 256 * MiB, &sink, &err), 0);
		whole_n = c.n;
		whole_rej = c.nrej;
		coll_free(&c);
		c.count_only = 1;
		parse_set_stream_min_bytes(1);
		ck_assert_int_eq(parse_file(REUTERS, 256 * MiB, &sink, &err), 0);
		ck_assert_uint_eq(c.n, whole_n);
		ck_assert_uint_eq(c.nrej, whole_rej);
		coll_free(&c);
	}
	parse_set_stream_min_bytes((size_t)64 << 20);
	free(err);
	free(big);
	buf_free(&text);
	remove_tree();
}
END_TEST

struct seen {
	struct buf names;
	int stop_at;
	int calls;
};

static int walk_cb(void *ctx, const char *file)
{
	struct seen *s = ctx;

	buf_printf(&s->names, "%s;", file + strlen(tmpdir) + 1);
	return ++s->calls == s->stop_at ? -1 : 0;
}

START_TEST(test_walk)
{
	struct seen s = { { 0 }, 0, 0 };
	char *err = NULL, *p, *q;

	make_tmpdir();
	p = xasprintf("%s/b", tmpdir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/b/sub", tmpdir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/.hid", tmpdir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	free(write_file("z.txt", "x", 1));
	free(write_file("a.jsonl", "x", 1));
	free(write_file("B.json", "x", 1));
	free(write_file(".hidden.jsonl", "x", 1));
	free(write_file(".hid/inner.jsonl", "x", 1));
	free(write_file("b/2.json", "x", 1));
	free(write_file("b/10.json", "x", 1));
	free(write_file("b/sub/deep.txt.gz", "x", 1));
	/* A link to a file is followed, a link to a directory is not (no loops). */
	p = xasprintf("%s/b/link-file", tmpdir);
	q = xasprintf("%s/a.jsonl", tmpdir);
	ck_assert_int_eq(symlink(q, p), 0);
	free(p);
	free(q);
	p = xasprintf("%s/b/sub/loop", tmpdir);
	ck_assert_int_eq(symlink(tmpdir, p), 0);
	free(p);

	ck_assert_int_eq(parse_walk(tmpdir, walk_cb, &s, &err), 0);
	ck_assert_str_eq(s.names.data,
			 "B.json;a.jsonl;b/10.json;b/2.json;b/link-file;b/sub/deep.txt.gz;z.txt;");
	buf_free(&s.names);

	/* A file path is walked as itself; a trailing slash is fine. */
	s.calls = 0;
	p = xasprintf("%s/z.txt", tmpdir);
	ck_assert_int_eq(parse_walk(p, walk_cb, &s, &err), 0);
	ck_assert_str_eq(s.names.data, "z.txt;");
	buf_free(&s.names);
	free(p);
	p = xasprintf("%s/b/", tmpdir);
	ck_assert_int_eq(parse_walk(p, walk_cb, &s, &err), 0);
	ck_assert_str_eq(s.names.data, "b/10.json;b/2.json;b/link-file;b/sub/deep.txt.gz;");
	buf_free(&s.names);
	free(p);

	/* The callback stops the walk. */
	s.calls = 0;
	s.stop_at = 2;
	ck_assert_int_eq(parse_walk(tmpdir, walk_cb, &s, &err), -1);
	ck_assert_str_eq(s.names.data, "B.json;a.jsonl;");
	ck_assert_ptr_nonnull(strstr(err, "a.jsonl"));
	buf_free(&s.names);
	s.stop_at = 0;
	free(err);
	err = NULL;

	/* Unreadable directories are reported, the rest is still walked (not as root). */
	if (geteuid() != 0) {
		p = xasprintf("%s/b/sub", tmpdir);
		ck_assert_int_eq(chmod(p, 0), 0);
		ck_assert_int_eq(parse_walk(tmpdir, walk_cb, &s, &err), -1);
		ck_assert_ptr_nonnull(strstr(err, "cannot read"));
		ck_assert_ptr_nonnull(strstr(err, "b/sub"));
		ck_assert_str_eq(s.names.data, "B.json;a.jsonl;b/10.json;b/2.json;b/link-file;z.txt;");
		buf_free(&s.names);
		free(p);
		free(err);
		err = NULL;
	}
	p = xasprintf("%s/nope", tmpdir);
	ck_assert_int_eq(parse_walk(p, walk_cb, &s, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	free(p);
	free(err);
	buf_free(&s.names);
	remove_tree();
}
END_TEST

/* ---- real data from ../shared ---- */

START_TEST(test_seed_file)
{
	struct coll c = { 0 };
	struct parse_sink sink = { .record = coll_record, .reject = coll_reject, .ctx = &c };
	char *err = NULL;
	struct article *a;
	size_t n;

	if (!have(SEED))
		return;
	ck_assert_int_eq(parse_file(SEED, 64 * MiB, &sink, &err), 0);
	dump(&c);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_uint_eq(c.nrej, 0);
	a = &c.arts[0];
	ck_assert_str_eq(a->id, "000_17734199b23d2403");
	ck_assert_int_eq(a->date, iso("2026-01-07"));
	/* The title is the lead sentence: a prefix of the body, ending the sentence. */
	n = strlen(a->title);
	ck_assert(n > 40 && n <= 200);
	ck_assert_int_eq(strncmp(a->body, a->title, n), 0);
	ck_assert_int_eq(a->title[n - 1], '.');
	ck_assert_ptr_null(strchr(a->title, '\n'));
	ck_assert(a->body[0] != ' ' && strncmp(a->body, "date", 4) != 0);
	/* Paragraphs are kept. */
	ck_assert_ptr_nonnull(strstr(a->body, "\n\n"));
	ck_assert(strlen(a->body) > 2500);
	ck_assert_ptr_null(a->source);
	coll_free(&c);
}
END_TEST

START_TEST(test_sample_100)
{
	struct coll c = { 0 };
	struct parse_sink sink = { .record = coll_record, .reject = coll_reject, .ctx = &c };
	char *err = NULL;
	size_t i;

	if (!have(SAMPLE))
		return;
	ck_assert_int_eq(parse_file(SAMPLE, 64 * MiB, &sink, &err), 0);
	dump(&c);
	ck_assert_uint_eq(c.n, 100);
	ck_assert_uint_eq(c.nrej, 0);
	ck_assert_str_eq(c.arts[0].id, "reuters-1");
	ck_assert_int_eq(c.arts[0].date, iso("1987-02-26T15:01:01Z"));
	ck_assert_str_eq(c.arts[0].source, "reuters");
	ck_assert_ptr_null(c.arts[0].url);
	ck_assert_ptr_nonnull(c.arts[0].extra_json);
	ck_assert_ptr_nonnull(strstr(c.arts[0].extra_json, "\"split\":"));
	for (i = 0; i < c.n; i++) {
		ck_assert_int_eq(c.lines[i], (long)i + 1);
		ck_assert_int_eq(strncmp(c.arts[i].id, "reuters-", 8), 0);
	}
	coll_free(&c);
}
END_TEST

START_TEST(test_reuters)
{
	struct coll c = { 0 };
	struct parse_sink sink = { .record = coll_record, .reject = coll_reject, .ctx = &c };
	char *err = NULL;
	double t0, secs;
	int rc;

	if (!have(REUTERS))
		return;
	c.count_only = 1;
	t0 = now_monotonic();
	rc = parse_file(REUTERS, 256 * MiB, &sink, &err);
	secs = now_monotonic() - t0;
	ck_assert_msg(rc == 0, "%s", err ? err : "?");
	dump(&c);
	ck_assert_uint_eq(c.n + c.nrej, 21577);
	ck_assert_uint_eq(c.nrej, 1);
	ck_assert_str_eq(c.rejs[0].error, "title and body are both empty");
	ck_assert_ptr_nonnull(c.rejs[0].id);
	printf("reuters21578.jsonl.gz: %zu records + %zu rejected in %.3f s = %.0f records/s "
	       "(gunzip + JSON + validation)\n", c.n, c.nrej, secs, (double)(c.n + c.nrej) / secs);
	coll_free(&c);
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *json = tcase_create("json");
	TCase *txt = tcase_create("txt");
	TCase *gzip = tcase_create("gzip");
	TCase *files = tcase_create("files");
	TCase *real = tcase_create("real data");

	tcase_add_test(json, test_jsonl_basic);
	tcase_add_test(json, test_json_object);
	tcase_add_test(json, test_json_object_invalid);
	tcase_add_test(json, test_jsonl_bad_first_line);
	tcase_add_test(json, test_json_array);
	tcase_add_test(json, test_json_array_broken);
	tcase_add_test(json, test_empty_inputs);
	tcase_add_test(json, test_not_json);
	tcase_add_test(json, test_bom_and_crlf);
	tcase_add_test(json, test_bad_lines);
	tcase_add_test(json, test_invalid_json_position);
	tcase_add_test(json, test_long_line);
	tcase_add_test(json, test_hash_id);
	tcase_add_test(json, test_extra_and_authors);
	tcase_add_test(json, test_entities);
	tcase_add_test(json, test_record_json_direct);
	tcase_add_test(json, test_sink_stops);
	tcase_add_test(txt, test_txt_headers);
	tcase_add_test(txt, test_txt_lead_sentence);
	tcase_add_test(txt, test_txt_long_lead);
	tcase_add_test(txt, test_txt_rejects);
	tcase_add_test(txt, test_txt_variants);
	tcase_add_test(gzip, test_gzip_formats);
	tcase_add_test(gzip, test_gzip_concatenated);
	tcase_add_test(gzip, test_gzip_truncated_corrupt);
	tcase_add_test(gzip, test_gunzip_cap);
	tcase_add_test(gzip, test_gzip_bomb);
	tcase_add_test(gzip, test_max_bytes_plain);
	tcase_add_test(files, test_parse_file);
	tcase_add_test(files, test_parse_file_streamed);
	tcase_add_test(files, test_walk);
	tcase_add_test(real, test_seed_file);
	tcase_add_test(real, test_sample_100);
	tcase_add_test(real, test_reuters);
	tcase_set_timeout(gzip, 60);
	tcase_set_timeout(real, 120);
	tcase_set_timeout(files, 60);
	suite_add_tcase(s, json);
	suite_add_tcase(s, txt);
	suite_add_tcase(s, gzip);
	suite_add_tcase(s, files);
	suite_add_tcase(s, real);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
