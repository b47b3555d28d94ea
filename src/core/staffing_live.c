/*
 * staffing_live.c: the last interval's figures from the per-minute buckets, then Erlang.
 *
 * The interval grid is aligned to local midnight, so with 30-minute intervals they are
 * 08:00-08:30, 08:30-09:00, ... as schedulers plan them.
 */
#include "rexian/staffing_live.h"

#include <math.h>

#include "rexian/erlang.h"

static void sum_minutes(struct rx_engine *e, uint32_t scope, int64_t from, int64_t to,
    struct rx_counters *sum)
{
	for (int64_t t = from; t < to; t += 60000) {
		const struct rx_stats *st = rx_windows_bucket(e->windows, false,
		    rx_tz_minute_code(&e->tz, t), scope);
		if (st != NULL)
			rx_counters_merge(sum, &st->c);
	}
}

static void size(const struct rx_staffing_config *cfg, struct rx_staffing_row *row)
{
	struct rx_erlang_load load = { row->erlangs, row->aht_s, row->patience_s };
	struct rx_erlang_goal goal = { cfg->target, cfg->within_s, cfg->max_abandon, 1.0 };
	struct rx_erlang_result r;

	if (isnan(row->erlangs))
		return;
	if (rx_erlang_c_size(&load, &goal, &r) == 0)
		row->required_c = r.agents;
	if (!isnan(row->patience_s) && row->patience_s > 0 && rx_erlang_a_size(&load, &goal, &r) == 0)
		row->required_a = r.agents;
}

int rx_staffing_live(struct rx_engine *e, const struct rx_staffing_config *cfg, uint32_t scope,
    struct rx_staffing_row *out)
{
	struct rx_counters c = RX_COUNTERS_INIT;
	int64_t day, current;

	if (e->now == INT64_MIN || cfg->interval_ms < 60000)
		return -1;
	day = rx_tz_day_start(&e->tz, e->now, NULL);
	current = day + (e->now - day) / cfg->interval_ms * cfg->interval_ms;
	out->measured_from_ms = current - cfg->interval_ms;
	out->measured_to_ms = current;
	sum_minutes(e, scope, out->measured_from_ms, current, &c);
	out->calls = c.answered + c.abandoned;
	out->aht_s = c.completed ? (double)c.talk_ms / (double)c.completed / 1000 : NAN;
	out->patience_s = c.abandoned ?
	    (double)(c.wait_ms + c.abandon_wait_ms) / (double)c.abandoned / 1000 : NAN;
	out->erlangs = isnan(out->aht_s) ? NAN :
	    rx_erlang_offered_load((double)out->calls, (double)cfg->interval_ms / 1000, out->aht_s);
	out->required_c = -1;
	out->required_a = -1;
	size(cfg, out);
	return 0;
}
