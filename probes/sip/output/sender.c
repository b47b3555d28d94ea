/*
 * TCP sender (see sender.h). One non-blocking socket driven by libevent: a write event while the
 * backlog has bytes, a read event only to notice the peer closing, and a timer for reconnects with
 * doubling backoff (100 ms to 5 s). Writes go straight from the evbuffer's chunks with writev, so the
 * sender knows whether the last byte the kernel took ended a line before draining it.
 */
#include "output/sender.h"

#include <errno.h>
#include <event2/buffer.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define RX_SEND_BACKOFF_MIN_MS 100
#define RX_SEND_BACKOFF_MAX_MS 5000
#define RX_SEND_IOV 64

struct rx_sender {
	struct event_base *base;
	char host[256], port[16];
	int fd;
	int connecting;
	int mid_line;                   /* the kernel took part of a line: drop its rest on reconnect */
	int backoff_ms;
	int warned;                     /* this outage was logged */
	size_t max;
	struct evbuffer *backlog;
	struct event *ev_write, *ev_read, *ev_retry;
	struct rx_sender_stats st;
};

static void rx_sender_connect(struct rx_sender *s);

static int
rx_sender_parse_url(struct rx_sender *s, const char *url)
{
	const char *hp, *colon;

	if (strncmp(url, "tcp://", 6) != 0 || (colon = strrchr(url + 6, ':')) == NULL || colon[1] == '\0' ||
	    strlen(colon + 1) >= sizeof(s->port) || (size_t)(colon - url - 6) >= sizeof(s->host))
		return -1;
	hp = url + 6;
	if (*hp == '[' && colon > hp + 1 && colon[-1] == ']')
		snprintf(s->host, sizeof(s->host), "%.*s", (int)(colon - hp - 2), hp + 1);
	else
		snprintf(s->host, sizeof(s->host), "%.*s", (int)(colon - hp), hp);
	snprintf(s->port, sizeof(s->port), "%s", colon + 1);
	return 0;
}

static void
rx_sender_retry_later(struct rx_sender *s)
{
	struct timeval tv = { s->backoff_ms / 1000, (s->backoff_ms % 1000) * 1000 };

	evtimer_add(s->ev_retry, &tv);
	s->backoff_ms = s->backoff_ms * 2 > RX_SEND_BACKOFF_MAX_MS ? RX_SEND_BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* Lost connection: forget the socket, drop the rest of a cut line, try again later. */
static void
rx_sender_disconnect(struct rx_sender *s, const char *why)
{
	if (!s->warned)
		fprintf(stderr, "rexian-probe: --send %s:%s: %s (%s); buffering and reconnecting\n", s->host,
		    s->port, s->st.connected ? "connection lost" : "cannot connect", why);
	s->warned = 1;
	event_del(s->ev_write);
	event_del(s->ev_read);
	close(s->fd);
	s->fd = -1;
	s->st.connected = 0;
	s->connecting = 0;
	if (s->mid_line) {
		struct evbuffer_ptr nl = evbuffer_search(s->backlog, "\n", 1, NULL);

		evbuffer_drain(s->backlog, nl.pos < 0 ? evbuffer_get_length(s->backlog) : (size_t)nl.pos + 1);
		s->st.cut++;
		s->mid_line = 0;
	}
	rx_sender_retry_later(s);
}

/* Write what the kernel takes; returns -1 when the connection broke. */
static int
rx_sender_flush(struct rx_sender *s)
{
	struct evbuffer_iovec v[RX_SEND_IOV];
	struct iovec iov[RX_SEND_IOV];
	int n = evbuffer_peek(s->backlog, -1, NULL, v, RX_SEND_IOV);
	ssize_t w;
	size_t left;

	if (n <= 0)
		return 0;
	if (n > RX_SEND_IOV)
		n = RX_SEND_IOV;
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	w = writev(s->fd, iov, n);
	if (w < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	/* Find the last byte written to know whether it ended a line. */
	left = (size_t)w;
	for (int i = 0; i < n && left > 0; i++) {
		if (left <= iov[i].iov_len) {
			s->mid_line = ((const char *)iov[i].iov_base)[left - 1] != '\n';
			break;
		}
		left -= iov[i].iov_len;
	}
	evbuffer_drain(s->backlog, (size_t)w);
	return 0;
}

static void
rx_sender_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rx_sender *s = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)what;
	if (s->connecting) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			rx_sender_disconnect(s, strerror(err ? err : errno));
			return;
		}
		s->connecting = 0;
		s->st.connected = 1;
		s->st.connects++;
		s->backoff_ms = RX_SEND_BACKOFF_MIN_MS;
		if (s->warned)
			fprintf(stderr, "rexian-probe: --send %s:%s: connected again\n", s->host, s->port);
		s->warned = 0;
		event_add(s->ev_read, NULL);
	}
	if (rx_sender_flush(s) < 0) {
		rx_sender_disconnect(s, strerror(errno));
		return;
	}
	if (evbuffer_get_length(s->backlog) == 0)
		event_del(s->ev_write);
}

/* The collector sends nothing; readable means it closed (or reset) the connection. */
static void
rx_sender_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rx_sender *s = arg;
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	(void)what;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		rx_sender_disconnect(s, n == 0 ? "closed by the collector" : strerror(errno));
}

static void
rx_sender_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rx_sender_connect(arg);
}

static void
rx_sender_connect(struct rx_sender *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;

	if (getaddrinfo(s->host, s->port, &hints, &ai) != 0) {
		rx_sender_retry_later(s);
		return;
	}
	s->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd >= 0 && connect(s->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		close(s->fd);
		s->fd = -1;
	}
	freeaddrinfo(ai);
	if (s->fd < 0) {
		rx_sender_retry_later(s);
		return;
	}
	s->connecting = 1;
	event_assign(s->ev_write, s->base, s->fd, EV_WRITE | EV_PERSIST, rx_sender_write_cb, s);
	event_assign(s->ev_read, s->base, s->fd, EV_READ | EV_PERSIST, rx_sender_read_cb, s);
	event_add(s->ev_write, NULL);
}

struct rx_sender *
rx_sender_new(struct event_base *base, const char *url, size_t max_backlog, char *err, size_t errlen)
{
	struct rx_sender *s = calloc(1, sizeof(*s));

	if (s == NULL || rx_sender_parse_url(s, url) < 0) {
		snprintf(err, errlen, "--send %s: expected tcp://HOST:PORT", url);
		free(s);
		return NULL;
	}
	s->base = base;
	s->fd = -1;
	s->max = max_backlog;
	s->backoff_ms = RX_SEND_BACKOFF_MIN_MS;
	s->backlog = evbuffer_new();
	s->ev_write = event_new(base, -1, 0, rx_sender_write_cb, s);
	s->ev_read = event_new(base, -1, 0, rx_sender_read_cb, s);
	s->ev_retry = evtimer_new(base, rx_sender_retry_cb, s);
	if (s->backlog == NULL || s->ev_write == NULL || s->ev_read == NULL || s->ev_retry == NULL) {
		snprintf(err, errlen, "--send %s: out of memory", url);
		rx_sender_free(s);
		return NULL;
	}
	rx_sender_connect(s);
	return s;
}

void
rx_sender_free(struct rx_sender *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->ev_write)
		event_free(s->ev_write);
	if (s->ev_read)
		event_free(s->ev_read);
	if (s->ev_retry)
		event_free(s->ev_retry);
	if (s->backlog)
		evbuffer_free(s->backlog);
	free(s);
}

/* Make room for n bytes by dropping the oldest whole lines (never the one being written). */
static int
rx_sender_make_room(struct rx_sender *s, size_t n)
{
	while (evbuffer_get_length(s->backlog) + n > s->max) {
		struct evbuffer_ptr nl = evbuffer_search(s->backlog, "\n", 1, NULL);

		/* A line the kernel has partly taken must finish, or the collector gets half a line. */
		if (nl.pos < 0 || s->mid_line)
			return -1;
		evbuffer_drain(s->backlog, (size_t)nl.pos + 1);
		s->st.dropped++;
	}
	return 0;
}

void
rx_sender_write(const char *line, size_t n, void *arg)
{
	struct rx_sender *s = arg;

	s->st.lines++;
	if (n > s->max || rx_sender_make_room(s, n) < 0) {
		s->st.dropped++;
		return;
	}
	evbuffer_add(s->backlog, line, n);
	if (s->st.connected)
		event_add(s->ev_write, NULL);
}

const struct rx_sender_stats *
rx_sender_stats(struct rx_sender *s)
{
	s->st.backlog = evbuffer_get_length(s->backlog);
	return &s->st;
}
