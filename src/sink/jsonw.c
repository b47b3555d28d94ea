/*
 * jsonw.c: the JSON writer.
 */
#include "rexian/jsonw.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rx_jsonw_init(struct rx_jsonw *w)
{
	memset(w, 0, sizeof *w);
}

void rx_jsonw_release(struct rx_jsonw *w)
{
	free(w->buf);
	rx_jsonw_init(w);
}

void rx_jsonw_reset(struct rx_jsonw *w)
{
	w->len = 0;
	w->failed = false;
	w->depth = 0;
	w->need_comma[0] = false;
	if (w->buf != NULL)
		w->buf[0] = '\0';
}

static void put(struct rx_jsonw *w, const char *s, size_t n)
{
	if (w->failed)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		char *p;
		while (cap < w->len + n + 1)
			cap *= 2;
		if ((p = realloc(w->buf, cap)) == NULL) {
			w->failed = true;
			return;
		}
		w->buf = p;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* Before any key, or any value not following a key: a comma if something came before. */
static void sep(struct rx_jsonw *w)
{
	if (w->need_comma[w->depth])
		put(w, ",", 1);
	w->need_comma[w->depth] = true;
}

void rx_jsonw_open(struct rx_jsonw *w, char bracket)
{
	sep(w);
	put(w, &bracket, 1);
	if (w->depth + 1 < RX_JSONW_DEPTH)
		w->depth++;
	w->need_comma[w->depth] = false;
}

void rx_jsonw_close(struct rx_jsonw *w, char bracket)
{
	put(w, &bracket, 1);
	if (w->depth > 0)
		w->depth--;
}

static void put_escaped(struct rx_jsonw *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	put(w, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			char two[2] = { '\\', (char)c };
			put(w, two, 2);
		} else if (c == '\n') {
			put(w, "\\n", 2);
		} else {
			put(w, esc, 6);
		}
	}
	put(w, s + run, len - run);
	put(w, "\"", 1);
}

void rx_jsonw_key(struct rx_jsonw *w, const char *key)
{
	sep(w);
	put_escaped(w, key, strlen(key));
	put(w, ":", 1);
	w->need_comma[w->depth] = false;   /* the value that follows takes no comma */
}

static void value_text(struct rx_jsonw *w, const char *s, size_t n)
{
	sep(w);
	put(w, s, n);
}

void rx_jsonw_str(struct rx_jsonw *w, const char *s, size_t len)
{
	sep(w);
	put_escaped(w, s, len);
}

void rx_jsonw_cstr(struct rx_jsonw *w, const char *s)
{
	rx_jsonw_str(w, s, strlen(s));
}

void rx_jsonw_uint(struct rx_jsonw *w, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof b, "%llu", (unsigned long long)v);

	value_text(w, b, (size_t)n);
}

void rx_jsonw_int(struct rx_jsonw *w, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof b, "%lld", (long long)v);

	value_text(w, b, (size_t)n);
}

int rx_format_real(char *out, size_t size, double v)
{
	/* the shortest precision that reads back to the same double */
	for (int prec = 15; prec <= 17; prec++) {
		int n = snprintf(out, size, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return n;
	}
	return snprintf(out, size, "%.17g", v);
}

void rx_jsonw_real(struct rx_jsonw *w, double v)
{
	char b[40];
	int n;

	if (!isfinite(v)) {
		rx_jsonw_null(w);
		return;
	}
	n = rx_format_real(b, sizeof b, v);
	value_text(w, b, (size_t)n);
}

void rx_jsonw_number_text(struct rx_jsonw *w, const char *text)
{
	value_text(w, text, strlen(text));
}

void rx_jsonw_bool(struct rx_jsonw *w, bool v)
{
	value_text(w, v ? "true" : "false", v ? 4 : 5);
}

void rx_jsonw_null(struct rx_jsonw *w)
{
	value_text(w, "null", 4);
}

void rx_jsonw_raw(struct rx_jsonw *w, const char *s, size_t len)
{
	put(w, s, len);
}

void rx_jsonw_rawf(struct rx_jsonw *w, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		put(w, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		w->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	put(w, big, (size_t)n);
	free(big);
}

void rx_jsonw_kv_uint(struct rx_jsonw *w, const char *key, uint64_t v)
{
	rx_jsonw_key(w, key);
	rx_jsonw_uint(w, v);
}

void rx_jsonw_kv_int(struct rx_jsonw *w, const char *key, int64_t v)
{
	rx_jsonw_key(w, key);
	rx_jsonw_int(w, v);
}

void rx_jsonw_kv_real(struct rx_jsonw *w, const char *key, double v)
{
	rx_jsonw_key(w, key);
	rx_jsonw_real(w, v);   /* writes null for NaN */
}

void rx_jsonw_kv_cstr(struct rx_jsonw *w, const char *key, const char *s)
{
	rx_jsonw_key(w, key);
	rx_jsonw_cstr(w, s);
}

void rx_jsonw_kv_count(struct rx_jsonw *w, const char *key, int64_t v)
{
	rx_jsonw_key(w, key);
	if (v < 0)
		rx_jsonw_null(w);
	else
		rx_jsonw_int(w, v);
}
