#ifndef NEWSD_DATE_H
#define NEWSD_DATE_H
/*
 * date — ISO 8601 in and out, always UTC inside newsd.
 * Accepted input: "2026-01-07", "2026-01-07T15:04:05Z", "2026-01-07T15:04:05+01:00",
 * "2026-01-07T15:04:05.123Z" (fraction dropped), "2026-01-07 15:04:05" (space, taken as UTC),
 * "2026-01-07T15:04Z". Years 0001–9999. Anything else is an error.
 */
#include <stddef.h>
#include <stdint.h>

/* Parse s[0..len). On success returns 0, sets *out to seconds since the epoch (UTC) and
 * *date_only (if not NULL) to 1 when no time was given. On failure returns -1 with *errmsg
 * set to a readable reason, e.g. "month 13 is out of range in '2026-13-01'". */
int date_parse(const char *s, size_t len, int64_t *out, int *date_only, char **errmsg);

/* Format as "YYYY-MM-DDThh:mm:ssZ" (21 bytes with the NUL). */
void date_format(int64_t t, char out[21]);
/* Format as "YYYY-MM-DD" (11 bytes with the NUL). */
void date_format_day(int64_t t, char out[11]);

/* Days since 1970-01-01 for a civil date, and back (proleptic Gregorian). */
int64_t date_days_from_civil(int64_t y, unsigned m, unsigned d);
void date_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
