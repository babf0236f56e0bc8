/*
 * openapi.c — GET /openapi.json: the OpenAPI 3.1 description of the API.
 *
 * The schemas of the bodies are JSON, in server/openapi/base.json (compiled into the binary);
 * the paths, operations and parameters are generated here from one table, openapi_ops[], with
 * the limits that come from the configuration (query length, body size) taken from the
 * running server. tests/e2e/test_openapi.py keeps the table true: it validates the document
 * with an OpenAPI validator, checks every path of the route table (http.c) against it and
 * back, sends each documented parameter (and an unknown one, whose 400 lists what the handler
 * accepts), probes every integer bound and enum value, and validates real responses against
 * the schemas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "openapi.h"
#include "util.h"

enum oa_kind { OA_STRING, OA_INT, OA_DATE, OA_ENUM, OA_CSV };

struct oa_param {
	const char *name;
	enum oa_kind kind;
	int repeat;		/* a list: entity=a&entity=b */
	int lo, hi, dflt;	/* OA_INT */
	const char *values;	/* OA_ENUM (one of) and OA_CSV (comma list of): space-separated */
	const char *doc;
};

/* The parameters, as the handlers in api.c and api_data.c parse them. */
static const struct oa_param
	P_Q = { "q", OA_STRING, 0, 0, 0, 0, NULL, "The query (API.md, Query language). Optional "
		"when another filter is given; then results are newest first." },
	P_FROM = { "from", OA_DATE, 0, 0, 0, 0, NULL, "Earliest date, ISO 8601 (2026-01-07, "
		   "2026-01-07T15:04:05Z, offsets normalised to UTC)." },
	P_TO = { "to", OA_DATE, 0, 0, 0, 0, NULL, "Latest date, inclusive; a date-only value "
		 "covers that whole day." },
	P_ENTITY = { "entity", OA_STRING, 1, 0, 0, 0, NULL, "Entity name or alias, "
		     "case-insensitive; repeatable, all must match." },
	P_SOURCE = { "source", OA_STRING, 1, 0, 0, 0, NULL, "Source name; repeatable, any may "
		     "match." },
	P_COLLAPSE = { "collapse", OA_ENUM, 0, 0, 0, 0, "dups", "dups: count each wire story "
		       "once (copies left out)." },
	P_SORT = { "sort", OA_ENUM, 0, 0, 0, 0, "relevance newest oldest", "Order of the hits "
		   "(relevance by default with q, else newest)." },
	P_SIMLIMIT = { "limit", OA_INT, 0, 1, 100, 10, NULL, "Similar articles to return." },
	P_COPYLIMIT = { "limit", OA_INT, 0, 1, 1000, 100, NULL, "Copies to return." },
	P_PAGE_SORT = { "sort", OA_STRING, 0, 0, 0, 0, NULL, "Read by the page's script "
			"(relevance, newest, oldest), not by the server." },
	P_SLIMIT = { "limit", OA_INT, 0, 0, 100, 10, NULL, "Hits per page (0: count only)." },
	P_CURSOR = { "cursor", OA_STRING, 0, 0, 0, 0, NULL, "next_cursor of the previous page "
		     "(unlimited deep paging)." },
	P_OFFSET = { "offset", OA_INT, 0, 0, 10000, 0, NULL, "Hits to skip (prefer cursor)." },
	P_SNIPPETS = { "snippets", OA_INT, 0, 0, 5, 3, NULL, "Fragments per hit." },
	P_SWORDS = { "snippet_words", OA_INT, 0, 1, 64, 24, NULL, "Words per fragment." },
	P_FACETS = { "facets", OA_CSV, 0, 0, 0, 0, "entities sources dates langs", "Counts over "
		     "the whole result set." },
	P_TYPE = { "type", OA_ENUM, 0, 0, 0, 0, "person org place", "Entity type." },
	P_PREFIX = { "prefix", OA_STRING, 0, 0, 0, 0, NULL, "Names or aliases starting with this "
		     "(autocomplete)." },
	P_ELIMIT = { "limit", OA_INT, 0, 1, 1000, 20, NULL, "Entities to return." },
	P_MINCOUNT = { "min_count", OA_INT, 0, 1, 1000000, 2, NULL, "Least shared articles." },
	P_INTERVAL = { "interval", OA_ENUM, 0, 0, 0, 0, "day week month", "Bucket size (default: "
		       "chosen from the span: up to 92 days by day, up to 2 years by week, else "
		       "by month)." },
	P_FORMAT = { "format", OA_ENUM, 0, 0, 0, 0, "jsonl csv", "jsonl (default) or csv "
		     "(RFC 4180)." },
	P_LANG = { "lang", OA_STRING, 1, 0, 0, 0, NULL, "Article language (ISO 639-1, e.g. en, "
		   "de); repeatable, any may match." },
	P_SLANG = { "lang", OA_STRING, 1, 0, 0, 0, NULL, "Article language (ISO 639-1 in lower "
		    "case, e.g. en, de); repeatable, any may match. Also the languages the words of "
		    "q are stemmed in (default: every language of the index, each its own way). A "
		    "code that is not ISO 639-1 is a 400 bad_parameter." },
	P_FIELDS = { "fields", OA_CSV, 0, 0, 0, 0, "id date source title url snippet body",
		     "Columns (default id,date,source,title,url)." };

#define FILTERS &P_Q, &P_FROM, &P_TO, &P_ENTITY, &P_SOURCE
static const struct oa_param *const search_params[] = {
	FILTERS, &P_SLANG, &P_SORT, &P_SLIMIT, &P_CURSOR, &P_OFFSET, &P_SNIPPETS, &P_SWORDS,
	&P_FACETS, &P_COLLAPSE, NULL
};
static const struct oa_param *const entities_params[] = {
	FILTERS, &P_SLANG, &P_TYPE, &P_PREFIX, &P_ELIMIT, &P_COLLAPSE, NULL
};
static const struct oa_param *const entity_params[] = { &P_TYPE, NULL };
static const struct oa_param *const related_params[] = {
	&P_FROM, &P_TO, &P_TYPE, &P_ELIMIT, &P_MINCOUNT, NULL
};
static const struct oa_param *const timeline_params[] = {
	FILTERS, &P_SLANG, &P_INTERVAL, &P_COLLAPSE, NULL
};
static const struct oa_param *const export_params[] = {
	FILTERS, &P_SLANG, &P_FORMAT, &P_FIELDS, &P_COLLAPSE, NULL
};
static const struct oa_param *const similar_params[] = {
	&P_FROM, &P_TO, &P_SOURCE, &P_SIMLIMIT, NULL
};
static const struct oa_param *const copies_params[] = { &P_COPYLIMIT, NULL };
static const struct oa_param *const page_params[] = {
	&P_Q, &P_FROM, &P_TO, &P_ENTITY, &P_SOURCE, &P_PAGE_SORT, NULL
};
static const struct oa_param *const watch_params[] = {
	FILTERS, &P_LANG, &P_SNIPPETS, &P_SWORDS, NULL
};
static const struct oa_param *const no_params[] = { NULL };

struct oa_op {
	const char *path;	/* OpenAPI template; {id} and {name} are path parameters */
	const char *method;	/* get, post, delete (every get also answers head) */
	const char *id;		/* operationId */
	const char *summary;
	const struct oa_param *const *params;
	const char *ok;		/* 200 body: a schema name, or a media type (has a '/') */
	const char *errors;	/* statuses besides those every operation may answer */
};

/* Every operation of the route table (server/http.c, route()). */
static const struct oa_op openapi_ops[] = {
	{ "/search", "get", "search", "Ranked, highlighted search with filters, facets and "
	  "paging", search_params, "SearchResponse", "" },
	{ "/articles", "post", "postArticles", "Add or replace articles (JSON, JSON array or JSON "
	  "Lines, optionally gzip'd); answered once durable", no_params, "PostResult",
	  "401 403 413 415" },
	{ "/articles/{id}", "get", "getArticle", "The stored article", no_params, "Article",
	  "404" },
	{ "/articles/{id}", "delete", "deleteArticle", "Delete an article", no_params,
	  "DeleteResult", "401 403 404" },
	{ "/articles/{id}/similar", "get", "similarArticles", "Articles about the same story "
	  "(more-like-this over its most distinctive words and its entities), newest first on "
	  "ties, wire copies marked, the article itself left out", similar_params, "Similar",
	  "404" },
	{ "/articles/{id}/copies", "get", "storyCopies", "The other articles of the article's "
	  "wire story (its root and copies, oldest first): what a collapse=dups hit leaves out",
	  copies_params, "Copies", "404" },
	{ "/entities", "get", "entities", "Entities, most frequent first, counted over the "
	  "matching articles", entities_params, "EntityList", "" },
	{ "/entities/{name}", "get", "entity", "One entity (by name or alias) with first and "
	  "last seen", entity_params, "Entity", "404" },
	{ "/entities/{name}/related", "get", "relatedEntities", "Entities that appear in the "
	  "same articles, by lift", related_params, "Related", "404" },
	{ "/timeline", "get", "timeline", "Matches per day, week or month, every bucket present",
	  timeline_params, "Timeline", "" },
	{ "/export", "get", "export", "Every match, oldest first, streamed (X-Total header)",
	  export_params, "application/x-ndjson text/csv", "" },
	{ "/watch", "get", "watch", "A live watch: each article committed from now on that "
	  "matches, as Server-Sent Events (event: article with a /search hit, deleted, gap; "
	  "id: V-N; Last-Event-ID replays what was missed)", watch_params, "text/event-stream",
	  "503" },
	{ "/watches", "get", "listWatches", "Saved watches, newest first", no_params, "WatchList",
	  "" },
	{ "/watches", "post", "createWatch", "Save a watch (201, with Location), optionally with "
	  "a signed webhook", no_params, "Watch", "401 403 413" },
	{ "/watches/{id}", "get", "getWatch", "One saved watch", no_params, "Watch", "404" },
	{ "/watches/{id}", "delete", "deleteWatch", "Delete a saved watch", no_params,
	  "WatchDeleted", "401 403 404" },
	{ "/watches/{id}/events", "get", "watchEvents", "A saved watch's event stream (as /watch)",
	  no_params, "text/event-stream", "404 503" },
	{ "/health", "get", "health", "Liveness and readiness", no_params, "Health", "" },
	{ "/stats", "get", "stats", "Counts, sizes, ingest counters, recent index versions",
	  no_params, "Stats", "" },
	{ "/metrics", "get", "metrics", "Prometheus text format", no_params,
	  "text/plain", "" },
	{ "/openapi.json", "get", "openapi", "This document", no_params,
	  "application/json", "" },
	{ "/", "get", "page", "The search page (its parameters are read by its script)",
	  page_params, "text/html", "" },
	{ "/index.html", "get", "pageIndexHtml", "The search page, by its file name", page_params,
	  "text/html", "" },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL }
};

/* Statuses every operation may answer, besides its own. */
static const char common_errors[] = "400 405 414 431 500 503";

static const char *status_text(int status)
{
	switch (status) {
	case 400: return "bad_request, bad_query (with position), bad_date or bad_parameter "
			 "(unknown parameters are errors; numbers out of range are never clamped)";
	case 401: return "unauthorized: a write_token is configured and none was sent";
	case 403: return "forbidden: wrong token, or a write from a non-loopback peer with no "
			 "token configured";
	case 404: return "not_found";
	case 405: return "method_not_allowed (with an Allow header)";
	case 413: return "payload_too_large: the body (or its inflated size) is over "
			 "max_body_bytes";
	case 414: return "bad_request: the URI is longer than max_uri_bytes";
	case 415: return "bad_request: a Content-Encoding other than gzip or identity";
	case 431: return "bad_request: the headers are longer than max_header_bytes";
	case 500: return "internal (never a raw SQLite message)";
	case 503: return "timeout (the query ran past query_timeout_ms) or unavailable "
			 "(starting, shutting down, or the database cannot be written)";
	}
	return "error";
}

static json_t *ref(const char *name)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "#/components/schemas/%s", name);
	return json_pack("{s:s}", "$ref", buf);
}

/* A JSON array of the space-separated words of s. */
static json_t *words(const char *s)
{
	json_t *a = json_array();
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, " ");

		if (n)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
		p += strspn(p, " ");
	}
	return a;
}

static json_t *param_schema(const struct oa_param *p, const struct config *cfg)
{
	json_t *s;

	switch (p->kind) {
	case OA_INT:
		s = json_pack("{s:s, s:i, s:i, s:i}", "type", "integer", "minimum", p->lo,
			      "maximum", p->hi, "default", p->dflt);
		break;
	case OA_ENUM:
		s = json_pack("{s:s, s:o}", "type", "string", "enum", words(p->values));
		break;
	case OA_CSV: {
		/* a comma list of the values: a pattern says so precisely */
		struct buf b = { 0 };
		char *alt = xstrdup(p->values), *c;

		for (c = alt; *c; c++)
			if (*c == ' ')
				*c = '|';
		buf_printf(&b, "^(%s)(,(%s))*$", alt, alt);
		s = json_pack("{s:s, s:s}", "type", "string", "pattern", b.data);
		buf_free(&b);
		free(alt);
		break;
	}
	case OA_DATE:
		s = json_pack("{s:s, s:[s, s, s]}", "type", "string", "examples", "2026-01-07",
			      "2026-01-07T15:04:05Z", "2026-01-07T16:04:05+01:00");
		break;
	default:
		s = json_pack("{s:s}", "type", "string");
		if (strcmp(p->name, "q") == 0)
			json_object_set_new(s, "maxLength", json_integer(cfg->max_query_bytes));
		break;
	}
	if (p->repeat)
		s = json_pack("{s:s, s:o}", "type", "array", "items", s);
	return s;
}

static json_t *parameters(const struct oa_op *op, const struct config *cfg)
{
	json_t *a = json_array();
	size_t i;

	if (strstr(op->path, "{id}"))
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:s, s:{s:s}}", "name", "id",
			"in", "path", "required", 1, "description",
			strncmp(op->path, "/watches/", 9) == 0 ? "The watch's id (w-…)." :
			"The article's id, URL-escaped.", "schema", "type", "string"));
	if (strstr(op->path, "{name}"))
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:s, s:{s:s}}", "name", "name",
			"in", "path", "required", 1, "description", "Entity name or alias "
			"(case-insensitive, URL-escaped; may contain '/').", "schema", "type",
			"string"));
	for (i = 0; op->params[i]; i++) {
		const struct oa_param *p = op->params[i];
		json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", p->name, "in", "query",
				      "required", 0, "description", p->doc, "schema",
				      param_schema(p, cfg));

		if (p->repeat)
			json_object_set_new(o, "explode", json_true());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *error_response(int status)
{
	return json_pack("{s:s, s:{s:{s:o}}}", "description", status_text(status), "content",
			 "application/json", "schema", ref("Error"));
}

static void add_errors(json_t *resp, const char *list)
{
	const char *p = list;

	while (*p) {
		char key[8];
		int st = atoi(p);

		snprintf(key, sizeof(key), "%d", st);
		json_object_set_new(resp, key, error_response(st));
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
}

static json_t *ok_response(const struct oa_op *op)
{
	json_t *content = json_object();

	if (strchr(op->ok, '/') == NULL) {
		json_object_set_new(content, "application/json", json_pack("{s:o}", "schema",
									   ref(op->ok)));
	} else {
		json_t *types = words(op->ok);
		size_t i;
		json_t *t;

		json_array_foreach(types, i, t) {
			const char *mt = json_string_value(t);

			json_object_set_new(content, mt, strcmp(mt, "application/json") == 0 ?
					    json_pack("{s:{s:s}}", "schema", "type", "object") :
					    json_pack("{s:{s:s}}", "schema", "type", "string"));
		}
		json_decref(types);
	}
	return json_pack("{s:s, s:o}", "description", "OK", "content", content);
}

static json_t *operation(const struct oa_op *op, const struct config *cfg, int head)
{
	json_t *o, *resp = json_object();
	char opid[64];

	/* a saved watch is created: 201 */
	json_object_set_new(resp, strcmp(op->id, "createWatch") == 0 ? "201" : "200",
			    ok_response(op));
	add_errors(resp, common_errors);
	add_errors(resp, op->errors);
	if (strcmp(op->id, "createWatch") == 0) {
		o = json_pack("{s:s, s:b, s:{s:{s:o}}}", "description", "The watch's filters, name "
			      "and webhook (at most 64 KiB).", "required", 1, "content",
			      "application/json", "schema", ref("WatchInput"));
	} else if (strcmp(op->method, "post") == 0) {
		char desc[160];

		snprintf(desc, sizeof(desc), "At most %lld bytes (max_body_bytes), inflated size "
			 "included.", (long long)cfg->max_body_bytes);
		o = json_pack("{s:s, s:b, s:{s:{s:o}, s:{s:{s:s}}}}", "description", desc,
			      "required", 1, "content", "application/json", "schema",
			      ref("ArticleInput"), "application/x-ndjson", "schema", "type",
			      "string");
	} else {
		o = NULL;
	}
	snprintf(opid, sizeof(opid), "%s%s", op->id, head ? "Head" : "");
	{
		json_t *res = json_pack("{s:s, s:s, s:o, s:o}", "operationId", opid, "summary",
					op->summary, "parameters", parameters(op, cfg),
					"responses", resp);

		if (o)
			json_object_set_new(res, "requestBody", o);
		if (head) {
			/* HEAD: the same headers, no body */
			const char *k;
			json_t *v;

			json_object_foreach(resp, k, v)
				json_object_del(v, "content");
			json_object_set_new(res, "description", json_string("HEAD works wherever "
						"GET does: the same status and headers, no body."));
		}
		return res;
	}
}

json_t *openapi_document(const struct config *cfg, char **errmsg)
{
	const struct embed_file *f = embed_find("server/openapi/base.json");
	json_error_t jerr;
	json_t *doc, *paths;
	size_t i;

	if (f == NULL) {
		*errmsg = xstrdup("this build has no OpenAPI description");
		return NULL;
	}
	doc = json_loadb((const char *)f->data, f->size, 0, &jerr);
	if (doc == NULL) {
		*errmsg = xasprintf("server/openapi/base.json: line %d: %s", jerr.line, jerr.text);
		return NULL;
	}
	paths = json_object();
	for (i = 0; openapi_ops[i].path; i++) {
		const struct oa_op *op = &openapi_ops[i];
		json_t *item = json_object_get(paths, op->path);

		if (item == NULL) {
			item = json_object();
			json_object_set_new(paths, op->path, item);
		}
		json_object_set_new(item, op->method, operation(op, cfg, 0));
		if (strcmp(op->method, "get") == 0)
			json_object_set_new(item, "head", operation(op, cfg, 1));
	}
	json_object_set_new(doc, "paths", paths);
	return doc;
}
