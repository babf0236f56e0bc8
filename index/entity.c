/*
 * entity.c — top entities, entity cards and co-occurrence by lift; see entity.h.
 */
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "date.h"
#include "entity.h"
#include "extract.h"
#include "util.h"

static int sql_fail(struct store *s, struct search_error *err)
{
	int rc = sqlite3_errcode(store_db(s));

	free(err->message);
	if ((rc & 0xff) == SQLITE_INTERRUPT) {
		err->code = SEARCH_TIMEOUT;
		err->message = xstrdup("the query took longer than query_timeout_ms");
	} else {
		err->code = SEARCH_INTERNAL;
		err->message = xasprintf("internal error reading entities: %s", store_error_reason(rc));
	}
	return -1;
}

/* Up to 10 aliases of an entity other than its name. */
static json_t *aliases_of(struct store *s, int64_t id, const char *name)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT DISTINCT alias FROM entity_alias WHERE entity_id = ?1"
				      " ORDER BY length(alias), alias LIMIT 11", NULL);
	json_t *a = json_array();

	if (st == NULL)
		return a;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW && json_array_size(a) < 10) {
		const char *al = (const char *)sqlite3_column_text(st, 0);

		if (al && strcmp(al, name) != 0)
			json_array_append_new(a, json_string(al));
	}
	sqlite3_reset(st);
	return a;
}

/* ---- a small open-addressing counter keyed by int64 ---- */

struct counter {
	int64_t *keys;
	int64_t *vals;
	size_t cap, n;
};

static void counter_init(struct counter *c, size_t hint)
{
	c->cap = 64;
	while (c->cap < hint * 2)
		c->cap *= 2;
	c->keys = xcalloc(c->cap, sizeof(*c->keys));
	c->vals = xcalloc(c->cap, sizeof(*c->vals));
	c->n = 0;
}

static void counter_free(struct counter *c)
{
	free(c->keys);
	free(c->vals);
}

static void counter_add(struct counter *c, int64_t key, int64_t v)
{
	size_t i;

	if ((c->n + 1) * 2 > c->cap) {
		struct counter bigger;

		counter_init(&bigger, c->cap);
		for (i = 0; i < c->cap; i++)
			if (c->keys[i])
				counter_add(&bigger, c->keys[i], c->vals[i]);
		counter_free(c);
		*c = bigger;
	}
	/* keys are entity ids (>= 1): 0 marks an empty slot */
	i = (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ULL) & (c->cap - 1);
	while (c->keys[i] && c->keys[i] != key)
		i = (i + 1) & (c->cap - 1);
	if (c->keys[i] == 0) {
		c->keys[i] = key;
		c->n++;
	}
	c->vals[i] += v;
}

static int64_t counter_get(const struct counter *c, int64_t key)
{
	size_t i;

	if (c->cap == 0)
		return 0;
	i = (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ULL) & (c->cap - 1);
	while (c->keys[i] && c->keys[i] != key)
		i = (i + 1) & (c->cap - 1);
	return c->keys[i] ? c->vals[i] : 0;
}

/*
 * Articles per entity over the whole index, computed once per index version and connection
 * (each HTTP thread has its own connection, so the cache is per thread and needs no lock):
 * /entities without filters and /related without a date range read it (entity.n, kept by
 * the writer).
 */
struct kv;

static _Thread_local struct {
	sqlite3 *db;
	int64_t version;
	int64_t articles;
	struct counter counts;
	struct kv *sorted;	/* the same, most articles first: /entities without filters */
	size_t nsorted;
} gcache;

void entity_cache_release(void)
{
	if (gcache.db)
		counter_free(&gcache.counts);
	free(gcache.sorted);
	memset(&gcache, 0, sizeof(gcache));
}

static const struct counter *global_counts(struct store *s, int64_t *articles,
					   struct search_error *err)
{
	int64_t v = store_index_version(s);
	sqlite3_stmt *st;
	int rc;

	if (gcache.db == store_db(s) && gcache.version == v) {
		*articles = gcache.articles;
		return &gcache.counts;
	}
	entity_cache_release();
	counter_init(&gcache.counts, 1024);
	gcache.db = store_db(s);
	st = store_stmt(s, "SELECT id, n FROM entity WHERE n > 0", NULL);
	if (st == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		counter_add(&gcache.counts, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	gcache.articles = store_article_count(s);
	gcache.version = v;
	*articles = gcache.articles;
	return &gcache.counts;
fail:
	sql_fail(s, err);
	entity_cache_release();
	return NULL;
}

struct kv {
	int64_t key;
	int64_t val;
	double score;
};

static int kv_by_count(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;

	if (x->val != y->val)
		return x->val > y->val ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static int kv_by_score(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return kv_by_count(a, b);
}

static struct kv *counter_sorted(struct counter *c, size_t *n)
{
	struct kv *v = xmalloc((c->n + 1) * sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < c->cap; i++)
		if (c->keys[i]) {
			v[*n].key = c->keys[i];
			v[*n].val = c->vals[i];
			v[*n].score = 0;
			(*n)++;
		}
	qsort(v, *n, sizeof(*v), kv_by_count);
	return v;
}

/* Name and type of an entity id; 0 or -1. */
static int entity_row(struct store *s, int64_t id, int *type, char **name, char **norm)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT type, name, norm FROM entity WHERE id = ?1", NULL);
	int rc = -1;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*type = sqlite3_column_int(st, 0);
		*name = xstrdup((const char *)sqlite3_column_text(st, 1));
		if (norm)
			*norm = xstrdup((const char *)sqlite3_column_text(st, 2));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* 1 when the entity passes the type and prefix filter (prefix on its name or any alias). */
static int entity_passes(struct store *s, int64_t id, int type, const char *norm,
			 const struct entity_filter *f, const char *pnorm)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (f->type >= 0 && type != f->type)
		return 0;
	if (pnorm == NULL || pnorm[0] == '\0')
		return 1;
	if (strncmp(norm, pnorm, strlen(pnorm)) == 0)
		return 1;
	st = store_stmt(s, "SELECT 1 FROM entity_alias WHERE entity_id = ?1 AND substr(norm, 1, ?3) = ?2"
			" LIMIT 1", NULL);
	if (st == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, pnorm, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)strlen(pnorm));
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return ok;
}

/* Turn sorted (id, count) pairs into the API's array, applying the filter. */
static json_t *render(struct store *s, struct kv *v, size_t n, const struct entity_filter *f,
		      int with_aliases, int with_score)
{
	json_t *out = json_array();
	char *pnorm = f && f->prefix && f->prefix[0] ? entity_norm(f->prefix) : NULL;
	struct entity_filter any = { -1, NULL, 10 };
	size_t i;

	if (f == NULL)
		f = &any;
	for (i = 0; i < n && (int)json_array_size(out) < f->limit; i++) {
		char *name = NULL, *norm = NULL;
		int type;
		json_t *o;

		if (entity_row(s, v[i].key, &type, &name, &norm) < 0)
			continue;
		if (entity_passes(s, v[i].key, type, norm, f, pnorm)) {
			o = json_pack("{s:s, s:s, s:I}", "name", name,
				      "type", entity_type_name((enum entity_type)type),
				      "count", (json_int_t)v[i].val);
			if (with_aliases)
				json_object_set_new(o, "aliases", aliases_of(s, v[i].key, name));
			if (with_score)
				json_object_set_new(o, "score", json_real((double)(long long)
							(v[i].score * 1e4 + 0.5) / 1e4));
			json_array_append_new(out, o);
		}
		free(name);
		free(norm);
	}
	free(pnorm);
	return out;
}

/* Add one to c for each entity of an article's ents text, except skip (0: none); returns
 * 1 when skip is among them. */
static int count_ents(struct counter *c, const char *ents, int64_t skip)
{
	const char *p = ents;
	int64_t id;
	int seen = 0;

	while ((p = store_ents_next(p, &id, NULL, NULL)) != NULL) {
		if (id == skip)
			seen = 1;
		else
			counter_add(c, id, 1);
	}
	return seen;
}

/* Add the entities of one article (from the columns) to c, except skip; 1 when skip is among
 * them. */
static int count_ids(struct counter *c, const uint32_t *ids, size_t n, int64_t skip)
{
	size_t i;
	int seen = 0;

	for (i = 0; i < n; i++) {
		if (ids[i] == skip)
			seen = 1;
		else
			counter_add(c, ids[i], 1);
	}
	return seen;
}

/* columns_walk: every entity of one article into the counter ctx. */
static int count_row(void *ctx, int64_t rid, uint32_t source, const uint32_t *ids, size_t n)
{
	(void)rid;
	(void)source;
	count_ids(ctx, ids, n, 0);
	return 0;
}

/* Count the entities of each rid (sorted) into c: from the in-memory columns of this read
 * transaction's version when there are some, else row by row. */
static int count_rids(struct store *s, const int64_t *rids, size_t n, struct counter *c,
		      struct search_error *err)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT ents FROM article WHERE rid = ?1", NULL);
	const struct columns *cols = columns_acquire(s, store_index_version(s));
	size_t i;
	int rc;

	if (cols) {
		/* entity ids are dense: an array of counts, then the hash of the nonzero ones
		 * (a broad query has millions of (article, entity) pairs, most of its time
		 * in the hash) */
		struct columns_cursor cur = { 0, 0 };
		uint32_t maxe = columns_max_entity(cols), *dense = xcalloc((size_t)maxe + 1,
									    sizeof(*dense));
		const uint32_t *ids;
		size_t k, j;

		for (i = 0; i < n; i++)
			if (columns_get(cols, rids[i], &cur, NULL, &ids, &k))
				for (j = 0; j < k; j++)
					dense[ids[j]]++;
		for (j = 1; j <= maxe; j++)
			if (dense[j])
				counter_add(c, (int64_t)j, dense[j]);
		free(dense);
		columns_release(cols);
		return 0;
	}
	if (st == NULL)
		return sql_fail(s, err);
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, rids[i]);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			count_ents(c, (const char *)sqlite3_column_text(st, 0), 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return sql_fail(s, err);
	}
	return 0;
}

/* The MATCH of an entity's articles: its tag, which user words never reach. */
static void entity_match(int64_t id, char *m, size_t n)
{
	snprintf(m, n, "{tags} : \"0e%lld\"", (long long)id);
}

json_t *entity_count_rids(struct store *s, const int64_t *rids, size_t n, int limit,
			  struct search_error *err)
{
	struct counter c;
	struct entity_filter f = { -1, NULL, limit };
	struct kv *v;
	size_t nv;
	json_t *out = NULL;

	counter_init(&c, 256);
	if (count_rids(s, rids, n, &c, err) == 0) {
		v = counter_sorted(&c, &nv);
		out = render(s, v, nv, &f, 0, 0);
		free(v);
	}
	counter_free(&c);
	return out;
}

struct rid_vec {
	int64_t *v;
	size_t n, cap;
};

static int collect_rid(void *ctx, int64_t rid)
{
	struct rid_vec *rv = ctx;

	if (rv->n == rv->cap) {
		rv->cap = rv->cap ? rv->cap * 2 : 1024;
		rv->v = xrealloc(rv->v, rv->cap * sizeof(*rv->v));
	}
	rv->v[rv->n++] = rid;
	return 0;
}

json_t *entity_top(struct store *s, const struct search_plan *plan, int all,
		   const struct entity_filter *f, struct search_error *err)
{
	struct counter c;
	struct kv *v = NULL;
	size_t nv = 0;
	json_t *out = NULL;

	counter_init(&c, 1024);
	if (all) {
		/* no filter: the per-version counts, sorted once per version (a sort of every
		 * entity per request was most of /entities at 1M articles) */
		int64_t articles;
		const struct counter *g = global_counts(s, &articles, err);

		if (g == NULL)
			goto out;
		if (gcache.sorted == NULL)
			gcache.sorted = counter_sorted(&gcache.counts, &gcache.nsorted);
		out = render(s, gcache.sorted, gcache.nsorted, f, 1, 0);
		goto out;
	} else {
		struct rid_vec rv = { 0 };

		if (search_plan_iterate(s, plan, 1, collect_rid, &rv, err) < 0 ||
		    count_rids(s, rv.v, rv.n, &c, err) < 0) {
			free(rv.v);
			goto out;
		}
		free(rv.v);
	}
	v = counter_sorted(&c, &nv);
	out = render(s, v, nv, f, 1, 0);
out:
	free(v);
	counter_free(&c);
	return out;
}

/* Articles of an entity in a rid range: entity.n for all time, else its tag's doclist. */
static int64_t entity_articles(struct store *s, int64_t id, int64_t lo, int64_t hi)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	char m[64];

	if (lo == INT64_MIN && hi == INT64_MAX) {
		st = store_stmt(s, "SELECT n FROM entity WHERE id = ?1", NULL);
		if (st == NULL)
			return 0;
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return n;
	}
	st = store_stmt(s, "SELECT count(*) FROM fts WHERE fts MATCH ?1"
			" AND rowid BETWEEN ?2 AND ?3", NULL);
	if (st == NULL)
		return 0;
	entity_match(id, m, sizeof(m));
	sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

json_t *entity_info(struct store *s, const char *name, int type, int64_t *id_out,
		    struct search_error *err)
{
	size_t n, i;
	int64_t *ids = search_resolve_entity(s, name, &n, err), best = 0, best_n = -1;
	sqlite3_stmt *st;
	json_t *o = NULL;
	char *ename = NULL, d1[21], d2[21], m[64];
	int etype;

	*id_out = 0;
	if (ids == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		int64_t c;
		char *nm = NULL;
		int t;

		if (entity_row(s, ids[i], &t, &nm, NULL) < 0)
			continue;
		free(nm);
		if (type >= 0 && t != type)
			continue;
		c = entity_articles(s, ids[i], INT64_MIN, INT64_MAX);
		if (c > best_n) {
			best_n = c;
			best = ids[i];
		}
	}
	free(ids);
	if (best == 0 || entity_row(s, best, &etype, &ename, NULL) < 0)
		return NULL;
	/* first and last article: the two ends of the entity's doclist */
	st = store_stmt(s, "SELECT (SELECT rowid FROM fts WHERE fts MATCH ?1 ORDER BY rowid ASC"
			" LIMIT 1), (SELECT rowid FROM fts WHERE fts MATCH ?1 ORDER BY rowid DESC"
			" LIMIT 1)", NULL);
	if (st == NULL) {
		free(ename);
		sql_fail(s, err);
		return NULL;
	}
	entity_match(best, m, sizeof(m));
	sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
	o = json_pack("{s:s, s:s, s:I}", "name", ename, "type",
		      entity_type_name((enum entity_type)etype), "count", (json_int_t)best_n);
	json_object_set_new(o, "aliases", aliases_of(s, best, ename));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		date_format(store_rid_date(sqlite3_column_int64(st, 0)), d1);
		date_format(store_rid_date(sqlite3_column_int64(st, 1)), d2);
		json_object_set_new(o, "first_seen", json_string(d1));
		json_object_set_new(o, "last_seen", json_string(d2));
	} else {
		json_object_set_new(o, "first_seen", json_null());
		json_object_set_new(o, "last_seen", json_null());
	}
	sqlite3_reset(st);
	free(ename);
	*id_out = best;
	return o;
}

json_t *entity_related(struct store *s, int64_t id, int64_t rid_lo, int64_t rid_hi, int type,
		       int limit, int min_count, struct search_error *err)
{
	struct counter c, all;
	struct entity_filter f = { type, NULL, limit };
	struct kv *v = NULL;
	sqlite3_stmt *st;
	size_t nv = 0, i, k, ncand = 0;
	int64_t total = 0, n_self = 0;
	json_t *out = NULL;
	const struct counter *global = NULL;
	const struct columns *cols = NULL;
	int rc, use_all, unbounded;
	char m[64];

	counter_init(&c, 256);
	counter_init(&all, 16);
	/* one statement for every co-occurrence: the entity's articles (its tag's doclist), with
	 * their entity lists, or only the doclist when each article's entities are in memory */
	cols = columns_acquire(s, store_index_version(s));
	st = store_stmt(s, cols ? "SELECT rowid FROM fts WHERE fts MATCH ?1"
			" AND rowid BETWEEN ?2 AND ?3 ORDER BY rowid" :
			"SELECT a.ents FROM fts JOIN article a ON a.rid = fts.rowid"
			" WHERE fts MATCH ?1 AND fts.rowid BETWEEN ?2 AND ?3", NULL);
	if (st == NULL) {
		sql_fail(s, err);
		goto out;
	}
	entity_match(id, m, sizeof(m));
	sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, rid_lo);
	sqlite3_bind_int64(st, 3, rid_hi);
	if (cols) {
		struct columns_cursor cur = { 0, 0 };
		const uint32_t *ids;
		size_t nids;

		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if (columns_get(cols, sqlite3_column_int64(st, 0), &cur, NULL, &ids, &nids))
				n_self += count_ids(&c, ids, nids, id);
	} else {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			n_self += count_ents(&c, (const char *)sqlite3_column_text(st, 0), id);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		sql_fail(s, err);
		goto out;
	}
	unbounded = rid_lo == INT64_MIN && rid_hi == INT64_MAX;
	if (unbounded) {
		global = global_counts(s, &total, err);
		if (global == NULL)
			goto out;
	} else {
		st = store_stmt(s, "SELECT count(*) FROM article WHERE rid BETWEEN ?1 AND ?2", NULL);
		if (st == NULL) {
			sql_fail(s, err);
			goto out;
		}
		sqlite3_bind_int64(st, 1, rid_lo);
		sqlite3_bind_int64(st, 2, rid_hi);
		if (sqlite3_step(st) == SQLITE_ROW)
			total = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	v = counter_sorted(&c, &nv);
	for (i = 0; i < nv; i++)
		if (v[i].val >= min_count)
			ncand++;
	/* the other entities' article counts: a few index lookups, or for many candidates one
	 * pass over the range */
	use_all = ncand > 64 && !unbounded;
	if (use_all && cols && (int64_t)columns_rows_in(cols, rid_lo, rid_hi) == total) {
		/* the range's rows in memory are its articles (none deleted since the base) */
		columns_walk(cols, rid_lo, rid_hi, 0, count_row, &all);
	} else if (use_all) {
		st = store_stmt(s, "SELECT ents FROM article WHERE rid BETWEEN ?1 AND ?2"
				" AND ents IS NOT NULL", NULL);
		if (st == NULL) {
			sql_fail(s, err);
			goto out;
		}
		sqlite3_bind_int64(st, 1, rid_lo);
		sqlite3_bind_int64(st, 2, rid_hi);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			count_ents(&all, (const char *)sqlite3_column_text(st, 0), 0);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			sql_fail(s, err);
			goto out;
		}
	}
	for (i = k = 0; i < nv; i++) {
		int64_t n_other = 0;

		if (v[i].val < min_count)
			continue;
		if (unbounded)
			n_other = counter_get(global, v[i].key);
		else if (use_all)
			n_other = counter_get(&all, v[i].key);
		else {
			n_other = entity_articles(s, v[i].key, rid_lo, rid_hi);
		}
		v[k] = v[i];
		v[k].score = n_self && n_other ? (double)v[i].val * (double)total /
			     ((double)n_self * (double)n_other) : 0;
		k++;
	}
	qsort(v, k, sizeof(*v), kv_by_score);
	out = render(s, v, k, &f, 0, 1);
out:
	columns_release(cols);
	free(v);
	counter_free(&c);
	counter_free(&all);
	return out;
}
