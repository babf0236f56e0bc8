/*
 * similar.c — more-like-this; see similar.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "date.h"
#include "lang.h"
#include "rank.h"
#include "similar.h"
#include "terms.h"
#include "util.h"

/* One word (or entity tag "0e<id>") of one document: doc 0 is the article, 1.. candidates. */
struct tok {
	char *w;
	int doc;
	double tf;	/* then its weight */
	double df;	/* articles with it (after weigh) */
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

static void tok_add(struct toks *t, const char *w, size_t n, int doc, double tf)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n].w = xstrndup(w, n);
	t->v[t->n].doc = doc;
	t->v[t->n].tf = tf;
	t->v[t->n].df = 0;
	t->n++;
}

static void toks_free(struct toks *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].w);
	free(t->v);
}

/* The lower-case ASCII words (3 to 30 letters) of text, each counted weight times. */
static void collect(struct toks *t, const char *text, double weight, int doc)
{
	const char *p = text;

	while (p && *p) {
		size_t k = 0;
		char buf[32];

		while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			p++;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
			if (k < sizeof(buf))
				buf[k] = (char)(*p | 0x20);
			k++;
			p++;
		}
		if (k >= 3 && k <= 30)
			tok_add(t, buf, k, doc, weight);
	}
}

/* The entity tags ("0e<id>") of a tags column, as tokens of doc. */
static void collect_entities(struct toks *t, const char *tags, int doc)
{
	while (tags && *tags) {
		size_t n = strcspn(tags, " ");

		if (n > 2 && n < 24 && tags[0] == '0' && tags[1] == 'e')
			tok_add(t, tags, n, doc, 1.0);
		tags += n;
		tags += strspn(tags, " ");
	}
}

static int cmp_tok(const void *a, const void *b)
{
	const struct tok *x = a, *y = b;
	int c = strcmp(x->w, y->w);

	return c ? c : x->doc - y->doc;
}

/* Sort by (word, doc) and merge repeats, adding their counts. */
static void toks_merge(struct toks *t)
{
	size_t i, j = 0;

	qsort(t->v, t->n, sizeof(*t->v), cmp_tok);
	for (i = 0; i < t->n; i++) {
		if (j > 0 && t->v[i].doc == t->v[j - 1].doc && strcmp(t->v[i].w, t->v[j - 1].w) == 0) {
			t->v[j - 1].tf += t->v[i].tf;
			free(t->v[i].w);
		} else {
			t->v[j++] = t->v[i];
		}
	}
	t->n = j;
}

/*
 * Each token's tf·idf weight, (1 + ln tf) · ln(N / df), in place of its count. Document counts:
 * words from term_df (batched through the index's tokenizer), entity tags from entity.n. A
 * word in one article only (its own) or unknown weighs 0: it says nothing of others.
 */
static void weigh(struct store *s, struct toks *t)
{
	double ndocs = (double)store_article_count(s) + 1, df = 0;
	struct buf m = { 0 };
	size_t i, k, nw = 0, *first = xmalloc((t->n + 1) * sizeof(*first));
	double *dfs;
	/* places say little about the story (most articles have one): people and
	 * organisations only */
	sqlite3_stmt *st = store_stmt(s, "SELECT n FROM entity WHERE id = ?1 AND type != 2", NULL);

	for (i = 0; i < t->n; i++)		/* distinct words: the first token of each */
		if (i == 0 || strcmp(t->v[i].w, t->v[i - 1].w) != 0)
			first[nw++] = i;
	dfs = xmalloc((nw + 1) * sizeof(*dfs));
	buf_puts(&m, "{title body}:");
	for (k = 0; k < nw; k++) {
		const char *w = t->v[first[k]].w;

		dfs[k] = NAN;
		if (w[0] == '0') {
			if (st) {
				sqlite3_bind_int64(st, 1, strtoll(w + 2, NULL, 10));
				if (sqlite3_step(st) == SQLITE_ROW)
					dfs[k] = (double)sqlite3_column_int64(st, 0);
				sqlite3_reset(st);
			}
			buf_puts(&m, " \"\"");	/* keeps the phrases in step with dfs[] */
		} else {
			buf_printf(&m, " \"%s\"", w);
		}
	}
	{
		double *wd = xmalloc((nw + 1) * sizeof(*wd));
		int got = terms_phrase_df(store_terms(s), m.data, wd, (int)nw);

		for (k = 0; k < nw; k++)
			if (t->v[first[k]].w[0] != '0')
				dfs[k] = got == (int)nw ? wd[k] : NAN;
		free(wd);
	}
	first[nw] = t->n;
	for (k = 0; k < nw; k++) {
		df = dfs[k];
		for (i = first[k]; i < first[k + 1]; i++) {
			t->v[i].tf = isnan(df) || df < 2 ||
				     (df > ndocs * SIMILAR_MAX_DF && df > SIMILAR_MAX_DF_MIN) ? 0 :
				     (1 + log(t->v[i].tf)) * log(ndocs / df);
			t->v[i].df = isnan(df) ? 0 : df;
		}
	}
	free(dfs);
	free(first);
	buf_free(&m);
}

static json_t *fail(struct search_error *err, const char *msg)
{
	err->code = SEARCH_INTERNAL;
	free(err->message);
	err->message = xstrdup(msg);
	return NULL;
}

static double similar_postings = SIMILAR_POSTINGS;

void similar_set_postings(double n)
{
	similar_postings = n > 0 ? n : SIMILAR_POSTINGS;
}

static int cmp_weight(const void *a, const void *b)
{
	const struct tok *x = a, *y = b;

	if (x->tf != y->tf)
		return x->tf > y->tf ? -1 : 1;
	return strcmp(x->w, y->w);
}

/* The MATCH of the article's most distinctive words and entities (doc 0 of t, weighed):
 * ({title body} : ("w1" OR …)) OR {tags} : "0e…" OR …; empty when it has none. */
static void query_of(struct toks *t, struct buf *m)
{
	struct tok *v = xmalloc((t->n + 1) * sizeof(*v));
	size_t n = t->n, i, nw = 0, ne = 0;
	double postings = 0;
	struct buf w = { 0 }, e = { 0 };

	memcpy(v, t->v, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_weight);
	for (i = 0; i < n && v[i].tf > 0; i++) {
		int entity = v[i].w[0] == '0';

		/* a word that would take the query past its postings is left out; a rarer,
		 * lighter one may still fit */
		if ((entity ? ne >= SIMILAR_ENTITIES : nw >= SIMILAR_TERMS) ||
		    postings + v[i].df > similar_postings)
			continue;
		postings += v[i].df;
		if (entity)
			buf_printf(&e, "%s{tags} : \"%s\"", ne++ ? " OR " : "", v[i].w);
		else
			buf_printf(&w, "%s\"%s\"", nw++ ? " OR " : "", v[i].w);
	}
	if (nw)
		buf_printf(m, "({title body} : (%s))", w.data);
	if (ne)
		buf_printf(m, "%s%s", nw ? " OR " : "", e.data);
	buf_free(&w);
	buf_free(&e);
	free(v);
}

struct cand {
	int64_t rid, group;
	char *id, *title, *source;
	int64_t date;
	double score;
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->rid > y->rid ? -1 : x->rid < y->rid;	/* ties: the newer */
}

static json_t *timeout(struct search_error *err)
{
	err->code = SEARCH_TIMEOUT;
	free(err->message);
	err->message = xstrdup("the query took longer than the configured query_timeout_ms");
	return NULL;
}

/*
 * The best limit matches of match in [lo, hi] but rid, by newsd_rank (title 2, body 1, tags
 * 1), into *out (*n of them, best first), with their rows. 0, or -1 with *rc (a step result).
 */
static int rank_top(struct store *s, const char *match, int64_t rid, int64_t lo, int64_t hi,
		    int limit, struct cand **out, size_t *n, int *rc)
{
	struct rank_state rs;
	int64_t version = store_index_version(s);
	struct cand *c = xcalloc((size_t)limit + 1, sizeof(*c));
	sqlite3_stmt *st, *row;
	size_t k = 0, i;
	int ret = -1;

	memset(&rs, 0, sizeof(rs));
	rs.threshold = INFINITY;
	/* the words' document counts from term_df, as a search takes them: without them
	 * newsd_rank reads each word's whole doclist once more for its IDF */
	rs.ndf = terms_phrase_df(store_terms(s), match, rs.df, RANK_MAX_PHRASES);
	rs.cols = columns_acquire(s, version);
	if (rs.cols == NULL && !columns_serving(s))
		rs.lengths = rank_lengths_sync(store_db(s), version);
	st = store_stmt(s, "SELECT rowid, newsd_rank(fts, 2.0, ?5, 1.0) FROM fts"
			" WHERE fts MATCH ?1 AND rowid != ?2 AND rowid BETWEEN ?3 AND ?4", NULL);
	row = store_stmt(s, "SELECT a.id, a.title, a.date, src.name, coalesce(a.dup_of, a.rid)"
			 " FROM article a LEFT JOIN source src ON src.id = a.source_id"
			 " WHERE a.rid = ?1", NULL);
	*rc = SQLITE_ERROR;
	if (st == NULL || row == NULL)
		goto out;
	sqlite3_bind_text(st, 1, match, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, rid);
	sqlite3_bind_int64(st, 3, lo);
	sqlite3_bind_int64(st, 4, hi);
	sqlite3_bind_pointer(st, 5, &rs, "newsd_rank", NULL);
	/* c[0..k) best first: larger score, then the newer; score is -rank */
	while ((*rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cand x;

		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue;	/* cannot enter the top */
		memset(&x, 0, sizeof(x));
		x.rid = sqlite3_column_int64(st, 0);
		x.score = -sqlite3_column_double(st, 1);
		if (k == (size_t)limit && cmp_cand(&x, &c[k - 1]) >= 0)
			continue;
		for (i = k < (size_t)limit ? k++ : k - 1; i > 0 && cmp_cand(&x, &c[i - 1]) < 0; i--)
			c[i] = c[i - 1];
		c[i] = x;
		if (k == (size_t)limit)
			rs.threshold = -c[k - 1].score;
	}
	sqlite3_reset(st);
	if (*rc != SQLITE_DONE)
		goto out;
	for (i = 0; i < k; i++) {
		sqlite3_bind_int64(row, 1, c[i].rid);
		if (sqlite3_step(row) == SQLITE_ROW) {
			c[i].id = xstrdup((const char *)sqlite3_column_text(row, 0));
			c[i].title = sqlite3_column_text(row, 1) ?
				     xstrdup((const char *)sqlite3_column_text(row, 1)) : NULL;
			c[i].date = sqlite3_column_int64(row, 2);
			c[i].source = sqlite3_column_text(row, 3) ?
				      xstrdup((const char *)sqlite3_column_text(row, 3)) : NULL;
			c[i].group = sqlite3_column_int64(row, 4);
		}
		sqlite3_reset(row);
		if (c[i].id == NULL) {
			*rc = SQLITE_ERROR;
			goto out;
		}
	}
	ret = 0;
out:
	columns_release(rs.cols);
	if (ret == 0) {
		*out = c;
		*n = k;
	} else {
		for (i = 0; i < k; i++) {
			free(c[i].id);
			free(c[i].title);
			free(c[i].source);
		}
		free(c);
	}
	return ret;
}

/*
 * The MATCH for the article id into *m (empty when it has no distinctive words), its rid and
 * its wire-copy group. 1, 0 when there is no such article, -1 when it cannot be read.
 */
static int article_query(struct store *s, const char *id, int64_t *rid, int64_t *group,
			 struct buf *m)
{
	struct toks t0 = { 0 };
	sqlite3_stmt *st;

	/* the first 8 KiB of the body: the lead carries the story's words */
	st = store_stmt(s, "SELECT rid, title, substr(newsd_text(body), 1, 8192), coalesce(dup_of, rid), tags,"
			" lang FROM article WHERE id = ?1", NULL);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	*rid = sqlite3_column_int64(st, 0);
	*group = sqlite3_column_int64(st, 3);
	collect(&t0, (const char *)sqlite3_column_text(st, 1), 2.0, 0);
	collect(&t0, (const char *)sqlite3_column_text(st, 2), 1.0, 0);
	collect_entities(&t0, (const char *)sqlite3_column_text(st, 4), 0);
	/* its words are stemmed as the article's language stems them (langtok.h) */
	store_use_langs(s, lang_bit((const char *)sqlite3_column_text(st, 5)));
	sqlite3_reset(st);
	toks_merge(&t0);
	weigh(s, &t0);
	query_of(&t0, m);
	toks_free(&t0);
	return 1;
}

char *similar_match(struct store *s, const char *id)
{
	struct buf m = { 0 };
	int64_t rid, group;

	if (article_query(s, id, &rid, &group, &m) <= 0) {
		buf_free(&m);
		return NULL;
	}
	if (m.data == NULL)
		return xstrdup("");
	return m.data;
}

json_t *similar_run(struct store *s, const char *id, const struct similar_request *r,
		    struct search_error *err)
{
	struct buf m = { 0 };
	struct cand *c = NULL;
	json_t *list = NULL, *res = NULL;
	int64_t rid = 0, group = 0, lo = INT64_MIN, hi = INT64_MAX;
	size_t nc = 0, i;
	int rc;

	rc = article_query(s, id, &rid, &group, &m);
	if (rc < 0)
		return fail(err, "internal error reading the article");
	if (rc == 0) {
		err->code = SEARCH_OK;
		return NULL;
	}
	list = json_array();
	if (m.len == 0)
		goto done;
	if (r->nsources > 0) {
		struct buf src = { 0 };
		sqlite3_stmt *q = store_stmt(s, "SELECT id FROM source WHERE name = ?1", NULL);
		char *both;

		for (i = 0; q && i < r->nsources; i++) {
			sqlite3_bind_text(q, 1, r->sources[i], -1, SQLITE_TRANSIENT);
			if (sqlite3_step(q) == SQLITE_ROW)
				buf_printf(&src, "%s{tags} : \"0s%lld\"", src.len ? " OR " : "",
					   (long long)sqlite3_column_int64(q, 0));
			sqlite3_reset(q);
		}
		if (src.len == 0) {		/* no such source: nothing can match */
			buf_free(&src);
			goto done;
		}
		both = xasprintf("(%s) AND (%s)", m.data, src.data);
		buf_reset(&m);
		buf_puts(&m, both);
		free(both);
		buf_free(&src);
	}
	if (r->has_from)
		lo = store_rid_min(r->from);
	if (r->has_to)
		hi = store_rid_max(r->to);
	/* ranked by bm25 of that OR query, the entities' tags weighted like the body; ties to
	 * the newer article. newsd_rank is that bm25 bit for bit, and skips the rows that cannot
	 * enter the top (rank.h): at 1M articles the OR of 25 words matches hundreds of thousands,
	 * and bm25() of each ran past the query timeout. */
	if (rank_top(s, m.data, rid, lo, hi, r->limit, &c, &nc, &rc) < 0) {
		res = rc == SQLITE_INTERRUPT ? timeout(err) :
		      fail(err, "internal error finding similar articles");
		goto out;
	}
	qsort(c, nc, sizeof(*c), cmp_cand);
	for (i = 0; i < nc; i++) {
		char d[21];

		date_format(c[i].date, d);
		json_array_append_new(list, json_pack("{s:s, s:o, s:s, s:o, s:f, s:b}",
			"id", c[i].id, "title", c[i].title ? json_string(c[i].title) : json_null(),
			"date", d, "source", c[i].source ? json_string(c[i].source) : json_null(),
			"score", round(c[i].score * 1e4) / 1e4, "copy", c[i].group == group));
	}
done:
	res = json_pack("{s:s, s:O, s:I}", "id", id, "similar", list, "index_version",
			(json_int_t)store_index_version(s));
out:
	json_decref(list);
	for (i = 0; i < nc; i++) {
		free(c[i].id);
		free(c[i].title);
		free(c[i].source);
	}
	free(c);
	buf_free(&m);
	return res;
}
