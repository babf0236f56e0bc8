/*
 * test_rank — newsd_rank and the search pass that prunes with it give exactly what full
 * scoring with FTS5's bm25() gives: every row's value bit for bit, and for a few hundred
 * random queries (terms of every frequency, AND/OR/NOT, phrases, prefixes, NEAR, date ranges,
 * sources, collapse, offsets) the same total, ids, order and scores as ORDER BY bm25().
 * On a generated corpus always, and on Reuters-21578 when ../shared is there.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "columns.h"
#include "date.h"
#include "ingest.h"
#include "parse.h"
#include "rank.h"
#include "search.h"
#include "similar.h"
#include "store.h"
#include "terms.h"
#include "util.h"

#define REUTERS "../shared/corpus/reuters21578.jsonl.gz"

static char dbpath[64];
static struct store *ws, *rs;
static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void open_db(void)
{
	struct store_options so = { "porter", 32, 1000, 4.0 };
	char *err = NULL;
	int fd;

	snprintf(dbpath, sizeof(dbpath), "/tmp/newsd-test-rank-XXXXXX");
	fd = mkstemp(dbpath);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(dbpath);
	ck_assert_msg(store_open(dbpath, STORE_WRITE, &so, &ws, &err) == 0, "%s", err);
	ck_assert_msg(store_open(dbpath, STORE_READ, &so, &rs, &err) == 0, "%s", err);
}

static void close_db(void)
{
	char p[96];

	rank_lengths_release();
	store_close(rs);
	store_close(ws);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

static int load_dedup;		/* detect wire copies while loading (test_generated_bounds) */

/* Store a JSON Lines text (or file) into the write store, in one transaction. */
static void load(const char *text, size_t len, const char *file)
{
	struct ingest_options opt = { 0 };

	opt.dedup = load_dedup;
	struct ingest_batch b;
	struct parse_sink sink = { .record = ingest_batch_record, .reject = ingest_batch_reject };
	char *err = NULL;
	int64_t v;

	ingest_batch_init(&b, ws, &opt, 0);
	sink.ctx = &b;
	ck_assert(store_begin(ws, &err) == 0);
	if (file)
		ck_assert_msg(parse_file(file, 256 << 20, &sink, &err) == 0, "%s", err);
	else
		ck_assert_msg(parse_buffer(text, len, "gen", PARSE_AUTO, 0, &sink, &err) == 0, "%s",
			      err);
	ck_assert_msg(!b.failed, "%s", b.errmsg);
	ck_assert_msg(store_commit(ws, b.accepted, b.updated, 0, &v, &err) == 0, "%s", err);
	ingest_batch_free(&b);
}

/* A generated corpus: Zipf-like words (a few very common), titles and bodies, 3 sources. */
static const char *const words[] = {
	"said", "oil", "bank", "trade", "price", "market", "rate", "dollar", "yen", "gold",
	"silver", "wheat", "corn", "export", "exports", "exporter", "japan", "reserve", "federal",
	"deficit", "coffee", "cocoa", "grain", "crude", "opec", "saudi", "interest", "rates",
	"stock", "buffer", "soviet", "minister", "election", "storm", "flood", "court", "vote",
	"shares", "profit", "loss", "trading", "city", "making"
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *zipf_word(void)
{
	/* index ~ NWORDS * u^3: low indexes far more likely; one word in four a rare one, so
	 * IDFs are not all at bm25's floor */
	static char rare[16];
	double u = (double)(next_rand() % 1000000) / 1e6;

	if (next_rand() % 4 == 0) {
		snprintf(rare, sizeof(rare), "w%dq", (int)(next_rand() % 3000));
		return rare;
	}
	return words[(size_t)(u * u * u * NWORDS)];
}

/* Columns off..off+2 of st (FTS5's counts: articles, in title, in body) equal the next
 * three (term_df's) for word. */
static void same_counts(const char *word, sqlite3_stmt *st, int off)
{
	int c;

	for (c = 0; c < 3; c++)
		ck_assert_msg(sqlite3_column_int64(st, off + c) == sqlite3_column_int64(st, off + 3 + c),
			      "%s: FTS5 counts %lld %lld %lld, term_df %lld %lld %lld", word,
			      (long long)sqlite3_column_int64(st, off),
			      (long long)sqlite3_column_int64(st, off + 1),
			      (long long)sqlite3_column_int64(st, off + 2),
			      (long long)sqlite3_column_int64(st, off + 3),
			      (long long)sqlite3_column_int64(st, off + 4),
			      (long long)sqlite3_column_int64(st, off + 5));
}

/* term_df (terms.h) says for every word what FTS5's own vocabulary counts. */
static void check_word_counts(int min_marked)
{
	sqlite3_stmt *st = NULL, *in = NULL;
	char *err = NULL;
	int checked = 0, marked = 0;

	ck_assert_msg(sqlite3_exec(store_db(ws), "CREATE VIRTUAL TABLE IF NOT EXISTS fts_v USING"
				   " fts5vocab(fts, 'row'); CREATE VIRTUAL TABLE IF NOT EXISTS fts_vc"
				   " USING fts5vocab(fts, 'col'); CREATE VIRTUAL TABLE IF NOT EXISTS"
				   " fts_vi USING fts5vocab(fts, 'instance')", NULL, NULL, &err) ==
		      SQLITE_OK, "%s", err);
	/* every word of the title and body columns (tags words start with 0 and a letter; the
	 * words as written, for prefixes, with SURFACE_MARK: surface.h). A stem that does not
	 * begin a word is marked with SURFACE_STEM_MARK there (newsd_marks), and its rows are
	 * those of either form: from the instances. */
	ck_assert_int_eq(sqlite3_prepare_v2(store_db(rs),
		"SELECT v.term, v.doc, coalesce(c.dt, 0), coalesce(c.db, 0),"
		" d.n, d.nt, d.nb FROM fts_v v"
		" LEFT JOIN (SELECT term, sum(CASE col WHEN 'title' THEN doc ELSE 0 END) dt,"
		"  sum(CASE col WHEN 'body' THEN doc ELSE 0 END) db FROM fts_vc"
		"  WHERE substr(term, 1, 1) NOT IN (char(1), char(2)) GROUP BY term) c"
		" ON c.term = v.term LEFT JOIN term_df d ON d.term = v.term"
		" WHERE v.term NOT GLOB '0[a-z]*' AND substr(v.term, 1, 1) NOT IN (char(1), char(2))"
		" AND NOT EXISTS (SELECT 1 FROM fts_v m WHERE m.term = char(2) || v.term)"
		, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		same_counts((const char *)sqlite3_column_text(st, 0), st, 1);
		checked++;
	}
	sqlite3_finalize(st);
	ck_assert_int_gt(checked, 100);
	/* the stems marked somewhere: the rows of either form, from their instances */
	ck_assert_int_eq(sqlite3_prepare_v2(store_db(rs),
		"SELECT substr(term, 2) FROM fts_v WHERE substr(term, 1, 1) = char(2)", -1, &st,
		NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(store_db(rs),
		"SELECT count(DISTINCT doc), count(DISTINCT CASE col WHEN 'title' THEN doc END),"
		" count(DISTINCT CASE col WHEN 'body' THEN doc END),"
		" (SELECT n FROM term_df WHERE term = ?1), (SELECT nt FROM term_df WHERE term = ?1),"
		" (SELECT nb FROM term_df WHERE term = ?1)"
		" FROM (SELECT doc, col FROM fts_vi WHERE term = ?1"
		" UNION ALL SELECT doc, col FROM fts_vi WHERE term = char(2) || ?1)", -1, &in, NULL),
		SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_bind_value(in, 1, sqlite3_column_value(st, 0));
		ck_assert_int_eq(sqlite3_step(in), SQLITE_ROW);
		same_counts((const char *)sqlite3_column_text(st, 0), in, 0);
		sqlite3_reset(in);
		marked++;
	}
	sqlite3_finalize(in);
	sqlite3_finalize(st);
	ck_assert_int_ge(marked, min_marked);
}

static void load_generated(int n)
{
	struct buf b = { 0 };
	int i, j, len;

	for (i = 0; i < n; i++) {
		buf_printf(&b, "{\"id\":\"g%d\",\"source\":\"src%d\",\"date\":\"20%02d-%02d-%02dT%02d:00:00Z\","
			   "\"title\":\"", i, (int)(next_rand() % 3), 20 + (int)(next_rand() % 6),
			   1 + (int)(next_rand() % 12), 1 + (int)(next_rand() % 28),
			   (int)(next_rand() % 24));
		for (j = 0; j < 1 + (int)(next_rand() % 6); j++)
			buf_printf(&b, "%s%s", j ? " " : "", zipf_word());
		buf_puts(&b, "\",\"body\":\"");
		len = 5 + (int)(next_rand() % 120);
		for (j = 0; j < len; j++)
			buf_printf(&b, "%s%s", j ? " " : "", zipf_word());
		buf_puts(&b, "\"}\n");
	}
	load(b.data, b.len, NULL);
	buf_free(&b);
}

/* Every row's newsd_rank (no state: nothing pruned or deferred) equals bm25 bit for bit. */
static void check_rows_equal(const char *match)
{
	sqlite3_stmt *st = store_stmt(rs, "SELECT bm25(fts, 4.0, 1.0, 0.0), newsd_rank(fts, 4.0)"
				      " FROM fts WHERE fts MATCH ?1", NULL);

	ck_assert_ptr_nonnull(st);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		double a = sqlite3_column_double(st, 0), b = sqlite3_column_double(st, 1);

		ck_assert_msg(memcmp(&a, &b, sizeof(a)) == 0, "%s: bm25 %.17g, newsd_rank %.17g",
			      match, a, b);
	}
	sqlite3_reset(st);
}

static int nchecked, nnonempty;

/* search_run against ORDER BY bm25(): total, ids in order, scores. */
static void check_query(const char *q, int limit, int offset, int with_range, const char *source,
			int collapse)
{
	struct search_request r;
	struct search_error e = { SEARCH_OK, NULL, -1 };
	struct search_plan plan;
	const char *srcs[1] = { source };
	sqlite3_stmt *st;
	json_t *res, *hits;
	int64_t total;
	size_t i = 0;

	memset(&r, 0, sizeof(r));
	r.q = q;
	r.limit = limit;
	r.offset = offset;
	r.snippets = 0;
	r.snippet_words = 10;
	r.collapse_dups = collapse;
	if (source) {
		r.sources = srcs;
		r.nsources = 1;
	}
	if (with_range) {
		r.has_from = r.has_to = 1;
		r.from = 1262304000 + (int64_t)(next_rand() % (6 * 365)) * 86400;	/* 2010+ */
		r.to = r.from + (int64_t)(next_rand() % 900) * 86400;
		if (next_rand() % 2) {	/* Reuters dates: 1987 */
			r.from = 541900800 + (int64_t)(next_rand() % 200) * 86400;
			r.to = r.from + (int64_t)(next_rand() % 60) * 86400;
		}
	}
	res = search_run(rs, &r, &e);
	if (res == NULL) {
		/* a query the parser refuses is refused alike by both paths: nothing to compare;
		 * any other error is a failure */
		ck_assert_msg(e.code == SEARCH_BAD_QUERY || e.code == SEARCH_BAD_PARAMETER,
			      "%s: error %d: %s", q, (int)e.code, e.message ? e.message : "");
		search_error_clear(&e);
		return;
	}
	ck_assert_int_eq(search_plan_build(rs, &r, &plan, &e), 0);
	total = json_integer_value(json_object_get(res, "total"));
	hits = json_object_get(res, "hits");
	if (!plan.empty) {
		check_rows_equal(plan.match);
		st = store_stmt(rs, "SELECT count(*) FROM fts WHERE fts MATCH ?1"
				" AND rowid BETWEEN ?2 AND ?3", NULL);
		sqlite3_bind_text(st, 1, plan.match, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, plan.rid_lo);
		sqlite3_bind_int64(st, 3, plan.rid_hi);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_msg(sqlite3_column_int64(st, 0) == total, "%s: total %lld, count(*) %lld",
			      q, (long long)total, (long long)sqlite3_column_int64(st, 0));
		sqlite3_reset(st);
		st = store_stmt(rs, "SELECT a.id, bm25(fts, 4.0, 1.0, 0.0) AS r FROM fts JOIN article a"
				" ON a.rid = fts.rowid WHERE fts MATCH ?1 AND fts.rowid BETWEEN ?2 AND ?3"
				" ORDER BY r ASC, fts.rowid DESC LIMIT ?4 OFFSET ?5", NULL);
		sqlite3_bind_text(st, 1, plan.match, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, plan.rid_lo);
		sqlite3_bind_int64(st, 3, plan.rid_hi);
		sqlite3_bind_int(st, 4, limit);
		sqlite3_bind_int(st, 5, offset);
		for (i = 0; sqlite3_step(st) == SQLITE_ROW; i++) {
			json_t *h = json_array_get(hits, i);
			double want = round(-sqlite3_column_double(st, 1) * 1e4) / 1e4;

			ck_assert_msg(h != NULL, "%s: hit %zu missing", q, i);
			ck_assert_msg(strcmp(json_string_value(json_object_get(h, "id")),
					     (const char *)sqlite3_column_text(st, 0)) == 0,
				      "%s (limit %d offset %d): hit %zu is %s, bm25 says %s", q, limit,
				      offset, i, json_string_value(json_object_get(h, "id")),
				      sqlite3_column_text(st, 0));
			ck_assert_msg(json_real_value(json_object_get(h, "score")) == want,
				      "%s: score %.6f, bm25 %.6f", q,
				      json_real_value(json_object_get(h, "score")), want);
		}
		sqlite3_reset(st);
	}
	ck_assert_uint_eq(json_array_size(hits), i);
	nchecked++;
	nnonempty += total > 0;
	search_plan_free(&plan);
	json_decref(res);
}

/* The index's vocabulary (user words only, not the tags), commonest first: read once. */
static char **vocab;
static int nvocab;

static void vocab_load(void)
{
	sqlite3_stmt *st;
	char *err = NULL;

	ck_assert(sqlite3_exec(store_db(ws), "CREATE VIRTUAL TABLE IF NOT EXISTS fts_v USING"
			       " fts5vocab(fts, 'row')", NULL, NULL, &err) == SQLITE_OK);
	st = store_stmt(rs, "SELECT term FROM fts_v WHERE term GLOB '[a-z]*'"
			" ORDER BY doc DESC, term", NULL);
	ck_assert_ptr_nonnull(st);
	while (sqlite3_step(st) == SQLITE_ROW) {
		vocab = xrealloc(vocab, ((size_t)nvocab + 1) * sizeof(*vocab));
		vocab[nvocab++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	ck_assert_int_gt(nvocab, 10);
}

static void vocab_free(void)
{
	while (nvocab > 0)
		free(vocab[--nvocab]);
	free(vocab);
	vocab = NULL;
}

/* The n-th commonest term (a copy). */
static char *vocab_term(int rank)
{
	return xstrdup(vocab[rank % nvocab]);
}

/* shape with each '@' replaced by the next of t[0..2] */
static void fill(char *q, size_t n, const char *shape, char *const *t)
{
	struct buf b = { 0 };
	int k = 0;

	for (; *shape; shape++)
		if (*shape == '@')
			buf_puts(&b, t[k++ % 3]);
		else
			buf_printf(&b, "%c", *shape);
	snprintf(q, n, "%s", b.data);
	buf_free(&b);
}

static void random_queries(int n)
{
	/* '@' stands for the next term */
	static const char *const shapes[] = { "@", "@ @", "@ OR @", "@ NOT @", "\"@ @\"", "@*",
		"title:@", "(@ OR @) @", "NEAR(@ @, 3)", "@ -@" };
	static const char *const sources[] = { NULL, NULL, NULL, "src1", "reuters" };
	char q[256];
	int i, k;

	for (i = 0; i < n; i++) {
		char *t[3];
		/* ranks spread over the frequencies: the commonest terms, middling and rare */
		for (k = 0; k < 3; k++) {
			int band = (int)(next_rand() % 3);
			int rank = band == 0 ? (int)(next_rand() % 10) :
				   band == 1 ? (int)(next_rand() % 200) :
				   (int)(next_rand() % (unsigned)nvocab);

			t[k] = vocab_term(rank);
		}
		k = (int)(next_rand() % (sizeof(shapes) / sizeof(shapes[0])));
		if (k == 5 && strlen(t[0]) > 3)
			t[0][3 + next_rand() % (strlen(t[0]) - 3)] = '\0';	/* a prefix */
		fill(q, sizeof(q), shapes[k], t);
		check_query(q, (int)(next_rand() % 3) == 0 ? 1 + (int)(next_rand() % 50) : 10,
			    (int)(next_rand() % 4) == 0 ? (int)(next_rand() % 30) : 0,
			    (int)(next_rand() % 4) == 0,
			    sources[next_rand() % (sizeof(sources) / sizeof(sources[0]))],
			    (int)(next_rand() % 8) == 0);
		for (k = 0; k < 3; k++)
			free(t[k]);
	}
}

/*
 * Rewrite n articles in place (same id and date, so the same rid, with another length), delete
 * n others and add n new ones: the rank's length cache must follow (rank.h).
 */
static void rewrite_some(int n)
{
	sqlite3_stmt *st = store_stmt(ws, "SELECT id, date FROM article ORDER BY rid % 7919"
				      " LIMIT ?1", NULL);
	struct buf b = { 0 };
	char **ids = NULL, *err = NULL, date[21];
	int i = 0, j, found;
	int64_t v;

	sqlite3_bind_int(st, 1, 2 * n);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xrealloc(ids, ((size_t)i + 1) * sizeof(*ids));
		ids[i] = xstrdup((const char *)sqlite3_column_text(st, 0));
		date_format(sqlite3_column_int64(st, 1), date);
		if (i < n) {
			buf_printf(&b, "{\"id\":\"%s\",\"date\":\"%s\",\"title\":\"%s\","
				   "\"body\":\"", ids[i], date, zipf_word());
			for (j = 0; j < 1 + (int)(next_rand() % 200); j++)
				buf_printf(&b, "%s%s", j ? " " : "", zipf_word());
			buf_puts(&b, "\"}\n");
		}
		i++;
	}
	sqlite3_reset(st);
	load_generated(n);	/* ids g0.. again: updates that move to another date */
	load(b.data, b.len, NULL);
	ck_assert(store_begin(ws, &err) == 0);
	for (j = n; j < i; j++)
		ck_assert(store_delete_article(ws, ids[j], &found, &err) == 0 && found);
	ck_assert_msg(store_commit(ws, 0, 0, i - n, &v, &err) == 0, "%s", err);
	for (j = 0; j < i; j++)
		free(ids[j]);
	free(ids);
	buf_free(&b);
}

START_TEST(test_generated)
{
	open_db();
	load_generated(3000);
	nchecked = nnonempty = 0;
	vocab_load();
	random_queries(300);
	/* the lengths are cached now: change rows under them, then compare again */
	rewrite_some(200);
	check_word_counts(3);	/* trading, city, making */
	random_queries(200);
	/* counts not known complete (a file from before term_df): IDFs by scans, still exact */
	ck_assert(sqlite3_exec(store_db(ws), "DELETE FROM meta WHERE key = 'term_df';"
			       " UPDATE term_df SET n = n + 5", NULL, NULL, NULL) == SQLITE_OK);
	random_queries(50);
	/* newsd optimize counts every article again */
	{
		char *err = NULL;

		ck_assert_msg(store_optimize(ws, &err) == 0, "%s", err);
	}
	check_word_counts(3);
	random_queries(50);
	vocab_free();
	printf("generated corpus: %d queries compared (%d with matches)\n", nchecked, nnonempty);
	ck_assert_int_ge(nnonempty, 150);
	close_db();
}
END_TEST

/* A columns thread serving the file, as newsd serve runs one, with its base read. */
static struct columns_service *serve_columns(void)
{
	struct store_options so = { "porter", 32, 1000, 4.0 };
	struct columns_service *svc;
	char *err = NULL;

	ck_assert_msg((svc = columns_start(dbpath, &so, &err)) != NULL, "%s", err);
	ck_assert_int_eq(columns_wait(store_index_version(rs), 10000), 0);
	return svc;
}

/* The same with a columns thread serving the file (newsd serve): row lengths come from the
 * shared columns (base and overlay), never from a per-thread copy. */
START_TEST(test_generated_columns)
{
	struct columns_service *svc;
	int64_t v;
	size_t rows, bytes;

	open_db();
	load_generated(3000);
	nchecked = nnonempty = 0;
	vocab_load();
	svc = serve_columns();
	random_queries(300);
	rewrite_some(200);
	random_queries(200);
	/* the queries after the rewrite ranked from an overlay at the new version */
	ck_assert(columns_stats(&v, &rows, &bytes) && v == store_index_version(rs));
	columns_stop(svc);
	vocab_free();
	printf("generated corpus, lengths from the columns: %d queries compared (%d with matches)\n",
	       nchecked, nnonempty);
	ck_assert_int_ge(nnonempty, 150);
	close_db();
}
END_TEST

/* n new articles on dates among the others' (nothing deleted or moved: the blocks they land in
 * are visited, the others still counted from the words' bits). */
static void load_fresh(int n)
{
	struct buf b = { 0 };
	int i, j;

	for (i = 0; i < n; i++) {
		buf_printf(&b, "{\"id\":\"fresh%d\",\"date\":\"20%02d-%02d-%02dT%02d:30:00Z\","
			   "\"title\":\"%s\",\"body\":\"", i, 20 + (int)(next_rand() % 6),
			   1 + (int)(next_rand() % 12), 1 + (int)(next_rand() % 28),
			   (int)(next_rand() % 24), zipf_word());
		for (j = 0; j < 5 + (int)(next_rand() % 120); j++)
			buf_printf(&b, "%s%s", j ? " " : "", zipf_word());
		buf_puts(&b, "\"}\n");
	}
	load(b.data, b.len, NULL);
	buf_free(&b);
}

/* n articles again, word for word, as prefix0, prefix1, … an hour later, with wire-copy
 * detection on. */
static void load_copies_as(int n, const char *prefix)
{
	sqlite3_stmt *st = store_stmt(ws, "SELECT title, newsd_text(body), date FROM article"
				      " WHERE id LIKE 'g%' ORDER BY rid % 7901 LIMIT ?1", NULL);
	struct buf b = { 0 };
	json_t *o;
	char date[21], *line;
	int i = 0;

	sqlite3_bind_int(st, 1, n);
	while (sqlite3_step(st) == SQLITE_ROW) {
		date_format(sqlite3_column_int64(st, 2) + 3600, date);
		o = json_pack("{s:s, s:s, s:s, s:s}", "id", "", "date", date,
			      "title", (const char *)sqlite3_column_text(st, 0),
			      "body", (const char *)sqlite3_column_text(st, 1));
		json_object_set_new(o, "id", json_sprintf("%s%d", prefix, i++));
		line = json_dumps(o, JSON_COMPACT);
		buf_printf(&b, "%s\n", line);
		free(line);
		json_decref(o);
	}
	sqlite3_reset(st);
	ck_assert(store_set_dedup(ws, 1) == 0);
	load_dedup = 1;
	load(b.data, b.len, NULL);
	load_dedup = 0;
	buf_free(&b);
}

/* n wire copies: articles again, word for word, under new ids an hour later, twice (the
 * originals were stored without signatures: the second of each is marked dup_of the first by
 * the wire-copy detection, and tagged 0d: collapse=dups leaves it out). */
static void load_copies(int n)
{
	load_copies_as(n, "copy");
	load_copies_as(n, "again");
}

/*
 * The roots of n copy groups (load_copies) rewritten in place, same id and date (so the same
 * rid), with other words: each root's copy becomes the root of its own group, a re-tag that
 * makes it a story again (collapse=dups must now rank it), and writes its row since the base.
 */
static void rewrite_roots(int n)
{
	sqlite3_stmt *st = store_stmt(ws, "SELECT id, date FROM article WHERE id LIKE 'copy%'"
				      " AND dup_of IS NULL ORDER BY rid LIMIT ?1", NULL);
	struct buf b = { 0 };
	char date[21];
	int j;

	sqlite3_bind_int(st, 1, n);
	while (sqlite3_step(st) == SQLITE_ROW) {
		date_format(sqlite3_column_int64(st, 1), date);
		buf_printf(&b, "{\"id\":\"%s\",\"date\":\"%s\",\"title\":\"%s\",\"body\":\"",
			   sqlite3_column_text(st, 0), date, zipf_word());
		for (j = 0; j < 40; j++)
			buf_printf(&b, "%s%s", j ? " " : "", zipf_word());
		buf_puts(&b, "\"}\n");
	}
	sqlite3_reset(st);
	ck_assert(b.len > 0);
	load_dedup = 1;
	load(b.data, b.len, NULL);
	load_dedup = 0;
	buf_free(&b);
}

/* n long articles (600 words) in 2031: the average length grows, the older blocks stay clean. */
static void load_long(int n)
{
	struct buf b = { 0 };
	int i, j;

	for (i = 0; i < n; i++) {
		buf_printf(&b, "{\"id\":\"long%d\",\"date\":\"2031-01-%02dT%02d:00:00Z\","
			   "\"title\":\"%s\",\"body\":\"", i, 1 + i % 28, i % 24, zipf_word());
		for (j = 0; j < 600; j++)
			buf_printf(&b, "%s%s", j ? " " : "", zipf_word());
		buf_puts(&b, "\"}\n");
	}
	load(b.data, b.len, NULL);
	buf_free(&b);
}

/* A limit for the bounds' tests: 10 mostly, any from 1 to 50, and 0 (the total alone, answered
 * from the bounds as a search for one hit). */
static int bounds_limit(void)
{
	uint64_t r = next_rand() % 8;

	return r == 0 ? 0 : r < 3 ? 1 + (int)(next_rand() % 50) : 10;
}

/* One-word queries of every frequency, as words, title:words and a word without another, with
 * limits and offsets. */
static void single_words(int n)
{
	char q[256];
	int i;

	for (i = 0; i < n; i++) {
		int rank = i < 40 ? i : (int)(next_rand() % (unsigned)nvocab);
		char *t = vocab_term(rank);

		if (next_rand() % 5 == 0) {	/* a word without another: bounds_multi */
			char *u = vocab_term((int)(next_rand() % 60));

			snprintf(q, sizeof(q), next_rand() % 2 ? "%s NOT %s" : "%s -%s", t, u);
			free(u);
		} else {
			snprintf(q, sizeof(q), "%s%s", next_rand() % 4 == 0 ? "title:" : "", t);
		}
		check_query(q, bounds_limit(), (int)(next_rand() % 4) == 0 ?
			    (int)(next_rand() % 30) : 0, 0, NULL, (int)(next_rand() % 4) == 0);
		free(t);
	}
}

/* Prefixes, phrases and NEARs of words of every frequency (the commonest first), some as
 * title:, with limits, offsets and collapse=dups: the frequent ones rank from their best rows
 * (bounds_best). */
static void single_prefixes(int n)
{
	char q[256];
	int i;

	for (i = 0; i < n; i++) {
		int rank = i < 40 ? i : (int)(next_rand() % 200);
		char *t = vocab_term(rank), *u = vocab_term((int)(next_rand() % 30));
		size_t len = strlen(t);

		switch (next_rand() % 4) {
		case 0:
			snprintf(q, sizeof(q), "\"%s %s\"", u, t);
			break;
		case 1:
			snprintf(q, sizeof(q), "NEAR(%s %s, %d)", t, u, (int)(next_rand() % 12));
			break;
		default:
			if (len > 2)
				t[2 + next_rand() % (len - 2)] = '\0';
			snprintf(q, sizeof(q), "%s%s*", next_rand() % 6 == 0 ? "title:" : "", t);
		}
		free(u);
		check_query(q, bounds_limit(), (int)(next_rand() % 4) == 0 ?
			    (int)(next_rand() % 30) : 0, 0, NULL, (int)(next_rand() % 4) == 0);
		free(t);
	}
}

/*
 * One-word searches from per-block bounds (bounds.h: blocks of 64 articles here, every word
 * bounded) against ORDER BY bm25(): the same hits, order, scores and total, at the base, after
 * updates in place and to other dates, deletions and new articles (the blocks they touch are
 * visited whole), and with a much longer average length than the bounds were built with (the
 * older rows' values grow: bounds_pass scales the bounds).
 */
START_TEST(test_generated_bounds)
{
	struct columns_service *svc;
	int64_t s0, b0, s1, b1, s2, b2, si, bi, c0, c1, c2, c3;
	uint64_t seed;

	open_db();
	load_generated(6000);
	load_copies(300);	/* collapse=dups has copies to leave out, in the base */
	nchecked = nnonempty = 0;
	vocab_load();
	svc = serve_columns();
	{
		sqlite3_stmt *st = store_stmt(rs, "SELECT count(*) FROM article"
					      " WHERE dup_of IS NOT NULL", NULL);

		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_int_ge(sqlite3_column_int64(st, 0), 200);
		sqlite3_reset(st);
	}
	bounds_configure(1, 1, 32u << 20, 64);
	search_set_prefix_cands(20);	/* few enough that the floor decides */
	search_bounds_counters(&si, &bi, &c0);
	s0 = si;
	b0 = bi;
	single_words(300);
	random_queries(100);
	search_bounds_counters(&s1, &b1, &c1);
	/* the bounds answered, and left most blocks unvisited (6,000 articles: 94 blocks) */
	ck_assert_int_ge(s1 - s0, 200);
	ck_assert_msg((b1 - b0) < (s1 - s0) * 94 / 3, "%lld blocks for %lld searches",
		      (long long)(b1 - b0), (long long)(s1 - s0));
	ck_assert_int_ge(c1 - c0, 5);	/* several words counted from the bits */
	/* prefixes: most answered from their best rows, without reading a block */
	single_prefixes(200);
	search_bounds_counters(&s0, &b0, &c2);
	ck_assert_msg(s0 - s1 >= 60 && b0 == b1, "%lld prefix searches answered, %lld blocks",
		      (long long)(s0 - s1), (long long)(b0 - b1));
	c1 = c2;	/* (prefixes count from the bits too) */
	/* copies that become stories again, after their words' bounds were built without them
	 * (collapse=dups reads the bounds of the rows that were not copies) */
	rewrite_roots(100);
	{
		sqlite3_stmt *st = store_stmt(rs, "SELECT count(*) FROM article WHERE id LIKE"
					      " 'again%' AND dup_of IS NULL", NULL);

		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_int_ge(sqlite3_column_int64(st, 0), 50);
		sqlite3_reset(st);
	}
	single_words(200);
	/* new articles among the old: several words still counted from the bits */
	load_fresh(200);
	random_queries(200);
	search_bounds_counters(&s1, &b1, &c2);
	ck_assert_int_ge(c2 - c1, 5);
	/* deletions and moves: the bits would count rows that are gone, so the first search of
	 * several words counts by FTS5 and asks the columns for a new base (nothing else would
	 * here: the overlay is small); once read, the bits count again */
	rewrite_some(300);
	random_queries(100);
	ck_assert_int_eq(columns_wait(store_index_version(rs), 10000), 0);
	search_bounds_counters(&s1, &b1, &c1);
	single_words(300);
	random_queries(200);
	search_bounds_counters(&s1, &b1, &c2);
	ck_assert_int_ge(c2 - c1, 5);
	rewrite_some(100);
	single_words(200);
	/* a new base (rows are gone since the last), then new articles after every other: one
	 * dirty block, read by FTS5, and a much longer average length, which lifts the rows the
	 * prefixes left out (their floor) */
	columns_reread();
	ck_assert_int_eq(columns_wait(store_index_version(rs), 10000), 0);
	seed = rng;
	single_prefixes(100);
	load_long(3000);
	single_words(200);
	search_bounds_counters(&s0, &b0, &c0);
	ck_assert_int_ge(s0 - s1, 250);
	/* the same queries again, from the best rows they kept: the IDFs and the average
	 * length have grown since, and so have the values of the rows they left out */
	rng = seed;
	single_prefixes(100);
	single_prefixes(100);
	search_bounds_counters(&s2, &b2, &c3);
	ck_assert_msg(s2 - s0 >= 30, "%lld prefixes answered", (long long)(s2 - s0));
	bounds_configure(1, 5000, 64u << 20, 0);
	search_set_prefix_cands(0);
	columns_stop(svc);
	vocab_free();
	printf("generated corpus, searches from block bounds: %lld searches, %.1f blocks"
	       " each; %d queries compared (%d with matches)\n", (long long)(s2 - si),
	       (double)(b2 - bi) / (double)(s2 > si ? s2 - si : 1), nchecked, nnonempty);
	ck_assert_int_ge(nnonempty, 600);
	close_db();
}
END_TEST

/* The writer of test_searches_during_ingest: batches made ahead (the generator is not
 * thread-safe), loaded one after another through ws. */
struct writer {
	struct buf *batch;
	int n;
	atomic_int done;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	int i;

	for (i = 0; i < w->n; i++) {
		load(w->batch[i].data, w->batch[i].len, NULL);
		usleep(20000);
	}
	atomic_store(&w->done, 1);
	return NULL;
}

/*
 * Searches while a writer commits batches (new articles at the end and among the old ones,
 * updates of old ones in place and to other dates): each search, run in a read transaction
 * that the oracle then reads in too, gives the total, hits, order and scores of ORDER BY
 * bm25() on that snapshot, whatever path answered it (columns, block bounds, best rows of a
 * prefix, the ordinary pass).
 */
START_TEST(test_searches_during_ingest)
{
	struct columns_service *svc;
	struct writer w = { 0 };
	pthread_t th;
	char q[256];
	int i, j, k, rounds = 0;
	int64_t s0, b0, c0, s1, b1, c1;

	open_db();
	load_generated(4000);
	nchecked = nnonempty = 0;
	vocab_load();
	svc = serve_columns();
	bounds_configure(1, 1, 32u << 20, 64);
	search_set_prefix_cands(32);
	w.n = 40;
	w.batch = xcalloc((size_t)w.n, sizeof(*w.batch));
	for (i = 0; i < w.n; i++)
		for (j = 0; j < 40; j++) {
			/* 0, 1: news after everything; 2: an old date; 3: an old article again
			 * (the first half: news only, so the bounds keep answering) */
			int kind = i < w.n / 2 ? 0 : (int)(next_rand() % 4);

			buf_printf(&w.batch[i], "{\"id\":\"%s%d\",\"date\":\"%s\",\"title\":\"%s\","
				   "\"body\":\"", kind == 3 ? "g" : "live",
				   kind == 3 ? (int)(next_rand() % 4000) : i * 40 + j,
				   kind < 2 ? "2031-06-01T00:00:00Z" : "2022-03-04T05:06:07Z",
				   zipf_word());
			for (k = 0; k < 5 + (int)(next_rand() % 150); k++)
				buf_printf(&w.batch[i], "%s%s", k ? " " : "", zipf_word());
			buf_puts(&w.batch[i], "\"}\n");
		}
	search_bounds_counters(&s0, &b0, &c0);
	ck_assert_int_eq(pthread_create(&th, NULL, writer_main, &w), 0);
	while (!atomic_load(&w.done) || rounds < 50) {
		int rank = (int)(next_rand() % 60);
		char *t = vocab_term(rank);

		switch (next_rand() % 4) {
		case 0:
			snprintf(q, sizeof(q), "%s", t);
			break;
		case 1:
			if (strlen(t) > 2)
				t[2 + next_rand() % (strlen(t) - 2)] = '\0';
			snprintf(q, sizeof(q), "%s*", t);
			break;
		case 2: {
			char *u = vocab_term((int)(next_rand() % 60));

			snprintf(q, sizeof(q), next_rand() % 2 ? "%s %s" : "%s NOT %s", t, u);
			free(u);
			break;
		}
		default:
			snprintf(q, sizeof(q), "%s OR %s", t, t);
			break;
		}
		/* the search and the oracle in one read transaction: one snapshot */
		ck_assert_int_eq(sqlite3_exec(store_db(rs), "BEGIN", NULL, NULL, NULL), SQLITE_OK);
		check_query(q, 10, (int)(next_rand() % 4) == 0 ? (int)(next_rand() % 20) : 0, 0, NULL,
			    (int)(next_rand() % 4) == 0);
		ck_assert_int_eq(sqlite3_exec(store_db(rs), "COMMIT", NULL, NULL, NULL), SQLITE_OK);
		free(t);
		rounds++;
	}
	pthread_join(th, NULL);
	search_bounds_counters(&s1, &b1, &c1);
	for (i = 0; i < w.n; i++)
		buf_free(&w.batch[i]);
	free(w.batch);
	bounds_configure(1, 5000, 64u << 20, 0);
	search_set_prefix_cands(0);
	columns_stop(svc);
	vocab_free();
	printf("searches during ingest: %d compared with bm25 on their snapshot (%d with matches),"
	       " %lld answered from bounds\n", nchecked, nnonempty, (long long)(s1 - s0));
	ck_assert_int_ge(nnonempty, 40);
	ck_assert_int_ge(s1 - s0, 10);
	close_db();
}
END_TEST

/*
 * GET /articles/{id}/similar: the OR query of an article's distinctive words stays within its
 * postings limit (the sum of its words' document counts), and its answer is exactly the first
 * rows of ORDER BY bm25(fts, 2, 1, 1), rowid DESC for that query, without the article itself.
 */
static void check_similar(const char *id, double limit, int *capped)
{
	struct similar_request r;
	struct search_error err = { SEARCH_OK, NULL, -1 };
	double df[RANK_MAX_PHRASES], sum = 0;
	char *m, *all;
	const char *t;
	int n, i, ntags = 0;
	json_t *res, *list;
	sqlite3_stmt *st;

	similar_set_postings(0);
	all = similar_match(rs, id);
	similar_set_postings(limit);
	m = similar_match(rs, id);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(all);
	n = terms_phrase_df(store_terms(rs), m, df, RANK_MAX_PHRASES);
	for (i = 0; i < n; i++)		/* the words (the entities' tags: below) */
		if (!isnan(df[i]))
			sum += df[i];
	for (t = strstr(m, "{tags} : \""); t; t = strstr(t + 1, "{tags} : \"")) {
		char tag[64], *phrase;

		ck_assert(sscanf(t, "{tags} : \"%63[^\"]\"", tag) == 1);
		phrase = xasprintf("{tags} : \"%s\"", tag);
		st = store_stmt(rs, "SELECT count(*) FROM fts WHERE fts MATCH ?1", NULL);
		sqlite3_bind_text(st, 1, phrase, -1, SQLITE_TRANSIENT);
		free(phrase);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		sum += (double)sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		ntags++;
	}
	for (i = 0; i < n; i++)
		ck_assert_msg(!isnan(df[i]) || ntags-- > 0, "%s: phrase %d of %s has no count", id,
			      i, m);
	ck_assert_msg(sum <= limit, "%s: %s is in %.0f articles, past %.0f", id, m, sum, limit);
	if (strcmp(m, all) != 0)
		(*capped)++;
	memset(&r, 0, sizeof(r));
	r.limit = 10;
	res = similar_run(rs, id, &r, &err);
	ck_assert_msg(res != NULL, "%s: %s", id, err.message ? err.message : "not found");
	list = json_object_get(res, "similar");
	st = store_stmt(rs, "SELECT a.id, bm25(fts, 2.0, 1.0, 1.0) FROM fts JOIN article a"
			" ON a.rid = fts.rowid WHERE fts MATCH ?1 AND a.id != ?2"
			" ORDER BY bm25(fts, 2.0, 1.0, 1.0), fts.rowid DESC LIMIT 10", NULL);
	ck_assert_ptr_nonnull(st);
	sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
	for (i = 0; m[0] && sqlite3_step(st) == SQLITE_ROW; i++) {
		json_t *h = json_array_get(list, (size_t)i);

		ck_assert_msg(h != NULL, "%s: %d similar, bm25 has more", id, i);
		ck_assert_str_eq(json_string_value(json_object_get(h, "id")),
				 (const char *)sqlite3_column_text(st, 0));
		ck_assert(fabs(json_real_value(json_object_get(h, "score")) -
			       round(-sqlite3_column_double(st, 1) * 1e4) / 1e4) < 1e-9);
	}
	sqlite3_reset(st);
	ck_assert_int_eq(i, (int)json_array_size(list));
	json_decref(res);
	search_error_clear(&err);
	free(m);
	free(all);
}

/* n articles with given people and organisations (the generated corpus has none), ids e0..:
 * their tags are phrases of the similar query too. */
static void load_with_entities(int n)
{
	static const char *const orgs[] = { "Acme Corp", "Borex Group", "Cyral Bank",
					     "Delta Port Authority" };
	static const char *const people[] = { "Ann Quill", "Bo Marsh", "Cy Tran" };
	struct buf b = { 0 };
	int i, j;

	for (i = 0; i < n; i++) {
		buf_printf(&b, "{\"id\":\"e%d\",\"date\":\"2027-%02d-%02dT10:00:00Z\",\"title\":\"%s\","
			   "\"body\":\"", i, 1 + i % 12, 1 + i % 28, zipf_word());
		for (j = 0; j < 20 + (int)(next_rand() % 60); j++)
			buf_printf(&b, "%s%s", j ? " " : "", zipf_word());
		buf_printf(&b, "\",\"entities\":{\"orgs\":[\"%s\"],\"people\":[\"%s\"]}}\n",
			   orgs[next_rand() % 4], people[next_rand() % 3]);
	}
	load(b.data, b.len, NULL);
	buf_free(&b);
}

START_TEST(test_similar)
{
	int i, capped = 0;
	char id[16];

	open_db();
	load_generated(3000);
	load_with_entities(300);
	for (i = 0; i < 20; i++) {
		char *m;

		snprintf(id, sizeof(id), "e%d", i * 13);
		m = similar_match(rs, id);
		ck_assert_msg(m && strstr(m, "{tags} : \"0e"), "%s: no entity in %s", id, m);
		free(m);
		check_similar(id, i % 2 ? 1e12 : 2000, &capped);
	}
	ck_assert_ptr_null(similar_match(rs, "no-such-id"));
	for (i = 0; i < 60; i++) {
		snprintf(id, sizeof(id), "g%d", i * 37);
		check_similar(id, i % 2 ? 1e12 : 300, &capped);
	}
	/* the limit left words out of most of the capped queries */
	ck_assert_int_ge(capped, 20);
	similar_set_postings(0);
	close_db();
}
END_TEST

START_TEST(test_reuters)
{
	if (access(REUTERS, R_OK) != 0) {
		printf("test_rank: %s absent: Reuters comparison skipped\n", REUTERS);
		return;
	}
	open_db();
	load(NULL, 0, REUTERS);
	check_word_counts(100);
	nchecked = nnonempty = 0;
	vocab_load();
	random_queries(300);
	vocab_free();
	check_query("said", 10, 0, 0, NULL, 0);
	check_query("said", 10, 0, 0, "reuters", 0);
	check_query("oil", 25, 5, 0, NULL, 0);
	check_query("export*", 10, 0, 0, NULL, 0);
	check_query("bank NOT japan", 10, 0, 0, NULL, 0);
	printf("Reuters: %d queries compared (%d with matches)\n", nchecked, nnonempty);
	ck_assert_int_ge(nnonempty, 150);
	close_db();
}
END_TEST

static Suite *rank_suite(void)
{
	Suite *s = suite_create("rank");
	TCase *tc = tcase_create("bm25");

	tcase_add_test(tc, test_generated);
	tcase_add_test(tc, test_generated_columns);
	tcase_add_test(tc, test_generated_bounds);
	tcase_add_test(tc, test_searches_during_ingest);
	tcase_add_test(tc, test_similar);
	tcase_add_test(tc, test_reuters);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rank_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
