/* query.c — the user query language (API.md "q") compiled to an FTS5 MATCH expression; see query.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query.h"
#include "util.h"

/*
 * The language, as a grammar for our recursive-descent parser:
 *
 *   query    := or_expr EOF
 *   or_expr  := and_expr ( 'OR' and_expr )*
 *   and_expr := unary ( [ 'AND' ] unary )*
 *   unary    := ( '-' | 'NOT' ) unary | primary
 *   primary  := '(' or_expr ')'
 *             | field ':' ( word [ '*' ] | phrase [ '*' | '~' N ] )
 *             | phrase [ '*' | '~' N ]
 *             | 'NEAR' '(' item+ [ ',' N ] ')'
 *             | word [ '*' ]
 *   item     := word [ '*' ] | phrase [ '*' ]
 *   field    := 'title' | 'body'                      (any case, ':' attached, no space)
 *   N        := digits, 0..1000                       (NEAR default 10)
 *
 * Lexical rules:
 *   - White space is any byte <= 0x20 and DEL. A word is a run of bytes up to white space,
 *     '(', ')' or '"' (inside NEAR( ) also ','). A phrase is '"' … '"', no escapes.
 *   - AND, OR, NOT are operators only when the whole word is in capitals; NEAR only when the
 *     next non-blank byte is '('. In any other case they are words.
 *   - '-' is exclusion only at the start of a term (start of q, after white space or '(') and
 *     directly before something other than white space, '-' or ')'; otherwise it belongs to
 *     the word, so "ice-cream" is one word (FTS5 makes it the phrase "ice cream"), "--" and a
 *     lone "-" are words without letters (dropped), and "-.net" excludes "net".
 *   - '*', '~N' must touch the word or closing quote they apply to; trailing '**' is one '*'.
 *   - title:/body: must touch what follows; any other "x:y" (10:30, http://…) is a word.
 *   - A word or phrase with no letter or digit (&, --, ...) is dropped. Non-ASCII code points
 *     are letters except common punctuation and symbol blocks (dashes, quotes, arrows, emoji):
 *     FTS5 turns those into a phrase with no tokens, which would match nothing.
 *
 * Meaning: juxtaposition is AND; NOT between terms is AND NOT; double negation cancels; an
 * and-list whose items are all negative is "everything" (QUERY_ALL_TOKEN in tags) minus them.
 *
 * MATCH output: each phrase is {title body} : "text" ({title} or {body} with a field), with
 * '"' doubled and " *" for a prefix; NEAR is {title body} : NEAR("a" "b", N). Each AND or OR
 * list is one parenthesised group. An and-list with exclusions is one
 * (positives NOT (excl1 OR excl2 …)), with {tags} : "0a" as the positives when there are
 * none, so the number of NOTs never deepens the tree. Within a group the most deeply nested
 * operand goes first, which is cheaper on FTS5's parser stack (see below); the parsed form
 * keeps the user's order.
 */

#define DEFAULT_MAX_BYTES 4096
#define DEFAULT_MAX_TERMS 256
#define DEFAULT_MAX_DEPTH 32
#define HARD_MAX_DEPTH 1000	/* bounds our own recursion whatever the caller asks */
#define NEAR_DEFAULT 10
#define NEAR_MAX 1000

/*
 * FTS5's expression parser (a Lemon parser) has a fixed stack of about 100 entries, and the
 * MATCH fails with "parser stack overflow" beyond it. Measured on SQLite 3.40: an operand
 * that opens a group first costs one entry, an operand after an operator costs three
 * ("(" expr OP), NEAR( ) costs three more than a phrase, and a phrase at depth 95 is the last
 * one accepted. We compute the cost of what we emit and refuse above FTS5_STACK_BUDGET,
 * which keeps a margin below the measured limit.
 */
#define FTS5_STACK_BUDGET 90
#define FTS5_COST_NEAR 3

enum field { FIELD_ANY, FIELD_TITLE, FIELD_BODY };

static const char *const field_colset[] = { "{title body}", "{title}", "{body}" };
static const char *const field_prefix[] = { "", "title:", "body:" };

enum tok_type {
	TOK_EOF, TOK_LPAREN, TOK_RPAREN, TOK_MINUS, TOK_AND, TOK_OR, TOK_NOT, TOK_NEAR, TOK_TERM
};

struct token {
	enum tok_type type;
	size_t pos;		/* byte offset in q */
	/* TOK_TERM: a word, or the inside of a phrase, with what is attached to it */
	size_t start, len;
	enum field field;
	int quoted;		/* written as "…" */
	int prefix;		/* followed by '*' */
	int distance;		/* "…"~N, else -1 */
	int dropped;		/* no letter or digit: not searchable */
};

enum node_type { NODE_PHRASE, NODE_NEAR, NODE_AND, NODE_OR, NODE_NOT };

struct node {
	enum node_type type;
	size_t pos;		/* where it starts in q, for errors */
	enum field field;	/* PHRASE, NEAR */
	char *text;		/* PHRASE: white space folded to single spaces */
	int quoted;		/* PHRASE: the user wrote quotes */
	int prefix;		/* PHRASE */
	int tilde;		/* NEAR: written "a b"~N */
	int distance;		/* NEAR */
	int need;		/* FTS5 parser stack this node needs, see node_need */
	struct node **kid;	/* NEAR: phrases; AND, OR: operands; NOT: one operand */
	size_t nkid;
	size_t cap;
};

struct parser {
	const char *q;
	size_t len;
	size_t pos;		/* lexer position */
	struct token tok;	/* the current token */
	size_t max_terms;
	int max_depth;
	size_t terms;
	int depth;
	char *errmsg;		/* first error, NULL while all is well */
	size_t errpos;
};

static int is_space(unsigned char c)
{
	return c <= 0x20 || c == 0x7F;
}

static int is_ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Ends a word outside NEAR( ). */
static int is_word_end(unsigned char c)
{
	return is_space(c) || c == '(' || c == ')' || c == '"';
}

/* UTF-8 as util.h decodes it, except that a NUL byte is invalid in a query. */
static size_t query_utf8(const unsigned char *s, size_t n, unsigned *cp)
{
	return n > 0 && s[0] == 0 ? 0 : utf8_decode(s, n, cp);
}

/*
 * Non-ASCII code points that the unicode61 tokenizer treats as separators and that people
 * actually type: Latin-1 punctuation, combining marks, general punctuation, currency,
 * arrows and mathematical and technical symbols, box drawing, dingbats, CJK punctuation,
 * variation selectors, full-width punctuation, emoji, tag characters. Not exhaustive: a
 * rarer symbol is kept as a word and then simply matches nothing.
 */
static const unsigned nonletter_ranges[][2] = {
	{ 0x80, 0xA9 }, { 0xAB, 0xB1 }, { 0xB4, 0xB4 }, { 0xB6, 0xB8 }, { 0xBB, 0xBB },
	{ 0xBF, 0xBF }, { 0xD7, 0xD7 }, { 0xF7, 0xF7 }, { 0x300, 0x36F }, { 0x2000, 0x206F },
	{ 0x20A0, 0x20FF }, { 0x2190, 0x245F }, { 0x2500, 0x2775 }, { 0x2794, 0x2BFF },
	{ 0x2E00, 0x2E7F }, { 0x3000, 0x3004 }, { 0x3008, 0x3020 }, { 0x3030, 0x3030 },
	{ 0xFE00, 0xFE0F }, { 0xFE30, 0xFE6F }, { 0xFEFF, 0xFEFF }, { 0xFF01, 0xFF0F },
	{ 0xFF1A, 0xFF20 }, { 0xFF3B, 0xFF40 }, { 0xFF5B, 0xFF65 }, { 0xFFF0, 0xFFFF },
	{ 0x1F000, 0x1FAFF }, { 0xE0000, 0xE007F },
};

static int is_letter_cp(unsigned cp)
{
	size_t i;

	if (cp < 0x80)
		return is_ascii_alnum((unsigned char)cp);
	for (i = 0; i < sizeof(nonletter_ranges) / sizeof(nonletter_ranges[0]); i++)
		if (cp >= nonletter_ranges[i][0] && cp <= nonletter_ranges[i][1])
			return 0;
	return 1;
}

/* 1 when s[0..n) (valid UTF-8) holds a letter or digit, i.e. something FTS5 can index. */
static int has_letter(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	unsigned cp;

	while (i < n) {
		k = query_utf8(p + i, n - i, &cp);
		if (k == 0)
			return 0;
		if (is_letter_cp(cp))
			return 1;
		i += k;
	}
	return 0;
}

/* Offset of the first invalid UTF-8 sequence or NUL byte in s[0..n), or n when there is none. */
static size_t utf8_first_invalid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	unsigned cp;

	while (i < n) {
		k = query_utf8(p + i, n - i, &cp);
		if (k == 0)
			return i;
		i += k;
	}
	return n;
}

/* Record the first error (later ones are consequences of it). */
static void parse_error(struct parser *p, size_t pos, const char *msg)
{
	if (p->errmsg != NULL)
		return;
	p->errmsg = xstrdup(msg);
	p->errpos = pos;
}

static void node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkid; i++)
		node_free(n->kid[i]);
	free(n->kid);
	free(n->text);
	free(n);
}

static struct node *node_new(enum node_type type, size_t pos)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->pos = pos;
	n->distance = -1;
	return n;
}

static void node_push(struct node *n, struct node *kid)
{
	if (n->nkid == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 4;
		n->kid = xrealloc(n->kid, n->cap * sizeof(*n->kid));
	}
	n->kid[n->nkid++] = kid;
}

/*
 * Add kid (owned from now on) to the AND or OR list n. A kid of the same type is spliced in,
 * since a AND (b AND c) is a AND b AND c: fewer groups for FTS5 to nest.
 */
static void node_add(struct node *n, struct node *kid)
{
	size_t i;

	if (kid->type != n->type) {
		node_push(n, kid);
		return;
	}
	for (i = 0; i < kid->nkid; i++)
		node_push(n, kid->kid[i]);
	kid->nkid = 0;
	node_free(kid);
}

/* A list of one item is that item; an empty list is nothing (everything in it was dropped). */
static struct node *node_collapse(struct node *n)
{
	struct node *kid;

	if (n->nkid > 1)
		return n;
	kid = n->nkid == 1 ? n->kid[0] : NULL;
	n->nkid = 0;
	node_free(n);
	return kid;
}

/* Copy s[0..n) with runs of white space folded to one space and no space at either end. */
static char *fold_space(const char *s, size_t n)
{
	struct buf b = { 0 };
	size_t i;
	int space = 0;

	buf_grow(&b, n);
	for (i = 0; i < n; i++) {
		if (is_space((unsigned char)s[i])) {
			space = 1;
			continue;
		}
		if (space && b.len > 0)
			buf_putc(&b, ' ');
		space = 0;
		buf_putc(&b, s[i]);
	}
	return buf_detach(&b);
}

/* Count one more searchable term; refuse beyond the limit. Returns 0 or -1. */
static int count_term(struct parser *p, size_t pos)
{
	char msg[64];

	if (++p->terms <= p->max_terms)
		return 0;
	snprintf(msg, sizeof(msg), "too many terms (limit %zu)", p->max_terms);
	parse_error(p, pos, msg);
	return -1;
}

/*
 * Read a distance N (0..1000) at *i. Returns N and moves *i past the digits, or -1 (after
 * recording an error that names what) when there are no digits or N is out of range.
 */
static int lex_distance(struct parser *p, size_t *i, size_t errpos, const char *what)
{
	size_t start = *i;
	long v = 0;
	char msg[96];

	while (*i < p->len && p->q[*i] >= '0' && p->q[*i] <= '9') {
		if (v <= NEAR_MAX)
			v = v * 10 + (p->q[*i] - '0');
		(*i)++;
	}
	if (*i == start || v > NEAR_MAX) {
		snprintf(msg, sizeof(msg), "%s needs a distance from 0 to %d", what, NEAR_MAX);
		parse_error(p, *i == start ? errpos : start, msg);
		return -1;
	}
	return (int)v;
}

/*
 * Lex the phrase whose opening quote is at q[at] into t, with an attached '*' or '~N'
 * (the latter only when allow_tilde). Returns the offset after it, or 0 on error.
 */
static size_t lex_phrase(struct parser *p, size_t at, struct token *t, int allow_tilde)
{
	const char *close = memchr(p->q + at + 1, '"', p->len - at - 1);
	size_t i, tilde;

	if (close == NULL) {
		parse_error(p, at, "unbalanced quote");
		return 0;
	}
	t->type = TOK_TERM;
	t->quoted = 1;
	t->start = at + 1;
	t->len = (size_t)(close - p->q) - t->start;
	t->dropped = !has_letter(p->q + t->start, t->len);
	i = (size_t)(close - p->q) + 1;
	if (i < p->len && p->q[i] == '*') {
		t->prefix = 1;
		while (i < p->len && p->q[i] == '*')
			i++;
	} else if (allow_tilde && i < p->len && p->q[i] == '~') {
		tilde = i++;
		t->distance = lex_distance(p, &i, tilde, "~");
		if (t->distance < 0)
			return 0;
		if (i < p->len && !is_word_end((unsigned char)p->q[i])) {
			parse_error(p, tilde, "~ needs a distance from 0 to 1000");
			return 0;
		}
	}
	return i;
}

/*
 * Split a word run q[at..end) into its text and a trailing '*'. Errors when the '*' has no
 * letter or digit before it. Returns 0 or -1.
 */
static int lex_word(struct parser *p, size_t at, size_t end, struct token *t)
{
	size_t stem = end;

	while (stem > at && p->q[stem - 1] == '*')
		stem--;
	t->type = TOK_TERM;
	t->start = at;
	t->len = stem - at;
	t->prefix = stem < end;
	t->dropped = !has_letter(p->q + at, stem - at);
	if (t->prefix && t->dropped) {
		parse_error(p, stem, "* must follow a word (prefix search)");
		return -1;
	}
	return 0;
}

/* 1 when the word q[at..at+n) is exactly the capitalised keyword kw. */
static int is_keyword(const struct parser *p, size_t at, size_t n, const char *kw)
{
	return n == strlen(kw) && memcmp(p->q + at, kw, n) == 0;
}

/* The field named by a word that starts with "title:" or "body:" (any case); sets *skip. */
static enum field word_field(const struct parser *p, size_t at, size_t n, size_t *skip)
{
	if (n >= 6 && strncasecmp(p->q + at, "title:", 6) == 0) {
		*skip = 6;
		return FIELD_TITLE;
	}
	if (n >= 5 && strncasecmp(p->q + at, "body:", 5) == 0) {
		*skip = 5;
		return FIELD_BODY;
	}
	return FIELD_ANY;
}

/*
 * Read the next token at p->pos into p->tok. Returns 0, or -1 with the error recorded.
 * After TOK_NEAR, p->pos is just after the word NEAR: parse_near reads the rest itself.
 */
static int lex(struct parser *p)
{
	const char *q = p->q;
	struct token *t = &p->tok;
	size_t i = p->pos, end, skip = 0, j;
	unsigned char c, next;

	while (i < p->len && is_space((unsigned char)q[i]))
		i++;
	memset(t, 0, sizeof(*t));
	t->distance = -1;
	t->pos = i;
	if (i == p->len) {
		t->type = TOK_EOF;
		p->pos = i;
		return 0;
	}
	c = (unsigned char)q[i];
	if (c == '(' || c == ')') {
		t->type = c == '(' ? TOK_LPAREN : TOK_RPAREN;
		p->pos = i + 1;
		return 0;
	}
	if (c == '-' && i + 1 < p->len &&
	    (i == 0 || is_space((unsigned char)q[i - 1]) || q[i - 1] == '(')) {
		next = (unsigned char)q[i + 1];
		if (!is_space(next) && next != '-' && next != ')') {
			t->type = TOK_MINUS;
			p->pos = i + 1;
			return 0;
		}
	}
	if (c == '"') {
		end = lex_phrase(p, i, t, 1);
		if (end == 0)
			return -1;
		p->pos = end;
		return 0;
	}
	for (end = i; end < p->len && !is_word_end((unsigned char)q[end]); end++)
		;
	if (is_keyword(p, i, end - i, "AND") || is_keyword(p, i, end - i, "OR") ||
	    is_keyword(p, i, end - i, "NOT")) {
		t->type = q[i] == 'A' ? TOK_AND : q[i] == 'O' ? TOK_OR : TOK_NOT;
		p->pos = end;
		return 0;
	}
	if (is_keyword(p, i, end - i, "NEAR")) {
		for (j = end; j < p->len && is_space((unsigned char)q[j]); j++)
			;
		if (j < p->len && q[j] == '(') {
			t->type = TOK_NEAR;
			p->pos = end;
			return 0;
		}
	}
	t->field = word_field(p, i, end - i, &skip);
	if (t->field != FIELD_ANY && end - i == skip) {
		/* "title:" alone: only a phrase may follow without a gap */
		if (end < p->len && q[end] == '"') {
			end = lex_phrase(p, end, t, 1);
			if (end == 0)
				return -1;
			t->pos = i;
			p->pos = end;
			return 0;
		}
		parse_error(p, i, "title: and body: need a word or phrase right after the colon");
		return -1;
	}
	if (lex_word(p, i + skip, end, t) < 0)
		return -1;
	t->pos = i;
	p->pos = end;
	return 0;
}

/* Make a phrase node from text q[at..at+n) (folded), counting it as a term. NULL on error. */
static struct node *make_phrase(struct parser *p, size_t pos, size_t at, size_t n,
				enum field field, int quoted, int prefix)
{
	struct node *ph;

	if (count_term(p, pos) < 0)
		return NULL;
	ph = node_new(NODE_PHRASE, pos);
	ph->field = field;
	ph->text = fold_space(p->q + at, n);
	ph->quoted = quoted;
	ph->prefix = prefix;
	return ph;
}

/*
 * Turn the current TOK_TERM into a node: a phrase, or for "a b"~N a NEAR of its words.
 * Returns NULL when the term was dropped or on error (p->errmsg tells which).
 */
static struct node *term_node(struct parser *p)
{
	const struct token *t = &p->tok;
	struct node *near, *ph;
	size_t i, w;

	if (t->dropped)
		return NULL;
	if (t->distance < 0)
		return make_phrase(p, t->pos, t->start, t->len, t->field, t->quoted, t->prefix);
	near = node_new(NODE_NEAR, t->pos);
	near->field = t->field;
	near->tilde = 1;
	near->distance = t->distance;
	i = t->start;
	while (i < t->start + t->len) {
		if (is_space((unsigned char)p->q[i])) {
			i++;
			continue;
		}
		for (w = i; w < t->start + t->len && !is_space((unsigned char)p->q[w]); w++)
			;
		if (has_letter(p->q + i, w - i)) {
			ph = make_phrase(p, i, i, w - i, FIELD_ANY, 0, 0);
			if (ph == NULL) {
				node_free(near);
				return NULL;
			}
			node_push(near, ph);
		}
		i = w;
	}
	return near;
}

/*
 * NEAR( item… [, N] ), with p->pos just after the word NEAR and p->tok the NEAR token.
 * Leaves p->tok on the token after ')'. Returns the node, NULL when every item was dropped
 * or on error.
 */
static struct node *parse_near(struct parser *p)
{
	const char *q = p->q;
	size_t nearpos = p->tok.pos, lp, i = p->pos, end;
	struct node *near = node_new(NODE_NEAR, nearpos), *ph;
	struct token t;
	int items = 0;

	near->distance = NEAR_DEFAULT;
	while (i < p->len && is_space((unsigned char)q[i]))
		i++;
	lp = i++;		/* the lexer saw the '(' */
	for (;;) {
		while (i < p->len && is_space((unsigned char)q[i]))
			i++;
		if (i == p->len) {
			parse_error(p, lp, "missing closing parenthesis after NEAR(");
			goto fail;
		}
		if (q[i] == ')') {
			i++;
			break;
		}
		if (q[i] == ',') {
			if (items == 0) {
				parse_error(p, i, "NEAR needs words before the distance");
				goto fail;
			}
			i++;
			while (i < p->len && is_space((unsigned char)q[i]))
				i++;
			if (i == p->len) {
				parse_error(p, lp, "missing closing parenthesis after NEAR(");
				goto fail;
			}
			near->distance = lex_distance(p, &i, i, "NEAR");
			if (near->distance < 0)
				goto fail;
			while (i < p->len && is_space((unsigned char)q[i]))
				i++;
			if (i == p->len || q[i] != ')') {
				parse_error(p, i == p->len ? lp : i,
					    "NEAR( ) must end with ')' after the distance");
				goto fail;
			}
			i++;
			break;
		}
		memset(&t, 0, sizeof(t));
		t.pos = i;
		if (q[i] == '"') {
			end = lex_phrase(p, i, &t, 0);
			if (end == 0)
				goto fail;
		} else if (q[i] == '(') {
			parse_error(p, i, "NEAR( ) takes only words and phrases");
			goto fail;
		} else {
			for (end = i; end < p->len && !is_word_end((unsigned char)q[end]) &&
			     q[end] != ','; end++)
				;
			if (is_keyword(p, i, end - i, "AND") || is_keyword(p, i, end - i, "OR") ||
			    is_keyword(p, i, end - i, "NOT") || is_keyword(p, i, end - i, "NEAR")) {
				parse_error(p, i, "NEAR( ) takes only words and phrases");
				goto fail;
			}
			if (lex_word(p, i, end, &t) < 0)
				goto fail;
		}
		items++;
		if (!t.dropped) {
			ph = make_phrase(p, t.pos, t.start, t.len, FIELD_ANY, t.quoted, t.prefix);
			if (ph == NULL)
				goto fail;
			node_push(near, ph);
		}
		i = end;
	}
	if (items == 0) {
		parse_error(p, nearpos, "NEAR( ) needs at least one word");
		goto fail;
	}
	p->pos = i;
	if (lex(p) < 0)
		goto fail;
	if (near->nkid == 0) {
		node_free(near);
		return NULL;
	}
	return near;
fail:
	node_free(near);
	return NULL;
}

static int starts_unary(enum tok_type t)
{
	return t == TOK_TERM || t == TOK_LPAREN || t == TOK_MINUS || t == TOK_NOT ||
	       t == TOK_NEAR;
}

static struct node *parse_or(struct parser *p);

/* primary: a group, a term (word, phrase, field:term, "…"~N) or NEAR( ). */
static struct node *parse_primary(struct parser *p)
{
	struct node *n;
	size_t lp;
	char msg[64];

	switch (p->tok.type) {
	case TOK_LPAREN:
		lp = p->tok.pos;
		if (p->depth >= p->max_depth) {
			snprintf(msg, sizeof(msg), "too deeply nested (limit %d)", p->max_depth);
			parse_error(p, lp, msg);
			return NULL;
		}
		if (lex(p) < 0)
			return NULL;
		if (p->tok.type == TOK_EOF) {
			parse_error(p, lp, "missing closing parenthesis");
			return NULL;
		}
		if (p->tok.type == TOK_RPAREN) {
			parse_error(p, lp, "empty parentheses");
			return NULL;
		}
		p->depth++;
		n = parse_or(p);
		p->depth--;
		if (p->errmsg != NULL)
			return n;
		if (p->tok.type != TOK_RPAREN) {
			parse_error(p, lp, "missing closing parenthesis");
			return n;
		}
		if (lex(p) < 0)
			return n;
		return n;
	case TOK_TERM:
		n = term_node(p);
		if (p->errmsg == NULL)
			lex(p);
		return n;
	case TOK_NEAR:
		return parse_near(p);
	default:
		parse_error(p, p->tok.pos, "expected a word");
		return NULL;
	}
}

/*
 * unary: any number of '-' / NOT before a primary. Done by counting rather than recursing,
 * so a long run of NOTs costs no stack, and NOT NOT x is simply x.
 */
static struct node *parse_unary(struct parser *p)
{
	struct node *n, *wrap;
	size_t oppos = 0;
	int neg = 0, ops = 0;

	while (p->tok.type == TOK_MINUS || p->tok.type == TOK_NOT) {
		oppos = p->tok.pos;
		neg ^= 1;
		ops++;
		if (lex(p) < 0)
			return NULL;
	}
	if (ops > 0 && !starts_unary(p->tok.type)) {
		parse_error(p, oppos, "NOT needs a term after it");
		return NULL;
	}
	n = parse_primary(p);
	if (n == NULL || !neg)
		return n;
	if (n->type == NODE_NOT) {
		wrap = n;
		n = wrap->kid[0];
		wrap->nkid = 0;
		node_free(wrap);
		return n;
	}
	wrap = node_new(NODE_NOT, oppos);
	node_push(wrap, n);
	return wrap;
}

/* Error for a token that cannot start a term where one is required. */
static void unexpected(struct parser *p)
{
	switch (p->tok.type) {
	case TOK_OR:
		parse_error(p, p->tok.pos, "OR needs a term on both sides");
		break;
	case TOK_AND:
		parse_error(p, p->tok.pos, "AND needs a term on both sides");
		break;
	case TOK_RPAREN:
		parse_error(p, p->tok.pos, "unbalanced closing parenthesis");
		break;
	default:
		parse_error(p, p->tok.pos, "expected a word");
		break;
	}
}

/* and_expr: unary ( [AND] unary )*, stopping at OR, ')' or the end. */
static struct node *parse_and(struct parser *p)
{
	struct node *list = node_new(NODE_AND, p->tok.pos), *n;
	size_t andpos;
	int first = 1;

	for (;;) {
		if (p->tok.type == TOK_AND) {
			andpos = p->tok.pos;
			if (first || lex(p) < 0 || !starts_unary(p->tok.type)) {
				parse_error(p, andpos, "AND needs a term on both sides");
				break;
			}
		} else if (!starts_unary(p->tok.type)) {
			if (first)
				unexpected(p);
			break;
		}
		n = parse_unary(p);
		if (n != NULL)
			node_add(list, n);
		if (p->errmsg != NULL)
			break;
		first = 0;
	}
	return node_collapse(list);
}

/* or_expr: and_expr ( OR and_expr )*. */
static struct node *parse_or(struct parser *p)
{
	struct node *list = node_new(NODE_OR, p->tok.pos), *n;
	size_t orpos;

	for (;;) {
		n = parse_and(p);
		if (n != NULL)
			node_add(list, n);
		if (p->errmsg != NULL || p->tok.type != TOK_OR)
			break;
		orpos = p->tok.pos;
		if (lex(p) < 0)
			break;
		if (!starts_unary(p->tok.type)) {
			parse_error(p, orpos, "OR needs a term on both sides");
			break;
		}
	}
	return node_collapse(list);
}

/* How many of an AND's operands are exclusions (negative = 1) or not (negative = 0). */
static size_t and_count(const struct node *n, int negative)
{
	size_t i, c = 0;

	for (i = 0; i < n->nkid; i++)
		c += (n->kid[i]->type == NODE_NOT) == negative;
	return c;
}

/* The operand of a list as FTS5 sees it: the inside of a NOT when listing negatives. */
static const struct node *operand(const struct node *kid, int negative)
{
	return negative ? kid->kid[0] : kid;
}

/*
 * FTS5 parser stack needed by a group "( k1 OP k2 OP … )" of the kids of n that are
 * (negative ? NOT : not NOT), when the neediest goes first (cost 1) and the rest after an
 * operator (cost 3). Sets *first to that neediest kid's index. With one such kid, no group
 * is emitted and its own need is returned.
 */
static int group_need(const struct node *n, int negative, int all_kids, size_t *first)
{
	size_t i, count = 0;
	int best = -1, rest = 0, need;

	*first = 0;
	for (i = 0; i < n->nkid; i++) {
		if (!all_kids && (n->kid[i]->type == NODE_NOT) != negative)
			continue;
		count++;
		need = operand(n->kid[i], !all_kids && negative)->need;
		if (need > best) {
			if (best >= 0 && best > rest)
				rest = best;
			best = need;
			*first = i;
		} else if (need > rest) {
			rest = need;
		}
	}
	if (count == 1)
		return best;
	return 1 + best > 3 + rest ? 1 + best : 3 + rest;
}

/* Compute ->need bottom-up: the FTS5 parser stack each node's MATCH text uses. */
static void node_need(struct node *n)
{
	size_t i, first;
	int pos_need, neg_need;

	for (i = 0; i < n->nkid; i++)
		node_need(n->kid[i]);
	switch (n->type) {
	case NODE_PHRASE:
		n->need = 0;
		break;
	case NODE_NEAR:
		n->need = FTS5_COST_NEAR;
		break;
	case NODE_OR:
		n->need = group_need(n, 0, 1, &first);
		break;
	case NODE_NOT:
		n->need = 3 + n->kid[0]->need;
		break;
	case NODE_AND:
		if (and_count(n, 1) == 0) {
			n->need = group_need(n, 0, 1, &first);
			break;
		}
		pos_need = and_count(n, 0) ? group_need(n, 0, 0, &first) : 0;
		neg_need = group_need(n, 1, 0, &first);
		n->need = 1 + pos_need > 3 + neg_need ? 1 + pos_need : 3 + neg_need;
		break;
	}
}

/* Append s as an FTS5 string: in double quotes, with any '"' doubled. */
static void put_fts5_string(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

struct emitter {
	struct buf out;
	const struct node *too_deep;	/* first leaf beyond FTS5_STACK_BUDGET */
};

static void emit_match(struct emitter *e, const struct node *n, int level);

static void check_budget(struct emitter *e, const struct node *n, int cost)
{
	if (cost > FTS5_STACK_BUDGET && e->too_deep == NULL)
		e->too_deep = n;
}

/*
 * Emit the kids of n selected as in group_need, joined by op, neediest first; in
 * parentheses when there are several.
 */
static void emit_group(struct emitter *e, const struct node *n, int negative, int all_kids,
		       const char *op, int level)
{
	size_t i, first;
	int neg = !all_kids && negative, count = 0;

	group_need(n, negative, all_kids, &first);
	for (i = 0; i < n->nkid; i++)
		if (all_kids || (n->kid[i]->type == NODE_NOT) == negative)
			count++;
	if (count == 1) {
		emit_match(e, operand(n->kid[first], neg), level);
		return;
	}
	buf_putc(&e->out, '(');
	emit_match(e, operand(n->kid[first], neg), level + 1);
	for (i = 0; i < n->nkid; i++) {
		if (i == first || (!all_kids && (n->kid[i]->type == NODE_NOT) != negative))
			continue;
		buf_printf(&e->out, " %s ", op);
		emit_match(e, operand(n->kid[i], neg), level + 3);
	}
	buf_putc(&e->out, ')');
}

static void emit_all(struct buf *b)
{
	buf_puts(b, "{tags} : ");
	put_fts5_string(b, QUERY_ALL_TOKEN);
}

/*
 * Append the FTS5 MATCH text for n. level is the FTS5 parser stack in use where n starts;
 * a leaf that would go beyond the budget is recorded in e->too_deep.
 */
static void emit_match(struct emitter *e, const struct node *n, int level)
{
	struct buf *b = &e->out;
	size_t i;

	switch (n->type) {
	case NODE_PHRASE:
		check_budget(e, n, level);
		buf_printf(b, "%s : ", field_colset[n->field]);
		put_fts5_string(b, n->text);
		if (n->prefix)
			buf_puts(b, " *");
		break;
	case NODE_NEAR:
		check_budget(e, n, level + FTS5_COST_NEAR);
		buf_printf(b, "%s : NEAR(", field_colset[n->field]);
		for (i = 0; i < n->nkid; i++) {
			if (i > 0)
				buf_putc(b, ' ');
			put_fts5_string(b, n->kid[i]->text);
			if (n->kid[i]->prefix)
				buf_puts(b, " *");
		}
		buf_printf(b, ", %d)", n->distance);
		break;
	case NODE_OR:
		emit_group(e, n, 0, 1, "OR", level);
		break;
	case NODE_NOT:
		buf_putc(b, '(');
		emit_all(b);
		buf_puts(b, " NOT ");
		emit_match(e, n->kid[0], level + 3);
		buf_putc(b, ')');
		break;
	case NODE_AND:
		if (and_count(n, 1) == 0) {
			emit_group(e, n, 0, 1, "AND", level);
			break;
		}
		/* ( positives NOT ( negatives joined by OR ) ): one NOT however many exclusions */
		buf_putc(b, '(');
		if (and_count(n, 0) == 0)
			emit_all(b);
		else
			emit_group(e, n, 0, 0, "AND", level + 1);
		buf_puts(b, " NOT ");
		emit_group(e, n, 1, 0, "OR", level + 3);
		buf_putc(b, ')');
		break;
	}
}

/* 1 when a word must be quoted to read back as the same word in the query language. */
static int needs_quotes(const char *s)
{
	if (strcmp(s, "AND") == 0 || strcmp(s, "OR") == 0 || strcmp(s, "NOT") == 0 ||
	    strcmp(s, "NEAR") == 0 || s[0] == '-')
		return 1;
	return strpbrk(s, " ()\"*:~,") != NULL;
}

static void put_word(struct buf *b, const struct node *ph)
{
	if (ph->quoted || needs_quotes(ph->text))
		buf_printf(b, "\"%s\"", ph->text);
	else
		buf_puts(b, ph->text);
	if (ph->prefix)
		buf_putc(b, '*');
}

/*
 * Append the human-readable form of n, itself valid query language that compiles to the same
 * MATCH. Operands that are groups of another operator get parentheses, for the reader.
 */
static void emit_parsed(struct buf *b, const struct node *n)
{
	size_t i;
	const struct node *k;

	switch (n->type) {
	case NODE_PHRASE:
		buf_puts(b, field_prefix[n->field]);
		put_word(b, n);
		break;
	case NODE_NEAR:
		if (n->tilde) {
			buf_printf(b, "%s\"", field_prefix[n->field]);
			for (i = 0; i < n->nkid; i++)
				buf_printf(b, "%s%s", i ? " " : "", n->kid[i]->text);
			buf_printf(b, "\"~%d", n->distance);
			break;
		}
		buf_puts(b, "NEAR(");
		for (i = 0; i < n->nkid; i++) {
			if (i > 0)
				buf_putc(b, ' ');
			put_word(b, n->kid[i]);
		}
		buf_printf(b, ", %d)", n->distance);
		break;
	case NODE_NOT:
		buf_puts(b, "NOT ");
		k = n->kid[0];
		if (k->type == NODE_AND || k->type == NODE_OR) {
			buf_putc(b, '(');
			emit_parsed(b, k);
			buf_putc(b, ')');
		} else {
			emit_parsed(b, k);
		}
		break;
	case NODE_AND:
	case NODE_OR:
		for (i = 0; i < n->nkid; i++) {
			k = n->kid[i];
			if (i > 0)
				buf_puts(b, n->type == NODE_AND ? " AND " : " OR ");
			if (k->type == NODE_AND || k->type == NODE_OR) {
				buf_putc(b, '(');
				emit_parsed(b, k);
				buf_putc(b, ')');
			} else {
				emit_parsed(b, k);
			}
		}
		break;
	}
}

/*
 * Compile q[0..len) (see query.h). Parses into a tree, then prints it twice: as the FTS5
 * MATCH text and as the normalised query. Limits of 0 in lim mean the defaults.
 */
int query_compile(const char *q, size_t len, const struct query_limits *lim, char **match,
		  char **parsed, char **errmsg, int *errpos)
{
	struct parser p = { 0 };
	struct emitter e = { { 0 }, NULL };
	struct buf pb = { 0 };
	struct node *root = NULL;
	size_t max_bytes = DEFAULT_MAX_BYTES, bad;
	char msg[64];
	int rc = -1;

	if (match)
		*match = NULL;
	if (parsed)
		*parsed = NULL;
	p.max_terms = DEFAULT_MAX_TERMS;
	p.max_depth = DEFAULT_MAX_DEPTH;
	if (lim != NULL) {
		if (lim->max_bytes > 0)
			max_bytes = lim->max_bytes;
		if (lim->max_terms > 0)
			p.max_terms = (size_t)lim->max_terms;
		if (lim->max_depth > 0)
			p.max_depth = lim->max_depth;
	}
	if (p.max_depth > HARD_MAX_DEPTH)
		p.max_depth = HARD_MAX_DEPTH;
	p.q = q ? q : "";
	p.len = q ? len : 0;
	if (p.len > max_bytes) {
		snprintf(msg, sizeof(msg), "query is too long (limit %zu bytes)", max_bytes);
		parse_error(&p, max_bytes, msg);
		goto out;
	}
	bad = utf8_first_invalid(p.q, p.len);
	if (bad < p.len) {
		parse_error(&p, bad, p.q[bad] == '\0' ? "query contains a NUL byte" :
			    "query is not valid UTF-8");
		goto out;
	}
	if (lex(&p) < 0)
		goto out;
	if (p.tok.type != TOK_EOF)
		root = parse_or(&p);
	if (p.errmsg != NULL)
		goto out;
	if (p.tok.type == TOK_RPAREN) {
		parse_error(&p, p.tok.pos, "unbalanced closing parenthesis");
		goto out;
	}
	if (root == NULL) {
		parse_error(&p, 0, "query has no searchable words");
		goto out;
	}
	node_need(root);
	emit_match(&e, root, 0);
	if (e.too_deep != NULL) {
		parse_error(&p, e.too_deep->pos, "query is nested too deeply");
		goto out;
	}
	emit_parsed(&pb, root);
	if (match)
		*match = buf_detach(&e.out);
	if (parsed)
		*parsed = buf_detach(&pb);
	rc = 0;
out:
	if (rc < 0) {
		if (errpos)
			*errpos = p.errpos > INT_MAX ? INT_MAX : (int)p.errpos;
		if (errmsg) {
			free(*errmsg);
			*errmsg = p.errmsg;
			p.errmsg = NULL;
		}
	}
	free(p.errmsg);
	node_free(root);
	buf_free(&e.out);
	buf_free(&pb);
	return rc;
}
