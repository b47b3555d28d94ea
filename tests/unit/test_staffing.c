/*
 * test_staffing.c: the measured mode's arithmetic (src/core/staffing.c) on small hand-made
 * minutes: AHT and the censored patience estimate from additive counters, minutes summed
 * into intervals, sizing with the right model and the right handling time, the day summary,
 * the day store, and seats logged in as a time-weighted step function of seat events.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>

#include "rexian/staffing.h"

#define expect_near(actual, expected, tol)                                              \
	do {                                                                            \
		double a_ = (actual), e_ = (expected);                                  \
		cr_expect(fabs(a_ - e_) <= (tol), "%s = %.10g, expected %.10g within %g", \
		    #actual, a_, e_, (double)(tol));                                    \
	} while (0)

#define MIN_MS 60000LL
#define DAY0_MS 1772380800000LL /* 2026-03-02 00:00 +08:00, any origin would do */

static struct rx_staffing_minute day[RX_STAFFING_DAY_MINUTES];
static struct rx_staffing_interval iv[RX_STAFFING_DAY_MINUTES];

static void
setup_day(void)
{
	rx_staffing_minutes_clear(day, RX_STAFFING_DAY_MINUTES);
}

TestSuite(staffing, .init = setup_day, .timeout = 30);

/* One minute's counters: answered calls with their total wait and talk, abandons. */
static void
minute(int at, uint64_t answered, int64_t wait_ms, int64_t talk_ms, uint64_t abandoned,
    int64_t abandon_wait_ms)
{
	struct rx_counters *c = &day[at].c;

	c->answered += answered;
	c->completed += answered;
	c->within_sl += answered;
	c->wait_ms += wait_ms;
	c->talk_ms += talk_ms;
	c->abandoned += abandoned;
	c->abandon_wait_ms += abandon_wait_ms;
}

/* ---- AHT and patience ---- */

Test(staffing, aht_is_talk_per_completed_call_plus_after_call_work)
{
	struct rx_counters c = RX_COUNTERS_INIT;

	c.completed = 4;
	c.talk_ms = 720000;
	expect_near(rx_staffing_aht_s(&c, 0), 180.0, 1e-12);
	expect_near(rx_staffing_aht_s(&c, 20), 200.0, 1e-12);
	c.completed = 0;
	cr_expect(isnan(rx_staffing_aht_s(&c, 20)), "no completed call, no AHT");
}

/* Three answered after 10, 20 and 30 s; two hung up after 40 and 50 s: the callers were at
 * risk for 150 s in all and two ran out of patience, so the mean patience is 75 s. */
Test(staffing, patience_counts_answered_waits_as_censored)
{
	struct rx_counters c = RX_COUNTERS_INIT;

	c.answered = 3;
	c.wait_ms = 60000;
	c.abandoned = 2;
	c.abandon_wait_ms = 90000;
	expect_near(rx_staffing_patience_s(&c), 75.0, 1e-12);
}

Test(staffing, patience_is_unknown_without_abandons)
{
	struct rx_counters c = RX_COUNTERS_INIT;

	c.answered = 50;
	c.wait_ms = 500000;
	cr_expect(isnan(rx_staffing_patience_s(&c)));
}

/* A small linear congruential generator: the same numbers on every platform. */
static double
uniform(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
}

/*
 * The estimator recovers an exponential patience from censored waits: 20,000 callers with
 * patience of mean 120 s, each answered after a uniform 0-200 s unless it runs out first.
 * The MLE's relative standard error is 1/sqrt(abandons); 4 of them is the band.
 */
Test(staffing, patience_estimate_recovers_an_exponential_mean)
{
	struct rx_counters c = RX_COUNTERS_INIT;
	uint64_t seed = 42;

	for (int i = 0; i < 20000; i++) {
		double patience = -120.0 * log(uniform(&seed)), answer = 200.0 * uniform(&seed);
		struct rx_fact f = { .ts_ms = 0, .kind = RX_FACT_ANSWERED };
		struct rx_thresholds th = { 30000, 600000 };

		f.kind = patience < answer ? RX_FACT_ABANDONED : RX_FACT_ANSWERED;
		f.dur_ms = (int64_t)llround(1000 * fmin(patience, answer));
		rx_counters_apply(&c, &f, &th, +1);
	}
	cr_assert_gt(c.abandoned, 1000);
	expect_near(rx_staffing_patience_s(&c) / 120.0, 1.0, 4 / sqrt((double)c.abandoned));
}

/* ---- minutes into intervals ---- */

Test(staffing, minutes_sum_into_half_hours)
{
	for (int m = 0; m < 60; m++)
		minute(m, 1, 1000, 180000, 0, 0);
	minute(1439, 2, 0, 400000, 1, 5000);
	cr_assert_eq(rx_staffing_aggregate(day, 30, 0, iv), 0);
	cr_expect_eq(iv[0].c.answered, 30);
	cr_expect_eq(iv[1].c.answered, 30);
	cr_expect_eq(iv[2].c.answered, 0);
	expect_near(iv[0].aht_s, 180.0, 1e-12);
	cr_expect(isnan(iv[0].patience_s));
	cr_expect(isnan(iv[2].aht_s), "a quiet interval has no AHT");
	cr_expect_eq(iv[47].c.answered, 2, "the last half hour ends at midnight");
	cr_expect_eq(iv[47].c.abandoned, 1);
	expect_near(iv[47].patience_s, 5.0, 1e-12);
	cr_expect_eq(iv[0].required_c, -1, "aggregation leaves sizing to rx_staffing_size");
}

Test(staffing, interval_lengths_must_divide_the_day)
{
	cr_expect_eq(rx_staffing_aggregate(day, 7, 0, iv), -1);
	cr_expect_eq(rx_staffing_aggregate(day, 0, 0, iv), -1);
	cr_expect_eq(rx_staffing_aggregate(day, 1440, 0, iv), 0);
	cr_expect_eq(rx_staffing_aggregate(day, 15, 0, iv), 0);
}

Test(staffing, interval_seats_skip_minutes_not_known)
{
	day[0].seats_avg = 4.0;
	day[0].seats_max = 5.0;
	day[1].seats_avg = 6.0;
	day[1].seats_max = 7.0;
	/* minutes 2..14 unknown (e.g. no Redis sample), 15..29 known and empty */
	for (int m = 15; m < 30; m++)
		day[m].seats_avg = day[m].seats_max = 0.0;
	rx_staffing_aggregate(day, 30, 0, iv);
	cr_expect_eq(iv[0].seat_minutes, 17);
	expect_near(iv[0].seats_mean, 10.0 / 17, 1e-12);
	expect_near(iv[0].seats_peak, 7.0, 0);
	cr_expect(isnan(iv[1].seats_mean) && isnan(iv[1].seats_peak), "no minute known");
}

/* ---- sizing ---- */

static struct rx_staffing_sizing
sizing(double patience_s)
{
	return (struct rx_staffing_sizing){ 1800.0, 0.0, NAN, patience_s,
	    { 0.80, 20.0, 0.05, 1.0 } };
}

/* 100 calls of 180 s in half an hour, 80% within 20 s: the textbook 14 agents (Erlang C).
 * With a 300 s patience, Erlang A needs 13 (rexian staff --patience-s 300 says so too). */
static void
textbook_interval(double seats_mean)
{
	for (int i = 0; i < 100; i++)
		minute(i % 30, 1, 0, 180000, 0, 0);
	rx_staffing_aggregate(day, 30, 0, iv);
	iv[0].seats_mean = seats_mean;
}

Test(staffing, sizes_the_textbook_interval_with_erlang_c)
{
	struct rx_staffing_sizing s = sizing(NAN);

	textbook_interval(13.5);
	rx_staffing_size(&iv[0], &s);
	expect_near(iv[0].erlangs, 10.0, 1e-12);
	cr_expect_eq(iv[0].required_c, 14);
	cr_expect_eq(iv[0].required_a, -1, "no patience, no Erlang A");
	cr_expect_eq(iv[0].understaffed, 1, "13.5 seats on average < 14");
}

Test(staffing, the_flag_uses_erlang_a_when_patience_is_known)
{
	struct rx_staffing_sizing s = sizing(300.0);

	textbook_interval(13.5);
	rx_staffing_size(&iv[0], &s);
	cr_expect_eq(iv[0].required_c, 14);
	cr_expect_eq(iv[0].required_a, 13);
	cr_expect_eq(iv[0].understaffed, 0, "13.5 seats meet Erlang A's 13");
}

Test(staffing, no_flag_without_seats)
{
	struct rx_staffing_sizing s = sizing(NAN);

	textbook_interval(NAN);
	rx_staffing_size(&iv[0], &s);
	cr_expect_eq(iv[0].required_c, 14);
	cr_expect_eq(iv[0].understaffed, -1);
}

Test(staffing, acw_adds_to_the_handling_time)
{
	struct rx_staffing_sizing s = sizing(NAN);

	for (int i = 0; i < 100; i++)
		minute(i % 30, 1, 0, 150000, 0, 0);
	rx_staffing_aggregate(day, 30, 30.0, iv);
	expect_near(iv[0].aht_s, 180.0, 1e-12);
	rx_staffing_size(&iv[0], &s);
	cr_expect_eq(iv[0].required_c, 14);
}

/* Calls offered in an interval whose talks end in the next one are sized on the day's AHT. */
Test(staffing, an_interval_without_completions_uses_the_days_aht)
{
	struct rx_staffing_sizing s = sizing(NAN);

	day[0].c.answered = 100;
	rx_staffing_aggregate(day, 30, 0, iv);
	rx_staffing_size(&iv[0], &s);
	cr_expect(isnan(iv[0].erlangs), "no AHT anywhere: not sized");
	cr_expect_eq(iv[0].required_c, -1);
	s.fallback_aht_s = 180.0;
	rx_staffing_size(&iv[0], &s);
	expect_near(iv[0].erlangs, 10.0, 1e-12);
	cr_expect_eq(iv[0].required_c, 14);
	cr_expect(isnan(iv[0].aht_s), "the interval's own AHT stays unknown");
}

/* ---- the day ---- */

Test(staffing, day_summary_finds_the_peak_and_weights_seats_by_minutes)
{
	struct rx_staffing_day d;

	minute(0, 10, 0, 1800000, 0, 0);
	minute(600, 30, 60000, 5400000, 3, 30000);   /* 10:00 */
	minute(900, 33, 0, 5940000, 0, 0);           /* 15:00: as many calls, later */
	rx_staffing_aggregate(day, 30, 0, iv);
	iv[0].seats_mean = 2.0;
	iv[0].seat_minutes = 30;
	iv[1].seats_mean = 5.0;
	iv[1].seat_minutes = 10;
	iv[1].seats_peak = 9.0;
	iv[3].understaffed = 1;
	iv[4].understaffed = 1;
	rx_staffing_summarise(iv, 48, 0, &d);
	cr_expect_eq(d.c.answered, 73);
	cr_expect_eq(d.c.abandoned, 3);
	cr_expect_eq(d.peak_interval, 20, "10:00, the earlier of two equal peaks");
	expect_near(d.aht_s, 180.0, 1e-12);
	expect_near(d.patience_s, 30.0, 1e-12);
	expect_near(d.seats_mean, (2.0 * 30 + 5.0 * 10) / 40, 1e-12);
	expect_near(d.seats_peak, 9.0, 0);
	cr_expect_eq(d.understaffed, 2);
}

Test(staffing, a_day_without_calls_has_no_peak)
{
	struct rx_staffing_day d;

	rx_staffing_aggregate(day, 60, 0, iv);
	rx_staffing_summarise(iv, 24, 0, &d);
	cr_expect_eq(d.peak_interval, -1);
	cr_expect(isnan(d.aht_s) && isnan(d.patience_s) && isnan(d.seats_mean));
}

Test(staffing, minute_codes_split_into_day_and_minute)
{
	int32_t d;
	int m;

	cr_assert_eq(rx_staffing_minute_split(202603021030LL, &d, &m), 0);
	cr_expect_eq(d, 20260302);
	cr_expect_eq(m, 630);
	cr_assert_eq(rx_staffing_minute_split(202603022359LL, &d, &m), 0);
	cr_expect_eq(m, 1439);
	cr_expect_eq(rx_staffing_minute_split(202603022460LL, &d, &m), -1);
	cr_expect_eq(rx_staffing_minute_split(202603021060LL, &d, &m), -1);
	cr_expect_eq(rx_staffing_minute_split(20260302LL, &d, &m), -1, "a day code");
}

Test(staffing, day_store_picks_the_busiest_day_earliest_on_ties)
{
	struct rx_staffing_days *days = rx_staffing_days_new();
	struct rx_staffing_minute *m;

	cr_assert_not_null(days);
	cr_expect_eq(rx_staffing_days_busiest(days), 0);
	cr_expect_null(rx_staffing_days_get(days, 20260303, false));
	m = rx_staffing_days_get(days, 20260303, true);
	m[10].c.answered = 5;
	m = rx_staffing_days_get(days, 20260302, true);
	m[700].c.abandoned = 3;
	m[701].c.answered = 2;
	cr_expect_eq(rx_staffing_days_busiest(days), 20260302, "a tie of 5: the earlier day");
	rx_staffing_days_get(days, 20260304, true)[0].c.answered = 6;
	cr_expect_eq(rx_staffing_days_busiest(days), 20260304);
	cr_expect_eq(rx_staffing_days_get(days, 20260302, false)[701].c.answered, 2);
	rx_staffing_days_free(days);
}

/* ---- seats logged in ---- */

static struct rx_staffing_seatlog *
seatlog(void)
{
	struct rx_staffing_seatlog *log = rx_staffing_seatlog_new();

	cr_assert_not_null(log);
	return log;
}

/* Seat 1 from 00:00:30 to 00:01:30, seat 2 from 00:01:00 on. */
Test(staffing, seats_are_time_weighted_per_minute)
{
	struct rx_staffing_seatlog *log = seatlog();

	rx_staffing_seatlog_event(log, 1, true, DAY0_MS + 30000);
	rx_staffing_seatlog_event(log, 2, true, DAY0_MS + MIN_MS);
	rx_staffing_seatlog_event(log, 1, false, DAY0_MS + 90000);
	rx_staffing_seatlog_minutes(log, DAY0_MS, day, 3);
	expect_near(day[0].seats_avg, 0.5, 1e-12);
	expect_near(day[0].seats_max, 1.0, 0);
	expect_near(day[1].seats_avg, 1.5, 1e-12);
	expect_near(day[1].seats_max, 2.0, 0);
	expect_near(day[2].seats_avg, 1.0, 1e-12);
	expect_near(day[2].seats_max, 1.0, 0);
	cr_expect(isnan(day[3].seats_avg), "only the minutes asked for are filled");
	rx_staffing_seatlog_free(log);
}

/* login, ready and notready all mean logged in; only logout ends it; a seat's older event
 * (a reordered feed) changes nothing, as in the engine. */
Test(staffing, ready_and_notready_stay_logged_in_and_old_events_are_ignored)
{
	struct rx_staffing_seatlog *log = seatlog();

	rx_staffing_seatlog_event(log, 7, true, DAY0_MS - 3600000);      /* login */
	rx_staffing_seatlog_event(log, 7, true, DAY0_MS - 3500000);      /* ready */
	rx_staffing_seatlog_event(log, 7, true, DAY0_MS + 10000);        /* notready */
	rx_staffing_seatlog_event(log, 7, false, DAY0_MS + 5000);        /* older: ignored */
	rx_staffing_seatlog_event(log, 8, false, DAY0_MS);               /* logout, never in */
	cr_expect_eq(rx_staffing_seatlog_events(log), 4);
	rx_staffing_seatlog_minutes(log, DAY0_MS, day, 2);
	expect_near(day[0].seats_avg, 1.0, 1e-12);
	expect_near(day[0].seats_max, 1.0, 0);
	expect_near(day[1].seats_avg, 1.0, 1e-12);
	rx_staffing_seatlog_free(log);
}

/* One agent logs out as the next logs in, in the same millisecond: never two at once. */
Test(staffing, a_handover_at_one_instant_is_not_a_peak)
{
	struct rx_staffing_seatlog *log = seatlog();

	rx_staffing_seatlog_event(log, 1, true, DAY0_MS - 1000);
	rx_staffing_seatlog_event(log, 2, true, DAY0_MS + 20000);
	rx_staffing_seatlog_event(log, 1, false, DAY0_MS + 20000);
	rx_staffing_seatlog_minutes(log, DAY0_MS, day, 1);
	expect_near(day[0].seats_max, 1.0, 0);
	expect_near(day[0].seats_avg, 1.0, 1e-12);
	rx_staffing_seatlog_free(log);
}

/* Events of different seats arrive out of order across the minute: sorted before the sweep;
 * a change exactly at a minute's start belongs to that minute. */
Test(staffing, seat_events_out_of_order_across_seats)
{
	struct rx_staffing_seatlog *log = seatlog();

	rx_staffing_seatlog_event(log, 3, true, DAY0_MS + MIN_MS);
	rx_staffing_seatlog_event(log, 4, true, DAY0_MS + 15000);
	rx_staffing_seatlog_event(log, 5, true, DAY0_MS + 45000);
	rx_staffing_seatlog_minutes(log, DAY0_MS, day, 2);
	expect_near(day[0].seats_avg, 0.75 + 0.25, 1e-12);
	expect_near(day[0].seats_max, 2.0, 0);
	expect_near(day[1].seats_avg, 3.0, 1e-12);
	expect_near(day[1].seats_max, 3.0, 0);
	rx_staffing_seatlog_free(log);
}
