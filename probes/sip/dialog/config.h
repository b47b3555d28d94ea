/*
 * Probe configuration: which INVITEs are hotline calls (queue <- called number or Request-URI
 * pattern), who the seats are (seat id <- extension, URI user, URI pattern or IP address), the platform
 * name and, for B2BUA ACDs, the header that ties a seat leg to its caller leg. Read once at startup; a
 * bad line fails the start with its line number. Lookups are linear: a hotline has tens of rules and a
 * lookup happens once per call, not per packet.
 *
 * Format (INI; '#' or ';' at the start of a line or after whitespace start a comment; values are
 * comma-separated patterns):
 *   [probe]   platform = NAME | correlate-header = X-Queue-Call-ID | b2bua = yes|no
 *   [queues]  QUEUE = 12345, 1234510*, sip:hotline@*
 *   [seats]   SEAT = 8001, agent1, 80*, 10.0.0.21
 * A queue pattern with a ':' is matched against the whole Request-URI, anything else against the user
 * part of the Request-URI (then of To). A seat pattern that parses as an IP address is matched against
 * the answering packet's source address, anything else against the Contact or To user of the 2xx.
 * '*' and '?' are wildcards; the first matching rule wins.
 */
#ifndef RX_PROBE_CONFIG_H
#define RX_PROBE_CONFIG_H

#include <stddef.h>

#include "sip/parser.h"

enum rx_probe_rule_kind { RX_RULE_USER, RX_RULE_URI, RX_RULE_IP };

struct rx_probe_rule {
	char *name;                     /* queue or seat id */
	char *pattern;
	enum rx_probe_rule_kind kind;
};

struct rx_probe_config {
	char *platform;                 /* NULL: field omitted */
	char *corr_header;              /* NULL: no B2BUA correlation */
	int b2bua;                      /* answers come from correlated seat legs only */
	struct rx_probe_rule *queues, *seats;
	size_t nqueues, nseats;
};

/* Returns 0, or -1 with a one-line reason (file:line: what) in err. */
int rx_probe_config_load(struct rx_probe_config *c, const char *path, char *err, size_t errlen);
/* Same, from a string (tests, fuzzers). */
int rx_probe_config_parse(struct rx_probe_config *c, const char *text, const char *origin, char *err,
    size_t errlen);
void rx_probe_config_free(struct rx_probe_config *c);

/* Queue for a called party, or NULL: the Request-URI's user and whole URI first, then the To user. */
const char *rx_probe_config_queue(const struct rx_probe_config *c, struct rx_sip_str ruri,
    struct rx_sip_str ruri_user, struct rx_sip_str to_user);
/* Seat id for the answering party (Contact user, To user, source address as text), or NULL. */
const char *rx_probe_config_seat(const struct rx_probe_config *c, struct rx_sip_str contact_user,
    struct rx_sip_str to_user, const char *ip);

#endif
