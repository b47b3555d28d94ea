/*
 * Packet decoder: the second stage of the probe (capture -> packet -> sip -> dialog -> output).
 * It takes one captured frame as bytes plus its link type and peels link, VLAN, IP (v4/v6, extension
 * headers, IP-in-IP, fragments) and UDP/TCP headers until it reaches a transport payload, which it
 * hands to a callback. It does no I/O, so files, live capture, HEP and the fuzzer share it.
 */
#ifndef RX_PKT_DECODE_H
#define RX_PKT_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "packet/ipfrag.h"

enum rx_pkt_proto { RX_PKT_UDP = 17, RX_PKT_TCP = 6 };

/* Link types we understand (values are libpcap's DLT_ numbers as returned by pcap_datalink()). */
enum rx_pkt_link {
	RX_PKT_LINK_NULL = 0,
	RX_PKT_LINK_EN10MB = 1,
	RX_PKT_LINK_RAW = 12,
	RX_PKT_LINK_RAW_OBSD = 14,
	RX_PKT_LINK_RAW101 = 101,
	RX_PKT_LINK_LOOP = 108,
	RX_PKT_LINK_LINUX_SLL = 113,
	RX_PKT_LINK_IPV4 = 228,
	RX_PKT_LINK_IPV6 = 229,
	RX_PKT_LINK_LINUX_SLL2 = 276,
};

/* One transport payload. Addresses are 16 bytes; IPv4 is stored in the first 4 with family 4. */
struct rx_pkt {
	int64_t ts_us;                  /* capture time, microseconds since the epoch */
	uint8_t family;                 /* 4 or 6 */
	uint8_t proto;                  /* enum rx_pkt_proto */
	uint8_t tcp_flags;              /* TCP only */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t tcp_seq;               /* TCP only */
	const uint8_t *data;            /* payload; valid only during the callback */
	size_t len;
};

typedef void (*rx_pkt_cb)(const struct rx_pkt *pkt, void *arg);

struct rx_pkt_stats {
	uint64_t frames;                /* frames given to the decoder */
	uint64_t undecodable;           /* truncated or malformed headers */
	uint64_t other;                 /* well-formed but not UDP/TCP over IP (ARP, ICMP, ...) */
	uint64_t fragments;             /* IP fragments seen */
	uint64_t reassembled;           /* datagrams rebuilt from fragments */
};

/* The decoder owns the fragment table; one per source so flows of different sources never mix. */
struct rx_pkt_decoder {
	struct rx_ipfrag_table *frags;
	struct rx_pkt_stats stats;
	rx_pkt_cb cb;
	void *arg;
};

/* Returns 0, or -1 on allocation failure. */
int rx_pkt_decoder_init(struct rx_pkt_decoder *d, rx_pkt_cb cb, void *arg);
void rx_pkt_decoder_free(struct rx_pkt_decoder *d);

/* Decode one frame; calls cb zero or more times (more than once only for odd tunnels). Returns 1 if a
 * payload was delivered, 0 otherwise. Never reads outside [frame, frame+len). */
int rx_pkt_decode(struct rx_pkt_decoder *d, int link, const uint8_t *frame, size_t len, int64_t ts_us);

/* Decode starting at an IP header (version nibble decides 4 or 6). Used by HEP and tunnels. */
int rx_pkt_decode_ip(struct rx_pkt_decoder *d, const uint8_t *p, size_t len, int64_t ts_us);

#endif
