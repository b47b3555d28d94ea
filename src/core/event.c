/*
 * event.c: the names of event kinds and seat states, as the feed spells them.
 */
#include "rexian/event.h"

const char *rx_event_kind_name(enum rx_event_kind kind)
{
	static const char *const names[] = { "offer", "answer", "hangup", "seat" };

	return (unsigned)kind < 4 ? names[kind] : "?";
}

const char *rx_seat_state_name(enum rx_seat_state state)
{
	static const char *const names[] = { "logout", "login", "ready", "notready" };

	return (unsigned)state < 4 ? names[state] : "?";
}
