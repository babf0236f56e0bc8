/* test_watch — the pure parts of live watches: event ids, SSE frames, the replay bound, and
 * HMAC-SHA256 against the RFC 4231 test vectors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watch.h"

START_TEST(test_event_ids)
{
	char s[48];
	int64_t k;

	watch_key_format(watch_key(42, 3), s);
	ck_assert_str_eq(s, "42-3");
	ck_assert_int_eq(watch_key_parse("42-3", &k), 0);
	ck_assert(k == watch_key(42, 3));
	ck_assert(watch_key_version(k) == 42);
	/* ids order as the commits they came from */
	ck_assert(watch_key(42, 3) < watch_key(42, 4));
	ck_assert(watch_key(42, WATCH_KEY_MASK) < watch_key(43, 0));
	/* a bare version is "everything up to it" */
	ck_assert_int_eq(watch_key_parse("7", &k), 0);
	ck_assert(k == watch_key_end(7) && k < watch_key(8, 0));
	ck_assert_int_eq(watch_key_parse("0-0", &k), 0);
	ck_assert(k == 0);
	ck_assert_int_eq(watch_key_parse("", &k), -1);
	ck_assert_int_eq(watch_key_parse("-1", &k), -1);
	ck_assert_int_eq(watch_key_parse("4-", &k), -1);
	ck_assert_int_eq(watch_key_parse("4-x", &k), -1);
	ck_assert_int_eq(watch_key_parse("4-1-2", &k), -1);
	ck_assert_int_eq(watch_key_parse("4 -1", &k), -1);
	ck_assert_int_eq(watch_key_parse("4-99999999", &k), -1);	/* n past the mask */
	ck_assert_int_eq(watch_key_parse("99999999999999999999", &k), -1);
	ck_assert_int_eq(watch_key_parse(NULL, &k), -1);
}
END_TEST

START_TEST(test_sse_frames)
{
	struct buf b = { 0 };

	watch_sse_frame(&b, "article", watch_key(5, 1), "{\"id\":\"a\"}");
	ck_assert_str_eq(b.data, "event: article\nid: 5-1\ndata: {\"id\":\"a\"}\n\n");
	buf_reset(&b);
	watch_sse_frame(&b, "gap", -1, "{}");
	ck_assert_str_eq(b.data, "event: gap\ndata: {}\n\n");
	buf_free(&b);
}
END_TEST

START_TEST(test_replay_bound)
{
	struct watch_replay r = { 0 };
	int64_t i, sent = 0;

	r.max = 3;
	for (i = 1; i <= 7; i++)
		sent += watch_replay_take(&r, watch_key(i, 0));
	ck_assert(sent == 3 && r.sent == 3 && r.skipped == 4);
	ck_assert(r.first_skipped == watch_key(4, 0) && r.last_skipped == watch_key(7, 0));
	memset(&r, 0, sizeof(r));	/* max 0: everything is one gap */
	ck_assert_int_eq(watch_replay_take(&r, 9), 0);
	ck_assert(r.skipped == 1 && r.first_skipped == 9);
}
END_TEST

static void unhex(const char *h, unsigned char *out, size_t *n)
{
	size_t i;

	*n = strlen(h) / 2;
	for (i = 0; i < *n; i++) {
		unsigned v;

		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

/* RFC 4231, section 4: test cases 1, 2, 3, 4, 6 and 7 (5 truncates the output). */
START_TEST(test_hmac_rfc4231)
{
	static const struct {
		const char *key, *data, *mac;
	} v[] = {
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
		{ "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		  "dddddddddddddddddddd",
		  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
		{ "0102030405060708090a0b0c0d0e0f10111213141516171819",
		  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		  "cdcdcdcdcdcdcdcdcdcd",
		  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
		{ NULL, "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579"
		  "202d2048617368204b6579204669727374",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
		{ NULL, "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c"
		  "6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d"
		  "73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564"
		  "206265666f7265206265696e6720757365642062792074686520484d414320616c676f7269"
		  "74686d2e",
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	};
	unsigned char key[160], data[256];
	size_t i, kn, dn;
	char out[65];

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].key) {
			unhex(v[i].key, key, &kn);
		} else {	/* cases 6 and 7: a 131-byte key of 0xaa */
			kn = 131;
			memset(key, 0xaa, kn);
		}
		unhex(v[i].data, data, &dn);
		watch_hmac_sha256_hex(key, kn, data, dn, out);
		ck_assert_str_eq(out, v[i].mac);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("watch");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_event_ids);
	tcase_add_test(tc, test_sse_frames);
	tcase_add_test(tc, test_replay_bound);
	tcase_add_test(tc, test_hmac_rfc4231);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
