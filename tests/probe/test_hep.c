/*
 * HEP3 parser tests: a packet built chunk by chunk gives back the SIP payload, addresses, ports and
 * time; truncated and lying lengths are rejected with a reason.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "capture/hep.h"

static size_t
chunk(uint8_t *p, uint16_t type, const void *v, size_t n)
{
	p[0] = 0;
	p[1] = 0;
	p[2] = (uint8_t)(type >> 8);
	p[3] = (uint8_t)type;
	p[4] = (uint8_t)((n + 6) >> 8);
	p[5] = (uint8_t)(n + 6);
	memcpy(p + 6, v, n);
	return n + 6;
}

static size_t
build(uint8_t *b, const char *sip)
{
	size_t n = 6;

	memcpy(b, "HEP3", 4);
	n += chunk(b + n, 1, "\x02", 1);
	n += chunk(b + n, 2, "\x11", 1);
	n += chunk(b + n, 3, "\x7f\x00\x00\x01", 4);
	n += chunk(b + n, 4, "\x7f\x00\x00\x02", 4);
	n += chunk(b + n, 7, "\x13\xc4", 2);
	n += chunk(b + n, 8, "\x13\xce", 2);
	n += chunk(b + n, 9, "\x69\x00\x00\x01", 4);
	n += chunk(b + n, 10, "\x00\x00\x03\xe9", 4);
	n += chunk(b + n, 11, "\x01", 1);
	n += chunk(b + n, 12, "\x00\x00\x07\xd0", 4);  /* capture agent id: ignored */
	n += chunk(b + n, 15, sip, strlen(sip));
	b[4] = (uint8_t)(n >> 8);
	b[5] = (uint8_t)n;
	return n;
}

Test(hep, packet_gives_payload_addresses_and_time)
{
	uint8_t b[1024];
	const char *sip = "OPTIONS sip:a@b SIP/2.0\r\n\r\n", *err = NULL;
	size_t n = build(b, sip);
	struct rx_pkt pk;

	cr_assert_eq(rx_hep_parse(b, n, &pk, &err), 0, "%s", err);
	cr_assert_eq(pk.family, 4);
	cr_assert_eq(pk.proto, RX_PKT_UDP);
	cr_assert_eq(pk.sport, 5060);
	cr_assert_eq(pk.dport, 5070);
	cr_assert_eq(memcmp(pk.src, "\x7f\x00\x00\x01", 4), 0);
	cr_assert_eq(pk.ts_us, 0x69000001LL * 1000000 + 1001);
	cr_assert_eq(pk.len, strlen(sip));
	cr_assert_eq(memcmp(pk.data, sip, pk.len), 0);
}

Test(hep, truncation_and_bad_lengths_are_rejected)
{
	uint8_t b[1024];
	size_t n = build(b, "SIP/2.0 200 OK\r\n\r\n");
	struct rx_pkt pk;
	const char *err;

	for (size_t cut = 0; cut < n; cut++) {
		err = NULL;
		cr_assert_eq(rx_hep_parse(b, cut, &pk, &err), -1, "cut %zu", cut);
		cr_assert_not_null(err);
	}
	b[11] = 0xff;                   /* first chunk claims more than the packet */
	cr_assert_eq(rx_hep_parse(b, n, &pk, &err), -1);
	memcpy(b, "HEP2", 4);
	cr_assert_eq(rx_hep_parse(b, n, &pk, &err), -1);
}
