/*
 * terms.c — per-word article counts kept by the writer, read for IDFs; see terms.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "langtok.h"
#include "store.h"
#include "terms.h"
#include "util.h"

/* A word and its counts in the open transaction (deltas). */
struct tcount {
	char *term;
	size_t len;
	uint64_t h;
	int64_t n, nt, nb;
};

/* One article's distinct words: their bytes in one buffer, no allocation per word. */
struct dword {
	uint64_t h;
	uint32_t off, len;
	unsigned char nt, nb;	/* in the title, in the body */
};

struct dset {
	struct dword *v;
	size_t cap, n;
	struct buf bytes;
};

/* Open addressing on the word; keys owned. */
struct tmap {
	struct tcount *v;
	size_t cap, n;
};

struct terms {
	sqlite3 *db;
	fts5_tokenizer tok;
	Fts5Tokenizer *inst;
	struct langtok *lt;	/* the "newsd" tokenizer's state, or NULL for a schema-2 file */
	struct tmap txn;	/* writer: deltas of the open transaction */
	struct dset doc;	/* one article's words */
	int in_title;		/* tokenizing the title (1) or the body (0) */
	sqlite3_stmt *complete;	/* reader statements, prepared on first use */
	sqlite3_stmt *lookup;
	sqlite3_stmt *range;	/* tokens from ?1 up to ?2 (terms_prefix_est) */
	int ntokens;		/* query tokenizing: tokens of the phrase */
	int colocated;		/* and stems beside them (several query languages) */
	char *first;		/* and the first of them */
	int max_col;		/* terms_phrase_df_lower: the column of each stem's count (1-3) */
	double max_df;		/* and the largest of them (NAN: none counted) */
};

static void tmap_clear(struct tmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->v[i].term);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static size_t tmap_slot(const struct tmap *m, const char *t, size_t len, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	while (m->v[i].term && (m->v[i].h != h || m->v[i].len != len ||
				memcmp(m->v[i].term, t, len) != 0))
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* The entry of word t[0..len) (hash h), created with zero counts when new. */
static struct tcount *tmap_get(struct tmap *m, const char *t, size_t len, uint64_t h)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct tmap big = { 0 };

		big.cap = m->cap ? m->cap * 2 : 256;
		big.v = xcalloc(big.cap, sizeof(*big.v));
		for (i = 0; i < m->cap; i++)
			if (m->v[i].term) {
				size_t j = tmap_slot(&big, m->v[i].term, m->v[i].len, m->v[i].h);

				big.v[j] = m->v[i];
				big.n++;
			}
		free(m->v);
		*m = big;
	}
	i = tmap_slot(m, t, len, h);
	if (m->v[i].term == NULL) {
		m->v[i].term = xstrndup(t, len);
		m->v[i].len = len;
		m->v[i].h = h;
		m->n++;
	}
	return &m->v[i];
}

/* Add a word of the article being counted (in the title or the body). */
static void dset_add(struct dset *d, const char *t, size_t len, int in_title)
{
	uint64_t h = hash64(t, len, 7);
	size_t i;

	if ((d->n + 1) * 2 > d->cap) {
		struct dword *old = d->v;
		size_t oldcap = d->cap, j;

		d->cap = d->cap ? d->cap * 2 : 512;
		d->v = xcalloc(d->cap, sizeof(*d->v));
		for (j = 0; j < oldcap; j++)
			if (old[j].len) {
				i = (size_t)old[j].h & (d->cap - 1);
				while (d->v[i].len)
					i = (i + 1) & (d->cap - 1);
				d->v[i] = old[j];
			}
		free(old);
	}
	i = (size_t)h & (d->cap - 1);
	while (d->v[i].len && (d->v[i].h != h || d->v[i].len != len ||
			       memcmp(d->bytes.data + d->v[i].off, t, len) != 0))
		i = (i + 1) & (d->cap - 1);
	if (d->v[i].len == 0) {
		d->v[i].h = h;
		d->v[i].off = (uint32_t)d->bytes.len;
		d->v[i].len = (uint32_t)len;
		buf_append(&d->bytes, t, len);
		d->n++;
	}
	if (in_title)
		d->v[i].nt = 1;
	else
		d->v[i].nb = 1;
}

static void dset_reset(struct dset *d)
{
	if (d->n)
		memset(d->v, 0, d->cap * sizeof(*d->v));
	d->n = 0;
	d->bytes.len = 0;
}

static void dset_free(struct dset *d)
{
	free(d->v);
	buf_free(&d->bytes);
	memset(d, 0, sizeof(*d));
}

int terms_schema(sqlite3 *db, int fresh, char **errmsg)
{
	int rc = sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS term_df(term TEXT PRIMARY KEY,"
			      " n INTEGER NOT NULL, nt INTEGER NOT NULL, nb INTEGER NOT NULL)"
			      " WITHOUT ROWID", NULL, NULL, NULL);

	if (rc == SQLITE_OK && fresh)
		rc = sqlite3_exec(db, "INSERT OR REPLACE INTO meta(key, value)"
				  " VALUES ('term_df', 'complete')", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return set_error(errmsg, "creating the word counts: %s", sqlite3_errmsg(db));
	return 0;
}

struct terms *terms_open(sqlite3 *db, struct langtok *lt, int multilang, int stems,
			 char **errmsg)
{
	static const char *const porter_args[] = { "unicode61", "remove_diacritics", "2" };
	static const char *const plain_args[] = { "remove_diacritics", "2" };
	static const char *const none_args[] = { "none" };
	fts5_api *api = store_fts5_api(db, "word counts", errmsg);
	const char *name = multilang ? LANGTOK_NAME : stems ? "porter" : "unicode61";
	const char *const *args = multilang ? (stems ? NULL : none_args) :
				  stems ? porter_args : plain_args;
	int nargs = multilang ? (stems ? 0 : 1) : stems ? 3 : 2;
	struct terms *t;
	void *ud = NULL;

	if (api == NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->db = db;
	t->lt = multilang ? lt : NULL;
	if (api->xFindTokenizer(api, name, &ud, &t->tok) != SQLITE_OK ||
	    t->tok.xCreate(ud, (const char **)args, nargs, &t->inst) != SQLITE_OK) {
		free(t);
		set_error(errmsg, "word counts: the FTS5 tokenizer is not available");
		return NULL;
	}
	return t;
}

void terms_close(struct terms *t)
{
	if (t == NULL)
		return;
	t->tok.xDelete(t->inst);
	sqlite3_finalize(t->complete);
	sqlite3_finalize(t->lookup);
	sqlite3_finalize(t->range);
	tmap_clear(&t->txn);
	dset_free(&t->doc);
	free(t->first);
	free(t);
}

static int doc_token(void *ctx, int flags, const char *tok, int n, int start, int end)
{
	struct terms *t = ctx;

	(void)flags;
	(void)start;
	(void)end;
	if (n > 0)
		dset_add(&t->doc, tok, (size_t)n, t->in_title);
	return SQLITE_OK;
}

void terms_add(struct terms *t, const char *lang, const char *title, const char *body,
	       int delta)
{
	size_t i;

	if (t == NULL)
		return;
	langtok_set_doc(t->lt, lang);
	dset_reset(&t->doc);
	t->in_title = 1;
	if (title && title[0])
		t->tok.xTokenize(t->inst, t, FTS5_TOKENIZE_DOCUMENT, title, (int)strlen(title),
				 doc_token);
	t->in_title = 0;
	if (body && body[0])
		t->tok.xTokenize(t->inst, t, FTS5_TOKENIZE_DOCUMENT, body, (int)strlen(body),
				 doc_token);
	langtok_set_doc(t->lt, NULL);
	for (i = 0; i < t->doc.cap; i++) {
		const struct dword *d = &t->doc.v[i];
		struct tcount *c;

		if (d->len == 0)
			continue;
		c = tmap_get(&t->txn, t->doc.bytes.data + d->off, d->len, d->h);
		c->n += delta;
		c->nt += d->nt * delta;
		c->nb += d->nb * delta;
	}
}

void terms_discard(struct terms *t)
{
	if (t)
		tmap_clear(&t->txn);
}

static int cmp_term(const void *a, const void *b)
{
	return strcmp(((const struct tcount *)a)->term, ((const struct tcount *)b)->term);
}

int terms_flush(struct terms *t, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	struct tcount *v;
	size_t i, n = 0;
	int rc = SQLITE_OK;

	if (t == NULL || t->txn.n == 0)
		return 0;
	/* in word order: neighbouring rows of term_df, not random pages */
	v = xmalloc(t->txn.n * sizeof(*v));
	for (i = 0; i < t->txn.cap; i++)
		if (t->txn.v[i].term && (t->txn.v[i].n || t->txn.v[i].nt || t->txn.v[i].nb))
			v[n++] = t->txn.v[i];
	qsort(v, n, sizeof(*v), cmp_term);
	rc = sqlite3_prepare_v2(t->db, "INSERT INTO term_df(term, n, nt, nb) VALUES (?1, ?2, ?3, ?4)"
				" ON CONFLICT(term) DO UPDATE SET n = n + excluded.n,"
				" nt = nt + excluded.nt, nb = nb + excluded.nb", -1, &st, NULL);
	for (i = 0; rc == SQLITE_OK && i < n; i++) {
		sqlite3_bind_text(st, 1, v[i].term, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, v[i].n);
		sqlite3_bind_int64(st, 3, v[i].nt);
		sqlite3_bind_int64(st, 4, v[i].nb);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	free(v);
	tmap_clear(&t->txn);
	if (rc != SQLITE_OK)
		return set_error(errmsg, "counting words: %s", sqlite3_errstr(rc));
	return 0;
}

int terms_rebuild(struct terms *t, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	terms_discard(t);
	if (sqlite3_exec(t->db, "DELETE FROM term_df", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(t->db, "SELECT title, newsd_text(body), lang FROM article", -1, &st,
			       NULL) != SQLITE_OK)
		return set_error(errmsg, "counting words: %s", sqlite3_errmsg(t->db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		terms_add(t, (const char *)sqlite3_column_text(st, 2),
			  (const char *)sqlite3_column_text(st, 0),
			  (const char *)sqlite3_column_text(st, 1), 1);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		terms_discard(t);
		return set_error(errmsg, "counting words: %s", sqlite3_errstr(rc));
	}
	if (terms_flush(t, errmsg) < 0)
		return -1;
	return terms_schema(t->db, 1, errmsg);
}

static int query_token(void *ctx, int flags, const char *tok, int n, int start, int end)
{
	struct terms *t = ctx;

	(void)start;
	(void)end;
	if (t->max_col && n > 0) {	/* each stem's count, the largest kept */
		sqlite3_bind_text(t->lookup, 1, tok, n, SQLITE_TRANSIENT);
		if (sqlite3_step(t->lookup) == SQLITE_ROW) {
			double d = (double)sqlite3_column_int64(t->lookup, t->max_col - 1);

			if (isnan(t->max_df) || d > t->max_df)
				t->max_df = d;
		}
		sqlite3_reset(t->lookup);
	}
	if (flags & FTS5_TOKEN_COLOCATED) {
		t->colocated = 1;
		return SQLITE_OK;
	}
	if (t->ntokens++ == 0)
		t->first = xstrndup(tok, (size_t)(n > 0 ? n : 0));
	return SQLITE_OK;
}

/* 1 when the counts are complete (the meta flag) and can be read, else 0. */
static int counts_complete(struct terms *t)
{
	int ok;

	if ((t->complete == NULL &&
	     sqlite3_prepare_v2(t->db, "SELECT 1 FROM meta WHERE key = 'term_df'"
				" AND value = 'complete'", -1, &t->complete, NULL) != SQLITE_OK) ||
	    (t->lookup == NULL &&
	     sqlite3_prepare_v2(t->db, "SELECT n, nt, nb FROM term_df WHERE term = ?1", -1,
				&t->lookup, NULL) != SQLITE_OK))
		return 0;	/* a file from before term_df, opened read-only */
	ok = sqlite3_step(t->complete) == SQLITE_ROW;
	sqlite3_reset(t->complete);
	return ok;
}

/* The count of one word under a column filter ("title body", "title", "body"), or NAN. With
 * lower, a word with several stems counts as its commonest (NAN when none is counted). */
static double word_df(struct terms *t, const char *text, size_t len, const char *cols,
		      int lower)
{
	sqlite3_stmt *st = t->lookup;
	double df = NAN;
	int col;

	col = strcmp(cols, "title body") == 0 || strcmp(cols, "body title") == 0 ? 1 :
	      strcmp(cols, "title") == 0 ? 2 : strcmp(cols, "body") == 0 ? 3 : 0;
	if (col == 0)
		return NAN;
	t->ntokens = 0;
	t->colocated = 0;
	free(t->first);
	t->first = NULL;
	t->max_col = lower ? col : 0;
	t->max_df = NAN;
	t->tok.xTokenize(t->inst, t, FTS5_TOKENIZE_QUERY, text, (int)len, query_token);
	t->max_col = 0;
	/* a word with several stems (query languages) matches any of them: its count is not
	 * one row of term_df, so the phrase is counted by a scan */
	if (t->ntokens != 1 || t->first == NULL)
		return NAN;
	if (t->colocated)
		return lower ? t->max_df : NAN;
	sqlite3_bind_text(st, 1, t->first, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		df = (double)sqlite3_column_int64(st, col - 1);
	sqlite3_reset(st);
	return df;
}

static int phrases(struct terms *t, const char *match, double *df, char **tok, char **texts,
		   int max, int lower);

int terms_phrase_df(struct terms *t, const char *match, double *df, int max)
{
	return phrases(t, match, df, NULL, NULL, max, 0);
}

int terms_phrase_df_lower(struct terms *t, const char *match, double *df, int max)
{
	return phrases(t, match, df, NULL, NULL, max, 1);
}

int terms_phrase_info(struct terms *t, const char *match, double *df, char **tok, char **texts,
		      int max)
{
	return phrases(t, match, df, tok, texts, max, 0);
}

static int phrases(struct terms *t, const char *match, double *df, char **tok, char **texts,
		   int max, int lower)
{
	struct buf text = { 0 };
	char cols[32] = "";
	const char *p = match, *e;
	int n = 0, complete = t && counts_complete(t);
	/* newsd's MATCH (search.c, query.c): each phrase a "quoted string" (""-escaped),
	 * perhaps followed by *, after the {column filter} : that applies to it */
	while (p && *p && n < max) {
		if (*p == '{') {
			e = strchr(p, '}');
			if (e == NULL)
				break;
			snprintf(cols, sizeof(cols), "%.*s", (int)(e - p - 1), p + 1);
			p = e + 1;
			continue;
		}
		if (*p != '"') {
			p++;
			continue;
		}
		buf_reset(&text);
		for (p++; *p; p++) {
			if (*p == '"' && p[1] == '"') {
				buf_putc(&text, '"');
				p++;
			} else if (*p == '"') {
				break;
			} else {
				buf_putc(&text, *p);
			}
		}
		if (*p == '"')
			p++;
		for (e = p; *e == ' '; e++)
			;
		df[n] = !complete || *e == '*' ? NAN :
			word_df(t, text.data ? text.data : "", text.len, cols, lower);
		if (tok)
			tok[n] = isnan(df[n]) || t->first == NULL ? NULL : xstrdup(t->first);
		if (texts)
			texts[n] = isnan(df[n]) ? NULL : xstrndup(text.data ? text.data : "",
								  text.len);
		n++;
	}
	buf_free(&text);
	return n;
}

int terms_single_word(struct terms *t, const char *match, char **token, char **text,
		      double *df)
{
	struct buf b = { 0 };
	char cols[32];
	const char *p = match, *e;
	double d;
	int paren;

	*token = *text = NULL;
	/* exactly one phrase and nothing else: {cols} : "text", perhaps in parentheses */
	paren = p && *p == '(';
	p += paren;
	if (t == NULL || p == NULL || *p != '{' || (e = strchr(p, '}')) == NULL ||
	    (size_t)(e - p - 1) >= sizeof(cols))
		return 0;
	snprintf(cols, sizeof(cols), "%.*s", (int)(e - p - 1), p + 1);
	p = e + 1;
	if (strncmp(p, " : \"", 4) != 0)
		return 0;
	for (p += 4; *p; p++) {
		if (*p == '"' && p[1] == '"') {
			buf_putc(&b, '"');
			p++;
		} else if (*p == '"') {
			break;
		} else {
			buf_putc(&b, *p);
		}
	}
	if (*p != '"' || strcmp(p + 1, paren ? ")" : "") != 0 || b.len == 0 ||
	    !counts_complete(t)) {
		buf_free(&b);
		return 0;
	}
	d = word_df(t, b.data, b.len, cols, 0);
	if (isnan(d) || t->first == NULL) {
		buf_free(&b);
		return 0;
	}
	*token = xstrdup(t->first);
	*text = xstrndup(b.data, b.len);
	*df = d;
	buf_free(&b);
	return 1;
}

int64_t terms_prefix_est(struct terms *t, const char *text, int64_t cap)
{
	char *hi;
	size_t len;
	int64_t sum = 0;

	if (t == NULL || !counts_complete(t) ||
	    (t->range == NULL &&
	     sqlite3_prepare_v2(t->db, "SELECT n FROM term_df WHERE term >= ?1 AND term < ?2", -1,
				&t->range, NULL) != SQLITE_OK))
		return -1;
	t->ntokens = 0;
	t->colocated = 0;
	free(t->first);
	t->first = NULL;
	t->tok.xTokenize(t->inst, t, FTS5_TOKENIZE_QUERY, text, (int)strlen(text), query_token);
	if (t->ntokens != 1 || t->first == NULL || (len = strlen(t->first)) == 0 ||
	    (unsigned char)t->first[len - 1] == 0xff)
		return -1;
	/* the tokens that begin with the stem: [stem, stem with its last byte one up) */
	hi = xstrdup(t->first);
	hi[len - 1] = (char)((unsigned char)hi[len - 1] + 1);
	sqlite3_bind_text(t->range, 1, t->first, -1, SQLITE_STATIC);
	sqlite3_bind_text(t->range, 2, hi, -1, SQLITE_STATIC);
	while (sum < cap && sqlite3_step(t->range) == SQLITE_ROW)
		sum += sqlite3_column_int64(t->range, 0);
	sqlite3_reset(t->range);
	sqlite3_clear_bindings(t->range);
	free(hi);
	return sum;
}

/* Query tokens into a list: each non-colocated token NUL-terminated in a buf. */
static int words_token(void *ctx, int flags, const char *tok, int n, int start, int end)
{
	struct buf *b = ctx;

	(void)start;
	(void)end;
	if (!(flags & FTS5_TOKEN_COLOCATED) && n > 0) {
		buf_append(b, tok, (size_t)n);
		buf_append(b, "", 1);
	}
	return SQLITE_OK;
}

int64_t terms_min_word_df(struct terms *t, const char *text)
{
	struct buf toks = { 0 };
	int64_t min = -1, n;
	size_t i;

	if (t == NULL || !counts_complete(t))
		return -1;
	t->tok.xTokenize(t->inst, &toks, FTS5_TOKENIZE_QUERY, text, (int)strlen(text),
			 words_token);
	for (i = 0; i < toks.len; i += strlen(toks.data + i) + 1) {
		sqlite3_bind_text(t->lookup, 1, toks.data + i, -1, SQLITE_STATIC);
		n = sqlite3_step(t->lookup) == SQLITE_ROW ? sqlite3_column_int64(t->lookup, 0) : 0;
		sqlite3_reset(t->lookup);
		if (min < 0 || n < min)
			min = n;
	}
	buf_free(&toks);
	return min;
}
