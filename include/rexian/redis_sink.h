/*
 * redis_sink.h: publishes the engine's figures to Redis for wallboards and reports, with
 * hiredis's async API on the daemon's event loop.
 *
 * Every flush writes absolute values (HSET, never HINCRBY), pipelined in one batch, so a
 * repeated or replayed flush changes nothing. A flush is skipped while the previous one
 * still awaits replies (slow Redis: flushes coalesce). While Redis is down the engine
 * keeps counting; on reconnect the sink writes the full state, buckets included, so Redis
 * ends up as an uninterrupted run would have left it.
 *
 * Keys (README, "Redis keys"):
 *   <prefix>:<window>:<scope>           HASH of metrics; a null metric is absent
 *   <prefix>:min:<YYYYMMDDHHMM>:<scope> HASH of raw counters, 48 h TTL
 *   <prefix>:day:<YYYYMMDD>:<scope>     HASH of raw counters, no TTL
 *   <prefix>:live                       HASH of live gauges
 *   PUBLISH <prefix>:updates            compact JSON summary after each flush
 * scope = global | outbound | queue:<name> | seat:<id> | platform:<name>
 */
#ifndef REXIAN_REDIS_SINK_H
#define REXIAN_REDIS_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rexian/engine.h"

struct event_base;
struct rx_redis_sink;

struct rx_redis_sink_stats {
	bool connected;
	uint64_t connects;        /* successful connections, the first included */
	uint64_t failures;        /* failed connects and lost connections */
	uint64_t flushes;
	uint64_t flushes_skipped; /* previous flush still in flight, or disconnected */
	uint64_t commands;
	uint64_t errors;          /* error replies */
	uint32_t pending;         /* replies awaited */
	uint32_t buckets_behind;  /* minute and day hashes left for the next flushes to write */
	double last_flush_ms;     /* from first command to last reply */
};

/* url: redis://[[user]:password@]host:port[/db] or unix:///path[?db=N]. NULL with a reason
 * in err on a malformed URL; connection failures are not errors here: it keeps trying. */
struct rx_redis_sink *rx_redis_sink_new(struct event_base *base, const char *url,
    const char *prefix, char *err, size_t errlen);
void rx_redis_sink_free(struct rx_redis_sink *s);

/* Writes the engine's current state. summary is the JSON published on <prefix>:updates. */
void rx_redis_sink_flush(struct rx_redis_sink *s, struct rx_engine *e, const char *summary);
bool rx_redis_sink_idle(const struct rx_redis_sink *s);
/* One more command in the pipeline (alerts); false, and nothing sent, while disconnected. */
bool rx_redis_sink_command(struct rx_redis_sink *s, int argc, const char **argv, const size_t *lens);
const struct rx_redis_sink_stats *rx_redis_sink_stats(const struct rx_redis_sink *s);

/* <prefix>:staffing:<scope>: the live staffing row (absent fields: no value). */
struct rx_staffing_row;
void rx_redis_sink_staffing(struct rx_redis_sink *s, const struct rx_engine *e, uint32_t scope,
    const struct rx_staffing_row *row, uint32_t logged_in);

/* A blocking connection with the sink's address, credentials and database, each step
 * bounded by timeout_ms: for reading at start (redis_restore.h). NULL and a reason in err
 * if Redis cannot be reached or refuses the login. Free with redisFree. */
struct redisContext;
struct redisContext *rx_redis_sink_connect_sync(const struct rx_redis_sink *s, int timeout_ms,
    char *err, size_t errlen);

/* Scope key suffix ("queue:12345") into buf. */
void rx_redis_scope_name(const struct rx_engine *e, uint32_t scope, char *buf, size_t size);

#endif
