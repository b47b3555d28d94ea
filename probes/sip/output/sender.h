/*
 * TCP sender: the sink that streams the NDJSON feed to a rexiand listener (--send tcp://HOST:PORT).
 * Lines wait in a bounded in-memory backlog until the kernel takes them; while the collector is down
 * the probe reconnects with backoff and keeps the newest lines, dropping (and counting) the oldest
 * whole lines when the bound is reached. A connection that breaks mid-line loses the rest of that
 * one line (counted), so the collector never sees half a line glued to the next. The feed has no
 * acknowledgements: lines already in the kernel when the collector dies are gone.
 */
#ifndef RX_PROBE_SENDER_H
#define RX_PROBE_SENDER_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

struct rx_sender;

struct rx_sender_stats {
	uint64_t lines;                 /* lines accepted */
	uint64_t dropped;               /* whole lines dropped for the backlog bound */
	uint64_t cut;                   /* lines cut by a broken connection */
	uint64_t connects;              /* successful connections */
	size_t backlog;                 /* bytes waiting */
	int connected;
};

/* url is "tcp://HOST:PORT" (IPv6 as tcp://[::1]:7345). NULL with a one-line reason on error. */
struct rx_sender *rx_sender_new(struct event_base *base, const char *url, size_t max_backlog, char *err,
    size_t errlen);
void rx_sender_free(struct rx_sender *s);
/* rx_out_write_fn: queue one line. */
void rx_sender_write(const char *line, size_t n, void *arg);
const struct rx_sender_stats *rx_sender_stats(struct rx_sender *s);

#endif
