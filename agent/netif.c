/* The agent's TUN through netlink/: open, addresses, MTU, IPv6 on or off,
 * up and down, and the source rule that keeps answers in the tunnel (the
 * one request netlink/ has no helper for, sent through its nl_request). */
#include "agent/netif.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "common/log.h"
#include "netlink/link.h"
#include "netlink/route.h"

static size_t alen(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

/* ip rule add|del from ADDR lookup TABLE priority NETIF_RULE_PRIORITY */
static int rule(struct netif *nif, uint16_t type, const struct nl_addr *a)
{
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;

	nlh = nl_msg_start(nif->nl, type, type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0,
			   sizeof(*frh));
	frh = mnl_nlmsg_get_payload(nlh);
	frh->family = (uint8_t)a->family;
	frh->src_len = a->family == AF_INET ? 32 : 128;
	frh->action = FR_ACT_TO_TBL;
	frh->table = RT_TABLE_UNSPEC; /* past 255: the attribute says */
	mnl_attr_put(nlh, FRA_SRC, alen(a->family), &a->local);
	mnl_attr_put_u32(nlh, FRA_TABLE, nif->table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, NETIF_RULE_PRIORITY);
	return nl_request(nif->nl, nlh, NULL, NULL);
}

/* The table's routes: default through the TUN, or unreachable under it. */
static struct nl_route table_route(const struct netif *nif, int family, bool through_tun)
{
	struct nl_route r = {
		.family = family,
		.type = through_tun ? RTN_UNICAST : RTN_UNREACHABLE,
		.ifindex = through_tun ? nif->tun.ifindex : 0,
		.table = nif->table,
		.metric = through_tun ? 0 : NETIF_UNREACHABLE_METRIC,
	};

	return r;
}

static int table_route_add(struct netif *nif, int family, bool through_tun)
{
	struct nl_route r = table_route(nif, family, through_tun);
	int ret = nl_route_add(nif->nl, &r);

	if (ret == -EEXIST)
		ret = 0;
	/* the route through the TUN goes with the link; this one must be removed */
	if (!ret && !through_tun)
		nif->unreachable[family == AF_INET6] = true;
	return ret;
}

static void addr_str(const struct nl_addr *a, char *out, size_t size)
{
	char l[INET6_ADDRSTRLEN] = "?", p[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family, &a->local, l, sizeof(l));
	inet_ntop(a->family, &a->peer, p, sizeof(p));
	snprintf(out, size, "%s peer %s", l, p);
}

/* A TUN taken over from an earlier run may still carry its addresses. */
static int flush_addrs(struct netif *nif)
{
	struct nl_link_list list = {0};
	int ret;

	ret = nl_link_list(nif->nl, nif->tun.ifname, &list);
	if (ret)
		goto out;
	for (size_t i = 0; i < list.count; i++) {
		const struct nl_link *l = &list.links[i];

		if (l->ifindex != nif->tun.ifindex)
			continue;
		for (size_t j = 0; j < l->naddrs && !ret; j++) {
			ret = nl_addr_del(nif->nl, l->ifindex, &l->addrs[j]);
			if (ret == -EADDRNOTAVAIL)
				ret = 0;
		}
	}
out:
	nl_link_list_free(&list);
	return ret;
}

int netif_open(struct netif *nif, const char *ifname, char *err, size_t errlen)
{
	struct nl_link_conf conf = {.set = NL_LINK_SET_ADDRGEN_NONE | NL_LINK_SET_DOWN};
	int ret;

	memset(nif, 0, sizeof(*nif));
	nif->tun.fd = -1;
	nif->nl = nl_sock_create();
	if (!nif->nl) {
		ret = -errno;
		snprintf(err, errlen, "cannot open a netlink socket: %s", strerror(-ret));
		goto out;
	}
	ret = nl_tun_open_name(nif->nl, ifname, 0, &nif->tun);
	if (ret) {
		snprintf(err, errlen, "cannot open TUN interface %s: %s%s", ifname, strerror(-ret),
			 ret == -EPERM || ret == -EACCES ? " (the agent needs CAP_NET_ADMIN)"
			 : ret == -ENOENT || ret == -ENODEV
				 ? " (no /dev/net/tun: a kernel with CONFIG_TUN, modprobe tun)"
			 : ret == -EBUSY  ? " (another process holds it)"
			 : ret == -EEXIST ? " (an interface of that name is not a TUN)"
					  : "");
		goto out;
	}
	nif->table = NETIF_TABLE_BASE + (uint32_t)nif->tun.ifindex;
	ret = nl_link_configure(nif->nl, nif->tun.ifindex, &conf);
	if (ret) {
		snprintf(err, errlen, "cannot set %s down: %s", ifname, strerror(-ret));
		goto out;
	}
	ret = nl_link_set_ipv6(ifname, false);
	if (ret) {
		snprintf(err, errlen, "cannot turn IPv6 off on %s: %s", ifname, strerror(-ret));
		goto out;
	}
	if (!nif->tun.created) {
		ret = flush_addrs(nif);
		if (ret) {
			snprintf(err, errlen, "cannot clear the addresses of %s: %s", ifname,
				 strerror(-ret));
			goto out;
		}
	}
out:
	if (ret)
		netif_close(nif);
	return ret;
}

/* Replace *cur (present if *has) by want on the link, with its source rule. */
static int set_addr(struct netif *nif, struct nl_addr *cur, bool *has, bool *has_rule,
		    const struct nl_addr *want, char *err, size_t errlen)
{
	char s[2 * INET6_ADDRSTRLEN + 8];
	int ret = 0;

	if (*has && want && !memcmp(cur, want, sizeof(*cur)))
		return 0;
	if (*has_rule) {
		ret = rule(nif, RTM_DELRULE, cur);
		if (ret && ret != -ENOENT)
			goto fail;
		*has_rule = false;
	}
	if (*has) {
		ret = nl_addr_del(nif->nl, nif->tun.ifindex, cur);
		if (ret && ret != -EADDRNOTAVAIL)
			goto fail;
		*has = false;
	}
	if (!want)
		return 0;
	*cur = *want;
	ret = nl_addr_add(nif->nl, nif->tun.ifindex, cur);
	if (ret && ret != -EEXIST)
		goto fail;
	*has = true;
	/* a crash may have left the same rule behind: it is as good */
	ret = rule(nif, RTM_NEWRULE, cur);
	if (ret && ret != -EEXIST)
		goto fail;
	*has_rule = true;
	ret = table_route_add(nif, cur->family, false);
	if (ret)
		goto fail;
	return 0;
fail:
	addr_str(want ? want : cur, s, sizeof(s));
	snprintf(err, errlen, "cannot set %s on %s: %s", s, nif->tun.ifname, strerror(-ret));
	return ret;
}

static void p2p(struct nl_addr *a, int family, const void *local, const void *peer)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->prefixlen = family == AF_INET ? 32 : 128;
	memcpy(&a->local, local, alen(family));
	memcpy(&a->peer, peer, alen(family));
}

int netif_configure(struct netif *nif, const struct tlv_msg2 *m, char *err, size_t errlen)
{
	struct nl_addr a4, a6;
	bool v6 = m->has_addr6 && m->has_peer6;
	int ret;

	if (m->mtu != nif->mtu) {
		ret = nl_link_set_mtu(nif->nl, nif->tun.ifindex, m->mtu);
		if (ret) {
			snprintf(err, errlen, "cannot set the MTU of %s to %u: %s", nif->tun.ifname,
				 m->mtu, strerror(-ret));
			goto out;
		}
		nif->mtu = m->mtu;
	}
	p2p(&a4, AF_INET, m->addr4, m->peer4);
	ret = set_addr(nif, &nif->addr4, &nif->has4, &nif->rule4, &a4, err, errlen);
	if (ret)
		goto out;
	if (v6) {
		p2p(&a6, AF_INET6, m->addr6, m->peer6);
		ret = nl_link_set_ipv6(nif->tun.ifname, true);
		if (ret) {
			snprintf(err, errlen, "cannot turn IPv6 on on %s: %s", nif->tun.ifname,
				 strerror(-ret));
			goto out;
		}
	}
	ret = set_addr(nif, &nif->addr6, &nif->has6, &nif->rule6, v6 ? &a6 : NULL, err, errlen);
	if (ret)
		goto out;
	if (!v6) {
		ret = nl_link_set_ipv6(nif->tun.ifname, false);
		if (ret)
			snprintf(err, errlen, "cannot turn IPv6 off on %s: %s", nif->tun.ifname,
				 strerror(-ret));
	}
out:
	return ret;
}

int netif_set_up(struct netif *nif, bool up, char *err, size_t errlen)
{
	int ret;

	ret = up ? nl_link_set_up(nif->nl, nif->tun.ifindex)
		 : nl_link_set_down(nif->nl, nif->tun.ifindex);
	if (ret) {
		snprintf(err, errlen, "cannot set %s %s: %s", nif->tun.ifname, up ? "up" : "down",
			 strerror(-ret));
		goto out;
	}
	nif->up = up;
	/* down took the table's route through the link; up needs it again */
	if (up && nif->has4)
		ret = table_route_add(nif, AF_INET, true);
	if (!ret && up && nif->has6)
		ret = table_route_add(nif, AF_INET6, true);
	if (ret)
		snprintf(err, errlen, "cannot route the answers of %s: %s", nif->tun.ifname,
			 strerror(-ret));
out:
	return ret;
}

void netif_close(struct netif *nif)
{
	/* the routes go with the interface, the rules do not */
	if (nif->rule4 && rule(nif, RTM_DELRULE, &nif->addr4))
		log_warn("cannot remove the source rule of %s", nif->tun.ifname);
	if (nif->rule6 && rule(nif, RTM_DELRULE, &nif->addr6))
		log_warn("cannot remove the IPv6 source rule of %s", nif->tun.ifname);
	nif->rule4 = nif->rule6 = false;
	for (int i = 0; i < 2; i++) {
		struct nl_route r = table_route(nif, i ? AF_INET6 : AF_INET, false);

		if (nif->unreachable[i] && nl_route_del(nif->nl, &r))
			log_warn("cannot remove the unreachable route of table %u", nif->table);
		nif->unreachable[i] = false;
	}
	nl_tun_close(&nif->tun);
	if (nif->nl)
		nl_sock_free(nif->nl);
	nif->nl = NULL;
	nif->up = nif->has4 = nif->has6 = false;
}
