/*
 * Packet decoder tests: frames are built here byte by byte for every link type, tag stack, tunnel and
 * fragment layout the probe claims to read, and the payload that comes out must be the SIP text that
 * went in, with the right addresses and ports.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "packet/decode.h"

#define SIP "INVITE sip:12345@hotline SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n"

struct got {
	int n;
	struct rx_pkt last;
	char data[4096];
};

static void
collect(const struct rx_pkt *pk, void *arg)
{
	struct got *g = arg;

	g->n++;
	g->last = *pk;
	memcpy(g->data, pk->data, pk->len < sizeof(g->data) ? pk->len : sizeof(g->data));
	g->last.data = NULL;
}

static size_t
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* UDP header + payload at p. */
static size_t
mk_udp(uint8_t *p, const char *payload, size_t n)
{
	put16(p, 5060);
	put16(p + 2, 5070);
	put16(p + 4, (unsigned)(8 + n));
	put16(p + 6, 0);
	memcpy(p + 8, payload, n);
	return 8 + n;
}

/* IPv4 header (no options) around len bytes already at p + 20. */
static size_t
mk_ipv4(uint8_t *p, uint8_t proto, size_t len, unsigned id, unsigned frag)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (unsigned)(20 + len));
	put16(p + 4, id);
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, "\x0a\x00\x00\x01", 4);
	memcpy(p + 16, "\x0a\x00\x00\x02", 4);
	return 20 + len;
}

static size_t
mk_ipv6(uint8_t *p, uint8_t nh, size_t len)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (unsigned)len);
	p[6] = nh;
	p[7] = 64;
	p[8] = 0x20;
	p[9] = 0x01;
	p[23] = 1;
	p[24] = 0x20;
	p[25] = 0x01;
	p[39] = 2;
	return 40 + len;
}

static size_t
mk_eth(uint8_t *p, unsigned type)
{
	memset(p, 0, 12);
	return put16(p + 12, type) + 12;
}

static struct got
decode(int link, const uint8_t *frame, size_t len)
{
	static struct got g;
	struct rx_pkt_decoder d;

	memset(&g, 0, sizeof(g));
	cr_assert_eq(rx_pkt_decoder_init(&d, collect, &g), 0);
	rx_pkt_decode(&d, link, frame, len, 1000);
	rx_pkt_decoder_free(&d);
	return g;
}

static void
expect_sip(struct got g)
{
	cr_assert_eq(g.n, 1, "payload delivered %d times", g.n);
	cr_assert_eq(g.last.proto, RX_PKT_UDP);
	cr_assert_eq(g.last.sport, 5060);
	cr_assert_eq(g.last.dport, 5070);
	cr_assert_eq(g.last.len, strlen(SIP));
	cr_assert_eq(memcmp(g.data, SIP, strlen(SIP)), 0);
}

Test(decode, ethernet_ipv4_udp)
{
	uint8_t f[2048];
	size_t n = mk_eth(f, 0x0800);

	n += mk_ipv4(f + n, 17, mk_udp(f + n + 20, SIP, strlen(SIP)), 1, 0);
	struct got g = decode(RX_PKT_LINK_EN10MB, f, n);
	expect_sip(g);
	cr_assert_eq(g.last.family, 4);
	cr_assert_eq(memcmp(g.last.src, "\x0a\x00\x00\x01", 4), 0);
}

Test(decode, qinq_vlan_tags_are_peeled)
{
	uint8_t f[2048];
	size_t n = mk_eth(f, 0x88a8);

	n += put16(f + n, 100);         /* outer TCI */
	n += put16(f + n, 0x8100);
	n += put16(f + n, 200);         /* inner TCI */
	n += put16(f + n, 0x0800);
	n += mk_ipv4(f + n, 17, mk_udp(f + n + 20, SIP, strlen(SIP)), 1, 0);
	expect_sip(decode(RX_PKT_LINK_EN10MB, f, n));
}

Test(decode, linux_cooked_v1_and_v2)
{
	uint8_t f[2048];
	size_t n;

	memset(f, 0, 16);
	put16(f + 14, 0x0800);
	n = 16 + mk_ipv4(f + 16, 17, mk_udp(f + 36, SIP, strlen(SIP)), 1, 0);
	expect_sip(decode(RX_PKT_LINK_LINUX_SLL, f, n));
	memset(f, 0, 20);
	put16(f, 0x86dd);
	n = 20 + mk_ipv6(f + 20, 17, mk_udp(f + 60, SIP, strlen(SIP)));
	expect_sip(decode(RX_PKT_LINK_LINUX_SLL2, f, n));
}

Test(decode, raw_ip_and_bsd_loopback)
{
	uint8_t f[2048];
	size_t n = mk_ipv4(f, 17, mk_udp(f + 20, SIP, strlen(SIP)), 1, 0);

	expect_sip(decode(RX_PKT_LINK_RAW, f, n));
	expect_sip(decode(RX_PKT_LINK_RAW101, f, n));
	memcpy(f, "\x02\x00\x00\x00", 4);       /* AF_INET, little endian (DLT_NULL) */
	n = 4 + mk_ipv4(f + 4, 17, mk_udp(f + 24, SIP, strlen(SIP)), 1, 0);
	expect_sip(decode(RX_PKT_LINK_NULL, f, n));
	memcpy(f, "\x00\x00\x00\x1e", 4);       /* AF_INET6 on macOS, big endian (DLT_LOOP) */
	n = 4 + mk_ipv6(f + 4, 17, mk_udp(f + 44, SIP, strlen(SIP)));
	expect_sip(decode(RX_PKT_LINK_LOOP, f, n));
}

Test(decode, ipv6_extension_headers_are_skipped)
{
	uint8_t f[2048];
	size_t n;

	/* hop-by-hop (8 bytes) -> destination options (16 bytes) -> UDP */
	memset(f + 40, 0, 24);
	f[40] = 60;
	f[41] = 0;
	f[48] = 17;
	f[49] = 1;
	n = mk_ipv6(f, 0, 24 + mk_udp(f + 64, SIP, strlen(SIP)));
	struct got g = decode(RX_PKT_LINK_RAW, f, n);
	expect_sip(g);
	cr_assert_eq(g.last.family, 6);
	cr_assert_eq(g.last.src[15], 1);
}

Test(decode, ip_in_ip_and_6in4)
{
	uint8_t f[2048];
	size_t inner = mk_ipv4(f + 20, 17, mk_udp(f + 40, SIP, strlen(SIP)), 7, 0);
	size_t n = mk_ipv4(f, 4, inner, 8, 0);

	expect_sip(decode(RX_PKT_LINK_RAW, f, n));
	inner = mk_ipv6(f + 20, 17, mk_udp(f + 60, SIP, strlen(SIP)));
	n = mk_ipv4(f, 41, inner, 9, 0);
	expect_sip(decode(RX_PKT_LINK_RAW, f, n));
}

/* Split one UDP datagram into IPv4 fragments of 16 payload bytes and feed them in `order`. */
static struct got
ipv4_fragments(const int *order, int nfrag_in_order)
{
	static struct got g;
	uint8_t udp[2048], f[256];
	size_t ulen = mk_udp(udp, SIP, strlen(SIP)), nfrag = (ulen + 15) / 16;
	struct rx_pkt_decoder d;

	memset(&g, 0, sizeof(g));
	cr_assert_eq(rx_pkt_decoder_init(&d, collect, &g), 0);
	for (int k = 0; k < nfrag_in_order; k++) {
		size_t i = (size_t)order[k] % nfrag, off = i * 16, len = ulen - off < 16 ? ulen - off : 16;
		unsigned more = i + 1 < nfrag ? 0x2000 : 0;

		memcpy(f + 20, udp + off, len);
		rx_pkt_decode(&d, RX_PKT_LINK_RAW, f, mk_ipv4(f, 17, len, 42, more | (unsigned)(off / 8)), 1000 + k);
	}
	rx_pkt_decoder_free(&d);
	return g;
}

Test(decode, ipv4_fragments_in_order_out_of_order_and_duplicated)
{
	int fwd[64], rev[64], dup[128];
	int nfrag = (int)((8 + strlen(SIP) + 15) / 16);

	for (int i = 0; i < nfrag; i++) {
		fwd[i] = i;
		rev[i] = nfrag - 1 - i;
		dup[2 * i] = dup[2 * i + 1] = nfrag - 1 - i;
	}
	expect_sip(ipv4_fragments(fwd, nfrag));
	expect_sip(ipv4_fragments(rev, nfrag));
	expect_sip(ipv4_fragments(dup, 2 * nfrag));
	cr_assert_eq(ipv4_fragments(fwd, nfrag - 1).n, 0, "a missing fragment must not deliver");
}

Test(decode, ipv6_fragments_reassemble)
{
	uint8_t udp[2048], f[256];
	size_t ulen = mk_udp(udp, SIP, strlen(SIP)), half = (ulen / 2) & ~(size_t)7;
	struct rx_pkt_decoder d;
	struct got g;

	memset(&g, 0, sizeof(g));
	cr_assert_eq(rx_pkt_decoder_init(&d, collect, &g), 0);
	/* second half first */
	for (int k = 1; k >= 0; k--) {
		size_t off = k ? half : 0, len = k ? ulen - half : half;
		uint8_t *fh = f + 40;

		memset(fh, 0, 8);
		fh[0] = 17;
		put16(fh + 2, (unsigned)off | (k ? 0 : 1));
		memcpy(fh + 4, "\x00\x00\x12\x34", 4);
		memcpy(f + 48, udp + off, len);
		rx_pkt_decode(&d, RX_PKT_LINK_RAW, f, mk_ipv6(f, 44, 8 + len), 1000);
	}
	rx_pkt_decoder_free(&d);
	expect_sip(g);
	cr_assert_eq(g.last.family, 6);
}

Test(decode, truncated_frames_are_counted_not_crashed)
{
	uint8_t f[2048];
	size_t n = mk_eth(f, 0x0800);
	struct rx_pkt_decoder d;
	struct got g;

	n += mk_ipv4(f + n, 17, mk_udp(f + n + 20, SIP, strlen(SIP)), 1, 0);
	memset(&g, 0, sizeof(g));
	cr_assert_eq(rx_pkt_decoder_init(&d, collect, &g), 0);
	for (size_t cut = 0; cut < 14 + 28; cut++)
		rx_pkt_decode(&d, RX_PKT_LINK_EN10MB, f, cut, 1);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(d.stats.undecodable, 14 + 28);
	rx_pkt_decoder_free(&d);
}
