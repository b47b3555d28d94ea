/*
 * libFuzzer harness for the SIP parser and the stream reader. Invariants checked after every input:
 * a parsed message lies inside the input, its views lie inside it too, the body ends where the message
 * does; the reader, fed the same bytes in uneven pieces, never returns a view outside its buffer and
 * never more messages than bytes; lazy parsing followed by rx_sip_msg_derive equals eager parsing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/parser.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void
check_view(struct rx_sip_str s, const char *lo, const char *hi)
{
	if (s.n == 0)
		return;
	CHECK(s.p >= lo && s.p + s.n <= hi);
}

static void
check_msg(const struct rx_sip_msg *m, const char *lo, const char *hi)
{
	const struct rx_sip_str v[] = { m->method, m->ruri, m->ruri_user, m->call_id, m->cseq_method,
		m->from_user, m->from_tag, m->to_user, m->to_tag, m->via_branch, m->contact_user, m->corr };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check_view(v[i], lo, hi);
	CHECK(m->body_off + m->body_len == m->len);
	CHECK(m->len <= (size_t)(hi - lo));
	CHECK(m->is_request || (m->status >= 100 && m->status <= 699));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rx_sip_opts opts = { "X-Queue-Call-ID", 0 };
	const char *buf = (const char *)data, *err;
	struct rx_sip_reader r;
	struct rx_sip_msg m;
	size_t off = 0, msgs = 0;

	for (int stream = 0; stream < 2; stream++) {
		const struct rx_sip_opts lazy = { "X-Queue-Call-ID", 1 };
		struct rx_sip_msg l;
		long n = rx_sip_parse(buf, size, stream, &opts, &m, &err);

		CHECK(n >= -1 && n <= (long)size);
		if (n > 0)
			check_msg(&m, buf, buf + n);
		/* Lazy parsing then deriving must give exactly the eager result. */
		CHECK(rx_sip_parse(buf, size, stream, &lazy, &l, &err) == n);
		if (n > 0) {
			rx_sip_msg_derive(&l);
			CHECK(memcmp(&l, &m, sizeof(m)) == 0);
		}
	}
	(void)rx_sip_looks_like(buf, size);
	rx_sip_reader_init(&r, 4096);
	while (off < size) {
		size_t piece = 1 + (data[off] % 97);

		if (piece > size - off)
			piece = size - off;
		rx_sip_reader_feed(&r, data + off, piece);
		off += piece;
		while (rx_sip_reader_next(&r, &opts, &m) == 1) {
			check_msg(&m, r.buf, r.buf + r.len);
			CHECK(++msgs <= size);
		}
	}
	rx_sip_reader_free(&r);
	return 0;
}
