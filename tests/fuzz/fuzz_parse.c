/*
 * fuzz_parse.c — libFuzzer target for parse_buffer (index/parse.c): JSON, JSON arrays, JSON
 * Lines, the .txt format, and gzip'd input (the first byte chooses the format and a small
 * decompression cap, so bombs and truncated streams are reached).
 *
 * Invariants: every record delivered has an id and a date and a non-empty title or body, all
 * valid UTF-8 without NUL; line numbers are positive; an error carries a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "parse.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_record(void *ctx, struct article *a, long line)
{
	(void)ctx;
	if (line < 1 || a->id == NULL || a->id[0] == '\0' ||
	    ((a->title == NULL || a->title[0] == '\0') && (a->body == NULL || a->body[0] == '\0')))
		abort();
	if (!utf8_valid(a->id, strlen(a->id)) ||
	    (a->title && !utf8_valid(a->title, strlen(a->title))) ||
	    (a->body && !utf8_valid(a->body, strlen(a->body))))
		abort();
	article_clear(a);
	return 0;
}

static int on_reject(void *ctx, long line, const char *id, const char *error)
{
	(void)ctx;
	(void)id;
	if (line < 1 || error == NULL || error[0] == '\0')
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_sink sink = { on_record, on_reject, NULL };
	enum parse_format fmt = PARSE_AUTO;
	const char *name = "request body";
	size_t cap = (size_t)1 << 20;
	char *err = NULL;

	if (size > 0) {
		if (data[0] & 1) {
			fmt = PARSE_TXT;
			name = "fuzz-article.txt";
		}
		if (data[0] & 2)
			cap = 4096;
		data++;
		size--;
	}
	if (parse_buffer((const char *)data, size, name, fmt, cap, &sink, &err) < 0 &&
	    (err == NULL || err[0] == '\0'))
		abort();
	free(err);
	return 0;
}
