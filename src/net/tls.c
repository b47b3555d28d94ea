/*
 * tls.c: the server-side TLS context and its bufferevents.
 *
 * TLS 1.2 is the floor (what Debian's OpenSSL allows by default, and what every CTI
 * adapter and browser we expect speaks). Clients may close without a close_notify
 * (most HTTP clients do, and a feed writer killed mid-stream cannot send one): such a
 * "dirty" shutdown ends the connection like an EOF instead of being reported as an error,
 * so the last complete line still counts.
 */
#include "rexian/tls.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

struct rx_tls {
	SSL_CTX *ctx;
};

static void openssl_reason(char *err, size_t errlen, const char *what, const char *file)
{
	unsigned long e = ERR_get_error();
	char reason[256] = "unknown error";

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof reason);
	ERR_clear_error();
	snprintf(err, errlen, "tls: %s %s: %s", what, file, reason);
}

struct rx_tls *rx_tls_server_new(const char *cert_file, const char *key_file, char *err,
    size_t errlen)
{
	struct rx_tls *tls = calloc(1, sizeof *tls);

	if (tls == NULL || (tls->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(err, errlen, "tls: cannot create a context");
		free(tls);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(tls->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(tls->ctx, SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_use_certificate_chain_file(tls->ctx, cert_file) != 1) {
		openssl_reason(err, errlen, "cannot load certificate", cert_file);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(tls->ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		openssl_reason(err, errlen, "cannot load key", key_file);
		goto fail;
	}
	if (SSL_CTX_check_private_key(tls->ctx) != 1) {
		openssl_reason(err, errlen, "key does not match certificate", cert_file);
		goto fail;
	}
	return tls;
fail:
	rx_tls_free(tls);
	return NULL;
}

void rx_tls_free(struct rx_tls *tls)
{
	if (tls == NULL)
		return;
	SSL_CTX_free(tls->ctx);
	free(tls);
}

struct bufferevent *rx_tls_accept_bufferevent(struct rx_tls *tls, struct event_base *base,
    evutil_socket_t fd)
{
	struct bufferevent *bev;
	SSL *ssl;

	if (tls == NULL) {
		bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL && fd >= 0)
			evutil_closesocket(fd);
		return bev;
	}
	if ((ssl = SSL_new(tls->ctx)) == NULL) {
		if (fd >= 0)
			evutil_closesocket(fd);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		/* Out of memory. libevent frees ssl on some of its failure paths and not on
		 * others, so it is left alone (a small leak beats a double free); the socket
		 * is never closed by it. */
		if (fd >= 0)
			evutil_closesocket(fd);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}
