/*
 * SIP parser and stream reader tests: bytes in, views out, and the error text for what is not SIP.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "sip/parser.h"

static struct rx_sip_msg m;

static long
parse(const char *s, int stream)
{
	const char *err = NULL;
	struct rx_sip_opts o = { "X-Queue-Call-ID", 0 };

	return rx_sip_parse(s, strlen(s), stream, &o, &m, &err);
}

static void
eq(struct rx_sip_str s, const char *want)
{
	cr_assert_eq(s.n, strlen(want), "'%.*s' != '%s'", (int)s.n, s.p ? s.p : "", want);
	cr_assert_eq(memcmp(s.p, want, s.n), 0, "'%.*s' != '%s'", (int)s.n, s.p, want);
}

Test(sip_parser, request_with_full_headers)
{
	const char *s = "INVITE sip:12345@hotline.example;user=phone SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1;rport, SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-9\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.8;branch=z9hG4bK-8\r\n"
	    "From: \"Citizen\" <sip:13800138000@carrier>;tag=abc\r\n"
	    "To: <sip:12345@hotline.example>\r\n"
	    "Call-ID: call-1@host\r\n"
	    "CSeq: 7 INVITE\r\n"
	    "Contact: <sip:13800138000@10.0.0.1:5060;transport=udp>\r\n"
	    "X-Queue-Call-ID: parent-1\r\n"
	    "Content-Length: 4\r\n\r\nv=0\n";

	cr_assert_eq(parse(s, 0), (long)strlen(s));
	cr_assert(m.is_request);
	eq(m.method, "INVITE");
	eq(m.ruri_user, "12345");
	eq(m.via_branch, "z9hG4bK-1");
	eq(m.from_user, "13800138000");
	eq(m.from_tag, "abc");
	cr_assert_eq(m.to_tag.n, 0);
	eq(m.to_user, "12345");
	eq(m.call_id, "call-1@host");
	cr_assert_eq(m.cseq, 7);
	eq(m.cseq_method, "INVITE");
	eq(m.contact_user, "13800138000");
	eq(m.corr, "parent-1");
	cr_assert_eq(m.content_length, 4);
	cr_assert_eq(m.body_len, 4);
}

Test(sip_parser, compact_forms_case_and_folding)
{
	const char *s = "SIP/2.0 200 OK\n"
	    "v: SIP/2.0/TCP h;BRANCH=z9hG4bKx\n"
	    "f: sip:a@h;tag=1\n"
	    "t: <sip:8001@h>\n"
	    " ;tag=seat-tag\n"
	    "i: folded-id\n"
	    "cseq: 1 INVITE\n"
	    "m: <tel:+8653112345;phone-context=x>\n"
	    "l: 0\n\n";

	cr_assert_eq(parse(s, 1), (long)strlen(s));
	cr_assert(!m.is_request);
	cr_assert_eq(m.status, 200);
	eq(m.via_branch, "z9hG4bKx");
	eq(m.from_user, "a");
	eq(m.from_tag, "1");
	eq(m.to_user, "8001");
	eq(m.to_tag, "seat-tag");
	eq(m.call_id, "folded-id");
	eq(m.contact_user, "+8653112345");
}

Test(sip_parser, addr_spec_parameters_belong_to_the_header)
{
	cr_assert_gt(parse("BYE sip:x@h SIP/2.0\r\nCall-ID: c\r\nCSeq: 2 BYE\r\n"
	    "To: sip:bob@h;tag=t9\r\nFrom: sip:alice:secret@h;tag=f1\r\n\r\n", 0), 0);
	eq(m.to_user, "bob");
	eq(m.to_tag, "t9");
	eq(m.from_user, "alice");
}

Test(sip_parser, stream_needs_the_whole_body)
{
	const char *s = "SIP/2.0 180 Ringing\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 10\r\n\r\n12345";

	cr_assert_eq(parse(s, 1), 0, "incomplete body in a stream means: wait");
	cr_assert_eq(parse(s, 0), (long)strlen(s), "a datagram keeps what it has");
	cr_assert_eq(parse("SIP/2.0 180 Ringing\r\nCall-ID: c\r\n", 1), 0);
}

Test(sip_parser, errors_are_named)
{
	const char *bad[] = {
		"HELLO\r\n\r\n",
		"SIP/2.0 99 Low\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n",
		"INVITE sip:x SIP/3.0\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nCall-ID: c\r\nCSeq: x INVITE\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: -1\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\n folded first\r\nCall-ID: c\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nno colon here\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *err = NULL;

		cr_assert_eq(rx_sip_parse(bad[i], strlen(bad[i]), 0, NULL, &m, &err), -1, "case %zu", i);
		cr_assert_not_null(err, "case %zu has no error text", i);
	}
}

Test(sip_parser, looks_like_tells_sip_from_rtp)
{
	cr_assert(rx_sip_looks_like("SIP/2.0 200 OK\r\n", 16));
	cr_assert(rx_sip_looks_like("OPTIONS sip:a@b SIP/2.0\r\n", 25));
	cr_assert(!rx_sip_looks_like("\x80\x00\x12\x34 rtp payload bytes", 24));
	cr_assert(!rx_sip_looks_like("\r\n\r\n", 4));
}

static const char two[] = "SIP/2.0 100 Trying\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    "\r\n\r\n"                      /* keep-alive */
    "INVITE sip:1@h SIP/2.0\r\nCall-ID: b\r\nCSeq: 2 INVITE\r\nContent-Length: 3\r\n\r\nabc";

Test(sip_reader, messages_split_at_every_byte)
{
	for (size_t cut = 1; cut < sizeof(two) - 1; cut++) {
		struct rx_sip_reader r;
		struct rx_sip_msg msg;
		int got = 0;

		rx_sip_reader_init(&r, 65536);
		rx_sip_reader_feed(&r, two, cut);
		while (rx_sip_reader_next(&r, NULL, &msg) == 1)
			got++;
		rx_sip_reader_feed(&r, two + cut, sizeof(two) - 1 - cut);
		while (rx_sip_reader_next(&r, NULL, &msg) == 1) {
			got++;
			if (got == 2)
				cr_assert_eq(msg.body_len, 3);
		}
		cr_assert_eq(got, 2, "cut at %zu gave %d messages", cut, got);
		cr_assert_eq(r.errors, 0);
		rx_sip_reader_free(&r);
	}
}

Test(sip_reader, garbage_is_skipped_and_counted)
{
	struct rx_sip_reader r;
	struct rx_sip_msg msg;
	const char *s = "garbage line\r\nmore\r\nSIP/2.0 200 OK\r\nCall-ID: z\r\nCSeq: 1 BYE\r\n\r\n";

	rx_sip_reader_init(&r, 65536);
	rx_sip_reader_feed(&r, s, strlen(s));
	cr_assert_eq(rx_sip_reader_next(&r, NULL, &msg), 1);
	eq(msg.call_id, "z");
	cr_assert_geq(r.errors, 1);
	rx_sip_reader_free(&r);
}

Test(sip_reader, bound_is_enforced)
{
	struct rx_sip_reader r;
	char big[2048];

	memset(big, 'A', sizeof(big));
	rx_sip_reader_init(&r, 1024);
	cr_assert_eq(rx_sip_reader_feed(&r, big, sizeof(big)), -1);
	cr_assert_eq(r.errors, 1);
	rx_sip_reader_free(&r);
}
