/*
 * test_alert.c: alert rules: parsing, hold time, minimum volume, hysteresis, live gauges.
 * Each test drives a real engine with hand-made events; time is the events' time.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rexian/alert.h"
#include "rexian/engine.h"

#define T0 1772409600000LL   /* 2026-03-02 08:00:00 +08:00 */

static struct rx_engine *engine;
static int fired, cleared;

static void setup(void)
{
	struct rx_engine_config cfg;

	cr_assert_eq(rx_tz_init("Asia/Shanghai"), 0);
	rx_engine_config_default(&cfg);
	engine = rx_engine_new(&cfg);
	cr_assert_not_null(engine);
	fired = cleared = 0;
}

static void teardown(void)
{
	rx_engine_free(engine);
}

static void count_cb(const struct rx_alert_event *ev, void *arg)
{
	(void)arg;
	if (ev->firing)
		fired++;
	else
		cleared++;
}

static void call(const char *id, int64_t offer_ms, int64_t answer_ms, int64_t hangup_ms)
{
	struct rx_event ev = { 0 };

	ev.call = (struct rx_str){ id, strlen(id) };
	ev.queue = (struct rx_str){ "12345", 5 };
	ev.seat = (struct rx_str){ "s1", 2 };
	ev.kind = RX_EV_OFFER;
	ev.ts_ms = offer_ms;
	rx_engine_event(engine, &ev);
	if (answer_ms >= 0) {
		ev.kind = RX_EV_ANSWER;
		ev.ts_ms = answer_ms;
		rx_engine_event(engine, &ev);
	}
	ev.kind = RX_EV_HANGUP;
	ev.ts_ms = hangup_ms;
	rx_engine_event(engine, &ev);
}

static void evaluate(struct rx_alert_rule *r, size_t n)
{
	rx_alert_evaluate(r, n, engine, count_cb, NULL);
}

TestSuite(alert, .init = setup, .fini = teardown, .timeout = 10);

Test(alert, parses_the_documented_form)
{
	struct rx_alert_rule r;
	char err[256];

	cr_assert_eq(rx_alert_parse("low: connect_rate queue:12345 15m < 0.90 min=20 for=120 clear=0.92",
	    &r, err, sizeof err), 0, "%s", err);
	cr_expect_str_eq(r.name, "low");
	cr_expect_str_eq(r.scope, "queue:12345");
	cr_expect(r.below);
	cr_expect_float_eq(r.threshold, 0.90, 1e-12);
	cr_expect_float_eq(r.clear, 0.92, 1e-12);
	cr_expect_eq(r.min_offered, 20);
	cr_expect_eq(r.for_ms, 120000);
}

Test(alert, rejects_unknown_metrics_windows_and_options)
{
	struct rx_alert_rule r;
	char err[256];

	cr_expect_neq(rx_alert_parse("x: bogus global 15m < 1", &r, err, sizeof err), 0);
	cr_expect_neq(rx_alert_parse("x: connect_rate global 2h < 1", &r, err, sizeof err), 0);
	cr_expect_neq(rx_alert_parse("x: waiting global 15m > 1", &r, err, sizeof err), 0);
	cr_expect_neq(rx_alert_parse("x: connect_rate global 15m = 1", &r, err, sizeof err), 0);
	cr_expect_neq(rx_alert_parse("x: connect_rate global 15m < 1 foo=2", &r, err, sizeof err), 0);
	cr_expect_neq(rx_alert_parse("connect_rate global 15m < 1", &r, err, sizeof err), 0);
}

Test(alert, defaults_cover_connect_rate_service_level_and_waiting)
{
	struct rx_alert_rule r[8];

	cr_assert_eq(rx_alert_defaults(r, 8), 4);
	cr_expect_str_eq(r[0].metric, "connect_rate");
	cr_expect_str_eq(r[1].metric, "service_level");
	cr_expect_str_eq(r[2].metric, "waiting");
	cr_expect_str_eq(r[3].metric, "longest_wait_s");
}

Test(alert, fires_only_after_the_hold_time_and_clears_past_the_clear_bound)
{
	struct rx_alert_rule r;
	char err[256];
	char id[16];
	int64_t t = T0;

	cr_assert_eq(rx_alert_parse("low: connect_rate global 15m < 0.90 min=4 for=60 clear=0.92",
	    &r, err, sizeof err), 0);
	for (int i = 0; i < 4; i++) {             /* 4 abandons: rate 0 */
		snprintf(id, sizeof id, "a%d", i);
		call(id, t, -1, t + 5000);
		t += 10000;
	}
	evaluate(&r, 1);
	cr_expect_eq(r.state, RX_ALERT_PENDING);
	cr_expect_eq(fired, 0, "not before the hold time");
	call("late", t + 60000, t + 61000, t + 62000);  /* moves the clock a minute on */
	evaluate(&r, 1);
	cr_expect_eq(fired, 1);
	cr_expect_eq(r.state, RX_ALERT_FIRING);
	t += 70000;
	for (int i = 0; i < 60; i++) {            /* answered calls lift the rate past 0.90 ... */
		snprintf(id, sizeof id, "b%d", i);
		call(id, t, t + 1000, t + 2000);
		t += 1000;
		evaluate(&r, 1);
		if (r.value >= 0.90 && r.value < 0.92)
			cr_expect_eq(cleared, 0, "between threshold and clear bound it keeps firing");
	}
	cr_expect_gt(r.value, 0.92);
	cr_expect_eq(cleared, 1, "... and past 0.92 it clears, once");
}

Test(alert, needs_the_minimum_number_of_offered_calls)
{
	struct rx_alert_rule r;
	char err[256];

	cr_assert_eq(rx_alert_parse("low: connect_rate global 15m < 0.90 min=20 for=0", &r, err, sizeof err), 0);
	call("a", T0, -1, T0 + 1000);
	evaluate(&r, 1);
	cr_expect_eq(fired, 0, "1 offered call is not enough to judge a rate");
}

Test(alert, live_waiting_gauge_fires_at_once_with_zero_hold)
{
	struct rx_alert_rule r;
	struct rx_event ev = { 0 };
	char err[256];

	cr_assert_eq(rx_alert_parse("w: waiting queue:12345 live > 0 for=0", &r, err, sizeof err), 0);
	ev.kind = RX_EV_OFFER;
	ev.ts_ms = T0;
	ev.call = (struct rx_str){ "w1", 2 };
	ev.queue = (struct rx_str){ "12345", 5 };
	rx_engine_event(engine, &ev);
	evaluate(&r, 1);
	cr_expect_eq(fired, 1);
	cr_expect_float_eq(r.value, 1.0, 1e-12);
	ev.kind = RX_EV_HANGUP;
	ev.ts_ms = T0 + 3000;
	rx_engine_event(engine, &ev);
	evaluate(&r, 1);
	cr_expect_eq(cleared, 1);
}

Test(alert, a_rule_for_an_unknown_scope_never_fires)
{
	struct rx_alert_rule r;
	char err[256];

	cr_assert_eq(rx_alert_parse("x: connect_rate queue:nope 15m < 2 for=0", &r, err, sizeof err), 0);
	call("a", T0, -1, T0 + 1000);
	evaluate(&r, 1);
	cr_expect_eq(fired, 0);
	cr_expect(isnan(r.value));
}
