/*
 * alert_sink.c: delivering alert transitions.
 *
 * Redis gets each transition once, in order; those that happen while Redis is down wait
 * in a short queue. The webhook gets the current set (all firing alerts, plus the ones
 * resolved since the last successful delivery, with endsAt), which is what Alertmanager's
 * API wants: it is idempotent, so a retry or a repeat never double-counts.
 */
#include "rexian/alert_sink.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "rexian/log.h"

#define RECENT_MAX 50
#define REDIS_QUEUE_MAX 200
#define WEBHOOK_REPEAT_MS 60000
#define WEBHOOK_BACKOFF_MAX_MS 60000
#define RESOLVED_MAX 64
#define SYSTEM_MAX 8

struct resolved {
	char rule[RX_ALERT_NAME];
	size_t index;              /* into rules */
	int64_t starts_wall, ends_wall;
};

struct rx_alert_sink {
	struct event_base *base;
	struct rx_redis_sink *redis;
	char prefix[128];
	const struct rx_alert_rule *rules;
	size_t nrules;
	/* rexiand's own conditions (the journal failing...): indexed after the rules */
	struct rx_alert_rule system[SYSTEM_MAX];
	char system_summary[SYSTEM_MAX][256];
	size_t nsystem;
	int64_t *starts_wall;      /* per rule, then per system alert: when it started firing (wall clock) */
	char *recent[RECENT_MAX];  /* transition JSON, newest first */
	size_t nrecent;
	char *redis_queue[REDIS_QUEUE_MAX];
	size_t nqueue;
	/* webhook */
	char host[256], path[256];
	int port;
	struct evhttp_connection *conn;
	bool in_flight, dirty;
	int64_t next_try_mono, last_ok_mono, backoff_ms;
	struct resolved resolved[RESOLVED_MAX];
	size_t nresolved, nresolved_sent;
	uint64_t failures;
};

void rx_alert_json(struct rx_jsonw *w, const struct rx_alert_rule *r, bool firing, int64_t at_ms)
{
	rx_jsonw_open(w, '{');
	rx_jsonw_kv_cstr(w, "rule", r->name);
	rx_jsonw_kv_cstr(w, "metric", r->metric);
	rx_jsonw_kv_cstr(w, "scope", r->scope);
	rx_jsonw_kv_cstr(w, "window", r->window);
	rx_jsonw_kv_cstr(w, "op", r->below ? "<" : ">");
	rx_jsonw_kv_real(w, "threshold", r->threshold);
	rx_jsonw_kv_real(w, "clear", r->clear);
	rx_jsonw_key(w, "value");
	rx_jsonw_real(w, r->value);   /* NaN (no value) is written as null */
	rx_jsonw_kv_cstr(w, "state", firing ? "firing" : "resolved");
	rx_jsonw_kv_int(w, "since_ms", r->since_ms);
	rx_jsonw_kv_int(w, "at_ms", at_ms);
	rx_jsonw_close(w, '}');
}

static int parse_webhook(struct rx_alert_sink *s, const char *url, char *err, size_t errlen)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);
	const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
	const char *host = u ? evhttp_uri_get_host(u) : NULL;
	const char *path = u ? evhttp_uri_get_path(u) : NULL;

	if (scheme == NULL || strcmp(scheme, "http") != 0 || host == NULL) {
		snprintf(err, errlen, "bad alert webhook URL '%s' (want http://HOST:PORT/PATH)", url);
		if (u != NULL)
			evhttp_uri_free(u);
		return -1;
	}
	snprintf(s->host, sizeof s->host, "%s", host);
	s->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
	snprintf(s->path, sizeof s->path, "%s", path && *path ? path : "/api/v2/alerts");
	evhttp_uri_free(u);
	return 0;
}

struct rx_alert_sink *rx_alert_sink_new(struct event_base *base, struct rx_redis_sink *redis,
    const char *prefix, const char *webhook_url, const struct rx_alert_rule *rules,
    size_t nrules, char *err, size_t errlen)
{
	struct rx_alert_sink *s = calloc(1, sizeof *s);

	if (s == NULL || (s->starts_wall = calloc(nrules + SYSTEM_MAX, sizeof *s->starts_wall)) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base = base;
	s->redis = redis;
	s->rules = rules;
	s->nrules = nrules;
	s->backoff_ms = 1000;
	snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
	if (webhook_url != NULL && parse_webhook(s, webhook_url, err, errlen) != 0) {
		rx_alert_sink_free(s);
		return NULL;
	}
	return s;
}

void rx_alert_sink_free(struct rx_alert_sink *s)
{
	if (s == NULL)
		return;
	if (s->conn != NULL)
		evhttp_connection_free(s->conn);
	for (size_t i = 0; i < s->nrecent; i++)
		free(s->recent[i]);
	for (size_t i = 0; i < s->nqueue; i++)
		free(s->redis_queue[i]);
	free(s->starts_wall);
	free(s);
}

uint64_t rx_alert_sink_webhook_failures(const struct rx_alert_sink *s)
{
	return s->failures;
}

/* ---- Redis ---- */

static bool redis_send(struct rx_alert_sink *s, const char *json)
{
	char channel[160], stream[160];
	const char *pub[3] = { "PUBLISH", channel, json };
	const char *xadd[7] = { "XADD", stream, "MAXLEN", "~", "1000", "*", "alert" };
	const char *xadd_full[8];
	size_t publen[3], xlen[8];

	snprintf(channel, sizeof channel, "%s:alerts", s->prefix);
	snprintf(stream, sizeof stream, "%s:alerts:log", s->prefix);
	for (int i = 0; i < 3; i++)
		publen[i] = strlen(pub[i]);
	for (int i = 0; i < 7; i++) {
		xadd_full[i] = xadd[i];
		xlen[i] = strlen(xadd[i]);
	}
	xadd_full[7] = json;
	xlen[7] = strlen(json);
	return rx_redis_sink_command(s->redis, 3, pub, publen) &&
	    rx_redis_sink_command(s->redis, 8, xadd_full, xlen);
}

static void redis_drain(struct rx_alert_sink *s)
{
	size_t sent = 0;

	while (s->redis != NULL && sent < s->nqueue && redis_send(s, s->redis_queue[sent])) {
		free(s->redis_queue[sent]);
		sent++;
	}
	memmove(s->redis_queue, s->redis_queue + sent, (s->nqueue - sent) * sizeof s->redis_queue[0]);
	s->nqueue -= sent;
}

/* ---- transitions ---- */

/* Rules and system alerts share one index space: the rules first. */
static size_t alert_count(const struct rx_alert_sink *s)
{
	return s->nrules + s->nsystem;
}

static const struct rx_alert_rule *rule_at(const struct rx_alert_sink *s, size_t i)
{
	return i < s->nrules ? &s->rules[i] : &s->system[i - s->nrules];
}

static size_t rule_index(const struct rx_alert_sink *s, const struct rx_alert_rule *r)
{
	for (size_t i = 0; i < s->nsystem; i++)
		if (r == &s->system[i])
			return s->nrules + i;
	return (size_t)(r - s->rules);
}

/* What the alert says to a human: the rule as written, or the system alert's summary. */
static void alert_text(const struct rx_alert_sink *s, size_t i, char *buf, size_t size)
{
	if (i >= s->nrules)
		snprintf(buf, size, "%s", s->system_summary[i - s->nrules]);
	else
		rx_alert_format(&s->rules[i], buf, size);
}

static void remember(struct rx_alert_sink *s, char *json)
{
	char *copy = strdup(json);

	if (s->nrecent == RECENT_MAX)
		free(s->recent[--s->nrecent]);
	memmove(s->recent + 1, s->recent, s->nrecent * sizeof s->recent[0]);
	s->recent[0] = json;
	s->nrecent++;
	if (copy == NULL)
		return;
	if (s->nqueue == REDIS_QUEUE_MAX) {
		free(s->redis_queue[0]);
		memmove(s->redis_queue, s->redis_queue + 1, --s->nqueue * sizeof s->redis_queue[0]);
	}
	s->redis_queue[s->nqueue++] = copy;
}

void rx_alert_sink_event(struct rx_alert_sink *s, const struct rx_alert_event *ev)
{
	size_t i = rule_index(s, ev->rule);
	char rule_text[512];
	struct rx_jsonw w;

	alert_text(s, i, rule_text, sizeof rule_text);
	rx_log(ev->firing ? RX_LOG_WARN : RX_LOG_INFO, "alert %s %s: value %g (%s)",
	    ev->rule->name, ev->firing ? "FIRING" : "cleared", ev->value, rule_text);
	if (ev->firing) {
		s->starts_wall[i] = rx_wall_ms();
	} else if (s->nresolved < RESOLVED_MAX) {
		struct resolved *r = &s->resolved[s->nresolved++];
		snprintf(r->rule, sizeof r->rule, "%s", ev->rule->name);
		r->index = i;
		r->starts_wall = s->starts_wall[i];
		r->ends_wall = rx_wall_ms();
	}
	s->dirty = true;
	rx_jsonw_init(&w);
	rx_alert_json(&w, ev->rule, ev->firing, ev->at_ms);
	if (w.failed) {
		rx_jsonw_release(&w);
		return;
	}
	remember(s, w.buf);   /* takes the buffer */
	redis_drain(s);
}

/* A system alert by name; a new one only when it is raised (nothing to clear otherwise). */
static struct rx_alert_rule *system_find(struct rx_alert_sink *s, const char *name, bool create)
{
	struct rx_alert_rule *r;

	for (size_t i = 0; i < s->nsystem; i++)
		if (strcmp(s->system[i].name, name) == 0)
			return &s->system[i];
	if (!create || s->nsystem == SYSTEM_MAX)
		return NULL;
	r = &s->system[s->nsystem++];
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", name);
	snprintf(r->metric, sizeof r->metric, "%s", name);
	snprintf(r->scope, sizeof r->scope, "rexiand");
	snprintf(r->window, sizeof r->window, "live");
	r->state = RX_ALERT_OK;
	return r;
}

void rx_alert_sink_system(struct rx_alert_sink *s, const char *name, bool firing,
    const char *summary)
{
	struct rx_alert_rule *r = system_find(s, name, firing);
	struct rx_alert_event ev;

	if (r == NULL || (r->state == RX_ALERT_FIRING) == firing)
		return;   /* only transitions are news */
	if (summary != NULL)
		snprintf(s->system_summary[r - s->system], sizeof s->system_summary[0], "%s", summary);
	r->state = firing ? RX_ALERT_FIRING : RX_ALERT_OK;
	r->value = firing ? 1 : 0;
	r->since_ms = rx_wall_ms();   /* a condition of the process: wall time, not event time */
	ev = (struct rx_alert_event){ r, firing, r->since_ms, r->value };
	rx_alert_sink_event(s, &ev);
}

void rx_alert_sink_json(const struct rx_alert_sink *s, struct rx_jsonw *w, bool with_recent)
{
	rx_jsonw_open(w, '{');
	rx_jsonw_key(w, "firing");
	rx_jsonw_open(w, '[');
	for (size_t i = 0; i < alert_count(s); i++)
		if (rule_at(s, i)->state == RX_ALERT_FIRING)
			rx_alert_json(w, rule_at(s, i), true, rule_at(s, i)->since_ms);
	rx_jsonw_close(w, ']');
	if (with_recent) {
		rx_jsonw_key(w, "recent");
		rx_jsonw_open(w, '[');
		for (size_t i = 0; i < s->nrecent; i++) {
			if (i > 0)
				rx_jsonw_raw(w, ",", 1);
			rx_jsonw_raw(w, s->recent[i], strlen(s->recent[i]));
		}
		rx_jsonw_close(w, ']');
	}
	rx_jsonw_close(w, '}');
}

/* ---- the webhook ---- */

static void rfc3339(char *buf, size_t size, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), size - strlen(buf), ".%03dZ", (int)(ms % 1000));
}

static void am_alert(struct rx_jsonw *w, const struct rx_alert_sink *s, size_t i,
    int64_t starts, int64_t ends)
{
	const struct rx_alert_rule *r = rule_at(s, i);
	char t[40], summary[512];

	rx_jsonw_open(w, '{');
	rx_jsonw_key(w, "labels");
	rx_jsonw_open(w, '{');
	rx_jsonw_kv_cstr(w, "alertname", r->name);
	rx_jsonw_kv_cstr(w, "scope", r->scope);
	rx_jsonw_kv_cstr(w, "window", r->window);
	/* rexiand's own failures put data at risk, a low figure does not */
	rx_jsonw_kv_cstr(w, "severity", i >= s->nrules ? "critical" : "warning");
	rx_jsonw_kv_cstr(w, "service", "rexian");
	rx_jsonw_close(w, '}');
	rx_jsonw_key(w, "annotations");
	rx_jsonw_open(w, '{');
	alert_text(s, i, summary, sizeof summary);
	rx_jsonw_kv_cstr(w, "summary", summary);
	snprintf(t, sizeof t, "%g", r->value);
	rx_jsonw_kv_cstr(w, "value", t);
	rx_jsonw_close(w, '}');
	rfc3339(t, sizeof t, starts);
	rx_jsonw_kv_cstr(w, "startsAt", t);
	if (ends > 0) {
		rfc3339(t, sizeof t, ends);
		rx_jsonw_kv_cstr(w, "endsAt", t);
	}
	rx_jsonw_close(w, '}');
}

static void webhook_done_cb(struct evhttp_request *req, void *arg)
{
	struct rx_alert_sink *s = arg;
	int code = req ? evhttp_request_get_response_code(req) : 0;
	uint64_t dummy;
	static struct rx_ratelimit rl = RX_RATELIMIT_INIT(60000, 3);

	s->in_flight = false;
	if (code >= 200 && code < 300) {
		/* the resolved alerts sent in this request are delivered */
		memmove(s->resolved, s->resolved + s->nresolved_sent,
		    (s->nresolved - s->nresolved_sent) * sizeof s->resolved[0]);
		s->nresolved -= s->nresolved_sent;
		s->last_ok_mono = rx_monotonic_ms();
		s->backoff_ms = 1000;
		return;
	}
	s->failures++;
	s->dirty = true;
	s->next_try_mono = rx_monotonic_ms() + s->backoff_ms;
	s->backoff_ms = s->backoff_ms * 2 > WEBHOOK_BACKOFF_MAX_MS ? WEBHOOK_BACKOFF_MAX_MS : s->backoff_ms * 2;
	if (rx_ratelimit_allow(&rl, rx_monotonic_ms(), &dummy))
		rx_log(RX_LOG_WARN, "alert webhook %s:%d%s failed (HTTP %d); retrying", s->host,
		    s->port, s->path, code);
}

static void webhook_send(struct rx_alert_sink *s)
{
	struct evhttp_request *req;
	struct rx_jsonw w;
	char hostport[300];

	if (s->conn == NULL &&
	    (s->conn = evhttp_connection_base_new(s->base, NULL, s->host, (unsigned short)s->port)) == NULL)
		return;
	evhttp_connection_set_timeout(s->conn, 10);
	rx_jsonw_init(&w);
	rx_jsonw_open(&w, '[');
	for (size_t i = 0; i < alert_count(s); i++)
		if (rule_at(s, i)->state == RX_ALERT_FIRING)
			am_alert(&w, s, i, s->starts_wall[i], 0);
	for (size_t i = 0; i < s->nresolved; i++)
		am_alert(&w, s, s->resolved[i].index, s->resolved[i].starts_wall,
		    s->resolved[i].ends_wall);
	rx_jsonw_close(&w, ']');
	if (w.failed || (req = evhttp_request_new(webhook_done_cb, s)) == NULL) {
		rx_jsonw_release(&w);
		return;
	}
	snprintf(hostport, sizeof hostport, "%s:%d", s->host, s->port);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", hostport);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evbuffer_add(evhttp_request_get_output_buffer(req), w.buf, w.len);
	rx_jsonw_release(&w);
	s->nresolved_sent = s->nresolved;
	s->dirty = false;
	if (evhttp_make_request(s->conn, req, EVHTTP_REQ_POST, s->path) != 0) {
		s->failures++;
		s->dirty = true;
		return;   /* libevent freed the request */
	}
	s->in_flight = true;
}

void rx_alert_sink_tick(struct rx_alert_sink *s)
{
	int64_t now = rx_monotonic_ms();
	bool any_firing = false;

	redis_drain(s);
	if (s->host[0] == '\0' || s->in_flight || now < s->next_try_mono)
		return;
	for (size_t i = 0; i < alert_count(s); i++)
		any_firing |= rule_at(s, i)->state == RX_ALERT_FIRING;
	if (s->dirty || (any_firing && now - s->last_ok_mono >= WEBHOOK_REPEAT_MS))
		webhook_send(s);
}
