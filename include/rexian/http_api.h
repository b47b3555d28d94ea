/*
 * http_api.h: rexiand's HTTP server (libevent's evhttp): a fixed table of GET routes,
 * each answered by a handler that writes its body into a buffer. Everything else is 404
 * (unknown path) or 405 (other methods). Requests are bounded in header and body size and
 * in time, so a client that never finishes its headers costs one socket until it times out.
 */
#ifndef REXIAN_HTTP_API_H
#define REXIAN_HTTP_API_H

#include <stddef.h>

#include "rexian/jsonw.h"

struct event_base;
struct rx_http_api;
struct rx_secret;
struct rx_tls;

/* Writes the body into out (a text buffer, JSON or not); returns the HTTP status. */
typedef int (*rx_http_handler)(struct rx_jsonw *out, void *arg);

struct rx_http_route {
	const char *path;
	const char *content_type;
	rx_http_handler handler;
};

/* addr "127.0.0.1:8345" or "[::1]:8345". routes must outlive the server. */
struct rx_http_api *rx_http_api_new(struct event_base *base, const char *addr,
    const struct rx_http_route *routes, size_t nroutes, void *arg, char *err, size_t errlen);
void rx_http_api_free(struct rx_http_api *h);

/* Serve the files under dir for paths no route claims ("/" is index.html). Only regular
 * files whose real path lies inside dir are served: "..", encoded dots, absolute paths
 * and symlinks leading out are all 404. -1 with a reason if dir is not a directory. */
int rx_http_api_set_static(struct rx_http_api *h, const char *dir, char *err, size_t errlen);

/* Server-Sent Events at path: each client gets the last broadcast at once, then every
 * broadcast. A client that does not keep up (over 1 MiB queued) is dropped. */
void rx_http_api_set_stream(struct rx_http_api *h, const char *path, unsigned max_clients);
void rx_http_api_broadcast(struct rx_http_api *h, const char *event, const char *data, size_t len);
unsigned rx_http_api_stream_clients(const struct rx_http_api *h);
unsigned long rx_http_api_requests(const struct rx_http_api *h);

/* Require HTTP basic auth ("user:password", borrowed) on every path; NULL or unset: open.
 * Failures are counted (rx_http_api_auth_failures) and answered 401. */
void rx_http_api_set_auth(struct rx_http_api *h, const struct rx_secret *credential);
unsigned long rx_http_api_auth_failures(const struct rx_http_api *h);
/* Times accepting paused for want of descriptors (accept_guard.h). */
unsigned long rx_http_api_accept_pauses(const struct rx_http_api *h);
/* Serve HTTPS instead (tls borrowed); set before the loop runs. */
void rx_http_api_set_tls(struct rx_http_api *h, struct rx_tls *tls);

#endif
