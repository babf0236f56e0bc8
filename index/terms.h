#ifndef NEWSD_TERMS_H
#define NEWSD_TERMS_H
/*
 * terms — how many articles contain each indexed word, kept by the writer, so a query's IDF
 * is a lookup instead of a scan of the word's whole doclist (what bm25 and FTS5's
 * xQueryPhrase do: 10 ms for "oil" at 1M articles, in a query that is otherwise 1 ms).
 *
 *   term_df(term TEXT PRIMARY KEY, n, nt, nb) WITHOUT ROWID
 *       n: articles with the word in the title or the body; nt: in the title; nb: in the body
 *       (the three column filters our MATCH uses: {title body}, {title}, {body}).
 *
 * Words are the table's own tokens: the writer runs FTS5's tokenizer (the one the fts table
 * was created with) over the title and body it indexes, and over the old ones it removes. A
 * file that had articles before term_df existed is marked incomplete (meta term_df) until
 * terms_rebuild (newsd optimize) counts every article; until then readers scan, as before.
 */
#include <sqlite3.h>
#include <stdint.h>

struct terms;

/* The table (IF NOT EXISTS). fresh: the database has no article yet, so the counts are
 * complete from the start. Call inside a write transaction. 0, or -1 and *errmsg. */
int terms_schema(sqlite3 *db, int fresh, char **errmsg);
/* A tokenizer and counters for a connection (read or write): the fts table's tokenizer, the
 * "newsd" one (multilang, with lt's languages: langtok.h) or a schema-2 file's porter or
 * unicode61 (stems = 0: stemming none). NULL and *errmsg on failure. */
struct langtok;
struct terms *terms_open(sqlite3 *db, struct langtok *lt, int multilang, int stems,
			 char **errmsg);
void terms_close(struct terms *t);

/* Writer: count an article's words in (delta 1) or out (delta -1) of the open transaction,
 * tokenized in its language lang (NULL: English).
 * The counts go to term_df at terms_flush, or are dropped by terms_discard (a rollback). */
void terms_add(struct terms *t, const char *lang, const char *title, const char *body,
	       int delta);
int terms_flush(struct terms *t, char **errmsg);
void terms_discard(struct terms *t);
/* Count every article again (newsd optimize) and mark the counts complete. */
int terms_rebuild(struct terms *t, char **errmsg);

/*
 * Reader: the document count of each phrase of a MATCH that newsd compiled (search.c), in
 * FTS5's phrase order: df[i] for a one-word phrase whose column filter is title and/or body,
 * NAN for any other (several words, a prefix, the tags column) or when the counts are
 * incomplete. Returns the number of phrases, at most max.
 */
int terms_phrase_df(struct terms *t, const char *match, double *df, int max);
/* The same, but a one-word phrase with several stems (a file of several languages stems a
 * query word in each, as colocated tokens) counts as its commonest stem: a lower bound of its
 * articles, where terms_phrase_df says NAN (did-you-mean weighs spellings with it). */
int terms_phrase_df_lower(struct terms *t, const char *match, double *df, int max);
/* The same, and for each phrase with a count its token (as the index stores it) and its text
 * as written in tok[i] and texts[i] (NULL for the others), the caller's to free. */
int terms_phrase_info(struct terms *t, const char *match, double *df, char **tok, char **texts,
		      int max);
/*
 * 1 when the MATCH is one one-word phrase and nothing else ({cols} : "text", no prefix) whose
 * document count is known: *token (the word as the index stores it, e.g. its stem), *text (the
 * phrase as written) and *df (its articles in those columns), both strings the caller's to
 * free. 0 otherwise (nothing to free).
 */
int terms_single_word(struct terms *t, const char *match, char **token, char **text,
		      double *df);

/*
 * How many articles a prefix of one word (text, as the query wrote it before its *) may match,
 * to tell a broad prefix from a rare one: the sum over term_df of the counts ({title body}) of
 * the tokens that begin with text's token (its stem), stopped once it reaches cap. An
 * estimate only (a row with two such words counts twice; a word whose stem is shorter than
 * the prefix, "cities" for citie*, is missed). -1 when the counts cannot tell (incomplete,
 * several words or stems).
 */
int64_t terms_prefix_est(struct terms *t, const char *text, int64_t cap);
/* The smallest document count ({title body}) among the words of text (a phrase can match no
 * more articles), or -1 when the counts cannot tell. */
int64_t terms_min_word_df(struct terms *t, const char *text);
#endif
