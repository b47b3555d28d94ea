/*
 * test_feed.c: the NDJSON feed format of issue 2, section 2, through the push parser of
 * src/ingest: both `ts` forms read exactly to the millisecond, escapes, `\r\n`, blank
 * lines, unknown fields, every class of bad line (each reported with its line number,
 * counted, skipped, the feed going on), lines over 64 KiB however they are chunked, and
 * the citizen's number never reaching an event or an error message.
 *
 * Every feed here is pushed whole, byte by byte and in odd-sized chunks, and must decode
 * to the same events and errors each way.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rexian/feed.h"

#include "unit.h"

#define assert_i64(actual, expected)                                                   \
	do {                                                                           \
		int64_t a_ = (int64_t)(actual), e_ = (int64_t)(expected);              \
		cr_assert(a_ == e_, "%s = %" PRId64 ", expected %" PRId64, #actual, a_, e_); \
	} while (0)

TestSuite(feed, .timeout = 60);

/* ---- collecting what the feed reports ---- */

#define FIELD_MAX 128
#define MAX_EVENTS 64
#define MAX_ERRORS 64

struct got_event {
	uint64_t line;
	int64_t ts_ms;
	enum rx_event_kind kind;
	enum rx_seat_state seat_state;
	bool outbound;
	char call[FIELD_MAX], queue[FIELD_MAX], platform[FIELD_MAX], seat[FIELD_MAX],
	    outcome[FIELD_MAX];
};

struct got_error {
	uint64_t line;
	char reason[FIELD_MAX];
};

struct got {
	struct got_event ev[MAX_EVENTS];
	int nev;
	struct got_error err[MAX_ERRORS];
	int nerr;
	struct rx_feed_stats stats;
};

static void copy_str(char *dst, struct rx_str s)
{
	size_t n = s.len < FIELD_MAX - 1 ? s.len : FIELD_MAX - 1;

	if (n > 0)   /* an absent field has no pointer at all */
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static void got_event_cb(const struct rx_event *ev, uint64_t line, void *arg)
{
	struct got *g = arg;
	struct got_event *e;

	cr_assert(g->nev < MAX_EVENTS, "too many events");
	e = &g->ev[g->nev++];
	memset(e, 0, sizeof *e);
	e->line = line;
	e->ts_ms = ev->ts_ms;
	e->kind = ev->kind;
	e->seat_state = ev->seat_state;
	e->outbound = ev->outbound;
	copy_str(e->call, ev->call);
	copy_str(e->queue, ev->queue);
	copy_str(e->platform, ev->platform);
	copy_str(e->seat, ev->seat);
	copy_str(e->outcome, ev->outcome);
}

static void got_error_cb(uint64_t line, const char *reason, void *arg)
{
	struct got *g = arg;
	struct got_error *e;

	cr_assert(g->nerr < MAX_ERRORS, "too many errors");
	cr_assert(reason != NULL && reason[0] != '\0', "error on line %" PRIu64 " without a reason",
	    line);
	e = &g->err[g->nerr++];
	e->line = line;
	snprintf(e->reason, sizeof e->reason, "%s", reason);
}

/* Pushes len bytes in chunks of `chunk` (0: all at once), then ends the input. */
static void feed_chunked(struct got *g, const char *text, size_t len, size_t chunk)
{
	struct rx_feed *feed = rx_feed_new(got_event_cb, got_error_cb, g);

	cr_assert_not_null(feed);
	memset(g, 0, sizeof *g);
	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk)
		rx_feed_push(feed, text + off, len - off < chunk ? len - off : chunk);
	rx_feed_finish(feed);
	g->stats = *rx_feed_stats(feed);
	rx_feed_free(feed);
}

static void expect_same(const struct got *a, const struct got *b, const char *how)
{
	expect_i64(b->nev, a->nev);
	expect_i64(b->nerr, a->nerr);
	for (int i = 0; i < a->nev && i < b->nev; i++)
		cr_expect(memcmp(&a->ev[i], &b->ev[i], sizeof a->ev[i]) == 0,
		    "event %d differs when pushed %s", i, how);
	for (int i = 0; i < a->nerr && i < b->nerr; i++) {
		expect_i64(b->err[i].line, a->err[i].line);
		cr_expect_str_eq(b->err[i].reason, a->err[i].reason);
	}
	expect_i64(b->stats.lines, a->stats.lines);
	expect_i64(b->stats.events, a->stats.events);
	expect_i64(b->stats.errors, a->stats.errors);
}

/* Feeds the text whole, byte by byte and in 7-byte chunks; all three must agree. */
static struct got *feed_text_len(const char *text, size_t len)
{
	static struct got whole, bytes, sevens;

	feed_chunked(&whole, text, len, 0);
	feed_chunked(&bytes, text, len, 1);
	expect_same(&whole, &bytes, "byte by byte");
	feed_chunked(&sevens, text, len, 7);
	expect_same(&whole, &sevens, "in 7-byte chunks");
	return &whole;
}

static struct got *feed_text(const char *text)
{
	return feed_text_len(text, strlen(text));
}

/* The only event of a one-line feed. */
static const struct got_event *one_event(const char *line)
{
	struct got *g = feed_text(line);

	cr_assert_eq(g->nerr, 0, "line rejected (%s): %s", g->nerr ? g->err[0].reason : "", line);
	cr_assert_eq(g->nev, 1, "expected one event from: %s", line);
	return &g->ev[0];
}

static int64_t ts_of(const char *line)
{
	return one_event(line)->ts_ms;
}

#define GOOD1 "{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"c1\",\"queue\":\"12345\"}\n"
#define GOOD3 "{\"ts\":1772409640,\"event\":\"hangup\",\"call\":\"c1\"}\n"

/* A bad line between two good ones: skipped and reported as line 2, the feed goes on. */
static void expect_bad_line(const char *bad)
{
	size_t n = strlen(GOOD1) + strlen(bad) + strlen(GOOD3) + 2;
	char *text = malloc(n);
	struct got *g;

	cr_assert_not_null(text);
	snprintf(text, n, "%s%s\n%s", GOOD1, bad, GOOD3);
	g = feed_text(text);
	cr_expect_eq(g->nerr, 1, "expected one error for: %s", bad);
	if (g->nerr >= 1)
		expect_i64(g->err[0].line, 2);
	cr_expect_eq(g->nev, 2, "the good lines around the bad one must still decode: %s", bad);
	if (g->nev == 2) {
		expect_i64(g->ev[0].line, 1);
		expect_i64(g->ev[1].line, 3);
		expect_i64(g->ev[1].kind, RX_EV_HANGUP);
	}
	expect_i64(g->stats.errors, 1);
	expect_i64(g->stats.events, 2);
	expect_i64(g->stats.lines, 3);
	free(text);
}

/* ---- ts: epoch seconds as a JSON number ---- */

Test(feed, number_ts_is_exact_to_the_millisecond)
{
	expect_i64(ts_of("{\"ts\":1772413231.001,\"event\":\"offer\",\"call\":\"a\"}"),
	    1772413231001LL);
	expect_i64(ts_of("{\"ts\":1772413231.999,\"event\":\"offer\",\"call\":\"a\"}"),
	    1772413231999LL);
	expect_i64(ts_of("{\"ts\":1772409630.186,\"event\":\"offer\",\"call\":\"a\"}"),
	    1772409630186LL);
	expect_i64(ts_of("{\"ts\":1772413231.007,\"event\":\"offer\",\"call\":\"a\"}"),
	    1772413231007LL);
	expect_i64(ts_of("{\"ts\":1.772413231001e9,\"event\":\"offer\",\"call\":\"a\"}"),
	    1772413231001LL);
}

Test(feed, number_ts_without_fraction_is_whole_seconds)
{
	expect_i64(ts_of("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"a\"}"), 1772409630000LL);
	expect_i64(ts_of("{\"ts\":1772409630.0,\"event\":\"offer\",\"call\":\"a\"}"), 1772409630000LL);
}

Test(feed, number_ts_with_short_and_long_fractions)
{
	expect_i64(ts_of("{\"ts\":1772409630.5,\"event\":\"offer\",\"call\":\"a\"}"), 1772409630500LL);
	expect_i64(ts_of("{\"ts\":1772409630.25,\"event\":\"offer\",\"call\":\"a\"}"), 1772409630250LL);
	expect_i64(ts_of("{\"ts\":1772409630.123456,\"event\":\"offer\",\"call\":\"a\"}"),
	    1772409630123LL);
}

Test(feed, every_millisecond_of_a_second_reads_exactly)
{
	char line[128];

	for (int ms = 0; ms < 1000; ms++) {
		struct got g;
		snprintf(line, sizeof line, "{\"ts\":1772413231.%03d,\"event\":\"offer\",\"call\":\"a\"}\n",
		    ms);
		feed_chunked(&g, line, strlen(line), 0);
		cr_assert_eq(g.nev, 1, "%s", line);
		cr_expect_eq(g.ev[0].ts_ms, 1772413231000LL + ms, "%s read as %" PRId64, line,
		    g.ev[0].ts_ms);
	}
}

/* ---- ts: RFC 3339 ---- */

Test(feed, rfc3339_with_offset_and_with_z_are_the_same_instant)
{
	expect_i64(ts_of("{\"ts\":\"2026-03-02T08:00:30.186+08:00\",\"event\":\"offer\",\"call\":\"a\"}"),
	    1772409630186LL);
	expect_i64(ts_of("{\"ts\":\"2026-03-02T00:00:30.186Z\",\"event\":\"offer\",\"call\":\"a\"}"),
	    1772409630186LL);
	expect_i64(ts_of("{\"ts\":\"2026-03-01T19:00:30.186-05:00\",\"event\":\"offer\",\"call\":\"a\"}"),
	    1772409630186LL);
}

Test(feed, rfc3339_offset_crosses_the_date_line)
{
	/* 00:00 in Shanghai is 16:00 the day before in UTC */
	expect_i64(ts_of("{\"ts\":\"2026-03-02T00:00:00+08:00\",\"event\":\"offer\",\"call\":\"a\"}"),
	    1772380800000LL);
	expect_i64(ts_of("{\"ts\":\"2026-03-01T16:00:00Z\",\"event\":\"offer\",\"call\":\"a\"}"),
	    1772380800000LL);
}

Test(feed, rfc3339_fractions_of_any_length)
{
	expect_i64(ts_of("{\"ts\":\"2026-03-02T00:00:30Z\",\"event\":\"offer\",\"call\":\"a\"}"),
	    1772409630000LL);
	expect_i64(ts_of("{\"ts\":\"2026-03-02T00:00:30.1Z\",\"event\":\"offer\",\"call\":\"a\"}"),
	    1772409630100LL);
	expect_i64(ts_of("{\"ts\":\"2026-03-02T00:00:30.01Z\",\"event\":\"offer\",\"call\":\"a\"}"),
	    1772409630010LL);
	expect_i64(ts_of("{\"ts\":\"2026-03-02T00:00:30.001Z\",\"event\":\"offer\",\"call\":\"a\"}"),
	    1772409630001LL);
	expect_i64(ts_of("{\"ts\":\"2026-03-02T00:00:30.001234+08:00\",\"event\":\"offer\",\"call\":\"a\"}"),
	    1772380830001LL);
}

Test(feed, parse_ts_reads_text_forms_exactly)
{
	int64_t ms = 0;

	cr_assert_eq(rx_feed_parse_ts("1772413231.001", 14, &ms), 0);
	expect_i64(ms, 1772413231001LL);
	cr_assert_eq(rx_feed_parse_ts("2026-03-02T08:00:30.186+08:00", 29, &ms), 0);
	expect_i64(ms, 1772409630186LL);
	cr_assert_eq(rx_feed_parse_ts("2026-03-02T00:00:30.186Z", 24, &ms), 0);
	expect_i64(ms, 1772409630186LL);
	/* digits beyond the millisecond round half up (feed.h) */
	cr_assert_eq(rx_feed_parse_ts("1772413231.0015", 15, &ms), 0);
	expect_i64(ms, 1772413231002LL);
	cr_assert_eq(rx_feed_parse_ts("1772413231.0014999", 18, &ms), 0);
	expect_i64(ms, 1772413231001LL);
}

Test(feed, parse_ts_rejects_unreadable_text)
{
	static const char *const bad[] = {
		"", "yesterday", "17724132x1", "2026-03-02T08:00:30", "2026-03-02 08:00",
		"2026-13-02T08:00:30Z", "2026-03-02T25:00:30Z", "2026-03-02T08:00:30+8",
		"1772413231.", "2026-03-02T08:00:30.Z",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ms = 0;
		cr_expect_eq(rx_feed_parse_ts(bad[i], strlen(bad[i]), &ms), -1,
		    "\"%s\" was read as %" PRId64, bad[i], ms);
	}
}

/* ---- fields ---- */

Test(feed, offer_fields_are_decoded)
{
	const struct got_event *e = one_event("{\"ts\":1772409630.186,\"event\":\"offer\",\"call\":"
	    "\"c-77\",\"queue\":\"12345\",\"platform\":\"hz\",\"direction\":\"in\"}");

	expect_i64(e->kind, RX_EV_OFFER);
	cr_expect_str_eq(e->call, "c-77");
	cr_expect_str_eq(e->queue, "12345");
	cr_expect_str_eq(e->platform, "hz");
	cr_expect(!e->outbound);
	expect_i64(e->line, 1);
}

Test(feed, answer_hangup_and_seat_events_are_decoded)
{
	struct got *g = feed_text(
	    "{\"ts\":1772409640,\"event\":\"answer\",\"call\":\"c-77\",\"seat\":\"1001\"}\n"
	    "{\"ts\":1772409700,\"event\":\"hangup\",\"call\":\"c-77\",\"outcome\":\"ticket\"}\n"
	    "{\"ts\":1772409500,\"event\":\"seat\",\"seat\":\"1001\",\"state\":\"ready\"}\n"
	    "{\"ts\":1772409501,\"event\":\"seat\",\"seat\":\"1002\",\"state\":\"notready\"}\n"
	    "{\"ts\":1772409502,\"event\":\"seat\",\"seat\":\"1003\",\"state\":\"login\"}\n"
	    "{\"ts\":1772409503,\"event\":\"seat\",\"seat\":\"1004\",\"state\":\"logout\"}\n");

	cr_assert_eq(g->nev, 6);
	expect_i64(g->ev[0].kind, RX_EV_ANSWER);
	cr_expect_str_eq(g->ev[0].seat, "1001");
	expect_i64(g->ev[1].kind, RX_EV_HANGUP);
	cr_expect_str_eq(g->ev[1].outcome, "ticket");
	expect_i64(g->ev[2].kind, RX_EV_SEAT);
	expect_i64(g->ev[2].seat_state, RX_SEAT_READY);
	expect_i64(g->ev[3].seat_state, RX_SEAT_NOTREADY);
	expect_i64(g->ev[4].seat_state, RX_SEAT_LOGIN);
	expect_i64(g->ev[5].seat_state, RX_SEAT_LOGOUT);
}

Test(feed, direction_out_marks_an_outbound_call)
{
	cr_expect(one_event("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"cb1\","
	    "\"direction\":\"out\"}")->outbound);
	cr_expect(!one_event("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"cb1\"}")->outbound);
}

Test(feed, unicode_escapes_equal_the_literal_name)
{
	const struct got_event *e = one_event(
	    "{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"a\",\"queue\":\"\\u4e00\\u4f01\\u6765\"}");

	cr_expect_str_eq(e->queue, "一企来");
	e = one_event("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"a\",\"queue\":\"一企来\"}");
	cr_expect_str_eq(e->queue, "\xe4\xb8\x80\xe4\xbc\x81\xe6\x9d\xa5");
}

Test(feed, string_escapes_are_decoded)
{
	const struct got_event *e = one_event("{\"ts\":1772409630,\"event\":\"offer\","
	    "\"call\":\"a\\\"b\\\\c\\/d\\te\",\"queue\":\"\\ud83d\\ude00\"}");

	cr_expect_str_eq(e->call, "a\"b\\c/d\te");
	cr_expect_str_eq(e->queue, "\xf0\x9f\x98\x80");
}

Test(feed, unknown_fields_are_ignored)
{
	const struct got_event *e = one_event("{\"ivr_path\":\"1-3-2\",\"ts\":1772409630,"
	    "\"extra\":{\"nested\":[1,2,{\"event\":\"hangup\"}]},\"event\":\"offer\",\"n\":null,"
	    "\"call\":\"a\",\"flag\":true,\"score\":-1.5e3}");

	expect_i64(e->kind, RX_EV_OFFER);
	cr_expect_str_eq(e->call, "a");
	expect_i64(e->ts_ms, 1772409630000LL);
}

Test(feed, key_order_does_not_matter)
{
	struct got *g = feed_text(
	    "{\"ts\":1772409630.5,\"event\":\"offer\",\"call\":\"k\",\"queue\":\"q\",\"platform\":\"p\"}\n"
	    "{\"platform\":\"p\",\"queue\":\"q\",\"call\":\"k\",\"event\":\"offer\",\"ts\":1772409630.5}\n"
	    "{\"call\":\"k\",\"platform\":\"p\",\"ts\":1772409630.5,\"queue\":\"q\",\"event\":\"offer\"}\n");

	cr_assert_eq(g->nev, 3);
	for (int i = 1; i < 3; i++) {
		g->ev[i].line = g->ev[0].line;
		cr_expect(memcmp(&g->ev[0], &g->ev[i], sizeof g->ev[0]) == 0,
		    "line %d decodes differently", i + 1);
	}
}

/* ---- the citizen's number ---- */

Test(feed, caller_number_never_reaches_the_event)
{
	static const char *const digits = "13800138000";
	struct got *g = feed_text(
	    "{\"caller\":\"13800138000\",\"ts\":1772409630,\"event\":\"offer\",\"call\":\"c9\"}\n"
	    "{\"ts\":1772409640,\"event\":\"answer\",\"call\":\"c9\",\"seat\":\"7\",\"caller\":\"13800138000\"}\n"
	    "{\"ts\":1772409650,\"event\":\"hangup\",\"call\":\"c9\",\"caller\":13800138000}\n");

	cr_assert_eq(g->nev, 3);
	for (int i = 0; i < g->nev; i++) {
		const struct got_event *e = &g->ev[i];
		const char *fields[] = { e->call, e->queue, e->platform, e->seat, e->outcome };
		for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
			cr_expect(strstr(fields[k], digits) == NULL, "event %d field %zu holds the caller",
			    i, k);
	}
}

Test(feed, caller_number_never_reaches_an_error_message)
{
	struct got *g = feed_text(
	    "{\"caller\":\"13800138000\",\"ts\":\"soon\",\"event\":\"offer\",\"call\":\"c9\"}\n"
	    "{\"caller\":\"13800138000\",\"ts\":1772409630,\"event\":\"offer\"}\n"
	    "{\"caller\":\"13800138000\",\"ts\":1772409630,\"event\":\"ring\",\"call\":\"c9\"}\n"
	    "{\"caller\":\"13800138000\" 13800138000\n");

	cr_assert_eq(g->nerr, 4);
	for (int i = 0; i < g->nerr; i++)
		cr_expect(strstr(g->err[i].reason, "13800138000") == NULL && strstr(g->err[i].reason, "138") == NULL,
		    "error reason \"%s\" quotes the line", g->err[i].reason);
}

/* ---- line structure ---- */

Test(feed, crlf_lines_decode_like_lf_lines)
{
	struct got *crlf = feed_text(GOOD1 "\r\n" "{\"ts\":1772409640,\"event\":\"hangup\",\"call\":\"c1\"}\r\n");
	struct got a = *crlf;
	struct got *lf = feed_text(GOOD1 "\n" "{\"ts\":1772409640,\"event\":\"hangup\",\"call\":\"c1\"}\n");

	expect_same(lf, &a, "with CRLF endings");
	cr_expect_eq(a.nerr, 0);
	cr_expect_eq(a.nev, 2);
	cr_expect_str_eq(a.ev[0].queue, "12345");
}

Test(feed, crlf_ending_does_not_leak_into_the_last_field)
{
	const struct got_event *e = one_event("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"c1\"}\r\n");

	cr_expect_str_eq(e->call, "c1");
}

Test(feed, last_line_without_newline_is_decoded_at_end_of_input)
{
	struct got *g = feed_text(GOOD1 "{\"ts\":1772409640,\"event\":\"hangup\",\"call\":\"c1\"}");

	cr_expect_eq(g->nerr, 0);
	cr_assert_eq(g->nev, 2);
	expect_i64(g->ev[1].line, 2);
}

Test(feed, blank_lines_are_skipped_but_keep_their_line_numbers)
{
	struct got *g = feed_text("\n" GOOD1 "\n   \n\r\n\t\n" "{\"ts\":1772409640,\"event\":\"ring\",\"call\":\"c1\"}\n"
	    "\n" GOOD3);

	cr_expect_eq(g->nerr, 1);
	cr_assert_eq(g->nev, 2);
	expect_i64(g->ev[0].line, 2);
	expect_i64(g->err[0].line, 7);
	expect_i64(g->ev[1].line, 9);
	expect_i64(g->stats.events, 2);
	expect_i64(g->stats.errors, 1);
	/* feed.h: `lines` counts every line, blank ones included, as `wc -l` would */
	expect_i64(g->stats.lines, 9);
}

Test(feed, empty_input_gives_nothing)
{
	struct got *g = feed_text("");

	cr_expect_eq(g->nev, 0);
	cr_expect_eq(g->nerr, 0);
	g = feed_text("\n\n\r\n");
	cr_expect_eq(g->nev, 0);
	cr_expect_eq(g->nerr, 0);
}

Test(feed, error_callbacks_carry_line_numbers)
{
	struct got *g = feed_text(GOOD1 "nonsense\n" GOOD1 "\n" "[]\n" GOOD1 "{\"ts\":1}\n");

	cr_assert_eq(g->nerr, 3);
	expect_i64(g->err[0].line, 2);
	expect_i64(g->err[1].line, 5);
	expect_i64(g->err[2].line, 7);
	cr_assert_eq(g->nev, 3);
	expect_i64(g->ev[0].line, 1);
	expect_i64(g->ev[1].line, 3);
	expect_i64(g->ev[2].line, 6);
}

/* ---- every error class ---- */

Test(feed, text_that_is_not_json_is_an_error)
{
	expect_bad_line("offer c1 at 08:00");
	expect_bad_line("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"c1\"");
	expect_bad_line("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"c1\"} trailing");
	expect_bad_line("{ts:1772409630,event:\"offer\",call:\"c1\"}");
	expect_bad_line("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"c1\",}");
}

Test(feed, json_that_is_not_an_object_is_an_error)
{
	expect_bad_line("[{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"c1\"}]");
	expect_bad_line("\"offer\"");
	expect_bad_line("42");
	expect_bad_line("null");
	expect_bad_line("true");
}

Test(feed, missing_ts_is_an_error)
{
	expect_bad_line("{\"event\":\"offer\",\"call\":\"c2\"}");
}

Test(feed, missing_event_is_an_error)
{
	expect_bad_line("{\"ts\":1772409630,\"call\":\"c2\"}");
}

Test(feed, missing_call_is_an_error_on_call_events)
{
	expect_bad_line("{\"ts\":1772409630,\"event\":\"offer\",\"queue\":\"12345\"}");
	expect_bad_line("{\"ts\":1772409630,\"event\":\"answer\",\"seat\":\"1001\"}");
	expect_bad_line("{\"ts\":1772409630,\"event\":\"hangup\"}");
}

Test(feed, missing_seat_is_an_error_on_answer_and_seat_events)
{
	expect_bad_line("{\"ts\":1772409630,\"event\":\"answer\",\"call\":\"c2\"}");
	expect_bad_line("{\"ts\":1772409630,\"event\":\"seat\",\"state\":\"ready\"}");
}

Test(feed, unknown_event_is_an_error)
{
	expect_bad_line("{\"ts\":1772409630,\"event\":\"ring\",\"call\":\"c2\"}");
	expect_bad_line("{\"ts\":1772409630,\"event\":\"OFFER\",\"call\":\"c2\"}");
	expect_bad_line("{\"ts\":1772409630,\"event\":\"\",\"call\":\"c2\"}");
}

Test(feed, unreadable_ts_is_an_error)
{
	expect_bad_line("{\"ts\":\"yesterday\",\"event\":\"offer\",\"call\":\"c2\"}");
	expect_bad_line("{\"ts\":\"2026-03-02T08:00:30\",\"event\":\"offer\",\"call\":\"c2\"}");
	expect_bad_line("{\"ts\":\"2026-02-30T25:00:30Z\",\"event\":\"offer\",\"call\":\"c2\"}");
	expect_bad_line("{\"ts\":true,\"event\":\"offer\",\"call\":\"c2\"}");
	expect_bad_line("{\"ts\":null,\"event\":\"offer\",\"call\":\"c2\"}");
	expect_bad_line("{\"ts\":[1772409630],\"event\":\"offer\",\"call\":\"c2\"}");
}

Test(feed, invalid_utf8_is_an_error)
{
	expect_bad_line("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"c\xff\"}");
	expect_bad_line("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"c2\",\"queue\":\"\xe4\xb8\"}");
	expect_bad_line("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"c2\",\"queue\":\"\xc0\xaf\"}");
	expect_bad_line("{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"c2\",\"note\":\"\xed\xa0\x80\"}");
}

/* ---- long lines ---- */

/* A valid offer line padded with spaces inside the object to exactly `len` bytes. */
static char *line_of_length(size_t len)
{
	static const char head[] = "{\"ts\":1772409630,\"event\":\"offer\",\"call\":\"long\"";
	char *p = malloc(len + 1);

	cr_assert_not_null(p);
	cr_assert(len > sizeof head);
	memcpy(p, head, sizeof head - 1);
	memset(p + sizeof head - 1, ' ', len - sizeof head);
	p[len - 1] = '}';
	p[len] = '\0';
	return p;
}

static struct got *feed_around(const char *middle, const char *ending)
{
	size_t n = strlen(GOOD1) + strlen(middle) + strlen(ending) + strlen(GOOD3) + 1;
	char *text = malloc(n);
	struct got *g;

	cr_assert_not_null(text);
	snprintf(text, n, "%s%s%s%s", GOOD1, middle, ending, GOOD3);
	g = feed_text(text);
	free(text);
	return g;
}

Test(feed, line_of_exactly_64_kib_is_read)
{
	char *line = line_of_length(RX_FEED_MAX_LINE);
	struct got *g = feed_around(line, "\n");

	cr_expect_eq(g->nerr, 0, "a line of exactly 64 KiB was rejected: %s", g->nerr ? g->err[0].reason : "");
	cr_expect_eq(g->nev, 3);
	g = feed_around(line, "\r\n");
	cr_expect_eq(g->nerr, 0, "a 64 KiB line ending in CRLF was rejected: %s",
	    g->nerr ? g->err[0].reason : "");
	cr_expect_eq(g->nev, 3);
	free(line);
}

Test(feed, line_over_64_kib_is_an_error)
{
	char *line = line_of_length(RX_FEED_MAX_LINE + 1);
	struct got *g = feed_around(line, "\n");

	cr_expect_eq(g->nerr, 1);
	if (g->nerr == 1)
		expect_i64(g->err[0].line, 2);
	cr_assert_eq(g->nev, 2);
	expect_i64(g->ev[1].line, 3);
	free(line);
}

Test(feed, megabyte_line_in_small_chunks_is_one_error_and_the_feed_goes_on)
{
	size_t big = 1024 * 1024;
	char *line = line_of_length(big);
	size_t n = strlen(GOOD1) + big + 1 + strlen(GOOD3);
	char *text = malloc(n + 1);
	struct got g;

	cr_assert_not_null(text);
	snprintf(text, n + 1, "%s%s\n%s", GOOD1, line, GOOD3);
	for (size_t chunk = 0; chunk <= 4096; chunk = chunk ? chunk * 16 : 1) {
		feed_chunked(&g, text, n, chunk == 0 ? 100 : chunk);
		cr_expect_eq(g.nerr, 1, "chunks of %zu: %d errors", chunk, g.nerr);
		if (g.nerr >= 1)
			expect_i64(g.err[0].line, 2);
		cr_expect_eq(g.nev, 2, "chunks of %zu", chunk);
		if (g.nev == 2)
			expect_i64(g.ev[1].line, 3);
		expect_i64(g.stats.errors, 1);
	}
	free(text);
	free(line);
}

Test(feed, overlong_last_line_without_newline_is_an_error)
{
	char *line = line_of_length(RX_FEED_MAX_LINE + 10);
	size_t n = strlen(GOOD1) + strlen(line) + 1;
	char *text = malloc(n);
	struct got *g;

	cr_assert_not_null(text);
	snprintf(text, n, "%s%s", GOOD1, line);
	g = feed_text(text);
	cr_expect_eq(g->nev, 1);
	cr_assert_eq(g->nerr, 1);
	expect_i64(g->err[0].line, 2);
	free(text);
	free(line);
}

/* ---- chunking ---- */

Test(feed, the_same_bytes_in_any_chunking_give_the_same_events)
{
	static const char text[] =
	    "{\"ts\":1772409630.001,\"event\":\"offer\",\"call\":\"a\",\"queue\":\"\\u4e00\\u4f01\\u6765\"}\r\n"
	    "\n"
	    "{\"ts\":\"2026-03-02T08:00:31.5+08:00\",\"event\":\"answer\",\"call\":\"a\",\"seat\":\"s1\"}\n"
	    "garbage\n"
	    "{\"ts\":1772409700,\"event\":\"hangup\",\"call\":\"a\",\"outcome\":\"online\"}\r\n"
	    "\r\n"
	    "{\"ts\":1772409701,\"event\":\"seat\",\"seat\":\"s1\",\"state\":\"notready\"}";
	struct got whole;
	struct got *g;

	feed_chunked(&whole, text, sizeof text - 1, 0);
	cr_assert_eq(whole.nev, 4);
	cr_assert_eq(whole.nerr, 1);
	for (size_t chunk = 1; chunk < sizeof text; chunk++) {
		static struct got other;
		char how[32];
		feed_chunked(&other, text, sizeof text - 1, chunk);
		snprintf(how, sizeof how, "in chunks of %zu", chunk);
		expect_same(&whole, &other, how);
	}
	g = &whole;
	cr_expect_str_eq(g->ev[0].queue, "一企来");
	expect_i64(g->ev[0].ts_ms, 1772409630001LL);
	expect_i64(g->ev[1].ts_ms, 1772409631500LL);
	expect_i64(g->err[0].line, 4);
	expect_i64(g->ev[3].line, 7);
}

Test(feed, rfc3339_day_beyond_the_month_end_is_unreadable)
{
	expect_bad_line("{\"ts\":\"2026-02-30T08:00:30Z\",\"event\":\"offer\",\"call\":\"c2\"}");
	expect_bad_line("{\"ts\":\"2026-04-31T08:00:30+08:00\",\"event\":\"offer\",\"call\":\"c2\"}");
}
