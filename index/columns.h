#ifndef NEWSD_COLUMNS_H
#define NEWSD_COLUMNS_H
/*
 * columns — every article's source and entity ids in memory, shared by the threads of one
 * process, so that counting them over a result set (the sources and entities facets,
 * /entities with a query, /entities/{name}/related) walks arrays instead of reading one row
 * per match: at 1M articles the sources of "oil" (129k matches) took 1 s row by row.
 *
 * A snapshot holds the columns as of one index version: a base (every article as read by the
 * columns thread at some version, immutable, shared by the snapshots built on it) and an
 * overlay (the rows written since the base, sorted by rid; a newer version's overlay is the
 * older one merged with the rows whose article.version is newer). Readers ask for the version
 * of their own read transaction, so counts are exact for it; a snapshot is built at most once
 * per version and the last few are kept. A row deleted since the base stays in the arrays,
 * which is harmless: lookups are by the rid of a row the reader's own query found. When the
 * overlay grows past an eighth of the base, the columns thread reads a new base.
 *
 * Each row's length in tokens is kept too, for ranking (rank.h): one copy per process instead
 * of one per ranking thread; and its language, for the langs facet.
 *
 * Size: 22 bytes per article plus 4 per (article, entity) pair: about 55 MB per million
 * articles of the scale corpus (8 entities an article), once per process. While the base is
 * being read (at start: a few seconds at 1M), columns_acquire returns NULL and callers read the
 * rows as before.
 */
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct columns;
struct columns_service;

/* Start the columns thread for database path db: it reads the base at once (on its own read
 * connection) and again when asked. One per process; NULL and *errmsg on failure. */
struct columns_service *columns_start(const char *db, const struct store_options *so,
				      char **errmsg);
/* Stop the thread (interrupting a read in progress) and free every snapshot. NULL is a no-op.*/
void columns_stop(struct columns_service *svc);

/*
 * The columns as of version, the index version of s's open read transaction (the overlay is
 * read through s when needed), or NULL when there are none for it (no service, the base not
 * read yet, a version older than every kept snapshot, a read error): then read the rows.
 * Release with columns_release.
 */
const struct columns *columns_acquire(struct store *s, int64_t version);
void columns_release(const struct columns *c);

/* Lookups in rid order are fastest: the cursor remembers where the last one ended. */
struct columns_cursor {
	size_t base, over;
};

/* Article rid's source id (0: none) and entity ids (sorted): 1, or 0 when rid is unknown. */
int columns_get(const struct columns *c, int64_t rid, struct columns_cursor *cur,
		uint32_t *source, const uint32_t **ents, size_t *nents);

/* Article rid's length in tokens (all columns: what bm25 reads from fts_docsize), -1 when
 * unknown. */
int64_t columns_length(const struct columns *c, int64_t rid, struct columns_cursor *cur);

/* Article rid's language (ISO 639-1, the default when it has none): 1, or 0 when unknown. */
int columns_lang(const struct columns *c, int64_t rid, struct columns_cursor *cur,
		 char code[3]);

/* 1 when a columns thread serves s's database (then its snapshots, not per-thread copies, hold
 * the lengths: see rank.h). */
int columns_serving(struct store *s);

/* The largest entity id of the snapshot (for dense counting arrays). */
uint32_t columns_max_entity(const struct columns *c);

/* Rows of the snapshot with rids in [lo, hi] (an article deleted since the base was read may
 * still be among them: compare with a count of live articles before trusting a walk). */
size_t columns_rows_in(const struct columns *c, int64_t lo, int64_t hi);
/* Call fn for each row in [lo, hi], in rid order (descending when desc), until it returns
 * nonzero. */
void columns_walk(const struct columns *c, int64_t lo, int64_t hi, int desc,
		  int (*fn)(void *ctx, int64_t rid, uint32_t source, const uint32_t *ents,
			    size_t nents),
		  void *ctx);

/* The base's rids (sorted; n of them) and its sequence number, which changes with every base
 * read (bounds.h: score bounds are per base). Valid while c is held. */
const int64_t *columns_base_rids(const struct columns *c, size_t *n, uint64_t *seq);
/* The rids of the rows written since the base was read (sorted; a deleted one may linger). */
const int64_t *columns_overlay_rids(const struct columns *c, size_t *n);
/* The index version of the snapshot. */
int64_t columns_version(const struct columns *c);

/* The newest snapshot (for /stats): 1 with its version, rows (articles; one updated since the
 * base read counts twice) and bytes, 0 when none. */
int columns_stats(int64_t *version, size_t *rows, size_t *bytes);

/* Ask the columns thread to read a new base (in the background). */
void columns_reread(void);

/* The version of the newest base read (tests), -1 when none. */
int64_t columns_base_version(void);
/* Wait until a base at version >= v is read (tests); 0, or -1 after timeout_ms. */
int columns_wait(int64_t v, int timeout_ms);

#endif
