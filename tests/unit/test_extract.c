/* test_extract.c — entity extraction: a table of sentences → entities, aliases, merging, norms. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "extract.h"
#include "util.h"

#define SEED "../shared/seeds/000_17734199b23d2403.txt"

/* The mention of type and name (exact) in a, or NULL. */
static const struct entity_mention *find(const struct article *a, enum entity_type type,
					 const char *name)
{
	size_t i;

	for (i = 0; i < a->nents; i++)
		if (a->ents[i].type == type && strcmp(a->ents[i].name, name) == 0)
			return &a->ents[i];
	return NULL;
}

static int has_alias(const struct entity_mention *m, const char *alias)
{
	size_t i;

	for (i = 0; m != NULL && i < m->naliases; i++)
		if (strcmp(m->aliases[i], alias) == 0)
			return 1;
	return 0;
}

/* Any mention whose name is `name`, of any type. */
static int any_named(const struct article *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nents; i++)
		if (strcmp(a->ents[i].name, name) == 0)
			return 1;
	return 0;
}

static void list(const struct article *a, char *out, size_t n)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < a->nents && len + 1 < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s:%s; ", entity_type_name(a->ents[i].type),
					a->ents[i].name);
}

static void run(struct article *a, const char *title, const char *body)
{
	memset(a, 0, sizeof(*a));
	a->id = xstrdup("t");
	a->title = title ? xstrdup(title) : NULL;
	a->body = body ? xstrdup(body) : NULL;
	extract_article(a);
}

/* One row: text, then up to 6 expected "type:name" and up to 4 names that must not appear. */
struct row {
	const char *title;
	const char *body;
	const char *want[6];
	const char *absent[4];
};

static const struct row rows[] = {
	{ NULL, "The company said it would open a plant in Japan.",
	  { "place:Japan" }, { "The", "The company" } },
	{ NULL, "Showers continued throughout the week. Arrivals were light in Bahia.",
	  { "place:Bahia" }, { "Showers", "Arrivals" } },
	{ "U.S. TRADE DEFICIT WIDENS, JAPAN SAYS", "Trade figures were released on Monday.",
	  { "place:United States", "place:Japan" }, { "TRADE", "DEFICIT", "WIDENS", "Monday" } },
	{ "BAKER SAYS DOLLAR STABLE AFTER TALKS", "Officials met in Paris.",
	  { "place:Paris", "place:France" }, { "BAKER", "Baker", "DOLLAR" } },
	{ NULL, "Gov. Tim Walz said the state would sue. Walz spoke in St. Paul.",
	  { "person:Tim Walz", "place:St. Paul", "place:United States" }, { "Gov. Tim Walz", "Walz" } },
	{ NULL, "Officials from Immigration and Customs Enforcement (ICE) arrived. ICE agents left.",
	  { "org:Immigration and Customs Enforcement" }, { "ICE" } },
	{ NULL, "The International Widget Council (IWCX) met. The IWCX said prices rose.",
	  { "org:International Widget Council" }, { "IWCX" } },
	{ NULL, "He said the National Widget Association would meet. The NWA budget grew.",
	  { "org:National Widget Association" }, { "NWA" } },
	{ NULL, "Treasury Secretary James Baker met Japanese Finance Minister Kiichi Miyazawa.",
	  { "person:James Baker", "person:Kiichi Miyazawa", "place:Japan" }, { "Treasury Secretary James Baker" } },
	{ NULL, "Bank of England Governor Robin Leigh-Pemberton spoke in London.",
	  { "org:Bank of England", "person:Robin Leigh-Pemberton", "place:London", "place:United Kingdom" },
	  { "Bank of England Governor Robin Leigh-Pemberton" } },
	{ NULL, "Jean-Claude Juncker met reporters. Juncker said talks would resume.",
	  { "person:Jean-Claude Juncker" }, { "Juncker" } },
	{ NULL, "Standard Oil Co said profits rose. Standard Oil will pay a dividend.",
	  { "org:Standard Oil Co" }, { "Standard Oil" } },
	{ NULL, "Shares of the company fell in New York and London trading.",
	  { "place:New York", "place:London" }, { "New York and London" } },
	{ NULL, "West German exports rose, the Bundesbank said. OPEC ministers meet in Vienna.",
	  { "place:West Germany", "org:Bundesbank", "org:Organization of Petroleum Exporting Countries",
	    "place:Vienna", "place:Austria" }, { "West German" } },
	{ NULL, "Police closed East 34th Street and Portland Avenue on Tuesday.",
	  { NULL }, { "Portland", "Portland Avenue", "Tuesday" } },
	{ NULL, "Prime Minister Yasuhiro Nakasone's government fell. President Reagan said little.",
	  { "person:Yasuhiro Nakasone", "person:Reagan" }, { "Nakasone's", "President Reagan" } },
};

START_TEST(test_table)
{
	const struct row *r = &rows[_i];
	struct article a;
	char got[2048];
	size_t k;

	run(&a, r->title, r->body);
	list(&a, got, sizeof(got));
	for (k = 0; k < 6 && r->want[k] != NULL; k++) {
		const char *colon = strchr(r->want[k], ':');
		char type[16];

		memcpy(type, r->want[k], (size_t)(colon - r->want[k]));
		type[colon - r->want[k]] = '\0';
		ck_assert_msg(find(&a, entity_type_parse(type), colon + 1) != NULL,
			      "row %d: want %s, got %s", _i, r->want[k], got);
	}
	for (k = 0; k < 4 && r->absent[k] != NULL; k++)
		ck_assert_msg(!any_named(&a, r->absent[k]), "row %d: unwanted %s, got %s", _i,
			      r->absent[k], got);
	article_clear(&a);
}
END_TEST

START_TEST(test_aliases)
{
	struct article a;
	const struct entity_mention *m;

	run(&a, NULL, "Kristi Noem visited the border. Noem's aides said the U.S. and the USA and "
	    "the United States are one. Officials from Immigration and Customs Enforcement (ICE) "
	    "spoke; ICE agents left.");
	m = find(&a, ENTITY_PERSON, "Kristi Noem");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->count, 2);
	ck_assert(has_alias(m, "Noem"));
	m = find(&a, ENTITY_PLACE, "United States");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->count, 3);
	ck_assert(has_alias(m, "U.S."));
	ck_assert(has_alias(m, "USA"));
	m = find(&a, ENTITY_ORG, "Immigration and Customs Enforcement");
	ck_assert_ptr_nonnull(m);
	ck_assert(has_alias(m, "ICE"));
	ck_assert_int_eq(m->count, 2);
	ck_assert_int_eq(m->given, 0);
	article_clear(&a);
}
END_TEST

START_TEST(test_merge_given)
{
	struct article a;
	struct entity_mention *g;
	size_t i, n = 0;

	memset(&a, 0, sizeof(a));
	a.id = xstrdup("m");
	a.body = xstrdup("The U.S. Treasury said the U.S. economy grew. Talks in Paris went on.");
	g = article_add_entity(&a, ENTITY_PLACE, "US", 1);
	article_add_entity(&a, ENTITY_PERSON, "Somebody Given", 1);
	extract_article(&a);
	ck_assert_str_eq(a.ents[0].name, "US");
	g = &a.ents[0];
	ck_assert_int_eq(g->given, 1);
	ck_assert_int_ge(g->count, 2);
	ck_assert_ptr_nonnull(find(&a, ENTITY_PERSON, "Somebody Given"));
	for (i = 0; i < a.nents; i++) {
		if (a.ents[i].type == ENTITY_PLACE && strcmp(a.ents[i].name, "United States") == 0)
			n++;
		if (i >= 2)
			ck_assert_int_eq(a.ents[i].given, 0);
	}
	ck_assert_int_eq(n, 0);		/* merged into the given "US", not added again */
	ck_assert_ptr_nonnull(find(&a, ENTITY_PLACE, "Paris"));
	article_clear(&a);
}
END_TEST

START_TEST(test_dateline)
{
	struct article a;

	run(&a, NULL, "CLEVELAND, Feb 26 - Standard Oil Co said it would form a unit.");
	ck_assert_ptr_nonnull(find(&a, ENTITY_PLACE, "Cleveland"));
	ck_assert_ptr_nonnull(find(&a, ENTITY_PLACE, "United States"));
	ck_assert_ptr_nonnull(find(&a, ENTITY_ORG, "Standard Oil Co"));
	article_clear(&a);

	memset(&a, 0, sizeof(a));
	a.id = xstrdup("d");
	a.body = xstrdup("Profits rose.");
	a.extra_json = xstrdup("{\"dateline\":\"SAN MATEO, Calif., March 3\"}");
	extract_article(&a);
	ck_assert_ptr_nonnull(find(&a, ENTITY_PLACE, "San Mateo"));
	article_clear(&a);
}
END_TEST

/* The real seed article (skipped when ../shared is absent). */
START_TEST(test_seed)
{
	FILE *f = fopen(SEED, "rb");
	struct buf b = { 0 };
	char chunk[4096], *body;
	size_t n;
	struct article a;
	const struct entity_mention *m;
	static const char *places[] = { "Minneapolis", "St. Paul", "Minnesota", "Los Angeles", "Chicago" };
	static const char *people[] = { "Tricia McLaughlin", "Gregory Bovino", "Kristi Noem", "Jacob Frey" };
	size_t i;

	if (f == NULL) {
		fprintf(stderr, "test_seed: %s absent, skipped\n", SEED);
		return;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	/* the .txt format: "date YYYY-MM-DD", then the body */
	body = strstr(b.data, "date ");
	ck_assert_ptr_nonnull(body);
	body += 15;
	run(&a, NULL, body);
	buf_free(&b);
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		ck_assert_msg(find(&a, ENTITY_PLACE, places[i]) != NULL, "place %s", places[i]);
	for (i = 0; i < sizeof(people) / sizeof(people[0]); i++)
		ck_assert_msg(find(&a, ENTITY_PERSON, people[i]) != NULL, "person %s", people[i]);
	m = find(&a, ENTITY_ORG, "Immigration and Customs Enforcement");
	ck_assert_ptr_nonnull(m);
	ck_assert(has_alias(m, "ICE"));
	m = find(&a, ENTITY_ORG, "Department of Homeland Security");
	ck_assert_ptr_nonnull(m);
	ck_assert(has_alias(m, "DHS"));
	ck_assert_ptr_nonnull(find(&a, ENTITY_ORG, "U.S. Customs and Border Protection"));
	m = find(&a, ENTITY_PERSON, "Jacob Frey");
	ck_assert(has_alias(m, "Frey"));
	ck_assert(!any_named(&a, "Shame"));
	ck_assert(!any_named(&a, "Portland"));
	article_clear(&a);
}
END_TEST

START_TEST(test_norm)
{
	static const char *cases[][2] = {
		{ "U.S.", "us" }, { "US", "us" }, { "Noem's", "noem" }, { "Noem’s", "noem" },
		{ "Gov. Tim Walz", "tim walz" }, { "President Reagan", "reagan" },
		{ "Prime Minister Yasuhiro Nakasone", "yasuhiro nakasone" },
		{ "  Immigration   and Customs\nEnforcement ", "immigration and customs enforcement" },
		{ "Zürich", "zurich" }, { "São Paulo", "sao paulo" }, { "St. Paul", "st paul" },
		{ "President", "president" }, { "", "" }, { "Leigh-Pemberton", "leigh pemberton" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = entity_norm(cases[i][0]);

		ck_assert_msg(strcmp(n, cases[i][1]) == 0, "entity_norm(%s) = '%s', want '%s'",
			      cases[i][0], n, cases[i][1]);
		free(n);
	}
}
END_TEST

START_TEST(test_init_and_empty)
{
	struct article a;
	char *err = NULL;

	ck_assert_int_eq(extract_init(&err), 0);
	ck_assert_int_eq(extract_init(&err), 0);
	run(&a, NULL, NULL);
	ck_assert_int_eq((int)a.nents, 0);
	article_clear(&a);
	run(&a, "", "\xE2\x80\x9C \xC3 <ABC> ((( ) U.S.");
	article_clear(&a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("extract");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_aliases);
	tcase_add_test(tc, test_merge_given);
	tcase_add_test(tc, test_dateline);
	tcase_add_test(tc, test_seed);
	tcase_add_test(tc, test_norm);
	tcase_add_test(tc, test_init_and_empty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
