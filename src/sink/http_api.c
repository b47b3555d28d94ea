/*
 * http_api.c: the route table over evhttp.
 */
#include "rexian/http_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

struct rx_http_api {
	struct evhttp *http;
	const struct rx_http_route *routes;
	size_t nroutes;
	void *arg;
	unsigned long requests;
};

static void reply_text(struct evhttp_request *req, int status, const char *type, const char *body,
    size_t len)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (buf == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(buf, body, len);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", buf);
	evbuffer_free(buf);
}

static void request_cb(struct evhttp_request *req, void *arg)
{
	struct rx_http_api *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct rx_jsonw body;

	h->requests++;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		reply_text(req, 405, "text/plain; charset=utf-8", "method not allowed\n", 19);
		return;
	}
	for (size_t i = 0; path != NULL && i < h->nroutes; i++) {
		int status;
		if (strcmp(path, h->routes[i].path) != 0)
			continue;
		rx_jsonw_init(&body);
		status = h->routes[i].handler(&body, h->arg);
		if (body.failed)
			evhttp_send_error(req, HTTP_INTERNAL, NULL);
		else
			reply_text(req, status, h->routes[i].content_type, body.buf ? body.buf : "", body.len);
		rx_jsonw_release(&body);
		return;
	}
	reply_text(req, 404, "text/plain; charset=utf-8", "not found\n", 10);
}

/* Splits "host:port" / "[v6]:port". */
static int split_addr(const char *addr, char *host, size_t hostlen, unsigned short *port)
{
	const char *colon = strrchr(addr, ':');
	const char *start = addr, *end = colon;
	long p;
	char *tail;

	if (colon == NULL)
		return -1;
	if (*addr == '[') {
		start = addr + 1;
		end = strchr(addr, ']');
		if (end == NULL || end + 1 != colon)
			return -1;
	}
	if ((size_t)(end - start) >= hostlen)
		return -1;
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	p = strtol(colon + 1, &tail, 10);
	if (*tail != '\0' || p <= 0 || p > 65535)
		return -1;
	*port = (unsigned short)p;
	return 0;
}

struct rx_http_api *rx_http_api_new(struct event_base *base, const char *addr,
    const struct rx_http_route *routes, size_t nroutes, void *arg, char *err, size_t errlen)
{
	struct rx_http_api *h = calloc(1, sizeof *h);
	char host[256];
	unsigned short port;

	if (h == NULL || split_addr(addr, host, sizeof host, &port) != 0) {
		snprintf(err, errlen, "bad HTTP address '%s' (want HOST:PORT)", addr);
		free(h);
		return NULL;
	}
	h->routes = routes;
	h->nroutes = nroutes;
	h->arg = arg;
	if ((h->http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(h);
		return NULL;
	}
	evhttp_set_timeout(h->http, 10);
	evhttp_set_max_headers_size(h->http, 16 * 1024);
	evhttp_set_max_body_size(h->http, 64 * 1024);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(h->http, request_cb, h);
	if (evhttp_bind_socket(h->http, host, port) != 0) {
		snprintf(err, errlen, "cannot listen for HTTP on %s", addr);
		rx_http_api_free(h);
		return NULL;
	}
	return h;
}

void rx_http_api_free(struct rx_http_api *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	free(h);
}

unsigned long rx_http_api_requests(const struct rx_http_api *h)
{
	return h->requests;
}
