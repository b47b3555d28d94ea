/*
 * Re-send memory (see sender_resend.h). The lines sit in one evbuffer, oldest first; a small ring of
 * records says when they were handed over, one record per RX_RESEND_SLOT_MS so a busy feed does not
 * need one record per line. A record expires when its newest line is older than the window, so no
 * line is forgotten early (it may be kept up to one slot longer).
 */
#include "output/sender_resend.h"

#include <stdlib.h>

#define RX_RESEND_SLOT_MS 100

struct rx_resend_rec {
	int64_t first_ms, last_ms;      /* oldest and newest line of the record */
	size_t bytes;
	uint64_t lines;
};

struct rx_resend {
	int64_t keep_ms;
	size_t max;
	struct evbuffer *lines;
	struct rx_resend_rec *rec;      /* ring of cap records, n from head */
	size_t cap, head, n;
};

struct rx_resend *
rx_resend_new(int seconds, size_t max_bytes)
{
	struct rx_resend *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->keep_ms = (int64_t)seconds * 1000;
	r->max = max_bytes;
	if (seconds == 0)
		return r;
	/* Expired records go before new ones come, so the window never needs more than this. */
	r->cap = (size_t)r->keep_ms / RX_RESEND_SLOT_MS + 2;
	r->rec = calloc(r->cap, sizeof(*r->rec));
	r->lines = evbuffer_new();
	if (r->rec == NULL || r->lines == NULL) {
		rx_resend_free(r);
		return NULL;
	}
	return r;
}

void
rx_resend_free(struct rx_resend *r)
{
	if (r == NULL)
		return;
	if (r->lines != NULL)
		evbuffer_free(r->lines);
	free(r->rec);
	free(r);
}

int
rx_resend_enabled(const struct rx_resend *r)
{
	return r->keep_ms > 0;
}

size_t
rx_resend_bytes(const struct rx_resend *r)
{
	return r->lines != NULL ? evbuffer_get_length(r->lines) : 0;
}

static struct rx_resend_rec *
rx_resend_at(struct rx_resend *r, size_t i)
{
	return &r->rec[(r->head + i) % r->cap];
}

static void
rx_resend_pop(struct rx_resend *r)
{
	r->head = (r->head + 1) % r->cap;
	r->n--;
}

void
rx_resend_expire(struct rx_resend *r, int64_t now_ms)
{
	if (!rx_resend_enabled(r))
		return;
	while (r->n > 0 && now_ms - rx_resend_at(r, 0)->last_ms >= r->keep_ms) {
		evbuffer_drain(r->lines, rx_resend_at(r, 0)->bytes);
		rx_resend_pop(r);
	}
}

/* The byte bound: drop whole lines from the front (a record only ever holds whole lines). */
static void
rx_resend_bound(struct rx_resend *r)
{
	while (r->n > 0 && evbuffer_get_length(r->lines) > r->max) {
		struct rx_resend_rec *f = rx_resend_at(r, 0);
		struct evbuffer_ptr nl = evbuffer_search(r->lines, "\n", 1, NULL);
		size_t len = nl.pos < 0 ? f->bytes : (size_t)nl.pos + 1;

		if (len > f->bytes)
			len = f->bytes;
		evbuffer_drain(r->lines, len);
		f->bytes -= len;
		f->lines = f->lines > 0 ? f->lines - 1 : 0;
		if (f->bytes == 0)
			rx_resend_pop(r);
	}
}

void
rx_resend_keep(struct rx_resend *r, struct evbuffer *src, size_t n, uint64_t lines, int64_t now_ms)
{
	struct rx_resend_rec *last;

	if (!rx_resend_enabled(r)) {
		evbuffer_drain(src, n);
		return;
	}
	rx_resend_expire(r, now_ms);
	evbuffer_remove_buffer(src, r->lines, n);
	last = r->n > 0 ? rx_resend_at(r, r->n - 1) : NULL;
	if (last != NULL && (now_ms - last->first_ms < RX_RESEND_SLOT_MS || r->n == r->cap)) {
		last->last_ms = now_ms;
		last->bytes += n;
		last->lines += lines;
	} else {
		r->n++;
		*rx_resend_at(r, r->n - 1) = (struct rx_resend_rec){ now_ms, now_ms, n, lines };
	}
	rx_resend_bound(r);
}

uint64_t
rx_resend_replay(struct rx_resend *r, struct evbuffer *dst, int64_t now_ms)
{
	struct rx_resend_rec all = { now_ms, now_ms, 0, 0 };
	struct evbuffer_ptr at;
	struct evbuffer_iovec v[16];
	int k;

	if (!rx_resend_enabled(r) || r->n == 0)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		all.bytes += rx_resend_at(r, i)->bytes;
		all.lines += rx_resend_at(r, i)->lines;
	}
	/* A copy, not a move: if this connection breaks too, the lines go again on the next one. */
	evbuffer_ptr_set(r->lines, &at, 0, EVBUFFER_PTR_SET);
	for (size_t done = 0; done < all.bytes;) {
		k = evbuffer_peek(r->lines, -1, &at, v, 16);
		for (int i = 0; i < k && i < 16; i++) {
			evbuffer_add(dst, v[i].iov_base, v[i].iov_len);
			done += v[i].iov_len;
		}
		if (done < all.bytes)
			evbuffer_ptr_set(r->lines, &at, done, EVBUFFER_PTR_SET);
	}
	/* Handed over again now: the window starts afresh for them. */
	r->head = 0;
	r->n = 1;
	r->rec[0] = all;
	return all.lines;
}
