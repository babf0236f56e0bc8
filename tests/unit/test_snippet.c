/* test_snippet.c — newsd_snippet() and newsd_highlight() on small in-memory FTS5 tables built
 * like newsd's, plus a timing comparison with FTS5's snippet() on the Reuters corpus. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "snippet.h"
#include "surface.h"
#include "util.h"

#define REUTERS "../shared/corpus/reuters21578.jsonl.gz"

static const char *const schema =
	"CREATE TABLE article(rid INTEGER PRIMARY KEY, title TEXT, body TEXT, tags TEXT);"
	"CREATE VIRTUAL TABLE fts USING fts5(title, body, tags, content='article',"
	" content_rowid='rid', tokenize='" SNIPPET_TABLE_TOKENIZE "');";

/* An in-memory database with newsd's article and fts tables and our functions. */
static sqlite3 *open_db(void)
{
	sqlite3 *db = NULL;
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, schema, NULL, NULL, NULL), SQLITE_OK);
	if (snippet_register(db, &err) != 0)
		ck_abort_msg("snippet_register: %s", err);
	return db;
}

/* Store one article (NULL columns allowed) and index it. */
static void add_article(sqlite3 *db, const char *title, const char *body, const char *tags)
{
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO article(title, body, tags) "
					    "VALUES (?1, ?2, ?3)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, tags, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_exec(db, "INSERT INTO fts(rowid, title, body, tags) "
				      "SELECT rid, title, body, tags FROM article "
				      "WHERE rid = last_insert_rowid()", NULL, NULL, NULL),
			 SQLITE_OK);
}

/* Evaluate expr for the first row matching query. Returns a malloc'd copy with SNIPPET_SEP
 * shown as "|", or NULL for an SQL NULL; *rc gets the step result (SQLITE_ROW on success). */
static char *eval(sqlite3 *db, const char *expr, const char *query, int *rc)
{
	char *sql = xasprintf("SELECT %s FROM fts WHERE fts MATCH ?1 ORDER BY rowid LIMIT 1", expr);
	sqlite3_stmt *st;
	char *res = NULL, *p;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, query, -1, SQLITE_STATIC);
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		res = xstrdup((const char *)sqlite3_column_text(st, 0));
		for (p = res; *p; p++)
			if (*p == SNIPPET_SEP[0])
				*p = '|';
	}
	sqlite3_finalize(st);
	free(sql);
	return res;
}

/* newsd_snippet of the body of a one-article table. */
static char *snip(const char *title, const char *body, const char *query, int nfrag, int words)
{
	sqlite3 *db = open_db();
	char *expr = xasprintf("newsd_snippet(fts, 1, %d, %d)", nfrag, words);
	char *res;
	int rc;

	add_article(db, title, body, NULL);
	res = eval(db, expr, query, &rc);
	ck_assert_msg(rc == SQLITE_ROW, "query %s: %s", query, sqlite3_errmsg(db));
	free(expr);
	sqlite3_close(db);
	return res;
}

static char *highlight(const char *title, const char *query)
{
	sqlite3 *db = open_db();
	char *res;
	int rc;

	add_article(db, title, "body text", NULL);
	res = eval(db, "newsd_highlight(fts, 0)", query, &rc);
	ck_assert_msg(rc == SQLITE_ROW, "query %s: %s", query, sqlite3_errmsg(db));
	sqlite3_close(db);
	return res;
}

#define ck_snip(title, body, q, nf, nw, want) do { \
		char *got_ = snip(title, body, q, nf, nw); \
		ck_assert_msg(got_ != NULL, "query %s: NULL snippet", q); \
		ck_assert_str_eq(got_, want); \
		free(got_); \
	} while (0)

/* The two sentences below are reused in several cases. */
static const char *const storm =
	"Heavy rain flooded the valley on Monday. Officials said the storm destroyed forty "
	"homes and cut power to the town. The mayor asked for federal help, and the governor "
	"declared an emergency late on Tuesday. Repairs to the dam will take months, engineers "
	"warned. In the meantime residents were told to boil water.";

struct snip_case {
	const char *body;
	const char *query;
	int nfrag;
	int nwords;
	const char *want;
};

static const struct snip_case snip_cases[] = {
	/* whole column fits: no ellipses, final punctuation kept */
	{ "The central bank raised rates.", "bank", 3, 24,
	  "The central <mark>bank</mark> raised rates." },
	/* a phrase is one mark */
	{ "Prices of crude oil rose as oil stocks fell.", "\"crude oil\"", 1, 24,
	  "Prices of <mark>crude oil</mark> rose as oil stocks fell." },
	/* two adjacent separate terms are two marks */
	{ "Prices of crude oil rose as oil stocks fell.", "crude oil", 1, 24,
	  "Prices of <mark>crude</mark> <mark>oil</mark> rose as <mark>oil</mark> stocks fell." },
	/* a hit in the middle of a long sentence: centred */
	{ NULL, "governor", 1, 12,
	  "… for federal help, and the <mark>governor</mark> declared an emergency late on "
	  "Tuesday. …" },
	/* the sentence starts a few words before the hit: the fragment starts there */
	{ NULL, "governor", 1, 16,
	  "… The mayor asked for federal help, and the <mark>governor</mark> declared an "
	  "emergency late on Tuesday. Repairs …" },
	/* at the end of the column: the window slides back to keep its length */
	{ NULL, "water", 1, 8,
	  "… the meantime residents were told to boil <mark>water</mark>." },
	/* at the start of the column */
	{ NULL, "rain", 1, 6, "Heavy <mark>rain</mark> flooded the valley on …" },
	/* several fragments come back in document order, never overlapping */
	{ NULL, "rain OR dam OR boil", 3, 6,
	  "Heavy <mark>rain</mark> flooded the valley on …|… Repairs to the <mark>dam</mark> "
	  "will take …|… residents were told to <mark>boil</mark> water." },
	/* a fragment covering both terms beats two fragments with one each */
	{ NULL, "storm OR power OR valley", 1, 10,
	  "… Officials said the <mark>storm</mark> destroyed forty homes and cut <mark>power</mark> …" },
	/* fewer fragments than asked when the hits fit in one */
	{ NULL, "storm", 3, 10,
	  "… Officials said the <mark>storm</mark> destroyed forty homes and cut power …" },
	/* prefix query marks the whole word */
	{ NULL, "engin*", 1, 6, "… take months, <mark>engineers</mark> warned. In the …" },
	/* stemming: the surface form is marked */
	{ "Police raided two homes after the raids of May.", "raids", 1, 24,
	  "Police <mark>raided</mark> two homes after the <mark>raids</mark> of May." },
	/* diacritics folded for matching, original text marked */
	{ "Flights from São Paulo resumed.", "Sao", 1, 24,
	  "Flights from <mark>São</mark> Paulo resumed." },
	/* NEAR marks both terms */
	{ "Interest rates rose. Rates of interest fell later in the year.",
	  "NEAR(interest rates, 1)", 1, 24,
	  "<mark>Interest</mark> <mark>rates</mark> rose. <mark>Rates</mark> of "
	  "<mark>interest</mark> fell later in the year." },
	/* leading opening quote and closing punctuation stay with their words */
	{ "He left. \"Nobody knew why,\" a colleague said, adding more words here.", "nobody", 1, 3,
	  "… &quot;<mark>Nobody</mark> knew why,&quot; …" },
};

START_TEST(test_table)
{
	const struct snip_case *c = &snip_cases[_i];

	ck_snip("Title", c->body ? c->body : storm, c->query, c->nfrag, c->nwords, c->want);
}
END_TEST

START_TEST(test_escaping)
{
	ck_snip("t", "<script>alert('x') & \"y\"</script> attack", "alert", 1, 24,
		"&lt;script&gt;<mark>alert</mark>(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt; "
		"attack");
	ck_snip("t", "a\x01\x02tab\there\r\nnew  line attack", "attack", 1, 24,
		"a tab here new line <mark>attack</mark>");
	/* invalid UTF-8 is replaced, not passed through */
	ck_snip("t", "bad \xff\xfe bytes attack", "attack", 1, 24,
		"bad \xEF\xBF\xBD\xEF\xBF\xBD bytes <mark>attack</mark>");
	ck_snip("t", "<b>attack</b>", "attack", 1, 24, "&lt;b&gt;<mark>attack</mark>&lt;/b&gt;");
}
END_TEST

/* A match only in the title gives the lead of the body. */
START_TEST(test_lead)
{
	ck_snip("Storm hits valley", storm, "title:valley", 3, 5,
		"Heavy rain flooded the valley …");
	ck_snip("Storm hits valley", "Short body.", "title:valley", 3, 5, "Short body.");
	ck_snip("Storm hits valley", "  \"Quoted\" lead, with words  ", "title:storm", 3, 24,
		"&quot;Quoted&quot; lead, with words");
}
END_TEST

/* Empty and NULL columns: NULL snippet, "" highlight; NFRAG 0: NULL. */
START_TEST(test_null)
{
	sqlite3 *db = open_db();
	char *res;
	int rc;

	add_article(db, "Storm title", NULL, NULL);
	add_article(db, "Flood title", "", NULL);
	add_article(db, "Wind title", "   \n ", NULL);
	add_article(db, "Rain title", "rain fell", NULL);
	ck_assert_ptr_null(eval(db, "newsd_snippet(fts, 1, 3, 24)", "storm", &rc));
	ck_assert_int_eq(rc, SQLITE_ROW);
	ck_assert_ptr_null(eval(db, "newsd_snippet(fts, 1, 3, 24)", "flood", &rc));
	ck_assert_int_eq(rc, SQLITE_ROW);
	ck_assert_ptr_null(eval(db, "newsd_snippet(fts, 1, 3, 24)", "wind", &rc));
	ck_assert_int_eq(rc, SQLITE_ROW);
	ck_assert_ptr_null(eval(db, "newsd_snippet(fts, 1, 0, 24)", "rain", &rc));
	ck_assert_int_eq(rc, SQLITE_ROW);
	ck_assert_ptr_null(eval(db, "newsd_snippet(fts, 1, -4, 24)", "rain", &rc));
	res = eval(db, "newsd_highlight(fts, 1)", "storm", &rc);
	ck_assert_str_eq(res, "");
	free(res);
	res = eval(db, "newsd_highlight(fts, 2)", "flood", &rc);
	ck_assert_str_eq(res, "");
	free(res);
	/* silly sizes are capped, not trusted */
	res = eval(db, "newsd_snippet(fts, 1, 1000000, -5)", "rain", &rc);
	ck_assert_str_eq(res, "<mark>rain</mark> …");
	free(res);
	res = eval(db, "newsd_snippet(fts, 1, 3, 9223372036854775807)", "rain", &rc);
	ck_assert_str_eq(res, "<mark>rain</mark> fell");
	free(res);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_bad_args)
{
	static const char *const exprs[] = {
		"newsd_snippet(fts)", "newsd_snippet(fts, 1, 3)", "newsd_snippet(fts, 1, 3, 4, 'a', 5)",
		"newsd_highlight(fts)", "newsd_highlight(fts, 0, 'a', 1)", "newsd_snippet(fts, 3, 1, 1)",
		"newsd_snippet(fts, -1, 1, 1)", "newsd_snippet(fts, 'body', 1, 1)",
		"newsd_highlight(fts, 7)", "newsd_highlight(fts, NULL)",
	};
	sqlite3 *db = open_db();
	size_t i;
	int rc;

	add_article(db, "Rain", "rain fell", NULL);
	for (i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		ck_assert_ptr_null(eval(db, exprs[i], "rain", &rc));
		ck_assert_msg(rc == SQLITE_ERROR, "%s gave %d", exprs[i], rc);
		ck_assert_msg(strstr(sqlite3_errmsg(db), "newsd_") != NULL, "%s: %s", exprs[i],
			      sqlite3_errmsg(db));
	}
	sqlite3_close(db);
}
END_TEST

START_TEST(test_highlight)
{
	char *res;

	res = highlight("OIL PRICES RISE AS OPEC MEETS", "oil OR opec");
	ck_assert_str_eq(res, "<mark>OIL</mark> PRICES RISE AS <mark>OPEC</mark> MEETS");
	free(res);
	res = highlight("  Raids in <São Paulo> & more  ", "raid sao");
	ck_assert_str_eq(res, "<mark>Raids</mark> in &lt;<mark>São</mark> Paulo&gt; &amp; more");
	free(res);
	res = highlight("Crude oil and crude prices", "\"crude oil\"");
	ck_assert_str_eq(res, "<mark>Crude oil</mark> and crude prices");
	free(res);
	/* match only in the body: the title comes back escaped and unmarked */
	res = highlight("A & B", "body");
	ck_assert_str_eq(res, "A &amp; B");
	free(res);
}
END_TEST

/* Our boundary tokenizer must find the very tokens the table's finds: with every term of a
 * tricky title matched, our highlight and FTS5's mark the same words. */
START_TEST(test_boundaries)
{
	static const char *const titles[] = {
		"Naïve café-au-lait at O'Brien's: 1,234.5 pct, x² ﬁne",
		"São Paulo ÅNGSTRÖM Ǆemal straße İstanbul",
		"東京 and 北京 talks; emoji 😀 here, dotted i.e. U.S.A. e-mail",
		"a\u0301b combining mark, tab\tand\nnewline",
		"running runners ran runs",
	};
	size_t i;

	for (i = 0; i < sizeof(titles) / sizeof(titles[0]); i++) {
		sqlite3 *db = open_db();
		sqlite3_stmt *st;
		struct buf q = { 0 }, want = { 0 };
		char *got, *theirs, *p;
		int rc;

		add_article(db, titles[i], "x", NULL);
		ck_assert_int_eq(sqlite3_exec(db, "CREATE VIRTUAL TABLE v USING fts5vocab(fts, 'row')",
					      NULL, NULL, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT term FROM v", -1, &st, NULL),
				 SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW)
			buf_printf(&q, "%s\"%s\"", q.len ? " OR " : "",
				   (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		got = eval(db, "newsd_highlight(fts, 0)", q.data, &rc);
		theirs = eval(db, "highlight(fts, 0, '<mark>', '</mark>')", q.data, &rc);
		/* undo our escaping and folding to compare the marks alone */
		for (p = got; *p; p++) {
			if (strncmp(p, "&#39;", 5) == 0) {
				buf_putc(&want, '\'');
				p += 4;
			} else {
				buf_putc(&want, *p);
			}
		}
		for (p = theirs; *p; p++)
			if (*p == '\t' || *p == '\n')
				*p = ' ';
		ck_assert_str_eq(want.data, theirs);
		free(got);
		free(theirs);
		buf_free(&q);
		buf_free(&want);
		sqlite3_close(db);
	}
}
END_TEST

/* Random documents and sizes: the output is valid UTF-8, marks are balanced and never
 * empty, there are at most NFRAG fragments, and fragments come in document order without
 * repeating text (every filler word carries its position, which must only grow). */
START_TEST(test_random)
{
	static const char *const words[] = { "apple", "pear", "Plum", "fig" };
	static const char *const seps[] = { " ", ", ", ". ", "\n    ", "-", " (", ") ", "'" };
	static const char *const queries[] = {
		"apple", "apple OR pear", "\"apple pear\"", "plum fig", "NEAR(apple fig, 3)", "pe*",
		"title:zzz",
	};
	unsigned seed = 12345;
	int round;

	for (round = 0; round < 300; round++) {
		sqlite3 *db = open_db();
		struct buf body = { 0 };
		int len, i, nfrag, nwords, q, nsep, open_marks;
		long last;
		char *expr, *res, *p;

		seed = seed * 1103515245u + 12345u;
		len = 1 + (int)(seed >> 16) % 300;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 5 == 0)
				buf_puts(&body, words[(seed >> 20) % 4]);
			else
				buf_printf(&body, "w%d", i);
			buf_puts(&body, seps[(seed >> 24) % 8]);
		}
		seed = seed * 1103515245u + 12345u;
		nfrag = (int)(seed >> 16) % 7;
		nwords = 1 + (int)(seed >> 20) % 30;
		q = (int)(seed >> 24) % (int)(sizeof(queries) / sizeof(queries[0]));
		add_article(db, "zzz", body.data, NULL);
		expr = xasprintf("newsd_snippet(fts, 1, %d, %d)", nfrag, nwords);
		res = eval(db, expr, queries[q], &i);
		if (nfrag == 0 || res == NULL) {
			ck_assert_msg(nfrag == 0 || i != SQLITE_ROW, "NULL snippet for %s", queries[q]);
			ck_assert_ptr_null(res);
			goto next;
		}
		ck_assert(utf8_valid(res, strlen(res)));
		ck_assert_ptr_null(strstr(res, "<mark></mark>"));
		for (nsep = 0, open_marks = 0, last = -1, p = res; *p;) {
			if (strncmp(p, "<mark>", 6) == 0) {
				ck_assert_int_eq(open_marks++, 0);
				p += 6;
			} else if (strncmp(p, "</mark>", 7) == 0) {
				ck_assert_int_eq(--open_marks, 0);
				p += 7;
			} else if (*p == '|') {
				ck_assert_int_eq(open_marks, 0);
				nsep++;
				p++;
			} else if (*p == 'w' && p[1] >= '0' && p[1] <= '9') {
				long v = strtol(p + 1, &p, 10);

				ck_assert_msg(v > last, "%s: w%ld after w%ld in %s", queries[q], v,
					      last, res);
				last = v;
			} else {
				p++;
			}
		}
		ck_assert_int_eq(open_marks, 0);
		ck_assert_int_lt(nsep, nfrag);
next:
		free(res);
		free(expr);
		buf_free(&body);
		sqlite3_close(db);
	}
}
END_TEST

/* A 100 KB body: hits near the end, far apart, all found; the output stays small. */
START_TEST(test_long)
{
	struct buf body = { 0 };
	char *res, *p;
	long last;
	int i, n;

	for (i = 0; i < 2000; i++) {
		buf_printf(&body, "Filler sentence number %d goes on. ", i);
		if (i == 10 || i == 1500 || i == 1990)
			buf_puts(&body, "The needle is here. ");
	}
	ck_assert_int_gt((int)body.len, 70000);
	res = snip("t", body.data, "needle", 3, 8);
	ck_assert_str_eq(res,
			 "… The <mark>needle</mark> is here. Filler sentence number 11 …|"
			 "… The <mark>needle</mark> is here. Filler sentence number 1501 …|"
			 "… The <mark>needle</mark> is here. Filler sentence number 1991 …");
	free(res);
	/* every token a hit: still fast, fragments in order and disjoint */
	res = snip("t", body.data, "filler OR sentence OR number OR goes OR on", 5, 64);
	for (n = 0, p = res; (p = strstr(p, "<mark>")) != NULL; p++)
		n++;
	ck_assert_int_ge(n, 5 * 50);
	for (n = 0, p = res; (p = strchr(p, '|')) != NULL; p++)
		n++;
	ck_assert_int_eq(n, 4);
	/* the sentence numbers seen only grow: document order, no fragment repeats another */
	for (last = -1, p = res; *p;) {
		if (*p >= '0' && *p <= '9') {
			long v = strtol(p, &p, 10);

			ck_assert_int_gt(v, last);
			last = v;
		} else {
			p++;
		}
	}
	free(res);
	buf_free(&body);
}
END_TEST

/* Load the Reuters corpus into an external-content table like newsd's. Returns the number of
 * articles, 0 when the corpus is absent. */
static int load_reuters(sqlite3 *db, int max)
{
	gzFile gz = gzopen(REUTERS, "rb");
	sqlite3_stmt *st;
	char line[1 << 16];
	struct buf rec = { 0 };
	int n = 0;

	if (gz == NULL)
		return 0;
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO article(title, body) VALUES (?1, ?2)",
					    -1, &st, NULL), SQLITE_OK);
	while (n < max && gzgets(gz, line, sizeof(line)) != NULL) {
		json_t *j;

		buf_puts(&rec, line);
		if (rec.len == 0 || rec.data[rec.len - 1] != '\n')
			continue;
		j = json_loads(rec.data, 0, NULL);
		buf_reset(&rec);
		if (j == NULL)
			continue;
		sqlite3_bind_text(st, 1, json_string_value(json_object_get(j, "title")), -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, json_string_value(json_object_get(j, "body")), -1,
				  SQLITE_TRANSIENT);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
		json_decref(j);
		n++;
	}
	sqlite3_finalize(st);
	buf_free(&rec);
	gzclose(gz);
	ck_assert_int_eq(sqlite3_exec(db, "INSERT INTO fts(fts) VALUES ('rebuild'); COMMIT",
				      NULL, NULL, NULL), SQLITE_OK);
	return n;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median time of running sql (top 10 hits of each query) over rounds rounds, in ms per
 * query. Every result row is read. */
static double time_queries(sqlite3 *db, const char *sql, const char *const *queries, int nq,
			   int rounds, int check)
{
	double *t = xmalloc((size_t)rounds * sizeof(double)), med;
	sqlite3_stmt *st;
	int r, q;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s",
		      sqlite3_errmsg(db));
	for (r = 0; r < rounds; r++) {
		double t0 = now_monotonic();

		for (q = 0; q < nq; q++) {
			sqlite3_bind_text(st, 1, queries[q], -1, SQLITE_STATIC);
			while (sqlite3_step(st) == SQLITE_ROW) {
				const char *s = (const char *)sqlite3_column_text(st, 0);

				if (check && s != NULL)
					ck_assert_msg(utf8_valid(s, strlen(s)), "%s: bad UTF-8",
						      queries[q]);
			}
			sqlite3_reset(st);
		}
		t[r] = (now_monotonic() - t0) * 1000.0 / nq;
	}
	sqlite3_finalize(st);
	qsort(t, (size_t)rounds, sizeof(double), dbl_cmp);
	med = t[rounds / 2];
	free(t);
	return med;
}

/* A body of about 100 KB: hits spread through it, or only in its first lines. */
static void long_body(struct buf *body, int spread)
{
	int i;

	for (i = 0; i < 2800; i++) {
		buf_printf(body, "Filler sentence number %d goes on. ", i);
		if (i % (spread ? 500 : 100000) == 7)
			buf_puts(body, "The needle is here. ");
	}
}

/* Median ms of one expression over the single article matching "needle". */
static double time_one(sqlite3 *db, const char *expr, int rounds)
{
	static const char *const q[] = { "needle" };
	char *sql = xasprintf("SELECT %s FROM fts WHERE fts MATCH ?1", expr);
	double t = time_queries(db, sql, q, 1, rounds, 0);

	free(sql);
	return t;
}

/* Ours against FTS5's snippet() on real articles: the same top 10 of the same queries. */
START_TEST(test_bench_reuters)
{
	static const char *const queries[] = {
		"coffee", "cocoa buffer stock", "\"crude oil\"", "opec OR saudi", "export*",
		"(wheat OR corn) soviet", "NEAR(interest rates, 2)", "trade deficit",
		"gold silver", "federal reserve", "yen dollar",
	};
	const int nq = sizeof(queries) / sizeof(queries[0]);
	sqlite3 *db = open_db();
	double base, ours, theirs;
	int n, rounds;

#if defined(__SANITIZE_ADDRESS__)
	rounds = 3;
	n = load_reuters(db, 3000);
#else
	rounds = 31;
	n = load_reuters(db, 1 << 30);
#endif
	if (n == 0) {
		fprintf(stderr, "test_snippet: %s absent, benchmark skipped\n", REUTERS);
		sqlite3_close(db);
		return;
	}
	base = time_queries(db, "SELECT rowid FROM fts WHERE fts MATCH ?1 ORDER BY rank LIMIT 10",
			    queries, nq, rounds, 0);
	ours = time_queries(db, "SELECT newsd_snippet(fts, 1, 3, 24) FROM fts WHERE fts MATCH ?1 "
			    "ORDER BY rank LIMIT 10", queries, nq, rounds, 1);
	theirs = time_queries(db, "SELECT snippet(fts, 1, '<mark>', '</mark>', '…', 24) FROM fts "
			      "WHERE fts MATCH ?1 ORDER BY rank LIMIT 10", queries, nq, rounds, 0);
	fprintf(stderr, "test_snippet: %d articles, %d queries x top 10, median ms per query: "
		"no snippet %.3f, newsd_snippet(3 x 24) %.3f (+%.3f), snippet() %.3f (+%.3f)\n",
		n, nq, base, ours, ours - base, theirs, theirs - base);
	sqlite3_close(db);
}
END_TEST

/* The same comparison on one 100 KB article, with hits spread out and with hits only in
 * the lead (where ours stops tokenizing early). */
START_TEST(test_bench_long)
{
	int spread;

	for (spread = 1; spread >= 0; spread--) {
		sqlite3 *db = open_db();
		struct buf body = { 0 };
		double base, ours, theirs;

		long_body(&body, spread);
		add_article(db, "t", body.data, NULL);
		base = time_one(db, "rowid", 51);
		ours = time_one(db, "newsd_snippet(fts, 1, 3, 24)", 51);
		theirs = time_one(db, "snippet(fts, 1, '<mark>', '</mark>', '…', 24)", 51);
		fprintf(stderr, "test_snippet: one %zu-byte article, hits %s, median ms: "
			"newsd_snippet(3 x 24) %.3f, snippet() %.3f\n", body.len,
			spread ? "throughout" : "in the lead", ours - base, theirs - base);
		buf_free(&body);
		sqlite3_close(db);
	}
}
END_TEST

/* One column's text through both paths for row rid: by a MATCH of the prefix phrase, and in
 * prefix mode without one (the last argument). Both must give the same bytes. */
static void same_both_ways(sqlite3 *db, const char *prefix, int64_t rid)
{
	static const char *const exprs[][2] = {
		{ "newsd_highlight(fts, 0)", "newsd_highlight(fts, 0, ?2)" },
		{ "newsd_highlight(fts, 1)", "newsd_highlight(fts, 1, ?2)" },
		{ "newsd_snippet(fts, 1, 3, 10)", "newsd_snippet(fts, 1, 3, 10, ?2)" },
		{ "newsd_snippet(fts, 1, 1, 24)", "newsd_snippet(fts, 1, 1, 24, ?2)" },
		{ "newsd_snippet(fts, 0, 2, 4)", "newsd_snippet(fts, 0, 2, 4, ?2)" },
	};
	char *match = xasprintf("{title body} : \"%s\" *", prefix);
	size_t e;

	for (e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		char *sql[2] = {
			xasprintf("SELECT %s FROM fts WHERE fts MATCH ?1 AND rowid = ?3", exprs[e][0]),
			xasprintf("SELECT %s FROM fts WHERE rowid = ?3", exprs[e][1]),
		};
		char *got[2];
		int k;

		for (k = 0; k < 2; k++) {
			sqlite3_stmt *st;
			const char *t;

			ck_assert_msg(sqlite3_prepare_v2(db, sql[k], -1, &st, NULL) == SQLITE_OK,
				      "%s: %s", sql[k], sqlite3_errmsg(db));
			if (k == 0)
				sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
			else
				sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, rid);
			ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s (%s, row %lld): %s", sql[k],
				      prefix, (long long)rid, sqlite3_errmsg(db));
			t = (const char *)sqlite3_column_text(st, 0);
			got[k] = t ? xstrdup(t) : NULL;
			sqlite3_finalize(st);
		}
		ck_assert_msg((got[0] == NULL) == (got[1] == NULL) &&
			      (got[0] == NULL || strcmp(got[0], got[1]) == 0),
			      "%s, %s, row %lld:\n  MATCH:  %s\n  prefix: %s", exprs[e][0], prefix,
			      (long long)rid, got[0] ? got[0] : "(null)", got[1] ? got[1] : "(null)");
		free(got[0]);
		free(got[1]);
		free(sql[0]);
		free(sql[1]);
	}
	free(match);
}

/* Prefix mode (snippet.h) marks exactly the tokens a MATCH of the prefix phrase reports, in a
 * table of words as written (surface.h), on Reuters and on hand-written text with case and
 * diacritics: highlights and snippets identical, for every row the prefix matches. */
START_TEST(test_prefix_mode)
{
	static const char *const prefixes[] = {
		"export", "pric", "trad", "oil", "bank", "compan", "s", "th", "19", "u",
		"zur", "Z\xc3\xbcr", "caf", "CAF\xc3\x89", "elect", "\xc3\xa9lec", "dollar", "wh",
	};
	static const char *const extra[][2] = {
		{ "Caf\xc3\xa9s in Z\xc3\xbcrich", "ZURICH, March 3 - Z\xc3\xbcrich caf\xc3\xa9s and"
		  " the CAF\xc3\x89 owners' \xc3\xa9lection: \"Elections\" were held. Zur Sache."
		  " \xc3\x89LECTION results; exports, export-led growth." },
		{ "Export-led", "(Exporters) [exported] 'export' oil-price, prices/priced." },
	};
	sqlite3 *db = NULL;
	sqlite3_stmt *st, *rows;
	char *err = NULL;
	size_t i;
	int n, checked = 0;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(surface_register(db, &err), 0);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE article(rid INTEGER PRIMARY KEY, title TEXT,"
				      " body TEXT, tags TEXT);"
				      "CREATE VIRTUAL TABLE fts USING fts5(title, body, tags,"
				      " content='article', content_rowid='rid',"
				      " tokenize='" SURFACE_TOKENIZER " " SNIPPET_TABLE_TOKENIZE "')",
				      NULL, NULL, NULL), SQLITE_OK);
	if (snippet_register(db, &err) != 0)
		ck_abort_msg("snippet_register: %s", err);
#if defined(__SANITIZE_ADDRESS__)
	n = load_reuters(db, 500);
#else
	n = load_reuters(db, 4000);
#endif
	if (n == 0)
		fprintf(stderr, "test_snippet: %s absent, prefix mode on hand-written text only\n",
			REUTERS);
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		add_article(db, extra[i][0], extra[i][1], NULL);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT rowid FROM fts WHERE fts MATCH ?1"
					    " ORDER BY rowid DESC LIMIT 150", -1, &rows, NULL),
			 SQLITE_OK);
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		char *m = xasprintf("{title body} : \"%s\" *", prefixes[i]);
		int found = 0;

		sqlite3_bind_text(rows, 1, m, -1, SQLITE_STATIC);
		while (sqlite3_step(rows) == SQLITE_ROW) {
			same_both_ways(db, prefixes[i], sqlite3_column_int64(rows, 0));
			found++;
		}
		sqlite3_reset(rows);
		/* (without Reuters only the hand-written rows: not every prefix is in them) */
		ck_assert_msg(found > 0 || n == 0, "%s: no row", prefixes[i]);
		checked += found;
		free(m);
	}
	sqlite3_finalize(rows);
	ck_assert_int_ge(checked, n > 0 ? 1000 : 10);
	/* a prefix that folds to two words is refused, not answered for one of them */
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT newsd_highlight(fts, 0, 'oil-pri')"
					    " FROM fts WHERE rowid = 1", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_MISMATCH);
	sqlite3_finalize(st);
	fprintf(stderr, "test_snippet: prefix mode equals the MATCH on %d rows (%d articles)\n",
		checked, n + 2);
	sqlite3_close(db);
}
END_TEST

static Suite *snippet_suite(void)
{
	Suite *s = suite_create("snippet");
	TCase *tc = tcase_create("core");
	TCase *bench = tcase_create("bench");

	tcase_add_loop_test(tc, test_table, 0, sizeof(snip_cases) / sizeof(snip_cases[0]));
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_lead);
	tcase_add_test(tc, test_null);
	tcase_add_test(tc, test_bad_args);
	tcase_add_test(tc, test_highlight);
	tcase_add_test(tc, test_boundaries);
	tcase_add_test(tc, test_long);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_prefix_mode);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	tcase_set_timeout(bench, 300);
	tcase_add_test(bench, test_bench_reuters);
	tcase_add_test(bench, test_bench_long);
	suite_add_tcase(s, bench);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(snippet_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
