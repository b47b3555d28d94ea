/*
 * feed.h: the NDJSON call feed, as a push parser. Bytes go in, in chunks of any size
 * (a socket read, a file block, a fuzzer input); complete events and numbered errors
 * come out through callbacks. No I/O happens here, so the same code serves TCP, Unix
 * sockets, files and tests.
 *
 * Line rules: `\n` or `\r\n` terminated, blank lines skipped, lines over RX_FEED_MAX_LINE
 * bytes are errors (the rest of such a line is discarded without being buffered).
 */
#ifndef REXIAN_FEED_H
#define REXIAN_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "rexian/event.h"

#define RX_FEED_MAX_LINE (64 * 1024)

struct rx_feed;

/* An event decoded from line number `line` (1-based). ev and its strings are valid only
 * during the call. */
typedef void (*rx_feed_event_cb)(const struct rx_event *ev, uint64_t line, void *arg);
/* A line that was skipped; reason is a short constant English phrase without any line
 * content (a line may carry a caller's number). */
typedef void (*rx_feed_error_cb)(uint64_t line, const char *reason, void *arg);

struct rx_feed_stats {
	uint64_t lines;   /* lines seen, blank ones included (as `wc -l` counts them) */
	uint64_t events;  /* lines decoded into events */
	uint64_t errors;  /* lines skipped as errors */
};

struct rx_feed_decoder;
struct rx_feed *rx_feed_new(rx_feed_event_cb on_event, rx_feed_error_cb on_error, void *arg);
/* The same, decoding with a decoder the caller owns and shares among feeds of one thread
 * (a decoder holds some hundred kilobytes; a daemon with thousands of connections keeps
 * one). */
struct rx_feed *rx_feed_new_shared(struct rx_feed_decoder *dec, rx_feed_event_cb on_event,
    rx_feed_error_cb on_error, void *arg);
void rx_feed_free(struct rx_feed *feed);

/* Consume bytes; calls the callbacks for every line completed by them. */
void rx_feed_push(struct rx_feed *feed, const char *buf, size_t len);
/* End of input: a last line without a newline is decoded too. */
void rx_feed_finish(struct rx_feed *feed);
const struct rx_feed_stats *rx_feed_stats(const struct rx_feed *feed);

/*
 * The line decoder underneath, for callers that split lines themselves. `line` must be
 * followed by at least RX_FEED_PADDING readable bytes (any content). Returns 0 and fills
 * ev, or -1 and sets *reason. Blank lines are the caller's business.
 */
#define RX_FEED_PADDING 64
struct rx_feed_decoder;
struct rx_feed_decoder *rx_feed_decoder_new(void);
void rx_feed_decoder_free(struct rx_feed_decoder *dec);
/* With a key (borrowed), the `caller` field is read and replaced by its pseudonym in
 * ev->caller; without (the default), it is never read. */
struct rx_pseudonym_key;
void rx_feed_decoder_set_caller_key(struct rx_feed_decoder *dec,
    const struct rx_pseudonym_key *key);
int rx_feed_decode(struct rx_feed_decoder *dec, const char *line, size_t len,
    struct rx_event *ev, const char **reason);

/* The auth line a feed sends first when its listener requires a token (README, "Who may
 * connect"): {"auth": "TOKEN"} and nothing else. Same padding rule as rx_feed_decode.
 * Returns 0 with *token pointing into the decoder (valid until its next use), or -1. */
int rx_feed_decode_auth(struct rx_feed_decoder *dec, const char *line, size_t len,
    const char **token, size_t *toklen);

/* Parse a timestamp text: epoch seconds with an optional fraction, or RFC 3339 with
 * offset. Exact to the millisecond (further digits round half up). Returns 0 or -1. */
int rx_feed_parse_ts(const char *s, size_t len, int64_t *ms);

#endif
