/*
 * lang.c — ISO 639-1 codes and the Snowball stemmers of libstemmer; see lang.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"

/* libstemmer 2.2 (Debian 12): every algorithm it ships with a two-letter code. */
const struct lang_stemmer LANG_STEMMED[] = {
	{ "en", "english" },	/* indexed with FTS5's porter, as before languages */
	{ "ar", "arabic" }, { "hy", "armenian" }, { "eu", "basque" }, { "ca", "catalan" },
	{ "da", "danish" }, { "nl", "dutch" }, { "fi", "finnish" }, { "fr", "french" },
	{ "de", "german" }, { "el", "greek" }, { "hi", "hindi" }, { "hu", "hungarian" },
	{ "id", "indonesian" }, { "ga", "irish" }, { "it", "italian" }, { "lt", "lithuanian" },
	{ "ne", "nepali" }, { "no", "norwegian" }, { "pt", "portuguese" }, { "ro", "romanian" },
	{ "ru", "russian" }, { "sr", "serbian" }, { "es", "spanish" }, { "sv", "swedish" },
	{ "ta", "tamil" }, { "tr", "turkish" }, { "yi", "yiddish" },
};
const size_t LANG_NSTEMMED = sizeof(LANG_STEMMED) / sizeof(LANG_STEMMED[0]);

/* ISO 639-1, every two-letter code (sorted, for bsearch). */
static const char iso639_1[] =
	"aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu "
	"cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi "
	"ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks "
	"ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl "
	"nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl "
	"sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve "
	"vi vo wa wo xh yi yo za zh zu";

int lang_known(const char *code)
{
	size_t lo = 0, hi = (sizeof(iso639_1) - 1 + 1) / 3, mid;

	if (code == NULL || strlen(code) != 2)
		return 0;
	while (lo < hi) {
		int c;

		mid = (lo + hi) / 2;
		c = strncmp(code, iso639_1 + mid * 3, 2);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

int lang_normalize(const char *in, char out[3])
{
	size_t n;

	out[0] = '\0';
	if (in == NULL)
		return -1;
	while (*in == ' ' || *in == '\t')
		in++;
	for (n = 0; n < 2 && isalpha((unsigned char)in[n]); n++)
		out[n] = (char)tolower((unsigned char)in[n]);
	out[n] = '\0';
	/* a primary subtag of two letters, then nothing, a region or white space */
	if (n != 2 || (in[2] && in[2] != '-' && in[2] != '_' && in[2] != ' ' && in[2] != '\t') ||
	    !lang_known(out)) {
		out[0] = '\0';
		return -1;
	}
	if (strcmp(out, "nb") == 0 || strcmp(out, "nn") == 0)
		memcpy(out, "no", 3);
	return 0;
}

int lang_stemmer_index(const char *code)
{
	size_t i;

	if (code == NULL || code[0] == '\0')
		code = LANG_DEFAULT;
	for (i = 0; i < LANG_NSTEMMED; i++)
		if (strcmp(LANG_STEMMED[i].code, code) == 0)
			return (int)i;
	return -1;
}

uint64_t lang_bit(const char *code)
{
	int i = lang_stemmer_index(code);

	if (i >= 0)
		return UINT64_C(1) << i;
	return lang_known(code) ? LANG_MASK_PLAIN : 0;
}
