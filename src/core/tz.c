/*
 * tz.c: local days, minutes and shifts, with the current day cached.
 */
#include "rexian/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int rx_tz_init(const char *zone)
{
	char path[512];

	if (zone == NULL || *zone == '\0')
		return -1;
	/* glibc silently falls back to UTC for an unknown zone: check the database first */
	if (zone[0] != ':' && strcmp(zone, "UTC") != 0) {
		snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
		if (access(path, R_OK) != 0)
			return -1;
	}
	setenv("TZ", zone, 1);
	tzset();
	return 0;
}

void rx_tz_reset(struct rx_tz *tz)
{
	tz->day_start_ms = 1;
	tz->day_end_ms = 0;   /* empty range: nothing cached */
}

int rx_tz_set_shifts(struct rx_tz *tz, const char *list)
{
	int n = 0;
	const char *p = list;

	while (*p != '\0') {
		int h, m, used;
		if (n == RX_TZ_MAX_SHIFTS || sscanf(p, "%d:%d%n", &h, &m, &used) != 2 ||
		    h < 0 || h > 23 || m < 0 || m > 59)
			return -1;
		tz->shift_min[n++] = h * 60 + m;
		p += used;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -1;
	}
	/* sorted, so the latest start before a time is a short scan */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && tz->shift_min[j - 1] > tz->shift_min[j]; j--) {
			int t = tz->shift_min[j];
			tz->shift_min[j] = tz->shift_min[j - 1];
			tz->shift_min[j - 1] = t;
		}
	tz->nshifts = n;
	return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void tz_cache_day(struct rx_tz *tz, int64_t ms)
{
	time_t t = (time_t)floor_div(ms, 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	tz->day_start_ms = (int64_t)mktime(&tm) * 1000;
	tz->day_code = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	tm.tm_mday += 1;
	tm.tm_hour = 0;
	tm.tm_isdst = -1;
	tz->day_end_ms = (int64_t)mktime(&tm) * 1000;
}

int64_t rx_tz_day_start(struct rx_tz *tz, int64_t ms, int32_t *day_code)
{
	if (ms < tz->day_start_ms || ms >= tz->day_end_ms)
		tz_cache_day(tz, ms);
	if (day_code != NULL)
		*day_code = tz->day_code;
	return tz->day_start_ms;
}

int64_t rx_tz_minute_code(struct rx_tz *tz, int64_t ms)
{
	int32_t day;
	int64_t start = rx_tz_day_start(tz, ms, &day);
	int64_t minute = (ms - start) / 60000;

	return (int64_t)day * 10000 + (minute / 60) * 100 + minute % 60;
}

int64_t rx_tz_shift_start(struct rx_tz *tz, int64_t ms)
{
	int64_t day = rx_tz_day_start(tz, ms, NULL);
	int64_t best;

	if (tz->nshifts == 0)
		return day;
	for (int i = tz->nshifts - 1; i >= 0; i--)
		if (day + tz->shift_min[i] * 60000LL <= ms)
			return day + tz->shift_min[i] * 60000LL;
	/* before today's first shift: yesterday's last one */
	best = rx_tz_day_start(tz, day - 1, NULL) + tz->shift_min[tz->nshifts - 1] * 60000LL;
	rx_tz_day_start(tz, ms, NULL);
	return best;
}

int64_t rx_tz_next_day(struct rx_tz *tz, int64_t ms)
{
	rx_tz_day_start(tz, ms, NULL);
	return tz->day_end_ms;
}

int64_t rx_tz_next_shift(struct rx_tz *tz, int64_t ms)
{
	int64_t day = rx_tz_day_start(tz, ms, NULL);

	for (int i = 0; i < tz->nshifts; i++)
		if (day + tz->shift_min[i] * 60000LL > ms)
			return day + tz->shift_min[i] * 60000LL;
	return tz->nshifts ? rx_tz_next_day(tz, ms) + tz->shift_min[0] * 60000LL : tz->day_end_ms;
}
