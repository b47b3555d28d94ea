/*
 * Call tracking tests: the state machine from its table, then whole message sequences (forks, auth
 * retries, retransmissions, re-INVITEs, cancels, B2BUA legs, timeouts) checked against the events the
 * collector must see.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dialog/dialog.h"

/* ---- the state machine, from its table ---- */

Test(dialog_fsm, every_transition)
{
	static const struct { enum rx_dialog_state s; enum rx_dialog_input in; enum rx_dialog_state next;
	    enum rx_dialog_action act; } t[] = {
		{ RX_DLG_NONE, RX_IN_INVITE, RX_DLG_RINGING, RX_ACT_OFFER },
		{ RX_DLG_NONE, RX_IN_2XX, RX_DLG_NONE, RX_ACT_NONE },
		{ RX_DLG_NONE, RX_IN_BYE, RX_DLG_NONE, RX_ACT_NONE },
		{ RX_DLG_RINGING, RX_IN_INVITE, RX_DLG_RINGING, RX_ACT_NONE },
		{ RX_DLG_RINGING, RX_IN_2XX, RX_DLG_ANSWERED, RX_ACT_ANSWER },
		{ RX_DLG_RINGING, RX_IN_CHALLENGE, RX_DLG_CHALLENGED, RX_ACT_NONE },
		{ RX_DLG_RINGING, RX_IN_FAIL, RX_DLG_ENDED, RX_ACT_HANGUP },
		{ RX_DLG_RINGING, RX_IN_CANCEL, RX_DLG_ENDED, RX_ACT_HANGUP },
		{ RX_DLG_RINGING, RX_IN_BYE, RX_DLG_ENDED, RX_ACT_HANGUP },
		{ RX_DLG_RINGING, RX_IN_TIMEOUT, RX_DLG_GONE, RX_ACT_STALE },
		{ RX_DLG_CHALLENGED, RX_IN_INVITE, RX_DLG_RINGING, RX_ACT_NONE },
		{ RX_DLG_CHALLENGED, RX_IN_TIMEOUT, RX_DLG_ENDED, RX_ACT_HANGUP },
		{ RX_DLG_ANSWERED, RX_IN_2XX, RX_DLG_ANSWERED, RX_ACT_NONE },
		{ RX_DLG_ANSWERED, RX_IN_FAIL, RX_DLG_ANSWERED, RX_ACT_NONE },
		{ RX_DLG_ANSWERED, RX_IN_CANCEL, RX_DLG_ANSWERED, RX_ACT_NONE },
		{ RX_DLG_ANSWERED, RX_IN_INVITE, RX_DLG_ANSWERED, RX_ACT_NONE },
		{ RX_DLG_ANSWERED, RX_IN_BYE, RX_DLG_ENDED, RX_ACT_HANGUP },
		{ RX_DLG_ANSWERED, RX_IN_TIMEOUT, RX_DLG_GONE, RX_ACT_STALE },
		{ RX_DLG_ENDED, RX_IN_BYE, RX_DLG_ENDED, RX_ACT_NONE },
		{ RX_DLG_ENDED, RX_IN_2XX, RX_DLG_ENDED, RX_ACT_NONE },
		{ RX_DLG_ENDED, RX_IN_INVITE, RX_DLG_ENDED, RX_ACT_NONE },
		{ RX_DLG_ENDED, RX_IN_TIMEOUT, RX_DLG_GONE, RX_ACT_NONE },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rx_dialog_step st = rx_dialog_next(t[i].s, t[i].in);

		cr_assert_eq(st.next, t[i].next, "row %zu: state %d", i, st.next);
		cr_assert_eq(st.act, t[i].act, "row %zu: action %d", i, st.act);
	}
}

/* ---- the tracker, from message sequences ---- */

static char events[8192];

static void
record(const struct rx_dialog_event *ev, void *arg)
{
	static const char *names[] = { "offer", "answer", "hangup" };
	size_t n = strlen(events);

	(void)arg;
	snprintf(events + n, sizeof(events) - n, "%s %lld %s %s\n", names[ev->type], (long long)ev->ts_us,
	    ev->type == RX_EV_OFFER ? ev->queue : ev->type == RX_EV_ANSWER ? ev->seat :
	    ev->outcome ? ev->outcome : "-", ev->call);
}

static struct rx_probe_config cfg;
static struct rx_dialog_table *tab;

static void
setup(const char *conf, int all_calls)
{
	char err[256];

	events[0] = '\0';
	cr_assert_eq(rx_probe_config_parse(&cfg, conf, "test", err, sizeof(err)), 0, "%s", err);
	tab = rx_dialog_table_new(&cfg, all_calls, 3600LL * 1000000, 100, record, NULL);
	cr_assert_not_null(tab);
}

static void
teardown(void)
{
	rx_dialog_table_free(tab);
	rx_probe_config_free(&cfg);
}

/* Feed "ts|start line|headers..." with '|' as line separator. */
static void
feed(long long ts, const char *start, const char *call, const char *cseq, const char *extra)
{
	char buf[2048];
	struct rx_sip_msg m;
	struct rx_sip_opts o = { cfg.corr_header, 1 };

	snprintf(buf, sizeof(buf), "%s\r\nCall-ID: %s\r\nCSeq: %s\r\n%s\r\n", start, call, cseq, extra);
	cr_assert_gt(rx_sip_parse(buf, strlen(buf), 0, &o, &m, NULL), 0, "bad test message %s", buf);
	rx_dialog_table_msg(tab, &m, &(struct rx_dialog_src){ 4, (const uint8_t *)"\x0a\x00\x00\x09" }, ts);
}

#define HOTLINE "[queues]\n12345 = 12345\n一企来 = 123451\n[seats]\nA01 = 8001\nA02 = 10.0.0.9\n"
#define INV "INVITE sip:12345@h SIP/2.0"
#define VIA1 "Via: SIP/2.0/UDP c;branch=z9hG4bK1\r\nFrom: <sip:138@c>;tag=f\r\nTo: <sip:12345@h>\r\n"
#define TO_T "Via: SIP/2.0/UDP c;branch=z9hG4bK1\r\nFrom: <sip:138@c>;tag=f\r\nTo: <sip:12345@h>;tag=t\r\n"

Test(dialog, answered_call_with_retransmissions_and_reinvite, .fini = teardown)
{
	setup(HOTLINE, 0);
	feed(1000, INV, "c1", "1 INVITE", VIA1);
	feed(1500, INV, "c1", "1 INVITE", VIA1);                        /* retransmission */
	feed(2000, "SIP/2.0 180 Ringing", "c1", "1 INVITE", TO_T);
	feed(5000, "SIP/2.0 200 OK", "c1", "1 INVITE", TO_T "Contact: <sip:8001@10.0.0.9>\r\n");
	feed(5100, "SIP/2.0 200 OK", "c1", "1 INVITE", TO_T "Contact: <sip:8001@10.0.0.9>\r\n");
	feed(6000, "INVITE sip:138@c SIP/2.0", "c1", "2 INVITE", TO_T);    /* re-INVITE */
	feed(6100, "SIP/2.0 200 OK", "c1", "2 INVITE", TO_T);
	feed(9000, "BYE sip:138@c SIP/2.0", "c1", "3 BYE", TO_T);
	feed(9100, "BYE sip:138@c SIP/2.0", "c1", "3 BYE", TO_T);
	cr_assert_str_eq(events, "offer 1000 12345 c1\nanswer 5000 A01 c1\nhangup 9000 - c1\n");
}

Test(dialog, auth_retry_is_one_offer_and_failures_name_the_outcome, .fini = teardown)
{
	setup(HOTLINE, 0);
	feed(1000, INV, "c2", "1 INVITE", VIA1);
	feed(1100, "SIP/2.0 407 Proxy Auth", "c2", "1 INVITE", TO_T);
	feed(1200, INV, "c2", "2 INVITE", "Via: SIP/2.0/UDP c;branch=z9hG4bK2\r\n");
	feed(1300, "SIP/2.0 486 Busy", "c2", "2 INVITE", "Via: SIP/2.0/UDP c;branch=z9hG4bK2\r\n");
	feed(2000, "INVITE sip:123451@h SIP/2.0", "c3", "1 INVITE", VIA1);
	feed(2500, "SIP/2.0 503 Unavailable", "c3", "1 INVITE", TO_T);
	feed(3000, INV, "c4", "1 INVITE", VIA1);
	feed(3500, "CANCEL sip:12345@h SIP/2.0", "c4", "1 CANCEL", VIA1);
	feed(3600, "SIP/2.0 487 Terminated", "c4", "1 INVITE", TO_T);
	cr_assert_str_eq(events, "offer 1000 12345 c2\nhangup 1300 busy c2\n"
	    "offer 2000 一企来 c3\nhangup 2500 rejected:503 c3\n"
	    "offer 3000 12345 c4\nhangup 3500 cancel c4\n");
}

Test(dialog, forked_branch_failure_does_not_end_the_call, .fini = teardown)
{
	setup(HOTLINE, 0);
	feed(1000, INV, "c5", "1 INVITE", VIA1);
	/* the proxy forks to two seats; one is busy (its own branch), the other answers */
	feed(1100, "SIP/2.0 486 Busy", "c5", "1 INVITE", "Via: SIP/2.0/UDP p;branch=z9hG4bKfork1\r\n");
	feed(1200, "SIP/2.0 180 Ringing", "c5", "1 INVITE", TO_T);
	feed(4000, "SIP/2.0 200 OK", "c5", "1 INVITE", "Via: SIP/2.0/UDP p;branch=z9hG4bKfork2\r\n"
	    "To: <sip:12345@h>;tag=seat2\r\nContact: <sip:9002@10.1.1.1>\r\n");
	cr_assert_str_eq(events, "offer 1000 12345 c5\nanswer 4000 A02 c5\n");
}

Test(dialog, non_hotline_calls_are_ignored_unless_all_calls, .fini = teardown)
{
	setup(HOTLINE, 0);
	feed(1000, "INVITE sip:999@h SIP/2.0", "c6", "1 INVITE", "To: <sip:999@h>\r\n");
	cr_assert_str_eq(events, "");
	cr_assert_eq(rx_dialog_table_stats(tab)->not_hotline, 1);
	teardown();
	setup("", 1);
	feed(1000, "INVITE sip:999@h SIP/2.0", "c6", "1 INVITE", "To: <sip:999@h>\r\n");
	cr_assert_str_eq(events, "offer 1000 999 c6\n");
}

Test(dialog, b2bua_answer_comes_from_the_seat_leg, .fini = teardown)
{
	setup("[probe]\ncorrelate-header = X-Queue-Call-ID\nb2bua = yes\n" HOTLINE, 0);
	feed(1000, INV, "caller", "1 INVITE", VIA1);
	feed(1100, "SIP/2.0 200 OK", "caller", "1 INVITE", TO_T);                 /* ACD's IVR answers */
	feed(3000, "INVITE sip:8001@seat SIP/2.0", "leg1", "1 INVITE", "X-Queue-Call-ID: caller\r\n");
	feed(3100, "SIP/2.0 486 Busy", "leg1", "1 INVITE", "");                   /* first seat busy */
	feed(4000, "INVITE sip:8001@seat SIP/2.0", "leg2", "1 INVITE", "X-Queue-Call-ID: caller\r\n");
	feed(9000, "SIP/2.0 200 OK", "leg2", "1 INVITE", "Contact: <sip:8001@10.2.2.2>\r\n");
	feed(20000, "BYE sip:8001@seat SIP/2.0", "leg2", "2 BYE", "To: <sip:8001@seat>;tag=x\r\n");
	feed(20100, "BYE sip:138@c SIP/2.0", "caller", "2 BYE", TO_T);
	cr_assert_str_eq(events, "offer 1000 12345 caller\nanswer 9000 A01 caller\nhangup 20100 - caller\n");
}

Test(dialog, timeouts_drop_stale_calls_and_end_unretried_challenges, .fini = teardown)
{
	setup(HOTLINE, 0);
	feed(1000, INV, "s1", "1 INVITE", VIA1);
	feed(2000, INV, "s2", "1 INVITE", VIA1);
	feed(2100, "SIP/2.0 401 Unauthorized", "s2", "1 INVITE", TO_T);
	rx_dialog_table_tick(tab, 3600LL * 1000000 + 999);
	cr_assert_eq(rx_dialog_table_stats(tab)->stale, 0);
	rx_dialog_table_tick(tab, 3600LL * 1000000 + 1000);
	cr_assert_eq(rx_dialog_table_stats(tab)->stale, 1);
	cr_assert_str_eq(events, "offer 1000 12345 s1\noffer 2000 12345 s2\nhangup 2100 rejected:401 s2\n");
	rx_dialog_table_tick(tab, 7200LL * 1000000);
	cr_assert_eq(rx_dialog_table_stats(tab)->in_flight, 0, "memory is bounded by calls in flight");
}

Test(dialog, max_calls_bounds_memory, .fini = teardown)
{
	char id[32];

	setup(HOTLINE, 0);
	for (int i = 0; i < 150; i++) {
		snprintf(id, sizeof(id), "m%d", i);
		feed(1000 + i, INV, id, "1 INVITE", VIA1);
	}
	cr_assert_eq(rx_dialog_table_stats(tab)->in_flight, 100);
	cr_assert_eq(rx_dialog_table_stats(tab)->overflow, 50);
	cr_assert_eq(rx_dialog_table_stats(tab)->offers, 100);
}
