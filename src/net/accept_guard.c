/*
 * accept_guard.c: pausing a listener whose accept() fails (see accept_guard.h).
 */
#include "rexian/accept_guard.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "rexian/log.h"

#define PAUSE_MS 1000

struct rx_accept_guard {
	struct rx_accept_guard *next;
	struct evconnlistener *evl;
	struct event *resume;
	char what[160];
	uint64_t pauses;
	struct rx_ratelimit rl;
};

/* libevent hands an error callback the listener's own user data (the owner's, or evhttp's),
 * so the guards find themselves by listener; a daemon has a handful. */
static struct rx_accept_guard *guards;

static void resume_cb(evutil_socket_t fd, short events, void *arg)
{
	struct rx_accept_guard *g = arg;

	(void)fd;
	(void)events;
	evconnlistener_enable(g->evl);
}

static void error_cb(struct evconnlistener *evl, void *arg)
{
	struct rx_accept_guard *g = guards;
	int err = EVUTIL_SOCKET_ERROR();
	bool exhausted = err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
	struct timeval pause = { PAUSE_MS / 1000, (PAUSE_MS % 1000) * 1000 };
	uint64_t suppressed;

	(void)arg;
	while (g != NULL && g->evl != evl)
		g = g->next;
	if (g == NULL)
		return;
	if (rx_ratelimit_allow(&g->rl, rx_monotonic_ms(), &suppressed))
		rx_log(RX_LOG_WARN, "%s: cannot accept a connection: %s%s (%llu more suppressed)",
		    g->what, strerror(err), exhausted ? "; pausing accepts for 1 s" : "",
		    (unsigned long long)suppressed);
	if (!exhausted)
		return;
	g->pauses++;
	evconnlistener_disable(evl);
	evtimer_add(g->resume, &pause);
}

struct rx_accept_guard *rx_accept_guard_new(struct event_base *base, struct evconnlistener *evl,
    const char *what)
{
	struct rx_accept_guard *g = calloc(1, sizeof *g);
	struct rx_ratelimit rl = RX_RATELIMIT_INIT(10000, 3);

	if (g == NULL)
		return NULL;
	if ((g->resume = evtimer_new(base, resume_cb, g)) == NULL) {
		free(g);
		return NULL;
	}
	g->evl = evl;
	g->rl = rl;
	snprintf(g->what, sizeof g->what, "%s", what);
	g->next = guards;
	guards = g;
	evconnlistener_set_error_cb(evl, error_cb);
	return g;
}

void rx_accept_guard_free(struct rx_accept_guard *g)
{
	if (g == NULL)
		return;
	evconnlistener_set_error_cb(g->evl, NULL);
	for (struct rx_accept_guard **p = &guards; *p != NULL; p = &(*p)->next) {
		if (*p == g) {
			*p = g->next;
			break;
		}
	}
	event_free(g->resume);
	free(g);
}

uint64_t rx_accept_guard_pauses(const struct rx_accept_guard *g)
{
	return g != NULL ? g->pauses : 0;
}
