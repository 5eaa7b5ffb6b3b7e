/* The device's end of the tunnel in the kernel: its TUN interface
 * (`interface`, default tether0) with `<ADDR4> peer <PEER4>/32` and the MTU
 * of message 2, IPv6 off unless ADDR6 was given, up while a session is
 * live and down otherwise (INTERFACE.md "Kernel objects").
 *
 * Answers must leave by the tunnel too, also to hosts beyond the gateway
 * (an admin network the gateway's policy lets in): a rule sends every
 * packet from the tunnel address to a table of its own, which holds a
 * default route through the TUN, and an unreachable default under it so
 * that while the link is down nothing with that source leaks to the LAN:
 *
 *     ip rule add from ADDR4 lookup T priority NETIF_RULE_PRIORITY
 *     ip route add default dev tether0 table T
 *     ip route add unreachable default metric NETIF_UNREACHABLE_METRIC table T
 *
 * with T = NETIF_TABLE_BASE + the interface's index. */
#ifndef TETHER_AGENT_NETIF_H
#define TETHER_AGENT_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/addr.h"
#include "netlink/nl.h"
#include "netlink/tun.h"
#include "proto/tlv.h"

enum netif_numbers {
	NETIF_TABLE_BASE = 51900,
	NETIF_RULE_PRIORITY = 5190,
	NETIF_UNREACHABLE_METRIC = 4278198272U, /* as far down as `ip` goes */
};

struct netif {
	struct nl_sock *nl;
	struct nl_tun tun;
	bool up;
	bool has4, has6; /* addresses in place */
	struct nl_addr addr4, addr6;
	uint32_t mtu;
	uint32_t table;
	bool rule4, rule6;   /* the source rules in place */
	bool unreachable[2]; /* the table's unreachable routes, IPv4 and IPv6 */
};

/* Create (or take over) the TUN called ifname, link down, IPv6 off, no
 * address. -errno with err naming the interface. */
int netif_open(struct netif *nif, const char *ifname, char *err, size_t errlen);

/* Give it the addresses and MTU of an OK message 2, replacing what differs
 * (a gateway may renumber a device); IPv6 on only with ADDR6 and PEER6.
 * Leaves the link as it was. */
int netif_configure(struct netif *nif, const struct tlv_msg2 *m, char *err, size_t errlen);

/* Link up (and its table's default route) or down. */
int netif_set_up(struct netif *nif, bool up, char *err, size_t errlen);

/* Remove the rules and the unreachable routes, and close the TUN, which
 * takes the interface, its addresses and other routes with it. */
void netif_close(struct netif *nif);

#endif
