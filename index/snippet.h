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
 *   newsd_snippet(fts, COL, NFRAG, NWORDS, PREFIX) and newsd_highlight(fts, COL, PREFIX)
 *     Prefix mode: the matched tokens are the column's words that begin with PREFIX (one
 *     word, folded as the boundary tokenizer folds it), found in the row's own text; no
 *     MATCH is needed (WHERE rowid = ?). In a table of words as written (surface.h) these are
 *     exactly the tokens a MATCH of {title body} : "PREFIX" * reports, and the output is the
 *     same bytes. A PREFIX that folds to several words is an error (SQLITE_MISMATCH).
 *
 * Both work on external-content tables (they read the text with xColumnText).
 */
#include <sqlite3.h>

#define SNIPPET_SEP "\x1e"	/* never appears in output: control characters are folded */

/*
 * Token boundaries are found with SNIPPET_BOUNDARY_TOKENIZER and SNIPPET_BOUNDARY_ARGS, not
 * with the table's tokenizer: that is SNIPPET_TABLE_TOKENIZE without its porter stage, which
 * only rewrites token text, so both find the same tokens at the same offsets, and skipping the
 * stemmer makes a snippet about a third cheaper. The fts table must therefore be declared with
 * tokenize = SNIPPET_TABLE_TOKENIZE (change the three together). When the boundary tokenizer
 * is missing, the table's own is used.
 */
#define SNIPPET_BOUNDARY_TOKENIZER "unicode61"
#define SNIPPET_BOUNDARY_ARGS { "remove_diacritics", "2" }
#define SNIPPET_TABLE_TOKENIZE "porter unicode61 remove_diacritics 2"

/* Register both functions on db (fts5_api fetched with "SELECT fts5(?1)").
 * Returns 0 or -1 with *errmsg. */
int snippet_register(sqlite3 *db, char **errmsg);

#endif
