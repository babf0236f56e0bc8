#ifndef NEWSD_CANON_H
#define NEWSD_CANON_H
/*
 * canon — one name per entity for the entities given in the input. Archives tag articles with
 * codes rather than names (Reuters: "usa", "worldbank", "ec", "yeutter", "clayton-yeutter"),
 * which would otherwise become entities of their own beside the names extraction finds
 * ("United States", "World Bank", "Clayton Yeutter"). A given name that is a code (no capital
 * letter) is renamed to its canonical name and keeps the code as an alias:
 *   1. the code table data/gazetteer/codes.tsv (type, code, name);
 *   2. the gazetteers, through extract_gazetteer_name ("west-germany" → West Germany);
 *   3. otherwise its words capitalised ("clayton-yeutter" → Clayton Yeutter).
 * After extraction, a one-word given person ("Subroto", or a surname the table does not know)
 * joins the person of the same article whose surname it is.
 */
#include "article.h"

/* Rename the given code-like entities of a (before extraction). Thread-safe. */
void canon_given(struct article *a);

/* After extraction: fold one-word given people into the full name of the same article. */
void canon_join_surnames(struct article *a);

/* The canonical name of code (lower case) of type t in the code table, or NULL (static). */
const char *canon_code_name(enum entity_type t, const char *code);

#endif
