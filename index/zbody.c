/*
 * zbody.c — article bodies stored compressed; see zbody.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "zbody.h"

/* zlib's defaults: a body is one stream, compressed once and inflated for every snippet */
#define ZBODY_WBITS 15
#define ZBODY_MEMLEVEL 8
#define ZBODY_LEVEL 6

struct zbody {
	z_stream d, i;
	int d_ok, i_ok;
};

struct zbody *zbody_new(void)
{
	return xcalloc(1, sizeof(struct zbody));
}

void zbody_free(struct zbody *z)
{
	if (z == NULL)
		return;
	if (z->d_ok)
		deflateEnd(&z->d);
	if (z->i_ok)
		inflateEnd(&z->i);
	free(z);
}

int zbody_pack(struct zbody *z, const char *text, size_t n, struct buf *out)
{
	size_t bound;
	int rc;

	out->len = 0;
	if (n < ZBODY_MIN || n > UINT32_MAX)
		return 0;
	if (!z->d_ok) {
		if (deflateInit2(&z->d, ZBODY_LEVEL, Z_DEFLATED, -ZBODY_WBITS, ZBODY_MEMLEVEL,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			return 0;
		z->d_ok = 1;
	} else if (deflateReset(&z->d) != Z_OK) {
		return 0;
	}
	bound = deflateBound(&z->d, (uLong)n);
	buf_grow(out, ZBODY_HEADER + bound);
	out->data[0] = (char)ZBODY_DEFLATE;
	out->data[1] = (char)(n & 0xff);
	out->data[2] = (char)((n >> 8) & 0xff);
	out->data[3] = (char)((n >> 16) & 0xff);
	out->data[4] = (char)((n >> 24) & 0xff);
	z->d.next_in = (Bytef *)(uintptr_t)text;
	z->d.avail_in = (uInt)n;
	z->d.next_out = (Bytef *)out->data + ZBODY_HEADER;
	z->d.avail_out = (uInt)bound;
	rc = deflate(&z->d, Z_FINISH);
	if (rc != Z_STREAM_END)
		return 0;
	out->len = ZBODY_HEADER + bound - z->d.avail_out;
	out->data[out->len] = '\0';
	if (out->len >= n) {		/* no smaller: keep the text */
		out->len = 0;
		return 0;
	}
	return 1;
}

char *zbody_unpack(struct zbody *z, const void *blob, size_t n, size_t *len)
{
	const unsigned char *p = blob;
	size_t want;
	char *text;
	int rc;

	if (n < ZBODY_HEADER || p[0] != ZBODY_DEFLATE)
		return NULL;
	want = (size_t)p[1] | (size_t)p[2] << 8 | (size_t)p[3] << 16 | (size_t)p[4] << 24;
	if (!z->i_ok) {
		if (inflateInit2(&z->i, -ZBODY_WBITS) != Z_OK)
			return NULL;
		z->i_ok = 1;
	} else if (inflateReset(&z->i) != Z_OK) {
		return NULL;
	}
	text = malloc(want + 1);
	if (text == NULL)
		return NULL;
	z->i.next_in = (Bytef *)(uintptr_t)(p + ZBODY_HEADER);
	z->i.avail_in = (uInt)(n - ZBODY_HEADER);
	z->i.next_out = (Bytef *)text;
	z->i.avail_out = (uInt)want;
	rc = inflate(&z->i, Z_FINISH);
	if (rc != Z_STREAM_END || z->i.avail_out != 0 || z->i.avail_in != 0) {
		free(text);
		return NULL;
	}
	text[want] = '\0';
	*len = want;
	return text;
}

/* newsd_text(x): a TEXT body as it is, a stored BLOB inflated, NULL as NULL. */
static void text_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct zbody *z = sqlite3_user_data(ctx);
	const void *blob;
	size_t len;
	char *text;

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	blob = sqlite3_value_blob(argv[0]);
	text = zbody_unpack(z, blob, (size_t)sqlite3_value_bytes(argv[0]), &len);
	if (text == NULL) {
		sqlite3_result_error(ctx, "an article's stored text is damaged (run newsd check)", -1);
		return;
	}
	sqlite3_result_text64(ctx, text, len, free, SQLITE_UTF8);
}

static void destroy(void *p)
{
	zbody_free(p);
}

int zbody_register(sqlite3 *db, char **errmsg)
{
	/* one inflate stream per connection: a connection is used by one thread at a time */
	struct zbody *z = zbody_new();

	if (sqlite3_create_function_v2(db, "newsd_text", 1,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, z,
				       text_fn, NULL, NULL, destroy) != SQLITE_OK)
		return set_error(errmsg, "cannot register newsd_text: %s", sqlite3_errmsg(db));
	return 0;
}
