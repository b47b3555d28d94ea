/*
 * fuzz_common.h: what every core harness shares: an invariant check that names the broken
 * invariant before aborting (libFuzzer then saves the input as a crash), and a small
 * deterministic generator so that chunk splits and options derive from the input alone
 * and every crash reproduces from its file.
 */
#ifndef REXIAN_FUZZ_COMMON_H
#define REXIAN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                       \
	do {                                                                           \
		if (!(c)) {                                                            \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,     \
			    __LINE__, #c);                                             \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* FNV-1a of the input: the seed of everything the harness chooses. */
static inline uint64_t fuzz_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* splitmix64 */
static inline uint64_t fuzz_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
