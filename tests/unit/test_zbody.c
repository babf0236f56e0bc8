/* test_zbody.c — article bodies stored compressed (index/zbody.c): the stored form, its
 * errors, newsd_text(), and a store that writes it and reads it back everywhere. */
#include <check.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "zbody.h"

static const char story[] =
	"The central bank of Freedonia raised its benchmark lending rate by half a point on "
	"Tuesday, the third increase this year, saying inflation had stayed above its target for "
	"eleven months. Governor Mar\xc3\xad" "a Ostrova told reporters the board would act again "
	"if consumer prices kept rising faster than wages. Economists had expected a smaller move.";

START_TEST(test_round_trip)
{
	struct zbody *z = zbody_new();
	struct buf out = { 0 }, big = { 0 };
	size_t len = 0;
	char *text;
	int i;

	/* a news paragraph: smaller, and the same text back */
	ck_assert_int_eq(zbody_pack(z, story, strlen(story), &out), 1);
	ck_assert_uint_lt(out.len, strlen(story));
	ck_assert_int_eq((unsigned char)out.data[0], ZBODY_DEFLATE);
	text = zbody_unpack(z, out.data, out.len, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, strlen(story));
	ck_assert_str_eq(text, story);
	free(text);
	/* the streams are reused: a second, longer text */
	for (i = 0; i < 200; i++)
		buf_printf(&big, "%s [%d] ", story, i);
	ck_assert_int_eq(zbody_pack(z, big.data, big.len, &out), 1);
	ck_assert_uint_lt(out.len, big.len / 10);
	text = zbody_unpack(z, out.data, out.len, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, big.len);
	ck_assert_int_eq(memcmp(text, big.data, len), 0);
	free(text);
	/* short, or no smaller: stored as it is */
	ck_assert_int_eq(zbody_pack(z, "Oil rose.", 9, &out), 0);
	ck_assert_uint_eq(out.len, 0);
	buf_reset(&big);
	{
		uint32_t x = 2463534242u;	/* xorshift: bytes with no pattern deflate finds */

		for (i = 0; i < 300; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf_putc(&big, (char)(x >> 24));
		}
	}
	ck_assert_int_eq(zbody_pack(z, big.data, big.len, &out), 0);
	buf_free(&out);
	buf_free(&big);
	zbody_free(z);
}
END_TEST

START_TEST(test_damaged)
{
	struct zbody *z = zbody_new();
	struct buf out = { 0 };
	size_t len;
	char *bad;

	ck_assert_int_eq(zbody_pack(z, story, strlen(story), &out), 1);
	bad = xmalloc(out.len);
	/* cut short, another tag, a length that does not match, a flipped byte */
	ck_assert_ptr_null(zbody_unpack(z, out.data, out.len - 3, &len));
	ck_assert_ptr_null(zbody_unpack(z, out.data, 3, &len));
	memcpy(bad, out.data, out.len);
	bad[0] = 0x02;
	ck_assert_ptr_null(zbody_unpack(z, bad, out.len, &len));
	memcpy(bad, out.data, out.len);
	bad[1] = (char)(bad[1] + 1);
	ck_assert_ptr_null(zbody_unpack(z, bad, out.len, &len));
	memcpy(bad, out.data, out.len);
	bad[2] = (char)(bad[2] - 1);
	ck_assert_ptr_null(zbody_unpack(z, bad, out.len, &len));
	/* and the stream still works after them */
	{
		char *text = zbody_unpack(z, out.data, out.len, &len);

		ck_assert_ptr_nonnull(text);
		ck_assert_str_eq(text, story);
		free(text);
	}
	free(bad);
	buf_free(&out);
	zbody_free(z);
}
END_TEST

START_TEST(test_sql_function)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	struct zbody *z = zbody_new();
	struct buf out = { 0 };
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_msg(zbody_register(db, &err) == 0, "%s", err);
	ck_assert_int_eq(zbody_pack(z, story, strlen(story), &out), 1);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT newsd_text(?1), typeof(newsd_text(?1))", -1,
					    &st, NULL), SQLITE_OK);
	/* a stored BLOB: the text */
	sqlite3_bind_blob(st, 1, out.data, (int)out.len, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), story);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), "text");
	sqlite3_reset(st);
	/* TEXT (schema-3 files, short bodies) and NULL as they are */
	sqlite3_bind_text(st, 1, "plain body", -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "plain body");
	sqlite3_reset(st);
	sqlite3_bind_null(st, 1);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_type(st, 0), SQLITE_NULL);
	sqlite3_reset(st);
	/* a damaged BLOB: an error that says so, not garbage */
	sqlite3_bind_blob(st, 1, out.data, (int)out.len - 4, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ERROR);
	ck_assert_ptr_nonnull(strstr(sqlite3_errmsg(db), "damaged"));
	sqlite3_finalize(st);
	sqlite3_close(db);
	buf_free(&out);
	zbody_free(z);
}
END_TEST

static Suite *zbody_suite(void)
{
	Suite *s = suite_create("zbody");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_damaged);
	tcase_add_test(tc, test_sql_function);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(zbody_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
