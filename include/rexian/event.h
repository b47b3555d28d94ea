/*
 * event.h: one call event as decoded from a feed line, before call tracking.
 *
 * Strings point into the decoder's buffers and are valid only during the callback that
 * hands the event over; whoever keeps one must copy or intern it. There is deliberately
 * no field for the caller's number: the decoder drops it, so it cannot leak further.
 */
#ifndef REXIAN_EVENT_H
#define REXIAN_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rx_event_kind {
	RX_EV_OFFER,    /* the call enters the human-agent queue (转人工) */
	RX_EV_ANSWER,   /* a seat picks up */
	RX_EV_HANGUP,   /* the call ends, whoever hangs up */
	RX_EV_SEAT,     /* a seat changes state */
};

enum rx_seat_state {
	RX_SEAT_LOGOUT,
	RX_SEAT_LOGIN,
	RX_SEAT_READY,
	RX_SEAT_NOTREADY,
};

struct rx_str {
	const char *p;
	size_t len;     /* 0: absent */
};

struct rx_event {
	int64_t ts_ms;                 /* Unix epoch milliseconds */
	enum rx_event_kind kind;
	enum rx_seat_state seat_state; /* RX_EV_SEAT only */
	bool outbound;                 /* direction "out" */
	struct rx_str call;
	struct rx_str queue;
	struct rx_str platform;
	struct rx_str seat;
	struct rx_str outcome;
	struct rx_str caller;          /* the caller's pseudonym, only with a key; never the number */
};

const char *rx_event_kind_name(enum rx_event_kind kind);
const char *rx_seat_state_name(enum rx_seat_state state);

#endif
