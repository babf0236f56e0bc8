/* test_canon.c — given entity codes take canonical names (index/canon.c) and join the full
 * names extraction finds. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "canon.h"
#include "extract.h"

/* The name of the given entity code of type t, after canon_given. Caller frees. */
static char *canon_of(enum entity_type t, const char *code, char **alias)
{
	struct article a;
	char *name;

	memset(&a, 0, sizeof(a));
	article_add_entity(&a, t, code, 1);
	canon_given(&a);
	ck_assert_uint_eq(a.nents, 1);
	name = strdup(a.ents[0].name);
	*alias = a.ents[0].naliases ? strdup(a.ents[0].aliases[0]) : NULL;
	article_clear(&a);
	return name;
}

START_TEST(test_code_table_gazetteer_and_slugs)
{
	static const struct {
		enum entity_type t;
		const char *code, *name;
	} cases[] = {
		{ ENTITY_PERSON, "reagan", "Ronald Reagan" },		/* code table */
		{ ENTITY_PERSON, "de-clercq", "Willy De Clercq" },	/* code table */
		{ ENTITY_PERSON, "clayton-yeutter", "Clayton Yeutter" },	/* slug */
		{ ENTITY_PERSON, "subroto", "Subroto" },		/* one word */
		{ ENTITY_ORG, "worldbank", "World Bank" },
		{ ENTITY_ORG, "ec", "European Community" },
		{ ENTITY_PLACE, "usa", "United States" },
		{ ENTITY_PLACE, "west-germany", "West Germany" },	/* gazetteer */
		{ ENTITY_PLACE, "ivory-coast", "Ivory Coast" },		/* gazetteer */
		{ ENTITY_PLACE, "belgium", "Belgium" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *alias, *name = canon_of(cases[i].t, cases[i].code, &alias);

		ck_assert_str_eq(name, cases[i].name);
		ck_assert_ptr_nonnull(alias);
		ck_assert_str_eq(alias, cases[i].code);	/* the code stays an alias */
		free(name);
		free(alias);
	}
}
END_TEST

START_TEST(test_names_are_left_alone)
{
	struct article a;

	memset(&a, 0, sizeof(a));
	article_add_entity(&a, ENTITY_ORG, "Immigration and Customs Enforcement", 1);
	article_add_entity(&a, ENTITY_PERSON, "Zoë Ünal", 1);
	article_add_entity(&a, ENTITY_PLACE, "usa", 0);		/* extracted, not given */
	canon_given(&a);
	ck_assert_str_eq(a.ents[0].name, "Immigration and Customs Enforcement");
	ck_assert_str_eq(a.ents[1].name, "Zoë Ünal");
	ck_assert_str_eq(a.ents[2].name, "usa");
	ck_assert_uint_eq(a.ents[0].naliases + a.ents[1].naliases + a.ents[2].naliases, 0);
	article_clear(&a);
}
END_TEST

START_TEST(test_surname_joins_full_name_of_its_article)
{
	struct article a;
	struct entity_mention *m;

	memset(&a, 0, sizeof(a));
	article_add_entity(&a, ENTITY_PERSON, "zelinka", 1)->count = 1;
	article_add_entity(&a, ENTITY_PLACE, "Prague", 0)->count = 1;
	m = article_add_entity(&a, ENTITY_PERSON, "Peter Zelinka", 0);
	m->count = 2;
	canon_given(&a);
	canon_join_surnames(&a);
	ck_assert_uint_eq(a.nents, 2);
	ck_assert_str_eq(a.ents[1].name, "Peter Zelinka");
	ck_assert_int_eq(a.ents[1].count, 3);
	ck_assert_int_eq(a.ents[1].given, 1);
	article_clear(&a);

	/* extraction merged the full name into the given surname: the full name is its name */
	memset(&a, 0, sizeof(a));
	m = article_add_entity(&a, ENTITY_PERSON, "Zelinka", 1);
	entity_mention_add_alias(m, "Peter Zelinka");
	canon_join_surnames(&a);
	ck_assert_str_eq(a.ents[0].name, "Peter Zelinka");
	ck_assert_str_eq(a.ents[0].aliases[0], "Zelinka");
	article_clear(&a);
}
END_TEST

static Suite *canon_suite(void)
{
	Suite *s = suite_create("canon");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_code_table_gazetteer_and_slugs);
	tcase_add_test(tc, test_names_are_left_alone);
	tcase_add_test(tc, test_surname_joins_full_name_of_its_article);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(canon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
