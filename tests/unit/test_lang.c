/*
 * test_lang — languages: the detector on hand-written paragraphs (one or more per language),
 * language codes, and the "newsd" tokenizer's stemming tables: per language, word families
 * that must conflate and words that must stay apart; English exactly as FTS5's porter.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "langdetect.h"
#include "langtok.h"
#include "store.h"
#include "util.h"

/* Paragraphs written for this test (news register, a few sentences each). */
static const struct {
	const char *lang;
	const char *text;
} paragraphs[] = {
	{ "en", "The central bank raised interest rates again on Thursday, saying that prices "
		"were still rising faster than wages and that it would act again if needed." },
	{ "en", "Firefighters worked through the night to contain the blaze, which started in a "
		"warehouse near the river and spread to two houses before it was brought under "
		"control." },
	{ "de", "Die Zentralbank hat die Zinsen am Donnerstag erneut erhöht, weil die Preise "
		"schneller steigen als die Löhne. Sie will noch einmal handeln, wenn es nötig ist." },
	{ "de", "Nach dem Sturm waren viele Straßen in der Stadt gesperrt, und die Feuerwehr "
		"musste mehr als hundert Bäume von den Gleisen der Bahn räumen." },
	{ "fr", "La banque centrale a de nouveau relevé ses taux jeudi, en expliquant que les "
		"prix augmentent toujours plus vite que les salaires et qu'elle agira encore si "
		"nécessaire." },
	{ "fr", "Les pompiers ont travaillé toute la nuit pour maîtriser l'incendie, qui a "
		"commencé dans un entrepôt près du fleuve avant de gagner deux maisons." },
	{ "es", "El banco central volvió a subir los tipos de interés el jueves, porque los "
		"precios siguen creciendo más rápido que los salarios, y dijo que actuará de nuevo "
		"si hace falta." },
	{ "it", "La banca centrale ha alzato di nuovo i tassi giovedì, spiegando che i prezzi "
		"crescono ancora più in fretta dei salari e che interverrà di nuovo se sarà "
		"necessario." },
	{ "pt", "O banco central voltou a subir os juros na quinta-feira, dizendo que os preços "
		"ainda crescem mais depressa do que os salários e que vai agir de novo se for "
		"preciso." },
	{ "nl", "De centrale bank heeft de rente donderdag opnieuw verhoogd, omdat de prijzen "
		"nog altijd sneller stijgen dan de lonen. Zij zal opnieuw ingrijpen als dat nodig "
		"is." },
	{ "sv", "Centralbanken höjde räntan igen på torsdagen och sade att priserna fortfarande "
		"stiger snabbare än lönerna, och att den kommer att agera igen om det behövs." },
	{ "da", "Nationalbanken hævede renten igen torsdag og sagde, at priserne stadig stiger "
		"hurtigere end lønningerne, og at den vil handle igen, hvis det bliver nødvendigt." },
	{ "no", "Sentralbanken hevet renten igjen torsdag og sa at prisene fortsatt stiger "
		"raskere enn lønningene, og at den vil gjøre det igjen hvis det blir nødvendig." },
	{ "fi", "Keskuspankki nosti korkoja jälleen torstaina, koska hinnat nousevat yhä "
		"nopeammin kuin palkat. Se sanoi, että se voi toimia uudelleen, jos se on "
		"tarpeen." },
	{ "pl", "Bank centralny ponownie podniósł stopy procentowe w czwartek, ponieważ ceny "
		"rosną szybciej niż płace, i zapowiedział, że może to zrobić jeszcze raz." },
	{ "tr", "Merkez bankası perşembe günü faizleri yeniden artırdı, çünkü fiyatlar "
		"maaşlardan daha hızlı yükseliyor ve banka gerekirse yine harekete geçecek." },
	{ "ru", "Центральный банк в четверг снова повысил ставку, потому что цены растут быстрее, "
		"чем зарплаты, и заявил, что может сделать это ещё раз." },
	{ "el", "Η κεντρική τράπεζα αύξησε ξανά τα επιτόκια την Πέμπτη, επειδή οι τιμές "
		"ανεβαίνουν ταχύτερα από τους μισθούς." },
	{ "ja", "中央銀行は木曜日に再び金利を引き上げた。物価は賃金よりも速く上昇している。" },
	{ "ar", "رفع البنك المركزي أسعار الفائدة مرة أخرى يوم الخميس لأن الأسعار ترتفع أسرع من "
		"الأجور." },
};

START_TEST(test_detect_paragraphs)
{
	size_t i;
	char got[3];

	for (i = 0; i < sizeof(paragraphs) / sizeof(paragraphs[0]); i++) {
		langdetect(paragraphs[i].text, strlen(paragraphs[i].text), got);
		ck_assert_msg(strcmp(got, paragraphs[i].lang) == 0, "paragraph %zu (%s) taken for %s",
			      i, paragraphs[i].lang, got);
	}
}
END_TEST

/* Too little text: the default, English; a title alone in German still decides. */
START_TEST(test_detect_defaults)
{
	char got[3];

	ck_assert_int_eq(langdetect("", 0, got), 0);
	ck_assert_str_eq(got, "en");
	ck_assert_int_eq(langdetect("OIL PRICES", 10, got), 0);
	ck_assert_str_eq(got, "en");
	ck_assert_int_eq(langdetect("12345 -- 678", 12, got), 0);
	ck_assert_str_eq(got, "en");
	langdetect_article("Die Wahl in Bayern ist nicht entschieden", NULL, got);
	ck_assert_str_eq(got, "de");
	/* invalid UTF-8 and long input are read safely */
	ck_assert_int_eq(langdetect("\xff\xfe\xc3", 3, got), 0);
}
END_TEST

START_TEST(test_codes)
{
	char c[3];

	ck_assert(lang_known("de") && lang_known("zh") && !lang_known("xx") && !lang_known("DE"));
	ck_assert(!lang_known("deu") && !lang_known("") && !lang_known(NULL));
	ck_assert_int_eq(lang_normalize("de-AT", c), 0);
	ck_assert_str_eq(c, "de");
	ck_assert_int_eq(lang_normalize(" PT_br", c), 0);
	ck_assert_str_eq(c, "pt");
	ck_assert_int_eq(lang_normalize("nb", c), 0);
	ck_assert_str_eq(c, "no");
	ck_assert_int_eq(lang_normalize("English", c), -1);
	ck_assert_int_eq(lang_normalize("xx", c), -1);
	ck_assert_int_eq(lang_normalize(NULL, c), -1);
	ck_assert(lang_bit("en") == (UINT64_C(1) << LANG_EN_BIT));
	ck_assert(lang_bit(NULL) == (UINT64_C(1) << LANG_EN_BIT));
	ck_assert(lang_bit("ja") == LANG_MASK_PLAIN);
	ck_assert(lang_bit("xx") == 0);
	ck_assert_int_ge(lang_stemmer_index("de"), 1);
}
END_TEST

/* ---- the tokenizer ---- */

static sqlite3 *db;
static struct langtok *lt;
static fts5_tokenizer tok;
static Fts5Tokenizer *inst;

struct toks {
	struct buf b;	/* "tok tok|syn tok" */
};

static int collect(void *ctx, int flags, const char *t, int n, int start, int end)
{
	struct toks *k = ctx;

	(void)start;
	(void)end;
	if (k->b.len)
		buf_putc(&k->b, (flags & FTS5_TOKEN_COLOCATED) ? '|' : ' ');
	buf_append(&k->b, t, (size_t)n);
	return SQLITE_OK;
}

static void tok_setup(void)
{
	char *err = NULL;
	fts5_api *api;
	void *ud = NULL;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	lt = langtok_register(db, &err);
	ck_assert_msg(lt != NULL, "%s", err);
	api = store_fts5_api(db, "test", &err);
	ck_assert_msg(api != NULL, "%s", err);
	ck_assert_int_eq(api->xFindTokenizer(api, LANGTOK_NAME, &ud, &tok), SQLITE_OK);
	ck_assert_int_eq(tok.xCreate(ud, NULL, 0, &inst), SQLITE_OK);
}

static void tok_teardown(void)
{
	tok.xDelete(inst);
	sqlite3_close(db);
}

/* The tokens of text as a document in lang (caller frees). */
static char *doc(const char *lang, const char *text)
{
	struct toks k = { { 0 } };

	langtok_set_doc(lt, lang);
	tok.xTokenize(inst, &k, FTS5_TOKENIZE_DOCUMENT, text, (int)strlen(text), collect);
	langtok_set_doc(lt, NULL);
	return k.b.data ? buf_detach(&k.b) : xstrdup("");
}

/* The tokens of text as a query in the languages of mask (caller frees). */
static char *query(uint64_t mask, const char *text)
{
	struct toks k = { { 0 } };

	langtok_set_query(lt, mask);
	tok.xTokenize(inst, &k, FTS5_TOKENIZE_QUERY, text, (int)strlen(text), collect);
	langtok_set_query(lt, 0);
	return k.b.data ? buf_detach(&k.b) : xstrdup("");
}

/* Word families that must share a stem, and words that must not, per language. */
static const struct {
	const char *lang;
	const char *same[4];	/* all one stem */
	const char *apart[2];	/* two different stems */
} families[] = {
	{ "de", { "Wahl", "Wahlen", "wahlen", NULL }, { "Wahl", "Wal" } },
	{ "de", { "Häuser", "Häusern", NULL }, { "Haus", "Hose" } },
	{ "de", { "Regierung", "Regierungen", NULL }, { "Regierung", "Regen" } },
	{ "fr", { "élection", "élections", "Élections", NULL }, { "élection", "élève" } },
	{ "fr", { "gouvernement", "gouvernements", NULL }, { "pont", "point" } },
	{ "es", { "elección", "elecciones", NULL }, { "gobierno", "gobernador" } },
	{ "es", { "presidenta", "presidentas", NULL }, { "lluvia", "llave" } },
	{ "it", { "governo", "governi", NULL }, { "treno", "tre" } },
	{ "pt", { "governo", "governos", NULL }, { "porto", "prato" } },
	{ "nl", { "verkiezing", "verkiezingen", NULL }, { "fiets", "fietspad" } },
	{ "sv", { "regering", "regeringen", "regeringar", NULL }, { "hus", "hund" } },
	{ "da", { "regering", "regeringen", "regeringer", NULL }, { "hus", "hest" } },
	{ "no", { "regjering", "regjeringen", NULL }, { "hus", "hest" } },
	{ "fi", { "talo", "talossa", "talon", NULL }, { "talo", "tuli" } },
	{ "ru", { "выборы", "выборов", "выборах", NULL }, { "город", "горе" } },
	{ "en", { "election", "elections", NULL }, { "elect", "electric" } },
	{ "en", { "raid", "raids", "raided", NULL }, { "bank", "banner" } },
};

START_TEST(test_stemming_tables)
{
	size_t i, j;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char *first = doc(families[i].lang, families[i].same[0]), *a, *b;

		for (j = 1; j < 4 && families[i].same[j]; j++) {
			char *t = doc(families[i].lang, families[i].same[j]);

			ck_assert_msg(strcmp(first, t) == 0, "%s: %s (%s) and %s (%s) should conflate",
				      families[i].lang, families[i].same[0], first,
				      families[i].same[j], t);
			free(t);
		}
		free(first);
		a = doc(families[i].lang, families[i].apart[0]);
		b = doc(families[i].lang, families[i].apart[1]);
		ck_assert_msg(strcmp(a, b) != 0, "%s: %s and %s should stay apart (%s)",
			      families[i].lang, families[i].apart[0], families[i].apart[1], a);
		free(a);
		free(b);
	}
}
END_TEST

/* English is FTS5's porter, token for token; German words are not stemmed the German way in
 * an English article, nor English words the English way in a German one. */
START_TEST(test_english_is_porter)
{
	static const char *const text = "Raids and ELECTIONS: the Café's wahlen, 1980s, 0les "
					"running généraux";
	struct toks k = { { 0 } };
	fts5_api *api = store_fts5_api(db, "test", NULL);
	fts5_tokenizer porter;
	Fts5Tokenizer *p;
	void *ud = NULL;
	static const char *const args[] = { "unicode61", "remove_diacritics", "2" };
	char *mine;

	ck_assert_int_eq(api->xFindTokenizer(api, "porter", &ud, &porter), SQLITE_OK);
	ck_assert_int_eq(porter.xCreate(ud, (const char **)args, 3, &p), SQLITE_OK);
	porter.xTokenize(p, &k, FTS5_TOKENIZE_DOCUMENT, text, (int)strlen(text), collect);
	mine = doc("en", text);
	ck_assert_str_eq(mine, k.b.data);
	free(mine);
	mine = doc(NULL, text);		/* no language: English */
	ck_assert_str_eq(mine, k.b.data);
	free(mine);
	mine = doc("xx", text);		/* not a language code: English */
	ck_assert_str_eq(mine, k.b.data);
	free(mine);
	porter.xDelete(p);
	buf_free(&k.b);

	mine = doc("en", "wahlen");
	ck_assert_str_eq(mine, "wahlen");
	free(mine);
	mine = doc("de", "wahlen");
	ck_assert_str_eq(mine, "wahl");
	free(mine);
	mine = doc("de", "running");	/* not "run" */
	ck_assert_str_eq(mine, "running");
	free(mine);
	mine = doc("ja", "Running");	/* a language without a stemmer: folded, unstemmed */
	ck_assert_str_eq(mine, "running");
	free(mine);
	mine = doc("es", "0les 0s12");	/* tags are never stemmed outside English */
	ck_assert_str_eq(mine, "0les 0s12");
	free(mine);
}
END_TEST

/* Queries: one stem per language, the distinct ones colocated (synonyms). */
START_TEST(test_query_stems)
{
	uint64_t en = lang_bit("en"), de = lang_bit("de"), fr = lang_bit("fr");
	char *q;

	q = query(0, "Wahlen elections");
	ck_assert_str_eq(q, "wahlen elect");
	free(q);
	q = query(de, "Wahlen");
	ck_assert_str_eq(q, "wahl");
	free(q);
	q = query(en | de, "Wahlen");
	ck_assert_str_eq(q, "wahlen|wahl");
	free(q);
	q = query(en | de | fr, "élections");
	ck_assert_str_eq(q, "elect|election");
	free(q);
	/* a word every language stems alike is one token */
	q = query(en | de, "Berlin");
	ck_assert_str_eq(q, "berlin");
	free(q);
	/* a tag porter would change keeps its own spelling beside it */
	q = query(en, "0les");
	ck_assert_str_eq(q, "0le|0les");
	free(q);
	q = query(LANG_MASK_PLAIN | de, "Häuser");
	ck_assert_str_eq(q, "haus|hauser");
	free(q);
}
END_TEST

START_TEST(test_none)
{
	fts5_api *api = store_fts5_api(db, "test", NULL);
	static const char *const none[] = { "none" }, *const porter[] = { "porter" };
	struct toks k = { { 0 } };
	Fts5Tokenizer *p;
	void *ud = NULL;
	fts5_tokenizer t;

	ck_assert_int_eq(api->xFindTokenizer(api, LANGTOK_NAME, &ud, &t), SQLITE_OK);
	ck_assert_int_eq(t.xCreate(ud, (const char **)none, 1, &p), SQLITE_OK);
	langtok_set_doc(lt, "de");
	t.xTokenize(p, &k, FTS5_TOKENIZE_DOCUMENT, "Wahlen Raids", 12, collect);
	langtok_set_doc(lt, NULL);
	ck_assert_str_eq(k.b.data, "wahlen raids");
	buf_free(&k.b);
	t.xDelete(p);
	/* an unknown argument is refused */
	ck_assert_int_ne(t.xCreate(ud, (const char **)porter, 1, &p), SQLITE_OK);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lang");
	TCase *tc = tcase_create("detect");
	TCase *tt = tcase_create("tokenizer");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_detect_paragraphs);
	tcase_add_test(tc, test_detect_defaults);
	tcase_add_test(tc, test_codes);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tt, tok_setup, tok_teardown);
	tcase_add_test(tt, test_stemming_tables);
	tcase_add_test(tt, test_english_is_porter);
	tcase_add_test(tt, test_query_stems);
	tcase_add_test(tt, test_none);
	suite_add_tcase(s, tt);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
