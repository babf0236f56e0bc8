/* test_dedup.c — wire copies: signatures, lookups, group roots, removal (index/dedup.c). */
#include <check.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dedup.h"
#include "zbody.h"
#include "util.h"

#define SIGNATURE_HASH 13635519821638198688ULL	/* of story, this build's constants */
#define RID(hour) ((int64_t)(hour) * 3600 * ((int64_t)1 << 20))	/* date-ordered, as stored */

static const char story[] =
	"The central bank of Freedonia raised its benchmark lending rate by half a point on "
	"Tuesday, the third increase this year, saying inflation had stayed above its target for "
	"eleven months. Governor Maria Ostrova told reporters the board would act again if "
	"consumer prices kept rising faster than wages.\n"
	"    Economists had expected a smaller move. Bond yields climbed and the currency gained "
	"against the dollar in early trading in the capital, while shares of exporters fell.\n"
	"    The bank also cut its forecast for economic growth next year to 1.8 pct from 2.1 pct, "
	"citing weaker demand from neighbouring countries and a slowdown in construction.";

/* The same story re-sent: a sentence dropped, words changed, another headline. */
static const char edited[] =
	"The central bank of Freedonia raised its main lending rate by half a point on "
	"Tuesday, the third increase this year, saying inflation had stayed above its goal for "
	"eleven months. Governor Maria Ostrova told journalists the board would act again if "
	"consumer prices kept rising faster than wages.\n"
	"    The bank also cut its forecast for economic growth next year to 1.8 pct from 2.1 pct, "
	"citing weaker demand from neighbouring countries and a slowdown in construction.";

static const char other[] =
	"Heavy rain flooded the lower districts of the port city overnight, forcing hundreds of "
	"families from their homes and closing the coastal railway for the second time this "
	"month. Rescue teams in small boats reached a school where pupils had sheltered, and the "
	"mayor asked residents to boil drinking water until the pumping stations were repaired.\n"
	"    Forecasters expect more storms on the weekend as a low pressure system moves east.";

static sqlite3 *db;
static struct dedup *dd;

static void setup(void)
{
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(zbody_register(db, &err), 0);	/* the text test reads newsd_text(body) */
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE article(rid INTEGER PRIMARY KEY,"
				      " dup_of INTEGER, title TEXT, body TEXT)", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(dedup_schema(db, &err), 0);
	ck_assert_int_eq(dedup_schema(db, &err), 0);	/* idempotent: older files on open */
	dd = dedup_open(db);
}

static void teardown(void)
{
	dedup_close(dd);
	sqlite3_close(db);
}

static int64_t dup_of(int64_t rid)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT dup_of FROM article WHERE rid = ?1", -1,
					    &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, rid);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Ingest one article as the store would, on connection c with handle h: link, then insert its
 * row with dup_of. Returns dup_of (0: none); *demoted (may be NULL) as dedup_link's. */
static int64_t put_in(sqlite3 *c, struct dedup *h, int64_t rid, const char *title,
		      const char *body, int64_t *demoted)
{
	struct dedup_sig sig;
	int64_t d = -1, dem = 0;
	sqlite3_stmt *st;
	char *err = NULL;

	dedup_signature(title, body, &sig);
	ck_assert_int_eq(dedup_link(h, rid, &sig, title, body, &d, &dem, &err), 0);
	if (demoted)
		*demoted = dem;
	/* the article row with its text: the text test reads it (dedup_find) */
	ck_assert_int_eq(sqlite3_prepare_v2(c, "INSERT INTO article VALUES (?1, ?2, ?3, ?4)", -1,
					    &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, rid);
	if (d)
		sqlite3_bind_int64(st, 2, d);
	sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, body, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	return d;
}

static int64_t put(int64_t rid, const char *title, const char *body, int64_t *demoted)
{
	return put_in(db, dd, rid, title, body, demoted);
}

static void del(int64_t rid, int64_t *promoted)
{
	char sql[96];
	char *err = NULL;

	ck_assert_int_eq(dedup_remove(dd, rid, promoted, &err), 0);
	snprintf(sql, sizeof(sql), "DELETE FROM article WHERE rid = %lld", (long long)rid);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

START_TEST(identical_found)
{
	ck_assert_int_eq(put(RID(1), "FREEDONIA RAISES RATES", story, NULL), 0);
	ck_assert_int_eq(put(RID(2), "FREEDONIA RAISES RATES", story, NULL), RID(1));
}
END_TEST

START_TEST(edited_copy_found)
{
	struct dedup_sig a, b;

	dedup_signature("FREEDONIA RAISES RATES", story, &a);
	dedup_signature("FREEDONIA CENTRAL BANK TIGHTENS AGAIN", edited, &b);
	ck_assert(dedup_is_copy(&a, &b));
	ck_assert_int_eq(put(RID(1), "FREEDONIA RAISES RATES", story, NULL), 0);
	ck_assert_int_eq(put(RID(1) + 5, "FREEDONIA CENTRAL BANK TIGHTENS AGAIN", edited, NULL),
			 RID(1));
}
END_TEST

/* A copy is re-sent within days: the same text a month later is another article (a story
 * of a template that recurs, or a rerun), and so is its root's copy in between. */
START_TEST(copy_within_window)
{
	const int w = 24 * DEDUP_WINDOW_DAYS;	/* hours */

	ck_assert_int_eq(put(RID(1), "FREEDONIA RAISES RATES", story, NULL), 0);
	ck_assert_int_eq(put(RID(1 + 24 * 30), "FREEDONIA TIGHTENS", edited, NULL), 0);
	ck_assert_int_eq(put(RID(w), "FREEDONIA TIGHTENS", edited, NULL), RID(1));
	/* within the window of that copy but not of its root: a group of its own */
	ck_assert_int_eq(put(RID(w + 3), "FREEDONIA TIGHTENS", edited, NULL), 0);
	ck_assert_int_eq(put(RID(w + 4), "FREEDONIA TIGHTENS", edited, NULL), RID(w + 3));
}
END_TEST

/* Signatures are stored with a byte per position (b-bit MinHash); files written before hold
 * two bytes per position, and their articles are still found. */
START_TEST(stored_sketch_widths)
{
	struct dedup_sig a;
	unsigned char old[8 + 2 * DEDUP_K + 8 * DEDUP_ANCHORS];
	sqlite3_stmt *st;
	int i, k;

	dedup_signature("FREEDONIA RAISES RATES", story, &a);
	ck_assert(dedup_similarity(&a, &a) == 1.0);
	ck_assert_int_eq(put(RID(1), "FREEDONIA RAISES RATES", story, NULL), 0);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT length(sig) FROM dedup_sig", -1, &st,
					    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 8 + DEDUP_K + 8 * DEDUP_ANCHORS);
	sqlite3_finalize(st);
	/* the same signature in the two-byte layout of older files */
	for (k = 0; k < 4; k++) {
		old[k] = (unsigned char)(a.nshingles >> (8 * k));
		old[4 + k] = (unsigned char)(a.nanchors >> (8 * k));
	}
	for (i = 0; i < DEDUP_K; i++) {
		old[8 + 2 * i] = (unsigned char)(a.v[i] & 0xff);
		old[8 + 2 * i + 1] = (unsigned char)(a.v[i] >> 8);
	}
	for (i = 0; i < DEDUP_ANCHORS; i++)
		for (k = 0; k < 8; k++)
			old[8 + 2 * DEDUP_K + 8 * i + k] = (unsigned char)((uint64_t)a.anchor[i] >> (8 * k));
	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE dedup_sig SET sig = ?1", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, old, (int)sizeof(old), SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	ck_assert_int_eq(put(RID(1) + 5, "FREEDONIA CENTRAL BANK TIGHTENS AGAIN", edited, NULL),
			 RID(1));
}
END_TEST

START_TEST(different_not_found)
{
	struct dedup_sig a, b;

	dedup_signature("FREEDONIA RAISES RATES", story, &a);
	dedup_signature("FLOODS IN PORT CITY", other, &b);
	ck_assert(!dedup_is_copy(&a, &b));
	ck_assert(dedup_similarity(&a, &b) < 0.1);
	ck_assert_int_eq(put(RID(1), "FREEDONIA RAISES RATES", story, NULL), 0);
	ck_assert_int_eq(put(RID(2), "FLOODS IN PORT CITY", other, NULL), 0);
}
END_TEST

START_TEST(short_texts_never_flagged)
{
	struct dedup_sig s;

	dedup_signature("FED ADDS RESERVES VIA CUSTOMER REPURCHASES", "", &s);
	ck_assert(dedup_sig_short(&s));
	ck_assert(dedup_similarity(&s, &s) == 0);
	ck_assert_int_eq(put(RID(1), "FED ADDS RESERVES VIA CUSTOMER REPURCHASES", "", NULL), 0);
	ck_assert_int_eq(put(RID(2), "FED ADDS RESERVES VIA CUSTOMER REPURCHASES", "", NULL), 0);
	ck_assert_int_eq(put(RID(3), NULL, "Shares rose two pct in early trading.", NULL), 0);
	ck_assert_int_eq(put(RID(4), NULL, "Shares rose two pct in early trading.", NULL), 0);
}
END_TEST

START_TEST(earliest_copy_is_root)
{
	int64_t demoted = -1, promoted = -1;

	/* the group keeps one root, the oldest, even when an older copy arrives late */
	ck_assert_int_eq(put(RID(5), "A", story, &demoted), 0);
	ck_assert_int_eq(demoted, 0);
	ck_assert_int_eq(put(RID(7), "B", story, NULL), RID(5));
	ck_assert_int_eq(put(RID(3), "C", edited, &demoted), 0);
	ck_assert_int_eq(demoted, RID(5));
	ck_assert_int_eq(dup_of(RID(5)), RID(3));
	ck_assert_int_eq(dup_of(RID(7)), RID(3));
	ck_assert_int_eq(put(RID(9), "D", story, NULL), RID(3));
	/* the root goes: the earliest remaining copy takes over, the others follow it */
	del(RID(3), &promoted);
	ck_assert_int_eq(promoted, RID(5));
	ck_assert_int_eq(dup_of(RID(5)), 0);
	ck_assert_int_eq(dup_of(RID(7)), RID(5));
	ck_assert_int_eq(dup_of(RID(9)), RID(5));
	/* a copy that goes changes nobody */
	del(RID(7), &promoted);
	ck_assert_int_eq(promoted, 0);
	ck_assert_int_eq(dup_of(RID(9)), RID(5));
}
END_TEST

/*
 * A story of its own that quotes most of story (its first and last paragraphs) and adds a
 * paragraph: related, not a copy, though its sketch agrees as much as an edited copy's.
 */
static const char quoting[] =
	"The central bank of Freedonia raised its benchmark lending rate by half a point on "
	"Tuesday, the third increase this year, saying inflation had stayed above its target for "
	"eleven months. Governor Maria Ostrova told reporters the board would act again if "
	"consumer prices kept rising faster than wages.\n"
	"    Farm groups in the northern provinces said dearer credit would ruin growers before "
	"the harvest.\n"
	"    The bank also cut its forecast for economic growth next year to 1.8 pct from 2.1 pct, "
	"citing weaker demand from neighbouring countries and a slowdown in construction.";

/* A short story, and a roundup that quotes all of it between two items of its own. */
static const char brief[] =
	"Governor Maria Ostrova of the Freedonia central bank said on Tuesday the board would "
	"raise rates again if consumer prices kept rising faster than wages, and that inflation "
	"had stayed above target for eleven months.";
static const char roundup[] =
	"Heavy rain flooded the lower districts of the port city overnight, forcing hundreds of "
	"families from their homes and closing the coastal railway for the second time this "
	"month.\n"
	"    Governor Maria Ostrova of the Freedonia central bank said on Tuesday the board would "
	"raise rates again if consumer prices kept rising faster than wages, and that inflation "
	"had stayed above target for eleven months.\n"
	"    Rescue teams in small boats reached a school where pupils had sheltered, and the "
	"mayor asked residents to boil drinking water until the pumping stations were repaired.";

START_TEST(related_story_not_a_copy)
{
	struct dedup_sig a, b;

	/* the sketches alone would take it for a copy: the text test decides */
	dedup_signature("FREEDONIA RAISES RATES", story, &a);
	dedup_signature("FARMERS FEAR RATE RISE", quoting, &b);
	ck_assert(dedup_is_copy(&a, &b));
	ck_assert(dedup_novel(quoting, "FREEDONIA RAISES RATES", story) > DEDUP_MAX_NOVEL);
	ck_assert(dedup_novel(edited, "FREEDONIA RAISES RATES", story) == 0);
	ck_assert(!dedup_text_is_copy(&a, "FREEDONIA RAISES RATES", story, &b,
				      "FARMERS FEAR RATE RISE", quoting));
	ck_assert_int_eq(put(RID(1), "FREEDONIA RAISES RATES", story, NULL), 0);
	ck_assert_int_eq(put(RID(1) + 5, "FARMERS FEAR RATE RISE", quoting, NULL), 0);
	/* in the other order too (an older story arriving late) */
	ck_assert_int_eq(put(RID(0), "FARMERS FEAR RATE RISE", quoting, NULL), 0);
	/* and the edited copy is still one */
	ck_assert_int_eq(put(RID(2), "FREEDONIA TIGHTENS", edited, NULL), RID(1));
}
END_TEST

START_TEST(roundup_not_a_copy)
{
	struct dedup_sig a, b;

	dedup_signature("OSTROVA WARNS", brief, &a);
	dedup_signature("NEWS IN BRIEF", roundup, &b);
	ck_assert(dedup_is_copy(&a, &b));
	/* the brief adds nothing to the roundup; the roundup is more than half its own */
	ck_assert(dedup_novel(brief, "NEWS IN BRIEF", roundup) == 0);
	ck_assert(dedup_novel(roundup, "OSTROVA WARNS", brief) > DEDUP_MAX_CUT);
	ck_assert_int_eq(put(RID(1), "OSTROVA WARNS", brief, NULL), 0);
	ck_assert_int_eq(put(RID(1) + 5, "NEWS IN BRIEF", roundup, NULL), 0);
	ck_assert_int_eq(put(RID(2), "OSTROVA WARNS AGAIN", brief, NULL), RID(1));
}
END_TEST

/* Invented words from a fixed seed: text no other article shares. */
static void filler(char *out, size_t cap, unsigned seed, int words)
{
	static const char *const syl[] = { "ka", "ro", "mi", "tes", "vu", "lan", "po", "dri",
					   "su", "nel", "ga", "bor", "xi", "fen", "tu", "qua" };
	uint32_t x = seed * 2654435761u + 1;
	size_t len = 0;
	int w, k;

	for (w = 0; w < words && len + 16 < cap; w++) {
		for (k = 0; k < 3; k++) {
			x = x * 1664525u + 1013904223u;
			len += (size_t)snprintf(out + len, cap - len, "%s", syl[x >> 28]);
		}
		out[len++] = ' ';
	}
	out[len] = '\0';
}

#define NCROWD 8	/* more than the nearest articles read per anchor and side */
static char crowd[NCROWD][2048];

/*
 * Stories that share a paragraph, and so anchors, with story without being its copies:
 * invented text plus story's last paragraph, kept when they share an anchor with it.
 */
static void make_crowd(void)
{
	static const char tail[] = "The bank also cut its forecast for economic growth next year "
		"to 1.8 pct from 2.1 pct, citing weaker demand from neighbouring countries and a "
		"slowdown in construction.";
	struct dedup_sig a, c;
	unsigned seed;
	int n = 0;

	dedup_signature("FREEDONIA RAISES RATES", story, &a);
	for (seed = 1; n < NCROWD && seed < 1000; seed++) {
		filler(crowd[n], sizeof(crowd[n]) - sizeof(tail), seed, 60);
		strcat(crowd[n], tail);
		dedup_signature("GROWTH FORECAST", crowd[n], &c);
		if (dedup_share_anchor(&a, &c) && !dedup_is_copy(&a, &c))
			n++;
	}
	ck_assert_int_eq(n, NCROWD);
}

/*
 * A crowd between the original and its copy fills the anchors' nearest places: the lookup
 * reads only the nearest articles in date order on either side of the new one, and must still
 * find the copy through the anchors the crowd does not share, in both arrival orders.
 */
START_TEST(crowded_anchors_copy_newer)
{
	int i;

	make_crowd();
	ck_assert_int_eq(put(RID(20), "FREEDONIA RAISES RATES", story, NULL), 0);
	for (i = 0; i < NCROWD; i++)
		ck_assert_int_eq(put(RID(21 + i), "GROWTH FORECAST", crowd[i], NULL), 0);
	ck_assert_int_eq(put(RID(40), "FREEDONIA TIGHTENS", edited, NULL), RID(20));
}
END_TEST

START_TEST(crowded_anchors_original_late)
{
	int64_t demoted = 0;
	int i;

	make_crowd();
	ck_assert_int_eq(put(RID(40), "FREEDONIA TIGHTENS", edited, NULL), 0);
	for (i = 0; i < NCROWD; i++)
		ck_assert_int_eq(put(RID(21 + i), "GROWTH FORECAST", crowd[i], NULL), 0);
	ck_assert_int_eq(put(RID(20), "FREEDONIA RAISES RATES", story, &demoted), 0);
	ck_assert_int_eq(demoted, RID(40));
	ck_assert_int_eq(dup_of(RID(40)), RID(20));
	for (i = 0; i < NCROWD; i++)
		ck_assert_int_eq(dup_of(RID(21 + i)), 0);
}
END_TEST

/* put_in in a write transaction of its own, as the store runs them. */
static int64_t put_txn(sqlite3 *c, struct dedup *h, int64_t rid, const char *body,
		       int64_t *demoted)
{
	int64_t d;

	ck_assert_int_eq(sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	dedup_begin(h);
	d = put_in(c, h, rid, "HEADLINE", body, demoted);
	ck_assert_int_eq(sqlite3_exec(c, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	return d;
}

/*
 * Another connection (a second writer process) indexes a newer copy between two transactions
 * of this one: the lookup of an older original must see it, so what a handle caches of the
 * tables (the newest indexed rid) lasts one transaction only.
 */
START_TEST(other_writer_seen)
{
	char path[] = "/tmp/newsd-test-dedup-XXXXXX", side[64];
	int64_t demoted = -1;
	sqlite3 *db1, *db2;
	struct dedup *d1, *d2;
	char *err = NULL;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(sqlite3_open(path, &db1), SQLITE_OK);
	ck_assert_int_eq(sqlite3_open(path, &db2), SQLITE_OK);
	ck_assert_int_eq(zbody_register(db1, &err), 0);
	ck_assert_int_eq(zbody_register(db2, &err), 0);
	ck_assert_int_eq(sqlite3_exec(db1, "PRAGMA journal_mode=WAL; CREATE TABLE article("
				      "rid INTEGER PRIMARY KEY, dup_of INTEGER, title TEXT,"
				      " body TEXT)", NULL, NULL, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(dedup_schema(db1, &err), 0);
	d1 = dedup_open(db1);
	d2 = dedup_open(db2);
	/* connection 1 indexes an unrelated story and so learns the newest rid ... */
	ck_assert_int_eq(put_txn(db1, d1, RID(10), other, &demoted), 0);
	ck_assert_int_eq(demoted, 0);
	/* ... then a second writer indexes a copy, newer than everything ... */
	ck_assert_int_eq(put_txn(db2, d2, RID(30), edited, &demoted), 0);
	ck_assert_int_eq(demoted, 0);
	/* ... and connection 1's next transaction brings the original, older than the copy:
	 * it must find the copy (and become the group's root) */
	ck_assert_int_eq(put_txn(db1, d1, RID(20), story, &demoted), 0);
	ck_assert_int_eq(demoted, RID(30));
	dedup_close(d1);
	dedup_close(d2);
	sqlite3_close(db1);
	sqlite3_close(db2);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}
END_TEST

START_TEST(remove_forgets)
{
	sqlite3_stmt *st;

	ck_assert_int_eq(put(RID(1), "A", story, NULL), 0);
	del(RID(1), NULL);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM dedup_sig) +"
					    " (SELECT count(*) FROM dedup_band)", -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	ck_assert_int_eq(put(RID(2), "A", story, NULL), 0);
	/* removing something never indexed is not an error */
	del(RID(40), NULL);
}
END_TEST

START_TEST(signature_stable)
{
	struct dedup_sig a, b;
	uint64_t h = 0;
	int i;

	dedup_signature("FREEDONIA RAISES RATES", story, &a);
	dedup_signature("freedonia raises rates!", story, &b);
	ck_assert_mem_eq(&a, &b, sizeof(a));	/* case and punctuation do not matter */
	ck_assert_uint_eq(a.nshingles, 105);
	ck_assert_uint_eq(a.nanchors, DEDUP_ANCHORS);
	for (i = 0; i < DEDUP_K; i++)
		h = h * 31 + a.v[i];
	for (i = 0; i < DEDUP_ANCHORS; i++)
		h = h * 31 + (uint64_t)a.anchor[i];
	/* a fixed value: a signature stored by one build is read by the next */
	ck_assert_uint_eq(h, SIGNATURE_HASH);
}
END_TEST

static Suite *dedup_suite(void)
{
	Suite *s = suite_create("dedup");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identical_found);
	tcase_add_test(tc, edited_copy_found);
	tcase_add_test(tc, different_not_found);
	tcase_add_test(tc, stored_sketch_widths);
	tcase_add_test(tc, copy_within_window);
	tcase_add_test(tc, related_story_not_a_copy);
	tcase_add_test(tc, roundup_not_a_copy);
	tcase_add_test(tc, short_texts_never_flagged);
	tcase_add_test(tc, earliest_copy_is_root);
	tcase_add_test(tc, crowded_anchors_copy_newer);
	tcase_add_test(tc, crowded_anchors_original_late);
	tcase_add_test(tc, other_writer_seen);
	tcase_add_test(tc, remove_forgets);
	tcase_add_test(tc, signature_stable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dedup_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
