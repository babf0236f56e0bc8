/*
 * entity_eval — quality of index/extract.c against the Reuters-21578 editor tags.
 *
 * usage: entity_eval [--tags data/gazetteer/codes.tsv] [--dump N] [--misses] CORPUS.jsonl.gz
 *
 * Every article is read with its given entities left out (its "dateline" is kept in extra JSON,
 * as ingest keeps unknown fields), entities are extracted, and the places, people and orgs
 * found are compared with the tags in "entities": a tag is recalled when a found entity of the
 * same type has its name (or an alias) equal under entity_norm; a found entity is a true
 * positive when it matches some tag of its article. Tags are sparse, so precision is a lower
 * bound. Place precision is also given over countries only (the tags name countries).
 * --dump N prints the entities of the first N articles; --misses lists the tags most often missed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "article.h"
#include "embed.h"
#include "extract.h"
#include "util.h"

struct tagmap {
	int type;
	char *code;
	char *norm;
};

static struct tagmap *tmap;
static size_t ntmap;

/* Keys of every country name and alias (entity_norm), for country-only place precision. */
static char **countries;
static size_t ncountries;

struct miss {
	char *tag;
	int n;
};

static struct miss *misses;
static size_t nmisses;

static void load_tags(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *c1, *c2, *nl;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		c1 = strchr(line, '\t');
		c2 = c1 ? strchr(c1 + 1, '\t') : NULL;
		if (c2 == NULL)
			continue;
		*c1++ = '\0';
		*c2++ = '\0';
		tmap = xrealloc(tmap, (ntmap + 1) * sizeof(*tmap));
		tmap[ntmap].type = entity_type_parse(line);
		tmap[ntmap].code = xstrdup(c1);
		tmap[ntmap].norm = entity_norm(c2);
		ntmap++;
	}
	fclose(f);
}

static void load_countries(void)
{
	const struct embed_file *ef = embed_find("data/gazetteer/countries.tsv");
	char *copy, *line, *next;

	if (ef == NULL)
		return;
	copy = xstrndup((const char *)ef->data, ef->size);
	for (line = copy; line != NULL; line = next) {
		char *p, *end;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		/* name and aliases: the first two columns */
		end = strchr(line, '\t');
		if (end != NULL) {
			end = strchr(end + 1, '\t');
			if (end != NULL)
				*end = '\0';
		}
		for (p = line; *p != '\0';) {
			size_t n = strcspn(p, "\t|");
			char *name = xstrndup(p, n);

			countries = xrealloc(countries, (ncountries + 1) * sizeof(*countries));
			countries[ncountries++] = entity_norm(name);
			free(name);
			p += n;
			if (*p != '\0')
				p++;
		}
	}
	free(copy);
}

static int is_country(const char *norm)
{
	size_t i;

	for (i = 0; i < ncountries; i++)
		if (strcmp(countries[i], norm) == 0)
			return 1;
	return 0;
}

/* The entity_norm name a place or org tag code stands for (caller frees). */
static char *tag_norm(int type, const char *code)
{
	size_t i;
	char *s, *p, *r;

	for (i = 0; i < ntmap; i++)
		if (tmap[i].type == type && strcmp(tmap[i].code, code) == 0)
			return xstrdup(tmap[i].norm);
	s = xstrdup(code);
	for (p = s; *p != '\0'; p++)
		if (*p == '-')
			*p = ' ';
	r = entity_norm(s);
	free(s);
	return r;
}

static const char *last_word(const char *s)
{
	const char *sp = strrchr(s, ' ');

	return sp ? sp + 1 : s;
}

/* 1 when word w (whole word) occurs in the space-separated s. */
static int has_word(const char *s, const char *w, size_t wl)
{
	const char *p = s;

	while ((p = strstr(p, w)) != NULL) {
		if ((p == s || p[-1] == ' ') && (p[wl] == '\0' || p[wl] == ' '))
			return 1;
		p++;
	}
	return 0;
}

/* A person tag ("james-baker", "mancera-aguayo") against a found name's norm. */
static int person_match(const char *code, const char *norm)
{
	char *t = xstrdup(code), *p, *first;
	const char *lw = last_word(norm);
	int ok;

	for (p = t; *p != '\0'; p++)
		if (*p == '-')
			*p = ' ';
	first = t;
	p = strchr(t, ' ');
	ok = strcmp(last_word(t), lw) == 0 || strstr(norm, t) != NULL;
	/* surname first ("mancera-aguayo" found as "Miguel Mancera") */
	if (!ok && p != NULL)
		ok = has_word(norm, first, (size_t)(p - first)) && strcmp(lw, "") != 0 &&
		     has_word(norm, lw, strlen(lw)) && strcmp(lw, first) != 0 &&
		     strncmp(lw, first, (size_t)(p - first)) == 0;
	free(t);
	return ok;
}

/* 1 when mention m (name or an alias) matches tag code of its type. */
static int mention_match(const struct entity_mention *m, const char *code, const char *tnorm)
{
	char *n = entity_norm(m->name);
	size_t i;
	int ok = m->type == ENTITY_PERSON ? person_match(code, n) : strcmp(n, tnorm) == 0;

	free(n);
	for (i = 0; !ok && i < m->naliases; i++) {
		n = entity_norm(m->aliases[i]);
		ok = m->type == ENTITY_PERSON ? person_match(code, n) : strcmp(n, tnorm) == 0;
		free(n);
	}
	return ok;
}

static void note_miss(const char *tag)
{
	size_t i;

	for (i = 0; i < nmisses; i++)
		if (strcmp(misses[i].tag, tag) == 0) {
			misses[i].n++;
			return;
		}
	misses = xrealloc(misses, (nmisses + 1) * sizeof(*misses));
	misses[nmisses].tag = xstrdup(tag);
	misses[nmisses++].n = 1;
}

static int miss_cmp(const void *a, const void *b)
{
	return ((const struct miss *)b)->n - ((const struct miss *)a)->n;
}

struct counts {
	long tags, recalled, found, found_tp, countries, countries_tp;
};

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *tag_keys[ENTITY_NTYPES] = { "people", "orgs", "places" };

/* Score one article's found entities against its tags. */
static void score(json_t *rec, const struct article *a, struct counts *c, int show_misses)
{
	json_t *ents = json_object_get(rec, "entities");
	int type;
	size_t i, j;

	for (type = 0; type < ENTITY_NTYPES; type++) {
		json_t *tags = json_object_get(ents, tag_keys[type]);
		size_t nt = json_array_size(tags);

		for (j = 0; j < nt; j++) {
			const char *code = json_string_value(json_array_get(tags, j));
			char *tn = tag_norm(type, code);
			int hit = 0;

			for (i = 0; i < a->nents && !hit; i++)
				hit = (int)a->ents[i].type == type && mention_match(&a->ents[i], code, tn);
			c[type].tags++;
			c[type].recalled += hit;
			if (!hit && show_misses) {
				char *k = xasprintf("%s:%s", tag_keys[type], code);

				note_miss(k);
				free(k);
			}
			free(tn);
		}
		for (i = 0; i < a->nents; i++) {
			int hit = 0;
			char *n;

			if ((int)a->ents[i].type != type)
				continue;
			for (j = 0; j < nt && !hit; j++) {
				const char *code = json_string_value(json_array_get(tags, j));
				char *tn = tag_norm(type, code);

				hit = mention_match(&a->ents[i], code, tn);
				free(tn);
			}
			c[type].found++;
			c[type].found_tp += hit;
			if (type == ENTITY_PLACE) {
				n = entity_norm(a->ents[i].name);
				if (is_country(n)) {
					c[type].countries++;
					c[type].countries_tp += hit;
				}
				free(n);
			}
		}
	}
}

static void dump(const struct article *a, json_t *rec)
{
	size_t i, j;
	char *tags = json_dumps(json_object_get(rec, "entities"), JSON_COMPACT);

	printf("== %s  %s\n   tags %s\n", a->id, a->title ? a->title : "", tags);
	free(tags);
	for (i = 0; i < a->nents; i++) {
		printf("   %-6s %s ×%d", entity_type_name(a->ents[i].type), a->ents[i].name,
		       a->ents[i].count);
		for (j = 0; j < a->ents[i].naliases; j++)
			printf(" | %s", a->ents[i].aliases[j]);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	const char *tags_path = "data/gazetteer/codes.tsv", *corpus = NULL;
	struct counts c[ENTITY_NTYPES];
	long ndump = 0, narticles = 0;
	int show_misses = 0, i, type;
	struct buf line = { 0 };
	double t_extract = 0;
	char chunk[65536], *err = NULL;
	gzFile gz;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tags") == 0 && i + 1 < argc)
			tags_path = argv[++i];
		else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
			ndump = atol(argv[++i]);
		else if (strcmp(argv[i], "--misses") == 0)
			show_misses = 1;
		else
			corpus = argv[i];
	}
	if (corpus == NULL) {
		fprintf(stderr, "usage: entity_eval [--tags FILE] [--dump N] [--misses] CORPUS.jsonl.gz\n");
		return 2;
	}
	if (extract_init(&err) < 0) {
		fprintf(stderr, "entity_eval: %s\n", err);
		return 1;
	}
	load_tags(tags_path);
	load_countries();
	gz = gzopen(corpus, "rb");
	if (gz == NULL) {
		perror(corpus);
		return 1;
	}
	memset(c, 0, sizeof(c));
	for (;;) {
		struct article a;
		json_t *rec, *extra;
		json_error_t jerr;
		const char *dl;
		double t0;

		buf_reset(&line);
		while (gzgets(gz, chunk, sizeof(chunk)) != NULL) {
			buf_puts(&line, chunk);
			if (line.len > 0 && line.data[line.len - 1] == '\n')
				break;
		}
		if (line.len == 0)
			break;
		rec = json_loads(line.data, 0, &jerr);
		if (rec == NULL)
			continue;
		memset(&a, 0, sizeof(a));
		a.id = xstrdup(jstr(rec, "id") ? jstr(rec, "id") : "?");
		if (jstr(rec, "title") && *jstr(rec, "title"))
			a.title = xstrdup(jstr(rec, "title"));
		if (jstr(rec, "body") && *jstr(rec, "body"))
			a.body = xstrdup(jstr(rec, "body"));
		dl = jstr(rec, "dateline");
		extra = json_object();
		if (dl != NULL)
			json_object_set_new(extra, "dateline", json_string(dl));
		a.extra_json = json_dumps(extra, JSON_COMPACT);
		json_decref(extra);
		t0 = now_monotonic();
		extract_article(&a);
		t_extract += now_monotonic() - t0;
		narticles++;
		if (ndump > 0 && narticles <= ndump)
			dump(&a, rec);
		score(rec, &a, c, show_misses);
		article_clear(&a);
		json_decref(rec);
	}
	gzclose(gz);
	buf_free(&line);

	printf("Reuters-21578 (Distribution 1.0), %ld articles, given tags ignored\n", narticles);
	printf("%-7s %7s %7s %7s %9s %7s\n", "type", "tags", "found", "tp", "precision", "recall");
	for (type = 0; type < ENTITY_NTYPES; type++) {
		static const int order[] = { ENTITY_PLACE, ENTITY_PERSON, ENTITY_ORG };
		const struct counts *k = &c[order[type]];

		printf("%-7s %7ld %7ld %7ld %9.3f %7.3f\n", tag_keys[order[type]], k->tags, k->found,
		       k->recalled, k->found ? (double)k->found_tp / (double)k->found : 0.0,
		       k->tags ? (double)k->recalled / (double)k->tags : 0.0);
	}
	printf("places, countries only: found %ld, precision %.3f\n", c[ENTITY_PLACE].countries,
	       c[ENTITY_PLACE].countries ?
	       (double)c[ENTITY_PLACE].countries_tp / (double)c[ENTITY_PLACE].countries : 0.0);
	printf("extraction: %.1f us/article (%.0f articles/s, one thread)\n",
	       narticles ? t_extract * 1e6 / (double)narticles : 0.0,
	       t_extract > 0 ? (double)narticles / t_extract : 0.0);
	if (show_misses) {
		size_t m;

		qsort(misses, nmisses, sizeof(*misses), miss_cmp);
		printf("most missed tags:");
		for (m = 0; m < nmisses && m < 60; m++)
			printf(" %s:%d", misses[m].tag, misses[m].n);
		printf("\n");
	}
	return 0;
}
