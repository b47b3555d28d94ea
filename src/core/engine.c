/*
 * engine.c: wires names, call tracking, windows and seats together.
 *
 * Order matters on every event: first the clock moves to the event's time (windows roll,
 * due timeouts fire), then the event is applied, so facts always reach windows that are
 * already at their time.
 */
#include "rexian/engine.h"

#include <stdlib.h>
#include <string.h>

void rx_engine_config_default(struct rx_engine_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->th.sl_ms = 30 * 1000;
	cfg->th.long_ms = 600 * 1000;
	rx_calltrack_config_default(&cfg->track);
	cfg->rolling = true;
	cfg->buckets = false;
	strcpy(cfg->shifts, "08:00,16:00,00:00");
}

static void engine_fact_cb(const struct rx_fact *f, void *arg)
{
	struct rx_engine *e = arg;

	rx_windows_fact(e->windows, f);
	rx_seats_fact(e->seats, f);
}

struct rx_engine *rx_engine_new(const struct rx_engine_config *cfg)
{
	struct rx_engine *e = calloc(1, sizeof *e);
	struct rx_windows_config wcfg = { cfg->th, cfg->rolling, cfg->buckets };

	if (e == NULL)
		return NULL;
	e->now = INT64_MIN;
	rx_tz_reset(&e->tz);
	if (rx_tz_set_shifts(&e->tz, cfg->shifts) != 0)
		goto fail;
	e->names = rx_names_new();
	e->scopes = rx_scopes_new();
	e->seats = rx_seats_new();
	e->calls = rx_calltrack_new(&cfg->track, engine_fact_cb, e);
	if (e->names == NULL || e->scopes == NULL || e->seats == NULL || e->calls == NULL)
		goto fail;
	e->windows = rx_windows_new(&wcfg, e->scopes, &e->tz);
	if (e->windows == NULL)
		goto fail;
	e->default_queue = rx_names_intern(e->names, "default", 7);
	return e;
fail:
	rx_engine_free(e);
	return NULL;
}

void rx_engine_free(struct rx_engine *e)
{
	if (e == NULL)
		return;
	rx_windows_free(e->windows);
	rx_calltrack_free(e->calls);
	rx_seats_free(e->seats);
	rx_scopes_free(e->scopes);
	rx_names_free(e->names);
	free(e);
}

void rx_engine_advance(struct rx_engine *e, int64_t now_ms)
{
	if (now_ms <= e->now)
		return;
	e->now = now_ms;
	rx_windows_roll(e->windows, now_ms);
	rx_calltrack_advance(e->calls, now_ms);
}

static uint32_t intern(struct rx_engine *e, struct rx_str s)
{
	return rx_names_intern(e->names, s.p, s.len);
}

enum rx_track_result rx_engine_event(struct rx_engine *e, const struct rx_event *ev)
{
	struct rx_call_event ce;

	rx_engine_advance(e, ev->ts_ms);
	if (ev->kind == RX_EV_SEAT) {
		rx_seats_event(e->seats, intern(e, ev->seat), ev->seat_state, ev->ts_ms,
		    intern(e, ev->platform));
		return RX_TRACK_OK;
	}
	ce.ts_ms = ev->ts_ms;
	ce.kind = ev->kind;
	ce.outbound = ev->outbound;
	rx_calltrack_hash_id(ev->call.p, ev->call.len, ce.id);
	ce.queue = intern(e, ev->queue);
	if (ce.queue == 0 && ev->kind == RX_EV_OFFER)
		ce.queue = e->default_queue;
	ce.platform = intern(e, ev->platform);
	ce.seat = intern(e, ev->seat);
	ce.outcome = intern(e, ev->outcome);
	return rx_calltrack_event(e->calls, &ce);
}

void rx_engine_finish(struct rx_engine *e)
{
	rx_calltrack_finish(e->calls);
}

struct live_scan {
	struct rx_live *live;
	int64_t now;
};

static void live_scan_cb(const struct rx_waiting_call *w, void *arg)
{
	struct live_scan *s = arg;
	int64_t wait = s->now > w->offer_ms ? s->now - w->offer_ms : 0;

	s->live->waiting++;
	if (wait > s->live->longest_wait_ms)
		s->live->longest_wait_ms = wait;
	if (w->queue < s->live->nqueues) {
		struct rx_live_queue *q = &s->live->queues[w->queue];
		q->waiting++;
		if (wait > q->longest_wait_ms)
			q->longest_wait_ms = wait;
	}
}

void rx_engine_live(struct rx_engine *e, struct rx_live *live)
{
	struct live_scan scan = { live, e->now };

	memset(live, 0, sizeof *live);
	live->longest_wait_ms = -1;
	live->nqueues = rx_names_count(e->names);
	live->queues = calloc(live->nqueues ? live->nqueues : 1, sizeof *live->queues);
	if (live->queues == NULL)
		live->nqueues = 0;
	for (uint32_t i = 0; i < live->nqueues; i++)
		live->queues[i].longest_wait_ms = -1;
	rx_calltrack_foreach_waiting(e->calls, live_scan_cb, &scan);
	rx_seats_gauges(e->seats, &live->seats);
}

void rx_live_release(struct rx_live *live)
{
	free(live->queues);
	live->queues = NULL;
	live->nqueues = 0;
}
