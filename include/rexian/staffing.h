/*
 * staffing.h: the measured mode of seat sizing, as pure interval arithmetic. A scope's
 * per-minute counters (from the engine's minute buckets or from Redis `min:` hashes) and
 * the seats logged in (from seat events, or rexiand's per-minute samples) are summed into
 * the intervals of one local day; each interval's offered calls, handling time and
 * abandons give its offered load and the callers' patience, and Erlang C and A
 * (rexian/erlang.h) say how many agents it needed. `rexian staff --from/--redis` drives
 * these; the live block of rexiand has its own, smaller, rexian/staffing_live.h.
 *
 * Patience is the exponential maximum-likelihood estimate with censoring: every offered
 * caller was at risk of hanging up for as long as it waited (answered callers' waits are
 * censored patiences), so the rate is abandons / total waiting time and the mean patience
 * is (wait_ms + abandon_wait_ms) / abandoned.
 *
 * Ownership: the day store and the seat log own their memory (_new/_free); pointers into
 * the store stay valid until the next call that creates a day or until _free. The other
 * functions work on arrays the caller owns and keep nothing.
 */
#ifndef REXIAN_STAFFING_H
#define REXIAN_STAFFING_H

#include <stdbool.h>
#include <stdint.h>

#include "rexian/erlang.h"
#include "rexian/metrics.h"

#define RX_STAFFING_DAY_MINUTES 1440

/* One local minute of a scope. */
struct rx_staffing_minute {
	struct rx_counters c; /* additive counters of the facts stamped in the minute */
	double seats_avg;     /* seats logged in, time-weighted mean; NAN: not known */
	double seats_max;     /* and their peak; NAN: not known */
};

/* One interval of the day: its sums, then what sizing made of them. */
struct rx_staffing_interval {
	struct rx_counters c;
	double seats_mean;    /* mean of the minutes whose seats are known; NAN: none are */
	double seats_peak;    /* peak of those minutes; NAN: none are */
	int    seat_minutes;  /* minutes whose seats are known */
	double aht_s;         /* measured talk + after-call work; NAN: nothing completed */
	double patience_s;    /* measured; NAN: nobody abandoned */
	double erlangs;       /* offered load sized on; NAN: no AHT, not even the day's */
	int    required_c;    /* Erlang C agents; -1: not sized */
	int    required_a;    /* Erlang A agents; -1: no patience or not sized */
	int    understaffed;  /* seats_mean < required (A if sized, else C): 1, 0, -1 unknown */
};

/* How the intervals are sized. */
struct rx_staffing_sizing {
	double interval_s;          /* interval length */
	double acw_s;               /* after-call work added to the measured talk time */
	double fallback_aht_s;      /* for intervals where nothing completed; NAN: none */
	double patience_s;          /* for Erlang A; NAN: Erlang C only */
	struct rx_erlang_goal goal;
};

/* The day as a whole. */
struct rx_staffing_day {
	struct rx_counters c;
	double aht_s, patience_s;   /* over the whole day, as defined per interval */
	double seats_mean;          /* time-weighted over the minutes whose seats are known */
	double seats_peak;
	int    seat_minutes;
	int    peak_interval;       /* most offered calls, earliest on ties; -1: no calls */
	int    understaffed;        /* intervals flagged */
};

/* Counters all zero, seats unknown. */
void rx_staffing_minutes_clear(struct rx_staffing_minute *m, int n);
/* Splits a local minute code YYYYMMDDHHMM into the day YYYYMMDD and the minute of the day;
 * -1 if it is not one. */
int rx_staffing_minute_split(int64_t code, int32_t *day, int *minute);

/* Mean talk per completed call plus acw_s, in seconds; NAN when nothing completed. */
double rx_staffing_aht_s(const struct rx_counters *c, double acw_s);
/* Mean patience in seconds (see above); NAN when nobody abandoned. */
double rx_staffing_patience_s(const struct rx_counters *c);

/* Sums the day's minutes into RX_STAFFING_DAY_MINUTES / interval_min intervals (it must
 * divide the day); measured AHT and patience are filled in, sizing fields left unsized. */
int rx_staffing_aggregate(const struct rx_staffing_minute *m, int interval_min, double acw_s,
    struct rx_staffing_interval *out);
/* Offered load and required agents of one interval, and its under-staffing flag. */
void rx_staffing_size(struct rx_staffing_interval *iv, const struct rx_staffing_sizing *s);
void rx_staffing_summarise(const struct rx_staffing_interval *iv, int n, double acw_s,
    struct rx_staffing_day *out);

/* Per-minute counters of one scope, for every local day seen. */
struct rx_staffing_days;
struct rx_staffing_days *rx_staffing_days_new(void);
void rx_staffing_days_free(struct rx_staffing_days *d);
/* The day's RX_STAFFING_DAY_MINUTES minutes, created cleared if `create`; NULL if absent
 * (or out of memory). */
struct rx_staffing_minute *rx_staffing_days_get(struct rx_staffing_days *d, int32_t day,
    bool create);
/* The day (YYYYMMDD) with the most offered calls, the earliest on ties; 0 when none. */
int32_t rx_staffing_days_busiest(const struct rx_staffing_days *d);

/* Seats logged in over time, from seat events: a seat counts from login, ready or
 * notready until logout. */
struct rx_staffing_seatlog;
struct rx_staffing_seatlog *rx_staffing_seatlog_new(void);
void rx_staffing_seatlog_free(struct rx_staffing_seatlog *log);
/* A seat (a small dense id, e.g. a name id) changes state at ts_ms. An event older than the
 * seat's latest is ignored, as the engine does (a reordered feed). -1 out of memory. */
int rx_staffing_seatlog_event(struct rx_staffing_seatlog *log, uint32_t seat, bool logged_in,
    int64_t ts_ms);
/* Seat events accepted so far. */
uint64_t rx_staffing_seatlog_events(const struct rx_staffing_seatlog *log);
/* Fills seats_avg and seats_max of the n minutes starting at start_ms. */
void rx_staffing_seatlog_minutes(struct rx_staffing_seatlog *log, int64_t start_ms,
    struct rx_staffing_minute *m, int n);

#endif
