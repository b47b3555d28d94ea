/*
 * window.c: the five windows and the report buckets, all fed from the same facts.
 *
 * Rolling windows share one time-ordered ring of the last hour's facts; each has a
 * cursor at its oldest fact still inside, and a roll subtracts the facts the cursor
 * passes. A fact that arrives late (the reorder grace) is inserted at its place, so the
 * ring stays ordered and the result equals that of the sorted feed.
 *
 * Buckets are keyed by (local minute or day, scope) in a vector with an open-addressing
 * index; the Redis sink writes the dirty ones each flush.
 *
 * Minutes restored from Redis after a restart without a journal are sums, not facts: they
 * sit in their own time-ordered list beside the ring, with the same two cursors, until
 * the hour has passed them.
 */
#include "rexian/window.h"

#include "rexian/array.h"

#include <stdlib.h>
#include <string.h>

#define HOUR_MS (3600 * 1000LL)
#define QUARTER_MS (900 * 1000LL)
#define BUCKET_KEEP_MS (48 * HOUR_MS)

struct bucket {
	int64_t start_ms;     /* for pruning minute buckets */
	int64_t code;         /* YYYYMMDDHHMM or YYYYMMDD */
	uint32_t scope;
	bool day;
	bool dirty;
	struct rx_stats st;
};

/* A restored minute of one scope in the rolling windows, stamped at its last millisecond. */
struct restored {
	int64_t ts_ms;
	uint32_t scope;
	struct rx_stats st;
};

struct rx_windows {
	struct rx_windows_config cfg;
	struct rx_scopes *scopes;
	struct rx_tz *tz;
	int64_t now;
	int64_t start[RX_WIN_COUNT];
	int64_t end[RX_WIN_COUNT];        /* today and shift: next boundary */
	struct rx_stats *st[RX_WIN_COUNT];
	uint32_t st_cap;
	struct rx_fact *ring;             /* rolling: facts of the last hour, time order */
	uint32_t ring_cap, ring_head, ring_len;
	uint32_t quarter_at;              /* ring offset of the oldest fact in 15m */
	struct restored *rest;            /* rolling: restored minutes, time order */
	uint32_t nrest;
	size_t rest_cap;
	uint32_t rest_head, rest_quarter; /* oldest in 1h, oldest in 15m */
	struct bucket *buckets;
	uint32_t nbuckets, buckets_cap;
	uint32_t *bindex;                 /* open addressing: bucket index + 1 */
	uint32_t bmask;
	int64_t next_prune;
};

static const char *const window_names[RX_WIN_COUNT] = { "15m", "1h", "today", "shift", "all" };

const char *rx_window_name(enum rx_window_id win)
{
	return (unsigned)win < RX_WIN_COUNT ? window_names[win] : "?";
}

struct rx_windows *rx_windows_new(const struct rx_windows_config *cfg, struct rx_scopes *scopes,
    struct rx_tz *tz)
{
	struct rx_windows *w = calloc(1, sizeof *w);

	if (w == NULL)
		return NULL;
	w->cfg = *cfg;
	w->scopes = scopes;
	w->tz = tz;
	w->now = INT64_MIN;
	return w;
}

void rx_windows_free(struct rx_windows *w)
{
	if (w == NULL)
		return;
	for (int k = 0; k < RX_WIN_COUNT; k++) {
		for (uint32_t i = 0; w->st[k] != NULL && i < w->st_cap; i++)
			free(w->st[k][i].outcomes);
		free(w->st[k]);
	}
	for (uint32_t i = 0; i < w->nbuckets; i++)
		free(w->buckets[i].st.outcomes);
	free(w->buckets);
	free(w->bindex);
	free(w->ring);
	for (uint32_t i = w->rest_head; i < w->nrest; i++)
		free(w->rest[i].st.outcomes);
	free(w->rest);
	free(w);
}

/* ---- per-scope stats ---- */

static int ensure_scopes(struct rx_windows *w, uint32_t scope)
{
	uint32_t cap = w->st_cap ? w->st_cap : 64;

	if (scope < w->st_cap)
		return 0;
	while (cap <= scope)
		cap *= 2;
	for (int k = 0; k < RX_WIN_COUNT; k++) {
		struct rx_stats *p = realloc(w->st[k], cap * sizeof *p);
		if (p == NULL)
			return -1;
		for (uint32_t i = w->st_cap; i < cap; i++) {
			memset(&p[i], 0, sizeof p[i]);
			p[i].c.max_talk_ms = -1;
		}
		w->st[k] = p;
	}
	w->st_cap = cap;
	return 0;
}

static void stats_outcome(struct rx_stats *s, uint32_t outcome, int64_t delta)
{
	uint32_t i;

	for (i = 0; i < s->noutcomes && s->outcomes[i].outcome != outcome; i++)
		;
	if (i == s->noutcomes) {
		if (delta < 0)
			return;
		if (s->noutcomes == s->outcomes_cap) {
			uint32_t cap = s->outcomes_cap ? s->outcomes_cap * 2 : 4;
			struct rx_outcome_count *p = realloc(s->outcomes, cap * sizeof *p);
			if (p == NULL)
				return;
			s->outcomes = p;
			s->outcomes_cap = cap;
		}
		s->outcomes[s->noutcomes++] = (struct rx_outcome_count){ outcome, 0 };
	}
	s->outcomes[i].count += (uint64_t)delta;
}

static void stats_apply(struct rx_stats *s, const struct rx_fact *f,
    const struct rx_thresholds *th, int sign)
{
	rx_counters_apply(&s->c, f, th, sign);
	if (f->outcome != 0)
		stats_outcome(s, f->outcome, sign);
}

/* Adds (sign +1) or subtracts a sum of counters; max_talk is left alone on subtraction,
 * as for facts. */
static void stats_add(struct rx_stats *s, const struct rx_stats *from, int sign)
{
	struct rx_counters *c = &s->c;
	const struct rx_counters *f = &from->c;

	if (sign > 0) {
		rx_counters_merge(c, f);
	} else {
		c->answered -= f->answered;
		c->abandoned -= f->abandoned;
		c->within_sl -= f->within_sl;
		c->completed -= f->completed;
		c->long_talks -= f->long_talks;
		c->stale -= f->stale;
		c->wait_ms -= f->wait_ms;
		c->talk_ms -= f->talk_ms;
		c->abandon_wait_ms -= f->abandon_wait_ms;
	}
	for (uint32_t i = 0; i < from->noutcomes; i++)
		stats_outcome(s, from->outcomes[i].outcome, sign * (int64_t)from->outcomes[i].count);
}

static void window_apply_to(struct rx_windows *w, enum rx_window_id win, const struct rx_fact *f,
    const uint32_t *sc, int n, int sign)
{
	for (int i = 0; i < n; i++)
		if (ensure_scopes(w, sc[i]) == 0)
			stats_apply(&w->st[win][sc[i]], f, &w->cfg.th, sign);
}

static void window_apply(struct rx_windows *w, enum rx_window_id win, const struct rx_fact *f,
    int sign)
{
	uint32_t sc[4];
	int n = rx_scopes_of_fact(w->scopes, f, sc);

	window_apply_to(w, win, f, sc, n, sign);
}

/* A new day or shift: every count to zero. The outcome codes stay listed, at 0, so that
 * the Redis sink deletes the outcome fields it wrote before (as when 15m rolls one out);
 * freed here, yesterday's outcomes would stay in today's hashes. */
static void window_reset(struct rx_windows *w, enum rx_window_id win)
{
	for (uint32_t i = 0; i < w->st_cap; i++) {
		struct rx_stats *s = &w->st[win][i];
		s->c = (struct rx_counters)RX_COUNTERS_INIT;
		for (uint32_t k = 0; k < s->noutcomes; k++)
			s->outcomes[k].count = 0;
	}
}

const struct rx_stats *rx_windows_get(const struct rx_windows *w, enum rx_window_id win,
    uint32_t scope)
{
	if (scope >= w->st_cap || w->st[win] == NULL)
		return NULL;
	if (!w->cfg.rolling && (win == RX_WIN_15M || win == RX_WIN_1H))
		return NULL;
	return &w->st[win][scope];
}

int64_t rx_windows_start(const struct rx_windows *w, enum rx_window_id win)
{
	return w->start[win];
}

/* ---- the rolling ring ---- */

static struct rx_fact *ring_at(struct rx_windows *w, uint32_t off)
{
	return &w->ring[(w->ring_head + off) & (w->ring_cap - 1)];
}

static int ring_grow(struct rx_windows *w)
{
	uint32_t cap = w->ring_cap ? w->ring_cap * 2 : 1024;
	struct rx_fact *p = malloc(cap * sizeof *p);

	if (p == NULL)
		return -1;
	for (uint32_t i = 0; i < w->ring_len; i++)
		p[i] = *ring_at(w, i);
	free(w->ring);
	w->ring = p;
	w->ring_cap = cap;
	w->ring_head = 0;
	return 0;
}

/* Insert in time order; usually at the end, late facts walk back a few places. */
static void ring_insert(struct rx_windows *w, const struct rx_fact *f)
{
	uint32_t pos;

	if (w->ring_len == w->ring_cap && ring_grow(w) != 0)
		return;
	pos = w->ring_len++;
	while (pos > 0 && ring_at(w, pos - 1)->ts_ms > f->ts_ms) {
		*ring_at(w, pos) = *ring_at(w, pos - 1);
		pos--;
	}
	*ring_at(w, pos) = *f;
	if (f->ts_ms > w->now - QUARTER_MS)
		window_apply(w, RX_WIN_15M, f, +1);
	else
		w->quarter_at++;   /* inserted before the 15m cursor */
	window_apply(w, RX_WIN_1H, f, +1);
}

static bool same_fact(const struct rx_fact *a, const struct rx_fact *b)
{
	return a->ts_ms == b->ts_ms && a->kind == b->kind && a->dur_ms == b->dur_ms &&
	    a->queue == b->queue && a->platform == b->platform && a->seat == b->seat &&
	    a->outcome == b->outcome && a->outbound == b->outbound;
}

/* Withdraws a fact inserted earlier; identical facts count the same, so any one will do.
 * Searched from the newest end: retractions come within the reorder grace. */
static void ring_remove(struct rx_windows *w, const struct rx_fact *f)
{
	uint32_t pos = w->ring_len;

	while (pos > 0 && !same_fact(ring_at(w, pos - 1), f))
		pos--;
	if (pos-- == 0)
		return;
	if (pos >= w->quarter_at)
		window_apply(w, RX_WIN_15M, f, -1);
	else
		w->quarter_at--;
	window_apply(w, RX_WIN_1H, f, -1);
	for (; pos + 1 < w->ring_len; pos++)
		*ring_at(w, pos) = *ring_at(w, pos + 1);
	w->ring_len--;
}

static void ring_roll(struct rx_windows *w)
{
	while (w->quarter_at < w->ring_len && ring_at(w, w->quarter_at)->ts_ms <= w->now - QUARTER_MS)
		window_apply(w, RX_WIN_15M, ring_at(w, w->quarter_at++), -1);
	while (w->ring_len > 0 && ring_at(w, 0)->ts_ms <= w->now - HOUR_MS) {
		window_apply(w, RX_WIN_1H, ring_at(w, 0), -1);
		w->ring_head = (w->ring_head + 1) & (w->ring_cap - 1);
		w->ring_len--;
		w->quarter_at--;
	}
}

/* ---- restored minutes in the rolling windows ---- */

static int restored_grow(struct rx_windows *w)
{
	struct restored *p = rx_array_grow(w->rest, sizeof *p, &w->rest_cap, 64);

	if (p == NULL)
		return -1;
	w->rest = p;
	return 0;
}

/* In time order, like ring_insert: a minute already out of 15m goes before its cursor. */
static int restored_insert(struct rx_windows *w, int64_t ts, uint32_t scope,
    const struct rx_stats *st)
{
	uint32_t pos;

	if (w->nrest == w->rest_cap && restored_grow(w) != 0)
		return -1;
	pos = w->nrest++;
	while (pos > w->rest_head && w->rest[pos - 1].ts_ms > ts) {
		w->rest[pos] = w->rest[pos - 1];
		pos--;
	}
	memset(&w->rest[pos], 0, sizeof w->rest[pos]);
	w->rest[pos].ts_ms = ts;
	w->rest[pos].scope = scope;
	w->rest[pos].st.c.max_talk_ms = -1;
	stats_add(&w->rest[pos].st, st, +1);
	if (ts > w->now - QUARTER_MS)
		stats_add(&w->st[RX_WIN_15M][scope], st, +1);
	else
		w->rest_quarter++;
	stats_add(&w->st[RX_WIN_1H][scope], st, +1);
	return 0;
}

static void restored_roll(struct rx_windows *w)
{
	while (w->rest_quarter < w->nrest && w->rest[w->rest_quarter].ts_ms <= w->now - QUARTER_MS) {
		const struct restored *r = &w->rest[w->rest_quarter++];
		stats_add(&w->st[RX_WIN_15M][r->scope], &r->st, -1);
	}
	while (w->rest_head < w->nrest && w->rest[w->rest_head].ts_ms <= w->now - HOUR_MS) {
		struct restored *r = &w->rest[w->rest_head++];
		stats_add(&w->st[RX_WIN_1H][r->scope], &r->st, -1);
		free(r->st.outcomes);
	}
	if (w->rest_head == w->nrest && w->rest != NULL) {   /* the hour after a restart is over */
		free(w->rest);
		w->rest = NULL;
		w->nrest = w->rest_cap = w->rest_head = w->rest_quarter = 0;
	}
}

static void restored_max(struct rx_windows *w)
{
	for (uint32_t i = w->rest_head; i < w->nrest; i++) {
		const struct restored *r = &w->rest[i];
		struct rx_counters *h = &w->st[RX_WIN_1H][r->scope].c;
		struct rx_counters *q = &w->st[RX_WIN_15M][r->scope].c;
		if (r->st.c.max_talk_ms > h->max_talk_ms)
			h->max_talk_ms = r->st.c.max_talk_ms;
		if (i >= w->rest_quarter && r->st.c.max_talk_ms > q->max_talk_ms)
			q->max_talk_ms = r->st.c.max_talk_ms;
	}
}

void rx_windows_refresh_max(struct rx_windows *w)
{
	for (uint32_t i = 0; i < w->st_cap; i++) {
		w->st[RX_WIN_15M][i].c.max_talk_ms = -1;
		w->st[RX_WIN_1H][i].c.max_talk_ms = -1;
	}
	for (uint32_t off = 0; off < w->ring_len; off++) {
		const struct rx_fact *f = ring_at(w, off);
		uint32_t sc[4];
		int n;
		if (f->kind != RX_FACT_COMPLETED)
			continue;
		n = rx_scopes_of_fact(w->scopes, f, sc);
		for (int i = 0; i < n; i++) {
			struct rx_counters *h = &w->st[RX_WIN_1H][sc[i]].c;
			struct rx_counters *q = &w->st[RX_WIN_15M][sc[i]].c;
			if (f->dur_ms > h->max_talk_ms)
				h->max_talk_ms = f->dur_ms;
			if (off >= w->quarter_at && f->dur_ms > q->max_talk_ms)
				q->max_talk_ms = f->dur_ms;
		}
	}
	restored_max(w);
}

/* ---- report buckets ---- */

static uint64_t bucket_hash(bool day, int64_t code, uint32_t scope)
{
	uint64_t x = ((uint64_t)code << 21) ^ ((uint64_t)scope << 1) ^ (uint64_t)day;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void bindex_put(struct rx_windows *w, uint32_t idx)
{
	const struct bucket *b = &w->buckets[idx];
	uint32_t i = (uint32_t)bucket_hash(b->day, b->code, b->scope) & w->bmask;

	while (w->bindex[i] != 0)
		i = (i + 1) & w->bmask;
	w->bindex[i] = idx + 1;
}

static int bindex_rebuild(struct rx_windows *w, uint32_t mask)
{
	uint32_t *p = calloc((size_t)mask + 1, sizeof *p);

	if (p == NULL)
		return -1;
	free(w->bindex);
	w->bindex = p;
	w->bmask = mask;
	for (uint32_t i = 0; i < w->nbuckets; i++)
		bindex_put(w, i);
	return 0;
}

static struct bucket *bucket_get(struct rx_windows *w, bool day, int64_t code, uint32_t scope,
    int64_t start_ms)
{
	uint32_t i;

	if (w->bindex == NULL && bindex_rebuild(w, 1023) != 0)
		return NULL;
	for (i = (uint32_t)bucket_hash(day, code, scope) & w->bmask; w->bindex[i]; i = (i + 1) & w->bmask) {
		struct bucket *b = &w->buckets[w->bindex[i] - 1];
		if (b->code == code && b->scope == scope && b->day == day)
			return b;
	}
	if (w->nbuckets == w->buckets_cap) {
		uint32_t cap = w->buckets_cap ? w->buckets_cap * 2 : 256;
		struct bucket *p = realloc(w->buckets, cap * sizeof *p);
		if (p == NULL)
			return NULL;
		w->buckets = p;
		w->buckets_cap = cap;
	}
	memset(&w->buckets[w->nbuckets], 0, sizeof w->buckets[0]);
	w->buckets[w->nbuckets] = (struct bucket){ .start_ms = start_ms, .code = code,
		.scope = scope, .day = day };
	w->buckets[w->nbuckets].st.c.max_talk_ms = -1;
	if ((w->nbuckets + 1) * 2 > w->bmask) {
		w->nbuckets++;
		if (bindex_rebuild(w, w->bmask * 2 + 1) != 0) {
			w->nbuckets--;
			return NULL;
		}
		return &w->buckets[w->nbuckets - 1];
	}
	w->bindex[i] = w->nbuckets + 1;
	return &w->buckets[w->nbuckets++];
}

static void buckets_fact(struct rx_windows *w, const struct rx_fact *f, int sign)
{
	int32_t day;
	int64_t day_start = rx_tz_day_start(w->tz, f->ts_ms, &day);
	int64_t minute = rx_tz_minute_code(w->tz, f->ts_ms);
	int64_t minute_start = f->ts_ms - (f->ts_ms - day_start) % 60000;
	uint32_t sc[4];
	int n = rx_scopes_of_fact(w->scopes, f, sc);

	for (int i = 0; i < n; i++) {
		struct bucket *b = bucket_get(w, false, minute, sc[i], minute_start);
		if (b != NULL) {
			stats_apply(&b->st, f, &w->cfg.th, sign);
			b->dirty = true;
		}
		b = bucket_get(w, true, day, sc[i], day_start);
		if (b != NULL) {
			stats_apply(&b->st, f, &w->cfg.th, sign);
			b->dirty = true;
		}
	}
}

/* Drop minute buckets past their Redis TTL; the vector is compacted, the index rebuilt. */
static void buckets_prune(struct rx_windows *w)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < w->nbuckets; i++) {
		struct bucket *b = &w->buckets[i];
		if (!b->day && !b->dirty && b->start_ms < w->now - BUCKET_KEEP_MS) {
			free(b->st.outcomes);
			continue;
		}
		w->buckets[kept++] = *b;
	}
	if (kept != w->nbuckets) {
		w->nbuckets = kept;
		bindex_rebuild(w, w->bmask);
	}
}

/* Newest first (buckets are appended as their minutes come): when a full rewrite is spread
 * over several flushes, the current minute still goes out at every one. */
uint32_t rx_windows_dirty_buckets(struct rx_windows *w, rx_bucket_cb cb, void *arg,
    uint32_t max)
{
	uint32_t left = 0;

	for (uint32_t i = w->nbuckets; i-- > 0;) {
		struct bucket *b = &w->buckets[i];
		if (!b->dirty)
			continue;
		if (max == 0) {
			left++;
			continue;
		}
		max--;
		b->dirty = false;
		cb(b->day, b->code, b->scope, &b->st, arg);
	}
	return left;
}

const struct rx_stats *rx_windows_bucket(const struct rx_windows *w, bool day, int64_t code,
    uint32_t scope)
{
	if (w->bindex == NULL)
		return NULL;
	for (uint32_t i = (uint32_t)bucket_hash(day, code, scope) & w->bmask; w->bindex[i];
	    i = (i + 1) & w->bmask) {
		const struct bucket *b = &w->buckets[w->bindex[i] - 1];
		if (b->code == code && b->scope == scope && b->day == day)
			return &b->st;
	}
	return NULL;
}

void rx_windows_foreach_bucket(const struct rx_windows *w, rx_bucket_cb cb, void *arg)
{
	for (uint32_t i = 0; i < w->nbuckets; i++)
		cb(w->buckets[i].day, w->buckets[i].code, w->buckets[i].scope, &w->buckets[i].st, arg);
}

void rx_windows_touch_buckets(struct rx_windows *w)
{
	for (uint32_t i = 0; i < w->nbuckets; i++)
		w->buckets[i].dirty = true;
}

/* ---- rolling the clock, and facts ---- */

void rx_windows_roll(struct rx_windows *w, int64_t now_ms)
{
	if (now_ms <= w->now)
		return;
	if (w->now == INT64_MIN) {
		w->start[RX_WIN_ALL] = now_ms;
		w->next_prune = now_ms + HOUR_MS;
	}
	w->now = now_ms;
	if (now_ms >= w->end[RX_WIN_TODAY]) {
		window_reset(w, RX_WIN_TODAY);
		w->start[RX_WIN_TODAY] = rx_tz_day_start(w->tz, now_ms, NULL);
		w->end[RX_WIN_TODAY] = rx_tz_next_day(w->tz, now_ms);
	}
	if (now_ms >= w->end[RX_WIN_SHIFT]) {
		window_reset(w, RX_WIN_SHIFT);
		w->start[RX_WIN_SHIFT] = rx_tz_shift_start(w->tz, now_ms);
		w->end[RX_WIN_SHIFT] = rx_tz_next_shift(w->tz, now_ms);
	}
	if (w->cfg.rolling) {
		w->start[RX_WIN_15M] = now_ms - QUARTER_MS;
		w->start[RX_WIN_1H] = now_ms - HOUR_MS;
		ring_roll(w);
		restored_roll(w);
	}
	if (w->cfg.buckets && now_ms >= w->next_prune) {
		buckets_prune(w);
		w->next_prune = now_ms + HOUR_MS;
	}
}

void rx_windows_fact(struct rx_windows *w, const struct rx_fact *f)
{
	uint32_t sc[4];
	int n = rx_scopes_of_fact(w->scopes, f, sc);
	int sign = f->retract ? -1 : +1;

	window_apply_to(w, RX_WIN_ALL, f, sc, n, sign);
	if (f->ts_ms >= w->start[RX_WIN_TODAY])
		window_apply_to(w, RX_WIN_TODAY, f, sc, n, sign);
	if (f->ts_ms >= w->start[RX_WIN_SHIFT])
		window_apply_to(w, RX_WIN_SHIFT, f, sc, n, sign);
	if (w->cfg.rolling && f->ts_ms > w->now - HOUR_MS) {
		if (f->retract)
			ring_remove(w, f);
		else
			ring_insert(w, f);
	}
	if (w->cfg.buckets)
		buckets_fact(w, f, sign);
}

/* ---- restoring without a journal ---- */

int rx_windows_restore_minute(struct rx_windows *w, int64_t start_ms, uint32_t scope,
    const struct rx_stats *st)
{
	int64_t last = start_ms + 60000 - 1;
	struct bucket *b;

	if (w->now == INT64_MIN || ensure_scopes(w, scope) != 0)
		return -1;
	stats_add(&w->st[RX_WIN_ALL][scope], st, +1);
	if (start_ms < w->start[RX_WIN_ALL])
		w->start[RX_WIN_ALL] = start_ms;
	/* day and shift boundaries fall on whole minutes: a minute is in or out whole */
	if (start_ms >= w->start[RX_WIN_TODAY])
		stats_add(&w->st[RX_WIN_TODAY][scope], st, +1);
	if (start_ms >= w->start[RX_WIN_SHIFT])
		stats_add(&w->st[RX_WIN_SHIFT][scope], st, +1);
	if (w->cfg.rolling && last > w->now - HOUR_MS && restored_insert(w, last, scope, st) != 0)
		return -1;
	if (!w->cfg.buckets)
		return 0;
	b = bucket_get(w, false, rx_tz_minute_code(w->tz, start_ms), scope, start_ms);
	if (b == NULL)
		return -1;
	stats_add(&b->st, st, +1);
	return 0;
}

int rx_windows_restore_day(struct rx_windows *w, int64_t ms, uint32_t scope,
    const struct rx_stats *st)
{
	int32_t day;
	int64_t start = rx_tz_day_start(w->tz, ms, &day);
	struct bucket *b;

	if (w->now == INT64_MIN)
		return -1;
	if (!w->cfg.buckets)
		return 0;
	if ((b = bucket_get(w, true, day, scope, start)) == NULL)
		return -1;
	stats_add(&b->st, st, +1);
	return 0;
}
