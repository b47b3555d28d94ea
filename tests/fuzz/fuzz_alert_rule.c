/*
 * fuzz_alert_rule.c: libFuzzer harness for the alert rule parser, rx_alert_parse
 * (src/core/alert.c), and the evaluation of whatever it accepts.
 *
 * Invariants, for a rule it accepts:
 *   - every text field is terminated inside its array; the window is a known one
 *   - the hold time and the minimum are not negative
 *   - rx_alert_format never writes past its buffer, and its text parses back to the same
 *     name, metric, scope, window and comparison (when the numbers it prints are ones the
 *     parser takes: a negative or NaN bound is printed as clear=..., which is refused)
 *   - evaluating it against a small engine (a queue, a seat, calls answered and abandoned)
 *     over a few clock steps leaves it in a known state, and only reports transitions
 * and for a rule it refuses: a non-empty, terminated error text.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "rexian/alert.h"
#include "rexian/engine.h"
#include "rexian/feed.h"

static unsigned transitions;

static void alert_cb(const struct rx_alert_event *ev, void *arg)
{
	(void)arg;
	CHECK(ev->rule != NULL);
	CHECK(ev->firing == (ev->rule->state == RX_ALERT_FIRING));
	transitions++;
}

static void engine_line_cb(const struct rx_event *ev, uint64_t line, void *arg)
{
	(void)line;
	rx_engine_event(arg, ev);
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* A small engine: a queue, a seat, calls answered, abandoned and waiting. */
static struct rx_engine *engine_new(void)
{
	static const char feed[] =
	    "{\"ts\":1772409600,\"event\":\"seat\",\"seat\":\"s1\",\"state\":\"ready\"}\n"
	    "{\"ts\":1772409601,\"event\":\"offer\",\"call\":\"a\",\"queue\":\"12345\",\"platform\":\"lyg\"}\n"
	    "{\"ts\":1772409610,\"event\":\"answer\",\"call\":\"a\",\"seat\":\"s1\"}\n"
	    "{\"ts\":1772409611,\"event\":\"offer\",\"call\":\"b\",\"queue\":\"12345\"}\n"
	    "{\"ts\":1772409650,\"event\":\"hangup\",\"call\":\"b\",\"outcome\":\"online\"}\n"
	    "{\"ts\":1772409700,\"event\":\"hangup\",\"call\":\"a\",\"outcome\":\"ticket\"}\n"
	    "{\"ts\":1772409701,\"event\":\"offer\",\"call\":\"c\",\"queue\":\"12345\"}\n"
	    "{\"ts\":1772409702,\"event\":\"offer\",\"call\":\"d\",\"queue\":\"q2\",\"direction\":\"out\"}\n";
	struct rx_engine_config cfg;
	struct rx_engine *e;
	struct rx_feed *f;

	rx_engine_config_default(&cfg);
	e = rx_engine_new(&cfg);
	CHECK(e != NULL);
	f = rx_feed_new(engine_line_cb, NULL, e);
	CHECK(f != NULL);
	rx_feed_push(f, feed, sizeof feed - 1);
	rx_feed_finish(f);
	rx_feed_free(f);
	return e;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rx_tz_init("Asia/Shanghai");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct rx_alert_rule rule, again;
	char err[256], out[512], small[16];
	struct rx_engine *engine;
	int rc;

	CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	memset(err, 0, sizeof err);
	rc = rx_alert_parse(text, &rule, err, sizeof err);
	if (rc != 0) {
		CHECK(rc == -1);
		CHECK(err[0] != '\0' && terminated(err, sizeof err));
		free(text);
		return 0;
	}
	CHECK(terminated(rule.name, sizeof rule.name) && rule.name[0] != '\0');
	CHECK(terminated(rule.metric, sizeof rule.metric));
	CHECK(terminated(rule.scope, sizeof rule.scope));
	CHECK(terminated(rule.window, sizeof rule.window));
	CHECK(strcmp(rule.window, "15m") == 0 || strcmp(rule.window, "1h") == 0 ||
	    strcmp(rule.window, "today") == 0 || strcmp(rule.window, "shift") == 0 ||
	    strcmp(rule.window, "all") == 0 || strcmp(rule.window, "live") == 0);
	CHECK(rule.for_ms >= 0);
	CHECK(rule.state == RX_ALERT_OK);

	rx_alert_format(&rule, small, sizeof small);
	CHECK(terminated(small, sizeof small));
	rx_alert_format(&rule, out, sizeof out);
	CHECK(terminated(out, sizeof out));
	if (strlen(out) < 255 && rule.clear >= 0 && rule.threshold >= 0 &&
	    isfinite(rule.threshold) && isfinite(rule.clear)) {
		CHECK(rx_alert_parse(out, &again, err, sizeof err) == 0);
		CHECK(strcmp(again.name, rule.name) == 0);
		CHECK(strcmp(again.metric, rule.metric) == 0);
		CHECK(strcmp(again.scope, rule.scope) == 0);
		CHECK(strcmp(again.window, rule.window) == 0);
		CHECK(again.below == rule.below);
		CHECK(again.min_offered == rule.min_offered);
	}

	/* evaluate at a few clock steps, a minute apart: pending, firing and clearing */
	engine = engine_new();
	for (int step = 0; step < 4; step++) {
		rx_alert_evaluate(&rule, 1, engine, alert_cb, NULL);
		CHECK(rule.state == RX_ALERT_OK || rule.state == RX_ALERT_PENDING ||
		    rule.state == RX_ALERT_FIRING);
		CHECK(rule.since_ms <= engine->now);
		rx_engine_advance(engine, engine->now + 60000);
	}
	rx_engine_free(engine);
	free(text);
	return 0;
}
