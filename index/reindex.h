#ifndef NEWSD_REINDEX_H
#define NEWSD_REINDEX_H
/*
 * reindex — `newsd reindex NEW`: a database indexed again, into a new file with this newsd's
 * index (per-language stemming, the words as written for prefixes), from its own rows. A file
 * made before those keeps working as it was (English stems, no lang filter, prefixes of stems)
 * and its articles may have come by POST, with no original files to index again.
 *
 * Every article is given back as the input record it was stored from: id, title, body, date,
 * source, url, lang (as stored), authors, the entities that were given (not those extraction
 * found: it runs again), and the unknown fields kept in extra at the top level again. The
 * records go through the same bulk pipeline as `newsd index`, oldest first, so wire copies are
 * found again with the earliest of each story as its root. What the new file does not carry
 * over: index versions and the change log start again, and ingested_at is the time of the
 * reindex. Saved watches are copied, each marked delivered up to the new file's version (their
 * webhooks do not get the whole archive again).
 */
#include <jansson.h>

#include "store.h"

/* Each article of old (read in one read transaction, oldest first) as an input record, to
 * each(ctx, record) (the record is the caller's only during the call; a non-zero return stops
 * the walk and is returned). 0 when every article was given; -1 and *errmsg when old cannot
 * be read. */
int reindex_records(struct store *old, int (*each)(void *ctx, json_t *record), void *ctx,
		    char **errmsg);

/* Copy old's saved watches into into (which has none of their ids), each delivered up to
 * into's index version. The number copied, or -1 and *errmsg. */
int reindex_watches(struct store *old, struct store *into, char **errmsg);

#endif
