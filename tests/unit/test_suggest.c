/* test_suggest.c — the pure parts of did-you-mean (index/suggest.c): edit costs (keyboard
 * neighbours, swaps, doubled letters) and the sounds-alike key. */
#include <check.h>
#include <stdlib.h>

#include "suggest.h"

START_TEST(test_edit_costs)
{
	ck_assert(suggest_edit_cost("prcies", "prices") == 0.6);	/* swap */
	ck_assert(suggest_edit_cost("oik", "oil") == 0.5);		/* k and l are neighbours */
	ck_assert(suggest_edit_cost("oiq", "oil") == 1.0);
	ck_assert(suggest_edit_cost("petrolum", "petroleum") == 1.0);	/* a letter left out */
	ck_assert(suggest_edit_cost("bankk", "bank") == 0.6);		/* a doubled letter */
	ck_assert(suggest_edit_cost("ecport", "export") == 0.5);
	ck_assert(suggest_edit_cost("banq", "bank") == 1.0);
	ck_assert(suggest_edit_cost("oil", "oil") == -1);
	ck_assert(suggest_edit_cost("oil", "coal") == -1);		/* two edits */
	ck_assert(suggest_edit_cost("abcd", "badc") == -1);
}
END_TEST

START_TEST(test_sounds_alike)
{
	ck_assert(suggest_sounds_alike("neom", "noem"));
	ck_assert(suggest_sounds_alike("frey", "fray"));
	ck_assert(suggest_sounds_alike("smith", "smyth"));
	ck_assert(!suggest_sounds_alike("reuter", "yeutter"));
	ck_assert(!suggest_sounds_alike("oil", "coil"));
}
END_TEST

static Suite *suggest_suite(void)
{
	Suite *s = suite_create("suggest");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_edit_costs);
	tcase_add_test(tc, test_sounds_alike);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suggest_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
