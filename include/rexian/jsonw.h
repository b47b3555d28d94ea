/*
 * jsonw.h: a small JSON writer into a growable buffer, for the outputs rexian builds
 * itself (replay --json, /api/live, Redis summaries). It escapes strings per RFC 8259 and
 * prints reals so that they read back to the same double. Commas are placed for the
 * caller: a key or value after an earlier one at the same level gets one.
 */
#ifndef REXIAN_JSONW_H
#define REXIAN_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RX_JSONW_DEPTH 32

struct rx_jsonw {
	char *buf;
	size_t len, cap;
	bool failed;                  /* out of memory: the output is incomplete */
	int depth;
	bool need_comma[RX_JSONW_DEPTH];
};

void rx_jsonw_init(struct rx_jsonw *w);
void rx_jsonw_release(struct rx_jsonw *w);   /* frees buf */
void rx_jsonw_reset(struct rx_jsonw *w);     /* empties it, keeping the buffer */
void rx_jsonw_open(struct rx_jsonw *w, char bracket);   /* '{' or '[' */
void rx_jsonw_close(struct rx_jsonw *w, char bracket);  /* '}' or ']' */
void rx_jsonw_key(struct rx_jsonw *w, const char *key);
void rx_jsonw_str(struct rx_jsonw *w, const char *s, size_t len);
void rx_jsonw_cstr(struct rx_jsonw *w, const char *s);
void rx_jsonw_uint(struct rx_jsonw *w, uint64_t v);
void rx_jsonw_int(struct rx_jsonw *w, int64_t v);
void rx_jsonw_real(struct rx_jsonw *w, double v);
/* A number already in JSON form ("1772409630.186"), written as it is. */
void rx_jsonw_number_text(struct rx_jsonw *w, const char *text);
void rx_jsonw_bool(struct rx_jsonw *w, bool v);
void rx_jsonw_null(struct rx_jsonw *w);
/* A key and its value in one call. */
void rx_jsonw_kv_uint(struct rx_jsonw *w, const char *key, uint64_t v);
void rx_jsonw_kv_int(struct rx_jsonw *w, const char *key, int64_t v);
void rx_jsonw_kv_real(struct rx_jsonw *w, const char *key, double v);   /* NaN: null */
void rx_jsonw_kv_cstr(struct rx_jsonw *w, const char *key, const char *s);
/* A count where negative means "not known": null. */
void rx_jsonw_kv_count(struct rx_jsonw *w, const char *key, int64_t v);

/* Raw text, no separators: for non-JSON bodies (the Prometheus exposition). */
void rx_jsonw_raw(struct rx_jsonw *w, const char *s, size_t len);
void rx_jsonw_rawf(struct rx_jsonw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Shortest "%.17g"-exact text of a double ("0.975", not "0.97499999999999998"). */
int rx_format_real(char *out, size_t size, double v);

#endif
