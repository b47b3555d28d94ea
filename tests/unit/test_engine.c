/*
 * test_engine.c: the whole core path of issue 2, from feed bytes (rx_feed_push) through
 * rx_engine_event to the figures of every window, as `rexian replay` and `rexiand` run it.
 *
 * A small hand-made feed whose every figure is worked out below, and a property: a random
 * feed (fixed seed) and the same feed with each event displaced by less than the reorder
 * grace give identical figures (section 3: "the result must equal that of the sorted
 * feed").
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rexian/engine.h"
#include "rexian/feed.h"

#include "unit.h"

#define LOCAL(h, m, s) (MIDNIGHT + (h) * HOUR + (m) * MIN + (s) * S)

static void setup(void)
{
	cr_assert_eq(rx_tz_init("Asia/Shanghai"), 0);
}

TestSuite(engine, .init = setup, .timeout = 60);

/* ---- running a feed through the engine ---- */

struct run {
	struct rx_engine *e;
	struct rx_feed *feed;
	uint64_t errors_reported;
};

static void run_event_cb(const struct rx_event *ev, uint64_t line, void *arg)
{
	struct run *r = arg;

	(void)line;
	rx_engine_event(r->e, ev);
}

static void run_error_cb(uint64_t line, const char *reason, void *arg)
{
	struct run *r = arg;

	(void)line;
	(void)reason;
	r->errors_reported++;
}

static void run_start_with(struct run *r, const struct rx_engine_config *cfg)
{
	memset(r, 0, sizeof *r);
	r->e = rx_engine_new(cfg);
	cr_assert_not_null(r->e);
	r->feed = rx_feed_new(run_event_cb, run_error_cb, r);
	cr_assert_not_null(r->feed);
}

static void run_start(struct run *r)
{
	struct rx_engine_config cfg;

	rx_engine_config_default(&cfg);
	run_start_with(r, &cfg);
}

static void run_push(struct run *r, const char *text, size_t len)
{
	for (size_t off = 0; off < len; off += 4096)
		rx_feed_push(r->feed, text + off, len - off < 4096 ? len - off : 4096);
}

static void run_stop(struct run *r)
{
	rx_feed_free(r->feed);
	rx_engine_free(r->e);
}

/* ---- reading figures ---- */

struct figures {
	struct rx_metric m[RX_METRICS_COUNT];
};

static struct figures figures_of(struct rx_engine *e, enum rx_window_id win, uint32_t scope)
{
	static const struct rx_counters zero = RX_COUNTERS_INIT;
	const struct rx_stats *st;
	struct figures f;

	rx_windows_refresh_max(e->windows);
	st = rx_windows_get(e->windows, win, scope);
	rx_metrics_derive(st != NULL ? &st->c : &zero, f.m);
	return f;
}

static uint32_t scope_of(struct rx_engine *e, enum rx_scope_type type, const char *name)
{
	uint32_t id = rx_names_find(e->names, name, strlen(name));

	cr_assert_neq(id, 0, "name %s never seen", name);
	return rx_scopes_get(e->scopes, type, id);
}

static const struct rx_metric *metric(const struct figures *f, const char *name)
{
	for (int i = 0; i < RX_METRICS_COUNT; i++)
		if (strcmp(f->m[i].name, name) == 0)
			return &f->m[i];
	cr_assert_fail("no metric %s", name);
	return NULL;
}

static void expect_count(const struct figures *f, const char *what, const char *name,
    uint64_t expected)
{
	const struct rx_metric *m = metric(f, name);

	cr_expect(m->type == RX_METRIC_COUNT && m->count == expected,
	    "%s %s = %" PRIu64 ", expected %" PRIu64, what, name, m->count, expected);
}

static void expect_real(const struct figures *f, const char *what, const char *name,
    double expected)
{
	const struct rx_metric *m = metric(f, name);

	cr_expect(m->type == RX_METRIC_REAL && fabs(m->real - expected) <= 1e-9 * fmax(1, expected),
	    "%s %s = %.17g (type %d), expected %.17g", what, name, m->real, m->type, expected);
}

static void expect_null(const struct figures *f, const char *what, const char *name)
{
	cr_expect_eq(metric(f, name)->type, RX_METRIC_NULL, "%s %s should be null", what, name);
}

/* ---- a small feed, worked out by hand ---- */

/*
 * Inbound calls (local time, 2026-03-02):
 *   c0  12345   offer 07:58:00 answer 07:58:05 (1001) hangup 07:59:00   wait 5   talk 55
 *   c1  12345/hz offer 08:00:00 answer 08:00:10 (1001) hangup 08:05:10  wait 10  talk 300
 *   c2  一企来  offer 08:01:00 answer 08:01:40 (1002) hangup 08:13:40.001 wait 40 talk 720.001
 *   c3  一企来  offer 08:02:00 hangup 08:02:20                            abandoned
 *   c4  12345   offer 08:03:00 answer 08:03:30 (1003) hangup 08:13:30   wait 30  talk 600
 *   c7  12345   offer 08:07:00 answer 08:07:03 (1002) hangup 08:07:08   wait 3   talk 5,
 *               arriving hangup first, then answer, then offer
 *   c6  12345   offer 08:10:00, still waiting at the end
 * Outbound: c5 offer 08:04:00 answer 08:04:05 (1004) hangup 08:06:05.
 * Also: a repeated answer of c1, an orphan c9, a line that is not JSON, a blank line, a
 * caller number, c2's queue written with escapes and c3's literally, and CRLF endings.
 */
static const char small_feed[] =
    "{\"ts\":\"2026-03-02T07:50:00+08:00\",\"event\":\"seat\",\"seat\":\"1001\",\"state\":\"login\"}\n"
    "{\"ts\":\"2026-03-02T07:50:01+08:00\",\"event\":\"seat\",\"seat\":\"1001\",\"state\":\"ready\"}\n"
    "{\"ts\":\"2026-03-01T23:58:00Z\",\"event\":\"offer\",\"call\":\"c0\",\"queue\":\"12345\"}\n"
    "{\"ts\":\"2026-03-01T23:58:05Z\",\"event\":\"answer\",\"call\":\"c0\",\"seat\":\"1001\"}\n"
    "{\"ts\":\"2026-03-01T23:59:00Z\",\"event\":\"hangup\",\"call\":\"c0\",\"outcome\":\"online\"}\n"
    "\n"
    "{\"ts\":1772409600,\"event\":\"offer\",\"call\":\"c1\",\"queue\":\"12345\",\"platform\":\"hz\",\"caller\":\"13800138000\"}\n"
    "{\"ts\":1772409610,\"event\":\"answer\",\"call\":\"c1\",\"seat\":\"1001\"}\n"
    "{\"ts\":1772409660,\"event\":\"offer\",\"call\":\"c2\",\"queue\":\"\\u4e00\\u4f01\\u6765\"}\n"
    "{\"ts\":1772409610,\"event\":\"answer\",\"call\":\"c1\",\"seat\":\"1001\"}\n"
    "{\"ts\":1772409700,\"event\":\"answer\",\"call\":\"c2\",\"seat\":\"1002\"}\n"
    "{\"ts\":1772409720,\"event\":\"offer\",\"call\":\"c3\",\"queue\":\"一企来\"}\r\n"
    "{\"ts\":1772409740,\"event\":\"hangup\",\"call\":\"c3\"}\r\n"
    "this line is not JSON\n"
    "{\"ts\":1772409780,\"event\":\"offer\",\"call\":\"c4\",\"queue\":\"12345\"}\n"
    "{\"ts\":\"2026-03-02T08:03:30+08:00\",\"event\":\"answer\",\"call\":\"c4\",\"seat\":\"1003\"}\n"
    "{\"ts\":1772409840,\"event\":\"offer\",\"call\":\"c5\",\"queue\":\"callback\",\"direction\":\"out\"}\n"
    "{\"ts\":1772409845,\"event\":\"answer\",\"call\":\"c5\",\"seat\":\"1004\",\"direction\":\"out\"}\n"
    "{\"ts\":1772409910,\"event\":\"hangup\",\"call\":\"c1\",\"outcome\":\"online\"}\r\n"
    "{\"ts\":1772409965,\"event\":\"hangup\",\"call\":\"c5\",\"direction\":\"out\"}\n"
    "{\"ts\":1772410028,\"event\":\"hangup\",\"call\":\"c7\",\"outcome\":\"ticket\"}\n"
    "{\"ts\":1772410023,\"event\":\"answer\",\"call\":\"c7\",\"seat\":\"1002\"}\n"
    "{\"ts\":1772410020,\"event\":\"offer\",\"call\":\"c7\",\"queue\":\"12345\"}\n"
    "{\"ts\":1772410080,\"event\":\"answer\",\"call\":\"c9\",\"seat\":\"1002\"}\n"
    "{\"ts\":1772410110,\"event\":\"hangup\",\"call\":\"c9\"}\n"
    "{\"ts\":1772410200,\"event\":\"offer\",\"call\":\"c6\",\"queue\":\"12345\"}\n"
    "{\"ts\":1772410410,\"event\":\"hangup\",\"call\":\"c4\"}\n"
    "{\"ts\":1772410420.001,\"event\":\"hangup\",\"call\":\"c2\",\"outcome\":\"ticket\"}\n";

static void run_small_feed(struct run *r)
{
	run_start(r);
	run_push(r, small_feed, sizeof small_feed - 1);
	rx_feed_finish(r->feed);
}

Test(engine, small_feed_is_read_with_its_errors_duplicates_and_orphans)
{
	struct run r;

	run_small_feed(&r);
	expect_i64(rx_feed_stats(r.feed)->events, 26);
	expect_i64(rx_feed_stats(r.feed)->errors, 1);
	expect_i64(r.errors_reported, 1);
	expect_i64(rx_calltrack_stats(r.e->calls)->duplicates, 1);
	expect_i64(rx_calltrack_stats(r.e->calls)->orphans, 1);
	expect_i64(rx_calltrack_stats(r.e->calls)->clock_skew, 0);
	expect_i64(r.e->now, 1772410420001LL);
	run_stop(&r);
}

Test(engine, small_feed_all_figures)
{
	struct run r;

	run_small_feed(&r);
	struct figures g = figures_of(r.e, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "all", "offered", 6);
	expect_count(&g, "all", "answered", 5);
	expect_count(&g, "all", "abandoned", 1);
	expect_count(&g, "all", "answered_within_sl", 4);
	expect_real(&g, "all", "service_level", 4.0 / 6.0);
	expect_real(&g, "all", "connect_rate", 5.0 / 6.0);
	expect_real(&g, "all", "abandon_rate", 1.0 / 6.0);
	expect_real(&g, "all", "avg_wait_s", 88.0 / 5.0);
	expect_count(&g, "all", "completed", 5);
	expect_real(&g, "all", "avg_talk_s", 1680.001 / 5.0);
	expect_real(&g, "all", "long_talk_share", 0.2);
	expect_real(&g, "all", "max_talk_s", 720.001);
	expect_count(&g, "all", "stale", 0);
	rx_engine_finish(r.e);
	g = figures_of(r.e, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "all after finish", "offered", 6);
	run_stop(&r);
}

Test(engine, small_feed_today_and_1h_hold_everything_so_far)
{
	struct run r;

	run_small_feed(&r);
	static const enum rx_window_id wins[] = { RX_WIN_TODAY, RX_WIN_1H };
	for (size_t i = 0; i < 2; i++) {
		struct figures g = figures_of(r.e, wins[i], RX_SCOPE_GLOBAL_INDEX);
		const char *what = rx_window_name(wins[i]);
		expect_count(&g, what, "offered", 6);
		expect_count(&g, what, "answered_within_sl", 4);
		expect_count(&g, what, "completed", 5);
		expect_real(&g, what, "max_talk_s", 720.001);
	}
	run_stop(&r);
}

Test(engine, small_feed_shift_starts_at_0800)
{
	struct run r;

	run_small_feed(&r);
	expect_i64(rx_windows_start(r.e->windows, RX_WIN_SHIFT), LOCAL(8, 0, 0));
	struct figures g = figures_of(r.e, RX_WIN_SHIFT, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "shift", "offered", 5);
	expect_count(&g, "shift", "answered", 4);
	expect_count(&g, "shift", "answered_within_sl", 3);
	expect_real(&g, "shift", "avg_wait_s", 83.0 / 4.0);
	expect_count(&g, "shift", "completed", 4);
	expect_real(&g, "shift", "avg_talk_s", 1625.001 / 4.0);
	run_stop(&r);
}

Test(engine, small_feed_rolling_windows_follow_the_clock)
{
	struct run r;

	run_small_feed(&r);
	rx_engine_advance(r.e, LOCAL(8, 20, 0));
	/* 15m is (08:05:00, 08:20:00]: c7's answer, and the talks of c1, c7, c4 and c2 */
	struct figures g = figures_of(r.e, RX_WIN_15M, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "15m", "offered", 1);
	expect_count(&g, "15m", "answered", 1);
	expect_count(&g, "15m", "abandoned", 0);
	expect_real(&g, "15m", "avg_wait_s", 3.0);
	expect_count(&g, "15m", "completed", 4);
	expect_real(&g, "15m", "avg_talk_s", 1625.001 / 4.0);
	expect_real(&g, "15m", "long_talk_share", 0.25);
	g = figures_of(r.e, RX_WIN_1H, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "1h", "offered", 6);

	rx_engine_advance(r.e, LOCAL(9, 10, 0));
	/* 1h is (08:10:00, 09:10:00]: the talks of c4 and c2 */
	g = figures_of(r.e, RX_WIN_1H, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "1h", "offered", 0);
	expect_null(&g, "1h", "service_level");
	expect_null(&g, "1h", "avg_wait_s");
	expect_count(&g, "1h", "completed", 2);
	expect_real(&g, "1h", "avg_talk_s", 1320.001 / 2.0);
	expect_real(&g, "1h", "long_talk_share", 0.5);
	expect_real(&g, "1h", "max_talk_s", 720.001);
	g = figures_of(r.e, RX_WIN_15M, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "15m", "completed", 0);
	expect_null(&g, "15m", "avg_talk_s");
	g = figures_of(r.e, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "all", "offered", 6);
	run_stop(&r);
}

Test(engine, escaped_and_literal_queue_names_are_one_queue)
{
	struct run r;
	uint32_t queues = 0;

	run_small_feed(&r);
	struct figures q = figures_of(r.e, RX_WIN_ALL, scope_of(r.e, RX_SCOPE_QUEUE, "一企来"));
	expect_count(&q, "一企来", "offered", 2);
	expect_count(&q, "一企来", "answered", 1);
	expect_count(&q, "一企来", "abandoned", 1);
	expect_real(&q, "一企来", "abandon_rate", 0.5);
	for (uint32_t i = 0; i < rx_scopes_count(r.e->scopes); i++)
		if (rx_scopes_at(r.e->scopes, i)->type == RX_SCOPE_QUEUE) {
			const struct rx_stats *st = rx_windows_get(r.e->windows, RX_WIN_ALL, i);
			queues += st != NULL && st->c.answered + st->c.abandoned > 0;
		}
	expect_i64(queues, 2);
	q = figures_of(r.e, RX_WIN_ALL, scope_of(r.e, RX_SCOPE_QUEUE, "12345"));
	expect_count(&q, "12345", "offered", 4);
	expect_count(&q, "12345", "answered_within_sl", 4);
	run_stop(&r);
}

Test(engine, seats_and_platforms_count_the_calls_they_took)
{
	struct run r;

	run_small_feed(&r);
	struct figures s = figures_of(r.e, RX_WIN_ALL, scope_of(r.e, RX_SCOPE_SEAT, "1001"));
	expect_count(&s, "seat 1001", "answered", 2);
	expect_real(&s, "seat 1001", "avg_talk_s", 355.0 / 2.0);
	s = figures_of(r.e, RX_WIN_ALL, scope_of(r.e, RX_SCOPE_SEAT, "1002"));
	expect_count(&s, "seat 1002", "answered", 2);
	expect_count(&s, "seat 1002", "completed", 2);
	s = figures_of(r.e, RX_WIN_ALL, scope_of(r.e, RX_SCOPE_PLATFORM, "hz"));
	expect_count(&s, "platform hz", "offered", 1);
	expect_real(&s, "platform hz", "avg_talk_s", 300.0);
	run_stop(&r);
}

Test(engine, outbound_calls_stay_out_of_inbound_figures)
{
	struct run r;

	run_small_feed(&r);
	struct figures o = figures_of(r.e, RX_WIN_ALL, RX_SCOPE_OUTBOUND_INDEX);
	expect_count(&o, "outbound", "offered", 1);
	expect_count(&o, "outbound", "answered", 1);
	expect_count(&o, "outbound", "completed", 1);
	expect_real(&o, "outbound", "avg_talk_s", 120.0);
	uint32_t callback = rx_names_find(r.e->names, "callback", 8);
	if (callback != 0) {
		const struct rx_stats *st = rx_windows_get(r.e->windows, RX_WIN_ALL,
		    rx_scopes_get(r.e->scopes, RX_SCOPE_QUEUE, callback));
		cr_expect(st == NULL || st->c.answered + st->c.abandoned == 0,
		    "the outbound call counts in its queue as an inbound call");
	}
	struct figures g = figures_of(r.e, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "global", "answered", 5);
	run_stop(&r);
}

Test(engine, waiting_call_is_a_live_gauge_not_an_offer)
{
	struct run r;
	struct rx_live live;

	run_small_feed(&r);
	rx_engine_live(r.e, &live);
	expect_i64(live.waiting, 1);
	expect_i64(live.longest_wait_ms, 220001);
	rx_live_release(&live);
	rx_engine_advance(r.e, LOCAL(8, 20, 0));
	rx_engine_live(r.e, &live);
	expect_i64(live.longest_wait_ms, 600 * S);
	rx_live_release(&live);
	struct figures g = figures_of(r.e, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "all", "offered", 6);
	run_stop(&r);
}

Test(engine, stale_call_after_four_hours_is_counted_stale_only)
{
	struct run r;

	run_small_feed(&r);
	rx_engine_advance(r.e, LOCAL(12, 10, 1));
	struct figures g = figures_of(r.e, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "all", "stale", 1);
	expect_count(&g, "all", "offered", 6);
	expect_count(&g, "all", "abandoned", 1);
	expect_i64(rx_calltrack_stats(r.e->calls)->stale, 1);
	run_stop(&r);
}

Test(engine, todays_figures_reset_at_local_midnight)
{
	struct run r;

	run_small_feed(&r);
	rx_engine_advance(r.e, LOCAL(23, 59, 59));
	struct figures g = figures_of(r.e, RX_WIN_TODAY, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "today", "offered", 6);
	rx_engine_advance(r.e, LOCAL(24, 0, 0));
	g = figures_of(r.e, RX_WIN_TODAY, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "today", "offered", 0);
	expect_count(&g, "today", "stale", 0);
	g = figures_of(r.e, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "all", "offered", 6);
	run_stop(&r);
}

/* ---- property: a displaced feed gives the sorted feed's figures ---- */

struct gen_event {
	int64_t ts;
	int64_t key;   /* arrival order */
	int seq;
	char line[240];
};

struct gen {
	struct gen_event *ev;
	int n, cap;
	uint64_t rng;
};

static uint64_t gen_rand(struct gen *g)
{
	/* xorshift64* */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dULL;
}

static int64_t gen_range(struct gen *g, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(gen_rand(g) % (uint64_t)(hi - lo + 1));
}

static void gen_ts(struct gen *g, int64_t ts, char *out, size_t size)
{
	if (gen_rand(g) % 2) {
		snprintf(out, size, "%lld.%03lld", (long long)(ts / 1000), (long long)(ts % 1000));
	} else {
		time_t t = (time_t)(ts / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		snprintf(out, size, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ\"", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)(ts % 1000));
	}
}

static void gen_add(struct gen *g, int64_t ts, const char *event, const char *call,
    const char *extra)
{
	char tstext[64];
	struct gen_event *e;
	int copies = gen_rand(g) % 100 < 4 ? 2 : 1;   /* some events are repeated */

	gen_ts(g, ts, tstext, sizeof tstext);
	for (int c = 0; c < copies; c++) {
		if (g->n == g->cap) {
			g->cap = g->cap ? g->cap * 2 : 1024;
			g->ev = realloc(g->ev, (size_t)g->cap * sizeof *g->ev);
			cr_assert_not_null(g->ev);
		}
		e = &g->ev[g->n];
		e->ts = ts;
		e->seq = g->n++;
		snprintf(e->line, sizeof e->line, "{\"ts\":%s,\"event\":\"%s\",\"call\":\"%s\"%s}\n",
		    tstext, event, call, extra);
	}
}

/* A night shift at a hotline from 23:00 local, crossing midnight: answered calls with a
 * long tail of talk, boundary waits and talks, abandons, stuck calls, calls that never
 * get an offer, outbound callbacks, repeated events. */
static void gen_feed_skewed(struct gen *g, int calls, int64_t skew_ms)
{
	static const char *const queues[] = { "12345", "\\u4e00\\u4f01\\u6765", "一企来", "尚贤" };
	static const char *const platforms[] = { "", ",\"platform\":\"hz\"", ",\"platform\":\"nb\"" };
	static const char *const outcomes[] = { "", ",\"outcome\":\"online\"", ",\"outcome\":\"ticket\"",
		",\"outcome\":\"transfer110\"" };
	int64_t t = LOCAL(23, 0, 0);

	for (int i = 0; i < calls; i++) {
		char call[32], offer[160], answer[80], hangup[80];
		bool out = gen_rand(g) % 100 < 8;
		int kind = (int)(gen_rand(g) % 100);
		int64_t wait = gen_range(g, 0, 90 * S);
		int64_t talk = gen_rand(g) % 100 < 4 ? gen_range(g, 600 * S, 3000 * S) :
		    gen_range(g, 0, 600 * S);
		int64_t patience = gen_range(g, 1 * S, 120 * S);

		t += gen_range(g, 0, 8 * S);
		snprintf(call, sizeof call, "call-%d", i);
		snprintf(offer, sizeof offer, ",\"queue\":\"%s\"%s%s%s",
		    queues[gen_rand(g) % 4], platforms[gen_rand(g) % 3],
		    out ? ",\"direction\":\"out\"" : "",
		    gen_rand(g) % 10 == 0 ? ",\"caller\":\"13800138000\",\"ivr\":{\"path\":[1,3]}" : "");
		snprintf(answer, sizeof answer, ",\"seat\":\"%d\"", 1001 + (int)(gen_rand(g) % 20));
		snprintf(hangup, sizeof hangup, "%s", outcomes[gen_rand(g) % 4]);
		if (kind >= 96) {   /* exactly on the boundaries */
			wait = 30 * S;
			talk = gen_rand(g) % 2 ? 600 * S : 600 * S + 1;
		}
		/* switches whose clocks disagree: an answer stamped before its offer, a hangup
		 * before its answer or offer */
		if (skew_ms > 0 && gen_rand(g) % 10 == 0)
			wait = gen_range(g, -skew_ms, skew_ms);
		if (skew_ms > 0 && gen_rand(g) % 10 == 0)
			talk = gen_range(g, -skew_ms, skew_ms);
		if (skew_ms > 0 && gen_rand(g) % 10 == 0)
			patience = gen_range(g, -skew_ms, skew_ms);
		if (kind < 65 || kind >= 96) {            /* answered and hung up */
			gen_add(g, t, "offer", call, offer);
			gen_add(g, t + wait, "answer", call, answer);
			gen_add(g, t + wait + talk, "hangup", call, hangup);
		} else if (kind < 85) {                   /* abandoned */
			gen_add(g, t, "offer", call, offer);
			gen_add(g, t + patience, "hangup", call, hangup);
		} else if (kind < 89) {                   /* answered, hangup lost: stale */
			gen_add(g, t, "offer", call, offer);
			gen_add(g, t + wait, "answer", call, answer);
		} else if (kind < 92) {                   /* never answered nor hung up: stale */
			gen_add(g, t, "offer", call, offer);
		} else {                                  /* no offer: orphan */
			gen_add(g, t + wait, "answer", call, answer);
			gen_add(g, t + wait + talk, "hangup", call, hangup);
		}
	}
}

static void gen_feed(struct gen *g, int calls)
{
	gen_feed_skewed(g, calls, 0);
}

static int by_key(const void *a, const void *b)
{
	const struct gen_event *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Orders the events for arrival: by stamp, each displaced by [0, max_delay_ms). */
static void gen_arrange(struct gen *g, int64_t max_delay_ms)
{
	for (int i = 0; i < g->n; i++)
		g->ev[i].key = g->ev[i].ts + (max_delay_ms > 0 ? gen_range(g, 0, max_delay_ms - 1) : 0);
	qsort(g->ev, (size_t)g->n, sizeof g->ev[0], by_key);
}

static void run_gen_with(struct run *r, const struct gen *g, const struct rx_engine_config *cfg)
{
	run_start_with(r, cfg);
	for (int i = 0; i < g->n; i++)
		rx_feed_push(r->feed, g->ev[i].line, strlen(g->ev[i].line));
	rx_feed_finish(r->feed);
	cr_assert_eq(rx_feed_stats(r->feed)->errors, 0, "the generated feed has bad lines");
}

static void run_gen(struct run *r, const struct gen *g)
{
	run_start(r);
	for (int i = 0; i < g->n; i++)
		rx_feed_push(r->feed, g->ev[i].line, strlen(g->ev[i].line));
	rx_feed_finish(r->feed);
	cr_assert_eq(rx_feed_stats(r->feed)->errors, 0, "the generated feed has bad lines");
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool stats_empty(const struct rx_stats *st)
{
	const struct rx_counters *c = &st->c;

	return c->answered + c->abandoned + c->completed + c->stale == 0;
}

/* The counters and outcomes of one scope's stats as text, outcomes in name order. */
static void format_stats(char *buf, size_t size, struct rx_engine *e, const struct rx_stats *st)
{
	const struct rx_counters *c = &st->c;
	const char *names[16];
	uint64_t counts[16];
	int k = 0, len;

	len = snprintf(buf, size, "answered=%" PRIu64 " abandoned=%" PRIu64
	    " within=%" PRIu64 " completed=%" PRIu64 " long=%" PRIu64 " stale=%" PRIu64
	    " wait=%" PRId64 " talk=%" PRId64 " max=%" PRId64, c->answered, c->abandoned,
	    c->within_sl, c->completed, c->long_talks, c->stale, c->wait_ms, c->talk_ms,
	    c->max_talk_ms);
	for (uint32_t j = 0; j < st->noutcomes && k < 16; j++) {
		if (st->outcomes[j].count == 0)
			continue;
		names[k] = rx_names_str(e->names, st->outcomes[j].outcome);
		counts[k++] = st->outcomes[j].count;
	}
	for (int a = 1; a < k; a++)
		for (int b = a; b > 0 && strcmp(names[b - 1], names[b]) > 0; b--) {
			const char *tn = names[b];
			uint64_t tc = counts[b];
			names[b] = names[b - 1];
			counts[b] = counts[b - 1];
			names[b - 1] = tn;
			counts[b - 1] = tc;
		}
	for (int a = 0; a < k; a++)
		len += snprintf(buf + len, size - (size_t)len, " %s=%" PRIu64, names[a], counts[a]);
}

/* Every scope's counters in a window, one line per scope keyed by its type and name,
 * sorted: two engines compare equal whatever order their scopes were created in. */
struct lines {
	char **v;
	uint32_t n, cap;
	size_t total;
};

static void lines_add(struct lines *l, const char *text)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		cr_assert_not_null(l->v);
	}
	l->v[l->n++] = strdup(text);
	l->total += strlen(text) + 1;
}

/* The lines sorted and joined; frees them. */
static char *lines_join(struct lines *l)
{
	char *out = malloc(l->total + 1), *p = out;

	cr_assert_not_null(out);
	if (l->n > 0)
		qsort(l->v, l->n, sizeof *l->v, line_cmp);
	for (uint32_t i = 0; i < l->n; i++) {
		size_t len = strlen(l->v[i]);
		memcpy(p, l->v[i], len);
		p[len] = '\n';
		p += len + 1;
		free(l->v[i]);
	}
	*p = '\0';
	free(l->v);
	return out;
}

/* Every scope's counters in a window, one line per scope keyed by its type and name,
 * sorted: two engines compare equal whatever order their scopes were created in. */
static char *dump_window(struct rx_engine *e, enum rx_window_id win)
{
	struct lines l = { NULL, 0, 0, 0 };

	rx_windows_refresh_max(e->windows);
	for (uint32_t i = 0; i < rx_scopes_count(e->scopes); i++) {
		const struct rx_scope *sc = rx_scopes_at(e->scopes, i);
		const struct rx_stats *st = rx_windows_get(e->windows, win, i);
		char buf[1024];
		int len;
		if (st == NULL || stats_empty(st))
			continue;
		len = snprintf(buf, sizeof buf, "%s:%s ", rx_scope_type_name(sc->type),
		    rx_names_str(e->names, sc->name));
		format_stats(buf + len, sizeof buf - (size_t)len, e, st);
		lines_add(&l, buf);
	}
	return lines_join(&l);
}

struct bucket_dump {
	struct rx_engine *e;
	struct lines l;
};

static void dump_bucket_cb(bool day, int64_t code, uint32_t scope, const struct rx_stats *st,
    void *arg)
{
	struct bucket_dump *d = arg;
	const struct rx_scope *sc = rx_scopes_at(d->e->scopes, scope);
	char buf[1024];
	int len;

	if (stats_empty(st))
		return;
	len = snprintf(buf, sizeof buf, "%s:%" PRId64 " %s:%s ", day ? "day" : "min", code,
	    rx_scope_type_name(sc->type), rx_names_str(d->e->names, sc->name));
	format_stats(buf + len, sizeof buf - (size_t)len, d->e, st);
	lines_add(&d->l, buf);
}

/* Every per-minute and per-day bucket, as the Redis sink would write them. */
static char *dump_buckets(struct rx_engine *e)
{
	struct bucket_dump d = { e, { NULL, 0, 0, 0 } };

	rx_windows_foreach_bucket(e->windows, dump_bucket_cb, &d);
	return lines_join(&d.l);
}

static void expect_same_window(struct rx_engine *sorted, struct rx_engine *displaced,
    enum rx_window_id win)
{
	char *a = dump_window(sorted, win), *b = dump_window(displaced, win);

	cr_expect(strcmp(a, b) == 0, "window %s differs.\nsorted feed:\n%s\ndisplaced feed:\n%s",
	    rx_window_name(win), a, b);
	free(a);
	free(b);
}

static void expect_same_tracking(struct rx_engine *sorted, struct rx_engine *displaced)
{
	const struct rx_calltrack_stats *a = rx_calltrack_stats(sorted->calls);
	const struct rx_calltrack_stats *b = rx_calltrack_stats(displaced->calls);

	expect_i64(b->duplicates, a->duplicates);
	expect_i64(b->orphans, a->orphans);
	expect_i64(b->stale, a->stale);
	expect_i64(b->clock_skew, a->clock_skew);
	expect_i64(b->late, a->late);
}

Test(engine, displaced_feed_gives_the_sorted_feeds_all_figures)
{
	struct gen g = { NULL, 0, 0, 0x5eed2026c0ffeeULL };
	struct rx_engine_config cfg;
	struct run sorted, displaced;
	int64_t end;

	rx_engine_config_default(&cfg);
	gen_feed(&g, 3000);
	gen_arrange(&g, 0);
	end = g.ev[g.n - 1].ts;
	run_gen(&sorted, &g);
	gen_arrange(&g, cfg.track.reorder_ms);
	run_gen(&displaced, &g);

	rx_engine_advance(sorted.e, end + 5 * HOUR);
	rx_engine_finish(sorted.e);
	rx_engine_advance(displaced.e, end + 5 * HOUR);
	rx_engine_finish(displaced.e);
	expect_same_window(sorted.e, displaced.e, RX_WIN_ALL);
	expect_same_tracking(sorted.e, displaced.e);

	/* the feed is not trivial: every kind of call is in it */
	struct figures f = figures_of(sorted.e, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX);
	cr_expect_gt(metric(&f, "abandoned")->count, 100);
	cr_expect_gt(metric(&f, "stale")->count, 50);
	cr_expect_gt(metric(&f, "answered_within_sl")->count, 100);
	cr_expect(metric(&f, "long_talk_share")->real > 0);
	cr_expect_gt(rx_calltrack_stats(sorted.e->calls)->duplicates, 50);
	cr_expect_gt(rx_calltrack_stats(sorted.e->calls)->orphans, 50);
	f = figures_of(sorted.e, RX_WIN_ALL, RX_SCOPE_OUTBOUND_INDEX);
	cr_expect_gt(metric(&f, "offered")->count, 50);
	run_stop(&sorted);
	run_stop(&displaced);
	free(g.ev);
}

Test(engine, displaced_feed_gives_the_sorted_feeds_figures_in_every_window)
{
	struct gen g = { NULL, 0, 0, 0x0ddba11ULL };
	struct rx_engine_config cfg;
	struct run sorted, displaced;

	rx_engine_config_default(&cfg);
	gen_feed(&g, 3000);
	gen_arrange(&g, 0);
	run_gen(&sorted, &g);
	gen_arrange(&g, cfg.track.reorder_ms);
	run_gen(&displaced, &g);
	/* both have seen every event; their clocks agree, and so must every window */
	expect_i64(displaced.e->now, sorted.e->now);
	for (int win = 0; win < RX_WIN_COUNT; win++)
		expect_same_window(sorted.e, displaced.e, (enum rx_window_id)win);
	/* and a little later, once the last decisions are due */
	rx_engine_advance(sorted.e, sorted.e->now + 11 * S);
	rx_engine_advance(displaced.e, displaced.e->now + 11 * S);
	for (int win = 0; win < RX_WIN_COUNT; win++)
		expect_same_window(sorted.e, displaced.e, (enum rx_window_id)win);
	run_stop(&sorted);
	run_stop(&displaced);
	free(g.ev);
}

/* ---- smaller behaviours of the whole path ---- */

static void push_line(struct run *r, const char *line)
{
	rx_feed_push(r->feed, line, strlen(line));
	rx_feed_push(r->feed, "\n", 1);
}

Test(engine, offer_without_queue_counts_in_the_default_queue)
{
	struct run r;

	run_start(&r);
	push_line(&r, "{\"ts\":1772409600,\"event\":\"offer\",\"call\":\"d1\"}");
	push_line(&r, "{\"ts\":1772409605,\"event\":\"answer\",\"call\":\"d1\",\"seat\":\"1001\"}");
	struct figures q = figures_of(r.e, RX_WIN_ALL, scope_of(r.e, RX_SCOPE_QUEUE, "default"));
	expect_count(&q, "default", "answered", 1);
	run_stop(&r);
}

Test(engine, thresholds_come_from_the_configuration)
{
	struct rx_engine_config cfg;
	struct run r;

	run_start(&r);
	rx_engine_free(r.e);
	rx_engine_config_default(&cfg);
	expect_i64(cfg.th.sl_ms, 30 * S);
	expect_i64(cfg.th.long_ms, 600 * S);
	cfg.th.sl_ms = 20 * S;
	cfg.th.long_ms = 300 * S;
	r.e = rx_engine_new(&cfg);
	cr_assert_not_null(r.e);
	push_line(&r, "{\"ts\":1772409600,\"event\":\"offer\",\"call\":\"t1\"}");
	push_line(&r, "{\"ts\":1772409625,\"event\":\"answer\",\"call\":\"t1\",\"seat\":\"1001\"}");
	push_line(&r, "{\"ts\":1772409926,\"event\":\"hangup\",\"call\":\"t1\"}");
	struct figures g = figures_of(r.e, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX);
	expect_count(&g, "sl 20 s", "answered_within_sl", 0);
	expect_real(&g, "long 300 s", "long_talk_share", 1.0);
	run_stop(&r);
}

static struct rx_seat_gauges gauges(struct run *r)
{
	struct rx_live live;
	struct rx_seat_gauges g;

	rx_engine_live(r->e, &live);
	g = live.seats;
	rx_live_release(&live);
	return g;
}

Test(engine, seat_gauges_follow_seat_events_and_calls)
{
	struct run r;
	struct rx_seat_gauges g;

	run_start(&r);
	push_line(&r, "{\"ts\":1772409600,\"event\":\"seat\",\"seat\":\"s1\",\"state\":\"login\"}");
	push_line(&r, "{\"ts\":1772409601,\"event\":\"seat\",\"seat\":\"s1\",\"state\":\"ready\"}");
	push_line(&r, "{\"ts\":1772409602,\"event\":\"seat\",\"seat\":\"s2\",\"state\":\"login\"}");
	push_line(&r, "{\"ts\":1772409603,\"event\":\"seat\",\"seat\":\"s2\",\"state\":\"ready\"}");
	push_line(&r, "{\"ts\":1772409604,\"event\":\"seat\",\"seat\":\"s3\",\"state\":\"login\"}");
	push_line(&r, "{\"ts\":1772409605,\"event\":\"seat\",\"seat\":\"s3\",\"state\":\"notready\"}");
	g = gauges(&r);
	expect_i64(g.logged_in, 3);
	expect_i64(g.ready, 2);
	expect_i64(g.on_call, 0);
	push_line(&r, "{\"ts\":1772409660,\"event\":\"offer\",\"call\":\"x1\"}");
	push_line(&r, "{\"ts\":1772409665,\"event\":\"answer\",\"call\":\"x1\",\"seat\":\"s1\"}");
	g = gauges(&r);
	expect_i64(g.ready, 1);
	expect_i64(g.on_call, 1);
	push_line(&r, "{\"ts\":1772409780,\"event\":\"hangup\",\"call\":\"x1\"}");
	push_line(&r, "{\"ts\":1772409840,\"event\":\"seat\",\"seat\":\"s3\",\"state\":\"logout\"}");
	g = gauges(&r);
	expect_i64(g.logged_in, 2);
	expect_i64(g.ready, 2);
	expect_i64(g.on_call, 0);
	/* a seat that answers without ever sending a seat event is evidently logged in */
	push_line(&r, "{\"ts\":1772409900,\"event\":\"offer\",\"call\":\"x2\"}");
	push_line(&r, "{\"ts\":1772409902,\"event\":\"answer\",\"call\":\"x2\",\"seat\":\"s4\"}");
	g = gauges(&r);
	expect_i64(g.logged_in, 3);
	expect_i64(g.on_call, 1);
	run_stop(&r);
}

Test(engine, displaced_feed_gives_the_sorted_feeds_minute_and_day_buckets)
{
	struct gen g = { NULL, 0, 0, 0xb0c4e75ULL };
	struct rx_engine_config cfg;
	struct run sorted, displaced;

	rx_engine_config_default(&cfg);
	cfg.buckets = true;
	gen_feed(&g, 3000);
	gen_arrange(&g, 0);
	run_gen_with(&sorted, &g, &cfg);
	gen_arrange(&g, cfg.track.reorder_ms);
	run_gen_with(&displaced, &g, &cfg);
	rx_engine_advance(sorted.e, sorted.e->now + 5 * HOUR);
	rx_engine_finish(sorted.e);
	rx_engine_advance(displaced.e, displaced.e->now + 5 * HOUR);
	rx_engine_finish(displaced.e);
	char *a = dump_buckets(sorted.e);
	char *b = dump_buckets(displaced.e);
	cr_expect(strlen(a) > 1000, "too few buckets to compare:\n%s", a);
	cr_expect(strcmp(a, b) == 0, "buckets differ.\nsorted feed:\n%s\ndisplaced feed:\n%s", a, b);
	free(a);
	free(b);
	run_stop(&sorted);
	run_stop(&displaced);
	free(g.ev);
}

Test(engine, displaced_feed_with_skewed_clocks_gives_the_sorted_feeds_all_figures)
{
	struct gen g = { NULL, 0, 0, 0x5c3e3dULL };
	struct rx_engine_config cfg;
	struct run sorted, displaced;
	int64_t skew = 2 * S;

	rx_engine_config_default(&cfg);
	gen_feed_skewed(&g, 3000, skew);
	gen_arrange(&g, 0);
	run_gen(&sorted, &g);
	/* a stamp may be `skew` early, so the grace left for displacement is 2 * skew less */
	gen_arrange(&g, cfg.track.reorder_ms - 2 * skew);
	run_gen(&displaced, &g);
	rx_engine_advance(sorted.e, sorted.e->now + 5 * HOUR);
	rx_engine_finish(sorted.e);
	rx_engine_advance(displaced.e, displaced.e->now + 5 * HOUR);
	rx_engine_finish(displaced.e);
	for (int win = 0; win < RX_WIN_COUNT; win++)
		expect_same_window(sorted.e, displaced.e, (enum rx_window_id)win);
	expect_same_tracking(sorted.e, displaced.e);
	cr_expect_gt(rx_calltrack_stats(sorted.e->calls)->clock_skew, 100);
	run_stop(&sorted);
	run_stop(&displaced);
	free(g.ev);
}
