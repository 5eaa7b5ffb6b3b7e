/* The device-name rule of PROTOCOL.md 2: a DNS label ^[a-z0-9][a-z0-9-]{0,62}$,
 * which becomes the subdomain <name>.<domain>. */
#ifndef TETHER_PROTO_NAME_H
#define TETHER_PROTO_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* True when the len bytes of name follow the rule (a NUL byte never does). */
bool name_valid(const char *name, size_t len);

#endif
