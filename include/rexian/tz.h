/*
 * tz.h: local calendar time for day and shift boundaries and bucket keys.
 *
 * The zone is the process's (TZ, set once by rx_tz_init before anything else runs), read
 * through localtime_r/mktime and cached per day, so a fact costs no zone lookup unless it
 * crosses midnight. Zones whose offset changes inside a day (DST) are read at the day's
 * start; the hotlines' zone, Asia/Shanghai, has no DST.
 */
#ifndef REXIAN_TZ_H
#define REXIAN_TZ_H

#include <stdbool.h>
#include <stdint.h>

#define RX_TZ_MAX_SHIFTS 12

struct rx_tz {
	int64_t day_start_ms;   /* cached local day: [start, end) */
	int64_t day_end_ms;
	int32_t day_code;       /* YYYYMMDD of the cached day */
	int nshifts;
	int shift_min[RX_TZ_MAX_SHIFTS];  /* shift starts, minutes after local midnight, sorted */
};

/* Set the process time zone ("Asia/Shanghai"); -1 if the zone database lacks it. */
int rx_tz_init(const char *zone);
/* Parse "08:00,16:00,00:00" into the shift starts; -1 on a malformed list. */
int rx_tz_set_shifts(struct rx_tz *tz, const char *list);
void rx_tz_reset(struct rx_tz *tz);

/* Start of the local day containing ms, and its YYYYMMDD. */
int64_t rx_tz_day_start(struct rx_tz *tz, int64_t ms, int32_t *day_code);
/* YYYYMMDDHHMM of the local minute containing ms. */
int64_t rx_tz_minute_code(struct rx_tz *tz, int64_t ms);
/* Start of the latest shift beginning at or before ms (local day start if no shifts). */
int64_t rx_tz_shift_start(struct rx_tz *tz, int64_t ms);
/* The first boundary (day or shift start) strictly after ms. */
int64_t rx_tz_next_day(struct rx_tz *tz, int64_t ms);
int64_t rx_tz_next_shift(struct rx_tz *tz, int64_t ms);

#endif
