/*
 * fuzz_snippet.c — libFuzzer target for newsd_snippet and newsd_highlight (index/snippet.c).
 *
 * Input: a query line, a newline, then the body. The query goes through query_compile (as in
 * the server); when it does not compile, a fixed MATCH is used. The first byte chooses the
 * fragment count and length (some out of range on purpose) and whether to match through the
 * tags column only (the "lead" path). The body is stored in an in-memory FTS5 table with the
 * server's tokenizer; both functions run on it.
 *
 * Invariants: the result is valid UTF-8, has balanced <mark></mark>, and holds no raw '<'
 * other than the marks (everything else is escaped).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "query.h"
#include "snippet.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;
static sqlite3_stmt *ins, *del, *sel;

static void setup(void)
{
	char *err = NULL;

	if (db)
		return;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || snippet_register(db, &err) < 0 ||
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE fts USING fts5(title, body, tags, tokenize='"
			 SNIPPET_TABLE_TOKENIZE "')", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO fts(rowid, title, body, tags)"
			       " VALUES (1, 'Fuzz title', ?1, '0a')", -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM fts", -1, &del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT newsd_snippet(fts, 1, ?2, ?3), newsd_highlight(fts, 1)"
			       " FROM fts WHERE fts MATCH ?1", -1, &sel, NULL) != SQLITE_OK) {
		fprintf(stderr, "fuzz_snippet: setup: %s %s\n", err ? err : "",
			sqlite3_errmsg(db));
		abort();
	}
}

/* Marks balanced and nothing else unescaped. */
static void check_markup(const unsigned char *s, int n)
{
	int open = 0, i;

	if (s == NULL)
		return;
	if (!utf8_valid((const char *)s, (size_t)n))
		abort();
	for (i = 0; i < n; i++) {
		if (s[i] != '<')
			continue;
		if (n - i >= 6 && memcmp(s + i, "<mark>", 6) == 0) {
			if (open++)
				abort();
		} else if (n - i >= 7 && memcmp(s + i, "</mark>", 7) == 0) {
			if (!open--)
				abort();
		} else {
			abort();
		}
	}
	if (open)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int nfrag[] = { 0, 1, 3, 5, -1, 1000 };
	static const int nwords[] = { 1, 24, 64, 0, -5, 100000, 2, 7 };
	struct query_limits lim = { 4096, 256, 32 };
	const uint8_t *nl;
	char *match = NULL, *parsed = NULL, *err = NULL;
	const char *m = "{title body}: \"the\"";
	int pos, mode;

	setup();
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	nl = memchr(data, '\n', size);
	if (nl && query_compile((const char *)data, (size_t)(nl - data), &lim, &match, &parsed,
				&err, &pos) == 0)
		m = match;
	if (mode & 0x80)
		m = "{tags}: \"0a\"";
	if (nl) {
		size -= (size_t)(nl + 1 - data);
		data = nl + 1;
	}
	sqlite3_step(del);
	sqlite3_reset(del);
	sqlite3_bind_text(ins, 1, (const char *)data, (int)size, SQLITE_STATIC);
	sqlite3_step(ins);
	sqlite3_reset(ins);
	sqlite3_bind_text(sel, 1, m, -1, SQLITE_STATIC);
	sqlite3_bind_int(sel, 2, nfrag[mode % 6]);
	sqlite3_bind_int(sel, 3, nwords[(mode >> 3) % 8]);
	while (sqlite3_step(sel) == SQLITE_ROW) {
		/* invalid UTF-8 in the body is the caller's problem (POSTs are validated) */
		if (utf8_valid((const char *)data, size) && memchr(data, 0, size) == NULL) {
			check_markup(sqlite3_column_text(sel, 0), sqlite3_column_bytes(sel, 0));
			check_markup(sqlite3_column_text(sel, 1), sqlite3_column_bytes(sel, 1));
		}
	}
	sqlite3_reset(sel);
	free(match);
	free(parsed);
	free(err);
	return 0;
}
