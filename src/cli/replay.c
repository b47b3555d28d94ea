/*
 * replay.c: `rexian replay`: the engine over feed files, offline, with the same code as
 * rexiand. Event times drive the clock; at the end, calls waiting only on the reorder
 * grace are settled, calls still in flight stay out of the figures (as live gauges would).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rexian/cli.h"
#include "rexian/engine.h"
#include "rexian/feed.h"
#include "rexian/log.h"
#include "rexian/table.h"
#include "rexian/view.h"

#define REPLAY_CHUNK (1 << 20)
#define REPLAY_ERRORS_SHOWN 50

struct replay {
	struct rx_engine *engine;
	const char *file;
	uint64_t errors_shown;
	uint64_t errors_hidden;
};

static void replay_event_cb(const struct rx_event *ev, uint64_t line, void *arg)
{
	struct replay *r = arg;

	(void)line;
	rx_engine_event(r->engine, ev);
}

static void replay_error_cb(uint64_t line, const char *reason, void *arg)
{
	struct replay *r = arg;

	if (r->errors_shown++ < REPLAY_ERRORS_SHOWN)
		fprintf(stderr, "rexian replay: %s:%llu: %s (line skipped)\n", r->file,
		    (unsigned long long)line, reason);
	else
		r->errors_hidden++;
}

static void progress(const char *file, off_t done, off_t total, int64_t *last)
{
	int64_t now = rx_monotonic_ms();

	if (total <= 0 || now - *last < 500)
		return;
	*last = now;
	fprintf(stderr, "\r%s: %3d%%", file, (int)(done * 100 / total));
}

/* Feeds one file through a fresh line splitter; -1 if it cannot be read. */
static int replay_file(struct replay *r, const char *path, char *buf, struct rx_ingest_stats *in)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
	struct rx_feed *feed;
	struct stat st;
	off_t done = 0, total = 0;
	int64_t last = rx_monotonic_ms();
	bool tty = isatty(STDERR_FILENO);
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "rexian replay: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		total = st.st_size;
	r->file = strcmp(path, "-") == 0 ? "stdin" : path;
	if ((feed = rx_feed_new(replay_event_cb, replay_error_cb, r)) == NULL) {
		fprintf(stderr, "rexian replay: out of memory\n");
		exit(1);
	}
	while ((n = read(fd, buf, REPLAY_CHUNK)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		rx_feed_push(feed, buf, (size_t)n);
		done += n;
		if (tty && total > (64 << 20))
			progress(r->file, done, total, &last);
	}
	if (tty && total > (64 << 20))
		fprintf(stderr, "\r%*s\r", (int)strlen(r->file) + 8, "");
	if (n < 0)
		fprintf(stderr, "rexian replay: error reading %s: %s\n", path, strerror(errno));
	rx_feed_finish(feed);
	in->lines += rx_feed_stats(feed)->lines;
	in->events += rx_feed_stats(feed)->events;
	in->errors += rx_feed_stats(feed)->errors;
	rx_feed_free(feed);
	if (fd != STDIN_FILENO)
		close(fd);
	return n < 0 ? -1 : 0;
}

static void replay_usage(FILE *out)
{
	fprintf(out,
	    "usage: rexian replay [--json] [--service-level-s N] [--long-talk-s N]\n"
	    "                     [--reorder-s N] [--max-call-age-s N] [--timezone ZONE]\n"
	    "                     [--shifts HH:MM,...] FILE...   (- reads stdin)\n");
}

static int parse_seconds(const char *s, int64_t *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || v < 0 || v > 1e9)
		return -1;
	*ms = (int64_t)(v * 1000 + 0.5);
	return 0;
}

int rx_cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "service-level-s", required_argument, NULL, 's' },
		{ "long-talk-s", required_argument, NULL, 'l' },
		{ "reorder-s", required_argument, NULL, 'r' },
		{ "max-call-age-s", required_argument, NULL, 'a' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "shifts", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rx_engine_config cfg;
	struct rx_ingest_stats in = { 0 };
	struct replay r = { 0 };
	const char *zone = "Asia/Shanghai";
	bool json = false;
	int c, status = 0;
	char *buf;

	rx_engine_config_default(&cfg);
	cfg.rolling = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int64_t *target = c == 's' ? &cfg.th.sl_ms : c == 'l' ? &cfg.th.long_ms :
		    c == 'r' ? &cfg.track.reorder_ms : c == 'a' ? &cfg.track.max_call_age_ms : NULL;
		if (target != NULL) {
			if (parse_seconds(optarg, target) != 0) {
				fprintf(stderr, "rexian replay: --%s wants seconds, not '%s'\n",
				    c == 's' ? "service-level-s" : c == 'l' ? "long-talk-s" :
				    c == 'r' ? "reorder-s" : "max-call-age-s", optarg);
				return 2;
			}
		} else if (c == 'j') {
			json = true;
		} else if (c == 'z') {
			zone = optarg;
		} else if (c == 'S') {
			snprintf(cfg.shifts, sizeof cfg.shifts, "%s", optarg);
		} else if (c == 'h') {
			replay_usage(stdout);
			return 0;
		} else {
			replay_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "rexian replay: no input file (use - for stdin)\n");
		return 2;
	}
	if (rx_tz_init(zone) != 0) {
		fprintf(stderr, "rexian replay: unknown time zone '%s'\n", zone);
		return 2;
	}
	if ((r.engine = rx_engine_new(&cfg)) == NULL) {
		fprintf(stderr, "rexian replay: bad --shifts '%s' (want HH:MM,HH:MM,...)\n", cfg.shifts);
		return 2;
	}
	if ((buf = malloc(REPLAY_CHUNK)) == NULL)
		return 1;
	for (int i = optind; i < argc; i++)
		if (replay_file(&r, argv[i], buf, &in) != 0)
			status = 1;
	free(buf);
	rx_engine_finish(r.engine);
	if (r.errors_hidden > 0)
		fprintf(stderr, "rexian replay: %llu more bad lines not shown\n",
		    (unsigned long long)r.errors_hidden);
	if (json) {
		struct rx_jsonw w;
		rx_jsonw_init(&w);
		rx_view_replay(&w, r.engine, &in);
		fwrite(w.buf, 1, w.len, stdout);
		fputc('\n', stdout);
		rx_jsonw_release(&w);
	} else {
		rx_table_print(stdout, r.engine, RX_WIN_ALL, &in);
	}
	rx_engine_free(r.engine);
	return status;
}
