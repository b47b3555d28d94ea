/*
 * test_calltrack.c: call tracking as issue 2, section 3 defines it. Real feeds repeat
 * events (first wins), reorder them by a few seconds (the result must equal the sorted
 * feed's), carry events of calls that never had an offer (orphans), stamp them with
 * clocks that disagree (durations of 0, never negative, counted as clock skew) and lose
 * hangups (stale after max_call_age, kept out of talk figures). Memory is bounded by
 * calls in flight plus a short dedup memory. The boundaries of section 4 (a wait of
 * exactly 30 s is within the service level, a talk of exactly 600 s is not long) are
 * checked on facts the tracker computes from event times.
 *
 * Each helper moves the tracker's clock to the event's time before handing it over, as
 * the engine does; time never goes back, so a reordered event arrives "late".
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rexian/calltrack.h"

#include "unit.h"

TestSuite(calltrack, .timeout = 60);

#define T0 1772409630000LL      /* 2026-03-02 08:00:30 Asia/Shanghai */

/* name ids as the engine would intern them */
enum { Q_12345 = 1, Q_OTHER = 2, SEAT_A = 3, SEAT_B = 4, OUT_ONLINE = 5, OUT_TICKET = 6 };

static const struct rx_thresholds default_th = { 30 * S, 600 * S };

/* ---- collecting facts ---- */

#define MAX_FACTS 256

struct facts {
	struct rx_fact f[MAX_FACTS];
	int n;
};

static void facts_cb(const struct rx_fact *f, void *arg)
{
	struct facts *g = arg;

	if (g->n < MAX_FACTS)
		g->f[g->n++] = *f;
}

static struct rx_calltrack *tracker_with(struct facts *g, const struct rx_calltrack_config *cfg)
{
	struct rx_calltrack *ct;

	memset(g, 0, sizeof *g);
	ct = rx_calltrack_new(cfg, facts_cb, g);
	cr_assert_not_null(ct);
	return ct;
}

static struct rx_calltrack *tracker(struct facts *g)
{
	struct rx_calltrack_config cfg;

	rx_calltrack_config_default(&cfg);
	return tracker_with(g, &cfg);
}

/* One event of call `call` stamped `ts`. `name` is the offer's queue, the answer's seat or
 * the hangup's outcome. */
static enum rx_track_result send(struct rx_calltrack *ct, enum rx_event_kind kind,
    const char *call, int64_t ts, uint32_t name)
{
	struct rx_call_event ev;

	memset(&ev, 0, sizeof ev);
	ev.ts_ms = ts;
	ev.kind = kind;
	rx_calltrack_hash_id(call, strlen(call), ev.id);
	if (kind == RX_EV_OFFER)
		ev.queue = name;
	else if (kind == RX_EV_ANSWER)
		ev.seat = name;
	else
		ev.outcome = name;
	rx_calltrack_advance(ct, ts);
	return rx_calltrack_event(ct, &ev);
}

static enum rx_track_result offer(struct rx_calltrack *ct, const char *call, int64_t ts)
{
	return send(ct, RX_EV_OFFER, call, ts, Q_12345);
}

static enum rx_track_result answer(struct rx_calltrack *ct, const char *call, int64_t ts)
{
	return send(ct, RX_EV_ANSWER, call, ts, SEAT_A);
}

static enum rx_track_result hangup(struct rx_calltrack *ct, const char *call, int64_t ts)
{
	return send(ct, RX_EV_HANGUP, call, ts, OUT_ONLINE);
}

/* Facts of a kind that stand: a retraction withdraws one counted earlier. */
static int count_kind(const struct facts *g, enum rx_fact_kind kind)
{
	int n = 0;

	for (int i = 0; i < g->n; i++)
		if (g->f[i].kind == kind)
			n += g->f[i].retract ? -1 : 1;
	return n;
}

static const struct rx_fact *only_fact(const struct facts *g, enum rx_fact_kind kind)
{
	const struct rx_fact *found = NULL;

	cr_assert_eq(count_kind(g, kind), 1, "expected exactly one fact of kind %d, got %d", kind,
	    count_kind(g, kind));
	for (int i = 0; i < g->n; i++)
		if (g->f[i].kind == kind && !g->f[i].retract)
			found = &g->f[i];
	return found;
}

/* The counters a window would hold after all these facts. */
static struct rx_counters counters_of(const struct facts *g)
{
	struct rx_counters c = RX_COUNTERS_INIT;

	for (int i = 0; i < g->n; i++)
		rx_counters_apply(&c, &g->f[i], &default_th, g->f[i].retract ? -1 : +1);
	return c;
}

static int fact_cmp(const void *a, const void *b)
{
	const struct rx_fact *x = a, *y = b;

	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return memcmp(x, y, sizeof *x);
}

static void normalise(struct facts *g)
{
	struct rx_fact copy[MAX_FACTS];

	/* rebuilt field by field, so struct padding does not take part in comparisons */
	for (int i = 0; i < g->n; i++) {
		memset(&copy[i], 0, sizeof copy[i]);
		copy[i].ts_ms = g->f[i].ts_ms;
		copy[i].dur_ms = g->f[i].dur_ms;
		copy[i].queue = g->f[i].queue;
		copy[i].platform = g->f[i].platform;
		copy[i].seat = g->f[i].seat;
		copy[i].outcome = g->f[i].outcome;
		copy[i].kind = g->f[i].kind;
		copy[i].outbound = g->f[i].outbound;
		copy[i].retract = g->f[i].retract;
	}
	/* a retraction and the fact it withdraws cancel out */
	for (bool again = true; again;) {
		again = false;
		for (int i = 0; i < g->n && !again; i++) {
			struct rx_fact undone = copy[i];
			if (!undone.retract)
				continue;
			undone.retract = false;
			for (int j = 0; j < g->n && !again; j++) {
				if (memcmp(&copy[j], &undone, sizeof undone) != 0)
					continue;
				int hi = i > j ? i : j, lo = i > j ? j : i;
				copy[hi] = copy[--g->n];
				copy[lo] = copy[--g->n];
				again = true;
			}
		}
	}
	memcpy(g->f, copy, (size_t)g->n * sizeof copy[0]);
	qsort(g->f, (size_t)g->n, sizeof g->f[0], fact_cmp);
}

static void expect_same_facts(struct facts *sorted, struct facts *arrived)
{
	normalise(sorted);
	normalise(arrived);
	cr_assert_eq(arrived->n, sorted->n, "%d facts from the reordered feed, %d from the sorted",
	    arrived->n, sorted->n);
	for (int i = 0; i < sorted->n; i++) {
		const struct rx_fact *a = &arrived->f[i], *s = &sorted->f[i];
		cr_expect(memcmp(a, s, sizeof *a) == 0,
		    "fact %d: kind %d ts %" PRId64 " dur %" PRId64 " seat %u, sorted feed: kind %d ts %"
		    PRId64 " dur %" PRId64 " seat %u", i, a->kind, a->ts_ms, a->dur_ms, a->seat, s->kind,
		    s->ts_ms, s->dur_ms, s->seat);
	}
}

/* ---- a normal call ---- */

Test(calltrack, answered_call_gives_wait_then_talk)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	cr_expect_eq(offer(ct, "c1", T0), RX_TRACK_OK);
	cr_expect_eq(g.n, 0, "a waiting call is not in the figures yet");
	expect_i64(rx_calltrack_stats(ct)->open, 1);
	cr_expect_eq(answer(ct, "c1", T0 + 12 * S), RX_TRACK_OK);
	const struct rx_fact *a = only_fact(&g, RX_FACT_ANSWERED);
	expect_i64(a->dur_ms, 12 * S);
	expect_i64(a->ts_ms, T0 + 12 * S);
	expect_i64(a->queue, Q_12345);
	expect_i64(a->seat, SEAT_A);
	cr_expect_eq(hangup(ct, "c1", T0 + 200 * S), RX_TRACK_OK);
	const struct rx_fact *c = only_fact(&g, RX_FACT_COMPLETED);
	expect_i64(c->dur_ms, 188 * S);
	expect_i64(c->ts_ms, T0 + 200 * S);
	expect_i64(c->seat, SEAT_A);
	expect_i64(c->outcome, OUT_ONLINE);
	expect_i64(rx_calltrack_stats(ct)->open, 0);
	rx_calltrack_free(ct);
}

Test(calltrack, hangup_without_answer_is_abandoned)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0);
	hangup(ct, "c1", T0 + 40 * S);
	rx_calltrack_advance(ct, T0 + 41 * S + 10 * S);
	const struct rx_fact *f = only_fact(&g, RX_FACT_ABANDONED);
	expect_i64(f->ts_ms, T0 + 40 * S);
	expect_i64(f->queue, Q_12345);
	expect_i64(f->seat, 0);
	expect_i64(f->outcome, OUT_ONLINE);
	struct rx_counters c = counters_of(&g);
	expect_i64(c.abandoned, 1);
	expect_i64(c.answered, 0);
	rx_calltrack_free(ct);
}

Test(calltrack, abandon_counts_as_soon_as_the_hangup_is_known)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0);
	hangup(ct, "c1", T0 + 40 * S);
	struct rx_counters c = counters_of(&g);
	expect_i64(c.abandoned, 1);
	expect_i64(c.answered, 0);
	rx_calltrack_free(ct);
}

Test(calltrack, answer_within_the_grace_turns_a_counted_abandon_into_an_answer)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0);
	hangup(ct, "c1", T0 + 40 * S);
	answer(ct, "c1", T0 + 33 * S);
	rx_calltrack_advance(ct, T0 + HOUR);
	struct rx_counters c = counters_of(&g);
	expect_i64(c.abandoned, 0);
	expect_i64(c.answered, 1);
	expect_i64(c.wait_ms, 33 * S);
	expect_i64(c.completed, 1);
	expect_i64(c.talk_ms, 7 * S);
	rx_calltrack_free(ct);
}

Test(calltrack, finish_settles_abandoned_calls_without_waiting)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0);
	hangup(ct, "c1", T0 + 5 * S);
	rx_calltrack_finish(ct);
	only_fact(&g, RX_FACT_ABANDONED);
	rx_calltrack_free(ct);
}

struct waiting_seen {
	int n;
	int64_t oldest;
};

static void waiting_cb(const struct rx_waiting_call *w, void *arg)
{
	struct waiting_seen *seen = arg;

	seen->n++;
	if (w->offer_ms < seen->oldest)
		seen->oldest = w->offer_ms;
}

Test(calltrack, waiting_calls_are_listed_for_the_live_gauges)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);
	struct waiting_seen seen = { 0, INT64_MAX };

	offer(ct, "w1", T0);
	offer(ct, "w2", T0 + 5 * S);
	offer(ct, "w3", T0 + 6 * S);
	answer(ct, "w3", T0 + 7 * S);
	rx_calltrack_foreach_waiting(ct, waiting_cb, &seen);
	expect_i64(seen.n, 2);
	expect_i64(seen.oldest, T0);
	rx_calltrack_free(ct);
}

/* ---- duplicates: first wins ---- */

Test(calltrack, repeated_offer_is_ignored_and_the_first_wins)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0);
	cr_expect_eq(send(ct, RX_EV_OFFER, "c1", T0 + 3 * S, Q_OTHER), RX_TRACK_DUPLICATE);
	answer(ct, "c1", T0 + 10 * S);
	const struct rx_fact *a = only_fact(&g, RX_FACT_ANSWERED);
	expect_i64(a->dur_ms, 10 * S);
	expect_i64(a->queue, Q_12345);
	expect_i64(rx_calltrack_stats(ct)->duplicates, 1);
	rx_calltrack_free(ct);
}

Test(calltrack, repeated_answer_is_ignored_and_the_first_wins)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0);
	answer(ct, "c1", T0 + 10 * S);
	cr_expect_eq(send(ct, RX_EV_ANSWER, "c1", T0 + 15 * S, SEAT_B), RX_TRACK_DUPLICATE);
	hangup(ct, "c1", T0 + 70 * S);
	expect_i64(only_fact(&g, RX_FACT_ANSWERED)->dur_ms, 10 * S);
	const struct rx_fact *c = only_fact(&g, RX_FACT_COMPLETED);
	expect_i64(c->dur_ms, 60 * S);
	expect_i64(c->seat, SEAT_A);
	expect_i64(rx_calltrack_stats(ct)->duplicates, 1);
	rx_calltrack_free(ct);
}

Test(calltrack, repeated_hangup_is_ignored_and_the_first_wins)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0);
	answer(ct, "c1", T0 + 10 * S);
	hangup(ct, "c1", T0 + 70 * S);
	cr_expect_eq(send(ct, RX_EV_HANGUP, "c1", T0 + 75 * S, OUT_TICKET), RX_TRACK_DUPLICATE);
	const struct rx_fact *c = only_fact(&g, RX_FACT_COMPLETED);
	expect_i64(c->dur_ms, 60 * S);
	expect_i64(c->outcome, OUT_ONLINE);
	expect_i64(rx_calltrack_stats(ct)->duplicates, 1);
	rx_calltrack_free(ct);
}

Test(calltrack, repeats_of_a_finished_call_within_dedup_memory_count_nothing)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0);
	answer(ct, "c1", T0 + 10 * S);
	hangup(ct, "c1", T0 + 70 * S);
	rx_calltrack_advance(ct, T0 + 5 * MIN);
	cr_expect_eq(offer(ct, "c1", T0), RX_TRACK_DUPLICATE);
	cr_expect_eq(answer(ct, "c1", T0 + 10 * S), RX_TRACK_DUPLICATE);
	cr_expect_eq(hangup(ct, "c1", T0 + 70 * S), RX_TRACK_DUPLICATE);
	expect_i64(g.n, 2);
	expect_i64(rx_calltrack_stats(ct)->duplicates, 3);
	rx_calltrack_free(ct);
}

Test(calltrack, repeated_abandon_counts_once)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0);
	hangup(ct, "c1", T0 + 20 * S);
	offer(ct, "c1", T0);
	hangup(ct, "c1", T0 + 20 * S);
	rx_calltrack_advance(ct, T0 + HOUR);
	hangup(ct, "c1", T0 + 20 * S);
	struct rx_counters c = counters_of(&g);
	expect_i64(c.abandoned, 1);
	expect_i64(rx_calltrack_stats(ct)->duplicates, 3);
	rx_calltrack_free(ct);
}

/* ---- reordering: the result of the sorted feed ---- */

Test(calltrack, answer_before_offer_counts_once)
{
	struct facts sorted, g;
	struct rx_calltrack *ct = tracker(&sorted);

	offer(ct, "c1", T0);
	answer(ct, "c1", T0 + 8 * S);
	hangup(ct, "c1", T0 + 60 * S);
	rx_calltrack_advance(ct, T0 + HOUR);
	rx_calltrack_free(ct);

	ct = tracker(&g);
	cr_expect_eq(answer(ct, "c1", T0 + 8 * S), RX_TRACK_OK);
	cr_expect_eq(offer(ct, "c1", T0), RX_TRACK_OK);
	hangup(ct, "c1", T0 + 60 * S);
	rx_calltrack_advance(ct, T0 + HOUR);
	expect_i64(only_fact(&g, RX_FACT_ANSWERED)->dur_ms, 8 * S);
	expect_i64(only_fact(&g, RX_FACT_COMPLETED)->dur_ms, 52 * S);
	expect_i64(count_kind(&g, RX_FACT_ABANDONED), 0);
	expect_i64(rx_calltrack_stats(ct)->orphans, 0);
	expect_i64(rx_calltrack_stats(ct)->clock_skew, 0);
	expect_same_facts(&sorted, &g);
	rx_calltrack_free(ct);
}

Test(calltrack, hangup_before_answer_within_the_grace_gives_the_sorted_facts)
{
	struct facts sorted, g;
	struct rx_calltrack *ct = tracker(&sorted);

	offer(ct, "c1", T0);
	answer(ct, "c1", T0 + 20 * S);
	hangup(ct, "c1", T0 + 25 * S);
	rx_calltrack_advance(ct, T0 + HOUR);
	rx_calltrack_free(ct);

	ct = tracker(&g);
	offer(ct, "c1", T0);
	hangup(ct, "c1", T0 + 25 * S);
	/* another call moves the clock on: the answer arrives 9.999 s after its stamp */
	offer(ct, "other", T0 + 29999);
	cr_expect_eq(answer(ct, "c1", T0 + 20 * S), RX_TRACK_OK);
	rx_calltrack_advance(ct, T0 + HOUR);
	expect_i64(count_kind(&g, RX_FACT_ABANDONED), 0);
	expect_i64(only_fact(&g, RX_FACT_COMPLETED)->dur_ms, 5 * S);
	/* the other call goes stale later; drop it before comparing */
	struct facts mine = { .n = 0 };
	for (int i = 0; i < g.n; i++)
		if (g.f[i].kind != RX_FACT_STALE)
			mine.f[mine.n++] = g.f[i];
	expect_same_facts(&sorted, &mine);
	rx_calltrack_free(ct);
}

Test(calltrack, call_arriving_backwards_gives_the_sorted_facts)
{
	struct facts sorted, g;
	struct rx_calltrack *ct = tracker(&sorted);

	offer(ct, "c1", T0);
	answer(ct, "c1", T0 + 2 * S);
	hangup(ct, "c1", T0 + 7 * S);
	rx_calltrack_finish(ct);
	rx_calltrack_free(ct);

	ct = tracker(&g);
	hangup(ct, "c1", T0 + 7 * S);
	answer(ct, "c1", T0 + 2 * S);
	offer(ct, "c1", T0);
	rx_calltrack_finish(ct);
	expect_same_facts(&sorted, &g);
	expect_i64(rx_calltrack_stats(ct)->orphans, 0);
	rx_calltrack_free(ct);
}

Test(calltrack, abandoned_call_arriving_backwards_gives_the_sorted_facts)
{
	struct facts sorted, g;
	struct rx_calltrack *ct = tracker(&sorted);

	offer(ct, "c1", T0);
	hangup(ct, "c1", T0 + 9 * S);
	rx_calltrack_advance(ct, T0 + HOUR);
	rx_calltrack_free(ct);

	ct = tracker(&g);
	hangup(ct, "c1", T0 + 9 * S);
	offer(ct, "c1", T0);
	rx_calltrack_advance(ct, T0 + HOUR);
	expect_same_facts(&sorted, &g);
	rx_calltrack_free(ct);
}

/* ---- orphans ---- */

Test(calltrack, call_that_never_gets_an_offer_is_an_orphan_and_counts_nothing)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	answer(ct, "o1", T0);
	hangup(ct, "o1", T0 + 60 * S);
	rx_calltrack_advance(ct, T0 + HOUR);
	expect_i64(g.n, 0);
	expect_i64(rx_calltrack_stats(ct)->orphans, 1);
	expect_i64(rx_calltrack_stats(ct)->open, 0);
	rx_calltrack_free(ct);
}

Test(calltrack, lone_hangup_is_an_orphan)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	hangup(ct, "o1", T0);
	rx_calltrack_advance(ct, T0 + HOUR);
	expect_i64(g.n, 0);
	expect_i64(rx_calltrack_stats(ct)->orphans, 1);
	rx_calltrack_free(ct);
}

Test(calltrack, orphans_are_settled_at_end_of_input)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	answer(ct, "o1", T0);
	answer(ct, "o2", T0 + S);
	hangup(ct, "o2", T0 + 2 * S);
	rx_calltrack_finish(ct);
	expect_i64(g.n, 0);
	expect_i64(rx_calltrack_stats(ct)->orphans, 2);
	rx_calltrack_free(ct);
}

/* ---- clock skew ---- */

Test(calltrack, answer_stamped_before_offer_waits_zero_and_is_counted)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0 + 1500);
	answer(ct, "c1", T0);
	const struct rx_fact *a = only_fact(&g, RX_FACT_ANSWERED);
	expect_i64(a->dur_ms, 0);
	expect_i64(rx_calltrack_stats(ct)->clock_skew, 1);
	hangup(ct, "c1", T0 + 60 * S);
	struct rx_counters c = counters_of(&g);
	expect_i64(c.answered, 1);
	expect_i64(c.within_sl, 1);
	expect_i64(c.wait_ms, 0);
	expect_i64(c.completed, 1);
	rx_calltrack_free(ct);
}

Test(calltrack, answer_stamped_before_offer_in_arrival_order_waits_zero)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	/* sorted by stamp the answer comes first */
	answer(ct, "c1", T0);
	offer(ct, "c1", T0 + 1500);
	expect_i64(only_fact(&g, RX_FACT_ANSWERED)->dur_ms, 0);
	expect_i64(rx_calltrack_stats(ct)->clock_skew, 1);
	expect_i64(rx_calltrack_stats(ct)->orphans, 0);
	rx_calltrack_free(ct);
}

Test(calltrack, hangup_stamped_before_answer_talks_zero_and_is_counted)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0);
	answer(ct, "c1", T0 + 10 * S);
	hangup(ct, "c1", T0 + 9 * S);
	const struct rx_fact *c = only_fact(&g, RX_FACT_COMPLETED);
	expect_i64(c->dur_ms, 0);
	expect_i64(rx_calltrack_stats(ct)->clock_skew, 1);
	struct rx_counters k = counters_of(&g);
	expect_i64(k.completed, 1);
	expect_i64(k.talk_ms, 0);
	rx_calltrack_free(ct);
}

Test(calltrack, hangup_stamped_before_offer_is_still_abandoned)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "c1", T0 + S);
	hangup(ct, "c1", T0);
	rx_calltrack_advance(ct, T0 + HOUR);
	expect_i64(counters_of(&g).abandoned, 1);
	rx_calltrack_free(ct);
}

/* ---- stale calls ---- */

Test(calltrack, never_answered_stale_call_is_neither_offered_nor_abandoned)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);

	offer(ct, "s1", T0);
	rx_calltrack_advance(ct, T0 + 4 * HOUR - 1);
	expect_i64(g.n, 0);
	expect_i64(rx_calltrack_stats(ct)->stale, 0);
	rx_calltrack_advance(ct, T0 + 4 * HOUR + 1);
	expect_i64(rx_calltrack_stats(ct)->stale, 1);
	expect_i64(rx_calltrack_stats(ct)->open, 0);
	struct rx_counters c = counters_of(&g);
	expect_i64(c.answered + c.abandoned, 0);
	expect_i64(c.abandoned, 0);
	expect_i64(c.stale, 1);
	/* a hangup after the call was closed does not make it abandoned */
	hangup(ct, "s1", T0 + 4 * HOUR + 2 * S);
	rx_calltrack_advance(ct, T0 + 5 * HOUR);
	c = counters_of(&g);
	expect_i64(c.abandoned, 0);
	rx_calltrack_free(ct);
}

Test(calltrack, answered_stale_call_is_kept_out_of_talk)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);
	struct rx_metric m[RX_METRICS_COUNT];

	offer(ct, "s1", T0);
	answer(ct, "s1", T0 + 5 * S);
	rx_calltrack_advance(ct, T0 + 4 * HOUR + 1);
	expect_i64(rx_calltrack_stats(ct)->stale, 1);
	/* the hangup of a stuck call, 28 hours later, is not a conversation */
	hangup(ct, "s1", T0 + 28 * HOUR);
	rx_calltrack_advance(ct, T0 + 29 * HOUR);
	struct rx_counters c = counters_of(&g);
	expect_i64(c.answered, 1);
	expect_i64(c.completed, 0);
	expect_i64(c.talk_ms, 0);
	expect_i64(c.stale, 1);
	rx_metrics_derive(&c, m);
	for (int i = 0; i < RX_METRICS_COUNT; i++)
		if (strcmp(m[i].name, "avg_talk_s") == 0 || strcmp(m[i].name, "long_talk_share") == 0)
			cr_expect_eq(m[i].type, RX_METRIC_NULL, "%s is not null", m[i].name);
	rx_calltrack_free(ct);
}

Test(calltrack, max_call_age_is_configurable)
{
	struct facts g;
	struct rx_calltrack_config cfg;
	struct rx_calltrack *ct;

	rx_calltrack_config_default(&cfg);
	expect_i64(cfg.max_call_age_ms, 4 * HOUR);
	cfg.max_call_age_ms = 2 * MIN;
	ct = tracker_with(&g, &cfg);
	offer(ct, "s1", T0);
	rx_calltrack_advance(ct, T0 + 2 * MIN - 1);
	expect_i64(rx_calltrack_stats(ct)->stale, 0);
	rx_calltrack_advance(ct, T0 + 2 * MIN + 1);
	expect_i64(rx_calltrack_stats(ct)->stale, 1);
	rx_calltrack_free(ct);
}

/* ---- memory ---- */

Test(calltrack, finished_calls_are_forgotten_after_the_dedup_memory)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);
	struct rx_calltrack_config cfg;

	rx_calltrack_config_default(&cfg);
	offer(ct, "c1", T0);
	answer(ct, "c1", T0 + 10 * S);
	hangup(ct, "c1", T0 + 70 * S);
	expect_i64(rx_calltrack_stats(ct)->open, 0);
	expect_i64(rx_calltrack_stats(ct)->records, 1);
	rx_calltrack_advance(ct, T0 + 70 * S + cfg.dedup_ms + 1);
	expect_i64(rx_calltrack_stats(ct)->records, 0);
	rx_calltrack_free(ct);
}

Test(calltrack, late_repeat_after_the_dedup_memory_counts_nothing_again)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);
	struct rx_calltrack_config cfg;

	rx_calltrack_config_default(&cfg);
	offer(ct, "c1", T0);
	answer(ct, "c1", T0 + 10 * S);
	hangup(ct, "c1", T0 + 70 * S);
	rx_calltrack_advance(ct, T0 + 70 * S + cfg.dedup_ms + 1);
	int before = g.n;
	answer(ct, "c1", T0 + 10 * S);
	hangup(ct, "c1", T0 + 70 * S);
	rx_calltrack_advance(ct, T0 + 2 * HOUR);
	expect_i64(g.n, before);
	struct rx_counters c = counters_of(&g);
	expect_i64(c.answered, 1);
	expect_i64(c.completed, 1);
	rx_calltrack_free(ct);
}

Test(calltrack, memory_is_bounded_by_calls_in_flight_not_calls_seen)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);
	char id[32];
	uint32_t most = 0;

	/* a call a second for 12 hours, each 5 s in queue and 60 s talking */
	for (int i = 0; i < 12 * 3600; i++) {
		int64_t t = T0 + i * S;
		snprintf(id, sizeof id, "call-%d", i);
		offer(ct, id, t);
		if (i >= 5) {
			snprintf(id, sizeof id, "call-%d", i - 5);
			answer(ct, id, t);
		}
		if (i >= 65) {
			snprintf(id, sizeof id, "call-%d", i - 65);
			hangup(ct, id, t);
		}
		g.n = 0;
		if (rx_calltrack_stats(ct)->records > most)
			most = rx_calltrack_stats(ct)->records;
	}
	/* 66 in flight and 10 minutes of dedup memory at one call a second */
	cr_expect(most <= 66 + 601 + 16, "%u records held for 66 calls in flight", most);
	cr_expect(rx_calltrack_stats(ct)->open <= 66, "%u calls open", rx_calltrack_stats(ct)->open);
	rx_calltrack_free(ct);
}

Test(calltrack, max_calls_bounds_the_records_and_evicts_the_oldest)
{
	struct facts g;
	struct rx_calltrack_config cfg;
	struct rx_calltrack *ct;
	char id[32];

	rx_calltrack_config_default(&cfg);
	cfg.max_calls = 16;
	ct = tracker_with(&g, &cfg);
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof id, "w%d", i);
		offer(ct, id, T0 + i * S);
		cr_assert(rx_calltrack_stats(ct)->records <= 16, "%u records with max_calls 16",
		    rx_calltrack_stats(ct)->records);
	}
	expect_i64(rx_calltrack_stats(ct)->evicted, 24);
	expect_i64(rx_calltrack_stats(ct)->open, 16);
	/* an evicted waiting call nobody answered is not counted as offered or abandoned */
	struct rx_counters c = counters_of(&g);
	expect_i64(c.answered + c.abandoned, 0);
	/* the newest calls are still tracked */
	answer(ct, "w39", T0 + 50 * S);
	expect_i64(only_fact(&g, RX_FACT_ANSWERED)->dur_ms, 11 * S);
	rx_calltrack_free(ct);
}

/* ---- boundaries of section 4, from event times ---- */

static struct rx_counters one_call(int64_t wait_ms, int64_t talk_ms)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);
	struct rx_counters c;

	offer(ct, "b1", T0);
	answer(ct, "b1", T0 + wait_ms);
	hangup(ct, "b1", T0 + wait_ms + talk_ms);
	c = counters_of(&g);
	rx_calltrack_free(ct);
	return c;
}

Test(calltrack, wait_of_exactly_30_s_is_within_the_service_level)
{
	struct rx_counters c = one_call(30 * S, 60 * S);

	expect_i64(c.answered, 1);
	expect_i64(c.within_sl, 1);
	expect_i64(c.wait_ms, 30 * S);
}

Test(calltrack, wait_of_30_001_s_is_not_within_the_service_level)
{
	struct rx_counters c = one_call(30 * S + 1, 60 * S);

	expect_i64(c.answered, 1);
	expect_i64(c.within_sl, 0);
}

Test(calltrack, talk_of_exactly_600_s_is_not_long)
{
	struct rx_counters c = one_call(5 * S, 600 * S);

	expect_i64(c.completed, 1);
	expect_i64(c.long_talks, 0);
	expect_i64(c.talk_ms, 600 * S);
	expect_i64(c.max_talk_ms, 600 * S);
}

Test(calltrack, talk_of_600_001_s_is_long)
{
	struct rx_counters c = one_call(5 * S, 600 * S + 1);

	expect_i64(c.completed, 1);
	expect_i64(c.long_talks, 1);
}

/* ---- direction ---- */

Test(calltrack, outbound_calls_give_outbound_facts)
{
	struct facts g;
	struct rx_calltrack *ct = tracker(&g);
	struct rx_call_event ev;

	memset(&ev, 0, sizeof ev);
	ev.ts_ms = T0;
	ev.kind = RX_EV_OFFER;
	ev.outbound = true;
	ev.queue = Q_12345;
	rx_calltrack_hash_id("cb1", 3, ev.id);
	rx_calltrack_advance(ct, T0);
	rx_calltrack_event(ct, &ev);
	answer(ct, "cb1", T0 + 3 * S);
	hangup(ct, "cb1", T0 + 90 * S);
	cr_assert_eq(g.n, 2);
	cr_expect(g.f[0].outbound && g.f[1].outbound);
	rx_calltrack_free(ct);
}
