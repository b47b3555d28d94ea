/*
 * HEP3 (the HOMER encapsulation that Kamailio/OpenSIPS siptrace, FreeSWITCH, heplify, captagent and
 * `sngrep -H` send): a capture source for sites that already run a capture agent or encrypt SIP with
 * TLS, which no passive probe can read. rx_hep_parse takes one datagram's bytes and yields the SIP
 * payload with its original addresses, ports and capture time, so the rest of the pipeline treats it
 * like a decoded packet. The listener is a UDP socket on the libevent loop.
 */
#ifndef RX_PROBE_HEP_H
#define RX_PROBE_HEP_H

#include <event2/event.h>
#include <stddef.h>

#include "packet/decode.h"

/* Parse one HEP3 packet. On success fills pk (pk->data points into buf) and returns 0; returns -1 with a
 * static reason in *err for malformed packets, 1 for well-formed packets that carry no SIP. */
int rx_hep_parse(const uint8_t *buf, size_t len, struct rx_pkt *pk, const char **err);

typedef void (*rx_hep_cb)(const struct rx_pkt *pk, void *arg);

struct rx_hep;

/* Listen on "udp://ADDR:PORT" (IPv6 as udp://[::1]:9060). NULL with a one-line reason on error. */
struct rx_hep *rx_hep_listen(struct event_base *base, const char *url, rx_hep_cb cb, rx_hep_cb bad_cb,
    void *arg, char *err, size_t errlen);
/* Read what the socket holds now (at shutdown, so nothing already received is lost). */
void rx_hep_drain(struct rx_hep *h);
void rx_hep_free(struct rx_hep *h);

#endif
