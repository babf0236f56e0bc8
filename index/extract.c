/*
 * extract.c — heuristic named-entity extraction; see extract.h.
 *
 * The text is cut into tokens (words and punctuation), each word folded once into a lookup key.
 * Capitalised runs ("Department of Homeland Security", "Gov. Tim Walz") are then classified by
 * cues in a fixed order: an acronym defined in parentheses, an exact gazetteer hit, a title
 * inside the run, street/organisation/place cue words, connectors, a given name, and finally a
 * longest-match scan of the gazetteer. Words left unexplained (a bare "Noem", "ICE") are
 * resolved at the end against what the article itself introduced. All-caps text (wire
 * headlines, tables) only yields gazetteer hits. Gazetteers are the embedded files
 * data/gazetteer/ TSV files, loaded once into one open-addressing hash table.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "embed.h"
#include "extract.h"
#include "util.h"

/* Roles a lookup key can have; one key may have several ("Washington": place, given name). */
enum {
	GZ_PREFIX = 1u << 0,		/* a proper prefix of a longer multi-word key */
	GZ_PLACE = 1u << 1,
	GZ_ORG = 1u << 2,
	GZ_ADJ = 1u << 3,		/* adjective or demonym of a country ("Japanese") */
	GZ_GIVEN = 1u << 4,
	GZ_TITLE = 1u << 5,
	GZ_ROLE = 1u << 6,
	GZ_STOP = 1u << 7,
	GZ_STOP_UP = 1u << 8,		/* stopword written in capitals: matches all-caps text only */
	GZ_ORG_END = 1u << 9,
	GZ_LEGAL = 1u << 10,
	GZ_ORG_START = 1u << 11,
	GZ_PLACE_END = 1u << 12,
	GZ_STREET = 1u << 13,
	GZ_ABBREV = 1u << 14,
	GZ_CONNECTOR = 1u << 15,
	GZ_UP_ONLY = 1u << 16,		/* every entity form of the key is in capitals ("ICE") */
	GZ_MIXED = 1u << 17,		/* some entity form is not in capitals (internal) */
	GZ_STOP_WEAK = 1u << 18,	/* a stopword only at a sentence start ("First Union Corp") */
};
#define GZ_ENTITY (GZ_PLACE | GZ_ORG | GZ_ADJ)

struct gz_slot {
	char *key;
	uint64_t hash;
	uint32_t flags;
	int32_t place;		/* index in gz.places, or -1 */
	int32_t org;		/* index in gz.orgs, or -1 */
};

struct gz_name {
	char *name;
	int32_t country;	/* for places: index of the containing country, or -1 */
};

static struct {
	struct gz_slot *slots;
	size_t mask;
	size_t used;
	struct gz_name *places;
	size_t nplaces, cap_places;
	struct gz_name *orgs;
	size_t norgs, cap_orgs;
	int32_t usa;		/* "United States", the country of us_states.tsv */
	int ok;
	char *error;
} gz;

static pthread_once_t gz_once = PTHREAD_ONCE_INIT;

#define KEY_MAX 256		/* longest lookup key, in bytes */
#define MATCH_MAX 10		/* longest gazetteer entry, in words */

/* ---------------------------------------------------------------- key folding */

/* ASCII fold of the Latin-1 letters U+00C0..U+00FF (the second byte of C3 xx). */
static const char latin1_fold[64] = "aaaaaaaceeeeiiiidnooooo*ouuuuyts" "aaaaaaaceeeeiiiidnooooo/ouuuuyty";

static int is_upper_at(const unsigned char *p)
{
	if (p[0] >= 'A' && p[0] <= 'Z')
		return 1;
	return p[0] == 0xC3 && p[1] >= 0x80 && p[1] <= 0x9E && p[1] != 0x97;
}

static int is_lower_at(const unsigned char *p)
{
	if (p[0] >= 'a' && p[0] <= 'z')
		return 1;
	return p[0] == 0xC3 && p[1] >= 0x9F && p[1] <= 0xBF && p[1] != 0xB7;
}

/*
 * Fold s[0..n) into a lookup key at out (room for KEY_MAX bytes, NUL-terminated): ASCII lower
 * case, Latin-1 accents removed, curly apostrophes straightened, hyphens and runs of white
 * space made one space, dots kept only at the end of a word ("U.S." → "us.", "St. Paul" →
 * "st. paul") so an abbreviation and a plain word stay apart. Returns the key length.
 */
static size_t key_fold(const char *s, size_t n, char *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t k = 0;
	int space = 0;

	while (p < end && k + 4 < KEY_MAX) {
		unsigned c = *p;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '-') {
			space = k > 0;
			p++;
			continue;
		}
		if (space) {
			out[k++] = ' ';
			space = 0;
		}
		if (c == '.') {
			if (p + 1 == end || p[1] == ' ' || p[1] == '\n' || p[1] == '-')
				out[k++] = '.';
			p++;
		} else if (c >= 'A' && c <= 'Z') {
			out[k++] = (char)(c + 32);
			p++;
		} else if (c == 0xC3 && p + 1 < end && p[1] >= 0x80 && p[1] <= 0xBF) {
			out[k++] = latin1_fold[p[1] - 0x80];
			p += 2;
		} else if (c == 0xE2 && p + 2 < end && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
			out[k++] = '\'';
			p += 3;
		} else {
			out[k++] = (char)c;
			p++;
		}
	}
	out[k] = '\0';
	return k;
}

/* 1 when s[0..n) has at least two letters and no lower-case one ("ICE", "U.S.", "G-7"). */
static int all_caps(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, letters = 0;

	for (i = 0; i < n; i++) {
		if (is_lower_at(p + i))
			return 0;
		if (is_upper_at(p + i))
			letters++;
	}
	return letters >= 2;
}

/* ---------------------------------------------------------------- the gazetteer hash */

static struct gz_slot *gz_find(const char *key, size_t n)
{
	uint64_t h;
	size_t i;

	if (gz.slots == NULL)
		return NULL;
	h = hash64(key, n, 0);
	for (i = h & gz.mask;; i = (i + 1) & gz.mask) {
		struct gz_slot *s = &gz.slots[i];

		if (s->key == NULL)
			return NULL;
		if (s->hash == h && strncmp(s->key, key, n) == 0 && s->key[n] == '\0')
			return s;
	}
}

static struct gz_slot *gz_insert(const char *key, size_t n)
{
	struct gz_slot *s;
	uint64_t h;
	size_t i;

	if ((gz.used + 1) * 2 > gz.mask + 1) {
		struct gz_slot *old = gz.slots;
		size_t oldn = gz.mask + 1, j;

		gz.mask = gz.mask ? gz.mask * 2 + 1 : 4095;
		gz.slots = xcalloc(gz.mask + 1, sizeof(*gz.slots));
		for (j = 0; old != NULL && j < oldn; j++) {
			if (old[j].key == NULL)
				continue;
			for (i = old[j].hash & gz.mask; gz.slots[i].key != NULL; i = (i + 1) & gz.mask)
				;
			gz.slots[i] = old[j];
		}
		free(old);
	}
	s = gz_find(key, n);
	if (s != NULL)
		return s;
	h = hash64(key, n, 0);
	for (i = h & gz.mask; gz.slots[i].key != NULL; i = (i + 1) & gz.mask)
		;
	s = &gz.slots[i];
	s->key = xstrndup(key, n);
	s->hash = h;
	s->place = -1;
	s->org = -1;
	gz.used++;
	return s;
}

/*
 * Register the surface form `form` with role `flags` (and a place or org index for entity
 * roles). Proper word prefixes of a multi-word key are marked GZ_PREFIX so the matcher knows
 * when to keep reading.
 */
static void gz_add(const char *form, uint32_t flags, int32_t place, int32_t org)
{
	char key[KEY_MAX];
	size_t n = key_fold(form, strlen(form), key), i;
	struct gz_slot *s;

	if (n == 0)
		return;
	for (i = 1; i < n; i++)
		if (key[i] == ' ')
			gz_insert(key, i)->flags |= GZ_PREFIX;
	s = gz_insert(key, n);
	if (flags & GZ_ENTITY) {
		if (all_caps(form, strlen(form)) && !(s->flags & GZ_MIXED))
			s->flags |= GZ_UP_ONLY;
		else
			s->flags = (s->flags & ~(uint32_t)GZ_UP_ONLY) | GZ_MIXED;
		/* the first definition of a key wins: countries are loaded before cities */
		if (place >= 0 && s->place < 0)
			s->place = place;
		if (org >= 0 && s->org < 0)
			s->org = org;
	}
	if ((flags & GZ_STOP) && all_caps(form, strlen(form)))
		flags = (flags & ~(uint32_t)GZ_STOP) | GZ_STOP_UP;
	s->flags |= flags;
	/* a written abbreviation ("Calif.", "Gov.") teaches the tokenizer that its dot is no full stop */
	if (n > 1 && key[n - 1] == '.')
		gz_insert(key, n)->flags |= GZ_ABBREV;
}

static int32_t gz_new_name(struct gz_name **v, size_t *nv, size_t *cap, const char *name,
			   int32_t country)
{
	if (*nv == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[*nv].name = xstrdup(name);
	(*v)[*nv].country = country;
	return (int32_t)(*nv)++;
}

/* Split line at tabs into at most max fields (in place). Returns the field count. */
static int split_tabs(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	while (n < max && (line = strchr(line, '\t')) != NULL) {
		*line++ = '\0';
		f[n++] = line;
	}
	return n;
}

/* Call fn(form) for each '|'-separated form in list (modified in place). */
static void each_form(char *list, void (*fn)(const char *, void *), void *ctx)
{
	char *p = list, *bar;

	while (p != NULL && *p != '\0') {
		bar = strchr(p, '|');
		if (bar != NULL)
			*bar = '\0';
		if (*p != '\0')
			fn(p, ctx);
		p = bar ? bar + 1 : NULL;
	}
}

struct form_ctx {
	uint32_t flags;
	int32_t place, org;
};

static void add_form(const char *form, void *ctx)
{
	const struct form_ctx *c = ctx;

	gz_add(form, c->flags, c->place, c->org);
}

static int32_t place_by_name(const char *name)
{
	char key[KEY_MAX];
	size_t n = key_fold(name, strlen(name), key);
	struct gz_slot *s = gz_find(key, n);

	return s != NULL ? s->place : -1;
}

/*
 * Load one embedded TSV file; each non-comment line is handed to fn split into fields.
 * Returns 0, or -1 with gz.error set when the file is missing.
 */
static int gz_load(const char *path, void (*fn)(char **f, int nf))
{
	const struct embed_file *ef = embed_find(path);
	char *copy, *line, *next, *f[4];

	if (ef == NULL) {
		gz.error = xasprintf("gazetteer %s is not embedded in this build", path);
		return -1;
	}
	copy = xstrndup((const char *)ef->data, ef->size);
	for (line = copy; line != NULL; line = next) {
		size_t len;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		fn(f, split_tabs(line, f, 4));
	}
	free(copy);
	return 0;
}

static void load_country(char **f, int nf)
{
	struct form_ctx c = { GZ_PLACE, -1, -1 };

	c.place = gz_new_name(&gz.places, &gz.nplaces, &gz.cap_places, f[0], -1);
	gz_add(f[0], GZ_PLACE, c.place, -1);
	if (nf > 1)
		each_form(f[1], add_form, &c);
	c.flags = GZ_ADJ;
	if (nf > 2)
		each_form(f[2], add_form, &c);
	if (strcmp(f[0], "United States") == 0)
		gz.usa = c.place;
}

static void load_city(char **f, int nf)
{
	struct form_ctx c = { GZ_PLACE, -1, -1 };
	int32_t country = nf > 1 && f[1][0] ? place_by_name(f[1]) : -1;

	c.place = gz_new_name(&gz.places, &gz.nplaces, &gz.cap_places, f[0], country);
	gz_add(f[0], GZ_PLACE, c.place, -1);
	if (nf > 2)
		each_form(f[2], add_form, &c);
}

static void load_state(char **f, int nf)
{
	struct form_ctx c = { GZ_PLACE, -1, -1 };

	c.place = gz_new_name(&gz.places, &gz.nplaces, &gz.cap_places, f[0], gz.usa);
	gz_add(f[0], GZ_PLACE, c.place, -1);
	if (nf > 1)
		each_form(f[1], add_form, &c);
}

static void load_org(char **f, int nf)
{
	struct form_ctx c = { GZ_ORG, -1, -1 };

	c.org = gz_new_name(&gz.orgs, &gz.norgs, &gz.cap_orgs, f[0], -1);
	gz_add(f[0], GZ_ORG, -1, c.org);
	if (nf > 1)
		each_form(f[1], add_form, &c);
}

static void load_given(char **f, int nf)
{
	(void)nf;
	gz_add(f[0], GZ_GIVEN, -1, -1);
}

static void load_stop(char **f, int nf)
{
	gz_add(f[0], nf > 1 && strcmp(f[1], "weak") == 0 ? GZ_STOP | GZ_STOP_WEAK : GZ_STOP, -1, -1);
}

static void load_honorific(char **f, int nf)
{
	gz_add(f[0], nf > 1 && strcmp(f[1], "role") == 0 ? GZ_ROLE : GZ_TITLE, -1, -1);
}

static void load_cue(char **f, int nf)
{
	static const struct {
		const char *kind;
		uint32_t flags;
	} kinds[] = {
		{ "legal", GZ_LEGAL | GZ_ORG_END }, { "org_end", GZ_ORG_END },
		{ "org_start", GZ_ORG_START }, { "place_end", GZ_PLACE_END },
		{ "street", GZ_STREET }, { "abbrev", GZ_ABBREV }, { "connector", GZ_CONNECTOR },
	};
	size_t i;

	for (i = 0; nf > 1 && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(f[1], kinds[i].kind) == 0)
			gz_add(f[0], kinds[i].flags, -1, -1);
}

static void gz_build(void)
{
	gz.usa = -1;
	if (gz_load("data/gazetteer/countries.tsv", load_country) < 0 ||
	    gz_load("data/gazetteer/us_states.tsv", load_state) < 0 ||
	    gz_load("data/gazetteer/cities.tsv", load_city) < 0 ||
	    gz_load("data/gazetteer/orgs.tsv", load_org) < 0 ||
	    gz_load("data/gazetteer/given_names.tsv", load_given) < 0 ||
	    gz_load("data/gazetteer/stopwords.tsv", load_stop) < 0 ||
	    gz_load("data/gazetteer/honorifics.tsv", load_honorific) < 0 ||
	    gz_load("data/gazetteer/cues.tsv", load_cue) < 0)
		return;
	gz.ok = 1;
}

int extract_init(char **errmsg)
{
	pthread_once(&gz_once, gz_build);
	if (!gz.ok)
		return set_error(errmsg, "%s", gz.error ? gz.error : "gazetteers failed to load");
	return 0;
}

const char *extract_gazetteer_name(enum entity_type type, const char *name)
{
	char key[KEY_MAX];
	size_t n;
	struct gz_slot *s;

	if (type == ENTITY_PERSON || extract_init(NULL) < 0)
		return NULL;
	n = key_fold(name, strlen(name), key);
	s = n ? gz_find(key, n) : NULL;
	if (s == NULL)
		return NULL;
	if (type == ENTITY_PLACE && (s->flags & GZ_PLACE) && s->place >= 0)
		return gz.places[s->place].name;
	if (type == ENTITY_ORG && (s->flags & GZ_ORG) && s->org >= 0)
		return gz.orgs[s->org].name;
	return NULL;
}

/* ---------------------------------------------------------------- entity_norm */

/* Append the folded form of one word to b for entity_norm (dots dropped, hyphens as spaces). */
static void norm_word(struct buf *b, const char *w, size_t n)
{
	char key[KEY_MAX];
	size_t k = key_fold(w, n, key), i;

	if (b->len > 0 && k > 0)
		buf_putc(b, ' ');
	for (i = 0; i < k; i++)
		if (key[i] != '.')
			buf_putc(b, key[i]);
}

char *entity_norm(const char *name)
{
	const char *w[32];
	size_t wl[32], nw = 0, first = 0, i;
	const char *p = name;
	struct buf b = { 0 };

	pthread_once(&gz_once, gz_build);
	while (*p != '\0' && nw < 32) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		w[nw] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		wl[nw] = (size_t)(p - w[nw]);
		nw++;
	}
	/* possessive on the last word: "Noem's", "Noem’s", "Jones'" */
	if (nw > 0) {
		size_t n = wl[nw - 1];
		const char *e = w[nw - 1] + n;

		if (n > 2 && e[-2] == '\'' && (e[-1] == 's' || e[-1] == 'S'))
			wl[nw - 1] -= 2;
		else if (n > 4 && memcmp(e - 4, "\xE2\x80\x99", 3) == 0 && (e[-1] == 's' || e[-1] == 'S'))
			wl[nw - 1] -= 4;
		else if (n > 1 && e[-1] == '\'')
			wl[nw - 1] -= 1;
	}
	/* leading titles, longest first, while a name remains: "Gov. Tim Walz" → "tim walz" */
	while (gz.ok && nw - first >= 2) {
		size_t take = 0, j;
		char key[KEY_MAX];
		struct buf t = { 0 };

		for (j = first; j < nw - 1 && j < first + 4; j++) {
			struct gz_slot *s;

			if (j > first)
				buf_putc(&t, ' ');
			buf_append(&t, w[j], wl[j]);
			s = gz_find(key, key_fold(t.data, t.len, key));
			if (s != NULL && (s->flags & GZ_TITLE))
				take = j - first + 1;
			if (s == NULL || !(s->flags & (GZ_PREFIX | GZ_TITLE)))
				break;
		}
		buf_free(&t);
		if (take == 0)
			break;
		first += take;
	}
	for (i = first; i < nw; i++)
		norm_word(&b, w[i], wl[i]);
	if (b.data == NULL)
		return xstrdup("");
	return buf_detach(&b);
}

/* ---------------------------------------------------------------- tokens */

enum {
	T_WORD = 1 << 0,
	T_CAP = 1 << 1,		/* starts with a capital letter */
	T_UPPER = 1 << 2,	/* has letters, none lower case */
	T_LOWER = 1 << 3,	/* starts with a lower-case letter */
	T_SSTART = 1 << 4,	/* first word of a sentence, paragraph or segment */
	T_SWEAK = 1 << 5,	/* follows an abbreviation's dot: may start a sentence */
	T_UNREL = 1 << 6,	/* in all-caps text: capitalisation says nothing */
	T_DOT = 1 << 7,		/* the word took its following dot ("Gov.", "U.S.") */
	T_DIGIT = 1 << 8,
	T_HASLOW = 1 << 9,	/* has a lower-case letter */
};

struct tok {
	const char *s;		/* surface in the article text (possessive excluded) */
	uint32_t len;
	uint32_t koff;		/* lookup key in ex->keys */
	uint32_t gzf;		/* gazetteer flags of the one-word key */
	uint16_t klen;
	uint16_t fl;
	char punct;		/* punctuation character; 0 for words */
};

/* One entity found in this article. */
struct fent {
	enum entity_type type;
	char *name;
	char *norm;		/* entity_norm(name) */
	char *core;		/* orgs: norm without legal suffix; people: key of the surname */
	char **aliases;
	size_t naliases;
	int count;
};

/* A capitalised stretch nothing explained yet; resolved once the whole article is read. */
struct unk {
	uint32_t a, b;		/* token range */
};

/* An acronym the article defined in parentheses. */
struct acr {
	uint32_t tok;
	size_t ent;
};

/* Per-call state: nothing here is shared between threads. */
struct ex {
	struct tok *t;
	size_t nt, cap_t;
	struct buf keys;
	uint64_t *lower;	/* hash set of keys seen written in lower case */
	uint64_t *capmid;	/* hash set of keys seen capitalised inside a sentence */
	size_t setmask;
	struct fent *e;
	size_t ne, cap_e;
	struct unk *u;
	size_t nu, cap_u;
	struct acr *acr;
	size_t nacr, cap_acr;
	size_t resume;		/* main loop continues at least here (skips "(ICE)") */
};

static const char *tkey(const struct ex *x, size_t i)
{
	return x->keys.data + x->t[i].koff;
}

static int is_word(const struct ex *x, size_t i)
{
	return i < x->nt && x->t[i].punct == 0;
}

static int key_is(const struct ex *x, size_t i, const char *k)
{
	return is_word(x, i) && strcmp(tkey(x, i), k) == 0;
}

static struct tok *tok_push(struct ex *x)
{
	struct tok *t;

	if (x->nt == x->cap_t) {
		x->cap_t = x->cap_t ? x->cap_t * 2 : 512;
		x->t = xrealloc(x->t, x->cap_t * sizeof(*x->t));
	}
	t = &x->t[x->nt++];
	memset(t, 0, sizeof(*t));
	return t;
}

static void punct_push(struct ex *x, char c)
{
	tok_push(x)->punct = c;
}

/* Bytes in the UTF-8 letter (or other non-punctuation character) at p, 0 when p is not one. */
static size_t letter_len(const unsigned char *p, const unsigned char *end)
{
	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
		return 1;
	if (*p >= 0xC3 && *p <= 0xDF && p + 1 < end && (p[1] & 0xC0) == 0x80)
		return 2;
	if (*p >= 0xE3 && *p <= 0xEF && p + 2 < end)
		return 3;
	return 0;
}

/* Mark the words of x->t[a..b) unreliable when the stretch is written in capitals. */
static void mark_caps(struct ex *x, size_t a, size_t b, int title)
{
	size_t i, words = 0, lower = 0;

	for (i = a; i < b; i++) {
		if (x->t[i].punct || !(x->t[i].fl & (T_UPPER | T_HASLOW)))
			continue;
		words++;
		if (x->t[i].fl & T_HASLOW)
			lower++;
	}
	if (title ? lower * 2 < words : words >= 3 && lower == 0)
		for (i = a; i < b; i++)
			x->t[i].fl |= T_UNREL;
}

/*
 * Cut s[0..n) into tokens appended to x->t. Words keep internal hyphens, apostrophes and the
 * dots of "U.S."; a possessive "'s" is cut off; a dot is taken by a known abbreviation or an
 * initial, so "Gov. Tim Walz" and "St. Paul" do not end a sentence. A newline followed by
 * white space is a paragraph break. Reuters ticker symbols "<SRD>" are skipped. title: judge
 * all-caps over the whole segment instead of per line.
 */
static void tokenize(struct ex *x, const char *s, size_t n, int title)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t line_first = x->nt;
	int sstart = 1, sweak = 0;

	punct_push(x, '\n');
	while (p < end) {
		unsigned c = *p;
		const unsigned char *w, *q;
		struct tok *t;
		char key[KEY_MAX + 2];
		size_t kl, l;
		struct gz_slot *gs;
		int internal_dot = 0;

		if (c == '\n') {
			if (!title)
				mark_caps(x, line_first, x->nt, 0);
			line_first = x->nt;
			if (p + 1 < end && (p[1] == '\n' || p[1] == ' ' || p[1] == '\t' || p[1] == '\r')) {
				punct_push(x, '\n');
				sstart = 1;
			}
			p++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			p++;
			continue;
		}
		if (c == 0xC2 && p + 1 < end) {		/* no-break space, guillemets */
			p += 2;
			continue;
		}
		if (c == 0xE2 && p + 2 < end) {		/* quotes, dashes, ellipsis, currency */
			punct_push(x, p[1] == 0x80 && p[2] == 0xA6 ? '.' : p[1] == 0x80 &&
				   (p[2] == 0x93 || p[2] == 0x94) ? '-' : '"');
			if (p[1] == 0x80 && p[2] == 0xA6)
				sstart = 1;
			p += 3;
			continue;
		}
		if (c == '<') {
			for (q = p + 1; q < end && q < p + 12 && ((*q >= 'A' && *q <= 'Z') ||
							  (*q >= '0' && *q <= '9') || *q == '.'); q++)
				;
			if (q < end && *q == '>' && q > p + 1) {
				p = q + 1;
				continue;
			}
		}
		if (c == '&') {
			t = tok_push(x);
			t->s = (const char *)p;
			t->len = 1;
			t->fl = T_WORD;
			t->koff = (uint32_t)x->keys.len;
			t->klen = 1;
			buf_append(&x->keys, "&", 2);
			gs = gz_find("&", 1);
			t->gzf = gs ? gs->flags : 0;
			p++;
			continue;
		}
		l = letter_len(p, end);
		if (l == 0) {
			if (c == '.' || c == '!' || c == '?' || c == '|')
				sstart = 1;
			if (c >= 0x80) {	/* a stray or unknown multi-byte character */
				p++;
				while (p < end && (*p & 0xC0) == 0x80)
					p++;
				continue;
			}
			punct_push(x, (char)c);
			p++;
			continue;
		}
		/* a word */
		w = p;
		p += l;
		for (;;) {
			if (p >= end)
				break;
			if ((l = letter_len(p, end)) > 0) {
				p += l;
			} else if (*p == '-' && p + 1 < end && letter_len(p + 1, end)) {
				p++;
			} else if (*p == '.' && p + 1 < end && letter_len(p + 1, end) &&
				   (p - w == 1 || p[-2] == '.') && !(p + 2 < end && letter_len(p + 2, end))) {
				p++;	/* U.S.A */
				internal_dot = 1;
			} else if ((*p == ',' || *p == '.') && p > w && *w >= '0' && *w <= '9' &&
				   p + 1 < end && p[1] >= '0' && p[1] <= '9') {
				p++;	/* 1,250.5 */
			} else if (*p == '&' && p + 1 < end && p[1] >= 'A' && p[1] <= 'Z' &&
				   p[-1] >= 'A' && p[-1] <= 'Z') {
				p++;	/* AT&T */
			} else {
				size_t al = *p == '\'' ? 1 : (*p == 0xE2 && p + 2 < end && p[1] == 0x80 &&
							      p[2] == 0x99) ? 3 : 0;

				if (al == 0 || p + al >= end || !letter_len(p + al, end))
					break;
				/* possessive 's: the word ends here */
				if ((p[al] == 's' || p[al] == 'S') &&
				    (p + al + 1 >= end || !letter_len(p + al + 1, end)))
					break;
				p += al;
			}
		}
		q = p;		/* end of the surface */
		if (q < end && (*q == '\'' || (*q == 0xE2 && q + 2 < end && q[1] == 0x80 && q[2] == 0x99))) {
			size_t al = *q == '\'' ? 1 : 3;

			if (q + al < end && (q[al] == 's' || q[al] == 'S'))
				p = q + al + 1;
		}
		t = tok_push(x);
		t->s = (const char *)w;
		t->len = (uint32_t)(q - w);
		t->fl = T_WORD;
		if (is_upper_at(w))
			t->fl |= T_CAP;
		else if (is_lower_at(w))
			t->fl |= T_LOWER;
		else if (*w >= '0' && *w <= '9')
			t->fl |= T_DIGIT;
		{
			const unsigned char *r;
			int up = 0, low = 0;

			for (r = w; r < q; r++) {
				if (is_lower_at(r))
					low = 1;
				else if (is_upper_at(r))
					up = 1;
			}
			if (low)
				t->fl |= T_HASLOW;
			else if (up)
				t->fl |= T_UPPER;
		}
		kl = key_fold((const char *)w, (size_t)(q - w), key);
		/* take the dot of an abbreviation, an initial or an acronym with dots */
		if (p == q && p < end && *p == '.' && kl > 0 && (t->fl & T_CAP)) {
			int take = internal_dot || t->len == 1;

			if (!take) {
				key[kl] = '.';
				key[kl + 1] = '\0';
				gs = gz_find(key, kl + 1);
				take = gs != NULL && (gs->flags & GZ_ABBREV);
				key[kl] = '\0';
			}
			if (take) {
				key[kl++] = '.';
				key[kl] = '\0';
				p++;
				t->len++;
				t->fl |= T_DOT;
			}
		}
		t->koff = (uint32_t)x->keys.len;
		t->klen = (uint16_t)kl;
		buf_append(&x->keys, key, kl + 1);
		gs = gz_find(key, kl);
		t->gzf = gs ? gs->flags : 0;
		if (sstart)
			t->fl |= T_SSTART;
		else if (sweak)
			t->fl |= T_SWEAK;
		sstart = 0;
		sweak = (t->fl & T_DOT) && t->len > 2 && !(t->gzf & GZ_TITLE);
	}
	mark_caps(x, line_first, x->nt, title);
	punct_push(x, '\n');
}

/*
 * Shouting in otherwise normal text ("RELATED STORY |", "IN CASE YOU MISSED IT") is not a row
 * of acronyms: two or more all-caps words in a row are treated like an all-caps headline.
 */
static void mark_shouting(struct ex *x)
{
	size_t i = 0, j;

	while (i < x->nt) {
		if (!is_word(x, i) || !(x->t[i].fl & T_UPPER) || x->t[i].len < 2) {
			i++;
			continue;
		}
		for (j = i; is_word(x, j) && (x->t[j].fl & T_UPPER); j++)
			;
		if (j - i >= 2 && !((x->t[i].fl | x->t[j - 1].fl) & T_DOT))
			for (; i < j; i++)
				x->t[i].fl |= T_UNREL;
		i = j;
	}
}

/* ---------------------------------------------------------------- word sets */

static void set_add(uint64_t *set, size_t mask, uint64_t h)
{
	size_t i;

	h |= 1;
	for (i = h & mask; set[i] != 0 && set[i] != h; i = (i + 1) & mask)
		;
	set[i] = h;
}

static int set_has(const uint64_t *set, size_t mask, uint64_t h)
{
	size_t i;

	h |= 1;
	for (i = h & mask; set[i] != 0; i = (i + 1) & mask)
		if (set[i] == h)
			return 1;
	return 0;
}

/* Record which words the article writes in lower case and which capitalised mid-sentence. */
static void build_sets(struct ex *x)
{
	size_t n = 64, i;

	while (n < x->nt * 2)
		n *= 2;
	x->setmask = n - 1;
	x->lower = xcalloc(n, sizeof(uint64_t));
	x->capmid = xcalloc(n, sizeof(uint64_t));
	for (i = 0; i < x->nt; i++) {
		const struct tok *t = &x->t[i];

		if (t->punct || (t->fl & T_UNREL))
			continue;
		if (t->fl & T_LOWER)
			set_add(x->lower, x->setmask, hash64(tkey(x, i), t->klen, 0));
		else if ((t->fl & T_CAP) && !(t->fl & (T_SSTART | T_SWEAK)))
			set_add(x->capmid, x->setmask, hash64(tkey(x, i), t->klen, 0));
	}
}

static int seen_lower(const struct ex *x, size_t i)
{
	return set_has(x->lower, x->setmask, hash64(tkey(x, i), x->t[i].klen, 0));
}

static int seen_capmid(const struct ex *x, size_t i)
{
	return set_has(x->capmid, x->setmask, hash64(tkey(x, i), x->t[i].klen, 0));
}

/* ---------------------------------------------------------------- entities of this article */

/* Space-joined surface text of the words x->t[a..b) (caller frees). */
static char *surface(const struct ex *x, size_t a, size_t b)
{
	struct buf s = { 0 };
	size_t i;

	for (i = a; i < b; i++) {
		if (x->t[i].punct)
			continue;
		if (s.len > 0)
			buf_putc(&s, ' ');
		buf_append(&s, x->t[i].s, x->t[i].len);
	}
	return s.data ? buf_detach(&s) : xstrdup("");
}

static void fent_alias(struct fent *f, const char *alias)
{
	char *n = entity_norm(alias);
	size_t i;
	int dup = n[0] == '\0' || strcmp(n, f->norm) == 0;

	for (i = 0; !dup && i < f->naliases; i++) {
		char *m = entity_norm(f->aliases[i]);

		dup = strcmp(m, n) == 0;
		free(m);
	}
	free(n);
	if (dup)
		return;
	f->aliases = xrealloc(f->aliases, (f->naliases + 1) * sizeof(*f->aliases));
	f->aliases[f->naliases++] = xstrdup(alias);
}

/*
 * Count one mention of (type, name), adding the entity when new; alias (may be NULL) is the
 * surface form when it differs from the name. Returns the entity's index.
 */
static size_t ent_add(struct ex *x, enum entity_type type, const char *name, const char *alias)
{
	char *norm = entity_norm(name);
	struct fent *f;
	size_t i;

	for (i = 0; i < x->ne; i++)
		if (x->e[i].type == type && strcmp(x->e[i].norm, norm) == 0)
			break;
	if (i < x->ne) {
		free(norm);
		x->e[i].count++;
	} else {
		if (x->ne == x->cap_e) {
			x->cap_e = x->cap_e ? x->cap_e * 2 : 16;
			x->e = xrealloc(x->e, x->cap_e * sizeof(*x->e));
		}
		f = &x->e[x->ne++];
		memset(f, 0, sizeof(*f));
		f->type = type;
		f->name = xstrdup(name);
		f->norm = norm;
		f->count = 1;
	}
	if (alias != NULL)
		fent_alias(&x->e[i], alias);
	return i;
}

/* A place from the gazetteer, and the country it lies in (counted once per article). */
static size_t add_place(struct ex *x, int32_t place, const char *alias)
{
	size_t r = ent_add(x, ENTITY_PLACE, gz.places[place].name, alias);
	int32_t c = gz.places[place].country;

	if (c >= 0) {
		char *norm = entity_norm(gz.places[c].name);
		size_t i;

		for (i = 0; i < x->ne; i++)
			if (x->e[i].type == ENTITY_PLACE && strcmp(x->e[i].norm, norm) == 0)
				break;
		free(norm);
		if (i == x->ne)
			ent_add(x, ENTITY_PLACE, gz.places[c].name, NULL);
	}
	return r;
}

/*
 * 1 when slot s may match the words x->t[a..b): capital-only forms ("ICE", "US") need capitals
 * in the text, except in all-caps text where nothing can be told.
 */
static int case_ok(const struct ex *x, const struct gz_slot *s, size_t a, size_t b)
{
	size_t i;

	if (!(s->flags & GZ_UP_ONLY))
		return 1;
	for (i = a; i < b; i++)
		if (!(x->t[i].fl & (T_UPPER | T_UNREL | T_DIGIT)) && x->t[i].punct == 0)
			return 0;
	return 1;
}

/*
 * The longest gazetteer key with a role in mask that starts at word a and ends before b.
 * Returns its length in words (0: none) and the slot in *out.
 */
static size_t gz_longest(const struct ex *x, size_t a, size_t b, uint32_t mask, struct gz_slot **out)
{
	char key[KEY_MAX];
	size_t kl = 0, i, best = 0;

	for (i = a; i < b && i - a < MATCH_MAX && is_word(x, i); i++) {
		struct gz_slot *s;
		size_t tl = x->t[i].klen;

		if (kl + tl + 2 >= KEY_MAX)
			break;
		if (kl > 0)
			key[kl++] = ' ';
		memcpy(key + kl, tkey(x, i), tl);
		kl += tl;
		s = gz_find(key, kl);
		if (s == NULL)
			break;
		if ((s->flags & mask) && (!(mask & GZ_ENTITY) || case_ok(x, s, a, i + 1))) {
			best = i - a + 1;
			*out = s;
		}
		if (!(s->flags & GZ_PREFIX))
			break;
	}
	return best;
}

/* Count a gazetteer hit over words a..a+n; the surface becomes an alias unless alias_ok is 0. */
static size_t emit_slot(struct ex *x, const struct gz_slot *s, size_t a, size_t n, int alias_ok)
{
	char *surf = alias_ok ? surface(x, a, a + n) : NULL;
	size_t r;

	if ((s->flags & GZ_PLACE) && s->place >= 0)
		r = add_place(x, s->place, surf);
	else if ((s->flags & GZ_ORG) && s->org >= 0)
		r = ent_add(x, ENTITY_ORG, gz.orgs[s->org].name, surf);
	else
		r = add_place(x, s->place, NULL);	/* an adjective: "Japanese" */
	free(surf);
	return r;
}

/* Add the text entity of words a..b; orgs remember their name without legal suffix. */
static size_t emit_text(struct ex *x, enum entity_type type, size_t a, size_t b)
{
	char *name = surface(x, a, b);
	size_t r, e = b;
	struct fent *f;

	/* a shorter mention of an organisation named before: "Standard Oil" after "Standard Oil Co" */
	if (type == ENTITY_ORG) {
		char *norm = entity_norm(name);

		for (r = 0; r < x->ne; r++)
			if (x->e[r].type == ENTITY_ORG && x->e[r].core != NULL &&
			    strcmp(x->e[r].core, norm) == 0 && strcmp(x->e[r].norm, norm) != 0)
				break;
		free(norm);
		if (r < x->ne) {
			x->e[r].count++;
			fent_alias(&x->e[r], name);
			free(name);
			return r;
		}
	}
	r = ent_add(x, type, name, NULL);
	f = &x->e[r];
	free(name);
	if (f->core == NULL && type == ENTITY_ORG) {
		while (e > a + 1 && (x->t[e - 1].gzf & GZ_LEGAL))
			e--;
		name = surface(x, a, e);
		f->core = entity_norm(name);
		free(name);
	} else if (f->core == NULL && type == ENTITY_PERSON) {
		f->core = xstrdup(tkey(x, b - 1));
	}
	return r;
}

/* Places named inside an organisation ("Bank of Japan", "Texas Commerce Bancshares"). */
static void inner_places(struct ex *x, size_t a, size_t b)
{
	size_t i = a, n;
	struct gz_slot *s;

	while (i < b) {
		n = gz_longest(x, i, b, GZ_PLACE | GZ_ADJ, &s);
		if (n > 0 && s->place >= 0) {
			add_place(x, s->place, NULL);
			i += n;
		} else {
			i++;
		}
	}
}

static int name_like_next(const struct ex *x, size_t i);

static int is_stop(const struct ex *x, size_t i)
{
	const struct tok *t = &x->t[i];

	if ((t->gzf & GZ_STOP_UP) && (t->fl & T_UPPER))
		return 1;
	if (!(t->gzf & GZ_STOP))
		return 0;
	if ((t->gzf & GZ_STOP_WEAK) && !(t->fl & (T_SSTART | T_SWEAK)) && name_like_next(x, i + 1))
		return 0;
	if (t->gzf & GZ_ENTITY) {
		const struct gz_slot *s = gz_find(tkey(x, i), t->klen);

		if (s != NULL && case_ok(x, s, i, i + 1))
			return 0;
	}
	return 1;
}

/* A word that can be part of a name: capitalised, not a stopword, not a number. */
static int name_like(const struct ex *x, size_t i)
{
	const struct tok *t;

	if (!is_word(x, i))
		return 0;
	t = &x->t[i];
	return (t->fl & T_CAP) && !(t->fl & (T_DIGIT | T_UNREL)) && !is_stop(x, i);
}

/* A weak stopword is part of a name only when a capitalised word follows ("First Union"). */
static int name_like_next(const struct ex *x, size_t i)
{
	return is_word(x, i) && (x->t[i].fl & T_CAP) && !(x->t[i].fl & T_UNREL) &&
	       !(x->t[i].gzf & GZ_STOP);
}

static int is_connector(const struct ex *x, size_t i)
{
	return is_word(x, i) && (x->t[i].gzf & GZ_CONNECTOR) && !(x->t[i].fl & T_CAP);
}

/* Connectors that end a person's name ("Bovino of U.S. Customs"); particles ("de") do not. */
static int breaks_person(const struct ex *x, size_t i)
{
	return key_is(x, i, "of") || key_is(x, i, "and") || key_is(x, i, "for") ||
	       key_is(x, i, "&") || key_is(x, i, "the") || key_is(x, i, "on");
}

static int is_given(const struct ex *x, size_t i)
{
	const char *k = tkey(x, i), *sp;

	if (x->t[i].gzf & GZ_GIVEN)
		return 1;
	sp = strchr(k, ' ');	/* "Hans-Juergen": the first part */
	if (sp != NULL) {
		const struct gz_slot *s = gz_find(k, (size_t)(sp - k));

		return s != NULL && (s->flags & GZ_GIVEN);
	}
	return 0;
}

/* 1 when words a..b can be a person's name (no cue word of another kind inside). */
static int person_ok(const struct ex *x, size_t a, size_t b)
{
	size_t i, caps = 0;
	struct gz_slot *s;

	if (b <= a || b - a > 5)
		return 0;
	for (i = a; i < b; i++) {
		const struct tok *t = &x->t[i];

		if (t->gzf & (GZ_ORG_END | GZ_ORG_START | GZ_STREET | GZ_PLACE_END | GZ_TITLE))
			return 0;
		if (t->fl & T_CAP)
			caps++;
		if (t->len == 1 && !(t->fl & T_DOT) && b - a == 1)
			return 0;
	}
	if (caps == 0 || gz_longest(x, a, b, GZ_ENTITY, &s) == b - a)
		return 0;
	return 1;
}

static void unk_add(struct ex *x, size_t a, size_t b)
{
	if (x->nu == x->cap_u) {
		x->cap_u = x->cap_u ? x->cap_u * 2 : 32;
		x->u = xrealloc(x->u, x->cap_u * sizeof(*x->u));
	}
	x->u[x->nu].a = (uint32_t)a;
	x->u[x->nu].b = (uint32_t)b;
	x->nu++;
}

/* The index of the entity an article-defined acronym at word i stands for, or -1. */
static long acr_find(const struct ex *x, size_t i)
{
	size_t j;

	for (j = 0; j < x->nacr; j++)
		if (strcmp(tkey(x, x->acr[j].tok), tkey(x, i)) == 0)
			return (long)x->acr[j].ent;
	return -1;
}

/* 1 when the letters of acronym word ai are the initials of the capitalised words a..b. */
static int initials_match(const struct ex *x, size_t ai, size_t a, size_t b)
{
	const char *k = tkey(x, ai);
	size_t i;

	for (i = a; i < b; i++) {
		if (!(x->t[i].fl & T_CAP))
			continue;
		while (*k == '.' || *k == ' ')
			k++;
		if (*k == '\0' || *k != tkey(x, i)[0])
			return 0;
		k++;
	}
	while (*k == '.' || *k == ' ')
		k++;
	return *k == '\0';
}

static void do_run(struct ex *x, size_t s, size_t e, int depth);

/* Process the pieces of s..e separated by connectors. */
static void split_connectors(struct ex *x, size_t s, size_t e, int depth)
{
	size_t i = s, a = s;

	for (; i <= e; i++) {
		if (i == e || is_connector(x, i)) {
			if (i > a)
				do_run(x, a, i, depth + 1);
			a = i + 1;
		}
	}
}

/*
 * Scan words s..e for gazetteer entries (longest first); the stretches between them are left
 * for the end-of-article resolution, and acronyms the article defined win over the gazetteer.
 */
static void segment(struct ex *x, size_t s, size_t e)
{
	size_t i = s, gap = s, n;
	struct gz_slot *gs;
	long ai;

	while (i < e) {
		if ((x->t[i].fl & T_UPPER) && (ai = acr_find(x, i)) >= 0) {
			if (i > gap)
				unk_add(x, gap, i);
			x->e[ai].count++;
			gap = ++i;
			continue;
		}
		n = gz_longest(x, i, e, GZ_ENTITY, &gs);
		if (n == 0) {
			i++;
			continue;
		}
		if (i > gap)
			unk_add(x, gap, i);
		emit_slot(x, gs, i, n, 1);
		i += n;
		gap = i;
	}
	if (e > gap)
		unk_add(x, gap, e);
}

/*
 * Classify the capitalised run of words s..e (connectors only inside). The cues are tried in
 * order; a run may be split and its parts classified on their own (depth bounds the recursion).
 */
static void do_run(struct ex *x, size_t s, size_t e, int depth)
{
	struct gz_slot *gs;
	size_t n, i, k, best_k = 0, best_l = 0;

	if (depth > 8)
		return;
	/* a sentence-initial word the article also writes in lower case is no name: "Total Bahia" */
	while (s < e && (is_connector(x, s) ||
			 ((x->t[s].fl & (T_SSTART | T_SWEAK)) && seen_lower(x, s) &&
			  gz_longest(x, s, e, GZ_ENTITY, &gs) == 0)))
		s++;
	while (e > s && is_connector(x, e - 1))
		e--;
	if (s >= e)
		return;
	n = e - s;

	/* an acronym defined in parentheses: "Immigration and Customs Enforcement (ICE)" */
	if (x->nt > e + 2 && x->t[e].punct == '(' && is_word(x, e + 1) && x->t[e + 2].punct == ')' &&
	    (x->t[e + 1].fl & T_UPPER) && x->t[e + 1].len >= 2 && x->t[e + 1].len <= 10) {
		size_t a = s, r;
		char *acr = surface(x, e + 1, e + 2);

		while (a < e && !initials_match(x, e + 1, a, e))
			a++;
		/* loose acronyms ("Istituto per la Ricostruzione Industriale (IRI)"): first letter */
		if (a == e && n >= 2 && (x->t[s].fl & T_CAP) && tkey(x, s)[0] == tkey(x, e + 1)[0])
			a = s;
		if (a < e) {
			if (a > s)
				do_run(x, s, a, depth + 1);
			if (gz_longest(x, a, e, GZ_ENTITY, &gs) == e - a)
				r = emit_slot(x, gs, a, e - a, 1);
			else
				r = emit_text(x, ENTITY_ORG, a, e);
			fent_alias(&x->e[r], acr);
			if (x->nacr == x->cap_acr) {
				x->cap_acr = x->cap_acr ? x->cap_acr * 2 : 8;
				x->acr = xrealloc(x->acr, x->cap_acr * sizeof(*x->acr));
			}
			x->acr[x->nacr].tok = (uint32_t)(e + 1);
			x->acr[x->nacr++].ent = r;
			if (x->resume < e + 3)
				x->resume = e + 3;
			free(acr);
			return;
		}
		free(acr);
	}

	/* the whole run is a known name */
	if (gz_longest(x, s, e, GZ_ENTITY, &gs) == n) {
		emit_slot(x, gs, s, n, 1);
		return;
	}

	/* a title inside the run: "Finance Minister Kiichi Miyazawa", "Cmdr. Gregory Bovino of ..." */
	for (k = s; k < e; k++) {
		size_t l = gz_longest(x, k, e, GZ_TITLE, &gs);

		if (l > 0 && k + l < e && !is_connector(x, k + l)) {
			best_k = k;
			best_l = l;
		}
	}
	/* "BankAmerica Vice President for Financial Communications": a job, not a name */
	for (k = s + 1; best_l == 0 && k < e; k++) {
		size_t l = gz_longest(x, k, e, GZ_TITLE, &gs);

		if (l > 0 && k + l < e && is_connector(x, k + l) && !(x->t[k].gzf & GZ_ORG_START)) {
			do_run(x, s, k, depth + 1);
			for (k += l; k < e && is_connector(x, k); k++)
				;
			if (k < e)
				do_run(x, k, e, depth + 1);
			return;
		}
	}
	if (best_l > 0) {
		size_t p0 = best_k + best_l, p1 = p0;

		while (p1 < e && !breaks_person(x, p1))
			p1++;
		if (person_ok(x, p0, p1)) {
			if (best_k > s)
				do_run(x, s, best_k, depth + 1);
			emit_text(x, ENTITY_PERSON, p0, p1);
			if (p1 < e)
				do_run(x, p1, e, depth + 1);
			return;
		}
	}

	/* street addresses are not entities: "Portland Avenue" */
	if (x->t[e - 1].gzf & GZ_STREET)
		return;

	/* organisation cues: "Standard Oil Co", "Bank of Japan", "Procter & Gamble" */
	if ((x->t[e - 1].gzf & GZ_ORG_END) && n >= 2) {
		/* two companies: "Stephens Inc and Cazenove Inc" */
		for (i = s + 1; i + 1 < e; i++)
			if ((key_is(x, i, "and") || key_is(x, i, "&")) && (x->t[i - 1].gzf & GZ_LEGAL)) {
				do_run(x, s, i, depth + 1);
				do_run(x, i + 1, e, depth + 1);
				return;
			}
		emit_text(x, ENTITY_ORG, s, e);
		inner_places(x, s, e);
		return;
	}
	if (n >= 3 && (x->t[s].gzf & GZ_ORG_START) && (key_is(x, s + 1, "of") || key_is(x, s + 1, "for"))) {
		emit_text(x, ENTITY_ORG, s, e);
		inner_places(x, s, e);
		return;
	}
	for (i = s + 1; i + 1 < e; i++)
		if (key_is(x, i, "&")) {
			emit_text(x, ENTITY_ORG, s, e);
			return;
		}

	/* place cues: "Harris County" */
	if ((x->t[e - 1].gzf & GZ_PLACE_END) && n >= 2 && !(x->t[s].gzf & GZ_ENTITY)) {
		emit_text(x, ENTITY_PLACE, s, e);
		return;
	}

	for (i = s + 1; i < e; i++)
		if (is_connector(x, i)) {
			split_connectors(x, s, e, depth);
			return;
		}

	/* a person: "Kristi Noem", or "spokeswoman Tricia McLaughlin" */
	if (n >= 2 && n <= 4 && (is_given(x, s) || (s > 0 && is_word(x, s - 1) &&
						     (x->t[s - 1].gzf & GZ_ROLE) &&
						     !(x->t[s - 1].fl & T_CAP))) &&
	    gz_longest(x, s, e, GZ_ENTITY, &gs) <= 1 && person_ok(x, s, e)) {
		emit_text(x, ENTITY_PERSON, s, e);
		return;
	}
	segment(x, s, e);
}

/* 1 when the capitalised words of name have the letters of acronym key k as initials. */
static int name_initials(const char *name, const char *k)
{
	const char *p = name;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (*p >= 'A' && *p <= 'Z') {
			while (*k == '.' || *k == ' ')
				k++;
			if (*k != *p + 32)
				return 0;
			k++;
		}
		while (*p != '\0' && *p != ' ')
			p++;
	}
	while (*k == '.' || *k == ' ')
		k++;
	return *k == '\0' && strchr(name, ' ') != NULL;
}

/* An unknown all-caps word worth keeping as an organisation: letters, not a Roman numeral. */
static int plausible_acronym(const struct ex *x, size_t i)
{
	const char *k = tkey(x, i);
	size_t j, roman = 0, letters = 0;

	for (j = 0; k[j] != '\0'; j++) {
		if (k[j] >= '0' && k[j] <= '9')
			return 0;
		if (k[j] >= 'a' && k[j] <= 'z') {
			letters++;
			roman += strchr("ivxlcdm", k[j]) != NULL;
		}
	}
	return letters >= 2 && roman < letters;
}

/*
 * Resolve the stretches nothing explained, now that the article's people and organisations
 * are known: a surname, an organisation without its legal suffix, an acronym of a name in the
 * article, a word after "in"; the rest is dropped (a lone capitalised word is too often a
 * sentence start or a company nobody tagged).
 */
static void resolve_unknowns(struct ex *x)
{
	size_t ui, i;

	for (ui = 0; ui < x->nu; ui++) {
		size_t a = x->u[ui].a, b = x->u[ui].b, n = b - a;
		const struct tok *t = &x->t[a];
		char *surf, *norm;
		int done = 0;

		if (n == 1 && t->len == 1)
			continue;
		surf = surface(x, a, b);
		norm = entity_norm(surf);
		for (i = 0; i < x->ne && !done; i++) {
			struct fent *f = &x->e[i];

			if (f->type == ENTITY_PERSON && f->core != NULL &&
			    ((n == 1 && strcmp(f->core, tkey(x, a)) == 0) || strcmp(f->norm, norm) == 0))
				done = 1;
			else if (f->type == ENTITY_ORG && f->core != NULL && strcmp(f->core, norm) == 0)
				done = 1;
			if (done) {
				f->count++;
				fent_alias(f, surf);
			}
		}
		if (!done && n == 1 && (t->fl & T_UPPER) && t->len >= 2) {
			long ai = acr_find(x, a);

			for (i = 0; ai < 0 && i < x->ne; i++)
				if (x->e[i].type == ENTITY_ORG && name_initials(x->e[i].name, tkey(x, a)))
					ai = (long)i;
			if (ai >= 0) {
				x->e[ai].count++;
				fent_alias(&x->e[ai], surf);
			} else if (t->len <= 8 && plausible_acronym(x, a) &&
				   (!(t->fl & (T_SSTART | T_SWEAK)) || seen_capmid(x, a))) {
				ent_add(x, ENTITY_ORG, surf, NULL);
			}
			done = 1;
		}
		if (!done && a > 0 && is_word(x, a - 1) && (x->t[a - 1].fl & T_LOWER) &&
		    (key_is(x, a - 1, "in") || key_is(x, a - 1, "near") || key_is(x, a - 1, "outside")) &&
		    !(x->t[a].gzf & GZ_GIVEN)) {
			ent_add(x, ENTITY_PLACE, surf, NULL);
			done = 1;
		}
		if (!done && n <= 3 && a > 0 && is_word(x, a - 1) && (x->t[a - 1].gzf & GZ_ROLE) &&
		    (x->t[a - 1].fl & T_LOWER) && person_ok(x, a, b))
			emit_text(x, ENTITY_PERSON, a, b);
		free(norm);
		free(surf);
	}
}

/*
 * A dateline at the start of the body, "NEW YORK, March 3 -" or "CLEVELAND (Reuters) -": the
 * place is returned in *place and *plen, and the offset of the text after the dash is returned
 * (0 when there is no dateline).
 */
static size_t body_dateline(const char *b, const char **place, size_t *plen)
{
	const char *p = b, *start, *q;
	int letters = 0, lower = 0;

	while (*p == ' ' || *p == '\n' || *p == '\t')
		p++;
	start = p;
	while (*p != '\0' && p - start < 40 && *p != ',' && *p != '(' && *p != '\n') {
		if (*p >= 'a' && *p <= 'z')
			lower++;
		else if (*p >= 'A' && *p <= 'Z')
			letters++;
		else if (*p != ' ' && *p != '.' && *p != '-' && *p != '\'')
			return 0;
		p++;
	}
	if ((*p != ',' && *p != '(') || letters < 2 || lower > 0)
		return 0;
	*place = start;
	*plen = (size_t)(p - start);
	while (*plen > 0 && start[*plen - 1] == ' ')
		(*plen)--;
	for (q = p; *q != '\0' && q - p < 60; q++) {
		if (q[0] == ' ' && q[1] == '-' && (q[2] == ' ' || q[2] == '\n' || (q[2] == '-' && q[3] == ' ')))
			return (size_t)(q + (q[2] == '-' ? 3 : 2) - b);
		if (q[0] == ' ' && (unsigned char)q[1] == 0xE2 && (unsigned char)q[2] == 0x80 &&
		    ((unsigned char)q[3] == 0x93 || (unsigned char)q[3] == 0x94))
			return (size_t)(q + 4 - b);
	}
	return 0;
}

/* The place of a "dateline" field kept in the article's extra JSON ("CLEVELAND, Feb 26"). */
static int extra_dateline(const char *extra, const char **place, size_t *plen)
{
	const char *p = extra ? strstr(extra, "\"dateline\"") : NULL, *q;

	if (p == NULL)
		return 0;
	p += 10;
	while (*p == ' ' || *p == ':')
		p++;
	if (*p != '"')
		return 0;
	q = ++p;
	while (*q != '\0' && *q != '"' && *q != ',' && *q != '\\')
		q++;
	*place = p;
	*plen = (size_t)(q - p);
	return *plen >= 2 && *plen < 40;
}

/* Count the dateline place: from the gazetteer (with its country), else as written. */
static void emit_dateline(struct ex *x, const char *place, size_t plen)
{
	char key[KEY_MAX], *name;
	size_t kl = key_fold(place, plen, key), i;
	struct gz_slot *s = gz_find(key, kl);
	int up = 1;

	if (kl == 0)
		return;
	if (s != NULL && (s->flags & GZ_PLACE) && s->place >= 0) {
		add_place(x, s->place, NULL);
		return;
	}
	if (s != NULL && (s->flags & GZ_ORG) && s->org >= 0) {
		ent_add(x, ENTITY_ORG, gz.orgs[s->org].name, NULL);
		return;
	}
	name = xstrndup(place, plen);
	for (i = 0; name[i] != '\0'; i++) {		/* "SAN MATEO" → "San Mateo" */
		if (!up && name[i] >= 'A' && name[i] <= 'Z')
			name[i] = (char)(name[i] + 32);
		up = name[i] == ' ' || name[i] == '-';
	}
	ent_add(x, ENTITY_PLACE, name, NULL);
	free(name);
}

/* The main pass: gazetteer hits in all-caps text, capitalised runs elsewhere. */
static void scan(struct ex *x)
{
	size_t i = 0, j, k, n;
	struct gz_slot *gs;

	while (i < x->nt) {
		if (i < x->resume) {
			i = x->resume;
			continue;
		}
		if (!is_word(x, i)) {
			i++;
			continue;
		}
		if (x->t[i].fl & T_UNREL) {
			for (j = i; is_word(x, j) && (x->t[j].fl & T_UNREL); j++)
				;
			n = gz_longest(x, i, j, GZ_ENTITY, &gs);
			if (n > 0 && !is_stop(x, i)) {
				emit_slot(x, gs, i, n, 0);
				i += n;
			} else {
				i++;
			}
			continue;
		}
		if (!name_like(x, i)) {
			i++;
			continue;
		}
		j = i + 1;
		for (;;) {
			if (name_like(x, j) && !(x->t[j].fl & T_SSTART)) {
				j++;
				continue;
			}
			if (!is_connector(x, j) || key_is(x, j, "the") || (x->t[j].fl & T_SSTART))
				break;
			for (k = j; is_connector(x, k) && k - j < 3; k++)
				;
			if (!name_like(x, k) || (x->t[k].fl & T_SSTART))
				break;
			j = k + 1;
		}
		do_run(x, i, j, 0);
		i = j;
	}
}

static void ex_free(struct ex *x)
{
	size_t i, j;

	for (i = 0; i < x->ne; i++) {
		free(x->e[i].name);
		free(x->e[i].norm);
		free(x->e[i].core);
		for (j = 0; j < x->e[i].naliases; j++)
			free(x->e[i].aliases[j]);
		free(x->e[i].aliases);
	}
	free(x->e);
	free(x->t);
	buf_free(&x->keys);
	free(x->lower);
	free(x->capmid);
	free(x->u);
	free(x->acr);
}

/* 1 when alias (by entity_norm) is already m's name or one of its aliases. */
static int mention_has(const struct entity_mention *m, const char *norm)
{
	size_t i;
	int has = 0;
	char *n = entity_norm(m->name);

	has = strcmp(n, norm) == 0;
	free(n);
	for (i = 0; !has && i < m->naliases; i++) {
		n = entity_norm(m->aliases[i]);
		has = strcmp(n, norm) == 0;
		free(n);
	}
	return has;
}

/* Merge the entities found into a->ents: given ones absorb their match, the rest are added. */
static void merge(struct ex *x, struct article *a)
{
	size_t ngiven = a->nents, i, g, j;

	for (i = 0; i < x->ne; i++) {
		struct fent *f = &x->e[i];
		struct entity_mention *m = NULL;

		for (g = 0; g < ngiven && m == NULL; g++) {
			if (a->ents[g].type != f->type)
				continue;
			if (mention_has(&a->ents[g], f->norm))
				m = &a->ents[g];
			for (j = 0; m == NULL && j < f->naliases; j++) {
				char *n = entity_norm(f->aliases[j]);

				if (mention_has(&a->ents[g], n))
					m = &a->ents[g];
				free(n);
			}
		}
		if (m != NULL) {
			char *n = entity_norm(f->name);

			m->count += f->count;
			if (!mention_has(m, n))
				entity_mention_add_alias(m, f->name);
			free(n);
		} else {
			m = article_add_entity(a, f->type, f->name, 0);
			m->count = f->count;
		}
		for (j = 0; j < f->naliases; j++) {
			char *n = entity_norm(f->aliases[j]);

			if (!mention_has(m, n))
				entity_mention_add_alias(m, f->aliases[j]);
			free(n);
		}
	}
}

void extract_article(struct article *a)
{
	struct ex x;
	const char *place = NULL;
	size_t plen = 0, off = 0;

	if (a == NULL || extract_init(NULL) < 0)
		return;
	/* given codes ("usa", "yeutter") take their names first, so extraction merges into them */
	canon_given(a);
	memset(&x, 0, sizeof(x));
	if (a->body != NULL)
		off = body_dateline(a->body, &place, &plen);
	if (off == 0)
		extra_dateline(a->extra_json, &place, &plen);
	if (a->title != NULL)
		tokenize(&x, a->title, strlen(a->title), 1);
	if (a->body != NULL)
		tokenize(&x, a->body + off, strlen(a->body + off), 0);
	mark_shouting(&x);
	build_sets(&x);
	if (place != NULL && plen > 0)
		emit_dateline(&x, place, plen);
	scan(&x);
	resolve_unknowns(&x);
	merge(&x, a);
	canon_join_surnames(a);
	ex_free(&x);
}
