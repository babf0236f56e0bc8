/*
 * ingest.c — the batch writer and the ingest worker thread; see ingest.h.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dedup.h"
#include "extract.h"
#include "ingest.h"
#include "parse.h"
#include "util.h"
#include "zbody.h"

/* A chunk ingest_batch_sorted holds: the memory of the writer's own parsing stays flat. */
#define HOLD_RECORDS 1000
#define HOLD_BYTES ((size_t)8 << 20)

void ingest_batch_init(struct ingest_batch *b, struct store *s, const struct ingest_options *opt,
		       int collect_rejects)
{
	memset(b, 0, sizeof(*b));
	b->store = s;
	b->opt = opt;
	b->rejects = collect_rejects ? json_array() : NULL;
}

void ingest_batch_free(struct ingest_batch *b)
{
	size_t i;

	for (i = 0; i < b->nheld; i++)
		article_clear(&b->held[i]);
	free(b->held);
	b->held = NULL;
	b->nheld = b->held_bytes = 0;
	json_decref(b->rejects);
	free(b->errmsg);
	b->rejects = NULL;
	b->errmsg = NULL;
}

int ingest_batch_reject(void *ctx, long line, const char *id, const char *error)
{
	struct ingest_batch *b = ctx;
	json_t *r;

	b->rejected++;
	if (b->rejects == NULL)
		return 0;
	r = json_pack("{s:I, s:s?, s:s}", "line", (json_int_t)line, "id", id, "error", error);
	if (r)
		json_array_append_new(b->rejects, r);
	return 0;
}

/*
 * Store one record (entities already extracted) and count it; the record is kept. A database
 * error stops the batch (b->failed): the caller rolls the transaction back and reports it, so
 * no record is lost silently.
 */
static int batch_put(struct ingest_batch *b, const struct article *a)
{
	int updated = 0;

	if (store_put_article(b->store, a, &updated, &b->errmsg) < 0) {
		b->failed = 1;
		return -1;
	}
	if (updated)
		b->updated++;
	else
		b->accepted++;
	if (store_last_dup_of(b->store))
		b->duplicates++;
	return 0;
}

/* The same, then the record is freed. */
static int batch_store(struct ingest_batch *b, struct article *a)
{
	int rc = batch_put(b, a);

	article_clear(a);
	return rc;
}

/* At shutdown, past the deadline (checked every 64th record): the job is given up whole
 * (rolled back, 503). */
static int batch_past_deadline(struct ingest_batch *b)
{
	if (b->deadline == NULL || (b->seen++ & 63) != 0 || *b->deadline <= 0 ||
	    now_monotonic() <= *b->deadline)
		return 0;
	if (!b->failed) {
		b->failed = 1;
		b->errmsg = xstrdup("newsd is stopping and its shutdown_timeout_s has passed:"
				    " nothing of this batch was written; send it again");
	}
	return 1;
}

int ingest_batch_record(void *ctx, struct article *a, long line)
{
	struct ingest_batch *b = ctx;

	(void)line;
	if (batch_past_deadline(b)) {
		article_clear(a);
		return -1;
	}
	if (b->opt && b->opt->extraction)
		extract_article(a);
	if (!b->sorted)
		return batch_store(b, a);
	if (b->held == NULL)
		b->held = xmalloc(HOLD_RECORDS * sizeof(*b->held));
	b->held_bytes += (a->title ? strlen(a->title) : 0) + (a->body ? strlen(a->body) : 0);
	b->held[b->nheld++] = *a;
	memset(a, 0, sizeof(*a));
	if (b->nheld == HOLD_RECORDS || b->held_bytes >= HOLD_BYTES)
		return ingest_batch_flush(b);
	return 0;
}

/*
 * The CPU-heavy work on one record, done before the writer takes it (the bulk pipeline's
 * parsing thread, the worker's preparing thread): entities, the language, the wire-copy
 * signature and the body's stored form. With keep_body 0 the body waits deflated only and
 * the writer inflates it again (three bulk batches in memory then cost 0.6 of their bodies,
 * not 1.6); a live job keeps both, it is small and written at once.
 */
static void prepare_article(struct article *a, const struct ingest_options *opt,
			    struct store *s, struct zbody **z, struct buf *zbuf, int keep_body)
{
	if (opt && opt->extraction)
		extract_article(a);
	article_set_lang(a);
	if (opt && opt->dedup) {
		a->sig = xmalloc(sizeof(*a->sig));
		dedup_signature(a->title, a->body, a->sig);
	}
	if (a->body && store_packs_bodies(s)) {
		if (*z == NULL)
			*z = zbody_new();
		if (zbody_pack(*z, a->body, strlen(a->body), zbuf)) {
			a->zbody = xmalloc(zbuf->len);
			memcpy(a->zbody, zbuf->data, zbuf->len);
			a->nzbody = zbuf->len;
			if (!keep_body) {
				free(a->body);
				a->body = NULL;
			}
		}
		a->packed = 1;
	}
}

/* ---- the bulk pipeline ---- */

/*
 * Records travel in whole batches (batch_max_records each, after a first few that start at
 * 1024 and double): the parsing thread fills one while the writer stores the previous one, so
 * the two threads meet once per batch, not once per record (a futex wake-up per record cost more than a tenth of a load on a VM). The writer
 * stores a batch in date order: the rid is date-ordered, and FTS5 flushes its pending terms
 * to a new segment whenever a rowid smaller than the last one arrives, so a backfill in random
 * date order wrote one tiny segment per article and spent its time merging them.
 */
struct pipe_batch {
	struct article *a;
	size_t n;
};

struct ingest_pipe {
	struct ingest_batch *b;
	int (*after)(void *ctx);
	void *ctx;
	size_t size;			/* records per batch */
	size_t next;			/* records of the batch being filled: doubles up to size */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pipe_batch filling;	/* parsing thread only */
	struct pipe_batch ready;	/* handed over, not yet taken (n = 0: none) */
	int has_ready;
	int closing;			/* no more records will come */
	int failed;			/* the writer stopped on an error */
	struct zbody *z;		/* parsing thread: bodies packed ahead (zbody.h) */
	struct buf zbuf;
};

struct order {
	int64_t date;
	size_t pos;			/* input position: equal dates keep their input order */
	uint64_t idh;
};

static int cmp_order(const void *x, const void *y)
{
	const struct order *a = x, *b = y;

	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int cmp_idh(const void *x, const void *y)
{
	const struct order *a = x, *b = y;

	if (a->idh != b->idh)
		return a->idh < b->idh ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/*
 * The order a batch is stored in (the bulk pipeline's batches, a live POST's records): by
 * date, equal dates in input order. The rid follows the date, and FTS5 writes its pending
 * words out as a new segment whenever a rowid smaller than the last one arrives: a batch in
 * random date order made a segment of nearly every article, and FTS5 then spent its time
 * merging them. An id given twice is stored once, from its last record, as if each had been
 * stored in input order: the earlier ones are cleared (id NULL) and counted in *superseded,
 * as updates; the last counts as new or updated as the database says. Fills o with the
 * positions of the records to store, in order, and returns how many.
 */
static size_t batch_order(struct article *a, size_t n, struct order *o, int64_t *superseded)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		o[i].date = a[i].date;
		o[i].pos = i;
		o[i].idh = hash64(a[i].id, strlen(a[i].id), 0);
	}
	/* repeated ids: by hash, then input order; a record superseded by a later one with the
	 * same id is dropped (its date is set apart so the sort below leaves it at the end) */
	qsort(o, n, sizeof(*o), cmp_idh);
	for (i = 0, k = n; i + 1 < n; i++)
		if (o[i].idh == o[i + 1].idh && strcmp(a[o[i].pos].id, a[o[i + 1].pos].id) == 0) {
			(*superseded)++;
			article_clear(&a[o[i].pos]);
			k--;
		}
	for (i = 0; i < n; i++)
		o[i].date = a[o[i].pos].id ? a[o[i].pos].date : INT64_MAX;
	qsort(o, n, sizeof(*o), cmp_order);
	return k;
}

void ingest_batch_sorted(struct ingest_batch *b)
{
	b->sorted = 1;
}

int ingest_batch_flush(struct ingest_batch *b)
{
	struct order *o;
	size_t i, n;

	if (b->nheld > 0) {
		o = xmalloc(b->nheld * sizeof(*o));
		n = batch_order(b->held, b->nheld, o, &b->updated);
		for (i = 0; i < n; i++) {
			struct article *a = &b->held[o[i].pos];

			if (!b->failed)
				batch_put(b, a);
			article_clear(a);
		}
		free(o);
		b->nheld = b->held_bytes = 0;
	}
	return b->failed ? -1 : 0;
}

/* Store one batch in batch_order. On a database error the rest of the batch is freed
 * unwritten and -1 is returned. */
static int pipe_store(struct ingest_pipe *p, struct pipe_batch *pb)
{
	struct order *o = xmalloc((pb->n + 1) * sizeof(*o));
	size_t i, n = batch_order(pb->a, pb->n, o, &p->b->updated), len;
	int rc = 0;

	for (i = 0; i < n; i++) {
		struct article *a = &pb->a[o[i].pos];

		/* the body's text again, from the form it waited in (ingest_pipe_push) */
		if (rc == 0 && a->body == NULL && a->nzbody > 0 &&
		    (a->body = zbody_unpack(store_zbody(p->b->store), a->zbody, a->nzbody,
					    &len)) == NULL) {
			free(p->b->errmsg);
			p->b->errmsg = xasprintf("article %s: its deflated body did not inflate",
						 a->id);
			rc = -1;
		}
		if (rc == 0 && !p->failed && batch_store(p->b, a) < 0)
			rc = -1;
		article_clear(a);
	}
	free(o);
	pb->n = 0;
	return rc;
}

static void *pipe_writer(void *arg)
{
	struct ingest_pipe *p = arg;
	struct pipe_batch pb = { xcalloc(p->size, sizeof(struct article)), 0 };

	pthread_setname_np(pthread_self(), "newsd-load");

	for (;;) {
		struct article *spare;

		pthread_mutex_lock(&p->lock);
		while (!p->has_ready && !p->closing)
			pthread_cond_wait(&p->cond, &p->lock);
		if (!p->has_ready) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		/* take the ready batch and give back our (empty) array for the next one */
		spare = pb.a;
		pb = p->ready;
		p->ready.a = spare;
		p->ready.n = 0;
		p->has_ready = 0;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		if (p->failed) {
			size_t i;

			for (i = 0; i < pb.n; i++)	/* draining after a failure */
				article_clear(&pb.a[i]);
			pb.n = 0;
			continue;
		}
		if (pipe_store(p, &pb) < 0 || (p->after && p->after(p->ctx) < 0)) {
			pthread_mutex_lock(&p->lock);
			p->failed = 1;
			p->b->failed = 1;
			pthread_cond_broadcast(&p->cond);
			pthread_mutex_unlock(&p->lock);
		}
	}
	free(pb.a);
	return NULL;
}

struct ingest_pipe *ingest_pipe_start(struct ingest_batch *b, size_t batch_records,
				      int (*after)(void *ctx), void *ctx)
{
	struct ingest_pipe *p = xcalloc(1, sizeof(*p));

	p->b = b;
	p->after = after;
	p->ctx = ctx;
	p->size = batch_records > 0 ? batch_records : 1;
	/* the first batches are small, so the writer starts early (a load of one batch would
	 * otherwise be parsed whole before anything is written), then double up to size */
	p->next = p->size < 1024 ? p->size : 1024;
	p->filling.a = xcalloc(p->size, sizeof(struct article));
	p->ready.a = xcalloc(p->size, sizeof(struct article));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, pipe_writer, p) != 0) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->cond);
		free(p->filling.a);
		free(p->ready.a);
		free(p);
		return NULL;
	}
	return p;
}

/* Hand the filling batch to the writer (waiting while it still holds the previous one). */
static int pipe_hand_over(struct ingest_pipe *p)
{
	struct article *spare;

	pthread_mutex_lock(&p->lock);
	while (p->has_ready && !p->failed)
		pthread_cond_wait(&p->cond, &p->lock);
	if (p->failed) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	spare = p->ready.a;
	p->ready = p->filling;
	p->has_ready = 1;
	p->filling.a = spare;
	p->filling.n = 0;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int ingest_pipe_push(struct ingest_pipe *p, struct article *a)
{
	/* the CPU-heavy per-article work happens here, off the writer thread */
	if (p->failed) {
		article_clear(a);
		return -1;
	}
	prepare_article(a, p->b->opt, p->b->store, &p->z, &p->zbuf, 0);
	/* move the record: the batch owns its members now */
	p->filling.a[p->filling.n++] = *a;
	memset(a, 0, sizeof(*a));
	if (p->filling.n == p->next) {
		p->next = p->next * 2 < p->size ? p->next * 2 : p->size;
		return pipe_hand_over(p);
	}
	return 0;
}

int ingest_pipe_finish(struct ingest_pipe *p)
{
	size_t i;
	int failed;

	if (p->filling.n > 0)
		pipe_hand_over(p);
	pthread_mutex_lock(&p->lock);
	p->closing = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	failed = p->failed;
	for (i = 0; i < p->filling.n; i++)
		article_clear(&p->filling.a[i]);
	for (i = 0; p->has_ready && i < p->ready.n; i++)
		article_clear(&p->ready.a[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->filling.a);
	free(p->ready.a);
	zbody_free(p->z);
	buf_free(&p->zbuf);
	free(p);
	return failed ? -1 : 0;
}

/* ---- the worker ---- */

struct ingest {
	struct store *store;
	struct ingest_options opt;
	char *spool_dir;
	pthread_t thread;		/* the writer */
	pthread_t prep_thread;		/* prepares POSTs ahead of it */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* the writer: prepared jobs, or the preparer done */
	pthread_cond_t prep_cond;	/* the preparer: submitted jobs, or stopping */
	struct ingest_job *head, *tail;		/* submitted, not yet prepared */
	struct ingest_job *ready, *ready_tail;	/* prepared, not yet written */
	size_t ahead;			/* the weight (job_weight) of the ready jobs */
	int stopping;
	int prep_done;			/* stopping, and every job was handed to the writer */
	struct zbody *z;		/* the preparer's */
	struct buf zbuf;
	_Atomic double deadline;	/* ingest_set_deadline (0: none) */
	/* counters: written by the worker, read by HTTP threads */
	_Atomic int64_t accepted, updated, rejected, deleted, duplicates, batches, failed_batches;
	_Atomic int64_t spool_done, spool_failed, queued;
};

static void job_drop_articles(struct ingest_job *job)
{
	size_t i;

	for (i = 0; i < job->narts; i++)
		article_clear(&job->arts[i]);
	free(job->arts);
	job->arts = NULL;
	job->narts = 0;
}

void ingest_job_free(struct ingest_job *job)
{
	if (job == NULL)
		return;
	free(job->data);
	job_drop_articles(job);
	free(job->id);
	free(job->errmsg);
	json_decref(job->rejected);
	free(job);
}

/* The preparer's sink: a record prepared and kept in the job, in input order. */
struct prep {
	struct ingest_batch b;		/* first: ingest_batch_reject takes the same ctx */
	struct ingest *w;
	struct ingest_job *job;
	size_t cap;
};

static int prep_record(void *ctx, struct article *a, long line)
{
	struct prep *p = ctx;
	struct ingest_job *job = p->job;

	(void)line;
	if (batch_past_deadline(&p->b)) {	/* stopping: 503, "send it again" */
		article_clear(a);
		return -1;
	}
	prepare_article(a, &p->w->opt, p->w->store, &p->w->z, &p->w->zbuf, 1);
	if (job->narts == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		job->arts = xrealloc(job->arts, p->cap * sizeof(*job->arts));
	}
	job->arts[job->narts++] = *a;
	memset(a, 0, sizeof(*a));
	return 0;
}

/*
 * A body up to PREP_MAX_BYTES (a gzip'd one counted at PREP_GZIP_RATIO times its size) is
 * parsed and prepared ahead of the writer, and its records wait in memory, about 2.5 times
 * their text; a larger one goes to the writer as it is and is parsed there record by record,
 * in constant memory. The preparer stays at most PREP_AHEAD_BYTES of bodies ahead.
 */
#define PREP_MAX_BYTES ((size_t)4 << 20)
#define PREP_GZIP_RATIO 5
#define PREP_AHEAD_BYTES ((size_t)32 << 20)

static size_t job_weight(const struct ingest_job *job)
{
	const unsigned char *d = (const unsigned char *)job->data;

	if (job->kind != INGEST_POST || d == NULL)
		return 0;
	if (job->len >= 2 && d[0] == 0x1f && d[1] == 0x8b)
		return job->len * PREP_GZIP_RATIO;
	return job->len;
}

/* A body that cannot be read (err, taken): 413 when it is too large once decompressed, else
 * 400. */
static void job_unreadable(struct ingest_job *job, char *err)
{
	job->http_status = err && strstr(err, "exceeds") ? 413 : 400;
	job->errmsg = err;
}

/* A prepared POST's records in batch_order, without the ones a later record supersedes:
 * one FTS5 segment a job (and a group) instead of nearly one an article. */
static void job_order(struct ingest_job *job)
{
	struct order *o;
	struct article *arts;
	size_t i, n;

	if (job->narts < 2)
		return;
	o = xmalloc(job->narts * sizeof(*o));
	n = batch_order(job->arts, job->narts, o, &job->superseded);
	arts = xmalloc(n * sizeof(*arts));
	for (i = 0; i < n; i++)
		arts[i] = job->arts[o[i].pos];
	free(job->arts);
	free(o);
	job->arts = arts;
	job->narts = n;
}

/*
 * Parse a POST's body and prepare its records (the preparing thread). A body that cannot be
 * read is answered 400 (413 when too large) without reaching the writer; its records parsed
 * before the error are dropped, so nothing of it is written.
 */
static void prepare_job(struct ingest *w, struct ingest_job *job)
{
	struct prep p = { .w = w, .job = job };
	struct parse_sink sink = { .record = prep_record, .reject = ingest_batch_reject,
				  .ctx = &p };
	char *err = NULL;

	if (job->kind != INGEST_POST || job_weight(job) > PREP_MAX_BYTES)
		return;
	ingest_batch_init(&p.b, NULL, &w->opt, 1);
	p.b.deadline = &w->deadline;
	if (parse_buffer(job->data, job->len, "request body", PARSE_AUTO, w->opt.max_bytes,
			 &sink, &err) < 0 || p.b.failed) {
		if (p.b.failed) {
			job->http_status = 503;
			job->errmsg = p.b.errmsg;
			p.b.errmsg = NULL;
			free(err);
		} else {
			job_unreadable(job, err);
		}
		job_drop_articles(job);
	} else {
		job->rejected = p.b.rejects;
		p.b.rejects = NULL;
		job->nrejected = p.b.rejected;
		job_order(job);
	}
	ingest_batch_free(&p.b);
	free(job->data);
	job->data = NULL;
	job->len = 0;
}

/*
 * Write one job straight into the open transaction; its records are kept (the group may be
 * written again, run_group). -1 when it failed (400 or 413 for a large body found unreadable
 * here, 503; errmsg says why): the caller rolls the transaction back. A job written once
 * before the shutdown deadline is not stopped by it when the group is written again.
 */
static int run_job(struct ingest *w, struct ingest_job *job)
{
	struct ingest_batch b;
	struct parse_sink sink = { .record = ingest_batch_record,
				  .reject = ingest_batch_reject };
	char *err = NULL;
	size_t i;
	int found;

	job->http_status = 200;
	job->accepted = job->updated = job->duplicates = 0;
	free(job->errmsg);
	job->errmsg = NULL;
	if (job->kind == INGEST_DELETE) {
		if (store_delete_article(w->store, job->id, &found, &err) < 0) {
			job->http_status = 503;
			job->errmsg = err;
			return -1;
		}
		if (!found) {
			job->http_status = 404;
			job->errmsg = xasprintf("no article with id '%s'", job->id);
		}
		return 0;
	}
	ingest_batch_init(&b, w->store, &w->opt, job->data != NULL);
	if (!job->written)
		b.deadline = &w->deadline;
	if (job->data) {
		/* too large to wait prepared (prepare_job): parsed here, in chunks */
		sink.ctx = &b;
		ingest_batch_sorted(&b);
		if (parse_buffer(job->data, job->len, "request body", PARSE_AUTO,
				 w->opt.max_bytes, &sink, &err) < 0) {
			if (!b.failed) {
				job_unreadable(job, err);
				err = NULL;
			}
		} else {
			ingest_batch_flush(&b);
		}
		free(err);
		json_decref(job->rejected);
		job->rejected = b.rejects;
		b.rejects = NULL;
		job->nrejected = b.rejected;
	} else {
		b.updated = job->superseded;
		for (i = 0; i < job->narts && !b.failed; i++)
			if (!batch_past_deadline(&b))
				batch_put(&b, &job->arts[i]);
	}
	if (b.failed) {
		job->http_status = 503;
		job->errmsg = b.errmsg;
		b.errmsg = NULL;
	} else if (job->http_status == 200) {
		job->accepted = b.accepted;
		job->updated = b.updated;
		job->duplicates = b.duplicates;
		job->written = 1;
	}
	ingest_batch_free(&b);
	return job->http_status == 200 ? 0 : -1;
}

/* Still to be written or written in this round (not answered 400, 413 or 503). */
static int job_open(const struct ingest_job *job)
{
	return job->http_status == 0 || job->http_status == 200 || job->http_status == 404;
}

/* Past the shutdown deadline: the jobs from job on that were not written before it are
 * answered 503 with msg, without writing them one by one. */
static void give_up_unwritten(struct ingest_job *job, const char *msg)
{
	for (; job; job = job->next)
		if (job_open(job) && !job->written) {
			job->http_status = 503;
			free(job->errmsg);
			job->errmsg = xstrdup(msg);
		}
}

/*
 * One transaction for every prepared job; answers each after the COMMIT. The jobs are written
 * one after the other with no savepoint between them: FTS5 writes its pending words as a new
 * segment at every SAVEPOINT, and one segment (and one flush of the word counts) a group
 * costs less than one a job. A job that fails (a database error; past the shutdown deadline)
 * must leave no trace, so the transaction is rolled back and the group written again
 * without it; failures are rare (a disk that is full fails them all) and the group small.
 */
static void run_group(struct ingest *w, struct ingest_job *jobs)
{
	struct ingest_job *j, *next;
	int64_t added, updated, removed, version = 0;
	char *err = NULL;
	int ok;

again:
	added = updated = removed = 0;
	ok = store_begin(w->store, &err) == 0;
	for (j = jobs; ok && j; j = j->next) {
		if (!job_open(j))
			continue;	/* unreadable (prepare_job), or failed in an earlier round */
		if (run_job(w, j) < 0) {
			store_rollback(w->store);
			if (w->deadline > 0 && now_monotonic() > w->deadline)
				give_up_unwritten(j->next, j->errmsg);
			goto again;
		}
		added += j->accepted;
		updated += j->updated;
		if (j->kind == INGEST_DELETE && j->http_status == 200)
			removed++;
	}
	if (ok && store_commit(w->store, added, updated, removed, &version, &err) == 0) {
		for (j = jobs; j; j = j->next)
			if (j->http_status == 200) {
				w->duplicates += j->duplicates;
				w->rejected += j->nrejected;
			}
		w->accepted += added;
		w->updated += updated;
		w->deleted += removed;
		if (added + updated + removed > 0)	/* as index_version: batches that changed */
			w->batches++;
		if (added + updated + removed > 0 && w->opt.committed)	/* watch */
			w->opt.committed(w->opt.committed_arg, version);
	} else {
		ok = 0;
		store_rollback(w->store);
		w->failed_batches++;
	}
	for (j = jobs; j; j = next) {
		next = j->next;
		job_drop_articles(j);
		if (!ok && job_open(j)) {
			/* nothing of the group is visible: say so, never acknowledge */
			j->http_status = 503;
			free(j->errmsg);
			j->errmsg = xasprintf("the write was not committed: %s",
					      err ? err : "database error");
			j->accepted = j->updated = 0;
		}
		j->version = version;
		j->done(j);
	}
	free(err);
}

/* Move a processed spool file into done/ or failed/, never overwriting an earlier file. */
static int spool_move(const char *dir, const char *sub, const char *name, char **dest_out)
{
	char *src = xasprintf("%s/%s", dir, name), *dest = NULL;
	char *subdir = xasprintf("%s/%s", dir, sub);
	struct stat st;
	int i, rc;

	mkdir(subdir, 0755);
	dest = xasprintf("%s/%s", subdir, name);
	for (i = 1; stat(dest, &st) == 0 && i < 10000; i++) {
		free(dest);
		dest = xasprintf("%s/%s.%d", subdir, name, i);
	}
	rc = rename(src, dest);
	free(src);
	free(subdir);
	if (dest_out)
		*dest_out = dest;
	else
		free(dest);
	return rc;
}

/* Write NAME.err beside the failed file: one line per rejected record. */
static void spool_write_err(const char *path, json_t *rejects, const char *fatal)
{
	char *tmp = xasprintf("%s.err.tmp", path), *final = xasprintf("%s.err", path);
	FILE *f = fopen(tmp, "w");
	size_t i;
	json_t *r;

	if (f == NULL)
		goto out;
	if (fatal)
		fprintf(f, "file: %s\n", fatal);
	json_array_foreach(rejects, i, r) {
		const char *id = json_string_value(json_object_get(r, "id"));

		fprintf(f, "line %lld%s%s%s: %s\n",
			(long long)json_integer_value(json_object_get(r, "line")),
			id ? " (id " : "", id ? id : "", id ? ")" : "",
			json_string_value(json_object_get(r, "error")));
	}
	fflush(f);
	fsync(fileno(f));
	fclose(f);
	rename(tmp, final);
out:
	free(tmp);
	free(final);
}

/*
 * Ingest one spooled file in its own transaction. On a database failure the file stays in
 * the spool to be tried again (nothing is lost, nothing acknowledged).
 */
static void spool_file(struct ingest *w, const char *name)
{
	struct ingest_batch b;
	struct parse_sink sink = { .record = ingest_batch_record,
				  .reject = ingest_batch_reject };
	char *path = xasprintf("%s/%s", w->spool_dir, name), *err = NULL, *dest = NULL;
	int64_t version;
	int readable;

	ingest_batch_init(&b, w->store, &w->opt, 1);
	ingest_batch_sorted(&b);
	sink.ctx = &b;
	if (store_begin(w->store, &err) < 0)
		goto dberr;
	/* what a file that breaks off holds before the break is stored, as before */
	readable = parse_file(path, w->opt.max_bytes, &sink, &err) == 0;
	if (b.failed || ingest_batch_flush(&b) < 0)
		goto dberr;
	if (store_commit(w->store, b.accepted, b.updated, 0, &version, &err) < 0)
		goto dberr;
	w->accepted += b.accepted;
	w->updated += b.updated;
	w->rejected += b.rejected;
	w->duplicates += b.duplicates;
	if (b.accepted + b.updated > 0)
		w->batches++;
	if (b.accepted + b.updated > 0 && w->opt.committed)	/* watch */
		w->opt.committed(w->opt.committed_arg, version);
	if (readable && b.rejected == 0) {
		spool_move(w->spool_dir, "done", name, NULL);
		w->spool_done++;
	} else {
		if (spool_move(w->spool_dir, "failed", name, &dest) == 0)
			spool_write_err(dest, b.rejects, readable ? NULL : err);
		w->spool_failed++;
	}
	goto out;
dberr:
	store_rollback(w->store);
	w->failed_batches++;
	fprintf(stderr, "newsd: spool %s: %s; will retry\n", name,
		b.errmsg ? b.errmsg : err ? err : "database error");
out:
	ingest_batch_free(&b);
	free(path);
	free(err);
	free(dest);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Ingest every regular, non-hidden file in the spool directory, in name order. */
static void spool_scan(struct ingest *w)
{
	DIR *d = opendir(w->spool_dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char *p;

		if (e->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", w->spool_dir, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			size_t l = strlen(e->d_name);

			/* NAME.err files are ours; .tmp/.part are still being written */
			if (!(l > 4 && (strcmp(e->d_name + l - 4, ".tmp") == 0 ||
					strcmp(e->d_name + l - 4, ".err") == 0)) &&
			    !(l > 5 && strcmp(e->d_name + l - 5, ".part") == 0)) {
				names = xrealloc(names, (n + 1) * sizeof(*names));
				names[n++] = xstrdup(e->d_name);
			}
		}
		free(p);
	}
	closedir(d);
	if (n > 1)	/* qsort(NULL, 0, …) is undefined: the empty spool is the common case */
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		spool_file(w, names[i]);
		free(names[i]);
	}
	free(names);
}

/* The preparing thread: each submitted job in turn, handed to the writer as soon as it is
 * ready, so the writer stores one group while the next is parsed. */
static void *prep_main(void *arg)
{
	struct ingest *w = arg;

	pthread_setname_np(pthread_self(), "newsd-prep");

	for (;;) {
		struct ingest_job *jobs, *j;

		pthread_mutex_lock(&w->lock);
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->prep_cond, &w->lock);
		jobs = w->head;
		w->head = w->tail = NULL;
		if (jobs == NULL) {	/* stopping, and nothing more can be submitted */
			w->prep_done = 1;
			pthread_cond_signal(&w->cond);
			pthread_mutex_unlock(&w->lock);
			break;
		}
		pthread_mutex_unlock(&w->lock);
		while ((j = jobs) != NULL) {
			size_t weight = job_weight(j);

			jobs = j->next;
			j->next = NULL;
			pthread_mutex_lock(&w->lock);
			while (w->ahead > PREP_AHEAD_BYTES && w->ready != NULL)
				pthread_cond_wait(&w->prep_cond, &w->lock);
			pthread_mutex_unlock(&w->lock);
			prepare_job(w, j);
			pthread_mutex_lock(&w->lock);
			j->weight = weight;
			w->ahead += weight;
			if (w->ready_tail)
				w->ready_tail->next = j;
			else
				w->ready = j;
			w->ready_tail = j;
			pthread_cond_signal(&w->cond);
			pthread_mutex_unlock(&w->lock);
		}
	}
	return NULL;
}

static void *worker_main(void *arg)
{
	struct ingest *w = arg;
	double last_scan = 0;

	pthread_setname_np(pthread_self(), "newsd-writer");

	for (;;) {
		struct ingest_job *jobs, *j;
		int done;

		pthread_mutex_lock(&w->lock);
		while (w->ready == NULL && !w->prep_done) {
			struct timespec ts;

			if (w->spool_dir == NULL) {
				pthread_cond_wait(&w->cond, &w->lock);
				continue;
			}
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)(w->opt.spool_interval_ms % 1000) * 1000000L;
			ts.tv_sec += w->opt.spool_interval_ms / 1000 + ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT)
				break;
		}
		jobs = w->ready;
		w->ready = w->ready_tail = NULL;
		for (j = jobs; j; j = j->next) {
			w->queued--;
			w->ahead -= j->weight;
		}
		if (jobs)
			pthread_cond_signal(&w->prep_cond);
		done = w->prep_done;
		pthread_mutex_unlock(&w->lock);
		if (jobs)
			run_group(w, jobs);
		if (w->spool_dir && now_monotonic() - last_scan >= w->opt.spool_interval_ms / 1000.0) {
			spool_scan(w);
			last_scan = now_monotonic();
		}
		if (done && jobs == NULL)
			break;
	}
	return NULL;
}

int ingest_start(struct store *s, const struct ingest_options *opt, struct ingest **out,
		 char **errmsg)
{
	struct ingest *w = xcalloc(1, sizeof(*w));

	w->store = s;
	w->opt = *opt;
	if (store_set_dedup(s, opt->dedup) < 0) {
		set_error(errmsg, "cannot set up wire-copy detection");
		free(w);
		return -1;
	}
	if (store_background_checkpoints(s, errmsg) < 0) {
		free(w);
		return -1;
	}
	if (opt->spool_dir && opt->spool_dir[0]) {
		char *sub;

		w->spool_dir = xstrdup(opt->spool_dir);
		if (mkdir(w->spool_dir, 0755) < 0 && errno != EEXIST) {
			set_error(errmsg, "cannot create spool directory %s: %s", w->spool_dir,
				  strerror(errno));
			goto fail;
		}
		sub = xasprintf("%s/done", w->spool_dir);
		mkdir(sub, 0755);
		free(sub);
		sub = xasprintf("%s/failed", w->spool_dir);
		mkdir(sub, 0755);
		free(sub);
	}
	w->opt.spool_dir = w->spool_dir;
	if (w->opt.spool_interval_ms <= 0)
		w->opt.spool_interval_ms = 1000;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_cond_init(&w->prep_cond, NULL);
	if (pthread_create(&w->prep_thread, NULL, prep_main, w) != 0) {
		set_error(errmsg, "cannot start the ingest thread");
		goto fail_sync;
	}
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		set_error(errmsg, "cannot start the ingest thread");
		pthread_mutex_lock(&w->lock);
		w->stopping = 1;
		pthread_cond_signal(&w->prep_cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->prep_thread, NULL);
		goto fail_sync;
	}
	*out = w;
	return 0;
fail_sync:
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	pthread_cond_destroy(&w->prep_cond);
fail:
	free(w->spool_dir);
	free(w);
	return -1;
}

int ingest_submit(struct ingest *w, struct ingest_job *job)
{
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return -1;
	}
	job->next = NULL;
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	w->queued++;
	pthread_cond_signal(&w->prep_cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

void ingest_set_deadline(struct ingest *w, double until)
{
	if (w)
		w->deadline = until;
}

void ingest_stop(struct ingest *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->prep_cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->prep_thread, NULL);	/* hands over every job, then says prep_done */
	pthread_join(w->thread, NULL);		/* writes them, then stops */
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	pthread_cond_destroy(&w->prep_cond);
	zbody_free(w->z);
	buf_free(&w->zbuf);
	store_close(w->store);
	free(w->spool_dir);
	free(w);
}

void ingest_counters(struct ingest *w, struct ingest_counters *c)
{
	c->accepted = w->accepted;
	c->updated = w->updated;
	c->rejected = w->rejected;
	c->deleted = w->deleted;
	c->duplicates = w->duplicates;
	c->batches = w->batches;
	c->failed_batches = w->failed_batches;
	c->spool_done = w->spool_done;
	c->spool_failed = w->spool_failed;
	c->queued = w->queued;
}
