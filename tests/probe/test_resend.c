/*
 * Re-send memory of the sender: lines are kept for the window after they were handed over (never
 * forgotten early, even when several share a record), bounded in bytes by whole lines, copied (not
 * moved) to a new connection, and counted as handed over again at that moment.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "output/sender_resend.h"

static struct evbuffer *
lines(const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, text, strlen(text));
	return b;
}

/* What a new connection would get, as a string (static buffer). */
static const char *
replayed(struct rx_resend *r, int64_t now, uint64_t *n)
{
	static char out[1024];
	struct evbuffer *dst = evbuffer_new();
	size_t len;

	*n = rx_resend_replay(r, dst, now);
	len = evbuffer_remove(dst, out, sizeof(out) - 1);
	out[len] = '\0';
	evbuffer_free(dst);
	return out;
}

Test(resend, keeps_the_window_then_forgets)
{
	struct rx_resend *r = rx_resend_new(5, 1 << 20);
	struct evbuffer *src = lines("a\nb\nc\n");
	uint64_t n;

	rx_resend_keep(r, src, 4, 2, 0);
	rx_resend_keep(r, src, 2, 1, 3000);
	cr_assert_eq(evbuffer_get_length(src), 0);
	rx_resend_expire(r, 4999);
	cr_assert_eq(rx_resend_bytes(r), 6);
	rx_resend_expire(r, 5000);
	cr_assert_str_eq(replayed(r, 5000, &n), "c\n");
	cr_assert_eq(n, 1);
	rx_resend_free(r);
	evbuffer_free(src);
}

Test(resend, a_shared_record_expires_with_its_newest_line)
{
	struct rx_resend *r = rx_resend_new(5, 1 << 20);
	struct evbuffer *src = lines("a\nb\n");
	uint64_t n;

	rx_resend_keep(r, src, 2, 1, 1000);
	rx_resend_keep(r, src, 2, 1, 1050);     /* same 100 ms slot: one record */
	rx_resend_expire(r, 6040);              /* a is 5.04 s old, b 4.99 s: both stay */
	cr_assert_str_eq(replayed(r, 6040, &n), "a\nb\n");
	cr_assert_eq(n, 2);
	rx_resend_free(r);
	evbuffer_free(src);
}

Test(resend, byte_bound_drops_oldest_whole_lines)
{
	struct rx_resend *r = rx_resend_new(5, 10);
	struct evbuffer *src = lines("1234\nabcd\nwxyz\n");
	uint64_t n;

	rx_resend_keep(r, src, 10, 2, 0);
	rx_resend_keep(r, src, 5, 1, 500);
	cr_assert_eq(rx_resend_bytes(r), 10);
	cr_assert_str_eq(replayed(r, 600, &n), "abcd\nwxyz\n");
	cr_assert_eq(n, 2);
	rx_resend_free(r);
	evbuffer_free(src);
}

Test(resend, replay_copies_and_restarts_the_window)
{
	struct rx_resend *r = rx_resend_new(5, 1 << 20);
	struct evbuffer *src = lines("x\ny\n");
	uint64_t n;

	rx_resend_keep(r, src, 4, 2, 0);
	cr_assert_str_eq(replayed(r, 4000, &n), "x\ny\n");
	/* the connection broke again: the same lines go again, counted from the re-send */
	rx_resend_expire(r, 8999);
	cr_assert_str_eq(replayed(r, 8999, &n), "x\ny\n");
	cr_assert_eq(n, 2);
	rx_resend_expire(r, 8999 + 5000);
	cr_assert_eq(rx_resend_bytes(r), 0);
	cr_assert_str_eq(replayed(r, 20000, &n), "");
	cr_assert_eq(n, 0);
	rx_resend_free(r);
	evbuffer_free(src);
}

Test(resend, off_keeps_nothing)
{
	struct rx_resend *r = rx_resend_new(0, 1 << 20);
	struct evbuffer *src = lines("a\nb\n");
	uint64_t n;

	rx_resend_keep(r, src, 2, 1, 0);
	cr_assert_eq(evbuffer_get_length(src), 2);
	cr_assert_eq(rx_resend_bytes(r), 0);
	cr_assert_str_eq(replayed(r, 1, &n), "");
	cr_assert_eq(n, 0);
	rx_resend_free(r);
	evbuffer_free(src);
}
