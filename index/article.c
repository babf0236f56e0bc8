/* article.c — the article record and its entity mentions; see article.h. */
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "lang.h"
#include "langdetect.h"
#include "util.h"

static const char *const type_names[ENTITY_NTYPES] = { "person", "org", "place" };
static const char *const type_plurals[ENTITY_NTYPES] = { "people", "orgs", "places" };

const char *entity_type_name(enum entity_type t)
{
	return (unsigned)t < ENTITY_NTYPES ? type_names[t] : "unknown";
}

const char *entity_type_plural(enum entity_type t)
{
	return (unsigned)t < ENTITY_NTYPES ? type_plurals[t] : "unknown";
}

int entity_type_parse(const char *s)
{
	int i;

	for (i = 0; i < ENTITY_NTYPES; i++)
		if (strcmp(s, type_names[i]) == 0 || strcmp(s, type_plurals[i]) == 0)
			return i;
	return -1;
}

struct entity_mention *article_add_entity(struct article *a, enum entity_type type,
					  const char *name, int given)
{
	struct entity_mention *m;

	if (a->nents == a->cap_ents) {
		a->cap_ents = a->cap_ents ? a->cap_ents * 2 : 8;
		a->ents = xrealloc(a->ents, a->cap_ents * sizeof(*a->ents));
	}
	m = &a->ents[a->nents++];
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->name = xstrdup(name);
	m->given = given;
	m->count = 1;
	return m;
}

void entity_mention_add_alias(struct entity_mention *m, const char *alias)
{
	m->aliases = xrealloc(m->aliases, (m->naliases + 1) * sizeof(*m->aliases));
	m->aliases[m->naliases++] = xstrdup(alias);
}

void article_clear(struct article *a)
{
	size_t i, j;

	if (a == NULL)
		return;
	free(a->id);
	free(a->title);
	free(a->body);
	free(a->source);
	free(a->url);
	free(a->lang);
	free(a->authors_json);
	free(a->extra_json);
	for (i = 0; i < a->nents; i++) {
		free(a->ents[i].name);
		for (j = 0; j < a->ents[i].naliases; j++)
			free(a->ents[i].aliases[j]);
		free(a->ents[i].aliases);
	}
	free(a->ents);
	free(a->sig);
	free(a->zbody);
	memset(a, 0, sizeof(*a));
}

void article_set_lang(struct article *a)
{
	char code[3];

	if (a->lang && strlen(a->lang) == 2 && strcmp(a->lang, "nb") != 0 &&
	    strcmp(a->lang, "nn") != 0 && lang_known(a->lang))
		return;		/* already a code (normalised ahead, on the parsing thread) */
	if (lang_normalize(a->lang, code) < 0)
		langdetect_article(a->title, a->body, code);
	free(a->lang);
	a->lang = xstrdup(code);
}
