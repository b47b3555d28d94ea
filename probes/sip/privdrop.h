/*
 * Privilege drop: after the capture handles and sockets are open the probe needs no privilege at all
 * (reading an open pcap handle needs no CAP_NET_RAW), so it becomes an ordinary user.
 */
#ifndef RX_PROBE_PRIVDROP_H
#define RX_PROBE_PRIVDROP_H

#include <stddef.h>

/* Switch to user (and its primary group, no supplementary groups). Returns 0 or -1 with a reason. */
int rx_probe_drop_privileges(const char *user, char *err, size_t errlen);

#endif
