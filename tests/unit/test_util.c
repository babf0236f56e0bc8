/* test_util — buffers, escaping, UTF-8 validation, the loopback check for unauthenticated writes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

START_TEST(test_loopback)
{
	ck_assert(addr_is_loopback("127.0.0.1"));
	ck_assert(addr_is_loopback("127.1.2.3"));
	ck_assert(addr_is_loopback("::1"));
	ck_assert(addr_is_loopback("::ffff:127.0.0.1"));
	ck_assert(addr_is_loopback("::FFFF:127.0.0.9"));
	ck_assert(!addr_is_loopback("10.0.0.1"));
	ck_assert(!addr_is_loopback("192.168.1.127"));
	ck_assert(!addr_is_loopback("::ffff:10.1.2.3"));
	ck_assert(!addr_is_loopback("1270.0.0.1"));
	ck_assert(!addr_is_loopback("fe80::1"));
	ck_assert(!addr_is_loopback("::11"));
	ck_assert(!addr_is_loopback(""));
	ck_assert(!addr_is_loopback(NULL));
}
END_TEST

START_TEST(test_escape)
{
	struct buf b = { 0 };

	buf_html_escape(&b, "a <b> & \"c\" 'd'\n\n\te", 19);
	ck_assert_str_eq(b.data, "a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39; e");
	buf_reset(&b);
	buf_html_escape(&b, "x\xff" "y", 3);
	ck_assert_str_eq(b.data, "x\xEF\xBF\xBDy");
	buf_free(&b);
}
END_TEST

START_TEST(test_utf8)
{
	ck_assert(utf8_valid("S\xC3\xA3o Paulo", 10));
	ck_assert(!utf8_valid("a\0b", 3));
	ck_assert(!utf8_valid("\xC0\x80", 2));		/* overlong NUL */
	ck_assert(!utf8_valid("\xED\xA0\x80", 3));	/* surrogate */
	ck_assert(!utf8_valid("\xE2\x82", 2));		/* truncated */
	ck_assert(utf8_valid("\xF0\x9F\x93\xB0", 4));	/* newspaper emoji */
}
END_TEST

START_TEST(test_buf_printf)
{
	struct buf b = { 0 };
	char *s;
	int i;

	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	ck_assert_int_eq(b.len, strlen(b.data));
	ck_assert(strncmp(b.data, "0,1,2,", 6) == 0);
	s = buf_detach(&b);
	ck_assert_ptr_null(b.data);
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_loopback);
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_buf_printf);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
