/*
 * timeline.c — bucketed counts of matches over time; see timeline.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "timeline.h"
#include "util.h"

int timeline_interval_parse(const char *s)
{
	if (strcmp(s, "day") == 0)
		return INTERVAL_DAY;
	if (strcmp(s, "week") == 0)
		return INTERVAL_WEEK;
	if (strcmp(s, "month") == 0)
		return INTERVAL_MONTH;
	return -1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The bucket index of a day (days since the epoch) for the interval. */
static int64_t bucket_of(int64_t day, enum timeline_interval iv)
{
	int64_t y;
	unsigned m, d;

	switch (iv) {
	case INTERVAL_WEEK:
		/* 1970-01-01 was a Thursday; ISO weeks start on Monday (day -3) */
		return floor_div(day + 3, 7);
	case INTERVAL_MONTH:
		date_civil_from_days(day, &y, &m, &d);
		return y * 12 + (int64_t)(m - 1);
	default:
		return day;
	}
}

/* First day of a bucket. */
static int64_t bucket_start(int64_t b, enum timeline_interval iv)
{
	switch (iv) {
	case INTERVAL_WEEK:
		return b * 7 - 3;
	case INTERVAL_MONTH:
		return date_days_from_civil(floor_div(b, 12), (unsigned)(b - floor_div(b, 12) * 12) + 1, 1);
	default:
		return b;
	}
}

static enum timeline_interval auto_interval(int64_t first_day, int64_t last_day)
{
	int64_t span = last_day - first_day;

	if (span <= 92)
		return INTERVAL_DAY;
	if (span <= 2 * 366)
		return INTERVAL_WEEK;
	return INTERVAL_MONTH;
}

static const char *interval_name(enum timeline_interval iv)
{
	return iv == INTERVAL_WEEK ? "week" : iv == INTERVAL_MONTH ? "month" : "day";
}

struct day_vec {
	int64_t *days;		/* day of each match, ascending */
	size_t n, cap;
};

static int collect_day(void *ctx, int64_t rid)
{
	struct day_vec *v = ctx;

	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		v->days = xrealloc(v->days, v->cap * sizeof(*v->days));
	}
	v->days[v->n++] = floor_div(store_rid_date(rid), 86400);
	return 0;
}

/* Build the buckets for days[] over [first_day, last_day]. */
static json_t *build(struct store *s, const int64_t *days, size_t n, int64_t first_day,
		     int64_t last_day, enum timeline_interval iv, int with_totals,
		     struct search_error *err)
{
	int64_t b0, b1, nb, i;
	int64_t *count = NULL, *total = NULL;
	json_t *res = NULL, *arr;
	size_t k;

	if (iv == INTERVAL_AUTO)
		iv = auto_interval(first_day, last_day);
	b0 = bucket_of(first_day, iv);
	b1 = bucket_of(last_day, iv);
	nb = b1 - b0 + 1;
	if (nb > TIMELINE_MAX_BUCKETS) {
		free(err->message);
		err->code = SEARCH_BAD_PARAMETER;
		err->message = xasprintf("the range needs %lld %s buckets (at most %d); choose a "
					 "larger interval or a shorter range", (long long)nb,
					 interval_name(iv), TIMELINE_MAX_BUCKETS);
		return NULL;
	}
	count = xcalloc((size_t)nb, sizeof(*count));
	total = xcalloc((size_t)nb, sizeof(*total));
	for (k = 0; k < n; k++) {
		int64_t b = bucket_of(days[k], iv) - b0;

		if (b >= 0 && b < nb)
			count[b]++;
	}
	if (with_totals) {
		sqlite3_stmt *st = store_stmt(s, "SELECT day, n FROM day_count WHERE day BETWEEN ?1 AND ?2",
					      NULL);

		if (st) {
			sqlite3_bind_int64(st, 1, bucket_start(b0, iv));
			sqlite3_bind_int64(st, 2, bucket_start(b1 + 1, iv) - 1);
			while (sqlite3_step(st) == SQLITE_ROW) {
				int64_t b = bucket_of(sqlite3_column_int64(st, 0), iv) - b0;

				if (b >= 0 && b < nb)
					total[b] += sqlite3_column_int64(st, 1);
			}
			sqlite3_reset(st);
		}
	}
	arr = json_array();
	for (i = 0; i < nb; i++) {
		char day[11];
		json_t *o;

		date_format_day(bucket_start(b0 + i, iv) * 86400, day);
		o = json_pack("{s:s, s:I}", "start", day, "count", (json_int_t)count[i]);
		if (with_totals) {
			json_object_set_new(o, "total", json_integer(total[i]));
			json_object_set_new(o, "ratio", json_real(total[i] ?
					    round((double)count[i] / (double)total[i] * 1e4) / 1e4 : 0));
		}
		json_array_append_new(arr, o);
	}
	res = json_pack("{s:s, s:o}", "interval", interval_name(iv), "buckets", arr);
	free(count);
	free(total);
	return res;
}

json_t *timeline_run(struct store *s, const struct search_plan *plan, int has_from, int64_t from,
		     int has_to, int64_t to, enum timeline_interval iv, int with_totals,
		     struct search_error *err)
{
	struct day_vec v = { 0 };
	json_t *res;
	int64_t first, last;

	if (search_plan_iterate(s, plan, 1, collect_day, &v, err) < 0) {
		free(v.days);
		return NULL;
	}
	if (!has_from && !has_to && v.n == 0) {
		free(v.days);
		return json_pack("{s:s, s:[]}", "interval", iv == INTERVAL_AUTO ? "day" :
				 interval_name(iv), "buckets");
	}
	first = has_from ? floor_div(from, 86400) : v.n ? v.days[0] : floor_div(to, 86400);
	last = has_to ? floor_div(to, 86400) : v.n ? v.days[v.n - 1] : first;
	if (last < first)
		last = first;
	res = build(s, v.days, v.n, first, last, iv, with_totals, err);
	free(v.days);
	return res;
}

json_t *timeline_from_rids(struct store *s, const int64_t *rids, size_t n,
			   enum timeline_interval iv, struct search_error *err)
{
	struct day_vec v = { 0 };
	int64_t lo, hi;
	size_t i;
	json_t *res;

	if (n == 0)
		return json_array();
	lo = hi = floor_div(store_rid_date(rids[0]), 86400);
	for (i = 0; i < n; i++) {
		collect_day(&v, rids[i]);
		if (v.days[i] < lo)
			lo = v.days[i];
		if (v.days[i] > hi)
			hi = v.days[i];
	}
	res = build(s, v.days, v.n, lo, hi, iv, 0, err);
	free(v.days);
	if (res) {
		json_t *b = json_incref(json_object_get(res, "buckets"));

		json_decref(res);
		return b;
	}
	return NULL;
}
