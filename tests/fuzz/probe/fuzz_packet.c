/*
 * libFuzzer harness for the packet decoder and everything behind it: the first byte picks a link
 * type, the rest is one frame, pushed through the whole probe (decode, fragments, TCP streams, SIP,
 * dialogs, NDJSON). Inputs longer than one frame are split at 0xFF 0xFE markers into several frames of
 * one capture, so reassembly and call state see sequences. Invariants: every delivered payload lies in
 * memory the decoder may read (ASan checks it), every output line is one line ending in '\n'.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static const int links[] = { RX_PKT_LINK_EN10MB, RX_PKT_LINK_LINUX_SLL, RX_PKT_LINK_LINUX_SLL2, RX_PKT_LINK_RAW,
	RX_PKT_LINK_NULL, RX_PKT_LINK_LOOP, RX_PKT_LINK_IPV4, RX_PKT_LINK_IPV6 };

static void
sink(const char *line, size_t n, void *arg)
{
	(void)arg;
	CHECK(n > 0 && line[n - 1] == '\n' && memchr(line, '\n', n) == line + n - 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rx_probe_config cfg;
	struct rx_probe_params params = { 1, 10LL * 1000000, 64, 16 };
	struct rx_probe p;
	int64_t ts = 1000000;
	const uint8_t *frame, *end = data + size;
	int link;

	if (size < 1)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	if (rx_probe_init(&p, &cfg, &params) < 0)
		return 0;
	rx_out_init(&p.out, sink, NULL);
	link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	for (frame = data + 1; frame < end;) {
		const uint8_t *next = frame, *mark = NULL;

		while (next + 1 < end && !(next[0] == 0xff && next[1] == 0xfe))
			next++;
		mark = next + 1 < end ? next : end;
		/* A private heap copy of exactly the frame's bytes lets ASan catch any read past its end. */
		uint8_t *copy = malloc((size_t)(mark - frame) + 1);

		if (copy == NULL)
			break;
		memcpy(copy, frame, (size_t)(mark - frame));
		rx_probe_frame_cb(link, copy, (size_t)(mark - frame), ts, &p);
		free(copy);
		ts += 400000;
		frame = mark == end ? end : mark + 2;
	}
	rx_probe_tick(&p, ts + 3600LL * 1000000);
	rx_probe_finish(&p);
	rx_probe_free(&p);
	return 0;
}
