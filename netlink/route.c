/* RTM_NEWROUTE and RTM_DELROUTE, tagged RTPROT_STATIC like `ip route add`,
 * so an admin reads them the same way. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "netlink/route.h"

static int check(const struct nl_route *r)
{
	int max = r->family == AF_INET ? 32 : r->family == AF_INET6 ? 128 : -1;

	if (r->dst_len > max)
		return -EINVAL;
	if (r->type == RTN_UNICAST)
		return r->ifindex > 0 ? 0 : -EINVAL;
	if (r->type == RTN_UNREACHABLE || r->type == RTN_BLACKHOLE)
		return r->ifindex == 0 ? 0 : -EINVAL;
	return -EINVAL;
}

static int request(struct nl_sock *nl, uint16_t type, uint16_t flags, const struct nl_route *r)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	size_t len = r->family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
	int ret;

	ret = check(r);
	if (ret)
		goto out;
	nlh = nl_msg_start(nl, type, flags, sizeof(*rtm));
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = (uint8_t)r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_type = r->type;
	/* a delete with scope "nowhere" matches the route whatever its scope */
	if (type == RTM_DELROUTE)
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	else
		rtm->rtm_scope = r->type == RTN_UNICAST ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	/* tables past 255 only fit in the attribute */
	rtm->rtm_table = r->table && r->table < 256 ? (uint8_t)r->table : RT_TABLE_MAIN;
	if (r->table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	mnl_attr_put(nlh, RTA_DST, len, &r->dst);
	if (r->ifindex)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->ifindex);
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	ret = nl_request(nl, nlh, NULL, NULL);
out:
	return ret;
}

int nl_route_parse(struct nl_route *r, const char *prefix, int ifindex)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(prefix, '/');
	size_t alen;
	char *end;
	long len;

	memset(r, 0, sizeof(*r));
	if (!slash)
		return -EINVAL;
	alen = (size_t)(slash - prefix);
	if (alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, prefix, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, &r->dst.v4) == 1)
		r->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &r->dst.v6) == 1)
		r->family = AF_INET6;
	else
		return -EINVAL;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || len < 0 || len > (r->family == AF_INET ? 32 : 128))
		return -EINVAL;
	r->dst_len = (uint8_t)len;
	r->type = RTN_UNICAST;
	r->ifindex = ifindex;
	return 0;
}

int nl_route_add(struct nl_sock *nl, const struct nl_route *r)
{
	return request(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r);
}

int nl_route_del(struct nl_sock *nl, const struct nl_route *r)
{
	return request(nl, RTM_DELROUTE, 0, r);
}
