/*
 * dedup_eval.c — precision, recall and cost of wire-copy detection (index/dedup.c) on
 * Reuters-21578 (`make dedup-eval`).
 *
 * 1. Every Reuters article, in date order, goes through dedup_signature + dedup_link into a
 *    SQLite database (in memory, or --db FILE): the copies Reuters itself contains are
 *    reported, with how many of them look doubtful by plain word overlap.
 * 2. 500 planted copies of random articles with bodies of 40 words or more, dated 1-48 hours
 *    after their original: a new headline, the last paragraph trimmed (half of them, when it
 *    is under 30% of the text), 1-3 sentences dropped (at most a quarter of them), two
 *    sentences swapped (70%), about 5% of the words replaced by random corpus words. A copy is
 *    found when dedup_link returns its original's group root.
 * 3. 500 different-but-similar articles, none of which should be flagged:
 *    - real pairs: for a random article, the article sharing its first topic code whose word
 *      set overlaps most while staying under 60% Jaccard (typically two earnings reports);
 *    - template stories: the article with every number and capitalised name replaced and
 *      more words replaced until only 30-50% of its words remain;
 *    - follow-ups: 30-50% of the article's words kept as whole consecutive sentences (the
 *      background paragraph of a follow-up), the rest from another story with the same topic.
 * 4. 150 roundups, none of which should be flagged: 30-50% of an article's words as whole
 *    consecutive sentences, between whole sentences of two other articles adding up to 30-90%
 *    of that (a roundup quoting part of an earlier piece; often a short article whole).
 * Prints precision, recall, similarity histograms and microseconds per article.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "date.h"
#include "dedup.h"
#include "zbody.h"
#include "util.h"

#define NCOPIES 500
#define NNEG 500
#define NROUNDUPS 150
#define MIN_BODY_WORDS 40

struct rec {
	char *id, *title, *body, *topics;	/* topics: " a b c " for substring tests */
	int64_t date, rid, dup_of;
	uint64_t *words;			/* sorted distinct word hashes of title+body */
	size_t nwords, nbody;			/* distinct words; whitespace tokens of body */
	struct dedup_sig sig;
};

struct tok {
	const char *p;
	int len;
	int sent, para;
};

static struct rec *recs;
static size_t nrecs;
static struct tok *vocab;		/* every body token of the corpus, for replacements */
static size_t nvocab;
static uint64_t rng_state = 42;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static double rnd_unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Distinct lower-cased alphanumeric words of s (hashes), appended to *w. */
static void word_hashes(const char *s, uint64_t **w, size_t *n, size_t *cap)
{
	uint64_t h = 1469598103934665603ULL;
	int in = 0;

	for (;; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c + 32);
			h = (h ^ c) * 1099511628211ULL;
			in = 1;
		} else if (in) {
			if (*n == *cap) {
				*cap = *cap ? 2 * *cap : 64;
				*w = xrealloc(*w, *cap * sizeof(**w));
			}
			(*w)[(*n)++] = h;
			h = 1469598103934665603ULL;
			in = 0;
		}
		if (c == '\0')
			break;
	}
}

/* Sorted distinct word hashes of title + body. */
static uint64_t *word_set(const char *title, const char *body, size_t *n)
{
	uint64_t *w = NULL;
	size_t cap = 0, i, j;

	*n = 0;
	word_hashes(title, &w, n, &cap);
	word_hashes(body, &w, n, &cap);
	if (*n == 0)
		return w;
	qsort(w, *n, sizeof(*w), cmp_u64);
	for (i = 1, j = 0; i < *n; i++)
		if (w[i] != w[j])
			w[++j] = w[i];
	*n = j + 1;
	return w;
}

/* Elements two ascending arrays have in common. */
static size_t sorted_common(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0, both = 0;

	while (i < na && j < nb) {
		if (a[i] == b[j]) {
			both++;
			i++;
			j++;
		} else if (a[i] < b[j]) {
			i++;
		} else {
			j++;
		}
	}
	return both;
}

/* Jaccard similarity of two sets of na and nb elements sharing both. */
static double jaccard_of(size_t both, size_t na, size_t nb)
{
	return na + nb - both ? (double)both / (double)(na + nb - both) : 0;
}

static double word_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	return jaccard_of(sorted_common(a, na, b, nb), na, nb);
}

/* Whitespace tokens of s with sentence and paragraph numbers (Reuters paragraphs start with
 * a newline and indentation). *out malloc'd; tokens point into s. */
static size_t tokenize(const char *s, struct tok **out)
{
	struct tok *t = NULL;
	size_t n = 0, cap = 0;
	int sent = 0, para = 0;

	while (*s) {
		const char *ws = s;
		int newpara = 0;

		while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') {
			if (*s == '\n' && (s[1] == ' ' || s[1] == '\t' || s[1] == '\n'))
				newpara = 1;
			s++;
		}
		if (*s == '\0')
			break;
		if (newpara && n > 0 && ws != s) {
			para++;
			if (t[n - 1].sent == sent)
				sent++;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			t = xrealloc(t, cap * sizeof(*t));
		}
		t[n].p = s;
		while (*s && *s != ' ' && *s != '\n' && *s != '\t' && *s != '\r')
			s++;
		t[n].len = (int)(s - t[n].p);
		t[n].sent = sent;
		t[n].para = para;
		{
			char last = t[n].p[t[n].len - 1];

			if ((last == '.' || last == '?' || last == '!') && t[n].len > 2)
				sent++;
		}
		n++;
	}
	*out = t;
	return n;
}

static void load(const char *path)
{
	gzFile f = gzopen(path, "rb");
	struct buf line = { 0 };
	char chunk[65536];
	size_t cap = 0;

	if (f == NULL) {
		fprintf(stderr, "dedup_eval: cannot open %s\n", path);
		exit(1);
	}
	for (;;) {
		char *got = gzgets(f, chunk, sizeof(chunk));
		json_t *o;
		json_error_t err;
		struct rec r;
		const char *d;

		if (got)
			buf_puts(&line, chunk);
		if (got && (line.len == 0 || line.data[line.len - 1] != '\n'))
			continue;
		if (line.len == 0)
			break;
		o = json_loads(line.data, 0, &err);
		buf_reset(&line);
		if (o == NULL)
			continue;
		memset(&r, 0, sizeof(r));
		d = json_string_value(json_object_get(o, "date"));
		if (d && date_parse(d, strlen(d), &r.date, NULL, NULL) == 0) {
			struct buf tp = { 0 };
			size_t i;
			json_t *v;

			r.id = xstrdup(json_string_value(json_object_get(o, "id")));
			r.title = xstrdup(json_string_value(json_object_get(o, "title")) ?
					  json_string_value(json_object_get(o, "title")) : "");
			r.body = xstrdup(json_string_value(json_object_get(o, "body")) ?
					 json_string_value(json_object_get(o, "body")) : "");
			buf_putc(&tp, ' ');
			json_array_foreach(json_object_get(o, "topics"), i, v)
				buf_printf(&tp, "%s ", json_string_value(v));
			r.topics = buf_detach(&tp);
			if (nrecs == cap) {
				cap = cap ? 2 * cap : 1024;
				recs = xrealloc(recs, cap * sizeof(*recs));
			}
			recs[nrecs++] = r;
		}
		json_decref(o);
		if (got == NULL)
			break;
	}
	buf_free(&line);
	gzclose(f);
}

static int cmp_rec_date(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	return strcmp(x->id, y->id);
}

static struct rec *rec_by_rid(int64_t rid)
{
	size_t lo = 0, hi = nrecs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (recs[mid].rid < rid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nrecs && recs[lo].rid == rid ? &recs[lo] : NULL;
}

static void die_sql(sqlite3 *db, const char *what)
{
	fprintf(stderr, "dedup_eval: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void insert_article(sqlite3 *db, sqlite3_stmt *ins, int64_t rid, int64_t dup_of,
			   const char *title, const char *body)
{
	sqlite3_bind_int64(ins, 1, rid);
	if (dup_of)
		sqlite3_bind_int64(ins, 2, dup_of);
	else
		sqlite3_bind_null(ins, 2);
	sqlite3_bind_text(ins, 3, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 4, body, -1, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		die_sql(db, "inserting an article");
	sqlite3_reset(ins);
}

/* A rid 1-48 hours after r's date: where the k-th article the evaluation makes of r would be
 * indexed (the 1 << 19 offset keeps it clear of the corpus's own rids). */
static int64_t rid_after(const struct rec *r, int k)
{
	int64_t date = r->date + 3600 + (int64_t)rnd_below(47 * 3600);

	return date * ((int64_t)1 << 20) + (1 << 19) + k;
}

static int64_t root_of(sqlite3 *db, int64_t rid)
{
	sqlite3_stmt *st;
	int64_t root = rid;

	if (sqlite3_prepare_v2(db, "SELECT dup_of FROM article WHERE rid = ?1", -1, &st, NULL))
		die_sql(db, "reading a root");
	sqlite3_bind_int64(st, 1, rid);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		root = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return root;
}

/* A random article whose body has at least MIN_BODY_WORDS tokens and a long signature. */
static struct rec *pick_long(void)
{
	for (;;) {
		struct rec *r = &recs[rnd_below(nrecs)];

		if (r->nbody >= MIN_BODY_WORDS && !dedup_sig_short(&r->sig))
			return r;
	}
}

static void put_tok(struct buf *b, const struct tok *t, int *first)
{
	if (!*first)
		buf_putc(b, ' ');
	buf_append(b, t->p, (size_t)t->len);
	*first = 0;
}

static void random_word(struct buf *b, int *first)
{
	put_tok(b, &vocab[rnd_below(nvocab)], first);
}

/* A headline of 3-7 random words of the corpus, upper-case, as on the wire. */
static char *random_title(void)
{
	struct buf b = { 0 };
	int first = 1, n = 3 + (int)rnd_below(5), i;
	size_t k;

	for (i = 0; i < n; i++)
		random_word(&b, &first);
	for (k = 0; k < b.len; k++)
		if (b.data[k] >= 'a' && b.data[k] <= 'z')
			b.data[k] = (char)(b.data[k] - 32);
	return buf_detach(&b);
}

/* The edited copy of r's body (see the header comment). */
static char *make_copy(const struct rec *r)
{
	struct tok *t;
	size_t n = tokenize(r->body, &t), i;
	int nsent = n ? t[n - 1].sent + 1 : 0, npara = n ? t[n - 1].para + 1 : 0;
	int *order = xcalloc((size_t)nsent + 1, sizeof(int));
	char *drop = xcalloc((size_t)nsent + 1, 1);
	struct buf b = { 0 };
	int s, k, first = 1, ndrop, lastpara_words = 0;

	for (s = 0; s < nsent; s++)
		order[s] = s;
	for (i = 0; i < n; i++)
		lastpara_words += t[i].para == npara - 1;
	if (npara > 1 && rnd_below(2) == 0 && lastpara_words * 10 < (int)n * 3)
		for (i = 0; i < n; i++)
			if (t[i].para == npara - 1)
				drop[t[i].sent] = 1;
	ndrop = 1 + (int)rnd_below(3);
	if (ndrop > nsent / 4)
		ndrop = nsent / 4;
	for (k = 0; k < ndrop; k++)
		drop[rnd_below((size_t)nsent)] = 1;
	if (nsent > 2 && rnd_below(10) < 7) {
		int x = (int)rnd_below((size_t)nsent), y = (int)rnd_below((size_t)nsent);

		order[x] = y;
		order[y] = x;
	}
	for (s = 0; s < nsent; s++) {
		int src = order[s];

		if (drop[src])
			continue;
		for (i = 0; i < n; i++) {
			if (t[i].sent != src)
				continue;
			if (rnd_below(100) < 5)
				random_word(&b, &first);
			else
				put_tok(&b, &t[i], &first);
		}
	}
	free(order);
	free(drop);
	free(t);
	return buf_detach(&b);
}

static int has_digit(const struct tok *t)
{
	int i;

	for (i = 0; i < t->len; i++)
		if (t->p[i] >= '0' && t->p[i] <= '9')
			return 1;
	return 0;
}

/* Another story of the same template: numbers and names replaced, then more words, until
 * only keep (0.3-0.5) of the words remain. */
static char *make_template(const struct rec *r, double keep)
{
	struct tok *t;
	size_t n = tokenize(r->body, &t), i, kept = 0;
	char *repl = xcalloc(n + 1, 1);
	struct buf b = { 0 };
	int first = 1;

	for (i = 0; i < n; i++) {
		int name = t[i].p[0] >= 'A' && t[i].p[0] <= 'Z' && i > 0 &&
			   t[i - 1].sent == t[i].sent;

		repl[i] = has_digit(&t[i]) || name;
		kept += !repl[i];
	}
	while (kept > keep * (double)n) {
		i = rnd_below(n);
		if (!repl[i]) {
			repl[i] = 1;
			kept--;
		}
	}
	for (i = 0; i < n; i++) {
		if (repl[i] && has_digit(&t[i])) {
			buf_printf(&b, "%s%u.%u", first ? "" : " ", (unsigned)rnd_below(1000),
				   (unsigned)rnd_below(100));
			first = 0;
		} else if (repl[i]) {
			random_word(&b, &first);
		} else {
			put_tok(&b, &t[i], &first);
		}
	}
	free(repl);
	free(t);
	return buf_detach(&b);
}

/* A follow-up story: a run of r's sentences (keep of its words) as background after a new
 * lead, written here as the lead of another story of the same first topic with most of its
 * words replaced (so the follow-up is a copy of neither). */
static char *make_followup(const struct rec *r, double keep)
{
	struct tok *t, *u;
	size_t n = tokenize(r->body, &t), m, i, want = (size_t)(keep * (double)n), got = 0;
	struct rec *o = NULL;
	char topic[64] = " ";
	struct buf b = { 0 };
	int first = 1, s0, tries;

	sscanf(r->topics, " %62s", topic + 1);
	strcat(topic, " ");
	for (tries = 0; tries < 2000; tries++) {
		o = pick_long();
		if (o != r && (strlen(topic) < 3 || strstr(o->topics, topic)) && o->nbody >= n / 2)
			break;
	}
	m = tokenize(o->body, &u);
	for (i = 0; i < m && i < n - want; i++) {
		if (rnd_below(10) < 7)
			random_word(&b, &first);
		else
			put_tok(&b, &u[i], &first);
	}
	s0 = (int)rnd_below((size_t)t[n - 1].sent + 1);
	for (i = 0; i < n && got < want; i++)
		if (t[i].sent >= s0) {
			put_tok(&b, &t[i], &first);
			got++;
		}
	for (i = 0; i < n && got < want; i++)
		if (t[i].sent < s0) {
			put_tok(&b, &t[i], &first);
			got++;
		}
	free(t);
	free(u);
	return buf_detach(&b);
}

/*
 * A roundup: a run of whole sentences holding `keep` of r's words (quoted, as they are),
 * between runs of whole sentences from two other stories that add up to `other` times the
 * quoted length. Its sketch can look like a trimmed copy's; what it adds of its own cannot.
 */
static char *make_roundup(const struct rec *r, double keep, double other)
{
	struct tok *t, *u;
	size_t n = tokenize(r->body, &t), want = (size_t)(keep * (double)n), got = 0, m, i, j;
	size_t add = (size_t)(other * (double)want);
	struct buf b = { 0 };
	int first = 1, s0, part;

	for (part = 0; part < 3; part++) {
		if (part == 1) {
			/* the quote: whole sentences of r from a random one on, started earlier
			 * when too few words follow it */
			s0 = (int)rnd_below((size_t)t[n - 1].sent + 1);
			for (i = 0; i < n && t[i].sent < s0; i++)
				;
			if (n - i < want) {
				i = n - want;
				while (i > 0 && t[i - 1].sent == t[i].sent)
					i--;
			}
			for (; i < n && got < want; i++, got++)
				put_tok(&b, &t[i], &first);
			continue;
		}
		{
			const struct rec *o;
			size_t goal = part == 0 ? add / 2 : add - add / 2, put = 0;

			do
				o = pick_long();
			while (o == r);
			m = tokenize(o->body, &u);
			/* from the start of a random sentence, whole sentences */
			j = rnd_below(m / 2 + 1);
			while (j > 0 && u[j - 1].sent == u[j].sent)
				j--;
			for (; j < m && (put < goal || (j > 0 && u[j].sent == u[j - 1].sent)); j++) {
				put_tok(&b, &u[j], &first);
				put++;
			}
			free(u);
		}
	}
	free(t);
	return buf_detach(&b);
}

static void hist_add(int *h, double x)
{
	int k = (int)(x * 20);

	h[k < 0 ? 0 : k > 20 ? 20 : k]++;
}

static void hist_print(const char *name, const int *h)
{
	int k;

	printf("  %-24s", name);
	for (k = 0; k <= 20; k++)
		printf(" %4d", h[k]);
	printf("\n");
}


/* --study: exact similarity of each test pair under other representations (word sets, 2- and
 * 3-word shingles; Jaccard and containment), the measurements behind the choices in dedup.h. */
static int study_on;
static int study_h[4][6][21];
static const char *const study_kind[4] = { "copies", "real pairs", "templates", "follow-ups" };
static const char *const study_measure[6] = { "J words", "J 2-shingles", "J 3-shingles",
					      "C words", "C 2-shingles", "C 3-shingles" };

static void shingle_hashes(const char *s, int w, uint64_t **out, size_t *n, size_t *cap)
{
	uint64_t *words = NULL, h;
	size_t nw = 0, wc = 0, i;
	int j;

	word_hashes(s, &words, &nw, &wc);
	for (i = 0; i + (size_t)w <= nw; i++) {
		for (h = 0, j = 0; j < w; j++)
			h = h * 0x100000001b3ULL + words[i + (size_t)j];
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			*out = xrealloc(*out, *cap * sizeof(**out));
		}
		(*out)[(*n)++] = h;
	}
	free(words);
}

static uint64_t *shingle_set(const char *title, const char *body, int w, size_t *n)
{
	uint64_t *v = NULL;
	size_t cap = 0, i, j;

	*n = 0;
	shingle_hashes(title, w, &v, n, &cap);
	shingle_hashes(body, w, &v, n, &cap);
	if (*n == 0)
		return v;
	qsort(v, *n, sizeof(*v), cmp_u64);
	for (i = 1, j = 0; i < *n; i++)
		if (v[i] != v[j])
			v[++j] = v[i];
	*n = j + 1;
	return v;
}

static void study(int kind, const char *ta, const char *ba, const char *tb, const char *bb)
{
	int w;

	if (!study_on)
		return;
	for (w = 1; w <= 3; w++) {
		size_t na, nb, both;
		uint64_t *a = shingle_set(ta, ba, w, &na), *b = shingle_set(tb, bb, w, &nb);
		size_t mn = na < nb ? na : nb;

		both = sorted_common(a, na, b, nb);
		hist_add(study_h[kind][w - 1], jaccard_of(both, na, nb));
		hist_add(study_h[kind][w + 2], mn ? (double)both / (double)mn : 0);
		free(a);
		free(b);
	}
}

static void study_print(void)
{
	int k, m;

	if (!study_on)
		return;
	printf("study: exact similarity of the test pairs (buckets of 0.05)\n");
	for (m = 0; m < 6; m++) {
		printf(" %s\n", study_measure[m]);
		for (k = 0; k < 4; k++)
			hist_print(study_kind[k], study_h[k][m]);
	}
}

int main(int argc, char **argv)
{
	const char *corpus = "../shared/corpus/reuters21578.jsonl.gz", *dbpath = ":memory:";
	int hc[21] = { 0 }, hn[21] = { 0 }, hnat[21] = { 0 }, hreal[21] = { 0 };
	int hcc[21] = { 0 }, hnc[21] = { 0 }, hrc[21] = { 0 }, roundup_fp = 0, roundup_sketch = 0;
	int tp = 0, wrong = 0, missed_cand = 0, crowded = 0, fp_kind[3] = { 0 }, nkind[3] = { 0 };
	int nat = 0, nat_doubt = 0, nshort = 0, i;
	double t_sig = 0, t_link = 0, t0;
	struct dedup *d;
	sqlite3 *db;
	sqlite3_stmt *ins;
	size_t k;
	char *err = NULL;
	FILE *fp;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--corpus") == 0 && i + 1 < argc)
			corpus = argv[++i];
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			dbpath = argv[++i];
		else if (strcmp(argv[i], "--study") == 0)
			study_on = 1;
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			rng_state = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: dedup_eval [--corpus FILE] [--db FILE] [--seed N] [--study]\n");
			return 2;
		}
	}
	fp = fopen(corpus, "rb");
	if (fp == NULL) {
		printf("dedup_eval: %s absent: skipping (the evaluation needs the Reuters corpus)\n",
		       corpus);
		return 0;
	}
	fclose(fp);
	load(corpus);
	qsort(recs, nrecs, sizeof(*recs), cmp_rec_date);
	for (k = 0; k < nrecs; k++) {
		struct tok *t;
		size_t j;

		recs[k].rid = recs[k].date * ((int64_t)1 << 20) +
			      (k > 0 && recs[k - 1].date == recs[k].date ?
			       (recs[k - 1].rid & ((1 << 20) - 1)) + 1 : 0);
		recs[k].words = word_set(recs[k].title, recs[k].body, &recs[k].nwords);
		recs[k].nbody = tokenize(recs[k].body, &t);
		vocab = xrealloc(vocab, (nvocab + recs[k].nbody) * sizeof(*vocab));
		for (j = 0; j < recs[k].nbody; j++)
			vocab[nvocab++] = t[j];
		free(t);
	}
	printf("dedup_eval: %zu articles; sketch %d, %d anchors, %d-word shingles, min %d"
	       " shingles, copy when containment >= %.2f and Jaccard >= %.2f\n", nrecs, DEDUP_K,
	       DEDUP_ANCHORS, DEDUP_SHINGLE, DEDUP_MIN_SHINGLES, DEDUP_MIN_CONTAINMENT,
	       DEDUP_MIN_JACCARD);

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		die_sql(db, "opening the database");
	if (zbody_register(db, &err) < 0) {	/* the text test reads newsd_text(body) */
		fprintf(stderr, "dedup_eval: %s\n", err);
		return 1;
	}
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "PRAGMA cache_size=-65536;"
			 "DROP TABLE IF EXISTS article; DROP TABLE IF EXISTS dedup_sig;"
			 "DROP TABLE IF EXISTS dedup_band;"
			 "CREATE TABLE article(rid INTEGER PRIMARY KEY, dup_of INTEGER,"
			 " title TEXT, body TEXT)",
			 NULL, NULL, NULL) != SQLITE_OK)
		die_sql(db, "creating tables");
	if (dedup_schema(db, &err) < 0) {
		fprintf(stderr, "dedup_eval: %s\n", err);
		return 1;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO article(rid, dup_of, title, body)"
			       " VALUES (?1, ?2, ?3, ?4)", -1, &ins,
			       NULL) != SQLITE_OK)
		die_sql(db, "preparing");
	d = dedup_open(db);

	/* 1. the corpus itself, in date order, in batches of 1000 as newsd index does */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (k = 0; k < nrecs; k++) {
		struct rec *r = &recs[k];
		int64_t demoted;

		t0 = now_monotonic();
		dedup_signature(r->title, r->body, &r->sig);
		t_sig += now_monotonic() - t0;
		t0 = now_monotonic();
		if (dedup_link(d, r->rid, &r->sig, r->title, r->body, &r->dup_of, &demoted,
			       &err) < 0) {
			fprintf(stderr, "dedup_eval: %s\n", err);
			return 1;
		}
		t_link += now_monotonic() - t0;
		insert_article(db, ins, r->rid, r->dup_of, r->title, r->body);
		nshort += dedup_sig_short(&r->sig);
		if (k % 1000 == 999)
			sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	printf("cost: %.2f us/article (signature %.2f + find/add %.2f), %zu articles,"
	       " %d short (not indexed)\n", (t_sig + t_link) * 1e6 / (double)nrecs,
	       t_sig * 1e6 / (double)nrecs, t_link * 1e6 / (double)nrecs, nrecs, nshort);
	{
		struct rec *worst[12] = { NULL };
		double wj[12] = { 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 };

		for (k = 0; k < nrecs; k++) {
			struct rec *r = &recs[k], *o;
			double j;
			int w;

			r->dup_of = root_of(db, r->rid);
			if (r->dup_of == r->rid)
				continue;
			o = rec_by_rid(r->dup_of);
			nat++;
			j = word_jaccard(r->words, r->nwords, o->words, o->nwords);
			hist_add(hnat, dedup_similarity(&r->sig, &o->sig));
			if (j < 0.5)
				nat_doubt++;
			for (w = 0; w < 12; w++)
				if (j < wj[w]) {
					memmove(&worst[w + 1], &worst[w], (size_t)(11 - w) * sizeof(*worst));
					memmove(&wj[w + 1], &wj[w], (size_t)(11 - w) * sizeof(*wj));
					worst[w] = r;
					wj[w] = j;
					break;
				}
		}
		printf("natural: %d Reuters articles marked as copies of an earlier one; %d of them"
		       " share under half their words with the root (doubtful)\n", nat, nat_doubt);
		printf("  lowest word overlap among them:\n");
		for (i = 0; i < 12 && worst[i]; i++) {
			struct rec *o = rec_by_rid(worst[i]->dup_of);

			printf("    words %.2f est. J %.2f C %.2f shingles %u/%u  %s \"%.40s\"  ~  %s"
			       " \"%.40s\"\n", wj[i], dedup_similarity(&worst[i]->sig, &o->sig),
			       dedup_containment(&worst[i]->sig, &o->sig), worst[i]->sig.nshingles,
			       o->sig.nshingles, worst[i]->id, worst[i]->title, o->id, o->title);
		}
	}

	/* 2. planted copies */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < NCOPIES; i++) {
		struct rec *r = pick_long();
		char *title = random_title(), *body = make_copy(r);
		struct dedup_sig sig;
		int64_t rid = rid_after(r, i), dup, root, demoted;

		dedup_signature(title, body, &sig);
		root = root_of(db, r->rid);
		hist_add(hc, dedup_similarity(&sig, &r->sig));
		hist_add(hcc, dedup_containment(&sig, &r->sig));
		study(0, r->title, r->body, title, body);
		if (dedup_link(d, rid, &sig, title, body, &dup, &demoted, &err) < 0) {
			fprintf(stderr, "dedup_eval: %s\n", err);
			return 1;
		}
		if (dup == root)
			tp++;
		else if (dup != 0)
			wrong++;
		else if (dedup_is_copy(&sig, &r->sig) &&
			 dedup_text_is_copy(&sig, title, body, &r->sig, r->title, r->body)) {
			if (dedup_share_anchor(&sig, &r->sig))
				crowded++;
			else
				missed_cand++;
		}
		insert_article(db, ins, rid, dup, title, body);
		free(title);
		free(body);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

	/* 3. different-but-similar: real pairs first, then the synthetic kinds */
	for (i = 0; i < NNEG; i++) {
		struct rec *r = pick_long(), *best = NULL;
		struct dedup_sig sig;
		int kind = i < NNEG * 2 / 5 ? 0 : i % 2 ? 1 : 2;
		double bj = 0;
		int64_t dup;

		if (kind == 0) {
			char topic[64] = " ";

			sscanf(r->topics, " %62s", topic + 1);
			strcat(topic, " ");
			for (k = 0; k < nrecs && strlen(topic) > 2; k++) {
				struct rec *o = &recs[k];
				double j;

				if (o == r || o->nbody < MIN_BODY_WORDS || !strstr(o->topics, topic))
					continue;
				j = word_jaccard(r->words, r->nwords, o->words, o->nwords);
				if (j < 0.6 && j > bj) {
					bj = j;
					best = o;
				}
			}
			if (best == NULL || bj < 0.3) {
				i--;
				continue;
			}
			nkind[0]++;
			hist_add(hreal, dedup_similarity(&r->sig, &best->sig));
			study(0 + 1, r->title, r->body, best->title, best->body);
			/* both are in the index: flagged if either became the other's copy */
			if (root_of(db, r->rid) == root_of(db, best->rid) ||
			    (dedup_is_copy(&r->sig, &best->sig) &&
			     dedup_text_is_copy(&r->sig, r->title, r->body, &best->sig,
						best->title, best->body)))
				fp_kind[0]++;
			continue;
		} else {
			double keep = 0.3 + 0.2 * rnd_unit();
			char *body = kind == 1 ? make_template(r, keep) : make_followup(r, keep);
			char *title = random_title();

			dedup_signature(title, body, &sig);
			study(kind + 1, r->title, r->body, title, body);
			nkind[kind]++;
			hist_add(hn, dedup_similarity(&sig, &r->sig));
			hist_add(hnc, dedup_containment(&sig, &r->sig));
			/* looked up where it would be indexed, like the planted copies */
			if (dedup_find(d, &sig, title, body, rid_after(r, NCOPIES + i), &dup,
				       &err) < 0) {
				fprintf(stderr, "dedup_eval: %s\n", err);
				return 1;
			}
			if (dup)
				fp_kind[kind]++;
			free(title);
			free(body);
		}
	}

	/* 4. roundups quoting 30-50% of an article between parts of two other stories (of 30% to
	 * 90% of the quote's length): related, never copies */
	for (i = 0; i < NROUNDUPS; i++) {
		struct rec *r = pick_long();
		double keep = 0.3 + 0.2 * rnd_unit(), other = 0.3 + 0.6 * rnd_unit();
		char *body = make_roundup(r, keep, other), *title = random_title();
		struct dedup_sig sig;
		int64_t dup;

		dedup_signature(title, body, &sig);
		hist_add(hrc, dedup_containment(&sig, &r->sig));
		roundup_sketch += dedup_is_copy(&sig, &r->sig);
		if (dedup_find(d, &sig, title, body, rid_after(r, NCOPIES + NNEG + i), &dup,
			       &err) < 0) {
			fprintf(stderr, "dedup_eval: %s\n", err);
			return 1;
		}
		roundup_fp += dup != 0;
		free(title);
		free(body);
	}

	printf("similarity histograms (estimated Jaccard, buckets of 0.05 from 0 to 1):\n");
	hist_print("planted copies", hc);
	hist_print("real similar pairs", hreal);
	hist_print("synthetic similar", hn);
	hist_print("natural copies found", hnat);
	printf("containment histograms (estimated, of the smaller text in the larger):\n");
	hist_print("planted copies", hcc);
	hist_print("synthetic similar", hnc);
	hist_print("roundups", hrc);
	study_print();
	printf("planted copies: %d found, %d given a wrong root, %d sharing no anchor, %d sharing"
	       " one only with more than %d nearer articles, %d below the threshold\n", tp, wrong,
	       missed_cand, crowded, DEDUP_NEAREST,
	       NCOPIES - tp - wrong - missed_cand - crowded);
	printf("different-but-similar flagged: real pairs %d/%d, template %d/%d, follow-up %d/%d,"
	       " roundup %d/%d (%d by the sketches alone)\n", fp_kind[0], nkind[0], fp_kind[1],
	       nkind[1], fp_kind[2], nkind[2], roundup_fp, NROUNDUPS, roundup_sketch);
	{
		int fp_all = fp_kind[0] + fp_kind[1] + fp_kind[2] + roundup_fp + wrong;
		double prec = tp + fp_all ? (double)tp / (tp + fp_all) : 0;
		double rec = (double)tp / NCOPIES;

		printf("precision %.3f  recall %.3f  (targets 0.95 / 0.90)  natural copies %d"
		       " (%d doubtful)\n", prec, rec, nat, nat_doubt);
	}
	dedup_close(d);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	for (k = 0; k < nrecs; k++) {
		free(recs[k].id);
		free(recs[k].title);
		free(recs[k].body);
		free(recs[k].topics);
		free(recs[k].words);
	}
	free(recs);
	free(vocab);
	free(err);
	return 0;
}
