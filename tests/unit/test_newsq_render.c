/* test_newsq_render.c — the pure text functions of the newsq client (client/render.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../client/render.h"

/* Run fn-style appends through a fresh buffer and compare with want. */
#define CHECK_BUF(call, want)                                         \
	do {                                                          \
		struct buf b_ = {0};                                  \
		struct buf *b = &b_;                                  \
		call;                                                 \
		ck_assert_str_eq(b_.data ? b_.data : "", (want));     \
		buf_free(&b_);                                        \
	} while (0)

START_TEST(url_encode_unreserved_kept)
{
	CHECK_BUF(render_url_encode(b, "AZaz09-._~"), "AZaz09-._~");
	CHECK_BUF(render_url_encode(b, ""), "");
}
END_TEST

START_TEST(url_encode_reserved_and_space)
{
	CHECK_BUF(render_url_encode(b, "storm OR flood"), "storm%20OR%20flood");
	CHECK_BUF(render_url_encode(b, "\"central bank\""), "%22central%20bank%22");
	CHECK_BUF(render_url_encode(b, "a+b&c=d/e?f#g%h"), "a%2Bb%26c%3Dd%2Fe%3Ff%23g%25h");
	CHECK_BUF(render_url_encode(b, "AT&T"), "AT%26T");
}
END_TEST

START_TEST(url_encode_utf8_bytes)
{
	/* "São" and an ellipsis: every byte of a multi-byte sequence, upper-case hex. */
	CHECK_BUF(render_url_encode(b, "S\xC3\xA3o"), "S%C3%A3o");
	CHECK_BUF(render_url_encode(b, "\xE2\x80\xA6"), "%E2%80%A6");
}
END_TEST

START_TEST(unescape_named)
{
	const char *s = "&amp; &lt;b&gt; &quot;q&quot; it&#39;s &apos;";

	CHECK_BUF(render_html_unescape(b, s, strlen(s)), "& <b> \"q\" it's '");
}
END_TEST

START_TEST(unescape_numeric)
{
	const char *s = "&#233;&#xE9;&#X2026;&#65;";

	CHECK_BUF(render_html_unescape(b, s, strlen(s)), "\xC3\xA9\xC3\xA9\xE2\x80\xA6" "A");
}
END_TEST

START_TEST(unescape_malformed_kept)
{
	const char *s = "AT&T &amp &#; &#xZZ; &#0; &#xD800; &#1114112; &unknown; &";

	CHECK_BUF(render_html_unescape(b, s, strlen(s)), s);
}
END_TEST

START_TEST(unescape_respects_length)
{
	CHECK_BUF(render_html_unescape(b, "&amp;rest", 3), "&am");
}
END_TEST

START_TEST(marks_to_ansi)
{
	CHECK_BUF(render_marks(b, "the <mark>storm</mark> &amp; <mark>flood</mark>", "[", "]"),
		  "the [storm] & [flood]");
	CHECK_BUF(render_marks(b, "a <mark>b</mark> c", "\033[1;33m", "\033[0m"),
		  "a \033[1;33mb\033[0m c");
}
END_TEST

START_TEST(marks_without_colour)
{
	CHECK_BUF(render_marks(b, "<mark>x</mark> &lt;mark&gt;", NULL, NULL), "x <mark>");
	CHECK_BUF(render_marks(b, "<mark>x</mark>", "", ""), "x");
}
END_TEST

START_TEST(marks_other_tags_and_stray_lt)
{
	CHECK_BUF(render_marks(b, "<b>bold</b> and <em>x</em>", "[", "]"), "bold and x");
	CHECK_BUF(render_marks(b, "1 < 2", "[", "]"), "1 < 2");
	CHECK_BUF(render_marks(b, "", "[", "]"), "");
}
END_TEST

START_TEST(marks_strip_control_characters)
{
	/* An escape sequence in indexed text, even spelled as a reference, must not reach the
	 * terminal; nor a C1 CSI (U+009B). */
	CHECK_BUF(render_marks(b, "a\033[31mb", NULL, NULL), "a [31mb");
	CHECK_BUF(render_marks(b, "a&#27;[2Jb", NULL, NULL), "a [2Jb");
	CHECK_BUF(render_marks(b, "x\xC2\x9By\ttab\nnl", NULL, NULL), "x y tab nl");
	CHECK_BUF(render_marks(b, "caf\xC3\xA9", NULL, NULL), "caf\xC3\xA9");
}
END_TEST

START_TEST(plain_text)
{
	CHECK_BUF(render_plain(b, "a\033b\nc", 0), "a b c");
	CHECK_BUF(render_plain(b, "p1\n\np2\tx\033", 1), "p1\n\np2\tx ");
	CHECK_BUF(render_plain(b, "<mark>&amp;", 0), "<mark>&amp;");
}
END_TEST

START_TEST(shell_quote)
{
	CHECK_BUF(render_shell_quote(b, "storm"), "storm");
	CHECK_BUF(render_shell_quote(b, "2025-01-01"), "2025-01-01");
	CHECK_BUF(render_shell_quote(b, "abc/+=="), "abc/+==");
	CHECK_BUF(render_shell_quote(b, "storm OR flood"), "'storm OR flood'");
	CHECK_BUF(render_shell_quote(b, "\"central bank\""), "'\"central bank\"'");
	CHECK_BUF(render_shell_quote(b, "it's"), "'it'\\''s'");
	CHECK_BUF(render_shell_quote(b, ""), "''");
	CHECK_BUF(render_shell_quote(b, "$HOME"), "'$HOME'");
}
END_TEST

START_TEST(sparkline_levels)
{
	double v[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};

	CHECK_BUF(render_sparkline(b, v, 9, 8),
		  " \xE2\x96\x81\xE2\x96\x82\xE2\x96\x83\xE2\x96\x84\xE2\x96\x85"
		  "\xE2\x96\x86\xE2\x96\x87\xE2\x96\x88");
}
END_TEST

START_TEST(sparkline_small_values_visible)
{
	double v[] = {0.001, 1000};

	CHECK_BUF(render_sparkline(b, v, 2, 1000), "\xE2\x96\x81\xE2\x96\x88");
}
END_TEST

START_TEST(sparkline_empty_and_zero_max)
{
	double v[] = {0, 0, 0};

	CHECK_BUF(render_sparkline(b, v, 3, 0), "   ");
	CHECK_BUF(render_sparkline(b, v, 0, 5), "");
}
END_TEST

START_TEST(parse_server_forms)
{
	struct render_server s;
	char *err = NULL;

	ck_assert_int_eq(render_parse_server("http://127.0.0.1:8088", &s, &err), 0);
	ck_assert_str_eq(s.host, "127.0.0.1");
	ck_assert_int_eq(s.port, 8088);
	ck_assert_str_eq(s.prefix, "");
	render_server_free(&s);

	ck_assert_int_eq(render_parse_server("localhost", &s, &err), 0);
	ck_assert_str_eq(s.host, "localhost");
	ck_assert_int_eq(s.port, 80);
	render_server_free(&s);

	ck_assert_int_eq(render_parse_server("http://[::1]:9000/news/api/", &s, &err), 0);
	ck_assert_str_eq(s.host, "::1");
	ck_assert_int_eq(s.port, 9000);
	ck_assert_str_eq(s.prefix, "/news/api");
	render_server_free(&s);
	ck_assert_ptr_null(err);
}
END_TEST

START_TEST(parse_server_rejects)
{
	static const char *const bad[] = {
		"https://example.org", "ftp://x", "http://", "http://:80", "http://h:0",
		"http://h:65536", "http://h:8a", "http://h:", "http://u@h", "http://h/?q=1",
		"http://[::1", "http://[::1]x",
	};
	struct render_server s;
	char *err = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(render_parse_server(bad[i], &s, &err) == -1, "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(err);
		free(err);
		err = NULL;
		render_server_free(&s);
	}
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("newsq_render");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, url_encode_unreserved_kept);
	tcase_add_test(tc, url_encode_reserved_and_space);
	tcase_add_test(tc, url_encode_utf8_bytes);
	tcase_add_test(tc, unescape_named);
	tcase_add_test(tc, unescape_numeric);
	tcase_add_test(tc, unescape_malformed_kept);
	tcase_add_test(tc, unescape_respects_length);
	tcase_add_test(tc, marks_to_ansi);
	tcase_add_test(tc, marks_without_colour);
	tcase_add_test(tc, marks_other_tags_and_stray_lt);
	tcase_add_test(tc, marks_strip_control_characters);
	tcase_add_test(tc, plain_text);
	tcase_add_test(tc, shell_quote);
	tcase_add_test(tc, sparkline_levels);
	tcase_add_test(tc, sparkline_small_values_visible);
	tcase_add_test(tc, sparkline_empty_and_zero_max);
	tcase_add_test(tc, parse_server_forms);
	tcase_add_test(tc, parse_server_rejects);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(render_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
