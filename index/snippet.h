#ifndef NEWSD_SNIPPET_H
#define NEWSD_SNIPPET_H
/*
 * snippet — FTS5 auxiliary functions written in C for multi-fragment highlighted snippets.
 *
 *   newsd_snippet(fts, COL, NFRAG, NWORDS)
 *     The NFRAG best-scoring distinct fragments of column COL, each about NWORDS tokens,
 *     returned in document order joined by SNIPPET_SEP. A fragment scores by the distinct
 *     query phrases it covers first, then by its number of hits; fragments do not overlap.
 *     Every matched token is wrapped in <mark>…</mark>; all other text is HTML-escaped with
 *     white space folded (buf_html_escape). A fragment that does not start at the start of the
 *     column begins with "…", one that does not reach its end ends with "…". When the column
 *     has no hit (the match is only in another column), the result is one fragment: the lead
 *     (first NWORDS tokens). NFRAG = 0 gives NULL.
 *   newsd_highlight(fts, COL)
 *     The whole column, HTML-escaped, every matched token wrapped in <mark>…</mark>.
 *
 * Both work on external-content tables (they read the text with xColumnText).
 */
#include <sqlite3.h>

#define SNIPPET_SEP "\x1e"	/* never appears in output: control characters are folded */

/* Register both functions on db (fts5_api fetched with "SELECT fts5(?1)").
 * Returns 0 or -1 with *errmsg. */
int snippet_register(sqlite3 *db, char **errmsg);

#endif
