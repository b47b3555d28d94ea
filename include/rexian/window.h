/*
 * window.h: counters per scope over the windows supervisors read, and the per-minute and
 * per-day buckets that Redis keeps for reports.
 *
 *   15m, 1h   rolling: facts stamped in (now - length, now], to the millisecond
 *   today     since local midnight       shift   since the latest shift start
 *   all       since the engine started (after a restore, since its earliest minute)
 *
 * Rolling windows keep the facts of the last hour in time order and subtract what ages
 * out, so they are exact rather than bucketed. Facts arrive stamped at or before `now`;
 * the owner rolls the windows to `now` before handing over facts of that time.
 */
#ifndef REXIAN_WINDOW_H
#define REXIAN_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "rexian/metrics.h"
#include "rexian/scope.h"
#include "rexian/tz.h"

enum rx_window_id { RX_WIN_15M, RX_WIN_1H, RX_WIN_TODAY, RX_WIN_SHIFT, RX_WIN_ALL, RX_WIN_COUNT };

struct rx_outcome_count {
	uint32_t outcome;   /* name id */
	uint64_t count;
};

/* The counters of one scope in one window or bucket. */
struct rx_stats {
	struct rx_counters c;
	struct rx_outcome_count *outcomes;
	uint32_t noutcomes, outcomes_cap;
};

struct rx_windows_config {
	struct rx_thresholds th;
	bool rolling;   /* keep 15m and 1h (off for a plain replay) */
	bool buckets;   /* keep per-minute (48 h) and per-day buckets */
};

typedef void (*rx_bucket_cb)(bool day, int64_t code, uint32_t scope, const struct rx_stats *st,
    void *arg);

struct rx_windows;

/* scopes and tz are borrowed and must outlive the windows. */
struct rx_windows *rx_windows_new(const struct rx_windows_config *cfg, struct rx_scopes *scopes,
    struct rx_tz *tz);
void rx_windows_free(struct rx_windows *w);

void rx_windows_roll(struct rx_windows *w, int64_t now_ms);
void rx_windows_fact(struct rx_windows *w, const struct rx_fact *f);

/* Recompute max_talk of the rolling windows (a maximum does not subtract); call before
 * reading them. */
void rx_windows_refresh_max(struct rx_windows *w);
/* The stats of a scope, or NULL if the scope has seen nothing in that window. */
const struct rx_stats *rx_windows_get(const struct rx_windows *w, enum rx_window_id win,
    uint32_t scope);
const char *rx_window_name(enum rx_window_id win);
int64_t rx_windows_start(const struct rx_windows *w, enum rx_window_id win);

/* Buckets changed since they were last handed out (or all, after rx_windows_touch_buckets),
 * newest first, at most max of them; those handed out count as clean, the rest stay dirty
 * for the next call. Returns how many are still dirty. Minute buckets older than 48 h are
 * dropped once clean. */
uint32_t rx_windows_dirty_buckets(struct rx_windows *w, rx_bucket_cb cb, void *arg,
    uint32_t max);
void rx_windows_touch_buckets(struct rx_windows *w);
/* One bucket, or NULL if nothing was counted there (or it was dropped). */
const struct rx_stats *rx_windows_bucket(const struct rx_windows *w, bool day, int64_t code,
    uint32_t scope);
/* Every bucket kept, in no particular order; dirtiness untouched. */
void rx_windows_foreach_bucket(const struct rx_windows *w, rx_bucket_cb cb, void *arg);

/*
 * Restoring without a journal (redis_restore.h): counters an earlier run wrote to its
 * buckets, put back after a restart. Roll the windows to that run's last clock first, and
 * restore nothing after it. Restored buckets count as clean (Redis already holds them).
 *
 * A minute (start_ms: its first millisecond) adds to its bucket; to today, shift and all
 * when it lies in them (all then starts at the earliest restored minute); and to 15m and
 * 1h as one sum stamped at its last millisecond: it enters and leaves each rolling window
 * whole, so the window's oldest minute may count whole while partly outside it.
 * A day (any millisecond of it) adds to its day bucket only.
 * -1 if the windows have no clock yet or memory runs out.
 */
int rx_windows_restore_minute(struct rx_windows *w, int64_t start_ms, uint32_t scope,
    const struct rx_stats *st);
int rx_windows_restore_day(struct rx_windows *w, int64_t ms, uint32_t scope,
    const struct rx_stats *st);

#endif
