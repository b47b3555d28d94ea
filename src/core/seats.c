/*
 * seats.c: a table of seat states indexed by the seat's name id.
 */
#include "rexian/seats.h"

#include <stdlib.h>
#include <string.h>

struct rx_seats {
	struct rx_seat *v;
	uint32_t cap;
};

struct rx_seats *rx_seats_new(void)
{
	return calloc(1, sizeof(struct rx_seats));
}

void rx_seats_free(struct rx_seats *s)
{
	if (s == NULL)
		return;
	free(s->v);
	free(s);
}

static struct rx_seat *seat_at(struct rx_seats *s, uint32_t seat)
{
	if (seat >= s->cap) {
		uint32_t cap = s->cap ? s->cap : 64;
		struct rx_seat *p;
		while (cap <= seat)
			cap *= 2;
		p = realloc(s->v, cap * sizeof *p);
		if (p == NULL)
			return NULL;
		memset(p + s->cap, 0, (cap - s->cap) * sizeof *p);
		s->v = p;
		s->cap = cap;
	}
	return &s->v[seat];
}

void rx_seats_event(struct rx_seats *s, uint32_t seat, enum rx_seat_state state, int64_t ts_ms,
    uint32_t platform)
{
	struct rx_seat *st = seat_at(s, seat);

	if (st == NULL || seat == 0 || (st->known && ts_ms < st->since_ms))
		return;
	if (platform != 0)
		st->platform = platform;
	if (!st->known || st->state != state)
		st->since_ms = ts_ms;
	st->state = state;
	st->known = true;
}

void rx_seats_fact(struct rx_seats *s, const struct rx_fact *f)
{
	struct rx_seat *st;

	if (f->seat == 0 || f->retract || (st = seat_at(s, f->seat)) == NULL)
		return;   /* only abandons are retracted, and they have no seat */
	if (!st->known) {
		st->known = true;
		st->state = RX_SEAT_LOGIN;
		st->since_ms = f->ts_ms;
	}
	if (st->platform == 0)
		st->platform = f->platform;
	if (f->kind == RX_FACT_ANSWERED) {
		st->on_calls++;
		st->call_since_ms = f->ts_ms;   /* the answer, or the offer if stamped later */
	} else if ((f->kind == RX_FACT_COMPLETED || f->kind == RX_FACT_STALE) && st->on_calls > 0) {
		st->on_calls--;
	}
}

const struct rx_seat *rx_seats_get(const struct rx_seats *s, uint32_t seat)
{
	return seat < s->cap && s->v[seat].known ? &s->v[seat] : NULL;
}

uint32_t rx_seats_limit(const struct rx_seats *s)
{
	return s->cap;
}

void rx_seats_gauges(const struct rx_seats *s, struct rx_seat_gauges *g)
{
	rx_seats_gauges_for(s, 0, g);
}

void rx_seats_gauges_for(const struct rx_seats *s, uint32_t platform, struct rx_seat_gauges *g)
{
	memset(g, 0, sizeof *g);
	for (uint32_t i = 1; i < s->cap; i++) {
		const struct rx_seat *st = &s->v[i];
		if (!st->known || (platform != 0 && st->platform != platform))
			continue;
		if (st->state != RX_SEAT_LOGOUT || st->on_calls > 0)
			g->logged_in++;
		if (st->on_calls > 0)
			g->on_call++;
		else if (st->state == RX_SEAT_READY)
			g->ready++;
	}
}
