/*
 * listener.c: accepting feed connections and reading them with libevent.
 *
 * Each connection is a bufferevent with a read high-water mark, so a client that floods
 * us is read at our pace; bytes are pushed to the connection's own rx_feed as they come.
 * Connections are kept in a list so that shutdown can drain them.
 *
 * A listener may require a token: until a connection's first line, {"auth": "..."},
 * has matched, nothing it sends reaches the feed, and a connection that does not send
 * that line within AUTH_TIMEOUT_S, or sends a wrong one, is closed (counted, and logged
 * at a limited rate, never with what it sent).
 */
#include "rexian/listener.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "rexian/accept_guard.h"
#include "rexian/feed.h"
#include "rexian/log.h"
#include "rexian/secret.h"
#include "rexian/tls.h"

#define AUTH_LINE_MAX 1024
#define AUTH_TIMEOUT_S 10

struct conn {
	struct rx_listener *owner;
	struct bufferevent *bev;
	struct rx_feed *feed;
	uint64_t id;
	bool authed;
	struct conn *prev, *next;
};

struct rx_listener {
	struct event_base *base;
	struct evconnlistener *evl;
	struct rx_accept_guard *guard;
	struct rx_feed_decoder *dec;
	struct rx_listener_hooks hooks;
	struct rx_listener_stats stats;
	struct rx_listener_opts opts;
	struct rx_ratelimit auth_rl;
	char url[256];
	char unix_path[108];
	struct conn *conns;
};

static void conn_event_cb(const struct rx_event *ev, uint64_t line, void *arg)
{
	struct conn *c = arg;

	(void)line;
	c->owner->stats.events++;
	c->owner->hooks.on_event(ev, c->owner->hooks.arg);
}

static void conn_error_cb(uint64_t line, const char *reason, void *arg)
{
	struct conn *c = arg;

	c->owner->stats.errors++;
	c->owner->hooks.on_error(c->id, line, reason, c->owner->hooks.arg);
}

static void conn_close(struct conn *c, bool finish)
{
	struct rx_listener *l = c->owner;

	if (finish)
		rx_feed_finish(c->feed);
	l->stats.lines += rx_feed_stats(c->feed)->lines;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	bufferevent_free(c->bev);
	rx_feed_free(c->feed);
	l->stats.open--;
	free(c);
}

static void conn_refuse(struct conn *c, const char *reason)
{
	struct rx_listener *l = c->owner;
	uint64_t suppressed;

	l->stats.auth_failed++;
	if (rx_ratelimit_allow(&l->auth_rl, rx_monotonic_ms(), &suppressed))
		rx_log(RX_LOG_WARN, "feed: %s connection %llu refused: %s%s", l->url,
		    (unsigned long long)c->id, reason,
		    suppressed ? " (earlier refusals not logged: see /metrics)" : "");
	conn_close(c, false);
}

/* The auth line, if complete: 1 admitted, 0 not yet complete, -1 refused (and closed). */
static int conn_authenticate(struct conn *c, struct evbuffer *in)
{
	struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	char line[AUTH_LINE_MAX + RX_FEED_PADDING];
	const char *token, *why = NULL;
	size_t len, toklen;

	if (eol.pos < 0 && evbuffer_get_length(in) <= AUTH_LINE_MAX)
		return 0;
	if (eol.pos < 0 || eol.pos > AUTH_LINE_MAX) {
		conn_refuse(c, "first line too long for an auth line");
		return -1;
	}
	len = (size_t)eol.pos;
	evbuffer_remove(in, line, len + 1);
	if (len > 0 && line[len - 1] == '\r')
		len--;
	memset(line + len, 0, RX_FEED_PADDING);
	if (rx_feed_decode_auth(c->owner->dec, line, len, &token, &toklen) != 0)
		why = "first line is not {\"auth\": \"TOKEN\"}";
	else if (!rx_secret_matches(c->owner->opts.token, token, toklen))
		why = "wrong token";
	explicit_bzero(line, sizeof line);
	if (why != NULL) {
		conn_refuse(c, why);
		return -1;
	}
	c->authed = true;
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	return 1;
}

/* Hands what has arrived to the feed; false if the connection was refused and is gone. */
static bool conn_consume(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec vec[8];
	int n;
	size_t total = 0;

	if (!c->authed) {
		int r = conn_authenticate(c, in);
		if (r <= 0)
			return r == 0;
	}
	n = evbuffer_peek(in, -1, NULL, vec, 8);
	for (int i = 0; i < n && i < 8; i++) {
		rx_feed_push(c->feed, vec[i].iov_base, vec[i].iov_len);
		total += vec[i].iov_len;
	}
	evbuffer_drain(in, total);
	return true;
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_consume(arg);
}

static void conn_status_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT) {   /* armed only while waiting for the auth line */
		conn_refuse(c, "no auth line in time");
		return;
	}
	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) && conn_consume(c))
		conn_close(c, c->authed);
}

static void accept_cb(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct rx_listener *l = arg;
	struct timeval auth_tv = { AUTH_TIMEOUT_S, 0 };
	struct conn *c;

	(void)evl;
	(void)sa;
	(void)salen;
	if (l->stats.open >= l->opts.max_conns || (c = calloc(1, sizeof *c)) == NULL) {
		l->stats.refused++;
		evutil_closesocket(fd);
		return;
	}
	c->owner = l;
	c->id = ++l->stats.accepted;
	c->authed = l->opts.token == NULL || !l->opts.token->set;
	c->bev = rx_tls_accept_bufferevent(l->opts.tls, l->base, fd);   /* owns fd, even on failure */
	c->feed = rx_feed_new_shared(l->dec, conn_event_cb, conn_error_cb, c);
	if (c->bev == NULL || c->feed == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		rx_feed_free(c->feed);
		free(c);
		l->stats.refused++;
		return;
	}
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_status_cb, c);
	if (!c->authed)
		bufferevent_set_timeouts(c->bev, &auth_tv, NULL);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 256 * 1024);
	bufferevent_enable(c->bev, EV_READ);
	c->next = l->conns;
	if (l->conns != NULL)
		l->conns->prev = c;
	l->conns = c;
	l->stats.open++;
}

/* Socket address of a listen URL; 0 or -1 with a reason. */
static int parse_url(struct rx_listener *l, const char *url, struct sockaddr_storage *ss,
    int *sslen, char *err, size_t errlen)
{
	memset(ss, 0, sizeof *ss);
	if (strncmp(url, "unix://", 7) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;
		const char *path = url + 7;
		if (*path == '\0' || strlen(path) >= sizeof sun->sun_path) {
			snprintf(err, errlen, "bad unix socket path in %s", url);
			return -1;
		}
		sun->sun_family = AF_UNIX;
		/* a local socket: the file's permissions guard it, not TLS or a token */
		l->opts.tls = NULL;
		l->opts.token = NULL;
		strcpy(sun->sun_path, path);
		snprintf(l->unix_path, sizeof l->unix_path, "%s", path);
		*sslen = (int)sizeof *sun;
		return 0;
	}
	if (strncmp(url, "tls://", 6) == 0) {
		if (l->opts.tls == NULL) {
			snprintf(err, errlen, "%s wants TLS: set tls-cert and tls-key", url);
			return -1;
		}
		url += 6;
	} else if (strncmp(url, "tcp://", 6) == 0) {
		url += 6;
		l->opts.tls = NULL;   /* a plain listener beside TLS ones */
	} else {
		l->opts.tls = NULL;
	}
	*sslen = (int)sizeof *ss;
	if (evutil_parse_sockaddr_port(url, (struct sockaddr *)ss, sslen) != 0) {
		snprintf(err, errlen, "bad listen address '%s' (want tcp://HOST:PORT, tls://HOST:PORT or unix:///PATH)", url);
		return -1;
	}
	return 0;
}

struct rx_listener *rx_listener_new(struct event_base *base, const char *url,
    const struct rx_listener_opts *opts, const struct rx_listener_hooks *hooks, char *err,
    size_t errlen)
{
	struct rx_listener *l = calloc(1, sizeof *l);
	struct rx_ratelimit rl = RX_RATELIMIT_INIT(10000, 10);
	struct sockaddr_storage ss;
	int sslen;
	char what[300];

	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->base = base;
	l->hooks = *hooks;
	l->opts = *opts;
	l->auth_rl = rl;
	if (l->opts.max_conns == 0)
		l->opts.max_conns = 1;
	snprintf(l->url, sizeof l->url, "%s", url);
	if (parse_url(l, url, &ss, &sslen, err, errlen) != 0)
		goto fail;
	if (l->unix_path[0] != '\0')
		unlink(l->unix_path);   /* a socket left by an earlier run */
	if ((l->dec = rx_feed_decoder_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	rx_feed_decoder_set_caller_key(l->dec, opts->caller_key);
	l->evl = evconnlistener_new_bind(base, accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
	    (struct sockaddr *)&ss, sslen);
	if (l->evl == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", url, strerror(errno));
		goto fail;
	}
	snprintf(what, sizeof what, "feed: %s", url);
	if ((l->guard = rx_accept_guard_new(base, l->evl, what)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return l;
fail:
	rx_listener_free(l);
	return NULL;
}

void rx_listener_stop(struct rx_listener *l)
{
	if (l->evl != NULL) {
		rx_accept_guard_free(l->guard);
		l->guard = NULL;
		evconnlistener_free(l->evl);
		l->evl = NULL;
		if (l->unix_path[0] != '\0')
			unlink(l->unix_path);
	}
}

void rx_listener_drain(struct rx_listener *l)
{
	while (l->conns != NULL) {
		struct conn *c = l->conns;
		if (conn_consume(c))
			conn_close(c, c->authed);
	}
}

void rx_listener_free(struct rx_listener *l)
{
	if (l == NULL)
		return;
	rx_listener_stop(l);
	while (l->conns != NULL)
		conn_close(l->conns, false);
	rx_feed_decoder_free(l->dec);
	free(l);
}

void rx_listener_stats(const struct rx_listener *l, struct rx_listener_stats *out)
{
	*out = l->stats;
	out->accept_pauses = rx_accept_guard_pauses(l->guard);
	for (const struct conn *c = l->conns; c != NULL; c = c->next)
		out->lines += rx_feed_stats(c->feed)->lines;
}

const char *rx_listener_url(const struct rx_listener *l)
{
	return l->url;
}
