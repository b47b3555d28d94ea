/*
 * journal.c: the event journal: canonical lines out, daily files, replay on start.
 */
#include "rexian/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rexian/jsonw.h"
#include "rexian/log.h"
#include "rexian/tz.h"

#define JOURNAL_PREFIX "rexian-"
#define JOURNAL_SUFFIX ".ndjson"

struct rx_journal {
	char dir[512];
	int keep_days;
	enum rx_journal_sync sync;
	FILE *f;
	int32_t day;              /* YYYYMMDD of the open file */
	struct rx_tz tz;
	struct rx_jsonw line;
	struct rx_journal_stats stats;
	uint64_t unflushed;       /* events appended since the last good flush */
	bool retry;               /* failing: the next append may reopen the file */
};

static void put_name(struct rx_jsonw *w, const char *key, struct rx_str s)
{
	if (s.len == 0)
		return;
	rx_jsonw_key(w, key);
	rx_jsonw_str(w, s.p, s.len);
}

static int journal_format_into(struct rx_jsonw *w, const struct rx_event *ev)
{
	char ts[32];
	int64_t ms = ev->ts_ms;

	snprintf(ts, sizeof ts, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
	rx_jsonw_reset(w);
	rx_jsonw_open(w, '{');
	rx_jsonw_key(w, "ts");
	rx_jsonw_number_text(w, ts);
	rx_jsonw_key(w, "event");
	rx_jsonw_cstr(w, rx_event_kind_name(ev->kind));
	put_name(w, "call", ev->call);
	put_name(w, "queue", ev->queue);
	put_name(w, "platform", ev->platform);
	put_name(w, "seat", ev->seat);
	put_name(w, "outcome", ev->outcome);
	put_name(w, "caller", ev->caller);   /* a pseudonym, never the number */
	if (ev->kind == RX_EV_SEAT) {
		rx_jsonw_key(w, "state");
		rx_jsonw_cstr(w, rx_seat_state_name(ev->seat_state));
	}
	if (ev->outbound) {
		rx_jsonw_key(w, "direction");
		rx_jsonw_cstr(w, "out");
	}
	rx_jsonw_close(w, '}');
	return w->failed ? -1 : (int)w->len;
}

int rx_journal_format(const struct rx_event *ev, char *buf, size_t size)
{
	struct rx_jsonw w;
	int n;

	rx_jsonw_init(&w);
	n = journal_format_into(&w, ev);
	if (n >= 0 && (size_t)n < size)
		memcpy(buf, w.buf, (size_t)n + 1);
	else
		n = -1;
	rx_jsonw_release(&w);
	return n;
}

/* ---- files ---- */

static bool journal_name_day(const char *name, int32_t *day)
{
	size_t n = strlen(name);
	char *end;
	long v;

	if (n != strlen(JOURNAL_PREFIX) + 8 + strlen(JOURNAL_SUFFIX) ||
	    strncmp(name, JOURNAL_PREFIX, strlen(JOURNAL_PREFIX)) != 0 ||
	    strcmp(name + n - strlen(JOURNAL_SUFFIX), JOURNAL_SUFFIX) != 0)
		return false;
	v = strtol(name + strlen(JOURNAL_PREFIX), &end, 10);
	if (end != name + strlen(JOURNAL_PREFIX) + 8)
		return false;
	*day = (int32_t)v;
	return true;
}

static int day_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* The days that have a journal file, sorted; caller frees. */
static int32_t *journal_days(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int32_t *days = NULL, day;
	size_t cap = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (!journal_name_day(de->d_name, &day))
			continue;
		if (*n == cap) {
			int32_t *p = realloc(days, (cap = cap ? cap * 2 : 16) * sizeof *p);
			if (p == NULL)
				break;
			days = p;
		}
		days[(*n)++] = day;
	}
	closedir(d);
	if (*n > 1)   /* days is NULL when empty, and qsort's base must not be */
		qsort(days, *n, sizeof *days, day_cmp);
	return days;
}

static void journal_path(const char *dir, int32_t day, char *out, size_t size)
{
	snprintf(out, size, "%s/" JOURNAL_PREFIX "%08d" JOURNAL_SUFFIX, dir, (int)day);
}

/* Keeps the newest keep_days files (the open one included). */
static void journal_prune(struct rx_journal *j)
{
	size_t n;
	int32_t *days = journal_days(j->dir, &n);
	char path[600];

	for (size_t i = 0; days != NULL && i + (size_t)j->keep_days < n; i++) {
		journal_path(j->dir, days[i], path, sizeof path);
		if (unlink(path) == 0)
			j->stats.files_removed++;
	}
	free(days);
}

static int journal_open_day(struct rx_journal *j, int32_t day)
{
	char path[600];
	FILE *f;

	journal_path(j->dir, day, path, sizeof path);
	if ((f = fopen(path, "a+")) == NULL)
		return -1;
	/* a crash mid-write leaves a torn last line: end it, so the next event starts clean */
	if (fseek(f, -1, SEEK_END) == 0 && fgetc(f) != '\n')
		fputc('\n', f);
	fseek(f, 0, SEEK_END);
	if (j->f != NULL)
		fclose(j->f);
	j->f = f;
	j->day = day;
	journal_prune(j);
	return 0;
}

struct rx_journal *rx_journal_open(const char *dir, int keep_days, enum rx_journal_sync sync,
    char *err, size_t errlen)
{
	struct rx_journal *j = calloc(1, sizeof *j);
	char probe[600];
	int fd;

	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(j->dir, sizeof j->dir, "%s", dir);
	j->keep_days = keep_days < 1 ? 1 : keep_days;
	j->sync = sync;
	rx_tz_reset(&j->tz);
	rx_jsonw_init(&j->line);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create journal directory %s: %s", dir, strerror(errno));
		free(j);
		return NULL;
	}
	snprintf(probe, sizeof probe, "%s/.rexian-write-test", dir);
	if ((fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0640)) < 0) {
		snprintf(err, errlen, "cannot write in journal directory %s: %s", dir, strerror(errno));
		free(j);
		return NULL;
	}
	close(fd);
	unlink(probe);
	return j;
}

void rx_journal_close(struct rx_journal *j)
{
	if (j == NULL)
		return;
	rx_journal_flush(j);
	if (j->f != NULL)
		fclose(j->f);
	rx_jsonw_release(&j->line);
	free(j);
}

/* A failed write or flush: logged once per episode, and the file is let go, so that the
 * next try reopens it (ending a torn line) instead of writing after a half-written one. */
static void journal_failed(struct rx_journal *j, const char *what)
{
	j->stats.write_errors++;
	j->stats.last_errno = errno;
	if (!j->stats.failing)
		rx_log(RX_LOG_ERROR, "journal: %s in %s: %s; counting goes on, but a restart now "
		    "would lose events", what, j->dir, strerror(errno));
	j->stats.failing = true;
	j->retry = false;
	j->unflushed = 0;
	if (j->f != NULL) {
		fclose(j->f);   /* its unwritable buffer goes with it */
		j->f = NULL;
	}
}

int rx_journal_append(struct rx_journal *j, const struct rx_event *ev)
{
	int32_t day;
	int n;

	rx_tz_day_start(&j->tz, ev->ts_ms, &day);
	/* while failing, one reopen per heartbeat, not one per event */
	if (j->f == NULL && j->stats.failing && !j->retry) {
		j->stats.write_errors++;
		return -1;
	}
	/* a late event from the day before goes to the open (or last) file: replay reorders it */
	if ((j->f == NULL || day > j->day) && journal_open_day(j, day > j->day ? day : j->day) != 0) {
		journal_failed(j, "cannot open the day's file");
		return -1;
	}
	if ((n = journal_format_into(&j->line, ev)) < 0)
		return -1;
	j->line.buf[n] = '\n';
	if (fwrite(j->line.buf, 1, (size_t)n + 1, j->f) != (size_t)n + 1) {
		j->line.buf[n] = '\0';
		journal_failed(j, "write failed");
		return -1;
	}
	j->line.buf[n] = '\0';
	j->stats.appended++;
	j->unflushed++;
	if (j->sync == RX_JOURNAL_SYNC_ALWAYS)
		rx_journal_flush(j);
	return 0;
}

void rx_journal_flush(struct rx_journal *j)
{
	j->retry = j->stats.failing;
	if (j->f == NULL)
		return;
	if (fflush(j->f) != 0 || (j->sync != RX_JOURNAL_SYNC_NEVER && fsync(fileno(j->f)) != 0)) {
		journal_failed(j, "flush failed");
		return;
	}
	/* recovered only when events were written out: an empty flush proves nothing, and
	 * believing it would flap (and log) at every quiet heartbeat of a full disk */
	if (j->stats.failing && j->unflushed > 0) {
		rx_log(RX_LOG_INFO, "journal: writing again in %s", j->dir);
		j->stats.failing = false;
	}
	j->unflushed = 0;
}

const struct rx_journal_stats *rx_journal_stats(const struct rx_journal *j)
{
	return &j->stats;
}

int rx_journal_replay(const char *dir, rx_feed_event_cb on_event, rx_feed_error_cb on_error,
    void *arg)
{
	size_t n;
	int32_t *days = journal_days(dir, &n);
	char path[600], *buf = malloc(1 << 20);
	int files = 0;

	if (buf == NULL) {
		free(days);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct rx_feed *feed = rx_feed_new(on_event, on_error, arg);
		FILE *f;
		size_t got;
		journal_path(dir, days[i], path, sizeof path);
		if (feed == NULL || (f = fopen(path, "r")) == NULL) {
			rx_feed_free(feed);
			continue;
		}
		while ((got = fread(buf, 1, 1 << 20, f)) > 0)
			rx_feed_push(feed, buf, got);
		rx_feed_finish(feed);   /* a torn last line (a crash mid-write) is one error */
		fclose(f);
		rx_feed_free(feed);
		files++;
	}
	free(buf);
	free(days);
	return files;
}
