/*
 * surface.c — the "newsd_surface" FTS5 tokenizer: stems for words, the words as written for
 * prefixes; see surface.h.
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "surface.h"
#include "util.h"

struct surface {
	fts5_tokenizer parent;		/* the stemming chain, e.g. porter unicode61 … */
	Fts5Tokenizer *pinst;
	fts5_tokenizer fold;		/* the same chain without its porter stage: folding only */
	Fts5Tokenizer *finst;
};

/* One xTokenize call. */
struct run {
	struct surface *sf;
	void *ctx;
	int (*xToken)(void *, int, const char *, int, int, int);
	const char *text;
	int ntext;
	struct buf word;		/* SURFACE_MARK + the folded word */
	/* a prefix query: the parent's tokens, held until the last is known */
	struct qtok {
		int tflags, start, end;
		size_t off, len;	/* in held */
	} *q;
	size_t nq, capq;
	struct buf held;
};

int surface_fold_ascii(const char *word, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)word[i];

		if (c >= 0x80)
			return 0;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	return 1;
}

static int fold_cb(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
	struct buf *b = ctx;

	(void)start;
	(void)end;
	if (!(tflags & FTS5_TOKEN_COLOCATED) && ntok > 0)
		buf_append(b, tok, (size_t)ntok);
	return SQLITE_OK;
}

/* r->word = SURFACE_MARK + text[start, end) folded as unicode61 folds it. 0, or -1 when the
 * range holds no token. */
static int fold_word(struct run *r, int start, int end)
{
	size_t n;

	if (start < 0 || end > r->ntext || end <= start)
		return -1;
	n = (size_t)(end - start);
	r->word.len = 0;
	buf_putc(&r->word, SURFACE_MARK);
	buf_grow(&r->word, n + 1);
	if (surface_fold_ascii(r->text + start, n, r->word.data + 1)) {
		r->word.len = n + 1;
		return 0;
	}
	/* non-ASCII: unicode61 folds (case, diacritics) the range it found the token in */
	if (r->sf->fold.xTokenize(r->sf->finst, &r->word, FTS5_TOKENIZE_AUX, r->text + start,
				  (int)n, fold_cb) != SQLITE_OK || r->word.len < 2)
		return -1;
	return 0;
}

/* Documents: the stem, then the word as written, colocated. */
static int doc_cb(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
	struct run *r = ctx;
	int rc = r->xToken(r->ctx, tflags, tok, ntok, start, end);

	if (rc != SQLITE_OK || (tflags & FTS5_TOKEN_COLOCATED) || fold_word(r, start, end) < 0)
		return rc;
	return r->xToken(r->ctx, FTS5_TOKEN_COLOCATED, r->word.data, (int)r->word.len, start, end);
}

/* A prefix query: hold every token; the last one becomes the prefix (surface_tokenize). */
static int prefix_cb(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
	struct run *r = ctx;
	struct qtok *t;

	if (ntok < 0)
		ntok = 0;
	if (r->nq == r->capq) {
		r->capq = r->capq ? 2 * r->capq : 8;
		r->q = xrealloc(r->q, r->capq * sizeof(*r->q));
	}
	t = &r->q[r->nq++];
	t->tflags = tflags;
	t->start = start;
	t->end = end;
	t->off = r->held.len;
	t->len = (size_t)ntok;
	buf_append(&r->held, tok, (size_t)ntok);
	return SQLITE_OK;
}

static int surface_tokenize(Fts5Tokenizer *inst, void *ctx, int flags, const char *text, int ntext,
			    int (*xToken)(void *, int, const char *, int, int, int))
{
	struct surface *sf = (struct surface *)inst;
	struct run r;
	size_t i, last;
	int rc;

	/* a query word without '*': the stem, exactly as without this wrapper */
	if ((flags & FTS5_TOKENIZE_QUERY) && !(flags & FTS5_TOKENIZE_PREFIX))
		return sf->parent.xTokenize(sf->pinst, ctx, flags, text, ntext, xToken);
	memset(&r, 0, sizeof(r));
	r.sf = sf;
	r.ctx = ctx;
	r.xToken = xToken;
	r.text = text;
	r.ntext = ntext;
	if (!(flags & FTS5_TOKENIZE_QUERY)) {
		rc = sf->parent.xTokenize(sf->pinst, &r, flags, text, ntext, doc_cb);
		goto out;
	}
	rc = sf->parent.xTokenize(sf->pinst, &r, flags, text, ntext, prefix_cb);
	if (rc != SQLITE_OK || r.nq == 0)
		goto out;
	/* FTS5 makes only the phrase's last term a prefix: the others keep their stems */
	for (last = r.nq - 1; last > 0 && (r.q[last].tflags & FTS5_TOKEN_COLOCATED); last--)
		;
	for (i = 0; i < last && rc == SQLITE_OK; i++)
		rc = xToken(ctx, r.q[i].tflags, r.held.data + r.q[i].off, (int)r.q[i].len,
			    r.q[i].start, r.q[i].end);
	if (rc != SQLITE_OK)
		goto out;
	if (fold_word(&r, r.q[last].start, r.q[last].end) == 0)
		rc = xToken(ctx, r.q[last].tflags, r.word.data, (int)r.word.len, r.q[last].start,
			    r.q[last].end);
	else
		rc = xToken(ctx, r.q[last].tflags, r.held.data + r.q[last].off, (int)r.q[last].len,
			    r.q[last].start, r.q[last].end);
out:
	buf_free(&r.word);
	buf_free(&r.held);
	free(r.q);
	return rc;
}

static void surface_delete(Fts5Tokenizer *inst)
{
	struct surface *sf = (struct surface *)inst;

	if (sf == NULL)
		return;
	if (sf->pinst)
		sf->parent.xDelete(sf->pinst);
	if (sf->finst)
		sf->fold.xDelete(sf->finst);
	free(sf);
}

/*
 * argv: the parent tokenizer and its arguments ("porter unicode61 remove_diacritics 2").
 * The folding tokenizer is the chain from its "unicode61" stage on (the stage that finds and
 * folds the words; a stemmer in front of it, porter or another, is left out), or unicode61
 * remove_diacritics 2 when the chain names none (newsd's own, langtok.h).
 */
static int surface_create(void *ud, const char **argv, int argc, Fts5Tokenizer **out)
{
	fts5_api *api = ud;
	struct surface *sf;
	void *pud = NULL, *fud = NULL;
	int skip;

	*out = NULL;
	if (argc < 1)
		return SQLITE_ERROR;
	sf = xcalloc(1, sizeof(*sf));
	if (api->xFindTokenizer(api, argv[0], &pud, &sf->parent) != SQLITE_OK ||
	    sf->parent.xCreate(pud, argv + 1, argc - 1, &sf->pinst) != SQLITE_OK)
		goto fail;
	for (skip = 0; skip < argc && strcmp(argv[skip], "unicode61") != 0; skip++)
		;
	if (skip < argc) {
		if (api->xFindTokenizer(api, argv[skip], &fud, &sf->fold) != SQLITE_OK ||
		    sf->fold.xCreate(fud, argv + skip + 1, argc - skip - 1, &sf->finst) !=
		    SQLITE_OK)
			goto fail;
	} else {
		/* a chain that names no unicode61 stage ("newsd", which runs unicode61
		 * remove_diacritics 2 under its stemmers): fold as it does */
		static const char *fold_args[] = { "remove_diacritics", "2" };

		if (api->xFindTokenizer(api, "unicode61", &fud, &sf->fold) != SQLITE_OK ||
		    sf->fold.xCreate(fud, fold_args, 2, &sf->finst) != SQLITE_OK)
			goto fail;
	}
	*out = (Fts5Tokenizer *)sf;
	return SQLITE_OK;
fail:
	surface_delete((Fts5Tokenizer *)sf);
	return SQLITE_ERROR;
}

int surface_register(sqlite3 *db, char **errmsg)
{
	fts5_api *api = store_fts5_api(db, "the prefix tokenizer", errmsg);
	fts5_tokenizer tok = { surface_create, surface_delete, surface_tokenize };

	if (api == NULL)
		return -1;
	if (api->xCreateTokenizer(api, SURFACE_TOKENIZER, api, &tok, NULL) != SQLITE_OK) {
		set_error(errmsg, "cannot register the tokenizer %s", SURFACE_TOKENIZER);
		return -1;
	}
	return 0;
}
