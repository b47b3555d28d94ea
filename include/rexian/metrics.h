/*
 * metrics.h: the additive counters every scope and window keeps, and the published
 * figures derived from them. The counters add and subtract (windows slide by removing
 * what ages out; several collectors' per-minute buckets can be summed); the figures are
 * computed only when someone reads them.
 *
 * A fact is one thing that became known about one call at one time: it was answered
 * (with its wait), abandoned, completed (with its talk time) or closed as stale. Call
 * tracking emits facts; windows count them.
 */
#ifndef REXIAN_METRICS_H
#define REXIAN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rx_fact_kind {
	RX_FACT_ANSWERED,   /* offer and answer known: dur_ms = wait */
	RX_FACT_ABANDONED,  /* offer and hangup, no answer (yet: may be retracted): dur_ms = time waited */
	RX_FACT_COMPLETED,  /* an answered call hung up: dur_ms = talk */
	RX_FACT_STALE,      /* closed after max_call_age without a hangup */
};

struct rx_fact {
	int64_t ts_ms;       /* when, in the sorted feed, it became known */
	int64_t dur_ms;      /* wait or talk, never negative */
	uint32_t queue;      /* name ids; 0 = none */
	uint32_t platform;
	uint32_t seat;       /* the answering seat, 0 if never answered */
	uint32_t outcome;    /* disposition code from the hangup, 0 if none */
	uint8_t kind;        /* enum rx_fact_kind */
	bool outbound;
	bool retract;        /* withdraws an identical fact emitted earlier */
};

/* Service-level and long-talk thresholds, both boundaries as the metrics define them. */
struct rx_thresholds {
	int64_t sl_ms;       /* answered within: wait <= sl_ms */
	int64_t long_ms;     /* long talk: talk > long_ms */
};

struct rx_counters {
	uint64_t answered;
	uint64_t abandoned;
	uint64_t within_sl;
	uint64_t completed;
	uint64_t long_talks;
	uint64_t stale;
	int64_t wait_ms;     /* sum over answered */
	int64_t talk_ms;     /* sum over completed */
	int64_t max_talk_ms; /* -1: none */
	int64_t abandon_wait_ms; /* sum over abandoned: how long they waited (patience) */
};

#define RX_COUNTERS_INIT { 0, 0, 0, 0, 0, 0, 0, 0, -1, 0 }

/* sign +1 adds the fact, -1 removes it (max_talk_ms is left to the caller on removal). */
void rx_counters_apply(struct rx_counters *c, const struct rx_fact *f,
    const struct rx_thresholds *th, int sign);
void rx_counters_merge(struct rx_counters *into, const struct rx_counters *from);

enum rx_metric_type { RX_METRIC_COUNT, RX_METRIC_REAL, RX_METRIC_NULL };

struct rx_metric {
	const char *name;
	enum rx_metric_type type;
	uint64_t count;
	double real;
};

/* The published figures of a scope, in documentation order (README, "Metrics"). */
#define RX_METRICS_COUNT 13
void rx_metrics_derive(const struct rx_counters *c, struct rx_metric out[RX_METRICS_COUNT]);

/* The raw additive counters, as written to per-minute and per-day buckets. */
#define RX_RAW_COUNT 11
void rx_metrics_raw(const struct rx_counters *c, struct rx_metric out[RX_RAW_COUNT]);
/* The inverse, one field as read back from a bucket: false (c untouched) for a name that
 * is not a raw counter (`offered` is derived, so it is not one either). */
bool rx_counters_set_raw(struct rx_counters *c, const char *name, const char *value);

#endif
