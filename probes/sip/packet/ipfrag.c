/*
 * IP fragment reassembly (see ipfrag.h). Coverage is tracked as a bitmap of 8-byte units, the unit in
 * which IPv4 and IPv6 express fragment offsets, so duplicates and overlaps never double-count and the
 * datagram is complete exactly when every unit up to the last fragment's end is set.
 */
#include "packet/ipfrag.h"

#include <stdlib.h>
#include <string.h>

#define RX_IPFRAG_MAX 65535u
#define RX_IPFRAG_UNITS ((RX_IPFRAG_MAX + 7) / 8)

struct rx_ipfrag_entry {
	int used;
	struct rx_ipfrag_key key;
	int64_t first_us;               /* arrival of the first fragment, for the timeout */
	uint32_t total;                 /* datagram length once the last fragment is seen, else 0 */
	uint32_t covered;               /* units set in map */
	uint8_t *buf;                   /* RX_IPFRAG_MAX bytes, allocated on first use */
	uint8_t map[RX_IPFRAG_UNITS / 8 + 1];
};

struct rx_ipfrag_table {
	struct rx_ipfrag_entry *e;
	size_t n;
	int64_t timeout_us;
	uint8_t *done;                  /* last completed datagram, owned until the next call */
	uint64_t dropped;
};

struct rx_ipfrag_table *
rx_ipfrag_new(size_t max_entries, int64_t timeout_us)
{
	struct rx_ipfrag_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->e = calloc(max_entries, sizeof(*t->e));
	if (t->e == NULL) {
		free(t);
		return NULL;
	}
	t->n = max_entries;
	t->timeout_us = timeout_us;
	return t;
}

void
rx_ipfrag_free(struct rx_ipfrag_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].buf);
	free(t->e);
	free(t->done);
	free(t);
}

uint64_t
rx_ipfrag_dropped(const struct rx_ipfrag_table *t)
{
	return t->dropped;
}

static int
rx_ipfrag_key_eq(const struct rx_ipfrag_key *a, const struct rx_ipfrag_key *b)
{
	return a->family == b->family && a->proto == b->proto && a->id == b->id &&
	    memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

static void
rx_ipfrag_release(struct rx_ipfrag_table *t, struct rx_ipfrag_entry *e, int dropped)
{
	if (dropped)
		t->dropped++;
	e->used = 0;
}

/* Find the entry for key, or claim a free, expired or (failing both) the oldest one. */
static struct rx_ipfrag_entry *
rx_ipfrag_lookup(struct rx_ipfrag_table *t, const struct rx_ipfrag_key *key, int64_t now)
{
	struct rx_ipfrag_entry *free_e = NULL, *oldest = NULL;

	for (size_t i = 0; i < t->n; i++) {
		struct rx_ipfrag_entry *e = &t->e[i];

		if (e->used && now - e->first_us > t->timeout_us)
			rx_ipfrag_release(t, e, 1);
		if (!e->used) {
			if (free_e == NULL)
				free_e = e;
			continue;
		}
		if (rx_ipfrag_key_eq(&e->key, key))
			return e;
		if (oldest == NULL || e->first_us < oldest->first_us)
			oldest = e;
	}
	if (free_e == NULL) {
		free_e = oldest;
		rx_ipfrag_release(t, oldest, 1);
	}
	if (free_e->buf == NULL && (free_e->buf = malloc(RX_IPFRAG_MAX)) == NULL)
		return NULL;
	free_e->used = 1;
	free_e->key = *key;
	free_e->first_us = now;
	free_e->total = 0;
	free_e->covered = 0;
	memset(free_e->map, 0, sizeof(free_e->map));
	return free_e;
}

static void
rx_ipfrag_mark(struct rx_ipfrag_entry *e, uint32_t first_unit, uint32_t end_unit)
{
	for (uint32_t u = first_unit; u < end_unit; u++) {
		uint8_t bit = (uint8_t)(1u << (u & 7));

		if (!(e->map[u >> 3] & bit)) {
			e->map[u >> 3] |= bit;
			e->covered++;
		}
	}
}

int
rx_ipfrag_add(struct rx_ipfrag_table *t, const struct rx_ipfrag_key *key, uint32_t offset,
    const uint8_t *data, size_t len, int more, int64_t now, const uint8_t **out, size_t *outlen)
{
	struct rx_ipfrag_entry *e;
	uint8_t *buf;

	/* Non-final fragments carry whole 8-byte units; anything else cannot be placed reliably. */
	if (offset + len > RX_IPFRAG_MAX || (more && (len == 0 || len % 8 != 0)) || offset % 8 != 0) {
		t->dropped++;
		return -1;
	}
	if ((e = rx_ipfrag_lookup(t, key, now)) == NULL) {
		t->dropped++;
		return -1;
	}
	memcpy(e->buf + offset, data, len);
	if (!more)
		e->total = (uint32_t)(offset + len);
	rx_ipfrag_mark(e, offset / 8, (uint32_t)((offset + len + 7) / 8));
	if (e->total == 0 || e->covered != (e->total + 7) / 8)
		return 0;
	/* Complete: hand the buffer out and give the entry a fresh one next time. */
	buf = e->buf;
	e->buf = t->done;
	t->done = buf;
	*out = buf;
	*outlen = e->total;
	rx_ipfrag_release(t, e, 0);
	return 1;
}
