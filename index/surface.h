#ifndef NEWSD_SURFACE_H
#define NEWSD_SURFACE_H
/*
 * surface — prefixes as written: the FTS5 tokenizer "newsd_surface", a wrapper around the
 * stemming tokenizer (tokenize = 'newsd_surface porter unicode61 remove_diacritics 2').
 *
 * Documents: every token the parent gives (the stem) is followed by the word as written,
 * folded as unicode61 folds it (lower case, diacritics removed), behind SURFACE_MARK and
 * colocated (FTS5_TOKEN_COLOCATED: same position, not counted in the row's length, so
 * bm25 and the rank lengths are unchanged). Query terms without '*' get the stem only, so
 * every other query matches as before. A prefix term ('*', FTS5_TOKENIZE_PREFIX) gets
 * SURFACE_MARK + its folded text instead of its stem: `immigrat*` matches the words that
 * begin with "immigrat" as written ("immigration", "immigrated"), exactly, and no longer the
 * words whose stem begins with it. In a quoted phrase ending in '*' only the last word is a
 * prefix; the others are stemmed.
 *
 * The marker is a control byte, which unicode61 never puts in a token, so no query word can
 * reach the surface forms except through '*'.
 *
 * "newsd_marks" (files made since 2026-12-01 evening) indexes the same matches in less: the
 * words as written are added only where they differ from their stem.
 * - A word that is its own stem ("oil"): the stem alone.
 * - A word its stem begins ("exports", export): the stem, and the word as written.
 * - Any other word ("city", citi; "making", make): SURFACE_STEM_MARK + the stem, and the
 *   word as written.
 * A query word gets its stem and, colocated, the stem behind SURFACE_STEM_MARK (only where a
 * word can have it marked: surface_porter_may_mark). A prefix
 * `p*` gets SURFACE_MARK + p (the words as written) and, colocated, p itself: the unmarked
 * stems that begin with p are the words that are their stem or that their stem begins, and
 * such a word begins with p when its stem does. The marked stems are out of reach of p, which
 * is what keeps `citi*` from "city" and `make*` from "making".
 */
#include <stddef.h>

#include <sqlite3.h>

#define SURFACE_TOKENIZER "newsd_surface"
#define SURFACE_MARKS_TOKENIZER "newsd_marks"
#define SURFACE_MARK '\x01'
#define SURFACE_STEM_MARK '\x02'

/* Register the tokenizer on db (fts5_api from "SELECT fts5(?1)"). 0, or -1 and *errmsg. */
int surface_register(sqlite3 *db, char **errmsg);

/*
 * Whether porter (FTS5's, the original algorithm) can give stem to a word it does not begin:
 * 1 for stems ending in e ("making" make, "relating" relate), i ("city" citi) or bl
 * ("capability" capabl), the only tails its rewrites leave (its steps otherwise cut
 * suffixes, or rewrite one into a string that begins it). newsd_marks adds the marked stem to
 * a query word only then, with porter or with the newsd tokenizer in English alone: a synonym
 * costs every match of the word a second doclist.
 */
int surface_porter_may_mark(const char *stem, size_t n);

/*
 * Fold an ASCII word as unicode61 does (lower case) into out (at least n bytes). Returns 1,
 * or 0 when word has a non-ASCII byte (the caller folds it with unicode61 itself).
 */
int surface_fold_ascii(const char *word, size_t n, char *out);

#endif
