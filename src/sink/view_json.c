/*
 * view_json.c: engine state to JSON, shared by replay, HTTP and the Redis summary.
 */
#include "rexian/view.h"

#include <math.h>

#include "rexian/array.h"
#include "rexian/erlang.h"
#include "rexian/population.h"
#include "rexian/redis_sink.h"
#include "rexian/staffing_live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct rx_stats empty_stats = { RX_COUNTERS_INIT, NULL, 0, 0 };

void rx_view_ingest(struct rx_jsonw *w, const struct rx_ingest_stats *in,
    const struct rx_calltrack_stats *ct)
{
	rx_jsonw_open(w, '{');
	rx_jsonw_kv_uint(w, "lines", in->lines);
	rx_jsonw_kv_uint(w, "events", in->events);
	rx_jsonw_kv_uint(w, "errors", in->errors);
	rx_jsonw_kv_uint(w, "duplicates", ct->duplicates);
	rx_jsonw_kv_uint(w, "orphans", ct->orphans);
	rx_jsonw_kv_uint(w, "clock_skew", ct->clock_skew);
	rx_jsonw_kv_uint(w, "late", ct->late);
	rx_jsonw_kv_uint(w, "stale", ct->stale);
	rx_jsonw_kv_uint(w, "evicted", ct->evicted);
	rx_jsonw_kv_uint(w, "calls_in_flight", ct->open);
	rx_jsonw_close(w, '}');
}

void rx_view_stats(struct rx_jsonw *w, const struct rx_engine *e, const struct rx_stats *st)
{
	struct rx_metric m[RX_METRICS_COUNT];

	if (st == NULL)
		st = &empty_stats;
	rx_metrics_derive(&st->c, m);
	rx_jsonw_open(w, '{');
	for (int i = 0; i < RX_METRICS_COUNT; i++) {
		rx_jsonw_key(w, m[i].name);
		if (m[i].type == RX_METRIC_COUNT)
			rx_jsonw_uint(w, m[i].count);
		else if (m[i].type == RX_METRIC_REAL)
			rx_jsonw_real(w, m[i].real);
		else
			rx_jsonw_null(w);
	}
	rx_jsonw_key(w, "outcomes");
	rx_jsonw_open(w, '{');
	for (uint32_t i = 0; i < st->noutcomes; i++) {
		if (st->outcomes[i].count == 0)
			continue;
		rx_jsonw_key(w, rx_names_str(e->names, st->outcomes[i].outcome));
		rx_jsonw_uint(w, st->outcomes[i].count);
	}
	rx_jsonw_close(w, '}');
	rx_jsonw_close(w, '}');
}

static void view_scope_map(struct rx_jsonw *w, const struct rx_engine *e, enum rx_window_id win,
    enum rx_scope_type type)
{
	uint32_t n = rx_scopes_count(e->scopes);

	rx_jsonw_open(w, '{');
	for (uint32_t i = 0; i < n; i++) {
		const struct rx_scope *sc = rx_scopes_at(e->scopes, i);
		if (sc->type != type)
			continue;
		rx_jsonw_key(w, rx_names_str(e->names, sc->name));
		rx_view_stats(w, e, rx_windows_get(e->windows, win, i));
	}
	rx_jsonw_close(w, '}');
}

void rx_view_window(struct rx_jsonw *w, const struct rx_engine *e, enum rx_window_id win)
{
	rx_jsonw_open(w, '{');
	rx_jsonw_key(w, "global");
	rx_view_stats(w, e, rx_windows_get(e->windows, win, RX_SCOPE_GLOBAL_INDEX));
	rx_jsonw_key(w, "queues");
	view_scope_map(w, e, win, RX_SCOPE_QUEUE);
	rx_jsonw_key(w, "seats");
	view_scope_map(w, e, win, RX_SCOPE_SEAT);
	rx_jsonw_key(w, "platforms");
	view_scope_map(w, e, win, RX_SCOPE_PLATFORM);
	rx_jsonw_key(w, "outbound");
	rx_view_stats(w, e, rx_windows_get(e->windows, win, RX_SCOPE_OUTBOUND_INDEX));
	rx_jsonw_close(w, '}');
}

static void view_ms_as_s(struct rx_jsonw *w, int64_t ms)
{
	if (ms < 0)
		rx_jsonw_null(w);
	else
		rx_jsonw_real(w, (double)ms / 1000);
}

static void view_live_queues(struct rx_jsonw *w, const struct rx_engine *e,
    const struct rx_live *live)
{
	uint32_t n = rx_scopes_count(e->scopes);

	rx_jsonw_open(w, '{');
	for (uint32_t i = 0; i < n; i++) {
		const struct rx_scope *sc = rx_scopes_at(e->scopes, i);
		const struct rx_live_queue *q;
		if (sc->type != RX_SCOPE_QUEUE || sc->name >= live->nqueues)
			continue;
		q = &live->queues[sc->name];
		rx_jsonw_key(w, rx_names_str(e->names, sc->name));
		rx_jsonw_open(w, '{');
		rx_jsonw_kv_uint(w, "waiting", q->waiting);
		rx_jsonw_key(w, "longest_wait_s");
		view_ms_as_s(w, q->longest_wait_ms);
		rx_jsonw_close(w, '}');
	}
	rx_jsonw_close(w, '}');
}

static void view_live_seats(struct rx_jsonw *w, const struct rx_engine *e)
{
	uint32_t limit = rx_seats_limit(e->seats);

	rx_jsonw_open(w, '{');
	for (uint32_t id = 1; id < limit; id++) {
		const struct rx_seat *s = rx_seats_get(e->seats, id);
		int64_t since;
		if (s == NULL)
			continue;
		rx_jsonw_key(w, rx_names_str(e->names, id));
		rx_jsonw_open(w, '{');
		rx_jsonw_kv_cstr(w, "state", s->on_calls ? "talking" : rx_seat_state_name(s->state));
		rx_jsonw_key(w, "since_s");   /* time in the state shown: talking counts from the answer */
		since = s->on_calls ? s->call_since_ms : s->since_ms;
		view_ms_as_s(w, e->now > since ? e->now - since : 0);
		rx_jsonw_key(w, "talk_s");
		if (s->on_calls)
			view_ms_as_s(w, e->now > s->call_since_ms ? e->now - s->call_since_ms : 0);
		else
			rx_jsonw_null(w);
		rx_jsonw_close(w, '}');
	}
	rx_jsonw_close(w, '}');
}

void rx_view_live(struct rx_jsonw *w, struct rx_engine *e)
{
	struct rx_live live;

	rx_engine_live(e, &live);
	rx_jsonw_open(w, '{');
	rx_jsonw_kv_uint(w, "waiting", live.waiting);
	rx_jsonw_key(w, "longest_wait_s");
	view_ms_as_s(w, live.longest_wait_ms);
	rx_jsonw_kv_uint(w, "seats_logged_in", live.seats.logged_in);
	rx_jsonw_kv_uint(w, "seats_ready", live.seats.ready);
	rx_jsonw_kv_uint(w, "seats_on_call", live.seats.on_call);
	rx_jsonw_key(w, "queues");
	view_live_queues(w, e, &live);
	rx_jsonw_key(w, "seats");
	view_live_seats(w, e);
	rx_jsonw_close(w, '}');
	rx_live_release(&live);
}

void rx_view_replay(struct rx_jsonw *w, const struct rx_engine *e, const struct rx_ingest_stats *in)
{
	rx_jsonw_open(w, '{');
	rx_jsonw_key(w, "ingest");
	rx_view_ingest(w, in, rx_calltrack_stats(e->calls));
	rx_jsonw_key(w, "global");
	rx_view_stats(w, e, rx_windows_get(e->windows, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX));
	rx_jsonw_key(w, "queues");
	view_scope_map(w, e, RX_WIN_ALL, RX_SCOPE_QUEUE);
	rx_jsonw_key(w, "seats");
	view_scope_map(w, e, RX_WIN_ALL, RX_SCOPE_SEAT);
	rx_jsonw_key(w, "platforms");
	view_scope_map(w, e, RX_WIN_ALL, RX_SCOPE_PLATFORM);
	rx_jsonw_key(w, "outbound");
	rx_view_stats(w, e, rx_windows_get(e->windows, RX_WIN_ALL, RX_SCOPE_OUTBOUND_INDEX));
	rx_jsonw_close(w, '}');
}

struct history {
	int64_t from_code;
	struct { int64_t code; struct rx_counters c; } *rows;
	size_t n, cap;
};

static void history_cb(bool day, int64_t code, uint32_t scope, const struct rx_stats *st, void *arg)
{
	struct history *h = arg;

	if (day || scope != RX_SCOPE_GLOBAL_INDEX || code < h->from_code)
		return;
	if (h->n == h->cap) {
		void *p = rx_array_grow(h->rows, sizeof *h->rows, &h->cap, 64);
		if (p == NULL)
			return;
		h->rows = p;
	}
	h->rows[h->n].code = code;
	h->rows[h->n++].c = st->c;
}

static int history_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void rx_view_history(struct rx_jsonw *w, struct rx_engine *e, int minutes)
{
	struct history h = { 0 };
	char code[24];

	if (e->now != INT64_MIN)
		h.from_code = rx_tz_minute_code(&e->tz, e->now - (int64_t)(minutes - 1) * 60000);
	rx_windows_foreach_bucket(e->windows, history_cb, &h);
	if (h.n > 1)   /* rows is NULL when empty, and qsort's base must not be */
		qsort(h.rows, h.n, sizeof *h.rows, history_cmp);
	rx_jsonw_open(w, '{');
	rx_jsonw_key(w, "minutes");
	rx_jsonw_open(w, '[');
	for (size_t i = 0; i < h.n; i++) {
		uint64_t offered = h.rows[i].c.answered + h.rows[i].c.abandoned;
		snprintf(code, sizeof code, "%lld", (long long)h.rows[i].code);
		rx_jsonw_open(w, '{');
		rx_jsonw_kv_cstr(w, "minute", code);
		rx_jsonw_kv_uint(w, "offered", offered);
		rx_jsonw_kv_uint(w, "answered", h.rows[i].c.answered);
		rx_jsonw_kv_uint(w, "answered_within_sl", h.rows[i].c.within_sl);
		rx_jsonw_key(w, "service_level");
		if (offered)
			rx_jsonw_real(w, (double)h.rows[i].c.within_sl / (double)offered);
		else
			rx_jsonw_null(w);
		rx_jsonw_close(w, '}');
	}
	rx_jsonw_close(w, ']');
	rx_jsonw_close(w, '}');
	free(h.rows);
}

static void view_staffing_row(struct rx_jsonw *w, const struct rx_staffing_row *r)
{
	rx_jsonw_open(w, '{');
	rx_jsonw_kv_int(w, "measured_from_ms", r->measured_from_ms);
	rx_jsonw_kv_int(w, "measured_to_ms", r->measured_to_ms);
	rx_jsonw_kv_uint(w, "calls", r->calls);
	rx_jsonw_kv_real(w, "aht_s", r->aht_s);
	rx_jsonw_kv_real(w, "patience_s", r->patience_s);
	rx_jsonw_kv_real(w, "erlangs", r->erlangs);
	rx_jsonw_kv_count(w, "required_erlang_c", r->required_c);
	rx_jsonw_kv_count(w, "required_erlang_a", r->required_a);
	rx_jsonw_kv_count(w, "required", r->required_a >= 0 ? r->required_a : r->required_c);
	rx_jsonw_close(w, '}');
}

void rx_view_staffing(struct rx_jsonw *w, const struct rx_engine *e,
    const struct rx_staffing_config *cfg, const uint32_t *scopes,
    const struct rx_staffing_row *rows, size_t n, uint32_t logged_in,
    const struct rx_population *pops, size_t npops)
{
	char name[300];

	rx_jsonw_open(w, '{');
	rx_jsonw_kv_real(w, "interval_s", (double)cfg->interval_ms / 1000);
	rx_jsonw_kv_real(w, "target", cfg->target);
	rx_jsonw_kv_real(w, "within_s", cfg->within_s);
	rx_jsonw_kv_uint(w, "seats_logged_in", logged_in);
	rx_jsonw_key(w, "scopes");
	rx_jsonw_open(w, '{');
	for (size_t i = 0; i < n; i++) {
		rx_redis_scope_name(e, scopes[i], name, sizeof name);
		rx_jsonw_key(w, name);
		view_staffing_row(w, &rows[i]);
	}
	rx_jsonw_close(w, '}');
	rx_jsonw_key(w, "seats_per_100k");
	rx_jsonw_open(w, '[');
	for (size_t i = 0; i < npops; i++)
		rx_population_json(w, &pops[i]);
	rx_jsonw_close(w, ']');
	rx_jsonw_close(w, '}');
}
