#ifndef NEWSD_WATCH_H
#define NEWSD_WATCH_H
/*
 * watch — the library half of live watches (API.md, "Live news — watches"): the change log
 * every write appends to, event ids, Server-Sent Events framing, the replay bound, webhook
 * signatures, saved watches in the database, and the batch table the matcher runs each watch's
 * MATCH against. The server half (streams, webhooks, the matcher thread) is server/watch.c.
 *
 * Change log: watch_log(key, rid, id, kind, lang, title, body, tags) with
 * key = index_version << WATCH_KEY_SHIFT | n, one row per article written (kind new or
 * updated; the text stays in `article`) or deleted (with the text it had, so a delete is
 * matched like an article). It is written in the write's own transaction, so it holds exactly
 * the committed changes, in commit order, and survives a restart: an event id "V-N" is the key
 * of its row, and a Last-Event-ID or a webhook's last delivered version is a place in the log.
 */
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

#define WATCH_KEY_SHIFT 24			/* up to 16M changes per version */
#define WATCH_KEY_MASK ((INT64_C(1) << WATCH_KEY_SHIFT) - 1)

enum watch_kind { WATCH_NEW = 0, WATCH_UPDATED = 1, WATCH_DELETED = 2 };

/* The tables (IF NOT EXISTS: also how older files gain them). */
int watch_schema(sqlite3 *db, char **errmsg);

/* Writer hooks (store.c, inside the write transaction): an article put at `version` (updated:
 * it replaced one with the same id), or about to be deleted (its text is copied). */
int watch_log_put(struct store *s, int64_t version, int64_t rid, const char *id, int updated,
		  char **errmsg);
int watch_log_delete(struct store *s, int64_t rid, char **errmsg);

/* ---- event ids: "V-N" ---- */
static inline int64_t watch_key(int64_t version, int64_t n)
{
	return (version << WATCH_KEY_SHIFT) | (n & WATCH_KEY_MASK);
}

static inline int64_t watch_key_version(int64_t key)
{
	return key >> WATCH_KEY_SHIFT;
}

/* The last key of a version: "everything committed up to V". */
static inline int64_t watch_key_end(int64_t version)
{
	return watch_key(version, WATCH_KEY_MASK);
}

void watch_key_format(int64_t key, char out[48]);
/* "V-N", or "V" alone (= the end of version V). 0, or -1 when malformed. */
int watch_key_parse(const char *s, int64_t *key);

/* One SSE event: "event: E\nid: V-N\ndata: D\n\n" (id left out when key < 0). D must hold no
 * newline (compact JSON never does). */
void watch_sse_frame(struct buf *b, const char *event, int64_t key, const char *data);

/*
 * The replay bound: a stream that reconnects with Last-Event-ID gets the first `max` matches
 * it missed, then one gap event for the rest (counted, first and last key), then live ones.
 */
struct watch_replay {
	int64_t max;
	int64_t sent, skipped;
	int64_t first_skipped, last_skipped;
};

/* 1 when the event at key is to be sent, 0 when it is skipped (and counted). */
int watch_replay_take(struct watch_replay *r, int64_t key);

/* HMAC-SHA256 of msg with key, in lower-case hex (64 characters and a NUL). */
void watch_hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t len,
			   char out[65]);

/* ---- the batch table: a range of the log in a small in-memory FTS5 table ---- */

struct watch_row {
	int64_t key;
	int64_t rid;
	char *id;
	int kind;			/* enum watch_kind */
	char lang[16];			/* "" when unknown */
};

struct watch_batch;

/* On a read connection of the matcher's own (query_only is lifted for its temp table), with
 * the tokenizer of the database's fts table. NULL and *errmsg on failure. */
struct watch_batch *watch_batch_open(struct store *s, char **errmsg);
void watch_batch_close(struct watch_batch *b);
/* Load the log rows with after < key <= upto, at most limit, into the table (replacing what
 * it held). New and updated rows whose article has changed since (rid or id gone) are left
 * out: the later row carries the article. Returns the number of log rows read (0: the range
 * is done) and sets *last to the key of the last one; -1 on error. */
int watch_batch_load(struct watch_batch *b, int64_t after, int64_t upto, int limit,
		     int64_t *last, char **errmsg);
/* The rows loaded, in key order. */
const struct watch_row *watch_batch_rows(const struct watch_batch *b, size_t *n);
/* Run one MATCH expression over the loaded rows; set hit[i] = 1 for each row i that matches
 * (hit has room for every loaded row, cleared by the caller). 0, or -1 with *errmsg. */
int watch_batch_match(struct watch_batch *b, const char *match, unsigned char *hit,
		      char **errmsg);

/* ---- saved watches ---- */

struct watch_saved {
	char *id;			/* "w-" + 16 hex digits */
	char *name;
	char *spec;			/* the filters as JSON text: q, entity, source, from, to, lang */
	char *webhook;			/* NULL: none */
	int64_t created_at;
	int64_t delivered;		/* webhook: log key delivered up to */
};

void watch_saved_clear(struct watch_saved *w);
/* A new id (random). */
char *watch_new_id(void);
int watch_saved_insert(struct store *s, const struct watch_saved *w, char **errmsg);
/* 1 deleted, 0 no such watch, -1 error. */
int watch_saved_delete(struct store *s, const char *id, char **errmsg);
int watch_saved_set_delivered(struct store *s, const char *id, int64_t key, char **errmsg);
/* Every saved watch, oldest first; caller frees each (watch_saved_clear) and the array. */
int watch_saved_list(struct store *s, struct watch_saved **out, size_t *n, char **errmsg);
/* Drop log rows before key, at most `limit` of them; returns how many went, -1 on error. */
int watch_log_prune(struct store *s, int64_t before, int limit, char **errmsg);

#endif
