/*
 * IP fragment reassembly for the packet decoder. An INVITE with SDP over UDP often exceeds the MTU, so
 * the SIP message only exists once its fragments are joined. The table is bounded in entries and in
 * age: a datagram whose fragments do not all arrive is dropped after the timeout (counted), and when the
 * table is full the oldest entry makes room. Overlapping fragments are accepted (the later bytes win),
 * which is what receivers do in practice and keeps the coverage count simple.
 */
#ifndef RX_PKT_IPFRAG_H
#define RX_PKT_IPFRAG_H

#include <stddef.h>
#include <stdint.h>

struct rx_ipfrag_key {
	uint8_t family;                 /* 4 or 6 */
	uint8_t proto;                  /* IPv4 protocol / IPv6 next header after the fragment header */
	uint8_t src[16], dst[16];
	uint32_t id;
};

struct rx_ipfrag_table;

struct rx_ipfrag_table *rx_ipfrag_new(size_t max_entries, int64_t timeout_us);
void rx_ipfrag_free(struct rx_ipfrag_table *t);

/* Add one fragment (offset and len in bytes, more = "more fragments" flag). Returns 1 when the datagram
 * is complete and sets *out and *outlen to the reassembled payload, which stays valid until the next call on
 * this table; 0 while pending; -1 when the fragment is invalid or dropped. */
int rx_ipfrag_add(struct rx_ipfrag_table *t, const struct rx_ipfrag_key *key, uint32_t offset,
    const uint8_t *data, size_t len, int more, int64_t now_us, const uint8_t **out, size_t *outlen);

/* Datagrams given up on (timeout, eviction, invalid). */
uint64_t rx_ipfrag_dropped(const struct rx_ipfrag_table *t);

#endif
