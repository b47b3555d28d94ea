/*
 * journal.h: rexiand's write-ahead record of accepted events, so that a restart (or a
 * kill -9) loses nothing: on start the journal is replayed through the engine, which
 * rebuilds calls in flight, every window and the dedup memory, exactly.
 *
 * One NDJSON file per local day, DIR/rexian-YYYYMMDD.ndjson, in the feed's own format
 * (so `rexian replay` reads the files as they are), without the caller's number. Events are
 * appended before they are counted and written out at every heartbeat (fsync per policy);
 * what a crash takes from the last heartbeat is what at-least-once senders re-send.
 * Files older than keep_days are deleted at rotation.
 */
#ifndef REXIAN_JOURNAL_H
#define REXIAN_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rexian/event.h"
#include "rexian/feed.h"

enum rx_journal_sync { RX_JOURNAL_SYNC_NEVER, RX_JOURNAL_SYNC_HEARTBEAT, RX_JOURNAL_SYNC_ALWAYS };

struct rx_journal_stats {
	uint64_t appended;
	uint64_t write_errors;    /* events or flushes that failed (disk full...) */
	bool failing;             /* the last write failed; cleared when events are written again */
	int last_errno;           /* of the last failure */
	uint64_t files_removed;
};

struct rx_journal;

/* Creates DIR if needed. NULL with a reason if it cannot be written. */
struct rx_journal *rx_journal_open(const char *dir, int keep_days, enum rx_journal_sync sync,
    char *err, size_t errlen);
void rx_journal_close(struct rx_journal *j);   /* flushes */

/* Replays every journal file of dir, oldest first, into the callbacks (the caller's
 * engine). Returns the number of files read, -1 if dir cannot be listed. */
int rx_journal_replay(const char *dir, rx_feed_event_cb on_event, rx_feed_error_cb on_error,
    void *arg);

/* Appends one event; -1 if it could not be written (counted, logged once per episode).
 * After a failure the file is closed and reopened at most once per heartbeat. */
int rx_journal_append(struct rx_journal *j, const struct rx_event *ev);
/* Heartbeat: write buffered events out (and fsync per policy). */
void rx_journal_flush(struct rx_journal *j);
const struct rx_journal_stats *rx_journal_stats(const struct rx_journal *j);

/* The canonical feed line of an event (no newline) into buf; its length, or -1. */
int rx_journal_format(const struct rx_event *ev, char *buf, size_t size);

#endif
