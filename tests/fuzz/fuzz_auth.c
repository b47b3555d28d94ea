/*
 * fuzz_auth.c: libFuzzer harness for what admits a client: a feed's auth line
 * (rx_feed_decode_auth, src/ingest/feed_json.cpp) and an HTTP Authorization header
 * (rx_secret_matches_basic, src/net/secret.c).
 *
 * Invariants:
 *   - neither reads past its input: the auth line sits in a buffer of exactly its length
 *     plus the decoder's padding, the header in one of its length plus the NUL
 *   - an accepted auth line's token, written back as {"auth": "..."} with every byte
 *     escaped, decodes to the same token
 *   - a secret made of the input's first line matches the Basic header that encodes it,
 *     and does not match the header of that line with one byte more
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz_common.h"
#include "rexian/feed.h"
#include "rexian/secret.h"

static struct rx_feed_decoder *dec;

static void check_auth_line(const uint8_t *data, size_t size)
{
	char *line = malloc(size + RX_FEED_PADDING), *again;
	const char *tok;
	size_t len, n = 0;

	CHECK(line != NULL);
	memcpy(line, data, size);
	memset(line + size, 'x', RX_FEED_PADDING);
	if (rx_feed_decode_auth(dec, line, size, &tok, &len) == 0) {
		char *copy = malloc(len + 1);
		const char *tok2;
		size_t len2;

		CHECK(copy != NULL && len <= size);
		memcpy(copy, tok, len);
		again = malloc(len * 6 + 16 + RX_FEED_PADDING);
		CHECK(again != NULL);
		n = (size_t)sprintf(again, "{\"auth\":\"");
		for (size_t i = 0; i < len; i++)
			n += (size_t)sprintf(again + n, "\\u%04x", (unsigned char)copy[i]);
		n += (size_t)sprintf(again + n, "\"}");
		memset(again + n, 0, RX_FEED_PADDING);
		/* bytes >= 0x80 escaped one by one are not the same UTF-8 text: only ASCII */
		bool ascii = true;
		for (size_t i = 0; i < len; i++)
			ascii = ascii && (unsigned char)copy[i] < 0x80;
		if (ascii) {
			CHECK(rx_feed_decode_auth(dec, again, n, &tok2, &len2) == 0);
			CHECK(len2 == len && memcmp(tok2, copy, len) == 0);
		}
		free(again);
		free(copy);
	}
	free(line);
}

static void check_basic(const uint8_t *data, size_t size)
{
	char *header = malloc(size + 1), *text, *enc;
	struct rx_secret s;
	char err[128];
	size_t len;

	CHECK(header != NULL);
	memcpy(header, data, size);
	header[size] = '\0';
	rx_secret_load(&s, "ops:pw", "", err, sizeof err);
	(void)rx_secret_matches_basic(&s, header);   /* any header: no crash, no overread */

	header[strcspn(header, "\r\n")] = '\0';
	text = header;
	len = strlen(text);   /* up to a NUL in the input, as a secret loaded from text is */
	if (len == 0 || len > 700 || rx_secret_load(&s, text, "", err, sizeof err) != 0) {
		free(header);
		return;
	}
	enc = malloc(6 + 4 * (len + 3) / 3 + 8);
	CHECK(enc != NULL);
	memcpy(enc, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)enc + 6, (const unsigned char *)text, (int)len);
	CHECK(rx_secret_matches_basic(&s, enc));
	text[len - 1] ^= 1;   /* one byte different */
	EVP_EncodeBlock((unsigned char *)enc + 6, (const unsigned char *)text, (int)len);
	CHECK(!rx_secret_matches_basic(&s, enc));
	free(enc);
	free(header);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dec = rx_feed_decoder_new();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_auth_line(data, size);
	check_basic(data, size);
	return 0;
}
