/*
 * redis_sink.c: the Redis writer: connection life, and one pipelined batch per flush.
 *
 * hiredis 0.14 calls the connect callback with an error on a failed connect and never
 * the disconnect callback, and it frees the context itself after either: so both
 * callbacks forget the context and arm the retry timer, and nothing else frees it.
 */
#include "rexian/redis_sink.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "rexian/jsonw.h"
#include "rexian/log.h"
#include "rexian/staffing_live.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000
#define MINUTE_TTL "172800"
/* A reconnect to an empty Redis rewrites every bucket kept (48 h of minutes, every scope):
 * hundreds of thousands of hashes. Spread over flushes, each pipeline stays small, memory
 * does not jump, and the live figures keep their pace; the newest minutes go first. */
#define BUCKETS_PER_FLUSH 20000
#define CMD_ARGS 96

/* Seats logged in, sampled at each flush, per minute: kept here for the minute hashes' TTL
 * so that a Redis that lost them gets them back with the rest of the state. */
#define SEAT_MINUTES 2880
struct seat_sample {
	int64_t epoch_minute;         /* ms / 60000; 0: unused */
	int64_t code;                 /* its local minute, YYYYMMDDHHMM */
	uint32_t max;                 /* most seats logged in seen in that minute */
	uint64_t sum, samples;
};

struct rx_redis_sink {
	struct event_base *base;
	redisAsyncContext *ctx;
	struct event *retry;
	int64_t backoff_ms;
	char host[300];
	int port;
	char unix_path[108];
	char user[128];
	char password[256];
	int db;
	char prefix[128];
	bool need_full;           /* write everything: first connect or after an outage */
	bool rewriting;           /* that full write is still spread over flushes */
	uint64_t rewrite_hashes;  /* minute and day hashes it wrote so far */
	uint32_t rewrite_flushes;
	bool down_logged;
	int64_t down_since;
	int64_t flush_started;
	struct rx_ratelimit error_rl;
	struct rx_redis_sink_stats stats;
	bool seats_rewrite;           /* the next flush writes every kept seat sample */
	struct seat_sample seats[SEAT_MINUTES];
};

/* One command's arguments, copied into its own storage. */
struct cmd {
	int argc;
	const char *argv[CMD_ARGS];
	size_t len[CMD_ARGS];
	char store[16384];
	size_t used;
};

static void cmd_reset(struct cmd *c)
{
	c->argc = 0;
	c->used = 0;
}

static bool cmd_add(struct cmd *c, const char *s, size_t len)
{
	if (c->argc == CMD_ARGS || c->used + len > sizeof c->store)
		return false;
	memcpy(c->store + c->used, s, len);
	c->argv[c->argc] = c->store + c->used;
	c->len[c->argc++] = len;
	c->used += len;
	return true;
}

static bool cmd_addf(struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool cmd_addf(struct cmd *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < sizeof buf && cmd_add(c, buf, (size_t)n);
}

static void schedule_retry(struct rx_redis_sink *s);

static void count_error(struct rx_redis_sink *s, const redisReply *reply)
{
	uint64_t suppressed;

	if (reply == NULL || reply->type != REDIS_REPLY_ERROR)
		return;
	s->stats.errors++;
	if (rx_ratelimit_allow(&s->error_rl, rx_monotonic_ms(), &suppressed))
		rx_log(RX_LOG_WARN, "redis: error reply: %.200s (%llu more suppressed)", reply->str,
		    (unsigned long long)suppressed);
}

/* A reply to a flush command: the flush is over when the last one is in. */
static void reply_cb(redisAsyncContext *ctx, void *r, void *arg)
{
	struct rx_redis_sink *s = arg;

	(void)ctx;
	if (s->stats.pending > 0 && --s->stats.pending == 0)
		s->stats.last_flush_ms = (double)(rx_monotonic_ms() - s->flush_started);
	count_error(s, r);
}

/* A reply to anything else (setup, staffing, alerts): flushes do not wait on these. */
static void side_reply_cb(redisAsyncContext *ctx, void *r, void *arg)
{
	(void)ctx;
	count_error(arg, r);
}

static void send_side(struct rx_redis_sink *s, struct cmd *c)
{
	if (s->ctx != NULL && c->argc > 0 &&
	    redisAsyncCommandArgv(s->ctx, side_reply_cb, s, c->argc, c->argv, c->len) == REDIS_OK)
		s->stats.commands++;
}

static void send_cmd(struct rx_redis_sink *s, struct cmd *c)
{
	if (s->ctx == NULL || c->argc == 0)
		return;
	if (redisAsyncCommandArgv(s->ctx, reply_cb, s, c->argc, c->argv, c->len) == REDIS_OK) {
		s->stats.pending++;
		s->stats.commands++;
	}
}

/* ---- connection ---- */

static void went_down(struct rx_redis_sink *s, const char *why)
{
	s->stats.connected = false;
	s->stats.pending = 0;
	s->stats.failures++;
	if (!s->down_logged) {
		rx_log(RX_LOG_WARN, "redis: %s; still counting, retrying with backoff", why);
		s->down_logged = true;
		s->down_since = rx_monotonic_ms();
	}
	schedule_retry(s);
}

static void connect_cb(const redisAsyncContext *ctx, int status)
{
	struct rx_redis_sink *s = ctx->data;

	if (status != REDIS_OK) {
		char why[256];
		snprintf(why, sizeof why, "cannot connect: %s", ctx->errstr);
		s->ctx = NULL;
		went_down(s, why);
		return;
	}
	s->stats.connected = true;
	s->stats.connects++;
	s->need_full = true;
	s->backoff_ms = BACKOFF_MIN_MS;
	if (s->down_logged)
		rx_log(RX_LOG_INFO, "redis: connected again after %.1f s; writing the full state",
		    (double)(rx_monotonic_ms() - s->down_since) / 1000);
	else
		rx_log(RX_LOG_INFO, "redis: connected");
	s->down_logged = false;
}

static void disconnect_cb(const redisAsyncContext *ctx, int status)
{
	struct rx_redis_sink *s = ctx->data;
	char why[256];

	s->ctx = NULL;
	if (s->base == NULL)
		return;   /* our own shutdown */
	snprintf(why, sizeof why, "connection lost: %s", status == REDIS_OK ? "closed" : ctx->errstr);
	went_down(s, why);
}

/* AUTH and SELECT go first in the pipeline; hiredis holds them until connected. */
static void send_setup(struct rx_redis_sink *s)
{
	struct cmd *c = malloc(sizeof *c);

	if (c == NULL)
		return;
	cmd_reset(c);
	if (s->password[0] != '\0') {
		cmd_add(c, "AUTH", 4);
		if (s->user[0] != '\0')
			cmd_add(c, s->user, strlen(s->user));
		cmd_add(c, s->password, strlen(s->password));
		send_side(s, c);
	}
	if (s->db != 0) {
		cmd_reset(c);
		cmd_add(c, "SELECT", 6);
		cmd_addf(c, "%d", s->db);
		send_side(s, c);
	}
	free(c);
}

static void sink_connect(struct rx_redis_sink *s)
{
	redisAsyncContext *ctx = s->unix_path[0] ? redisAsyncConnectUnix(s->unix_path) :
	    redisAsyncConnect(s->host, s->port);

	if (ctx == NULL || ctx->err) {
		char why[256];
		snprintf(why, sizeof why, "cannot connect: %s", ctx ? ctx->errstr : "out of memory");
		if (ctx != NULL)
			redisAsyncFree(ctx);
		went_down(s, why);
		return;
	}
	ctx->data = s;
	s->ctx = ctx;
	redisLibeventAttach(ctx, s->base);
	redisAsyncSetConnectCallback(ctx, connect_cb);
	redisAsyncSetDisconnectCallback(ctx, disconnect_cb);
	s->stats.pending = 0;
	send_setup(s);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sink_connect(arg);
}

static void schedule_retry(struct rx_redis_sink *s)
{
	struct timeval tv = { s->backoff_ms / 1000, (s->backoff_ms % 1000) * 1000 };

	evtimer_add(s->retry, &tv);
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* redis://[[user]:password@]host[:port][/db] or unix:///path[?db=N] */
static int parse_redis_url(struct rx_redis_sink *s, const char *url, char *err, size_t errlen)
{
	const char *p, *at, *slash;
	char hostport[300];

	s->port = 6379;
	if (strncmp(url, "unix://", 7) == 0) {
		const char *q = strstr(url + 7, "?db=");
		size_t n = q ? (size_t)(q - url - 7) : strlen(url + 7);
		if (n == 0 || n >= sizeof s->unix_path)
			goto bad;
		memcpy(s->unix_path, url + 7, n);
		s->db = q ? atoi(q + 4) : 0;
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0)
		goto bad;
	p = url + 8;
	if ((at = strrchr(p, '@')) != NULL) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon == NULL || (size_t)(colon - p) >= sizeof s->user ||
		    (size_t)(at - colon - 1) >= sizeof s->password)
			goto bad;
		memcpy(s->user, p, (size_t)(colon - p));
		memcpy(s->password, colon + 1, (size_t)(at - colon - 1));
		p = at + 1;
	}
	slash = strchr(p, '/');
	snprintf(hostport, sizeof hostport, "%.*s", slash ? (int)(slash - p) : (int)strlen(p), p);
	if (slash != NULL && slash[1] != '\0')
		s->db = atoi(slash + 1);
	if (hostport[0] == '[') {
		char *end = strchr(hostport, ']');
		if (end == NULL)
			goto bad;
		*end = '\0';
		snprintf(s->host, sizeof s->host, "%s", hostport + 1);
		if (end[1] == ':')
			s->port = atoi(end + 2);
	} else {
		char *colon = strrchr(hostport, ':');
		if (colon != NULL) {
			*colon = '\0';
			s->port = atoi(colon + 1);
		}
		snprintf(s->host, sizeof s->host, "%s", hostport);
	}
	if (s->host[0] == '\0' || s->port <= 0 || s->port > 65535)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "bad Redis URL '%s' (want redis://[:password@]host:port[/db] or "
	    "unix:///path)", url);
	return -1;
}

struct rx_redis_sink *rx_redis_sink_new(struct event_base *base, const char *url,
    const char *prefix, char *err, size_t errlen)
{
	struct rx_redis_sink *s = calloc(1, sizeof *s);
	struct rx_ratelimit rl = RX_RATELIMIT_INIT(10000, 5);

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base = base;
	s->error_rl = rl;
	s->backoff_ms = BACKOFF_MIN_MS;
	snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
	if (parse_redis_url(s, url, err, errlen) != 0 ||
	    (s->retry = evtimer_new(base, retry_cb, s)) == NULL) {
		rx_redis_sink_free(s);
		return NULL;
	}
	sink_connect(s);
	return s;
}

void rx_redis_sink_free(struct rx_redis_sink *s)
{
	if (s == NULL)
		return;
	s->base = NULL;
	if (s->ctx != NULL)
		redisAsyncFree(s->ctx);   /* calls disconnect_cb, which sees base == NULL */
	if (s->retry != NULL)
		event_free(s->retry);
	free(s);
}

static bool sync_ok(redisContext *c, redisReply *r, const char *what, char *err, size_t errlen)
{
	bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;

	if (!ok)
		snprintf(err, errlen, "%s: %s", what, r != NULL ? r->str : c->errstr);
	freeReplyObject(r);
	return ok;
}

redisContext *rx_redis_sink_connect_sync(const struct rx_redis_sink *s, int timeout_ms,
    char *err, size_t errlen)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	redisContext *c = s->unix_path[0] ? redisConnectUnixWithTimeout(s->unix_path, tv) :
	    redisConnectWithTimeout(s->host, s->port, tv);

	if (c == NULL || c->err) {
		snprintf(err, errlen, "cannot connect: %s", c ? c->errstr : "out of memory");
		goto fail;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(err, errlen, "cannot set a timeout");
		goto fail;
	}
	if (s->password[0] != '\0' && !sync_ok(c, s->user[0] != '\0' ?
	    redisCommand(c, "AUTH %s %s", s->user, s->password) :
	    redisCommand(c, "AUTH %s", s->password), "AUTH", err, errlen))
		goto fail;
	if (s->db != 0 && !sync_ok(c, redisCommand(c, "SELECT %d", s->db), "SELECT", err, errlen))
		goto fail;
	return c;
fail:
	if (c != NULL)
		redisFree(c);
	return NULL;
}

bool rx_redis_sink_idle(const struct rx_redis_sink *s)
{
	return s->ctx == NULL || s->stats.pending == 0;
}

bool rx_redis_sink_command(struct rx_redis_sink *s, int argc, const char **argv, const size_t *lens)
{
	if (!s->stats.connected || s->ctx == NULL)
		return false;
	if (redisAsyncCommandArgv(s->ctx, side_reply_cb, s, argc, argv, lens) != REDIS_OK)
		return false;
	s->stats.commands++;
	return true;
}

const struct rx_redis_sink_stats *rx_redis_sink_stats(const struct rx_redis_sink *s)
{
	return &s->stats;
}

/* ---- flushing ---- */

void rx_redis_scope_name(const struct rx_engine *e, uint32_t scope, char *buf, size_t size)
{
	const struct rx_scope *sc = rx_scopes_at(e->scopes, scope);

	if (sc->type == RX_SCOPE_GLOBAL || sc->type == RX_SCOPE_OUTBOUND)
		snprintf(buf, size, "%s", rx_scope_type_name(sc->type));
	else
		snprintf(buf, size, "%s:%s", rx_scope_type_name(sc->type),
		    rx_names_str(e->names, sc->name));
}

static void add_metric(struct cmd *set, struct cmd *del, const struct rx_metric *m)
{
	char v[48];

	if (m->type == RX_METRIC_NULL) {
		cmd_add(del, m->name, strlen(m->name));
		return;
	}
	cmd_add(set, m->name, strlen(m->name));
	if (m->type == RX_METRIC_COUNT)
		snprintf(v, sizeof v, "%llu", (unsigned long long)m->count);
	else
		rx_format_real(v, sizeof v, m->real);
	cmd_add(set, v, strlen(v));
}

/* An outcome whose count fell to 0 (it rolled out of 15m or 1h, or was retracted) is
 * deleted, like a null metric: HSET alone would leave its last count in the hash. */
static void add_outcomes(struct cmd *set, struct cmd *del, const struct rx_engine *e,
    const struct rx_stats *st)
{
	for (uint32_t i = 0; i < st->noutcomes; i++) {
		const char *name = rx_names_str(e->names, st->outcomes[i].outcome);
		if (st->outcomes[i].count == 0) {
			cmd_addf(del, "outcome:%s", name);
			continue;
		}
		if (!cmd_addf(set, "outcome:%s", name) ||
		    !cmd_addf(set, "%llu", (unsigned long long)st->outcomes[i].count))
			break;   /* more distinct outcomes than one command holds: the rest wait */
	}
}

/* HSET of the present metrics, then HDEL of the null ones: the hash never reads empty. */
static void write_hash(struct rx_redis_sink *s, const char *key, const struct rx_metric *m,
    int n, const struct rx_engine *e, const struct rx_stats *st, struct cmd *set, struct cmd *del)
{
	cmd_reset(set);
	cmd_reset(del);
	cmd_add(set, "HSET", 4);
	cmd_add(set, key, strlen(key));
	cmd_add(del, "HDEL", 4);
	cmd_add(del, key, strlen(key));
	for (int i = 0; i < n; i++)
		add_metric(set, del, &m[i]);
	if (st != NULL)
		add_outcomes(set, del, e, st);
	if (set->argc > 2)
		send_cmd(s, set);
	if (del->argc > 2)
		send_cmd(s, del);
}

struct bucket_ctx {
	struct rx_redis_sink *s;
	const struct rx_engine *e;
	struct cmd *set, *del;
	uint32_t written;
};

static void bucket_cb(bool day, int64_t code, uint32_t scope, const struct rx_stats *st, void *arg)
{
	struct bucket_ctx *b = arg;
	struct rx_metric m[RX_RAW_COUNT];
	char key[512], name[300];

	rx_redis_scope_name(b->e, scope, name, sizeof name);
	snprintf(key, sizeof key, "%s:%s:%lld:%s", b->s->prefix, day ? "day" : "min",
	    (long long)code, name);
	rx_metrics_raw(&st->c, m);
	write_hash(b->s, key, m, RX_RAW_COUNT, b->e, st, b->set, b->del);
	b->written++;
	if (!day) {
		cmd_reset(b->set);
		cmd_add(b->set, "EXPIRE", 6);
		cmd_add(b->set, key, strlen(key));
		cmd_add(b->set, MINUTE_TTL, strlen(MINUTE_TTL));
		send_cmd(b->s, b->set);
	}
}

static void flush_windows(struct rx_redis_sink *s, struct rx_engine *e, struct cmd *set,
    struct cmd *del)
{
	uint32_t n = rx_scopes_count(e->scopes);
	struct rx_metric m[RX_METRICS_COUNT];
	char key[512], name[300];

	rx_windows_refresh_max(e->windows);
	for (int w = 0; w < RX_WIN_COUNT; w++) {
		for (uint32_t i = 0; i < n; i++) {
			const struct rx_stats *st = rx_windows_get(e->windows, (enum rx_window_id)w, i);
			struct rx_counters zero = RX_COUNTERS_INIT;
			rx_redis_scope_name(e, i, name, sizeof name);
			snprintf(key, sizeof key, "%s:%s:%s", s->prefix, rx_window_name((enum rx_window_id)w), name);
			rx_metrics_derive(st ? &st->c : &zero, m);
			write_hash(s, key, m, RX_METRICS_COUNT, e, st, set, del);
		}
	}
}

static void write_seat_sample(struct rx_redis_sink *s, const struct seat_sample *m,
    struct cmd *c)
{
	char key[256];

	snprintf(key, sizeof key, "%s:min:%lld:global", s->prefix, (long long)m->code);
	cmd_reset(c);
	cmd_add(c, "HSET", 4);
	cmd_add(c, key, strlen(key));
	cmd_addf(c, "seats_logged_in_max");
	cmd_addf(c, "%u", m->max);
	cmd_addf(c, "seats_logged_in_avg");
	cmd_addf(c, "%.3f", (double)m->sum / (double)m->samples);
	send_cmd(s, c);
	cmd_reset(c);
	cmd_add(c, "EXPIRE", 6);
	cmd_add(c, key, strlen(key));
	cmd_add(c, MINUTE_TTL, strlen(MINUTE_TTL));
	send_cmd(s, c);
}

/* Seats logged in, sampled at each flush into the minute's global bucket (peak and mean),
 * so staffing from Redis knows how many seats were there. After a reconnect, the samples
 * of the earlier minutes still within the TTL go again. */
static void flush_seat_minute(struct rx_redis_sink *s, struct rx_engine *e, uint32_t logged_in,
    struct cmd *c)
{
	int64_t now_min;
	struct seat_sample *m;

	if (e->now == INT64_MIN)
		return;
	now_min = e->now / 60000 + (e->now % 60000 < 0 ? -1 : 0);
	m = &s->seats[(uint64_t)now_min % SEAT_MINUTES];
	if (m->epoch_minute != now_min)
		*m = (struct seat_sample){ now_min, rx_tz_minute_code(&e->tz, e->now), 0, 0, 0 };
	if (logged_in > m->max)
		m->max = logged_in;
	m->sum += logged_in;
	m->samples++;
	write_seat_sample(s, m, c);
	if (!s->seats_rewrite)
		return;
	s->seats_rewrite = false;
	for (int i = 0; i < SEAT_MINUTES; i++) {
		const struct seat_sample *o = &s->seats[i];
		if (o != m && o->samples > 0 && o->epoch_minute > now_min - SEAT_MINUTES)
			write_seat_sample(s, o, c);
	}
}

static void flush_live(struct rx_redis_sink *s, struct rx_engine *e, struct cmd *c)
{
	struct rx_live live;

	rx_engine_live(e, &live);
	cmd_reset(c);
	cmd_add(c, "HSET", 4);
	cmd_addf(c, "%s:live", s->prefix);
	cmd_addf(c, "waiting");
	cmd_addf(c, "%u", live.waiting);
	cmd_addf(c, "longest_wait_s");
	cmd_addf(c, "%.3f", live.longest_wait_ms < 0 ? 0.0 : (double)live.longest_wait_ms / 1000);
	cmd_addf(c, "seats_logged_in");
	cmd_addf(c, "%u", live.seats.logged_in);
	cmd_addf(c, "seats_ready");
	cmd_addf(c, "%u", live.seats.ready);
	cmd_addf(c, "seats_on_call");
	cmd_addf(c, "%u", live.seats.on_call);
	cmd_addf(c, "clock_ms");
	cmd_addf(c, "%lld", (long long)e->now);
	send_cmd(s, c);
	flush_seat_minute(s, e, live.seats.logged_in, c);
	rx_live_release(&live);
}

static void note_rewrite(struct rx_redis_sink *s, uint32_t written)
{
	if (!s->rewriting)
		return;
	s->rewrite_hashes += written;
	s->rewrite_flushes++;
	if (s->stats.buckets_behind > 0)
		return;
	s->rewriting = false;
	if (s->rewrite_hashes > 0)
		rx_log(RX_LOG_INFO, "redis: full state written: %llu minute and day hashes over %u %s",
		    (unsigned long long)s->rewrite_hashes, s->rewrite_flushes,
		    s->rewrite_flushes == 1 ? "flush" : "flushes");
}

void rx_redis_sink_flush(struct rx_redis_sink *s, struct rx_engine *e, const char *summary)
{
	struct cmd *set, *del;
	struct bucket_ctx b;

	if (!s->stats.connected || s->stats.pending > 0) {
		s->stats.flushes_skipped++;
		return;
	}
	set = malloc(sizeof *set);
	del = malloc(sizeof *del);
	if (set == NULL || del == NULL)
		goto out;
	if (s->need_full) {
		rx_windows_touch_buckets(e->windows);
		s->need_full = false;
		s->seats_rewrite = true;
		s->rewriting = true;
		s->rewrite_hashes = s->rewrite_flushes = 0;
	}
	s->flush_started = rx_monotonic_ms();
	flush_windows(s, e, set, del);
	b = (struct bucket_ctx){ s, e, set, del, 0 };
	s->stats.buckets_behind = rx_windows_dirty_buckets(e->windows, bucket_cb, &b,
	    BUCKETS_PER_FLUSH);
	note_rewrite(s, b.written);
	flush_live(s, e, set);
	cmd_reset(set);
	cmd_add(set, "PUBLISH", 7);
	cmd_addf(set, "%s:updates", s->prefix);
	cmd_add(set, summary, strlen(summary));
	send_cmd(s, set);
	s->stats.flushes++;
out:
	free(set);
	free(del);
}

void rx_redis_sink_staffing(struct rx_redis_sink *s, const struct rx_engine *e, uint32_t scope,
    const struct rx_staffing_row *row, uint32_t logged_in)
{
	struct cmd *c;
	char name[300];

	if (!s->stats.connected || (c = malloc(sizeof *c)) == NULL)
		return;
	rx_redis_scope_name(e, scope, name, sizeof name);
	cmd_reset(c);
	cmd_add(c, "HSET", 4);
	cmd_addf(c, "%s:staffing:%s", s->prefix, name);
	cmd_addf(c, "calls");
	cmd_addf(c, "%llu", (unsigned long long)row->calls);
	cmd_addf(c, "measured_from_ms");
	cmd_addf(c, "%lld", (long long)row->measured_from_ms);
	cmd_addf(c, "seats_logged_in");
	cmd_addf(c, "%u", logged_in);
	if (!isnan(row->aht_s) && cmd_addf(c, "aht_s"))
		cmd_addf(c, "%.3f", row->aht_s);
	if (!isnan(row->patience_s) && cmd_addf(c, "patience_s"))
		cmd_addf(c, "%.3f", row->patience_s);
	if (!isnan(row->erlangs) && cmd_addf(c, "erlangs"))
		cmd_addf(c, "%.4f", row->erlangs);
	if (row->required_c >= 0 && cmd_addf(c, "required_erlang_c"))
		cmd_addf(c, "%d", row->required_c);
	if (row->required_a >= 0 && cmd_addf(c, "required_erlang_a"))
		cmd_addf(c, "%d", row->required_a);
	send_side(s, c);
	free(c);
}
