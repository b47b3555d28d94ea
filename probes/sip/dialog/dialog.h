/*
 * Dialog tracking: the fourth stage (capture -> packet -> sip -> dialog -> output). It turns parsed SIP
 * messages into call events: an initial INVITE to a hotline number is an offer, the first 2xx to it an
 * answer, BYE a hangup, CANCEL or a final failure before the answer an unanswered hangup with an
 * outcome. Each call is an explicit state machine (rx_dialog_next) with timeout states, so a call with
 * no BYE leaves memory after max_age and a challenged INVITE (401/407) that is never retried ends.
 * Memory is bounded by calls in flight (max_calls) plus a short linger for finished calls, which absorbs
 * retransmissions. Time is whatever the caller passes in (packet time), so files replay exactly.
 */
#ifndef RX_DIALOG_H
#define RX_DIALOG_H

#include <stddef.h>
#include <stdint.h>

#include "dialog/config.h"
#include "sip/parser.h"

enum rx_dialog_state {
	RX_DLG_NONE,                    /* not tracked yet */
	RX_DLG_RINGING,                 /* offered, waiting for a final response */
	RX_DLG_CHALLENGED,              /* 401/407: waiting for the authenticated retry */
	RX_DLG_ANSWERED,                /* 2xx seen, waiting for BYE */
	RX_DLG_ENDED,                   /* hangup emitted; lingers to absorb retransmissions */
	RX_DLG_GONE,                    /* removed from memory */
};

enum rx_dialog_input {
	RX_IN_INVITE,                   /* initial INVITE (no To tag), new transaction */
	RX_IN_2XX,                      /* 2xx to the INVITE */
	RX_IN_CHALLENGE,                /* 401/407 to the INVITE */
	RX_IN_FAIL,                     /* other final response >= 300 to the INVITE */
	RX_IN_CANCEL,
	RX_IN_BYE,
	RX_IN_TIMEOUT,                  /* the state's timer ran out */
};

enum rx_dialog_action { RX_ACT_NONE, RX_ACT_OFFER, RX_ACT_ANSWER, RX_ACT_HANGUP, RX_ACT_STALE };

struct rx_dialog_step {
	enum rx_dialog_state next;
	enum rx_dialog_action act;
};

/* The whole call life in one function: (state, input) -> (next state, what to emit). */
struct rx_dialog_step rx_dialog_next(enum rx_dialog_state s, enum rx_dialog_input in);

enum rx_dialog_event_type { RX_EV_OFFER, RX_EV_ANSWER, RX_EV_HANGUP };

/* What the output stage receives; strings are valid only during the callback. */
struct rx_dialog_event {
	enum rx_dialog_event_type type;
	int64_t ts_us;
	const char *call;               /* caller leg's Call-ID */
	const char *queue;              /* offer */
	const char *seat;               /* answer */
	const char *outcome;            /* hangup: NULL when answered, else cancel/busy/rejected:<code>/... */
	struct rx_sip_str caller;       /* offer: From user in clear; the output hashes or drops it */
	const char *platform;           /* NULL when not configured */
};

typedef void (*rx_dialog_emit_cb)(const struct rx_dialog_event *ev, void *arg);

struct rx_dialog_stats {
	uint64_t offers, answers, hangups;
	uint64_t not_hotline;           /* initial INVITEs matching no queue */
	uint64_t orphans;               /* messages for calls we never saw offered */
	uint64_t stale;                 /* calls dropped after max_age without an end */
	uint64_t overflow;              /* offers refused because max_calls was reached */
	uint64_t in_flight;             /* entries in memory */
};

struct rx_dialog_table;

/* cfg must outlive the table. all_calls: every initial INVITE is a call, queue = called user. */
struct rx_dialog_table *rx_dialog_table_new(const struct rx_probe_config *cfg, int all_calls,
    int64_t max_age_us, size_t max_calls, rx_dialog_emit_cb cb, void *arg);
void rx_dialog_table_free(struct rx_dialog_table *t);

/* The sender of a message, formatted only when a seat is looked up by address. */
struct rx_dialog_src {
	uint8_t family;                 /* 4 or 6; 0 unknown */
	const uint8_t *addr;            /* 4 or 16 bytes */
};

/* Feed one message seen at ts_us. The table derives the message's address fields when it needs them. */
void rx_dialog_table_msg(struct rx_dialog_table *t, struct rx_sip_msg *m, const struct rx_dialog_src *src,
    int64_t ts_us);
/* Run timers up to now_us; cheap when nothing is due. */
void rx_dialog_table_tick(struct rx_dialog_table *t, int64_t now_us);
/* End of input (end of a capture file): challenges that were never retried end now. */
void rx_dialog_table_finish(struct rx_dialog_table *t);
const struct rx_dialog_stats *rx_dialog_table_stats(const struct rx_dialog_table *t);

#endif
