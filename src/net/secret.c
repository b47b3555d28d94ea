/*
 * secret.c: loading secrets and checking candidates against them (see secret.h).
 */
#include "rexian/secret.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define SECRET_MAX 1024

static void digest_of(const char *text, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_Digest(text, len, out, &n, EVP_sha256(), NULL);
}

static int read_first_line(const char *file, char *buf, size_t size, char *err, size_t errlen)
{
	FILE *f = fopen(file, "r");

	if (f == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", file, strerror(errno));
		return -1;
	}
	if (fgets(buf, (int)size, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int rx_secret_load(struct rx_secret *s, const char *value, const char *file, char *err,
    size_t errlen)
{
	char buf[SECRET_MAX];

	memset(s, 0, sizeof *s);
	if (value[0] == '\0' && file[0] == '\0')
		return 0;
	if (value[0] != '\0')
		snprintf(buf, sizeof buf, "%s", value);
	else if (read_first_line(file, buf, sizeof buf, err, errlen) != 0)
		return -1;
	if (buf[0] == '\0') {
		snprintf(err, errlen, "empty secret%s%s", file[0] ? " in " : "", file);
		return -1;
	}
	digest_of(buf, strlen(buf), s->digest);
	OPENSSL_cleanse(buf, sizeof buf);
	s->set = true;
	return 0;
}

bool rx_secret_matches(const struct rx_secret *s, const char *candidate, size_t len)
{
	unsigned char d[32];

	if (!s->set)
		return false;
	digest_of(candidate, len, d);
	return CRYPTO_memcmp(d, s->digest, sizeof d) == 0;
}

bool rx_secret_matches_basic(const struct rx_secret *s, const char *authorization)
{
	unsigned char decoded[SECRET_MAX];
	size_t len, pad = 0;
	int n;
	bool ok;

	if (authorization == NULL || strncasecmp(authorization, "Basic ", 6) != 0)
		return false;
	authorization += 6;
	while (*authorization == ' ')
		authorization++;
	len = strlen(authorization);
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof decoded)
		return false;
	/* EVP_DecodeBlock counts the '=' padding as zero bytes; take them off again. */
	if ((n = EVP_DecodeBlock(decoded, (const unsigned char *)authorization, (int)len)) < 0)
		return false;
	while (pad < 2 && authorization[len - 1 - pad] == '=')
		pad++;
	ok = rx_secret_matches(s, (const char *)decoded, (size_t)n - pad);
	OPENSSL_cleanse(decoded, sizeof decoded);
	return ok;
}
