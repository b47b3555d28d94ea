/*
 * erlang_bench.c: how long seat sizing takes, for the live staffing block and `rexian staff`
 * to budget by. It sizes one half hour of 1,500 erlangs (a provincial platform's peak) with
 * Erlang C and with Erlang A, then a whole day of 48 half hours shaped like a hotline's day
 * (a night trough of 60 erlangs, a morning peak of about 1,500), and prints the median and the
 * fastest of several runs. Run by hand: `build/bench/bench_erlang [runs]`; never a test.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rexian/erlang.h"

#define BENCH_PEAK_ERLANGS 1500.0
#define BENCH_INTERVALS    48
#define BENCH_MAX_RUNS     1000

static volatile int bench_sink; /* keeps the compiler from dropping the work */

static const struct rx_erlang_goal bench_goal = { 0.80, 20.0, 0.05, 1.0 };

static double
bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Offered erlangs in half hour i: a floor plus peaks near 10:00 and 15:00. */
static double
bench_day_load(int i)
{
	double h = i / 2.0 + 0.25;
	double morning = exp(-pow((h - 10.0) / 1.8, 2)), afternoon = exp(-pow((h - 15.0) / 2.2, 2));

	return BENCH_PEAK_ERLANGS * (0.04 + 0.96 * morning + 0.8 * afternoon);
}

static void
bench_size(double erlangs, int with_a)
{
	struct rx_erlang_load   load = { erlangs, 180.0, 300.0 };
	struct rx_erlang_result r;

	if (rx_erlang_c_size(&load, &bench_goal, &r) != 0)
		abort();
	bench_sink += r.agents;
	if (!with_a)
		return;
	if (rx_erlang_a_size(&load, &bench_goal, &r) != 0)
		abort();
	bench_sink += r.agents;
}

static void
bench_c_interval(void)
{
	struct rx_erlang_load   load = { BENCH_PEAK_ERLANGS, 180.0, 300.0 };
	struct rx_erlang_result r;

	if (rx_erlang_c_size(&load, &bench_goal, &r) != 0)
		abort();
	bench_sink += r.agents;
}

static void
bench_a_interval(void)
{
	struct rx_erlang_load   load = { BENCH_PEAK_ERLANGS, 180.0, 300.0 };
	struct rx_erlang_result r;

	if (rx_erlang_a_size(&load, &bench_goal, &r) != 0)
		abort();
	bench_sink += r.agents;
}

static void
bench_both_interval(void)
{
	bench_size(BENCH_PEAK_ERLANGS, 1);
}

static void
bench_day(void)
{
	for (int i = 0; i < BENCH_INTERVALS; i++)
		bench_size(bench_day_load(i), 1);
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Times `runs` calls of fn; prints median and fastest in microseconds. */
static void
bench_report(const char *what, void (*fn)(void), int runs)
{
	double t[BENCH_MAX_RUNS];

	fn(); /* warm the caches once */
	for (int i = 0; i < runs; i++) {
		double start = bench_now_us();

		fn();
		t[i] = bench_now_us() - start;
	}
	qsort(t, (size_t)runs, sizeof t[0], bench_cmp);
	printf("%-46s median %10.1f us   fastest %10.1f us\n", what, t[runs / 2], t[0]);
}

int
main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 21;

	if (runs < 1 || runs > BENCH_MAX_RUNS) {
		fprintf(stderr, "bench_erlang: runs must be 1..%d\n", BENCH_MAX_RUNS);
		return 2;
	}
	printf("sizing %.0f erlangs, AHT 180 s, patience 300 s, 80%% in 20 s, %d runs\n",
	    BENCH_PEAK_ERLANGS, runs);
	bench_report("one interval, Erlang C", bench_c_interval, runs);
	bench_report("one interval, Erlang A", bench_a_interval, runs);
	bench_report("one interval, Erlang C and A", bench_both_interval, runs);
	bench_report("one day of 48 intervals, Erlang C and A", bench_day, runs);
	return 0;
}
