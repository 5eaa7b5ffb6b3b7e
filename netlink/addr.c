/* RTM_NEWADDR and RTM_DELADDR for point-to-point tunnel addresses; the
 * listing of addresses lives with the links (link.c), which join them. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "netlink/addr.h"

static size_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

static int check(int ifindex, const struct nl_addr *a)
{
	if (ifindex <= 0)
		return -EINVAL;
	if (a->family == AF_INET && a->prefixlen <= 32)
		return 0;
	if (a->family == AF_INET6 && a->prefixlen <= 128)
		return 0;
	return -EINVAL;
}

static int request(struct nl_sock *nl, uint16_t type, uint16_t flags, int ifindex,
		   const struct nl_addr *a)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int ret;

	ret = check(ifindex, a);
	if (ret)
		goto out;
	nlh = nl_msg_start(nl, type, flags, sizeof(*ifa));
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, addr_len(a->family), &a->local);
	mnl_attr_put(nlh, IFA_ADDRESS, addr_len(a->family), &a->peer);
	if (a->family == AF_INET6 && type == RTM_NEWADDR)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	ret = nl_request(nl, nlh, NULL, NULL);
out:
	return ret;
}

int nl_addr_parse_p2p(struct nl_addr *a, const char *local, const char *peer)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, local, &a->local.v4) == 1 &&
	    inet_pton(AF_INET, peer, &a->peer.v4) == 1) {
		a->family = AF_INET;
		a->prefixlen = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, local, &a->local.v6) == 1 &&
	    inet_pton(AF_INET6, peer, &a->peer.v6) == 1) {
		a->family = AF_INET6;
		a->prefixlen = 128;
		return 0;
	}
	return -EINVAL;
}

int nl_addr_add(struct nl_sock *nl, int ifindex, const struct nl_addr *a)
{
	return request(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, a);
}

int nl_addr_del(struct nl_sock *nl, int ifindex, const struct nl_addr *a)
{
	return request(nl, RTM_DELADDR, 0, ifindex, a);
}
