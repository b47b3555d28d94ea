/*
 * prom.h: the Prometheus text exposition (format 0.0.4) of the engine's figures and of
 * rexiand's own health. Names and labels: docs/http-api.md.
 */
#ifndef REXIAN_PROM_H
#define REXIAN_PROM_H

#include <stdint.h>

#include "rexian/alert.h"
#include "rexian/engine.h"
#include "rexian/jsonw.h"
#include "rexian/view.h"

struct rx_prom_health {
	struct rx_ingest_stats ingest;
	uint64_t feeds_refused;
	uint64_t feeds_auth_failed;
	uint32_t feeds_open;
	uint64_t http_auth_failed;
	uint64_t feeds_accept_pauses, http_accept_pauses;
	bool redis_enabled;
	bool redis_up;
	uint64_t redis_reconnects, redis_errors, redis_flushes, redis_flushes_skipped;
	uint32_t redis_buckets_behind;
	double redis_flush_s;
	uint64_t webhook_failures;
	bool journal_enabled, journal_failing;
	uint64_t journal_appended, journal_errors, journal_restored;
	const struct rx_alert_rule *rules;
	size_t nrules;
};

void rx_prom_write(struct rx_jsonw *out, struct rx_engine *e, const struct rx_prom_health *h);

#endif
