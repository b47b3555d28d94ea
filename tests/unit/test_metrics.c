/*
 * test_metrics.c: the published figures of issue 2, section 4, from the additive counters
 * of facts: their exact names and order, the ratios and means, the `null` of a zero
 * denominator (never 0, never NaN), both boundaries (a wait of exactly sl is within, a talk
 * of exactly `long` is not long), and counters that subtract and add up exactly, as
 * rolling windows and summed per-minute buckets need.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "rexian/metrics.h"

#include "unit.h"

TestSuite(metrics, .timeout = 60);

static const struct rx_thresholds th = { 30 * S, 600 * S };

static struct rx_fact fact(enum rx_fact_kind kind, int64_t dur_ms)
{
	struct rx_fact f;

	memset(&f, 0, sizeof f);
	f.ts_ms = 1772409630000LL;
	f.dur_ms = dur_ms;
	f.queue = 1;
	f.kind = (uint8_t)kind;
	return f;
}

static void add(struct rx_counters *c, enum rx_fact_kind kind, int64_t dur_ms)
{
	struct rx_fact f = fact(kind, dur_ms);

	rx_counters_apply(c, &f, &th, +1);
}

static const struct rx_metric *metric(const struct rx_metric m[RX_METRICS_COUNT], const char *name)
{
	for (int i = 0; i < RX_METRICS_COUNT; i++)
		if (strcmp(m[i].name, name) == 0)
			return &m[i];
	cr_assert_fail("no metric named %s", name);
	return NULL;
}

static void expect_count(const struct rx_metric m[RX_METRICS_COUNT], const char *name,
    uint64_t expected)
{
	const struct rx_metric *x = metric(m, name);

	cr_expect_eq(x->type, RX_METRIC_COUNT, "%s is not a count", name);
	cr_expect_eq(x->count, expected, "%s = %" PRIu64 ", expected %" PRIu64, name, x->count,
	    expected);
}

static void expect_real(const struct rx_metric m[RX_METRICS_COUNT], const char *name,
    double expected)
{
	const struct rx_metric *x = metric(m, name);

	cr_expect_eq(x->type, RX_METRIC_REAL, "%s is not a number (type %d)", name, x->type);
	cr_expect(fabs(x->real - expected) <= 1e-12 * fmax(1, fabs(expected)),
	    "%s = %.17g, expected %.17g", name, x->real, expected);
}

static void expect_null(const struct rx_metric m[RX_METRICS_COUNT], const char *name)
{
	cr_expect_eq(metric(m, name)->type, RX_METRIC_NULL, "%s should be null", name);
}

Test(metrics, names_are_those_of_the_spec_in_documentation_order)
{
	static const char *const names[] = {
		"offered", "answered", "abandoned", "answered_within_sl", "service_level",
		"connect_rate", "abandon_rate", "avg_wait_s", "completed", "avg_talk_s",
		"long_talk_share", "max_talk_s", "stale",
	};
	struct rx_counters c = RX_COUNTERS_INIT;
	struct rx_metric m[RX_METRICS_COUNT];

	cr_assert_eq(RX_METRICS_COUNT, sizeof names / sizeof names[0]);
	rx_metrics_derive(&c, m);
	for (int i = 0; i < RX_METRICS_COUNT; i++)
		cr_expect_str_eq(m[i].name, names[i]);
}

Test(metrics, figures_of_a_mixed_hour)
{
	struct rx_counters c = RX_COUNTERS_INIT;
	struct rx_metric m[RX_METRICS_COUNT];

	/* four answered (waits 10, 30, 31 and 49 s), one abandoned, three talks */
	add(&c, RX_FACT_ANSWERED, 10 * S);
	add(&c, RX_FACT_ANSWERED, 30 * S);
	add(&c, RX_FACT_ANSWERED, 31 * S);
	add(&c, RX_FACT_ANSWERED, 49 * S);
	add(&c, RX_FACT_ABANDONED, 0);
	add(&c, RX_FACT_COMPLETED, 120 * S);
	add(&c, RX_FACT_COMPLETED, 600 * S);
	add(&c, RX_FACT_COMPLETED, 720 * S + 500);
	rx_metrics_derive(&c, m);
	expect_count(m, "offered", 5);
	expect_count(m, "answered", 4);
	expect_count(m, "abandoned", 1);
	expect_count(m, "answered_within_sl", 2);
	expect_real(m, "service_level", 2.0 / 5.0);
	expect_real(m, "connect_rate", 4.0 / 5.0);
	expect_real(m, "abandon_rate", 1.0 / 5.0);
	expect_real(m, "avg_wait_s", 30.0);
	expect_count(m, "completed", 3);
	expect_real(m, "avg_talk_s", (120 + 600 + 720.5) / 3.0);
	expect_real(m, "long_talk_share", 1.0 / 3.0);
	expect_real(m, "max_talk_s", 720.5);
	expect_count(m, "stale", 0);
}

Test(metrics, service_level_is_over_offered_not_answered)
{
	struct rx_counters c = RX_COUNTERS_INIT;
	struct rx_metric m[RX_METRICS_COUNT];

	add(&c, RX_FACT_ANSWERED, 5 * S);
	add(&c, RX_FACT_ABANDONED, 0);
	add(&c, RX_FACT_ABANDONED, 0);
	add(&c, RX_FACT_ABANDONED, 0);
	rx_metrics_derive(&c, m);
	expect_real(m, "service_level", 0.25);
	expect_real(m, "connect_rate", 0.25);
	expect_real(m, "abandon_rate", 0.75);
}

Test(metrics, ratios_are_fractions_not_percentages)
{
	struct rx_counters c = RX_COUNTERS_INIT;
	struct rx_metric m[RX_METRICS_COUNT];

	for (int i = 0; i < 39; i++)
		add(&c, RX_FACT_ANSWERED, 3 * S);
	add(&c, RX_FACT_ABANDONED, 0);
	rx_metrics_derive(&c, m);
	expect_real(m, "service_level", 0.975);
	cr_expect_eq(metric(m, "service_level")->real, 0.975);
	for (int i = 0; i < RX_METRICS_COUNT; i++)
		if (m[i].type == RX_METRIC_REAL && strstr(m[i].name, "_s") == NULL)
			cr_expect(m[i].real >= 0 && m[i].real <= 1, "%s = %g", m[i].name, m[i].real);
}

Test(metrics, nothing_offered_gives_null_ratios_and_zero_counts)
{
	struct rx_counters c = RX_COUNTERS_INIT;
	struct rx_metric m[RX_METRICS_COUNT];

	rx_metrics_derive(&c, m);
	expect_count(m, "offered", 0);
	expect_count(m, "answered", 0);
	expect_count(m, "abandoned", 0);
	expect_count(m, "answered_within_sl", 0);
	expect_null(m, "service_level");
	expect_null(m, "connect_rate");
	expect_null(m, "abandon_rate");
	expect_null(m, "avg_wait_s");
	expect_count(m, "completed", 0);
	expect_null(m, "avg_talk_s");
	expect_null(m, "long_talk_share");
	expect_count(m, "stale", 0);
}

Test(metrics, only_abandons_give_null_wait_and_talk)
{
	struct rx_counters c = RX_COUNTERS_INIT;
	struct rx_metric m[RX_METRICS_COUNT];

	add(&c, RX_FACT_ABANDONED, 0);
	rx_metrics_derive(&c, m);
	expect_real(m, "service_level", 0);
	expect_real(m, "connect_rate", 0);
	expect_real(m, "abandon_rate", 1);
	expect_null(m, "avg_wait_s");
	expect_null(m, "avg_talk_s");
	expect_null(m, "long_talk_share");
}

Test(metrics, answered_but_none_completed_gives_null_talk_figures)
{
	struct rx_counters c = RX_COUNTERS_INIT;
	struct rx_metric m[RX_METRICS_COUNT];

	add(&c, RX_FACT_ANSWERED, 12 * S);
	add(&c, RX_FACT_STALE, 0);
	rx_metrics_derive(&c, m);
	expect_real(m, "avg_wait_s", 12.0);
	expect_count(m, "completed", 0);
	expect_null(m, "avg_talk_s");
	expect_null(m, "long_talk_share");
	expect_count(m, "stale", 1);
}

Test(metrics, stale_calls_are_neither_offered_nor_completed)
{
	struct rx_counters c = RX_COUNTERS_INIT;
	struct rx_metric m[RX_METRICS_COUNT];

	add(&c, RX_FACT_STALE, 0);
	add(&c, RX_FACT_STALE, 0);
	rx_metrics_derive(&c, m);
	expect_count(m, "offered", 0);
	expect_count(m, "abandoned", 0);
	expect_count(m, "completed", 0);
	expect_count(m, "stale", 2);
	expect_null(m, "service_level");
}

Test(metrics, wait_of_exactly_the_service_level_is_within)
{
	struct rx_counters c = RX_COUNTERS_INIT;

	add(&c, RX_FACT_ANSWERED, 30 * S);
	expect_i64(c.within_sl, 1);
	add(&c, RX_FACT_ANSWERED, 30 * S + 1);
	expect_i64(c.within_sl, 1);
	add(&c, RX_FACT_ANSWERED, 0);
	expect_i64(c.within_sl, 2);
}

Test(metrics, service_level_threshold_is_configurable)
{
	struct rx_thresholds twenty = { 20 * S, 600 * S };
	struct rx_counters c = RX_COUNTERS_INIT;
	struct rx_fact f = fact(RX_FACT_ANSWERED, 25 * S);

	rx_counters_apply(&c, &f, &twenty, +1);
	expect_i64(c.within_sl, 0);
	f.dur_ms = 20 * S;
	rx_counters_apply(&c, &f, &twenty, +1);
	expect_i64(c.within_sl, 1);
}

Test(metrics, talk_of_exactly_600_s_is_not_long_and_600_001_is)
{
	struct rx_counters c = RX_COUNTERS_INIT;
	struct rx_metric m[RX_METRICS_COUNT];

	add(&c, RX_FACT_COMPLETED, 600 * S);
	expect_i64(c.long_talks, 0);
	add(&c, RX_FACT_COMPLETED, 600 * S + 1);
	expect_i64(c.long_talks, 1);
	rx_metrics_derive(&c, m);
	expect_real(m, "long_talk_share", 0.5);
	expect_real(m, "max_talk_s", 600.001);
}

Test(metrics, removing_a_fact_undoes_adding_it)
{
	struct rx_counters c = RX_COUNTERS_INIT, before;
	struct rx_fact facts[] = {
		fact(RX_FACT_ANSWERED, 31 * S), fact(RX_FACT_ANSWERED, 2 * S),
		fact(RX_FACT_ABANDONED, 0), fact(RX_FACT_COMPLETED, 601 * S),
		fact(RX_FACT_COMPLETED, 60 * S), fact(RX_FACT_STALE, 0),
	};
	size_t n = sizeof facts / sizeof facts[0];

	add(&c, RX_FACT_ANSWERED, 7 * S);
	add(&c, RX_FACT_COMPLETED, 90 * S);
	before = c;
	for (size_t i = 0; i < n; i++)
		rx_counters_apply(&c, &facts[i], &th, +1);
	for (size_t i = n; i-- > 0;)
		rx_counters_apply(&c, &facts[i], &th, -1);
	expect_i64(c.answered, before.answered);
	expect_i64(c.abandoned, before.abandoned);
	expect_i64(c.within_sl, before.within_sl);
	expect_i64(c.completed, before.completed);
	expect_i64(c.long_talks, before.long_talks);
	expect_i64(c.stale, before.stale);
	expect_i64(c.wait_ms, before.wait_ms);
	expect_i64(c.talk_ms, before.talk_ms);
}

Test(metrics, merged_counters_give_the_figures_of_all_facts)
{
	struct rx_counters a = RX_COUNTERS_INIT, b = RX_COUNTERS_INIT, all = RX_COUNTERS_INIT;
	struct rx_metric ma[RX_METRICS_COUNT], mall[RX_METRICS_COUNT];

	add(&a, RX_FACT_ANSWERED, 10 * S);
	add(&all, RX_FACT_ANSWERED, 10 * S);
	add(&a, RX_FACT_COMPLETED, 700 * S);
	add(&all, RX_FACT_COMPLETED, 700 * S);
	add(&b, RX_FACT_ABANDONED, 0);
	add(&all, RX_FACT_ABANDONED, 0);
	add(&b, RX_FACT_ANSWERED, 40 * S);
	add(&all, RX_FACT_ANSWERED, 40 * S);
	add(&b, RX_FACT_COMPLETED, 100 * S);
	add(&all, RX_FACT_COMPLETED, 100 * S);
	rx_counters_merge(&a, &b);
	rx_metrics_derive(&a, ma);
	rx_metrics_derive(&all, mall);
	for (int i = 0; i < RX_METRICS_COUNT; i++) {
		cr_expect_eq(ma[i].type, mall[i].type, "%s", ma[i].name);
		cr_expect_eq(ma[i].count, mall[i].count, "%s", ma[i].name);
		cr_expect_eq(ma[i].real, mall[i].real, "%s", ma[i].name);
	}
	expect_real(ma, "max_talk_s", 700.0);
}

Test(metrics, raw_counters_are_additive_sums_and_counts)
{
	struct rx_counters c = RX_COUNTERS_INIT;
	struct rx_metric raw[RX_RAW_COUNT];
	uint64_t got[RX_RAW_COUNT] = { 0 };
	static const char *const names[] = {
		"answered", "abandoned", "answered_within_sl", "completed", "long_talks", "stale",
		"wait_ms_sum", "talk_ms_sum",
	};

	add(&c, RX_FACT_ANSWERED, 10 * S);
	add(&c, RX_FACT_ANSWERED, 35 * S);
	add(&c, RX_FACT_ABANDONED, 0);
	add(&c, RX_FACT_COMPLETED, 601 * S);
	add(&c, RX_FACT_STALE, 0);
	rx_metrics_raw(&c, raw);
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		bool found = false;
		for (int i = 0; i < RX_RAW_COUNT; i++)
			if (strcmp(raw[i].name, names[k]) == 0) {
				found = true;
				cr_expect_eq(raw[i].type, RX_METRIC_COUNT, "%s", names[k]);
				got[k] = raw[i].count;
			}
		cr_expect(found, "raw counter %s missing", names[k]);
	}
	expect_i64(got[0], 2);
	expect_i64(got[1], 1);
	expect_i64(got[2], 1);
	expect_i64(got[3], 1);
	expect_i64(got[4], 1);
	expect_i64(got[5], 1);
	expect_i64(got[6], 45 * S);
	expect_i64(got[7], 601 * S);
}
