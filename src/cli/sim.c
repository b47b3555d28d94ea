/*
 * sim.c: `rexian sim`, the traffic generator. It writes the NDJSON feed a 12345 hotline's
 * switch would emit, by running a small discrete-event simulation rather than printing
 * random lines: Poisson arrivals shaped by the hour of day, one FIFO per queue served by
 * the longest-idle ready seat, seats logged in by a staffing plan (Erlang C per half hour,
 * the way schedulers size a shift) with breaks and shift handovers, callers who give up
 * after an exponential patience, lognormal talk times with a long tail, and outbound
 * callbacks for dispatched tickets. Events leave in time order straight off the event
 * heap, so memory follows the calls in flight, not the length of the run. The defaults
 * land in the ranges the hotlines publish (docs/bench.md); `--dirt` adds the faults of a
 * real feed (repeats, reordering, clock skew, broken lines) to test the collector on.
 *
 * Times are integer milliseconds since the epoch throughout; the feed's `ts` is printed
 * from them as seconds with exactly three decimals.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rexian/cli.h"
#include "rexian/erlang.h"

#define SIM_SEC 1000LL
#define SIM_HOUR (3600 * SIM_SEC)
#define SIM_DAY (24 * SIM_HOUR)
#define SIM_TZ_MS (8 * SIM_HOUR)          /* Asia/Shanghai: UTC+8, no daylight saving */
#define SIM_SLOT_MS (30 * 60 * SIM_SEC)   /* staffing plan granularity */
#define SIM_SHIFT_MS (8 * SIM_HOUR)       /* longest session before a handover */
#define SIM_TICK_MS (60 * SIM_SEC)        /* callback dispatcher period */
#define SIM_TALK_SIGMA 0.73               /* lognormal shape: ~2.4% of 185 s talks exceed 600 s */
#define SIM_OUT_TALK_S 102.0              /* callbacks: Haian 2021 */
#define SIM_OUT_SIGMA 0.6
#define SIM_OUT_ANSWER_P 0.74
#define SIM_BREAK_EVERY_S (100 * 60.0)
#define SIM_BREAK_MEAN_S (6 * 60.0)
#define SIM_WEEKEND 0.7                   /* weekend traffic relative to a weekday */
#define SIM_PLAN_WAIT_S 20.0              /* the plan: 83% within 20 s, before breaks */
#define SIM_PLAN_GOAL 0.83
#define SIM_CALLER_BASE 13800000000ULL
#define SIM_LINE_MAX 512
#define SIM_OUT_BUF (1 << 20)
#define SIM_MAX_PLATFORMS 16
#define SIM_NAME_MAX 64
#define SIM_NIL (-1)
#define SIM_TWO_PI 6.283185307179586

/* Share of the peak arrival rate at the middle of each local hour, linear in between: a
 * 12345 weekday, quiet at night, peaks at 10:00 and 15:00, a lunch dip. Sums to 9.81. */
static const double sim_profile[24] = {
	0.06, 0.04, 0.03, 0.03, 0.03, 0.05, 0.09, 0.22, 0.62, 0.94, 1.00, 0.86,
	0.55, 0.63, 0.90, 0.93, 0.84, 0.62, 0.40, 0.31, 0.25, 0.19, 0.13, 0.09,
};

struct sim_share {
	const char *name;
	double share;
};

static const struct sim_share sim_queues[] = {
	{ "12345", 0.90 }, { "一企来", 0.06 }, { "尚贤", 0.04 },
};
#define SIM_NQUEUES (sizeof sim_queues / sizeof sim_queues[0])

/* Dispositions of answered inbound calls: 在线解答, 派单, 转办, 转110, 无效来电. */
static const struct sim_share sim_outcomes[] = {
	{ "online", 0.600 }, { "ticket", 0.340 }, { "transfer", 0.030 },
	{ "transfer110", 0.005 }, { "invalid", 0.025 },
};
#define SIM_NOUTCOMES (sizeof sim_outcomes / sizeof sim_outcomes[0])
#define SIM_OUTCOME_TICKET 1

struct sim_opts {
	int64_t start_ms;
	double hours;            /* stop arrivals after this long (0: unset) */
	uint64_t calls;          /* stop after this many inbound calls (0: unset) */
	uint64_t seed;
	int seats;               /* seats that can be logged in at once (0: the plan's peak) */
	double rate;             /* inbound calls per hour at the weekday peak (10:00) */
	double patience_s;       /* mean caller patience in the queue */
	double aht_s;            /* mean talk time of inbound calls */
	double wrap_s;           /* mean after-call work, silent in the feed */
	double callbacks;        /* callbacks queued per dispatched ticket */
	double speed;            /* 0: as fast as possible; <0: unset */
	double dirt;             /* fraction of lines given a fault */
	const char *connect;     /* NULL: stdout */
	const char *token_file;  /* --token-file: the listener's feed token */
	const char *platforms;
};

/* xoshiro256** (Blackman, Vigna): fast, and the same stream everywhere for a seed. */
struct sim_rng {
	uint64_t s[4];
};

/*
 * One pending thing, ordered by time then by scheduling order, so a seed always gives the
 * same feed. Events of the simulation name a call or seat with its generation (`serial`):
 * a record reused since the event was scheduled makes it stale, which is cheaper than
 * removing events from the heap. Delayed output lines (--dirt) carry their text.
 */
struct sim_ev {
	int64_t t;
	uint64_t seq;
	union {
		struct {
			int32_t obj;
			uint32_t serial;
		};
		char *text;
	};
	uint32_t kind;
};

struct sim_heap {
	struct sim_ev *v;
	size_t n, cap;
	uint64_t seq;
};

enum sim_kind {
	SIM_EV_ARRIVAL, SIM_EV_ABANDON, SIM_EV_ANSWER, SIM_EV_HANGUP, SIM_EV_NOANSWER,
	SIM_EV_SEAT_FREE, SIM_EV_LOGIN, SIM_EV_READY, SIM_EV_BREAK_END, SIM_EV_PLAN,
	SIM_EV_CALLBACKS,
};

enum sim_call_state { SIM_CALL_FREE, SIM_CALL_WAITING, SIM_CALL_RINGING, SIM_CALL_TALKING };

struct sim_call {
	int64_t offer_ms;
	uint64_t no;             /* call number: its id, and its fake caller */
	uint32_t serial;
	int32_t prev, next;      /* its queue's waiting list, or the free list */
	int32_t seat;
	uint8_t state, queue, platform, out;
};

/* OFF → PENDING (login scheduled) → LOGIN → IDLE ⇄ RING → TALK → WRAP → IDLE, and BREAK. */
enum sim_seat_state {
	SIM_SEAT_OFF, SIM_SEAT_PENDING, SIM_SEAT_LOGIN, SIM_SEAT_IDLE, SIM_SEAT_RING,
	SIM_SEAT_TALK, SIM_SEAT_WRAP, SIM_SEAT_BREAK,
};

struct sim_seat {
	int64_t login_ms;
	int64_t break_at;        /* next break, taken when idle and nobody waits */
	uint32_t serial;
	int32_t prev, next;      /* idle list, longest idle first */
	uint8_t state;
	uint8_t leave;           /* log out when the current call is done */
};

struct sim_out {
	int fd;
	const char *url;         /* --connect target, NULL for stdout */
	char auth[600];          /* the auth line sent first on each connection, "" if none */
	char *buf;
	size_t len;
	double speed;
	int64_t sim0_ms, wall0_ns, paced_ms;
	int failed;
};

struct sim_dirt {
	double f;
	struct sim_rng rng;      /* its own stream: dirt never changes the calls */
	struct sim_heap delayed;
};

struct sim_platform {
	char name[SIM_NAME_MAX * 6 + 1];  /* JSON-escaped */
	double cum;              /* cumulative share */
};

struct sim {
	struct sim_opts o;
	struct sim_rng rng;
	struct sim_heap ev;
	struct sim_out out;
	struct sim_dirt dirt;
	int64_t now, stop_ms;
	double arrival_t;        /* arrival clock, fractional ms */
	struct sim_call *calls;
	int32_t ncalls, free_call;
	uint32_t in_flight;
	struct sim_seat *seats;
	int nseats, seat_cursor, staffed, target;
	int32_t idle_head, idle_tail, nidle;
	int32_t wait_head[SIM_NQUEUES], wait_tail[SIM_NQUEUES];
	struct sim_platform platforms[SIM_MAX_PLATFORMS];
	int nplatforms;
	uint64_t next_no, inbound, backlog;
	int arrivals_done, draining;
	char id_prefix[32];
};

struct sim_line {
	size_t n;
	char b[SIM_LINE_MAX];
};

/* ---- small tools ---- */

static void
sim_oom(void)
{
	fprintf(stderr, "rexian sim: out of memory\n");
	exit(1);
}

static void *
sim_xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		sim_oom();
	return p;
}

static uint64_t
sim_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = sim_splitmix(&seed);
}

static inline uint64_t
sim_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = sim_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = sim_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, 1). */
static inline double
sim_uniform(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

static inline double
sim_between(struct sim_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * sim_uniform(r);
}

static inline double
sim_exponential(struct sim_rng *r, double mean)
{
	return -mean * log1p(-sim_uniform(r));
}

/* A lognormal with the given mean (not median): mu = ln(mean) - sigma^2 / 2. */
static double
sim_lognormal(struct sim_rng *r, double mean, double sigma)
{
	double u1 = 1.0 - sim_uniform(r), u2 = sim_uniform(r);
	double z = sqrt(-2.0 * log(u1)) * cos(SIM_TWO_PI * u2);

	return exp(log(mean) - sigma * sigma / 2 + sigma * z);
}

static int
sim_pick(struct sim_rng *r, const struct sim_share *t, size_t n)
{
	double u = sim_uniform(r);

	for (size_t i = 0; i + 1 < n; i++) {
		if (u < t[i].share)
			return (int)i;
		u -= t[i].share;
	}
	return (int)n - 1;
}

static int64_t
sim_s_to_ms(double s)
{
	return (int64_t)llround(s * 1000.0);
}

static int64_t
sim_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the heap ---- */

static inline int
sim_ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void
sim_heap_push(struct sim_heap *h, struct sim_ev e)
{
	size_t i = h->n++;

	if (h->n > h->cap) {
		h->cap = h->cap ? 2 * h->cap : 256;
		h->v = sim_xrealloc(h->v, h->cap * sizeof *h->v);
	}
	e.seq = h->seq++;
	while (i > 0 && sim_ev_before(&e, &h->v[(i - 1) / 2])) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = e;
}

static struct sim_ev
sim_heap_pop(struct sim_heap *h)
{
	struct sim_ev top = h->v[0], last = h->v[--h->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && sim_ev_before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!sim_ev_before(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	h->v[i] = last;
	return top;
}

/* ---- calendar ---- */

static int64_t
sim_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int64_t
sim_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Local (Asia/Shanghai) milliseconds since midnight, and whether that day is a weekend. */
static int64_t
sim_local_ms(int64_t t, int *weekend)
{
	int64_t local = t + SIM_TZ_MS;
	int64_t day = sim_floor_div(local, SIM_DAY);
	int dow = (int)((day % 7 + 7 + 4) % 7);   /* 1970-01-01 was a Thursday; 0 = Sunday */

	if (weekend != NULL)
		*weekend = dow == 0 || dow == 6;
	return local - day * SIM_DAY;
}

static int
sim_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

/* Epoch seconds with up to 3 decimals, parsed as integers. */
static int
sim_parse_epoch(const char *s, int64_t *ms)
{
	char *end;
	int64_t frac = 0, scale = 100;

	errno = 0;
	long long sec = strtoll(s, &end, 10);
	if (end == s || errno != 0 || sec < 0 || sec > 100000000000LL)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			frac += scale * (*end - '0');
	if (*end != '\0')
		return -1;
	*ms = sec * SIM_SEC + frac;
	return 0;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH:MM]; no offset means Asia/Shanghai. */
static int
sim_parse_rfc3339(const char *s, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 8, om = 0, sign = 1;
	int64_t frac = 0, scale = 100;

	if (sim_digits(&s, 4, &y) || *s++ != '-' || sim_digits(&s, 2, &mo) || *s++ != '-' ||
	    sim_digits(&s, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (*s == 'T' || *s == ' ') {
		s++;
		if (sim_digits(&s, 2, &h) || *s++ != ':' || sim_digits(&s, 2, &mi))
			return -1;
		if (*s == ':' && (s++, sim_digits(&s, 2, &sec)))
			return -1;
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
				frac += scale * (*s - '0');
	}
	if (*s == 'Z') {
		oh = 0;
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (sim_digits(&s, 2, &oh) || *s++ != ':' || sim_digits(&s, 2, &om))
			return -1;
	}
	if (*s != '\0' || h > 23 || mi > 59 || sec > 60)
		return -1;
	*ms = (sim_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60)) * SIM_SEC + frac;
	return *ms >= 0 ? 0 : -1;
}

static int64_t
sim_today_ms(void)
{
	int64_t now = (int64_t)time(NULL) * SIM_SEC;

	return now - sim_local_ms(now, NULL);
}

/* ---- output: buffer, pacing, socket ---- */

static int
sim_connect_once(const char *url)
{
	int fd = -1;

	if (strncmp(url, "unix://", 7) == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(url + 7) >= sizeof sa.sun_path)
			return -1;
		strcpy(sa.sun_path, url + 7);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return fd;
	} else {
		char host[256];
		const char *hp = url + 6, *colon = strrchr(hp, ':');
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;

		if (colon == NULL || (size_t)(colon - hp) >= sizeof host)
			return -1;
		memcpy(host, hp, (size_t)(colon - hp));
		host[colon - hp] = '\0';
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
			return -1;
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			freeaddrinfo(ai);
			return fd;
		}
		freeaddrinfo(ai);
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
sim_url_ok(const char *url)
{
	if (strncmp(url, "unix://", 7) == 0)
		return url[7] == '/';
	return strncmp(url, "tcp://", 6) == 0 && strrchr(url + 6, ':') != NULL;
}

/* Connects, retrying with a backoff up to 5 s; one message per outage. */
static void
sim_out_connect(struct sim_out *o)
{
	useconds_t backoff = 100000;
	int said = 0;

	while ((o->fd = sim_connect_once(o->url)) < 0) {
		if (!said)
			fprintf(stderr, "rexian sim: cannot reach %s (%s), retrying\n", o->url,
			    strerror(errno));
		said = 1;
		usleep(backoff);
		backoff = backoff < 5000000 ? backoff * 2 : 5000000;
	}
	if (said)
		fprintf(stderr, "rexian sim: connected to %s\n", o->url);
	if (o->auth[0] != '\0' && send(o->fd, o->auth, strlen(o->auth), MSG_NOSIGNAL) < 0)
		fprintf(stderr, "rexian sim: cannot send the auth line: %s\n", strerror(errno));
}

/* {"auth":"TOKEN"} from the first line of file; the token's JSON specials escaped. */
static int
sim_auth_line(const char *file, char *out, size_t size)
{
	char tok[256];
	FILE *f = fopen(file, "r");
	size_t n = 0;

	if (f == NULL || fgets(tok, sizeof tok, f) == NULL) {
		fprintf(stderr, "rexian sim: --token-file %s: %s\n", file,
		    f == NULL ? strerror(errno) : "empty");
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	tok[strcspn(tok, "\r\n")] = '\0';
	n = (size_t)snprintf(out, size, "{\"auth\":\"");
	for (const unsigned char *p = (const unsigned char *)tok; *p != '\0' && n + 8 < size; p++)
		n += (size_t)(*p < 0x20 || *p == '"' || *p == '\\' ?
		    snprintf(out + n, size - n, "\\u%04x", *p) : snprintf(out + n, size - n, "%c", *p));
	snprintf(out + n, size - n, "\"}\n");
	return 0;
}

/*
 * Sends the buffer. When the listener goes away mid-way, reconnects and resends from the
 * start of the first line not fully written: the peer drops a partial line, and a line
 * it did get twice is a repeat, which the collector ignores.
 */
static void
sim_out_send(struct sim_out *o)
{
	size_t off = 0;

	while (off < o->len) {
		ssize_t n = send(o->fd, o->buf + off, o->len - off, MSG_NOSIGNAL);

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		fprintf(stderr, "rexian sim: lost %s (%s)\n", o->url, strerror(errno));
		close(o->fd);
		while (off > 0 && o->buf[off - 1] != '\n')
			off--;
		sim_out_connect(o);
	}
}

static void
sim_out_flush(struct sim_out *o)
{
	size_t off = 0;

	if (o->url != NULL)
		sim_out_send(o);
	while (o->url == NULL && off < o->len && !o->failed) {
		ssize_t n = write(o->fd, o->buf + off, o->len - off);

		if (n >= 0)
			off += (size_t)n;
		else if (errno != EINTR) {
			fprintf(stderr, "rexian sim: write: %s\n", strerror(errno));
			o->failed = 1;
		}
	}
	o->len = 0;
}

/* Waits until sim time t is due at --speed, flushing first so the reader sees it all. */
static void
sim_out_pace(struct sim_out *o, int64_t t)
{
	if (o->speed <= 0 || t <= o->paced_ms)
		return;
	o->paced_ms = t;
	int64_t due = o->wall0_ns + (int64_t)((double)(t - o->sim0_ms) * 1e6 / o->speed);
	if (due <= sim_mono_ns())
		return;
	sim_out_flush(o);
	struct timespec ts = { .tv_sec = due / 1000000000, .tv_nsec = due % 1000000000 };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void
sim_out_write(struct sim_out *o, const char *text, size_t n, int64_t t)
{
	sim_out_pace(o, t);
	if (o->len + n > SIM_OUT_BUF)
		sim_out_flush(o);
	memcpy(o->buf + o->len, text, n);
	o->len += n;
}

/* ---- lines ---- */

static inline void
sim_put(struct sim_line *l, const char *s)
{
	size_t k = strlen(s);

	memcpy(l->b + l->n, s, k);
	l->n += k;
}

static inline void
sim_put_u64(struct sim_line *l, uint64_t v)
{
	char tmp[20];
	int k = 0;

	do
		tmp[k++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (k > 0)
		l->b[l->n++] = tmp[--k];
}

/* Seconds with exactly three decimals, from integer milliseconds. */
static inline void
sim_put_ts(struct sim_line *l, int64_t ms)
{
	int f = (int)(ms % 1000);

	sim_put_u64(l, (uint64_t)(ms / 1000));
	l->b[l->n++] = '.';
	l->b[l->n++] = (char)('0' + f / 100);
	l->b[l->n++] = (char)('0' + f / 10 % 10);
	l->b[l->n++] = (char)('0' + f % 10);
}

static void
sim_line_start(struct sim_line *l, int64_t t, const char *event)
{
	l->n = 0;
	sim_put(l, "{\"ts\":");
	sim_put_ts(l, t);
	sim_put(l, ",\"event\":\"");
	sim_put(l, event);
	sim_put(l, "\"");
}

static void
sim_line_call(struct sim_line *l, const struct sim *s, const struct sim_call *c)
{
	sim_put(l, ",\"call\":\"");
	sim_put(l, s->id_prefix);
	sim_put_u64(l, c->no);
	sim_put(l, "\"");
}

static void
sim_line_seat(struct sim_line *l, int seat)
{
	sim_put(l, ",\"seat\":\"");
	sim_put_u64(l, (uint64_t)seat + 1001);
	sim_put(l, "\"");
}

/* ---- dirt: what real feeds do to lines ---- */

static void
sim_dirt_delay(struct sim_dirt *d, const struct sim_line *l, int64_t at)
{
	struct sim_ev e = { .t = at };

	e.text = sim_xrealloc(NULL, l->n + 1);
	memcpy(e.text, l->b, l->n);
	e.text[l->n] = '\0';
	sim_heap_push(&d->delayed, e);
}

static void
sim_dirt_release(struct sim *s, int64_t upto)
{
	struct sim_heap *h = &s->dirt.delayed;

	while (h->n > 0 && h->v[0].t <= upto) {
		struct sim_ev e = sim_heap_pop(h);

		sim_out_write(&s->out, e.text, strlen(e.text), e.t);
		free(e.text);
	}
}

/* The same line with its ts moved by 1-2 s either way: a switch whose clock is off. */
static void
sim_dirt_skew(struct sim_dirt *d, struct sim_line *l, int64_t t)
{
	struct sim_line o;
	const char *rest = memchr(l->b, ',', l->n);
	int64_t skew = (int64_t)sim_between(&d->rng, 1000, 2000);

	o.n = 0;
	sim_put(&o, "{\"ts\":");
	sim_put_ts(&o, sim_uniform(&d->rng) < 0.5 ? t - skew : t + skew);
	memcpy(o.b + o.n, rest, (size_t)(l->b + l->n - rest));
	o.n += (size_t)(l->b + l->n - rest);
	*l = o;
}

/* An extra line the parser must reject: cut short, not JSON, no event, unknown event, bad ts. */
static void
sim_dirt_broken(struct sim *s, const struct sim_line *l, int64_t t)
{
	static const char *junk[] = {
		"garbage from the switch\n",
		"{\"ts\":1,\"call\":\"x\"}\n",
		"{\"ts\":1,\"event\":\"transfer\",\"call\":\"x\"}\n",
		"{\"ts\":\"yesterday\",\"event\":\"offer\",\"call\":\"x\"}\n",
	};
	int k = (int)(sim_uniform(&s->dirt.rng) * 5);

	if (k == 4) {
		struct sim_line cut = *l;

		cut.n = 1 + (size_t)(sim_uniform(&s->dirt.rng) * (double)(l->n - 3));
		cut.b[cut.n++] = '\n';
		sim_out_write(&s->out, cut.b, cut.n, t);
	} else
		sim_out_write(&s->out, junk[k], strlen(junk[k]), t);
}

static void
sim_dirt_line(struct sim *s, struct sim_line *l, int64_t t)
{
	struct sim_dirt *d = &s->dirt;
	double u = sim_uniform(&d->rng);

	sim_dirt_release(s, t);
	if (u >= d->f) {
		sim_out_write(&s->out, l->b, l->n, t);
		return;
	}
	u /= d->f;
	if (u < 0.4) {          /* repeated, up to 2 s later */
		sim_out_write(&s->out, l->b, l->n, t);
		sim_dirt_delay(d, l, t + (int64_t)sim_between(&d->rng, 0, 2000));
	} else if (u < 0.7) {   /* held back 0.2-3 s: later lines overtake it */
		sim_dirt_delay(d, l, t + (int64_t)sim_between(&d->rng, 200, 3000));
	} else if (u < 0.9) {
		sim_dirt_skew(d, l, t);
		sim_out_write(&s->out, l->b, l->n, t);
	} else {
		sim_out_write(&s->out, l->b, l->n, t);
		sim_dirt_broken(s, l, t);
	}
}

static void
sim_emit(struct sim *s, struct sim_line *l)
{
	sim_put(l, "}\n");
	if (s->dirt.f > 0)
		sim_dirt_line(s, l, s->now);
	else
		sim_out_write(&s->out, l->b, l->n, s->now);
}

/* ---- feed events ---- */

static void
sim_emit_offer(struct sim *s, const struct sim_call *c)
{
	struct sim_line l;

	sim_line_start(&l, s->now, "offer");
	sim_line_call(&l, s, c);
	sim_put(&l, ",\"queue\":\"");
	sim_put(&l, sim_queues[c->queue].name);
	sim_put(&l, "\"");
	if (s->nplatforms > 0) {
		sim_put(&l, ",\"platform\":\"");
		sim_put(&l, s->platforms[c->platform].name);
		sim_put(&l, "\"");
	}
	if (c->out) {
		sim_put(&l, ",\"direction\":\"out\"");
		sim_line_seat(&l, c->seat);
	}
	sim_put(&l, ",\"caller\":\"");
	sim_put_u64(&l, SIM_CALLER_BASE + (c->out ? c->no % (s->inbound + 1) : c->no));
	sim_put(&l, "\"");
	sim_emit(s, &l);
}

static void
sim_emit_answer(struct sim *s, const struct sim_call *c)
{
	struct sim_line l;

	sim_line_start(&l, s->now, "answer");
	sim_line_call(&l, s, c);
	sim_line_seat(&l, c->seat);
	sim_emit(s, &l);
}

static void
sim_emit_hangup(struct sim *s, const struct sim_call *c, const char *outcome)
{
	struct sim_line l;

	sim_line_start(&l, s->now, "hangup");
	sim_line_call(&l, s, c);
	if (outcome != NULL) {
		sim_put(&l, ",\"outcome\":\"");
		sim_put(&l, outcome);
		sim_put(&l, "\"");
	}
	sim_emit(s, &l);
}

static void
sim_emit_seat(struct sim *s, int seat, const char *state)
{
	struct sim_line l;

	sim_line_start(&l, s->now, "seat");
	sim_line_seat(&l, seat);
	sim_put(&l, ",\"state\":\"");
	sim_put(&l, state);
	sim_put(&l, "\"");
	sim_emit(s, &l);
}

/* ---- calls and lists ---- */

static void
sim_schedule(struct sim *s, int64_t t, enum sim_kind kind, int32_t obj, uint32_t serial)
{
	struct sim_ev e = { .t = t, .kind = kind };

	e.obj = obj;
	e.serial = serial;
	sim_heap_push(&s->ev, e);
}

static int32_t
sim_call_new(struct sim *s)
{
	int32_t i = s->free_call;

	if (i == SIM_NIL) {
		int32_t n = s->ncalls ? 2 * s->ncalls : 1024;

		s->calls = sim_xrealloc(s->calls, (size_t)n * sizeof *s->calls);
		for (int32_t k = s->ncalls; k < n; k++)
			s->calls[k] = (struct sim_call){ .next = k + 1 < n ? k + 1 : SIM_NIL };
		s->free_call = s->ncalls;
		s->ncalls = n;
		i = s->free_call;
	}
	s->free_call = s->calls[i].next;
	s->calls[i].serial++;
	s->calls[i].no = s->next_no++;
	s->calls[i].offer_ms = s->now;
	s->calls[i].seat = SIM_NIL;
	s->in_flight++;
	return i;
}

static void
sim_call_free(struct sim *s, int32_t i)
{
	s->calls[i].state = SIM_CALL_FREE;
	s->calls[i].serial++;
	s->calls[i].next = s->free_call;
	s->free_call = i;
	s->in_flight--;
}

static void
sim_wait_push(struct sim *s, int32_t ci)
{
	struct sim_call *c = &s->calls[ci];
	int q = c->queue;

	c->state = SIM_CALL_WAITING;
	c->next = SIM_NIL;
	c->prev = s->wait_tail[q];
	if (c->prev != SIM_NIL)
		s->calls[c->prev].next = ci;
	else
		s->wait_head[q] = ci;
	s->wait_tail[q] = ci;
}

static void
sim_wait_remove(struct sim *s, int32_t ci)
{
	struct sim_call *c = &s->calls[ci];

	if (c->prev != SIM_NIL)
		s->calls[c->prev].next = c->next;
	else
		s->wait_head[c->queue] = c->next;
	if (c->next != SIM_NIL)
		s->calls[c->next].prev = c->prev;
	else
		s->wait_tail[c->queue] = c->prev;
}

/* The call waiting longest across all queues, or SIM_NIL. */
static int32_t
sim_wait_oldest(const struct sim *s)
{
	int32_t best = SIM_NIL;

	for (size_t q = 0; q < SIM_NQUEUES; q++) {
		int32_t ci = s->wait_head[q];

		if (ci != SIM_NIL && (best == SIM_NIL ||
		    s->calls[ci].offer_ms < s->calls[best].offer_ms))
			best = ci;
	}
	return best;
}

static void
sim_idle_push(struct sim *s, int si)
{
	struct sim_seat *st = &s->seats[si];

	st->state = SIM_SEAT_IDLE;
	st->next = SIM_NIL;
	st->prev = s->idle_tail;
	if (st->prev != SIM_NIL)
		s->seats[st->prev].next = si;
	else
		s->idle_head = si;
	s->idle_tail = si;
	s->nidle++;
}

static void
sim_idle_remove(struct sim *s, int si)
{
	struct sim_seat *st = &s->seats[si];

	if (st->prev != SIM_NIL)
		s->seats[st->prev].next = st->next;
	else
		s->idle_head = st->next;
	if (st->next != SIM_NIL)
		s->seats[st->next].prev = st->prev;
	else
		s->idle_tail = st->prev;
	s->nidle--;
}

/* ---- seats ---- */

static void
sim_seat_pend(struct sim *s, int si, int64_t at)
{
	s->seats[si].state = SIM_SEAT_PENDING;
	s->staffed++;
	sim_schedule(s, at, SIM_EV_LOGIN, si, s->seats[si].serial);
}

/* Logs a seat out; a handover brings the next agent in when the plan still needs it. */
static void
sim_seat_logout(struct sim *s, int si)
{
	struct sim_seat *st = &s->seats[si];

	if (st->state == SIM_SEAT_IDLE)
		sim_idle_remove(s, si);
	sim_emit_seat(s, si, "logout");
	st->state = SIM_SEAT_OFF;
	st->serial++;
	st->leave = 0;
	if (!s->draining && s->staffed < s->target)
		sim_seat_pend(s, si, s->now + (int64_t)sim_between(&s->rng, 60e3, 180e3));
}

/* Takes a seat out of the plan: now if it is free, else once its call is done. */
static void
sim_seat_leave(struct sim *s, int si)
{
	struct sim_seat *st = &s->seats[si];

	if (st->leave || st->state == SIM_SEAT_OFF)
		return;
	s->staffed--;
	if (st->state == SIM_SEAT_PENDING) {
		st->state = SIM_SEAT_OFF;
		st->serial++;
	} else if (st->state == SIM_SEAT_IDLE || st->state == SIM_SEAT_LOGIN ||
	    st->state == SIM_SEAT_BREAK) {
		sim_seat_logout(s, si);
	} else
		st->leave = 1;
}

static void
sim_assign(struct sim *s, int32_t ci, int si)
{
	struct sim_call *c = &s->calls[ci];

	c->seat = si;
	c->state = SIM_CALL_RINGING;
	s->seats[si].state = SIM_SEAT_RING;
	sim_schedule(s, s->now + (int64_t)sim_between(&s->rng, 2000, 6000), SIM_EV_ANSWER, ci,
	    c->serial);
}

/* A seat is free: leave, take a due break, take the longest waiting call, or wait. */
static void
sim_seat_idle(struct sim *s, int si)
{
	struct sim_seat *st = &s->seats[si];
	int32_t ci;

	if (st->leave) {
		sim_seat_logout(s, si);
	} else if ((ci = sim_wait_oldest(s)) != SIM_NIL) {
		sim_wait_remove(s, ci);
		sim_assign(s, ci, si);
	} else if (s->now >= st->break_at) {
		double d = fmin(fmax(sim_exponential(&s->rng, SIM_BREAK_MEAN_S), 60), 1200);

		st->state = SIM_SEAT_BREAK;
		sim_emit_seat(s, si, "notready");
		sim_schedule(s, s->now + sim_s_to_ms(d), SIM_EV_BREAK_END, si, st->serial);
	} else
		sim_idle_push(s, si);
}

static void
sim_on_seat_event(struct sim *s, const struct sim_ev *e)
{
	struct sim_seat *st = &s->seats[e->obj];

	if (st->serial != e->serial)
		return;
	if (e->kind == SIM_EV_LOGIN && st->state == SIM_SEAT_PENDING) {
		st->state = SIM_SEAT_LOGIN;
		st->login_ms = s->now;
		sim_emit_seat(s, e->obj, "login");
		sim_schedule(s, s->now + (int64_t)sim_between(&s->rng, 3e3, 20e3), SIM_EV_READY,
		    e->obj, st->serial);
	} else if ((e->kind == SIM_EV_READY && st->state == SIM_SEAT_LOGIN) ||
	    (e->kind == SIM_EV_BREAK_END && st->state == SIM_SEAT_BREAK)) {
		sim_emit_seat(s, e->obj, "ready");
		st->break_at = s->now + sim_s_to_ms(sim_exponential(&s->rng, SIM_BREAK_EVERY_S));
		sim_seat_idle(s, e->obj);
	} else if (e->kind == SIM_EV_SEAT_FREE && st->state == SIM_SEAT_WRAP) {
		sim_seat_idle(s, e->obj);
	}
}

/* ---- staffing ---- */

static double
sim_rate_at(const struct sim *s, int64_t t)
{
	int weekend;
	double x = (double)sim_local_ms(t, &weekend) / (double)SIM_HOUR - 0.5;
	int i = (int)floor(x);
	double f = x - i;
	double p = sim_profile[(i + 24) % 24] * (1 - f) + sim_profile[(i + 25) % 24] * f;

	return s->o.rate * p * (weekend ? SIM_WEEKEND : 1.0);
}

/* Seats needed at `rate` calls/h, grossed up for breaks; never under two. */
static int
sim_plan_need(const struct sim *s, double rate)
{
	double handle = s->o.aht_s + s->o.wrap_s + 4.0;   /* talk, after-call work, ringing */
	double shrink = SIM_BREAK_MEAN_S / (SIM_BREAK_EVERY_S + SIM_BREAK_MEAN_S);
	struct rx_erlang_load load = { .erlangs = rate / 3600 * handle, .aht_s = handle,
	    .patience_s = s->o.patience_s };
	struct rx_erlang_goal goal = { .target = SIM_PLAN_GOAL, .within_s = SIM_PLAN_WAIT_S,
	    .max_abandon = 1, .max_occupancy = 1 };
	struct rx_erlang_result r;
	int n;

	if (rx_erlang_c_size(&load, &goal, &r) == 0)
		n = rx_erlang_scheduled(r.agents, shrink);
	else
		n = (int)ceil(load.erlangs / (1 - shrink)) + 1;
	return n < 2 ? 2 : n;
}

static int
sim_plan_target(const struct sim *s, int64_t t)
{
	double peak = 0;

	for (int k = 0; k <= 2; k++)
		peak = fmax(peak, sim_rate_at(s, t + k * SIM_SLOT_MS / 2));
	int n = sim_plan_need(s, peak);
	return n < s->nseats ? n : s->nseats;
}

/* The seat to send home first: a pending login, then the longest session, idle first. */
static int
sim_pick_leaver(const struct sim *s)
{
	int best = SIM_NIL, best_rank = -1;

	for (int i = 0; i < s->nseats; i++) {
		const struct sim_seat *st = &s->seats[i];
		int rank;

		if (st->state == SIM_SEAT_OFF || st->leave)
			continue;
		rank = st->state == SIM_SEAT_PENDING ? 3 : st->state == SIM_SEAT_IDLE ? 2 : 1;
		if (rank > best_rank || (rank == best_rank &&
		    st->login_ms < s->seats[best].login_ms)) {
			best = i;
			best_rank = rank;
		}
	}
	return best;
}

static void
sim_staff_to(struct sim *s, int64_t stagger_ms)
{
	for (int tries = 0; s->staffed < s->target && tries < s->nseats; tries++) {
		int si = s->seat_cursor;

		s->seat_cursor = (s->seat_cursor + 1) % s->nseats;
		if (s->seats[si].state == SIM_SEAT_OFF)
			sim_seat_pend(s, si, s->now + (int64_t)(sim_uniform(&s->rng) * stagger_ms));
	}
	while (s->staffed > s->target)
		sim_seat_leave(s, sim_pick_leaver(s));
}

/* Every half hour: end shifts over 8 h (a handover follows), then match the plan. */
static void
sim_on_plan(struct sim *s)
{
	s->target = sim_plan_target(s, s->now);
	for (int i = 0; i < s->nseats; i++) {
		const struct sim_seat *st = &s->seats[i];

		if (st->state > SIM_SEAT_PENDING && s->now - st->login_ms >= SIM_SHIFT_MS)
			sim_seat_leave(s, i);
	}
	sim_staff_to(s, s->now == s->o.start_ms ? 0 : 90 * SIM_SEC);
	if (!s->arrivals_done)
		sim_schedule(s, s->now + SIM_SLOT_MS - sim_local_ms(s->now, NULL) % SIM_SLOT_MS,
		    SIM_EV_PLAN, 0, 0);
}

/* ---- calls ---- */

static void
sim_next_arrival(struct sim *s)
{
	double peak = s->o.rate;

	if (s->o.calls > 0 && s->inbound >= s->o.calls) {
		s->arrivals_done = 1;
		return;
	}
	/* Thinning: candidates at the peak rate, kept with probability rate(t) / peak. */
	for (;;) {
		s->arrival_t += sim_exponential(&s->rng, 3600e3 / peak);
		if (s->arrival_t >= (double)s->stop_ms) {
			s->arrivals_done = 1;
			return;
		}
		if (sim_uniform(&s->rng) * peak < sim_rate_at(s, (int64_t)s->arrival_t))
			break;
	}
	sim_schedule(s, (int64_t)s->arrival_t, SIM_EV_ARRIVAL, 0, 0);
}

static int
sim_pick_platform(struct sim *s)
{
	double u = sim_uniform(&s->rng);
	int i = 0;

	while (i + 1 < s->nplatforms && u >= s->platforms[i].cum)
		i++;
	return i;
}

static void
sim_on_arrival(struct sim *s)
{
	int32_t ci = sim_call_new(s);
	struct sim_call *c = &s->calls[ci];

	c->out = 0;
	c->queue = (uint8_t)sim_pick(&s->rng, sim_queues, SIM_NQUEUES);
	c->platform = (uint8_t)(s->nplatforms > 0 ? sim_pick_platform(s) : 0);
	s->inbound++;
	sim_emit_offer(s, c);
	sim_schedule(s, s->now + sim_s_to_ms(sim_exponential(&s->rng, s->o.patience_s)),
	    SIM_EV_ABANDON, ci, c->serial);
	if (s->idle_head != SIM_NIL) {
		int si = s->idle_head;

		sim_idle_remove(s, si);
		sim_assign(s, ci, si);
	} else
		sim_wait_push(s, ci);
	sim_next_arrival(s);
}

/* Patience ran out: only a call still in the queue is abandoned; once ringing it waits. */
static void
sim_on_abandon(struct sim *s, int32_t ci)
{
	sim_wait_remove(s, ci);
	sim_emit_hangup(s, &s->calls[ci], NULL);
	sim_call_free(s, ci);
}

static void
sim_on_answer(struct sim *s, int32_t ci)
{
	struct sim_call *c = &s->calls[ci];
	double talk = c->out ? sim_lognormal(&s->rng, SIM_OUT_TALK_S, SIM_OUT_SIGMA)
	    : sim_lognormal(&s->rng, s->o.aht_s, SIM_TALK_SIGMA);

	c->state = SIM_CALL_TALKING;
	s->seats[c->seat].state = SIM_SEAT_TALK;
	sim_emit_answer(s, c);
	sim_schedule(s, s->now + sim_s_to_ms(fmin(fmax(talk, 3), 4 * 3600)), SIM_EV_HANGUP, ci,
	    c->serial);
}

/* The call ends; its seat does some after-call work (no event) before the next one. */
static void
sim_on_hangup(struct sim *s, int32_t ci, int answered)
{
	struct sim_call *c = &s->calls[ci];
	struct sim_seat *st = &s->seats[c->seat];
	double wrap = c->out ? s->o.wrap_s / 2 : s->o.wrap_s * sim_between(&s->rng, 0.5, 1.5);
	int k = c->out ? -1 : sim_pick(&s->rng, sim_outcomes, SIM_NOUTCOMES);

	if (c->out)
		sim_emit_hangup(s, c, answered ? "callback" : "no_answer");
	else
		sim_emit_hangup(s, c, sim_outcomes[k].name);
	if (k == SIM_OUTCOME_TICKET && sim_uniform(&s->rng) < s->o.callbacks)
		s->backlog++;
	st->state = SIM_SEAT_WRAP;
	sim_schedule(s, s->now + sim_s_to_ms(wrap), SIM_EV_SEAT_FREE, c->seat, st->serial);
	sim_call_free(s, ci);
}

static void
sim_callback_start(struct sim *s, int si)
{
	int32_t ci = sim_call_new(s);
	struct sim_call *c = &s->calls[ci];
	int answered = sim_uniform(&s->rng) < SIM_OUT_ANSWER_P;
	double ring = answered ? sim_between(&s->rng, 5, 25) : sim_between(&s->rng, 25, 45);

	c->out = 1;
	c->queue = 0;
	c->platform = (uint8_t)(s->nplatforms > 0 ? sim_pick_platform(s) : 0);
	c->seat = si;
	c->state = SIM_CALL_RINGING;
	s->seats[si].state = SIM_SEAT_RING;
	sim_emit_offer(s, c);
	sim_schedule(s, s->now + sim_s_to_ms(ring), answered ? SIM_EV_ANSWER : SIM_EV_NOANSWER,
	    ci, c->serial);
}

/*
 * Callbacks (回访) use spare capacity only: in office hours, and never the last seats an
 * inbound caller could get (idle seats mean nobody is queued, so they are spare).
 */
static void
sim_on_callbacks(struct sim *s)
{
	int64_t local = sim_local_ms(s->now, NULL);
	int reserve = s->staffed / 5 > 2 ? s->staffed / 5 : 2;
	int burst = s->staffed / 10 > 1 ? s->staffed / 10 : 1;

	if (local >= 8 * SIM_HOUR + SIM_SLOT_MS && local < 20 * SIM_HOUR + SIM_SLOT_MS)
		for (; burst > 0 && s->backlog > 0 && s->nidle > reserve; burst--, s->backlog--) {
			int si = s->idle_head;

			sim_idle_remove(s, si);
			sim_callback_start(s, si);
		}
	if (!s->arrivals_done)
		sim_schedule(s, s->now + SIM_TICK_MS, SIM_EV_CALLBACKS, 0, 0);
}

/* ---- the run ---- */

static void
sim_dispatch(struct sim *s, const struct sim_ev *e)
{
	const struct sim_call *c = e->kind <= SIM_EV_NOANSWER && e->kind != SIM_EV_ARRIVAL ?
	    &s->calls[e->obj] : NULL;

	if (c != NULL && c->serial != e->serial)
		return;
	switch (e->kind) {
	case SIM_EV_ARRIVAL: sim_on_arrival(s); break;
	case SIM_EV_ABANDON:
		if (c->state == SIM_CALL_WAITING)
			sim_on_abandon(s, e->obj);
		break;
	case SIM_EV_ANSWER: sim_on_answer(s, e->obj); break;
	case SIM_EV_HANGUP: sim_on_hangup(s, e->obj, 1); break;
	case SIM_EV_NOANSWER: sim_on_hangup(s, e->obj, 0); break;
	case SIM_EV_PLAN: sim_on_plan(s); break;
	case SIM_EV_CALLBACKS: sim_on_callbacks(s); break;
	default: sim_on_seat_event(s, e); break;
	}
}

/* After the last call: every seat still logged in logs out, a second later. */
static void
sim_finish(struct sim *s)
{
	s->draining = 1;
	if (s->o.calls == 0 && s->now < s->stop_ms)
		s->now = s->stop_ms;
	else
		s->now += SIM_SEC;
	for (int i = 0; i < s->nseats; i++)
		if (s->seats[i].state > SIM_SEAT_PENDING)
			sim_seat_logout(s, i);
	sim_dirt_release(s, INT64_MAX);
	sim_out_flush(&s->out);
}

static int
sim_run(struct sim *s)
{
	s->now = s->o.start_ms;
	s->arrival_t = (double)s->o.start_ms;
	s->out.sim0_ms = s->o.start_ms;
	s->out.wall0_ns = sim_mono_ns();
	sim_schedule(s, s->now, SIM_EV_PLAN, 0, 0);
	sim_schedule(s, s->now, SIM_EV_CALLBACKS, 0, 0);
	sim_next_arrival(s);
	while (!(s->arrivals_done && s->in_flight == 0) && s->ev.n > 0 && !s->out.failed) {
		struct sim_ev e = sim_heap_pop(&s->ev);

		s->now = e.t;
		sim_dispatch(s, &e);
	}
	sim_finish(s);
	return s->out.failed ? 1 : 0;
}

/* ---- arguments ---- */

static void
sim_usage(FILE *f)
{
	fputs(
"usage: rexian sim [options]\n"
"Generate a realistic 12345 hotline call feed (NDJSON) by discrete-event simulation.\n"
"\n"
"  --start T        RFC 3339 time, epoch seconds, or now (for a live feed at\n"
"                   --speed 1); default: today 00:00 Asia/Shanghai\n"
"  --hours H        simulate H hours of arrivals (default 24 unless --calls is given)\n"
"  --calls N        stop after N inbound calls\n"
"  --seed S         random seed; the same seed gives the same feed (default 1)\n"
"  --rate R         inbound calls per hour at the weekday peak, 10:00 (default 400;\n"
"                   a weekday averages 0.41 R per hour, 9.8 R a day; weekends 0.7 of that)\n"
"  --seats N        seats that can be logged in at once (default: what the plan\n"
"                   needs at the peak); fewer seats than the plan means queues\n"
"  --patience-s S   mean caller patience in the queue, exponential (default 200)\n"
"  --aht-s S        mean inbound talk time, lognormal (default 185)\n"
"  --wrap-s S       mean after-call work between calls (default 20)\n"
"  --callbacks F    outbound callbacks per dispatched ticket (default 0.8)\n"
"  --platforms LIST platform names with optional weights, e.g. 连云港:2,镇江:1\n"
"  --dirt F         give a fraction F of lines a fault: repeats, reordering by up\n"
"                   to 3 s, 1-2 s clock skew, extra malformed lines (default 0)\n"
"  --speed N        real time times N; 0 = as fast as possible (default 0 to\n"
"                   stdout, 1 with --connect)\n"
"  --connect URL    stream to a rexiand listener, tcp://HOST:PORT or\n"
"                   unix:///PATH, reconnecting on failure\n"
"  --token-file F   send the feed token in F's first line first on each connection\n"
"  --help           this text\n", f);
}

static int
sim_num(const char *flag, const char *arg, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno != 0 || !(*out >= min && *out <= max)) {
		fprintf(stderr, "rexian sim: --%s: expected a number from %g to %g, got '%s'\n",
		    flag, min, max, arg);
		return -1;
	}
	return 0;
}

static void
sim_json_escape(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		if (ch == '"' || ch == '\\')
			*dst++ = '\\', *dst++ = (char)ch;
		else if (ch < 0x20)
			dst += sprintf(dst, "\\u%04x", ch);
		else
			*dst++ = (char)ch;
	}
	*dst = '\0';
}

/* "a,b" or "a:2,b:1" into names and cumulative shares. */
static int
sim_parse_platforms(struct sim *s, const char *arg)
{
	double w[SIM_MAX_PLATFORMS], total = 0;
	const char *p = arg;

	for (s->nplatforms = 0; *p != '\0'; s->nplatforms++) {
		size_t len = strcspn(p, ",:");
		int i = s->nplatforms;

		if (i == SIM_MAX_PLATFORMS || len == 0 || len > SIM_NAME_MAX)
			goto bad;
		sim_json_escape(s->platforms[i].name, p, len);
		p += len;
		w[i] = 1;
		if (*p == ':') {
			char *end;

			w[i] = strtod(p + 1, &end);
			if (end == p + 1 || !(w[i] > 0))
				goto bad;
			p = end;
		}
		total += w[i];
		if (*p == ',')
			p++;
		else if (*p != '\0')
			goto bad;
		if (p[-1] == ',' && *p == '\0')
			goto bad;
	}
	for (int i = 0; i < s->nplatforms; i++)
		s->platforms[i].cum = (i > 0 ? s->platforms[i - 1].cum : 0) + w[i] / total;
	return 0;
bad:
	fprintf(stderr, "rexian sim: --platforms: expected NAME[:WEIGHT],... (up to %d), "
	    "got '%s'\n", SIM_MAX_PLATFORMS, arg);
	return -1;
}

static int
sim_parse_seed(const char *arg, uint64_t *seed)
{
	char *end;

	errno = 0;
	*seed = strtoull(arg, &end, 10);
	if (arg[0] >= '0' && arg[0] <= '9' && *end == '\0' && errno == 0)
		return 0;
	fprintf(stderr, "rexian sim: --seed: expected an unsigned integer, got '%s'\n", arg);
	return -1;
}

static int
sim_parse_opt(struct sim *s, int opt, const char *arg, const char *flag)
{
	struct sim_opts *o = &s->o;
	double v;

	switch (opt) {
	case 's':
		if (strcmp(arg, "now") == 0) {
			o->start_ms = (int64_t)time(NULL) * SIM_SEC;
			return 0;
		}
		if (sim_parse_epoch(arg, &o->start_ms) == 0 ||
		    sim_parse_rfc3339(arg, &o->start_ms) == 0)
			return 0;
		fprintf(stderr, "rexian sim: --start: expected RFC 3339, epoch seconds or now, "
		    "got '%s'\n", arg);
		return -1;
	case 'H': return sim_num(flag, arg, 0.001, 24.0 * 366 * 100, &o->hours);
	case 'n':
		if (sim_num(flag, arg, 1, 1e12, &v) < 0)
			return -1;
		o->calls = (uint64_t)v;
		return 0;
	case 'S':
		return sim_parse_seed(arg, &o->seed);
	case 'N':
		if (sim_num(flag, arg, 1, 100000, &v) < 0)
			return -1;
		o->seats = (int)v;
		return 0;
	case 'r': return sim_num(flag, arg, 0.01, 1e7, &o->rate);
	case 'p': return sim_num(flag, arg, 0.1, 1e6, &o->patience_s);
	case 'a': return sim_num(flag, arg, 1, 36000, &o->aht_s);
	case 'w': return sim_num(flag, arg, 0, 3600, &o->wrap_s);
	case 'c': return sim_num(flag, arg, 0, 1, &o->callbacks);
	case 'd': return sim_num(flag, arg, 0, 1, &o->dirt);
	case 'x': return sim_num(flag, arg, 0, 1e9, &o->speed);
	case 'P': o->platforms = arg; return sim_parse_platforms(s, arg);
	case 'T':
		o->token_file = arg;
		return 0;
	case 'C':
		o->connect = arg;
		if (sim_url_ok(arg))
			return 0;
		fprintf(stderr, "rexian sim: --connect: expected tcp://HOST:PORT or unix:///PATH, "
		    "got '%s'\n", arg);
		return -1;
	}
	return -1;
}

static const struct option sim_longopts[] = {
	{ "start", required_argument, NULL, 's' },
	{ "hours", required_argument, NULL, 'H' },
	{ "calls", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, 'S' },
	{ "seats", required_argument, NULL, 'N' },
	{ "rate", required_argument, NULL, 'r' },
	{ "patience-s", required_argument, NULL, 'p' },
	{ "aht-s", required_argument, NULL, 'a' },
	{ "wrap-s", required_argument, NULL, 'w' },
	{ "callbacks", required_argument, NULL, 'c' },
	{ "dirt", required_argument, NULL, 'd' },
	{ "speed", required_argument, NULL, 'x' },
	{ "platforms", required_argument, NULL, 'P' },
	{ "connect", required_argument, NULL, 'C' },
	{ "token-file", required_argument, NULL, 'T' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Returns 0 to run, 1 after --help, -1 on a bad argument. */
static int
sim_parse_args(struct sim *s, int argc, char **argv)
{
	int opt, idx;

	s->o = (struct sim_opts){ .start_ms = -1, .seed = 1, .rate = 400, .patience_s = 200,
	    .aht_s = 185, .wrap_s = 20, .callbacks = 0.8, .speed = -1 };
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+", sim_longopts, &idx)) != -1) {
		if (opt == 'h') {
			sim_usage(stdout);
			return 1;
		}
		if (opt == '?') {
			fprintf(stderr, "rexian sim: bad option '%s' (see rexian sim --help)\n",
			    argv[optind - 1]);
			return -1;
		}
		if (sim_parse_opt(s, opt, optarg, sim_longopts[idx].name) < 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "rexian sim: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (s->o.start_ms < 0)
		s->o.start_ms = sim_today_ms();
	if (s->o.hours == 0 && s->o.calls == 0)
		s->o.hours = 24;
	if (s->o.speed < 0)
		s->o.speed = s->o.connect != NULL ? 1 : 0;
	if (s->o.token_file != NULL && sim_auth_line(s->o.token_file, s->out.auth,
	    sizeof s->out.auth) != 0)
		return -1;
	return 0;
}

static void
sim_setup(struct sim *s)
{
	s->stop_ms = s->o.hours > 0 ? s->o.start_ms + sim_s_to_ms(s->o.hours * 3600) : INT64_MAX;
	sim_rng_seed(&s->rng, s->o.seed);
	sim_rng_seed(&s->dirt.rng, s->o.seed ^ 0x5d1e7ULL);
	s->dirt.f = s->o.dirt;
	/* 10% over the peak plan by default: room for handovers and late logouts. */
	s->nseats = s->o.seats > 0 ? s->o.seats : (int)ceil(sim_plan_need(s, s->o.rate) * 1.1);
	s->seats = calloc((size_t)s->nseats, sizeof *s->seats);
	s->out.buf = malloc(SIM_OUT_BUF);
	if (s->seats == NULL || s->out.buf == NULL)
		sim_oom();
	s->free_call = s->idle_head = s->idle_tail = SIM_NIL;
	for (size_t q = 0; q < SIM_NQUEUES; q++)
		s->wait_head[q] = s->wait_tail[q] = SIM_NIL;
	snprintf(s->id_prefix, sizeof s->id_prefix, "%" PRIu64 "-", s->o.seed);
	s->out.fd = STDOUT_FILENO;
	s->out.url = s->o.connect;
	s->out.speed = s->o.speed;
}

static void
sim_free(struct sim *s)
{
	while (s->dirt.delayed.n > 0)
		free(sim_heap_pop(&s->dirt.delayed).text);
	free(s->dirt.delayed.v);
	free(s->ev.v);
	free(s->calls);
	free(s->seats);
	free(s->out.buf);
	if (s->out.url != NULL && s->out.fd >= 0)
		close(s->out.fd);
}

int
rx_cmd_sim(int argc, char **argv)
{
	struct sim *s = calloc(1, sizeof *s);
	int rc;

	if (s == NULL) {
		fprintf(stderr, "rexian sim: out of memory\n");
		return 1;
	}
	rc = sim_parse_args(s, argc, argv);
	if (rc != 0) {
		free(s);
		return rc > 0 ? 0 : 2;
	}
	sim_setup(s);
	if (s->out.url != NULL)
		sim_out_connect(&s->out);
	rc = sim_run(s);
	sim_free(s);
	free(s);
	return rc;
}
