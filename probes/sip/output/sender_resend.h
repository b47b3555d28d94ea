/*
 * Re-send memory of the TCP sender (--send-resend-s): the whole lines handed to the kernel during the
 * last N seconds, bounded in bytes. The feed has no acknowledgements, so when a connection is lost
 * these lines may still have been in a socket buffer or in the collector's memory; the sender hands
 * them over again on the next connection and the collector's dedup memory drops those it already had.
 * While no connection is up the memory is frozen: what counts is the time before the loss was seen.
 */
#ifndef RX_PROBE_SENDER_RESEND_H
#define RX_PROBE_SENDER_RESEND_H

#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>

struct rx_resend;

/* seconds 0: nothing is kept (rx_resend_keep only drains). NULL when out of memory. */
struct rx_resend *rx_resend_new(int seconds, size_t max_bytes);
void rx_resend_free(struct rx_resend *r);
/* Take the first n bytes of src (lines whole lines, with '\n'), handed to the kernel at now_ms. */
void rx_resend_keep(struct rx_resend *r, struct evbuffer *src, size_t n, uint64_t lines, int64_t now_ms);
/* Forget the lines handed before now_ms - seconds. */
void rx_resend_expire(struct rx_resend *r, int64_t now_ms);
/* Copy every kept line to dst for a new connection; they count as handed at now_ms. Returns the lines. */
uint64_t rx_resend_replay(struct rx_resend *r, struct evbuffer *dst, int64_t now_ms);
int rx_resend_enabled(const struct rx_resend *r);
size_t rx_resend_bytes(const struct rx_resend *r);

#endif
