/*
 * http.c — threads, the listening socket, request parsing, routing and replies; see server.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <zlib.h>

#include "columns.h"
#include "entity.h"
#include "log.h"
#include "rank.h"
#include "search.h"
#include "notify.h"
#include "server.h"
#include "util.h"

enum endpoint {
	EP_SEARCH, EP_ARTICLE, EP_ARTICLES_POST, EP_HEALTH, EP_STATS, EP_ENTITIES,
	EP_TIMELINE, EP_EXPORT, EP_METRICS, EP_PAGE, EP_OTHER, EP_ENTITY, EP_OPENAPI,
	EP_SIMILAR, EP_WATCH, EP_WATCHES, EP_COPIES
};

const double http_latency_bounds[METRIC_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5
};

const char *const http_endpoint_names[METRIC_ENDPOINTS] = {
	"search", "article", "articles_post", "health", "stats", "entities", "timeline",
	"export", "metrics", "page", "other", "entity", "openapi", "similar", "watch",
	"watches", "copies"
};

/* The last slot counts every other status. */
const int http_status_codes[METRIC_STATUSES] = {
	200, 201, 400, 401, 403, 404, 405, 413, 414, 415, 431, 500, 503, 0
};

/* ---- query string: strict decoding (bad %-escapes and invalid UTF-8 are errors) ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..n) (%XX, and '+' as space when plus) into a new string; NULL when malformed. */
static char *pct_decode(const char *s, size_t n, int plus)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h, l;

			if (i + 2 >= n)
				goto bad;
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				goto bad;
			*o++ = (char)(h * 16 + l);
			i += 2;
		} else if (plus && s[i] == '+') {
			*o++ = ' ';
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	if (!utf8_valid(out, (size_t)(o - out)))
		goto bad;
	return out;
bad:
	free(out);
	return NULL;
}

static void free_params(struct request *r)
{
	size_t i;

	for (i = 0; i < r->nparams; i++) {
		free(r->params[i].key);
		free(r->params[i].value);
	}
	free(r->params);
	r->params = NULL;
	r->nparams = 0;
}

/* Parse the query string; -1 with *why on malformed input. */
static int parse_query(struct request *r, const char *qs, const char **why)
{
	const char *p = qs, *amp, *eq;

	while (p && *p) {
		size_t len;
		char *k, *v;

		amp = strchr(p, '&');
		len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > 0) {
			eq = memchr(p, '=', len);
			k = pct_decode(p, eq ? (size_t)(eq - p) : len, 1);
			v = eq ? pct_decode(eq + 1, len - (size_t)(eq - p) - 1, 1) : xstrdup("");
			if (k == NULL || v == NULL) {
				free(k);
				free(v);
				*why = "malformed percent-encoding or invalid UTF-8 in the query string";
				return -1;
			}
			r->params = xrealloc(r->params, (r->nparams + 1) * sizeof(*r->params));
			r->params[r->nparams].key = k;
			r->params[r->nparams].value = v;
			r->nparams++;
			if (r->nparams > 1000) {
				*why = "too many query parameters";
				return -1;
			}
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

const char *http_param(struct request *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, key) == 0)
			return r->params[i].value;
	return NULL;
}

const char **http_param_list(struct request *r, const char *key, size_t *n)
{
	const char **v = xmalloc((r->nparams + 1) * sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, key) == 0)
			v[(*n)++] = r->params[i].value;
	v[*n] = NULL;
	return v;
}

int http_check_params(struct request *r, const char *const *allowed)
{
	size_t i, j;
	struct buf names = { 0 };

	for (i = 0; i < r->nparams; i++) {
		for (j = 0; allowed[j]; j++)
			if (strcmp(r->params[i].key, allowed[j]) == 0)
				break;
		if (allowed[j] == NULL) {
			for (j = 0; allowed[j]; j++)
				buf_printf(&names, "%s%s", j ? ", " : "", allowed[j]);
			http_reply_error(r, 400, "bad_parameter", -1,
					 "unknown parameter '%.100s'; this endpoint takes: %s",
					 r->params[i].key, names.len ? names.data : "none");
			buf_free(&names);
			return -1;
		}
	}
	return 0;
}

int http_param_int(struct request *r, const char *key, int lo, int hi, int dflt, int *out)
{
	const char *v = http_param(r, key);
	long long x = 0;
	size_t i;

	*out = dflt;
	if (v == NULL)
		return 0;
	for (i = 0; v[i]; i++) {
		if (v[i] < '0' || v[i] > '9' || i > 9)
			goto bad;
		x = x * 10 + (v[i] - '0');
	}
	if (i == 0 || x < lo || x > hi)
		goto bad;
	*out = (int)x;
	return 0;
bad:
	http_reply_error(r, 400, "bad_parameter", -1, "%s must be a whole number from %d to %d, "
			 "not '%.40s'", key, lo, hi, v);
	return -1;
}

int http_peer_is_loopback(struct request *r)
{
	struct evhttp_connection *c = evhttp_request_get_connection(r->req);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (c == NULL)
		return 0;
	evhttp_connection_get_peer(c, &addr, &port);
	return addr_is_loopback(addr);
}

/* ---- replies ---- */

static int wants_gzip(struct evhttp_request *req)
{
	const char *ae = evhttp_find_header(evhttp_request_get_input_headers(req),
					    "Accept-Encoding");
	const char *g;

	if (ae == NULL || (g = strstr(ae, "gzip")) == NULL)
		return 0;
	/* "gzip;q=0" refuses it */
	g += 4;
	while (*g == ' ')
		g++;
	return !(strncmp(g, ";q=0", 4) == 0 && (g[4] == '\0' || g[4] == ',' ||
						 (g[4] == '.' && strspn(g + 5, "0") > 0 &&
						  (g[5 + strspn(g + 5, "0")] == '\0' ||
						   g[5 + strspn(g + 5, "0")] == ','))));
}

/* gzip data into out; 0 or -1. */
static int gzip_buf(const char *in, size_t n, struct evbuffer *out)
{
	z_stream z;
	unsigned char tmp[16384];
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 1, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		rc = deflate(&z, Z_FINISH);
		if (rc == Z_STREAM_ERROR) {
			deflateEnd(&z);
			return -1;
		}
		evbuffer_add(out, tmp, sizeof(tmp) - z.avail_out);
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	return 0;
}

static int endpoint_status_class(int status)
{
	int i;

	for (i = 0; i < METRIC_STATUSES - 1; i++)
		if (http_status_codes[i] == status)
			return i;
	return METRIC_STATUSES - 1;
}

static void record_metrics(struct request *r, int status)
{
	struct server *s = r->w->srv;
	double dt = now_monotonic() - r->t0;
	int b, ep = r->endpoint;

	if (ep < 0 || ep >= METRIC_ENDPOINTS)
		ep = EP_OTHER;
	s->req_count[ep][endpoint_status_class(status)]++;
	for (b = 0; b < METRIC_BUCKETS && dt > http_latency_bounds[b]; b++)
		;
	s->lat_bucket[ep][b]++;
	s->lat_sum_us[ep] += (uint64_t)(dt * 1e6);
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* X-Request-Id: the client's when it sent a sane one, else ours (thread-seq). */
void http_add_request_id(struct request *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	const char *rid = evhttp_find_header(evhttp_request_get_input_headers(r->req),
					     "X-Request-Id");
	char tmp[64];

	if (rid && strlen(rid) <= 64 && strspn(rid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO"
					       "PQRSTUVWXYZ0123456789-_.:") == strlen(rid) && *rid) {
		evhttp_add_header(h, "X-Request-Id", rid);
	} else {
		snprintf(tmp, sizeof(tmp), "%d-%llu-%llu", r->w->index,
			 (unsigned long long)r->w->srv->started, (unsigned long long)++r->w->request_seq);
		evhttp_add_header(h, "X-Request-Id", tmp);
	}
}

/* Common headers: X-Request-Id, X-Index-Version. */
static void add_common_headers(struct request *r)
{
	char tmp[32];

	http_add_request_id(r);
	snprintf(tmp, sizeof(tmp), "%lld", (long long)store_index_version(r->w->store));
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "X-Index-Version", tmp);
}

void http_reply_text(struct request *r, int status, const char *ctype, const char *body,
		     size_t len)
{
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	add_common_headers(r);
	evhttp_add_header(h, "Content-Type", ctype);
	if (len > 1024 && wants_gzip(r->req) && gzip_buf(body, len, out) == 0) {
		evhttp_add_header(h, "Content-Encoding", "gzip");
	} else {
		evbuffer_drain(out, evbuffer_get_length(out));
		evbuffer_add(out, body, len);
	}
	evhttp_add_header(h, "Vary", "Accept-Encoding");
	if (r->head) {
		/* libevent sends a reply's body even to HEAD, which desynchronises a kept-alive
		 * connection; send the headers GET would have, Content-Length included, only */
		char cl[32];

		snprintf(cl, sizeof(cl), "%zu", evbuffer_get_length(out));
		evhttp_add_header(h, "Content-Length", cl);
		evbuffer_drain(out, evbuffer_get_length(out));
	}
	record_metrics(r, status);
	evhttp_send_reply(r->req, status, reason(status), out);
	evbuffer_free(out);
	r->req = NULL;
}

void http_reply_json(struct request *r, int status, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10));

	if (s == NULL) {
		json_decref(body);
		http_reply_error(r, 500, "internal", -1, "could not encode the response");
		return;
	}
	http_reply_text(r, status, "application/json; charset=utf-8", s, strlen(s));
	free(s);
	json_decref(body);
}

void http_reply_error(struct request *r, int status, const char *code, int position,
		      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *e;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = json_pack("{s:i, s:s, s:s}", "status", status, "code", code, "message", msg);
	if (e == NULL)	/* message not valid UTF-8 (quoted client text): say it plainly */
		e = json_pack("{s:i, s:s, s:s}", "status", status, "code", code,
			      "message", "invalid request");
	if (position >= 0)
		json_object_set_new(e, "position", json_integer(position));
	if (status == 405)
		evhttp_add_header(evhttp_request_get_output_headers(r->req), "Allow",
				  r->endpoint == EP_ARTICLE ? "GET, HEAD, DELETE" :
				  r->endpoint == EP_ARTICLES_POST ? "POST" :
				  r->endpoint == EP_WATCHES ? "GET, HEAD, POST, DELETE" : "GET, HEAD");
	http_reply_json(r, status, json_pack("{s:o}", "error", e));
}

/* ---- routing ---- */

static int method_is(struct request *r, int allowed)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(r->req);

	if (m & allowed)
		return 1;
	http_reply_error(r, 405, "method_not_allowed", -1, "this endpoint does not take %s",
			 m == EVHTTP_REQ_POST ? "POST" : m == EVHTTP_REQ_PUT ? "PUT" :
			 m == EVHTTP_REQ_DELETE ? "DELETE" : m == EVHTTP_REQ_PATCH ? "PATCH" :
			 m == EVHTTP_REQ_GET ? "GET" : "this method");
	return 0;
}

#define READ_METHODS (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)

/* /entities/{name} and /entities/{name}/related (names may contain '/': the suffix decides). */
static void route_entity(struct request *r, const char *rest)
{
	size_t n = strlen(rest);

	if (n > 8 && strcmp(rest + n - 8, "/related") == 0) {
		char *name = xstrndup(rest, n - 8);

		api_entity_related(r, name);
		free(name);
	} else {
		api_entity(r, rest);
	}
}

/* Route one request. Read requests run inside one read transaction, so the total, the hits
 * and the index version of a response all come from the same snapshot. */
static void route(struct request *r)
{
	const char *p = r->path;
	sqlite3 *db = store_db(r->w->store);
	int in_txn = 0;

	if (strcmp(p, "/articles") == 0 || strcmp(p, "/articles/") == 0) {
		r->endpoint = EP_ARTICLES_POST;
		if (method_is(r, EVHTTP_REQ_POST))
			api_articles_post(r);
		return;
	}
	/* live watches (watch.c): streams and saved watches, outside any read transaction */
	if (strcmp(p, "/watch") == 0) {
		r->endpoint = EP_WATCH;
		if (method_is(r, READ_METHODS))
			api_watch(r);
		return;
	}
	if (strcmp(p, "/watches") == 0 || strcmp(p, "/watches/") == 0) {
		r->endpoint = EP_WATCHES;
		if (!method_is(r, READ_METHODS | EVHTTP_REQ_POST))
			return;
		if (evhttp_request_get_command(r->req) == EVHTTP_REQ_POST)
			api_watches_create(r);
		else
			api_watches_list(r);
		return;
	}
	if (strncmp(p, "/watches/", 9) == 0) {
		r->endpoint = EP_WATCHES;
		if (method_is(r, READ_METHODS | EVHTTP_REQ_DELETE))
			api_watches_item(r, p + 9);
		return;
	}
	if (strncmp(p, "/articles/", 10) == 0 && strlen(p) > 18 &&
	    strcmp(p + strlen(p) - 8, "/similar") == 0) {
		/* /articles/{id}/similar: the suffix decides, as for /entities/{name}/related */
		r->endpoint = EP_SIMILAR;
	} else if (strncmp(p, "/articles/", 10) == 0 && strlen(p) > 17 &&
		   strcmp(p + strlen(p) - 7, "/copies") == 0) {
		/* /articles/{id}/copies: the other articles of its story (wire copies) */
		r->endpoint = EP_COPIES;
	} else if (strncmp(p, "/articles/", 10) == 0) {
		r->endpoint = EP_ARTICLE;
		if (!method_is(r, READ_METHODS | EVHTTP_REQ_DELETE))
			return;
		if (evhttp_request_get_command(r->req) == EVHTTP_REQ_DELETE) {
			api_article_delete(r, p + 10);
			return;
		}
	} else if (strcmp(p, "/search") == 0) {
		r->endpoint = EP_SEARCH;
	} else if (strcmp(p, "/health") == 0) {
		r->endpoint = EP_HEALTH;
	} else if (strcmp(p, "/stats") == 0) {
		r->endpoint = EP_STATS;
	} else if (strcmp(p, "/entities") == 0 || strcmp(p, "/entities/") == 0) {
		r->endpoint = EP_ENTITIES;
	} else if (strncmp(p, "/entities/", 10) == 0) {
		r->endpoint = EP_ENTITY;
	} else if (strcmp(p, "/timeline") == 0) {
		r->endpoint = EP_TIMELINE;
	} else if (strcmp(p, "/export") == 0) {
		r->endpoint = EP_EXPORT;
	} else if (strcmp(p, "/metrics") == 0) {
		r->endpoint = EP_METRICS;
	} else if (strcmp(p, "/openapi.json") == 0) {
		r->endpoint = EP_OPENAPI;
	} else if (strcmp(p, "/") == 0 || strcmp(p, "/index.html") == 0) {
		r->endpoint = EP_PAGE;
	} else {
		r->endpoint = EP_OTHER;
		http_reply_error(r, 404, "not_found", -1, "no such endpoint: %.200s", p);
		return;
	}
	if (!method_is(r, READ_METHODS))
		return;
	if (r->endpoint == EP_EXPORT) {
		/* streams from a connection of its own (one snapshot, see api_export) */
		api_export(r);
		return;
	}
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
		in_txn = 1;
	switch (r->endpoint) {
	case EP_ARTICLE: api_article_get(r, p + 10); break;
	case EP_SEARCH: api_search(r); break;
	case EP_HEALTH: api_health(r); break;
	case EP_STATS: api_stats(r); break;
	case EP_ENTITIES: api_entities(r); break;
	case EP_ENTITY: route_entity(r, p + 10); break;
	case EP_TIMELINE: api_timeline(r); break;
	case EP_METRICS: api_metrics(r); break;
	case EP_PAGE: api_page(r); break;
	case EP_OPENAPI: api_openapi(r); break;
	case EP_SIMILAR: {
		char *id = xstrndup(p + 10, strlen(p) - 18);

		api_similar(r, id);
		free(id);
		break;
	}
	case EP_COPIES: {
		char *id = xstrndup(p + 10, strlen(p) - 17);

		api_copies(r, id);
		free(id);
		break;
	}
	default: break;
	}
	if (in_txn)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

/* Bytes of the header lines as sent ("Name: value\r\n"), not counting the request line. */
static size_t header_bytes(struct evhttp_request *req)
{
	struct evkeyval *kv;
	size_t n = 0;

	for (kv = evhttp_request_get_input_headers(req)->tqh_first; kv; kv = kv->next.tqe_next)
		n += strlen(kv->key) + strlen(kv->value) + 4;
	return n;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct request r;
	const char *uri = evhttp_request_get_uri(req), *q, *why = NULL;
	size_t plen;

	memset(&r, 0, sizeof(r));
	r.w = arg;
	r.req = req;
	r.t0 = now_monotonic();
	r.endpoint = EP_OTHER;
	r.head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
	if ((int)strlen(uri) > r.w->srv->cfg->max_uri_bytes) {
		http_reply_error(&r, 414, "bad_request", -1, "the URI is longer than %d bytes "
				 "(max_uri_bytes)", r.w->srv->cfg->max_uri_bytes);
		return;
	}
	if (header_bytes(req) > (size_t)r.w->srv->cfg->max_header_bytes) {
		http_reply_error(&r, 431, "bad_request", -1, "the request headers are longer than "
				 "%d bytes (max_header_bytes)", r.w->srv->cfg->max_header_bytes);
		return;
	}
	q = strchr(uri, '?');
	plen = q ? (size_t)(q - uri) : strlen(uri);
	{
		const char *hash = memchr(uri, '#', plen);

		if (hash)
			plen = (size_t)(hash - uri);
	}
	r.path_buf = pct_decode(uri, plen, 0);
	if (r.path_buf == NULL || memchr(uri, '\0', plen) || r.path_buf[0] != '/') {
		http_reply_error(&r, 400, "bad_request", -1,
				 "malformed percent-encoding or invalid UTF-8 in the path");
		goto out;
	}
	r.path = r.path_buf;
	if (q && parse_query(&r, q + 1, &why) < 0) {
		http_reply_error(&r, 400, "bad_request", -1, "%s", why);
		goto out;
	}
	route(&r);
out:
	free(r.path_buf);
	free_params(&r);
}

/* ---- ingest completions: the ingest thread hands finished jobs to their worker ---- */

static void job_done_cross_thread(struct ingest_job *job)
{
	struct worker *w = ((struct request *)job->arg)->w;

	pthread_mutex_lock(&w->lock);
	job->next = w->done_head;
	w->done_head = job;
	pthread_mutex_unlock(&w->lock);
	event_active(w->wake, EV_READ, 0);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct ingest_job *jobs, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->lock);
	jobs = w->done_head;
	w->done_head = NULL;
	pthread_mutex_unlock(&w->lock);
	for (; jobs; jobs = next) {
		next = jobs->next;
		api_job_done(w, jobs);
	}
}

/* Queue a job for the ingest thread; its reply is sent from on_wake. */
int http_submit_job(struct request *r, struct ingest_job *job)
{
	struct request *copy = xmalloc(sizeof(*copy));

	*copy = *r;
	copy->params = NULL;
	copy->nparams = 0;
	copy->path_buf = NULL;
	copy->path = NULL;
	job->arg = copy;
	job->done = job_done_cross_thread;
	r->w->srv->inflight++;
	if (r->w->srv->stopping || ingest_submit(r->w->srv->ingest, job) < 0) {
		r->w->srv->inflight--;
		free(copy);
		return -1;
	}
	r->req = NULL;	/* answered later, from on_wake */
	return 0;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	/* a pending resume would enable the listener freed below */
	event_del(w->accept_resume);
	if (w->bound) {
		evhttp_del_accept_socket(w->http, w->bound);
		w->bound = NULL;
	}
	watch_worker_stop(w);	/* open watch streams end cleanly */
}

/* When a client last sent bytes (ms, monotonic), any connection of any worker: shutdown waits
 * for a quiet moment so that a request still arriving gets its answer (200, or 503). */
static _Atomic int64_t last_input_ms;

static void on_input(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	(void)b;
	(void)arg;
	if (info->n_added > 0)
		last_input_ms = (int64_t)(now_monotonic() * 1000);
}

/* evhttp's bufferevent for each new connection, as it would make it, plus on_input. */
static struct bufferevent *make_bufferevent(struct event_base *base, void *arg)
{
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

	(void)arg;
	if (bev)
		evbuffer_add_cb(bufferevent_get_input(bev), on_input, NULL);
	return bev;
}

/*
 * Out of descriptors (max_connections reached, see server_run): stop accepting for 100 ms
 * instead of spinning on a listening socket that stays readable; waiting clients stay in the
 * kernel's backlog meanwhile.
 */
static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	if (w->bound)
		evconnlistener_enable(evhttp_bound_socket_get_listener(w->bound));
}

/* The worker whose loop runs on this thread: evhttp hands its listener callbacks the evhttp. */
static _Thread_local struct worker *this_worker;

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct worker *w = this_worker;
	struct timeval tv = { 0, 100000 };
	int err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		evconnlistener_disable(l);
		evtimer_add(w->accept_resume, &tv);
		log_warn("connection limit reached (max_connections): accepting again in 100 ms");
	} else {
		log_warn("accept: %s", evutil_socket_error_to_string(err));
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_setname_np(pthread_self(), "newsd-http");

	this_worker = w;
	search_peer_attach(w->peer);
	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	entity_cache_release();
	rank_lengths_release();
	search_thread_release();
	return NULL;
}

static int worker_init(struct server *s, struct worker *w, int i, char **errmsg)
{
	struct store_options so = { s->cfg->stemming, s->cfg->cache_mb, 5000, s->cfg->title_weight };
	struct evconnlistener *l;
	int64_t slack;

	w->srv = s;
	w->index = i;
	pthread_mutex_init(&w->lock, NULL);
	/* half the writer's page cache for each reader: at 1M articles four full caches were
	 * most of the resident size (406 MB), and half costs about 4% on the scale queries */
	so.cache_mb = s->cfg->cache_mb / 2 > 0 ? s->cfg->cache_mb / 2 : 1;
	if (store_open(s->cfg->db, STORE_READ, &so, &w->store, errmsg) < 0)
		return -1;
	/* a second thread per worker for broad searches: threads run one query at a time each,
	 * so the peer is idle whenever its worker is not searching */
	if (s->cfg->search_threads > 1 &&
	    (w->peer = search_peer_start(s->cfg->db, &so, errmsg)) == NULL)
		return -1;
	w->base = event_base_new();
	w->http = evhttp_new(w->base);
	if (w->base == NULL || w->http == NULL)
		return set_error(errmsg, "cannot create the event loop");
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_PATCH | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
	/* libevent answers a request head over its own limit with an HTML page and closes the
	 * connection; give it room for the longest URI we accept plus twice our header limit, so
	 * that on_request sees (and answers in JSON: 414, 431) everything but gross abuse. */
	evhttp_set_max_headers_size(w->http, (ev_ssize_t)s->cfg->max_uri_bytes +
				    2 * (ev_ssize_t)s->cfg->max_header_bytes + 64);
	/* The same for bodies: up to a quarter (at least 1 MiB) over max_body_bytes is read and
	 * answered by api_articles_post with a JSON 413; beyond that libevent refuses the body
	 * unread (its HTML 413), which bounds the memory one request can take. */
	slack = s->cfg->max_body_bytes / 4 > (1 << 20) ? s->cfg->max_body_bytes / 4 : (1 << 20);
	evhttp_set_max_body_size(w->http, (ev_ssize_t)(s->cfg->max_body_bytes + slack));
	evhttp_set_timeout(w->http, s->cfg->timeout_s);
	evhttp_set_gencb(w->http, on_request, w);
	evhttp_set_bevcb(w->http, make_bufferevent, NULL);
	l = evconnlistener_new(w->base, NULL, NULL, LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, -1,
			       s->listen_fd);
	if (l == NULL)
		return set_error(errmsg, "cannot listen on the socket");
	w->bound = evhttp_bind_listener(w->http, l);
	evconnlistener_set_error_cb(l, on_accept_error);
	w->wake = event_new(w->base, -1, 0, on_wake, w);
	w->stop = event_new(w->base, -1, 0, on_stop, w);
	w->accept_resume = evtimer_new(w->base, on_accept_resume, w);
	if (w->bound == NULL || w->wake == NULL || w->stop == NULL || w->accept_resume == NULL ||
	    watch_worker_init(w) < 0)
		return set_error(errmsg, "cannot set up the HTTP thread");
	return 0;
}

static void worker_free(struct worker *w)
{
	watch_worker_free(w);
	if (w->http)
		evhttp_free(w->http);
	if (w->wake)
		event_free(w->wake);
	if (w->stop)
		event_free(w->stop);
	if (w->accept_resume)
		event_free(w->accept_resume);
	if (w->base)
		event_base_free(w->base);
	search_peer_stop(w->peer);
	store_close(w->store);
	while (w->nspare > 0)
		store_close(w->spare[--w->nspare]);
	pthread_mutex_destroy(&w->lock);
}

/* Bind "host:port" (port 0 = any free port). Returns the fd or -1. */
static int bind_listen(const char *addr, char *bound, size_t boundlen, char **errmsg)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = -1, one = 1, rc;

	if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
		return set_error(errmsg, "listen address '%s' is not HOST:PORT", addr);
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
	if (rc != 0)
		return set_error(errmsg, "listen address '%s': %s", addr, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* TCP_NODELAY is inherited by accepted sockets: a reply written as headers then body
	 * must not wait for the client's delayed ACK (40 ms) on a kept-alive connection */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
		set_error(errmsg, "cannot listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	{
		char h[INET6_ADDRSTRLEN] = "?";
		int port = 0;

		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &in->sin_addr, h, sizeof(h));
			port = ntohs(in->sin_port);
			snprintf(bound, boundlen, "%s:%d", h, port);
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &in6->sin6_addr, h, sizeof(h));
			port = ntohs(in6->sin6_port);
			snprintf(bound, boundlen, "[%s]:%d", h, port);
		}
	}
	return fd;
}

/* ---- signals and shutdown ---- */

static struct event_base *main_base;

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;

	(void)what;
	if (sig == SIGHUP) {
		log_reopen();
		log_info("SIGHUP: log reopened");
		return;
	}
	log_info("%s: stopping (draining requests, committing)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	s->stopping = 1;
	event_base_loopbreak(main_base);
}

static void shutdown_server(struct server *s)
{
	double until = now_monotonic() + s->cfg->shutdown_timeout_s;
	int i;

	notify_send("STOPPING=1");
	/* a write still going at the timeout is given up (503, nothing of it written) */
	ingest_set_deadline(s->ingest, until);
	for (i = 0; i < s->nworkers; i++)
		event_active(s->workers[i].stop, EV_READ, 0);
	/* in-flight requests (writes waiting for their commit, exports) finish first, and so do
	 * requests still arriving: wait for half a second without input from any client */
	while ((s->inflight > 0 || now_monotonic() * 1000 - (double)last_input_ms < 500) &&
	       now_monotonic() < until)
		usleep(10000);
	ingest_stop(s->ingest);
	s->ingest = NULL;
	watch_hub_stop(s->hub);
	/* answers for the last batch may still be on their way out */
	usleep(50000);
	for (i = 0; i < s->nworkers; i++)
		event_base_loopexit(s->workers[i].base, NULL);
	for (i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i].thread, NULL);
}

int server_run(struct config *cfg)
{
	struct server *s = xcalloc(1, sizeof(*s));
	struct store_options so = { cfg->stemming, cfg->cache_mb, 10000, cfg->title_weight };
	struct ingest_options io;
	struct store *ws = NULL;
	struct event *sigs[3] = { 0 };
	char *err = NULL, bound[300];
	int i, rc = 1, started = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	/* max_connections: the descriptors a process may hold are the connections plus a reserve
	 * for the database (one per thread, WAL, shm), the log and the listening socket */
	{
		struct rlimit rl;
		rlim_t want = (rlim_t)cfg->max_connections + 64;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || want <= rl.rlim_max ? want :
				      rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	signal(SIGPIPE, SIG_IGN);
	/* a file-size limit (ulimit -f) must fail the write (503), not kill the daemon */
	signal(SIGXFSZ, SIG_IGN);
	evthread_use_pthreads();
	s->cfg = cfg;
	s->listen_fd = -1;
	s->started = (double)time(NULL);
	if (store_open(cfg->db, STORE_WRITE, &so, &ws, &err) < 0)
		goto out;
	memset(&io, 0, sizeof(io));
	io.extraction = cfg->extraction;
	io.dedup = cfg->dedup;
	io.max_bytes = (size_t)cfg->max_body_bytes;
	io.spool_dir = cfg->spool_dir;
	io.spool_interval_ms = cfg->spool_interval_ms;
	io.batch_max_records = cfg->batch_max_records;
	s->hub = watch_hub_new(s);
	io.committed = watch_hub_committed;
	io.committed_arg = s->hub;
	s->listen_fd = bind_listen(cfg->listen, bound, sizeof(bound), &err);
	if (s->listen_fd < 0)
		goto out;
	if (ingest_start(ws, &io, &s->ingest, &err) < 0)
		goto out;
	ws = NULL;
	if (watch_hub_start(s->hub, &err) < 0)
		goto out;
	/* facets and entity counts read the articles' sources and entities from memory once
	 * this thread has read them (until then, and if it cannot, row by row) */
	s->columns = columns_start(cfg->db, &so, &err);
	if (s->columns == NULL) {
		log_warn("%s", err);
		free(err);
		err = NULL;
	}
	s->nworkers = cfg->threads > 0 ? cfg->threads : (int)(ncpu > 0 ? ncpu : 2);
	s->workers = xcalloc((size_t)s->nworkers, sizeof(*s->workers));
	for (i = 0; i < s->nworkers; i++)
		if (worker_init(s, &s->workers[i], i, &err) < 0)
			goto out;
	for (i = 0; i < s->nworkers; i++)
		if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]) == 0)
			started++;
	main_base = event_base_new();
	sigs[0] = evsignal_new(main_base, SIGTERM, on_signal, s);
	sigs[1] = evsignal_new(main_base, SIGINT, on_signal, s);
	sigs[2] = evsignal_new(main_base, SIGHUP, on_signal, s);
	for (i = 0; i < 3; i++)
		event_add(sigs[i], NULL);
	s->ready = 1;
	log_info("listening on http://%s/ (%d HTTP threads, database %s)", bound, s->nworkers,
		 cfg->db);
	printf("newsd: listening on http://%s/\n", bound);
	fflush(stdout);
	notify_send("READY=1");
	event_base_dispatch(main_base);
	shutdown_server(s);
	rc = 0;
out:
	if (err) {
		log_error("%s", err);
		fprintf(stderr, "newsd: %s\n", err);
	}
	if (rc != 0 && started) {
		for (i = 0; i < s->nworkers; i++)
			event_base_loopexit(s->workers[i].base, NULL);
		for (i = 0; i < started; i++)
			pthread_join(s->workers[i].thread, NULL);
	}
	if (rc != 0 && s->ingest)
		ingest_stop(s->ingest);
	watch_hub_stop(s->hub);
	for (i = 0; s->workers && i < s->nworkers; i++)
		worker_free(&s->workers[i]);
	watch_hub_free(s->hub);
	columns_stop(s->columns);
	for (i = 0; i < 3; i++)
		if (sigs[i])
			event_free(sigs[i]);
	if (main_base)
		event_base_free(main_base);
	main_base = NULL;
	store_close(ws);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s->workers);
	free(s);
	free(err);
	return rc;
}
