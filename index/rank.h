#ifndef NEWSD_RANK_H
#define NEWSD_RANK_H
/*
 * rank — relevance for the one-pass top-k: newsd_rank(fts, title_weight, state[, tags_weight]),
 * an FTS5 auxiliary function whose value is bit for bit FTS5's bm25(fts, title_weight, 1,
 * tags_weight) (tags_weight 0 when not given), computed only for the rows that can still
 * enter the top k.
 *
 * bm25() costs three things per query and row that a top-k does not need:
 *   - per row, the row's length in tokens (xColumnSize: an SQL lookup in fts_docsize, about a
 *     microsecond: most of a broad query's time);
 *   - per query, the IDF of every phrase of the MATCH, each a full scan of its doclist (the
 *     filter phrases too: a source, an entity, "0a" for pure exclusions);
 *   - for a single phrase, even its IDF, which only scales every score alike.
 * newsd_rank first bounds the row's score from above with the length taken as zero (the score
 * falls as the length grows): a row whose bound is worse than the k-th kept rank (state->
 * threshold, kept by the caller) gets NULL and costs no lookup. The IDF of a phrase is computed
 * the first time a row has an instance of it (filter phrases are in the weight-0 tags column, so
 * never), from state->df when the caller knows the phrase's document count (terms.h), else by
 * a scan of the phrase's doclist as bm25 does. With state->may_defer (the caller's single-phrase query covers the whole table: its
 * match count is the phrase's document count) the IDF is left out and the caller scales the
 * kept ranks at the end with rank_scale(), as bm25 would have computed them.
 */
#include <sqlite3.h>
#include <stdint.h>

#include "columns.h"

struct rank_lengths;

#define RANK_MAX_PHRASES 64
#define RANK_FREQ_OUT 4		/* phrases whose instances a scored row reports */

struct rank_state {
	const struct rank_lengths *lengths;	/* in: rows' lengths in tokens, or NULL */
	const struct columns *cols;	/* in: the same from the shared columns, or NULL */
	struct columns_cursor cur;	/* zeroed before a pass */
	double df[RANK_MAX_PHRASES];	/* in: documents of phrase i, NAN when unknown */
	int ndf;			/* in: how many of df are given */
	double threshold;	/* in: rank of the k-th kept hit (larger is worse), or +inf */
	int may_defer;		/* in: the MATCH's total is its only phrase's document count */
	int deferred;		/* out: values are unscaled (-t, see rank_scale) */
	int64_t rows;		/* out: rows in the table (for rank_scale) */
	int64_t scored;		/* out: rows whose exact value was computed */
	double avgdl;		/* out: the average row length in tokens (bm25's avgdl) */
	double freq[RANK_FREQ_OUT];	/* out: the last scored row's weighted instances of
					 * its first phrases */
};

/*
 * Each row's length in tokens (all columns: what bm25 reads from fts_docsize) in memory, so a
 * scored row costs no SQL lookup: 12 bytes per article per thread that ranks. One per thread
 * (HTTP threads own their read connection), for the connection and index version of the
 * caller's read transaction: built from fts_docsize on first use, then brought up to a newer
 * version from the rows written since (article.version, indexed); a large change rebuilds it.
 * NULL when it cannot be read (the caller ranks without it: the same values, slower).
 */
const struct rank_lengths *rank_lengths_sync(sqlite3 *db, int64_t version);
/* Free this thread's lengths (a worker thread that exits). */
void rank_lengths_release(void);

/* The sum of an fts_docsize blob's varints: the row's tokens over all columns. */
uint32_t rank_blob_tokens(const void *blob, int n);

/* Register newsd_rank on a connection (with FTS5). 0, or -1 and *errmsg. */
int rank_register(sqlite3 *db, char **errmsg);
/* The bm25 rank of an unscaled value v (from a deferred state) for a phrase found in nhit of
 * rows documents. */
double rank_scale(double v, int64_t nhit, int64_t rows);
/* bm25's IDF of a phrase found in nhit of rows documents (what newsd_rank multiplies by). */
double rank_idf(int64_t nhit, int64_t rows);
/* The value newsd_rank gives a row of dl tokens with freq[i] weighted instances of phrase i
 * (n phrases) whose IDFs are idf[i] (1.0 for a deferred phrase: its unscaled value), for the
 * average length avgdl; bit for bit. */
double rank_value(const double *freq, const double *idf, int n, double dl, double avgdl);
/* What newsd_rank reads per query, read without a MATCH: the fts table's rows and average
 * row length in tokens (all columns), decoded from FTS5's averages record (the block of
 * fts_data row 1, len bytes). 0, or -1 when it is not one. */
int rank_totals(const void *record, int len, int64_t *rows, double *avgdl);
/* Every unscaled value (a phrase's share before its IDF) is below this: k1 + 1. */
#define RANK_MAX_UNSCALED 2.2

#endif
