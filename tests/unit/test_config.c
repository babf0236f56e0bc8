/* test_config.c — the settings table, config_set, config_load, and conf/newsd.conf. */
#include <check.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

#define CONF_FILE "conf/newsd.conf"	/* tests run from the repository root */
#define MAX_SEEN 256

static int nkeys(void)
{
	int n = 0;

	while (config_keys[n].name)
		n++;
	return n;
}

static int key_index(const char *name)
{
	int i;

	for (i = 0; config_keys[i].name; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return i;
	return -1;
}

/* Write text to a new temporary file; returns its path (caller unlinks and frees). */
static char *temp_file(const char *text)
{
	char *path = xstrdup("/tmp/newsd-test-config-XXXXXX");
	int fd = mkstemp(path);
	size_t n = strlen(text);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

/* Load text as a config file over the defaults; returns config_load's result. */
static int load_text(const char *text, struct config *c, char **path, char **err)
{
	*path = temp_file(text);
	config_defaults(c);
	return config_load(c, *path, err);
}

/* 1 when field k of a and b holds the same value. */
static int same_field(const struct config *a, const struct config *b, const struct config_key *k)
{
	const char *pa = (const char *)a + k->offset, *pb = (const char *)b + k->offset;

	switch (k->type) {
	case CONFIG_STRING:
		return *(char *const *)pa && *(char *const *)pb &&
		       strcmp(*(char *const *)pa, *(char *const *)pb) == 0;
	case CONFIG_INT:
	case CONFIG_BOOL:
		return *(const int *)pa == *(const int *)pb;
	case CONFIG_INT64:
		return *(const int64_t *)pa == *(const int64_t *)pb;
	case CONFIG_DOUBLE:
		return *(const double *)pa == *(const double *)pb;
	}
	return 0;
}

START_TEST(test_defaults)
{
	struct config c;

	config_defaults(&c);
	ck_assert_str_eq(c.listen, "127.0.0.1:8088");
	ck_assert_str_eq(c.db, "newsd.db");
	ck_assert_int_eq(c.threads, 0);
	ck_assert_str_eq(c.spool_dir, "");
	ck_assert_int_eq(c.spool_interval_ms, 1000);
	ck_assert(c.max_body_bytes == 67108864);
	ck_assert_int_eq(c.max_uri_bytes, 8192);
	ck_assert_int_eq(c.max_header_bytes, 16384);
	ck_assert_int_eq(c.max_connections, 1024);
	ck_assert_int_eq(c.timeout_s, 30);
	ck_assert_int_eq(c.query_timeout_ms, 2000);
	ck_assert_int_eq(c.max_query_bytes, 4096);
	ck_assert_int_eq(c.max_query_terms, 256);
	ck_assert_int_eq(c.max_query_depth, 32);
	ck_assert_str_eq(c.write_token, "");
	ck_assert_str_eq(c.stemming, "porter");
	ck_assert(c.title_weight == 4.0);
	ck_assert_int_eq(c.batch_max_records, 40000);
	ck_assert_int_eq(c.cache_mb, 64);
	ck_assert_int_eq(c.shutdown_timeout_s, 10);
	ck_assert_str_eq(c.log_file, "");
	ck_assert_str_eq(c.log_level, "info");
	ck_assert_int_eq(c.extraction, 1);
	ck_assert_int_eq(c.dedup, 1);
	ck_assert_int_eq(c.max_watchers, 256);
	ck_assert_int_eq(c.watch_ping_s, 15);
	ck_assert_int_eq(c.watch_replay_max, 1000);
	ck_assert_int_eq(c.watch_buffer_bytes, 1048576);
	ck_assert_int_eq(c.watch_keep_versions, 100000);
	ck_assert_str_eq(c.webhook_allow, "");
	ck_assert_str_eq(c.webhook_secret, "");
	ck_assert_int_eq(c.webhook_retries, 5);
	ck_assert_int_eq(c.webhook_backoff_ms, 1000);
	ck_assert_int_eq(c.webhook_timeout_s, 10);
	config_free(&c);
	ck_assert_ptr_null(c.listen);
}
END_TEST

START_TEST(test_table_sane)
{
	int i, j;

	ck_assert_int_eq(nkeys(), 36);
	for (i = 0; config_keys[i].name; i++) {
		const struct config_key *k = &config_keys[i];

		ck_assert_msg(k->comment && *k->comment && !strchr(k->comment, '\n'),
			      "%s: comment must be one line", k->name);
		ck_assert_msg(k->offset < sizeof(struct config), "%s: offset", k->name);
		if (k->type != CONFIG_STRING)
			ck_assert_msg(k->min <= k->max, "%s: bounds", k->name);
		for (j = 0; j < i; j++) {
			ck_assert_msg(strcmp(config_keys[j].name, k->name) != 0, "%s twice", k->name);
			ck_assert_msg(config_keys[j].offset != k->offset, "%s: offset reused", k->name);
		}
	}
}
END_TEST

/* What inih sees in conf/newsd.conf, in file order. */
struct seen {
	int n;
	char *name[MAX_SEEN];
	char *value[MAX_SEEN];
	char *section[MAX_SEEN];
};

static int collect(void *user, const char *section, const char *name, const char *value)
{
	struct seen *s = user;

	if (s->n == MAX_SEEN)
		return 0;
	s->section[s->n] = xstrdup(section);
	s->name[s->n] = xstrdup(name);
	s->value[s->n] = xstrdup(value);
	s->n++;
	return 1;
}

/* Every table key appears exactly once in the file, in table order, with exactly its default;
 * the file has no key the table lacks. */
START_TEST(test_file_matches_table)
{
	struct seen s = { 0 };
	int count[MAX_SEEN] = { 0 };
	int i, k, prev = -1;

	ck_assert_msg(access(CONF_FILE, R_OK) == 0, CONF_FILE " not found (run from the repo root)");
	ck_assert_int_eq(ini_parse(CONF_FILE, collect, &s), 0);
	for (i = 0; i < s.n; i++) {
		k = key_index(s.name[i]);
		ck_assert_msg(k >= 0, CONF_FILE ": key '%s' is not in config_keys[]", s.name[i]);
		ck_assert_msg(s.section[i][0] == '\0' || strcmp(s.section[i], "newsd") == 0,
			      CONF_FILE ": section [%s]", s.section[i]);
		ck_assert_msg(strcmp(s.value[i], config_keys[k].def) == 0,
			      CONF_FILE ": %s = '%s' but the default is '%s'", s.name[i],
			      s.value[i], config_keys[k].def);
		ck_assert_msg(k > prev, CONF_FILE ": %s is out of table order", s.name[i]);
		prev = k;
		count[k]++;
	}
	for (k = 0; config_keys[k].name; k++)
		ck_assert_msg(count[k] == 1, CONF_FILE ": %s appears %d times", config_keys[k].name,
			      count[k]);
	for (i = 0; i < s.n; i++) {
		free(s.section[i]);
		free(s.name[i]);
		free(s.value[i]);
	}
}
END_TEST

/* The comment block right above each key contains the table's comment for it. */
START_TEST(test_file_comments)
{
	FILE *f = fopen(CONF_FILE, "r");
	struct buf block = { 0 };
	char line[1024], name[128], *want;
	int k, found = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			buf_puts(&block, line);
			continue;
		}
		if (sscanf(line, "%127[a-z_0-9] =", name) == 1 && (k = key_index(name)) >= 0) {
			want = xasprintf("# %s\n", config_keys[k].comment);
			ck_assert_msg(block.data && strstr(block.data, want),
				      CONF_FILE ": %s is not preceded by '# %s'", name,
				      config_keys[k].comment);
			free(want);
			found++;
		}
		buf_reset(&block);
	}
	fclose(f);
	buf_free(&block);
	ck_assert_int_eq(found, nkeys());
}
END_TEST

/* Loading the file into a zeroed struct sets every field to its default. */
START_TEST(test_file_loads_defaults)
{
	struct config def, c;
	const struct config_key *k;
	char *err = NULL;

	config_defaults(&def);
	memset(&c, 0, sizeof(c));
	ck_assert_msg(config_load(&c, CONF_FILE, &err) == 0, "%s", err);
	for (k = config_keys; k->name; k++)
		ck_assert_msg(same_field(&c, &def, k), "%s differs after loading " CONF_FILE,
			      k->name);
	config_free(&c);
	config_free(&def);
}
END_TEST

static void expect_error(const char *key, const char *value, const char *want)
{
	struct config c, before;
	const struct config_key *k;
	char *err = NULL;

	config_defaults(&c);
	config_defaults(&before);
	ck_assert_int_eq(config_set(&c, key, value, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strcmp(err, want) == 0, "got \"%s\", want \"%s\"", err, want);
	for (k = config_keys; k->name; k++)
		ck_assert_msg(same_field(&c, &before, k), "%s changed by a failed set", k->name);
	free(err);
	config_free(&c);
	config_free(&before);
}

START_TEST(test_set_errors)
{
	expect_error("colour", "red", "unknown key 'colour'");
	expect_error("threads", "999", "threads: 999 is out of range 0..256");
	expect_error("threads", "-1", "threads: -1 is out of range 0..256");
	expect_error("threads", "abc", "threads: 'abc' is not an integer");
	expect_error("threads", "4x", "threads: '4x' is not an integer");
	expect_error("threads", "", "threads: '' is not an integer");
	expect_error("threads", "99999999999999999999999", "threads: "
		     "'99999999999999999999999' is not an integer");
	expect_error("max_body_bytes", "17179869185",
		     "max_body_bytes: 17179869185 is out of range 1024..17179869184");
	expect_error("query_timeout_ms", "0", "query_timeout_ms: 0 is out of range 1..600000");
	expect_error("title_weight", "101", "title_weight: 101 is out of range 0..100");
	expect_error("title_weight", "nan", "title_weight: 'nan' is not a number");
	expect_error("title_weight", "2,5", "title_weight: '2,5' is not a number");
	expect_error("stemming", "snowball", "stemming: 'snowball' is not one of porter, none");
	expect_error("stemming", "", "stemming: '' is not one of porter, none");
	expect_error("log_level", "verbose",
		     "log_level: 'verbose' is not one of error, warn, info, debug");
	expect_error("dedup", "maybe",
		     "dedup: 'maybe' is not a boolean (yes/no/on/off/true/false/1/0)");
}
END_TEST

START_TEST(test_set_values)
{
	struct config c;
	char *err = NULL;

	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "threads", " 256 ", &err), 0);
	ck_assert_int_eq(c.threads, 256);
	ck_assert_int_eq(config_set(&c, "max_body_bytes", "17179869184", &err), 0);
	ck_assert(c.max_body_bytes == (int64_t)1 << 34);
	ck_assert_int_eq(config_set(&c, "title_weight", "2.5", &err), 0);
	ck_assert(c.title_weight == 2.5);
	ck_assert_int_eq(config_set(&c, "stemming", "none", &err), 0);
	ck_assert_str_eq(c.stemming, "none");
	ck_assert_int_eq(config_set(&c, "log_level", "debug", &err), 0);
	ck_assert_str_eq(c.log_level, "debug");
	ck_assert_ptr_null(err);
	config_free(&c);
}
END_TEST

START_TEST(test_booleans)
{
	static const char *const yes[] = { "yes", "on", "true", "1", "YES", "True", " on " };
	static const char *const no[] = { "no", "off", "false", "0", "No", "OFF", "\tfalse" };
	struct config c;
	char *err = NULL;
	size_t i;

	config_defaults(&c);
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		ck_assert_int_eq(config_set(&c, "dedup", no[i], &err), 0);
		ck_assert_int_eq(c.dedup, 0);
		ck_assert_int_eq(config_set(&c, "dedup", yes[i], &err), 0);
		ck_assert_int_eq(c.dedup, 1);
	}
	ck_assert_int_eq(config_set(&c, "extraction", "2", &err), -1);
	ck_assert_int_eq(config_set(&c, "extraction", "", &err), -1);
	free(err);
	config_free(&c);
}
END_TEST

START_TEST(test_strings)
{
	struct config c;
	char *err = NULL, *path;

	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "write_token", "  s3cret token  with spaces\t", &err), 0);
	ck_assert_str_eq(c.write_token, "s3cret token  with spaces");
	ck_assert_int_eq(config_set(&c, "db", "", &err), 0);
	ck_assert_str_eq(c.db, "");
	config_free(&c);

	ck_assert_int_eq(load_text("db = /var/lib/my news/newsd.db  \n"
				   "spool_dir =\n"
				   "[newsd]\n"
				   "log_file =   /var/log/newsd.log\n"
				   "threads=4\n", &c, &path, &err), 0);
	ck_assert_str_eq(c.db, "/var/lib/my news/newsd.db");
	ck_assert_str_eq(c.spool_dir, "");
	ck_assert_str_eq(c.log_file, "/var/log/newsd.log");
	ck_assert_int_eq(c.threads, 4);
	ck_assert_str_eq(c.listen, "127.0.0.1:8088");
	unlink(path);
	free(path);
	config_free(&c);
}
END_TEST

/* Load text, expect failure with exactly the message "<path>:<want>". */
static void expect_load_error(const char *text, const char *want)
{
	struct config c;
	char *err = NULL, *path, *full;

	ck_assert_int_eq(load_text(text, &c, &path, &err), -1);
	full = xasprintf("%s:%s", path, want);
	ck_assert_msg(err && strcmp(err, full) == 0, "got \"%s\", want \"%s\"", err, full);
	unlink(path);
	free(path);
	free(full);
	free(err);
	config_free(&c);
}

START_TEST(test_load_errors)
{
	struct buf b = { 0 };
	struct config c;
	char *err = NULL;
	int i;

	expect_load_error("# comment\nthreads = 2\ncolour = red\n", "3: unknown key 'colour'");
	expect_load_error("threads = 2\n\n[server]\nthreads = 3\n", "4: unknown section [server]");
	expect_load_error("[newsd]\nthreads = 300\n", "2: threads: 300 is out of range 0..256");
	expect_load_error("listen = 127.0.0.1:1\njust words\n",
			  "2: expected 'key = value' or '[newsd]'");
	/* The first error wins, whichever kind it is. */
	expect_load_error("a line\nbad = 1\n", "1: expected 'key = value' or '[newsd]'");
	expect_load_error("bad = 1\na line\n", "1: unknown key 'bad'");

	/* A line too long for inih's buffer is refused rather than split in two. */
	buf_puts(&b, "threads = 1\nwrite_token = ");
	for (i = 0; i < 300; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\n");
	config_defaults(&c);
	{
		char *path = temp_file(b.data);

		ck_assert_int_eq(config_load(&c, path, &err), -1);
		ck_assert_msg(strstr(err, ":2: line too long"), "got \"%s\"", err);
		unlink(path);
		free(path);
	}
	buf_free(&b);

	ck_assert_int_eq(config_load(&c, "/nonexistent/newsd.conf", &err), -1);
	ck_assert_str_eq(err, "/nonexistent/newsd.conf: No such file or directory");
	free(err);
	config_free(&c);
}
END_TEST

/* Under ASan, leaks from replacing strings show up at exit. */
START_TEST(test_no_leak)
{
	struct config c;
	char *err = NULL;
	int i;

	config_defaults(&c);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(config_set(&c, "listen", i % 2 ? "0.0.0.0:80" : "[::1]:8088",
					    &err), 0);
		ck_assert_int_eq(config_set(&c, "stemming", "snowball", &err), -1);
		ck_assert_int_eq(config_set(&c, "log_level", "warn", &err), 0);
	}
	ck_assert_str_eq(c.listen, "0.0.0.0:80");
	ck_assert_int_eq(config_load(&c, CONF_FILE, &err), 0);
	ck_assert_str_eq(c.listen, "127.0.0.1:8088");
	free(err);
	config_free(&c);
	config_free(&c);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_table_sane);
	tcase_add_test(tc, test_file_matches_table);
	tcase_add_test(tc, test_file_comments);
	tcase_add_test(tc, test_file_loads_defaults);
	tcase_add_test(tc, test_set_errors);
	tcase_add_test(tc, test_set_values);
	tcase_add_test(tc, test_booleans);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_no_leak);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
