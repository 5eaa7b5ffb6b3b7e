/* A device's objects in the gateway's kernel (INTERFACE.md, Kernel
 * objects): its persistent TUN `tt-<name>` with alias, MTU, tetherd's
 * interface group, IPv6 off and `<gateway> peer <device>/32`, its nftables
 * set elements, and the link state that says online (up) or offline
 * (down). Made once, when the device first comes online, and reattached on
 * every start: never recreated per connection. */
#ifndef TETHER_TETHERD_LIFECYCLE_H
#define TETHER_TETHERD_LIFECYCLE_H

#include <stdbool.h>

#include "concentrator/tetherd/daemon.h"
#include "concentrator/tetherd/device.h"

/* Interface groups (ip link ... group N): every device interface is in
 * LIFECYCLE_GROUP; at start the leftovers of removed devices move to
 * LIFECYCLE_GROUP_DOOMED and go in one request. */
enum {
	LIFECYCLE_GROUP = 51900,
	LIFECYCLE_GROUP_DOOMED = 51901,
};

/* Start-up: the unreachable route over the pool (a connect to an offline
 * device fails at once), then every `tt-*` link: a TUN of a registry
 * device is reattached (fd in the loop, configuration checked, link down),
 * the ones of removed devices are deleted. Set elements are not touched:
 * the ruleset applied next holds them. 0 or -errno, logged. */
int lifecycle_reconcile(struct daemon *d);

/* The device's interface and set elements, made if absent (first time
 * online), the link left down. 0 or -errno, logged with the device. */
int lifecycle_ensure(struct daemon *d, struct device *dev);

/* Link up (online) or down (offline). 0 or -errno. */
int lifecycle_link(struct daemon *d, struct device *dev, bool up);

/* Remove: close the TUN, delete the interface and the set elements. */
int lifecycle_destroy(struct daemon *d, struct device *dev);

/* Stop: close the TUN fd and leave the interface, down, for the next start. */
void lifecycle_release(struct daemon *d, struct device *dev);

/* The devices that have an interface, as the ruleset wants them; *devs is
 * malloc'd (free it). -ENOMEM. */
int lifecycle_policy_devices(struct daemon *d, struct policy_device **devs, size_t *n);

/* Set every interface's MTU to the configured one (reload). */
void lifecycle_set_mtu(struct daemon *d);

#endif
