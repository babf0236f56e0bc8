#ifndef NEWSD_LANGDETECT_H
#define NEWSD_LANGDETECT_H
/*
 * langdetect — the language of an article that does not say, from its text alone: the
 * script of its letters (Greek, Arabic, Han, …), then, for Latin and Cyrillic text, counts of
 * each language's most frequent short words (stopwords) and of letters only some languages
 * use (ß, ñ, ø, ő, ł, …). About a microsecond per hundred words; no model files. Measured by
 * `make eval` (bench/lang_eval.c).
 */
#include <stddef.h>

/* The ISO 639-1 code of text[0..n) in out (3 bytes), or LANG_DEFAULT ("en") when the text
 * gives too little evidence. Returns 1 when detected, 0 when defaulted. Reads at most the
 * first LANGDETECT_MAX_BYTES. */
#define LANGDETECT_MAX_BYTES 2048
int langdetect(const char *text, size_t n, char out[3]);

/* The same for an article: title and body (either may be NULL). */
int langdetect_article(const char *title, const char *body, char out[3]);

/* The codes langdetect can answer, space-separated (for documentation and tests). */
const char *langdetect_languages(void);

#endif
