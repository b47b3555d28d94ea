/*
 * HEP3 source (see hep.h). A HEP3 packet is "HEP3", a 16-bit total length, then chunks of
 * (vendor 16, type 16, length 16 including this 6-byte header, value). Only vendor 0's generic chunks
 * matter here; unknown chunks are skipped so newer agents keep working.
 */
#include "capture/hep.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	RX_HEP_FAMILY = 1, RX_HEP_PROTO = 2, RX_HEP_SRC4 = 3, RX_HEP_DST4 = 4, RX_HEP_SRC6 = 5,
	RX_HEP_DST6 = 6, RX_HEP_SPORT = 7, RX_HEP_DPORT = 8, RX_HEP_SEC = 9, RX_HEP_USEC = 10,
	RX_HEP_TYPE = 11, RX_HEP_PAYLOAD = 15,
};

static uint32_t
rx_hep_uint(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n && i < 4; i++)
		v = v << 8 | p[i];
	return v;
}

/* One generic chunk into pk; sec, usec and ptype collect the time and payload type. */
static void
rx_hep_chunk(uint16_t type, const uint8_t *v, size_t n, struct rx_pkt *pk, uint32_t *sec, uint32_t *usec,
    uint32_t *ptype)
{
	switch (type) {
	case RX_HEP_FAMILY: pk->family = rx_hep_uint(v, n) == 10 ? 6 : 4; break;
	case RX_HEP_PROTO: pk->proto = (uint8_t)rx_hep_uint(v, n); break;
	case RX_HEP_SRC4: if (n == 4) memcpy(pk->src, v, 4); break;
	case RX_HEP_DST4: if (n == 4) memcpy(pk->dst, v, 4); break;
	case RX_HEP_SRC6: if (n == 16) memcpy(pk->src, v, 16); break;
	case RX_HEP_DST6: if (n == 16) memcpy(pk->dst, v, 16); break;
	case RX_HEP_SPORT: pk->sport = (uint16_t)rx_hep_uint(v, n); break;
	case RX_HEP_DPORT: pk->dport = (uint16_t)rx_hep_uint(v, n); break;
	case RX_HEP_SEC: *sec = rx_hep_uint(v, n); break;
	case RX_HEP_USEC: *usec = rx_hep_uint(v, n); break;
	case RX_HEP_TYPE: *ptype = rx_hep_uint(v, n); break;
	case RX_HEP_PAYLOAD:
		pk->data = v;
		pk->len = n;
		break;
	default:
		break;
	}
}

int
rx_hep_parse(const uint8_t *buf, size_t len, struct rx_pkt *pk, const char **err)
{
	uint32_t sec = 0, usec = 0, ptype = 1;
	size_t total, off = 6;

	memset(pk, 0, sizeof(*pk));
	if (len < 6 || memcmp(buf, "HEP3", 4) != 0)
		return (*err = "not a HEP3 packet", -1);
	total = (size_t)buf[4] << 8 | buf[5];
	if (total < 6 || total > len)
		return (*err = "HEP3 length exceeds the datagram", -1);
	while (off + 6 <= total) {
		uint16_t vendor = (uint16_t)(buf[off] << 8 | buf[off + 1]);
		uint16_t type = (uint16_t)(buf[off + 2] << 8 | buf[off + 3]);
		size_t clen = (size_t)buf[off + 4] << 8 | buf[off + 5];

		if (clen < 6 || off + clen > total)
			return (*err = "HEP3 chunk length out of bounds", -1);
		if (vendor == 0)
			rx_hep_chunk(type, buf + off + 6, clen - 6, pk, &sec, &usec, &ptype);
		off += clen;
	}
	if (pk->data == NULL || pk->family == 0)
		return (*err = "HEP3 packet without payload or address family", -1);
	if (ptype != 1)
		return 1;               /* RTCP, logs, ...: not SIP */
	if (pk->proto != RX_PKT_TCP)
		pk->proto = RX_PKT_UDP;
	pk->ts_us = (int64_t)sec * 1000000 + usec;
	return 0;
}

struct rx_hep {
	int fd;
	struct event *ev;
	rx_hep_cb cb, bad_cb;
	void *arg;
};

static void
rx_hep_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rx_hep *h = arg;
	static uint8_t buf[65536];

	(void)what;
	/* Drain what is queued, bounded so one busy agent cannot starve the capture handles. */
	for (int i = 0; i < 1024; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct rx_pkt pk;
		const char *err;
		int rc;

		if (n < 0)
			return;
		rc = rx_hep_parse(buf, (size_t)n, &pk, &err);
		if (rc == 0)
			h->cb(&pk, h->arg);
		else if (rc < 0)
			h->bad_cb(NULL, h->arg);
	}
}

/* "udp://HOST:PORT" with HOST an address or [v6 address]. */
static int
rx_hep_bind(const char *url, char *err, size_t errlen)
{
	char host[256];
	const char *hp, *colon;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST }, *ai = NULL;
	int fd, rc;

	if (strncmp(url, "udp://", 6) != 0 || (colon = strrchr(url + 6, ':')) == NULL ||
	    (size_t)(colon - url - 6) >= sizeof(host)) {
		snprintf(err, errlen, "--hep-listen %s: expected udp://ADDR:PORT", url);
		return -1;
	}
	hp = url + 6;
	if (*hp == '[' && colon > hp && colon[-1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(colon - hp - 2), hp + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)(colon - hp), hp);
	if ((rc = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		snprintf(err, errlen, "--hep-listen %s: %s", url, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		snprintf(err, errlen, "--hep-listen %s: %s", url, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

struct rx_hep *
rx_hep_listen(struct event_base *base, const char *url, rx_hep_cb cb, rx_hep_cb bad_cb, void *arg, char *err,
    size_t errlen)
{
	struct rx_hep *h = calloc(1, sizeof(*h));
	int rcvbuf = 8 * 1024 * 1024;

	if (h == NULL) {
		snprintf(err, errlen, "--hep-listen: out of memory");
		return NULL;
	}
	h->cb = cb;
	h->bad_cb = bad_cb;
	h->arg = arg;
	if ((h->fd = rx_hep_bind(url, err, errlen)) < 0) {
		free(h);
		return NULL;
	}
	/* Agents send in bursts; a larger receive buffer rides them out (best effort). */
	setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	h->ev = event_new(base, h->fd, EV_READ | EV_PERSIST, rx_hep_read_cb, h);
	if (h->ev == NULL || event_add(h->ev, NULL) < 0) {
		snprintf(err, errlen, "--hep-listen %s: cannot watch the socket", url);
		rx_hep_free(h);
		return NULL;
	}
	return h;
}

void
rx_hep_drain(struct rx_hep *h)
{
	if (h != NULL)
		rx_hep_read_cb(h->fd, EV_READ, h);
}

void
rx_hep_free(struct rx_hep *h)
{
	if (h == NULL)
		return;
	if (h->ev != NULL)
		event_free(h->ev);
	close(h->fd);
	free(h);
}
