/*
 * api.c — the endpoint handlers of API.md: search, articles, health, stats.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "bounds.h"
#include "columns.h"
#include "copies.h"
#include "date.h"
#include "embed.h"
#include "openapi.h"
#include "search.h"
#include "server.h"
#include "similar.h"
#include "suggest.h"
#include "util.h"

/* Parse a date parameter; to-dates given as a day cover that whole day. */
static int date_param(struct request *r, const char *key, int is_to, int *has, int64_t *out)
{
	const char *v = http_param(r, key);
	char *err = NULL;
	int date_only = 0;

	*has = 0;
	if (v == NULL || v[0] == '\0')
		return 0;
	if (date_parse(v, strlen(v), out, &date_only, &err) < 0) {
		http_reply_error(r, 400, "bad_date", -1, "%s: %s", key, err ? err : "invalid date");
		free(err);
		return -1;
	}
	if (is_to && date_only)
		*out += 86399;
	*has = 1;
	return 0;
}

int api_search_filters(struct request *r, struct search_request *sr, const char ***ents,
		       const char ***srcs)
{
	struct config *c = r->w->srv->cfg;
	static _Thread_local struct query_limits lim;
	const char *sort = http_param(r, "sort");

	*ents = NULL;
	*srcs = NULL;
	lim.max_bytes = (size_t)c->max_query_bytes;
	lim.max_terms = c->max_query_terms;
	lim.max_depth = c->max_query_depth;
	sr->limits = &lim;
	sr->timeout_ms = c->query_timeout_ms;
	sr->q = http_param(r, "q");
	if (date_param(r, "from", 0, &sr->has_from, &sr->from) < 0 ||
	    date_param(r, "to", 1, &sr->has_to, &sr->to) < 0)
		return -1;
	if (sr->has_from && sr->has_to && sr->from > sr->to) {
		http_reply_error(r, 400, "bad_date", -1, "'from' is after 'to'");
		return -1;
	}
	*ents = http_param_list(r, "entity", &sr->nentities);
	*srcs = http_param_list(r, "source", &sr->nsources);
	sr->entities = *ents;
	sr->sources = *srcs;
	{
		const char *col = http_param(r, "collapse");

		if (col && col[0] && strcmp(col, "dups") != 0) {
			http_reply_error(r, 400, "bad_parameter", -1, "collapse takes 'dups' (count each "
					 "wire story once), not '%.40s'", col);
			return -1;
		}
		sr->collapse_dups = col && strcmp(col, "dups") == 0;
	}
	if (sort) {
		sr->sort_given = 1;
		if (strcmp(sort, "relevance") == 0)
			sr->sort = SORT_RELEVANCE;
		else if (strcmp(sort, "newest") == 0)
			sr->sort = SORT_NEWEST;
		else if (strcmp(sort, "oldest") == 0)
			sr->sort = SORT_OLDEST;
		else {
			http_reply_error(r, 400, "bad_parameter", -1, "sort must be relevance, "
					 "newest or oldest, not '%.40s'", sort);
			return -1;
		}
	}
	return 0;
}

/* Map a search error to the API's error reply (every endpoint that searches). */
void http_reply_search_error(struct request *r, const struct search_error *e)
{
	switch (e->code) {
	case SEARCH_BAD_QUERY:
		http_reply_error(r, 400, "bad_query", e->position, "%s", e->message);
		break;
	case SEARCH_BAD_PARAMETER:
		http_reply_error(r, 400, "bad_parameter", -1, "%s", e->message);
		break;
	case SEARCH_TIMEOUT:
		http_reply_error(r, 503, "timeout", -1, "%s", e->message);
		break;
	default:
		http_reply_error(r, 500, "internal", -1, "%s", e->message ? e->message :
				 "internal error");
		break;
	}
}

static unsigned parse_facets(struct request *r, int *ok)
{
	const char *v = http_param(r, "facets");
	unsigned f = 0;
	char *copy, *tok, *save = NULL;

	*ok = 1;
	if (v == NULL || v[0] == '\0')
		return 0;
	copy = xstrdup(v);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "entities") == 0)
			f |= SEARCH_FACET_ENTITIES;
		else if (strcmp(tok, "sources") == 0)
			f |= SEARCH_FACET_SOURCES;
		else if (strcmp(tok, "dates") == 0)
			f |= SEARCH_FACET_DATES;
		else if (strcmp(tok, "langs") == 0)
			f |= SEARCH_FACET_LANGS;
		else {
			http_reply_error(r, 400, "bad_parameter", -1, "facets takes a comma list of "
					 "entities, sources, dates, langs; not '%.40s'", tok);
			*ok = 0;
			break;
		}
	}
	free(copy);
	return f;
}

void api_search(struct request *r)
{
	static const char *const allowed[] = {
		"q", "from", "to", "entity", "source", "sort", "limit", "cursor", "offset",
		"snippets", "snippet_words", "facets", "collapse", "lang", NULL
	};
	struct search_request sr;
	struct search_error err = { SEARCH_OK, NULL, -1 };
	const char **ents = NULL, **srcs = NULL, **langs = NULL;
	json_t *res;
	int ok;

	memset(&sr, 0, sizeof(sr));
	if (http_check_params(r, allowed) < 0 ||
	    http_param_int(r, "limit", 0, 100, 10, &sr.limit) < 0 ||
	    http_param_int(r, "offset", 0, 10000, 0, &sr.offset) < 0 ||
	    http_param_int(r, "snippets", 0, 5, 3, &sr.snippets) < 0 ||
	    http_param_int(r, "snippet_words", 1, 64, 24, &sr.snippet_words) < 0 ||
	    api_search_filters(r, &sr, &ents, &srcs) < 0)
		goto out;
	sr.facets = parse_facets(r, &ok);
	if (!ok)
		goto out;
	/* checked by search_plan_build: 400 for a code that is not ISO 639-1 */
	langs = http_param_list(r, "lang", &sr.nlangs);
	sr.langs = langs;
	sr.cursor = http_param(r, "cursor");
	res = search_run(r->w->store, &sr, &err);
	if (res == NULL) {
		http_reply_search_error(r, &err);
	} else {
		double t0 = now_monotonic(), took;
		json_t *dym = suggest_did_you_mean(r->w->store, &sr, json_integer_value(
							   json_object_get(res, "total")));

		if (dym)
			json_object_set_new(res, "did_you_mean", dym);
		/* took_ms covers the suggestion too: the search and its respellings */
		took = json_real_value(json_object_get(res, "took_ms")) +
		       (now_monotonic() - t0) * 1e3;
		json_object_set_new(res, "took_ms", json_real(round(took * 1e3) / 1e3));
		http_reply_json(r, 200, res);
	}
out:
	search_error_clear(&err);
	free(ents);
	free(srcs);
	free(langs);
}

static json_t *json_text_or_null(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return json_string((const char *)sqlite3_column_text(st, col));
}

static json_t *json_parsed_or(sqlite3_stmt *st, int col, json_t *dflt)
{
	json_t *v;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return dflt;
	v = json_loads((const char *)sqlite3_column_text(st, col), JSON_DECODE_ANY, NULL);
	if (v == NULL)
		return dflt;
	json_decref(dflt);
	return v;
}

void api_article_get(struct request *r, const char *id)
{
	static const char *const allowed[] = { NULL };
	struct store *s = r->w->store;
	sqlite3_stmt *st;
	json_t *o;
	char d[21];

	if (http_check_params(r, allowed) < 0)
		return;
	st = store_stmt(s, "SELECT a.rid, a.id, a.title, newsd_text(a.body), a.date, src.name,"
			" a.url, a.lang, a.authors, a.extra, a.ingested_at, d.id, a.version FROM article a"
			" LEFT JOIN source src ON src.id = a.source_id"
			" LEFT JOIN article d ON d.rid = a.dup_of WHERE a.id = ?1", NULL);
	if (st == NULL) {
		http_reply_error(r, 500, "internal", -1, "internal error reading the article");
		return;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		http_reply_error(r, 404, "not_found", -1, "no article with id '%.200s'", id);
		return;
	}
	o = json_object();
	json_object_set_new(o, "id", json_text_or_null(st, 1));
	json_object_set_new(o, "title", json_text_or_null(st, 2));
	json_object_set_new(o, "body", json_text_or_null(st, 3));
	date_format(sqlite3_column_int64(st, 4), d);
	json_object_set_new(o, "date", json_string(d));
	json_object_set_new(o, "source", json_text_or_null(st, 5));
	json_object_set_new(o, "url", json_text_or_null(st, 6));
	json_object_set_new(o, "lang", json_text_or_null(st, 7));
	json_object_set_new(o, "authors", json_parsed_or(st, 8, json_array()));
	json_object_set_new(o, "extra", json_parsed_or(st, 9, json_object()));
	date_format(sqlite3_column_int64(st, 10), d);
	json_object_set_new(o, "ingested_at", json_string(d));
	json_object_set_new(o, "dup_of", json_text_or_null(st, 11));
	json_object_set_new(o, "version", json_integer(sqlite3_column_int64(st, 12)));
	{
		int64_t rid = sqlite3_column_int64(st, 0);

		sqlite3_reset(st);
		json_object_set_new(o, "entities", search_article_entities(s, rid));
	}
	http_reply_json(r, 200, o);
}

/* Writes need the token when one is set; otherwise they must come from loopback. */
int http_write_allowed(struct request *r)
{
	const char *token = r->w->srv->cfg->write_token;
	const char *auth = evhttp_find_header(evhttp_request_get_input_headers(r->req),
					      "Authorization");
	size_t i, n, tn;
	unsigned char diff = 0;

	if (token == NULL || token[0] == '\0') {
		if (http_peer_is_loopback(r))
			return 1;
		http_reply_error(r, 403, "forbidden", -1, "writes are accepted from loopback only "
				 "when no write_token is configured");
		return 0;
	}
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0) {
		evhttp_add_header(evhttp_request_get_output_headers(r->req), "WWW-Authenticate",
				  "Bearer realm=\"newsd\"");
		http_reply_error(r, 401, "unauthorized", -1,
				 "writes need 'Authorization: Bearer <write_token>'");
		return 0;
	}
	auth += 7;
	/* constant time over the token's length, whatever the guess */
	n = strlen(auth);
	tn = strlen(token);
	diff = (unsigned char)(n != tn);
	for (i = 0; i < tn; i++)
		diff |= (unsigned char)(token[i] ^ (i < n ? auth[i] : 0));
	if (diff) {
		http_reply_error(r, 403, "forbidden", -1, "the write token is not valid");
		return 0;
	}
	return 1;
}

void api_articles_post(struct request *r)
{
	static const char *const allowed[] = { NULL };
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	const char *ce = evhttp_find_header(evhttp_request_get_input_headers(r->req),
					    "Content-Encoding");
	struct ingest_job *job;
	size_t len = evbuffer_get_length(in);

	if (http_check_params(r, allowed) < 0 || !http_write_allowed(r))
		return;
	if (ce && strcasecmp(ce, "gzip") != 0 && strcasecmp(ce, "identity") != 0) {
		http_reply_error(r, 415, "bad_request", -1, "Content-Encoding '%.40s' is not "
				 "supported; send gzip or identity", ce);
		return;
	}
	if (len == 0) {
		http_reply_error(r, 400, "bad_request", -1, "the request body is empty; send JSON, "
				 "a JSON array or JSON Lines");
		return;
	}
	if ((int64_t)len > r->w->srv->cfg->max_body_bytes) {
		http_reply_error(r, 413, "payload_too_large", -1, "the body is larger than %lld "
				 "bytes (max_body_bytes)", (long long)r->w->srv->cfg->max_body_bytes);
		return;
	}
	job = xcalloc(1, sizeof(*job));
	job->kind = INGEST_POST;
	job->len = len;
	job->data = xmalloc(len + 1);
	evbuffer_remove(in, job->data, len);
	job->data[len] = '\0';
	if (http_submit_job(r, job) < 0) {
		ingest_job_free(job);
		http_reply_error(r, 503, "unavailable", -1, "the server is shutting down");
	}
}

void api_article_delete(struct request *r, const char *id)
{
	static const char *const allowed[] = { NULL };
	struct ingest_job *job;

	if (http_check_params(r, allowed) < 0 || !http_write_allowed(r))
		return;
	job = xcalloc(1, sizeof(*job));
	job->kind = INGEST_DELETE;
	job->id = xstrdup(id);
	if (http_submit_job(r, job) < 0) {
		ingest_job_free(job);
		http_reply_error(r, 503, "unavailable", -1, "the server is shutting down");
	}
}

/* On the worker thread: answer a write once the ingest thread has committed it. */
void api_job_done(struct worker *w, struct ingest_job *job)
{
	struct request *r = job->arg;
	static const char *const codes[] = { "bad_request", "not_found", "payload_too_large",
					     "unavailable" };
	const char *code;

	r->w = w;
	if (job->http_status == 200 && job->kind == INGEST_DELETE) {
		http_reply_json(r, 200, json_pack("{s:s, s:I}", "deleted", job->id,
						  "index_version", (json_int_t)job->version));
	} else if (job->http_status == 200) {
		http_reply_json(r, 200, json_pack("{s:I, s:I, s:O, s:I}",
						  "accepted", (json_int_t)job->accepted,
						  "updated", (json_int_t)job->updated,
						  "rejected", job->rejected ? job->rejected : json_array(),
						  "index_version", (json_int_t)job->version));
	} else {
		code = job->http_status == 404 ? codes[1] : job->http_status == 413 ? codes[2] :
		       job->http_status == 503 ? codes[3] : codes[0];
		http_reply_error(r, job->http_status, code, -1, "%s",
				 job->errmsg ? job->errmsg : "the write failed");
	}
	w->srv->inflight--;
	free(r);
	ingest_job_free(job);
}

void api_health(struct request *r)
{
	static const char *const allowed[] = { NULL };
	struct server *s = r->w->srv;
	int ok = s->ready && !s->stopping;

	if (http_check_params(r, allowed) < 0)
		return;
	http_reply_json(r, ok ? 200 : 503,
			json_pack("{s:s, s:I, s:I}", "status", ok ? "ok" : s->stopping ?
				  "stopping" : "starting",
				  "articles", (json_int_t)store_article_count(r->w->store),
				  "index_version", (json_int_t)store_index_version(r->w->store)));
}

static int64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

static int64_t scalar(struct store *s, const char *sql)
{
	sqlite3_stmt *st = store_stmt(s, sql, NULL);
	int64_t v = 0;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}

/* {"en": n, "de": m, …}: articles per language, most first (lang_count; a file from before
 * it, opened read-only, is counted from its articles). */
static json_t *lang_counts(struct store *st)
{
	json_t *o = json_object();
	sqlite3_stmt *q = store_stmt(st, "SELECT lang, n FROM lang_count WHERE n > 0"
				     " ORDER BY n DESC, lang", NULL);

	if (q == NULL)
		q = store_stmt(st, "SELECT coalesce(lang, 'en'), count(*) FROM article"
			       " GROUP BY 1 ORDER BY 2 DESC, 1", NULL);
	while (q && sqlite3_step(q) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(q, 0),
				    json_integer(sqlite3_column_int64(q, 1)));
	if (q)
		sqlite3_reset(q);
	return o;
}

void api_stats(struct request *r)
{
	static const char *const allowed[] = { NULL };
	struct server *s = r->w->srv;
	struct store *st = r->w->store;
	struct ingest_counters c;
	json_t *o, *versions;
	sqlite3_stmt *q;
	char d1[21], d2[21], *wal;
	int64_t n;

	if (http_check_params(r, allowed) < 0)
		return;
	ingest_counters(s->ingest, &c);
	n = scalar(st, "SELECT count(*) FROM article");
	o = json_object();
	json_object_set_new(o, "articles", json_integer(n));
	json_object_set_new(o, "entities", json_integer(scalar(st, "SELECT count(*) FROM entity")));
	json_object_set_new(o, "sources", json_integer(scalar(st, "SELECT count(*) FROM source")));
	json_object_set_new(o, "langs", lang_counts(st));
	if (n > 0) {
		date_format(scalar(st, "SELECT date FROM article ORDER BY rid LIMIT 1"), d1);
		date_format(scalar(st, "SELECT date FROM article ORDER BY rid DESC LIMIT 1"), d2);
		json_object_set_new(o, "date_range", json_pack("{s:s, s:s}", "from", d1, "to", d2));
	} else {
		json_object_set_new(o, "date_range", json_pack("{s:n, s:n}", "from", "to"));
	}
	wal = xasprintf("%s-wal", s->cfg->db);
	json_object_set_new(o, "database_bytes", json_integer(file_size(s->cfg->db)));
	json_object_set_new(o, "wal_bytes", json_integer(file_size(wal)));
	free(wal);
	json_object_set_new(o, "index_version", json_integer(store_index_version(st)));
	json_object_set_new(o, "ingest", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"accepted", (json_int_t)c.accepted, "updated", (json_int_t)c.updated,
		"duplicates", (json_int_t)c.duplicates,
		"rejected", (json_int_t)c.rejected, "deleted", (json_int_t)c.deleted,
		"batches", (json_int_t)c.batches, "failed_batches", (json_int_t)c.failed_batches,
		"spool_done", (json_int_t)c.spool_done, "spool_failed", (json_int_t)c.spool_failed,
		"queued", (json_int_t)c.queued));
	/* the most recent versions, for citing result sets */
	versions = json_array();
	q = store_stmt(st, "SELECT v, committed_at, added, updated, removed FROM version"
		       " ORDER BY v DESC LIMIT 20", NULL);
	while (q && sqlite3_step(q) == SQLITE_ROW) {
		date_format(sqlite3_column_int64(q, 1), d1);
		json_array_append_new(versions, json_pack("{s:I, s:s, s:I, s:I, s:I}",
			"version", (json_int_t)sqlite3_column_int64(q, 0), "committed_at", d1,
			"added", (json_int_t)sqlite3_column_int64(q, 2),
			"updated", (json_int_t)sqlite3_column_int64(q, 3),
			"removed", (json_int_t)sqlite3_column_int64(q, 4)));
	}
	if (q)
		sqlite3_reset(q);
	json_object_set_new(o, "versions", versions);
	{
		/* the sources and entities kept in memory for facets (columns.h) */
		int64_t cv;
		size_t cn, cb;

		json_object_set_new(o, "columns", columns_stats(&cv, &cn, &cb) ?
				    json_pack("{s:I, s:I, s:I}", "version", (json_int_t)cv,
					      "rows", (json_int_t)cn, "bytes", (json_int_t)cb) :
				    json_null());
	}
	{
		/* per-block score bounds of frequent words (bounds.h) and what they saved */
		size_t words, bytes;
		int64_t searches, blocks, counted;

		bounds_stats(&words, &bytes);
		search_bounds_counters(&searches, &blocks, &counted);
		json_object_set_new(o, "bounds", json_pack("{s:I, s:I, s:I, s:I, s:I}",
					"words", (json_int_t)words, "bytes", (json_int_t)bytes,
					"searches", (json_int_t)searches,
					"blocks_visited", (json_int_t)blocks,
					"counted", (json_int_t)counted));
	}
	json_object_set_new(o, "uptime_s", json_integer((json_int_t)(time(NULL) - (time_t)s->started)));
	json_object_set_new(o, "version", json_string(NEWSD_VERSION));
	http_reply_json(r, 200, o);
}

/* Prometheus text exposition format, version 0.0.4. */
void api_metrics(struct request *r)
{
	static const char *const allowed[] = { NULL };
	struct server *s = r->w->srv;
	struct ingest_counters c;
	struct buf b = { 0 };
	char *wal;
	int e, k;

	if (http_check_params(r, allowed) < 0)
		return;
	ingest_counters(s->ingest, &c);
	buf_puts(&b, "# HELP newsd_http_requests_total HTTP requests by endpoint and status code.\n"
		 "# TYPE newsd_http_requests_total counter\n");
	for (e = 0; e < METRIC_ENDPOINTS; e++)
		for (k = 0; k < METRIC_STATUSES; k++)
			if (s->req_count[e][k]) {
				if (http_status_codes[k])
					buf_printf(&b, "newsd_http_requests_total{endpoint=\"%s\",code=\"%d\"} %llu\n",
						   http_endpoint_names[e], http_status_codes[k],
						   (unsigned long long)s->req_count[e][k]);
				else
					buf_printf(&b, "newsd_http_requests_total{endpoint=\"%s\",code=\"other\"} %llu\n",
						   http_endpoint_names[e],
						   (unsigned long long)s->req_count[e][k]);
			}
	buf_puts(&b, "# HELP newsd_http_request_duration_seconds Time to answer a request.\n"
		 "# TYPE newsd_http_request_duration_seconds histogram\n");
	for (e = 0; e < METRIC_ENDPOINTS; e++) {
		uint64_t cum = 0;

		for (k = 0; k <= METRIC_BUCKETS; k++)
			cum += s->lat_bucket[e][k];
		if (cum == 0)
			continue;
		cum = 0;
		for (k = 0; k < METRIC_BUCKETS; k++) {
			cum += s->lat_bucket[e][k];
			buf_printf(&b, "newsd_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
				   http_endpoint_names[e], http_latency_bounds[k], (unsigned long long)cum);
		}
		cum += s->lat_bucket[e][METRIC_BUCKETS];
		buf_printf(&b, "newsd_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n"
			   "newsd_http_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n"
			   "newsd_http_request_duration_seconds_count{endpoint=\"%s\"} %llu\n",
			   http_endpoint_names[e], (unsigned long long)cum, http_endpoint_names[e],
			   (double)s->lat_sum_us[e] / 1e6, http_endpoint_names[e], (unsigned long long)cum);
	}
	buf_printf(&b, "# HELP newsd_ingest_articles_total Articles written, by result.\n"
		   "# TYPE newsd_ingest_articles_total counter\n"
		   "newsd_ingest_articles_total{result=\"accepted\"} %lld\n"
		   "newsd_ingest_articles_total{result=\"updated\"} %lld\n"
		   "newsd_ingest_articles_total{result=\"rejected\"} %lld\n"
		   "newsd_ingest_articles_total{result=\"deleted\"} %lld\n"
		   "# HELP newsd_ingest_duplicates_total Ingested articles found to be wire copies.\n"
		   "# TYPE newsd_ingest_duplicates_total counter\n"
		   "newsd_ingest_duplicates_total %lld\n"
		   "# HELP newsd_ingest_batches_total Write batches, by result.\n"
		   "# TYPE newsd_ingest_batches_total counter\n"
		   "newsd_ingest_batches_total{result=\"committed\"} %lld\n"
		   "newsd_ingest_batches_total{result=\"failed\"} %lld\n"
		   "# HELP newsd_ingest_queued Write jobs waiting for the ingest thread.\n"
		   "# TYPE newsd_ingest_queued gauge\n"
		   "newsd_ingest_queued %lld\n",
		   (long long)c.accepted, (long long)c.updated, (long long)c.rejected,
		   (long long)c.deleted, (long long)c.duplicates, (long long)c.batches,
		   (long long)c.failed_batches,
		   (long long)c.queued);
	watch_metrics(s, &b);
	wal = xasprintf("%s-wal", s->cfg->db);
	buf_printf(&b, "# HELP newsd_articles Articles in the index.\n# TYPE newsd_articles gauge\n"
		   "newsd_articles %lld\n"
		   "# HELP newsd_index_version Committed write batches so far.\n"
		   "# TYPE newsd_index_version gauge\nnewsd_index_version %lld\n"
		   "# HELP newsd_database_bytes Size of the database file.\n"
		   "# TYPE newsd_database_bytes gauge\nnewsd_database_bytes %lld\n"
		   "# HELP newsd_wal_bytes Size of the write-ahead log.\n"
		   "# TYPE newsd_wal_bytes gauge\nnewsd_wal_bytes %lld\n"
		   "# HELP newsd_uptime_seconds Seconds since the server started.\n"
		   "# TYPE newsd_uptime_seconds gauge\nnewsd_uptime_seconds %lld\n",
		   (long long)store_article_count(r->w->store),
		   (long long)store_index_version(r->w->store), (long long)file_size(s->cfg->db),
		   (long long)file_size(wal), (long long)(time(NULL) - (time_t)s->started));
	free(wal);
	http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	buf_free(&b);
}

/* GET / : the search page, compiled into the binary from server/www/index.html. */
void api_page(struct request *r)
{
	static const char *const allowed[] = { "q", "from", "to", "entity", "source", "sort", NULL };
	const struct embed_file *f = embed_find("server/www/index.html");

	/* the page keeps its state in the URL; its parameters are for the page's script */
	if (http_check_params(r, allowed) < 0)
		return;
	if (f == NULL) {
		http_reply_error(r, 404, "not_found", -1, "this build has no search page");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Security-Policy",
			  "default-src 'self'; style-src 'self' 'unsafe-inline'; "
			  "script-src 'self' 'unsafe-inline'; img-src 'self' data:");
	http_reply_text(r, 200, "text/html; charset=utf-8", (const char *)f->data, f->size);
}

/* GET /openapi.json: the API's OpenAPI 3.1 description (openapi.c). */
void api_openapi(struct request *r)
{
	static const char *const allowed[] = { NULL };
	char *err = NULL;
	json_t *doc;

	if (http_check_params(r, allowed) < 0)
		return;
	doc = openapi_document(r->w->srv->cfg, &err);
	if (doc == NULL) {
		http_reply_error(r, 500, "internal", -1, "%s", err);
		free(err);
		return;
	}
	http_reply_json(r, 200, doc);
}

/* GET /articles/{id}/similar: more like this (similar.c), with date and source filters. */
void api_similar(struct request *r, const char *id)
{
	static const char *const allowed[] = { "limit", "from", "to", "source", NULL };
	struct similar_request sr;
	struct search_request f;
	struct search_error err = { SEARCH_OK, NULL, -1 };
	const char **ents = NULL, **srcs = NULL;
	json_t *res;

	memset(&sr, 0, sizeof(sr));
	memset(&f, 0, sizeof(f));
	if (http_check_params(r, allowed) < 0 ||
	    http_param_int(r, "limit", 1, 100, 10, &sr.limit) < 0 ||
	    api_search_filters(r, &f, &ents, &srcs) < 0)
		goto out;
	sr.has_from = f.has_from;
	sr.from = f.from;
	sr.has_to = f.has_to;
	sr.to = f.to;
	sr.sources = f.sources;
	sr.nsources = f.nsources;
	search_deadline_set(r->w->store, f.timeout_ms);
	res = similar_run(r->w->store, id, &sr, &err);
	search_deadline_clear(r->w->store);
	if (res)
		http_reply_json(r, 200, res);
	else if (err.code == SEARCH_OK)
		http_reply_error(r, 404, "not_found", -1, "no article with id '%.200s'", id);
	else
		http_reply_search_error(r, &err);
out:
	search_error_clear(&err);
	free(ents);
	free(srcs);
}

/* GET /articles/{id}/copies: the other articles of id's story (copies.h), for a collapsed
 * hit's "N more copies". */
void api_copies(struct request *r, const char *id)
{
	static const char *const allowed[] = { "limit", NULL };
	int limit, notfound = 0;
	char *emsg = NULL;
	json_t *res;

	if (http_check_params(r, allowed) < 0 ||
	    http_param_int(r, "limit", 1, 1000, 100, &limit) < 0)
		return;
	res = copies_list(r->w->store, id, limit, &notfound, &emsg);
	if (res)
		http_reply_json(r, 200, res);
	else if (notfound)
		http_reply_error(r, 404, "not_found", -1, "no article with id '%.200s'", id);
	else
		http_reply_error(r, 500, "internal", -1, "internal error listing copies: %s",
				 emsg ? emsg : "unknown");
	free(emsg);
}
