/*
 * ceiling — the engine ceiling: the bench query set run in-process with plain SQLite FTS5 on
 * the very database newsd serves, the way ../shared/anchors/fts5_ceiling.c does it (top 10 by
 * bm25 with the built-in snippet(), plus a second MATCH for the exact count). No HTTP, no JSON.
 *
 * usage: ceiling DB QUERIES.tsv ROUNDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "date.h"
#include "extract.h"
#include "query.h"
#include "store.h"
#include "surface.h"
#include "zbody.h"
#include "util.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct bq {
	char q[512];
	int64_t lo, hi;
	char entity[128];
};

static const char *param(const char *params, const char *key, char *out, size_t cap)
{
	const char *p = strstr(params, key);
	size_t n;

	if (p == NULL)
		return NULL;
	p += strlen(key);
	n = strcspn(p, "&");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

int main(int argc, char **argv)
{
	struct bq qs[64];
	char line[2048], tmp[128];
	sqlite3 *db;
	char *err = NULL;
	sqlite3_stmt *top_q, *cnt_q, *top_f, *cnt_f;
	double *lat;
	int nq = 0, rounds, i, j, n = 0;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: ceiling DB QUERIES.tsv ROUNDS\n");
		return 2;
	}
	rounds = atoi(argv[3]);
	f = fopen(argv[2], "r");
	while (f && nq < 64 && fgets(line, sizeof(line), f)) {
		char *tab;
		int64_t t;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		tab = strchr(line, '\t');
		if (tab)
			*tab++ = '\0';
		memset(&qs[nq], 0, sizeof(qs[nq]));
		if (line[0]) {
			/* the very MATCH expression newsd runs, so both sides do the same search */
			char *match = NULL;

			if (query_compile(line, strlen(line), NULL, &match, NULL, NULL, NULL) < 0) {
				fprintf(stderr, "bad query %s\n", line);
				return 1;
			}
			snprintf(qs[nq].q, sizeof(qs[nq].q), "%s", match);
			free(match);
		}
		qs[nq].lo = INT64_MIN;
		qs[nq].hi = INT64_MAX;
		if (tab && param(tab, "from=", tmp, sizeof(tmp)) &&
		    date_parse(tmp, strlen(tmp), &t, NULL, NULL) == 0)
			qs[nq].lo = store_rid_min(t);
		if (tab && param(tab, "to=", tmp, sizeof(tmp)) &&
		    date_parse(tmp, strlen(tmp), &t, NULL, NULL) == 0)
			qs[nq].hi = store_rid_max(t + 86399);
		if (tab && param(tab, "entity=", tmp, sizeof(tmp))) {
			char *norm = entity_norm(tmp);

			snprintf(qs[nq].entity, sizeof(qs[nq].entity), "%s", norm);
			free(norm);
		}
		nq++;
	}
	if (f)
		fclose(f);
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "cannot open %s\n", argv[1]);
		return 1;
	}
	/* newsd's files declare the fts table with its tokenizer (prefixes as written), and read
	 * the bodies, stored compressed, through newsd_text */
	if (surface_register(db, &err) < 0 || zbody_register(db, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	sqlite3_exec(db, "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456", 0, 0, 0);
#define EFILTER " AND (?4 = '' OR EXISTS (SELECT 1 FROM json_each(a.ents) j WHERE" \
		" (j.value ->> 0) IN (SELECT entity_id FROM entity_alias WHERE norm = ?4)))"
	sqlite3_prepare_v2(db, "SELECT a.id, a.date, a.title, snippet(fts, 1, '<mark>', '</mark>',"
			   " '…', 24), bm25(fts, 4.0, 1.0, 0.0) AS s FROM fts JOIN article a"
			   " ON a.rid = fts.rowid WHERE fts MATCH ?1 AND fts.rowid BETWEEN ?2 AND ?3"
			   EFILTER " ORDER BY s LIMIT 10", -1, &top_q, NULL);
	sqlite3_prepare_v2(db, "SELECT count(*) FROM fts JOIN article a ON a.rid = fts.rowid"
			   " WHERE fts MATCH ?1 AND fts.rowid BETWEEN ?2 AND ?3" EFILTER,
			   -1, &cnt_q, NULL);
	sqlite3_prepare_v2(db, "SELECT a.id, a.date, a.title, substr(newsd_text(a.body), 1, 200) FROM article a"
			   " WHERE a.rid BETWEEN ?2 AND ?3" EFILTER " ORDER BY a.rid DESC LIMIT 10",
			   -1, &top_f, NULL);
	sqlite3_prepare_v2(db, "SELECT count(*) FROM article a WHERE a.rid BETWEEN ?2 AND ?3"
			   EFILTER, -1, &cnt_f, NULL);
	if (!top_q || !cnt_q || !top_f || !cnt_f) {
		fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	lat = malloc(sizeof(*lat) * (size_t)(nq * rounds + 1));
	for (i = -1; i < rounds; i++)
		for (j = 0; j < nq; j++) {
			sqlite3_stmt *a = qs[j].q[0] ? top_q : top_f, *c = qs[j].q[0] ? cnt_q : cnt_f;
			double t = now_monotonic();
			int k;

			for (k = 0; k < 2; k++) {
				sqlite3_stmt *st = k ? c : a;

				if (qs[j].q[0])
					sqlite3_bind_text(st, 1, qs[j].q, -1, SQLITE_STATIC);
				sqlite3_bind_int64(st, 2, qs[j].lo);
				sqlite3_bind_int64(st, 3, qs[j].hi);
				sqlite3_bind_text(st, 4, qs[j].entity, -1, SQLITE_STATIC);
				while (sqlite3_step(st) == SQLITE_ROW)
					(void)sqlite3_column_text(st, 3);
				if (sqlite3_reset(st) != SQLITE_OK) {
					fprintf(stderr, "query %s: %s\n", qs[j].q, sqlite3_errmsg(db));
					return 1;
				}
			}
			if (i >= 0)
				lat[n++] = now_monotonic() - t;
		}
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("ceiling %d queries x %d: p50 %.3f ms p90 %.3f ms p99 %.3f ms\n", nq, rounds,
	       lat[n / 2] * 1e3, lat[n * 9 / 10] * 1e3, lat[n * 99 / 100] * 1e3);
	sqlite3_close(db);
	free(lat);
	return 0;
}
