/*
 * scope.h: what a figure is about. Every fact counts in several scopes at once: the whole
 * hotline (`global`, inbound only), its queue, its platform, the seat that answered it;
 * outbound calls count only in `outbound`. A scope is a (type, name id) pair with a
 * dense index that windows use to address their per-scope counters.
 */
#ifndef REXIAN_SCOPE_H
#define REXIAN_SCOPE_H

#include <stdint.h>

#include "rexian/metrics.h"

enum rx_scope_type {
	RX_SCOPE_GLOBAL,
	RX_SCOPE_OUTBOUND,
	RX_SCOPE_QUEUE,
	RX_SCOPE_SEAT,
	RX_SCOPE_PLATFORM,
	RX_SCOPE_TYPES
};

#define RX_SCOPE_GLOBAL_INDEX 0
#define RX_SCOPE_OUTBOUND_INDEX 1
#define RX_SCOPE_MAX (1u << 20)

struct rx_scope {
	enum rx_scope_type type;
	uint32_t name;          /* name id; 0 for global and outbound */
};

struct rx_scopes;

struct rx_scopes *rx_scopes_new(void);
void rx_scopes_free(struct rx_scopes *s);
/* Index of the scope, creating it; UINT32_MAX when RX_SCOPE_MAX scopes exist. */
uint32_t rx_scopes_get(struct rx_scopes *s, enum rx_scope_type type, uint32_t name);
/* Index of an existing scope, or UINT32_MAX. */
uint32_t rx_scopes_find(const struct rx_scopes *s, enum rx_scope_type type, uint32_t name);
/* Parses "global", "outbound", "queue:NAME", "seat:ID", "platform:NAME" into a type and the
 * position of the name in text (NULL for global and outbound); -1 if malformed. */
int rx_scope_parse(const char *text, enum rx_scope_type *type, const char **name);
uint32_t rx_scopes_count(const struct rx_scopes *s);
const struct rx_scope *rx_scopes_at(const struct rx_scopes *s, uint32_t index);
/* The scopes a fact counts in; returns how many (at most 4). */
int rx_scopes_of_fact(struct rx_scopes *s, const struct rx_fact *f, uint32_t out[4]);
const char *rx_scope_type_name(enum rx_scope_type type);

#endif
