/*
 * calltrack.c: call records, their phases and their timeouts.
 *
 * Records live in one array (a slab with a free list) so that memory per call is small
 * and fixed: a 128-bit hash stands in for the call id, names are interned ids. A chained
 * hash table finds a record by id; a binary min-heap orders records by their next
 * deadline, one deadline per record, so a sweep costs O(log n) per timeout fired.
 *
 * Phases, from which events have been seen (the `seen` bits), with their one timeout:
 *
 *   NO_OFFER  answer and/or hangup, no offer   reorder grace -> orphan
 *   WAITING   offer                            max_call_age  -> stale, never offered
 *   TALKING   offer + answer                   max_call_age  -> stale, kept out of talk
 *   ENDING    offer + hangup, no answer        reorder grace -> final
 *   DONE      decided; dedup memory            dedup time    -> forgotten
 *
 * A call entering ENDING counts as abandoned at once, so wallboards see abandons without
 * delay; but in a reordered feed its answer may still be on its way, so until the grace
 * has passed an answer retracts the abandon and the call counts as answered instead,
 * exactly as in the sorted feed.
 */
#include "rexian/calltrack.h"

#include <stdlib.h>
#include <string.h>

#include "rexian/names.h"

enum call_phase { PHASE_NO_OFFER, PHASE_WAITING, PHASE_TALKING, PHASE_ENDING, PHASE_DONE };

#define SEEN(kind) (1u << (kind))
#define SEEN_OFFER SEEN(RX_EV_OFFER)
#define SEEN_ANSWER SEEN(RX_EV_ANSWER)
#define SEEN_HANGUP SEEN(RX_EV_HANGUP)
#define SEEN_ALL (SEEN_OFFER | SEEN_ANSWER | SEEN_HANGUP)
#define NIL UINT32_MAX

struct call {
	uint64_t id[2];
	int64_t t[3];          /* offer, answer, hangup times, valid per `seen` */
	int64_t deadline;
	uint32_t queue, platform, seat, outcome;
	uint32_t next;         /* hash chain or free list */
	uint32_t heap_pos;
	uint8_t seen;
	uint8_t phase;
	bool outbound;
};

struct rx_calltrack {
	struct rx_calltrack_config cfg;
	rx_fact_cb on_fact;
	void *arg;
	struct call *calls;
	uint32_t ncalls_cap;
	uint32_t free_head;
	uint32_t *buckets;
	uint32_t mask;
	uint32_t *heap;
	uint32_t heap_len;
	int64_t now;
	struct rx_calltrack_stats stats;
};

void rx_calltrack_config_default(struct rx_calltrack_config *cfg)
{
	cfg->reorder_ms = 10 * 1000;
	cfg->max_call_age_ms = 4 * 3600 * 1000;
	cfg->dedup_ms = 10 * 60 * 1000;
	cfg->max_calls = 1000000;
}

void rx_calltrack_hash_id(const char *s, size_t len, uint64_t id[2])
{
	id[0] = rx_hash64(s, len, 0x243f6a8885a308d3ULL);
	id[1] = rx_hash64(s, len, 0x13198a2e03707344ULL);
}

struct rx_calltrack *rx_calltrack_new(const struct rx_calltrack_config *cfg,
    rx_fact_cb on_fact, void *arg)
{
	struct rx_calltrack *ct = calloc(1, sizeof *ct);

	if (ct == NULL)
		return NULL;
	ct->cfg = *cfg;
	if (ct->cfg.max_calls < 16)
		ct->cfg.max_calls = 16;
	ct->on_fact = on_fact;
	ct->arg = arg;
	ct->free_head = NIL;
	ct->mask = 1023;
	ct->buckets = malloc((ct->mask + 1) * sizeof *ct->buckets);
	if (ct->buckets == NULL) {
		free(ct);
		return NULL;
	}
	memset(ct->buckets, 0xff, (ct->mask + 1) * sizeof *ct->buckets);
	ct->now = INT64_MIN;
	return ct;
}

void rx_calltrack_free(struct rx_calltrack *ct)
{
	if (ct == NULL)
		return;
	free(ct->calls);
	free(ct->buckets);
	free(ct->heap);
	free(ct);
}

const struct rx_calltrack_stats *rx_calltrack_stats(const struct rx_calltrack *ct)
{
	return &ct->stats;
}

size_t rx_calltrack_memory(const struct rx_calltrack *ct)
{
	return sizeof *ct + (size_t)ct->ncalls_cap * (sizeof *ct->calls + sizeof *ct->heap) +
	    ((size_t)ct->mask + 1) * sizeof *ct->buckets;
}

/* ---- the deadline heap ---- */

static void heap_set(struct rx_calltrack *ct, uint32_t pos, uint32_t idx)
{
	ct->heap[pos] = idx;
	ct->calls[idx].heap_pos = pos;
}

static void heap_up(struct rx_calltrack *ct, uint32_t pos)
{
	uint32_t idx = ct->heap[pos];
	int64_t d = ct->calls[idx].deadline;

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;
		if (ct->calls[ct->heap[parent]].deadline <= d)
			break;
		heap_set(ct, pos, ct->heap[parent]);
		pos = parent;
	}
	heap_set(ct, pos, idx);
}

static void heap_down(struct rx_calltrack *ct, uint32_t pos)
{
	uint32_t idx = ct->heap[pos];
	int64_t d = ct->calls[idx].deadline;

	for (;;) {
		uint32_t child = pos * 2 + 1;
		if (child >= ct->heap_len)
			break;
		if (child + 1 < ct->heap_len &&
		    ct->calls[ct->heap[child + 1]].deadline < ct->calls[ct->heap[child]].deadline)
			child++;
		if (ct->calls[ct->heap[child]].deadline >= d)
			break;
		heap_set(ct, pos, ct->heap[child]);
		pos = child;
	}
	heap_set(ct, pos, idx);
}

static void heap_remove(struct rx_calltrack *ct, uint32_t idx)
{
	uint32_t pos = ct->calls[idx].heap_pos;
	uint32_t last = ct->heap[--ct->heap_len];

	if (last == idx)
		return;
	heap_set(ct, pos, last);
	heap_up(ct, pos);
	heap_down(ct, ct->calls[last].heap_pos);
}

static void set_deadline(struct rx_calltrack *ct, uint32_t idx, int64_t deadline)
{
	int64_t old = ct->calls[idx].deadline;

	ct->calls[idx].deadline = deadline;
	if (deadline < old)
		heap_up(ct, ct->calls[idx].heap_pos);
	else
		heap_down(ct, ct->calls[idx].heap_pos);
}

/* ---- records ---- */

static uint32_t *bucket_of(struct rx_calltrack *ct, const uint64_t id[2])
{
	return &ct->buckets[id[0] & ct->mask];
}

static uint32_t find(struct rx_calltrack *ct, const uint64_t id[2])
{
	for (uint32_t i = *bucket_of(ct, id); i != NIL; i = ct->calls[i].next)
		if (ct->calls[i].id[0] == id[0] && ct->calls[i].id[1] == id[1])
			return i;
	return NIL;
}

static int grow_buckets(struct rx_calltrack *ct)
{
	uint32_t newmask = ct->mask * 2 + 1;
	uint32_t *nb = malloc(((size_t)newmask + 1) * sizeof *nb);

	if (nb == NULL)
		return -1;
	memset(nb, 0xff, ((size_t)newmask + 1) * sizeof *nb);
	for (uint32_t b = 0; b <= ct->mask; b++) {
		uint32_t i = ct->buckets[b];
		while (i != NIL) {
			uint32_t next = ct->calls[i].next;
			uint32_t *head = &nb[ct->calls[i].id[0] & newmask];
			ct->calls[i].next = *head;
			*head = i;
			i = next;
		}
	}
	free(ct->buckets);
	ct->buckets = nb;
	ct->mask = newmask;
	return 0;
}

/* Makes room for one more record in the slab and the heap. */
static int grow_slab(struct rx_calltrack *ct)
{
	uint32_t cap = ct->ncalls_cap ? ct->ncalls_cap * 2 : 1024;
	struct call *calls;
	uint32_t *heap;

	if (cap > ct->cfg.max_calls)
		cap = ct->cfg.max_calls;
	if (cap <= ct->ncalls_cap)
		return -1;
	calls = realloc(ct->calls, (size_t)cap * sizeof *calls);
	if (calls == NULL)
		return -1;
	ct->calls = calls;
	heap = realloc(ct->heap, (size_t)cap * sizeof *heap);
	if (heap == NULL)
		return -1;
	ct->heap = heap;
	for (uint32_t i = cap; i-- > ct->ncalls_cap;) {
		ct->calls[i].next = ct->free_head;
		ct->free_head = i;
	}
	ct->ncalls_cap = cap;
	return 0;
}

static void forget(struct rx_calltrack *ct, uint32_t idx);
static void decide(struct rx_calltrack *ct, uint32_t idx, int64_t at);

/* At max_calls: the record due soonest makes room, decided now if it was still open. */
static void evict_one(struct rx_calltrack *ct)
{
	uint32_t idx = ct->heap[0];

	if (ct->calls[idx].phase != PHASE_DONE) {
		ct->stats.evicted++;
		decide(ct, idx, ct->now);
	}
	forget(ct, idx);
}

static uint32_t create(struct rx_calltrack *ct, const uint64_t id[2])
{
	uint32_t idx, *head;

	if (ct->free_head == NIL && grow_slab(ct) != 0) {
		if (ct->heap_len == 0)
			return NIL;
		evict_one(ct);
	}
	if (ct->stats.records + 1 > ct->mask + 1)
		grow_buckets(ct);
	idx = ct->free_head;
	ct->free_head = ct->calls[idx].next;
	memset(&ct->calls[idx], 0, sizeof ct->calls[idx]);
	ct->calls[idx].id[0] = id[0];
	ct->calls[idx].id[1] = id[1];
	ct->calls[idx].deadline = INT64_MAX;
	head = bucket_of(ct, id);
	ct->calls[idx].next = *head;
	*head = idx;
	heap_set(ct, ct->heap_len++, idx);
	ct->stats.records++;
	ct->stats.open++;
	return idx;
}

static void forget(struct rx_calltrack *ct, uint32_t idx)
{
	uint32_t *p = bucket_of(ct, ct->calls[idx].id);

	while (*p != idx)
		p = &ct->calls[*p].next;
	*p = ct->calls[idx].next;
	heap_remove(ct, idx);
	ct->calls[idx].next = ct->free_head;
	ct->free_head = idx;
	ct->stats.records--;
}

/* ---- phases and facts ---- */

static enum call_phase phase_of(uint8_t seen)
{
	if (!(seen & SEEN_OFFER))
		return PHASE_NO_OFFER;
	if (seen & SEEN_ANSWER)
		return (seen & SEEN_HANGUP) ? PHASE_DONE : PHASE_TALKING;
	return (seen & SEEN_HANGUP) ? PHASE_ENDING : PHASE_WAITING;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The latest time among the events seen: when the sorted feed knows all of them. */
static int64_t last_seen(const struct call *c)
{
	int64_t t = INT64_MIN;

	for (int k = 0; k < 3; k++)
		if (c->seen & SEEN(k))
			t = max64(t, c->t[k]);
	return t;
}

static void emit_fact(struct rx_calltrack *ct, const struct call *c, enum rx_fact_kind kind,
    int64_t ts, int64_t dur, bool retract)
{
	struct rx_fact f = {
		.ts_ms = ts,
		.dur_ms = dur,
		.queue = c->queue,
		.platform = c->platform,
		.seat = (c->seen & SEEN_ANSWER) ? c->seat : 0,
		.outcome = (kind == RX_FACT_ABANDONED || kind == RX_FACT_COMPLETED) ? c->outcome : 0,
		.kind = (uint8_t)kind,
		.outbound = c->outbound,
		.retract = retract,
	};
	ct->on_fact(&f, ct->arg);
}

static void emit(struct rx_calltrack *ct, const struct call *c, enum rx_fact_kind kind,
    int64_t ts, int64_t dur)
{
	emit_fact(ct, c, kind, ts, dur, false);
}

/* The abandon of a call in ENDING, as counted and as retracted: the same fact, with the
 * time the caller waited (0 if the clocks disagree; the skew is counted by the caller). */
static void emit_abandon(struct rx_calltrack *ct, const struct call *c, bool retract)
{
	int64_t waited = c->t[RX_EV_HANGUP] - c->t[RX_EV_OFFER];

	emit_fact(ct, c, RX_FACT_ABANDONED, max64(c->t[RX_EV_OFFER], c->t[RX_EV_HANGUP]),
	    waited > 0 ? waited : 0, retract);
}

/* A duration between two stamps of possibly disagreeing clocks: never negative. */
static int64_t span(struct rx_calltrack *ct, int64_t from, int64_t to)
{
	if (to >= from)
		return to - from;
	ct->stats.clock_skew++;
	return 0;
}

static void mark_done(struct rx_calltrack *ct, uint32_t idx, int64_t at)
{
	ct->calls[idx].phase = PHASE_DONE;
	ct->stats.open--;
	set_deadline(ct, idx, max64(at, ct->now) + ct->cfg.dedup_ms);
}

/* The timeout of the record's phase, reached at `at` (its deadline, or now if early). */
static void decide(struct rx_calltrack *ct, uint32_t idx, int64_t at)
{
	struct call *c = &ct->calls[idx];

	switch ((enum call_phase)c->phase) {
	case PHASE_NO_OFFER:
		ct->stats.orphans++;
		break;
	case PHASE_WAITING:
	case PHASE_TALKING:
		ct->stats.stale++;
		emit(ct, c, RX_FACT_STALE, at, 0);
		break;
	case PHASE_ENDING:
		break;   /* counted as abandoned when it entered ENDING: now final */
	case PHASE_DONE:
		return;
	}
	mark_done(ct, idx, at);
}

static int64_t phase_deadline(const struct rx_calltrack *ct, const struct call *c)
{
	switch ((enum call_phase)c->phase) {
	case PHASE_NO_OFFER:
	case PHASE_ENDING:
		return last_seen(c) + ct->cfg.reorder_ms;
	case PHASE_WAITING:
	case PHASE_TALKING:
		return c->t[RX_EV_OFFER] + ct->cfg.max_call_age_ms;
	case PHASE_DONE:
		break;
	}
	return INT64_MAX;
}

/* Names and direction: the offer's queue and platform, the answer's seat, the hangup's
 * outcome; any event may fill in what the others lacked. The direction is settled once the
 * offer is known, since facts may have been counted by then: a later event saying "out"
 * would split one call's facts between the inbound scopes and `outbound`. */
static void merge_names(struct call *c, const struct rx_call_event *ev)
{
	if (ev->queue && (ev->kind == RX_EV_OFFER || !c->queue))
		c->queue = ev->queue;
	if (ev->platform && (ev->kind == RX_EV_OFFER || !c->platform))
		c->platform = ev->platform;
	if (ev->seat && (ev->kind == RX_EV_ANSWER || !c->seat))
		c->seat = ev->seat;
	if (ev->outcome && (ev->kind == RX_EV_HANGUP || !c->outcome))
		c->outcome = ev->outcome;
	if (ev->outbound && (ev->kind == RX_EV_OFFER || !(c->seen & SEEN_OFFER)))
		c->outbound = true;
}

/* The facts that the newly seen event completes, then the record's next phase. */
static void advance_phase(struct rx_calltrack *ct, uint32_t idx, uint8_t before)
{
	struct call *c = &ct->calls[idx];
	uint8_t both = SEEN_OFFER | SEEN_ANSWER;

	if ((c->seen & both) == both && (before & both) != both)
		emit(ct, c, RX_FACT_ANSWERED, max64(c->t[RX_EV_OFFER], c->t[RX_EV_ANSWER]),
		    span(ct, c->t[RX_EV_OFFER], c->t[RX_EV_ANSWER]));
	c->phase = (uint8_t)phase_of(c->seen);
	if (c->phase == PHASE_ENDING) {
		if (c->t[RX_EV_HANGUP] < c->t[RX_EV_OFFER])
			ct->stats.clock_skew++;
		emit_abandon(ct, c, false);
	}
	if (c->phase == PHASE_DONE) {
		emit(ct, c, RX_FACT_COMPLETED, last_seen(c),
		    span(ct, c->t[RX_EV_ANSWER], c->t[RX_EV_HANGUP]));
		mark_done(ct, idx, last_seen(c));
		return;
	}
	set_deadline(ct, idx, phase_deadline(ct, c));
}

enum rx_track_result rx_calltrack_event(struct rx_calltrack *ct, const struct rx_call_event *ev)
{
	uint32_t idx = find(ct, ev->id);
	uint8_t bit = (uint8_t)SEEN(ev->kind), before;
	struct call *c;

	if (ev->ts_ms > ct->now)
		ct->now = ev->ts_ms;
	if (idx == NIL && (idx = create(ct, ev->id)) == NIL)
		return RX_TRACK_LATE;
	c = &ct->calls[idx];
	if (c->seen & bit) {
		ct->stats.duplicates++;
		return RX_TRACK_DUPLICATE;
	}
	if (c->phase == PHASE_DONE && c->seen != 0) {
		ct->stats.late++;
		return RX_TRACK_LATE;
	}
	if (c->phase == PHASE_ENDING && ev->kind == RX_EV_ANSWER) {
		emit_abandon(ct, c, true);   /* the answer was on its way after all */
		if (c->t[RX_EV_HANGUP] < c->t[RX_EV_OFFER])
			ct->stats.clock_skew--;
	}
	before = c->seen;
	c->seen |= bit;
	c->t[ev->kind] = ev->ts_ms;
	merge_names(c, ev);
	advance_phase(ct, idx, before);
	return RX_TRACK_OK;
}

void rx_calltrack_advance(struct rx_calltrack *ct, int64_t now_ms)
{
	if (now_ms > ct->now)
		ct->now = now_ms;
	while (ct->heap_len > 0) {
		uint32_t idx = ct->heap[0];
		struct call *c = &ct->calls[idx];
		if (c->deadline > ct->now)
			break;
		if (c->phase == PHASE_DONE)
			forget(ct, idx);
		else
			decide(ct, idx, c->deadline);
	}
}

void rx_calltrack_finish(struct rx_calltrack *ct)
{
	uint32_t n = 0;
	uint32_t *due = malloc(((size_t)ct->heap_len + 1) * sizeof *due);

	if (due == NULL)
		return;
	/* collected first: deciding moves records within the heap */
	for (uint32_t i = 0; i < ct->heap_len; i++) {
		uint8_t phase = ct->calls[ct->heap[i]].phase;
		if (phase == PHASE_NO_OFFER || phase == PHASE_ENDING)
			due[n++] = ct->heap[i];
	}
	for (uint32_t i = 0; i < n; i++)
		decide(ct, due[i], ct->calls[due[i]].deadline);
	free(due);
}

void rx_calltrack_foreach_waiting(const struct rx_calltrack *ct, rx_waiting_cb cb, void *arg)
{
	for (uint32_t i = 0; i < ct->heap_len; i++) {
		const struct call *c = &ct->calls[ct->heap[i]];
		struct rx_waiting_call w;
		if (c->phase != PHASE_WAITING || c->outbound)
			continue;
		w.offer_ms = c->t[RX_EV_OFFER];
		w.queue = c->queue;
		w.platform = c->platform;
		cb(&w, arg);
	}
}
