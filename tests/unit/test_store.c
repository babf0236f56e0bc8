/*
 * test_store — the store, search, entity and timeline modules on a temporary database:
 * schema checks, upsert/delete, alias resolution, lift scoring, timeline buckets, cursors.
 */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "columns.h"
#include "date.h"
#include "entity.h"
#include "ingest.h"
#include "lang.h"
#include "search.h"
#include "store.h"
#include "terms.h"
#include "timeline.h"
#include "util.h"

static char dbpath[64];
static struct store *ws, *rs;
static const char *put_source = "wire";	/* the source put() gives */
static const char *put_lang;			/* and the language (NULL: none given) */

static void setup(void)
{
	struct store_options so = { "porter", 16, 1000, 4.0 };
	char *err = NULL;
	int fd;

	snprintf(dbpath, sizeof(dbpath), "/tmp/newsd-test-store-XXXXXX");
	fd = mkstemp(dbpath);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(dbpath);
	ck_assert_msg(store_open(dbpath, STORE_WRITE, &so, &ws, &err) == 0, "%s", err);
	ck_assert_msg(store_open(dbpath, STORE_READ, &so, &rs, &err) == 0, "%s", err);
}

/* Remove the test database and its WAL files. */
static void teardown_files(void)
{
	char p[96];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

static void teardown(void)
{
	store_close(rs);
	store_close(ws);
	teardown_files();
}

/* Put one article with given entities "type:name|alias,alias;..." */
static void put(const char *id, const char *date, const char *title, const char *body,
		const char *ents)
{
	struct article a;
	char *err = NULL, *copy, *tok, *save = NULL;
	int updated;

	memset(&a, 0, sizeof(a));
	a.id = xstrdup(id);
	a.title = xstrdup(title);
	a.body = xstrdup(body);
	a.source = xstrdup(put_source);
	a.lang = put_lang ? xstrdup(put_lang) : NULL;
	ck_assert(date_parse(date, strlen(date), &a.date, NULL, NULL) == 0);
	copy = xstrdup(ents ? ents : "");
	for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(tok, ':'), *bar;
		struct entity_mention *m;

		*colon = '\0';
		bar = strchr(colon + 1, '|');
		if (bar)
			*bar = '\0';
		m = article_add_entity(&a, (enum entity_type)entity_type_parse(tok), colon + 1, 1);
		if (bar) {
			char *al, *s2 = NULL;

			for (al = strtok_r(bar + 1, ",", &s2); al; al = strtok_r(NULL, ",", &s2))
				entity_mention_add_alias(m, al);
		}
	}
	free(copy);
	ck_assert_msg(store_put_article(ws, &a, &updated, &err) == 0, "%s", err);
	article_clear(&a);
}

/* The stored language of article id is lang. */
static void st_lang(const char *id, const char *lang)
{
	sqlite3_stmt *st = store_stmt(rs, "SELECT lang FROM article WHERE id = ?1", NULL);

	ck_assert(st != NULL);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), lang);
	sqlite3_reset(st);
}

static void commit(void)
{
	int64_t v;
	char *err = NULL;

	ck_assert_msg(store_commit(ws, 1, 0, 0, &v, &err) == 0, "%s", err);
}

static int64_t total_of(const char *q, const char *entity)
{
	struct search_request r;
	struct search_error e = { SEARCH_OK, NULL, -1 };
	const char *ents[1] = { entity };
	json_t *res;
	int64_t t;

	memset(&r, 0, sizeof(r));
	r.q = q;
	r.entities = ents;
	r.nentities = entity ? 1 : 0;
	r.limit = 10;
	r.snippets = 1;
	r.snippet_words = 10;
	res = search_run(rs, &r, &e);
	ck_assert_msg(res != NULL, "%s", e.message);
	t = json_integer_value(json_object_get(res, "total"));
	json_decref(res);
	return t;
}

START_TEST(test_rid_order)
{
	ck_assert_int_eq(store_rid_date(store_rid_min(0)), 0);
	ck_assert_int_eq(store_rid_date(store_rid_max(-1)), -1);
	ck_assert_int_eq(store_rid_date(store_rid_min(-86400)), -86400);
	ck_assert(store_rid_max(5) < store_rid_min(6));
	ck_assert(store_rid_max(-2) < store_rid_min(-1));
}
END_TEST

/* The bulk pipeline's writer commits after each batch; counts them. */
static int pipe_commit(void *ctx)
{
	int64_t v;
	char *err = NULL;

	(*(int *)ctx)++;
	ck_assert_msg(store_commit(ws, 1, 0, 0, &v, &err) == 0, "%s", err);
	ck_assert_msg(store_begin(ws, &err) == 0, "%s", err);
	return 0;
}

/*
 * `newsd index` stores each batch in date order (so FTS5 gets rising rowids and the rid-keyed
 * b-trees are walked in order); a repeated id in a batch is stored once, from its last record,
 * with the counts of storing each in turn. Rows are appended (aid), so within each batch aid
 * order must be rid order.
 */
START_TEST(test_pipe_sorts_batches)
{
	static const char *const dates[] = { "2024-05-03", "2021-01-09", "2025-12-30",
		"2019-07-01", "2023-03-15", "2020-10-10", "2026-02-02", "2022-08-08",
		"2024-01-01", "2019-01-02" };
	struct ingest_options opt = { 0 };
	struct ingest_batch b;
	struct ingest_pipe *p;
	sqlite3_stmt *st;
	int64_t last_rid = 0, prev_batch = -1;
	char *err = NULL;
	int i, ncommits = 0, n = 0;

	ck_assert(store_begin(ws, &err) == 0);
	put("old", "2018-01-01", "an older article", "about tariffs", NULL);
	commit();
	ingest_batch_init(&b, ws, &opt, 0);
	ck_assert_msg(store_begin(ws, &err) == 0, "%s", err);
	p = ingest_pipe_start(&b, 4, pipe_commit, &ncommits);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < 12; i++) {
		struct article a;
		char id[16], title[64];

		memset(&a, 0, sizeof(a));
		/* record 5 repeats id a1 (same batch as a1: records 4..7), record 11 repeats
		 * "old" (a row from before) */
		snprintf(id, sizeof(id), "a%d", i == 5 ? 1 : i);
		snprintf(title, sizeof(title), "pipeline article %d", i);
		a.id = xstrdup(i == 11 ? "old" : id);
		a.title = xstrdup(title);
		a.body = xstrdup("wheat and corn");
		ck_assert(date_parse(dates[i % 10], strlen(dates[i % 10]), &a.date, NULL, NULL) == 0);
		ck_assert_int_eq(ingest_pipe_push(p, &a), 0);
	}
	ck_assert_int_eq(ingest_pipe_finish(p), 0);
	store_rollback(ws);
	ck_assert_int_eq(ncommits, 3);
	/* a1 twice in one batch: 1 new + 1 update; old: an update; 9 other new */
	ck_assert_int_eq(b.accepted, 10);
	ck_assert_int_eq(b.updated, 2);
	ingest_batch_free(&b);
	ck_assert_int_eq(store_article_count(rs), 11);
	ck_assert_int_eq(total_of("pipeline", NULL), 11);
	ck_assert_int_eq(total_of("\"pipeline article 1\"", NULL), 0);
	ck_assert_int_eq(total_of("\"pipeline article 5\"", NULL), 1);
	ck_assert_int_eq(total_of("\"pipeline article 11\"", NULL), 1);
	ck_assert_int_eq(total_of("tariffs", NULL), 0);
	/* within each batch (version), rows were appended in rid order */
	st = store_stmt(rs, "SELECT version, rid FROM article WHERE id != 'old' ORDER BY aid",
			&err);
	ck_assert_msg(st != NULL, "%s", err);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(st, 0), rid = sqlite3_column_int64(st, 1);

		if (v == prev_batch)
			ck_assert_msg(rid > last_rid, "batch %lld not stored in date order",
				      (long long)v);
		prev_batch = v;
		last_rid = rid;
		n++;
	}
	sqlite3_reset(st);
	ck_assert_int_eq(n, 10);
}
END_TEST

/*
 * A schema-1 file (article_entity, as newsd wrote it before) is upgraded when opened for
 * writing: each article's entities move to article.ents and the counts to entity.n, and the
 * file passes newsd check. Opened read-only first, it is refused with a readable message.
 */
START_TEST(test_upgrade_v1)
{
	static const char *const v1 =
		"PRAGMA application_id = 1852143475;"
		"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
		"INSERT INTO meta VALUES ('schema_version', 1), ('stemming', 'porter');"
		"CREATE TABLE source(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
		"INSERT INTO source VALUES (1, 'wire');"
		"CREATE TABLE article(rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
		" date INTEGER NOT NULL, source_id INTEGER REFERENCES source(id),"
		" title TEXT NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT '', tags TEXT NOT NULL,"
		" url TEXT, lang TEXT, authors TEXT, extra TEXT, ingested_at INTEGER NOT NULL,"
		" version INTEGER NOT NULL, simhash INTEGER, dup_of INTEGER);"
		"CREATE TABLE entity(id INTEGER PRIMARY KEY, type INTEGER NOT NULL, name TEXT NOT NULL,"
		" norm TEXT NOT NULL, UNIQUE(type, norm));"
		"CREATE TABLE entity_alias(norm TEXT NOT NULL, entity_id INTEGER NOT NULL,"
		" alias TEXT NOT NULL, PRIMARY KEY(norm, entity_id)) WITHOUT ROWID;"
		"CREATE INDEX entity_alias_entity ON entity_alias(entity_id);"
		"CREATE TABLE article_entity(rid INTEGER NOT NULL, entity_id INTEGER NOT NULL,"
		" given INTEGER NOT NULL, mentions INTEGER NOT NULL, PRIMARY KEY(rid, entity_id))"
		" WITHOUT ROWID;"
		"CREATE INDEX article_entity_entity ON article_entity(entity_id, rid);"
		"CREATE TABLE version(v INTEGER PRIMARY KEY, committed_at INTEGER NOT NULL,"
		" added INTEGER NOT NULL, updated INTEGER NOT NULL, removed INTEGER NOT NULL);"
		"CREATE TABLE day_count(day INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
		"CREATE VIRTUAL TABLE fts USING fts5(title, body, tags, content='article',"
		" content_rowid='rid', tokenize='porter unicode61 remove_diacritics 2');"
		"INSERT INTO entity VALUES (1, 2, 'Japan', 'japan'), (2, 1, 'OPEC', 'opec'),"
		" (3, 0, 'Ali Naimi', 'ali naimi');"
		"INSERT INTO entity_alias VALUES ('japan', 1, 'Japan'), ('opec', 2, 'OPEC'),"
		" ('ali naimi', 3, 'Ali Naimi'), ('naimi', 3, 'Naimi');"
		"INSERT INTO version VALUES (1, 0, 3, 0, 0);"
		"INSERT INTO article(rid, id, date, source_id, title, body, tags, ingested_at, version)"
		" VALUES (1783142400 * 1048576, 'x1', 1783142400, 1, 'Oil in Japan', 'OPEC met',"
		" '0a 0s1 0e1 0e2', 0, 1), (1783228800 * 1048576, 'x2', 1783228800, 1, 'OPEC talks',"
		" 'Naimi said', '0a 0s1 0e2 0e3', 0, 1), (1783315200 * 1048576, 'x3', 1783315200, 1,"
		" 'Rice', 'no names', '0a 0s1', 0, 1);"
		"INSERT INTO article_entity VALUES (1783142400 * 1048576, 1, 0, 2),"
		" (1783142400 * 1048576, 2, 1, 1), (1783228800 * 1048576, 2, 0, 3),"
		" (1783228800 * 1048576, 3, 0, 1);"
		"INSERT INTO day_count SELECT (rid >> 20) / 86400, count(*) FROM article GROUP BY 1;"
		"INSERT INTO fts(fts) VALUES ('rebuild');";
	struct store_options so = { "porter", 16, 1000, 4.0 };
	struct store *w = NULL, *r = NULL;
	char path[64], *err = NULL, *report = NULL;
	sqlite3 *db;
	sqlite3_stmt *st;
	int fd;

	snprintf(path, sizeof(path), "/tmp/newsd-test-v1-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, v1, NULL, NULL, &err) == SQLITE_OK, "%s", err);
	sqlite3_close(db);
	ck_assert_int_eq(store_open(path, STORE_READ, &so, &r, &err), -1);
	ck_assert_msg(strstr(err, "older newsd") && strstr(err, "newsd serve"), "%s", err);
	free(err);
	err = NULL;
	ck_assert_msg(store_open(path, STORE_WRITE, &so, &w, &err) == 0, "%s", err);
	ck_assert_msg(store_open(path, STORE_READ, &so, &r, &err) == 0, "%s", err);
	st = store_stmt(r, "SELECT (SELECT value FROM meta WHERE key = 'schema_version'),"
			" (SELECT ents FROM article WHERE id = 'x1'), (SELECT ents FROM article"
			" WHERE id = 'x3'), (SELECT group_concat(n, ',') FROM (SELECT n FROM entity"
			" ORDER BY id)), (SELECT count(*) FROM sqlite_schema"
			" WHERE name = 'article_entity')", &err);
	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	/* upgraded to 3: schema 4 differs only in new files (bodies compressed, zbody.h) */
	ck_assert_int_eq(sqlite3_column_int(st, 0), 3);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), "[[1,2,0],[2,1,1]]");
	ck_assert_int_eq(sqlite3_column_type(st, 2), SQLITE_NULL);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 3), "1,2,1");
	ck_assert_int_eq(sqlite3_column_int(st, 4), 0);
	sqlite3_reset(st);
	ck_assert_msg(store_check(w, &report) == 0, "%s", report);
	free(report);
	/* entity queries and writes work on the upgraded file */
	store_close(rs);
	rs = r;
	ck_assert_int_eq(total_of(NULL, "Naimi"), 1);
	ck_assert_int_eq(total_of("opec", "opec"), 2);
	store_close(ws);
	ws = w;
	teardown_files();
	strcpy(dbpath, path);	/* the teardown removes the upgraded file */
	ck_assert(store_begin(ws, &err) == 0);
	put("x2", "2026-07-05", "OPEC talks", "no one", "org:OPEC");
	commit();
	ck_assert_msg(store_check(ws, &report) == 0, "%s", report);
	free(report);
	ck_assert_int_eq(total_of(NULL, "Naimi"), 0);
	/* schema 3: articles per language counted; the index stays English-stemmed (porter),
	 * so /search refuses a language filter with a readable message */
	ck_assert_int_eq(store_multilang(ws), 0);
	st = store_stmt(rs, "SELECT group_concat(lang || ':' || n) FROM lang_count", &err);
	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "en:3");
	sqlite3_reset(st);
	ck_assert_int_eq(total_of("talk", NULL), 1);
	{
		static const char *const langs[] = { "de" };
		struct search_request sr;
		struct search_plan p;
		struct search_error e = { SEARCH_OK, NULL, -1 };

		memset(&sr, 0, sizeof(sr));
		sr.langs = langs;
		sr.nlangs = 1;
		ck_assert_int_eq(search_plan_build(rs, &sr, &p, &e), -1);
		ck_assert_int_eq(e.code, SEARCH_BAD_PARAMETER);
		ck_assert_msg(strstr(e.message, "indexed again"), "%s", e.message);
		search_error_clear(&e);
	}
}
END_TEST

/*
 * Word counts in an article's language: a German article's "Wahlen" is counted as "wahl"; a
 * query word is looked up in term_df when its query languages give it one stem, and left to
 * a scan (NAN) when they give several (English "wahlen", German "wahl").
 */
START_TEST(test_word_counts_per_language)
{
	char *err = NULL;
	double df[4];
	int n;

	ck_assert(store_begin(ws, &err) == 0);
	put("de1", "2026-01-07", "Die Wahlen in Bayern", "Die Wahlen sind nicht entschieden, und "
	    "die Parteien warten auf das Ergebnis aus den Städten und aus Berlin.", NULL);
	commit();
	st_lang("de1", "de");
	store_use_langs(rs, lang_bit("de"));
	n = terms_phrase_df(store_terms(rs), "{title body} : \"wahlen\"", df, 4);
	ck_assert_int_eq(n, 1);
	ck_assert(df[0] == 1.0);
	store_use_langs(rs, lang_bit("de") | lang_bit("en"));
	n = terms_phrase_df(store_terms(rs), "{title body} : \"wahlen\"", df, 4);
	ck_assert_int_eq(n, 1);
	ck_assert(isnan(df[0]));
	/* a word both languages stem alike has its count */
	n = terms_phrase_df(store_terms(rs), "{title body} : \"berlin\"", df, 4);
	ck_assert(n == 1 && df[0] == 1.0);
	store_use_langs(rs, 0);
}
END_TEST

/*
 * The languages a query is stemmed in without lang=: those with 1,000 articles or 1 % of them.
 * One German article among 150 is below both: "warning" is one English stem, "warn", with its
 * count; two of them among 151 pass 1 %: two stems (German keeps "warning"), no single count.
 */
START_TEST(test_rare_language_not_in_query_stems)
{
	char *err = NULL, id[16];
	double df[2];
	int i;

	ck_assert(store_begin(ws, &err) == 0);
	put_lang = "en";
	for (i = 0; i < 149; i++) {
		snprintf(id, sizeof(id), "en%d", i);
		put(id, "2026-01-07", "Storm warning", "Heavy snow fell on the city overnight.", NULL);
	}
	put_lang = "de";
	put("de1", "2026-01-07", "Die Wahlen in Bayern", "Die Wahlen sind nicht entschieden.",
	    NULL);
	put_lang = NULL;
	commit();
	ck_assert(store_lang_mask(rs) == lang_bit("en"));
	store_use_langs(rs, 0);
	ck_assert_int_eq(terms_phrase_df(store_terms(rs), "{title body} : \"warning\"", df, 2), 1);
	ck_assert_msg(df[0] == 149.0, "one German article of 150 made 'warning' a synonym set");
	/* named, it is stemmed its way: the German article is found by "Wahl" */
	store_use_langs(rs, lang_bit("de"));
	ck_assert_int_eq(terms_phrase_df(store_terms(rs), "{title body} : \"wahl\"", df, 2), 1);
	ck_assert(df[0] == 1.0);
	ck_assert(store_begin(ws, &err) == 0);
	put_lang = "de";
	put("de2", "2026-01-08", "Wahlen in Hessen", "Die Wahlen kommen.", NULL);
	put_lang = NULL;
	commit();
	ck_assert(store_lang_mask(rs) == (lang_bit("en") | lang_bit("de")));
	store_use_langs(rs, 0);
	ck_assert_int_eq(terms_phrase_df(store_terms(rs), "{title body} : \"warning\"", df, 2), 1);
	ck_assert(isnan(df[0]));	/* "warn" (English) or "warning" (German) */
	store_use_langs(rs, 0);
}
END_TEST

START_TEST(test_upsert_delete)
{
	char *err = NULL;
	int found;

	ck_assert(store_begin(ws, &err) == 0);
	put("a", "2026-01-07", "Raid in Minneapolis", "Agents raided homes", NULL);
	commit();
	ck_assert_int_eq(total_of("raid", NULL), 1);
	ck_assert(store_begin(ws, &err) == 0);
	put("a", "2026-01-08", "Storm in Chicago", "Snow fell", NULL);
	commit();
	ck_assert_int_eq(total_of("raid", NULL), 0);
	ck_assert_int_eq(total_of("storm", NULL), 1);
	ck_assert_int_eq(store_article_count(rs), 1);
	ck_assert(store_begin(ws, &err) == 0);
	ck_assert(store_delete_article(ws, "a", &found, &err) == 0 && found == 1);
	ck_assert(store_delete_article(ws, "a", &found, &err) == 0 && found == 0);
	commit();
	ck_assert_int_eq(store_article_count(rs), 0);
	ck_assert_int_eq(store_index_version(rs), 3);
}
END_TEST

/* Schema 4 stores long bodies compressed (zbody.h): every reader gets the text, and FTS5's
 * snippets, replacement and integrity check read it through the view. */
static const char long_body[] =
	"The central bank raised its benchmark lending rate by half a point on Tuesday, the third "
	"increase this year, saying inflation had stayed above its target for eleven months. The "
	"governor told reporters the board would act again if consumer prices kept rising.";

static const char *snippet_of(const char *q)
{
	static char text[512];
	struct search_request r;
	struct search_error e = { SEARCH_OK, NULL, -1 };
	json_t *res, *sn;

	memset(&r, 0, sizeof(r));
	r.q = q;
	r.limit = 1;
	r.snippets = 1;
	r.snippet_words = 12;
	res = search_run(rs, &r, &e);
	ck_assert_msg(res != NULL, "%s", e.message);
	sn = json_array_get(json_object_get(json_array_get(json_object_get(res, "hits"), 0),
					    "snippets"), 0);
	ck_assert_msg(json_is_string(sn), "%s: no snippet", q);
	snprintf(text, sizeof(text), "%s", json_string_value(sn));
	json_decref(res);
	return text;
}

START_TEST(test_compressed_bodies)
{
	char *err = NULL, *report = NULL;
	sqlite3_stmt *st;

	ck_assert(store_begin(ws, &err) == 0);
	put("z1", "2026-01-07", "Rates up", long_body, NULL);
	put("z2", "2026-01-07", "Short", "Oil rose.", NULL);
	commit();
	st = store_stmt(rs, "SELECT typeof(body), length(body) < length(newsd_text(body)),"
			" newsd_text(body) FROM article WHERE id = ?1", &err);
	ck_assert_msg(st != NULL, "%s", err);
	sqlite3_bind_text(st, 1, "z1", -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "blob");
	ck_assert_int_eq(sqlite3_column_int(st, 1), 1);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 2), long_body);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "z2", -1, SQLITE_STATIC);	/* short: as it is */
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "text");
	sqlite3_reset(st);
	ck_assert_int_eq(total_of("inflation", NULL), 1);
	ck_assert_ptr_nonnull(strstr(snippet_of("inflation"), "<mark>inflation</mark> had stayed"));
	/* replaced: FTS5 is given the old text to remove, and the new one */
	ck_assert(store_begin(ws, &err) == 0);
	put("z1", "2026-01-07", "Rates up", "Governor Ostrova said the board would wait and see "
	    "how wages and consumer prices moved before it changed the lending rate again.", NULL);
	commit();
	ck_assert_int_eq(total_of("inflation", NULL), 0);
	ck_assert_int_eq(total_of("wages", NULL), 1);
	ck_assert_ptr_nonnull(strstr(snippet_of("wages"), "<mark>wages</mark> and consumer"));
	ck_assert_msg(store_check(ws, &report) == 0, "%s", report);
	free(report);
}
END_TEST

START_TEST(test_alias_resolution)
{
	char *err = NULL;

	ck_assert(store_begin(ws, &err) == 0);
	/* the acronym alone first: its own entity */
	put("1", "2026-01-01", "ICE raid", "ICE agents", "org:ICE");
	/* then spelled out with the acronym as alias */
	put("2", "2026-01-02", "Agency", "Immigration and Customs Enforcement agents",
	    "org:Immigration and Customs Enforcement|ICE");
	put("3", "2026-01-03", "Later", "ICE again", "org:ICE");
	commit();
	ck_assert_int_eq(total_of(NULL, "ICE"), 3);
	ck_assert_int_eq(total_of(NULL, "Immigration and Customs Enforcement"), 3);
	ck_assert_int_eq(total_of(NULL, "immigration and customs enforcement"), 3);
	ck_assert_int_eq(total_of(NULL, "DHS"), 0);
}
END_TEST

/* A job rolled back to its savepoint takes the entities it added with it; the next job of
 * the same transaction that names them must add them again, not reuse the gone ids. */
static int64_t int_of(struct store *s, const char *sql);

START_TEST(test_entity_after_rolled_back_job)
{
	char *err = NULL, *report = NULL;
	sqlite3 *db = store_db(ws);

	ck_assert(store_begin(ws, &err) == 0);
	ck_assert_int_eq(sqlite3_exec(db, "SAVEPOINT job", NULL, NULL, NULL), SQLITE_OK);
	put("r1", "2026-01-01", "Zorblax", "Zorblax Industries grew", "org:Zorblax Industries|ZBX");
	store_job_discard(ws);
	ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK TO job; RELEASE job", NULL, NULL, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "SAVEPOINT job", NULL, NULL, NULL), SQLITE_OK);
	put("r2", "2026-01-02", "Zorblax again", "Zorblax Industries fell",
	    "org:Zorblax Industries|ZBX");
	ck_assert_msg(store_job_flush(ws, &err) == 0, "%s", err);
	ck_assert_int_eq(sqlite3_exec(db, "RELEASE job", NULL, NULL, NULL), SQLITE_OK);
	commit();
	ck_assert_int_eq(total_of(NULL, "Zorblax Industries"), 1);
	ck_assert_int_eq(total_of(NULL, "ZBX"), 1);
	ck_assert_int_eq(int_of(rs, "SELECT count(*) FROM entity WHERE norm LIKE '%zorblax%'"), 1);
	ck_assert_int_eq(int_of(rs, "SELECT count(*) FROM entity_alias a JOIN entity e"
				" ON e.id = a.entity_id WHERE e.norm LIKE '%zorblax%'"), 2);
	ck_assert_msg(store_check(ws, &report) == 0, "%s", report);
	free(report);
}
END_TEST

START_TEST(test_lift)
{
	struct search_error e = { SEARCH_OK, NULL, -1 };
	char *err = NULL;
	int64_t id;
	json_t *card, *rel, *first;
	int i;

	ck_assert(store_begin(ws, &err) == 0);
	/* N = 10; A in 4, B in 2 (both with A), C in 8 (3 with A) */
	for (i = 0; i < 10; i++) {
		char id_[16], ents[128];

		snprintf(id_, sizeof(id_), "d%d", i);
		snprintf(ents, sizeof(ents), "%s%s%s", i < 4 ? "person:Alpha;" : "",
			 i < 2 ? "org:Beta;" : "", i >= 1 && i < 9 ? "place:Gamma;" : "");
		put(id_, "2026-02-01", "t", "body text", ents);
	}
	commit();
	card = entity_info(rs, "alpha", -1, &id, &e);
	ck_assert(card != NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(card, "count")), 4);
	rel = entity_related(rs, id, INT64_MIN, INT64_MAX, -1, 10, 2, &e);
	ck_assert(rel != NULL);
	ck_assert_int_eq(json_array_size(rel), 2);
	first = json_array_get(rel, 0);
	/* Beta: count 2, lift 2*10/(4*2) = 2.5; Gamma: count 3, lift 3*10/(4*8) = 0.9375 */
	ck_assert_str_eq(json_string_value(json_object_get(first, "name")), "Beta");
	ck_assert_int_eq(json_integer_value(json_object_get(first, "count")), 2);
	ck_assert_double_eq_tol(json_real_value(json_object_get(first, "score")), 2.5, 1e-9);
	ck_assert_double_eq_tol(json_real_value(json_object_get(json_array_get(rel, 1), "score")),
				0.9375, 1e-4);
	json_decref(card);
	json_decref(rel);
}
END_TEST

START_TEST(test_timeline_weeks)
{
	struct search_request r;
	struct search_plan p;
	struct search_error e = { SEARCH_OK, NULL, -1 };
	char *err = NULL;
	json_t *t, *b;
	int64_t from, to;

	ck_assert(store_begin(ws, &err) == 0);
	put("w1", "2026-01-04T23:00:00Z", "oil", "x", NULL);	/* Sunday: week of Dec 29 */
	put("w2", "2026-01-05T01:00:00Z", "oil", "x", NULL);	/* Monday */
	put("w3", "2026-01-06", "gas", "x", NULL);
	put("w4", "2026-01-20", "oil", "x", NULL);
	commit();
	memset(&r, 0, sizeof(r));
	r.q = "oil";
	ck_assert(search_plan_build(rs, &r, &p, &e) == 0);
	date_parse("2026-01-01", 10, &from, NULL, NULL);
	date_parse("2026-01-25", 10, &to, NULL, NULL);
	t = timeline_run(rs, &p, 1, from, 1, to + 86399, INTERVAL_WEEK, 1, &e);
	ck_assert(t != NULL);
	b = json_object_get(t, "buckets");
	ck_assert_int_eq(json_array_size(b), 4);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(b, 0), "start")),
			 "2025-12-29");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(b, 0), "count")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(b, 1), "count")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(b, 1), "total")), 2);
	ck_assert_double_eq_tol(json_real_value(json_object_get(json_array_get(b, 1), "ratio")),
				0.5, 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(b, 2), "count")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(b, 3), "count")), 1);
	json_decref(t);
	t = timeline_run(rs, &p, 0, 0, 0, 0, INTERVAL_MONTH, 1, &e);
	ck_assert_int_eq(json_array_size(json_object_get(t, "buckets")), 1);
	json_decref(t);
	search_plan_free(&p);
}
END_TEST

START_TEST(test_cursor_paging)
{
	struct search_request r;
	struct search_error e = { SEARCH_OK, NULL, -1 };
	char *err = NULL, *cursor = NULL;
	int i, seen = 0, pages = 0;

	ck_assert(store_begin(ws, &err) == 0);
	for (i = 0; i < 25; i++) {
		char id[16], body[64];

		snprintf(id, sizeof(id), "c%02d", i);
		snprintf(body, sizeof(body), "oil %s", i % 3 ? "oil oil" : "gas");
		put(id, i % 2 ? "2026-03-01" : "2026-03-02", "news", body, NULL);
	}
	commit();
	do {
		json_t *res;
		const char *nc;

		memset(&r, 0, sizeof(r));
		r.q = "oil";
		r.limit = 7;
		r.snippets = 0;
		r.snippet_words = 5;
		r.cursor = cursor;
		res = search_run(rs, &r, &e);
		ck_assert_msg(res != NULL, "%s", e.message);
		ck_assert_int_eq(json_integer_value(json_object_get(res, "total")), 25);
		seen += (int)json_array_size(json_object_get(res, "hits"));
		nc = json_string_value(json_object_get(res, "next_cursor"));
		free(cursor);
		cursor = nc ? xstrdup(nc) : NULL;
		json_decref(res);
		pages++;
	} while (cursor && pages < 10);
	ck_assert_int_eq(seen, 25);
	ck_assert_int_eq(pages, 4);
	/* a cursor replayed with another query is refused */
	memset(&r, 0, sizeof(r));
	r.q = "oil";
	r.limit = 7;
	{
		json_t *res = search_run(rs, &r, &e);

		cursor = xstrdup(json_string_value(json_object_get(res, "next_cursor")));
		json_decref(res);
	}
	r.q = "gas";
	r.cursor = cursor;
	ck_assert(search_run(rs, &r, &e) == NULL);
	ck_assert_int_eq(e.code, SEARCH_BAD_PARAMETER);
	search_error_clear(&e);
	free(cursor);
}
END_TEST

/* Long enough for a wire-copy signature; variant k differs in one word, so all are copies. */
static void story(char *out, size_t cap, int k)
{
	snprintf(out, cap, "The central bank of Freedonia raised its benchmark lending rate by "
		 "half a point on Tuesday, the third increase this year, saying inflation had "
		 "stayed above its target for eleven months. Governor Maria Ostrova told reporters "
		 "the board would act again if consumer prices kept rising faster than wages. "
		 "Economists had expected a smaller move, variant %d. Bond yields climbed and the "
		 "currency gained against the dollar in early trading in the capital.", k);
}

/* Articles tagged as copies in the FTS index, and article rows that are copies: equal. */
static void assert_copies_tagged(int64_t expect)
{
	sqlite3 *db = store_db(rs);
	sqlite3_stmt *st;
	int64_t tagged, rows;
	char *report = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM fts WHERE fts MATCH"
					    " '{tags}: \"0d\"'), (SELECT count(*) FROM article"
					    " WHERE dup_of IS NOT NULL)", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	tagged = sqlite3_column_int64(st, 0);
	rows = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	ck_assert_int_eq(tagged, rows);
	ck_assert_int_eq(rows, expect);
	ck_assert_msg(store_check(ws, &report) == 0, "%s", report);
	free(report);
}

/*
 * Re-tags are written to the FTS index at the end of the job or batch (store.c, retag): an
 * older copy arriving late demotes the root, an update or delete of a row whose re-tag is
 * pending, a row demoted then promoted back, a job rolled back. The FTS rows must end up
 * holding each article's tags (the FTS5 integrity check with content compares them).
 */
START_TEST(test_retag_pending)
{
	char text[1024], *err = NULL;
	int found;

	ck_assert_int_eq(store_set_dedup(ws, 1), 0);
	ck_assert(store_begin(ws, &err) == 0);
	story(text, sizeof(text), 1);
	put("c5", "2026-01-05", "Rates", text, NULL);
	story(text, sizeof(text), 2);
	put("c7", "2026-01-07", "Rates again", text, NULL);
	story(text, sizeof(text), 3);
	put("c3", "2026-01-03", "Rates first", text, NULL);	/* c5 demoted: re-tag pending */
	story(text, sizeof(text), 4);
	put("c5", "2026-01-05", "Rates, updated", text, NULL);	/* its row replaced meanwhile */
	commit();
	assert_copies_tagged(2);

	/* the root goes (c5 promoted), then comes back (c5 demoted again): tags as indexed */
	ck_assert(store_begin(ws, &err) == 0);
	ck_assert(store_delete_article(ws, "c3", &found, &err) == 0 && found == 1);
	story(text, sizeof(text), 3);
	put("c3", "2026-01-03", "Rates first", text, NULL);
	commit();
	assert_copies_tagged(2);

	/* a job that demotes a root and is rolled back leaves nothing behind */
	ck_assert(store_begin(ws, &err) == 0);
	ck_assert_int_eq(sqlite3_exec(store_db(ws), "SAVEPOINT job", NULL, NULL, NULL), SQLITE_OK);
	story(text, sizeof(text), 5);
	put("c1", "2026-01-01", "Rates, earliest", text, NULL);
	store_job_discard(ws);
	ck_assert_int_eq(sqlite3_exec(store_db(ws), "ROLLBACK TO job; RELEASE job", NULL, NULL,
				      NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(store_db(ws), "SAVEPOINT job", NULL, NULL, NULL), SQLITE_OK);
	story(text, sizeof(text), 6);
	put("c9", "2026-01-09", "Rates, latest", text, NULL);
	ck_assert_msg(store_job_flush(ws, &err) == 0, "%s", err);
	ck_assert_int_eq(sqlite3_exec(store_db(ws), "RELEASE job", NULL, NULL, NULL), SQLITE_OK);
	commit();
	assert_copies_tagged(3);
	ck_assert_int_eq(total_of("freedonia", NULL), 4);
}
END_TEST

/* The JSON of a search, without its timing. */
static char *search_text(const char *q, enum search_sort sort, int sort_given, int offset,
			 const char *cursor, unsigned facets, int64_t from, int64_t to)
{
	struct search_request r;
	struct search_error e = { SEARCH_OK, NULL, -1 };
	json_t *res;
	char *out;

	memset(&r, 0, sizeof(r));
	r.q = q;
	r.sort = sort;
	r.sort_given = sort_given;
	r.limit = 7;
	r.offset = offset;
	r.cursor = cursor;
	r.snippets = 1;
	r.snippet_words = 8;
	r.facets = facets;
	r.has_from = from != 0;
	r.from = from;
	r.has_to = to != 0;
	r.to = to;
	res = search_run(rs, &r, &e);
	ck_assert_msg(res != NULL, "%s: %s", q, e.message);
	json_object_del(res, "took_ms");
	out = json_dumps(res, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(res);
	return out;
}

/*
 * A broad search runs on two threads, split at a date (search.c): every answer (totals, hits in
 * order with their ranks, cursors, facets) must be the one a single thread gives, for single
 * phrases (deferred IDF), several, exclusions, date ranges, date sorts, pages and cursors.
 */
START_TEST(test_two_thread_search)
{
	static const char *const words[] = { "oil", "bank", "trade", "gold", "rates", "crop",
					      "strike", "port", "coffee", "steel", "talks", "loan" };
	static const char *const queries[] = { "oil", "bank", "oil bank", "oil OR gold",
					       "bank NOT trade", "\"gold rates\"", "st*",
					       "coffee OR steel OR loan", "talks AND port", "zzz",
					       "" /* filters only: newest first */ };
	struct store_options so = { "porter", 16, 1000, 4.0 };
	struct search_peer *peer;
	char *err = NULL, title[64], body[512], date[32], id[16];
	uint32_t x = 12345;
	int i, j, w;
	size_t qi;
	int64_t from, to;

	ck_assert(store_begin(ws, &err) == 0);
	for (i = 0; i < 600; i++) {
		size_t len = 0;

		for (w = 0; w < 40; w++) {
			x = x * 1664525u + 1013904223u;
			len += (size_t)snprintf(body + len, sizeof(body) - len, "%s ",
						words[(x >> 24) % 12]);
		}
		x = x * 1664525u + 1013904223u;
		snprintf(title, sizeof(title), "%s %s", words[(x >> 20) % 12], words[(x >> 8) % 12]);
		snprintf(date, sizeof(date), "2026-%02d-%02dT%02d:00:00Z", 1 + (i / 7) % 12,
			 1 + i % 28, i % 24);
		snprintf(id, sizeof(id), "g%d", i);
		put(id, date, title, body, NULL);
	}
	commit();
	ck_assert_msg((peer = search_peer_start(dbpath, &so, &err)) != NULL, "%s", err);
	ck_assert(date_parse("2026-03-01", 10, &from, NULL, NULL) == 0);
	ck_assert(date_parse("2026-09-30", 10, &to, NULL, NULL) == 0);
	search_set_split_min(10);
	for (qi = 0; qi < sizeof(queries) / sizeof(*queries); qi++)
		for (j = 0; j < 8; j++) {
			enum search_sort sort = j % 4 == 1 ? SORT_NEWEST : j % 4 == 2 ?
						SORT_OLDEST : SORT_RELEVANCE;
			int64_t f = j >= 4 ? from : 0, t = j >= 4 ? to : 0;
			unsigned facets = j % 2 ? SEARCH_FACET_SOURCES | SEARCH_FACET_ENTITIES |
					  SEARCH_FACET_DATES : 0;
			char *one, *two, *c1 = NULL, *c2 = NULL;
			json_t *page;

			search_peer_attach(NULL);
			one = search_text(queries[qi], sort, j % 4 != 0, j % 4 == 3 ? 3 : 0, NULL,
					  facets, f, t);
			search_peer_attach(peer);
			/* inside the caller's read transaction too (the HTTP layer opens one) */
			if (j % 2)
				ck_assert_int_eq(sqlite3_exec(store_db(rs), "BEGIN", NULL, NULL,
							      NULL), SQLITE_OK);
			two = search_text(queries[qi], sort, j % 4 != 0, j % 4 == 3 ? 3 : 0, NULL,
					  facets, f, t);
			if (j % 2)
				ck_assert_int_eq(sqlite3_exec(store_db(rs), "COMMIT", NULL, NULL,
							      NULL), SQLITE_OK);
			ck_assert_msg(strcmp(one, two) == 0, "%s (%d):\n%.300s\n%.300s", queries[qi], j,
				      one, two);
			/* the next page through the cursor */
			page = json_loads(one, 0, NULL);
			if (json_is_string(json_object_get(page, "next_cursor"))) {
				const char *cur = json_string_value(json_object_get(page,
										  "next_cursor"));

				search_peer_attach(NULL);
				c1 = search_text(queries[qi], sort, j % 4 != 0, 0, cur, 0, f, t);
				search_peer_attach(peer);
				c2 = search_text(queries[qi], sort, j % 4 != 0, 0, cur, 0, f, t);
				ck_assert_msg(strcmp(c1, c2) == 0, "%s (%d) page 2", queries[qi], j);
			}
			json_decref(page);
			free(one);
			free(two);
			free(c1);
			free(c2);
		}
	search_peer_attach(NULL);
	search_set_split_min(50000);
	search_peer_stop(peer);
}
END_TEST

/* Everything that counts sources or entities over a result set, as one JSON text read on s:
 * the three facets of a few searches, /entities of a query, and the related entities. */
static char *counts_text(struct store *s)
{
	static const char *const queries[] = { "oil", "bank", "oil OR bank", "" };
	static const struct {
		const char *ents[3], *srcs[3], *from, *to;
		enum search_sort sort;
		int offset;
	} filters[] = {
		{ { "alpha" }, { NULL }, NULL, NULL, SORT_NEWEST, 0 },
		{ { "alpha", "gamma" }, { NULL }, "2026-03-01", "2026-08-31", SORT_NEWEST, 1 },
		{ { NULL }, { "Gazette" }, NULL, "2026-10-31", SORT_OLDEST, 0 },
		{ { "beta" }, { "Gazette", "Courier" }, "2026-02-01", NULL, SORT_NEWEST, 0 },
		{ { NULL }, { NULL }, "2026-02-01", "2026-02-28", SORT_NEWEST, 2 },
		{ { "epsilon" }, { NULL }, "2026-03-01T05:00:00Z", "2026-11-30", SORT_OLDEST, 0 },
		{ { "delta" }, { "wire" }, NULL, NULL, SORT_OLDEST, 0 },
	};
	struct search_error e = { SEARCH_OK, NULL, -1 };
	struct entity_filter f = { -1, NULL, 50 };
	json_t *all = json_array(), *res;
	struct search_request r;
	struct search_plan plan;
	int64_t id;
	size_t i;
	char *out;

	for (i = 0; i < sizeof(queries) / sizeof(*queries); i++) {
		memset(&r, 0, sizeof(r));
		r.q = queries[i];
		r.limit = 3;
		r.facets = SEARCH_FACET_ENTITIES | SEARCH_FACET_SOURCES | SEARCH_FACET_DATES |
			   SEARCH_FACET_LANGS;
		res = search_run(s, &r, &e);
		ck_assert_msg(res != NULL, "%s", e.message);
		json_array_append(all, json_object_get(res, "facets"));
		json_array_append(all, json_object_get(res, "total"));
		json_decref(res);
		if (!queries[i][0])
			continue;
		ck_assert(search_plan_build(s, &r, &plan, &e) == 0);
		res = entity_top(s, &plan, 0, &f, &e);
		ck_assert_msg(res != NULL, "%s", e.message);
		json_array_append_new(all, res);
		search_plan_free(&plan);
	}
	/* searches of filters only: by date, from the columns when they can answer */
	for (i = 0; i < sizeof(filters) / sizeof(*filters); i++) {
		const char *cursor = NULL;
		json_t *page = NULL;
		int pg;

		for (pg = 0; pg < 2; pg++) {
			memset(&r, 0, sizeof(r));
			r.entities = filters[i].ents;
			r.nentities = filters[i].ents[0] ? (filters[i].ents[1] ? 2 : 1) : 0;
			r.sources = filters[i].srcs;
			r.nsources = filters[i].srcs[0] ? (filters[i].srcs[1] ? 2 : 1) : 0;
			r.sort = filters[i].sort;
			r.sort_given = 1;
			r.limit = 4;
			r.offset = pg ? 0 : filters[i].offset;
			r.cursor = cursor;
			r.snippets = 0;
			if (filters[i].from) {
				r.has_from = 1;
				ck_assert(date_parse(filters[i].from, strlen(filters[i].from), &r.from,
						     NULL, NULL) == 0);
			}
			if (filters[i].to) {
				int day = 0;

				r.has_to = 1;
				ck_assert(date_parse(filters[i].to, strlen(filters[i].to), &r.to,
						     &day, NULL) == 0);
				if (day)
					r.to += 86399;	/* a day given as `to` is inclusive (api.c) */
			}
			res = search_run(s, &r, &e);
			ck_assert_msg(res != NULL, "%s", e.message);
			json_object_del(res, "took_ms");
			json_decref(page);
			page = res;
			json_array_append(all, res);
			cursor = json_string_value(json_object_get(res, "next_cursor"));
			if (cursor == NULL)
				break;
		}
		json_decref(page);
	}
	res = entity_info(s, "alpha", -1, &id, &e);
	ck_assert(res != NULL);
	json_decref(res);
	res = entity_related(s, id, INT64_MIN, INT64_MAX, -1, 20, 1, &e);
	ck_assert_msg(res != NULL, "%s", e.message);
	json_array_append_new(all, res);
	{
		int64_t lo, hi;

		ck_assert(date_parse("2026-03-01", 10, &lo, NULL, NULL) == 0);
		ck_assert(date_parse("2026-09-30", 10, &hi, NULL, NULL) == 0);
		res = entity_related(s, id, store_rid_min(lo), store_rid_max(hi + 86399), -1, 200,
				     1, &e);
		ck_assert_msg(res != NULL, "%s", e.message);
		ck_assert_int_gt(json_array_size(res), 64);
		json_array_append_new(all, res);
	}
	out = json_dumps(all, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(all);
	return out;
}

/* Articles i..i+n-1 of a small world: words, sources and entities vary with i and with gen
 * (an update gives an article other ones). */
static void put_world(int i, int n, int gen)
{
	static const char *const src[] = { "wire", "Gazette", "Courier", "Herald" };
	static const char *const ents[] = { "person:Alpha;", "org:Beta;", "place:Gamma;",
					    "person:Delta;", "org:Epsilon;" };
	char id[16], date[32], title[64], ent[256];
	int k;

	for (; n-- > 0; i++) {
		ent[0] = '\0';
		for (k = 0; k < 5; k++)
			if ((i + gen) % (k + 2) == 0)
				strcat(ent, ents[k]);
		/* and many rarer ones: related entities in a date range count them all at once
		 * when there are more than 64 candidates (entity.c) */
		for (k = 0; k < 3; k++)
			snprintf(ent + strlen(ent), sizeof(ent) - strlen(ent), "org:Unit %d;",
				 (i * 7 + k * 31 + gen) % 97);
		snprintf(id, sizeof(id), "w%d", i);
		snprintf(date, sizeof(date), "2026-%02d-%02dT10:00:00Z", 1 + i % 12, 1 + i % 27);
		snprintf(title, sizeof(title), "%s report %d", i % 3 ? "oil" : "bank", gen);
		put_source = src[(i + gen) % 4];
		put_lang = (i + gen) % 3 == 0 ? "de" : (i + gen) % 3 == 1 ? "en" : NULL;
		put(id, date, title, i % 5 ? "oil prices and bank rates" : "the bank", ent);
	}
	put_source = "wire";
	put_lang = NULL;
}

/*
 * Sources and entities are counted from the in-memory columns once their base is read
 * (columns.c): every count must be the one row-by-row reading gives, for the base, after
 * writes (new, updated and deleted articles: the overlay), and for a reader still at the
 * older version.
 */
START_TEST(test_columns)
{
	struct store_options so = { "porter", 16, 1000, 4.0 };
	struct columns_service *svc;
	struct store *old;
	char *err = NULL, *rows_new, *cols_new, *rows_old, *cols_old;
	const struct columns *c;
	int64_t passes;
	int found;

	ck_assert(store_begin(ws, &err) == 0);
	put_world(0, 200, 0);
	commit();
	ck_assert_msg(store_open(dbpath, STORE_READ, &so, &old, &err) == 0, "%s", err);
	ck_assert_msg((svc = columns_start(dbpath, &so, &err)) != NULL, "%s", err);
	ck_assert_int_eq(columns_wait(store_index_version(rs), 10000), 0);
	passes = search_columns_passes();
	/* a reader that stays at this version */
	ck_assert_int_eq(sqlite3_exec(store_db(old), "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	cols_old = counts_text(old);
	/* updates (other sources and entities), deletions, new articles */
	ck_assert(store_begin(ws, &err) == 0);
	put_world(50, 40, 1);
	put_world(200, 30, 0);
	ck_assert(store_delete_article(ws, "w3", &found, &err) == 0 && found);
	ck_assert(store_delete_article(ws, "w120", &found, &err) == 0 && found);
	commit();
	ck_assert_int_eq(sqlite3_exec(store_db(rs), "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	c = columns_acquire(rs, store_index_version(rs));
	ck_assert_msg(c != NULL, "no columns for the new version");
	columns_release(c);
	ck_assert_int_eq(sqlite3_exec(store_db(rs), "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	/* and again: this overlay is merged into the last one (the same articles changed) */
	ck_assert(store_begin(ws, &err) == 0);
	put_world(60, 20, 2);
	put_world(210, 5, 3);
	commit();
	ck_assert_int_eq(sqlite3_exec(store_db(rs), "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	c = columns_acquire(rs, store_index_version(rs));
	ck_assert_msg(c != NULL, "no columns for the newest version");
	columns_release(c);
	cols_new = counts_text(rs);
	ck_assert_int_eq(sqlite3_exec(store_db(rs), "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	c = columns_acquire(old, store_index_version(old));
	ck_assert_msg(c != NULL, "no columns for the older version");
	columns_release(c);
	/* searches of filters only were answered from the columns, at both versions */
	ck_assert_int_ge(search_columns_passes() - passes, 12);
	columns_stop(svc);
	passes = search_columns_passes();
	/* the same, row by row */
	ck_assert(columns_acquire(rs, 1) == NULL);
	rows_old = counts_text(old);
	ck_assert_int_eq(sqlite3_exec(store_db(old), "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(store_db(rs), "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	rows_new = counts_text(rs);
	ck_assert_int_eq(sqlite3_exec(store_db(rs), "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(search_columns_passes(), passes);
	ck_assert_msg(strcmp(cols_old, rows_old) == 0, "older version:\n%.400s\n%.400s", cols_old,
		      rows_old);
	ck_assert_msg(strcmp(cols_new, rows_new) == 0, "newer version:\n%.400s\n%.400s", cols_new,
		      rows_new);
	ck_assert_msg(strcmp(rows_old, rows_new) != 0, "the writes changed no count");
	free(rows_old);
	free(rows_new);
	free(cols_old);
	free(cols_new);
	store_close(old);
}
END_TEST

START_TEST(test_check_clean)
{
	char *err = NULL, *report = NULL;

	ck_assert(store_begin(ws, &err) == 0);
	put("k1", "2026-01-07", "x", "y", "place:Paris");
	put("k2", "1969-07-20T20:17:00Z", "moon", "landing", "place:Moon");
	commit();
	ck_assert_msg(store_check(ws, &report) == 0, "%s", report);
	free(report);
}
END_TEST

START_TEST(test_refuses_foreign_file)
{
	struct store *s = NULL;
	char *err = NULL;
	FILE *f = fopen(dbpath, "r+b");

	/* a database written by a newer newsd */
	store_close(rs);
	rs = NULL;
	ck_assert(sqlite3_exec(store_db(ws), "UPDATE meta SET value = 99 WHERE key = 'schema_version'",
			       NULL, NULL, NULL) == SQLITE_OK);
	ck_assert(store_open(dbpath, STORE_READ, NULL, &s, &err) < 0);
	ck_assert_msg(strstr(err, "newer") != NULL, "%s", err);
	free(err);
	err = NULL;
	if (f)
		fclose(f);
	/* not a database at all */
	f = fopen("/tmp/newsd-test-notdb", "w");
	fputs("this is not a database, just some text that is long enough to matter........", f);
	fclose(f);
	ck_assert(store_open("/tmp/newsd-test-notdb", STORE_READ, NULL, &s, &err) < 0);
	ck_assert_msg(strstr(err, "not a newsd database") != NULL, "%s", err);
	free(err);
	unlink("/tmp/newsd-test-notdb");
}
END_TEST

/* An integer of a query on connection s (one row, one column). */
static int64_t int_of(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t fts_setting(const char *key)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT coalesce((SELECT v FROM fts_config WHERE k = '%s'), -1)",
		 key);
	return int_of(ws, sql);
}

/*
 * A bulk load lets FTS5 gather 64 segments a level before it merges them (FTS5's default is
 * 4, at once at 16): each posting is rewritten at fewer levels. When the load ends, FTS5's
 * defaults come back and the segments are merged as those would have left them; a writer that
 * opens a file a killed load left with the bulk settings puts the defaults back too.
 */
START_TEST(test_bulk_merges)
{
	struct store_options so = { "porter", 16, 1000, 4.0 };
	char *err = NULL, title[64];
	int i, during, after;

	ck_assert_msg(store_bulk(ws, 1, &err) == 0, "%s", err);
	ck_assert_int_eq(fts_setting("automerge"), 64);
	ck_assert_int_eq(fts_setting("crisismerge"), 64);
	/* a segment per commit: 40 commits stay 40 segments with the bulk settings (FTS5's
	 * defaults would have merged them into a handful) */
	for (i = 0; i < 40; i++) {
		char id[16], date[16];

		snprintf(id, sizeof(id), "b%d", i);
		snprintf(date, sizeof(date), "2024-%02d-%02d", 1 + i % 12, 1 + i % 28);
		snprintf(title, sizeof(title), "segment %d of the load", i);
		ck_assert(store_begin(ws, &err) == 0);
		put(id, date, title, "grain exports rose", NULL);
		commit();
	}
	during = (int)int_of(ws, "SELECT count(DISTINCT segid) FROM fts_idx");
	ck_assert_msg(during > 16, "%d segments during the load", during);
	ck_assert_int_eq(total_of("grain", NULL), 40);
	ck_assert_msg(store_bulk(ws, 0, &err) == 0, "%s", err);
	ck_assert_int_eq(fts_setting("automerge"), 4);
	ck_assert_int_eq(fts_setting("crisismerge"), 16);
	/* FTS5's 'merge' with its usermerge of 4: no level keeps 4 segments or more */
	after = (int)int_of(ws, "SELECT count(DISTINCT segid) FROM fts_idx");
	ck_assert_msg(after <= 9 && after < during, "%d segments after the load, %d during",
		      after, during);
	ck_assert_int_eq(total_of("grain", NULL), 40);
	ck_assert_int_eq(total_of("\"segment 17 of the load\"", NULL), 1);
	/* a load killed before its end: the next writer to open the file puts the defaults back */
	ck_assert_msg(store_bulk(ws, 1, &err) == 0, "%s", err);
	store_close(ws);
	ws = NULL;
	ck_assert_msg(store_open(dbpath, STORE_WRITE, &so, &ws, &err) == 0, "%s", err);
	ck_assert_int_eq(fts_setting("automerge"), 4);
	ck_assert_int_eq(fts_setting("crisismerge"), 16);
	ck_assert_msg(store_check(ws, &err) == 0, "%s", err);
	free(err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	/* the two-thread and columns tests run a few hundred searches each */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rid_order);
	tcase_add_test(tc, test_upsert_delete);
	tcase_add_test(tc, test_compressed_bodies);
	tcase_add_test(tc, test_word_counts_per_language);
	tcase_add_test(tc, test_rare_language_not_in_query_stems);
	tcase_add_test(tc, test_pipe_sorts_batches);
	tcase_add_test(tc, test_upgrade_v1);
	tcase_add_test(tc, test_alias_resolution);
	tcase_add_test(tc, test_entity_after_rolled_back_job);
	tcase_add_test(tc, test_lift);
	tcase_add_test(tc, test_timeline_weeks);
	tcase_add_test(tc, test_cursor_paging);
	tcase_add_test(tc, test_check_clean);
	tcase_add_test(tc, test_bulk_merges);
	tcase_add_test(tc, test_retag_pending);
	tcase_add_test(tc, test_two_thread_search);
	tcase_add_test(tc, test_columns);
	tcase_add_test(tc, test_refuses_foreign_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
