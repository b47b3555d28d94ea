/*
 * fuzz_ts.c: libFuzzer harness for the feed's timestamp reader, rx_feed_parse_ts
 * (src/ingest/feed_ts.c), and the JSON-number path of the line decoder beside it.
 *
 * Invariants:
 *   - it never reads past len: the text (and each of its prefixes) is parsed from a buffer of
 *     exactly that size, so AddressSanitizer catches a byte too far
 *   - a time it accepts is after the epoch (ts > 0, as for a JSON number)
 *   - the forms agree: whatever it accepts, printed back as epoch seconds with milliseconds
 *     and as RFC 3339 in UTC and at other offsets, reads back to the same millisecond
 *   - the decoder's two ts forms agree: `"ts": TEXT` and `"ts": "TEXT"` decode to the same
 *     millisecond when both are accepted (to within the half millisecond a double's
 *     rounding may move when the text has more than three fraction digits)
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "rexian/feed.h"

static struct rx_feed_decoder *dec;

static int parse_exact(const char *s, size_t len, int64_t *ms)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	CHECK(copy != NULL);
	memcpy(copy, s, len);
	rc = rx_feed_parse_ts(copy, len, ms);
	free(copy);
	return rc;
}

/* Civil date of a day count (the inverse of days-from-civil), proleptic Gregorian. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* RFC 3339 text of ms at a zone offset in minutes; 0 if the year does not fit 4 digits. */
static size_t format_rfc3339(char *out, size_t size, int64_t ms, int off_min, bool frac)
{
	int64_t local = ms + off_min * 60000LL;
	int64_t days = floor_div(local, 86400000LL), in_day = local - days * 86400000LL;
	int64_t y;
	int m, d, n;
	char zone[8];

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return 0;
	if (off_min == 0)
		snprintf(zone, sizeof zone, "Z");
	else
		snprintf(zone, sizeof zone, "%c%02d:%02d", off_min < 0 ? '-' : '+',
		    abs(off_min) / 60, abs(off_min) % 60);
	n = snprintf(out, size, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d", y, m, d,
	    (int)(in_day / 3600000), (int)(in_day / 60000 % 60), (int)(in_day / 1000 % 60));
	if (frac)
		n += snprintf(out + n, size - (size_t)n, ".%03d", (int)(in_day % 1000));
	n += snprintf(out + n, size - (size_t)n, "%s", zone);
	return (size_t)n;
}

static void check_forms_agree(int64_t ms)
{
	static const int offsets[] = { 0, 480, -300, 345, -720, 23 * 60 + 59, -(23 * 60 + 59) };
	char text[64];
	int64_t back;
	size_t n;

	/* epoch seconds, with and without the fraction */
	n = (size_t)snprintf(text, sizeof text, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
	if (ms / 1000 < 1000000000000LL) {
		CHECK(parse_exact(text, n, &back) == 0);
		CHECK(back == ms);
		if (ms % 1000 == 0) {
			n = (size_t)snprintf(text, sizeof text, "%" PRId64, ms / 1000);
			CHECK(parse_exact(text, n, &back) == 0);
			CHECK(back == ms);
		}
	}
	/* RFC 3339 at several offsets */
	for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
		if ((n = format_rfc3339(text, sizeof text, ms, offsets[i], true)) == 0)
			continue;
		CHECK(parse_exact(text, n, &back) == 0);
		CHECK(back == ms);
		if (ms % 1000 == 0) {
			n = format_rfc3339(text, sizeof text, ms, offsets[i], false);
			CHECK(parse_exact(text, n, &back) == 0);
			CHECK(back == ms);
		}
	}
}

/* Does s look like a JSON number that the decoder may accept, and how many fraction
 * digits has it? */
static bool json_number(const char *s, size_t len, int *frac_digits)
{
	size_t i = 0;

	*frac_digits = 0;
	if (len == 0 || len > 40)
		return false;
	if (s[0] == '-')
		i++;
	if (i >= len || s[i] < '0' || s[i] > '9')
		return false;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			i++;
			(*frac_digits)++;
		}
	}
	return i == len;   /* exponents are left out: the text form has none */
}

static int decode_ts(const char *ts, size_t tslen, bool quoted, int64_t *ms)
{
	char line[160];
	struct rx_event ev;
	const char *reason;
	int n = snprintf(line, sizeof line - RX_FEED_PADDING,
	    "{\"ts\":%s%.*s%s,\"event\":\"seat\",\"seat\":\"s1\",\"state\":\"ready\"}",
	    quoted ? "\"" : "", (int)tslen, ts, quoted ? "\"" : "");

	if (n <= 0 || (size_t)n >= sizeof line - RX_FEED_PADDING)
		return -1;
	memset(line + n, ' ', sizeof line - (size_t)n);
	if (rx_feed_decode(dec, line, (size_t)n, &ev, &reason) != 0)
		return -1;
	*ms = ev.ts_ms;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dec = rx_feed_decoder_new();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int64_t ms = 0, num_ms, str_ms;
	int frac;
	bool safe = true;

	/* every prefix of the first bytes, from an exact buffer: no read past len */
	for (size_t len = 0; len < size && len < 48; len++)
		(void)parse_exact(s, len, &ms);
	if (parse_exact(s, size, &ms) == 0) {
		CHECK(ms > 0);
		check_forms_agree(ms);
	}
	for (size_t i = 0; i < size; i++)
		if (data[i] == '"' || data[i] == '\\' || data[i] < 0x20 || data[i] >= 0x7f)
			safe = false;
	if (safe && json_number(s, size, &frac) && decode_ts(s, size, false, &num_ms) == 0 &&
	    decode_ts(s, size, true, &str_ms) == 0) {
		if (frac <= 3)
			CHECK(num_ms == str_ms);
		else
			CHECK(num_ms - str_ms <= 1 && str_ms - num_ms <= 1);
	}
	return 0;
}
