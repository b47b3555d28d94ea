/*
 * unit.h: what the Criterion unit tests share: an integer expectation that prints both
 * sides, and the time units and the local midnight their hand-made feeds are built on.
 */
#ifndef REXIAN_TEST_UNIT_H
#define REXIAN_TEST_UNIT_H

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdint.h>

#define expect_i64(actual, expected)                                                   \
	do {                                                                           \
		int64_t a_ = (int64_t)(actual), e_ = (int64_t)(expected);              \
		cr_expect(a_ == e_, "%s = %" PRId64 ", expected %" PRId64, #actual, a_, e_); \
	} while (0)

#define S 1000LL   /* one second in ms */
#define MIN (60 * S)
#define HOUR (60 * MIN)

/* 2026-03-02 00:00 Asia/Shanghai = 2026-03-01 16:00 UTC */
#define MIDNIGHT 1772380800000LL

#endif
