/*
 * staff.c: `rexian staff`, the seat-sizing calculator. It reads one interval's forecast from
 * its flags (calls, interval length, handling time, the service-level goal and, for Erlang A,
 * the callers' mean patience), sizes it with the formulas of src/core/erlang.c, and prints a
 * bilingual table for the seat scheduler or one JSON object for scripts. The measured mode
 * (sizing a day from the feed or Redis) is not built yet; its flags are recognised and refused
 * so that nobody mistakes a forecast for a measurement.
 */
#include "rexian/cli.h"
#include "rexian/erlang.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAFF_EXIT_USAGE 2
#define STAFF_LABEL_COLS 30 /* display columns of the table's label column */

/* The parsed flags; NAN marks a value not given. */
struct staff_opts {
	double calls, interval_s, aht_s, target, within_s;
	double patience_s, max_abandon, max_occupancy, shrinkage;
	int    json;
};

struct staff_answer {
	double                  erlangs;
	struct rx_erlang_result c, a;
	int                     have_a, sched_c, sched_a;
};

enum staff_flag {
	STAFF_CALLS = 256, STAFF_INTERVAL, STAFF_AHT, STAFF_TARGET, STAFF_WITHIN, STAFF_PATIENCE,
	STAFF_MAX_ABANDON, STAFF_MAX_OCCUPANCY, STAFF_SHRINKAGE, STAFF_JSON, STAFF_MEASURED,
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
	{ "help", no_argument, NULL, 'h' },
	/* the measured mode of the seat-sizing issue, section 2 */
	{ "from", required_argument, NULL, STAFF_MEASURED },
	{ "redis", required_argument, NULL, STAFF_MEASURED },
	{ "date", required_argument, NULL, STAFF_MEASURED },
	{ "interval", required_argument, NULL, STAFF_MEASURED },
	{ "scope", required_argument, NULL, STAFF_MEASURED },
	{ "acw-s", required_argument, NULL, STAFF_MEASURED },
	{ "csv", no_argument, NULL, STAFF_MEASURED },
	{ NULL, 0, NULL, 0 },
};

static void
staff_usage(FILE *f)
{
	fputs("usage: rexian staff --calls N --interval-s S --aht-s H --target P --within-s T\n"
	    "                    [--patience-s M] [--max-abandon F] [--max-occupancy F]\n"
	    "                    [--shrinkage F] [--json]\n"
	    "Seats one interval needs to answer P of its calls within T seconds.\n"
	    "  --calls N          calls offered in the interval (来电量)\n"
	    "  --interval-s S     interval length in seconds, e.g. 1800 for half an hour\n"
	    "  --aht-s H          mean handling time in seconds (平均处理时长)\n"
	    "  --target P         service level wanted: 0.8 or 80%\n"
	    "  --within-s T       answer threshold in seconds (e.g. 20 or 30)\n"
	    "  --patience-s M     mean caller patience in seconds: adds Erlang A (hang-ups)\n"
	    "  --max-abandon F    Erlang A ceiling on P(abandon), default 0.05\n"
	    "  --max-occupancy F  at least A / F agents, e.g. 0.85\n"
	    "  --shrinkage F      scheduled seats = ceil(agents / (1 - F)), default 0\n"
	    "  --json             print one JSON object instead of the table\n", f);
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
	default:                  ok = 0; break;
	}
	if (!ok)
		return staff_fail("--%s %s is out of range (see rexian staff --help)",
		    staff_flag_name(flag), text);
	return 0;
}

/* Reports what getopt_long refused: argv[optind - 1] is the offending word, and a
 * measured-mode flag given without its value still deserves the measured-mode answer. */
static int
staff_refuse(int argc, char **argv, int c)
{
	const char *word = optind - 1 < argc ? argv[optind - 1] : "?";

	if (strncmp(word, "--", 2) == 0) {
		for (const struct option *o = staff_options; o->name != NULL; o++)
			if (o->val == STAFF_MEASURED && strcmp(word + 2, o->name) == 0)
				return staff_fail("measured mode is not available yet (%s)", word);
	}
	if (c == ':')
		return staff_fail("%s needs a value", word);
	return staff_fail("unknown option '%s' (see rexian staff --help)", word);
}

static int
staff_check_required(const struct staff_opts *o)
{
	const struct { double value; const char *name; } required[] = {
		{ o->calls, "--calls" }, { o->interval_s, "--interval-s" }, { o->aht_s, "--aht-s" },
		{ o->target, "--target" }, { o->within_s, "--within-s" },
	};

	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (isnan(required[i].value))
			return staff_fail("%s is required (see rexian staff --help)",
			    required[i].name);
	if (!isnan(o->max_abandon) && isnan(o->patience_s))
		return staff_fail("--max-abandon needs --patience-s (it bounds Erlang A)");
	return 0;
}

/* Returns 0 to go on, -1 after --help, or an exit status. */
static int
staff_parse(int argc, char **argv, struct staff_opts *o)
{
	int c, rc, idx = 0;

	*o = (struct staff_opts){ NAN, NAN, NAN, NAN, NAN, NAN, NAN, 1.0, 0.0, 0 };
	optind = 0; /* glibc and musl: start afresh, whatever main parsed before */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", staff_options, &idx)) != -1) {
		if (c == 'h') {
			staff_usage(stdout);
			return -1;
		}
		if (c == STAFF_MEASURED)
			return staff_fail("measured mode is not available yet (--%s)",
			    staff_options[idx].name);
		if (c == '?' || c == ':')
			return staff_refuse(argc, argv, c);
		if (c == STAFF_JSON)
			o->json = 1;
		else if ((rc = staff_set(o, c, optarg)) != 0)
			return rc;
	}
	if (optind < argc)
		return staff_fail("unexpected argument '%s'", argv[optind]);
	return staff_check_required(o);
}

static int
staff_compute(const struct staff_opts *o, struct staff_answer *ans)
{
	struct rx_erlang_load load;
	struct rx_erlang_goal goal = { o->target, o->within_s, 0.05, o->max_occupancy };

	ans->erlangs = rx_erlang_offered_load(o->calls, o->interval_s, o->aht_s);
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
	puts("}}");
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
	if ((rc = staff_compute(&o, &ans)) != 0)
		return rc;
	if (o.json)
		staff_print_json(&ans);
	else
		staff_print_table(&o, &ans);
	return 0;
}
