/*
 * test_regress.c — every input that made a fuzz target (tests/fuzz) fail, kept as a unit test
 * so it stays fixed. One test per finding, named after the module, with the input inline.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

/* fuzz_date: "9999-12-31T24:00Z" is 10000-01-01 in UTC; date_parse accepted it and
 * date_format clamped it back to 9999-12-31T23:59:59Z. The same for offsets that carry an
 * edge date out of 0001-9999. */
START_TEST(test_date_edge_out_of_range)
{
	static const char *const bad[] = {
		"9999-12-31T24:00Z", "9999-12-31T24:00:00", "9999-12-31T23:30:00-01:00", "0001-01-01T00:00:00+00:01", "0001-01-01T00:30+01:00",
	};
	static const char *const good[] = {
		"9999-12-31T23:59:59Z", "9999-12-31T24:00:00+01:00", "0001-01-01T00:00:00Z",
		"0001-01-01T00:00:00-14:00", "9999-12-31", "9999-12-31T23:59:60Z",
	};
	int64_t t, back;
	char *err = NULL, out[21];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(date_parse(bad[i], strlen(bad[i]), &t, NULL, &err) == -1,
			      "%s was accepted", bad[i]);
		ck_assert_ptr_nonnull(err);
		free(err);
		err = NULL;
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(date_parse(good[i], strlen(good[i]), &t, NULL, &err) == 0,
			      "%s: %s", good[i], err ? err : "");
		date_format(t, out);
		ck_assert_int_eq(date_parse(out, strlen(out), &back, NULL, &err), 0);
		ck_assert_int_eq(back, t);
	}
}
END_TEST

static Suite *regress_suite(void)
{
	Suite *s = suite_create("regress");
	TCase *tc = tcase_create("fuzz");

	tcase_add_test(tc, test_date_edge_out_of_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(regress_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
