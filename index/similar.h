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

struct similar_request {
	int limit;			/* 1..100 */
	int has_from, has_to;
	int64_t from, to;		/* inclusive, seconds UTC */
	const char *const *sources;	/* any may match */
	size_t nsources;
};

/* {"id", "similar": [{"id","title","date","source","score","copy"}], "index_version"}; NULL
 * with err->code SEARCH_OK when no article has that id, or with err set on failure. */
json_t *similar_run(struct store *s, const char *id, const struct similar_request *r,
		    struct search_error *err);

#endif
