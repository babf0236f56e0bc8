/*
 * surface.c — the "newsd_surface" FTS5 tokenizer: stems for words, the words as written for
 * prefixes; see surface.h.
 */
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "langtok.h"
#include "store.h"
#include "surface.h"
#include "util.h"

/* Which query stems can have been marked in documents ("newsd_marks"). */
enum stem_rule {
	STEMS_ANY,			/* any: a stemmer this file does not know */
	STEMS_PORTER,			/* porter's: those ending in e, i or bl */
	STEMS_LANGTOK			/* porter's while the query is in English alone, else any */
};

struct surface {
	int marks;			/* SURFACE_MARKS: only the words that differ, stems marked */
	enum stem_rule rule;
	const struct langtok *lt;	/* STEMS_LANGTOK: the parent's state */
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
	struct buf stem;		/* SURFACE_STEM_MARK + a stem */
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

/* Documents ("newsd_surface"): the stem, then the word as written, colocated. */
static int doc_cb(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
	struct run *r = ctx;
	int rc = r->xToken(r->ctx, tflags, tok, ntok, start, end);

	if (rc != SQLITE_OK || (tflags & FTS5_TOKEN_COLOCATED) || fold_word(r, start, end) < 0)
		return rc;
	return r->xToken(r->ctx, FTS5_TOKEN_COLOCATED, r->word.data, (int)r->word.len, start, end);
}

/* r->stem = SURFACE_STEM_MARK + tok. */
static void mark_stem(struct run *r, const char *tok, int ntok)
{
	r->stem.len = 0;
	buf_putc(&r->stem, SURFACE_STEM_MARK);
	buf_append(&r->stem, tok, (size_t)(ntok > 0 ? ntok : 0));
}

/*
 * Documents ("newsd_marks", surface.h): a word that is its own stem gives the stem alone; a
 * word its stem begins gives the stem and the word as written, colocated; any other word
 * (its stem is not a prefix of it: "city", citi) gives its stem behind SURFACE_STEM_MARK and
 * the word as written.
 */
static int marks_doc_cb(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
	struct run *r = ctx;
	size_t nw;
	int rc;

	if ((tflags & FTS5_TOKEN_COLOCATED) || ntok <= 0 || fold_word(r, start, end) < 0)
		return r->xToken(r->ctx, tflags, tok, ntok, start, end);
	nw = r->word.len - 1;
	if ((size_t)ntok <= nw && memcmp(tok, r->word.data + 1, (size_t)ntok) == 0) {
		rc = r->xToken(r->ctx, tflags, tok, ntok, start, end);
		if (rc != SQLITE_OK || (size_t)ntok == nw)
			return rc;
	} else {
		mark_stem(r, tok, ntok);
		rc = r->xToken(r->ctx, tflags, r->stem.data, (int)r->stem.len, start, end);
		if (rc != SQLITE_OK)
			return rc;
	}
	return r->xToken(r->ctx, FTS5_TOKEN_COLOCATED, r->word.data, (int)r->word.len, start, end);
}

int surface_porter_may_mark(const char *stem, size_t n)
{
	return n > 0 && (stem[n - 1] == 'e' || stem[n - 1] == 'i' ||
			 (n > 1 && stem[n - 2] == 'b' && stem[n - 1] == 'l'));
}

/* Whether a document word can have the query stem tok marked (its stem not a prefix of it). */
static int may_mark(const struct surface *sf, const char *tok, int ntok)
{
	uint64_t mask;

	switch (sf->rule) {
	case STEMS_PORTER:
		return surface_porter_may_mark(tok, (size_t)ntok);
	case STEMS_LANGTOK:
		mask = langtok_query(sf->lt);
		if (mask == 0 || mask == (UINT64_C(1) << LANG_EN_BIT))
			return surface_porter_may_mark(tok, (size_t)ntok);
		return 1;
	default:
		return 1;
	}
}

/* A query stem ("newsd_marks"): the stem, and colocated the same stem marked when some word
 * with that stem may not begin with it (may_mark), so those words match too. */
static int emit_stem(struct run *r, int tflags, const char *tok, int ntok, int start, int end)
{
	int rc = r->xToken(r->ctx, tflags, tok, ntok, start, end);

	if (rc != SQLITE_OK || !r->sf->marks || ntok <= 0 || !may_mark(r->sf, tok, ntok))
		return rc;
	mark_stem(r, tok, ntok);
	return r->xToken(r->ctx, tflags | FTS5_TOKEN_COLOCATED, r->stem.data, (int)r->stem.len,
			 start, end);
}

static int marks_query_cb(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
	return emit_stem(ctx, tflags, tok, ntok, start, end);
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
	if ((flags & FTS5_TOKENIZE_QUERY) && !(flags & FTS5_TOKENIZE_PREFIX) && !sf->marks)
		return sf->parent.xTokenize(sf->pinst, ctx, flags, text, ntext, xToken);
	memset(&r, 0, sizeof(r));
	r.sf = sf;
	r.ctx = ctx;
	r.xToken = xToken;
	r.text = text;
	r.ntext = ntext;
	if (!(flags & FTS5_TOKENIZE_QUERY)) {
		rc = sf->parent.xTokenize(sf->pinst, &r, flags, text, ntext,
					  sf->marks ? marks_doc_cb : doc_cb);
		goto out;
	}
	if (!(flags & FTS5_TOKENIZE_PREFIX)) {
		rc = sf->parent.xTokenize(sf->pinst, &r, flags, text, ntext, marks_query_cb);
		goto out;
	}
	rc = sf->parent.xTokenize(sf->pinst, &r, flags, text, ntext, prefix_cb);
	if (rc != SQLITE_OK || r.nq == 0)
		goto out;
	/* FTS5 makes only the phrase's last term a prefix: the others keep their stems */
	for (last = r.nq - 1; last > 0 && (r.q[last].tflags & FTS5_TOKEN_COLOCATED); last--)
		;
	for (i = 0; i < last && rc == SQLITE_OK; i++)
		rc = emit_stem(&r, r.q[i].tflags, r.held.data + r.q[i].off, (int)r.q[i].len,
			       r.q[i].start, r.q[i].end);
	if (rc != SQLITE_OK)
		goto out;
	if (fold_word(&r, r.q[last].start, r.q[last].end) == 0) {
		rc = xToken(ctx, r.q[last].tflags, r.word.data, (int)r.word.len, r.q[last].start,
			    r.q[last].end);
		/* "newsd_marks": the words that are not marked (their stem begins them) are
		 * found by their stems, unmarked */
		if (rc == SQLITE_OK && sf->marks)
			rc = xToken(ctx, r.q[last].tflags | FTS5_TOKEN_COLOCATED, r.word.data + 1,
				    (int)r.word.len - 1, r.q[last].start, r.q[last].end);
	} else {
		rc = xToken(ctx, r.q[last].tflags, r.held.data + r.q[last].off, (int)r.q[last].len,
			    r.q[last].start, r.q[last].end);
	}
out:
	buf_free(&r.word);
	buf_free(&r.stem);
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
struct surface_kind {
	fts5_api *api;
	int marks;
};

static int surface_create(void *ud, const char **argv, int argc, Fts5Tokenizer **out)
{
	const struct surface_kind *kind = ud;
	fts5_api *api = kind->api;
	struct surface *sf;
	void *pud = NULL, *fud = NULL;
	int skip;

	*out = NULL;
	if (argc < 1)
		return SQLITE_ERROR;
	sf = xcalloc(1, sizeof(*sf));
	sf->marks = kind->marks;
	if (api->xFindTokenizer(api, argv[0], &pud, &sf->parent) != SQLITE_OK ||
	    sf->parent.xCreate(pud, argv + 1, argc - 1, &sf->pinst) != SQLITE_OK)
		goto fail;
	if (strcmp(argv[0], "porter") == 0) {
		sf->rule = STEMS_PORTER;
	} else if (strcmp(argv[0], LANGTOK_NAME) == 0) {
		sf->rule = STEMS_LANGTOK;
		sf->lt = pud;	/* langtok_register's state is the tokenizer's user data */
	}
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
	struct surface_kind *every, *marks;

	if (api == NULL)
		return -1;
	/* the user data lives as long as the connection (sqlite3_free'd by FTS5's xDestroy) */
	every = sqlite3_malloc(sizeof(*every));
	marks = sqlite3_malloc(sizeof(*marks));
	if (every == NULL || marks == NULL) {
		sqlite3_free(every);
		sqlite3_free(marks);
		set_error(errmsg, "out of memory registering the tokenizer %s", SURFACE_TOKENIZER);
		return -1;
	}
	every->api = marks->api = api;
	every->marks = 0;
	marks->marks = 1;
	if (api->xCreateTokenizer(api, SURFACE_TOKENIZER, every, &tok, sqlite3_free) != SQLITE_OK) {
		sqlite3_free(marks);
		set_error(errmsg, "cannot register the tokenizer %s", SURFACE_TOKENIZER);
		return -1;
	}
	if (api->xCreateTokenizer(api, SURFACE_MARKS_TOKENIZER, marks, &tok, sqlite3_free) !=
	    SQLITE_OK) {
		set_error(errmsg, "cannot register the tokenizer %s", SURFACE_MARKS_TOKENIZER);
		return -1;
	}
	return 0;
}
