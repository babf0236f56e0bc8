#ifndef NEWSD_ARTICLE_H
#define NEWSD_ARTICLE_H
/*
 * article — one news article as parsed from input (files, POST bodies, the spool) and as
 * handed to the store. Every string is owned by the struct (malloc'd) or NULL.
 */
#include <stddef.h>
#include <stdint.h>

struct dedup_sig;

enum entity_type {
	ENTITY_PERSON = 0,
	ENTITY_ORG = 1,
	ENTITY_PLACE = 2,
	ENTITY_NTYPES = 3
};

/* "person", "org", "place" (API names) and the plural keys of the article JSON. */
const char *entity_type_name(enum entity_type t);
const char *entity_type_plural(enum entity_type t);	/* "people", "orgs", "places" */
/* Parse "person"/"org"/"place" (also the plurals); -1 when unknown. */
int entity_type_parse(const char *s);

/* An entity found in (or given with) one article. */
struct entity_mention {
	enum entity_type type;
	char *name;		/* canonical display name, e.g. "Immigration and Customs Enforcement" */
	char **aliases;		/* other surface forms in this article, e.g. "ICE"; may be NULL */
	size_t naliases;
	int given;		/* 1: from the input's "entities" field; 0: extracted */
	int count;		/* mentions in this article (>= 1) */
};

struct article {
	char *id;		/* never NULL once parsed: given, or a stable hash (see parse.h) */
	char *title;		/* title and body: at least one non-empty */
	char *body;
	int64_t date;		/* seconds since the Unix epoch, UTC */
	char *source;
	char *url;
	char *lang;		/* as given; article_set_lang makes it an ISO 639-1 code */
	char *authors_json;	/* JSON array text, or NULL */
	char *extra_json;	/* JSON object of unknown input fields, or NULL */
	struct entity_mention *ents;
	size_t nents;
	size_t cap_ents;
	struct dedup_sig *sig;	/* wire-copy signature computed ahead (bulk pipeline), or NULL */
	char *zbody;		/* the body's stored form computed ahead (bulk pipeline, zbody.h): */
	size_t nzbody;		/* nzbody bytes, or 0 to store the body as it is; */
	int packed;		/* 1 when computed */
};

/* Append a mention (name copied). Returns the new mention so callers can add aliases. */
struct entity_mention *article_add_entity(struct article *a, enum entity_type type,
					  const char *name, int given);
void entity_mention_add_alias(struct entity_mention *m, const char *alias);
/* Make a->lang the article's ISO 639-1 code: the given lang normalised ("de-AT" → "de"), or,
 * when absent or not a language code, detected from the title and body (langdetect.h). */
void article_set_lang(struct article *a);
/* Free every member and zero the struct (the struct itself is not freed). NULL-safe. */
void article_clear(struct article *a);

#endif
