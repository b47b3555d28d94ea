/*
 * pseudonym.c: see pseudonym.h. OpenSSL's one-shot HMAC: the key is small and the call
 * rare (one per offer that carries a number), so no context is kept between calls.
 */
#include "rexian/pseudonym.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

int rx_pseudonym_key_load(struct rx_pseudonym_key *k, const char *flag, const char *path,
    char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	memset(k, 0, sizeof *k);
	if (f == NULL) {
		snprintf(err, errlen, "%s %s: %s", flag, path, strerror(errno));
		return -1;
	}
	n = fread(k->bytes, 1, sizeof k->bytes, f);
	fclose(f);
	/* A key written with echo ends in a newline; it is not part of the secret. */
	while (n > 0 && (k->bytes[n - 1] == '\n' || k->bytes[n - 1] == '\r'))
		n--;
	if (n < 16) {
		snprintf(err, errlen, "%s %s: key shorter than 16 bytes", flag, path);
		return -1;
	}
	k->len = n;
	return 0;
}

int rx_pseudonym(const struct rx_pseudonym_key *k, const char *text, size_t len,
    char hex[RX_PSEUDONYM_HEX])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (k->len == 0 || len == 0)
		return -1;
	if (HMAC(EVP_sha256(), k->bytes, (int)k->len, (const unsigned char *)text, len, mac,
	    &maclen) == NULL || maclen < 16)
		return -1;
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return 0;
}
