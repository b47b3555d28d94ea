/*
 * access.h: who may connect to rexiand, what it keeps of callers, and as whom it runs.
 * Loads, once at start, the TLS context for tls:// feeds and https://, the feed token, the
 * HTTP credential and the key that turns callers' numbers into pseudonyms; and
 * drops root after the sockets are open. main passes the pieces to the listeners and
 * the HTTP server.
 */
#ifndef REXIAND_ACCESS_H
#define REXIAND_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "rexian/pseudonym.h"
#include "rexian/secret.h"

struct rx_tls;

struct rxd_access {
	struct rx_tls *tls;          /* NULL unless tls-cert is set */
	struct rx_secret feed_token;
	struct rx_secret http_auth;
	struct rx_pseudonym_key caller_key;   /* len 0: callers are not read */
	char http_addr[128];         /* cfg.http without its scheme */
	bool https;
};

/* -1 and a reason if a file cannot be read, a TLS URL lacks a certificate, or the
 * reverse. */
int rxd_access_load(struct rxd_access *a, const struct rxd_config *cfg, char *err, size_t errlen);
void rxd_access_free(struct rxd_access *a);

/* After the sockets are open: become cfg->user if running as root. -1 and a reason if
 * that fails; a --user given to a non-root process is only logged. */
int rxd_access_drop_root(const struct rxd_config *cfg, char *err, size_t errlen);

#endif
