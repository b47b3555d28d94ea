/*
 * table.c: the replay report as a text table.
 */
#include "rexian/table.h"

#include <string.h>

static const char *const header =
    "%-24s %9s %9s %9s %9s %9s %9s %9s %9s %9s %10s %6s\n";

static void cell_pct(char *b, size_t n, const struct rx_metric *m)
{
	if (m->type == RX_METRIC_NULL)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.2f%%", m->real * 100);
}

static void cell_s(char *b, size_t n, const struct rx_metric *m)
{
	if (m->type == RX_METRIC_NULL)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.2f s", m->real);
}

static void table_row(FILE *out, const char *label, const struct rx_stats *st)
{
	struct rx_counters zero = RX_COUNTERS_INIT;
	struct rx_metric m[RX_METRICS_COUNT];
	char sl[16], conn[16], aband[16], wait[16], talk[16], lng[16], mx[16];

	rx_metrics_derive(st ? &st->c : &zero, m);
	cell_pct(sl, sizeof sl, &m[4]);
	cell_pct(conn, sizeof conn, &m[5]);
	cell_pct(aband, sizeof aband, &m[6]);
	cell_s(wait, sizeof wait, &m[7]);
	cell_s(talk, sizeof talk, &m[9]);
	cell_pct(lng, sizeof lng, &m[10]);
	cell_s(mx, sizeof mx, &m[11]);
	fprintf(out, "%-24s %9llu %9llu %9llu %9s %9s %9s %9s %9s %9s %10s %6llu\n", label,
	    (unsigned long long)m[0].count, (unsigned long long)m[1].count,
	    (unsigned long long)m[2].count, sl, conn, aband, wait, talk, lng, mx,
	    (unsigned long long)m[12].count);
}

static void table_scopes(FILE *out, const struct rx_engine *e, enum rx_window_id win,
    enum rx_scope_type type, const char *title)
{
	uint32_t n = rx_scopes_count(e->scopes);
	bool any = false;
	char label[128];

	for (uint32_t i = 0; i < n; i++) {
		const struct rx_scope *sc = rx_scopes_at(e->scopes, i);
		if (sc->type != type)
			continue;
		if (!any)
			fprintf(out, "%s\n", title);
		any = true;
		snprintf(label, sizeof label, "  %s", rx_names_str(e->names, sc->name));
		table_row(out, label, rx_windows_get(e->windows, win, i));
	}
}

void rx_table_print(FILE *out, const struct rx_engine *e, enum rx_window_id win,
    const struct rx_ingest_stats *in)
{
	const struct rx_calltrack_stats *ct = rx_calltrack_stats(e->calls);

	fprintf(out, "输入 ingest: %llu lines, %llu events, %llu errors, %llu duplicates, "
	    "%llu orphans, %llu clock skew, %llu late\n\n",
	    (unsigned long long)in->lines, (unsigned long long)in->events,
	    (unsigned long long)in->errors, (unsigned long long)ct->duplicates,
	    (unsigned long long)ct->orphans, (unsigned long long)ct->clock_skew,
	    (unsigned long long)ct->late);
	fprintf(out, "%s", "范围                       人工请求   人工接听     放弃  30秒接通率   接通率    放弃率   平均等待   平均通话  超10分钟   最大通话   滞留\n");
	fprintf(out, header, "scope", "offered", "answered", "abandoned", "SL 30s", "connect",
	    "abandon", "avg wait", "avg talk", "talk>10m", "max talk", "stale");
	table_row(out, "全部 global (inbound)", rx_windows_get(e->windows, win, RX_SCOPE_GLOBAL_INDEX));
	table_scopes(out, e, win, RX_SCOPE_QUEUE, "队列 queues");
	table_scopes(out, e, win, RX_SCOPE_PLATFORM, "平台 platforms");
	table_row(out, "呼出 outbound", rx_windows_get(e->windows, win, RX_SCOPE_OUTBOUND_INDEX));
	table_scopes(out, e, win, RX_SCOPE_SEAT, "座席 seats");
}
