/*
 * fuzz_http.c: libFuzzer harness for rexiand's HTTP server (src/sink/http_api.c over
 * libevent's evhttp): request line, path, query, headers and body, the route table, the
 * Server-Sent Events stream and the static-file resolver.
 *
 * One real server runs for the whole fuzzing session, made by rx_http_api_new on a
 * loopback port, with routes like rexiand's, a stream, and a wallboard directory. Each
 * input is one connection: its bytes are the raw request (or, if the first byte is 0x01,
 * the rest is a path put into "GET PATH HTTP/1.1"); the client half-closes, the loop runs
 * until the server has answered and closed, or a short timeout, and the connection is
 * dropped.
 *
 * The wallboard directory sits in a temporary tree next to files it must never give away:
 * a secret file beside it, a sibling directory whose name extends the wallboard's
 * ("wall" / "wallx"), and symlinks inside it that lead to both, to /etc and to "..".
 *
 * Invariants: no crash, leak or sanitizer report; whatever comes back is an HTTP
 * response; no response ever holds a byte of a file outside the wallboard directory (the
 * secret markers, or /etc/passwd's first line).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "fuzz_common.h"
#include "rexian/http_api.h"
#include "rexian/jsonw.h"

#define SECRET "RXFUZZ-SECRET-OUTSIDE"
#define SIBLING "RXFUZZ-SECRET-SIBLING"
#define TIMEOUT_MS 40

static struct event_base *base;
static struct rx_http_api *api;
static int port;
static char tree[PATH_MAX];
static char passwd_line[128];   /* first line of /etc/passwd, if readable */
static unsigned long inputs;

/* ---- routes, like rexiand's ---- */

static int route_healthz(struct rx_jsonw *w, void *arg)
{
	(void)arg;
	rx_jsonw_cstr(w, "ok");
	return 200;
}

static int route_live(struct rx_jsonw *w, void *arg)
{
	(void)arg;
	rx_jsonw_open(w, '{');
	rx_jsonw_key(w, "waiting");
	rx_jsonw_uint(w, 3);
	rx_jsonw_key(w, "queue");
	rx_jsonw_cstr(w, "一企来");
	rx_jsonw_close(w, '}');
	return 200;
}

static int route_metrics(struct rx_jsonw *w, void *arg)
{
	(void)arg;
	rx_jsonw_raw(w, "rexian_up 1\n", 12);
	return 200;
}

static int route_fail(struct rx_jsonw *w, void *arg)
{
	(void)arg;
	rx_jsonw_cstr(w, "unavailable");
	return 503;
}

static const struct rx_http_route routes[] = {
	{ "/healthz", "application/json", route_healthz },
	{ "/api/live", "application/json; charset=utf-8", route_live },
	{ "/metrics", "text/plain; version=0.0.4; charset=utf-8", route_metrics },
	{ "/api/fail", "application/json", route_fail },
};

/* ---- the temporary tree ---- */

static void put_file(const char *rel, const char *content)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", tree, rel);
	f = fopen(p, "w");
	CHECK(f != NULL);
	fputs(content, f);
	CHECK(fclose(f) == 0);
}

static void put_dir(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", tree, rel);
	CHECK(mkdir(p, 0700) == 0);
}

static void put_link(const char *target, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", tree, rel);
	CHECK(symlink(target, p) == 0);
}

static void remove_tree(void)
{
	static const char *const rel[] = { "wall/sub/app.css", "wall/sub/..x", "wall/index.html",
		"wall/app.js", "wall/data.json", "wall/leak", "wall/leak_abs", "wall/etc",
		"wall/up", "wall/sib", "wall/sibdir", "wall/loop", "wallx/secret.txt",
		"secret.txt", "wall/sub", "wall", "wallx" };
	char p[PATH_MAX];

	if (tree[0] == '\0')
		return;
	if (api != NULL)
		rx_http_api_free(api);
	if (base != NULL)
		event_base_free(base);
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", tree, rel[i]);
		if (unlink(p) != 0)
			rmdir(p);
	}
	rmdir(tree);
}

static void make_tree(void)
{
	char abs[PATH_MAX];
	FILE *f;

	snprintf(tree, sizeof tree, "/tmp/rexian-fuzz-http.XXXXXX");
	CHECK(mkdtemp(tree) != NULL);
	put_file("secret.txt", SECRET "\n");
	put_dir("wallx");
	put_file("wallx/secret.txt", SIBLING "\n");
	put_dir("wall");
	put_dir("wall/sub");
	put_file("wall/index.html", "<!doctype html><title>wallboard</title>\n");
	put_file("wall/app.js", "console.log('wallboard');\n");
	put_file("wall/data.json", "{\"ok\":true}\n");
	put_file("wall/sub/app.css", "body{color:#000}\n");
	put_file("wall/sub/..x", "dots in a name\n");
	put_link("../secret.txt", "wall/leak");
	snprintf(abs, sizeof abs, "%s/secret.txt", tree);
	put_link(abs, "wall/leak_abs");
	put_link("/etc", "wall/etc");
	put_link("..", "wall/up");
	put_link("../wallx/secret.txt", "wall/sib");
	put_link("../wallx", "wall/sibdir");
	put_link("loop", "wall/loop");
	if ((f = fopen("/etc/passwd", "r")) != NULL) {
		if (fgets(passwd_line, sizeof passwd_line, f) == NULL)
			passwd_line[0] = '\0';
		passwd_line[strcspn(passwd_line, "\n")] = '\0';
		fclose(f);
	}
	atexit(remove_tree);
}

/* A port free on 127.0.0.1 a moment ago (rx_http_api_new wants a fixed one). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), p;

	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	p = ntohs(a.sin_port);
	close(fd);
	return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char addr[64], err[256], dir[PATH_MAX];

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	make_tree();
	base = event_base_new();
	CHECK(base != NULL);
	for (int attempt = 0; attempt < 20 && api == NULL; attempt++) {
		port = free_port();
		snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
		api = rx_http_api_new(base, addr, routes, sizeof routes / sizeof routes[0], NULL,
		    err, sizeof err);
	}
	CHECK(api != NULL);
	snprintf(dir, sizeof dir, "%s/wall", tree);
	CHECK(rx_http_api_set_static(api, dir, err, sizeof err) == 0);
	rx_http_api_set_stream(api, "/api/stream", 4);
	rx_http_api_broadcast(api, "snapshot", "{\"n\":0}", 7);
	return 0;
}

/* ---- one connection ---- */

struct client {
	int fd;
	char *resp;
	size_t len, cap;
	bool done;
};

static void client_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	char buf[16384];
	ssize_t n;

	(void)what;
	for (;;) {
		n = recv(fd, buf, sizeof buf, 0);
		if (n > 0) {
			if (c->len + (size_t)n > c->cap) {
				size_t cap = c->cap ? c->cap : 16384;
				while (cap < c->len + (size_t)n)
					cap *= 2;
				c->resp = realloc(c->resp, cap);
				CHECK(c->resp != NULL);
				c->cap = cap;
			}
			memcpy(c->resp + c->len, buf, (size_t)n);
			c->len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		c->done = true;   /* end of stream or reset */
		return;
	}
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	((struct client *)arg)->done = true;
}

static bool contains(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	if (m == 0 || n < m)
		return false;
	for (size_t i = 0; i + m <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
			return true;
	return false;
}

/* Writes what the socket takes without waiting (a request larger than the socket buffer
 * is cut there: the server has refused it by then anyway). */
static void send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct client c = { -1, NULL, 0, 0, false };
	struct timeval tv = { 0, TIMEOUT_MS * 1000 };
	const struct linger no_linger = { 1, 0 };
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct event *rd, *tm;

	a.sin_port = htons((uint16_t)port);
	c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(c.fd >= 0);
	/* A million connections leave many in TIME_WAIT (the server answers and closes after
	 * our half-close), enough to use up the ephemeral ports of one address pair: the
	 * source address goes round 127.0.0.2-251, and the connection is closed with a reset. */
	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + (uint32_t)(inputs % 250));
	CHECK(bind(c.fd, (struct sockaddr *)&src, sizeof src) == 0);
	CHECK(setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &no_linger, sizeof no_linger) == 0);
	CHECK(evutil_make_socket_nonblocking(c.fd) == 0);
	/* non-blocking, and waited for with poll: libFuzzer's timer signal would interrupt a
	 * blocking connect */
	if (connect(c.fd, (struct sockaddr *)&a, sizeof a) != 0) {
		struct pollfd p = { c.fd, POLLOUT, 0 };
		int err = errno, rc;
		socklen_t len = sizeof err;
		if (err != EINPROGRESS)
			fprintf(stderr, "connect to the server: %s\n", strerror(err));
		CHECK(err == EINPROGRESS);
		while ((rc = poll(&p, 1, 5000)) < 0 && errno == EINTR)
			;
		CHECK(rc == 1);
		CHECK(getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
		if (err != 0)
			fprintf(stderr, "connect to the server: %s\n", strerror(err));
		CHECK(err == 0);
	}
	if (size > 0 && data[0] == 0x01) {
		static const char head[] = "GET ", tail[] = " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
		send_all(c.fd, head, sizeof head - 1);
		send_all(c.fd, (const char *)data + 1, size - 1);
		send_all(c.fd, tail, sizeof tail - 1);
	} else {
		send_all(c.fd, (const char *)data, size);
	}
	shutdown(c.fd, SHUT_WR);

	rd = event_new(base, c.fd, EV_READ | EV_PERSIST, client_read_cb, &c);
	tm = evtimer_new(base, timeout_cb, &c);
	CHECK(rd != NULL && tm != NULL);
	event_add(rd, NULL);
	event_add(tm, &tv);
	while (!c.done)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(rd);
	event_free(tm);
	close(c.fd);
	/* let the server see the close and free the connection */
	for (int i = 0; i < 4; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	if (++inputs % 64 == 0)
		rx_http_api_broadcast(api, "snapshot", "{\"n\":1}", 7);

	if (c.len > 0)
		CHECK(c.len >= 9 && memcmp(c.resp, "HTTP/", 5) == 0);   /* evhttp echoes the request's version */
	CHECK(!contains(c.resp, c.len, SECRET));
	CHECK(!contains(c.resp, c.len, SIBLING));
	CHECK(passwd_line[0] == '\0' || !contains(c.resp, c.len, passwd_line));
	free(c.resp);
	return 0;
}
