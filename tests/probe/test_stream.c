/*
 * TCP reassembly tests: one byte stream holding three SIP messages is cut into segments and delivered
 * in order, reversed, with retransmissions and overlaps; every way must yield the same three messages.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "packet/tcpstream.h"

static const char stream[] =
    "INVITE sip:12345@h SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\nContent-Length: 5\r\n\r\nv=0\r\n"
    "SIP/2.0 100 Trying\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    "SIP/2.0 200 OK\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\nl: 3\r\n\r\nabc";

static char seen[1024];

static void
on_data(struct rx_sip_reader *r, const uint8_t *data, size_t len, const struct rx_pkt *pk, void *arg)
{
	struct rx_sip_msg m;

	(void)pk;
	(void)arg;
	rx_sip_reader_feed(r, data, len);
	while (rx_sip_reader_next(r, NULL, &m) == 1) {
		size_t n = strlen(seen);

		snprintf(seen + n, sizeof(seen) - n, "%d;", m.is_request ? 0 : m.status);
	}
}

static void
segment(struct rx_tcp_table *t, uint32_t isn, size_t off, size_t len)
{
	struct rx_pkt pk = { .family = 4, .proto = RX_PKT_TCP, .sport = 5060, .dport = 40000 };

	pk.tcp_seq = isn + (uint32_t)off;
	pk.data = (const uint8_t *)stream + off;
	pk.len = len;
	rx_tcp_segment(t, &pk);
}

/* Cut the stream into pieces of `size`, send them in the order given by perm(i, n). */
static void
run(size_t size, size_t (*perm)(size_t, size_t), int dup)
{
	struct rx_tcp_table *t = rx_tcp_new(16, 1000000, on_data, NULL);
	size_t total = sizeof(stream) - 1, n = (total + size - 1) / size;
	uint32_t isn = 0xfffffff0u;     /* sequence numbers wrap inside the stream */

	seen[0] = '\0';
	segment(t, isn, 0, size);       /* the first segment starts the stream */
	for (size_t k = 0; k < n; k++) {
		size_t i = perm(k, n), off = i * size, len = total - off < size ? total - off : size;

		segment(t, isn, off, len);
		if (dup && off >= 3)
			segment(t, isn, off - 3, len);  /* overlapping retransmission */
	}
	cr_assert_str_eq(seen, "0;100;200;", "size %zu: got %s", size, seen);
	rx_tcp_free(t);
}

static size_t fwd(size_t k, size_t n) { (void)n; return k; }
static size_t rev(size_t k, size_t n) { return n - 1 - k; }
static size_t swap_pairs(size_t k, size_t n) { return (k ^ 1) < n ? (k ^ 1) : k; }

Test(tcpstream, in_order_reversed_and_swapped)
{
	for (size_t size = 7; size < sizeof(stream); size += 13) {
		run(size, fwd, 0);
		run(size, rev, 0);
		run(size, swap_pairs, 0);
	}
}

Test(tcpstream, retransmissions_and_overlaps_are_trimmed)
{
	for (size_t size = 9; size < sizeof(stream); size += 17) {
		run(size, fwd, 1);
		run(size, swap_pairs, 1);
	}
}

Test(tcpstream, non_sip_connections_get_no_state)
{
	struct rx_tcp_table *t = rx_tcp_new(16, 1000000, on_data, NULL);
	struct rx_pkt pk = { .family = 4, .proto = RX_PKT_TCP, .data = (const uint8_t *)"GET / HTTP/1.1\r\n", .len = 16 };

	rx_tcp_segment(t, &pk);
	cr_assert_eq(rx_tcp_stats(t)->streams, 0);
	rx_tcp_free(t);
}
