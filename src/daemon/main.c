/*
 * main.c: rexiand, the collector. It wires the modules on one libevent loop:
 *
 *   feed sockets (listener) -> engine (call tracking, windows) -> Redis sink, HTTP API
 *
 * One heartbeat timer (--flush-ms) moves the wall clock forward, fires due timeouts and
 * flushes to Redis; events are counted the moment they arrive. Nothing here computes a
 * figure: the modules do, main only connects them.
 */
#include <signal.h>
#include <sys/resource.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "access.h"
#include "config.h"
#include "rexian/alert.h"
#include "rexian/alert_sink.h"
#include "rexian/engine.h"
#include "rexian/http_api.h"
#include "rexian/journal.h"
#include "rexian/jsonw.h"
#include "rexian/listener.h"
#include "rexian/log.h"
#include "rexian/population.h"
#include "rexian/prom.h"
#include "rexian/redis_restore.h"
#include "rexian/redis_sink.h"
#include "rexian/staffing_live.h"
#include "rexian/view.h"

#define DRAIN_MS 300
#define FINAL_FLUSH_WAIT_MS 3000
/* With the event clock, time stops when the feed does; once it has been quiet this long,
 * calls waiting only on the reorder grace are settled as at the end of `rexian replay`. */
#define IDLE_SETTLE_MS 1000
#define RXD_MAX_STAFFING 64

struct rxd {
	struct rxd_config cfg;
	struct rxd_access access;
	struct event_base *base;
	struct rx_engine *engine;
	struct rx_listener *listeners[RXD_MAX_LISTEN];
	int nlisteners;
	struct rx_redis_sink *redis;
	struct rx_http_api *http;
	struct rx_alert_rule rules[RXD_MAX_ALERTS];
	size_t nrules;
	struct rx_alert_sink *alerts;
	struct rx_journal *journal;
	uint64_t restored;            /* events replayed from the journal at start */
	struct rx_staffing_config staffing;
	uint32_t staff_scopes[RXD_MAX_STAFFING];   /* global, then each queue */
	struct rx_staffing_row staff_rows[RXD_MAX_STAFFING];
	size_t nstaff;
	uint32_t seats_logged_in;
	struct rx_population pops[8];
	size_t npops;
	struct event *tick, *sigterm, *sigint;
	int64_t newest_event_ms;      /* wall clock: the latest event time seen ... */
	int64_t newest_event_mono;    /* ... and when it was seen */
	int64_t stopping_since;       /* 0: running */
	uint64_t evicted_seen, evicted_at_start;   /* --max-calls evictions, for the log */
	bool evicting;
	bool drained;
	struct rx_ratelimit bad_line_rl;
};

/* ---- the clock ---- */

/* Event time, rolled forward by the wall clock while the feed is idle. Before the first
 * event there is no time at all: jumping to the wall clock would make a feed of older
 * events (a catch-up, a replay) look hours stale. */
static int64_t rxd_now(const struct rxd *d)
{
	if (d->cfg.clock_event || d->newest_event_ms == INT64_MIN)
		return d->engine->now;
	return d->newest_event_ms + (rx_monotonic_ms() - d->newest_event_mono);
}

/* ---- feed hooks ---- */

static void on_event(const struct rx_event *ev, void *arg)
{
	struct rxd *d = arg;

	if (d->journal != NULL)
		rx_journal_append(d->journal, ev);   /* written before it counts */
	if (ev->ts_ms > d->newest_event_ms) {
		d->newest_event_ms = ev->ts_ms;
		d->newest_event_mono = rx_monotonic_ms();
	}
	rx_engine_event(d->engine, ev);
}

static void on_error(uint64_t conn, uint64_t line, const char *reason, void *arg)
{
	struct rxd *d = arg;
	uint64_t suppressed;

	if (rx_ratelimit_allow(&d->bad_line_rl, rx_monotonic_ms(), &suppressed))
		rx_log(RX_LOG_WARN, "feed: connection %llu line %llu: %s; skipped%s",
		    (unsigned long long)conn, (unsigned long long)line, reason,
		    suppressed ? " (earlier bad lines not logged: see ingest.errors)" : "");
}

/* ---- views ---- */

static void rxd_ingest(const struct rxd *d, struct rx_ingest_stats *in)
{
	memset(in, 0, sizeof *in);
	for (int i = 0; i < d->nlisteners; i++) {
		struct rx_listener_stats ls;
		rx_listener_stats(d->listeners[i], &ls);
		in->lines += ls.lines;
		in->events += ls.events;
		in->errors += ls.errors;
		in->connections += ls.accepted;
	}
}

static void view_clock(struct rx_jsonw *w, const struct rxd *d)
{
	rx_jsonw_open(w, '{');
	rx_jsonw_kv_int(w, "now_ms", d->engine->now == INT64_MIN ? 0 : d->engine->now);
	rx_jsonw_kv_cstr(w, "mode", d->cfg.clock_event ? "event" : "wall");
	rx_jsonw_kv_cstr(w, "timezone", d->cfg.timezone);
	rx_jsonw_kv_real(w, "service_level_s", (double)d->cfg.engine.th.sl_ms / 1000);
	rx_jsonw_kv_real(w, "long_talk_s", (double)d->cfg.engine.th.long_ms / 1000);
	rx_jsonw_close(w, '}');
}

static void view_targets(struct rx_jsonw *w, const struct rxd *d)
{
	rx_jsonw_open(w, '{');
	rx_jsonw_kv_real(w, "service_level", d->cfg.target_sl);
	rx_jsonw_kv_real(w, "service_level_warn", d->cfg.warn_sl);
	rx_jsonw_kv_real(w, "connect_rate", d->cfg.target_connect);
	rx_jsonw_close(w, '}');
}

/* The snapshot of docs/http-api.md: /api/live, and each Server-Sent Event. */
static void rxd_snapshot(struct rx_jsonw *w, struct rxd *d)
{
	struct rx_ingest_stats in;

	rxd_ingest(d, &in);
	rx_windows_refresh_max(d->engine->windows);
	rx_jsonw_open(w, '{');
	rx_jsonw_key(w, "clock");
	view_clock(w, d);
	rx_jsonw_key(w, "ingest");
	rx_view_ingest(w, &in, rx_calltrack_stats(d->engine->calls));
	rx_jsonw_key(w, "live");
	rx_view_live(w, d->engine);
	rx_jsonw_key(w, "windows");
	rx_jsonw_open(w, '{');
	for (int i = 0; i < RX_WIN_COUNT; i++) {
		rx_jsonw_key(w, rx_window_name((enum rx_window_id)i));
		rx_view_window(w, d->engine, (enum rx_window_id)i);
	}
	rx_jsonw_close(w, '}');
	rx_jsonw_key(w, "history");
	rx_view_history(w, d->engine, 60);
	rx_jsonw_key(w, "targets");
	view_targets(w, d);
	rx_jsonw_key(w, "alerts");
	rx_alert_sink_json(d->alerts, w, false);
	rx_jsonw_key(w, "staffing");
	rx_view_staffing(w, d->engine, &d->staffing, d->staff_scopes, d->staff_rows, d->nstaff,
	    d->seats_logged_in, d->pops, d->npops);
	rx_jsonw_close(w, '}');
}

static int api_live(struct rx_jsonw *w, void *arg)
{
	rxd_snapshot(w, arg);
	return 200;
}

static int api_alerts(struct rx_jsonw *w, void *arg)
{
	struct rxd *d = arg;

	rx_alert_sink_json(d->alerts, w, true);
	return 200;
}

static int api_config(struct rx_jsonw *w, void *arg)
{
	struct rxd *d = arg;
	char text[512];

	rx_jsonw_open(w, '{');
	rx_jsonw_kv_real(w, "service_level_s", (double)d->cfg.engine.th.sl_ms / 1000);
	rx_jsonw_kv_real(w, "long_talk_s", (double)d->cfg.engine.th.long_ms / 1000);
	rx_jsonw_kv_cstr(w, "timezone", d->cfg.timezone);
	rx_jsonw_kv_cstr(w, "shifts", d->cfg.engine.shifts);
	rx_jsonw_key(w, "targets");
	view_targets(w, d);
	rx_jsonw_key(w, "rules");
	rx_jsonw_open(w, '[');
	for (size_t i = 0; i < d->nrules; i++) {
		rx_alert_format(&d->rules[i], text, sizeof text);
		rx_jsonw_cstr(w, text);
	}
	rx_jsonw_close(w, ']');
	rx_jsonw_close(w, '}');
	return 200;
}

static int api_metrics(struct rx_jsonw *w, void *arg)
{
	struct rxd *d = arg;
	struct rx_prom_health h = { 0 };
	const struct rx_redis_sink_stats *rs = d->redis ? rx_redis_sink_stats(d->redis) : NULL;

	rxd_ingest(d, &h.ingest);
	for (int i = 0; i < d->nlisteners; i++) {
		struct rx_listener_stats ls;
		rx_listener_stats(d->listeners[i], &ls);
		h.feeds_refused += ls.refused;
		h.feeds_auth_failed += ls.auth_failed;
		h.feeds_accept_pauses += ls.accept_pauses;
		h.feeds_open += ls.open;
	}
	h.http_auth_failed = d->http ? rx_http_api_auth_failures(d->http) : 0;
	h.http_accept_pauses = d->http ? rx_http_api_accept_pauses(d->http) : 0;
	if (rs != NULL) {
		h.redis_enabled = true;
		h.redis_up = rs->connected;
		h.redis_reconnects = rs->failures;
		h.redis_errors = rs->errors;
		h.redis_flushes = rs->flushes;
		h.redis_flushes_skipped = rs->flushes_skipped;
		h.redis_buckets_behind = rs->buckets_behind;
		h.redis_flush_s = rs->last_flush_ms / 1000;
	}
	h.webhook_failures = rx_alert_sink_webhook_failures(d->alerts);
	if (d->journal != NULL) {
		const struct rx_journal_stats *js = rx_journal_stats(d->journal);
		h.journal_enabled = true;
		h.journal_appended = js->appended;
		h.journal_errors = js->write_errors;
		h.journal_failing = js->failing;
		h.journal_restored = d->restored;
	}
	h.rules = d->rules;
	h.nrules = d->nrules;
	rx_prom_write(w, d->engine, &h);
	return 200;
}

static int api_healthz(struct rx_jsonw *w, void *arg)
{
	(void)arg;
	rx_jsonw_cstr(w, "ok");
	return 200;
}

static const struct rx_http_route routes[] = {
	{ "/healthz", "application/json", api_healthz },
	{ "/api/live", "application/json; charset=utf-8", api_live },
	{ "/api/alerts", "application/json; charset=utf-8", api_alerts },
	{ "/api/config", "application/json; charset=utf-8", api_config },
	{ "/metrics", "text/plain; version=0.0.4; charset=utf-8", api_metrics },
};

/* ---- heartbeat and shutdown ---- */

static void publish(struct rxd *d)
{
	struct rx_jsonw w;
	struct rx_live live;
	const struct rx_stats *g15, *gday;
	struct rx_counters zero = RX_COUNTERS_INIT;
	struct rx_metric m15[RX_METRICS_COUNT], mday[RX_METRICS_COUNT];

	if (d->redis == NULL)
		return;
	g15 = rx_windows_get(d->engine->windows, RX_WIN_15M, RX_SCOPE_GLOBAL_INDEX);
	gday = rx_windows_get(d->engine->windows, RX_WIN_TODAY, RX_SCOPE_GLOBAL_INDEX);
	rx_metrics_derive(g15 ? &g15->c : &zero, m15);
	rx_metrics_derive(gday ? &gday->c : &zero, mday);
	rx_engine_live(d->engine, &live);
	rx_jsonw_init(&w);
	rx_jsonw_open(&w, '{');
	rx_jsonw_key(&w, "clock_ms");
	rx_jsonw_int(&w, d->engine->now == INT64_MIN ? 0 : d->engine->now);
	rx_jsonw_key(&w, "waiting");
	rx_jsonw_uint(&w, live.waiting);
	rx_jsonw_key(&w, "offered_today");
	rx_jsonw_uint(&w, mday[0].count);
	rx_jsonw_key(&w, "service_level_15m");
	if (m15[4].type == RX_METRIC_REAL)
		rx_jsonw_real(&w, m15[4].real);
	else
		rx_jsonw_null(&w);
	rx_jsonw_key(&w, "service_level_today");
	if (mday[4].type == RX_METRIC_REAL)
		rx_jsonw_real(&w, mday[4].real);
	else
		rx_jsonw_null(&w);
	rx_jsonw_close(&w, '}');
	rx_live_release(&live);
	if (!w.failed)
		rx_redis_sink_flush(d->redis, d->engine, w.buf);
	rx_jsonw_release(&w);
}

static void alert_cb(const struct rx_alert_event *ev, void *arg)
{
	rx_alert_sink_event(arg, ev);
}

/* Live staffing for the hotline and each queue, from the last complete interval. */
static void rxd_staffing(struct rxd *d)
{
	uint32_t n = rx_scopes_count(d->engine->scopes);
	struct rx_live live;

	rx_engine_live(d->engine, &live);
	d->seats_logged_in = live.seats.logged_in;
	rx_live_release(&live);
	d->nstaff = 0;
	for (uint32_t i = 0; i < n && d->nstaff < RXD_MAX_STAFFING; i++) {
		const struct rx_scope *sc = rx_scopes_at(d->engine->scopes, i);
		if (sc->type != RX_SCOPE_GLOBAL && sc->type != RX_SCOPE_QUEUE)
			continue;
		if (rx_staffing_live(d->engine, &d->staffing, i, &d->staff_rows[d->nstaff]) != 0)
			continue;
		d->staff_scopes[d->nstaff] = i;
		if (d->redis != NULL)
			rx_redis_sink_staffing(d->redis, d->engine, i, &d->staff_rows[d->nstaff],
			    d->seats_logged_in);
		d->nstaff++;
	}
}

/* Calls closed early because --max-calls was reached: said once when it starts, once
 * when it is over, however long the flood lasts. */
static void rxd_check_evictions(struct rxd *d)
{
	const struct rx_calltrack_stats *cs = rx_calltrack_stats(d->engine->calls);
	uint64_t evicted = cs->evicted;

	/* The episode ends when there is room again, not merely when one heartbeat saw no
	 * eviction: a flood read slowly (a loaded machine) would otherwise be logged anew at
	 * every pause. */
	if (evicted > d->evicted_seen && !d->evicting) {
		rx_log(RX_LOG_WARN, "calls: more than --max-calls %u calls in flight; closing the "
		    "oldest as stale (a flood of calls that never end?)", d->cfg.engine.track.max_calls);
		d->evicting = true;
		d->evicted_at_start = d->evicted_seen;
	} else if (evicted == d->evicted_seen && d->evicting &&
	    cs->records < d->cfg.engine.track.max_calls) {
		rx_log(RX_LOG_INFO, "calls: back under --max-calls; %llu call(s) were closed early",
		    (unsigned long long)(evicted - d->evicted_at_start));
		d->evicting = false;
	}
	d->evicted_seen = evicted;
}

/* Seats per 100,000 residents: the hotline's or one platform's seats and requirement. */
static void rxd_populations(struct rxd *d)
{
	for (size_t i = 0; i < d->npops; i++) {
		struct rx_population *p = &d->pops[i];
		uint32_t name = p->platform[0] ?
		    rx_names_find(d->engine->names, p->platform, strlen(p->platform)) : 0;
		uint32_t scope = p->platform[0] ?
		    rx_scopes_find(d->engine->scopes, RX_SCOPE_PLATFORM, name) : RX_SCOPE_GLOBAL_INDEX;
		struct rx_seat_gauges g = { 0 };
		struct rx_staffing_row row;
		int required = -1;
		if (!p->platform[0] || name != 0)
			rx_seats_gauges_for(d->engine->seats, name, &g);
		if (scope != UINT32_MAX && rx_staffing_live(d->engine, &d->staffing, scope, &row) == 0)
			required = row.required_a >= 0 ? row.required_a : row.required_c;
		rx_population_sample(p, d->engine, g.logged_in, required);
	}
}

/* A journal that cannot be written (disk full) is an alert, not only a log line: the
 * figures are still right, but a restart now would lose events. */
static void rxd_journal_alert(struct rxd *d)
{
	const struct rx_journal_stats *js = rx_journal_stats(d->journal);
	char summary[700];

	if (js->failing)
		snprintf(summary, sizeof summary, "journal: writes to %s fail (%s); counting goes "
		    "on, a restart now would lose events", d->cfg.journal, strerror(js->last_errno));
	else
		snprintf(summary, sizeof summary, "journal: writing again in %s", d->cfg.journal);
	rx_alert_sink_system(d->alerts, "journal_failing", js->failing, summary);
}

/* One heartbeat's outputs: the journal, alert rules, staffing, Redis, the event stream. */
static void rxd_outputs(struct rxd *d)
{
	rxd_check_evictions(d);
	rxd_populations(d);
	if (d->journal != NULL) {
		rx_journal_flush(d->journal);
		rxd_journal_alert(d);
	}
	rxd_staffing(d);
	rx_alert_evaluate(d->rules, d->nrules, d->engine, alert_cb, d->alerts);
	rx_alert_sink_tick(d->alerts);
	publish(d);
	if (d->http != NULL && rx_http_api_stream_clients(d->http) > 0) {
		struct rx_jsonw w;
		rx_jsonw_init(&w);
		rxd_snapshot(&w, d);
		if (!w.failed)
			rx_http_api_broadcast(d->http, "snapshot", w.buf, w.len);
		rx_jsonw_release(&w);
	}
}

static void finish_stop(struct rxd *d)
{
	for (int i = 0; i < d->nlisteners; i++)
		rx_listener_drain(d->listeners[i]);
	if (!d->cfg.clock_event)
		rx_engine_advance(d->engine, rxd_now(d));
	rxd_outputs(d);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rxd *d = arg;

	(void)fd;
	(void)what;
	if (d->stopping_since != 0) {
		int64_t waited = rx_monotonic_ms() - d->stopping_since;
		if (waited >= DRAIN_MS && !d->drained) {
			finish_stop(d);
			d->drained = true;
		}
		if (waited >= DRAIN_MS && (d->redis == NULL || rx_redis_sink_idle(d->redis) ||
		    waited >= DRAIN_MS + FINAL_FLUSH_WAIT_MS))
			event_base_loopbreak(d->base);
		return;
	}
	if (!d->cfg.clock_event)
		rx_engine_advance(d->engine, rxd_now(d));
	else if (d->newest_event_ms != INT64_MIN && rx_monotonic_ms() - d->newest_event_mono >= IDLE_SETTLE_MS)
		rx_engine_finish(d->engine);   /* an idle replay: settle what waits on the grace */
	rxd_outputs(d);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct rxd *d = arg;
	struct timeval tv = { 0, 50 * 1000 };

	(void)what;
	if (d->stopping_since != 0)
		return;
	rx_log(RX_LOG_INFO, "signal %d: no new connections; draining feeds, final flush", (int)sig);
	d->stopping_since = rx_monotonic_ms();
	for (int i = 0; i < d->nlisteners; i++)
		rx_listener_stop(d->listeners[i]);
	event_del(d->tick);
	event_add(d->tick, &tv);   /* the shutdown steps run on a short tick */
}

/* ---- setup ---- */

/* ---- the journal ---- */

static void restore_event(const struct rx_event *ev, uint64_t line, void *arg)
{
	struct rxd *d = arg;

	(void)line;
	if (ev->ts_ms > d->newest_event_ms)
		d->newest_event_ms = ev->ts_ms;
	d->restored++;
	rx_engine_event(d->engine, ev);
}

static void restore_error(uint64_t line, const char *reason, void *arg)
{
	(void)arg;
	rx_log(RX_LOG_WARN, "journal: line %llu unreadable (%s), skipped; a torn line is what "
	    "a crash leaves, its event comes again from the sender", (unsigned long long)line, reason);
}

/* Rebuild the state from the journal, then keep appending to it. */
static int rxd_open_journal(struct rxd *d)
{
	char err[600];
	int64_t t0 = rx_monotonic_ms();
	int files;

	if (d->cfg.journal[0] == '\0')
		return 0;
	d->journal = rx_journal_open(d->cfg.journal, (int)d->cfg.journal_days,
	    (enum rx_journal_sync)d->cfg.journal_sync, err, sizeof err);
	if (d->journal == NULL) {
		fprintf(stderr, "rexiand: %s\n", err);
		return -1;
	}
	files = rx_journal_replay(d->cfg.journal, restore_event, restore_error, d);
	if (d->newest_event_ms != INT64_MIN) {
		d->newest_event_mono = rx_monotonic_ms();
		rx_log(RX_LOG_INFO, "journal: restored %llu events from %d file(s) in %.2f s; %u calls "
		    "in flight", (unsigned long long)d->restored, files,
		    (double)(rx_monotonic_ms() - t0) / 1000, rx_calltrack_stats(d->engine->calls)->open);
	}
	return 0;
}

/* Without a journal, the windows come back from our own buckets in Redis; the clock goes on
 * from the earlier run's, as after a journal replay. */
static void rxd_restore_redis(struct rxd *d)
{
	int64_t clock;

	if (d->cfg.journal[0] != '\0' || d->redis == NULL)
		return;
	if ((clock = rx_redis_restore(d->engine, d->redis, d->cfg.prefix)) != INT64_MIN) {
		d->newest_event_ms = clock;
		d->newest_event_mono = rx_monotonic_ms();
	}
}

static int rxd_open_listeners(struct rxd *d)
{
	struct rx_listener_hooks hooks = { on_event, on_error, d };
	struct rx_listener_opts opts = { d->cfg.max_feeds, d->access.tls, &d->access.feed_token,
		&d->access.caller_key };
	char err[256];

	for (int i = 0; i < d->cfg.nlisten; i++) {
		struct rx_listener *l = rx_listener_new(d->base, d->cfg.listen[i], &opts, &hooks, err,
		    sizeof err);
		if (l == NULL) {
			fprintf(stderr, "rexiand: %s\n", err);
			return -1;
		}
		d->listeners[d->nlisteners++] = l;
		rx_log(RX_LOG_INFO, "feed: listening on %s%s", d->cfg.listen[i],
		    d->access.feed_token.set && strncmp(d->cfg.listen[i], "unix:", 5) != 0 ?
		    " (token required)" : "");
	}
	return 0;
}

static int rxd_open_alerts(struct rxd *d)
{
	char err[512];

	for (int i = 0; i < d->cfg.npopulations; i++)
		if (rx_population_parse(d->cfg.populations[i], &d->pops[d->npops++]) != 0) {
			fprintf(stderr, "rexiand: bad --population '%s' (want N or PLATFORM=N)\n",
			    d->cfg.populations[i]);
			return -1;
		}

	if (d->cfg.nalerts < 0) {
		d->nrules = rx_alert_defaults(d->rules, RXD_MAX_ALERTS);
	} else {
		for (int i = 0; i < d->cfg.nalerts; i++)
			if (rx_alert_parse(d->cfg.alerts[i], &d->rules[d->nrules++], err, sizeof err) != 0) {
				fprintf(stderr, "rexiand: %s\n", err);
				return -1;
			}
	}
	d->alerts = rx_alert_sink_new(d->base, d->redis, d->cfg.prefix,
	    d->cfg.alert_webhook[0] ? d->cfg.alert_webhook : NULL, d->rules, d->nrules, err, sizeof err);
	if (d->alerts == NULL) {
		fprintf(stderr, "rexiand: %s\n", err);
		return -1;
	}
	return 0;
}

/* The wallboard: --wallboard, else the source tree's (a build run in place), else the
 * installed copy. */
static void rxd_wallboard(struct rxd *d)
{
	static const char *const builtin[] = { REXIAN_SOURCE_WALLBOARD, REXIAN_DATA_WALLBOARD };
	char err[600];

	if (d->cfg.wallboard[0] != '\0') {
		if (rx_http_api_set_static(d->http, d->cfg.wallboard, err, sizeof err) != 0)
			rx_log(RX_LOG_WARN, "http: %s; no wallboard", err);
		return;
	}
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if (rx_http_api_set_static(d->http, builtin[i], err, sizeof err) == 0)
			return;
	rx_log(RX_LOG_WARN, "http: no wallboard directory found; use --wallboard DIR");
}

static int rxd_open_sinks(struct rxd *d)
{
	char err[256];

	if (strcmp(d->cfg.redis, "none") != 0) {
		d->redis = rx_redis_sink_new(d->base, d->cfg.redis, d->cfg.prefix, err, sizeof err);
		if (d->redis == NULL) {
			fprintf(stderr, "rexiand: %s\n", err);
			return -1;
		}
	}
	return rxd_open_alerts(d);
}

static int rxd_open_http(struct rxd *d)
{
	char err[256];

	if (strcmp(d->cfg.http, "none") == 0)
		return 0;
	d->http = rx_http_api_new(d->base, d->access.http_addr, routes,
	    sizeof routes / sizeof routes[0], d, err, sizeof err);
	if (d->http == NULL) {
		fprintf(stderr, "rexiand: %s\n", err);
		return -1;
	}
	if (d->access.https)
		rx_http_api_set_tls(d->http, d->access.tls);
	rx_http_api_set_auth(d->http, &d->access.http_auth);
	rx_http_api_set_stream(d->http, "/api/stream", 256);
	rxd_wallboard(d);
	rx_log(RX_LOG_INFO, "http: listening on %s%s", d->cfg.http,
	    d->access.http_auth.set ? " (basic auth required)" : "");
	return 0;
}

/* Privileged work first: key files, sockets (a port below 1024, a socket directory
 * under /run); then root is dropped before any file is written. */
static int rxd_open_access(struct rxd *d)
{
	char err[512];

	if (rxd_access_load(&d->access, &d->cfg, err, sizeof err) != 0) {
		fprintf(stderr, "rexiand: %s\n", err);
		return -1;
	}
	if (rxd_open_listeners(d) != 0 || rxd_open_http(d) != 0)
		return -1;
	if (rxd_access_drop_root(&d->cfg, err, sizeof err) != 0) {
		fprintf(stderr, "rexiand: %s\n", err);
		return -1;
	}
	return 0;
}

static int rxd_open(struct rxd *d)
{
	struct timeval tv = { d->cfg.flush_ms / 1000, (d->cfg.flush_ms % 1000) * 1000 };

	if (rx_tz_init(d->cfg.timezone) != 0) {
		fprintf(stderr, "rexiand: unknown time zone '%s'\n", d->cfg.timezone);
		return -1;
	}
	if ((d->engine = rx_engine_new(&d->cfg.engine)) == NULL) {
		fprintf(stderr, "rexiand: bad --shifts '%s' (want HH:MM,HH:MM,...)\n",
		    d->cfg.engine.shifts);
		return -1;
	}
	if ((d->base = event_base_new()) == NULL) {
		fprintf(stderr, "rexiand: cannot create the event loop\n");
		return -1;
	}
	if (rxd_open_access(d) != 0 || rxd_open_journal(d) != 0 || rxd_open_sinks(d) != 0)
		return -1;
	rxd_restore_redis(d);
	d->tick = event_new(d->base, -1, EV_PERSIST, tick_cb, d);
	d->sigterm = evsignal_new(d->base, SIGTERM, signal_cb, d);
	d->sigint = evsignal_new(d->base, SIGINT, signal_cb, d);
	if (d->tick == NULL || d->sigterm == NULL || d->sigint == NULL ||
	    event_add(d->tick, &tv) != 0 || event_add(d->sigterm, NULL) != 0 ||
	    event_add(d->sigint, NULL) != 0) {
		fprintf(stderr, "rexiand: cannot set up timers and signals\n");
		return -1;
	}
	return 0;
}

static void rxd_close(struct rxd *d)
{
	for (int i = 0; i < d->nlisteners; i++)
		rx_listener_free(d->listeners[i]);
	rx_http_api_free(d->http);
	rx_alert_sink_free(d->alerts);
	rx_journal_close(d->journal);
	rx_redis_sink_free(d->redis);
	if (d->tick != NULL)
		event_free(d->tick);
	if (d->sigterm != NULL)
		event_free(d->sigterm);
	if (d->sigint != NULL)
		event_free(d->sigint);
	if (d->base != NULL)
		event_base_free(d->base);
	rx_engine_free(d->engine);
	rxd_access_free(&d->access);
}

/* Thousands of feed connections need as many descriptors as the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	static struct rxd d;
	struct rx_ratelimit rl = RX_RATELIMIT_INIT(10000, 10);
	char err[512];
	int status = 0;

	switch (rxd_config_load(&d.cfg, argc, argv, err, sizeof err)) {
	case RXD_CONFIG_EXIT_OK:
		return 0;
	case RXD_CONFIG_ERROR:
		fprintf(stderr, "rexiand: %s\n", err);
		return 2;
	case RXD_CONFIG_RUN:
		break;
	}
	rx_log_set_level(d.cfg.log_level);
	raise_fd_limit();
	d.staffing = (struct rx_staffing_config){ d.cfg.staffing_interval_ms, d.cfg.target_sl,
		(double)d.cfg.engine.th.sl_ms / 1000, 0.05 };
	signal(SIGPIPE, SIG_IGN);
	d.bad_line_rl = rl;
	d.newest_event_ms = INT64_MIN;
	if (rxd_open(&d) != 0) {
		rxd_close(&d);
		return 1;
	}
	rx_log(RX_LOG_INFO, "rexiand running: clock %s, flush every %d ms, time zone %s",
	    d.cfg.clock_event ? "event" : "wall", d.cfg.flush_ms, d.cfg.timezone);
	if (event_base_dispatch(d.base) < 0)
		status = 1;
	rx_log(RX_LOG_INFO, "rexiand stopped");
	rxd_close(&d);
	return status;
}
