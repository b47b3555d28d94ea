/*
 * erlang.c: staffing arithmetic for one interval of a hotline queue. Given the offered load
 * A (erlangs), the handling time and, for Erlang A, the callers' mean patience, it says how a
 * queue with N agents behaves and finds the least N that meets a service-level goal. It sits
 * beside the metrics in src/core: pure double-precision arithmetic on libm, no I/O, so the
 * calculator, the measured mode and the daemon's live block all share it and tests drive it
 * from tables of published answers.
 *
 * Everything goes through the Erlang B recursion B_k = A B_{k-1} / (k + A B_{k-1}): factorials
 * and powers of A overflow past 170 agents, the recursion stays in [0, 1] for any N.
 */
#include "rexian/erlang.h"

#include <limits.h>
#include <math.h>

#define ERLANG_MAX_LOAD   1e6   /* beyond any hotline; keeps agent counts well inside int */
#define ERLANG_MAX_TERMS  50000000L /* a third of a second of series; see erlang_a_sum */
#define ERLANG_RESCALE    1e250 /* rescale the Erlang A sums before they can overflow */
#define ERLANG_TAIL_EPS   1e-17 /* relative size of the series tail we are content to drop */
#define ERLANG_LOG_TINY   (-700.0) /* below this exp() would leave the normal range */

double
rx_erlang_offered_load(double calls, double interval_s, double aht_s)
{
	if (!(interval_s > 0) || !(calls >= 0) || !(aht_s > 0) || !isfinite(calls * aht_s))
		return NAN;
	return calls * aht_s / interval_s;
}

static double
erlang_b_step(double b, int k, double erlangs)
{
	return erlangs * b / (k + erlangs * b);
}

double
rx_erlang_b(int agents, double erlangs)
{
	double b = 1.0;

	if (agents < 0 || !(erlangs >= 0) || !isfinite(erlangs))
		return NAN;
	for (int k = 1; k <= agents; k++)
		b = erlang_b_step(b, k, erlangs);
	return b;
}

/* C = N B / (N - A (1 - B)): the M/M/N waiting probability from the loss probability. */
static double
erlang_c_from_b(int agents, double erlangs, double b)
{
	if (agents <= erlangs)
		return 1.0;
	return agents * b / (agents - erlangs * (1.0 - b));
}

double
rx_erlang_c(int agents, double erlangs)
{
	double b = rx_erlang_b(agents, erlangs);

	return isnan(b) ? NAN : erlang_c_from_b(agents, erlangs, b);
}

static int
erlang_load_ok(const struct rx_erlang_load *load, int need_patience)
{
	if (!(load->erlangs >= 0) || !(load->erlangs <= ERLANG_MAX_LOAD))
		return 0;
	if (!(load->aht_s > 0) || !isfinite(load->aht_s))
		return 0;
	return !need_patience || (load->patience_s > 0 && isfinite(load->patience_s));
}

static int
erlang_goal_ok(const struct rx_erlang_goal *goal)
{
	return goal->target > 0 && goal->target < 1 &&
	    goal->within_s >= 0 && isfinite(goal->within_s) &&
	    goal->max_abandon > 0 && goal->max_abandon <= 1 &&
	    goal->max_occupancy > 0 && goal->max_occupancy <= 1;
}

/*
 * ceil(A / max_occupancy), forgiving the rounding of 7 / 0.7 = 10.000000000000002. A cap of 1
 * is no cap: real occupancy never exceeds 1, and Erlang A may rightly staff below A.
 */
static int
erlang_occupancy_floor(double erlangs, double max_occupancy)
{
	double q = erlangs / max_occupancy;
	int    n;

	if (max_occupancy >= 1)
		return 1;
	n = (int)ceil(q - 1e-9 * fmax(1.0, q));

	return n < 1 ? 1 : n;
}

static void
erlang_c_fill(int agents, const struct rx_erlang_load *load, double within_s, double b,
    struct rx_erlang_result *out)
{
	double a = load->erlangs, c = erlang_c_from_b(agents, a, b);
	double gap = agents - a;

	out->agents = agents;
	out->p_wait = c;
	out->p_abandon = 0.0;
	out->service_level = 1.0 - c * exp(-gap * within_s / load->aht_s);
	out->asa_s = c * load->aht_s / gap;
	out->occupancy = a / agents;
}

int
rx_erlang_c_metrics(int agents, const struct rx_erlang_load *load, double within_s,
    struct rx_erlang_result *out)
{
	if (!erlang_load_ok(load, 0) || !(within_s >= 0) || !isfinite(within_s))
		return -1;
	if (agents < 1 || agents <= load->erlangs)
		return -1;
	erlang_c_fill(agents, load, within_s, rx_erlang_b(agents, load->erlangs), out);
	return 0;
}

/* Walks N upward from the first candidate, carrying B forward one agent at a time. */
int
rx_erlang_c_size(const struct rx_erlang_load *load, const struct rx_erlang_goal *goal,
    struct rx_erlang_result *out)
{
	struct rx_erlang_result r;
	double a = load->erlangs, b;
	int    n, occ;

	if (!erlang_load_ok(load, 0) || !erlang_goal_ok(goal))
		return -1;
	n = (int)floor(a) + 1;
	occ = erlang_occupancy_floor(a, goal->max_occupancy);
	if (occ > n)
		n = occ;
	b = rx_erlang_b(n, a);
	for (;;) {
		erlang_c_fill(n, load, goal->within_s, b, &r);
		if (r.service_level >= goal->target)
			break;
		if (n == INT_MAX)
			return -1;
		n++;
		b = erlang_b_step(b, n, a);
	}
	*out = r;
	return 0;
}

/*
 * Erlang A in closed-form series. Measure time in units of the mean patience M and write
 * x = N M / AHT, y = A M / AHT. With every agent busy and k callers queued, callers leave the
 * queue at rate x + k (services plus hang-ups) and arrive at rate y, so the stationary weight
 * of "k queued" relative to "all N busy, none queued" is r_k = prod_{j=1..k} y / (x + j).
 * A caller who arrives to find k ahead, with j still ahead, moves up at rate x + j and hangs
 * up at rate 1, so:
 *   - it is answered with probability prod_{j=0..k} (x + j) / (x + j + 1) = x / (x + k + 1);
 *   - given an answer, each stay lasts an exponential of the whole exit rate x + j + 1, so
 *     its wait V has mean sum_{j=1..k+1} 1 / (x + j), and e^{-V} is Beta(x + 1, k + 1)
 *     distributed: P(V <= T) = 1 - I_{u0}(x + 1, k + 1) with u0 = e^{-T}. For a whole second
 *     argument that regularised incomplete beta is a negative-binomial partial sum, carried
 *     forward in k like B.
 * Every term is positive, so no sum cancels; hang-ups are summed directly, never as
 * 1 - answered. In overload (N <= A) r_k climbs to e^{thousands} before it falls, so the sums
 * are kept scaled by e^{-log_scale}. The ratios y / (x + k + 1) only fall, so once below 1 the
 * tail is bounded by a geometric series, and the sum stops when that bound is below
 * ERLANG_TAIL_EPS of the total: after about max(0, y - x) + 9 sqrt(y) terms.
 */
struct erlang_a_sums {
	double queued;    /* sum r_k: weight of the states where an arrival waits */
	double answered;  /* sum r_k x/(x+k+1) */
	double abandoned; /* sum r_k (k+1)/(x+k+1) */
	double in_time;   /* sum r_k x/(x+k+1) P(V <= T | answered) */
	double wait;      /* sum r_k x/(x+k+1) E[V | answered], in patience units */
	double log_scale; /* every field above is scaled by e^{-log_scale} */
};

/* The negative-binomial terms t_j = u0^a (1-u0)^j Gamma(a+j) / (Gamma(a) j!) and their sum. */
struct erlang_nb {
	double a, q, log_q; /* a = x + 1; q = 1 - u0 */
	double log_t;       /* ln t_j while t_j would be subnormal, else unused */
	double t, cum;      /* t_j once representable; cum = sum_{i<=j} t_i = I_{u0}(a, j+1) */
};

static void
erlang_nb_start(struct erlang_nb *nb, double x, double within)
{
	nb->a = x + 1.0;
	nb->q = -expm1(-within);
	nb->log_q = log(nb->q);
	nb->log_t = -nb->a * within;
	nb->t = nb->log_t < ERLANG_LOG_TINY ? 0.0 : exp(nb->log_t);
	nb->cum = nb->t;
}

static void
erlang_nb_next(struct erlang_nb *nb, long j)
{
	double ratio_log;

	if (nb->t > 0 || nb->log_t >= ERLANG_LOG_TINY) {
		nb->t *= nb->q * (nb->a + j - 1) / j;
	} else {
		ratio_log = nb->log_q + log((nb->a + j - 1) / j);
		nb->log_t += ratio_log;
		if (nb->log_t >= ERLANG_LOG_TINY)
			nb->t = exp(nb->log_t);
	}
	nb->cum += nb->t;
}

static void
erlang_a_rescale(struct erlang_a_sums *s, double *r)
{
	*r /= ERLANG_RESCALE;
	s->queued /= ERLANG_RESCALE;
	s->answered /= ERLANG_RESCALE;
	s->abandoned /= ERLANG_RESCALE;
	s->in_time /= ERLANG_RESCALE;
	s->wait /= ERLANG_RESCALE;
	s->log_scale += log(ERLANG_RESCALE);
}

static int
erlang_a_sum(double x, double y, double within, struct erlang_a_sums *s)
{
	struct erlang_nb nb;
	double r = 1.0, harmonic = 1.0 / (x + 1.0), ratio, ans, late;

	*s = (struct erlang_a_sums){ 0 };
	if (fmax(0.0, y - x) + 10 * sqrt(y) + 100 > ERLANG_MAX_TERMS)
		return -1; /* patience absurdly long next to AHT: refuse rather than spin */
	erlang_nb_start(&nb, x, within);
	for (long k = 0; k < ERLANG_MAX_TERMS; k++) {
		ans = x / (x + k + 1);
		late = nb.cum >= 1.0 ? 0.0 : 1.0 - nb.cum;
		s->queued += r;
		s->answered += r * ans;
		s->abandoned += r * (k + 1) / (x + k + 1);
		s->in_time += r * ans * late;
		s->wait += r * ans * harmonic;
		ratio = y / (x + k + 1);
		if (ratio < 1 && r * ratio / (1 - ratio) < ERLANG_TAIL_EPS * s->queued)
			return 0;
		r *= ratio;
		if (r > ERLANG_RESCALE)
			erlang_a_rescale(s, &r);
		harmonic += 1.0 / (x + k + 2);
		erlang_nb_next(&nb, k + 1);
	}
	return -1;
}

/* Joins the queued states to the Erlang B states below N: P(n < N) : P(n >= N) = 1 - B : B S. */
static void
erlang_a_fill(int agents, const struct rx_erlang_load *load, const struct erlang_a_sums *s,
    double b, struct rx_erlang_result *out)
{
	double free_w = (1.0 - b) * exp(-s->log_scale); /* scaled weight of n < N */
	double z = free_w + b * s->queued;
	double answered = (free_w + b * s->answered) / z;

	out->agents = agents;
	out->p_wait = b * s->queued / z;
	out->p_abandon = b * s->abandoned / z;
	out->service_level = (free_w + b * s->in_time) / z;
	out->asa_s = load->patience_s * (b * s->wait / z) / answered;
	out->occupancy = load->erlangs * answered / agents;
}

int
rx_erlang_a_metrics(int agents, const struct rx_erlang_load *load, double within_s,
    struct rx_erlang_result *out)
{
	struct erlang_a_sums s;
	double scale, b;

	if (agents < 1 || !erlang_load_ok(load, 1) || !(within_s >= 0) || !isfinite(within_s))
		return -1;
	scale = load->patience_s / load->aht_s;
	if (erlang_a_sum(agents * scale, load->erlangs * scale, within_s / load->patience_s,
	    &s) != 0)
		return -1;
	b = rx_erlang_b(agents, load->erlangs);
	erlang_a_fill(agents, load, &s, b, out);
	return 0;
}

/*
 * 1 when N agents meet the goal, 0 when not, -1 on failure. Below A the only failure is an
 * overload too deep to sum (tens of millions of callers queued, each waiting dozens of AHTs),
 * which meets no goal, so it counts as "not met" rather than sinking the search.
 */
static int
erlang_a_meets(int agents, const struct rx_erlang_load *load,
    const struct rx_erlang_goal *goal, struct rx_erlang_result *r)
{
	if (rx_erlang_a_metrics(agents, load, goal->within_s, r) != 0)
		return agents < load->erlangs ? 0 : -1;
	return r->service_level >= goal->target && r->p_abandon <= goal->max_abandon;
}

/*
 * Service level rises and P(abandon) falls as N grows, so the least good N is found by
 * galloping up from a guess near A and bisecting: a few dozen evaluations even for thousands
 * of erlangs, where walking up from N = 1 would take thousands.
 */
int
rx_erlang_a_size(const struct rx_erlang_load *load, const struct rx_erlang_goal *goal,
    struct rx_erlang_result *out)
{
	struct rx_erlang_result r, best;
	int lo, bad, good, step = 1, m;

	if (!erlang_load_ok(load, 1) || !erlang_goal_ok(goal))
		return -1;
	lo = erlang_occupancy_floor(load->erlangs, goal->max_occupancy);
	bad = lo - 1;
	good = (int)load->erlangs > lo ? (int)load->erlangs : lo;
	while ((m = erlang_a_meets(good, load, goal, &r)) == 0) {
		if (good > INT_MAX / 2)
			return -1;
		bad = good;
		good += step;
		step *= 2;
	}
	if (m < 0)
		return -1;
	best = r;
	while (good - bad > 1) {
		int mid = bad + (good - bad) / 2;

		if ((m = erlang_a_meets(mid, load, goal, &r)) < 0)
			return -1;
		if (m) {
			good = mid;
			best = r;
		} else {
			bad = mid;
		}
	}
	*out = best;
	return 0;
}

int
rx_erlang_scheduled(int agents, double shrinkage)
{
	double q;

	if (agents < 0 || !(shrinkage >= 0) || !(shrinkage < 1))
		return -1;
	q = agents / (1.0 - shrinkage);
	if (q >= INT_MAX)
		return -1;
	return (int)ceil(q - 1e-9 * fmax(1.0, q));
}

double
rx_erlang_seats_per_100k(double seats, double population)
{
	if (!(population > 0) || !(seats >= 0))
		return NAN;
	return round(seats / (population / 100000.0) * 100.0) / 100.0;
}
