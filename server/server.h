#ifndef NEWSD_SERVER_H
#define NEWSD_SERVER_H
/*
 * server — the HTTP daemon. Threads:
 *   main      parses flags, opens the write store, binds the socket, handles signals.
 *   worker×N  one event_base + evhttp + read connection each, all accepting on the shared
 *             listening socket; every request is answered on the thread that accepted it.
 *   ingest    sole owner of the write connection (index/ingest.c). Writes are queued to it;
 *             it never touches evhttp objects: when a batch is committed it puts the job on
 *             the owning worker's done-list and activates that worker's wake event.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "config.h"
#include "ingest.h"
#include "store.h"

struct server;
struct watch_stream;
struct watch_hub;
struct columns_service;

struct worker {
	struct server *srv;
	int index;
	pthread_t thread;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct store *store;		/* this thread's read connection */
	struct search_peer *peer;	/* the second thread of broad searches, or NULL */
	struct event *wake;		/* ingest completions are ready */
	struct event *stop;		/* stop accepting */
	struct event *accept_resume;	/* accept again after max_connections was reached */
	pthread_mutex_t lock;
	struct ingest_job *done_head;	/* completed jobs, guarded by lock */
	uint64_t request_seq;
	struct store *spare[2];		/* idle export connections, reused (this thread only) */
	int nspare;
	struct watch_stream *watch_streams;	/* this thread's open watch streams (watch.c) */
	struct event *watch_ping;		/* their ': ping' every watch_ping_s */
};

/* Latency histogram buckets (seconds) for /metrics. */
#define METRIC_BUCKETS 12
#define METRIC_ENDPOINTS 17
#define METRIC_STATUSES 14

struct server {
	struct config *cfg;
	struct ingest *ingest;
	int listen_fd;
	int nworkers;
	struct worker *workers;
	double started;			/* wall clock */
	atomic_int stopping;
	atomic_int inflight;		/* requests waiting on ingest or streaming */
	atomic_int ready;
	struct watch_hub *hub;		/* live watches (watch.c) */
	struct columns_service *columns;	/* sources and entities in memory (columns.h) */
	/* metrics: [endpoint][status class] counts and latency histograms */
	_Atomic uint64_t req_count[METRIC_ENDPOINTS][METRIC_STATUSES];
	_Atomic uint64_t lat_bucket[METRIC_ENDPOINTS][METRIC_BUCKETS + 1];
	_Atomic uint64_t lat_sum_us[METRIC_ENDPOINTS];
};

/* A request being handled: the parsed query string and where the reply goes. */
struct param {
	char *key;
	char *value;
};

struct request {
	struct worker *w;
	struct evhttp_request *req;
	const char *path;		/* decoded path */
	char *path_buf;
	struct param *params;
	size_t nparams;
	int endpoint;			/* index for metrics */
	double t0;
	int head;			/* HEAD: headers only */
};

/* http.c */
int server_run(struct config *cfg);
void http_reply_json(struct request *r, int status, json_t *body);	/* steals body */
void http_reply_error(struct request *r, int status, const char *code, int position,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void http_reply_text(struct request *r, int status, const char *ctype, const char *body,
		     size_t len);
void http_add_request_id(struct request *r);
/* Hand a write to the ingest thread; the reply comes from api_job_done on this thread.
 * -1 when the server is stopping (the caller answers 503). */
int http_submit_job(struct request *r, struct ingest_job *job);
/* Parameters: -1 (and a 400 already sent) when a parameter not in allowed[] is present. */
int http_check_params(struct request *r, const char *const *allowed);
const char *http_param(struct request *r, const char *key);
/* All values of a repeatable parameter; caller frees the array (not the strings). */
const char **http_param_list(struct request *r, const char *key, size_t *n);
/* Strict integer parameter in [lo, hi]; dflt when absent. -1 and a 400 sent when invalid. */
int http_param_int(struct request *r, const char *key, int lo, int hi, int dflt, int *out);
int http_peer_is_loopback(struct request *r);
/* Writes need the write_token when one is set, else a loopback peer; otherwise the 401/403
 * is sent and 0 returned. */
int http_write_allowed(struct request *r);

/* api.c: endpoint handlers */
struct search_error;
void http_reply_search_error(struct request *r, const struct search_error *e);
void api_search(struct request *r);
void api_article_get(struct request *r, const char *id);
void api_article_delete(struct request *r, const char *id);
void api_articles_post(struct request *r);
void api_health(struct request *r);
void api_stats(struct request *r);
void api_metrics(struct request *r);
void api_page(struct request *r);
void api_openapi(struct request *r);
void api_similar(struct request *r, const char *id);
void api_copies(struct request *r, const char *id);
/* api_data.c */
void api_entities(struct request *r);
void api_entity(struct request *r, const char *name);
void api_entity_related(struct request *r, const char *name);
void api_timeline(struct request *r);
void api_export(struct request *r);
/* Endpoint names and status codes as labelled in /metrics. */
extern const char *const http_endpoint_names[METRIC_ENDPOINTS];
extern const int http_status_codes[METRIC_STATUSES];
extern const double http_latency_bounds[METRIC_BUCKETS];
/* Called on the worker thread for a job the ingest thread finished. */
void api_job_done(struct worker *w, struct ingest_job *job);
/* Fill a search_request from the parameters shared by /search, /timeline, /export. */
struct search_request;
int api_search_filters(struct request *r, struct search_request *sr, const char ***ents,
		       const char ***srcs);

/* watch.c: live watches (API.md, "Live news — watches") */
struct buf;
struct watch_hub *watch_hub_new(struct server *srv);
int watch_hub_start(struct watch_hub *h, char **errmsg);	/* after the schema exists */
void watch_hub_committed(void *hub, int64_t version);		/* ingest's committed hook */
void watch_hub_stop(struct watch_hub *h);			/* matcher and webhooks */
void watch_hub_free(struct watch_hub *h);
int watch_worker_init(struct worker *w);
void watch_worker_stop(struct worker *w);			/* on the worker: end its streams */
void watch_worker_free(struct worker *w);
void watch_metrics(struct server *srv, struct buf *b);
void api_watch(struct request *r);
void api_watches_list(struct request *r);
void api_watches_create(struct request *r);
void api_watches_item(struct request *r, const char *rest);

#endif
