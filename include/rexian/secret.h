/*
 * secret.h: the shared secrets that admit a client: the feed token (a feed's first line,
 * {"auth": "..."}) and the wallboard's HTTP basic-auth "user:password".
 *
 * Only a SHA-256 digest of the secret is kept, and a candidate is compared digest to
 * digest in constant time, so neither the secret's content nor its length leaks through
 * timing, and no copy of it lingers in memory after loading.
 */
#ifndef REXIAN_SECRET_H
#define REXIAN_SECRET_H

#include <stdbool.h>
#include <stddef.h>

struct rx_secret {
	unsigned char digest[32];
	bool set;
};

/* From a value, or if value is empty from the first line of file (which should be
 * readable by rexian's user alone). Neither given: s stays unset, 0. An empty secret
 * or an unreadable file: -1 and a reason. */
int rx_secret_load(struct rx_secret *s, const char *value, const char *file, char *err,
    size_t errlen);

bool rx_secret_matches(const struct rx_secret *s, const char *candidate, size_t len);

/* An HTTP Authorization header's value: "Basic base64(user:password)". */
bool rx_secret_matches_basic(const struct rx_secret *s, const char *authorization);

#endif
