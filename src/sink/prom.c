/*
 * prom.c: writes /metrics. Counters come from the `all` window (they only grow while
 * rexiand runs, as Prometheus expects of a counter); windowed ratios are gauges with a
 * `window` label and are left out while null, so a quiet queue has no series rather than
 * a false zero.
 */
#include "rexian/prom.h"

#include <string.h>

/* A label value, escaped as the exposition format wants. */
static void label_value(struct rx_jsonw *o, const char *v)
{
	for (const char *p = v; *p; p++) {
		if (*p == '\\' || *p == '"')
			rx_jsonw_rawf(o, "\\%c", *p);
		else if (*p == '\n')
			rx_jsonw_raw(o, "\\n", 2);
		else
			rx_jsonw_raw(o, p, 1);
	}
}

static void scope_labels(struct rx_jsonw *o, const struct rx_engine *e, uint32_t scope)
{
	const struct rx_scope *sc = rx_scopes_at(e->scopes, scope);

	rx_jsonw_rawf(o, "scope=\"%s\"", rx_scope_type_name(sc->type));
	if (sc->type != RX_SCOPE_GLOBAL && sc->type != RX_SCOPE_OUTBOUND) {
		rx_jsonw_raw(o, ",name=\"", 7);
		label_value(o, rx_names_str(e->names, sc->name));
		rx_jsonw_raw(o, "\"", 1);
	}
}

static void head(struct rx_jsonw *o, const char *name, const char *type, const char *help)
{
	rx_jsonw_rawf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void value_line(struct rx_jsonw *o, double v)
{
	char b[40];

	rx_format_real(b, sizeof b, v);
	rx_jsonw_rawf(o, "} %s\n", b);
}

static const struct {
	const char *name, *help;
	int index;      /* into rx_metrics_raw, or -1/-2 for the wait/talk sums in seconds */
} counters[] = {
	{ "rexian_calls_offered_total", "Calls offered since start (answered + abandoned).", 0 },
	{ "rexian_calls_answered_total", "Calls answered by a seat since start.", 1 },
	{ "rexian_calls_abandoned_total", "Calls abandoned while waiting since start.", 2 },
	{ "rexian_calls_answered_within_sl_total", "Calls answered within the service-level threshold.", 3 },
	{ "rexian_calls_completed_total", "Answered calls that hung up (not stale).", 4 },
	{ "rexian_calls_long_talk_total", "Completed calls that talked longer than the long-talk threshold.", 5 },
	{ "rexian_calls_stale_total", "Calls closed as stale after the maximum call age.", 6 },
	{ "rexian_wait_seconds_total", "Sum of the waits of answered calls.", -1 },
	{ "rexian_talk_seconds_total", "Sum of the talk times of completed calls.", -2 },
};

static void write_counters(struct rx_jsonw *o, struct rx_engine *e)
{
	uint32_t n = rx_scopes_count(e->scopes);

	for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++) {
		head(o, counters[k].name, "counter", counters[k].help);
		for (uint32_t i = 0; i < n; i++) {
			const struct rx_stats *st = rx_windows_get(e->windows, RX_WIN_ALL, i);
			struct rx_metric raw[RX_RAW_COUNT];
			double v;
			if (st == NULL)
				continue;
			rx_metrics_raw(&st->c, raw);
			v = counters[k].index == -1 ? (double)st->c.wait_ms / 1000 :
			    counters[k].index == -2 ? (double)st->c.talk_ms / 1000 :
			    (double)raw[counters[k].index].count;
			rx_jsonw_rawf(o, "%s{", counters[k].name);
			scope_labels(o, e, i);
			value_line(o, v);
		}
	}
}

static const struct {
	const char *prom, *metric, *help;
} gauges[] = {
	{ "rexian_calls_offered", "offered", "Calls offered in the window." },
	{ "rexian_service_level", "service_level", "Share of offered calls answered within the threshold (30秒人工接通率)." },
	{ "rexian_connect_rate", "connect_rate", "Share of offered calls answered (接通率)." },
	{ "rexian_abandon_rate", "abandon_rate", "Share of offered calls abandoned (放弃率)." },
	{ "rexian_avg_wait_seconds", "avg_wait_s", "Mean wait of answered calls (平均等待时长)." },
	{ "rexian_avg_talk_seconds", "avg_talk_s", "Mean talk time of completed calls (平均通话时长)." },
	{ "rexian_long_talk_share", "long_talk_share", "Share of completed calls over the long-talk threshold." },
};

static void write_gauges(struct rx_jsonw *o, struct rx_engine *e)
{
	uint32_t n = rx_scopes_count(e->scopes);

	for (size_t k = 0; k < sizeof gauges / sizeof gauges[0]; k++) {
		head(o, gauges[k].prom, "gauge", gauges[k].help);
		for (int w = 0; w < RX_WIN_COUNT; w++)
			for (uint32_t i = 0; i < n; i++) {
				const struct rx_stats *st = rx_windows_get(e->windows, (enum rx_window_id)w, i);
				struct rx_metric m[RX_METRICS_COUNT];
				const struct rx_metric *hit = NULL;
				if (st == NULL)
					continue;
				rx_metrics_derive(&st->c, m);
				for (int j = 0; j < RX_METRICS_COUNT; j++)
					if (strcmp(m[j].name, gauges[k].metric) == 0)
						hit = &m[j];
				if (hit == NULL || hit->type == RX_METRIC_NULL)
					continue;
				rx_jsonw_rawf(o, "%s{", gauges[k].prom);
				scope_labels(o, e, i);
				rx_jsonw_rawf(o, ",window=\"%s\"", rx_window_name((enum rx_window_id)w));
				value_line(o, hit->type == RX_METRIC_COUNT ? (double)hit->count : hit->real);
			}
	}
}

/* One gauge family over the live queues: the hotline's value, then each queue's. */
static void live_family(struct rx_jsonw *o, struct rx_engine *e, const struct rx_live *live,
    const char *name, const char *help, bool longest)
{
	uint32_t n = rx_scopes_count(e->scopes);
	char b[40];

	head(o, name, "gauge", help);
	rx_format_real(b, sizeof b, longest ? (live->longest_wait_ms < 0 ? 0 :
	    (double)live->longest_wait_ms / 1000) : (double)live->waiting);
	rx_jsonw_rawf(o, "%s %s\n", name, b);
	for (uint32_t i = 0; i < n; i++) {
		const struct rx_scope *sc = rx_scopes_at(e->scopes, i);
		const struct rx_live_queue *q;
		if (sc->type != RX_SCOPE_QUEUE || sc->name >= live->nqueues)
			continue;
		q = &live->queues[sc->name];
		rx_jsonw_rawf(o, "%s{queue=\"", name);
		label_value(o, rx_names_str(e->names, sc->name));
		rx_format_real(b, sizeof b, longest ? (q->longest_wait_ms < 0 ? 0 :
		    (double)q->longest_wait_ms / 1000) : (double)q->waiting);
		rx_jsonw_rawf(o, "\"} %s\n", b);
	}
}

static void write_live(struct rx_jsonw *o, struct rx_engine *e)
{
	struct rx_live live;

	rx_engine_live(e, &live);
	live_family(o, e, &live, "rexian_calls_waiting", "Calls waiting in queue now.", false);
	live_family(o, e, &live, "rexian_longest_wait_seconds",
	    "Longest current wait in queue (0 when nobody waits).", true);
	head(o, "rexian_seats", "gauge", "Seats by state: logged in, ready (and free), on a call.");
	rx_jsonw_rawf(o, "rexian_seats{state=\"logged_in\"} %u\nrexian_seats{state=\"ready\"} %u\n"
	    "rexian_seats{state=\"on_call\"} %u\n", live.seats.logged_in, live.seats.ready,
	    live.seats.on_call);
	rx_live_release(&live);
}

static void one(struct rx_jsonw *o, const char *name, const char *type, const char *help, double v)
{
	char b[40];

	head(o, name, type, help);
	rx_format_real(b, sizeof b, v);
	rx_jsonw_rawf(o, "%s %s\n", name, b);
}

static void write_health(struct rx_jsonw *o, struct rx_engine *e, const struct rx_prom_health *h)
{
	const struct rx_calltrack_stats *ct = rx_calltrack_stats(e->calls);

	one(o, "rexian_ingest_lines_total", "counter", "Feed lines read.", (double)h->ingest.lines);
	one(o, "rexian_ingest_events_total", "counter", "Feed lines decoded into events.", (double)h->ingest.events);
	one(o, "rexian_ingest_errors_total", "counter", "Feed lines skipped as errors.", (double)h->ingest.errors);
	one(o, "rexian_ingest_duplicates_total", "counter", "Repeated call events ignored.", (double)ct->duplicates);
	one(o, "rexian_ingest_orphans_total", "counter", "Calls that never got an offer.", (double)ct->orphans);
	one(o, "rexian_ingest_late_total", "counter", "Events for calls already decided.", (double)ct->late);
	one(o, "rexian_calls_in_flight", "gauge", "Calls being tracked now.", (double)ct->open);
	one(o, "rexian_feed_connections_total", "counter", "Feed connections accepted.", (double)h->ingest.connections);
	one(o, "rexian_feed_connections_refused_total", "counter", "Feed connections refused over the limit.", (double)h->feeds_refused);
	one(o, "rexian_feed_connections", "gauge", "Feed connections open now.", (double)h->feeds_open);
	one(o, "rexian_feed_auth_failures_total", "counter", "Feed connections closed for a missing or wrong token.", (double)h->feeds_auth_failed);
	one(o, "rexian_http_auth_failures_total", "counter", "HTTP requests refused for missing or wrong credentials.", (double)h->http_auth_failed);
	one(o, "rexian_feed_accept_pauses_total", "counter", "Times feed listeners stopped accepting for 1 s, out of file descriptors or memory.", (double)h->feeds_accept_pauses);
	one(o, "rexian_http_accept_pauses_total", "counter", "Times the HTTP listener stopped accepting for 1 s, out of file descriptors or memory.", (double)h->http_accept_pauses);
	if (h->redis_enabled) {
		one(o, "rexian_redis_up", "gauge", "1 while connected to Redis.", h->redis_up ? 1 : 0);
		one(o, "rexian_redis_reconnects_total", "counter", "Redis connection failures and losses.", (double)h->redis_reconnects);
		one(o, "rexian_redis_errors_total", "counter", "Redis error replies.", (double)h->redis_errors);
		one(o, "rexian_redis_flushes_total", "counter", "Flushes written to Redis.", (double)h->redis_flushes);
		one(o, "rexian_redis_flushes_skipped_total", "counter", "Flushes skipped: Redis down or still busy.", (double)h->redis_flushes_skipped);
		one(o, "rexian_redis_buckets_behind", "gauge", "Minute and day hashes still to be written after a reconnect.", (double)h->redis_buckets_behind);
		one(o, "rexian_redis_flush_seconds", "gauge", "Duration of the last flush, first command to last reply.", h->redis_flush_s);
	}
	if (h->journal_enabled) {
		one(o, "rexian_journal_events_total", "counter", "Events appended to the journal.", (double)h->journal_appended);
		one(o, "rexian_journal_write_errors_total", "counter", "Journal writes or flushes that failed.", (double)h->journal_errors);
		one(o, "rexian_journal_failing", "gauge", "1 while journal writes fail (disk full?).", h->journal_failing ? 1 : 0);
		one(o, "rexian_journal_restored_events", "gauge", "Events replayed from the journal at start.", (double)h->journal_restored);
	}
	head(o, "rexian_alerts_firing", "gauge", "1 while the alert rule fires.");
	for (size_t i = 0; i < h->nrules; i++) {
		rx_jsonw_raw(o, "rexian_alerts_firing{rule=\"", 27);
		label_value(o, h->rules[i].name);
		rx_jsonw_rawf(o, "\"} %d\n", h->rules[i].state == RX_ALERT_FIRING);
	}
	one(o, "rexian_alert_webhook_failures_total", "counter", "Alert webhook deliveries that failed.", (double)h->webhook_failures);
}

void rx_prom_write(struct rx_jsonw *out, struct rx_engine *e, const struct rx_prom_health *h)
{
	rx_windows_refresh_max(e->windows);
	write_counters(out, e);
	write_gauges(out, e);
	write_live(out, e);
	write_health(out, e, h);
}
