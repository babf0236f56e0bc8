/*
 * dedup.c — wire-copy detection: MinHash sketches and bottom-k anchors in SQLite; see dedup.h.
 */
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "store.h"
#include "util.h"

#define MAX_CANDIDATES (2 * DEDUP_ANCHORS * DEDUP_NEAREST)	/* the most rows of a lookup */
/* the window in rids, which follow dates: date seconds << STORE_RID_SHIFT (store.h) */
#define DEDUP_WINDOW ((int64_t)DEDUP_WINDOW_DAYS * 86400 << STORE_RID_SHIFT)

enum dedup_stmt {
	ST_FIND,
	ST_FIND_BEFORE,
	ST_MAX_RID,
	ST_TEXT,
	ST_GROUP,
	ST_ADD_SIG,
	ST_ADD_ANCHORS,
	ST_GET_SIG,
	ST_DEL_ANCHORS,
	ST_DEL_SIG,
	ST_FIRST_COPY,
	ST_SET_ROOT,
	ST_REPOINT,
	ST_NSTMTS
};

struct dedup {
	sqlite3 *db;
	char *sql[ST_NSTMTS];
	sqlite3_stmt *st[ST_NSTMTS];
	/* the largest rid with a signature, as of this transaction, or -1: not read yet. Too
	 * large after a rollback or removal, which costs only a needless lookup after. */
	int64_t max_rid;
};

int dedup_schema(sqlite3 *db, char **errmsg)
{
	int rc = sqlite3_exec(db,
		/* appended in write order, rid a unique index: see article in store.c */
		"CREATE TABLE IF NOT EXISTS dedup_sig(sid INTEGER PRIMARY KEY,"
		" rid INTEGER NOT NULL UNIQUE, sig BLOB NOT NULL);"
		"CREATE TABLE IF NOT EXISTS dedup_band(key INTEGER NOT NULL, rid INTEGER NOT NULL,"
		" PRIMARY KEY(key, rid)) WITHOUT ROWID;"
		"CREATE INDEX IF NOT EXISTS article_dup_of ON article(dup_of)"
		" WHERE dup_of IS NOT NULL;", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return set_error(errmsg, "creating the duplicate index: %s", sqlite3_errmsg(db));
	return 0;
}

/* "?first, ?first+1, …" for n parameters: the IN lists of the anchor statements. */
static void param_list(struct buf *b, int first, int n)
{
	int i;

	for (i = 0; i < n; i++)
		buf_printf(b, "%s?%d", i ? ", " : "", first + i);
}

/*
 * The SQL of every statement. Only the anchor statements vary, and only with the
 * compile-time anchor count: no text from data ever reaches SQL.
 */
struct dedup *dedup_open(sqlite3 *db)
{
	struct dedup *d = xcalloc(1, sizeof(*d));
	struct buf b = { 0 };
	int i;

	d->db = db;
	d->max_rid = -1;
	/*
	 * Per anchor, the nearest rids before and after the new one (?5) in date order, within
	 * the window (?6 .. ?7); without the "after" half when nothing newer is indexed (loads in
	 * date order): each half costs a seek per anchor, the bulk of a lookup.
	 */
	for (i = 0; i < DEDUP_ANCHORS; i++)
		buf_printf(&b, "%sSELECT rid FROM (SELECT rid FROM dedup_band WHERE key = ?%d"
			   " AND rid < ?%d AND rid >= ?%d ORDER BY rid DESC LIMIT %d)",
			   i ? " UNION ALL " : "", i + 1, DEDUP_ANCHORS + 1, DEDUP_ANCHORS + 2,
			   DEDUP_NEAREST);
	d->sql[ST_FIND_BEFORE] = xstrdup(b.data);
	for (i = 0; i < DEDUP_ANCHORS; i++)
		buf_printf(&b, " UNION ALL SELECT rid FROM (SELECT rid FROM dedup_band WHERE"
			   " key = ?%d AND rid > ?%d AND rid <= ?%d ORDER BY rid LIMIT %d)", i + 1,
			   DEDUP_ANCHORS + 1, DEDUP_ANCHORS + 3, DEDUP_NEAREST);
	d->sql[ST_FIND] = buf_detach(&b);
	d->sql[ST_TEXT] = xstrdup("SELECT title, newsd_text(body) FROM article WHERE rid = ?1");
	d->sql[ST_GROUP] = xstrdup("SELECT dup_of FROM article WHERE rid = ?1");
	d->sql[ST_ADD_SIG] = xstrdup("INSERT OR REPLACE INTO dedup_sig(rid, sig) VALUES (?1, ?2)");
	buf_puts(&b, "INSERT OR IGNORE INTO dedup_band(key, rid) VALUES ");
	for (i = 0; i < DEDUP_ANCHORS; i++)
		buf_printf(&b, "%s(?%d, ?%d)", i ? ", " : "", i + 1, DEDUP_ANCHORS + 1);
	d->sql[ST_ADD_ANCHORS] = buf_detach(&b);
	d->sql[ST_MAX_RID] = xstrdup("SELECT max(rid) FROM dedup_sig");
	d->sql[ST_GET_SIG] = xstrdup("SELECT sig FROM dedup_sig WHERE rid = ?1");
	buf_printf(&b, "DELETE FROM dedup_band WHERE rid = ?%d AND key IN (", DEDUP_ANCHORS + 1);
	param_list(&b, 1, DEDUP_ANCHORS);
	buf_puts(&b, ")");
	d->sql[ST_DEL_ANCHORS] = buf_detach(&b);
	d->sql[ST_DEL_SIG] = xstrdup("DELETE FROM dedup_sig WHERE rid = ?1");
	d->sql[ST_FIRST_COPY] = xstrdup("SELECT min(rid) FROM article WHERE dup_of = ?1");
	d->sql[ST_SET_ROOT] = xstrdup("UPDATE article SET dup_of = ?2 WHERE rid = ?1");
	d->sql[ST_REPOINT] = xstrdup("UPDATE article SET dup_of = ?2 WHERE dup_of = ?1"
				     " AND rid <> ?2");
	return d;
}

void dedup_begin(struct dedup *d)
{
	if (d)
		d->max_rid = -1;
}

void dedup_close(struct dedup *d)
{
	int i;

	if (d == NULL)
		return;
	for (i = 0; i < ST_NSTMTS; i++) {
		sqlite3_finalize(d->st[i]);
		free(d->sql[i]);
	}
	free(d);
}

/* The cached statement i, prepared on first use, reset and unbound. */
static sqlite3_stmt *stmt(struct dedup *d, enum dedup_stmt i, char **errmsg)
{
	if (d->st[i] == NULL) {
		if (sqlite3_prepare_v3(d->db, d->sql[i], -1, SQLITE_PREPARE_PERSISTENT, &d->st[i],
				       NULL) != SQLITE_OK) {
			set_error(errmsg, "preparing the duplicate index: %s", sqlite3_errmsg(d->db));
			d->st[i] = NULL;
			return NULL;
		}
		return d->st[i];
	}
	sqlite3_reset(d->st[i]);
	sqlite3_clear_bindings(d->st[i]);
	return d->st[i];
}

static int db_fail(struct dedup *d, sqlite3_stmt *st, const char *what, char **errmsg)
{
	if (st)
		sqlite3_reset(st);
	return set_error(errmsg, "%s: %s", what, sqlite3_errmsg(d->db));
}

/* Step a statement that returns no rows to completion. */
static int run(struct dedup *d, sqlite3_stmt *st, const char *what, char **errmsg)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(d, NULL, what, errmsg);
	return 0;
}

/* splitmix64's finaliser: every input bit reaches every output bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

struct shingler {
	uint64_t w[DEDUP_SHINGLE];	/* hashes of the last words, a ring */
	uint8_t content[DEDUP_SHINGLE];	/* 1 when that word carries content */
	unsigned nwords;		/* words since the start of the current text */
	uint32_t min[DEDUP_K];
	uint8_t filled[DEDUP_K];
	uint32_t nshingles, nanchors;
	int64_t anchor[DEDUP_ANCHORS];
};

/*
 * Function words of four letters or more (shorter words never count as content): shingles of
 * such words ("said it would", "the company said") recur in every other story and would make
 * anchors shared by thousands of articles.
 */
static const char *const light_words[] = {
	"about", "after", "also", "been", "could", "from", "have", "into", "last", "more",
	"other", "said", "says", "should", "some", "such", "than", "that", "their", "there",
	"they", "this", "today", "told", "were", "which", "will", "with", "would", "year",
};

static int content_word(const char *w, size_t len, int digit)
{
	size_t i;

	if (digit)
		return 1;
	if (len < 4)
		return 0;
	if (len > 6)
		return 1;
	for (i = 0; i < sizeof(light_words) / sizeof(light_words[0]); i++)
		if (light_words[i][0] == w[0] && light_words[i][1] == w[1] &&
		    strncmp(light_words[i], w, len) == 0 && light_words[i][len] == '\0')
			return 0;
	return 1;
}

/* Keep the DEDUP_ANCHORS smallest distinct anchor hashes, ascending. */
static void anchor_add(struct shingler *sh, int64_t a)
{
	uint32_t i = sh->nanchors;

	if (i == DEDUP_ANCHORS && a >= sh->anchor[i - 1])
		return;
	while (i > 0 && sh->anchor[i - 1] >= a) {
		if (sh->anchor[i - 1] == a)
			return;
		i--;
	}
	if (sh->nanchors < DEDUP_ANCHORS)
		sh->nanchors++;
	memmove(&sh->anchor[i + 1], &sh->anchor[i],
		(sh->nanchors - 1 - i) * sizeof(sh->anchor[0]));
	sh->anchor[i] = a;
}

/* The hash of one shingle, its words oldest first. */
static uint64_t shingle_hash(const uint64_t *w)
{
	uint64_t h = 0x6a09e667f3bcc909ULL;
	unsigned i;

	for (i = 0; i < DEDUP_SHINGLE; i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return mix64(h);
}

/* One word (its FNV-1a hash) into the ring; a full ring is a shingle, one bin's candidate. */
static void shingle_word(struct shingler *sh, uint64_t wh, int content)
{
	uint64_t h, w[DEDUP_SHINGLE];
	uint32_t bin, val;
	unsigned i, ncontent = 0;

	sh->w[sh->nwords % DEDUP_SHINGLE] = wh;
	sh->content[sh->nwords % DEDUP_SHINGLE] = (uint8_t)content;
	sh->nwords++;
	if (sh->nwords < DEDUP_SHINGLE)
		return;
	for (i = 0; i < DEDUP_SHINGLE; i++) {
		w[i] = sh->w[(sh->nwords + i) % DEDUP_SHINGLE];
		ncontent += sh->content[i];
	}
	h = shingle_hash(w);
	/* one-permutation hashing: the top bits choose the bin, the low 32 bits compete */
	bin = (uint32_t)(h >> 32) % DEDUP_K;
	val = (uint32_t)h;
	if (!sh->filled[bin] || val < sh->min[bin]) {
		sh->min[bin] = val;
		sh->filled[bin] = 1;
	}
	if (ncontent >= 2)
		anchor_add(sh, (int64_t)(mix64(h ^ 0x5851f42d4c957f2dULL) >> 1));
	sh->nshingles++;
}

/*
 * The next word of *ps, which moves past it: words are runs of ASCII letters and digits
 * (lower-cased) and of non-ASCII bytes (kept as they are, so other scripts still make words);
 * everything else separates. *hash is its FNV-1a hash, *content whether it carries content.
 * 0 at the end of the text (or for NULL).
 */
static int next_word(const char **ps, uint64_t *hash, int *content)
{
	const char *s = *ps;
	uint64_t h = 1469598103934665603ULL;
	char word[8];
	size_t len = 0;
	int digit = 0;

	if (s == NULL)
		return 0;
	for (;; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 ||
		    (c >= 'A' && c <= 'Z')) {
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			digit |= c >= '0' && c <= '9';
			if (len < sizeof(word))
				word[len] = (char)c;
			len++;
			h = (h ^ c) * 1099511628211ULL;
		} else if (len) {
			*ps = s;
			*hash = h;
			*content = content_word(word, len, digit);
			return 1;
		}
		if (c == '\0') {
			*ps = s;
			return 0;
		}
	}
}

/* Feed a text. Shingles do not span two texts (title and body). */
static void shingle_text(struct shingler *sh, const char *s)
{
	uint64_t h;
	int content;

	sh->nwords = 0;
	while (next_word(&s, &h, &content))
		shingle_word(sh, h, content);
}

void dedup_signature(const char *title, const char *body, struct dedup_sig *out)
{
	struct shingler sh;
	uint32_t i, attempt, j;

	memset(&sh, 0, sizeof(sh));
	memset(out, 0, sizeof(*out));
	shingle_text(&sh, title);
	shingle_text(&sh, body);
	out->nshingles = sh.nshingles;
	if (sh.nshingles < DEDUP_MIN_SHINGLES)
		return;
	out->nanchors = sh.nanchors;
	memcpy(out->anchor, sh.anchor, sizeof(out->anchor));
	/*
	 * Optimal densification (Shrivastava 2017): an empty bin borrows the value of the first
	 * non-empty bin on a probe sequence that depends only on the bin, so two texts with
	 * the same shingles borrow alike and agreement still estimates Jaccard similarity.
	 */
	for (i = 0; i < DEDUP_K; i++) {
		uint32_t v = sh.min[i];

		for (attempt = 1; !sh.filled[i]; attempt++) {
			j = (uint32_t)(mix64(((uint64_t)i << 32) | attempt) >> 32) % DEDUP_K;
			if (sh.filled[j]) {
				v = sh.min[j];
				break;
			}
		}
		out->v[i] = (uint16_t)v;
	}
}

int dedup_sig_short(const struct dedup_sig *sig)
{
	return sig->nshingles < DEDUP_MIN_SHINGLES;
}

double dedup_similarity(const struct dedup_sig *a, const struct dedup_sig *b)
{
	int i, same = 0;
	double f;

	if (dedup_sig_short(a) || dedup_sig_short(b))
		return 0;
	for (i = 0; i < DEDUP_K; i++)
		same += (a->v[i] & 0xff) == (b->v[i] & 0xff);
	/* b-bit MinHash (Li and König 2010): the low 8 bits of each position are stored, and two
	 * positions of unlike minima agree by chance one time in 256; taken out */
	f = ((double)same / DEDUP_K - 1.0 / 256) / (1 - 1.0 / 256);
	return f > 0 ? f : 0;
}

double dedup_containment(const struct dedup_sig *a, const struct dedup_sig *b)
{
	double j = dedup_similarity(a, b);
	double na = a->nshingles, nb = b->nshingles;
	double c;

	if (j <= 0)
		return 0;
	/* |A ∩ B| = J (|A| + |B|) / (1 + J), over the smaller set */
	c = j * (na + nb) / ((1 + j) * (na < nb ? na : nb));
	return c > 1 ? 1 : c;
}

int dedup_is_copy(const struct dedup_sig *a, const struct dedup_sig *b)
{
	double j = dedup_similarity(a, b);
	uint32_t n = a->nshingles < b->nshingles ? a->nshingles : b->nshingles;

	/* short stories of a template (dividends, prime rates, splits) share most of their few
	 * shingles: below DEDUP_SMALL shingles, a copy must also be similar as a whole */
	if (n < DEDUP_SMALL && j < DEDUP_SMALL_JACCARD)
		return 0;
	return j >= DEDUP_MIN_JACCARD && dedup_containment(a, b) >= DEDUP_MIN_CONTAINMENT;
}

/* Append the shingle hashes of a text to *v (n of them, room for cap). */
static void shingles_of(const char *s, uint64_t **v, size_t *n, size_t *cap)
{
	uint64_t w[DEDUP_SHINGLE], h;
	unsigned nw = 0;
	int content;

	while (next_word(&s, &h, &content)) {
		if (nw == DEDUP_SHINGLE)
			memmove(w, w + 1, (DEDUP_SHINGLE - 1) * sizeof(w[0]));
		else
			nw++;
		w[nw - 1] = h;
		if (nw < DEDUP_SHINGLE)
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			*v = xrealloc(*v, *cap * sizeof(**v));
		}
		/* never 0: the empty slot of the set below */
		(*v)[(*n)++] = shingle_hash(w) | 1;
	}
}

/* The slot of h in an open-addressing set of shingle hashes (0: empty; mask + 1 slots, a
 * power of two): where h is, or the empty slot where it would go. */
static size_t hset_slot(const uint64_t *set, size_t mask, uint64_t h)
{
	size_t k;

	for (k = (size_t)(h >> 20) & mask; set[k] && set[k] != h; k = (k + 1) & mask)
		;
	return k;
}

/* A text's shingle hashes, shingled once however many texts it is tested against: the
 * title's (nt of them), then the body's; the two parts are shingled apart, as they read. */
struct shingled {
	uint64_t *v;
	size_t n, nt, cap;
	int done;
};

static void shingled_of(struct shingled *t, const char *title, const char *body)
{
	if (t->done)
		return;
	shingles_of(title ? title : "", &t->v, &t->n, &t->cap);
	t->nt = t->n;
	shingles_of(body ? body : "", &t->v, &t->n, &t->cap);
	t->done = 1;
}

static void shingled_free(struct shingled *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* dedup_novel on shingled texts: the share of b's body in passages of its own against the
 * whole of other (title and body). */
static double novel_of(const struct shingled *b, const struct shingled *other)
{
	const uint64_t *body = b->v + b->nt;
	uint64_t *set;
	unsigned char *met;
	size_t n = b->n - b->nt, nwords, mask, i, k, run = 0, novel = 0;

	for (mask = 63; mask < 2 * other->n; mask = mask * 2 + 1)
		;
	set = xcalloc(mask + 1, sizeof(*set));
	for (i = 0; i < other->n; i++)
		set[hset_slot(set, mask, other->v[i])] = other->v[i];
	/* a word is the body's own when no shingle holding it is in the other text: an edited
	 * word alone stands out, between words that still meet the other text */
	met = xmalloc(n + 1);
	for (i = 0; i < n; i++)
		met[i] = set[hset_slot(set, mask, body[i])] != 0;
	nwords = n ? n + DEDUP_SHINGLE - 1 : 0;
	for (i = 0; i <= nwords; i++) {
		int covered = 0;

		for (k = i >= DEDUP_SHINGLE - 1 ? i - (DEDUP_SHINGLE - 1) : 0; k <= i && k < n; k++)
			covered |= met[k];
		if (i < nwords && !covered) {
			run++;
			continue;
		}
		if (run >= DEDUP_NOVEL_RUN)
			novel += run;
		run = 0;
	}
	free(met);
	free(set);
	return nwords ? (double)novel / (double)nwords : 0;
}

double dedup_novel(const char *body, const char *other_title, const char *other_body)
{
	struct shingled b = { 0 }, o = { 0 };
	double r;

	shingled_of(&b, NULL, body);
	shingled_of(&o, other_title, other_body);
	r = novel_of(&b, &o);
	shingled_free(&b);
	shingled_free(&o);
	return r;
}

int dedup_share_anchor(const struct dedup_sig *a, const struct dedup_sig *b)
{
	uint32_t i, j;

	for (i = 0; i < a->nanchors; i++)
		for (j = 0; j < b->nanchors; j++)
			if (a->anchor[i] == b->anchor[j])
				return 1;
	return 0;
}

/* Bind the anchors as parameters 1..DEDUP_ANCHORS (NULL for missing ones: they match and
 * insert nothing). */
static void bind_anchors(sqlite3_stmt *st, const struct dedup_sig *sig)
{
	uint32_t i;

	for (i = 0; i < DEDUP_ANCHORS; i++)
		if (i < sig->nanchors)
			sqlite3_bind_int64(st, (int)i + 1, sig->anchor[i]);
		else
			sqlite3_bind_null(st, (int)i + 1);
}

/* The stored signature: nshingles, nanchors, a byte per position (the low 8 bits of each
 * minimum: dedup_similarity), the anchors. Files written before 2026-12-01 evening hold two
 * bytes per position (SIG_BYTES_16), read as well. */
#define SIG_BYTES (8 + DEDUP_K + 8 * DEDUP_ANCHORS)
#define SIG_BYTES_16 (8 + 2 * DEDUP_K + 8 * DEDUP_ANCHORS)

static void put_u64(unsigned char *p, uint64_t x, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(x >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p, int n)
{
	uint64_t x = 0;
	int i;

	for (i = 0; i < n; i++)
		x |= (uint64_t)p[i] << (8 * i);
	return x;
}

/* The stored form, little-endian whatever the machine: counts, sketch, anchors. */
static void sig_pack(const struct dedup_sig *sig, unsigned char *p)
{
	int i;

	put_u64(p, sig->nshingles, 4);
	put_u64(p + 4, sig->nanchors, 4);
	for (i = 0; i < DEDUP_K; i++)
		p[8 + i] = (unsigned char)(sig->v[i] & 0xff);
	for (i = 0; i < DEDUP_ANCHORS; i++)
		put_u64(p + 8 + DEDUP_K + 8 * i, (uint64_t)sig->anchor[i], 8);
}

/* 0 when the blob is a signature of this build's shape, -1 otherwise (then ignored). */
static int sig_unpack(const void *blob, int n, struct dedup_sig *sig)
{
	const unsigned char *p = blob;
	int i, w;

	if (blob == NULL || (n != SIG_BYTES && n != SIG_BYTES_16))
		return -1;
	w = n == SIG_BYTES ? 1 : 2;	/* bytes per position */
	sig->nshingles = (uint32_t)get_u64(p, 4);
	sig->nanchors = (uint32_t)get_u64(p + 4, 4);
	if (sig->nanchors > DEDUP_ANCHORS)
		return -1;
	for (i = 0; i < DEDUP_K; i++)
		sig->v[i] = (uint16_t)get_u64(p + 8 + w * i, w);
	for (i = 0; i < DEDUP_ANCHORS; i++)
		sig->anchor[i] = (int64_t)get_u64(p + 8 + w * DEDUP_K + 8 * i, 8);
	return 0;
}

/* Statement i for row rid, stepped: SQLITE_ROW (the caller reads the row, then resets *out),
 * SQLITE_DONE (no such row), or -1 and *errmsg. */
static int step_rid(struct dedup *d, enum dedup_stmt i, int64_t rid, const char *what,
		    sqlite3_stmt **out, char **errmsg)
{
	sqlite3_stmt *st = stmt(d, i, errmsg);
	int step;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rid);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		sqlite3_reset(st);
	else if (step != SQLITE_ROW)
		return db_fail(d, st, what, errmsg);
	*out = st;
	return step;
}

/* rid's stored signature into *sig: 1, or 0 when there is none (or of another build's
 * shape), or -1 and *errmsg. */
static int read_sig(struct dedup *d, int64_t rid, struct dedup_sig *sig, char **errmsg)
{
	sqlite3_stmt *st;
	int step = step_rid(d, ST_GET_SIG, rid, "reading a signature", &st, errmsg), found;

	if (step != SQLITE_ROW)
		return step < 0 ? -1 : 0;
	found = sig_unpack(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), sig) == 0;
	sqlite3_reset(st);
	return found;
}

static int cmp_rid(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Candidates: the distinct rids (other than self_rid) among the nearest sharers of each
 * anchor, ascending; c holds MAX_CANDIDATES.
 */
static int candidates(struct dedup *d, const struct dedup_sig *sig, int64_t self_rid,
		      int64_t *c, size_t *n, char **errmsg)
{
	size_t len = 0, i, j;
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (d->max_rid < 0) {
		if ((st = stmt(d, ST_MAX_RID, errmsg)) == NULL)
			return -1;
		if (sqlite3_step(st) != SQLITE_ROW)
			return db_fail(d, st, "looking up copies", errmsg);
		d->max_rid = sqlite3_column_int64(st, 0);	/* 0 when empty */
		sqlite3_reset(st);
	}
	st = stmt(d, self_rid > d->max_rid ? ST_FIND_BEFORE : ST_FIND, errmsg);
	if (st == NULL)
		return -1;
	bind_anchors(st, sig);
	sqlite3_bind_int64(st, DEDUP_ANCHORS + 1, self_rid);
	/* dates are years 0001-9999 (date.h): no overflow */
	sqlite3_bind_int64(st, DEDUP_ANCHORS + 2, self_rid - DEDUP_WINDOW);
	if (self_rid <= d->max_rid)
		sqlite3_bind_int64(st, DEDUP_ANCHORS + 3, self_rid + DEDUP_WINDOW);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (len < MAX_CANDIDATES)	/* always: the statement's LIMITs bound it */
			c[len++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(d, NULL, "looking up copies", errmsg);
	qsort(c, len, sizeof(*c), cmp_rid);
	for (i = 0, j = 0; i < len; i++)
		if (c[i] != self_rid && (j == 0 || c[i] != c[j - 1]))
			c[j++] = c[i];
	*n = j;
	return 0;
}

/* dedup_text_is_copy on texts shingled on demand (sa, sb keep them for the caller). */
static int text_is_copy(const struct dedup_sig *a, struct shingled *sa, const char *atitle,
			const char *abody, const struct dedup_sig *b, struct shingled *sb,
			const char *btitle, const char *bbody)
{
	if (a->nshingles > b->nshingles)
		return text_is_copy(b, sb, btitle, bbody, a, sa, atitle, abody);
	shingled_of(sa, atitle, abody);
	shingled_of(sb, btitle, bbody);
	return novel_of(sa, sb) <= DEDUP_MAX_NOVEL && novel_of(sb, sa) <= DEDUP_MAX_CUT;
}

int dedup_text_is_copy(const struct dedup_sig *a, const char *atitle, const char *abody,
		       const struct dedup_sig *b, const char *btitle, const char *bbody)
{
	struct shingled sa = { 0 }, sb = { 0 };
	int r = text_is_copy(a, &sa, atitle, abody, b, &sb, btitle, bbody);

	shingled_free(&sa);
	shingled_free(&sb);
	return r;
}

/*
 * Read row rid's title and body and apply the text test against them (none when title and
 * body are NULL): 1 when it passes, 0 when not or when the row is gone, -1 on error.
 */
static int row_is_copy(struct dedup *d, const struct dedup_sig *sig, struct shingled *sh,
		       const char *title, const char *body, int64_t rid,
		       const struct dedup_sig *other, char **errmsg)
{
	struct shingled osh = { 0 };
	sqlite3_stmt *st;
	int step = step_rid(d, ST_TEXT, rid, "reading a copy", &st, errmsg), ok;

	if (step != SQLITE_ROW)
		return step < 0 ? -1 : 0;	/* 0: a signature whose article is gone */
	ok = (title == NULL && body == NULL) ||
	     text_is_copy(sig, sh, title, body, other, &osh,
			  (const char *)sqlite3_column_text(st, 0),
			  (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	shingled_free(&osh);
	return ok;
}

/* Row rid's group: 1 and *root (rid itself when it is a root), 0 when the row is gone, or -1. */
static int row_group(struct dedup *d, int64_t rid, int64_t *root, char **errmsg)
{
	sqlite3_stmt *st;
	int step = step_rid(d, ST_GROUP, rid, "reading a copy", &st, errmsg);

	if (step != SQLITE_ROW)
		return step < 0 ? -1 : 0;
	*root = sqlite3_column_type(st, 0) == SQLITE_NULL ? rid : sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 1;
}

/*
 * The oldest group this article is a copy of: each candidate's group is read first, and one
 * that cannot change the answer (this article's own, or one no older than a group already
 * found) is passed over before its signature and text are read. Under live POSTs into a 1M
 * archive, two text tests in three were of a candidate in the group just found.
 */
static int find_copy(struct dedup *d, const struct dedup_sig *sig, struct shingled *sh,
		     const char *title, const char *body, int64_t self_rid, int64_t *dup_rid,
		     char **errmsg)
{
	int64_t c[MAX_CANDIDATES];
	struct dedup_sig other;
	size_t n = 0, i;

	*dup_rid = 0;
	if (dedup_sig_short(sig))
		return 0;
	if (candidates(d, sig, self_rid, c, &n, errmsg) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		int64_t root = 0;
		int found = row_group(d, c[i], &root, errmsg);

		if (found < 0)
			return -1;
		if (!found || root == self_rid || (*dup_rid != 0 && root >= *dup_rid))
			continue;
		found = read_sig(d, c[i], &other, errmsg);
		if (found < 0)
			return -1;
		/* none: an anchor row without a signature, nothing to compare */
		if (!found || !dedup_is_copy(sig, &other))
			continue;
		/* the text test, only for copies by their sketches: most candidates are not, and
		 * it inflates the candidate's body */
		found = row_is_copy(d, sig, sh, title, body, c[i], &other, errmsg);
		if (found < 0)
			return -1;
		if (!found)
			continue;
		/*
		 * A copy of a copy must be a copy of the root too: groups are flat, and joining
		 * whatever resembles any member chains related stories (each sharing a passage
		 * with the last) into one group whose root has nothing in common with the newest.
		 */
		if (root != c[i]) {
			/* a group is its root's copies: within the window of the root */
			if (root < self_rid - DEDUP_WINDOW || root > self_rid + DEDUP_WINDOW)
				continue;
			found = read_sig(d, root, &other, errmsg);
			if (found < 0)
				return -1;
			if (found && !dedup_is_copy(sig, &other))
				continue;
			if (found) {
				found = row_is_copy(d, sig, sh, title, body, root, &other, errmsg);
				if (found < 0)
					return -1;
				if (!found)
					continue;
			}
		}
		*dup_rid = root;
	}
	return 0;
}

int dedup_find(struct dedup *d, const struct dedup_sig *sig, const char *title,
	       const char *body, int64_t self_rid, int64_t *dup_rid, char **errmsg)
{
	struct shingled sh = { 0 };	/* this article's, for every text test it takes */
	int rc = find_copy(d, sig, &sh, title, body, self_rid, dup_rid, errmsg);

	shingled_free(&sh);
	return rc;
}

int dedup_add(struct dedup *d, int64_t rid, const struct dedup_sig *sig, char **errmsg)
{
	unsigned char blob[SIG_BYTES];
	sqlite3_stmt *st;

	if (dedup_sig_short(sig))
		return 0;
	sig_pack(sig, blob);
	st = stmt(d, ST_ADD_SIG, errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rid);
	sqlite3_bind_blob(st, 2, blob, (int)sizeof(blob), SQLITE_STATIC);
	if (run(d, st, "storing a signature", errmsg) < 0)
		return -1;
	if (d->max_rid >= 0 && rid > d->max_rid)
		d->max_rid = rid;
	st = stmt(d, ST_ADD_ANCHORS, errmsg);
	if (st == NULL)
		return -1;
	bind_anchors(st, sig);
	sqlite3_bind_int64(st, DEDUP_ANCHORS + 1, rid);
	return run(d, st, "indexing a signature", errmsg);
}

/* UPDATE article SET dup_of = to (NULL when 0) WHERE rid = rid. */
static int set_dup_of(struct dedup *d, int64_t rid, int64_t to, char **errmsg)
{
	sqlite3_stmt *st = stmt(d, ST_SET_ROOT, errmsg);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rid);
	if (to)
		sqlite3_bind_int64(st, 2, to);
	return run(d, st, "recording a copy", errmsg);
}

/* Point every copy of root `from` (other than `to`) at `to`. */
static int repoint(struct dedup *d, int64_t from, int64_t to, char **errmsg)
{
	sqlite3_stmt *st = stmt(d, ST_REPOINT, errmsg);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	return run(d, st, "regrouping copies", errmsg);
}

int dedup_remove(struct dedup *d, int64_t rid, int64_t *promoted, char **errmsg)
{
	struct dedup_sig sig;
	int64_t first = 0;
	sqlite3_stmt *st;
	int step, found;

	if (promoted)
		*promoted = 0;
	found = read_sig(d, rid, &sig, errmsg);
	if (found < 0)
		return -1;
	if (found) {
		st = stmt(d, ST_DEL_ANCHORS, errmsg);
		if (st == NULL)
			return -1;
		bind_anchors(st, &sig);
		sqlite3_bind_int64(st, DEDUP_ANCHORS + 1, rid);
		if (run(d, st, "removing a signature", errmsg) < 0)
			return -1;
	}
	st = stmt(d, ST_DEL_SIG, errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rid);
	if (run(d, st, "removing a signature", errmsg) < 0)
		return -1;
	/* a root that goes: its earliest copy takes over the group */
	st = stmt(d, ST_FIRST_COPY, errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rid);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW)
		return db_fail(d, st, "regrouping copies", errmsg);
	if (sqlite3_column_type(st, 0) != SQLITE_NULL)
		first = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (first == 0)
		return 0;
	if (set_dup_of(d, first, 0, errmsg) < 0 || repoint(d, rid, first, errmsg) < 0)
		return -1;
	if (promoted)
		*promoted = first;
	return 0;
}

int dedup_link(struct dedup *d, int64_t rid, const struct dedup_sig *sig, const char *title,
	       const char *body, int64_t *dup_of, int64_t *demoted, char **errmsg)
{
	int64_t root;

	*dup_of = 0;
	if (demoted)
		*demoted = 0;
	if (dedup_sig_short(sig))
		return 0;
	if (dedup_find(d, sig, title, body, rid, &root, errmsg) < 0)
		return -1;
	if (root != 0 && root < rid) {
		*dup_of = root;
	} else if (root > rid) {
		/* an older copy arrived late: it becomes the root of the group */
		if (repoint(d, root, rid, errmsg) < 0 || set_dup_of(d, root, rid, errmsg) < 0)
			return -1;
		if (demoted)
			*demoted = root;
	}
	return dedup_add(d, rid, sig, errmsg);
}
