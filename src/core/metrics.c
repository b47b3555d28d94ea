/*
 * metrics.c: counting facts, and turning counts into the figures hotlines publish.
 *
 * Definitions (README, "Metrics"): offered = answered + abandoned; a ratio or mean whose
 * denominator is zero is null, never 0 or NaN, so a quiet queue does not read as failing.
 */
#include "rexian/metrics.h"

#include <stdlib.h>
#include <string.h>

void rx_counters_apply(struct rx_counters *c, const struct rx_fact *f,
    const struct rx_thresholds *th, int sign)
{
	uint64_t one = (uint64_t)(int64_t)sign;   /* wraps to subtract */

	switch (f->kind) {
	case RX_FACT_ANSWERED:
		c->answered += one;
		c->wait_ms += sign * f->dur_ms;
		if (f->dur_ms <= th->sl_ms)
			c->within_sl += one;
		break;
	case RX_FACT_ABANDONED:
		c->abandoned += one;
		c->abandon_wait_ms += sign * f->dur_ms;
		break;
	case RX_FACT_COMPLETED:
		c->completed += one;
		c->talk_ms += sign * f->dur_ms;
		if (f->dur_ms > th->long_ms)
			c->long_talks += one;
		if (sign > 0 && f->dur_ms > c->max_talk_ms)
			c->max_talk_ms = f->dur_ms;
		break;
	case RX_FACT_STALE:
		c->stale += one;
		break;
	}
}

void rx_counters_merge(struct rx_counters *into, const struct rx_counters *from)
{
	into->answered += from->answered;
	into->abandoned += from->abandoned;
	into->within_sl += from->within_sl;
	into->completed += from->completed;
	into->long_talks += from->long_talks;
	into->stale += from->stale;
	into->wait_ms += from->wait_ms;
	into->talk_ms += from->talk_ms;
	into->abandon_wait_ms += from->abandon_wait_ms;
	if (from->max_talk_ms > into->max_talk_ms)
		into->max_talk_ms = from->max_talk_ms;
}

static struct rx_metric count(const char *name, uint64_t v)
{
	return (struct rx_metric){ name, RX_METRIC_COUNT, v, 0 };
}

static struct rx_metric ratio(const char *name, double num, uint64_t den, double scale)
{
	if (den == 0)
		return (struct rx_metric){ name, RX_METRIC_NULL, 0, 0 };
	return (struct rx_metric){ name, RX_METRIC_REAL, 0, num / (double)den / scale };
}

void rx_metrics_derive(const struct rx_counters *c, struct rx_metric out[RX_METRICS_COUNT])
{
	uint64_t offered = c->answered + c->abandoned;
	int i = 0;

	out[i++] = count("offered", offered);
	out[i++] = count("answered", c->answered);
	out[i++] = count("abandoned", c->abandoned);
	out[i++] = count("answered_within_sl", c->within_sl);
	out[i++] = ratio("service_level", (double)c->within_sl, offered, 1);
	out[i++] = ratio("connect_rate", (double)c->answered, offered, 1);
	out[i++] = ratio("abandon_rate", (double)c->abandoned, offered, 1);
	out[i++] = ratio("avg_wait_s", (double)c->wait_ms, c->answered, 1000);
	out[i++] = count("completed", c->completed);
	out[i++] = ratio("avg_talk_s", (double)c->talk_ms, c->completed, 1000);
	out[i++] = ratio("long_talk_share", (double)c->long_talks, c->completed, 1);
	out[i++] = c->max_talk_ms < 0 ? (struct rx_metric){ "max_talk_s", RX_METRIC_NULL, 0, 0 } :
	    (struct rx_metric){ "max_talk_s", RX_METRIC_REAL, 0, (double)c->max_talk_ms / 1000 };
	out[i++] = count("stale", c->stale);
}

void rx_metrics_raw(const struct rx_counters *c, struct rx_metric out[RX_RAW_COUNT])
{
	int i = 0;

	out[i++] = count("offered", c->answered + c->abandoned);
	out[i++] = count("answered", c->answered);
	out[i++] = count("abandoned", c->abandoned);
	out[i++] = count("answered_within_sl", c->within_sl);
	out[i++] = count("completed", c->completed);
	out[i++] = count("long_talks", c->long_talks);
	out[i++] = count("stale", c->stale);
	out[i++] = count("wait_ms_sum", (uint64_t)c->wait_ms);
	out[i++] = count("talk_ms_sum", (uint64_t)c->talk_ms);
	out[i++] = count("abandon_wait_ms_sum", (uint64_t)c->abandon_wait_ms);
	out[i++] = c->max_talk_ms < 0 ? (struct rx_metric){ "max_talk_ms", RX_METRIC_NULL, 0, 0 } :
	    count("max_talk_ms", (uint64_t)c->max_talk_ms);
}

bool rx_counters_set_raw(struct rx_counters *c, const char *name, const char *value)
{
	static const struct { const char *name; size_t off; bool count; } fields[] = {
		{ "answered", offsetof(struct rx_counters, answered), true },
		{ "abandoned", offsetof(struct rx_counters, abandoned), true },
		{ "answered_within_sl", offsetof(struct rx_counters, within_sl), true },
		{ "completed", offsetof(struct rx_counters, completed), true },
		{ "long_talks", offsetof(struct rx_counters, long_talks), true },
		{ "stale", offsetof(struct rx_counters, stale), true },
		{ "wait_ms_sum", offsetof(struct rx_counters, wait_ms), false },
		{ "talk_ms_sum", offsetof(struct rx_counters, talk_ms), false },
		{ "abandon_wait_ms_sum", offsetof(struct rx_counters, abandon_wait_ms), false },
		{ "max_talk_ms", offsetof(struct rx_counters, max_talk_ms), false },
	};

	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (strcmp(name, fields[i].name) != 0)
			continue;
		if (fields[i].count)
			*(uint64_t *)(void *)((char *)c + fields[i].off) = strtoull(value, NULL, 10);
		else
			*(int64_t *)(void *)((char *)c + fields[i].off) = strtoll(value, NULL, 10);
		return true;
	}
	return false;
}
