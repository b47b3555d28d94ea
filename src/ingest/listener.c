/*
 * listener.c: accepting feed connections and reading them with libevent.
 *
 * Each connection is a bufferevent with a read high-water mark, so a client that floods
 * us is read at our pace; bytes are pushed to the connection's own rx_feed as they come.
 * Connections are kept in a list so that shutdown can drain them.
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

#include "rexian/feed.h"

struct conn {
	struct rx_listener *owner;
	struct bufferevent *bev;
	struct rx_feed *feed;
	uint64_t id;
	struct conn *prev, *next;
};

struct rx_listener {
	struct event_base *base;
	struct evconnlistener *evl;
	struct rx_feed_decoder *dec;
	struct rx_listener_hooks hooks;
	struct rx_listener_stats stats;
	uint32_t max_conns;
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

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec vec[8];
	int n = evbuffer_peek(in, -1, NULL, vec, 8);
	size_t total = 0;

	for (int i = 0; i < n && i < 8; i++) {
		rx_feed_push(c->feed, vec[i].iov_base, vec[i].iov_len);
		total += vec[i].iov_len;
	}
	evbuffer_drain(in, total);
}

static void conn_status_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		struct conn *c = arg;
		conn_read_cb(c->bev, c);
		conn_close(c, true);
	}
}

static void accept_cb(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct rx_listener *l = arg;
	struct conn *c;

	(void)evl;
	(void)sa;
	(void)salen;
	if (l->stats.open >= l->max_conns || (c = calloc(1, sizeof *c)) == NULL) {
		l->stats.refused++;
		evutil_closesocket(fd);
		return;
	}
	c->owner = l;
	c->id = ++l->stats.accepted;
	c->bev = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->feed = rx_feed_new_shared(l->dec, conn_event_cb, conn_error_cb, c);
	if (c->bev == NULL || c->feed == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		rx_feed_free(c->feed);
		free(c);
		l->stats.refused++;
		return;
	}
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_status_cb, c);
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
		strcpy(sun->sun_path, path);
		snprintf(l->unix_path, sizeof l->unix_path, "%s", path);
		*sslen = (int)sizeof *sun;
		return 0;
	}
	if (strncmp(url, "tcp://", 6) == 0)
		url += 6;
	*sslen = (int)sizeof *ss;
	if (evutil_parse_sockaddr_port(url, (struct sockaddr *)ss, sslen) != 0) {
		snprintf(err, errlen, "bad listen address '%s' (want tcp://HOST:PORT or unix:///PATH)", url);
		return -1;
	}
	return 0;
}

struct rx_listener *rx_listener_new(struct event_base *base, const char *url,
    uint32_t max_conns, const struct rx_listener_hooks *hooks, char *err, size_t errlen)
{
	struct rx_listener *l = calloc(1, sizeof *l);
	struct sockaddr_storage ss;
	int sslen;

	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->base = base;
	l->hooks = *hooks;
	l->max_conns = max_conns ? max_conns : 1;
	snprintf(l->url, sizeof l->url, "%s", url);
	if (parse_url(l, url, &ss, &sslen, err, errlen) != 0)
		goto fail;
	if (l->unix_path[0] != '\0')
		unlink(l->unix_path);   /* a socket left by an earlier run */
	if ((l->dec = rx_feed_decoder_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	l->evl = evconnlistener_new_bind(base, accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
	    (struct sockaddr *)&ss, sslen);
	if (l->evl == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", url, strerror(errno));
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
		evconnlistener_free(l->evl);
		l->evl = NULL;
		if (l->unix_path[0] != '\0')
			unlink(l->unix_path);
	}
}

void rx_listener_drain(struct rx_listener *l)
{
	while (l->conns != NULL) {
		conn_read_cb(l->conns->bev, l->conns);
		conn_close(l->conns, true);
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
	for (const struct conn *c = l->conns; c != NULL; c = c->next)
		out->lines += rx_feed_stats(c->feed)->lines;
}

const char *rx_listener_url(const struct rx_listener *l)
{
	return l->url;
}
