/*
 * config.c: the settings table, the INI reader and the flag parser.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef REXIAN_VERSION
#define REXIAN_VERSION "0.1.0"
#endif

enum kind { K_STR, K_INT, K_MS, K_LISTEN, K_CLOCK, K_LOG, K_ALERT, K_REAL, K_SYNC, K_POP };

struct setting {
	const char *name;
	enum kind kind;
	size_t off;        /* into struct rxd_config */
	size_t size;       /* K_STR: buffer size */
	const char *help;
};

#define STR(field, name, help) { name, K_STR, offsetof(struct rxd_config, field), \
	sizeof(((struct rxd_config *)0)->field), help }
#define NUM(kind, field, name, help) { name, kind, offsetof(struct rxd_config, field), 0, help }

static const struct setting settings[] = {
	{ "listen", K_LISTEN, 0, 0, "feed socket, repeatable (tcp://127.0.0.1:7345, tls://HOST:PORT, unix:///PATH)" },
	STR(redis, "redis", "redis://[:password@]host:port[/db], unix:///PATH or none"),
	STR(http, "http", "HTTP address (127.0.0.1:8345, https://HOST:PORT) or none"),
	STR(tls_cert, "tls-cert", "PEM certificate chain for tls:// feeds and https://"),
	STR(tls_key, "tls-key", "PEM private key of tls-cert"),
	STR(feed_token, "feed-token", "token every TCP feed must send first: {\"auth\": \"TOKEN\"}"),
	STR(feed_token_file, "feed-token-file", "file holding the feed token (first line)"),
	STR(http_auth, "http-auth", "USER:PASSWORD for HTTP basic auth on every path"),
	STR(http_auth_file, "http-auth-file", "file holding USER:PASSWORD (first line)"),
	STR(caller_key_file, "caller-key-file", "HMAC key (16+ bytes): the journal keeps each caller's keyed hash (default: no caller)"),
	STR(user, "user", "when started as root, run as this user once the sockets are open"),
	{ "clock", K_CLOCK, 0, 0, "wall (default) or event: what drives the windows" },
	NUM(K_INT, flush_ms, "flush-ms", "milliseconds between flushes to Redis (1000)"),
	STR(prefix, "prefix", "Redis key prefix (rexian)"),
	STR(timezone, "timezone", "time zone of days and shifts (Asia/Shanghai)"),
	STR(engine.shifts, "shifts", "shift starts, local time (08:00,16:00,00:00)"),
	NUM(K_MS, engine.th.sl_ms, "service-level-s", "service-level threshold, seconds (30)"),
	NUM(K_MS, engine.th.long_ms, "long-talk-s", "long-talk threshold, seconds (600)"),
	NUM(K_MS, engine.track.max_call_age_ms, "max-call-age-s", "close calls older than this (14400)"),
	NUM(K_MS, engine.track.reorder_ms, "reorder-s", "how late a call's event may arrive (10)"),
	NUM(K_MS, engine.track.dedup_ms, "dedup-s", "how long finished calls are remembered (600)"),
	NUM(K_INT, engine.track.max_calls, "max-calls", "call records kept at most (1000000)"),
	NUM(K_INT, max_feeds, "max-feeds", "feed connections at most (16384)"),
	{ "log-level", K_LOG, offsetof(struct rxd_config, log_level), 0, "debug, info, warn, error (info)" },
	STR(wallboard, "wallboard", "directory of the wallboard page served at / (built-in)"),
	{ "alert", K_ALERT, 0, 0, "alert rule, repeatable: 'NAME: METRIC SCOPE WINDOW OP X [min=N] [for=S] [clear=Y]', or none" },
	STR(alert_webhook, "alert-webhook", "Alertmanager API URL, http://HOST:PORT/api/v2/alerts"),
	NUM(K_REAL, target_sl, "target-service-level", "wallboard: service level shown green from (0.95)"),
	NUM(K_REAL, warn_sl, "warn-service-level", "wallboard: amber from, red below (0.90)"),
	NUM(K_REAL, target_connect, "target-connect-rate", "wallboard: connect rate target (0.99)"),
	NUM(K_MS, staffing_interval_ms, "staffing-interval-s", "live staffing interval, seconds (1800)"),
	{ "population", K_POP, 0, 0, "residents served, for seats per 100,000: N (the hotline) or PLATFORM=N; repeatable" },
	STR(journal, "journal", "directory of the event journal, replayed on start (none)"),
	NUM(K_INT, journal_days, "journal-days", "journal files kept, one per day (7)"),
	{ "journal-fsync", K_SYNC, 0, 0, "heartbeat (default), always or never" },
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static void config_defaults(struct rxd_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	strcpy(cfg->redis, "redis://127.0.0.1:6379");
	strcpy(cfg->http, "127.0.0.1:8345");
	cfg->flush_ms = 1000;
	strcpy(cfg->prefix, "rexian");
	strcpy(cfg->timezone, "Asia/Shanghai");
	cfg->max_feeds = 16384;
	cfg->log_level = RX_LOG_INFO;
	cfg->nalerts = -1;
	cfg->target_sl = 0.95;
	cfg->warn_sl = 0.90;
	cfg->target_connect = 0.99;
	cfg->staffing_interval_ms = 1800 * 1000;
	cfg->journal_days = 7;
	cfg->journal_sync = 1;
	rx_engine_config_default(&cfg->engine);
	cfg->engine.buckets = true;
}

static int set_number(const struct setting *s, struct rxd_config *cfg, const char *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (end == v || *end != '\0' || errno != 0 || !(d >= 0 && d <= 4e9))
		return -1;   /* (NaN fails too: converted to an integer below, it would be UB) */
	if (s->kind == K_MS)
		*(int64_t *)((char *)cfg + s->off) = (int64_t)(d * 1000 + 0.5);
	else if (s->kind == K_REAL)
		*(double *)((char *)cfg + s->off) = d;
	else if (s->off == offsetof(struct rxd_config, flush_ms))
		cfg->flush_ms = d < 10 ? 10 : d > INT_MAX ? INT_MAX : (int)d;
	else
		*(unsigned *)((char *)cfg + s->off) = (unsigned)d;
	return 0;
}

static int config_set(struct rxd_config *cfg, const struct setting *s, const char *v)
{
	static const char *const levels[] = { "debug", "info", "warn", "error" };

	switch (s->kind) {
	case K_STR:
		if (strlen(v) >= s->size)
			return -1;
		strcpy((char *)cfg + s->off, v);
		return 0;
	case K_INT:
	case K_MS:
	case K_REAL:
		return set_number(s, cfg, v);
	case K_ALERT:
		if (cfg->nalerts < 0)
			cfg->nalerts = 0;
		if (strcmp(v, "none") == 0)
			return 0;
		if (cfg->nalerts == RXD_MAX_ALERTS || strlen(v) >= sizeof cfg->alerts[0])
			return -1;
		strcpy(cfg->alerts[cfg->nalerts++], v);
		return 0;
	case K_LISTEN:
		if (cfg->nlisten == RXD_MAX_LISTEN || strlen(v) >= sizeof cfg->listen[0])
			return -1;
		strcpy(cfg->listen[cfg->nlisten++], v);
		return 0;
	case K_CLOCK:
		if (strcmp(v, "wall") != 0 && strcmp(v, "event") != 0)
			return -1;
		cfg->clock_event = strcmp(v, "event") == 0;
		return 0;
	case K_POP:
		if (cfg->npopulations == 8 || strlen(v) >= sizeof cfg->populations[0])
			return -1;
		strcpy(cfg->populations[cfg->npopulations++], v);
		return 0;
	case K_SYNC: {
		static const char *const syncs[] = { "never", "heartbeat", "always" };
		for (int i = 0; i < 3; i++)
			if (strcmp(v, syncs[i]) == 0) {
				cfg->journal_sync = i;
				return 0;
			}
		return -1;
	}
	case K_LOG:
		for (int i = 0; i < 4; i++)
			if (strcmp(v, levels[i]) == 0) {
				cfg->log_level = (enum rx_log_level)i;
				return 0;
			}
		return -1;
	}
	return -1;
}

static const struct setting *find_setting(const char *name)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

/* key = value lines; [sections], blank lines and # or ; comments are ignored. */
static int config_read_file(struct rxd_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int no = 0;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read config %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = trim(line), *eq;
		const struct setting *s;
		no++;
		if (*p == '\0' || *p == '#' || *p == ';' || *p == '[')
			continue;
		if ((eq = strchr(p, '=')) == NULL)
			goto bad;
		*eq = '\0';
		if ((s = find_setting(trim(p))) == NULL || config_set(cfg, s, trim(eq + 1)) != 0)
			goto bad;
	}
	fclose(f);
	return 0;
bad:
	snprintf(err, errlen, "%s:%d: unknown setting or bad value", path, no);
	fclose(f);
	return -1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: rexiand [--config FILE] [--SETTING VALUE ...]\n\n"
	    "Collects call events from NDJSON feeds and publishes live figures to Redis and HTTP.\n\n");
	for (size_t i = 0; i < NSETTINGS; i++)
		fprintf(out, "  --%-16s %s\n", settings[i].name, settings[i].help);
	fprintf(out, "  --%-16s %s\n  --%-16s %s\n  --%-16s %s\n", "config FILE",
	    "INI file with the same names (flags win)", "help", "this text", "version",
	    "print the version");
}

static int find_config_flag(int argc, char **argv, const char **path)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			*path = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			*path = argv[i] + 9;
	}
	return 0;
}

enum rxd_config_result rxd_config_load(struct rxd_config *cfg, int argc, char **argv,
    char *err, size_t errlen)
{
	struct option opts[NSETTINGS + 4];
	const char *path = NULL;
	int c, idx;

	config_defaults(cfg);
	find_config_flag(argc, argv, &path);
	if (path != NULL && config_read_file(cfg, path, err, errlen) != 0)
		return RXD_CONFIG_ERROR;
	for (size_t i = 0; i < NSETTINGS; i++)
		opts[i] = (struct option){ settings[i].name, required_argument, NULL, (int)i };
	opts[NSETTINGS] = (struct option){ "config", required_argument, NULL, 'c' + 1000 };
	opts[NSETTINGS + 1] = (struct option){ "help", no_argument, NULL, 'h' + 1000 };
	opts[NSETTINGS + 2] = (struct option){ "version", no_argument, NULL, 'v' + 1000 };
	opts[NSETTINGS + 3] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		if (c == 'h' + 1000) {
			usage(stdout);
			return RXD_CONFIG_EXIT_OK;
		}
		if (c == 'v' + 1000) {
			printf("rexiand %s\n", REXIAN_VERSION);
			return RXD_CONFIG_EXIT_OK;
		}
		if (c == 'c' + 1000)
			continue;
		if (c < 0 || (size_t)c >= NSETTINGS) {
			snprintf(err, errlen, "unknown option (try --help)");
			return RXD_CONFIG_ERROR;
		}
		if (settings[c].kind == K_LISTEN && !cfg->listen_from_flags) {
			cfg->nlisten = 0;   /* flags replace the file's list */
			cfg->listen_from_flags = true;
		}
		if (settings[c].kind == K_ALERT && !cfg->alerts_from_flags) {
			cfg->nalerts = 0;
			cfg->alerts_from_flags = true;
		}
		if (config_set(cfg, &settings[c], optarg) != 0) {
			snprintf(err, errlen, "bad value for --%s: '%s'", settings[c].name, optarg);
			return RXD_CONFIG_ERROR;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (try --help)", argv[optind]);
		return RXD_CONFIG_ERROR;
	}
	if (cfg->nlisten == 0)
		strcpy(cfg->listen[cfg->nlisten++], "tcp://127.0.0.1:7345");
	return RXD_CONFIG_RUN;
}
