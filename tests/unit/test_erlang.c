/*
 * test_erlang.c: the staffing formulas of src/core/erlang.c against published answers (issue
 * "seat sizing", section 1) and against independent computations done here the slow way:
 * Erlang B as a direct sum in long double, Erlang A's queue as a truncated birth-death chain,
 * and its service level by integrating the equations of one caller's progress through the
 * queue. Also the shape of the model: more agents never hurt, Erlang A becomes Erlang C as
 * callers grow patient, overload and loads of thousands of erlangs stay finite.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "rexian/erlang.h"

#define expect_near(actual, expected, tol)                                              \
	do {                                                                            \
		double a_ = (actual), e_ = (expected);                                  \
		cr_expect(fabs(a_ - e_) <= (tol), "%s = %.10g, expected %.10g within %g", \
		    #actual, a_, e_, (double)(tol));                                    \
	} while (0)

#define expect_probability(p) \
	cr_expect(isfinite(p) && (p) >= 0 && (p) <= 1, "%s = %g is not in [0, 1]", #p, (p))

/* 100 calls in 30 minutes at 180 s AHT: the textbook 10-erlang queue. */
static const struct rx_erlang_load ten_erlangs = { 10.0, 180.0, 300.0 };
static const struct rx_erlang_goal eighty_in_20 = { 0.80, 20.0, 1.0, 1.0 };

TestSuite(erlang, .timeout = 60);

/* ---- published answers ---- */

Test(erlang, offered_load_is_calls_times_aht_over_interval)
{
	expect_near(rx_erlang_offered_load(100, 1800, 180), 10.0, 1e-12);
	expect_near(rx_erlang_offered_load(1000, 3600, 120), 100.0 / 3.0, 1e-12);
	cr_expect(isnan(rx_erlang_offered_load(100, 0, 180)));
}

Test(erlang, b_known_answer_5_agents_2_erlangs)
{
	expect_near(rx_erlang_b(5, 2.0), 0.0367, 5e-5);
}

Test(erlang, b_known_answer_14_agents_10_erlangs)
{
	expect_near(rx_erlang_b(14, 10.0), 0.0568, 5e-5);
}

Test(erlang, c_known_answer_25_agents_20_erlangs_not_off_by_one)
{
	double c = rx_erlang_c(25, 20.0);

	expect_near(c, 0.2091, 5e-5);
	cr_expect(fabs(c - 0.261) > 0.01, "C(25, 20) = %g is the off-by-one value", c);
}

Test(erlang, c_known_answer_100_calls_14_agents)
{
	struct rx_erlang_result r;

	cr_assert_eq(rx_erlang_c_metrics(14, &ten_erlangs, 20.0, &r), 0);
	expect_near(r.service_level, 0.88835, 5e-6);
	expect_near(r.p_wait, 0.17413, 5e-6);
	expect_near(r.asa_s, 7.8359, 5e-5);
	expect_near(r.occupancy, 10.0 / 14.0, 1e-12);
	expect_near(r.p_abandon, 0.0, 0.0);
}

Test(erlang, c_sizes_100_calls_80_in_20_to_14_agents)
{
	struct rx_erlang_result r;

	cr_assert_eq(rx_erlang_c_size(&ten_erlangs, &eighty_in_20, &r), 0);
	cr_expect_eq(r.agents, 14);
	expect_near(r.service_level, 0.88835, 5e-6);
}

Test(erlang, c_max_occupancy_70_sizes_to_15)
{
	struct rx_erlang_goal g = eighty_in_20;
	struct rx_erlang_result r;

	g.max_occupancy = 0.70;
	cr_assert_eq(rx_erlang_c_size(&ten_erlangs, &g, &r), 0);
	cr_expect_eq(r.agents, 15);
}

Test(erlang, c_known_answers_1000_calls_per_hour_34_to_37_agents)
{
	static const double p_wait[] = { 0.8686, 0.6965, 0.5519, 0.4318 };
	static const double sl[] = { 0.201, 0.434, 0.605, 0.727 };
	struct rx_erlang_load load = { 1000.0 * 120.0 / 3600.0, 120.0, 0 };
	struct rx_erlang_result r;

	for (int n = 34; n <= 37; n++) {
		cr_assert_eq(rx_erlang_c_metrics(n, &load, 15.0, &r), 0);
		expect_near(r.p_wait, p_wait[n - 34], 5e-5);
		expect_near(r.service_level, sl[n - 34], 5e-4);
	}
}

Test(erlang, a_known_answer_100_calls_14_agents_patience_300)
{
	struct rx_erlang_result r;

	cr_assert_eq(rx_erlang_a_metrics(14, &ten_erlangs, 20.0, &r), 0);
	expect_near(r.p_wait, 0.14526, 5e-6);
	expect_near(r.p_abandon, 0.013984, 5e-7);
	expect_near(r.service_level, 0.916792, 5e-7);
}

Test(erlang, seats_per_100k_jiangsu_4708_seats_85_26_million)
{
	expect_near(rx_erlang_seats_per_100k(4708, 85.26e6), 5.52, 1e-9);
}

Test(erlang, seats_per_100k_zhenjiang_259_seats_3_21_million)
{
	expect_near(rx_erlang_seats_per_100k(259, 3.21e6), 8.07, 1e-9);
	cr_expect(isnan(rx_erlang_seats_per_100k(259, 0)));
}

Test(erlang, shrinkage_schedules_ceil_n_over_1_minus_s)
{
	cr_expect_eq(rx_erlang_scheduled(14, 0.0), 14);
	cr_expect_eq(rx_erlang_scheduled(14, 0.30), 20); /* 14 / 0.7 is 20.000000000000004 */
	cr_expect_eq(rx_erlang_scheduled(14, 0.25), 19);
	cr_expect_eq(rx_erlang_scheduled(14, 1.0), -1);
	cr_expect_eq(rx_erlang_scheduled(14, -0.1), -1);
}

/* ---- Erlang B and C against direct computation ---- */

/* B(N, A) = (A^N / N!) / sum_k A^k / k!, summed in long double logs. */
static double
direct_erlang_b(int n, double a)
{
	long double top = n * logl(a) - lgammal(n + 1.0L), sum = 0;

	for (int k = 0; k <= n; k++)
		sum += expl(k * logl(a) - lgammal(k + 1.0L) - top);
	return (double)(1.0L / sum);
}

Test(erlang, b_recursion_matches_direct_sum_to_1e9_for_thousands_of_agents)
{
	static const struct { int n; double a; } cases[] = {
		{ 1, 0.5 }, { 11, 10.6 }, { 171, 150.0 }, { 1520, 1500.0 }, { 1600, 1500.0 },
		{ 5000, 5000.0 }, { 5080, 5000.0 }, { 4000, 5000.0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double b = rx_erlang_b(cases[i].n, cases[i].a);
		double d = direct_erlang_b(cases[i].n, cases[i].a);

		cr_expect(fabs(b - d) <= 1e-9 * d, "B(%d, %g) = %.15g, direct %.15g",
		    cases[i].n, cases[i].a, b, d);
	}
}

Test(erlang, c_is_one_in_overload_and_metrics_refuse_it)
{
	struct rx_erlang_result r;

	expect_near(rx_erlang_c(10, 10.0), 1.0, 0.0);
	expect_near(rx_erlang_c(9, 10.6), 1.0, 0.0);
	cr_expect_eq(rx_erlang_c_metrics(10, &ten_erlangs, 20.0, &r), -1);
	cr_expect_eq(rx_erlang_c_metrics(5, &ten_erlangs, 20.0, &r), -1);
}

Test(erlang, c_fractional_load_10_6_sizes_to_the_least_agents)
{
	struct rx_erlang_load load = { 10.6, 180.0, 300.0 };
	struct rx_erlang_result r, below;

	cr_assert_eq(rx_erlang_c_size(&load, &eighty_in_20, &r), 0);
	cr_expect_geq(r.service_level, 0.80);
	cr_assert_eq(rx_erlang_c_metrics(r.agents - 1, &load, 20.0, &below), 0);
	cr_expect_lt(below.service_level, 0.80);
	expect_near(rx_erlang_b(15, 10.6), direct_erlang_b(15, 10.6), 1e-14);
}

Test(erlang, c_service_level_rises_with_agents)
{
	struct rx_erlang_load load = { 10.6, 180.0, 0 };
	struct rx_erlang_result r;
	double last = -1;

	for (int n = 11; n <= 40; n++) {
		cr_assert_eq(rx_erlang_c_metrics(n, &load, 20.0, &r), 0);
		cr_expect_gt(r.service_level, last, "SL fell from %d to %d agents", n - 1, n);
		last = r.service_level;
	}
}

Test(erlang, zero_load_needs_one_agent_and_is_served_at_once)
{
	struct rx_erlang_load load = { 0.0, 180.0, 300.0 };
	struct rx_erlang_result r;

	cr_assert_eq(rx_erlang_c_size(&load, &eighty_in_20, &r), 0);
	cr_expect_eq(r.agents, 1);
	expect_near(r.service_level, 1.0, 0.0);
	cr_assert_eq(rx_erlang_a_size(&load, &eighty_in_20, &r), 0);
	cr_expect_eq(r.agents, 1);
	expect_near(r.p_wait, 0.0, 0.0);
}

Test(erlang, bad_inputs_are_refused)
{
	struct rx_erlang_load no_aht = { 10.0, 0.0, 300.0 }, no_patience = { 10.0, 180.0, 0.0 };
	struct rx_erlang_load nan_load = { NAN, 180.0, 300.0 };
	struct rx_erlang_goal bad_target = { 1.0, 20.0, 1.0, 1.0 };
	struct rx_erlang_result r;

	cr_expect_eq(rx_erlang_c_size(&no_aht, &eighty_in_20, &r), -1);
	cr_expect_eq(rx_erlang_c_size(&nan_load, &eighty_in_20, &r), -1);
	cr_expect_eq(rx_erlang_c_size(&ten_erlangs, &bad_target, &r), -1);
	cr_expect_eq(rx_erlang_a_size(&no_patience, &eighty_in_20, &r), -1);
	cr_expect_eq(rx_erlang_a_metrics(0, &ten_erlangs, 20.0, &r), -1);
	cr_expect(isnan(rx_erlang_b(-1, 2.0)));
}

/* ---- Erlang A against a truncated birth-death chain and a tagged caller's equations ---- */

struct chain {
	int     agents, size;
	double *pi; /* stationary distribution of the number in system, 0 .. size - 1 */
};

/* Births at 1/interarrival, deaths at min(n, N)/AHT + (n - N)+/patience; normalised. */
static struct chain
chain_solve(int agents, const struct rx_erlang_load *l, int size)
{
	struct chain c = { agents, size, calloc((size_t)size, sizeof(double)) };
	double lambda = l->erlangs / l->aht_s, sum = 1, w = 1;

	c.pi[0] = 1;
	for (int n = 1; n < size; n++) {
		int busy = n < agents ? n : agents, queued = n - busy;

		w *= lambda / (busy / l->aht_s + queued / l->patience_s);
		c.pi[n] = w;
		sum += w;
	}
	for (int n = 0; n < size; n++)
		c.pi[n] /= sum;
	return c;
}

/*
 * u_k(t) = P(answered by t | k callers ahead): a caller moves up at rate N/AHT + k/patience
 * and hangs up at 1/patience. RK4 on these backward equations up to T gives the service
 * level; integrating u_k(inf) - u_k(t) over time gives the wait of answered callers. u_k(inf)
 * is the product of the move-up odds, N/AHT / (N/AHT + (k + 1)/patience).
 */
struct tagged {
	const struct chain          *c;
	const struct rx_erlang_load *l;
	int                          k_max;
	double                      *u, *tmp, *d[4];
};

static void
tagged_rates(const struct tagged *t, const double *u, double *du)
{
	for (int k = 0; k < t->k_max; k++) {
		double move = t->c->agents / t->l->aht_s + k / t->l->patience_s;
		double ahead = k == 0 ? 1.0 : u[k - 1];

		du[k] = move * (ahead - u[k]) - u[k] / t->l->patience_s;
	}
}

static void
tagged_rk4(struct tagged *t, double dt)
{
	static const double frac[] = { 0.5, 0.5, 1.0 };

	tagged_rates(t, t->u, t->d[0]);
	for (int s = 0; s < 3; s++) {
		for (int k = 0; k < t->k_max; k++)
			t->tmp[k] = t->u[k] + dt * frac[s] * t->d[s][k];
		tagged_rates(t, t->tmp, t->d[s + 1]);
	}
	for (int k = 0; k < t->k_max; k++)
		t->u[k] += dt / 6 * (t->d[0][k] + 2 * t->d[1][k] + 2 * t->d[2][k] + t->d[3][k]);
}

static double
tagged_done(const struct tagged *t, int k)
{
	double up = t->c->agents / t->l->aht_s;

	return up / (up + (k + 1) / t->l->patience_s);
}

/* Sum over k of pi_{N+k} (u_k(inf) - u_k(t)): answered-eventually mass not yet answered. */
static double
tagged_pending(const struct tagged *t)
{
	double sum = 0;

	for (int k = 0; k < t->k_max; k++)
		sum += t->c->pi[t->c->agents + k] * (tagged_done(t, k) - t->u[k]);
	return sum;
}

static void
chain_tagged(const struct chain *c, const struct rx_erlang_load *l, double within_s,
    double *sl, double *asa)
{
	struct tagged t = { c, l, c->size - c->agents, NULL, NULL, { NULL } };
	double dt = 0.05, area = 0, free_p = 0, answered = 0, before, after;
	long   at_threshold = lround(within_s / dt), steps = lround(30 * l->patience_s / dt);

	t.u = calloc((size_t)t.k_max, sizeof(double));
	t.tmp = calloc((size_t)t.k_max, sizeof(double));
	for (int s = 0; s < 4; s++)
		t.d[s] = calloc((size_t)t.k_max, sizeof(double));
	for (int n = 0; n < c->agents; n++)
		free_p += c->pi[n];
	for (int k = 0; k < t.k_max; k++)
		answered += c->pi[c->agents + k] * tagged_done(&t, k);
	for (long s = 0; s < steps; s++) {
		if (s == at_threshold)
			*sl = free_p + answered - tagged_pending(&t);
		before = tagged_pending(&t);
		tagged_rk4(&t, dt);
		after = tagged_pending(&t);
		area += dt * (before + after) / 2;
	}
	*asa = area / (free_p + answered);
	free(t.u), free(t.tmp);
	for (int s = 0; s < 4; s++)
		free(t.d[s]);
}

static void
expect_a_matches_chain(int agents, double erlangs, double patience_s, double within_s)
{
	struct rx_erlang_load l = { erlangs, 180.0, patience_s };
	struct chain c = chain_solve(agents, &l, agents + 150);
	struct rx_erlang_result r;
	double p_wait = 0, queue = 0, sl = NAN, asa = NAN;

	cr_assert_eq(rx_erlang_a_metrics(agents, &l, within_s, &r), 0);
	for (int n = agents; n < c.size; n++) {
		p_wait += c.pi[n];
		queue += (n - agents) * c.pi[n];
	}
	expect_near(r.p_wait, p_wait, 1e-10);
	/* hang-ups per second = queue / patience = P(abandon) x arrivals per second */
	expect_near(r.p_abandon, queue / patience_s / (erlangs / l.aht_s), 1e-10);
	chain_tagged(&c, &l, within_s, &sl, &asa);
	expect_near(r.service_level, sl, 1e-10);
	expect_near(r.asa_s, asa, 1e-5 * (1 + asa));
	free(c.pi);
}

Test(erlang, a_matches_birth_death_chain_at_10_erlangs)
{
	expect_a_matches_chain(14, 10.0, 300.0, 20.0);
}

Test(erlang, a_matches_birth_death_chain_at_fractional_load_10_6)
{
	expect_a_matches_chain(11, 10.6, 120.0, 30.0);
	expect_a_matches_chain(16, 10.6, 60.0, 10.0);
}

Test(erlang, a_matches_birth_death_chain_in_overload)
{
	expect_a_matches_chain(8, 10.6, 300.0, 20.0);
	expect_a_matches_chain(3, 12.0, 45.0, 15.0);
}

Test(erlang, a_fractional_load_10_6_sizes_to_the_least_agents)
{
	struct rx_erlang_load load = { 10.6, 180.0, 300.0 };
	struct rx_erlang_goal goal = { 0.80, 20.0, 0.05, 1.0 };
	struct rx_erlang_result r, below;

	cr_assert_eq(rx_erlang_a_size(&load, &goal, &r), 0);
	cr_expect_geq(r.service_level, 0.80);
	cr_expect_leq(r.p_abandon, 0.05);
	cr_assert_eq(rx_erlang_a_metrics(r.agents - 1, &load, 20.0, &below), 0);
	cr_expect(below.service_level < 0.80 || below.p_abandon > 0.05,
	    "%d agents already met the goal", r.agents - 1);
}

Test(erlang, a_service_level_rises_and_abandonment_falls_with_agents)
{
	struct rx_erlang_load load = { 10.6, 180.0, 300.0 };
	struct rx_erlang_result r;
	double sl = -1, ab = 2;

	for (int n = 1; n <= 40; n++) {
		cr_assert_eq(rx_erlang_a_metrics(n, &load, 20.0, &r), 0);
		cr_expect_gt(r.service_level, sl, "SL fell from %d to %d agents", n - 1, n);
		cr_expect_lt(r.p_abandon, ab, "P(abandon) rose from %d to %d agents", n - 1, n);
		sl = r.service_level;
		ab = r.p_abandon;
	}
}

Test(erlang, a_tends_to_c_as_patience_grows)
{
	struct rx_erlang_result c, a;
	double last_gap = INFINITY;

	cr_assert_eq(rx_erlang_c_metrics(14, &ten_erlangs, 20.0, &c), 0);
	for (double patience = 100; patience <= 1e7; patience *= 10) {
		struct rx_erlang_load l = { 10.0, 180.0, patience };
		double gap;

		cr_assert_eq(rx_erlang_a_metrics(14, &l, 20.0, &a), 0);
		gap = fabs(a.service_level - c.service_level) + fabs(a.p_wait - c.p_wait);
		cr_expect_lt(gap, last_gap, "no closer to Erlang C at patience %g s", patience);
		last_gap = gap;
	}
	expect_near(a.service_level, c.service_level, 1e-5);
	expect_near(a.p_wait, c.p_wait, 1e-5);
	expect_near(a.asa_s, c.asa_s, 1e-3);
	expect_near(a.p_abandon, 0.0, 1e-6);
}

Test(erlang, a_overload_hangs_up_the_excess_and_stays_finite)
{
	struct rx_erlang_load l = { 10.6, 180.0, 300.0 };
	struct rx_erlang_result r;

	for (int n = 1; n <= 10; n++) {
		cr_assert_eq(rx_erlang_a_metrics(n, &l, 20.0, &r), 0);
		expect_probability(r.service_level);
		expect_probability(r.p_wait);
		expect_probability(r.p_abandon);
		expect_probability(r.occupancy);
		cr_expect(isfinite(r.asa_s) && r.asa_s > 0);
		/* agents can answer at most N / AHT calls a second: the rest must hang up */
		cr_expect_geq(r.p_abandon, 1.0 - n / 10.6 - 1e-12, "N = %d", n);
	}
}

Test(erlang, a_may_staff_below_the_offered_load)
{
	struct rx_erlang_load l = { 1500.0, 180.0, 300.0 };
	struct rx_erlang_goal goal = { 0.80, 20.0, 0.05, 1.0 };
	struct rx_erlang_result r;

	cr_assert_eq(rx_erlang_a_size(&l, &goal, &r), 0);
	cr_expect_lt(r.agents, 1500);
	cr_expect_geq(r.service_level, 0.80);
	cr_expect_leq(r.p_abandon, 0.05);
}

Test(erlang, a_max_abandon_can_bind_before_the_service_level)
{
	struct rx_erlang_goal loose = { 0.20, 20.0, 1.0, 1.0 }, strict = loose;
	struct rx_erlang_result a, b;

	strict.max_abandon = 0.01;
	cr_assert_eq(rx_erlang_a_size(&ten_erlangs, &loose, &a), 0);
	cr_assert_eq(rx_erlang_a_size(&ten_erlangs, &strict, &b), 0);
	cr_expect_gt(b.agents, a.agents);
	cr_expect_leq(b.p_abandon, 0.01);
}

Test(erlang, a_max_occupancy_raises_the_floor)
{
	struct rx_erlang_goal goal = eighty_in_20;
	struct rx_erlang_result r;

	goal.max_occupancy = 0.50;
	cr_assert_eq(rx_erlang_a_size(&ten_erlangs, &goal, &r), 0);
	cr_expect_eq(r.agents, 20);
}

/* ---- large loads ---- */

static void
expect_large_load_finite(double erlangs, double aht_s, double patience_s)
{
	struct rx_erlang_load l = { erlangs, aht_s, patience_s };
	struct rx_erlang_goal goal = { 0.80, 20.0, 0.05, 1.0 };
	static const double share[] = { 0.25, 0.5, 0.9, 0.99, 1.0, 1.01, 1.05, 1.2 };
	struct rx_erlang_result r;

	for (size_t i = 0; i < sizeof share / sizeof share[0]; i++) {
		int n = (int)(erlangs * share[i]);

		cr_assert_eq(rx_erlang_a_metrics(n, &l, 20.0, &r), 0, "A = %g, N = %d", erlangs, n);
		expect_probability(r.service_level);
		expect_probability(r.p_wait);
		expect_probability(r.p_abandon);
		expect_probability(r.occupancy);
		cr_expect(isfinite(r.asa_s) && r.asa_s >= 0);
		if (n > erlangs) {
			cr_assert_eq(rx_erlang_c_metrics(n, &l, 20.0, &r), 0);
			expect_probability(r.service_level);
			expect_probability(r.p_wait);
		}
	}
	cr_assert_eq(rx_erlang_c_size(&l, &goal, &r), 0);
	cr_expect_gt(r.agents, erlangs);
	expect_probability(r.service_level);
	cr_assert_eq(rx_erlang_a_size(&l, &goal, &r), 0);
	expect_probability(r.service_level);
	cr_expect_geq(r.service_level, 0.80);
}

Test(erlang, large_load_1500_erlangs_finite_in_unit_interval)
{
	expect_large_load_finite(1500.0, 180.0, 300.0);
}

Test(erlang, large_load_5000_erlangs_finite_in_unit_interval)
{
	expect_large_load_finite(5000.0, 180.0, 300.0);
	expect_large_load_finite(5000.0, 60.0, 3600.0); /* patient callers: long series */
}
