/*
 * api_data.c — the research endpoints: entities, related entities, timeline, export.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "date.h"
#include "entity.h"
#include "search.h"
#include "server.h"
#include "snippet.h"
#include "timeline.h"
#include "util.h"

/* The type parameter: -1 for any; -2 (and a 400 sent) when invalid. */
static int type_param(struct request *r)
{
	const char *t = http_param(r, "type");
	int v;

	if (t == NULL || t[0] == '\0')
		return -1;
	v = entity_type_parse(t);
	if (v < 0) {
		http_reply_error(r, 400, "bad_parameter", -1, "type must be person, org or place, "
				 "not '%.40s'", t);
		return -2;
	}
	return v;
}

void api_entities(struct request *r)
{
	static const char *const allowed[] = { "q", "from", "to", "entity", "source", "type",
					       "prefix", "limit", "collapse", "lang", NULL };
	struct search_request sr;
	struct search_plan plan;
	struct search_error err = { SEARCH_OK, NULL, -1 };
	struct entity_filter f;
	const char **ents = NULL, **srcs = NULL, **langs = NULL;
	json_t *list;
	int planned = 0, all;

	memset(&sr, 0, sizeof(sr));
	memset(&plan, 0, sizeof(plan));
	if (http_check_params(r, allowed) < 0 ||
	    http_param_int(r, "limit", 1, 1000, 20, &f.limit) < 0 ||
	    (f.type = type_param(r)) == -2 || api_search_filters(r, &sr, &ents, &srcs) < 0)
		goto out;
	f.prefix = http_param(r, "prefix");
	/* checked by search_plan_build, as for /search */
	langs = http_param_list(r, "lang", &sr.nlangs);
	sr.langs = langs;
	all = !(sr.q && sr.q[0]) && !sr.has_from && !sr.has_to && !sr.nentities && !sr.nsources &&
	      !sr.collapse_dups && !sr.nlangs;
	search_deadline_set(r->w->store, sr.timeout_ms);
	if (!all) {
		if (search_plan_build(r->w->store, &sr, &plan, &err) < 0) {
			http_reply_search_error(r, &err);
			goto out;
		}
		planned = 1;
	}
	list = entity_top(r->w->store, planned ? &plan : NULL, all, &f, &err);
	if (list == NULL)
		http_reply_search_error(r, &err);
	else
		http_reply_json(r, 200, json_pack("{s:o}", "entities", list));
out:
	search_deadline_clear(r->w->store);
	if (planned)
		search_plan_free(&plan);
	search_error_clear(&err);
	free(ents);
	free(srcs);
	free(langs);
}

void api_entity(struct request *r, const char *name)
{
	static const char *const allowed[] = { "type", NULL };
	struct search_error err = { SEARCH_OK, NULL, -1 };
	int64_t id;
	json_t *o;
	int type;

	if (http_check_params(r, allowed) < 0 || (type = type_param(r)) == -2)
		return;
	o = entity_info(r->w->store, name, type, &id, &err);
	if (o)
		http_reply_json(r, 200, o);
	else if (err.code == SEARCH_OK)
		http_reply_error(r, 404, "not_found", -1, "no entity named '%.200s'", name);
	else
		http_reply_search_error(r, &err);
	search_error_clear(&err);
}

void api_entity_related(struct request *r, const char *name)
{
	static const char *const allowed[] = { "from", "to", "type", "limit", "min_count", NULL };
	struct search_error err = { SEARCH_OK, NULL, -1 };
	struct search_request sr;
	const char **ents = NULL, **srcs = NULL;
	int64_t id, lo = INT64_MIN, hi = INT64_MAX;
	json_t *card, *rel;
	int type, limit, min_count;

	memset(&sr, 0, sizeof(sr));
	if (http_check_params(r, allowed) < 0 || (type = type_param(r)) == -2 ||
	    http_param_int(r, "limit", 1, 1000, 20, &limit) < 0 ||
	    http_param_int(r, "min_count", 1, 1000000, 2, &min_count) < 0 ||
	    api_search_filters(r, &sr, &ents, &srcs) < 0)
		goto out;
	card = entity_info(r->w->store, name, -1, &id, &err);
	if (card == NULL) {
		if (err.code == SEARCH_OK)
			http_reply_error(r, 404, "not_found", -1, "no entity named '%.200s'", name);
		else
			http_reply_search_error(r, &err);
		goto out;
	}
	if (sr.has_from)
		lo = store_rid_min(sr.from);
	if (sr.has_to)
		hi = store_rid_max(sr.to);
	search_deadline_set(r->w->store, sr.timeout_ms);
	rel = entity_related(r->w->store, id, lo, hi, type, limit, min_count, &err);
	search_deadline_clear(r->w->store);
	if (rel == NULL) {
		json_decref(card);
		http_reply_search_error(r, &err);
		goto out;
	}
	http_reply_json(r, 200, json_pack("{s:O, s:O, s:o}", "entity", json_object_get(card, "name"),
					  "type", json_object_get(card, "type"), "related", rel));
	json_decref(card);
out:
	search_error_clear(&err);
	free(ents);
	free(srcs);
}

void api_timeline(struct request *r)
{
	static const char *const allowed[] = { "q", "from", "to", "entity", "source", "interval",
					       "collapse", "lang", NULL };
	struct search_request sr;
	struct search_plan plan;
	struct search_error err = { SEARCH_OK, NULL, -1 };
	const char **ents = NULL, **srcs = NULL, **langs = NULL, *iv = http_param(r, "interval");
	int interval = INTERVAL_AUTO, planned = 0;
	json_t *res;
	double t0 = now_monotonic();

	memset(&sr, 0, sizeof(sr));
	if (http_check_params(r, allowed) < 0 || api_search_filters(r, &sr, &ents, &srcs) < 0)
		goto out;
	if (iv && iv[0] && (interval = timeline_interval_parse(iv)) < 0) {
		http_reply_error(r, 400, "bad_parameter", -1, "interval must be day, week or month, "
				 "not '%.40s'", iv);
		goto out;
	}
	langs = http_param_list(r, "lang", &sr.nlangs);
	sr.langs = langs;
	if (search_plan_build(r->w->store, &sr, &plan, &err) < 0) {
		http_reply_search_error(r, &err);
		goto out;
	}
	planned = 1;
	search_deadline_set(r->w->store, sr.timeout_ms);
	res = timeline_run(r->w->store, &plan, sr.has_from, sr.from, sr.has_to, sr.to,
			   (enum timeline_interval)interval, 1, &err);
	search_deadline_clear(r->w->store);
	if (res == NULL) {
		http_reply_search_error(r, &err);
		goto out;
	}
	json_object_set_new(res, "index_version", json_integer(store_index_version(r->w->store)));
	json_object_set_new(res, "took_ms", json_real((double)(long long)((now_monotonic() - t0) *
						      1e6) / 1e3));
	http_reply_json(r, 200, res);
out:
	if (planned)
		search_plan_free(&plan);
	search_error_clear(&err);
	free(ents);
	free(srcs);
	free(langs);
}

/* ---- export: every match, oldest first, streamed in slices with bounded memory ---- */

enum { F_ID, F_DATE, F_SOURCE, F_TITLE, F_URL, F_SNIPPET, F_BODY, F_NFIELDS };
static const char *const field_names[F_NFIELDS] = {
	"id", "date", "source", "title", "url", "snippet", "body"
};

#define EXPORT_SLICE 256

struct export {
	struct server *srv;
	struct worker *w;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct store *store;		/* its own read connection: one snapshot for the stream */
	struct search_plan plan;
	int csv;
	int fields[F_NFIELDS];
	int nfields;
	int64_t after;			/* last rid sent */
	int done;
};

static void export_free(struct export *ex)
{
	if (ex->store) {
		sqlite3_exec(store_db(ex->store), "COMMIT", NULL, NULL, NULL);
		/* kept for the next export of this thread: opening costs, and closing a connection
		 * while others hold locks makes SQLite defer the close of its descriptor */
		if (ex->w->nspare < (int)(sizeof(ex->w->spare) / sizeof(ex->w->spare[0])))
			ex->w->spare[ex->w->nspare++] = ex->store;
		else
			store_close(ex->store);
	}
	search_plan_free(&ex->plan);
	ex->srv->inflight--;
	free(ex);
}

/*
 * The client went away mid-stream: free everything now. libevent has detached the unfinished
 * request from the failed connection (it is ours to free then); when the connection is freed
 * for another reason (server shutdown) the request is still attached and libevent frees it.
 */
static void export_closed(struct evhttp_connection *evcon, void *arg)
{
	struct export *ex = arg;

	(void)evcon;
	if (evhttp_request_get_connection(ex->req) == NULL)
		evhttp_request_free(ex->req);
	export_free(ex);
}

static void csv_field(struct evbuffer *b, const char *s)
{
	const char *p;

	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		evbuffer_add(b, s, strlen(s));
		return;
	}
	evbuffer_add(b, "\"", 1);
	for (p = s; *p; p++) {
		if (*p == '"')
			evbuffer_add(b, "\"", 1);
		evbuffer_add(b, p, 1);
	}
	evbuffer_add(b, "\"", 1);
}

/* One record in the chosen format. */
static void export_row(struct export *ex, struct evbuffer *b, sqlite3_stmt *row, const char *snip)
{
	const char *vals[F_NFIELDS];
	char d[21];
	int i;

	date_format(sqlite3_column_int64(row, 1), d);
	vals[F_ID] = (const char *)sqlite3_column_text(row, 0);
	vals[F_DATE] = d;
	vals[F_SOURCE] = (const char *)sqlite3_column_text(row, 2);
	vals[F_TITLE] = (const char *)sqlite3_column_text(row, 3);
	vals[F_URL] = (const char *)sqlite3_column_text(row, 4);
	vals[F_BODY] = (const char *)sqlite3_column_text(row, 5);
	vals[F_SNIPPET] = snip;
	if (ex->csv) {
		for (i = 0; i < ex->nfields; i++) {
			if (i)
				evbuffer_add(b, ",", 1);
			csv_field(b, vals[ex->fields[i]]);
		}
		evbuffer_add(b, "\r\n", 2);
	} else {
		json_t *o = json_object();
		char *s;

		for (i = 0; i < ex->nfields; i++) {
			const char *v = vals[ex->fields[i]];

			json_object_set_new(o, field_names[ex->fields[i]], v ? json_string(v) : json_null());
		}
		s = json_dumps(o, JSON_COMPACT);
		if (s) {
			evbuffer_add(b, s, strlen(s));
			evbuffer_add(b, "\n", 1);
		}
		free(s);
		json_decref(o);
	}
}

static void export_next(struct evhttp_connection *evcon, void *arg);

/* Send the next slice of matches; the chunk's write callback asks for the one after. */
static void export_slice(struct export *ex)
{
	struct store *s = ex->store;
	sqlite3_stmt *ids, *row, *sn = NULL;
	struct evbuffer *b = evbuffer_new();
	int n = 0, want_snip = 0, want_body = 0, i, rc;

	for (i = 0; i < ex->nfields; i++) {
		if (ex->fields[i] == F_SNIPPET)
			want_snip = 1;
		if (ex->fields[i] == F_BODY)
			want_body = 1;
	}
	search_plan_use(s, &ex->plan);
	ids = store_stmt(s, "SELECT rowid FROM fts WHERE fts MATCH ?1 AND rowid > ?2 AND rowid <= ?3"
			 " ORDER BY rowid ASC LIMIT 256", NULL);
	/* the body is inflated (zbody.h) only when asked for */
	row = store_stmt(s, "SELECT a.id, a.date, src.name, a.title, a.url,"
			 " CASE WHEN ?2 THEN newsd_text(a.body) END FROM article a"
			 " LEFT JOIN source src ON src.id = a.source_id WHERE a.rid = ?1", NULL);
	if (want_snip)
		sn = store_stmt(s, "SELECT newsd_snippet(fts, 1, 1, 24) FROM fts"
				" WHERE fts MATCH ?1 AND rowid = ?2", NULL);
	if (ids && row && (!want_snip || sn) && !ex->plan.empty) {
		sqlite3_bind_text(ids, 1, ex->plan.match, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ids, 2, ex->after > ex->plan.rid_lo - 1 ? ex->after :
				   ex->plan.rid_lo - 1);
		sqlite3_bind_int64(ids, 3, ex->plan.rid_hi);
		while ((rc = sqlite3_step(ids)) == SQLITE_ROW) {
			int64_t rid = sqlite3_column_int64(ids, 0);
			const char *snip = NULL;

			ex->after = rid;
			n++;
			if (sn) {
				sqlite3_bind_text(sn, 1, ex->plan.match, -1, SQLITE_STATIC);
				sqlite3_bind_int64(sn, 2, rid);
				if (sqlite3_step(sn) == SQLITE_ROW)
					snip = (const char *)sqlite3_column_text(sn, 0);
			}
			sqlite3_bind_int64(row, 1, rid);
			sqlite3_bind_int(row, 2, want_body);
			if (sqlite3_step(row) == SQLITE_ROW)
				export_row(ex, b, row, snip);
			sqlite3_reset(row);
			if (sn)
				sqlite3_reset(sn);
		}
		sqlite3_reset(ids);
	}
	if (n < EXPORT_SLICE)
		ex->done = 1;
	if (evbuffer_get_length(b))
		evhttp_send_reply_chunk_with_cb(ex->req, b, export_next, ex);
	else
		export_next(ex->evcon, ex);
	evbuffer_free(b);
}

static void export_next(struct evhttp_connection *evcon, void *arg)
{
	struct export *ex = arg;

	(void)evcon;
	if (!ex->done) {
		export_slice(ex);
		return;
	}
	/* finished: forget the close callback before the connection lives on (keep-alive) */
	evhttp_connection_set_closecb(ex->evcon, NULL, NULL);
	evhttp_send_reply_end(ex->req);
	export_free(ex);
}

static int count_cb(void *ctx, int64_t rid)
{
	(void)rid;
	(*(int64_t *)ctx)++;
	return 0;
}

void api_export(struct request *r)
{
	static const char *const allowed[] = { "q", "from", "to", "entity", "source", "format",
					       "fields", "collapse", "lang", NULL };
	struct config *c = r->w->srv->cfg;
	struct store_options so = { c->stemming, c->cache_mb, 5000, c->title_weight };
	struct search_request sr;
	struct search_error err = { SEARCH_OK, NULL, -1 };
	const char **ents = NULL, **srcs = NULL, **langs = NULL, *fmt = http_param(r, "format");
	const char *fl = http_param(r, "fields");
	struct export *ex = xcalloc(1, sizeof(*ex));
	struct evkeyvalq *h;
	char *emsg = NULL, *copy = NULL, *tok, *save = NULL, tmp[32];
	int64_t total = 0;
	int i;

	ex->srv = r->w->srv;
	ex->w = r->w;
	ex->srv->inflight++;
	memset(&sr, 0, sizeof(sr));
	if (http_check_params(r, allowed) < 0 || api_search_filters(r, &sr, &ents, &srcs) < 0)
		goto fail;
	if (fmt && strcmp(fmt, "csv") == 0) {
		ex->csv = 1;
	} else if (fmt && fmt[0] && strcmp(fmt, "jsonl") != 0) {
		http_reply_error(r, 400, "bad_parameter", -1, "format must be jsonl or csv, not '%.40s'",
				 fmt);
		goto fail;
	}
	copy = xstrdup(fl && fl[0] ? fl : "id,date,source,title,url");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < F_NFIELDS && strcmp(tok, field_names[i]) != 0; i++)
			;
		if (i == F_NFIELDS || ex->nfields == F_NFIELDS) {
			http_reply_error(r, 400, "bad_parameter", -1, "fields takes a comma list of id, "
					 "date, source, title, url, snippet, body; not '%.40s'", tok);
			goto fail;
		}
		ex->fields[ex->nfields++] = i;
	}
	/* its own connection and read transaction: the whole stream is one snapshot, and the
	 * worker's connection stays free for other requests meanwhile */
	if (r->w->nspare > 0) {
		ex->store = r->w->spare[--r->w->nspare];
	} else if (store_open(c->db, STORE_READ, &so, &ex->store, &emsg) < 0) {
		http_reply_error(r, 503, "unavailable", -1, "cannot open the database for export");
		goto fail;
	} else {
		store_low_memory(ex->store);
	}
	sqlite3_exec(store_db(ex->store), "BEGIN", NULL, NULL, NULL);
	langs = http_param_list(r, "lang", &sr.nlangs);
	sr.langs = langs;
	if (search_plan_build(ex->store, &sr, &ex->plan, &err) < 0 ||
	    search_plan_iterate(ex->store, &ex->plan, 1, count_cb, &total, &err) < 0) {
		http_reply_search_error(r, &err);
		goto fail;
	}
	h = evhttp_request_get_output_headers(r->req);
	evhttp_add_header(h, "Content-Type", ex->csv ? "text/csv; charset=utf-8" :
			  "application/x-ndjson; charset=utf-8");
	snprintf(tmp, sizeof(tmp), "%lld", (long long)total);
	evhttp_add_header(h, "X-Total", tmp);
	snprintf(tmp, sizeof(tmp), "%lld", (long long)store_index_version(ex->store));
	evhttp_add_header(h, "X-Index-Version", tmp);
	http_add_request_id(r);
	ex->req = r->req;
	ex->evcon = evhttp_request_get_connection(r->req);
	ex->after = INT64_MIN;
	r->req = NULL;
	evhttp_send_reply_start(ex->req, 200, "OK");
	if (r->head) {
		evhttp_send_reply_end(ex->req);
		export_free(ex);
	} else {
		evhttp_connection_set_closecb(ex->evcon, export_closed, ex);
		if (ex->csv) {
			struct evbuffer *b = evbuffer_new();

			for (i = 0; i < ex->nfields; i++)
				evbuffer_add_printf(b, "%s%s", i ? "," : "", field_names[ex->fields[i]]);
			evbuffer_add(b, "\r\n", 2);
			evhttp_send_reply_chunk_with_cb(ex->req, b, export_next, ex);
			evbuffer_free(b);
		} else {
			export_slice(ex);
		}
	}
	goto out;
fail:
	export_free(ex);
out:
	free(copy);
	free(emsg);
	search_error_clear(&err);
	free(ents);
	free(srcs);
	free(langs);
}
