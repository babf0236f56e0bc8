#ifndef NEWSD_LANG_H
#define NEWSD_LANG_H
/*
 * lang — article languages: ISO 639-1 codes, and the Snowball stemmer (libstemmer) of each
 * language that has one. A language set is a bit mask over LANG_STEMMED[] (one bit per
 * stemmed language, in table order) plus LANG_MASK_PLAIN for languages without a stemmer
 * (their words are indexed unstemmed).
 */
#include <stddef.h>
#include <stdint.h>

#define LANG_DEFAULT "en"
#define LANG_MASK_PLAIN (UINT64_C(1) << 63)

/* A stemmed language: its ISO 639-1 code and libstemmer's algorithm name. */
struct lang_stemmer {
	const char *code;
	const char *algorithm;
};

/* The stemmed languages, in bit order; English (bit 0) is FTS5's porter stemmer. */
extern const struct lang_stemmer LANG_STEMMED[];
extern const size_t LANG_NSTEMMED;
#define LANG_EN_BIT 0

/* 1 when code is an ISO 639-1 code (two lower-case letters) we know, else 0. */
int lang_known(const char *code);

/*
 * Normalise an input lang ("de", "DE", "de-AT", "pt_BR", " fr ") to its ISO 639-1 code in
 * out (3 bytes); "nb"/"nn" become "no" (libstemmer's Norwegian). Returns 0, or -1 when it is
 * not a language code we know (then the article's language is detected).
 */
int lang_normalize(const char *in, char out[3]);

/* The bit of code in a language mask: its LANG_STEMMED bit, LANG_MASK_PLAIN for a known
 * language without a stemmer, 0 for NULL or an unknown code. NULL/"" count as LANG_DEFAULT. */
uint64_t lang_bit(const char *code);
/* The index of code in LANG_STEMMED, or -1. */
int lang_stemmer_index(const char *code);

#endif
