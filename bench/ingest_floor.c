/*
 * ingest_floor — what SQLite's FTS5 alone costs to load the same corpus: a bare
 * `fts5(title, body, tokenize='porter unicode61')` table that stores its text, rows appended
 * in file order (rowid 1, 2, …), nothing else: no entities, no wire copies, no words as
 * written, no dates, no ids to upsert. newsd does all of that on top of FTS5's own work with
 * one writer, so its articles/s cannot exceed this floor's, and newsd / floor is what the rest
 * costs. Only the SQLite calls are timed: each batch is read and decoded (zlib, jansson) before
 * its clock starts.
 *
 * usage: ingest_floor DB CORPUS WINDOW [LIVE_CORPUS LIVE_N LIVE_PER_COMMIT]
 *   1. bulk: CORPUS (JSON Lines, gzip'd or not) in transactions of 20,000 rows, WAL,
 *      synchronous=NORMAL, as `newsd index`; then FTS5's 'optimize' (newsd index ends with it)
 *      and a TRUNCATE checkpoint with synchronous=FULL.
 *   2. live (optional): LIVE_N records of LIVE_CORPUS into the loaded table, LIVE_PER_COMMIT
 *      rows per durable transaction (synchronous=FULL, as a POST that is acknowledged), the
 *      WAL checkpointed every 1000 pages as newsd serve does.
 * Output, one key=value line each (bench/scale.sh reads them):
 *   bulk_rate= bulk_first= bulk_last= bulk_secs= merge_secs= db_bytes= [live_rate= live_p50_ms=]
 * DB is removed first and left behind (the caller removes it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>
#include <zlib.h>

#define BATCH 20000
#define LINE_MAX_BYTES (16 << 20)

struct row {
	char *title, *body;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "ingest_floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(db, sql);
}

static char *dup_field(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return strdup(v ? v : "");
}

/* Read up to max records of f into rows (title and body as strings); returns how many. */
static size_t read_rows(gzFile f, char *line, struct row *rows, size_t max)
{
	size_t n = 0;

	while (n < max && gzgets(f, line, LINE_MAX_BYTES) != NULL) {
		json_error_t e;
		json_t *o = json_loads(line, 0, &e);

		if (!json_is_object(o)) {
			json_decref(o);
			continue;
		}
		rows[n].title = dup_field(o, "title");
		rows[n].body = dup_field(o, "body");
		json_decref(o);
		n++;
	}
	return n;
}

static void free_rows(struct row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].title);
		free(rows[i].body);
	}
}

/* Insert rows in one transaction; returns the seconds it took. */
static double insert_rows(sqlite3 *db, sqlite3_stmt *st, const struct row *rows, size_t n)
{
	double t0 = now();
	size_t i;

	exec(db, "BEGIN");
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, rows[i].title, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, rows[i].body, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die(db, "insert");
		sqlite3_reset(st);
	}
	exec(db, "COMMIT");
	return now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *path, *corpus;
	long window, done = 0, live_n = 0, live_per = 0;
	double busy = 0, first_t = 0, last_t = 0, merge, t, *bt = NULL;
	long first_n = 0, last_n = 0, *bn = NULL;
	size_t nb = 0, cap = 0, i;
	char *line, wal[4096];
	struct row *rows;
	sqlite3 *db;
	sqlite3_stmt *st;
	gzFile f;
	size_t n;
	long size;
	FILE *fp;

	if (argc != 4 && argc != 7) {
		fprintf(stderr, "usage: ingest_floor DB CORPUS WINDOW "
			"[LIVE_CORPUS LIVE_N LIVE_PER_COMMIT]\n");
		return 2;
	}
	path = argv[1];
	corpus = argv[2];
	window = atol(argv[3]);
	if (argc == 7) {
		live_n = atol(argv[5]);
		live_per = atol(argv[6]);
	}
	if (window <= 0 || (argc == 7 && (live_n <= 0 || live_per <= 0))) {
		fprintf(stderr, "ingest_floor: WINDOW, LIVE_N and LIVE_PER_COMMIT must be > 0\n");
		return 2;
	}
	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(db, "open");
	exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		 "CREATE VIRTUAL TABLE f USING fts5(title, body, tokenize='porter unicode61')");
	if (sqlite3_prepare_v2(db, "INSERT INTO f(title, body) VALUES (?, ?)", -1, &st,
			       NULL) != SQLITE_OK)
		die(db, "prepare");
	line = malloc(LINE_MAX_BYTES);
	rows = calloc(BATCH, sizeof(*rows));
	if (line == NULL || rows == NULL)
		die(NULL, "out of memory");

	/* 1. bulk, a transaction per batch; each batch's records and seconds are kept for the
	 * rates of the first and the last WINDOW records */
	if ((f = gzopen(corpus, "rb")) == NULL)
		die(NULL, corpus);
	gzbuffer(f, 1 << 20);
	while ((n = read_rows(f, line, rows, BATCH)) > 0) {
		t = insert_rows(db, st, rows, n);
		free_rows(rows, n);
		busy += t;
		done += (long)n;
		if (nb == cap) {
			cap = cap ? cap * 2 : 64;
			bn = realloc(bn, cap * sizeof(*bn));
			bt = realloc(bt, cap * sizeof(*bt));
			if (bn == NULL || bt == NULL)
				die(NULL, "out of memory");
		}
		bn[nb] = (long)n;
		bt[nb++] = t;
	}
	gzclose(f);
	for (i = 0; i < nb && first_n < window; i++) {
		first_n += bn[i];
		first_t += bt[i];
	}
	for (i = nb; i > 0 && last_n < window; i--) {
		last_n += bn[i - 1];
		last_t += bt[i - 1];
	}
	t = now();
	exec(db, "INSERT INTO f(f) VALUES ('optimize')");
	merge = now() - t;
	exec(db, "PRAGMA synchronous=FULL; PRAGMA wal_checkpoint(TRUNCATE)");
	busy += now() - t;
	size = 0;
	if ((fp = fopen(path, "rb")) != NULL) {
		fseek(fp, 0, SEEK_END);
		size = ftell(fp);
		fclose(fp);
	}
	printf("bulk_rows=%ld bulk_secs=%.2f bulk_rate=%.0f bulk_first=%.0f bulk_last=%.0f "
	       "merge_secs=%.2f db_bytes=%ld\n", done, busy, busy > 0 ? done / busy : 0,
	       first_t > 0 ? first_n / first_t : 0, last_t > 0 ? last_n / last_t : 0, merge, size);
	fflush(stdout);

	/* 2. live: durable commits of live_per rows */
	if (live_n > 0) {
		double *lat, t0;
		long j, k = 0, batches = (live_n + live_per - 1) / live_per;
		struct row *lrows = calloc((size_t)live_n, sizeof(*lrows));

		lat = calloc((size_t)batches, sizeof(*lat));
		if (lrows == NULL || lat == NULL)
			die(NULL, "out of memory");
		if ((f = gzopen(argv[4], "rb")) == NULL)
			die(NULL, argv[4]);
		n = read_rows(f, line, lrows, (size_t)live_n);
		gzclose(f);
		exec(db, "PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=1000");
		t0 = now();
		for (j = 0; j < (long)n; j += live_per) {
			size_t m = (size_t)((long)n - j < live_per ? (long)n - j : live_per);

			lat[k++] = insert_rows(db, st, lrows + j, m);
		}
		t = now() - t0;
		qsort(lat, (size_t)k, sizeof(*lat), cmp_double);
		printf("live_rows=%zu live_per_commit=%ld live_rate=%.0f live_p50_ms=%.2f\n", n,
		       live_per, t > 0 ? n / t : 0, k ? lat[k / 2] * 1000 : 0);
		free_rows(lrows, n);
		free(lrows);
		free(lat);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(rows);
	free(line);
	free(bn);
	free(bt);
	return 0;
}
