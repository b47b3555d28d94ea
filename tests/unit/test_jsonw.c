/*
 * test_jsonw.c: the JSON writer behind `replay --json`, /api/live and the Redis summary.
 * Strings are escaped per RFC 8259 (quotes, backslash, every control character) and read
 * back byte for byte by a real JSON parser (the feed's decoder); reals print so that they
 * read back to the same double, in their shortest such form (0.975, not
 * 0.97499999999999998), as Redis hashes and JSON consumers need; commas fall where they
 * belong.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rexian/feed.h"
#include "rexian/jsonw.h"

TestSuite(jsonw, .timeout = 60);

/* Writes s as the call id of a feed line, decodes the line with the feed's JSON decoder
 * and checks the id came back byte for byte. */
static void expect_round_trip(const char *s, size_t len)
{
	struct rx_jsonw w;
	struct rx_feed_decoder *dec = rx_feed_decoder_new();
	struct rx_event ev;
	const char *reason = NULL;
	char *padded;

	cr_assert_not_null(dec);
	rx_jsonw_init(&w);
	rx_jsonw_open(&w, '{');
	rx_jsonw_key(&w, "ts");
	rx_jsonw_uint(&w, 1772409630);
	rx_jsonw_key(&w, "event");
	rx_jsonw_cstr(&w, "offer");
	rx_jsonw_key(&w, "call");
	rx_jsonw_str(&w, s, len);
	rx_jsonw_close(&w, '}');
	cr_assert(!w.failed);
	for (size_t i = 0; i < w.len; i++)
		cr_expect((unsigned char)w.buf[i] >= 0x20, "raw control byte 0x%02x at %zu in %s",
		    (unsigned char)w.buf[i], i, w.buf);
	padded = calloc(1, w.len + RX_FEED_PADDING);
	cr_assert_not_null(padded);
	memcpy(padded, w.buf, w.len);
	cr_assert_eq(rx_feed_decode(dec, padded, w.len, &ev, &reason), 0,
	    "the writer's output does not parse (%s): %s", reason, w.buf);
	cr_expect_eq(ev.call.len, len, "string of %zu bytes read back as %zu bytes: %s", len,
	    ev.call.len, w.buf);
	cr_expect(ev.call.len == len && memcmp(ev.call.p, s, len) == 0,
	    "string read back differently: %s", w.buf);
	free(padded);
	rx_jsonw_release(&w);
	rx_feed_decoder_free(dec);
}

static char *written_str(const char *s, size_t len)
{
	struct rx_jsonw w;
	char *out;

	rx_jsonw_init(&w);
	rx_jsonw_str(&w, s, len);
	out = strdup(w.buf);
	rx_jsonw_release(&w);
	return out;
}

Test(jsonw, quotes_and_backslashes_are_escaped)
{
	char *out = written_str("say \"hi\" \\ bye", strlen("say \"hi\" \\ bye"));

	cr_expect_str_eq(out, "\"say \\\"hi\\\" \\\\ bye\"");
	free(out);
	expect_round_trip("\"", 1);
	expect_round_trip("\\", 1);
	expect_round_trip("\\\"\\\"", 4);
	expect_round_trip("end\\", 4);
}

Test(jsonw, every_control_character_is_escaped)
{
	for (int c = 0; c < 0x20; c++) {
		char s[3] = { 'a', (char)c, 'b' };
		expect_round_trip(s, 3);
	}
	expect_round_trip("\x7f", 1);
}

Test(jsonw, newline_and_tab_are_escaped)
{
	char *out = written_str("a\nb\tc\rd", 7);

	cr_expect(strchr(out, '\n') == NULL && strchr(out, '\t') == NULL && strchr(out, '\r') == NULL,
	    "raw control characters in %s", out);
	free(out);
	expect_round_trip("line one\nline two\r\n\ttabbed", 27);
}

Test(jsonw, utf8_names_pass_through)
{
	char *out = written_str("一企来", strlen("一企来"));

	cr_expect_str_eq(out, "\"一企来\"");
	free(out);
	expect_round_trip("尚贤 12345 \xf0\x9f\x98\x80", strlen("尚贤 12345 \xf0\x9f\x98\x80"));
}

Test(jsonw, keys_are_escaped_too)
{
	struct rx_jsonw w;

	rx_jsonw_init(&w);
	rx_jsonw_open(&w, '{');
	rx_jsonw_key(&w, "queue \"a\\b\"\n");
	rx_jsonw_uint(&w, 1);
	rx_jsonw_close(&w, '}');
	cr_expect_str_eq(w.buf, "{\"queue \\\"a\\\\b\\\"\\n\":1}");
	rx_jsonw_release(&w);
}

Test(jsonw, commas_fall_between_members_and_elements)
{
	struct rx_jsonw w;

	rx_jsonw_init(&w);
	rx_jsonw_open(&w, '{');
	rx_jsonw_key(&w, "a");
	rx_jsonw_uint(&w, 1);
	rx_jsonw_key(&w, "b");
	rx_jsonw_open(&w, '[');
	rx_jsonw_int(&w, -2);
	rx_jsonw_real(&w, 0.5);
	rx_jsonw_open(&w, '{');
	rx_jsonw_close(&w, '}');
	rx_jsonw_open(&w, '[');
	rx_jsonw_close(&w, ']');
	rx_jsonw_close(&w, ']');
	rx_jsonw_key(&w, "c");
	rx_jsonw_open(&w, '{');
	rx_jsonw_key(&w, "d");
	rx_jsonw_null(&w);
	rx_jsonw_key(&w, "e");
	rx_jsonw_bool(&w, true);
	rx_jsonw_key(&w, "f");
	rx_jsonw_bool(&w, false);
	rx_jsonw_close(&w, '}');
	rx_jsonw_key(&w, "g");
	rx_jsonw_cstr(&w, "x");
	rx_jsonw_close(&w, '}');
	cr_expect(!w.failed);
	cr_expect_str_eq(w.buf,
	    "{\"a\":1,\"b\":[-2,0.5,{},[]],\"c\":{\"d\":null,\"e\":true,\"f\":false},\"g\":\"x\"}");
	rx_jsonw_release(&w);
}

Test(jsonw, integers_print_in_full)
{
	struct rx_jsonw w;

	rx_jsonw_init(&w);
	rx_jsonw_open(&w, '[');
	rx_jsonw_uint(&w, UINT64_MAX);
	rx_jsonw_int(&w, INT64_MIN);
	rx_jsonw_uint(&w, 0);
	rx_jsonw_close(&w, ']');
	cr_expect_str_eq(w.buf, "[18446744073709551615,-9223372036854775808,0]");
	rx_jsonw_release(&w);
}

/* ---- reals ---- */

static void expect_real_text(double v, const char *text)
{
	char buf[64];
	struct rx_jsonw w;

	rx_format_real(buf, sizeof buf, v);
	cr_expect_str_eq(buf, text);
	rx_jsonw_init(&w);
	rx_jsonw_real(&w, v);
	cr_expect_str_eq(w.buf, text);
	rx_jsonw_release(&w);
}

Test(jsonw, reals_print_in_their_shortest_exact_form)
{
	expect_real_text(0.975, "0.975");
	expect_real_text(0.5, "0.5");
	expect_real_text(0.8, "0.8");
	expect_real_text(720.001, "720.001");
	expect_real_text(17.6, "17.6");
	expect_real_text(0, "0");
	expect_real_text(1, "1");
	expect_real_text(39.0 / 40.0, "0.975");
}

Test(jsonw, reals_that_need_17_digits_get_them)
{
	expect_real_text(0.1 + 0.2, "0.30000000000000004");
}

Test(jsonw, reals_read_back_to_the_same_double)
{
	double values[] = {
		1.0 / 3.0, 2.0 / 3.0, 4.0 / 6.0, 5.0 / 6.0, 1680.001 / 5.0, 1625.001 / 4.0, 0.1, 1e-7,
		123456789.123, 1e300, DBL_MIN, DBL_MAX, DBL_TRUE_MIN, -0.975, 0x1.fffffffffffffp-1,
		nextafter(0.975, 1), nextafter(0.975, 0),
	};
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		char buf[64];
		rx_format_real(buf, sizeof buf, values[i]);
		cr_expect(strtod(buf, NULL) == values[i], "%.17g printed as %s", values[i], buf);
	}
	/* and ratios of counts, as the metrics produce them */
	for (int i = 0; i < 100000; i++) {
		char buf[64];
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t den = 1 + x % 100000, num = (x >> 20) % (den + 1);
		double v = (double)num / (double)den;
		rx_format_real(buf, sizeof buf, v);
		cr_assert(strtod(buf, NULL) == v, "%.17g printed as %s", v, buf);
	}
}

Test(jsonw, non_finite_reals_are_written_as_null)
{
	struct rx_jsonw w;

	rx_jsonw_init(&w);
	rx_jsonw_open(&w, '[');
	rx_jsonw_real(&w, NAN);
	rx_jsonw_real(&w, INFINITY);
	rx_jsonw_close(&w, ']');
	cr_expect_str_eq(w.buf, "[null,null]");
	rx_jsonw_release(&w);
}

Test(jsonw, long_output_grows_the_buffer)
{
	struct rx_jsonw w;
	size_t expected = 2;

	rx_jsonw_init(&w);
	rx_jsonw_open(&w, '[');
	for (int i = 0; i < 100000; i++) {
		rx_jsonw_cstr(&w, "一企来");
		expected += strlen("\"一企来\"") + (i > 0);
	}
	rx_jsonw_close(&w, ']');
	cr_expect(!w.failed);
	cr_expect_eq(w.len, expected);
	cr_expect_eq(strlen(w.buf), expected);
	rx_jsonw_release(&w);
}
