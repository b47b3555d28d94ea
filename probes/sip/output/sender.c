/*
 * Sender (see sender.h). One non-blocking socket driven by libevent: a write event while there are
 * bytes to hand over, a read event to notice the peer closing (and, with TLS, to read its records), a
 * timer for reconnects with doubling backoff (100 ms to 5 s) and a phase timer (connect and handshake
 * deadline, then "this connection is up for good"). Plain TCP writes go straight from the evbuffers'
 * chunks with writev; TLS writes from a staging copy. Either way the sender learns how many bytes were
 * handed over, and only lines handed over whole leave the backlog (for the re-send memory).
 *
 * Bytes of a connection, in order: `pre` (the auth line and the re-sent lines, made at connect), then
 * the backlog from `head_sent` (the part of its first line already handed over).
 */
#include "output/sender.h"

#include <errno.h>
#include <event2/buffer.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "output/sender_resend.h"
#include "output/sender_tls.h"

#define RX_SEND_BACKOFF_MIN_MS 100
#define RX_SEND_BACKOFF_MAX_MS 5000
#define RX_SEND_IOV 64
/* A connection (and TLS handshake) must be up within this, or it is retried. */
#define RX_SEND_CONNECT_TIMEOUT_S 10
/* A connection that lasts this long is good: backoff resets, "connected again" is said. rexiand
 * refuses a wrong token as soon as it reads the first line, well within it. */
#define RX_SEND_STABLE_MS 2000
/* The auth line must fit rexiand's first-line limit (1024 bytes) once escaped. */
#define RX_SEND_TOKEN_MAX 256
#define RX_SEND_AUTH_MAX 1024
/* A TLS write hands over at most one record's worth. */
#define RX_SEND_STAGE 16384

enum rx_send_state { RX_SEND_IDLE, RX_SEND_CONNECTING, RX_SEND_HANDSHAKE, RX_SEND_UP };

struct rx_sender {
	struct event_base *base;
	char url[300], host[256], port[16];
	int fd;
	enum rx_send_state state;
	int backoff_ms;
	int warned;                     /* this outage was logged */
	int stable;                     /* the connection has lasted RX_SEND_STABLE_MS */
	int64_t up_ms;                  /* when the connection came up */
	size_t max;
	size_t head_sent;               /* bytes of the backlog's first line already handed over */
	struct evbuffer *backlog;       /* lines not (wholly) handed over yet */
	struct evbuffer *pre;           /* this connection's first bytes: auth line, re-sent lines */
	char auth[RX_SEND_TOKEN_MAX * 6 + 16];
	size_t authlen;                 /* 0: no token */
	struct rx_resend *resend;
	struct rx_send_tls *tls;        /* NULL for tcp:// */
	SSL *ssl;
	short tls_want;                 /* EV_READ: a TLS write waits for the socket to be readable */
	size_t stage_len;               /* TLS bytes to write again (OpenSSL wants the same bytes) */
	struct event *ev_write, *ev_read, *ev_retry, *ev_phase;
	struct rx_sender_stats st;
	char stage[RX_SEND_STAGE];
};

static void rx_sender_connect(struct rx_sender *s);

static int64_t
rx_sender_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static int
rx_sender_parse_url(struct rx_sender *s, const char *url)
{
	const char *hp, *colon;

	if ((strncmp(url, "tcp://", 6) != 0 && strncmp(url, "tls://", 6) != 0) ||
	    (colon = strrchr(url + 6, ':')) == NULL || colon[1] == '\0' ||
	    strlen(colon + 1) >= sizeof(s->port) || (size_t)(colon - url - 6) >= sizeof(s->host) ||
	    strlen(url) >= sizeof(s->url))
		return -1;
	hp = url + 6;
	if (*hp == '[' && colon > hp + 1 && colon[-1] == ']')
		snprintf(s->host, sizeof(s->host), "%.*s", (int)(colon - hp - 2), hp + 1);
	else
		snprintf(s->host, sizeof(s->host), "%.*s", (int)(colon - hp), hp);
	snprintf(s->port, sizeof(s->port), "%s", colon + 1);
	snprintf(s->url, sizeof(s->url), "%s", url);
	return s->host[0] == '\0' ? -1 : 0;
}

/* ---- the auth line ---- */

/* {"auth":"TOKEN"}\n with the token escaped for JSON (quotes, backslashes, control bytes). */
static void
rx_sender_auth_line(struct rx_sender *s, const char *tok, size_t n)
{
	size_t k = (size_t)snprintf(s->auth, sizeof(s->auth), "{\"auth\":\"");

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tok[i];

		if (c == '"' || c == '\\')
			k += (size_t)snprintf(s->auth + k, sizeof(s->auth) - k, "\\%c", c);
		else if (c < 0x20)
			k += (size_t)snprintf(s->auth + k, sizeof(s->auth) - k, "\\u%04x", c);
		else
			s->auth[k++] = (char)c;
	}
	k += (size_t)snprintf(s->auth + k, sizeof(s->auth) - k, "\"}\n");
	s->authlen = k;
}

/* The token from a file (its first line) or as given; 0, or -1 with a reason. */
static int
rx_sender_load_token(struct rx_sender *s, const struct rx_sender_opts *o, char *err, size_t errlen)
{
	char buf[RX_SEND_TOKEN_MAX + 3] = "", what[300];
	size_t n;

	if (o->token_file != NULL) {
		FILE *f = fopen(o->token_file, "r");

		if (f == NULL) {
			snprintf(err, errlen, "--send-token-file %s: %s", o->token_file, strerror(errno));
			return -1;
		}
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		fclose(f);
	} else if (o->token != NULL) {
		snprintf(buf, sizeof(buf), "%s", o->token);
	} else {
		return 0;
	}
	snprintf(what, sizeof(what), "%s%s", o->token_file ? "--send-token-file " : "REXIAN_FEED_TOKEN",
	    o->token_file ? o->token_file : "");
	n = strcspn(buf, "\r\n");
	if (n == 0 || n > RX_SEND_TOKEN_MAX) {
		snprintf(err, errlen, "%s: the token must be one line of 1 to %d bytes", what, RX_SEND_TOKEN_MAX);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	rx_sender_auth_line(s, buf, n);
	explicit_bzero(buf, sizeof(buf));
	if (s->authlen > RX_SEND_AUTH_MAX) {
		snprintf(err, errlen, "%s: the token is too long once escaped for JSON", what);
		return -1;
	}
	return 0;
}

/* ---- connection life ---- */

static void
rx_sender_retry_later(struct rx_sender *s)
{
	struct timeval tv = { s->backoff_ms / 1000, (s->backoff_ms % 1000) * 1000 };

	evtimer_add(s->ev_retry, &tv);
	s->backoff_ms = s->backoff_ms * 2 > RX_SEND_BACKOFF_MAX_MS ? RX_SEND_BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* The usual reason a collector hangs up at once is the token it was sent, or not sent. */
static const char *
rx_sender_hint(const struct rx_sender *s, char *buf, size_t n)
{
	int64_t ms = rx_sender_now_ms() - s->up_ms;

	if (s->state != RX_SEND_UP || ms >= RX_SEND_STABLE_MS)
		return "";
	snprintf(buf, n, ", %lld ms after connecting: %s (--send-token-file)", (long long)ms,
	    s->authlen > 0 ? "wrong token?" : "does it require a token?");
	return buf;
}

/* What the broken connection held: a line it was in the middle of goes again whole, or (no re-send)
 * its rest is dropped. A connection that was up: the re-send memory forgets what is older than the
 * window before its loss, then stays as it is until the next connection (failed attempts change
 * nothing, however long the outage). */
static void
rx_sender_settle(struct rx_sender *s, int was_up)
{
	evbuffer_drain(s->pre, evbuffer_get_length(s->pre));
	s->stage_len = 0;
	s->tls_want = 0;
	if (s->head_sent > 0 && rx_resend_enabled(s->resend)) {
		s->st.resent++;
	} else if (s->head_sent > 0) {
		struct evbuffer_ptr nl = evbuffer_search(s->backlog, "\n", 1, NULL);

		evbuffer_drain(s->backlog, nl.pos < 0 ? evbuffer_get_length(s->backlog) : (size_t)nl.pos + 1);
		s->st.cut++;
	}
	s->head_sent = 0;
	if (was_up)
		rx_resend_expire(s->resend, rx_sender_now_ms());
}

/* Lost connection (or none made): say so once per outage, forget the socket, try again later. */
static void
rx_sender_disconnect(struct rx_sender *s, const char *why)
{
	int was_up = s->state == RX_SEND_UP;
	char hint[128];

	if (!s->warned)
		fprintf(stderr, "rexian-probe: --send %s: %s (%s%s); buffering and reconnecting\n", s->url,
		    s->st.connected ? "connection lost" : "cannot connect", why, rx_sender_hint(s, hint, sizeof(hint)));
	s->warned = 1;
	event_del(s->ev_write);
	event_del(s->ev_read);
	event_del(s->ev_phase);
	rx_send_tls_close(s->ssl, 0);
	s->ssl = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->st.connected = 0;
	s->stable = 0;
	s->state = RX_SEND_IDLE;
	rx_sender_settle(s, was_up);
	rx_sender_retry_later(s);
}

/* ---- writing ---- */

static int
rx_sender_has_data(const struct rx_sender *s)
{
	return evbuffer_get_length(s->pre) > 0 || evbuffer_get_length(s->backlog) > s->head_sent;
}

/* Wait for writability exactly while there is something to write and TLS is not waiting to read. */
static void
rx_sender_arm(struct rx_sender *s)
{
	if (s->state == RX_SEND_UP && rx_sender_has_data(s) && s->tls_want != EV_READ)
		event_add(s->ev_write, NULL);
	else if (s->state == RX_SEND_UP)
		event_del(s->ev_write);
}

static int
rx_sender_peek(struct evbuffer *b, size_t from, struct iovec *iov, int max)
{
	struct evbuffer_iovec v[RX_SEND_IOV];
	struct evbuffer_ptr at;
	int n;

	if (max <= 0 || evbuffer_get_length(b) <= from)
		return 0;
	evbuffer_ptr_set(b, &at, from, EVBUFFER_PTR_SET);
	n = evbuffer_peek(b, -1, &at, v, max);
	n = n > max ? max : n;
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	return n;
}

/* What goes next, in order: pre, then the backlog after the part already handed over. */
static int
rx_sender_gather(struct rx_sender *s, struct iovec *iov)
{
	int n = rx_sender_peek(s->pre, 0, iov, RX_SEND_IOV);

	return n + rx_sender_peek(s->backlog, s->head_sent, iov + n, RX_SEND_IOV - n);
}

/* w bytes of the backlog went after head_sent: the lines they complete go to the re-send memory. */
static void
rx_sender_commit_backlog(struct rx_sender *s, size_t w)
{
	size_t len = evbuffer_get_length(s->backlog), total = s->head_sent + w, done = 0;
	struct evbuffer_ptr at, end, nl;
	uint64_t lines = 0;

	evbuffer_ptr_set(s->backlog, &at, s->head_sent, EVBUFFER_PTR_SET);
	if (total < len)
		evbuffer_ptr_set(s->backlog, &end, total, EVBUFFER_PTR_SET);
	while ((nl = evbuffer_search_range(s->backlog, "\n", 1, &at, total < len ? &end : NULL)).pos >= 0) {
		done = (size_t)nl.pos + 1;
		lines++;
		if (done >= total)
			break;
		evbuffer_ptr_set(s->backlog, &at, done, EVBUFFER_PTR_SET);
	}
	rx_resend_keep(s->resend, s->backlog, done, lines, rx_sender_now_ms());
	s->head_sent = total - done;
}

static void
rx_sender_commit(struct rx_sender *s, size_t w)
{
	size_t p = evbuffer_get_length(s->pre);

	evbuffer_drain(s->pre, w < p ? w : p);
	if (w > p)
		rx_sender_commit_backlog(s, w - p);
}

/* TLS: a staging copy, kept as is while OpenSSL asks for the same write again. */
static ssize_t
rx_sender_write_tls(struct rx_sender *s, char *err, size_t errlen)
{
	struct iovec iov[RX_SEND_IOV];
	ssize_t w;

	if (s->stage_len == 0) {
		int n = rx_sender_gather(s, iov);

		for (int i = 0; i < n && s->stage_len < sizeof(s->stage); i++) {
			size_t k = iov[i].iov_len < sizeof(s->stage) - s->stage_len ? iov[i].iov_len :
			    sizeof(s->stage) - s->stage_len;

			memcpy(s->stage + s->stage_len, iov[i].iov_base, k);
			s->stage_len += k;
		}
	}
	s->tls_want = 0;
	w = rx_send_tls_write(s->ssl, s->stage, s->stage_len, &s->tls_want, err, errlen);
	if (w > 0)
		s->stage_len = 0;
	return w;
}

/* Hand over what the socket takes; a broken connection is handled here. */
static void
rx_sender_send(struct rx_sender *s)
{
	struct iovec iov[RX_SEND_IOV];
	char err[256] = "";
	ssize_t w = 0;

	if (rx_sender_has_data(s) && s->ssl != NULL) {
		w = rx_sender_write_tls(s, err, sizeof(err));
	} else if (rx_sender_has_data(s)) {
		w = writev(s->fd, iov, rx_sender_gather(s, iov));
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			w = 0;
		else if (w < 0)
			snprintf(err, sizeof(err), "%s", strerror(errno));
	}
	if (w < 0) {
		rx_sender_disconnect(s, err);
		return;
	}
	if (w > 0)
		rx_sender_commit(s, (size_t)w);
	rx_sender_arm(s);
}

/* ---- connecting ---- */

static void
rx_sender_up(struct rx_sender *s)
{
	struct timeval stable = { RX_SEND_STABLE_MS / 1000, (RX_SEND_STABLE_MS % 1000) * 1000 };
	int64_t now = rx_sender_now_ms();

	s->state = RX_SEND_UP;
	s->st.connected = 1;
	s->st.connects++;
	s->up_ms = now;
	evbuffer_add(s->pre, s->auth, s->authlen);
	s->st.resent += rx_resend_replay(s->resend, s->pre, now);
	evtimer_add(s->ev_phase, &stable);
	event_add(s->ev_read, NULL);
	rx_sender_send(s);
}

static void
rx_sender_handshake(struct rx_sender *s)
{
	char err[300];
	short want = 0;
	int rc = rx_send_tls_handshake(s->ssl, &want, err, sizeof(err));

	if (rc < 0)
		rx_sender_disconnect(s, err);
	else if (rc > 0)
		rx_sender_up(s);
	else if (want == EV_WRITE)
		event_add(s->ev_write, NULL);
	else
		event_del(s->ev_write);
}

/* The TCP connection is made: TLS starts its handshake, plain TCP is up. */
static void
rx_sender_connected(struct rx_sender *s)
{
	char err[300];

	if (s->tls == NULL) {
		rx_sender_up(s);
		return;
	}
	if ((s->ssl = rx_send_tls_session(s->tls, s->fd, err, sizeof(err))) == NULL) {
		rx_sender_disconnect(s, err);
		return;
	}
	s->state = RX_SEND_HANDSHAKE;
	event_add(s->ev_read, NULL);
	rx_sender_handshake(s);
}

static void
rx_sender_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rx_sender *s = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)what;
	if (s->state == RX_SEND_CONNECTING) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
			rx_sender_disconnect(s, strerror(err ? err : errno));
		else
			rx_sender_connected(s);
	} else if (s->state == RX_SEND_HANDSHAKE) {
		rx_sender_handshake(s);
	} else if (s->state == RX_SEND_UP) {
		rx_sender_send(s);
	}
}

/* The collector sends no data (TLS: only its own records); readable mostly means it closed. */
static void
rx_sender_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rx_sender *s = arg;
	char buf[512];
	ssize_t n;

	(void)what;
	if (s->state == RX_SEND_HANDSHAKE) {
		rx_sender_handshake(s);
	} else if (s->ssl != NULL) {
		if (rx_send_tls_read(s->ssl, buf, sizeof(buf)) < 0)
			rx_sender_disconnect(s, buf);
		else if (s->tls_want == EV_READ)
			rx_sender_send(s);
	} else if ((n = recv(fd, buf, sizeof(buf), 0)) == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		rx_sender_disconnect(s, n == 0 ? "closed by the collector" : strerror(errno));
	}
}

/* While connecting: the deadline. Once up: the connection has lasted, the outage is over. */
static void
rx_sender_phase_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rx_sender *s = arg;

	(void)fd;
	(void)what;
	if (s->state != RX_SEND_UP) {
		rx_sender_disconnect(s, s->state == RX_SEND_HANDSHAKE ?
		    "TLS handshake timed out: is it a tls:// listener?" : "connect timed out");
		return;
	}
	s->stable = 1;
	s->backoff_ms = RX_SEND_BACKOFF_MIN_MS;
	if (s->warned)
		fprintf(stderr, "rexian-probe: --send %s: connected again\n", s->url);
	s->warned = 0;
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
	struct timeval deadline = { RX_SEND_CONNECT_TIMEOUT_S, 0 };
	int rc;

	if ((rc = getaddrinfo(s->host, s->port, &hints, &ai)) != 0) {
		rx_sender_disconnect(s, gai_strerror(rc));
		return;
	}
	s->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	rc = s->fd < 0 ? -1 : connect(s->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc < 0 && errno != EINPROGRESS) {
		rx_sender_disconnect(s, strerror(errno));
		return;
	}
	s->state = RX_SEND_CONNECTING;
	event_assign(s->ev_write, s->base, s->fd, EV_WRITE | EV_PERSIST, rx_sender_write_cb, s);
	event_assign(s->ev_read, s->base, s->fd, EV_READ | EV_PERSIST, rx_sender_read_cb, s);
	event_add(s->ev_write, NULL);
	evtimer_add(s->ev_phase, &deadline);
}

/* ---- the sink ---- */

static int
rx_sender_setup(struct rx_sender *s, const struct rx_sender_opts *o, char *err, size_t errlen)
{
	if (rx_sender_load_token(s, o, err, errlen) < 0)
		return -1;
	if (o->ca_file != NULL && strncmp(s->url, "tls://", 6) != 0) {
		snprintf(err, errlen, "--send-ca needs a tls:// URL (--send %s)", s->url);
		return -1;
	}
	if (strncmp(s->url, "tls://", 6) == 0 && (s->tls = rx_send_tls_new(s->host, o->ca_file, err, errlen)) == NULL)
		return -1;
	s->backlog = evbuffer_new();
	s->pre = evbuffer_new();
	s->resend = rx_resend_new(o->resend_s, o->max_backlog);
	s->ev_write = event_new(s->base, -1, 0, rx_sender_write_cb, s);
	s->ev_read = event_new(s->base, -1, 0, rx_sender_read_cb, s);
	s->ev_retry = evtimer_new(s->base, rx_sender_retry_cb, s);
	s->ev_phase = evtimer_new(s->base, rx_sender_phase_cb, s);
	if (s->backlog == NULL || s->pre == NULL || s->resend == NULL || s->ev_write == NULL ||
	    s->ev_read == NULL || s->ev_retry == NULL || s->ev_phase == NULL) {
		snprintf(err, errlen, "--send %s: out of memory", s->url);
		return -1;
	}
	return 0;
}

struct rx_sender *
rx_sender_new(struct event_base *base, const char *url, const struct rx_sender_opts *o, char *err,
    size_t errlen)
{
	struct rx_sender *s = calloc(1, sizeof(*s));

	if (s == NULL || rx_sender_parse_url(s, url) < 0) {
		snprintf(err, errlen, "--send %s: expected tcp://HOST:PORT or tls://HOST:PORT", url);
		free(s);
		return NULL;
	}
	s->base = base;
	s->fd = -1;
	s->max = o->max_backlog;
	s->backoff_ms = RX_SEND_BACKOFF_MIN_MS;
	if (rx_sender_setup(s, o, err, errlen) < 0) {
		rx_sender_free(s);
		return NULL;
	}
	/* A collector that resets the connection must not kill the probe: writes report EPIPE instead
	 * (OpenSSL writes to the socket itself, so a per-call MSG_NOSIGNAL is not enough). */
	signal(SIGPIPE, SIG_IGN);
	rx_sender_connect(s);
	return s;
}

/* Closing a socket with unread input (a TLS session ticket) resets the connection, which can throw
 * away the last lines still in flight: read what is there first. */
static void
rx_sender_close(struct rx_sender *s)
{
	char buf[512];

	if (s->ssl != NULL && s->state == RX_SEND_UP)
		(void)rx_send_tls_read(s->ssl, buf, sizeof(buf));
	else if (s->fd >= 0)
		while (recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	rx_send_tls_close(s->ssl, s->state == RX_SEND_UP);
	if (s->fd >= 0)
		close(s->fd);
}

void
rx_sender_free(struct rx_sender *s)
{
	if (s == NULL)
		return;
	rx_sender_close(s);
	if (s->ev_write)
		event_free(s->ev_write);
	if (s->ev_read)
		event_free(s->ev_read);
	if (s->ev_retry)
		event_free(s->ev_retry);
	if (s->ev_phase)
		event_free(s->ev_phase);
	if (s->backlog)
		evbuffer_free(s->backlog);
	if (s->pre)
		evbuffer_free(s->pre);
	rx_resend_free(s->resend);
	rx_send_tls_free(s->tls);
	explicit_bzero(s->auth, sizeof(s->auth));
	free(s);
}

/* Make room for n bytes by dropping the oldest whole lines (never the one being written). */
static int
rx_sender_make_room(struct rx_sender *s, size_t n)
{
	while (evbuffer_get_length(s->backlog) + n > s->max) {
		struct evbuffer_ptr nl = evbuffer_search(s->backlog, "\n", 1, NULL);

		/* A line partly handed over must finish, and a TLS write to repeat must find its bytes. */
		if (nl.pos < 0 || s->head_sent > 0 || s->stage_len > 0)
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
	rx_sender_arm(s);
}

/* Waiting also counts the re-send memory until a connection has lasted: a collector that refuses the
 * token hangs up at once, and what it was handed is not delivered (the end-of-input drain waits). */
const struct rx_sender_stats *
rx_sender_stats(struct rx_sender *s)
{
	s->st.backlog = evbuffer_get_length(s->backlog) + evbuffer_get_length(s->pre) +
	    (s->stable ? 0 : rx_resend_bytes(s->resend));
	return &s->st;
}
