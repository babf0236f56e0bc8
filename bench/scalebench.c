/*
 * scalebench — the scale query set (../shared/anchors/scale_queries.tsv: a /search query
 * string, TAB, the SphinxQL clause of the same search) sent to newsd by one keep-alive client,
 * ROUNDS rounds after one warm-up round. Prints, for each query, the median latency (ms) and
 * the `total` newsd answered, then p50 and p99 over every timing: the figures and the layout of
 * ../shared/anchors/sphinx_scale.py, so the two engines line up row by row.
 *
 * usage: scalebench [-r ROUNDS] [-e EXTRA] [-s] HOST PORT QUERIES.tsv
 *   -r ROUNDS  timed rounds (default 5)
 *   -e EXTRA   appended to every query string, e.g. "&limit=10&snippets=3"
 *   -s         print the p50/p99 line only
 * Output: "<median ms>\t<total>\t<query string>" per query, then "newsd p50 X ms p99 Y ms".
 * A reply other than 200 (e.g. 503 when a query runs past query_timeout_ms) is timed like the
 * others, its total shows as "HTTP <status>", the first such reply goes to stderr, and the last
 * line ends with "(N errors)". Exits 1 only when the connection fails.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strcasestr */
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define MAXQ 256

struct response {
	char *data;
	size_t len, cap;
	size_t body;			/* offset of the body in data */
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int connect_to(const char *host, int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("scalebench: connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*
 * Send one GET for path on the keep-alive connection fd and read the whole response into *r
 * (newsd answers /search with a Content-Length; a chunked or unterminated reply is an error).
 * Returns the HTTP status, or -1 when the connection failed.
 */
static int get(int fd, const char *path, struct response *r)
{
	char req[8192];
	size_t need = 0;
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", path);
	char *hdr_end = NULL;

	if (n < 0 || (size_t)n >= sizeof(req) || write(fd, req, (size_t)n) != n)
		return -1;
	r->len = 0;
	for (;;) {
		ssize_t got;

		if (r->cap - r->len < 65536) {
			r->cap = r->cap ? r->cap * 2 : 1 << 20;
			r->data = realloc(r->data, r->cap);
			if (r->data == NULL) {
				fprintf(stderr, "scalebench: out of memory\n");
				exit(1);
			}
		}
		got = read(fd, r->data + r->len, r->cap - r->len - 1);
		if (got <= 0)
			return -1;
		r->len += (size_t)got;
		r->data[r->len] = '\0';
		if (hdr_end == NULL && (hdr_end = strstr(r->data, "\r\n\r\n")) != NULL) {
			char *cl = strcasestr(r->data, "\r\nContent-Length:");

			if (cl == NULL || cl > hdr_end)
				return -1;
			r->body = (size_t)(hdr_end - r->data) + 4;
			need = r->body + strtoul(cl + 17, NULL, 10);
		}
		if (hdr_end && r->len >= need)
			break;
	}
	return atoi(r->data + 9);
}

/* The `total` of a /search reply body, or -1 when it has none. */
static long long reply_total(const struct response *r)
{
	json_t *o = json_loadb(r->data + r->body, r->len - r->body, 0, NULL);
	long long t = -1;

	if (o && json_is_integer(json_object_get(o, "total")))
		t = (long long)json_integer_value(json_object_get(o, "total"));
	json_decref(o);
	return t;
}

int main(int argc, char **argv)
{
	char line[4096], *qs[MAXQ], *paths[MAXQ], totals[MAXQ][32];
	const char *extra = "";
	double *lat = NULL, *per = NULL;
	struct response resp = { 0 };
	int nq = 0, rounds = 5, summary = 0, i, j, fd = -1, n = 0, opt, status, errors = 0, rc = 1;
	FILE *f;

	while ((opt = getopt(argc, argv, "r:e:s")) != -1) {
		if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'e')
			extra = optarg;
		else if (opt == 's')
			summary = 1;
		else
			break;
	}
	if (opt != -1 || argc - optind != 3 || rounds < 1) {
		fprintf(stderr, "usage: scalebench [-r ROUNDS] [-e EXTRA] [-s] HOST PORT QUERIES.tsv\n");
		return 2;
	}
	f = fopen(argv[optind + 2], "r");
	if (f == NULL) {
		perror(argv[optind + 2]);
		return 1;
	}
	while (nq < MAXQ && fgets(line, sizeof(line), f)) {
		size_t len;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\t\n")] = '\0';	/* the SphinxQL half is for Sphinx */
		len = strlen(line) + strlen(extra) + 16;
		qs[nq] = strdup(line);
		paths[nq] = malloc(len);
		snprintf(paths[nq], len, "/search?%s%s", line, extra);
		nq++;
	}
	fclose(f);
	if (nq == 0) {
		fprintf(stderr, "scalebench: no queries in %s\n", argv[optind + 2]);
		goto out;
	}
	lat = malloc(sizeof(*lat) * (size_t)(nq * rounds));
	per = malloc(sizeof(*per) * (size_t)(nq * rounds));
	fd = connect_to(argv[optind], atoi(argv[optind + 1]));
	/* the warm-up round keeps each query's total */
	for (j = 0; j < nq; j++) {
		if ((status = get(fd, paths[j], &resp)) < 0)
			goto connection_failed;
		if (status == 200)
			snprintf(totals[j], sizeof(totals[j]), "%lld", reply_total(&resp));
		else
			snprintf(totals[j], sizeof(totals[j]), "HTTP %d", status);
	}
	for (i = 0; i < rounds; i++)
		for (j = 0; j < nq; j++) {
			double t = now();

			if ((status = get(fd, paths[j], &resp)) < 0)
				goto connection_failed;
			lat[n] = per[j * rounds + i] = now() - t;
			n++;
			if (status != 200 && errors++ == 0)
				fprintf(stderr, "scalebench: %s answered:\n%s\n", paths[j], resp.data);
		}
	for (j = 0; j < nq && !summary; j++) {
		qsort(per + j * rounds, (size_t)rounds, sizeof(*per), cmp);
		printf("%.2f\t%s\t%s\n", per[j * rounds + rounds / 2] * 1e3, totals[j], qs[j]);
	}
	/* the percentiles of sphinx_scale.py: index n/2 and min(n-1, n*99/100) of the sorted list */
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("newsd p50 %.2f ms p99 %.2f ms", lat[n / 2] * 1e3,
	       lat[n - 1 < n * 99 / 100 ? n - 1 : n * 99 / 100] * 1e3);
	if (errors)
		printf(" (%d errors)", errors);
	printf("\n");
	rc = 0;
	goto out;
connection_failed:
	fprintf(stderr, "scalebench: the connection to newsd failed\n");
out:
	if (fd >= 0)
		close(fd);
	for (j = 0; j < nq; j++) {
		free(qs[j]);
		free(paths[j]);
	}
	free(resp.data);
	free(lat);
	free(per);
	return rc;
}
