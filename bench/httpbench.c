/*
 * httpbench — one keep-alive client that sends a fixed query set to newsd many rounds and
 * prints p50/p90/p99 latency (ms). Single client on purpose: it measures per-query latency,
 * the figure the in-process ceiling is compared with.
 *
 * usage: httpbench HOST PORT QUERIES.tsv ROUNDS [EXTRA_PARAMS]
 */
#define _GNU_SOURCE	/* strcasestr */
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

static void urlenc(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			*out++ = (char)c;
		} else {
			*out++ = '%';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
		}
	}
	*out = '\0';
}

static int connect_to(const char *host, int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, host, &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Send one GET and read the whole response (Content-Length). Returns the status. */
static int get(int fd, const char *path, char *buf, size_t cap)
{
	char req[8192];
	size_t have = 0, need = 0;
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", path);
	char *hdr_end = NULL;

	if (write(fd, req, (size_t)n) != n)
		return -1;
	for (;;) {
		ssize_t r = read(fd, buf + have, cap - have - 1);

		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		if (hdr_end == NULL && (hdr_end = strstr(buf, "\r\n\r\n")) != NULL) {
			char *cl = strcasestr(buf, "Content-Length:");

			need = (size_t)(hdr_end - buf) + 4 + (cl ? strtoul(cl + 15, NULL, 10) : 0);
		}
		if (hdr_end && have >= need)
			break;
	}
	return atoi(buf + 9);
}

int main(int argc, char **argv)
{
	char line[2048], q[2048], enc[6144], paths[64][8192], *buf;
	double *lat;
	int nq = 0, rounds, i, j, fd, n = 0;
	FILE *f;

	if (argc < 5) {
		fprintf(stderr, "usage: httpbench HOST PORT QUERIES.tsv ROUNDS [EXTRA]\n");
		return 2;
	}
	rounds = atoi(argv[4]);
	f = fopen(argv[3], "r");
	if (f == NULL) {
		perror(argv[3]);
		return 1;
	}
	while (nq < 64 && fgets(line, sizeof(line), f)) {
		char *tab;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		tab = strchr(line, '\t');
		if (tab)
			*tab++ = '\0';
		snprintf(q, sizeof(q), "%s", line);
		urlenc(q, enc);
		snprintf(paths[nq], sizeof(paths[nq]), "/search?limit=10%s%s%s%s%s",
			 q[0] ? "&q=" : "", enc, tab && *tab ? "&" : "", tab ? tab : "",
			 argc > 5 ? argv[5] : "");
		nq++;
	}
	fclose(f);
	buf = malloc(1 << 22);
	lat = malloc(sizeof(*lat) * (size_t)(nq * rounds));
	fd = connect_to(argv[1], atoi(argv[2]));
	for (j = 0; j < nq; j++)	/* warm-up, and check every query answers 200 */
		if (get(fd, paths[j], buf, 1 << 22) != 200) {
			fprintf(stderr, "query failed: %s\n%s\n", paths[j], buf);
			return 1;
		}
	for (i = 0; i < rounds; i++)
		for (j = 0; j < nq; j++) {
			double t = now();

			if (get(fd, paths[j], buf, 1 << 22) != 200)
				return 1;
			lat[n++] = now() - t;
		}
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("http %d queries x %d: p50 %.3f ms p90 %.3f ms p99 %.3f ms\n", nq, rounds,
	       lat[n / 2] * 1e3, lat[n * 9 / 10] * 1e3, lat[n * 99 / 100] * 1e3);
	close(fd);
	free(buf);
	free(lat);
	return 0;
}
