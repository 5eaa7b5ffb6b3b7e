/* The naming rule from a device's name to its gateway interface (DESIGN.md,
 * "Kernel objects"): `tt-<name>` for names of up to 12 characters, `tt-` and
 * 12 hex characters of a hash for longer ones. Pure logic, no kernel. */
#ifndef TETHER_NETLINK_IFNAME_H
#define TETHER_NETLINK_IFNAME_H

#include <net/if.h>
#include <stdbool.h>

enum nl_ifname_limits {
	NL_DEVICE_NAME_MAX = 63,   /* a DNS label */
	NL_IFNAME_SHORT_MAX = 12,  /* longest name used as is: "tt-" + 12 = IFNAMSIZ - 1 */
	NL_IFNAME_HASH_CHARS = 12, /* lowercase hex of BLAKE2b-128(name), the first 12 */
};

#define NL_IFNAME_PREFIX "tt-"

/* Whether `name` is a device name: ^[a-z0-9][a-z0-9-]{0,62}$. */
bool nl_ifname_device_valid(const char *name);

/* Writes the interface name for device `name` into `ifname`. 0, or -EINVAL
 * if `name` is not a device name. Two names may give one interface name
 * (a 12-character hex name and a long name whose hash matches): the alias
 * check in nl_tun_open() refuses the second. */
int nl_ifname_for_device(const char *name, char ifname[IFNAMSIZ]);

#endif
