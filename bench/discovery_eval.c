/*
 * discovery_eval — quality and cost of did-you-mean (index/suggest.c) and of similar articles
 * (index/similar.c) on Reuters.
 *
 * usage: discovery_eval [--queries N] [--big-vocab N] [--similar-postings N] [--similar-only]
 *                       DB CORPUS.jsonl.gz
 *
 * DB is CORPUS indexed by `newsd index` (make eval builds it). N queries (default 200) are
 * drawn with a fixed seed from the titles: one or two neighbouring words of 4 letters or more.
 * Each gets one planted typo in one word (a letter inserted, deleted, replaced, or two
 * neighbours swapped; the letter at random). Reported: how often /search's did_you_mean
 * (suggest_did_you_mean, as the server runs it) equals the original query, how often a correct
 * query gets a suggestion at all, and the time a suggestion takes, on Reuters and on a copy
 * whose vocabulary is padded with --big-vocab random words (default 2,000,000: the order of a
 * 1M-article archive's vocabulary) so the lookups run against a b-tree of that size.
 *
 * Similar articles: for N articles with Reuters topic tags (same seed), precision@5 of "shares a
 * topic tag with the article"; and for every article newsd marked as a wire copy (dup_of), how
 * often the rest of its group is in its top 5, marked as copies.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "search.h"
#include "similar.h"
#include "store.h"
#include "suggest.h"
#include "util.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t rnd(size_t n)
{
	return (size_t)(next_rand() % n);
}

static char **titles;
static size_t ntitles;
static json_t *topics;		/* id → [topic, …] for articles with topic tags */

static void load_titles(const char *path)
{
	gzFile f = gzopen(path, "rb");
	char *line = xmalloc(1 << 20);

	if (f == NULL) {
		fprintf(stderr, "%s: cannot open\n", path);
		exit(2);
	}
	topics = json_object();
	while (gzgets(f, line, 1 << 20) != NULL) {
		json_t *o = json_loads(line, 0, NULL);
		const char *t = o ? json_string_value(json_object_get(o, "title")) : NULL;

		json_t *tp = o ? json_object_get(o, "topics") : NULL;

		if (t && *t) {
			titles = xrealloc(titles, (ntitles + 1) * sizeof(*titles));
			titles[ntitles++] = xstrdup(t);
		}
		if (json_array_size(tp) > 0 && json_string_value(json_object_get(o, "id")))
			json_object_set(topics, json_string_value(json_object_get(o, "id")), tp);
		json_decref(o);
	}
	gzclose(f);
	free(line);
}

static int stopword(const char *w)
{
	static const char *const sw[] = { "with", "from", "that", "this", "said", "will", "have",
					  "says", "than", "over", "into", "after", "year", NULL };
	size_t i;

	for (i = 0; sw[i]; i++)
		if (strcmp(w, sw[i]) == 0)
			return 1;
	return 0;
}

/* One query: 1 or 2 neighbouring plain words (4+ letters) of a random title, lower case. */
static char *draw_query(void)
{
	for (;;) {
		const char *t = titles[rnd(ntitles)];
		char words[32][48];
		size_t nw = 0, i = 0, k;

		while (t[i] && nw < 32) {
			size_t n = 0;

			while (t[i] && !((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z')))
				i++;
			while (((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z'))) {
				if (n < 47)
					words[nw][n++] = (char)(t[i] | 0x20);
				i++;
			}
			/* a word glued to digits or punctuation other than space is not plain */
			words[nw][n] = '\0';
			if (n >= 4 && n < 47 && !stopword(words[nw]))
				nw++;
		}
		if (nw == 0)
			continue;
		k = rnd(nw);
		if (k + 1 < nw && rnd(2))
			return xasprintf("%s %s", words[k], words[k + 1]);
		return xstrdup(words[k]);
	}
}

/* The query with one typo in one of its words. */
static char *plant_typo(const char *q)
{
	char *s = xmalloc(strlen(q) + 2);
	const char *sp = strchr(q, ' ');
	size_t start = 0, len = strlen(q), pos, wl;
	int kind = (int)rnd(4);

	if (sp && rnd(2))
		start = (size_t)(sp - q) + 1;
	wl = sp && start == 0 ? (size_t)(sp - q) : len - start;
	pos = start + rnd(wl);
	switch (kind) {
	case 0:		/* insert */
		memcpy(s, q, pos);
		s[pos] = (char)('a' + rnd(26));
		strcpy(s + pos + 1, q + pos);
		break;
	case 1:		/* delete */
		memcpy(s, q, pos);
		strcpy(s + pos, q + pos + 1);
		break;
	case 2:		/* swap with the next letter of the word */
		strcpy(s, q);
		if (pos + 1 >= start + wl)
			pos--;
		s[pos] = q[pos + 1];
		s[pos + 1] = q[pos];
		break;
	default:	/* replace */
		strcpy(s, q);
		do
			s[pos] = (char)('a' + rnd(26));
		while (s[pos] == q[pos]);
		break;
	}
	if (strcmp(s, q) == 0) {	/* a swap of two equal letters: replace instead */
		do
			s[pos] = (char)('a' + rnd(26));
		while (s[pos] == q[pos]);
	}
	return s;
}

static int64_t count(struct store *s, const char *q)
{
	struct search_request r;
	struct search_error err = { SEARCH_OK, NULL, -1 };
	json_t *res;
	int64_t t = -1;

	memset(&r, 0, sizeof(r));
	r.q = q;
	res = search_run(s, &r, &err);
	if (res)
		t = json_integer_value(json_object_get(res, "total"));
	json_decref(res);
	search_error_clear(&err);
	return t;
}

/* did_you_mean's q for q, as /search computes it (NULL when none); *ms its time. */
static char *did_you_mean(struct store *s, const char *q, double *ms)
{
	struct search_request r;
	double t0;
	int64_t total = count(s, q);
	json_t *d;
	char *out = NULL;

	memset(&r, 0, sizeof(r));
	r.q = q;
	t0 = now_monotonic();
	d = suggest_did_you_mean(s, &r, total);
	*ms = (now_monotonic() - t0) * 1e3;
	if (d)
		out = xstrdup(json_string_value(json_object_get(d, "q")));
	json_decref(d);
	return out;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n ? v[(size_t)(p * (double)(n - 1))] : 0;
}

static struct store *open_read(const char *path)
{
	struct store_options so = { "porter", 64, 5000, 3.0 };
	struct store *s;
	char *err = NULL;

	if (store_open(path, STORE_READ, &so, &s, &err) < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		exit(2);
	}
	return s;
}

/* A copy of db whose term_df has n more (random, letter-frequency) words. */
static char *padded_copy(const char *db, long n)
{
	static const char letters[] = "eeeeeeeeeeeettttttttaaaaaaaaoooooooiiiiiiinnnnnnnsssssshhhhhh"
				      "rrrrrrdddddlllluuuccmmwwffggyyppbbvkjxqz";
	char *path = xasprintf("%s.bigvocab", db), *cmd;
	sqlite3 *h;
	sqlite3_stmt *st;
	long i;

	cmd = xasprintf("cp '%s' '%s'", db, path);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot copy %s\n", db);
		exit(2);
	}
	free(cmd);
	if (sqlite3_open(path, &h) != SQLITE_OK ||
	    sqlite3_exec(h, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "INSERT OR IGNORE INTO term_df(term, n, nt, nb) VALUES (?1, ?2,"
			       " 0, ?2)", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(h));
		exit(2);
	}
	for (i = 0; i < n; i++) {
		char w[16];
		size_t len = 4 + rnd(9), k;

		for (k = 0; k < len; k++)
			w[k] = letters[rnd(sizeof(letters) - 1)];
		w[len] = '\0';
		sqlite3_bind_text(st, 1, w, (int)len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, 1 + (int64_t)rnd(3));
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(h);
	return path;
}

static int share_topic(json_t *a, json_t *b)
{
	size_t i, j;

	for (i = 0; i < json_array_size(a); i++)
		for (j = 0; j < json_array_size(b); j++)
			if (strcmp(json_string_value(json_array_get(a, i)),
				   json_string_value(json_array_get(b, j))) == 0)
				return 1;
	return 0;
}

static json_t *similar_of(struct store *s, const char *id, double *ms)
{
	struct similar_request r;
	struct search_error err = { SEARCH_OK, NULL, -1 };
	double t0 = now_monotonic();
	json_t *res;

	memset(&r, 0, sizeof(r));
	r.limit = 20;
	res = similar_run(s, id, &r, &err);
	*ms = (now_monotonic() - t0) * 1e3;
	search_error_clear(&err);
	return res;
}

static void eval_similar(const char *db, long nq)
{
	struct store *s = open_read(db);
	const char **ids = xmalloc(json_object_size(topics) * sizeof(*ids));
	const char *key;
	json_t *v, *res;
	size_t nids = 0, i, k, copies = 0, copies_found = 0, nt = 0;
	double rel = 0, raw = 0, *t = xcalloc((size_t)nq, sizeof(*t));
	sqlite3_stmt *st;

	json_object_foreach(topics, key, v)
		ids[nids++] = key;
	/* a sample of its own, whatever ran before (the padded vocabulary draws words too) */
	rng = 0x2545f4914f6cdd1dull;
	sqlite3_exec(store_db(s), "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < (size_t)nq && nids > 0; i++) {
		const char *id = ids[rnd(nids)];
		json_t *list;

		size_t judged = 0;

		res = similar_of(s, id, &t[nt++]);
		list = json_object_get(res, "similar");
		for (k = 0; k < json_array_size(list); k++) {
			json_t *ht = json_object_get(topics, json_string_value(json_object_get(
						     json_array_get(list, k), "id")));

			if (k < 5)
				raw += share_topic(json_object_get(topics, id), ht) / 5.0;
			/* condensed list: an article without topic tags is unjudged, not wrong */
			if (ht != NULL && judged < 5) {
				rel += share_topic(json_object_get(topics, id), ht) / 5.0;
				judged++;
			}
		}
		json_decref(res);
	}
	/* wire copies: each copy's group (its root, and the root's other copies) in its top 5 */
	st = store_stmt(s, "SELECT a.id, d.id FROM article a JOIN article d ON d.rid = a.dup_of"
			" ORDER BY a.rid LIMIT 500", NULL);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		char *id = xstrdup((const char *)sqlite3_column_text(st, 0));
		char *root = xstrdup((const char *)sqlite3_column_text(st, 1));
		double ms;
		json_t *list;

		res = similar_of(s, id, &ms);
		list = json_object_get(res, "similar");
		copies++;
		for (k = 0; k < json_array_size(list) && k < 5; k++) {
			json_t *h = json_array_get(list, k);

			if (strcmp(json_string_value(json_object_get(h, "id")), root) == 0 &&
			    json_is_true(json_object_get(h, "copy"))) {
				copies_found++;
				break;
			}
		}
		json_decref(res);
		free(id);
		free(root);
	}
	if (st)
		sqlite3_reset(st);
	sqlite3_exec(store_db(s), "COMMIT", NULL, NULL, NULL);
	store_close(s);
	printf("similar articles on Reuters\n");
	printf("  precision@5 of sharing a topic tag, %zu articles with topics, among the articles "
	       "that have topic tags (condensed list): %.3f (target >= 0.80)\n",
	       nt, nt ? rel / (double)nt : 0);
	printf("  the same counting an article without topic tags as a miss: %.3f\n",
	       nt ? raw / (double)nt : 0);
	printf("  wire copies (dup_of) whose original is in their top 5, marked copy: %zu of %zu "
	       "(%.3f)\n", copies_found, copies, copies ? (double)copies_found / (double)copies : 0);
	printf("  time per request: p50 %.2f ms, p99 %.2f ms\n", pct(t, nt, 0.5), pct(t, nt, 0.99));
	free(t);
	free(ids);
}

int main(int argc, char **argv)
{
	long nq = 200, big = 2000000;
	int only_similar = 0;
	const char *db = NULL, *corpus = NULL;
	char **orig, **typo;
	double *t_typo, *t_big, ms;
	size_t i, hit = 0, wrong = 0, none = 0, fp = 0;
	struct store *s;
	int a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--queries") == 0 && a + 1 < argc)
			nq = atol(argv[++a]);
		else if (strcmp(argv[a], "--big-vocab") == 0 && a + 1 < argc)
			big = atol(argv[++a]);
		else if (strcmp(argv[a], "--similar-postings") == 0 && a + 1 < argc)
			similar_set_postings(atof(argv[++a]));
		else if (strcmp(argv[a], "--similar-only") == 0)
			only_similar = 1;
		else if (db == NULL)
			db = argv[a];
		else
			corpus = argv[a];
	}
	if (db == NULL || corpus == NULL || nq <= 0) {
		fprintf(stderr, "usage: discovery_eval [--queries N] [--big-vocab N] "
			"[--similar-postings N] [--similar-only] DB CORPUS\n");
		return 2;
	}
	load_titles(corpus);
	if (only_similar) {
		eval_similar(db, nq);
		goto titles;
	}
	s = open_read(db);
	orig = xcalloc((size_t)nq, sizeof(*orig));
	typo = xcalloc((size_t)nq, sizeof(*typo));
	t_typo = xcalloc((size_t)nq, sizeof(*t_typo));
	t_big = xcalloc((size_t)nq, sizeof(*t_big));
	for (i = 0; i < (size_t)nq; i++) {
		orig[i] = draw_query();
		typo[i] = plant_typo(orig[i]);
	}
	sqlite3_exec(store_db(s), "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < (size_t)nq; i++) {
		char *d = did_you_mean(s, typo[i], &t_typo[i]);

		if (d && strcasecmp(d, orig[i]) == 0)
			hit++;
		else if (d)
			wrong++;
		else
			none++;
		if (getenv("EVAL_VERBOSE") && (d == NULL || strcasecmp(d, orig[i]) != 0))
			printf("  miss: %-28s -> %-28s (want %s)\n", typo[i], d ? d : "-", orig[i]);
		free(d);
		d = did_you_mean(s, orig[i], &ms);
		if (d) {
			fp++;
			if (getenv("EVAL_VERBOSE"))
				printf("  false: %-28s -> %s\n", orig[i], d);
		}
		free(d);
	}
	sqlite3_exec(store_db(s), "COMMIT", NULL, NULL, NULL);
	store_close(s);
	printf("did-you-mean on Reuters, %ld queries with one planted typo and %ld correct ones\n",
	       nq, nq);
	printf("  typo queries: suggestion = original %.3f (target >= 0.80), other suggestion "
	       "%.3f, none %.3f\n", (double)hit / (double)nq, (double)wrong / (double)nq,
	       (double)none / (double)nq);
	printf("  correct queries: a suggestion %.3f (target <= 0.02)\n", (double)fp / (double)nq);
	printf("  time per suggestion (typo queries): p50 %.2f ms, p99 %.2f ms\n",
	       pct(t_typo, (size_t)nq, 0.5), pct(t_typo, (size_t)nq, 0.99));
	if (big > 0) {
		char *path = padded_copy(db, big), *w;

		s = open_read(path);
		sqlite3_exec(store_db(s), "BEGIN", NULL, NULL, NULL);
		for (i = 0; i < (size_t)nq; i++) {
			double t0 = now_monotonic();

			w = suggest_query(s, typo[i]);
			t_big[i] = (now_monotonic() - t0) * 1e3;
			free(w);
		}
		sqlite3_exec(store_db(s), "COMMIT", NULL, NULL, NULL);
		store_close(s);
		printf("  time per respelling with %ld more words in the vocabulary: p50 %.2f ms, "
		       "p99 %.2f ms (target <= 5 ms)\n", big, pct(t_big, (size_t)nq, 0.5),
		       pct(t_big, (size_t)nq, 0.99));
		unlink(path);
		free(path);
	}
	eval_similar(db, nq);
	for (i = 0; i < (size_t)nq; i++) {
		free(orig[i]);
		free(typo[i]);
	}
	free(orig);
	free(typo);
	free(t_typo);
	free(t_big);
titles:
	for (i = 0; i < ntitles; i++)
		free(titles[i]);
	free(titles);
	json_decref(topics);
	return 0;
}
