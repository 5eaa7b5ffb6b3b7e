/* TUN interfaces: the gateway's per-device `tt-<name>`, opened safely
 * against name collisions and kept across tetherd restarts, and the
 * agent's plain one (`tether0`). */
#ifndef TETHER_NETLINK_TUN_H
#define TETHER_NETLINK_TUN_H

#include <net/if.h>
#include <stdbool.h>

#include "netlink/nl.h"

enum nl_tun_flags {
	/* TUNSETPERSIST: the interface outlives the fd (and tetherd), keeps
	 * its addresses and is reattached by the next open of its name. Set
	 * on every open, cleared on every open without it. */
	NL_TUN_PERSIST = 1 << 0,
};

struct nl_tun {
	int fd; /* IFF_TUN | IFF_NO_PI, O_NONBLOCK | O_CLOEXEC */
	int ifindex;
	char ifname[IFNAMSIZ];
	bool created; /* this open created it; else it reattached */
};

/* Opens the TUN of device `device` (see netlink/ifname.h for its name).
 * A new interface gets IFLA_IFALIAS = `device` before anything else can
 * see it persist. An existing one is reattached only if it is a TUN whose
 * alias is `device`; otherwise -EEXIST (two device names that give one
 * interface name, or a foreign interface). -EINVAL for a name that is not
 * a device name, -EBUSY if another fd holds the TUN. Inside a batch the
 * alias request is queued like any other: its failure shows at
 * nl_batch_end(), and the new TUN stays (persistent) without its alias. */
int nl_tun_open(struct nl_sock *nl, const char *device, unsigned int flags, struct nl_tun *tun);

/* Opens, creating or reattaching, the TUN called `ifname`, alias untouched:
 * the agent's side. */
int nl_tun_open_name(struct nl_sock *nl, const char *ifname, unsigned int flags,
		     struct nl_tun *tun);

/* Closes the fd: the interface goes with it unless it is persistent. Then
 * only nl_link_del() or nl_link_del_group() removes it. */
void nl_tun_close(struct nl_tun *tun);

#endif
