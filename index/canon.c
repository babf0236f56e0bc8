/*
 * canon.c — canonical names for given entity codes; see canon.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "embed.h"
#include "extract.h"
#include "util.h"

struct code_row {
	int type;
	char *code;
	char *name;
};

static struct {
	struct code_row *rows;	/* sorted by (type, code) for bsearch */
	size_t n;
} codes;

static pthread_once_t codes_once = PTHREAD_ONCE_INIT;

static int row_cmp(const void *a, const void *b)
{
	const struct code_row *x = a, *y = b;

	if (x->type != y->type)
		return x->type - y->type;
	return strcmp(x->code, y->code);
}

/* Parse data/gazetteer/codes.tsv (type TAB code TAB name; '#' comments). A bad line is
 * skipped: the table is ours and tested, and a code left as it was is not an error. */
static void codes_load(void)
{
	const struct embed_file *f = embed_find("data/gazetteer/codes.tsv");
	char *copy, *line, *next;
	size_t cap = 0;

	if (f == NULL)
		return;
	copy = xstrndup((const char *)f->data, f->size);
	for (line = copy; line != NULL; line = next) {
		char *c1, *c2;
		int type;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		c1 = strchr(line, '\t');
		c2 = c1 ? strchr(c1 + 1, '\t') : NULL;
		if (c2 == NULL)
			continue;
		*c1++ = '\0';
		*c2++ = '\0';
		if ((type = entity_type_parse(line)) < 0)
			continue;
		if (codes.n == cap) {
			cap = cap ? 2 * cap : 256;
			codes.rows = xrealloc(codes.rows, cap * sizeof(*codes.rows));
		}
		codes.rows[codes.n].type = type;
		codes.rows[codes.n].code = xstrdup(c1);
		codes.rows[codes.n].name = xstrdup(c2);
		codes.n++;
	}
	free(copy);
	qsort(codes.rows, codes.n, sizeof(*codes.rows), row_cmp);
}

const char *canon_code_name(enum entity_type t, const char *code)
{
	struct code_row key = { (int)t, (char *)(uintptr_t)code, NULL }, *r;

	pthread_once(&codes_once, codes_load);
	r = bsearch(&key, codes.rows, codes.n, sizeof(*codes.rows), row_cmp);
	return r ? r->name : NULL;
}

/* A code rather than a name: ASCII without a capital letter ("usa", "clayton-yeutter"). */
static int is_code(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0')
		return 0;
	for (; *p; p++)
		if (*p >= 0x80 || (*p >= 'A' && *p <= 'Z'))
			return 0;
	return 1;
}

/* "clayton-yeutter" → "Clayton Yeutter": hyphens become spaces, each word capitalised. */
static char *capitalise(const char *code)
{
	char *s = xstrdup(code), *p;
	int start = 1;

	for (p = s; *p; p++) {
		if (*p == '-' || *p == '_')
			*p = ' ';
		if (*p == ' ') {
			start = 1;
		} else {
			if (start && *p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
			start = 0;
		}
	}
	return s;
}

void canon_given(struct article *a)
{
	size_t i;

	for (i = 0; i < a->nents; i++) {
		struct entity_mention *m = &a->ents[i];
		const char *name;
		char *canon;

		if (!m->given || !is_code(m->name))
			continue;
		name = canon_code_name(m->type, m->name);
		if (name == NULL && m->type != ENTITY_PERSON)
			name = extract_gazetteer_name(m->type, m->name);
		canon = name ? xstrdup(name) : capitalise(m->name);
		/* the code stays an alias: entity=usa and /entities/worldbank still find it */
		entity_mention_add_alias(m, m->name);
		free(m->name);
		m->name = canon;
	}
}

/* The last word of an entity_norm key ("clayton yeutter" → "yeutter"). */
static const char *last_word(const char *norm)
{
	const char *sp = strrchr(norm, ' ');

	return sp ? sp + 1 : norm;
}

static int has_alias(const struct entity_mention *m, const char *s)
{
	size_t i;

	if (strcmp(m->name, s) == 0)
		return 1;
	for (i = 0; i < m->naliases; i++)
		if (strcmp(m->aliases[i], s) == 0)
			return 1;
	return 0;
}

/* 1 when name is several words whose last one (by entity_norm) is surname. */
static int ends_with_surname(const char *name, const char *surname)
{
	char *n = entity_norm(name);
	int ok = strchr(n, ' ') != NULL && strcmp(last_word(n), surname) == 0;

	free(n);
	return ok;
}

void canon_join_surnames(struct article *a)
{
	size_t i, j, k;

	for (i = 0; i < a->nents; i++) {
		struct entity_mention *g = &a->ents[i], *p = NULL;
		char *sn;

		if (g->type != ENTITY_PERSON || !g->given || strchr(g->name, ' ') != NULL)
			continue;
		sn = entity_norm(g->name);
		if (sn[0] == '\0' || strchr(sn, ' ') != NULL) {
			free(sn);
			continue;
		}
		/* extraction merged the full name into it as an alias: that is its name */
		for (k = 0; k < g->naliases; k++)
			if (ends_with_surname(g->aliases[k], sn)) {
				char *full = g->aliases[k];

				g->aliases[k] = g->name;
				g->name = full;
				break;
			}
		if (k < g->naliases) {
			free(sn);
			continue;
		}
		/* else another person of this article with that surname absorbs it */
		for (j = 0; j < a->nents && p == NULL; j++)
			if (j != i && a->ents[j].type == ENTITY_PERSON &&
			    ends_with_surname(a->ents[j].name, sn))
				p = &a->ents[j];
		free(sn);
		if (p == NULL)
			continue;
		p->count += g->count;
		p->given |= g->given;
		if (!has_alias(p, g->name))
			entity_mention_add_alias(p, g->name);
		for (k = 0; k < g->naliases; k++)
			if (!has_alias(p, g->aliases[k]))
				entity_mention_add_alias(p, g->aliases[k]);
		free(g->name);
		for (k = 0; k < g->naliases; k++)
			free(g->aliases[k]);
		free(g->aliases);
		memmove(g, g + 1, (a->nents - i - 1) * sizeof(*g));
		a->nents--;
		i--;
	}
}
