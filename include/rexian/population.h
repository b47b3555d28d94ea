/*
 * population.h: seats per 100,000 residents (每十万人座席数), the figure provinces compare
 * cities by, for the hotline or one platform: the residents it serves (year-end 常住人口,
 * from the config), the seats staffed (logged in now, the day's peak and its time-weighted
 * mean) and the seats required (Erlang, now and at the day's busiest interval so far).
 */
#ifndef REXIAN_POPULATION_H
#define REXIAN_POPULATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rexian/engine.h"
#include "rexian/jsonw.h"

struct rx_population {
	char platform[128];      /* "" = the whole hotline */
	double residents;
	/* the current local day, in event time */
	int32_t day;
	uint32_t now_seats, peak_seats;
	double seat_ms;          /* integral of seats logged in over the day */
	int64_t day_start_ms, last_ms;
	int required_now, required_peak;   /* -1: not known */
};

/* "8526000" (the whole hotline) or "NAME=3210000" (a platform). -1 if malformed. */
int rx_population_parse(const char *text, struct rx_population *p);
/* One sample at the engine's clock: seats logged in now, seats required now (-1: unknown). */
void rx_population_sample(struct rx_population *p, struct rx_engine *e, uint32_t seats,
    int required);
/* {"platform", "residents", "seats": {"now", "peak", "mean"}, "required": {"now", "peak"},
 *  "seats_per_100k": {"now", "peak", "mean", "required_now", "required_peak"}} */
void rx_population_json(struct rx_jsonw *w, const struct rx_population *p);

#endif
