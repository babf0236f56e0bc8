/*
 * watch.c — change log, event ids, SSE frames, replay bound, HMAC, batch table and saved
 * watches; see watch.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "langtok.h"
#include "log.h"
#include "snippet.h"
#include "watch.h"

int watch_schema(sqlite3 *db, char **errmsg)
{
	/* watch_log is keyed by version << 24 | n: rows are appended in commit order, and a
	 * range of versions is a range of the primary key (no second index to keep). */
	static const char *const sql =
		"CREATE TABLE IF NOT EXISTS watch_log(key INTEGER PRIMARY KEY,"
		" rid INTEGER NOT NULL, id TEXT NOT NULL, kind INTEGER NOT NULL,"
		" lang TEXT, title TEXT, body TEXT, tags TEXT);"
		"CREATE TABLE IF NOT EXISTS saved_watch(id TEXT PRIMARY KEY, name TEXT,"
		" spec TEXT NOT NULL, webhook TEXT, created_at INTEGER NOT NULL,"
		" delivered INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;";
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return set_error(errmsg, "creating the watch tables: %s", store_error_reason(rc));
	return 0;
}

/* The next key of `version`: after the last row when it belongs to the same version. */
static int next_key(struct store *s, int64_t version, int64_t *key, char **errmsg)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT max(key) FROM watch_log", errmsg);
	int64_t last = -1;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		last = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return set_error(errmsg, "reading the change log: %s", store_error_reason(rc));
	*key = last >= watch_key(version, 0) ? last + 1 : watch_key(version, 0);
	return 0;
}

int watch_log_put(struct store *s, int64_t version, int64_t rid, const char *id, int updated,
		  char **errmsg)
{
	sqlite3_stmt *st;
	int64_t key;
	int rc;

	if (next_key(s, version, &key, errmsg) < 0)
		return -1;
	st = store_stmt(s, "INSERT INTO watch_log(key, rid, id, kind) VALUES (?1, ?2, ?3, ?4)",
			errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int64(st, 2, rid);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, updated ? WATCH_UPDATED : WATCH_NEW);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return set_error(errmsg, "writing the change log: %s", store_error_reason(rc));
	return 0;
}

int watch_log_delete(struct store *s, int64_t rid, char **errmsg)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT coalesce(max(v), 0) + 1 FROM version", errmsg);
	int64_t version = 1, key;
	int rc;

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (next_key(s, version, &key, errmsg) < 0)
		return -1;
	/* the text goes with the tombstone: a delete is matched against each watch like the
	 * article it removes, so only the watches that saw it hear of it */
	st = store_stmt(s, "INSERT INTO watch_log(key, rid, id, kind, lang, title, body, tags)"
			" SELECT ?1, rid, id, 2, lang, title, newsd_text(body), tags FROM article"
			" WHERE rid = ?2",
			errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int64(st, 2, rid);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return set_error(errmsg, "writing the change log: %s", store_error_reason(rc));
	return 0;
}

/* ---- event ids, frames, replay ---- */

void watch_key_format(int64_t key, char out[48])
{
	snprintf(out, 48, "%" PRId64 "-%" PRId64, watch_key_version(key), key & WATCH_KEY_MASK);
}

/* A decimal of at most 18 digits at *p; advances p. */
static int parse_num(const char **p, int64_t *out)
{
	int64_t v = 0;
	int n = 0;

	while (**p >= '0' && **p <= '9' && n < 18) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n == 0 || (**p >= '0' && **p <= '9'))
		return -1;
	*out = v;
	return 0;
}

int watch_key_parse(const char *s, int64_t *key)
{
	int64_t v, n;

	if (s == NULL || parse_num(&s, &v) < 0 || v >= (INT64_C(1) << (62 - WATCH_KEY_SHIFT)))
		return -1;
	if (*s == '\0') {
		*key = watch_key_end(v);
		return 0;
	}
	if (*s++ != '-' || parse_num(&s, &n) < 0 || *s != '\0' || n > WATCH_KEY_MASK)
		return -1;
	*key = watch_key(v, n);
	return 0;
}

void watch_sse_frame(struct buf *b, const char *event, int64_t key, const char *data)
{
	char id[48];

	buf_printf(b, "event: %s\n", event);
	if (key >= 0) {
		watch_key_format(key, id);
		buf_printf(b, "id: %s\n", id);
	}
	buf_puts(b, "data: ");
	buf_puts(b, data);
	buf_puts(b, "\n\n");
}

int watch_replay_take(struct watch_replay *r, int64_t key)
{
	if (r->sent < r->max) {
		r->sent++;
		return 1;
	}
	if (r->skipped++ == 0)
		r->first_skipped = key;
	r->last_skipped = key;
	return 0;
}

void watch_hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t len,
			   char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	/* OpenSSL's libcrypto: a vetted SHA-256 and HMAC rather than our own */
	if (HMAC(EVP_sha256(), key, (int)keylen, msg, len, md, &mdlen) == NULL)
		mdlen = 0;
	for (i = 0; i < mdlen && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * i] = '\0';
}

/* ---- the batch table ---- */

struct watch_batch {
	struct store *s;
	struct watch_row *rows;
	size_t n, cap;
};

/* The tokenize= argument of the fts table, so the batch table tokenizes alike. */
static char *fts_tokenizer(struct store *s)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT sql FROM sqlite_schema WHERE name = 'fts'", NULL);
	const char *sql, *p, *e;
	char *tok = NULL;

	if (st && sqlite3_step(st) == SQLITE_ROW && (sql = (const char *)sqlite3_column_text(st, 0)) &&
	    (p = strstr(sql, "tokenize")) != NULL) {
		p += 8;
		while (*p == ' ' || *p == '=')
			p++;
		if ((*p == '\'' || *p == '"') && (e = strchr(p + 1, *p)) != NULL)
			tok = xstrndup(p + 1, (size_t)(e - p - 1));
	}
	if (st)
		sqlite3_reset(st);
	return tok ? tok : xstrdup(SNIPPET_TABLE_TOKENIZE);
}

struct watch_batch *watch_batch_open(struct store *s, char **errmsg)
{
	struct watch_batch *b;
	char *tok = fts_tokenizer(s), *sql;
	int rc;

	/* a contentless table: MATCH needs only the index, and 'delete-all' empties it without
	 * reading anything back */
	sql = xasprintf("PRAGMA query_only=0; PRAGMA temp_store=MEMORY;"
			"CREATE VIRTUAL TABLE temp.watch_batch USING fts5(title, body, tags,"
			" content='', tokenize=\"%s\")", tok);
	rc = sqlite3_exec(store_db(s), sql, NULL, NULL, NULL);
	free(sql);
	free(tok);
	if (rc != SQLITE_OK) {
		log_warn("watch: creating the batch table: %s", sqlite3_errmsg(store_db(s)));
		set_error(errmsg, "cannot create the watch batch table: %s", store_error_reason(rc));
		return NULL;
	}
	b = xcalloc(1, sizeof(*b));
	b->s = s;
	return b;
}

static void batch_clear_rows(struct watch_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->rows[i].id);
	b->n = 0;
}

void watch_batch_close(struct watch_batch *b)
{
	if (b == NULL)
		return;
	batch_clear_rows(b);
	free(b->rows);
	free(b);
}

int watch_batch_load(struct watch_batch *b, int64_t after, int64_t upto, int limit,
		     int64_t *last, char **errmsg)
{
	struct store *s = b->s;
	sqlite3_stmt *rd, *ins, *clr;
	int rc, nread = 0;

	batch_clear_rows(b);
	clr = store_stmt(s, "INSERT INTO temp.watch_batch(watch_batch) VALUES ('delete-all')", errmsg);
	ins = store_stmt(s, "INSERT INTO temp.watch_batch(rowid, title, body, tags)"
			 " VALUES (?1, ?2, ?3, ?4)", errmsg);
	/* new and updated rows take the article's text from `article`, by rid and id: an
	 * article rewritten since (another rid) or deleted is left to its later row */
	rd = store_stmt(s, "SELECT l.key, l.rid, l.id, l.kind,"
			" CASE WHEN l.kind = 2 THEN l.lang ELSE a.lang END,"
			" CASE WHEN l.kind = 2 THEN l.title ELSE a.title END,"
			" CASE WHEN l.kind = 2 THEN l.body ELSE newsd_text(a.body) END,"
			" CASE WHEN l.kind = 2 THEN l.tags ELSE a.tags END,"
			" l.kind = 2 OR a.rid IS NOT NULL"
			" FROM watch_log l LEFT JOIN article a ON l.kind < 2 AND a.rid = l.rid"
			" AND a.id = l.id WHERE l.key > ?1 AND l.key <= ?2 ORDER BY l.key LIMIT ?3",
			errmsg);
	if (clr == NULL || ins == NULL || rd == NULL)
		return -1;
	rc = sqlite3_step(clr);
	sqlite3_reset(clr);
	if (rc != SQLITE_DONE)
		return set_error(errmsg, "emptying the watch batch table: %s", store_error_reason(rc));
	sqlite3_bind_int64(rd, 1, after);
	sqlite3_bind_int64(rd, 2, upto);
	sqlite3_bind_int(rd, 3, limit);
	while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
		struct watch_row *r;
		const char *lang = (const char *)sqlite3_column_text(rd, 4);
		int irc;

		nread++;
		*last = sqlite3_column_int64(rd, 0);
		if (!sqlite3_column_int(rd, 8))
			continue;
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 256;
			b->rows = xrealloc(b->rows, b->cap * sizeof(*b->rows));
		}
		r = &b->rows[b->n];
		r->key = *last;
		r->rid = sqlite3_column_int64(rd, 1);
		r->kind = sqlite3_column_int(rd, 3);
		snprintf(r->lang, sizeof(r->lang), "%s", lang ? lang : "");
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)b->n);
		sqlite3_bind_value(ins, 2, sqlite3_column_value(rd, 5));
		sqlite3_bind_value(ins, 3, sqlite3_column_value(rd, 6));
		sqlite3_bind_value(ins, 4, sqlite3_column_value(rd, 7));
		/* tokenized in the article's language, as the fts table has it (langtok.h) */
		langtok_set_doc(store_langtok(s), lang);
		irc = sqlite3_step(ins);
		langtok_set_doc(store_langtok(s), NULL);
		sqlite3_reset(ins);
		if (irc != SQLITE_DONE) {
			sqlite3_reset(rd);
			return set_error(errmsg, "filling the watch batch table: %s",
					 store_error_reason(irc));
		}
		r->id = xstrdup((const char *)sqlite3_column_text(rd, 2));
		b->n++;
	}
	sqlite3_reset(rd);
	if (rc != SQLITE_DONE)
		return set_error(errmsg, "reading the change log: %s", store_error_reason(rc));
	return nread;
}

const struct watch_row *watch_batch_rows(const struct watch_batch *b, size_t *n)
{
	*n = b->n;
	return b->rows;
}

int watch_batch_match(struct watch_batch *b, const char *match, unsigned char *hit,
		      char **errmsg)
{
	sqlite3_stmt *st;
	int rc;

	if (b->n == 0)
		return 0;
	st = store_stmt(b->s, "SELECT rowid FROM temp.watch_batch WHERE watch_batch MATCH ?1",
			errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t i = sqlite3_column_int64(st, 0);

		if (i >= 0 && (size_t)i < b->n)
			hit[i] = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return set_error(errmsg, "matching a watch: %s", store_error_reason(rc));
	return 0;
}

/* ---- saved watches ---- */

void watch_saved_clear(struct watch_saved *w)
{
	free(w->id);
	free(w->name);
	free(w->spec);
	free(w->webhook);
	memset(w, 0, sizeof(*w));
}

char *watch_new_id(void)
{
	unsigned char r[8];
	uint64_t v = 0;
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* no entropy source: time and address still make a collision unlikely */
		uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)r;

		memcpy(r, &t, sizeof(r));
	}
	for (i = 0; i < sizeof(r); i++)
		v = v << 8 | r[i];
	return xasprintf("w-%016" PRIx64, v);
}

static int step_write(sqlite3_stmt *st, const char *what, char **errmsg)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return set_error(errmsg, "%s: %s", what, store_error_reason(rc));
	return 0;
}

int watch_saved_insert(struct store *s, const struct watch_saved *w, char **errmsg)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO saved_watch(id, name, spec, webhook,"
				      " created_at, delivered) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", errmsg);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, w->id, -1, SQLITE_STATIC);
	if (w->name)
		sqlite3_bind_text(st, 2, w->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, w->spec, -1, SQLITE_STATIC);
	if (w->webhook)
		sqlite3_bind_text(st, 4, w->webhook, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, w->created_at);
	sqlite3_bind_int64(st, 6, w->delivered);
	return step_write(st, "saving the watch", errmsg);
}

int watch_saved_delete(struct store *s, const char *id, char **errmsg)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM saved_watch WHERE id = ?1", errmsg);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (step_write(st, "deleting the watch", errmsg) < 0)
		return -1;
	return sqlite3_changes(store_db(s)) > 0;
}

int watch_saved_set_delivered(struct store *s, const char *id, int64_t key, char **errmsg)
{
	sqlite3_stmt *st = store_stmt(s, "UPDATE saved_watch SET delivered = ?2 WHERE id = ?1"
				      " AND delivered < ?2", errmsg);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, key);
	return step_write(st, "recording a webhook delivery", errmsg);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return t ? xstrdup(t) : NULL;
}

int watch_saved_list(struct store *s, struct watch_saved **out, size_t *n, char **errmsg)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, name, spec, webhook, created_at, delivered"
				      " FROM saved_watch ORDER BY created_at, id", errmsg);
	struct watch_saved *v = NULL;
	size_t k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xrealloc(v, (k + 1) * sizeof(*v));
		v[k].id = col_dup(st, 0);
		v[k].name = col_dup(st, 1);
		v[k].spec = col_dup(st, 2);
		v[k].webhook = col_dup(st, 3);
		v[k].created_at = sqlite3_column_int64(st, 4);
		v[k].delivered = sqlite3_column_int64(st, 5);
		k++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		while (k > 0)
			watch_saved_clear(&v[--k]);
		free(v);
		return set_error(errmsg, "reading the saved watches: %s", store_error_reason(rc));
	}
	*out = v;
	*n = k;
	return 0;
}

int watch_log_prune(struct store *s, int64_t before, int limit, char **errmsg)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM watch_log WHERE key IN (SELECT key FROM"
				      " watch_log WHERE key < ?1 ORDER BY key LIMIT ?2)", errmsg);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int(st, 2, limit);
	if (step_write(st, "pruning the change log", errmsg) < 0)
		return -1;
	return sqlite3_changes(store_db(s));
}
