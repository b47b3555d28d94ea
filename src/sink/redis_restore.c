/*
 * redis_restore.c: reads an earlier run's buckets back from Redis and hands them to the
 * windows (rx_windows_restore_minute / _day).
 *
 * The earlier run's clock is `<prefix>:live` clock_ms, written at every flush; the span
 * restored runs from the earliest of local midnight, the shift start and an hour before
 * that clock (what today, shift, 15m and 1h need) to the clock. The keys are found with
 * SCAN, since the scopes are not known in advance: one pass over `<prefix>:min:*` kept to
 * the span's minutes, and one over `<prefix>:day:<D>:*` per day of the span. Each day
 * bucket is restored from its own hash, not from its minutes: the span may hold only the
 * end of yesterday, and every hash the new run rewrites must go on from its stored value.
 *
 * All or nothing: every reply is read before any is applied, so a read cut short (a dead,
 * slow or stalled Redis) leaves the windows empty rather than half restored. Each step
 * has a short timeout and the whole read a budget, so start is delayed by seconds at most.
 */
#include "rexian/redis_restore.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "rexian/array.h"
#include "rexian/log.h"

#define RESTORE_TIMEOUT_MS 1500   /* connect, and each command */
#define RESTORE_BUDGET_MS 10000   /* the whole read */
#define RESTORE_BATCH 512         /* HGETALLs pipelined at once */
#define MINUTE_MS 60000LL
#define HOUR_MS (60 * MINUTE_MS)

struct minute {             /* a minute of the span: its key code and first millisecond */
	int64_t code;
	int64_t start;
	bool restored;
};

struct item {               /* one bucket hash to read back */
	char *key;
	size_t scope_at;        /* where the scope name starts in key */
	bool day;
	int64_t ms;             /* the minute's start, or a millisecond of the day */
	redisReply *reply;
};

struct restore {
	struct rx_engine *e;
	redisContext *c;
	const char *prefix;
	int64_t clock, from;
	long long waiting, on_call;   /* at the earlier run's last flush */
	struct minute *minutes;
	size_t nminutes;
	struct item *items;
	size_t nitems, items_cap;
	int64_t deadline;
	char why[300];                /* why nothing was restored */
	bool first_start;             /* no earlier run's clock: nothing to warn about */
};

/* ---- reading ---- */

static bool over_budget(struct restore *r)
{
	if (rx_monotonic_ms() <= r->deadline)
		return false;
	snprintf(r->why, sizeof r->why, "reading took over %d s", RESTORE_BUDGET_MS / 1000);
	return true;
}

static long long reply_ll(const redisReply *r, long long dflt)
{
	return r != NULL && r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : dflt;
}

/* The earlier run's clock and what was in flight at its last flush. */
static int read_live(struct restore *r)
{
	redisReply *rep = redisCommand(r->c, "HMGET %s:live clock_ms waiting seats_on_call",
	    r->prefix);
	int rc = -1;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3) {
		snprintf(r->why, sizeof r->why, "reading %s:live: %s", r->prefix,
		    rep == NULL ? r->c->errstr : rep->type == REDIS_REPLY_ERROR ? rep->str : "bad reply");
	} else if ((r->clock = reply_ll(rep->element[0], 0)) <= 0) {
		snprintf(r->why, sizeof r->why, "Redis has no clock in %s:live (a first start?)",
		    r->prefix);
		r->first_start = true;
	} else {
		r->waiting = reply_ll(rep->element[1], 0);
		r->on_call = reply_ll(rep->element[2], 0);
		rc = 0;
	}
	freeReplyObject(rep);
	return rc;
}

static int minute_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct minute *)a)->code, y = ((const struct minute *)b)->code;

	return (x > y) - (x < y);
}

/* The span's minutes, sorted by code for the key lookup. */
static int span_minutes(struct restore *r)
{
	struct rx_tz *tz = &r->e->tz;
	int64_t hour_ago = r->clock - HOUR_MS, from;

	from = hour_ago - (hour_ago - rx_tz_day_start(tz, hour_ago, NULL)) % MINUTE_MS;
	if (rx_tz_day_start(tz, r->clock, NULL) < from)
		from = rx_tz_day_start(tz, r->clock, NULL);
	if (rx_tz_shift_start(tz, r->clock) < from)
		from = rx_tz_shift_start(tz, r->clock);
	r->from = from;
	r->nminutes = (size_t)((r->clock - from) / MINUTE_MS + 1);
	if ((r->minutes = calloc(r->nminutes, sizeof *r->minutes)) == NULL) {
		snprintf(r->why, sizeof r->why, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r->nminutes; i++) {
		r->minutes[i].start = from + (int64_t)i * MINUTE_MS;
		r->minutes[i].code = rx_tz_minute_code(tz, r->minutes[i].start);
	}
	qsort(r->minutes, r->nminutes, sizeof *r->minutes, minute_cmp);
	return 0;
}

static struct minute *find_minute(struct restore *r, int64_t code)
{
	struct minute key = { .code = code };

	return bsearch(&key, r->minutes, r->nminutes, sizeof *r->minutes, minute_cmp);
}

static int add_item(struct restore *r, const char *key, size_t len, size_t scope_at, bool day,
    int64_t ms)
{
	struct item *it;

	if (r->nitems == r->items_cap) {
		struct item *p = rx_array_grow(r->items, sizeof *p, &r->items_cap, 1024);
		if (p == NULL)
			return -1;
		r->items = p;
	}
	it = &r->items[r->nitems];
	if ((it->key = strndup(key, len)) == NULL)
		return -1;
	it->scope_at = scope_at;
	it->day = day;
	it->ms = ms;
	it->reply = NULL;
	r->nitems++;
	return 0;
}

/* `<prefix>:min:<YYYYMMDDHHMM>:<scope>`, kept if the minute is in the span. */
static int take_minute_key(struct restore *r, const char *key, size_t len)
{
	size_t at = strlen(r->prefix) + 5;
	char *end;
	long long code;
	struct minute *m;

	if (len <= at || strncmp(key, r->prefix, at - 5) != 0 || strncmp(key + at - 5, ":min:", 5) != 0)
		return 0;
	code = strtoll(key + at, &end, 10);
	if (*end != ':' || (m = find_minute(r, code)) == NULL)
		return 0;
	return add_item(r, key, len, (size_t)(end + 1 - key), false, m->start);
}

/* `<prefix>:day:<YYYYMMDD>:<scope>`, matched by the SCAN pattern already. */
static int take_day_key(struct restore *r, const char *key, size_t len, int64_t day_ms)
{
	size_t at = strlen(r->prefix) + 5;
	const char *colon = len > at ? memchr(key + at, ':', len - at) : NULL;

	if (colon == NULL)
		return 0;
	return add_item(r, key, len, (size_t)(colon + 1 - key), true, day_ms);
}

/* A prefix may hold glob characters; SCAN MATCH must see them literally. */
static void glob_escape(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 2 < size; s++) {
		if (strchr("*?[]\\", *s) != NULL)
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n] = '\0';
}

/* Every key matching pattern: day_ms < 0 for minute keys, else a millisecond of the day. */
static int scan(struct restore *r, const char *pattern, int64_t day_ms)
{
	char cursor[32] = "0";

	do {
		redisReply *rep = redisCommand(r->c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
		int rc = 0;
		if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING || rep->element[1]->type != REDIS_REPLY_ARRAY) {
			snprintf(r->why, sizeof r->why, "SCAN %s: %s", pattern, rep == NULL ? r->c->errstr :
			    rep->type == REDIS_REPLY_ERROR ? rep->str : "bad reply");
			freeReplyObject(rep);
			return -1;
		}
		snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str);
		for (size_t i = 0; i < rep->element[1]->elements && rc == 0; i++) {
			const redisReply *k = rep->element[1]->element[i];
			if (k->type != REDIS_REPLY_STRING)
				continue;
			rc = day_ms < 0 ? take_minute_key(r, k->str, k->len) :
			    take_day_key(r, k->str, k->len, day_ms);
		}
		freeReplyObject(rep);
		if (rc != 0) {
			snprintf(r->why, sizeof r->why, "out of memory");
			return -1;
		}
		if (over_budget(r))
			return -1;
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

static int find_keys(struct restore *r)
{
	char esc[300], pattern[340];
	int32_t day;

	glob_escape(esc, sizeof esc, r->prefix);
	snprintf(pattern, sizeof pattern, "%s:min:*", esc);
	if (scan(r, pattern, -1) != 0)
		return -1;
	for (int64_t t = r->from; t <= r->clock; t = rx_tz_next_day(&r->e->tz, t)) {
		rx_tz_day_start(&r->e->tz, t, &day);
		snprintf(pattern, sizeof pattern, "%s:day:%d:*", esc, (int)day);
		if (scan(r, pattern, t) != 0)
			return -1;
	}
	return 0;
}

/* HGETALL of every item, RESTORE_BATCH in flight at a time. */
static int read_items(struct restore *r)
{
	for (size_t at = 0; at < r->nitems; at += RESTORE_BATCH) {
		size_t end = at + RESTORE_BATCH < r->nitems ? at + RESTORE_BATCH : r->nitems;
		for (size_t i = at; i < end; i++)
			redisAppendCommand(r->c, "HGETALL %s", r->items[i].key);
		for (size_t i = at; i < end; i++) {
			void *rep = NULL;
			if (redisGetReply(r->c, &rep) != REDIS_OK || rep == NULL) {
				snprintf(r->why, sizeof r->why, "reading buckets: %s", r->c->errstr);
				return -1;
			}
			r->items[i].reply = rep;
			if (r->items[i].reply->type != REDIS_REPLY_ARRAY) {
				snprintf(r->why, sizeof r->why, "HGETALL %s: unexpected reply", r->items[i].key);
				return -1;
			}
		}
		if (over_budget(r))
			return -1;
	}
	return 0;
}

/* ---- applying ---- */

/* A bucket hash into counters and outcomes (outcomes malloc'd; free them). */
static int reply_stats(struct rx_engine *e, const redisReply *rep, struct rx_stats *st)
{
	memset(st, 0, sizeof *st);
	st->c.max_talk_ms = -1;
	if (rep->elements > 0 && (st->outcomes = calloc(rep->elements / 2 + 1, sizeof *st->outcomes)) == NULL)
		return -1;
	for (size_t i = 0; i + 1 < rep->elements; i += 2) {
		const char *k = rep->element[i]->str, *v = rep->element[i + 1]->str;
		if (rep->element[i]->type != REDIS_REPLY_STRING || rep->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		if (strncmp(k, "outcome:", 8) == 0 && k[8] != '\0')
			st->outcomes[st->noutcomes++] = (struct rx_outcome_count){
				rx_names_intern(e->names, k + 8, strlen(k + 8)), strtoull(v, NULL, 10) };
		else
			rx_counters_set_raw(&st->c, k, v);   /* seat samples and `offered` are not counters */
	}
	return 0;
}

static uint32_t item_scope(struct rx_engine *e, const struct item *it)
{
	enum rx_scope_type type;
	const char *name;

	if (rx_scope_parse(it->key + it->scope_at, &type, &name) != 0)
		return UINT32_MAX;
	return rx_scopes_get(e->scopes, type,
	    name != NULL ? rx_names_intern(e->names, name, strlen(name)) : 0);
}

struct tally {
	size_t minute_buckets, day_buckets, skipped;
	uint32_t scopes;
};

static void apply(struct restore *r, struct tally *t)
{
	uint8_t *seen = calloc(RX_SCOPE_MAX / 8, 1);

	rx_engine_advance(r->e, r->clock);
	for (size_t i = 0; i < r->nitems; i++) {
		const struct item *it = &r->items[i];
		uint32_t scope = item_scope(r->e, it);
		struct rx_stats st;
		int rc;
		if (scope == UINT32_MAX || reply_stats(r->e, it->reply, &st) != 0) {
			t->skipped++;
			continue;
		}
		rc = it->day ? rx_windows_restore_day(r->e->windows, it->ms, scope, &st) :
		    rx_windows_restore_minute(r->e->windows, it->ms, scope, &st);
		free(st.outcomes);
		if (rc != 0) {
			t->skipped++;
			continue;
		}
		if (seen != NULL && !(seen[scope / 8] & (1u << scope % 8))) {
			seen[scope / 8] |= (uint8_t)(1u << scope % 8);
			t->scopes++;
		}
		if (it->day) {
			t->day_buckets++;
		} else {
			struct minute *m = find_minute(r, rx_tz_minute_code(&r->e->tz, it->ms));
			t->minute_buckets++;
			if (m != NULL)
				m->restored = true;
		}
	}
	free(seen);
}

/* ---- the log line ---- */

static void fmt_minute(char *buf, size_t size, int64_t code)
{
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", (int)(code / 100000000), (int)(code / 1000000 % 100),
	    (int)(code / 10000 % 100), (int)(code / 100 % 100), (int)(code % 100));
}

static void log_restored(struct restore *r, const struct tally *t, int64_t took_ms)
{
	char first[24] = "-", last[24] = "-", clock[32];
	size_t minutes = 0;
	time_t secs = (time_t)(r->clock / 1000);
	struct tm tm;

	for (size_t i = 0; i < r->nminutes; i++) {   /* sorted by code */
		if (!r->minutes[i].restored)
			continue;
		if (minutes++ == 0)
			fmt_minute(first, sizeof first, r->minutes[i].code);
		fmt_minute(last, sizeof last, r->minutes[i].code);
	}
	if (localtime_r(&secs, &tm) == NULL || strftime(clock, sizeof clock, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(clock, sizeof clock, "%lld ms", (long long)r->clock);
	rx_log(r->waiting > 0 || r->on_call > 0 ? RX_LOG_WARN : RX_LOG_INFO, "restore: no journal; "
	    "restored from Redis %zu minutes (%s to %s), %u scopes, %zu minute and %zu day buckets "
	    "(%zu unreadable) in %.2f s, up to the earlier run's clock %s. Not restored: %lld calls "
	    "waiting and %lld seats on a call at its last flush (their later answers and hangups "
	    "count as orphans), events after that flush, the reorder grace and dedup memory of "
	    "ended calls, seat states, and 15m/1h finer than a minute; `all` now starts at %s", minutes, first, last, t->scopes,
	    t->minute_buckets, t->day_buckets, t->skipped, (double)took_ms / 1000, clock,
	    r->waiting, r->on_call, first);
}

/* ---- the whole ---- */

static void restore_free(struct restore *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		free(r->items[i].key);
		freeReplyObject(r->items[i].reply);
	}
	free(r->items);
	free(r->minutes);
	if (r->c != NULL)
		redisFree(r->c);
}

int64_t rx_redis_restore(struct rx_engine *e, const struct rx_redis_sink *s, const char *prefix)
{
	int64_t t0 = rx_monotonic_ms();
	struct restore r = { .e = e, .prefix = prefix, .deadline = t0 + RESTORE_BUDGET_MS };
	struct tally t = { 0 };
	char err[256];
	int64_t clock = INT64_MIN;

	if (e->now != INT64_MIN) {
		snprintf(r.why, sizeof r.why, "the engine has counted already");
	} else if ((r.c = rx_redis_sink_connect_sync(s, RESTORE_TIMEOUT_MS, err, sizeof err)) == NULL) {
		snprintf(r.why, sizeof r.why, "Redis: %s", err);
	} else if (read_live(&r) == 0 && span_minutes(&r) == 0 && find_keys(&r) == 0 &&
	    read_items(&r) == 0) {
		apply(&r, &t);
		log_restored(&r, &t, rx_monotonic_ms() - t0);
		clock = r.clock;
	}
	if (clock == INT64_MIN)
		rx_log(r.first_start ? RX_LOG_INFO : RX_LOG_WARN, "restore: no journal, and nothing restored from Redis: %s; the "
		    "windows start empty (today's buckets in Redis will be rewritten from them)", r.why);
	restore_free(&r);
	return clock;
}
