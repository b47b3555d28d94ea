/*
 * names.c: string interning with an open-addressing table of ids and an array of copies.
 *
 * Names arrive on every event, so lookup is the hot path: one hash, usually one probe.
 * The hash is a simple multiply-xorshift over 8-byte words, good enough for a table we
 * size ourselves and fast on short strings.
 */
#include "rexian/names.h"

#include <stdlib.h>
#include <string.h>

struct rx_names {
	char **strs;       /* id -> copy; strs[0] is "" */
	uint32_t *lens;
	uint32_t count;    /* ids in use, including 0 */
	uint32_t cap;      /* capacity of strs/lens */
	uint32_t *slots;   /* open addressing: 0 empty, else id */
	uint32_t mask;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

uint64_t rx_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
	uint64_t w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
		p += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, p, len);
	return mix64(h ^ w ^ ((uint64_t)len << 56));
}

struct rx_names *rx_names_new(void)
{
	struct rx_names *n = calloc(1, sizeof *n);

	if (n == NULL)
		return NULL;
	n->cap = 64;
	n->strs = calloc(n->cap, sizeof *n->strs);
	n->lens = calloc(n->cap, sizeof *n->lens);
	n->mask = 127;
	n->slots = calloc(n->mask + 1, sizeof *n->slots);
	if (n->strs == NULL || n->lens == NULL || n->slots == NULL) {
		rx_names_free(n);
		return NULL;
	}
	n->strs[0] = strdup("");
	n->count = 1;
	return n;
}

void rx_names_free(struct rx_names *n)
{
	if (n == NULL)
		return;
	for (uint32_t i = 0; i < n->count; i++)
		free(n->strs[i]);
	free(n->strs);
	free(n->lens);
	free(n->slots);
	free(n);
}

static uint32_t *names_slot(const struct rx_names *n, const char *s, size_t len)
{
	uint32_t i = (uint32_t)rx_hash64(s, len, 0) & n->mask;

	for (;; i = (i + 1) & n->mask) {
		uint32_t id = n->slots[i];
		if (id == 0 || (n->lens[id] == len && memcmp(n->strs[id], s, len) == 0))
			return &n->slots[i];
	}
}

static int names_grow(struct rx_names *n)
{
	uint32_t newmask = n->mask * 2 + 1;
	uint32_t *old = n->slots, oldmask = n->mask;

	n->slots = calloc((size_t)newmask + 1, sizeof *n->slots);
	if (n->slots == NULL) {
		n->slots = old;
		return -1;
	}
	n->mask = newmask;
	for (uint32_t i = 0; i <= oldmask; i++)
		if (old[i] != 0)
			*names_slot(n, n->strs[old[i]], n->lens[old[i]]) = old[i];
	free(old);
	return 0;
}

uint32_t rx_names_find(const struct rx_names *n, const char *s, size_t len)
{
	if (len == 0)
		return 0;
	return *names_slot(n, s, len);
}

uint32_t rx_names_intern(struct rx_names *n, const char *s, size_t len)
{
	uint32_t *slot;
	char *copy;

	if (len == 0)
		return 0;
	slot = names_slot(n, s, len);
	if (*slot != 0)
		return *slot;
	if ((n->count + 1) * 2 > n->mask && names_grow(n) == 0)
		slot = names_slot(n, s, len);
	if (n->count == n->cap) {
		char **strs = realloc(n->strs, n->cap * 2 * sizeof *strs);
		uint32_t *lens = strs ? realloc(n->lens, n->cap * 2 * sizeof *lens) : NULL;
		if (strs != NULL)
			n->strs = strs;
		if (lens == NULL)
			return 0;
		n->lens = lens;
		n->cap *= 2;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return 0;
	memcpy(copy, s, len);
	copy[len] = '\0';
	n->strs[n->count] = copy;
	n->lens[n->count] = (uint32_t)len;
	*slot = n->count;
	return n->count++;
}

const char *rx_names_str(const struct rx_names *n, uint32_t id)
{
	return id < n->count ? n->strs[id] : "";
}

uint32_t rx_names_count(const struct rx_names *n)
{
	return n->count;
}
