/*
 * staffing.c: the measured mode of seat sizing, without any I/O. A scope's per-minute
 * counters are kept per local day (the day to size is chosen only once the whole feed has
 * been read), seat events become a step function of seats logged in, and both are cut into
 * the intervals of one day, which erlang.c then sizes. `rexian staff --from` fills the day
 * store from the engine's minute buckets, `--redis` from rexiand's `min:` hashes; the
 * arithmetic from there on is the same, so the two sources agree to the last digit.
 */
#include "rexian/staffing.h"

#include "rexian/array.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STAFFING_MINUTE_MS 60000LL

void
rx_staffing_minutes_clear(struct rx_staffing_minute *m, int n)
{
	const struct rx_counters zero = RX_COUNTERS_INIT;

	for (int i = 0; i < n; i++)
		m[i] = (struct rx_staffing_minute){ zero, NAN, NAN };
}

int
rx_staffing_minute_split(int64_t code, int32_t *day, int *minute)
{
	int64_t hhmm = code % 10000, hh = hhmm / 100, mm = hhmm % 100;

	if (code < 100000000000LL || code > 999999999999LL || hh > 23 || mm > 59)
		return -1;
	*day = (int32_t)(code / 10000);
	*minute = (int)(hh * 60 + mm);
	return 0;
}

double
rx_staffing_aht_s(const struct rx_counters *c, double acw_s)
{
	if (c->completed == 0)
		return NAN;
	return (double)c->talk_ms / (double)c->completed / 1000.0 + acw_s;
}

double
rx_staffing_patience_s(const struct rx_counters *c)
{
	if (c->abandoned == 0)
		return NAN;
	return (double)(c->wait_ms + c->abandon_wait_ms) / (double)c->abandoned / 1000.0;
}

/* ---- intervals ---- */

static void
staffing_interval_sum(const struct rx_staffing_minute *m, int n, double acw_s,
    struct rx_staffing_interval *iv)
{
	const struct rx_counters zero = RX_COUNTERS_INIT;
	double seat_sum = 0;

	*iv = (struct rx_staffing_interval){ .c = zero, .seats_mean = NAN, .seats_peak = NAN,
	    .erlangs = NAN, .required_c = -1, .required_a = -1, .understaffed = -1 };
	for (int i = 0; i < n; i++) {
		rx_counters_merge(&iv->c, &m[i].c);
		if (!isnan(m[i].seats_avg)) {
			seat_sum += m[i].seats_avg;
			iv->seat_minutes++;
		}
		if (!isnan(m[i].seats_max) && !(m[i].seats_max <= iv->seats_peak))
			iv->seats_peak = m[i].seats_max;
	}
	if (iv->seat_minutes > 0)
		iv->seats_mean = seat_sum / iv->seat_minutes;
	iv->aht_s = rx_staffing_aht_s(&iv->c, acw_s);
	iv->patience_s = rx_staffing_patience_s(&iv->c);
}

int
rx_staffing_aggregate(const struct rx_staffing_minute *m, int interval_min, double acw_s,
    struct rx_staffing_interval *out)
{
	if (interval_min < 1 || RX_STAFFING_DAY_MINUTES % interval_min != 0)
		return -1;
	for (int i = 0; i < RX_STAFFING_DAY_MINUTES / interval_min; i++)
		staffing_interval_sum(m + i * interval_min, interval_min, acw_s, &out[i]);
	return 0;
}

/*
 * An interval where nothing completed still offered calls (they end in the next one), so
 * it is sized on the day's AHT rather than left out. The flag compares the seats that were
 * there on average with Erlang A's answer when callers' patience is known: Erlang C, which
 * assumes nobody hangs up, over-staffs and would flag intervals that were in fact fine.
 */
void
rx_staffing_size(struct rx_staffing_interval *iv, const struct rx_staffing_sizing *s)
{
	struct rx_erlang_result r;
	struct rx_erlang_load load;
	double aht = isnan(iv->aht_s) ? s->fallback_aht_s : iv->aht_s;
	int need;

	iv->required_c = iv->required_a = iv->understaffed = -1;
	iv->erlangs = NAN;
	if (isnan(aht))
		return;
	iv->erlangs = rx_erlang_offered_load((double)(iv->c.answered + iv->c.abandoned),
	    s->interval_s, aht);
	load = (struct rx_erlang_load){ iv->erlangs, aht, s->patience_s };
	if (rx_erlang_c_size(&load, &s->goal, &r) == 0)
		iv->required_c = r.agents;
	if (!isnan(s->patience_s) && rx_erlang_a_size(&load, &s->goal, &r) == 0)
		iv->required_a = r.agents;
	need = iv->required_a >= 0 ? iv->required_a : iv->required_c;
	if (need >= 0 && !isnan(iv->seats_mean))
		iv->understaffed = iv->seats_mean < need;
}

void
rx_staffing_summarise(const struct rx_staffing_interval *iv, int n, double acw_s,
    struct rx_staffing_day *out)
{
	const struct rx_counters zero = RX_COUNTERS_INIT;
	uint64_t best = 0;
	double seat_sum = 0;

	*out = (struct rx_staffing_day){ .c = zero, .seats_mean = NAN, .seats_peak = NAN,
	    .peak_interval = -1 };
	for (int i = 0; i < n; i++) {
		uint64_t offered = iv[i].c.answered + iv[i].c.abandoned;

		rx_counters_merge(&out->c, &iv[i].c);
		if (iv[i].seat_minutes > 0) {
			seat_sum += iv[i].seats_mean * iv[i].seat_minutes;
			out->seat_minutes += iv[i].seat_minutes;
		}
		if (!isnan(iv[i].seats_peak) && !(iv[i].seats_peak <= out->seats_peak))
			out->seats_peak = iv[i].seats_peak;
		if (offered > best) {
			best = offered;
			out->peak_interval = i;
		}
		out->understaffed += iv[i].understaffed == 1;
	}
	if (out->seat_minutes > 0)
		out->seats_mean = seat_sum / out->seat_minutes;
	out->aht_s = rx_staffing_aht_s(&out->c, acw_s);
	out->patience_s = rx_staffing_patience_s(&out->c);
}

/* ---- the day store ---- */

struct staffing_day_slot {
	int32_t day;                     /* YYYYMMDD */
	struct rx_staffing_minute *m;    /* RX_STAFFING_DAY_MINUTES of them */
};

struct rx_staffing_days {
	struct staffing_day_slot *v;
	size_t n, cap;
	size_t last;                     /* the slot found last: buckets come day by day */
};

struct rx_staffing_days *
rx_staffing_days_new(void)
{
	return calloc(1, sizeof(struct rx_staffing_days));
}

void
rx_staffing_days_free(struct rx_staffing_days *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].m);
	free(d->v);
	free(d);
}

static struct rx_staffing_minute *
staffing_days_add(struct rx_staffing_days *d, int32_t day)
{
	struct rx_staffing_minute *m;

	if (d->n == d->cap) {
		struct staffing_day_slot *p = rx_array_grow(d->v, sizeof *p, &d->cap, 8);

		if (p == NULL)
			return NULL;
		d->v = p;
	}
	if ((m = malloc(RX_STAFFING_DAY_MINUTES * sizeof *m)) == NULL)
		return NULL;
	rx_staffing_minutes_clear(m, RX_STAFFING_DAY_MINUTES);
	d->v[d->n] = (struct staffing_day_slot){ day, m };
	d->last = d->n++;
	return m;
}

struct rx_staffing_minute *
rx_staffing_days_get(struct rx_staffing_days *d, int32_t day, bool create)
{
	if (d->n > 0 && d->v[d->last].day == day)
		return d->v[d->last].m;
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].day == day) {
			d->last = i;
			return d->v[i].m;
		}
	}
	return create ? staffing_days_add(d, day) : NULL;
}

static uint64_t
staffing_day_offered(const struct rx_staffing_minute *m)
{
	uint64_t sum = 0;

	for (int i = 0; i < RX_STAFFING_DAY_MINUTES; i++)
		sum += m[i].c.answered + m[i].c.abandoned;
	return sum;
}

int32_t
rx_staffing_days_busiest(const struct rx_staffing_days *d)
{
	int32_t best_day = 0;
	uint64_t best = 0;

	for (size_t i = 0; i < d->n; i++) {
		uint64_t offered = staffing_day_offered(d->v[i].m);

		if (offered > best || (offered == best && offered > 0 && d->v[i].day < best_day)) {
			best = offered;
			best_day = d->v[i].day;
		}
	}
	return best_day;
}

/* ---- seats logged in ---- */

struct staffing_seat {
	int64_t since_ms;   /* time of the latest accepted event */
	bool known, in;
};

/* +1 when a seat logs in, -1 when it logs out. */
struct staffing_change {
	int64_t ts_ms;
	int delta;
};

struct rx_staffing_seatlog {
	struct staffing_seat *seats;
	uint32_t nseats;
	struct staffing_change *changes;
	size_t nchanges, cap;
	bool sorted;
	uint64_t events;
};

struct rx_staffing_seatlog *
rx_staffing_seatlog_new(void)
{
	struct rx_staffing_seatlog *log = calloc(1, sizeof *log);

	if (log != NULL)
		log->sorted = true;
	return log;
}

void
rx_staffing_seatlog_free(struct rx_staffing_seatlog *log)
{
	if (log == NULL)
		return;
	free(log->seats);
	free(log->changes);
	free(log);
}

static struct staffing_seat *
staffing_seat_at(struct rx_staffing_seatlog *log, uint32_t seat)
{
	if (seat >= log->nseats) {
		uint32_t n = log->nseats ? log->nseats : 64;
		struct staffing_seat *p;

		while (n <= seat)
			n *= 2;
		if ((p = realloc(log->seats, n * sizeof *p)) == NULL)
			return NULL;
		memset(p + log->nseats, 0, (n - log->nseats) * sizeof *p);
		log->seats = p;
		log->nseats = n;
	}
	return &log->seats[seat];
}

static int
staffing_change_add(struct rx_staffing_seatlog *log, int64_t ts_ms, int delta)
{
	if (log->nchanges == log->cap) {
		struct staffing_change *p = rx_array_grow(log->changes, sizeof *p, &log->cap, 256);

		if (p == NULL)
			return -1;
		log->changes = p;
	}
	if (log->nchanges > 0 && ts_ms < log->changes[log->nchanges - 1].ts_ms)
		log->sorted = false;
	log->changes[log->nchanges++] = (struct staffing_change){ ts_ms, delta };
	return 0;
}

int
rx_staffing_seatlog_event(struct rx_staffing_seatlog *log, uint32_t seat, bool logged_in,
    int64_t ts_ms)
{
	struct staffing_seat *st = staffing_seat_at(log, seat);

	if (st == NULL)
		return -1;
	if (st->known && ts_ms < st->since_ms)
		return 0;
	log->events++;
	if (st->known && st->in == logged_in) {
		st->since_ms = ts_ms;
		return 0;
	}
	if ((st->in || logged_in) && staffing_change_add(log, ts_ms, logged_in ? 1 : -1) != 0)
		return -1;
	*st = (struct staffing_seat){ ts_ms, true, logged_in };
	return 0;
}

uint64_t
rx_staffing_seatlog_events(const struct rx_staffing_seatlog *log)
{
	return log->events;
}

/* Logouts before logins at the same instant, so a handover does not count both seats. */
static int
staffing_change_cmp(const void *a, const void *b)
{
	const struct staffing_change *x = a, *y = b;

	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	return (x->delta > y->delta) - (x->delta < y->delta);
}

/*
 * A sweep over the changes in time order. Every change at one instant is applied before the
 * count is looked at, so the peak never sees a state that lasted no time at all; the count
 * in force at a minute's start includes the changes stamped exactly then.
 */
void
rx_staffing_seatlog_minutes(struct rx_staffing_seatlog *log, int64_t start_ms,
    struct rx_staffing_minute *m, int n)
{
	const struct staffing_change *ch;
	size_t i = 0;
	int64_t cur = 0;

	if (!log->sorted) {
		qsort(log->changes, log->nchanges, sizeof *log->changes, staffing_change_cmp);
		log->sorted = true;
	}
	ch = log->changes;
	for (int k = 0; k < n; k++) {
		int64_t t = start_ms + k * STAFFING_MINUTE_MS, end = t + STAFFING_MINUTE_MS;
		double area = 0, peak;

		for (; i < log->nchanges && ch[i].ts_ms <= t; i++)
			cur += ch[i].delta;
		peak = (double)cur;
		while (i < log->nchanges && ch[i].ts_ms < end) {
			int64_t at = ch[i].ts_ms;

			area += (double)cur * (double)(at - t);
			for (; i < log->nchanges && ch[i].ts_ms == at; i++)
				cur += ch[i].delta;
			t = at;
			peak = fmax(peak, (double)cur);
		}
		area += (double)cur * (double)(end - t);
		m[k].seats_avg = area / STAFFING_MINUTE_MS;
		m[k].seats_max = peak;
	}
}
