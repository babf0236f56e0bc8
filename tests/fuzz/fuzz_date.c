/*
 * fuzz_date.c — libFuzzer target for date_parse (index/date.c).
 *
 * Invariants: an error carries a message; a parsed date formats to a string that parses back
 * to the same second (date-only for date_format_day); civil days round-trip.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t t = 0, back = 0, y;
	int date_only = -1, d2 = -1;
	char *err = NULL, out[21], day[11];
	unsigned m, d;

	if (date_parse((const char *)data, size, &t, &date_only, &err) < 0) {
		if (err == NULL || err[0] == '\0')
			abort();
		free(err);
		return 0;
	}
	if (err != NULL || (date_only != 0 && date_only != 1))
		abort();
	date_format(t, out);
	if (date_parse(out, strlen(out), &back, &d2, &err) < 0 || back != t || d2 != 0) {
		fprintf(stderr, "round trip: %lld -> '%s' -> %lld (%s)\n", (long long)t, out,
			(long long)back, err ? err : "ok");
		abort();
	}
	date_format_day(t, day);
	if (date_parse(day, strlen(day), &back, &d2, &err) < 0 || d2 != 1 || back > t ||
	    t - back >= 86400)
		abort();
	date_civil_from_days(back / 86400 - (back % 86400 < 0), &y, &m, &d);
	if (date_days_from_civil(y, m, d) * 86400 != back)
		abort();
	return 0;
}
