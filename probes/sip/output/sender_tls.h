/*
 * TLS client of the sender (--send tls://HOST:PORT), OpenSSL on the sender's own non-blocking socket.
 * The server's certificate is verified against --send-ca (else the system store) and must name HOST
 * (a DNS name, or an IP address in subjectAltName). Each call makes what progress the socket allows
 * and says which readiness to wait for; failures come back as one line for the sender's log.
 */
#ifndef RX_PROBE_SENDER_TLS_H
#define RX_PROBE_SENDER_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <sys/types.h>

struct rx_send_tls;

/* ca_file NULL: the system's trust store. NULL with a one-line reason on error. */
struct rx_send_tls *rx_send_tls_new(const char *host, const char *ca_file, char *err, size_t errlen);
void rx_send_tls_free(struct rx_send_tls *t);

/* A client session on a connected socket (not owned). NULL with a reason on error. */
SSL *rx_send_tls_session(struct rx_send_tls *t, int fd, char *err, size_t errlen);
/* Free a session; clean: try to say close_notify first (the connection ends normally). */
void rx_send_tls_close(SSL *ssl, int clean);

/* The results below: > 0 progress, 0 wait for *want (EV_READ or EV_WRITE), -1 failed (err says why). */
int rx_send_tls_handshake(SSL *ssl, short *want, char *err, size_t errlen);
/* Bytes written (whole TLS records, so they count as handed over). After a 0, call again with the same
 * bytes. */
ssize_t rx_send_tls_write(SSL *ssl, const void *buf, size_t n, short *want, char *err, size_t errlen);
/* Read and discard what the collector sent (session tickets); -1 when it closed the connection. */
int rx_send_tls_read(SSL *ssl, char *err, size_t errlen);

#endif
