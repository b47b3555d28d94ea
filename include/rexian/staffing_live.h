/*
 * staffing_live.h: how many seats the current interval needs, from what the last one
 * measured: its arrival rate, handling time and (from abandons) callers' patience, sized
 * with Erlang C and Erlang A for the hotline's service-level target. rexiand shows it
 * next to the seats logged in ("需要座席 N / 在线 M").
 */
#ifndef REXIAN_STAFFING_LIVE_H
#define REXIAN_STAFFING_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "rexian/engine.h"

struct rx_staffing_config {
	int64_t interval_ms;     /* 30 min */
	double target;           /* service level wanted, e.g. 0.95 */
	double within_s;         /* its threshold, e.g. 30 */
	double max_abandon;      /* Erlang A's ceiling on P(abandon), e.g. 0.05 */
};

struct rx_staffing_row {
	int64_t measured_from_ms;   /* the last complete interval: [from, to) */
	int64_t measured_to_ms;
	uint64_t calls;             /* offered in it */
	double aht_s;               /* NAN: nothing completed */
	double patience_s;          /* NAN: nobody abandoned */
	double erlangs;             /* NAN without an AHT */
	int required_c;             /* -1: cannot size */
	int required_a;             /* -1: no patience measured, or cannot size */
};

/* Sizing for one scope (index from rx_scopes) at the engine's clock; needs per-minute
 * buckets. Returns -1 before the first event. */
int rx_staffing_live(struct rx_engine *e, const struct rx_staffing_config *cfg, uint32_t scope,
    struct rx_staffing_row *out);

#endif
