/* Links: change their state and attributes, delete one or a whole group,
 * and list tether's links with their addresses, so that tetherd can
 * reconcile after a restart with what the kernel already holds. */
#ifndef TETHER_NETLINK_LINK_H
#define TETHER_NETLINK_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/addr.h"
#include "netlink/nl.h"

enum nl_link_limits {
	NL_LINK_ALIAS_MAX = 255, /* IFALIASZ - 1 */
	NL_LINK_KIND_MAX = 15,
	NL_LINK_ADDRS = 4, /* addresses a listed link keeps */
};

/* What nl_link_configure() changes: any mix, in one request. */
enum nl_link_set {
	NL_LINK_SET_ALIAS = 1 << 0,
	NL_LINK_SET_MTU = 1 << 1,
	NL_LINK_SET_GROUP = 1 << 2,
	/* IFLA_INET6_ADDR_GEN_MODE none: no IPv6 link-local address when the
	 * link goes up; see nl_link_set_ipv6(). */
	NL_LINK_SET_ADDRGEN_NONE = 1 << 3,
	NL_LINK_SET_UP = 1 << 4,
	NL_LINK_SET_DOWN = 1 << 5,
};

struct nl_link_conf {
	unsigned int set; /* enum nl_link_set bits */
	const char *alias;
	uint32_t mtu;
	uint32_t group;
};

/* Applies `conf` to the link `ifindex` in one RTM_SETLINK (two with both
 * ADDRGEN_NONE and UP: the kernel applies the address generation mode
 * after the flags of the same message). -ENODEV if there is no such link, -EINVAL
 * for an alias over NL_LINK_ALIAS_MAX or both UP and DOWN. */
int nl_link_configure(struct nl_sock *nl, int ifindex, const struct nl_link_conf *conf);

/* Down takes the link's routes with it at once, so a connect to the peer
 * fails with EHOSTUNREACH or ENETUNREACH instead of hanging; up with a
 * carrier brings the peer route back. */
int nl_link_set_up(struct nl_sock *nl, int ifindex);
int nl_link_set_down(struct nl_sock *nl, int ifindex);
int nl_link_set_mtu(struct nl_sock *nl, int ifindex, uint32_t mtu);
int nl_link_set_alias(struct nl_sock *nl, int ifindex, const char *alias);
int nl_link_set_group(struct nl_sock *nl, int ifindex, uint32_t group);

/* Sets IFLA_INET6_ADDR_GEN_MODE to none: the link gets no IPv6 address of
 * its own when it goes up (nor DAD, nor router solicitations), yet an IPv6
 * address added to it works. Set it before the link goes up. */
int nl_link_set_addrgen_none(struct nl_sock *nl, int ifindex);

/* Turns IPv6 off (net.ipv6.conf.<ifname>.disable_ipv6 = 1 in the caller's
 * namespace) or back on. Off, the kernel does no IPv6 work for the link at
 * all. This is how a link without an IPv6 address should be: measured with
 * 10,000 TUNs (scripts/bench/kernel.sh), address generation mode none
 * alone still leaves a multicast route per link that every link change
 * walks: up costs 1.5-2 times as much, up again 4-5 times, carrier loss
 * 4-7 times. Not a netlink request: it takes effect at once, even inside a
 * batch. To give a link an IPv6 address, set ADDRGEN_NONE first, then turn
 * IPv6 on. 0 also if the kernel has no IPv6. */
int nl_link_set_ipv6(const char *ifname, bool on);

/* Deletes the link `ifindex`: -ENODEV if there is none. Each deletion
 * waits for the kernel's RCU grace periods (~20 ms); delete many at once
 * with nl_link_del_group(). */
int nl_link_del(struct nl_sock *nl, int ifindex);

/* Deletes every link of `group` in one request and one round of grace
 * periods. -ENODEV if the group is empty, -EPERM for group 0 (every link's
 * default), -EOPNOTSUPP if a member cannot be deleted (a physical NIC):
 * then nothing is deleted. */
int nl_link_del_group(struct nl_sock *nl, uint32_t group);

struct nl_link {
	int ifindex;
	char name[IFNAMSIZ];
	char alias[NL_LINK_ALIAS_MAX + 1]; /* "" if none */
	char kind[NL_LINK_KIND_MAX + 1];   /* "tun", "veth"...; "" for none */
	bool admin_up;			   /* IFF_UP */
	bool carrier;			   /* a TUN: an fd is attached */
	uint8_t operstate;		   /* IF_OPER_*; follows carrier up to 1 s late */
	uint32_t mtu;
	uint32_t group;
	/* filled by nl_link_list() only */
	size_t naddrs;
	struct nl_addr addrs[NL_LINK_ADDRS];
	bool more_addrs; /* the link holds more addresses than addrs */
};

/* The link called `ifname`, without its addresses. -ENODEV if none. */
int nl_link_get(struct nl_sock *nl, const char *ifname, struct nl_link *link);

struct nl_link_list {
	struct nl_link *links; /* sorted by ifindex */
	size_t count;
	size_t cap;
};

/* Lists the links whose name starts with `prefix` (NULL: all) with their
 * IPv4 and IPv6 addresses, from one link dump and one address dump, each
 * run again if a change interrupts it. Free with nl_link_list_free(). */
int nl_link_list(struct nl_sock *nl, const char *prefix, struct nl_link_list *list);
void nl_link_list_free(struct nl_link_list *list);

#endif
