#ifndef NEWSD_COPIES_H
#define NEWSD_COPIES_H
/*
 * copies — stories, not copies: the read side of wire-copy groups (dedup.c writes them).
 *
 * A group is flat: each copy's article.dup_of is the rid of the group's root, the earliest
 * article of the story, whose own dup_of is NULL; copies carry the tag "0d".
 *
 * collapse=dups on /search leaves the copies out. Doing it inside the MATCH (… NOT {tags}:
 * "0d") made FTS5 merge the "0d" doclist with every match, and turned a one-word query into two
 * phrases (no deferred IDF), about 2.2 × the time of the same query without collapse at 1M
 * articles. Instead each thread that searches keeps the set of copy rids in memory, like the
 * rank lengths (rank.h): built from the "0d" doclist on first use, then brought to each newer
 * index version from the rows written since (article.version, indexed; a re-tag moves a row's
 * version), merged into the sorted set. The pass then skips a copy with a lookup.
 */
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store.h"

struct copies;

/* This thread's copy set for the connection and index version of the caller's read
 * transaction, or NULL when it cannot be read (the caller filters in the MATCH instead). */
const struct copies *copies_sync(sqlite3 *db, int64_t version);
/* 1 when rid is a wire copy (article.dup_of set) in the synced version. */
int copies_has(const struct copies *c, int64_t rid);
/* The copies' rids, sorted (n of them), as of the synced version. */
const int64_t *copies_rids(const struct copies *c, size_t *n);
/* Free this thread's set (a thread that exits). */
void copies_release(void);

/* How many copies the story rooted at rid has (articles whose dup_of is rid); -1 on error. */
int64_t copies_count(struct store *s, int64_t rid);

/*
 * GET /articles/{id}/copies: the other articles of id's story (its root first when id is a
 * copy, then the copies, oldest first), at most limit, as
 * {"id", "story": the root's id, "total": the story's articles besides id, "copies": [{"id",
 * "title", "date", "source", "url"}]}. NULL with *notfound = 1 for an unknown id, or NULL and
 * *errmsg (caller frees) on a database error.
 */
json_t *copies_list(struct store *s, const char *id, int limit, int *notfound, char **errmsg);

#endif
