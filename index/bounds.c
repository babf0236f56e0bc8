/*
 * bounds.c — per-block upper bounds on a frequent word's score; see bounds.h.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "copies.h"
#include "log.h"
#include "rank.h"
#include "util.h"

#define NBUCKET 1024

/* A word's bounds in the shared table. */
struct entry {
	struct term_bounds b;	/* first: callers hold a pointer to it */
	struct entry *next;
	char *token;
	uint64_t seq;		/* the columns base they were built on */
	double w;		/* title weight */
	size_t ncand;		/* best rows kept (b.cand's room) */
	size_t bytes;
	int refs;		/* the table's (while linked) and each caller's */
	int ready;		/* 0 while its builder runs */
	uint64_t used;		/* when last asked for (eviction) */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry *table[NBUCKET];
static size_t used_bytes, nwords;
static uint64_t clock_;		/* lookups so far: the LRU's clock */
static int on = 1;
static int64_t min_df = 5000;
static size_t max_bytes = 64u << 20;
static size_t block = BOUNDS_BLOCK;

static void purge_all(void);

void bounds_configure(int enabled, int64_t df, size_t bytes, size_t blk)
{
	pthread_mutex_lock(&mu);
	on = enabled;
	min_df = df;
	max_bytes = bytes;
	block = blk ? blk : BOUNDS_BLOCK;
	purge_all();
	pthread_mutex_unlock(&mu);
}

int bounds_enabled(void)
{
	int v;

	pthread_mutex_lock(&mu);
	v = on;
	pthread_mutex_unlock(&mu);
	return v;
}

int64_t bounds_min_df(void)
{
	int64_t v;

	pthread_mutex_lock(&mu);
	v = min_df;
	pthread_mutex_unlock(&mu);
	return v;
}

static size_t bucket_of(const char *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h % NBUCKET);
}

static void entry_unref(struct entry *e)
{
	if (e && --e->refs == 0) {
		free(e->b.bound);
		free(e->b.order);
		free(e->b.nc_bound);
		free(e->b.nc_order);
		free(e->b.bits);
		free(e->b.cand);
		free(e->token);
		free(e);
	}
}

/* Unlink *pp from its chain (under mu): its memory leaves the budget, and it is freed once its
 * last reader releases it. */
static void unlink_entry(struct entry **pp)
{
	struct entry *e = *pp;

	*pp = e->next;
	if (e->ready) {
		used_bytes -= e->bytes;
		nwords--;
	}
	entry_unref(e);
}

/* Drop every word built on another base than seq (under mu): a new base moves the blocks. */
static void purge_other_bases(uint64_t seq)
{
	size_t i;

	for (i = 0; i < NBUCKET; i++) {
		struct entry **pp = &table[i];

		while (*pp)
			if ((*pp)->seq != seq && (*pp)->ready)
				unlink_entry(pp);
			else
				pp = &(*pp)->next;
	}
}

/* Drop every word (under mu). */
static void purge_all(void)
{
	size_t i;

	for (i = 0; i < NBUCKET; i++)
		while (table[i])
			unlink_entry(&table[i]);
}

static uint64_t last_seq;

/* Unlink the least recently used ready word (under mu): 1, or 0 when there is none. */
static int evict_one(void)
{
	struct entry **victim = NULL, **pp;
	size_t i;

	for (i = 0; i < NBUCKET; i++)
		for (pp = &table[i]; *pp; pp = &(*pp)->next)
			if ((*pp)->ready && (victim == NULL || (*pp)->used < (*victim)->used))
				victim = pp;
	if (victim == NULL)
		return 0;
	unlink_entry(victim);
	return 1;
}

static int by_bound(const void *a, const void *b, void *ctx)
{
	const float *bound = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (bound[x] != bound[y])
		return bound[x] > bound[y] ? -1 : 1;
	return x > y ? -1 : x < y;	/* newer blocks first among equals */
}

/* a before b among candidates: the larger value, then the newer (larger) rid, as hits rank */
static int cand_better(const struct bounds_cand *a, const struct bounds_cand *b)
{
	return a->value != b->value ? a->value > b->value : a->rid > b->rid;
}

static int by_cand(const void *a, const void *b)
{
	const struct bounds_cand *x = a, *y = b;

	return cand_better(x, y) ? -1 : cand_better(y, x);
}

/* Offer row x to the candidates (a heap of at most max, worst at the root); what is left out
 * raises the floor. */
static void cand_offer(struct term_bounds *b, size_t max, struct bounds_cand x)
{
	struct bounds_cand *h = b->cand, out;
	size_t i, c;

	if (b->ncand < max) {	/* sift up */
		for (i = b->ncand++; i > 0 && cand_better(&h[(i - 1) / 2], &x); i = (i - 1) / 2)
			h[i] = h[(i - 1) / 2];
		h[i] = x;
		return;
	}
	if (!cand_better(&x, &h[0])) {
		out = x;
	} else {	/* x replaces the worst: sift down */
		out = h[0];
		for (i = 0; (c = 2 * i + 1) < b->ncand; i = c) {
			if (c + 1 < b->ncand && cand_better(&h[c], &h[c + 1]))
				c++;
			if (!cand_better(&x, &h[c]))
				break;
			h[i] = h[c];
		}
		h[i] = x;
	}
	if (out.value > b->floor)
		b->floor = out.value;
}

/* One pass over the phrase's matches (ascending rids) into e's bounds. 0, or -1. */
static int build(struct store *s, const struct columns *c, struct entry *e, const char *phrase,
		 size_t ncand, int nphrase, const double *df)
{
	struct term_bounds *b = &e->b;
	const struct copies *cp = NULL;
	struct rank_state rs;
	struct buf m = { 0 };
	sqlite3_stmt *st;
	const int64_t *rid;
	size_t n, j = 0, i, k = 0;
	uint64_t seq;
	int rc;

	rid = columns_base_rids(c, &n, &seq);
	b->nblk = n ? (n + b->block - 1) / b->block : 1;
	b->bound = xcalloc(b->nblk, sizeof(*b->bound));
	b->bits = xcalloc(b->nblk * (b->block / 64), sizeof(*b->bits));
	if (ncand)
		b->cand = xmalloc(ncand * sizeof(*b->cand));
	else if ((cp = copies_sync(store_db(s), store_index_version(s))) != NULL)
		b->nc_bound = xcalloc(b->nblk, sizeof(*b->nc_bound));
	/* the phrase in both columns: the largest value any column filter can give */
	buf_puts(&m, "{title body} : ");
	buf_puts(&m, phrase);
	st = store_stmt(s, "SELECT rowid, newsd_rank(fts, ?2, ?3) FROM fts WHERE fts MATCH ?1"
			" ORDER BY rowid ASC", NULL);
	if (st == NULL) {
		buf_free(&m);
		return -1;
	}
	memset(&rs, 0, sizeof(rs));
	rs.cols = c;
	rs.threshold = INFINITY;	/* every row's value */
	rs.may_defer = 1;		/* without the IDF (a lone phrase) */
	for (i = 0; i < (size_t)nphrase; i++)	/* the others' IDFs from the counts given */
		rs.df[i] = df[i];
	rs.ndf = nphrase;
	sqlite3_bind_text(st, 1, m.data, (int)m.len, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, e->w);
	sqlite3_bind_pointer(st, 3, &rs, "newsd_rank", NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t r = sqlite3_column_int64(st, 0);
		double g;
		float f;

		if (sqlite3_column_type(st, 1) != SQLITE_FLOAT) {
			rc = SQLITE_MISMATCH;
			break;
		}
		g = -sqlite3_column_double(st, 1);
		while (j + 1 < b->nblk && r >= rid[(j + 1) * b->block])
			j++;
		while (k < n && rid[k] < r)
			k++;
		if (k < n && rid[k] == r) {
			b->bits[k / 64] |= 1ull << (k % 64);
			if (ncand) {
				struct bounds_cand x = { .rid = r, .pos = (uint32_t)k, .value = g };

				memcpy(x.freq, rs.freq, sizeof(x.freq));
				cand_offer(b, ncand, x);
			}
		}
		f = (float)g;
		if ((double)f < g)
			f = nextafterf(f, INFINITY);	/* rounded up: still a bound */
		if (f > b->bound[j])
			b->bound[j] = f;
		if (b->nc_bound && f > b->nc_bound[j] && !copies_has(cp, r))
			b->nc_bound[j] = f;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	buf_free(&m);
	/* a word's values must be the deferred ones (one phrase): no IDF in them; a query with
	 * best rows records the IDFs its values have */
	if (rc != SQLITE_DONE || (!ncand && !rs.deferred) || !(rs.avgdl > 0.0))
		return -1;
	b->nphrase = nphrase;
	for (i = 0; i < (size_t)nphrase; i++) {
		if (!rs.deferred && isnan(df[i]))
			return -1;
		b->idf[i] = rs.deferred ? 1.0 : rank_idf((int64_t)df[i], rs.rows);
	}
	b->avgdl = rs.avgdl;
	b->order = xmalloc(b->nblk * sizeof(*b->order));
	for (i = 0; i < b->nblk; i++)
		if (b->bound[i] > 0.0f)
			b->order[b->norder++] = (uint32_t)i;
	qsort_r(b->order, b->norder, sizeof(*b->order), by_bound, b->bound);
	if (b->ncand)
		qsort(b->cand, b->ncand, sizeof(*b->cand), by_cand);	/* best first */
	if (b->norder)
		b->order = xrealloc(b->order, b->norder * sizeof(*b->order));
	if (b->nc_bound) {
		b->nc_order = xmalloc((b->nblk + 1) * sizeof(*b->nc_order));
		for (i = 0; i < b->nblk; i++)
			if (b->nc_bound[i] > 0.0f)
				b->nc_order[b->nc_norder++] = (uint32_t)i;
		qsort_r(b->nc_order, b->nc_norder, sizeof(*b->nc_order), by_bound, b->nc_bound);
	}
	e->bytes = sizeof(*e) + b->nblk * sizeof(*b->bound) + b->norder * sizeof(*b->order) +
		   (b->nc_bound ? b->nblk * (sizeof(*b->nc_bound) + sizeof(*b->nc_order)) : 0) +
		   b->nblk * (b->block / 64) * sizeof(*b->bits) + ncand * sizeof(*b->cand) +
		   strlen(e->token) + 1;
	return 0;
}

const struct term_bounds *bounds_get(struct store *s, const struct columns *c, const char *token,
				     const char *text, double w)
{
	struct buf m = { 0 };
	const struct term_bounds *b;
	const char *p;

	buf_putc(&m, '"');
	for (p = text; *p; p++) {
		if (*p == '"')
			buf_putc(&m, '"');
		buf_putc(&m, *p);
	}
	buf_putc(&m, '"');
	b = bounds_get_phrase(s, c, token, m.data, w, 0, 1, NULL);
	buf_free(&m);
	return b;
}

const struct term_bounds *bounds_get_phrase(struct store *s, const struct columns *c,
					    const char *token, const char *phrase, double w,
					    size_t ncand, int nphrase, const double *df)
{
	double nodf[RANK_FREQ_OUT] = { NAN, NAN, NAN, NAN };

	struct entry *e, **pp;
	size_t n, bucket = bucket_of(token), est, blk;
	uint64_t seq;

	columns_base_rids(c, &n, &seq);
	pthread_mutex_lock(&mu);
	if (!on) {
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	blk = block;
	est = sizeof(*e) + ((ncand ? 8 : 16) + blk / 8) * (n / blk + 1) +
	      ncand * sizeof(struct bounds_cand);
	if (seq > last_seq) {
		purge_other_bases(seq);
		last_seq = seq;
	}
	for (e = table[bucket]; e; e = e->next)
		if (e->seq == seq && e->w == w && e->b.block == blk && e->ncand == ncand &&
		    strcmp(e->token, token) == 0)
			break;
	if (e) {
		if (!e->ready) {	/* another thread is building them */
			pthread_mutex_unlock(&mu);
			return NULL;
		}
		e->refs++;
		e->used = ++clock_;
		pthread_mutex_unlock(&mu);
		return &e->b;
	}
	while (used_bytes + est > max_bytes && evict_one())
		;
	if (used_bytes + est > max_bytes) {
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	e->token = xstrdup(token);
	e->b.block = blk;
	e->seq = seq;
	e->used = ++clock_;
	e->w = w;
	e->ncand = ncand;
	e->refs = 2;		/* the table's and the builder's */
	e->next = table[bucket];
	table[bucket] = e;
	pthread_mutex_unlock(&mu);

	if (nphrase < 1 || nphrase > RANK_FREQ_OUT ||
	    build(s, c, e, phrase, ncand, nphrase, df ? df : nodf) < 0) {
		pthread_mutex_lock(&mu);
		for (pp = &table[bucket]; *pp && *pp != e; pp = &(*pp)->next)
			;
		if (*pp)
			unlink_entry(pp);
		entry_unref(e);
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	pthread_mutex_lock(&mu);
	e->ready = 1;
	for (pp = &table[bucket]; *pp && *pp != e; pp = &(*pp)->next)
		;
	if (*pp) {		/* still in the table (not purged meanwhile) */
		used_bytes += e->bytes;
		nwords++;
		if (e->seq < last_seq)	/* a new base was read meanwhile: not worth keeping */
			unlink_entry(pp);
	}
	pthread_mutex_unlock(&mu);
	return &e->b;
}

void bounds_release(const struct term_bounds *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&mu);
	entry_unref((struct entry *)(void *)b);
	pthread_mutex_unlock(&mu);
}

void bounds_range(const struct columns *c, const struct term_bounds *b, size_t j, int64_t *lo,
		  int64_t *hi)
{
	size_t n;
	uint64_t seq;
	const int64_t *rid = columns_base_rids(c, &n, &seq);

	*lo = j == 0 ? INT64_MIN : rid[j * b->block];
	*hi = j + 1 >= b->nblk ? INT64_MAX : rid[(j + 1) * b->block] - 1;
}

static _Thread_local struct {
	uint64_t seq;
	size_t block;
	int64_t version;
	uint8_t *dirty;
	size_t n, fresh;
} dc;

const uint8_t *bounds_dirty(const struct columns *c, const struct term_bounds *b, int64_t live,
			    int64_t *vanished)
{
	size_t n, nblk = b->nblk, no, i, j = 0, k = 0, fresh = 0;
	uint64_t seq;
	const int64_t *rid = columns_base_rids(c, &n, &seq), *over;
	int64_t version = columns_version(c);

	if (dc.dirty && dc.seq == seq && dc.block == b->block && dc.version == version) {
		if (vanished)
			*vanished = (int64_t)n + (int64_t)dc.fresh - live;
		return dc.dirty;
	}
	if (dc.n < nblk) {
		free(dc.dirty);
		dc.dirty = xmalloc(nblk);
		dc.n = nblk;
	}
	memset(dc.dirty, 0, nblk);
	over = columns_overlay_rids(c, &no);
	for (i = 0; i < no; i++) {	/* both sorted by rid */
		while (j + 1 < nblk && over[i] >= rid[(j + 1) * b->block])
			j++;
		dc.dirty[j] = 1;
		while (k < n && rid[k] < over[i])
			k++;
		fresh += k == n || rid[k] != over[i];	/* not in the base: written since */
	}
	dc.fresh = fresh;
	if (vanished)
		*vanished = (int64_t)n + (int64_t)fresh - live;
	dc.seq = seq;
	dc.block = b->block;
	dc.version = version;
	return dc.dirty;
}

static _Thread_local struct {
	uint64_t seq;
	size_t block;
	int64_t key;
	uint64_t *bits;
	size_t n;
} rb;

const uint64_t *bounds_rows_bits(const struct columns *c, const struct term_bounds *b,
				 const int64_t *rids, size_t n, int64_t key)
{
	size_t nb, nw = b->nblk * (b->block / 64), i, k = 0;
	uint64_t seq;
	const int64_t *rid = columns_base_rids(c, &nb, &seq);

	if (rb.bits && rb.seq == seq && rb.block == b->block && rb.key == key)
		return rb.bits;
	if (rb.n < nw) {
		free(rb.bits);
		rb.bits = xmalloc(nw * sizeof(*rb.bits));
		rb.n = nw;
	}
	memset(rb.bits, 0, nw * sizeof(*rb.bits));
	for (i = 0; i < n; i++) {	/* both sorted */
		while (k < nb && rid[k] < rids[i])
			k++;
		if (k < nb && rid[k] == rids[i])
			rb.bits[k / 64] |= 1ull << (k % 64);
	}
	rb.seq = seq;
	rb.block = b->block;
	rb.key = key;
	return rb.bits;
}

void bounds_thread_release(void)
{
	free(dc.dirty);
	memset(&dc, 0, sizeof(dc));
	free(rb.bits);
	memset(&rb, 0, sizeof(rb));
}

void bounds_stats(size_t *words, size_t *bytes)
{
	pthread_mutex_lock(&mu);
	*words = nwords;
	*bytes = used_bytes;
	pthread_mutex_unlock(&mu);
}
