/* test_date.c — ISO 8601 parsing and formatting (index/date.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

#define D20260107 INT64_C(1767744000)
#define T20260107_150405 INT64_C(1767798245)

static const struct {
	const char *in;
	int64_t want;
	int date_only;
} valid[] = {
	{ "1970-01-01", 0, 1 },
	{ "2026-01-07", D20260107, 1 },
	{ "2026-01-07T15:04:05Z", T20260107_150405, 0 },
	{ "2026-01-07T15:04:05+01:00", T20260107_150405 - 3600, 0 },
	{ "2026-01-07T15:04:05-05:30", T20260107_150405 + 5 * 3600 + 1800, 0 },
	{ "2026-01-07T15:04:05+0100", T20260107_150405 - 3600, 0 },
	{ "2026-01-07T15:04:05-0530", T20260107_150405 + 5 * 3600 + 1800, 0 },
	{ "2026-01-07T15:04:05+01", T20260107_150405 - 3600, 0 },
	{ "2026-01-07T15:04:05+00:00", T20260107_150405, 0 },
	{ "2026-01-07T15:04:05-00:00", T20260107_150405, 0 },
	{ "2026-01-07T15:04:05.123Z", T20260107_150405, 0 },
	{ "2026-01-07T15:04:05,5Z", T20260107_150405, 0 },
	{ "2026-01-07T15:04:05.123456789+01:00", T20260107_150405 - 3600, 0 },
	{ "2026-01-07 15:04:05", T20260107_150405, 0 },
	{ "2026-01-07T15:04:05", T20260107_150405, 0 },
	{ "2026-01-07T15:04Z", T20260107_150405 - 5, 0 },
	{ "2026-01-07T15:04", T20260107_150405 - 5, 0 },
	{ "2026-01-07t15:04:05z", T20260107_150405, 0 },
	{ "  2026-01-07T15:04:05Z\n", T20260107_150405, 0 },
	{ "2026-01-07T00:00:00+14:00", D20260107 - 14 * 3600, 0 },
	{ "2024-02-29", INT64_C(1709164800), 1 },
	{ "2000-02-29", INT64_C(951782400), 1 },
	{ "1900-03-01", INT64_C(-2203891200), 1 },
	{ "1987-02-26T15:01:01Z", INT64_C(541350061), 0 },
	{ "1969-12-31T23:59:59Z", -1, 0 },
	{ "0001-01-01", INT64_C(-62135596800), 1 },
	{ "9999-12-31T23:59:59Z", INT64_C(253402300799), 0 },
	{ "2016-12-31T23:59:60Z", INT64_C(1483228799), 0 },	/* leap second → :59 */
	{ "2026-01-07T24:00:00Z", D20260107 + 86400, 0 },	/* end of day */
	{ "2026-01-07T24:00Z", D20260107 + 86400, 0 },
	{ "2026-12-31T23:30:00-01:00", INT64_C(1798763400), 0 },	/* crosses into 2027 */
};

static const struct {
	const char *in;
	const char *says;	/* a part of the expected message */
} invalid[] = {
	{ "", "empty" },
	{ "   ", "empty" },
	{ "2026", "'-' after the year" },
	{ "26-01-07", "four-digit year" },
	{ "abcd-01-01", "four-digit year" },
	{ "+2026-01-01", "four-digit year" },
	{ "12026-01-01", "'-' after the year" },
	{ "0000-01-01", "year 0000" },
	{ "2026-1-07", "two-digit month" },
	{ "2026-13-01", "month 13 is out of range in '2026-13-01'" },
	{ "2026-00-10", "month 00" },
	{ "2026-01-7", "two-digit day" },
	{ "2026-01-00", "day 00" },
	{ "2026-01-32", "day 32" },
	{ "2025-02-29", "day 29 is out of range for 2025-02" },
	{ "1900-02-29", "day 29" },
	{ "2100-02-29", "day 29" },
	{ "2026-04-31", "day 31" },
	{ "2026/01/07", "'-' after the year" },
	{ "2026-01-07X", "unexpected 'X'" },
	{ "2026-01-07Z", "unexpected 'Z'" },
	{ "2026-01-07T", "two-digit hour" },
	{ "2026-01-07T10", "':' after the hour" },
	{ "2026-01-07T1:00", "two-digit hour" },
	{ "2026-01-07T10:0", "two-digit minutes" },
	{ "2026-01-07T25:00Z", "hour 25" },
	{ "2026-01-07T24:01Z", "hour 24" },
	{ "2026-01-07T24:00:01Z", "hour 24" },
	{ "2026-01-07T10:60Z", "minute 60" },
	{ "2026-01-07T10:00:61Z", "second 61" },
	{ "2026-01-07T10:00:5Z", "two-digit seconds" },
	{ "2026-01-07T10:00:00.Z", "digits after the decimal point" },
	{ "2026-01-07T10:00+24:00", "UTC offset +24:00" },
	{ "2026-01-07T10:00+01:60", "UTC offset +01:60" },
	{ "2026-01-07T10:00+1", "UTC offset" },
	{ "2026-01-07T10:00+01:0", "UTC offset" },
	{ "2026-01-07T10:00+010", "UTC offset" },
	{ "2026-01-07T10:00Zjunk", "unexpected text 'junk'" },
	{ "2026-01-07T10:00:00 +01:00", "unexpected text" },
	{ "2026-01-07T10:00:00Z2", "unexpected text" },
};

START_TEST(test_valid)
{
	size_t i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		int64_t t = 12345;
		int only = -1;
		char *err = NULL;
		int rc = date_parse(valid[i].in, strlen(valid[i].in), &t, &only, &err);

		ck_assert_msg(rc == 0, "'%s' rejected: %s", valid[i].in, err ? err : "?");
		ck_assert_msg(t == valid[i].want, "'%s' → %lld, want %lld", valid[i].in,
			      (long long)t, (long long)valid[i].want);
		ck_assert_msg(only == valid[i].date_only, "'%s' date_only %d", valid[i].in, only);
		ck_assert_ptr_null(err);
	}
}
END_TEST

START_TEST(test_invalid)
{
	size_t i;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		int64_t t = 12345;
		char *err = NULL;
		int rc = date_parse(invalid[i].in, strlen(invalid[i].in), &t, NULL, &err);

		ck_assert_msg(rc == -1, "'%s' accepted as %lld", invalid[i].in, (long long)t);
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(strstr(err, invalid[i].says) != NULL, "'%s': message '%s' lacks '%s'",
			      invalid[i].in, err, invalid[i].says);
		free(err);
	}
}
END_TEST

/* The length is what counts, not a NUL: a date inside a larger buffer. */
START_TEST(test_length_bounded)
{
	const char *s = "2026-01-07T15:04:05Zgarbage";
	int64_t t = 0;
	char *err = NULL;

	ck_assert_int_eq(date_parse(s, 20, &t, NULL, &err), 0);
	ck_assert_int_eq(t, T20260107_150405);
	ck_assert_int_eq(date_parse(s, 10, &t, NULL, &err), 0);
	ck_assert_int_eq(t, D20260107);
	ck_assert_int_eq(date_parse(s, 21, &t, NULL, &err), -1);
	free(err);
	/* errmsg may be NULL. */
	ck_assert_int_eq(date_parse("x", 1, &t, NULL, NULL), -1);
}
END_TEST

/* Non-printable input bytes never reach the message. */
START_TEST(test_message_sanitised)
{
	const char s[] = "2026-13-01\x01\xff";
	int64_t t;
	char *err = NULL;
	size_t i;

	ck_assert_int_eq(date_parse(s, sizeof(s) - 1, &t, NULL, &err), -1);
	for (i = 0; err[i]; i++)
		ck_assert((unsigned char)err[i] >= 0x20 && (unsigned char)err[i] < 0x7f);
	free(err);
}
END_TEST

START_TEST(test_format)
{
	char full[21], day[11];

	date_format(0, full);
	ck_assert_str_eq(full, "1970-01-01T00:00:00Z");
	date_format(T20260107_150405, full);
	ck_assert_str_eq(full, "2026-01-07T15:04:05Z");
	date_format(-1, full);
	ck_assert_str_eq(full, "1969-12-31T23:59:59Z");
	date_format(INT64_C(253402300799), full);
	ck_assert_str_eq(full, "9999-12-31T23:59:59Z");
	date_format(INT64_C(-62135596800), full);
	ck_assert_str_eq(full, "0001-01-01T00:00:00Z");
	/* Outside the representable range: clamped, never overflowing the buffer. */
	date_format(INT64_MAX, full);
	ck_assert_str_eq(full, "9999-12-31T23:59:59Z");
	date_format(INT64_MIN, full);
	ck_assert_str_eq(full, "0001-01-01T00:00:00Z");
	date_format_day(T20260107_150405, day);
	ck_assert_str_eq(day, "2026-01-07");
	date_format_day(-1, day);
	ck_assert_str_eq(day, "1969-12-31");
	date_format_day(INT64_C(1709164800) + 86399, day);
	ck_assert_str_eq(day, "2024-02-29");
}
END_TEST

/* format → parse gives the same second, over the whole range in uneven steps. */
START_TEST(test_round_trip)
{
	int64_t t, back;
	char s[21], d[11];
	char *err = NULL;
	int only;

	for (t = INT64_C(-62135596800); t <= INT64_C(253402300799); t += INT64_C(7654321)) {
		int64_t day_start = t - (((t % 86400) + 86400) % 86400);

		date_format(t, s);
		if (date_parse(s, strlen(s), &back, &only, &err) != 0 || back != t || only != 0)
			ck_abort_msg("%s → %lld, want %lld", s, (long long)back, (long long)t);
		date_format_day(t, d);
		if (date_parse(d, strlen(d), &back, &only, &err) != 0 || back != day_start ||
		    only != 1)
			ck_abort_msg("%s → %lld, want %lld", d, (long long)back, (long long)day_start);
	}
}
END_TEST

/* Every day of years 1–9999: civil → days → civil, consecutive, with valid fields. */
START_TEST(test_civil_days)
{
	int64_t first = date_days_from_civil(1, 1, 1), last = date_days_from_civil(9999, 12, 31);
	int64_t days, y, py = 0;
	unsigned m, d, pm = 12, pd = 31;	/* 0000-12-31 */

	ck_assert_int_eq(date_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(date_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(date_days_from_civil(1969, 12, 31), -1);
	ck_assert_int_eq(first, -719162);
	/* Plain ifs, not ck_assert: Check reports every assertion through a pipe, which would
	 * make 3.6 million iterations take seconds. */
	for (days = first; days <= last; days++) {
		int ok;

		date_civil_from_days(days, &y, &m, &d);
		ok = m >= 1 && m <= 12 && d >= 1 && d <= 31;
		/* The next day of the previous date. */
		if (d == 1)
			ok = ok && pd >= 28 && (m == pm + 1 || (m == 1 && pm == 12 && y == py + 1));
		else
			ok = ok && d == pd + 1 && m == pm && y == py;
		ok = ok && date_days_from_civil(y, m, d) == days;
		if (!ok)
			ck_abort_msg("day %lld: %lld-%02u-%02u after %lld-%02u-%02u", (long long)days,
				     (long long)y, m, d, (long long)py, pm, pd);
		py = y;
		pm = m;
		pd = d;
	}
	ck_assert_int_eq(py, 9999);
	/* Negative years still round-trip (the eras below zero). */
	date_civil_from_days(date_days_from_civil(-400, 2, 29), &y, &m, &d);
	ck_assert_int_eq(y, -400);
	ck_assert_uint_eq(m, 2);
	ck_assert_uint_eq(d, 29);
}
END_TEST

static Suite *date_suite(void)
{
	Suite *s = suite_create("date");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_invalid);
	tcase_add_test(tc, test_length_bounded);
	tcase_add_test(tc, test_message_sanitised);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_civil_days);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(date_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
