/*
 * NDJSON formatting of call events (see ndjson.h). Strings that come off the wire (Call-ID, user parts)
 * are escaped and checked as UTF-8 here, because one bad byte would make the collector reject the line.
 */
#include "output/ndjson.h"

#include <stdio.h>
#include <string.h>

struct rx_buf {
	char *p;
	size_t n, len;
	int overflow;
};

static void
rx_buf_put(struct rx_buf *b, const char *s, size_t n)
{
	if (b->len + n >= b->n) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
rx_buf_str(struct rx_buf *b, const char *s)
{
	rx_buf_put(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static size_t
rx_utf8_len(const unsigned char *s, size_t n)
{
	size_t need;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (need > n)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

/* A JSON string value; invalid UTF-8 bytes become U+FFFD. */
static void
rx_buf_json(struct rx_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	rx_buf_put(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		size_t run = i, l;
		char esc[8];

		/* Plain ASCII runs (the common case: Call-IDs, numbers) go out in one copy. */
		while (run < n && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\')
			run++;
		if (run > i) {
			rx_buf_put(b, s + i, run - i);
			i = run;
			continue;
		}
		l = rx_utf8_len(u + i, n - i);
		if (l == 0) {
			rx_buf_str(b, "\\ufffd");
			i++;
		} else if (u[i] == '"' || u[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)u[i];
			rx_buf_put(b, esc, 2);
			i++;
		} else if (u[i] < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
			rx_buf_put(b, esc, 6);
			i++;
		} else {
			rx_buf_put(b, s + i, l);
			i += l;
		}
	}
	rx_buf_put(b, "\"", 1);
}

static void
rx_buf_field(struct rx_buf *b, const char *name, const char *v)
{
	rx_buf_put(b, ",\"", 2);
	rx_buf_str(b, name);
	rx_buf_put(b, "\":", 2);
	rx_buf_json(b, v, strlen(v));
}

void
rx_out_init(struct rx_out *o, rx_out_write_fn write, void *arg)
{
	memset(o, 0, sizeof(*o));
	o->write = write;
	o->arg = arg;
}

int
rx_out_load_key(struct rx_out *o, const char *path, char *err, size_t errlen)
{
	return rx_pseudonym_key_load(&o->key, "--caller-key", path, err, errlen);
}

static void
rx_out_caller(const struct rx_out *o, struct rx_buf *b, struct rx_sip_str caller)
{
	char hex[RX_PSEUDONYM_HEX];

	if (rx_pseudonym(&o->key, caller.p, caller.n, hex) == 0)
		rx_buf_field(b, "caller", hex);
}

/* Epoch seconds with exactly three decimals, from integer microseconds: no floating point, so
 * 1772413231.001 stays .001 (the collector parses it back exactly). Hand-rolled: it runs per event. */
static void
rx_buf_ts(struct rx_buf *b, int64_t us)
{
	char tmp[32], *e = tmp + sizeof(tmp), *q = e;
	uint64_t v = us < 0 ? 0 : (uint64_t)us / 1000;      /* milliseconds */

	for (int i = 0; i < 3; i++, v /= 10)
		*--q = (char)('0' + v % 10);
	*--q = '.';
	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	rx_buf_put(b, q, (size_t)(e - q));
}

static const char *const rx_out_names[] = { "offer", "answer", "hangup" };

size_t
rx_out_format(const struct rx_out *o, const struct rx_dialog_event *ev, char *p, size_t n)
{
	struct rx_buf b = { p, n, 0, 0 };

	rx_buf_str(&b, "{\"ts\":");
	rx_buf_ts(&b, ev->ts_us);
	rx_buf_field(&b, "event", rx_out_names[ev->type]);
	rx_buf_field(&b, "call", ev->call);
	if (ev->type == RX_EV_OFFER) {
		rx_buf_field(&b, "queue", ev->queue);
		rx_buf_field(&b, "direction", "in");
		rx_out_caller(o, &b, ev->caller);
	}
	if (ev->type == RX_EV_ANSWER)
		rx_buf_field(&b, "seat", ev->seat);
	if (ev->type == RX_EV_HANGUP && ev->outcome != NULL)
		rx_buf_field(&b, "outcome", ev->outcome);
	if (ev->platform != NULL)
		rx_buf_field(&b, "platform", ev->platform);
	rx_buf_put(&b, "}\n", 2);
	return b.overflow ? 0 : b.len;
}

void
rx_out_event_cb(const struct rx_dialog_event *ev, void *arg)
{
	struct rx_out *o = arg;
	char line[4096];
	size_t n = rx_out_format(o, ev, line, sizeof(line));

	if (n == 0)
		return;                 /* only a pathological Call-ID exceeds 4 KiB; it is not a call */
	o->lines++;
	o->write(line, n, o->arg);
}

void
rx_out_stdout_write(const char *line, size_t n, void *arg)
{
	(void)arg;
	fwrite(line, 1, n, stdout);
}
