#ifndef NEWSD_STORE_H
#define NEWSD_STORE_H
/*
 * store — the SQLite database: schema, connections, prepared statements, and every write.
 *
 * Schema (version STORE_SCHEMA_VERSION, also in docs/DESIGN.md):
 *   meta(key, value)                 schema_version, stemming, created_at
 *   source(id, name)                 one row per distinct source name
 *   article(aid, rid, id, date, source_id, dup_of, version, ingested_at, simhash, tags, ents,
 *           url, lang, authors, extra, title, body)
 *       rows appended in write order (aid); rid is a unique index.
 *       ents = "[[entity id, mentions, given], …]" in id order (JSON), or NULL.
 *       rid = date_seconds * 2^20 + seq, so rowid order is date order: a date range is a
 *       rowid range FTS5 uses directly, and newest/oldest is a rowid scan, never a sort.
 *   fts = fts5(title, body, tags; content=article_text, content_rowid=rid)
 *       article_text: a view of article with each body as text (schema 4 stores bodies
 *       compressed: zbody.h; schema-3 files keep content=article and their bodies as text).
 *       Every statement reads a body through newsd_text(body).
 *       tags holds internal tokens: "0a" on every article, "0s<source id>", "0e<entity id>",
 *       "0d" on wire copies, so source/entity filters and collapse=dups are FTS5 doclist
 *       operations.
 *   entity(id, type, name, norm, n)  one row per (type, normalised name); n = its articles
 *   entity_alias(norm, entity_id, alias)   every normalised surface form → entity
 *   An entity's articles are the FTS5 doclist of its tag "0e<id>".
 *   term_df(term, n, nt, nb)         articles per indexed word (terms.h), for IDFs
 *   lang_count(lang, n)              articles per language (schema 3)
 *   fts tokenize='newsd_marks newsd' (files made since 2026-12-01 evening): words stemmed
 *       in each article's language (langtok.h), the words as written beside the stems that
 *       differ from them (surface.h); articles not in English carry the tag "0l<code>".
 *       Older schema-3 files: 'newsd', then 'newsd_surface newsd'. Schema-2 files keep
 *       'porter unicode61 remove_diacritics 2' (English stemming, no language tags).
 *   version(v, committed_at, added, updated, removed)  one row per committed write batch
 *   watch_log(key, rid, id, kind, …), saved_watch(…)   live watches: the change log each write
 *                                    appends to, and saved watches (watch.h)
 *
 * One write connection (the ingest worker, or `newsd index`) and any number of read
 * connections (one per HTTP thread), WAL mode: readers never wait for the writer.
 */
#include <sqlite3.h>
#include <stdint.h>

#include "article.h"

#define STORE_SCHEMA_VERSION 4
#define STORE_APPLICATION_ID 0x6e657773	/* "news" */
#define STORE_RID_SHIFT 20		/* articles per second of date: 2^20 */

enum store_mode { STORE_READ, STORE_WRITE };

struct store_options {
	const char *stemming;		/* "porter" | "none": used only when creating */
	int cache_mb;
	int busy_timeout_ms;
	double title_weight;
};

struct store;
struct zbody;

/* Open (and for STORE_WRITE create or migrate) the database at path. Fails with a readable
 * message for a file that is not a newsd database, is corrupt, or was written by a newer
 * schema. Registers the snippet functions. *out is owned by the caller (store_close). */
int store_open(const char *path, enum store_mode mode, const struct store_options *opt,
	       struct store **out, char **errmsg);
void store_close(struct store *s);
/* For connections that read much once (exports): a small page cache, so reading the whole
 * corpus does not grow the server's resident memory. */
void store_low_memory(struct store *s);
sqlite3 *store_db(struct store *s);
/* Languages (langtok.h, lang.h). store_multilang: 1 when the index stems per language and
 * has language tags (created by this schema), 0 for an older, English-stemmed file.
 * store_lang_mask: the languages of the index's articles (lang_count; English alone for an
 * older file). store_use_langs: the languages this connection stems query words in from now
 * on (0: store_lang_mask); call it before running a MATCH. */
struct langtok *store_langtok(struct store *s);
int store_multilang(const struct store *s);
/* This connection's (de)compressor for bodies (zbody.h), made on first use. */
struct zbody *store_zbody(struct store *s);
/* 1 when the file stores bodies compressed (schema 4, zbody.h); NULL-safe. */
int store_packs_bodies(const struct store *s);
/* 1 when the fts table indexes each word as written beside its stem (surface.h): a prefix
 * matches the words that begin with it, folded. */
int store_words_as_written(const struct store *s);
uint64_t store_lang_mask(struct store *s);
void store_use_langs(struct store *s, uint64_t mask);
double store_title_weight(const struct store *s);

/* Translate the last SQLite error into a message a person understands (never the raw
 * SQLite text for internal errors): disk full, read-only, busy, corrupt, … */
const char *store_error_reason(int rc);

/* Write transaction around a batch. store_commit records a version row with the batch's
 * counters and returns the new index_version in *version; a batch that changed nothing is
 * rolled back and *version is the current one. */
int store_begin(struct store *s, char **errmsg);
int store_commit(struct store *s, int64_t added, int64_t updated, int64_t removed,
		 int64_t *version, char **errmsg);
void store_rollback(struct store *s);
/* What writes leave pending, the word counts (terms.h) and the FTS rows of re-tagged wire
 * copies, is written by store_commit and dropped by store_rollback (with the transaction's
 * entity and alias ids). A caller that writes jobs in savepoints flushes before each RELEASE
 * and discards at each ROLLBACK TO; the ingest worker writes a group without them. */
int store_job_flush(struct store *s, char **errmsg);
void store_job_discard(struct store *s);
struct terms *store_terms(struct store *s);

/* Insert or replace (by id) one article inside a transaction. *updated is set to 1 when an
 * article with that id existed. Entities are resolved to entity ids (aliases included). */
int store_put_article(struct store *s, const struct article *a, int *updated, char **errmsg);
/* Wire-copy detection on this (write) connection: on by default off; see dedup.h. With it,
 * each put article gets dup_of (the earliest copy of its story) and copies carry the tag "0d". */
int store_set_dedup(struct store *s, int on);
/* dup_of of the article last put: the rid of its group's root, or 0 when it is no copy. */
int64_t store_last_dup_of(const struct store *s);
/* Delete by id inside a transaction; *found = 0 when there was no such article. */
int store_delete_article(struct store *s, const char *id, int *found, char **errmsg);

/* `newsd serve`'s writer: the WAL is copied into the database file by a thread of the store's
 * own instead of inside the COMMIT that fills it (store.c); store_close stops it. */
int store_background_checkpoints(struct store *s, char **errmsg);

/* Bulk loading (`newsd index`): commits skip the fsync (synchronous=NORMAL; a crash may lose
 * the last batches but never corrupts), and the final store_bulk(s, 0) + checkpoint makes
 * everything durable before the command reports success. */
int store_bulk(struct store *s, int on, char **errmsg);

/* Read helpers (any connection). */
int64_t store_index_version(struct store *s);
int64_t store_article_count(struct store *s);
/* Merge the FTS5 index into one segment (FTS5's 'optimize'), in its own transaction: a
 * search then seeks each word once per restricted MATCH instead of once per segment. */
int store_merge_index(struct store *s, char **errmsg);
/* Prepared statement cache: the statement for sql, prepared once per connection and reset
 * for reuse. NULL (and *errmsg) on failure. Do not finalize it. */
sqlite3_stmt *store_stmt(struct store *s, const char *sql, char **errmsg);

/* The FTS5 API of a connection (for auxiliary functions and tokenizers); NULL and *errmsg
 * ("who: …") without FTS5. */
fts5_api *store_fts5_api(sqlite3 *db, const char *who, char **errmsg);

/* Walk an article's ents text: the next [id, mentions, given] after p (start with the text
 * itself); returns where to continue, or NULL at the end. mentions/given may be NULL. */
const char *store_ents_next(const char *p, int64_t *id, int *mentions, int *given);

/* rid bounds of a UTC second: [t << SHIFT, ((t+1) << SHIFT) - 1]. */
int64_t store_rid_min(int64_t t);
int64_t store_rid_max(int64_t t);
int64_t store_rid_date(int64_t rid);

/* `newsd check`: integrity_check, FTS5 integrity-check, and our invariants. Appends one line
 * per problem to *report (malloc'd). Returns 0 when clean, -1 otherwise. */
int store_check(struct store *s, char **report);
int store_optimize(struct store *s, char **errmsg);
int store_backup(struct store *s, const char *dest, char **errmsg);

#endif
