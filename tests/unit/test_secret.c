/*
 * Secrets: loading from a value or a file, exact matching, and the HTTP Basic header.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "rexian/feed.h"
#include "rexian/secret.h"

static struct rx_secret load(const char *value)
{
	struct rx_secret s;
	char err[128];

	cr_assert_eq(rx_secret_load(&s, value, "", err, sizeof err), 0, "%s", err);
	return s;
}

Test(secret, matches_exactly)
{
	struct rx_secret s = load("tok3n");

	cr_assert(s.set);
	cr_assert(rx_secret_matches(&s, "tok3n", 5));
	cr_assert_not(rx_secret_matches(&s, "tok3", 4));
	cr_assert_not(rx_secret_matches(&s, "tok3n ", 6));
	cr_assert_not(rx_secret_matches(&s, "", 0));
}

Test(secret, unset_matches_nothing)
{
	struct rx_secret s;
	char err[128];

	cr_assert_eq(rx_secret_load(&s, "", "", err, sizeof err), 0);
	cr_assert_not(s.set);
	cr_assert_not(rx_secret_matches(&s, "", 0));
	cr_assert_not(rx_secret_matches_basic(&s, "Basic Og=="));
}

Test(secret, from_file_first_line)
{
	char path[] = "/tmp/rexian-secret-XXXXXX", err[256];
	int fd = mkstemp(path);
	struct rx_secret s;

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "from-file\r\nsecond line\n", 23), 23);
	close(fd);
	cr_assert_eq(rx_secret_load(&s, "", path, err, sizeof err), 0, "%s", err);
	cr_assert(rx_secret_matches(&s, "from-file", 9));
	/* a value wins over the file */
	cr_assert_eq(rx_secret_load(&s, "value", path, err, sizeof err), 0);
	cr_assert(rx_secret_matches(&s, "value", 5));
	/* an empty first line is an error, not an empty password */
	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "\nx\n", 3), 3);
	close(fd);
	cr_assert_eq(rx_secret_load(&s, "", path, err, sizeof err), -1);
	unlink(path);
	cr_assert_eq(rx_secret_load(&s, "", path, err, sizeof err), -1);
	cr_assert(strstr(err, path) != NULL, "the reason names the file: %s", err);
}

Test(secret, basic_header)
{
	struct rx_secret s = load("ops:pw");
	struct rx_secret one = load("a:bc");     /* 4 bytes: two '=' of padding */
	struct rx_secret two = load("a:bcd");    /* 5 bytes: one '=' */
	struct rx_secret none = load("ab:cd");   /* 5 */

	cr_assert(rx_secret_matches_basic(&s, "Basic b3BzOnB3"));
	cr_assert(rx_secret_matches_basic(&s, "basic b3BzOnB3"), "the scheme is case-insensitive");
	cr_assert(rx_secret_matches_basic(&one, "Basic YTpiYw=="));
	cr_assert(rx_secret_matches_basic(&two, "Basic YTpiY2Q="));
	cr_assert(rx_secret_matches_basic(&none, "Basic YWI6Y2Q="));
	cr_assert_not(rx_secret_matches_basic(&s, "Basic b3BzOnB4"), "wrong password");
	cr_assert_not(rx_secret_matches_basic(&s, "Bearer b3BzOnB3"));
	cr_assert_not(rx_secret_matches_basic(&s, "Basic b3BzOnB"), "not a multiple of 4");
	cr_assert_not(rx_secret_matches_basic(&s, "Basic ********"), "not base64");
	cr_assert_not(rx_secret_matches_basic(&s, "Basic "));
	cr_assert_not(rx_secret_matches_basic(&s, NULL));
}

Test(secret, basic_header_too_long_is_refused)
{
	struct rx_secret s = load("ops:pw");
	char big[4200] = "Basic ";

	memset(big + 6, 'A', 4096);
	big[6 + 4096] = '\0';
	cr_assert_not(rx_secret_matches_basic(&s, big));
}

Test(secret, auth_line)
{
	struct rx_feed_decoder *dec = rx_feed_decoder_new();
	char line[256];
	const char *tok;
	size_t len;

#define AUTH(text) (memset(line, 0, sizeof line), strcpy(line, text), \
	rx_feed_decode_auth(dec, line, strlen(text), &tok, &len))
	cr_assert_eq(AUTH("{\"auth\": \"t\\\"ok\"}"), 0);
	cr_assert_eq(len, 4);
	cr_assert_eq(memcmp(tok, "t\"ok", 4), 0, "escapes are decoded");
	cr_assert_eq(AUTH("{\"auth\": 5}"), -1);
	cr_assert_eq(AUTH("{\"auth\": \"t\", \"ts\": 1}"), -1, "nothing else on the line");
	cr_assert_eq(AUTH("{\"token\": \"t\"}"), -1);
	cr_assert_eq(AUTH("{\"auth\": \"t\""), -1);
	cr_assert_eq(AUTH("[\"auth\"]"), -1);
#undef AUTH
	rx_feed_decoder_free(dec);
}
