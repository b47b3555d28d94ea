/*
 * view.h: the engine's figures as JSON, one shape for every consumer: `rexian replay
 * --json`, rexiand's /api/live and its Redis summary. Metric names are those of
 * rx_metrics_derive; a null figure is written as JSON null.
 */
#ifndef REXIAN_VIEW_H
#define REXIAN_VIEW_H

#include "rexian/engine.h"
#include "rexian/feed.h"
#include "rexian/jsonw.h"

/* Ingest counters: the feed's (lines, events, errors) and call tracking's. */
struct rx_ingest_stats {
	uint64_t lines, events, errors;
	uint64_t overlong;      /* part of errors: lines over 64 KiB */
	uint64_t connections;   /* feed connections accepted (rexiand) */
};

void rx_view_ingest(struct rx_jsonw *w, const struct rx_ingest_stats *in,
    const struct rx_calltrack_stats *ct);
/* {metrics..., "outcomes": {...}} of one scope's stats (NULL: all zero). */
void rx_view_stats(struct rx_jsonw *w, const struct rx_engine *e, const struct rx_stats *st);
/* {"global", "queues", "seats", "platforms", "outbound"} of one window. */
void rx_view_window(struct rx_jsonw *w, const struct rx_engine *e, enum rx_window_id win);
void rx_view_live(struct rx_jsonw *w, struct rx_engine *e);
/* {"minutes": [...]}: the global per-minute buckets of the last `minutes` minutes. */
void rx_view_history(struct rx_jsonw *w, struct rx_engine *e, int minutes);
/* The staffing block: {"interval_s", "target", "within_s", "seats_logged_in", "scopes":
 * {scope: row}, "seats_per_100k": [population...]}. */
struct rx_staffing_row;
struct rx_staffing_config;
struct rx_population;
void rx_view_staffing(struct rx_jsonw *w, const struct rx_engine *e,
    const struct rx_staffing_config *cfg, const uint32_t *scopes,
    const struct rx_staffing_row *rows, size_t n, uint32_t logged_in,
    const struct rx_population *pops, size_t npops);
/* The whole `replay --json` object. */
void rx_view_replay(struct rx_jsonw *w, const struct rx_engine *e, const struct rx_ingest_stats *in);

#endif
