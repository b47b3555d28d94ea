/*
 * tls.h: TLS for the sockets rexiand accepts (feeds and HTTP), with OpenSSL under
 * libevent's OpenSSL bufferevents. One server context, loaded once at start from a PEM
 * certificate chain and key, serves every listener that asks for it.
 */
#ifndef REXIAN_TLS_H
#define REXIAN_TLS_H

#include <stddef.h>

#include <event2/util.h>

struct bufferevent;
struct event_base;
struct rx_tls;

/* NULL and a one-line reason in err if the files cannot be read or do not match. */
struct rx_tls *rx_tls_server_new(const char *cert_file, const char *key_file, char *err,
    size_t errlen);
void rx_tls_free(struct rx_tls *tls);

/* A bufferevent for an accepted socket that owns fd: TLS (handshake as the server) when
 * tls is not NULL, plain otherwise. NULL if it cannot be made (fd is then closed). fd may
 * be -1 for a socket set later (evhttp does so). */
struct bufferevent *rx_tls_accept_bufferevent(struct rx_tls *tls, struct event_base *base,
    evutil_socket_t fd);

#endif
