/*
 * store.c — schema, connections, statement cache and every write; see store.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup.h"
#include "extract.h"
#include "lang.h"
#include "langdetect.h"
#include "langtok.h"
#include "log.h"
#include "rank.h"
#include "terms.h"
#include "snippet.h"
#include "store.h"
#include "surface.h"
#include "util.h"
#include "watch.h"
#include "zbody.h"

#define STMT_CACHE 64

struct stmt_slot {
	const char *sql;
	sqlite3_stmt *stmt;
};

/*
 * The writer's memory of entity resolution: "type:norm" → entity id, and "norm:id" alias
 * pairs already recorded, so an article's entities cost hash lookups instead of four SQL
 * statements each. Cleared on rollback (its rows may be gone).
 */
struct strmap {
	char **keys;
	int64_t *vals;
	size_t cap, n;
};

/*
 * Re-tags waiting for the end of the job or batch (see retag): for each rid, the tags its FTS
 * row was indexed with. An open-addressing table of rids over the list.
 */
struct retag_entry {
	int64_t rid;
	char *indexed_tags;	/* NULL once the row was removed in the meantime */
};

struct retags {
	struct retag_entry *v;
	size_t n, cap;
	int32_t *slots;		/* index into v, -1 = empty; nslots a power of two */
	size_t nslots;
};

static int retags_flush(struct store *s, char **errmsg);
static int lang_count_add(struct store *s, const char *lang, int delta, char **errmsg);

#define LANG_QUERY_MIN 1000	/* articles that make a language one queries are stemmed in */
static int bulk_checkpoint_interval(struct store *s, char **errmsg);
static void checkpointer_stop(struct store *s);
static int fts_merge_defaults(struct store *s, char **errmsg);
static void retags_clear(struct retags *r);
static void retags_free(struct retags *r);

struct store {
	sqlite3 *db;
	struct dedup *dedup;		/* writer only; NULL when detection is off */
	struct terms *terms;		/* word counts: kept by the writer, read for IDFs */
	struct langtok *lt;		/* this connection's "newsd" tokenizer state (langtok.h) */
	int multilang;			/* fts uses it: stemmed per language, "0l<code>" tags */
	int surface;			/* fts indexes the words as written too (surface.h) */
	int zbody;			/* bodies stored compressed (zbody.h, schema 4) */
	struct zbody *z;		/* this connection's (de)compressor: store_zbody */
	struct buf zbuf;
	int has_lang_count;		/* the file has lang_count (schema 3) */
	int64_t last_dup;		/* dup_of of the last article put (0: not a copy) */
	struct strmap entity_ids;
	struct strmap alias_pairs;
	struct retags retags;
	struct checkpointer *ckpt;	/* store_background_checkpoints, or NULL */
	int bulk;			/* store_bulk: on */
	int64_t bulk_every;		/* its WAL pages between checkpoints */
	enum store_mode mode;
	double title_weight;
	struct stmt_slot stmts[STMT_CACHE];
	int nstmts;
	int in_txn;
};

/* Articles per language (an article without one counts as "en"), kept with every write:
 * /stats, and the languages a query's words are stemmed in by default. */
#define LANG_COUNT_SQL \
	"CREATE TABLE IF NOT EXISTS lang_count(lang TEXT PRIMARY KEY, n INTEGER NOT NULL)" \
	" WITHOUT ROWID;"

static const char *const schema_sql =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE TABLE source(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	/* Rows are appended in write order (aid); rid, the date-ordered key every query uses,
	 * is a unique index. A backfill arrives in random date order: keyed by rid, each insert
	 * would dirty a random page of the largest table (text inline), written to the WAL and
	 * again at the checkpoint, and pages split to two-thirds full. Small columns first, so
	 * reading them never touches a long article's overflow pages. */
	"CREATE TABLE article("
	" aid INTEGER PRIMARY KEY,"
	" rid INTEGER NOT NULL UNIQUE,"
	" id TEXT NOT NULL UNIQUE,"
	" date INTEGER NOT NULL,"
	" source_id INTEGER REFERENCES source(id),"
	" dup_of INTEGER,"
	" version INTEGER NOT NULL,"
	" ingested_at INTEGER NOT NULL,"
	" simhash INTEGER,"
	" tags TEXT NOT NULL,"
	" ents TEXT,"
	" url TEXT, lang TEXT, authors TEXT, extra TEXT,"
	" title TEXT NOT NULL DEFAULT '',"
	" body TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX article_version ON article(version);"
	"CREATE TABLE entity(id INTEGER PRIMARY KEY, type INTEGER NOT NULL, name TEXT NOT NULL,"
	" norm TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0, UNIQUE(type, norm));"
	"CREATE TABLE entity_alias(norm TEXT NOT NULL, entity_id INTEGER NOT NULL,"
	" alias TEXT NOT NULL, PRIMARY KEY(norm, entity_id)) WITHOUT ROWID;"
	"CREATE INDEX entity_alias_entity ON entity_alias(entity_id);"
	"CREATE TABLE version(v INTEGER PRIMARY KEY, committed_at INTEGER NOT NULL,"
	" added INTEGER NOT NULL, updated INTEGER NOT NULL, removed INTEGER NOT NULL);"
	"CREATE TABLE day_count(day INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
	LANG_COUNT_SQL;

static void strmap_clear(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static size_t strmap_slot(const struct strmap *m, const char *key)
{
	size_t i = (size_t)hash64(key, strlen(key), 0) & (m->cap - 1);

	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int strmap_get(const struct strmap *m, const char *key, int64_t *val)
{
	size_t i;

	if (m->cap == 0)
		return 0;
	i = strmap_slot(m, key);
	if (m->keys[i] == NULL)
		return 0;
	*val = m->vals[i];
	return 1;
}

static void strmap_put(struct strmap *m, const char *key, int64_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct strmap big = { 0 };

		big.cap = m->cap ? m->cap * 2 : 1024;
		big.keys = xcalloc(big.cap, sizeof(*big.keys));
		big.vals = xcalloc(big.cap, sizeof(*big.vals));
		for (i = 0; i < m->cap; i++)
			if (m->keys[i]) {
				size_t j = strmap_slot(&big, m->keys[i]);

				big.keys[j] = m->keys[i];
				big.vals[j] = m->vals[i];
				big.n++;
			}
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	i = strmap_slot(m, key);
	if (m->keys[i] == NULL) {
		m->keys[i] = xstrdup(key);
		m->n++;
	}
	m->vals[i] = val;
}

fts5_api *store_fts5_api(sqlite3 *db, const char *who, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	fts5_api *api = NULL;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK) {
		set_error(errmsg, "%s: this SQLite has no FTS5: %s", who, sqlite3_errmsg(db));
		return NULL;
	}
	sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (api == NULL || api->iVersion < 2) {
		set_error(errmsg, "%s: could not get the FTS5 API (version 2 or later)", who);
		return NULL;
	}
	return api;
}

const char *store_ents_next(const char *p, int64_t *id, int *mentions, int *given)
{
	long long v[3] = { 0, 0, 0 };
	int k = 0;
	char *end;

	if (p == NULL)
		return NULL;
	/* "[[12,3,1],[45,1,0]]": skip to the next inner '[' */
	while (*p && *p != '[')
		p++;
	if (*p == '[' && p[1] == '[')
		p++;
	if (*p != '[')
		return NULL;
	p++;
	while (k < 3) {
		v[k++] = strtoll(p, &end, 10);
		if (end == p)
			return NULL;
		p = end;
		if (*p != ',')
			break;
		p++;
	}
	if (*p != ']')
		return NULL;
	*id = (int64_t)v[0];
	if (mentions)
		*mentions = (int)v[1];
	if (given)
		*given = (int)v[2];
	return p + 1;
}

int64_t store_rid_min(int64_t t)
{
	return t * ((int64_t)1 << STORE_RID_SHIFT);
}

int64_t store_rid_max(int64_t t)
{
	return (t + 1) * ((int64_t)1 << STORE_RID_SHIFT) - 1;
}

int64_t store_rid_date(int64_t rid)
{
	int64_t d = (int64_t)1 << STORE_RID_SHIFT;
	int64_t q = rid / d;

	/* floor division: rids of pre-1970 dates are negative */
	if (rid % d != 0 && rid < 0)
		q--;
	return q;
}

const char *store_error_reason(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return "the disk is full: the database cannot grow";
	case SQLITE_READONLY:
		return "the database is read-only";
	case SQLITE_IOERR:
		return "an I/O error occurred on the database file";
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "the database is busy (another writer holds it)";
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return "the database file is corrupt or not a newsd database";
	case SQLITE_CANTOPEN:
		return "the database file cannot be opened";
	case SQLITE_INTERRUPT:
		return "the query was interrupted";
	case SQLITE_NOMEM:
		return "out of memory";
	case SQLITE_PERM:
		return "permission denied on the database file";
	default:
		return "internal database error";
	}
}

/* Record a readable message for rc; the raw SQLite text goes only to the server log. */
static int db_error(struct store *s, int rc, const char *what, char **errmsg)
{
	log_warn("database: %s: sqlite error %d: %s", what, rc,
		 s && s->db ? sqlite3_errmsg(s->db) : "no connection");
	return set_error(errmsg, "%s: %s", what, store_error_reason(rc));
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql, char **errmsg)
{
	sqlite3_stmt *st;
	int i, rc;

	for (i = 0; i < s->nstmts; i++)
		if (s->stmts[i].sql == sql || strcmp(s->stmts[i].sql, sql) == 0) {
			sqlite3_reset(s->stmts[i].stmt);
			sqlite3_clear_bindings(s->stmts[i].stmt);
			return s->stmts[i].stmt;
		}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		db_error(s, rc, "preparing a statement", errmsg);
		return NULL;
	}
	if (s->nstmts == STMT_CACHE) {
		/* full: evict the oldest; statements are few and fixed, this is a safety net */
		sqlite3_finalize(s->stmts[0].stmt);
		memmove(&s->stmts[0], &s->stmts[1], sizeof(s->stmts[0]) * (STMT_CACHE - 1));
		s->nstmts--;
	}
	s->stmts[s->nstmts].sql = sql;
	s->stmts[s->nstmts].stmt = st;
	s->nstmts++;
	return st;
}

static int exec(struct store *s, const char *sql, const char *what, char **errmsg)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_error(s, rc, what, errmsg);
}

/* A single integer from a one-column query, or dflt when no row. -1 on error. */
static int query_int(struct store *s, const char *sql, int64_t *out, int64_t dflt)
{
	sqlite3_stmt *st = store_stmt(s, sql, NULL);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_type(st, 0) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*out = dflt;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int create_schema(struct store *s, const char *stemming, char **errmsg)
{
	struct buf sql = { 0 };
	int rc = -1;
	sqlite3_stmt *st;
	/* langtok.h: porter for English as before, Snowball for the other languages; surface.h:
	 * each word as written beside its stem, for prefixes (without stemming the words are
	 * as written already) */
	const char *tok = strcmp(stemming, "none") == 0 ? LANGTOK_NAME " none" :
			  SURFACE_MARKS_TOKENIZER " " LANGTOK_NAME;

	if (exec(s, "BEGIN IMMEDIATE", "creating the schema", errmsg) < 0)
		return -1;
	if (exec(s, schema_sql, "creating the schema", errmsg) < 0 ||
	    dedup_schema(s->db, errmsg) < 0 || terms_schema(s->db, 1, errmsg) < 0 ||
	    watch_schema(s->db, errmsg) < 0)	/* watch: the change log, saved watches */
		goto out;
	/* the bodies are stored compressed (zbody.h): FTS5 reads them through a view */
	buf_printf(&sql, "CREATE VIEW article_text(rid, title, body, tags) AS SELECT rid, title,"
		   " newsd_text(body), tags FROM article;"
		   "CREATE VIRTUAL TABLE fts USING fts5(title, body, tags, content='article_text',"
		   " content_rowid='rid', tokenize='%s');"
		   "PRAGMA application_id = %d;", tok, STORE_APPLICATION_ID);
	if (exec(s, sql.data, "creating the search index", errmsg) < 0)
		goto out;
	st = store_stmt(s, "INSERT INTO meta(key, value) VALUES (?1, ?2)", errmsg);
	if (st == NULL)
		goto out;
	sqlite3_bind_text(st, 1, "schema_version", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, STORE_SCHEMA_VERSION);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "stemming", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, stemming, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "created_at", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_reset(st);
	if (exec(s, "COMMIT", "creating the schema", errmsg) < 0)
		goto out;
	rc = 0;
	goto out;
fail:
	db_error(s, sqlite3_errcode(s->db), "creating the schema", errmsg);
out:
	if (rc < 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	buf_free(&sql);
	return rc;
}

/*
 * Schema 1 → 2: an article's entities move from article_entity (two b-trees keyed by rid and
 * by entity, each insert of a backfill a random page of both) into article.ents, and each
 * entity's article count into entity.n; entity → articles is the FTS5 doclist of "0e<id>".
 * One transaction; the file stays schema 1 if anything fails.
 */
static int migrate_v1(struct store *s, const char *path, char **errmsg)
{
	static const char *const sql =
		"BEGIN IMMEDIATE;"
		"ALTER TABLE article ADD COLUMN ents TEXT;"
		"UPDATE article SET ents = (SELECT json_group_array(json_array(entity_id, mentions,"
		" given)) FROM (SELECT entity_id, mentions, given FROM article_entity ae"
		" WHERE ae.rid = article.rid ORDER BY entity_id))"
		" WHERE rid IN (SELECT rid FROM article_entity);"
		"ALTER TABLE entity ADD COLUMN n INTEGER NOT NULL DEFAULT 0;"
		"UPDATE entity SET n = (SELECT count(*) FROM article_entity WHERE entity_id = entity.id);"
		"DROP TABLE article_entity;"
		"CREATE INDEX IF NOT EXISTS article_version ON article(version);"
		"UPDATE meta SET value = 2 WHERE key = 'schema_version';"
		"COMMIT;";
	int rc;

	log_info("%s: upgrading the schema from version 1 to 2 (entities per article)", path);
	rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		db_error(s, rc, "upgrading the schema", errmsg);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/*
 * Schema 2 → 3: articles per language (lang_count), counted from the article rows in one
 * transaction. The search index itself is not rebuilt: a schema-2 file was tokenized with
 * 'porter unicode61 remove_diacritics 2' and stays English-stemmed (and without language
 * filters) until it is indexed again into a new file; store_open says how.
 */
static int migrate_v2(struct store *s, const char *path, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	log_info("%s: upgrading the schema from version 2 to 3 (articles per language)", path);
	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE;" LANG_COUNT_SQL, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db, "SELECT lang, count(*) FROM article GROUP BY 1", -1,
					&st, NULL);
	s->has_lang_count = 1;
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = lang_count_add(s, (const char *)sqlite3_column_text(st, 0),
				    sqlite3_column_int(st, 1), NULL) < 0 ?
		     sqlite3_errcode(s->db) : SQLITE_OK;
	sqlite3_finalize(st);
	s->has_lang_count = 0;
	if (rc == SQLITE_DONE)
		rc = sqlite3_exec(s->db, "UPDATE meta SET value = 3 WHERE key = 'schema_version';"
				  "COMMIT;", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		db_error(s, rc, "upgrading the schema", errmsg);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* Check the file is ours and of a schema we read; create it when empty and writable. */
static int check_schema(struct store *s, const struct store_options *opt, const char *path,
			char **errmsg)
{
	int64_t appid, nobj, ver;

	if (query_int(s, "PRAGMA application_id", &appid, 0) < 0 ||
	    query_int(s, "SELECT count(*) FROM sqlite_schema", &nobj, 0) < 0)
		return set_error(errmsg, "%s: %s", path,
				 store_error_reason(sqlite3_errcode(s->db)));
	if (nobj == 0 && appid == 0) {
		if (s->mode != STORE_WRITE)
			return set_error(errmsg, "%s: the database is empty; index some articles "
					 "first (newsd index)", path);
		return create_schema(s, opt && opt->stemming ? opt->stemming : "porter", errmsg);
	}
	if (appid != STORE_APPLICATION_ID)
		return set_error(errmsg, "%s is not a newsd database (application_id %lld)", path,
				 (long long)appid);
	if (query_int(s, "SELECT value FROM meta WHERE key = 'schema_version'", &ver, 0) < 0)
		return set_error(errmsg, "%s: cannot read the schema version: %s", path,
				 store_error_reason(sqlite3_errcode(s->db)));
	if (ver > STORE_SCHEMA_VERSION)
		return set_error(errmsg, "%s was written by a newer newsd (schema %lld); this "
				 "newsd reads schema %d", path, (long long)ver,
				 STORE_SCHEMA_VERSION);
	if (ver < 1)
		return set_error(errmsg, "%s: missing or invalid schema version", path);
	if (ver == 1 && s->mode != STORE_WRITE)
		return set_error(errmsg, "%s has the schema of an older newsd (1); open it once "
				 "with newsd serve or newsd index to upgrade it", path);
	if (ver == 1 && migrate_v1(s, path, errmsg) < 0)
		return -1;
	/* a schema-2 file is read as it is (no lang_count) until a writer upgrades it */
	if (ver <= 2 && s->mode == STORE_WRITE && migrate_v2(s, path, errmsg) < 0)
		return -1;
	return 0;
}

/* How the fts table tokenizes: 1 with the "newsd" tokenizer (per language), 0 with the
 * schema-2 tokenizers; whether it stems (stemming != none) in *stems, indexes the words as
 * written (surface.h) in *surface, reads compressed bodies through article_text (zbody.h)
 * in *zbody. */
static int fts_is_multilang(struct store *s, int *stems, int *surface, int *zbody)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT sql FROM sqlite_schema WHERE name = 'fts'", NULL);
	const char *sql;
	int multi = 0;

	*stems = 1;
	*surface = 0;
	*zbody = 0;
	if (st && sqlite3_step(st) == SQLITE_ROW && (sql = (const char *)sqlite3_column_text(st, 0))) {
		multi = strstr(sql, "tokenize='" LANGTOK_NAME) != NULL;
		*surface = strstr(sql, "tokenize='" SURFACE_TOKENIZER " ") != NULL ||
			   strstr(sql, "tokenize='" SURFACE_MARKS_TOKENIZER " ") != NULL;
		*zbody = strstr(sql, "content='article_text'") != NULL;
		*stems = strstr(sql, "porter") != NULL ||
			 (multi && strstr(sql, "tokenize='" LANGTOK_NAME " none'") == NULL);
	}
	if (st)
		sqlite3_reset(st);
	return multi;
}

/* Process-wide SQLite settings, before the library initialises: no global memory statistics
 * (their mutex serialises every malloc of every HTTP thread), connections used by one thread
 * at a time. */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3_initialize();
}

/*
 * Files from before term_df gain it empty. Complete from the start when they hold no article
 * yet; otherwise marked incomplete until newsd optimize counts every article (terms.h).
 */
static int words_table(struct store *s, char **errmsg)
{
	int64_t has, empty;

	if (query_int(s, "SELECT count(*) FROM sqlite_schema WHERE name = 'term_df'", &has, 0) < 0 ||
	    query_int(s, "SELECT NOT EXISTS (SELECT 1 FROM article)", &empty, 0) < 0)
		return db_error(s, sqlite3_errcode(s->db), "opening the database", errmsg);
	if (has)
		return 0;
	if (empty == 0)
		log_warn("the word counts of this database are new: IDFs are read from the index "
			 "(slower) until newsd optimize counts every article");
	return terms_schema(s->db, (int)empty, errmsg);
}

int store_open(const char *path, enum store_mode mode, const struct store_options *opt,
	       struct store **out, char **errmsg)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct store *s;
	char pragmas[256];
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	pthread_once(&once, sqlite_setup);
	s = xcalloc(1, sizeof(*s));
	*out = NULL;
	s->mode = mode;
	s->title_weight = opt && opt->title_weight > 0 ? opt->title_weight : 4.0;
	if (mode == STORE_WRITE)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		set_error(errmsg, "cannot open database %s: %s", path,
			  s->db ? sqlite3_errmsg(s->db) : store_error_reason(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, opt && opt->busy_timeout_ms ? opt->busy_timeout_ms : 10000);
	/* WAL: readers never block the writer nor each other. synchronous=FULL on the writer:
	 * a COMMIT returns only after the WAL is on disk, so an acknowledged write survives a
	 * power loss, not only a crash. No memory map: the page cache (cache_mb per connection)
	 * is as fast here, and it keeps the resident size bounded and flat as the file grows. */
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;"
		 "PRAGMA journal_size_limit=67108864;"
		 "PRAGMA cache_size=-%d; PRAGMA mmap_size=0; PRAGMA temp_store=MEMORY;",
		 (opt && opt->cache_mb > 0 ? opt->cache_mb : 64) * 1024);
	rc = sqlite3_exec(s->db, pragmas, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
			set_error(errmsg, "%s is not a newsd database, or it is corrupt", path);
		else
			set_error(errmsg, "cannot open database %s: %s", path,
				  store_error_reason(rc));
		goto fail;
	}
	/* before any statement reads the fts table, which names the tokenizers */
	s->lt = langtok_register(s->db, errmsg);
	if (s->lt == NULL || surface_register(s->db, errmsg) < 0 ||
	    zbody_register(s->db, errmsg) < 0 ||
	    check_schema(s, opt, path, errmsg) < 0)
		goto fail;
	if (mode == STORE_READ &&
	    exec(s, "PRAGMA query_only=1", "opening the database", errmsg) < 0)
		goto fail;
	/* older files gain the wire-copy tables and the version index (IF NOT EXISTS) */
	if (mode == STORE_WRITE && (dedup_schema(s->db, errmsg) < 0 ||
				    exec(s, "CREATE INDEX IF NOT EXISTS article_version ON"
					 " article(version)", "opening the database", errmsg) < 0))
		goto fail;
	if (mode == STORE_WRITE && words_table(s, errmsg) < 0)
		goto fail;
	/* a bulk load killed before its end left its merge settings */
	if (mode == STORE_WRITE && fts_merge_defaults(s, errmsg) < 0)
		goto fail;
	/* watch: older files gain the change log and the saved watches (IF NOT EXISTS) */
	if (mode == STORE_WRITE && watch_schema(s->db, errmsg) < 0)
		goto fail;
	if (snippet_register(s->db, errmsg) < 0 || rank_register(s->db, errmsg) < 0)
		goto fail;
	{
		int stems;
		int64_t has = 0;

		s->multilang = fts_is_multilang(s, &stems, &s->surface, &s->zbody);
		if (query_int(s, "SELECT count(*) FROM sqlite_schema WHERE name = 'lang_count'",
			      &has, 0) < 0)
			goto fail_db;
		s->has_lang_count = has > 0;
		if (!s->multilang && mode == STORE_WRITE)
			log_warn("%s: this database was created before per-language stemming: every "
				 "article stays stemmed as English and /search cannot filter by lang. To "
				 "stem each language its own way, index it again into a new file "
				 "(newsd reindex --db %s NEW.db) and serve that one "
				 "(docs/DESIGN.md, Languages)", path, path);
		else if (!s->surface && stems && mode == STORE_WRITE)
			log_warn("%s: this database was created before prefixes matched the words "
				 "as written: a prefix such as immigrat* finds only the words whose "
				 "stem begins so. To index the words as written too, index it again "
				 "into a new file (newsd reindex --db %s NEW.db) and serve that one "
				 "(docs/DESIGN.md, Prefixes as written)", path, path);
		s->terms = terms_open(s->db, s->lt, s->multilang, stems, errmsg);
		if (s->terms == NULL)
			goto fail;
	}
	*out = s;
	return 0;
fail_db:
	db_error(s, sqlite3_errcode(s->db), "opening the database", errmsg);
fail:
	store_close(s);
	return -1;
}

void store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	checkpointer_stop(s);
	for (i = 0; i < s->nstmts; i++)
		sqlite3_finalize(s->stmts[i].stmt);
	strmap_clear(&s->entity_ids);
	strmap_clear(&s->alias_pairs);
	dedup_close(s->dedup);
	terms_close(s->terms);
	zbody_free(s->z);
	buf_free(&s->zbuf);
	retags_free(&s->retags);
	if (s->db)
		sqlite3_close(s->db);
	free(s);
}

void store_low_memory(struct store *s)
{
	sqlite3_exec(s->db, "PRAGMA cache_size=-1024", NULL, NULL, NULL);
}

struct langtok *store_langtok(struct store *s)
{
	return s->lt;
}

struct zbody *store_zbody(struct store *s)
{
	if (s->z == NULL)
		s->z = zbody_new();
	return s->z;
}

int store_packs_bodies(const struct store *s)
{
	return s && s->zbody;
}

int store_words_as_written(const struct store *s)
{
	return s->surface;
}

int store_multilang(const struct store *s)
{
	return s->multilang;
}

uint64_t store_lang_mask(struct store *s)
{
	sqlite3_stmt *st;
	uint64_t m = 0;
	int64_t total;

	if (!s->multilang || !s->has_lang_count)
		return UINT64_C(1) << LANG_EN_BIT;
	/* The languages a query's words are stemmed in when it names none: those with 1,000
	 * articles or 1 % of them. Each more stem makes every word a set of colocated
	 * synonyms, whose document count is no one row of term_df: IDFs by doclist scans, and
	 * no bounds (search.c). At 1M scale articles five misdetected ones (de, fr, nl) made
	 * "trade deficit" 8 -> 28 ms. A rarer language is stemmed when lang= names it. */
	st = store_stmt(s, "SELECT lang, n, (SELECT sum(n) FROM lang_count) FROM lang_count"
			" WHERE n > 0", NULL);
	if (st == NULL)
		return UINT64_C(1) << LANG_EN_BIT;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t n = sqlite3_column_int64(st, 1);

		total = sqlite3_column_int64(st, 2);
		if (n >= LANG_QUERY_MIN || n * 100 >= total)
			m |= lang_bit((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	return m ? m : UINT64_C(1) << LANG_EN_BIT;
}

void store_use_langs(struct store *s, uint64_t mask)
{
	langtok_set_query(s->lt, mask ? mask : store_lang_mask(s));
}

sqlite3 *store_db(struct store *s)
{
	return s->db;
}

double store_title_weight(const struct store *s)
{
	return s->title_weight;
}

int store_begin(struct store *s, char **errmsg)
{
	if (exec(s, "BEGIN IMMEDIATE", "starting a write", errmsg) < 0)
		return -1;
	s->in_txn = 1;
	dedup_begin(s->dedup);
	return 0;
}

int store_commit(struct store *s, int64_t added, int64_t updated, int64_t removed,
		 int64_t *version, char **errmsg)
{
	sqlite3_stmt *st;
	int rc;

	if (added == 0 && updated == 0 && removed == 0) {
		/* nothing changed: no new version (a version is a batch that changed the index) */
		store_rollback(s);
		*version = store_index_version(s);
		return 0;
	}
	if (store_job_flush(s, errmsg) < 0)
		goto fail;
	st = store_stmt(s, "INSERT INTO version(committed_at, added, updated, removed)"
			" VALUES (?1, ?2, ?3, ?4)", errmsg);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 2, added);
	sqlite3_bind_int64(st, 3, updated);
	sqlite3_bind_int64(st, 4, removed);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(s, rc, "recording the index version", errmsg);
		goto fail;
	}
	*version = sqlite3_last_insert_rowid(s->db);
	rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		db_error(s, rc, "committing", errmsg);
		goto fail;
	}
	s->in_txn = 0;
	/* the batch is committed whatever this says: a failure only keeps the last interval */
	if (s->bulk)
		bulk_checkpoint_interval(s, NULL);
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int store_job_flush(struct store *s, char **errmsg)
{
	if (retags_flush(s, errmsg) < 0)
		return -1;
	return terms_flush(s->terms, errmsg);
}

void store_job_discard(struct store *s)
{
	retags_clear(&s->retags);
	terms_discard(s->terms);
	/* entities and aliases the job added are rolled back with it: forget their ids */
	strmap_clear(&s->entity_ids);
	strmap_clear(&s->alias_pairs);
}

struct terms *store_terms(struct store *s)
{
	return s->terms;
}

void store_rollback(struct store *s)
{
	store_job_discard(s);
	if (s->in_txn || !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = 0;
}

/* Step a write statement to completion; 0 or -1 with a readable message. */
static int step_done(struct store *s, sqlite3_stmt *st, const char *what, char **errmsg)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(s, rc, what, errmsg);
	return 0;
}

static int source_id(struct store *s, const char *name, int64_t *id, char **errmsg)
{
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(s, "SELECT id FROM source WHERE name = ?1", errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "looking up a source", errmsg);
	st = store_stmt(s, "INSERT INTO source(name) VALUES (?1)", errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (step_done(s, st, "adding a source", errmsg) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* Entity id for a normalised name of a type through the alias table; 0 when unknown. */
static int alias_lookup(struct store *s, const char *norm, int type, int64_t *id, char **errmsg)
{
	sqlite3_stmt *st;
	int rc;

	char key[1100];

	*id = 0;
	snprintf(key, sizeof(key), "%d:%s", type, norm);
	if (strmap_get(&s->entity_ids, key, id))
		return 0;
	st = store_stmt(s, "SELECT a.entity_id FROM entity_alias a JOIN entity e ON e.id = a.entity_id"
			" WHERE a.norm = ?1 AND e.type = ?2 ORDER BY a.entity_id LIMIT 1", errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, type);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(s, rc, "resolving an entity", errmsg);
	if (*id)
		strmap_put(&s->entity_ids, key, *id);
	return 0;
}

static int alias_add(struct store *s, const char *norm, int64_t id, const char *alias,
		     char **errmsg)
{
	sqlite3_stmt *st;
	char key[1100];
	int64_t seen;

	if (norm[0] == '\0')
		return 0;
	snprintf(key, sizeof(key), "%lld:%s", (long long)id, norm);
	if (strmap_get(&s->alias_pairs, key, &seen))
		return 0;
	strmap_put(&s->alias_pairs, key, 1);
	st = store_stmt(s, "INSERT OR IGNORE INTO entity_alias(norm, entity_id, alias)"
			" VALUES (?1, ?2, ?3)", errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_text(st, 3, alias, -1, SQLITE_STATIC);
	return step_done(s, st, "recording an alias", errmsg);
}

/*
 * Resolve a mention to an entity id: its name, then each alias, through the alias table
 * (so "ICE" finds the agency once any article introduced it); otherwise a new entity. Every
 * surface form is then recorded as an alias of the id. *id = 0 for a name that normalises to
 * nothing.
 */
static int resolve_entity(struct store *s, const struct entity_mention *m, int64_t *id,
			  char **errmsg)
{
	char *norm = entity_norm(m->name);
	char *anorm = NULL;
	sqlite3_stmt *st;
	size_t i;
	int rc = -1;

	*id = 0;
	if (norm[0] == '\0') {
		rc = 0;
		goto out;
	}
	if (alias_lookup(s, norm, m->type, id, errmsg) < 0)
		goto out;
	for (i = 0; *id == 0 && i < m->naliases; i++) {
		free(anorm);
		anorm = entity_norm(m->aliases[i]);
		if (anorm[0] && alias_lookup(s, anorm, m->type, id, errmsg) < 0)
			goto out;
	}
	if (*id == 0) {
		/* (type, norm) is new: its norm is always recorded as an alias, and the alias
		 * lookup above found none */
		st = store_stmt(s, "INSERT INTO entity(type, name, norm) VALUES (?1, ?2, ?3)", errmsg);
		if (st == NULL)
			goto out;
		sqlite3_bind_int(st, 1, m->type);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, norm, -1, SQLITE_STATIC);
		if (step_done(s, st, "adding an entity", errmsg) < 0)
			goto out;
		*id = sqlite3_last_insert_rowid(s->db);
		{
			char key[1100];

			snprintf(key, sizeof(key), "%d:%s", m->type, norm);
			strmap_put(&s->entity_ids, key, *id);
		}
	}
	if (alias_add(s, norm, *id, m->name, errmsg) < 0)
		goto out;
	for (i = 0; i < m->naliases; i++) {
		free(anorm);
		anorm = entity_norm(m->aliases[i]);
		if (alias_add(s, anorm, *id, m->aliases[i], errmsg) < 0)
			goto out;
	}
	rc = 0;
out:
	free(norm);
	free(anorm);
	return rc;
}

int store_set_dedup(struct store *s, int on)
{
	if (on && s->dedup == NULL && s->mode == STORE_WRITE)
		s->dedup = dedup_open(s->db);
	else if (!on && s->dedup) {
		dedup_close(s->dedup);
		s->dedup = NULL;
	}
	return on && s->dedup == NULL ? -1 : 0;
}

int64_t store_last_dup_of(const struct store *s)
{
	return s->last_dup;
}

/*
 * Add (remove = 0) or remove an article's row in the FTS index, from the values in its article
 * row, with the tags given instead of the row's when tags is not NULL (external content: a
 * delete must be given the values that were indexed). Single-row VALUES inserts, never
 * INSERT … SELECT: see retag.
 */
static int fts_row(struct store *s, int64_t rid, int remove, const char *tags, const char *what,
		   char **errmsg)
{
	sqlite3_stmt *row, *st;
	int rc, i;

	row = store_stmt(s, "SELECT title, newsd_text(body), tags, lang FROM article WHERE rid = ?1",
			 errmsg);
	st = store_stmt(s, remove ? "INSERT INTO fts(fts, rowid, title, body, tags)"
			" VALUES ('delete', ?1, ?2, ?3, ?4)" :
			"INSERT INTO fts(rowid, title, body, tags) VALUES (?1, ?2, ?3, ?4)", errmsg);
	if (row == NULL || st == NULL)
		return -1;
	sqlite3_bind_int64(row, 1, rid);
	rc = sqlite3_step(row);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(row);
		return rc == SQLITE_DONE ? 0 : db_error(s, rc, what, errmsg);
	}
	sqlite3_bind_int64(st, 1, rid);
	for (i = 0; i < 2; i++)
		sqlite3_bind_value(st, i + 2, sqlite3_column_value(row, i));
	if (tags)
		sqlite3_bind_text(st, 4, tags, -1, SQLITE_STATIC);
	else
		sqlite3_bind_value(st, 4, sqlite3_column_value(row, 2));
	/* the row's words as they were indexed: in its language (langtok.h) */
	langtok_set_doc(s->lt, (const char *)sqlite3_column_text(row, 3));
	rc = step_done(s, st, what, errmsg);
	langtok_set_doc(s->lt, NULL);
	sqlite3_reset(row);
	return rc;
}

static size_t retag_hash(int64_t rid, size_t nslots)
{
	return (size_t)(((uint64_t)rid * 0x9e3779b97f4a7c15ULL) >> 32) & (nslots - 1);
}

/* The pending re-tag of rid, or NULL. */
static struct retag_entry *retag_find(struct retags *r, int64_t rid)
{
	size_t i;

	if (r->n == 0)
		return NULL;
	for (i = retag_hash(rid, r->nslots); r->slots[i] >= 0; i = (i + 1) & (r->nslots - 1))
		if (r->v[r->slots[i]].rid == rid)
			return &r->v[r->slots[i]];
	return NULL;
}

static void retag_add(struct retags *r, int64_t rid, const char *indexed_tags)
{
	size_t i, j;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n].rid = rid;
	r->v[r->n].indexed_tags = xstrdup(indexed_tags);
	r->n++;
	if (r->n * 2 > r->nslots) {
		free(r->slots);
		r->nslots = r->nslots ? r->nslots * 2 : 128;
		while (r->n * 2 > r->nslots)
			r->nslots *= 2;
		r->slots = xmalloc(r->nslots * sizeof(*r->slots));
		memset(r->slots, 0xff, r->nslots * sizeof(*r->slots));
		for (j = 0; j < r->n; j++) {
			for (i = retag_hash(r->v[j].rid, r->nslots); r->slots[i] >= 0;
			     i = (i + 1) & (r->nslots - 1))
				;
			r->slots[i] = (int32_t)j;
		}
		return;
	}
	for (i = retag_hash(rid, r->nslots); r->slots[i] >= 0; i = (i + 1) & (r->nslots - 1))
		;
	r->slots[i] = (int32_t)(r->n - 1);
}

static void retags_clear(struct retags *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].indexed_tags);
	if (r->n)
		memset(r->slots, 0xff, r->nslots * sizeof(*r->slots));
	r->n = 0;
}

static void retags_free(struct retags *r)
{
	retags_clear(r);
	free(r->v);
	free(r->slots);
	memset(r, 0, sizeof(*r));
}

static int retag_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct retag_entry *)a)->rid, y = ((const struct retag_entry *)b)->rid;

	return x < y ? -1 : x > y;
}

/*
 * Bring the FTS rows of the re-tagged articles to their article rows: every delete, then every
 * insert, each in rid order. FTS5 writes its pending terms out as a new segment whenever a
 * rowid is not above the last one written or writing turns from inserts to deletes; re-tagged
 * rows are older than the new ones, so doing this per article wrote (and later merged) a
 * segment per re-tag, most of a random-order load's merging.
 */
static int retags_flush(struct store *s, char **errmsg)
{
	struct retags *r = &s->retags;
	sqlite3_stmt *st;
	size_t i;
	int rc = 0, pass;

	if (r->n == 0)
		return 0;
	qsort(r->v, r->n, sizeof(*r->v), retag_cmp);
	/* a row whose tags came back to what was indexed (demoted, then promoted) stays */
	st = store_stmt(s, "SELECT tags FROM article WHERE rid = ?1", errmsg);
	if (st == NULL)
		rc = -1;
	for (i = 0; rc == 0 && i < r->n; i++) {
		if (r->v[i].indexed_tags == NULL)
			continue;
		sqlite3_bind_int64(st, 1, r->v[i].rid);
		if (sqlite3_step(st) != SQLITE_ROW ||
		    strcmp((const char *)sqlite3_column_text(st, 0), r->v[i].indexed_tags) == 0) {
			free(r->v[i].indexed_tags);
			r->v[i].indexed_tags = NULL;
		}
		sqlite3_reset(st);
	}
	for (pass = 1; pass >= 0; pass--)
		for (i = 0; rc == 0 && i < r->n; i++)
			if (r->v[i].indexed_tags &&
			    fts_row(s, r->v[i].rid, pass, pass ? r->v[i].indexed_tags : NULL,
				    "re-tagging a wire copy", errmsg) < 0)
				rc = -1;
	retags_clear(r);
	return rc;
}

/*
 * Another article's copy status changed (dedup promoted it to a group's root, or demoted it to
 * a copy): rewrite its tags, so collapse=dups stays exact. The article row changes now; its
 * FTS row at the end of the job or batch (retags_flush), remembering the tags it has there.
 */
static int retag(struct store *s, int64_t rid, int is_copy, char **errmsg)
{
	struct retag_entry *pend;
	sqlite3_stmt *st;

	pend = retag_find(&s->retags, rid);
	if (pend == NULL || pend->indexed_tags == NULL) {
		/* first re-tag of this row in the job, or of a new row under the same rid */
		st = store_stmt(s, "SELECT tags FROM article WHERE rid = ?1", errmsg);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, rid);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *tags = (const char *)sqlite3_column_text(st, 0);

			if (pend)
				pend->indexed_tags = xstrdup(tags);
			else
				retag_add(&s->retags, rid, tags);
		}
		sqlite3_reset(st);
	}
	/* the version moves too: the row changed (its length by one token), and the rank's
	 * length cache (rank.h) picks up the rows written since a version */
	st = store_stmt(s, is_copy ?
			"UPDATE article SET tags = tags || ' 0d', version = (SELECT coalesce(max(v), 0)"
			" + 1 FROM version) WHERE rid = ?1 AND instr(tags, ' 0d') = 0" :
			"UPDATE article SET tags = replace(tags, ' 0d', ''), version = (SELECT"
			" coalesce(max(v), 0) + 1 FROM version) WHERE rid = ?1", errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rid);
	return step_done(s, st, "re-tagging a wire copy", errmsg);
}

/* Articles per UTC day, kept with every write: the denominators of /timeline's ratio. */
static int day_count_add(struct store *s, int64_t date, int delta, char **errmsg)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO day_count(day, n) VALUES (?1, ?2)"
				      " ON CONFLICT(day) DO UPDATE SET n = n + excluded.n", errmsg);
	int64_t day = date >= 0 ? date / 86400 : -((-date + 86399) / 86400);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, day);
	sqlite3_bind_int(st, 2, delta);
	return step_done(s, st, "counting articles per day", errmsg);
}

/* Articles per language (lang_count), kept with every write; NULL/"" counts as English. */
static int lang_count_add(struct store *s, const char *lang, int delta, char **errmsg)
{
	sqlite3_stmt *st;
	char code[3];

	if (!s->has_lang_count)
		return 0;
	/* rows of schema-2 files hold lang as it was given */
	if (lang_normalize(lang, code) < 0)
		memcpy(code, LANG_DEFAULT, 3);
	st = store_stmt(s, "INSERT INTO lang_count(lang, n) VALUES (?1, ?2)"
			" ON CONFLICT(lang) DO UPDATE SET n = n + excluded.n", errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, delta);
	return step_done(s, st, "counting articles per language", errmsg);
}

/* entity.n of every entity in an article's ents ("[[id, mentions, given], …]") += delta. */
static int count_ents(struct store *s, const char *ents, int delta, char **errmsg)
{
	sqlite3_stmt *st;
	const char *p = ents;
	int64_t id;

	if (ents == NULL)
		return 0;
	st = store_stmt(s, "UPDATE entity SET n = n + ?2 WHERE id = ?1", errmsg);
	if (st == NULL)
		return -1;
	while ((p = store_ents_next(p, &id, NULL, NULL)) != NULL) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, delta);
		if (step_done(s, st, "counting an entity's articles", errmsg) < 0)
			return -1;
	}
	return 0;
}

/* Remove an article's rows from fts and article, given its rid; its entities count one less. */
static int remove_rid(struct store *s, int64_t rid, char **errmsg)
{
	struct retag_entry *pend;
	sqlite3_stmt *st;
	int64_t promoted = 0;

	/* when rid was the root of a group of copies, its earliest copy becomes the root */
	if (s->dedup && (dedup_remove(s->dedup, rid, &promoted, errmsg) < 0 ||
			 (promoted && retag(s, promoted, 0, errmsg) < 0)))
		return -1;

	/* a re-tag still pending: the FTS row holds the tags from before it */
	pend = retag_find(&s->retags, rid);
	if (fts_row(s, rid, 1, pend ? pend->indexed_tags : NULL,
		    "removing an article from the index", errmsg) < 0)
		return -1;
	if (pend) {
		free(pend->indexed_tags);
		pend->indexed_tags = NULL;
	}
	st = store_stmt(s, "DELETE FROM article WHERE rid = ?1"
			" RETURNING ents, title, newsd_text(body), lang", errmsg);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rid);
	{
		char *ents = NULL, lang[4] = "";
		int rc = sqlite3_step(st);

		if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
			ents = xstrdup((const char *)sqlite3_column_text(st, 0));
		if (rc == SQLITE_ROW) {
			/* the old row's words, in the old row's language */
			if (sqlite3_column_type(st, 3) == SQLITE_TEXT)
				snprintf(lang, sizeof(lang), "%s",
					 (const char *)sqlite3_column_text(st, 3));
			terms_add(s->terms, lang, (const char *)sqlite3_column_text(st, 1),
				  (const char *)sqlite3_column_text(st, 2), -1);
		}
		while (rc == SQLITE_ROW)
			rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			free(ents);
			return db_error(s, rc, "removing an article", errmsg);
		}
		rc = count_ents(s, ents, -1, errmsg);
		free(ents);
		if (rc < 0 || lang_count_add(s, lang, -1, errmsg) < 0)
			return -1;
	}
	return day_count_add(s, store_rid_date(rid), -1, errmsg);
}

static int find_rid(struct store *s, const char *id, int64_t *rid, char **errmsg)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT rid FROM article WHERE id = ?1", errmsg);
	int rc;

	*rid = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*rid = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, rc, "looking up an article", errmsg);
}

/* A free rid in the article's date second: one past the largest used. */
static int alloc_rid(struct store *s, int64_t date, int64_t *rid, char **errmsg)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT max(rid) FROM article WHERE rid BETWEEN ?1 AND ?2",
				      errmsg);
	int64_t lo = store_rid_min(date), hi = store_rid_max(date);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_error(s, sqlite3_errcode(s->db), "allocating a row", errmsg);
		sqlite3_reset(st);
		return -1;
	}
	*rid = sqlite3_column_type(st, 0) == SQLITE_NULL ? lo : sqlite3_column_int64(st, 0) + 1;
	sqlite3_reset(st);
	if (*rid > hi)
		return set_error(errmsg, "more than %d articles share the date second",
				 1 << STORE_RID_SHIFT);
	return 0;
}

/* One entity of an article, after resolution. */
struct article_ent {
	int64_t id;
	int given;
	int mentions;
};

static int cmp_ent(const void *a, const void *b)
{
	int64_t x = ((const struct article_ent *)a)->id, y = ((const struct article_ent *)b)->id;

	return x < y ? -1 : x > y;
}

/*
 * Resolve every mention to an entity id, then merge mentions that resolved to the same
 * entity (sorted by id: the tags string and the ents list are written in order).
 */
static int resolve_all(struct store *s, const struct article *a, struct article_ent **out,
		       size_t *nout, char **errmsg)
{
	struct article_ent *e = xcalloc(a->nents + 1, sizeof(*e));
	size_t i, n = 0, k;

	for (i = 0; i < a->nents; i++) {
		int64_t eid;

		if (resolve_entity(s, &a->ents[i], &eid, errmsg) < 0) {
			free(e);
			return -1;
		}
		if (eid == 0)
			continue;
		e[n].id = eid;
		e[n].given = a->ents[i].given ? 1 : 0;
		e[n].mentions = a->ents[i].count > 0 ? a->ents[i].count : 1;
		n++;
	}
	qsort(e, n, sizeof(*e), cmp_ent);
	for (i = 0, k = 0; i < n; i++) {
		if (k > 0 && e[k - 1].id == e[i].id) {
			e[k - 1].given |= e[i].given;
			e[k - 1].mentions += e[i].mentions;
		} else {
			e[k++] = e[i];
		}
	}
	*out = e;
	*nout = k;
	return 0;
}

int store_put_article(struct store *s, const struct article *a, int *updated, char **errmsg)
{
	struct buf tags = { 0 }, elist = { 0 };
	char lang[3];
	int64_t rid = 0, old_rid, src = 0, version;
	struct article_ent *ents = NULL;
	size_t i, n = 0, nzb;
	const char *zb;
	sqlite3_stmt *st;
	int found, rc = -1;

	*updated = 0;
	/* the language code, normalised or detected (the bulk pipeline did it ahead) */
	if (lang_normalize(a->lang, lang) < 0)
		langdetect_article(a->title, a->body, lang);
	found = find_rid(s, a->id, &old_rid, errmsg);
	if (found < 0)
		goto out;
	if (found) {
		*updated = 1;
		if (remove_rid(s, old_rid, errmsg) < 0)
			goto out;
		/* same date second: keep the rid, so its place in date order stays stable */
		if (store_rid_date(old_rid) == a->date)
			rid = old_rid;
	}
	if (rid == 0 && alloc_rid(s, a->date, &rid, errmsg) < 0)
		goto out;
	if (query_int(s, "SELECT coalesce(max(v), 0) + 1 FROM version", &version, 1) < 0) {
		db_error(s, sqlite3_errcode(s->db), "reading the index version", errmsg);
		goto out;
	}
	s->last_dup = 0;
	if (s->dedup) {
		struct dedup_sig sig;
		int64_t demoted = 0;

		if (a->sig)
			sig = *a->sig;
		else
			dedup_signature(a->title, a->body, &sig);
		if (dedup_link(s->dedup, rid, &sig, a->title, a->body, &s->last_dup, &demoted,
			       errmsg) < 0 ||
		    (demoted && retag(s, demoted, 1, errmsg) < 0))
			goto out;
	}
	buf_puts(&tags, "0a");
	if (a->source && a->source[0]) {
		if (source_id(s, a->source, &src, errmsg) < 0)
			goto out;
		buf_printf(&tags, " 0s%lld", (long long)src);
	}
	if (resolve_all(s, a, &ents, &n, errmsg) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		buf_printf(&tags, " 0e%lld", (long long)ents[i].id);
		buf_printf(&elist, "%s[%lld,%d,%d]", i ? "," : "[", (long long)ents[i].id,
			   ents[i].mentions, ents[i].given);
	}
	if (n)
		buf_puts(&elist, "]");
	if (s->last_dup)
		buf_puts(&tags, " 0d");
	/* the language filter: a tag on every article not in English (English rows keep the
	 * tags and lengths they had before languages, so English ranks do not move) */
	if (s->multilang && strcmp(lang, LANG_DEFAULT) != 0)
		buf_printf(&tags, " 0l%s", lang);
	st = store_stmt(s, "INSERT INTO article(rid, id, date, source_id, title, body, tags, url,"
			" lang, authors, extra, ingested_at, version, dup_of, ents)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
			errmsg);
	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, rid);
	sqlite3_bind_text(st, 2, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, a->date);
	if (src)
		sqlite3_bind_int64(st, 4, src);
	sqlite3_bind_text(st, 5, a->title ? a->title : "", -1, SQLITE_STATIC);
	/* the body's stored form (zbody.h): packed ahead (ingest.c) or here; none keeps the text */
	zb = NULL;
	nzb = 0;
	if (s->zbody && a->body && a->packed) {
		zb = a->zbody;
		nzb = a->nzbody;
	} else if (s->zbody && a->body &&
		   zbody_pack(store_zbody(s), a->body, strlen(a->body), &s->zbuf)) {
		zb = s->zbuf.data;
		nzb = s->zbuf.len;
	}
	if (nzb)
		sqlite3_bind_blob(st, 6, zb, (int)nzb, SQLITE_STATIC);
	else
		sqlite3_bind_text(st, 6, a->body ? a->body : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, tags.data, (int)tags.len, SQLITE_STATIC);
	if (a->url)
		sqlite3_bind_text(st, 8, a->url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, lang, -1, SQLITE_STATIC);
	if (a->authors_json)
		sqlite3_bind_text(st, 10, a->authors_json, -1, SQLITE_STATIC);
	if (a->extra_json)
		sqlite3_bind_text(st, 11, a->extra_json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 13, version);
	if (s->last_dup)
		sqlite3_bind_int64(st, 14, s->last_dup);
	if (n)
		sqlite3_bind_text(st, 15, elist.data, (int)elist.len, SQLITE_STATIC);
	if (step_done(s, st, "storing an article", errmsg) < 0)
		goto out;
	st = store_stmt(s, "INSERT INTO fts(rowid, title, body, tags) VALUES (?1, ?2, ?3, ?4)",
			errmsg);
	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, rid);
	sqlite3_bind_text(st, 2, a->title ? a->title : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->body ? a->body : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, tags.data, (int)tags.len, SQLITE_STATIC);
	langtok_set_doc(s->lt, lang);
	rc = step_done(s, st, "indexing an article", errmsg);
	langtok_set_doc(s->lt, NULL);
	if (rc < 0)
		goto out;
	rc = -1;
	/* watch: the change log row live watches and replays read (watch.h) */
	if (watch_log_put(s, version, rid, a->id, *updated, errmsg) < 0)
		goto out;
	if (day_count_add(s, a->date, 1, errmsg) < 0)
		goto out;
	if (n && count_ents(s, elist.data, 1, errmsg) < 0)
		goto out;
	if (lang_count_add(s, lang, 1, errmsg) < 0)
		goto out;
	terms_add(s->terms, lang, a->title, a->body, 1);
	rc = 0;
out:
	free(ents);
	buf_free(&tags);
	buf_free(&elist);
	return rc;
}

int store_delete_article(struct store *s, const char *id, int *found, char **errmsg)
{
	int64_t rid;
	int f = find_rid(s, id, &rid, errmsg);

	*found = 0;
	if (f < 0)
		return -1;
	if (f == 0)
		return 0;
	*found = 1;
	/* watch: the tombstone, with the text, before the row goes (watch.h) */
	if (watch_log_delete(s, rid, errmsg) < 0)
		return -1;
	return remove_rid(s, rid, errmsg);
}

/*
 * Checkpoints off the writer's thread (`newsd serve`). By default the COMMIT that takes the
 * WAL past 1,000 pages also copies it into the database file and syncs that: 13 % of the
 * ingest thread's time under live POSTs into the 1M-article index (perf). Here the commit
 * only signals a thread of the store's own, which runs a PASSIVE checkpoint on its own
 * connection (it never blocks the writer or the readers). When the WAL holds
 * CKPT_INLINE_FRAMES (32 MB), the commit checkpoints itself as before, mostly pages the thread
 * has copied already, so that the WAL starts again and stays bounded.
 */
#define CKPT_FRAMES 1000
#define CKPT_INLINE_FRAMES 8000

struct checkpointer {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int due, stopping;
	int wal_frames, backfilled;	/* after the thread's last checkpoint (lock) */
};

static void *checkpointer_main(void *arg)
{
	struct checkpointer *c = arg;
	int log, done;

	pthread_setname_np(pthread_self(), "newsd-ckpt");

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->due && !c->stopping)
			pthread_cond_wait(&c->cond, &c->lock);
		if (c->stopping)
			break;
		c->due = 0;
		pthread_mutex_unlock(&c->lock);
		if (sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done)
		    != SQLITE_OK || log < 0 || done < 0)
			log = done = 0;
		pthread_mutex_lock(&c->lock);
		c->wal_frames = log;
		c->backfilled = done;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* After each commit, with the frames in the WAL: those not copied yet decide. */
static int checkpointer_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct checkpointer *c = arg;
	int pending;

	pthread_mutex_lock(&c->lock);
	/* fewer frames than at the last checkpoint: the WAL has started again since */
	pending = frames >= c->wal_frames ? frames - c->backfilled : frames;
	if (pending >= CKPT_FRAMES && frames < CKPT_INLINE_FRAMES) {
		c->due = 1;
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	/* the WAL starts again from its beginning only at a write that finds all of it copied,
	 * which the thread, always a commit behind, never leaves: here the commit copies what
	 * the thread has not yet (usually little), and the next transaction rewinds the WAL */
	if (frames >= CKPT_INLINE_FRAMES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

int store_background_checkpoints(struct store *s, char **errmsg)
{
	struct checkpointer *c;
	const char *path = sqlite3_db_filename(s->db, "main");

	if (s->ckpt)
		return 0;
	c = xcalloc(1, sizeof(*c));
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		set_error(errmsg, "cannot open the database for checkpoints: %s",
			  c->db ? sqlite3_errmsg(c->db) : "out of memory");
		sqlite3_close(c->db);
		free(c);
		return -1;
	}
	sqlite3_busy_timeout(c->db, 1000);
	/* a connection learns that the file is in WAL mode on its first read; before it, a
	 * checkpoint does nothing (and says so: -1 frames) */
	if (sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		set_error(errmsg, "cannot open the database for checkpoints: %s",
			  sqlite3_errmsg(c->db));
		sqlite3_close(c->db);
		free(c);
		return -1;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
		set_error(errmsg, "cannot start the checkpoint thread");
		pthread_mutex_destroy(&c->lock);
		pthread_cond_destroy(&c->cond);
		sqlite3_close(c->db);
		free(c);
		return -1;
	}
	s->ckpt = c;
	sqlite3_wal_hook(s->db, checkpointer_hook, c);
	return 0;
}

static void checkpointer_stop(struct store *s)
{
	struct checkpointer *c = s->ckpt;

	if (c == NULL)
		return;
	sqlite3_wal_autocheckpoint(s->db, 1000);	/* the default hook again */
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	sqlite3_close(c->db);
	free(c);
	s->ckpt = NULL;
}

/*
 * During a bulk load, checkpoint when the WAL reaches a quarter of the database (400 MB at
 * least, 1 GB at most) instead of every 4 MB. A checkpoint writes each page changed since the
 * last one to the database file, and a batch in random date order touches pages all over the
 * b-trees, so the same pages were written again at every checkpoint: on 300k scale articles,
 * 4.54 GB written with 100 MB between checkpoints, 3.87 GB with 400 MB, 3.62 GB with 1 GB.
 * Called at bulk start and after each batch's commit, as the file grows.
 */
static int bulk_checkpoint_interval(struct store *s, char **errmsg)
{
	int64_t pages = 0, every;
	char sql[64];

	query_int(s, "PRAGMA page_count", &pages, 0);
	every = pages / 4;
	if (every < 100000)
		every = 100000;
	if (every > 250000)
		every = 250000;
	if (every == s->bulk_every)
		return 0;
	s->bulk_every = every;
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint=%lld", (long long)every);
	return exec(s, sql, "setting up bulk loading", errmsg);
}

/*
 * FTS5 merges a level of its index when it holds `automerge` segments (4 by default, and at
 * once when it holds `crisismerge`, 16), so each posting is written again at every level it
 * climbs. A bulk load merges 64 at a time: fewer levels, each posting written fewer times
 * (docs/DESIGN.md, Bulk loading: at 1M articles in random order, 23.8 → 19.8 GB written,
 * 1,840 → 2,186 articles/s). The settings are FTS5's own (stored in fts_config, in the
 * transaction of the statement): a load that ends puts the defaults back, and so does a
 * writer that opens a file a killed load left with them (fts_merge_defaults).
 */
#define BULK_AUTOMERGE 64
#define BULK_CRISISMERGE 64
#define FTS5_AUTOMERGE 4
#define FTS5_CRISISMERGE 16
#define SQL_INT_(n) #n
#define SQL_INT(n) SQL_INT_(n)		/* a number macro as SQL text */

static int fts_merge_settings(struct store *s, int automerge, int crisismerge, char **errmsg)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "INSERT INTO fts(fts, rank) VALUES ('automerge', %d);"
		 "INSERT INTO fts(fts, rank) VALUES ('crisismerge', %d)", automerge, crisismerge);
	return exec(s, sql, "setting up the index merges", errmsg);
}

/* On a writer's open: FTS5's default merges unless the file has them already. */
static int fts_merge_defaults(struct store *s, char **errmsg)
{
	int64_t n = 0;

	/* a literal: store_stmt keeps the text of the statements it caches */
	if (query_int(s, "SELECT count(*) FROM fts_config WHERE k IN ('automerge', 'crisismerge')"
		      " AND v != CASE k WHEN 'automerge' THEN " SQL_INT(FTS5_AUTOMERGE)
		      " ELSE " SQL_INT(FTS5_CRISISMERGE) " END", &n, 0) < 0 || n == 0)
		return 0;
	return fts_merge_settings(s, FTS5_AUTOMERGE, FTS5_CRISISMERGE, errmsg);
}

/*
 * After a bulk load: FTS5's merges as it would have done them with its defaults, so a load
 * that did not end in one segment (store_merge_index) leaves no more segments per level than
 * live writes do. FTS5's 'merge' command merges levels of 4 segments or more (its
 * `usermerge`), a given number of pages at a time; it is done when a call changes fewer
 * than 2 rows (fts5.html, "The 'merge' Command").
 */
static int fts_merge_settle(struct store *s, char **errmsg)
{
	int64_t before;

	do {
		before = sqlite3_total_changes64(s->db);
		if (exec(s, "INSERT INTO fts(fts, rank) VALUES ('merge', 1000)",
			 "merging the index segments", errmsg) < 0)
			return -1;
	} while (sqlite3_total_changes64(s->db) - before >= 2);
	return 0;
}

int store_bulk(struct store *s, int on, char **errmsg)
{
	s->bulk_every = 0;
	if (on) {
		s->bulk = 1;
		if (fts_merge_settings(s, BULK_AUTOMERGE, BULK_CRISISMERGE, errmsg) < 0)
			return -1;
		return exec(s, "PRAGMA synchronous=NORMAL", "setting up bulk loading", errmsg) < 0 ?
		       -1 : bulk_checkpoint_interval(s, errmsg);
	}
	s->bulk = 0;
	if (fts_merge_settings(s, FTS5_AUTOMERGE, FTS5_CRISISMERGE, errmsg) < 0 ||
	    fts_merge_settle(s, errmsg) < 0)
		return -1;
	if (exec(s, "PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=1000",
		 "finishing bulk loading", errmsg) < 0)
		return -1;
	/* the checkpoint writes and syncs the database file: the batches are durable now */
	return exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", "finishing bulk loading", errmsg);
}

int64_t store_index_version(struct store *s)
{
	int64_t v = 0;

	query_int(s, "SELECT coalesce(max(v), 0) FROM version", &v, 0);
	return v;
}

int64_t store_article_count(struct store *s)
{
	int64_t n = 0;

	query_int(s, "SELECT count(*) FROM article", &n, 0);
	return n;
}

/* Run a query whose rows are problems (one text column); append them to r. */
static int check_rows(struct store *s, const char *sql, struct buf *r)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		buf_printf(r, "cannot run check: %s\n", sqlite3_errmsg(s->db));
		return 1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		if (t && strcmp(t, "ok") == 0)
			continue;
		buf_printf(r, "%s\n", t ? t : "(null)");
		n++;
	}
	if (rc != SQLITE_DONE) {
		buf_printf(r, "check failed: %s\n", sqlite3_errmsg(s->db));
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

int store_check(struct store *s, char **report)
{
	struct buf r = { 0 };
	int problems = 0;

	problems += check_rows(s, "PRAGMA integrity_check", &r);
	/* FTS5 compares the index with the articles' text tokenized again (rank 1), but its
	 * tokenizer cannot know each row's language (langtok.h): with articles in languages
	 * other than English, only the index's own structure is checked (rank 0) */
	if (sqlite3_exec(s->db, store_lang_mask(s) & ~(UINT64_C(1) << LANG_EN_BIT) ?
			 "INSERT INTO fts(fts, rank) VALUES ('integrity-check', 0)" :
			 "INSERT INTO fts(fts, rank) VALUES ('integrity-check', 1)",
			 NULL, NULL, NULL) != SQLITE_OK) {
		buf_printf(&r, "full-text index does not match the articles: %s\n",
			   sqlite3_errmsg(s->db));
		problems++;
	}
	problems += check_rows(s, "SELECT 'article ' || a.id || ' names missing entity ' ||"
			       " (e.value ->> 0) FROM article a, json_each(a.ents) e"
			       " WHERE (e.value ->> 0) NOT IN (SELECT id FROM entity)", &r);
	problems += check_rows(s, "SELECT 'entity ' || e.id || ' counts ' || e.n || ' articles, not '"
			       " || coalesce(c.n, 0) FROM entity e LEFT JOIN (SELECT j.value ->> 0 AS id,"
			       " count(*) AS n FROM article a, json_each(a.ents) j GROUP BY 1) c"
			       " ON c.id = e.id WHERE e.n != coalesce(c.n, 0)", &r);
	problems += check_rows(s, "SELECT 'alias for missing entity ' || entity_id FROM entity_alias"
			       " WHERE entity_id NOT IN (SELECT id FROM entity)", &r);
	problems += check_rows(s, "SELECT 'article ' || id || ' has a rid outside its date'"
			       " FROM article WHERE rid < date * 1048576 OR rid >= (date + 1) * 1048576",
			       &r);
	problems += check_rows(s, "SELECT 'article ' || id || ' was written by version ' || version"
			       " || ' beyond the last committed one'"
			       " FROM article WHERE version > (SELECT coalesce(max(v), 0) FROM version)", &r);
	problems += check_rows(s, "SELECT 'article ' || a.id || ' tags do not list its entities'"
			       " FROM article a WHERE coalesce(json_array_length(a.ents), 0)"
			       " != (length(a.tags) - length(replace(a.tags, ' 0e', ''))) / 3", &r);
	problems += check_rows(s, "SELECT 'day_count of day ' || coalesce(d.day, a.day) || ' is wrong'"
			       " FROM (SELECT day, n FROM day_count WHERE n != 0) d FULL JOIN"
			       " (SELECT (rid >> 20) / 86400 - ((rid >> 20) % 86400 < 0) AS day,"
			       " count(*) AS n FROM article GROUP BY 1) a ON a.day = d.day"
			       " WHERE a.n IS NOT d.n", &r);
	problems += check_rows(s, "SELECT 'article ' || id || ' copy tag does not match dup_of'"
			       " FROM article WHERE (dup_of IS NOT NULL) != (instr(tags, ' 0d') > 0)", &r);
	problems += check_rows(s, "SELECT 'article ' || id || ' is a copy of a missing or non-root"
			       " article' FROM article a WHERE dup_of IS NOT NULL AND NOT EXISTS"
			       " (SELECT 1 FROM article r WHERE r.rid = a.dup_of AND r.dup_of IS NULL)", &r);
	problems += check_rows(s, "SELECT 'article ' || id || ' source tag mismatch' FROM article"
			       " WHERE (source_id IS NULL) != (instr(tags, ' 0s') = 0)", &r);
	if (s->has_lang_count)
		problems += check_rows(s, "SELECT 'lang_count of ' || coalesce(c.lang, a.lang) ||"
				       " ' is wrong' FROM (SELECT lang, n FROM lang_count WHERE n != 0) c"
				       " FULL JOIN (SELECT coalesce(lang, 'en') AS lang, count(*) AS n"
				       " FROM article GROUP BY 1) a ON a.lang = c.lang"
				       " WHERE a.n IS NOT c.n", &r);
	if (s->multilang)
		problems += check_rows(s, "SELECT 'article ' || id || ' language tag mismatch'"
				       " FROM article WHERE instr(tags, ' 0l') !="
				       " (CASE WHEN coalesce(lang, 'en') = 'en' THEN 0"
				       " ELSE instr(tags, ' 0l' || lang) END)", &r);
	*report = buf_detach(&r);
	return problems ? -1 : 0;
}

int store_merge_index(struct store *s, char **errmsg)
{
	return exec(s, "INSERT INTO fts(fts) VALUES ('optimize')", "merging the index segments",
		    errmsg);
}

int store_optimize(struct store *s, char **errmsg)
{
	if (exec(s, "INSERT INTO fts(fts) VALUES ('optimize')", "optimizing the index", errmsg) < 0)
		return -1;
	/* the word counts, counted again from every article (and complete from then on) */
	if (exec(s, "BEGIN IMMEDIATE", "counting words", errmsg) < 0)
		return -1;
	if (terms_rebuild(s->terms, errmsg) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (exec(s, "COMMIT", "counting words", errmsg) < 0)
		return -1;
	if (exec(s, "PRAGMA optimize", "optimizing", errmsg) < 0)
		return -1;
	return exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpointing", errmsg);
}

int store_backup(struct store *s, const char *dest, char **errmsg)
{
	sqlite3_stmt *st;
	int rc;

	/* VACUUM INTO reads one consistent snapshot: safe while newsd serve writes */
	if (sqlite3_prepare_v2(s->db, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK)
		return db_error(s, sqlite3_errcode(s->db), "starting the backup", errmsg);
	sqlite3_bind_text(st, 1, dest, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return set_error(errmsg, "backup to %s failed: %s", dest, sqlite3_errmsg(s->db));
	return 0;
}
