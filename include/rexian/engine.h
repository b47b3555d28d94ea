/*
 * engine.h: the whole computation from decoded events to windows, one object, the same
 * for `rexian replay` and `rexiand`: names are interned, calls tracked, facts counted in
 * windows and buckets, seats followed. The engine does no I/O and reads no clock of its
 * own: event times drive it, and its owner may move `now` forward (the wall clock).
 */
#ifndef REXIAN_ENGINE_H
#define REXIAN_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "rexian/calltrack.h"
#include "rexian/event.h"
#include "rexian/names.h"
#include "rexian/scope.h"
#include "rexian/seats.h"
#include "rexian/tz.h"
#include "rexian/window.h"

struct rx_engine_config {
	struct rx_thresholds th;           /* sl 30 s, long 600 s */
	struct rx_calltrack_config track;
	bool rolling;                      /* keep 15m/1h windows */
	bool buckets;                      /* keep per-minute/day buckets */
	char shifts[128];                  /* "08:00,16:00,00:00" */
};

struct rx_engine {
	struct rx_names *names;
	struct rx_scopes *scopes;
	struct rx_calltrack *calls;
	struct rx_windows *windows;
	struct rx_seats *seats;
	struct rx_tz tz;
	int64_t now;                       /* INT64_MIN before the first event */
	uint32_t default_queue;
};

struct rx_live_queue {
	uint32_t waiting;
	int64_t longest_wait_ms;
};

/* Gauges of this moment. queues is indexed by queue name id (below nqueues). */
struct rx_live {
	uint32_t waiting;
	int64_t longest_wait_ms;           /* -1: nobody waits */
	struct rx_seat_gauges seats;
	struct rx_live_queue *queues;
	uint32_t nqueues;
};

void rx_engine_config_default(struct rx_engine_config *cfg);
/* NULL on allocation failure or a malformed shift list. */
struct rx_engine *rx_engine_new(const struct rx_engine_config *cfg);
void rx_engine_free(struct rx_engine *e);

enum rx_track_result rx_engine_event(struct rx_engine *e, const struct rx_event *ev);
/* Move the clock forward (never back) and fire what is due. */
void rx_engine_advance(struct rx_engine *e, int64_t now_ms);
/* End of input: settle calls that wait only on the reorder grace. */
void rx_engine_finish(struct rx_engine *e);
/* Fills live; free with rx_live_release. */
void rx_engine_live(struct rx_engine *e, struct rx_live *live);
void rx_live_release(struct rx_live *live);

#endif
