/*
 * date.c — ISO 8601 dates in and out, UTC only; see date.h.
 *
 * Nothing here asks libc about time zones: timegm/mktime/strptime depend on TZ and the locale,
 * and newsd must give the same epoch second for the same text on every machine. The calendar
 * arithmetic is the proleptic Gregorian one, done on days counted from 1970-01-01 in 400-year
 * eras (146097 days each), so it is exact for every year we accept.
 *
 * Accepted, after trimming surrounding ASCII white space:
 *   YYYY-MM-DD
 *   YYYY-MM-DD(T|t|space)hh:mm[:ss[(.|,)fraction]][zone]
 *   zone = Z | z | ±hh | ±hh:mm | ±hhmm        (no zone: UTC)
 * Seconds 60 (a leap second) are taken as 59: the epoch has no leap seconds and an article
 * dated 23:59:60 belongs to that day. 24:00 and 24:00:00 (ISO 8601's end of day) are accepted
 * and mean 00:00 of the next day; any other time with hour 24 is an error.
 */
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "util.h"

#define SECS_PER_DAY 86400

/* Days from 0000-03-01 to 1970-01-01: the eras start on March 1st so that the leap day is
 * the last day of the (shifted) year. */
#define DAYS_0000_03_01_TO_EPOCH 719468
#define DAYS_PER_ERA 146097

int64_t date_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;
	int64_t mm = (int64_t)m;

	/* Count years from March so January and February belong to the previous year. */
	if (mm <= 2)
		y -= 1;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;				/* [0, 399] */
	mm = mm > 2 ? mm - 3 : mm + 9;			/* March = 0 … February = 11 */
	doy = (153 * mm + 2) / 5 + (int64_t)d - 1;	/* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* [0, 146096] */
	return era * DAYS_PER_ERA + doe - DAYS_0000_03_01_TO_EPOCH;
}

void date_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + DAYS_0000_03_01_TO_EPOCH;
	int64_t era = (z >= 0 ? z : z - (DAYS_PER_ERA - 1)) / DAYS_PER_ERA;
	int64_t doe = z - era * DAYS_PER_ERA;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;		/* March = 0 */
	int64_t month = mp < 10 ? mp + 3 : mp - 9;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)month;
	*y = yoe + era * 400 + (month <= 2 ? 1 : 0);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Read exactly n decimal digits at s[*i]; -1 when there are not n digits. */
static int digits(const char *s, size_t len, size_t *i, int n)
{
	int v = 0, k;

	if (len - *i < (size_t)n)
		return -1;
	for (k = 0; k < n; k++) {
		char c = s[*i + (size_t)k];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)n;
	return v;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Copy at most 40 bytes of the input into quote[] for an error message, with anything that is
 * not printable ASCII shown as '?': the message may end up in JSON or a terminal, and the
 * input may be arbitrary bytes.
 */
static void quote_input(const char *s, size_t len, char quote[48])
{
	size_t i, n = len > 40 ? 40 : len;

	for (i = 0; i < n; i++)
		quote[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (len > n) {
		memcpy(quote + n, "...", 3);
		n += 3;
	}
	quote[n] = '\0';
}

/*
 * Parse an ISO 8601 date or date-time (forms in the file comment). On error *errmsg names the
 * part that is wrong and quotes the input, e.g. "day 30 is out of range for 2025-02 in
 * '2025-02-30'".
 */
int date_parse(const char *s, size_t len, int64_t *out, int *date_only, char **errmsg)
{
	char q[48];
	size_t i = 0;
	int year, month, day, hour = 0, min = 0, sec = 0, off = 0, only = 1;
	int64_t days, t;

	while (len > 0 && is_space(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	quote_input(s, len, q);
	if (len == 0)
		return set_error(errmsg, "empty date");

	year = digits(s, len, &i, 4);
	if (year < 0)
		return set_error(errmsg, "expected a four-digit year at the start of '%s' "
				 "(dates are ISO 8601, e.g. 2026-01-07)", q);
	if (year == 0)
		return set_error(errmsg, "year 0000 is out of range 0001-9999 in '%s'", q);
	if (i >= len || s[i] != '-')
		return set_error(errmsg, "expected '-' after the year in '%s' "
				 "(dates are ISO 8601, e.g. 2026-01-07)", q);
	i++;
	month = digits(s, len, &i, 2);
	if (month < 0)
		return set_error(errmsg, "expected a two-digit month in '%s'", q);
	if (month < 1 || month > 12)
		return set_error(errmsg, "month %02d is out of range in '%s'", month, q);
	if (i >= len || s[i] != '-')
		return set_error(errmsg, "expected '-' after the month in '%s'", q);
	i++;
	day = digits(s, len, &i, 2);
	if (day < 0)
		return set_error(errmsg, "expected a two-digit day in '%s'", q);
	if (day < 1 || (unsigned)day > days_in_month(year, (unsigned)month))
		return set_error(errmsg, "day %02d is out of range for %04d-%02d in '%s'",
				 day, year, month, q);

	if (i < len) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return set_error(errmsg, "unexpected '%c' after the date in '%s' "
					 "(expected 'T' and a time)", q[i], q);
		i++;
		only = 0;
		hour = digits(s, len, &i, 2);
		if (hour < 0)
			return set_error(errmsg, "expected a two-digit hour in '%s'", q);
		if (i >= len || s[i] != ':')
			return set_error(errmsg, "expected ':' after the hour in '%s'", q);
		i++;
		min = digits(s, len, &i, 2);
		if (min < 0)
			return set_error(errmsg, "expected two-digit minutes in '%s'", q);
		if (i < len && s[i] == ':') {
			i++;
			sec = digits(s, len, &i, 2);
			if (sec < 0)
				return set_error(errmsg, "expected two-digit seconds in '%s'", q);
			if (i < len && (s[i] == '.' || s[i] == ',')) {
				size_t start = ++i;

				while (i < len && s[i] >= '0' && s[i] <= '9')
					i++;
				if (i == start)
					return set_error(errmsg, "expected digits after the "
							 "decimal point in '%s'", q);
			}
		}
		if (hour > 24 || (hour == 24 && (min != 0 || sec != 0)))
			return set_error(errmsg, "hour %02d is out of range in '%s'", hour, q);
		if (min > 59)
			return set_error(errmsg, "minute %02d is out of range in '%s'", min, q);
		if (sec > 60)
			return set_error(errmsg, "second %02d is out of range in '%s'", sec, q);
		if (sec == 60)
			sec = 59;

		if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < len && (s[i] == '+' || s[i] == '-')) {
			int sign = s[i] == '-' ? -1 : 1, oh, om = 0;

			i++;
			oh = digits(s, len, &i, 2);
			if (oh < 0)
				return set_error(errmsg, "expected a two-digit hour in the UTC "
						 "offset of '%s'", q);
			if (i < len && s[i] == ':') {
				i++;
				om = digits(s, len, &i, 2);
				if (om < 0)
					return set_error(errmsg, "expected two-digit minutes in "
							 "the UTC offset of '%s'", q);
			} else if (i < len) {
				om = digits(s, len, &i, 2);
				if (om < 0)
					return set_error(errmsg, "bad UTC offset in '%s' (expected "
							 "+hh:mm, +hhmm or Z)", q);
			}
			if (oh > 23 || om > 59)
				return set_error(errmsg, "UTC offset %c%02d:%02d is out of range "
						 "in '%s'", sign < 0 ? '-' : '+', oh, om, q);
			off = sign * (oh * 3600 + om * 60);
		}
		if (i < len)
			return set_error(errmsg, "unexpected text '%s' after the time in '%s'",
					 q + (i < strlen(q) ? i : strlen(q)), q);
	}

	days = date_days_from_civil(year, (unsigned)month, (unsigned)day);
	/* A local time minus its offset is UTC: 10:00+01:00 is 09:00Z. */
	t = days * SECS_PER_DAY + hour * 3600 + min * 60 + sec - off;
	/* 24:00, a leap second or an offset can carry an edge date out of the range that
	 * date_format writes (it would clamp, and the date would not read back the same) */
	if (t < date_days_from_civil(1, 1, 1) * SECS_PER_DAY ||
	    t >= (date_days_from_civil(9999, 12, 31) + 1) * SECS_PER_DAY)
		return set_error(errmsg, "'%s' is outside 0001-01-01 to 9999-12-31 in UTC", q);
	*out = t;
	if (date_only)
		*date_only = only;
	return 0;
}

/* Write v as exactly n decimal digits (v is already in range). */
static void put_digits(char *p, int64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * Split t into civil parts, clamped to 0001-01-01T00:00:00Z … 9999-12-31T23:59:59Z so the
 * fixed-width output never overflows (only corrupt data can be outside that range).
 */
static void split(int64_t t, int64_t *y, unsigned *m, unsigned *d, int64_t *secs)
{
	const int64_t lo = date_days_from_civil(1, 1, 1) * SECS_PER_DAY;
	const int64_t hi = date_days_from_civil(9999, 12, 31) * SECS_PER_DAY + SECS_PER_DAY - 1;
	int64_t days;

	if (t < lo)
		t = lo;
	if (t > hi)
		t = hi;
	days = t / SECS_PER_DAY;
	*secs = t % SECS_PER_DAY;
	if (*secs < 0) {
		*secs += SECS_PER_DAY;
		days--;
	}
	date_civil_from_days(days, y, m, d);
}

void date_format_day(int64_t t, char out[11])
{
	int64_t y, secs;
	unsigned m, d;

	split(t, &y, &m, &d, &secs);
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = '\0';
}

void date_format(int64_t t, char out[21])
{
	int64_t y, secs;
	unsigned m, d;

	/* the day as date_format_day writes it, then the time of day */
	date_format_day(t, out);
	split(t, &y, &m, &d, &secs);
	out[10] = 'T';
	put_digits(out + 11, secs / 3600, 2);
	out[13] = ':';
	put_digits(out + 14, secs / 60 % 60, 2);
	out[16] = ':';
	put_digits(out + 17, secs % 60, 2);
	out[19] = 'Z';
	out[20] = '\0';
}
