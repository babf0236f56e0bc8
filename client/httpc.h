#ifndef NEWSQ_HTTPC_H
#define NEWSQ_HTTPC_H
/*
 * httpc — one HTTP/1.1 request to the newsd server with libevent's evhttp client: a fresh
 * event_base and connection per request, the loop run until the response is complete.
 * The response body is either collected in memory or, for a 2xx answer when a sink is given,
 * handed to the sink piece by piece as it arrives (export streams without buffering it all).
 * Chunked transfer coding is decoded by evhttp.
 */
#include <stddef.h>

#include <event2/http.h>

#include "render.h"
#include "util.h"

struct httpc_response {
	int status;		/* HTTP status code */
	char *reason;		/* reason phrase, may be NULL */
	char *x_total;		/* the X-Total header (export), or NULL */
	struct buf body;	/* the body, unless it was streamed to the sink */
	size_t streamed;	/* bytes handed to the sink */
	int sink_failed;	/* the sink returned -1 (e.g. stdout closed); the rest was dropped */
};

/*
 * Send one request to srv: method, target (path and query, already URL-encoded, without the
 * server's path prefix), an optional body with its Content-Type, and extra header pairs
 * (name, value, ..., NULL; may be NULL). sink (may be NULL) receives a 2xx body as it arrives
 * and returns 0, or -1 to drop the rest. Fills *resp (free with httpc_response_free) and
 * returns 0 whenever the server answered, whatever the status; -1 with *errmsg set when it
 * could not be reached or the connection failed before a complete response.
 */
int httpc_request(const struct render_server *srv, enum evhttp_cmd_type method,
		  const char *target, const void *body, size_t body_len,
		  const char *const *headers,
		  int (*sink)(const void *data, size_t n, void *arg), void *sink_arg,
		  struct httpc_response *resp, char **errmsg);
void httpc_response_free(struct httpc_response *r);

#endif
