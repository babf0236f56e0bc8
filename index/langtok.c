/*
 * langtok.c — the "newsd" FTS5 tokenizer (porter for English, Snowball for the other
 * languages, colocated stems for queries); see langtok.h.
 */
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "lang.h"
#include "langtok.h"
#include "store.h"
#include "util.h"

/* A word longer than this is indexed as it is (FTS5's porter does the same from 64 bytes). */
#define STEM_MAX 64
/* At most this many distinct stems of one query word (the stemmed languages, plus the word). */
#define QSTEMS 32

struct langtok {
	fts5_api *api;
	int doc;		/* LANG_STEMMED index of the document language, -1: unstemmed */
	uint64_t qmask;		/* query languages; 0: English alone */
};

/* One tokenizer instance (per fts table per connection). */
struct ltok {
	struct langtok *lt;
	int none;			/* 'newsd none': never stem */
	fts5_tokenizer porter, uni;
	Fts5Tokenizer *porter_inst, *uni_inst;	/* porter; unicode61 remove_diacritics 2 */
	Fts5Tokenizer *accents_inst;		/* unicode61 remove_diacritics 0 */
	struct sb_stemmer *stem[64];	/* by LANG_STEMMED index, made on first use */
};

typedef int (*token_fn)(void *, int, const char *, int, int, int);

static void ltok_delete(Fts5Tokenizer *p)
{
	struct ltok *t = (struct ltok *)p;
	size_t i;

	if (t == NULL)
		return;
	if (t->porter_inst)
		t->porter.xDelete(t->porter_inst);
	if (t->uni_inst)
		t->uni.xDelete(t->uni_inst);
	if (t->accents_inst)
		t->uni.xDelete(t->accents_inst);
	for (i = 0; i < sizeof(t->stem) / sizeof(t->stem[0]); i++)
		sb_stemmer_delete(t->stem[i]);
	free(t);
}

static int ltok_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	static const char *const porter_args[] = { "unicode61", "remove_diacritics", "2" };
	static const char *const uni_args[] = { "remove_diacritics", "2" };
	static const char *const accents_args[] = { "remove_diacritics", "0" };
	struct langtok *lt = ctx;
	struct ltok *t;
	void *ud = NULL;
	int rc;

	*out = NULL;
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "none") != 0))
		return SQLITE_ERROR;
	t = xcalloc(1, sizeof(*t));
	t->lt = lt;
	t->none = argc == 1;
	rc = lt->api->xFindTokenizer(lt->api, "porter", &ud, &t->porter);
	if (rc == SQLITE_OK)
		rc = t->porter.xCreate(ud, (const char **)porter_args, 3, &t->porter_inst);
	if (rc == SQLITE_OK)
		rc = lt->api->xFindTokenizer(lt->api, "unicode61", &ud, &t->uni);
	if (rc == SQLITE_OK)
		rc = t->uni.xCreate(ud, (const char **)uni_args, 2, &t->uni_inst);
	if (rc == SQLITE_OK)
		rc = t->uni.xCreate(ud, (const char **)accents_args, 2, &t->accents_inst);
	if (rc != SQLITE_OK) {
		ltok_delete((Fts5Tokenizer *)t);
		return rc;
	}
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

/* The Snowball stemmer of LANG_STEMMED[i] for this instance, NULL when it cannot be made. */
static struct sb_stemmer *stemmer(struct ltok *t, int i)
{
	if (t->stem[i] == NULL)
		t->stem[i] = sb_stemmer_new(LANG_STEMMED[i].algorithm, "UTF_8");
	return t->stem[i];
}

struct grab {
	char buf[STEM_MAX * 4];
	int n, count;
};

static int grab_token(void *p, int flags, const char *tok, int n, int start, int end)
{
	struct grab *g = p;

	(void)flags;
	(void)start;
	(void)end;
	if (g->count++ == 0 && n > 0 && (size_t)n < sizeof(g->buf)) {
		memcpy(g->buf, tok, (size_t)n);
		g->n = n;
	}
	return SQLITE_OK;
}

/*
 * Stem tok[0..n) (lower case, diacritics kept: Snowball's stemmers know them, "eleições" and
 * "eleição" meet only before "ç" and "õ" are folded) with LANG_STEMMED[i], then fold the
 * diacritics as unicode61 remove_diacritics 2 does. Words too long, starting with a digit (a
 * tag) or without a stemmer are only folded. Always one token out for one in (snippets count
 * tokens with unicode61). The result is in g.
 */
static void snowball(struct ltok *t, int i, const char *tok, int n, struct grab *g)
{
	struct sb_stemmer *sb;
	const sb_symbol *s = NULL;
	const char *w = tok;
	int wn = n;

	if (i >= 0 && n > 0 && n <= STEM_MAX && !(tok[0] >= '0' && tok[0] <= '9') &&
	    (sb = stemmer(t, i)) != NULL &&
	    (s = sb_stemmer_stem(sb, (const sb_symbol *)tok, n)) != NULL) {
		w = (const char *)s;
		wn = sb_stemmer_length(sb);
	}
	memset(g, 0, sizeof(*g));
	g->n = -1;
	t->uni.xTokenize(t->uni_inst, g, FTS5_TOKENIZE_DOCUMENT, w, wn, grab_token);
	if (g->count != 1 || g->n < 0) {
		/* folding made no single token: keep the word as it is, cut to the buffer */
		g->n = wn < (int)sizeof(g->buf) ? wn : (int)sizeof(g->buf) - 1;
		memcpy(g->buf, w, (size_t)g->n);
		g->count = 1;
	}
}

/* ---- documents ---- */

struct doc_ctx {
	struct ltok *t;
	int lang;
	void *ctx;
	token_fn fn;
};

static int doc_token(void *p, int flags, const char *tok, int n, int start, int end)
{
	struct doc_ctx *d = p;
	struct grab g;

	snowball(d->t, d->lang, tok, n, &g);
	return d->fn(d->ctx, flags, g.buf, g.n, start, end);
}

/* ---- queries ---- */

struct query_ctx {
	struct ltok *t;
	int tflags;		/* the caller's FTS5_TOKENIZE_* flags */
	uint64_t mask;
	void *ctx;
	token_fn fn;
};

/* Add s[0..n) to the distinct stems (in buf, at most QSTEMS). */
static void stem_add(struct buf *b, int *off, int *len, int *k, const char *s, int n)
{
	int i;

	for (i = 0; i < *k; i++)
		if (len[i] == n && memcmp(b->data + off[i], s, (size_t)n) == 0)
			return;
	if (*k == QSTEMS)
		return;
	off[*k] = (int)b->len;
	len[*k] = n;
	buf_append(b, s, (size_t)n);
	(*k)++;
}

static int query_token(void *p, int flags, const char *tok, int n, int start, int end)
{
	struct query_ctx *q = p;
	struct buf b = { 0 };
	int off[QSTEMS], len[QSTEMS], k = 0, i, rc = SQLITE_OK;
	uint64_t m;

	(void)flags;
	/* tok has its diacritics (unicode61 remove_diacritics 0) */
	for (m = q->mask, i = 0; m; m >>= 1, i++) {
		struct grab sg;

		if (!(m & 1))
			continue;
		if (i == 63) {				/* languages without a stemmer */
			snowball(q->t, -1, tok, n, &sg);
			stem_add(&b, off, len, &k, sg.buf, sg.n);
		} else if (i == LANG_EN_BIT) {		/* porter, as the documents got it */
			struct grab g = { .n = -1 };

			q->t->porter.xTokenize(q->t->porter_inst, &g, q->tflags, tok, n, grab_token);
			if (g.count == 1 && g.n >= 0)
				stem_add(&b, off, len, &k, g.buf, g.n);
			else
				stem_add(&b, off, len, &k, tok, n);
			if (n > 0 && tok[0] >= '0' && tok[0] <= '9') {	/* see en_token */
				snowball(q->t, -1, tok, n, &sg);
				stem_add(&b, off, len, &k, sg.buf, sg.n);
			}
		} else if ((size_t)i < LANG_NSTEMMED) {
			snowball(q->t, i, tok, n, &sg);
			stem_add(&b, off, len, &k, sg.buf, sg.n);
		}
	}
	if (k == 0) {
		struct grab sg;

		snowball(q->t, -1, tok, n, &sg);
		stem_add(&b, off, len, &k, sg.buf, sg.n);
	}
	for (i = 0; i < k && rc == SQLITE_OK; i++)
		rc = q->fn(q->ctx, i ? FTS5_TOKEN_COLOCATED : 0, b.data + off[i], len[i], start, end);
	buf_free(&b);
	return rc;
}

/*
 * English query words: porter's tokens as they are, and beside a token that begins with a
 * digit and that porter changed, the unstemmed one (colocated). Such tokens are never stemmed
 * in the other languages' documents, so a tag such as "0les" (Spanish), which porter makes
 * "0le", must still find them; in English documents the extra token matches nothing new.
 */
struct en_ctx {
	struct ltok *t;
	const char *text;
	int tflags;
	void *ctx;
	token_fn fn;
};

static int en_token(void *p, int flags, const char *tok, int n, int start, int end)
{
	struct en_ctx *e = p;
	struct grab g = { .n = -1 };
	int rc = e->fn(e->ctx, flags, tok, n, start, end);

	if (rc != SQLITE_OK || n <= 0 || tok[0] < '0' || tok[0] > '9' || end <= start)
		return rc;
	e->t->uni.xTokenize(e->t->uni_inst, &g, e->tflags, e->text + start, end - start,
			    grab_token);
	if (g.count == 1 && g.n > 0 && (g.n != n || memcmp(g.buf, tok, (size_t)n) != 0))
		rc = e->fn(e->ctx, flags | FTS5_TOKEN_COLOCATED, g.buf, g.n, start, end);
	return rc;
}

static int ltok_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int n,
			 token_fn fn)
{
	struct ltok *t = (struct ltok *)p;
	struct langtok *lt = t->lt;

	if (t->none)
		return t->uni.xTokenize(t->uni_inst, ctx, flags, text, n, fn);
	if (flags & FTS5_TOKENIZE_QUERY) {
		uint64_t mask = lt->qmask;
		struct query_ctx q = { t, flags, mask, ctx, fn };

		if (mask == 0 || mask == (UINT64_C(1) << LANG_EN_BIT)) {
			struct en_ctx e = { t, text, flags, ctx, fn };

			return t->porter.xTokenize(t->porter_inst, &e, flags, text, n, en_token);
		}
		return t->uni.xTokenize(t->accents_inst, &q, flags, text, n, query_token);
	}
	if (lt->doc == LANG_EN_BIT)
		return t->porter.xTokenize(t->porter_inst, ctx, flags, text, n, fn);
	if (lt->doc < 0)
		return t->uni.xTokenize(t->uni_inst, ctx, flags, text, n, fn);
	{
		struct doc_ctx d = { t, lt->doc, ctx, fn };

		return t->uni.xTokenize(t->accents_inst, &d, flags, text, n, doc_token);
	}
}

struct langtok *langtok_register(sqlite3 *db, char **errmsg)
{
	fts5_tokenizer tok = { ltok_create, ltok_delete, ltok_tokenize };
	fts5_api *api = store_fts5_api(db, "tokenizer", errmsg);
	struct langtok *lt;
	int rc;

	if (api == NULL)
		return NULL;
	lt = xcalloc(1, sizeof(*lt));
	lt->api = api;
	lt->doc = LANG_EN_BIT;
	rc = api->xCreateTokenizer(api, LANGTOK_NAME, lt, &tok, free);
	if (rc != SQLITE_OK) {
		free(lt);
		set_error(errmsg, "registering the tokenizer failed: %s", sqlite3_errstr(rc));
		return NULL;
	}
	return lt;
}

void langtok_set_doc(struct langtok *lt, const char *lang)
{
	if (lt == NULL)
		return;
	lt->doc = lang_stemmer_index(lang);
	if (lt->doc < 0 && !lang_known(lang))
		lt->doc = LANG_EN_BIT;
}

void langtok_set_query(struct langtok *lt, uint64_t mask)
{
	if (lt)
		lt->qmask = mask;
}

uint64_t langtok_query(const struct langtok *lt)
{
	return lt ? lt->qmask : 0;
}
