/*
 * langdetect.c — script, stopword and letter statistics; see langdetect.h.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "langdetect.h"
#include "util.h"

/*
 * The languages told apart by words, each with its most frequent function words (written
 * for newsd from general knowledge of each language; lower case, as in running text). A
 * word several languages share counts for each of them: the words only one uses decide.
 */
static const struct {
	const char *code;
	const char *words;
} wordlists[] = {
	{ "en", "the of and to in a is that for it on was with as by at from be this have are "
		"not but or an they which his her he she we has been were their would will there "
		"its after said more also who when about than other into only up out new had what "
		"them these can could should all our you do does per over no end under so far" },
	{ "de", "der die das und ist nicht ein eine einer eines einem einen zu den dem des mit "
		"von auf für sich auch im es sie er wir ich dass als wird werden wurde bei nach "
		"aus hat haben sind noch wie oder aber nur vor über zum zur durch kann diese "
		"dieser wenn man so ihr sein seine seit gegen unter schon sei beim vom" },
	{ "fr", "le la les de des du et est un une que qui dans pour pas sur au aux avec ce "
		"cette il elle ils sont ont été par plus ne se sa son ses leur mais ou comme nous "
		"vous être fait aussi lors selon entre où ces dont sans sous tout même peut" },
	{ "es", "el la los las de del y en que un una por con para es no se su sus al lo como "
		"más pero fue ha han son está este esta entre sobre también muy hay desde cuando "
		"porque sin ya le ser hasta todo tiene dos puede esto estos sido según" },
	{ "it", "il lo la gli le di del della dei delle che è e un una per non con si da nel "
		"nella sono come anche ma più al alla ha hanno questo questa stato essere dopo tra "
		"fra ci ancora degli dal dalla sul sulla suo sua loro può se già" },
	{ "pt", "o a os as de do da dos das e que um uma para com não por em no na nos nas se "
		"mais foi ao é são como mas também pelo pela está ser tem seu sua entre já quando "
		"muito isso esta este ou pode às sobre depois ainda" },
	{ "nl", "de het een en van in is dat op te zijn met voor niet aan er die ook als bij "
		"door maar om dan werd wordt was nog naar uit hij zij ze we deze dit geen worden "
		"heeft hebben kan tot over meer al wel zal moet hun" },
	{ "sv", "och att det som en på är av för med till den inte har de ett om var jag han "
		"hon men vi så från kan ska eller efter också när detta sig sina sin under mycket "
		"nu bara vid hade blev vara varit mot sedan denna dessa hur" },
	{ "da", "og at det som en på er af for med til den ikke har de et om var jeg han hun "
		"men vi så fra kan skal eller efter også når dette sig sine sin under meget nu kun "
		"ved havde blev hvad nogle være været mod siden denne disse hvor hvis igen end "
		"gøre sagde bliver" },
	{ "no", "og at det som en på er av for med til den ikke har de et om var jeg han hun "
		"men vi så fra kan skal eller etter også når dette seg sine sin under mye nå bare "
		"ved hadde ble hva noen være vært mot siden denne disse hvor hvis kun igjen enn "
		"gjøre sa ikkje" },
	{ "fi", "ja on ei se että oli hän ovat mutta tai kun myös joka jos sen niin kuin vain "
		"ole olla ollut mukaan sekä tämä nyt koska vielä siitä sitä hänen ne he me minä "
		"kanssa jälkeen jo voi eli jotka ovat oli tässä tätä" },
	{ "hu", "a az és hogy nem is egy van volt meg de csak már mint ez azt ki el sem vagy "
		"mert lesz még kell után több mind most pedig által között szerint amely ami "
		"akkor ha ezt fel be egyik így lehet" },
	{ "ro", "și în de la cu pe care nu este o un că a se din pentru sunt mai au fost ca "
		"dar sau fi prin despre acest această după între ale lui al cel cea fiind iar "
		"dacă şi însă acesta poate" },
	{ "tr", "ve bir bu da de için ile olarak daha çok gibi en ne o ki ama değil var olan "
		"sonra kadar veya ya göre şu tarafından ise her olan bunu olduğu ancak yeni" },
	{ "ca", "el la els les de del i a en que un una per amb no és es va són als al dels com "
		"més però també hi ha seu seva aquest aquesta entre quan pel amb aquests molt" },
	{ "pl", "i w na z że się nie do jest to jak o co ale po od za przez tak dla są był "
		"była było być oraz lub tym jego jej który która które może już także jako tego "
		"ich przy został tej ten ta te gdy jeśli tylko można ze we aby bardzo czy jest "
		"których którym należy jednak również" },
	{ "cs", "a v se na je že to s z o do i jako ale by pro tak jsou byl byla bylo které "
		"který která také jeho její už nebo při podle když jen aby bude jsem tento" },
	{ "id", "yang dan di ini itu dengan untuk dari dalam tidak akan pada adalah ke juga "
		"karena oleh atau ada mereka sudah telah saat bisa lebih kami kita dapat sebagai "
		"bahwa anda jika" },
	{ "vi", "và của là có được trong cho không những các một này với để người khi đã đến "
		"từ cũng như thì sẽ nhiều" },
	{ "ru", "и в не на что с по как это он она они к из у за от для но так же бы был была "
		"было были или при о его её их уже только есть все ещё также этот может чтобы "
		"после если когда" },
	{ "uk", "і в не на що з по як це він вона вони до із у за від для але так же був була "
		"було були або при про його її їх вже тільки є все ще також цей може щоб після "
		"якщо коли" },
	{ "sr", "и у не на да је се за од са из као су то али би био била било што или који "
		"која које након након него већ" },
};
#define NWL (sizeof(wordlists) / sizeof(wordlists[0]))

/* Letters only some of the languages above use, and which: one point each occurrence,
 * scaled below (a word is stronger evidence than a letter). */
static const struct {
	unsigned cp;
	const char *langs;
} letters[] = {
	{ 0xdf, "de" }, { 0xe4, "de sv fi" }, { 0xf6, "de sv fi hu tr" }, { 0xfc, "de hu tr" },
	{ 0xf1, "es" }, { 0xe7, "fr pt ca tr" }, { 0xe3, "pt" }, { 0xf5, "pt" },
	{ 0xe0, "fr it pt ca" }, { 0xe8, "fr it ca" }, { 0xea, "fr pt" }, { 0xe2, "fr pt ro" },
	{ 0xee, "fr ro" }, { 0xfb, "fr" }, { 0xf9, "fr it" }, { 0xf2, "it ca" }, { 0xec, "it" },
	{ 0xe5, "sv da no" }, { 0xe6, "da no" }, { 0xf8, "da no" }, { 0x151, "hu" },
	{ 0x171, "hu" }, { 0x103, "ro vi" }, { 0x219, "ro" }, { 0x21b, "ro" }, { 0x15f, "tr ro" },
	{ 0x163, "ro" }, { 0x11f, "tr" }, { 0x131, "tr" }, { 0x142, "pl" }, { 0x105, "pl" },
	{ 0x119, "pl" }, { 0x15b, "pl" }, { 0x17a, "pl" }, { 0x17c, "pl" }, { 0x144, "pl" },
	{ 0x159, "cs" }, { 0x11b, "cs" }, { 0x16f, "cs" }, { 0x10d, "cs" }, { 0x161, "cs" },
	{ 0x17e, "cs" }, { 0x111, "vi" }, { 0x1a1, "vi" }, { 0x1b0, "vi" }, { 0xe1, "es pt hu cs" },
	{ 0xed, "es pt hu cs" }, { 0xf3, "es pl pt hu" }, { 0xfa, "es pt hu cs" },
	{ 0x456, "uk" }, { 0x457, "uk" }, { 0x454, "uk" }, { 0x491, "uk" }, { 0x44b, "ru" },
	{ 0x44d, "ru" }, { 0x451, "ru" }, { 0x458, "sr" }, { 0x45a, "sr" }, { 0x459, "sr" },
	{ 0x45b, "sr" }, { 0x452, "sr" }, { 0x45f, "sr" },
};
#define NLETTERS (sizeof(letters) / sizeof(letters[0]))
#define LETTER_WEIGHT 0.25
/* The least score that decides: three function words, or fewer with telling letters. */
#define MIN_SCORE 3.0
/* Another language must score this many times English: English is the default, and names
 * and figures in English copy ("LOS ANGELES", "FRANCS END") look like other languages' words. */
#define EN_MARGIN 2.0

/* Scripts that name their language outright (most of its letters in the text). */
static const struct {
	unsigned lo, hi;
	const char *code;
} scripts[] = {
	{ 0x0370, 0x03ff, "el" }, { 0x0530, 0x058f, "hy" }, { 0x0590, 0x05ff, "he" },
	{ 0x0600, 0x06ff, "ar" }, { 0x0900, 0x097f, "hi" }, { 0x0b80, 0x0bff, "ta" },
	{ 0x0e00, 0x0e7f, "th" }, { 0x10a0, 0x10ff, "ka" }, { 0x3040, 0x30ff, "ja" },
	{ 0xac00, 0xd7af, "ko" }, { 0x4e00, 0x9fff, "zh" },
};
#define NSCRIPTS (sizeof(scripts) / sizeof(scripts[0]))

struct entry {
	const char *w;
	size_t n;
	uint32_t langs;		/* bit i: wordlists[i] */
};

static struct entry *table;
static size_t ntable;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->w, y->w, n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Every (word, language) pair, sorted, the languages of one word merged into one entry. */
static void table_build(void)
{
	size_t i, cap = 0, k;

	for (i = 0; i < NWL; i++) {
		const char *p = wordlists[i].words;

		while (*p) {
			const char *e = strchr(p, ' ');
			size_t n = e ? (size_t)(e - p) : strlen(p);

			if (n) {
				if (ntable == cap) {
					cap = cap ? cap * 2 : 512;
					table = xrealloc(table, cap * sizeof(*table));
				}
				table[ntable].w = p;
				table[ntable].n = n;
				table[ntable].langs = UINT32_C(1) << i;
				ntable++;
			}
			p += n;
			while (*p == ' ')
				p++;
		}
	}
	qsort(table, ntable, sizeof(*table), entry_cmp);
	for (i = 0, k = 0; i < ntable; i++) {
		if (k && entry_cmp(&table[k - 1], &table[i]) == 0)
			table[k - 1].langs |= table[i].langs;
		else
			table[k++] = table[i];
	}
	ntable = k;
}

static uint32_t word_langs(const char *w, size_t n)
{
	struct entry key = { w, n, 0 }, *e;

	e = bsearch(&key, table, ntable, sizeof(*table), entry_cmp);
	return e ? e->langs : 0;
}

/* Lower case for the scripts the word lists use (ASCII, Latin-1, Latin Extended-A,
 * Cyrillic); other code points as they are. */
static unsigned fold(unsigned cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 32;
	/* Latin Extended-A: upper case even, then odd from Ĺ to Ň and from Ź to Ž */
	if (((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177)) && !(cp & 1) &&
	    cp != 0x130)
		return cp + 1;
	if (((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e)) && (cp & 1))
		return cp + 1;
	if (cp == 0x130)
		return 'i';
	if (cp >= 0x410 && cp <= 0x42f)
		return cp + 32;
	if (cp >= 0x400 && cp <= 0x40f)
		return cp + 80;
	if (cp == 0x218 || cp == 0x21a)
		return cp + 1;
	return cp;
}

static int is_letter(unsigned cp)
{
	if (cp < 0x80)
		return (cp | 32) >= 'a' && (cp | 32) <= 'z';
	if (cp < 0xc0 || cp == 0xd7 || cp == 0xf7)
		return 0;
	return !(cp >= 0x2000 && cp <= 0x2bff) && !(cp >= 0x3000 && cp <= 0x303f);
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

struct scores {
	double lang[NWL];
	size_t script[NSCRIPTS];
	size_t latin, cyrillic, letters;
};

static void count_word(struct scores *sc, const char *w, size_t n)
{
	uint32_t m = word_langs(w, n);
	size_t i;

	for (i = 0; m; i++, m >>= 1)
		if (m & 1)
			sc->lang[i] += 1.0;
}

static void count_letter(struct scores *sc, unsigned cp)
{
	size_t i, j;

	sc->letters++;
	if (cp < 0xc0) {		/* ASCII letters: most of any Latin text */
		sc->latin++;
		return;
	}
	if (cp < 0x250)
		sc->latin++;
	else if (cp >= 0x400 && cp <= 0x4ff)
		sc->cyrillic++;
	for (i = 0; cp >= scripts[0].lo && i < NSCRIPTS; i++)
		if (cp >= scripts[i].lo && cp <= scripts[i].hi)
			sc->script[i]++;
	for (i = 0; i < NLETTERS; i++) {
		const char *p;

		if (letters[i].cp != cp)
			continue;
		for (p = letters[i].langs; *p; p += p[2] ? 3 : 2)
			for (j = 0; j < NWL; j++)
				if (memcmp(wordlists[j].code, p, 2) == 0)
					sc->lang[j] += LETTER_WEIGHT;
		break;
	}
}

static void scan(struct scores *sc, const char *text, size_t n)
{
	char word[64];
	size_t wl = 0, i = 0, len;
	int overflow = 0, lower = 0;
	unsigned cp, f;

	if (n > LANGDETECT_MAX_BYTES)
		n = LANGDETECT_MAX_BYTES;
	while (i <= n) {
		if (i == n) {
			cp = ' ';
			len = 1;
		} else {
			len = utf8_decode((const unsigned char *)text + i, n - i, &cp);
			if (len == 0) {
				len = 1;
				cp = ' ';
			}
		}
		i += len;
		f = fold(cp);
		lower |= f == cp;
		cp = f;
		if (is_letter(cp)) {
			count_letter(sc, cp);
			if (wl + 4 < sizeof(word))
				wl += put_utf8(word + wl, cp);
			else
				overflow = 1;
			continue;
		}
		/* one-letter words (Czech "v", Polish "w", initials, "S-K-I") are too weak, and
		 * words in capitals are headlines' names and codes ("LOS ANGELES", "FRANCS END"),
		 * not running text */
		if (wl > 1 && !overflow && lower)
			count_word(sc, word, wl);
		wl = 0;
		overflow = 0;
		lower = 0;
		if (i > n)
			break;
	}
}

int langdetect(const char *text, size_t n, char out[3])
{
	struct scores sc;
	size_t i, best = 0;

	pthread_once(&table_once, table_build);
	memset(&sc, 0, sizeof(sc));
	memcpy(out, LANG_DEFAULT, 3);
	if (text == NULL)
		return 0;
	scan(&sc, text, n);
	if (sc.letters == 0)
		return 0;
	/* a script of its own on most of the letters */
	for (i = 0; i < NSCRIPTS; i++)
		if (sc.script[i] * 3 > sc.letters) {	/* ja before zh: kana beside Han */
			memcpy(out, scripts[i].code, 3);
			return 1;
		}
	for (i = 1; i < NWL; i++) {
		int cyr = strcmp(wordlists[i].code, "ru") == 0 ||
			  strcmp(wordlists[i].code, "uk") == 0 || strcmp(wordlists[i].code, "sr") == 0;

		/* Cyrillic languages only for Cyrillic text, and the reverse */
		if (cyr != (sc.cyrillic > sc.latin))
			sc.lang[i] = 0;
	}
	if (sc.cyrillic > sc.latin)
		sc.lang[0] = 0;
	for (i = 1; i < NWL; i++)
		if (sc.lang[i] > sc.lang[best])
			best = i;
	/* too little to go on (a headline, a table of figures): the default; Cyrillic text with
	 * no word known: Russian */
	if (sc.lang[best] < MIN_SCORE || (best != 0 && sc.lang[best] < EN_MARGIN * sc.lang[0])) {
		if (sc.cyrillic > sc.latin) {
			memcpy(out, "ru", 3);
			return 1;
		}
		return 0;
	}
	memcpy(out, wordlists[best].code, 3);
	return best != 0;
}

int langdetect_article(const char *title, const char *body, char out[3])
{
	char buf[LANGDETECT_MAX_BYTES + 1];
	size_t tn = title ? strlen(title) : 0, bn = body ? strlen(body) : 0;

	if (tn > LANGDETECT_MAX_BYTES / 4)
		tn = LANGDETECT_MAX_BYTES / 4;
	if (bn > LANGDETECT_MAX_BYTES - tn - 1)
		bn = LANGDETECT_MAX_BYTES - tn - 1;
	if (tn)
		memcpy(buf, title, tn);
	buf[tn] = '\n';
	if (bn)
		memcpy(buf + tn + 1, body, bn);
	return langdetect(buf, tn + 1 + bn, out);
}

const char *langdetect_languages(void)
{
	return "en de fr es it pt nl sv da no fi hu ro tr ca pl cs id vi ru uk sr "
	       "el hy he ar hi ta th ka ja ko zh";
}
