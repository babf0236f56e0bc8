#ifndef NEWSD_EMBED_H
#define NEWSD_EMBED_H
/*
 * Files compiled into the binary by tools/embed.c: every data/… file and server/www/… file,
 * under its path relative to the repository root (e.g. "data/gazetteer/countries.tsv").
 */
#include <stddef.h>

struct embed_file {
	const char *name;
	const unsigned char *data;	/* NUL-terminated; size excludes the NUL */
	size_t size;
};

extern const struct embed_file embed_files[];	/* ends with a {0} entry */

/* Find an embedded file by its repository path; NULL when absent. */
const struct embed_file *embed_find(const char *name);

#endif
