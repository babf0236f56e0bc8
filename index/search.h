#ifndef NEWSD_SEARCH_H
#define NEWSD_SEARCH_H
/*
 * search — /search (and the shared filter machinery of /timeline, /export, /entities): the
 * query and filters compiled into one FTS5 MATCH plus a rowid range, run in ONE pass that
 * counts every match (exact total) and keeps the top offset+limit in a heap, then details,
 * entities and snippets fetched for the page only.
 */
#include <stdint.h>

#include <jansson.h>

#include "query.h"
#include "store.h"

enum search_sort { SORT_RELEVANCE, SORT_NEWEST, SORT_OLDEST };

#define SEARCH_FACET_ENTITIES 1u
#define SEARCH_FACET_SOURCES 2u
#define SEARCH_FACET_DATES 4u
#define SEARCH_FACET_LANGS 8u

struct search_request {
	const char *q;			/* NULL or "" = no query: filters only, newest first */
	int has_from, has_to;
	int64_t from, to;		/* inclusive, seconds UTC */
	const char *const *entities;	/* all must match (names or aliases) */
	size_t nentities;
	const char *const *sources;	/* any may match */
	size_t nsources;
	const char *const *langs;	/* ISO 639-1: any may match, and query words are stemmed
					 * in these languages (none: the index's languages) */
	size_t nlangs;
	int langs_stem_only;		/* langs only stem q; the caller filters (watches) */
	int sort_given;
	enum search_sort sort;
	int limit;			/* 0..100 */
	int offset;			/* 0..10000 */
	const char *cursor;		/* NULL or from next_cursor */
	int snippets;			/* 0..5 */
	int snippet_words;		/* 1..64 */
	unsigned facets;
	const struct query_limits *limits;
	int timeout_ms;			/* 0 = none */
	int collapse_dups;		/* count each story once: leave wire copies out */
};

enum search_error_code {
	SEARCH_OK = 0,
	SEARCH_BAD_QUERY,		/* 400 bad_query, with position */
	SEARCH_BAD_PARAMETER,		/* 400 bad_parameter */
	SEARCH_TIMEOUT,			/* 503 timeout */
	SEARCH_INTERNAL			/* 500 internal */
};

struct search_error {
	enum search_error_code code;
	char *message;
	int position;			/* -1 when not about q */
};

/* The compiled filters, shared by every endpoint that takes /search filters. */
struct search_plan {
	char *match;			/* FTS5 MATCH expression (always set unless empty) */
	char *match_all;		/* with collapse=dups: match without leaving copies out
					 * (/search leaves them out with copies.h), else NULL */
	char *parsed;			/* normalised q, or NULL */
	int has_q;
	int empty;			/* a filter names an unknown entity/source: no results */
	uint64_t langs;			/* languages q's words are stemmed in (lang.h mask; 0: the
					 * index's); search_plan_use sets them on a connection */
	int64_t rid_lo, rid_hi;
	/* A search of filters only (no q, no collapse): the filters as ids, so the in-memory
	 * columns can answer it (columns.h). Any of the sources (none: any source), and for each
	 * entity filter any of its ids: fent[fend[g - 1] .. fend[g]). */
	int filters_only;
	int64_t *fsrc, *fent;
	size_t nfsrc, *fend, nfgroups;
};

int search_plan_build(struct store *s, const struct search_request *r, struct search_plan *p,
		      struct search_error *err);
void search_plan_free(struct search_plan *p);
/* Make the connection s tokenize the plan's query words in its languages: call before
 * running p->match on s (any thread's connection). */
void search_plan_use(struct store *s, const struct search_plan *p);

/* Call cb(ctx, rid) for every match in rid order (ascending when asc, else descending).
 * cb returns 0 to go on, 1 to stop. Returns 0, or -1 with err (timeout, internal). */
int search_plan_iterate(struct store *s, const struct search_plan *p, int asc,
			int (*cb)(void *ctx, int64_t rid), void *ctx, struct search_error *err);

/* Run a search; the whole response object of API.md (query, total, took_ms, hits,
 * next_cursor, facets, index_version) or NULL with *err set. */
json_t *search_run(struct store *s, const struct search_request *r, struct search_error *err);

void search_error_clear(struct search_error *err);

/* The /search hit object of one article for the plan's MATCH (live watches): stored fields,
 * highlighted title, snippets, entities; score is null (nothing was ranked). 0, or -1 with
 * *err (the article is not in this snapshot, or a database error). */
int search_hit(struct store *s, const struct search_plan *p, int64_t rid, int snippets,
	       int snippet_words, json_t **out, struct search_error *err);

/* Searches answered from the in-memory columns so far (tests). */
int64_t search_columns_passes(void);

/* Query timeout: a progress handler on the connection until search_deadline_clear. */
void search_deadline_set(struct store *s, int timeout_ms);
void search_deadline_clear(struct store *s);

/* Entity name or alias (any type) → entity ids; *n = 0 when unknown. Caller frees. */
int64_t *search_resolve_entity(struct store *s, const char *name, size_t *n,
			       struct search_error *err);

/* The JSON for an article's entities: {"people":[…],"orgs":[…],"places":[…]}. */
json_t *search_article_entities(struct store *s, int64_t rid);

/*
 * Two threads for one search: a peer is a thread with its own read connection to db that runs
 * the older half of a broad search (search_run on the thread that attached it; see search.c).
 * search_peer_start returns NULL and *errmsg when it cannot; search_peer_stop joins it (NULL-
 * safe). search_peer_attach(p) makes p this thread's peer (NULL: none).
 * search_thread_release frees this thread's per-day counts (a worker thread that exits).
 */
struct search_peer;
struct search_peer *search_peer_start(const char *db, const struct store_options *so,
				      char **errmsg);
void search_peer_stop(struct search_peer *p);
void search_peer_attach(struct search_peer *p);
void search_thread_release(void);
/* Tests: the fewest articles in a search's range for two threads (default 50,000). */
void search_set_split_min(int64_t n);
/* The best rows kept per frequent prefix (0: the default, 512; tests). */
void search_set_prefix_cands(size_t n);
/* Searches answered from per-block bounds (bounds.h), the blocks they visited, and those of
 * several words whose total came from the words' bits. */
void search_bounds_counters(int64_t *searches, int64_t *blocks, int64_t *counted);

#endif
