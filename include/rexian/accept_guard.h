/*
 * accept_guard.h: what a listening socket does when accept() fails for want of descriptors
 * or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM). The socket stays readable, so libevent would
 * call accept() again at once, forever, warning each time: a busy loop and a flood of log.
 * The guard stops accepting for a second instead, says so in the log (rate-limited) and
 * counts the pauses. Connections that arrive meanwhile wait in the kernel's backlog and
 * are taken once descriptors are free again.
 */
#ifndef REXIAN_ACCEPT_GUARD_H
#define REXIAN_ACCEPT_GUARD_H

#include <stdint.h>

struct event_base;
struct evconnlistener;
struct rx_accept_guard;

/* Watches evl, which it does not own; what names it in the log ("feed tcp://...").
 * NULL when out of memory. */
struct rx_accept_guard *rx_accept_guard_new(struct event_base *base, struct evconnlistener *evl,
    const char *what);
/* Before the listener is freed. */
void rx_accept_guard_free(struct rx_accept_guard *g);
/* Times accepting was paused. */
uint64_t rx_accept_guard_pauses(const struct rx_accept_guard *g);

#endif
