/*
 * names.h: interning of the few thousand names a feed repeats (queues, seats, platforms,
 * outcome codes). Each distinct byte string gets a small id that the rest of the engine
 * stores instead of the string; ids are dense, start at 1 and stay valid for the life of
 * the table (0 means "no name"). The table owns copies of the strings.
 */
#ifndef REXIAN_NAMES_H
#define REXIAN_NAMES_H

#include <stddef.h>
#include <stdint.h>

struct rx_names;

struct rx_names *rx_names_new(void);
void rx_names_free(struct rx_names *names);

/* Id of the name, adding it if new. len 0 returns 0 ("no name"). */
uint32_t rx_names_intern(struct rx_names *names, const char *s, size_t len);
/* Id of the name or 0 when it was never interned. */
uint32_t rx_names_find(const struct rx_names *names, const char *s, size_t len);
/* NUL-terminated name of an id; "" for 0. Valid until rx_names_free. */
const char *rx_names_str(const struct rx_names *names, uint32_t id);
uint32_t rx_names_count(const struct rx_names *names);

/* 64-bit hash of a byte string; also used for call ids (with two seeds). */
uint64_t rx_hash64(const void *data, size_t len, uint64_t seed);

#endif
