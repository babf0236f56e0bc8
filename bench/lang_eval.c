/*
 * lang_eval — accuracy of the language detector (index/langdetect.c) on labelled paragraphs:
 * reads "lang<TAB>text" lines (bench/lang_eval_set.py makes them from Debian's translated
 * manual pages), prints per-language accuracy, what it was confused with, and the speed.
 * Languages with fewer than MIN_PARAS paragraphs are listed but not in the macro average.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "langdetect.h"

#define MAX_LANGS 64
#define MIN_PARAS 20

struct row {
	char lang[4];
	int n, ok;
	char wrong[MAX_LANGS][3];
	int nwrong[MAX_LANGS];
	int kinds;
};

static struct row rows[MAX_LANGS];
static int nrows;

static struct row *row_of(const char *lang)
{
	int i;

	for (i = 0; i < nrows; i++)
		if (strcmp(rows[i].lang, lang) == 0)
			return &rows[i];
	if (nrows == MAX_LANGS)
		return NULL;
	snprintf(rows[nrows].lang, sizeof(rows[nrows].lang), "%s", lang);
	return &rows[nrows++];
}

static void count_wrong(struct row *r, const char *got)
{
	int i;

	for (i = 0; i < r->kinds; i++)
		if (strcmp(r->wrong[i], got) == 0) {
			r->nwrong[i]++;
			return;
		}
	if (r->kinds < MAX_LANGS) {
		memcpy(r->wrong[r->kinds], got, 3);
		r->nwrong[r->kinds++] = 1;
	}
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0, bytes = 0;
	ssize_t len;
	double secs = 0, sum = 0;
	int i, k, used = 0, total = 0, ok = 0;

	while ((len = getline(&line, &cap, stdin)) > 0) {
		char *tab = strchr(line, '\t'), got[3];
		struct timespec a, b;
		struct row *r;

		if (tab == NULL || tab - line > 3)
			continue;
		*tab = '\0';
		if ((r = row_of(line)) == NULL)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &a);
		langdetect(tab + 1, (size_t)(len - (tab + 1 - line)), got);
		clock_gettime(CLOCK_MONOTONIC, &b);
		secs += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		bytes += (size_t)(len - (tab + 1 - line));
		r->n++;
		if (strcmp(got, r->lang) == 0)
			r->ok++;
		else
			count_wrong(r, got);
	}
	free(line);
	printf("language detection (index/langdetect.c) on paragraphs of Debian's translated "
	       "manual pages\n(/usr/share/man/<lang>/man1, English from /usr/share/man/man1; "
	       "bench/lang_eval_set.py)\n\n");
	printf("%-5s %6s %9s   %s\n", "lang", "paras", "accuracy", "taken for");
	for (i = 0; i < nrows; i++) {
		struct row *r = &rows[i];

		printf("%-5s %6d %9.3f  ", r->lang, r->n, r->n ? (double)r->ok / r->n : 0.0);
		for (k = 0; k < r->kinds; k++)
			printf(" %s:%d", r->wrong[k], r->nwrong[k]);
		printf("%s\n", r->n < MIN_PARAS ? "   (too few paragraphs: not averaged)" : "");
		total += r->n;
		ok += r->ok;
		if (r->n >= MIN_PARAS) {
			sum += (double)r->ok / r->n;
			used++;
		}
	}
	printf("\n%d languages with >= %d paragraphs: mean accuracy %.3f; all %d paragraphs: "
	       "%.3f\n", used, MIN_PARAS, used ? sum / used : 0.0, total,
	       total ? (double)ok / total : 0.0);
	printf("speed: %.1f MB/s (%.2f us per paragraph)\n", secs > 0 ? bytes / secs / 1e6 : 0.0,
	       total ? secs * 1e6 / total : 0.0);
	return used >= 8 && sum / used >= 0.95 ? 0 : 1;
}
