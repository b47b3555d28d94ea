/*
 * privdrop.h: becoming an ordinary user once the privileged work is done. rexiand and
 * rexian-probe open their sockets, capture handles and key files first; after that they
 * need no privilege at all, so a daemon started as root runs as --user.
 */
#ifndef REXIAN_PRIVDROP_H
#define REXIAN_PRIVDROP_H

#include <stddef.h>

/* Switch to user (its primary group, no supplementary groups). Returns 0 or -1 with a
 * reason. */
int rx_drop_privileges(const char *user, char *err, size_t errlen);

#endif
