/*
 * alert.c: parsing rules and stepping their state machine.
 *
 *   OK --condition--> PENDING --held for `for`--> FIRING --past `clear`--> OK
 *   PENDING --condition gone--> OK
 *
 * The condition needs a value (a null ratio never fires) and, for window metrics, at
 * least `min` offered calls in the window; a firing rule clears only once the value is
 * past its clear bound, so a rate hovering at the threshold does not flap.
 */
#include "rexian/alert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_rules[] = {
	"connect_rate_low: connect_rate global 15m < 0.90 min=20 for=120 clear=0.92",
	"service_level_low: service_level global 15m < 0.80 min=20 for=120 clear=0.85",
	"calls_waiting_high: waiting global live > 20 for=60 clear=10",
	"longest_wait_high: longest_wait_s global live > 120 for=60 clear=60",
};

static bool valid_window(const char *w)
{
	static const char *const names[] = { "15m", "1h", "today", "shift", "all", "live" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(w, names[i]) == 0)
			return true;
	return false;
}

static bool valid_metric(const char *m, bool live)
{
	static const char *const names[] = { "offered", "answered", "abandoned",
		"answered_within_sl", "service_level", "connect_rate", "abandon_rate", "avg_wait_s",
		"completed", "avg_talk_s", "long_talk_share", "max_talk_s", "stale" };

	if (live)
		return strcmp(m, "waiting") == 0 || strcmp(m, "longest_wait_s") == 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(m, names[i]) == 0)
			return true;
	return false;
}

/* The value is checked before it is converted: a double outside the integer's range
 * (negative, NaN, 1e30) converted to it is undefined behaviour. */
static int parse_option(struct rx_alert_rule *r, const char *opt)
{
	char *end;
	double v;
	size_t skip = strncmp(opt, "clear=", 6) == 0 ? 6 : 4;

	if (strncmp(opt, "min=", 4) != 0 && strncmp(opt, "for=", 4) != 0 && skip != 6)
		return -1;
	v = strtod(opt + skip, &end);
	if (*end != '\0' || !(v >= 0) || (skip == 4 && v > 1e15))
		return -1;
	if (opt[0] == 'm')
		r->min_offered = (uint64_t)v;
	else if (opt[0] == 'f')
		r->for_ms = (int64_t)(v * 1000);
	else
		r->clear = v;
	return 0;
}

int rx_alert_parse(const char *text, struct rx_alert_rule *r, char *err, size_t errlen)
{
	char op[4], rest[256], opt[3][64];
	int used = 0, nopt;

	memset(r, 0, sizeof *r);
	if (sscanf(text, " %63[^: ] : %31s %159s %7s %3s %lf%n", r->name, r->metric, r->scope,
	    r->window, op, &r->threshold, &used) != 6) {
		snprintf(err, errlen, "alert '%s': want NAME: METRIC SCOPE WINDOW OP THRESHOLD "
		    "[min=N] [for=S] [clear=X]", text);
		return -1;
	}
	r->clear = r->threshold;
	snprintf(rest, sizeof rest, "%s", text + used);
	nopt = sscanf(rest, " %63s %63s %63s", opt[0], opt[1], opt[2]);
	for (int i = 0; i < nopt; i++)
		if (parse_option(r, opt[i]) != 0) {
			snprintf(err, errlen, "alert '%s': bad option '%s'", r->name, opt[i]);
			return -1;
		}
	if (strcmp(op, "<") != 0 && strcmp(op, ">") != 0) {
		snprintf(err, errlen, "alert '%s': comparison must be < or >", r->name);
		return -1;
	}
	r->below = op[0] == '<';
	if (!valid_window(r->window) || !valid_metric(r->metric, strcmp(r->window, "live") == 0)) {
		snprintf(err, errlen, "alert '%s': unknown metric '%s' for window '%s'", r->name,
		    r->metric, r->window);
		return -1;
	}
	r->value = NAN;
	return 0;
}

size_t rx_alert_defaults(struct rx_alert_rule *rules, size_t max)
{
	size_t n = 0;
	char err[256];

	for (size_t i = 0; i < sizeof default_rules / sizeof default_rules[0] && n < max; i++)
		if (rx_alert_parse(default_rules[i], &rules[n], err, sizeof err) == 0)
			n++;
	return n;
}

void rx_alert_format(const struct rx_alert_rule *r, char *buf, size_t size)
{
	snprintf(buf, size, "%s: %s %s %s %c %g min=%llu for=%g clear=%g", r->name, r->metric,
	    r->scope, r->window, r->below ? '<' : '>', r->threshold,
	    (unsigned long long)r->min_offered, (double)r->for_ms / 1000, r->clear);
}

/* The rule's current value and offered count; false when it has none (a null ratio, an
 * unknown scope). */
static bool rule_value(const struct rx_alert_rule *r, struct rx_engine *e, double *value,
    uint64_t *offered)
{
	enum rx_scope_type type;
	const char *name;
	uint32_t name_id = 0, idx;

	if (rx_scope_parse(r->scope, &type, &name) != 0)
		return false;
	if (name != NULL && (name_id = rx_names_find(e->names, name, strlen(name))) == 0)
		return false;
	if (strcmp(r->window, "live") == 0) {
		struct rx_live live;
		bool ok = type == RX_SCOPE_GLOBAL || (type == RX_SCOPE_QUEUE && name_id > 0);
		rx_engine_live(e, &live);
		if (ok && type == RX_SCOPE_QUEUE && name_id >= live.nqueues)
			ok = false;
		if (ok) {
			uint32_t w = type == RX_SCOPE_GLOBAL ? live.waiting : live.queues[name_id].waiting;
			int64_t l = type == RX_SCOPE_GLOBAL ? live.longest_wait_ms :
			    live.queues[name_id].longest_wait_ms;
			*value = strcmp(r->metric, "waiting") == 0 ? (double)w : (l < 0 ? 0 : (double)l / 1000);
			*offered = UINT64_MAX;
		}
		rx_live_release(&live);
		return ok;
	}
	if ((idx = rx_scopes_find(e->scopes, type, name_id)) == UINT32_MAX)
		return false;
	for (int w = 0; w < RX_WIN_COUNT; w++) {
		const struct rx_stats *st;
		struct rx_metric m[RX_METRICS_COUNT];
		if (strcmp(rx_window_name((enum rx_window_id)w), r->window) != 0)
			continue;
		if ((st = rx_windows_get(e->windows, (enum rx_window_id)w, idx)) == NULL)
			return false;
		rx_metrics_derive(&st->c, m);
		*offered = m[0].count;
		for (int i = 0; i < RX_METRICS_COUNT; i++)
			if (strcmp(m[i].name, r->metric) == 0 && m[i].type != RX_METRIC_NULL) {
				*value = m[i].type == RX_METRIC_COUNT ? (double)m[i].count : m[i].real;
				return true;
			}
	}
	return false;
}

static void rule_step(struct rx_alert_rule *r, bool have, double v, uint64_t offered,
    int64_t now, rx_alert_cb cb, void *arg)
{
	bool breach = have && offered >= r->min_offered && (r->below ? v < r->threshold : v > r->threshold);
	bool cleared = !have || (r->below ? v >= r->clear : v <= r->clear);
	struct rx_alert_event ev = { r, false, now, v };

	r->value = have ? v : NAN;
	if (r->state == RX_ALERT_FIRING) {
		if (cleared && !breach) {
			r->state = RX_ALERT_OK;
			r->since_ms = now;
			cb(&ev, arg);
		}
		return;
	}
	if (!breach) {
		r->state = RX_ALERT_OK;
		return;
	}
	if (r->state == RX_ALERT_OK) {
		r->state = RX_ALERT_PENDING;
		r->since_ms = now;
	}
	if (now - r->since_ms >= r->for_ms) {   /* a zero hold time fires at once */
		r->state = RX_ALERT_FIRING;
		r->since_ms = now;
		ev.firing = true;
		cb(&ev, arg);
	}
}

void rx_alert_evaluate(struct rx_alert_rule *rules, size_t n, struct rx_engine *e,
    rx_alert_cb cb, void *arg)
{
	if (e->now == INT64_MIN)
		return;
	rx_windows_refresh_max(e->windows);
	for (size_t i = 0; i < n; i++) {
		double v = NAN;
		uint64_t offered = 0;
		bool have = rule_value(&rules[i], e, &v, &offered);
		rule_step(&rules[i], have, v, offered, e->now, cb, arg);
	}
}
