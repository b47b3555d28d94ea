/*
 * feed.c: splits a byte stream into lines and hands each to the line decoder.
 *
 * Where the bytes after a line in the caller's chunk can serve as the decoder's read
 * padding, the line is decoded in place; only a line split across chunks (or too close to
 * the chunk's end) is copied into our own buffer. A line longer than RX_FEED_MAX_LINE is
 * never buffered whole: we note it, drop bytes until its newline, and report one error.
 */
#include "rexian/feed.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct rx_feed {
	struct rx_feed_decoder *dec;
	rx_feed_event_cb on_event;
	rx_feed_error_cb on_error;
	void *arg;
	bool own_dec;
	char *buf;            /* partial line carried between pushes, plus padding */
	size_t used, cap;     /* buf grows only as far as the longest carried line */
	bool overlong;        /* discarding the rest of a line that is too long */
	uint64_t line_no;
	struct rx_feed_stats stats;
};

struct rx_feed *rx_feed_new_shared(struct rx_feed_decoder *dec, rx_feed_event_cb on_event,
    rx_feed_error_cb on_error, void *arg)
{
	struct rx_feed *f = calloc(1, sizeof *f);

	if (f == NULL)
		return NULL;
	f->own_dec = dec == NULL;
	f->dec = dec != NULL ? dec : rx_feed_decoder_new();
	if (f->dec == NULL) {
		rx_feed_free(f);
		return NULL;
	}
	f->on_event = on_event;
	f->on_error = on_error;
	f->arg = arg;
	return f;
}

struct rx_feed *rx_feed_new(rx_feed_event_cb on_event, rx_feed_error_cb on_error, void *arg)
{
	return rx_feed_new_shared(NULL, on_event, on_error, arg);
}

void rx_feed_free(struct rx_feed *f)
{
	if (f == NULL)
		return;
	if (f->own_dec)
		rx_feed_decoder_free(f->dec);
	free(f->buf);
	free(f);
}

const struct rx_feed_stats *rx_feed_stats(const struct rx_feed *f)
{
	return &f->stats;
}

static void feed_error(struct rx_feed *f, const char *reason)
{
	f->stats.errors++;
	if (f->on_error != NULL)
		f->on_error(f->line_no, reason, f->arg);
}

static bool is_blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* One complete line without its '\n'; padding bytes follow it. */
static void feed_line(struct rx_feed *f, const char *p, size_t len)
{
	struct rx_event ev;
	const char *reason;

	f->line_no++;
	f->stats.lines++;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (f->overlong || len > RX_FEED_MAX_LINE) {
		f->overlong = false;
		feed_error(f, "line longer than 64 KiB");
		return;
	}
	if (is_blank(p, len))
		return;
	if (rx_feed_decode(f->dec, p, len, &ev, &reason) != 0) {
		feed_error(f, reason);
		return;
	}
	f->stats.events++;
	f->on_event(&ev, f->line_no, f->arg);
}

/* Append to the carried partial line, or start discarding once it is too long. The
 * limit leaves room for a '\r' that is not part of the content. */
static void feed_carry(struct rx_feed *f, const char *p, size_t len)
{
	if (f->overlong)
		return;
	if (f->used + len > RX_FEED_MAX_LINE + 1) {
		f->overlong = true;
		f->used = 0;
		return;
	}
	if (f->used + len + RX_FEED_PADDING > f->cap) {
		size_t cap = f->cap ? f->cap : 1024;
		char *b;
		while (cap < f->used + len + RX_FEED_PADDING)
			cap *= 2;
		if ((b = realloc(f->buf, cap)) == NULL) {
			f->overlong = true;   /* reported as an error line: nothing silently lost */
			f->used = 0;
			return;
		}
		f->buf = b;
		f->cap = cap;
	}
	memcpy(f->buf + f->used, p, len);
	f->used += len;
}

void rx_feed_push(struct rx_feed *f, const char *buf, size_t len)
{
	const char *end = buf + len;

	while (buf < end) {
		const char *nl = memchr(buf, '\n', (size_t)(end - buf));
		if (nl == NULL) {
			feed_carry(f, buf, (size_t)(end - buf));
			return;
		}
		if (f->used > 0 || f->overlong) {
			feed_carry(f, buf, (size_t)(nl - buf));
			feed_line(f, f->buf, f->used);
			f->used = 0;
		} else if (end - nl > RX_FEED_PADDING || nl - buf > RX_FEED_MAX_LINE + 1) {
			/* in place: padded by the chunk, or too long to be decoded at all */
			feed_line(f, buf, (size_t)(nl - buf));
		} else {
			feed_carry(f, buf, (size_t)(nl - buf));
			feed_line(f, f->buf, f->used);
			f->used = 0;
		}
		buf = nl + 1;
	}
}

void rx_feed_finish(struct rx_feed *f)
{
	if (f->used > 0 || f->overlong) {
		feed_carry(f, "", 0);   /* padding room for a line that never had any */
		feed_line(f, f->buf, f->used);
		f->used = 0;
	}
}
