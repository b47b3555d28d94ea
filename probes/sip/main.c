/*
 * rexian-probe: passive SIP probe. Reads SIP from live interfaces, capture files or HEP3 datagrams and
 * writes the rexian NDJSON call feed (offer / answer / hangup). This file only parses flags, opens
 * sources and sinks, drops privileges and runs the loop; the pipeline is in probe.c and the stage
 * folders (capture, packet, sip, dialog, output).
 */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/hep.h"
#include "capture/pcapsrc.h"
#include "output/sender.h"
#include "rexian/privdrop.h"
#include "probe.h"

#define RX_MAX_SOURCES 32
/* SIP over TCP connections followed at once (each direction counts); the least recently used goes. */
#define RX_MAX_TCP_STREAMS 8192

struct rx_main_opts {
	const char *ifaces[RX_MAX_SOURCES], *files[RX_MAX_SOURCES];
	int nifaces, nfiles;
	const char *ports, *filter, *config, *out, *send, *caller_key, *user, *hep;
	const char *send_token_file, *send_ca;
	double speed;
	long stats_s;
	long max_age_s;
	long max_calls;
	long send_backlog;
	long send_resend_s;
	int all_calls;
};

struct rx_main {
	struct rx_main_opts o;
	struct rx_probe probe;
	struct rx_capture *live[RX_MAX_SOURCES];
	struct event *live_ev[RX_MAX_SOURCES];
	struct rx_hep *hep;
	struct rx_sender *sender;
	struct event_base *base;
	struct event *sigint, *sigterm;
	int nlive;
	int stopping;                   /* signals received */
	int64_t seen_ts_us, seen_wall_us; /* probe clock and wall clock at the last tick that saw traffic */
};

static void
rx_main_usage(FILE *f)
{
	fprintf(f,
	    "usage: rexian-probe [-i IFACE]... [-r FILE]... [--hep-listen udp://ADDR:PORT] [options]\n"
	    "  -i, --interface IFACE   capture live (repeatable; 'any' allowed)\n"
	    "  -r, --read FILE         read a pcap/pcapng file (repeatable)\n"
	    "      --ports LIST        BPF filter for SIP ports, UDP and TCP (default 5060 for -i)\n"
	    "      --filter EXPR       BPF filter instead of --ports\n"
	    "      --speed X           replay files at X times real time (default: as fast as possible)\n"
	    "      --hep-listen URL    receive HEP3, e.g. udp://127.0.0.1:9060\n"
	    "  -c, --config FILE       queues, seats, platform, B2BUA correlation\n"
	    "      --all-calls         every INVITE dialog is a call; queue = called user\n"
	    "  -w FILE                 write events to FILE ('-' = stdout, the default)\n"
	    "      --send URL          send events to rexiand, e.g. tcp://127.0.0.1:7345 or tls://HOST:7345\n"
	    "      --send-backlog N    bytes of events kept while rexiand is away (default 67108864)\n"
	    "      --send-resend-s N   after a lost connection, send again the last N s of events (default 5)\n"
	    "      --send-token-file F first line of F is the feed token (else $REXIAN_FEED_TOKEN)\n"
	    "      --send-ca FILE      tls://: CA certificates to trust (default: the system store)\n"
	    "      --caller-key FILE   replace the caller number by HMAC-SHA256 with this key\n"
	    "      --user USER         drop root to USER after opening sources\n"
	    "      --stats-s N         health line on stderr every N seconds (0 = only at exit)\n"
	    "      --max-call-age S    forget calls without an end after S seconds (default 14400)\n"
	    "      --max-calls N       calls in flight kept at most (default 1000000)\n"
	    "  -h, --help, --version\n");
}

static int
rx_main_fail(const char *msg)
{
	fprintf(stderr, "rexian-probe: %s\n", msg);
	return -1;
}

static int
rx_main_number(const char *flag, const char *s, long min, long *out)
{
	char *end;
	char msg[256];

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || *out < min) {
		snprintf(msg, sizeof(msg), "%s: expected an integer >= %ld, got '%s'", flag, min, s);
		return rx_main_fail(msg);
	}
	return 0;
}

enum { OPT_PORTS = 256, OPT_FILTER, OPT_SPEED, OPT_HEP, OPT_ALL, OPT_SEND, OPT_KEY, OPT_USER, OPT_STATS,
	OPT_AGE, OPT_MAXCALLS, OPT_VERSION, OPT_BACKLOG, OPT_RESEND, OPT_TOKEN, OPT_CA };

static const struct option rx_main_longopts[] = {
	{ "interface", required_argument, NULL, 'i' }, { "read", required_argument, NULL, 'r' },
	{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
	{ "ports", required_argument, NULL, OPT_PORTS }, { "filter", required_argument, NULL, OPT_FILTER },
	{ "speed", required_argument, NULL, OPT_SPEED }, { "hep-listen", required_argument, NULL, OPT_HEP },
	{ "all-calls", no_argument, NULL, OPT_ALL }, { "send", required_argument, NULL, OPT_SEND },
	{ "caller-key", required_argument, NULL, OPT_KEY }, { "user", required_argument, NULL, OPT_USER },
	{ "stats-s", required_argument, NULL, OPT_STATS }, { "max-call-age", required_argument, NULL, OPT_AGE },
	{ "max-calls", required_argument, NULL, OPT_MAXCALLS }, { "version", no_argument, NULL, OPT_VERSION },
	{ "send-backlog", required_argument, NULL, OPT_BACKLOG },
	{ "send-resend-s", required_argument, NULL, OPT_RESEND },
	{ "send-token-file", required_argument, NULL, OPT_TOKEN }, { "send-ca", required_argument, NULL, OPT_CA },
	{ NULL, 0, NULL, 0 },
};

static int
rx_main_source(const char **list, int *n, const char *v)
{
	if (*n >= RX_MAX_SOURCES)
		return rx_main_fail("too many -i/-r sources");
	list[(*n)++] = v;
	return 0;
}

/* One option; returns 0, 1 to exit successfully (help, version) or -1. */
static int
rx_main_opt(struct rx_main_opts *o, int c, const char *arg)
{
	char *end;

	switch (c) {
	case 'i': return rx_main_source(o->ifaces, &o->nifaces, arg);
	case 'r': return rx_main_source(o->files, &o->nfiles, arg);
	case 'c': o->config = arg; return 0;
	case 'w': o->out = arg; return 0;
	case 'h': rx_main_usage(stdout); return 1;
	case OPT_VERSION: printf("rexian-probe 0.1.0\n"); return 1;
	case OPT_PORTS: o->ports = arg; return 0;
	case OPT_FILTER: o->filter = arg; return 0;
	case OPT_SPEED:
		o->speed = strtod(arg, &end);
		return (*end != '\0' || o->speed <= 0) ? rx_main_fail("--speed: expected a number > 0") : 0;
	case OPT_HEP: o->hep = arg; return 0;
	case OPT_ALL: o->all_calls = 1; return 0;
	case OPT_SEND: o->send = arg; return 0;
	case OPT_KEY: o->caller_key = arg; return 0;
	case OPT_USER: o->user = arg; return 0;
	case OPT_STATS: return rx_main_number("--stats-s", arg, 0, &o->stats_s);
	case OPT_AGE: return rx_main_number("--max-call-age", arg, 1, &o->max_age_s);
	case OPT_MAXCALLS: return rx_main_number("--max-calls", arg, 1, &o->max_calls);
	case OPT_BACKLOG: return rx_main_number("--send-backlog", arg, 4096, &o->send_backlog);
	case OPT_RESEND:
		/* Well inside rexiand's dedup memory (--dedup-s, 600 s by default), or re-sent events count twice. */
		if (rx_main_number("--send-resend-s", arg, 0, &o->send_resend_s) < 0)
			return -1;
		return o->send_resend_s > 300 ? rx_main_fail("--send-resend-s: at most 300") : 0;
	case OPT_TOKEN: o->send_token_file = arg; return 0;
	case OPT_CA: o->send_ca = arg; return 0;
	default: rx_main_usage(stderr); return -1;
	}
}

static int
rx_main_parse(struct rx_main_opts *o, int argc, char **argv)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->max_age_s = 4 * 3600;
	o->max_calls = 1000000;
	o->send_backlog = 64L * 1024 * 1024;
	o->send_resend_s = 5;
	while ((c = getopt_long(argc, argv, "i:r:c:w:h", rx_main_longopts, NULL)) != -1)
		if ((rc = rx_main_opt(o, c, optarg)) != 0)
			return rc;
	if (optind < argc)
		return rx_main_fail("unexpected argument (files are given with -r)");
	if (o->nifaces + o->nfiles == 0 && o->hep == NULL)
		return rx_main_fail("no source: give -i IFACE, -r FILE or --hep-listen URL");
	if (o->ports != NULL && o->filter != NULL)
		return rx_main_fail("--ports and --filter exclude each other");
	if (o->out != NULL && o->send != NULL)
		return rx_main_fail("-w and --send exclude each other");
	if ((o->send_token_file != NULL || o->send_ca != NULL) && o->send == NULL)
		return rx_main_fail("--send-token-file and --send-ca need --send");
	return 0;
}

/* ---- files ---- */

struct rx_pace {
	struct rx_probe *probe;
	double speed;
	int64_t first_ts_us;            /* first frame's capture time, -1 before it */
	struct timespec start;          /* wall time of the first frame */
};

/* --speed: sleep until the frame's capture time, scaled, has come on the wall clock. */
static void
rx_main_paced_cb(int link, const uint8_t *frame, size_t len, int64_t ts_us, void *arg)
{
	struct rx_pace *pc = arg;
	struct timespec now;
	int64_t due_us, now_us;

	if (pc->first_ts_us < 0) {
		pc->first_ts_us = ts_us;
		clock_gettime(CLOCK_MONOTONIC, &pc->start);
	}
	due_us = (int64_t)((double)(ts_us - pc->first_ts_us) / pc->speed);
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_us = (now.tv_sec - pc->start.tv_sec) * 1000000LL + (now.tv_nsec - pc->start.tv_nsec) / 1000;
	if (due_us > now_us) {
		struct timespec d = { (time_t)((due_us - now_us) / 1000000), (long)((due_us - now_us) % 1000000) * 1000 };

		nanosleep(&d, NULL);
	}
	rx_probe_frame_cb(link, frame, len, ts_us, pc->probe);
}

static int
rx_main_read_file(struct rx_main *m, struct rx_capture *c)
{
	struct rx_pace pace = { &m->probe, m->o.speed, -1, { 0, 0 } };
	char err[512];
	int n;

	while ((n = m->o.speed > 0 ?
	    rx_capture_dispatch(c, 256, rx_main_paced_cb, &pace, err, sizeof(err)) :
	    rx_capture_dispatch(c, 4096, rx_probe_frame_cb, &m->probe, err, sizeof(err))) > 0) {
		/* Between batches: let the sender write and a signal stop a long file. */
		event_base_loop(m->base, EVLOOP_NONBLOCK);
		if (m->stopping)
			break;
	}
	if (n < 0) {
		/* A truncated capture is common (a capture stopped mid-write): report it and keep what was read. */
		fprintf(stderr, "rexian-probe: %s\n", err);
	}
	return 0;
}

/* ---- live sources and the loop ---- */

static void
rx_main_live_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rx_main *m = arg;
	char err[512];

	(void)fd;
	(void)what;
	for (int i = 0; i < m->nlive; i++) {
		if (rx_capture_dispatch(m->live[i], -1, rx_probe_frame_cb, &m->probe, err, sizeof(err)) < 0)
			fprintf(stderr, "rexian-probe: %s\n", err);
	}
	fflush(stdout);
}

static uint64_t
rx_main_drops(struct rx_main *m)
{
	uint64_t drops = 0;

	for (int i = 0; i < m->nlive; i++)
		drops += rx_capture_drops(m->live[i]);
	return drops;
}

static void
rx_main_print_stats(struct rx_main *m, const char *what)
{
	char extra[384] = "";

	if (m->sender != NULL) {
		const struct rx_sender_stats *st = rx_sender_stats(m->sender);

		snprintf(extra, sizeof(extra), " send_connected=%d send_connects=%llu send_backlog=%zu "
		    "send_dropped=%llu send_cut=%llu send_resent=%llu", st->connected,
		    (unsigned long long)st->connects, st->backlog, (unsigned long long)st->dropped,
		    (unsigned long long)st->cut, (unsigned long long)st->resent);
	}
	rx_probe_print_stats(&m->probe, what, rx_main_drops(m), extra);
}

/* Once a second: timers on wall time so idle periods still expire calls; stats when due. */
static void
rx_main_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rx_main *m = arg;
	static long elapsed;
	struct timespec now;
	int64_t wall;

	(void)fd;
	(void)what;
	rx_main_live_cb(-1, 0, m);
	clock_gettime(CLOCK_MONOTONIC, &now);
	wall = now.tv_sec * 1000000LL + now.tv_nsec / 1000;
	/* When idle, advance the probe's clock (packet time) by the wall time since traffic was last seen:
	 * right for live traffic and for agents replaying old captures alike. */
	if (m->probe.newest_ts_us != m->seen_ts_us) {
		m->seen_ts_us = m->probe.newest_ts_us;
		m->seen_wall_us = wall;
	}
	if (m->seen_ts_us != 0)
		rx_probe_tick(&m->probe, m->seen_ts_us + (wall - m->seen_wall_us));
	fflush(stdout);
	if (m->o.stats_s > 0 && ++elapsed % m->o.stats_s == 0)
		rx_main_print_stats(m, "stats");
}

/* SIGINT/SIGTERM: stop reading, then drain. The handlers stay installed until exit, because a
 * supervisor may signal twice (GNU timeout signals the child and its process group). */
static void
rx_main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct rx_main *m = arg;

	(void)sig;
	(void)what;
	m->stopping++;
	event_base_loopbreak(m->base);
}

static int
rx_main_signals(struct rx_main *m)
{
	m->sigint = evsignal_new(m->base, SIGINT, rx_main_signal_cb, m);
	m->sigterm = evsignal_new(m->base, SIGTERM, rx_main_signal_cb, m);
	if (m->sigint == NULL || m->sigterm == NULL || event_add(m->sigint, NULL) < 0 ||
	    event_add(m->sigterm, NULL) < 0)
		return rx_main_fail("cannot install signal handlers");
	return 0;
}

static int
rx_main_open_live(struct rx_main *m)
{
	char filter[2048], err[512];
	const char *f = m->o.filter;

	if (f == NULL) {
		if (rx_capture_port_filter(m->o.ports ? m->o.ports : "5060", filter, sizeof(filter)) < 0)
			return rx_main_fail("--ports: expected a comma-separated list of ports");
		f = filter;
	}
	for (int i = 0; i < m->o.nifaces; i++) {
		if ((m->live[i] = rx_capture_open_live(m->o.ifaces[i], f, err, sizeof(err))) == NULL)
			return rx_main_fail(err);
		m->nlive++;
		/* Said once, so an operator (or a test) knows from when traffic counts. */
		fprintf(stderr, "rexian-probe: capturing on %s, filter: %s\n", m->o.ifaces[i], f);
	}
	return 0;
}

static int
rx_main_loop(struct rx_main *m)
{
	struct event *tick;
	struct timeval one = { 1, 0 };

	for (int i = 0; i < m->nlive; i++) {
		m->live_ev[i] = event_new(m->base, rx_capture_fd(m->live[i]), EV_READ | EV_PERSIST,
		    rx_main_live_cb, m);
		if (m->live_ev[i] == NULL || event_add(m->live_ev[i], NULL) < 0)
			return rx_main_fail("cannot watch a capture handle");
	}
	tick = event_new(m->base, -1, EV_PERSIST, rx_main_tick_cb, m);
	if (tick == NULL || event_add(tick, &one) < 0)
		return rx_main_fail("cannot set up the event loop");
	event_base_dispatch(m->base);
	/* Whatever the kernel still holds when we are told to stop belongs to the run. */
	rx_main_live_cb(-1, 0, m);
	rx_hep_drain(m->hep);
	event_free(tick);
	return 0;
}

/* At the end of the input, give the collector up to RX_DRAIN_S seconds to take the backlog. */
#define RX_DRAIN_S 30

static void
rx_main_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rx_main *m = arg;
	static int ticks;

	(void)fd;
	(void)what;
	if (rx_sender_stats(m->sender)->backlog == 0 || ++ticks > RX_DRAIN_S * 20 || m->stopping > 2)
		event_base_loopbreak(m->base);
}

static void
rx_main_drain_sender(struct rx_main *m)
{
	struct event *t = event_new(m->base, -1, EV_PERSIST, rx_main_drain_cb, m);
	struct timeval tv = { 0, 50000 };

	if (t == NULL || event_add(t, &tv) < 0)
		return;
	event_base_dispatch(m->base);
	event_free(t);
	if (rx_sender_stats(m->sender)->backlog > 0)
		fprintf(stderr, "rexian-probe: --send: collector unreachable, %zu bytes of events not delivered\n",
		    rx_sender_stats(m->sender)->backlog);
}

/* ---- setup ---- */

static int
rx_main_setup_probe(struct rx_main *m)
{
	struct rx_probe_config cfg;
	struct rx_probe_params params = { m->o.all_calls, m->o.max_age_s * 1000000LL, (size_t)m->o.max_calls,
		RX_MAX_TCP_STREAMS };
	char err[512];

	memset(&cfg, 0, sizeof(cfg));
	if (m->o.config != NULL && rx_probe_config_load(&cfg, m->o.config, err, sizeof(err)) < 0)
		return rx_main_fail(err);
	if (cfg.nqueues == 0 && !m->o.all_calls) {
		rx_probe_config_free(&cfg);
		return rx_main_fail("no queues configured: give --config FILE with a [queues] section, or --all-calls");
	}
	if (rx_probe_init(&m->probe, &cfg, &params) < 0)
		return rx_main_fail("out of memory");
	if (m->o.send != NULL) {
		/* The token never comes from the command line, where ps shows it to everyone. */
		struct rx_sender_opts so = { (size_t)m->o.send_backlog, (int)m->o.send_resend_s, m->o.send_token_file,
			getenv("REXIAN_FEED_TOKEN"), m->o.send_ca };

		m->sender = rx_sender_new(m->base, m->o.send, &so, err, sizeof(err));
		if (m->sender == NULL)
			return rx_main_fail(err);
		rx_out_init(&m->probe.out, rx_sender_write, m->sender);
	} else {
		rx_out_init(&m->probe.out, rx_out_stdout_write, NULL);
	}
	if (m->o.caller_key != NULL && rx_out_load_key(&m->probe.out, m->o.caller_key, err, sizeof(err)) < 0)
		return rx_main_fail(err);
	if (m->o.out != NULL && strcmp(m->o.out, "-") != 0 && freopen(m->o.out, "w", stdout) == NULL) {
		snprintf(err, sizeof(err), "-w %s: %s", m->o.out, strerror(errno));
		return rx_main_fail(err);
	}
	return 0;
}

static int
rx_main_run(struct rx_main *m)
{
	struct rx_capture *files[RX_MAX_SOURCES] = { NULL };
	char err[512];
	int rc = -1;

	for (int i = 0; i < m->o.nfiles; i++)
		if ((files[i] = rx_capture_open_file(m->o.files[i], m->o.filter, err, sizeof(err))) == NULL)
			goto fail;
	if (m->o.nifaces > 0 && rx_main_open_live(m) < 0)
		goto done;              /* it said why */
	if (m->o.hep != NULL) {
		m->hep = rx_hep_listen(m->base, m->o.hep, rx_probe_hep_cb, rx_probe_hep_bad_cb, &m->probe, err,
		    sizeof(err));
		if (m->hep == NULL)
			goto fail;
		fprintf(stderr, "rexian-probe: receiving HEP3 on %s\n", m->o.hep);
	}
	/* Every source and sink is open: nothing below needs privilege. */
	if (m->o.user != NULL && rx_drop_privileges(m->o.user, err, sizeof(err)) < 0)
		goto fail;
	for (int i = 0; i < m->o.nfiles && !m->stopping; i++)
		rx_main_read_file(m, files[i]);
	rc = 0;
	if ((m->nlive > 0 || m->hep != NULL) && !m->stopping)
		rc = rx_main_loop(m);
	rx_probe_finish(&m->probe);
	if (m->sender != NULL)
		rx_main_drain_sender(m);
	goto done;
fail:
	rx_main_fail(err);
done:
	for (int i = 0; i < m->o.nfiles; i++)
		rx_capture_close(files[i]);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct rx_main m;
	int rc;

	if ((rc = rx_main_parse(&m.o, argc, argv)) != 0)
		return rc > 0 ? 0 : 2;
	if ((m.base = event_base_new()) == NULL) {
		rx_main_fail("cannot create the event loop");
		return 2;
	}
	if (rx_main_signals(&m) < 0)
		return 2;
	if (rx_main_setup_probe(&m) < 0)
		return 2;
	rc = rx_main_run(&m);
	fflush(stdout);
	/* A startup failure has said its one line; a summary of nothing would only bury it. */
	if (rc == 0)
		rx_main_print_stats(&m, "summary");
	for (int i = 0; i < m.nlive; i++) {
		if (m.live_ev[i] != NULL)
			event_free(m.live_ev[i]);
		rx_capture_close(m.live[i]);
	}
	rx_hep_free(m.hep);
	rx_sender_free(m.sender);
	event_free(m.sigint);
	event_free(m.sigterm);
	rx_probe_free(&m.probe);
	event_base_free(m.base);
	return rc < 0 ? 2 : 0;
}
