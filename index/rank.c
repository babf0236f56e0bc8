/*
 * rank.c — newsd_rank: FTS5's bm25 for a top-k, with an upper bound that spares the rows that
 * cannot win their length lookup; see rank.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "rank.h"
#include "store.h"
#include "util.h"

/* FTS5's bm25 constants (fts5_aux.c) */
#define K1 1.2
#define B 0.75

/* ---- row lengths ---- */

struct rank_lengths {
	sqlite3 *db;
	int64_t version;
	int64_t *rid;		/* sorted, with len: every row of fts_docsize at the base build */
	uint32_t *len;
	size_t n;
	int64_t *top;		/* rid[i * LEN_STRIDE]: a small index that stays in cache */
	size_t ntop;
	int64_t *hrid;		/* rows written since the base build: open addressing, 0 = free */
	uint32_t *hlen;
	size_t hcap, hn;
	size_t hint;		/* where the last lookup ended in rid[] (rows come in rid order) */
};

#define LEN_STRIDE 64

static _Thread_local struct rank_lengths lengths;

void rank_lengths_release(void)
{
	free(lengths.rid);
	free(lengths.len);
	free(lengths.top);
	free(lengths.hrid);
	free(lengths.hlen);
	memset(&lengths, 0, sizeof(lengths));
}

/* The sum of a docsize blob's varints (SQLite's: 7 bits a byte, most significant first): the
 * row's tokens over all columns. */
uint32_t rank_blob_tokens(const void *blob, int n)
{
	const unsigned char *p = blob;
	uint32_t sum = 0, v;
	int i = 0;

	while (i < n) {
		v = 0;
		while (i < n) {
			v = (v << 7) | (p[i] & 0x7f);
			if ((p[i++] & 0x80) == 0)
				break;
		}
		sum += v;
	}
	return sum;
}

static size_t hslot(const struct rank_lengths *l, int64_t rid)
{
	size_t i = (size_t)(((uint64_t)rid * 0x9E3779B97F4A7C15ULL) >> 20) & (l->hcap - 1);

	while (l->hrid[i] != 0 && l->hrid[i] != rid)
		i = (i + 1) & (l->hcap - 1);
	return i;
}

static void hput(struct rank_lengths *l, int64_t rid, uint32_t len)
{
	size_t i;

	if ((l->hn + 1) * 2 > l->hcap) {
		struct rank_lengths big = *l;
		size_t j;

		big.hcap = l->hcap ? l->hcap * 2 : 1024;
		big.hrid = xcalloc(big.hcap, sizeof(*big.hrid));
		big.hlen = xcalloc(big.hcap, sizeof(*big.hlen));
		big.hn = 0;
		for (j = 0; j < l->hcap; j++)
			if (l->hrid[j]) {
				i = hslot(&big, l->hrid[j]);
				big.hrid[i] = l->hrid[j];
				big.hlen[i] = l->hlen[j];
				big.hn++;
			}
		free(l->hrid);
		free(l->hlen);
		*l = big;
	}
	i = hslot(l, rid);
	if (l->hrid[i] == 0)
		l->hn++;
	l->hrid[i] = rid;
	l->hlen[i] = len;
}

/* Read every row's length (a full build): 0, or -1 (the lengths are left empty). */
static int lengths_build(sqlite3 *db, int64_t version)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	rank_lengths_release();
	if (sqlite3_prepare_v2(db, "SELECT id, sz FROM fts_docsize ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (lengths.n == cap) {
			cap = cap ? cap * 2 : 65536;
			lengths.rid = xrealloc(lengths.rid, cap * sizeof(*lengths.rid));
			lengths.len = xrealloc(lengths.len, cap * sizeof(*lengths.len));
		}
		lengths.rid[lengths.n] = sqlite3_column_int64(st, 0);
		lengths.len[lengths.n] = rank_blob_tokens(sqlite3_column_blob(st, 1),
						     sqlite3_column_bytes(st, 1));
		lengths.n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rank_lengths_release();
		return -1;
	}
	lengths.ntop = (lengths.n + LEN_STRIDE - 1) / LEN_STRIDE;
	lengths.top = xmalloc((lengths.ntop + 1) * sizeof(*lengths.top));
	for (cap = 0; cap < lengths.ntop; cap++)
		lengths.top[cap] = lengths.rid[cap * LEN_STRIDE];
	lengths.db = db;
	lengths.version = version;
	return 0;
}

/* Bring the lengths from their version to version: the rows written since. */
static int lengths_update(sqlite3 *db, int64_t version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT d.id, d.sz FROM article a JOIN fts_docsize d"
			       " ON d.id = a.rid WHERE a.version > ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, lengths.version);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		hput(&lengths, sqlite3_column_int64(st, 0),
		     rank_blob_tokens(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	lengths.version = version;
	return 0;
}

const struct rank_lengths *rank_lengths_sync(sqlite3 *db, int64_t version)
{
	if (lengths.db == db && lengths.version == version)
		return &lengths;
	/* a newer version with few changes: add them; anything else: read everything again */
	if (lengths.db == db && version > lengths.version &&
	    lengths.hn < lengths.n / 8 + 65536 && lengths_update(db, version) == 0)
		return &lengths;
	return lengths_build(db, version) == 0 ? &lengths : NULL;
}

/* The row's length, or -1 when it is not known (then ask FTS5). */
static int64_t lengths_get(const struct rank_lengths *cl, int64_t rid)
{
	struct rank_lengths *l = (struct rank_lengths *)cl;
	size_t lo, hi, i;

	if (l->hn) {
		i = hslot(l, rid);
		if (l->hrid[i] == rid)
			return l->hlen[i];
	}
	if (l->n == 0)
		return -1;
	/* rows come in rid order: look a little ahead of the last place first */
	i = l->hint < l->n ? l->hint : 0;
	if (l->rid[i] <= rid && (i + 8 >= l->n || l->rid[i + 8] >= rid)) {
		for (; i < l->n && l->rid[i] < rid; i++)
			;
	} else {
		/* the block in the small index, then the place in the block: a sparse match
		 * (far from the last) costs a few cache misses, not a search of the whole array */
		lo = 0;
		hi = l->ntop;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (l->top[mid] <= rid)
				lo = mid + 1;
			else
				hi = mid;
		}
		lo = lo > 0 ? (lo - 1) * LEN_STRIDE : 0;
		hi = lo + LEN_STRIDE < l->n ? lo + LEN_STRIDE : l->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (l->rid[mid] < rid)
				lo = mid + 1;
			else
				hi = mid;
		}
		i = lo;
	}
	l->hint = i;
	return i < l->n && l->rid[i] == rid ? (int64_t)l->len[i] : -1;
}

/* What one query needs, kept with FTS5's per-query aux data. */
struct qdata {
	int nphrase;
	int deferred;		/* one phrase, IDF applied by the caller (rank_scale) */
	int64_t rows;
	double avgdl;
	double *idf;		/* per phrase; NAN until a row has an instance of it */
	double *freq;		/* per row: weighted instances of each phrase */
};

static int count_cb(const Fts5ExtensionApi *api, Fts5Context *fts, void *ud)
{
	(void)api;
	(void)fts;
	(*(int64_t *)ud)++;
	return SQLITE_OK;
}

/* A phrase's share of a row's score before its IDF: bm25's expression for freq weighted
 * instances in a row of dl tokens (fts5_aux.c), kept in one place so that rank_value gives
 * bit for bit what newsd_rank does. */
static inline double share(double freq, double dl, double avgdl)
{
	return (freq * (K1 + 1.0)) / (freq + K1 * (1 - B + B * dl / avgdl));
}

double rank_value(const double *freq, const double *idf, int n, double dl, double avgdl)
{
	double score = 0.0;
	int i;

	/* as rank_fn: phrases in order, those without an instance left out */
	for (i = 0; i < n; i++)
		if (freq[i] != 0.0)
			score += idf[i] * share(freq[i], dl, avgdl);
	return -1.0 * score;
}

/* An FTS5 varint (SQLite's format: 7 bits a byte, high bit set to go on; a ninth byte gives 8
 * bits) at p[*i..n): its value, *i moved past it, or -1 when the record ends first. */
static int64_t fts5_varint(const unsigned char *p, int n, int *i)
{
	uint64_t v = 0;
	int k;

	for (k = 0; k < 9 && *i < n; k++) {
		unsigned char c = p[(*i)++];

		if (k == 8)
			return (int64_t)((v << 8) | c);
		v = (v << 7) | (c & 0x7f);
		if (!(c & 0x80))
			return (int64_t)v;
	}
	return -1;
}

int rank_totals(const void *record, int len, int64_t *rows, double *avgdl)
{
	const unsigned char *p = record;
	int64_t n, tokens = 0, v;
	int i = 0;

	/* fts5's averages record: the rows, then each column's tokens */
	if (p == NULL || (n = fts5_varint(p, len, &i)) <= 0)
		return -1;
	while (i < len && (v = fts5_varint(p, len, &i)) >= 0)
		tokens += v;
	if (i != len)
		return -1;
	*rows = n;
	*avgdl = (double)tokens / (double)n;
	return 0;
}

/* bm25's IDF for a phrase found in nhit of rows documents, floored at 1e-6 as bm25 does. */
static double idf_of(int64_t nhit, int64_t rows)
{
	/* the same expression as fts5_aux.c: log((N - nHit + 0.5) / (nHit + 0.5)) */
	double idf = log(((double)(rows - nhit) + 0.5) / ((double)nhit + 0.5));

	if (idf <= 0.0)
		idf = 1e-6;
	return idf;
}

double rank_idf(int64_t nhit, int64_t rows)
{
	return idf_of(nhit, rows);
}

double rank_scale(double v, int64_t nhit, int64_t rows)
{
	double score = 0.0;

	score += idf_of(nhit, rows) * -v;
	return -1.0 * score;
}

static void qdata_free(void *p)
{
	struct qdata *q = p;

	if (q) {
		free(q->idf);
		free(q->freq);
		free(q);
	}
}

static struct qdata *qdata_get(const Fts5ExtensionApi *api, Fts5Context *fts,
			       const struct rank_state *st, int *rc)
{
	struct qdata *q = api->xGetAuxdata(fts, 0);
	sqlite3_int64 rows = 0, tokens = 0;
	int i;

	if (q)
		return q;
	*rc = api->xRowCount(fts, &rows);
	if (*rc == SQLITE_OK)
		*rc = api->xColumnTotalSize(fts, -1, &tokens);
	if (*rc != SQLITE_OK)
		return NULL;
	q = xcalloc(1, sizeof(*q));
	q->nphrase = api->xPhraseCount(fts);
	q->rows = rows;
	q->avgdl = (double)tokens / (double)rows;
	q->idf = xmalloc(((size_t)q->nphrase + 1) * sizeof(*q->idf));
	q->freq = xcalloc((size_t)q->nphrase + 1, sizeof(*q->freq));
	for (i = 0; i < q->nphrase; i++)
		q->idf[i] = NAN;
	q->deferred = st && st->may_defer && q->nphrase == 1;
	*rc = api->xSetAuxdata(fts, q, qdata_free);
	if (*rc != SQLITE_OK)
		return NULL;	/* FTS5 freed it */
	return q;
}

/* The IDF of phrase i, counted (a scan of its doclist, as bm25 does) on first use. */
static int phrase_idf(const Fts5ExtensionApi *api, Fts5Context *fts, struct qdata *q,
		      const struct rank_state *st, int i, double *idf)
{
	int64_t nhit = 0;
	int rc;

	if (q->deferred) {
		*idf = 1.0;
		return SQLITE_OK;
	}
	if (isnan(q->idf[i])) {
		if (st && i < st->ndf && !isnan(st->df[i])) {
			nhit = (int64_t)st->df[i];
		} else {
			rc = api->xQueryPhrase(fts, i, &nhit, count_cb);
			if (rc != SQLITE_OK)
				return rc;
		}
		q->idf[i] = idf_of(nhit, q->rows);
	}
	*idf = q->idf[i];
	return SQLITE_OK;
}

/*
 * newsd_rank(fts, title_weight, state): bm25(fts, title_weight, 1.0, 0.0), or NULL when the
 * row cannot rank better than state->threshold. state is a pointer of type "newsd_rank"
 * (sqlite3_bind_pointer); without it nothing is pruned or deferred.
 */
static void rank_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
		    int nval, sqlite3_value **val)
{
	struct rank_state *st = nval > 1 ? sqlite3_value_pointer(val[1], "newsd_rank") : NULL;
	/* weights: title (argument 1), body 1, tags 0 unless argument 3 gives one */
	double w[3] = { nval > 0 ? sqlite3_value_double(val[0]) : 1.0, 1.0,
			nval > 2 ? sqlite3_value_double(val[2]) : 0.0 };
	double score = 0.0, bound = 0.0, idf, dl;
	struct qdata *q;
	int rc = SQLITE_OK, i, ic, io, ntok = 0;

	q = qdata_get(api, fts, st, &rc);
	if (q == NULL)
		goto fail;
	if (st) {
		st->rows = q->rows;
		st->avgdl = q->avgdl;
		st->deferred = q->deferred;
	}
	/* each phrase's instances in turn (xPhraseFirst): xInst merges them by position,
	 * comparing every phrase for every instance, which a query of many phrases (similar
	 * articles: 29) paid on every row. A phrase's own instances come in the same order
	 * either way, so its sum is the same to the bit. */
	for (i = 0; i < q->nphrase; i++) {
		Fts5PhraseIter it;
		double f = 0.0;

		rc = api->xPhraseFirst(fts, i, &it, &ic, &io);
		if (rc != SQLITE_OK)
			goto fail;
		for (; ic >= 0; api->xPhraseNext(fts, &it, &ic, &io))
			f += ic < 3 ? w[ic] : 1.0;
		q->freq[i] = f;
	}
	/* an upper bound: the length taken as zero makes every term as large as it can be */
	for (i = 0; i < q->nphrase; i++) {
		if (q->freq[i] == 0.0)
			continue;	/* bm25 adds idf * 0 / (…) = +0.0 for it */
		rc = phrase_idf(api, fts, q, st, i, &idf);
		if (rc != SQLITE_OK)
			goto fail;
		bound += idf * ((q->freq[i] * (K1 + 1.0)) / (q->freq[i] + K1 * (1 - B + B * 0.0 /
									 q->avgdl)));
	}
	if (st && -1.0 * bound > st->threshold) {
		sqlite3_result_null(ctx);
		return;
	}
	if (st && (st->cols || st->lengths)) {
		int64_t n = st->cols ? columns_length(st->cols, api->xRowid(fts), &st->cur) :
			    lengths_get(st->lengths, api->xRowid(fts));

		if (n >= 0)
			ntok = (int)n;
		else
			rc = api->xColumnSize(fts, -1, &ntok);
	} else {
		rc = api->xColumnSize(fts, -1, &ntok);
	}
	if (rc != SQLITE_OK)
		goto fail;
	dl = (double)ntok;
	/* exactly bm25's expression and order of operations (fts5_aux.c) */
	for (i = 0; i < q->nphrase; i++) {
		if (q->freq[i] == 0.0)
			continue;
		phrase_idf(api, fts, q, st, i, &idf);
		score += idf * share(q->freq[i], dl, q->avgdl);
	}
	if (st) {
		st->scored++;
		for (i = 0; i < q->nphrase && i < RANK_FREQ_OUT; i++)
			st->freq[i] = q->freq[i];
	}
	sqlite3_result_double(ctx, -1.0 * score);
	return;
fail:
	sqlite3_result_error_code(ctx, rc);
}

int rank_register(sqlite3 *db, char **errmsg)
{
	fts5_api *api = store_fts5_api(db, "rank", errmsg);
	int rc;

	if (api == NULL)
		return -1;
	rc = api->xCreateFunction(api, "newsd_rank", NULL, rank_fn, NULL);
	if (rc != SQLITE_OK)
		return set_error(errmsg, "rank: registering newsd_rank failed: %s",
				 sqlite3_errstr(rc));
	return 0;
}
