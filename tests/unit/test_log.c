/* test_log.c — line format, levels, reopen after rotation, threads. */
#include <check.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define NTHREADS 4
#define NLINES 500

/* A fresh log file in a new temporary directory; returns its path (caller frees). */
static char *temp_log(void)
{
	char dir[] = "/tmp/newsd-test-log-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	return xasprintf("%s/newsd.log", dir);
}

static void remove_log(char *path)
{
	char *old = xasprintf("%s.1", path);

	unlink(path);
	unlink(old);
	*strrchr(path, '/') = '\0';
	rmdir(path);
	free(old);
	free(path);
}

/* The whole file (caller frees). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;

	ck_assert_ptr_nonnull(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_detach(&b);
}

/* Number of lines of text matching the pattern; every line must match. */
static int count_lines(const char *text, const char *pattern)
{
	regex_t re;
	char *copy = xstrdup(text), *line, *save = NULL;
	int n = 0;

	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0, "bad line: %s", line);
		n++;
	}
	regfree(&re);
	free(copy);
	return n;
}

#define STAMP "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z "

START_TEST(test_format_and_levels)
{
	char *path = temp_log(), *text, big[2000];

	ck_assert_int_eq(log_open(path), 0);
	ck_assert_int_eq(log_set_level("verbose"), -1);
	ck_assert_int_eq(log_set_level("warn"), 0);
	ck_assert(log_enabled(LOG_LEVEL_WARN));
	ck_assert(!log_enabled(LOG_LEVEL_INFO));
	log_info("hidden");
	log_debug("hidden");
	log_warn("disk %d%% full", 91);
	log_error("client sent \"a\nb\r\"");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_error("%s", big);
	log_close();
	text = slurp(path);
	ck_assert_int_eq(count_lines(text, STAMP "(warn|error) "), 3);
	ck_assert_ptr_nonnull(strstr(text, " warn disk 91% full\n"));
	ck_assert_ptr_nonnull(strstr(text, " error client sent \"a b \"\n"));
	ck_assert_ptr_nonnull(strstr(text, big));
	ck_assert_ptr_null(strstr(text, "hidden"));
	free(text);
	remove_log(path);
	log_set_level("info");
}
END_TEST

/* logrotate renames the file, then sends SIGHUP: new lines go to a new file. */
START_TEST(test_reopen)
{
	char *path = temp_log(), *old = xasprintf("%s.1", path), *text;

	ck_assert_int_eq(log_open(path), 0);
	log_info("before");
	ck_assert_int_eq(rename(path, old), 0);
	log_info("still old");
	ck_assert_int_eq(log_reopen(), 0);
	log_info("after");
	text = slurp(old);
	ck_assert_int_eq(count_lines(text, STAMP "info (before|still old)$"), 2);
	free(text);
	text = slurp(path);
	ck_assert_int_eq(count_lines(text, STAMP "info after$"), 1);
	free(text);

	/* A file that cannot be opened keeps the old destination. */
	ck_assert_int_eq(log_open("/nonexistent/dir/newsd.log"), -1);
	log_info("kept");
	log_close();
	ck_assert_int_eq(log_reopen(), 0);	/* back on stderr: nothing to reopen */
	text = slurp(path);
	ck_assert_int_eq(count_lines(text, STAMP "info (after|kept)$"), 2);
	free(text);
	free(old);
	remove_log(path);
}
END_TEST

static void *writer(void *arg)
{
	int i, id = *(int *)arg;

	for (i = 0; i < NLINES; i++)
		log_info("thread %d line %d of a message long enough to tear if writes split", id, i);
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t t[NTHREADS];
	int ids[NTHREADS], i;
	char *path = temp_log(), *text;

	ck_assert_int_eq(log_open(path), 0);
	for (i = 0; i < NTHREADS; i++) {
		ids[i] = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer, &ids[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	log_close();
	text = slurp(path);
	ck_assert_int_eq(count_lines(text, STAMP "info thread [0-9] line [0-9]+ of a message long "
				     "enough to tear if writes split$"), NTHREADS * NLINES);
	free(text);
	remove_log(path);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_format_and_levels);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
