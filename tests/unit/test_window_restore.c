/*
 * test_window_restore.c: minutes and days restored from Redis after a restart without a
 * journal (rx_windows_restore_minute / _day). A minute adds to its bucket, to today, shift
 * and all when it lies in them, and to 15m and 1h as one sum stamped at its last
 * millisecond, which enters and leaves each rolling window whole; a day only to its bucket.
 * Restored buckets are clean, and later facts add on top of them.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rexian/window.h"

#include "unit.h"

#define LOCAL(h, m) (MIDNIGHT + (h) * HOUR + (m) * MIN)
#define CODE(h, m) (202603020000LL + (h) * 100 + (m))

enum { Q_12345 = 1, OUT_TICKET = 5 };

static struct rx_scopes *scopes;
static struct rx_tz tz;
static struct rx_windows *w;
static uint32_t queue;

static void setup(void)
{
	struct rx_windows_config cfg = { { 30 * S, 600 * S }, true, true };

	cr_assert_eq(rx_tz_init("Asia/Shanghai"), 0, "Asia/Shanghai missing from the zone database");
	rx_tz_reset(&tz);
	cr_assert_eq(rx_tz_set_shifts(&tz, "08:00,16:00,00:00"), 0);
	scopes = rx_scopes_new();
	cr_assert_not_null(scopes);
	w = rx_windows_new(&cfg, scopes, &tz);
	cr_assert_not_null(w);
	queue = rx_scopes_get(scopes, RX_SCOPE_QUEUE, Q_12345);
}

static void teardown(void)
{
	rx_windows_free(w);
	rx_scopes_free(scopes);
}

TestSuite(window_restore, .init = setup, .fini = teardown, .timeout = 60);

/* A minute's sum: `answered` calls answered within the service level, one ticket outcome
 * per call, longest talk max_talk_ms. */
static struct rx_stats minute_of(uint64_t answered, int64_t max_talk_ms)
{
	static struct rx_outcome_count ticket;
	struct rx_stats st;

	memset(&st, 0, sizeof st);
	st.c.answered = answered;
	st.c.within_sl = answered;
	st.c.wait_ms = (int64_t)answered * 10 * S;
	st.c.completed = answered;
	st.c.talk_ms = (int64_t)answered * 100 * S;
	st.c.max_talk_ms = max_talk_ms;
	ticket = (struct rx_outcome_count){ OUT_TICKET, answered };
	st.outcomes = &ticket;
	st.noutcomes = 1;
	return st;
}

static uint64_t answered_in(enum rx_window_id win)
{
	const struct rx_stats *st = rx_windows_get(w, win, RX_SCOPE_GLOBAL_INDEX);

	return st == NULL ? 0 : st->c.answered;
}

static uint64_t tickets_in(enum rx_window_id win)
{
	const struct rx_stats *st = rx_windows_get(w, win, RX_SCOPE_GLOBAL_INDEX);

	for (uint32_t i = 0; st != NULL && i < st->noutcomes; i++)
		if (st->outcomes[i].outcome == OUT_TICKET)
			return st->outcomes[i].count;
	return 0;
}

static void restore(int64_t start, uint32_t scope, uint64_t answered)
{
	struct rx_stats st = minute_of(answered, 100 * S);

	cr_assert_eq(rx_windows_restore_minute(w, start, scope, &st), 0);
}

static void count_bucket(bool day, int64_t code, uint32_t scope, const struct rx_stats *st,
    void *arg)
{
	(void)day;
	(void)code;
	(void)scope;
	(void)st;
	(*(int *)arg)++;
}

Test(window_restore, needs_a_clock)
{
	struct rx_stats st = minute_of(1, 100 * S);

	cr_expect_eq(rx_windows_restore_minute(w, LOCAL(8, 0), RX_SCOPE_GLOBAL_INDEX, &st), -1);
	cr_expect_eq(rx_windows_restore_day(w, LOCAL(8, 0), RX_SCOPE_GLOBAL_INDEX, &st), -1);
}

Test(window_restore, minute_counts_in_the_calendar_windows_it_lies_in)
{
	rx_windows_roll(w, LOCAL(8, 5) + 30 * S);
	restore(LOCAL(0, 0) - 30 * MIN, RX_SCOPE_GLOBAL_INDEX, 1);   /* yesterday 23:30 */
	restore(LOCAL(7, 59), RX_SCOPE_GLOBAL_INDEX, 2);              /* today, the night shift */
	restore(LOCAL(8, 0), RX_SCOPE_GLOBAL_INDEX, 4);               /* the day shift's first minute */
	restore(LOCAL(8, 5), RX_SCOPE_GLOBAL_INDEX, 8);               /* the clock's own minute */
	restore(LOCAL(8, 5), queue, 8);
	expect_i64(answered_in(RX_WIN_ALL), 15);
	expect_i64(answered_in(RX_WIN_TODAY), 14);
	expect_i64(answered_in(RX_WIN_SHIFT), 12);
	expect_i64(tickets_in(RX_WIN_TODAY), 14);
	expect_i64(rx_windows_get(w, RX_WIN_SHIFT, queue)->c.answered, 8);
	expect_i64(rx_windows_get(w, RX_WIN_TODAY, RX_SCOPE_GLOBAL_INDEX)->c.wait_ms, 140 * S);
	expect_i64(rx_windows_start(w, RX_WIN_ALL), LOCAL(0, 0) - 30 * MIN);
}

Test(window_restore, minute_fills_its_bucket_clean_and_facts_add_on_top)
{
	struct rx_fact f;
	int dirty = 0;

	rx_windows_roll(w, LOCAL(10, 0) + 20 * S);
	restore(LOCAL(10, 0), RX_SCOPE_GLOBAL_INDEX, 3);
	expect_i64(rx_windows_bucket(w, false, CODE(10, 0), RX_SCOPE_GLOBAL_INDEX)->c.answered, 3);
	expect_i64(rx_windows_bucket(w, false, CODE(10, 0), RX_SCOPE_GLOBAL_INDEX)->outcomes[0].count, 3);
	cr_expect_null(rx_windows_bucket(w, true, 20260302, RX_SCOPE_GLOBAL_INDEX),
	    "a minute does not fill its day: the day comes back from its own hash");
	rx_windows_dirty_buckets(w, count_bucket, &dirty, UINT32_MAX);
	expect_i64(dirty, 0);

	memset(&f, 0, sizeof f);
	f.ts_ms = LOCAL(10, 0) + 40 * S;
	f.dur_ms = 5 * S;
	f.queue = Q_12345;
	f.kind = RX_FACT_ANSWERED;
	rx_windows_roll(w, f.ts_ms);
	rx_windows_fact(w, &f);
	expect_i64(rx_windows_bucket(w, false, CODE(10, 0), RX_SCOPE_GLOBAL_INDEX)->c.answered, 4);
	expect_i64(rx_windows_bucket(w, false, CODE(10, 0), RX_SCOPE_GLOBAL_INDEX)->c.wait_ms, 35 * S);
	expect_i64(answered_in(RX_WIN_15M), 4);
	expect_i64(answered_in(RX_WIN_TODAY), 4);
	rx_windows_dirty_buckets(w, count_bucket, &dirty, UINT32_MAX);
	expect_i64(dirty, 4);   /* the fact's minute and day, global and queue */
}

Test(window_restore, day_fills_only_its_bucket)
{
	struct rx_stats st = minute_of(7, 100 * S);

	rx_windows_roll(w, LOCAL(0, 10));
	cr_assert_eq(rx_windows_restore_day(w, LOCAL(0, 0) - HOUR, RX_SCOPE_GLOBAL_INDEX, &st), 0);
	cr_assert_eq(rx_windows_restore_day(w, LOCAL(0, 5), RX_SCOPE_GLOBAL_INDEX, &st), 0);
	expect_i64(rx_windows_bucket(w, true, 20260301, RX_SCOPE_GLOBAL_INDEX)->c.answered, 7);
	expect_i64(rx_windows_bucket(w, true, 20260302, RX_SCOPE_GLOBAL_INDEX)->c.answered, 7);
	expect_i64(answered_in(RX_WIN_TODAY), 0);
	expect_i64(answered_in(RX_WIN_ALL), 0);
}

/* Now 10:00:30: 15m is (09:45:30, 10:00:30], 1h (09:00:30, 10:00:30]. The 09:45 minute,
 * stamped 09:45:59.999, is in 15m whole though its first half is out; 09:44 is in 1h
 * only; 08:59 in neither. */
Test(window_restore, minute_enters_and_leaves_rolling_windows_whole)
{
	rx_windows_roll(w, LOCAL(10, 0) + 30 * S);
	restore(LOCAL(9, 45), RX_SCOPE_GLOBAL_INDEX, 1);
	restore(LOCAL(8, 59), RX_SCOPE_GLOBAL_INDEX, 100);
	restore(LOCAL(9, 44), RX_SCOPE_GLOBAL_INDEX, 10);
	expect_i64(answered_in(RX_WIN_15M), 1);
	expect_i64(answered_in(RX_WIN_1H), 11);
	expect_i64(answered_in(RX_WIN_TODAY), 111);

	rx_windows_roll(w, LOCAL(10, 1) - 2);
	expect_i64(answered_in(RX_WIN_15M), 1);
	rx_windows_roll(w, LOCAL(10, 1) - 1);
	expect_i64(answered_in(RX_WIN_15M), 0);
	expect_i64(tickets_in(RX_WIN_15M), 0);
	expect_i64(rx_windows_get(w, RX_WIN_15M, RX_SCOPE_GLOBAL_INDEX)->c.wait_ms, 0);
	expect_i64(answered_in(RX_WIN_1H), 11);

	rx_windows_roll(w, LOCAL(10, 45) - 1);
	expect_i64(answered_in(RX_WIN_1H), 1);
	expect_i64(tickets_in(RX_WIN_1H), 1);
	rx_windows_roll(w, LOCAL(10, 46) - 1);
	expect_i64(answered_in(RX_WIN_1H), 0);
	expect_i64(answered_in(RX_WIN_ALL), 111);
}

Test(window_restore, max_talk_of_restored_minutes_rolls_out)
{
	struct rx_stats longest = minute_of(1, 900 * S), shorter = minute_of(1, 200 * S);

	rx_windows_roll(w, LOCAL(10, 0) + 30 * S);
	cr_assert_eq(rx_windows_restore_minute(w, LOCAL(9, 50), RX_SCOPE_GLOBAL_INDEX, &longest), 0);
	cr_assert_eq(rx_windows_restore_minute(w, LOCAL(10, 0), RX_SCOPE_GLOBAL_INDEX, &shorter), 0);
	rx_windows_refresh_max(w);
	expect_i64(rx_windows_get(w, RX_WIN_15M, RX_SCOPE_GLOBAL_INDEX)->c.max_talk_ms, 900 * S);
	rx_windows_roll(w, LOCAL(10, 6));   /* 09:50 is stamped 09:50:59.999 */
	rx_windows_refresh_max(w);
	expect_i64(rx_windows_get(w, RX_WIN_15M, RX_SCOPE_GLOBAL_INDEX)->c.max_talk_ms, 200 * S);
	expect_i64(rx_windows_get(w, RX_WIN_1H, RX_SCOPE_GLOBAL_INDEX)->c.max_talk_ms, 900 * S);
	expect_i64(rx_windows_get(w, RX_WIN_TODAY, RX_SCOPE_GLOBAL_INDEX)->c.max_talk_ms, 900 * S);
	rx_windows_roll(w, LOCAL(11, 5));
	rx_windows_refresh_max(w);
	expect_i64(rx_windows_get(w, RX_WIN_1H, RX_SCOPE_GLOBAL_INDEX)->c.max_talk_ms, -1);
}
