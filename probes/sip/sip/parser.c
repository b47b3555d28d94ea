/*
 * SIP message parser (see parser.h). One pass over the header block: each line is either a
 * continuation of the previous header (folding) or "name: value"; only the headers call tracking needs
 * are kept, as views into the caller's bytes. Values are trimmed, and the small sub-parsers for URIs and
 * parameters treat CR/LF as whitespace, so folded values read like unfolded ones without copying.
 */
#include "sip/parser.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RX_SIP_MAX_BODY (16L * 1024 * 1024)

enum rx_sip_hdr {
	RX_H_OTHER, RX_H_CALLID, RX_H_CSEQ, RX_H_FROM, RX_H_TO, RX_H_VIA, RX_H_CONTACT, RX_H_CLEN,
	RX_H_CORR,
};

/* a (any case) equals lower (lower case) over n bytes; strncasecmp's locale work is too slow here. */
static inline int
rx_sip_ieq(const char *a, const char *lower, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != lower[i])
			return 0;
	}
	return 1;
}

static int
rx_sip_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct rx_sip_str
rx_sip_trim(const char *p, size_t n)
{
	while (n > 0 && rx_sip_ws(*p)) {
		p++;
		n--;
	}
	while (n > 0 && rx_sip_ws(p[n - 1]))
		n--;
	return (struct rx_sip_str){ p, n };
}

int
rx_sip_str_eq(struct rx_sip_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* Find the end of the line starting at p; sets *next to the start of the following line. */
static const char *
rx_sip_eol(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (nl == NULL)
		return NULL;
	*next = nl + 1;
	return (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
}

/* Header name to kind. Called for every header line, so it dispatches on length before comparing. */
static enum rx_sip_hdr
rx_sip_hdr_kind(struct rx_sip_str name, const struct rx_sip_opts *o, size_t corr_len)
{
	const char *p = name.p;

	switch (name.n) {
	case 1:
		switch (*p | 0x20) {
		case 'i': return RX_H_CALLID;
		case 'f': return RX_H_FROM;
		case 't': return RX_H_TO;
		case 'v': return RX_H_VIA;
		case 'm': return RX_H_CONTACT;
		case 'l': return RX_H_CLEN;
		default: break;
		}
		break;
	case 2:
		if (rx_sip_ieq(p, "to", 2))
			return RX_H_TO;
		break;
	case 3:
		if (rx_sip_ieq(p, "via", 3))
			return RX_H_VIA;
		break;
	case 4:
		if (rx_sip_ieq(p, "from", 4))
			return RX_H_FROM;
		if (rx_sip_ieq(p, "cseq", 4))
			return RX_H_CSEQ;
		break;
	case 7:
		if (rx_sip_ieq(p, "call-id", 7))
			return RX_H_CALLID;
		if (rx_sip_ieq(p, "contact", 7))
			return RX_H_CONTACT;
		break;
	case 14:
		if (rx_sip_ieq(p, "content-length", 14))
			return RX_H_CLEN;
		break;
	default:
		break;
	}
	if (corr_len != 0 && name.n == corr_len && strncasecmp(p, o->corr_header, corr_len) == 0)
		return RX_H_CORR;
	return RX_H_OTHER;
}

/* Value of parameter `name` (";name=value") in s, searching from the start; absent gives n == 0. */
static struct rx_sip_str
rx_sip_param(struct rx_sip_str s, const char *name)
{
	size_t nl = strlen(name);
	const char *p = s.p, *end = s.p + s.n;

	while ((p = memchr(p, ';', (size_t)(end - p))) != NULL) {
		const char *v;

		p++;
		while (p < end && rx_sip_ws(*p))
			p++;
		if ((size_t)(end - p) <= nl || !rx_sip_ieq(p, name, nl))
			continue;
		v = p + nl;
		while (v < end && rx_sip_ws(*v))
			v++;
		if (v >= end || *v != '=')
			continue;
		v++;
		while (v < end && rx_sip_ws(*v))
			v++;
		p = v;
		while (p < end && *p != ';' && *p != ',' && *p != '>' && !rx_sip_ws(*p))
			p++;
		return (struct rx_sip_str){ v, (size_t)(p - v) };
	}
	return (struct rx_sip_str){ NULL, 0 };
}

/* User part of a URI ("sip:user@host", "sips:...", "tel:+86..."), without user parameters. */
static struct rx_sip_str
rx_sip_uri_user(struct rx_sip_str uri)
{
	const char *p = uri.p, *end = uri.p + uri.n, *colon, *at, *u;

	colon = memchr(p, ':', uri.n);
	if (colon == NULL)
		return (struct rx_sip_str){ NULL, 0 };
	u = colon + 1;
	at = memchr(u, '@', (size_t)(end - u));
	if (at == NULL) {
		if ((size_t)(colon - p) != 3 || strncasecmp(p, "tel", 3) != 0)
			return (struct rx_sip_str){ NULL, 0 };
		at = end;
	}
	for (const char *q = u; q < at; q++) {
		if (*q == ';' || *q == ':' || *q == '?') {
			/* ';' starts user parameters (tel), ':' a password; neither is the user. */
			at = q;
			break;
		}
	}
	return (struct rx_sip_str){ u, (size_t)(at - u) };
}

/* name-addr or addr-spec (From, To, Contact): the URI's user and the header's parameters. */
static void
rx_sip_addr(struct rx_sip_str v, struct rx_sip_str *user, struct rx_sip_str *tag)
{
	const char *lt = memchr(v.p, '<', v.n), *gt = NULL, *end = v.p + v.n;
	struct rx_sip_str uri, params;

	if (lt != NULL)
		gt = memchr(lt, '>', (size_t)(end - lt));
	if (lt != NULL && gt != NULL) {
		uri = (struct rx_sip_str){ lt + 1, (size_t)(gt - lt - 1) };
		params = (struct rx_sip_str){ gt + 1, (size_t)(end - gt - 1) };
	} else {
		/* addr-spec form: parameters after the URI belong to the header, not the URI. */
		const char *semi = memchr(v.p, ';', v.n);

		uri = (struct rx_sip_str){ v.p, semi ? (size_t)(semi - v.p) : v.n };
		params = (struct rx_sip_str){ semi ? semi : end, semi ? (size_t)(end - semi) : 0 };
	}
	*user = rx_sip_uri_user(rx_sip_trim(uri.p, uri.n));
	if (tag != NULL)
		*tag = rx_sip_param(params, "tag");
}

static int
rx_sip_number(struct rx_sip_str s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i = 0;

	if (s.n == 0)
		return -1;
	for (; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++) {
		v = v * 10 + (unsigned long)(s.p[i] - '0');
		if (v > max)
			return -1;
	}
	if (i == 0)
		return -1;
	*out = v;
	return (int)i;
}

static int
rx_sip_cseq(struct rx_sip_str v, struct rx_sip_msg *m)
{
	unsigned long n;
	int used = rx_sip_number(v, 0xffffffffUL, &n);

	if (used < 0)
		return -1;
	m->cseq = (uint32_t)n;
	m->cseq_method = rx_sip_trim(v.p + used, v.n - (size_t)used);
	return m->cseq_method.n > 0 ? 0 : -1;
}

static int
rx_sip_header(enum rx_sip_hdr kind, struct rx_sip_str v, struct rx_sip_msg *m)
{
	unsigned long n = 0;

	switch (kind) {
	case RX_H_CALLID:
		m->call_id = v;
		return v.n > 0 ? 0 : -1;
	case RX_H_CSEQ:
		return rx_sip_cseq(v, m);
	/* Address headers are kept raw here and taken apart by rx_sip_msg_derive, when asked. */
	case RX_H_FROM:
		if (m->from_raw.p == NULL)
			m->from_raw = v;
		return 0;
	case RX_H_TO:
		if (m->to_raw.p == NULL)
			m->to_raw = v;
		return 0;
	case RX_H_VIA:
		if (m->via_raw.p == NULL)
			m->via_raw = v;
		return 0;
	case RX_H_CONTACT:
		if (m->contact_raw.p == NULL)
			m->contact_raw = v;
		return 0;
	case RX_H_CLEN:
		if (rx_sip_number(v, (unsigned long)RX_SIP_MAX_BODY, &n) != (int)v.n)
			return -1;
		m->content_length = (long)n;
		return 0;
	case RX_H_CORR:
		m->corr = v;
		return 0;
	default:
		return 0;
	}
}

static int
rx_sip_token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    strchr("-.!%*_+`'~", c) != NULL;
}

static int
rx_sip_start_line(const char *p, const char *eol, struct rx_sip_msg *m)
{
	const char *sp1, *sp2;
	size_t n = (size_t)(eol - p);

	if (n > 12 && strncmp(p, "SIP/2.0 ", 8) == 0) {
		if (p[8] < '1' || p[8] > '6' || p[9] < '0' || p[9] > '9' || p[10] < '0' ||
		    p[10] > '9' || (p[11] != ' ' && p[11] != '\t'))
			return -1;
		m->status = (p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0');
		return 0;
	}
	sp1 = memchr(p, ' ', n);
	if (sp1 == NULL || sp1 == p)
		return -1;
	for (const char *q = p; q < sp1; q++)
		if (!rx_sip_token_char(*q))
			return -1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1 || (size_t)(eol - sp2 - 1) != 7 ||
	    strncmp(sp2 + 1, "SIP/2.0", 7) != 0)
		return -1;
	m->is_request = 1;
	m->method = (struct rx_sip_str){ p, (size_t)(sp1 - p) };
	m->ruri = (struct rx_sip_str){ sp1 + 1, (size_t)(sp2 - sp1 - 1) };
	m->ruri_user = rx_sip_uri_user(m->ruri);
	return 0;
}

/* Header block after the start line: returns the offset of the body, 0 if incomplete, -1 if bad. */
static long
rx_sip_headers(const char *buf, const char *p, const char *end, const struct rx_sip_opts *o,
    struct rx_sip_msg *m, const char **err)
{
	enum rx_sip_hdr kind = RX_H_OTHER;
	const char *vstart = NULL, *vend = NULL, *next, *eol, *colon;
	size_t corr_len = (o != NULL && o->corr_header != NULL) ? strlen(o->corr_header) : 0;

	for (; (eol = rx_sip_eol(p, end, &next)) != NULL; p = next) {
		if (eol != p && (*p == ' ' || *p == '\t')) {
			if (vstart == NULL)
				return (*err = "continuation before any header", -1);
			vend = eol;             /* folded line: the value grows */
			continue;
		}
		if (kind != RX_H_OTHER && rx_sip_header(kind, rx_sip_trim(vstart, (size_t)(vend - vstart)), m) < 0)
			return (*err = "bad value in a required header", -1);
		if (eol == p)
			return next - buf;      /* blank line: end of headers */
		/* Names are short: a byte loop beats a memchr call here. */
		for (colon = p; colon < eol && *colon != ':'; colon++)
			;
		if (colon == eol)
			return (*err = "header line without a colon", -1);
		kind = rx_sip_hdr_kind(rx_sip_trim(p, (size_t)(colon - p)), o, corr_len);
		vstart = colon + 1;
		vend = eol;
	}
	return 0;
}

void
rx_sip_msg_derive(struct rx_sip_msg *m)
{
	const char *comma;

	if (m->derived)
		return;
	m->derived = 1;
	if (m->from_raw.p != NULL)
		rx_sip_addr(m->from_raw, &m->from_user, &m->from_tag);
	if (m->to_raw.p != NULL)
		rx_sip_addr(m->to_raw, &m->to_user, &m->to_tag);
	if (m->contact_raw.p != NULL)
		rx_sip_addr(m->contact_raw, &m->contact_user, NULL);
	if (m->via_raw.p != NULL) {
		/* Only the top-most Via matters: the first header, and in it the first comma item. */
		comma = memchr(m->via_raw.p, ',', m->via_raw.n);
		m->via_branch = rx_sip_param((struct rx_sip_str){ m->via_raw.p,
		    comma ? (size_t)(comma - m->via_raw.p) : m->via_raw.n }, "branch");
	}
}

long
rx_sip_parse(const char *buf, size_t len, int stream, const struct rx_sip_opts *o,
    struct rx_sip_msg *m, const char **err)
{
	const char *end = buf + len, *next, *eol;
	long body;
	const char *dummy;

	if (err == NULL)
		err = &dummy;
	memset(m, 0, sizeof(*m));
	m->content_length = -1;
	if ((eol = rx_sip_eol(buf, end, &next)) == NULL)
		return stream && len < 8192 ? 0 : (*err = "no end of start line", -1);
	if (rx_sip_start_line(buf, eol, m) < 0)
		return (*err = "bad start line", -1);
	if ((body = rx_sip_headers(buf, next, end, o, m, err)) < 0)
		return -1;
	if (body == 0)
		return stream ? 0 : (*err = "no end of headers", -1);
	if (m->call_id.n == 0 || m->cseq_method.n == 0)
		return (*err = "missing Call-ID or CSeq", -1);
	m->body_off = (size_t)body;
	if (m->content_length < 0)
		m->body_len = stream ? 0 : len - (size_t)body;
	else if ((size_t)m->content_length <= len - (size_t)body)
		m->body_len = (size_t)m->content_length;
	else if (stream)
		return 0;
	else    /* a truncated datagram body: the headers are still good for call tracking */
		m->body_len = len - (size_t)body;
	m->len = m->body_off + m->body_len;
	if (o == NULL || !o->lazy)
		rx_sip_msg_derive(m);
	return (long)m->len;
}

int
rx_sip_looks_like(const char *buf, size_t len)
{
	const char *nl;
	size_t n = len < 2048 ? len : 2048;

	if (len >= 8 && memcmp(buf, "SIP/2.0 ", 8) == 0)
		return 1;
	if (len == 0 || buf[0] < 'A' || buf[0] > 'Z')
		return 0;
	if ((nl = memchr(buf, '\n', n)) == NULL) {
		/* The first line is not complete (a small first TCP segment, a huge Request-URI): accept
		 * text, let the parser judge once more bytes are in. */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)buf[i] < 0x20 && buf[i] != '\r')
				return 0;
		return 1;
	}
	if (nl > buf && nl[-1] == '\r')
		nl--;
	return nl - buf >= 8 && memcmp(nl - 8, " SIP/2.0", 8) == 0;
}
