/* test_query.c — the query language: expected compilations, errors with positions, and every
 * compiled MATCH run against a real FTS5 table (valid, hostile and random inputs). */
#include <check.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "util.h"

static sqlite3 *db;

static const char *const rows[][3] = {
	{ "Oil prices rise", "Crude oil output grew in Texas", "0a src_a" },
	{ "Gas supply", "Natural gas and oil exports", "0a src_b" },
	{ "Protest in capital", "Thousands protest fuel prices", "0a src_a" },
	{ "Immigration raid", "Federal agents raided homes; immigrants detained", "0a src_b" },
	{ "Ice cream sales", "AT&T and U.S. markets, caf\xc3\xa9 owners", "0a src_a" },
};

/* An in-memory FTS5 table shaped like the real one, with the rows above as rowids 1..5. */
static void db_setup(void)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(title, body, tags, "
				      "tokenize='porter unicode61 remove_diacritics 2')",
				      NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO t(rowid, title, body, tags) "
					    "VALUES (?, ?, ?, ?)", -1, &st, NULL), SQLITE_OK);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sqlite3_bind_int(st, 1, (int)i + 1);
		sqlite3_bind_text(st, 2, rows[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, rows[i][1], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, rows[i][2], -1, SQLITE_STATIC);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

static void db_teardown(void)
{
	sqlite3_close(db);
	db = NULL;
}

/*
 * Run match against the table. Returns the SQLite result code (SQLITE_DONE when FTS5
 * accepted it) and, when mask is not NULL, the set of matching rowids as bits.
 */
static int run_match(const char *match, unsigned *mask)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (mask)
		*mask = 0;
	rc = sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ? ORDER BY rank", -1, &st,
				NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (mask)
			*mask |= 1u << sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc;
}

/* Compile q with lim; returns query_compile's result, outputs through the pointers. */
static int compile(const char *q, size_t len, const struct query_limits *lim, char **match,
		   char **parsed, char **err, int *pos)
{
	*match = *parsed = *err = NULL;
	*pos = -12345;
	return query_compile(q, len, lim, match, parsed, err, pos);
}

/*
 * The invariant for any input: either a MATCH that FTS5 runs without error and whose parsed
 * form compiles to the same MATCH again, or an error with a message and 0 <= pos <= len.
 */
static void check_safe(const char *q, size_t len, const struct query_limits *lim)
{
	char *match, *parsed, *err, *m2, *p2, *e2;
	int pos, pos2, rc;

	if (compile(q, len, lim, &match, &parsed, &err, &pos) == 0) {
		ck_assert_ptr_nonnull(match);
		ck_assert_ptr_nonnull(parsed);
		ck_assert_ptr_null(err);
		rc = run_match(match, NULL);
		ck_assert_msg(rc == SQLITE_DONE, "FTS5 rejected %s (from %.*s): %s", match,
			      (int)len, q, sqlite3_errmsg(db));
		ck_assert_msg(compile(parsed, strlen(parsed), lim, &m2, &p2, &e2, &pos2) == 0,
			      "parsed form %s of %.*s does not compile: %s", parsed, (int)len, q,
			      e2);
		ck_assert_str_eq(m2, match);
		ck_assert_str_eq(p2, parsed);
		free(m2);
		free(p2);
	} else {
		ck_assert_ptr_null(match);
		ck_assert_ptr_null(parsed);
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(pos >= 0 && (size_t)pos <= len, "position %d out of 0..%zu for %.*s",
			      pos, len, (int)len, q);
	}
	free(match);
	free(parsed);
	free(err);
}

static const struct {
	const char *q, *match, *parsed;
} valid[] = {
	{ "ice shooting", "({title body} : \"ice\" AND {title body} : \"shooting\")",
	  "ice AND shooting" },
	{ "ice AND shooting", "({title body} : \"ice\" AND {title body} : \"shooting\")",
	  "ice AND shooting" },
	{ "ice OR dhs", "({title body} : \"ice\" OR {title body} : \"dhs\")", "ice OR dhs" },
	{ "(oil OR gas) -protest",
	  "(({title body} : \"oil\" OR {title body} : \"gas\") NOT {title body} : \"protest\")",
	  "(oil OR gas) AND NOT protest" },
	{ "oil -crude", "({title body} : \"oil\" NOT {title body} : \"crude\")",
	  "oil AND NOT crude" },
	{ "bank NOT japan", "({title body} : \"bank\" NOT {title body} : \"japan\")",
	  "bank AND NOT japan" },
	{ "-protest", "({tags} : \"0a\" NOT {title body} : \"protest\")", "NOT protest" },
	{ "NOT protest", "({tags} : \"0a\" NOT {title body} : \"protest\")", "NOT protest" },
	{ "-a -b", "({tags} : \"0a\" NOT ({title body} : \"a\" OR {title body} : \"b\"))",
	  "NOT a AND NOT b" },
	{ "a -b -c",
	  "({title body} : \"a\" NOT ({title body} : \"b\" OR {title body} : \"c\"))",
	  "a AND NOT b AND NOT c" },
	{ "a OR -b", "(({tags} : \"0a\" NOT {title body} : \"b\") OR {title body} : \"a\")",
	  "a OR NOT b" },
	{ "-(a b)", "({tags} : \"0a\" NOT ({title body} : \"a\" AND {title body} : \"b\"))",
	  "NOT (a AND b)" },
	{ "NOT NOT a", "{title body} : \"a\"", "a" },
	{ "-(-a)", "{title body} : \"a\"", "a" },
	{ "\"federal agents\"", "{title body} : \"federal agents\"", "\"federal agents\"" },
	{ "\"  federal \t agents \"", "{title body} : \"federal agents\"", "\"federal agents\"" },
	{ "immig*", "{title body} : \"immig\" *", "immig*" },
	{ "a**", "{title body} : \"a\" *", "a*" },
	{ "\"crude o\"*", "{title body} : \"crude o\" *", "\"crude o\"*" },
	{ "title:shooting", "{title} : \"shooting\"", "title:shooting" },
	{ "TITLE:oil body:gas*", "({title} : \"oil\" AND {body} : \"gas\" *)",
	  "title:oil AND body:gas*" },
	{ "title:\"crude oil\"", "{title} : \"crude oil\"", "title:\"crude oil\"" },
	{ "title:-x", "{title} : \"-x\"", "title:\"-x\"" },
	{ "title:OR", "{title} : \"OR\"", "title:\"OR\"" },
	{ "\"agents shooting\"~5", "{title body} : NEAR(\"agents\" \"shooting\", 5)",
	  "\"agents shooting\"~5" },
	{ "body:\"agents shooting\"~0", "{body} : NEAR(\"agents\" \"shooting\", 0)",
	  "body:\"agents shooting\"~0" },
	{ "NEAR(agents shooting, 5)", "{title body} : NEAR(\"agents\" \"shooting\", 5)",
	  "NEAR(agents shooting, 5)" },
	{ "NEAR(agents shooting)", "{title body} : NEAR(\"agents\" \"shooting\", 10)",
	  "NEAR(agents shooting, 10)" },
	{ "NEAR ( agents \"federal agents\" immig* ,1000 )",
	  "{title body} : NEAR(\"agents\" \"federal agents\" \"immig\" *, 1000)",
	  "NEAR(agents \"federal agents\" immig*, 1000)" },
	{ "NEAR(a & b)", "{title body} : NEAR(\"a\" \"b\", 10)", "NEAR(a b, 10)" },
	{ "NEAR", "{title body} : \"NEAR\"", "\"NEAR\"" },
	{ "a NEAR b",
	  "({title body} : \"a\" AND {title body} : \"NEAR\" AND {title body} : \"b\")",
	  "a AND \"NEAR\" AND b" },
	{ "AT&T", "{title body} : \"AT&T\"", "AT&T" },
	{ "U.S.", "{title body} : \"U.S.\"", "U.S." },
	{ "ice-cream", "{title body} : \"ice-cream\"", "ice-cream" },
	{ "or and not near", "({title body} : \"or\" AND {title body} : \"and\" AND "
	  "{title body} : \"not\" AND {title body} : \"near\")", "or AND and AND not AND near" },
	{ "a & -- ... b", "({title body} : \"a\" AND {title body} : \"b\")", "a AND b" },
	{ "- foo", "{title body} : \"foo\"", "foo" },
	{ "--foo", "{title body} : \"--foo\"", "\"--foo\"" },
	{ "10:30 http://x.com/a",
	  "({title body} : \"10:30\" AND {title body} : \"http://x.com/a\")",
	  "\"10:30\" AND \"http://x.com/a\"" },
	{ "caf\xc3\xa9", "{title body} : \"caf\xc3\xa9\"", "caf\xc3\xa9" },
	{ "\xe6\x9d\xb1\xe4\xba\xac", "{title body} : \"\xe6\x9d\xb1\xe4\xba\xac\"",
	  "\xe6\x9d\xb1\xe4\xba\xac" },
	{ "ice \xf0\x9f\x98\x80 \xe2\x80\x94", "{title body} : \"ice\"", "ice" },
	{ "a OR (b OR c)",
	  "({title body} : \"a\" OR {title body} : \"b\" OR {title body} : \"c\")",
	  "a OR b OR c" },
	{ "a b OR c", "(({title body} : \"a\" AND {title body} : \"b\") OR {title body} : \"c\")",
	  "(a AND b) OR c" },
	{ "((((a))))", "{title body} : \"a\"", "a" },
	{ "x NEAR(&)", "{title body} : \"x\"", "x" },
	{ "a \"\" b", "({title body} : \"a\" AND {title body} : \"b\")", "a AND b" },
	{ "a(b)", "({title body} : \"a\" AND {title body} : \"b\")", "a AND b" },
	{ "(a)-b", "({title body} : \"a\" AND {title body} : \"-b\")", "a AND \"-b\"" },
	{ "\"OR\"", "{title body} : \"OR\"", "\"OR\"" },
	{ "dotnet -.net", "({title body} : \"dotnet\" NOT {title body} : \".net\")",
	  "dotnet AND NOT .net" },
	{ "a -& b", "({title body} : \"a\" AND {title body} : \"b\")", "a AND b" },
};

START_TEST(test_valid)
{
	char *match, *parsed, *err;
	int pos;
	unsigned mask;

	ck_assert_msg(compile(valid[_i].q, strlen(valid[_i].q), NULL, &match, &parsed, &err,
			      &pos) == 0, "%s: %s at %d", valid[_i].q, err, pos);
	ck_assert_str_eq(match, valid[_i].match);
	ck_assert_str_eq(parsed, valid[_i].parsed);
	ck_assert_int_eq(run_match(match, &mask), SQLITE_DONE);
	free(match);
	free(parsed);
	check_safe(valid[_i].q, strlen(valid[_i].q), NULL);
}
END_TEST

static const struct {
	const char *q;
	int pos;
	const char *word;
} invalid[] = {
	{ "", 0, "no searchable words" },
	{ "   ", 0, "no searchable words" },
	{ "& -- ...", 0, "no searchable words" },
	{ "-", 0, "no searchable words" },
	{ "NEAR(&)", 0, "no searchable words" },
	{ "\"", 0, "unbalanced quote" },
	{ "ice \"federal agents", 4, "unbalanced quote" },
	{ "title:\"", 6, "unbalanced quote" },
	{ "a \"b\" \"c", 6, "unbalanced quote" },
	{ "((((", 3, "missing closing parenthesis" },
	{ "(a (b)", 0, "missing closing parenthesis" },
	{ "near(", 4, "missing closing parenthesis" },
	{ ")", 0, "unbalanced closing parenthesis" },
	{ "a b)", 3, "unbalanced closing parenthesis" },
	{ "(a))", 3, "unbalanced closing parenthesis" },
	{ "()", 0, "empty parentheses" },
	{ "a ( ) b", 2, "empty parentheses" },
	{ "ice OR", 4, "OR needs a term" },
	{ "OR ice", 0, "OR needs a term" },
	{ "OR OR", 0, "OR needs a term" },
	{ "a OR OR b", 2, "OR needs a term" },
	{ "(a OR) b", 3, "OR needs a term" },
	{ "AND ice", 0, "AND needs a term" },
	{ "ice AND", 4, "AND needs a term" },
	{ "ice AND OR b", 4, "AND needs a term" },
	{ "NOT", 0, "NOT needs a term" },
	{ "a NOT", 2, "NOT needs a term" },
	{ "NOT OR a", 0, "NOT needs a term" },
	{ "-NOT", 1, "NOT needs a term" },
	{ "*", 0, "* must follow a word" },
	{ "a *", 2, "* must follow a word" },
	{ "&*", 1, "* must follow a word" },
	{ "title:*", 6, "* must follow a word" },
	{ "title:", 0, "title: and body:" },
	{ "x body: y", 2, "title: and body:" },
	{ "title:(a b)", 0, "title: and body:" },
	{ "\"a\"~", 3, "distance" },
	{ "\"a\"~x", 3, "distance" },
	{ "\"a\"~5x", 3, "distance" },
	{ "\"a\"~1001", 4, "distance" },
	{ "\"a\"~99999999999999999999", 4, "distance" },
	{ "NEAR(a", 4, "missing closing parenthesis" },
	{ "NEAR(a b,", 4, "missing closing parenthesis" },
	{ "NEAR()", 0, "at least one word" },
	{ "NEAR(a b,)", 9, "distance" },
	{ "NEAR(a b, 1001)", 10, "distance" },
	{ "NEAR(a b, -1)", 10, "distance" },
	{ "NEAR(a b, 5 c)", 12, "must end" },
	{ "NEAR(, 5)", 5, "before the distance" },
	{ "NEAR(a OR b)", 7, "only words and phrases" },
	{ "NEAR(a (b))", 7, "only words and phrases" },
	{ "NEAR(a \"b)", 7, "unbalanced quote" },
	{ "NEAR(a*, 5) *", 12, "* must follow a word" },
	{ "a\xff", 1, "UTF-8" },
	{ "\xc0\x80", 0, "UTF-8" },
	{ "ab\xe2\x82", 2, "UTF-8" },
	{ "\xed\xa0\x80", 0, "UTF-8" },
};

START_TEST(test_invalid)
{
	char *match, *parsed, *err;
	int pos;

	ck_assert_msg(compile(invalid[_i].q, strlen(invalid[_i].q), NULL, &match, &parsed, &err,
			      &pos) == -1, "%s compiled", invalid[_i].q);
	ck_assert_ptr_null(match);
	ck_assert_ptr_null(parsed);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(pos == invalid[_i].pos, "%s: position %d, expected %d (%s)", invalid[_i].q,
		      pos, invalid[_i].pos, err);
	ck_assert_msg(strstr(err, invalid[_i].word) != NULL, "%s: message \"%s\" lacks \"%s\"",
		      invalid[_i].q, err, invalid[_i].word);
	free(err);
}
END_TEST

START_TEST(test_nul_and_null)
{
	char *match, *parsed, *err;
	int pos;

	ck_assert_int_eq(compile("a\0b", 3, NULL, &match, &parsed, &err, &pos), -1);
	ck_assert_int_eq(pos, 1);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	free(err);
	ck_assert_int_eq(compile(NULL, 0, NULL, &match, &parsed, &err, &pos), -1);
	ck_assert_int_eq(pos, 0);
	free(err);
	/* only the first len bytes count */
	ck_assert_int_eq(compile("oil)", 3, NULL, &match, &parsed, &err, &pos), 0);
	ck_assert_str_eq(parsed, "oil");
	free(match);
	free(parsed);
	/* NULL outputs are allowed */
	ck_assert_int_eq(query_compile("(", 1, NULL, NULL, NULL, NULL, NULL), -1);
	ck_assert_int_eq(query_compile("a", 1, NULL, NULL, NULL, NULL, NULL), 0);
}
END_TEST

/* n space-separated words w0 w1 …, malloc'd. */
static char *words(int n)
{
	struct buf b = { 0 };
	int i;

	for (i = 0; i < n; i++)
		buf_printf(&b, "%sw%d", i ? " " : "", i);
	return buf_detach(&b);
}

START_TEST(test_limits)
{
	struct query_limits lim = { 16, 3, 2 };
	char *match, *parsed, *err, *q;
	int pos;
	size_t off;

	ck_assert_int_eq(compile("aaaa bbbb cccc dd", 17, &lim, &match, &parsed, &err, &pos), -1);
	ck_assert_int_eq(pos, 16);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	free(err);
	ck_assert_int_eq(compile("a b c d", 7, &lim, &match, &parsed, &err, &pos), -1);
	ck_assert_int_eq(pos, 6);
	ck_assert_ptr_nonnull(strstr(err, "too many terms (limit 3)"));
	free(err);
	ck_assert_int_eq(compile("NEAR(a b c d)", 13, &lim, &match, &parsed, &err, &pos), -1);
	ck_assert_int_eq(pos, 11);
	free(err);
	ck_assert_int_eq(compile("\"a b c d\"~3", 11, &lim, &match, &parsed, &err, &pos), -1);
	ck_assert_int_eq(pos, 7);
	free(err);
	ck_assert_int_eq(compile("a & b ; c", 9, &lim, &match, &parsed, &err, &pos), 0);
	free(match);
	free(parsed);
	ck_assert_int_eq(compile("((a) b)", 7, &lim, &match, &parsed, &err, &pos), 0);
	free(match);
	free(parsed);
	ck_assert_int_eq(compile("(((a)))", 7, &lim, &match, &parsed, &err, &pos), -1);
	ck_assert_int_eq(pos, 2);
	ck_assert_ptr_nonnull(strstr(err, "too deeply nested (limit 2)"));
	free(err);

	/* defaults: 256 terms, depth 32, 4096 bytes */
	q = words(256);
	ck_assert_int_eq(compile(q, strlen(q), NULL, &match, &parsed, &err, &pos), 0);
	ck_assert_int_eq(run_match(match, NULL), SQLITE_DONE);
	free(match);
	free(parsed);
	free(q);
	q = words(300);
	ck_assert_int_eq(compile(q, strlen(q), NULL, &match, &parsed, &err, &pos), -1);
	off = (size_t)(strstr(q, " w256 ") - q) + 1;
	ck_assert_int_eq(pos, (int)off);
	ck_assert_ptr_nonnull(strstr(err, "too many terms (limit 256)"));
	free(err);
	free(q);
	q = xasprintf("%.40s x %.40s", "((((((((((((((((((((((((((((((((((((((((",
		      "))))))))))))))))))))))))))))))))))))))))");
	ck_assert_int_eq(compile(q, strlen(q), NULL, &match, &parsed, &err, &pos), -1);
	ck_assert_int_eq(pos, 32);
	free(err);
	free(q);
	q = xasprintf("%.32s x %.32s", "((((((((((((((((((((((((((((((((((((((((",
		      "))))))))))))))))))))))))))))))))))))))))");
	ck_assert_int_eq(compile(q, strlen(q), NULL, &match, &parsed, &err, &pos), 0);
	ck_assert_str_eq(match, "{title body} : \"x\"");
	free(match);
	free(parsed);
	free(q);
	q = xmalloc(5000);
	memset(q, 'a', 5000);
	ck_assert_int_eq(compile(q, 5000, NULL, &match, &parsed, &err, &pos), -1);
	ck_assert_int_eq(pos, 4096);
	free(err);
	ck_assert_int_eq(compile(q, 4096, NULL, &match, &parsed, &err, &pos), 0);
	ck_assert_int_eq(run_match(match, NULL), SQLITE_DONE);
	free(match);
	free(parsed);
	free(q);
}
END_TEST

/* Hostile inputs: each must compile to a MATCH FTS5 runs, or fail with a position in range. */
static const char *const hostile[] = {
	"\"", "((((", ")", "*", "-", "NOT", "AT&T", "U.S.", "ice-cream", "or", "and", "near(",
	"title:", "title:\"", "\"a\"~", "\"a\"~x", "NEAR(a", "a**", "\x01", "\x01 a \x7f b",
	"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80*", "a \xf0\x9f\x98\x80 b", "\xe2\x80\x94 -\xe2\x80\x94",
	"-\"\"", "\"\"", "\"\"*", "\"\"~3", "\" \"", "{title} : x", "{tags} : \"0a\"", "tags:0a",
	"x:y:z", "title:title:x", "body:\"a\"~3 OR title:b*", "NEAR(title:a b)", "NEAR(\"\" a)",
	"a) OR (b", "^a", "a^2", "a:", ":a", ":", "~", "~5", "a~5", ",", "a,b", "1,000",
	"NEAR(a,5) NEAR(b,6)", "NEAR(a b,5)NEAR(c d)", "\"a\"\"b\"", "\"a\" \"b\"~2*", "-(", "-)",
	"-(a", "(-)", "( - )", "NOT (NOT (NOT a))", "a - b", "a -- b", "a -\"b c\" -(d OR e)",
	"'quoted'", "it's", "a;DROP TABLE t;--", "{", "}", "[a]", "a+b", "+a", "a|b", "a&&b",
	"\\", "\\\"", "a\\\" b", "%", "_", "NEAR/3", "a NEAR/3 b", "^", "$", "@user", "#tag",
	"e\xcc\x81", "\xcc\x81", "\xc2\xa0", "a\xc2\xa0" "b", "\xef\xbb\xbf" "a",
	"\xe3\x80\x82", "\xef\xbc\x81", "0a", "-0a", "ALL", "*a", "a*b*", "title:a*b",
};

START_TEST(test_hostile)
{
	size_t i;
	char *q;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		check_safe(hostile[i], strlen(hostile[i]), NULL);
	q = words(300);
	check_safe(q, strlen(q), NULL);
	free(q);
	q = xasprintf("%.40s a %.40s", "((((((((((((((((((((((((((((((((((((((((",
		      "))))))))))))))))))))))))))))))))))))))))");
	check_safe(q, strlen(q), NULL);
	free(q);
}
END_TEST

/* A small deterministic generator (xorshift), so failures reproduce everywhere. */
static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

START_TEST(test_brute_force)
{
	static const char *const alphabet[] = {
		"a", "b", "\"", "(", ")", "-", "*", ":", "~", "OR", "AND", "NOT", "NEAR", ",",
		"5", " ", " ", "title", "a", " ",
	};
	const size_t nalpha = sizeof(alphabet) / sizeof(alphabet[0]);
	struct buf b = { 0 };
	int n, k, len, ok = 0;

	rng_state = 20240601;
	for (n = 0; n < 4000; n++) {
		buf_reset(&b);
		len = 1 + (int)(rng() % 16);
		for (k = 0; k < len; k++)
			buf_puts(&b, alphabet[rng() % nalpha]);
		if (query_compile(b.data, b.len, NULL, NULL, NULL, NULL, NULL) == 0)
			ok++;
		check_safe(b.data, b.len, NULL);
	}
	/* the alphabet is meant to produce both outcomes often */
	ck_assert_int_gt(ok, 400);
	ck_assert_int_lt(ok, 3600);
	buf_free(&b);
}
END_TEST

START_TEST(test_random_bytes)
{
	unsigned char q[24];
	int n, k, len;

	rng_state = 77;
	for (n = 0; n < 3000; n++) {
		len = 1 + (int)(rng() % (int)sizeof(q));
		for (k = 0; k < len; k++) {
			uint32_t r = rng();
			/* mostly printable ASCII, some control and high bytes */
			q[k] = (unsigned char)(r % 8 == 0 ? (r >> 8) & 0xFF : 0x20 + (r >> 8) % 95);
		}
		check_safe((const char *)q, (size_t)len, NULL);
	}
}
END_TEST

/*
 * Nesting shapes that are costly for FTS5's parser stack: exclusions nested inside
 * exclusions, groups mixing AND, OR and NOT. Each must run or be refused as too deep; none
 * may reach FTS5's "parser stack overflow".
 */
START_TEST(test_deep_shapes)
{
	static const char *const open[] = { "a -(", "-(b ", "a OR -(", "(a OR b) (", "NOT (c OR " };
	struct buf b = { 0 };
	char *match, *parsed, *err;
	int depth, s, pos, i, refused = 0;

	/* s < 5: the openers in rotation; s >= 5: one opener repeated */
	for (s = 0; s < 10; s++) {
		for (depth = 1; depth <= 32; depth++) {
			buf_reset(&b);
			for (i = 0; i < depth; i++)
				buf_puts(&b, open[s < 5 ? (s + i) % 5 : s - 5]);
			buf_puts(&b, "\"x y\"~3");
			for (i = 0; i < depth; i++)
				buf_putc(&b, ')');
			if (compile(b.data, b.len, NULL, &match, &parsed, &err, &pos) == 0) {
				ck_assert_msg(run_match(match, NULL) == SQLITE_DONE, "%s: %s", match,
					      sqlite3_errmsg(db));
			} else {
				ck_assert_msg(strstr(err, "nested too deeply") != NULL, "%s: %s",
					      b.data, err);
				refused++;
			}
			free(match);
			free(parsed);
			free(err);
			check_safe(b.data, b.len, NULL);
		}
	}
	ck_assert_int_gt(refused, 0);
	buf_free(&b);
}
END_TEST

static const struct {
	const char *q;
	unsigned rowids;	/* bit i set: rowid i matches */
} semantic[] = {
	{ "oil", 1u << 1 | 1u << 2 },
	{ "oil -crude", 1u << 2 },
	{ "oil NOT crude", 1u << 2 },
	{ "-protest", 1u << 1 | 1u << 2 | 1u << 4 | 1u << 5 },
	{ "-protest -oil", 1u << 4 | 1u << 5 },
	{ "oil OR -protest", 1u << 1 | 1u << 2 | 1u << 4 | 1u << 5 },
	{ "immig*", 1u << 4 },
	{ "raids", 1u << 4 },
	{ "title:oil", 1u << 1 },
	{ "body:oil", 1u << 1 | 1u << 2 },
	{ "title:prices", 1u << 1 },
	{ "oil OR gas", 1u << 1 | 1u << 2 },
	{ "\"crude oil\"", 1u << 1 },
	{ "\"oil crude\"", 0 },
	{ "NEAR(agents homes, 2)", 1u << 4 },
	{ "NEAR(agents detained, 1)", 0 },
	{ "\"agents detained\"~3", 1u << 4 },
	{ "AT&T", 1u << 5 },
	{ "U.S.", 1u << 5 },
	{ "cafe", 1u << 5 },
	{ "ice-cream", 1u << 5 },
	{ "0a", 0 },
	{ "src_a", 0 },
	{ "prices -(oil gas)", 1u << 1 | 1u << 3 },
	{ "prices -(oil OR fuel)", 0 },
	{ "(oil OR protest) -(gas OR crude)", 1u << 3 },
	{ "ice \xf0\x9f\x98\x80", 1u << 5 },
};

START_TEST(test_semantic)
{
	char *match, *parsed, *err;
	int pos;
	unsigned mask;

	ck_assert_msg(compile(semantic[_i].q, strlen(semantic[_i].q), NULL, &match, &parsed, &err,
			      &pos) == 0, "%s: %s", semantic[_i].q, err);
	ck_assert_int_eq(run_match(match, &mask), SQLITE_DONE);
	ck_assert_msg(mask == semantic[_i].rowids, "%s (%s): rows 0x%x, expected 0x%x",
		      semantic[_i].q, match, mask, semantic[_i].rowids);
	free(match);
	free(parsed);
}
END_TEST

static Suite *query_suite(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_valid, 0, sizeof(valid) / sizeof(valid[0]));
	tcase_add_loop_test(tc, test_invalid, 0, sizeof(invalid) / sizeof(invalid[0]));
	tcase_add_test(tc, test_nul_and_null);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_brute_force);
	tcase_add_test(tc, test_random_bytes);
	tcase_add_test(tc, test_deep_shapes);
	tcase_add_loop_test(tc, test_semantic, 0, sizeof(semantic) / sizeof(semantic[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(query_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
