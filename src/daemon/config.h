/*
 * config.h: rexiand's settings, from an INI file (--config) and flags with the same
 * names; flags win. One table of settings serves both.
 */
#ifndef REXIAND_CONFIG_H
#define REXIAND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "rexian/engine.h"
#include "rexian/log.h"

#define RXD_MAX_LISTEN 16
#define RXD_MAX_ALERTS 32

struct rxd_config {
	char listen[RXD_MAX_LISTEN][256];
	int nlisten;
	bool listen_from_flags;
	char redis[512];
	char http[128];
	bool clock_event;            /* --clock event */
	int flush_ms;
	char prefix[64];
	char timezone[64];
	unsigned max_feeds;
	enum rx_log_level log_level;
	struct rx_engine_config engine;
	char wallboard[512];         /* "" = the built-in default */
	char alerts[RXD_MAX_ALERTS][256];
	int nalerts;                 /* -1: defaults; "none" gives 0 */
	bool alerts_from_flags;
	char alert_webhook[512];
	double target_sl, warn_sl, target_connect;
	int64_t staffing_interval_ms;
	char journal[512];           /* "" = no journal */
	unsigned journal_days;
	int journal_sync;            /* enum rx_journal_sync */
	char tls_cert[512], tls_key[512];   /* PEM files for tls:// feeds and https:// */
	char feed_token[256], feed_token_file[512];
	char http_auth[256], http_auth_file[512];   /* "user:password" */
	char caller_key_file[512];   /* pseudonymise callers into the journal */
	char user[64];               /* drop root to this user once the sockets are open */
	char populations[8][160];    /* "N" or "PLATFORM=N", for seats per 100,000 */
	int npopulations;
};

enum rxd_config_result { RXD_CONFIG_RUN, RXD_CONFIG_EXIT_OK, RXD_CONFIG_ERROR };

/* Defaults, then the file named by --config, then the flags. On error, a one-line reason
 * in err. */
enum rxd_config_result rxd_config_load(struct rxd_config *cfg, int argc, char **argv,
    char *err, size_t errlen);

#endif
