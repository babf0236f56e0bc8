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
 */
#include <stddef.h>

#include <sqlite3.h>

#define SURFACE_TOKENIZER "newsd_surface"
#define SURFACE_MARK '\x01'

/* Register the tokenizer on db (fts5_api from "SELECT fts5(?1)"). 0, or -1 and *errmsg. */
int surface_register(sqlite3 *db, char **errmsg);

/*
 * Fold an ASCII word as unicode61 does (lower case) into out (at least n bytes). Returns 1,
 * or 0 when word has a non-ASCII byte (the caller folds it with unicode61 itself).
 */
int surface_fold_ascii(const char *word, size_t n, char *out);

#endif
