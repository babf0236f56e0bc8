#ifndef NEWSD_EXTRACT_H
#define NEWSD_EXTRACT_H
/*
 * extract — named-entity extraction at ingest, heuristic and data-driven, no model: people,
 * organisations and places found in an article's title and body, with per-article aliases
 * (acronyms introduced in parentheses, surnames after full names, US/U.S./USA → United States).
 * Gazetteers are embedded data files (data/gazetteer/…, see embed.h).
 */
#include <stddef.h>

#include "article.h"

/* Load the gazetteers (once per process; thread-safe, idempotent). Returns 0 or -1 with *errmsg. */
int extract_init(char **errmsg);

/*
 * Find entities in a->title and a->body and merge them into a->ents: a found entity equal
 * (entity_norm) to a given one of the same type raises its count and adds its aliases; others
 * are appended with given = 0. Thread-safe after extract_init.
 */
void extract_article(struct article *a);

/* The gazetteer's canonical name for a place or organisation name or alias ("west-germany",
 * "USSR"), or NULL (also for people). The string is static. */
const char *extract_gazetteer_name(enum entity_type type, const char *name);

/*
 * The lookup key of a name: case-folded, diacritics removed, possessive "'s" and honorifics
 * ("Mr.", "Gov.", "President" …) stripped, dots removed from acronyms ("U.S." → "us"),
 * white space collapsed. Returns a malloc'd string (possibly empty).
 */
char *entity_norm(const char *name);

#endif
