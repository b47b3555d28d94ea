/*
 * alert_sink.h: where alert transitions go: the log, Redis (PUBLISH <prefix>:alerts and
 * the capped stream <prefix>:alerts:log), the recent list behind /api/alerts, and an
 * Alertmanager-compatible webhook. Webhook delivery is asynchronous, one request at a
 * time, retried with backoff and repeated while alerts fire; nothing here blocks ingest.
 */
#ifndef REXIAN_ALERT_SINK_H
#define REXIAN_ALERT_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "rexian/alert.h"
#include "rexian/jsonw.h"
#include "rexian/redis_sink.h"

struct event_base;
struct rx_alert_sink;

/* redis may be NULL; webhook_url NULL or "http://HOST:PORT/PATH". The rules are borrowed
 * and must outlive the sink. NULL with a reason on a malformed URL. */
struct rx_alert_sink *rx_alert_sink_new(struct event_base *base, struct rx_redis_sink *redis,
    const char *prefix, const char *webhook_url, const struct rx_alert_rule *rules,
    size_t nrules, char *err, size_t errlen);
void rx_alert_sink_free(struct rx_alert_sink *s);

/* A transition from rx_alert_evaluate. */
void rx_alert_sink_event(struct rx_alert_sink *s, const struct rx_alert_event *ev);
/* A condition of rexiand itself rather than of the figures (name "journal_failing"...):
 * raised and cleared by the daemon, delivered like a rule's transitions (log, Redis,
 * /api/alerts, webhook with severity "critical"), with metric = name, scope "rexiand",
 * window "live", value 1 or 0 and wall-clock times. Only a change of state is delivered;
 * summary (may be NULL) is what the log line and the webhook say. */
void rx_alert_sink_system(struct rx_alert_sink *s, const char *name, bool firing,
    const char *summary);
/* Heartbeat: sends what Redis missed and what the webhook is due. */
void rx_alert_sink_tick(struct rx_alert_sink *s);
/* {"firing": [...], "recent": [...]} */
void rx_alert_sink_json(const struct rx_alert_sink *s, struct rx_jsonw *w, bool with_recent);
uint64_t rx_alert_sink_webhook_failures(const struct rx_alert_sink *s);

/* One alert as JSON (the shape of docs/http-api.md). */
void rx_alert_json(struct rx_jsonw *w, const struct rx_alert_rule *r, bool firing, int64_t at_ms);

#endif
