/*
 * SIP message parser: the third stage (capture -> packet -> sip -> dialog -> output). It takes bytes and
 * returns views into them: the start line, the headers call tracking needs (Call-ID, CSeq, From/To with
 * tags, top Via branch, Contact, Content-Length, one configurable correlation header) and the body's
 * extent. Header names are case-insensitive, compact forms (i f t l v m) and folded lines are accepted.
 * It does no I/O and keeps no state between messages, so a datagram, a TCP stream (through the reader
 * below), a HEP packet and a fuzzer all call the same code.
 */
#ifndef RX_SIP_PARSER_H
#define RX_SIP_PARSER_H

#include <stddef.h>
#include <stdint.h>
#include <strings.h>

/* A view into the parsed buffer; not NUL-terminated. n == 0 means absent. */
struct rx_sip_str {
	const char *p;
	size_t n;
};

struct rx_sip_msg {
	int is_request;
	struct rx_sip_str method;       /* requests */
	struct rx_sip_str ruri;         /* requests: the whole Request-URI */
	struct rx_sip_str ruri_user;    /* user part of the Request-URI (or tel: number) */
	int status;                     /* responses: 100..699 */
	struct rx_sip_str call_id;
	uint32_t cseq;
	struct rx_sip_str cseq_method;
	struct rx_sip_str from_raw, to_raw, via_raw, contact_raw;   /* first header values, raw */
	int derived;                    /* the fields below are filled in */
	struct rx_sip_str from_user, from_tag;
	struct rx_sip_str to_user, to_tag;
	struct rx_sip_str via_branch;   /* branch of the top-most Via */
	struct rx_sip_str contact_user;
	struct rx_sip_str corr;         /* value of the configured correlation header */
	long content_length;            /* -1 when absent */
	size_t body_off, body_len;      /* body position within the message */
	size_t len;                     /* bytes of the whole message */
};

struct rx_sip_opts {
	const char *corr_header;        /* e.g. "X-Queue-Call-ID"; NULL for none */
	int lazy;                       /* leave From/To/Via/Contact to rx_sip_msg_derive */
};

/* Parse one message at the start of buf. stream = 0 for a datagram (no Content-Length means the body
 * runs to the end), 1 for a byte stream (Content-Length frames the message, absent means 0).
 * Returns the message length (> 0), 0 if the bytes end before the message does (stream only), or -1 if
 * they are not a SIP message; *err then names the first problem. */
long rx_sip_parse(const char *buf, size_t len, int stream, const struct rx_sip_opts *opts,
    struct rx_sip_msg *m, const char **err);

/* Take From, To, Contact and the top Via apart (users, tags, branch). rx_sip_parse does it unless
 * opts->lazy: most messages (provisional responses, ACKs, responses to BYE) never need it. */
void rx_sip_msg_derive(struct rx_sip_msg *m);

/* Cheap test whether bytes start like a SIP message ("SIP/2.0 " or a first line ending in " SIP/2.0"),
 * so RTP and other traffic on the same ports is told apart from malformed SIP. */
int rx_sip_looks_like(const char *buf, size_t len);

/* Case-insensitive comparison of a view with a C string. */
int rx_sip_str_eq(struct rx_sip_str s, const char *lit);
/* The same with a string literal, its length known at compile time (hot paths). */
#define RX_SIP_IS(s, lit) ((s).n == sizeof(lit) - 1 && strncasecmp((s).p, lit, sizeof(lit) - 1) == 0)

/*
 * Push reader for byte streams (SIP over TCP): feed bytes as they come, pull whole messages. Between
 * messages it skips keep-alive CRLFs; on garbage it drops bytes up to the next line that looks like a SIP
 * start line and counts the error. A message view returned by next() stays valid until the next call to
 * feed() or next(). The buffer is bounded (max_msg): a message larger than that is dropped.
 */
struct rx_sip_reader {
	char *buf;
	size_t len, off, cap, max_msg;
	uint64_t errors;                /* resynchronisations */
	const char *errstr;             /* last error, static string */
};

void rx_sip_reader_init(struct rx_sip_reader *r, size_t max_msg);
void rx_sip_reader_free(struct rx_sip_reader *r);
/* Returns 0, or -1 if the bytes could not be stored (buffer bound or memory): the reader is reset. */
int rx_sip_reader_feed(struct rx_sip_reader *r, const void *data, size_t n);
/* Returns 1 with a message, 0 when more bytes are needed. Errors are counted, not returned. */
int rx_sip_reader_next(struct rx_sip_reader *r, const struct rx_sip_opts *opts, struct rx_sip_msg *m);
/* Forget buffered bytes (after a gap in the stream). */
void rx_sip_reader_reset(struct rx_sip_reader *r);

#endif
