/* test_surface.c — prefixes as written: the newsd_surface and newsd_marks tokenizers
 * (surface.h) in real FTS5 tables. A prefix matches the words as written, never through their
 * stems (either way), every other query matches the stems exactly as the plain porter table
 * does, with bm25 unchanged. */
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

/* The tables: t with the surface tokenizer, m with the marks tokenizer, p with neither. */
static const char *const tables[] = { "t", "m", "p" };

/* A row's title (col 0) or body (col 1). */
typedef const char *(*cell_fn)(size_t row, int col);

/* The tables t, m and p, with n rows (rowids 1..n) of cell's title and body. */
static void tables_setup(size_t n, cell_fn cell)
{
	sqlite3_stmt *st = NULL;
	char *err = NULL;
	size_t i, k;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(surface_register(db, &err), 0);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(title, body, tags, "
				      "tokenize='" SURFACE_TOKENIZER " " TOKENIZE "');"
				      "CREATE VIRTUAL TABLE m USING fts5(title, body, tags, "
				      "tokenize='" SURFACE_MARKS_TOKENIZER " " TOKENIZE "');"
				      "CREATE VIRTUAL TABLE p USING fts5(title, body, tags, "
				      "tokenize='" TOKENIZE "')", NULL, NULL, NULL), SQLITE_OK);
	for (k = 0; k < 3; k++) {
		char sql[128];

		snprintf(sql, sizeof(sql), "INSERT INTO %s(rowid, title, body, tags)"
			 " VALUES (?, ?, ?, '0a')", tables[k]);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		for (i = 0; i < n; i++) {
			sqlite3_bind_int(st, 1, (int)i + 1);
			sqlite3_bind_text(st, 2, cell(i, 0), -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 3, cell(i, 1), -1, SQLITE_TRANSIENT);
			ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
	}
}

static const char *rows_cell(size_t row, int col)
{
	return rows[row][col];
}

static void db_setup(void)
{
	tables_setup(sizeof(rows) / sizeof(rows[0]), rows_cell);
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
	size_t k;

	for (k = 0; k < 2; k++) {
		int got = mask_of(tables[k], prefixes[_i].match);

		ck_assert_msg(got == prefixes[_i].want, "%s on %s: rows %#x, want %#x",
			      prefixes[_i].match, tables[k], (unsigned)got,
			      (unsigned)prefixes[_i].want);
	}
}
END_TEST

/* Every query without '*' matches and ranks exactly as without the wrapper: the word as
 * written is colocated, so it adds no token to a row's length. */
static const char *const same[] = {
	"immigration", "immigrants", "rules", "\"immigration rules\"", "city", "hoping",
	"export AND goods", "NEAR(immigrated settled, 5)", "{title} : exports", "zurich",
	"caf\xc3\xa9", "0a",
};

static void words_unchanged(const char *tab, const char *match)
{
	sqlite3_stmt *a = NULL, *b = NULL;
	char sql[128];
	int rc;

	/* the same rows (in rowid order, both sides stepped together) with the same bm25 */
	snprintf(sql, sizeof(sql), "SELECT rowid, bm25(%s, 2.0, 1.0, 0.0) FROM %s"
		 " WHERE %s MATCH ?1 ORDER BY rowid", tab, tab, tab);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &a, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT rowid, bm25(p, 2.0, 1.0, 0.0) FROM p"
					    " WHERE p MATCH ?1 ORDER BY rowid", -1, &b, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(a, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_text(b, 1, match, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(a)) == SQLITE_ROW) {
		ck_assert_int_eq(sqlite3_step(b), SQLITE_ROW);
		ck_assert_int_eq(sqlite3_column_int(a, 0), sqlite3_column_int(b, 0));
		ck_assert_msg(sqlite3_column_double(a, 1) == sqlite3_column_double(b, 1),
			      "%s on %s: bm25 %.17g != %.17g", match, tab,
			      sqlite3_column_double(a, 1), sqlite3_column_double(b, 1));
	}
	ck_assert_int_eq(rc, SQLITE_DONE);
	ck_assert_int_eq(sqlite3_step(b), SQLITE_DONE);
	sqlite3_finalize(a);
	sqlite3_finalize(b);
}

START_TEST(test_words_unchanged)
{
	words_unchanged("t", same[_i]);
	words_unchanged("m", same[_i]);
}
END_TEST

/*
 * newsd_marks against brute force: one word a row, each word's every prefix (in title, and
 * as a phrase's last word) matches the rows whose word begins with it, and each word the rows
 * whose word has its stem (as the plain porter table finds them). The words: their own stems,
 * words their stem begins, and words whose stem is not a prefix of them (porter's y to i, an
 * e put back, "ational" to "ate").
 */
static const char *const vocab[] = {
	"city", "cities", "citizen", "citi", "making", "make", "maker", "makes", "made",
	"happy", "happiness", "happi", "hoping", "hope", "hopes", "hopping", "relational",
	"relate", "relation", "conflating", "conflate", "conflated", "possibly", "possible",
	"export", "exports", "exporting", "oil", "oils", "agreed", "agree", "agreement",
	"generalization", "generalize", "general", "try", "tries", "trial", "trying", "rate",
	"rating", "ratings", "rationale", "sky", "skies", "ski", "skiing", "probate", "probably",
};
#define NVOCAB (sizeof(vocab) / sizeof(vocab[0]))

/* "news <word>", and a body */
static const char *vocab_cell(size_t row, int col)
{
	static char title[64];

	if (col)
		return "of the day";
	snprintf(title, sizeof(title), "news %s", vocab[row]);
	return title;
}

static void vocab_setup(void)
{
	tables_setup(NVOCAB, vocab_cell);
}

/* Rows of table tab matching match, as a bit set over rowids 1..NVOCAB. */
static void rows_of(const char *tab, const char *match, unsigned char *set)
{
	sqlite3_stmt *st = NULL;
	char sql[96];

	memset(set, 0, NVOCAB + 1);
	snprintf(sql, sizeof(sql), "SELECT rowid FROM %s WHERE %s MATCH ?1", tab, tab);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		set[sqlite3_column_int(st, 0)] = 1;
	ck_assert_int_eq(sqlite3_finalize(st), SQLITE_OK);
}

START_TEST(test_marks_exact)
{
	unsigned char got[NVOCAB + 1], want[NVOCAB + 1];
	const char *w = vocab[_i];
	char match[96];
	size_t n, j;

	for (n = 1; n <= strlen(w); n++) {
		int news = strncmp("news", w, n) == 0;	/* the word every title begins with */

		memset(want, 0, sizeof(want));
		for (j = 0; j < NVOCAB; j++)
			want[j + 1] = news || strncmp(vocab[j], w, n) == 0;
		snprintf(match, sizeof(match), "{title} : %.*s*", (int)n, w);
		rows_of("m", match, got);
		for (j = 1; j <= NVOCAB; j++)
			ck_assert_msg(got[j] == want[j], "%s: row \"%s\" %s", match,
				      vocab[j - 1], got[j] ? "matched" : "missed");
		/* the last word of a phrase */
		for (j = 0; j < NVOCAB; j++)
			want[j + 1] = strncmp(vocab[j], w, n) == 0;
		snprintf(match, sizeof(match), "{title} : \"news %.*s\" *", (int)n, w);
		rows_of("m", match, got);
		for (j = 1; j <= NVOCAB; j++)
			ck_assert_msg(got[j] == want[j], "%s: row \"%s\" %s", match,
				      vocab[j - 1], got[j] ? "matched" : "missed");
	}
	snprintf(match, sizeof(match), "{title} : %s", w);
	rows_of("m", match, got);
	rows_of("p", match, want);
	ck_assert_msg(memcmp(got, want, sizeof(got)) == 0, "%s: not the stem's rows", match);
	snprintf(match, sizeof(match), "{title} : %s OR \"of the\"", w);
	words_unchanged("m", match);
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

/* The claim behind surface_porter_may_mark, over words built from porter's suffixes: every
 * stem that does not begin its word ends in e, i or bl. */
static const char *const roots[] = {
	"rel", "cond", "happ", "form", "gener", "nat", "prob", "poss", "cap", "sens", "cr", "tr",
	"h", "m", "r", "b", "sk", "ag", "conflat", "hop", "mak", "rat", "cit", "fluen", "hesit",
	"duplic", "radic", "differ", "fam", "organ", "analog", "sol", "respons", "irrespons",
	"cred", "flex", "dur", "feas", "vis", "act", "pass", "elect", "nation", "valu", "sta",
	"adopt", "ab",
};
static const char *const suffixes[] = {
	"", "y", "ies", "ied", "ing", "ed", "s", "es", "ly", "li", "ation", "ational", "tional",
	"ence", "ency", "ance", "ancy", "enci", "anci", "ize", "izer", "ization", "able", "ably",
	"ible", "ibly", "ability", "ibility", "ivity", "iviti", "ive", "iveness", "ful", "fully",
	"fulness", "ous", "ously", "ousness", "ness", "al", "ally", "alli", "alism", "ality",
	"aliti", "alize", "ate", "ator", "icate", "icity", "iciti", "ical", "ic", "ment", "ement",
	"ent", "ently", "entli", "ant", "er", "ism", "iti", "ity", "ion", "tion", "sion", "ou",
	"logy", "logi", "bli", "bly", "eed", "ee", "at", "bl", "iz", "e", "ll", "eli", "ely",
	"ousli", "ying",
};

static int stem_cb(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
	struct buf *b = ctx;

	(void)tflags;
	(void)start;
	(void)end;
	b->len = 0;
	buf_append(b, tok, (size_t)ntok);
	return SQLITE_OK;
}

START_TEST(test_porter_tails)
{
	static const char *args[] = { "unicode61", "remove_diacritics", "2" };
	char *err = NULL;
	fts5_api *api = store_fts5_api(db, "test", &err);
	fts5_tokenizer tok;
	Fts5Tokenizer *inst = NULL;
	void *ud = NULL;
	struct buf stem = { 0 };
	char word[64];
	size_t i, j, k, unsafe = 0, n;

	ck_assert_ptr_nonnull(api);
	ck_assert_int_eq(api->xFindTokenizer(api, "porter", &ud, &tok), SQLITE_OK);
	ck_assert_int_eq(tok.xCreate(ud, args, 3, &inst), SQLITE_OK);
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		for (j = 0; j < sizeof(suffixes) / sizeof(suffixes[0]); j++)
			for (k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
				n = (size_t)snprintf(word, sizeof(word), "%s%s%s", roots[i],
						     suffixes[j], suffixes[k]);
				ck_assert_int_eq(tok.xTokenize(inst, &stem, FTS5_TOKENIZE_DOCUMENT,
							       word, (int)n, stem_cb), SQLITE_OK);
				if (stem.len <= n && memcmp(stem.data, word, stem.len) == 0)
					continue;
				unsafe++;
				ck_assert_msg(surface_porter_may_mark(stem.data, stem.len),
					      "%s: stem %.*s", word, (int)stem.len, stem.data);
			}
	ck_assert_uint_gt(unsafe, 1000);	/* the words do reach those rewrites */
	ck_assert_int_eq(surface_porter_may_mark("trade", 5), 1);
	ck_assert_int_eq(surface_porter_may_mark("oil", 3), 0);
	tok.xDelete(inst);
	buf_free(&stem);
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
	tcase_add_test(tc, test_porter_tails);
	suite_add_tcase(s, tc);
	tc = tcase_create("marks");
	tcase_add_checked_fixture(tc, vocab_setup, db_teardown);
	tcase_add_loop_test(tc, test_marks_exact, 0, NVOCAB);
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
