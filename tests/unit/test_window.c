/*
 * test_window.c: the windows of issue 2, section 6, driven by event times alone (no
 * sleeping): rolling 15m and 1h hold facts stamped in (now - length, now], so a fact exactly
 * 15 minutes old is out; `today` resets at midnight Asia/Shanghai (16:00 UTC); `shift`
 * resets at each of 08:00, 16:00 and 00:00 local; `all` never resets; per-minute and
 * per-day buckets are keyed by local time. Also which scopes a fact counts in: inbound in
 * global, its queue, platform and seat; outbound only in `outbound`.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rexian/window.h"

#include "unit.h"

#define LOCAL(h, m) (MIDNIGHT + (h) * HOUR + (m) * MIN)

enum { Q_12345 = 1, Q_YIQILAI = 2, SEAT_A = 3, PLATFORM_HZ = 4, OUT_TICKET = 5 };

struct fixture {
	struct rx_scopes *scopes;
	struct rx_tz tz;
	struct rx_windows *w;
};

static struct fixture fx;

static void setup_with(bool rolling, bool buckets)
{
	struct rx_windows_config cfg = { { 30 * S, 600 * S }, rolling, buckets };

	cr_assert_eq(rx_tz_init("Asia/Shanghai"), 0, "Asia/Shanghai missing from the zone database");
	rx_tz_reset(&fx.tz);
	cr_assert_eq(rx_tz_set_shifts(&fx.tz, "08:00,16:00,00:00"), 0);
	fx.scopes = rx_scopes_new();
	cr_assert_not_null(fx.scopes);
	fx.w = rx_windows_new(&cfg, fx.scopes, &fx.tz);
	cr_assert_not_null(fx.w);
}

static void setup(void)
{
	setup_with(true, true);
}

static void teardown(void)
{
	rx_windows_free(fx.w);
	rx_scopes_free(fx.scopes);
}

TestSuite(window, .init = setup, .fini = teardown, .timeout = 60);

static struct rx_fact fact_at(enum rx_fact_kind kind, int64_t ts, int64_t dur)
{
	struct rx_fact f;

	memset(&f, 0, sizeof f);
	f.ts_ms = ts;
	f.dur_ms = dur;
	f.queue = Q_12345;
	f.kind = (uint8_t)kind;
	return f;
}

/* Rolls the clock to ts, then counts an answered call's fact stamped ts. */
static void answered_at(int64_t ts)
{
	struct rx_fact f = fact_at(RX_FACT_ANSWERED, ts, 10 * S);

	rx_windows_roll(fx.w, ts);
	rx_windows_fact(fx.w, &f);
}

static uint64_t answered_in(enum rx_window_id win, uint32_t scope)
{
	const struct rx_stats *st = rx_windows_get(fx.w, win, scope);

	return st == NULL ? 0 : st->c.answered;
}

static uint64_t global_answered(enum rx_window_id win)
{
	return answered_in(win, RX_SCOPE_GLOBAL_INDEX);
}

/* ---- rolling windows ---- */

Test(window, fact_exactly_15_minutes_old_is_out_of_15m)
{
	answered_at(LOCAL(10, 0));
	expect_i64(global_answered(RX_WIN_15M), 1);
	rx_windows_roll(fx.w, LOCAL(10, 15) - 1);
	expect_i64(global_answered(RX_WIN_15M), 1);
	rx_windows_roll(fx.w, LOCAL(10, 15));
	expect_i64(global_answered(RX_WIN_15M), 0);
	expect_i64(global_answered(RX_WIN_1H), 1);
}

Test(window, fact_exactly_1_hour_old_is_out_of_1h)
{
	answered_at(LOCAL(10, 0));
	rx_windows_roll(fx.w, LOCAL(11, 0) - 1);
	expect_i64(global_answered(RX_WIN_1H), 1);
	rx_windows_roll(fx.w, LOCAL(11, 0));
	expect_i64(global_answered(RX_WIN_1H), 0);
	expect_i64(global_answered(RX_WIN_ALL), 1);
}

Test(window, rolling_windows_slide_fact_by_fact)
{
	for (int m = 0; m < 120; m++)
		answered_at(LOCAL(9, 0) + m * MIN);
	/* now 10:59: facts at 10:45..10:59 are in 15m, 10:00..10:59 in 1h */
	expect_i64(global_answered(RX_WIN_15M), 15);
	expect_i64(global_answered(RX_WIN_1H), 60);
	rx_windows_roll(fx.w, LOCAL(11, 0) + 30 * S);
	expect_i64(global_answered(RX_WIN_15M), 14);
	expect_i64(global_answered(RX_WIN_1H), 59);
	expect_i64(global_answered(RX_WIN_ALL), 120);
	expect_i64(rx_windows_start(fx.w, RX_WIN_15M), LOCAL(11, 0) + 30 * S - 15 * MIN);
	expect_i64(rx_windows_start(fx.w, RX_WIN_1H), LOCAL(11, 0) + 30 * S - HOUR);
}

Test(window, late_fact_counts_from_its_own_stamp)
{
	struct rx_fact late = fact_at(RX_FACT_ANSWERED, LOCAL(10, 0) - 5 * S, 10 * S);

	rx_windows_roll(fx.w, LOCAL(10, 0));
	rx_windows_fact(fx.w, &late);
	expect_i64(global_answered(RX_WIN_15M), 1);
	rx_windows_roll(fx.w, LOCAL(10, 15) - 5 * S - 1);
	expect_i64(global_answered(RX_WIN_15M), 1);
	rx_windows_roll(fx.w, LOCAL(10, 15) - 5 * S);
	expect_i64(global_answered(RX_WIN_15M), 0);
}

Test(window, fact_older_than_15_minutes_arriving_late_counts_in_1h_only)
{
	struct rx_fact old = fact_at(RX_FACT_ANSWERED, LOCAL(10, 0) - 20 * MIN, 10 * S);

	answered_at(LOCAL(10, 0));
	rx_windows_fact(fx.w, &old);
	expect_i64(global_answered(RX_WIN_15M), 1);
	expect_i64(global_answered(RX_WIN_1H), 2);
	rx_windows_roll(fx.w, LOCAL(10, 15));
	expect_i64(global_answered(RX_WIN_15M), 0);
	expect_i64(global_answered(RX_WIN_1H), 2);
	rx_windows_roll(fx.w, LOCAL(10, 40));
	expect_i64(global_answered(RX_WIN_1H), 1);
}

Test(window, max_talk_of_a_rolling_window_forgets_expired_talks)
{
	struct rx_fact long_talk = fact_at(RX_FACT_COMPLETED, LOCAL(10, 0), 900 * S);
	struct rx_fact short_talk = fact_at(RX_FACT_COMPLETED, LOCAL(10, 10), 60 * S);

	rx_windows_roll(fx.w, LOCAL(10, 0));
	rx_windows_fact(fx.w, &long_talk);
	rx_windows_roll(fx.w, LOCAL(10, 10));
	rx_windows_fact(fx.w, &short_talk);
	rx_windows_roll(fx.w, LOCAL(10, 20));
	rx_windows_refresh_max(fx.w);
	expect_i64(rx_windows_get(fx.w, RX_WIN_15M, RX_SCOPE_GLOBAL_INDEX)->c.max_talk_ms, 60 * S);
	expect_i64(rx_windows_get(fx.w, RX_WIN_1H, RX_SCOPE_GLOBAL_INDEX)->c.max_talk_ms, 900 * S);
	expect_i64(rx_windows_get(fx.w, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX)->c.max_talk_ms, 900 * S);
	expect_i64(rx_windows_get(fx.w, RX_WIN_15M, RX_SCOPE_GLOBAL_INDEX)->c.completed, 1);
}

Test(window, retracted_fact_leaves_every_window)
{
	struct rx_fact ab = fact_at(RX_FACT_ABANDONED, LOCAL(10, 0), 0);

	rx_windows_roll(fx.w, LOCAL(10, 0));
	rx_windows_fact(fx.w, &ab);
	expect_i64(rx_windows_get(fx.w, RX_WIN_15M, RX_SCOPE_GLOBAL_INDEX)->c.abandoned, 1);
	ab.retract = true;
	rx_windows_roll(fx.w, LOCAL(10, 0) + 5 * S);
	rx_windows_fact(fx.w, &ab);
	for (int win = 0; win < RX_WIN_COUNT; win++)
		expect_i64(rx_windows_get(fx.w, (enum rx_window_id)win, RX_SCOPE_GLOBAL_INDEX)->c.abandoned,
		    0);
	/* and does not leave twice when the window slides past its stamp */
	rx_windows_roll(fx.w, LOCAL(11, 30));
	expect_i64(rx_windows_get(fx.w, RX_WIN_1H, RX_SCOPE_GLOBAL_INDEX)->c.abandoned, 0);
	expect_i64(rx_windows_get(fx.w, RX_WIN_15M, RX_SCOPE_GLOBAL_INDEX)->c.abandoned, 0);
}

/* ---- today: the calendar day in Asia/Shanghai ---- */

Test(window, today_starts_at_local_midnight)
{
	answered_at(LOCAL(10, 0));
	expect_i64(rx_windows_start(fx.w, RX_WIN_TODAY), MIDNIGHT);
}

Test(window, today_resets_at_midnight_shanghai_which_is_1600_utc)
{
	answered_at(LOCAL(23, 59) + 59 * S + 999);   /* 15:59:59.999 UTC */
	expect_i64(global_answered(RX_WIN_TODAY), 1);
	rx_windows_roll(fx.w, LOCAL(24, 0));
	expect_i64(global_answered(RX_WIN_TODAY), 0);
	expect_i64(rx_windows_start(fx.w, RX_WIN_TODAY), MIDNIGHT + 24 * HOUR);
	answered_at(LOCAL(24, 0));
	expect_i64(global_answered(RX_WIN_TODAY), 1);
	expect_i64(global_answered(RX_WIN_ALL), 2);
}

Test(window, today_does_not_reset_at_utc_midnight)
{
	/* 2026-03-02 00:00 UTC is 08:00 in Shanghai */
	answered_at(LOCAL(7, 59));
	rx_windows_roll(fx.w, LOCAL(8, 1));
	expect_i64(global_answered(RX_WIN_TODAY), 1);
}

Test(window, yesterdays_fact_arriving_after_midnight_stays_out_of_today)
{
	struct rx_fact late = fact_at(RX_FACT_ANSWERED, LOCAL(24, 0) - 3 * S, 10 * S);

	rx_windows_roll(fx.w, LOCAL(23, 0));
	rx_windows_roll(fx.w, LOCAL(24, 0) + 2 * S);
	rx_windows_fact(fx.w, &late);
	expect_i64(global_answered(RX_WIN_TODAY), 0);
	expect_i64(global_answered(RX_WIN_15M), 1);
	expect_i64(global_answered(RX_WIN_ALL), 1);
}

Test(window, today_resets_again_after_a_quiet_day)
{
	answered_at(LOCAL(12, 0));
	answered_at(LOCAL(12, 0) + 3 * 24 * HOUR);
	expect_i64(global_answered(RX_WIN_TODAY), 1);
	expect_i64(rx_windows_start(fx.w, RX_WIN_TODAY), MIDNIGHT + 3 * 24 * HOUR);
}

/* ---- shifts: 08:00, 16:00, 00:00 local ---- */

Test(window, shift_resets_at_0800_1600_and_0000_local)
{
	static const int starts[] = { 8, 16, 24, 32 };

	answered_at(LOCAL(7, 0));
	expect_i64(rx_windows_start(fx.w, RX_WIN_SHIFT), LOCAL(0, 0));
	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		int64_t start = LOCAL(starts[i], 0);
		answered_at(start - 1);
		cr_expect_gt(global_answered(RX_WIN_SHIFT), 0);
		rx_windows_roll(fx.w, start);
		expect_i64(global_answered(RX_WIN_SHIFT), 0);
		expect_i64(rx_windows_start(fx.w, RX_WIN_SHIFT), start);
		answered_at(start);
		answered_at(start + 7 * HOUR);
		expect_i64(global_answered(RX_WIN_SHIFT), 2);
	}
}

Test(window, shift_boundaries_in_utc_are_0000_0800_1600)
{
	/* 2026-03-02 08:00 UTC = 16:00 Shanghai */
	int64_t utc_0800 = 1772438400000LL;

	answered_at(utc_0800 - 1);
	rx_windows_roll(fx.w, utc_0800);
	expect_i64(global_answered(RX_WIN_SHIFT), 0);
	expect_i64(rx_windows_start(fx.w, RX_WIN_SHIFT), utc_0800);
}

Test(window, without_a_midnight_shift_the_night_belongs_to_yesterdays_last_shift)
{
	rx_windows_free(fx.w);
	rx_tz_reset(&fx.tz);
	cr_assert_eq(rx_tz_set_shifts(&fx.tz, "08:00,20:00"), 0);
	struct rx_windows_config cfg = { { 30 * S, 600 * S }, true, false };
	fx.w = rx_windows_new(&cfg, fx.scopes, &fx.tz);
	answered_at(LOCAL(21, 0));
	answered_at(LOCAL(27, 0));   /* 03:00 the next day */
	expect_i64(rx_windows_start(fx.w, RX_WIN_SHIFT), LOCAL(20, 0));
	expect_i64(global_answered(RX_WIN_SHIFT), 2);
	expect_i64(global_answered(RX_WIN_TODAY), 1);
	rx_windows_roll(fx.w, LOCAL(32, 0));
	expect_i64(global_answered(RX_WIN_SHIFT), 0);
}

Test(window, all_never_resets)
{
	for (int d = 0; d < 3; d++)
		for (int h = 0; h < 24; h += 5)
			answered_at(LOCAL(24 * d + h, 30));
	expect_i64(global_answered(RX_WIN_ALL), 15);
}

/* ---- buckets ---- */

struct bucket_seen {
	int n;
	struct {
		bool day;
		int64_t code;
		uint32_t scope;
		uint64_t answered;
	} b[64];
};

static void bucket_cb(bool day, int64_t code, uint32_t scope, const struct rx_stats *st, void *arg)
{
	struct bucket_seen *s = arg;

	if (s->n < 64) {
		s->b[s->n].day = day;
		s->b[s->n].code = code;
		s->b[s->n].scope = scope;
		s->b[s->n].answered = st->c.answered;
		s->n++;
	}
}

static uint64_t bucket_answered(const struct bucket_seen *s, bool day, int64_t code)
{
	for (int i = 0; i < s->n; i++)
		if (s->b[i].day == day && s->b[i].code == code && s->b[i].scope == RX_SCOPE_GLOBAL_INDEX)
			return s->b[i].answered;
	cr_expect_fail("no global %s bucket %" PRId64, day ? "day" : "minute", code);
	return 0;
}

Test(window, minute_and_day_buckets_are_keyed_by_local_time)
{
	struct bucket_seen seen = { 0 };

	answered_at(LOCAL(23, 59) + 30 * S);     /* 2026-03-01 15:59:30 UTC */
	answered_at(LOCAL(23, 59) + 59 * S + 999);
	answered_at(LOCAL(24, 0) + 30 * S);      /* 2026-03-01 16:00:30 UTC */
	rx_windows_dirty_buckets(fx.w, bucket_cb, &seen, UINT32_MAX);
	expect_i64(bucket_answered(&seen, false, 202603022359LL), 2);
	expect_i64(bucket_answered(&seen, false, 202603030000LL), 1);
	expect_i64(bucket_answered(&seen, true, 20260302), 2);
	expect_i64(bucket_answered(&seen, true, 20260303), 1);
}

Test(window, minute_code_of_a_morning_fact)
{
	expect_i64(rx_tz_minute_code(&fx.tz, 1772409630186LL), 202603020800LL);  /* 08:00:30 local */
	expect_i64(rx_tz_minute_code(&fx.tz, LOCAL(13, 7) + 59999), 202603021307LL);
	int32_t day = 0;
	expect_i64(rx_tz_day_start(&fx.tz, LOCAL(13, 7), &day), MIDNIGHT);
	expect_i64(day, 20260302);
}

Test(window, buckets_are_reported_once_until_touched)
{
	struct bucket_seen first = { 0 }, second = { 0 }, touched = { 0 };

	answered_at(LOCAL(9, 0));
	rx_windows_dirty_buckets(fx.w, bucket_cb, &first, UINT32_MAX);
	rx_windows_dirty_buckets(fx.w, bucket_cb, &second, UINT32_MAX);
	cr_expect_gt(first.n, 0);
	expect_i64(second.n, 0);
	rx_windows_touch_buckets(fx.w);
	rx_windows_dirty_buckets(fx.w, bucket_cb, &touched, UINT32_MAX);
	expect_i64(touched.n, first.n);
}

Test(window, a_bounded_rewrite_goes_newest_first_and_leaves_the_rest_dirty)
{
	struct bucket_seen all = { 0 }, part = { 0 }, rest = { 0 }, none = { 0 };
	uint32_t left;

	answered_at(LOCAL(9, 0));
	answered_at(LOCAL(9, 1));
	answered_at(LOCAL(9, 2));
	rx_windows_dirty_buckets(fx.w, bucket_cb, &all, UINT32_MAX);
	rx_windows_touch_buckets(fx.w);
	left = rx_windows_dirty_buckets(fx.w, bucket_cb, &part, 2);
	expect_i64(part.n, 2);
	expect_i64(left, all.n - 2);
	/* the 09:02 minute was counted last: it is handed out first */
	cr_expect(!part.b[0].day && part.b[0].code == 202603020902LL,
	    "first bucket out: day %d code %" PRId64, part.b[0].day, part.b[0].code);
	answered_at(LOCAL(9, 2) + 30 * S);   /* a new fact dirties a bucket already written */
	left = rx_windows_dirty_buckets(fx.w, bucket_cb, &rest, UINT32_MAX);
	expect_i64(left, 0);
	cr_expect_geq(rest.n, all.n - 2);
	expect_i64(rx_windows_dirty_buckets(fx.w, bucket_cb, &none, UINT32_MAX), 0);
	expect_i64(none.n, 0);
}

/* ---- scopes ---- */

Test(window, inbound_fact_counts_in_global_queue_platform_and_seat)
{
	struct rx_fact f = fact_at(RX_FACT_ANSWERED, LOCAL(9, 0), 5 * S);

	f.platform = PLATFORM_HZ;
	f.seat = SEAT_A;
	rx_windows_roll(fx.w, f.ts_ms);
	rx_windows_fact(fx.w, &f);
	expect_i64(answered_in(RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX), 1);
	expect_i64(answered_in(RX_WIN_ALL, rx_scopes_get(fx.scopes, RX_SCOPE_QUEUE, Q_12345)), 1);
	expect_i64(answered_in(RX_WIN_ALL, rx_scopes_get(fx.scopes, RX_SCOPE_PLATFORM, PLATFORM_HZ)), 1);
	expect_i64(answered_in(RX_WIN_ALL, rx_scopes_get(fx.scopes, RX_SCOPE_SEAT, SEAT_A)), 1);
	expect_i64(answered_in(RX_WIN_ALL, RX_SCOPE_OUTBOUND_INDEX), 0);
	expect_i64(answered_in(RX_WIN_ALL, rx_scopes_get(fx.scopes, RX_SCOPE_QUEUE, Q_YIQILAI)), 0);
}

Test(window, outbound_fact_counts_only_in_outbound)
{
	struct rx_fact f = fact_at(RX_FACT_ANSWERED, LOCAL(9, 0), 5 * S);

	f.outbound = true;
	f.seat = SEAT_A;
	rx_windows_roll(fx.w, f.ts_ms);
	rx_windows_fact(fx.w, &f);
	expect_i64(answered_in(RX_WIN_ALL, RX_SCOPE_OUTBOUND_INDEX), 1);
	expect_i64(answered_in(RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX), 0);
	expect_i64(answered_in(RX_WIN_ALL, rx_scopes_get(fx.scopes, RX_SCOPE_QUEUE, Q_12345)), 0);
}

Test(window, outcomes_are_counted_per_code)
{
	struct rx_fact f = fact_at(RX_FACT_COMPLETED, LOCAL(9, 0), 50 * S);
	const struct rx_stats *st;
	uint64_t tickets = 0;

	f.outcome = OUT_TICKET;
	rx_windows_roll(fx.w, f.ts_ms);
	rx_windows_fact(fx.w, &f);
	f.ts_ms += S;
	rx_windows_roll(fx.w, f.ts_ms);
	rx_windows_fact(fx.w, &f);
	st = rx_windows_get(fx.w, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX);
	cr_assert_not_null(st);
	for (uint32_t i = 0; i < st->noutcomes; i++)
		if (st->outcomes[i].outcome == OUT_TICKET)
			tickets += st->outcomes[i].count;
	expect_i64(tickets, 2);
}

Test(window, minute_buckets_older_than_48_hours_are_dropped_day_buckets_kept)
{
	struct bucket_seen clean = { 0 }, seen = { 0 };

	answered_at(LOCAL(9, 0));
	rx_windows_dirty_buckets(fx.w, bucket_cb, &clean, UINT32_MAX);
	for (int h = 1; h <= 50; h++)
		rx_windows_roll(fx.w, LOCAL(9, 0) + h * HOUR);
	rx_windows_touch_buckets(fx.w);
	rx_windows_dirty_buckets(fx.w, bucket_cb, &seen, UINT32_MAX);
	for (int i = 0; i < seen.n; i++)
		cr_expect(seen.b[i].day, "minute bucket %" PRId64 " kept after 50 hours", seen.b[i].code);
	expect_i64(bucket_answered(&seen, true, 20260302), 1);
}
