/*
 * erlang.h: queueing formulas that turn an interval's offered load into the number of
 * call-takers it needs. Erlang B (blocked calls lost), Erlang C (M/M/N: every caller waits as
 * long as it takes) and Erlang A (M/M/N+M: callers hang up after an exponentially distributed
 * patience; Garnett, Mandelbaum and Reiman 2002), plus the seats-per-100,000-residents ratio
 * provinces compare cities by. `rexian staff` and the engine's live staffing block call these.
 *
 * Ownership: everything here is pure arithmetic on values the caller passes in. No function
 * allocates, keeps a pointer past its return, or touches global state, so all of them are
 * safe to call from any thread. Result structs are filled by the callee and owned by the
 * caller. Functions returning int return 0 on success and -1 on inputs they cannot size
 * (non-finite, negative, zero AHT, a target outside (0, 1)); *out is then left untouched.
 */
#ifndef REXIAN_ERLANG_H
#define REXIAN_ERLANG_H

/* What one interval offers the queue. */
struct rx_erlang_load {
	double erlangs;    /* offered load A = calls x AHT / interval length, may be fractional */
	double aht_s;      /* mean handling time (talk, plus after-call work if counted), > 0 */
	double patience_s; /* mean caller patience, > 0; read by the Erlang A functions only */
};

/* What the staffing must achieve. */
struct rx_erlang_goal {
	double target;        /* service level wanted, in (0, 1) */
	double within_s;      /* answer threshold T of the service level, >= 0 */
	double max_abandon;   /* Erlang A only: ceiling on P(abandon), in (0, 1]; 1 = none */
	double max_occupancy; /* agents >= ceil(A / max_occupancy), in (0, 1]; 1 = none */
};

/* How the queue behaves with a given number of agents. */
struct rx_erlang_result {
	int    agents;        /* N */
	double service_level; /* answered within T / all offered calls */
	double p_wait;        /* probability an arriving call finds every agent busy */
	double p_abandon;     /* probability a call hangs up before an answer (0 in Erlang C) */
	double asa_s;         /* mean wait of answered calls, those answered at once included */
	double occupancy;     /* fraction of agent time spent handling calls */
};

/* Offered load in erlangs: calls x aht_s / interval_s. Returns NAN on a bad interval. */
double rx_erlang_offered_load(double calls, double interval_s, double aht_s);

/* Erlang B blocking probability B(agents, erlangs), by the stable recursion (no factorials). */
double rx_erlang_b(int agents, double erlangs);

/* Erlang C probability of waiting C(agents, erlangs); 1 when agents <= erlangs. */
double rx_erlang_c(int agents, double erlangs);

/* Erlang C service level, P(wait), ASA and occupancy for `agents`; -1 unless agents > A. */
int rx_erlang_c_metrics(int agents, const struct rx_erlang_load *load, double within_s,
    struct rx_erlang_result *out);

/* The least N > A meeting goal->target (and the occupancy cap); metrics for it in *out. */
int rx_erlang_c_size(const struct rx_erlang_load *load, const struct rx_erlang_goal *goal,
    struct rx_erlang_result *out);

/* Erlang A metrics for `agents` >= 1; valid in overload (agents <= A) too. Costs about
 * max(0, A - N) M / AHT + 9 sqrt(A M / AHT) steps; -1 if a patience M absurdly long next to
 * the AHT (months) would make that tens of millions. */
int rx_erlang_a_metrics(int agents, const struct rx_erlang_load *load, double within_s,
    struct rx_erlang_result *out);

/* The least N >= 1 (possibly below A) meeting the target, max_abandon and occupancy cap. */
int rx_erlang_a_size(const struct rx_erlang_load *load, const struct rx_erlang_goal *goal,
    struct rx_erlang_result *out);

/* Seats to schedule so that `agents` remain after shrinkage s in [0, 1): ceil(N / (1 - s)).
 * Returns -1 on a bad shrinkage. */
int rx_erlang_scheduled(int agents, double shrinkage);

/* Seats per 100,000 residents (每十万人座席数), rounded to two decimals as published;
 * population is a head count (85.26 million = 85.26e6). NAN when population <= 0. */
double rx_erlang_seats_per_100k(double seats, double population);

#endif
