#ifndef NEWSD_QUERY_H
#define NEWSD_QUERY_H
/*
 * query — the user query language of API.md ("q") parsed by our own recursive-descent parser
 * into an FTS5 MATCH expression. User text never reaches MATCH raw: every word becomes a
 * double-quoted FTS5 string (quotes doubled), restricted to the searchable columns.
 *
 * FTS5 table columns (see store.h): title, body, tags. "tags" holds internal tokens (source,
 * entity and bookkeeping markers) and is never matched by user words: every user phrase is
 * compiled with a column filter, {title body} by default, {title} or {body} for field:term.
 *
 * Forms: terms (AND by default), OR, AND, NOT (operators only in capitals), -term, "phrase",
 * prefix*, title:x / body:x / title:"a b", "a b"~N, NEAR(a b, N), ( … ).
 * Lower-case operators and stray punctuation are words (ice-cream → phrase "ice cream",
 * AT&T → "at t", U.S. → "u s"). A word with no letters or digits is dropped. A query whose
 * positive part is empty (only exclusions) matches all articles minus the exclusions, using
 * QUERY_ALL_TOKEN in the tags column.
 */
#include <stddef.h>

#define QUERY_ALL_TOKEN "0a"	/* every article has it in the tags column */

struct query_limits {
	size_t max_bytes;	/* longest q accepted (default 4096) */
	int max_terms;		/* most words/phrases (default 256) */
	int max_depth;		/* deepest nesting of ( ) (default 32) */
};

/*
 * Compile q[0..len). On success returns 0 with *match (the FTS5 MATCH expression) and
 * *parsed (a normalised human-readable form, e.g. "ice AND shooting", "(oil OR gas) AND
 * NOT title:\"crude\"") both malloc'd. On failure returns -1 with *errmsg (a readable
 * sentence such as "unbalanced quote", "missing closing parenthesis", "OR needs a term on
 * both sides", "query has no searchable words", "too many terms (limit 256)") and *errpos set
 * to the byte offset in q where the problem is. Invalid UTF-8 is an error too.
 * lim NULL, or any of its fields 0, means the default. *errmsg is freed and replaced, so it
 * must be NULL or malloc'd on entry (as with set_error). Any output pointer may be NULL.
 * *parsed is itself valid query language and compiles to the same *match. The exact grammar
 * and lexical rules are in the comment at the top of query.c.
 */
int query_compile(const char *q, size_t len, const struct query_limits *lim, char **match,
		  char **parsed, char **errmsg, int *errpos);

#endif
