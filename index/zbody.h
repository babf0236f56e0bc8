#ifndef NEWSD_ZBODY_H
#define NEWSD_ZBODY_H
/*
 * zbody — article bodies stored compressed (schema-4 files).
 *
 * A body is stored as a BLOB: the byte ZBODY_DEFLATE, its length in bytes as 4 bytes little
 * endian, then the text as a raw deflate stream (zlib, no header). A body that compression
 * would not make smaller (a short one) is stored as TEXT, as every body of a schema-3 file
 * is. Every statement reads a body through the SQL function newsd_text(body), which gives
 * TEXT back as it is and inflates a BLOB, and FTS5 reads them through the view
 * article_text (its content table), so snippets and highlights see the text.
 */
#include <stddef.h>

#include <sqlite3.h>

#include "util.h"

#define ZBODY_DEFLATE 0x01
#define ZBODY_HEADER 5
#define ZBODY_MIN 64			/* shorter bodies are stored as they are */

struct zbody;

/* A compressor for one thread (NULL-safe free). */
struct zbody *zbody_new(void);
void zbody_free(struct zbody *z);

/*
 * Compress text[0, n) into out (emptied first). 1 when out holds the stored form, 0 when the
 * text should be stored as it is (shorter than ZBODY_MIN, or no smaller compressed).
 */
int zbody_pack(struct zbody *z, const char *text, size_t n, struct buf *out);

/*
 * The text of a stored BLOB (NUL-terminated, caller frees; its length in *len), or NULL when
 * the BLOB is not one zbody_pack made, or is damaged.
 */
char *zbody_unpack(struct zbody *z, const void *blob, size_t n, size_t *len);

/* Register newsd_text(x) on db. 0, or -1 and *errmsg. */
int zbody_register(sqlite3 *db, char **errmsg);

#endif
