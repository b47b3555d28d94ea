/*
 * listener.h: feed sockets. Accepts connections on a TCP or Unix socket URL
 * (tcp://127.0.0.1:7345, tcp://[::1]:7345, unix:///run/rexian.sock) and runs each
 * connection's bytes through its own line splitter, sharing one decoder. A slow, silent
 * or broken connection holds only its own partial line; it never blocks the others.
 */
#ifndef REXIAN_LISTENER_H
#define REXIAN_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include "rexian/event.h"

struct event_base;
struct rx_listener;
struct rx_secret;
struct rx_tls;

struct rx_listener_opts {
	uint32_t max_conns;
	struct rx_tls *tls;              /* for tls:// URLs (borrowed); ignored by the others */
	const struct rx_secret *token;   /* borrowed; NULL or unset: no auth line expected */
	const struct rx_pseudonym_key *caller_key;   /* borrowed; NULL: callers not read */
};

struct rx_listener_hooks {
	void (*on_event)(const struct rx_event *ev, void *arg);
	/* conn is a per-listener connection number, line is per connection */
	void (*on_error)(uint64_t conn, uint64_t line, const char *reason, void *arg);
	void *arg;
};

struct rx_listener_stats {
	uint64_t accepted;
	uint64_t refused;        /* over max_conns */
	uint64_t auth_failed;    /* closed for a missing or wrong auth line */
	uint64_t accept_pauses;  /* accept() failed for want of descriptors: paused 1 s */
	uint32_t open;
	uint64_t lines, events, errors;
};

/* NULL and a one-line reason in err on failure (bad URL, address in use, tls:// without
 * a TLS context). */
struct rx_listener *rx_listener_new(struct event_base *base, const char *url,
    const struct rx_listener_opts *opts, const struct rx_listener_hooks *hooks, char *err,
    size_t errlen);
/* Stops accepting; open connections keep being read. */
void rx_listener_stop(struct rx_listener *l);
/* Decodes every connection's last unterminated line and closes them all. */
void rx_listener_drain(struct rx_listener *l);
void rx_listener_free(struct rx_listener *l);
/* Counters so far, open connections' lines included. */
void rx_listener_stats(const struct rx_listener *l, struct rx_listener_stats *out);
const char *rx_listener_url(const struct rx_listener *l);

#endif
