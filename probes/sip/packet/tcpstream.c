/*
 * TCP stream reassembly (see tcpstream.h). Half-streams live in a hash table keyed by the directed
 * 4-tuple and on an LRU list, whose head is both the idle-expiry candidate and the one evicted when the
 * table is full. Waiting segments are a list sorted by sequence number, bounded in bytes per stream.
 */
#include "packet/tcpstream.h"

#include <stdlib.h>
#include <string.h>

/* Per half-stream bounds; with the stream bound they cap the worst case a hostile capture can cost. */
#define RX_TCP_OOO_MAX (64 * 1024)      /* waiting bytes before skipping a gap */
#define RX_TCP_MSG_MAX (64 * 1024)      /* largest SIP message the reader buffers */
#define RX_TCP_RST 0x04

struct rx_tcp_seg {
	struct rx_tcp_seg *next;
	uint32_t seq;
	size_t len;
	uint8_t data[];
};

struct rx_tcp_key {
	uint8_t family;
	uint16_t sport, dport;
	uint8_t src[16], dst[16];
};

struct rx_tcp_half {
	struct rx_tcp_half *hnext, *prev, *next;
	struct rx_tcp_key key;
	uint32_t hash;
	uint32_t next_seq;
	int64_t last_us;
	struct rx_tcp_seg *ooo;
	size_t ooo_bytes;
	struct rx_sip_reader reader;
};

struct rx_tcp_table {
	struct rx_tcp_half **buckets;
	size_t nbuckets, max;
	int64_t idle_us;
	struct rx_tcp_half *lru_head, *lru_tail;
	rx_tcp_data_cb cb;
	void *arg;
	struct rx_tcp_stats stats;
};

static uint32_t
rx_tcp_hash(const struct rx_tcp_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

struct rx_tcp_table *
rx_tcp_new(size_t max_streams, int64_t idle_us, rx_tcp_data_cb cb, void *arg)
{
	struct rx_tcp_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	for (t->nbuckets = 256; t->nbuckets < max_streams; t->nbuckets *= 2)
		;
	if ((t->buckets = calloc(t->nbuckets, sizeof(*t->buckets))) == NULL) {
		free(t);
		return NULL;
	}
	t->max = max_streams;
	t->idle_us = idle_us;
	t->cb = cb;
	t->arg = arg;
	return t;
}

static void
rx_tcp_lru_unlink(struct rx_tcp_table *t, struct rx_tcp_half *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		t->lru_head = h->next;
	if (h->next)
		h->next->prev = h->prev;
	else
		t->lru_tail = h->prev;
	h->prev = h->next = NULL;
}

static void
rx_tcp_lru_append(struct rx_tcp_table *t, struct rx_tcp_half *h)
{
	h->prev = t->lru_tail;
	h->next = NULL;
	if (t->lru_tail)
		t->lru_tail->next = h;
	else
		t->lru_head = h;
	t->lru_tail = h;
}

static void
rx_tcp_drop_ooo(struct rx_tcp_half *h)
{
	while (h->ooo != NULL) {
		struct rx_tcp_seg *s = h->ooo;

		h->ooo = s->next;
		free(s);
	}
	h->ooo_bytes = 0;
}

static void
rx_tcp_remove(struct rx_tcp_table *t, struct rx_tcp_half *h)
{
	struct rx_tcp_half **pp = &t->buckets[h->hash & (t->nbuckets - 1)];

	while (*pp != h)
		pp = &(*pp)->hnext;
	*pp = h->hnext;
	rx_tcp_lru_unlink(t, h);
	rx_tcp_drop_ooo(h);
	rx_sip_reader_free(&h->reader);
	free(h);
	t->stats.streams--;
}

void
rx_tcp_free(struct rx_tcp_table *t)
{
	if (t == NULL)
		return;
	while (t->lru_head != NULL)
		rx_tcp_remove(t, t->lru_head);
	free(t->buckets);
	free(t);
}

static struct rx_tcp_half *
rx_tcp_find(struct rx_tcp_table *t, const struct rx_tcp_key *k, uint32_t hash)
{
	for (struct rx_tcp_half *h = t->buckets[hash & (t->nbuckets - 1)]; h != NULL; h = h->hnext)
		if (h->hash == hash && memcmp(&h->key, k, sizeof(*k)) == 0)
			return h;
	return NULL;
}

static struct rx_tcp_half *
rx_tcp_add(struct rx_tcp_table *t, const struct rx_tcp_key *k, uint32_t hash, uint32_t seq)
{
	struct rx_tcp_half *h;

	if (t->stats.streams >= t->max) {
		t->stats.evicted++;
		rx_tcp_remove(t, t->lru_head);
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->key = *k;
	h->hash = hash;
	h->next_seq = seq;
	rx_sip_reader_init(&h->reader, RX_TCP_MSG_MAX);
	h->hnext = t->buckets[hash & (t->nbuckets - 1)];
	t->buckets[hash & (t->nbuckets - 1)] = h;
	rx_tcp_lru_append(t, h);
	t->stats.streams++;
	return h;
}

/* Deliver the part of [seq, seq+len) at or after next_seq; bytes before it were already delivered. */
static void
rx_tcp_deliver(struct rx_tcp_table *t, struct rx_tcp_half *h, uint32_t seq, const uint8_t *data, size_t len,
    const struct rx_pkt *pk)
{
	uint32_t skip = h->next_seq - seq;

	if ((int32_t)skip < 0 || skip >= len)
		return;
	h->next_seq += (uint32_t)(len - skip);
	t->cb(&h->reader, data + skip, len - skip, pk, t->arg);
}

/* Segments that now touch next_seq leave the waiting list in order. */
static void
rx_tcp_drain(struct rx_tcp_table *t, struct rx_tcp_half *h, const struct rx_pkt *pk)
{
	while (h->ooo != NULL && (int32_t)(h->ooo->seq - h->next_seq) <= 0) {
		struct rx_tcp_seg *s = h->ooo;

		h->ooo = s->next;
		h->ooo_bytes -= s->len;
		rx_tcp_deliver(t, h, s->seq, s->data, s->len, pk);
		free(s);
	}
}

static void
rx_tcp_wait(struct rx_tcp_table *t, struct rx_tcp_half *h, uint32_t seq, const uint8_t *data, size_t len)
{
	struct rx_tcp_seg *s = malloc(sizeof(*s) + len), **pp = &h->ooo;

	if (s == NULL)
		return;
	s->seq = seq;
	s->len = len;
	memcpy(s->data, data, len);
	while (*pp != NULL && (int32_t)((*pp)->seq - seq) <= 0)
		pp = &(*pp)->next;
	s->next = *pp;
	*pp = s;
	h->ooo_bytes += len;
	t->stats.out_of_order++;
}

/* The gap will not fill (too many bytes waiting): skip to the first waiting segment. */
static void
rx_tcp_skip_gap(struct rx_tcp_table *t, struct rx_tcp_half *h, const struct rx_pkt *pk)
{
	t->stats.gaps++;
	rx_sip_reader_reset(&h->reader);
	h->next_seq = h->ooo->seq;
	rx_tcp_drain(t, h, pk);
}

static void
rx_tcp_data(struct rx_tcp_table *t, struct rx_tcp_half *h, const struct rx_pkt *pk)
{
	int32_t diff = (int32_t)(pk->tcp_seq - h->next_seq);

	t->stats.segments++;
	if (diff > 0) {
		rx_tcp_wait(t, h, pk->tcp_seq, pk->data, pk->len);
		if (h->ooo_bytes > RX_TCP_OOO_MAX)
			rx_tcp_skip_gap(t, h, pk);
		return;
	}
	if ((int64_t)pk->len + diff <= 0) {
		t->stats.retransmitted++;
		return;
	}
	rx_tcp_deliver(t, h, pk->tcp_seq, pk->data, pk->len, pk);
	rx_tcp_drain(t, h, pk);
}

void
rx_tcp_segment(struct rx_tcp_table *t, const struct rx_pkt *pk)
{
	struct rx_tcp_key k;
	struct rx_tcp_half *h;
	uint32_t hash;

	memset(&k, 0, sizeof(k));
	k.family = pk->family;
	k.sport = pk->sport;
	k.dport = pk->dport;
	memcpy(k.src, pk->src, 16);
	memcpy(k.dst, pk->dst, 16);
	hash = rx_tcp_hash(&k);
	h = rx_tcp_find(t, &k, hash);
	if (h == NULL) {
		/* Start tracking at a segment that begins a SIP message: mid-stream pickup included. */
		if (pk->len == 0 || (pk->tcp_flags & RX_TCP_RST) ||
		    !rx_sip_looks_like((const char *)pk->data, pk->len))
			return;
		if ((h = rx_tcp_add(t, &k, hash, pk->tcp_seq)) == NULL)
			return;
	}
	h->last_us = pk->ts_us;
	rx_tcp_lru_unlink(t, h);
	rx_tcp_lru_append(t, h);
	if (pk->len > 0)
		rx_tcp_data(t, h, pk);
	if (pk->tcp_flags & RX_TCP_RST)
		rx_tcp_remove(t, h);
}

void
rx_tcp_tick(struct rx_tcp_table *t, int64_t now)
{
	while (t->lru_head != NULL && t->lru_head->last_us + t->idle_us <= now)
		rx_tcp_remove(t, t->lru_head);
}

const struct rx_tcp_stats *
rx_tcp_stats(const struct rx_tcp_table *t)
{
	return &t->stats;
}
