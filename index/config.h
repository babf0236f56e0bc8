#ifndef NEWSD_CONFIG_H
#define NEWSD_CONFIG_H
/*
 * config — every setting of newsd in one table (name, type, default, bounds, comment), Redis
 * style. The table drives parsing of conf/newsd.conf (INI via inih, keys at top level or under
 * [newsd]), command-line overrides, printing, and a test that checks conf/newsd.conf lists every
 * key with its default. Precedence: defaults < file < flags.
 */
#include <stddef.h>
#include <stdint.h>

struct config {
	char *listen;			/* "127.0.0.1:8088" */
	char *db;			/* "newsd.db" */
	int threads;			/* HTTP worker threads, 0 = one per core (default 0) */
	int search_threads;		/* threads one broad search may use, 1 or 2 (default 2) */
	char *spool_dir;		/* "" = no spool */
	int spool_interval_ms;		/* 1000 */
	int64_t max_body_bytes;		/* 67108864 */
	int max_uri_bytes;		/* 8192 */
	int max_header_bytes;		/* 16384 */
	int max_connections;		/* 1024 */
	int timeout_s;			/* 30: read/write timeout of one HTTP connection */
	int query_timeout_ms;		/* 2000 */
	int max_query_bytes;		/* 4096 */
	int max_query_terms;		/* 256 */
	int max_query_depth;		/* 32 */
	char *write_token;		/* "" = writes from loopback only */
	char *stemming;			/* "porter" | "none" (fixed when the database is created) */
	double title_weight;		/* 4.0: BM25 weight of the title; the body has 1.0 */
	int report_every;		/* 0: newsd index prints no progress lines */
	int batch_max_records;		/* 40000: records per ingest transaction */
	int cache_mb;			/* 64: SQLite page cache per connection */
	int shutdown_timeout_s;		/* 10 */
	char *log_file;			/* "" = stderr */
	char *log_level;		/* "info": error | warn | info | debug */
	int extraction;			/* 1: extract entities at ingest */
	int dedup;			/* 1: detect wire copies at ingest */
	/* live watches (docs/DESIGN.md, "Watches") */
	int max_watchers;		/* 256 open streams */
	int watch_ping_s;		/* 15 */
	int watch_replay_max;		/* 1000 events replayed after Last-Event-ID */
	int watch_buffer_bytes;		/* 1 MiB unsent per stream */
	int watch_keep_versions;	/* 100000 versions of the change log */
	char *webhook_allow;		/* "" = no webhooks */
	char *webhook_secret;		/* HMAC key */
	int webhook_retries;		/* 5 */
	int webhook_backoff_ms;		/* 1000, doubled per retry */
	int webhook_timeout_s;		/* 10 */
};

enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_INT64, CONFIG_DOUBLE, CONFIG_BOOL };

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;			/* into struct config */
	const char *def;		/* default, as written in the file */
	double min, max;		/* numeric bounds (inclusive) */
	const char *const *choices;	/* allowed strings or NULL */
	const char *comment;		/* one line, shown in conf/newsd.conf */
};

extern const struct config_key config_keys[];	/* ends with a {0} entry */

/* Fill *c with every default. */
void config_defaults(struct config *c);
/* Set one key from its text form, checking type, bounds and choices ("yes/no/on/off/true/
 * false/1/0" for booleans). Returns 0 or -1 with *errmsg ("unknown key 'x'", "threads: 999
 * is out of range 0..256"). */
int config_set(struct config *c, const char *key, const char *value, char **errmsg);
/* Load an INI file over *c. Returns 0 or -1 with *errmsg naming the file and line. */
int config_load(struct config *c, const char *path, char **errmsg);
/* Free the strings of *c. */
void config_free(struct config *c);

#endif
