/*
 * watch.c — live watches in the server (API.md, "Live news — watches"): Server-Sent Events
 * streams on the HTTP workers, saved watches (/watches), the matcher thread and webhook
 * delivery. The change log, event ids, frames and the batch table are index/watch.c.
 *
 * Threads:
 *   matcher    its own read connection. Woken by each commit (ingest's `committed` hook) or
 *              every 500 ms (`newsd index` beside the server commits too). Every consumer (a
 *              stream, a webhook, a saved watch's match counter) has a cursor in the change
 *              log; the matcher loads the log rows after it into a small in-memory FTS5 table
 *              (watch_batch_*) and runs each watch's MATCH there: the cost of a commit is its
 *              own articles times the watches, whatever the size of the index. Consumers with
 *              the same cursor (every live stream, after the first round) share one load.
 *              Replays (Last-Event-ID) and live events are the same code, so a reconnecting
 *              client gets exactly what it missed and nothing twice.
 *   HTTP       a stream belongs to the worker that accepted it: the matcher appends its frames
 *              to the stream's pending buffer (mutex) and activates the stream's wake event;
 *              the worker moves them into evhttp. Never an evhttp object on another thread.
 *   webhooks   one thread with its own event_base and evhttp client connections, and its own
 *              write connection (saved watches, delivered cursors, pruning of the log).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include "date.h"
#include "log.h"
#include "search.h"
#include "server.h"
#include "util.h"
#include "watch.h"

#define CHUNK 512			/* log rows per batch table load */
#define HOOK_BATCH 100			/* articles per webhook POST (whole versions) */
#define HOOK_PAUSE_S 60.0		/* after the retries: wait, then start over from the cursor */
#define HOOK_BACKOFF_MAX_MS 60000
#define PRUNE_EVERY_S 60.0
#define PRUNE_ROWS 20000		/* per write transaction, so ingest never waits long */

/* ---- a watch's filters ---- */

struct filter {
	json_t *spec;			/* canonical: q, entity, source, from, to, lang (API names) */
	struct search_request sr;	/* pointing into spec's strings */
	const char **ents, **srcs, **langs;
	size_t nlangs;
	int snippets, snippet_words;
};

/* A watch being matched: one per ad-hoc stream, one per saved watch. */
struct wq {
	int refs;			/* hub lock */
	char *id;			/* saved: "w-…"; ad-hoc: NULL */
	char *name;
	char *webhook;
	int64_t created_at;
	struct filter f;
	char *key;			/* the spec as canonical JSON: equal watches share work */
	struct wq *next;		/* hub->saved (hub lock) */
	int removed;			/* deleted: no more deliveries (hub lock) */
	/* webhook state (hub lock) */
	int64_t hook_cursor;		/* delivered up to this key */
	int64_t hook_saved;		/* what the database holds */
	int hook_busy;			/* a batch is in flight or waiting for its retry */
	double hook_after;		/* monotonic: no new batch before */
	_Atomic int64_t matched;	/* events matched live, since start */
	_Atomic int64_t last_match_version;
	/* matcher thread only */
	struct search_plan plan;
	int has_plan;
	int64_t plan_version;
	uint64_t stamp;			/* chunk whose matches hit[] holds */
	unsigned char hit[CHUNK];
	json_t **rendered;		/* per row of the chunk, NULL until asked */
	char **dumped;			/* the same as SSE data */
};

/* An SSE connection, owned by its worker. */
struct watch_stream {
	int refs;			/* hub lock: the worker's, the hub list's, a matcher round's */
	struct watch_hub *hub;
	struct wq *q;
	struct worker *w;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct event *wake;
	pthread_mutex_t lock;		/* pending, closed, drop */
	struct evbuffer *pending;	/* frames from the matcher, not yet handed to evhttp */
	int closed;			/* the worker let go: the matcher stops writing */
	int drop;			/* the backlog passed watch_buffer_bytes */
	struct watch_stream *next;	/* hub->streams (hub lock) */
	struct watch_stream *wnext, *wprev;	/* the worker's list (worker thread) */
	/* matcher thread only */
	int64_t cursor;
	int replaying;
	struct watch_replay replay;
	int64_t gap_from;		/* > 0: events before this were pruned from the log */
};

struct hook_job {
	struct watch_hub *hub;
	struct wq *q;			/* a reference */
	char *body;
	size_t len;
	int64_t end;			/* the cursor once delivered */
	int64_t version;
	int attempts;
	struct evhttp_connection *conn;
	struct event *timer;
	int finished;			/* delivered or given up: freed outside any callback */
	struct hook_job *next;
};

struct watch_hub {
	struct server *srv;
	struct config *cfg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int kick;			/* something to do: a commit, a new consumer, an ack */
	int stopping;
	struct watch_stream *streams;
	struct wq *saved;
	/* matcher */
	pthread_t matcher;
	int matcher_started;
	struct store *rd;
	struct watch_batch *batch;
	int64_t done_key;		/* matcher: every live consumer is here */
	uint64_t chunk_seq;
	int64_t pruned_before;		/* the log holds nothing older than this key */
	/* webhooks */
	pthread_t hooks;
	int hooks_started;
	struct event_base *hbase;
	struct event *hwake, *htick;
	struct hook_job *hq;		/* queued by the matcher (hub lock) */
	struct hook_job *jobs;		/* taken by the webhook thread: in flight, waiting, done */
	double last_prune;
	/* the write connection: saved watches, cursors, pruning (wr_lock) */
	pthread_mutex_t wr_lock;
	struct store *wr;
	char **allow;			/* webhook_allow, split */
	size_t nallow;
	/* metrics */
	_Atomic int64_t nstreams, events_sent, dropped, hook_ok, hook_failed;
	_Atomic int64_t match_rounds, match_us;
};

/* ---- filters ---- */

static void filter_free(struct filter *f)
{
	json_decref(f->spec);
	free(f->ents);
	free(f->srcs);
	free(f->langs);
	memset(f, 0, sizeof(*f));
}

/* A list of strings from a JSON string or array; NULL-terminated (caller frees the array). */
static const char **str_list(json_t *v, size_t *n, int *bad)
{
	const char **out;
	size_t i;
	json_t *x;

	*n = 0;
	if (v == NULL || json_is_null(v))
		return xcalloc(1, sizeof(*out));
	if (json_is_string(v)) {
		out = xcalloc(2, sizeof(*out));
		out[(*n)++] = json_string_value(v);
		return out;
	}
	if (!json_is_array(v)) {
		*bad = 1;
		return xcalloc(1, sizeof(*out));
	}
	out = xcalloc(json_array_size(v) + 1, sizeof(*out));
	json_array_foreach(v, i, x) {
		if (!json_is_string(x)) {
			*bad = 1;
			break;
		}
		out[(*n)++] = json_string_value(x);
	}
	return out;
}

struct werr {
	int status;
	const char *code;
	char msg[512];
};

static int werr_set(struct werr *e, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int werr_set(struct werr *e, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* A date filter as /search reads it: a date-only `to` covers that whole day. */
static int spec_date(json_t *spec, const char *key, int is_to, int *has, int64_t *out,
		     struct werr *e)
{
	json_t *v = json_object_get(spec, key);
	const char *s;
	char *err = NULL;
	int date_only = 0;

	*has = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return werr_set(e, 400, "bad_date", "%s must be a date string", key);
	s = json_string_value(v);
	if (s[0] == '\0')
		return 0;
	if (date_parse(s, strlen(s), out, &date_only, &err) < 0) {
		werr_set(e, 400, "bad_date", "%s: %s", key, err ? err : "invalid date");
		free(err);
		return -1;
	}
	if (is_to && date_only)
		*out += 86399;
	*has = 1;
	return 0;
}

/*
 * Fill f from a spec object {q, entity, source, from, to, lang, snippets, snippet_words}
 * (takes a reference). Checks what needs no database; the query and the entity and source
 * names are checked by building a plan (filter_check).
 */
static int filter_init(struct filter *f, json_t *spec, const struct config *c, struct werr *e)
{
	static _Thread_local struct query_limits lim;
	json_t *q = json_object_get(spec, "q"), *v;
	int bad = 0;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->spec = spec;
	lim.max_bytes = (size_t)c->max_query_bytes;
	lim.max_terms = c->max_query_terms;
	lim.max_depth = c->max_query_depth;
	f->sr.limits = &lim;
	f->sr.timeout_ms = c->query_timeout_ms;
	if (q && !json_is_null(q) && !json_is_string(q))
		return werr_set(e, 400, "bad_query", "q must be a string");
	f->sr.q = json_string_value(q);
	if (spec_date(spec, "from", 0, &f->sr.has_from, &f->sr.from, e) < 0 ||
	    spec_date(spec, "to", 1, &f->sr.has_to, &f->sr.to, e) < 0)
		return -1;
	if (f->sr.has_from && f->sr.has_to && f->sr.from > f->sr.to)
		return werr_set(e, 400, "bad_date", "'from' is after 'to'");
	f->ents = str_list(json_object_get(spec, "entity"), &f->sr.nentities, &bad);
	f->srcs = str_list(json_object_get(spec, "source"), &f->sr.nsources, &bad);
	f->langs = str_list(json_object_get(spec, "lang"), &f->nlangs, &bad);
	f->sr.entities = f->ents;
	f->sr.sources = f->srcs;
	/* the watch's languages stem q as /search does; lang_ok filters the rows */
	f->sr.langs = f->langs;
	f->sr.nlangs = f->nlangs;
	f->sr.langs_stem_only = 1;
	if (bad)
		return werr_set(e, 400, "bad_parameter", "entity, source and lang take a string or "
				"a list of strings");
	for (i = 0; i < f->nlangs; i++) {
		size_t n = strlen(f->langs[i]), k;

		for (k = 0; k < n && islower((unsigned char)f->langs[i][k]); k++)
			;
		if (n < 2 || n > 3 || k != n)
			return werr_set(e, 400, "bad_parameter", "lang takes ISO 639-1 codes such as "
					"'en' or 'de', not '%.40s'", f->langs[i]);
	}
	f->snippets = 3;
	f->snippet_words = 24;
	if ((v = json_object_get(spec, "snippets")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 5)
			return werr_set(e, 400, "bad_parameter", "snippets must be a whole number "
					"from 0 to 5");
		f->snippets = (int)json_integer_value(v);
	}
	if ((v = json_object_get(spec, "snippet_words")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 64)
			return werr_set(e, 400, "bad_parameter", "snippet_words must be a whole "
					"number from 1 to 64");
		f->snippet_words = (int)json_integer_value(v);
	}
	return 0;
}

/* The query and filters compile (on this connection): the same 400s as /search. */
static int filter_check(struct filter *f, struct store *s, struct request *r)
{
	struct search_plan plan;
	struct search_error err = { SEARCH_OK, NULL, -1 };

	if (search_plan_build(s, &f->sr, &plan, &err) < 0) {
		http_reply_search_error(r, &err);
		search_error_clear(&err);
		return -1;
	}
	search_plan_free(&plan);
	return 0;
}

static int lang_ok(const struct filter *f, const char *lang)
{
	size_t i;

	if (f->nlangs == 0)
		return 1;
	/* an article without lang is English, as API.md's default */
	if (lang[0] == '\0')
		lang = "en";
	for (i = 0; i < f->nlangs; i++)
		if (strcasecmp(f->langs[i], lang) == 0)
			return 1;
	return 0;
}

/* ---- watches and streams: references under the hub lock ---- */

static void wq_free(struct wq *q)
{
	size_t i;

	for (i = 0; q->rendered && i < CHUNK; i++) {
		json_decref(q->rendered[i]);
		free(q->dumped[i]);
	}
	filter_free(&q->f);
	if (q->has_plan)
		search_plan_free(&q->plan);
	free(q->rendered);
	free(q->dumped);
	free(q->key);
	free(q->id);
	free(q->name);
	free(q->webhook);
	free(q);
}

/* Drop a reference (counts are kept under the hub lock); 1 when it was the last. */
static int drop_ref(struct watch_hub *h, int *refs)
{
	int last;

	pthread_mutex_lock(&h->lock);
	last = --*refs == 0;
	pthread_mutex_unlock(&h->lock);
	return last;
}

static void wq_unref(struct watch_hub *h, struct wq *q)
{
	if (drop_ref(h, &q->refs))
		wq_free(q);
}

static void stream_unref(struct watch_hub *h, struct watch_stream *s)
{
	if (!drop_ref(h, &s->refs))
		return;
	event_free(s->wake);
	evbuffer_free(s->pending);
	pthread_mutex_destroy(&s->lock);
	wq_unref(h, s->q);
	free(s);
}

static void hub_kick(struct watch_hub *h)
{
	pthread_mutex_lock(&h->lock);
	h->kick = 1;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

void watch_hub_committed(void *arg, int64_t version)
{
	(void)version;
	hub_kick(arg);
}

/* ---- the matcher ---- */

enum consumer_kind { C_STREAM, C_HOOK, C_COUNT };

struct consumer {
	enum consumer_kind kind;
	struct wq *q;			/* whose plan and caches serve this consumer */
	struct wq *own;			/* the reference this round holds */
	struct watch_stream *s;
	int64_t cursor;
	int done;
	struct buf out;			/* stream: frames of this chunk */
	json_t *arts, *dels;		/* webhook: the batch */
	int64_t last_v;			/* webhook: version of the last event */
	int64_t end;			/* webhook: where the batch ends */
};

/* The plan of q on the matcher's connection: built once, and again for every new version
 * when entity or source names must be resolved (an entity may appear with this commit). */
static void wq_plan(struct watch_hub *h, struct wq *q, int64_t version)
{
	struct search_error err = { SEARCH_OK, NULL, -1 };

	if (q->has_plan && (q->plan_version == version ||
			    (q->f.sr.nentities == 0 && q->f.sr.nsources == 0)))
		return;
	if (q->has_plan)
		search_plan_free(&q->plan);
	q->has_plan = 1;
	q->plan_version = version;
	if (search_plan_build(h->rd, &q->f.sr, &q->plan, &err) < 0) {
		/* checked when the watch was made; a failure now matches nothing */
		log_warn("watch: cannot compile %s: %s", q->id ? q->id : "a stream's query",
			 err.message ? err.message : "?");
		memset(&q->plan, 0, sizeof(q->plan));
		q->plan.empty = 1;
	}
	search_error_clear(&err);
}

/* Which rows of the loaded chunk match q (once per chunk, whoever asks). */
static const unsigned char *wq_hits(struct watch_hub *h, struct wq *q, size_t n,
				    const struct watch_row *rows)
{
	char *err = NULL;
	size_t i;

	if (q->stamp == h->chunk_seq)
		return q->hit;
	q->stamp = h->chunk_seq;
	memset(q->hit, 0, sizeof(q->hit));
	if (q->rendered)
		for (i = 0; i < CHUNK; i++) {
			json_decref(q->rendered[i]);
			q->rendered[i] = NULL;
			free(q->dumped[i]);
			q->dumped[i] = NULL;
		}
	if (q->plan.empty || q->plan.match == NULL)
		return q->hit;
	search_plan_use(h->rd, &q->plan);
	if (watch_batch_match(h->batch, q->plan.match, q->hit, &err) < 0) {
		log_warn("watch: %s", err);
		free(err);
		memset(q->hit, 0, sizeof(q->hit));
	}
	for (i = 0; i < n; i++)
		if (q->hit[i] && (rows[i].rid < q->plan.rid_lo || rows[i].rid > q->plan.rid_hi ||
				  !lang_ok(&q->f, rows[i].lang)))
			q->hit[i] = 0;
	return q->hit;
}

/* The event's JSON (borrowed; cached for the chunk): a /search hit, or {"id"} of a delete. */
static json_t *wq_render(struct watch_hub *h, struct wq *q, size_t i, const struct watch_row *r)
{
	struct search_error err = { SEARCH_OK, NULL, -1 };
	json_t *o;

	if (q->rendered == NULL) {
		q->rendered = xcalloc(CHUNK, sizeof(*q->rendered));
		q->dumped = xcalloc(CHUNK, sizeof(*q->dumped));
	}
	if (q->rendered[i])
		return q->rendered[i];
	if (r->kind == WATCH_DELETED) {
		o = json_pack("{s:s, s:I}", "id", r->id, "index_version",
			      (json_int_t)watch_key_version(r->key));
	} else if (search_hit(h->rd, &q->plan, r->rid, q->f.snippets, q->f.snippet_words, &o,
			      &err) == 0) {
		json_object_set_new(o, "updated", json_boolean(r->kind == WATCH_UPDATED));
		json_object_set_new(o, "index_version",
				    json_integer(watch_key_version(r->key)));
	} else {
		log_warn("watch: cannot render article %s: %s", r->id,
			 err.message ? err.message : "?");
		o = NULL;
	}
	search_error_clear(&err);
	q->rendered[i] = o;
	return o;
}

/* Hand a stream the frames of this chunk; a backlog past the cap marks it to be dropped. */
static void stream_push(struct watch_hub *h, struct watch_stream *s, struct buf *b)
{
	int wake = 0;

	if (b->len == 0)
		return;
	pthread_mutex_lock(&s->lock);
	if (!s->closed && !s->drop) {
		evbuffer_add(s->pending, b->data, b->len);
		if (evbuffer_get_length(s->pending) > (size_t)h->cfg->watch_buffer_bytes)
			s->drop = 1;
		wake = 1;
	}
	if (wake)
		event_active(s->wake, EV_READ, 0);
	pthread_mutex_unlock(&s->lock);
	buf_reset(b);
}

static void consume_stream(struct watch_hub *h, struct consumer *c, size_t i,
			   const struct watch_row *r)
{
	json_t *o = wq_render(h, c->q, i, r);

	if (o == NULL)
		return;
	if (c->s->replaying && !watch_replay_take(&c->s->replay, r->key))
		return;
	/* encoded once per watch and row, whatever the number of streams */
	if (c->q->dumped[i] == NULL)
		c->q->dumped[i] = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
	if (c->q->dumped[i] == NULL)
		return;
	watch_sse_frame(&c->out, r->kind == WATCH_DELETED ? "deleted" : "article", r->key,
			c->q->dumped[i]);
	h->events_sent++;
}

/* Stop a webhook batch before version v once it is full: a version is never split, so a
 * receiver may drop any batch whose index_version it has seen. */
static int hook_full(struct consumer *c, int64_t v)
{
	return c->last_v && v != c->last_v &&
	       json_array_size(c->arts) + json_array_size(c->dels) >= HOOK_BATCH;
}

/* Run one chunk (already loaded) through every consumer of the group. */
static void consume_chunk(struct watch_hub *h, struct consumer *cs, size_t nc, int live)
{
	size_t n, i, k;
	const struct watch_row *rows = watch_batch_rows(h->batch, &n);

	for (k = 0; k < nc; k++) {
		struct consumer *c = &cs[k];
		const unsigned char *hit;

		if (c->done)
			continue;
		hit = wq_hits(h, c->q, n, rows);
		for (i = 0; i < n; i++) {
			int64_t v = watch_key_version(rows[i].key);

			if (c->kind == C_HOOK && hook_full(c, v)) {
				c->done = 1;
				c->end = watch_key_end(c->last_v);
				break;
			}
			if (!hit[i])
				continue;
			if (c->kind == C_COUNT) {
				if (live) {
					c->own->matched++;
					c->own->last_match_version = v;
				}
				continue;
			}
			if (c->kind == C_STREAM) {
				consume_stream(h, c, i, &rows[i]);
				continue;
			}
			/* webhook */
			if (rows[i].kind == WATCH_DELETED) {
				json_array_append_new(c->dels, json_string(rows[i].id));
			} else {
				json_t *o = wq_render(h, c->q, i, &rows[i]);

				if (o == NULL)
					continue;
				json_array_append(c->arts, o);
			}
			c->last_v = v;
		}
		if (c->kind == C_STREAM)
			stream_push(h, c->s, &c->out);
	}
}

static void hook_enqueue(struct watch_hub *h, struct consumer *c);

/* Deliver the log range (lo, hi] to a group of consumers whose cursor is lo. */
static void process_range(struct watch_hub *h, int64_t lo, int64_t hi, struct consumer *cs,
			  size_t nc, int live)
{
	int64_t after = lo, last = lo;
	size_t k;
	char *err = NULL;
	int n;

	for (k = 0; k < nc; k++) {
		if (cs[k].kind == C_STREAM && cs[k].s->gap_from > 0) {
			/* the log was pruned past this client's place: say so first */
			char data[160];

			snprintf(data, sizeof(data), "{\"skipped\":null,\"from_version\":%lld,"
				 "\"to_version\":%lld,\"reason\":\"pruned\"}",
				 (long long)watch_key_version(lo),
				 (long long)watch_key_version(cs[k].s->gap_from));
			watch_sse_frame(&cs[k].out, "gap", cs[k].s->gap_from - 1, data);
			stream_push(h, cs[k].s, &cs[k].out);
			cs[k].s->gap_from = 0;
		}
	}
	for (;;) {
		int active = 0;

		for (k = 0; k < nc; k++)
			active |= !cs[k].done;
		if (!active)
			break;
		n = watch_batch_load(h->batch, after, hi, CHUNK, &last, &err);
		if (n < 0) {
			log_warn("watch: %s", err);
			free(err);
			err = NULL;
			break;
		}
		if (n == 0)
			break;
		h->chunk_seq++;
		consume_chunk(h, cs, nc, live);
		after = last;
		if (n < CHUNK)
			break;
	}
	for (k = 0; k < nc; k++) {
		struct consumer *c = &cs[k];

		if (c->kind == C_STREAM) {
			struct watch_stream *s = c->s;

			if (s->replaying && s->replay.skipped > 0) {
				char data[160];

				snprintf(data, sizeof(data), "{\"skipped\":%lld,\"from_version\":%lld,"
					 "\"to_version\":%lld}", (long long)s->replay.skipped,
					 (long long)watch_key_version(s->replay.first_skipped),
					 (long long)watch_key_version(s->replay.last_skipped));
				watch_sse_frame(&c->out, "gap", s->replay.last_skipped, data);
				stream_push(h, s, &c->out);
			}
			s->replaying = 0;
			s->cursor = hi;
		} else if (c->kind == C_HOOK) {
			if (!c->done)
				c->end = hi;
			hook_enqueue(h, c);
		}
		buf_free(&c->out);
	}
}

static int cmp_cursor(const void *a, const void *b)
{
	const struct consumer *x = a, *y = b;

	return x->cursor < y->cursor ? -1 : x->cursor > y->cursor;
}

/*
 * Consumers whose watches have the same filters (dashboards open the same query many times,
 * a saved watch has its stream and its webhook) use one of them for matching and rendering:
 * its per-chunk caches then serve them all. A small hash table over the spec keys.
 */
static void share_watches(struct consumer *cs, size_t nc)
{
	size_t cap = 16, i, k;
	struct wq **tab;

	while (cap < 2 * nc)
		cap *= 2;
	tab = xcalloc(cap, sizeof(*tab));
	for (i = 0; i < nc; i++) {
		struct wq *q = cs[i].q;

		if (q->key == NULL)
			continue;
		k = (size_t)hash64(q->key, strlen(q->key), 0) & (cap - 1);
		while (tab[k] && strcmp(tab[k]->key, q->key) != 0)
			k = (k + 1) & (cap - 1);
		if (tab[k] == NULL)
			tab[k] = q;
		cs[i].q = tab[k];
	}
	free(tab);
}

/* One round: every consumer behind the newest version is brought up to it. */
static void matcher_round(struct watch_hub *h)
{
	struct consumer *cs = NULL;
	size_t nc = 0, cap = 0, i, j;
	struct watch_stream *s;
	struct wq *q;
	int64_t cur, hi;
	double t0 = now_monotonic(), now = t0;

	if (sqlite3_exec(store_db(h->rd), "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return;
	cur = store_index_version(h->rd);
	hi = watch_key_end(cur);
	pthread_mutex_lock(&h->lock);
	for (s = h->streams; s; s = s->next) {
		if (s->cursor >= hi)
			continue;
		if (nc == cap)
			cs = xrealloc(cs, (cap = cap ? 2 * cap : 64) * sizeof(*cs));
		memset(&cs[nc], 0, sizeof(*cs));
		cs[nc].kind = C_STREAM;
		cs[nc].s = s;
		cs[nc].q = cs[nc].own = s->q;
		cs[nc].cursor = s->cursor;
		s->refs++;
		s->q->refs++;
		nc++;
	}
	for (q = h->saved; q; q = q->next) {
		int hook = q->webhook && !q->hook_busy && now >= q->hook_after &&
			   q->hook_cursor < hi;

		if (!hook && h->done_key >= hi)
			continue;
		if (nc + 2 > cap)
			cs = xrealloc(cs, (cap = cap ? 2 * cap : 64) * sizeof(*cs));
		if (h->done_key < hi) {
			memset(&cs[nc], 0, sizeof(*cs));
			cs[nc].kind = C_COUNT;
			cs[nc].q = cs[nc].own = q;
			cs[nc].cursor = h->done_key;
			q->refs++;
			nc++;
		}
		if (hook) {
			memset(&cs[nc], 0, sizeof(*cs));
			cs[nc].kind = C_HOOK;
			cs[nc].q = cs[nc].own = q;
			cs[nc].cursor = q->hook_cursor;
			cs[nc].arts = json_array();
			cs[nc].dels = json_array();
			q->hook_busy = 1;	/* until its batch is delivered or found empty */
			q->refs++;
			nc++;
		}
	}
	pthread_mutex_unlock(&h->lock);
	if (nc > 1)
		qsort(cs, nc, sizeof(*cs), cmp_cursor);
	share_watches(cs, nc);
	for (i = 0; i < nc; i++)
		wq_plan(h, cs[i].q, cur);
	/* consumers at the same place share each load of the log */
	for (i = 0; i < nc; i = j) {
		for (j = i + 1; j < nc && cs[j].cursor == cs[i].cursor; j++)
			;
		process_range(h, cs[i].cursor, hi, cs + i, j - i, cs[i].cursor == h->done_key);
	}
	if (h->done_key < hi)
		h->done_key = hi;
	sqlite3_exec(store_db(h->rd), "COMMIT", NULL, NULL, NULL);
	for (i = 0; i < nc; i++) {
		json_decref(cs[i].arts);
		json_decref(cs[i].dels);
		if (cs[i].s)
			stream_unref(h, cs[i].s);
		wq_unref(h, cs[i].own);
	}
	free(cs);
	if (nc) {
		h->match_rounds++;
		h->match_us += (int64_t)((now_monotonic() - t0) * 1e6);
	}
}

static void *matcher_main(void *arg)
{
	struct watch_hub *h = arg;

	pthread_setname_np(pthread_self(), "newsd-watch");

	for (;;) {
		struct timespec ts;

		pthread_mutex_lock(&h->lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 500 * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		/* the timeout also catches commits of another process (newsd index) */
		while (!h->kick && !h->stopping)
			if (pthread_cond_timedwait(&h->cond, &h->lock, &ts) != 0)
				break;
		h->kick = 0;
		if (h->stopping) {
			pthread_mutex_unlock(&h->lock);
			break;
		}
		pthread_mutex_unlock(&h->lock);
		matcher_round(h);
	}
	return NULL;
}

/* ---- webhooks ---- */

static void hook_send(struct hook_job *j);

static void hook_job_free(struct hook_job *j)
{
	if (j->timer)
		event_free(j->timer);
	if (j->conn)
		evhttp_connection_free(j->conn);
	wq_unref(j->hub, j->q);
	free(j->body);
	free(j);
}

/* On the matcher: a webhook consumer's batch goes to the delivery thread, or (empty) only
 * moves its cursor. */
static void hook_enqueue(struct watch_hub *h, struct consumer *c)
{
	struct hook_job *j;
	json_t *body;

	if (json_array_size(c->arts) + json_array_size(c->dels) == 0) {
		pthread_mutex_lock(&h->lock);
		if (c->end > c->own->hook_cursor)
			c->own->hook_cursor = c->end;
		c->own->hook_busy = 0;
		pthread_mutex_unlock(&h->lock);
		return;
	}
	body = json_pack("{s:s, s:I, s:O, s:O}", "watch", c->own->id, "index_version",
			 (json_int_t)c->last_v, "articles", c->arts, "deleted", c->dels);
	j = xcalloc(1, sizeof(*j));
	j->hub = h;
	j->q = c->own;
	j->body = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10));
	j->len = j->body ? strlen(j->body) : 0;
	j->end = c->end;
	j->version = c->last_v;
	json_decref(body);
	pthread_mutex_lock(&h->lock);
	c->own->refs++;
	j->next = h->hq;
	h->hq = j;
	pthread_mutex_unlock(&h->lock);
	event_active(h->hwake, EV_READ, 0);
}

static int host_allowed(struct watch_hub *h, const char *host, int port)
{
	char hp[300];
	size_t i;

	snprintf(hp, sizeof(hp), "%s:%d", host, port);
	for (i = 0; i < h->nallow; i++)
		if (strcasecmp(h->allow[i], host) == 0 || strcasecmp(h->allow[i], hp) == 0)
			return 1;
	return 0;
}

/* Parse a webhook URL: http only, host allowed. 0, or -1 with a message. */
static int hook_target(struct watch_hub *h, const char *url, char **host, int *port,
		       char **path, struct werr *e)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);
	const char *sc, *ho, *pa, *qu;
	int rc = -1;

	if (u == NULL) {
		werr_set(e, 400, "bad_parameter", "webhook is not a URL");
		goto out;
	}
	sc = evhttp_uri_get_scheme(u);
	ho = evhttp_uri_get_host(u);
	if (sc == NULL || strcasecmp(sc, "http") != 0 || ho == NULL || ho[0] == '\0') {
		werr_set(e, 400, "bad_parameter", "webhook must be an http:// URL with a host "
			 "(for https, point it at a local TLS proxy)");
		goto out;
	}
	*port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
	if (!host_allowed(h, ho, *port)) {
		werr_set(e, 400, "bad_parameter", "webhook host '%.100s' is not in webhook_allow",
			 ho);
		goto out;
	}
	pa = evhttp_uri_get_path(u);
	qu = evhttp_uri_get_query(u);
	*host = xstrdup(ho);
	*path = xasprintf("%s%s%s", pa && pa[0] ? pa : "/", qu ? "?" : "", qu ? qu : "");
	rc = 0;
out:
	if (u)
		evhttp_uri_free(u);
	return rc;
}

/* Free the finished jobs (on the webhook thread, never inside a connection's callback). */
static void hook_reap(struct watch_hub *h)
{
	struct hook_job **pp = &h->jobs, *j;

	while ((j = *pp) != NULL) {
		if (j->finished) {
			*pp = j->next;
			hook_job_free(j);
		} else {
			pp = &j->next;
		}
	}
}

static void hook_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hook_send(arg);
}

/* Persist a webhook's cursor (its own watch row). */
static void hook_save_cursor(struct watch_hub *h, struct wq *q, int64_t key)
{
	char *err = NULL;

	pthread_mutex_lock(&h->wr_lock);
	if (watch_saved_set_delivered(h->wr, q->id, key, &err) < 0) {
		log_warn("watch %s: cannot record the delivery: %s", q->id, err);
		free(err);
	} else {
		pthread_mutex_lock(&h->lock);
		if (key > q->hook_saved)
			q->hook_saved = key;
		pthread_mutex_unlock(&h->lock);
	}
	pthread_mutex_unlock(&h->wr_lock);
}

/* A delivery's answer (req NULL: no connection, timeout). */
static void hook_done(struct evhttp_request *req, void *arg)
{
	struct hook_job *j = arg;
	struct watch_hub *h = j->hub;
	int status = req ? evhttp_request_get_response_code(req) : 0;
	struct timeval tv = { 0, 0 };

	if (h->stopping)	/* connections freed at shutdown: the cursor stays, resent later */
		return;
	if (status >= 200 && status < 300) {
		h->hook_ok++;
		pthread_mutex_lock(&h->lock);
		if (j->end > j->q->hook_cursor)
			j->q->hook_cursor = j->end;
		j->q->hook_busy = 0;
		pthread_mutex_unlock(&h->lock);
		hook_save_cursor(h, j->q, j->end);
		j->finished = 1;
		hub_kick(h);	/* more may be waiting behind this batch */
		return;
	}
	h->hook_failed++;
	log_warn("watch %s: webhook answered %d (attempt %d)", j->q->id, status, j->attempts);
	if (j->attempts <= h->cfg->webhook_retries && !j->q->removed) {
		double ms = h->cfg->webhook_backoff_ms * pow(2, j->attempts - 1);

		if (ms > HOOK_BACKOFF_MAX_MS)
			ms = HOOK_BACKOFF_MAX_MS;
		tv.tv_sec = (long)(ms / 1000);
		tv.tv_usec = (long)fmod(ms, 1000) * 1000;
		if (j->timer == NULL)
			j->timer = evtimer_new(h->hbase, hook_retry, j);
		evtimer_add(j->timer, &tv);
		return;
	}
	/* out of retries: nothing is lost, the cursor stays; start over after a pause */
	pthread_mutex_lock(&h->lock);
	j->q->hook_busy = 0;
	j->q->hook_after = now_monotonic() + HOOK_PAUSE_S;
	pthread_mutex_unlock(&h->lock);
	j->finished = 1;
}

static void hook_send(struct hook_job *j)
{
	struct watch_hub *h = j->hub;
	struct evhttp_request *req;
	struct evkeyvalq *hd;
	char *host = NULL, *path = NULL, sig[65], tmp[96];
	struct werr e;
	int port = 80;

	j->attempts++;
	if (j->q->removed || hook_target(h, j->q->webhook, &host, &port, &path, &e) < 0) {
		if (!j->q->removed)
			log_warn("watch %s: webhook not sent: %s", j->q->id, e.msg);
		hook_done(NULL, j);
		goto out;
	}
	/* one connection per job, reused by its retries (evhttp reconnects) */
	if (j->conn == NULL)
		j->conn = evhttp_connection_base_new(h->hbase, NULL, host, (unsigned short)port);
	if (j->conn == NULL) {
		hook_done(NULL, j);
		goto out;
	}
	evhttp_connection_set_timeout(j->conn, h->cfg->webhook_timeout_s);
	req = evhttp_request_new(hook_done, j);
	hd = evhttp_request_get_output_headers(req);
	evhttp_add_header(hd, "Host", host);
	evhttp_add_header(hd, "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(hd, "User-Agent", "newsd-webhook");
	evhttp_add_header(hd, "X-Newsd-Watch", j->q->id);
	snprintf(tmp, sizeof(tmp), "%lld", (long long)j->version);
	evhttp_add_header(hd, "X-Newsd-Index-Version", tmp);
	watch_hmac_sha256_hex(h->cfg->webhook_secret, strlen(h->cfg->webhook_secret), j->body,
			      j->len, sig);
	snprintf(tmp, sizeof(tmp), "sha256=%s", sig);
	evhttp_add_header(hd, "X-Newsd-Signature", tmp);
	evbuffer_add(evhttp_request_get_output_buffer(req), j->body, j->len);
	if (evhttp_make_request(j->conn, req, EVHTTP_REQ_POST, path) < 0)
		hook_done(NULL, j);
out:
	free(host);
	free(path);
}

static void hook_wake(evutil_socket_t fd, short what, void *arg)
{
	struct watch_hub *h = arg;
	struct hook_job *j, *next, *rev = NULL;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&h->lock);
	j = h->hq;
	h->hq = NULL;
	pthread_mutex_unlock(&h->lock);
	for (; j; j = next) {	/* queued newest first: send in order */
		next = j->next;
		j->next = rev;
		rev = j;
	}
	hook_reap(h);
	for (j = rev; j; j = next) {
		next = j->next;
		j->next = h->jobs;
		h->jobs = j;
		hook_send(j);
	}
}

/* Every second: cursors moved by empty ranges are saved; now and then the log is pruned. */
static void hook_tick(evutil_socket_t fd, short what, void *arg)
{
	struct watch_hub *h = arg;
	struct wq *q;
	char **ids = NULL, *err = NULL;
	int64_t *keys = NULL, oldest = INT64_MAX;
	size_t n = 0, i;

	(void)fd;
	(void)what;
	hook_reap(h);
	pthread_mutex_lock(&h->lock);
	for (q = h->saved; q; q = q->next) {
		if (!q->webhook)
			continue;
		if (q->hook_saved < oldest)
			oldest = q->hook_saved;
		if (q->hook_cursor > q->hook_saved && !q->hook_busy) {
			ids = xrealloc(ids, (n + 1) * sizeof(*ids));
			keys = xrealloc(keys, (n + 1) * sizeof(*keys));
			ids[n] = xstrdup(q->id);
			keys[n] = q->hook_cursor;
			q->hook_saved = q->hook_cursor;
			n++;
		}
	}
	pthread_mutex_unlock(&h->lock);
	pthread_mutex_lock(&h->wr_lock);
	for (i = 0; i < n; i++) {
		if (watch_saved_set_delivered(h->wr, ids[i], keys[i], &err) < 0) {
			log_warn("watch %s: %s", ids[i], err);
			free(err);
			err = NULL;
		}
		free(ids[i]);
	}
	if (now_monotonic() - h->last_prune >= PRUNE_EVERY_S) {
		int64_t v = store_index_version(h->wr) - h->cfg->watch_keep_versions + 1;
		int64_t keep = v > 0 ? watch_key(v, 0) : 0;
		/* never past the oldest webhook's cursor (none: INT64_MAX) */
		int64_t before = oldest == INT64_MAX || keep <= oldest ? keep : oldest + 1;

		h->last_prune = now_monotonic();
		if (before > 0 && watch_log_prune(h->wr, before, PRUNE_ROWS, &err) < 0) {
			log_warn("watch: %s", err);
			free(err);
		} else if (before > h->pruned_before) {
			h->pruned_before = before;
		}
	}
	pthread_mutex_unlock(&h->wr_lock);
	free(ids);
	free(keys);
}

static void *hooks_main(void *arg)
{
	struct watch_hub *h = arg;

	pthread_setname_np(pthread_self(), "newsd-hooks");

	event_base_loop(h->hbase, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/* ---- the hub ---- */

static struct wq *wq_new(const char *id)
{
	struct wq *q = xcalloc(1, sizeof(*q));

	q->refs = 1;
	q->id = id ? xstrdup(id) : NULL;
	return q;
}

/* A saved watch from its row. */
static struct wq *wq_from_saved(struct watch_hub *h, const struct watch_saved *sv)
{
	json_t *spec = json_loads(sv->spec, 0, NULL);
	struct wq *q;
	struct werr e;

	if (spec == NULL)
		spec = json_object();
	q = wq_new(sv->id);
	q->name = sv->name ? xstrdup(sv->name) : NULL;
	q->webhook = sv->webhook ? xstrdup(sv->webhook) : NULL;
	q->created_at = sv->created_at;
	q->hook_cursor = q->hook_saved = sv->delivered;
	if (filter_init(&q->f, spec, h->cfg, &e) < 0)
		log_warn("watch %s: %s (it matches nothing)", sv->id, e.msg);
	else
		q->key = json_dumps(q->f.spec, JSON_COMPACT | JSON_SORT_KEYS);
	return q;
}

struct watch_hub *watch_hub_new(struct server *srv)
{
	struct watch_hub *h = xcalloc(1, sizeof(*h));
	char *copy, *tok, *save = NULL;

	h->srv = srv;
	h->cfg = srv->cfg;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->wr_lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	copy = xstrdup(h->cfg->webhook_allow ? h->cfg->webhook_allow : "");
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		h->allow = xrealloc(h->allow, (h->nallow + 1) * sizeof(*h->allow));
		h->allow[h->nallow++] = xstrdup(tok);
	}
	free(copy);
	return h;
}

int watch_hub_start(struct watch_hub *h, char **errmsg)
{
	struct config *c = h->cfg;
	struct store_options so = { c->stemming, c->cache_mb, 5000, c->title_weight };
	struct watch_saved *sv = NULL;
	size_t n = 0, i;
	struct wq **tail = &h->saved;
	struct timeval sec = { 1, 0 };

	if (store_open(c->db, STORE_READ, &so, &h->rd, errmsg) < 0 ||
	    store_open(c->db, STORE_WRITE, &so, &h->wr, errmsg) < 0)
		return -1;
	store_low_memory(h->rd);
	h->batch = watch_batch_open(h->rd, errmsg);
	if (h->batch == NULL)
		return -1;
	if (watch_saved_list(h->wr, &sv, &n, errmsg) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		*tail = wq_from_saved(h, &sv[i]);
		tail = &(*tail)->next;
		watch_saved_clear(&sv[i]);
	}
	free(sv);
	{
		sqlite3_stmt *st = store_stmt(h->wr, "SELECT coalesce(min(key), 0) FROM watch_log",
					      NULL);

		if (st && sqlite3_step(st) == SQLITE_ROW)
			h->pruned_before = sqlite3_column_int64(st, 0);
		if (st)
			sqlite3_reset(st);
	}
	h->done_key = watch_key_end(store_index_version(h->wr));
	h->hbase = event_base_new();
	if (h->hbase == NULL)
		return set_error(errmsg, "cannot create the webhook event loop");
	h->hwake = event_new(h->hbase, -1, 0, hook_wake, h);
	h->htick = event_new(h->hbase, -1, EV_PERSIST, hook_tick, h);
	event_add(h->htick, &sec);
	if (pthread_create(&h->hooks, NULL, hooks_main, h) != 0)
		return set_error(errmsg, "cannot start the webhook thread");
	h->hooks_started = 1;
	if (pthread_create(&h->matcher, NULL, matcher_main, h) != 0)
		return set_error(errmsg, "cannot start the watch matcher");
	h->matcher_started = 1;
	hub_kick(h);	/* webhooks behind from before a restart */
	return 0;
}

void watch_hub_stop(struct watch_hub *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	if (h->matcher_started)
		pthread_join(h->matcher, NULL);
	h->matcher_started = 0;
	if (h->hooks_started) {
		event_base_loopexit(h->hbase, NULL);
		pthread_join(h->hooks, NULL);
	}
	h->hooks_started = 0;
}

void watch_hub_free(struct watch_hub *h)
{
	struct wq *q, *next;
	struct hook_job *j, *jn;
	size_t i;

	if (h == NULL)
		return;
	watch_hub_stop(h);
	for (j = h->hq; j; j = jn) {
		jn = j->next;
		hook_job_free(j);
	}
	for (j = h->jobs; j; j = jn) {
		jn = j->next;
		hook_job_free(j);
	}
	/* deliveries still in flight or waiting to retry: their cursors were not moved, the
	 * next start sends them again (at least once) */
	if (h->hbase) {
		if (h->hwake)
			event_free(h->hwake);
		if (h->htick)
			event_free(h->htick);
		event_base_free(h->hbase);
	}
	for (q = h->saved; q; q = next) {
		next = q->next;
		wq_unref(h, q);
	}
	watch_batch_close(h->batch);
	store_close(h->rd);
	store_close(h->wr);
	for (i = 0; i < h->nallow; i++)
		free(h->allow[i]);
	free(h->allow);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->wr_lock);
	pthread_cond_destroy(&h->cond);
	free(h);
}

/* ---- streams on the HTTP workers ---- */

static void stream_detach(struct watch_stream *s)
{
	struct watch_hub *h = s->hub;
	struct watch_stream **pp;

	if (s->wprev)
		s->wprev->wnext = s->wnext;
	else
		s->w->watch_streams = s->wnext;
	if (s->wnext)
		s->wnext->wprev = s->wprev;
	pthread_mutex_lock(&s->lock);
	s->closed = 1;
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&h->lock);
	for (pp = &h->streams; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			s->refs--;	/* the hub list's */
			break;
		}
	pthread_mutex_unlock(&h->lock);
	h->nstreams--;
}

/* The client went away. */
static void stream_closed(struct evhttp_connection *evcon, void *arg)
{
	struct watch_stream *s = arg;

	(void)evcon;
	if (evhttp_request_get_connection(s->req) == NULL)
		evhttp_request_free(s->req);
	stream_detach(s);
	stream_unref(s->hub, s);
}

/* Too slow: drop the connection (the client may come back with Last-Event-ID). */
static void stream_drop(struct watch_stream *s)
{
	struct evhttp_connection *evcon = s->evcon;

	s->hub->dropped++;
	log_info("watch: dropping a stream whose client reads too slowly (over %d bytes "
		 "unsent)", s->hub->cfg->watch_buffer_bytes);
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	stream_detach(s);
	stream_unref(s->hub, s);
	evhttp_connection_free(evcon);	/* frees the request too */
}

static size_t stream_backlog(struct watch_stream *s)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(s->evcon);

	return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

static void stream_wake(evutil_socket_t fd, short what, void *arg)
{
	struct watch_stream *s = arg;
	struct evbuffer *b;
	int drop;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&s->lock);
	if (s->closed) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	b = evbuffer_new();
	evbuffer_add_buffer(b, s->pending);
	drop = s->drop;
	pthread_mutex_unlock(&s->lock);
	if (drop || stream_backlog(s) + evbuffer_get_length(b) >
		    (size_t)s->hub->cfg->watch_buffer_bytes)
		stream_drop(s);
	else
		evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
}

static void stream_ping(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct watch_stream *s, *next;

	(void)fd;
	(void)what;
	for (s = w->watch_streams; s; s = next) {
		next = s->wnext;
		if (stream_backlog(s) > (size_t)s->hub->cfg->watch_buffer_bytes) {
			stream_drop(s);
			continue;
		}
		{
			struct evbuffer *b = evbuffer_new();

			evbuffer_add(b, ": ping\n\n", 8);
			evhttp_send_reply_chunk(s->req, b);
			evbuffer_free(b);
		}
	}
}

int watch_worker_init(struct worker *w)
{
	struct timeval tv = { w->srv->cfg->watch_ping_s, 0 };

	w->watch_ping = event_new(w->base, -1, EV_PERSIST, stream_ping, w);
	return w->watch_ping && event_add(w->watch_ping, &tv) == 0 ? 0 : -1;
}

/* SIGTERM: end every stream of this worker cleanly (the last chunk), on its thread. */
void watch_worker_stop(struct worker *w)
{
	while (w->watch_streams) {
		struct watch_stream *s = w->watch_streams;

		evhttp_connection_set_closecb(s->evcon, NULL, NULL);
		evhttp_send_reply_end(s->req);
		stream_detach(s);
		stream_unref(s->hub, s);
	}
	if (w->watch_ping)
		event_del(w->watch_ping);
}

void watch_worker_free(struct worker *w)
{
	if (w->watch_ping)
		event_free(w->watch_ping);
	w->watch_ping = NULL;
}

/* Open a stream for q (a reference is taken over). */
static void stream_open(struct request *r, struct wq *q)
{
	struct server *srv = r->w->srv;
	struct watch_hub *h = srv->hub;
	const char *lei = evhttp_find_header(evhttp_request_get_input_headers(r->req),
					     "Last-Event-ID");
	struct watch_stream *s;
	struct evkeyvalq *hd;
	struct evbuffer *b;
	int64_t key = 0, version;
	char tmp[32];

	if (lei && lei[0] && watch_key_parse(lei, &key) < 0) {
		http_reply_error(r, 400, "bad_parameter", -1, "Last-Event-ID must be an event id "
				 "of this server (V-N), not '%.40s'", lei);
		wq_unref(h, q);
		return;
	}
	if (srv->stopping) {
		http_reply_error(r, 503, "unavailable", -1, "the server is shutting down");
		wq_unref(h, q);
		return;
	}
	if (h->nstreams++ >= srv->cfg->max_watchers) {
		h->nstreams--;
		http_reply_error(r, 503, "unavailable", -1, "too many open watch streams (max_watchers "
				 "= %d); try again later", srv->cfg->max_watchers);
		wq_unref(h, q);
		return;
	}
	version = store_index_version(r->w->store);
	hd = evhttp_request_get_output_headers(r->req);
	evhttp_add_header(hd, "Content-Type", "text/event-stream; charset=utf-8");
	evhttp_add_header(hd, "Cache-Control", "no-cache");
	evhttp_add_header(hd, "X-Accel-Buffering", "no");
	snprintf(tmp, sizeof(tmp), "%lld", (long long)version);
	evhttp_add_header(hd, "X-Index-Version", tmp);
	http_add_request_id(r);
	if (r->head) {
		h->nstreams--;
		wq_unref(h, q);
		evhttp_send_reply(r->req, 200, "OK", NULL);
		r->req = NULL;
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->hub = h;
	s->q = q;
	s->w = r->w;
	s->req = r->req;
	s->evcon = evhttp_request_get_connection(r->req);
	s->wake = event_new(r->w->base, -1, 0, stream_wake, s);
	s->pending = evbuffer_new();
	pthread_mutex_init(&s->lock, NULL);
	s->refs = 2;		/* the worker's and the hub list's */
	if (lei && lei[0]) {
		s->cursor = key < watch_key_end(version) ? key : watch_key_end(version);
		s->replaying = 1;
		s->replay.max = srv->cfg->watch_replay_max;
		pthread_mutex_lock(&h->wr_lock);
		if (s->cursor + 1 < h->pruned_before)
			s->gap_from = h->pruned_before;
		pthread_mutex_unlock(&h->wr_lock);
	} else {
		s->cursor = watch_key_end(version);
	}
	r->req = NULL;
	evhttp_send_reply_start(s->req, 200, "OK");
	b = evbuffer_new();
	evbuffer_add_printf(b, "retry: 2000\n: watching from index version %lld\n\n",
			    (long long)watch_key_version(s->cursor));
	evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
	evhttp_connection_set_closecb(s->evcon, stream_closed, s);
	{
		/* the kernel's send buffer grows to megabytes on its own: keep it near the cap,
		 * so a reader that stops reading is noticed by the backlog check, not hidden */
		struct bufferevent *bev = evhttp_connection_get_bufferevent(s->evcon);
		int fd = bev ? bufferevent_getfd(bev) : -1;
		int sz = srv->cfg->watch_buffer_bytes < 262144 ? srv->cfg->watch_buffer_bytes : 262144;

		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	s->wnext = r->w->watch_streams;
	if (s->wnext)
		s->wnext->wprev = s;
	r->w->watch_streams = s;
	pthread_mutex_lock(&h->lock);
	s->next = h->streams;
	h->streams = s;
	h->kick = 1;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/* The filters of /watch as a spec object (the same parameters and checks as /search). */
static json_t *spec_from_params(struct request *r)
{
	static const char *const lists[] = { "entity", "source", "lang" };
	json_t *spec = json_object();
	const char *v;
	size_t i, j, n;
	int x;

	if ((v = http_param(r, "q")) != NULL)
		json_object_set_new(spec, "q", json_string(v));
	if ((v = http_param(r, "from")) != NULL)
		json_object_set_new(spec, "from", json_string(v));
	if ((v = http_param(r, "to")) != NULL)
		json_object_set_new(spec, "to", json_string(v));
	for (i = 0; i < 3; i++) {
		const char **l = http_param_list(r, lists[i], &n);
		json_t *a = json_array();

		for (j = 0; j < n; j++)
			json_array_append_new(a, json_string(l[j]));
		json_object_set_new(spec, lists[i], a);
		free(l);
	}
	if (http_param(r, "snippets")) {
		if (http_param_int(r, "snippets", 0, 5, 3, &x) < 0)
			goto bad;
		json_object_set_new(spec, "snippets", json_integer(x));
	}
	if (http_param(r, "snippet_words")) {
		if (http_param_int(r, "snippet_words", 1, 64, 24, &x) < 0)
			goto bad;
		json_object_set_new(spec, "snippet_words", json_integer(x));
	}
	return spec;
bad:
	json_decref(spec);
	return NULL;
}

/* GET /watch?q=…: an ad-hoc stream. */
void api_watch(struct request *r)
{
	static const char *const allowed[] = { "q", "from", "to", "entity", "source", "lang",
					       "snippets", "snippet_words", NULL };
	struct wq *q;
	json_t *spec;
	struct werr e;

	if (http_check_params(r, allowed) < 0 || (spec = spec_from_params(r)) == NULL)
		return;
	q = wq_new(NULL);
	if (filter_init(&q->f, spec, r->w->srv->cfg, &e) < 0) {
		http_reply_error(r, e.status, e.code, -1, "%s", e.msg);
		wq_unref(r->w->srv->hub, q);
		return;
	}
	if (filter_check(&q->f, r->w->store, r) < 0) {
		wq_unref(r->w->srv->hub, q);
		return;
	}
	q->key = json_dumps(q->f.spec, JSON_COMPACT | JSON_SORT_KEYS);
	stream_open(r, q);
}

/* ---- saved watches ---- */

static struct wq *saved_find(struct watch_hub *h, const char *id)
{
	struct wq *q;

	pthread_mutex_lock(&h->lock);
	for (q = h->saved; q; q = q->next)
		if (strcmp(q->id, id) == 0) {
			q->refs++;
			break;
		}
	pthread_mutex_unlock(&h->lock);
	return q;
}

static json_t *wq_json(struct wq *q)
{
	json_t *o = json_object(), *v;
	const char *k;
	char d[21];

	json_object_set_new(o, "id", json_string(q->id));
	json_object_set_new(o, "name", q->name ? json_string(q->name) : json_null());
	json_object_foreach(q->f.spec, k, v)
		json_object_set(o, k, v);
	json_object_set_new(o, "webhook", q->webhook ? json_string(q->webhook) : json_null());
	date_format(q->created_at, d);
	json_object_set_new(o, "created_at", json_string(d));
	if (q->webhook)
		json_object_set_new(o, "delivered_version",
				    json_integer(watch_key_version(q->hook_cursor)));
	json_object_set_new(o, "matched", json_integer(q->matched));
	json_object_set_new(o, "last_match_version", q->last_match_version ?
			    json_integer(q->last_match_version) : json_null());
	json_object_set_new(o, "events", json_sprintf("/watches/%s/events", q->id));
	return o;
}

/* POST /watches {"name","q","entity","source","from","to","lang","webhook"} */
void api_watches_create(struct request *r)
{
	static const char *const none[] = { NULL };
	static const char *const fields[] = { "name", "q", "entity", "source", "from", "to", "lang",
					      "snippets", "snippet_words", "webhook", NULL };
	struct watch_hub *h = r->w->srv->hub;
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t len = evbuffer_get_length(in), i;
	json_t *body = NULL, *spec = NULL, *v;
	json_error_t jerr;
	struct watch_saved sv;
	struct wq *q = NULL;
	struct werr e;
	const char *k, *name = NULL, *hook = NULL;
	char *err = NULL, *host = NULL, *path = NULL;
	int port;

	memset(&sv, 0, sizeof(sv));
	if (http_check_params(r, none) < 0 || !http_write_allowed(r))
		return;
	if (len > 65536) {
		http_reply_error(r, 413, "payload_too_large", -1, "a watch is at most 64 KiB of JSON");
		return;
	}
	body = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &jerr);
	if (body == NULL || !json_is_object(body)) {
		http_reply_error(r, 400, "bad_request", -1, "the body must be a JSON object: %s",
				 body ? "not an object" : jerr.text);
		goto out;
	}
	json_object_foreach(body, k, v) {
		for (i = 0; fields[i] && strcmp(fields[i], k) != 0; i++)
			;
		if (fields[i] == NULL) {
			http_reply_error(r, 400, "bad_parameter", -1, "unknown field '%.100s'; a watch "
					 "takes name, q, entity, source, from, to, lang, snippets, "
					 "snippet_words, webhook", k);
			goto out;
		}
	}
	v = json_object_get(body, "name");
	if (v && !json_is_null(v) && (!json_is_string(v) || strlen(json_string_value(v)) > 200)) {
		http_reply_error(r, 400, "bad_parameter", -1, "name must be a string of at most "
				 "200 bytes");
		goto out;
	}
	name = json_string_value(v);
	v = json_object_get(body, "webhook");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v)) {
			http_reply_error(r, 400, "bad_parameter", -1, "webhook must be a URL string");
			goto out;
		}
		hook = json_string_value(v);
		if (hook_target(h, hook, &host, &port, &path, &e) < 0) {
			http_reply_error(r, e.status, e.code, -1, "%s", e.msg);
			goto out;
		}
		if (r->w->srv->cfg->webhook_secret == NULL || !r->w->srv->cfg->webhook_secret[0]) {
			http_reply_error(r, 400, "bad_parameter", -1, "webhooks need webhook_secret "
					 "in the server's configuration (the key of their signature)");
			goto out;
		}
	}
	spec = json_deep_copy(body);
	json_object_del(spec, "name");
	json_object_del(spec, "webhook");
	q = wq_new(NULL);
	if (filter_init(&q->f, spec, r->w->srv->cfg, &e) < 0) {
		spec = NULL;
		http_reply_error(r, e.status, e.code, -1, "%s", e.msg);
		goto out;
	}
	spec = NULL;
	if (filter_check(&q->f, r->w->store, r) < 0)
		goto out;
	q->id = watch_new_id();
	q->key = json_dumps(q->f.spec, JSON_COMPACT | JSON_SORT_KEYS);
	q->name = name ? xstrdup(name) : NULL;
	q->webhook = hook ? xstrdup(hook) : NULL;
	q->created_at = (int64_t)time(NULL);
	/* a webhook hears of what is committed from now on */
	q->hook_cursor = q->hook_saved = watch_key_end(store_index_version(r->w->store));
	sv.id = q->id;
	sv.name = q->name;
	sv.webhook = q->webhook;
	sv.spec = json_dumps(q->f.spec, JSON_COMPACT | JSON_SORT_KEYS);
	sv.created_at = q->created_at;
	sv.delivered = q->hook_cursor;
	pthread_mutex_lock(&h->wr_lock);
	if (watch_saved_insert(h->wr, &sv, &err) < 0) {
		pthread_mutex_unlock(&h->wr_lock);
		http_reply_error(r, 503, "unavailable", -1, "cannot save the watch: %s", err);
		goto out;
	}
	pthread_mutex_unlock(&h->wr_lock);
	pthread_mutex_lock(&h->lock);
	q->refs++;
	q->next = h->saved;
	h->saved = q;
	pthread_mutex_unlock(&h->lock);
	{
		char *loc = xasprintf("/watches/%s", q->id);

		evhttp_add_header(evhttp_request_get_output_headers(r->req), "Location", loc);
		free(loc);
	}
	http_reply_json(r, 201, wq_json(q));
out:
	free(sv.spec);
	free(err);
	free(host);
	free(path);
	json_decref(spec);
	json_decref(body);
	if (q)
		wq_unref(h, q);
}

void api_watches_list(struct request *r)
{
	static const char *const allowed[] = { NULL };
	struct watch_hub *h = r->w->srv->hub;
	json_t *a = json_array();
	struct wq *q;

	if (http_check_params(r, allowed) < 0) {
		json_decref(a);
		return;
	}
	pthread_mutex_lock(&h->lock);
	for (q = h->saved; q; q = q->next)
		json_array_insert_new(a, 0, wq_json(q));	/* the list is newest first */
	pthread_mutex_unlock(&h->lock);
	http_reply_json(r, 200, json_pack("{s:o}", "watches", a));
}

/* /watches/{id}, /watches/{id}/events */
void api_watches_item(struct request *r, const char *rest)
{
	static const char *const none[] = { NULL };
	struct watch_hub *h = r->w->srv->hub;
	size_t n = strlen(rest);
	int events = n > 7 && strcmp(rest + n - 7, "/events") == 0;
	char *id = xstrndup(rest, events ? n - 7 : n), *err = NULL;
	enum evhttp_cmd_type m = evhttp_request_get_command(r->req);
	struct wq *q, **pp;
	int rc;

	if (events && !(m & (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD))) {
		http_reply_error(r, 405, "method_not_allowed", -1, "watch events are read with GET");
		goto out;
	}
	if (http_check_params(r, none) < 0)
		goto out;
	if (m == EVHTTP_REQ_DELETE) {
		if (!http_write_allowed(r))
			goto out;
		pthread_mutex_lock(&h->wr_lock);
		rc = watch_saved_delete(h->wr, id, &err);
		pthread_mutex_unlock(&h->wr_lock);
		if (rc < 0) {
			http_reply_error(r, 503, "unavailable", -1, "cannot delete the watch: %s", err);
			goto out;
		}
		q = NULL;
		pthread_mutex_lock(&h->lock);
		for (pp = &h->saved; *pp; pp = &(*pp)->next)
			if (strcmp((*pp)->id, id) == 0) {
				q = *pp;
				*pp = q->next;
				q->removed = 1;
				break;
			}
		pthread_mutex_unlock(&h->lock);
		if (q)
			wq_unref(h, q);
		if (rc == 0 && q == NULL) {
			http_reply_error(r, 404, "not_found", -1, "no watch with id '%.100s'", id);
			goto out;
		}
		http_reply_json(r, 200, json_pack("{s:s}", "deleted", id));
		goto out;
	}
	q = saved_find(h, id);
	if (q == NULL) {
		http_reply_error(r, 404, "not_found", -1, "no watch with id '%.100s'", id);
		goto out;
	}
	if (events) {
		stream_open(r, q);	/* takes the reference */
		goto out;
	}
	pthread_mutex_lock(&h->lock);
	{
		json_t *o = wq_json(q);

		pthread_mutex_unlock(&h->lock);
		http_reply_json(r, 200, o);
	}
	wq_unref(h, q);
out:
	free(err);
	free(id);
}

void watch_metrics(struct server *srv, struct buf *b)
{
	struct watch_hub *h = srv->hub;
	struct wq *q;
	int64_t nsaved = 0;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	for (q = h->saved; q; q = q->next)
		nsaved++;
	pthread_mutex_unlock(&h->lock);
	buf_printf(b, "# HELP newsd_watch_streams Open watch streams (SSE).\n"
		   "# TYPE newsd_watch_streams gauge\nnewsd_watch_streams %lld\n"
		   "# HELP newsd_watch_saved Saved watches.\n"
		   "# TYPE newsd_watch_saved gauge\nnewsd_watch_saved %lld\n"
		   "# HELP newsd_watch_events_sent_total Events written to watch streams.\n"
		   "# TYPE newsd_watch_events_sent_total counter\nnewsd_watch_events_sent_total %lld\n"
		   "# HELP newsd_watch_streams_dropped_total Streams dropped for reading too slowly.\n"
		   "# TYPE newsd_watch_streams_dropped_total counter\n"
		   "newsd_watch_streams_dropped_total %lld\n"
		   "# HELP newsd_webhook_deliveries_total Webhook POSTs, by result.\n"
		   "# TYPE newsd_webhook_deliveries_total counter\n"
		   "newsd_webhook_deliveries_total{result=\"ok\"} %lld\n"
		   "newsd_webhook_deliveries_total{result=\"failed\"} %lld\n"
		   "# HELP newsd_watch_match_seconds_total Time the matcher spent on commits.\n"
		   "# TYPE newsd_watch_match_seconds_total counter\n"
		   "newsd_watch_match_seconds_total %.6f\n"
		   "# HELP newsd_watch_match_rounds_total Matcher rounds (one or more commits each).\n"
		   "# TYPE newsd_watch_match_rounds_total counter\n"
		   "newsd_watch_match_rounds_total %lld\n",
		   (long long)h->nstreams, (long long)nsaved, (long long)h->events_sent,
		   (long long)h->dropped, (long long)h->hook_ok, (long long)h->hook_failed,
		   (double)h->match_us / 1e6, (long long)h->match_rounds);
}
