/*
 * copies.c — wire-copy groups on the read side: the per-thread copy set that makes
 * collapse=dups cheap, copy counts, and a story's list of copies; see copies.h.
 */
#include <stdlib.h>
#include <string.h>

#include "copies.h"
#include "date.h"
#include "util.h"

struct copies {
	sqlite3 *db;
	int64_t version;
	int64_t *rid;		/* sorted: every copy of the version */
	size_t n, cap;
	size_t hint;		/* where the last lookup ended (rows come in rid order) */
};

static _Thread_local struct copies set;

void copies_release(void)
{
	free(set.rid);
	memset(&set, 0, sizeof(set));
}

static void push(struct copies *c, int64_t rid)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4096;
		c->rid = xrealloc(c->rid, c->cap * sizeof(*c->rid));
	}
	c->rid[c->n++] = rid;
}

/* Every copy, from the "0d" tag's doclist (rowid order): 0, or -1 (the set left empty). */
static int copies_build(sqlite3 *db, int64_t version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	copies_release();
	if (sqlite3_prepare_v2(db, "SELECT rowid FROM fts WHERE fts MATCH '{tags} : \"0d\"'"
			       " ORDER BY rowid", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		push(&set, sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		copies_release();
		return -1;
	}
	set.db = db;
	set.version = version;
	return 0;
}

/* From set.version to version: the rows written since, merged into the sorted set (a deleted
 * row is never matched, so a stale entry does no harm; a row written again at the same rid
 * has a newer version). One pass over the set: a copy of 8 bytes per copy. */
static int copies_update(sqlite3 *db, int64_t version)
{
	sqlite3_stmt *st = NULL;
	struct copies next = set;
	int64_t *ch = NULL;	/* changed rids, the copy state in bit 0 of a doubled value */
	size_t nch = 0, cap = 0, i = 0, j = 0;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT rid, dup_of IS NOT NULL FROM article WHERE version > ?1"
			       " ORDER BY rid", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, set.version);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nch == cap) {
			cap = cap ? cap * 2 : 256;
			ch = xrealloc(ch, cap * 2 * sizeof(*ch));
		}
		ch[2 * nch] = sqlite3_column_int64(st, 0);
		ch[2 * nch++ + 1] = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(ch);
		return -1;
	}
	next.rid = NULL;
	next.n = next.cap = next.hint = 0;
	while (i < set.n || j < nch) {
		if (j == nch || (i < set.n && set.rid[i] < ch[2 * j])) {
			push(&next, set.rid[i++]);
			continue;
		}
		if (i < set.n && set.rid[i] == ch[2 * j])
			i++;
		if (ch[2 * j + 1])
			push(&next, ch[2 * j]);
		j++;
	}
	free(ch);
	free(set.rid);
	set = next;
	set.version = version;
	return 0;
}

const struct copies *copies_sync(sqlite3 *db, int64_t version)
{
	if (set.db == db && set.version == version)
		return &set;
	if (set.db == db && version > set.version && copies_update(db, version) == 0)
		return &set;
	return copies_build(db, version) == 0 ? &set : NULL;
}

const int64_t *copies_rids(const struct copies *c, size_t *n)
{
	*n = c->n;
	return c->rid;
}

int copies_has(const struct copies *cc, int64_t rid)
{
	struct copies *c = (struct copies *)cc;
	size_t lo, hi, i, step;

	if (c->n == 0)
		return 0;
	/* matches come in rid order (either way): gallop from the last place, so a pass reads
	 * the set about once, in order, instead of a binary search of it per match */
	i = c->hint < c->n ? c->hint : 0;
	if (c->rid[i] == rid)
		return 1;
	if (c->rid[i] < rid) {
		lo = i + 1;
		for (step = 1; i + step < c->n && c->rid[i + step] < rid; step *= 2)
			lo = i + step + 1;
		hi = i + step < c->n ? i + step + 1 : c->n;
	} else {
		hi = i;
		for (step = 1; step <= i && c->rid[i - step] > rid; step *= 2)
			hi = i - step;
		lo = step <= i ? i - step : 0;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->rid[mid] < rid)
			lo = mid + 1;
		else
			hi = mid;
	}
	c->hint = lo < c->n ? lo : c->n - 1;
	return lo < c->n && c->rid[lo] == rid;
}

int64_t copies_count(struct store *s, int64_t rid)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT count(*) FROM article WHERE dup_of = ?1", NULL);
	int64_t n = -1;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rid);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);

	return t ? json_string(t) : json_null();
}

json_t *copies_list(struct store *s, const char *id, int limit, int *notfound, char **errmsg)
{
	sqlite3_stmt *st;
	json_t *res = NULL, *list;
	int64_t rid, root, total = 0;
	char d[21];
	int rc;

	*notfound = 0;
	st = store_stmt(s, "SELECT a.rid, coalesce(a.dup_of, a.rid), r.id FROM article a"
			" JOIN article r ON r.rid = coalesce(a.dup_of, a.rid) WHERE a.id = ?1", errmsg);
	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			*notfound = 1;
		else
			set_error(errmsg, "reading the article: %s", store_error_reason(rc));
		return NULL;
	}
	rid = sqlite3_column_int64(st, 0);
	root = sqlite3_column_int64(st, 1);
	res = json_pack("{s:s, s:o}", "id", id, "story", text_or_null(st, 2));
	sqlite3_reset(st);
	/* the root (its rid) and every copy (dup_of): two index lookups, not a scan */
	st = store_stmt(s, "SELECT count(*) FROM article WHERE (rid = ?1 OR dup_of = ?1)"
			" AND rid != ?2", errmsg);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, root);
	sqlite3_bind_int64(st, 2, rid);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		total = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		set_error(errmsg, "counting copies: %s", store_error_reason(rc));
		goto fail;
	}
	json_object_set_new(res, "total", json_integer(total));
	st = store_stmt(s, "SELECT a.id, a.title, a.date, src.name, a.url FROM article a"
			" LEFT JOIN source src ON src.id = a.source_id"
			" WHERE (a.rid = ?1 OR a.dup_of = ?1) AND a.rid != ?2 ORDER BY a.rid LIMIT ?3",
			errmsg);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, root);
	sqlite3_bind_int64(st, 2, rid);
	sqlite3_bind_int(st, 3, limit);
	list = json_array();
	json_object_set_new(res, "copies", list);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		date_format(sqlite3_column_int64(st, 2), d);
		json_array_append_new(list, json_pack("{s:o, s:o, s:s, s:o, s:o}",
						      "id", text_or_null(st, 0),
						      "title", text_or_null(st, 1), "date", d,
						      "source", text_or_null(st, 3),
						      "url", text_or_null(st, 4)));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		set_error(errmsg, "listing copies: %s", store_error_reason(rc));
		goto fail;
	}
	json_object_set_new(res, "index_version", json_integer(store_index_version(s)));
	return res;
fail:
	json_decref(res);
	return NULL;
}
