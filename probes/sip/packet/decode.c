/*
 * Packet decoder (see decode.h). Each layer is one small function that checks its own header against
 * the bytes left and passes the rest on; a layer that does not fit counts the frame as undecodable and
 * stops. Tunnels (IP-in-IP, 6in4, VLAN stacks) recurse with a depth limit so a crafted frame of nested
 * headers cannot run the stack down.
 */
#include "packet/decode.h"

#include <string.h>

#define RX_PKT_MAX_DEPTH 8
#define RX_PKT_FRAG_SLOTS 256
#define RX_PKT_FRAG_TIMEOUT_US (30LL * 1000000)

struct rx_pkt_ctx {
	struct rx_pkt_decoder *d;
	int64_t ts_us;
	int depth;
};

static int rx_pkt_ip(struct rx_pkt_ctx *c, const uint8_t *p, size_t len);

static uint16_t
rx_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rx_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int
rx_pkt_decoder_init(struct rx_pkt_decoder *d, rx_pkt_cb cb, void *arg)
{
	memset(d, 0, sizeof(*d));
	d->cb = cb;
	d->arg = arg;
	d->frags = rx_ipfrag_new(RX_PKT_FRAG_SLOTS, RX_PKT_FRAG_TIMEOUT_US);
	return d->frags == NULL ? -1 : 0;
}

void
rx_pkt_decoder_free(struct rx_pkt_decoder *d)
{
	rx_ipfrag_free(d->frags);
	d->frags = NULL;
}

static int
rx_pkt_bad(struct rx_pkt_ctx *c)
{
	c->d->stats.undecodable++;
	return 0;
}

static int
rx_pkt_other(struct rx_pkt_ctx *c)
{
	c->d->stats.other++;
	return 0;
}

/* UDP and TCP: fill in ports (and sequence for TCP) and deliver the payload. */
static int
rx_pkt_transport(struct rx_pkt_ctx *c, struct rx_pkt *pk, const uint8_t *p, size_t len)
{
	if (pk->proto == RX_PKT_UDP) {
		size_t ulen;

		if (len < 8)
			return rx_pkt_bad(c);
		ulen = rx_be16(p + 4);
		/* Trust the UDP length only when it is sane; offloaded captures often carry 0. */
		if (ulen >= 8 && ulen <= len)
			len = ulen;
		pk->sport = rx_be16(p);
		pk->dport = rx_be16(p + 2);
		pk->data = p + 8;
		pk->len = len - 8;
	} else {
		size_t off;

		if (len < 20)
			return rx_pkt_bad(c);
		off = (size_t)(p[12] >> 4) * 4;
		if (off < 20 || off > len)
			return rx_pkt_bad(c);
		pk->sport = rx_be16(p);
		pk->dport = rx_be16(p + 2);
		pk->tcp_seq = rx_be32(p + 4);
		pk->tcp_flags = p[13];
		pk->data = p + off;
		pk->len = len - off;
	}
	c->d->cb(pk, c->d->arg);
	return 1;
}

/* The payload of one IP datagram (after reassembly), by protocol number. */
static int
rx_pkt_payload(struct rx_pkt_ctx *c, struct rx_pkt *pk, uint8_t proto, const uint8_t *p, size_t len)
{
	switch (proto) {
	case 4:                         /* IPv4 in IP */
	case 41:                        /* IPv6 in IP */
		return rx_pkt_ip(c, p, len);
	case RX_PKT_UDP:
	case RX_PKT_TCP:
		pk->proto = proto;
		return rx_pkt_transport(c, pk, p, len);
	default:
		return rx_pkt_other(c);
	}
}

static int
rx_pkt_fragment(struct rx_pkt_ctx *c, struct rx_pkt *pk, const struct rx_ipfrag_key *key,
    uint32_t offset, int more, const uint8_t *p, size_t len)
{
	const uint8_t *whole;
	size_t wlen;

	c->d->stats.fragments++;
	if (rx_ipfrag_add(c->d->frags, key, offset, p, len, more, c->ts_us, &whole, &wlen) != 1)
		return 0;
	c->d->stats.reassembled++;
	return rx_pkt_payload(c, pk, key->proto, whole, wlen);
}

static int
rx_pkt_ipv4(struct rx_pkt_ctx *c, const uint8_t *p, size_t len)
{
	struct rx_pkt pk = { .ts_us = c->ts_us, .family = 4 };
	size_t hl, tot;
	uint16_t fo;

	if (len < 20)
		return rx_pkt_bad(c);
	hl = (size_t)(p[0] & 0x0f) * 4;
	tot = rx_be16(p + 2);
	/* A total length of 0 is TSO/GSO on the capturing host: take what was captured. */
	if (tot == 0)
		tot = len;
	if (hl < 20 || tot < hl || tot > len)
		return rx_pkt_bad(c);
	memcpy(pk.src, p + 12, 4);
	memcpy(pk.dst, p + 16, 4);
	fo = rx_be16(p + 6);
	if ((fo & 0x3fff) != 0) {
		struct rx_ipfrag_key key = { .family = 4, .proto = p[9], .id = rx_be16(p + 4) };

		memcpy(key.src, pk.src, 16);
		memcpy(key.dst, pk.dst, 16);
		return rx_pkt_fragment(c, &pk, &key, (uint32_t)(fo & 0x1fff) * 8, (fo & 0x2000) != 0,
		    p + hl, tot - hl);
	}
	return rx_pkt_payload(c, &pk, p[9], p + hl, tot - hl);
}

/* An IPv6 fragment header at p (8 bytes, checked by the caller) and its fragment after it. */
static int
rx_pkt_ipv6_fragment(struct rx_pkt_ctx *c, struct rx_pkt *pk, const uint8_t *p, size_t len)
{
	struct rx_ipfrag_key key = { .family = 6, .proto = p[0] };
	uint16_t fo = rx_be16(p + 2);

	key.id = rx_be32(p + 4);
	memcpy(key.src, pk->src, 16);
	memcpy(key.dst, pk->dst, 16);
	return rx_pkt_fragment(c, pk, &key, (uint32_t)(fo & 0xfff8), fo & 1, p + 8, len - 8);
}

/* Walk IPv6 extension headers; a fragment header hands the rest to reassembly. */
static int
rx_pkt_ipv6(struct rx_pkt_ctx *c, const uint8_t *p, size_t len)
{
	struct rx_pkt pk = { .ts_us = c->ts_us, .family = 6 };
	size_t plen, off = 40;
	uint8_t nh;

	if (len < 40)
		return rx_pkt_bad(c);
	plen = rx_be16(p + 4);
	/* Payload length 0 means a jumbogram or an offloaded capture: take what was captured. */
	if (plen == 0)
		plen = len - 40;
	if (40 + plen > len)
		return rx_pkt_bad(c);
	len = 40 + plen;
	memcpy(pk.src, p + 8, 16);
	memcpy(pk.dst, p + 24, 16);
	nh = p[6];
	for (;;) {
		switch (nh) {
		case 0:                 /* hop-by-hop */
		case 43:                /* routing */
		case 60:                /* destination options */
		case 135:               /* mobility */
			if (off + 8 > len)
				return rx_pkt_bad(c);
			nh = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			break;
		case 51:                /* AH: length in 4-byte units, minus 2 */
			if (off + 8 > len)
				return rx_pkt_bad(c);
			nh = p[off];
			off += ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44:                /* fragment */
			if (off + 8 > len)
				return rx_pkt_bad(c);
			/* An atomic fragment (offset 0, no more) is a whole datagram: read on. */
			if ((rx_be16(p + off + 2) & 0xfff9) == 0) {
				nh = p[off];
				off += 8;
				break;
			}
			return rx_pkt_ipv6_fragment(c, &pk, p + off, len - off);
		default:
			if (off > len)
				return rx_pkt_bad(c);
			return rx_pkt_payload(c, &pk, nh, p + off, len - off);
		}
		if (off > len)
			return rx_pkt_bad(c);
	}
}

static int
rx_pkt_ip(struct rx_pkt_ctx *c, const uint8_t *p, size_t len)
{
	if (++c->depth > RX_PKT_MAX_DEPTH || len < 1)
		return rx_pkt_bad(c);
	switch (p[0] >> 4) {
	case 4:
		return rx_pkt_ipv4(c, p, len);
	case 6:
		return rx_pkt_ipv6(c, p, len);
	default:
		return rx_pkt_bad(c);
	}
}

/* An EtherType followed by its payload: VLAN tags (802.1Q, 802.1ad QinQ, old 0x9100) stack. */
static int
rx_pkt_ethertype(struct rx_pkt_ctx *c, uint16_t type, const uint8_t *p, size_t len)
{
	while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
		if (len < 4)
			return rx_pkt_bad(c);
		type = rx_be16(p + 2);
		p += 4;
		len -= 4;
	}
	if (type == 0x0800 || type == 0x86dd)
		return rx_pkt_ip(c, p, len);
	return rx_pkt_other(c);
}

/* BSD loopback: a 4-byte address family in the capturing host's byte order (NULL) or big endian (LOOP). */
static int
rx_pkt_null(struct rx_pkt_ctx *c, const uint8_t *p, size_t len)
{
	uint32_t af;

	if (len < 4)
		return rx_pkt_bad(c);
	af = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	if (af > 0xffff)
		af = rx_be32(p);
	/* 2 is AF_INET everywhere; 24, 28 and 30 are AF_INET6 on the BSDs and macOS, 10 on Linux. */
	if (af == 2 || af == 10 || af == 24 || af == 28 || af == 30)
		return rx_pkt_ip(c, p + 4, len - 4);
	return rx_pkt_other(c);
}

int
rx_pkt_decode_ip(struct rx_pkt_decoder *d, const uint8_t *p, size_t len, int64_t ts_us)
{
	struct rx_pkt_ctx c = { .d = d, .ts_us = ts_us };

	return rx_pkt_ip(&c, p, len);
}

int
rx_pkt_decode(struct rx_pkt_decoder *d, int link, const uint8_t *p, size_t len, int64_t ts_us)
{
	struct rx_pkt_ctx c = { .d = d, .ts_us = ts_us };

	d->stats.frames++;
	switch (link) {
	case RX_PKT_LINK_EN10MB:
		if (len < 14)
			return rx_pkt_bad(&c);
		return rx_pkt_ethertype(&c, rx_be16(p + 12), p + 14, len - 14);
	case RX_PKT_LINK_LINUX_SLL:
		if (len < 16)
			return rx_pkt_bad(&c);
		return rx_pkt_ethertype(&c, rx_be16(p + 14), p + 16, len - 16);
	case RX_PKT_LINK_LINUX_SLL2:
		if (len < 20)
			return rx_pkt_bad(&c);
		return rx_pkt_ethertype(&c, rx_be16(p), p + 20, len - 20);
	case RX_PKT_LINK_RAW:
	case RX_PKT_LINK_RAW_OBSD:
	case RX_PKT_LINK_RAW101:
	case RX_PKT_LINK_IPV4:
	case RX_PKT_LINK_IPV6:
		return rx_pkt_ip(&c, p, len);
	case RX_PKT_LINK_NULL:
	case RX_PKT_LINK_LOOP:
		return rx_pkt_null(&c, p, len);
	default:
		return rx_pkt_bad(&c);
	}
}
