/* Interface addresses: the point-to-point pair a tunnel carries,
 * `<local> peer <peer>/32` (IPv4) or `/128` (IPv6). The kernel adds the
 * route to the peer by itself while the link is up. */
#ifndef TETHER_NETLINK_ADDR_H
#define TETHER_NETLINK_ADDR_H

#include <netinet/in.h>
#include <stdint.h>

#include "netlink/nl.h"

union nl_inaddr {
	struct in_addr v4;
	struct in6_addr v6;
};

/* `family` AF_INET or AF_INET6. In a dump, an address without a peer has
 * peer == local. */
struct nl_addr {
	int family;
	uint8_t prefixlen;
	union nl_inaddr local;
	union nl_inaddr peer;
};

/* Fills `a` with `local` peer `peer` and the host prefix length (32 or
 * 128) from two addresses in text. 0, or -EINVAL if either does not parse
 * or their families differ. */
int nl_addr_parse_p2p(struct nl_addr *a, const char *local, const char *peer);

/* Adds `a` to the link `ifindex`. -EEXIST if it is there, -ENODEV if the
 * link is not. IPv6 addresses skip duplicate address detection: a tunnel
 * has exactly two ends and the address must be usable at once. */
int nl_addr_add(struct nl_sock *nl, int ifindex, const struct nl_addr *a);

/* Deletes `a` from the link `ifindex`; -EADDRNOTAVAIL if it is not there. */
int nl_addr_del(struct nl_sock *nl, int ifindex, const struct nl_addr *a);

#endif
