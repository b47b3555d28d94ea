/*
 * Sender: the sink that streams the NDJSON feed to a rexiand listener (--send tcp://HOST:PORT or
 * tls://HOST:PORT). Lines wait in a bounded in-memory backlog until the kernel takes them; while the
 * collector is down the probe reconnects with backoff and keeps the newest lines, dropping (and
 * counting) the oldest whole lines when the bound is reached.
 *
 * At-least-once: the feed has no acknowledgements, so lines already in the kernel (or in the
 * collector's memory) when a connection is lost may be gone. The sender keeps the lines it handed
 * over during the last resend_s seconds (sender_resend.h) and, after a lost connection, sends them
 * again before the backlog; rexiand's dedup memory ignores those it already had. A line the
 * connection broke in the middle of is sent again whole (with resend_s 0 its rest is dropped and
 * counted as cut), so the collector never sees half a line glued to the next.
 *
 * With a token, every connection starts with {"auth":"TOKEN"}. TLS verifies the collector's
 * certificate and name (sender_tls.h); a failed handshake is retried like a refused connection.
 */
#ifndef RX_PROBE_SENDER_H
#define RX_PROBE_SENDER_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

struct rx_sender;

struct rx_sender_opts {
	size_t max_backlog;             /* bytes waiting at most; also the bound of the re-send memory */
	int resend_s;                   /* seconds of handed-over lines sent again after a loss; 0 = off */
	const char *token_file;         /* first line = token; NULL: token below */
	const char *token;              /* NULL: no auth line */
	const char *ca_file;            /* tls://: trusted CAs; NULL = the system store */
};

struct rx_sender_stats {
	uint64_t lines;                 /* lines accepted */
	uint64_t dropped;               /* whole lines dropped for the backlog bound */
	uint64_t cut;                   /* lines cut by a broken connection (resend_s 0 only) */
	uint64_t resent;                /* lines handed over again after a lost connection */
	uint64_t connects;              /* successful connections (TLS: handshakes) */
	size_t backlog;                 /* bytes waiting: not handed over yet, or (re-send on) handed over
	                                 * since the last connection that lasted 2 s, so maybe to go again */
	int connected;
};

/* url is "tcp://HOST:PORT" or "tls://HOST:PORT" (IPv6 as tcp://[::1]:7345). NULL with a one-line
 * reason on error (bad URL, unreadable token or CA file). */
struct rx_sender *rx_sender_new(struct event_base *base, const char *url, const struct rx_sender_opts *o,
    char *err, size_t errlen);
void rx_sender_free(struct rx_sender *s);
/* rx_out_write_fn: queue one line. */
void rx_sender_write(const char *line, size_t n, void *arg);
const struct rx_sender_stats *rx_sender_stats(struct rx_sender *s);

#endif
