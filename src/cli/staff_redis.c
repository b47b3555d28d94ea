/*
 * staff_redis.c: the Redis source of `rexian staff --redis`. rexiand keeps each local
 * minute's raw counters per scope in `<prefix>:min:<YYYYMMDDHHMM>:<scope>` hashes for 48 h,
 * and samples the seats logged in into the global scope's minute hashes at every flush.
 * This reads one day of them with hiredis's synchronous API, all 1,440 minutes in one
 * pipelined batch, into the same day store the file source fills, so both sources print
 * the same figures for the same calls.
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rexian/scope.h"
#include "rexian/tz.h"
#include "staff_measured.h"

#define STAFF_REDIS_TIMEOUT_S 10
#define STAFF_REDIS_KEY 512

struct staff_redis_url {
	char host[256];
	char path[256];       /* unix socket; host unused then */
	int port, db;
	char user[128], password[256];
};

/* ---- URL: redis://[[user]:password@]host[:port][/db] or unix:///path[?db=N] ---- */

static int
staff_copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		return -1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

static int
staff_url_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int
staff_url_unix(const char *rest, struct staff_redis_url *u)
{
	const char *q = strstr(rest, "?db=");
	size_t n = q != NULL ? (size_t)(q - rest) : strlen(rest);

	if (n == 0 || staff_copy(u->path, sizeof u->path, rest, n) != 0)
		return -1;
	return q == NULL ? 0 : staff_url_int(q + 4, 0, 100000, &u->db);
}

static int
staff_url_auth(const char *p, size_t len, struct staff_redis_url *u)
{
	const char *colon = memchr(p, ':', len);

	if (colon == NULL)
		return staff_copy(u->password, sizeof u->password, p, len);
	if (staff_copy(u->user, sizeof u->user, p, (size_t)(colon - p)) != 0)
		return -1;
	return staff_copy(u->password, sizeof u->password, colon + 1,
	    len - (size_t)(colon - p) - 1);
}

/* host or [v6 host], then an optional :port */
static int
staff_url_host(const char *p, size_t len, struct staff_redis_url *u)
{
	const char *end = p + len, *after, *close;
	char num[8];

	if (len > 0 && p[0] == '[') {
		if ((close = memchr(p, ']', len)) == NULL ||
		    staff_copy(u->host, sizeof u->host, p + 1, (size_t)(close - p - 1)) != 0)
			return -1;
		after = close + 1;
	} else {
		if ((after = memchr(p, ':', len)) == NULL)
			after = end;
		if (staff_copy(u->host, sizeof u->host, p, (size_t)(after - p)) != 0)
			return -1;
	}
	if (u->host[0] == '\0' || (after < end && *after != ':'))
		return -1;
	if (after == end)
		return 0;
	if (staff_copy(num, sizeof num, after + 1, (size_t)(end - after - 1)) != 0)
		return -1;
	return staff_url_int(num, 1, 65535, &u->port);
}

static int
staff_url_parse(const char *url, struct staff_redis_url *u)
{
	const char *p, *at, *slash;
	size_t hostlen;

	*u = (struct staff_redis_url){ .port = 6379 };
	if (strncmp(url, "unix://", 7) == 0)
		return staff_url_unix(url + 7, u);
	if (strncmp(url, "redis://", 8) != 0)
		return -1;
	p = url + 8;
	slash = strchr(p, '/');
	hostlen = slash != NULL ? (size_t)(slash - p) : strlen(p);
	at = memchr(p, '@', hostlen);
	if (at != NULL) {
		if (staff_url_auth(p, (size_t)(at - p), u) != 0)
			return -1;
		hostlen -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (staff_url_host(p, hostlen, u) != 0)
		return -1;
	return slash == NULL || slash[1] == '\0' ? 0 : staff_url_int(slash + 1, 0, 100000, &u->db);
}

/* ---- connection ---- */

static int
staff_redis_ok(redisContext *c, redisReply *r, const char *what)
{
	int ok = r != NULL && r->type != REDIS_REPLY_ERROR;

	if (!ok)
		fprintf(stderr, "rexian staff: Redis %s: %s\n", what,
		    r != NULL ? r->str : c->errstr);
	freeReplyObject(r);
	return ok;
}

static int
staff_redis_login(redisContext *c, const struct staff_redis_url *u)
{
	struct timeval tv = { STAFF_REDIS_TIMEOUT_S, 0 };

	if (redisSetTimeout(c, tv) != REDIS_OK)
		return -1;
	if (u->password[0] != '\0' && !staff_redis_ok(c, u->user[0] != '\0' ?
	    redisCommand(c, "AUTH %s %s", u->user, u->password) :
	    redisCommand(c, "AUTH %s", u->password), "AUTH"))
		return -1;
	if (u->db != 0 && !staff_redis_ok(c, redisCommand(c, "SELECT %d", u->db), "SELECT"))
		return -1;
	return 0;
}

static redisContext *
staff_redis_connect(const struct staff_redis_url *url)
{
	struct timeval tv = { STAFF_REDIS_TIMEOUT_S, 0 };
	const struct staff_redis_url u = *url;
	redisContext *c;

	c = u.path[0] != '\0' ? redisConnectUnixWithTimeout(u.path, tv) :
	    redisConnectWithTimeout(u.host, u.port, tv);
	if (c == NULL || c->err) {
		fprintf(stderr, "rexian staff: cannot connect to Redis at %s: %s\n",
		    u.path[0] != '\0' ? u.path : u.host, c != NULL ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	if (staff_redis_login(c, &u) != 0) {
		redisFree(c);
		return NULL;
	}
	return c;
}

/* ---- which day ---- */

static uint64_t
staff_reply_u64(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_STRING ? strtoull(r->str, NULL, 10) : 0;
}

/* Calls offered on a day per its `day:` hash; 0 if absent. */
static uint64_t
staff_redis_day_offered(redisContext *c, const struct rx_staff_request *req, int32_t day)
{
	redisReply *r = redisCommand(c, "HMGET %s:day:%d:%s answered abandoned", req->prefix,
	    (int)day, req->scope);
	uint64_t n = 0;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
		n = staff_reply_u64(r->element[0]) + staff_reply_u64(r->element[1]);
	freeReplyObject(r);
	return n;
}

/*
 * Minute hashes live 48 h, so only the day of rexiand's clock and the one before can still
 * be read whole; of those, the one with more calls. The clock is rexiand's (event time
 * with --clock event), not ours, so a replayed old feed works too.
 */
static int
staff_redis_pick_day(redisContext *c, const struct rx_staff_request *req, int32_t *day)
{
	redisReply *r = redisCommand(c, "HGET %s:live clock_ms", req->prefix);
	struct rx_tz tz;
	int32_t today, yesterday;
	int64_t clock, start;
	uint64_t n_today, n_yesterday;

	if (r == NULL || r->type != REDIS_REPLY_STRING) {
		fprintf(stderr, "rexian staff: %s:live has no clock_ms; give --date\n", req->prefix);
		freeReplyObject(r);
		return 1;
	}
	clock = strtoll(r->str, NULL, 10);
	freeReplyObject(r);
	rx_tz_reset(&tz);
	start = rx_tz_day_start(&tz, clock, &today);
	rx_tz_day_start(&tz, start - 1, &yesterday);
	n_today = staff_redis_day_offered(c, req, today);
	n_yesterday = staff_redis_day_offered(c, req, yesterday);
	if (n_today == 0 && n_yesterday == 0) {
		fprintf(stderr, "rexian staff: no calls for %s in Redis on %d or %d; give --date\n",
		    req->scope, (int)yesterday, (int)today);
		return 1;
	}
	*day = n_yesterday > n_today ? yesterday : today;
	return 0;
}

/* ---- the minutes ---- */

/* The seat samples live in the global scope's hashes; a seat or platform has none. */
static int
staff_redis_seat_scope(const char *scope, int *separate)
{
	enum rx_scope_type type;
	const char *name;

	if (rx_scope_parse(scope, &type, &name) != 0)
		return 0;
	*separate = type != RX_SCOPE_GLOBAL;
	return type != RX_SCOPE_SEAT && type != RX_SCOPE_PLATFORM;
}

static void
staff_redis_seats(struct rx_staffing_minute *m, const redisReply *max, const redisReply *avg)
{
	if (max != NULL && max->type == REDIS_REPLY_STRING)
		m->seats_max = strtod(max->str, NULL);
	if (avg != NULL && avg->type == REDIS_REPLY_STRING)
		m->seats_avg = strtod(avg->str, NULL);
}

/* A minute's HGETALL reply into counters (and seat samples if it carries them). */
static void
staff_redis_minute(struct rx_staffing_minute *m, const redisReply *r, int seats)
{
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const char *k = r->element[i]->str, *v = r->element[i + 1]->str;

		if (seats && strcmp(k, "seats_logged_in_max") == 0)
			m->seats_max = strtod(v, NULL);
		else if (seats && strcmp(k, "seats_logged_in_avg") == 0)
			m->seats_avg = strtod(v, NULL);
		else
			rx_counters_set_raw(&m->c, k, v);
	}
}

static void
staff_redis_append(redisContext *c, const struct rx_staff_request *req, int32_t day,
    int minute, int separate_seats)
{
	char key[STAFF_REDIS_KEY];
	long long code = (long long)day * 10000 + minute / 60 * 100 + minute % 60;

	snprintf(key, sizeof key, "%s:min:%lld:%s", req->prefix, code, req->scope);
	redisAppendCommand(c, "HGETALL %s", key);
	if (separate_seats) {
		snprintf(key, sizeof key, "%s:min:%lld:global", req->prefix, code);
		redisAppendCommand(c, "HMGET %s seats_logged_in_max seats_logged_in_avg", key);
	}
}

/* Reads the replies in the order the commands went; 0, or 1 after a message. */
static int
staff_redis_collect(redisContext *c, struct rx_staffing_minute *m, int seats, int separate)
{
	redisReply *r = NULL;

	for (int i = 0; i < RX_STAFFING_DAY_MINUTES; i++) {
		for (int part = 0; part <= separate; part++) {
			if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL ||
			    r->type != REDIS_REPLY_ARRAY) {
				fprintf(stderr, "rexian staff: Redis, reading minute hashes: %s\n",
				    r == NULL ? c->errstr : r->type == REDIS_REPLY_ERROR ? r->str :
				    "unexpected reply");
				freeReplyObject(r);
				return 1;
			}
			if (part == 0)
				staff_redis_minute(&m[i], r, seats && !separate);
			else if (seats && r->elements == 2)
				staff_redis_seats(&m[i], r->element[0], r->element[1]);
			freeReplyObject(r);
		}
	}
	return 0;
}

/* Nothing at all read: no counters and no seat sample in any minute. */
static int
staff_redis_empty(const struct rx_staffing_minute *m)
{
	for (int i = 0; i < RX_STAFFING_DAY_MINUTES; i++)
		if (m[i].c.answered || m[i].c.abandoned || m[i].c.completed || m[i].c.stale ||
		    !isnan(m[i].seats_avg) || !isnan(m[i].seats_max))
			return 0;
	return 1;
}

int
rx_staff_redis_read(const struct rx_staff_request *req, struct rx_staffing_days *days,
    int32_t *day)
{
	struct staff_redis_url url;
	struct rx_staffing_minute *m;
	redisContext *c;
	int rc = 1, separate = 0, seats;

	if (staff_url_parse(req->redis, &url) != 0) {
		fprintf(stderr, "rexian staff: bad Redis URL '%s' (want "
		    "redis://[[user]:password@]host:port[/db] or unix:///path[?db=N])\n",
		    req->redis);
		return 2;
	}
	if ((c = staff_redis_connect(&url)) == NULL)
		return 1;
	if (*day == 0 && staff_redis_pick_day(c, req, day) != 0)
		goto done;
	if ((m = rx_staffing_days_get(days, *day, true)) == NULL)
		goto done;
	seats = staff_redis_seat_scope(req->scope, &separate);
	separate = seats && separate;
	for (int i = 0; i < RX_STAFFING_DAY_MINUTES; i++)
		staff_redis_append(c, req, *day, i, separate);
	if ((rc = staff_redis_collect(c, m, seats, separate)) == 0 && staff_redis_empty(m))
		fprintf(stderr, "rexian staff: Redis has no minute hashes for %s on %d (they live "
		    "48 h)\n", req->scope, (int)*day);
done:
	redisFree(c);
	return rc;
}
