#ifndef NEWSD_TIMELINE_H
#define NEWSD_TIMELINE_H
/*
 * timeline — matches per day, ISO week (Monday) or month, every bucket of the range present,
 * with the bucket's total articles (from day_count) and ratio = count / total.
 */
#include <stdint.h>

#include <jansson.h>

#include "search.h"
#include "store.h"

enum timeline_interval { INTERVAL_AUTO, INTERVAL_DAY, INTERVAL_WEEK, INTERVAL_MONTH };

#define TIMELINE_MAX_BUCKETS 5000

/* "day" | "week" | "month" → interval; -1 when unknown. */
int timeline_interval_parse(const char *s);

/*
 * The timeline of the plan's matches. The range is [from, to] when given, else the span of
 * the matches. Returns {"interval","buckets":[{"start","count","total","ratio"}]} or NULL with
 * err (SEARCH_BAD_PARAMETER when the range needs more than TIMELINE_MAX_BUCKETS buckets).
 * with_totals = 0 leaves out total and ratio (the dates facet of /search).
 */
json_t *timeline_run(struct store *s, const struct search_plan *plan, int has_from, int64_t from,
		     int has_to, int64_t to, enum timeline_interval iv, int with_totals,
		     struct search_error *err);

/* Buckets for an already collected, ascending list of rids (the dates facet). */
json_t *timeline_from_rids(struct store *s, const int64_t *rids, size_t n,
			   enum timeline_interval iv, struct search_error *err);

#endif
