/*
 * alert.h: alert rules over the engine's figures, with a hold time and hysteresis.
 *
 * A rule watches one figure of one scope in one window (or a live gauge), e.g. "the
 * 15-minute connect rate of queue 12345 below 0.90 for 2 minutes with at least 20
 * offered calls, clear above 0.92". Rules are evaluated against event time, so a replayed
 * or simulated day fires the same alerts as the live one would. This module only decides;
 * delivering (log, Redis, webhook) is the sinks' business.
 */
#ifndef REXIAN_ALERT_H
#define REXIAN_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rexian/engine.h"

#define RX_ALERT_NAME 64

enum rx_alert_state { RX_ALERT_OK, RX_ALERT_PENDING, RX_ALERT_FIRING };

struct rx_alert_rule {
	char name[RX_ALERT_NAME];
	char metric[32];          /* a metric name, or "waiting" / "longest_wait_s" */
	char scope[160];          /* global, outbound, queue:NAME, seat:ID, platform:NAME */
	char window[8];           /* 15m, 1h, today, shift, all, live */
	bool below;               /* op '<' (else '>') */
	double threshold;
	double clear;             /* hysteresis bound; equals threshold if not given */
	uint64_t min_offered;
	int64_t for_ms;
	/* state */
	enum rx_alert_state state;
	int64_t since_ms;         /* condition true since (pending) or firing since */
	double value;             /* last value seen; NAN when null */
};

/* A transition to report. */
struct rx_alert_event {
	const struct rx_alert_rule *rule;
	bool firing;              /* false: cleared */
	int64_t at_ms;
	double value;
};

/* Parse "NAME: METRIC SCOPE WINDOW OP THRESHOLD [min=N] [for=S] [clear=X]". */
int rx_alert_parse(const char *text, struct rx_alert_rule *rule, char *err, size_t errlen);
/* The default rules (connect rate, service level, waiting, longest wait). */
size_t rx_alert_defaults(struct rx_alert_rule *rules, size_t max);

typedef void (*rx_alert_cb)(const struct rx_alert_event *ev, void *arg);

/* Evaluate every rule at the engine's clock; calls cb for each transition. */
void rx_alert_evaluate(struct rx_alert_rule *rules, size_t n, struct rx_engine *e,
    rx_alert_cb cb, void *arg);
/* Text form of a rule, as parsed. */
void rx_alert_format(const struct rx_alert_rule *rule, char *buf, size_t size);

#endif
