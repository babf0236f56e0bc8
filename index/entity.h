#ifndef NEWSD_ENTITY_H
#define NEWSD_ENTITY_H
/*
 * entity — queries over the entity tables: the top entities of a result set (GET /entities
 * and the entities facet), one entity's card (GET /entities/{name}) and its co-occurring
 * entities scored by lift (GET /entities/{name}/related).
 */
#include <stdint.h>

#include <jansson.h>

#include "search.h"
#include "store.h"

struct entity_filter {
	int type;			/* -1 = any, else enum entity_type */
	const char *prefix;		/* name/alias prefix (case-insensitive), NULL = any */
	int limit;
};

/*
 * Top entities, most frequent first, counted over the articles matching the plan (all
 * articles when plan is NULL or matches everything). Returns a JSON array of
 * {"name","type","count","aliases"} or NULL with err set.
 */
json_t *entity_top(struct store *s, const struct search_plan *plan, int all,
		   const struct entity_filter *f, struct search_error *err);

/* Counts of entities over a list of rids (the entities facet): array of {"name","type","count"}. */
json_t *entity_count_rids(struct store *s, const int64_t *rids, size_t n, int limit,
			  struct search_error *err);

/* The entity a name or alias denotes (the most frequent when several; of the given type when
 * type >= 0). Returns its card {"name","type","aliases","count","first_seen","last_seen"},
 * or NULL: with err->code == SEARCH_OK when unknown (404), else an error. *id_out gets its id. */
json_t *entity_info(struct store *s, const char *name, int type, int64_t *id_out,
		    struct search_error *err);

/*
 * Entities co-occurring with entity id in articles between rid_lo and rid_hi: count = shared
 * articles, score = lift = count * N / (n_entity * n_other), N = articles in the range.
 * Entities sharing fewer than min_count articles are left out (lift of rare pairs is noise).
 * Sorted by score, then count. Array of {"name","type","count","score"}.
 */
json_t *entity_related(struct store *s, int64_t id, int64_t rid_lo, int64_t rid_hi, int type,
		       int limit, int min_count, struct search_error *err);

/* Free this thread's cache of per-entity article counts (call before a thread exits). */
void entity_cache_release(void);

#endif
