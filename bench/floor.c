/*
 * floor — the cost of visiting every match: each query of the scale query set compiled the way
 * newsd compiles it (search_plan_build: our query language and the filters → one FTS5 MATCH
 * plus a rowid range), then `SELECT count(*) FROM fts WHERE fts MATCH ? AND rowid BETWEEN ? AND ?`
 * timed in-process on the database newsd serves. No ranking, no snippets, no HTTP: newsd's one
 * pass over the matches cannot cost less than this, so newsd ms / floor ms is what ranking,
 * snippets and HTTP add.
 *
 * usage: floor DB QUERIES.tsv ROUNDS
 *   QUERIES.tsv as ../shared/anchors/scale_queries.tsv: a /search query string (q, from, to,
 *   entity, source, collapse), TAB, anything (the SphinxQL clause; ignored).
 * Output: "<median ms>\t<count>\t<query string>" per query (median of ROUNDS after one warm-up
 * round), then "floor p50 X ms p99 Y ms" over every timing, as sphinx_scale.py computes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "date.h"
#include "search.h"
#include "store.h"
#include "util.h"

#define MAXQ 256
#define MAXLIST 16

/* One query of the set: its text, the decoded parameters, and the compiled plan. */
struct fq {
	char *qs;			/* the query string as written in the file */
	char *q;
	char *ents[MAXLIST], *srcs[MAXLIST];
	struct search_request req;
	struct search_plan plan;
	long long count;
};

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* URL-decode s[0..n) (%XX, '+' = space) into a malloc'd string. */
static char *urldecode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

/* A date parameter as the server reads it: a date-only `to` covers that whole day. */
static int date_param(const char *v, int is_to, int *has, int64_t *out)
{
	char *err = NULL;
	int date_only = 0;

	if (date_parse(v, strlen(v), out, &date_only, &err) < 0) {
		fprintf(stderr, "floor: bad date '%s': %s\n", v, err ? err : "?");
		free(err);
		return -1;
	}
	if (is_to && date_only)
		*out += 86399;
	*has = 1;
	return 0;
}

/*
 * Fill x->req from the query string x->qs (the parameters of /search that select matches;
 * limit, snippets and the like change nothing here and are ignored). Returns 0, or -1 with a
 * message on stderr for a parameter that would change the matches but that floor cannot read.
 */
static int parse_params(struct fq *x)
{
	const char *p = x->qs;

	while (*p) {
		size_t n = strcspn(p, "&"), k = strcspn(p, "=");
		char *v;
		int rc = 0;

		if (k > n)
			k = n;
		v = urldecode(p + (k < n ? k + 1 : n), k < n ? n - k - 1 : 0);
		if (k == 1 && strncmp(p, "q", 1) == 0) {
			free(x->q);
			x->q = v;
			v = NULL;
		} else if (k == 4 && strncmp(p, "from", 4) == 0) {
			rc = date_param(v, 0, &x->req.has_from, &x->req.from);
		} else if (k == 2 && strncmp(p, "to", 2) == 0) {
			rc = date_param(v, 1, &x->req.has_to, &x->req.to);
		} else if (k == 6 && strncmp(p, "entity", 6) == 0 && x->req.nentities < MAXLIST) {
			x->ents[x->req.nentities++] = v;
			v = NULL;
		} else if (k == 6 && strncmp(p, "source", 6) == 0 && x->req.nsources < MAXLIST) {
			x->srcs[x->req.nsources++] = v;
			v = NULL;
		} else if (k == 8 && strncmp(p, "collapse", 8) == 0) {
			x->req.collapse_dups = strcmp(v, "dups") == 0;
		} else if (!(k == 5 && strncmp(p, "limit", 5) == 0) &&
			   !(k == 8 && strncmp(p, "snippets", 8) == 0) &&
			   !(k == 4 && strncmp(p, "sort", 4) == 0)) {
			fprintf(stderr, "floor: parameter '%.*s' is not supported\n", (int)k, p);
			rc = -1;
		}
		free(v);
		if (rc < 0)
			return -1;
		p += n;
		if (*p == '&')
			p++;
	}
	x->req.q = x->q;
	x->req.entities = (const char *const *)x->ents;
	x->req.sources = (const char *const *)x->srcs;
	return 0;
}

/* Read the query set from path into qs[], *nq of them (each to be freed, even on failure).
 * Returns 0, or -1 with a message on stderr. */
static int read_queries(const char *path, struct fq *qs, int *nq)
{
	char line[4096];
	int rc = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while (rc == 0 && *nq < MAXQ && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\t\n")] = '\0';
		memset(&qs[*nq], 0, sizeof(qs[*nq]));
		qs[*nq].qs = xstrdup(line);
		rc = parse_params(&qs[(*nq)++]);
	}
	fclose(f);
	if (rc == 0 && *nq == 0) {
		fprintf(stderr, "floor: no queries in %s\n", path);
		rc = -1;
	}
	return rc;
}

/* Run the count of x once; returns the seconds it took, or -1 with a message on stderr. */
static double run_count(sqlite3 *db, sqlite3_stmt *st, struct fq *x)
{
	double t = now_monotonic();

	x->count = 0;
	if (x->plan.empty)	/* an unknown entity or source: newsd answers 0 without a pass */
		return now_monotonic() - t;
	sqlite3_bind_text(st, 1, x->plan.match, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, x->plan.rid_lo);
	sqlite3_bind_int64(st, 3, x->plan.rid_hi);
	if (sqlite3_step(st) == SQLITE_ROW)
		x->count = sqlite3_column_int64(st, 0);
	if (sqlite3_reset(st) != SQLITE_OK) {
		fprintf(stderr, "floor: %s: %s\n", x->qs, sqlite3_errmsg(db));
		return -1;
	}
	return now_monotonic() - t;
}

int main(int argc, char **argv)
{
	static struct fq qs[MAXQ];
	struct store_options so = { .stemming = "porter", .cache_mb = 64, .busy_timeout_ms = 5000,
				    .title_weight = 4.0 };
	struct store *s = NULL;
	sqlite3_stmt *st = NULL;
	char *err = NULL;
	double *lat = NULL, *per = NULL;
	int nq = 0, rounds, i, j, n = 0, rc = 1;

	if (argc != 4 || (rounds = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: floor DB QUERIES.tsv ROUNDS\n");
		return 2;
	}
	if (read_queries(argv[2], qs, &nq) < 0)
		goto out;
	/* a read connection as newsd's HTTP threads open it (cache_mb 64, no mmap) */
	if (store_open(argv[1], STORE_READ, &so, &s, &err) < 0) {
		fprintf(stderr, "floor: %s\n", err ? err : argv[1]);
		goto out;
	}
	for (j = 0; j < nq; j++) {
		struct search_error se = { 0 };

		if (search_plan_build(s, &qs[j].req, &qs[j].plan, &se) < 0) {
			fprintf(stderr, "floor: %s: %s\n", qs[j].qs, se.message ? se.message : "?");
			search_error_clear(&se);
			goto out;
		}
	}
	if (sqlite3_prepare_v2(store_db(s), "SELECT count(*) FROM fts WHERE fts MATCH ?1"
			       " AND rowid BETWEEN ?2 AND ?3", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "floor: prepare: %s\n", sqlite3_errmsg(store_db(s)));
		goto out;
	}
	lat = xmalloc(sizeof(*lat) * (size_t)(nq * rounds));
	per = xmalloc(sizeof(*per) * (size_t)(nq * rounds));
	for (i = -1; i < rounds; i++)	/* round -1 warms the page cache, as scalebench does */
		for (j = 0; j < nq; j++) {
			double t = run_count(store_db(s), st, &qs[j]);

			if (t < 0)
				goto out;
			if (i >= 0)
				lat[n++] = per[j * rounds + i] = t;
		}
	for (j = 0; j < nq; j++) {
		qsort(per + j * rounds, (size_t)rounds, sizeof(*per), cmp);
		printf("%.2f\t%lld\t%s\n", per[j * rounds + rounds / 2] * 1e3, qs[j].count, qs[j].qs);
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("floor p50 %.2f ms p99 %.2f ms\n", lat[n / 2] * 1e3,
	       lat[n - 1 < n * 99 / 100 ? n - 1 : n * 99 / 100] * 1e3);
	rc = 0;
out:
	for (j = 0; j < nq; j++) {
		size_t k;

		search_plan_free(&qs[j].plan);
		for (k = 0; k < qs[j].req.nentities; k++)
			free(qs[j].ents[k]);
		for (k = 0; k < qs[j].req.nsources; k++)
			free(qs[j].srcs[k]);
		free(qs[j].q);
		free(qs[j].qs);
	}
	sqlite3_finalize(st);
	store_close(s);
	free(err);
	free(lat);
	free(per);
	return rc;
}
