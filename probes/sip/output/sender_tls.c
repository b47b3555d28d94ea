/*
 * TLS client of the sender (see sender_tls.h). The context is made once per sender; a session per
 * connection. Partial writes and a moving write buffer are allowed so the sender can hand over what
 * the socket takes, record by record, from a staging copy of its backlog.
 */
#include "output/sender_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rx_send_tls {
	SSL_CTX *ctx;
	char host[256];
	int host_is_ip;
};

/* The newest OpenSSL error as text, and the queue emptied so the next call starts clean. */
static const char *
rx_send_tls_errstr(char *buf, size_t n)
{
	unsigned long code = ERR_peek_last_error();
	const char *reason = code != 0 ? ERR_reason_error_string(code) : NULL;

	snprintf(buf, n, "%s", reason != NULL ? reason : "unknown TLS error");
	ERR_clear_error();
	return buf;
}

struct rx_send_tls *
rx_send_tls_new(const char *host, const char *ca_file, char *err, size_t errlen)
{
	struct rx_send_tls *t = calloc(1, sizeof(*t));
	unsigned char addr[16];
	char why[256];

	if (t == NULL || (t->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "cannot make a TLS context: %s", rx_send_tls_errstr(why, sizeof(why)));
		rx_send_tls_free(t);
		return NULL;
	}
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->host_is_ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* The collector sends no data: a close without close_notify truncates nothing of ours. */
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	if (ca_file != NULL && access(ca_file, R_OK) != 0) {
		snprintf(err, errlen, "--send-ca %s: %s", ca_file, strerror(errno));
		rx_send_tls_free(t);
		return NULL;
	}
	if (ca_file != NULL ? SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1 :
	    SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
		snprintf(err, errlen, "%s%s: cannot load CA certificates: %s", ca_file ? "--send-ca " : "system store",
		    ca_file ? ca_file : "", rx_send_tls_errstr(why, sizeof(why)));
		rx_send_tls_free(t);
		return NULL;
	}
	return t;
}

void
rx_send_tls_free(struct rx_send_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

SSL *
rx_send_tls_session(struct rx_send_tls *t, int fd, char *err, size_t errlen)
{
	SSL *ssl = SSL_new(t->ctx);
	X509_VERIFY_PARAM *vp = ssl != NULL ? SSL_get0_param(ssl) : NULL;
	char why[256];
	int ok;

	if (ssl == NULL) {
		snprintf(err, errlen, "TLS: %s", rx_send_tls_errstr(why, sizeof(why)));
		return NULL;
	}
	/* The certificate must name what the operator wrote in the URL: an address or a DNS name. */
	if (t->host_is_ip)
		ok = X509_VERIFY_PARAM_set1_ip_asc(vp, t->host) == 1;
	else
		ok = SSL_set1_host(ssl, t->host) == 1 && SSL_set_tlsext_host_name(ssl, t->host) == 1;
	if (!ok || SSL_set_fd(ssl, fd) != 1) {
		snprintf(err, errlen, "TLS: %s", rx_send_tls_errstr(why, sizeof(why)));
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_connect_state(ssl);
	return ssl;
}

void
rx_send_tls_close(SSL *ssl, int clean)
{
	if (ssl == NULL)
		return;
	if (clean)
		SSL_shutdown(ssl);      /* one non-blocking try; the socket closes right after */
	ERR_clear_error();
	SSL_free(ssl);
}

/* After rc <= 0 from an SSL call: 0 and *want when it only has to wait, else -1 and why. */
static int
rx_send_tls_result(SSL *ssl, int rc, short *want, char *err, size_t errlen)
{
	int e = SSL_get_error(ssl, rc);
	char why[256];

	switch (e) {
	case SSL_ERROR_WANT_READ: *want = EV_READ; return 0;
	case SSL_ERROR_WANT_WRITE: *want = EV_WRITE; return 0;
	case SSL_ERROR_ZERO_RETURN: snprintf(err, errlen, "closed by the collector"); break;
	case SSL_ERROR_SYSCALL:
		snprintf(err, errlen, "%s", errno != 0 ? strerror(errno) : "closed by the collector");
		break;
	default: snprintf(err, errlen, "TLS: %s", rx_send_tls_errstr(why, sizeof(why))); break;
	}
	ERR_clear_error();
	return -1;
}

int
rx_send_tls_handshake(SSL *ssl, short *want, char *err, size_t errlen)
{
	long v;
	int rc;

	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_connect(ssl)) == 1)
		return 1;
	if (rx_send_tls_result(ssl, rc, want, err, errlen) == 0)
		return 0;
	/* A certificate that failed verification says why better than the alert that followed. */
	if ((v = SSL_get_verify_result(ssl)) != X509_V_OK)
		snprintf(err, errlen, "TLS handshake: server certificate not accepted: %s",
		    X509_verify_cert_error_string(v));
	else {
		char why[200];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "TLS handshake failed: %s", why);
	}
	return -1;
}

ssize_t
rx_send_tls_write(SSL *ssl, const void *buf, size_t n, short *want, char *err, size_t errlen)
{
	size_t w = 0;
	int rc;

	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_write_ex(ssl, buf, n, &w)) == 1)
		return (ssize_t)w;
	return rx_send_tls_result(ssl, rc, want, err, errlen);
}

int
rx_send_tls_read(SSL *ssl, char *err, size_t errlen)
{
	char buf[4096];
	size_t got;
	short want;
	int rc;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((rc = SSL_read_ex(ssl, buf, sizeof(buf), &got)) != 1)
			return rx_send_tls_result(ssl, rc, &want, err, errlen);
	}
}
