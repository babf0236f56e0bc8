#ifndef NEWSD_LANGTOK_H
#define NEWSD_LANGTOK_H
/*
 * langtok — the "newsd" FTS5 tokenizer: words stemmed in their article's language.
 *
 *   tokenize = 'newsd'        stemming per language
 *   tokenize = 'newsd none'   no stemming in any language (config stemming = none)
 *
 * Documents: English (and an article without a language) get exactly the tokens of FTS5's
 * "porter unicode61 remove_diacritics 2" (the tokenizer is called as is); a language with a
 * Snowball stemmer (lang.h) gets unicode61 remove_diacritics 2 tokens, each stemmed by
 * libstemmer; any other language unicode61 tokens unstemmed. Tokens that begin with a digit
 * are never stemmed by Snowball (tags such as "0lde"; porter leaves them as before).
 *
 * Queries: each word becomes its stem in every language of the connection's query mask, the
 * distinct ones emitted as colocated tokens (FTS5_TOKEN_COLOCATED: synonyms), so "wahlen"
 * matches German "Wahl" and English "wahlen". A mask of English alone calls porter as is.
 *
 * SQLite 3.40 has no fts5_locale: the tokenizer cannot see a row's lang column. So the
 * language is per-connection state: the writer sets the document language before every FTS
 * insert or delete of an article and before counting its words; a reader sets its query mask
 * before running a MATCH. The state belongs to one connection, used by one thread at a time,
 * like the stemmers each tokenizer instance keeps (libstemmer's are not thread-safe).
 */
#include <sqlite3.h>
#include <stdint.h>

#define LANGTOK_NAME "newsd"

struct langtok;

/* Register the tokenizer on db. The returned state lives as long as the connection (FTS5
 * frees it when db closes). NULL and *errmsg when FTS5 is missing. */
struct langtok *langtok_register(sqlite3 *db, char **errmsg);

/* The language of the article the connection tokenizes next: an ISO 639-1 code, or NULL
 * for the default (English). NULL-safe on lt. */
void langtok_set_doc(struct langtok *lt, const char *lang);

/* The languages of query words (lang.h mask); 0 means English alone. NULL-safe on lt. */
void langtok_set_query(struct langtok *lt, uint64_t mask);
uint64_t langtok_query(const struct langtok *lt);

#endif
