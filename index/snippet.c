/* snippet.c — FTS5 auxiliary functions newsd_snippet() and newsd_highlight(); see snippet.h.
 *
 * How a snippet is made, in four steps, each linear (or n log n) in what it touches:
 *
 *   1. hits:   the phrase instances in column COL (xInstCount/xInst), as token ranges
 *              [off, off + phrase size), sorted by offset.
 *   2. tokens: one xTokenize pass over the column text maps token index to byte range and
 *              notes where sentences start. It stops as soon as it has seen every token a
 *              fragment could reach (the last hit plus NWORDS), so a hit in the lead of a
 *              100 KB article costs only the lead.
 *   3. choose: one candidate per hit (the window of NWORDS tokens that starts at the hit),
 *              scored with a sliding window over the hits: 1000 per distinct phrase plus one
 *              per hit; starting near a sentence start breaks ties. The best candidates whose
 *              hits do not collide with a fragment already taken are taken greedily, and each
 *              is placed to start at the sentence start just before its first hit, or else
 *              with its hits centred, never overlapping its neighbours.
 *   4. render: the chosen fragments in document order, HTML-escaped with white space folded,
 *              every phrase instance in one <mark>…</mark> (overlapping instances share one;
 *              adjacent distinct instances get one each), "… " before a fragment that does not
 *              start the column and " …" after one that does not end it, joined by SNIPPET_SEP.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "snippet.h"
#include "store.h"
#include "util.h"

#define MAX_FRAGMENTS	16	/* internal caps; the HTTP layer validates the real limits */
#define MAX_WORDS	256
#define ELLIPSIS	"\xE2\x80\xA6"	/* U+2026 */

/* One phrase instance in the column: tokens [off, end). */
struct hit {
	int off;
	int end;
	int phrase;
};

/* One token: its bytes [start, end) in the text, and the index of the nearest token at or
 * before it that starts a sentence (the column start counts as one). */
struct tok {
	int start;
	int end;
	int sent;
};

/* The column text and its tokens, filled by tokenize(). */
struct doc {
	const char *text;
	int n;
	struct tok *toks;
	int ntok;
	int cap;
	int limit;	/* stop once the token with this index is recorded; -1: tokenize all */
	int complete;	/* the tokenizer reached the end of the text, so ntok is the total */
	int prev_end;	/* byte end of the previous token, for the gap test */
	/* prefix mode: the tokens that begin with pfx (folded) are the hits (phrase 0) */
	const char *pfx;
	int npfx;
	struct hit *ph;
	int nph, capph;
};

/* A candidate fragment: the hits from `anchor` (the first hit's token) up to `core_end`, and
 * the sentence start to begin at, or -1. */
struct cand {
	int anchor;
	int core_end;
	int score;
	int sent;
};

/* A chosen fragment: tokens [start, end). */
struct frag {
	int start;
	int end;
};

static int is_space(unsigned char c)
{
	return c <= 0x20 || c == 0x7F;
}

/* Is c one of the characters in set (never NUL)? */
static int is_punct(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* Does the gap text between two tokens end a sentence or a paragraph?  A full stop, question
 * or exclamation mark followed by white space, or a line break followed by an indent or a
 * blank line (the wire's paragraph form). The next token must also not start lower case, so
 * that "e.g. the" and "U.S. officials" do not count. */
static int gap_ends_sentence(const char *g, int n, unsigned char next)
{
	int i;

	if (next >= 'a' && next <= 'z')
		return 0;
	for (i = 0; i + 1 < n; i++) {
		unsigned char c = (unsigned char)g[i], d = (unsigned char)g[i + 1];

		if ((c == '.' || c == '!' || c == '?') && is_space(d))
			return 1;
		if (c == '\n' && (d == '\n' || d == ' ' || d == '\t'))
			return 1;
	}
	return 0;
}

/* xToken callback: record one token. Colocated tokens (synonyms) share the previous token's
 * position, so they add nothing. Byte offsets are clamped into the text and kept monotonic so
 * a misbehaving tokenizer cannot make the renderer read outside it. Returns SQLITE_DONE (not an
 * error: see tokenize) once the token at d->limit is in. */
static int tokenize_cb(void *ctx, int tflags, const char *token, int ntoken, int start, int end)
{
	struct doc *d = ctx;
	struct tok *t;

	(void)token;
	(void)ntoken;
	if (tflags & FTS5_TOKEN_COLOCATED)
		return SQLITE_OK;
	if (start < d->prev_end)
		start = d->prev_end;
	if (start > d->n)
		start = d->n;
	if (end < start)
		end = start;
	if (end > d->n)
		end = d->n;
	if (d->ntok == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->toks = xrealloc(d->toks, (size_t)d->cap * sizeof(*d->toks));
	}
	t = &d->toks[d->ntok];
	t->start = start;
	t->end = end;
	if (d->ntok == 0 || (start < d->n &&
	    gap_ends_sentence(d->text + d->prev_end, start - d->prev_end,
			      (unsigned char)d->text[start])))
		t->sent = d->ntok;
	else
		t->sent = d->toks[d->ntok - 1].sent;
	d->prev_end = end;
	if (d->pfx && ntoken >= d->npfx && memcmp(token, d->pfx, (size_t)d->npfx) == 0) {
		if (d->nph == d->capph) {
			d->capph = d->capph ? d->capph * 2 : 16;
			d->ph = xrealloc(d->ph, (size_t)d->capph * sizeof(*d->ph));
		}
		d->ph[d->nph].off = d->ntok;
		d->ph[d->nph].end = d->ntok + 1;
		d->ph[d->nph++].phrase = 0;
	}
	d->ntok++;
	if (d->limit >= 0 && d->ntok > d->limit)
		return SQLITE_DONE;
	return SQLITE_OK;
}

/* The boundary tokenizer of one registered function (its FTS5 user data), or inst NULL to use
 * the table's own tokenizer. */
struct bounds {
	fts5_tokenizer tok;
	Fts5Tokenizer *inst;
};

/* Tokenize d->text up to token d->limit (or all of it when the limit is -1), so token indexes
 * agree with xInst offsets: with the boundary tokenizer when there is one (the table's
 * tokenizer without its porter stage, which rewrites token text but never moves or adds a
 * token, so it finds the same tokens at the same offsets for about two thirds of the cost),
 * else with the table's own. Returns an SQLite code. */
static int tokenize(const Fts5ExtensionApi *api, Fts5Context *fts, struct doc *d)
{
	struct bounds *b = api->xUserData(fts);
	int rc;

	d->ntok = 0;
	d->prev_end = 0;
	d->complete = 0;
	if (b != NULL && b->inst != NULL)
		rc = b->tok.xTokenize(b->inst, d, FTS5_TOKENIZE_AUX, d->text, d->n, tokenize_cb);
	else
		rc = api->xTokenize(fts, d->text, d->n, d, tokenize_cb);
	if (rc == SQLITE_OK)
		d->complete = 1;
	else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	return rc;
}

static int fold_cb(void *ctx, int tflags, const char *token, int ntoken, int start, int end)
{
	struct buf *b = ctx;

	(void)start;
	(void)end;
	if (tflags & FTS5_TOKEN_COLOCATED)
		return SQLITE_OK;
	if (b->len > 0)
		buf_putc(b, ' ');	/* a second token: not one word */
	buf_append(b, token, (size_t)(ntoken > 0 ? ntoken : 0));
	return SQLITE_OK;
}

/*
 * Prefix mode (the optional last argument): the prefix folded by the boundary tokenizer into
 * d->pfx (out holds it), and the whole column tokenized, its tokens that begin with it the
 * hits. That is where FTS5 finds a prefix of words as written (surface.h: each word folded as
 * unicode61 folds it), without a MATCH: FTS5 3.40 merges every such word's doclist for a
 * MATCH, whatever the rowid asked for. SQLITE_OK, SQLITE_MISMATCH when the prefix is not one
 * word, or another code.
 */
static int prefix_hits(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_value *v,
		       struct buf *out, struct doc *d, struct hit **hits, int *nhits)
{
	struct bounds *b = api->xUserData(fts);
	const char *p = (const char *)sqlite3_value_text(v);
	int rc;

	if (b == NULL || b->inst == NULL)
		return SQLITE_ERROR;	/* the table's tokenizer gives stems: no word to compare */
	if (p == NULL)
		return SQLITE_MISMATCH;
	rc = b->tok.xTokenize(b->inst, out, FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX, p,
			      sqlite3_value_bytes(v), fold_cb);
	if (rc != SQLITE_OK)
		return rc;
	if (out->len == 0 || memchr(out->data, ' ', out->len) != NULL)
		return SQLITE_MISMATCH;
	d->pfx = out->data;
	d->npfx = (int)out->len;
	d->limit = -1;
	rc = tokenize(api, fts, d);
	*hits = d->ph;	/* in position order */
	*nhits = d->nph;
	d->ph = NULL;
	return rc;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

/* Collect the phrase instances in column col into *out (caller frees), sorted by offset.
 * *maxoff is the largest offset seen (-1 when none). Returns an SQLite code. */
static int collect_hits(const Fts5ExtensionApi *api, Fts5Context *fts, int col,
			struct hit **out, int *nout, int *maxoff)
{
	struct hit *hits = NULL;
	int ninst = 0, nphrase = api->xPhraseCount(fts), i, n = 0, sorted = 1, rc;

	*out = NULL;
	*nout = 0;
	*maxoff = -1;
	rc = api->xInstCount(fts, &ninst);
	if (rc != SQLITE_OK || ninst <= 0)
		return rc;
	hits = xmalloc((size_t)ninst * sizeof(*hits));
	for (i = 0; i < ninst; i++) {
		int phrase, icol, off, size;

		rc = api->xInst(fts, i, &phrase, &icol, &off);
		if (rc != SQLITE_OK)
			goto out;
		if (icol != col || off < 0 || phrase < 0 || phrase >= nphrase)
			continue;
		size = api->xPhraseSize(fts, phrase);
		if (size < 1)
			size = 1;
		hits[n].off = off;
		hits[n].end = off > INT_MAX - size ? INT_MAX : off + size;
		hits[n].phrase = phrase;
		if (n > 0 && hit_cmp(&hits[n - 1], &hits[n]) > 0)
			sorted = 0;
		if (off > *maxoff)
			*maxoff = off;
		n++;
	}
	/* FTS5 returns instances in position order; sort only if that ever changes. */
	if (!sorted)
		qsort(hits, (size_t)n, sizeof(*hits), hit_cmp);
out:
	if (rc != SQLITE_OK) {
		free(hits);
		hits = NULL;
		n = 0;
	}
	*out = hits;
	*nout = n;
	return rc;
}

/* Drop hits beyond the tokens the text really has (an external-content row edited without
 * reindexing) and clip phrase ends to it. Returns the new count. */
static int clip_hits(struct hit *hits, int nhits, const struct doc *d)
{
	int i, n = 0;

	if (!d->complete)
		return nhits;
	for (i = 0; i < nhits; i++) {
		if (hits[i].off >= d->ntok)
			continue;
		hits[n] = hits[i];
		if (hits[n].end > d->ntok)
			hits[n].end = d->ntok;
		n++;
	}
	return n;
}

/* Merge overlapping hits into the mark ranges (each hit is one phrase instance), in place. */
static int merge_marks(struct hit *hits, int nhits)
{
	int i, n = 0;

	for (i = 0; i < nhits; i++) {
		if (n > 0 && hits[i].off < hits[n - 1].end) {
			if (hits[i].end > hits[n - 1].end)
				hits[n - 1].end = hits[i].end;
			continue;
		}
		hits[n++] = hits[i];
	}
	return n;
}

/* Byte where a fragment starting at token a begins: the trimmed column start for the first
 * token, else the token itself, pulling in an opening quote or bracket stuck to it. */
static int frag_from(const struct doc *d, int a)
{
	int p, lo;

	if (a == 0) {
		p = 0;
		while (p < d->n && is_space((unsigned char)d->text[p]))
			p++;
		return p;
	}
	p = d->toks[a].start;
	lo = d->toks[a - 1].end;
	while (p > lo && is_punct(d->text[p - 1], "\"'(["))
		p--;
	return p;
}

/* Byte where a fragment ending before token b stops: the trimmed column end when b is the
 * last token, else the end of token b-1 plus closing punctuation stuck to it. */
static int frag_to(const struct doc *d, int b, int at_end)
{
	int p, hi;

	if (at_end || b == 0) {
		p = d->n;
		while (p > 0 && is_space((unsigned char)d->text[p - 1]))
			p--;
		return p;
	}
	p = d->toks[b - 1].end;
	hi = b < d->ntok ? d->toks[b].start : d->n;
	while (p < hi && is_punct(d->text[p], ".,;:!?)]\"'%"))
		p++;
	return p;
}

/* Append bytes [from, to) of the text holding tokens [a, b), HTML-escaped, with each mark
 * range wrapped in <mark>…</mark> (a range cut by the fragment edge is closed at the edge). */
static void render_range(struct buf *out, const struct doc *d, int a, int b, int from, int to,
			 const struct hit *marks, int nmarks)
{
	int k, m = 0, pos = from, in = 0;

	while (m < nmarks && marks[m].end <= a)
		m++;
	for (k = a; k < b && m < nmarks; k++) {
		const struct tok *t = &d->toks[k];

		if (!in && marks[m].off <= k) {
			if (t->start > pos)
				buf_html_escape(out, d->text + pos, (size_t)(t->start - pos));
			buf_puts(out, "<mark>");
			pos = t->start;
			in = 1;
		}
		if (in && (k + 1 == marks[m].end || k + 1 == b)) {
			if (t->end > pos)
				buf_html_escape(out, d->text + pos, (size_t)(t->end - pos));
			buf_puts(out, "</mark>");
			pos = t->end;
			in = 0;
			while (m < nmarks && marks[m].end <= k + 1)
				m++;
		}
	}
	if (to > pos)
		buf_html_escape(out, d->text + pos, (size_t)(to - pos));
}

/* Append fragment [a, b) with its ellipses. */
static void render_frag(struct buf *out, const struct doc *d, int a, int b,
			const struct hit *marks, int nmarks)
{
	int at_end = d->complete && b >= d->ntok;
	int from = frag_from(d, a), to = frag_to(d, b, at_end);

	if (a > 0)
		buf_puts(out, ELLIPSIS " ");
	render_range(out, d, a, b, from, to > from ? to : from, marks, nmarks);
	if (!at_end)
		buf_puts(out, " " ELLIPSIS);
}

/* Does token k begin a word, i.e. is white space (or the column start) before it?  Tokens
 * glued by punctuation ("19.35", "6-7/8", "March's") should not be cut apart. */
static int word_start(const struct doc *d, int k)
{
	int p;

	if (k <= 0 || k >= d->ntok)
		return 1;
	for (p = d->toks[k - 1].end; p < d->toks[k].start; p++)
		if (is_space((unsigned char)d->text[p]))
			return 1;
	return 0;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if ((x->sent >= 0) != (y->sent >= 0))
		return x->sent >= 0 ? -1 : 1;
	return (x->anchor > y->anchor) - (x->anchor < y->anchor);
}

static int frag_cmp(const void *a, const void *b)
{
	const struct frag *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* Score one candidate per distinct hit offset with a sliding window over the hits: the right
 * edge only moves forward, and per-phrase counts keep the distinct count current, so this is
 * linear in the hits. Returns the number of candidates written to cands (nhits long). */
static int make_candidates(const struct hit *hits, int nhits, int nphrase, int words,
			   const struct doc *d, struct cand *cands)
{
	int *count = xcalloc((size_t)nphrase + 1, sizeof(int));
	int i, r = 0, distinct = 0, n = 0;

	for (i = 0; i < nhits; i++) {
		int limit = hits[i].off > INT_MAX - words ? INT_MAX : hits[i].off + words;
		int core_end, slack, look, s;

		while (r < nhits && hits[r].off < limit) {
			if (count[hits[r].phrase]++ == 0)
				distinct++;
			r++;
		}
		if (i == 0 || hits[i].off != hits[i - 1].off) {
			core_end = hits[i].end > hits[r - 1].end ? hits[i].end : hits[r - 1].end;
			if (core_end > limit)
				core_end = limit;
			slack = words - (core_end - hits[i].off);
			/* A sentence start counts only a few words back, or the
			 * fragment would be mostly lead-in. */
			look = slack < words / 2 ? slack : words / 2;
			s = d->toks[hits[i].off].sent;
			cands[n].anchor = hits[i].off;
			cands[n].core_end = core_end;
			cands[n].score = 1000 * distinct + (r - i);
			cands[n].sent = hits[i].off - s <= look ? s : -1;
			n++;
		}
		if (--count[hits[i].phrase] == 0)
			distinct--;
	}
	free(count);
	return n;
}

/* Take up to nfrag best candidates whose hits do not fall in a fragment already taken, and
 * place each within the room its neighbours leave. `hi` is the last token a fragment may
 * reach. Returns the number of fragments in frags (sorted by start). */
static int choose_fragments(struct cand *cands, int ncand, int nfrag, int words, int hi,
			    const struct doc *d, struct frag *frags)
{
	int i, j, n = 0;

	qsort(cands, (size_t)ncand, sizeof(*cands), cand_cmp);
	for (i = 0; i < ncand && n < nfrag; i++) {
		const struct cand *c = &cands[i];
		int lo = 0, up = hi, start, end, clash = 0;

		for (j = 0; j < n; j++) {
			if (c->anchor < frags[j].end && c->core_end > frags[j].start)
				clash = 1;
			else if (frags[j].end <= c->anchor && frags[j].end > lo)
				lo = frags[j].end;
			else if (frags[j].start >= c->core_end && frags[j].start < up)
				up = frags[j].start;
		}
		if (clash)
			continue;
		if (c->sent >= lo)
			start = c->sent;
		else
			start = c->anchor - (words - (c->core_end - c->anchor)) / 2;
		if (start < lo)
			start = lo;
		end = start > INT_MAX - words ? INT_MAX : start + words;
		if (end > up) {
			/* Near the column end or a neighbour: slide back to keep the length. */
			end = up;
			start = end - words;
			if (start < lo)
				start = lo;
			if (start > c->anchor)
				start = c->anchor;
		}
		/* Widen the start and narrow the end by a few tokens so that neither edge
		 * splits a number or a hyphenated word. */
		for (j = 0; j < 3 && start > lo && !word_start(d, start); j++)
			start--;
		for (j = 0; j < 3 && end - 1 > c->core_end && !word_start(d, end); j++)
			end--;
		frags[n].start = start;
		frags[n].end = end;
		n++;
	}
	qsort(frags, (size_t)n, sizeof(*frags), frag_cmp);
	return n;
}

static int int_arg(sqlite3_value *v, int lo, int hi)
{
	sqlite3_int64 x = sqlite3_value_int64(v);

	return x < lo ? lo : x > hi ? hi : (int)x;
}

/* Check the column argument; on error the result is set and -1 returned. */
static int column_arg(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
		      sqlite3_value *v, const char *fname)
{
	sqlite3_int64 col;
	char *msg;

	if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER) {
		msg = sqlite3_mprintf("%s: the column must be an integer", fname);
		goto fail;
	}
	col = sqlite3_value_int64(v);
	if (col < 0 || col >= api->xColumnCount(fts)) {
		msg = sqlite3_mprintf("%s: no column %lld in this table", fname, col);
		goto fail;
	}
	return (int)col;
fail:
	sqlite3_result_error(ctx, msg ? msg : "out of memory", -1);
	sqlite3_free(msg);
	return -1;
}

static void result_buf(sqlite3_context *ctx, struct buf *b)
{
	size_t len = b->len;
	char *s = buf_detach(b);

	sqlite3_result_text64(ctx, s, len, free, SQLITE_UTF8);
}

/* newsd_snippet(fts, COL, NFRAG, NWORDS): see snippet.h. Arguments out of sane range are
 * capped (the HTTP layer enforces the real limits). Result: text, or NULL for NFRAG <= 0 and
 * for an empty or NULL column; an error for a bad argument or a failing FTS5 call. */
static void snippet_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
		       int nval, sqlite3_value **val)
{
	struct doc d = { 0 };
	struct hit *hits = NULL;
	struct cand *cands = NULL;
	struct frag frags[MAX_FRAGMENTS];
	struct buf out = { 0 };
	struct buf pfx = { 0 };
	int col, nfrag, words, nhits = 0, maxoff, ncand, nf = 0, nmarks, i, rc, nphrase;

	if (nval != 3 && nval != 4) {
		sqlite3_result_error(ctx, "newsd_snippet: expected 3 or 4 arguments after the table: "
				     "column, fragments, words[, prefix]", -1);
		return;
	}
	col = column_arg(api, fts, ctx, val[0], "newsd_snippet");
	if (col < 0)
		return;
	nfrag = int_arg(val[1], 0, MAX_FRAGMENTS);
	words = int_arg(val[2], 1, MAX_WORDS);
	if (nfrag == 0)
		return;
	rc = api->xColumnText(fts, col, &d.text, &d.n);
	if (rc != SQLITE_OK)
		goto out;
	if (d.text == NULL || d.n <= 0)
		goto out;
	if (nval == 4) {
		rc = prefix_hits(api, fts, val[3], &pfx, &d, &hits, &nhits);
		if (rc != SQLITE_OK)
			goto out;
		nphrase = 1;
	} else {
		rc = collect_hits(api, fts, col, &hits, &nhits, &maxoff);
		if (rc != SQLITE_OK)
			goto out;
		/* Every fragment ends by the last hit plus one window; one more token tells
		 * whether the column goes on past it. */
		d.limit = maxoff < 0 ? words : (maxoff > INT_MAX - words ? -1 : maxoff + words);
		rc = tokenize(api, fts, &d);
		if (rc != SQLITE_OK)
			goto out;
		nphrase = api->xPhraseCount(fts);
	}
	nhits = clip_hits(hits, nhits, &d);
	if (nhits > 0) {
		cands = xmalloc((size_t)nhits * sizeof(*cands));
		ncand = make_candidates(hits, nhits, nphrase, words, &d, cands);
		nf = choose_fragments(cands, ncand, nfrag, words,
				      d.complete ? d.ntok : d.ntok - 1, &d, frags);
	} else {
		frags[0].start = 0;
		frags[0].end = words;
		if (d.complete && frags[0].end > d.ntok)
			frags[0].end = d.ntok;
		nf = 1;
	}
	nmarks = merge_marks(hits, nhits);
	for (i = 0; i < nf; i++) {
		if (i > 0)
			buf_puts(&out, SNIPPET_SEP);
		render_frag(&out, &d, frags[i].start, frags[i].end, hits, nmarks);
	}
	/* A column of white space only has nothing to show. */
	if (out.len > 0)
		result_buf(ctx, &out);
out:
	if (rc != SQLITE_OK)
		sqlite3_result_error_code(ctx, rc);
	buf_free(&out);
	buf_free(&pfx);
	free(cands);
	free(hits);
	free(d.toks);
}

/* newsd_highlight(fts, COL): the whole column, trimmed, escaped, with marks; "" for an empty
 * or NULL column. Tokenizing stops after the last hit: the rest needs no token boundaries. */
static void highlight_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
			 int nval, sqlite3_value **val)
{
	struct doc d = { 0 };
	struct hit *hits = NULL;
	struct buf out = { 0 };
	struct buf pfx = { 0 };
	int col, nhits = 0, maxoff, nmarks, maxend = 0, from, to, i, rc;

	if (nval != 1 && nval != 2) {
		sqlite3_result_error(ctx, "newsd_highlight: expected 1 or 2 arguments after the "
				     "table: column[, prefix]", -1);
		return;
	}
	col = column_arg(api, fts, ctx, val[0], "newsd_highlight");
	if (col < 0)
		return;
	rc = api->xColumnText(fts, col, &d.text, &d.n);
	if (rc != SQLITE_OK)
		goto out;
	if (d.text == NULL || d.n <= 0) {
		sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
		goto out;
	}
	rc = nval == 2 ? prefix_hits(api, fts, val[1], &pfx, &d, &hits, &nhits) :
			 collect_hits(api, fts, col, &hits, &nhits, &maxoff);
	if (rc != SQLITE_OK)
		goto out;
	for (i = 0; i < nhits; i++)
		if (hits[i].end > maxend)
			maxend = hits[i].end;
	if (nhits > 0 && nval == 1) {
		d.limit = maxend;
		rc = tokenize(api, fts, &d);
		if (rc != SQLITE_OK)
			goto out;
	}
	nhits = clip_hits(hits, nhits, &d);
	nmarks = merge_marks(hits, nhits);
	from = frag_from(&d, 0);
	to = frag_to(&d, 0, 1);
	if (d.ntok > 0)
		render_range(&out, &d, 0, d.ntok, from, to > from ? to : from, hits, nmarks);
	else if (to > from)
		buf_html_escape(&out, d.text + from, (size_t)(to - from));
	result_buf(ctx, &out);
out:
	if (rc != SQLITE_OK)
		sqlite3_result_error_code(ctx, rc);
	buf_free(&out);
	buf_free(&pfx);
	free(hits);
	free(d.toks);
}

static void bounds_free(void *p)
{
	struct bounds *b = p;

	if (b != NULL && b->inst != NULL)
		b->tok.xDelete(b->inst);
	free(b);
}

/* A boundary tokenizer for one function: SNIPPET_BOUNDARY_TOKENIZER if this connection has
 * it, else one that defers to the table's tokenizer. Never NULL. */
static struct bounds *bounds_new(fts5_api *api)
{
	static const char *const args[] = SNIPPET_BOUNDARY_ARGS;
	struct bounds *b = xcalloc(1, sizeof(*b));
	void *ud = NULL;

	if (api->xFindTokenizer(api, SNIPPET_BOUNDARY_TOKENIZER, &ud, &b->tok) != SQLITE_OK ||
	    b->tok.xCreate(ud, (const char **)args, (int)(sizeof(args) / sizeof(args[0])),
			   &b->inst) != SQLITE_OK)
		b->inst = NULL;
	return b;
}

/* Register one function with its own boundary tokenizer, which FTS5 frees with the
 * connection (or here, when registering fails). Returns an SQLite code. */
static int create_function(fts5_api *api, const char *name, fts5_extension_function fn)
{
	struct bounds *b = bounds_new(api);
	int rc = api->xCreateFunction(api, name, b, fn, bounds_free);

	if (rc != SQLITE_OK)
		bounds_free(b);
	return rc;
}

int snippet_register(sqlite3 *db, char **errmsg)
{
	fts5_api *api = store_fts5_api(db, "snippet", errmsg);
	int rc;

	if (api == NULL)
		return -1;
	rc = create_function(api, "newsd_snippet", snippet_fn);
	if (rc == SQLITE_OK)
		rc = create_function(api, "newsd_highlight", highlight_fn);
	if (rc != SQLITE_OK)
		return set_error(errmsg, "snippet: registering the functions failed: %s",
				 sqlite3_errstr(rc));
	return 0;
}
