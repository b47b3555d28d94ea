/*
 * calltrack.h: the life of each call, from its events to facts.
 *
 * A call is a small state machine over three independent events (offer, answer, hangup)
 * that may arrive in any order, repeated, with skewed clocks. It emits a fact as soon as
 * the sorted feed would know it, stamped with the time the sorted feed would know it, so
 * counts never depend on arrival order. Two timeouts bound memory: a call with no offer
 * within the reorder grace is an orphan, a call still open after max_call_age is stale.
 * Finished calls stay a short while as dedup memory so that repeats are recognised.
 *
 * The tracker owns its records. Facts go to the callback given at creation, synchronously,
 * from rx_calltrack_event, rx_calltrack_advance and rx_calltrack_finish.
 */
#ifndef REXIAN_CALLTRACK_H
#define REXIAN_CALLTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "rexian/event.h"
#include "rexian/metrics.h"

struct rx_calltrack_config {
	int64_t reorder_ms;      /* how late an event of a call may arrive (default 10 s) */
	int64_t max_call_age_ms; /* close a call this long after it started (default 4 h) */
	int64_t dedup_ms;        /* remember a finished call this long (default 10 min) */
	uint32_t max_calls;      /* records kept at most; the one due soonest is closed early */
};

/* One call event with its names already interned. */
struct rx_call_event {
	int64_t ts_ms;
	enum rx_event_kind kind;     /* offer, answer or hangup */
	bool outbound;
	uint64_t id[2];              /* 128-bit hash of the call id */
	uint32_t queue, platform, seat, outcome;
};

enum rx_track_result {
	RX_TRACK_OK,
	RX_TRACK_DUPLICATE,  /* same call, same event: ignored, first wins */
	RX_TRACK_LATE,       /* a finished call's event that came after its decision */
};

struct rx_calltrack_stats {
	uint64_t duplicates;
	uint64_t orphans;    /* calls that never got an offer */
	uint64_t clock_skew; /* answer before offer, or hangup before answer or offer */
	uint64_t late;
	uint64_t stale;
	uint64_t evicted;    /* closed early because max_calls was reached */
	uint32_t open;       /* calls in flight */
	uint32_t records;    /* in flight plus dedup memory */
};

/* A call waiting in queue, for live gauges. */
struct rx_waiting_call {
	int64_t offer_ms;
	uint32_t queue, platform;
};

typedef void (*rx_fact_cb)(const struct rx_fact *fact, void *arg);
typedef void (*rx_waiting_cb)(const struct rx_waiting_call *call, void *arg);

struct rx_calltrack;

void rx_calltrack_config_default(struct rx_calltrack_config *cfg);
struct rx_calltrack *rx_calltrack_new(const struct rx_calltrack_config *cfg,
    rx_fact_cb on_fact, void *arg);
void rx_calltrack_free(struct rx_calltrack *ct);

/* The caller advances the clock first (rx_calltrack_advance) to at least ev->ts_ms. */
enum rx_track_result rx_calltrack_event(struct rx_calltrack *ct, const struct rx_call_event *ev);
/* Fire every timeout due at or before now. */
void rx_calltrack_advance(struct rx_calltrack *ct, int64_t now_ms);
/* End of input: settle every call whose outcome waits only on the reorder grace. */
void rx_calltrack_finish(struct rx_calltrack *ct);
void rx_calltrack_foreach_waiting(const struct rx_calltrack *ct, rx_waiting_cb cb, void *arg);
const struct rx_calltrack_stats *rx_calltrack_stats(const struct rx_calltrack *ct);
/* Bytes of memory the tracker holds, for the benchmark's bytes-per-call figure. */
size_t rx_calltrack_memory(const struct rx_calltrack *ct);

/* 128-bit id of a call id string. */
void rx_calltrack_hash_id(const char *s, size_t len, uint64_t id[2]);

#endif
