/*
 * pseudonym.h: a citizen's number replaced by a keyed hash. HMAC-SHA256(key, number), its
 * first 128 bits in hex: the same caller always gets the same pseudonym under one key, so
 * repeat callers can be counted, but nobody without the key can go back to the number or
 * test a guess. rexian-probe writes it into the feed; rexiand into its journal.
 */
#ifndef REXIAN_PSEUDONYM_H
#define REXIAN_PSEUDONYM_H

#include <stddef.h>

#define RX_PSEUDONYM_HEX 33   /* 32 hex digits and a NUL */

struct rx_pseudonym_key {
	unsigned char bytes[256];
	size_t len;                /* 0: no key */
};

/* The file's bytes, a trailing newline not included; at least 16. -1 and a reason naming
 * `flag` and the file otherwise. */
int rx_pseudonym_key_load(struct rx_pseudonym_key *k, const char *flag, const char *path,
    char *err, size_t errlen);

/* 0 and the pseudonym of text in hex, or -1 (no key, empty text). */
int rx_pseudonym(const struct rx_pseudonym_key *k, const char *text, size_t len,
    char hex[RX_PSEUDONYM_HEX]);

#endif
