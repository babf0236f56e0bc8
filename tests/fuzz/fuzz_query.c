/*
 * fuzz_query.c — libFuzzer target for query_compile (index/query.c).
 *
 * Invariants checked beyond "no crash, no sanitizer report": an error carries a message and
 * a position inside q; a compiled MATCH expression is accepted by a real FTS5 table with the
 * server's column layout (a query that compiles must never become a 500 at search time).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;
static sqlite3_stmt *match_stmt;

/* One in-memory FTS5 table shaped like the server's, opened on the first input. */
static void setup(void)
{
	if (db)
		return;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE fts USING fts5(title, body, tags,"
			 " tokenize='porter unicode61 remove_diacritics 2');"
			 "INSERT INTO fts VALUES ('Ice raid in the city', 'Federal agents"
			 " shooting; immigration court', '0a 0s1 0e2');", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM fts WHERE fts MATCH ?1", -1, &match_stmt,
			       NULL) != SQLITE_OK) {
		fprintf(stderr, "fuzz_query: cannot set up SQLite: %s\n", sqlite3_errmsg(db));
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query_limits lim = { 4096, 256, 32 };
	char *match = NULL, *parsed = NULL, *err = NULL;
	int pos = -1, rc;

	setup();
	rc = query_compile((const char *)data, size, &lim, &match, &parsed, &err, &pos);
	if (rc == 0) {
		if (match == NULL || parsed == NULL)
			abort();
		sqlite3_bind_text(match_stmt, 1, match, -1, SQLITE_STATIC);
		rc = sqlite3_step(match_stmt);
		if (rc != SQLITE_ROW) {
			fprintf(stderr, "FTS5 refused the compiled query\n  match: %s\n  error: %s\n",
				match, sqlite3_errmsg(db));
			abort();
		}
		sqlite3_reset(match_stmt);
	} else {
		if (err == NULL || err[0] == '\0' || pos < 0 || (size_t)pos > size)
			abort();
	}
	free(match);
	free(parsed);
	free(err);
	return 0;
}
