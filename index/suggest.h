#ifndef NEWSD_SUGGEST_H
#define NEWSD_SUGGEST_H
/*
 * suggest — "did you mean": a respelling of a query from the index's own vocabulary.
 *
 * Each plain word of the query (letters only, at least 3; operators, phrases, prefixes and
 * field terms are kept as written) is compared with every spelling one edit away (Damerau:
 * a letter deleted, inserted, replaced, or two neighbours swapped: about 54 per letter),
 * whose document counts come from term_df in one batched lookup through the fts table's own
 * tokenizer (terms_phrase_df), so "prcies" finds "prices" through the stem "price". The cost
 * is a b-tree probe per spelling, about a millisecond a word, whatever the vocabulary's size:
 * no index of our own to build or keep current, and every index version is seen at once.
 * A spelling replaces the word when it is in many more articles than the word (at least
 * SUGGEST_RATIO times; any article for a word in none): candidates are scored by how common they are
 * (log of the count), less the edit's cost, which is lower for keys next to each other on a
 * QWERTY keyboard, a swap, or a doubled letter, plus a bonus when the two sound alike (the
 * same consonant skeleton: "Neom" and "Noem").
 */
#include <jansson.h>

#include "search.h"
#include "store.h"

#define SUGGEST_RATIO 20	/* the respelling is in this many times more articles */
#define SUGGEST_MIN_DF 1	/* and in at least this many (any, for a word in none) */
#define SUGGEST_RARE_DF 2	/* a word in more articles than this is left as written */

/* /search offers a respelling only for a query with fewer than SUGGEST_MAX_TOTAL matches,
 * and only when the respelt query has at least SUGGEST_GAIN times as many (any, for none). */
#define SUGGEST_MAX_TOTAL 5
#define SUGGEST_GAIN 10

/* A respelt q (caller frees), or NULL when no word has a much more common close spelling, or
 * the word counts are not available (a file from before term_df). */
char *suggest_query(struct store *s, const char *q);

/*
 * /search's did_you_mean: for a request r whose q found total (< SUGGEST_MAX_TOTAL) matches,
 * {"q": respelt q, "total": its matches with the same filters} when that is at least
 * SUGGEST_GAIN times as many (at least one); else NULL. Not on later pages (cursor, offset).
 * Runs in the caller's read transaction.
 */
json_t *suggest_did_you_mean(struct store *s, const struct search_request *r, int64_t total);

/* Internal parts, for the unit tests. */
double suggest_edit_cost(const char *word, const char *cand);	/* -1 when not one edit */
int suggest_sounds_alike(const char *a, const char *b);

#endif
