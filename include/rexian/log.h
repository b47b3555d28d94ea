/*
 * log.h: one line per event worth a human's attention, on stderr, with time and level;
 * and a rate limiter so that a flood of bad input costs a few lines, not a full disk.
 * Nothing logged may carry a caller's number: messages name lines and fields, never
 * their content.
 */
#ifndef REXIAN_LOG_H
#define REXIAN_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum rx_log_level { RX_LOG_DEBUG, RX_LOG_INFO, RX_LOG_WARN, RX_LOG_ERROR };

void rx_log_set_level(enum rx_log_level level);
void rx_log(enum rx_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* At most `burst` messages per `period_ms`; the first message after a quiet spell reports
 * how many were suppressed. */
struct rx_ratelimit {
	int64_t period_ms;
	uint32_t burst;
	int64_t window_start;
	uint32_t used;
	uint64_t suppressed;
};

#define RX_RATELIMIT_INIT(period_ms, burst) { (period_ms), (burst), INT64_MIN, 0, 0 }

/* true: log it now. *suppressed gets the count held back since the last allowed one. */
bool rx_ratelimit_allow(struct rx_ratelimit *rl, int64_t now_ms, uint64_t *suppressed);
int64_t rx_monotonic_ms(void);
int64_t rx_wall_ms(void);

#endif
