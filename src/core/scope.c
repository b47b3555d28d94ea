/*
 * scope.c: the scope registry: per type, a table from name id to scope index.
 */
#include "rexian/scope.h"

#include <stdlib.h>
#include <string.h>

struct rx_scopes {
	struct rx_scope *list;
	uint32_t count, cap;
	uint32_t *by_name[RX_SCOPE_TYPES];   /* name id -> index + 1 */
	uint32_t by_name_cap[RX_SCOPE_TYPES];
};

struct rx_scopes *rx_scopes_new(void)
{
	struct rx_scopes *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	if (rx_scopes_get(s, RX_SCOPE_GLOBAL, 0) != RX_SCOPE_GLOBAL_INDEX ||
	    rx_scopes_get(s, RX_SCOPE_OUTBOUND, 0) != RX_SCOPE_OUTBOUND_INDEX) {
		rx_scopes_free(s);
		return NULL;
	}
	return s;
}

void rx_scopes_free(struct rx_scopes *s)
{
	if (s == NULL)
		return;
	for (int t = 0; t < RX_SCOPE_TYPES; t++)
		free(s->by_name[t]);
	free(s->list);
	free(s);
}

static int grow_index(struct rx_scopes *s, enum rx_scope_type type, uint32_t name)
{
	uint32_t cap = s->by_name_cap[type] ? s->by_name_cap[type] : 16;
	uint32_t *p;

	while (cap <= name)
		cap *= 2;
	p = realloc(s->by_name[type], cap * sizeof *p);
	if (p == NULL)
		return -1;
	memset(p + s->by_name_cap[type], 0, (cap - s->by_name_cap[type]) * sizeof *p);
	s->by_name[type] = p;
	s->by_name_cap[type] = cap;
	return 0;
}

uint32_t rx_scopes_get(struct rx_scopes *s, enum rx_scope_type type, uint32_t name)
{
	if (name >= s->by_name_cap[type] && grow_index(s, type, name) != 0)
		return UINT32_MAX;
	if (s->by_name[type][name] != 0)
		return s->by_name[type][name] - 1;
	if (s->count == RX_SCOPE_MAX)
		return UINT32_MAX;
	if (s->count == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 64;
		struct rx_scope *l = realloc(s->list, cap * sizeof *l);
		if (l == NULL)
			return UINT32_MAX;
		s->list = l;
		s->cap = cap;
	}
	s->list[s->count] = (struct rx_scope){ type, name };
	s->by_name[type][name] = s->count + 1;
	return s->count++;
}

uint32_t rx_scopes_find(const struct rx_scopes *s, enum rx_scope_type type, uint32_t name)
{
	if (name >= s->by_name_cap[type] || s->by_name[type][name] == 0)
		return UINT32_MAX;
	return s->by_name[type][name] - 1;
}

int rx_scope_parse(const char *text, enum rx_scope_type *type, const char **name)
{
	*name = NULL;
	for (int t = 0; t < RX_SCOPE_TYPES; t++) {
		const char *tn = rx_scope_type_name((enum rx_scope_type)t);
		size_t n = strlen(tn);
		if (strncmp(text, tn, n) != 0)
			continue;
		*type = (enum rx_scope_type)t;
		if (t == RX_SCOPE_GLOBAL || t == RX_SCOPE_OUTBOUND)
			return text[n] == '\0' ? 0 : -1;
		if (text[n] != ':' || text[n + 1] == '\0')
			return -1;
		*name = text + n + 1;
		return 0;
	}
	return -1;
}

uint32_t rx_scopes_count(const struct rx_scopes *s)
{
	return s->count;
}

const struct rx_scope *rx_scopes_at(const struct rx_scopes *s, uint32_t index)
{
	return &s->list[index];
}

int rx_scopes_of_fact(struct rx_scopes *s, const struct rx_fact *f, uint32_t out[4])
{
	int n = 0;
	uint32_t i;

	if (f->outbound) {
		out[n++] = RX_SCOPE_OUTBOUND_INDEX;
		return n;
	}
	out[n++] = RX_SCOPE_GLOBAL_INDEX;
	if ((i = rx_scopes_get(s, RX_SCOPE_QUEUE, f->queue)) != UINT32_MAX)
		out[n++] = i;
	if (f->platform && (i = rx_scopes_get(s, RX_SCOPE_PLATFORM, f->platform)) != UINT32_MAX)
		out[n++] = i;
	if (f->seat && (i = rx_scopes_get(s, RX_SCOPE_SEAT, f->seat)) != UINT32_MAX)
		out[n++] = i;
	return n;
}

const char *rx_scope_type_name(enum rx_scope_type type)
{
	static const char *const names[] = { "global", "outbound", "queue", "seat", "platform" };

	return (unsigned)type < RX_SCOPE_TYPES ? names[type] : "?";
}
