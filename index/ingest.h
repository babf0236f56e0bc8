#ifndef NEWSD_INGEST_H
#define NEWSD_INGEST_H
/*
 * ingest — every write goes through here: the worker thread inside `newsd serve` (sole owner
 * of the write connection; work comes from POST/DELETE via ingest_submit and from the spool
 * directory), and the batch writer used by `newsd index` in its own process.
 *
 * Group commit: the worker takes every prepared job at once, writes them one after the other
 * in one transaction, then COMMITs once; a job's done callback runs only after that COMMIT is
 * durable (synchronous=FULL), so an answer of 200 means the data is on disk. A job that cannot
 * be read is answered 400 before it reaches the writer; one that fails while written (a
 * database error, the shutdown deadline) is answered 503 and the group is written again
 * without it, so it leaves no trace. If the COMMIT fails (disk full, read-only file), every
 * job of the group is answered 503 and nothing of it is visible.
 */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "article.h"
#include "store.h"

struct ingest_options {
	int extraction;			/* run entity extraction on each article */
	int dedup;			/* detect wire copies (see dedup.h) */
	size_t max_bytes;		/* largest decompressed input */
	const char *spool_dir;		/* NULL or "" = none */
	int spool_interval_ms;
	int batch_max_records;		/* `newsd index`: records per transaction */
	/* watch: called on the worker thread after each COMMIT that made a new version (the
	 * live watches' matcher is woken; it must return at once) */
	void (*committed)(void *arg, int64_t version);
	void *committed_arg;
};

/* Counters since start (monotonic; read with ingest_counters). */
struct ingest_counters {
	int64_t accepted;		/* new articles */
	int64_t updated;		/* replaced by id */
	int64_t rejected;		/* bad records */
	int64_t deleted;
	int64_t duplicates;		/* new or updated articles that are wire copies */
	int64_t batches;		/* committed transactions */
	int64_t failed_batches;		/* rolled back: disk full, read-only, … */
	int64_t spool_done;
	int64_t spool_failed;
	int64_t queued;			/* jobs waiting now */
};

/* ---- the batch writer (shared by the worker and `newsd index`) ---- */

struct ingest_batch {
	struct store *store;
	const struct ingest_options *opt;
	int64_t accepted, updated, rejected;
	int64_t duplicates;		/* stored articles found to be wire copies */
	json_t *rejects;		/* array of {"line","id","error"}; NULL = do not collect */
	int failed;			/* a database error: the transaction must be rolled back */
	char *errmsg;			/* why, when failed */
	/* the worker: a time (now_monotonic) past which the rest of the job is not written
	 * (0: none; set at shutdown, see ingest_set_deadline) */
	const _Atomic double *deadline;
	int64_t seen;			/* records given so far */
	/* ingest_batch_sorted: records held in chunks, each written in date order */
	int sorted;
	struct article *held;
	size_t nheld, held_bytes;
};

/* Sink for parse.h that extracts entities, then stores each record into b->store. */
void ingest_batch_init(struct ingest_batch *b, struct store *s, const struct ingest_options *opt,
		       int collect_rejects);
void ingest_batch_free(struct ingest_batch *b);
int ingest_batch_record(void *ctx, struct article *a, long line);
/*
 * Hold the records ingest_batch_record is given in chunks (1,000 records or 8 MB of text) and
 * write each chunk in date order, as a bulk batch is (ingest.c, batch_order): FTS5 writes a
 * segment whenever a rowid smaller than the last one arrives, so a file in random date order
 * written record by record made a segment of nearly every article. An id repeated within a
 * chunk is written once, from its last record. ingest_batch_flush writes what is held: call
 * it after the last record (ingest_batch_free drops what is still held). 0, or -1 (b->failed).
 */
void ingest_batch_sorted(struct ingest_batch *b);
int ingest_batch_flush(struct ingest_batch *b);
int ingest_batch_reject(void *ctx, long line, const char *id, const char *error);

/* ---- the bulk pipeline (`newsd index`) ----
 * Two stages on two cores: the caller's thread parses and extracts entities (the CPU-heavy
 * part), a writer thread stores into SQLite. Records move in batches of batch_records: the
 * parser fills one while the writer stores the previous one (memory: about three batches),
 * and the writer stores each batch in date order (rid order), see ingest.c. */

struct ingest_pipe;

/* Start the writer thread for batch b. after(ctx) runs on the writer thread after each stored
 * batch (commit, progress); it returns -1 to fail the load. */
struct ingest_pipe *ingest_pipe_start(struct ingest_batch *b, size_t batch_records,
				      int (*after)(void *ctx), void *ctx);
/* Extract (when enabled) and queue one record; takes ownership of *a's members. Returns -1
 * when the writer has failed (the load stops). Call from one thread only. */
int ingest_pipe_push(struct ingest_pipe *p, struct article *a);
/* Wait until every queued record is stored, stop the writer. 0, or -1 when it failed (the
 * batch's failed/errmsg say why). Frees p. */
int ingest_pipe_finish(struct ingest_pipe *p);

/* ---- the worker ----
 * Two threads: one prepares each POST as it comes (parsing, entities, language, wire-copy
 * signature, the body deflated: most of the CPU of a record), the other is the writer above,
 * which takes every prepared job at once. Jobs keep their order through both. */

enum ingest_kind { INGEST_POST, INGEST_DELETE };

struct ingest_job {
	enum ingest_kind kind;
	char *data;			/* POST body (owned by the job; may be gzip) */
	size_t len;
	char *id;			/* DELETE: the article id */
	/* filled by the worker before done() */
	int http_status;		/* 200, 400, 404, 413, 503 */
	char *errmsg;			/* readable reason when http_status != 200 */
	int64_t accepted, updated, duplicates, version;
	json_t *rejected;		/* array, owned by the job */
	void (*done)(struct ingest_job *job);	/* called on the worker thread */
	void *arg;
	struct ingest_job *next;
	/* the worker's own: a POST's records, parsed and prepared ahead of the writer */
	struct article *arts;
	size_t narts;
	int64_t superseded;		/* records dropped for a later one with the same id */
	int64_t nrejected;
	int written;			/* written once before the shutdown deadline */
	size_t weight;			/* its body's weight while it waits prepared */
};

struct ingest;

/* Start the worker thread, which takes ownership of the write store s. */
int ingest_start(struct store *s, const struct ingest_options *opt, struct ingest **out,
		 char **errmsg);
/* Queue a job. -1 when the worker is stopping (the caller answers 503). */
int ingest_submit(struct ingest *w, struct ingest_job *job);
/* Shutdown: a job still being written at until (now_monotonic time) stops there and is
 * answered 503 with nothing of it written, as is every job after it, so that ingest_stop
 * returns soon after until however large the batches. */
void ingest_set_deadline(struct ingest *w, double until);
/* Finish every queued job, commit, stop the thread, close the store. */
void ingest_stop(struct ingest *w);
void ingest_counters(struct ingest *w, struct ingest_counters *out);
void ingest_job_free(struct ingest_job *job);

#endif
