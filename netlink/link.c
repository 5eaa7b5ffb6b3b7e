/* RTM_SETLINK, RTM_DELLINK (by index and by group) and the link and address
 * dumps behind nl_link_list(). Replies are parsed into attribute tables and
 * every attribute we read is validated first. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "netlink/link.h"

/* Interface statistics are most of a link message and nobody here reads
 * them; skipping them keeps a 10,000-link dump small. */
#define EXT_MASK RTEXT_FILTER_SKIP_STATS

static void copy_str(char *dst, size_t size, const struct nlattr *attr)
{
	size_t len = strnlen(mnl_attr_get_str(attr), mnl_attr_get_payload_len(attr));

	if (len >= size)
		len = size - 1;
	memcpy(dst, mnl_attr_get_str(attr), len);
	dst[len] = '\0';
}

static int link_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	enum mnl_attr_data_type type;

	/* attributes newer than our headers are skipped, not refused */
	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
	case IFLA_IFALIAS:
		type = MNL_TYPE_NUL_STRING;
		break;
	case IFLA_MTU:
	case IFLA_GROUP:
		type = MNL_TYPE_U32;
		break;
	case IFLA_OPERSTATE:
	case IFLA_CARRIER:
		type = MNL_TYPE_U8;
		break;
	case IFLA_LINKINFO:
		type = MNL_TYPE_NESTED;
		break;
	default:
		return MNL_CB_OK;
	}
	if (mnl_attr_validate(attr, type) < 0)
		return MNL_CB_ERROR;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int linkinfo_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, IFLA_INFO_MAX) < 0)
		return MNL_CB_OK;
	if (mnl_attr_get_type(attr) != IFLA_INFO_KIND)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_STRING) < 0)
		return MNL_CB_ERROR;
	tb[IFLA_INFO_KIND] = attr;
	return MNL_CB_OK;
}

/* Fills `l` from an RTM_NEWLINK message; MNL_CB_OK or MNL_CB_ERROR with
 * errno set, as a callback returns. */
static int parse_link(const struct nlmsghdr *nlh, struct nl_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {NULL};
	const struct nlattr *info[IFLA_INFO_MAX + 1] = {NULL};
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (mnl_attr_parse(nlh, sizeof(*ifm), link_attr, tb) < 0)
		return MNL_CB_ERROR;
	if (tb[IFLA_LINKINFO] && mnl_attr_parse_nested(tb[IFLA_LINKINFO], linkinfo_attr, info) < 0)
		return MNL_CB_ERROR;
	memset(l, 0, sizeof(*l));
	l->ifindex = ifm->ifi_index;
	l->admin_up = ifm->ifi_flags & IFF_UP;
	if (tb[IFLA_IFNAME])
		copy_str(l->name, sizeof(l->name), tb[IFLA_IFNAME]);
	if (tb[IFLA_IFALIAS])
		copy_str(l->alias, sizeof(l->alias), tb[IFLA_IFALIAS]);
	if (info[IFLA_INFO_KIND])
		copy_str(l->kind, sizeof(l->kind), info[IFLA_INFO_KIND]);
	if (tb[IFLA_OPERSTATE])
		l->operstate = mnl_attr_get_u8(tb[IFLA_OPERSTATE]);
	if (tb[IFLA_CARRIER])
		l->carrier = mnl_attr_get_u8(tb[IFLA_CARRIER]);
	if (tb[IFLA_MTU])
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_GROUP])
		l->group = mnl_attr_get_u32(tb[IFLA_GROUP]);
	return MNL_CB_OK;
}

static struct nlmsghdr *start_setlink(struct nl_sock *nl, uint16_t type, int ifindex)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, type, 0, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return nlh;
}

int nl_link_configure(struct nl_sock *nl, int ifindex, const struct nl_link_conf *conf)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *spec, *inet6;
	int ret = -EINVAL;

	if (ifindex <= 0)
		goto out;
	if ((conf->set & NL_LINK_SET_UP) && (conf->set & NL_LINK_SET_DOWN))
		goto out;
	if ((conf->set & NL_LINK_SET_ALIAS) &&
	    (!conf->alias || strlen(conf->alias) > NL_LINK_ALIAS_MAX))
		goto out;
	/* The kernel applies IFLA_AF_SPEC after the flags of the same
	 * message: this and going up take two messages, or the link would get
	 * its link-local address on the way up. */
	if ((conf->set & NL_LINK_SET_ADDRGEN_NONE) && (conf->set & NL_LINK_SET_UP)) {
		struct nl_link_conf first = *conf;

		first.set &= ~(unsigned int)NL_LINK_SET_UP;
		ret = nl_link_configure(nl, ifindex, &first);
		if (ret)
			goto out;
		ret = nl_link_set_up(nl, ifindex);
		goto out;
	}
	nlh = start_setlink(nl, RTM_SETLINK, ifindex);
	ifm = mnl_nlmsg_get_payload(nlh);
	if (conf->set & (NL_LINK_SET_UP | NL_LINK_SET_DOWN)) {
		ifm->ifi_change = IFF_UP;
		ifm->ifi_flags = (conf->set & NL_LINK_SET_UP) ? IFF_UP : 0;
	}
	if (conf->set & NL_LINK_SET_ALIAS)
		mnl_attr_put_str(nlh, IFLA_IFALIAS, conf->alias);
	if (conf->set & NL_LINK_SET_MTU)
		mnl_attr_put_u32(nlh, IFLA_MTU, conf->mtu);
	if (conf->set & NL_LINK_SET_GROUP)
		mnl_attr_put_u32(nlh, IFLA_GROUP, conf->group);
	if (conf->set & NL_LINK_SET_ADDRGEN_NONE) {
		spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
		inet6 = mnl_attr_nest_start(nlh, AF_INET6);
		mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
		mnl_attr_nest_end(nlh, inet6);
		mnl_attr_nest_end(nlh, spec);
	}
	ret = nl_request(nl, nlh, NULL, NULL);
out:
	return ret;
}

int nl_link_set_up(struct nl_sock *nl, int ifindex)
{
	struct nl_link_conf conf = {.set = NL_LINK_SET_UP};

	return nl_link_configure(nl, ifindex, &conf);
}

int nl_link_set_down(struct nl_sock *nl, int ifindex)
{
	struct nl_link_conf conf = {.set = NL_LINK_SET_DOWN};

	return nl_link_configure(nl, ifindex, &conf);
}

int nl_link_set_mtu(struct nl_sock *nl, int ifindex, uint32_t mtu)
{
	struct nl_link_conf conf = {.set = NL_LINK_SET_MTU, .mtu = mtu};

	return nl_link_configure(nl, ifindex, &conf);
}

int nl_link_set_alias(struct nl_sock *nl, int ifindex, const char *alias)
{
	struct nl_link_conf conf = {.set = NL_LINK_SET_ALIAS, .alias = alias};

	return nl_link_configure(nl, ifindex, &conf);
}

int nl_link_set_group(struct nl_sock *nl, int ifindex, uint32_t group)
{
	struct nl_link_conf conf = {.set = NL_LINK_SET_GROUP, .group = group};

	return nl_link_configure(nl, ifindex, &conf);
}

int nl_link_set_addrgen_none(struct nl_sock *nl, int ifindex)
{
	struct nl_link_conf conf = {.set = NL_LINK_SET_ADDRGEN_NONE};

	return nl_link_configure(nl, ifindex, &conf);
}

/* Writes /proc/sys/net/<family>/conf/<ifname>/<key>, which is the
 * caller's namespace's. -ENODEV if there is no such interface. */
static int write_conf(const char *family, const char *ifname, const char *key, bool on)
{
	char path[128];
	int fd, ret = -EINVAL;

	/* a name with '/' or "." would leave the interface's directory */
	if (!ifname[0] || strnlen(ifname, IFNAMSIZ) >= IFNAMSIZ || strchr(ifname, '/') ||
	    !strcmp(ifname, ".") || !strcmp(ifname, ".."))
		goto out;
	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == ENOENT ? -ENODEV : -errno;
		goto out;
	}
	ret = write(fd, on ? "1\n" : "0\n", 2) == 2 ? 0 : -errno;
	close(fd);
out:
	return ret;
}

int nl_link_set_ipv6(const char *ifname, bool on)
{
	int ret = write_conf("ipv6", ifname, "disable_ipv6", !on);

	/* a kernel without IPv6 has it off everywhere already */
	if (ret == -ENODEV && access("/proc/sys/net/ipv4", F_OK) == 0 &&
	    access("/proc/sys/net/ipv6", F_OK) < 0)
		ret = 0;
	return ret;
}

int nl_link_del(struct nl_sock *nl, int ifindex)
{
	if (ifindex <= 0)
		return -EINVAL;
	return nl_request(nl, start_setlink(nl, RTM_DELLINK, ifindex), NULL, NULL);
}

int nl_link_del_group(struct nl_sock *nl, uint32_t group)
{
	struct nlmsghdr *nlh;

	/* index 0 and IFLA_GROUP: rtnl_dellink() deletes the whole group
	 * with one unregister_netdevice_many() */
	nlh = start_setlink(nl, RTM_DELLINK, 0);
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	return nl_request(nl, nlh, NULL, NULL);
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	return parse_link(nlh, data);
}

int nl_link_get(struct nl_sock *nl, const char *ifname, struct nl_link *link)
{
	struct nlmsghdr *nlh;

	if (strnlen(ifname, IFNAMSIZ) >= IFNAMSIZ || !ifname[0])
		return -EINVAL;
	nlh = start_setlink(nl, RTM_GETLINK, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, EXT_MASK);
	memset(link, 0, sizeof(*link));
	return nl_request(nl, nlh, get_cb, link);
}

struct gather {
	struct nl_link_list *list;
	const char *prefix;
	size_t prefix_len;
};

static int links_cb(const struct nlmsghdr *nlh, void *data)
{
	struct gather *g = data;
	struct nl_link_list *list = g->list;
	struct nl_link *grown;
	size_t cap;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (list->count == list->cap) {
		cap = list->cap ? 2 * list->cap : 64;
		grown = reallocarray(list->links, cap, sizeof(*grown));
		if (!grown)
			return MNL_CB_ERROR;
		list->links = grown;
		list->cap = cap;
	}
	if (parse_link(nlh, &list->links[list->count]) < 0)
		return MNL_CB_ERROR;
	if (g->prefix && strncmp(list->links[list->count].name, g->prefix, g->prefix_len))
		return MNL_CB_OK;
	list->count++;
	return MNL_CB_OK;
}

static void links_restart(void *data)
{
	struct gather *g = data;

	g->list->count = 0;
}

static int addr_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;
	if (type != IFA_LOCAL && type != IFA_ADDRESS)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_BINARY) < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int by_ifindex(const void *a, const void *b)
{
	const struct nl_link *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

static int addrs_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = {NULL};
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *local, *peer;
	struct gather *g = data;
	struct nl_link key, *l;
	struct nl_addr *a;
	size_t len;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (ifa->ifa_family == AF_INET)
		len = sizeof(struct in_addr);
	else if (ifa->ifa_family == AF_INET6)
		len = sizeof(struct in6_addr);
	else
		return MNL_CB_OK;
	key.ifindex = (int)ifa->ifa_index;
	l = bsearch(&key, g->list->links, g->list->count, sizeof(key), by_ifindex);
	if (!l)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, tb) < 0)
		return MNL_CB_ERROR;
	/* IFA_LOCAL is the address itself and IFA_ADDRESS the peer; without
	 * a peer, IPv6 sends IFA_ADDRESS alone */
	local = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	peer = tb[IFA_ADDRESS] ? tb[IFA_ADDRESS] : local;
	if (!local || mnl_attr_get_payload_len(local) != len ||
	    mnl_attr_get_payload_len(peer) != len) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (l->naddrs == NL_LINK_ADDRS) {
		l->more_addrs = true;
		return MNL_CB_OK;
	}
	a = &l->addrs[l->naddrs++];
	memset(a, 0, sizeof(*a));
	a->family = ifa->ifa_family;
	a->prefixlen = ifa->ifa_prefixlen;
	memcpy(&a->local, mnl_attr_get_payload(local), len);
	memcpy(&a->peer, mnl_attr_get_payload(peer), len);
	return MNL_CB_OK;
}

static void addrs_restart(void *data)
{
	struct gather *g = data;

	for (size_t i = 0; i < g->list->count; i++) {
		g->list->links[i].naddrs = 0;
		g->list->links[i].more_addrs = false;
	}
}

int nl_link_list(struct nl_sock *nl, const char *prefix, struct nl_link_list *list)
{
	struct gather g = {
		.list = list, .prefix = prefix, .prefix_len = prefix ? strlen(prefix) : 0};
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int ret;

	memset(list, 0, sizeof(*list));
	nlh = start_setlink(nl, RTM_GETLINK, 0);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, EXT_MASK);
	ret = nl_dump(nl, nlh, links_cb, links_restart, &g);
	if (ret)
		goto out;
	qsort(list->links, list->count, sizeof(*list->links), by_ifindex);

	nlh = nl_msg_start(nl, RTM_GETADDR, 0, sizeof(*ifa));
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = AF_UNSPEC;
	ret = nl_dump(nl, nlh, addrs_cb, addrs_restart, &g);
out:
	if (ret)
		nl_link_list_free(list);
	return ret;
}

void nl_link_list_free(struct nl_link_list *list)
{
	free(list->links);
	memset(list, 0, sizeof(*list));
}
