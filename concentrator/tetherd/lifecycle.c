/* Kernel objects per device through netlink/ and policy/. The interface is
 * persistent: tetherd holds its fd while running and leaves it, down, when
 * it stops, so restarts and reconnections never recreate it. */
#include "concentrator/tetherd/lifecycle.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "common/log.h"
#include "concentrator/tetherd/datapath.h"
#include "netlink/addr.h"
#include "netlink/ifname.h"
#include "netlink/link.h"
#include "netlink/route.h"
#include "netlink/tun.h"

static void p2p_addr(const struct daemon *d, const struct device *dev, struct nl_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->prefixlen = 32;
	a->local.v4 = d->cfg.gateway;
	a->peer.v4 = dev->addr4;
}

/* The device's address on a reattached link: keep the right one, delete
 * any other IPv4 address (the gateway or the device's address changed). */
static int fix_addrs(struct daemon *d, struct device *dev, const struct nl_link *link,
		     const struct nl_addr *want, bool *have)
{
	char a[INET_ADDRSTRLEN];
	int ret;

	*have = false;
	for (size_t i = 0; i < link->naddrs; i++) {
		const struct nl_addr *got = &link->addrs[i];

		if (got->family != AF_INET)
			continue;
		if (got->prefixlen == want->prefixlen &&
		    got->local.v4.s_addr == want->local.v4.s_addr &&
		    got->peer.v4.s_addr == want->peer.v4.s_addr) {
			*have = true;
			continue;
		}
		ret = nl_addr_del(d->nl, link->ifindex, got);
		if (ret && ret != -EADDRNOTAVAIL) {
			log_err("device %s: deleting the stale address %s from %s: %s", dev->name,
				inet_ntop(AF_INET, &got->local.v4, a, sizeof(a)) ? a : "?",
				link->name, strerror(-ret));
			return ret;
		}
		log_info("device %s: deleted the stale address %s from %s", dev->name,
			 inet_ntop(AF_INET, &got->local.v4, a, sizeof(a)) ? a : "?", link->name);
	}
	if (link->more_addrs)
		*have = false; /* not all listed: adding tells, -EEXIST is fine */
	return 0;
}

/* Open (create or reattach) dev's TUN and configure it, down. link is what
 * the start-up dump said about it (NULL: unknown); elements adds the
 * device's set elements (not at start-up, where the whole ruleset does). */
static int attach(struct daemon *d, struct device *dev, const struct nl_link *link, bool elements)
{
	struct nl_link_conf conf = {
		.set = NL_LINK_SET_ALIAS | NL_LINK_SET_MTU | NL_LINK_SET_GROUP,
		.alias = dev->name,
		.mtu = d->cfg.mtu,
		.group = LIFECYCLE_GROUP,
	};
	struct policy_error perr;
	struct nl_addr want;
	struct nl_tun tun;
	bool have = false, in_loop = false;
	int ret;

	ret = nl_tun_open(d->nl, dev->name, NL_TUN_PERSIST, &tun);
	if (ret) {
		log_err("device %s: opening its interface %s: %s%s", dev->name, dev->ifname,
			strerror(-ret),
			ret == -EEXIST	? " (a link of that name is not this device's TUN)"
			: ret == -EBUSY ? " (another process holds it)"
					: "");
		return ret;
	}
	/* no IPv6 on the link until devices get ADDR6: no link-local, no
	 * multicast routes, nothing for the kernel to do (netlink/link.h) */
	ret = nl_link_set_ipv6(tun.ifname, false);
	if (ret) {
		log_err("device %s: turning IPv6 off on %s: %s", dev->name, tun.ifname,
			strerror(-ret));
		goto fail;
	}
	if (!dev->online)
		conf.set |= NL_LINK_SET_DOWN;
	ret = nl_link_configure(d->nl, tun.ifindex, &conf);
	if (ret) {
		log_err("device %s: configuring %s: %s", dev->name, tun.ifname, strerror(-ret));
		goto fail;
	}
	p2p_addr(d, dev, &want);
	if (link) {
		ret = fix_addrs(d, dev, link, &want, &have);
		if (ret)
			goto fail;
	}
	if (!have) {
		ret = nl_addr_add(d->nl, tun.ifindex, &want);
		if (ret && ret != -EEXIST) {
			log_err("device %s: adding its address to %s: %s", dev->name, tun.ifname,
				strerror(-ret));
			goto fail;
		}
	}
	dev->tun_fd = tun.fd;
	dev->ifindex = tun.ifindex;
	ret = datapath_tun_add(d, dev);
	if (ret) {
		log_err("device %s: %s in the event loop: %s", dev->name, tun.ifname,
			strerror(-ret));
		goto fail;
	}
	in_loop = true;
	if (elements) {
		ret = policy_device_add(d->nft, d->policy, dev->name, dev->ifname, &dev->addr4,
					NULL, &perr);
		if (ret) {
			log_err("device %s: nftables elements: %s", dev->name, perr.message);
			goto fail;
		}
	}
	if (tun.created)
		log_info("device %s: interface %s created (ifindex %d)", dev->name, tun.ifname,
			 tun.ifindex);
	else
		log_debug("device %s: interface %s reattached (ifindex %d)", dev->name, tun.ifname,
			  tun.ifindex);
	return 0;
fail:
	if (in_loop)
		datapath_tun_del(d, dev);
	nl_tun_close(&tun);
	/* a half-made interface goes, so the next try starts clean */
	if (tun.created)
		(void)nl_link_del(d->nl, tun.ifindex);
	dev->tun_fd = -1;
	dev->ifindex = 0;
	return ret;
}

int lifecycle_ensure(struct daemon *d, struct device *dev)
{
	if (dev->tun_fd >= 0)
		return 0;
	return attach(d, dev, NULL, true);
}

int lifecycle_link(struct daemon *d, struct device *dev, bool up)
{
	int ret;

	if (!dev->ifindex)
		return -ENODEV;
	ret = up ? nl_link_set_up(d->nl, dev->ifindex) : nl_link_set_down(d->nl, dev->ifindex);
	if (ret)
		log_err("device %s: setting %s %s: %s", dev->name, dev->ifname, up ? "up" : "down",
			strerror(-ret));
	return ret;
}

int lifecycle_destroy(struct daemon *d, struct device *dev)
{
	struct policy_error perr;
	int ret = 0, r;

	datapath_tun_del(d, dev);
	if (dev->tun_fd >= 0) {
		close(dev->tun_fd);
		dev->tun_fd = -1;
	}
	if (dev->ifindex) {
		r = nl_link_del(d->nl, dev->ifindex);
		if (r && r != -ENODEV) {
			log_err("device %s: deleting %s: %s", dev->name, dev->ifname, strerror(-r));
			ret = r;
		} else {
			log_info("device %s: interface %s deleted", dev->name, dev->ifname);
		}
		dev->ifindex = 0;
	}
	/* removing absent elements succeeds, so this runs whatever came before */
	r = policy_device_remove(d->nft, d->policy, dev->name, dev->ifname, &dev->addr4, NULL,
				 &perr);
	if (r) {
		log_err("device %s: removing its nftables elements: %s", dev->name, perr.message);
		ret = ret ? ret : r;
	}
	return ret;
}

void lifecycle_release(struct daemon *d, struct device *dev)
{
	datapath_tun_del(d, dev);
	if (dev->online)
		(void)lifecycle_link(d, dev, false);
	if (dev->tun_fd >= 0)
		close(dev->tun_fd);
	dev->tun_fd = -1;
}

static void pool_route(struct daemon *d)
{
	struct nl_route r = {
		.family = AF_INET,
		.dst_len = d->cfg.pool.prefix,
		.dst.v4 = d->cfg.pool.addr,
		.type = RTN_UNREACHABLE,
	};
	char a[INET_ADDRSTRLEN];
	int ret = nl_route_add(d->nl, &r);

	if (ret && ret != -EEXIST)
		log_warn("kernel: unreachable route over the pool %s/%u: %s (a connect to an "
			 "offline device may then take the default route)",
			 inet_ntop(AF_INET, &d->cfg.pool.addr, a, sizeof(a)) ? a : "?",
			 d->cfg.pool.prefix, strerror(-ret));
}

int lifecycle_reconcile(struct daemon *d)
{
	struct nl_link_list list = {0};
	size_t kept = 0, doomed = 0, failed = 0;
	int ret;

	pool_route(d);
	ret = nl_link_list(d->nl, NL_IFNAME_PREFIX, &list);
	if (ret) {
		log_err("kernel: listing the %s* links: %s", NL_IFNAME_PREFIX, strerror(-ret));
		goto out;
	}
	for (size_t i = 0; i < list.count; i++) {
		const struct nl_link *link = &list.links[i];
		struct device *dev = link->alias[0] ? device_by_name(&d->devs, link->alias) : NULL;

		if (strcmp(link->kind, "tun") != 0) {
			log_warn("kernel: leaving %s alone: a %s link, not a device TUN",
				 link->name, link->kind[0] ? link->kind : "plain");
			continue;
		}
		if (dev && strcmp(dev->ifname, link->name) == 0 && dev->tun_fd < 0) {
			if (attach(d, dev, link, false))
				failed++;
			else
				kept++;
			continue;
		}
		if (link->group != LIFECYCLE_GROUP) {
			log_warn("kernel: leaving %s alone: not in tetherd's interface group %u",
				 link->name, (unsigned int)LIFECYCLE_GROUP);
			continue;
		}
		ret = nl_link_set_group(d->nl, link->ifindex, LIFECYCLE_GROUP_DOOMED);
		if (ret) {
			log_warn("kernel: %s of removed device %s: %s", link->name,
				 link->alias[0] ? link->alias : "?", strerror(-ret));
			continue;
		}
		log_info("kernel: deleting %s, the interface of removed device %s", link->name,
			 link->alias[0] ? link->alias : "?");
		doomed++;
	}
	if (doomed) {
		ret = nl_link_del_group(d->nl, LIFECYCLE_GROUP_DOOMED);
		if (ret && ret != -ENODEV)
			log_err("kernel: deleting %zu interfaces of removed devices (group %u): %s",
				doomed, (unsigned int)LIFECYCLE_GROUP_DOOMED, strerror(-ret));
	}
	log_info("kernel: %zu interfaces reattached, %zu of removed devices deleted%s", kept,
		 doomed, failed ? ", some failed (see above)" : "");
	ret = 0;
out:
	nl_link_list_free(&list);
	return ret;
}

int lifecycle_policy_devices(struct daemon *d, struct policy_device **devs, size_t *n)
{
	struct policy_device *out;
	size_t k = 0;

	*devs = NULL;
	*n = 0;
	out = calloc(d->devs.count ? d->devs.count : 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < d->devs.count; i++) {
		const struct device *dev = d->devs.all[i];

		if (dev->tun_fd < 0)
			continue;
		out[k++] = (struct policy_device){
			.name = dev->name,
			.ifname = dev->ifname,
			.addr4 = dev->addr4,
		};
	}
	*devs = out;
	*n = k;
	return 0;
}

void lifecycle_set_mtu(struct daemon *d)
{
	for (size_t i = 0; i < d->devs.count; i++) {
		struct device *dev = d->devs.all[i];
		int ret;

		if (!dev->ifindex)
			continue;
		ret = nl_link_set_mtu(d->nl, dev->ifindex, d->cfg.mtu);
		if (ret)
			log_err("device %s: MTU %u on %s: %s", dev->name, d->cfg.mtu, dev->ifname,
				strerror(-ret));
	}
}
