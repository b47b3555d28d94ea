/*
 * TCP stream reassembly for SIP over TCP. Each direction of a connection is a half-stream that turns
 * segments back into the byte stream the sender wrote: retransmitted and overlapping bytes are trimmed,
 * out-of-order segments wait (bounded) until the gap fills, and if it never does the stream skips the gap
 * and the SIP reader resynchronises on the next start line. Only connections whose first payload looks
 * like SIP get state, so a capture full of other TCP traffic costs one check per segment. The half-stream
 * carries the SIP reader that frames its messages, because that is the only consumer this probe has.
 */
#ifndef RX_PKT_TCPSTREAM_H
#define RX_PKT_TCPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "packet/decode.h"
#include "sip/parser.h"

struct rx_tcp_table;

/* In-order bytes of one half-stream; pk is the segment that completed them (time, addresses). */
typedef void (*rx_tcp_data_cb)(struct rx_sip_reader *r, const uint8_t *data, size_t len,
    const struct rx_pkt *pk, void *arg);

struct rx_tcp_stats {
	uint64_t segments;              /* TCP segments with payload for tracked streams */
	uint64_t retransmitted;         /* wholly duplicate segments dropped */
	uint64_t out_of_order;          /* segments that had to wait */
	uint64_t gaps;                  /* holes skipped after waiting too long / too much */
	uint64_t streams;               /* half-streams in memory */
	uint64_t evicted;               /* streams dropped for the flow bound */
};

struct rx_tcp_table *rx_tcp_new(size_t max_streams, int64_t idle_us, rx_tcp_data_cb cb, void *arg);
void rx_tcp_free(struct rx_tcp_table *t);

/* One TCP segment from the decoder. */
void rx_tcp_segment(struct rx_tcp_table *t, const struct rx_pkt *pk);
/* Drop streams idle for longer than idle_us. */
void rx_tcp_tick(struct rx_tcp_table *t, int64_t now_us);
const struct rx_tcp_stats *rx_tcp_stats(const struct rx_tcp_table *t);

#endif
