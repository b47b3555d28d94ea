/*
 * population.c: the day's staffed and required seats against the residents served.
 *
 * The mean is weighted by time (a seat logged in for the whole day counts 1, for half of
 * it 0.5), measured in event time from the first sample of the day; the day rolls over at
 * local midnight like the `today` window.
 */
#include "rexian/population.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rexian/erlang.h"

int rx_population_parse(const char *text, struct rx_population *p)
{
	const char *eq = strrchr(text, '=');
	const char *num = eq ? eq + 1 : text;
	char *end;

	memset(p, 0, sizeof *p);
	if (eq != NULL) {
		if (eq == text || (size_t)(eq - text) >= sizeof p->platform)
			return -1;
		memcpy(p->platform, text, (size_t)(eq - text));
	}
	p->residents = strtod(num, &end);
	if (end == num || *end != '\0' || !(p->residents >= 1) || p->residents > 1e10)
		return -1;
	p->required_now = p->required_peak = -1;
	p->day = -1;
	return 0;
}

void rx_population_sample(struct rx_population *p, struct rx_engine *e, uint32_t seats,
    int required)
{
	int32_t day;

	if (e->now == INT64_MIN)
		return;
	rx_tz_day_start(&e->tz, e->now, &day);
	if (day != p->day) {
		p->day = day;
		p->peak_seats = 0;
		p->seat_ms = 0;
		p->required_peak = -1;
		p->day_start_ms = p->last_ms = e->now;
	} else if (e->now > p->last_ms) {
		p->seat_ms += (double)p->now_seats * (double)(e->now - p->last_ms);
		p->last_ms = e->now;
	}
	p->now_seats = seats;
	if (seats > p->peak_seats)
		p->peak_seats = seats;
	p->required_now = required;
	if (required > p->required_peak)
		p->required_peak = required;
}

static double mean_seats(const struct rx_population *p)
{
	if (p->last_ms <= p->day_start_ms)
		return p->now_seats;
	return p->seat_ms / (double)(p->last_ms - p->day_start_ms);
}

static void per_100k(struct rx_jsonw *w, const char *key, const struct rx_population *p, double seats)
{
	rx_jsonw_key(w, key);
	if (seats < 0)
		rx_jsonw_null(w);
	else
		rx_jsonw_real(w, rx_erlang_seats_per_100k(seats, p->residents));
}

void rx_population_json(struct rx_jsonw *w, const struct rx_population *p)
{
	double mean = mean_seats(p);

	rx_jsonw_open(w, '{');
	rx_jsonw_key(w, "platform");
	if (p->platform[0])
		rx_jsonw_cstr(w, p->platform);
	else
		rx_jsonw_null(w);
	rx_jsonw_kv_real(w, "residents", p->residents);
	rx_jsonw_key(w, "seats");
	rx_jsonw_open(w, '{');
	rx_jsonw_kv_uint(w, "now", p->now_seats);
	rx_jsonw_kv_uint(w, "peak", p->peak_seats);
	rx_jsonw_kv_real(w, "mean", round(mean * 100) / 100);
	rx_jsonw_close(w, '}');
	rx_jsonw_key(w, "required");
	rx_jsonw_open(w, '{');
	rx_jsonw_kv_count(w, "now", p->required_now);
	rx_jsonw_kv_count(w, "peak", p->required_peak);
	rx_jsonw_close(w, '}');
	rx_jsonw_key(w, "seats_per_100k");
	rx_jsonw_open(w, '{');
	per_100k(w, "now", p, p->now_seats);
	per_100k(w, "peak", p, p->peak_seats);
	per_100k(w, "mean", p, mean);
	per_100k(w, "required_now", p, p->required_now);
	per_100k(w, "required_peak", p, p->required_peak);
	rx_jsonw_close(w, '}');
	rx_jsonw_close(w, '}');
}
