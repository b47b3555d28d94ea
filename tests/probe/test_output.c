/*
 * Output and configuration tests: the NDJSON line for each event, exact millisecond timestamps,
 * escaping of wire strings, the caller number never in clear, and config errors with line numbers.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dialog/config.h"
#include "output/ndjson.h"

static struct rx_out out;

static const char *
fmt(const struct rx_dialog_event *ev)
{
	static char buf[1024];
	size_t n = rx_out_format(&out, ev, buf, sizeof(buf) - 1);

	buf[n] = '\0';
	return buf;
}

Test(ndjson, events_and_exact_milliseconds)
{
	struct rx_dialog_event ev = { .type = RX_EV_OFFER, .ts_us = 1772413231001999LL, .call = "c\"1\\",
		.queue = "一企来", .caller = { "13800138000", 11 }, .platform = "jinan" };

	rx_out_init(&out, NULL, NULL);
	cr_assert_str_eq(fmt(&ev), "{\"ts\":1772413231.001,\"event\":\"offer\",\"call\":\"c\\\"1\\\\\","
	    "\"queue\":\"一企来\",\"direction\":\"in\",\"platform\":\"jinan\"}\n");
	ev = (struct rx_dialog_event){ .type = RX_EV_ANSWER, .ts_us = 5000, .call = "x\x01\xff", .seat = "A01" };
	cr_assert_str_eq(fmt(&ev), "{\"ts\":0.005,\"event\":\"answer\",\"call\":\"x\\u0001\\ufffd\",\"seat\":\"A01\"}\n");
	ev = (struct rx_dialog_event){ .type = RX_EV_HANGUP, .ts_us = 1000000, .call = "x", .outcome = "busy" };
	cr_assert_str_eq(fmt(&ev), "{\"ts\":1.000,\"event\":\"hangup\",\"call\":\"x\",\"outcome\":\"busy\"}\n");
}

Test(ndjson, caller_is_hashed_never_clear)
{
	char path[] = "/tmp/rx-probe-key-XXXXXX", err[256];
	int fd = mkstemp(path);
	struct rx_dialog_event ev = { .type = RX_EV_OFFER, .ts_us = 1, .call = "c", .queue = "q",
		.caller = { "13800138000", 11 } };
	const char *line;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "0123456789abcdef-secret\n", 24), 24);
	close(fd);
	rx_out_init(&out, NULL, NULL);
	cr_assert_eq(rx_out_load_key(&out, path, err, sizeof(err)), 0, "%s", err);
	unlink(path);
	line = fmt(&ev);
	cr_assert_null(strstr(line, "13800138000"));
	/* HMAC-SHA256("0123456789abcdef-secret", "13800138000"), first 16 bytes (openssl dgst -hmac) */
	cr_assert_not_null(strstr(line, "\"caller\":\"243b99f6028022be7aecb6657a3bba93\""), "%s", line);
}

Test(config, queues_seats_and_errors_with_line_numbers)
{
	struct rx_probe_config c;
	char err[256];
	struct rx_sip_str none = { "", 0 }, u12345 = { "12345", 5 }, u123451 = { "123451", 6 },
	    uri = { "sip:hotline@x;user=phone", 24 }, e8001 = { "8001", 4 };

	cr_assert_eq(rx_probe_config_parse(&c, "# hotline\n[probe]\nplatform = jinan   ; trailing comment\n[queues]\n"
	    "12345 = 12345 # the main line\n一企来 = 123451, sip:hotline@*;user=phone\n[seats]\nA01 = 80*\nA02 = 10.0.0.9\n", "t", err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(rx_probe_config_queue(&c, none, u12345, none), "12345");
	cr_assert_str_eq(rx_probe_config_queue(&c, none, u123451, none), "一企来");
	cr_assert_str_eq(rx_probe_config_queue(&c, uri, none, none), "一企来");
	cr_assert_str_eq(rx_probe_config_queue(&c, none, none, u12345), "12345", "To user as fallback");
	cr_assert_null(rx_probe_config_queue(&c, none, e8001, none));
	cr_assert_str_eq(rx_probe_config_seat(&c, e8001, none, ""), "A01");
	cr_assert_str_eq(rx_probe_config_seat(&c, none, none, "10.0.0.9"), "A02");
	cr_assert_str_eq(c.platform, "jinan");
	rx_probe_config_free(&c);
	cr_assert_eq(rx_probe_config_parse(&c, "[queues]\n12345 = 1\n\nbroken line\n", "f.conf", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "f.conf:4: expected key = value");
	cr_assert_eq(rx_probe_config_parse(&c, "[nope]\n", "f.conf", err, sizeof(err)), -1);
}
