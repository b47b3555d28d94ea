/*
 * seats.h: each seat's state (from seat events) and the calls it is on (from facts), for
 * the live gauges: seats logged in, ready, on a call. A seat that answers a call without
 * ever having sent a seat event counts as logged in: it evidently is.
 */
#ifndef REXIAN_SEATS_H
#define REXIAN_SEATS_H

#include <stdbool.h>
#include <stdint.h>

#include "rexian/event.h"
#include "rexian/metrics.h"

struct rx_seat {
	enum rx_seat_state state;
	bool known;             /* has sent a seat event or answered a call */
	int64_t since_ms;       /* when it entered `state` */
	uint32_t on_calls;      /* answered calls not yet ended */
	int64_t call_since_ms;  /* answer time of its latest current call */
	uint32_t platform;      /* name id of the platform it works for, 0 if never said */
};

struct rx_seat_gauges {
	uint32_t logged_in;
	uint32_t ready;         /* ready and not on a call */
	uint32_t on_call;
};

struct rx_seats;

struct rx_seats *rx_seats_new(void);
void rx_seats_free(struct rx_seats *s);
/* A seat event; older than the seat's current state (a reordered feed) is ignored. The
 * platform (0: not given) tells which platform the seat works for. */
void rx_seats_event(struct rx_seats *s, uint32_t seat, enum rx_seat_state state, int64_t ts_ms,
    uint32_t platform);
void rx_seats_fact(struct rx_seats *s, const struct rx_fact *f);
/* NULL for a seat never seen. */
const struct rx_seat *rx_seats_get(const struct rx_seats *s, uint32_t seat);
uint32_t rx_seats_limit(const struct rx_seats *s);   /* seat ids are below this */
void rx_seats_gauges(const struct rx_seats *s, struct rx_seat_gauges *g);
/* The same for the seats of one platform (platform 0: all seats). A seat's platform is the
 * one its seat events name, else that of the calls it answers. */
void rx_seats_gauges_for(const struct rx_seats *s, uint32_t platform, struct rx_seat_gauges *g);

#endif
