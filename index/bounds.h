#ifndef NEWSD_BOUNDS_H
#define NEWSD_BOUNDS_H
/*
 * bounds — per-block upper bounds on a frequent word's score, so that a one-word search ranks
 * its top k from the few blocks that can hold it instead of every match (block-max, as Lucene
 * and Tantivy do it, around FTS5).
 *
 * The blocks are runs of BOUNDS_BLOCK (512) consecutive articles in rid (date) order, cut at the rids
 * of the columns' base (columns.h): block j holds the rids from base row j * BOUNDS_BLOCK up to
 * the next block's first; the first block starts at the smallest rid, the last ends at the
 * largest. For one word (the token the index stores, e.g. its stem) and one title weight,
 * bound[j] is the largest value newsd_rank gives, with the IDF left out (a deferred single
 * phrase: rank.h), to any article of block j that has the word in its title or body, as of
 * the index version the bounds were built at. The value depends only on the row's weighted
 * count of the word, its length, and the average length avgdl at the build: for a row that has
 * not changed since, its value at a larger average length is at most avgdl_now / avgdl times
 * the bound (and at a smaller one, at most the bound), so a search compares
 * bound * max(1, avgdl_now / avgdl) with its k-th kept score. A row written since the base
 * was read is in the columns' overlay: bounds_dirty marks its block, which a search always
 * visits; a row deleted since only lowers a block's true maximum.
 *
 * Bounds are built on first use, by the searching thread, in its own read transaction: one
 * pass over the word's matches (what the search would have cost without them). They live
 * until the columns read a new base, in a shared table limited to max_bytes.
 *
 * Size: 4 bytes per block for the bound, 4 per block that has the word (the visiting order),
 * the same again for the bound without the wire copies (collapse=dups), and a bit per article
 * (which rows have it, for counting): 157 kB per word at 1M articles.
 * The table evicts the least recently used word when it would pass max_bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "columns.h"
#include "rank.h"
#include "store.h"

#define BOUNDS_BLOCK 512

struct term_bounds {
	size_t block;		/* articles of the base per block */
	size_t nblk;		/* blocks of the base */
	float *bound;		/* per block: the largest unscaled value (0: no row has the word) */
	uint32_t *order;	/* the blocks with the word, by descending bound */
	size_t norder;
	/* collapse=dups: the same over the rows that were not wire copies at the build, or NULL
	 * (the copies could not be read, or best rows were built). A row that became a copy or
	 * stopped being one since was written since the base (a re-tag moves its version), so
	 * its block is dirty and visited whole: the bound holds for every clean block. */
	float *nc_bound;
	uint32_t *nc_order;
	size_t nc_norder;
	double avgdl;		/* the average row length the bounds were computed with */
	/* The rows of the base that have the word (in title or body), one bit per row of the
	 * base in rid order: block j is bits[j * block / 64 .. (j + 1) * block / 64). A row not
	 * in the base (written since) has no bit: its block is dirty. */
	uint64_t *bits;
	/* A query's best rows (built with ncand > 0: one prefix, one phrase, a NEAR): up to
	 * ncand rows of the base with the largest values, best first; the largest value of a row
	 * of the base left out (floor; 0 when none is); the query's phrases and the IDFs the
	 * values were computed with (1.0 for a lone phrase: its value is unscaled, rank.h). */
	struct bounds_cand *cand;
	size_t ncand;
	double floor;
	int nphrase;
	double idf[RANK_FREQ_OUT];
};

/* The bounds a search reads: without the wire copies for collapse=dups when they were built. */
static inline const float *bounds_bound(const struct term_bounds *b, int collapse)
{
	return collapse && b->nc_bound ? b->nc_bound : b->bound;
}

struct bounds_cand {
	int64_t rid;
	uint32_t pos;		/* its row in the base (block pos / block, bit pos) */
	double freq[RANK_FREQ_OUT];	/* its weighted instances of each phrase (rank.h) */
	double value;		/* newsd_rank's value at the build */
};

/* Settings: on or off, the smallest document count a word needs to get bounds (rarer words
 * are cheap to rank whole), the memory for all bounds, and the articles per block (a multiple
 * of 64; tests). Defaults: on, 5,000, 64 MB, BOUNDS_BLOCK. Bounds built before a change are
 * dropped. */
void bounds_configure(int enabled, int64_t min_df, size_t max_bytes, size_t block);
int bounds_enabled(void);
int64_t bounds_min_df(void);

/*
 * The bounds of token (text: the word as the query wrote it, to match it again) for c's base
 * and title weight w, built now when missing: one pass through s, whose read transaction is
 * open at c's version. NULL when they cannot be had (off, out of budget, another thread is
 * building them, an error or timeout: the caller ranks every match). Release with
 * bounds_release.
 */
const struct term_bounds *bounds_get(struct store *s, const struct columns *c, const char *token,
				     const char *text, double w);
void bounds_release(const struct term_bounds *b);

/* The same for a query in title and body given as the FTS5 text that follows its column
 * filter ("export" *, "crude oil", NEAR("interest" "rates", 2)): key names it in the table
 * (not a token: e.g. that text), it has nphrase phrases (at most RANK_FREQ_OUT) whose document
 * counts are df (NAN allowed for a lone phrase: its IDF is deferred), and ncand > 0 keeps
 * that many best rows (cand, floor). */
const struct term_bounds *bounds_get_phrase(struct store *s, const struct columns *c,
					    const char *key, const char *phrase, double w,
					    size_t ncand, int nphrase, const double *df);

/* The rid range [*lo, *hi] of block j of b, for c's base. */
void bounds_range(const struct columns *c, const struct term_bounds *b, size_t j, int64_t *lo,
		  int64_t *hi);

/* For each block of b, 1 when a row of c written since the base was read lies in it (the
 * bounds may not hold there, nor the bits). This thread's array, valid until its next call.
 * *vanished (may be NULL): how many rows of the base or the overlay are gone, given live,
 * the number of articles at c's version (deleted, or updated to another date): the bits of a
 * clean block count such a row, so counts from them are exact only when it is 0. */
const uint8_t *bounds_dirty(const struct columns *c, const struct term_bounds *b, int64_t live,
			    int64_t *vanished);

/* A bit per row of c's base (laid out as term_bounds.bits) for the rows among rids (sorted, n
 * of them; the wire copies for collapse=dups). This thread's array, kept for key: a caller's
 * number that changes with the rids (the index version they were read at). */
const uint64_t *bounds_rows_bits(const struct columns *c, const struct term_bounds *b,
				 const int64_t *rids, size_t n, int64_t key);

/* Free this thread's dirty-block array (a thread that exits). */
void bounds_thread_release(void);

/* Words with bounds and their bytes (for /stats). */
void bounds_stats(size_t *words, size_t *bytes);

#endif
