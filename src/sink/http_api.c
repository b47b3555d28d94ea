/*
 * http_api.c: the route table over evhttp, optionally behind TLS and HTTP basic auth.
 *
 * Basic auth guards every path, the wallboard's files, the event stream and /metrics
 * alike (Prometheus scrapes with basic_auth), so there is no unguarded corner to forget.
 */
#include "rexian/http_api.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "rexian/accept_guard.h"
#include "rexian/secret.h"
#include "rexian/tls.h"

#define STREAM_MAX_QUEUED (1 << 20)

struct stream_client {
	struct rx_http_api *owner;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	struct stream_client *prev, *next;
};

struct rx_http_api {
	struct evhttp *http;
	struct rx_accept_guard *guard;
	const struct rx_http_route *routes;
	size_t nroutes;
	void *arg;
	unsigned long requests;
	unsigned long auth_failed;
	const struct rx_secret *auth;     /* NULL: open */
	struct rx_tls *tls;               /* NULL: plain HTTP */
	char static_root[PATH_MAX];       /* real path; "" = no static files */
	char stream_path[64];             /* "" = no stream */
	unsigned stream_max, stream_count;
	struct stream_client *clients;
	char *last_event;                 /* the last broadcast, for new clients */
	size_t last_len;
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

static void serve_static(struct rx_http_api *h, struct evhttp_request *req, const char *path);
static void stream_open(struct rx_http_api *h, struct evhttp_request *req);

static void request_cb(struct evhttp_request *req, void *arg)
{
	struct rx_http_api *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct rx_jsonw body;

	h->requests++;
	if (h->auth != NULL && !rx_secret_matches_basic(h->auth,
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization"))) {
		h->auth_failed++;
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		    "Basic realm=\"rexian\", charset=\"UTF-8\"");
		reply_text(req, 401, "text/plain; charset=utf-8", "authentication required\n", 24);
		return;
	}
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
	if (path != NULL && h->stream_path[0] != '\0' && strcmp(path, h->stream_path) == 0) {
		stream_open(h, req);
		return;
	}
	if (path != NULL && h->static_root[0] != '\0') {
		serve_static(h, req, path);
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
	struct evhttp_bound_socket *bound;
	char host[256], what[300];
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
	if ((bound = evhttp_bind_socket_with_handle(h->http, host, port)) == NULL) {
		snprintf(err, errlen, "cannot listen for HTTP on %s", addr);
		rx_http_api_free(h);
		return NULL;
	}
	snprintf(what, sizeof what, "http: %s", addr);
	h->guard = rx_accept_guard_new(base, evhttp_bound_socket_get_listener(bound), what);
	if (h->guard == NULL) {
		snprintf(err, errlen, "out of memory");
		rx_http_api_free(h);
		return NULL;
	}
	return h;
}

void rx_http_api_free(struct rx_http_api *h)
{
	if (h == NULL)
		return;
	for (struct stream_client *c = h->clients; c != NULL; c = c->next) {
		evhttp_connection_set_closecb(c->conn, NULL, NULL);
		evhttp_send_reply_end(c->req);   /* a clean end of stream, not a cut */
	}
	rx_accept_guard_free(h->guard);
	evhttp_free(h->http);   /* frees the stream clients' connections */
	while (h->clients != NULL) {
		struct stream_client *c = h->clients;
		h->clients = c->next;
		free(c);
	}
	free(h->last_event);
	free(h);
}

unsigned long rx_http_api_requests(const struct rx_http_api *h)
{
	return h->requests;
}

unsigned long rx_http_api_auth_failures(const struct rx_http_api *h)
{
	return h->auth_failed;
}

unsigned long rx_http_api_accept_pauses(const struct rx_http_api *h)
{
	return (unsigned long)rx_accept_guard_pauses(h->guard);
}

void rx_http_api_set_auth(struct rx_http_api *h, const struct rx_secret *credential)
{
	h->auth = credential != NULL && credential->set ? credential : NULL;
}

/* evhttp makes each connection's bufferevent before it has a socket and sets it later. */
static struct bufferevent *tls_bevcb(struct event_base *base, void *arg)
{
	return rx_tls_accept_bufferevent(arg, base, -1);
}

void rx_http_api_set_tls(struct rx_http_api *h, struct rx_tls *tls)
{
	h->tls = tls;
	evhttp_set_bevcb(h->http, tls != NULL ? tls_bevcb : NULL, tls);
}

/* ---- static files ---- */

static const char *content_type_of(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".json", "application/json" },
		{ ".ico", "image/x-icon" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot != NULL && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* The real path of a request path under the root, or -1: decoding, then realpath, then a
 * prefix check, so nothing that resolves outside the root is ever opened. */
static int static_resolve(const struct rx_http_api *h, const char *path, char *out)
{
	char joined[PATH_MAX * 2];
	size_t len;
	char *decoded = evhttp_uridecode(path, 0, &len);
	size_t rootlen = strlen(h->static_root);
	int ok = -1;

	if (decoded == NULL)
		return -1;
	if (len == strlen(decoded) && decoded[0] == '/' && strstr(decoded, "..") == NULL &&
	    strchr(decoded, '\\') == NULL) {
		snprintf(joined, sizeof joined, "%s%s%s", h->static_root, decoded,
		    decoded[len - 1] == '/' ? "index.html" : "");
		if (realpath(joined, out) != NULL && strncmp(out, h->static_root, rootlen) == 0 &&
		    out[rootlen] == '/')
			ok = 0;
	}
	free(decoded);
	return ok;
}

static void serve_static(struct rx_http_api *h, struct evhttp_request *req, const char *path)
{
	char real[PATH_MAX];
	struct stat st;
	struct evbuffer *buf;
	int fd;

	if (static_resolve(h, path, real) != 0 || (fd = open(real, O_RDONLY | O_CLOEXEC)) < 0) {
		reply_text(req, 404, "text/plain; charset=utf-8", "not found\n", 10);
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (buf = evbuffer_new()) == NULL) {
		close(fd);
		reply_text(req, 404, "text/plain; charset=utf-8", "not found\n", 10);
		return;
	}
	evbuffer_add_file(buf, fd, 0, st.st_size);   /* takes the descriptor */
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", content_type_of(real));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

int rx_http_api_set_static(struct rx_http_api *h, const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (realpath(dir, h->static_root) == NULL || stat(h->static_root, &st) != 0 ||
	    !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "wallboard directory '%s' not found", dir);
		h->static_root[0] = '\0';
		return -1;
	}
	return 0;
}

/* ---- Server-Sent Events ---- */

static void stream_unlink(struct stream_client *c)
{
	struct rx_http_api *h = c->owner;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	h->stream_count--;
	free(c);
}

/* evhttp frees the connection after this returns. When the client went away in the middle
 * of the stream's chunked reply, evhttp has already detached the request from the
 * connection and leaves it to us (it would be ours to end); when the server shuts down, the
 * request is still attached and evhttp frees it with the connection. */
static void stream_closed_cb(struct evhttp_connection *conn, void *arg)
{
	struct stream_client *c = arg;

	(void)conn;
	if (evhttp_request_get_connection(c->req) == NULL)
		evhttp_request_free(c->req);
	stream_unlink(c);
}

static void stream_send(struct stream_client *c, const char *data, size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	if (buf == NULL)
		return;
	evbuffer_add(buf, data, len);
	evhttp_send_reply_chunk(c->req, buf);
	evbuffer_free(buf);
}

static void stream_open(struct rx_http_api *h, struct evhttp_request *req)
{
	struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
	struct stream_client *c;

	if (h->stream_count >= h->stream_max || (c = calloc(1, sizeof *c)) == NULL) {
		reply_text(req, 503, "text/plain; charset=utf-8", "too many streams\n", 17);
		return;
	}
	c->owner = h;
	c->req = req;
	c->conn = evhttp_request_get_connection(req);
	c->next = h->clients;
	if (h->clients != NULL)
		h->clients->prev = c;
	h->clients = c;
	h->stream_count++;
	evhttp_add_header(hd, "Content-Type", "text/event-stream; charset=utf-8");
	evhttp_add_header(hd, "Cache-Control", "no-store");
	evhttp_add_header(hd, "X-Accel-Buffering", "no");
	evhttp_send_reply_start(req, 200, "OK");
	evhttp_connection_set_closecb(c->conn, stream_closed_cb, c);
	evhttp_connection_set_timeout(c->conn, 24 * 3600);   /* a stream is meant to last */
	stream_send(c, "retry: 2000\n\n", 13);
	if (h->last_event != NULL)
		stream_send(c, h->last_event, h->last_len);
}

void rx_http_api_set_stream(struct rx_http_api *h, const char *path, unsigned max_clients)
{
	snprintf(h->stream_path, sizeof h->stream_path, "%s", path);
	h->stream_max = max_clients;
}

void rx_http_api_broadcast(struct rx_http_api *h, const char *event, const char *data, size_t len)
{
	size_t need = strlen(event) + len + sizeof "event: \ndata: \n\n";   /* with its NUL */
	char *msg = malloc(need);
	struct stream_client *c, *next;

	if (msg == NULL)
		return;
	/* data is one line of JSON: no newline inside, so one data: field holds it */
	h->last_len = (size_t)snprintf(msg, need, "event: %s\ndata: %.*s\n\n", event, (int)len, data);
	free(h->last_event);
	h->last_event = msg;
	for (c = h->clients; c != NULL; c = next) {
		struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);
		next = c->next;
		if (evbuffer_get_length(bufferevent_get_output(bev)) > STREAM_MAX_QUEUED) {
			evhttp_connection_set_closecb(c->conn, NULL, NULL);
			evhttp_connection_free(c->conn);   /* a reader that fell behind */
			stream_unlink(c);
			continue;
		}
		stream_send(c, msg, h->last_len);
	}
}

unsigned rx_http_api_stream_clients(const struct rx_http_api *h)
{
	return h->stream_count;
}
