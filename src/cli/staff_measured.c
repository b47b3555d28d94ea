/*
 * staff_measured.c: `rexian staff --from FILE | --redis URL`, seat sizing from what a day
 * actually brought. From a file it runs the feed through the same engine as `rexian replay`
 * with per-minute buckets on, collects the chosen scope's minute counters as they settle,
 * and follows the seat events itself on their way to the engine (the engine keeps only the
 * seats' current state; staffing needs their history). From Redis it reads what rexiand
 * wrote (staff_redis.c). Either way one local day is cut into intervals, each sized with
 * Erlang C and A (src/core/staffing.c), and printed as a table, CSV or JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rexian/engine.h"
#include "rexian/feed.h"
#include "rexian/jsonw.h"
#include "rexian/staffing.h"
#include "staff_measured.h"

#define STAFF_CHUNK (1 << 20)
#define STAFF_ERRORS_SHOWN 20
#define STAFF_HARVEST_MS (6 * 3600 * 1000LL) /* well inside the engine's 48 h of minutes */
#define STAFF_MAX_INTERVALS RX_STAFFING_DAY_MINUTES

/* The file source: the engine, and what is collected on the side. */
struct staff_file {
	struct rx_engine *engine;
	struct rx_staffing_days *days;
	struct rx_staffing_seatlog *seats;
	enum rx_scope_type type;
	const char *name;          /* the scope's name; NULL for global and outbound */
	uint32_t scope;            /* its index, UINT32_MAX until it first appears */
	int64_t next_harvest;
	const char *path;
	uint64_t errors;
	int failed;                /* out of memory */
};

/* Everything the printers need. */
struct staff_report {
	const struct rx_staff_request *req;
	int32_t day;
	int nintervals;
	struct rx_staffing_interval iv[STAFF_MAX_INTERVALS];
	struct rx_staffing_day sum;
	double patience_used;       /* NAN: Erlang C only */
	const char *patience_source;
	const char *seat_source;    /* where the seat figures come from, for the reader */
};

/* ---- the file source ---- */

static int
staff_str_is(struct rx_str s, const char *name)
{
	return s.len == strlen(name) && memcmp(s.p, name, s.len) == 0;
}

/* Seats count for the hotline (and its queues, which share them), for one seat, or for
 * the seats whose events name the platform. */
static void
staff_seat_event(struct staff_file *f, const struct rx_event *ev)
{
	uint32_t id;

	if (f->type == RX_SCOPE_SEAT && !staff_str_is(ev->seat, f->name))
		return;
	if (f->type == RX_SCOPE_PLATFORM && !staff_str_is(ev->platform, f->name))
		return;
	id = rx_names_intern(f->engine->names, ev->seat.p, ev->seat.len);
	if (id != 0 && rx_staffing_seatlog_event(f->seats, id, ev->seat_state != RX_SEAT_LOGOUT,
	    ev->ts_ms) != 0)
		f->failed = 1;
}

static void
staff_bucket_cb(bool day, int64_t code, uint32_t scope, const struct rx_stats *st, void *arg)
{
	struct staff_file *f = arg;
	struct rx_staffing_minute *m;
	int32_t d;
	int minute;

	if (day || scope != f->scope || rx_staffing_minute_split(code, &d, &minute) != 0)
		return;
	if ((m = rx_staffing_days_get(f->days, d, true)) == NULL) {
		f->failed = 1;
		return;
	}
	m[minute].c = st->c;
}

static uint32_t
staff_scope_find(const struct staff_file *f)
{
	uint32_t name = 0;

	if (f->name != NULL && (name = rx_names_find(f->engine->names, f->name,
	    strlen(f->name))) == 0)
		return UINT32_MAX;
	return rx_scopes_find(f->engine->scopes, f->type, name);
}

/*
 * Copies the minute buckets changed since the last harvest. Taking them as they settle
 * (rather than once at the end) lets the engine drop minutes older than 48 h, so a feed of
 * many months costs the engine no more memory than a live day does.
 */
static void
staff_harvest(struct staff_file *f)
{
	if (f->scope == UINT32_MAX)
		f->scope = staff_scope_find(f);
	rx_windows_dirty_buckets(f->engine->windows, staff_bucket_cb, f, UINT32_MAX);
}

static void
staff_event_cb(const struct rx_event *ev, uint64_t line, void *arg)
{
	struct staff_file *f = arg;

	(void)line;
	if (ev->kind == RX_EV_SEAT)
		staff_seat_event(f, ev);
	rx_engine_event(f->engine, ev);
	if (ev->ts_ms >= f->next_harvest) {
		staff_harvest(f);
		f->next_harvest = ev->ts_ms + STAFF_HARVEST_MS;
	}
}

static void
staff_error_cb(uint64_t line, const char *reason, void *arg)
{
	struct staff_file *f = arg;

	if (f->errors++ < STAFF_ERRORS_SHOWN)
		fprintf(stderr, "rexian staff: %s:%llu: %s (line skipped)\n", f->path,
		    (unsigned long long)line, reason);
}

static int
staff_read_fd(struct staff_file *f, int fd)
{
	struct rx_feed *feed = rx_feed_new(staff_event_cb, staff_error_cb, f);
	char *buf = malloc(STAFF_CHUNK);
	ssize_t n;

	if (feed == NULL || buf == NULL) {
		rx_feed_free(feed);
		free(buf);
		fprintf(stderr, "rexian staff: out of memory\n");
		return 1;
	}
	while ((n = read(fd, buf, STAFF_CHUNK)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			rx_feed_push(feed, buf, (size_t)n);
	if (n < 0)
		fprintf(stderr, "rexian staff: error reading %s: %s\n", f->path, strerror(errno));
	rx_feed_finish(feed);
	rx_feed_free(feed);
	free(buf);
	return n < 0 ? 1 : 0;
}

static int
staff_read_file(struct staff_file *f, const char *path)
{
	int stdin_ = strcmp(path, "-") == 0;
	int fd = stdin_ ? STDIN_FILENO : open(path, O_RDONLY);
	int rc;

	f->path = stdin_ ? "stdin" : path;
	if (fd < 0) {
		fprintf(stderr, "rexian staff: cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = staff_read_fd(f, fd);
	if (!stdin_)
		close(fd);
	rx_engine_finish(f->engine);
	staff_harvest(f);
	if (f->errors > STAFF_ERRORS_SHOWN)
		fprintf(stderr, "rexian staff: %llu bad lines in all\n",
		    (unsigned long long)f->errors);
	return rc;
}

/* Midnight starting the local day YYYYMMDD, in epoch milliseconds. */
static int64_t
staff_day_start_ms(int32_t day)
{
	struct tm tm = { .tm_year = day / 10000 - 1900, .tm_mon = day / 100 % 100 - 1,
	    .tm_mday = day % 100, .tm_isdst = -1 };

	return (int64_t)mktime(&tm) * 1000;
}

static struct rx_engine *
staff_engine_new(const struct rx_staff_request *req)
{
	struct rx_engine_config cfg;

	rx_engine_config_default(&cfg);
	cfg.rolling = false;
	cfg.buckets = true;
	/* the measured service level uses the goal's threshold, so the two compare */
	cfg.th.sl_ms = (int64_t)llround(req->goal.within_s * 1000);
	return rx_engine_new(&cfg);
}

static int
staff_file_setup(struct staff_file *f, const struct rx_staff_request *req)
{
	const char *name;

	*f = (struct staff_file){ .scope = UINT32_MAX, .next_harvest = INT64_MIN };
	if (rx_scope_parse(req->scope, &f->type, &name) != 0)
		return -1;
	f->name = name;
	f->engine = staff_engine_new(req);
	f->days = rx_staffing_days_new();
	f->seats = rx_staffing_seatlog_new();
	return f->engine && f->days && f->seats ? 0 : -1;
}

static void
staff_file_release(struct staff_file *f)
{
	rx_engine_free(f->engine);
	rx_staffing_days_free(f->days);
	rx_staffing_seatlog_free(f->seats);
}

/* Runs the feed, picks the day, and leaves its minutes, seats included, in *out. */
static int
staff_from_file(const struct rx_staff_request *req, struct rx_staffing_minute *out,
    int32_t *day)
{
	struct staff_file f;
	struct rx_staffing_minute *m;
	int rc = 1;

	if (staff_file_setup(&f, req) != 0) {
		fprintf(stderr, "rexian staff: out of memory\n");
		goto done;
	}
	if (staff_read_file(&f, req->from) != 0)
		goto done;
	if (f.failed) {
		fprintf(stderr, "rexian staff: out of memory\n");
		goto done;
	}
	if (f.scope == UINT32_MAX) {
		fprintf(stderr, "rexian staff: %s has no calls for %s\n", f.path, req->scope);
		goto done;
	}
	if (*day == 0 && (*day = rx_staffing_days_busiest(f.days)) == 0) {
		fprintf(stderr, "rexian staff: %s has no settled calls for %s\n", f.path,
		    req->scope);
		goto done;
	}
	if ((m = rx_staffing_days_get(f.days, *day, false)) != NULL)
		memcpy(out, m, RX_STAFFING_DAY_MINUTES * sizeof *out);
	else
		fprintf(stderr, "rexian staff: no calls for %s on that date\n", req->scope);
	if (rx_staffing_seatlog_events(f.seats) > 0)
		rx_staffing_seatlog_minutes(f.seats, staff_day_start_ms(*day), out,
		    RX_STAFFING_DAY_MINUTES);
	rc = 0;
done:
	staff_file_release(&f);
	return rc;
}

/* ---- sizing ---- */

static enum rx_scope_type
staff_scope_type(const struct rx_staff_request *req)
{
	enum rx_scope_type type = RX_SCOPE_GLOBAL;
	const char *name;

	rx_scope_parse(req->scope, &type, &name);
	return type;
}

static const char *
staff_seat_source(const struct rx_staff_request *req)
{
	enum rx_scope_type type = staff_scope_type(req);

	if (req->redis != NULL)
		return type == RX_SCOPE_SEAT || type == RX_SCOPE_PLATFORM ?
		    "not sampled per seat or platform" : "rexiand's samples, whole hotline";
	if (type == RX_SCOPE_SEAT)
		return "seat events of this seat (no flags: its calls are not a queue)";
	if (type == RX_SCOPE_PLATFORM)
		return "seat events naming this platform";
	return "seat events, whole hotline (queues share the seats)";
}

/*
 * Erlang A is sized on the day's patience, not each interval's: a half hour holds a handful
 * of abandons, too few to size on (one impatient caller would halve the estimate), while
 * callers' patience changes little within a day. Each interval's own estimate is still
 * reported.
 */
static void
staff_size(struct staff_report *r, const struct rx_staffing_minute *m)
{
	const struct rx_staff_request *req = r->req;
	struct rx_staffing_sizing s;

	r->nintervals = RX_STAFFING_DAY_MINUTES / req->interval_min;
	rx_staffing_aggregate(m, req->interval_min, req->acw_s, r->iv);
	rx_staffing_summarise(r->iv, r->nintervals, req->acw_s, &r->sum);
	r->patience_used = isnan(req->patience_s) ? r->sum.patience_s : req->patience_s;
	r->patience_source = !isnan(req->patience_s) ? "override" :
	    !isnan(r->sum.patience_s) ? "measured" : NULL;
	s = (struct rx_staffing_sizing){ req->interval_min * 60.0, req->acw_s, r->sum.aht_s,
	    r->patience_used, req->goal };
	for (int i = 0; i < r->nintervals; i++) {
		rx_staffing_size(&r->iv[i], &s);
		/* a seat's scope holds the calls it answered, which no queue offered to it alone */
		if (staff_scope_type(req) == RX_SCOPE_SEAT)
			r->iv[i].understaffed = -1;
	}
	rx_staffing_summarise(r->iv, r->nintervals, req->acw_s, &r->sum);
	r->seat_source = staff_seat_source(req);
}

/* ---- shared formatting ---- */

static uint64_t
staff_offered(const struct rx_counters *c)
{
	return c->answered + c->abandoned;
}

static double
staff_ratio(uint64_t num, uint64_t den)
{
	return den == 0 ? NAN : (double)num / (double)den;
}

static int
staff_required(const struct rx_staffing_interval *iv)
{
	return iv->required_a >= 0 ? iv->required_a : iv->required_c;
}

static void
staff_clock(char *buf, size_t size, int minute)
{
	snprintf(buf, size, "%02d:%02d", minute / 60 % 100, minute % 60);
}

static void
staff_span(const struct staff_report *r, int i, char *start, char *end, size_t size)
{
	staff_clock(start, size, i * r->req->interval_min);
	staff_clock(end, size, (i + 1) * r->req->interval_min);
}

static void
staff_date(int32_t day, char *buf, size_t size)
{
	snprintf(buf, size, "%04d-%02d-%02d", day / 10000, day / 100 % 100, day % 100);
}

static double
staff_per_100k(const struct staff_report *r, double seats)
{
	if (isnan(r->req->population) || isnan(seats) || seats < 0)
		return NAN;
	return rx_erlang_seats_per_100k(seats, r->req->population);
}

/* ---- JSON ---- */

static void
staff_json_real(struct rx_jsonw *w, const char *key, double v)
{
	rx_jsonw_key(w, key);
	if (isfinite(v))
		rx_jsonw_real(w, v);
	else
		rx_jsonw_null(w);
}

static void
staff_json_int(struct rx_jsonw *w, const char *key, int v)
{
	rx_jsonw_key(w, key);
	if (v >= 0)
		rx_jsonw_int(w, v);
	else
		rx_jsonw_null(w);
}

static void
staff_json_uint(struct rx_jsonw *w, const char *key, uint64_t v)
{
	rx_jsonw_key(w, key);
	rx_jsonw_uint(w, v);
}

static void
staff_json_str(struct rx_jsonw *w, const char *key, const char *v)
{
	rx_jsonw_key(w, key);
	if (v != NULL)
		rx_jsonw_cstr(w, v);
	else
		rx_jsonw_null(w);
}

/* offered, answered, abandoned and the rates measured from them */
static void
staff_json_counts(struct rx_jsonw *w, const struct rx_counters *c)
{
	staff_json_uint(w, "offered", staff_offered(c));
	staff_json_uint(w, "answered", c->answered);
	staff_json_uint(w, "abandoned", c->abandoned);
	staff_json_real(w, "abandon_rate", staff_ratio(c->abandoned, staff_offered(c)));
	staff_json_real(w, "service_level", staff_ratio(c->within_sl, staff_offered(c)));
}

static void
staff_json_interval(struct rx_jsonw *w, const struct staff_report *r, int i)
{
	const struct rx_staffing_interval *iv = &r->iv[i];
	char start[8], end[8];

	staff_span(r, i, start, end, sizeof start);
	rx_jsonw_open(w, '{');
	staff_json_str(w, "start", start);
	staff_json_str(w, "end", end);
	staff_json_counts(w, &iv->c);
	staff_json_real(w, "aht_s", iv->aht_s);
	staff_json_real(w, "patience_s", iv->patience_s);
	staff_json_real(w, "erlangs", iv->erlangs);
	staff_json_real(w, "seats_logged_in_mean", iv->seats_mean);
	staff_json_real(w, "seats_logged_in_peak", iv->seats_peak);
	staff_json_int(w, "required_erlang_c", iv->required_c);
	staff_json_int(w, "required_erlang_a", iv->required_a);
	staff_json_int(w, "required", staff_required(iv));
	rx_jsonw_key(w, "understaffed");
	if (iv->understaffed < 0)
		rx_jsonw_null(w);
	else
		rx_jsonw_bool(w, iv->understaffed == 1);
	rx_jsonw_close(w, '}');
}

static void
staff_json_peak(struct rx_jsonw *w, const struct staff_report *r)
{
	const struct rx_staffing_interval *iv;
	char start[8], end[8];

	rx_jsonw_key(w, "peak_interval");
	if (r->sum.peak_interval < 0) {
		rx_jsonw_null(w);
		return;
	}
	iv = &r->iv[r->sum.peak_interval];
	staff_span(r, r->sum.peak_interval, start, end, sizeof start);
	rx_jsonw_open(w, '{');
	staff_json_str(w, "start", start);
	staff_json_str(w, "end", end);
	staff_json_uint(w, "offered", staff_offered(&iv->c));
	staff_json_real(w, "erlangs", iv->erlangs);
	staff_json_int(w, "required_erlang_c", iv->required_c);
	staff_json_int(w, "required_erlang_a", iv->required_a);
	staff_json_int(w, "required", staff_required(iv));
	rx_jsonw_close(w, '}');
}

static void
staff_json_per_100k(struct rx_jsonw *w, const struct staff_report *r)
{
	int peak = r->sum.peak_interval;

	staff_json_real(w, "population", r->req->population);
	rx_jsonw_key(w, "seats_per_100k");
	if (isnan(r->req->population)) {
		rx_jsonw_null(w);
		return;
	}
	rx_jsonw_open(w, '{');
	staff_json_real(w, "staffed_peak", staff_per_100k(r, r->sum.seats_peak));
	staff_json_real(w, "staffed_mean", staff_per_100k(r, r->sum.seats_mean));
	staff_json_real(w, "required",
	    staff_per_100k(r, peak < 0 ? NAN : staff_required(&r->iv[peak])));
	rx_jsonw_close(w, '}');
}

static void
staff_json_day(struct rx_jsonw *w, const struct staff_report *r)
{
	rx_jsonw_key(w, "day");
	rx_jsonw_open(w, '{');
	staff_json_counts(w, &r->sum.c);
	staff_json_real(w, "aht_s", r->sum.aht_s);
	staff_json_real(w, "patience_s", r->sum.patience_s);
	staff_json_real(w, "patience_used_s", r->patience_used);
	staff_json_str(w, "patience_source", r->patience_source);
	staff_json_real(w, "seats_logged_in_peak", r->sum.seats_peak);
	staff_json_real(w, "seats_logged_in_mean", r->sum.seats_mean);
	staff_json_int(w, "seat_minutes", r->sum.seat_minutes);
	staff_json_peak(w, r);
	staff_json_int(w, "understaffed_intervals", r->sum.understaffed);
	staff_json_per_100k(w, r);
	rx_jsonw_close(w, '}');
}

static void
staff_json_head(struct rx_jsonw *w, const struct staff_report *r)
{
	const struct rx_staff_request *req = r->req;
	char date[16];

	staff_date(r->day, date, sizeof date);
	staff_json_str(w, "source", req->from != NULL ? "file" : "redis");
	staff_json_str(w, "scope", req->scope);
	staff_json_str(w, "date", date);
	staff_json_str(w, "timezone", req->timezone);
	staff_json_real(w, "interval_s", req->interval_min * 60.0);
	staff_json_real(w, "target", req->goal.target);
	staff_json_real(w, "within_s", req->goal.within_s);
	staff_json_real(w, "max_abandon", req->goal.max_abandon);
	staff_json_real(w, "acw_s", req->acw_s);
	staff_json_str(w, "seats_from", r->seat_source);
}

static int
staff_print_json(const struct staff_report *r)
{
	struct rx_jsonw w;
	int rc;

	rx_jsonw_init(&w);
	rx_jsonw_open(&w, '{');
	staff_json_head(&w, r);
	rx_jsonw_key(&w, "intervals");
	rx_jsonw_open(&w, '[');
	for (int i = 0; i < r->nintervals; i++)
		staff_json_interval(&w, r, i);
	rx_jsonw_close(&w, ']');
	staff_json_day(&w, r);
	rx_jsonw_close(&w, '}');
	rc = w.failed ? 1 : 0;
	if (!w.failed) {
		fwrite(w.buf, 1, w.len, stdout);
		fputc('\n', stdout);
	} else {
		fprintf(stderr, "rexian staff: out of memory\n");
	}
	rx_jsonw_release(&w);
	return rc;
}

/* ---- CSV ---- */

static void
staff_csv_real(double v)
{
	char buf[40];

	putchar(',');
	if (isfinite(v) && rx_format_real(buf, sizeof buf, v) > 0)
		fputs(buf, stdout);
}

static void
staff_csv_int(int v)
{
	if (v >= 0)
		printf(",%d", v);
	else
		putchar(',');
}

static void
staff_csv_row(const struct staff_report *r, int i, const char *date)
{
	const struct rx_staffing_interval *iv = &r->iv[i];
	const struct rx_counters *c = &iv->c;
	char start[8], end[8];

	staff_span(r, i, start, end, sizeof start);
	printf("%s,%s,%s,%llu,%llu,%llu", date, start, end,
	    (unsigned long long)staff_offered(c), (unsigned long long)c->answered,
	    (unsigned long long)c->abandoned);
	staff_csv_real(staff_ratio(c->abandoned, staff_offered(c)));
	staff_csv_real(staff_ratio(c->within_sl, staff_offered(c)));
	staff_csv_real(iv->aht_s);
	staff_csv_real(iv->patience_s);
	staff_csv_real(iv->erlangs);
	staff_csv_real(iv->seats_mean);
	staff_csv_real(iv->seats_peak);
	staff_csv_int(iv->required_c);
	staff_csv_int(iv->required_a);
	staff_csv_int(staff_required(iv));
	printf(",%s\n", iv->understaffed < 0 ? "" : iv->understaffed ? "1" : "0");
}

static int
staff_print_csv(const struct staff_report *r)
{
	char date[16];

	staff_date(r->day, date, sizeof date);
	puts("date,start,end,offered,answered,abandoned,abandon_rate,service_level,aht_s,"
	    "patience_s,erlangs,seats_logged_in_mean,seats_logged_in_peak,required_erlang_c,"
	    "required_erlang_a,required,understaffed");
	for (int i = 0; i < r->nintervals; i++)
		staff_csv_row(r, i, date);
	return 0;
}

/* ---- the table ---- */

/* A cell for a value that may be unknown: "-" then. */
static const char *
staff_cell(char *buf, size_t size, const char *fmt, double v)
{
	if (!isfinite(v))
		return "-";
	snprintf(buf, size, fmt, v);
	return buf;
}

/* Width to give %-*s so that a UTF-8 label fills `cols` columns: CJK characters take three
 * bytes and two columns. */
static int
staff_pad(const char *label, int cols)
{
	int extra = 0;

	for (const unsigned char *p = (const unsigned char *)label; *p; p++)
		extra += *p >= 0xe0;
	return cols + extra;
}

static void
staff_table_row(const char *label, const struct rx_counters *c, double aht, double patience,
    const struct rx_staffing_interval *iv)
{
	char a[16], s[16], h[16], p[16], e[16], sm[16], sp[16], nc[16], na[16];
	uint64_t off = staff_offered(c);

	printf("%-*s %6llu %7s %7s %7s %8s", staff_pad(label, 12), label, (unsigned long long)off,
	    staff_cell(a, sizeof a, "%.1f%%", 100 * staff_ratio(c->abandoned, off)),
	    staff_cell(s, sizeof s, "%.1f%%", 100 * staff_ratio(c->within_sl, off)),
	    staff_cell(h, sizeof h, "%.1f", aht), staff_cell(p, sizeof p, "%.1f", patience));
	if (iv == NULL) {
		putchar('\n');
		return;
	}
	printf(" %7s %6s %5s %6s %6s%s\n", staff_cell(e, sizeof e, "%.2f", iv->erlangs),
	    staff_cell(sm, sizeof sm, "%.1f", iv->seats_mean),
	    staff_cell(sp, sizeof sp, "%.0f", iv->seats_peak),
	    staff_cell(nc, sizeof nc, "%.0f", iv->required_c < 0 ? NAN : iv->required_c),
	    staff_cell(na, sizeof na, "%.0f", iv->required_a < 0 ? NAN : iv->required_a),
	    iv->understaffed == 1 ? "  !" : "");
}

static void
staff_table_head(const struct staff_report *r)
{
	const struct rx_staff_request *req = r->req;
	char date[16];

	staff_date(r->day, date, sizeof date);
	printf("rexian staff 实测座席: %s, %s (%s), %d-minute intervals, from %s\n", req->scope,
	    date, req->timezone, req->interval_min, req->from != NULL ? req->from : req->redis);
	printf("target %g%% answered within %g s; AHT = talk + %g s after-call work; ",
	    100 * req->goal.target, req->goal.within_s, req->acw_s);
	if (r->patience_source != NULL)
		printf("Erlang A on patience %.1f s (%s)\n", r->patience_used,
		    strcmp(r->patience_source, "override") == 0 ? "--patience-s" :
		    "measured over the day");
	else
		printf("no abandons: Erlang C only\n");
	printf("seats logged in: %s\n\n", r->seat_source);
	printf("%-12s %6s %7s %7s %7s %8s %7s %6s %5s %6s %6s\n", "interval", "calls",
	    "abandon", "SL", "AHT s", "patience", "erlangs", "seats", "peak", "need C",
	    "need A");
}

static void
staff_table_per_100k(const struct staff_report *r)
{
	const struct rx_staffing_day *d = &r->sum;
	char sp[16], sm[16], rq[16];
	int p = d->peak_interval;

	printf("seats per 100,000 residents 每十万人座席数 (population %.0f): staffed peak %s, "
	    "mean %s; required %s\n", r->req->population,
	    staff_cell(sp, sizeof sp, "%.2f", staff_per_100k(r, d->seats_peak)),
	    staff_cell(sm, sizeof sm, "%.2f", staff_per_100k(r, d->seats_mean)),
	    staff_cell(rq, sizeof rq, "%.2f",
	    staff_per_100k(r, p < 0 ? NAN : staff_required(&r->iv[p]))));
}

static void
staff_table_day(const struct staff_report *r)
{
	const struct rx_staffing_day *d = &r->sum;
	char start[8], end[8];
	int p = d->peak_interval;

	staff_table_row("全天 day", &d->c, d->aht_s, d->patience_s, NULL);
	printf("\n时段 interval, 来电 calls, 放弃率 abandon, 服务水平 SL, 平均处理时长 AHT, "
	    "耐心 patience, 话务量 erlangs,\n在线座席 seats (均值 mean, 峰值 peak), "
	    "需要座席 need (Erlang C, A); ! 座席不足 under-staffed\n");
	if (p >= 0) {
		staff_span(r, p, start, end, sizeof start);
		printf("peak interval 高峰时段 %s-%s: %llu calls, %.2f erlangs, need %d (Erlang %c)\n",
		    start, end, (unsigned long long)staff_offered(&r->iv[p].c), r->iv[p].erlangs,
		    staff_required(&r->iv[p]), r->iv[p].required_a >= 0 ? 'A' : 'C');
	}
	if (!isnan(d->seats_peak))
		printf("seats logged in 在线座席: peak %.0f, mean %.2f; %d interval%s under-staffed\n",
		    d->seats_peak, d->seats_mean, d->understaffed, d->understaffed == 1 ? "" : "s");
	if (!isnan(r->req->population))
		staff_table_per_100k(r);
}

static int
staff_print_table(const struct staff_report *r)
{
	char label[16], end[8];

	staff_table_head(r);
	for (int i = 0; i < r->nintervals; i++) {
		staff_span(r, i, label, end, sizeof end);
		strcat(label, "-");
		strcat(label, end);
		staff_table_row(label, &r->iv[i].c, r->iv[i].aht_s, r->iv[i].patience_s,
		    &r->iv[i]);
	}
	staff_table_day(r);
	return 0;
}

/* ---- entry ---- */

static int
staff_from_redis(const struct rx_staff_request *req, struct rx_staffing_minute *out,
    int32_t *day)
{
	struct rx_staffing_days *days = rx_staffing_days_new();
	struct rx_staffing_minute *m;
	int rc;

	if (days == NULL) {
		fprintf(stderr, "rexian staff: out of memory\n");
		return 1;
	}
	rc = rx_staff_redis_read(req, days, day);
	if (rc == 0 && (m = rx_staffing_days_get(days, *day, false)) != NULL)
		memcpy(out, m, RX_STAFFING_DAY_MINUTES * sizeof *out);
	rx_staffing_days_free(days);
	return rc;
}

int
rx_staff_measured(const struct rx_staff_request *req)
{
	struct rx_staffing_minute *m = malloc(RX_STAFFING_DAY_MINUTES * sizeof *m);
	struct staff_report *r = malloc(sizeof *r);
	int rc;

	if (m == NULL || r == NULL) {
		fprintf(stderr, "rexian staff: out of memory\n");
		rc = 1;
		goto done;
	}
	if (rx_tz_init(req->timezone) != 0) {
		fprintf(stderr, "rexian staff: unknown time zone '%s'\n", req->timezone);
		rc = 2;
		goto done;
	}
	rx_staffing_minutes_clear(m, RX_STAFFING_DAY_MINUTES);
	*r = (struct staff_report){ .req = req, .day = req->date };
	rc = req->from != NULL ? staff_from_file(req, m, &r->day) :
	    staff_from_redis(req, m, &r->day);
	if (rc != 0)
		goto done;
	staff_size(r, m);
	rc = req->format == RX_STAFF_JSON ? staff_print_json(r) :
	    req->format == RX_STAFF_CSV ? staff_print_csv(r) : staff_print_table(r);
done:
	free(r);
	free(m);
	return rc;
}
