/*
 * staff_measured.h: the measured mode of `rexian staff`, private to the rexian program.
 * staff.c parses the flags into a request; staff_measured.c measures a day from a feed file
 * (or, through staff_redis.c, from rexiand's minute hashes in Redis), sizes each interval
 * with rexian/staffing.h and prints a table, CSV or JSON.
 */
#ifndef REXIAN_CLI_STAFF_MEASURED_H
#define REXIAN_CLI_STAFF_MEASURED_H

#include <stdint.h>

#include "rexian/erlang.h"
#include "rexian/staffing.h"

enum rx_staff_format { RX_STAFF_TABLE, RX_STAFF_CSV, RX_STAFF_JSON };

/* What to measure and how to size it. Strings are borrowed from argv. */
struct rx_staff_request {
	const char *from;          /* feed file, "-" for stdin; NULL when reading Redis */
	const char *redis;         /* redis://... or unix://...; NULL when reading a file */
	const char *prefix;        /* Redis key prefix, "rexian" */
	const char *scope;         /* "global", "queue:12345", "platform:NAME", "seat:ID" */
	const char *timezone;      /* "Asia/Shanghai" */
	int32_t date;              /* YYYYMMDD; 0: the day with the most calls */
	int interval_min;          /* divides the day: 30 */
	double acw_s;              /* after-call work added to the measured talk time */
	double patience_s;         /* NAN: estimate it from the day's abandons */
	double population;         /* residents, for seats per 100,000; NAN: none */
	struct rx_erlang_goal goal;
	enum rx_staff_format format;
};

/* Runs the measured mode; returns the exit status (messages already printed). */
int rx_staff_measured(const struct rx_staff_request *req);

/* Reads the scope's minute hashes of one local day from Redis into `days` (seat samples
 * included where rexiand wrote them). *day 0 picks the busier of the live clock's day and
 * the day before. Returns 0 or an exit status after printing why. */
int rx_staff_redis_read(const struct rx_staff_request *req, struct rx_staffing_days *days,
    int32_t *day);

#endif
