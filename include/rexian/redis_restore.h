/*
 * redis_restore.h: rexiand without a journal puts its windows back, at start, from what an
 * earlier run wrote to Redis: the per-minute buckets since the earliest of local midnight,
 * the current shift's start and an hour before that run's last clock, and the per-day
 * buckets of those days (window.h, "Restoring"; README, "Reliability").
 *
 * What cannot come back is said in one log line: calls in flight (their later answers and
 * hangups count as orphans), events after the last flush, the dedup memory, seat states,
 * and the rolling windows' precision below a minute.
 */
#ifndef REXIAN_REDIS_RESTORE_H
#define REXIAN_REDIS_RESTORE_H

#include <stdint.h>

#include "rexian/engine.h"
#include "rexian/redis_sink.h"

/* Restores into e, which must not have seen anything yet. Blocking, a few seconds at most
 * when Redis is slow or dead. Returns the earlier run's clock, from which the caller's own
 * clock goes on, or INT64_MIN when nothing was restored (the reason is logged). */
int64_t rx_redis_restore(struct rx_engine *e, const struct rx_redis_sink *s, const char *prefix);

#endif
