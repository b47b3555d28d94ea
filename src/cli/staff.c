/*
 * staff.c: `rexian staff`, the seat-sizing calculator. It reads one interval's forecast from
 * its flags (calls, interval length, handling time, the service-level goal and, for Erlang A,
 * the callers' mean patience), sizes it with the formulas of src/core/erlang.c, and prints a
 * bilingual table for the seat scheduler or one JSON object for scripts. With --from or
 * --redis it is the measured mode instead (staff_measured.c): the same flags for the goal,
 * but the calls, handling time and patience come from a day of the feed. Flags of one mode
 * given to the other are refused, so that nobody mistakes a forecast for a measurement.
 */
#include "rexian/cli.h"
#include "rexian/erlang.h"
#include "rexian/scope.h"
#include "staff_measured.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAFF_EXIT_USAGE 2
#define STAFF_LABEL_COLS 30 /* display columns of the table's label column */

#define STAFF_MEASURED_TARGET 0.95 /* rexiand's service-level target, for the same answers */
#define STAFF_MEASURED_WITHIN 30.0 /* the published 30-second answer rate */

/* The parsed flags; NAN marks a value not given. */
struct staff_opts {
	double calls, interval_s, aht_s, target, within_s;
	double patience_s, max_abandon, max_occupancy, shrinkage;
	int    json;
	double acw_s, population;
	struct rx_staff_request measured; /* from and redis NULL: the calculator */
};

struct staff_answer {
	double                  erlangs, population; /* population NAN: none given */
	struct rx_erlang_result c, a;
	int                     have_a, sched_c, sched_a;
};

enum staff_flag {
	STAFF_CALLS = 256, STAFF_INTERVAL, STAFF_AHT, STAFF_TARGET, STAFF_WITHIN, STAFF_PATIENCE,
	STAFF_MAX_ABANDON, STAFF_MAX_OCCUPANCY, STAFF_SHRINKAGE, STAFF_JSON, STAFF_ACW,
	STAFF_POPULATION, STAFF_FROM, STAFF_REDIS, STAFF_PREFIX, STAFF_DATE, STAFF_LENGTH,
	STAFF_SCOPE, STAFF_TIMEZONE, STAFF_CSV,
};

static const struct option staff_options[] = {
	{ "calls", required_argument, NULL, STAFF_CALLS },
	{ "interval-s", required_argument, NULL, STAFF_INTERVAL },
	{ "aht-s", required_argument, NULL, STAFF_AHT },
	{ "target", required_argument, NULL, STAFF_TARGET },
	{ "within-s", required_argument, NULL, STAFF_WITHIN },
	{ "patience-s", required_argument, NULL, STAFF_PATIENCE },
	{ "max-abandon", required_argument, NULL, STAFF_MAX_ABANDON },
	{ "max-occupancy", required_argument, NULL, STAFF_MAX_OCCUPANCY },
	{ "shrinkage", required_argument, NULL, STAFF_SHRINKAGE },
	{ "json", no_argument, NULL, STAFF_JSON },
	{ "population", required_argument, NULL, STAFF_POPULATION },
	{ "help", no_argument, NULL, 'h' },
	/* the measured mode */
	{ "from", required_argument, NULL, STAFF_FROM },
	{ "redis", required_argument, NULL, STAFF_REDIS },
	{ "prefix", required_argument, NULL, STAFF_PREFIX },
	{ "date", required_argument, NULL, STAFF_DATE },
	{ "interval", required_argument, NULL, STAFF_LENGTH },
	{ "scope", required_argument, NULL, STAFF_SCOPE },
	{ "timezone", required_argument, NULL, STAFF_TIMEZONE },
	{ "acw-s", required_argument, NULL, STAFF_ACW },
	{ "csv", no_argument, NULL, STAFF_CSV },
	{ NULL, 0, NULL, 0 },
};

static void
staff_usage(FILE *f)
{
	fputs("usage: rexian staff --calls N --interval-s S --aht-s H --target P --within-s T\n"
	    "                    [--patience-s M] [--max-abandon F] [--max-occupancy F]\n"
	    "                    [--shrinkage F] [--population N] [--json]\n"
	    "       rexian staff --from FILE | --redis URL [--prefix P] [--date YYYY-MM-DD]\n"
	    "                    [--interval 30m] [--scope SCOPE] [--target P --within-s T]\n"
	    "                    [--acw-s S] [--patience-s M] [--max-abandon F]\n"
	    "                    [--max-occupancy F] [--population N] [--timezone ZONE]\n"
	    "                    [--csv | --json]\n"
	    "Seats one interval needs to answer P of its calls within T seconds; or, measured\n"
	    "from a day of the feed, what each interval needed next to the seats logged in.\n"
	    "  --calls N          calls offered in the interval (来电量)\n"
	    "  --interval-s S     interval length in seconds, e.g. 1800 for half an hour\n"
	    "  --aht-s H          mean handling time in seconds (平均处理时长)\n"
	    "  --target P         service level wanted: 0.8 or 80%\n"
	    "  --within-s T       answer threshold in seconds (e.g. 20 or 30)\n"
	    "  --patience-s M     mean caller patience in seconds: adds Erlang A (hang-ups)\n"
	    "  --max-abandon F    Erlang A ceiling on P(abandon), default 0.05\n"
	    "  --max-occupancy F  at least A / F agents, e.g. 0.85\n"
	    "  --shrinkage F      scheduled seats = ceil(agents / (1 - F)), default 0\n"
	    "  --population N     residents (常住人口), e.g. 3.21e6: seats per 100,000\n"
	    "  --json             print one JSON object instead of the table\n"
	    "Measured mode (实测):\n"
	    "  --from FILE        NDJSON feed file (- for stdin), run as rexian replay runs it\n"
	    "  --redis URL        rexiand's Redis: redis://[[user]:password@]host:port[/db]\n"
	    "                     or unix:///path[?db=N]; --prefix P (default rexian)\n"
	    "  --date YYYY-MM-DD  local day (default: the day with the most calls; from Redis,\n"
	    "                     the busier of rexiand's current day and the day before)\n"
	    "  --interval L       interval length: 30m (default), 15m, 1h, ...; divides a day\n"
	    "  --scope S          global (default), queue:NAME, platform:NAME, seat:ID\n"
	    "  --target, --within-s  the goal; default 95% within 30 s, as rexiand's\n"
	    "  --acw-s S          after-call work added to the measured talk time (default 0)\n"
	    "  --patience-s M     size Erlang A on M, not on the day's measured patience\n"
	    "  --timezone ZONE    local days and intervals (default Asia/Shanghai)\n"
	    "  --csv              one CSV row per interval instead of the table\n", f);
}

static int
staff_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("rexian staff: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return STAFF_EXIT_USAGE;
}

/* A finite number and nothing else; a trailing '%' divides by 100 where allowed. */
static int
staff_number(const char *text, int allow_percent, double *out)
{
	char  *end;
	double v = strtod(text, &end);

	if (end == text || !isfinite(v))
		return -1;
	if (allow_percent && *end == '%') {
		v /= 100.0;
		end++;
	}
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static const char *
staff_flag_name(int flag)
{
	for (const struct option *o = staff_options; o->name != NULL; o++)
		if (o->val == flag)
			return o->name;
	return "?";
}

/* Stores one flag's value, checking its range; returns 0 or an exit status. */
static int
staff_set(struct staff_opts *o, int flag, const char *text)
{
	double v;
	int    ok;

	if (staff_number(text, flag == STAFF_TARGET, &v) != 0)
		return staff_fail("--%s needs a number, not '%s'", staff_flag_name(flag), text);
	switch (flag) {
	case STAFF_CALLS:         ok = v >= 0; o->calls = v; break;
	case STAFF_INTERVAL:      ok = v > 0; o->interval_s = v; break;
	case STAFF_AHT:           ok = v > 0; o->aht_s = v; break;
	case STAFF_TARGET:        ok = v > 0 && v < 1; o->target = v; break;
	case STAFF_WITHIN:        ok = v >= 0; o->within_s = v; break;
	case STAFF_PATIENCE:      ok = v > 0; o->patience_s = v; break;
	case STAFF_MAX_ABANDON:   ok = v > 0 && v <= 1; o->max_abandon = v; break;
	case STAFF_MAX_OCCUPANCY: ok = v > 0 && v <= 1; o->max_occupancy = v; break;
	case STAFF_SHRINKAGE:     ok = v >= 0 && v < 1; o->shrinkage = v; break;
	case STAFF_ACW:           ok = v >= 0; o->acw_s = v; break;
	case STAFF_POPULATION:    ok = v > 0; o->population = v; break;
	default:                  ok = 0; break;
	}
	if (!ok)
		return staff_fail("--%s %s is out of range (see rexian staff --help)",
		    staff_flag_name(flag), text);
	return 0;
}

/* Reports what getopt_long refused: argv[optind - 1] is the offending word. */
static int
staff_refuse(int argc, char **argv, int c)
{
	const char *word = optind - 1 < argc ? argv[optind - 1] : "?";

	if (c == ':')
		return staff_fail("%s needs a value", word);
	return staff_fail("unknown option '%s' (see rexian staff --help)", word);
}

static int
staff_length_minutes(double seconds, int *minutes)
{
	double m = seconds / 60;

	if (!(m >= 1) || m > RX_STAFFING_DAY_MINUTES || m != floor(m) ||
	    RX_STAFFING_DAY_MINUTES % (int)m != 0)
		return -1;
	*minutes = (int)m;
	return 0;
}

/* YYYY-MM-DD, a real calendar day, into YYYYMMDD. */
static int
staff_parse_date(const char *text, int32_t *out)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, n = 0;

	if (sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || text[n] != '\0')
		return -1;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)))
		return -1;
	*out = y * 10000 + m * 100 + d;
	return 0;
}

/* 30m, 1h, 1800s or a bare number of minutes; whole minutes that divide a day. */
static int
staff_parse_length(const char *text, int *minutes)
{
	char  *end;
	double v = strtod(text, &end), unit = 60;

	if (end == text || !isfinite(v))
		return -1;
	if (*end == 'h')
		unit = 3600;
	else if (*end == 's')
		unit = 1;
	if (*end == 'h' || *end == 'm' || *end == 's')
		end++;
	return *end == '\0' ? staff_length_minutes(v * unit, minutes) : -1;
}

#define STAFF_BIT(flag) (1u << ((flag) - STAFF_CALLS))

/* Measured-mode flags: meaningless without --from or --redis. */
static const int staff_measured_only[] = {
	STAFF_PREFIX, STAFF_DATE, STAFF_LENGTH, STAFF_SCOPE, STAFF_TIMEZONE, STAFF_CSV, STAFF_ACW,
};
/* Calculator flags whose value the measured mode measures instead. */
static const int staff_forecast_only[] = { STAFF_CALLS, STAFF_AHT, STAFF_SHRINKAGE };

static int
staff_check_calculator(const struct staff_opts *o, unsigned given)
{
	const struct { double value; const char *name; } required[] = {
		{ o->calls, "--calls" }, { o->interval_s, "--interval-s" }, { o->aht_s, "--aht-s" },
		{ o->target, "--target" }, { o->within_s, "--within-s" },
	};

	for (size_t i = 0; i < sizeof staff_measured_only / sizeof staff_measured_only[0]; i++)
		if (given & STAFF_BIT(staff_measured_only[i]))
			return staff_fail("--%s needs --from or --redis (the measured mode)",
			    staff_flag_name(staff_measured_only[i]));
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (isnan(required[i].value))
			return staff_fail("%s is required (see rexian staff --help)",
			    required[i].name);
	if (!isnan(o->max_abandon) && isnan(o->patience_s))
		return staff_fail("--max-abandon needs --patience-s (it bounds Erlang A)");
	return 0;
}

static int
staff_check_measured(struct staff_opts *o, unsigned given)
{
	struct rx_staff_request *m = &o->measured;

	if (m->from != NULL && m->redis != NULL)
		return staff_fail("give --from or --redis, not both");
	if ((given & STAFF_BIT(STAFF_PREFIX)) && m->redis == NULL)
		return staff_fail("--prefix goes with --redis");
	for (size_t i = 0; i < sizeof staff_forecast_only / sizeof staff_forecast_only[0]; i++)
		if (given & STAFF_BIT(staff_forecast_only[i]))
			return staff_fail("--%s is the calculator's: the measured mode measures it",
			    staff_flag_name(staff_forecast_only[i]));
	if (o->json && m->format == RX_STAFF_CSV)
		return staff_fail("give --csv or --json, not both");
	if (!isnan(o->interval_s) && ((given & STAFF_BIT(STAFF_LENGTH)) ||
	    staff_length_minutes(o->interval_s, &m->interval_min) != 0))
		return staff_fail("--interval-s %g: give one interval length, whole minutes that "
		    "divide a day", o->interval_s);
	if (o->json)
		m->format = RX_STAFF_JSON;
	m->goal = (struct rx_erlang_goal){ isnan(o->target) ? STAFF_MEASURED_TARGET : o->target,
	    isnan(o->within_s) ? STAFF_MEASURED_WITHIN : o->within_s,
	    isnan(o->max_abandon) ? 0.05 : o->max_abandon, o->max_occupancy };
	m->acw_s = o->acw_s;
	m->patience_s = o->patience_s;
	m->population = o->population;
	return 0;
}

/* The measured mode's text flags; returns 0 or an exit status. */
static int
staff_set_text(struct staff_opts *o, int flag, const char *text)
{
	struct rx_staff_request *m = &o->measured;
	enum rx_scope_type type;
	const char *name;

	switch (flag) {
	case STAFF_FROM:     m->from = text; return 0;
	case STAFF_REDIS:    m->redis = text; return 0;
	case STAFF_PREFIX:   m->prefix = text; return 0;
	case STAFF_TIMEZONE: m->timezone = text; return 0;
	case STAFF_CSV:      m->format = RX_STAFF_CSV; return 0;
	case STAFF_DATE:
		if (staff_parse_date(text, &m->date) == 0)
			return 0;
		return staff_fail("--date %s: want a day as YYYY-MM-DD", text);
	case STAFF_LENGTH:
		if (staff_parse_length(text, &m->interval_min) == 0)
			return 0;
		return staff_fail("--interval %s: want whole minutes that divide a day (30m, 1h)",
		    text);
	case STAFF_SCOPE:
		if (rx_scope_parse(text, &type, &name) == 0 && (name == NULL || *name != '\0')) {
			m->scope = text;
			return 0;
		}
		return staff_fail("--scope %s: want global, queue:NAME, platform:NAME or seat:ID",
		    text);
	default:
		return staff_set(o, flag, text);
	}
}

static void
staff_defaults(struct staff_opts *o)
{
	*o = (struct staff_opts){ NAN, NAN, NAN, NAN, NAN, NAN, NAN, 1.0, 0.0, 0, 0.0, NAN,
	    { 0 } };
	o->measured = (struct rx_staff_request){ .prefix = "rexian", .scope = "global",
	    .timezone = "Asia/Shanghai", .interval_min = 30, .format = RX_STAFF_TABLE };
}

/* Returns 0 to go on, -1 after --help, or an exit status. */
static int
staff_parse(int argc, char **argv, struct staff_opts *o)
{
	unsigned given = 0;
	int c, rc, idx = 0;

	staff_defaults(o);
	optind = 0; /* glibc and musl: start afresh, whatever main parsed before */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", staff_options, &idx)) != -1) {
		if (c == 'h') {
			staff_usage(stdout);
			return -1;
		}
		if (c == '?' || c == ':')
			return staff_refuse(argc, argv, c);
		given |= STAFF_BIT(c);
		if (c == STAFF_JSON)
			o->json = 1;
		else if ((rc = staff_set_text(o, c, optarg)) != 0)
			return rc;
	}
	if (optind < argc)
		return staff_fail("unexpected argument '%s'", argv[optind]);
	if (o->measured.from != NULL || o->measured.redis != NULL)
		return staff_check_measured(o, given);
	return staff_check_calculator(o, given);
}

static int
staff_compute(const struct staff_opts *o, struct staff_answer *ans)
{
	struct rx_erlang_load load;
	struct rx_erlang_goal goal = { o->target, o->within_s, 0.05, o->max_occupancy };

	ans->erlangs = rx_erlang_offered_load(o->calls, o->interval_s, o->aht_s);
	ans->population = o->population;
	load = (struct rx_erlang_load){ ans->erlangs, o->aht_s, o->patience_s };
	if (!isnan(o->max_abandon))
		goal.max_abandon = o->max_abandon;
	if (rx_erlang_c_size(&load, &goal, &ans->c) != 0)
		return staff_fail("cannot size %.6g erlangs (too large a load?)", ans->erlangs);
	ans->sched_c = rx_erlang_scheduled(ans->c.agents, o->shrinkage);
	ans->have_a = !isnan(o->patience_s);
	if (!ans->have_a)
		return 0;
	if (rx_erlang_a_size(&load, &goal, &ans->a) != 0)
		return staff_fail("cannot size %.6g erlangs with Erlang A", ans->erlangs);
	ans->sched_a = rx_erlang_scheduled(ans->a.agents, o->shrinkage);
	return 0;
}

static void
staff_json_result(const char *name, const struct rx_erlang_result *r, int with_abandon)
{
	printf("\"%s\":{\"agents\":%d,\"service_level\":%.9g,\"p_wait\":%.9g,", name, r->agents,
	    r->service_level, r->p_wait);
	if (with_abandon)
		printf("\"p_abandon\":%.9g,", r->p_abandon);
	printf("\"asa_s\":%.9g,\"occupancy\":%.9g}", r->asa_s, r->occupancy);
}

static void
staff_print_json(const struct staff_answer *ans)
{
	printf("{\"erlangs\":%.9g,", ans->erlangs);
	staff_json_result("erlang_c", &ans->c, 0);
	if (ans->have_a) {
		putchar(',');
		staff_json_result("erlang_a", &ans->a, 1);
	}
	printf(",\"scheduled\":{\"erlang_c\":%d", ans->sched_c);
	if (ans->have_a)
		printf(",\"erlang_a\":%d", ans->sched_a);
	putchar('}');
	if (!isnan(ans->population)) {
		printf(",\"population\":%.9g,\"seats_per_100k\":{\"erlang_c\":%.2f",
		    ans->population, rx_erlang_seats_per_100k(ans->c.agents, ans->population));
		if (ans->have_a)
			printf(",\"erlang_a\":%.2f",
			    rx_erlang_seats_per_100k(ans->a.agents, ans->population));
		putchar('}');
	}
	puts("}");
}

/* Display columns of a UTF-8 label: CJK (3-byte) characters are two columns wide. */
static int
staff_label_width(const char *s)
{
	int w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80)
			w += 1;
		else if (*p >= 0xe0)
			w += 2;
	}
	return w;
}

/* One table row: the label padded to STAFF_LABEL_COLS, then the C and A cells. */
static void
staff_row(const char *label, const char *c_cell, const char *a_cell)
{
	int pad = STAFF_LABEL_COLS - staff_label_width(label);

	printf("%s%*s%12s", label, pad > 0 ? pad : 0, "", c_cell);
	if (a_cell != NULL)
		printf("%12s", a_cell);
	putchar('\n');
}

static void
staff_row_pct(const char *label, double c, double a, int have_a)
{
	char cc[32], ac[32];

	snprintf(cc, sizeof cc, "%.2f%%", 100 * c);
	snprintf(ac, sizeof ac, "%.2f%%", 100 * a);
	staff_row(label, cc, have_a ? ac : NULL);
}

static void
staff_print_table(const struct staff_opts *o, const struct staff_answer *ans)
{
	const struct rx_erlang_result *c = &ans->c, *a = &ans->a;
	char cc[32], ac[32];
	int  ha = ans->have_a;

	printf("rexian staff 座席测算: %g calls / %g s, AHT %g s, target %g%% within %g s\n",
	    o->calls, o->interval_s, o->aht_s, 100 * o->target, o->within_s);
	printf("offered load 话务量: %.3f erlangs", ans->erlangs);
	if (ha)
		printf(", mean patience 平均耐心 %g s", o->patience_s);
	printf("\n\n");
	staff_row("", "Erlang C", ha ? "Erlang A" : NULL);
	snprintf(cc, sizeof cc, "%d", c->agents);
	snprintf(ac, sizeof ac, "%d", a->agents);
	staff_row("agents 座席数", cc, ha ? ac : NULL);
	staff_row_pct("service level 服务水平", c->service_level, a->service_level, ha);
	staff_row_pct("P(wait) 排队概率", c->p_wait, a->p_wait, ha);
	if (ha) {
		snprintf(ac, sizeof ac, "%.2f%%", 100 * a->p_abandon);
		staff_row("P(abandon) 放弃率", "-", ac); /* Erlang C assumes nobody hangs up */
	}
	snprintf(cc, sizeof cc, "%.2f s", c->asa_s);
	snprintf(ac, sizeof ac, "%.2f s", a->asa_s);
	staff_row("ASA 平均应答速度", cc, ha ? ac : NULL);
	staff_row_pct("occupancy 占用率", c->occupancy, a->occupancy, ha);
	snprintf(cc, sizeof cc, "%d", ans->sched_c);
	snprintf(ac, sizeof ac, "%d", ans->sched_a);
	staff_row("scheduled seats 排班座席", cc, ha ? ac : NULL);
	if (!isnan(ans->population)) {
		snprintf(cc, sizeof cc, "%.2f", rx_erlang_seats_per_100k(c->agents, ans->population));
		snprintf(ac, sizeof ac, "%.2f", rx_erlang_seats_per_100k(a->agents, ans->population));
		staff_row("per 100,000 residents 每十万人", cc, ha ? ac : NULL);
	}
	if (o->shrinkage > 0)
		printf("(scheduled = agents / (1 - shrinkage %g%%))\n", 100 * o->shrinkage);
	if (ha)
		printf("Erlang A counts hang-ups as not answered in time; P(abandon) <= %g%%.\n",
		    100 * (isnan(o->max_abandon) ? 0.05 : o->max_abandon));
}

int
rx_cmd_staff(int argc, char **argv)
{
	struct staff_opts   o;
	struct staff_answer ans = { 0 };
	int                 rc;

	if ((rc = staff_parse(argc, argv, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if (o.measured.from != NULL || o.measured.redis != NULL)
		return rx_staff_measured(&o.measured);
	if ((rc = staff_compute(&o, &ans)) != 0)
		return rc;
	if (o.json)
		staff_print_json(&ans);
	else
		staff_print_table(&o, &ans);
	return 0;
}
