/*
 * access.c: see access.h.
 */
#include "access.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "rexian/log.h"
#include "rexian/privdrop.h"
#include "rexian/tls.h"

static bool wants_tls(const struct rxd_config *cfg)
{
	for (int i = 0; i < cfg->nlisten; i++)
		if (strncmp(cfg->listen[i], "tls://", 6) == 0)
			return true;
	return strncmp(cfg->http, "https://", 8) == 0;
}

static int load_tls(struct rxd_access *a, const struct rxd_config *cfg, char *err, size_t errlen)
{
	bool have = cfg->tls_cert[0] != '\0' || cfg->tls_key[0] != '\0';

	if (!wants_tls(cfg)) {
		if (have)
			rx_log(RX_LOG_WARN, "tls: tls-cert set but no tls:// listener or https:// address");
		return 0;
	}
	if (cfg->tls_cert[0] == '\0' || cfg->tls_key[0] == '\0') {
		snprintf(err, errlen, "tls:// and https:// need both tls-cert and tls-key");
		return -1;
	}
	a->tls = rx_tls_server_new(cfg->tls_cert, cfg->tls_key, err, errlen);
	return a->tls != NULL ? 0 : -1;
}

int rxd_access_load(struct rxd_access *a, const struct rxd_config *cfg, char *err, size_t errlen)
{
	const char *addr = cfg->http;
	char why[300];

	memset(a, 0, sizeof *a);
	if (strncmp(addr, "https://", 8) == 0) {
		a->https = true;
		addr += 8;
	} else if (strncmp(addr, "http://", 7) == 0) {
		addr += 7;
	}
	snprintf(a->http_addr, sizeof a->http_addr, "%s", addr);
	if (load_tls(a, cfg, err, errlen) != 0)
		return -1;
	if (rx_secret_load(&a->feed_token, cfg->feed_token, cfg->feed_token_file, why, sizeof why) != 0) {
		snprintf(err, errlen, "feed token: %s", why);
		return -1;
	}
	if (rx_secret_load(&a->http_auth, cfg->http_auth, cfg->http_auth_file, why, sizeof why) != 0) {
		snprintf(err, errlen, "http auth: %s", why);
		return -1;
	}
	if (cfg->caller_key_file[0] != '\0' && rx_pseudonym_key_load(&a->caller_key,
	    "caller-key-file", cfg->caller_key_file, err, errlen) != 0)
		return -1;
	if (a->feed_token.set && a->tls == NULL)
		rx_log(RX_LOG_WARN, "feed token set on plain TCP: it crosses the network in clear; "
		    "use tls:// beyond loopback");
	if (a->http_auth.set && !a->https)
		rx_log(RX_LOG_WARN, "http auth set on plain HTTP: the password crosses the network "
		    "in clear; use https:// beyond loopback");
	return 0;
}

void rxd_access_free(struct rxd_access *a)
{
	OPENSSL_cleanse(&a->caller_key, sizeof a->caller_key);
	rx_tls_free(a->tls);
	a->tls = NULL;
}

int rxd_access_drop_root(const struct rxd_config *cfg, char *err, size_t errlen)
{
	if (cfg->user[0] == '\0')
		return 0;
	if (geteuid() != 0) {
		struct passwd *pw = getpwuid(geteuid());
		if (pw == NULL || strcmp(pw->pw_name, cfg->user) != 0)
			rx_log(RX_LOG_WARN, "--user %s ignored: not started as root", cfg->user);
		return 0;
	}
	if (rx_drop_privileges(cfg->user, err, errlen) != 0)
		return -1;
	rx_log(RX_LOG_INFO, "running as user %s", cfg->user);
	return 0;
}
