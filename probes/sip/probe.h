/*
 * The probe's pipeline object: owns one instance of every stage (decoder, TCP streams, SIP parsing,
 * dialog table, output) and the counters behind the health line. Sources (pcap, HEP) push frames or
 * SIP payloads into it; it never does I/O itself except through the output sink, so main.c wires
 * sources and sinks and tests or fuzzers can drive it with bytes.
 */
#ifndef RX_PROBE_H
#define RX_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "dialog/config.h"
#include "dialog/dialog.h"
#include "output/ndjson.h"
#include "packet/decode.h"
#include "packet/tcpstream.h"
#include "sip/parser.h"

struct rx_probe_stats {
	uint64_t frames;                /* frames from capture sources */
	uint64_t hep;                   /* HEP packets accepted */
	uint64_t hep_errors;            /* HEP packets rejected */
	uint64_t sip;                   /* SIP messages parsed */
	uint64_t parse_errors;          /* payloads that looked like SIP but did not parse */
	uint64_t not_sip;               /* UDP/TCP payloads that are not SIP (RTP, keep-alives) */
};

struct rx_probe {
	struct rx_probe_config cfg;
	struct rx_sip_opts sip_opts;
	struct rx_pkt_decoder dec;
	struct rx_tcp_table *tcp;
	struct rx_dialog_table *calls;
	struct rx_out out;
	struct rx_probe_stats st;
	int64_t last_tick_us;
	int64_t newest_ts_us;           /* newest packet time seen: the probe's clock */
	int64_t last_log_s;             /* rate limit for runtime error lines */
	uint64_t suppressed;
};

struct rx_probe_params {
	int all_calls;
	int64_t max_age_us;
	size_t max_calls;
	size_t max_tcp_streams;
};

/* cfg is taken over (freed by rx_probe_free). Returns 0 or -1 (out of memory). The output sink must be
 * set in p->out before the first packet. */
int rx_probe_init(struct rx_probe *p, struct rx_probe_config *cfg, const struct rx_probe_params *params);
void rx_probe_free(struct rx_probe *p);

/* A captured frame (rx_capture_frame_cb signature). */
void rx_probe_frame_cb(int link, const uint8_t *frame, size_t len, int64_t ts_us, void *arg);
/* A SIP payload from somewhere other than a frame (HEP): one message per call, datagram framing. */
void rx_probe_sip_datagram(struct rx_probe *p, const struct rx_pkt *pk);
/* A HEP packet (rx_hep_cb signatures): good ones carry one SIP message, bad ones are counted. */
void rx_probe_hep_cb(const struct rx_pkt *pk, void *arg);
void rx_probe_hep_bad_cb(const struct rx_pkt *pk, void *arg);
/* Run timers at this time (packet time, or wall time when idle). */
void rx_probe_tick(struct rx_probe *p, int64_t now_us);
/* End of input: finish what can be finished (challenged calls). */
void rx_probe_finish(struct rx_probe *p);
/* One health line on stderr: prefix "stats" or "summary"; extra (may be "") is appended. */
void rx_probe_print_stats(const struct rx_probe *p, const char *what, uint64_t drops, const char *extra);

#endif
