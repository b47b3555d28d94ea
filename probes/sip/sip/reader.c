/*
 * Push reader for SIP over byte streams (see parser.h). TCP gives no message boundaries: several
 * messages can share a segment and one message can span many, so bytes are buffered here and
 * Content-Length frames each message. The buffer is compacted lazily (only when it would otherwise
 * grow), which keeps the common case of whole messages per segment free of copies beyond the first.
 */
#include "sip/parser.h"

#include <stdlib.h>
#include <string.h>

void
rx_sip_reader_init(struct rx_sip_reader *r, size_t max_msg)
{
	memset(r, 0, sizeof(*r));
	r->max_msg = max_msg;
}

void
rx_sip_reader_free(struct rx_sip_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

void
rx_sip_reader_reset(struct rx_sip_reader *r)
{
	r->len = r->off = 0;
}

int
rx_sip_reader_feed(struct rx_sip_reader *r, const void *data, size_t n)
{
	if (r->off > 0 && r->len + n > r->cap) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (r->len + n > r->max_msg) {
		r->errors++;
		r->errstr = "message larger than the reader's bound";
		rx_sip_reader_reset(r);
		return -1;
	}
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *nb;

		while (cap < r->len + n)
			cap *= 2;
		if ((nb = realloc(r->buf, cap)) == NULL) {
			rx_sip_reader_reset(r);
			return -1;
		}
		r->buf = nb;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	return 0;
}

/* After garbage, drop bytes up to the next line that starts like a SIP start line. */
static void
rx_sip_reader_resync(struct rx_sip_reader *r)
{
	const char *p = r->buf + r->off + 1, *end = r->buf + r->len;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		if (p < end && ((*p >= 'A' && *p <= 'Z') || *p == 'S')) {
			r->off = (size_t)(p - r->buf);
			return;
		}
	}
	rx_sip_reader_reset(r);
}

int
rx_sip_reader_next(struct rx_sip_reader *r, const struct rx_sip_opts *opts, struct rx_sip_msg *m)
{
	for (;;) {
		long n;

		/* Keep-alives (RFC 5626 double CRLF) and stray line ends between messages. */
		while (r->off < r->len && (r->buf[r->off] == '\r' || r->buf[r->off] == '\n'))
			r->off++;
		if (r->off >= r->len) {
			rx_sip_reader_reset(r);
			return 0;
		}
		n = rx_sip_parse(r->buf + r->off, r->len - r->off, 1, opts, m, &r->errstr);
		if (n > 0) {
			r->off += (size_t)n;
			return 1;
		}
		if (n == 0)
			return 0;
		r->errors++;
		rx_sip_reader_resync(r);
	}
}
