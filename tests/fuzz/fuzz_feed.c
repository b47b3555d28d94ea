/*
 * fuzz_feed.c: libFuzzer harness for the NDJSON feed (src/ingest/feed.c, feed_json.cpp,
 * feed_ts.c) and the engine behind it (src/core/).
 *
 * Each input is pushed twice: whole, and in chunk sizes drawn from the input's hash, each
 * chunk in a buffer of exactly its size so that AddressSanitizer sees any read past it.
 * Both pushes must report the same events and errors on the same line numbers. The events
 * then drive an engine (sometimes with a tiny --max-calls, so eviction runs too), and after
 * the input the engine's figures must hold together:
 *
 *   - events + errors <= lines; the callbacks were called exactly that often, in line order
 *   - every event has ts > 0, a known kind (and seat state), and the fields its kind needs
 *   - calls in flight <= records <= max_calls
 *   - in every window and scope: within_sl <= answered, long_talks <= completed, sums of
 *     wait and talk not negative; in `all`, completed <= answered and answered + abandoned
 *     <= the offers accepted; the queues add up to `global`, the seats' answered too
 *   - live gauges: waiting = the sum over queues <= calls in flight, seats ready + on a
 *     call <= logged in
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "rexian/engine.h"
#include "rexian/feed.h"

struct rec {
	uint64_t line;
	int64_t ts_ms;
	int kind, seat_state;
	bool outbound;
	uint64_t fields;          /* hash of every string field, with their lengths */
	const char *reason;       /* errors: the reason (a constant string) */
};

struct run {
	struct rec *v;
	size_t n, cap;
	uint64_t nevents, nerrors, last_line;
	const struct rx_feed *feed;
	struct rx_engine *engine; /* NULL: only record */
	uint64_t offers_ok;
};

static struct rx_feed_decoder *shared_dec;

static void push_rec(struct run *r, const struct rec *x)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct rec *v = realloc(r->v, cap * sizeof *v);
		CHECK(v != NULL);
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *x;
}

static uint64_t str_hash(uint64_t h, struct rx_str s)
{
	CHECK(s.len == 0 || s.p != NULL);
	CHECK(s.len <= RX_FEED_MAX_LINE);
	h = (h ^ s.len) * 0x100000001b3ULL;
	for (size_t i = 0; i < s.len; i++)
		h = (h ^ (uint8_t)s.p[i]) * 0x100000001b3ULL;
	return h;
}

static void event_cb(const struct rx_event *ev, uint64_t line, void *arg)
{
	struct run *r = arg;
	struct rec x = { line, ev->ts_ms, (int)ev->kind, -1, ev->outbound, 0, NULL };

	r->nevents++;
	CHECK(line > r->last_line);
	CHECK(line <= rx_feed_stats(r->feed)->lines);
	r->last_line = line;
	CHECK(ev->ts_ms > 0);
	CHECK(ev->kind == RX_EV_OFFER || ev->kind == RX_EV_ANSWER || ev->kind == RX_EV_HANGUP ||
	    ev->kind == RX_EV_SEAT);
	if (ev->kind == RX_EV_SEAT) {
		CHECK(ev->seat.len > 0);
		CHECK(ev->seat_state == RX_SEAT_LOGIN || ev->seat_state == RX_SEAT_READY ||
		    ev->seat_state == RX_SEAT_NOTREADY || ev->seat_state == RX_SEAT_LOGOUT);
		x.seat_state = (int)ev->seat_state;
	} else {
		CHECK(ev->call.len > 0);
		if (ev->kind == RX_EV_ANSWER)
			CHECK(ev->seat.len > 0);
	}
	x.fields = str_hash(str_hash(str_hash(str_hash(str_hash(0, ev->call), ev->queue),
	    ev->platform), ev->seat), ev->outcome);
	push_rec(r, &x);
	if (r->engine != NULL) {
		enum rx_track_result t = rx_engine_event(r->engine, ev);
		CHECK(t == RX_TRACK_OK || t == RX_TRACK_DUPLICATE || t == RX_TRACK_LATE);
		if (ev->kind == RX_EV_OFFER && t == RX_TRACK_OK)
			r->offers_ok++;
		CHECK(r->engine->now >= ev->ts_ms);
	}
}

static void error_cb(uint64_t line, const char *reason, void *arg)
{
	struct run *r = arg;
	struct rec x = { line, 0, -1, -1, false, 0, reason };

	r->nerrors++;
	CHECK(reason != NULL && reason[0] != '\0');
	CHECK(line > r->last_line);
	CHECK(line <= rx_feed_stats(r->feed)->lines);
	r->last_line = line;
	push_rec(r, &x);
}

static void check_stats(const struct run *r)
{
	const struct rx_feed_stats *st = rx_feed_stats(r->feed);

	CHECK(st->events + st->errors <= st->lines);
	CHECK(st->events == r->nevents);
	CHECK(st->errors == r->nerrors);
	CHECK(r->last_line <= st->lines);
}

static void check_counters(const struct rx_counters *c, bool all)
{
	CHECK(c->within_sl <= c->answered);
	CHECK(c->long_talks <= c->completed);
	CHECK(c->wait_ms >= 0 && c->talk_ms >= 0 && c->abandon_wait_ms >= 0);
	CHECK(c->max_talk_ms >= -1);
	/* counts that went below zero would wrap: far more than any input could make */
	CHECK(c->answered < (1u << 30) && c->abandoned < (1u << 30) && c->completed < (1u << 30) &&
	    c->stale < (1u << 30));
	if (all) {
		CHECK(c->completed <= c->answered);
		CHECK(c->max_talk_ms <= c->talk_ms || c->completed == 0);
		CHECK((c->max_talk_ms >= 0) == (c->completed > 0));
	}
}

static void check_engine(struct run *r, const struct rx_engine_config *cfg)
{
	struct rx_engine *e = r->engine;
	const struct rx_calltrack_stats *ts = rx_calltrack_stats(e->calls);
	struct rx_counters qsum = RX_COUNTERS_INIT;
	uint64_t seat_answered = 0, seat_on_calls = 0;
	struct rx_live live;
	uint32_t nscopes = rx_scopes_count(e->scopes), sum_waiting = 0;
	const struct rx_stats *g, *o;

	CHECK(ts->open <= ts->records);
	CHECK(ts->records <= cfg->track.max_calls);
	rx_windows_refresh_max(e->windows);
	for (int w = 0; w < RX_WIN_COUNT; w++)
		for (uint32_t i = 0; i < nscopes; i++) {
			const struct rx_stats *st = rx_windows_get(e->windows, (enum rx_window_id)w, i);
			if (st != NULL)
				check_counters(&st->c, w == RX_WIN_ALL);
		}
	g = rx_windows_get(e->windows, RX_WIN_ALL, RX_SCOPE_GLOBAL_INDEX);
	o = rx_windows_get(e->windows, RX_WIN_ALL, RX_SCOPE_OUTBOUND_INDEX);
	if (g != NULL || o != NULL) {
		uint64_t offered = 0;
		if (g != NULL)
			offered += g->c.answered + g->c.abandoned;
		if (o != NULL)
			offered += o->c.answered + o->c.abandoned;
		CHECK(offered <= r->offers_ok);
	}
	for (uint32_t i = 0; i < nscopes; i++) {
		const struct rx_scope *sc = rx_scopes_at(e->scopes, i);
		const struct rx_stats *st = rx_windows_get(e->windows, RX_WIN_ALL, i);
		if (st == NULL)
			continue;
		if (sc->type == RX_SCOPE_QUEUE)
			rx_counters_merge(&qsum, &st->c);
		else if (sc->type == RX_SCOPE_SEAT)
			seat_answered += st->c.answered;
	}
	if (g != NULL) {
		CHECK(qsum.answered == g->c.answered);
		CHECK(qsum.abandoned == g->c.abandoned);
		CHECK(qsum.completed == g->c.completed);
		CHECK(qsum.within_sl == g->c.within_sl);
		CHECK(qsum.wait_ms == g->c.wait_ms);
		CHECK(qsum.talk_ms == g->c.talk_ms);
		CHECK(seat_answered == g->c.answered);
	} else {
		CHECK(qsum.answered == 0 && qsum.abandoned == 0 && seat_answered == 0);
	}
	for (uint32_t s = 1; s < rx_seats_limit(e->seats); s++) {
		const struct rx_seat *st = rx_seats_get(e->seats, s);
		if (st != NULL)
			seat_on_calls += st->on_calls;
	}
	CHECK(seat_on_calls <= (g ? g->c.answered : 0) + (o ? o->c.answered : 0));
	rx_engine_live(e, &live);
	for (uint32_t q = 0; q < live.nqueues; q++) {
		sum_waiting += live.queues[q].waiting;
		CHECK(live.queues[q].longest_wait_ms >= -1);
		CHECK(live.queues[q].longest_wait_ms <= live.longest_wait_ms);
	}
	CHECK(sum_waiting == live.waiting);
	CHECK(live.waiting <= ts->open);
	CHECK((live.waiting == 0) == (live.longest_wait_ms == -1));
	CHECK(live.seats.ready + live.seats.on_call <= live.seats.logged_in);
	rx_live_release(&live);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rx_tz_init("Asia/Shanghai");
	shared_dec = rx_feed_decoder_new();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seed = fuzz_hash(data, size);
	struct run a = { 0 }, b = { 0 };
	struct rx_engine_config cfg;
	struct rx_feed *fa, *fb;
	size_t off = 0;

	/* the engine's options, from the input: a tiny call cap now and then, no reorder
	 * grace, a short dedup memory */
	rx_engine_config_default(&cfg);
	cfg.buckets = (seed & 1) != 0;
	if ((seed >> 1) % 4 == 0)
		cfg.track.max_calls = 16 + (uint32_t)((seed >> 8) % 8);   /* 16 is the floor */
	if ((seed >> 3) % 4 == 0)
		cfg.track.reorder_ms = 0;
	if ((seed >> 5) % 4 == 0)
		cfg.track.dedup_ms = 1000;
	a.engine = rx_engine_new(&cfg);
	CHECK(a.engine != NULL);

	/* whole */
	fa = rx_feed_new(event_cb, error_cb, &a);
	CHECK(fa != NULL);
	a.feed = fa;
	rx_feed_push(fa, (const char *)data, size);
	rx_feed_finish(fa);
	check_stats(&a);
	rx_engine_finish(a.engine);
	check_engine(&a, &cfg);

	/* in pieces, each in a buffer of its own size, with the shared decoder */
	fb = rx_feed_new_shared(shared_dec, event_cb, error_cb, &b);
	CHECK(fb != NULL);
	b.feed = fb;
	while (off < size) {
		uint64_t r = fuzz_next(&seed);
		size_t piece;
		char *chunk;
		switch (r % 4) {
		case 0: piece = 1; break;
		case 1: piece = 1 + (size_t)((r >> 8) % 16); break;
		case 2: piece = 1 + (size_t)((r >> 8) % 200); break;
		default: piece = 1 + (size_t)((r >> 8) % 70000); break;
		}
		if (piece > size - off)
			piece = size - off;
		chunk = malloc(piece);
		CHECK(chunk != NULL);
		memcpy(chunk, data + off, piece);
		rx_feed_push(fb, chunk, piece);
		free(chunk);
		off += piece;
		if ((r >> 40) % 8 == 0)
			rx_feed_push(fb, "", 0);   /* an empty read */
	}
	rx_feed_finish(fb);
	rx_feed_finish(fb);                /* a second finish is harmless */
	check_stats(&b);

	/* both ways give the same lines */
	CHECK(rx_feed_stats(fa)->lines == rx_feed_stats(fb)->lines);
	CHECK(rx_feed_stats(fa)->events == rx_feed_stats(fb)->events);
	CHECK(rx_feed_stats(fa)->errors == rx_feed_stats(fb)->errors);
	CHECK(a.n == b.n);
	for (size_t i = 0; i < a.n; i++) {
		const struct rec *x = &a.v[i], *y = &b.v[i];
		CHECK(x->line == y->line && x->ts_ms == y->ts_ms && x->kind == y->kind &&
		    x->seat_state == y->seat_state && x->outbound == y->outbound &&
		    x->fields == y->fields);
		CHECK((x->reason == NULL) == (y->reason == NULL));
		CHECK(x->reason == NULL || strcmp(x->reason, y->reason) == 0);
	}

	rx_feed_free(fa);
	rx_feed_free(fb);
	rx_engine_free(a.engine);
	free(a.v);
	free(b.v);
	return 0;
}
