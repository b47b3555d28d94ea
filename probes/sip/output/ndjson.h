/*
 * Output stage (capture -> packet -> sip -> dialog -> output): turns a call event into one line of the
 * NDJSON feed rexiand ingests (issue 2, section 2) and hands it to a sink: stdout, or the TCP sender.
 * The caller's number never leaves in clear: it is dropped, or with a key replaced by its pseudonym
 * (rexian/pseudonym.h: HMAC-SHA256, first 128 bits in hex), so repeat callers can be counted.
 */
#ifndef RX_PROBE_NDJSON_H
#define RX_PROBE_NDJSON_H

#include <stddef.h>
#include <stdint.h>

#include "dialog/dialog.h"
#include "rexian/pseudonym.h"

typedef void (*rx_out_write_fn)(const char *line, size_t n, void *arg);

struct rx_out {
	rx_out_write_fn write;
	void *arg;
	struct rx_pseudonym_key key;    /* for the caller number; len 0: caller dropped */
	uint64_t lines;
};

void rx_out_init(struct rx_out *o, rx_out_write_fn write, void *arg);
/* Read the HMAC key (raw bytes, trailing newline kept as part of the key only if not at the end).
 * Returns 0, or -1 with a one-line reason. */
int rx_out_load_key(struct rx_out *o, const char *path, char *err, size_t errlen);

/* Format ev as one NDJSON line (with '\n') into buf; returns its length, or 0 if it did not fit. */
size_t rx_out_format(const struct rx_out *o, const struct rx_dialog_event *ev, char *buf, size_t n);

/* rx_dialog_emit_cb: format and write. */
void rx_out_event_cb(const struct rx_dialog_event *ev, void *arg);

/* The stdout sink (buffered; flushed by the caller when idle). */
void rx_out_stdout_write(const char *line, size_t n, void *arg);

#endif
