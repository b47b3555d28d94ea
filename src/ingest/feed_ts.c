/*
 * feed_ts.c: the feed's timestamp texts, read exactly to the millisecond.
 *
 * Two forms: epoch seconds with an optional fraction ("1772409630.186"), and RFC 3339
 * with a zone ("2026-03-02T08:00:30.186+08:00", "...Z"). Digits are read as integers, so
 * "1772413231.001" is 1772413231001 ms; a double times 1000, truncated, would say ...000.
 */
#include "rexian/feed.h"

#include <stdbool.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n digits at *p. */
static bool read_digits(const char **p, const char *end, int n, int *out)
{
	int v = 0;

	if (end - *p < n)
		return false;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p >= end || (**p != c && !(c == 'T' && (**p == 't' || **p == ' '))))
		return false;
	(*p)++;
	return true;
}

/* A fraction of a second after the '.', as milliseconds rounded half up (1000 allowed). */
static bool read_fraction_ms(const char **p, const char *end, int64_t *ms)
{
	int64_t v = 0;
	int digits = 0;
	bool round_up = false;

	while (*p < end && **p >= '0' && **p <= '9') {
		if (digits < 3)
			v = v * 10 + (**p - '0');
		else if (digits == 3)
			round_up = **p >= '5';
		digits++;
		(*p)++;
	}
	if (digits == 0)
		return false;
	for (int i = digits; i < 3; i++)
		v *= 10;
	*ms = v + round_up;
	return true;
}

static int parse_epoch(const char *p, const char *end, int64_t *ms)
{
	int64_t sec = 0, frac = 0;
	int digits = 0;

	while (p < end && *p >= '0' && *p <= '9' && digits < 12) {
		sec = sec * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0)
		return -1;
	if (p < end && *p == '.') {
		p++;
		if (!read_fraction_ms(&p, end, &frac))
			return -1;
	}
	if (p != end)
		return -1;
	*ms = sec * 1000 + frac;
	return 0;
}

static bool read_zone(const char **p, const char *end, int *offset_min)
{
	int hh, mm, sign;

	if (*p < end && (**p == 'Z' || **p == 'z')) {
		(*p)++;
		*offset_min = 0;
		return true;
	}
	if (*p >= end || (**p != '+' && **p != '-'))
		return false;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (!read_digits(p, end, 2, &hh) || !expect(p, end, ':') || !read_digits(p, end, 2, &mm))
		return false;
	if (hh > 23 || mm > 59)
		return false;
	*offset_min = sign * (hh * 60 + mm);
	return true;
}

static int parse_rfc3339(const char *p, const char *end, int64_t *ms)
{
	int y, mo, d, h, mi, s, off;
	int64_t frac = 0;

	if (!read_digits(&p, end, 4, &y) || !expect(&p, end, '-') ||
	    !read_digits(&p, end, 2, &mo) || !expect(&p, end, '-') ||
	    !read_digits(&p, end, 2, &d) || !expect(&p, end, 'T') ||
	    !read_digits(&p, end, 2, &h) || !expect(&p, end, ':') ||
	    !read_digits(&p, end, 2, &mi) || !expect(&p, end, ':') ||
	    !read_digits(&p, end, 2, &s))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
		return -1;
	if (p < end && *p == '.') {
		p++;
		if (!read_fraction_ms(&p, end, &frac))
			return -1;
	}
	if (!read_zone(&p, end, &off) || p != end)
		return -1;
	*ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) - off * 60LL) * 1000 +
	    frac;
	return 0;
}

/* Both forms give times after the epoch only, as a JSON number does: "0.001" is 1 ms,
 * and an RFC 3339 date before 1970 is refused rather than read as a negative time. */
int rx_feed_parse_ts(const char *s, size_t len, int64_t *ms)
{
	const char *end = s + len;
	int64_t v;
	int rc = len >= 5 && s[4] == '-' ? parse_rfc3339(s, end, &v) : parse_epoch(s, end, &v);

	if (rc != 0 || v <= 0)
		return -1;
	*ms = v;
	return 0;
}
