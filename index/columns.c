/*
 * columns.c — articles' source and entity ids in memory, shared by a process's threads;
 * see columns.h.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "columns.h"
#include "lang.h"
#include "log.h"
#include "rank.h"
#include "util.h"

/* Rows sorted by rid: source id, and entity ids ent[off[i] .. off[i + 1]). */
struct cols {
	size_t n, ne;
	uint32_t maxent;	/* the largest entity id */
	int64_t *rid;
	uint32_t *src;
	uint32_t *len;		/* tokens in the row (fts_docsize), NO_LEN when unknown */
	uint16_t *lang;		/* ISO 639-1 code, its two letters packed (LANG_PACK) */
	uint32_t *off;		/* n + 1 entries */
	uint32_t *ent;
};

struct base {
	int refs;
	uint64_t seq;		/* which base read this is (bounds.h keys on it) */
	struct cols c;
};

struct columns {
	int refs;
	int64_t version;
	struct base *base;
	struct cols over;	/* rows written since the base was read */
};

struct columns_service {
	pthread_t thread;
	struct store *s;
	char *file;		/* the database file, as SQLite names it */
	int quit, want, tried;
};

#define NO_LEN UINT32_MAX
#define KEEP 4			/* snapshots kept: readers are rarely more than a version apart */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct columns_service *svc;
static struct columns *ring[KEEP];
static int64_t base_version = -1;
static uint64_t base_seq;	/* base reads so far */

/* ---- building ---- */

static void cols_free(struct cols *c)
{
	free(c->rid);
	free(c->src);
	free(c->len);
	free(c->lang);
	free(c->off);
	free(c->ent);
	memset(c, 0, sizeof(*c));
}

/* Room for cap rows and ecap entity ids in c, empty. */
static void cols_alloc(struct cols *c, size_t cap, size_t ecap)
{
	memset(c, 0, sizeof(*c));
	c->rid = xmalloc((cap ? cap : 1) * sizeof(*c->rid));
	c->src = xmalloc((cap ? cap : 1) * sizeof(*c->src));
	c->len = xmalloc((cap ? cap : 1) * sizeof(*c->len));
	c->lang = xmalloc((cap ? cap : 1) * sizeof(*c->lang));
	c->off = xmalloc((cap + 1) * sizeof(*c->off));
	c->ent = xmalloc((ecap ? ecap : 1) * sizeof(*c->ent));
	c->off[0] = 0;
}

/* Row k of from after the last row of c (allocated by cols_alloc with room for it). */
static void cols_append(struct cols *c, const struct cols *from, size_t k)
{
	size_t m = from->off[k + 1] - from->off[k];

	c->rid[c->n] = from->rid[k];
	c->src[c->n] = from->src[k];
	c->len[c->n] = from->len[k];
	c->lang[c->n] = from->lang[k];
	if (m)	/* from->ent is NULL while it has no entity */
		memcpy(c->ent + c->ne, from->ent + from->off[k], m * sizeof(*c->ent));
	c->ne += m;
	c->off[++c->n] = (uint32_t)c->ne;
}

/* Read rows (rid, source_id, ents, lang, and the fts_docsize blob or NULL when st has a
 * fifth column) from st, in any order, into c sorted by rid. The step result that ended the read:
 * SQLITE_DONE when complete. quit (may be NULL) stops early. */
/* An article's language as two packed letters; the default for none or not a code. */
static uint16_t pack_lang(const char *lang)
{
	char code[3];

	if (lang == NULL || lang_normalize(lang, code) < 0)
		memcpy(code, LANG_DEFAULT, 3);
	return (uint16_t)((unsigned char)code[0] << 8 | (unsigned char)code[1]);
}

struct keyed {
	int64_t rid;
	size_t i;
};

static int by_rid(const void *a, const void *b)
{
	int64_t x = ((const struct keyed *)a)->rid, y = ((const struct keyed *)b)->rid;

	return x < y ? -1 : x > y;
}

static int cols_read(sqlite3_stmt *st, struct cols *c, size_t max_rows, const int *quit)
{
	struct cols r = { 0 };
	size_t cap = 0, ecap = 0, i, sorted = 1;
	int rc;

	r.off = xmalloc(sizeof(*r.off));
	r.off[0] = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 2);
		int64_t id;

		if (r.n == max_rows || (quit && (r.n & 4095) == 0 && __atomic_load_n(quit, __ATOMIC_RELAXED))) {
			rc = SQLITE_FULL;
			break;
		}
		if (r.n == cap) {
			cap = cap ? cap * 2 : 1024;
			r.rid = xrealloc(r.rid, cap * sizeof(*r.rid));
			r.src = xrealloc(r.src, cap * sizeof(*r.src));
			r.len = xrealloc(r.len, cap * sizeof(*r.len));
			r.lang = xrealloc(r.lang, cap * sizeof(*r.lang));
			r.off = xrealloc(r.off, (cap + 1) * sizeof(*r.off));
		}
		r.rid[r.n] = sqlite3_column_int64(st, 0);
		r.src[r.n] = (uint32_t)sqlite3_column_int64(st, 1);
		r.len[r.n] = sqlite3_column_count(st) > 4 &&
			     sqlite3_column_type(st, 4) == SQLITE_BLOB ?
			     rank_blob_tokens(sqlite3_column_blob(st, 4), sqlite3_column_bytes(st, 4)) :
			     NO_LEN;
		r.lang[r.n] = pack_lang((const char *)sqlite3_column_text(st, 3));
		if (r.n > 0 && r.rid[r.n] < r.rid[r.n - 1])
			sorted = 0;
		while (p && (p = store_ents_next(p, &id, NULL, NULL)) != NULL) {
			if (r.ne == ecap) {
				ecap = ecap ? ecap * 2 : 4096;
				r.ent = xrealloc(r.ent, ecap * sizeof(*r.ent));
			}
			r.ent[r.ne++] = (uint32_t)id;
			if ((uint32_t)id > r.maxent)
				r.maxent = (uint32_t)id;
		}
		if (r.ne > UINT32_MAX - 1) {
			rc = SQLITE_TOOBIG;
			break;
		}
		r.off[++r.n] = (uint32_t)r.ne;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		cols_free(&r);
		return rc;
	}
	if (sorted) {
		if (r.ent == NULL)	/* never NULL: lookups add offsets to it */
			r.ent = xmalloc(sizeof(*r.ent));
		*c = r;
	} else {
		/* a backfill is written in random date order: sort the rows by rid */
		struct keyed *k = xmalloc((r.n ? r.n : 1) * sizeof(*k));

		for (i = 0; i < r.n; i++) {
			k[i].rid = r.rid[i];
			k[i].i = i;
		}
		qsort(k, r.n, sizeof(*k), by_rid);
		cols_alloc(c, r.n, r.ne);
		for (i = 0; i < r.n; i++)
			cols_append(c, &r, k[i].i);
		c->maxent = r.maxent;
		free(k);
		cols_free(&r);
		return SQLITE_DONE;
	}
	/* give the slack of the doubling back */
	if (c->n) {
		c->rid = xrealloc(c->rid, c->n * sizeof(*c->rid));
		c->src = xrealloc(c->src, c->n * sizeof(*c->src));
		c->len = xrealloc(c->len, c->n * sizeof(*c->len));
		c->lang = xrealloc(c->lang, c->n * sizeof(*c->lang));
		c->off = xrealloc(c->off, (c->n + 1) * sizeof(*c->off));
	}
	if (c->ne)
		c->ent = xrealloc(c->ent, c->ne * sizeof(*c->ent));
	return SQLITE_DONE;
}

/* c = a's rows with b's merged in (b wins on the same rid). */
static void cols_merge(const struct cols *a, const struct cols *b, struct cols *c)
{
	size_t i = 0, j = 0;

	cols_alloc(c, a->n + b->n, a->ne + b->ne);
	while (i < a->n || j < b->n) {
		const struct cols *from;
		size_t k;

		if (j >= b->n || (i < a->n && a->rid[i] < b->rid[j])) {
			from = a;
			k = i++;
		} else {
			if (i < a->n && a->rid[i] == b->rid[j])
				i++;	/* the newer row replaces it */
			from = b;
			k = j++;
		}
		cols_append(c, from, k);
	}
	c->maxent = a->maxent > b->maxent ? a->maxent : b->maxent;
}

/* ---- snapshots (under mu) ---- */

static void base_unref(struct base *b)
{
	if (b && --b->refs == 0) {
		cols_free(&b->c);
		free(b);
	}
}

static void snap_unref(struct columns *c)
{
	if (c && --c->refs == 0) {
		base_unref(c->base);
		cols_free(&c->over);
		free(c);
	}
}

/* Keep c in the ring (it gains the ring's reference), replacing a snapshot of the same
 * version or else the oldest when full. */
static void ring_put(struct columns *c)
{
	int i, slot = -1;

	for (i = 0; i < KEEP && slot < 0; i++)
		if (ring[i] && ring[i]->version == c->version)
			slot = i;
	for (i = 0; i < KEEP && slot < 0; i++)
		if (ring[i] == NULL)
			slot = i;
	if (slot < 0) {
		slot = 0;
		for (i = 1; i < KEEP; i++)
			if (ring[i]->version < ring[slot]->version)
				slot = i;
	}
	snap_unref(ring[slot]);
	ring[slot] = c;
}

static void ring_clear(void)
{
	int i;

	for (i = 0; i < KEEP; i++) {
		snap_unref(ring[i]);
		ring[i] = NULL;
	}
}

/* ---- the columns thread ---- */

/* Each row's length in tokens (what bm25 reads), from fts_docsize in rid order beside the
 * sorted rows. The step result that ended the read. */
static int read_lengths(sqlite3 *db, struct cols *c, const int *quit)
{
	sqlite3_stmt *st = NULL;
	size_t i = 0, k = 0;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT id, sz FROM fts_docsize ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK)
		return SQLITE_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		if ((++k & 4095) == 0 && __atomic_load_n(quit, __ATOMIC_RELAXED)) {
			rc = SQLITE_INTERRUPT;
			break;
		}
		while (i < c->n && c->rid[i] < id)
			i++;
		if (i < c->n && c->rid[i] == id)
			c->len[i] = rank_blob_tokens(sqlite3_column_blob(st, 1),
						     sqlite3_column_bytes(st, 1));
	}
	sqlite3_finalize(st);
	return rc;
}

static int read_base(struct columns_service *sv)
{
	sqlite3 *db = store_db(sv->s);
	sqlite3_stmt *st = NULL;
	struct columns *c;
	struct base *b;
	double t0 = now_monotonic();
	int64_t v;
	int rc;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	v = store_index_version(sv->s);
	if (sqlite3_prepare_v2(db, "SELECT rid, source_id, ents, lang FROM article", -1, &st, NULL) !=
	    SQLITE_OK) {
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		return -1;
	}
	b = xcalloc(1, sizeof(*b));
	rc = cols_read(st, &b->c, SIZE_MAX, &sv->quit);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		rc = read_lengths(db, &b->c, &sv->quit);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_db_release_memory(db);
	malloc_trim(0);		/* the sort's scratch arrays go back to the system */
	if (rc != SQLITE_DONE) {
		cols_free(&b->c);	/* the rows, when the lengths could not be read */
		free(b);
		if (!__atomic_load_n(&sv->quit, __ATOMIC_RELAXED))
			log_warn("columns: cannot read the articles' sources and entities (%s); "
				 "facets read rows instead", sqlite3_errstr(rc));
		return -1;
	}
	b->refs = 1;
	b->seq = __atomic_add_fetch(&base_seq, 1, __ATOMIC_RELAXED);
	c = xcalloc(1, sizeof(*c));
	c->refs = 1;
	c->version = v;
	c->base = b;
	log_info("columns: %zu articles' sources and entities in memory (%.0f MB, version %lld,"
		 " %.1f s)", b->c.n, (double)(b->c.n * 22 + b->c.ne * 4) / 1e6, (long long)v,
		 now_monotonic() - t0);
	pthread_mutex_lock(&mu);
	/* snapshots on the old base would go on growing their overlays: newer readers start
	 * from this one (readers of an older version read rows until their next request) */
	ring_clear();
	ring_put(c);
	base_version = v;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return 0;
}

static void *columns_main(void *arg)
{
	struct columns_service *sv = arg;

	pthread_setname_np(pthread_self(), "newsd-columns");

	for (;;) {
		pthread_mutex_lock(&mu);
		while (!sv->quit && sv->tried && !sv->want)
			pthread_cond_wait(&cv, &mu);
		if (sv->quit) {
			pthread_mutex_unlock(&mu);
			break;
		}
		sv->want = 0;
		sv->tried = 1;
		pthread_mutex_unlock(&mu);
		read_base(sv);
		pthread_mutex_lock(&mu);
		pthread_cond_broadcast(&cv);	/* columns_wait: tried, even when it failed */
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

struct columns_service *columns_start(const char *db, const struct store_options *so,
				      char **errmsg)
{
	struct columns_service *sv = xcalloc(1, sizeof(*sv));
	const char *f;

	/* one pass over the article table: a small page cache, not the readers' */
	struct store_options small = *so;

	small.cache_mb = 4;
	if (store_open(db, STORE_READ, &small, &sv->s, errmsg) < 0) {
		free(sv);
		return NULL;
	}
	f = sqlite3_db_filename(store_db(sv->s), "main");
	sv->file = xstrdup(f ? f : "");
	pthread_mutex_lock(&mu);
	if (svc != NULL) {
		pthread_mutex_unlock(&mu);
		store_close(sv->s);
		free(sv->file);
		free(sv);
		set_error(errmsg, "columns: already started in this process");
		return NULL;
	}
	svc = sv;
	base_version = -1;
	pthread_mutex_unlock(&mu);
	if (pthread_create(&sv->thread, NULL, columns_main, sv) != 0) {
		pthread_mutex_lock(&mu);
		svc = NULL;
		pthread_mutex_unlock(&mu);
		store_close(sv->s);
		free(sv->file);
		free(sv);
		set_error(errmsg, "cannot start the columns thread");
		return NULL;
	}
	return sv;
}

void columns_stop(struct columns_service *sv)
{
	if (sv == NULL)
		return;
	pthread_mutex_lock(&mu);
	__atomic_store_n(&sv->quit, 1, __ATOMIC_RELAXED);
	sqlite3_interrupt(store_db(sv->s));
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(sv->thread, NULL);
	pthread_mutex_lock(&mu);
	svc = NULL;
	ring_clear();
	base_version = -1;
	pthread_mutex_unlock(&mu);
	store_close(sv->s);
	free(sv->file);
	free(sv);
}

void columns_reread(void)
{
	pthread_mutex_lock(&mu);
	if (svc) {
		svc->want = 1;
		pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&mu);
}

/* ---- readers ---- */

const struct columns *columns_acquire(struct store *s, int64_t version)
{
	struct columns *best = NULL, *c;
	sqlite3_stmt *st;
	const char *f = sqlite3_db_filename(store_db(s), "main");
	struct cols ch = { 0 };
	size_t max_rows;
	int i, rc;

	pthread_mutex_lock(&mu);
	if (svc == NULL || f == NULL || strcmp(f, svc->file) != 0) {
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	for (i = 0; i < KEEP; i++) {
		c = ring[i];
		if (c && c->version == version) {
			c->refs++;
			pthread_mutex_unlock(&mu);
			return c;
		}
		if (c && c->version < version && (best == NULL || c->version > best->version))
			best = c;
	}
	/* a new snapshot reads rows through the caller's read transaction: without one, the
	 * rows could be newer than version */
	if (best == NULL || sqlite3_get_autocommit(store_db(s))) {
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	best->refs++;
	pthread_mutex_unlock(&mu);

	/* the rows written since best, through the caller's read transaction (its version) */
	max_rows = best->base->c.n / 2 + 65536;
	st = store_stmt(s, "SELECT a.rid, a.source_id, a.ents, a.lang, d.sz FROM article a"
			" LEFT JOIN fts_docsize d ON d.id = a.rid WHERE a.version > ?1", NULL);
	if (st == NULL) {
		rc = SQLITE_ERROR;
	} else {
		sqlite3_bind_int64(st, 1, best->version);
		rc = cols_read(st, &ch, max_rows, NULL);
	}
	c = NULL;
	if (rc == SQLITE_DONE) {
		c = xcalloc(1, sizeof(*c));
		c->refs = 2;	/* the ring's and the caller's */
		c->version = version;
		c->base = best->base;
		cols_merge(&best->over, &ch, &c->over);
		cols_free(&ch);
	}
	pthread_mutex_lock(&mu);
	if (c) {
		c->base->refs++;
		/* another thread may have built the same version meanwhile: either is right */
		ring_put(c);
		if (c->over.n > c->base->c.n / 8 + 65536 && svc) {
			svc->want = 1;
			pthread_cond_broadcast(&cv);
		}
	} else if (rc == SQLITE_FULL && svc) {
		svc->want = 1;	/* a large change: read everything again, in the background */
		pthread_cond_broadcast(&cv);
	}
	snap_unref(best);
	pthread_mutex_unlock(&mu);
	return c;
}

void columns_release(const struct columns *cc)
{
	if (cc == NULL)
		return;
	pthread_mutex_lock(&mu);
	snap_unref((struct columns *)cc);
	pthread_mutex_unlock(&mu);
}

const int64_t *columns_base_rids(const struct columns *c, size_t *n, uint64_t *seq)
{
	*n = c->base->c.n;
	*seq = c->base->seq;
	return c->base->c.rid;
}

const int64_t *columns_overlay_rids(const struct columns *c, size_t *n)
{
	*n = c->over.n;
	return c->over.rid;
}

int64_t columns_version(const struct columns *c)
{
	return c->version;
}

/* The place of x in the sorted a[0..n), searched from *hint forward when x lies ahead of it
 * (lookups come in rid order), else by bisection; SIZE_MAX when absent. */
static size_t find(const int64_t *a, size_t n, int64_t x, size_t *hint)
{
	size_t lo = 0, hi = n, step;

	if (n == 0)
		return SIZE_MAX;
	if (*hint < n && a[*hint] <= x) {
		lo = *hint;
		for (step = 1; lo + step < n && a[lo + step] <= x; step *= 2)
			lo += step;
		hi = lo + step < n ? lo + step : n;
	}
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	*hint = lo;
	return a[lo] == x ? lo : SIZE_MAX;
}

/* Article rid's row: its place in *in, the overlay when it has the rid (a newer row), else the
 * base; SIZE_MAX when neither has it. */
static size_t locate(const struct columns *c, int64_t rid, struct columns_cursor *cur,
		     const struct cols **in)
{
	size_t i = find(c->over.rid, c->over.n, rid, &cur->over);

	if (i != SIZE_MAX) {
		*in = &c->over;
		return i;
	}
	*in = &c->base->c;
	return find(c->base->c.rid, c->base->c.n, rid, &cur->base);
}

int columns_get(const struct columns *c, int64_t rid, struct columns_cursor *cur,
		uint32_t *source, const uint32_t **ents, size_t *nents)
{
	const struct cols *in;
	size_t i = locate(c, rid, cur, &in);

	if (i == SIZE_MAX)
		return 0;
	if (source)
		*source = in->src[i];
	if (ents) {
		*ents = in->ent + in->off[i];
		*nents = in->off[i + 1] - in->off[i];
	}
	return 1;
}

/* The first index of a sorted a[0..n) whose value is >= x (n when none). */
static size_t lower(const int64_t *a, size_t n, int64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* [*a, *b): the rows of in with rids in [lo, hi]. */
static void range_of(const struct cols *in, int64_t lo, int64_t hi, size_t *a, size_t *b)
{
	*a = lower(in->rid, in->n, lo);
	*b = hi == INT64_MAX ? in->n : lower(in->rid, in->n, hi + 1);
	if (*b < *a)
		*b = *a;
}

size_t columns_rows_in(const struct columns *c, int64_t lo, int64_t hi)
{
	const struct cols *b = &c->base->c, *o = &c->over;
	size_t ba, bb, oa, ob, i, n, hint = 0;

	range_of(b, lo, hi, &ba, &bb);
	range_of(o, lo, hi, &oa, &ob);
	n = (bb - ba) + (ob - oa);
	/* an overlay row that replaces a base row counts once */
	for (i = oa; i < ob; i++)
		if (find(b->rid, b->n, o->rid[i], &hint) != SIZE_MAX)
			n--;
	return n;
}

void columns_walk(const struct columns *c, int64_t lo, int64_t hi, int desc,
		  int (*fn)(void *ctx, int64_t rid, uint32_t source, const uint32_t *ents,
			    size_t nents),
		  void *ctx)
{
	const struct cols *b = &c->base->c, *o = &c->over;
	size_t ba, bb, oa, ob;

	range_of(b, lo, hi, &ba, &bb);
	range_of(o, lo, hi, &oa, &ob);
	while (ba < bb || oa < ob) {
		const struct cols *in;
		size_t k;

		/* the next row in order from either array; on the same rid the overlay's, and the
		 * base's is skipped */
		if (!desc) {
			if (oa < ob && (ba >= bb || o->rid[oa] <= b->rid[ba])) {
				if (ba < bb && b->rid[ba] == o->rid[oa])
					ba++;
				in = o;
				k = oa++;
			} else {
				in = b;
				k = ba++;
			}
		} else {
			if (oa < ob && (ba >= bb || o->rid[ob - 1] >= b->rid[bb - 1])) {
				if (ba < bb && b->rid[bb - 1] == o->rid[ob - 1])
					bb--;
				in = o;
				k = --ob;
			} else {
				in = b;
				k = --bb;
			}
		}
		if (fn(ctx, in->rid[k], in->src[k], in->ent + in->off[k],
		       in->off[k + 1] - in->off[k]) != 0)
			break;
	}
}

int64_t columns_length(const struct columns *c, int64_t rid, struct columns_cursor *cur)
{
	const struct cols *in;
	size_t i = locate(c, rid, cur, &in);

	if (i == SIZE_MAX)
		return -1;
	return in->len[i] == NO_LEN ? -1 : (int64_t)in->len[i];
}

int columns_lang(const struct columns *c, int64_t rid, struct columns_cursor *cur,
		 char code[3])
{
	const struct cols *in;
	size_t i = locate(c, rid, cur, &in);

	if (i == SIZE_MAX)
		return 0;
	code[0] = (char)(in->lang[i] >> 8);
	code[1] = (char)(in->lang[i] & 0xff);
	code[2] = '\0';
	return 1;
}

int columns_serving(struct store *s)
{
	const char *f = sqlite3_db_filename(store_db(s), "main");
	int on;

	pthread_mutex_lock(&mu);
	on = svc != NULL && f != NULL && strcmp(f, svc->file) == 0;
	pthread_mutex_unlock(&mu);
	return on;
}

uint32_t columns_max_entity(const struct columns *c)
{
	return c->over.maxent > c->base->c.maxent ? c->over.maxent : c->base->c.maxent;
}

int columns_stats(int64_t *version, size_t *articles, size_t *bytes)
{
	const struct columns *c = NULL;
	int i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < KEEP; i++)
		if (ring[i] && (c == NULL || ring[i]->version > c->version))
			c = ring[i];
	if (c) {
		*version = c->version;
		*articles = c->base->c.n + c->over.n;
		*bytes = (c->base->c.n + c->over.n) * 22 + (c->base->c.ne + c->over.ne) * 4;
	}
	pthread_mutex_unlock(&mu);
	return c != NULL;
}

int64_t columns_base_version(void)
{
	int64_t v;

	pthread_mutex_lock(&mu);
	v = base_version;
	pthread_mutex_unlock(&mu);
	return v;
}

int columns_wait(int64_t v, int timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&mu);
	while (base_version < v && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&cv, &mu, &ts);
	rc = base_version >= v ? 0 : -1;
	pthread_mutex_unlock(&mu);
	return rc;
}
