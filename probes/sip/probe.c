/*
 * Pipeline wiring (see probe.h): decoded UDP payloads are parsed as one SIP message each, TCP payloads
 * go through stream reassembly and the push reader, and every parsed message reaches the dialog table
 * with its capture time. Timers run on packet time so a file replays exactly as it was captured.
 */
#include "probe.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define RX_PROBE_TICK_US 1000000
#define RX_PROBE_TCP_IDLE_US (300LL * 1000000)

static void rx_probe_packet_cb(const struct rx_pkt *pk, void *arg);
static void rx_probe_tcp_cb(struct rx_sip_reader *r, const uint8_t *data, size_t len, const struct rx_pkt *pk,
    void *arg);

int
rx_probe_init(struct rx_probe *p, struct rx_probe_config *cfg, const struct rx_probe_params *params)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	p->sip_opts.corr_header = p->cfg.corr_header;
	p->sip_opts.lazy = 1;
	if (rx_pkt_decoder_init(&p->dec, rx_probe_packet_cb, p) < 0)
		return -1;
	p->tcp = rx_tcp_new(params->max_tcp_streams, RX_PROBE_TCP_IDLE_US, rx_probe_tcp_cb, p);
	p->calls = rx_dialog_table_new(&p->cfg, params->all_calls, params->max_age_us, params->max_calls,
	    rx_out_event_cb, &p->out);
	if (p->tcp == NULL || p->calls == NULL) {
		rx_probe_free(p);
		return -1;
	}
	return 0;
}

void
rx_probe_free(struct rx_probe *p)
{
	rx_dialog_table_free(p->calls);
	rx_tcp_free(p->tcp);
	rx_pkt_decoder_free(&p->dec);
	rx_probe_config_free(&p->cfg);
	p->calls = NULL;
	p->tcp = NULL;
}

/* Runtime errors: one line per 10 s at most, with how many were not shown. */
static void
rx_probe_log_error(struct rx_probe *p, const struct rx_pkt *pk, const char *what)
{
	int64_t now = (int64_t)time(NULL);
	char ip[INET6_ADDRSTRLEN] = "?";

	if (now - p->last_log_s < 10) {
		p->suppressed++;
		return;
	}
	inet_ntop(pk->family == 4 ? AF_INET : AF_INET6, pk->src, ip, sizeof(ip));
	fprintf(stderr, "rexian-probe: malformed SIP from %s port %u: %s (%llu similar not shown)\n", ip,
	    pk->sport, what, (unsigned long long)p->suppressed);
	p->last_log_s = now;
	p->suppressed = 0;
}

static void
rx_probe_message(struct rx_probe *p, struct rx_sip_msg *m, const struct rx_pkt *pk)
{
	struct rx_dialog_src src = { pk->family, pk->src };

	p->st.sip++;
	rx_dialog_table_msg(p->calls, m, &src, pk->ts_us);
}

void
rx_probe_sip_datagram(struct rx_probe *p, const struct rx_pkt *pk)
{
	struct rx_sip_msg m;
	const char *err = NULL;

	/* Parse first, classify failures after: most datagrams on SIP ports are SIP. */
	if (rx_sip_parse((const char *)pk->data, pk->len, 0, &p->sip_opts, &m, &err) < 0) {
		if (!rx_sip_looks_like((const char *)pk->data, pk->len)) {
			p->st.not_sip++;
			return;
		}
		p->st.parse_errors++;
		rx_probe_log_error(p, pk, err);
		return;
	}
	rx_probe_message(p, &m, pk);
}

static void
rx_probe_tcp_cb(struct rx_sip_reader *r, const uint8_t *data, size_t len, const struct rx_pkt *pk, void *arg)
{
	struct rx_probe *p = arg;
	struct rx_sip_msg m;
	uint64_t errors = r->errors;

	if (rx_sip_reader_feed(r, data, len) < 0) {
		p->st.parse_errors++;
		rx_probe_log_error(p, pk, r->errstr);
		return;
	}
	while (rx_sip_reader_next(r, &p->sip_opts, &m) == 1)
		rx_probe_message(p, &m, pk);
	if (r->errors != errors) {
		p->st.parse_errors += r->errors - errors;
		rx_probe_log_error(p, pk, r->errstr);
	}
}

static void
rx_probe_packet_cb(const struct rx_pkt *pk, void *arg)
{
	struct rx_probe *p = arg;

	if (pk->proto == RX_PKT_UDP) {
		rx_probe_sip_datagram(p, pk);
		return;
	}
	rx_tcp_segment(p->tcp, pk);
}

void
rx_probe_tick(struct rx_probe *p, int64_t now)
{
	p->last_tick_us = now;
	rx_dialog_table_tick(p->calls, now);
	rx_tcp_tick(p->tcp, now);
}

/* Timers follow packet time; a big step back (a second file, a clock jump) restarts the beat. */
static void
rx_probe_clock(struct rx_probe *p, int64_t ts_us)
{
	if (ts_us > p->newest_ts_us)
		p->newest_ts_us = ts_us;
	if (ts_us - p->last_tick_us >= RX_PROBE_TICK_US || ts_us < p->last_tick_us - 60 * RX_PROBE_TICK_US)
		rx_probe_tick(p, ts_us);
}

void
rx_probe_frame_cb(int link, const uint8_t *frame, size_t len, int64_t ts_us, void *arg)
{
	struct rx_probe *p = arg;

	p->st.frames++;
	rx_pkt_decode(&p->dec, link, frame, len, ts_us);
	rx_probe_clock(p, ts_us);
}

void
rx_probe_hep_cb(const struct rx_pkt *pk, void *arg)
{
	struct rx_probe *p = arg;

	p->st.hep++;
	rx_probe_sip_datagram(p, pk);
	rx_probe_clock(p, pk->ts_us);
}

void
rx_probe_hep_bad_cb(const struct rx_pkt *pk, void *arg)
{
	struct rx_probe *p = arg;

	(void)pk;
	p->st.hep_errors++;
}

void
rx_probe_finish(struct rx_probe *p)
{
	rx_dialog_table_finish(p->calls);
}

void
rx_probe_print_stats(const struct rx_probe *p, const char *what, uint64_t drops, const char *extra)
{
	const struct rx_dialog_stats *d = rx_dialog_table_stats(p->calls);
	const struct rx_tcp_stats *t = rx_tcp_stats(p->tcp);

	fprintf(stderr, "rexian-probe: %s frames=%llu undecodable=%llu fragments=%llu reassembled=%llu "
	    "hep=%llu hep_errors=%llu sip=%llu parse_errors=%llu not_sip=%llu tcp_streams=%llu "
	    "tcp_gaps=%llu offers=%llu answers=%llu hangups=%llu in_flight=%llu not_hotline=%llu "
	    "orphans=%llu stale=%llu overflow=%llu drops=%llu%s\n", what,
	    (unsigned long long)p->st.frames, (unsigned long long)p->dec.stats.undecodable,
	    (unsigned long long)p->dec.stats.fragments, (unsigned long long)p->dec.stats.reassembled,
	    (unsigned long long)p->st.hep, (unsigned long long)p->st.hep_errors,
	    (unsigned long long)p->st.sip, (unsigned long long)p->st.parse_errors,
	    (unsigned long long)p->st.not_sip, (unsigned long long)t->streams, (unsigned long long)t->gaps,
	    (unsigned long long)d->offers, (unsigned long long)d->answers, (unsigned long long)d->hangups,
	    (unsigned long long)d->in_flight, (unsigned long long)d->not_hotline,
	    (unsigned long long)d->orphans, (unsigned long long)d->stale, (unsigned long long)d->overflow,
	    (unsigned long long)drops, extra);
}
