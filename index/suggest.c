/*
 * suggest.c — did-you-mean from term_df; see suggest.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "suggest.h"
#include "terms.h"
#include "util.h"
#include "zbody.h"

#define WORD_MAX 40		/* longer words are left alone (and their edits are many) */

/* QWERTY positions: row, and column with the rows' stagger, for "keys next to each other". */
static int key_pos(char c, double *row, double *col)
{
	static const char *const rows[] = { "qwertyuiop", "asdfghjkl", "zxcvbnm" };
	static const double stagger[] = { 0, 0.25, 0.75 };
	int r;

	for (r = 0; r < 3; r++) {
		const char *p = strchr(rows[r], c);

		if (p && c) {
			*row = r;
			*col = (double)(p - rows[r]) + stagger[r];
			return 1;
		}
	}
	return 0;
}

static int keys_adjacent(char a, char b)
{
	double ra, ca, rb, cb;

	if (!key_pos(a, &ra, &ca) || !key_pos(b, &rb, &cb))
		return 0;
	return fabs(ra - rb) <= 1 && fabs(ca - cb) <= 1.0;
}

double suggest_edit_cost(const char *w, const char *c)
{
	size_t lw = strlen(w), lc = strlen(c), i;

	if (lw == lc) {
		for (i = 0; i < lw && w[i] == c[i]; i++)
			;
		if (i == lw)
			return -1;
		if (strcmp(w + i + 1, c + i + 1) == 0)	/* one letter replaced */
			return keys_adjacent(w[i], c[i]) ? 0.5 : 1.0;
		if (i + 1 < lw && w[i] == c[i + 1] && w[i + 1] == c[i] &&
		    strcmp(w + i + 2, c + i + 2) == 0)
			return 0.6;			/* two neighbours swapped */
		return -1;
	}
	if (lc == lw + 1) {				/* c has a letter more: w lost one */
		for (i = 0; i < lw && w[i] == c[i]; i++)
			;
		if (strcmp(w + i, c + i + 1) != 0)
			return -1;
		return (i > 0 && c[i - 1] == c[i]) || c[i + 1] == c[i] ? 0.6 : 1.0;
	}
	if (lw == lc + 1) {				/* w has a letter too many */
		for (i = 0; i < lc && w[i] == c[i]; i++)
			;
		if (strcmp(w + i + 1, c + i) != 0)
			return -1;
		if ((i > 0 && w[i - 1] == w[i]) || w[i + 1] == w[i])
			return 0.6;			/* a doubled letter */
		/* a letter typed in excess is a little less likely than one left out */
		return (i > 0 && keys_adjacent(w[i], w[i - 1])) ||
		       (w[i + 1] && keys_adjacent(w[i], w[i + 1])) ? 0.7 : 1.1;
	}
	return -1;
}

/* The consonant skeleton of a word: first letter, then consonants by sound class (Soundex's
 * groups), vowels and h/w/y dropped, repeats collapsed. */
static void skeleton(const char *w, char *out, size_t cap)
{
	static const char cls[] = "01230120022455012623010202";	/* a..z */
	size_t n = 0;
	char last = 0;

	if (*w == '\0' || cap < 2) {
		if (cap)
			*out = '\0';
		return;
	}
	out[n++] = *w;
	last = (*w >= 'a' && *w <= 'z') ? cls[*w - 'a'] : 0;
	for (w++; *w && n + 1 < cap; w++) {
		char k = (*w >= 'a' && *w <= 'z') ? cls[*w - 'a'] : 0;

		if (k != '0' && k != 0 && k != last)
			out[n++] = k;
		if (k != 0 && *w != 'h' && *w != 'w')
			last = k;
	}
	out[n] = '\0';
}

int suggest_sounds_alike(const char *a, const char *b)
{
	char ka[WORD_MAX + 2], kb[WORD_MAX + 2];

	skeleton(a, ka, sizeof(ka));
	skeleton(b, kb, sizeof(kb));
	return strcmp(ka, kb) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every spelling one edit from w (lower-case a-z), sorted, without w; *n of them. */
static char **edits1(const char *w, size_t *n)
{
	size_t lw = strlen(w), cap = 54 * lw + 26, k = 0, i, j;
	char **v = xmalloc(cap * sizeof(*v));
	char c;

	for (i = 0; i < lw; i++) {			/* deletes */
		v[k] = xmalloc(lw);
		memcpy(v[k], w, i);
		memcpy(v[k] + i, w + i + 1, lw - i);
		k++;
	}
	for (i = 0; i + 1 < lw; i++) {			/* swaps */
		v[k] = xstrdup(w);
		v[k][i] = w[i + 1];
		v[k][i + 1] = w[i];
		k++;
	}
	for (i = 0; i < lw; i++)			/* replacements */
		for (c = 'a'; c <= 'z'; c++)
			if (c != w[i]) {
				v[k] = xstrdup(w);
				v[k][i] = c;
				k++;
			}
	for (i = 0; i <= lw; i++)			/* inserts */
		for (c = 'a'; c <= 'z'; c++) {
			v[k] = xmalloc(lw + 2);
			memcpy(v[k], w, i);
			v[k][i] = c;
			memcpy(v[k] + i + 1, w + i, lw - i + 1);
			k++;
		}
	qsort(v, k, sizeof(*v), cmp_str);
	for (i = 0, j = 0; i < k; i++) {
		if (strcmp(v[i], w) == 0 || (j > 0 && strcmp(v[i], v[j - 1]) == 0))
			free(v[i]);
		else
			v[j++] = v[i];
	}
	*n = j;
	return v;
}

/* Only plain words are respelt: letters, 3 to WORD_MAX of them, not an operator. */
static int plain_word(const char *s, size_t n)
{
	size_t i;

	if (n < 3 || n > WORD_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return !((n == 3 && (memcmp(s, "AND", 3) == 0 || memcmp(s, "NOT", 3) == 0)) ||
		 (n == 4 && memcmp(s, "NEAR", 4) == 0));
}

/* 1 when text has word (lower-case letters) as a whole word, in any case. */
static int has_word(const char *text, const char *word)
{
	size_t wl = strlen(word);
	const char *p = text;

	while (p && *p) {
		size_t n = 0;

		while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			p++;
		while (((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z')))
			n++;
		if (n == wl && strncasecmp(p, word, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/*
 * 1 when some article has word as written. term_df counts stems, and an edit of a word can
 * be a non-word with a real stem ("steadi", "acquirated"): the spelling offered must be one
 * an article uses. Looks at the first SURFACE_DOCS articles with the word's stem.
 */
#define SURFACE_DOCS 24
static int surface_seen(struct store *s, const char *word)
{
	/* the body as stored: inflated (zbody.h) only when the title lacks the word */
	sqlite3_stmt *st = store_stmt(s, "SELECT a.title, a.body FROM fts JOIN article a"
				      " ON a.rid = fts.rowid WHERE fts MATCH ?1 LIMIT ?2", NULL);
	char *m;
	int seen = 0;

	if (st == NULL)
		return 0;
	m = xasprintf("{title body}: \"%s\"", word);
	sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, SURFACE_DOCS);
	while (!seen && sqlite3_step(st) == SQLITE_ROW) {
		seen = has_word((const char *)sqlite3_column_text(st, 0), word);
		if (!seen && sqlite3_column_type(st, 1) == SQLITE_BLOB) {
			size_t len;
			char *body = zbody_unpack(store_zbody(s), sqlite3_column_blob(st, 1),
						  (size_t)sqlite3_column_bytes(st, 1), &len);

			seen = body && has_word(body, word);
			free(body);
		} else if (!seen) {
			seen = has_word((const char *)sqlite3_column_text(st, 1), word);
		}
	}
	sqlite3_reset(st);
	free(m);
	return seen;
}

struct scored {
	const char *word;
	double score;
};

static int cmp_scored(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	size_t lx = strlen(x->word), ly = strlen(y->word);

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	/* a tie (two spellings of one stem, "dollar" and "dollars"): the longer, as a letter
	 * left out is the commoner slip; then the first in order, stable across runs */
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return strcmp(x->word, y->word);
}

/*
 * The two best respellings of the lower-case word w into best[] (caller frees); how many (0 to
 * 2). One batched term_df lookup of w and its edits ({title body}: "w" "e1" "e2" …: the words
 * as the index tokenizes them), then the best few checked against the articles' own spelling.
 */
static int respell(struct store *s, struct terms *t, const char *w, char *best[2])
{
	struct buf m = { 0 };
	size_t n, i, nc = 0;
	char **cand = edits1(w, &n);
	double *df = xmalloc((n + 1) * sizeof(*df));
	int nbest = 0;
	struct scored *sc = xmalloc((n + 1) * sizeof(*sc));
	int got;

	buf_printf(&m, "{title body}: \"%s\"", w);
	for (i = 0; i < n; i++)
		buf_printf(&m, " \"%s\"", cand[i]);
	/* in a file of several languages a word may have a stem in each: its commonest */
	got = terms_phrase_df_lower(t, m.data, df, (int)n + 1);
	if (got != (int)n + 1)
		goto out;
	/* the counts are complete (checked by the caller): a word missing from term_df (NAN)
	 * is in no article */
	for (i = 0; i <= n; i++)
		if (isnan(df[i]))
			df[i] = 0;
	/* a word in some articles is taken for what the user meant (a rare name, a ticker)
	 * unless it is very rare and one slip from a word in far more: SUGGEST_RATIO times for
	 * a cheap slip (a neighbouring key, a swap, a doubled letter), five times that else */
	if (df[0] > SUGGEST_RARE_DF)
		goto out;
	for (i = 0; i < n; i++) {
		double cost = suggest_edit_cost(w, cand[i]);

		if (cost < 0 || df[i + 1] < SUGGEST_MIN_DF ||
		    (df[0] > 0 && df[i + 1] < (cost < 1 ? 1 : 5) * SUGGEST_RATIO * df[0]))
			continue;
		/* a first letter is seldom the one mistyped */
		if (cand[i][0] != w[0])
			cost += 0.5;
		sc[nc].word = cand[i];
		sc[nc].score = log(df[i + 1]) - 3.0 * cost +
			       (suggest_sounds_alike(w, cand[i]) ? 1.0 : 0);
		nc++;
	}
	qsort(sc, nc, sizeof(*sc), cmp_scored);
	for (i = 0; i < nc && i < 5 && nbest < 2; i++)
		if (surface_seen(s, sc[i].word))
			best[nbest++] = xstrdup(sc[i].word);
out:
	for (i = 0; i < n; i++)
		free(cand[i]);
	free(cand);
	free(df);
	free(sc);
	buf_free(&m);
	return nbest;
}

/* A word of the query and its respellings (none for a word left as written). */
struct word_choice {
	size_t off, len;
	char *cand[2];
	int ncand;
};

static void choices_free(struct word_choice *wc, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(wc[i].cand[0]);
		free(wc[i].cand[1]);
	}
	free(wc);
}

/* The respellings of each plain word of q; NULL when none has any or the counts are not
 * complete (a file from before term_df, until newsd optimize). */
static struct word_choice *choices(struct store *s, const char *q, size_t *nw)
{
	struct terms *t = store_terms(s);
	struct word_choice *wc = NULL;
	sqlite3_stmt *st;
	size_t off = 0, n = 0, any = 0;
	int complete = 0;

	*nw = 0;
	if (t == NULL || q == NULL)
		return NULL;
	st = store_stmt(s, "SELECT 1 FROM meta WHERE key = 'term_df' AND value = 'complete'", NULL);
	if (st) {
		complete = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
	}
	if (!complete)
		return NULL;
	while (q[off]) {
		size_t len, i;
		char w[WORD_MAX + 1];

		off += strspn(q + off, " \t\r\n");
		len = strcspn(q + off, " \t\r\n");
		if (len == 0)
			break;
		if (plain_word(q + off, len)) {
			wc = xrealloc(wc, (n + 1) * sizeof(*wc));
			memset(&wc[n], 0, sizeof(wc[n]));
			wc[n].off = off;
			wc[n].len = len;
			for (i = 0; i < len; i++)
				w[i] = (char)(q[off + i] >= 'A' && q[off + i] <= 'Z' ?
					      q[off + i] - 'A' + 'a' : q[off + i]);
			w[len] = '\0';
			wc[n].ncand = respell(s, t, w, wc[n].cand);
			any += wc[n].ncand > 0;
			n++;
		}
		off += len;
	}
	if (any == 0) {
		choices_free(wc, n);
		return NULL;
	}
	*nw = n;
	return wc;
}

/* q with each word respelt by its first choice, except word alt (if >= 0) by its second. */
static char *assemble(const char *q, const struct word_choice *wc, size_t n, long alt)
{
	struct buf out = { 0 };
	size_t i, k, at = 0;

	for (i = 0; i < n; i++) {
		const char *r;
		int caps, all;

		if (wc[i].ncand == 0)
			continue;
		r = wc[i].cand[(long)i == alt ? 1 : 0];
		buf_append(&out, q + at, wc[i].off - at);
		at = wc[i].off + wc[i].len;
		/* written as the user wrote the word: Capitalised or ALL CAPS */
		caps = q[wc[i].off] >= 'A' && q[wc[i].off] <= 'Z';
		all = caps;
		for (k = 1; k < wc[i].len && all; k++)
			all = q[wc[i].off + k] >= 'A' && q[wc[i].off + k] <= 'Z';
		for (k = 0; r[k]; k++)
			buf_putc(&out, (all || (caps && k == 0)) && r[k] >= 'a' && r[k] <= 'z' ?
				 (char)(r[k] - 'a' + 'A') : r[k]);
	}
	buf_puts(&out, q + at);
	return buf_detach(&out);
}

char *suggest_query(struct store *s, const char *q)
{
	size_t n;
	struct word_choice *wc = choices(s, q, &n);
	char *out;

	if (wc == NULL)
		return NULL;
	out = assemble(q, wc, n, -1);
	choices_free(wc, n);
	return out;
}

static int64_t count_matches(struct store *s, const struct search_request *r, const char *q)
{
	struct search_request alt = *r;
	struct search_error err = { SEARCH_OK, NULL, -1 };
	json_t *res;
	int64_t t = -1;

	alt.q = q;
	alt.limit = 0;
	alt.snippets = 0;
	alt.facets = 0;
	res = search_run(s, &alt, &err);
	if (res)
		t = json_integer_value(json_object_get(res, "total"));
	json_decref(res);
	search_error_clear(&err);
	return t;
}

json_t *suggest_did_you_mean(struct store *s, const struct search_request *r, int64_t total)
{
	struct word_choice *wc;
	json_t *out = NULL;
	char *best = NULL;
	int64_t best_total = -1;
	size_t n, i;

	if (r->q == NULL || r->q[0] == '\0' || r->cursor || r->offset > 0 ||
	    total >= SUGGEST_MAX_TOTAL || (wc = choices(s, r->q, &n)) == NULL)
		return NULL;
	/* the first choices, and each second choice in their place: the one that finds the
	 * most (the other words of the query decide between "jan" and "japan") */
	for (i = 0; i <= n; i++) {
		long alt = i == 0 ? -1 : (long)i - 1;
		char *q2;
		int64_t t2;

		if (alt >= 0 && wc[alt].ncand < 2)
			continue;
		q2 = assemble(r->q, wc, n, alt);
		t2 = count_matches(s, r, q2);
		if (t2 > best_total) {
			free(best);
			best = q2;
			best_total = t2;
		} else {
			free(q2);
		}
	}
	if (best && best_total > 0 && best_total >= SUGGEST_GAIN * total)
		out = json_pack("{s:s, s:I}", "q", best, "total", (json_int_t)best_total);
	free(best);
	choices_free(wc, n);
	return out;
}
