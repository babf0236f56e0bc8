/* httpc.c — one HTTP request with libevent's evhttp client; see httpc.h. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "httpc.h"

#ifndef NEWSD_VERSION
#define NEWSD_VERSION "unknown"
#endif

/* Seconds without progress before the request is abandoned. */
#define HTTPC_TIMEOUT_SECS 120

struct httpc_ctx {
	struct event_base *base;
	struct httpc_response *resp;
	int (*sink)(const void *data, size_t n, void *arg);
	void *sink_arg;
	int got_head;
	int done;		/* a complete response arrived */
	int failed;		/* the request failed: err says how */
	enum evhttp_request_error err;
	int sys_errno;
};

/* Record status line and the headers we use, once, when the first part of a response is seen. */
static void take_head(struct httpc_ctx *c, struct evhttp_request *req)
{
	struct evkeyvalq *hdrs;
	const char *v;

	if (c->got_head)
		return;
	c->got_head = 1;
	c->resp->status = evhttp_request_get_response_code(req);
	v = evhttp_request_get_response_code_line(req);
	if (v != NULL)
		c->resp->reason = xstrdup(v);
	hdrs = evhttp_request_get_input_headers(req);
	v = hdrs ? evhttp_find_header(hdrs, "X-Total") : NULL;
	if (v != NULL)
		c->resp->x_total = xstrdup(v);
}

/*
 * Move whatever body bytes are buffered into the sink (2xx with a sink) or into resp->body.
 * Called for each piece as it arrives and once more when the response is complete.
 */
static void take_body(struct httpc_ctx *c, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	char chunk[16384];
	int n;
	int stream = c->sink != NULL && c->resp->status >= 200 && c->resp->status < 300;

	if (in == NULL)
		return;
	while ((n = evbuffer_remove(in, chunk, sizeof(chunk))) > 0) {
		if (!stream) {
			buf_append(&c->resp->body, chunk, (size_t)n);
			continue;
		}
		if (c->resp->sink_failed)
			continue;
		if (c->sink(chunk, (size_t)n, c->sink_arg) != 0)
			c->resp->sink_failed = 1;
		else
			c->resp->streamed += (size_t)n;
	}
}

static void on_chunk(struct evhttp_request *req, void *arg)
{
	struct httpc_ctx *c = arg;

	take_head(c, req);
	take_body(c, req);
}

static void on_error(enum evhttp_request_error err, void *arg)
{
	struct httpc_ctx *c = arg;

	c->failed = 1;
	c->err = err;
	c->sys_errno = errno;
}

static void on_done(struct evhttp_request *req, void *arg)
{
	struct httpc_ctx *c = arg;

	/* evhttp reports a failed connection as a NULL request or a response code of 0. */
	if (req == NULL || evhttp_request_get_response_code(req) == 0) {
		if (!c->failed) {
			c->failed = 1;
			c->err = EVREQ_HTTP_EOF;
			c->sys_errno = errno;
		}
	} else {
		take_head(c, req);
		take_body(c, req);
		c->done = 1;
	}
	event_base_loopbreak(c->base);
}

/* A sentence for a failed request. */
static const char *failure_text(const struct httpc_ctx *c)
{
	switch (c->err) {
	case EVREQ_HTTP_TIMEOUT:
		return "timed out";
	case EVREQ_HTTP_INVALID_HEADER:
		return "invalid response header";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "connection error";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "response too long";
	case EVREQ_HTTP_EOF:
	case EVREQ_HTTP_REQUEST_CANCEL:
	default:
		break;
	}
	if (c->got_head)
		return "connection closed before the response was complete";
	switch (c->sys_errno) {
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ETIMEDOUT:
	case ECONNRESET:
		return strerror(c->sys_errno);
	default:
		return "connection refused or closed";
	}
}

/* 0 when srv->host resolves, else -1 with *errmsg naming the host and the resolver's reason. */
static int resolve_check(const struct render_server *srv, char **errmsg)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", srv->port);
	e = getaddrinfo(srv->host, port, &hints, &res);
	if (res != NULL)
		freeaddrinfo(res);
	if (e != 0)
		return set_error(errmsg, "cannot resolve server host '%s': %s", srv->host,
				 gai_strerror(e));
	return 0;
}

int httpc_request(const struct render_server *srv, enum evhttp_cmd_type method,
		  const char *target, const void *body, size_t body_len,
		  const char *const *headers,
		  int (*sink)(const void *data, size_t n, void *arg), void *sink_arg,
		  struct httpc_response *resp, char **errmsg)
{
	struct httpc_ctx c;
	struct evhttp_connection *conn = NULL;
	struct evhttp_request *req;
	struct evkeyvalq *out_hdrs;
	char *host_hdr = NULL, *full = NULL;
	int rc = -1;
	size_t i;

	memset(resp, 0, sizeof(*resp));
	memset(&c, 0, sizeof(c));
	c.resp = resp;
	c.sink = sink;
	c.sink_arg = sink_arg;
	c.base = event_base_new();
	if (c.base == NULL) {
		set_error(errmsg, "cannot create an event loop");
		goto out;
	}
	/* Resolve first: evhttp's own resolver failure is indistinguishable from a refusal. */
	if (resolve_check(srv, errmsg) != 0)
		goto out;
	conn = evhttp_connection_base_new(c.base, NULL, srv->host, (unsigned short)srv->port);
	if (conn == NULL) {
		set_error(errmsg, "cannot connect to %s port %d", srv->host, srv->port);
		goto out;
	}
	evhttp_connection_set_timeout(conn, HTTPC_TIMEOUT_SECS);
	evhttp_connection_set_retries(conn, 0);

	req = evhttp_request_new(on_done, &c);
	if (req == NULL) {
		set_error(errmsg, "cannot create a request");
		goto out;
	}
	evhttp_request_set_chunked_cb(req, on_chunk);
	evhttp_request_set_error_cb(req, on_error);
	out_hdrs = evhttp_request_get_output_headers(req);
	host_hdr = strchr(srv->host, ':') ? xasprintf("[%s]:%d", srv->host, srv->port)
					  : xasprintf("%s:%d", srv->host, srv->port);
	evhttp_add_header(out_hdrs, "Host", host_hdr);
	evhttp_add_header(out_hdrs, "User-Agent", "newsq/" NEWSD_VERSION);
	evhttp_add_header(out_hdrs, "Connection", "close");
	for (i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
		evhttp_add_header(out_hdrs, headers[i], headers[i + 1]);
	if (body != NULL)
		evbuffer_add(evhttp_request_get_output_buffer(req), body, body_len);

	full = xasprintf("%s%s", srv->prefix ? srv->prefix : "", target);
	/* On failure evhttp_make_request has already freed the request. */
	if (evhttp_make_request(conn, req, method, full) != 0) {
		set_error(errmsg, "cannot send the request to http://%s", host_hdr);
		goto out;
	}
	event_base_dispatch(c.base);
	if (!c.done) {
		set_error(errmsg, "cannot reach the server at http://%s%s: %s", host_hdr,
			  srv->prefix ? srv->prefix : "", failure_text(&c));
		goto out;
	}
	rc = 0;
out:
	if (conn != NULL)
		evhttp_connection_free(conn);
	if (c.base != NULL)
		event_base_free(c.base);
	free(host_hdr);
	free(full);
	return rc;
}

void httpc_response_free(struct httpc_response *r)
{
	free(r->reason);
	free(r->x_total);
	buf_free(&r->body);
	r->reason = r->x_total = NULL;
}
