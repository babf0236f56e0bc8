/* test_surface.c — prefixes as written: the newsd_surface tokenizer (surface.h) in a real FTS5
 * table. A prefix matches the words as written, never through their stems (either way), every
 * other query matches the stems exactly as the plain porter table does, with bm25 unchanged. */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "surface.h"
#include "util.h"

#define TOKENIZE "porter unicode61 remove_diacritics 2"

static sqlite3 *db;

static const char *const rows[][2] = {
	{ "Immigration rules", "New immigration rules were drafted in Washington." },
	{ "Families immigrated", "They immigrated in 1990 and settled." },
	{ "Immigrant workers", "Immigrants work on farms." },
	{ "Caf\xc3\xa9 in Z\xc3\xbcrich", "Hoping for the best, the city council met." },
	{ "Exports rise", "Exporters said export volumes grew; exported goods doubled." },
};

/* Two tables with the rows above as rowids 1..5: t with the surface tokenizer, p without. */
static void db_setup(void)
{
	sqlite3_stmt *st = NULL;
	char *err = NULL;
	const char *tables[] = { "t", "p" };
	size_t i, k;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(surface_register(db, &err), 0);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(title, body, tags, "
				      "tokenize='" SURFACE_TOKENIZER " " TOKENIZE "');"
				      "CREATE VIRTUAL TABLE p USING fts5(title, body, tags, "
				      "tokenize='" TOKENIZE "')", NULL, NULL, NULL), SQLITE_OK);
	for (k = 0; k < 2; k++) {
		char sql[128];

		snprintf(sql, sizeof(sql), "INSERT INTO %s(rowid, title, body, tags)"
			 " VALUES (?, ?, ?, '0a')", tables[k]);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			sqlite3_bind_int(st, 1, (int)i + 1);
			sqlite3_bind_text(st, 2, rows[i][0], -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, rows[i][1], -1, SQLITE_STATIC);
			ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
	}
}

static void db_teardown(void)
{
	sqlite3_close(db);
	db = NULL;
}

/* The rowids of table tab matching match, as bits (1 << rowid); -1 when FTS5 refused it. */
static int mask_of(const char *tab, const char *match)
{
	sqlite3_stmt *st = NULL;
	char sql[96];
	int mask = 0, rc;

	snprintf(sql, sizeof(sql), "SELECT rowid FROM %s WHERE %s MATCH ?1", tab, tab);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		mask |= 1 << sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? mask : -1;
}

#define R(n) (1 << (n))

static const struct {
	const char *match;
	int want;
} prefixes[] = {
	/* as written: "immigration", "immigrated" (stem "immigr"), not "immigrant(s)" */
	{ "immigrat*", R(1) | R(2) },
	{ "immig*", R(1) | R(2) | R(3) },
	{ "immigr*", R(1) | R(2) | R(3) },
	{ "immigrant*", R(3) },
	{ "immigrants*", R(3) },
	/* the stem is not a word: "city" (stem "citi"), "hoping" (stem "hope") */
	{ "citi*", 0 },
	{ "city*", R(4) },
	{ "hope*", 0 },
	{ "hopi*", R(4) },
	{ "exporte*", R(5) },
	{ "export*", R(5) },
	{ "exportin*", 0 },
	/* folded as the index folds: case and diacritics, in the query too */
	{ "zuri*", R(4) },
	{ "Z\xc3\xbcri*", R(4) },
	{ "CAF*", R(4) },
	{ "caf\xc3\xa9*", R(4) },
	/* a phrase ending in a prefix: the other words keep their stems */
	{ "\"they immigrat\" *", R(2) },
	{ "\"immigration rul\" *", R(1) },
	{ "\"immigrating rul\" *", R(1) },
	{ "{title} : immigrat*", R(1) | R(2) },
	{ "{body} : immigrat*", R(1) | R(2) },
	{ "NEAR(immigrat* rules, 2)", R(1) },
	{ "immigrat* NOT families", R(1) },
	{ "immigrat* OR immigrant*", R(1) | R(2) | R(3) },
	/* the marker's byte in a query is a separator, as every control character */
	{ "\"\x01immigr\" *", R(1) | R(2) | R(3) },
};

START_TEST(test_prefix_as_written)
{
	int got = mask_of("t", prefixes[_i].match);

	ck_assert_msg(got == prefixes[_i].want, "%s: rows %#x, want %#x", prefixes[_i].match,
		      (unsigned)got, (unsigned)prefixes[_i].want);
}
END_TEST

/* Every query without '*' matches and ranks exactly as without the wrapper: the word as
 * written is colocated, so it adds no token to a row's length. */
static const char *const same[] = {
	"immigration", "immigrants", "rules", "\"immigration rules\"", "city", "hoping",
	"export AND goods", "NEAR(immigrated settled, 5)", "{title} : exports", "zurich",
	"caf\xc3\xa9", "0a",
};

START_TEST(test_words_unchanged)
{
	sqlite3_stmt *a = NULL, *b = NULL;
	int rc;

	ck_assert_int_eq(mask_of("t", same[_i]), mask_of("p", same[_i]));
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT rowid, bm25(t, 2.0, 1.0, 0.0) FROM t"
					    " WHERE t MATCH ?1 ORDER BY rowid", -1, &a, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT rowid, bm25(p, 2.0, 1.0, 0.0) FROM p"
					    " WHERE p MATCH ?1 ORDER BY rowid", -1, &b, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(a, 1, same[_i], -1, SQLITE_STATIC);
	sqlite3_bind_text(b, 1, same[_i], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(a)) == SQLITE_ROW) {
		ck_assert_int_eq(sqlite3_step(b), SQLITE_ROW);
		ck_assert_int_eq(sqlite3_column_int(a, 0), sqlite3_column_int(b, 0));
		ck_assert_msg(sqlite3_column_double(a, 1) == sqlite3_column_double(b, 1),
			      "%s: bm25 %.17g != %.17g", same[_i], sqlite3_column_double(a, 1),
			      sqlite3_column_double(b, 1));
	}
	ck_assert_int_eq(rc, SQLITE_DONE);
	ck_assert_int_eq(sqlite3_step(b), SQLITE_DONE);
	sqlite3_finalize(a);
	sqlite3_finalize(b);
}
END_TEST

/* The tokens themselves, from the registered tokenizer. */
struct seen {
	char text[8][32];
	int flags[8];
	int n;
};

static int seen_cb(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
	struct seen *s = ctx;

	(void)start;
	(void)end;
	ck_assert_int_lt(s->n, 8);
	ck_assert_int_lt(ntok, 32);
	memcpy(s->text[s->n], tok, (size_t)ntok);
	s->text[s->n][ntok] = '\0';
	s->flags[s->n++] = tflags;
	return SQLITE_OK;
}

START_TEST(test_tokens)
{
	static const char *args[] = { "porter", "unicode61", "remove_diacritics", "2" };
	char *err = NULL;
	fts5_api *api = store_fts5_api(db, "test", &err);
	fts5_tokenizer tok;
	Fts5Tokenizer *inst = NULL;
	void *ud = NULL;
	struct seen s;
	const char *doc = "Z\xc3\xbcrich Hoping", *q = "federal Immigrat";

	ck_assert_ptr_nonnull(api);
	ck_assert_int_eq(api->xFindTokenizer(api, SURFACE_TOKENIZER, &ud, &tok), SQLITE_OK);
	ck_assert_int_eq(tok.xCreate(ud, args, 4, &inst), SQLITE_OK);
	/* a document: each stem, then its word as written behind the marker, colocated */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(tok.xTokenize(inst, &s, FTS5_TOKENIZE_DOCUMENT, doc, (int)strlen(doc),
				       seen_cb), SQLITE_OK);
	ck_assert_int_eq(s.n, 4);
	ck_assert_str_eq(s.text[0], "zurich");
	ck_assert_int_eq(s.flags[0], 0);
	ck_assert_str_eq(s.text[1], "\x01zurich");
	ck_assert_int_eq(s.flags[1], FTS5_TOKEN_COLOCATED);
	ck_assert_str_eq(s.text[2], "hope");
	ck_assert_str_eq(s.text[3], "\x01hoping");
	ck_assert_int_eq(s.flags[3], FTS5_TOKEN_COLOCATED);
	/* a query word: the stem only */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(tok.xTokenize(inst, &s, FTS5_TOKENIZE_QUERY, q, (int)strlen(q), seen_cb),
			 SQLITE_OK);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.text[0], "feder");
	ck_assert_str_eq(s.text[1], "immigrat");	/* porter's stem of "immigrat" */
	/* a phrase ending in a prefix: the last word as written, the others stemmed */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(tok.xTokenize(inst, &s, FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX, q,
				       (int)strlen(q), seen_cb), SQLITE_OK);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.text[0], "feder");
	ck_assert_str_eq(s.text[1], "\x01immigrat");
	ck_assert_int_eq(s.flags[1], 0);
	/* nothing to tokenize */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(tok.xTokenize(inst, &s, FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX, "--",
				       2, seen_cb), SQLITE_OK);
	ck_assert_int_eq(s.n, 0);
	tok.xDelete(inst);
	/* without a stemmer (the folding chain is the chain): the word, and itself marked */
	ck_assert_int_eq(tok.xCreate(ud, args + 1, 3, &inst), SQLITE_OK);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(tok.xTokenize(inst, &s, FTS5_TOKENIZE_DOCUMENT, doc, (int)strlen(doc),
				       seen_cb), SQLITE_OK);
	ck_assert_int_eq(s.n, 4);
	ck_assert_str_eq(s.text[2], "hoping");
	ck_assert_str_eq(s.text[3], "\x01hoping");
	tok.xDelete(inst);
	/* a parent that does not exist: the table cannot be made */
	ck_assert_int_ne(sqlite3_exec(db, "CREATE VIRTUAL TABLE bad USING fts5(x, tokenize='"
				      SURFACE_TOKENIZER " nosuch')", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db, "CREATE VIRTUAL TABLE bad2 USING fts5(x, tokenize='"
				      SURFACE_TOKENIZER "')", NULL, NULL, NULL), SQLITE_OK);
}
END_TEST

START_TEST(test_fold_ascii)
{
	char out[16];

	ck_assert_int_eq(surface_fold_ascii("ImMiG9", 6, out), 1);
	ck_assert_int_eq(memcmp(out, "immig9", 6), 0);
	ck_assert_int_eq(surface_fold_ascii("Z\xc3\xbcri", 5, out), 0);
}
END_TEST

static Suite *surface_suite(void)
{
	Suite *s = suite_create("surface");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_add_loop_test(tc, test_prefix_as_written, 0, sizeof(prefixes) / sizeof(prefixes[0]));
	tcase_add_loop_test(tc, test_words_unchanged, 0, sizeof(same) / sizeof(same[0]));
	tcase_add_test(tc, test_tokens);
	tcase_add_test(tc, test_fold_ascii);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(surface_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
