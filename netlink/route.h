/* Routes beyond the peer route the kernel adds by itself: a prefix through
 * a tunnel link, or an unreachable route over the device pool so that a
 * connect to an offline device fails at once instead of taking the default
 * route out. */
#ifndef TETHER_NETLINK_ROUTE_H
#define TETHER_NETLINK_ROUTE_H

#include <stdint.h>
#include <linux/rtnetlink.h>

#include "netlink/addr.h"
#include "netlink/nl.h"

/* `type` is RTN_UNICAST (through `ifindex`, scope link), RTN_UNREACHABLE
 * or RTN_BLACKHOLE (no ifindex). `table` 0 means main; `metric` 0 is the
 * kernel's default. */
struct nl_route {
	int family;
	uint8_t dst_len;
	union nl_inaddr dst;
	uint8_t type;
	int ifindex;
	uint32_t table;
	uint32_t metric;
};

/* Fills `r` from "a.b.c.d/len" or "x::/len" with type RTN_UNICAST through
 * `ifindex` (0 leaves it for another type). 0 or -EINVAL. */
int nl_route_parse(struct nl_route *r, const char *prefix, int ifindex);

/* -EEXIST if the same route is there; -ENODEV for a missing link. */
int nl_route_add(struct nl_sock *nl, const struct nl_route *r);
/* -ESRCH if there is no such route. */
int nl_route_del(struct nl_sock *nl, const struct nl_route *r);

#endif
