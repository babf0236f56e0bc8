#ifndef NEWSD_DEDUP_H
#define NEWSD_DEDUP_H
/*
 * dedup — wire copies: near-duplicate detection at ingest (issue 6, item 4).
 *
 * A signature has two parts, both over the article's word 3-shingles:
 *  - a MinHash sketch (one-permutation hashing with optimal densification: one hash per
 *    shingle, DEDUP_K bins, 16-bit values); the fraction of positions two sketches agree on
 *    estimates the Jaccard similarity of the two shingle sets, and with the shingle counts,
 *    the containment of the smaller text in the larger (|A ∩ B| / min(|A|, |B|));
 *  - anchors: the DEDUP_ANCHORS smallest shingle hashes (a bottom-k sketch) among shingles of
 *    at least two content words. A copy that keeps most of an article shares its smallest
 *    shared shingles with it, so it shares an anchor with near certainty however much was
 *    trimmed, and a lookup costs DEDUP_ANCHORS index seeks (LSH bands of several MinHash
 *    rows would need 30 or more for the same recall on edited copies; see the figures).
 * A candidate sharing an anchor is a copy when it is dated within DEDUP_WINDOW_DAYS (a copy
 * is re-sent within days; a template's story recurs every quarter), the estimated
 * containment reaches DEDUP_MIN_CONTAINMENT and the Jaccard similarity DEDUP_MIN_JACCARD (a
 * long story that merely quotes a short one is not its copy), and the texts pass the text
 * test (dedup_novel: the copy adds no passage of its own and keeps at least half of the
 * original), which the sketches cannot tell from a related story. Figures behind every
 * constant: `make dedup-eval` (bench/dedup_eval.c) and docs/DESIGN.md, Wire copies.
 * The article table must have rid, dup_of, title and body columns.
 *
 * Tables (created by dedup_schema, IF NOT EXISTS, so older files gain them on open):
 *   dedup_sig(rid INTEGER PRIMARY KEY, sig BLOB)      the signature of each indexed article
 *   dedup_band(key INTEGER, rid INTEGER, PRIMARY KEY(key, rid)) WITHOUT ROWID
 *       one row per anchor (key = the anchor's 63-bit hash)
 *   index article_dup_of ON article(dup_of) WHERE dup_of IS NOT NULL
 *
 * Groups of copies are flat: article.dup_of of a copy is the rid of the group's root, the
 * earliest copy (smallest rid = oldest date), whose own dup_of is NULL. A new article joins a
 * group only when it is a copy of the root itself, not merely of one of its copies: related
 * stories each sharing a passage with the last would otherwise chain into one group.
 * dedup_link keeps it so when an older copy arrives late, and dedup_remove when a root is
 * deleted.
 *
 * Short texts (fewer than DEDUP_MIN_SHINGLES shingles of title and body, e.g. Reuters'
 * headline-only items) get no signature: they are never indexed and never flagged, because a
 * handful of words does not tell a re-sent story from a recurring headline ("FED ADDS
 * RESERVES VIA CUSTOMER REPURCHASES" is a different event every day).
 *
 * All calls run inside the caller's write transaction; a rollback undoes them with the rest.
 */
#include <sqlite3.h>
#include <stdint.h>

#define DEDUP_K 128			/* MinHash positions */
#define DEDUP_ANCHORS 4			/* index rows (and lookups) per article */
#define DEDUP_NEAREST 4			/* candidates read per anchor on each side in date order */
#define DEDUP_WINDOW_DAYS 7		/* a copy is dated within this of its group's root */
#define DEDUP_SHINGLE 3			/* words per shingle */
#define DEDUP_MIN_SHINGLES 25		/* fewer: a short text, no signature */
#define DEDUP_MIN_CONTAINMENT 0.65	/* of the smaller text in the larger */
#define DEDUP_MIN_JACCARD 0.30
#define DEDUP_SMALL 64			/* a smaller text of fewer shingles also needs */
#define DEDUP_SMALL_JACCARD 0.30	/* this Jaccard similarity */
#define DEDUP_NOVEL_RUN 6		/* consecutive words the other text lacks: a passage */
#define DEDUP_MAX_NOVEL 0.05		/* of the smaller body's words, in such passages */
#define DEDUP_MAX_CUT 0.50		/* of the larger body's words, in passages the smaller lacks */

struct dedup_sig {
	uint32_t nshingles;		/* < DEDUP_MIN_SHINGLES: short, nothing else is set */
	uint32_t nanchors;
	uint16_t v[DEDUP_K];
	int64_t anchor[DEDUP_ANCHORS];	/* ascending, nanchors of them */
};

struct dedup;

/* Create the tables and the index above if missing. Call inside the schema-creation
 * transaction, and on every writable open (older files). 0, or -1 and *errmsg. */
int dedup_schema(sqlite3 *db, char **errmsg);

/* A handle holding the prepared statements of one connection (prepared on first use).
 * dedup_open never fails; dedup_close finalizes them (NULL-safe). Close it before the
 * connection. */
struct dedup *dedup_open(sqlite3 *db);
void dedup_close(struct dedup *d);
/* Call at the start of every write transaction: another connection may have written since
 * the last, and the handle caches what it read of the tables within one. NULL-safe. */
void dedup_begin(struct dedup *d);

/* The signature of an article (title and body may be NULL). Deterministic: the same text
 * gives the same signature on every run and machine. */
void dedup_signature(const char *title, const char *body, struct dedup_sig *out);
/* 1 when sig is too short to be compared (see above). */
int dedup_sig_short(const struct dedup_sig *sig);
/* Estimated Jaccard similarity of two signatures, 0..1 (0 when either is short). */
double dedup_similarity(const struct dedup_sig *a, const struct dedup_sig *b);
/* Estimated containment of the smaller text's shingles in the larger's, 0..1. */
double dedup_containment(const struct dedup_sig *a, const struct dedup_sig *b);
/* 1 when b is a copy of a by the thresholds above (the test dedup_find applies). */
int dedup_is_copy(const struct dedup_sig *a, const struct dedup_sig *b);
/*
 * The share of body's words that lie in passages of its own: runs of DEDUP_NOVEL_RUN or more
 * consecutive words that no shingle of the other text (title and body) holds. An edited word
 * breaks its three shingles but stands alone between words that still meet the other text;
 * a related story, or a roundup quoting part of another, brings sentences of its own. 0..1
 * (0 for a body of fewer than DEDUP_SHINGLE words).
 */
double dedup_novel(const char *body, const char *other_title, const char *other_body);
/* The text test of dedup_find: 1 when the smaller of the two texts (by shingles, from the
 * signatures) has at most DEDUP_MAX_NOVEL of its body in passages of its own, and the larger
 * at most DEDUP_MAX_CUT of its body in passages the smaller lacks. */
int dedup_text_is_copy(const struct dedup_sig *a, const char *atitle, const char *abody,
		       const struct dedup_sig *b, const char *btitle, const char *bbody);
/* 1 when a and b share an anchor: only then can a lookup of one find the other. */
int dedup_share_anchor(const struct dedup_sig *a, const struct dedup_sig *b);

/*
 * The root of the group of copies sig belongs to: among the indexed articles (other than
 * self_rid) sharing an anchor that pass dedup_is_copy and the text test, the smallest root rid
 * (article.dup_of, or the candidate itself when that is NULL). *dup_rid = 0 when none or when
 * sig is short. The root may be newer than self_rid: dedup_link handles that case.
 * The text test (title and body are the new article's; both NULL skips it) is
 * dedup_text_is_copy: a copy is the same story, edited, trimmed or headlined anew; a story
 * that shares a passage with another, or a roundup that quotes part of one, also says things
 * of its own, though its sketch may agree as much as an edited copy's. It reads the
 * candidate's article row (columns title and body), so only for candidates whose sketches
 * pass.
 * Per anchor, only the DEDUP_NEAREST articles just before and just after self_rid in date
 * order, within DEDUP_WINDOW_DAYS of it, are candidates, and a group is joined only when its
 * root is within the window too: a wire copy is re-sent within days, while an anchor shared by
 * hundreds of articles over the years (a template's phrase) is not a copy signal. The cost of
 * a lookup is therefore bounded, 2 x DEDUP_ANCHORS seeks and at most
 * 2 x DEDUP_ANCHORS x DEDUP_NEAREST candidates, whatever the size of the archive. Each
 * candidate's group (article.dup_of) is read first: one in self_rid's group, or in a group no
 * older than one already found, cannot change the answer and is passed over; the others have
 * their signature read, and only those whose sketches pass have their text read.
 */
int dedup_find(struct dedup *d, const struct dedup_sig *sig, const char *title,
	       const char *body, int64_t self_rid, int64_t *dup_rid, char **errmsg);

/* Index sig under rid (a short sig is not indexed). Replaces an earlier signature of rid. */
int dedup_add(struct dedup *d, int64_t rid, const struct dedup_sig *sig, char **errmsg);

/*
 * Forget rid's signature, and when rid was the root of a group, make the earliest remaining
 * copy the new root and point the others at it. *promoted (may be NULL) is that copy's rid,
 * whose dup_of became NULL, or 0. Call when an article is deleted or before it is replaced;
 * works whether or not rid's article row is already gone.
 */
int dedup_remove(struct dedup *d, int64_t rid, int64_t *promoted, char **errmsg);

/*
 * Ingest in one call: find the group of the new article rid, index its signature, and keep
 * the group flat and rooted at the earliest copy. *dup_of is what to store in the new
 * article's dup_of (0: NULL). When the new article is older than the group's root, it becomes
 * the root: the old root and its copies are pointed at rid, and *demoted (may be NULL) is the
 * old root, whose dup_of changed from NULL to rid; otherwise 0. Call before or after the new
 * article row is inserted. title and body: the new article's (see dedup_find).
 */
int dedup_link(struct dedup *d, int64_t rid, const struct dedup_sig *sig, const char *title,
	       const char *body, int64_t *dup_of, int64_t *demoted, char **errmsg);

#endif
