/*
 * Capture sources: the first stage (capture -> packet -> sip -> dialog -> output). A source is a
 * libpcap handle, a live interface or a capture file (pcap or pcapng); both hand frames with their link
 * type and timestamp to the same callback, so live capture and files share every later stage.
 */
#ifndef RX_PROBE_PCAPSRC_H
#define RX_PROBE_PCAPSRC_H

#include <stddef.h>
#include <stdint.h>

typedef void (*rx_capture_frame_cb)(int link, const uint8_t *frame, size_t len, int64_t ts_us, void *arg);

struct rx_capture;

/* Open a capture file; filter may be NULL. Returns NULL with a one-line reason in err. */
struct rx_capture *rx_capture_open_file(const char *path, const char *filter, char *err, size_t errlen);
/* Open a live interface ("any" allowed), non-blocking. */
struct rx_capture *rx_capture_open_live(const char *iface, const char *filter, char *err, size_t errlen);
void rx_capture_close(struct rx_capture *c);

/* Deliver up to max frames (-1: all available now). Returns frames delivered, 0 at the end of a
 * file or when nothing is pending, -1 on a read error (reason in err). */
int rx_capture_dispatch(struct rx_capture *c, int max, rx_capture_frame_cb cb, void *arg, char *err,
    size_t errlen);
/* A file at its end. */
int rx_capture_eof(const struct rx_capture *c);
/* The descriptor to poll for a live source, -1 for a file. */
int rx_capture_fd(const struct rx_capture *c);
const char *rx_capture_name(const struct rx_capture *c);
/* Kernel drops (live sources); 0 for files. */
uint64_t rx_capture_drops(struct rx_capture *c);

/* The BPF expression for a port list like "5060,5080": SIP over UDP and TCP, IP fragments included,
 * plus the same inside VLAN tags. Writes into buf; returns 0, or -1 if the list is not ports. */
int rx_capture_port_filter(const char *ports, char *buf, size_t n);

#endif
