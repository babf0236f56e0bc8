/*
 * search.c — filters to one MATCH + rowid range, a one-pass top-k with an exact count, and
 * the page's details; see search.h.
 */
#include <inttypes.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "columns.h"
#include "copies.h"
#include "date.h"
#include "entity.h"
#include "extract.h"
#include "lang.h"
#include "rank.h"
#include "search.h"
#include "terms.h"
#include "timeline.h"
#include "snippet.h"
#include "util.h"

#define CURSOR_VERSION 'c'

/* Each HTTP thread owns one read connection, so the deadline can live per thread. */
static _Thread_local double deadline;

static int progress_cb(void *arg)
{
	(void)arg;
	return deadline > 0 && now_monotonic() > deadline;
}

void search_deadline_set(struct store *s, int timeout_ms)
{
	deadline = timeout_ms > 0 ? now_monotonic() + timeout_ms / 1000.0 : 0;
	sqlite3_progress_handler(store_db(s), timeout_ms > 0 ? 1000 : 0,
				 timeout_ms > 0 ? progress_cb : NULL, NULL);
}

void search_deadline_clear(struct store *s)
{
	deadline = 0;
	sqlite3_progress_handler(store_db(s), 0, NULL, NULL);
}

void search_error_clear(struct search_error *err)
{
	free(err->message);
	err->message = NULL;
	err->code = SEARCH_OK;
	err->position = -1;
}

static int fail(struct search_error *err, enum search_error_code code, int pos,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct search_error *err, enum search_error_code code, int pos,
		const char *fmt, ...)
{
	va_list ap;
	char tmp[512];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	free(err->message);
	err->message = xstrdup(tmp);
	err->code = code;
	err->position = pos;
	return -1;
}

/* A failed step: the query deadline, or an internal error (logged raw, reported plainly). */
static int step_fail(struct store *s, int rc, struct search_error *err)
{
	if ((rc & 0xff) == SQLITE_INTERRUPT)
		return fail(err, SEARCH_TIMEOUT, -1, "the query took longer than the configured "
			    "query_timeout_ms; narrow it (fewer prefix terms, a date range)");
	fprintf(stderr, "newsd: search: sqlite error %d: %s\n", rc, sqlite3_errmsg(store_db(s)));
	return fail(err, SEARCH_INTERNAL, -1, "internal error while searching: %s",
		    store_error_reason(rc));
}

int64_t *search_resolve_entity(struct store *s, const char *name, size_t *n,
			       struct search_error *err)
{
	char *norm = entity_norm(name);
	sqlite3_stmt *st;
	int64_t *ids = NULL;
	int rc;

	*n = 0;
	/* The entities having this name or alias, plus those whose own name is an alias of
	 * one of them: "ICE" seen alone before any article spelled it out is its own entity,
	 * and must be found from "Immigration and Customs Enforcement" too. */
	st = store_stmt(s, "WITH base(id) AS (SELECT entity_id FROM entity_alias WHERE norm = ?1)"
			" SELECT id FROM base UNION"
			" SELECT e.id FROM base b JOIN entity_alias a ON a.entity_id = b.id"
			" JOIN entity e ON e.norm = a.norm"
			" AND e.type = (SELECT type FROM entity WHERE id = b.id)"
			" ORDER BY 1", NULL);
	if (st == NULL) {
		free(norm);
		fail(err, SEARCH_INTERNAL, -1, "internal error resolving an entity");
		return NULL;
	}
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xrealloc(ids, (*n + 1) * sizeof(*ids));
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	free(norm);
	if (rc != SQLITE_DONE) {
		free(ids);
		*n = 0;
		step_fail(s, rc, err);
		return NULL;
	}
	return ids;
}

void search_plan_use(struct store *s, const struct search_plan *p)
{
	store_use_langs(s, p->langs);
}

/*
 * The language filter and the query languages (lang): each code checked (400 otherwise), the
 * filter appended to m as tags of the articles not in English ("0l<code>"): English is the
 * articles with none of the other languages' tags (English rows have no tag: see store.c).
 */
static int lang_filter(struct store *s, const struct search_request *r, struct search_plan *p,
		       struct buf *m, int *nparts, struct search_error *err)
{
	char code[3], (*codes)[3] = NULL;
	size_t i, j, n = 0;
	int en = 0, rc = -1;

	for (i = 0; i < r->nlangs; i++) {
		if (lang_normalize(r->langs[i], code) < 0 || strlen(r->langs[i]) != 2 ||
		    strcmp(r->langs[i], code) != 0) {
			if (strcmp(r->langs[i], "nb") == 0 || strcmp(r->langs[i], "nn") == 0)
				memcpy(code, "no", 3);
			else
				return fail(err, SEARCH_BAD_PARAMETER, -1, "lang takes ISO 639-1 "
					    "codes in lower case such as 'en' or 'de', not '%.40s'",
					    r->langs[i]);
		}
		p->langs |= lang_bit(code);
		codes = xrealloc(codes, (n + 1) * sizeof(*codes));
		memcpy(codes[n++], code, 3);
		en |= strcmp(code, LANG_DEFAULT) == 0;
	}
	if (n == 0 || r->langs_stem_only)
		goto done;
	if (!store_multilang(s)) {
		fail(err, SEARCH_BAD_PARAMETER, -1, "this database was indexed before languages "
		     "were: it cannot filter by lang until it is indexed again (newsd reindex "
		     "NEW.db makes a new file of it; see the log, or docs/DESIGN.md, Languages)");
		goto out;
	}
	if (en) {
		/* English and others: not any language left out */
		sqlite3_stmt *st = store_stmt(s, "SELECT lang FROM lang_count WHERE n > 0"
					      " AND lang != 'en' ORDER BY lang", NULL);
		int any = 0;

		if (st == NULL) {
			fail(err, SEARCH_INTERNAL, -1, "internal error reading the languages");
			goto out;
		}
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *l = (const char *)sqlite3_column_text(st, 0);

			for (j = 0; j < n && strcmp(codes[j], l) != 0; j++)
				;
			if (j < n || strlen(l) != 2)
				continue;
			if (!any) {
				char *inner = buf_detach(m);

				buf_printf(m, "(%s) NOT (", *nparts ? inner : "{tags} : \"" QUERY_ALL_TOKEN "\"");
				free(inner);
			}
			buf_printf(m, "%s{tags} : \"0l%s\"", any ? " OR " : "", l);
			any = 1;
		}
		sqlite3_reset(st);
		if (any) {
			buf_puts(m, ")");
			(*nparts)++;
		}
	} else {
		buf_puts(m, *nparts ? " AND (" : "(");
		for (j = 0; j < n; j++)
			buf_printf(m, "%s{tags} : \"0l%s\"", j ? " OR " : "", codes[j]);
		buf_puts(m, ")");
		(*nparts)++;
	}
done:
	rc = 0;
out:
	free(codes);
	return rc;
}

void search_plan_free(struct search_plan *p)
{
	free(p->match);
	free(p->match_all);
	free(p->parsed);
	free(p->fsrc);
	free(p->fent);
	free(p->fend);
	memset(p, 0, sizeof(*p));
}

int search_plan_build(struct store *s, const struct search_request *r, struct search_plan *p,
		      struct search_error *err)
{
	struct buf m = { 0 };
	char *match = NULL, *emsg = NULL;
	size_t i, j, n, nent = 0;
	int epos = 0, nparts = 0;

	memset(p, 0, sizeof(*p));
	p->rid_lo = INT64_MIN;
	p->rid_hi = INT64_MAX;
	if (r->has_from)
		p->rid_lo = store_rid_min(r->from);
	if (r->has_to)
		p->rid_hi = store_rid_max(r->to);
	if (r->has_from && r->has_to && r->from > r->to) {
		fail(err, SEARCH_BAD_PARAMETER, -1, "'from' is after 'to'");
		goto fail;
	}
	if (r->q && r->q[0]) {
		if (query_compile(r->q, strlen(r->q), r->limits, &match, &p->parsed, &emsg,
				  &epos) < 0) {
			fail(err, SEARCH_BAD_QUERY, epos, "%s", emsg ? emsg : "invalid query");
			free(emsg);
			goto fail;
		}
		p->has_q = 1;
		buf_printf(&m, "(%s)", match);
		free(match);
		nparts++;
	}
	if (r->nsources) {
		sqlite3_stmt *st = store_stmt(s, "SELECT id FROM source WHERE name = ?1 COLLATE NOCASE",
					      NULL);
		int any = 0;

		if (st == NULL) {
			fail(err, SEARCH_INTERNAL, -1, "internal error resolving a source");
			goto fail;
		}
		buf_puts(&m, nparts ? " AND (" : "(");
		for (i = 0; i < r->nsources; i++) {
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, r->sources[i], -1, SQLITE_STATIC);
			while (sqlite3_step(st) == SQLITE_ROW) {
				buf_printf(&m, "%s{tags} : \"0s%lld\"", any ? " OR " : "",
					   (long long)sqlite3_column_int64(st, 0));
				any = 1;
				p->fsrc = xrealloc(p->fsrc, (p->nfsrc + 1) * sizeof(*p->fsrc));
				p->fsrc[p->nfsrc++] = sqlite3_column_int64(st, 0);
			}
		}
		sqlite3_reset(st);
		buf_puts(&m, ")");
		nparts++;
		if (!any)
			p->empty = 1;
	}
	for (i = 0; i < r->nentities && !p->empty; i++) {
		int64_t *ids = search_resolve_entity(s, r->entities[i], &n, err);

		if (ids == NULL && err->code != SEARCH_OK)
			goto fail;
		if (n == 0) {
			p->empty = 1;
			break;
		}
		buf_puts(&m, nparts ? " AND (" : "(");
		for (j = 0; j < n; j++)
			buf_printf(&m, "%s{tags} : \"0e%lld\"", j ? " OR " : "", (long long)ids[j]);
		buf_puts(&m, ")");
		nparts++;
		p->fent = xrealloc(p->fent, (nent + n) * sizeof(*p->fent));
		memcpy(p->fent + nent, ids, n * sizeof(*ids));
		nent += n;
		p->fend = xrealloc(p->fend, (p->nfgroups + 1) * sizeof(*p->fend));
		p->fend[p->nfgroups++] = nent;
		free(ids);
	}
	if (lang_filter(s, r, p, &m, &nparts, err) < 0)
		goto fail;
	if (nparts == 0)
		buf_puts(&m, "{tags} : \"" QUERY_ALL_TOKEN "\"");
	if (r->collapse_dups) {
		/* copies carry "0d" (see store.h): one article per story, the earliest */
		char *inner = buf_detach(&m);

		buf_printf(&m, "(%s) NOT {tags} : \"0d\"", inner);
		p->match_all = inner;
	}
	p->match = buf_detach(&m);
	/* the filters the columns know (sources, entities, dates: fsrc/fent); a filter added here
	 * must clear this or be there. lang is a tag only the doclists know. */
	p->filters_only = !p->has_q && !r->collapse_dups && r->nlangs == 0;
	return 0;
fail:
	buf_free(&m);
	search_plan_free(p);
	return -1;
}

int search_plan_iterate(struct store *s, const struct search_plan *p, int asc,
			int (*cb)(void *ctx, int64_t rid), void *ctx, struct search_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (p->empty)
		return 0;
	search_plan_use(s, p);
	st = store_stmt(s, asc ?
			"SELECT rowid FROM fts WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3"
			" ORDER BY rowid ASC" :
			"SELECT rowid FROM fts WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3"
			" ORDER BY rowid DESC", NULL);
	if (st == NULL)
		return fail(err, SEARCH_INTERNAL, -1, "internal error preparing the search");
	sqlite3_bind_text(st, 1, p->match, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, p->rid_lo);
	sqlite3_bind_int64(st, 3, p->rid_hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(ctx, sqlite3_column_int64(st, 0)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return step_fail(s, rc, err);
	return 0;
}

/* ---- top-k ---- */

/* Extra hits kept while ranks are unscaled (rank.h): scaling by the IDF can make two close
 * ranks equal, and ties then go to the newer article. */
#define RANK_SLACK 16

struct hit {
	int64_t rid;
	double rank;			/* bm25(): smaller is better; 0 without q */
};

/* 1 when a ranks before b: better bm25, ties to the newer (larger rid). */
static int before(const struct hit *a, const struct hit *b, enum search_sort sort)
{
	if (sort == SORT_NEWEST)
		return a->rid > b->rid;
	if (sort == SORT_OLDEST)
		return a->rid < b->rid;
	if (a->rank != b->rank)
		return a->rank < b->rank;
	return a->rid > b->rid;
}

/* A bounded heap whose root is the worst kept hit. */
struct topk {
	struct hit *h;
	size_t n, k;
	enum search_sort sort;
};

static void topk_push(struct topk *t, struct hit x)
{
	size_t i, c;

	if (t->k == 0)
		return;
	if (t->n < t->k) {
		i = t->n++;
		while (i > 0 && before(&t->h[(i - 1) / 2], &x, t->sort)) {
			t->h[i] = t->h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		t->h[i] = x;
		return;
	}
	if (!before(&x, &t->h[0], t->sort))
		return;
	i = 0;
	for (;;) {
		c = 2 * i + 1;
		if (c >= t->n)
			break;
		if (c + 1 < t->n && before(&t->h[c], &t->h[c + 1], t->sort))
			c++;
		if (!before(&x, &t->h[c], t->sort))
			break;
		t->h[i] = t->h[c];
		i = c;
	}
	t->h[i] = x;
}

static int hit_cmp_relevance(const void *a, const void *b)
{
	return before(a, b, SORT_RELEVANCE) ? -1 : before(b, a, SORT_RELEVANCE) ? 1 : 0;
}

/* ---- cursors: opaque to clients, tied to the query they came from ---- */

static uint32_t request_signature(const struct search_request *r, enum search_sort sort)
{
	uint64_t h = hash64(r->q ? r->q : "", r->q ? strlen(r->q) : 0, sort);
	size_t i;

	h = hash64(&r->from, sizeof(r->from), h ^ (uint64_t)r->has_from ^
		   ((uint64_t)r->collapse_dups << 8));
	h = hash64(&r->to, sizeof(r->to), h ^ (uint64_t)r->has_to);
	for (i = 0; i < r->nentities; i++)
		h = hash64(r->entities[i], strlen(r->entities[i]), h + 1);
	for (i = 0; i < r->nsources; i++)
		h = hash64(r->sources[i], strlen(r->sources[i]), h + 2);
	for (i = 0; i < r->nlangs; i++)
		h = hash64(r->langs[i], strlen(r->langs[i]), h + 3);
	return (uint32_t)(h ^ (h >> 32));
}

static char *cursor_make(uint32_t sig, const struct hit *last)
{
	uint64_t bits;

	memcpy(&bits, &last->rank, sizeof(bits));
	return xasprintf("%c%08" PRIx32 "%016" PRIx64 "%016" PRIx64, CURSOR_VERSION, sig,
			 (uint64_t)last->rid, bits);
}

static int cursor_parse(const char *c, uint32_t sig, struct hit *out, struct search_error *err)
{
	uint64_t rid, bits;
	uint32_t csig;
	size_t i;

	if (strlen(c) != 41 || c[0] != CURSOR_VERSION)
		return fail(err, SEARCH_BAD_PARAMETER, -1, "cursor is not one this server made");
	for (i = 1; i < 41; i++)
		if (!strchr("0123456789abcdef", c[i]))
			return fail(err, SEARCH_BAD_PARAMETER, -1, "cursor is not one this server made");
	if (sscanf(c + 1, "%8" SCNx32 "%16" SCNx64 "%16" SCNx64, &csig, &rid, &bits) != 3)
		return fail(err, SEARCH_BAD_PARAMETER, -1, "cursor is not one this server made");
	if (csig != sig)
		return fail(err, SEARCH_BAD_PARAMETER, -1, "cursor belongs to a different query, "
			    "filters or sort; repeat the request it came from");
	out->rid = (int64_t)rid;
	memcpy(&out->rank, &bits, sizeof(bits));
	return 0;
}

/* ---- the pass ---- */

struct pass {
	struct topk top;
	int64_t total;			/* all matches */
	int64_t all;			/* rows the MATCH gave, copies left out or not */
	int64_t after;			/* matches ordered after the cursor */
	int has_cursor;
	struct hit cursor;
	enum search_sort sort;
	int64_t *rids;			/* every matching rid, for facets (NULL = not collected) */
	size_t nrids, caprids;
	struct rank_state rank;		/* newsd_rank's threshold and what it did */
	int64_t version;		/* index_version of the read transaction */
	int slack;			/* top.k holds RANK_SLACK more (a deferred phrase) */
	const char *df_of;		/* the MATCH whose counts rank.df holds (one lookup per
					 * search, however many blocks it reads) */
};

/* A match that cannot enter the top k (newsd_rank pruned it): counted only. */
static void pass_count(struct pass *ps, int64_t rid)
{
	ps->total++;
	if (ps->rids) {
		if (ps->nrids == ps->caprids) {
			ps->caprids *= 2;
			ps->rids = xrealloc(ps->rids, ps->caprids * sizeof(*ps->rids));
		}
		ps->rids[ps->nrids++] = rid;
	}
	/* it ranks worse than the k-th kept hit, which is after the cursor: so is it */
	ps->after++;
}

static void pass_add(struct pass *ps, struct hit x)
{
	ps->total++;
	if (ps->rids) {
		if (ps->nrids == ps->caprids) {
			ps->caprids *= 2;
			ps->rids = xrealloc(ps->rids, ps->caprids * sizeof(*ps->rids));
		}
		ps->rids[ps->nrids++] = x.rid;
	}
	if (ps->has_cursor && !before(&ps->cursor, &x, ps->sort))
		return;
	ps->after++;
	topk_push(&ps->top, x);
	if (ps->top.n == ps->top.k)
		ps->rank.threshold = ps->top.h[0].rank;
}

/*
 * One pass over the matches with rids in [lo, hi], into ps. whole: the pass covers every row
 * the query can match (its plan's whole range, possibly in two halves), so a single phrase may
 * defer its IDF (rank.h); pass_finish then scales. The search's read transaction is open.
 */
static int run_pass(struct store *s, const struct search_plan *p, int64_t lo, int64_t hi,
		    int whole, struct pass *ps, struct search_error *err)
{
	sqlite3_stmt *st;
	const char *sql, *match = p->match;
	const struct copies *skip = NULL;
	/* a count alone (limit=0, no offset) needs no ranking */
	int rc, scored = p->has_q && ps->sort == SORT_RELEVANCE && ps->top.k > 0;

	if (p->empty)
		return 0;
	search_plan_use(s, p);
	/* collapse=dups: the copies are skipped here, with a lookup each, rather than left out
	 * by the MATCH (copies.h); without the set, the MATCH does it */
	if (p->match_all && (skip = copies_sync(store_db(s), ps->version)) != NULL)
		match = p->match_all;
	if (scored)
		sql = "SELECT rowid, newsd_rank(fts, ?4, ?5) FROM fts"
		      " WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3";
	else if (ps->sort == SORT_OLDEST)
		sql = "SELECT rowid FROM fts WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3"
		      " ORDER BY rowid ASC";
	else
		sql = "SELECT rowid FROM fts WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3"
		      " ORDER BY rowid DESC";
	st = store_stmt(s, sql, NULL);
	if (st == NULL)
		return fail(err, SEARCH_INTERNAL, -1, "internal error preparing the search");
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	if (scored) {
		sqlite3_bind_double(st, 4, store_title_weight(s));
		/* a pass may follow another into the same heap (bounds_pass) */
		ps->rank.threshold = ps->top.k > 0 && ps->top.n == ps->top.k ? ps->top.h[0].rank :
				     INFINITY;
		/* one phrase over the whole table: its IDF only scales every rank alike, and the
		 * search's total is the phrase's document count; a cursor compares final ranks */
		ps->rank.may_defer = !ps->has_cursor && whole && p->rid_lo == INT64_MIN &&
				     p->rid_hi == INT64_MAX;
		/* row lengths: the shared columns' (one copy per process), else this thread's */
		ps->rank.cols = columns_acquire(s, ps->version);
		memset(&ps->rank.cur, 0, sizeof(ps->rank.cur));
		ps->rank.lengths = ps->rank.cols || columns_serving(s) ? NULL :
				   rank_lengths_sync(store_db(s), ps->version);
		/* document counts of the one-word phrases: IDFs without scans (a lone phrase
		 * that is deferred needs none, but the MATCH may hold several) */
		if (ps->df_of != match) {
			ps->rank.ndf = terms_phrase_df(store_terms(s), match, ps->rank.df,
						       RANK_MAX_PHRASES);
			ps->df_of = match;
		}
		sqlite3_bind_pointer(st, 5, &ps->rank, "newsd_rank", NULL);
		if (ps->rank.may_defer && !ps->slack) {
			ps->top.k += RANK_SLACK;
			ps->slack = 1;
		}
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct hit x;

		x.rid = sqlite3_column_int64(st, 0);
		ps->all++;
		if (skip && copies_has(skip, x.rid))
			continue;
		if (scored && sqlite3_column_type(st, 1) == SQLITE_NULL) {
			pass_count(ps, x.rid);
			continue;
		}
		x.rank = scored ? sqlite3_column_double(st, 1) : 0.0;
		pass_add(ps, x);
	}
	sqlite3_reset(st);
	columns_release(ps->rank.cols);
	ps->rank.cols = NULL;
	if (rc != SQLITE_DONE)
		return step_fail(s, rc, err);
	return 0;
}

/* After the pass (both halves merged): a deferred single phrase gets bm25's ranks. */
static void pass_finish(struct pass *ps)
{
	size_t i;

	if (!ps->slack)
		return;
	ps->top.k -= RANK_SLACK;
	ps->slack = 0;
	/* ranks as bm25 gives them, then the top k again (ties among the scaled ranks go to the
	 * newer article, as everywhere) */
	if (ps->rank.deferred)
		for (i = 0; i < ps->top.n; i++)
			ps->top.h[i].rank = rank_scale(ps->top.h[i].rank, ps->all, ps->rank.rows);
	qsort(ps->top.h, ps->top.n, sizeof(*ps->top.h), hit_cmp_relevance);
	if (ps->top.n > ps->top.k)
		ps->top.n = ps->top.k;
}

/* ---- one word: the blocks that can hold its top k (bounds.h) ---- */

static _Atomic int64_t bounds_searches, bounds_blocks_visited, bounds_counted;

void search_bounds_counters(int64_t *searches, int64_t *blocks, int64_t *counted)
{
	*searches = bounds_searches;
	*blocks = bounds_blocks_visited;
	*counted = bounds_counted;
}

static int by_sum(const void *a, const void *b, void *ctx)
{
	const double *sum = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (sum[x] != sum[y])
		return sum[x] > sum[y] ? -1 : 1;
	return x > y ? -1 : x < y;
}

/* The k-th best (smallest) rank kept in ps, or +inf when fewer than k are kept. */
static double kth_rank(const struct pass *ps, size_t k)
{
	double best[64];
	size_t i, j, n = 0;

	if (k == 0 || ps->top.n < k)
		return INFINITY;
	if (k > sizeof(best) / sizeof(best[0]))
		return ps->top.n == ps->top.k ? ps->top.h[0].rank : INFINITY;	/* the worst kept */
	for (i = 0; i < ps->top.n; i++) {	/* the k smallest, sorted, by insertion */
		double r = ps->top.h[i].rank;

		if (n == k && r >= best[k - 1])
			continue;
		for (j = n < k ? n++ : k - 1; j > 0 && best[j - 1] > r; j--)
			best[j] = best[j - 1];
		best[j] = r;
	}
	return best[k - 1];
}

/* A search the bounds answered: its counts (all: rows the MATCH gave, copies or not; total:
 * the matches), and the counters /stats shows (counted: its total came from bits). */
static void bounds_answered(struct pass *ps, int64_t all, int64_t total, int64_t visited,
			    int counted)
{
	ps->all = all;
	ps->total = ps->after = total;
	bounds_searches++;
	bounds_blocks_visited += visited;
	bounds_counted += counted;
}

/* Read every block of b holding a row written since the columns' base (dirty), ranked into
 * ps: the bounds and bits do not hold there. run_pass's result; *visited counts them. */
static int read_dirty(struct store *s, const struct search_plan *p, struct pass *ps,
		      const struct columns *c, const struct term_bounds *b, const uint8_t *dirty,
		      int64_t *visited, struct search_error *err)
{
	int64_t lo, hi;
	size_t j;
	int rc = 0;

	for (j = 0; j < b->nblk && rc == 0; j++)
		if (dirty[j]) {
			bounds_range(c, b, j, &lo, &hi);
			rc = run_pass(s, p, lo, hi, 1, ps, err);
			(*visited)++;
		}
	return rc;
}

/* Release what terms_phrase_info and bounds_get gave for each phrase. */
static void phrases_free(const struct term_bounds **b, char **tok, char **text)
{
	int i;

	for (i = 0; i < RANK_MAX_PHRASES; i++) {
		bounds_release(b[i]);
		free(tok[i]);
		free(text[i]);
	}
}

/*
 * Which phrases of a MATCH no match can contain: those after its only top-level NOT when the
 * top level has no OR (in "a AND b NOT c" and "(a OR b) NOT c", whatever the precedence, every
 * match lacks c). neg[i] for the i-th quoted string, left to right (FTS5's phrase order).
 */
static void negated_phrases(const char *m, int *neg, int max)
{
	size_t i, n = strlen(m);
	int depth = 0, base = 0, nor = 0, nnot = 0, k = 0, first = -1, j;

	for (j = 0; j < max; j++)
		neg[j] = 0;
	/* quoted strings ("" inside) and {column filters} are skipped whole */
#define SKIP_QUOTED()								\
	do {									\
		for (i++; i < n && !(m[i] == '"' && m[i + 1] != '"'); i++)	\
			if (m[i] == '"')					\
				i++;						\
	} while (0)
	/* base: how many pairs of parentheses enclose everything ("((a NOT b))": 2) */
	for (;;) {
		int spans = n >= 2 * (size_t)base + 2 && m[base] == '(' && m[n - 1 - base] == ')';

		for (depth = 0, i = base; spans && i < n - base; i++) {
			if (m[i] == '"')
				SKIP_QUOTED();
			else if (m[i] == '{')
				while (i < n && m[i] != '}')
					i++;
			else if (m[i] == '(')
				depth++;
			else if (m[i] == ')' && --depth == 0 && i != n - 1 - base)
				spans = 0;	/* the first pair closes early: "(a) OR (b)" */
		}
		if (!spans)
			break;
		base++;
	}
	depth = 0;
	for (i = 0; i < n; i++) {
		if (m[i] == '"') {
			k++;
			SKIP_QUOTED();
		} else if (m[i] == '{') {
			while (i < n && m[i] != '}')
				i++;
		} else if (m[i] == '(') {
			depth++;
		} else if (m[i] == ')') {
			depth--;
		} else if (depth == base && (i == 0 || m[i - 1] == ' ')) {
			if (strncmp(m + i, "OR ", 3) == 0) {
				nor++;
			} else if (strncmp(m + i, "NOT ", 4) == 0) {
				nnot++;
				first = k;
			}
		}
	}
#undef SKIP_QUOTED
	if (nnot == 1 && nor == 0)
		for (j = first; j >= 0 && j < k && j < max; j++)
			neg[j] = 1;
}

/*
 * Several one-word phrases (AND, OR, NOT, NEAR of words whose document counts term_df knows),
 * over the whole table, by relevance: the total from a count of the MATCH (no ranking), the
 * top k from the blocks whose bound, the sum over the phrases no match lacks of IDF times the
 * word's block bound (k1 + 1 for a word without bounds: no value reaches it), can still beat
 * the k-th kept value. 1 when it answered (*rc: the passes'), 0 when the search needs the
 * ordinary pass.
 */
static int bounds_multi(struct store *s, const struct search_plan *p, struct pass *ps,
			struct search_error *err, int *rc)
{
	double df[RANK_MAX_PHRASES], idf[RANK_MAX_PHRASES], *sum = NULL, kth, v, rows_est;
	char *tok[RANK_MAX_PHRASES] = { 0 }, *text[RANK_MAX_PHRASES] = { 0 };
	int neg[RANK_MAX_PHRASES], n, i, done = 0, any = 0;
	const struct term_bounds *b[RANK_MAX_PHRASES] = { 0 }, *g = NULL;
	const struct columns *c = NULL;
	const uint8_t *dirty;
	uint32_t *order = NULL;
	size_t j, k, nrid, nblk = 0;
	uint64_t seq;
	int64_t lo, hi, total, visited = 0;
	sqlite3_stmt *st;

	n = terms_phrase_info(store_terms(s), p->match, df, tok, text, RANK_MAX_PHRASES);
	if (n < 2 || n >= RANK_MAX_PHRASES)
		goto out;
	for (i = 0; i < n; i++)
		if (isnan(df[i]))
			goto out;
	if ((c = columns_acquire(s, ps->version)) == NULL)
		goto out;
	negated_phrases(p->match, neg, n);
	/* every word a match may hold needs bounds: a rarer one's (k1 + 1) would let no block
	 * go, and with it the matches are few enough to rank them all */
	for (i = 0, any = 0; i < n; i++) {
		if (!neg[i] && df[i] < (double)bounds_min_df())
			goto out;
		any += !neg[i];
	}
	/* one word that matches hold, the others excluded ("bank NOT japan"): its bounds are
	 * those of the matches. With two or more, the sum of their bounds stays well above
	 * what the matches score (few hold all the words at their best): on the 1M scale
	 * corpus too few blocks were left out to pay for the count and the visits (gold silver
	 * 12 -> 16 ms, opec OR saudi 12 -> 14 ms; DESIGN.md) */
	if (any != 1)
		goto out;
	any = 0;
	for (i = 0; i < n; i++)
		if (!neg[i]) {
			b[i] = bounds_get(s, c, tok[i], text[i], store_title_weight(s));
			if (b[i] == NULL)
				goto out;
			if (g == NULL)
				g = b[i];
			if (b[i]->nblk != g->nblk || b[i]->block != g->block)
				goto out;	/* settings changed between two: not comparable */
			any = 1;
		}
	if (!any)
		goto out;
	done = 1;
	nblk = g->nblk;
	/* the total: FTS5 counts the matches without ranking them */
	st = store_stmt(s, "SELECT count(*) FROM fts WHERE fts MATCH ?1", NULL);
	if (st == NULL) {
		*rc = fail(err, SEARCH_INTERNAL, -1, "internal error preparing the count");
		goto out;
	}
	sqlite3_bind_text(st, 1, p->match, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		*rc = step_fail(s, sqlite3_errcode(store_db(s)), err);
		sqlite3_reset(st);
		goto out;
	}
	total = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	/* the visiting order, from IDFs with the base's row count (only the order) */
	columns_base_rids(c, &nrid, &seq);
	/* (rows written since the base may make a count pass the base's rows: log of a negative
	 * number, NaN, and the sort order would be anything) */
	rows_est = (double)nrid;
	for (i = 0; i < n; i++)
		rows_est = df[i] + 1.0 > rows_est ? df[i] + 1.0 : rows_est;
	for (i = 0; i < n; i++)
		idf[i] = rank_idf((int64_t)df[i], (int64_t)rows_est);
	sum = xcalloc(nblk, sizeof(*sum));
	order = xmalloc(nblk * sizeof(*order));
	for (j = 0; j < nblk; j++) {
		for (i = 0; i < n; i++)
			if (!neg[i])
				sum[j] += idf[i] * (b[i] ? (double)b[i]->bound[j] : RANK_MAX_UNSCALED);
		order[j] = (uint32_t)j;
	}
	qsort_r(order, nblk, sizeof(*order), by_sum, sum);
	dirty = bounds_dirty(c, g, 0, NULL);
	*rc = read_dirty(s, p, ps, c, g, dirty, &visited, err);
	for (k = 0; k < nblk && *rc == 0; k++) {
		j = order[k];
		if (dirty[j])
			continue;
		if (sum[j] == 0.0)
			break;	/* no word of the query in this block or any after it */
		kth = kth_rank(ps, ps->slack ? ps->top.k - RANK_SLACK : ps->top.k);
		if (kth < INFINITY && ps->rank.avgdl > 0.0 && ps->rank.rows > 0) {
			/* the bound with this version's IDFs and average length */
			for (v = 0.0, i = 0; i < n; i++)
				if (!neg[i])
					v += rank_idf((int64_t)df[i], ps->rank.rows) *
					     (b[i] ? (double)b[i]->bound[j] *
						     (ps->rank.avgdl > b[i]->avgdl ?
						      ps->rank.avgdl / b[i]->avgdl : 1.0) :
						     RANK_MAX_UNSCALED);
			if (v * (1.0 + 1e-9) < -kth)
				break;
		}
		bounds_range(c, g, j, &lo, &hi);
		*rc = run_pass(s, p, lo, hi, 1, ps, err);
		visited++;
	}
	if (*rc == 0)
		bounds_answered(ps, total, total, visited, 0);
out:
	phrases_free(b, tok, text);
	free(sum);
	free(order);
	columns_release(c);
	return done;
}

/* ---- several words: exact counts from the words' bits (bounds.h) ---- */

static int64_t live_articles(struct store *s, int64_t version);

#define BT_MAX 48		/* nodes of a boolean tree */

enum bt_type { BT_WORD, BT_AND, BT_OR, BT_NOT };

/* A MATCH of one-word phrases in title and body under AND, OR and NOT, as a tree. */
struct btree {
	struct {
		enum bt_type type;
		int phrase;		/* BT_WORD: its place in the MATCH (FTS5's phrase order) */
		int nkid, kid[BT_MAX];
	} n[BT_MAX];
	int nn, nphrase, root;
	const char *p;			/* the parser's place */
};

static int bt_expr(struct btree *t);

/* One operand: a parenthesised expression or {title body} : "word". -1 when not such. */
static int bt_operand(struct btree *t)
{
	const char *p = t->p;
	int id;

	if (*p == '(') {
		t->p = p + 1;
		id = bt_expr(t);
		if (id < 0 || *t->p != ')')
			return -1;
		t->p++;
		return id;
	}
	if (strncmp(p, "{title body} : \"", 16) != 0 || t->nn == BT_MAX)
		return -1;
	for (p += 16; *p && !(*p == '"' && p[1] != '"'); p++)
		if (*p == '"')
			p++;
	if (*p != '"' || (p[1] == ' ' && p[2] == '*'))
		return -1;	/* a prefix */
	t->p = p + 1;
	id = t->nn++;
	t->n[id].type = BT_WORD;
	t->n[id].phrase = t->nphrase++;
	t->n[id].nkid = 0;
	return id;
}

/* operand (OP operand)*, one operator throughout (FTS5's precedence never matters: query.c
 * puts every group in parentheses). */
static int bt_expr(struct btree *t)
{
	static const struct { const char *s; enum bt_type type; } ops[] = {
		{ " AND ", BT_AND }, { " OR ", BT_OR }, { " NOT ", BT_NOT }
	};
	int first = bt_operand(t), id = -1, k, op;

	if (first < 0)
		return -1;
	for (;;) {
		for (op = 0; op < 3 && strncmp(t->p, ops[op].s, strlen(ops[op].s)) != 0; op++)
			;
		if (op == 3)
			return id < 0 ? first : id;
		if (id < 0) {
			if (t->nn == BT_MAX)
				return -1;
			id = t->nn++;
			t->n[id].type = ops[op].type;
			t->n[id].nkid = 1;
			t->n[id].kid[0] = first;
		} else if (t->n[id].type != ops[op].type) {
			return -1;	/* mixed operators */
		}
		t->p += strlen(ops[op].s);
		k = bt_operand(t);
		if (k < 0 || t->n[id].nkid == BT_MAX)
			return -1;
		t->n[id].kid[t->n[id].nkid++] = k;
	}
}

static int bt_parse(struct btree *t, const char *match)
{
	memset(t, 0, sizeof(*t));
	t->p = match;
	t->root = bt_expr(t);
	return t->root >= 0 && *t->p == '\0';
}

/* out[0..w) = node id's rows in block j (w 64-bit words of bits per block). */
static void bt_eval(const struct btree *t, int id, const struct term_bounds *const *b, size_t j,
		    size_t w, uint64_t *out)
{
	uint64_t tmp[64];
	size_t x;
	int k;

	if (t->n[id].type == BT_WORD) {
		memcpy(out, b[t->n[id].phrase]->bits + j * w, w * sizeof(*out));
		return;
	}
	bt_eval(t, t->n[id].kid[0], b, j, w, out);
	for (k = 1; k < t->n[id].nkid; k++) {
		bt_eval(t, t->n[id].kid[k], b, j, w, tmp);
		for (x = 0; x < w; x++)
			out[x] = t->n[id].type == BT_AND ? out[x] & tmp[x] :
				 t->n[id].type == BT_OR ? out[x] | tmp[x] : out[x] & ~tmp[x];
	}
}

/* pos[i] = 1 for the phrases a match may hold: all but those excluded by a NOT that no OR
 * above it can bypass. */
static void bt_positive(const struct btree *t, int id, int under_or, int *pos)
{
	int k;

	if (t->n[id].type == BT_WORD) {
		pos[t->n[id].phrase] = 1;
		return;
	}
	for (k = 0; k < t->n[id].nkid; k++)
		if (t->n[id].type != BT_NOT || k == 0 || under_or)
			bt_positive(t, t->n[id].kid[k], under_or || t->n[id].type == BT_OR, pos);
}

/* 1 when an OR sits under another operator: "(wheat OR corn) soviet". Its block bound adds
 * both sides to the rest, far above what the matches score (at 1M every block had to be
 * read: 380 ms against 12 for the ordinary pass). */
static int bt_or_inside(const struct btree *t, int id, int depth)
{
	int k;

	if (t->n[id].type == BT_WORD)
		return 0;
	if (t->n[id].type == BT_OR && depth > 0)
		return 1;
	for (k = 0; k < t->n[id].nkid; k++)
		if (bt_or_inside(t, t->n[id].kid[k], depth + 1))
			return 1;
	return 0;
}

/* Ask the columns for a new base at most every few minutes (a row is gone since this one). */
static void reread_soon(void)
{
	static _Atomic int64_t last;
	int64_t now = (int64_t)now_monotonic();

	if (now - last >= 300) {
		last = now;
		columns_reread();
	}
}

/*
 * The bits set in a[0..n) and not in skip (NULL: none skipped). Built twice and chosen once at
 * load (an ifunc): with the CPU's popcnt instruction where it has one, as every x86-64 of the
 * last fifteen years does, else with the compiler's portable count, a call per word that took
 * 3% of a collapse=dups search at 1M articles (a popcount of the copies over a million rows).
 */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("popcnt", "default")))
#endif
static int64_t popcount_and_not(const uint64_t *a, const uint64_t *skip, size_t n)
{
	int64_t m = 0;
	size_t x;

	if (skip)
		for (x = 0; x < n; x++)
			m += __builtin_popcountll(a[x] & ~skip[x]);
	else
		for (x = 0; x < n; x++)
			m += __builtin_popcountll(a[x]);
	return m;
}

/* Rows of the clean blocks set in bits and not in skip (NULL: none skipped). */
static int64_t bits_count(const uint64_t *bits, const uint64_t *skip, const uint8_t *dirty,
			  size_t nblk, size_t w)
{
	int64_t m = 0;
	size_t j;

	for (j = 0; j < nblk; j++)
		if (!dirty[j])
			m += popcount_and_not(bits + j * w, skip ? skip + j * w : NULL, w);
	return m;
}

/* collapse=dups with bits: the wire copies as bits of c's base (rows of clean blocks only can
 * be counted from them), and the dirty blocks in *dirty. NULL when the copies cannot be read
 * or a row of the base is gone (then a new base is asked for). */
static const uint64_t *copies_left_out(struct store *s, struct pass *ps, const struct columns *c,
				       const struct term_bounds *b, const uint8_t **dirty)
{
	const struct copies *cp = copies_sync(store_db(s), ps->version);
	const int64_t *rids;
	int64_t live, vanished;
	size_t n;

	if (cp == NULL || (live = live_articles(s, ps->version)) < 0)
		return NULL;
	*dirty = bounds_dirty(c, b, live, &vanished);
	if (vanished != 0) {
		reread_soon();
		return NULL;
	}
	rids = copies_rids(cp, &n);
	return bounds_rows_bits(c, b, rids, n, ps->version);
}

/* What the bits of b can count for the search in ps: the blocks written since the base in
 * *dirty and, with collapse=dups, the copies as bits in *skip (else NULL). 0 when they cannot
 * count: a row of the base is gone (a new base is asked for) or the copies cannot be read. */
static int bits_view(struct store *s, const struct search_plan *p, struct pass *ps,
		     const struct columns *c, const struct term_bounds *b, int64_t live,
		     const uint8_t **dirty, const uint64_t **skip)
{
	int64_t vanished = 0;

	*skip = NULL;
	if (p->match_all)	/* (copies_left_out asks for a new base when rows are gone) */
		return (*skip = copies_left_out(s, ps, c, b, dirty)) != NULL;
	*dirty = bounds_dirty(c, b, live, &vanished);
	if (vanished != 0)
		reread_soon();
	return vanished == 0;
}

#define BOOL_MAX_VISITS 128	/* clean blocks read before giving up for one ordinary pass */

/* Block j's bound for the search in ps: IDF times the word's bound, over the phrases a match
 * may hold, with this version's row count and average length; 1e-9 above for rounding. */
static double block_bound(const struct term_bounds *const *b, const int *pos, int n,
			  const double *df, const struct pass *ps, size_t j, int collapse)
{
	double v = 0.0;
	int i;

	for (i = 0; i < n; i++)
		if (pos[i])
			v += rank_idf((int64_t)df[i], ps->rank.rows) *
			     (double)bounds_bound(b[i], collapse)[j] *
			     (ps->rank.avgdl > b[i]->avgdl ? ps->rank.avgdl / b[i]->avgdl : 1.0);
	return v * (1.0 + 1e-9);
}

/* Back to an empty pass (the same k, sort and cursor) for another way to the answer. */
static void pass_reset(struct pass *ps)
{
	if (ps->slack) {
		ps->top.k -= RANK_SLACK;
		ps->slack = 0;
	}
	ps->top.n = 0;
	ps->total = ps->all = ps->after = 0;
	ps->rank.threshold = INFINITY;
}

/*
 * Several one-word phrases under AND, OR and NOT, over the whole table, by relevance: the
 * total from the words' bits (a popcount of the tree per block), the top k from the blocks
 * that hold a match, by descending bound (the sum over the phrases a match may hold of IDF
 * times the word's block bound) until the k-th kept value beats the next. Blocks written since
 * the base are visited and counted by FTS5. Exact only when no row of the base is gone since
 * (deleted or moved to another date): otherwise 0, and a new base is asked for.
 */
static int bounds_bool(struct store *s, const struct search_plan *p, struct pass *ps,
		       struct search_error *err, int *rc)
{
	struct btree *t = NULL;
	double df[RANK_MAX_PHRASES], idf[RANK_MAX_PHRASES], *sum = NULL, kth;
	char *tok[RANK_MAX_PHRASES] = { 0 }, *text[RANK_MAX_PHRASES] = { 0 };
	int pos[RANK_MAX_PHRASES] = { 0 }, n = 0, i, done = 0;
	const struct term_bounds *b[RANK_MAX_PHRASES] = { 0 };
	const struct columns *c = NULL;
	const uint8_t *dirty;
	const uint64_t *skip = NULL;
	uint32_t *order = NULL;
	uint64_t bits[64];
	size_t j, k, nblk, w, norder = 0, nrid, nclean;
	uint64_t seq;
	int64_t lo, hi, clean = 0, before, dirty_rows = 0, visited = 0, live;
	/* collapse=dups: the MATCH without the copies' exclusion (run_pass skips them) */
	const char *m = p->match_all ? p->match_all : p->match;

	t = xmalloc(sizeof(*t));
	if (!bt_parse(t, m) || t->nphrase < 2 || t->nphrase > RANK_MAX_PHRASES ||
	    bt_or_inside(t, t->root, 0))
		goto out;
	n = terms_phrase_info(store_terms(s), m, df, tok, text, RANK_MAX_PHRASES);
	if (n != t->nphrase)
		goto out;
	for (i = 0; i < n; i++)
		if (isnan(df[i]) || df[i] < (double)bounds_min_df())
			goto out;
	if ((live = live_articles(s, ps->version)) < 0 ||
	    (c = columns_acquire(s, ps->version)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		b[i] = bounds_get(s, c, tok[i], text[i], store_title_weight(s));
		if (b[i] == NULL || b[i]->nblk != b[0]->nblk || b[i]->block != b[0]->block ||
		    b[i]->block / 64 > 64)
			goto out;
	}
	if (!bits_view(s, p, ps, c, b[0], live, &dirty, &skip))
		goto out;
	done = 1;
	nblk = b[0]->nblk;
	w = b[0]->block / 64;
	bt_positive(t, t->root, 0, pos);
	columns_base_rids(c, &nrid, &seq);
	/* IDFs for the order only, with the base's rows (or more: a count larger than the base's
	 * rows would make a log of a negative number, NaN, and the order anything). The true
	 * bound of each block is checked before it is passed over. */
	for (i = 0; i < n; i++)
		nrid = (size_t)df[i] + 1 > nrid ? (size_t)df[i] + 1 : nrid;
	for (i = 0; i < n; i++)
		idf[i] = rank_idf((int64_t)df[i], (int64_t)nrid);
	sum = xcalloc(nblk, sizeof(*sum));
	order = xmalloc(nblk * sizeof(*order));
	for (j = 0; j < nblk; j++) {
		int64_t nm;

		if (dirty[j])
			continue;
		bt_eval(t, t->root, b, j, w, bits);
		nm = popcount_and_not(bits, skip ? skip + j * w : NULL, w);
		if (nm == 0)
			continue;	/* no match in this block (but copies) */
		clean += nm;
		for (i = 0; i < n; i++)
			if (pos[i])
				sum[j] += idf[i] * (double)bounds_bound(b[i], skip != NULL)[j];
		order[norder++] = (uint32_t)j;
	}
	qsort_r(order, norder, sizeof(*order), by_sum, sum);
	before = ps->total;
	*rc = read_dirty(s, p, ps, c, b[0], dirty, &visited, err);
	dirty_rows = ps->total - before;
	for (k = 0, nclean = 0; k < norder && *rc == 0; k++) {
		j = order[k];
		kth = kth_rank(ps, ps->slack ? ps->top.k - RANK_SLACK : ps->top.k);
		/* the order came from estimated IDFs, and with several words another block may
		 * still have a larger true bound: each is checked, none ends the loop */
		if (kth < INFINITY && ps->rank.avgdl > 0.0 && ps->rank.rows > 0 &&
		    block_bound(b, pos, n, df, ps, j, skip != NULL) < -kth)
			continue;
		/* bounds too loose to leave many blocks out: one ordinary pass costs less than
		 * reading most blocks one by one (about 0.15 ms each at 1M) */
		if (nclean++ == BOOL_MAX_VISITS) {
			pass_reset(ps);
			done = 0;
			goto out;
		}
		bounds_range(c, b[0], j, &lo, &hi);
		*rc = run_pass(s, p, lo, hi, 1, ps, err);
		visited++;
	}
	if (*rc == 0)
		bounds_answered(ps, clean + dirty_rows, clean + dirty_rows, visited, 1);
out:
	phrases_free(b, tok, text);
	free(sum);
	free(order);
	free(t);
	columns_release(c);
	return done;
}

/* The fts table's rows and average length for this read transaction, as newsd_rank reads
 * them (rank_totals: FTS5's averages record). 0, or -1. */
static int fts_totals(struct store *s, int64_t *rows, double *avgdl)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT block FROM fts_data WHERE id = 1", NULL);
	int rc = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		rc = rank_totals(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), rows,
				 avgdl);
	if (st)
		sqlite3_reset(st);
	return rc == 0 && *avgdl > 0.0 ? 0 : -1;
}

#define BEST_CANDS 512		/* best rows kept per query (one prefix, phrase or NEAR) */

static size_t best_cands = BEST_CANDS;

void search_set_prefix_cands(size_t n)
{
	best_cands = n ? n : BEST_CANDS;
}

#define BEST_MAX_DIRTY 4	/* blocks written since the base read one by one, at most */

enum best_kind { BEST_PREFIX = 1, BEST_PHRASE, BEST_NEAR };

/* A quoted FTS5 string at *p ("" inside): its text into w (may be NULL), *p past it. 0 when
 * *p is not one. */
static int quoted(const char **p, struct buf *w)
{
	const char *q = *p;

	if (*q != '"')
		return 0;
	for (q++; *q && !(*q == '"' && q[1] != '"'); q++) {
		if (*q == '"')
			q++;
		if (w)
			buf_putc(w, *q);
	}
	if (*q != '"')
		return 0;
	*p = q + 1;
	return 1;
}

/*
 * What a MATCH is when it is one query in title and body and nothing else, as query.c writes
 * it (groups in parentheses): {title body} : "export" * (a prefix), {title body} : "crude
 * oil" (a phrase of any length: one word is the caller's to rule out), {title body} :
 * NEAR("interest" "rates", 2) (words only). Returns its kind and, in *key, the text after the
 * column filter, and in *text the prefix or the phrase as written (both the caller's to free);
 * 0 otherwise.
 */
static enum best_kind best_query(const char *m, char **key, char **text)
{
	struct buf w = { 0 };
	const char *p, *q;
	size_t paren = 0;
	enum best_kind kind;
	int n = 0;

	*key = *text = NULL;
	while (m[paren] == '(')
		paren++;
	if (strncmp(m + paren, "{title body} : ", 15) != 0)
		return 0;
	q = p = m + paren + 15;
	if (strncmp(p, "NEAR(", 5) == 0) {
		kind = BEST_NEAR;
		for (p += 5; quoted(&p, NULL); n++)
			if (*p == ' ' && p[1] == '"')
				p++;
		if (n < 2 || n > RANK_FREQ_OUT || strncmp(p, ", ", 2) != 0)
			return 0;
		for (p += 2; *p >= '0' && *p <= '9'; p++)
			;
		if (*p++ != ')')
			return 0;
	} else if (quoted(&p, &w) && w.len > 0) {
		kind = strncmp(p, " *", 2) == 0 ? BEST_PREFIX : BEST_PHRASE;
		p += kind == BEST_PREFIX ? 2 : 0;
	} else {
		buf_free(&w);
		return 0;
	}
	if (strspn(p, ")") != paren || p[paren] != '\0') {
		buf_free(&w);
		return 0;
	}
	*key = xstrndup(q, (size_t)(p - q));
	*text = w.len ? buf_detach(&w) : NULL;
	buf_free(&w);
	return kind;
}

/*
 * One prefix (export*), one phrase ("crude oil") or one NEAR over the whole table, by
 * relevance. Their block reads cost too much to be worth bounds per block: FTS5 3.40 merges
 * the doclists of every word with a prefix for each MATCH, whatever its rowid range (about
 * 9 ms at 1M), and a phrase or a NEAR compares positions in every row holding all its words,
 * so that even counting them is a pass (30 ms for the NEAR of the scale queries). Instead the
 * query's bounds keep its rows as bits (the total: a popcount) and its best rows of the base
 * (BEST_CANDS) with their weighted instances of each phrase, and the largest value of a row
 * left out (floor): each candidate's exact value is computed again in memory with this
 * version's IDFs and average length (rank_value, bit for bit newsd_rank's), blocks written
 * since the base are read by FTS5, and when the k-th kept value is above the floor, scaled
 * for the growth of the IDFs and of the average length, no row left out can enter the top k.
 * 0 (nothing kept) when the query is rare (its words are), when more than a few blocks are
 * dirty, when a row of the base is gone, or when the candidates do not decide: the ordinary
 * pass answers.
 */
static int bounds_best(struct store *s, const struct search_plan *p, struct pass *ps,
		       const char *m, struct search_error *err, int *rc)
{
	char *key = NULL, *text = NULL, *tok[RANK_MAX_PHRASES] = { 0 }, *txt[RANK_MAX_PHRASES] = { 0 };
	const struct columns *c = NULL;
	const struct term_bounds *b = NULL, *none[RANK_MAX_PHRASES] = { 0 };
	const uint8_t *dirty = NULL;
	const uint64_t *skip = NULL;
	struct columns_cursor cur;
	double avgdl, adj, kth, df[RANK_MAX_PHRASES], idf[RANK_FREQ_OUT], grow = 1.0, est;
	int64_t rows, live, visited = 0, all, total, before_all, before_total, dl;
	size_t i, j, ndirty = 0, w;
	int done = 0, n, k;
	enum best_kind kind = best_query(m, &key, &text);

	if (kind == 0 || ps->top.k > best_cands / 2)
		goto out;
	/* broad enough to be worth bounds: by term_df (an estimate for a prefix or a phrase) */
	if (kind == BEST_NEAR) {
		n = terms_phrase_info(store_terms(s), m, df, tok, txt, RANK_MAX_PHRASES);
		for (k = 0, est = INFINITY; k < n; k++)
			est = isnan(df[k]) ? -1.0 : df[k] < est ? df[k] : est;
	} else {
		est = kind == BEST_PREFIX ?
		      (double)terms_prefix_est(store_terms(s), text, bounds_min_df()) :
		      (double)terms_min_word_df(store_terms(s), text);
		n = 1;	/* a lone phrase: its IDF is deferred */
		df[0] = NAN;
	}
	if (!(est >= (double)bounds_min_df()) || (live = live_articles(s, ps->version)) < 0 ||
	    (c = columns_acquire(s, ps->version)) == NULL)
		goto out;
	if ((b = bounds_get_phrase(s, c, key, key, store_title_weight(s), best_cands, n, df)) ==
	    NULL || b->nphrase != n)
		goto out;
	if (!bits_view(s, p, ps, c, b, live, &dirty, &skip))
		goto out;
	for (j = 0; j < b->nblk; j++)
		ndirty += dirty[j];
	if (ndirty > BEST_MAX_DIRTY || fts_totals(s, &rows, &avgdl) < 0)
		goto out;
	/* this version's IDFs (term_df's counts, as run_pass gives newsd_rank), and by how much
	 * they grew since the build */
	for (k = 0; k < n; k++) {
		idf[k] = kind == BEST_NEAR ? rank_idf((int64_t)df[k], rows) : 1.0;
		grow = idf[k] / b->idf[k] > grow ? idf[k] / b->idf[k] : grow;
	}
	done = 1;
	w = b->block / 64;
	all = bits_count(b->bits, NULL, dirty, b->nblk, w);
	total = skip ? bits_count(b->bits, skip, dirty, b->nblk, w) : all;
	before_all = ps->all;
	before_total = ps->total;
	*rc = read_dirty(s, p, ps, c, b, dirty, &visited, err);
	if (*rc != 0)
		goto out;
	all += ps->all - before_all;
	total += ps->total - before_total;
	/* what newsd_rank would have reported over the whole table */
	ps->rank.rows = rows;
	ps->rank.avgdl = avgdl;
	ps->rank.deferred = kind != BEST_NEAR;
	ps->rank.may_defer = 1;
	if (!ps->slack) {
		ps->top.k += RANK_SLACK;
		ps->slack = 1;
	}
	memset(&cur, 0, sizeof(cur));
	for (i = 0; i < b->ncand; i++) {
		const struct bounds_cand *x = &b->cand[i];

		if (dirty[x->pos / b->block] ||
		    (skip && (skip[x->pos / 64] >> (x->pos % 64) & 1)))
			continue;	/* read again above, or a copy left out */
		if ((dl = columns_length(c, x->rid, &cur)) < 0)
			break;
		pass_add(ps, (struct hit){ .rid = x->rid,
					   .rank = rank_value(x->freq, idf, n, (double)dl, avgdl) });
	}
	/* rows left out are worth at most floor, times the growth of the IDFs and of the average
	 * length; the k-th kept must be above that by more than any rounding (of the scaling to
	 * come, for a lone phrase) */
	adj = avgdl > b->avgdl ? avgdl / b->avgdl : 1.0;
	kth = kth_rank(ps, ps->top.k - RANK_SLACK);
	if (i < b->ncand || (b->floor > 0.0 && !(-kth > b->floor * adj * grow * (1.0 + 1e-9)))) {
		pass_reset(ps);
		done = 0;
		goto out;
	}
	bounds_answered(ps, all, total, visited, 1);
out:
	bounds_release(b);
	columns_release(c);
	phrases_free(none, tok, txt);
	free(key);
	free(text);
	return done;
}

/*
 * A one-word query over the whole table, by relevance, without facets, cursor or collapse:
 * visit the blocks whose rows changed since the bounds were built, then the others by
 * descending bound until the k-th kept value (the deferred, unscaled one) beats every bound
 * left; the total is the word's document count (term_df). The hits and ranks are those of one
 * pass over every match: a row of a block left out ranks below every kept hit. 1 when it
 * answered (*rc: run_pass's), 0 when the search needs the ordinary pass.
 */
static int bounds_pass_k(struct store *s, const struct search_plan *p, struct pass *ps,
			 int count_only, struct search_error *err, int *rc)
{
	char *token = NULL, *text = NULL;
	const struct columns *c = NULL;
	const struct term_bounds *b = NULL;
	const uint8_t *dirty;
	const uint64_t *skip = NULL;
	const float *bound;
	const uint32_t *order;
	double df = 0.0, adj, kth;
	int64_t lo, hi, visited = 0, clean = 0, before;
	size_t i, j, norder;
	int done = 0;
	/* collapse=dups: the MATCH without the copies' exclusion (run_pass skips them) */
	const char *m = p->match_all ? p->match_all : p->match;

	*rc = 0;
	if (!p->has_q || p->empty || ps->sort != SORT_RELEVANCE || ps->top.k == 0 ||
	    ps->has_cursor || ps->rids || p->rid_lo != INT64_MIN || p->rid_hi != INT64_MAX ||
	    sqlite3_get_autocommit(store_db(s)) || !bounds_enabled())
		return 0;
	search_plan_use(s, p);
	if (!terms_single_word(store_terms(s), m, &token, &text, &df))
		return bounds_best(s, p, ps, m, err, rc) || bounds_bool(s, p, ps, err, rc) ||
		       (!p->match_all && bounds_multi(s, p, ps, err, rc));
	/* one word in title and body: from its best rows, as a phrase, when they hold the top k
	 * (no block read; with collapse=dups the copies among them are skipped), else from its
	 * blocks below. Not for a count alone: the blocks' way reads one block and takes the
	 * total from term_df, where the best rows' way ranks 512 rows and counts the bits */
	if (!count_only && bounds_best(s, p, ps, m, err, rc)) {
		done = 1;
		goto out;
	}
	if (df < (double)bounds_min_df() || (c = columns_acquire(s, ps->version)) == NULL ||
	    (b = bounds_get(s, c, token, text, store_title_weight(s))) == NULL)
		goto out;
	/* the bits are the word's rows in title or body: title:word counts other rows */
	if (p->match_all && (strstr(m, "{title body}") == NULL ||
			     (skip = copies_left_out(s, ps, c, b, &dirty)) == NULL))
		goto out;
	done = 1;
	if (skip)	/* the total: the word's rows that are not copies, from the bits */
		clean = bits_count(b->bits, skip, dirty, b->nblk, b->block / 64);
	else
		dirty = bounds_dirty(c, b, 0, NULL);
	before = ps->total;
	*rc = read_dirty(s, p, ps, c, b, dirty, &visited, err);
	clean += ps->total - before;
	/* with collapse=dups, the blocks by their bound without the copies when there is one */
	bound = bounds_bound(b, skip != NULL);
	order = bound == b->bound ? b->order : b->nc_order;
	norder = bound == b->bound ? b->norder : b->nc_norder;
	for (i = 0; i < norder && *rc == 0; i++) {
		j = order[i];
		if (dirty[j])
			continue;
		/* values are negated scores. The heap keeps RANK_SLACK more than k for ties that
		 * scaling by the IDF can make; a row whose value is below the k-th kept by more
		 * than any rounding stays below it once scaled, so the k-th decides */
		kth = kth_rank(ps, ps->slack ? ps->top.k - RANK_SLACK : ps->top.k);
		if (kth < INFINITY && ps->rank.avgdl > 0.0) {
			adj = ps->rank.avgdl > b->avgdl ? ps->rank.avgdl / b->avgdl : 1.0;
			if ((double)bound[j] * adj * (1.0 + 1e-9) < -kth)
				break;
		}
		bounds_range(c, b, j, &lo, &hi);
		*rc = run_pass(s, p, lo, hi, 1, ps, err);
		visited++;
	}
	if (*rc == 0)	/* all: what the MATCH gives with the copies (a deferred phrase's scale) */
		bounds_answered(ps, (int64_t)df, skip ? clean : (int64_t)df, visited, 0);
out:
	bounds_release(b);
	columns_release(c);
	free(token);
	free(text);
	return done;
}

/*
 * A search by relevance from the bounds, when they can answer it. limit=0 (the total alone:
 * did-you-mean counts its respellings so) is answered as a search for one hit, dropped after:
 * the total is the same, and the ordinary pass visits every match to count it (32 ms for
 * "billion" at 1M articles, against 3 ms).
 */
static int bounds_pass(struct store *s, const struct search_plan *p, struct pass *ps,
		       struct search_error *err, int *rc)
{
	int done;

	if (ps->top.k != 0)
		return bounds_pass_k(s, p, ps, 0, err, rc);
	ps->top.k = 1;		/* the heap has room: pass_init keeps RANK_SLACK + 1 */
	done = bounds_pass_k(s, p, ps, 1, err, rc);
	ps->top.k -= 1;		/* RANK_SLACK may remain, for pass_finish to take off */
	ps->top.n = 0;
	return done;
}

/* ---- two threads for one search ---- */

/*
 * A broad search is split at a date into two rid ranges of about as many articles each; the
 * older half runs on the caller's peer, a thread with its own read connection, while the
 * caller runs the newer half. Both read the same snapshot: each opens a read transaction and
 * reads the index version, and when a commit came between the two (the versions differ) the
 * caller runs the older half itself, in its own transaction. Totals add; the two top-k heaps
 * merge; a deferred single phrase is scaled with the summed total, as one pass would.
 */
static int64_t split_min = 50000;	/* fewer articles: one thread (a hand-over costs ~0.1 ms) */

void search_set_split_min(int64_t n)
{
	split_min = n;
}

enum peer_state { PEER_IDLE, PEER_JOB, PEER_DONE, PEER_QUIT };

struct search_peer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store *s;
	enum peer_state state;
	/* the job: the older half */
	const struct search_plan *plan;
	int64_t lo, hi, version;
	int timeout_ms;
	struct pass *ps;
	struct search_error err;
	int rc;				/* 0, -1 (err), or 1: another snapshot */
};

static _Thread_local struct search_peer *this_peer;
/* Searches making their pass now, in every thread: a search splits only when it is alone, as
 * the second core is otherwise busy with another search and a split would only add the
 * hand-over and the wait for the slower half. */
static _Atomic int passes_running;

/* Articles per day (day_count), cumulated, for the index version they were read at. */
static _Thread_local struct {
	int64_t version;
	int64_t *day, *cum;
	size_t n;
} days = { -1, NULL, NULL, 0 };

static void days_release(void)
{
	free(days.day);
	free(days.cum);
	days.day = days.cum = NULL;
	days.n = 0;
	days.version = -1;
}

static int days_load(struct store *s, int64_t version)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int64_t sum = 0;
	int rc;

	if (days.version == version)
		return 0;
	days_release();
	st = store_stmt(s, "SELECT day, n FROM day_count WHERE n > 0 ORDER BY day", NULL);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (days.n == cap) {
			cap = cap ? cap * 2 : 1024;
			days.day = xrealloc(days.day, cap * sizeof(*days.day));
			days.cum = xrealloc(days.cum, cap * sizeof(*days.cum));
		}
		sum += sqlite3_column_int64(st, 1);
		days.day[days.n] = sqlite3_column_int64(st, 0);
		days.cum[days.n++] = sum;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		days_release();
		return -1;
	}
	days.version = version;
	return 0;
}

/* Articles at version (the per-day counts' sum), -1 when they cannot be read. */
static int64_t live_articles(struct store *s, int64_t version)
{
	if (days_load(s, version) < 0)
		return -1;
	return days.n ? days.cum[days.n - 1] : 0;
}

static int64_t day_of_rid(int64_t rid)
{
	int64_t date = store_rid_date(rid);

	return date >= 0 ? date / 86400 : -((-date + 86399) / 86400);
}

/* Articles in days before i (days.cum is inclusive). */
static int64_t cum_before(size_t i)
{
	return i ? days.cum[i - 1] : 0;
}

/*
 * Where to split [lo, hi]: the last rid of the day by which half of the range's articles are
 * dated (from the per-day counts; the days at the two ends count whole). 0 when the range
 * holds too few articles to be worth two threads or cannot be split.
 */
static int split_point(struct store *s, int64_t version, int64_t lo, int64_t hi, int64_t *mid)
{
	size_t a = 0, b, i;
	int64_t d0, d1, total, half;

	if (days_load(s, version) < 0 || days.n == 0)
		return 0;
	d0 = lo == INT64_MIN ? days.day[0] : day_of_rid(lo);
	d1 = hi == INT64_MAX ? days.day[days.n - 1] : day_of_rid(hi);
	while (a < days.n && days.day[a] < d0)
		a++;
	b = a;
	while (b < days.n && days.day[b] <= d1)
		b++;
	if (b == a)
		return 0;
	total = days.cum[b - 1] - cum_before(a);
	if (total < split_min)
		return 0;
	half = cum_before(a) + total / 2;
	for (i = a; i < b - 1 && days.cum[i] < half; i++)
		;
	if (i >= b - 1)
		return 0;
	/* the last rid dated on day i: the second before the next day, every sequence number */
	*mid = store_rid_max((days.day[i] + 1) * 86400 - 1);
	return *mid >= lo && *mid < hi;
}

static void pass_merge(struct pass *into, struct pass *from)
{
	size_t i;

	into->total += from->total;
	into->all += from->all;
	into->after += from->after;
	for (i = 0; i < from->top.n; i++)
		topk_push(&into->top, from->top.h[i]);
	if (into->rids) {
		if (into->nrids + from->nrids > into->caprids) {
			into->caprids = into->nrids + from->nrids;
			into->rids = xrealloc(into->rids, into->caprids * sizeof(*into->rids));
		}
		memcpy(into->rids + into->nrids, from->rids, from->nrids * sizeof(*from->rids));
		into->nrids += from->nrids;
	}
	into->rank.deferred |= from->rank.deferred;
	into->rank.scored += from->rank.scored;
	if (into->rank.rows == 0)
		into->rank.rows = from->rank.rows;
}

/* Read the index version inside a read transaction, opened here unless the caller's is open
 * (the HTTP layer runs each request in one): 1 when it was opened here, else 0. */
static int begin_read(struct store *s, int64_t *version)
{
	int began = sqlite3_get_autocommit(store_db(s)) &&
		    sqlite3_exec(store_db(s), "BEGIN", NULL, NULL, NULL) == SQLITE_OK;

	*version = store_index_version(s);
	return began;
}

static void end_read(struct store *s)
{
	sqlite3_exec(store_db(s), "COMMIT", NULL, NULL, NULL);
}

static void *peer_main(void *arg)
{
	struct search_peer *pr = arg;

	pthread_setname_np(pthread_self(), "newsd-peer");

	pthread_mutex_lock(&pr->mu);
	for (;;) {
		int64_t v;

		while (pr->state != PEER_JOB && pr->state != PEER_QUIT)
			pthread_cond_wait(&pr->cv, &pr->mu);
		if (pr->state == PEER_QUIT)
			break;
		pthread_mutex_unlock(&pr->mu);
		search_deadline_set(pr->s, pr->timeout_ms);
		if (!begin_read(pr->s, &v) || v != pr->version)
			pr->rc = 1;
		else
			pr->rc = run_pass(pr->s, pr->plan, pr->lo, pr->hi, 1, pr->ps, &pr->err);
		if (sqlite3_get_autocommit(store_db(pr->s)) == 0)
			end_read(pr->s);
		search_deadline_clear(pr->s);
		pthread_mutex_lock(&pr->mu);
		pr->state = PEER_DONE;
		pthread_cond_broadcast(&pr->cv);
	}
	pthread_mutex_unlock(&pr->mu);
	rank_lengths_release();
	copies_release();
	days_release();
	return NULL;
}

struct search_peer *search_peer_start(const char *db, const struct store_options *so,
				      char **errmsg)
{
	struct search_peer *pr = xcalloc(1, sizeof(*pr));

	if (store_open(db, STORE_READ, so, &pr->s, errmsg) < 0) {
		free(pr);
		return NULL;
	}
	pthread_mutex_init(&pr->mu, NULL);
	pthread_cond_init(&pr->cv, NULL);
	pr->state = PEER_IDLE;
	if (pthread_create(&pr->thread, NULL, peer_main, pr) != 0) {
		store_close(pr->s);
		pthread_mutex_destroy(&pr->mu);
		pthread_cond_destroy(&pr->cv);
		free(pr);
		set_error(errmsg, "cannot start a search thread");
		return NULL;
	}
	return pr;
}

void search_peer_stop(struct search_peer *pr)
{
	if (pr == NULL)
		return;
	pthread_mutex_lock(&pr->mu);
	pr->state = PEER_QUIT;
	pthread_cond_broadcast(&pr->cv);
	pthread_mutex_unlock(&pr->mu);
	pthread_join(pr->thread, NULL);
	store_close(pr->s);
	pthread_mutex_destroy(&pr->mu);
	pthread_cond_destroy(&pr->cv);
	free(pr);
}

void search_peer_attach(struct search_peer *pr)
{
	this_peer = pr;
}

void search_thread_release(void)
{
	copies_release();
	days_release();
	bounds_thread_release();
}

/* An empty pass keeping the best k hits in sort order, collecting every rid when facets. */
static void pass_init(struct pass *ps, enum search_sort sort, size_t k, int facets)
{
	memset(ps, 0, sizeof(*ps));
	ps->sort = sort;
	ps->top.sort = sort;
	ps->top.k = k;
	ps->top.h = xmalloc((k + RANK_SLACK + 1) * sizeof(*ps->top.h));
	if (facets) {
		ps->caprids = 1024;
		ps->rids = xmalloc(ps->caprids * sizeof(*ps->rids));
	}
}

/* A pass that starts like ps (sort, k, cursor, facets, version), empty. */
static void pass_like(struct pass *out, const struct pass *ps)
{
	pass_init(out, ps->sort, ps->top.k, ps->rids != NULL);
	out->has_cursor = ps->has_cursor;
	out->cursor = ps->cursor;
	out->version = ps->version;
}

/* ---- filters only, from the in-memory columns ---- */

static _Atomic int64_t columns_passes;	/* searches answered so (tests) */

/* Articles dated in [lo, hi], from the per-day counts: -1 when the range does not cover whole
 * days (or the counts cannot be read). */
static int64_t live_in(struct store *s, int64_t version, int64_t lo, int64_t hi)
{
	int64_t d0, d1, n = 0;
	size_t i;

	if (days_load(s, version) < 0)
		return -1;
	if (lo != INT64_MIN && (lo != store_rid_min(store_rid_date(lo)) ||
				store_rid_date(lo) != day_of_rid(lo) * 86400))
		return -1;
	if (hi != INT64_MAX && (hi != store_rid_max(store_rid_date(hi)) ||
				store_rid_date(hi) != day_of_rid(hi) * 86400 + 86399))
		return -1;
	d0 = lo == INT64_MIN ? INT64_MIN : day_of_rid(lo);
	d1 = hi == INT64_MAX ? INT64_MAX : day_of_rid(hi);
	for (i = 0; i < days.n; i++)
		if (days.day[i] >= d0 && days.day[i] <= d1)
			n += days.cum[i] - cum_before(i);
	return n;
}

static int has_id(const uint32_t *ids, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ids[mid] == id)
			return 1;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

struct cols_walk {
	const struct search_plan *p;
	struct pass *ps;
};

/* One article of the range: into the pass when it passes the plan's filters. */
static int cols_row(void *ctx, int64_t rid, uint32_t source, const uint32_t *ents, size_t nents)
{
	struct cols_walk *w = ctx;
	const struct search_plan *p = w->p;
	size_t g, i, from = 0;
	struct hit x;

	if (p->nfsrc) {
		for (i = 0; i < p->nfsrc && p->fsrc[i] != source; i++)
			;
		if (i == p->nfsrc)
			return 0;
	}
	for (g = 0; g < p->nfgroups; g++) {
		int found = 0;

		for (i = from; i < p->fend[g] && !found; i++)
			found = has_id(ents, nents, p->fent[i]);
		if (!found)
			return 0;
		from = p->fend[g];
	}
	x.rid = rid;
	x.rank = 0.0;
	pass_add(w->ps, x);
	return 0;
}

/*
 * A search of filters only (entities, sources, a date range of whole days), by date, without
 * facets: from the columns of the read transaction's version, a walk over the range's rows
 * instead of a doclist of every match (an entity over a year: 118k matches, 26 ms). The
 * columns may keep rows deleted since their base: they are trusted only when the range holds
 * as many rows as the per-day counts say it holds articles. 1 when answered (ps filled as the
 * pass would), 0 when the pass must run.
 */
static int columns_pass(struct store *s, const struct search_plan *p, struct pass *ps)
{
	const struct columns *c;
	struct cols_walk w = { p, ps };
	int64_t live;

	if (!p->filters_only || p->empty || ps->rids || ps->sort == SORT_RELEVANCE ||
	    sqlite3_get_autocommit(store_db(s)))
		return 0;
	live = live_in(s, ps->version, p->rid_lo, p->rid_hi);
	if (live < 0 || (c = columns_acquire(s, ps->version)) == NULL)
		return 0;
	if ((int64_t)columns_rows_in(c, p->rid_lo, p->rid_hi) != live) {
		columns_release(c);
		return 0;
	}
	columns_walk(c, p->rid_lo, p->rid_hi, ps->sort != SORT_OLDEST, cols_row, &w);
	columns_release(c);
	columns_passes++;
	return 1;
}

int64_t search_columns_passes(void)
{
	return columns_passes;
}

/*
 * The search's pass, on two threads when this thread has a peer and the range is broad. The
 * read transaction is opened here (ps->version read inside it) and ends with the pass.
 */
static int search_pass(struct store *s, const struct search_plan *p, struct pass *ps,
		       int timeout_ms, struct search_error *err)
{
	struct search_peer *pr = this_peer;
	struct pass older;
	int64_t mid;
	int rc, began = begin_read(s, &ps->version), alone = ++passes_running == 1;

	/* outside a transaction (BEGIN failed) statements may read different snapshots, and the
	 * halves could not be compared: one thread */
	if (columns_pass(s, p, ps)) {
		rc = 0;
		goto out;
	}
	if (bounds_pass(s, p, ps, err, &rc))
		goto out;
	if (pr == NULL || !alone || sqlite3_get_autocommit(store_db(s)) || p->empty ||
	    !split_point(s, ps->version, p->rid_lo, p->rid_hi, &mid)) {
		rc = run_pass(s, p, p->rid_lo, p->rid_hi, 1, ps, err);
		goto out;
	}
	pass_like(&older, ps);
	pthread_mutex_lock(&pr->mu);
	pr->plan = p;
	pr->lo = p->rid_lo;
	pr->hi = mid;
	pr->version = ps->version;
	pr->timeout_ms = timeout_ms;
	pr->ps = &older;
	pr->rc = 0;
	memset(&pr->err, 0, sizeof(pr->err));
	pr->state = PEER_JOB;
	pthread_cond_broadcast(&pr->cv);
	pthread_mutex_unlock(&pr->mu);

	rc = run_pass(s, p, mid + 1, p->rid_hi, 1, ps, err);

	pthread_mutex_lock(&pr->mu);
	while (pr->state != PEER_DONE)
		pthread_cond_wait(&pr->cv, &pr->mu);
	pr->state = PEER_IDLE;
	pthread_mutex_unlock(&pr->mu);
	if (rc == 0 && pr->rc == 1) {
		/* the peer saw another snapshot: the older half here, in this one */
		free(older.top.h);
		free(older.rids);
		pass_like(&older, ps);
		rc = run_pass(s, p, p->rid_lo, mid, 1, &older, err);
	} else if (rc == 0 && pr->rc < 0) {
		search_error_clear(err);
		*err = pr->err;
		rc = -1;
	} else {
		search_error_clear(&pr->err);
	}
	if (rc == 0)
		pass_merge(ps, &older);
	free(older.top.h);
	free(older.rids);
out:
	passes_running--;
	if (began)
		end_read(s);
	if (rc == 0)
		pass_finish(ps);
	return rc;
}

json_t *search_article_entities(struct store *s, int64_t rid)
{
	json_t *o = json_object(), *lists[ENTITY_NTYPES];
	sqlite3_stmt *st;
	int i;

	for (i = 0; i < ENTITY_NTYPES; i++) {
		lists[i] = json_array();
		json_object_set_new(o, entity_type_plural((enum entity_type)i), lists[i]);
	}
	st = store_stmt(s, "SELECT e.type, e.name FROM article a, json_each(a.ents) j"
			" JOIN entity e ON e.id = (j.value ->> 0) WHERE a.rid = ?1"
			" ORDER BY (j.value ->> 1) DESC, e.name", NULL);
	if (st == NULL)
		return o;
	sqlite3_bind_int64(st, 1, rid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int t = sqlite3_column_int(st, 0);

		if (t >= 0 && t < ENTITY_NTYPES)
			json_array_append_new(lists[t],
					      json_string((const char *)sqlite3_column_text(st, 1)));
	}
	sqlite3_reset(st);
	return o;
}

/* Split newsd_snippet's output into a JSON array of fragments. */
static json_t *split_snippets(const char *s)
{
	json_t *a = json_array();
	const char *p = s, *e;

	if (s == NULL || *s == '\0')
		return a;
	for (;;) {
		e = strstr(p, SNIPPET_SEP);
		json_array_append_new(a, json_stringn(p, e ? (size_t)(e - p) : strlen(p)));
		if (e == NULL)
			break;
		p = e + strlen(SNIPPET_SEP);
	}
	return a;
}

/* A hit's highlighted title and snippets, computed ahead for a page (prefix_details). */
struct detail {
	int64_t rid;
	char *title_html, *snippets;
	int done;
};

/* d's highlighted title and snippets from columns col and col + 1 of st's row. */
static void detail_take(struct detail *d, sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	const char *sn = (const char *)sqlite3_column_text(st, col + 1);

	d->title_html = xstrdup(t ? t : "");
	d->snippets = sn ? xstrdup(sn) : NULL;
	d->done = 1;
}

/*
 * FTS5 (3.40) answers a prefix phrase by merging the doclists of every word with the prefix
 * into one, whatever the rowid constraint: for export* at 1M articles about 9 ms, once per
 * hit when each hit's highlight and snippets come from a MATCH … AND rowid = ?. A page of a
 * query with a prefix runs its MATCH once instead, over the rid range of the page's hits,
 * the highlight and snippets computed only for them (the rest of the range is walked, not
 * ranked). 0, or -1 with err; d[i] for hits[i].
 */
static int prefix_details(struct store *s, const struct search_plan *p,
			  const struct search_request *r, const struct hit *hits, size_t n,
			  struct detail *d, struct search_error *err)
{
	struct buf sql = { 0 };
	sqlite3_stmt *st = NULL;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t i;
	int rc;
	char *phrase, *word = NULL;

	/* one prefix of one word (collapse=dups or not: copies are not hits), in a file of
	 * words as written: each hit's own text finds the words that begin with it (snippet.h,
	 * prefix mode), without a MATCH */
	if (best_query(p->match_all ? p->match_all : p->match, &phrase, &word) == BEST_PREFIX &&
	    store_words_as_written(s)) {
		st = store_stmt(s, "SELECT newsd_highlight(fts, 0, ?1),"
				" newsd_snippet(fts, 1, ?2, ?3, ?1) FROM fts WHERE rowid = ?4", NULL);
		for (i = 0, rc = SQLITE_OK; st && i < n && rc == SQLITE_OK; i++) {
			d[i].rid = hits[i].rid;
			sqlite3_bind_text(st, 1, word, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 2, r->snippets);
			sqlite3_bind_int(st, 3, r->snippet_words);
			sqlite3_bind_int64(st, 4, hits[i].rid);
			if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
				detail_take(&d[i], st, 0);
				rc = SQLITE_OK;
			} else if (rc == SQLITE_DONE) {
				rc = SQLITE_OK;	/* (gone: hit_json says so) */
			}
			sqlite3_reset(st);
		}
		if (st)
			sqlite3_clear_bindings(st);
		free(phrase);
		free(word);
		if (st == NULL)
			return fail(err, SEARCH_INTERNAL, -1, "internal error preparing the hit query");
		if (rc == SQLITE_OK)
			return 0;
		if (rc != SQLITE_MISMATCH && sqlite3_errcode(store_db(s)) != SQLITE_MISMATCH)
			return step_fail(s, rc, err);
		/* the prefix folds to several words (punctuation inside): by a MATCH */
		for (i = 0; i < n; i++) {
			free(d[i].title_html);
			free(d[i].snippets);
			memset(&d[i], 0, sizeof(d[i]));
		}
		st = NULL;
	} else {
		free(phrase);
		free(word);
	}

	for (i = 0; i < n; i++) {
		d[i].rid = hits[i].rid;
		lo = hits[i].rid < lo ? hits[i].rid : lo;
		hi = hits[i].rid > hi ? hits[i].rid : hi;
	}
	/* +rowid: the list filters rows; as a constraint FTS5 would be asked once per rid */
	buf_puts(&sql, "SELECT rowid, newsd_highlight(fts, 0), newsd_snippet(fts, 1, ?3, ?4)"
		 " FROM fts WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?5 AND +rowid IN (");
	for (i = 0; i < n; i++)
		buf_printf(&sql, "%s%" PRId64, i ? "," : "", hits[i].rid);
	buf_puts(&sql, ")");
	search_plan_use(s, p);
	if (sqlite3_prepare_v2(store_db(s), sql.data, (int)sql.len, &st, NULL) != SQLITE_OK) {
		buf_free(&sql);
		sqlite3_finalize(st);
		return fail(err, SEARCH_INTERNAL, -1, "internal error preparing the hit query");
	}
	buf_free(&sql);
	sqlite3_bind_text(st, 1, p->match, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int(st, 3, r->snippets);
	sqlite3_bind_int(st, 4, r->snippet_words);
	sqlite3_bind_int64(st, 5, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t rid = sqlite3_column_int64(st, 0);

		for (i = 0; i < n; i++)
			if (d[i].rid == rid && !d[i].done)
				detail_take(&d[i], st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return step_fail(s, rc, err);
	return 0;
}

/* The hit object for one rid: stored fields, highlighted title, snippets, entities; with d
 * (done), the highlight and snippets computed ahead. */
static int hit_json(struct store *s, const struct search_plan *p, const struct search_request *r,
		    const struct hit *h, const struct detail *d, json_t **out,
		    struct search_error *err)
{
	sqlite3_stmt *st;
	json_t *o;
	char date[21];
	int rc, pre = d && d->done;

	*out = NULL;
	search_plan_use(s, p);
	/* no bm25() here: it would scan every match of every phrase again for its IDF, per
	 * hit; the pass (or score_page) already has the rank */
	if (pre)
		st = store_stmt(s, "SELECT a.id, a.date, src.name, a.title, a.url, NULL, NULL"
				" FROM article a LEFT JOIN source src ON src.id = a.source_id"
				" WHERE a.rid = ?2 AND ?1 IS NOT NULL AND ?3 IS NOT NULL"
				" AND ?4 IS NOT NULL", NULL);
	else
		st = store_stmt(s, "SELECT a.id, a.date, src.name, a.title, a.url,"
				" newsd_highlight(fts, 0), newsd_snippet(fts, 1, ?3, ?4)"
				" FROM fts JOIN article a ON a.rid = fts.rowid"
				" LEFT JOIN source src ON src.id = a.source_id"
				" WHERE fts MATCH ?1 AND fts.rowid = ?2", NULL);
	if (st == NULL)
		return fail(err, SEARCH_INTERNAL, -1, "internal error preparing the hit query");
	sqlite3_bind_text(st, 1, p->match, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, h->rid);
	sqlite3_bind_int(st, 3, r->snippets);
	sqlite3_bind_int(st, 4, r->snippet_words);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		/* the article was deleted between the pass and now cannot happen inside one
		 * read transaction; anything else is a real error */
		return step_fail(s, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc, err);
	}
	date_format(sqlite3_column_int64(st, 1), date);
	o = json_object();
	json_object_set_new(o, "id", json_string((const char *)sqlite3_column_text(st, 0)));
	json_object_set_new(o, "title", json_string((const char *)sqlite3_column_text(st, 3)));
	json_object_set_new(o, "title_html", json_string(pre ? d->title_html :
				sqlite3_column_text(st, 5) ? (const char *)sqlite3_column_text(st, 5) :
				""));
	json_object_set_new(o, "date", json_string(date));
	json_object_set_new(o, "source", sqlite3_column_type(st, 2) == SQLITE_NULL ? json_null() :
			    json_string((const char *)sqlite3_column_text(st, 2)));
	json_object_set_new(o, "url", sqlite3_column_type(st, 4) == SQLITE_NULL ? json_null() :
			    json_string((const char *)sqlite3_column_text(st, 4)));
	/* BM25 from FTS5 is negative, smaller is better; the API's score is larger-is-better */
	json_object_set_new(o, "score", p->has_q ? json_real(round(-h->rank * 1e4) / 1e4) :
			    json_null());
	json_object_set_new(o, "snippets", r->snippets > 0 ?
			    split_snippets(pre ? d->snippets :
					   (const char *)sqlite3_column_text(st, 6)) : json_array());
	sqlite3_reset(st);
	json_object_set_new(o, "entities", search_article_entities(s, h->rid));
	*out = o;
	return 0;
}

int search_hit(struct store *s, const struct search_plan *p, int64_t rid, int snippets,
	       int snippet_words, json_t **out, struct search_error *err)
{
	struct search_request r;
	struct search_plan unranked = *p;
	struct hit h = { rid, 0.0 };

	memset(&r, 0, sizeof(r));
	r.snippets = snippets;
	r.snippet_words = snippet_words;
	unranked.has_q = 0;	/* nothing was ranked: score is null */
	err->code = SEARCH_OK;
	err->position = -1;
	return hit_json(s, &unranked, &r, &h, NULL, out, err);
}

/*
 * Ranks for a page sorted by date: its hits are consecutive matches in rid order, so one
 * statement over the page's rid range computes bm25 for exactly them (IDF once).
 */
static int score_page(struct store *s, const struct search_plan *p, struct hit *h, size_t n,
		      struct search_error *err)
{
	sqlite3_stmt *st;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t i;
	int rc;

	if (n == 0 || !p->has_q)
		return 0;
	search_plan_use(s, p);
	for (i = 0; i < n; i++) {
		lo = h[i].rid < lo ? h[i].rid : lo;
		hi = h[i].rid > hi ? h[i].rid : hi;
	}
	st = store_stmt(s, "SELECT rowid, bm25(fts, ?4, 1.0, 0.0) FROM fts"
			" WHERE fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3", NULL);
	if (st == NULL)
		return fail(err, SEARCH_INTERNAL, -1, "internal error scoring the page");
	/* the page's rows are no copies; without the NOT, bm25 does not scan the copies' tag
	 * for an IDF it weighs by 0 */
	sqlite3_bind_text(st, 1, p->match_all ? p->match_all : p->match, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	sqlite3_bind_double(st, 4, store_title_weight(s));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t rid = sqlite3_column_int64(st, 0);

		for (i = 0; i < n; i++)
			if (h[i].rid == rid)
				h[i].rank = sqlite3_column_double(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : step_fail(s, rc, err);
}

static const char *sort_name(enum search_sort s)
{
	return s == SORT_NEWEST ? "newest" : s == SORT_OLDEST ? "oldest" : "relevance";
}

static json_t *str_list(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *query_echo(const struct search_request *r, const struct search_plan *p,
			  enum search_sort sort)
{
	char d[21];
	json_t *q = json_object();

	json_object_set_new(q, "q", r->q && r->q[0] ? json_string(r->q) : json_null());
	json_object_set_new(q, "parsed", p->parsed ? json_string(p->parsed) : json_null());
	if (r->has_from) {
		date_format(r->from, d);
		json_object_set_new(q, "from", json_string(d));
	} else {
		json_object_set_new(q, "from", json_null());
	}
	if (r->has_to) {
		date_format(r->to, d);
		json_object_set_new(q, "to", json_string(d));
	} else {
		json_object_set_new(q, "to", json_null());
	}
	json_object_set_new(q, "entity", str_list(r->entities, r->nentities));
	json_object_set_new(q, "source", str_list(r->sources, r->nsources));
	json_object_set_new(q, "lang", str_list(r->langs, r->nlangs));
	json_object_set_new(q, "sort", json_string(sort_name(sort)));
	json_object_set_new(q, "collapse", r->collapse_dups ? json_string("dups") : json_null());
	return q;
}

static int cmp_rid(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort the matches' rids: they come as one or two runs (a pass per half), each ascending
 * (ranked) or descending (by date), so runs are reversed and merged instead of sorting 900k
 * values; anything else is sorted. */
static void sort_rids(int64_t *r, size_t n)
{
	size_t i = 0, nruns = 0, end[2] = { 0, 0 };

	while (i < n) {
		size_t j = i + 1;

		if (j < n && r[j] < r[i]) {
			size_t a = i, b;

			while (j < n && r[j] < r[j - 1])
				j++;
			for (b = j; b > a + 1; a++, b--) {
				int64_t t = r[a];

				r[a] = r[b - 1];
				r[b - 1] = t;
			}
		} else {
			while (j < n && r[j] > r[j - 1])
				j++;
		}
		if (nruns == 2) {
			qsort(r, n, sizeof(*r), cmp_rid);
			return;
		}
		end[nruns++] = j;
		i = j;
	}
	if (nruns == 2 && r[end[0]] < r[end[0] - 1]) {
		size_t m = end[0], x = 0, y = m, k = 0;
		int64_t *first = xmalloc(m * sizeof(*first));

		memcpy(first, r, m * sizeof(*first));
		while (x < m && y < n)
			r[k++] = first[x] < r[y] ? first[x++] : r[y++];
		while (x < m)
			r[k++] = first[x++];
		free(first);
	}
}

/* Source counts over the matches (sorted rids), most frequent first (sources are few: a dense
 * array), from the in-memory columns when there are some for version, else row by row. */
static json_t *source_facet(struct store *s, int64_t version, const int64_t *rids, size_t n,
			    struct search_error *err)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT source_id FROM article WHERE rid = ?1", NULL);
	sqlite3_stmt *mx = store_stmt(s, "SELECT coalesce(max(id), 0) FROM source", NULL);
	sqlite3_stmt *nm = store_stmt(s, "SELECT name FROM source WHERE id = ?1", NULL);
	const struct columns *cols = columns_acquire(s, version);
	int64_t *counts, maxid = 0, id;
	json_t *out;
	size_t i;

	if (st == NULL || mx == NULL || nm == NULL) {
		columns_release(cols);
		fail(err, SEARCH_INTERNAL, -1, "internal error counting sources");
		return NULL;
	}
	if (sqlite3_step(mx) == SQLITE_ROW)
		maxid = sqlite3_column_int64(mx, 0);
	sqlite3_reset(mx);
	counts = xcalloc((size_t)maxid + 1, sizeof(*counts));
	if (cols) {
		struct columns_cursor cur = { 0, 0 };
		uint32_t src;

		for (i = 0; i < n; i++)
			if (columns_get(cols, rids[i], &cur, &src, NULL, NULL) && src > 0 &&
			    src <= (uint64_t)maxid)
				counts[src]++;
	}
	for (i = 0; cols == NULL && i < n; i++) {
		sqlite3_bind_int64(st, 1, rids[i]);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
			id = sqlite3_column_int64(st, 0);
			if (id > 0 && id <= maxid)
				counts[id]++;
		}
		sqlite3_reset(st);
	}
	out = json_array();
	while (json_array_size(out) < 20) {
		int64_t best = 0;

		for (id = 1; id <= maxid; id++)
			if (counts[id] > 0 && (best == 0 || counts[id] > counts[best]))
				best = id;
		if (best == 0)
			break;
		sqlite3_bind_int64(nm, 1, best);
		if (sqlite3_step(nm) == SQLITE_ROW)
			json_array_append_new(out, json_pack("{s:s, s:I}", "name",
					      (const char *)sqlite3_column_text(nm, 0),
					      "count", (json_int_t)counts[best]));
		sqlite3_reset(nm);
		counts[best] = 0;
	}
	free(counts);
	columns_release(cols);
	return out;
}

/* Language counts over the matches, most frequent first (then by code). */
static json_t *lang_facet(struct store *s, int64_t version, const int64_t *rids, size_t n,
			  struct search_error *err)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT lang FROM article WHERE rid = ?1", NULL);
	const struct columns *cols = columns_acquire(s, version);
	struct columns_cursor cur = { 0, 0 };
	struct {
		char code[3];
		int64_t n;
	} c[200];		/* ISO 639-1 has 184 codes */
	size_t i, j, nc = 0;
	json_t *out;

	if (st == NULL) {
		columns_release(cols);
		fail(err, SEARCH_INTERNAL, -1, "internal error counting languages");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		char code[3];

		if (cols) {
			/* from memory (columns.h), as the other facets */
			if (!columns_lang(cols, rids[i], &cur, code))
				memcpy(code, LANG_DEFAULT, 3);
		} else {
			sqlite3_bind_int64(st, 1, rids[i]);
			if (sqlite3_step(st) != SQLITE_ROW ||
			    lang_normalize((const char *)sqlite3_column_text(st, 0), code) < 0)
				memcpy(code, LANG_DEFAULT, 3);	/* none (an older file): English */
			sqlite3_reset(st);
		}
		for (j = 0; j < nc && strcmp(c[j].code, code) != 0; j++)
			;
		if (j == nc) {
			if (nc == sizeof(c) / sizeof(c[0]))
				continue;
			memcpy(c[nc].code, code, 3);
			c[nc++].n = 0;
		}
		c[j].n++;
	}
	out = json_array();
	while (nc > 0) {
		size_t best = 0;

		for (j = 1; j < nc; j++)
			if (c[j].n > c[best].n ||
			    (c[j].n == c[best].n && strcmp(c[j].code, c[best].code) < 0))
				best = j;
		json_array_append_new(out, json_pack("{s:s, s:I}", "name", c[best].code,
						     "count", (json_int_t)c[best].n));
		c[best] = c[--nc];
	}
	columns_release(cols);
	return out;
}

/* facets: counts over the whole result set (every match, not the page). */
static int facets_json(struct store *s, struct pass *ps, unsigned which, json_t *res,
		       struct search_error *err)
{
	json_t *f = json_object(), *v;

	sort_rids(ps->rids, ps->nrids);
	if (which & SEARCH_FACET_ENTITIES) {
		v = entity_count_rids(s, ps->rids, ps->nrids, 20, err);
		if (v == NULL)
			goto fail;
		json_object_set_new(f, "entities", v);
	}
	if (which & SEARCH_FACET_SOURCES) {
		v = source_facet(s, ps->version, ps->rids, ps->nrids, err);
		if (v == NULL)
			goto fail;
		json_object_set_new(f, "sources", v);
	}
	if (which & SEARCH_FACET_DATES) {
		v = timeline_from_rids(s, ps->rids, ps->nrids, INTERVAL_AUTO, err);
		if (v == NULL)
			goto fail;
		json_object_set_new(f, "dates", v);
	}
	if (which & SEARCH_FACET_LANGS) {
		v = lang_facet(s, ps->version, ps->rids, ps->nrids, err);
		if (v == NULL)
			goto fail;
		json_object_set_new(f, "langs", v);
	}
	json_object_set_new(res, "facets", f);
	return 0;
fail:
	json_decref(f);
	return -1;
}

json_t *search_run(struct store *s, const struct search_request *r, struct search_error *err)
{
	struct search_plan plan;
	struct pass ps;
	json_t *res = NULL, *hits;
	enum search_sort sort;
	uint32_t sig;
	double t0 = now_monotonic();
	struct detail *details = NULL;
	size_t i, k, ndetails = 0;

	memset(&ps, 0, sizeof(ps));
	err->code = SEARCH_OK;
	err->position = -1;
	if (search_plan_build(s, r, &plan, err) < 0)
		return NULL;
	sort = r->sort_given ? r->sort : plan.has_q ? SORT_RELEVANCE : SORT_NEWEST;
	if (sort == SORT_RELEVANCE && !plan.has_q)
		sort = SORT_NEWEST;	/* nothing to rank by: newest first, as API.md says */
	sig = request_signature(r, sort);
	pass_init(&ps, sort, (size_t)r->offset + (size_t)r->limit, r->facets != 0);
	if (r->cursor && r->cursor[0]) {
		if (cursor_parse(r->cursor, sig, &ps.cursor, err) < 0)
			goto out;
		ps.has_cursor = 1;
	}
	search_deadline_set(s, r->timeout_ms);
	if (search_pass(s, &plan, &ps, r->timeout_ms, err) < 0)
		goto out;
	/* heap order → page order */
	k = ps.top.n;
	qsort(ps.top.h, k, sizeof(*ps.top.h), hit_cmp_relevance);
	if (sort != SORT_RELEVANCE) {
		/* rank is 0 for date sorts: hit_cmp_relevance then orders by rid descending */
		if (sort == SORT_OLDEST)
			for (i = 0; i < k / 2; i++) {
				struct hit t = ps.top.h[i];

				ps.top.h[i] = ps.top.h[k - 1 - i];
				ps.top.h[k - 1 - i] = t;
			}
	}
	res = json_object();
	json_object_set_new(res, "query", query_echo(r, &plan, sort));
	json_object_set_new(res, "total", json_integer(ps.total));
	hits = json_array();
	json_object_set_new(res, "hits", hits);
	if (sort != SORT_RELEVANCE && k > (size_t)r->offset &&
	    score_page(s, &plan, ps.top.h + r->offset, k - (size_t)r->offset, err) < 0) {
		json_decref(res);
		res = NULL;
		goto out;
	}
	/* a prefix: the page's highlights and snippets from one MATCH (prefix_details) */
	if (plan.has_q && k > (size_t)r->offset + 1 && strstr(plan.match, "\" *") != NULL) {
		details = xcalloc(k - (size_t)r->offset, sizeof(*details));
		ndetails = k - (size_t)r->offset;
		if (prefix_details(s, &plan, r, ps.top.h + r->offset, ndetails, details, err) < 0) {
			json_decref(res);
			res = NULL;
			goto out;
		}
	}
	for (i = (size_t)r->offset; i < k; i++) {
		json_t *h;

		if (hit_json(s, &plan, r, &ps.top.h[i], details ? &details[i - (size_t)r->offset] :
			     NULL, &h, err) < 0) {
			json_decref(res);
			res = NULL;
			goto out;
		}
		json_array_append_new(hits, h);
		/* a story shown once: how many copies it has (GET /articles/{id}/copies) */
		if (r->collapse_dups) {
			int64_t nc = copies_count(s, ps.top.h[i].rid);

			if (nc < 0) {
				step_fail(s, sqlite3_errcode(store_db(s)), err);
				json_decref(res);
				res = NULL;
				goto out;
			}
			json_object_set_new(h, "copies", json_integer(nc));
		}
	}
	if (k > (size_t)r->offset && ps.after > (int64_t)k) {
		char *c = cursor_make(sig, &ps.top.h[k - 1]);

		json_object_set_new(res, "next_cursor", json_string(c));
		free(c);
	} else {
		json_object_set_new(res, "next_cursor", json_null());
	}
	if (r->facets && facets_json(s, &ps, r->facets, res, err) < 0) {
		json_decref(res);
		res = NULL;
		goto out;
	}
	json_object_set_new(res, "index_version", json_integer(ps.version));
	json_object_set_new(res, "took_ms", json_real(round((now_monotonic() - t0) * 1e6) / 1e3));
out:
	search_deadline_clear(s);
	for (i = 0; i < ndetails; i++) {
		free(details[i].title_html);
		free(details[i].snippets);
	}
	free(details);
	free(ps.top.h);
	free(ps.rids);
	search_plan_free(&plan);
	return res;
}
