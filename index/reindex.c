/*
 * reindex.c — a database's own rows as input records again; see reindex.h.
 */
#include <stdio.h>
#include <string.h>

#include "article.h"
#include "date.h"
#include "reindex.h"
#include "util.h"

static int db_fail(sqlite3 *db, const char *what, char **errmsg)
{
	return set_error(errmsg, "%s: %s", what, store_error_reason(sqlite3_errcode(db)));
}

static void set_text(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_TEXT)
		json_object_set_new(o, key, json_string((const char *)sqlite3_column_text(st, col)));
}

/* The entities of an ents list ([[id, mentions, given], …]) that were given, by type, into
 * rec's "entities"; names from the entity table (ent: SELECT type, name … WHERE id = ?1). */
static void given_entities(json_t *rec, const char *ents, sqlite3_stmt *ent)
{
	json_t *list = ents ? json_loads(ents, 0, NULL) : NULL, *e, *by = NULL;
	size_t i;

	json_array_foreach(list, i, e) {
		int t;

		if (!json_is_true(json_array_get(e, 2)) && json_integer_value(json_array_get(e, 2)) != 1)
			continue;
		sqlite3_bind_int64(ent, 1, json_integer_value(json_array_get(e, 0)));
		if (sqlite3_step(ent) == SQLITE_ROW && sqlite3_column_type(ent, 1) == SQLITE_TEXT &&
		    (t = sqlite3_column_int(ent, 0)) >= 0 && t < ENTITY_NTYPES) {
			const char *key = entity_type_plural((enum entity_type)t);
			json_t *names;

			if (by == NULL)
				by = json_object();
			if ((names = json_object_get(by, key)) == NULL)
				json_object_set_new(by, key, names = json_array());
			json_array_append_new(names,
					      json_string((const char *)sqlite3_column_text(ent, 1)));
		}
		sqlite3_reset(ent);
	}
	if (by)
		json_object_set_new(rec, "entities", by);
	json_decref(list);
}

/* The record of the article at st's row (see reindex_records' SELECT). */
static json_t *record_of(sqlite3_stmt *st, sqlite3_stmt *ent)
{
	json_t *rec = json_object(), *v;
	char date[21];

	set_text(rec, "id", st, 0);
	set_text(rec, "title", st, 1);
	set_text(rec, "body", st, 2);
	date_format(sqlite3_column_int64(st, 3), date);
	json_object_set_new(rec, "date", json_string(date));
	set_text(rec, "source", st, 4);
	set_text(rec, "url", st, 5);
	set_text(rec, "lang", st, 6);
	if (sqlite3_column_type(st, 7) == SQLITE_TEXT &&
	    (v = json_loads((const char *)sqlite3_column_text(st, 7), 0, NULL)) != NULL)
		json_object_set_new(rec, "authors", v);
	given_entities(rec, (const char *)sqlite3_column_text(st, 9), ent);
	/* the unknown fields at the top level, where they came from (kept in extra again) */
	if (sqlite3_column_type(st, 8) == SQLITE_TEXT &&
	    (v = json_loads((const char *)sqlite3_column_text(st, 8), 0, NULL)) != NULL) {
		const char *key;
		json_t *x;

		json_object_foreach(v, key, x)
			if (json_object_get(rec, key) == NULL)
				json_object_set(rec, key, x);
		json_decref(v);
	}
	return rec;
}

int reindex_records(struct store *old, int (*each)(void *ctx, json_t *record), void *ctx,
		    char **errmsg)
{
	sqlite3 *db = store_db(old);
	sqlite3_stmt *st = NULL, *ent = NULL;
	int rc, ret = -1;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "reading the articles", errmsg);
	if (sqlite3_prepare_v2(db, "SELECT a.id, a.title, newsd_text(a.body), a.date, src.name, a.url, a.lang,"
			       " a.authors, a.extra, a.ents FROM article a"
			       " LEFT JOIN source src ON src.id = a.source_id ORDER BY a.rid", -1,
			       &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT type, name FROM entity WHERE id = ?1", -1, &ent,
			       NULL) != SQLITE_OK) {
		db_fail(db, "reading the articles", errmsg);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *rec = record_of(st, ent);
		int r = each(ctx, rec);

		json_decref(rec);
		if (r != 0) {
			ret = r;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, "reading the articles", errmsg);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(ent);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return ret;
}

int reindex_watches(struct store *old, struct store *into, char **errmsg)
{
	sqlite3 *db = store_db(old), *to = store_db(into);
	sqlite3_stmt *st = NULL, *ins = NULL;
	int64_t has = 0;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'saved_watch'",
			       -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_fail(db, "reading the saved watches", errmsg);
	}
	has = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (has == 0)		/* a file from before saved watches */
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT id, name, spec, webhook, created_at FROM saved_watch",
			       -1, &st, NULL) != SQLITE_OK) {
		db_fail(db, "reading the saved watches", errmsg);
		goto fail;
	}
	if (sqlite3_prepare_v2(to, "INSERT INTO saved_watch(id, name, spec, webhook, created_at,"
			       " delivered) VALUES (?1, ?2, ?3, ?4, ?5,"
			       " (SELECT coalesce(max(v), 0) FROM version))", -1, &ins,
			       NULL) != SQLITE_OK) {
		db_fail(to, "copying the saved watches", errmsg);
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int c;

		for (c = 0; c < 5; c++)
			sqlite3_bind_value(ins, c + 1, sqlite3_column_value(st, c));
		if (sqlite3_step(ins) != SQLITE_DONE) {
			db_fail(to, "copying the saved watches", errmsg);
			goto fail;
		}
		sqlite3_reset(ins);
		n++;
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, "reading the saved watches", errmsg);
		goto fail;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(ins);
	return n;
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(ins);
	return -1;
}
