#ifndef NEWSD_SIMILAR_H
#define NEWSD_SIMILAR_H
/*
 * similar — GET /articles/{id}/similar: more like this. The article's most distinctive words
 * (tf·idf over its title, counted twice, and the first 8 KiB of its body, document counts from
 * term_df) and its most distinctive people and organisations (idf from entity.n; places say
 * little about a story) become one FTS5 OR query; the matches are ranked by bm25 with the
 * entities' tags weighted like the body, ties to the newer article. The article itself is
 * left out; wire copies of it (the same dup_of group) are marked.
 */
#include <jansson.h>
#include <stdint.h>

#include "search.h"
#include "store.h"

#define SIMILAR_TERMS 25	/* distinctive words in the query */
#define SIMILAR_ENTITIES 4	/* entities in the query */
/* Words and entities in more than this share of the articles (and more than MIN of them: a
 * small index keeps every word) are left out: they say little about a story, and at 1M
 * articles each added hundreds of thousands of matches to rank. */
#define SIMILAR_MAX_DF 0.10
#define SIMILAR_MAX_DF_MIN 5000
/* The query's words and entities together are in at most this many articles (the sum of their
 * document counts, so the postings FTS5 reads and ranks): the heaviest first, and one that
 * would go past it is left out for the next. The cost of a request then stays the same however
 * large the archive grows. */
#define SIMILAR_POSTINGS 10000.0

struct similar_request {
	int limit;			/* 1..100 */
	int has_from, has_to;
	int64_t from, to;		/* inclusive, seconds UTC */
	const char *const *sources;	/* any may match */
	size_t nsources;
};

/* Tests and benchmarks: the postings limit (SIMILAR_POSTINGS when n <= 0). */
void similar_set_postings(double n);

/* The MATCH that similar_run ranks for the article id (before the source filter; "" when it
 * has no distinctive word), the caller's to free; NULL when there is no such article or it
 * cannot be read. */
char *similar_match(struct store *s, const char *id);

/* {"id", "similar": [{"id","title","date","source","score","copy"}], "index_version"}; NULL
 * with err->code SEARCH_OK when no article has that id, or with err set on failure. */
json_t *similar_run(struct store *s, const char *id, const struct similar_request *r,
		    struct search_error *err);

#endif
